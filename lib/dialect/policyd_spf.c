/*
 * policyd_spf.c - the SPF policy daemons for Postfix: python spf-engine ("policyd-spf") and
 * postfix-policyd-spf-perl ("policy-spf", usually logged as "postfix/policy-spf", which the
 * Postfix dialect claims first; the plain tags reach this file).
 *
 * Python:
 *   "prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=IP; helo=H;
 *    envelope-from=A; receiver=R"                      POLICY spf=pass, action prepend
 *   "[QID: ]550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see
 *    http://www.openspf.net/Why?s=mfrom;id=A;ip=IP;r=R"  POLICY spf=fail, action reject
 *   "defer_if_permit 4.7.24 ... SPF temperror ..."       POLICY spf=temperror
 *   "Softfail; identity=mailfrom; client-ip=..."          POLICY (debug/Header_Type lines)
 * Perl:
 *   "Policy action=PREPEND Received-SPF: pass (...) receiver=R; identity=mailfrom;
 *    envelope-from="A"; helo=H; client-ip=IP"          POLICY spf=pass
 *   "Policy action=550 Please see http://www.openspf.org/Why?s=mfrom;id=A;ip=IP;r=R"
 *   "SPF fail: Envelope-from: A, IP Address: IP, Recipient: R"
 *   "handler sender_policy_framework: is decisive."     INFO
 * Fields: client_ip, helo, from (envelope-from, or Why?id= for s=mfrom), to (receiver or
 * r=, unless "<UNKNOWN>"), code/dsn of a reject, text = the verdict text.  The python
 * daemon gives a queue id only when configured (and Postfix rarely has one at RCPT time);
 * otherwise the event joins its message by client IP + time.
 */
#include "dialect/scan.h"

static int ps_claims(struct msl_str prog)
{
    static const char *const tags[] = {"policyd-spf", "policy-spf", "policyd-spf-perl",
                                       "postfix-policyd-spf-perl", "postfix/policy-spf",
                                       "postfix/policyd-spf"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (prog.n == strlen(tags[i]) && memcmp(prog.p, tags[i], prog.n) == 0)
            return 1;
    return 0;
}

static int ps_ieq(const char *p, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* An SPF result word (any case) -> "spf=<result>", or NULL. */
static const char *ps_result(const char *p, const char *end)
{
    static const char *const w[] = {"pass", "fail", "softfail", "neutral", "none",
                                    "temperror", "permerror", "error", "unknown"};
    static const char *const d[] = {"spf=pass", "spf=fail", "spf=softfail", "spf=neutral",
                                    "spf=none", "spf=temperror", "spf=permerror",
                                    "spf=temperror", "spf=permerror"};
    const char *q = p;
    while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
        q++;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (ps_ieq(p, (size_t)(q - p), w[i]))
            return d[i];
    return NULL;
}

static void ps_set(struct msl_str *f, const char *v, const char *ve)
{
    if (ve - v >= 2 && ((*v == '"' && ve[-1] == '"') || (*v == '<' && ve[-1] == '>'))) {
        v++;
        ve--;
    }
    if (ve > v && !(ve - v == 7 && memcmp(v, "UNKNOWN", 7) == 0))
        *f = scan_sv(v, ve);
}

/* "key=value; key=value" (Received-SPF) or "s=mfrom;id=..;ip=..;r=.." (Why? URL). */
static void ps_kv(const char *p, const char *end, struct msl_event *e, int url)
{
    int mfrom = 0, helo = 0;
    while (p < end) {
        const char *k = p;
        while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '-'))
            p++;
        if (p == k || p >= end || *p != '=') {
            p = scan_span_until(p, end, url ? ";" : "; ");
            while (p < end && (*p == ';' || *p == ' '))
                p++;
            if (p == k) /* a NUL byte stops scan_span_until without progress */
                p++;
            continue;
        }
        struct msl_str key = scan_sv(k, p);
        const char *v = ++p;
        if (p < end && *p == '"') {
            const char *c = memchr(p + 1, '"', (size_t)(end - p - 1));
            p = c ? c + 1 : end;
        } else {
            p = scan_span_until(p, end, url ? ";" : "; ");
        }
        const char *ve = p;
#define KEY(s) (key.n == sizeof(s) - 1 && memcmp(key.p, s, key.n) == 0)
        if (KEY("client-ip") || (url && KEY("ip")))
            ps_set(&e->client_ip, v, ve);
        else if (KEY("helo"))
            ps_set(&e->helo, v, ve);
        else if (KEY("envelope-from"))
            ps_set(&e->from, v, ve);
        else if (KEY("receiver") || (url && KEY("r")))
            ps_set(&e->to, v, ve);
        else if (url && KEY("s")) {
            mfrom = ve - v == 5 && memcmp(v, "mfrom", 5) == 0;
            helo = ve - v == 4 && memcmp(v, "helo", 4) == 0;
        } else if (url && KEY("id")) {
            if (mfrom)
                ps_set(&e->from, v, ve);
            else if (helo)
                ps_set(&e->helo, v, ve);
        }
#undef KEY
        while (p < end && (*p == ';' || *p == ' '))
            p++;
    }
}

static void ps_detail(struct msl_event *e, const char *d)
{
    e->detail = (struct msl_str){d, strlen(d)};
}

