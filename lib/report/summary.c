/*
 * summary.c - the pflogsumm-class overview, computed in one pass over events.
 *
 * What is counted where (doc/SUMMARY.md has the full rules and where we differ from pflogsumm):
 *  - A message is one queue transaction on one host: the key is host + queue id, so ids
 *    reused across servers never mix.  A new RECEIVED for an id that already received
 *    starts a new transaction (Postfix reuses short ids).
 *  - Receipt-side numbers (received, bytes received, senders, sending domains, per-day and
 *    per-hour "received") are booked when the transaction closes (qmgr removed, an idle
 *    week of log time, or the end of input), because only then do we know whether it was a
 *    content-filter re-injection: a delivery to a loopback relay whose reply says
 *    "queued as X" is a hand-off to a filter, not a delivery, and X's receipt is the same
 *    message coming back, not a new one.  That is the double count pflogsumm makes.
 *  - Delivery-side numbers are booked as their lines arrive.  Deferred counts distinct
 *    transactions, deferrals count lines.  Expired messages are counted (pflogsumm drops
 *    them), so are milter-rejects, proxy-rejects and postscreen/anvil events.
 *  - Every counter is weighted by event.repeat ("message repeated N times").
 * Memory: the open-message map holds only live transactions; the other maps grow with the
 * number of distinct senders, recipients, reasons and days, which is what the report shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/report.h"
#include "report/localtime.h"
#include "report/summary_int.h"
#include "util/buf.h"
#include "util/esc.h"
#include "util/strmap.h"

#define REASON_MAX 200       /* reasons longer than this are cut for grouping */
#define NOSIZE_LIST_MAX 100  /* messages with no size data listed by qid */
#define IDLE_CLOSE_US (7LL * 86400 * 1000000) /* queue lifetime default is 5 days */
#define COMPLETE_GRACE_US (10LL * 60 * 1000000) /* late notices still join a complete message */

/* --- small helpers ------------------------------------------------------------------ */

static struct strmap *newmap(struct msl_summary *s, size_t vsize)
{
    struct strmap *m = strmap_new(vsize);
    if (!m)
        s->oom = 1;
    return m;
}

static void *getv(struct msl_summary *s, struct strmap *m, const char *k, size_t n)
{
    if (!m)
        return NULL;
    void *v = strmap_get(m, k, n, NULL);
    if (!v)
        s->oom = 1;
    return v;
}

/* Builds a composite key of up to 4 parts into b (reset first). */
static void key4(struct buf *b, struct msl_str a, struct msl_str c, struct msl_str d,
                 struct msl_str e)
{
    buf_reset(b);
    struct msl_str parts[4] = {a, c, d, e};
    for (int i = 0; i < 4; i++) {
        if (!parts[i].p && i > 0)
            break;
        if (i)
            buf_addc(b, SEP);
        buf_add(b, parts[i].p ? parts[i].p : "", parts[i].n > REASON_MAX ? REASON_MAX : parts[i].n);
    }
}

static struct msl_str str0(const char *s)
{
    return (struct msl_str){s, s ? strlen(s) : 0};
}

