/*
 * tls_downgrade.c - rule tls-downgrade: an SMTP peer that used TLS with this server before
 * sends a message in a session without TLS.  A machine in the middle stripping STARTTLS
 * (the client then falls back to plain text), a broken TLS set-up on the peer, or a
 * different machine using that address; in each case the mail travelled in clear.
 *
 * A client is compared with itself on the same service (the syslog name: Postfix
 * master.cf services log as postfix/submission, postfix-in, ...; the port when the site
 * configuration names it), and trusted or internal clients (site context, including the
 * server's own loopback addresses) are not judged.
 *
 * Inbound sessions only (the correlator's sessions: TLS handshake, messages submitted).  A
 * session is judged when its "connect from" line is in the logs (in an excerpt the TLS line
 * may be missing) and the host logs TLS at all (smtpd_tls_loglevel >= 1; a host that never
 * logs TLS is not judged, and a note says so).  Per host + client IP the rule keeps the TLS
 * sessions seen and the last TLS line; a later session without TLS that submitted a message,
 * within `memory` of log time after the last TLS session and after at least `min_tls` TLS
 * sessions, is a downgrade.  One finding per peer: the last TLS line before the first
 * downgrade, then the connect/receipt lines of the clear-text sessions.  Peers idle for
 * `memory` are swept (every 4096 sessions, and whenever max_keys peers are tracked); a peer
 * with downgrades is reported when swept or at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"min_tls", MSL_P_INT, 1, 1, 1000000,
     "TLS sessions of a peer before a clear-text one counts as a downgrade"},
    {"memory", MSL_P_DURATION, 30 * 86400, 60, 366 * 86400,
     "how long (log time) a peer's TLS use is remembered"},
};

struct peer {
    char *host, *ip;
    uint64_t tls, plain, msgs;
    uint64_t tls_before; /* TLS sessions before the first downgrade */
    int64_t last_tls, last_seen;
    struct msl_fevidence tls_line; /* the last TLS handshake line (text only with show_lines) */
    char *tls_proto;
    char *service; /* "postfix/submission (port 587)" */
    struct msl_finding f; /* downgrades (open while plain > 0) */
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *peers;  /* "host\nip" -> struct peer */
    struct strmap *tlshost; /* hosts that log TLS */
    struct strmap *hosts;   /* hosts with judged sessions */
    uint64_t seen, dropped, skipped_trusted;
    int64_t now;
    struct det_sweeper sw;
};

/* The service a session used: the syslog name without the daemon ("postfix/submission"
 * of "postfix/submission/smtpd"), with its port when the site configuration names it. */
static void service_of(const struct st *s, const struct msl_session *ss, char *out, size_t n)
{
    const char *prog = ss->program ? ss->program : "?";
    const char *slash = strrchr(prog, '/');
    int len = slash ? (int)(slash - prog) : (int)strlen(prog);
    const struct msl_site_entry *e = msl_site_service(s->env->site, prog);
    if (e && e->port >= 0)
        snprintf(out, n, "%.*s (port %d)", len, prog, (int)e->port);
    else
        snprintf(out, n, "%.*s", len, prog);
}

static void emit_peer(struct st *s, struct peer *pe)
{
    if (!pe->plain)
        return;
    struct msl_finding *f = &pe->f;
    f->rule = "tls-downgrade";
    f->severity = s->env->severity;
    f->entity_type = "ip";
    f->entity = det_strdup(pe->ip);
    f->host = det_strdup(pe->host);
    det_set_count(f, "tls_before", (int64_t)pe->tls_before);
    det_set_count(f, "tls_sessions", (int64_t)pe->tls);
    det_set_count(f, "plain_sessions", (int64_t)pe->plain);
    det_set_count(f, "messages", (int64_t)pe->msgs);
    det_title(f, "TLS downgrade: %s sent %llu messages without TLS after %llu TLS sessions",
              pe->ip, (unsigned long long)pe->msgs, (unsigned long long)pe->tls_before);
    det_explain(f, "The client %s used TLS (%s) with %s on the service %s in %llu session%s, "
                   "then submitted "
                   "%llu message%s in %llu session%s without TLS on the same service (%llu TLS "
                   "sessions in all).  "
                   "The messages "
                   "travelled in clear text: STARTTLS may have been stripped by a machine in "
                   "the middle (the client falls back to plain text), the peer's TLS broke, or "
                   "another machine uses the address.  Compare the sessions; require TLS for "
                   "this peer (smtpd_tls_security_level or a TLS policy) if it always can.",
                pe->ip, pe->tls_proto ? pe->tls_proto : "?", pe->host ? pe->host : "?",
                pe->service ? pe->service : "?", (unsigned long long)pe->tls_before, pe->tls_before == 1 ? "" : "s",
                (unsigned long long)pe->msgs, pe->msgs == 1 ? "" : "s",
                (unsigned long long)pe->plain, pe->plain == 1 ? "" : "s",
                (unsigned long long)pe->tls);
    msl_hunt_emit(s->env->hunt, f);
}

