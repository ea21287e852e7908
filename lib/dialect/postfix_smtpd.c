/*
 * postfix_smtpd.c - the receiving side: smtpd, postscreen (and tlsproxy's CONNECT/DISCONNECT),
 * and the "TLS connection established" line that smtpd and smtp share.
 *
 * Dispatch is on the first byte of the message (after any queue id), then one literal
 * compare; each shape is scanned once, left to right.  Views point into the message.
 */
#include "postfix_int.h"

/* "<what> after CMD[ (N bytes)] from h[a][: text]" - lost connection, timeout, ... */
static int after_from(const char *what, const char *p, const char *end, struct msl_event *e,
                      enum msl_kind kind)
{
    e->kind = kind;
    e->detail = scan_sv(what, p);
    if (!SCAN_LIT(&p, end, " after "))
        return 0;
    const char *f = SCAN_FIND(p, end, " from ");
    if (!f || f == p)
        return 0;
    const char *se = f;
    if (se - p > 7 && memcmp(se - 7, " bytes)", 7) == 0) { /* "DATA (7774180 bytes)" */
        const char *o = se - 7;
        while (o > p && *o != '(')
            o--;
        const char *d = o + 1;
        if (*o == '(' && scan_uint(&d, se, &e->count) && o > p && o[-1] == ' ')
            se = o - 1;
    }
    e->stage = scan_sv(p, se);
    p = f + 6;
    if (!scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port))
        return 0;
    if (SCAN_LIT(&p, end, ": "))
        e->text = scan_sv(p, end);
    return 1;
}

int pf_tls_line(const char *p, const char *end, struct msl_event *e, int inbound)
{
    const char *t = p;
    while (p < end && *p != ' ')
        p++;
    e->detail = scan_sv(t, p); /* Anonymous / Untrusted / Trusted / Verified */
    if (!SCAN_LIT(&p, end, " TLS connection established "))
        return 0;
    if (!(inbound ? SCAN_LIT(&p, end, "from ") : SCAN_LIT(&p, end, "to ")))
        return 0;
    e->kind = MSL_EV_TLS;
    int ok = inbound ? scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port)
                     : scan_hostaddr(&p, end, &e->relay_host, &e->relay_ip, &e->relay_port);
    if (!ok || !SCAN_LIT(&p, end, ": "))
        return 0;
    const char *v = p;
    p = scan_span_until(p, end, " ");
    e->tls = scan_sv(v, p);
    if (SCAN_LIT(&p, end, " with cipher ")) {
        v = p;
        p = scan_span_until(p, end, " ");
        e->tls_cipher = scan_sv(v, p);
        if (p < end && *p == ' ')
            p++;
        if (p < end)
            e->text = scan_sv(p, end); /* "(256/256 bits) key-exchange X25519 ..." */
    }
    return 1;
}

/* client=h[a][:port][, sasl_method=M, sasl_username=U, sasl_sender=S, orig_...] */
static int client_line(const char *p, const char *end, struct msl_event *e)
{
    e->kind = MSL_EV_RECEIVED;
    if (!scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port))
        return 0;
    while (SCAN_LIT(&p, end, ", ")) {
        struct msl_str *dst = NULL;
        if (SCAN_LIT(&p, end, "sasl_method="))
            dst = &e->sasl_method;
        else if (SCAN_LIT(&p, end, "sasl_username="))
            dst = &e->sasl_user;
        const char *v = p;
        p = scan_span_until(p, end, ",");
        if (dst)
            *dst = scan_sv(v, p);
    }
    return 1;
}

int pf_smtpd(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (p >= end)
        return 0;
    switch (*p) {
    case 'c':
        if (SCAN_LIT(&p, end, "connect from ")) {
            e->kind = MSL_EV_CONNECT;
            return scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port);
        }
        if (SCAN_LIT(&p, end, "client="))
            return client_line(p, end, e);
        break;
    case 'd':
        if (SCAN_LIT(&p, end, "disconnect from ")) {
            e->kind = MSL_EV_DISCONNECT;
            if (!scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port))
                return 0;
            if (SCAN_LIT(&p, end, " "))
                e->text = scan_sv(p, end); /* "ehlo=1 mail=1 rcpt=0/1 ... commands=3/5" */
            return 1;
        }
        if (SCAN_LIT(&p, end, "discarding EHLO keywords: ")) {
            e->kind = MSL_EV_INFO;
            e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'l':
        if (SCAN_LIT(&p, end, "lost connection"))
            return after_from(s, p, end, e, MSL_EV_DISCONNECT);
        break;
    case 't':
        if (SCAN_LIT(&p, end, "timeout") || SCAN_LIT(&p, end, "too many errors"))
            return after_from(s, p, end, e, MSL_EV_DISCONNECT);
        break;
    case 'i':
        if (SCAN_LIT(&p, end, "improper command pipelining"))
            return after_from(s, p, end, e, MSL_EV_POLICY);
        break;
    case 'b':
        if (SCAN_LIT(&p, end, "bare <LF> received"))
            return after_from(s, p, end, e, MSL_EV_POLICY);
        break;
    case 'S':
        if (SCAN_LIT(&p, end, "SSL_accept error")) {
            e->kind = MSL_EV_CONN_FAIL;
            e->detail = scan_sv(s, p);
            if (!SCAN_LIT(&p, end, " from ") ||
                !scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port))
                return 0;
            if (SCAN_LIT(&p, end, ": "))
                e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'A':
    case 'U':
    case 'T':
    case 'V':
        if (SCAN_FIND(p, end, " TLS connection established from "))
            return pf_tls_line(p, end, e, 1);
        break;
    default:
        break;
    }
    return pf_action_line(s, end, e);
}

