/*
 * det_util.c - helpers shared by the detectors (see detect_int.h).  A finding under
 * construction is a plain struct msl_finding; these helpers grow its arrays up to
 * env->max_evidence and count everything beyond, so a key's memory never depends on how
 * many lines support it.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

char *det_strndup(const char *p, size_t n)
{
    if (!p)
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

char *det_strdup(const char *s)
{
    return s ? det_strndup(s, strlen(s)) : NULL;
}

char *det_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    char *d = det_strdup(at ? at + 1 : "");
    if (d)
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

static void widen(struct msl_finding *f, int64_t ts)
{
    if (!ts)
        return;
    if (!f->first_ts || ts < f->first_ts)
        f->first_ts = ts;
    if (ts > f->last_ts)
        f->last_ts = ts;
}

void det_cite(const struct msl_detect_env *env, struct msl_finding *f, int64_t ts,
              const struct msl_evidence *ev, struct msl_str raw)
{
    f->evidence_total++;
    widen(f, ts);
    if (f->nevidence >= env->max_evidence)
        return;
    if (!f->evidence) {
        f->evidence = calloc(env->max_evidence, sizeof *f->evidence);
        if (!f->evidence)
            return;
    }
    struct msl_fevidence *fe = &f->evidence[f->nevidence++];
    fe->ev = *ev;
    fe->ts = ts;
    fe->text = env->show_lines && raw.p ? det_strndup(raw.p, raw.n) : NULL;
}

void det_cite_fe(const struct msl_detect_env *env, struct msl_finding *f,
                 const struct msl_fevidence *fe)
{
    struct msl_str raw = {fe->text, fe->text ? strlen(fe->text) : 0};
    det_cite(env, f, fe->ts, &fe->ev, raw);
}

void det_related(const struct msl_detect_env *env, char ***arr, size_t *n, const char *s)
{
    if (!s || *n >= env->max_evidence)
        return;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arr)[i], s))
            return;
    if (!*arr) {
        *arr = calloc(env->max_evidence, sizeof **arr);
        if (!*arr)
            return;
    }
    char *c = det_strdup(s);
    if (c)
        (*arr)[(*n)++] = c;
}

void det_related_message(const struct msl_detect_env *env, struct msl_finding *f,
                         const char *host, const char *qid)
{
    if (f->nmessages >= env->max_evidence)
        return; /* full: formatting would be wasted */
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s:%s", host ? host : "?", qid ? qid : "?");
    det_related(env, &f->messages, &f->nmessages, tmp);
}

void det_related_session(const struct msl_detect_env *env, struct msl_finding *f,
                         const struct msl_event *e)
{
    if (f->nsessions >= env->max_evidence)
        return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%.*s %.*s[%lld] %.*s", (int)e->host.n, e->host.p ? e->host.p : "",
             (int)e->program.n, e->program.p ? e->program.p : "", (long long)e->pid,
             (int)e->client_ip.n, e->client_ip.p ? e->client_ip.p : "");
    det_related(env, &f->sessions, &f->nsessions, tmp);
}

void det_set_count(struct msl_finding *f, const char *name, int64_t v)
{
    for (size_t i = 0; i < f->ncounts; i++) {
        if (!strcmp(f->counts[i].name, name)) {
            f->counts[i].value = v;
            return;
        }
    }
    if (f->ncounts < MSL_FINDING_MAX_COUNTS)
        f->counts[f->ncounts++] = (struct msl_fcount){name, v};
}

static char *vfmt(const char *fmt, va_list ap)
{
    char tmp[2048];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    return det_strdup(tmp);
}

void det_title(struct msl_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->title);
    f->title = vfmt(fmt, ap);
    va_end(ap);
}

void det_explain(struct msl_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->explain);
    f->explain = vfmt(fmt, ap);
    va_end(ap);
}

void det_finding_clear(struct msl_finding *f)
{
    free(f->title);
    free(f->entity);
    free(f->host);
    free(f->explain);
    for (size_t i = 0; i < f->nmessages; i++)
        free(f->messages[i]);
    free(f->messages);
    for (size_t i = 0; i < f->nsessions; i++)
        free(f->sessions[i]);
    free(f->sessions);
    for (size_t i = 0; i < f->nevidence; i++)
        free(f->evidence[i].text);
    free(f->evidence);
    memset(f, 0, sizeof *f);
}

int det_ring_init(struct det_ring *r, size_t k)
{
    r->k = k ? k : 1;
    r->n = r->head = 0;
    r->e = calloc(r->k, sizeof *r->e);
    return r->e ? MSL_OK : MSL_ENOMEM;
}

