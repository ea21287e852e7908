/*
 * eval.c - running a compiled query over messages, sessions and events.
 *
 * Each record type has one term function: a switch on the field that feeds the record's
 * values for it (one value, or each recipient / delivery / auth / reject in turn) to the
 * precompiled pattern, CIDR, bit set or number.  A field that has no meaning for the record
 * type (kind: on a message, size on a session, final: on an event) simply does not match,
 * and neither does an absent value (NULL string, -1 number); NOT turns either into a
 * match.  Nothing here allocates; recursion is bounded by the parser's nesting limit.
 *
 * Times: since: is inclusive, until: exclusive, compared with a message's first_ts, a
 * session's start_ts and an event's ts.
 */
#include <string.h>

#include "query/query_int.h"

typedef int (*term_fn)(const struct q_node *n, const void *rec);

/* ---- value helpers ---- */

static int str_m(const struct q_pat *p, const char *s)
{
    return s && q_pat_match(p, s, strlen(s));
}

/* Event views: absent when empty, except where "" is meaningful (the null sender). */
static int view_m(const struct q_pat *p, struct msl_str v)
{
    return v.p && v.n && q_pat_match(p, v.p, v.n);
}

static int domain_of(const char *s, size_t n, const char **d, size_t *dn)
{
    if (!s)
        return 0;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == '@') {
            *d = s + i;
            *dn = n - i;
            return 1;
        }
    }
    return 0;
}

static int dom_m(const struct q_pat *p, const char *s, size_t n)
{
    const char *d;
    size_t dn;
    return domain_of(s, n, &d, &dn) && q_pat_match(p, d, dn);
}

static int dom_str(const struct q_pat *p, const char *s)
{
    return s && dom_m(p, s, strlen(s));
}

static int ip_m(const struct q_node *n, const char *s, size_t len)
{
    if (!s || !len)
        return 0;
    return n->use_cidr ? msl_cidr_match(&n->cidr, s, len) : q_pat_match(&n->pat, s, len);
}

static int ip_str(const struct q_node *n, const char *s)
{
    return s && ip_m(n, s, strlen(s));
}

static int num_m(const struct q_node *n, int64_t v)
{
    if (v < 0)
        return 0;
    switch (n->cmp) {
    case QC_LT:
        return v < n->num;
    case QC_LE:
        return v <= n->num;
    case QC_GT:
        return v > n->num;
    case QC_GE:
        return v >= n->num;
    default:
        return v == n->num;
    }
}

static int time_m(const struct q_node *n, int64_t ts)
{
    return n->field == QF_SINCE ? ts >= n->num : ts < n->num;
}

static int st_bit(uint32_t mask, enum msl_status s)
{
    return s > MSL_ST_NONE && s < MSL_ST__COUNT && (mask & (1u << s));
}

static int is_reject(enum msl_action a)
{
    return a == MSL_ACT_REJECT || a == MSL_ACT_MILTER_REJECT || a == MSL_ACT_PROXY_REJECT;
}

/* ---- messages ---- */

static int rcpt_m(const struct q_node *n, const struct msl_message *m, int domain)
{
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (domain ? dom_str(&n->pat, d->to) || dom_str(&n->pat, d->orig_to)
                   : str_m(&n->pat, d->to) || str_m(&n->pat, d->orig_to))
            return 1;
    }
    return 0;
}

