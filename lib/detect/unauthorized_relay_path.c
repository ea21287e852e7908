/*
 * unauthorized_relay_path.c - rule unauthorized-relay-path: mail that takes a path around
 * the site's gateways.
 *  - inbound: mail for a local domain received from a client that is not one of the MX
 *    gateways (the spam/virus filter appliance or the provider's MX in front of this
 *    server).  A sender who connects directly skips the filtering and the gateway's logs.
 *  - outbound: mail for external domains delivered through a relay that is not one of the
 *    allowed smarthosts (a changed relayhost or transport map, a rogue transport).
 * Gateways and allowed relays are inferred, since the rules file holds numbers only: when
 * the logs show a gateway structure, i.e. at most `max_gateways` clients together carry at
 * least `gateway_pct` of a host's inbound local-domain mail (and it has at least
 * `min_inbound` such messages), those clients are the gateways and every other client is
 * reported; likewise at most `max_relays` relays carrying at least `relay_pct` of the
 * external deliveries (at least `min_outbound`) are the allowed relays.  A server that
 * takes mail from the internet directly, or delivers to each destination's MX itself, shows
 * no such structure: the note says so and nothing is reported for that direction.  Clients
 * that are trusted (det_infer: mynetworks, or --trusted-net, which thus also names
 * configured gateways) or authenticated are not inbound traffic; local domains come from
 * det_infer too.  Bounces are skipped; of a content-filter pair the first copy counts
 * inbound (it has the real client) and the re-injected copy outbound (its real delivery).
 * Site context: trusted and internal hops (loopback, mynetworks, --trusted-net) are never
 * judged, inbound or as next hops; when the configuration names the allowed relays
 * (relayhost, transport_maps, Exim smarthost route_list, OpenSMTPD relay host, site file
 * allowed-relay) or MX gateways (mx-gateway), those lists replace the inference.
 * State: per host + client and host + relay one record (count, cited lines, related
 * messages at most max_evidence), capped at max_keys; judged at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"gateway_pct", MSL_P_PERCENT, 90, 1, 100,
     "share of a host's inbound local-domain mail its gateways carry"},
    {"max_gateways", MSL_P_INT, 3, 1, 100, "...carried by at most this many clients"},
    {"min_inbound", MSL_P_INT, 50, 1, 100000000,
     "inbound local-domain messages a host needs before gateways are inferred"},
    {"relay_pct", MSL_P_PERCENT, 90, 1, 100,
     "share of a host's external deliveries its allowed relays carry"},
    {"max_relays", MSL_P_INT, 2, 1, 100, "...carried by at most this many relays"},
    {"min_outbound", MSL_P_INT, 50, 1, 100000000,
     "external deliveries a host needs before allowed relays are inferred"},
};

struct path {
    char *host, *peer;
    char *rhost, *rip; /* outbound: the relay's name and address */
    int32_t rport;
    uint64_t n;
    struct msl_finding f;
};

struct tab {
    struct strmap *m; /* "host\npeer" -> struct path */
    uint64_t dropped;
};

struct st {
    const struct msl_detect_env *env;
    struct det_infer *in; /* the hunt's shared inference (det_hunt_infer) */
    struct tab inb, outb;
    uint64_t internal; /* deliveries to trusted/internal next hops, not judged */
};

static struct path *path_get(struct st *s, struct tab *t, const char *host, const char *peer)
{
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s", host ? host : "", peer);
    if (n <= 0 || (size_t)n >= sizeof key)
        return NULL;
    struct path *pa = strmap_find(t->m, key, (size_t)n);
    if (!pa && strmap_len(t->m) < s->env->max_keys) {
        pa = strmap_get(t->m, key, (size_t)n, NULL);
        if (pa) {
            pa->host = det_strdup(host ? host : "");
            pa->peer = det_strdup(peer);
        }
    }
    if (!pa)
        t->dropped++;
    return pa;
}

