/*
 * hops.c - links the retained messages of a trace into paths, and estimates clock skew.
 *
 * For each delivery of each message:
 *   1. reply "queued as X", message X on the same host that the correlator's re-injection
 *      rule accepts (correlate/reinject.h: relay on loopback or X's client address, X
 *      received before the reply) -> HOP_FILTER ("local-reinjection": a content filter,
 *      another instance, Sendmail MSP to MTA)
 *   2. reply "queued as X", message X on another host -> HOP_QUEUED_AS (if several, the
 *      one whose receipt is closest in time to the delivery)
 *   3. no such X: a message on another host with the same Message-ID, received within an
 *      hour of the delivery -> HOP_MSGID
 * Skew: the receiving server logs client= once the sender's connection is set up, i.e.
 * about (delivery time - transmission delay) on the sender's clock; the difference between
 * that and the receiver's received time is one skew sample.  The median per host pair is
 * reported.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "correlate/reinject.h"
#include "mailsleuth/mailsleuth.h"
#include "trace/trace_int.h"

#define MSGID_WINDOW_US (3600LL * 1000000)

const char *hop_kind_name(enum hop_kind k)
{
    switch (k) {
    case HOP_QUEUED_AS: return "queued-as";
    case HOP_FILTER: return "local-reinjection"; /* content filter, MSP to MTA ... */
    case HOP_MSGID: return "message-id";
    }
    return "?";
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static struct msl_str view(const char *s)
{
    return (struct msl_str){s, s ? strlen(s) : 0};
}

/* 1 when delivery d of m handed the message to x on the same host, which re-injected it */
static int reinjection(const struct msl_message *m, const struct msl_delivery *d,
                       const struct msl_message *x)
{
    struct msl_reinject_hop h = {d->status, view(m->qid), view(d->new_qid), view(d->relay_ip), d->ts};
    struct msl_reinject_target r = {x->seen_receipt, x->received_ts, x->client_ip};
    return msl_is_reinjection(&h, &r);
}

static long long recv_time(const struct msl_message *m)
{
    return m->received_ts ? m->received_ts : m->first_ts;
}

