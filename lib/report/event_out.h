/*
 * event_out.h - one event rendered for people and machines.  Shared by timeline and later
 * by search/export.  All log content is escaped for the target format.
 */
#ifndef MSL_REPORT_EVENT_OUT_H
#define MSL_REPORT_EVENT_OUT_H

#include "mailsleuth/envelope.h"
#include "mailsleuth/event.h"
#include "util/buf.h"

/* "2026-11-27T13:14:15.123456+01:00" in the zone (UTC when tz is NULL: "...Z"). */
void event_fmt_time(struct buf *b, const struct msl_tz *tz, long long us);
/* The event's message part as key=value text ("DELIVERY qid=... to=... status=sent"),
 * raw (not yet escaped for any output). */
void event_message(struct buf *b, const struct msl_event *e);
/* A JSON object with every present field plus evidence.  srcname may be NULL. */
void event_json(struct buf *b, const struct msl_event *e, const char *srcname,
                const struct msl_tz *tz);

#endif
