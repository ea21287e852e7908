/*
 * cmd_search.c - `search EXPR`: messages (default), recipients (--recipients: one row per
 * recipient outcome), sessions (--sessions) or events (--events) that match a search
 * expression (include/mailsleuth/query.h, doc/SEARCH.md).
 *
 * Messages and sessions come out of the correlator when they finish; each matching one is
 * rendered at once and handed to the external sorter keyed by its start time, so output is
 * in time order and memory stays bounded whatever matches.  Events reuse the timeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/query.h"
#include "mailsleuth/report.h"
#include "report/event_out.h"
#include "report/record_json.h"
#include "util/esc.h"
#include "util/extsort.h"

enum out { OUT_TEXT, OUT_JSON, OUT_JSONL, OUT_CSV };

struct search {
    struct app *a;
    struct msl_query *q;
    enum out out;
    struct msl_correlator *c;
    struct msl_timeline *tl;
    struct extsort *sort;
    struct buf row;
    size_t matches;
};

static const char msg_csv_header[] =
    "first,last,host,qid,final,end,from,recipients,client_host,client_ip,sasl_user,size,msgid,"
    "evidence\n";
static const char rcpt_csv_header[] =
    "last_attempt,host,qid,outcome,address,orig_address,attempts,deferrals,first_attempt,"
    "relay_host,relay_ip,dsn,reply,next_qid,from,client_ip,sasl_user,msgid,evidence\n";
static const char sess_csv_header[] =
    "start,end,host,client_host,client_ip,helo,tls,auth_ok,auth_failed,rejects,end_reason,"
    "messages,evidence\n";

static void cell(struct buf *b, const char *v)
{
    buf_addc(b, ',');
    esc_csv(b, v ? v : "", v ? strlen(v) : 0);
}

static void text_field(struct buf *b, const char *v, size_t width)
{
    size_t start = b->n;
    esc_text(b, v && *v ? v : "-", v && *v ? strlen(v) : 1);
    size_t used = b->n - start;
    for (size_t i = used; i < width; i++)
        buf_addc(b, ' ');
    buf_addc(b, ' ');
}

/* A status or outcome column in its colour (the padding stays outside the span). */
static void colored_field(struct buf *b, const struct msl_palette *pal, enum msl_hue hue,
                          const char *name, size_t width)
{
    buf_adds(b, msl_hue_on(pal, hue));
    esc_text(b, name, strlen(name));
    buf_adds(b, msl_hue_off(pal, hue));
    for (size_t i = strlen(name); i < width; i++)
        buf_addc(b, ' ');
    buf_addc(b, ' ');
}

static void evidence(struct buf *b, const struct msl_run *run, const struct msl_evline *l,
                     size_t n)
{
    if (!n)
        return;
    const char *src = msl_run_source_name(run, l[0].ev.src);
    buf_adds(b, src);
    buf_addf(b, ":%llu", (unsigned long long)l[0].ev.line);
}

static void render_message(struct search *s, const struct msl_message *m)
{
    struct buf *b = &s->row;
    const struct msl_run *run = &s->a->run;
    buf_reset(b);
    switch (s->out) {
    case OUT_JSON:
    case OUT_JSONL:
        message_json(b, m, run, 0);
        buf_addc(b, '\n');
        break;
    case OUT_CSV: {
        struct buf t;
        buf_init(&t, 1 << 20);
        event_fmt_time(&t, NULL, m->first_ts);
        esc_csv(b, t.p, t.n);
        buf_reset(&t);
        event_fmt_time(&t, NULL, m->last_ts);
        cell(b, t.p);
        cell(b, m->host);
        cell(b, m->qid);
        cell(b, msl_status_name(m->final));
        cell(b, msl_msg_end_name(m->end));
        cell(b, m->from);
        buf_reset(&t);
        for (size_t i = 0; i < m->nrcpts; i++) { /* distinct by construction */
            if (!m->rcpts[i].addr)
                continue;
            if (t.n)
                buf_addc(&t, ' ');
            buf_adds(&t, m->rcpts[i].addr);
        }
        cell(b, t.p ? t.p : "");
        cell(b, m->client_host);
        cell(b, m->client_ip);
        cell(b, m->sasl_user);
        buf_reset(&t);
        if (m->size >= 0)
            buf_addi(&t, m->size);
        cell(b, t.p ? t.p : "");
        cell(b, m->msgid);
        buf_reset(&t);
        evidence(&t, run, m->lines, m->nlines);
        cell(b, t.p ? t.p : "");
        buf_addc(b, '\n');
        buf_free(&t);
        break;
    }
    case OUT_TEXT: {
        event_fmt_time(b, s->a->tz, m->first_ts);
        buf_addc(b, ' ');
        text_field(b, m->host, 8);
        text_field(b, m->qid, 12);
        colored_field(b, s->a->pal, msl_hue_of_status(m->final),
                      m->final ? msl_status_name(m->final) : "unknown", 9);
        buf_adds(b, "from=<");
        esc_text(b, m->from ? m->from : "", m->from ? strlen(m->from) : 0);
        buf_adds(b, "> to=<");
        const char *to = m->nrcpts && m->rcpts[0].addr ? m->rcpts[0].addr : "";
        esc_text(b, to, strlen(to));
        buf_addc(b, '>');
        if (m->nrcpts > 1)
            buf_addf(b, " (+%zu)", m->nrcpts - 1);
        if (m->client_ip) {
            buf_adds(b, " client=");
            esc_text(b, m->client_ip, strlen(m->client_ip));
        }
        if (m->sasl_user) {
            buf_adds(b, " user=");
            esc_text(b, m->sasl_user, strlen(m->sasl_user));
        }
        if (m->size >= 0)
            buf_addf(b, " size=%lld", (long long)m->size);
        buf_adds(b, "  <");
        struct buf t;
        buf_init(&t, 1 << 16);
        evidence(&t, run, m->lines, m->nlines);
        esc_text(b, t.p ? t.p : "", t.n);
        buf_free(&t);
        buf_adds(b, ">\n");
        break;
    }
    }
}

