/*
 * received.c - one Received header (RFC 5321 §4.4 "Time-stamp-line") as the common MTAs
 * write it; the clauses are read in any order, comments carry what they carry:
 *   Postfix    from HELO (RDNS [IP]) by HOST (Postfix) with ESMTPS id QID for <R>; DATE
 *   Exim       from RDNS ([IP] helo=HELO) by HOST with esmtps (TLS1.3) ... (Exim 4.96)
 *              (envelope-from <S>) id 1xWwmE-0003d0-0f for R; DATE
 *   Sendmail   from HELO (RDNS [IP]) by HOST (8.17.1/8.17.1/Debian-1) with ESMTP id QID
 *              for <R>; DATE
 *   OpenSMTPD  from HELO (RDNS [IP]) by HOST (OpenSMTPD) with ESMTP id 7f3d8a1b for <R>; DATE
 *   Exchange   from HOST (IP) by HOST (IP) with Microsoft SMTP Server (version=TLS1_2, ...)
 *              id 15.2.1118.40; DATE
 *   Gmail      from HELO (RDNS. [IP]) by mx.google.com with ESMTPS id X for <R> (version=TLS1_3
 *              cipher=...); DATE
 * Unknown clauses are skipped; every field is optional.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsleuth/headers.h"
#include "mailsleuth/mailsleuth.h"

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *word_end(const char *p, const char *end)
{
    while (p < end && *p != ' ' && *p != '\t' && *p != '(' && *p != ';')
        p++;
    return p;
}

/* A balanced "( ... )" comment starting at p ('('); returns the position after it. */
static const char *comment_end(const char *p, const char *end)
{
    int depth = 0;
    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
    }
    return end;
}

static int set(char **dst, const char *p, size_t n)
{
    if (*dst || !n)
        return MSL_OK;
    *dst = dupn(p, n);
    return *dst ? MSL_OK : MSL_ENOMEM;
}

static int is_ip_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == '.' || c == ':';
}

/* What the "from" clause's comment says: "RDNS [IP]", "[IP] helo=X", "IP" (Exchange). */
static int from_comment(struct msl_received *r, const char *p, const char *end)
{
    if (end <= p)
        return MSL_OK;
    const char *lb = memchr(p, '[', (size_t)(end - p));
    const char *rb = lb ? memchr(lb, ']', (size_t)(end - lb)) : NULL;
    int rc = MSL_OK;
    if (lb && rb) {
        const char *ip = lb + 1;
        if (rb - ip > 5 && !strncasecmp(ip, "IPv6:", 5))
            ip += 5;
        rc = set(&r->ip, ip, (size_t)(rb - ip));
        const char *s = ws(p, lb);
        const char *e = lb;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (rc == MSL_OK && e > s)
            rc = set(&r->rdns, s, (size_t)(e - s));
    } else {
        /* Exchange: "(10.0.0.5)"; or a bare name */
        const char *s = ws(p, end), *e = s;
        while (e < end && is_ip_char(*e))
            e++;
        if (e > s && e - s >= 3 && memchr(s, '.', (size_t)(e - s)) && (e == end || *e == ' '))
            rc = set(&r->ip, s, (size_t)(e - s));
        else if (e > s)
            rc = set(&r->rdns, s, (size_t)(word_end(s, end) - s));
    }
    const char *h = p;
    while (rc == MSL_OK && (h = memchr(h, 'h', (size_t)(end - h))) && end - h > 5) {
        if (!strncmp(h, "helo=", 5)) {
            const char *v = h + 5, *ve = v;
            while (ve < end && *ve != ' ' && *ve != ')')
                ve++;
            /* Exim: the comment's helo= is the client's name, the "from" word its rDNS */
            if (!r->rdns) {
                r->rdns = r->helo;
                r->helo = NULL;
            }
            free(r->helo);
            r->helo = NULL;
            rc = set(&r->helo, v, (size_t)(ve - v));
            break;
        }
        h++;
    }
    return rc;
}

