/*
 * lookalike_domain.c - rule lookalike-domain: sender or recipient domains that imitate a
 * local, protected or frequently used partner domain (homoglyphs after punycode decoding,
 * digit/letter swaps, typos, added hyphens, other TLDs, "brand.tld.evil.tld" prefixes;
 * lib/util/confusable.c decides).  Outbound mail to a look-alike of a partner is a data
 * leak; mail from a look-alike of our own domain is spoofing (BEC); recipients bounced as
 * unknown at a typo-squatted domain show users mistyping a partner's name.
 *
 * Streams finished messages (and NOQUEUE rejects): every distinct sender and recipient
 * domain gets one record (counts, the first max_evidence lines, related messages), at most
 * `max_domains` of them; beyond that domains are counted in a note, not tracked.  Local
 * domains come from the shared inference (det_infer: recipients delivered by local, virtual
 * or lmtp, plus --local-domain) and the domains of SASL user names; protected domains come from
 * --protected-domain; partners are the `partners` most frequent recipient domains with at
 * least `partner_min` recipients.  Everything is judged at the end (a domain may prove
 * local or frequent only later in the log): each tracked domain that is not itself local
 * or protected is compared with every reference domain except itself; a partner reference
 * only counts for a domain used less often than the partner (the imitation is the rarer
 * one).  One finding per look-alike domain, naming the first reference it imitates.
 * Severity: the rule's (medium), one level higher when mail was actually delivered to the
 * look-alike (outbound) or from it to local mailboxes (inbound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"
#include "util/confusable.h"
#include "util/geoip.h"

static const struct msl_param params[] = {
    {"max_distance", MSL_P_INT, 2, 0, 3,
     "typo edit distance for labels of 8+ letters (4..7 letters: 1; shorter: none)"},
    {"partners", MSL_P_INT, 10, 0, 1000,
     "frequent partner domains compared against: the top N by recipients"},
    {"partner_min", MSL_P_INT, 3, 1, 1000000, "recipients before a domain counts as a partner"},
    {"max_domains", MSL_P_INT, 10000, 10, 1000000, "distinct domains tracked (memory bound)"},
};

enum { P_MAXDIST, P_PARTNERS, P_PARTNER_MIN, P_MAXDOM };

struct dom {
    uint64_t as_sender, as_rcpt, sent_out, delivered_in, unknown, rejected;
    int is_local;
    struct msl_finding f; /* evidence and related messages accumulate here */
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *doms;   /* domain -> struct dom */
    struct det_infer *infer; /* local domains: the hunt's shared inference (det_util.c) */
    struct strmap *local;   /* domains of SASL user names -> char */
    struct conf_checker *cc;
    const struct geo_hunt_cfg *cfg;
    uint64_t dropped;
};

static void add_local(struct st *s, const char *dom)
{
    if (dom && *dom && strmap_len(s->local) < s->env->max_keys)
        strmap_get(s->local, dom, strlen(dom), NULL);
}

static int is_local(const struct st *s, const char *dom)
{
    return det_infer_is_local_any(s->infer, dom) ||
           strmap_find(s->local, dom, strlen(dom)) != NULL;
}

static int is_protected(const struct st *s, const char *dom)
{
    for (size_t i = 0; i < s->cfg->nprotected; i++)
        if (!strcasecmp(s->cfg->protected_domains[i], dom))
            return 1;
    return 0;
}

/* The record of a domain (lower case), created while below max_domains. */
static struct dom *get_dom(struct st *s, const char *dom)
{
    if (!dom || !*dom || !strchr(dom, '.'))
        return NULL;
    size_t n = strlen(dom);
    struct dom *d = strmap_find(s->doms, dom, n);
    if (d)
        return d;
    if (strmap_len(s->doms) >= (size_t)s->env->params[P_MAXDOM]) {
        s->dropped++;
        return NULL;
    }
    return strmap_get(s->doms, dom, n, NULL);
}

/* Cites the line of m at ev (if it is among the kept lines), else nothing. */
static void cite_ev(struct st *s, struct dom *d, const struct msl_message *m,
                    const struct msl_evidence *ev, enum msl_kind kind)
{
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if ((ev && l->ev.src == ev->src && l->ev.line == ev->line) || (!ev && l->kind == kind)) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, &d->f, l->ts, &l->ev, raw);
            return;
        }
    }
}

