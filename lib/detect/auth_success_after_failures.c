/*
 * auth_success_after_failures.c - rule auth-success-after-failures: a successful SMTP
 * AUTH for a user, or from an IP, that had at least `threshold` failures within `window`
 * before it (default 5 in 1 h): the guessing worked, the credential is likely compromised.
 *
 * Streams events: AUTH_FAIL feeds two rings of the last `threshold` failures (per client
 * IP, per user); a success is AUTH_OK or a Postfix RECEIVED line with sasl_username= (Postfix
 * logs successful logins only there).  Keys idle for `window` of log time are freed.  The
 * rings are emptied once a finding is made, so one compromise is reported once, however
 * many messages the session then sends.  The user is marked for account-burst.
 */
#include <stdlib.h>
#include <string.h>

#define RING_MIN 32 /* failures remembered per IP and per user */

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"threshold", MSL_P_INT, 5, 1, 1000000, "failures before the success"},
    {"window", MSL_P_DURATION, 3600, 1, 30 * 86400, "...within this time before it"},
};

struct key {
    struct det_ring r;
    int64_t last_ts;
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *ip, *user;
    int64_t now, window_us;
    uint64_t hits, dropped;
    struct det_sweeper sw_ip, sw_user; /* full-table sweeps, at most once a log second */
};

static void free_key(void *val, void *ctx)
{
    (void)ctx;
    det_ring_free(&((struct key *)val)->r);
}

static int stale(void *val, void *ctx)
{
    struct st *s = ctx;
    return ((struct key *)val)->last_ts + s->window_us < s->now;
}

static int all(void *val, void *ctx)
{
    (void)val;
    (void)ctx;
    return 1;
}

static struct key *get(struct st *s, struct strmap *m, struct msl_str k, int create)
{
    struct key *v = strmap_find(m, k.p, k.n);
    if (v || !create)
        return v;
    if (strmap_len(m) >= s->env->max_keys) {
        struct det_sweeper *w = m == s->ip ? &s->sw_ip : &s->sw_user;
        if (det_sweep_due(w, strmap_len(m), s->env->max_keys, s->now))
            det_sweep(m, stale, free_key, s);
        if (strmap_len(m) >= s->env->max_keys) {
            s->dropped++;
            return NULL;
        }
    }
    v = strmap_get(m, k.p, k.n, NULL);
    /* the ring remembers more than the threshold so the count of a longer run is exact (up
     * to RING_MIN) and its evidence complete */
    size_t cap = (size_t)s->env->params[0] > RING_MIN ? (size_t)s->env->params[0] : RING_MIN;
    if (v && det_ring_init(&v->r, cap) != MSL_OK) {
        strmap_del(m, k.p, k.n);
        return NULL;
    }
    return v;
}

/* Failures in the ring within the window before ts. */
static size_t recent(const struct st *s, const struct key *k, int64_t ts)
{
    size_t n = 0;
    for (size_t i = 0; k && i < k->r.n; i++) {
        const struct msl_fevidence *fe = det_ring_at(&k->r, i);
        if (fe->ts + s->window_us >= ts && fe->ts <= ts)
            n++;
    }
    return n;
}

/* Cites the failures of k within the window before ts, skipping lines also in `other`
 * (a failure is in both rings when it names the IP and the user). */
static void cite_ring(struct st *s, struct msl_finding *f, const struct key *k,
                      const struct key *other, int64_t ts)
{
    for (size_t i = 0; k && i < k->r.n; i++) {
        const struct msl_fevidence *fe = det_ring_at(&k->r, i);
        if (fe->ts + s->window_us < ts || fe->ts > ts)
            continue;
        int dup = 0;
        for (size_t j = 0; other && j < other->r.n && !dup; j++) {
            const struct msl_fevidence *o = det_ring_at(&other->r, j);
            dup = o->ev.src == fe->ev.src && o->ev.line == fe->ev.line &&
                  o->ts + s->window_us >= ts;
        }
        if (!dup)
            det_cite_fe(s->env, f, fe);
    }
}

