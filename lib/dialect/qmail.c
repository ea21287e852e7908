/*
 * qmail.c - the qmail / netqmail / notqmail dialect (FORMATS.md section 7): qmail-send's
 * lines as splogger writes them to syslog ("qmail: 1157520813.485077 new msg 53"), the
 * ucspi-tcp lines of the SMTP service (tcpserver, rblsmtpd) and the few lines patched
 * qmail-smtpd builds log.  format_multilog.c feeds the same messages from multilog files.
 *
 * Per line: (1) an optional splogger stamp "<unix-sec>.<usec> " is taken; it is UTC and
 * exact, so it replaces the syslog stamp (zone/year guesses are cleared); "<stamp>+" marks
 * the continuation of an 800-byte chunk (INFO).  (2) An optional "tcpserver: ",
 * "rblsmtpd: ", "qmail-smtpd: " or "qmail-send: " prefix (several programs share splogger's
 * "qmail" tag) or the tag itself picks the handler; .daemon is that program name.
 *
 * qmail-send:  new msg N -> RECEIVED (qid = N, the queue file's inode number: reused as soon
 * as the message is gone, the correlator's reuse rule applies); info msg N: bytes B from <a>
 * qp Q uid U -> SENDER (detail = Q, qmail-queue's pid, which the bounce names);
 * starting delivery D: msg N to local|remote A -> INFO (qid N, detail D, to A, relay_host
 * local|remote); delivery D: success|deferral|failure: R -> DELIVERY (detail D, no qid: the
 * line does not name the message, see below); bounce msg N qp Q -> DSN_CREATED (detail Q);
 * triple bounce: discarding bounce/N -> INFO; end msg N -> QUEUE_REMOVED; status: local l/L
 * remote r/R -> STATS (count l + r); status: exiting -> DAEMON; warning:/alert: ->
 * WARNING/ERROR.
 *
 * Delivery reports are "logsafe": qmail wrote each newline as '/' and every byte < 33, > 126
 * and '%' as '_'.  .text is decoded: '_' -> ' ', the final '/' dropped, trailing blanks cut;
 * an inner '/' stays (it is a line break or a real slash; nobody can tell).  The decoding is
 * lossy ("user_name" reads "user name"); the raw line keeps the original.  The decoded text
 * lives in a thread-local scratch buffer valid until the next call (the same lifetime as
 * every other view of the event).  dsn comes from "#5.1.1", code from "said: 550", relay_ip
 * from qmail-remote's "1.2.3.4 accepted message.".
 *
 * Linking "delivery D:" to its message needs "starting delivery D: msg N" from earlier in the
 * same qmail-send run: state.  This dialect is stateless, so syslog-wrapped deliveries carry
 * only D; the multilog format keeps a bounded D -> N map and fills qid.  (Doing the same for
 * syslog needs per-host state in the syslog format or the correlator: key host + D, reset on
 * "status: exiting" or a smaller D.)
 *
 * tcpserver: status: N/M -> STATS; pid P from IP -> CONNECT (pid P); ok P l:ip:port
 * host:ip:info:port -> INFO with the client; deny P ... -> REJECT stage CONNECT; end P status
 * S -> DISCONNECT.  rblsmtpd: IP pid P[ zone]: 451 text -> REJECT stage CONNECT (detail =
 * zone); the older "zone blocked IP ..." form too.  A pid written as "x" (ucspi-tcp's test
 * output) gives no pid.
 */
#include "mailsleuth/source.h"
#include "dialect/scan.h"

#define WHY_SEND "qmail-send: unrecognised message"
#define WHY_TCP "tcpserver: unrecognised message"
#define WHY_RBL "rblsmtpd: unrecognised message"
#define WHY_SMTPD "qmail-smtpd: vendor-specific message"

enum { Q_SEND, Q_TCP, Q_RBL, Q_SMTPD };

static _Thread_local char qm_text[MSL_MAX_LINE];

static int word_eq(struct msl_str s, const char *w)
{
    size_t n = strlen(w);
    return s.n == n && memcmp(s.p, w, n) == 0;
}

