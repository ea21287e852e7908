/*
 * trace_render.c - a trace as a readable story (text) or as JSON.
 *
 * Shown are the matched records and everything linked to them (hops, content-filter
 * re-injections, bounces, the same Message-ID).  Text prints each path from its first
 * message: the SMTP session that submitted it, then every step with the original log line
 * and its file:line under it, and each hop's next message indented below the delivery
 * that made it.
 */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/palette.h"
#include "mailsleuth/trace.h"
#include "report/event_out.h"
#include "report/provenance.h"
#include "report/record_json.h"
#include "trace/trace_int.h"
#include "util/esc.h"

#define MAX_DEPTH 16

struct render {
    struct msl_trace *t;
    const struct msl_run *run;
    const struct msl_tz *tz;
    struct buf *b;
    FILE *out;
    char *shown;   /* per message */
    char *printed; /* per message */
    char *sess_printed;
};

static int same(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

static int matched_msg(const struct msl_trace *t, const struct msl_message *m)
{
    char k[32];
    snprintf(k, sizeof k, "%llu", (unsigned long long)m->id);
    return strmap_find(t->msg_ids, k, strlen(k)) != NULL;
}

/* Fixpoint: matched messages, and everything linked to a shown one. */
static void compute_shown(struct render *r)
{
    struct msl_trace *t = r->t;
    for (size_t i = 0; i < t->nmsgs; i++)
        r->shown[i] = (char)matched_msg(t, t->msgs[i]);
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t h = 0; h < t->nhops; h++) {
            size_t a = t->hops[h].from_msg, b = t->hops[h].to_msg;
            if (r->shown[a] != r->shown[b]) {
                r->shown[a] = r->shown[b] = 1;
                changed = 1;
            }
        }
        for (size_t i = 0; i < t->nmsgs; i++) {
            if (!r->shown[i])
                continue;
            const struct msl_message *m = t->msgs[i];
            for (size_t j = 0; j < t->nmsgs; j++) {
                if (r->shown[j])
                    continue;
                const struct msl_message *x = t->msgs[j];
                int samehost = same(x->host, m->host);
                if (same(x->msgid, m->msgid) ||
                    (samehost && (same(x->qid, m->reinjected_as) ||
                                  same(x->qid, m->reinjected_from) ||
                                  same(x->bounce_of, m->qid) || same(x->qid, m->bounce_of)))) {
                    r->shown[j] = 1;
                    changed = 1;
                }
            }
        }
    }
}

static void flush(struct render *r)
{
    if (r->b->n)
        fwrite(r->b->p, 1, r->b->n, r->out);
    buf_reset(r->b);
}

static void indent(struct buf *b, int depth)
{
    for (int i = 0; i < depth; i++)
        buf_adds(b, "    ");
}

static void s(struct buf *b, const char *v)
{
    if (v)
        esc_text(b, v, strlen(v));
}

/* "host[ip]" as Postfix writes a peer */
static void peer(struct buf *b, const char *host, const char *ip)
{
    s(b, host ? host : "?");
    buf_addc(b, '[');
    s(b, ip);
    buf_addc(b, ']');
}

static void evline(struct render *r, const struct msl_evline *l, int depth)
{
    struct buf *b = r->b;
    const char *src = msl_run_source_name(r->run, l->ev.src);
    indent(b, depth);
    buf_adds(b, "      ");
    esc_text(b, src, strlen(src));
    buf_addf(b, ":%llu  ", (unsigned long long)l->ev.line);
    if (l->text)
        esc_text(b, l->text, strlen(l->text));
    buf_addc(b, '\n');
}

static void step_head(struct render *r, long long ts, int depth)
{
    indent(r->b, depth);
    buf_adds(r->b, "  ");
    event_fmt_time(r->b, r->tz, ts);
    buf_adds(r->b, "  ");
}

/* The nth delivery logged on this line: one line may name several recipients (Sendmail's
 * to=<a>,<b>), each its own delivery and its own evidence entry. */
