/*
 * exchange.c - links between the messages of Exchange message tracking logs that name no
 * queue id of each other (FORMATS.md section 1; the session join lives in sessions.c).
 *
 * Message-ID index: c->xmid maps "host SEP Message-ID" to the latest message of that host
 * that carries it (an internal id is unique per server only; the Message-ID is constant over
 * the message's life).  A message is entered once, at its first row with a Message-ID.  At
 * CR_XMID_MAX entries the older half (by last use) is forgotten, so the index stays bounded
 * (about 150 bytes an entry: at most ~10 MB).
 *
 * DSN rows (event-id DSN; the format puts `reference` in .text): `reference` is a
 * Message-ID whose meaning depends on the row (Microsoft's field description):
 *   - on the original message it is the Message-ID of the DSN generated for it: the DSN is
 *     the message of this host with that Message-ID, logged before or after the DSN row
 *     (when after, the link waits in the index entry until a message learns that id);
 *   - on the DSN itself (null sender: return-path <>) it is the original's Message-ID: the
 *     original is the latest message of this host that carries it.
 * Either way the original records the DSN's internal id in dsn_qids and the DSN records the
 * original's in bounce_of (like Postfix's "sender non-delivery notification"); a record
 * already handed over keeps what it had.  A reference that is not a Message-ID (no '@', or
 * blanks: a recipient status) links nothing.
 *
 * TRANSFER rows (event-id TRANSFER, new_qid = `reference` = the forked message's internal
 * id on the same host): the original records reinjected_as = the fork (the first one when it
 * forks several times) and the fork records reinjected_from = the original, the fields of a
 * same-host re-injection.  The recipients listed on the row moved to the fork [inf: the
 * Microsoft description says recipients are moved to the forked message]: the fork's nrcpt
 * is their count, and the original counts them as done for its completion (correlate.c), so
 * both complete when their own recipients are final.
 */
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate_int.h"
#include "mailsleuth/mailsleuth.h"

/* sets a string of message M once (copied into its blocks) */
#define MSET(M, dst, v)                              \
    do {                                             \
        if (cr_mset((M), &(dst), (v)) != MSL_OK)     \
            c->oom = 1;                              \
    } while (0)

static struct msl_str sv(const char *s)
{
    return (struct msl_str){s, s ? strlen(s) : 0};
}

/* "<a@b>" or "a@b" -> a@b; empty when it is not one Message-ID (no '@', blanks, ';'). */
static struct msl_str msgid_of(struct msl_str t)
{
    while (t.n && (t.p[0] == ' ' || t.p[0] == '\t'))
        t = (struct msl_str){t.p + 1, t.n - 1};
    while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
        t.n--;
    if (t.n >= 2 && t.p[0] == '<' && t.p[t.n - 1] == '>')
        t = (struct msl_str){t.p + 1, t.n - 2};
    if (t.n < 3 || !memchr(t.p, '@', t.n))
        return MSL_STR_NULL;
    for (size_t i = 0; i < t.n; i++)
        if (t.p[i] == ' ' || t.p[i] == ';' || t.p[i] == ',' || t.p[i] == '<' || t.p[i] == '>')
            return MSL_STR_NULL;
    return t;
}

static void xmid_clear(struct cr_xmid *x)
{
    free(x->qid);
    free(x->orig);
    x->qid = x->orig = NULL;
}

static int by_ts(const void *a, const void *b)
{
    const struct cr_xmid *x = (*(const struct strmap_entry *const *)a)->val;
    const struct cr_xmid *y = (*(const struct strmap_entry *const *)b)->val;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Forgets the older half of the index (by last use). */
static void xmid_shrink(struct msl_correlator *c)
{
    size_t n = 0;
    const struct strmap_entry **v = strmap_sorted(c->xmid, by_ts, &n);
    if (!v) {
        c->oom = 1;
        return;
    }
    /* copy the keys first: deleting an entry frees it */
    struct buf k;
    buf_init(&k, (size_t)1 << 24);
    size_t drop = n / 2;
    for (size_t i = 0; i < drop; i++) {
        xmid_clear(v[i]->val);
        buf_add(&k, v[i]->key, v[i]->klen + 1);
    }
    free(v);
    if (k.err)
        c->oom = 1;
    for (size_t off = 0, i = 0; !k.err && i < drop; i++) {
        size_t len = strlen(k.p + off);
        strmap_del(c->xmid, k.p + off, len);
        off += len + 1;
    }
    buf_free(&k);
}

/* The index entry of host + Message-ID (created when asked), or NULL. */
static struct cr_xmid *xmid_at(struct msl_correlator *c, struct msl_str host, struct msl_str id,
                               int create, int64_t ts)
{
    if (create && strmap_len(c->xmid) >= CR_XMID_MAX)
        xmid_shrink(c);
    cr_key2(&c->kb, host, id);
    if (c->kb.err) {
        c->oom = 1;
        return NULL;
    }
    struct cr_xmid *x = create ? strmap_get(c->xmid, c->kb.p, c->kb.n, NULL)
                               : strmap_find(c->xmid, c->kb.p, c->kb.n);
    if (!x && create)
        c->oom = 1;
    if (x)
        x->ts = ts;
    return x;
}

static int has_str(char *const *arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arr[i], s) == 0)
            return 1;
    return 0;
}