void det_ring_clear(struct det_ring *r)
{
    for (size_t i = 0; r->e && i < r->k; i++) {
        free(r->e[i].text);
        r->e[i].text = NULL;
    }
    r->n = r->head = 0;
}

void det_ring_free(struct det_ring *r)
{
    det_ring_clear(r);
    free(r->e);
    r->e = NULL;
}

void det_ring_push(const struct msl_detect_env *env, struct det_ring *r, int64_t ts,
                   const struct msl_evidence *ev, struct msl_str raw)
{
    if (!r->e)
        return;
    struct msl_fevidence *slot = &r->e[r->head];
    free(slot->text);
    slot->ev = *ev;
    slot->ts = ts;
    slot->text = env->show_lines && raw.p ? det_strndup(raw.p, raw.n) : NULL;
    r->head = (r->head + 1) % r->k;
    if (r->n < r->k)
        r->n++;
}

const struct msl_fevidence *det_ring_at(const struct det_ring *r, size_t i)
{
    if (i >= r->n)
        return NULL;
    size_t start = (r->head + r->k - r->n) % r->k;
    return &r->e[(start + i) % r->k];
}

int det_ring_full_within(const struct det_ring *r, int64_t window_us)
{
    if (r->n < r->k)
        return 0;
    const struct msl_fevidence *o = det_ring_at(r, 0), *l = det_ring_at(r, r->n - 1);
    return l->ts - o->ts <= window_us;
}

struct sweep_ctx {
    int (*stale)(void *val, void *ctx);
    void *ctx;
    char **keys;
    size_t n, cap;
    int oom;
};

static void collect(void *c, const struct strmap_entry *e)
{
    struct sweep_ctx *s = c;
    if (!s->stale(e->val, s->ctx))
        return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        char **nk = realloc(s->keys, nc * sizeof *nk);
        if (!nk) {
            s->oom = 1;
            return;
        }
        s->keys = nk;
        s->cap = nc;
    }
    char *k = det_strndup(e->key, e->klen);
    if (k)
        s->keys[s->n++] = k;
}

int det_sweep_due(struct det_sweeper *w, size_t len, size_t max, int64_t now)
{
    if ((++w->calls & 4095) == 0)
        return 1;
    if (len < max)
        return 0;
    if (w->full_swept && now - w->full_at < DET_SWEEP_STEP)
        return 0;
    w->full_swept = 1;
    w->full_at = now;
    return 1;
}

void det_sweep(struct strmap *m, int (*stale)(void *val, void *ctx),
               void (*drop)(void *val, void *ctx), void *ctx)
{
    struct sweep_ctx s = {.stale = stale, .ctx = ctx};
    strmap_each(m, collect, &s);
    for (size_t i = 0; i < s.n; i++) {
        size_t kl = strlen(s.keys[i]);
        void *v = strmap_find(m, s.keys[i], kl);
        if (v) {
            drop(v, ctx);
            strmap_del(m, s.keys[i], kl);
        }
        free(s.keys[i]);
    }
    free(s.keys);
}

int det_ip_is_private(const char *ip)
{
    if (!ip)
        return 0;
    if (!strncmp(ip, "127.", 4) || !strncmp(ip, "10.", 3) || !strncmp(ip, "192.168.", 8) ||
        !strncmp(ip, "169.254.", 8) || !strcmp(ip, "::1"))
        return 1;
    if (!strncmp(ip, "172.", 4)) {
        long second = strtol(ip + 4, NULL, 10);
        return second >= 16 && second <= 31;
    }
    if ((ip[0] == 'f' || ip[0] == 'F') && (ip[1] == 'c' || ip[1] == 'd' || ip[1] == 'C' ||
                                          ip[1] == 'D'))
        return 1;
    if (!strncasecmp(ip, "fe80:", 5))
        return 1;
    return 0;
}

int det_contains(struct msl_str hay, const char *needle)
{
    /* case-insensitive search run on many events: jump between occurrences of the first
     * letter in either case with memchr, compare the rest only there */
    size_t nl = strlen(needle);
    if (!hay.p || nl == 0 || nl > hay.n)
        return nl == 0;
    unsigned char c = (unsigned char)needle[0];
    char lo = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    char up = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    const char *p = hay.p, *last = hay.p + (hay.n - nl); /* last possible start */
    const char *a = memchr(p, lo, (size_t)(last - p + 1));
    const char *b = up != lo ? memchr(p, up, (size_t)(last - p + 1)) : NULL;
    while (a || b) {
        const char *q = !a ? b : !b ? a : (a < b ? a : b);
        if (strncasecmp(q + 1, needle + 1, nl - 1) == 0)
            return 1;
        if (q == a)
            a = q < last ? memchr(q + 1, lo, (size_t)(last - q)) : NULL;
        else
            b = q < last ? memchr(q + 1, up, (size_t)(last - q)) : NULL;
    }
    return 0;
}