static const struct msl_delivery *delivery_at(const struct msl_message *m,
                                              const struct msl_evidence *ev, size_t nth,
                                              size_t *idx)
{
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (m->deliveries[i].ev.src == ev->src && m->deliveries[i].ev.line == ev->line &&
            nth-- == 0) {
            *idx = i;
            return &m->deliveries[i];
        }
    return NULL;
}

static const struct msl_action_rec *action_at(const struct msl_message *m,
                                              const struct msl_evidence *ev)
{
    for (size_t i = 0; i < m->nactions; i++)
        if (m->actions[i].ev.src == ev->src && m->actions[i].ev.line == ev->line)
            return &m->actions[i];
    return NULL;
}

static void render_message(struct render *r, size_t mi, int depth);

static void describe_delivery(struct render *r, const struct msl_message *m, size_t di, int depth)
{
    struct buf *b = r->b;
    const struct msl_delivery *d = &m->deliveries[di];
    buf_adds(b, "to=<");
    s(b, d->to);
    buf_adds(b, ">");
    if (d->orig_to) {
        buf_adds(b, " (orig_to=<");
        s(b, d->orig_to);
        buf_adds(b, ">)");
    }
    /* sent into a mailbox here, or accepted by the next server */
    enum msl_hue hue = msl_hue_of_status(d->status);
    buf_addf(b, " %s%s%s", msl_hue_on(r->t->palette, hue),
             d->status != MSL_ST_SENT ? msl_status_name(d->status)
             : d->local              ? "delivered"
                                     : "accepted",
             msl_hue_off(r->t->palette, hue));
    if (d->relay_host) {
        buf_adds(b, " via ");
        s(b, d->relay_host);
        if (d->relay_ip) {
            buf_addc(b, '[');
            s(b, d->relay_ip);
            buf_addc(b, ']');
        }
        if (d->relay_port >= 0)
            buf_addf(b, ":%d", (int)d->relay_port);
    }
    if (d->dsn) {
        buf_adds(b, " dsn=");
        s(b, d->dsn);
    }
    if (d->delay >= 0)
        buf_addf(b, " after %.1fs", d->delay);
    if (d->tls) {
        buf_adds(b, " tls=");
        s(b, d->tls);
    }
    if (d->text) {
        buf_adds(b, ": ");
        s(b, d->text);
    }
    (void)depth;
}

static void describe(struct render *r, const struct msl_message *m, const struct msl_evline *l,
                     size_t nth, size_t *hop_delivery, int depth)
{
    struct buf *b = r->b;
    *hop_delivery = (size_t)-1;
    switch (l->kind) {
    case MSL_EV_RECEIVED:
        if (m->uid) {
            buf_adds(b, "submitted locally (pickup) by uid ");
            s(b, m->uid);
        } else {
            buf_adds(b, "accepted from ");
            peer(b, m->client_host, m->client_ip);
            if (m->sasl_user) {
                buf_adds(b, ", authenticated as ");
                s(b, m->sasl_user);
                buf_adds(b, " (");
                s(b, m->sasl_method);
                buf_addc(b, ')');
            }
        }
        break;
    case MSL_EV_SENDER:
        buf_adds(b, "queued: from=<");
        s(b, m->from);
        buf_addc(b, '>');
        if (m->size >= 0)
            buf_addf(b, ", %lld bytes", (long long)m->size);
        if (m->nrcpt >= 0)
            buf_addf(b, ", %lld recipient%s", (long long)m->nrcpt, m->nrcpt == 1 ? "" : "s");
        break;
    case MSL_EV_MESSAGE_ID:
        buf_adds(b, "message-id <");
        s(b, m->msgid);
        buf_addc(b, '>');
        break;
    case MSL_EV_DELIVERY: {
        size_t di;
        if (delivery_at(m, &l->ev, nth, &di)) {
            describe_delivery(r, m, di, depth);
            *hop_delivery = di;
        } else {
            buf_adds(b, "delivery attempt");
        }
        break;
    }
    case MSL_EV_QUEUE_REMOVED:
        buf_adds(b, "removed from the queue");
        break;
    case MSL_EV_DSN_CREATED:
        buf_adds(b, "bounce notification created");
        for (size_t i = 0; i < m->ndsn; i++) {
            buf_addc(b, ' ');
            s(b, m->dsn_qids[i]);
        }
        break;
    case MSL_EV_REJECT: {
        const struct msl_action_rec *a = action_at(m, &l->ev);
        buf_adds(b, a ? msl_action_name(a->action) : "reject");
        if (a && a->stage) {
            buf_adds(b, " at ");
            s(b, a->stage);
        }
        if (a && a->text) {
            buf_adds(b, ": ");
            s(b, a->text);
        }
        break;
    }
    case MSL_EV_QUEUE_ADMIN:
        buf_adds(b, "administrator action (postsuper)");
        break;
    default:
        buf_adds(b, msl_kind_name(l->kind));
        break;
    }
    buf_addc(b, '\n');
}

