/*
 * det_kw.c - keyed "k hits within a window" incidents (see detect_int.h).
 *
 * Memory per key: a ring of k cited hits, at most max_evidence cited lines and related
 * sessions of the open incident, DET_KW_VALS distinct values.  Keys are swept every 4096
 * hits (and when the table is full, at most once per second of log time: det_sweep_due): a key whose last hit is older than the
 * window in log time closes its incident (if any) and is freed.  Log time is the newest
 * hit seen, so a log that goes backwards in time does not evict early.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

int det_kwt_init(struct det_kwt *t, const struct msl_detect_env *env, size_t k, int64_t window_s,
                 void (*close)(void *ctx, const char *key, struct det_kw *kw), void *ctx)
{
    memset(t, 0, sizeof *t);
    t->m = strmap_new(sizeof(struct det_kw));
    t->env = env;
    t->k = k ? k : 1;
    t->window_us = window_s * US_PER_S;
    t->close = close;
    t->ctx = ctx;
    return t->m ? MSL_OK : MSL_ENOMEM;
}

static void reset_incident(struct det_kw *kw)
{
    det_finding_clear(&kw->inc);
    for (size_t i = 0; i < kw->nvals; i++)
        free(kw->vals[i]);
    kw->nvals = 0;
    kw->vals_more = 0;
    kw->open = 0;
}

static void close_incident(struct det_kwt *t, const char *key, struct det_kw *kw)
{
    if (kw->open)
        t->close(t->ctx, key, kw);
    reset_incident(kw);
    det_ring_clear(&kw->ring);
}

static void free_kw(struct det_kw *kw)
{
    reset_incident(kw);
    det_ring_free(&kw->ring);
    free(kw->host);
    kw->host = NULL;
}

struct sweep {
    struct det_kwt *t;
    const char *key;
    int all;
};

static int is_stale(void *val, void *ctx)
{
    struct sweep *s = ctx;
    struct det_kw *kw = val;
    return s->all || kw->last_ts + s->t->window_us < s->t->now;
}

/* det_sweep gives the value only; the key is needed for close(): find it by address. */
struct find_key {
    const void *val;
    const char *key;
};

static void find_key_cb(void *ctx, const struct strmap_entry *e)
{
    struct find_key *f = ctx;
    if (e->val == f->val)
        f->key = e->key;
}

static void drop_kw(void *val, void *ctx)
{
    struct sweep *s = ctx;
    struct det_kw *kw = val;
    if (kw->open) {
        struct find_key fk = {val, NULL};
        strmap_each(s->t->m, find_key_cb, &fk);
        close_incident(s->t, fk.key ? fk.key : "?", kw);
    }
    free_kw(kw);
}

static void sweep(struct det_kwt *t, int all)
{
    struct sweep s = {t, NULL, all};
    det_sweep(t->m, is_stale, drop_kw, &s);
}

static void add_val(struct det_kw *kw, struct msl_str v)
{
    if (!v.p || !v.n)
        return;
    for (size_t i = 0; i < kw->nvals; i++)
        if (strlen(kw->vals[i]) == v.n && !memcmp(kw->vals[i], v.p, v.n))
            return;
    if (kw->nvals == DET_KW_VALS) {
        kw->vals_more++;
        return;
    }
    char *c = det_strndup(v.p, v.n);
    if (c)
        kw->vals[kw->nvals++] = c;
}

struct det_kw *det_kwt_hit(struct det_kwt *t, const char *key, size_t klen,
                           const struct msl_event *e, struct msl_str val)
{
    const struct msl_detect_env *env = t->env;
    if (e->ts > t->now)
        t->now = e->ts;
    t->hits++;
    if (det_sweep_due(&t->sw, strmap_len(t->m), env->max_keys, t->now))
        sweep(t, 0);
    struct det_kw *kw = strmap_find(t->m, key, klen);
    if (!kw) {
        if (strmap_len(t->m) >= env->max_keys) {
            t->dropped++;
            return NULL;
        }
        kw = strmap_get(t->m, key, klen, NULL);
        if (!kw || det_ring_init(&kw->ring, t->k) != MSL_OK)
            return NULL;
        kw->host = det_strndup(e->host.p, e->host.n);
    }
    if (kw->open && e->ts - kw->last_ts > t->window_us) {
        char *k = det_strndup(key, klen);
        close_incident(t, k ? k : "?", kw);
        free(k);
    }
    if (!kw->open && kw->ring.n && e->ts - kw->last_ts > t->window_us) {
        /* an old run of hits that never qualified: start over */
        reset_incident(kw);
        det_ring_clear(&kw->ring);
    }
    kw->last_ts = e->ts;
    add_val(kw, val);
    det_related_session(env, &kw->inc, e);
    if (kw->open) {
        det_cite(env, &kw->inc, e->ts, &e->ev, e->raw);
        return kw;
    }
    det_ring_push(env, &kw->ring, e->ts, &e->ev, e->raw);
    if (det_ring_full_within(&kw->ring, t->window_us)) {
        kw->open = 1;
        for (size_t i = 0; i < kw->ring.n; i++)
            det_cite_fe(env, &kw->inc, det_ring_at(&kw->ring, i));
    }
    return kw;
}

void det_kwt_finish(struct det_kwt *t)
{
    if (t->m)
        sweep(t, 1);
}

void det_kwt_free(struct det_kwt *t)
{
    if (!t->m)
        return;
    sweep(t, 1);
    strmap_free(t->m);
    t->m = NULL;
}
