/*
 * exim_int.h - internals shared by the Exim dialect (exim.c, syslog-wrapped lines) and the
 * Exim file format (format_exim.c, mainlog/rejectlog/paniclog).  Not installed.
 */
#ifndef MSL_EXIM_INT_H
#define MSL_EXIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/event.h"

/*
 * An Exim message id at p[0..n): returns 1 for the <= 4.96 form "XXXXXX-XXXXXX-XX" (16),
 * 2 for the 4.97+ form "XXXXXX-XXXXXXXXXXX-XXXX" (23), 0 otherwise (base-62 digits only).
 * *utc_us (if not NULL) receives the reception time the id encodes (UTC microseconds; the
 * fraction only when it is a plausible sub-second value).
 */
int msl_exim_id(const char *p, size_t n, int64_t *utc_us);

/*
 * One Exim log message (after Exim's own stamp): "[pid] " and a message id are taken when
 * present, then the text is classified.  Views point into [p, end).  Returns 1 with *e
 * filled (kind, qid, ...), 0 with *why a static reason.  A bounce arrival "<= <> R=ORIG"
 * sets *bounce_of to ORIG (the format turns it into a DSN_CREATED link).
 */
int msl_exim_message(const char *p, const char *end, struct msl_event *e, const char **why,
                     struct msl_str *bounce_of);

/*
 * Exim's own stamp "YYYY-MM-DD HH:MM:SS[.fff][ +ZZZZ] " at p.  Returns the bytes consumed
 * (including the trailing space) or 0.  *local_us is the wall time as if UTC; *has_zone and
 * *off_s tell whether a " +ZZZZ" offset was present and its value in seconds.
 */
size_t msl_exim_stamp(const char *p, const char *end, int64_t *local_us, int *has_zone,
                      int32_t *off_s);

#endif