static void success(struct st *s, const struct msl_event *e)
{
    struct key *ki = e->client_ip.n ? get(s, s->ip, e->client_ip, 0) : NULL;
    struct key *ku = e->sasl_user.n ? get(s, s->user, e->sasl_user, 0) : NULL;
    size_t thr = (size_t)s->env->params[0];
    size_t ni = recent(s, ki, e->ts), nu = recent(s, ku, e->ts);
    if (ni < thr && nu < thr)
        return;
    struct msl_finding f = {0};
    f.rule = "auth-success-after-failures";
    f.severity = s->env->severity;
    int by_user = e->sasl_user.n > 0;
    f.entity_type = by_user ? "user" : "ip";
    f.entity = by_user ? det_strndup(e->sasl_user.p, e->sasl_user.n)
                       : det_strndup(e->client_ip.p, e->client_ip.n);
    f.host = det_strndup(e->host.p, e->host.n);
    cite_ring(s, &f, ki, NULL, e->ts);
    cite_ring(s, &f, ku, ki, e->ts);
    uint64_t failures = f.evidence_total;
    det_cite(s->env, &f, e->ts, &e->ev, e->raw);
    det_related_session(s->env, &f, e);
    if (e->kind == MSL_EV_RECEIVED && e->qid.n) {
        char *h = det_strndup(e->host.p, e->host.n), *q = det_strndup(e->qid.p, e->qid.n);
        det_related_message(s->env, &f, h, q);
        free(h);
        free(q);
    }
    det_set_count(&f, "failures", (int64_t)failures);
    det_set_count(&f, "failures_from_ip", (int64_t)ni);
    det_set_count(&f, "failures_for_user", (int64_t)nu);
    det_title(&f, "login succeeded after %llu failures: user %.*s from %.*s",
              (unsigned long long)failures, (int)e->sasl_user.n,
              e->sasl_user.p ? e->sasl_user.p : "?", (int)e->client_ip.n,
              e->client_ip.p ? e->client_ip.p : "?");
    det_explain(&f, "SMTP authentication as %.*s from %.*s succeeded after %zu failed attempts "
                    "from that IP and %zu for that user within the %lld s before (threshold "
                    "%zu).  A success at the end of a guessing run means the password was "
                    "likely found: treat the credential as compromised, reset it, and review "
                    "what this account sent afterwards (rule account-burst, `mailsleuth search "
                    "user:...`).",
                (int)e->sasl_user.n, e->sasl_user.p ? e->sasl_user.p : "?", (int)e->client_ip.n,
                e->client_ip.p ? e->client_ip.p : "?", ni, nu,
                (long long)(s->window_us / US_PER_S), thr);
    if (e->sasl_user.n) {
        char *u = det_strndup(e->sasl_user.p, e->sasl_user.n);
        if (u)
            msl_hunt_mark_user(s->env->hunt, u, e->ts);
        free(u);
    }
    msl_hunt_emit(s->env->hunt, &f);
    if (ki)
        det_ring_clear(&ki->r);
    if (ku)
        det_ring_clear(&ku->r);
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->ts > s->now)
        s->now = e->ts;
    if (e->kind == MSL_EV_AUTH_FAIL) {
        if ((++s->hits & 4095) == 0) {
            det_sweep(s->ip, stale, free_key, s);
            det_sweep(s->user, stale, free_key, s);
        }
        struct key *k;
        if (e->client_ip.n && (k = get(s, s->ip, e->client_ip, 1))) {
            det_ring_push(s->env, &k->r, e->ts, &e->ev, e->raw);
            k->last_ts = e->ts;
        }
        if (e->sasl_user.n && (k = get(s, s->user, e->sasl_user, 1))) {
            det_ring_push(s->env, &k->r, e->ts, &e->ev, e->raw);
            k->last_ts = e->ts;
        }
    } else if (e->kind == MSL_EV_AUTH_OK ||
               (e->kind == MSL_EV_RECEIVED && e->sasl_user.n)) {
        success(s, e);
    }
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->window_us = env->params[1] * US_PER_S;
    s->ip = strmap_new(sizeof(struct key));
    s->user = strmap_new(sizeof(struct key));
    if (!s->ip || !s->user) {
        strmap_free(s->ip);
        strmap_free(s->user);
        free(s);
        return NULL;
    }
    return s;
}

static void finish(void *p)
{
    struct st *s = p;
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "auth-success-after-failures: key table full (%zu); %llu "
                      "failures not tracked", s->env->max_keys, (unsigned long long)s->dropped);
}

static void free_st(void *p)
{
    struct st *s = p;
    det_sweep(s->ip, all, free_key, s);
    det_sweep(s->user, all, free_key, s);
    strmap_free(s->ip);
    strmap_free(s->user);
    free(s);
}

const struct msl_detector msl_det_auth_success_after_failures = {
    .id = "auth-success-after-failures",
    .severity = MSL_FSEV_CRITICAL,
    .description = "a successful login for a user or from an IP right after many failures",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