/* TLS said in a protocol name (ESMTPS, ESMTPSA, esmtps, UTF8SMTPS...) or a comment. */
static int says_tls(const char *p, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (!strncasecmp(p + i, "TLS", 3) || (i + 5 <= n && !strncasecmp(p + i, "SMTPS", 5)))
            return 1; /* SMTPS, ESMTPS, ESMTPSA, UTF8SMTPS (RFC 3848, 6531) */
    return 0;
}

/* "[192.0.2.1]" as the from word (Exim without reverse DNS) is the address itself */
static int bracketed_ip(struct msl_received *r, char **field)
{
    char *v = *field;
    size_t n = v ? strlen(v) : 0;
    if (n < 3 || v[0] != '[' || v[n - 1] != ']' || r->ip)
        return MSL_OK;
    const char *ip = v + 1;
    if (n > 8 && !strncasecmp(ip, "IPv6:", 5))
        ip += 5;
    r->ip = dupn(ip, (size_t)(v + n - 1 - ip));
    free(v);
    *field = NULL;
    return r->ip ? MSL_OK : MSL_ENOMEM;
}

int msl_received_parse(const char *v, size_t n, struct msl_received *r)
{
    memset(r, 0, sizeof *r);
    if (!(r->raw = dupn(v, n)))
        return MSL_ENOMEM;
    const char *end = v + n;
    const char *semi = NULL;
    /* the date follows the last ';' outside comments */
    for (const char *p = v; p < end; p++) {
        if (*p == '(') {
            p = comment_end(p, end) - 1;
            continue;
        }
        if (*p == ';')
            semi = p;
    }
    const char *stop = semi ? semi : end;
    if (semi)
        r->ts = msl_hdr_date(semi + 1, (size_t)(end - semi - 1));
    const char *p = ws(v, stop);
    int rc = MSL_OK;
    enum { NONE, FROM, BY, WITH, ID, FOR, VIA } last = NONE;
    while (p < stop && rc == MSL_OK) {
        if (*p == '(') {
            const char *ce = comment_end(p, stop);
            if (last == FROM)
                rc = from_comment(r, p + 1, ce > p + 1 ? ce - 1 : ce);
            if (says_tls(p, (size_t)(ce - p)) && last != FROM)
                r->tls = 1;
            p = ws(ce, stop);
            continue;
        }
        const char *we = word_end(p, stop);
        size_t wn = (size_t)(we - p);
        const char *nx = ws(we, stop);
        const char *ve = word_end(nx, stop);
        size_t vn = (size_t)(ve - nx);
#define KW(s) (wn == sizeof(s) - 1 && !strncasecmp(p, s, wn))
        if (KW("from") && vn) {
            rc = set(&r->helo, nx, vn);
            last = FROM;
            p = ws(ve, stop);
        } else if (KW("by") && vn) {
            rc = set(&r->by, nx, vn);
            last = BY;
            p = ws(ve, stop);
        } else if (KW("with") && vn) {
            rc = set(&r->with, nx, vn);
            if (says_tls(nx, vn))
                r->tls = 1;
            last = WITH;
            p = ws(ve, stop);
        } else if (KW("id") && vn) {
            rc = set(&r->id, nx, vn);
            last = ID;
            p = ws(ve, stop);
        } else if (KW("for") && vn) {
            const char *a = nx, *ae = ve;
            if (*a == '<')
                a++;
            if (ae > a && ae[-1] == '>')
                ae--;
            rc = set(&r->for_addr, a, (size_t)(ae - a));
            last = FOR;
            p = ws(ve, stop);
        } else if (KW("via")) {
            last = VIA;
            p = nx;
        } else {
            p = ws(we > p ? we : p + 1, stop); /* an unknown word (Exchange's "Microsoft SMTP Server") */
        }
#undef KW
    }
    if (rc == MSL_OK)
        rc = bracketed_ip(r, &r->rdns);
    if (rc == MSL_OK)
        rc = bracketed_ip(r, &r->helo);
    return rc;
}
