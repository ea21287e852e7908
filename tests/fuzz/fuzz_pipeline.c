/*
 * fuzz_pipeline.c - fuzz target for everything after the reader at once: format detection
 * on the sample, every file format and syslog dialect, zone/year inference, the duplicate
 * set, the correlator (messages, sessions, hops' reply ids) and the summary, on arbitrary
 * bytes.  The input is read through a memfd as a file, so the real reader and sampling run.
 * Invariants: every event's views lie inside its raw line, the emitted records are
 * well-formed, summary and JSON rendering finish, and the ECS and Splunk HEC documents of
 * every event are one line each with no raw control byte (all content escaped).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/report.h"
#include "model/event_fields.h"
#include "report/event_export.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                      \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "fuzz_pipeline: invariant failed: %s (%s:%d)\n", #c, __FILE__, \
                    __LINE__);                                                              \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

struct fz {
    struct msl_correlator *c;
    struct msl_summary *s;
    uint64_t events;
};

/* A view is inside the raw line, or a static/scratch string the format owns (not checked
 * further than being readable: ASan does that). */
static void check_view(const struct msl_event *e, struct msl_str v)
{
    if (!v.p || !v.n)
        return;
    volatile char first = v.p[0], last = v.p[v.n - 1];
    (void)first;
    (void)last;
    (void)e;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct fz *f = ctx;
    FUZZ_ASSERT(e->kind > MSL_EV_NONE && e->kind < MSL_EV__COUNT);
    FUZZ_ASSERT(e->raw.p != NULL || e->raw.n == 0);
    FUZZ_ASSERT(e->repeat >= 1);
    for (size_t i = 0; i < msl_event_nfields; i++)
        if (msl_event_fields[i].type == MSL_FT_STR)
            check_view(e, *(const struct msl_str *)((const char *)e + msl_event_fields[i].off));
    check_view(e, e->host);
    check_view(e, e->program);
    f->events++;
    struct buf b;
    buf_init(&b, 1 << 22);
    event_ecs(&b, e, "fuzz", 1);
    event_hec(&b, e, "fuzz");
    FUZZ_ASSERT(!b.err && b.n > 0 && b.p[b.n - 1] == '\n');
    for (size_t i = 0; i < b.n; i++)
        FUZZ_ASSERT((unsigned char)b.p[i] >= 0x20 || b.p[i] == '\n');
    buf_free(&b);
    FUZZ_ASSERT(msl_correlator_add(f->c, e) == MSL_OK);
    FUZZ_ASSERT(msl_summary_add(f->s, e) == MSL_OK);
    return f->events > 200000; /* bound the work per input */
}

static int on_message(void *ctx, struct msl_message *m)
{
    (void)ctx;
    FUZZ_ASSERT(m->host != NULL && m->qid != NULL);
    FUZZ_ASSERT(m->first_ts <= m->last_ts);
    for (size_t i = 0; i < m->ndeliveries; i++)
        FUZZ_ASSERT((unsigned)m->deliveries[i].status < MSL_ST__COUNT);
    return 0;
}

static int on_session(void *ctx, struct msl_session *s)
{
    (void)ctx;
    FUZZ_ASSERT(s->host != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_pipeline", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct msl_tz *tz = msl_tz_load("UTC");
    struct msl_correlate_opts co = {.keep_lines = 1};
    struct msl_correlate_sink cs = {.message = on_message, .session = on_session};
    struct msl_summary_opts so = {.tz = tz, .top = 3};
    struct fz f = {.c = msl_correlator_new(&co, &cs), .s = msl_summary_new(&so)};
    if (tz && f.c && f.s) {
        struct msl_run_opts ro = {.tz = tz, .hash = size & 1};
        struct msl_sink sink = {.ctx = &f, .event = on_event};
        struct msl_run run;
        const char *paths[] = {path, path}; /* twice: the duplicate set and rotation order */
        msl_run(paths, 1 + (size & 2 ? 1 : 0), &ro, &sink, &run);
        msl_correlator_finish(f.c);
        msl_summary_finish(f.s);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            FUZZ_ASSERT(msl_summary_write_json(f.s, &run, null) == MSL_OK);
            FUZZ_ASSERT(msl_summary_write_text(f.s, &run, null) == MSL_OK);
            fclose(null);
        }
        msl_run_free(&run);
    }
    msl_correlator_free(f.c);
    msl_summary_free(f.s);
    msl_tz_free(tz);
    close(fd);
    return 0;
}
