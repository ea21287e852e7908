/*
 * recent.c - the first pass's window of finished records nothing wanted yet (recent.h).
 *
 * A hop's records finish close together in the input, but not always in link order: the
 * message a matched one came from may have finished just before it.  (Sessions are held
 * back by the correlator until their messages finish: opts.hold_sessions.)  So records
 * that are neither matched nor linked yet wait here, newest last, within a byte budget,
 * indexed by the values other records link through (the fields trace.c's wanted()
 * compares: qid, Message-ID, re-injection, bounce and next-hop ids, session id).  When a
 * record is retained, its link keys are looked up and every waiting record they name is
 * handed back.  What the budget pushes out leaves its keys in a Bloom filter, so the trace
 * knows whether a second pass could find anything more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "trace/recent.h"
#include "util/buf.h"
#include "util/strmap.h"

#define BLOOM_BITS ((size_t)1 << 26) /* 8 MiB */

struct slot {
    struct msl_message *m; /* one of the two */
    struct msl_session *s;
    size_t bytes;
};

struct slotlist {
    size_t *v; /* slot numbers (absolute, not modulo) */
    size_t n, cap;
};

struct trace_recent {
    size_t budget, bytes;
    struct slot *ring;
    size_t cap;        /* ring capacity (power of two) */
    size_t head, tail; /* absolute numbers: slots [head, tail) are in the window */
    struct strmap *ix; /* key -> struct slotlist */
    unsigned char *bloom;
    int evicted; /* something left the window */
    struct buf k;
};

struct trace_recent *recent_new(size_t budget)
{
    struct trace_recent *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->budget = budget;
    r->cap = 1024;
    r->ring = calloc(r->cap, sizeof *r->ring);
    r->ix = strmap_new(sizeof(struct slotlist));
    r->bloom = calloc(BLOOM_BITS / 8, 1);
    buf_init(&r->k, 1 << 16);
    if (!r->ring || !r->ix || !r->bloom) {
        recent_free(r);
        return NULL;
    }
    return r;
}

static void free_list(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    free(((struct slotlist *)e->val)->v);
}

void recent_free(struct trace_recent *r)
{
    if (!r)
        return;
    for (size_t i = r->head; r->ring && i < r->tail; i++) {
        struct slot *s = &r->ring[i & (r->cap - 1)];
        msl_message_free(s->m);
        msl_session_free(s->s);
    }
    free(r->ring);
    if (r->ix) {
        strmap_each(r->ix, free_list, NULL);
        strmap_free(r->ix);
    }
    free(r->bloom);
    buf_free(&r->k);
    free(r);
}

static const char *mkkey(struct trace_recent *r, char kind, const char *v)
{
    buf_reset(&r->k);
    buf_addc(&r->k, kind);
    buf_addc(&r->k, ':');
    buf_adds(&r->k, v);
    return r->k.err ? NULL : r->k.p;
}

static void bloom_pos(const char *k, size_t n, size_t pos[3])
{
    uint64_t h = strmap_hash(k, n);
    uint64_t h2 = (h >> 33) | 1;
    for (int i = 0; i < 3; i++)
        pos[i] = (size_t)((h + (uint64_t)i * h2) & (BLOOM_BITS - 1));
}

typedef void (*key_fn)(struct trace_recent *, const char *, size_t, size_t);

/* The keys a record is wanted by (the fields wanted() compares), for each one fn(key). */
static void keys_of(struct trace_recent *r, const struct slot *s, key_fn fn, size_t slot)
{
    const char *k;
    if (s->s) {
        char id[32];
        snprintf(id, sizeof id, "%llu", (unsigned long long)s->s->id);
        if ((k = mkkey(r, 's', id)))
            fn(r, k, r->k.n, slot);
        return;
    }
    const struct msl_message *m = s->m;
    const char *q[3] = {m->qid, m->reinjected_as, m->bounce_of};
    for (int i = 0; i < 3; i++)
        if (q[i] && *q[i] && (k = mkkey(r, 'q', q[i])))
            fn(r, k, r->k.n, slot);
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (m->deliveries[i].new_qid && *m->deliveries[i].new_qid &&
            (k = mkkey(r, 'q', m->deliveries[i].new_qid)))
            fn(r, k, r->k.n, slot);
    if (m->msgid && *m->msgid && (k = mkkey(r, 'm', m->msgid)))
        fn(r, k, r->k.n, slot);
}

static void ix_add(struct trace_recent *r, const char *k, size_t n, size_t slot)
{
    struct slotlist *l = strmap_get(r->ix, k, n, NULL);
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == slot)
            return; /* the same key twice in one record */
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 2;
        size_t *v = realloc(l->v, c * sizeof *v);
        if (!v)
            return;
        l->v = v;
        l->cap = c;
    }
    l->v[l->n++] = slot;
}

static void ix_del(struct trace_recent *r, const char *k, size_t n, size_t slot)
{
    struct slotlist *l = strmap_find(r->ix, k, n);
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == slot) {
            l->v[i] = l->v[--l->n];
            break;
        }
    if (l->n == 0) {
        free(l->v);
        strmap_del(r->ix, k, n);
    }
}

