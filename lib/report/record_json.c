/*
 * record_json.c - see record_json.h.  Absent strings (NULL) are omitted; "" is written,
 * so the null sender stays distinguishable from an unknown sender.
 */
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "report/event_out.h"
#include "report/record_json.h"
#include "util/esc.h"

const char *msl_msg_end_name(enum msl_msg_end e)
{
    switch (e) {
    case MSL_END_REMOVED: return "removed";
    case MSL_END_REUSED: return "queue-id-reused";
    case MSL_END_IDLE: return "idle";
    case MSL_END_OPEN_AT_EOF: return "open-at-end-of-log";
    case MSL_END_REJECTED: return "rejected";
    case MSL_END_COMPLETE: return "all-recipients-final";
    }
    return "?";
}

static void js(struct buf *b, const char *k, const char *v)
{
    if (!v)
        return;
    esc_json_member(b, k, v, strlen(v));
}

static void jt(struct buf *b, const char *k, long long us)
{
    if (!us)
        return;
    buf_addf(b, ",\"%s\":\"", k);
    event_fmt_time(b, NULL, us);
    buf_addc(b, '"');
}

static void jev(struct buf *b, const struct msl_evidence *ev, const struct msl_run *run)
{
    const char *src = run ? msl_run_source_name(run, ev->src) : "?";
    buf_adds(b, ",\"evidence\":\"");
    esc_json(b, src, strlen(src));
    buf_addf(b, ":%llu\"", (unsigned long long)ev->line);
}

static void jstrs(struct buf *b, const char *k, char *const *v, size_t n)
{
    buf_addf(b, ",\"%s\":[", k);
    for (size_t i = 0; i < n; i++) {
        buf_adds(b, i ? ",\"" : "\"");
        esc_json(b, v[i] ? v[i] : "", v[i] ? strlen(v[i]) : 0);
        buf_addc(b, '"');
    }
    buf_addc(b, ']');
}

static void jlines(struct buf *b, const struct msl_evline *l, size_t n, size_t dropped,
                   const struct msl_run *run)
{
    buf_adds(b, ",\"lines\":[");
    for (size_t i = 0; i < n; i++) {
        buf_adds(b, i ? ",{\"kind\":\"" : "{\"kind\":\"");
        buf_adds(b, msl_kind_name(l[i].kind));
        buf_addc(b, '"');
        jt(b, "datetime", l[i].ts);
        jev(b, &l[i].ev, run);
        buf_addf(b, ",\"offset\":%llu", (unsigned long long)l[i].ev.offset);
        js(b, "text", l[i].text);
        buf_addc(b, '}');
    }
    buf_addf(b, "],\"lines_dropped\":%zu", dropped);
}

/* The recipient's own fields, without braces (shared by the message's "recipients" and
 * search --recipients rows). */
static void recipient_fields(struct buf *b, const struct msl_message *m,
                             const struct msl_recipient *r, const struct msl_run *run)
{
    buf_addf(b, "\"outcome\":\"%s\"", msl_outcome_name(r->outcome));
    js(b, "address", r->addr);
    js(b, "orig_address", r->orig);
    buf_addf(b, ",\"attempts\":%u,\"deferrals\":%u", (unsigned)r->attempts,
             (unsigned)r->deferrals);
    if (r->last_status != MSL_ST_NONE)
        buf_addf(b, ",\"last_status\":\"%s\"", msl_status_name(r->last_status));
    jt(b, "first_attempt", r->first_ts);
    jt(b, "last_attempt", r->last_ts);
    js(b, "relay_host", r->relay_host);
    js(b, "relay_ip", r->relay_ip);
    if (r->relay_port >= 0)
        buf_addf(b, ",\"relay_port\":%d", (int)r->relay_port);
    js(b, "dsn", r->dsn);
    js(b, "reply", r->reply);
    js(b, "tls", r->tls);
    if (r->delay >= 0)
        buf_addf(b, ",\"delay\":%.3f", r->delay);
    js(b, "next_qid", r->next_qid);
    jev(b, &r->ev, run);
    buf_adds(b, ",\"attempt_evidence\":[");
    for (size_t i = 0; i < r->nattempt; i++) {
        const struct msl_evidence *ev = &m->deliveries[r->attempt[i]].ev;
        const char *src = run ? msl_run_source_name(run, ev->src) : "?";
        buf_adds(b, i ? ",\"" : "\"");
        esc_json(b, src, strlen(src));
        buf_addf(b, ":%llu\"", (unsigned long long)ev->line);
    }
    buf_addc(b, ']');
}

