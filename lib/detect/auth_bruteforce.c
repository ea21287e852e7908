/*
 * auth_bruteforce.c - rule auth-bruteforce: one client IP failing SMTP AUTH at least
 * `threshold` times within `window` (default 5 in 10 minutes): password guessing.
 *
 * Streams AUTH_FAIL events; state is a det_kwt keyed by client IP (ring of the last
 * `threshold` failures, distinct user names of the incident).  One finding per IP and
 * incident; an incident ends after `window` without a failure.  Failures without a client
 * IP (some MTAs log none) are keyed by "host/user".
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"threshold", MSL_P_INT, 5, 1, 1000000, "failures from one IP that make a brute force"},
    {"window", MSL_P_DURATION, 600, 1, 30 * 86400, "...within this time"},
};

struct st {
    const struct msl_detect_env *env;
    struct det_kwt t;
};

static void close_cb(void *ctx, const char *key, struct det_kw *kw)
{
    struct st *s = ctx;
    struct msl_finding *f = &kw->inc;
    f->rule = "auth-bruteforce";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(key);
    f->host = det_strdup(kw->host);
    det_set_count(f, "failures", (int64_t)f->evidence_total);
    det_set_count(f, "users", (int64_t)(kw->nvals + kw->vals_more));
    det_title(f, "SMTP AUTH brute force: %llu failed logins from %s",
              (unsigned long long)f->evidence_total, key);
    char users[600] = "";
    size_t used = 0;
    for (size_t i = 0; i < kw->nvals && i < 5 && used < sizeof users; i++) {
        int w = snprintf(users + used, sizeof users - used, "%s%s", i ? ", " : "", kw->vals[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    det_explain(f, "The client %s failed SMTP authentication %llu times between the first and "
                   "last cited line, at least %lld of them within %lld s (the rule's threshold). "
                   "%s%s%s This is the pattern of password guessing; check whether any login "
                   "from this address succeeded (rule auth-success-after-failures) and block it "
                   "at the firewall or with fail2ban/postscreen.",
                key, (unsigned long long)f->evidence_total, (long long)s->env->params[0],
                (long long)s->env->params[1], kw->nvals ? "User names tried: " : "",
                users, kw->nvals > 5 || kw->vals_more ? ", ..." : (kw->nvals ? "." : ""));
    msl_hunt_emit(s->env->hunt, f);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    if (det_kwt_init(&s->t, env, (size_t)env->params[0], env->params[1], close_cb, s)) {
        free(s);
        return NULL;
    }
    return s;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_AUTH_FAIL)
        return;
    char key[512];
    int n;
    if (e->client_ip.n)
        n = snprintf(key, sizeof key, "%.*s", (int)e->client_ip.n, e->client_ip.p);
    else
        n = snprintf(key, sizeof key, "%.*s/%.*s", (int)e->host.n, e->host.p ? e->host.p : "",
                     (int)e->sasl_user.n, e->sasl_user.p ? e->sasl_user.p : "?");
    if (n <= 0)
        return;
    det_kwt_hit(&s->t, key, strlen(key), e, e->sasl_user);
}

static void finish(void *p)
{
    struct st *s = p;
    det_kwt_finish(&s->t);
}

static void free_st(void *p)
{
    struct st *s = p;
    det_kwt_free(&s->t);
    free(s);
}

const struct msl_detector msl_det_auth_bruteforce = {
    .id = "auth-bruteforce",
    .severity = MSL_FSEV_HIGH,
    .description = "many SMTP AUTH failures from one IP in a short time (password guessing)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
