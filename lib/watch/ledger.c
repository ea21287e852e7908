/*
 * ledger.c - the findings already raised, so each is alerted once and then only updated.
 *
 * A finding is known by rule, entity type, entity, host and the name of its first count.  One
 * entry per key holds its latest incident (first and last time, evidence count, severity): a
 * finding under that key whose first line comes at or after the incident's last (and is not
 * its first) is a new incident (raised again); one that ends before it began is an earlier
 * incident (a probe reports every incident it knows: not again); one that overlaps it is
 * the same incident, grown when it has more evidence.  The table is bounded (cap entries):
 * past it the entry with the oldest last time goes (counted).
 */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/detect.h"
#include "util/strmap.h"
#include "watch/watch_int.h"

struct lg_ent {
    int64_t first, last;
    uint64_t total;
    int sev;
};

struct ledger {
    struct strmap *m;
    size_t cap;
    uint64_t dropped;
};

struct ledger *ledger_new(size_t cap)
{
    struct ledger *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->m = strmap_new(sizeof(struct lg_ent));
    l->cap = cap ? cap : 100000;
    if (!l->m) {
        free(l);
        return NULL;
    }
    return l;
}

void ledger_free(struct ledger *l)
{
    if (!l)
        return;
    strmap_free(l->m);
    free(l);
}

struct oldest {
    const char *key;
    int64_t last;
};

static void find_oldest(void *ctx, const struct strmap_entry *e)
{
    struct oldest *o = ctx;
    const struct lg_ent *v = e->val;
    if (!o->key || v->last < o->last) {
        o->key = e->key;
        o->last = v->last;
    }
}

enum ledger_verdict ledger_offer(struct ledger *l, const char *key, int64_t first, int64_t last,
                                 uint64_t total, int sev)
{
    size_t klen = strlen(key);
    struct lg_ent *v = strmap_find(l->m, key, klen);
    /* a later incident starts where (or after) the known one ended; the same incident
     * keeps its first line */
    if (v && first > 0 && first != v->first && first >= v->last) {
        *v = (struct lg_ent){first, last, total, sev}; /* a later incident of the same key */
        return LG_NEW;
    }
    if (v && last && v->first && last < v->first)
        return LG_OLD; /* an earlier incident, passed already (probes report them all) */
    if (v) {
        enum ledger_verdict r = total > v->total || sev > v->sev ? LG_GREW : LG_OLD;
        if (first && (!v->first || first < v->first))
            v->first = first;
        if (last > v->last)
            v->last = last;
        if (total > v->total)
            v->total = total;
        if (sev > v->sev)
            v->sev = sev;
        return r;
    }
    if (strmap_len(l->m) >= l->cap) {
        struct oldest o = {0};
        strmap_each(l->m, find_oldest, &o);
        if (o.key) {
            char *k = strdup(o.key);
            if (k)
                strmap_del(l->m, k, strlen(k));
            free(k);
        }
        l->dropped++;
    }
    v = strmap_get(l->m, key, klen, NULL);
    if (v)
        *v = (struct lg_ent){first, last, total, sev};
    return LG_NEW; /* even when it could not be remembered: raising it matters more */
}

size_t ledger_count(const struct ledger *l)
{
    return strmap_len(l->m);
}

uint64_t ledger_dropped(const struct ledger *l)
{
    return l->dropped;
}

struct each_ctx {
    void (*cb)(void *ctx, const char *key, int64_t first, int64_t last, uint64_t total,
               int sev);
    void *ctx;
};

static void each_one(void *ctx, const struct strmap_entry *e)
{
    struct each_ctx *c = ctx;
    const struct lg_ent *v = e->val;
    c->cb(c->ctx, e->key, v->first, v->last, v->total, v->sev);
}

void ledger_each(const struct ledger *l,
                 void (*cb)(void *ctx, const char *key, int64_t first, int64_t last,
                            uint64_t total, int sev),
                 void *ctx)
{
    struct each_ctx c = {cb, ctx};
    strmap_each(l->m, each_one, &c);
}

void ledger_key(struct buf *b, const struct msl_finding *f, const struct msl_run *run)
{
    const char *entity = f->entity ? f->entity : "";
    /* log-integrity names a file by source id ("#3"), which another run numbers anew */
    if (entity[0] == '#' && f->entity_type && !strcmp(f->entity_type, "file") && run)
        entity = msl_run_source_name(run, (uint32_t)strtoul(entity + 1, NULL, 10));
    buf_adds(b, f->rule ? f->rule : "");
    buf_addc(b, '\x1f');
    buf_adds(b, f->entity_type ? f->entity_type : "");
    buf_addc(b, '\x1f');
    buf_adds(b, entity);
    buf_addc(b, '\x1f');
    buf_adds(b, f->host ? f->host : "");
    /* one rule may report two kinds of finding on one entity (account-burst: a burst and a
     * bounce ratio): the name of the first count tells them apart.  Only the first: the
     * same finding may gain counts as it grows (recipient-harvest's slow form becomes the
     * windowed one, both "unknown_recipients" first) */
    buf_addc(b, '\x1f');
    if (f->ncounts && f->counts[0].name)
        buf_adds(b, f->counts[0].name);
}
