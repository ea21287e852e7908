/*
 * postfix_smtp.c - the sending side: smtp/lmtp connection problems, outbound TLS and SASL,
 * and the per-recipient delivery lines that every delivery agent (smtp, lmtp, local,
 * virtual, pipe, error, retry, discard) and qmgr write as "to=<..>, relay=.., status=..".
 */
#include "postfix_int.h"

/* "h[a][:port]" then what follows: returns the position after the host or NULL. */
static const char *relay_at(const char *p, const char *end, struct msl_event *e)
{
    if (!scan_hostaddr(&p, end, &e->relay_host, &e->relay_ip, &e->relay_port))
        return NULL;
    return p;
}

/* "REPLY (in reply to X command)": reply to .text, X to .stage. */
static void reply_in_reply_to(const char *p, const char *end, struct msl_event *e)
{
    p = scan_reply(p, end, e);
    const char *r = SCAN_RFIND(p, end, " (in reply to ");
    if (r) {
        const char *st = r + 14, *se = SCAN_FIND(st, end, " command)");
        if (se)
            e->stage = scan_sv(st, se);
        e->text = scan_sv(p, r);
    } else {
        e->text = scan_sv(p, end);
    }
}

int pf_smtp(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (p >= end)
        return 0;
    switch (*p) {
    case 't':
        if (SCAN_STARTS(p, end, "to=")) {
            e->kind = MSL_EV_DELIVERY;
            return pf_kv(p, end, e) > 0 && e->status != MSL_ST_NONE;
        }
        break;
    case 'c':
        if (SCAN_LIT(&p, end, "connect to ")) {
            e->kind = MSL_EV_CONN_FAIL;
            if (!(p = relay_at(p, end, e))) {
                /* legacy "connect to host: reason" */
                p = s + 11;
                const char *h = p;
                p = scan_span_until(p, end, ":");
                e->relay_host = scan_sv(h, p);
            }
            if (SCAN_LIT(&p, end, ": ") || SCAN_LIT(&p, end, ":"))
                e->text = scan_sv(p, end);
            return 1;
        }
        if (SCAN_LIT(&p, end, "conversation with ")) {
            e->kind = MSL_EV_CONN_FAIL;
            if (!(p = relay_at(p, end, e)))
                return 0;
            const char *d = p + 1;
            if (SCAN_LIT(&p, end, " timed out")) {
                e->detail = scan_sv(d, p);
                if (SCAN_LIT(&p, end, " while "))
                    e->stage = scan_sv(p, end);
            }
            return 1;
        }
        if (SCAN_LIT(&p, end, "certificate verification failed for ")) {
            e->kind = MSL_EV_TLS;
            e->detail = scan_sv(s, s + 31);
            if (!(p = relay_at(p, end, e)))
                return 0;
            if (SCAN_LIT(&p, end, ": "))
                e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'l':
        if (SCAN_LIT(&p, end, "lost connection with ")) {
            e->kind = MSL_EV_CONN_FAIL;
            e->detail = scan_sv(s, s + 15);
            if (!(p = relay_at(p, end, e)))
                return 0;
            if (SCAN_LIT(&p, end, " while "))
                e->stage = scan_sv(p, end);
            return 1;
        }
        break;
    case 'h':
        if (SCAN_LIT(&p, end, "host ")) {
            e->kind = MSL_EV_CONN_FAIL;
            if (!(p = relay_at(p, end, e)))
                return 0;
            if (SCAN_LIT(&p, end, " said: ")) {
                reply_in_reply_to(p, end, e);
                return 1;
            }
            if (SCAN_LIT(&p, end, " ")) {
                const char *d = p, *c = SCAN_FIND(p, end, ": ");
                e->detail = scan_sv(d, c ? c : end); /* "refused to talk to me" */
                if (c) {
                    p = scan_reply(c + 2, end, e);
                    e->text = scan_sv(p, end);
                }
                return 1;
            }
            return 0;
        }
        break;
    case 'C':
        if (SCAN_LIT(&p, end, "Cannot start TLS: ")) {
            e->kind = MSL_EV_CONN_FAIL;
            e->detail = scan_sv(s, s + 16);
            e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'S':
        if (SCAN_LIT(&p, end, "SASL authentication failed; server ")) {
            e->kind = MSL_EV_AUTH_FAIL;
            if (!(p = relay_at(p, end, e)))
                return 0;
            if (SCAN_LIT(&p, end, " said: "))
                reply_in_reply_to(p, end, e);
            return 1;
        }
        if (SCAN_LIT(&p, end, "SSL_connect error to ")) {
            e->kind = MSL_EV_CONN_FAIL;
            e->detail = scan_sv(s, s + 17);
            if (!(p = relay_at(p, end, e)))
                return 0;
            if (SCAN_LIT(&p, end, ": "))
                e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'd':
        if (SCAN_LIT(&p, end, "discarding EHLO keywords: ")) {
            e->kind = MSL_EV_INFO;
            e->text = scan_sv(p, end);
            return 1;
        }
        break;
    case 'e':
        if (SCAN_LIT(&p, end, "enabling PIX workarounds: ")) {
            e->kind = MSL_EV_INFO;
            const char *f = SCAN_RFIND(p, end, " for ");
            if (!f)
                return 0;
            e->text = scan_sv(p, f);
            p = f + 5;
            return relay_at(p, end, e) != NULL;
        }
        break;
    case 'A':
    case 'U':
    case 'T':
    case 'V':
        if (SCAN_FIND(p, end, " TLS connection established to "))
            return pf_tls_line(p, end, e, 0);
        break;
    default:
        break;
    }
    return 0;
}