static int by_first(const void *a, const void *b)
{
    const struct msl_message *x = *(const struct msl_message *const *)a;
    const struct msl_message *y = *(const struct msl_message *const *)b;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int by_start(const void *a, const void *b)
{
    const struct msl_session *x = *(const struct msl_session *const *)a;
    const struct msl_session *y = *(const struct msl_session *const *)b;
    if (x->start_ts != y->start_ts)
        return x->start_ts < y->start_ts ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* 1 when message a reaches message b through hops already found (a is upstream of b). */
static int upstream_of(const struct msl_trace *t, size_t a, size_t b)
{
    size_t cur = b;
    for (size_t steps = 0; steps <= t->nhops; steps++) {
        size_t prev = (size_t)-1;
        for (size_t h = 0; h < t->nhops; h++)
            if (t->hops[h].to_msg == cur) {
                prev = t->hops[h].from_msg;
                break;
            }
        if (prev == (size_t)-1)
            return 0;
        if (prev == a)
            return 1;
        cur = prev;
    }
    return 0;
}

static long find_target(const struct msl_trace *t, size_t from, const struct msl_delivery *d,
                        enum hop_kind *kind)
{
    const struct msl_message *m = t->msgs[from];
    long best = -1;
    long long bestdist = 0;
    if (d->new_qid && *d->new_qid) {
        for (size_t i = 0; i < t->nmsgs; i++) {
            const struct msl_message *x = t->msgs[i];
            if (i == from || !same(x->qid, d->new_qid))
                continue;
            int samehost = same(x->host, m->host);
            /* on our own host only a re-injection (content filter or another instance, the
             * correlator's rule: correlate/reinject.h); anything else is a reused id */
            if (samehost && !reinjection(m, d, x))
                continue;
            long long dist = llabs(recv_time(x) - d->ts);
            if (best < 0 || dist < bestdist) {
                best = (long)i;
                bestdist = dist;
                *kind = samehost ? HOP_FILTER : HOP_QUEUED_AS;
            }
        }
        if (best >= 0)
            return best;
    }
    /* Message-ID fallback: only for a delivery over SMTP/LMTP to another server */
    if (!m->msgid || !*m->msgid || d->status != MSL_ST_SENT || !d->daemon ||
        (strcasecmp(d->daemon, "smtp") != 0 && strcasecmp(d->daemon, "lmtp") != 0) ||
        !d->relay_ip)
        return -1; /* Exchange writes "SMTP" */
    for (size_t i = 0; i < t->nmsgs; i++) {
        const struct msl_message *x = t->msgs[i];
        if (i == from || same(x->host, m->host) || !same(x->msgid, m->msgid))
            continue;
        if (upstream_of(t, i, from))
            continue; /* the same message earlier on its path, not the next hop */
        long long dist = llabs(recv_time(x) - d->ts);
        if (dist <= MSGID_WINDOW_US && (best < 0 || dist < bestdist)) {
            best = (long)i;
            bestdist = dist;
            *kind = HOP_MSGID;
        }
    }
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int add_skews(struct msl_trace *t)
{
    free(t->skews);
    t->skews = NULL;
    t->nskews = 0;
    if (t->nhops == 0)
        return MSL_OK;
    double *vals = malloc(t->nhops * sizeof *vals);
    char *done = calloc(t->nhops, 1);
    t->skews = calloc(t->nhops, sizeof *t->skews);
    if (!vals || !done || !t->skews) {
        free(vals);
        free(done);
        return MSL_ENOMEM;
    }
    for (size_t i = 0; i < t->nhops; i++) {
        if (done[i] || t->hops[i].kind == HOP_FILTER)
            continue;
        const char *fh = t->msgs[t->hops[i].from_msg]->host;
        const char *th = t->msgs[t->hops[i].to_msg]->host;
        size_t n = 0;
        for (size_t j = i; j < t->nhops; j++) {
            const struct hop *h = &t->hops[j];
            if (done[j] || h->kind == HOP_FILTER || !same(t->msgs[h->from_msg]->host, fh) ||
                !same(t->msgs[h->to_msg]->host, th))
                continue;
            done[j] = 1;
            vals[n++] = h->skew_s;
        }
        qsort(vals, n, sizeof *vals, cmp_double);
        double med = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
        t->skews[t->nskews++] = (struct skew){fh, th, med, n};
    }
    free(vals);
    free(done);
    return MSL_OK;
}

int trace_link(struct msl_trace *t)
{
    if (t->nmsgs > 1)
        qsort(t->msgs, t->nmsgs, sizeof *t->msgs, by_first);
    if (t->nsess > 1)
        qsort(t->sess, t->nsess, sizeof *t->sess, by_start);
    free(t->hops);
    t->hops = NULL;
    t->nhops = 0;
    size_t cap = 0;
    for (size_t i = 0; i < t->nmsgs; i++) {
        const struct msl_message *m = t->msgs[i];
        for (size_t j = 0; j < m->ndeliveries; j++) {
            const struct msl_delivery *d = &m->deliveries[j];
            enum hop_kind kind = HOP_QUEUED_AS;
            long to = find_target(t, i, d, &kind);
            if (to < 0)
                continue;
            if (t->nhops == cap) {
                cap = cap ? cap * 2 : 16;
                struct hop *nh = realloc(t->hops, cap * sizeof *nh);
                if (!nh)
                    return MSL_ENOMEM;
                t->hops = nh;
            }
            double xfer = d->delays[3] >= 0 ? d->delays[3] : 0;
            double skew = (double)(recv_time(t->msgs[to]) - d->ts) / 1e6 + xfer;
            t->hops[t->nhops++] = (struct hop){i, j, (size_t)to, kind, skew};
        }
    }
    return add_skews(t);
}
