/*
 * auth_spray.c - rule auth-spray: password spraying.  One client IP failing SMTP AUTH for
 * at least `users` distinct user names within `window` (default 5 in 1 h), or one user
 * name failing from at least `ips` distinct client IPs within `window` (a distributed
 * attack on one account, default 5 IPs in 1 h).
 *
 * Streams AUTH_FAIL events that name a user.  Two tables (by IP, by user); each key holds
 * its distinct values with the time they were last seen (at most `cap` of them, the
 * oldest replaced first) and the incident under construction.  A key idle for `window` in
 * log time is closed and freed; at most max_keys keys per table.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"users", MSL_P_INT, 5, 2, 100000, "distinct user names failing from one IP"},
    {"ips", MSL_P_INT, 5, 2, 100000, "distinct IPs failing for one user (distributed)"},
    {"window", MSL_P_DURATION, 3600, 1, 30 * 86400, "...within this time"},
};

struct dval {
    char *v;
    int64_t ts;
    struct msl_fevidence fe; /* the value's first line, cited when the incident opens */
};

struct dkey {
    struct dval *vals;
    size_t n;
    struct msl_finding inc;
    int open;
    uint64_t distinct; /* distinct values seen during the incident (approximate past cap) */
    int64_t last_ts;
    char *host;
};

struct table {
    struct strmap *m;
    size_t threshold, cap;
    int by_user;
    uint64_t dropped;
    struct det_sweeper sw;
};

struct st {
    const struct msl_detect_env *env;
    int64_t window_us, now;
    uint64_t hits;
    struct table ip, user;
};

static void clear_vals(struct dkey *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->vals[i].v);
        free(k->vals[i].fe.text);
    }
    k->n = 0;
}

static void close_key(struct st *s, struct table *t, const char *key, struct dkey *k)
{
    if (k->open) {
        struct msl_finding *f = &k->inc;
        f->rule = "auth-spray";
        f->severity = s->env->severity;
        f->entity_type = t->by_user ? "user" : "ip";
        f->entity = det_strdup(key);
        f->host = det_strdup(k->host);
        det_set_count(f, "failures", (int64_t)f->evidence_total);
        det_set_count(f, t->by_user ? "ips" : "users", (int64_t)k->distinct);
        if (t->by_user) {
            det_title(f, "distributed password attack on %s from %llu IPs", key,
                      (unsigned long long)k->distinct);
            det_explain(f, "The account %s failed SMTP authentication from %llu different "
                           "client IPs (%llu failures), at least %zu of them within %lld s. "
                           "Many sources against one account is a distributed guessing "
                           "attack that per-IP limits do not stop; consider locking or "
                           "renaming the account and watch for a success "
                           "(auth-success-after-failures).",
                        key, (unsigned long long)k->distinct,
                        (unsigned long long)f->evidence_total, t->threshold,
                        (long long)(s->window_us / US_PER_S));
        } else {
            det_title(f, "password spraying from %s: %llu user names", key,
                      (unsigned long long)k->distinct);
            det_explain(f, "The client %s failed SMTP authentication for %llu different user "
                           "names (%llu failures), at least %zu of them within %lld s.  Trying "
                           "few passwords against many accounts is password spraying; it stays "
                           "under per-account lockouts.  Block the source and check the named "
                           "accounts for successful logins.",
                        key, (unsigned long long)k->distinct,
                        (unsigned long long)f->evidence_total, t->threshold,
                        (long long)(s->window_us / US_PER_S));
        }
        msl_hunt_emit(s->env->hunt, f);
    }
    det_finding_clear(&k->inc);
    k->open = 0;
    k->distinct = 0;
    clear_vals(k);
}

struct sweep {
    struct st *s;
    struct table *t;
    int all;
};

static int stale(void *val, void *ctx)
{
    struct sweep *w = ctx;
    struct dkey *k = val;
    return w->all || k->last_ts + w->s->window_us < w->s->now;
}

struct keyfind {
    const void *val;
    const char *key;
};

static void keyfind_cb(void *ctx, const struct strmap_entry *e)
{
    struct keyfind *f = ctx;
    if (e->val == f->val)
        f->key = e->key;
}

static void drop(void *val, void *ctx)
{
    struct sweep *w = ctx;
    struct dkey *k = val;
    struct keyfind kf = {val, "?"};
    if (k->open)
        strmap_each(w->t->m, keyfind_cb, &kf);
    close_key(w->s, w->t, kf.key, k);
    free(k->vals);
    free(k->host);
}

static void sweep(struct st *s, struct table *t, int all)
{
    struct sweep w = {s, t, all};
    if (t->m)
        det_sweep(t->m, stale, drop, &w);
}

