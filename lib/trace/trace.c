/*
 * trace.c - the passes of a trace (see trace.h): match, collect link keys, retain.
 *
 * Record ids are assigned by the correlator in order of first event, so the same input
 * gives the same ids in every pass: pass 1 remembers matched ids, later passes keep them.
 * Link keys are plain strings in three sets: Message-IDs, bare queue ids (links name a
 * queue id but not always its host) and session ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/trace.h"
#include "trace/recent.h"
#include "trace/trace_int.h"

#define MAX_PASSES 4
#define RECENT_BUDGET ((size_t)64 << 20) /* records waiting in pass 1 for a link */

struct msl_trace *msl_trace_new(const struct msl_query *q, const char *query_text)
{
    struct msl_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->q = q;
    t->query_text = strdup(query_text ? query_text : "");
    t->msg_ids = strmap_new(1);
    t->sess_ids = strmap_new(1);
    t->msgids = strmap_new(1);
    t->qids = strmap_new(1);
    if (!t->query_text || !t->msg_ids || !t->sess_ids || !t->msgids || !t->qids) {
        msl_trace_free(t);
        return NULL;
    }
    return t;
}

static void drop_retained(struct msl_trace *t)
{
    for (size_t i = 0; i < t->nmsgs; i++)
        msl_message_free(t->msgs[i]);
    for (size_t i = 0; i < t->nsess; i++)
        msl_session_free(t->sess[i]);
    free(t->msgs);
    free(t->sess);
    t->msgs = NULL;
    t->sess = NULL;
    t->nmsgs = t->nsess = t->capmsgs = t->capsess = 0;
    free(t->hops);
    t->hops = NULL;
    t->nhops = 0;
}

void msl_trace_free(struct msl_trace *t)
{
    if (!t)
        return;
    drop_retained(t);
    strmap_free(t->msg_ids);
    strmap_free(t->sess_ids);
    strmap_free(t->msgids);
    strmap_free(t->qids);
    recent_free(t->recent);
    free(t->pend);
    free(t->skews);
    free(t->query_text);
    free(t);
}

void msl_trace_set_window(struct msl_trace *t, size_t bytes)
{
    t->window = bytes;
}

size_t msl_trace_matches(const struct msl_trace *t)
{
    return t->matched;
}

static int add_key(struct msl_trace *t, struct strmap *m, const char *k)
{
    if (!k || !*k)
        return 0;
    int created = 0;
    if (!strmap_get(m, k, strlen(k), &created))
        t->oom = 1;
    if (created)
        t->keys_added++;
    return created;
}

static int has_key(struct strmap *m, const char *k)
{
    return k && *k && strmap_find(m, k, strlen(k)) != NULL;
}

static void id_key(char *buf, size_t cap, unsigned long long id)
{
    snprintf(buf, cap, "%llu", id);
}

/* The keys through which other records link to or from m. */
static void add_links(struct msl_trace *t, const struct msl_message *m)
{
    add_key(t, t->msgids, m->msgid);
    add_key(t, t->qids, m->qid);
    add_key(t, t->qids, m->reinjected_as);
    add_key(t, t->qids, m->reinjected_from);
    add_key(t, t->qids, m->bounce_of);
    for (size_t i = 0; i < m->ndsn; i++)
        add_key(t, t->qids, m->dsn_qids[i]);
    for (size_t i = 0; i < m->ndeliveries; i++)
        add_key(t, t->qids, m->deliveries[i].new_qid);
    if (m->session_id) {
        char k[32];
        id_key(k, sizeof k, (unsigned long long)m->session_id);
        add_key(t, t->sess_ids, k);
    }
}

static int wanted(struct msl_trace *t, const struct msl_message *m)
{
    char k[32];
    id_key(k, sizeof k, (unsigned long long)m->id);
    if (has_key(t->msg_ids, k))
        return 1;
    if (t->pass == 1 && !t->recent)
        return 0;
    if (has_key(t->msgids, m->msgid) || has_key(t->qids, m->qid) ||
        has_key(t->qids, m->reinjected_as) || has_key(t->qids, m->bounce_of))
        return 1;
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (has_key(t->qids, m->deliveries[i].new_qid))
            return 1;
    return 0;
}

