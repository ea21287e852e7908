/*
 * sessions.c - events -> SMTP sessions (one smtpd connection), and postscreen verdicts.
 *
 * smtpd sessions are keyed "host SEP pid": one smtpd process serves one client at a time, so
 * every smtpd line of that pid between "connect from" and "disconnect from" belongs to the
 * session.  A CONNECT on a live key, or an event whose client IP differs from the session's,
 * closes the old session first (pid reuse, or a missed disconnect).  Events that carry
 * session facts (DISCONNECT, TLS, AUTH_*, REJECT, RECEIVED) open a session when none is open
 * (the log began mid-session: saw_connect = 0); other smtpd events only add evidence.
 *
 * postscreen runs as one long-lived process for all clients, so its lines are kept per
 * "host SEP client ip" in a second map.  Its verdicts (PASS NEW, DNSBL rank 3, PREGREET ...),
 * dnsblog listings and its own rejects collect there; the NEXT smtpd CONNECT from that IP on
 * that host takes them over (verdicts, rejects and evidence lines move, the postscreen record
 * disappears).  A postscreen DISCONNECT (client dropped or rejected by postscreen), a new
 * postscreen CONNECT for the same IP, an idle sweep or the end of input hand the postscreen
 * record to the sink as a session of its own (program ".../postscreen").
 *
 * A plain "disconnect from" closes the session; "lost connection / timeout / too many errors
 * after X" only set end_reason (smtpd logs the disconnect right after).  At the disconnect,
 * messages of the session that never reached qmgr and either met a transaction-ending reject
 * or had no successful DATA/BDAT (counters) are closed as MSL_END_REJECTED: Postfix writes
 * no "removed" line for them, and keeping them open would hold memory for idle_us.
 *
 * Exchange SMTP protocol logs key their sessions by session-id (every row opens or extends
 * its session; the "-" row ends it).  A message tracking RECEIVE of source SMTP names the
 * session in its source-context, but the two logs are separate files read in any order, so
 * an ended Exchange session is held in c->xwait instead of being handed over, and a RECEIVE
 * whose session has not been read yet holds a placeholder there that the protocol rows
 * later fill (it moves back to c->sessions).  Held records are bounded (XWAIT_MAX, the
 * older half handed over when full), and go at the idle sweep and at the end of input.
 */
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate_int.h"
#include "mailsleuth/mailsleuth.h"

static struct msl_str sv(const char *s)
{
    return (struct msl_str){s, s ? strlen(s) : 0};
}

static void sess_key(struct buf *b, struct msl_str host, int64_t pid)
{
    buf_reset(b);
    size_t hn = cr_keylen(host);
    if (hn)
        buf_add(b, host.p, hn);
    buf_addc(b, CR_SEP);
    buf_addi(b, pid);
}

/* Exchange sessions are keyed by their session-id: "host SEP s SEP id", the host in lower
 * case up to its first '.' (the protocol log names the server as its connector's prefix,
 * the tracking log as server-hostname: "EX1" and "ex1.corp.example" are one server). */
static void sid_key(struct buf *b, struct msl_str host, struct msl_str sid)
{
    buf_reset(b);
    host.n = cr_keylen(host);
    sid.n = cr_keylen(sid);
    for (size_t i = 0; i < host.n && host.p[i] != '.'; i++) {
        char ch = host.p[i];
        buf_addc(b, ch >= 'A' && ch <= 'Z' ? (char)(ch + ('a' - 'A')) : ch);
    }
    buf_addc(b, CR_SEP);
    buf_addc(b, 's');
    buf_addc(b, CR_SEP);
    buf_add(b, sid.p, sid.n);
}

static void rec_key(struct msl_correlator *c, struct strmap *map, const struct msl_session *s)
{
    if (map == c->ps)
        cr_key2(&c->kb, sv(s->host), sv(s->client_ip));
    else if (s->smtp_session_id)
        sid_key(&c->kb, sv(s->host), sv(s->smtp_session_id));
    else
        sess_key(&c->kb, sv(s->host), s->pid);
}