static void time_cell(struct buf *b, int64_t ts, int first)
{
    struct buf t;
    buf_init(&t, 1 << 10);
    if (ts)
        event_fmt_time(&t, NULL, ts);
    if (first)
        esc_csv(b, t.p ? t.p : "", t.n);
    else
        cell(b, t.p ? t.p : "");
    buf_free(&t);
}

static void render_recipient(struct search *s, const struct msl_message *m,
                             const struct msl_recipient *r)
{
    struct buf *b = &s->row;
    const struct msl_run *run = &s->a->run;
    const char *src = msl_run_source_name(run, r->ev.src);
    buf_reset(b);
    switch (s->out) {
    case OUT_JSON:
    case OUT_JSONL:
        recipient_json(b, m, r, run);
        buf_addc(b, '\n');
        break;
    case OUT_CSV: {
        time_cell(b, r->last_ts, 1);
        cell(b, m->host);
        cell(b, m->qid);
        cell(b, msl_outcome_name(r->outcome));
        cell(b, r->addr);
        cell(b, r->orig);
        buf_addf(b, ",%u,%u", (unsigned)r->attempts, (unsigned)r->deferrals);
        time_cell(b, r->first_ts, 0);
        cell(b, r->relay_host);
        cell(b, r->relay_ip);
        cell(b, r->dsn);
        cell(b, r->reply);
        cell(b, r->next_qid);
        cell(b, m->from);
        cell(b, m->client_ip);
        cell(b, m->sasl_user);
        cell(b, m->msgid);
        buf_addc(b, ',');
        struct buf t;
        buf_init(&t, 1 << 16);
        buf_adds(&t, src);
        buf_addf(&t, ":%llu", (unsigned long long)r->ev.line);
        esc_csv(b, t.p ? t.p : "", t.n);
        buf_free(&t);
        buf_addc(b, '\n');
        break;
    }
    case OUT_TEXT:
        event_fmt_time(b, s->a->tz, r->last_ts ? r->last_ts : m->first_ts);
        buf_addc(b, ' ');
        text_field(b, m->host, 8);
        text_field(b, m->qid, 12);
        colored_field(b, s->a->pal, msl_hue_of_outcome(r->outcome), msl_outcome_name(r->outcome),
                      11);
        buf_adds(b, "to=<");
        esc_text(b, r->addr ? r->addr : "", r->addr ? strlen(r->addr) : 0);
        buf_addc(b, '>');
        if (r->orig) {
            buf_adds(b, " orig=<");
            esc_text(b, r->orig, strlen(r->orig));
            buf_addc(b, '>');
        }
        buf_addf(b, " attempts=%u", (unsigned)r->attempts);
        if (r->relay_host || r->relay_ip) {
            const char *rl = r->relay_host ? r->relay_host : r->relay_ip;
            buf_adds(b, " relay=");
            esc_text(b, rl, strlen(rl));
        }
        if (r->next_qid) {
            buf_adds(b, " next=");
            esc_text(b, r->next_qid, strlen(r->next_qid));
        }
        buf_adds(b, " from=<");
        esc_text(b, m->from ? m->from : "", m->from ? strlen(m->from) : 0);
        buf_adds(b, ">  <");
        esc_text(b, src, strlen(src));
        buf_addf(b, ":%llu>\n", (unsigned long long)r->ev.line);
        break;
    }
}