static int retain_msg(struct msl_trace *t, struct msl_message *m)
{
    if (t->nmsgs == t->capmsgs) {
        size_t c = t->capmsgs ? t->capmsgs * 2 : 16;
        struct msl_message **n = realloc(t->msgs, c * sizeof *n);
        if (!n) {
            t->oom = 1;
            return 0;
        }
        t->msgs = n;
        t->capmsgs = c;
    }
    t->msgs[t->nmsgs++] = m;
    return 1;
}

static int retain_sess(struct msl_trace *t, struct msl_session *s)
{
    if (t->nsess == t->capsess) {
        size_t c = t->capsess ? t->capsess * 2 : 16;
        struct msl_session **n = realloc(t->sess, c * sizeof *n);
        if (!n) {
            t->oom = 1;
            return 0;
        }
        t->sess = n;
        t->capsess = c;
    }
    t->sess[t->nsess++] = s;
    return 1;
}

static int want_waiting(void *ctx, const struct msl_message *m, const struct msl_session *s)
{
    struct msl_trace *t = ctx;
    if (m)
        return wanted(t, m);
    char k[32];
    id_key(k, sizeof k, (unsigned long long)s->id);
    return has_key(t->sess_ids, k);
}

static void got_waiting(void *ctx, struct msl_message *m, struct msl_session *s)
{
    struct msl_trace *t = ctx;
    if (t->npend == t->cappend) {
        size_t c = t->cappend ? t->cappend * 2 : 16;
        struct pending *n = realloc(t->pend, c * sizeof *n);
        if (!n) {
            t->oom = 1;
            msl_message_free(m);
            msl_session_free(s);
            return;
        }
        t->pend = n;
        t->cappend = c;
    }
    t->pend[t->npend++] = (struct pending){m, s};
}

/* The waiting records the message's link keys name (pass 1). */
static void claim_links(struct msl_trace *t, const struct msl_message *m)
{
    const char *q[4] = {m->qid, m->reinjected_as, m->reinjected_from, m->bounce_of};
    for (int i = 0; i < 4; i++)
        recent_claim(t->recent, 'q', q[i], want_waiting, got_waiting, t);
    for (size_t i = 0; i < m->ndsn; i++)
        recent_claim(t->recent, 'q', m->dsn_qids[i], want_waiting, got_waiting, t);
    for (size_t i = 0; i < m->ndeliveries; i++)
        recent_claim(t->recent, 'q', m->deliveries[i].new_qid, want_waiting, got_waiting, t);
    recent_claim(t->recent, 'm', m->msgid, want_waiting, got_waiting, t);
    if (m->session_id) {
        char k[32];
        id_key(k, sizeof k, (unsigned long long)m->session_id);
        recent_claim(t->recent, 's', k, want_waiting, got_waiting, t);
    }
}

/* Retains a message whose keys are in the sets; in pass 1 also everything waiting that it
 * links to, and what those link to (a work list, not recursion). */
static int retain_linked(struct msl_trace *t, struct msl_message *m)
{
    int ok = retain_msg(t, m);
    if (!t->recent)
        return ok;
    if (ok)
        claim_links(t, m);
    while (t->npend) {
        struct pending p = t->pend[--t->npend];
        if (p.m) {
            add_links(t, p.m);
            if (retain_msg(t, p.m))
                claim_links(t, p.m);
            else
                msl_message_free(p.m);
        } else if (!retain_sess(t, p.s)) {
            msl_session_free(p.s);
        }
    }
    return ok;
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct msl_trace *t = ctx;
    if (t->pass == 1 && msl_query_match_message(t->q, m)) {
        char k[32];
        id_key(k, sizeof k, (unsigned long long)m->id);
        add_key(t, t->msg_ids, k);
        add_links(t, m);
        t->matched++;
        return t->single_pass || t->recent ? retain_linked(t, m) : 0;
    }
    if (t->pass == 1 && !t->recent)
        return 0;
    if (!wanted(t, m)) {
        if (!t->recent)
            return 0;
        recent_add(t->recent, m, NULL); /* a record finishing later may link to it */
        return 1;
    }
    add_links(t, m);
    return retain_linked(t, m);
}

static int on_session(void *ctx, struct msl_session *s)
{
    struct msl_trace *t = ctx;
    char k[32];
    id_key(k, sizeof k, (unsigned long long)s->id);
    if (t->pass == 1 && msl_query_match_session(t->q, s)) {
        add_key(t, t->sess_ids, k);
        t->matched++;
        return t->single_pass || t->recent ? retain_sess(t, s) : 0;
    }
    if (has_key(t->sess_ids, k))
        return retain_sess(t, s);
    if (t->recent) {
        recent_add(t->recent, NULL, s); /* a message retained later may name it */
        return 1;
    }
    return 0;
}