static int connection_kind(enum msl_kind k)
{
    return k == MSL_EV_CONNECT || k == MSL_EV_DISCONNECT || k == MSL_EV_TLS ||
           k == MSL_EV_AUTH_OK || k == MSL_EV_AUTH_FAIL || k == MSL_EV_REJECT ||
           k == MSL_EV_RECEIVED;
}

/*
 * Puts the key of the SMTP-server session an event belongs to in c->kb.  Returns 1 for a
 * pid key, 2 for a session-id key, 0 when the event belongs to no such session.  Sendmail
 * and Exim log deliveries from other processes than the receiving one, so only
 * connection-level events of theirs count.
 */
static int session_key(struct msl_correlator *c, const struct msl_event *e)
{
    if (e->pid >= 0 && (cr_is(e->daemon, "smtpd") ||
                        ((e->mta_caps & MSL_MTA_FORKS) && connection_kind(e->kind)))) {
        sess_key(&c->kb, e->host, e->pid);
        return 1;
    }
    if (e->pid < 0 && (e->mta_caps & MSL_MTA_TRACKING) && e->detail.n &&
        cr_is(e->program, "SMTP-RECV")) {
        sid_key(&c->kb, e->host, e->detail);
        return 2;
    }
    return 0;
}

void cr_session_release(struct msl_correlator *c, struct msl_session *s)
{
    if (s->held_by_ > 0 && --s->held_by_ > 0)
        return;
    if (!c->sink.session || !c->sink.session(c->sink.ctx, s))
        msl_session_free(s);
}

void cr_session_close(struct msl_correlator *c, struct strmap *map, struct msl_session *s)
{
    rec_key(c, map, s);
    struct msl_session **v = strmap_find(map, c->kb.p, c->kb.n);
    if (v && *v == s)
        strmap_del(map, c->kb.p, c->kb.n);
    if (c->opts.hold_sessions) {
        /* wait for the messages it submitted that are still open */
        for (size_t i = 0; i < s->nqids; i++) {
            struct cr_msg *m = cr_msg_find(c, (struct msl_str){s->host, strlen(s->host)},
                                           (struct msl_str){s->qids[i], strlen(s->qids[i])});
            if (m && m->m.session_id == s->id && !m->held_sess) {
                m->held_sess = s;
                s->held_by_++;
            }
        }
        if (s->held_by_ > 0)
            return;
    }
    cr_session_release(c, s);
}

/* Finds or creates the record under the key in c->kb. */
static struct msl_session *sess_get(struct msl_correlator *c, struct strmap *map,
                                    const struct msl_event *e, int create)
{
    if (c->kb.err) {
        c->oom = 1;
        return NULL;
    }
    if (!create) {
        struct msl_session **v = strmap_find(map, c->kb.p, c->kb.n);
        return v ? *v : NULL;
    }
    int created = 0;
    struct msl_session **v = strmap_get(map, c->kb.p, c->kb.n, &created);
    if (!v) {
        c->oom = 1;
        return NULL;
    }
    if (!created)
        return *v;
    struct msl_session *s = calloc(1, sizeof *s);
    if (!s || !(s->host = cr_dup(e->host.p ? e->host : MSL_STR_LIT(""))) ||
        !(s->program = cr_dup(e->program.p ? e->program : MSL_STR_LIT("")))) {
        if (s) {
            free(s->host);
            free(s);
        }
        strmap_del(map, c->kb.p, c->kb.n);
        c->oom = 1;
        return NULL;
    }
    s->id = ++c->next_sess_id;
    s->pid = e->pid;
    s->client_port = -1;
    s->start_ts = s->end_ts = e->ts;
    *v = s;
    return s;
}

#define MSET(M, dst, v)                              \
    do {                                             \
        if (cr_mset((M), &(dst), (v)) != MSL_OK)     \
            c->oom = 1;                              \
    } while (0)
#define SET(dst, v)                          \
    do {                                     \
        if (cr_set(&(dst), (v)) != MSL_OK)   \
            c->oom = 1;                      \
    } while (0)

