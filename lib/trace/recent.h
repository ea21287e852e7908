/*
 * recent.h - trace's window of finished records that nothing wanted yet (recent.c), so a
 * record linked to one retained a little later is found in the same pass.
 * Keys: kind 'q' (queue ids: qid, re-injection, bounce and next-hop ids), 'm' (Message-ID),
 * 's' (session id, decimal).
 */
#ifndef MSL_TRACE_RECENT_H
#define MSL_TRACE_RECENT_H

#include <stddef.h>

#include "mailsleuth/correlate.h"

struct trace_recent;

/* budget: bytes of records (with their lines) the window may hold; NULL on no memory. */
struct trace_recent *recent_new(size_t budget);
void recent_free(struct trace_recent *r);
/* Keeps a finished record (exactly one of m, s), taking ownership; the oldest ones leave
 * past the budget (freed; their keys go to the filter). */
void recent_add(struct trace_recent *r, struct msl_message *m, struct msl_session *s);
/* Every waiting record indexed under kind:value that want() accepts is taken out and
 * handed to got() (ownership passes).  Returns how many. */
size_t recent_claim(struct trace_recent *r, char kind, const char *value,
                    int (*want)(void *ctx, const struct msl_message *m,
                                const struct msl_session *s),
                    void (*got)(void *ctx, struct msl_message *m, struct msl_session *s),
                    void *ctx);
/* 1 when a record that left the window may have been indexed under kind:value (a Bloom
 * filter: false positives only cost another pass); 0 when surely not. */
int recent_maybe_dropped(const struct trace_recent *r, char kind, const char *value);

#endif
