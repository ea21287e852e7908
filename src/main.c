/*
 * main.c - the mailsleuth command: parse options, run the pipeline once with the
 * command's consumer as the sink, render, and map what happened to an exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/report.h"
#include "util/esc.h"

struct app {
    struct cli cli;
    struct msl_tz *tz;
    struct msl_run run;
    struct msl_summary *summary;
    struct msl_timeline *timeline;
    int progress;
    uint64_t seen;
    time_t last_progress;
    int failed; /* consumer error (ENOMEM) */
};

static void show_progress(struct app *a)
{
    if (!a->progress || (++a->seen & 0xfffff) != 0)
        return;
    time_t now = time(NULL);
    if (now == a->last_progress)
        return;
    a->last_progress = now;
    fprintf(stderr, "\rmailsleuth: %llu lines read...", (unsigned long long)a->seen);
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    show_progress(a);
    int rc = MSL_OK;
    if (a->summary)
        rc = msl_summary_add(a->summary, e);
    else if (a->timeline)
        rc = msl_timeline_add(a->timeline, e);
    if (rc != MSL_OK) {
        fprintf(stderr, "mailsleuth: %s\n", msl_strerror(rc));
        a->failed = 1;
        return 1;
    }
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct app *a = ctx;
    show_progress(a);
    if (!a->cli.unparsed)
        return;
    struct buf b;
    buf_init(&b, MSL_MAX_LINE * 4 + 1024);
    const char *src = msl_run_source_name(&a->run, ln->src);
    buf_adds(&b, "unparsed: ");
    esc_text(&b, src, strlen(src));
    buf_addf(&b, ":%llu: ", (unsigned long long)ln->lineno);
    esc_text(&b, why, strlen(why));
    buf_adds(&b, ": ");
    esc_text(&b, ln->p, ln->n);
    buf_addc(&b, '\n');
    fwrite(b.p, 1, b.n, stderr);
    buf_free(&b);
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct app *a = ctx;
    if (a->cli.quiet && k == MSL_PROB_WARNING)
        return;
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, a->progress ? "\rmailsleuth: " : "mailsleuth: ");
    esc_text(&b, name, strlen(name));
    buf_adds(&b, k == MSL_PROB_ERROR ? ": error: " : ": warning: ");
    esc_text(&b, msg, strlen(msg));
    buf_addc(&b, '\n');
    fwrite(b.p, 1, b.n, stderr);
    buf_free(&b);
}

static int cmd_formats(void)
{
    puts("dialects (chosen per line by the program tag; --dialect forces one):");
    for (const struct msl_dialect *const *d = msl_dialects(); *d; d++)
        printf("  %-12s %s\n", (*d)->name, (*d)->mta);
    puts("envelopes (detected per line):");
    for (int f = 1; f < MSL_ENV__COUNT; f++)
        printf("  %s\n", msl_env_format_name((enum msl_env_format)f));
    puts("compression (detected by content): gzip, bzip2, xz, zstd; archives: zip, tar");
    return EXIT_OK;
}

static int pick_format(const char *cmd, const char *f, int *out)
{
    if (!strcmp(cmd, "summary")) {
        if (!f || !strcmp(f, "text"))
            *out = 0;
        else if (!strcmp(f, "json"))
            *out = 1;
        else
            return 0;
        return 1;
    }
    if (!f || !strcmp(f, "text"))
        *out = MSL_TL_TEXT;
    else if (!strcmp(f, "jsonl") || !strcmp(f, "json"))
        *out = MSL_TL_JSONL;
    else if (!strcmp(f, "csv"))
        *out = MSL_TL_CSV;
    else
        return 0;
    return 1;
}

