/*
 * bulk_campaign.c - rule bulk-campaign: mass mailing that goes wrong, two ways.
 *  - campaign: one envelope sender whose messages within `window` reach at least
 *    `min_rcpts` recipients of which at least `fail_pct` bounced, deferred or expired (the
 *    last attempt of each recipient counts).  Spam runs from a compromised account or web
 *    form, or a stale mailing list, hit unknown and refusing recipients in bulk.
 *  - blocklisted: remote servers answering our deliveries that we are blocklisted
 *    ("blocked using", Spamhaus, "block list", "blocklist"/"blacklist", "listed at/in",
 *    DNSBL in the reply of a deferred/bounced delivery or a refused connection).  Only the
 *    replies our SMTP client got count: our own smtpd rejecting others with "blocked using"
 *    is a REJECT, not this.  One finding per server, at least high (mail is not leaving).
 * Streams finished messages (campaign) and events (replies).  State: per host + sender one
 * open window (counts, cited failure lines, related messages at most max_evidence); a
 * window closes when a message of that sender comes after it, or when swept (every 4096
 * messages and whenever max_keys windows are open: windows idle for `window` of log time
 * are judged and freed).  Per host one blocklist record.  Content-filter hand-offs and null
 * senders (bounces) are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

#define RELAYS 4
#define MAX_RCPT_SCAN 2000 /* deliveries of one message looked at */

static const struct msl_param params[] = {
    {"min_rcpts", MSL_P_INT, 100, 1, 100000000, "recipients of one sender within the window"},
    {"fail_pct", MSL_P_PERCENT, 30, 1, 100,
     "...of which at least this share bounced, deferred or expired"},
    {"window", MSL_P_DURATION, 3600, 60, 30 * 86400, "the campaign window"},
    {"blocklist_min", MSL_P_INT, 1, 1, 1000000,
     "remote replies saying we are blocklisted that make a finding"},
};

struct win {
    char *host, *sender;
    int64_t start, last;
    uint64_t msgs, rcpts, failed;
    struct msl_finding f;
};

struct bl {
    char *host;
    uint64_t replies;
    char *relays[RELAYS];
    size_t nrelays;
    uint64_t relays_more;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *wins; /* "host\nsender" -> struct win */
    struct strmap *bls;  /* host -> struct bl */
    uint64_t seen, dropped;
    int64_t now;
    struct det_sweeper sw;
};

static const char *const bl_words[] = {
    "blocked using", "spamhaus", "spamcop", "block list", "blocklist", "blacklist",
    "black list", "listed at", "listed in", "dnsbl",
};

static int says_blocklisted(struct msl_str t)
{
    for (size_t i = 0; i < sizeof bl_words / sizeof bl_words[0]; i++)
        if (det_contains(t, bl_words[i]))
            return 1;
    return 0;
}

static int is_failure(enum msl_status st)
{
    return st == MSL_ST_BOUNCED || st == MSL_ST_DEFERRED || st == MSL_ST_EXPIRED ||
           st == MSL_ST_UNDELIVERABLE;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    int outbound = (e->kind == MSL_EV_DELIVERY && is_failure(e->status)) ||
                   e->kind == MSL_EV_CONN_FAIL;
    if (!outbound || !e->text.n || !says_blocklisted(e->text))
        return;
    struct bl *b = strmap_find(s->bls, e->host.p, e->host.n);
    if (!b && strmap_len(s->bls) < s->env->max_keys) {
        b = strmap_get(s->bls, e->host.p, e->host.n, NULL);
        if (b)
            b->host = det_strndup(e->host.p, e->host.n);
    }
    if (!b) {
        s->dropped++;
        return;
    }
    b->replies++;
    struct msl_str r = e->relay_host.n ? e->relay_host : e->relay_ip;
    if (r.n) {
        size_t i = 0;
        while (i < b->nrelays && (strlen(b->relays[i]) != r.n || memcmp(b->relays[i], r.p, r.n)))
            i++;
        if (i == b->nrelays && b->nrelays < RELAYS)
            b->relays[b->nrelays++] = det_strndup(r.p, r.n);
        else if (i == b->nrelays)
            b->relays_more++;
    }
    if (e->qid.n) {
        char *h = det_strndup(e->host.p, e->host.n), *q = det_strndup(e->qid.p, e->qid.n);
        det_related_message(s->env, &b->f, h, q);
        free(h);
        free(q);
    }
    det_cite(s->env, &b->f, e->ts, &e->ev, e->raw);
}

