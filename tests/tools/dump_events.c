/*
 * dump_events.c - the normalized events of a log file, for golden tests and benchmarks.
 *
 *   dump_events [--year N] [--log-format NAME] [--per-line] [--line-numbers] [--quiet]
 *               [--time] FILE
 *
 * Runs the real pipeline (format detection, envelope, dialects; zone UTC, --year fixes
 * year-less stamps) and prints msl_event_format_kv() per event, or "UNPARSED why=..." per
 * line that gave no event, in input order.  --per-line puts the events of one input line
 * (a delivery line naming several recipients) on one output line, joined by " || ", so
 * output lines match input lines; --line-numbers starts each output line with the number of
 * the input line it comes from ("12: kind=..."), so a golden file pairs with its log even
 * where lines give no event (comments, headers).  --quiet prints nothing per line, --time prints
 * lines/events per second to stderr (used for the parse-speed measurement).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailsleuth/mailsleuth.h"
#include "model/event_kv.h"

struct dump {
    int quiet;
    int per_line;       /* events of one input line on one output line, joined by " || " */
    int numbers;        /* each output line starts with its input line's number */
    int open;           /* an output line is not finished yet */
    uint64_t last_line; /* input line of the open output line */
    long long events;
    char out[1 << 17];
};

static void end_line(struct dump *d)
{
    if (d->open)
        putchar('\n');
    d->open = 0;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct dump *d = ctx;
    d->events++;
    if (d->quiet)
        return 0;
    msl_event_format_kv(e, d->out, sizeof d->out);
    if (d->per_line && d->open && e->ev.line == d->last_line) {
        fputs(" || ", stdout);
    } else {
        end_line(d);
        if (d->numbers)
            printf("%llu: ", (unsigned long long)e->ev.line);
    }
    fputs(d->out, stdout);
    d->open = 1;
    d->last_line = e->ev.line;
    if (!d->per_line)
        end_line(d);
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct dump *d = ctx;
    if (d->quiet)
        return;
    end_line(d);
    if (d->numbers)
        printf("%llu: ", (unsigned long long)ln->lineno);
    fputs("UNPARSED why=\"", stdout);
    for (const char *p = why; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        putchar(*p);
    }
    puts("\"");
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "dump_events: %s: %s: %s\n", name, k == MSL_PROB_ERROR ? "error" : "warning",
            msg);
}

int main(int argc, char **argv)
{
    int year = 0, timing = 0;
    const char *path = NULL, *format = NULL;
    static struct dump d;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
            year = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0)
            d.quiet = 1;
        else if (strcmp(argv[i], "--line-numbers") == 0)
            d.numbers = 1;
        else if (strcmp(argv[i], "--per-line") == 0)
            d.per_line = 1;
        else if (strcmp(argv[i], "--time") == 0)
            timing = 1;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: dump_events [--year N] [--log-format NAME] [--per-line] "
                        "[--line-numbers] [--quiet] [--time] FILE\n");
        return 2;
    }
    struct msl_tz *tz = msl_tz_load("UTC");
    if (!tz)
        return 1;
    struct msl_run_opts ro = {.tz = tz, .year = year, .format = format};
    struct msl_sink sink = {.ctx = &d, .event = on_event, .unparsed = on_unparsed,
                            .problem = on_problem};
    struct msl_run run;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *paths[] = {path};
    int rc = msl_run(paths, 1, &ro, &sink, &run);
    end_line(&d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (timing) {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "%llu lines, %lld events in %.3f s: %.0f lines/s, %.0f events/s\n",
                (unsigned long long)run.totals.lines, d.events, s,
                (double)run.totals.lines / s, (double)d.events / s);
    }
    msl_run_free(&run);
    msl_tz_free(tz);
    return rc == MSL_OK ? 0 : 1;
}
