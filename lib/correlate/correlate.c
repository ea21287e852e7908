/*
 * correlate.c - events -> messages (host + queue id), streamed; sessions live in sessions.c.
 *
 * State: one string map of open messages keyed "host SEP qid" whose values point at
 * struct cr_msg records (public struct msl_message first).  A record is created by the first
 * event that names its queue id (or by a link: a DSN or a content-filter re-injection
 * naming a queue id not open yet), grows with every event that names it, and is handed to
 * the sink and removed from the map when it ends:
 *   - qmgr "removed" or postsuper "removed"       -> MSL_END_REMOVED (REJECTED when a
 *                                                    transaction-ending reject preceded it)
 *   - a second RECEIVED for a key that received    -> MSL_END_REUSED (queue id reuse)
 *   - its smtpd session ended and the transaction never reached qmgr after a reject
 *     (milter/cleanup/END-OF-MESSAGE reject, or no successful DATA)  -> MSL_END_REJECTED
 *   - idle_us of log time without an event         -> MSL_END_IDLE (swept every 65536 events)
 *   - msl_correlator_finish()                      -> MSL_END_OPEN_AT_EOF
 * So memory follows open records.  Per event the only work is building the key in a reused
 * buffer, one hash lookup, and appending to the record's arrays (geometric growth); strings
 * are copied once when a record first learns them.  doc/CORRELATION.md lists every rule and
 * the test that shows it.
 */
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate_int.h"
#include "correlate/reinject.h"
#include "mailsleuth/mailsleuth.h"

/* --- keys and lookups ------------------------------------------------------------------ */

size_t cr_keylen(struct msl_str v)
{
    /* records keep NUL-terminated copies, so a key built from a log view must stop where
     * the copy stops, or the record could not be found (and removed) by its own key */
    const char *z = v.n ? memchr(v.p, '\0', v.n) : NULL;
    return z ? (size_t)(z - v.p) : v.n;
}

void cr_key2(struct buf *b, struct msl_str a, struct msl_str c)
{
    buf_reset(b);
    size_t an = cr_keylen(a), cn = cr_keylen(c);
    if (an)
        buf_add(b, a.p, an);
    buf_addc(b, CR_SEP);
    if (cn)
        buf_add(b, c.p, cn);
}

static struct msl_str sv(const char *s)
{
    return (struct msl_str){s, s ? strlen(s) : 0};
}

struct cr_msg *cr_msg_find(struct msl_correlator *c, struct msl_str host, struct msl_str qid)
{
    cr_key2(&c->kb, host, qid);
    if (c->kb.err)
        return NULL;
    struct cr_msg **v = strmap_find(c->msgs, c->kb.p, c->kb.n);
    return v ? *v : NULL;
}

/* Finds or creates the message host+qid; NULL only on allocation failure. */
struct cr_msg *cr_msg_get(struct msl_correlator *c, struct msl_str host, struct msl_str qid,
                          const struct msl_event *e)
{
    cr_key2(&c->kb, host, qid);
    if (c->kb.err) {
        c->oom = 1;
        return NULL;
    }
    int created = 0;
    struct cr_msg **v = strmap_get(c->msgs, c->kb.p, c->kb.n, &created);
    if (!v) {
        c->oom = 1;
        return NULL;
    }
    if (!created)
        return *v;
    struct cr_msg *m = calloc(1, sizeof *m);
    if (!m || !(m->m.host = cr_mdup(m, host.p ? host : MSL_STR_LIT(""))) ||
        !(m->m.qid = cr_mdup(m, qid))) {
        if (m)
            msl_message_free(&m->m);
        strmap_del(c->msgs, c->kb.p, c->kb.n);
        c->oom = 1;
        return NULL;
    }
    m->m.id = ++c->next_msg_id;
    m->m.first_ts = m->m.last_ts = e->ts;
    m->m.size = m->m.nrcpt = -1;
    m->m.client_port = -1;
    *v = m;
    return m;
}

/* Removes the message from the map and hands it to the sink. */
void cr_msg_close(struct msl_correlator *c, struct cr_msg *m, enum msl_msg_end end)
{
    cr_key2(&c->kb, sv(m->m.host), sv(m->m.qid));
    struct cr_msg **v = strmap_find(c->msgs, c->kb.p, c->kb.n);
    if (v && *v == m)
        strmap_del(c->msgs, c->kb.p, c->kb.n);
    m->m.end = end;
    m->m.final = cr_final(m);
    if (cr_recipients(m) != MSL_OK)
        c->oom = 1;
    struct msl_session *held = m->held_sess;
    m->held_sess = NULL;
    if (!c->sink.message || !c->sink.message(c->sink.ctx, &m->m))
        msl_message_free(&m->m);
    if (held)
        cr_session_release(c, held); /* its session follows the last of its messages */
}