static void cite_ev(struct st *s, struct msl_finding *f, const struct msl_message *m,
                    const struct msl_evidence *ev, enum msl_kind kind)
{
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if ((ev && l->ev.src == ev->src && l->ev.line == ev->line) || (!ev && l->kind == kind)) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, f, l->ts, &l->ev, raw);
            return;
        }
    }
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (m->bounce_of)
        return;
    int inbound = 0;
    for (size_t i = 0; i < m->ndeliveries && !inbound; i++) {
        char *dom = det_domain(m->deliveries[i].orig_to ? m->deliveries[i].orig_to
                                                        : m->deliveries[i].to);
        inbound = det_infer_is_local(s->in, m->host, dom);
        free(dom);
    }
    if (inbound && m->client_ip && *m->client_ip && !det_msg_authenticated(m) &&
        !m->reinjected_from && !msl_site_trusted(s->env->site, m->client_ip, 0)) {
        struct path *pa = path_get(s, &s->inb, m->host, m->client_ip);
        if (pa) {
            pa->n++;
            det_related_message(s->env, &pa->f, m->host, m->qid);
            cite_ev(s, &pa->f, m, NULL, MSL_EV_RECEIVED);
        }
    }
    for (size_t i = 0; !m->reinjected_as && i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (!det_is_smtp_daemon(d->daemon) || !d->to ||
            (d->status != MSL_ST_SENT && d->status != MSL_ST_DEFERRED &&
             d->status != MSL_ST_BOUNCED) ||
            (!d->relay_ip && !d->relay_host) ||
            (d->relay_host && !strcmp(d->relay_host, "none")))
            continue;
        char *dom = det_domain(d->to);
        int local = det_infer_is_local(s->in, m->host, dom);
        free(dom);
        if (local)
            continue;
        /* a next hop inside the site (loopback: a content filter, another local instance;
         * mynetworks) is an internal hop, not a relay path */
        if (d->relay_ip && msl_site_trusted(s->env->site, d->relay_ip, 0)) {
            s->internal++;
            continue;
        }
        char peer[600];
        if (d->relay_port > 0)
            snprintf(peer, sizeof peer, "%s[%s]:%d", d->relay_host ? d->relay_host : "?",
                     d->relay_ip ? d->relay_ip : "?", (int)d->relay_port);
        else
            snprintf(peer, sizeof peer, "%s[%s]", d->relay_host ? d->relay_host : "?",
                     d->relay_ip ? d->relay_ip : "?");
        struct path *pa = path_get(s, &s->outb, m->host, peer);
        if (pa && !pa->rhost && !pa->rip) {
            pa->rhost = det_strdup(d->relay_host);
            pa->rip = det_strdup(d->relay_ip);
            pa->rport = d->relay_port;
        }
        if (pa) {
            pa->n++;
            det_related_message(s->env, &pa->f, m->host, m->qid);
            cite_ev(s, &pa->f, m, &d->ev, MSL_EV_NONE);
        }
    }
}

/* Sorted by host, then count (largest first), then peer. */
static int by_host_count(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    const struct path *px = x->val, *py = y->val;
    int c = strcmp(px->host, py->host);
    if (c)
        return c;
    if (px->n != py->n)
        return px->n > py->n ? -1 : 1;
    return strcmp(px->peer, py->peer);
}

