/*
 * policy_fail_protected.c - rule policy-fail-protected: SPF, DKIM or DMARC verdicts of
 * "fail" for mail that claims one of our protected domains.  Someone else sends with our
 * name (spoofing, phishing of customers or staff), or our own outbound path is broken (a
 * new mail service not in the SPF record, a signing key that changed).
 *
 * Protected domains are the local domains (det_infer: domains the logs deliver locally with
 * local/virtual/lmtp, plus --local-domain), and their subdomains (the organisational
 * alignment of DMARC); the note states which.  The claimed domain of a verdict
 * (POLICY events of the milter dialects, doc/EVENT-MODEL.md):
 *  - spf=fail (and spf=softfail with softfail = 1): the envelope sender's domain
 *    (policyd-spf envelope-from=, or id= of its reject text; for the HELO identity the HELO
 *    name), opendmarc "SPF(mailfrom): DOMAIN fail";
 *  - dkim=fail: the signing domain d= of opendkim's text (lines without d=, such as "bad
 *    signature data", are skipped: the same message's d= line names the domain);
 *  - dmarc=fail: the header From domain opendmarc names ("DOMAIN fail").
 * State: per claimed domain one record (counts per mechanism, distinct messages by queue id
 * as they come, first clients, cited lines and related messages at most max_evidence),
 * capped at max_keys; judged at the end because a domain may prove local later in the log.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

#define CLIENTS 4

static const struct msl_param params[] = {
    {"min_failures", MSL_P_INT, 1, 1, 1000000,
     "failing verdicts claiming one protected domain that make a finding"},
    {"softfail", MSL_P_INT, 0, 0, 1, "1 = count spf=softfail (~all) as a failure too"},
};

enum { M_SPF, M_DKIM, M_DMARC, M__N };

struct dom {
    char *host, *dom, *lastqid;
    uint64_t msgs, fails[M__N];
    char *clients[CLIENTS];
    size_t nclients;
    uint64_t clients_more;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct det_infer *in; /* the hunt's shared inference (det_hunt_infer) */
    struct strmap *doms; /* claimed domain -> struct dom */
    uint64_t dropped;
};

static int is_stop(char c)
{
    return c == ' ' || c == ';' || c == ',' || c == '\t' || c == ')' || c == '>';
}

/* Copies the token at p (up to a separator) lower-cased; "" when empty. */
static char *token(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && !is_stop(*q))
        q++;
    char *d = det_strndup(p, (size_t)(q - p));
    if (d)
        for (char *c = d; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    return d;
}

/* Start of the value of "key" (e.g. "d=") at the start of the text or after a separator. */
static const char *find_key(struct msl_str t, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl <= t.n; i++)
        if ((i == 0 || is_stop(t.p[i - 1])) && !memcmp(t.p + i, key, kl))
            return t.p + i + kl;
    return NULL;
}

static int str_is(struct msl_str s, const char *lit)
{
    return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

/* The domain a failing verdict claims (lower case), or NULL. */
static char *claimed(const struct st *s, const struct msl_event *e, int *mech)
{
    const char *end = e->text.p ? e->text.p + e->text.n : NULL;
    if (str_is(e->detail, "spf=fail") || (s->env->params[1] && str_is(e->detail, "spf=softfail"))) {
        *mech = M_SPF;
        if (e->from.n) {
            char *f = det_strndup(e->from.p, e->from.n);
            char *d = det_domain(f);
            free(f);
            return d;
        }
        if (!e->text.p)
            return NULL;
        if (e->text.n > 4 && !memcmp(e->text.p, "SPF(", 4)) {
            const char *c = memchr(e->text.p, ':', e->text.n);
            return c && c + 2 < end ? token(c + 2, end) : NULL;
        }
        const char *id = find_key(e->text, "id=");
        if (!id)
            return NULL;
        char *t = token(id, end);
        char *at = t ? strrchr(t, '@') : NULL;
        if (at) {
            char *d = det_strdup(at + 1);
            free(t);
            return d;
        }
        return t;
    }
    if (str_is(e->detail, "dkim=fail")) {
        *mech = M_DKIM;
        const char *d = e->text.p ? find_key(e->text, "d=") : NULL;
        return d ? token(d, end) : NULL;
    }
    if (str_is(e->detail, "dmarc=fail")) {
        *mech = M_DMARC;
        return e->text.p ? token(e->text.p, end) : NULL;
    }
    return NULL;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_POLICY || !e->detail.n)
        return;
    int mech = 0;
    char *dom = claimed(s, e, &mech);
    if (!dom || !*dom) {
        free(dom);
        return;
    }
    size_t dl = strlen(dom);
    struct dom *d = strmap_find(s->doms, dom, dl);
    if (!d && strmap_len(s->doms) < s->env->max_keys) {
        d = strmap_get(s->doms, dom, dl, NULL);
        if (d) {
            d->host = det_strndup(e->host.p, e->host.n);
            d->dom = dom;
            dom = NULL;
        }
    }
    free(dom);
    if (!d) {
        s->dropped++;
        return;
    }
    d->fails[mech]++;
    if (!e->qid.n || !d->lastqid || strlen(d->lastqid) != e->qid.n ||
        memcmp(d->lastqid, e->qid.p, e->qid.n) != 0) {
        d->msgs++;
        free(d->lastqid);
        d->lastqid = e->qid.n ? det_strndup(e->qid.p, e->qid.n) : NULL;
    }
    if (e->qid.n) {
        char *h = det_strndup(e->host.p, e->host.n), *q = det_strndup(e->qid.p, e->qid.n);
        det_related_message(s->env, &d->f, h, q);
        free(h);
        free(q);
    }
    if (e->client_ip.n) {
        size_t i = 0;
        while (i < d->nclients && (strlen(d->clients[i]) != e->client_ip.n ||
                                   memcmp(d->clients[i], e->client_ip.p, e->client_ip.n)))
            i++;
        if (i == d->nclients && d->nclients < CLIENTS)
            d->clients[d->nclients++] = det_strndup(e->client_ip.p, e->client_ip.n);
        else if (i == d->nclients)
            d->clients_more++;
    }
    det_cite(s->env, &d->f, e->ts, &e->ev, e->raw);
}

