/*
 * dump_events.c - one normalized event per input line, for golden tests and benchmarks.
 *
 *   dump_events [--year N] [--quiet] [--time] FILE
 *
 * Each line goes through msl_envelope_parse (zone UTC, --year fixes year-less stamps), then
 * the dialect that claims its program tag; prints msl_event_format_kv() per event, or
 * "UNPARSED why=..." per line nobody understood.  --quiet prints nothing per line, --time
 * prints lines/events per second to stderr (used for the parse-speed measurement).
 * Not the hot path: fgets is fine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mailsleuth/dialect.h"
#include "mailsleuth/envelope.h"
#include "model/event_kv.h"

int main(int argc, char **argv)
{
    int year = 0, quiet = 0, timing = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
            year = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "--time") == 0)
            timing = 1;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: dump_events [--year N] [--quiet] [--time] FILE\n");
        return 2;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    struct stat st;
    int64_t mtime = fstat(fileno(f), &st) == 0 ? (int64_t)st.st_mtime : 0;
    struct msl_tz *tz = msl_tz_load("UTC");
    struct msl_envelope_parser *ep = tz ? msl_envelope_new(tz, mtime, year) : NULL;
    if (!ep) {
        fprintf(stderr, "dump_events: cannot set up the envelope parser\n");
        return 1;
    }
    static char line[1 << 16], out[1 << 17];
    long long lines = 0, events = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        lines++;
        struct msl_envelope env;
        const char *why = NULL;
        if (msl_envelope_parse(ep, line, n, &env, &why) != 0) {
            if (!quiet)
                printf("UNPARSED why=\"envelope: %s\"\n", why ? why : "?");
            continue;
        }
        struct msl_event ev;
        msl_event_clear(&ev);
        ev.ts = env.ts;
        ev.flags = env.flags;
        ev.host = env.host;
        ev.program = env.program;
        ev.pid = env.pid;
        ev.ev.line = (uint64_t)lines;
        const struct msl_dialect *d = msl_dialect_for_program(env.program);
        why = "no dialect for this program";
        if (!d || !d->parse(&env, &ev, &why)) {
            if (!quiet)
                printf("UNPARSED why=\"%s\"\n", why);
            continue;
        }
        events++;
        if (!quiet) {
            msl_event_format_kv(&ev, out, sizeof out);
            puts(out);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (timing) {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "%lld lines, %lld events in %.3f s: %.0f lines/s, %.0f events/s\n",
                lines, events, s, lines / s, events / s);
    }
    msl_envelope_free(ep);
    msl_tz_free(tz);
    fclose(f);
    return 0;
}
