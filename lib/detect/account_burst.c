/*
 * account_burst.c - rule account-burst: an authenticated user (SASL) or a local uid
 * (pickup) sending far more than usual - the typical sign of a taken-over account or a
 * compromised web application - and a high bounce ratio of its mail.
 *
 * Volume: more than `rcpts_per_hour` recipients in any hour, more than `msgs_per_min`
 * messages in any minute, or a busiest hour above `baseline_factor` times the account's own
 * average hour in the same logs (only when the account spans at least `baseline_hours`
 * hours and the busiest hour has at least `baseline_min` messages).  Bounces: at least
 * `bounce_min` recipients of which `bounce_pct` bounced; critical when the account was
 * reported by auth-success-after-failures.
 *
 * Streams finished messages (content-filter copies and bounces are skipped: the original
 * counts).  A message that was submitted authenticated (ESMTPA/ESMTPSA) but carries no user
 * is the user's who last logged in from that client on that host: Sendmail logs the login
 * on its own line ("AUTH=server, relay=[ip], authid=bob") without the queue id, so the
 * AUTH_OK events are kept per host and client (bounded by max_keys).  Per account: a ring of the last msgs_per_min+1 message times, a queue of at
 * most rcpts_per_hour+1 (time, recipients) entries (more entries than the threshold already
 * exceed it), hourly counters for the baseline and bounce totals; at most max_keys
 * accounts.  Messages leave the correlator when they finish, so times are close to, not
 * exactly in, order; the windows tolerate that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"rcpts_per_hour", MSL_P_INT, 100, 1, 100000000, "recipients per hour above which it fires"},
    {"msgs_per_min", MSL_P_INT, 30, 1, 100000000, "messages per minute above which it fires"},
    {"baseline_factor", MSL_P_INT, 10, 2, 1000000, "busiest hour vs the account's average hour"},
    {"baseline_hours", MSL_P_INT, 24, 2, 1000000, "hours of history the baseline needs"},
    {"baseline_min", MSL_P_INT, 20, 1, 100000000, "messages the busiest hour needs"},
    {"bounce_pct", MSL_P_PERCENT, 30, 1, 100, "share of bounced recipients that fires"},
    {"bounce_min", MSL_P_INT, 10, 1, 100000000, "recipients needed for the bounce test"},
};

struct qent {
    int64_t ts;
    int64_t n;
};

struct acct {
    struct det_ring ring; /* message times for msgs/min */
    struct qent *q;
    size_t qn;
    int64_t qsum, max_rcpt_hour, max_msgs_min;
    int64_t first_hour, last_hour, cur_hour, cur_count, max_hour, max_hour_count, msgs;
    int64_t rcpts, bounced;
    int hot; /* a threshold was crossed: msgs now cited */
    struct msl_finding f, fb;
    char *host;
    int is_uid;
};

#define USERLEN 256

struct st {
    const struct msl_detect_env *env;
    struct strmap *a;
    struct strmap *login; /* "host\nclient ip" -> char[USERLEN] last SASL user */
    uint64_t dropped;
};

static size_t login_key(char *k, size_t cap, const char *host, size_t hn, const char *ip, size_t in)
{
    int n = snprintf(k, cap, "%.*s\n%.*s", (int)hn, host ? host : "", (int)in, ip ? ip : "");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_AUTH_OK || !e->sasl_user.n || !e->client_ip.n ||
        e->sasl_user.n >= USERLEN)
        return;
    char k[512];
    size_t n = login_key(k, sizeof k, e->host.p, e->host.n, e->client_ip.p, e->client_ip.n);
    if (!n || (strmap_len(s->login) >= s->env->max_keys && !strmap_find(s->login, k, n)))
        return;
    char *u = strmap_get(s->login, k, n, NULL);
    if (u) {
        memcpy(u, e->sasl_user.p, e->sasl_user.n);
        u[e->sasl_user.n] = 0;
    }
}

/* The user of an authenticated message whose record names none (see the header). */
static const char *login_of(const struct st *s, const struct msl_message *m)
{
    if (!det_msg_authenticated(m) || !m->client_ip)
        return NULL;
    char k[512];
    size_t n = login_key(k, sizeof k, m->host, m->host ? strlen(m->host) : 0, m->client_ip,
                         strlen(m->client_ip));
    const char *u = n ? strmap_find(s->login, k, n) : NULL;
    return u && *u ? u : NULL;
}

static int64_t P(const struct st *s, int i)
{
    return s->env->params[i];
}