void cr_msg_touch(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (e->ts > m->m.last_ts)
        m->m.last_ts = e->ts;
    if (!c->opts.no_lines &&
        cr_add_line(c, m, &m->m.lines, &m->m.nlines, &m->m.lines_dropped, e))
        c->oom = 1;
}

/* sets a string of message M once (copied into its blocks) */
#define MSET(M, dst, v)                              \
    do {                                             \
        if (cr_mset((M), &(dst), (v)) != MSL_OK)     \
            c->oom = 1;                              \
    } while (0)

/* --- message events ---------------------------------------------------------------------- */

static void on_received(struct msl_correlator *c, struct cr_msg **mp, const struct msl_event *e)
{
    struct cr_msg *m = *mp;
    if (m->m.seen_receipt) {
        /* the queue id was reused on this host: the old transaction is over */
        cr_msg_close(c, m, MSL_END_REUSED);
        m = *mp = cr_msg_get(c, e->host, e->qid, e);
        if (!m)
            return;
    }
    m->m.seen_receipt = 1;
    m->m.received_ts = e->ts;
    if (e->qid_time)
        m->m.qid_time = e->qid_time;
    MSET(m, m->m.client_host, e->client_host);
    MSET(m, m->m.client_ip, e->client_ip);
    if (e->client_port >= 0)
        m->m.client_port = e->client_port;
    MSET(m, m->m.helo, e->helo);
    MSET(m, m->m.proto, e->proto);
    MSET(m, m->m.sasl_method, e->sasl_method);
    MSET(m, m->m.sasl_user, e->sasl_user);
    MSET(m, m->m.uid, e->uid);
    MSET(m, m->m.from, e->from);
    /* MTAs that log the whole acceptance on one line (Exim "<=", Sendmail from=) */
    if (e->size >= 0)
        m->m.size = e->size;
    if (e->nrcpt >= 0)
        m->m.nrcpt = e->nrcpt;
    MSET(m, m->m.msgid, e->msgid);
}

static void on_delivery(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (cr_grow(&m->m.deliveries, m->m.ndeliveries, sizeof *m->m.deliveries)) {
        c->oom = 1;
        return;
    }
    struct msl_delivery *d = &m->m.deliveries[m->m.ndeliveries++];
    memset(d, 0, sizeof *d);
    d->ts = e->ts;
    d->status = e->status;
    d->relay_port = e->relay_port;
    d->delay = e->delay;
    memcpy(d->delays, e->delays, sizeof d->delays);
    d->ev = e->ev;
    d->local = (e->flags & MSL_EVF_LOCAL) != 0;
    d->repeat = e->repeat ? e->repeat : 1;
    if (m->m.size < 0 && e->size >= 0) /* tracking rows and traces carry the size */
        m->m.size = e->size;
    MSET(m, d->to, e->to);
    MSET(m, d->orig_to, e->orig_to);
    MSET(m, d->daemon, e->daemon);
    MSET(m, d->relay_host, e->relay_host);
    MSET(m, d->relay_ip, e->relay_ip);
    MSET(m, d->dsn, e->dsn);
    MSET(m, d->text, e->text);
    MSET(m, d->tls, e->tls);
    MSET(m, d->new_qid, e->new_qid);
    if (e->status == MSL_ST_DISCARDED)
        m->discarded = 1;
    if (e->status != MSL_ST_SENT || !e->new_qid.n)
        return;
    /* A hand-off on this host re-injects the message before the answer names it, so X is
     * already open here with its receipt (the rule: correlate/reinject.h). */
    struct cr_msg *y = cr_msg_find(c, e->host, e->new_qid);
    struct msl_reinject_hop h = {e->status, e->qid, e->new_qid, e->relay_ip, e->ts};
    struct msl_reinject_target r = {0};
    if (y) {
        r.received = y->m.seen_receipt;
        r.received_ts = y->m.received_ts;
        r.client_ip = y->m.client_ip;
    }
    if (!msl_is_reinjection(&h, y ? &r : NULL))
        return;
    /* a content filter took it and re-injected it as new_qid on the same host */
    MSET(m, m->m.reinjected_as, e->new_qid);
    struct cr_msg *x = cr_msg_get(c, e->host, e->new_qid, e);
    if (!x)
        return;
    MSET(x, x->m.reinjected_from, e->qid);
    cr_msg_touch(c, x, e);
}