static void free_peer(struct peer *pe)
{
    free(pe->host);
    free(pe->ip);
    free(pe->tls_proto);
    free(pe->service);
    free(pe->tls_line.text);
    det_finding_clear(&pe->f);
}

static void drop_peer(void *val, void *ctx)
{
    emit_peer(ctx, val);
    free_peer(val);
}

static int stale_peer(void *val, void *ctx)
{
    struct st *s = ctx;
    struct peer *pe = val;
    return pe->last_seen + s->env->params[1] * US_PER_S < s->now;
}

static int stale_all(void *val, void *ctx)
{
    (void)val;
    (void)ctx;
    return 1;
}

static const struct msl_evline *first_line(const struct msl_session *ss, enum msl_kind k)
{
    for (size_t i = 0; i < ss->nlines; i++)
        if (ss->lines[i].kind == k)
            return &ss->lines[i];
    return NULL;
}

static const struct msl_evline *last_line(const struct msl_session *ss, enum msl_kind k)
{
    for (size_t i = ss->nlines; i-- > 0;)
        if (ss->lines[i].kind == k)
            return &ss->lines[i];
    return NULL;
}

static void cite_line(struct st *s, struct msl_finding *f, const struct msl_evline *l)
{
    struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
    det_cite(s->env, f, l->ts, &l->ev, raw);
}

static void on_session(void *p, const struct msl_session *ss)
{
    struct st *s = p;
    if (!ss->saw_connect || !ss->client_ip || !*ss->client_ip || !ss->host)
        return;
    const char *host = ss->host;
    if (ss->tls_proto && !strmap_find(s->tlshost, host, strlen(host)) &&
        strmap_len(s->tlshost) < s->env->max_keys)
        strmap_get(s->tlshost, host, strlen(host), NULL);
    if (strmap_len(s->hosts) < s->env->max_keys)
        strmap_get(s->hosts, host, strlen(host), NULL);
    /* trusted or internal hops (mynetworks, --trusted-net, the server's own loopback
     * clients such as a content filter re-injecting) are not judged */
    if (msl_site_trusted(s->env->site, ss->client_ip, 0)) {
        s->skipped_trusted++;
        return;
    }
    int64_t ts = ss->start_ts;
    if (ts > s->now)
        s->now = ts;
    if (det_sweep_due(&s->sw, strmap_len(s->peers), s->env->max_keys, s->now))
        det_sweep(s->peers, stale_peer, drop_peer, s);
    /* a client is compared with itself on the same service: STARTTLS on submission and
     * plain SMTP on port 25 are two services, not a downgrade */
    char svc[300];
    service_of(s, ss, svc, sizeof svc);
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s\n%s", host, ss->client_ip, svc);
    if (n <= 0 || (size_t)n >= sizeof key)
        return;
    struct peer *pe = strmap_find(s->peers, key, (size_t)n);
    if (ss->tls_proto) {
        if (!pe && strmap_len(s->peers) < s->env->max_keys) {
            pe = strmap_get(s->peers, key, (size_t)n, NULL);
            if (pe) {
                pe->host = det_strdup(host);
                pe->ip = det_strdup(ss->client_ip);
                pe->service = det_strdup(svc);
            }
        }
        if (!pe) {
            s->dropped++;
            return;
        }
        pe->tls++;
        pe->last_tls = pe->last_seen = ts;
        free(pe->tls_proto);
        pe->tls_proto = det_strdup(ss->tls_proto);
        const struct msl_evline *l = first_line(ss, MSL_EV_TLS);
        if (l && !pe->plain) { /* keep the TLS line that preceded the first downgrade */
            free(pe->tls_line.text);
            pe->tls_line = (struct msl_fevidence){l->ev, l->ts,
                                                  s->env->show_lines ? det_strdup(l->text) : NULL};
        }
        return;
    }
    if (!pe || !ss->nqids || pe->tls < (uint64_t)s->env->params[0] ||
        ts - pe->last_tls > s->env->params[1] * US_PER_S)
        return;
    pe->last_seen = ts;
    if (!pe->plain) {
        pe->tls_before = pe->tls;
        if (pe->tls_line.ev.line)
            det_cite_fe(s->env, &pe->f, &pe->tls_line);
    }
    pe->plain++;
    pe->msgs += ss->nqids;
    const struct msl_evline *c = last_line(ss, MSL_EV_CONNECT); /* smtpd's, not postscreen's */
    if (c)
        cite_line(s, &pe->f, c);
    for (size_t i = 0; i < ss->nlines; i++)
        if (ss->lines[i].kind == MSL_EV_RECEIVED)
            cite_line(s, &pe->f, &ss->lines[i]);
    char rel[600];
    snprintf(rel, sizeof rel, "%s %s[%lld] %s", host, ss->program ? ss->program : "?",
             (long long)ss->pid, ss->client_ip);
    det_related(s->env, &pe->f.sessions, &pe->f.nsessions, rel);
    for (size_t i = 0; i < ss->nqids; i++)
        det_related_message(s->env, &pe->f, host, ss->qids[i]);
}