static void render_session(struct search *s, const struct msl_session *ss)
{
    struct buf *b = &s->row;
    const struct msl_run *run = &s->a->run;
    size_t ok = 0, fail = 0;
    for (size_t i = 0; i < ss->nauths; i++)
        ss->auths[i].ok ? ok++ : fail++;
    buf_reset(b);
    switch (s->out) {
    case OUT_JSON:
    case OUT_JSONL:
        session_json(b, ss, run, 0);
        buf_addc(b, '\n');
        break;
    case OUT_CSV: {
        struct buf t;
        buf_init(&t, 1 << 20);
        event_fmt_time(&t, NULL, ss->start_ts);
        esc_csv(b, t.p, t.n);
        buf_reset(&t);
        event_fmt_time(&t, NULL, ss->end_ts);
        cell(b, t.p);
        cell(b, ss->host);
        cell(b, ss->client_host);
        cell(b, ss->client_ip);
        cell(b, ss->helo);
        cell(b, ss->tls_proto);
        buf_addf(b, ",%zu,%zu,%zu", ok, fail, ss->nrejects);
        cell(b, ss->end_reason);
        buf_addf(b, ",%zu", ss->nqids);
        buf_reset(&t);
        evidence(&t, run, ss->lines, ss->nlines);
        cell(b, t.p ? t.p : "");
        buf_addc(b, '\n');
        buf_free(&t);
        break;
    }
    case OUT_TEXT:
        event_fmt_time(b, s->a->tz, ss->start_ts);
        buf_addc(b, ' ');
        text_field(b, ss->host, 8);
        buf_adds(b, "client=");
        esc_text(b, ss->client_host ? ss->client_host : "?",
                 ss->client_host ? strlen(ss->client_host) : 1);
        buf_addc(b, '[');
        esc_text(b, ss->client_ip ? ss->client_ip : "", ss->client_ip ? strlen(ss->client_ip) : 0);
        buf_addf(b, "] auth=%zu ok/%zu failed rejects=%zu messages=%zu", ok, fail, ss->nrejects,
                 ss->nqids);
        if (ss->tls_proto) {
            buf_adds(b, " tls=");
            esc_text(b, ss->tls_proto, strlen(ss->tls_proto));
        }
        if (ss->end_reason) {
            buf_adds(b, " (");
            esc_text(b, ss->end_reason, strlen(ss->end_reason));
            buf_addc(b, ')');
        }
        buf_adds(b, "  <");
        struct buf t;
        buf_init(&t, 1 << 16);
        evidence(&t, run, ss->lines, ss->nlines);
        esc_text(b, t.p ? t.p : "", t.n);
        buf_free(&t);
        buf_adds(b, ">\n");
        break;
    }
}

static int keep_row(struct search *s, long long key)
{
    s->matches++;
    if (s->row.err || extsort_add(s->sort, key, s->row.p, s->row.n) != MSL_OK) {
        s->a->failed = 1;
        return 0;
    }
    return 0;
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct search *s = ctx;
    if (s->a->cli.recipients) {
        for (size_t i = 0; i < m->nrcpts; i++) {
            if (!msl_query_match_recipient(s->q, m, &m->rcpts[i]))
                continue;
            render_recipient(s, m, &m->rcpts[i]);
            keep_row(s, m->rcpts[i].last_ts ? m->rcpts[i].last_ts : m->first_ts);
        }
        return 0;
    }
    if (!s->a->cli.sessions && msl_query_match_message(s->q, m)) {
        render_message(s, m);
        keep_row(s, m->first_ts);
    }
    return 0;
}

static int on_session(void *ctx, struct msl_session *ss)
{
    struct search *s = ctx;
    if (s->a->cli.sessions && msl_query_match_session(s->q, ss)) {
        render_session(s, ss);
        keep_row(s, ss->start_ts);
    }
    return 0;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct search *s = a->consumer;
    app_progress(a);
    if (s->tl) {
        if (msl_query_match_event(s->q, e)) {
            s->matches++;
            if (msl_timeline_add(s->tl, e) != MSL_OK) {
                s->a->failed = 1;
                return 1;
            }
        }
        return 0;
    }
    if (msl_correlator_add(s->c, e) != MSL_OK) {
        s->a->failed = 1;
        return 1;
    }
    return 0;
}

