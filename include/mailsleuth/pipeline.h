/*
 * pipeline.h - one pass over the inputs: reader -> envelope -> dialect -> events.
 *
 * msl_run() reads every path; for each source it samples the first lines, picks the file
 * format that recognises them best (format.h; syslog by default), and hands every line to
 * it; the events come out to the sink in input order.  Every line that gives no event is
 * counted by reason (never lost) and optionally shown to the sink.
 *
 * Ownership: views in events and lines are valid only during the callback.  Source names
 * stay valid until msl_run_free().
 *
 * Threads (opts.threads >= 2): the sink's callbacks (event, unparsed, problem) run on a
 * thread of their own, in input order, with copies of what they are given.  They may call
 * msl_run_source_name, nothing else of the run, until msl_run returns.
 */
#ifndef MAILSLEUTH_PIPELINE_H
#define MAILSLEUTH_PIPELINE_H

#include <stdint.h>

#include "envelope.h"
#include "event.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

struct msl_run_opts {
    const struct msl_tz *tz; /* zone for zone-less stamps (required) */
    int year;                /* > 0: fixed starting year for year-less stamps */
    const char *dialect;     /* syslog: NULL = by program tag; else force this dialect */
    const char *format;      /* NULL = detect per source; else force this format by name */
    int64_t since, until;    /* UTC us; events outside [since, until) are skipped; 0 = open */
    size_t block_size;       /* reader block size, 0 = default */
    int detect_only;         /* choose each source's format, parse nothing */
    int hash;                /* fingerprint every input file and archive member (SHA-256) */
    int tz_explicit;         /* tz was chosen by the user: queue-id evidence only warns */
    int threads;             /* >= 2: parse on this thread, run the sink's event callback
                                on another (same events, same order); 0/1: one thread */
};

/* The fingerprint of one input file or archive member (opts.hash). */
struct msl_run_hash {
    char *name;  /* file path, or "archive!member" */
    int member;  /* 1 for an archive member */
    int64_t size;
    char sha256[65];
};

struct msl_sink {
    void *ctx;
    /* a new source begins (after the reader opened it) */
    void (*source)(void *ctx, const struct msl_source_info *si);
    /* one event; return non-zero to stop the run */
    int (*event)(void *ctx, const struct msl_event *e);
    /* a line that gave no event, with the reason (optional) */
    void (*unparsed)(void *ctx, const struct msl_line *ln, const char *why);
    /* a reader problem (optional; when NULL the pipeline only counts it) */
    void (*problem)(void *ctx, enum msl_problem_kind k, const char *name, const char *msg);
};

/* One unparsed-reason counter. */
struct msl_reason_count {
    char *why; /* owned by the run: "postfix/smtpd: unrecognised message", ... */
    uint64_t count;
};

#define MSL_RUN_NAME_CHUNK 1024
#define MSL_RUN_NAME_CHUNKS 1024 /* names for the first 1 M sources */

struct msl_run_source {
    char *name;
    const char *format; /* name of the format chosen for it (static) */
    int format_score;   /* its detection score 0..100 (100 when forced) */
    int scores[16];     /* every format's score, in msl_formats() order (-1 = not asked) */
    char zone[64];      /* zone its zone-less stamps were read in */
    int zone_inferred;  /* 1 when that zone came from times embedded in queue ids */
    int year_inferred;  /* the first year-less stamp's year, when queue ids gave it; else 0 */
    int64_t mtime;
    int64_t first_ts, last_ts; /* UTC us of first/last event, 0 when none */
    struct msl_source_stats stats;
    enum msl_compression compression;
};

struct msl_run {
    struct msl_read_totals totals;
    uint64_t events;
    uint64_t unparsed;
    uint64_t filtered; /* events outside --since/--until */
    uint64_t repeated; /* events that came from "message repeated N times" */
    uint64_t duplicates; /* reject/warning/auth lines already read from another input */
    int64_t first_ts, last_ts;
    struct msl_reason_count *reasons; /* sorted by count, descending, after msl_run() */
    size_t nreasons;
    struct msl_run_source *sources;
    size_t nsources;
    int read_status; /* result of msl_read_paths */
    struct msl_run_hash *hashes;
    size_t nhashes;
    /* private: source names by id in chunks that never move, so the thread running the
     * sink may look names up (msl_run_source_name) while the run goes on */
    char **name_chunks_[MSL_RUN_NAME_CHUNKS];
};

/* Runs the pipeline; fills *run (free with msl_run_free).  Returns msl_read_paths' result. */
int msl_run(const char *const *paths, size_t npaths, const struct msl_run_opts *opts,
            const struct msl_sink *sink, struct msl_run *run);
void msl_run_free(struct msl_run *run);

/*
 * Feeding lines as they arrive (watch): one feed per source being followed, all sharing one
 * run (its source table and counters).  The caller numbers sources (si->id unique in the
 * run, from 0) and lines; the feed samples, picks the format and parses exactly as msl_run
 * does, on this thread.  msl_feed_flush picks the format from the lines sampled so far (a
 * live source has no 64 lines to wait for).  Unparsed reasons are counted in run->unparsed
 * only (run->reasons stays empty).  The run is zeroed by the caller and freed with
 * msl_run_free after the last feed.
 */
struct msl_feed;
struct msl_feed *msl_feed_new(const struct msl_run_opts *opts, const struct msl_sink *sink,
                              struct msl_run *run);
int msl_feed_begin(struct msl_feed *f, const struct msl_source_info *si); /* MSL_OK/ENOMEM */
/* One line; returns non-zero when the sink asked to stop. */
int msl_feed_line(struct msl_feed *f, const struct msl_line *ln);
void msl_feed_flush(struct msl_feed *f);
void msl_feed_end(struct msl_feed *f, const struct msl_source_stats *st); /* st may be NULL */
void msl_feed_free(struct msl_feed *f);

/* Name of a source by id ("?" if unknown). */
const char *msl_run_source_name(const struct msl_run *run, uint32_t src);

#ifdef __cplusplus
}
#endif
#endif
