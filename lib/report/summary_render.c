/*
 * summary_render.c - writes the summary as text (for people) or JSON (schema in
 * doc/OUTPUT-JSON.md).  Both walk the same table of sections, so a section added here
 * appears in both outputs.  All log content goes through esc_text / esc_json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/palette.h"
#include "mailsleuth/report.h"
#include "report/localtime.h"
#include "report/provenance.h"
#include "report/summary_int.h"
#include "util/esc.h"

enum shape {
    SH_COUNT,       /* count + key parts */
    SH_COUNT_BYTES, /* count, bytes + key */
    SH_DELIVERY     /* sent, bytes, defers, avg delay, max delay + key */
};

struct section {
    const char *id;    /* JSON key */
    const char *title; /* text heading */
    size_t map_off;    /* offsetof(struct msl_summary, map) */
    enum shape shape;
    int by_bytes;          /* sort by bytes instead of count */
    const char *parts[4];  /* names of the key parts (JSON keys / text columns) */
};

#define MAP(f) offsetof(struct msl_summary, f)

static const struct section sections[] = {
    {"delivery_domains", "Host/Domain Summary: Message Delivery", MAP(delivery_domains),
     SH_DELIVERY, 0, {"domain"}},
    {"receipt_domains", "Host/Domain Summary: Messages Received", MAP(sender_domains),
     SH_COUNT_BYTES, 0, {"domain"}},
    {"senders_by_count", "Senders by message count", MAP(senders), SH_COUNT, 0, {"sender"}},
    {"recipients_by_count", "Recipients by message count", MAP(recipients), SH_COUNT, 0,
     {"recipient"}},
    {"senders_by_size", "Senders by message size", MAP(senders), SH_COUNT_BYTES, 1, {"sender"}},
    {"recipients_by_size", "Recipients by message size", MAP(recipients), SH_COUNT_BYTES, 1,
     {"recipient"}},
    {"deferrals", "Message deferral detail", MAP(deferral_reasons), SH_COUNT, 0,
     {"daemon", "reason"}},
    {"bounces", "Message bounce detail (bounced and expired)", MAP(bounce_reasons), SH_COUNT, 0,
     {"relay", "reason"}},
    {"rejects", "Message reject detail (reject, reject_warning, hold, discard)", MAP(rejects),
     SH_COUNT, 0, {"action", "stage", "reason", "item"}},
    {"sasl_failures_by_client", "SASL authentication failures by client", MAP(sasl_clients),
     SH_COUNT, 0, {"client", "method"}},
    {"sasl_failures_by_user", "SASL authentication failures by user", MAP(sasl_users), SH_COUNT,
     0, {"user"}},
    {"delivery_failures", "SMTP delivery failures (connection level)", MAP(conn_failures),
     SH_COUNT, 0, {"reason"}},
    {"warnings", "Warnings", MAP(warnings), SH_COUNT, 0, {"daemon", "text"}},
    {"errors", "Errors, fatal errors and panics", MAP(errors), SH_COUNT, 0,
     {"severity", "daemon", "text"}},
    {"daemon_messages", "Master and daemon messages", MAP(daemon_msgs), SH_COUNT, 0,
     {"daemon", "text"}},
};

static struct strmap *section_map(const struct msl_summary *s, const struct section *sec)
{
    return *(struct strmap *const *)((const char *)s + sec->map_off);
}

