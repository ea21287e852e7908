/*
 * event_export.c - one event in the shapes other tools index: Elastic Common Schema
 * (ECS 8.x) documents, optionally preceded by their `_bulk` action line, and Splunk HTTP
 * Event Collector events with the CIM Email data model's field names.  Both carry the
 * evidence (file, line, offset) and the original line; log content is JSON-escaped
 * (util/esc.h), addresses reach an `ip` field only when they parse as one, so an index
 * never refuses a document for a hostile value.  Field choices: doc/OUTPUT-JSON.md.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report/event_export.h"
#include "report/event_out.h"
#include "util/esc.h"

#define ECS_VERSION "8.11.0"

static int is_ip(struct msl_str s)
{
    char tmp[64];
    unsigned char bin[16];
    if (!s.n || s.n >= sizeof tmp)
        return 0;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    return inet_pton(AF_INET, tmp, bin) == 1 || inet_pton(AF_INET6, tmp, bin) == 1;
}

static void str_member(struct buf *b, const char *key, struct msl_str s)
{
    if (s.n)
        esc_json_member(b, key, s.p, s.n);
}

/* ,"key":["value"] (ECS fields normalised to arrays) */
static void arr_member(struct buf *b, const char *key, struct msl_str s)
{
    if (!s.n)
        return;
    buf_addf(b, ",\"%s\":[\"", key);
    esc_json(b, s.p, s.n);
    buf_adds(b, "\"]");
}

static struct msl_str domain_of(struct msl_str addr)
{
    const char *at = addr.n ? memchr(addr.p, '@', addr.n) : NULL;
    if (!at)
        return MSL_STR_NULL;
    return (struct msl_str){at + 1, (size_t)(addr.p + addr.n - at - 1)};
}

static int failed_status(enum msl_status s)
{
    return s == MSL_ST_DEFERRED || s == MSL_ST_BOUNCED || s == MSL_ST_EXPIRED ||
           s == MSL_ST_UNDELIVERABLE;
}

/* event.category / event.type / event.outcome of ECS's allowed values for a kind. */
static void ecs_classify(const struct msl_event *e, const char **cat, const char **type,
                         const char **outcome)
{
    *cat = "email";
    *type = "info";
    *outcome = NULL;
    switch (e->kind) {
    case MSL_EV_AUTH_OK:
    case MSL_EV_AUTH_FAIL:
        *cat = "authentication";
        *type = "start";
        *outcome = e->kind == MSL_EV_AUTH_OK ? "success" : "failure";
        break;
    case MSL_EV_CONNECT:
        *cat = "network";
        *type = "start";
        break;
    case MSL_EV_DISCONNECT:
        *cat = "network";
        *type = "end";
        break;
    case MSL_EV_TLS:
        *cat = "network";
        *type = "protocol";
        break;
    case MSL_EV_CONN_FAIL:
        *cat = "network";
        *type = "connection";
        *outcome = "failure";
        break;
    case MSL_EV_REJECT:
        *outcome = "failure";
        break;
    case MSL_EV_DELIVERY:
        *outcome = e->status == MSL_ST_SENT || e->status == MSL_ST_FORWARDED ||
                           e->status == MSL_ST_DELIVERABLE
                       ? "success"
                   : failed_status(e->status) ? "failure"
                                              : "unknown";
        break;
    case MSL_EV_WARNING:
    case MSL_EV_ERROR:
    case MSL_EV_DAEMON:
    case MSL_EV_STATS:
        *cat = "process";
        break;
    default:
        break;
    }
}

static void lower_kind(struct buf *b, enum msl_kind k)
{
    for (const char *p = msl_kind_name(k); *p; p++)
        buf_addc(b, (char)tolower((unsigned char)*p));
}

/* "TLSv1.3" -> "1.3" (ECS tls.version is the number, tls.version_protocol the name) */
static void tls_members(struct buf *b, const struct msl_event *e)
{
    struct msl_str v = e->tls;
    if (v.n > 4 && !strncmp(v.p, "TLSv", 4) && isdigit((unsigned char)v.p[4])) {
        buf_adds(b, ",\"tls\":{\"version_protocol\":\"tls\"");
        esc_json_member(b, "version", v.p + 4, v.n - 4);
        str_member(b, "cipher", e->tls_cipher);
        buf_addc(b, '}');
    } else if (e->tls_cipher.n) {
        buf_adds(b, ",\"tls\":{\"cipher\":\"");
        esc_json(b, e->tls_cipher.p, e->tls_cipher.n);
        buf_adds(b, "\"}");
    }
}

