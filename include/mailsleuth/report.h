/*
 * report.h - consumers of the event stream: summary (pflogsumm-class overview) and
 * timeline (every event in order).  Each consumer is fed events one at a time through
 * *_add() and renders at the end; none re-reads input.
 *
 * Output is written to a FILE *; all log content is escaped for the chosen format
 * (terminal-safe text, JSON strings, CSV with formula neutralisation).
 */
#ifndef MAILSLEUTH_REPORT_H
#define MAILSLEUTH_REPORT_H

#include <stdio.h>

#include "envelope.h"
#include "event.h"
#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MSL_SUMMARY_SCHEMA 1 /* bump when the JSON changes incompatibly; doc/OUTPUT-JSON.md */

/* The command line an answer came from, recorded in JSON provenance. */
struct msl_invocation {
    int argc;
    char **argv;
};

struct msl_palette;
struct msl_summary_opts {
    const struct msl_tz *tz; /* zone for per-day / per-hour buckets and printed times */
    int top;                 /* rows in top-N tables; 0 = all */
    const struct msl_invocation *inv; /* for JSON provenance; may be NULL */
    int external_messages; /* messages come from the caller's correlator through
                              msl_summary_message (one correlator for several consumers) */
    const struct msl_palette *palette; /* text: colours for headings (palette.h); NULL plain */
};

struct msl_summary;
struct msl_message;

struct msl_summary *msl_summary_new(const struct msl_summary_opts *opts);
void msl_summary_free(struct msl_summary *s);
/* Folds one event in.  Returns MSL_OK or MSL_ENOMEM. */
int msl_summary_add(struct msl_summary *s, const struct msl_event *e);
/* Books one message the caller's correlator closed (opts.external_messages). */
void msl_summary_message(struct msl_summary *s, const struct msl_message *m);
/* Closes every message still open (log ended mid-lifecycle). Call once before writing. */
void msl_summary_finish(struct msl_summary *s);
int msl_summary_write_text(struct msl_summary *s, const struct msl_run *run, FILE *out);
int msl_summary_write_json(struct msl_summary *s, const struct msl_run *run, FILE *out);

/* Read access to the grand totals, for tests and other consumers. */
struct msl_totals {
    long long received, delivered, forwarded, deferred, deferrals, bounced, expired;
    long long rejected, reject_warnings, held, discarded, filtered;
    long long bytes_received, bytes_delivered;
    long long senders, sending_domains, recipients, recipient_domains;
    long long sasl_failures, connections, warnings, errors, fatals, panics;
};
void msl_summary_totals(const struct msl_summary *s, struct msl_totals *t);


/* timeline: every event in time order across all inputs (bounded memory: spills sorted
 * runs to temporary files past a limit).  Text shows local time in tz; JSONL and CSV carry
 * Timesketch's columns (message, datetime in UTC ISO 8601, timestamp_desc) plus our fields
 * and the evidence "file:line". */
enum msl_timeline_format {
    MSL_TL_TEXT,
    MSL_TL_JSONL,    /* our event JSON (also Timesketch's JSONL: datetime, timestamp_desc, message) */
    MSL_TL_CSV,
    MSL_TL_ECS,      /* Elastic Common Schema documents, one a line */
    MSL_TL_ECS_BULK, /* the same, each after its _bulk action line */
    MSL_TL_HEC,      /* Splunk HTTP Event Collector events */
};
/* "text", "jsonl" (or "json"), "csv", "ecs", "ecs-bulk", "splunk-hec" -> 0 and *f; else -1. */
int msl_timeline_format_from_name(const char *name, enum msl_timeline_format *f);
struct msl_timeline;
/* run must outlive the timeline: source names are looked up in it. */
struct msl_timeline *msl_timeline_new(enum msl_timeline_format f, const struct msl_tz *tz,
                                      const struct msl_run *run, size_t mem_limit);
void msl_timeline_free(struct msl_timeline *t);
int msl_timeline_add(struct msl_timeline *t, const struct msl_event *e);
int msl_timeline_write(struct msl_timeline *t, FILE *out);


#ifdef __cplusplus
}
#endif
#endif
