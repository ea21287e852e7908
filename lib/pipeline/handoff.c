/*
 * handoff.c - parse ‖ fold: the pipeline's thread reads and parses, one consumer thread
 * runs the sink (summary, correlator, detectors, ...) on the same events in the same
 * order, so the output is byte-identical to a run on one thread.
 *
 * An event's strings are views into the reader's block and the envelope's scratch, valid
 * only until the next line; so each event is copied into a batch: the struct, its raw line,
 * and every view rebased onto that copy (views inside the raw line cost nothing more;
 * the others are copied beside it).  A batch's byte area never moves while it is filled
 * (it is flushed before an event would not fit), so rebased pointers stay valid.
 * Memory is bounded: at most HO_INFLIGHT batches exist; the parser waits for a free one.
 * The sink's "stop" answer reaches the parser at its next event (it then stops reading).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "model/event_fields.h"
#include "pipeline/handoff.h"

#define HO_EVENTS 2048             /* events per batch */
#define HO_BYTES ((size_t)1 << 20) /* bytes per batch (a line is at most 64 KiB) */
#define HO_INFLIGHT 4              /* batches in the queue, being filled or consumed */

enum ho_tag { HO_EVENT, HO_UNPARSED, HO_PROBLEM };

struct ho_item {
    enum ho_tag tag;
    union {
        struct msl_event ev;
        struct {
            struct msl_line ln;
            const char *why;
        } un;
        struct {
            enum msl_problem_kind k;
            const char *name, *msg;
        } pr;
    } u;
};

struct ho_batch {
    struct ho_batch *next;
    struct ho_item *it;
    size_t n;
    char *bytes;
    size_t used, cap;
};

struct msl_handoff {
    const struct msl_sink *sink;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a batch was queued, freed, or the run ended */
    struct ho_batch *head, *tail; /* full batches waiting for the consumer */
    struct ho_batch *spare;       /* consumed batches, for reuse */
    struct ho_batch *cur;         /* being filled by the parser */
    size_t nbatches;              /* allocated */
    int done;                     /* the parser has queued its last batch */
    atomic_int stop;              /* the sink asked to stop */
    int oom;
};

static void batch_free(struct ho_batch *b)
{
    if (!b)
        return;
    free(b->it);
    free(b->bytes);
    free(b);
}

static struct ho_batch *batch_new(size_t cap)
{
    struct ho_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->it = malloc(HO_EVENTS * sizeof *b->it);
    b->bytes = malloc(cap);
    b->cap = cap;
    if (!b->it || !b->bytes) {
        batch_free(b);
        return NULL;
    }
    return b;
}

/* Offsets of the event's string views: the envelope's and every string field of the
 * table (raw is handled on its own). */
static size_t str_off[64];
static size_t nstr_off;
static pthread_once_t str_once = PTHREAD_ONCE_INIT;

static void find_views(void)
{
    const size_t env[] = {offsetof(struct msl_event, host), offsetof(struct msl_event, mta),
                          offsetof(struct msl_event, program),
                          offsetof(struct msl_event, daemon),
                          offsetof(struct msl_event, service)};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        str_off[nstr_off++] = env[i];
    for (size_t i = 0; i < msl_event_nfields && nstr_off < 64; i++)
        if (msl_event_fields[i].type == MSL_FT_STR)
            str_off[nstr_off++] = msl_event_fields[i].off;
}