/* A token up to ' ' (may be empty). */
static struct msl_str token(const char **pp, const char *end)
{
    const char *p = *pp, *q = p;
    while (q < end && *q != ' ')
        q++;
    *pp = q;
    return scan_sv(p, q);
}

/* Decimal number token "53"; the whole token must be digits. */
static int number(const char **pp, const char *end, struct msl_str *out)
{
    const char *p = *pp, *q = p;
    while (q < end && scan_isdigit(*q) && q - p < 20)
        q++;
    if (q == p || (q < end && *q != ' ' && *q != ':'))
        return 0;
    *out = scan_sv(p, q);
    *pp = q;
    return 1;
}

/* A pid token: digits set e->pid, "x" (test output) is accepted without a pid. */
static int pid_tok(const char **pp, const char *end, struct msl_event *e)
{
    const char *p = *pp;
    int64_t v;
    if (scan_uint(&p, end, &v) && (p == end || *p == ' ' || *p == ':')) {
        e->pid = v;
        *pp = p;
        return 1;
    }
    p = *pp;
    if (p < end && *p == 'x' && (p + 1 == end || p[1] == ' ' || p[1] == ':')) {
        *pp = p + 1;
        return 1;
    }
    return 0;
}

/* "<unix-sec>.<usec>" followed by ' ' or '+'; returns 1 ' ', 2 '+', 0 none. */
static int splogger_stamp(const char **pp, const char *end, int64_t *us)
{
    const char *p = *pp, *s = p;
    int64_t sec, usec = 0;
    if (!scan_uint(&p, end, &sec) || p - s < 9 || p - s > 11 || p >= end || *p != '.')
        return 0;
    p++;
    const char *f = p;
    if (!scan_uint(&p, end, &usec) || p - f != 6 || p >= end || (*p != ' ' && *p != '+'))
        return 0;
    *us = sec * 1000000 + usec;
    int kind = *p == ' ' ? 1 : 2;
    *pp = p + 1;
    return kind;
}

/* Decodes qmail's logsafe report into the scratch buffer. */
static struct msl_str unlogsafe(struct msl_str r)
{
    size_t n = r.n < sizeof qm_text ? r.n : sizeof qm_text;
    if (n && r.p[n - 1] == '/')
        n--;
    for (size_t i = 0; i < n; i++)
        qm_text[i] = r.p[i] == '_' ? ' ' : r.p[i];
    while (n && qm_text[n - 1] == ' ')
        n--;
    return (struct msl_str){qm_text, n};
}

/* dsn "#5.1.1", code after "said:_", relay_ip of "1.2.3.4_accepted_message." */
static void report_fields(struct msl_str r, struct msl_event *e)
{
    const char *p = r.p, *end = r.p + r.n;
    for (const char *h = p; (h = memchr(h, '#', (size_t)(end - h))) != NULL; h++) {
        const char *q = h + 1;
        if (q + 4 < end && *q >= '2' && *q <= '5' && q[1] == '.' && scan_isdigit(q[2])) {
            q += 2;
            while (q < end && scan_isdigit(*q))
                q++;
            if (q + 1 < end && *q == '.' && scan_isdigit(q[1])) {
                q++;
                while (q < end && scan_isdigit(*q))
                    q++;
                e->dsn = scan_sv(h + 1, q);
                break;
            }
        }
    }
    const char *s = SCAN_FIND(p, end, "said:_");
    if (s && s + 9 <= end && scan_isdigit(s[6]) && scan_isdigit(s[7]) && scan_isdigit(s[8]) &&
        (s + 9 == end || s[9] == '_' || s[9] == '-' || s[9] == '/'))
        e->code = scan_sv(s + 6, s + 9);
    const char *a = SCAN_FIND(p, end, "_accepted_message.");
    if (a && a > p) {
        const char *q = p;
        while (q < a && (scan_isdigit(*q) || *q == '.' || *q == ':' || (*q >= 'a' && *q <= 'f')))
            q++;
        if (q == a)
            e->relay_ip = scan_sv(p, a);
    }
}

