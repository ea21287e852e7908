/*
 * event_out.c - see event_out.h.  Field lists come from the event field table
 * (model/event_fields.h), so nothing here names individual message fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "model/event_fields.h"
#include "model/event_kv.h"
#include "report/event_out.h"
#include "report/localtime.h"
#include "util/esc.h"

void event_fmt_time(struct buf *b, const struct msl_tz *tz, long long us)
{
    long long sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    long frac = (long)(us - sec * 1000000);
    struct msl_civil c;
    long off = 0;
    if (tz)
        msl_local_civil(tz, sec, &c, &off);
    else
        msl_split_time(sec, &c);
    buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", c.year, c.mon, c.mday, c.hour, c.min,
             c.sec, frac);
    if (!tz) {
        buf_addc(b, 'Z');
        return;
    }
    long a = off < 0 ? -off : off;
    buf_addf(b, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

void event_message(struct buf *b, const struct msl_event *e)
{
    /* the kv writer without the envelope fields, which outputs show in their own columns */
    struct msl_event m = *e;
    m.ts = 0;
    m.host = m.program = m.service = MSL_STR_NULL;
    m.pid = -1;
    char small[2048];
    int n = msl_event_format_kv(&m, small, sizeof small);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    size_t need = (size_t)n + 1;
    char *big = malloc(need);
    if (big) {
        msl_event_format_kv(&m, big, need);
        buf_add(b, big, (size_t)n);
        free(big);
    } else {
        buf_add(b, small, sizeof small - 1);
    }
}

static void jkv_str(struct buf *b, const char *k, const char *p, size_t n)
{
    esc_json_member(b, k, p, n);
}

void event_json(struct buf *b, const struct msl_event *e, const char *srcname,
                const struct msl_tz *tz)
{
    buf_adds(b, "{\"datetime\":\"");
    event_fmt_time(b, NULL, e->ts);
    buf_adds(b, "\",\"timestamp_desc\":\"Log Time\",\"message\":\"");
    struct buf msg;
    buf_init(&msg, 1 << 20);
    event_message(&msg, e);
    esc_json(b, msg.p ? msg.p : "", msg.n);
    buf_free(&msg);
    buf_addf(b, "\",\"timestamp\":%lld", (long long)e->ts);
    if (tz) {
        buf_adds(b, ",\"local_time\":\"");
        event_fmt_time(b, tz, e->ts);
        buf_addc(b, '"');
    }
    buf_addf(b, ",\"kind\":\"%s\"", msl_kind_name(e->kind));
    jkv_str(b, "host", e->host.p ? e->host.p : "", e->host.n);
    jkv_str(b, "mta", e->mta.p ? e->mta.p : "", e->mta.n);
    jkv_str(b, "program", e->program.p ? e->program.p : "", e->program.n);
    if (e->pid >= 0)
        buf_addf(b, ",\"pid\":%lld", (long long)e->pid);
    for (size_t i = 0; i < msl_event_nfields; i++) {
        const struct msl_field *f = &msl_event_fields[i];
        if (!msl_field_present(e, f))
            continue;
        const char *base = (const char *)e + f->off;
        switch (f->type) {
        case MSL_FT_STR: {
            const struct msl_str *s = (const struct msl_str *)base;
            jkv_str(b, f->name, s->p, s->n);
            break;
        }
        case MSL_FT_I64: buf_addf(b, ",\"%s\":%lld", f->name, (long long)*(const int64_t *)base); break;
        case MSL_FT_I32: buf_addf(b, ",\"%s\":%d", f->name, (int)*(const int32_t *)base); break;
        case MSL_FT_DBL: buf_addf(b, ",\"%s\":%.3f", f->name, *(const double *)base); break;
        case MSL_FT_DELAYS: {
            const double *d = (const double *)base;
            buf_addf(b, ",\"%s\":[%.3g,%.3g,%.3g,%.3g]", f->name, d[0], d[1], d[2], d[3]);
            break;
        }
        case MSL_FT_STATUS:
            buf_addf(b, ",\"%s\":\"%s\"", f->name, msl_status_name(*(const enum msl_status *)base));
            break;
        case MSL_FT_ACTION:
            buf_addf(b, ",\"%s\":\"%s\"", f->name, msl_action_name(*(const enum msl_action *)base));
            break;
        case MSL_FT_SEVERITY:
            buf_addf(b, ",\"%s\":\"%s\"", f->name,
                     msl_severity_name(*(const enum msl_severity *)base));
            break;
        case MSL_FT_TIME:
            buf_addf(b, ",\"%s\":\"", f->name);
            event_fmt_time(b, NULL, *(const int64_t *)base);
            buf_addc(b, '"');
            break;
        }
    }
    if (e->repeat > 1)
        buf_addf(b, ",\"repeat\":%u", e->repeat);
    if (e->flags & MSL_EVF_LOCAL_TIME)
        buf_adds(b, ",\"zone_assumed\":true");
    if (e->flags & MSL_EVF_YEAR_GUESS)
        buf_adds(b, ",\"year_inferred\":true");
    if (e->flags & MSL_EVF_TRUNCATED)
        buf_adds(b, ",\"line_truncated\":true");
    if (e->flags & MSL_EVF_LOCAL)
        buf_adds(b, ",\"local_delivery\":true");
    const char *sn = srcname ? srcname : "?";
    buf_adds(b, ",\"evidence\":\"");
    esc_json(b, sn, strlen(sn));
    buf_addf(b, ":%llu\"", (unsigned long long)e->ev.line);
    jkv_str(b, "source_file", sn, strlen(sn));
    buf_addf(b, ",\"source_line\":%llu,\"source_offset\":%llu}", (unsigned long long)e->ev.line,
             (unsigned long long)e->ev.offset);
}
