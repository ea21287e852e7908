/*
 * open_relay.c - rule open-relay: an unauthenticated client outside the trusted networks
 * whose mail for an external domain was actually delivered (critical: the server relays
 * for anyone, or for someone it should not).
 *
 * Local domains and trusted networks are inferred from the logs unless given:
 *  - a domain is local on a host when that host delivered a recipient of it with local,
 *    virtual or lmtp (--local-domain adds domains for every host);
 *  - without --trusted-net, a client that relayed to external domains without AUTH is
 *    taken as trusted (mynetworks), unless the same logs show it refused with "Relay
 *    access denied": a client that is refused relaying and yet relays is reported.
 *    With --trusted-net, every unauthenticated relaying client outside those nets is
 *    reported.  The inference is stated as notes in the output.
 * Streams finished messages (and REJECT events for the refusals).  A message counts when
 * it has a client IP, no SASL user, is not a content filter hand-off (reinjected_as) and a
 * recipient outside the host's local domains was sent by smtp.  State: per host its local
 * domains, per host+client a candidate (counts, domains, cited lines); judged at the end
 * because a domain may prove local only later in the log.  All tables capped at max_keys.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

#define CAND_DOMAINS 16

struct cand {
    char *host, *ip;
    uint64_t msgs;
    char *dom[CAND_DOMAINS];
    uint64_t domn[CAND_DOMAINS];
    size_t ndom;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *local;  /* "host\ndomain" -> char */
    struct strmap *cands;  /* "host\nip" -> struct cand */
    struct strmap *denied; /* ip -> char */
    uint64_t dropped;
};

static int local_on(const struct st *s, const char *host, const char *dom)
{
    if (msl_hunt_is_local_domain(s->env->hunt, dom))
        return 1;
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s", host ? host : "", dom);
    return n > 0 && strmap_find(s->local, key, strlen(key)) != NULL;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (det_is_relay_denied(e) && e->client_ip.n && strmap_len(s->denied) < s->env->max_keys)
        strmap_get(s->denied, e->client_ip.p, e->client_ip.n, NULL);
}

static void cite_message(struct st *s, struct msl_finding *f, const struct msl_message *m,
                         const struct msl_delivery *d)
{
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if (l->kind == MSL_EV_RECEIVED || (l->ev.src == d->ev.src && l->ev.line == d->ev.line)) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, f, l->ts, &l->ev, raw);
        }
    }
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (d->status != MSL_ST_SENT || !det_delivered_here(d) || !d->to)
            continue;
        char *dom = det_domain(d->orig_to ? d->orig_to : d->to);
        char key[1024];
        int n = snprintf(key, sizeof key, "%s\n%s", m->host ? m->host : "", dom ? dom : "");
        if (dom && *dom && n > 0 && strmap_len(s->local) < s->env->max_keys)
            strmap_get(s->local, key, strlen(key), NULL);
        free(dom);
    }
    if (!m->client_ip || (m->sasl_user && *m->sasl_user) || m->reinjected_as || m->bounce_of)
        return;
    struct cand *c = NULL;
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (d->status != MSL_ST_SENT || !det_handed_on(d) || !d->to)
            continue;
        char *dom = det_domain(d->to);
        if (!dom || !*dom || local_on(s, m->host, dom)) {
            free(dom);
            continue;
        }
        if (!c) {
            char key[1024];
            int n = snprintf(key, sizeof key, "%s\n%s", m->host ? m->host : "", m->client_ip);
            c = n > 0 ? strmap_find(s->cands, key, strlen(key)) : NULL;
            if (!c && n > 0 && strmap_len(s->cands) < s->env->max_keys) {
                c = strmap_get(s->cands, key, strlen(key), NULL);
                if (c) {
                    c->host = det_strdup(m->host);
                    c->ip = det_strdup(m->client_ip);
                }
            }
            if (!c) {
                s->dropped++;
                free(dom);
                return;
            }
            c->msgs++;
            det_related_message(s->env, &c->f, m->host, m->qid);
        }
        size_t j = 0;
        while (j < c->ndom && strcmp(c->dom[j], dom) != 0)
            j++;
        if (j == c->ndom && c->ndom < CAND_DOMAINS)
            c->dom[c->ndom++] = det_strdup(dom);
        if (j < c->ndom)
            c->domn[j]++;
        cite_message(s, &c->f, m, d);
        free(dom);
    }
}

struct judge {
    struct st *s;
    char trusted[900];
    size_t ntrusted;
};