static const char *send_line(const char *p, const char *end, struct msl_event *e)
{
    struct msl_str n;
    if (SCAN_LIT(&p, end, "new msg ")) {
        if (!number(&p, end, &n) || p != end)
            return WHY_SEND;
        e->kind = MSL_EV_RECEIVED;
        e->qid = n;
        return NULL;
    }
    if (SCAN_LIT(&p, end, "info msg ")) {
        if (!number(&p, end, &n) || !SCAN_LIT(&p, end, ": bytes ") ||
            !scan_uint(&p, end, &e->size) || !SCAN_LIT(&p, end, " from "))
            return WHY_SEND;
        const char *qp = SCAN_RFIND(p, end, " qp ");
        if (!qp || !scan_addr(&p, qp, &e->from))
            return WHY_SEND;
        e->kind = MSL_EV_SENDER;
        e->qid = n;
        p = qp + 4;
        e->detail = token(&p, end);
        if (SCAN_LIT(&p, end, " uid "))
            e->uid = token(&p, end);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "starting delivery ")) {
        struct msl_str d;
        if (!number(&p, end, &d) || !SCAN_LIT(&p, end, ": msg ") || !number(&p, end, &n) ||
            !SCAN_LIT(&p, end, " to "))
            return WHY_SEND;
        struct msl_str ch = token(&p, end);
        if (!(word_eq(ch, "local") || word_eq(ch, "remote")) || !SCAN_LIT(&p, end, " "))
            return WHY_SEND;
        e->kind = MSL_EV_INFO;
        e->qid = n;
        e->detail = d;
        e->relay_host = ch;
        e->to = scan_sv(p, end);
        e->text = MSL_STR_LIT("starting delivery");
        return NULL;
    }
    if (SCAN_LIT(&p, end, "delivery ")) {
        struct msl_str d;
        if (!number(&p, end, &d) || !SCAN_LIT(&p, end, ": "))
            return WHY_SEND;
        if (SCAN_LIT(&p, end, "success:"))
            e->status = MSL_ST_SENT;
        else if (SCAN_LIT(&p, end, "deferral:"))
            e->status = MSL_ST_DEFERRED;
        else if (SCAN_LIT(&p, end, "failure:"))
            e->status = MSL_ST_BOUNCED;
        else
            return WHY_SEND;
        if (p < end && *p == ' ')
            p++;
        e->kind = MSL_EV_DELIVERY;
        e->detail = d;
        struct msl_str r = scan_sv(p, end);
        report_fields(r, e);
        e->text = unlogsafe(r);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "end msg ")) {
        if (!number(&p, end, &n) || p != end)
            return WHY_SEND;
        e->kind = MSL_EV_QUEUE_REMOVED;
        e->qid = n;
        return NULL;
    }
    if (SCAN_LIT(&p, end, "bounce msg ")) {
        if (!number(&p, end, &n) || !SCAN_LIT(&p, end, " qp "))
            return WHY_SEND;
        e->kind = MSL_EV_DSN_CREATED;
        e->qid = n;
        e->detail = token(&p, end);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "triple bounce: discarding bounce/")) {
        if (!number(&p, end, &n))
            return WHY_SEND;
        e->kind = MSL_EV_INFO;
        e->qid = n;
        e->text = MSL_STR_LIT("triple bounce: discarding");
        return NULL;
    }
    if (SCAN_LIT(&p, end, "status: ")) {
        if (SCAN_STARTS(p, end, "exiting")) {
            e->kind = MSL_EV_DAEMON;
            e->text = scan_sv(p, end);
            return NULL;
        }
        const char *s = p;
        int64_t l, lmax, r, rmax;
        if (!SCAN_LIT(&p, end, "local ") || !scan_uint(&p, end, &l) || !SCAN_LIT(&p, end, "/") ||
            !scan_uint(&p, end, &lmax) || !SCAN_LIT(&p, end, " remote ") || !scan_uint(&p, end, &r) ||
            !SCAN_LIT(&p, end, "/") || !scan_uint(&p, end, &rmax))
            return WHY_SEND;
        e->kind = MSL_EV_STATS;
        e->count = l + r;
        e->detail = scan_sv(s, p);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "warning: ")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->text = scan_sv(p, end);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "alert: ")) {
        e->kind = MSL_EV_ERROR;
        e->severity = MSL_SEV_ERROR;
        e->text = scan_sv(p, end);
        return NULL;
    }
    return WHY_SEND;
}