static void emit(struct st *s, struct path *pa, int out, const char *allowed, uint64_t total)
{
    struct msl_finding *f = &pa->f;
    f->rule = "unauthorized-relay-path";
    f->severity = s->env->severity;
    f->entity_type = out ? "host" : "ip";
    f->entity = det_strdup(pa->peer);
    f->host = det_strdup(pa->host);
    det_set_count(f, out ? "deliveries" : "messages", (int64_t)pa->n);
    det_set_count(f, out ? "host_deliveries" : "host_messages", (int64_t)total);
    if (out) {
        det_title(f, "unexpected outbound relay: %s carried %llu deliveries", pa->peer,
                  (unsigned long long)pa->n);
        det_explain(f, "The server %s delivered %llu recipient%s in external domains through "
                       "%s, which is not one of its allowed relays (%s; %llu external "
                       "deliveries in all).  A changed relayhost or "
                       "transport map, or a transport added by an intruder, sends mail around "
                       "the smarthost and its filtering and logging.  Check main.cf relayhost, "
                       "transport_maps and sender_dependent_relayhost_maps.",
                    pa->host, (unsigned long long)pa->n, pa->n == 1 ? "" : "s", pa->peer,
                    allowed, (unsigned long long)total);
    } else {
        det_title(f, "mail for local domains bypassed the gateways: %llu messages from %s",
                  (unsigned long long)pa->n, pa->peer);
        det_explain(f, "The server %s accepted %llu message%s for its local domains directly "
                       "from %s, which is not one of its inbound gateways (%s; %llu inbound "
                       "messages in all).  Mail that skips the MX "
                       "gateway also skips its spam and virus filtering.  Accept port 25 only "
                       "from the gateways, or name internal senders with --trusted-net.",
                    pa->host, (unsigned long long)pa->n, pa->n == 1 ? "" : "s", pa->peer,
                    allowed, (unsigned long long)total);
    }
    msl_hunt_emit(s->env->hunt, f);
}

/* The site configuration names the allowed relays (relayhost, transport_maps, smarthost
 * routers, allowed-relay) or the MX gateways (mx-gateway): judge against that list. */
static int judge_configured(struct st *s, const struct strmap_entry **arr, size_t n, int out)
{
    const struct msl_site *site = s->env->site;
    if (!msl_site_count(site, out ? MSL_SITE_ALLOWED_RELAY : MSL_SITE_MX_GATEWAY))
        return 0;
    char allowed[400] = "";
    size_t used = 0, ne;
    const struct msl_site_entry *e = msl_site_entries(site, &ne);
    for (size_t i = 0; i < ne && used < sizeof allowed - 1; i++) {
        if (e[i].kind != (out ? MSL_SITE_ALLOWED_RELAY : MSL_SITE_MX_GATEWAY))
            continue;
        int w = snprintf(allowed + used, sizeof allowed - used, "%s%s (%s)", used ? ", " : "",
                         e[i].value, e[i].why);
        used += w > 0 ? (size_t)w : 0;
        if (used >= sizeof allowed)
            used = sizeof allowed - 1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ((struct path *)arr[i]->val)->n;
    const char *host = n ? ((struct path *)arr[0]->val)->host : "?";
    msl_hunt_note(s->env->hunt, "unauthorized-relay-path: %s: %s from the site configuration: "
                  "%s", host, out ? "allowed relays" : "MX gateways", allowed);
    for (size_t i = 0; i < n; i++) {
        struct path *pa = arr[i]->val;
        int ok = out ? msl_site_relay_allowed(site, pa->rhost, pa->rip, pa->rport) != NULL
                     : msl_site_gateway(site, NULL, pa->peer) != NULL ||
                           det_infer_is_trusted(s->in, pa->host, pa->peer);
        if (!ok)
            emit(s, pa, out, allowed, total);
    }
    return 1;
}

/* Judges one host's paths arr[0..n) (sorted by count). */
static void judge_host(struct st *s, const struct strmap_entry **arr, size_t n, int out)
{
    if (judge_configured(s, arr, n, out))
        return;
    const int64_t *pr = s->env->params;
    int64_t pct = out ? pr[3] : pr[0], maxk = out ? pr[4] : pr[1], min = out ? pr[5] : pr[2];
    const char *what = out ? "external deliveries" : "inbound local-domain messages";
    struct path *keep[100];
    size_t nk = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct path *pa = arr[i]->val;
        if (!out && det_infer_is_trusted(s->in, pa->host, pa->peer))
            continue;
        total += pa->n;
    }
    const char *host = n ? ((struct path *)arr[0]->val)->host : "?";
    if (!total)
        return;
    if (total < (uint64_t)min) {
        msl_hunt_note(s->env->hunt, "unauthorized-relay-path: %s: %llu %s, fewer than %lld: "
                      "%s not inferred, not judged", host, (unsigned long long)total, what,
                      (long long)min, out ? "allowed relays" : "gateways");
        return;
    }
    uint64_t cum = 0;
    char allowed[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && nk < (size_t)maxk && nk < 100; i++) {
        struct path *pa = arr[i]->val;
        if (!out && det_infer_is_trusted(s->in, pa->host, pa->peer))
            continue;
        keep[nk++] = pa;
        cum += pa->n;
        int w = snprintf(allowed + used, used < sizeof allowed ? sizeof allowed - used : 0,
                         "%s%s (%llu)", used ? ", " : "", pa->peer, (unsigned long long)pa->n);
        used += w > 0 ? (size_t)w : 0;
        if (used >= sizeof allowed)
            used = sizeof allowed - 1;
        if (cum * 100 >= (uint64_t)pct * total)
            break;
    }
    if (cum * 100 < (uint64_t)pct * total) {
        msl_hunt_note(s->env->hunt, "unauthorized-relay-path: %s: the %zu busiest of %s carry "
                      "%llu%% of %llu %s (less than %lld%%): no %s, not judged", host, nk,
                      out ? "the relays" : "the clients",
                      (unsigned long long)(cum * 100 / total), (unsigned long long)total, what,
                      (long long)pct, out ? "smarthost structure (direct delivery)"
                                          : "gateway structure (direct MX)");
        return;
    }
    msl_hunt_note(s->env->hunt, "unauthorized-relay-path: %s: %s inferred from the %llu %s: "
                  "%s (at least %lld%% of the traffic)", host,
                  out ? "allowed relays" : "inbound gateways", (unsigned long long)total, what,
                  allowed, (long long)pct);
    for (size_t i = 0; i < n; i++) {
        struct path *pa = arr[i]->val;
        int allowed_one = 0;
        for (size_t k = 0; k < nk; k++)
            allowed_one |= keep[k] == pa;
        if (allowed_one || (!out && det_infer_is_trusted(s->in, pa->host, pa->peer)))
            continue;
        emit(s, pa, out, allowed, total);
    }
}