static void judge_win(struct st *s, struct win *w)
{
    const int64_t *pr = s->env->params;
    if (w->rcpts < (uint64_t)pr[0] || w->failed * 100 < (uint64_t)pr[1] * w->rcpts) {
        det_finding_clear(&w->f);
        return;
    }
    struct msl_finding *f = &w->f;
    f->rule = "bulk-campaign";
    f->severity = s->env->severity;
    f->entity_type = "sender";
    f->entity = det_strdup(w->sender);
    f->host = det_strdup(w->host);
    det_set_count(f, "messages", (int64_t)w->msgs);
    det_set_count(f, "recipients", (int64_t)w->rcpts);
    det_set_count(f, "failed", (int64_t)w->failed);
    det_set_count(f, "failed_pct", (int64_t)(w->failed * 100 / (w->rcpts ? w->rcpts : 1)));
    det_title(f, "bulk sending with failures: %s to %llu recipients, %llu%% failed", w->sender,
              (unsigned long long)w->rcpts,
              (unsigned long long)(w->failed * 100 / (w->rcpts ? w->rcpts : 1)));
    det_explain(f, "The sender %s sent %llu message%s to %llu recipients on %s within %lld s, "
                   "and %llu of them (%llu%%, threshold %lld%% of at least %lld) bounced, were "
                   "deferred or expired.  Bulk mail with many failures is a spam run (a "
                   "compromised account or web form) or a list of stale addresses; either way "
                   "it hurts the server's reputation.  Look at who submitted it (related "
                   "messages) and the replies of the cited lines.",
                w->sender, (unsigned long long)w->msgs, w->msgs == 1 ? "" : "s",
                (unsigned long long)w->rcpts, w->host ? w->host : "?", (long long)pr[2],
                (unsigned long long)w->failed,
                (unsigned long long)(w->failed * 100 / (w->rcpts ? w->rcpts : 1)),
                (long long)pr[1], (long long)pr[0]);
    msl_hunt_emit(s->env->hunt, f);
}

static void drop_win(void *val, void *ctx)
{
    struct win *w = val;
    judge_win(ctx, w);
    free(w->host);
    free(w->sender);
}

static int stale_win(void *val, void *ctx)
{
    struct st *s = ctx;
    struct win *w = val;
    return w->last + s->env->params[2] * US_PER_S < s->now;
}

static int stale_all(void *val, void *ctx)
{
    (void)val;
    (void)ctx;
    return 1;
}

static const struct msl_evline *line_of(const struct msl_message *m, const struct msl_evidence *ev)
{
    for (size_t i = 0; i < m->nlines; i++)
        if (m->lines[i].ev.src == ev->src && m->lines[i].ev.line == ev->line)
            return &m->lines[i];
    return NULL;
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (!m->from || !*m->from || m->reinjected_as || m->bounce_of || !m->ndeliveries)
        return;
    int64_t ts = m->received_ts ? m->received_ts : m->first_ts;
    if (ts > s->now)
        s->now = ts;
    if (det_sweep_due(&s->sw, strmap_len(s->wins), s->env->max_keys, s->now))
        det_sweep(s->wins, stale_win, drop_win, s);
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s", m->host ? m->host : "", m->from);
    if (n <= 0 || (size_t)n >= sizeof key)
        return;
    struct win *w = strmap_find(s->wins, key, (size_t)n);
    if (w && ts - w->start > s->env->params[2] * US_PER_S) {
        judge_win(s, w); /* the window is over: judge it and start a new one */
        w->msgs = w->rcpts = w->failed = 0;
        w->start = ts;
    }
    if (!w && strmap_len(s->wins) < s->env->max_keys) {
        w = strmap_get(s->wins, key, (size_t)n, NULL);
        if (w) {
            w->host = det_strdup(m->host);
            w->sender = det_strdup(m->from);
            w->start = ts;
        }
    }
    if (!w) {
        s->dropped++;
        return;
    }
    w->msgs++;
    w->last = ts;
    size_t nd = m->ndeliveries < MAX_RCPT_SCAN ? m->ndeliveries : MAX_RCPT_SCAN;
    int failed_msg = 0;
    for (size_t i = 0; i < nd; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (!d->to)
            continue;
        size_t later = i + 1;
        while (later < nd && (!m->deliveries[later].to || strcmp(m->deliveries[later].to, d->to)))
            later++;
        if (later < nd)
            continue; /* a later attempt for this recipient decides */
        w->rcpts++;
        if (!is_failure(d->status))
            continue;
        w->failed++;
        failed_msg = 1;
        const struct msl_evline *l = line_of(m, &d->ev);
        struct msl_str raw = {l && l->text ? l->text : NULL, l && l->text ? strlen(l->text) : 0};
        det_cite(s->env, &w->f, d->ts, &d->ev, raw);
    }
    if (failed_msg)
        det_related_message(s->env, &w->f, m->host, m->qid);
}

