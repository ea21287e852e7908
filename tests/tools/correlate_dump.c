/*
 * correlate_dump.c - messages and sessions after correlation, in a stable text form, for
 * golden tests and the Lightmeter conformance test.
 *
 *   correlate_dump [--year N] [--sessions] [--lines] [--reasons] [--idle SECONDS] PATH...
 *
 * Reads every PATH with msl_run (zone UTC; files, directories, archives, rotated sets), folds
 * the events through the correlator and prints, in hand-over order:
 *   MSG <host> <qid> end=<end> final=<status> key=value ...
 *     RCPT <to> status=<status> ... [handoff]     one line per delivery attempt
 *   SESSION <host> <program>[<pid>] ...            with --sessions
 *     LINE <src>:<line> <kind>                     evidence, with --lines
 * then one count line:
 *   total: events=N messages=N sessions=N deliveries=N results=N handoffs=N open_at_eof=N
 * Messages are kept until the end (so links can be followed) and printed in hand-over order;
 * sessions are printed as they are handed over.  Each delivery is marked:
 *   handoff   a content-filter / same-host relay hop (the message records reinjected_as = X)
 *   relayhop  "queued as X" names a message X of another host in the input with the same
 *             Message-ID (cross-host relay; X's deliveries are the end-to-end results)
 *   untraced  the message's origin is not in the input: neither it nor any ancestor
 *             (reinjected_from / bounce_of, followed back on the same host) has a receipt
 *   (none)    a result: one recipient delivery attempt of a traced message
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/mailsleuth.h"

struct dump {
    struct msl_correlator *c;
    struct msl_message **msgs;
    size_t nmsgs, cap;
    struct msl_run *run;
    int sessions, lines, reasons;
    unsigned long long events, messages, nsessions, deliveries, results, handoffs, untraced;
    unsigned long long relayhops;
    unsigned long long open_eof;
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
    case MSL_END_COMPLETE: return "complete";
    }
    return "?";
}

static int is_handoff(const struct msl_message *m, const struct msl_delivery *d)
{
    return m->reinjected_as && d->new_qid && strcmp(d->new_qid, m->reinjected_as) == 0 &&
           d->status == MSL_ST_SENT;
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

/* The record of host+qid handed over before m with the highest id below m's (its origin). */
static const struct msl_message *find_parent(const struct dump *d, const struct msl_message *m)
{
    const char *q = m->reinjected_from ? m->reinjected_from : m->bounce_of;
    const struct msl_message *best = NULL;
    if (!q)
        return NULL;
    for (size_t i = 0; i < d->nmsgs; i++) {
        const struct msl_message *x = d->msgs[i];
        if (x->id < m->id && strcmp(x->qid, q) == 0 && strcmp(x->host, m->host) == 0 &&
            (!best || x->id > best->id))
            best = x;
    }
    return best;
}

/* A delivery handed to another host whose logs are in the input too. */
static int is_relayhop(const struct dump *d, const struct msl_message *m,
                       const struct msl_delivery *x)
{
    if (!x->new_qid || !m->msgid || x->status != MSL_ST_SENT)
        return 0;
    for (size_t i = 0; i < d->nmsgs; i++) {
        const struct msl_message *y = d->msgs[i];
        if (strcmp(y->qid, x->new_qid) == 0 && strcmp(y->host, m->host) != 0 && y->msgid &&
            strcmp(y->msgid, m->msgid) == 0)
            return 1;
    }
    return 0;
}

static int traced(const struct dump *d, const struct msl_message *m)
{
    for (int depth = 0; m && depth < 32; depth++) {
        if (m->seen_receipt)
            return 1;
        m = find_parent(d, m);
    }
    return 0;
}

static int keep_message(void *ctx, struct msl_message *m)
{
    struct dump *d = ctx;
    if (d->nmsgs == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct msl_message **v = realloc(d->msgs, cap * sizeof *v);
        if (!v) {
            d->oom = 1;
            return 0;
        }
        d->msgs = v;
        d->cap = cap;
    }
    d->msgs[d->nmsgs++] = m;
    return 1;
}

static void print_message(struct dump *d, struct msl_message *m)
{
    int tr = traced(d, m);
    d->messages++;
    if (m->end == MSL_END_OPEN_AT_EOF)
        d->open_eof++;
    printf("MSG %s %s end=%s final=%s", m->host, m->qid, end_name(m->end),
           m->final == MSL_ST_NONE ? "none" : msl_status_name(m->final));
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
        int h = is_handoff(m, x), r = !h && is_relayhop(d, m, x);
        d->deliveries++;
        if (h)
            d->handoffs++;
        else if (r)
            d->relayhops++;
        else if (tr)
            d->results++;
        else
            d->untraced++;
        printf("  RCPT <%s> status=%s daemon=%s relay=%s", o(x->to), msl_status_name(x->status),
               o(x->daemon), o(x->relay_host));
        if (x->orig_to)
            printf(" orig_to=<%s>", x->orig_to);
        if (x->dsn)
            printf(" dsn=%s", x->dsn);
        if (x->new_qid)
            printf(" queued_as=%s", x->new_qid);
        printf("%s\n", h ? " handoff" : r ? " relayhop" : tr ? "" : " untraced");
    }
    print_lines(d, m->lines, m->nlines, m->lines_dropped);
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
        else if (strcmp(argv[i], "--reasons") == 0)
            d.reasons = 1;
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
    struct msl_correlate_sink sink = {.ctx = &d, .message = keep_message, .session = on_session};
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
    for (size_t i = 0; i < d.nmsgs; i++)
        print_message(&d, d.msgs[i]);
    for (size_t i = 0; i < d.nmsgs; i++)
        msl_message_free(d.msgs[i]);
    free(d.msgs);
    printf("total: events=%llu messages=%llu sessions=%llu deliveries=%llu results=%llu "
           "handoffs=%llu relayhops=%llu untraced=%llu open_at_eof=%llu lines=%llu "
           "unparsed=%llu\n",
           d.events, d.messages, d.nsessions, d.deliveries, d.results, d.handoffs, d.relayhops,
           d.untraced, d.open_eof, (unsigned long long)run.totals.lines,
           (unsigned long long)run.unparsed);
    if (d.reasons)
        for (size_t i = 0; i < run.nreasons; i++)
            printf("unparsed: %llu %s\n", (unsigned long long)run.reasons[i].count,
                   run.reasons[i].why);
    msl_correlator_free(d.c);
    msl_run_free(&run);
    msl_tz_free(tz);
    free(paths);
    if (d.oom)
        return 4;
    return rc == MSL_OK ? 0 : 3;
}