static void render_session(struct render *r, const struct msl_session *ss, int depth)
{
    struct buf *b = r->b;
    indent(b, depth);
    buf_addf(b, "  session %llu on ", (unsigned long long)ss->id);
    s(b, ss->host);
    buf_adds(b, ": client ");
    peer(b, ss->client_host, ss->client_ip);
    if (ss->tls_proto) {
        buf_adds(b, ", TLS ");
        s(b, ss->tls_proto);
        if (ss->tls_cipher) {
            buf_addc(b, ' ');
            s(b, ss->tls_cipher);
        }
    } else {
        buf_adds(b, ", no TLS");
    }
    size_t fails = 0;
    for (size_t i = 0; i < ss->nauths; i++)
        fails += !ss->auths[i].ok;
    if (ss->nauths)
        buf_addf(b, ", %zu AUTH attempt%s (%zu failed)", ss->nauths, ss->nauths == 1 ? "" : "s",
                 fails);
    if (ss->nrejects)
        buf_addf(b, ", %zu reject%s", ss->nrejects, ss->nrejects == 1 ? "" : "s");
    if (ss->end_reason) {
        buf_adds(b, ", ");
        s(b, ss->end_reason);
    }
    if (ss->counters) {
        buf_adds(b, ", commands: ");
        s(b, ss->counters);
    }
    buf_addc(b, '\n');
    for (size_t i = 0; i < ss->nlines; i++) {
        const struct msl_evline *l = &ss->lines[i];
        if (l->kind == MSL_EV_RECEIVED)
            continue; /* shown as the message's own first step */
        step_head(r, l->ts, depth);
        switch (l->kind) {
        case MSL_EV_CONNECT: buf_adds(b, "connect"); break;
        case MSL_EV_DISCONNECT: buf_adds(b, "disconnect"); break;
        case MSL_EV_TLS: buf_adds(b, "TLS established"); break;
        case MSL_EV_AUTH_FAIL: buf_adds(b, "AUTH failed"); break;
        case MSL_EV_AUTH_OK: buf_adds(b, "AUTH succeeded"); break;
        case MSL_EV_REJECT: buf_adds(b, "rejected"); break;
        case MSL_EV_POLICY: buf_adds(b, "postscreen / policy verdict"); break;
        default: buf_adds(b, msl_kind_name(l->kind)); break;
        }
        buf_addc(b, '\n');
        evline(r, l, depth);
    }
}

/* The hop a delivery of message mi made, or NULL. */
static const struct hop *hop_of(const struct msl_trace *t, size_t mi, size_t di)
{
    for (size_t h = 0; h < t->nhops; h++)
        if (t->hops[h].from_msg == mi && t->hops[h].delivery == di)
            return &t->hops[h];
    return NULL;
}

