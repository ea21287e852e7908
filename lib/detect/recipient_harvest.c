/*
 * recipient_harvest.c - rule recipient-harvest: a client guessing addresses (directory
 * harvest).  Fires for a client IP with at least `threshold` unknown-recipient rejects
 * within `window` (default 10 in 10 min), or, over the whole log, at least `min_unknown`
 * unknown-recipient rejects making up at least `unknown_pct` of its RCPT attempts (default
 * 5 and 50 %), or a `too many errors after RCPT` disconnect after unknown recipients.
 *
 * Streams events: REJECT lines whose reply says the user is unknown (550 5.1.1, "User
 * unknown", "No such user", "unknown user", OpenSMTPD "Invalid recipient"; the client of a
 * line that names only its session comes from the session's connect: the hunt fills it for every rule, det_session_ip.h), DISCONNECT command counters (rcpt=ok/total)
 * for the attempts, and "too many errors after RCPT" lines.  State per client IP: a det_kwt
 * for windows plus totals and up to max_evidence cited lines; max_keys clients.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"threshold", MSL_P_INT, 10, 1, 1000000, "unknown-recipient rejects from one client"},
    {"window", MSL_P_DURATION, 600, 1, 30 * 86400, "...within this time"},
    {"min_unknown", MSL_P_INT, 5, 1, 1000000, "unknown recipients needed for the ratio test"},
    {"unknown_pct", MSL_P_PERCENT, 50, 1, 100, "share of RCPT attempts that were unknown"},
};

struct client {
    uint64_t unknown, attempts, toomany;
    int windowed;
    struct msl_finding f;
    char *host;
};

struct st {
    const struct msl_detect_env *env;
    struct det_kwt t;
    struct strmap *c;
    uint64_t dropped;
};

static void window_cb(void *ctx, const char *key, struct det_kw *kw)
{
    struct st *s = ctx;
    struct client *c = s->c ? strmap_find(s->c, key, strlen(key)) : NULL;
    if (c)
        c->windowed++;
    struct msl_finding *f = &kw->inc;
    f->rule = "recipient-harvest";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(key);
    f->host = det_strdup(kw->host);
    det_set_count(f, "unknown_recipients", (int64_t)f->evidence_total);
    det_title(f, "recipient harvesting from %s: %llu unknown recipients", key,
              (unsigned long long)f->evidence_total);
    det_explain(f, "The client %s was refused %llu recipients as unknown, at least %lld within "
                   "%lld s.  Trying many addresses that do not exist is how spammers harvest "
                   "the valid ones (directory harvest attack); the accepted ones will get "
                   "spam.  Block or rate-limit the client (postscreen, "
                   "smtpd_hard_error_limit).",
                key, (unsigned long long)f->evidence_total, (long long)s->env->params[0],
                (long long)s->env->params[1]);
    msl_hunt_emit(s->env->hunt, f);
}

static int is_unknown_rcpt(const struct msl_event *e)
{
    if (e->kind != MSL_EV_REJECT || (e->action != MSL_ACT_REJECT && e->action != MSL_ACT_NONE))
        return 0;
    if (e->stage.n && !det_contains(e->stage, "RCPT"))
        return 0;
    return det_contains(e->text, "user unknown") || det_contains(e->text, "unknown user") ||
           det_contains(e->text, "no such user") || det_contains(e->text, "5.1.1") ||
           det_contains(e->text, "mailbox unavailable") ||
           det_contains(e->text, "invalid recipient") || /* OpenSMTPD: no match rule took it */
           det_contains(e->text, "recipient address rejected: undeliverable");
}

static struct client *client(struct st *s, const struct msl_event *e)
{
    struct client *c = strmap_find(s->c, e->client_ip.p, e->client_ip.n);
    if (c)
        return c;
    if (strmap_len(s->c) >= s->env->max_keys) {
        s->dropped++;
        return NULL;
    }
    c = strmap_get(s->c, e->client_ip.p, e->client_ip.n, NULL);
    if (c)
        c->host = det_strndup(e->host.p, e->host.n);
    return c;
}

