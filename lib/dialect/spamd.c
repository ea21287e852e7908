/*
 * spamd.c - SpamAssassin's spamd (tag "spamd"; messages start with "spamd: ", "prefork: "
 * or "config: ").
 *   "spamd: result: Y 15 - SYM,SYM scantime=..,size=N,user=U,uid=..,required_score=5.0,
 *    rhost=H,raddr=IP,rport=P,mid=<M>,[rmid=..,]bayes=..,autolearn=.."
 *       -> POLICY: detail "spam=yes|no score=S", text = the test list, msgid, client_host,
 *          client_ip, client_port, size
 *   "spamd: identified spam (7.3/5.0) for U:uid in 2.1 seconds, N bytes."  POLICY spam=yes
 *   "spamd: clean message (-0.1/5.0) for U:uid in 0.4 seconds, N bytes."   POLICY spam=no
 *   "spamd: connection from H [IP]:P to port 783, fd 5"                    CONNECT
 *   "spamd: got connection over /var/run/spamd.sock"                       CONNECT
 *   "spamd: processing message <M> for U:uid"                              INFO (msgid)
 *   "spamd: server ...", "spamd: handled cleanup of child ...", "prefork: ..."  DAEMON
 * Only the Message-ID links spamd to the MTA.  detail is composed in a thread-local buffer
 * (valid only during the callback); every other view points into the message.
 */
#include "dialect/scan.h"

static int sd_claims(struct msl_str prog)
{
    return prog.n == 5 && memcmp(prog.p, "spamd", 5) == 0;
}

static struct msl_str sd_verdict(int spam, struct msl_str score)
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

static void sd_msgid(struct msl_str v, struct msl_event *e)
{
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>')
        e->msgid = scan_sv(v.p + 1, v.p + v.n - 1);
    else if (v.n && !(v.n == 7 && memcmp(v.p, "unknown", 7) == 0))
        e->msgid = v;
}

/* "Y 15 - SYMS key=v,key=v,..." */
static int sd_result(const char *p, const char *end, struct msl_event *e)
{
    if (p + 2 > end || (p[0] != 'Y' && p[0] != '.') || p[1] != ' ')
        return 0;
    int spam = p[0] == 'Y';
    p += 2;
    while (p < end && *p == ' ')
        p++;
    const char *s = p;
    p = scan_span_until(p, end, " ");
    struct msl_str score = scan_sv(s, p);
    if (!SCAN_LIT(&p, end, " - "))
        return 0;
    const char *t = p;
    p = scan_span_until(p, end, " ");
    e->text = scan_sv(t, p);
    while (p < end && *p == ' ')
        p++;
    while (p < end) {
        const char *k = p;
        while (p < end && *p != '=' && *p != ',')
            p++;
        if (p >= end || *p != '=') {
            p++;
            continue;
        }
        struct msl_str key = scan_sv(k, p);
        const char *v = ++p;
        if (p < end && *p == '<') {
            const char *c = memchr(p, '>', (size_t)(end - p));
            p = c ? c + 1 : end;
        } else {
            p = scan_span_until(p, end, ",");
        }
        struct msl_str val = scan_sv(v, p);
        if (p < end)
            p++;
#define KEY(s) (key.n == sizeof(s) - 1 && memcmp(key.p, s, key.n) == 0)
        if (KEY("mid"))
            sd_msgid(val, e);
        else if (KEY("raddr") && val.n)
            e->client_ip = val;
        else if (KEY("rhost") && val.n)
            e->client_host = val;
        else if (KEY("rport")) {
            const char *q = val.p;
            int64_t port;
            if (scan_uint(&q, val.p + val.n, &port) && port < 65536)
                e->client_port = (int32_t)port;
        } else if (KEY("size")) {
            const char *q = val.p;
            scan_uint(&q, val.p + val.n, &e->size);
        }
#undef KEY
    }
    e->kind = MSL_EV_POLICY;
    e->detail = sd_verdict(spam, score);
    return 1;
}

/* "(7.3/5.0) for U:uid in 2.1 seconds, N bytes." */
static int sd_summary(const char *p, const char *end, int spam, struct msl_event *e)
{
    if (p >= end || *p != '(')
        return 0;
    const char *s = p + 1, *se = scan_span_until(s, end, "/)");
    e->kind = MSL_EV_POLICY;
    e->detail = sd_verdict(spam, scan_sv(s, se));
    e->text = scan_sv(p, end);
    const char *b = SCAN_RFIND(p, end, " seconds, ");
    if (b) {
        const char *q = b + 10;
        scan_uint(&q, end, &e->size);
    }
    return 1;
}

static int sd_message(const struct msl_envelope *env, struct msl_event *e)
{
    e->mta = MSL_STR_LIT("spamd");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (SCAN_STARTS(p, end, "prefork: ") || SCAN_STARTS(p, end, "config: ") ||
        SCAN_STARTS(p, end, "logger: ")) {
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (!SCAN_LIT(&p, end, "spamd: "))
        return 0;
    if (SCAN_LIT(&p, end, "result: "))
        return sd_result(p, end, e);
    if (SCAN_LIT(&p, end, "identified spam "))
        return sd_summary(p, end, 1, e);
    if (SCAN_LIT(&p, end, "clean message "))
        return sd_summary(p, end, 0, e);
    if (SCAN_LIT(&p, end, "connection from ")) { /* "H [IP]:P to port 783, fd 5" */
        e->kind = MSL_EV_CONNECT;
        e->text = scan_sv(p, end);
        const char *ob = SCAN_FIND(p, end, " [");
        const char *cb = ob ? memchr(ob, ']', (size_t)(end - ob)) : NULL;
        if (cb) {
            e->client_host = scan_sv(p, ob);
            e->client_ip = scan_sv(ob + 2, cb);
            const char *q = cb + 1;
            int64_t port;
            if (SCAN_LIT(&q, end, ":") && scan_uint(&q, end, &port) && port < 65536)
                e->client_port = (int32_t)port;
        }
        return 1;
    }
    if (SCAN_STARTS(p, end, "got connection over ")) {
        e->kind = MSL_EV_CONNECT;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "processing message ")) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        const char *f = SCAN_FIND(p, end, " for ");
        sd_msgid(scan_sv(p, f ? f : end), e);
        return 1;
    }
    if (SCAN_STARTS(p, end, "server ") || SCAN_STARTS(p, end, "handled cleanup") ||
        SCAN_STARTS(p, end, "setuid to ") || SCAN_STARTS(p, end, "checked out ") ||
        SCAN_STARTS(p, end, "creating default_prefs")) {
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        return 1;
    }
    return 0;
}

static int sd_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    if (sd_message(env, e))
        return 1;
    e->kind = MSL_EV_NONE;
    *why = "spamd: unrecognised message";
    return 0;
}

const struct msl_dialect msl_dialect_spamd = {
    .name = "spamd",
    .mta = "spamd",
    .claims = sd_claims,
    .parse = sd_parse,
};
