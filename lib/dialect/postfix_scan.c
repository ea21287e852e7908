/*
 * postfix_scan.c - the "key=value, ..." lists of Postfix deliveries/qmgr/pickup, and the
 * "action: STAGE from host[addr]: reply; from=<> to=<> proto= helo=<>" lines that smtpd,
 * postscreen and cleanup share (the byte scanners under them: scan.c).
 *
 * Every view set here points into the message bytes.  Hot path: no allocation, no libc
 * number parsing, no regex; each helper is one forward pass over its bytes.
 */
#include "postfix_int.h"

static enum msl_status status_of(struct msl_str w)
{
    static const struct {
        const char *s;
        size_t n;
        enum msl_status st;
    } tab[] = {
        {"sent", 4, MSL_ST_SENT},
        {"deferred", 8, MSL_ST_DEFERRED},
        {"bounced", 7, MSL_ST_BOUNCED},
        {"expired", 7, MSL_ST_EXPIRED},
        {"undeliverable", 13, MSL_ST_UNDELIVERABLE}, /* also "-but-not-cached" */
        {"deliverable", 11, MSL_ST_DELIVERABLE},
        {"discarded", 9, MSL_ST_DISCARDED},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (w.n >= tab[i].n && memcmp(w.p, tab[i].s, tab[i].n) == 0 &&
            (w.n == tab[i].n || w.p[tab[i].n] == '-'))
            return tab[i].st;
    return MSL_ST_OTHER;
}

/* "(text)" after status=: text runs to the last ')' of the line. */
static void status_text(const char *p, const char *end, struct msl_event *e)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (p < end && *p == '(') {
        const char *q = end;
        while (q > p + 1 && q[-1] != ')')
            q--;
        if (q > p + 1)
            end = q - 1;
        p++;
    }
    e->text = scan_sv(p, end);
    if (e->status == MSL_ST_SENT && SCAN_FIND(p, end, "forwarded as "))
        e->status = MSL_ST_FORWARDED;
    const char *qa = SCAN_FIND(p, end, "queued as ");
    if (qa) {
        const char *id = qa + 10, *ie = id;
        while (ie < end && ((*ie >= '0' && *ie <= '9') || (*ie >= 'A' && *ie <= 'Z') ||
                            (*ie >= 'a' && *ie <= 'z')))
            ie++;
        if (msl_postfix_qid(id, (size_t)(ie - id), NULL))
            e->new_qid = scan_sv(id, ie);
    }
    /* A leading SMTP reply code is worth having for grouping ("250", "550"). */
    if (!e->code.p && p + 4 <= end && scan_isdigit(p[0]) && scan_isdigit(p[1]) &&
        scan_isdigit(p[2]) && (p[3] == ' ' || p[3] == '-'))
        e->code = scan_sv(p, p + 3);
}

/* Value token: up to ", " / " " / end. */
static const char *kv_token_end(const char *p, const char *end)
{
    return scan_span_until(p, end, ", ");
}

