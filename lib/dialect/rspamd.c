/*
 * rspamd.c - rspamd through syslog (tag "rspamd").
 *
 * Messages are "<taskid>; <module>; <function>: <text>" (the task id is 6 hex digits; the
 * module/task parts may be absent).  The summary line
 *   "rspamd_task_write_log: id: <Message-ID>, qid: <QID>, ip: IP, [user: U,] from: <A>,
 *    (default: F (no action): [0.56/15.00] [SYM1,SYM2(1.0){opt},...]), len: N, time: ..,
 *    dns req: N, digest: <..>, rcpts: <R>, mime_rcpts: <..>"
 * becomes a POLICY event: msgid, qid, client_ip, sasl_user, from, to (first recipient),
 * size = len, text = the symbol list, detail "spam=yes|no score=S" (T/F flag; the
 * vocabulary of doc/EVENT-MODEL.md), action reject / prepend (add header, rewrite subject) /
 * info (no action).  The lua proxy's "final result for instance=..: queue-id=<Q>
 * action='A' score=S" is POLICY too.  Other well-formed lines are INFO.
 *
 * detail is composed in a small thread-local buffer (the score is not adjacent to the
 * verdict word in the message); like every view it is valid only during the callback.
 * All other views point into the message.
 */
#include "dialect/scan.h"

static int rs_claims(struct msl_str prog)
{
    return prog.n == 6 && memcmp(prog.p, "rspamd", 6) == 0;
}

static struct msl_str rs_verdict(int spam, struct msl_str score)
{
    static _Thread_local char buf[64];
    const char *pre = spam ? "spam=yes" : "spam=no";
    size_t n = strlen(pre);
    memcpy(buf, pre, n);
    if (score.n && score.n <= 24) {
        memcpy(buf + n, " score=", 7);
        n += 7;
        memcpy(buf + n, score.p, score.n);
        n += score.n;
    }
    return (struct msl_str){buf, n};
}

/* The value after "key" up to ", " (or end); "<...>" brackets are removed. */
static struct msl_str rs_val(const char *p, const char *end, const char *key, size_t kn)
{
    const char *k = scan_find(p, end, key, kn);
    if (!k)
        return MSL_STR_NULL;
    const char *v = k + kn, *ve;
    if (v < end && *v == '<') {
        ve = v + 1;
        while (ve < end && !(*ve == '>' && (ve + 1 == end || ve[1] == ',')))
            ve++;
        return scan_sv(v + 1, ve);
    }
    ve = scan_find(v, end, ", ", 2);
    return scan_sv(v, ve ? ve : end);
}

static void rs_action(struct msl_str a, struct msl_event *e)
{
    if (a.n == 6 && memcmp(a.p, "reject", 6) == 0)
        e->action = MSL_ACT_REJECT;
    else if ((a.n == 10 && memcmp(a.p, "add header", 10) == 0) ||
             (a.n == 15 && memcmp(a.p, "rewrite subject", 15) == 0))
        e->action = MSL_ACT_PREPEND;
    else if (a.n == 9 && memcmp(a.p, "no action", 9) == 0)
        e->action = MSL_ACT_INFO;
}

