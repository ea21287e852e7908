/*
 * trace.h - everything about the messages that match a query, across hops.
 *
 * A trace reads the inputs once, mostly: pass 1 keeps the messages and sessions the query
 * matches, with their original lines, and everything linked to them (Message-ID, queue ids
 * named by "queued as", content-filter re-injections, bounces, the SMTP session, which the
 * correlator holds back until its messages finish).  Records nothing wants yet wait in a
 * window of recently finished ones (64 MiB by default, msl_trace_set_window) in case a
 * record finishing a little later links to them.  Only when a record that left the window
 * may belong to the story (a Bloom filter of their keys says so) does a second pass read
 * the inputs again and keep everything linked; further passes run while they discover
 * links to records already let go (at most 4).  Memory is bounded by what matches plus the
 * window, not by log size.  With stdin ("-") among the inputs there is one pass: matching
 * records only, links are not followed (the input cannot be read twice).
 *
 * Hops: a delivery whose reply names "queued as X" links to message X on another host
 * (the one received closest to the delivery time), or on the same host for a loopback
 * content filter; otherwise to a message with the same Message-ID on another host received
 * within an hour of the delivery.  Each host pair's clock skew is estimated from its hops.
 */
#ifndef MAILSLEUTH_TRACE_H
#define MAILSLEUTH_TRACE_H

#include <stdio.h>

#include "correlate.h"
#include "pipeline.h"
#include "query.h"

#ifdef __cplusplus
extern "C" {
#endif

struct msl_trace;

struct msl_trace *msl_trace_new(const struct msl_query *q, const char *query_text);
void msl_trace_free(struct msl_trace *t);
/* Bytes of finished records pass 1 keeps waiting for a link (0 = 64 MiB). */
void msl_trace_set_window(struct msl_trace *t, size_t bytes);

/*
 * Runs all passes over paths.  outer receives problems and unparsed lines of the first
 * pass only (its event callback is not used).  run receives the last pass's run record.
 */
int msl_trace_run(struct msl_trace *t, const char *const *paths, size_t npaths,
                  const struct msl_run_opts *ro, const struct msl_sink *outer,
                  struct msl_run *run);

/* Number of matched messages and sessions (after msl_trace_run). */
size_t msl_trace_matches(const struct msl_trace *t);

int msl_trace_write_text(struct msl_trace *t, const struct msl_run *run, const struct msl_tz *tz,
                         FILE *out);
struct msl_palette;
/* Colours for statuses in the text (palette.h); NULL (the default) is plain text. */
void msl_trace_set_palette(struct msl_trace *t, const struct msl_palette *p);
struct msl_invocation;
/* inv (may be NULL) is recorded in the JSON provenance with the inputs' fingerprints. */
int msl_trace_write_json(struct msl_trace *t, const struct msl_run *run, const struct msl_tz *tz,
                         const struct msl_invocation *inv, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