void recipient_json(struct buf *b, const struct msl_message *m, const struct msl_recipient *r,
                    const struct msl_run *run)
{
    buf_addf(b, "{\"type\":\"recipient\",\"message\":%llu", (unsigned long long)m->id);
    js(b, "host", m->host);
    js(b, "qid", m->qid);
    js(b, "msgid", m->msgid);
    js(b, "from", m->from);
    js(b, "client_ip", m->client_ip);
    js(b, "sasl_user", m->sasl_user);
    jt(b, "received", m->received_ts);
    buf_addc(b, ',');
    recipient_fields(b, m, r, run);
    buf_addc(b, '}');
}

void message_json(struct buf *b, const struct msl_message *m, const struct msl_run *run,
                  int with_lines)
{
    buf_addf(b, "{\"type\":\"message\",\"id\":%llu", (unsigned long long)m->id);
    js(b, "host", m->host);
    js(b, "qid", m->qid);
    jt(b, "qid_time", m->qid_time);
    jt(b, "first", m->first_ts);
    jt(b, "last", m->last_ts);
    buf_addf(b, ",\"receipt_seen\":%s", m->seen_receipt ? "true" : "false");
    jt(b, "received", m->received_ts);
    js(b, "client_host", m->client_host);
    js(b, "client_ip", m->client_ip);
    if (m->client_port >= 0)
        buf_addf(b, ",\"client_port\":%d", (int)m->client_port);
    js(b, "helo", m->helo);
    js(b, "proto", m->proto);
    js(b, "sasl_method", m->sasl_method);
    js(b, "sasl_user", m->sasl_user);
    js(b, "uid", m->uid);
    js(b, "from", m->from);
    if (m->size >= 0)
        buf_addf(b, ",\"size\":%lld", (long long)m->size);
    if (m->nrcpt >= 0)
        buf_addf(b, ",\"nrcpt\":%lld", (long long)m->nrcpt);
    js(b, "msgid", m->msgid);
    buf_addf(b, ",\"final\":\"%s\",\"end\":\"%s\"", msl_status_name(m->final),
             msl_msg_end_name(m->end));
    js(b, "reinjected_as", m->reinjected_as);
    js(b, "reinjected_from", m->reinjected_from);
    js(b, "bounce_of", m->bounce_of);
    jstrs(b, "dsn_qids", m->dsn_qids, m->ndsn);
    if (m->session_id)
        buf_addf(b, ",\"session\":%llu", (unsigned long long)m->session_id);
    buf_adds(b, ",\"recipients\":[");
    for (size_t i = 0; i < m->nrcpts; i++) {
        buf_adds(b, i ? ",{" : "{");
        recipient_fields(b, m, &m->rcpts[i], run);
        buf_addc(b, '}');
    }
    buf_adds(b, "],\"deliveries\":[");
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        buf_adds(b, i ? ",{" : "{");
        buf_addf(b, "\"status\":\"%s\"", msl_status_name(d->status));
        jt(b, "datetime", d->ts);
        js(b, "to", d->to);
        js(b, "orig_to", d->orig_to);
        js(b, "daemon", d->daemon);
        js(b, "relay_host", d->relay_host);
        js(b, "relay_ip", d->relay_ip);
        if (d->relay_port >= 0)
            buf_addf(b, ",\"relay_port\":%d", (int)d->relay_port);
        js(b, "dsn", d->dsn);
        if (d->delay >= 0)
            buf_addf(b, ",\"delay\":%.3f", d->delay);
        if (d->delays[0] >= 0)
            buf_addf(b, ",\"delays\":[%.3g,%.3g,%.3g,%.3g]", d->delays[0], d->delays[1],
                     d->delays[2], d->delays[3]);
        js(b, "tls", d->tls);
        if (d->local)
            buf_adds(b, ",\"local\":true");
        js(b, "new_qid", d->new_qid);
        js(b, "text", d->text);
        jev(b, &d->ev, run);
        buf_addc(b, '}');
    }
    buf_adds(b, "],\"actions\":[");
    for (size_t i = 0; i < m->nactions; i++) {
        const struct msl_action_rec *a = &m->actions[i];
        buf_adds(b, i ? ",{" : "{");
        buf_addf(b, "\"action\":\"%s\"", msl_action_name(a->action));
        jt(b, "datetime", a->ts);
        js(b, "stage", a->stage);
        js(b, "to", a->to);
        js(b, "text", a->text);
        jev(b, &a->ev, run);
        buf_addc(b, '}');
    }
    buf_adds(b, "],\"admin\":[");
    for (size_t i = 0; i < m->nadmin; i++) {
        const struct msl_admin_rec *a = &m->admin[i];
        buf_adds(b, i ? ",{" : "{");
        buf_adds(b, "\"what\":\"");
        esc_json(b, a->what ? a->what : "", a->what ? strlen(a->what) : 0);
        buf_addc(b, '"');
        jt(b, "datetime", a->ts);
        jev(b, &a->ev, run);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
    if (with_lines)
        jlines(b, m->lines, m->nlines, m->lines_dropped, run);
    buf_addc(b, '}');
}