static int rs_task_log(const char *p, const char *end, struct msl_event *e)
{
    const char *m = SCAN_FIND(p, end, "(default: ");
    if (!m)
        m = SCAN_FIND(p, end, ": [");
    if (!m)
        return 0;
    struct msl_str head = scan_sv(p, m);
    const char *hp = head.p, *he = hp + head.n;
    if (SCAN_STARTS(hp, he, "id: "))
        e->msgid = rs_val(hp, he, "id: ", 4);
    e->qid = rs_val(hp, he, "qid: ", 5);
    if (e->qid.n == 0 || (e->qid.n == 5 && memcmp(e->qid.p, "undef", 5) == 0))
        e->qid = MSL_STR_NULL;
    e->client_ip = rs_val(hp, he, "ip: ", 4);
    e->sasl_user = rs_val(hp, he, "user: ", 6);
    e->from = rs_val(hp, he, "from: ", 6);
    /* "(default: F (no action): [0.56/15.00] [SYMS])" */
    const char *q = m;
    int spam = 0;
    if (SCAN_LIT(&q, end, "(default: ")) {
        spam = q < end && *q == 'T';
        const char *a = SCAN_FIND(q, end, " (");
        const char *ae = a ? SCAN_FIND(a, end, "): ") : NULL;
        if (ae) {
            rs_action(scan_sv(a + 2, ae), e);
            q = ae + 1;
        }
    }
    const char *sb = SCAN_FIND(q, end, "[");
    struct msl_str score = MSL_STR_NULL;
    if (sb) {
        const char *sl = scan_span_until(sb + 1, end, "/]");
        score = scan_sv(sb + 1, sl);
        const char *se = memchr(sb, ']', (size_t)(end - sb));
        if (se && se + 2 < end && se[1] == ' ' && se[2] == '[') {
            const char *ys = se + 3, *ye = SCAN_FIND(ys, end, "])");
            if (!ye)
                ye = SCAN_FIND(ys, end, "]");
            e->text = scan_sv(ys, ye ? ye : end);
            q = ye ? ye : end;
        }
    }
    e->detail = rs_verdict(spam, score);
    const char *len = SCAN_FIND(q, end, ", len: ");
    if (len) {
        const char *l = len + 7;
        scan_uint(&l, end, &e->size);
    }
    struct msl_str rc = rs_val(q, end, "rcpts: ", 7);
    if (!rc.p)
        rc = rs_val(q, end, "rcpt: ", 6);
    if (rc.p) {
        const char *r = rc.p, *re = r + rc.n;
        const char *c = SCAN_FIND(r, re, ">,");
        e->to = c ? scan_sv(r, c) : rc;
    }
    e->kind = MSL_EV_POLICY;
    return 1;
}

/* lua proxy: "final result for instance='x': queue-id=<Q> action='no action' score=-0.1" */
static int rs_final(const char *p, const char *end, struct msl_event *e)
{
    const char *f = SCAN_FIND(p, end, "final result for ");
    if (!f)
        return 0;
    e->kind = MSL_EV_POLICY;
    e->text = scan_sv(f, end);
    const char *q = SCAN_FIND(f, end, "queue-id=<");
    if (q) {
        q += 10;
        const char *qe = memchr(q, '>', (size_t)(end - q));
        if (qe && qe > q)
            e->qid = scan_sv(q, qe);
    }
    const char *a = SCAN_FIND(f, end, "action='");
    int spam = 0;
    if (a) {
        a += 8;
        const char *ae = memchr(a, '\'', (size_t)(end - a));
        if (ae) {
            rs_action(scan_sv(a, ae), e);
            spam = e->action == MSL_ACT_REJECT || e->action == MSL_ACT_PREPEND;
        }
    }
    struct msl_str score = MSL_STR_NULL;
    const char *s = SCAN_FIND(f, end, "score=");
    if (s) {
        s += 6;
        score = scan_sv(s, scan_span_until(s, end, " ,"));
    }
    e->detail = rs_verdict(spam, score);
    return 1;
}

static int rs_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("rspamd");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    int shaped = 0;
    if (p < end && *p == '<') { /* "<5adc66>; " */
        const char *c = memchr(p, '>', (size_t)(end - p));
        if (c && c + 1 < end && c[1] == ';') {
            p = c + 2;
            while (p < end && *p == ' ')
                p++;
            shaped = 1;
        }
    }
    /* "module; " */
    const char *m = p;
    while (m < end && ((*m >= 'a' && *m <= 'z') || *m == '_' || scan_isdigit(*m)))
        m++;
    if (m > p && m + 1 < end && m[0] == ';' && m[1] == ' ') {
        e->detail = scan_sv(p, m);
        p = m + 2;
        shaped = 1;
    }
    if (SCAN_LIT(&p, end, "rspamd_task_write_log: ")) {
        e->detail = MSL_STR_NULL;
        if (rs_task_log(p, end, e))
            return 1;
        *why = "rspamd: unrecognised task log";
        return 0;
    }
    if (rs_final(p, end, e))
        return 1;
    const char *f = p;
    while (f < end && *f != ':' && *f != ' ')
        f++;
    if ((shaped || (f < end && *f == ':')) && p < end) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    *why = "rspamd: unrecognised message";
    return 0;
}

const struct msl_dialect msl_dialect_rspamd = {
    .name = "rspamd",
    .mta = "rspamd",
    .claims = rs_claims,
    .parse = rs_parse,
};
