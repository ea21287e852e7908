/*
 * recipients.c - one outcome record per recipient of a message, built when it closes.
 *
 * A recipient is an address delivered to (to=) together with the address the sender gave
 * (orig_to, Exim's "<parent>"): the pair the MTA itself logs.  Every delivery attempt joins
 * its recipient in order; the last one decides the outcome.  Rules, the same for every MTA
 * because they read only the model (doc/CORRELATION.md §Recipients):
 *  - a delivery that names no recipient (Postfix qmgr "status=expired") ends every
 *    recipient whose last attempt was deferred: expired;
 *  - sent: "forwarded" when the next hop named its queue id or the message came back
 *    re-injected under a new id, "delivered" when it went into a mailbox/file/program on
 *    this host (MSL_EVF_LOCAL, set by each dialect), else "relayed";
 *  - deferred: "quarantined" while held, "discarded" when an administrator deleted the
 *    message, else "deferred" (still pending);
 *  - a recipient named only by a reject/discard/hold action on the queued message
 *    (milter reject, cleanup discard) gets that action's outcome.
 * Strings are borrowed from the deliveries and actions; only the attempt index arrays and
 * the record array are allocated.  Lookups are linear up to 16 recipients, then hashed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "correlate/correlate_int.h"
#include "mailsleuth/mailsleuth.h"

#define LINEAR_MAX 16

struct rset {
    struct msl_message *m;
    struct strmap *ix; /* to SEP orig -> index + 1, once past LINEAR_MAX */
    struct buf k;
};

/* The recipient as the log names it: the delivered address, and the original one only when
 * it differs (OpenSMTPD repeats it; Postfix logs orig_to only when it differs).  Exim names
 * a local delivery by its local part ("=> dave <dave@example.test>"): that is the same
 * address, so the full one stands; "=> carol <finance@example.test>" is an alias. */