/* source / destination: ip when it parses as one, else address; domain; port */
static void endpoint(struct buf *b, const char *name, struct msl_str host, struct msl_str ip,
                     int32_t port)
{
    /* Postfix's placeholders name no host, nor does an address in the host's place */
    int hn = host.n && !(host.n == ip.n && !memcmp(host.p, ip.p, ip.n)) &&
             !(host.n == 7 && !memcmp(host.p, "unknown", 7)) &&
             !(host.n == 4 && !memcmp(host.p, "none", 4)) &&
             !(host.n == 5 && !memcmp(host.p, "local", 5));
    if (!hn && !ip.n)
        return;
    buf_addf(b, ",\"%s\":{", name);
    size_t mark = b->n;
    if (ip.n && is_ip(ip)) {
        buf_adds(b, "\"ip\":\"");
        esc_json(b, ip.p, ip.n);
        buf_addc(b, '"');
    } else if (ip.n) {
        buf_adds(b, "\"address\":\"");
        esc_json(b, ip.p, ip.n);
        buf_addc(b, '"');
    }
    if (hn) {
        if (b->n > mark)
            buf_addc(b, ',');
        buf_adds(b, "\"domain\":\"");
        esc_json(b, host.p, host.n);
        buf_addc(b, '"');
    }
    if (port > 0)
        buf_addf(b, ",\"port\":%d", (int)port);
    buf_addc(b, '}');
}

void event_ecs(struct buf *b, const struct msl_event *e, const char *src, int bulk)
{
    if (bulk)
        buf_adds(b, "{\"create\":{}}\n");
    const char *cat, *type, *outcome;
    ecs_classify(e, &cat, &type, &outcome);
    buf_adds(b, "{\"@timestamp\":\"");
    event_fmt_time(b, NULL, e->ts);
    buf_adds(b, "\",\"ecs\":{\"version\":\"" ECS_VERSION "\"},\"message\":\"");
    struct buf msg;
    buf_init(&msg, 1 << 20);
    event_message(&msg, e);
    esc_json(b, msg.p ? msg.p : "", msg.n);
    buf_free(&msg);
    buf_adds(b, "\",\"event\":{\"kind\":\"event\",\"module\":\"mailsleuth\",\"dataset\":\"mailsleuth.");
    if (e->mta.n)
        esc_json(b, e->mta.p, e->mta.n);
    else
        buf_adds(b, "log");
    buf_addf(b, "\",\"category\":[\"%s\"],\"type\":[\"%s\"],\"action\":\"", cat, type);
    lower_kind(b, e->kind);
    buf_addc(b, '"');
    if (outcome)
        buf_addf(b, ",\"outcome\":\"%s\"", outcome);
    str_member(b, "code", e->dsn);
    if (e->delay >= 0)
        buf_addf(b, ",\"duration\":%.0f", e->delay * 1e9); /* ECS: nanoseconds */
    if (e->raw.n)
        esc_json_member(b, "original", e->raw.p, e->raw.n);
    buf_addc(b, '}');
    if (e->host.n) {
        buf_adds(b, ",\"host\":{\"name\":\"");
        esc_json(b, e->host.p, e->host.n);
        buf_adds(b, "\"}");
    }
    if (e->program.n || e->pid >= 0) {
        buf_adds(b, ",\"process\":{");
        if (e->program.n) {
            buf_adds(b, "\"name\":\"");
            esc_json(b, e->program.p, e->program.n);
            buf_addc(b, '"');
        }
        if (e->pid >= 0)
            buf_addf(b, "%s\"pid\":%lld", e->program.n ? "," : "", (long long)e->pid);
        buf_addc(b, '}');
    }
    endpoint(b, "source", e->client_host, e->client_ip, e->client_port);
    endpoint(b, "destination", e->relay_host, e->relay_ip, e->relay_port);
    if (e->sasl_user.n) {
        buf_adds(b, ",\"user\":{\"name\":\"");
        esc_json(b, e->sasl_user.p, e->sasl_user.n);
        buf_adds(b, "\"}");
    }
    int from = e->from.n > 0, to = e->to.n > 0;
    if (from || to || e->msgid.n || e->qid.n) {
        buf_adds(b, ",\"email\":{\"local_id\":");
        if (e->qid.n) {
            buf_addc(b, '"');
            esc_json(b, e->qid.p, e->qid.n);
            buf_addc(b, '"');
        } else {
            buf_adds(b, "null"); /* NOQUEUE: the server gave it no id */
        }
        str_member(b, "message_id", e->msgid);
        if (from) {
            buf_adds(b, ",\"from\":{\"address\":[\"");
            esc_json(b, e->from.p, e->from.n);
            buf_adds(b, "\"]");
            arr_member(b, "domain", domain_of(e->from));
            buf_addc(b, '}');
        }
        if (to) {
            buf_adds(b, ",\"to\":{\"address\":[\"");
            esc_json(b, e->to.p, e->to.n);
            buf_adds(b, "\"]");
            arr_member(b, "domain", domain_of(e->to));
            buf_addc(b, '}');
        }
        buf_addc(b, '}');
    }
    tls_members(b, e);
    int rip = is_ip(e->client_ip), dip = is_ip(e->relay_ip);
    if (rip || dip || e->sasl_user.n) {
        buf_adds(b, ",\"related\":{");
        if (rip || dip) {
            buf_adds(b, "\"ip\":[");
            if (rip) {
                buf_addc(b, '"');
                esc_json(b, e->client_ip.p, e->client_ip.n);
                buf_addc(b, '"');
            }
            if (dip) {
                buf_adds(b, rip ? ",\"" : "\"");
                esc_json(b, e->relay_ip.p, e->relay_ip.n);
                buf_addc(b, '"');
            }
            buf_addc(b, ']');
        }
        if (e->sasl_user.n) {
            buf_adds(b, rip || dip ? ",\"user\":[\"" : "\"user\":[\"");
            esc_json(b, e->sasl_user.p, e->sasl_user.n);
            buf_adds(b, "\"]");
        }
        buf_addc(b, '}');
    }
    buf_adds(b, ",\"log\":{\"file\":{\"path\":\"");
    esc_json(b, src, strlen(src));
    buf_addf(b, "\"},\"offset\":%llu}", (unsigned long long)e->ev.offset);
    /* what ECS has no field for, under the tool's own name */
    buf_addf(b, ",\"mailsleuth\":{\"kind\":\"%s\",\"line\":%llu,\"evidence\":\"",
             msl_kind_name(e->kind), (unsigned long long)e->ev.line);
    esc_json(b, src, strlen(src));
    buf_addf(b, ":%llu\"", (unsigned long long)e->ev.line);
    if (e->status != MSL_ST_NONE)
        buf_addf(b, ",\"status\":\"%s\"", msl_status_name(e->status));
    str_member(b, "orig_to", e->orig_to);
    str_member(b, "helo", e->helo);
    str_member(b, "reply", e->text);
    if (e->size >= 0)
        buf_addf(b, ",\"size\":%lld", (long long)e->size);
    buf_adds(b, "}}\n");
}