static void judge_cand(void *ctx, const struct strmap_entry *ent)
{
    struct judge *j = ctx;
    struct st *s = j->s;
    struct cand *c = ent->val;
    char doms[600] = "";
    size_t used = 0, next = 0;
    uint64_t rcpts = 0;
    for (size_t i = 0; i < c->ndom; i++) {
        if (!c->dom[i] || local_on(s, c->host, c->dom[i]))
            continue;
        next++;
        rcpts += c->domn[i];
        int w = snprintf(doms + used, used < sizeof doms ? sizeof doms - used : 0, "%s%s",
                         used ? ", " : "", c->dom[i]);
        used += w > 0 ? (size_t)w : 0;
        if (used >= sizeof doms)
            used = sizeof doms - 1;
    }
    if (!next)
        return;
    int denied = strmap_find(s->denied, c->ip, strlen(c->ip)) != NULL;
    int have = msl_hunt_have_trusted(s->env->hunt);
    if (have ? msl_hunt_is_trusted(s->env->hunt, c->ip) : !denied) {
        if (!have) {
            size_t u = strlen(j->trusted);
            if (j->ntrusted < 20 && u < sizeof j->trusted - 100)
                snprintf(j->trusted + u, sizeof j->trusted - u, "%s%s on %s (%llu messages)",
                         u ? ", " : "", c->ip, c->host ? c->host : "?",
                         (unsigned long long)c->msgs);
            j->ntrusted++;
        }
        return;
    }
    struct msl_finding *f = &c->f;
    f->rule = "open-relay";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(c->ip);
    f->host = det_strdup(c->host);
    det_set_count(f, "messages", (int64_t)c->msgs);
    det_set_count(f, "recipients", (int64_t)rcpts);
    det_set_count(f, "domains", (int64_t)next);
    det_title(f, "open relay: %s relayed %llu messages to external domains without AUTH",
              c->ip, (unsigned long long)c->msgs);
    det_explain(f, "The server %s accepted %llu messages from %s without authentication and "
                   "delivered %llu recipients in domains it does not serve (%s). %s An "
                   "unauthenticated client outside the trusted networks should only be able "
                   "to send to local domains: check mynetworks, smtpd_relay_restrictions and "
                   "relay_domains now.",
                c->host ? c->host : "?", (unsigned long long)c->msgs, c->ip,
                (unsigned long long)rcpts, doms,
                have ? "The client is outside the trusted networks given with --trusted-net."
                     : "The same logs show this client refused with 'Relay access denied', so "
                       "it is not in mynetworks.");
    msl_hunt_emit(s->env->hunt, f);
}

static void free_cand(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct cand *c = ent->val;
    free(c->host);
    free(c->ip);
    for (size_t i = 0; i < c->ndom; i++)
        free(c->dom[i]);
    det_finding_clear(&c->f);
}

struct lnote {
    char buf[900];
    size_t n;
};

static void local_each(void *ctx, const struct strmap_entry *ent)
{
    struct lnote *l = ctx;
    size_t u = strlen(l->buf);
    if (l->n++ < 20 && u < sizeof l->buf - 100) {
        const char *nl = strchr(ent->key, '\n');
        snprintf(l->buf + u, sizeof l->buf - u, "%s%s on %.*s", u ? ", " : "",
                 nl ? nl + 1 : ent->key, nl ? (int)(nl - ent->key) : 0, ent->key);
    }
}

static void finish(void *p)
{
    struct st *s = p;
    struct lnote l = {.n = 0};
    strmap_each(s->local, local_each, &l);
    if (l.n)
        msl_hunt_note(s->env->hunt, "open-relay: local domains inferred from local/virtual/lmtp "
                      "deliveries: %s%s (add more with --local-domain)", l.buf,
                      l.n > 20 ? ", ..." : "");
    struct judge j = {.s = s};
    strmap_each(s->cands, judge_cand, &j);
    if (j.ntrusted)
        msl_hunt_note(s->env->hunt, "open-relay: trusted networks inferred (relayed to external "
                      "domains without AUTH, never refused relaying): %s%s; if any of these "
                      "should not relay, say which networks are trusted with --trusted-net",
                      j.trusted, j.ntrusted > 20 ? ", ..." : "");
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "open-relay: more than %zu candidates; %llu messages not "
                      "judged", s->env->max_keys, (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->local = strmap_new(1);
    s->cands = strmap_new(sizeof(struct cand));
    s->denied = strmap_new(1);
    if (!s->local || !s->cands || !s->denied) {
        strmap_free(s->local);
        strmap_free(s->cands);
        strmap_free(s->denied);
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
    strmap_free(s->local);
    strmap_free(s->denied);
    free(s);
}

const struct msl_detector msl_det_open_relay = {
    .id = "open-relay",
    .severity = MSL_FSEV_CRITICAL,
    .description = "unauthenticated external client whose mail for an external domain was "
                   "delivered",
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