/*
 * Links original o_qid and DSN d_qid on the event's host, both ways, for the records still
 * open.  self is the record the event belongs to (its evidence line is added by the caller);
 * the other open record gets the line too, as the link's evidence.
 */
static void link_dsn(struct msl_correlator *c, const struct msl_event *e, struct cr_msg *self,
                     const char *o_qid, const char *d_qid)
{
    if (strcmp(o_qid, d_qid) == 0)
        return;
    /* copies: the records' own strings may be the arguments */
    char *oq = cr_dup(sv(o_qid)), *dq = cr_dup(sv(d_qid));
    if (!oq || !dq) {
        c->oom = 1;
        free(oq);
        free(dq);
        return;
    }
    struct cr_msg *o = cr_msg_find(c, e->host, sv(oq));
    if (o && !has_str(o->m.dsn_qids, o->m.ndsn, dq)) {
        if (cr_madd_str(o, &o->m.dsn_qids, &o->m.ndsn, sv(dq)))
            c->oom = 1;
        if (o != self)
            cr_msg_touch(c, o, e);
    }
    struct cr_msg *d = cr_msg_find(c, e->host, sv(dq));
    if (d && !d->m.bounce_of) {
        MSET(d, d->m.bounce_of, sv(oq));
        if (d != self)
            cr_msg_touch(c, d, e);
    }
    free(oq);
    free(dq);
}

void cr_xch_msgid(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    struct msl_str id = msgid_of(e->msgid);
    if (!id.n)
        return;
    struct cr_xmid *x = xmid_at(c, e->host, id, 1, e->ts);
    if (!x)
        return;
    if (!x->qid || strcmp(x->qid, m->m.qid) != 0) {
        char *q = cr_dup(sv(m->m.qid));
        if (!q) {
            c->oom = 1;
            return;
        }
        free(x->qid);
        x->qid = q;
    }
    if (x->orig) {
        /* a DSN row named this Message-ID as its DSN's before the DSN was logged */
        char *orig = x->orig;
        x->orig = NULL;
        link_dsn(c, e, m, orig, m->m.qid);
        free(orig);
    }
}

void cr_xch_dsn(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    struct msl_str ref = msgid_of(e->text);
    if (!ref.n || cr_is(ref, m->m.msgid ? m->m.msgid : ""))
        return;
    int is_dsn = (e->from.p && e->from.n == 0) || (m->m.from && !*m->m.from);
    struct cr_xmid *x = xmid_at(c, e->host, ref, !is_dsn, e->ts);
    if (!x)
        return;
    if (is_dsn) { /* ref = the original's Message-ID */
        if (x->qid)
            link_dsn(c, e, m, x->qid, m->m.qid);
        return;
    }
    if (x->qid) { /* ref = the DSN's Message-ID, already logged */
        link_dsn(c, e, m, m->m.qid, x->qid);
        return;
    }
    char *q = cr_dup(sv(m->m.qid)); /* the DSN comes later: the link waits in the index */
    if (!q) {
        c->oom = 1;
        return;
    }
    free(x->orig);
    x->orig = q;
}

/* Items of a ';' list (recipient-address of a TRANSFER row). */
static int64_t count_items(struct msl_str s)
{
    int64_t n = 0;
    int any = 0;
    for (size_t i = 0; i <= s.n; i++) {
        if (i == s.n || s.p[i] == ';') {
            n += any;
            any = 0;
        } else if (s.p[i] != ' ') {
            any = 1;
        }
    }
    return n;
}

void cr_xch_transfer(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e)
{
    if (!e->new_qid.n || cr_is(e->new_qid, m->m.qid))
        return;
    MSET(m, m->m.reinjected_as, e->new_qid);
    int64_t moved = count_items(e->to);
    struct cr_msg *x = cr_msg_get(c, e->host, e->new_qid, e);
    if (!x)
        return;
    MSET(x, x->m.reinjected_from, sv(m->m.qid));
    MSET(x, x->m.msgid, e->msgid);
    MSET(x, x->m.from, e->from);
    x->no_end_line = 1;
    if (moved > 0 && x->m.nrcpt < 0)
        x->m.nrcpt = moved;
    cr_msg_touch(c, x, e);
    if (moved > 0) {
        m->moved += moved;
        if (m->no_end_line)
            cr_note_complete(m, e->ts);
    }
}

static void free_entry(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    xmid_clear(e->val);
}

void cr_xch_free(struct msl_correlator *c)
{
    if (!c->xmid)
        return;
    strmap_each(c->xmid, free_entry, NULL);
    strmap_free(c->xmid);
    c->xmid = NULL;
}
