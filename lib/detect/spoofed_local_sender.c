/*
 * spoofed_local_sender.c - rule spoofed-local-sender: a message whose envelope sender is in
 * a local domain, accepted from a client that did not authenticate and is outside the
 * trusted networks.  Our own users send through submission (AUTH) or from mynetworks; the
 * internet has no business using our domains as sender (phishing of our own staff, CEO
 * fraud, backscatter of forged mail).
 *
 * Inference (det_infer, stated as notes): a domain is local on a host when that host
 * delivered a recipient of it with local/virtual/lmtp (or --local-domain names it); a
 * client is trusted when it relayed to external domains without AUTH and was never refused
 * relaying (mynetworks), or, with --trusted-net, when it is inside those networks.
 *
 * The server's own loopback addresses (127.0.0.0/8, ::1: the site context's defaults)
 * are local programs: a finding about one is info, whatever the configured severity.
 *
 * Streams finished messages.  A message is a candidate when it was received from a client
 * IP without AUTH (no SASL user, no ESMTPA-style protocol), is not a content-filter
 * re-injection, a bounce or a rejected transaction, has a non-null sender, and the sender's
 * domain is local on that host by then (the message's own local deliveries count).  Candidates are kept per host + client
 * + sender domain (counts, first senders, cited lines: at most max_evidence), capped at
 * max_keys; whether the client is trusted is judged at the end, when the whole log has
 * shown who relays.  Senders whose domain proves local only later in the log are missed
 * (name the domain with --local-domain).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

#define SENDERS 4

static const struct msl_param params[] = {
    {"min_messages", MSL_P_INT, 1, 1, 1000000,
     "messages from one client with local senders that make a finding"},
};

struct cand {
    char *host, *ip, *dom;
    uint64_t msgs, rcpts;
    char *senders[SENDERS];
    size_t nsenders;
    uint64_t senders_more;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct det_infer *in; /* the hunt's shared inference (det_hunt_infer) */
    struct strmap *cands; /* "host\nip\ndomain" -> struct cand */
    uint64_t dropped;
};

static void add_sender(struct cand *c, const char *from)
{
    for (size_t i = 0; i < c->nsenders; i++)
        if (!strcmp(c->senders[i], from))
            return;
    if (c->nsenders == SENDERS) {
        c->senders_more++;
        return;
    }
    char *d = det_strdup(from);
    if (d)
        c->senders[c->nsenders++] = d;
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (!m->client_ip || !*m->client_ip || det_msg_authenticated(m) ||
        m->reinjected_from || m->bounce_of || m->end == MSL_END_REJECTED || !m->from ||
        !*m->from)
        return;
    char *dom = det_domain(m->from);
    if (!dom || !*dom || !det_infer_is_local(s->in, m->host, dom)) {
        free(dom);
        return;
    }
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s\n%s", m->host ? m->host : "", m->client_ip, dom);
    struct cand *c = n > 0 && (size_t)n < sizeof key ? strmap_find(s->cands, key, (size_t)n)
                                                     : NULL;
    if (!c && n > 0 && (size_t)n < sizeof key && strmap_len(s->cands) < s->env->max_keys) {
        c = strmap_get(s->cands, key, (size_t)n, NULL);
        if (c) {
            c->host = det_strdup(m->host);
            c->ip = det_strdup(m->client_ip);
            c->dom = dom;
            dom = NULL;
        }
    }
    free(dom);
    if (!c) {
        s->dropped++;
        return;
    }
    c->msgs++;
    c->rcpts += m->nrcpt > 0 ? (uint64_t)m->nrcpt : m->ndeliveries ? 1 : 0;
    add_sender(c, m->from);
    det_related_message(s->env, &c->f, m->host, m->qid);
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if (l->kind == MSL_EV_RECEIVED || l->kind == MSL_EV_SENDER) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, &c->f, l->ts, &l->ev, raw);
        }
    }
}

static void judge(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct cand *c = ent->val;
    if (c->msgs < (uint64_t)s->env->params[0] || det_infer_is_trusted(s->in, c->host, c->ip))
        return;
    char list[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->nsenders && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", c->senders[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    int have = msl_hunt_have_trusted(s->env->hunt);
    /* the server's own loopback clients (cron jobs, web apps, a local scanner) send as
     * local users without AUTH all the time: stated, never above info */
    int own = msl_hunt_is_own(s->env->hunt, c->ip);
    struct msl_finding *f = &c->f;
    f->rule = "spoofed-local-sender";
    f->severity = own ? MSL_FSEV_INFO : s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(c->ip);
    f->host = det_strdup(c->host);
    det_set_count(f, "messages", (int64_t)c->msgs);
    det_set_count(f, "senders", (int64_t)(c->nsenders + c->senders_more));
    det_set_count(f, "recipients", (int64_t)c->rcpts);
    det_title(f, "spoofed local sender: %s sent %llu messages as @%s without AUTH", c->ip,
              (unsigned long long)c->msgs, c->dom);
    det_explain(f, "The server %s accepted %llu message%s from %s with an envelope sender in "
                   "its own domain %s (%s%s) although the client did not authenticate and is "
                   "%s.  Mail of local users comes through submission with AUTH or from the "
                   "internal networks; this is forged mail aimed at local users (phishing, "
                   "payment fraud) unless %s is an unlisted internal system.  Reject local "
                   "senders from unauthenticated outside clients (e.g. "
                   "reject_sender_login_mismatch, an SPF -all record checked on inbound mail).%s",
                c->host ? c->host : "?", (unsigned long long)c->msgs, c->msgs == 1 ? "" : "s",
                c->ip, c->dom, list, c->senders_more ? ", ..." : "",
                have ? "outside the networks given with --trusted-net"
                     : "not among the clients the logs show relaying for the site (mynetworks)",
                c->ip,
                own ? "  The client is a loopback address, i.e. a program on the server itself "
                      "(or a test bed): reported at info only; name it in mynetworks or with "
                      "--trusted-net if it is expected."
                    : "");
    msl_hunt_emit(s->env->hunt, f);
}

static void free_cand(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct cand *c = ent->val;
    free(c->host);
    free(c->ip);
    free(c->dom);
    for (size_t i = 0; i < c->nsenders; i++)
        free(c->senders[i]);
    det_finding_clear(&c->f);
}

static void finish(void *p)
{
    struct st *s = p;
    det_infer_note(s->in, "spoofed-local-sender", 1);
    strmap_each(s->cands, judge, s);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "spoofed-local-sender: more than %zu client/domain pairs; "
                      "%llu messages not judged", s->env->max_keys,
                      (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->cands = strmap_new(sizeof(struct cand));
    if (!s->cands || !(s->in = det_hunt_infer(env->hunt))) {
        strmap_free(s->cands);
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
    free(s);
}

const struct msl_detector msl_det_spoofed_local_sender = {
    .id = "spoofed-local-sender",
    .severity = MSL_FSEV_HIGH,
    .description = "envelope sender in a local domain from an unauthenticated client outside "
                   "the trusted networks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