/* Lower-cased domain part of an address ("" when none) written into b. */
static void domain_of(struct buf *b, struct msl_str addr)
{
    buf_reset(b);
    const char *at = addr.n ? memchr(addr.p, '@', addr.n) : NULL;
    const char *last = at;
    while (at) {
        last = at;
        at = memchr(at + 1, '@', (size_t)(addr.p + addr.n - at - 1));
    }
    if (!last)
        return;
    for (const char *p = last + 1; p < addr.p + addr.n; p++)
        buf_addc(b, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
}

static int is_loopback(struct msl_str ip)
{
    return (ip.n >= 4 && memcmp(ip.p, "127.", 4) == 0) ||
           (ip.n == 3 && memcmp(ip.p, "::1", 3) == 0);
}

static struct counters *host_counters(struct msl_summary *s, struct msl_str host)
{
    if (s->last_host_counters && host.n == s->last_host_n &&
        (host.n == 0 || memcmp(host.p, s->last_host, host.n) == 0))
        return s->last_host_counters;
    struct counters *c = getv(s, s->hosts, host.p ? host.p : "", host.n);
    if (c && host.n < sizeof s->last_host) {
        if (host.n)
            memcpy(s->last_host, host.p, host.n);
        s->last_host_n = host.n;
        s->last_host_counters = c;
    }
    return c;
}

static void day_key(struct msl_summary *s, long long ts_us, char *out, size_t cap, int *hour)
{
    struct msl_civil c;
    msl_local_civil(s->opts.tz, ts_us / 1000000, &c, NULL);
    snprintf(out, cap, "%04d-%02d-%02d", c.year, c.mon, c.mday);
    *hour = c.hour;
}

static struct traffic *traffic_at(struct msl_summary *s, long long ts_us, struct traffic **hour)
{
    /* zone offsets change on hour boundaries, so one UTC hour maps to one local day/hour */
    long long uh = ts_us / 3600000000LL;
    if (uh == s->last_hour && s->last_day) {
        *hour = s->last_hour_row;
        return s->last_day;
    }
    char k[16];
    int h;
    day_key(s, ts_us, k, sizeof k, &h);
    *hour = &s->hours[h < 0 || h > 23 ? 0 : h];
    struct traffic *d = getv(s, s->days, k, strlen(k));
    s->last_hour = uh;
    s->last_day = d;
    s->last_hour_row = *hour;
    return d;
}

enum tcol { T_RECEIVED, T_DELIVERED, T_DEFERRED, T_BOUNCED, T_REJECTED };

static void traffic_add(struct msl_summary *s, long long ts_us, enum tcol col, long long n)
{
    struct traffic *h, *d = traffic_at(s, ts_us, &h);
    struct traffic *t[2] = {d, h};
    for (int i = 0; i < 2; i++) {
        if (!t[i])
            continue;
        switch (col) {
        case T_RECEIVED: t[i]->received += n; break;
        case T_DELIVERED: t[i]->delivered += n; break;
        case T_DEFERRED: t[i]->deferred += n; break;
        case T_BOUNCED: t[i]->bounced += n; break;
        case T_REJECTED: t[i]->rejected += n; break;
        }
    }
}

/* --- lifecycle ------------------------------------------------------------------------ */

struct msl_summary *msl_summary_new(const struct msl_summary_opts *opts)
{
    struct msl_summary *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->opts = *opts;
    s->last_hour = -1;
    s->hosts = newmap(s, sizeof(struct counters));
    s->msgs = newmap(s, sizeof(struct msgstate));
    s->days = newmap(s, sizeof(struct traffic));
    s->senders = newmap(s, sizeof(struct agg));
    s->sender_domains = newmap(s, sizeof(struct agg));
    s->recipients = newmap(s, sizeof(struct agg));
    s->delivery_domains = newmap(s, sizeof(struct agg));
    s->deferral_reasons = newmap(s, sizeof(struct agg));
    s->bounce_reasons = newmap(s, sizeof(struct agg));
    s->rejects = newmap(s, sizeof(struct agg));
    s->warnings = newmap(s, sizeof(struct agg));
    s->errors = newmap(s, sizeof(struct agg));
    s->daemon_msgs = newmap(s, sizeof(struct agg));
    s->conn_failures = newmap(s, sizeof(struct agg));
    s->sasl_clients = newmap(s, sizeof(struct agg));
    s->sasl_users = newmap(s, sizeof(struct agg));
    buf_init(&s->nosize, 1u << 20);
    if (s->oom) {
        msl_summary_free(s);
        return NULL;
    }
    return s;
}

static void free_msg(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    struct msgstate *m = e->val;
    free(m->from);
    free(m->host);
}

void msl_summary_free(struct msl_summary *s)
{
    if (!s)
        return;
    if (s->msgs)
        strmap_each(s->msgs, free_msg, NULL);
    struct strmap *maps[] = {s->hosts, s->msgs, s->days, s->senders, s->sender_domains,
                             s->recipients, s->delivery_domains,
                             s->deferral_reasons, s->bounce_reasons, s->rejects, s->warnings,
                             s->errors, s->daemon_msgs, s->conn_failures, s->sasl_clients,
                             s->sasl_users};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        strmap_free(maps[i]);
    buf_free(&s->nosize);
    free(s);
}

/* Books the receipt side of a finished transaction. */
static void close_msg(struct msl_summary *s, struct msgstate *m)
{
    if (m->closed)
        return;
    m->closed = 1;
    if (!m->received || m->reinjected)
        return;
    struct msl_str host = str0(m->host);
    struct counters *hc = host_counters(s, host);
    s->all.received++;
    if (hc)
        hc->received++;
    traffic_add(s, m->recv_ts, T_RECEIVED, 1);
    if (!m->from || !m->sized)
        return;
    s->all.bytes_received += m->size;
    if (hc)
        hc->bytes_received += m->size;
    const char *who = m->from[0] ? m->from : "<>";
    struct agg *a = getv(s, s->senders, who, strlen(who));
    if (a) {
        a->count++;
        a->bytes += m->size;
    }
    struct buf d;
    buf_init(&d, 1024);
    domain_of(&d, str0(m->from));
    if (d.n) {
        a = getv(s, s->sender_domains, d.p, d.n);
        if (a) {
            a->count++;
            a->bytes += m->size;
        }
    }
    buf_free(&d);
}

static void drop_msg(struct msl_summary *s, const char *key, size_t klen, struct msgstate *m)
{
    close_msg(s, m);
    free(m->from);
    free(m->host);
    strmap_del(s->msgs, key, klen);
}

struct sweep {
    struct msl_summary *s;
    struct buf keys;
};

static void find_idle(void *ctx, const struct strmap_entry *e)
{
    struct sweep *sw = ctx;
    const struct msgstate *m = e->val;
    if (m->last_ts + IDLE_CLOSE_US < sw->s->now ||
        (m->complete_ts && m->complete_ts + COMPLETE_GRACE_US < sw->s->now)) {
        buf_add(&sw->keys, &e->klen, sizeof e->klen);
        buf_add(&sw->keys, e->key, e->klen);
    }
}

/* Closes transactions idle for a week of log time, so memory follows open messages. */
static void sweep_idle(struct msl_summary *s)
{
    struct sweep sw = {.s = s};
    buf_init(&sw.keys, (size_t)1 << 30);
    strmap_each(s->msgs, find_idle, &sw);
    for (size_t off = 0; off + sizeof(size_t) <= sw.keys.n;) {
        size_t klen;
        memcpy(&klen, sw.keys.p + off, sizeof klen);
        off += sizeof klen;
        struct msgstate *m = strmap_find(s->msgs, sw.keys.p + off, klen);
        if (m)
            drop_msg(s, sw.keys.p + off, klen, m);
        off += klen;
    }
    buf_free(&sw.keys);
}

static void close_all(void *ctx, const struct strmap_entry *e)
{
    close_msg(ctx, e->val);
}

void msl_summary_finish(struct msl_summary *s)
{
    strmap_each(s->msgs, close_all, s);
}

/* --- folding events --------------------------------------------------------------------- */

/* "554 5.7.1 <x@y>: Relay access denied; from=..." -> "Relay access denied" */
static struct msl_str reject_reason(struct msl_str t)
{
    const char *p = t.p, *end = t.p + t.n;
    if (!p)
        return t;
    if (end - p >= 4 && p[0] >= '2' && p[0] <= '5' && p[3] == ' ')
        p += 4;
    if (end - p >= 6 && p[0] >= '2' && p[0] <= '5' && p[1] == '.') {
        const char *q = memchr(p, ' ', (size_t)(end - p));
        if (q)
            p = q + 1;
    }
    while (p < end && *p == '<') {
        const char *q = memchr(p, '>', (size_t)(end - p));
        if (!q || end - q < 3 || q[1] != ':' || q[2] != ' ')
            break;
        p = q + 3;
    }
    const char *semi = memchr(p, ';', (size_t)(end - p));
    if (semi)
        end = semi;
    return (struct msl_str){p, (size_t)(end - p)};
}

static int contains(struct msl_str t, const char *needle)
{
    size_t n = strlen(needle);
    if (!t.p || t.n < n)
        return 0;
    for (size_t i = 0; i + n <= t.n; i++)
        if (t.p[i] == needle[0] && memcmp(t.p + i, needle, n) == 0)
            return 1;
    return 0;
}

static void add_agg(struct msl_summary *s, struct strmap *m, const char *k, size_t n,
                    long long count)
{
    struct agg *a = getv(s, m, k, n);
    if (a)
        a->count += count;
}

static struct msgstate *msg_for(struct msl_summary *s, const struct msl_event *e, struct buf *kb,
                                int create)
{
    if (!e->qid.n)
        return NULL;
    key4(kb, e->host, e->qid, MSL_STR_NULL, MSL_STR_NULL);
    if (!create)
        return strmap_find(s->msgs, kb->p, kb->n);
    int created;
    struct msgstate *m = strmap_get(s->msgs, kb->p, kb->n, &created);
    if (!m) {
        s->oom = 1;
        return NULL;
    }
    if (created) {
        m->size = -1;
        m->nrcpt = -1;
        m->host = strndup(e->host.p ? e->host.p : "", e->host.n);
        m->no_end_line = (unsigned)msl_mta_logs_no_end(e->mta);
    }
    m->last_ts = e->ts;
    if (e->nrcpt >= 0 && m->nrcpt < 0)
        m->nrcpt = e->nrcpt;
    return m;
}

static void on_delivery(struct msl_summary *s, const struct msl_event *e, struct counters *hc,
                        struct buf *kb)
{
    long long w = e->repeat;
    /* MTAs without an end line: a delivery whose receipt is not open is not tracked (it
     * would stay open for the idle week); its size, when the line names it, is used */
    int track = !msl_mta_logs_no_end(e->mta) || msg_for(s, e, kb, 0) != NULL;
    struct msgstate *m = track ? msg_for(s, e, kb, 1) : NULL;
    if (m && m->no_end_line && msl_status_is_final(e->status)) {
        m->finals += (long long)msl_rcpt_count(e->to);
        if (m->nrcpt > 0 && m->finals >= m->nrcpt && !m->complete_ts)
            m->complete_ts = e->ts; /* handed over at the next sweep after a grace period */
    }
    struct msl_str newq = e->new_qid;
    if (e->status == MSL_ST_SENT && newq.n && is_loopback(e->relay_ip)) {
        /* A content filter (amavis, rspamd proxy) re-injects the message before it answers
         * "queued as X", so X has already been received on this host.  A loopback relay
         * whose X is not here is another server on this machine: a real delivery. */
        key4(kb, e->host, newq, MSL_STR_NULL, MSL_STR_NULL);
        struct msgstate *x = strmap_find(s->msgs, kb->p, kb->n);
        if (x && x->received && !x->closed) {
            s->all.filtered += w;
            if (hc)
                hc->filtered += w;
            x->reinjected = 1;
            return;
        }
        key4(kb, e->host, e->qid, MSL_STR_NULL, MSL_STR_NULL); /* restore for callers */
    }
    struct buf d;
    buf_init(&d, 1024);
    domain_of(&d, e->to);
    switch (e->status) {
    case MSL_ST_SENT:
    case MSL_ST_FORWARDED: {
        if (e->status == MSL_ST_FORWARDED) {
            s->all.forwarded += w;
            if (hc)
                hc->forwarded += w;
        } else {
            s->all.delivered += w;
            if (hc)
                hc->delivered += w;
        }
        traffic_add(s, e->ts, T_DELIVERED, w);
        long long size = m && m->sized ? m->size : (!m && e->size >= 0 ? e->size : 0);
        if ((m && m->sized) || (!m && e->size >= 0)) {
            s->all.bytes_delivered += size * w;
            if (hc)
                hc->bytes_delivered += size * w;
        } else {
            s->nosize_count += w;
            if (s->nosize.n < NOSIZE_LIST_MAX * 300) {
                buf_add(&s->nosize, e->qid.p, e->qid.n);
                buf_addc(&s->nosize, SEP);
                buf_add(&s->nosize, e->to.p, e->to.n > 300 ? 300 : e->to.n);
                buf_addc(&s->nosize, '\n');
            }
        }
        struct agg *a = getv(s, s->recipients, e->to.p ? e->to.p : "", e->to.n);
        if (a) {
            a->count += w;
            a->bytes += size * w;
        }
        if (d.n) {
            a = getv(s, s->delivery_domains, d.p, d.n);
            if (a) {
                if (a->count == 0)
                    s->recipient_domains++; /* first delivery to this domain */
                a->count += w;
                a->bytes += size * w;
                if (e->delay >= 0) {
                    a->delay_sum += e->delay * (double)w;
                    if (e->delay > a->delay_max)
                        a->delay_max = e->delay;
                }
            }
        }
        break;
    }
    case MSL_ST_DEFERRED: {
        s->all.deferrals += w;
        if (hc)
            hc->deferrals += w;
        if (m && !m->deferred) {
            m->deferred = 1;
            s->all.deferred++;
            if (hc)
                hc->deferred++;
        } else if (!m) {
            s->all.deferred++;
        }
        traffic_add(s, e->ts, T_DEFERRED, w);
        key4(kb, e->daemon, e->text, MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->deferral_reasons, kb->p, kb->n, w);
        if (d.n) {
            struct agg *a = getv(s, s->delivery_domains, d.p, d.n);
            if (a)
                a->defers += w;
        }
        break;
    }
    case MSL_ST_BOUNCED:
    case MSL_ST_EXPIRED:
        if (e->status == MSL_ST_BOUNCED) {
            s->all.bounced += w;
            if (hc)
                hc->bounced += w;
            traffic_add(s, e->ts, T_BOUNCED, w);
        } else {
            s->all.expired += w;
            if (hc)
                hc->expired += w;
        }
        key4(kb, e->relay_host.n ? e->relay_host : str0(e->status == MSL_ST_EXPIRED ? "expired" : "none"),
             e->text, MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->bounce_reasons, kb->p, kb->n, w);
        break;
    case MSL_ST_DISCARDED:
        s->all.discarded += w;
        if (hc)
            hc->discarded += w;
        break;
    case MSL_ST_NONE:
    case MSL_ST_HELD:
    case MSL_ST_UNDELIVERABLE:
    case MSL_ST_DELIVERABLE:
    case MSL_ST_OTHER:
    case MSL_ST__COUNT:
        break;
    }
    buf_free(&d);
}

static void on_reject(struct msl_summary *s, const struct msl_event *e, struct counters *hc,
                      struct buf *kb)
{
    long long w = e->repeat;
    switch (e->action) {
    case MSL_ACT_REJECT:
    case MSL_ACT_MILTER_REJECT:
    case MSL_ACT_PROXY_REJECT:
        s->all.rejected += w;
        if (hc)
            hc->rejected += w;
        break;
    case MSL_ACT_REJECT_WARNING:
        s->all.reject_warnings += w;
        if (hc)
            hc->reject_warnings += w;
        break;
    case MSL_ACT_HOLD:
        s->all.held += w;
        if (hc)
            hc->held += w;
        break;
    case MSL_ACT_DISCARD:
        s->all.discarded += w;
        if (hc)
            hc->discarded += w;
        break;
    case MSL_ACT_NONE:
    case MSL_ACT_FILTER:
    case MSL_ACT_REDIRECT:
    case MSL_ACT_PREPEND:
    case MSL_ACT_INFO:
    case MSL_ACT__COUNT:
        return; /* informational: not a reject in any report */
    }
    traffic_add(s, e->ts, T_REJECTED, w);
    struct msl_str reason = reject_reason(e->text);
    struct msl_str item;
    if (contains(reason, "Recipient address") || contains(reason, "User unknown") ||
        contains(reason, "Recipient"))
        item = e->to;
    else if (contains(reason, "Sender address"))
        item = e->from;
    else
        item = e->client_ip.n ? e->client_ip : e->client_host;
    const char *act = msl_action_name(e->action);
    key4(kb, str0(act), e->stage.n ? e->stage : str0("?"), reason, item);
    add_agg(s, s->rejects, kb->p, kb->n, w);
}

int msl_summary_add(struct msl_summary *s, const struct msl_event *e)
{
    struct buf kb;
    buf_init(&kb, 4096);
    long long w = e->repeat;
    struct counters *hc = host_counters(s, e->host);
    s->all.events++;
    if (!s->all.first_ts || e->ts < s->all.first_ts)
        s->all.first_ts = e->ts;
    if (e->ts > s->all.last_ts)
        s->all.last_ts = e->ts;
    if (hc) {
        hc->events++;
        if (!hc->first_ts || e->ts < hc->first_ts)
            hc->first_ts = e->ts;
        if (e->ts > hc->last_ts)
            hc->last_ts = e->ts;
    }
    if (e->ts > s->now)
        s->now = e->ts;

    switch (e->kind) {
    case MSL_EV_RECEIVED: {
        struct msgstate *m = msg_for(s, e, &kb, 1);
        if (m && m->received) {
            /* queue id reused on this host: the old transaction is over */
            drop_msg(s, kb.p, kb.n, m);
            m = msg_for(s, e, &kb, 1);
        }
        if (m) {
            m->received = 1;
            m->recv_ts = e->ts;
            /* MTAs that log the acceptance on one line (Sendmail from=, Exim <=) */
            if (!m->from && e->from.p) {
                m->from = strndup(e->from.p, e->from.n);
                if (e->size >= 0) {
                    m->size = e->size;
                    m->sized = 1;
                }
            }
        }
        break;
    }
    case MSL_EV_SENDER: {
        struct msgstate *m = msg_for(s, e, &kb, 1);
        if (m && !m->from)
            m->from = strndup(e->from.p ? e->from.p : "", e->from.n);
        if (m && !m->sized && e->size >= 0) {
            m->size = e->size;
            m->sized = 1;
        }
        break;
    }
    case MSL_EV_DELIVERY:
        on_delivery(s, e, hc, &kb);
        break;
    case MSL_EV_QUEUE_REMOVED: {
        struct msgstate *m = msg_for(s, e, &kb, 0);
        if (m)
            drop_msg(s, kb.p, kb.n, m);
        break;
    }
    case MSL_EV_REJECT:
        on_reject(s, e, hc, &kb);
        break;
    case MSL_EV_AUTH_FAIL:
        if (e->flags & MSL_EVF_ECHO)
            break; /* the same failure is counted from the line it echoes */
        if (e->count > 1)
            w *= e->count; /* "auth failed, N attempts" */
        s->all.sasl_failures += w;
        if (hc)
            hc->sasl_failures += w;
        key4(&kb, e->client_ip.n ? e->client_ip : str0("?"), e->sasl_method, MSL_STR_NULL,
             MSL_STR_NULL);
        add_agg(s, s->sasl_clients, kb.p, kb.n, w);
        key4(&kb, e->sasl_user.n ? e->sasl_user : str0("(not logged)"), MSL_STR_NULL,
             MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->sasl_users, kb.p, kb.n, w);
        break;
    case MSL_EV_CONNECT:
        /* inbound SMTP connections: postscreen's CONNECT precedes smtpd's for the same
         * client, and Exchange's send-connector log records outbound ones */
        if (!(e->daemon.n == 10 && memcmp(e->daemon.p, "postscreen", 10) == 0) &&
            !(e->program.n == 9 && memcmp(e->program.p, "SMTP-SEND", 9) == 0)) {
            s->all.connections += w;
            if (hc)
                hc->connections += w;
        }
        break;
    case MSL_EV_WARNING:
        s->all.warnings += w;
        if (hc)
            hc->warnings += w;
        key4(&kb, e->daemon, e->text, MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->warnings, kb.p, kb.n, w);
        break;
    case MSL_EV_ERROR: {
        long long *c = e->severity == MSL_SEV_PANIC   ? &s->all.panics
                       : e->severity == MSL_SEV_FATAL ? &s->all.fatals
                                                      : &s->all.errors;
        *c += w;
        if (hc)
            *(e->severity == MSL_SEV_PANIC   ? &hc->panics
              : e->severity == MSL_SEV_FATAL ? &hc->fatals
                                             : &hc->errors) += w;
        key4(&kb, str0(msl_severity_name(e->severity)), e->daemon, e->text, MSL_STR_NULL);
        add_agg(s, s->errors, kb.p, kb.n, w);
        break;
    }
    case MSL_EV_DAEMON:
        key4(&kb, e->daemon, e->text, MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->daemon_msgs, kb.p, kb.n, w);
        break;
    case MSL_EV_CONN_FAIL:
        key4(&kb, e->text, MSL_STR_NULL, MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->conn_failures, kb.p, kb.n, w);
        break;
    case MSL_EV_NONE:
    case MSL_EV_DISCONNECT:
    case MSL_EV_TLS:
    case MSL_EV_AUTH_OK:
    case MSL_EV_MESSAGE_ID:
    case MSL_EV_DSN_CREATED:
    case MSL_EV_QUEUE_ADMIN:
    case MSL_EV_POLICY:
    case MSL_EV_STATS:
    case MSL_EV_INFO:
    case MSL_EV__COUNT:
        break;
    }
    buf_free(&kb);
    if (++s->events_since_sweep >= (1 << 18)) {
        s->events_since_sweep = 0;
        sweep_idle(s);
    }
    return s->oom ? MSL_ENOMEM : MSL_OK;
}

void msl_summary_totals(const struct msl_summary *s, struct msl_totals *t)
{
    const struct counters *c = &s->all;
    *t = (struct msl_totals){
        .received = c->received, .delivered = c->delivered, .forwarded = c->forwarded,
        .deferred = c->deferred, .deferrals = c->deferrals, .bounced = c->bounced,
        .expired = c->expired, .rejected = c->rejected, .reject_warnings = c->reject_warnings,
        .held = c->held, .discarded = c->discarded, .filtered = c->filtered,
        .bytes_received = c->bytes_received, .bytes_delivered = c->bytes_delivered,
        .senders = (long long)strmap_len(s->senders),
        .sending_domains = (long long)strmap_len(s->sender_domains),
        .recipients = (long long)strmap_len(s->recipients),
        .recipient_domains = s->recipient_domains,
        .sasl_failures = c->sasl_failures, .connections = c->connections,
        .warnings = c->warnings, .errors = c->errors, .fatals = c->fatals, .panics = c->panics};
}