static void on_dsn(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (!e->new_qid.n)
        return;
    if (cr_madd_str(m, &m->m.dsn_qids, &m->m.ndsn, e->new_qid))
        c->oom = 1;
    if (e->new_qid.n == e->qid.n && memcmp(e->new_qid.p, e->qid.p, e->qid.n) == 0)
        return;
    struct cr_msg *x = cr_msg_get(c, e->host, e->new_qid, e);
    if (!x)
        return;
    MSET(x, x->m.bounce_of, e->qid);
    cr_msg_touch(c, x, e);
}

/* A reject that ends the transaction: milter/cleanup/proxy rejects, DATA-stage rejects. */
static int ends_transaction(const struct msl_event *e)
{
    switch (e->action) {
    case MSL_ACT_MILTER_REJECT:
    case MSL_ACT_PROXY_REJECT:
        return 1;
    case MSL_ACT_REJECT:
        return cr_is(e->daemon, "cleanup") || cr_is(e->stage, "END-OF-MESSAGE") ||
               cr_is(e->stage, "DATA");
    default:
        return 0;
    }
}

static void on_action(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (cr_grow(&m->m.actions, m->m.nactions, sizeof *m->m.actions)) {
        c->oom = 1;
        return;
    }
    struct msl_action_rec *a = &m->m.actions[m->m.nactions++];
    memset(a, 0, sizeof *a);
    a->ts = e->ts;
    a->action = e->action;
    a->ev = e->ev;
    MSET(m, a->stage, e->stage);
    MSET(m, a->text, e->text);
    MSET(m, a->to, e->to);
    if (ends_transaction(e))
        m->rejected = 1;
    if (e->action == MSL_ACT_HOLD)
        m->held = 1;
    if (e->action == MSL_ACT_DISCARD)
        m->discarded = 1;
}

/* Returns 1 when the admin action removed the message (the caller closes it). */
static int on_admin(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (cr_grow(&m->m.admin, m->m.nadmin, sizeof *m->m.admin)) {
        c->oom = 1;
        return 0;
    }
    struct msl_admin_rec *a = &m->m.admin[m->m.nadmin++];
    a->ts = e->ts;
    a->ev = e->ev;
    a->what = cr_mdup(m, e->detail.p ? e->detail : MSL_STR_LIT(""));
    if (!a->what)
        c->oom = 1;
    if (cr_is(e->detail, "placed on hold"))
        m->held = 1;
    else if (cr_is(e->detail, "released from hold"))
        m->held = 0;
    return cr_is(e->detail, "removed");
}

/*
 * For MTAs that log no end of message: once as many recipients as the receipt announced
 * have a final state (the latest attempt of each), the message is complete.  It is handed
 * over a little later (COMPLETE_GRACE_US of log time), so a DSN or notice logged right after
 * the last delivery still joins it instead of opening a record of its own.  Recipients that
 * an Exchange TRANSFER moved to a forked copy count as done here (the copy delivers them).
 * Checked at every delivery, and again when the receipt (with its count) or a TRANSFER
 * arrives after deliveries (inputs read out of time order).
 */
void cr_note_complete(struct cr_msg *m, int64_t ts)
{
    const struct msl_message *mm = &m->m;
    if (mm->nrcpt <= 0)
        return;
    size_t done = m->moved > 0 ? (size_t)m->moved : 0; /* forked away (Exchange TRANSFER) */
    for (size_t i = 0; i < mm->ndeliveries; i++) {
        const struct msl_delivery *d = &mm->deliveries[i];
        int later = 0;
        for (size_t j = i + 1; j < mm->ndeliveries && !later; j++)
            later = d->to && mm->deliveries[j].to && strcmp(d->to, mm->deliveries[j].to) == 0;
        if (!later && msl_status_is_final(d->status))
            done += msl_rcpt_count((struct msl_str){d->to, d->to ? strlen(d->to) : 0});
    }
    if (done >= (size_t)mm->nrcpt && !m->complete_ts)
        m->complete_ts = ts;
}