static int cmp_count(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    const struct agg *p = x->val, *q = y->val;
    if (p->count != q->count)
        return p->count < q->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int cmp_bytes(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    const struct agg *p = x->val, *q = y->val;
    if (p->bytes != q->bytes)
        return p->bytes < q->bytes ? 1 : -1;
    return cmp_count(a, b);
}

/* Splits a composite key into up to 4 views. */
static int split_key(const struct strmap_entry *e, struct msl_str out[4])
{
    int k = 0;
    const char *p = e->key, *end = e->key + e->klen;
    while (k < 4) {
        const char *q = memchr(p, SEP, (size_t)(end - p));
        out[k++] = (struct msl_str){p, (size_t)((q ? q : end) - p)};
        if (!q)
            break;
        p = q + 1;
    }
    return k;
}

static void fmt_time(struct buf *b, const struct msl_tz *tz, long long us)
{
    struct msl_civil c;
    long off;
    msl_local_civil(tz, us / 1000000, &c, &off);
    long a = off < 0 ? -off : off;
    buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", c.year, c.mon, c.mday, c.hour,
             c.min, c.sec, off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

static void flush(struct buf *b, FILE *out)
{
    if (b->n)
        fwrite(b->p, 1, b->n, out);
    buf_reset(b);
}

static size_t ndays(const struct msl_summary *s)
{
    return strmap_len(s->days);
}

/* --- text ----------------------------------------------------------------------------- */

static void text_num(struct buf *b, long long v, const char *label)
{
    buf_addf(b, "  %10lld  %s\n", v, label);
}

static void text_bytes(struct buf *b, long long v, const char *label)
{
    const char *unit = "";
    double d = (double)v;
    if (v >= 1024LL * 1024 * 1024) {
        d /= 1024.0 * 1024 * 1024;
        unit = "g";
    } else if (v >= 1024 * 1024) {
        d /= 1024.0 * 1024;
        unit = "m";
    } else if (v >= 1024) {
        d /= 1024.0;
        unit = "k";
    }
    if (*unit)
        buf_addf(b, "  %9.1f%s  %s (%lld bytes)\n", d, unit, label, v);
    else
        buf_addf(b, "  %10lld  %s\n", v, label);
}

static void heading(struct buf *b, const struct msl_summary *s, const char *title)
{
    size_t n = strlen(title);
    buf_addf(b, "\n%s%s%s\n", msl_hue_on(s->opts.palette, MSL_HUE_HEADING), title,
             msl_hue_off(s->opts.palette, MSL_HUE_HEADING));
    for (size_t i = 0; i < n; i++)
        buf_addc(b, '-');
    buf_addc(b, '\n');
}

static void text_section(struct buf *b, const struct msl_summary *s, const struct section *sec,
                         int top)
{
    struct strmap *m = section_map(s, sec);
    size_t n;
    const struct strmap_entry **arr = strmap_sorted(m, sec->by_bytes ? cmp_bytes : cmp_count, &n);
    heading(b, s, sec->title);
    if (n == 0) {
        buf_adds(b, "  none\n");
        free(arr);
        return;
    }
    size_t shown = top > 0 && (size_t)top < n ? (size_t)top : n;
    if (sec->shape == SH_DELIVERY)
        buf_adds(b, "      sent       bytes   defers  avg dly  max dly  domain\n");
    for (size_t i = 0; i < shown; i++) {
        const struct agg *a = arr[i]->val;
        struct msl_str parts[4];
        int k = split_key(arr[i], parts);
        switch (sec->shape) {
        case SH_COUNT: buf_addf(b, "  %8lld  ", a->count); break;
        case SH_COUNT_BYTES: buf_addf(b, "  %8lld %11lld  ", a->count, a->bytes); break;
        case SH_DELIVERY:
            buf_addf(b, "  %8lld %11lld %8lld %7.1fs %7.1fs  ", a->count, a->bytes, a->defers,
                     a->count ? a->delay_sum / (double)a->count : 0.0, a->delay_max);
            break;
        }
        for (int j = 0; j < k; j++) {
            if (j)
                buf_adds(b, k > 2 ? " | " : "  ");
            if (parts[j].n == 0 && (sec->parts[j] && (!strcmp(sec->parts[j], "sender"))))
                buf_adds(b, "<>");
            else
                esc_text(b, parts[j].p, parts[j].n);
        }
        buf_addc(b, '\n');
    }
    if (shown < n)
        buf_addf(b, "  ... %zu more (use --top 0 for all)\n", n - shown);
    free(arr);
}

static void text_traffic_row(struct buf *b, const char *label, const struct traffic *t, double div)
{
    if (div <= 1.0)
        buf_addf(b, "  %-12s %9lld %9lld %9lld %9lld %9lld\n", label, t->received, t->delivered,
                 t->deferred, t->bounced, t->rejected);
    else
        buf_addf(b, "  %-12s %9.1f %9.1f %9.1f %9.1f %9.1f\n", label, (double)t->received / div,
                 (double)t->delivered / div, (double)t->deferred / div, (double)t->bounced / div,
                 (double)t->rejected / div);
}

static int cmp_keys(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    return strcmp(x->key, y->key);
}

static void text_inputs(struct buf *b, const struct msl_summary *s, const struct msl_run *run)
{
    buf_addf(b, "mailsleuth %s summary\n", MSL_VERSION);
    buf_addf(b, "Zone:      %s (zone-less timestamps are read in this zone; times shown in it)\n",
             msl_tz_name(s->opts.tz));
    if (s->all.first_ts) {
        buf_adds(b, "Time span: ");
        fmt_time(b, s->opts.tz, s->all.first_ts);
        buf_adds(b, " .. ");
        fmt_time(b, s->opts.tz, s->all.last_ts);
        buf_addc(b, '\n');
    } else {
        buf_adds(b, "Time span: no events\n");
    }
    buf_addf(b, "Inputs:    %u source%s, %llu lines, %llu events, %llu lines not understood",
             run->totals.sources, run->totals.sources == 1 ? "" : "s",
             (unsigned long long)run->totals.lines, (unsigned long long)run->events,
             (unsigned long long)run->unparsed);
    if (run->duplicates)
        buf_addf(b, ", %llu already read from another input (mail.warn/mail.err, rejectlog)",
                 (unsigned long long)run->duplicates);
    if (run->totals.errors)
        buf_addf(b, ", %u input error%s", run->totals.errors, run->totals.errors == 1 ? "" : "s");
    /* damaged lines are read (NULs escaped, the rest past the limit skipped): say how many */
    unsigned long long nul = 0, cut = 0;
    for (size_t i = 0; i < run->nsources; i++) {
        nul += run->sources[i].stats.nul_lines;
        cut += run->sources[i].stats.truncated_lines;
    }
    if (nul)
        buf_addf(b, ", %llu line%s with NUL bytes", nul, nul == 1 ? "" : "s");
    if (cut)
        buf_addf(b, ", %llu line%s cut at %u KiB", cut, cut == 1 ? "" : "s", MSL_MAX_LINE / 1024);
    buf_addc(b, '\n');
}

static void text_servers(struct buf *b, const struct msl_summary *s)
{
    size_t n;
    const struct strmap_entry **arr = strmap_sorted(s->hosts, cmp_keys, &n);
    if (n > 1) {
        heading(b, s, "Per-Server Summary");
        buf_adds(b, "  received delivered  deferred   bounced  rejected  sasl-fail  server\n");
        for (size_t i = 0; i < n; i++) {
            const struct counters *c = arr[i]->val;
            buf_addf(b, "  %8lld %9lld %9lld %9lld %9lld %10lld  ", c->received, c->delivered,
                     c->deferred, c->bounced, c->rejected, c->sasl_failures);
            if (arr[i]->klen)
                esc_text(b, arr[i]->key, arr[i]->klen);
            else
                buf_adds(b, "(no host in log)");
            buf_addc(b, '\n');
        }
    }
    free(arr);
}

static void text_traffic(struct buf *b, const struct msl_summary *s)
{
    size_t n;
    const struct strmap_entry **arr = strmap_sorted(s->days, cmp_keys, &n);
    if (n > 1) {
        heading(b, s, "Per-Day Traffic Summary");
        buf_adds(b, "  date          received delivered  deferred   bounced  rejected\n");
        for (size_t i = 0; i < n; i++)
            text_traffic_row(b, arr[i]->key, arr[i]->val, 1.0);
    }
    free(arr);
    heading(b, s, n > 1 ? "Per-Hour Traffic Daily Average" : "Per-Hour Traffic Summary");
    buf_adds(b, "  time          received delivered  deferred   bounced  rejected\n");
    for (int h = 0; h < 24; h++) {
        char label[16];
        snprintf(label, sizeof label, "%02d00-%02d00", h, (h + 1) % 24);
        text_traffic_row(b, label, &s->hours[h], n > 1 ? (double)n : 1.0);
    }
}

int msl_summary_write_text(struct msl_summary *s, const struct msl_run *run, FILE *out)
{
    if (s->oom) /* a table missed a value: totals that look complete would not be */
        return MSL_ENOMEM;
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    const struct counters *c = &s->all;
    struct msl_totals t;
    msl_summary_totals(s, &t);
    text_inputs(&b, s, run);

    heading(&b, s, "Grand Totals");
    buf_adds(&b, "messages\n");
    text_num(&b, c->received, "received");
    text_num(&b, c->delivered, "delivered");
    text_num(&b, c->forwarded, "forwarded");
    buf_addf(&b, "  %10lld  deferred  (%lld deferrals)\n", c->deferred, c->deferrals);
    text_num(&b, c->bounced, "bounced");
    text_num(&b, c->expired, "expired (returned to sender after the queue lifetime)");
    long long denom = c->delivered + c->rejected + c->discarded;
    buf_addf(&b, "  %10lld  rejected (%lld%%)\n", c->rejected,
             denom ? c->rejected * 100 / denom : 0);
    text_num(&b, c->reject_warnings, "reject warnings");
    text_num(&b, c->held, "held");
    buf_addf(&b, "  %10lld  discarded (%lld%%)\n", c->discarded,
             denom ? c->discarded * 100 / denom : 0);
    text_num(&b, c->filtered, "content-filter hand-offs (not counted as delivered)");
    buf_adds(&b, "\nrecipients by outcome (the last word on each recipient of each message)\n");
    for (int o = 1; o < MSL_OUT__COUNT; o++)
        if (c->outcomes[o])
            text_num(&b, c->outcomes[o], msl_outcome_name((enum msl_outcome)o));
    if (c->outcomes[MSL_OUT_NONE])
        text_num(&b, c->outcomes[MSL_OUT_NONE], "no outcome logged");
    buf_addc(&b, '\n');
    text_bytes(&b, c->bytes_received, "bytes received");
    text_bytes(&b, c->bytes_delivered, "bytes delivered");
    text_num(&b, t.senders, "senders");
    text_num(&b, t.sending_domains, "sending hosts/domains");
    text_num(&b, t.recipients, "recipients");
    text_num(&b, t.recipient_domains, "recipient hosts/domains");
    buf_addc(&b, '\n');
    text_num(&b, c->connections, "inbound SMTP connections");
    text_num(&b, c->sasl_failures, "SASL authentication failures");
    text_num(&b, c->warnings, "warnings");
    text_num(&b, c->errors + c->fatals + c->panics, "errors, fatal errors and panics");
    flush(&b, out);

    text_servers(&b, s);
    text_traffic(&b, s);
    flush(&b, out);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        text_section(&b, s, &sections[i], s->opts.top);
        flush(&b, out);
    }
    heading(&b, s, "Messages with no size data");
    if (s->nosize_count == 0) {
        buf_adds(&b, "  none\n");
    } else {
        buf_addf(&b, "  %lld deliveries of messages whose size was not in the logs; first ones:\n",
                 s->nosize_count);
        const char *p = s->nosize.p, *end = p + s->nosize.n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *sep = memchr(p, SEP, (size_t)(nl - p));
            buf_adds(&b, "  ");
            esc_text(&b, p, (size_t)(sep - p));
            buf_adds(&b, "  ");
            esc_text(&b, sep + 1, (size_t)(nl - sep - 1));
            buf_addc(&b, '\n');
            p = nl + 1;
        }
    }
    heading(&b, s, "Lines not understood (by reason)");
    if (run->nreasons == 0)
        buf_adds(&b, "  none\n");
    for (size_t i = 0; i < run->nreasons && (s->opts.top <= 0 || i < (size_t)s->opts.top); i++) {
        buf_addf(&b, "  %8llu  ", (unsigned long long)run->reasons[i].count);
        esc_text(&b, run->reasons[i].why, strlen(run->reasons[i].why));
        buf_addc(&b, '\n');
    }
    flush(&b, out);
    int err = b.err;
    buf_free(&b);
    return err ? err : (ferror(out) ? MSL_EIO : MSL_OK);
}

