/*
 * scan.h - the byte scanners every dialect shares (views, literals, searches, numbers,
 * host[addr]:port, <addresses>, SMTP replies, milter job ids).  Not installed.
 *
 * Scanner convention (STYLE 3.5): a cursor is (const char **pp, const char *end); a scanner
 * advances *pp only when it matches and returns non-zero, so calls chain with && / ||.
 * Nothing here reads at or beyond `end`, and nothing assumes NUL termination.
 */
#ifndef MSL_DIALECT_SCAN_H
#define MSL_DIALECT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mailsleuth/dialect.h"

static inline struct msl_str scan_sv(const char *a, const char *b)
{
    return (struct msl_str){a, (size_t)(b - a)};
}

/* Matches the literal at *pp and skips it. */
static inline int scan_lit(const char **pp, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - *pp) >= n && memcmp(*pp, s, n) == 0) {
        *pp += n;
        return 1;
    }
    return 0;
}
#define SCAN_LIT(pp, end, s) scan_lit((pp), (end), (s), sizeof(s) - 1)

static inline int scan_starts(const char *p, const char *end, const char *s, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}
#define SCAN_STARTS(p, end, s) scan_starts((p), (end), (s), sizeof(s) - 1)

/* First occurrence of s[0..n) in [p, end), or NULL. */
static inline const char *scan_find(const char *p, const char *end, const char *s, size_t n)
{
    while ((size_t)(end - p) >= n) {
        const char *q = memchr(p, s[0], (size_t)(end - p) - n + 1);
        if (!q)
            return NULL;
        if (memcmp(q, s, n) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}
#define SCAN_FIND(p, end, s) scan_find((p), (end), (s), sizeof(s) - 1)

/* Last occurrence of s[0..n) in [p, end), or NULL. */
static inline const char *scan_rfind(const char *p, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - p) < n)
        return NULL;
    for (const char *q = end - n;; q--) {
        if (*q == s[0] && memcmp(q, s, n) == 0)
            return q;
        if (q == p)
            return NULL;
    }
}
#define SCAN_RFIND(p, end, s) scan_rfind((p), (end), (s), sizeof(s) - 1)

static inline int scan_isdigit(char c)
{
    return c >= '0' && c <= '9';
}

/* Unsigned decimal, at most 18 digits (no overflow). */
static inline int scan_uint(const char **pp, const char *end, int64_t *out)
{
    const char *p = *pp;
    int64_t v = 0;
    while (p < end && scan_isdigit(*p) && p - *pp < 18)
        v = v * 10 + (*p++ - '0');
    if (p == *pp)
        return 0;
    *pp = p;
    *out = v;
    return 1;
}

/* Token up to (not including) any byte of `stops`, or end; may be empty. */
static inline const char *scan_span_until(const char *p, const char *end, const char *stops)
{
    while (p < end && !strchr(stops, *p))
        p++;
    return p;
}

/* Non-negative decimal "12", "0.25", "63495" by hand (no strtod). */
int scan_decimal(const char **pp, const char *end, double *out);

/*
 * "host[addr]" with optional ":port".  host may be empty ("[1.2.3.4]:25", postscreen);
 * addr is an IP, "unknown", or a socket path ("private/dovecot-lmtp").  addr is the token's
 * right-most bracket, so a host holding "[x]" cannot pass for the address.
 */
int scan_hostaddr(const char **pp, const char *end, struct msl_str *host, struct msl_str *addr,
                int32_t *port);

/*
 * "[addr]" with an optional ":port" (0..65535), *pp at '['; *port is left alone when there is
 * none.  addr runs to ']' and may not hold a space; with only_ip it may hold only hex digits,
 * '.', ':' and '%' (a zone), so "[not an ip]" is no match.  Moves *pp past it.
 */
int scan_bracket_addr(const char **pp, const char *end, int only_ip, struct msl_str *addr,
                    int32_t *port);

/*
 * A milter's "<jobid>: " prefix (OpenDKIM, OpenDMARC): the MTA's queue id from macro i, 5..41
 * letters and digits, into e->qid (and e->qid_time for a Postfix long id);
 * "(unknown-jobid): " and "NOQUEUE: " set MSL_EVF_NOQUEUE instead.  When also is given, the
 * id may be followed by it instead of ": " (*pp then stops after the id's space).  Returns 1
 * and moves *pp past the prefix, 0 when the line has none.
 */
int scan_milter_jobid(const char **pp, const char *end, struct msl_event *e, const char *also);

/* Address value: "<a@b>" (without the brackets; "<>" gives an empty, non-NULL view) or a
 * bare token up to ',' / ' ' / end. */
int scan_addr(const char **pp, const char *end, struct msl_str *out);

/* "250 2.0.0 text": sets code and dsn (when present) and returns the text start. */
const char *scan_reply(const char *p, const char *end, struct msl_event *e);

#endif
