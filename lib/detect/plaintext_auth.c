/*
 * plaintext_auth.c - rule plaintext-auth: SMTP AUTH in a session without TLS (the password
 * crossed the network in clear, PLAIN/LOGIN are base64 only).
 *
 * Streams finished sessions: a session whose connect line is in the logs, that tried AUTH
 * (an AUTH line, or auth=N in the disconnect counters) and logged no TLS handshake.  Postfix logs inbound TLS only with
 * smtpd_tls_loglevel >= 1, so absence of TLS lines proves nothing on a host that never
 * logs any: findings are made only for hosts that logged TLS for some session; for the
 * others a note says the rule could not judge.  One finding per host + client IP, with
 * the number of sessions and user names; at most max_keys of them.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

struct cand {
    char *host, *ip;
    uint64_t sessions;
    char *users[4];
    size_t nusers;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *cands;   /* "host\nip" */
    struct strmap *tlshost; /* hosts with at least one TLS session */
    struct strmap *authhost; /* hosts with AUTH sessions */
    uint64_t dropped;
};

static int tried_auth(const struct msl_session *s)
{
    if (s->nauths)
        return 1;
    const char *a = s->counters ? strstr(s->counters, "auth=") : NULL;
    return a && a[5] >= '1' && a[5] <= '9';
}

static void on_session(void *p, const struct msl_session *ss)
{
    struct st *s = p;
    const char *host = ss->host ? ss->host : "";
    if (ss->tls_proto) {
        if (strmap_len(s->tlshost) < s->env->max_keys)
            strmap_get(s->tlshost, host, strlen(host), NULL);
        return;
    }
    /* without its connect line the session's start (where TLS would be) is not in the
     * logs: an excerpt, or a session begun before the first file; no verdict */
    if (!tried_auth(ss) || !ss->client_ip || !ss->saw_connect)
        return;
    if (strmap_len(s->authhost) < s->env->max_keys)
        strmap_get(s->authhost, host, strlen(host), NULL);
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s", host, ss->client_ip);
    if (n <= 0)
        return;
    struct cand *c = strmap_find(s->cands, key, strlen(key));
    if (!c) {
        if (strmap_len(s->cands) >= s->env->max_keys) {
            s->dropped++;
            return;
        }
        c = strmap_get(s->cands, key, strlen(key), NULL);
        if (!c)
            return;
        c->host = det_strdup(host);
        c->ip = det_strdup(ss->client_ip);
    }
    c->sessions++;
    for (size_t i = 0; i < ss->nauths; i++) {
        const char *u = ss->auths[i].user;
        size_t j = 0;
        while (u && j < c->nusers && strcmp(c->users[j], u) != 0)
            j++;
        if (u && j == c->nusers && c->nusers < 4)
            c->users[c->nusers++] = det_strdup(u);
    }
    char rel[700];
    snprintf(rel, sizeof rel, "%s %s[%lld] %s", host, ss->program ? ss->program : "?",
             (long long)ss->pid, ss->client_ip);
    det_related(s->env, &c->f.sessions, &c->f.nsessions, rel);
    uint64_t before = c->f.evidence_total;
    for (int pass = 0; pass < 2 && c->f.evidence_total == before; pass++) {
        for (size_t i = 0; i < ss->nlines; i++) {
            const struct msl_evline *l = &ss->lines[i];
            int want = pass == 0 ? l->kind == MSL_EV_AUTH_OK || l->kind == MSL_EV_AUTH_FAIL
                                 : l->kind == MSL_EV_RECEIVED || l->kind == MSL_EV_DISCONNECT;
            if (!want)
                continue;
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, &c->f, l->ts, &l->ev, raw);
        }
    }
}

struct judge {
    struct st *s;
};

static void judge(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ((struct judge *)ctx)->s;
    struct cand *c = ent->val;
    if (!strmap_find(s->tlshost, c->host, strlen(c->host)))
        return;
    struct msl_finding *f = &c->f;
    f->rule = "plaintext-auth";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(c->ip);
    f->host = det_strdup(c->host);
    det_set_count(f, "sessions", (int64_t)c->sessions);
    det_set_count(f, "users", (int64_t)c->nusers);
    det_title(f, "AUTH without TLS from %s (%llu sessions)", c->ip,
              (unsigned long long)c->sessions);
    det_explain(f, "%llu SMTP sessions from %s to %s authenticated (or tried to) without a TLS "
                   "handshake, although %s logs TLS for other sessions.  PLAIN and LOGIN send "
                   "the password base64-encoded, i.e. in clear: anyone on the path can read "
                   "it.  Set smtpd_tls_auth_only = yes and treat the passwords%s%s as exposed.",
                (unsigned long long)c->sessions, c->ip, c->host, c->host,
                c->nusers ? " of " : "", c->nusers ? c->users[0] : "");
    msl_hunt_emit(s->env->hunt, f);
}

static void note_host(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    if (!strmap_find(s->tlshost, ent->key, ent->klen))
        msl_hunt_note(s->env->hunt, "plaintext-auth: %s logged AUTH but no TLS handshake at all; "
                      "TLS logging is probably off (smtpd_tls_loglevel = 0), so AUTH outside "
                      "TLS cannot be told apart from AUTH inside it", ent->key);
}

static void finish(void *p)
{
    struct st *s = p;
    struct judge j = {s};
    strmap_each(s->cands, judge, &j);
    strmap_each(s->authhost, note_host, s);
}

static void free_cand(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct cand *c = ent->val;
    free(c->host);
    free(c->ip);
    for (size_t i = 0; i < c->nusers; i++)
        free(c->users[i]);
    det_finding_clear(&c->f);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->cands = strmap_new(sizeof(struct cand));
    s->tlshost = strmap_new(1);
    s->authhost = strmap_new(1);
    if (!s->cands || !s->tlshost || !s->authhost) {
        strmap_free(s->cands);
        strmap_free(s->tlshost);
        strmap_free(s->authhost);
        free(s);
        return NULL;
    }
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->cands, free_cand, NULL);
    strmap_free(s->cands);
    strmap_free(s->tlshost);
    strmap_free(s->authhost);
    free(s);
}

const struct msl_detector msl_det_plaintext_auth = {
    .id = "plaintext-auth",
    .severity = MSL_FSEV_MEDIUM,
    .description = "SMTP AUTH in a session without TLS (password in clear)",
    .new = new_st,
    .on_session = on_session,
    .finish = finish,
    .free = free_st,
};