static void set_client(struct msl_correlator *c, struct msl_session *s, const struct msl_event *e)
{
    SET(s->client_host, e->client_host);
    SET(s->client_ip, e->client_ip);
    if (s->client_port < 0 && e->client_port >= 0)
        s->client_port = e->client_port;
}

static void add_line(struct msl_correlator *c, struct msl_session *s, const struct msl_event *e)
{
    if (e->ts > s->end_ts)
        s->end_ts = e->ts;
    if (cr_add_line(c, NULL, &s->lines, &s->nlines, &s->lines_dropped, e))
        c->oom = 1;
}

static int has_qid(const struct msl_session *s, struct msl_str qid)
{
    for (size_t i = 0; i < s->nqids; i++)
        if (cr_is(qid, s->qids[i]))
            return 1;
    return 0;
}

static void add_reject(struct msl_correlator *c, struct msl_session *s, const struct msl_event *e)
{
    if (cr_grow(&s->rejects, s->nrejects, sizeof *s->rejects)) {
        c->oom = 1;
        return;
    }
    struct msl_reject_rec *r = &s->rejects[s->nrejects++];
    memset(r, 0, sizeof *r);
    r->ts = e->ts;
    r->action = e->action;
    r->noqueue = (e->flags & MSL_EVF_NOQUEUE) != 0;
    r->ev = e->ev;
    SET(r->stage, e->stage);
    SET(r->code, e->code);
    SET(r->dsn, e->dsn);
    SET(r->text, e->text);
    SET(r->from, e->from);
    SET(r->to, e->to);
    SET(r->helo, e->helo);
}

static void add_auth(struct msl_correlator *c, struct msl_session *s, const struct msl_event *e,
                     int ok)
{
    if (cr_grow(&s->auths, s->nauths, sizeof *s->auths)) {
        c->oom = 1;
        return;
    }
    struct msl_auth_rec *a = &s->auths[s->nauths++];
    memset(a, 0, sizeof *a);
    a->ts = e->ts;
    a->ok = ok;
    a->ev = e->ev;
    SET(a->method, e->sasl_method);
    SET(a->user, e->sasl_user);
    if (!ok)
        SET(a->text, e->text);
}

/* "PASS NEW", "DNSBL rank 3", "dnsblog zen.spamhaus.org" */
static void add_verdict(struct msl_correlator *c, struct msl_session *s,
                        const struct msl_event *e)
{
    struct buf *b = &c->vb;
    buf_reset(b);
    if (cr_is(e->daemon, "dnsblog"))
        buf_adds(b, "dnsblog ");
    if (e->detail.n)
        buf_add(b, e->detail.p, e->detail.n);
    if (cr_is(e->detail, "DNSBL") && e->count >= 0) {
        buf_adds(b, " rank ");
        buf_addi(b, e->count);
    }
    if (b->err || cr_add_str(&s->verdicts, &s->nverdicts, (struct msl_str){b->p ? b->p : "",
                                                                          b->n}))
        c->oom = 1;
}

/* Moves the postscreen record's findings into the smtpd session and frees it. */
static void adopt_postscreen(struct msl_correlator *c, struct msl_session *s,
                             struct msl_session *ps)
{
    for (size_t i = 0; i < ps->nverdicts; i++) {
        if (cr_grow(&s->verdicts, s->nverdicts, sizeof *s->verdicts)) {
            c->oom = 1;
            return; /* ps stays intact and is handed over on its own later */
        }
        s->verdicts[s->nverdicts++] = ps->verdicts[i];
        ps->verdicts[i] = NULL;
    }
    for (size_t i = 0; i < ps->nrejects; i++) {
        if (cr_grow(&s->rejects, s->nrejects, sizeof *s->rejects)) {
            c->oom = 1;
            return;
        }
        s->rejects[s->nrejects++] = ps->rejects[i];
        memset(&ps->rejects[i], 0, sizeof ps->rejects[i]);
    }
    for (size_t i = 0; i < ps->nlines; i++) {
        if (s->nlines >= c->opts.max_lines) {
            s->lines_dropped++;
            continue;
        }
        if (cr_grow(&s->lines, s->nlines, sizeof *s->lines)) {
            c->oom = 1;
            return;
        }
        s->lines[s->nlines++] = ps->lines[i];
        ps->lines[i].text = NULL;
    }
    s->lines_dropped += ps->lines_dropped;
    if (ps->start_ts < s->start_ts)
        s->start_ts = ps->start_ts;
    cr_key2(&c->kb, sv(ps->host), sv(ps->client_ip));
    strmap_del(c->ps, c->kb.p, c->kb.n);
    msl_session_free(ps);
}