/* --- JSON ----------------------------------------------------------------------------- */

static void jstr(struct buf *b, const char *p, size_t n)
{
    buf_addc(b, '"');
    esc_json(b, p, n);
    buf_addc(b, '"');
}

static void jkey(struct buf *b, const char *k)
{
    buf_addc(b, '"');
    buf_adds(b, k);
    buf_adds(b, "\":");
}

static void jtime(struct buf *b, const struct msl_tz *tz, long long us)
{
    if (!us) {
        buf_adds(b, "null");
        return;
    }
    buf_addc(b, '"');
    fmt_time(b, tz, us);
    buf_addc(b, '"');
}

static void json_counters(struct buf *b, const struct counters *c)
{
    buf_addf(b,
             "\"received\":%lld,\"delivered\":%lld,\"forwarded\":%lld,\"deferred\":%lld,"
             "\"deferrals\":%lld,\"bounced\":%lld,\"expired\":%lld,\"rejected\":%lld,"
             "\"reject_warnings\":%lld,\"held\":%lld,\"discarded\":%lld,"
             "\"filter_handoffs\":%lld,\"bytes_received\":%lld,\"bytes_delivered\":%lld,"
             "\"sasl_failures\":%lld,\"connections\":%lld,\"warnings\":%lld,\"errors\":%lld,"
             "\"fatals\":%lld,\"panics\":%lld,\"events\":%lld",
             c->received, c->delivered, c->forwarded, c->deferred, c->deferrals, c->bounced,
             c->expired, c->rejected, c->reject_warnings, c->held, c->discarded, c->filtered,
             c->bytes_received, c->bytes_delivered, c->sasl_failures, c->connections,
             c->warnings, c->errors, c->fatals, c->panics, c->events);
    /* what finally happened to each recipient of each message (doc/CORRELATION.md) */
    buf_adds(b, ",\"recipients_by_outcome\":{");
    for (int o = 1; o < MSL_OUT__COUNT; o++)
        buf_addf(b, "%s\"%s\":%lld", o > 1 ? "," : "", msl_outcome_name((enum msl_outcome)o),
                 c->outcomes[o]);
    buf_addf(b, ",\"none\":%lld}", c->outcomes[MSL_OUT_NONE]);
}