static int emit(void *ctx, int64_t key, const void *p, size_t n)
{
    (void)key;
    struct search *s = ctx;
    if (s->out == OUT_JSON && s->matches++)
        fputc(',', stdout);
    /* JSON rows carry their newline; inside an array it is harmless whitespace */
    return fwrite(p, 1, n, stdout) == n ? 0 : MSL_EIO;
}

static int parse_out(const char *f, enum out *o)
{
    if (!f || !strcmp(f, "text") || !strcmp(f, "table"))
        *o = OUT_TEXT;
    else if (!strcmp(f, "json"))
        *o = OUT_JSON;
    else if (!strcmp(f, "jsonl"))
        *o = OUT_JSONL;
    else if (!strcmp(f, "csv"))
        *o = OUT_CSV;
    else
        return 0;
    return 1;
}

int cmd_search(struct app *a, const char *expr)
{
    struct search s = {.a = a};
    if (!parse_out(a->cli.format, &s.out)) {
        fprintf(stderr, "mailsleuth: search writes text, json, jsonl or csv, not '%s'\n",
                a->cli.format);
        return EXIT_USAGE;
    }
    if (a->cli.sessions + a->cli.events + a->cli.recipients > 1) {
        fprintf(stderr, "mailsleuth: choose one of --recipients, --sessions and --events\n");
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc)
        return rc;
    char err[256] = "";
    size_t col = 0;
    if (msl_query_compile(expr, a->tz, &s.q, err, sizeof err, &col) != MSL_OK) {
        struct buf b;
        buf_init(&b, 1 << 16);
        esc_text(&b, expr, strlen(expr));
        fprintf(stderr, "mailsleuth: bad search expression: %s\n  %s\n  %*s^\n", err,
                b.p ? b.p : "", (int)(col ? col - 1 : 0), "");
        buf_free(&b);
        return EXIT_USAGE;
    }
    /* For events the query's own time bounds let the pipeline skip early.  Not for
     * messages and sessions: cutting their first events would make a message that began
     * before since: look as if it began after it. */
    int64_t since = 0, until = 0;
    if (a->cli.events)
        msl_query_time_bounds(s.q, &since, &until);
    if (since && (!a->ro.since || since > a->ro.since))
        a->ro.since = since;
    if (until && (!a->ro.until || until < a->ro.until))
        a->ro.until = until;
    buf_init(&s.row, (size_t)64 << 20);
    struct msl_correlate_opts co = {0};
    struct msl_correlate_sink cs = {.ctx = &s, .message = on_message, .session = on_session};
    if (a->cli.events) {
        enum msl_timeline_format tf = s.out == OUT_CSV    ? MSL_TL_CSV
                                      : s.out == OUT_TEXT ? MSL_TL_TEXT
                                                          : MSL_TL_JSONL;
        s.tl = msl_timeline_new(tf, a->tz, &a->run, a->cli.sort_mem);
    } else {
        s.c = msl_correlator_new(&co, &cs);
        s.sort = extsort_new(a->cli.sort_mem);
    }
    if ((!s.tl && (!s.c || !s.sort))) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        msl_correlator_free(s.c);
        extsort_free(s.sort);
        msl_query_free(s.q);
        return EXIT_INTERNAL;
    }
    a->consumer = &s;
    struct msl_sink sink = app_sink(a, on_event);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    int wrc = MSL_OK;
    if (s.c)
        msl_correlator_finish(s.c);
    if (!a->failed) {
        if (s.tl) {
            wrc = msl_timeline_write(s.tl, stdout);
        } else {
            if (s.out == OUT_CSV)
                fputs(a->cli.sessions     ? sess_csv_header
                      : a->cli.recipients ? rcpt_csv_header
                                          : msg_csv_header,
                      stdout);
            if (s.out == OUT_JSON)
                fputc('[', stdout);
            size_t n = s.matches;
            s.matches = 0;
            wrc = extsort_drain(s.sort, emit, &s);
            s.matches = n;
            if (s.out == OUT_JSON)
                fputs("]\n", stdout);
        }
    }
    if (!a->cli.quiet)
        fprintf(stderr, "mailsleuth: %zu match%s\n", s.matches, s.matches == 1 ? "" : "es");
    msl_correlator_free(s.c);
    msl_timeline_free(s.tl);
    extsort_free(s.sort);
    buf_free(&s.row);
    msl_query_free(s.q);
    return app_finish(a, run_rc, wrc);
}
