/*
 * correlate_dump.c - messages and sessions after correlation, in a stable text form, for
 * golden tests and the Lightmeter conformance test.
 *
 *   correlate_dump [--year N] [--sessions] [--lines] [--idle SECONDS] PATH...
 *
 * Reads every PATH with msl_run (zone UTC; files, directories, archives, rotated sets), folds
 * the events through the correlator and prints, in hand-over order:
 *   MSG <host> <qid> end=<end> final=<status> key=value ...
 *     RCPT <to> status=<status> ... [handoff]     one line per delivery attempt
 *   SESSION <host> <program>[<pid>] ...            with --sessions
 *     LINE <src>:<line> <kind>                     evidence, with --lines
 * then one count line:
 *   total: events=N messages=N sessions=N deliveries=N results=N handoffs=N open_at_eof=N
 * A delivery is a "handoff" (not a result) when it is a content-filter hand-off: status sent
 * to a loopback relay whose reply says "queued as X" (the message records reinjected_as).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/mailsleuth.h"

struct dump {
    struct msl_correlator *c;
    struct msl_run *run;
    int sessions, lines;
    unsigned long long events, messages, nsessions, deliveries, results, handoffs, open_eof;
    int oom;
};

static const char *o(const char *s)
{
    return s ? s : "-";
}

static const char *end_name(enum msl_msg_end e)
{
    switch (e) {
    case MSL_END_REMOVED: return "removed";
    case MSL_END_REUSED: return "reused";
    case MSL_END_IDLE: return "idle";
    case MSL_END_OPEN_AT_EOF: return "open";
    case MSL_END_REJECTED: return "rejected";
    }
    return "?";
}

static int is_handoff(const struct msl_message *m, const struct msl_delivery *d)
{
    return m->reinjected_as && d->new_qid && strcmp(d->new_qid, m->reinjected_as) == 0 &&
           d->status == MSL_ST_SENT && d->relay_ip &&
           (strncmp(d->relay_ip, "127.", 4) == 0 || strcmp(d->relay_ip, "::1") == 0);
}

static void print_lines(struct dump *d, const struct msl_evline *l, size_t n, size_t dropped)
{
    if (!d->lines)
        return;
    for (size_t i = 0; i < n; i++) {
        printf("    LINE %s:%llu %s\n", msl_run_source_name(d->run, l[i].ev.src),
               (unsigned long long)l[i].ev.line, msl_kind_name(l[i].kind));
        if (l[i].text)
            printf("      %s\n", l[i].text);
    }
    if (dropped)
        printf("    LINES-DROPPED %zu\n", dropped);
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct dump *d = ctx;
    d->messages++;
    if (m->end == MSL_END_OPEN_AT_EOF)
        d->open_eof++;
    printf("MSG %s %s end=%s final=%s", m->host, m->qid, end_name(m->end),
           msl_status_name(m->final));
    printf(" receipt=%d", m->seen_receipt);
    if (m->client_ip)
        printf(" client=%s[%s]", o(m->client_host), m->client_ip);
    if (m->uid)
        printf(" uid=%s", m->uid);
    if (m->sasl_user)
        printf(" sasl=%s:%s", o(m->sasl_method), m->sasl_user);
    if (m->helo)
        printf(" helo=%s", m->helo);
    if (m->from)
        printf(" from=<%s>", m->from);
    if (m->size >= 0)
        printf(" size=%lld", (long long)m->size);
    if (m->nrcpt >= 0)
        printf(" nrcpt=%lld", (long long)m->nrcpt);
    if (m->msgid)
        printf(" msgid=<%s>", m->msgid);
    if (m->reinjected_from)
        printf(" reinjected_from=%s", m->reinjected_from);
    if (m->reinjected_as)
        printf(" reinjected_as=%s", m->reinjected_as);
    if (m->bounce_of)
        printf(" bounce_of=%s", m->bounce_of);
    for (size_t i = 0; i < m->ndsn; i++)
        printf(" dsn=%s", m->dsn_qids[i]);
    for (size_t i = 0; i < m->nactions; i++)
        printf(" action=%s/%s", msl_action_name(m->actions[i].action), o(m->actions[i].stage));
    for (size_t i = 0; i < m->nadmin; i++)
        printf(" admin=\"%s\"", m->admin[i].what);
    printf(" session=%s lines=%zu\n", m->session_id ? "yes" : "no", m->nlines);
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *x = &m->deliveries[i];
        int h = is_handoff(m, x);
        d->deliveries++;
        if (h)
            d->handoffs++;
        else
            d->results++;
        printf("  RCPT <%s> status=%s daemon=%s relay=%s", o(x->to), msl_status_name(x->status),
               o(x->daemon), o(x->relay_host));
        if (x->orig_to)
            printf(" orig_to=<%s>", x->orig_to);
        if (x->dsn)
            printf(" dsn=%s", x->dsn);
        if (x->new_qid)
            printf(" queued_as=%s", x->new_qid);
        printf("%s\n", h ? " handoff" : "");
    }
    print_lines(d, m->lines, m->nlines, m->lines_dropped);
    return 0;
}

static int on_session(void *ctx, struct msl_session *s)
{
    struct dump *d = ctx;
    d->nsessions++;
    if (!d->sessions)
        return 0;
    printf("SESSION %s %s[%lld] client=%s[%s] connect=%d closed=%d", s->host, s->program,
           (long long)s->pid, o(s->client_host), o(s->client_ip), s->saw_connect, s->closed);
    if (s->helo)
        printf(" helo=%s", s->helo);
    if (s->tls_proto)
        printf(" tls=%s/%s", s->tls_proto, o(s->tls_cipher));
    for (size_t i = 0; i < s->nauths; i++)
        printf(" auth=%s:%s:%s", s->auths[i].ok ? "ok" : "fail", o(s->auths[i].method),
               o(s->auths[i].user));
    for (size_t i = 0; i < s->nrejects; i++)
        printf(" reject=%s/%s%s", msl_action_name(s->rejects[i].action),
               o(s->rejects[i].stage), s->rejects[i].noqueue ? "/noqueue" : "");
    for (size_t i = 0; i < s->nqids; i++)
        printf(" qid=%s", s->qids[i]);
    for (size_t i = 0; i < s->nverdicts; i++)
        printf(" verdict=\"%s\"", s->verdicts[i]);
    if (s->end_reason)
        printf(" end_reason=\"%s\"", s->end_reason);
    if (s->counters)
        printf(" counters=\"%s\"", s->counters);
    printf(" lines=%zu\n", s->nlines);
    print_lines(d, s->lines, s->nlines, s->lines_dropped);
    return 0;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct dump *d = ctx;
    d->events++;
    if (msl_correlator_add(d->c, e) != MSL_OK)
        d->oom = 1;
    return 0;
}

int main(int argc, char **argv)
{
    int year = 0;
    struct dump d = {0};
    struct msl_correlate_opts co = {0};
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t npaths = 0;
    if (!paths)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
            year = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc)
            co.idle_us = strtoll(argv[++i], NULL, 10) * 1000000LL;
        else if (strcmp(argv[i], "--sessions") == 0)
            d.sessions = 1;
        else if (strcmp(argv[i], "--lines") == 0)
            d.lines = co.keep_lines = 1;
        else
            paths[npaths++] = argv[i];
    }
    if (!npaths) {
        fprintf(stderr, "usage: correlate_dump [--year N] [--sessions] [--lines] [--idle S] "
                        "PATH...\n");
        free(paths);
        return 2;
    }
    struct msl_tz *tz = msl_tz_load("UTC");
    struct msl_correlate_sink sink = {.ctx = &d, .message = on_message, .session = on_session};
    d.c = msl_correlator_new(&co, &sink);
    if (!tz || !d.c) {
        fprintf(stderr, "correlate_dump: cannot set up\n");
        return 1;
    }
    struct msl_run run;
    d.run = &run;
    struct msl_run_opts ro = {.tz = tz, .year = year};
    struct msl_sink ps = {.ctx = &d, .event = on_event};
    int rc = msl_run(paths, npaths, &ro, &ps, &run);
    msl_correlator_finish(d.c);
    printf("total: events=%llu messages=%llu sessions=%llu deliveries=%llu results=%llu "
           "handoffs=%llu open_at_eof=%llu unparsed=%llu\n",
           d.events, d.messages, d.nsessions, d.deliveries, d.results, d.handoffs, d.open_eof,
           (unsigned long long)run.unparsed);
    msl_correlator_free(d.c);
    msl_run_free(&run);
    msl_tz_free(tz);
    free(paths);
    if (d.oom)
        return 4;
    return rc == MSL_OK ? 0 : 3;
}