struct hn {
    struct st *s;
    char buf[400];
    size_t n;
};

static void host_no_tls(void *ctx, const struct strmap_entry *e)
{
    struct hn *h = ctx;
    if (strmap_find(h->s->tlshost, e->key, e->klen))
        return;
    size_t u = strlen(h->buf);
    if (h->n++ < 8 && u < sizeof h->buf - 80)
        snprintf(h->buf + u, sizeof h->buf - u, "%s%s", u ? ", " : "", e->key);
}

static void finish(void *p)
{
    struct st *s = p;
    det_sweep(s->peers, stale_all, drop_peer, s);
    struct hn h = {.s = s};
    strmap_each(s->hosts, host_no_tls, &h);
    if (h.n)
        msl_hunt_note(s->env->hunt, "tls-downgrade: %s%s log%s no inbound TLS handshake "
                      "(smtpd_tls_loglevel 0?): sessions there not judged", h.buf,
                      h.n > 8 ? ", ..." : "", h.n == 1 ? "s" : "");
    if (s->skipped_trusted)
        msl_hunt_note(s->env->hunt, "tls-downgrade: %llu sessions of trusted or internal "
                      "clients (site context: mynetworks, --trusted-net, loopback) not judged",
                      (unsigned long long)s->skipped_trusted);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "tls-downgrade: more than %zu peers; %llu TLS sessions not "
                      "tracked", s->env->max_keys, (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->peers = strmap_new(sizeof(struct peer));
    s->tlshost = strmap_new(1);
    s->hosts = strmap_new(1);
    if (!s->peers || !s->tlshost || !s->hosts) {
        strmap_free(s->peers);
        strmap_free(s->tlshost);
        strmap_free(s->hosts);
        free(s);
        return NULL;
    }
    return s;
}

static void free_each(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    free_peer(ent->val);
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->peers, free_each, NULL);
    strmap_free(s->peers);
    strmap_free(s->tlshost);
    strmap_free(s->hosts);
    free(s);
}

const struct msl_detector msl_det_tls_downgrade = {
    .id = "tls-downgrade",
    .severity = MSL_FSEV_MEDIUM,
    .description = "a peer that used TLS before sends a message without it",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_session = on_session,
    .finish = finish,
    .free = free_st,
};