/* rcpt=OK/TOTAL or rcpt=N in Postfix disconnect counters: the attempts. */
static uint64_t rcpt_attempts(struct msl_str t)
{
    for (size_t i = 0; t.p && i + 5 <= t.n; i++) {
        if (memcmp(t.p + i, "rcpt=", 5) != 0 || (i && t.p[i - 1] != ' '))
            continue;
        size_t j = i + 5;
        uint64_t a = 0, b = 0;
        while (j < t.n && t.p[j] >= '0' && t.p[j] <= '9' && a < 1000000000)
            a = a * 10 + (uint64_t)(t.p[j++] - '0');
        if (j < t.n && t.p[j] == '/') {
            j++;
            while (j < t.n && t.p[j] >= '0' && t.p[j] <= '9' && b < 1000000000)
                b = b * 10 + (uint64_t)(t.p[j++] - '0');
            return b;
        }
        return a;
    }
    return 0;
}

static void on_event(void *p, const struct msl_event *ev)
{
    struct st *s = p;
    const struct msl_event *e = ev; /* client_ip filled by the hunt from the session */
    if (!e->client_ip.n)
        return;
    if (is_unknown_rcpt(e)) {
        struct client *c = client(s, e);
        if (c) {
            c->unknown++;
            det_cite(s->env, &c->f, e->ts, &e->ev, e->raw);
            det_related_session(s->env, &c->f, e);
        }
        det_kwt_hit(&s->t, e->client_ip.p, e->client_ip.n, e, e->to);
    } else if (e->kind == MSL_EV_DISCONNECT) {
        struct client *c = strmap_find(s->c, e->client_ip.p, e->client_ip.n);
        if (c)
            c->attempts += rcpt_attempts(e->text);
    }
    if ((e->kind == MSL_EV_DISCONNECT || e->kind == MSL_EV_REJECT) &&
        det_contains(e->raw, "too many errors after RCPT")) {
        struct client *c = strmap_find(s->c, e->client_ip.p, e->client_ip.n);
        if (c) {
            c->toomany++;
            det_cite(s->env, &c->f, e->ts, &e->ev, e->raw);
        }
    }
}

static void each(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct client *c = ent->val;
    uint64_t attempts = c->attempts > c->unknown ? c->attempts : c->unknown;
    int ratio = c->unknown >= (uint64_t)s->env->params[2] &&
                c->unknown * 100 >= (uint64_t)s->env->params[3] * attempts;
    int toomany = c->toomany && c->unknown;
    if (c->windowed || (!ratio && !toomany)) {
        det_finding_clear(&c->f);
        free(c->host);
        return;
    }
    struct msl_finding *f = &c->f;
    f->rule = "recipient-harvest";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(ent->key);
    f->host = c->host;
    c->host = NULL;
    det_set_count(f, "unknown_recipients", (int64_t)c->unknown);
    det_set_count(f, "rcpt_attempts", (int64_t)attempts);
    det_set_count(f, "too_many_errors", (int64_t)c->toomany);
    det_title(f, "recipient harvesting from %s: %llu of %llu recipients unknown", ent->key,
              (unsigned long long)c->unknown, (unsigned long long)attempts);
    det_explain(f, "%llu of the %llu recipients the client %s tried were refused as unknown "
                   "(%llu%%)%s.  A sender that mostly guesses wrong is probing for valid "
                   "addresses (directory harvest), even when it goes slowly enough to stay "
                   "under the per-window threshold.",
                (unsigned long long)c->unknown, (unsigned long long)attempts, ent->key,
                (unsigned long long)(attempts ? c->unknown * 100 / attempts : 0),
                c->toomany ? "; Postfix dropped it for too many errors after RCPT" : "");
    msl_hunt_emit(s->env->hunt, f);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->c = strmap_new(sizeof(struct client));
    if (!s->c ||
        det_kwt_init(&s->t, env, (size_t)env->params[0], env->params[1], window_cb, s)) {
        strmap_free(s->c);
        free(s);
        return NULL;
    }
    return s;
}

static void finish(void *p)
{
    struct st *s = p;
    det_kwt_finish(&s->t);
    strmap_each(s->c, each, s);
    strmap_free(s->c);
    s->c = NULL;
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "recipient-harvest: more than %zu clients; %llu rejects "
                      "not tracked", s->env->max_keys, (unsigned long long)s->dropped);
}

static void free_client(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct client *c = ent->val;
    det_finding_clear(&c->f);
    free(c->host);
}

static void free_st(void *p)
{
    struct st *s = p;
    det_kwt_free(&s->t);
    if (s->c) {
        strmap_each(s->c, free_client, NULL);
        strmap_free(s->c);
    }
    free(s);
}

const struct msl_detector msl_det_recipient_harvest = {
    .id = "recipient-harvest",
    .severity = MSL_FSEV_MEDIUM,
    .description = "a client trying many unknown recipients (directory harvest)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