static void cite_receipt(struct st *s, struct msl_finding *f, const struct msl_message *m)
{
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if (l->kind == MSL_EV_RECEIVED) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, f, l->ts, &l->ev, raw);
            break;
        }
    }
    det_related_message(s->env, f, m->host, m->qid);
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (m->reinjected_from || m->bounce_of)
        return;
    char key[512];
    int is_uid = 0;
    const char *login;
    if (m->sasl_user && *m->sasl_user) {
        snprintf(key, sizeof key, "%s", m->sasl_user);
    } else if ((login = login_of(s, m)) != NULL) {
        snprintf(key, sizeof key, "%s", login);
    } else if (m->uid && *m->uid) {
        snprintf(key, sizeof key, "uid %s@%s", m->uid, m->host ? m->host : "?");
        is_uid = 1;
    } else {
        return;
    }
    struct acct *a = strmap_find(s->a, key, strlen(key));
    if (!a) {
        if (strmap_len(s->a) >= s->env->max_keys) {
            s->dropped++;
            return;
        }
        a = strmap_get(s->a, key, strlen(key), NULL);
        if (!a)
            return;
        if (det_ring_init(&a->ring, (size_t)P(s, 1) + 1) != MSL_OK) {
            strmap_del(s->a, key, strlen(key));
            return;
        }
        a->host = det_strdup(m->host);
        a->is_uid = is_uid;
        a->first_hour = -1;
    }
    int64_t ts = m->received_ts ? m->received_ts : m->first_ts;
    /* recipients: distinct addresses of the deliveries, else nrcpt */
    int64_t rc = 0, bounced = 0;
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const char *to = m->deliveries[i].to;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = to && m->deliveries[j].to && !strcmp(to, m->deliveries[j].to);
        if (seen)
            continue;
        rc++;
        for (size_t j = i; j < m->ndeliveries; j++)
            if (m->deliveries[j].to && to && !strcmp(to, m->deliveries[j].to) &&
                m->deliveries[j].status == MSL_ST_BOUNCED) {
                bounced++;
                break;
            }
    }
    if (m->nrcpt > rc)
        rc = m->nrcpt;
    if (rc == 0)
        rc = 1;
    int was_hot = a->hot;
    a->msgs++;
    a->rcpts += rc;
    a->bounced += bounced;
    if (bounced)
        cite_receipt(s, &a->fb, m);
    /* hourly baseline */
    int64_t hour = ts / (3600 * US_PER_S);
    if (a->first_hour < 0 || hour < a->first_hour)
        a->first_hour = hour;
    if (hour > a->last_hour)
        a->last_hour = hour;
    if (hour != a->cur_hour) {
        a->cur_hour = hour;
        a->cur_count = 0;
    }
    if (++a->cur_count > a->max_hour_count) {
        a->max_hour_count = a->cur_count;
        a->max_hour = hour;
    }
    /* messages per minute */
    struct msl_evidence ev = m->nlines ? m->lines[0].ev : (struct msl_evidence){0};
    det_ring_push(s->env, &a->ring, ts, &ev, MSL_STR_NULL);
    if (a->ring.n == a->ring.k) {
        int64_t span = det_ring_at(&a->ring, a->ring.n - 1)->ts - det_ring_at(&a->ring, 0)->ts;
        if (span < 60 * US_PER_S && span >= 0) {
            a->max_msgs_min = (int64_t)a->ring.n;
            a->hot = 1;
        }
    }
    /* recipients per hour */
    size_t j = 0;
    for (size_t i = 0; i < a->qn; i++) {
        if (a->q[i].ts + 3600 * US_PER_S <= ts)
            a->qsum -= a->q[i].n;
        else
            a->q[j++] = a->q[i];
    }
    a->qn = j;
    size_t qcap = (size_t)P(s, 0) + 1;
    if (!a->q)
        a->q = calloc(qcap, sizeof *a->q);
    if (a->q) {
        if (a->qn == qcap) {
            a->qsum -= a->q[0].n;
            memmove(a->q, a->q + 1, (a->qn - 1) * sizeof *a->q);
            a->qn--;
        }
        a->q[a->qn++] = (struct qent){ts, rc};
        a->qsum += rc;
        if (a->qsum > P(s, 0)) {
            if (a->qsum > a->max_rcpt_hour)
                a->max_rcpt_hour = a->qsum;
            a->hot = 1;
        }
    }
    if (a->hot && !was_hot) /* cite the burst, not the account's first messages */
        det_finding_clear(&a->f);
    cite_receipt(s, &a->f, m);
}