int pf_kv(const char *p, const char *end, struct msl_event *e)
{
    int n = 0;
    while (p < end) {
        const char *k = p;
        while (p < end && *p != '=' && *p != ' ' && *p != ',' && *p != '(')
            p++;
        if (p >= end || *p != '=' || p == k)
            break;
        size_t kn = (size_t)(p - k);
        const char *v = ++p;
        int ok = 1;
        switch (kn) {
        case 2:
            if (memcmp(k, "to", 2) == 0)
                ok = scan_addr(&p, end, &e->to);
            else
                goto skip;
            break;
        case 3:
            if (memcmp(k, "dsn", 3) == 0) {
                p = kv_token_end(p, end);
                e->dsn = scan_sv(v, p);
            } else if (memcmp(k, "tls", 3) == 0) {
                p = kv_token_end(p, end);
                e->tls = scan_sv(v, p);
            } else if (memcmp(k, "uid", 3) == 0) {
                p = kv_token_end(p, end);
                e->uid = scan_sv(v, p);
            } else {
                goto skip;
            }
            break;
        case 4:
            if (memcmp(k, "from", 4) == 0) {
                ok = scan_addr(&p, end, &e->from);
            } else if (memcmp(k, "size", 4) == 0) {
                ok = scan_uint(&p, end, &e->size);
            } else {
                goto skip;
            }
            break;
        case 5:
            if (memcmp(k, "relay", 5) == 0) {
                const char *te = kv_token_end(p, end);
                const char *q = p;
                if (scan_hostaddr(&q, te, &e->relay_host, &e->relay_ip, &e->relay_port) &&
                    q == te) {
                    p = q;
                } else {
                    p = te;
                    e->relay_host = scan_sv(v, p);
                }
            } else if (memcmp(k, "delay", 5) == 0) {
                ok = scan_decimal(&p, end, &e->delay);
            } else if (memcmp(k, "nrcpt", 5) == 0) {
                ok = scan_uint(&p, end, &e->nrcpt);
            } else {
                goto skip;
            }
            break;
        case 6:
            if (memcmp(k, "delays", 6) == 0) {
                for (int i = 0; i < 4 && ok; i++)
                    ok = scan_decimal(&p, end, &e->delays[i]) &&
                         (i == 3 || (p < end && *p++ == '/'));
            } else if (memcmp(k, "status", 6) == 0) {
                p = scan_span_until(p, end, ", (");
                e->status = status_of(scan_sv(v, p));
                if (p < end && *p == ',')
                    p++;
                while (p < end && *p == ' ')
                    p++;
                status_text(p, end, e);
                return n + 1;
            } else {
                goto skip;
            }
            break;
        case 7:
            if (memcmp(k, "orig_to", 7) == 0)
                ok = scan_addr(&p, end, &e->orig_to);
            else
                goto skip;
            break;
        default:
        skip:
            if (p < end && *p == '<') {
                struct msl_str ignored;
                ok = scan_addr(&p, end, &ignored);
            } else {
                p = kv_token_end(p, end);
            }
            n--; /* not one of ours */
            break;
        }
        if (!ok)
            return n;
        n++;
        if (p < end && *p == ',')
            p++;
        if (p < end && *p == ' ')
            p++;
        if (p < end && *p == '(') { /* qmgr "(queue active)" */
            status_text(p, end, e);
            break;
        }
    }
    return n;
}

/* Finds the start of the "; from=<..> to=<..> proto=.. helo=<..>" tail, or NULL. */
static const char *kv_tail(const char *p, const char *end)
{
    const char *q = end;
    while ((q = scan_rfind(p, q, "; ", 2)) != NULL) {
        const char *k = q + 2;
        if (SCAN_STARTS(k, end, "from=") || SCAN_STARTS(k, end, "to=") ||
            SCAN_STARTS(k, end, "proto=") || SCAN_STARTS(k, end, "helo="))
            return q;
        if (q == p)
            break;
    }
    return NULL;
}

/* The tail itself: space or ", " separated; ": detail" may follow (cleanup). */
static void parse_tail(const char *p, const char *end, struct msl_event *e)
{
    while (p < end) {
        struct msl_str *dst = NULL;
        if (SCAN_LIT(&p, end, "from="))
            dst = &e->from;
        else if (SCAN_LIT(&p, end, "to="))
            dst = &e->to;
        else if (SCAN_LIT(&p, end, "helo="))
            dst = &e->helo;
        else if (SCAN_LIT(&p, end, "proto=")) {
            const char *q = scan_span_until(p, end, ", :");
            e->proto = scan_sv(p, q);
            p = q;
        } else {
            break;
        }
        if (dst && !scan_addr(&p, end, dst))
            return;
        if (p < end && *p == ',')
            p++;
        if (p < end && *p == ' ')
            p++;
    }
    if (SCAN_LIT(&p, end, ": ") || SCAN_LIT(&p, end, ":"))
        e->detail = scan_sv(p, end);
}

