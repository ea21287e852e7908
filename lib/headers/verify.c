/*
 * verify.c - each Received hop beside the logs' records (headers.h, doc/HEADERS.md).
 *
 * A hop names the server that wrote it (by) and, mostly, the queue id it gave (id).  The
 * server is one of the logs' hosts when the names agree ("mx2" is "mx2.example.test").
 * The record is the message with that queue id on that host (nearest in time when an id
 * was reused), or without an id the message with the same Message-ID received nearest to
 * the hop's date.  Then the facts the header claims are compared with the log's: the
 * Message-ID, the client's IP address and HELO name, the time (within skew_us), the
 * envelope recipient.  A record that handed this copy to a confirmed hop (its delivery
 * answered "queued as" that hop's id, or it was re-injected as it) must have a Received
 * header of its own: if none names it, a hop was stripped from the headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsleuth/envelope.h"
#include "mailsleuth/headers.h"
#include "mailsleuth/mailsleuth.h"
#include "util/buf.h"
#include "mailsleuth/calendar.h"

const char *msl_verdict_name(enum msl_verdict v)
{
    switch (v) {
    case MSL_V_CONFIRMED: return "confirmed";
    case MSL_V_CONTRADICTED: return "contradicted";
    case MSL_V_NO_EVIDENCE: break;
    }
    return "no-evidence";
}

void msl_msg_verdict_free(struct msl_msg_verdict *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nhops; i++)
        free(v->hops[i].why);
    free(v->hops);
    free(v->why);
    memset(v, 0, sizeof *v);
}

static int same_ci(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* "mx2" (log host) and "mx2.example.test" (Received by) name the same server. */
static int same_server(const char *logh, const char *by)
{
    if (!logh || !by || !*logh || !*by)
        return 0;
    size_t a = strlen(logh), b = strlen(by);
    if (a == b)
        return strcasecmp(logh, by) == 0;
    const char *lng = a > b ? logh : by, *sht = a > b ? by : logh;
    size_t n = a > b ? b : a;
    return strncasecmp(lng, sht, n) == 0 && lng[n] == '.';
}

static const struct msl_log_host *host_of(const struct msl_log_host *hosts, size_t nh,
                                          const char *by)
{
    for (size_t i = 0; i < nh; i++)
        if (same_server(hosts[i].host, by))
            return &hosts[i];
    return NULL;
}

static int64_t absdiff(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

static struct msl_message *find(struct msl_message *const *recs, size_t n, const char *host,
                                const char *qid, const char *msgid, int64_t ts)
{
    struct msl_message *best = NULL;
    for (size_t i = 0; i < n; i++) {
        struct msl_message *m = recs[i];
        if (!m->host || strcmp(m->host, host) != 0)
            continue;
        if (qid ? !m->qid || strcmp(m->qid, qid) != 0 : !same_ci(m->msgid, msgid))
            continue;
        int64_t t = m->received_ts ? m->received_ts : m->first_ts;
        if (!best || absdiff(t, ts) < absdiff(best->received_ts ? best->received_ts
                                                                : best->first_ts, ts))
            best = m;
    }
    return best;
}

static int has_rcpt(const struct msl_message *m, const char *a)
{
    for (size_t i = 0; i < m->nrcpts; i++)
        if (same_ci(m->rcpts[i].addr, a) || same_ci(m->rcpts[i].orig, a))
            return 1;
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (same_ci(m->deliveries[i].to, a) || same_ci(m->deliveries[i].orig_to, a))
            return 1;
    return 0;
}

static void fmt_time(struct buf *b, int64_t us)
{
    int64_t s = us / 1000000, days = s / 86400, r = s % 86400;
    if (r < 0) {
        r += 86400;
        days--;
    }
    int y, mo, d;
    msl_civil_from_days(days, &y, &mo, &d);
    buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(r / 3600),
             (int)(r / 60 % 60), (int)(r % 60));
}

static struct msl_hop_verdict *add_hop(struct msl_msg_verdict *out, size_t cap)
{
    if (out->nhops == cap)
        return NULL;
    struct msl_hop_verdict *h = &out->hops[out->nhops++];
    memset(h, 0, sizeof *h);
    return h;
}

static int why(struct msl_hop_verdict *h, struct buf *b)
{
    h->why = b->err ? NULL : strdup(b->p ? b->p : "");
    return h->why ? MSL_OK : MSL_ENOMEM;
}

