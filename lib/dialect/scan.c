/*
 * scan.c - the scanners every dialect shares (scan.h): numbers, host[addr]:port,
 * <addresses>, SMTP replies, milter job ids.
 *
 * Every view set here points into the message bytes.  Hot path: no allocation, no libc
 * number parsing, no regex; each helper is one forward pass over its bytes.
 */
#include "dialect/scan.h"

static const double pow10_tab[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

int scan_decimal(const char **pp, const char *end, double *out)
{
    const char *p = *pp;
    int64_t ip = 0, fp = 0;
    int nf = 0;
    if (!scan_uint(&p, end, &ip))
        return 0;
    if (p < end && *p == '.') {
        const char *q = p + 1;
        while (q < end && scan_isdigit(*q)) {
            if (nf < 9) { /* finer than a nanosecond is noise */
                fp = fp * 10 + (*q - '0');
                nf++;
            }
            q++;
        }
        if (q > p + 1)
            p = q;
    }
    *out = (double)ip + (nf ? (double)fp / pow10_tab[nf] : 0.0);
    *pp = p;
    return 1;
}

int scan_hostaddr(const char **pp, const char *end, struct msl_str *host, struct msl_str *addr,
                int32_t *port)
{
    /*
     * The address is the right-most "[...]" of the token: the name before it may itself hold
     * brackets (a forged PTR, another MTA's name), and "a[10.0.0.1].x[192.0.2.7]" must not
     * give 10.0.0.1.  The token ends at a space, ',' or ';' (the address holds none).
     */
    const char *h = *pp, *te = h;
    while (te < end && *te != ' ' && *te != ',' && *te != ';')
        te++;
    for (const char *b = te; b > h;) {
        b--;
        if (*b != '[')
            continue;
        const char *p = b;
        struct msl_str a;
        int32_t pt = port ? *port : 0;
        if (!scan_bracket_addr(&p, end, 0, &a, &pt))
            continue;
        *host = b > h ? scan_sv(h, b) : MSL_STR_NULL;
        *addr = a;
        if (port)
            *port = pt;
        *pp = p;
        return 1;
    }
    return 0;
}

static int ip_char(char c)
{
    return scan_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.' || c == '%';
}

int scan_bracket_addr(const char **pp, const char *end, int only_ip, struct msl_str *addr,
                    int32_t *port)
{
    const char *p = *pp;
    if (p >= end || *p != '[')
        return 0;
    const char *a = ++p;
    while (p < end && *p != ']' && *p != ' ' && (!only_ip || ip_char(*p)))
        p++;
    if (p >= end || *p != ']' || (only_ip && p == a))
        return 0;
    *addr = scan_sv(a, p);
    p++;
    if (p + 1 < end && *p == ':' && scan_isdigit(p[1])) {
        const char *q = p + 1;
        int64_t v;
        if (scan_uint(&q, end, &v) && v <= 65535) {
            if (port)
                *port = (int32_t)v;
            p = q;
        }
    }
    *pp = p;
    return 1;
}

int scan_milter_jobid(const char **pp, const char *end, struct msl_event *e, const char *also)
{
    const char *p = *pp, *q = p;
    if (SCAN_LIT(&q, end, "(unknown-jobid): ") || SCAN_LIT(&q, end, "NOQUEUE: ")) {
        e->flags |= MSL_EVF_NOQUEUE;
        *pp = q;
        return 1;
    }
    while (q < end && q - p <= 40 && ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                                      (*q >= 'a' && *q <= 'z')))
        q++;
    int alt = also && q - p >= 5 && scan_starts(q, end, also, strlen(also));
    if (!alt && (q - p < 5 || q + 1 >= end || q[0] != ':' || q[1] != ' '))
        return 0;
    int64_t t = 0;
    if (msl_postfix_qid(p, (size_t)(q - p), &t) == 2)
        e->qid_time = t;
    e->qid = scan_sv(p, q);
    *pp = q + (alt ? 1 : 2);
    return 1;
}

int scan_addr(const char **pp, const char *end, struct msl_str *out)
{
    const char *p = *pp;
    if (p < end && *p == '<') {
        const char *q = memchr(p + 1, '>', (size_t)(end - p - 1));
        if (!q)
            return 0;
        *out = scan_sv(p + 1, q);
        *pp = q + 1;
        return 1;
    }
    const char *q = scan_span_until(p, end, ", ");
    *out = scan_sv(p, q);
    *pp = q;
    return 1;
}

/* "5.1.1" / "4.7.0" / "5.12.345": class digit, then two dot-separated numbers. */
static const char *scan_dsn(const char *p, const char *end)
{
    if (p + 5 > end || (*p != '2' && *p != '4' && *p != '5') || p[1] != '.')
        return NULL;
    const char *q = p + 2;
    const char *d = q;
    while (q < end && scan_isdigit(*q) && q - d < 3)
        q++;
    if (q == d || q >= end || *q != '.')
        return NULL;
    d = ++q;
    while (q < end && scan_isdigit(*q) && q - d < 3)
        q++;
    if (q == d || (q < end && *q != ' ' && *q != ';' && *q != ')'))
        return NULL;
    return q;
}

const char *scan_reply(const char *p, const char *end, struct msl_event *e)
{
    if (p + 3 <= end && scan_isdigit(p[0]) && scan_isdigit(p[1]) && scan_isdigit(p[2]) &&
        (p + 3 == end || p[3] == ' ' || p[3] == '-')) {
        e->code = scan_sv(p, p + 3);
        p += p + 3 < end ? 4 : 3;
    }
    const char *q = scan_dsn(p, end);
    if (q) {
        e->dsn = scan_sv(p, q);
        p = q < end && *q == ' ' ? q + 1 : q;
    }
    return p;
}