/* After pass 1: could a record that left the window link to a retained one? */
static int maybe_more(const struct msl_trace *t)
{
    const struct trace_recent *r = t->recent;
    for (size_t i = 0; i < t->nmsgs; i++) {
        const struct msl_message *m = t->msgs[i];
        const char *q[4] = {m->qid, m->reinjected_as, m->reinjected_from, m->bounce_of};
        for (int j = 0; j < 4; j++)
            if (recent_maybe_dropped(r, 'q', q[j]))
                return 1;
        for (size_t j = 0; j < m->ndsn; j++)
            if (recent_maybe_dropped(r, 'q', m->dsn_qids[j]))
                return 1;
        for (size_t j = 0; j < m->ndeliveries; j++)
            if (recent_maybe_dropped(r, 'q', m->deliveries[j].new_qid))
                return 1;
        if (recent_maybe_dropped(r, 'm', m->msgid))
            return 1;
        char k[32];
        id_key(k, sizeof k, (unsigned long long)m->session_id);
        if (m->session_id && recent_maybe_dropped(r, 's', k))
            return 1;
    }
    return 0;
}

struct pass_ctx {
    struct msl_trace *t;
    struct msl_correlator *c;
    const struct msl_sink *outer;
    int failed;
};

static int pass_event(void *ctx, const struct msl_event *e)
{
    struct pass_ctx *pc = ctx;
    if (msl_correlator_add(pc->c, e) != MSL_OK) {
        pc->failed = 1;
        return 1;
    }
    return 0;
}

static void pass_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct pass_ctx *pc = ctx;
    if (pc->t->pass == 1 && pc->outer && pc->outer->unparsed)
        pc->outer->unparsed(pc->outer->ctx, ln, why);
}

static void pass_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct pass_ctx *pc = ctx;
    if (pc->t->pass == 1 && pc->outer && pc->outer->problem)
        pc->outer->problem(pc->outer->ctx, k, name, msg);
}

static int one_pass(struct msl_trace *t, const char *const *paths, size_t npaths,
                    const struct msl_run_opts *ro, const struct msl_sink *outer,
                    struct msl_run *run)
{
    /* sessions follow their messages, so a story's records finish together */
    struct msl_correlate_opts co = {.keep_lines = 1, .hold_sessions = 1};
    struct msl_correlate_sink cs = {.ctx = t, .message = on_message, .session = on_session};
    struct pass_ctx pc = {.t = t, .outer = outer};
    pc.c = msl_correlator_new(&co, &cs);
    if (!pc.c)
        return MSL_ENOMEM;
    struct msl_sink sink = {.ctx = &pc, .event = pass_event, .unparsed = pass_unparsed,
                            .problem = pass_problem};
    msl_run_free(run);
    int rc = msl_run(paths, npaths, ro, &sink, run);
    msl_correlator_finish(pc.c);
    msl_correlator_free(pc.c);
    if (pc.failed || t->oom)
        return MSL_ENOMEM;
    return rc;
}

int msl_trace_run(struct msl_trace *t, const char *const *paths, size_t npaths,
                  const struct msl_run_opts *ro, const struct msl_sink *outer,
                  struct msl_run *run)
{
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0)
            t->single_pass = 1;
    int rc = MSL_OK, more = 1;
    /* Every pass keeps what the keys known so far want, plus what the window gives back.
     * Another pass runs only when a record the window let go may belong to the story and
     * the pass learnt new keys (with the same keys, a further pass would keep the same). */
    for (t->pass = 1; t->pass <= MAX_PASSES && more; t->pass++) {
        t->passes = t->pass;
        if (t->pass > 1)
            drop_retained(t);
        t->keys_added = 0;
        if (!t->single_pass && !(t->recent = recent_new(t->window ? t->window : RECENT_BUDGET)))
            return MSL_ENOMEM;
        rc = one_pass(t, paths, npaths, ro, outer, run);
        more = !t->single_pass && rc != MSL_ENOMEM && t->matched && t->keys_added &&
               maybe_more(t);
        recent_free(t->recent);
        t->recent = NULL;
        if (rc == MSL_ENOMEM)
            return rc;
    }
    if (trace_link(t) != MSL_OK)
        return MSL_ENOMEM;
    return rc;
}
