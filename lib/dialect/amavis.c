/*
 * amavis.c - amavisd-new (tag "amavis", also "amavisd", "amavisd-new").
 *
 * Task lines start with the log id "(<pid>-<seq>[-<n>]) ".  The main log line
 *   "Passed|Blocked CAT[ (info)][ {Actions}], [LOCAL ][ip]:port [orig-ip] <from> ->
 *    <rcpt>,<rcpt>, quarantine: X, Queue-ID: QID, Message-ID: <M>, mail_id: ID, Hits: H,
 *    size: N, queued_as: NEWQID[, NEWQID2], [dkim_sd=..,] N ms"
 * becomes a POLICY event: qid (Queue-ID, the incoming MTA id), new_qid (queued_as: the id
 * of the re-injected copy, the content-filter hop), msgid, from, to (first recipient), nrcpt,
 * client_ip/client_port (first [ip]), size, text = "CAT (info) {Actions}", action info
 * (Passed) / reject (Blocked) / discard (Blocked with a Discarded* action), detail from the
 * verdict vocabulary: CLEAN "spam=no[ score=H]", SPAM/SPAMMY "spam=yes[ score=H]",
 * INFECTED "virus=<name>", BANNED "banned", BAD-HEADER "bad-header", UNCHECKED "unchecked",
 * OVERSIZED "oversized", MTA-BLOCKED "mta-blocked".
 * Other task lines are INFO ("FWD from <a> -> <b>, ... queued as X" keeps from/to/new_qid;
 * "Checking: ID [ip] <a> -> <b>" keeps client_ip/from/to); "(!)" lines are WARNING; lines
 * without a log id (start-up, Net::Server, sd_notify) are DAEMON.
 *
 * detail is composed in a thread-local buffer when it carries a score or virus name (valid
 * only during the callback, like every view); all other views point into the message.
 */
#include "dialect/scan.h"

static int am_claims(struct msl_str prog)
{
    return (prog.n == 6 && memcmp(prog.p, "amavis", 6) == 0) ||
           (prog.n == 7 && memcmp(prog.p, "amavisd", 7) == 0) ||
           (prog.n == 11 && memcmp(prog.p, "amavisd-new", 11) == 0);
}

static struct msl_str am_compose(const char *pre, struct msl_str v)
{
    static _Thread_local char buf[96];
    size_t n = strlen(pre);
    memcpy(buf, pre, n);
    if (v.n > sizeof buf - n)
        v.n = sizeof buf - n;
    memcpy(buf + n, v.p, v.n);
    return (struct msl_str){buf, n + v.n};
}

/* "(05136-09) " / "(05136-09-2) " */
static int am_logid(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p >= end || *p != '(')
        return 0;
    p++;
    const char *d = p;
    while (p < end && (scan_isdigit(*p) || *p == '-'))
        p++;
    if (p == d || p + 1 >= end || p[0] != ')' || p[1] != ' ')
        return 0;
    *pp = p + 2;
    return 1;
}

/* "<a> -> <b>,<c>": from, to (first), nrcpt; returns the end of the recipient list. */
static const char *am_addrs(const char *p, const char *end, struct msl_event *e)
{
    const char *arrow = SCAN_FIND(p, end, "> -> <");
    if (!arrow)
        return NULL;
    const char *fb = arrow;
    while (fb > p && *fb != '<')
        fb--;
    if (*fb != '<')
        return NULL;
    e->from = scan_sv(fb + 1, arrow);
    const char *r = arrow + 5, *re = SCAN_FIND(r, end, ", ");
    if (!re)
        re = SCAN_FIND(r, end, " ");
    if (!re)
        re = end;
    int64_t n = 0;
    for (const char *q = r; q < re; q++)
        n += *q == '<';
    e->nrcpt = n;
    const char *te = memchr(r + 1, '>', (size_t)(re - r - 1));
    e->to = scan_sv(r + 1, te ? te : re);
    return re;
}

/* The value after ", KEY" up to ", " or end. */
static struct msl_str am_key(const char *p, const char *end, const char *key, size_t kn)
{
    const char *k = scan_find(p, end, key, kn);
    if (!k)
        return MSL_STR_NULL;
    const char *v = k + kn, *ve = scan_find(v, end, ", ", 2);
    return scan_sv(v, ve ? ve : end);
}

