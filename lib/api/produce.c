/*
 * produce.c - a handle's producer thread: one pipeline run (msl_run) whose sink feeds the
 * correlator and the hunt exactly as `search` and `hunt` do; every record that finishes
 * and is wanted (kinds, the search filter) is rendered by the CLI's JSON writers
 * (event_json, message_json, recipient_json, session_json; findings by hunt's JSONL
 * writer) and handed to the bounded queue, which makes this thread wait while the caller
 * has not taken enough records.  When the caller closes the handle early the queue refuses
 * records and the run is asked to stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/query.h"
#include "report/event_out.h"
#include "report/record_json.h"
#include "util/buf.h"
#include "util/geoip.h"

struct producer {
    struct msl_api *h;
    struct msl_correlator *c;
    struct msl_hunt *hunt;
    struct buf b;
    int stopped; /* the queue refused a record: the caller went away */
    int failed;  /* out of memory in a sink */
};

/* Hands the rendered JSON in p->b to the queue with the evidence given. */
static void push(struct producer *p, int kind, const struct msl_evidence *ev, size_t nev,
                 const struct msl_evline *lines, size_t nlines)
{
    if (p->stopped || p->failed)
        return;
    if (p->b.err) {
        p->failed = 1;
        return;
    }
    struct msl_api_rec *r =
        api_rec_new(kind, &p->h->run, p->b.p ? p->b.p : "{}", p->b.p ? p->b.n : 2, nev + nlines);
    if (!r) {
        p->failed = 1;
        return;
    }
    for (size_t i = 0; i < nev; i++)
        r->ev[i] = (struct api_ev){ev[i].src, ev[i].line, ev[i].offset};
    for (size_t i = 0; i < nlines; i++)
        r->ev[nev + i] = (struct api_ev){lines[i].ev.src, lines[i].ev.line, lines[i].ev.offset};
    if (api_queue_put(&p->h->q, r) != 0)
        p->stopped = 1;
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct producer *p = ctx;
    const struct msl_api *h = p->h;
    if (p->hunt)
        msl_hunt_message(p->hunt, m);
    if ((h->kinds & MSL_API_MESSAGE) && (!h->query || msl_query_match_message(h->query, m))) {
        buf_reset(&p->b);
        message_json(&p->b, m, &p->h->run, 0);
        push(p, MSL_API_MESSAGE, NULL, 0, m->lines, m->nlines);
    }
    if (h->kinds & MSL_API_RECIPIENT)
        for (size_t i = 0; i < m->nrcpts && !p->stopped; i++) {
            const struct msl_recipient *r = &m->rcpts[i];
            if (h->query && !msl_query_match_recipient(h->query, m, r))
                continue;
            buf_reset(&p->b);
            recipient_json(&p->b, m, r, &p->h->run);
            /* the deciding line, then every attempt */
            struct msl_evidence ev[64];
            size_t n = 0;
            ev[n++] = r->ev;
            for (size_t k = 0; k < r->nattempt && n < sizeof ev / sizeof ev[0]; k++)
                ev[n++] = m->deliveries[r->attempt[k]].ev;
            push(p, MSL_API_RECIPIENT, ev, n, NULL, 0);
        }
    return 0;
}

static int on_session(void *ctx, struct msl_session *s)
{
    struct producer *p = ctx;
    const struct msl_api *h = p->h;
    if (p->hunt)
        msl_hunt_session(p->hunt, s);
    if ((h->kinds & MSL_API_SESSION) && (!h->query || msl_query_match_session(h->query, s))) {
        buf_reset(&p->b);
        session_json(&p->b, s, &p->h->run, 0);
        push(p, MSL_API_SESSION, NULL, 0, s->lines, s->nlines);
    }
    return 0;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct producer *p = ctx;
    const struct msl_api *h = p->h;
    if ((h->kinds & MSL_API_EVENT) && (!h->query || msl_query_match_event(h->query, e))) {
        buf_reset(&p->b);
        event_json(&p->b, e, msl_run_source_name(&p->h->run, e->ev.src), h->tz);
        push(p, MSL_API_EVENT, &e->ev, 1, NULL, 0);
    }
    if (p->hunt)
        msl_hunt_event(p->hunt, e);
    if (p->c && msl_correlator_add(p->c, e) != MSL_OK)
        p->failed = 1;
    if (atomic_load_explicit(&p->h->q.cancel, memory_order_relaxed))
        p->stopped = 1;
    return p->stopped || p->failed; /* non-zero stops the run */
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct producer *p = ctx;
    if (p->hunt)
        msl_hunt_unparsed(p->hunt, ln, why);
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct producer *p = ctx;
    if (k != MSL_PROB_ERROR)
        return;
    /* the run's totals count errors too; the first one is the message */
    if (!p->h->input_errors++)
        snprintf(p->h->input_err, sizeof p->h->input_err, "%s: %s", name, msg);
}

