/*
 * sendmail_int.h - internals shared by the Sendmail dialect files (sendmail.c: tag claims,
 * queue ids and the "key=value" lines of the envelope; sendmail_smtp.c: peers, SMTP-session,
 * milter, SYSERR and daemon lines).  Not installed.  The byte scanners are every dialect's
 * (dialect/scan.h) and so is the cursor convention: (p, end), nothing read at or beyond end,
 * no NUL termination assumed.
 */
#ifndef MSL_SENDMAIL_INT_H
#define MSL_SENDMAIL_INT_H

#include "dialect/scan.h"
#include "dialect/scan_compat.h" /* the kit's former pf_* names */

/*
 * Returns 1 when p[0..n) is a Sendmail queue id (FORMATS.md 4.2): 8 characters of
 * [0-9A-Za-z] holding the UTC year%60, month (0-11), day (1-31), hour (0-23), minute (0-59),
 * second (0-60) and a 2-character sequence, then the pid in 5 to 10 decimal digits.
 * *utc_us (when not NULL) receives the time it encodes, the year being the one of the
 * 60-year cycle within +-30 years of ref_us (UTC microseconds); 0 when the date does not
 * exist (Feb 30).
 */
int sm_qid(const char *p, size_t n, int64_t ref_us, int64_t *utc_us);

/* A peer as Sendmail writes it: "host [ip]", "[ip]", " [ip]" (no name), "[IPv6:a::b]",
 * "host [ip] (may be forged)", "[lit] [ip]" (delivery to a literal), "user@localhost". */
struct sm_peer {
    struct msl_str host; /* without a trailing '.'; NULL when none */
    struct msl_str ip;   /* without brackets and "IPv6:"; NULL when none */
    struct msl_str user; /* local submissions: "user" of "user@localhost" */
    int forged;          /* "(may be forged)" */
};

/* Scans "[host ][ip][ (may be forged)]" at *pp (the host has no spaces); advances *pp past
 * it.  Returns 0 (nothing taken) when there is no "[ip]" where it should be. */
int sm_peer_scan(const char **pp, const char *end, struct sm_peer *out);

/* A whole relay= value (any of the shapes above). */
void sm_peer_value(struct msl_str v, struct sm_peer *out);

/* Client side of an event from a peer: client_host/client_ip, uid for "user@host", and
 * "may be forged" in .detail when .detail is still free. */
void sm_peer_client(const struct sm_peer *pr, struct msl_event *e);

/* Lines that are not "key=value" lists: p..end is the message after any queue id.  Returns 1
 * with *e filled, 0 when the line is not understood. */
int sm_session_line(const char *p, const char *end, struct msl_event *e);

#endif