static void postscreen_event(struct msl_correlator *c, const struct msl_event *e)
{
    if (!e->client_ip.n)
        return;
    cr_key2(&c->kb, e->host, e->client_ip);
    int dnsblog = cr_is(e->daemon, "dnsblog");
    struct msl_session *s = sess_get(c, c->ps, e, 0);
    if (e->kind == MSL_EV_CONNECT && s) {
        cr_session_close(c, c->ps, s); /* an earlier connection that never reached smtpd */
        cr_key2(&c->kb, e->host, e->client_ip);
        s = NULL;
    }
    if (!s) {
        if (dnsblog)
            return;
        s = sess_get(c, c->ps, e, 1);
        if (!s)
            return;
    }
    set_client(c, s, e);
    switch (e->kind) {
    case MSL_EV_CONNECT:
        s->saw_connect = 1;
        break;
    case MSL_EV_POLICY:
        add_verdict(c, s, e);
        break;
    case MSL_EV_REJECT:
        add_reject(c, s, e);
        break;
    case MSL_EV_DISCONNECT:
        s->saw_disconnect = 1;
        s->closed = 1;
        break;
    default:
        break;
    }
    add_line(c, s, e);
    if (s->closed)
        cr_session_close(c, c->ps, s);
}

/* First number of "key=N" or "key=N/M" in the disconnect counters, or -1. */
static long long counter(const char *counters, const char *key)
{
    size_t kn = strlen(key);
    for (const char *p = counters; p && *p;) {
        if (strncmp(p, key, kn) == 0 && p[kn] == '=') {
            long long v = 0;
            for (p += kn + 1; *p >= '0' && *p <= '9' && v < 1000000000; p++)
                v = v * 10 + (*p - '0');
            return v;
        }
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return -1;
}

/* The session ended: close its messages that Postfix will never mention again. */
static void close_unqueued(struct msl_correlator *c, const struct msl_session *s)
{
    int data_ok = counter(s->counters, "data") > 0 || counter(s->counters, "bdat") > 0;
    for (size_t i = 0; i < s->nqids; i++) {
        struct cr_msg *m = cr_msg_find(c, sv(s->host), sv(s->qids[i]));
        if (m && m->m.session_id == s->id && !m->queued && !m->m.ndeliveries &&
            (m->rejected || (!data_ok && s->counters)))
            cr_msg_close(c, m, MSL_END_REJECTED);
    }
}

/* --- Exchange: protocol-log sessions <-> tracking-log RECEIVE rows ----------------------- */

#define XWAIT_MAX 16384 /* Exchange sessions held for the other log; the older half goes */

/* The session an entry of strmap_sorted()'s array points at. */
static const struct msl_session *entry_sess(const void *p)
{
    const struct strmap_entry *e = *(const struct strmap_entry *const *)p;
    return *(struct msl_session *const *)e->val;
}

static int by_end(const void *a, const void *b)
{
    const struct msl_session *x = entry_sess(a), *y = entry_sess(b);
    if (x->end_ts != y->end_ts)
        return x->end_ts < y->end_ts ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Room for one more held session: at XWAIT_MAX the older half is handed over. */
static void xs_bound(struct msl_correlator *c)
{
    if (strmap_len(c->xwait) < XWAIT_MAX)
        return;
    size_t n = 0;
    const struct strmap_entry **v = strmap_sorted(c->xwait, by_end, &n);
    if (!v) {
        c->oom = 1;
        return;
    }
    size_t drop = n / 2;
    struct msl_session **ss = malloc((drop ? drop : 1) * sizeof *ss);
    if (!ss) {
        free(v);
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < drop; i++) /* copy first: a hand-over frees its map entry */
        ss[i] = *(struct msl_session *const *)v[i]->val;
    free(v);
    for (size_t i = 0; i < drop; i++)
        cr_session_close(c, c->xwait, ss[i]);
    free(ss);
}

/* Moves s from map `from` to `to` (same key); a held session under that key is handed over. */
static void xs_move(struct msl_correlator *c, struct strmap *from, struct strmap *to,
                    struct msl_session *s)
{
    rec_key(c, from, s);
    struct msl_session **v = strmap_find(from, c->kb.p, c->kb.n);
    if (v && *v == s)
        strmap_del(from, c->kb.p, c->kb.n);
    if (to == c->xwait)
        xs_bound(c);
    rec_key(c, to, s);
    v = strmap_find(to, c->kb.p, c->kb.n);
    if (v && *v != s) {
        cr_session_close(c, to, *v);
        rec_key(c, to, s);
    }
    int created = 0;
    v = c->kb.err ? NULL : strmap_get(to, c->kb.p, c->kb.n, &created);
    if (!v) {
        c->oom = 1;
        if (!c->sink.session || !c->sink.session(c->sink.ctx, s))
            msl_session_free(s); /* nowhere to keep it: hand it over now */
        return;
    }
    *v = s;
}

/* "08DC1DB12C345BE5;2024-01-25T15:16:09.544Z;0" -> the session id (8..40 hex digits or '-',
 * not all zeros: some builds log 0000000000000000 for every session). */
static struct msl_str receive_sid(struct msl_str ctx)
{
    size_t n = 0;
    while (n < ctx.n && ctx.p[n] != ';')
        n++;
    if (n < 8 || n > 40 || n == ctx.n)
        return MSL_STR_NULL;
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = ctx.p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f') ||
              ch == '-'))
            return MSL_STR_NULL;
        nonzero |= ch != '0' && ch != '-';
    }
    return nonzero ? (struct msl_str){ctx.p, n} : MSL_STR_NULL;
}

