/*
 * query.h - the search language: a small filter over messages, sessions and events.
 *
 *   expr    := or
 *   or      := and ( "OR" and )*
 *   and     := unary ( ["AND"] unary )*        adjacent terms are ANDed
 *   unary   := "NOT" unary | "-" unary | "(" expr ")" | term
 *   term    := FIELD ":" VALUE | FIELD (">" | ">=" | "<" | "<=" | "=") NUMBER | BAREWORD
 *   VALUE   := word with * and ? wildcards, or "quoted string" (\" and \\ escapes)
 *
 * Fields (doc/SEARCH.md is the reference, with examples):
 *   from: to: (any recipient or orig_to) rcpt-domain: from-domain: ip: (client IP, or CIDR
 *   like 192.0.2.0/24, 2001:db8::/32) client: (client host name) user: (SASL user) host:
 *   (server) msgid: qid: helo: status: (sent deferred bounced expired ... of any recipient,
 *   or the message's final state with final:) relay: (relay host or IP) dsn: text: (any
 *   reply / reject text) kind: (events) since: until: (times, zone-less read in the --tz
 *   zone) size (> >= < <= = bytes, with k/m/g suffixes) nrcpt (same operators)
 *   outcome: (a recipient's outcome: delivered relayed forwarded deferred expired bounced
 *   rejected discarded quarantined) attempts (a recipient's attempts, number operators).
 * Matching is case-insensitive for addresses, domains, hosts and statuses; wildcards match
 * the whole value ("*@example.com").  A bareword matches any of from, to, msgid, qid, ip,
 * user, client.
 *
 * Errors: msl_query_compile returns MSL_EPARSE and fills err with a message and *errcol
 * with the 1-based column of the offending token, so the CLI can point at it.
 * Compilation never recurses without bound: nesting deeper than 64 is an error.
 */
#ifndef MAILSLEUTH_QUERY_H
#define MAILSLEUTH_QUERY_H

#include <stddef.h>

#include "correlate.h"
#include "envelope.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

struct msl_query;

int msl_query_compile(const char *expr, const struct msl_tz *tz, struct msl_query **out,
                      char *err, size_t errcap, size_t *errcol);
void msl_query_free(struct msl_query *q);

int msl_query_match_message(const struct msl_query *q, const struct msl_message *m);
/* One recipient in its message's context: to:, rcpt-domain:, status:, relay:, dsn:,
 * text:, outcome: and attempts look at this recipient (and its own attempts) only. */
int msl_query_match_recipient(const struct msl_query *q, const struct msl_message *m,
                              const struct msl_recipient *r);
int msl_query_match_session(const struct msl_query *q, const struct msl_session *s);
int msl_query_match_event(const struct msl_query *q, const struct msl_event *e);

/* Earliest/latest time the query can match (from since:/until: at top-level AND), so the
 * pipeline can skip events early; 0 = unbounded. */
void msl_query_time_bounds(const struct msl_query *q, int64_t *since, int64_t *until);

#ifdef __cplusplus
}
#endif
#endif