/* Folds one event that names a queue id into its message. */
static void on_message_event(struct msl_correlator *c, const struct msl_event *e)
{
    /* Verdicts and notices of other programs (milters, filters, warnings) that name a queue
     * id join its message when it is open; they never open one on their own, or a filter's
     * line whose Postfix lines are not in the input would leave a record open forever. */
    int opens;
    switch (e->kind) {
    case MSL_EV_POLICY:
    case MSL_EV_INFO:
    case MSL_EV_WARNING:
    case MSL_EV_ERROR:
    case MSL_EV_STATS:
        opens = 0;
        break;
    default:
        opens = 1;
        break;
    }
    struct cr_msg *m = opens ? cr_msg_get(c, e->host, e->qid, e)
                             : cr_msg_find(c, e->host, e->qid);
    if (!m)
        return;
    if (e->mta_caps & MSL_MTA_NO_END_LINE)
        m->no_end_line = 1;
    int exchange = (e->mta_caps & MSL_MTA_TRACKING) != 0;
    int close = 0;
    switch (e->kind) {
    case MSL_EV_RECEIVED:
        on_received(c, &m, e);
        if (!m)
            return;
        if (m->no_end_line && m->m.ndeliveries)
            cr_note_complete(m, e->ts);
        break;
    case MSL_EV_SENDER:
        m->queued = 1;
        MSET(m, m->m.from, e->from);
        if (m->m.size < 0)
            m->m.size = e->size;
        if (m->m.nrcpt < 0)
            m->m.nrcpt = e->nrcpt;
        break;
    case MSL_EV_MESSAGE_ID:
        MSET(m, m->m.msgid, e->msgid);
        break;
    case MSL_EV_DELIVERY:
        on_delivery(c, m, e);
        if (m->no_end_line)
            cr_note_complete(m, e->ts);
        break;
    case MSL_EV_DSN_CREATED:
        if (exchange)
            cr_xch_dsn(c, m, e);
        else
            on_dsn(c, m, e);
        break;
    case MSL_EV_INFO:
        if (exchange && cr_is(e->detail, "TRANSFER"))
            cr_xch_transfer(c, m, e);
        break;
    case MSL_EV_REJECT:
        on_action(c, m, e);
        break;
    case MSL_EV_QUEUE_ADMIN:
        close = on_admin(c, m, e);
        break;
    case MSL_EV_QUEUE_REMOVED:
        close = 1;
        break;
    default:
        break;
    }
    MSET(m, m->m.helo, e->helo); /* smtpd/cleanup reject and header-action tails carry helo= */
    MSET(m, m->m.proto, e->proto);
    /* every tracking row repeats recipient-count: a message whose RECEIVE is not in the
     * input (log began later, copy of another server) still completes */
    if (exchange && m->m.nrcpt < 0 && e->nrcpt > 0) {
        m->m.nrcpt = e->nrcpt;
        if (m->no_end_line && m->m.ndeliveries)
            cr_note_complete(m, e->ts);
    }
    if (exchange && e->msgid.n && !m->xmid_noted) {
        /* every tracking row names the Message-ID; DSN rows link through it (exchange.c) */
        MSET(m, m->m.msgid, e->msgid);
        m->xmid_noted = 1;
        cr_xch_msgid(c, m, e);
    }
    cr_msg_touch(c, m, e);
    if (!c->opts.no_sessions && cr_session_event(c, e, m) != MSL_OK)
        c->oom = 1;
    if (close)
        cr_msg_close(c, m, m->rejected && !m->m.ndeliveries ? MSL_END_REJECTED
                                                            : MSL_END_REMOVED);
}

/* --- sweeping and lifecycle -------------------------------------------------------------- */

#define COMPLETE_GRACE_US (10LL * 60 * 1000000)

struct collect {
    void **v;
    size_t n;
    int64_t before;   /* last_ts older than this; INT64_MAX = everything */
    int64_t complete; /* or: messages complete before this (0 = not asked) */
    int sessions;
    int oom;
};

static void collect_one(void *ctx, const struct strmap_entry *e)
{
    struct collect *k = ctx;
    void *rec = *(void *const *)e->val;
    int64_t last = k->sessions ? ((struct msl_session *)rec)->end_ts
                               : ((struct cr_msg *)rec)->m.last_ts;
    int64_t done = k->sessions ? 0 : ((struct cr_msg *)rec)->complete_ts;
    if (last >= k->before && !(k->complete && done && done < k->complete))
        return;
    if (cr_grow(&k->v, k->n, sizeof *k->v)) {
        k->oom = 1;
        return;
    }
    k->v[k->n++] = rec;
}

static int by_msg_id(const void *a, const void *b)
{
    const struct cr_msg *x = *(const struct cr_msg *const *)a;
    const struct cr_msg *y = *(const struct cr_msg *const *)b;
    return x->m.id < y->m.id ? -1 : x->m.id > y->m.id;
}

