/*
 * parse.c - one message's header block (headers.h): unfolding, the fields the checks
 * need, RFC 2047 encoded words, RFC 5322 dates.
 *
 * Bounded: at most MSL_HDR_MAX bytes are looked at (a longer block is an error, named),
 * at most MSL_HDR_MAX_RECEIVED Received headers are kept (the rest counted).  A NUL byte
 * in the header block is an error too: no MTA writes one, a forger or a broken tool does.
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsleuth/envelope.h"
#include "mailsleuth/headers.h"
#include "mailsleuth/mailsleuth.h"
#include "util/buf.h"
#include "mailsleuth/calendar.h"

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

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                               : -1;
}

static int b64v(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
                                        : c >= '0' && c <= '9' ? c - '0' + 52
                                        : c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Appends the decoded text of one encoded word, converted to UTF-8 when it can be. */
static int encoded_word(struct buf *b, const char *cs, size_t csn, char enc, const char *t,
                        size_t tn)
{
    struct buf raw;
    buf_init(&raw, MSL_HDR_MAX);
    if (enc == 'Q' || enc == 'q') {
        for (size_t i = 0; i < tn; i++) {
            if (t[i] == '_')
                buf_addc(&raw, ' ');
            else if (t[i] == '=' && i + 2 < tn && hexv(t[i + 1]) >= 0 && hexv(t[i + 2]) >= 0) {
                buf_addc(&raw, (char)(hexv(t[i + 1]) * 16 + hexv(t[i + 2])));
                i += 2;
            } else
                buf_addc(&raw, t[i]);
        }
    } else {
        unsigned acc = 0;
        int bits = 0;
        for (size_t i = 0; i < tn; i++) {
            int v = b64v((unsigned char)t[i]);
            if (v < 0)
                continue;
            acc = (acc << 6) | (unsigned)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                buf_addc(&raw, (char)((acc >> bits) & 0xff));
            }
        }
    }
    char csz[64];
    int ok = 0;
    if (csn < sizeof csz && !raw.err) {
        memcpy(csz, cs, csn);
        csz[csn] = '\0';
        char *star = strchr(csz, '*'); /* RFC 2231 language suffix */
        if (star)
            *star = '\0';
        if (!strcasecmp(csz, "utf-8") || !strcasecmp(csz, "us-ascii")) {
            buf_add(b, raw.p ? raw.p : "", raw.n);
            ok = 1;
        } else {
            iconv_t cd = iconv_open("UTF-8", csz);
            if (cd != (iconv_t)-1) {
                char out[4096];
                char *in = raw.p;
                size_t inl = raw.n;
                ok = 1;
                while (inl > 0) {
                    char *o = out;
                    size_t ol = sizeof out;
                    size_t r = iconv(cd, &in, &inl, &o, &ol);
                    buf_add(b, out, sizeof out - ol);
                    if (r == (size_t)-1 && o == out) { /* undecodable: keep the rest raw */
                        buf_add(b, in, inl);
                        break;
                    }
                }
                iconv_close(cd);
            }
        }
    }
    if (!ok) /* unknown charset: the bytes as they are (escaped on output) */
        buf_add(b, raw.p ? raw.p : "", raw.n);
    buf_free(&raw);
    return b->err ? MSL_ENOMEM : MSL_OK;
}

/* RFC 2047: "=?charset?Q?...?=" / "?B?"; whitespace between two encoded words is dropped. */
static char *decode_words(const char *p, size_t n)
{
    struct buf b;
    buf_init(&b, MSL_HDR_MAX);
    size_t i = 0, pending_ws = 0, ws_at = 0;
    int last_encoded = 0;
    while (i < n) {
        if (p[i] == '=' && i + 1 < n && p[i + 1] == '?') {
            const char *cs = p + i + 2, *end = p + n;
            const char *q1 = memchr(cs, '?', (size_t)(end - cs));
            if (q1 && q1 + 2 < end && q1[2] == '?' && strchr("QqBb", q1[1])) {
                const char *t = q1 + 3;
                const char *q2 = t;
                while (q2 + 1 < end && !(q2[0] == '?' && q2[1] == '='))
                    q2++;
                if (q2 + 1 < end) {
                    if (!last_encoded && pending_ws)
                        buf_add(&b, p + ws_at, pending_ws);
                    pending_ws = 0;
                    encoded_word(&b, cs, (size_t)(q1 - cs), q1[1], t, (size_t)(q2 - t));
                    i = (size_t)(q2 + 2 - p);
                    last_encoded = 1;
                    continue;
                }
            }
        }
        if (p[i] == ' ' || p[i] == '\t') {
            if (!pending_ws)
                ws_at = i;
            pending_ws++;
            i++;
            continue;
        }
        if (pending_ws)
            buf_add(&b, p + ws_at, pending_ws);
        pending_ws = 0;
        last_encoded = 0;
        buf_addc(&b, p[i++]);
    }
    if (pending_ws)
        buf_add(&b, p + ws_at, pending_ws);
    char *s = b.err ? NULL : dupn(b.p ? b.p : "", b.n);
    buf_free(&b);
    return s;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
        p++;
    return p;
}