static int unknown_recipient(const struct msl_delivery *dv)
{
    struct msl_str t = {dv->text, dv->text ? strlen(dv->text) : 0};
    return (dv->dsn && (!strcmp(dv->dsn, "5.1.1") || !strcmp(dv->dsn, "5.1.2") ||
                        !strcmp(dv->dsn, "5.4.4") || !strcmp(dv->dsn, "5.1.10"))) ||
           det_contains(t, "user unknown") || det_contains(t, "unknown user") ||
           det_contains(t, "no such user") || det_contains(t, "does not exist") ||
           det_contains(t, "domain name not found");
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (m->sasl_user && strchr(m->sasl_user, '@')) {
        char *dom = det_domain(m->sasl_user);
        add_local(s, dom);
        free(dom);
    }
    int is_bounce = m->bounce_of || (m->from && !*m->from);
    if (m->from && *m->from && !m->reinjected_from) {
        char *dn = det_domain(m->from);
        struct dom *d = get_dom(s, dn);
        if (d) {
            d->as_sender++;
            for (size_t i = 0; i < m->ndeliveries; i++)
                if (m->deliveries[i].status == MSL_ST_SENT &&
                    det_delivered_here(&m->deliveries[i]))
                    d->delivered_in++;
            size_t before = d->f.nevidence;
            cite_ev(s, d, m, NULL, MSL_EV_SENDER);
            if (d->f.nevidence == before)
                cite_ev(s, d, m, NULL, MSL_EV_RECEIVED);
            det_related_message(s->env, &d->f, m->host, m->qid);
        }
        free(dn);
    }
    if (m->reinjected_as || is_bounce)
        return; /* a content-filter hand-off or a DSN: its recipients are not chosen mail */
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *dv = &m->deliveries[i];
        if (!dv->to || det_delivered_here(dv))
            continue;
        size_t k = i + 1;
        while (k < m->ndeliveries &&
               (!m->deliveries[k].to || strcmp(m->deliveries[k].to, dv->to) != 0))
            k++;
        if (k < m->ndeliveries)
            continue; /* judged by its last attempt (deferred first, then sent or bounced) */
        char *dn = det_domain(dv->to);
        struct dom *d = get_dom(s, dn);
        free(dn);
        if (!d)
            continue;
        d->as_rcpt++;
        if (dv->status == MSL_ST_SENT)
            d->sent_out++;
        if ((dv->status == MSL_ST_BOUNCED || dv->status == MSL_ST_DEFERRED) &&
            unknown_recipient(dv))
            d->unknown++;
        cite_ev(s, d, m, &dv->ev, MSL_EV_NONE);
        det_related_message(s->env, &d->f, m->host, m->qid);
    }
}

/* NOQUEUE rejects name sender and recipient domains that never become messages. */
static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_REJECT || !(e->flags & MSL_EVF_NOQUEUE))
        return;
    struct msl_str addrs[2] = {e->from, e->to};
    for (int i = 0; i < 2; i++) {
        if (!addrs[i].n)
            continue;
        char *a = det_strndup(addrs[i].p, addrs[i].n);
        char *dn = det_domain(a);
        struct dom *d = get_dom(s, dn);
        if (d) {
            d->rejected++;
            det_cite(s->env, &d->f, e->ts, &e->ev, e->raw);
        }
        free(dn);
        free(a);
    }
}

/* ---- judging ---------------------------------------------------------------------- */

enum ref_kind { REF_LOCAL, REF_PROTECTED, REF_PARTNER };

struct ref {
    const char *dom;
    enum ref_kind kind;
    uint64_t rcpts;
};

struct judge {
    struct st *s;
    struct ref *refs;
    size_t nrefs, cap;
    int oom;
};

static void add_ref(struct judge *j, const char *dom, enum ref_kind k, uint64_t rcpts)
{
    for (size_t i = 0; i < j->nrefs; i++)
        if (!strcmp(j->refs[i].dom, dom))
            return;
    if (j->nrefs == j->cap) {
        size_t nc = j->cap ? j->cap * 2 : 16;
        struct ref *nr = realloc(j->refs, nc * sizeof *nr);
        if (!nr) {
            j->oom = 1;
            return;
        }
        j->refs = nr;
        j->cap = nc;
    }
    j->refs[j->nrefs++] = (struct ref){dom, k, rcpts};
}