/* One sentence per recipient: what finally happened, after how many attempts, where. */
static void render_recipients(struct render *r, size_t mi, int depth)
{
    const struct msl_message *m = r->t->msgs[mi];
    struct buf *b = r->b;
    if (!m->nrcpts)
        return;
    indent(b, depth);
    buf_addf(b, "  recipients (%zu):\n", m->nrcpts);
    for (size_t i = 0; i < m->nrcpts; i++) {
        const struct msl_recipient *rc = &m->rcpts[i];
        indent(b, depth);
        buf_adds(b, "    <");
        s(b, rc->addr);
        buf_addc(b, '>');
        if (rc->orig) {
            buf_adds(b, " (sent to <");
            s(b, rc->orig);
            buf_adds(b, ">)");
        }
        buf_adds(b, ": ");
        if (rc->deferrals && rc->outcome != MSL_OUT_DEFERRED)
            buf_addf(b, "deferred %u time%s, then ", (unsigned)rc->deferrals,
                     rc->deferrals == 1 ? "" : "s");
        buf_adds(b, msl_hue_on(r->t->palette, msl_hue_of_outcome(rc->outcome)));
        buf_adds(b, msl_outcome_name(rc->outcome));
        buf_adds(b, msl_hue_off(r->t->palette, msl_hue_of_outcome(rc->outcome)));
        if (rc->outcome == MSL_OUT_DEFERRED)
            buf_addf(b, " (%u attempt%s, still pending)", (unsigned)rc->attempts,
                     rc->attempts == 1 ? "" : "s");
        if (rc->last_ts) {
            buf_adds(b, " at ");
            event_fmt_time(b, r->tz, rc->last_ts);
        }
        const struct hop *hp = rc->nattempt ? hop_of(r->t, mi, rc->attempt[rc->nattempt - 1])
                                            : NULL;
        if (hp) {
            buf_adds(b, " to ");
            s(b, r->t->msgs[hp->to_msg]->host);
            buf_adds(b, " queue id ");
            s(b, r->t->msgs[hp->to_msg]->qid);
        } else if (rc->relay_host || rc->relay_ip) {
            buf_adds(b, " via ");
            peer(b, rc->relay_host, rc->relay_ip);
            if (rc->next_qid) {
                buf_adds(b, " as ");
                s(b, rc->next_qid);
            }
        }
        if (rc->dsn) {
            buf_adds(b, " dsn=");
            s(b, rc->dsn);
        }
        buf_addc(b, '\n');
    }
}

static const struct msl_session *session_by_id(const struct msl_trace *t, uint64_t id, size_t *idx)
{
    for (size_t i = 0; i < t->nsess; i++)
        if (t->sess[i]->id == id) {
            *idx = i;
            return t->sess[i];
        }
    return NULL;
}