/* Findings: the hunt's JSONL writer, one line a finding (then the notes, not returned). */
static void push_findings(struct producer *p)
{
    size_t nf;
    const struct msl_finding *f = msl_hunt_findings(p->hunt, &nf);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        p->failed = 1;
        return;
    }
    int rc = msl_hunt_write(p->hunt, MSL_HUNT_JSONL, &p->h->run, p->h->tz, NULL, mem);
    if (fclose(mem) != 0 || rc != MSL_OK) {
        free(text);
        p->failed = 1;
        return;
    }
    const char *s = text;
    for (size_t i = 0; i < nf && s && *s && !p->stopped; i++) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        buf_reset(&p->b);
        buf_add(&p->b, s, n);
        struct msl_evidence ev[256];
        size_t ne = 0;
        for (size_t k = 0; k < f[i].nevidence && ne < sizeof ev / sizeof ev[0]; k++)
            ev[ne++] = f[i].evidence[k].ev;
        push(p, MSL_API_FINDING, ev, ne, NULL, 0);
        s = nl ? nl + 1 : NULL;
    }
    free(text);
}

static struct msl_hunt *hunt_new(struct msl_api *h, struct geo_hunt_cfg *lookups)
{
    *lookups = (struct geo_hunt_cfg){.protected_domains = h->prot, .nprotected = h->nprot,
                                     .local_domains = h->local, .nlocal = h->nlocal};
    struct msl_hunt_opts ho = {.site = h->site, .lookups = lookups};
    return msl_hunt_new(&ho, h->rules);
}

void *api_produce(void *arg)
{
    struct msl_api *h = arg;
    struct producer p = {.h = h};
    struct geo_hunt_cfg lookups;
    buf_init(&p.b, (size_t)256 << 20);
    unsigned need_corr = MSL_API_MESSAGE | MSL_API_RECIPIENT | MSL_API_SESSION | MSL_API_FINDING;
    if (h->kinds & MSL_API_FINDING)
        p.hunt = hunt_new(h, &lookups);
    if (h->kinds & need_corr) {
        /* the options search and hunt use: evidence references, no raw lines; sessions
         * are tracked whatever is asked (a message names its session) */
        struct msl_correlate_opts co = {0};
        struct msl_correlate_sink cs = {.ctx = &p, .message = on_message, .session = on_session};
        p.c = msl_correlator_new(&co, &cs);
    }
    if (((h->kinds & MSL_API_FINDING) && !p.hunt) || ((h->kinds & need_corr) && !p.c)) {
        h->run_rc = MSL_ENOMEM;
    } else {
        struct msl_sink sink = {.ctx = &p, .event = on_event, .unparsed = on_unparsed,
                                .problem = on_problem};
        h->run_rc = msl_run((const char *const *)h->paths, h->npaths, &h->ro, &sink, &h->run);
        if (p.c)
            msl_correlator_finish(p.c);
        if (p.hunt) {
            msl_hunt_finish(p.hunt);
            if (msl_hunt_failed(p.hunt))
                p.failed = 1;
            else if (!p.stopped && !p.failed)
                push_findings(&p);
        }
        if (p.failed)
            h->run_rc = MSL_ENOMEM;
    }
    msl_correlator_free(p.c);
    msl_hunt_free(p.hunt);
    buf_free(&p.b);
    api_queue_done(&h->q);
    return NULL;
}