static void add_local_ref(void *ctx, const struct strmap_entry *e)
{
    add_ref(ctx, e->key, REF_LOCAL, 0);
}

static int by_rcpts_desc(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    uint64_t rx = ((const struct dom *)x->val)->as_rcpt, ry = ((const struct dom *)y->val)->as_rcpt;
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return strcmp(x->key, y->key);
}

static const char *ref_kind_name(enum ref_kind k)
{
    return k == REF_LOCAL ? "local" : k == REF_PROTECTED ? "protected" : "frequent partner";
}

static const char *why_text(const struct conf_match *m)
{
    switch (m->kind) {
    case CONF_HOMOGLYPH: return "letters of another script that look the same (Unicode "
                                "confusables, UTS #39 skeleton)";
    case CONF_SWAP: return "digits or letter pairs swapped for look-alikes (0/o, 1/l, rn/m, "
                           "vv/w, cl/d)";
    case CONF_TYPO: return "a typo (letters added, dropped, replaced or transposed)";
    case CONF_HYPHEN: return "a hyphen added or a word attached with a hyphen";
    case CONF_TLD: return "the same name under another top-level domain";
    case CONF_PREFIX: return "the real domain used as the first labels of another domain";
    case CONF_NONE: break;
    }
    return "";
}

static void judge_dom(struct judge *j, const char *name, struct dom *d)
{
    struct st *s = j->s;
    if (is_local(s, name) || is_protected(s, name))
        return;
    uint64_t uses = d->as_rcpt + d->as_sender;
    struct conf_match m;
    const struct ref *hit = NULL;
    for (size_t i = 0; i < j->nrefs && !hit; i++) {
        const struct ref *r = &j->refs[i];
        if (!strcmp(r->dom, name))
            continue;
        if (r->kind == REF_PARTNER && uses >= r->rcpts)
            continue;
        if (conf_lookalike(s->cc, name, r->dom, (size_t)s->env->params[P_MAXDIST], &m) !=
            CONF_NONE)
            hit = r;
    }
    if (!hit)
        return;
    struct msl_finding *f = &d->f;
    f->rule = "lookalike-domain";
    enum msl_fsev sev = s->env->severity;
    if ((d->sent_out || d->delivered_in) && sev < MSL_FSEV_CRITICAL)
        sev++;
    f->severity = sev;
    f->entity_type = "domain";
    f->entity = det_strdup(name);
    det_set_count(f, "as_sender", (int64_t)d->as_sender);
    det_set_count(f, "as_recipient", (int64_t)d->as_rcpt);
    det_set_count(f, "delivered_out", (int64_t)d->sent_out);
    det_set_count(f, "delivered_in", (int64_t)d->delivered_in);
    det_set_count(f, "unknown_recipients", (int64_t)d->unknown);
    det_set_count(f, "rejected", (int64_t)d->rejected);
    char shown[CONF_MAX_DOMAIN + 16] = "";
    if (m.punycode)
        snprintf(shown, sizeof shown, " (%s)", m.cand_unicode);
    char dist[32] = "";
    if (m.kind == CONF_TYPO)
        snprintf(dist, sizeof dist, ", edit distance %zu", m.distance);
    det_title(f, "look-alike domain %s%s imitates %s domain %s (%s%s)", name, shown,
              ref_kind_name(hit->kind), hit->dom, conf_kind_name(m.kind), dist);
    const char *risk =
        hit->kind == REF_LOCAL
            ? "Mail from a look-alike of our own domain is the classic vector of invoice fraud "
              "and CEO fraud (BEC): check what was delivered to local users and warn them."
        : d->sent_out
            ? "Mail was delivered to it: if it was meant for the real domain, it leaked to "
              "whoever registered the look-alike; tell the senders and the partner."
            : "Check who sends to or receives from it and whether the real organisation owns it.";
    det_explain(f, "The domain %s%s differs from the %s domain %s only by %s.  It sent %llu and "
                   "received %llu message recipients here (%llu delivered outbound, %llu to "
                   "local mailboxes, %llu refused as unknown, %llu rejected).  %s  %s",
                name, shown, ref_kind_name(hit->kind), hit->dom, why_text(&m),
                (unsigned long long)d->as_sender, (unsigned long long)d->as_rcpt,
                (unsigned long long)d->sent_out, (unsigned long long)d->delivered_in,
                (unsigned long long)d->unknown, (unsigned long long)d->rejected, risk,
                d->unknown ? "Recipients refused as unknown at a typo of a partner's name "
                             "mean users mistype it: the next one may be registered." : "");
    msl_hunt_emit(s->env->hunt, f);
}