static void set_proto(struct msl_correlator *c, struct cr_msg *m, const char *p)
{
    if (!p || (m->m.proto && strcmp(m->m.proto, p) == 0))
        return;
    char *d = cr_mdup(m, (struct msl_str){p, strlen(p)});
    if (!d) {
        c->oom = 1;
        return;
    }
    m->m.proto = d; /* the old one stays in the record's blocks until it is freed */
}

/* The session's facts into its message: client, HELO, AUTH user, and TLS/AUTH as the
 * RFC 3848 protocol name (ESMTPS, ESMTPA, ESMTPSA); the message has no TLS field. */
static void xs_share(struct msl_correlator *c, const struct msl_session *s, struct cr_msg *m)
{
    m->m.session_id = s->id;
    MSET(m, m->m.client_ip, sv(s->client_ip));
    MSET(m, m->m.client_host, sv(s->client_host));
    if (m->m.client_port < 0 && s->client_port >= 0 && s->client_ip && m->m.client_ip &&
        strcmp(s->client_ip, m->m.client_ip) == 0)
        m->m.client_port = s->client_port;
    MSET(m, m->m.helo, sv(s->helo));
    int auth = 0;
    for (size_t i = s->nauths; i-- > 0 && !auth;) {
        if (!s->auths[i].ok)
            continue;
        auth = 1;
        MSET(m, m->m.sasl_method, sv(s->auths[i].method));
        MSET(m, m->m.sasl_user, sv(s->auths[i].user));
    }
    set_proto(c, m, s->tls_proto ? (auth ? "ESMTPSA" : "ESMTPS") : auth ? "ESMTPA" : NULL);
}

/* Facts learnt by a session after its messages were linked: to those still open. */
static void xs_push(struct msl_correlator *c, const struct msl_session *s)
{
    for (size_t i = 0; i < s->nqids; i++) {
        struct cr_msg *m = cr_msg_find(c, sv(s->host), sv(s->qids[i]));
        if (m && m->m.session_id == s->id)
            xs_share(c, s, m);
    }
}