/* "host:ip:info:port" (remote) -> client_host, client_ip, client_port (from the right). */
static void tcp_remote(struct msl_str r, struct msl_event *e)
{
    const char *p = r.p, *end = r.p + r.n;
    const char *c1 = memchr(p, ':', r.n);
    const char *c3 = c1 ? scan_rfind(c1 + 1, end, ":", 1) : NULL;
    const char *c2 = c3 ? scan_rfind(c1 + 1, c3, ":", 1) : NULL;
    if (!c2)
        return;
    if (c1 > p)
        e->client_host = scan_sv(p, c1);
    e->client_ip = scan_sv(c1 + 1, c2);
    const char *q = c3 + 1;
    int64_t port;
    if (scan_uint(&q, end, &port) && q == end && port <= 65535)
        e->client_port = (int32_t)port;
}

static const char *tcp_line(const char *p, const char *end, struct msl_event *e)
{
    if (SCAN_LIT(&p, end, "status: ")) {
        const char *s = p;
        int64_t n, m;
        if (!scan_uint(&p, end, &n) || !SCAN_LIT(&p, end, "/") || !scan_uint(&p, end, &m) || p != end)
            return WHY_TCP;
        e->kind = MSL_EV_STATS;
        e->count = n;
        e->detail = scan_sv(s, end);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "pid ")) {
        if (!pid_tok(&p, end, e) || !SCAN_LIT(&p, end, " from "))
            return WHY_TCP;
        e->kind = MSL_EV_CONNECT;
        e->client_ip = token(&p, end);
        return e->client_ip.n ? NULL : WHY_TCP;
    }
    int ok = SCAN_STARTS(p, end, "ok ");
    if (ok || SCAN_STARTS(p, end, "deny ")) {
        p += ok ? 3 : 5;
        if (!pid_tok(&p, end, e) || !SCAN_LIT(&p, end, " "))
            return WHY_TCP;
        token(&p, end); /* local host:ip:port */
        if (!SCAN_LIT(&p, end, " "))
            return WHY_TCP;
        tcp_remote(token(&p, end), e);
        if (ok) {
            e->kind = MSL_EV_INFO;
            e->text = MSL_STR_LIT("ok");
        } else {
            e->kind = MSL_EV_REJECT;
            e->action = MSL_ACT_REJECT;
            e->stage = MSL_STR_LIT("CONNECT");
            e->text = MSL_STR_LIT("deny");
        }
        return NULL;
    }
    if (SCAN_LIT(&p, end, "end ")) {
        if (!pid_tok(&p, end, e) || !SCAN_LIT(&p, end, " status "))
            return WHY_TCP;
        e->kind = MSL_EV_DISCONNECT;
        e->text = scan_sv(p - 7, end);
        return NULL;
    }
    int fatal = SCAN_LIT(&p, end, "fatal: ");
    if (fatal || SCAN_LIT(&p, end, "warning: ")) {
        e->kind = fatal ? MSL_EV_ERROR : MSL_EV_WARNING;
        e->severity = fatal ? MSL_SEV_FATAL : MSL_SEV_WARNING;
        e->text = scan_sv(p, end);
        return NULL;
    }
    return WHY_TCP;
}

static void reject_connect(struct msl_event *e)
{
    e->kind = MSL_EV_REJECT;
    e->action = MSL_ACT_REJECT;
    e->stage = MSL_STR_LIT("CONNECT");
}