static void bloom_add(struct trace_recent *r, const char *k, size_t n, size_t slot)
{
    (void)slot;
    size_t pos[3];
    bloom_pos(k, n, pos);
    for (int i = 0; i < 3; i++)
        r->bloom[pos[i] / 8] |= (unsigned char)(1u << (pos[i] % 8));
}

static size_t record_bytes(const struct slot *s)
{
    const struct msl_evline *l = s->m ? s->m->lines : s->s->lines;
    size_t n = s->m ? s->m->nlines : s->s->nlines, b = 1024 + n * sizeof *l;
    for (size_t i = 0; i < n; i++)
        b += l[i].text ? strlen(l[i].text) + 1 : 0;
    if (s->m) /* the arrays beside the lines (deliveries with their strings, recipients) */
        b += s->m->ndeliveries * (sizeof *s->m->deliveries + 128) +
             s->m->nrcpts * sizeof *s->m->rcpts + s->m->nactions * sizeof *s->m->actions;
    return b * 2; /* allocator overhead and block slack: measured RSS was ~2.5x the texts */
}

static int empty(const struct trace_recent *r, size_t slot)
{
    const struct slot *s = &r->ring[slot & (r->cap - 1)];
    return !s->m && !s->s;
}

/* Takes the slot out of the window (its record is the caller's now). */
static void take_out(struct trace_recent *r, size_t slot)
{
    struct slot *s = &r->ring[slot & (r->cap - 1)];
    keys_of(r, s, ix_del, slot);
    r->bytes -= s->bytes;
    s->m = NULL;
    s->s = NULL;
    s->bytes = 0;
    while (r->head < r->tail && empty(r, r->head))
        r->head++;
}

static void evict_oldest(struct trace_recent *r)
{
    size_t slot = r->head;
    struct slot *s = &r->ring[slot & (r->cap - 1)];
    keys_of(r, s, bloom_add, slot);
    r->evicted = 1;
    struct msl_message *m = s->m;
    struct msl_session *ss = s->s;
    take_out(r, slot);
    msl_message_free(m);
    msl_session_free(ss);
}

static int grow(struct trace_recent *r)
{
    size_t nc = r->cap * 2;
    struct slot *n = calloc(nc, sizeof *n);
    if (!n)
        return 0;
    for (size_t i = r->head; i < r->tail; i++)
        n[i & (nc - 1)] = r->ring[i & (r->cap - 1)];
    free(r->ring);
    r->ring = n;
    r->cap = nc;
    return 1;
}

void recent_add(struct trace_recent *r, struct msl_message *m, struct msl_session *s)
{
    struct slot x = {.m = m, .s = s};
    x.bytes = record_bytes(&x);
    while (r->head < r->tail && r->bytes + x.bytes > r->budget)
        evict_oldest(r);
    if (r->tail - r->head == r->cap && !grow(r)) {
        /* no room to wait: it leaves its keys behind like an evicted one */
        keys_of(r, &x, bloom_add, 0);
        r->evicted = 1;
        msl_message_free(m);
        msl_session_free(s);
        return;
    }
    size_t slot = r->tail++;
    r->ring[slot & (r->cap - 1)] = x;
    r->bytes += x.bytes;
    keys_of(r, &x, ix_add, slot);
}

size_t recent_claim(struct trace_recent *r, char kind, const char *value,
                    int (*want)(void *ctx, const struct msl_message *m,
                                const struct msl_session *s),
                    void (*got)(void *ctx, struct msl_message *m, struct msl_session *s),
                    void *ctx)
{
    const char *k = value && *value ? mkkey(r, kind, value) : NULL;
    if (!k)
        return 0;
    struct slotlist *l = strmap_find(r->ix, k, r->k.n);
    if (!l)
        return 0;
    /* a copy: taking records out changes the list */
    size_t n = l->n, claimed = 0;
    size_t stack[16], *v = n <= 16 ? stack : malloc(n * sizeof *v);
    if (!v)
        return 0;
    memcpy(v, l->v, n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < r->head || v[i] >= r->tail || empty(r, v[i]))
            continue;
        struct slot *s = &r->ring[v[i] & (r->cap - 1)];
        struct msl_message *m = s->m;
        struct msl_session *ss = s->s;
        if (!want(ctx, m, ss))
            continue;
        take_out(r, v[i]);
        got(ctx, m, ss);
        claimed++;
    }
    if (v != stack)
        free(v);
    return claimed;
}

int recent_maybe_dropped(const struct trace_recent *r, char kind, const char *value)
{
    if (!r->evicted || !value || !*value)
        return 0;
    char k[1024];
    int n = snprintf(k, sizeof k, "%c:%s", kind, value);
    if (n < 0 || (size_t)n >= sizeof k)
        return 1; /* too long to check here: assume it may */
    size_t pos[3];
    bloom_pos(k, (size_t)n, pos);
    for (int i = 0; i < 3; i++)
        if (!(r->bloom[pos[i] / 8] & (1u << (pos[i] % 8))))
            return 0;
    return 1;
}