static void each(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct acct *a = ent->val;
    int64_t span = a->last_hour - a->first_hour + 1;
    int64_t base_num = a->msgs - a->max_hour_count;
    int baseline = span >= P(s, 3) && a->max_hour_count >= P(s, 4) &&
                   a->max_hour_count * (span - 1) > P(s, 2) * (base_num > 0 ? base_num : 1);
    if (a->hot || baseline) {
        struct msl_finding *f = &a->f;
        f->rule = "account-burst";
        f->severity = s->env->severity;
        f->entity_type = "user";
        f->entity = det_strdup(ent->key);
        f->host = det_strdup(a->host);
        det_set_count(f, "messages", a->msgs);
        det_set_count(f, "recipients", a->rcpts);
        det_set_count(f, "max_recipients_per_hour", a->max_rcpt_hour);
        det_set_count(f, "max_messages_per_minute", a->max_msgs_min);
        det_set_count(f, "busiest_hour_messages", a->max_hour_count);
        char avg[64];
        snprintf(avg, sizeof avg, "%.1f", span > 1 ? (double)base_num / (double)(span - 1) : 0.0);
        det_title(f, "sending burst by %s %s", a->is_uid ? "local" : "account", ent->key);
        det_explain(f, "%s %s sent %lld messages to %lld recipients in these logs.%s%s%s "
                       "Its busiest hour had %lld messages against an average of %s in its "
                       "other hours.  A sudden burst from one account is the usual sign of a "
                       "stolen password or a compromised script sending spam; check the "
                       "cited messages and the account's logins.",
                    a->is_uid ? "The local submitter" : "The authenticated user", ent->key,
                    (long long)a->msgs, (long long)a->rcpts,
                    a->max_rcpt_hour ? " Recipients within one hour exceeded the rule's limit."
                                     : "",
                    a->max_msgs_min ? " More messages than the per-minute limit left within "
                                      "one minute." : "",
                    baseline ? " The busiest hour exceeds the account's own baseline by the "
                               "configured factor." : "",
                    (long long)a->max_hour_count, avg);
        msl_hunt_emit(s->env->hunt, f);
    }
    if (a->rcpts >= P(s, 6) && a->bounced * 100 >= P(s, 5) * a->rcpts) {
        struct msl_finding *f = &a->fb;
        int taken = msl_hunt_user_marked(s->env->hunt, ent->key);
        f->rule = "account-burst";
        f->severity = taken ? MSL_FSEV_CRITICAL : s->env->severity;
        f->entity_type = "user";
        f->entity = det_strdup(ent->key);
        f->host = det_strdup(a->host);
        det_set_count(f, "recipients", a->rcpts);
        det_set_count(f, "bounced", a->bounced);
        det_set_count(f, "bounce_pct", a->rcpts ? a->bounced * 100 / a->rcpts : 0);
        det_title(f, "high bounce ratio for %s: %lld of %lld recipients bounced", ent->key,
                  (long long)a->bounced, (long long)a->rcpts);
        det_explain(f, "%lld%% of the recipients of %s bounced.  Legitimate senders write to "
                       "addresses that exist; spam runs from a hijacked account hit many dead "
                       "ones.%s",
                    (long long)(a->bounced * 100 / a->rcpts), ent->key,
                    taken ? " The account logged in after a run of failed logins "
                            "(auth-success-after-failures): likely taken over." : "");
        msl_hunt_emit(s->env->hunt, f);
    }
}

static void free_acct(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct acct *a = ent->val;
    det_ring_free(&a->ring);
    free(a->q);
    free(a->host);
    det_finding_clear(&a->f);
    det_finding_clear(&a->fb);
}

static void finish(void *p)
{
    struct st *s = p;
    strmap_each(s->a, each, s);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "account-burst: more than %zu accounts; %llu messages not "
                      "counted", s->env->max_keys, (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->a = strmap_new(sizeof(struct acct));
    s->login = strmap_new(USERLEN);
    if (!s->a || !s->login) {
        strmap_free(s->a);
        strmap_free(s->login);
        free(s);
        return NULL;
    }
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->a, free_acct, NULL);
    strmap_free(s->a);
    strmap_free(s->login);
    free(s);
}

const struct msl_detector msl_det_account_burst = {
    .id = "account-burst",
    .severity = MSL_FSEV_HIGH,
    .description = "an authenticated user or local uid sending far more than usual, or "
                   "with many bounces",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
