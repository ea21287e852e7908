/*
 * record_json.h - messages and sessions (correlate.h) as JSON objects, with their evidence.
 * Shared by trace, search and (later) exports.  All strings are JSON-escaped.
 */
#ifndef MSL_REPORT_RECORD_JSON_H
#define MSL_REPORT_RECORD_JSON_H

#include "mailsleuth/correlate.h"
#include "mailsleuth/pipeline.h"
#include "util/buf.h"

const char *msl_msg_end_name(enum msl_msg_end e);
/* with_lines: include the evidence lines (and their text when kept). */
void message_json(struct buf *b, const struct msl_message *m, const struct msl_run *run,
                  int with_lines);
/* One recipient as a row of its own, with the message's keys (search --recipients). */
void recipient_json(struct buf *b, const struct msl_message *m, const struct msl_recipient *r,
                    const struct msl_run *run);
void session_json(struct buf *b, const struct msl_session *s, const struct msl_run *run,
                  int with_lines);

#endif