/* smtpd "warning: ..." shapes with forensic value; p is after "warning: ". */
int pf_smtpd_warning(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (SCAN_LIT(&p, end, "hostname ")) {
        const char *h = p;
        p = scan_span_until(p, end, " ");
        struct msl_str host = scan_sv(h, p);
        if (SCAN_LIT(&p, end, " does not resolve to address ")) {
            const char *a = p;
            p = scan_span_until(p, end, " :");
            e->client_host = host;
            e->client_ip = scan_sv(a, p);
            e->text = scan_sv(s, end);
            return 1;
        }
        return 0;
    }
    if (SCAN_LIT(&p, end, "non-SMTP command from ")) {
        scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port);
        e->text = scan_sv(s, end);
        return 1;
    }
    struct msl_str h, a;
    int32_t port = -1;
    if (scan_hostaddr(&p, end, &h, &a, &port) && SCAN_LIT(&p, end, ": ")) {
        e->client_host = h;
        e->client_ip = a;
        e->client_port = port;
        e->text = scan_sv(p, end);
        if (SCAN_LIT(&p, end, "SASL ")) {
            const char *m = p;
            p = scan_span_until(p, end, " ");
            if (SCAN_STARTS(p, end, " authentication failed")) {
                e->kind = MSL_EV_AUTH_FAIL;
                e->sasl_method = scan_sv(m, p);
                const char *u = SCAN_RFIND(p, end, ", sasl_username=");
                if (u)
                    e->sasl_user = scan_sv(u + 16, end);
            }
        }
        return 1;
    }
    return 0;
}

/* "cache btree:/x full cleanup: retained=N dropped=M entries" (postscreen, verify). */
int pf_cache_cleanup(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (!SCAN_LIT(&p, end, "cache "))
        return 0;
    const char *c = SCAN_FIND(p, end, " cleanup: ");
    if (!c)
        return 0;
    const char *k = c;
    while (k > p && k[-1] != ' ')
        k--;
    e->kind = MSL_EV_STATS;
    e->detail = scan_sv(k, c + 8); /* "full cleanup" / "partial cleanup" */
    e->text = scan_sv(s, end);
    p = c + 10;
    if (SCAN_LIT(&p, end, "retained="))
        scan_uint(&p, end, &e->count);
    return 1;
}

int pf_postscreen(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (p >= end)
        return 0;
    if (*p == 'c')
        return pf_cache_cleanup(p, end, e);
    if (*p < 'A' || *p > 'Z')
        return pf_action_line(p, end, e);
    /* the verdict: a run of upper-case words ("PASS NEW", "COMMAND TIME LIMIT", "NON-SMTP") */
    while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '-' || *p == ' '))
        p++;
    const char *ve = p;
    while (ve > s && ve[-1] == ' ')
        ve--;
    if (ve == s)
        return 0;
    e->detail = scan_sv(s, ve);
    if (SCAN_STARTS(s, ve, "CONNECT") && ve - s == 7)
        e->kind = MSL_EV_CONNECT;
    else if (SCAN_STARTS(s, ve, "DISCONNECT") && ve - s == 10)
        e->kind = MSL_EV_DISCONNECT;
    else
        e->kind = MSL_EV_POLICY;
    if (e->kind != MSL_EV_POLICY)
        e->detail = MSL_STR_NULL;
    if (SCAN_LIT(&p, end, "rank ")) { /* DNSBL rank N for */
        scan_uint(&p, end, &e->count);
        SCAN_LIT(&p, end, " for ");
    }
    if (p < end && scan_isdigit(*p)) { /* PREGREET N after */
        scan_uint(&p, end, &e->count);
        SCAN_LIT(&p, end, " ");
    }
    if (SCAN_LIT(&p, end, "after ")) { /* PREGREET/HANGUP: seconds */
        scan_decimal(&p, end, &e->delay);
        SCAN_LIT(&p, end, " ");
    }
    SCAN_LIT(&p, end, "from ");
    if (!scan_hostaddr(&p, end, &e->client_host, &e->client_ip, &e->client_port))
        return 0;
    if (SCAN_LIT(&p, end, " to ")) { /* CONNECT ... to [server]:25: not modelled */
        struct msl_str h, a;
        scan_hostaddr(&p, end, &h, &a, NULL);
    }
    if (SCAN_LIT(&p, end, " after ")) {
        const char *c = p;
        p = scan_span_until(p, end, ":\r\n");
        e->stage = scan_sv(c, p);
    }
    if (SCAN_LIT(&p, end, ": ") || SCAN_LIT(&p, end, " in ") || SCAN_LIT(&p, end, " "))
        e->text = scan_sv(p, end);
    return 1;
}