static int by_sess_id(const void *a, const void *b)
{
    const struct msl_session *x = *(const struct msl_session *const *)a;
    const struct msl_session *y = *(const struct msl_session *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Hands over every record last touched before `before`, in id order. */
static void close_older(struct msl_correlator *c, int64_t before, enum msl_msg_end end)
{
    struct collect k = {.before = before};
    if (before != INT64_MAX)
        k.complete = c->now - COMPLETE_GRACE_US;
    strmap_each(c->msgs, collect_one, &k);
    if (k.n)
        qsort(k.v, k.n, sizeof *k.v, by_msg_id);
    for (size_t i = 0; i < k.n; i++) {
        struct cr_msg *m = k.v[i];
        cr_msg_close(c, m, m->complete_ts ? MSL_END_COMPLETE : end);
    }
    struct strmap *maps[3] = {c->ps, c->sessions, c->xwait};
    for (int j = 0; j < 3; j++) {
        free(k.v);
        k.v = NULL;
        k.n = 0;
        k.sessions = 1;
        strmap_each(maps[j], collect_one, &k);
        if (k.n)
            qsort(k.v, k.n, sizeof *k.v, by_sess_id);
        for (size_t i = 0; i < k.n; i++)
            cr_session_close(c, maps[j], k.v[i]);
    }
    free(k.v);
    if (k.oom)
        c->oom = 1;
}

struct msl_correlator *msl_correlator_new(const struct msl_correlate_opts *o,
                                          const struct msl_correlate_sink *sink)
{
    struct msl_correlator *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (o)
        c->opts = *o;
    if (c->opts.idle_us <= 0)
        c->opts.idle_us = CR_IDLE_DEFAULT;
    if (!c->opts.max_lines)
        c->opts.max_lines = CR_MAX_LINES_DEFAULT;
    if (sink)
        c->sink = *sink;
    buf_init(&c->kb, (size_t)1 << 20);
    buf_init(&c->vb, (size_t)1 << 20);
    c->msgs = strmap_new(sizeof(struct cr_msg *));
    c->sessions = strmap_new(sizeof(struct msl_session *));
    c->ps = strmap_new(sizeof(struct msl_session *));
    c->xwait = strmap_new(sizeof(struct msl_session *));
    c->xmid = strmap_new(sizeof(struct cr_xmid));
    if (!c->msgs || !c->sessions || !c->ps || !c->xwait || !c->xmid) {
        msl_correlator_free(c);
        return NULL;
    }
    return c;
}

int msl_correlator_add(struct msl_correlator *c, const struct msl_event *e)
{
    if (e->ts > c->now)
        c->now = e->ts;
    if (e->qid.n)
        on_message_event(c, e);
    else if (!c->opts.no_sessions && cr_session_event(c, e, NULL) != MSL_OK)
        c->oom = 1;
    if (++c->since_sweep >= CR_SWEEP_EVERY) {
        c->since_sweep = 0;
        if (c->now > INT64_MIN + c->opts.idle_us)
            close_older(c, c->now - c->opts.idle_us, MSL_END_IDLE);
    }
    if (c->oom) {
        c->oom = 0;
        return MSL_ENOMEM;
    }
    return MSL_OK;
}

void msl_correlator_finish(struct msl_correlator *c)
{
    if (c)
        close_older(c, INT64_MAX, MSL_END_OPEN_AT_EOF);
}

void msl_correlator_flush_idle(struct msl_correlator *c, int64_t before_us)
{
    if (c)
        close_older(c, before_us, MSL_END_IDLE);
}

static void free_msg_entry(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    struct cr_msg *m = *(struct cr_msg *const *)e->val;
    if (m->held_sess && --m->held_sess->held_by_ == 0)
        msl_session_free(m->held_sess); /* freed unfinished: nobody will hand it over */
    msl_message_free(&m->m);
}

static void free_sess_entry(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    msl_session_free(*(struct msl_session *const *)e->val);
}

void msl_correlator_free(struct msl_correlator *c)
{
    if (!c)
        return;
    if (c->msgs) {
        strmap_each(c->msgs, free_msg_entry, NULL);
        strmap_free(c->msgs);
    }
    struct strmap *maps[3] = {c->sessions, c->ps, c->xwait};
    for (int j = 0; j < 3; j++) {
        if (maps[j]) {
            strmap_each(maps[j], free_sess_entry, NULL);
            strmap_free(maps[j]);
        }
    }
    cr_xch_free(c);
    buf_free(&c->kb);
    buf_free(&c->vb);
    free(c);
}

size_t msl_correlator_open_messages(const struct msl_correlator *c)
{
    return c ? strmap_len(c->msgs) : 0;
}

size_t msl_correlator_open_sessions(const struct msl_correlator *c)
{
    return c ? strmap_len(c->sessions) + strmap_len(c->ps) + strmap_len(c->xwait) : 0;
}
