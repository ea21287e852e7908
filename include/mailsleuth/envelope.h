/*
 * envelope.h - the wrapper around each log message: timestamp, host, program tag, pid.
 *
 * Recognised layouts (auto-detected per line, cached per source):
 *   RFC 3164 / BSD syslog        "Nov 27 13:14:15 mx1 postfix/smtpd[123]: msg"  (also "<mail.info>"
 *                                 after the stamp from syslogd -v, and Postfix maillog_file lines)
 *   journalctl -o short           same as RFC 3164 with a zero-padded day
 *   RFC 3339 / rsyslog FileFormat "2026-11-27T13:14:15.123456+01:00 mx1 postfix/smtpd[123]: msg"
 *                                 (offsets +01:00, +0100, Z; fraction optional; space for 'T' ok;
 *                                 no offset = local time)
 *   journalctl -o short-iso[-precise] "2026-11-27T13:14:15+0100 mx1 ..."
 *   RFC 5424                      "<22>1 2026-11-27T13:14:15.1Z mx1 postfix/smtpd 123 - - msg"
 *   journalctl -o json            one JSON object per line (__REALTIME_TIMESTAMP, _HOSTNAME,
 *                                 SYSLOG_IDENTIFIER, SYSLOG_PID/_PID, MESSAGE)
 *
 * Times are converted to UTC microseconds.  Zone-less stamps use the configured zone (--tz,
 * default: the machine's zone).  Year-less stamps get their year from the source's
 * modification time: the first stamp's year is the mtime's year, or the year before when
 * that stamp would lie more than a day after the mtime; a month going backwards (Dec -> Jan)
 * moves to the next year.  --year fixes the starting year instead.
 *
 * Ownership: the views in struct msl_envelope point into the line, or (for JSON, where the
 * message is unescaped) into the parser's own scratch buffer; valid until the next call.
 */
#ifndef MAILSLEUTH_ENVELOPE_H
#define MAILSLEUTH_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h" /* declared here before; kept for its users */
#include "event.h"
#include "tz.h"

#ifdef __cplusplus
extern "C" {
#endif

enum msl_env_format {
    MSL_ENV_UNKNOWN = 0,
    MSL_ENV_RFC3164,  /* also journalctl -o short and Postfix maillog_file */
    MSL_ENV_RFC3339,  /* also rsyslog FileFormat and journalctl short-iso(-precise) */
    MSL_ENV_RFC5424,
    MSL_ENV_JOURNAL_JSON,
    MSL_ENV__COUNT
};

struct msl_envelope {
    enum msl_env_format format;
    int64_t ts;              /* UTC microseconds */
    uint32_t flags;          /* MSL_EVF_LOCAL_TIME, MSL_EVF_YEAR_GUESS */
    struct msl_str host;     /* may be empty (Postfix maillog_file has a host; metalog has none) */
    struct msl_str program;  /* tag without "[pid]" and without ":" */
    int64_t pid;             /* -1 when absent */
    struct msl_str msg;      /* the message after "tag[pid]: " */
};

struct msl_envelope_parser;

/*
 * Creates a parser for one source.  tz must outlive the parser.  mtime is the source's
 * modification time (seconds); year > 0 overrides the year inference.
 */
struct msl_envelope_parser *msl_envelope_new(const struct msl_tz *tz, int64_t mtime, int year);
void msl_envelope_free(struct msl_envelope_parser *ep);

/*
 * Parses one line.  Returns 0 on success, or a negative MSL_E* code with *why set to a static
 * reason ("no timestamp", "bad month", ...) when the line has no recognisable envelope.
 */
int msl_envelope_parse(struct msl_envelope_parser *ep, const char *line, size_t n,
                       struct msl_envelope *out, const char **why);

const char *msl_env_format_name(enum msl_env_format f);

/*
 * Low-level scanners, exported for tests and other dialects.  Each returns the number of
 * bytes consumed, or 0 when the text does not match.
 *   rfc3339: "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM]"; *has_zone tells whether an offset
 *            was present; *utc_us is UTC when it was, else local wall time as if UTC.
 */
size_t msl_scan_rfc3339(const char *p, size_t n, int64_t *utc_us, int *has_zone);

#ifdef __cplusplus
}
#endif
#endif