static void *consume(void *arg)
{
    struct msl_handoff *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (!h->head && !h->done)
            pthread_cond_wait(&h->cv, &h->mu);
        struct ho_batch *b = h->head;
        if (!b) { /* done and drained */
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        h->head = b->next;
        if (!h->head)
            h->tail = NULL;
        pthread_mutex_unlock(&h->mu);
        const struct msl_sink *k = h->sink;
        for (size_t i = 0; i < b->n; i++) {
            const struct ho_item *x = &b->it[i];
            if (x->tag == HO_UNPARSED)
                k->unparsed(k->ctx, &x->u.un.ln, x->u.un.why);
            else if (x->tag == HO_PROBLEM)
                k->problem(k->ctx, x->u.pr.k, x->u.pr.name, x->u.pr.msg);
            else if (!atomic_load(&h->stop) && k->event(k->ctx, &x->u.ev))
                atomic_store(&h->stop, 1);
        }
        pthread_mutex_lock(&h->mu);
        b->n = b->used = 0;
        b->next = h->spare;
        h->spare = b;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
}

struct msl_handoff *msl_handoff_start(const struct msl_sink *sink)
{
    pthread_once(&str_once, find_views);
    struct msl_handoff *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->sink = sink;
    atomic_init(&h->stop, 0);
    if (pthread_mutex_init(&h->mu, NULL)) {
        free(h);
        return NULL;
    }
    if (pthread_cond_init(&h->cv, NULL)) {
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->th, NULL, consume, h)) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

/* Queues the batch being filled (if any). */
static void flush(struct msl_handoff *h)
{
    struct ho_batch *b = h->cur;
    h->cur = NULL;
    if (!b)
        return;
    pthread_mutex_lock(&h->mu);
    b->next = NULL;
    if (h->tail)
        h->tail->next = b;
    else
        h->head = b;
    h->tail = b;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* A batch to fill with room for `need` bytes: a spare one, a new one while fewer than
 * HO_INFLIGHT exist, or else the next one the consumer frees. */
static struct ho_batch *take(struct msl_handoff *h, size_t need)
{
    struct ho_batch *b = NULL;
    pthread_mutex_lock(&h->mu);
    while (!h->spare && h->nbatches >= HO_INFLIGHT)
        pthread_cond_wait(&h->cv, &h->mu);
    if (h->spare) {
        b = h->spare;
        h->spare = b->next;
    } else {
        h->nbatches++; /* a slot for the one made below */
    }
    pthread_mutex_unlock(&h->mu);
    if (b && b->cap >= need)
        return b;
    batch_free(b); /* too small for an unusually long event: one of its size in its slot */
    b = batch_new(need > HO_BYTES ? need : HO_BYTES);
    if (!b) {
        pthread_mutex_lock(&h->mu);
        h->nbatches--;
        pthread_mutex_unlock(&h->mu);
    }
    return b;
}

/* The batch being filled, with room for one more item and `need` bytes; NULL when memory
 * ran out (h->oom). */
static struct ho_batch *room(struct msl_handoff *h, size_t need)
{
    struct ho_batch *b = h->cur;
    if (b && (b->n == HO_EVENTS || b->cap - b->used < need)) {
        flush(h);
        b = NULL;
    }
    if (!b && !(b = h->cur = take(h, need)))
        h->oom = 1;
    return b;
}

/* Copies n bytes (and a NUL) into the batch; the copy stays put until it is consumed. */
static const char *keep(struct ho_batch *b, const char *p, size_t n)
{
    char *at = b->bytes + b->used;
    if (n)
        memcpy(at, p, n);
    at[n] = '\0';
    b->used += n + 1;
    return at;
}

void msl_handoff_unparsed(struct msl_handoff *h, const struct msl_line *ln, const char *why)
{
    size_t wn = strlen(why);
    struct ho_batch *b = room(h, ln->n + wn + 2);
    if (!b)
        return;
    struct ho_item *it = &b->it[b->n++];
    it->tag = HO_UNPARSED;
    it->u.un.ln = *ln;
    it->u.un.ln.p = keep(b, ln->p, ln->n);
    it->u.un.why = keep(b, why, wn);
}

void msl_handoff_problem(struct msl_handoff *h, enum msl_problem_kind k, const char *name,
                         const char *msg)
{
    size_t nn = name ? strlen(name) : 0, mn = msg ? strlen(msg) : 0;
    struct ho_batch *b = room(h, nn + mn + 2);
    if (!b)
        return;
    struct ho_item *it = &b->it[b->n++];
    it->tag = HO_PROBLEM;
    it->u.pr.k = k;
    it->u.pr.name = name ? keep(b, name, nn) : NULL;
    it->u.pr.msg = msg ? keep(b, msg, mn) : NULL;
}

#define VIEW(e, i) ((struct msl_str *)((char *)(e) + str_off[i]))
#define CVIEW(e, i) ((const struct msl_str *)((const char *)(e) + str_off[i]))

int msl_handoff_event(struct msl_handoff *h, const struct msl_event *src)
{
    if (atomic_load_explicit(&h->stop, memory_order_relaxed))
        return 1;
    const char *r0 = src->raw.p, *r1 = r0 + src->raw.n;
    size_t need = src->raw.n + 1;
    for (size_t i = 0; i < nstr_off; i++) {
        const struct msl_str *x = CVIEW(src, i);
        if (x->p && !(x->p >= r0 && x->p + x->n <= r1))
            need += x->n;
    }
    struct ho_batch *b = room(h, need);
    if (!b)
        return 1;
    struct ho_item *it = &b->it[b->n++];
    it->tag = HO_EVENT;
    struct msl_event *e = &it->u.ev;
    *e = *src;
    char *base = b->bytes + b->used;
    if (r0) {
        memcpy(base, r0, src->raw.n);
        e->raw.p = base;
    }
    char *at = base + src->raw.n;
    for (size_t i = 0; i < nstr_off; i++) {
        struct msl_str *x = VIEW(e, i);
        if (!x->p)
            continue;
        if (x->p >= r0 && x->p + x->n <= r1) {
            x->p = base + (x->p - r0);
        } else {
            memcpy(at, x->p, x->n);
            x->p = at;
            at += x->n;
        }
    }
    *at++ = '\0';
    b->used = (size_t)(at - b->bytes);
    return 0;
}

int msl_handoff_finish(struct msl_handoff *h)
{
    if (!h)
        return MSL_OK;
    flush(h);
    pthread_mutex_lock(&h->mu);
    h->done = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    int rc = h->oom ? MSL_ENOMEM : MSL_OK;
    for (struct ho_batch *b = h->spare, *nb; b; b = nb) {
        nb = b->next;
        batch_free(b);
    }
    batch_free(h->cur);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return rc;
}
