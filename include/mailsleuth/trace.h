/*
 * trace.h - everything about the messages that match a query, across hops.
 *
 * A trace reads the inputs more than once (files only): pass 1 finds the messages and
 * sessions the query matches and collects their link keys (Message-ID, queue ids named by
 * "queued as", content-filter re-injections, bounces); pass 2 keeps those records with
 * their original log lines; a further pass runs only when pass 2 discovered links to
 * records it had already let go (at most 4 passes).  Memory is bounded by what matches,
 * not by log size.  With stdin ("-") among the inputs there is one pass: matching records
 * only, links are not followed (the input cannot be read twice).
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
struct msl_invocation;
/* inv (may be NULL) is recorded in the JSON provenance with the inputs' fingerprints. */
int msl_trace_write_json(struct msl_trace *t, const struct msl_run *run, const struct msl_tz *tz,
                         const struct msl_invocation *inv, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
