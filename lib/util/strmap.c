/*
 * strmap.c - see strmap.h.  Table size is a power of two kept at most 2/3 full.
 */
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

struct node {
    struct strmap_entry e;
    /* value, then key bytes, follow */
};

/* The hash sits in the slot array so a probe compares hashes without touching the node:
 * one cache miss per lookup instead of one per probe step. */
struct slot {
    uint64_t hash;
    struct node *node;
};

struct strmap {
    struct slot *slots;
    size_t mask; /* capacity - 1 */
    size_t len;
    size_t vsize; /* rounded up to 16 */
};

uint64_t strmap_hash(const char *p, size_t n)
{
    /* 8 bytes per step (keys are ids, hosts, addresses), then a final avalanche so linear
     * probing sees well-spread low bits.  Not for untrusted-key flooding resistance: maps
     * are sized by distinct keys, and a degenerate key set costs time, never memory. */
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    uint64_t v;
    while (n >= 8) {
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

struct strmap *strmap_new(size_t vsize)
{
    struct strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->mask = 63;
    m->slots = calloc(m->mask + 1, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->vsize = (vsize + 15) & ~(size_t)15;
    return m;
}

void strmap_free(struct strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i <= m->mask; i++)
        free(m->slots[i].node);
    free(m->slots);
    free(m);
}

size_t strmap_len(const struct strmap *m)
{
    return m->len;
}

static size_t probe(const struct strmap *m, const char *key, size_t klen, uint64_t h)
{
    size_t i = (size_t)h & m->mask;
    for (;;) {
        const struct slot *sl = &m->slots[i];
        if (!sl->node || (sl->hash == h && sl->node->e.klen == klen &&
                          memcmp(sl->node->e.key, key, klen) == 0))
            return i;
        i = (i + 1) & m->mask;
    }
}

const struct strmap_entry *strmap_lookup(const struct strmap *m, const char *key, size_t klen)
{
    struct node *nd = m->slots[probe(m, key, klen, strmap_hash(key, klen))].node;
    return nd ? &nd->e : NULL;
}

void *strmap_find(const struct strmap *m, const char *key, size_t klen)
{
    struct node *nd = m->slots[probe(m, key, klen, strmap_hash(key, klen))].node;
    return nd ? nd->e.val : NULL;
}

static int grow(struct strmap *m)
{
    size_t ncap = (m->mask + 1) * 2;
    struct slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        struct slot sl = m->slots[i];
        if (!sl.node)
            continue;
        size_t j = (size_t)sl.hash & (ncap - 1);
        while (ns[j].node)
            j = (j + 1) & (ncap - 1);
        ns[j] = sl;
    }
    free(m->slots);
    m->slots = ns;
    m->mask = ncap - 1;
    return 0;
}

void *strmap_get(struct strmap *m, const char *key, size_t klen, int *created)
{
    uint64_t h = strmap_hash(key, klen);
    size_t i = probe(m, key, klen, h);
    if (m->slots[i].node) {
        if (created)
            *created = 0;
        return m->slots[i].node->e.val;
    }
    if ((m->len + 1) * 3 > (m->mask + 1) * 2) {
        if (grow(m))
            return NULL;
        i = probe(m, key, klen, h);
    }
    struct node *nd = calloc(1, sizeof *nd + m->vsize + klen + 1);
    if (!nd)
        return NULL;
    char *vp = (char *)(nd + 1);
    char *kp = vp + m->vsize;
    memcpy(kp, key, klen);
    nd->e.hash = h;
    nd->e.klen = klen;
    nd->e.key = kp;
    nd->e.val = vp;
    m->slots[i] = (struct slot){h, nd};
    m->len++;
    if (created)
        *created = 1;
    return vp;
}

int strmap_del(struct strmap *m, const char *key, size_t klen)
{
    size_t i = probe(m, key, klen, strmap_hash(key, klen));
    if (!m->slots[i].node)
        return 0;
    free(m->slots[i].node);
    m->slots[i] = (struct slot){0, NULL};
    m->len--;
    /* backward-shift: move later members of the cluster into the hole when allowed */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        struct slot sl = m->slots[j];
        if (!sl.node)
            break;
        size_t home = (size_t)sl.hash & m->mask;
        /* nd may move to hole iff home is not cyclically within (hole, j] */
        int between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            m->slots[hole] = sl;
            m->slots[j] = (struct slot){0, NULL};
            hole = j;
        }
    }
    return 1;
}

void strmap_each(const struct strmap *m, void (*fn)(void *ctx, const struct strmap_entry *e),
                 void *ctx)
{
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].node)
            fn(ctx, &m->slots[i].node->e);
}

static int by_key(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

const struct strmap_entry **strmap_sorted(const struct strmap *m,
                                          int (*cmp)(const void *, const void *), size_t *n)
{
    *n = 0;
    if (m->len == 0)
        return NULL;
    const struct strmap_entry **arr = malloc(m->len * sizeof *arr);
    if (!arr)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].node)
            arr[k++] = &m->slots[i].node->e;
    qsort(arr, k, sizeof *arr, cmp ? cmp : by_key);
    *n = k;
    return arr;
}
