/*
 * summary.c - the pflogsumm-class overview: an aggregation over the correlator's records
 * plus the events that belong to no message (rejects, SASL failures, warnings, connects).
 *
 * What is counted where (doc/ARCHITECTURE.md, decision 2):
 *  - Messages are the correlator's (lib/correlate): host + queue id, reused ids, content-
 *    filter re-injections, completion for MTAs without an end line.  The summary keeps no
 *    per-message state of its own: it books each message once, when the correlator closes
 *    it (removed, reused, complete, idle or end of input).
 *  - Receipt side: received, bytes received, senders, sending domains, per-day/hour
 *    "received", unless the message is a content filter's re-injection (reinjected_from).
 *  - Delivery side: every attempt at its own time (per-day/hour rows use the attempt's
 *    time), except the hand-off to a filter that re-injected it (counted as a hand-off):
 *    that is the double count pflogsumm makes.  Deferred counts messages, deferrals count
 *    attempts.  Expired messages, milter-rejects, proxy-rejects and postscreen/anvil
 *    events are counted (pflogsumm drops them).
 *  - Recipients by outcome from the records' recipient outcomes.
 *  - Every counter is weighted by the line's repeat ("message repeated N times").
 * Memory: open messages in the correlator; the maps here grow with the number of distinct
 * senders, recipients, reasons and days, which is what the report shows.
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

static int on_closed(void *ctx, struct msl_message *m);
static void book_message(struct msl_summary *s, const struct msl_message *m);

struct msl_summary *msl_summary_new(const struct msl_summary_opts *opts)
{
    struct msl_summary *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->opts = *opts;
    s->last_hour = -1;
    s->hosts = newmap(s, sizeof(struct counters));
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
    /* messages are the correlator's records: the summary only aggregates closed ones, so
     * it needs neither their evidence lines nor the SMTP sessions */
    struct msl_correlate_opts co = {.no_lines = 1, .no_sessions = 1};
    struct msl_correlate_sink cs = {.ctx = s, .message = on_closed};
    if (!opts->external_messages && !(s->c = msl_correlator_new(&co, &cs)))
        s->oom = 1;
    if (s->oom) {
        msl_summary_free(s);
        return NULL;
    }
    return s;
}

void msl_summary_free(struct msl_summary *s)
{
    if (!s)
        return;
    msl_correlator_free(s->c);
    struct strmap *maps[] = {s->hosts, s->days, s->senders, s->sender_domains,
                             s->recipients, s->delivery_domains,
                             s->deferral_reasons, s->bounce_reasons, s->rejects, s->warnings,
                             s->errors, s->daemon_msgs, s->conn_failures, s->sasl_clients,
                             s->sasl_users};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        strmap_free(maps[i]);
    buf_free(&s->nosize);
    free(s);
}

void msl_summary_finish(struct msl_summary *s)
{
    if (s->c)
        msl_correlator_finish(s->c);
}

