/*
 * extsort.c - see extsort.h.  A record in memory and on disk is
 *   int64 key | uint64 seq | uint32 len | len bytes
 * Runs are merged with a linear minimum over the run heads: the number of runs is
 * (input size / memory limit), small enough that a heap would not pay for itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "util/extsort.h"

struct rec {
    int64_t key;
    uint64_t seq;
    size_t off; /* into mem */
    uint32_t len;
};

struct run {
    FILE *f;
    int64_t key;
    uint64_t seq;
    uint32_t len;
    char *buf;
    size_t cap;
    int live;
};

struct extsort {
    size_t limit;
    char *mem;
    size_t used, cap;
    struct rec *recs;
    size_t nrec, caprec;
    uint64_t seq;
    FILE **runs;
    size_t nruns;
};

struct extsort *extsort_new(size_t mem_limit)
{
    struct extsort *x = calloc(1, sizeof *x);
    if (x)
        x->limit = mem_limit ? mem_limit : (size_t)256 << 20;
    return x;
}

void extsort_free(struct extsort *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nruns; i++)
        fclose(x->runs[i]);
    free(x->runs);
    free(x->mem);
    free(x->recs);
    free(x);
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return (p->seq > q->seq) - (p->seq < q->seq);
}

static int spill(struct extsort *x)
{
    qsort(x->recs, x->nrec, sizeof *x->recs, cmp_rec);
    FILE *f = tmpfile();
    if (!f)
        return MSL_EIO;
    for (size_t i = 0; i < x->nrec; i++) {
        const struct rec *r = &x->recs[i];
        if (fwrite(&r->key, sizeof r->key, 1, f) != 1 || fwrite(&r->seq, sizeof r->seq, 1, f) != 1 ||
            fwrite(&r->len, sizeof r->len, 1, f) != 1 ||
            (r->len && fwrite(x->mem + r->off, r->len, 1, f) != 1)) {
            fclose(f);
            return MSL_EIO;
        }
    }
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return MSL_EIO;
    }
    FILE **nr = realloc(x->runs, (x->nruns + 1) * sizeof *nr);
    if (!nr) {
        fclose(f);
        return MSL_ENOMEM;
    }
    x->runs = nr;
    x->runs[x->nruns++] = f;
    x->used = 0;
    x->nrec = 0;
    return 0;
}

int extsort_add(struct extsort *x, int64_t key, const void *p, size_t n)
{
    if (n > UINT32_MAX)
        return MSL_EUSAGE;
    if (x->used + n > x->limit && x->nrec) {
        int rc = spill(x);
        if (rc)
            return rc;
    }
    if (x->used + n > x->cap) {
        size_t cap = x->cap ? x->cap : 1 << 20;
        while (cap < x->used + n)
            cap *= 2;
        char *nm = realloc(x->mem, cap);
        if (!nm)
            return MSL_ENOMEM;
        x->mem = nm;
        x->cap = cap;
    }
    if (x->nrec == x->caprec) {
        size_t c = x->caprec ? x->caprec * 2 : 4096;
        struct rec *nr = realloc(x->recs, c * sizeof *nr);
        if (!nr)
            return MSL_ENOMEM;
        x->recs = nr;
        x->caprec = c;
    }
    memcpy(x->mem + x->used, p, n);
    x->recs[x->nrec++] = (struct rec){key, x->seq++, x->used, (uint32_t)n};
    x->used += n;
    return 0;
}

static int run_next(struct run *r)
{
    if (fread(&r->key, sizeof r->key, 1, r->f) != 1) {
        r->live = 0;
        return 0;
    }
    if (fread(&r->seq, sizeof r->seq, 1, r->f) != 1 || fread(&r->len, sizeof r->len, 1, r->f) != 1)
        return MSL_EIO;
    if (r->len > r->cap) {
        char *nb = realloc(r->buf, r->len);
        if (!nb)
            return MSL_ENOMEM;
        r->buf = nb;
        r->cap = r->len;
    }
    if (r->len && fread(r->buf, r->len, 1, r->f) != 1)
        return MSL_EIO;
    r->live = 1;
    return 0;
}

int extsort_drain(struct extsort *x, int (*fn)(void *ctx, int64_t key, const void *p, size_t n),
                  void *ctx)
{
    if (x->nruns == 0) {
        if (x->nrec) /* recs is NULL when nothing was added: qsort(NULL, 0) is undefined */
            qsort(x->recs, x->nrec, sizeof *x->recs, cmp_rec);
        for (size_t i = 0; i < x->nrec; i++) {
            int rc = fn(ctx, x->recs[i].key, x->mem + x->recs[i].off, x->recs[i].len);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (x->nrec) {
        int rc = spill(x);
        if (rc)
            return rc;
    }
    struct run *runs = calloc(x->nruns, sizeof *runs);
    if (!runs)
        return MSL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < x->nruns && !rc; i++) {
        runs[i].f = x->runs[i];
        rc = run_next(&runs[i]);
    }
    while (!rc) {
        struct run *best = NULL;
        for (size_t i = 0; i < x->nruns; i++) {
            struct run *r = &runs[i];
            if (r->live && (!best || r->key < best->key ||
                            (r->key == best->key && r->seq < best->seq)))
                best = r;
        }
        if (!best)
            break;
        rc = fn(ctx, best->key, best->buf, best->len);
        if (!rc)
            rc = run_next(best);
    }
    for (size_t i = 0; i < x->nruns; i++)
        free(runs[i].buf);
    free(runs);
    return rc;
}
