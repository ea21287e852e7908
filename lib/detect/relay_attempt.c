/*
 * relay_attempt.c - rule relay-attempt: clients refused relaying (Postfix "Relay access
 * denied", Sendmail "Relaying denied", Exim "relay not permitted" ...: they tried to send
 * mail for a domain this server does not handle, without authenticating).
 *
 * At least `threshold` refusals from one IP within `window` (default 3 in 1 h) is relay
 * probing: one finding per IP and incident at the configured severity (medium).  Clients
 * below that are still reported once each, at severity info, so a single attempt is
 * visible without raising an alarm.
 *
 * Some MTAs refuse a relay attempt in the same words as an unknown local user (OpenSMTPD
 * 6.8: "550 Invalid recipient" for both).  Such refusals are kept (at most max_keys, the
 * rest counted) and judged at the end, when the whole log has shown which domains are
 * local (det_infer: the site context, --local-domain, local deliveries): one for a domain
 * not local on that host counts as a relay refusal, replayed in time order into the same
 * windows.  With no local domain known at all nothing is judged, and a note says so.  State: a det_kwt for the incidents plus one small
 * record per refused IP (count, window, cited lines), both capped at max_keys.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"threshold", MSL_P_INT, 3, 1, 1000000, "refusals from one IP that make relay probing"},
    {"window", MSL_P_DURATION, 3600, 1, 30 * 86400, "...within this time"},
};

/* An "Invalid recipient" refusal waiting for the end of the log to be judged. */
struct pending {
    int64_t ts;
    struct msl_evidence ev;
    int64_t pid;
    char *host, *program, *ip, *dom, *raw;
};

struct client {
    struct msl_finding f; /* all refusals of this IP */
    int probed;           /* an incident was reported */
    char *host;
};

struct st {
    const struct msl_detect_env *env;
    struct det_kwt t;
    struct strmap *all;
    uint64_t dropped;
    struct det_infer *in;  /* local domains (the hunt's shared inference), for refusals
                            * worded as "unknown user" */
    struct pending *pend;  /* such refusals, judged at finish */
    size_t npend, cappend;
    uint64_t pend_dropped; /* beyond max_keys */
};

static void close_cb(void *ctx, const char *key, struct det_kw *kw)
{
    struct st *s = ctx;
    struct msl_finding *f = &kw->inc;
    struct client *c = s->all ? strmap_find(s->all, key, strlen(key)) : NULL;
    if (c)
        c->probed = 1;
    f->rule = "relay-attempt";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(key);
    f->host = det_strdup(kw->host);
    det_set_count(f, "refusals", (int64_t)f->evidence_total);
    det_set_count(f, "domains", (int64_t)(kw->nvals + kw->vals_more));
    det_title(f, "relay probing: %llu relay refusals for %s",
              (unsigned long long)f->evidence_total, key);
    det_explain(f, "The client %s tried %llu times to have this server relay mail to domains "
                   "it does not serve (%zu distinct recipient domain%s), at least %lld times "
                   "within %lld s, and was refused each time.  Spammers probe for open relays "
                   "this way; the refusals show the relay restrictions work.  Check rule "
                   "open-relay for any such mail that was delivered.",
                key, (unsigned long long)f->evidence_total, kw->nvals + (size_t)kw->vals_more,
                kw->nvals + kw->vals_more == 1 ? "" : "s", (long long)s->env->params[0],
                (long long)s->env->params[1]);
    msl_hunt_emit(s->env->hunt, f);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->all = strmap_new(sizeof(struct client));
    if (!s->all || !(s->in = det_hunt_infer(env->hunt)) ||
        det_kwt_init(&s->t, env, (size_t)env->params[0], env->params[1], close_cb, s)) {
        strmap_free(s->all);
        free(s);
        return NULL;
    }
    return s;
}

/* A refusal to relay, in each MTA's own words at RCPT: Postfix "Relay access denied",
 * Sendmail "Relaying denied", Exim's default ACL "relay not permitted", Courier and qmail
 * "relaying denied" / "not allowed to relay", Exchange "Unable to relay".  Judged from the
 * reply the server gave, never from which MTA wrote the line. */
int det_is_relay_denied(const struct msl_event *e)
{
    if (e->kind != MSL_EV_REJECT)
        return 0;
    if (e->stage.n && !det_contains(e->stage, "RCPT"))
        return 0;
    return det_contains(e->text, "relay access denied") || det_contains(e->text, "relaying denied") ||
           det_contains(e->text, "relay not permitted") ||
           det_contains(e->text, "relaying not permitted") ||
           det_contains(e->text, "not allowed to relay") || det_contains(e->text, "unable to relay");
}

/* A RCPT refusal worded like an unknown local user by an MTA that says the same for a
 * relay attempt (OpenSMTPD "Invalid recipient"). */
static int refused_as_invalid(const struct msl_event *e)
{
    return e->kind == MSL_EV_REJECT && (!e->stage.n || det_contains(e->stage, "RCPT")) &&
           det_contains(e->text, "invalid recipient");
}

static char *rcpt_domain(const struct msl_event *e)
{
    if (!e->to.n)
        return NULL;
    char *to = det_strndup(e->to.p, e->to.n);
    char *dom = det_domain(to);
    free(to);
    return dom;
}

static struct msl_str sv(const char *p)
{
    return (struct msl_str){p, p ? strlen(p) : 0};
}

static void pending_free(struct pending *q)
{
    free(q->host);
    free(q->program);
    free(q->ip);
    free(q->dom);
    free(q->raw);
}