static void render_message(struct render *r, size_t mi, int depth)
{
    struct msl_trace *t = r->t;
    const struct msl_message *m = t->msgs[mi];
    struct buf *b = r->b;
    r->printed[mi] = 1;
    indent(b, depth);
    buf_adds(b, depth ? "=> " : "== ");
    s(b, m->host);
    buf_adds(b, " queue id ");
    s(b, m->qid);
    if (m->msgid) {
        buf_adds(b, "  <");
        s(b, m->msgid);
        buf_addc(b, '>');
    }
    buf_addf(b, "  [final: %s%s%s, %s]\n", msl_hue_on(t->palette, msl_hue_of_status(m->final)),
             m->final ? msl_status_name(m->final) : "unknown",
             msl_hue_off(t->palette, msl_hue_of_status(m->final)), msl_msg_end_name(m->end));
    if (!m->seen_receipt) {
        indent(b, depth);
        buf_adds(b, "  (its receipt is not in these logs: the log starts mid-lifecycle)\n");
    }
    if (m->reinjected_from) {
        indent(b, depth);
        buf_adds(b, "  (re-injected by a content filter; it came from queue id ");
        s(b, m->reinjected_from);
        buf_adds(b, ")\n");
    }
    if (m->bounce_of) {
        indent(b, depth);
        buf_adds(b, "  (bounce notification for queue id ");
        s(b, m->bounce_of);
        buf_adds(b, ")\n");
    }
    render_recipients(r, mi, depth);
    size_t si;
    const struct msl_session *ss = m->session_id ? session_by_id(t, m->session_id, &si) : NULL;
    if (ss && !r->sess_printed[si]) {
        r->sess_printed[si] = 1;
        render_session(r, ss, depth);
    }
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        size_t di, nth = 0;
        for (size_t j = 0; j < i; j++) /* earlier events of the same line */
            nth += m->lines[j].ev.src == l->ev.src && m->lines[j].ev.line == l->ev.line &&
                   m->lines[j].kind == MSL_EV_DELIVERY;
        step_head(r, l->ts, depth);
        describe(r, m, l, nth, &di, depth);
        evline(r, l, depth);
        if (di == (size_t)-1)
            continue;
        for (size_t h = 0; h < t->nhops; h++) {
            const struct hop *hp = &t->hops[h];
            if (hp->from_msg != mi || hp->delivery != di)
                continue;
            indent(b, depth);
            buf_addf(b, "      -> next: ");
            s(b, t->msgs[hp->to_msg]->host);
            buf_adds(b, " queue id ");
            s(b, t->msgs[hp->to_msg]->qid);
            buf_addf(b, " (linked by %s", hop_kind_name(hp->kind));
            if (hp->kind != HOP_FILTER)
                buf_addf(b, "; clock skew estimate %+.1fs", hp->skew_s);
            buf_adds(b, ")\n");
            flush(r);
            if (!r->printed[hp->to_msg] && depth < MAX_DEPTH)
                render_message(r, hp->to_msg, depth + 1);
        }
    }
    if (m->lines_dropped) {
        indent(b, depth);
        buf_addf(b, "  (%zu more lines not kept)\n", m->lines_dropped);
    }
    flush(r);
}

static int has_incoming(const struct msl_trace *t, size_t mi)
{
    for (size_t h = 0; h < t->nhops; h++)
        if (t->hops[h].to_msg == mi)
            return 1;
    return 0;
}

static int render_init(struct render *r, struct msl_trace *t, const struct msl_run *run,
                       const struct msl_tz *tz, FILE *out, struct buf *b)
{
    memset(r, 0, sizeof *r);
    r->t = t;
    r->run = run;
    r->tz = tz;
    r->out = out;
    r->b = b;
    r->shown = calloc(t->nmsgs + 1, 1);
    r->printed = calloc(t->nmsgs + 1, 1);
    r->sess_printed = calloc(t->nsess + 1, 1);
    if (!r->shown || !r->printed || !r->sess_printed)
        return MSL_ENOMEM;
    compute_shown(r);
    return MSL_OK;
}

static void render_done(struct render *r)
{
    free(r->shown);
    free(r->printed);
    free(r->sess_printed);
}

void msl_trace_set_palette(struct msl_trace *t, const struct msl_palette *p)
{
    t->palette = p;
}