/*
 * A tracking-log RECEIVE of source SMTP: its source-context starts with the protocol-log
 * session id.  The session is looked up open (c->sessions), then held (c->xwait), under
 * the RECEIVE's host and then under no host (a protocol log whose connector names no
 * server).  Not found: a placeholder session is held for it (saw_connect 0, closed 0) that
 * the protocol-log rows fill when they come.  Either way the message gets the session's id
 * and facts, the session lists the message's qid and cites the RECEIVE line.
 */
static void xs_receive(struct msl_correlator *c, const struct msl_event *e, struct cr_msg *m)
{
    struct msl_str sid = receive_sid(e->text);
    if (!sid.n)
        return;
    struct msl_session *s = NULL;
    for (int pass = 0; pass < 2 && !s; pass++) {
        if (pass == 1 && !e->host.n)
            break;
        sid_key(&c->kb, pass ? MSL_STR_NULL : e->host, sid);
        s = sess_get(c, c->sessions, e, 0);
        if (!s)
            s = sess_get(c, c->xwait, e, 0);
    }
    if (!s) {
        xs_bound(c);
        sid_key(&c->kb, e->host, sid);
        s = sess_get(c, c->xwait, e, 1);
        if (!s)
            return;
        free(s->program);
        s->program = cr_dup(MSL_STR_LIT("SMTP-RECV"));
        s->smtp_session_id = cr_dup(sid);
        if (!s->program || !s->smtp_session_id)
            c->oom = 1;
        /* no client: the protocol log's remote endpoint is the session's (the tracking
         * row's client-ip is the message's) */
    }
    if (!has_qid(s, e->qid) && cr_add_str(&s->qids, &s->nqids, e->qid))
        c->oom = 1;
    add_line(c, s, e);
    xs_share(c, s, m);
}

/*
 * A protocol-log row whose session is not open (its key is in c->kb): a placeholder held
 * for it moves to the open sessions and is returned; a held session that already ended
 * (session id reused) is handed over and NULL returned.
 */
static struct msl_session *xs_resume(struct msl_correlator *c)
{
    struct msl_session *s = sess_get(c, c->xwait, NULL, 0);
    if (!s)
        return NULL;
    if (s->closed) {
        cr_session_close(c, c->xwait, s);
        return NULL;
    }
    xs_move(c, c->xwait, c->sessions, s);
    return s;
}

static int opens_session(enum msl_kind k)
{
    return k == MSL_EV_CONNECT || k == MSL_EV_DISCONNECT || k == MSL_EV_TLS ||
           k == MSL_EV_AUTH_OK || k == MSL_EV_AUTH_FAIL || k == MSL_EV_REJECT ||
           k == MSL_EV_RECEIVED;
}