static void json_traffic(struct buf *b, const struct traffic *t)
{
    buf_addf(b, "\"received\":%lld,\"delivered\":%lld,\"deferred\":%lld,\"bounced\":%lld,"
                "\"rejected\":%lld",
             t->received, t->delivered, t->deferred, t->bounced, t->rejected);
}

static void json_section(struct buf *b, const struct msl_summary *s, const struct section *sec,
                         int top)
{
    size_t n;
    const struct strmap_entry **arr =
        strmap_sorted(section_map(s, sec), sec->by_bytes ? cmp_bytes : cmp_count, &n);
    size_t shown = top > 0 && (size_t)top < n ? (size_t)top : n;
    jkey(b, sec->id);
    buf_addf(b, "{\"total_rows\":%zu,\"rows\":[", n);
    for (size_t i = 0; i < shown; i++) {
        const struct agg *a = arr[i]->val;
        struct msl_str parts[4];
        int k = split_key(arr[i], parts);
        buf_adds(b, i ? ",{" : "{");
        for (int j = 0; j < k && sec->parts[j]; j++) {
            jkey(b, sec->parts[j]);
            jstr(b, parts[j].p, parts[j].n);
            buf_addc(b, ',');
        }
        buf_addf(b, "\"count\":%lld", a->count);
        if (sec->shape != SH_COUNT)
            buf_addf(b, ",\"bytes\":%lld", a->bytes);
        if (sec->shape == SH_DELIVERY)
            buf_addf(b, ",\"defers\":%lld,\"avg_delay\":%.3f,\"max_delay\":%.3f", a->defers,
                     a->count ? a->delay_sum / (double)a->count : 0.0, a->delay_max);
        buf_addc(b, '}');
    }
    buf_adds(b, "]}");
    free(arr);
}

