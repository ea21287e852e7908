/*
 * event_kv.c - the fixed-order key=value rendering of an event (see event_kv.h).
 *
 * Order: kind, the message fields (queue id first), the client, the delivery, the verdict,
 * then the envelope (ts, host, program, pid) last so that diffs of golden files line up on
 * what the dialect produced.  Numbers are written only when not -1; doubles with %g.
 */
#include <stdio.h>
#include <string.h>

#include "mailsleuth/envelope.h"
#include "model/event_kv.h"
#include "mailsleuth/calendar.h"
#include "util/esc.h"

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void key(struct out *o, const char *k)
{
    if (o->len)
        put(o, " ", 1);
    puts_(o, k);
    put(o, "=", 1);
}

/* Bytes of a safe UTF-8 sequence at p (1 for plain ASCII), or 0 for bytes a terminal must
 * not see raw: invalid UTF-8 and C1 controls (U+0080..U+009F, e.g. CSI). */
static size_t safe_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = utf8_seq_len(p, n);
    if ((len == 2 && p[0] == 0xc2 && p[1] < 0xa0) || (len && utf8_hidden_cp(p, len)))
        return 0;
    return len;
}

static int needs_quotes(const char *p, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f)
            return 1;
        if (c >= 0x80) {
            size_t k = safe_seq((const unsigned char *)p + i, n - i);
            if (!k)
                return 1;
            i += k - 1;
        }
    }
    return 0;
}

static void value(struct out *o, const char *p, size_t n)
{
    if (!needs_quotes(p, n)) {
        put(o, p, n);
        return;
    }
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[5];
        switch (c) {
        case '"':
            put(o, "\\\"", 2);
            break;
        case '\\':
            put(o, "\\\\", 2);
            break;
        case '\n':
            put(o, "\\n", 2);
            break;
        case '\r':
            put(o, "\\r", 2);
            break;
        case '\t':
            put(o, "\\t", 2);
            break;
        default:
            if (c >= 0x80) {
                const unsigned char *u = (const unsigned char *)p + i;
                size_t k = safe_seq(u, n - i), len = utf8_seq_len(u, n - i);
                if (k) {
                    put(o, p + i, k);
                    i += k - 1;
                    break;
                }
                unsigned cp = len ? utf8_hidden_cp(u, len) : 0;
                if (cp) { /* shown, not obeyed, as everywhere else */
                    char ue[16];
                    int w = snprintf(ue, sizeof ue, "\\u%04x", cp & 0xffffu);
                    put(o, ue, w > 0 ? (size_t)w : 0);
                    i += len - 1;
                    break;
                }
            }
            if (c < ' ' || c >= 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", c);
                put(o, esc, 4);
            } else {
                put(o, (const char *)&p[i], 1);
            }
        }
    }
    put(o, "\"", 1);
}

static void kv_str(struct out *o, const char *k, struct msl_str s)
{
    if (!s.p)
        return;
    key(o, k);
    value(o, s.p, s.n);
}

static void kv_int(struct out *o, const char *k, long long v)
{
    char tmp[32];
    if (v == -1)
        return;
    key(o, k);
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    put(o, tmp, (size_t)n);
}

static void kv_dbl(struct out *o, const char *k, double v)
{
    char tmp[40];
    if (v < 0)
        return;
    key(o, k);
    int n = snprintf(tmp, sizeof tmp, "%g", v);
    put(o, tmp, (size_t)n);
}

static void kv_time(struct out *o, const char *k, long long us)
{
    char tmp[48];
    long long s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    long long frac = us - s * 1000000;
    long long days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    long long sod = s - days * 86400;
    int y, m, d;
    msl_civil_from_days(days, &y, &m, &d);
    key(o, k);
    int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02lld:%02lld:%02lld.%06lldZ", y, m, d,
                     sod / 3600, sod / 60 % 60, sod % 60, frac);
    put(o, tmp, (size_t)n);
}

int msl_event_format_kv(const struct msl_event *e, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0};
    key(&o, "kind");
    puts_(&o, msl_kind_name(e->kind));
    kv_str(&o, "qid", e->qid);
    if (e->qid_time)
        kv_time(&o, "qid_time", e->qid_time);
    kv_str(&o, "new_qid", e->new_qid);
    kv_str(&o, "msgid", e->msgid);
    kv_str(&o, "from", e->from);
    kv_str(&o, "to", e->to);
    kv_str(&o, "orig_to", e->orig_to);
    kv_int(&o, "size", e->size);
    kv_int(&o, "nrcpt", e->nrcpt);
    kv_str(&o, "uid", e->uid);
    kv_str(&o, "client_host", e->client_host);
    kv_str(&o, "client_ip", e->client_ip);
    kv_int(&o, "client_port", e->client_port);
    kv_str(&o, "helo", e->helo);
    kv_str(&o, "proto", e->proto);
    kv_str(&o, "sasl_method", e->sasl_method);
    kv_str(&o, "sasl_user", e->sasl_user);
    kv_str(&o, "relay_host", e->relay_host);
    kv_str(&o, "relay_ip", e->relay_ip);
    kv_int(&o, "relay_port", e->relay_port);
    kv_str(&o, "dsn", e->dsn);
    if (e->status != MSL_ST_NONE) {
        key(&o, "status");
        puts_(&o, msl_status_name(e->status));
    }
    kv_dbl(&o, "delay", e->delay);
    if (e->delays[0] >= 0 || e->delays[1] >= 0 || e->delays[2] >= 0 || e->delays[3] >= 0) {
        char tmp[128];
        int n = snprintf(tmp, sizeof tmp, "%g/%g/%g/%g", e->delays[0], e->delays[1],
                         e->delays[2], e->delays[3]);
        key(&o, "delays");
        put(&o, tmp, (size_t)n);
    }
    kv_str(&o, "tls", e->tls);
    kv_str(&o, "tls_cipher", e->tls_cipher);
    if (e->action != MSL_ACT_NONE) {
        key(&o, "action");
        puts_(&o, msl_action_name(e->action));
    }
    kv_str(&o, "stage", e->stage);
    kv_str(&o, "code", e->code);
    kv_str(&o, "text", e->text);
    if (e->severity != MSL_SEV_INFO) {
        key(&o, "severity");
        puts_(&o, msl_severity_name(e->severity));
    }
    kv_str(&o, "detail", e->detail);
    kv_int(&o, "count", e->count);
    if (e->flags & MSL_EVF_NOQUEUE) {
        key(&o, "noqueue");
        put(&o, "1", 1);
    }
    if (e->flags & MSL_EVF_LOCAL) {
        key(&o, "local");
        put(&o, "1", 1);
    }
    if (e->repeat > 1)
        kv_int(&o, "repeat", e->repeat);
    if (e->ts)
        kv_time(&o, "ts", e->ts);
    kv_str(&o, "host", e->host);
    kv_str(&o, "program", e->program);
    kv_int(&o, "pid", e->pid);
    kv_str(&o, "service", e->service);
    if (cap > 0)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return (int)o.len;
}