static int am_verdict(const char *p, const char *end, struct msl_event *e)
{
    const char *start = p;
    int blocked = SCAN_LIT(&p, end, "Blocked ");
    if (!blocked && !SCAN_LIT(&p, end, "Passed "))
        return 0;
    const char *c = p;
    while (p < end && *p != ' ' && *p != ',')
        p++;
    struct msl_str cat = scan_sv(c, p), info = MSL_STR_NULL;
    if (SCAN_STARTS(p, end, " (")) { /* "(Win.Trojan.X, Eicar)" */
        const char *i = p + 2;
        int depth = 1;
        const char *q = i;
        while (q < end && depth) {
            depth += *q == '(';
            depth -= *q == ')';
            q++;
        }
        info = scan_sv(i, depth ? end : q - 1);
        p = q;
    }
    int discard = 0;
    if (SCAN_STARTS(p, end, " {")) {
        const char *q = memchr(p, '}', (size_t)(end - p));
        if (q) {
            discard = SCAN_FIND(p, q, "Discarded") != NULL;
            p = q + 1;
        }
    }
    e->text = scan_sv(start + (blocked ? 8 : 7), p);
    e->kind = MSL_EV_POLICY;
    e->action = blocked ? (discard ? MSL_ACT_DISCARD : MSL_ACT_REJECT) : MSL_ACT_INFO;

    /* client: the first "[ip]" (":port" optional) */
    const char *ob = memchr(p, '[', (size_t)(end - p));
    const char *arrow = SCAN_FIND(p, end, " -> ");
    if (ob && (!arrow || ob < arrow)) {
        const char *cb = memchr(ob, ']', (size_t)(end - ob));
        if (cb) {
            e->client_ip = scan_sv(ob + 1, cb);
            const char *q = cb + 1;
            int64_t port;
            if (SCAN_LIT(&q, end, ":") && scan_uint(&q, end, &port) && port < 65536)
                e->client_port = (int32_t)port;
        }
    }
    const char *rest = am_addrs(p, end, e);
    if (!rest)
        rest = p;
    struct msl_str v = am_key(rest, end, ", Queue-ID: ", 12);
    if (v.n)
        e->qid = v;
    v = am_key(rest, end, ", Message-ID: ", 14);
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>')
        e->msgid = scan_sv(v.p + 1, v.p + v.n - 1);
    else if (v.n)
        e->msgid = v;
    v = am_key(rest, end, ", size: ", 8);
    if (v.n) {
        const char *q = v.p;
        scan_uint(&q, v.p + v.n, &e->size);
    }
    v = am_key(rest, end, ", queued_as: ", 13);
    if (v.n)
        e->new_qid = v;
    struct msl_str hits = am_key(rest, end, ", Hits: ", 8);
    if (hits.n == 1 && hits.p[0] == '-')
        hits = MSL_STR_NULL;

#define CAT(s) (cat.n == sizeof(s) - 1 && memcmp(cat.p, s, cat.n) == 0)
    if (CAT("CLEAN"))
        e->detail = hits.n ? am_compose("spam=no score=", hits) : MSL_STR_LIT("spam=no");
    else if (CAT("SPAM") || CAT("SPAMMY"))
        e->detail = hits.n ? am_compose("spam=yes score=", hits) : MSL_STR_LIT("spam=yes");
    else if (CAT("INFECTED"))
        e->detail = info.n ? am_compose("virus=", info) : MSL_STR_LIT("virus=unknown");
    else if (CAT("BANNED"))
        e->detail = MSL_STR_LIT("banned");
    else if (SCAN_STARTS(cat.p, cat.p + cat.n, "BAD-HEADER"))
        e->detail = MSL_STR_LIT("bad-header");
    else if (SCAN_STARTS(cat.p, cat.p + cat.n, "UNCHECKED"))
        e->detail = MSL_STR_LIT("unchecked");
    else if (CAT("OVERSIZED"))
        e->detail = MSL_STR_LIT("oversized");
    else if (CAT("MTA-BLOCKED"))
        e->detail = MSL_STR_LIT("mta-blocked");
    else
        e->detail = cat;
#undef CAT
    return 1;
}

static int am_task(const char *p, const char *end, struct msl_event *e)
{
    if (am_verdict(p, end, e))
        return 1;
    e->text = scan_sv(p, end);
    if (SCAN_STARTS(p, end, "(!)")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        return 1;
    }
    e->kind = MSL_EV_INFO;
    /* "ID FWD from <a> -> <b>, BODY=7BIT 250 2.0.0 ...: 250 2.0.0 Ok: queued as X" */
    const char *fwd = SCAN_FIND(p, end, " FWD from <");
    const char *chk = SCAN_STARTS(p, end, "Checking: ") ? p : NULL;
    if (fwd || chk || SCAN_STARTS(p, end, "ESMTP ")) {
        am_addrs(p, end, e);
        const char *qa = SCAN_RFIND(p, end, "queued as ");
        if (fwd && qa) {
            const char *id = qa + 10, *ie = scan_span_until(id, end, " ,)");
            if (ie > id)
                e->new_qid = scan_sv(id, ie);
        }
        if (chk) {
            const char *ob = memchr(p, '[', (size_t)(end - p));
            const char *cb = ob ? memchr(ob, ']', (size_t)(end - ob)) : NULL;
            if (cb)
                e->client_ip = scan_sv(ob + 1, cb);
        }
    }
    return p < end;
}

static int am_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("amavis");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (am_logid(&p, end)) {
        if (am_task(p, end, e))
            return 1;
        *why = "amavis: unrecognised message";
        return 0;
    }
    if (p < end && (*p == '(' || *p == '!')) {
        *why = "amavis: unrecognised message";
        return 0;
    }
    if (p >= end) {
        *why = "amavis: empty message";
        return 0;
    }
    e->kind = MSL_EV_DAEMON; /* "starting. /usr/sbin/amavisd at ...", "Net::Server: ..." */
    e->text = scan_sv(p, end);
    return 1;
}

const struct msl_dialect msl_dialect_amavis = {
    .name = "amavis",
    .mta = "amavis",
    .claims = am_claims,
    .parse = am_parse,
};