int msl_summary_write_json(struct msl_summary *s, const struct msl_run *run, FILE *out)
{
    if (s->oom) /* a table missed a value: totals that look complete would not be */
        return MSL_ENOMEM;
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    struct msl_totals t;
    msl_summary_totals(s, &t);
    buf_addf(&b, "{\"schema\":%d,\"tool\":\"mailsleuth\",\"version\":\"%s\",\"zone\":",
             MSL_SUMMARY_SCHEMA, MSL_VERSION);
    const char *zn = msl_tz_name(s->opts.tz);
    jstr(&b, zn, strlen(zn));
    buf_adds(&b, ",\"span\":{\"first\":");
    jtime(&b, s->opts.tz, s->all.first_ts);
    buf_adds(&b, ",\"last\":");
    jtime(&b, s->opts.tz, s->all.last_ts);
    buf_addf(&b, "},\"inputs\":{\"lines\":%llu,\"bytes\":%llu,\"events\":%llu,\"unparsed\":%llu,"
                 "\"filtered\":%llu,\"duplicates\":%llu,\"errors\":%u,\"warnings\":%u,"
                 "\"sources\":[",
             (unsigned long long)run->totals.lines, (unsigned long long)run->totals.bytes,
             (unsigned long long)run->events, (unsigned long long)run->unparsed,
             (unsigned long long)run->filtered, (unsigned long long)run->duplicates,
             run->totals.errors, run->totals.warnings);
    for (size_t i = 0; i < run->nsources; i++) {
        const struct msl_run_source *rs = &run->sources[i];
        buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
        jstr(&b, rs->name ? rs->name : "", rs->name ? strlen(rs->name) : 0);
        buf_addf(&b, ",\"format\":\"%s\",\"compression\":\"%s\",\"lines\":%llu,"
                     "\"bytes\":%llu,\"first\":",
                 rs->format ? rs->format : "", msl_compression_name(rs->compression),
                 (unsigned long long)rs->stats.lines, (unsigned long long)rs->stats.bytes);
        jtime(&b, s->opts.tz, rs->first_ts);
        buf_adds(&b, ",\"last\":");
        jtime(&b, s->opts.tz, rs->last_ts);
        buf_adds(&b, ",\"zone\":");
        jstr(&b, rs->zone, strlen(rs->zone));
        buf_addf(&b, ",\"zone_inferred\":%s", rs->zone_inferred ? "true" : "false");
        if (rs->year_inferred)
            buf_addf(&b, ",\"year_inferred\":%d", rs->year_inferred);
        buf_addf(&b, ",\"truncated_lines\":%llu,\"nul_lines\":%llu,\"complete\":%s}",
                 (unsigned long long)rs->stats.truncated_lines,
                 (unsigned long long)rs->stats.nul_lines, rs->stats.error ? "false" : "true");
    }
    buf_adds(&b, "],\"unparsed_reasons\":[");
    for (size_t i = 0; i < run->nreasons; i++) {
        buf_adds(&b, i ? ",{\"reason\":" : "{\"reason\":");
        jstr(&b, run->reasons[i].why, strlen(run->reasons[i].why));
        buf_addf(&b, ",\"count\":%llu}", (unsigned long long)run->reasons[i].count);
    }
    buf_adds(&b, "]},\"totals\":{");
    json_counters(&b, &s->all);
    buf_addf(&b, ",\"senders\":%lld,\"sending_domains\":%lld,\"recipients\":%lld,"
                 "\"recipient_domains\":%lld,\"no_size_deliveries\":%lld}",
             t.senders, t.sending_domains, t.recipients, t.recipient_domains, s->nosize_count);
    flush(&b, out);

    size_t n;
    const struct strmap_entry **arr = strmap_sorted(s->hosts, cmp_keys, &n);
    buf_adds(&b, ",\"servers\":[");
    for (size_t i = 0; i < n; i++) {
        const struct counters *c = arr[i]->val;
        buf_adds(&b, i ? ",{\"host\":" : "{\"host\":");
        jstr(&b, arr[i]->key, arr[i]->klen);
        buf_addc(&b, ',');
        json_counters(&b, c);
        buf_adds(&b, ",\"first\":");
        jtime(&b, s->opts.tz, c->first_ts);
        buf_adds(&b, ",\"last\":");
        jtime(&b, s->opts.tz, c->last_ts);
        buf_addc(&b, '}');
    }
    free(arr);
    arr = strmap_sorted(s->days, cmp_keys, &n);
    buf_adds(&b, "],\"per_day\":[");
    for (size_t i = 0; i < n; i++) {
        buf_addf(&b, "%s{\"date\":\"%s\",", i ? "," : "", arr[i]->key);
        json_traffic(&b, arr[i]->val);
        buf_addc(&b, '}');
    }
    free(arr);
    buf_addf(&b, "],\"days\":%zu,\"per_hour\":[", ndays(s));
    for (int h = 0; h < 24; h++) {
        buf_addf(&b, "%s{\"hour\":%d,", h ? "," : "", h);
        json_traffic(&b, &s->hours[h]);
        buf_addc(&b, '}');
    }
    buf_adds(&b, "],\"sections\":{");
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (i)
            buf_addc(&b, ',');
        json_section(&b, s, &sections[i], s->opts.top);
        flush(&b, out);
    }
    buf_adds(&b, "},");
    provenance_json(&b, s->opts.inv, s->opts.tz, run);
    buf_adds(&b, "}\n");
    flush(&b, out);
    int err = b.err;
    buf_free(&b);
    return err ? err : (ferror(out) ? MSL_EIO : MSL_OK);
}