int msl_trace_write_text(struct msl_trace *t, const struct msl_run *run, const struct msl_tz *tz,
                         FILE *out)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    struct render r;
    if (render_init(&r, t, run, tz, out, &b) != MSL_OK)
        return MSL_ENOMEM;
    size_t nshown = 0;
    for (size_t i = 0; i < t->nmsgs; i++)
        nshown += (size_t)r.shown[i];
    buf_adds(&b, "trace ");
    s(&b, t->query_text);
    buf_addf(&b, ": %zu matching record%s; %zu message%s shown, %zu hop%s; zone %s\n",
             t->matched, t->matched == 1 ? "" : "s", nshown, nshown == 1 ? "" : "s", t->nhops,
             t->nhops == 1 ? "" : "s", msl_tz_name(tz));
    if (t->single_pass)
        buf_adds(&b, "(stdin input: one pass, links to other messages are not followed)\n");
    for (size_t i = 0; i < t->nskews; i++) {
        buf_adds(&b, "clock: ");
        s(&b, t->skews[i].to_host);
        buf_addf(&b, " runs %+.1fs against ", t->skews[i].median_s);
        s(&b, t->skews[i].from_host);
        buf_addf(&b, " (median of %zu hop%s, includes network transit)\n", t->skews[i].samples,
                 t->skews[i].samples == 1 ? "" : "s");
    }
    buf_addc(&b, '\n');
    flush(&r);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t->nmsgs; i++) {
            /* first the starts of paths, then anything left (cycles) */
            if (!r.shown[i] || r.printed[i] || (pass == 0 && has_incoming(t, i)))
                continue;
            render_message(&r, i, 0);
            buf_addc(&b, '\n');
            flush(&r);
        }
    int header = 0;
    for (size_t i = 0; i < t->nsess; i++) {
        if (r.sess_printed[i])
            continue;
        if (!header) {
            buf_adds(&b, "== sessions that match without a message\n");
            header = 1;
        }
        render_session(&r, t->sess[i], 0);
        buf_addc(&b, '\n');
        flush(&r);
    }
    render_done(&r);
    int err = b.err;
    buf_free(&b);
    return err;
}

int msl_trace_write_json(struct msl_trace *t, const struct msl_run *run, const struct msl_tz *tz,
                         const struct msl_invocation *inv, FILE *out)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    struct render r;
    if (render_init(&r, t, run, tz, out, &b) != MSL_OK)
        return MSL_ENOMEM;
    buf_adds(&b, "{\"schema\":2,\"tool\":\"mailsleuth\",\"version\":\"" MSL_VERSION "\",\"query\":\"");
    esc_json(&b, t->query_text, strlen(t->query_text));
    buf_adds(&b, "\",\"zone\":\"");
    esc_json(&b, msl_tz_name(tz), strlen(msl_tz_name(tz)));
    buf_addf(&b, "\",\"matched\":%zu,\"links_followed\":%s,\"passes\":%d,\"messages\":[",
             t->matched, t->single_pass ? "false" : "true", t->passes ? t->passes : 1);
    int first = 1;
    for (size_t i = 0; i < t->nmsgs; i++) {
        if (!r.shown[i])
            continue;
        if (!first)
            buf_addc(&b, ',');
        first = 0;
        message_json(&b, t->msgs[i], run, 1);
        flush(&r);
    }
    buf_adds(&b, "],\"hops\":[");
    for (size_t h = 0; h < t->nhops; h++) {
        const struct hop *hp = &t->hops[h];
        buf_addf(&b, "%s{\"from\":%llu,\"delivery\":%zu,\"to\":%llu,\"by\":\"%s\",\"skew_s\":%.3f}",
                 h ? "," : "", (unsigned long long)t->msgs[hp->from_msg]->id, hp->delivery,
                 (unsigned long long)t->msgs[hp->to_msg]->id, hop_kind_name(hp->kind),
                 hp->skew_s);
    }
    buf_adds(&b, "],\"clock_skew\":[");
    for (size_t i = 0; i < t->nskews; i++) {
        buf_adds(&b, i ? ",{\"from_host\":\"" : "{\"from_host\":\"");
        esc_json(&b, t->skews[i].from_host, strlen(t->skews[i].from_host));
        buf_adds(&b, "\",\"to_host\":\"");
        esc_json(&b, t->skews[i].to_host, strlen(t->skews[i].to_host));
        buf_addf(&b, "\",\"median_s\":%.3f,\"samples\":%zu}", t->skews[i].median_s,
                 t->skews[i].samples);
    }
    buf_adds(&b, "],\"sessions\":[");
    for (size_t i = 0; i < t->nsess; i++) {
        if (i)
            buf_addc(&b, ',');
        session_json(&b, t->sess[i], run, 1);
        flush(&r);
    }
    buf_adds(&b, "],");
    provenance_json(&b, inv, tz, run);
    buf_adds(&b, "}\n");
    flush(&r);
    render_done(&r);
    int err = b.err;
    buf_free(&b);
    return err;
}