static void name_of(const char *to, const char *orig, const char **addr, const char **o)
{
    *addr = to;
    *o = NULL;
    if (!orig || !*orig || (to && strcasecmp(to, orig) == 0))
        return;
    const char *at = strrchr(orig, '@');
    if (to && !strchr(to, '@') && at && (size_t)(at - orig) == strlen(to) &&
        strncasecmp(to, orig, strlen(to)) == 0) {
        *addr = orig;
        return;
    }
    *o = orig;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int key_of(struct rset *s, const char *to, const char *orig)
{
    buf_reset(&s->k);
    buf_adds(&s->k, to ? to : "");
    buf_addc(&s->k, CR_SEP);
    buf_adds(&s->k, orig ? orig : "");
    return s->k.err ? MSL_ENOMEM : MSL_OK;
}

static int index_all(struct rset *s)
{
    if (!(s->ix = strmap_new(sizeof(size_t))))
        return MSL_ENOMEM;
    for (size_t i = 0; i < s->m->nrcpts; i++) {
        const struct msl_recipient *r = &s->m->rcpts[i];
        size_t *v;
        if (key_of(s, r->addr, r->orig) ||
            !(v = strmap_get(s->ix, s->k.p ? s->k.p : "", s->k.n, NULL)))
            return MSL_ENOMEM;
        *v = i + 1;
    }
    return MSL_OK;
}

/* The recipient to+orig, added when new; NULL on allocation failure. */
static struct msl_recipient *find_or_add(struct rset *s, const char *to, const char *orig)
{
    struct msl_message *m = s->m;
    size_t *slot = NULL;
    if (s->ix) {
        int created = 0;
        if (key_of(s, to, orig) ||
            !(slot = strmap_get(s->ix, s->k.p ? s->k.p : "", s->k.n, &created)))
            return NULL;
        if (!created)
            return &m->rcpts[*slot - 1];
    } else {
        for (size_t i = 0; i < m->nrcpts; i++)
            if (same(m->rcpts[i].addr, to) && same(m->rcpts[i].orig, orig))
                return &m->rcpts[i];
    }
    if (cr_grow(&m->rcpts, m->nrcpts, sizeof *m->rcpts))
        return NULL;
    struct msl_recipient *r = &m->rcpts[m->nrcpts++];
    memset(r, 0, sizeof *r);
    r->addr = to;
    r->orig = orig;
    r->relay_port = -1;
    r->delay = -1;
    if (slot)
        *slot = m->nrcpts;
    else if (m->nrcpts > LINEAR_MAX && index_all(s))
        return NULL;
    return r;
}

static int add_attempt(struct msl_recipient *r, size_t i)
{
    if (cr_grow(&r->attempt, r->nattempt, sizeof *r->attempt))
        return MSL_ENOMEM;
    r->attempt[r->nattempt++] = i;
    return MSL_OK;
}

static void take_delivery(struct msl_recipient *r, const struct msl_delivery *d)
{
    r->attempts++;
    if (d->status == MSL_ST_DEFERRED)
        r->deferrals++;
    if (!r->first_ts)
        r->first_ts = d->ts;
    r->last_ts = d->ts;
    r->last_status = d->status;
    r->relay_host = d->relay_host;
    r->relay_ip = d->relay_ip;
    r->relay_port = d->relay_port;
    r->dsn = d->dsn;
    r->reply = d->text;
    r->tls = d->tls;
    r->delay = d->delay;
    r->next_qid = d->new_qid;
    r->ev = d->ev;
}

/* qmgr's "status=expired" names no recipient: it ends every one still deferred. */
static int expire_pending(struct msl_message *m, size_t i)
{
    const struct msl_delivery *d = &m->deliveries[i];
    for (size_t j = 0; j < m->nrcpts; j++) {
        struct msl_recipient *r = &m->rcpts[j];
        if (r->last_status != MSL_ST_DEFERRED)
            continue;
        if (add_attempt(r, i))
            return MSL_ENOMEM;
        r->last_status = d->status;
        r->last_ts = d->ts;
        if (d->text)
            r->reply = d->text;
        if (d->dsn)
            r->dsn = d->dsn;
        r->ev = d->ev;
    }
    return MSL_OK;
}

static enum msl_outcome of_action(enum msl_action a)
{
    switch (a) {
    case MSL_ACT_REJECT:
    case MSL_ACT_MILTER_REJECT:
    case MSL_ACT_PROXY_REJECT: return MSL_OUT_REJECTED;
    case MSL_ACT_DISCARD: return MSL_OUT_DISCARDED;
    case MSL_ACT_HOLD: return MSL_OUT_QUARANTINED;
    default: return MSL_OUT_NONE;
    }
}

static int admin_removed(const struct msl_message *m)
{
    for (size_t i = 0; i < m->nadmin; i++)
        if (m->admin[i].what && strcmp(m->admin[i].what, "removed") == 0)
            return 1;
    return 0;
}

static enum msl_outcome outcome_of(const struct cr_msg *cm, const struct msl_recipient *r)
{
    const struct msl_message *m = &cm->m;
    const struct msl_delivery *last = r->nattempt ? &m->deliveries[r->attempt[r->nattempt - 1]]
                                                  : NULL;
    switch (r->last_status) {
    case MSL_ST_SENT:
        if (r->next_qid && m->reinjected_as && strcmp(r->next_qid, m->reinjected_as) == 0)
            return MSL_OUT_FORWARDED; /* a content filter took it and gave it back */
        if (last && last->local)
            return MSL_OUT_DELIVERED;
        return r->next_qid ? MSL_OUT_FORWARDED : MSL_OUT_RELAYED;
    case MSL_ST_FORWARDED: return MSL_OUT_FORWARDED;
    case MSL_ST_DEFERRED:
        if (cm->held)
            return MSL_OUT_QUARANTINED;
        return admin_removed(m) ? MSL_OUT_DISCARDED : MSL_OUT_DEFERRED;
    case MSL_ST_EXPIRED: return MSL_OUT_EXPIRED;
    case MSL_ST_BOUNCED:
    case MSL_ST_UNDELIVERABLE: return MSL_OUT_BOUNCED;
    case MSL_ST_DISCARDED: return MSL_OUT_DISCARDED;
    case MSL_ST_HELD: return MSL_OUT_QUARANTINED;
    case MSL_ST_DELIVERABLE: /* an address-verification probe: never delivered by design */
    case MSL_ST_OTHER:
    case MSL_ST_NONE:
    case MSL_ST__COUNT: break;
    }
    return MSL_OUT_NONE;
}

int cr_recipients(struct cr_msg *cm)
{
    struct msl_message *m = &cm->m;
    struct rset s = {.m = m};
    buf_init(&s.k, (size_t)1 << 20);
    int rc = MSL_OK;
    for (size_t i = 0; i < m->ndeliveries && rc == MSL_OK; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        if (!d->to) {
            if (d->status == MSL_ST_EXPIRED)
                rc = expire_pending(m, i);
            continue;
        }
        const char *addr, *orig;
        name_of(d->to, d->orig_to, &addr, &orig);
        struct msl_recipient *r = find_or_add(&s, addr, orig);
        if (!r || add_attempt(r, i)) {
            rc = MSL_ENOMEM;
            break;
        }
        take_delivery(r, d);
    }
    size_t ndelivered = m->nrcpts;
    for (size_t i = 0; i < ndelivered && rc == MSL_OK; i++)
        m->rcpts[i].outcome = outcome_of(cm, &m->rcpts[i]);
    /* recipients named only by an action on the queued message (no delivery attempt) */
    for (size_t i = 0; i < m->nactions && rc == MSL_OK; i++) {
        const struct msl_action_rec *a = &m->actions[i];
        enum msl_outcome o = of_action(a->action);
        if (!a->to || !*a->to || o == MSL_OUT_NONE)
            continue;
        if (o == MSL_OUT_QUARANTINED && !cm->held)
            continue; /* released later: its deliveries tell the rest */
        struct msl_recipient *r = find_or_add(&s, a->to, NULL);
        if (!r) {
            rc = MSL_ENOMEM;
            break;
        }
        if (r->attempts || (r->outcome != MSL_OUT_NONE && r->outcome != o))
            continue; /* a delivery (or an earlier action) decided it */
        r->outcome = o;
        if (!r->first_ts)
            r->first_ts = a->ts;
        r->last_ts = a->ts;
        r->reply = a->text;
        r->ev = a->ev;
    }
    strmap_free(s.ix);
    buf_free(&s.k);
    return rc;
}
