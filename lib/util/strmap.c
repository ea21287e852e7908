/*
 * strmap.c - see strmap.h.  Table size is a power of two kept at most 3/4 full.
 */
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

struct node {
    struct strmap_entry e;
    /* value, then key bytes, follow */
};

struct strmap {
    struct node **slots;
    size_t mask; /* capacity - 1 */
    size_t len;
    size_t vsize; /* rounded up to 16 */
};

uint64_t strmap_hash(const char *p, size_t n)
{
    /* FNV-1a, then a final avalanche so linear probing sees well-spread low bits. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
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
        free(m->slots[i]);
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
        struct node *nd = m->slots[i];
        if (!nd || (nd->e.hash == h && nd->e.klen == klen && memcmp(nd->e.key, key, klen) == 0))
            return i;
        i = (i + 1) & m->mask;
    }
}

void *strmap_find(const struct strmap *m, const char *key, size_t klen)
{
    struct node *nd = m->slots[probe(m, key, klen, strmap_hash(key, klen))];
    return nd ? nd->e.val : NULL;
}

static int grow(struct strmap *m)
{
    size_t ncap = (m->mask + 1) * 2;
    struct node **ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        struct node *nd = m->slots[i];
        if (!nd)
            continue;
        size_t j = (size_t)nd->e.hash & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = nd;
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
    if (m->slots[i]) {
        if (created)
            *created = 0;
        return m->slots[i]->e.val;
    }
    if ((m->len + 1) * 4 > (m->mask + 1) * 3) {
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
    m->slots[i] = nd;
    m->len++;
    if (created)
        *created = 1;
    return vp;
}

int strmap_del(struct strmap *m, const char *key, size_t klen)
{
    size_t i = probe(m, key, klen, strmap_hash(key, klen));
    if (!m->slots[i])
        return 0;
    free(m->slots[i]);
    m->slots[i] = NULL;
    m->len--;
    /* backward-shift: move later members of the cluster into the hole when allowed */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        struct node *nd = m->slots[j];
        if (!nd)
            break;
        size_t home = (size_t)nd->e.hash & m->mask;
        /* nd may move to hole iff home is not cyclically within (hole, j] */
        int between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            m->slots[hole] = nd;
            m->slots[j] = NULL;
            hole = j;
        }
    }
    return 1;
}

void strmap_each(const struct strmap *m, void (*fn)(void *ctx, const struct strmap_entry *e),
                 void *ctx)
{
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i])
            fn(ctx, &m->slots[i]->e);
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
        if (m->slots[i])
            arr[k++] = &m->slots[i]->e;
    qsort(arr, k, sizeof *arr, cmp ? cmp : by_key);
    *n = k;
    return arr;
}