/* Keeps what judging and citing an ambiguous refusal needs. */
static void defer(struct st *s, const struct msl_event *e, char *dom)
{
    if (s->npend >= s->env->max_keys) {
        s->pend_dropped++;
        free(dom);
        return;
    }
    if (s->npend == s->cappend) {
        size_t n = s->cappend ? 2 * s->cappend : 64;
        struct pending *v = realloc(s->pend, n * sizeof *v);
        if (!v) {
            s->pend_dropped++;
            free(dom);
            return;
        }
        s->pend = v;
        s->cappend = n;
    }
    struct pending *q = &s->pend[s->npend++];
    *q = (struct pending){.ts = e->ts, .ev = e->ev, .pid = e->pid, .dom = dom};
    q->host = det_strndup(e->host.p, e->host.n);
    q->program = det_strndup(e->program.p, e->program.n);
    q->ip = det_strndup(e->client_ip.p, e->client_ip.n);
    if (s->env->show_lines && e->raw.p)
        q->raw = det_strndup(e->raw.p, e->raw.n);
}

static void refusal(struct st *s, const struct msl_event *e, const char *dom);

static int by_ts(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The kept refusals for domains that proved not local: relay refusals, in time order. */
static void judge_pending(struct st *s)
{
    if (!s->npend)
        return;
    if (!det_infer_knows_local(s->in)) {
        msl_hunt_note(s->env->hunt, "relay-attempt: %zu \"Invalid recipient\" refusal%s not "
                      "judged: no local domain is known (--site-config, --local-domain or a "
                      "local delivery), so relaying and unknown users cannot be told apart",
                      s->npend, s->npend == 1 ? "" : "s");
        return;
    }
    qsort(s->pend, s->npend, sizeof *s->pend, by_ts);
    for (size_t i = 0; i < s->npend; i++) {
        struct pending *q = &s->pend[i];
        if (!q->dom || !*q->dom || det_infer_is_local(s->in, q->host, q->dom))
            continue;
        struct msl_event e = {.kind = MSL_EV_REJECT, .ts = q->ts, .ev = q->ev, .pid = q->pid};
        e.host = sv(q->host);
        e.program = sv(q->program);
        e.client_ip = sv(q->ip);
        e.raw = sv(q->raw);
        refusal(s, &e, q->dom);
    }
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (!e->client_ip.n)
        return;
    if (refused_as_invalid(e)) {
        defer(s, e, rcpt_domain(e));
        return;
    }
    if (!det_is_relay_denied(e))
        return;
    char *dom = rcpt_domain(e);
    refusal(s, e, dom);
    free(dom);
}

/* One relay refusal: the client's record and its incident window. */
static void refusal(struct st *s, const struct msl_event *e, const char *dom)
{
    struct msl_str d = {dom, dom ? strlen(dom) : 0};
    struct client *c = strmap_find(s->all, e->client_ip.p, e->client_ip.n);
    if (!c && strmap_len(s->all) < s->env->max_keys) {
        c = strmap_get(s->all, e->client_ip.p, e->client_ip.n, NULL);
        if (c)
            c->host = det_strndup(e->host.p, e->host.n);
    } else if (!c) {
        s->dropped++;
    }
    if (c) {
        det_cite(s->env, &c->f, e->ts, &e->ev, e->raw);
        det_related_session(s->env, &c->f, e);
    }
    det_kwt_hit(&s->t, e->client_ip.p, e->client_ip.n, e, d);
}

static void each_client(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct client *c = ent->val;
    if (c->probed) {
        det_finding_clear(&c->f);
        free(c->host);
        return;
    }
    struct msl_finding *f = &c->f;
    f->rule = "relay-attempt";
    f->severity = MSL_FSEV_INFO;
    f->entity_type = "ip";
    f->entity = det_strdup(ent->key);
    f->host = c->host;
    c->host = NULL;
    det_set_count(f, "refusals", (int64_t)f->evidence_total);
    det_title(f, "relay refused: %llu relay refusal%s for %s",
              (unsigned long long)f->evidence_total, f->evidence_total == 1 ? "" : "s", ent->key);
    det_explain(f, "The client %s was refused relaying %llu time%s, fewer than the %lld within "
                   "%lld s that make probing.  Reported for completeness: the relay "
                   "restrictions held.",
                ent->key, (unsigned long long)f->evidence_total,
                f->evidence_total == 1 ? "" : "s", (long long)s->env->params[0],
                (long long)s->env->params[1]);
    msl_hunt_emit(s->env->hunt, f);
}

static void finish(void *p)
{
    struct st *s = p;
    judge_pending(s);
    if (s->pend_dropped)
        msl_hunt_note(s->env->hunt, "relay-attempt: more than %zu \"Invalid recipient\" "
                      "refusals; %llu further ones were not judged", s->env->max_keys,
                      (unsigned long long)s->pend_dropped);
    det_kwt_finish(&s->t);
    strmap_each(s->all, each_client, s);
    strmap_free(s->all);
    s->all = NULL;
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "relay-attempt: more than %zu refused clients; %llu "
                      "refusals of further clients were not tracked", s->env->max_keys,
                      (unsigned long long)s->dropped);
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
    for (size_t i = 0; i < s->npend; i++)
        pending_free(&s->pend[i]);
    free(s->pend);
    if (s->all) {
        strmap_each(s->all, free_client, NULL);
        strmap_free(s->all);
    }
    free(s);
}

const struct msl_detector msl_det_relay_attempt = {
    .id = "relay-attempt",
    .severity = MSL_FSEV_MEDIUM,
    .description = "clients refused relaying; repeated refusals are probing",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