/* "Received-SPF: Pass (mailfrom) identity=...": p at the result word. */
static int ps_received(const char *p, const char *end, struct msl_event *e)
{
    const char *d = ps_result(p, end);
    if (!d)
        return 0;
    e->kind = MSL_EV_POLICY;
    e->action = MSL_ACT_PREPEND;
    ps_detail(e, d);
    e->text = scan_sv(p, end);
    ps_kv(p, end, e, 0);
    return 1;
}

/* A reject/defer with "Why?s=..;id=..;ip=..;r=.." and "SPF <result>" somewhere. */
static int ps_reject(const char *p, const char *end, struct msl_event *e)
{
    const char *s = SCAN_FIND(p, end, "SPF ");
    const char *d = s ? ps_result(s + 4, end) : NULL;
    const char *r = SCAN_FIND(p, end, "SPF-Result=");
    if (!d && r)
        d = ps_result(r + 11, end);
    const char *why = SCAN_FIND(p, end, "Why?");
    if (!d && why)
        d = "spf=fail";
    if (!d)
        return 0;
    e->kind = MSL_EV_POLICY;
    ps_detail(e, d);
    if (why)
        ps_kv(why + 4, end, e, 1);
    return 1;
}

static int ps_message(const struct msl_envelope *env, struct msl_event *e)
{
    e->mta = MSL_STR_LIT("policyd-spf");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (SCAN_LIT(&p, end, "prepend Received-SPF: "))
        return ps_received(p, end, e);
    if (SCAN_LIT(&p, end, "Policy action=")) { /* perl */
        if (SCAN_LIT(&p, end, "PREPEND Received-SPF: ") || SCAN_LIT(&p, end, "PREPEND "))
            return ps_received(p, end, e);
        const char *a = p;
        p = scan_span_until(p, end, " ");
        struct msl_str act = scan_sv(a, p);
        e->text = scan_sv(p < end ? p + 1 : end, end);
        if (act.n == 3 && scan_isdigit(act.p[0])) {
            e->code = act;
            e->action = act.p[0] == '5' ? MSL_ACT_REJECT : MSL_ACT_NONE;
        } else if (ps_ieq(act.p, act.n, "dunno")) {
            e->kind = MSL_EV_INFO;
            return 1;
        }
        if (!ps_reject(p, end, e)) {
            e->kind = MSL_EV_INFO;
            e->detail = act;
        }
        return 1;
    }
    if (SCAN_STARTS(p, end, "handler ") || SCAN_STARTS(p, end, "Starting") ||
        SCAN_STARTS(p, end, "Config: ") || SCAN_STARTS(p, end, "spfcheck: ")) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    /* "SPF fail: Envelope-from: A, IP Address: IP, Recipient: R" (perl) */
    if (SCAN_LIT(&p, end, "SPF ")) {
        const char *d = ps_result(p, end);
        if (!d)
            return 0;
        e->kind = MSL_EV_POLICY;
        ps_detail(e, d);
        e->text = scan_sv(p, end);
        const char *f = SCAN_FIND(p, end, "Envelope-from: ");
        if (f) {
            f += 15;
            ps_set(&e->from, f, scan_span_until(f, end, ","));
        }
        const char *i = SCAN_FIND(p, end, "IP Address: ");
        if (i) {
            i += 12;
            ps_set(&e->client_ip, i, scan_span_until(i, end, ","));
        }
        const char *t = SCAN_FIND(p, end, "Recipient: ");
        if (t) {
            t += 11;
            ps_set(&e->to, t, scan_span_until(t, end, ","));
        }
        return 1;
    }
    /* optional queue id, then "550 5.7.23 ..." / "defer_if_permit ..." / "Result; ..." */
    const char *q = p;
    while (q < end && ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                       (*q >= 'a' && *q <= 'z')))
        q++;
    if (q + 1 < end && q[0] == ':' && q[1] == ' ' && msl_postfix_qid(p, (size_t)(q - p), NULL)) {
        e->qid = scan_sv(p, q);
        p = q + 2;
    }
    if (p + 4 <= end && scan_isdigit(p[0]) && scan_isdigit(p[1]) && scan_isdigit(p[2]) &&
        p[3] == ' ') {
        const char *t = scan_reply(p, end, e);
        e->text = scan_sv(t, end);
        e->action = p[0] == '5' ? MSL_ACT_REJECT : MSL_ACT_NONE;
        return ps_reject(t, end, e);
    }
    if (SCAN_STARTS(p, end, "defer_if_permit") || SCAN_STARTS(p, end, "DEFER_IF_PERMIT")) {
        e->text = scan_sv(p, end);
        return ps_reject(p, end, e);
    }
    const char *d = ps_result(p, end);
    if (d) {
        const char *w = p;
        while (w < end && *w != ';' && *w != ' ')
            w++;
        if (w < end && *w == ';') { /* "Softfail; identity=mailfrom; client-ip=..." */
            e->kind = MSL_EV_POLICY;
            ps_detail(e, d);
            e->text = scan_sv(p, end);
            ps_kv(w + 1, end, e, 0);
            return 1;
        }
    }
    return 0;
}

static int ps_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    if (ps_message(env, e))
        return 1;
    e->kind = MSL_EV_NONE;
    *why = "policyd-spf: unrecognised message";
    return 0;
}

const struct msl_dialect msl_dialect_policyd_spf = {
    .name = "policyd-spf",
    .mta = "policyd-spf",
    .claims = ps_claims,
    .parse = ps_parse,
};