/* Compares one hop with its record; the reasons go into b. */
static enum msl_verdict compare(const struct msl_hdr_msg *hm, const struct msl_received *r,
                                const struct msl_message *m, int64_t skew, struct buf *b)
{
    int bad = 0;
#define DIFF(...)                                        \
    do {                                                 \
        buf_adds(b, bad++ ? "; " : "");                  \
        buf_addf(b, __VA_ARGS__);                        \
    } while (0)
    if (hm->msgid && m->msgid && strcasecmp(hm->msgid, m->msgid) != 0)
        DIFF("queue id %s on %s belongs to another message (Message-ID <%s>)", m->qid, m->host,
             m->msgid);
    if (r->ip && m->client_ip && strcasecmp(r->ip, m->client_ip) != 0)
        DIFF("the log shows client IP %s, the header %s", m->client_ip, r->ip);
    if (r->helo && m->helo && strcasecmp(r->helo, m->helo) != 0)
        DIFF("the log shows HELO %s, the header %s", m->helo, r->helo);
    int64_t t = m->received_ts ? m->received_ts : m->first_ts;
    if (r->ts && t && absdiff(r->ts, t) > skew) {
        buf_adds(b, bad++ ? "; " : "");
        buf_adds(b, "the log received it at ");
        fmt_time(b, t);
        buf_addf(b, ", %lld s from the header's date", (long long)(absdiff(r->ts, t) / 1000000));
    }
    if (r->for_addr && (m->nrcpts || m->ndeliveries) && !has_rcpt(m, r->for_addr))
        DIFF("the log shows no recipient <%s>", r->for_addr);
#undef DIFF
    if (bad)
        return MSL_V_CONTRADICTED;
    /* name only what both sides told */
    buf_addf(b, "%s queue id %s", m->host, m->qid);
    if (hm->msgid && m->msgid)
        buf_adds(b, ", Message-ID");
    if (r->ip && m->client_ip)
        buf_addf(b, ", client %s", r->ip);
    if (r->helo && m->helo)
        buf_addf(b, ", HELO %s", r->helo);
    if (r->ts && t)
        buf_addf(b, ", time (%lld s apart)", (long long)(absdiff(r->ts, t) / 1000000));
    if (r->for_addr && (m->nrcpts || m->ndeliveries))
        buf_addf(b, ", recipient <%s>", r->for_addr);
    buf_adds(b, " agree with the log");
    return MSL_V_CONFIRMED;
}

/* The record handed this copy to a confirmed hop's record. */
static int hands_to(const struct msl_message *up, const struct msl_message *down)
{
    if (!up->host || !down->host || up == down)
        return 0;
    if (up->reinjected_as && !strcmp(up->host, down->host) && !strcmp(up->reinjected_as, down->qid))
        return 1;
    for (size_t i = 0; i < up->ndeliveries; i++)
        if (up->deliveries[i].new_qid && !strcmp(up->deliveries[i].new_qid, down->qid) &&
            (!up->msgid || !down->msgid || same_ci(up->msgid, down->msgid)))
            return 1;
    return 0;
}

int msl_hdr_verify(const struct msl_hdr_msg *h, struct msl_message *const *recs, size_t nrecs,
                   const struct msl_log_host *hosts, size_t nhosts, int64_t skew_us,
                   struct msl_msg_verdict *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = h->nrcv + nrecs + 1;
    out->hops = calloc(cap, sizeof *out->hops);
    if (!out->hops)
        return MSL_ENOMEM;
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = MSL_OK;
    size_t nconf = 0, ncontra = 0;
    /* the headers' hops, oldest (bottom) first */
    for (size_t k = h->nrcv; k-- > 0 && rc == MSL_OK;) {
        const struct msl_received *r = &h->rcv[k];
        struct msl_hop_verdict *hv = add_hop(out, cap);
        hv->rcv = r;
        buf_reset(&b);
        const struct msl_log_host *lh = host_of(hosts, nhosts, r->by);
        if (!lh) {
            buf_addf(&b, "no log of %s was given", r->by ? r->by : "(a server the header does not name)");
            rc = why(hv, &b);
            continue;
        }
        struct msl_message *m = find(recs, nrecs, lh->host, r->id, h->msgid, r->ts);
        if (m) {
            hv->log = m;
            hv->v = compare(h, r, m, skew_us, &b);
        } else if (r->ts && r->ts + skew_us >= lh->first && r->ts - skew_us <= lh->last) {
            hv->v = MSL_V_CONTRADICTED;
            if (r->id)
                buf_addf(&b, "no message with queue id %s in the log of %s, which covers that time",
                         r->id, lh->host);
            else
                buf_addf(&b, "no message <%s> in the log of %s, which covers that time",
                         h->msgid ? h->msgid : "", lh->host);
        } else {
            buf_addf(&b, "the log of %s covers ", lh->host);
            fmt_time(&b, lh->first);
            buf_adds(&b, " to ");
            fmt_time(&b, lh->last);
            buf_adds(&b, r->ts ? ", not the header's date" : "; the header has no readable date");
        }
        nconf += hv->v == MSL_V_CONFIRMED;
        ncontra += hv->v == MSL_V_CONTRADICTED;
        rc = why(hv, &b);
    }
    /* hops the logs show but the headers lack: records handing this copy to a confirmed hop */
    for (size_t i = 0; i < nrecs && rc == MSL_OK; i++) {
        const struct msl_message *up = recs[i];
        int named = 0, feeds = 0;
        for (size_t j = 0; j < out->nhops; j++) {
            named |= out->hops[j].log == up;
            feeds |= out->hops[j].v == MSL_V_CONFIRMED && out->hops[j].log &&
                     hands_to(up, out->hops[j].log);
        }
        if (named || !feeds)
            continue;
        struct msl_hop_verdict *hv = add_hop(out, cap);
        if (!hv)
            break;
        hv->v = MSL_V_CONTRADICTED;
        hv->log = up;
        ncontra++;
        buf_reset(&b);
        buf_addf(&b, "the log of %s shows queue id %s handing this message on, but no Received "
                     "header names it: a hop is missing from the headers", up->host, up->qid);
        rc = why(hv, &b);
    }
    out->v = ncontra ? MSL_V_CONTRADICTED : nconf ? MSL_V_CONFIRMED : MSL_V_NO_EVIDENCE;
    buf_reset(&b);
    buf_addf(&b, "%zu hop%s confirmed, %zu contradicted, %zu without evidence", nconf,
             nconf == 1 ? "" : "s", ncontra, out->nhops - nconf - ncontra);
    if (rc == MSL_OK && !(out->why = b.err ? NULL : strdup(b.p ? b.p : "")))
        rc = MSL_ENOMEM;
    buf_free(&b);
    return rc;
}