/* CIM Email action of a delivery or reject (delivered, blocked, quarantined, deleted); a
 * deferral has none (the data model has no value for it: recipient_status says it). */
static const char *cim_action(const struct msl_event *e)
{
    if (e->kind == MSL_EV_REJECT) {
        switch (e->action) {
        case MSL_ACT_REJECT:
        case MSL_ACT_MILTER_REJECT:
        case MSL_ACT_PROXY_REJECT: return "blocked";
        case MSL_ACT_HOLD: return "quarantined";
        case MSL_ACT_DISCARD: return "deleted";
        default: return NULL; /* a warning, a filter, a header change: nothing blocked */
        }
    }
    if (e->kind != MSL_EV_DELIVERY)
        return NULL;
    switch (e->status) {
    case MSL_ST_SENT:
    case MSL_ST_FORWARDED: return "delivered";
    case MSL_ST_BOUNCED:
    case MSL_ST_EXPIRED:
    case MSL_ST_UNDELIVERABLE: return "blocked";
    case MSL_ST_DISCARDED: return "deleted";
    case MSL_ST_HELD: return "quarantined";
    default: return NULL;
    }
}

void event_hec(struct buf *b, const struct msl_event *e, const char *src)
{
    buf_addf(b, "{\"time\":%lld.%06lld", (long long)(e->ts / 1000000),
             (long long)((e->ts % 1000000 + 1000000) % 1000000));
    if (e->host.n)
        esc_json_member(b, "host", e->host.p, e->host.n);
    esc_json_member(b, "source", src, strlen(src));
    buf_addf(b, ",\"sourcetype\":\"mailsleuth:event\",\"event\":{\"kind\":\"%s\","
                "\"protocol\":\"smtp\"", msl_kind_name(e->kind));
    const char *act = cim_action(e); /* only the data model's own values */
    if (act)
        buf_addf(b, ",\"action\":\"%s\"", act);
    str_member(b, "vendor_product", e->mta);
    str_member(b, "src", e->client_ip);
    str_member(b, "src_host", e->client_host);
    str_member(b, "src_user", e->from);
    str_member(b, "src_user_domain", domain_of(e->from));
    str_member(b, "recipient", e->to);
    str_member(b, "recipient_domain", domain_of(e->to));
    str_member(b, "orig_recipient", e->orig_to);
    str_member(b, "message_id", e->msgid);
    str_member(b, "internal_message_id", e->qid);
    str_member(b, "dest", e->relay_host);
    str_member(b, "dest_ip", e->relay_ip);
    str_member(b, "user", e->sasl_user);
    str_member(b, "status_code", e->dsn);
    str_member(b, "reply", e->text);
    str_member(b, "process", e->program);
    if (e->pid >= 0)
        buf_addf(b, ",\"process_id\":%lld", (long long)e->pid);
    if (e->size >= 0)
        buf_addf(b, ",\"size\":%lld", (long long)e->size);
    if (e->delay >= 0)
        buf_addf(b, ",\"delay\":%.3f", e->delay);
    if (e->status != MSL_ST_NONE)
        buf_addf(b, ",\"recipient_status\":\"%s\"", msl_status_name(e->status));
    buf_addf(b, ",\"evidence\":\"");
    esc_json(b, src, strlen(src));
    buf_addf(b, ":%llu\",\"offset\":%llu", (unsigned long long)e->ev.line,
             (unsigned long long)e->ev.offset);
    if (e->raw.n)
        esc_json_member(b, "original", e->raw.p, e->raw.n);
    buf_adds(b, "}}\n");
}