/* The protected domain dom is or lies under, or NULL. */
static const char *protected_by(const struct st *s, const char *dom)
{
    for (const char *p = dom; p && *p;) {
        if (det_infer_is_local_any(s->in, p))
            return p;
        p = strchr(p, '.');
        if (p)
            p++;
    }
    return NULL;
}

static void judge(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct dom *d = ent->val;
    uint64_t total = d->fails[M_SPF] + d->fails[M_DKIM] + d->fails[M_DMARC];
    const char *prot = protected_by(s, d->dom);
    if (!prot || total < (uint64_t)s->env->params[0])
        return;
    char clients[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < d->nclients && used < sizeof clients; i++) {
        int w = snprintf(clients + used, sizeof clients - used, "%s%s", i ? ", " : "",
                         d->clients[i] ? d->clients[i] : "?");
        used += w > 0 ? (size_t)w : 0;
    }
    struct msl_finding *f = &d->f;
    f->rule = "policy-fail-protected";
    f->severity = s->env->severity;
    f->entity_type = "domain";
    f->entity = det_strdup(d->dom);
    f->host = det_strdup(d->host);
    det_set_count(f, "failures", (int64_t)total);
    det_set_count(f, "messages", (int64_t)d->msgs);
    det_set_count(f, "spf", (int64_t)d->fails[M_SPF]);
    det_set_count(f, "dkim", (int64_t)d->fails[M_DKIM]);
    det_set_count(f, "dmarc", (int64_t)d->fails[M_DMARC]);
    det_title(f, "authentication failures for protected domain %s: %llu failing verdicts",
              d->dom, (unsigned long long)total);
    det_explain(f, "%llu SPF/DKIM/DMARC verdicts on %s failed for mail claiming %s (SPF %llu, "
                   "DKIM %llu, DMARC %llu; about %llu messages%s%s%s), a domain protected as %s "
                   "is local here.  Either someone forges the domain (spoofing, phishing of "
                   "staff or customers) or the domain's own mail goes out through a path its "
                   "SPF record and DKIM keys do not cover.  Check the clients; publish "
                   "p=quarantine/reject once legitimate sources pass.",
                (unsigned long long)total, d->host ? d->host : "?", d->dom,
                (unsigned long long)d->fails[M_SPF], (unsigned long long)d->fails[M_DKIM],
                (unsigned long long)d->fails[M_DMARC], (unsigned long long)d->msgs,
                d->nclients ? "; clients " : "", clients, d->clients_more ? ", ..." : "", prot);
    msl_hunt_emit(s->env->hunt, f);
}

static void free_dom(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct dom *d = ent->val;
    free(d->host);
    free(d->dom);
    free(d->lastqid);
    for (size_t i = 0; i < d->nclients; i++)
        free(d->clients[i]);
    det_finding_clear(&d->f);
}

static void finish(void *p)
{
    struct st *s = p;
    det_infer_note(s->in, "policy-fail-protected (protected domains = local domains and their "
                   "subdomains)", 0);
    strmap_each(s->doms, judge, s);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "policy-fail-protected: more than %zu claimed domains; %llu "
                      "verdicts not judged", s->env->max_keys, (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->doms = strmap_new(sizeof(struct dom));
    if (!s->doms || !(s->in = det_hunt_infer(env->hunt))) {
        strmap_free(s->doms);
        free(s);
        return NULL;
    }
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->doms, free_dom, NULL);
    strmap_free(s->doms);
    free(s);
}

const struct msl_detector msl_det_policy_fail_protected = {
    .id = "policy-fail-protected",
    .severity = MSL_FSEV_MEDIUM,
    .description = "SPF, DKIM or DMARC failures for mail claiming a local (protected) domain",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