static int run_command(struct app *a)
{
    struct cli *c = &a->cli;
    int fmt;
    if (!pick_format(c->command, c->format, &fmt)) {
        fprintf(stderr, "mailsleuth: %s cannot write format '%s' (see mailsleuth --help)\n",
                c->command, c->format);
        return EXIT_USAGE;
    }
    a->tz = msl_tz_load(c->tz);
    if (!a->tz) {
        fprintf(stderr, "mailsleuth: unknown time zone '%s' (try UTC, +02:00 or an IANA name "
                        "like Europe/Berlin)\n", c->tz ? c->tz : "(machine default)");
        return EXIT_USAGE;
    }
    struct msl_run_opts ro = {.tz = a->tz, .year = c->year, .dialect = c->dialect,
                              .block_size = c->block_size};
    if (c->dialect && !msl_dialect_by_name(c->dialect)) {
        fprintf(stderr, "mailsleuth: unknown dialect '%s' (mailsleuth formats lists them)\n",
                c->dialect);
        return EXIT_USAGE;
    }
    if ((c->since && !cli_parse_time(c->since, a->tz, &ro.since)) ||
        (c->until && !cli_parse_time(c->until, a->tz, &ro.until))) {
        fprintf(stderr, "mailsleuth: cannot read time '%s' (use 2026-11-27, 2026-11-27T13:00 "
                        "or 2026-11-27T13:00:00+01:00)\n", c->since && !ro.since ? c->since : c->until);
        return EXIT_USAGE;
    }
    if (c->npaths == 0) {
        if (isatty(0)) {
            fprintf(stderr, "mailsleuth: no input given; name log files or directories, or "
                            "use '-' for stdin (see mailsleuth --help)\n");
            return EXIT_USAGE;
        }
        c->paths[c->npaths++] = "-";
    }
    if (!strcmp(c->command, "summary")) {
        struct msl_summary_opts so = {.tz = a->tz, .top = c->top};
        a->summary = msl_summary_new(&so);
    } else {
        a->timeline = msl_timeline_new((enum msl_timeline_format)fmt, a->tz, &a->run, c->sort_mem);
    }
    if (!a->summary && !a->timeline) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        return EXIT_INTERNAL;
    }
    a->progress = !c->quiet && isatty(2);
    struct msl_sink sink = {.ctx = a, .event = on_event, .unparsed = on_unparsed,
                            .problem = on_problem};
    int rc = msl_run(c->paths, c->npaths, &ro, &sink, &a->run);
    if (a->progress && a->seen >= 0x100000)
        fputs("\r\033[K", stderr);
    if (a->failed)
        return EXIT_INTERNAL;
    int wrc;
    if (a->summary) {
        msl_summary_finish(a->summary);
        wrc = fmt ? msl_summary_write_json(a->summary, &a->run, stdout)
                  : msl_summary_write_text(a->summary, &a->run, stdout);
    } else {
        wrc = msl_timeline_write(a->timeline, stdout);
    }
    if (fflush(stdout) != 0 || wrc != MSL_OK) {
        fprintf(stderr, "mailsleuth: writing output failed: %s\n", msl_strerror(wrc ? wrc : MSL_EIO));
        return EXIT_INTERNAL;
    }
    if (rc == MSL_EINPUT || a->run.totals.errors) {
        if (!c->quiet)
            fprintf(stderr, "mailsleuth: %u input error%s: the results above leave out what "
                            "could not be read\n", a->run.totals.errors,
                    a->run.totals.errors == 1 ? "" : "s");
        return EXIT_INPUT;
    }
    return rc == MSL_OK ? EXIT_OK : EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        cli_usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("mailsleuth %s\n", MSL_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "formats"))
        return cmd_formats();
    if (strcmp(cmd, "summary") != 0 && strcmp(cmd, "timeline") != 0) {
        fprintf(stderr, "mailsleuth: unknown command '%s' (commands: summary, timeline, formats, "
                        "help)\n", cmd);
        return EXIT_USAGE;
    }
    struct app a;
    memset(&a, 0, sizeof a);
    a.cli.command = cmd;
    int rc = cli_parse(&a.cli, argc - 2, argv + 2);
    if (rc == -1)
        return EXIT_OK;
    if (rc == 0)
        rc = run_command(&a);
    msl_summary_free(a.summary);
    msl_timeline_free(a.timeline);
    msl_run_free(&a.run);
    msl_tz_free(a.tz);
    free(a.cli.paths);
    return rc;
}