/* "IP pid P[ zone]: 451 text" or the old "zone blocked IP host -" */
static const char *rbl_line(const char *p, const char *end, struct msl_event *e)
{
    struct msl_str a = token(&p, end);
    if (!a.n || !SCAN_LIT(&p, end, " "))
        return WHY_RBL;
    if (SCAN_LIT(&p, end, "pid ")) {
        if (!pid_tok(&p, end, e))
            return WHY_RBL;
        const char *c = SCAN_FIND(p, end, ": ");
        if (!c)
            return WHY_RBL;
        if (c > p && *p == ' ')
            e->detail = scan_sv(p + 1, c);
        else if (c != p)
            return WHY_RBL;
        reject_connect(e);
        e->client_ip = a;
        e->text = scan_sv(c + 2, end);
        const char *t = e->text.p;
        if (e->text.n >= 3 && scan_isdigit(t[0]) && scan_isdigit(t[1]) && scan_isdigit(t[2]) &&
            (e->text.n == 3 || t[3] == ' '))
            e->code = scan_sv(t, t + 3);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "blocked ")) {
        reject_connect(e);
        e->detail = a;
        e->client_ip = token(&p, end);
        if (SCAN_LIT(&p, end, " "))
            e->text = scan_sv(p, end);
        return e->client_ip.n ? NULL : WHY_RBL;
    }
    return WHY_RBL;
}

/* Patched qmail-smtpd: "421 badiprbl: ip 1.2.3.4 rbl: zone" and other "NNN text" replies. */
static const char *smtpd_line(const char *p, const char *end, struct msl_event *e)
{
    if (end - p < 4 || !scan_isdigit(p[0]) || !scan_isdigit(p[1]) || !scan_isdigit(p[2]) ||
        p[3] != ' ' || (p[0] != '4' && p[0] != '5'))
        return WHY_SMTPD;
    e->kind = MSL_EV_REJECT;
    e->action = MSL_ACT_REJECT;
    e->code = scan_sv(p, p + 3);
    e->text = scan_sv(p, end);
    const char *ip = SCAN_FIND(p, end, " ip ");
    if (ip) {
        const char *q = ip + 4;
        e->client_ip = token(&q, end);
    }
    return NULL;
}

static int prog_kind(struct msl_str s)
{
    if (word_eq(s, "tcpserver"))
        return Q_TCP;
    if (word_eq(s, "rblsmtpd"))
        return Q_RBL;
    if (word_eq(s, "qmail-smtpd"))
        return Q_SMTPD;
    if (word_eq(s, "qmail") || word_eq(s, "qmail-send") || word_eq(s, "splogger"))
        return Q_SEND;
    return -1;
}

static int qm_claims(struct msl_str prog)
{
    return prog.p && prog_kind(prog) >= 0;
}

static int qm_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("qmail");
    if (!env->msg.p || !env->msg.n) {
        *why = WHY_SEND;
        return 0;
    }
    const char *p = env->msg.p, *end = p + env->msg.n;
    int64_t us;
    int st = splogger_stamp(&p, end, &us);
    if (st) {
        e->ts = us;
        e->flags &= ~(MSL_EVF_LOCAL_TIME | MSL_EVF_YEAR_GUESS);
    }
    if (st == 2) {
        e->kind = MSL_EV_INFO;
        e->daemon = MSL_STR_LIT("qmail-send");
        e->detail = MSL_STR_LIT("splogger continuation");
        e->text = scan_sv(p, end);
        return 1;
    }
    int k = prog_kind(env->program);
    e->daemon = k == Q_SEND ? MSL_STR_LIT("qmail-send") : env->program;
    /* a program prefix inside the message (splogger, multilog) */
    const char *c = memchr(p, ':', (size_t)(end - p));
    if (c && c + 1 < end && c[1] == ' ') {
        struct msl_str pre = scan_sv(p, c);
        int pk = prog_kind(pre);
        if (pk >= 0 && pk != Q_SEND) {
            k = pk;
            e->daemon = pre;
            p = c + 2;
        } else if (word_eq(pre, "qmail-send")) {
            k = Q_SEND;
            e->daemon = pre;
            p = c + 2;
        }
    }
    const char *w;
    switch (k) {
    case Q_TCP:
        w = tcp_line(p, end, e);
        break;
    case Q_RBL:
        w = rbl_line(p, end, e);
        break;
    case Q_SMTPD:
        w = smtpd_line(p, end, e);
        break;
    default:
        w = send_line(p, end, e);
        break;
    }
    if (w) {
        *why = w;
        return 0;
    }
    return 1;
}

const struct msl_dialect msl_dialect_qmail = {
    .name = "qmail",
    .mta = "qmail",
    .caps = MSL_MTA_TRANSACTIONS,
    .claims = qm_claims,
    .parse = qm_parse,
};