static int term_message(const struct q_node *n, const void *rec)
{
    const struct msl_message *m = rec;
    const struct q_pat *p = &n->pat;
    switch (n->field) {
    case QF_ANY:
        return str_m(p, m->from) || rcpt_m(n, m, 0) || str_m(p, m->msgid) ||
               str_m(p, m->qid) || ip_str(n, m->client_ip) || str_m(p, m->sasl_user) ||
               str_m(p, m->client_host);
    case QF_FROM:
        return str_m(p, m->from);
    case QF_TO:
        return rcpt_m(n, m, 0);
    case QF_RCPT_DOMAIN:
        return rcpt_m(n, m, 1);
    case QF_FROM_DOMAIN:
        return dom_str(p, m->from);
    case QF_IP:
        return ip_str(n, m->client_ip);
    case QF_CLIENT:
        return str_m(p, m->client_host);
    case QF_USER:
        return str_m(p, m->sasl_user);
    case QF_HOST:
        return str_m(p, m->host);
    case QF_MSGID:
        return str_m(p, m->msgid);
    case QF_QID:
        return str_m(p, m->qid);
    case QF_HELO:
        return str_m(p, m->helo);
    case QF_STATUS:
        for (size_t i = 0; i < m->ndeliveries; i++)
            if (st_bit(n->mask, m->deliveries[i].status))
                return 1;
        if (n->mask & Q_ST_REJECTED) {
            if (m->end == MSL_END_REJECTED)
                return 1;
            for (size_t i = 0; i < m->nactions; i++)
                if (is_reject(m->actions[i].action))
                    return 1;
        }
        return 0;
    case QF_FINAL:
        return st_bit(n->mask, m->final) ||
               ((n->mask & Q_ST_REJECTED) && m->end == MSL_END_REJECTED);
    case QF_RELAY:
        for (size_t i = 0; i < m->ndeliveries; i++)
            if (str_m(p, m->deliveries[i].relay_host) || str_m(p, m->deliveries[i].relay_ip))
                return 1;
        return 0;
    case QF_DSN:
        for (size_t i = 0; i < m->ndeliveries; i++)
            if (str_m(p, m->deliveries[i].dsn))
                return 1;
        return 0;
    case QF_TEXT:
        for (size_t i = 0; i < m->ndeliveries; i++)
            if (str_m(p, m->deliveries[i].text))
                return 1;
        for (size_t i = 0; i < m->nactions; i++)
            if (str_m(p, m->actions[i].text))
                return 1;
        return 0;
    case QF_SINCE:
    case QF_UNTIL:
        return time_m(n, m->first_ts);
    case QF_SIZE:
        return num_m(n, m->size);
    case QF_NRCPT:
        return num_m(n, m->nrcpt);
    case QF_OUTCOME:
        for (size_t i = 0; i < m->nrcpts; i++)
            if (n->mask & (1u << m->rcpts[i].outcome))
                return 1;
        return 0;
    case QF_ATTEMPTS:
        for (size_t i = 0; i < m->nrcpts; i++)
            if (num_m(n, m->rcpts[i].attempts))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* ---- one recipient of a message (search --recipients) ---- */

struct rcpt_rec {
    const struct msl_message *m;
    const struct msl_recipient *r;
};

/* Recipient fields look at this recipient and its own attempts only; the rest are the
 * message's. */
static int term_recipient(const struct q_node *n, const void *rec)
{
    const struct rcpt_rec *x = rec;
    const struct msl_message *m = x->m;
    const struct msl_recipient *r = x->r;
    const struct q_pat *p = &n->pat;
    switch (n->field) {
    case QF_ANY:
        return str_m(p, m->from) || str_m(p, r->addr) || str_m(p, r->orig) ||
               str_m(p, m->msgid) || str_m(p, m->qid) || ip_str(n, m->client_ip) ||
               str_m(p, m->sasl_user) || str_m(p, m->client_host);
    case QF_TO:
        return str_m(p, r->addr) || str_m(p, r->orig);
    case QF_RCPT_DOMAIN:
        return dom_str(p, r->addr) || dom_str(p, r->orig);
    case QF_STATUS:
        for (size_t i = 0; i < r->nattempt; i++)
            if (st_bit(n->mask, m->deliveries[r->attempt[i]].status))
                return 1;
        return (n->mask & Q_ST_REJECTED) && r->outcome == MSL_OUT_REJECTED;
    case QF_RELAY:
    case QF_DSN:
    case QF_TEXT:
        for (size_t i = 0; i < r->nattempt; i++) {
            const struct msl_delivery *d = &m->deliveries[r->attempt[i]];
            if (n->field == QF_RELAY ? str_m(p, d->relay_host) || str_m(p, d->relay_ip)
                : n->field == QF_DSN ? str_m(p, d->dsn)
                                     : str_m(p, d->text))
                return 1;
        }
        return n->field == QF_TEXT && !r->nattempt && str_m(p, r->reply);
    case QF_OUTCOME:
        return (n->mask & (1u << r->outcome)) != 0;
    case QF_ATTEMPTS:
        return num_m(n, r->attempts);
    default:
        return term_message(n, m);
    }
}

/* ---- sessions ---- */

static int rej_m(const struct q_node *n, const struct msl_session *s, enum q_field f)
{
    for (size_t i = 0; i < s->nrejects; i++) {
        const struct msl_reject_rec *r = &s->rejects[i];
        const char *v = f == QF_FROM || f == QF_FROM_DOMAIN ? r->from
                        : f == QF_TO || f == QF_RCPT_DOMAIN ? r->to
                        : f == QF_HELO                       ? r->helo
                        : f == QF_DSN                        ? r->dsn
                                                             : r->text;
        int hit = f == QF_FROM_DOMAIN || f == QF_RCPT_DOMAIN ? dom_str(&n->pat, v)
                                                             : str_m(&n->pat, v);
        if (hit)
            return 1;
    }
    return 0;
}

static int auth_user_m(const struct q_pat *p, const struct msl_session *s)
{
    for (size_t i = 0; i < s->nauths; i++)
        if (str_m(p, s->auths[i].user))
            return 1;
    return 0;
}

static int qids_m(const struct q_pat *p, const struct msl_session *s)
{
    for (size_t i = 0; i < s->nqids; i++)
        if (str_m(p, s->qids[i]))
            return 1;
    return 0;
}

static int term_session(const struct q_node *n, const void *rec)
{
    const struct msl_session *s = rec;
    const struct q_pat *p = &n->pat;
    switch (n->field) {
    case QF_ANY:
        return ip_str(n, s->client_ip) || auth_user_m(p, s) || str_m(p, s->client_host) ||
               qids_m(p, s) || rej_m(n, s, QF_FROM) || rej_m(n, s, QF_TO);
    case QF_FROM:
    case QF_TO:
    case QF_FROM_DOMAIN:
    case QF_RCPT_DOMAIN:
    case QF_DSN:
    case QF_TEXT:
        return rej_m(n, s, (enum q_field)n->field);
    case QF_IP:
        return ip_str(n, s->client_ip);
    case QF_CLIENT:
        return str_m(p, s->client_host);
    case QF_USER:
        return auth_user_m(p, s);
    case QF_HOST:
        return str_m(p, s->host);
    case QF_QID:
        return qids_m(p, s);
    case QF_HELO:
        return str_m(p, s->helo) || rej_m(n, s, QF_HELO);
    case QF_STATUS:
        if (n->mask & Q_ST_REJECTED)
            for (size_t i = 0; i < s->nrejects; i++)
                if (is_reject(s->rejects[i].action))
                    return 1;
        if (n->mask & Q_ST_AUTHFAIL)
            for (size_t i = 0; i < s->nauths; i++)
                if (!s->auths[i].ok)
                    return 1;
        return 0;
    case QF_SINCE:
    case QF_UNTIL:
        return time_m(n, s->start_ts);
    default:
        return 0;
    }
}

/* ---- events ---- */

static int term_event(const struct q_node *n, const void *rec)
{
    const struct msl_event *e = rec;
    const struct q_pat *p = &n->pat;
    /* from: "" is the null sender, so an empty but present view counts */
    int from_hit = e->from.p && q_pat_match(p, e->from.p, e->from.n);
    switch (n->field) {
    case QF_ANY:
        return from_hit || view_m(p, e->to) || view_m(p, e->orig_to) ||
               view_m(p, e->msgid) || view_m(p, e->qid) ||
               ip_m(n, e->client_ip.p, e->client_ip.n) || view_m(p, e->sasl_user) ||
               view_m(p, e->client_host);
    case QF_FROM:
        return from_hit;
    case QF_TO:
        return view_m(p, e->to) || view_m(p, e->orig_to);
    case QF_RCPT_DOMAIN:
        return dom_m(p, e->to.p, e->to.n) || dom_m(p, e->orig_to.p, e->orig_to.n);
    case QF_FROM_DOMAIN:
        return dom_m(p, e->from.p, e->from.n);
    case QF_IP:
        return ip_m(n, e->client_ip.p, e->client_ip.n);
    case QF_CLIENT:
        return view_m(p, e->client_host);
    case QF_USER:
        return view_m(p, e->sasl_user);
    case QF_HOST:
        return view_m(p, e->host);
    case QF_MSGID:
        return view_m(p, e->msgid);
    case QF_QID:
        return view_m(p, e->qid);
    case QF_HELO:
        return view_m(p, e->helo);
    case QF_STATUS:
        return st_bit(n->mask, e->status) ||
               ((n->mask & Q_ST_REJECTED) && e->kind == MSL_EV_REJECT &&
                is_reject(e->action)) ||
               ((n->mask & Q_ST_AUTHFAIL) && e->kind == MSL_EV_AUTH_FAIL);
    case QF_RELAY:
        return view_m(p, e->relay_host) || view_m(p, e->relay_ip);
    case QF_DSN:
        return view_m(p, e->dsn);
    case QF_TEXT:
        return view_m(p, e->text) || view_m(p, e->detail);
    case QF_KIND:
        return e->kind > MSL_EV_NONE && e->kind < MSL_EV__COUNT && (n->mask & (1u << e->kind));
    case QF_SINCE:
    case QF_UNTIL:
        return time_m(n, e->ts);
    case QF_SIZE:
        return num_m(n, e->size);
    case QF_NRCPT:
        return num_m(n, e->nrcpt);
    default:
        return 0;
    }
}

/* ---- the tree ---- */

static int eval(const struct msl_query *q, int32_t id, term_fn term, const void *rec)
{
    const struct q_node *n = &q->nodes[id];
    switch (n->type) {
    case QN_TERM:
        return term(n, rec);
    case QN_NOT:
        return !eval(q, n->first, term, rec);
    case QN_AND:
        for (int32_t c = n->first; c >= 0; c = q->nodes[c].next)
            if (!eval(q, c, term, rec))
                return 0;
        return 1;
    case QN_OR:
        for (int32_t c = n->first; c >= 0; c = q->nodes[c].next)
            if (eval(q, c, term, rec))
                return 1;
        return 0;
    default:
        return 0;
    }
}

int msl_query_match_message(const struct msl_query *q, const struct msl_message *m)
{
    return q && m && eval(q, q->root, term_message, m);
}

int msl_query_match_recipient(const struct msl_query *q, const struct msl_message *m,
                              const struct msl_recipient *r)
{
    struct rcpt_rec x = {m, r};
    return q && m && r && eval(q, q->root, term_recipient, &x);
}

int msl_query_match_session(const struct msl_query *q, const struct msl_session *s)
{
    return q && s && eval(q, q->root, term_session, s);
}

int msl_query_match_event(const struct msl_query *q, const struct msl_event *e)
{
    return q && e && eval(q, q->root, term_event, e);
}

/* since/until terms reachable from the root through AND nodes only (bounded by the
 * parser's nesting limit); anything under OR or NOT is a filter, not a bound. */
static void bound(const struct msl_query *q, int32_t id, int64_t *since, int64_t *until)
{
    const struct q_node *n = &q->nodes[id];
    if (n->type == QN_AND) {
        for (int32_t c = n->first; c >= 0; c = q->nodes[c].next)
            bound(q, c, since, until);
        return;
    }
    if (n->type != QN_TERM)
        return;
    if (n->field == QF_SINCE && (*since == 0 || n->num > *since))
        *since = n->num;
    if (n->field == QF_UNTIL && (*until == 0 || n->num < *until))
        *until = n->num;
}

void msl_query_time_bounds(const struct msl_query *q, int64_t *since, int64_t *until)
{
    int64_t s = 0, u = 0;
    if (q)
        bound(q, q->root, &s, &u);
    if (since)
        *since = s;
    if (until)
        *until = u;
}