/* ---- inferred local domains and trusted clients (det_infer; see detect_int.h) -------- */

#define INFER_DOMS 4

struct infer_relayed {
    uint64_t msgs;
    char *dom[INFER_DOMS]; /* external domains it relayed to (first few) */
    size_t ndom;
};

int det_delivered_here(const struct msl_delivery *d)
{
    return d->local; /* each dialect knows it (MSL_EVF_LOCAL), not only Postfix's daemons */
}

int det_handed_on(const struct msl_delivery *d)
{
    return !d->local && (d->relay_ip || (d->relay_host && strcmp(d->relay_host, "none") != 0));
}

int det_is_smtp_daemon(const char *daemon)
{
    /* Postfix smtp, Sendmail esmtp/smtp8/dsmtp/relay mailers, Exim remote_smtp transports */
    return daemon && (strstr(daemon, "smtp") != NULL || !strcmp(daemon, "relay"));
}

int det_msg_authenticated(const struct msl_message *m)
{
    if (m->sasl_user && *m->sasl_user)
        return 1;
    /* RFC 3848 protocol names: ESMTPA, ESMTPSA, UTF8SMTPA ... (Sendmail proto=, Received:) */
    size_t n = m->proto ? strlen(m->proto) : 0;
    return n >= 5 && (m->proto[n - 1] == 'A' || m->proto[n - 1] == 'a') &&
           strstr(m->proto, "SMTP") != NULL;
}

int det_infer_init(struct det_infer *in, const struct msl_detect_env *env)
{
    memset(in, 0, sizeof *in);
    in->env = env;
    in->local = strmap_new(1);
    in->any = strmap_new(1);
    in->relayed = strmap_new(sizeof(struct infer_relayed));
    in->denied = strmap_new(1);
    if (!in->local || !in->any || !in->relayed || !in->denied) {
        det_infer_free(in);
        return MSL_ENOMEM;
    }
    return MSL_OK;
}

static void free_relayed(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    struct infer_relayed *r = e->val;
    for (size_t i = 0; i < r->ndom; i++)
        free(r->dom[i]);
}

void det_infer_free(struct det_infer *in)
{
    if (in->relayed)
        strmap_each(in->relayed, free_relayed, NULL);
    strmap_free(in->local);
    strmap_free(in->any);
    strmap_free(in->relayed);
    strmap_free(in->denied);
    memset(in, 0, sizeof *in);
}

void det_infer_event(struct det_infer *in, const struct msl_event *e)
{
    if (det_is_relay_denied(e) && e->client_ip.n && strmap_len(in->denied) < in->env->max_keys)
        strmap_get(in->denied, e->client_ip.p, e->client_ip.n, NULL);
}

/* "host\ns" into key (by hand: once or more per message and rule); 0 when too long. */
static int hostkey(char *key, size_t n, const char *host, const char *s)
{
    size_t hn = host ? strlen(host) : 0, sn = s ? strlen(s) : 0;
    if (hn + sn + 2 > n || hn + sn + 1 > (size_t)INT_MAX)
        return 0;
    memcpy(key, host ? host : "", hn);
    key[hn] = '\n';
    memcpy(key + hn + 1, s ? s : "", sn);
    key[hn + 1 + sn] = '\0';
    return (int)(hn + 1 + sn);
}

void det_infer_message(struct det_infer *in, const struct msl_message *m)
{
    char key[1024];
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (d->status != MSL_ST_SENT || !det_delivered_here(d) || !d->to)
            continue;
        char *dom = det_domain(d->orig_to ? d->orig_to : d->to);
        int n = dom && *dom ? hostkey(key, sizeof key, m->host, dom) : 0;
        if (n && strmap_len(in->local) < in->env->max_keys) {
            strmap_get(in->local, key, (size_t)n, NULL);
            strmap_get(in->any, dom, strlen(dom), NULL);
        }
        free(dom);
    }
    if (!m->client_ip || det_msg_authenticated(m) || m->reinjected_as || m->bounce_of)
        return;
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (d->status != MSL_ST_SENT || !d->to || !det_is_smtp_daemon(d->daemon))
            continue;
        char *dom = det_domain(d->to);
        if (!dom || !*dom || det_infer_is_local(in, m->host, dom)) {
            free(dom);
            continue;
        }
        int n = hostkey(key, sizeof key, m->host, m->client_ip);
        struct infer_relayed *r = n ? strmap_find(in->relayed, key, (size_t)n) : NULL;
        if (!r && n && strmap_len(in->relayed) < in->env->max_keys)
            r = strmap_get(in->relayed, key, (size_t)n, NULL);
        if (r) {
            r->msgs++;
            size_t j = 0;
            while (j < r->ndom && strcmp(r->dom[j], dom) != 0)
                j++;
            if (j == r->ndom && r->ndom < INFER_DOMS && (r->dom[r->ndom] = dom) != NULL) {
                r->ndom++;
                dom = NULL;
            }
        }
        free(dom);
        break; /* one relayed message counts once */
    }
}