static const struct {
    const char *s;
    size_t n;
    enum msl_kind kind;
    enum msl_action act;
    enum msl_severity sev;
} actions[] = {
    {"reject", 6, MSL_EV_REJECT, MSL_ACT_REJECT, MSL_SEV_INFO},
    {"reject_warning", 14, MSL_EV_REJECT, MSL_ACT_REJECT_WARNING, MSL_SEV_INFO},
    {"hold", 4, MSL_EV_REJECT, MSL_ACT_HOLD, MSL_SEV_INFO},
    {"discard", 7, MSL_EV_REJECT, MSL_ACT_DISCARD, MSL_SEV_INFO},
    {"filter", 6, MSL_EV_REJECT, MSL_ACT_FILTER, MSL_SEV_INFO},
    {"redirect", 8, MSL_EV_REJECT, MSL_ACT_REDIRECT, MSL_SEV_INFO},
    {"milter-reject", 13, MSL_EV_REJECT, MSL_ACT_MILTER_REJECT, MSL_SEV_INFO},
    {"milter-hold", 11, MSL_EV_REJECT, MSL_ACT_HOLD, MSL_SEV_INFO},
    {"milter-discard", 14, MSL_EV_REJECT, MSL_ACT_DISCARD, MSL_SEV_INFO},
    {"milter-header-redirect", 22, MSL_EV_REJECT, MSL_ACT_REDIRECT, MSL_SEV_INFO},
    {"milter-body-redirect", 20, MSL_EV_REJECT, MSL_ACT_REDIRECT, MSL_SEV_INFO},
    {"proxy-reject", 12, MSL_EV_REJECT, MSL_ACT_PROXY_REJECT, MSL_SEV_INFO},
    {"proxy-accept", 12, MSL_EV_INFO, MSL_ACT_NONE, MSL_SEV_INFO},
    {"prepend", 7, MSL_EV_POLICY, MSL_ACT_PREPEND, MSL_SEV_INFO},
    {"replace", 7, MSL_EV_POLICY, MSL_ACT_PREPEND, MSL_SEV_INFO},
    {"warning", 7, MSL_EV_POLICY, MSL_ACT_INFO, MSL_SEV_WARNING},
    {"info", 4, MSL_EV_POLICY, MSL_ACT_INFO, MSL_SEV_INFO},
};

int pf_action_line(const char *p, const char *end, struct msl_event *e)
{
    const char *c = memchr(p, ':', (size_t)(end - p));
    if (!c || c + 1 >= end || c[1] != ' ')
        return 0;
    size_t an = (size_t)(c - p);
    size_t i;
    for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (actions[i].n == an && memcmp(actions[i].s, p, an) == 0)
            break;
    if (i == sizeof actions / sizeof actions[0]) {
        /* other milter-header-* / milter-body-* actions are logged the same way */
        if (!SCAN_STARTS(p, c, "milter-"))
            return 0;
        e->kind = MSL_EV_POLICY;
        e->action = MSL_ACT_INFO;
    } else {
        e->kind = actions[i].kind;
        e->action = actions[i].act;
        e->severity = actions[i].sev;
    }
    p = c + 2;
    const char *tail = kv_tail(p, end);
    const char *body_end = tail ? tail : end;
    /* stage word */
    const char *s = p;
    while (p < body_end && *p != ' ' && *p != ':')
        p++;
    if (p == s)
        return 0;
    e->stage = scan_sv(s, p);
    if (SCAN_LIT(&p, body_end, " from ") && scan_hostaddr(&p, body_end, &e->client_host,
                                                        &e->client_ip, &e->client_port)) {
        /* smtpd form: "RCPT from h[a]: reply" */
        if (!SCAN_LIT(&p, body_end, ": "))
            SCAN_LIT(&p, body_end, ":");
        p = scan_reply(p, body_end, e);
        e->text = scan_sv(p, body_end);
    } else if (SCAN_LIT(&p, body_end, ": ") || (p == body_end)) {
        /* proxy form: "END-OF-MESSAGE: 250 2.0.0 text" */
        const char *t = scan_reply(p, body_end, e);
        e->text = scan_sv(t, body_end);
    } else {
        /* cleanup header/body form: "header Subject: x from h[a]; kv: detail" */
        if (p < body_end && *p == ' ')
            p++;
        const char *f = SCAN_RFIND(p, body_end, " from ");
        if (f) {
            e->text = scan_sv(p, f);
            const char *q = f + 6;
            if (!scan_hostaddr(&q, body_end, &e->client_host, &e->client_ip, &e->client_port))
                e->client_host = scan_sv(q, body_end); /* "from local" */
        } else {
            e->text = scan_sv(p, body_end);
        }
    }
    if (tail)
        parse_tail(tail + 2, end, e);
    return 1;
}