static int num(const char **pp, const char *end, int maxd, int *v)
{
    const char *p = *pp;
    int n = 0, d = 0;
    while (p < end && *p >= '0' && *p <= '9' && d < maxd) {
        n = n * 10 + (*p - '0');
        p++;
        d++;
    }
    if (!d)
        return 0;
    *v = n;
    *pp = p;
    return 1;
}

int64_t msl_hdr_date(const char *s, size_t n)
{
    static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *p = s, *end = s + n;
    p = skip_ws(p, end);
    if (end - p >= 4 && p[3] == ',') /* day of week */
        p = skip_ws(p + 4, end);
    int d, y, h, mi, sec = 0, mo = 0;
    if (!num(&p, end, 2, &d))
        return 0;
    p = skip_ws(p, end);
    if (end - p < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(p, mons + 3 * i, 3))
            mo = i + 1;
    if (!mo)
        return 0;
    p = skip_ws(p + 3, end);
    if (!num(&p, end, 4, &y))
        return 0;
    if (y < 100)
        y += y < 50 ? 2000 : 1900;
    p = skip_ws(p, end);
    if (!num(&p, end, 2, &h) || p >= end || *p != ':')
        return 0;
    p++;
    if (!num(&p, end, 2, &mi))
        return 0;
    if (p < end && *p == ':') {
        p++;
        if (!num(&p, end, 2, &sec))
            return 0;
    }
    p = skip_ws(p, end);
    int off = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p == '-' ? -1 : 1, z;
        p++;
        const char *q = p;
        if (!num(&p, end, 4, &z) || p - q != 4)
            return 0;
        off = sign * ((z / 100) * 3600 + (z % 100) * 60);
    } else if (end - p >= 3 && !strncasecmp(p, "EDT", 3)) {
        off = -4 * 3600;
    } else if (end - p >= 3 && (!strncasecmp(p, "EST", 3) || !strncasecmp(p, "CDT", 3))) {
        off = -5 * 3600;
    } else if (end - p >= 3 && (!strncasecmp(p, "CST", 3) || !strncasecmp(p, "MDT", 3))) {
        off = -6 * 3600;
    } else if (end - p >= 3 && (!strncasecmp(p, "MST", 3) || !strncasecmp(p, "PDT", 3))) {
        off = -7 * 3600;
    } else if (end - p >= 3 && !strncasecmp(p, "PST", 3)) {
        off = -8 * 3600;
    } /* GMT, UT, Z and unknown zones: +0000 (RFC 5322 §4.3) */
    if (mo < 1 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    int64_t t = msl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return t * 1000000;
}

void msl_received_free(struct msl_received *r)
{
    if (!r)
        return;
    free(r->raw);
    free(r->helo);
    free(r->rdns);
    free(r->ip);
    free(r->by);
    free(r->with);
    free(r->id);
    free(r->for_addr);
    memset(r, 0, sizeof *r);
}

void msl_hdr_msg_free(struct msl_hdr_msg *m)
{
    if (!m)
        return;
    free(m->msgid);
    free(m->from);
    free(m->to);
    free(m->subject);
    for (size_t i = 0; i < m->nrcv; i++)
        msl_received_free(&m->rcv[i]);
    free(m->rcv);
    free(m->auth_results);
    free(m->dkim_domain);
    free(m->error);
    memset(m, 0, sizeof *m);
}

static int is_name(const char *name, size_t nn, const char *lit)
{
    return strlen(lit) == nn && strncasecmp(name, lit, nn) == 0;
}

/* "<id@host>" -> "id@host" (the first <...>, or the trimmed value) */
static char *msgid_of(const char *v, size_t n)
{
    const char *lt = memchr(v, '<', n);
    const char *gt = lt ? memchr(lt, '>', (size_t)(v + n - lt)) : NULL;
    if (lt && gt)
        return dupn(lt + 1, (size_t)(gt - lt - 1));
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return dupn(v, n);
}

static char *dkim_d(const char *v, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if ((i == 0 || v[i - 1] == ';' || v[i - 1] == ' ' || v[i - 1] == '\t') && v[i] == 'd' &&
            v[i + 1] == '=') {
            size_t j = i + 2, k = j;
            while (k < n && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
                k++;
            return dupn(v + j, k - j);
        }
    }
    return NULL;
}