int det_infer_is_local(const struct det_infer *in, const char *host, const char *domain)
{
    if (!domain || !*domain)
        return 0;
    if (msl_hunt_is_local_domain(in->env->hunt, domain))
        return 1;
    char key[1024];
    int n = hostkey(key, sizeof key, host, domain);
    return n && strmap_find(in->local, key, (size_t)n) != NULL;
}

int det_infer_is_local_any(const struct det_infer *in, const char *domain)
{
    return domain && *domain && (msl_hunt_is_local_domain(in->env->hunt, domain) ||
                                 strmap_find(in->any, domain, strlen(domain)) != NULL);
}

int det_infer_knows_local(const struct det_infer *in)
{
    return strmap_len(in->any) > 0 ||
           msl_site_count(msl_hunt_site(in->env->hunt), MSL_SITE_LOCAL_DOMAIN) > 0;
}

int det_infer_is_trusted(const struct det_infer *in, const char *host, const char *ip)
{
    if (!ip || !*ip)
        return 0;
    if (msl_hunt_have_trusted(in->env->hunt))
        return msl_hunt_is_trusted(in->env->hunt, ip);
    if (strmap_find(in->denied, ip, strlen(ip)))
        return 0;
    char key[1024];
    int n = hostkey(key, sizeof key, host, ip);
    const struct infer_relayed *r = n ? strmap_find(in->relayed, key, (size_t)n) : NULL;
    for (size_t i = 0; r && i < r->ndom; i++)
        if (!det_infer_is_local(in, host, r->dom[i]))
            return 1;
    return 0;
}

struct infer_list {
    const struct det_infer *in;
    char buf[600];
    size_t n;
};

/* Adds "host: value" for a "host\nvalue" key. */
static void list_add(struct infer_list *l, const char *key)
{
    size_t u = strlen(l->buf);
    if (l->n++ < 12 && u < sizeof l->buf - 120) {
        const char *nl = strchr(key, '\n');
        snprintf(l->buf + u, sizeof l->buf - u, "%s%.*s: %s", u ? ", " : "",
                 nl ? (int)(nl - key) : 0, key, nl ? nl + 1 : key);
    }
}

static void each_local(void *ctx, const struct strmap_entry *e)
{
    list_add(ctx, e->key);
}

static void each_trusted(void *ctx, const struct strmap_entry *e)
{
    struct infer_list *l = ctx;
    const char *nl = strchr(e->key, '\n');
    char host[512];
    snprintf(host, sizeof host, "%.*s", nl ? (int)(nl - e->key) : 0, e->key);
    if (nl && det_infer_is_trusted(l->in, host, nl + 1))
        list_add(l, e->key);
}

void det_infer_note(const struct det_infer *in, const char *rule, int trusted)
{
    struct infer_list l = {.in = in}, t = {.in = in};
    strmap_each(in->local, each_local, &l);
    int given = msl_hunt_have_trusted(in->env->hunt);
    if (trusted && !given)
        strmap_each(in->relayed, each_trusted, &t);
    char tr[800] = "";
    if (trusted)
        snprintf(tr, sizeof tr, "; trusted clients %s%s%s",
                 given ? "as given (site context: --site-config, --site, --trusted-net; "
                         "see the site: notes)"
                 : t.n ? "(inferred: relayed to external domains without AUTH, never refused "
                         "relaying) "
                       : "(inferred): none",
                 given ? "" : t.buf, t.n > 12 ? ", ..." : "");
    msl_hunt_note(in->env->hunt, "%s: local domains %s%s%s (and the site context's local "
                  "domains)%s", rule,
                  l.n ? "(inferred from local/virtual/lmtp deliveries) " : "(inferred): none",
                  l.buf, l.n > 12 ? ", ..." : "", tr);
}