static void finish(void *p)
{
    struct st *s = p;
    struct judge j = {.s = s};
    strmap_each(s->infer->any, add_local_ref, &j);
    strmap_each(s->local, add_local_ref, &j);
    for (size_t i = 0; i < s->cfg->nlocal; i++)
        add_ref(&j, s->cfg->local_domains[i], REF_LOCAL, 0);
    size_t nlocal = j.nrefs;
    for (size_t i = 0; i < s->cfg->nprotected; i++)
        add_ref(&j, s->cfg->protected_domains[i], REF_PROTECTED, 0);
    size_t n = 0, nprot = j.nrefs - nlocal;
    const struct strmap_entry **all = strmap_sorted(s->doms, by_rcpts_desc, &n);
    size_t partners = 0;
    for (size_t i = 0; all && i < n && partners < (size_t)s->env->params[P_PARTNERS]; i++) {
        const struct dom *d = all[i]->val;
        if (d->as_rcpt < (uint64_t)s->env->params[P_PARTNER_MIN])
            break;
        if (is_local(s, all[i]->key) || is_protected(s, all[i]->key))
            continue;
        add_ref(&j, all[i]->key, REF_PARTNER, d->as_rcpt);
        partners++;
    }
    if (j.nrefs) {
        /* sorted by key for a stable order of findings */
        size_t nk = 0;
        const struct strmap_entry **keys = strmap_sorted(s->doms, NULL, &nk);
        for (size_t i = 0; keys && i < nk; i++)
            judge_dom(&j, keys[i]->key, keys[i]->val);
        free(keys);
    }
    char list[600] = "";
    size_t used = 0;
    for (size_t i = 0; i < j.nrefs && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", j.refs[i].dom);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= sizeof list)
        memcpy(list + sizeof list - 4, "...", 4);
    msl_hunt_note(s->env->hunt, "lookalike-domain: %zu domains compared against %zu local, %zu "
                  "protected and %zu frequent partner domains%s%s%s", n,
                  nlocal, nprot, partners, j.nrefs ? " (" : "", list, j.nrefs ? ")" : "");
    if (!s->cc)
        msl_hunt_note(s->env->hunt, "lookalike-domain: ICU spoof checker unavailable: Unicode "
                      "homoglyphs not compared");
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "lookalike-domain: %lld distinct domains tracked at most; "
                      "%llu sightings of further domains not judged",
                      (long long)s->env->params[P_MAXDOM], (unsigned long long)s->dropped);
    free(all);
    free(j.refs);
    if (j.oom)
        msl_hunt_note(s->env->hunt, "lookalike-domain: out of memory while judging");
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->cfg = env->lookups;
    s->doms = strmap_new(sizeof(struct dom));
    s->local = strmap_new(1);
    s->cc = conf_new();
    if (!s->doms || !s->local || !(s->infer = det_hunt_infer(env->hunt))) {
        strmap_free(s->doms);
        strmap_free(s->local);
        conf_free(s->cc);
        free(s);
        return NULL;
    }
    return s;
}

static void clear_dom(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    det_finding_clear(&((struct dom *)e->val)->f);
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->doms, clear_dom, NULL);
    strmap_free(s->doms);
    strmap_free(s->local);
    conf_free(s->cc);
    free(s);
}

const struct msl_detector msl_det_lookalike_domain = {
    .id = "lookalike-domain",
    .severity = MSL_FSEV_MEDIUM,
    .description = "sender or recipient domains imitating local, protected or partner domains",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
