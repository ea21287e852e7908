/*
 * handoff.h - parse ‖ fold (handoff.c): events, unparsed lines and problems copied in
 * batches to one consumer thread that calls the sink in input order.  Internal.
 */
#ifndef MSL_MODEL_HANDOFF_H
#define MSL_MODEL_HANDOFF_H

#include "mailsleuth/pipeline.h"

struct msl_handoff;

/* Starts the consumer thread for sink->event; NULL when no thread could be made. */
struct msl_handoff *msl_handoff_start(const struct msl_sink *sink);
/* Copies the event for the consumer.  Returns 1 when the run should stop (the sink said
 * so, or memory ran out: msl_handoff_finish then says MSL_ENOMEM). */
int msl_handoff_event(struct msl_handoff *h, const struct msl_event *e);
/* The same for the sink's unparsed and problem callbacks (which must be set). */
void msl_handoff_unparsed(struct msl_handoff *h, const struct msl_line *ln, const char *why);
void msl_handoff_problem(struct msl_handoff *h, enum msl_problem_kind k, const char *name,
                         const char *msg);
/* Hands over the rest, waits for the consumer, frees.  MSL_OK or MSL_ENOMEM. */
int msl_handoff_finish(struct msl_handoff *h);

#endif
