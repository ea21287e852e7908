/*
 * timeline.c - every event in time order across all inputs.
 *
 * Each event is rendered to its final output line as it arrives (the event's views die
 * with the callback) and handed to the external sorter keyed by UTC time; ties keep input
 * order, so lines of one file with equal stamps stay in file order.  Memory is bounded by
 * the sorter's limit, not by input size.
 */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/report.h"
#include "report/event_export.h"
#include "report/event_out.h"
#include "util/esc.h"
#include "util/extsort.h"

struct msl_timeline {
    enum msl_timeline_format fmt;
    const struct msl_tz *tz;
    const struct msl_run *run;
    struct extsort *sort;
    struct buf line, tmp;
};

static const char csv_header[] =
    "datetime,timestamp_desc,message,kind,host,program,pid,qid,from,to,client_host,client_ip,"
    "sasl_user,relay_host,relay_ip,status,dsn,text,evidence\n";

struct msl_timeline *msl_timeline_new(enum msl_timeline_format f, const struct msl_tz *tz,
                                      const struct msl_run *run, size_t mem_limit)
{
    struct msl_timeline *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fmt = f;
    t->tz = tz;
    t->run = run;
    t->sort = extsort_new(mem_limit);
    buf_init(&t->line, 1 << 22);
    buf_init(&t->tmp, 1 << 22);
    if (!t->sort) {
        free(t);
        return NULL;
    }
    return t;
}

void msl_timeline_free(struct msl_timeline *t)
{
    if (!t)
        return;
    extsort_free(t->sort);
    buf_free(&t->line);
    buf_free(&t->tmp);
    free(t);
}

static void csv_str(struct buf *b, struct msl_str s)
{
    buf_addc(b, ',');
    esc_csv(b, s.p ? s.p : "", s.n);
}

static void render(struct msl_timeline *t, const struct msl_event *e)
{
    struct buf *b = &t->line;
    const char *src = msl_run_source_name(t->run, e->ev.src);
    buf_reset(b);
    buf_reset(&t->tmp);
    switch (t->fmt) {
    case MSL_TL_TEXT:
        event_fmt_time(b, t->tz, e->ts);
        buf_addc(b, ' ');
        esc_text(b, e->host.p ? e->host.p : "-", e->host.p ? e->host.n : 1);
        buf_addc(b, ' ');
        esc_text(b, e->program.p ? e->program.p : "", e->program.n);
        if (e->pid >= 0)
            buf_addf(b, "[%lld]", (long long)e->pid);
        buf_adds(b, ": ");
        event_message(&t->tmp, e); /* key=value text is already terminal-safe */
        buf_add(b, t->tmp.p ? t->tmp.p : "", t->tmp.n);
        buf_adds(b, "  <");
        esc_text(b, src, strlen(src));
        buf_addf(b, ":%llu>\n", (unsigned long long)e->ev.line);
        break;
    case MSL_TL_JSONL:
        event_json(b, e, src, t->tz);
        buf_addc(b, '\n');
        break;
    case MSL_TL_ECS:
    case MSL_TL_ECS_BULK:
        event_ecs(b, e, src, t->fmt == MSL_TL_ECS_BULK);
        break;
    case MSL_TL_HEC:
        event_hec(b, e, src);
        break;
    case MSL_TL_CSV: {
        struct buf *m = &t->tmp;
        event_fmt_time(m, NULL, e->ts);
        esc_csv(b, m->p, m->n);
        buf_adds(b, ",\"Log Time\"");
        buf_reset(m);
        event_message(m, e);
        buf_addc(b, ',');
        esc_csv(b, m->p ? m->p : "", m->n);
        buf_addf(b, ",%s", msl_kind_name(e->kind));
        csv_str(b, e->host);
        csv_str(b, e->program);
        if (e->pid >= 0)
            buf_addf(b, ",%lld", (long long)e->pid);
        else
            buf_addc(b, ',');
        csv_str(b, e->qid);
        csv_str(b, e->from);
        csv_str(b, e->to);
        csv_str(b, e->client_host);
        csv_str(b, e->client_ip);
        csv_str(b, e->sasl_user);
        csv_str(b, e->relay_host);
        csv_str(b, e->relay_ip);
        buf_addf(b, ",%s", msl_status_name(e->status));
        csv_str(b, e->dsn);
        csv_str(b, e->text);
        buf_reset(m);
        buf_adds(m, src);
        buf_addf(m, ":%llu", (unsigned long long)e->ev.line);
        buf_addc(b, ',');
        esc_csv(b, m->p, m->n);
        buf_addc(b, '\n');
        break;
    }
    }
}

int msl_timeline_format_from_name(const char *name, enum msl_timeline_format *f)
{
    static const struct {
        const char *name;
        enum msl_timeline_format f;
    } names[] = {{"text", MSL_TL_TEXT}, {"jsonl", MSL_TL_JSONL}, {"json", MSL_TL_JSONL},
                 {"csv", MSL_TL_CSV},   {"ecs", MSL_TL_ECS},     {"ecs-bulk", MSL_TL_ECS_BULK},
                 {"splunk-hec", MSL_TL_HEC}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name)) {
            *f = names[i].f;
            return 0;
        }
    return -1;
}

int msl_timeline_add(struct msl_timeline *t, const struct msl_event *e)
{
    render(t, e);
    if (t->line.err)
        return t->line.err;
    return extsort_add(t->sort, e->ts, t->line.p, t->line.n);
}

static int emit(void *ctx, int64_t key, const void *p, size_t n)
{
    (void)key;
    FILE *out = ctx;
    return fwrite(p, 1, n, out) == n ? 0 : MSL_EIO;
}

int msl_timeline_write(struct msl_timeline *t, FILE *out)
{
    if (t->fmt == MSL_TL_CSV)
        fputs(csv_header, out);
    int rc = extsort_drain(t->sort, emit, out);
    if (!rc && fflush(out) != 0)
        rc = MSL_EIO;
    return rc;
}
