/*
 * postfix_scan.c - the scanners shared by all Postfix daemons: numbers, host[addr]:port,
 * <addresses>, SMTP replies, the "key=value, ..." lists of deliveries/qmgr/pickup, and the
 * "action: STAGE from host[addr]: reply; from=<> to=<> proto= helo=<>" lines that smtpd,
 * postscreen and cleanup share.
 *
 * Every view set here points into the message bytes.  Hot path: no allocation, no libc
 * number parsing, no regex; each helper is one forward pass over its bytes.
 */
#include "postfix_int.h"

static const double pow10_tab[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

int pf_decimal(const char **pp, const char *end, double *out)
{
    const char *p = *pp;
    int64_t ip = 0, fp = 0;
    int nf = 0;
    if (!pf_uint(&p, end, &ip))
        return 0;
    if (p < end && *p == '.') {
        const char *q = p + 1;
        while (q < end && pf_isdigit(*q)) {
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

int pf_hostaddr(const char **pp, const char *end, struct msl_str *host, struct msl_str *addr,
                int32_t *port)
{
    const char *p = *pp, *h = p;
    while (p < end && *p != '[' && *p != ' ' && *p != ',' && *p != ';')
        p++;
    if (p >= end || *p != '[')
        return 0;
    const char *he = p;
    struct msl_str a;
    if (!pf_bracket_addr(&p, end, 0, &a, port))
        return 0;
    *host = he > h ? pf_sv(h, he) : MSL_STR_NULL;
    *addr = a;
    *pp = p;
    return 1;
}

static int ip_char(char c)
{
    return pf_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.' || c == '%';
}

int pf_bracket_addr(const char **pp, const char *end, int only_ip, struct msl_str *addr,
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
    *addr = pf_sv(a, p);
    p++;
    if (p + 1 < end && *p == ':' && pf_isdigit(p[1])) {
        const char *q = p + 1;
        int64_t v;
        if (pf_uint(&q, end, &v) && v <= 65535) {
            if (port)
                *port = (int32_t)v;
            p = q;
        }
    }
    *pp = p;
    return 1;
}

int pf_milter_jobid(const char **pp, const char *end, struct msl_event *e, const char *also)
{
    const char *p = *pp, *q = p;
    if (PF_LIT(&q, end, "(unknown-jobid): ") || PF_LIT(&q, end, "NOQUEUE: ")) {
        e->flags |= MSL_EVF_NOQUEUE;
        *pp = q;
        return 1;
    }
    while (q < end && q - p <= 40 && ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                                      (*q >= 'a' && *q <= 'z')))
        q++;
    int alt = also && q - p >= 5 && pf_starts(q, end, also, strlen(also));
    if (!alt && (q - p < 5 || q + 1 >= end || q[0] != ':' || q[1] != ' '))
        return 0;
    int64_t t = 0;
    if (msl_postfix_qid(p, (size_t)(q - p), &t) == 2)
        e->qid_time = t;
    e->qid = pf_sv(p, q);
    *pp = q + (alt ? 1 : 2);
    return 1;
}

int pf_addr(const char **pp, const char *end, struct msl_str *out)
{
    const char *p = *pp;
    if (p < end && *p == '<') {
        const char *q = memchr(p + 1, '>', (size_t)(end - p - 1));
        if (!q)
            return 0;
        *out = pf_sv(p + 1, q);
        *pp = q + 1;
        return 1;
    }
    const char *q = pf_span_until(p, end, ", ");
    *out = pf_sv(p, q);
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
    while (q < end && pf_isdigit(*q) && q - d < 3)
        q++;
    if (q == d || q >= end || *q != '.')
        return NULL;
    d = ++q;
    while (q < end && pf_isdigit(*q) && q - d < 3)
        q++;
    if (q == d || (q < end && *q != ' ' && *q != ';' && *q != ')'))
        return NULL;
    return q;
}

const char *pf_reply(const char *p, const char *end, struct msl_event *e)
{
    if (p + 3 <= end && pf_isdigit(p[0]) && pf_isdigit(p[1]) && pf_isdigit(p[2]) &&
        (p + 3 == end || p[3] == ' ' || p[3] == '-')) {
        e->code = pf_sv(p, p + 3);
        p += p + 3 < end ? 4 : 3;
    }
    const char *q = scan_dsn(p, end);
    if (q) {
        e->dsn = pf_sv(p, q);
        p = q < end && *q == ' ' ? q + 1 : q;
    }
    return p;
}

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
    e->text = pf_sv(p, end);
    if (e->status == MSL_ST_SENT && PF_FIND(p, end, "forwarded as "))
        e->status = MSL_ST_FORWARDED;
    const char *qa = PF_FIND(p, end, "queued as ");
    if (qa) {
        const char *id = qa + 10, *ie = id;
        while (ie < end && ((*ie >= '0' && *ie <= '9') || (*ie >= 'A' && *ie <= 'Z') ||
                            (*ie >= 'a' && *ie <= 'z')))
            ie++;
        if (msl_postfix_qid(id, (size_t)(ie - id), NULL))
            e->new_qid = pf_sv(id, ie);
    }
    /* A leading SMTP reply code is worth having for grouping ("250", "550"). */
    if (!e->code.p && p + 4 <= end && pf_isdigit(p[0]) && pf_isdigit(p[1]) &&
        pf_isdigit(p[2]) && (p[3] == ' ' || p[3] == '-'))
        e->code = pf_sv(p, p + 3);
}

/* Value token: up to ", " / " " / end. */
static const char *kv_token_end(const char *p, const char *end)
{
    return pf_span_until(p, end, ", ");
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
                ok = pf_addr(&p, end, &e->to);
            else
                goto skip;
            break;
        case 3:
            if (memcmp(k, "dsn", 3) == 0) {
                p = kv_token_end(p, end);
                e->dsn = pf_sv(v, p);
            } else if (memcmp(k, "tls", 3) == 0) {
                p = kv_token_end(p, end);
                e->tls = pf_sv(v, p);
            } else if (memcmp(k, "uid", 3) == 0) {
                p = kv_token_end(p, end);
                e->uid = pf_sv(v, p);
            } else {
                goto skip;
            }
            break;
        case 4:
            if (memcmp(k, "from", 4) == 0) {
                ok = pf_addr(&p, end, &e->from);
            } else if (memcmp(k, "size", 4) == 0) {
                ok = pf_uint(&p, end, &e->size);
            } else {
                goto skip;
            }
            break;
        case 5:
            if (memcmp(k, "relay", 5) == 0) {
                const char *te = kv_token_end(p, end);
                const char *q = p;
                if (pf_hostaddr(&q, te, &e->relay_host, &e->relay_ip, &e->relay_port) &&
                    q == te) {
                    p = q;
                } else {
                    p = te;
                    e->relay_host = pf_sv(v, p);
                }
            } else if (memcmp(k, "delay", 5) == 0) {
                ok = pf_decimal(&p, end, &e->delay);
            } else if (memcmp(k, "nrcpt", 5) == 0) {
                ok = pf_uint(&p, end, &e->nrcpt);
            } else {
                goto skip;
            }
            break;
        case 6:
            if (memcmp(k, "delays", 6) == 0) {
                for (int i = 0; i < 4 && ok; i++)
                    ok = pf_decimal(&p, end, &e->delays[i]) &&
                         (i == 3 || (p < end && *p++ == '/'));
            } else if (memcmp(k, "status", 6) == 0) {
                p = pf_span_until(p, end, ", (");
                e->status = status_of(pf_sv(v, p));
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
                ok = pf_addr(&p, end, &e->orig_to);
            else
                goto skip;
            break;
        default:
        skip:
            if (p < end && *p == '<') {
                struct msl_str ignored;
                ok = pf_addr(&p, end, &ignored);
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
    while ((q = pf_rfind(p, q, "; ", 2)) != NULL) {
        const char *k = q + 2;
        if (PF_STARTS(k, end, "from=") || PF_STARTS(k, end, "to=") ||
            PF_STARTS(k, end, "proto=") || PF_STARTS(k, end, "helo="))
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
        if (PF_LIT(&p, end, "from="))
            dst = &e->from;
        else if (PF_LIT(&p, end, "to="))
            dst = &e->to;
        else if (PF_LIT(&p, end, "helo="))
            dst = &e->helo;
        else if (PF_LIT(&p, end, "proto=")) {
            const char *q = pf_span_until(p, end, ", :");
            e->proto = pf_sv(p, q);
            p = q;
        } else {
            break;
        }
        if (dst && !pf_addr(&p, end, dst))
            return;
        if (p < end && *p == ',')
            p++;
        if (p < end && *p == ' ')
            p++;
    }
    if (PF_LIT(&p, end, ": ") || PF_LIT(&p, end, ":"))
        e->detail = pf_sv(p, end);
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
        if (!PF_STARTS(p, c, "milter-"))
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
    e->stage = pf_sv(s, p);
    if (PF_LIT(&p, body_end, " from ") && pf_hostaddr(&p, body_end, &e->client_host,
                                                        &e->client_ip, &e->client_port)) {
        /* smtpd form: "RCPT from h[a]: reply" */
        if (!PF_LIT(&p, body_end, ": "))
            PF_LIT(&p, body_end, ":");
        p = pf_reply(p, body_end, e);
        e->text = pf_sv(p, body_end);
    } else if (PF_LIT(&p, body_end, ": ") || (p == body_end)) {
        /* proxy form: "END-OF-MESSAGE: 250 2.0.0 text" */
        const char *t = pf_reply(p, body_end, e);
        e->text = pf_sv(t, body_end);
    } else {
        /* cleanup header/body form: "header Subject: x from h[a]; kv: detail" */
        if (p < body_end && *p == ' ')
            p++;
        const char *f = PF_RFIND(p, body_end, " from ");
        if (f) {
            e->text = pf_sv(p, f);
            const char *q = f + 6;
            if (!pf_hostaddr(&q, body_end, &e->client_host, &e->client_ip, &e->client_port))
                e->client_host = pf_sv(q, body_end); /* "from local" */
        } else {
            e->text = pf_sv(p, body_end);
        }
    }
    if (tail)
        parse_tail(tail + 2, end, e);
    return 1;
}