void session_json(struct buf *b, const struct msl_session *s, const struct msl_run *run,
                  int with_lines)
{
    buf_addf(b, "{\"type\":\"session\",\"id\":%llu", (unsigned long long)s->id);
    js(b, "host", s->host);
    js(b, "program", s->program);
    if (s->pid >= 0)
        buf_addf(b, ",\"pid\":%lld", (long long)s->pid);
    js(b, "smtp_session_id", s->smtp_session_id);
    js(b, "client_host", s->client_host);
    js(b, "client_ip", s->client_ip);
    if (s->client_port >= 0)
        buf_addf(b, ",\"client_port\":%d", (int)s->client_port);
    jt(b, "start", s->start_ts);
    jt(b, "end", s->end_ts);
    buf_addf(b, ",\"connect_seen\":%s,\"disconnect_seen\":%s", s->saw_connect ? "true" : "false",
             s->saw_disconnect ? "true" : "false");
    js(b, "helo", s->helo);
    js(b, "tls_proto", s->tls_proto);
    js(b, "tls_cipher", s->tls_cipher);
    js(b, "counters", s->counters);
    js(b, "end_reason", s->end_reason);
    buf_adds(b, ",\"auth\":[");
    for (size_t i = 0; i < s->nauths; i++) {
        const struct msl_auth_rec *a = &s->auths[i];
        buf_addf(b, "%s{\"ok\":%s", i ? "," : "", a->ok ? "true" : "false");
        jt(b, "datetime", a->ts);
        js(b, "method", a->method);
        js(b, "user", a->user);
        js(b, "text", a->text);
        jev(b, &a->ev, run);
        buf_addc(b, '}');
    }
    buf_adds(b, "],\"rejects\":[");
    for (size_t i = 0; i < s->nrejects; i++) {
        const struct msl_reject_rec *r = &s->rejects[i];
        buf_addf(b, "%s{\"action\":\"%s\"", i ? "," : "", msl_action_name(r->action));
        jt(b, "datetime", r->ts);
        js(b, "stage", r->stage);
        js(b, "code", r->code);
        js(b, "dsn", r->dsn);
        js(b, "from", r->from);
        js(b, "to", r->to);
        js(b, "helo", r->helo);
        js(b, "text", r->text);
        jev(b, &r->ev, run);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
    jstrs(b, "qids", s->qids, s->nqids);
    jstrs(b, "postscreen", s->verdicts, s->nverdicts);
    if (with_lines)
        jlines(b, s->lines, s->nlines, s->lines_dropped, run);
    buf_addc(b, '}');
}
