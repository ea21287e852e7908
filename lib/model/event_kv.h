/*
 * event_kv.h - one event as one "key=value ..." line, for golden tests and debugging.
 * Internal (not installed).
 */
#ifndef MSL_EVENT_KV_H
#define MSL_EVENT_KV_H

#include <stddef.h>

#include "mailsleuth/event.h"

/*
 * Writes "kind=DELIVERY qid=... to=... status=sent ..." into buf (always NUL-terminated when
 * cap > 0).  Keys come in a fixed order and only present fields are written; values with
 * spaces, quotes, '\' or control bytes are written "quoted" with \" \\ \n \r \t \xHH escapes;
 * invalid UTF-8 and C1 controls are \xHH too, so the line is safe on a terminal;
 * a present but empty view is written as key="".  Returns the length the full line needs
 * (like snprintf): a result >= cap means it was truncated.
 */
int msl_event_format_kv(const struct msl_event *e, char *buf, size_t cap);

#endif