static void hit(struct st *s, struct table *t, struct msl_str key, struct msl_str val,
                const struct msl_event *e)
{
    const struct msl_detect_env *env = s->env;
    if (strmap_len(t->m) >= env->max_keys &&
        det_sweep_due(&t->sw, strmap_len(t->m), env->max_keys, s->now))
        sweep(s, t, 0);
    struct dkey *k = strmap_find(t->m, key.p, key.n);
    if (!k) {
        if (strmap_len(t->m) >= env->max_keys) {
            t->dropped++;
            return;
        }
        k = strmap_get(t->m, key.p, key.n, NULL);
        if (!k)
            return;
        k->vals = calloc(t->cap, sizeof *k->vals);
        k->host = det_strndup(e->host.p, e->host.n);
        if (!k->vals)
            return;
    }
    if (k->open && e->ts - k->last_ts > s->window_us) {
        char *kc = det_strndup(key.p, key.n);
        close_key(s, t, kc ? kc : "?", k);
        free(kc);
    }
    k->last_ts = e->ts;
    /* forget values older than the window */
    size_t j = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (k->vals[i].ts + s->window_us < e->ts) {
            free(k->vals[i].v);
            free(k->vals[i].fe.text);
        } else {
            k->vals[j++] = k->vals[i];
        }
    }
    k->n = j;
    size_t at = k->n;
    for (size_t i = 0; i < k->n; i++)
        if (strlen(k->vals[i].v) == val.n && !memcmp(k->vals[i].v, val.p, val.n))
            at = i;
    if (at == k->n) {
        if (k->n == t->cap) { /* replace the oldest */
            free(k->vals[0].v);
            free(k->vals[0].fe.text);
            memmove(k->vals, k->vals + 1, (k->n - 1) * sizeof *k->vals);
            k->n--;
            at = k->n;
        }
        struct dval *d = &k->vals[k->n++];
        d->v = det_strndup(val.p, val.n);
        d->fe.ev = e->ev;
        d->fe.ts = e->ts;
        d->fe.text = env->show_lines && e->raw.p ? det_strndup(e->raw.p, e->raw.n) : NULL;
        if (!d->v) {
            free(d->fe.text);
            k->n--;
            return;
        }
        if (k->open)
            k->distinct++;
    }
    k->vals[at].ts = e->ts;
    det_related_session(env, &k->inc, e);
    if (k->open) {
        det_cite(env, &k->inc, e->ts, &e->ev, e->raw);
    } else if (k->n >= t->threshold) {
        k->open = 1;
        k->distinct = k->n;
        for (size_t i = 0; i < k->n; i++)
            if (k->vals[i].fe.ts != e->ts || k->vals[i].fe.ev.line != e->ev.line)
                det_cite_fe(env, &k->inc, &k->vals[i].fe);
        det_cite(env, &k->inc, e->ts, &e->ev, e->raw);
    }
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->window_us = env->params[2] * US_PER_S;
    s->ip = (struct table){strmap_new(sizeof(struct dkey)), (size_t)env->params[0], 0, 0, 0, {0, 0, 0}};
    s->user = (struct table){strmap_new(sizeof(struct dkey)), (size_t)env->params[1], 0, 1, 0, {0, 0, 0}};
    s->ip.cap = s->ip.threshold * 2;
    s->user.cap = s->user.threshold * 2;
    if (!s->ip.m || !s->user.m) {
        strmap_free(s->ip.m);
        strmap_free(s->user.m);
        free(s);
        return NULL;
    }
    return s;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_AUTH_FAIL || !e->sasl_user.n || !e->client_ip.n)
        return;
    if (e->ts > s->now)
        s->now = e->ts;
    if ((++s->hits & 4095) == 0) {
        sweep(s, &s->ip, 0);
        sweep(s, &s->user, 0);
    }
    hit(s, &s->ip, e->client_ip, e->sasl_user, e);
    hit(s, &s->user, e->sasl_user, e->client_ip, e);
}

static void finish(void *p)
{
    struct st *s = p;
    sweep(s, &s->ip, 1);
    sweep(s, &s->user, 1);
    if (s->ip.dropped + s->user.dropped)
        msl_hunt_note(s->env->hunt, "auth-spray: key table full (%zu); %llu failures not "
                      "tracked", s->env->max_keys,
                      (unsigned long long)(s->ip.dropped + s->user.dropped));
}

static void free_st(void *p)
{
    struct st *s = p;
    sweep(s, &s->ip, 1);
    sweep(s, &s->user, 1);
    strmap_free(s->ip.m);
    strmap_free(s->user.m);
    free(s);
}

const struct msl_detector msl_det_auth_spray = {
    .id = "auth-spray",
    .severity = MSL_FSEV_HIGH,
    .description = "one IP failing AUTH for many user names, or one user failing from many IPs",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
