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
    if (host.n)
        buf_add(b, host.p, host.n);
    buf_addc(b, CR_SEP);
    buf_addi(b, pid);
}

/* Exchange sessions are keyed by their session-id: "host SEP s SEP id". */
static void sid_key(struct buf *b, struct msl_str host, struct msl_str sid)
{
    buf_reset(b);
    if (host.n)
        buf_add(b, host.p, host.n);
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
                        ((cr_is(e->mta, "sendmail") || cr_is(e->mta, "exim")) &&
                         connection_kind(e->kind)))) {
        sess_key(&c->kb, e->host, e->pid);
        return 1;
    }
    if (e->pid < 0 && cr_is(e->mta, "exchange") && e->detail.n &&
        cr_is(e->program, "SMTP-RECV")) {
        sid_key(&c->kb, e->host, e->detail);
        return 2;
    }
    return 0;
}

void cr_session_close(struct msl_correlator *c, struct strmap *map, struct msl_session *s)
{
    rec_key(c, map, s);
    struct msl_session **v = strmap_find(map, c->kb.p, c->kb.n);
    if (v && *v == s)
        strmap_del(map, c->kb.p, c->kb.n);
    if (!c->sink.session || !c->sink.session(c->sink.ctx, s))
        msl_session_free(s);
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
    if (cr_add_line(c, &s->lines, &s->nlines, &s->lines_dropped, e))
        c->oom = 1;
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
    int keyed = session_key(c, e);
    if (!keyed)
        return MSL_OK;
    struct msl_session *s = sess_get(c, c->sessions, e, 0);
    if (s && (e->kind == MSL_EV_CONNECT ||
              (e->client_ip.n && s->client_ip && !cr_is(e->client_ip, s->client_ip)))) {
        cr_session_close(c, c->sessions, s); /* pid reuse or a missed disconnect */
        session_key(c, e);
        s = NULL;
    }
    if (!s) {
        if (!opens_session(e->kind))
            return MSL_OK;
        s = sess_get(c, c->sessions, e, 1);
        if (!s)
            return MSL_ENOMEM;
        if (keyed == 2 && !(s->smtp_session_id = cr_dup(e->detail)))
            c->oom = 1;
    }
    set_client(c, s, e);
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
        if (e->detail.n) { /* lost connection / timeout / too many errors after X */
            if (!s->end_reason) {
                buf_reset(&c->vb);
                buf_add(&c->vb, e->detail.p, e->detail.n);
                if (e->stage.n) {
                    buf_adds(&c->vb, " after ");
                    buf_add(&c->vb, e->stage.p, e->stage.n);
                }
                SET(s->end_reason, ((struct msl_str){c->vb.p ? c->vb.p : "", c->vb.n}));
            }
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
            if (s->helo)
                SET(m->m.helo, sv(s->helo));
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
    if (s->closed) {
        close_unqueued(c, s);
        cr_session_close(c, c->sessions, s);
    }
    return c->oom ? MSL_ENOMEM : MSL_OK;
}