void msl_summary_message(struct msl_summary *s, const struct msl_message *m)
{
    book_message(s, m); /* it stays the caller's */
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

/* One delivery attempt of a closed message. */
static void book_delivery(struct msl_summary *s, const struct msl_message *m,
                          const struct msl_delivery *d, struct counters *hc, struct buf *kb)
{
    long long w = d->repeat ? d->repeat : 1;
    struct msl_str to = str0(d->to);
    struct buf dom;
    buf_init(&dom, 1024);
    domain_of(&dom, to);
    switch (d->status) {
    case MSL_ST_SENT:
    case MSL_ST_FORWARDED: {
        if (d->status == MSL_ST_FORWARDED) {
            s->all.forwarded += w;
            if (hc)
                hc->forwarded += w;
        } else {
            s->all.delivered += w;
            if (hc)
                hc->delivered += w;
        }
        traffic_add(s, d->ts, T_DELIVERED, w);
        long long size = m->size >= 0 ? m->size : 0;
        if (m->size >= 0) {
            s->all.bytes_delivered += size * w;
            if (hc)
                hc->bytes_delivered += size * w;
        } else {
            s->nosize_count += w;
            if (s->nosize.n < NOSIZE_LIST_MAX * 300) {
                buf_adds(&s->nosize, m->qid ? m->qid : "");
                buf_addc(&s->nosize, SEP);
                buf_add(&s->nosize, to.p ? to.p : "", to.n > 300 ? 300 : to.n);
                buf_addc(&s->nosize, '\n');
            }
        }
        struct agg *a = getv(s, s->recipients, to.p ? to.p : "", to.n);
        if (a) {
            a->count += w;
            a->bytes += size * w;
        }
        if (dom.n) {
            a = getv(s, s->delivery_domains, dom.p, dom.n);
            if (a) {
                if (a->count == 0)
                    s->recipient_domains++; /* first delivery to this domain */
                a->count += w;
                a->bytes += size * w;
                if (d->delay >= 0) {
                    a->delay_sum += d->delay * (double)w;
                    if (d->delay > a->delay_max)
                        a->delay_max = d->delay;
                }
            }
        }
        break;
    }
    case MSL_ST_DEFERRED: {
        s->all.deferrals += w;
        if (hc)
            hc->deferrals += w;
        traffic_add(s, d->ts, T_DEFERRED, w);
        key4(kb, str0(d->daemon), str0(d->text), MSL_STR_NULL, MSL_STR_NULL);
        add_agg(s, s->deferral_reasons, kb->p, kb->n, w);
        if (dom.n) {
            struct agg *a = getv(s, s->delivery_domains, dom.p, dom.n);
            if (a)
                a->defers += w;
        }
        break;
    }
    case MSL_ST_BOUNCED:
    case MSL_ST_EXPIRED:
        if (d->status == MSL_ST_BOUNCED) {
            s->all.bounced += w;
            if (hc)
                hc->bounced += w;
            traffic_add(s, d->ts, T_BOUNCED, w);
        } else {
            s->all.expired += w;
            if (hc)
                hc->expired += w;
        }
        key4(kb, d->relay_host && *d->relay_host
                     ? str0(d->relay_host)
                     : str0(d->status == MSL_ST_EXPIRED ? "expired" : "none"),
             str0(d->text), MSL_STR_NULL, MSL_STR_NULL);
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
    buf_free(&dom);
}

/* The receipt side of a closed message: received, bytes, senders.  A message that a
 * content filter re-injected (reinjected_from) is the same message coming back, not a
 * new one: that is the double count pflogsumm makes. */
static void book_receipt(struct msl_summary *s, const struct msl_message *m,
                         struct counters *hc)
{
    if (!m->seen_receipt || m->reinjected_from)
        return;
    s->all.received++;
    if (hc)
        hc->received++;
    traffic_add(s, m->received_ts, T_RECEIVED, 1);
    if (!m->from || m->size < 0)
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

/* Every message is booked once, when its correlator closes it. */
static void book_message(struct msl_summary *s, const struct msl_message *m)
{
    struct counters *hc = host_counters(s, str0(m->host));
    struct buf kb;
    buf_init(&kb, 4096);
    book_receipt(s, m, hc);
    int deferred = 0;
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        /* the hand-off to a content filter that re-injected it here is not a delivery */
        if (d->status == MSL_ST_SENT && d->new_qid && m->reinjected_as &&
            strcmp(d->new_qid, m->reinjected_as) == 0) {
            long long w = d->repeat ? d->repeat : 1;
            s->all.filtered += w;
            if (hc)
                hc->filtered += w;
            continue;
        }
        deferred |= d->status == MSL_ST_DEFERRED;
        book_delivery(s, m, d, hc, &kb);
    }
    if (deferred) { /* deferred counts messages, deferrals count attempts */
        s->all.deferred++;
        if (hc)
            hc->deferred++;
    }
    for (size_t i = 0; i < m->nrcpts; i++) {
        enum msl_outcome o = m->rcpts[i].outcome;
        s->all.outcomes[o]++;
        if (hc)
            hc->outcomes[o]++;
    }
    buf_free(&kb);
}

/* The summary's own correlator's sink. */
static int on_closed(void *ctx, struct msl_message *m)
{
    book_message(ctx, m);
    return 0;
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

    switch (e->kind) {
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
    case MSL_EV_RECEIVED:
    case MSL_EV_SENDER:
    case MSL_EV_DELIVERY:
    case MSL_EV_QUEUE_REMOVED: /* booked from the correlator's record when it closes */
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
    if (s->c && msl_correlator_add(s->c, e) != MSL_OK)
        s->oom = 1;
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