int cr_session_event(struct msl_correlator *c, const struct msl_event *e, struct cr_msg *m)
{
    if (cr_is(e->daemon, "postscreen") ||
        (e->kind == MSL_EV_POLICY && cr_is(e->daemon, "dnsblog"))) {
        if (!e->qid.n)
            postscreen_event(c, e);
        return c->oom ? MSL_ENOMEM : MSL_OK;
    }
    if (m && e->kind == MSL_EV_RECEIVED && e->pid < 0 && (e->mta_caps & MSL_MTA_TRACKING) &&
        cr_is(e->program, "SMTP")) {
        xs_receive(c, e, m);
        return c->oom ? MSL_ENOMEM : MSL_OK;
    }
    int keyed = session_key(c, e);
    if (!keyed)
        return MSL_OK;
    struct msl_session *s = sess_get(c, c->sessions, e, 0);
    int resumed = 0;
    if (!s && keyed == 2) {
        s = xs_resume(c);
        resumed = s != NULL;
        if (!s)
            session_key(c, e);
    }
    /* (a resumed placeholder may see its "+" row now) */
    if (s && !resumed && (e->kind == MSL_EV_CONNECT ||
                          (e->client_ip.n && s->client_ip && !cr_is(e->client_ip, s->client_ip)))) {
        cr_session_close(c, c->sessions, s); /* pid reuse or a missed disconnect */
        session_key(c, e);
        s = NULL;
    }
    if (!s) {
        /* every protocol-log row names its session: any of them opens it */
        if (keyed != 2 && !opens_session(e->kind))
            return MSL_OK;
        s = sess_get(c, c->sessions, e, 1);
        if (!s)
            return MSL_ENOMEM;
        if (keyed == 2 && !(s->smtp_session_id = cr_dup(e->detail)))
            c->oom = 1;
    }
    set_client(c, s, e);
    if (keyed == 2) {
        SET(s->helo, e->helo); /* EHLO/HELO rows */
        /* "User Name: u" logged after the AUTH result names that attempt's user */
        if (e->kind == MSL_EV_INFO && e->sasl_user.n && s->nauths &&
            !s->auths[s->nauths - 1].user)
            SET(s->auths[s->nauths - 1].user, e->sasl_user);
    }
    switch (e->kind) {
    case MSL_EV_CONNECT: {
        s->saw_connect = 1;
        if (e->client_ip.n) {
            cr_key2(&c->kb, e->host, e->client_ip);
            struct msl_session *ps = sess_get(c, c->ps, e, 0);
            if (ps)
                adopt_postscreen(c, s, ps);
        }
        break;
    }
    case MSL_EV_DISCONNECT:
        /* (an Exchange row's detail is its session id: its "-" row always ends the session) */
        if (e->detail.n && keyed != 2) { /* lost connection / timeout / too many errors */
            if (!s->end_reason) {
                buf_reset(&c->vb);
                buf_add(&c->vb, e->detail.p, e->detail.n);
                if (e->stage.n) {
                    buf_adds(&c->vb, " after ");
                    buf_add(&c->vb, e->stage.p, e->stage.n);
                }
                SET(s->end_reason, ((struct msl_str){c->vb.p ? c->vb.p : "", c->vb.n}));
            }
        } else if (keyed == 2) { /* Exchange "-" row: its text says who ended it */
            SET(s->end_reason, e->text);
            s->saw_disconnect = 1;
            s->closed = 1;
        } else {
            SET(s->counters, e->text.p ? e->text : MSL_STR_LIT(""));
            s->saw_disconnect = 1;
            s->closed = 1;
        }
        break;
    case MSL_EV_TLS:
        SET(s->tls_proto, e->tls);
        SET(s->tls_cipher, e->tls_cipher);
        break;
    case MSL_EV_AUTH_FAIL:
        add_auth(c, s, e, 0);
        break;
    case MSL_EV_AUTH_OK:
        add_auth(c, s, e, 1);
        break;
    case MSL_EV_RECEIVED:
        if (m) {
            if (cr_add_str(&s->qids, &s->nqids, e->qid))
                c->oom = 1;
            m->m.session_id = s->id;
            /* first wins: a dialect whose message lines name only the session (OpenSMTPD)
             * gets the client from the session's connect line, others keep their own */
            MSET(m, m->m.client_ip, sv(s->client_ip));
            MSET(m, m->m.client_host, sv(s->client_host));
            if (s->helo)
                MSET(m, m->m.helo, sv(s->helo));
        }
        if (e->sasl_user.n)
            add_auth(c, s, e, 1);
        break;
    case MSL_EV_REJECT:
        SET(s->helo, e->helo);
        if (!e->qid.n)
            add_reject(c, s, e);
        break;
    default:
        break;
    }
    add_line(c, s, e);
    if (keyed == 2) {
        if (s->nqids)
            xs_push(c, s);
        if (s->closed) /* held for tracking rows still to come (any file order) */
            xs_move(c, c->sessions, c->xwait, s);
        return c->oom ? MSL_ENOMEM : MSL_OK;
    }
    if (s->closed) {
        close_unqueued(c, s);
        cr_session_close(c, c->sessions, s);
    }
    return c->oom ? MSL_ENOMEM : MSL_OK;
}