static void judge_tab(struct st *s, struct tab *t, int out)
{
    size_t n = 0;
    const struct strmap_entry **arr = strmap_sorted(t->m, by_host_count, &n);
    if (!arr)
        return;
    size_t start = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && !strcmp(((struct path *)arr[i]->val)->host,
                             ((struct path *)arr[start]->val)->host))
            continue;
        judge_host(s, arr + start, i - start, out);
        start = i;
    }
    free(arr);
    if (t->dropped)
        msl_hunt_note(s->env->hunt, "unauthorized-relay-path: more than %zu %s; %llu not "
                      "judged", s->env->max_keys, out ? "relays" : "clients",
                      (unsigned long long)t->dropped);
}

static void finish(void *p)
{
    struct st *s = p;
    det_infer_note(s->in, "unauthorized-relay-path", 1);
    judge_tab(s, &s->inb, 0);
    judge_tab(s, &s->outb, 1);
    if (s->internal)
        msl_hunt_note(s->env->hunt, "unauthorized-relay-path: %llu deliveries to trusted or "
                      "internal next hops (loopback, mynetworks) not judged",
                      (unsigned long long)s->internal);
}

static void free_path(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct path *pa = ent->val;
    free(pa->host);
    free(pa->peer);
    free(pa->rhost);
    free(pa->rip);
    det_finding_clear(&pa->f);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->inb.m = strmap_new(sizeof(struct path));
    s->outb.m = strmap_new(sizeof(struct path));
    if (!s->inb.m || !s->outb.m || !(s->in = det_hunt_infer(env->hunt))) {
        strmap_free(s->inb.m);
        strmap_free(s->outb.m);
        free(s);
        return NULL;
    }
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->inb.m, free_path, NULL);
    strmap_each(s->outb.m, free_path, NULL);
    strmap_free(s->inb.m);
    strmap_free(s->outb.m);
    free(s);
}

const struct msl_detector msl_det_unauthorized_relay_path = {
    .id = "unauthorized-relay-path",
    .severity = MSL_FSEV_MEDIUM,
    .description = "inbound mail for local domains from a client that is not a gateway; "
                   "outbound mail via a relay that is not an allowed relay",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