static void judge_bl(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct bl *b = ent->val;
    if (b->replies < (uint64_t)s->env->params[3])
        return;
    char relays[300] = "";
    size_t used = 0;
    for (size_t i = 0; i < b->nrelays && used < sizeof relays; i++) {
        int w = snprintf(relays + used, sizeof relays - used, "%s%s", i ? ", " : "",
                         b->relays[i] ? b->relays[i] : "?");
        used += w > 0 ? (size_t)w : 0;
    }
    struct msl_finding *f = &b->f;
    f->rule = "bulk-campaign";
    f->severity = s->env->severity < MSL_FSEV_HIGH ? MSL_FSEV_HIGH : s->env->severity;
    f->entity_type = "host";
    f->entity = det_strdup(b->host);
    f->host = det_strdup(b->host);
    det_set_count(f, "replies", (int64_t)b->replies);
    det_set_count(f, "relays", (int64_t)(b->nrelays + b->relays_more));
    det_title(f, "blocklisted: %llu remote replies say %s is on a block list",
              (unsigned long long)b->replies, b->host ? b->host : "?");
    det_explain(f, "Remote servers (%s%s) refused or deferred %llu deliveries from %s with a "
                   "reply naming a block list (DNSBL, Spamhaus, 'blocked using', 'listed at').  "
                   "The server's IP or its provider's network is listed, usually after spam "
                   "was sent through it: find the source (compromised accounts, forms, rule "
                   "bulk-campaign and account-burst), stop it, then request delisting.",
                relays, b->relays_more ? ", ..." : "", (unsigned long long)b->replies,
                b->host ? b->host : "?");
    msl_hunt_emit(s->env->hunt, f);
}

static void free_bl(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct bl *b = ent->val;
    free(b->host);
    for (size_t i = 0; i < b->nrelays; i++)
        free(b->relays[i]);
    det_finding_clear(&b->f);
}

static void finish(void *p)
{
    struct st *s = p;
    det_sweep(s->wins, stale_all, drop_win, s);
    strmap_each(s->bls, judge_bl, s);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "bulk-campaign: more than %zu senders or servers at once; "
                      "%llu messages or replies not judged", s->env->max_keys,
                      (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->wins = strmap_new(sizeof(struct win));
    s->bls = strmap_new(sizeof(struct bl));
    if (!s->wins || !s->bls) {
        strmap_free(s->wins);
        strmap_free(s->bls);
        free(s);
        return NULL;
    }
    return s;
}

static void free_win(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct win *w = ent->val;
    free(w->host);
    free(w->sender);
    det_finding_clear(&w->f);
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->wins, free_win, NULL);
    strmap_free(s->wins);
    strmap_each(s->bls, free_bl, NULL);
    strmap_free(s->bls);
    free(s);
}

const struct msl_detector msl_det_bulk_campaign = {
    .id = "bulk-campaign",
    .severity = MSL_FSEV_MEDIUM,
    .description = "one sender to many recipients with many failures; remote replies saying "
                   "we are blocklisted",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