static int fail(struct msl_hdr_msg *m, const char *why)
{
    free(m->error);
    m->error = dupn(why, strlen(why));
    return m->error ? MSL_OK : MSL_ENOMEM;
}

/* One header: name and unfolded value (folding CRLF/LF + WSP become one space). */
static int header(struct msl_hdr_msg *m, const char *name, size_t nn, const char *v, size_t vn)
{
    char **slot = NULL;
    if (is_name(name, nn, "Received")) {
        if (m->nrcv >= MSL_HDR_MAX_RECEIVED) {
            m->rcv_dropped++;
            return MSL_OK;
        }
        struct msl_received *n = realloc(m->rcv, (m->nrcv + 1) * sizeof *n);
        if (!n)
            return MSL_ENOMEM;
        m->rcv = n;
        return msl_received_parse(v, vn, &m->rcv[m->nrcv++]);
    }
    if (is_name(name, nn, "Message-ID")) {
        if (!m->msgid && !(m->msgid = msgid_of(v, vn)))
            return MSL_ENOMEM;
        return MSL_OK;
    }
    if (is_name(name, nn, "Date")) {
        if (!m->date)
            m->date = msl_hdr_date(v, vn);
        return MSL_OK;
    }
    if (is_name(name, nn, "DKIM-Signature")) {
        if (!m->dkim_domain)
            m->dkim_domain = dkim_d(v, vn);
        return MSL_OK;
    }
    if (is_name(name, nn, "From"))
        slot = &m->from;
    else if (is_name(name, nn, "To"))
        slot = &m->to;
    else if (is_name(name, nn, "Subject"))
        slot = &m->subject;
    else if (is_name(name, nn, "Authentication-Results"))
        slot = &m->auth_results;
    if (slot && !*slot) {
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        if (!(*slot = decode_words(v, vn)))
            return MSL_ENOMEM;
    }
    return MSL_OK;
}

int msl_hdr_parse(const char *p, size_t n, struct msl_hdr_msg *m)
{
    if (n > MSL_HDR_MAX) {
        /* only the header block counts: is its end within the limit? */
        const char *e = NULL;
        for (size_t i = 0; i + 1 < MSL_HDR_MAX && !e; i++)
            if (p[i] == '\n' && (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < n &&
                                                      p[i + 2] == '\n')))
                e = p + i;
        if (!e)
            return fail(m, "header block longer than 1 MiB (not read)");
        n = (size_t)(e - p) + 1;
    }
    struct buf val;
    buf_init(&val, MSL_HDR_MAX);
    const char *end = p + n, *q = p;
    int rc = MSL_OK, seen = 0;
    while (q < end && rc == MSL_OK) {
        const char *eol = memchr(q, '\n', (size_t)(end - q));
        const char *le = eol ? eol : end;
        if (le > q && le[-1] == '\r')
            le--;
        if (le == q)
            break; /* the empty line: the body begins */
        if (memchr(q, '\0', (size_t)(le - q))) {
            rc = fail(m, "NUL byte in the header block");
            break;
        }
        const char *colon = memchr(q, ':', (size_t)(le - q));
        if (!colon || colon == q || *q == ' ' || *q == '\t') {
            if (!seen && le - q > 5 && !memcmp(q, "From ", 5)) { /* an mbox separator */
                q = eol ? eol + 1 : end;
                continue;
            }
            rc = fail(m, seen ? "a header line without a name (broken folding)"
                              : "no header at the start of the message");
            break;
        }
        const char *name = q;
        size_t nn = (size_t)(colon - q);
        while (nn && (name[nn - 1] == ' ' || name[nn - 1] == '\t'))
            nn--;
        buf_reset(&val);
        buf_add(&val, colon + 1, (size_t)(le - colon - 1));
        q = eol ? eol + 1 : end;
        /* continuation lines */
        while (q < end && (*q == ' ' || *q == '\t')) {
            const char *e2 = memchr(q, '\n', (size_t)(end - q));
            const char *l2 = e2 ? e2 : end;
            if (l2 > q && l2[-1] == '\r')
                l2--;
            buf_addc(&val, ' ');
            const char *s = q;
            while (s < l2 && (*s == ' ' || *s == '\t'))
                s++;
            buf_add(&val, s, (size_t)(l2 - s));
            q = e2 ? e2 + 1 : end;
        }
        if (val.err) {
            rc = MSL_ENOMEM;
            break;
        }
        seen = 1;
        rc = header(m, name, nn, val.p ? val.p : "", val.n);
    }
    if (rc == MSL_OK && !m->error && !seen)
        rc = fail(m, "no headers");
    if (rc == MSL_OK && !m->error && !m->nrcv)
        rc = fail(m, "no Received header: the message names no server to check");
    buf_free(&val);
    return rc;
}
