/*
 * records.c - building blocks of correlation records: string copies, geometric arrays,
 * evidence lines, the final-status rule, and the free functions of correlate.h.
 *
 * Arrays carry no capacity field: the capacity of an array of n elements is 4 while n <= 4
 * and the next power of two above that, so cr_grow() reallocates only when n is 0 or a
 * power of two >= 4 (doubling).  Every string in a record is a NUL-terminated copy made
 * once when the record learns it.
 */
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate_int.h"
#include "mailsleuth/mailsleuth.h"

char *cr_dup(struct msl_str v)
{
    if (!v.p)
        return NULL;
    char *s = malloc(v.n + 1);
    if (!s)
        return NULL;
    if (v.n)
        memcpy(s, v.p, v.n);
    s[v.n] = '\0';
    return s;
}

int cr_set(char **dst, struct msl_str v)
{
    if (*dst || !v.p)
        return MSL_OK;
    *dst = cr_dup(v);
    return *dst ? MSL_OK : MSL_ENOMEM;
}

int cr_grow(void *arrp, size_t n, size_t elem)
{
    void **arr = arrp;
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return MSL_OK;
    size_t cap = n ? n * 2 : 4;
    if (cap > SIZE_MAX / elem)
        return MSL_ENOMEM;
    void *p = realloc(*arr, cap * elem);
    if (!p)
        return MSL_ENOMEM;
    *arr = p;
    return MSL_OK;
}

int cr_add_line(const struct msl_correlator *c, struct cr_msg *owner, struct msl_evline **lines,
                size_t *n, size_t *dropped, const struct msl_event *e)
{
    if (*n >= c->opts.max_lines) {
        (*dropped)++;
        return MSL_OK;
    }
    if (cr_grow(lines, *n, sizeof **lines))
        return MSL_ENOMEM;
    struct msl_evline *l = &(*lines)[*n];
    l->ev = e->ev;
    l->ts = e->ts;
    l->kind = e->kind;
    l->text = NULL;
    if (c->opts.keep_lines && e->raw.p) {
        /* a message's lines go into its blocks; a session's are its own copies */
        l->text = owner ? cr_mdup(owner, e->raw) : cr_dup(e->raw);
        if (!l->text)
            return MSL_ENOMEM;
    }
    (*n)++;
    return MSL_OK;
}

#define STRBLK_FIRST 256
#define STRBLK_MAX 16384

char *cr_mdup(struct cr_msg *m, struct msl_str v)
{
    if (!v.p)
        return NULL;
    size_t need = v.n + 1;
    struct cr_strblk *b = m->strs;
    if (!b || b->cap - b->used < need) {
        size_t cap = b ? (b->cap < STRBLK_MAX ? b->cap * 2 : STRBLK_MAX) : STRBLK_FIRST;
        if (cap < need)
            cap = need;
        struct cr_strblk *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        m->strs = b = nb;
    }
    char *s = b->data + b->used;
    if (v.n)
        memcpy(s, v.p, v.n);
    s[v.n] = '\0';
    b->used += need;
    return s;
}

int cr_mset(struct cr_msg *m, char **dst, struct msl_str v)
{
    if (*dst || !v.p)
        return MSL_OK;
    *dst = cr_mdup(m, v);
    return *dst ? MSL_OK : MSL_ENOMEM;
}

int cr_madd_str(struct cr_msg *m, char ***arr, size_t *n, struct msl_str v)
{
    if (cr_grow(arr, *n, sizeof **arr))
        return MSL_ENOMEM;
    char *s = cr_mdup(m, v.p ? v : MSL_STR_LIT(""));
    if (!s)
        return MSL_ENOMEM;
    (*arr)[(*n)++] = s;
    return MSL_OK;
}

int cr_add_str(char ***arr, size_t *n, struct msl_str v)
{
    if (cr_grow(arr, *n, sizeof **arr))
        return MSL_ENOMEM;
    char *s = cr_dup(v.p ? v : MSL_STR_LIT(""));
    if (!s)
        return MSL_ENOMEM;
    (*arr)[(*n)++] = s;
    return MSL_OK;
}

int cr_is(struct msl_str v, const char *lit)
{
    size_t n = strlen(lit);
    return v.p && v.n == n && memcmp(v.p, lit, n) == 0;
}

/* Severity rank of a recipient's last status: the worst one names the message. */
static int rank(enum msl_status s)
{
    switch (s) {
    case MSL_ST_DEFERRED: return 9;
    case MSL_ST_EXPIRED: return 8;
    case MSL_ST_BOUNCED: return 7;
    case MSL_ST_UNDELIVERABLE: return 6;
    case MSL_ST_OTHER: return 5;
    case MSL_ST_HELD: return 4;
    case MSL_ST_DISCARDED: return 3;
    case MSL_ST_SENT:
    case MSL_ST_FORWARDED:
    case MSL_ST_DELIVERABLE: return 2;
    case MSL_ST_NONE:
    case MSL_ST__COUNT: break;
    }
    return 0;
}

static int same_rcpt(const struct msl_delivery *a, const struct msl_delivery *b)
{
    const char *x = a->to ? a->to : "", *y = b->to ? b->to : "";
    const char *ox = a->orig_to ? a->orig_to : "", *oy = b->orig_to ? b->orig_to : "";
    return strcmp(x, y) == 0 && strcmp(ox, oy) == 0;
}

/*
 * The message's status: the worst last-attempt status over its recipients (deferred >
 * expired > bounced > undeliverable > other > discarded > sent), so SENT only when every
 * recipient's last attempt was sent.  Without deliveries: HELD if held, DISCARDED if a
 * discard action hit it, else NONE.  Recipients are matched by to + orig_to; up to 64
 * deliveries by scanning backwards, beyond that with a temporary map.
 */
enum msl_status cr_final(const struct cr_msg *cm)
{
    const struct msl_message *m = &cm->m;
    int worst = 0;
    enum msl_status ws = MSL_ST_NONE;
    /* qmgr's "status=expired" names no recipient: it ends every recipient still deferred */
    size_t expired_at = 0;
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (m->deliveries[i].status == MSL_ST_EXPIRED && !m->deliveries[i].to)
            expired_at = i + 1;
    if (m->ndeliveries <= 64) {
        for (size_t i = 0; i < m->ndeliveries; i++) {
            int later = 0;
            for (size_t j = i + 1; j < m->ndeliveries && !later; j++)
                later = same_rcpt(&m->deliveries[i], &m->deliveries[j]);
            enum msl_status st = m->deliveries[i].status;
            if (st == MSL_ST_DEFERRED && i < expired_at)
                st = MSL_ST_EXPIRED;
            if (!later && rank(st) > worst) {
                worst = rank(st);
                ws = st;
            }
        }
    } else {
        struct strmap *last = strmap_new(sizeof(size_t));
        struct buf k;
        buf_init(&k, (size_t)1 << 20);
        for (size_t i = 0; last && i < m->ndeliveries; i++) {
            const struct msl_delivery *d = &m->deliveries[i];
            buf_reset(&k);
            buf_adds(&k, d->to ? d->to : "");
            buf_addc(&k, CR_SEP);
            buf_adds(&k, d->orig_to ? d->orig_to : "");
            size_t *v = strmap_get(last, k.p ? k.p : "", k.n, NULL);
            if (v)
                *v = i + 1;
        }
        for (size_t i = 0; last && i < m->ndeliveries; i++) {
            const struct msl_delivery *d = &m->deliveries[i];
            buf_reset(&k);
            buf_adds(&k, d->to ? d->to : "");
            buf_addc(&k, CR_SEP);
            buf_adds(&k, d->orig_to ? d->orig_to : "");
            const size_t *v = strmap_find(last, k.p ? k.p : "", k.n);
            enum msl_status st = d->status;
            if (st == MSL_ST_DEFERRED && i < expired_at)
                st = MSL_ST_EXPIRED;
            if (v && *v == i + 1 && rank(st) > worst) {
                worst = rank(st);
                ws = st;
            }
        }
        buf_free(&k);
        strmap_free(last);
    }
    if (ws == MSL_ST_FORWARDED || ws == MSL_ST_DELIVERABLE)
        ws = MSL_ST_SENT;
    if (ws != MSL_ST_NONE)
        return ws;
    if (cm->held)
        return MSL_ST_HELD;
    if (cm->discarded)
        return MSL_ST_DISCARDED;
    return MSL_ST_NONE;
}

static void free_lines(struct msl_evline *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].text);
    free(l);
}

void msl_message_free(struct msl_message *m)
{
    if (!m)
        return;
    /* every string is in the record's blocks; only the arrays are separate */
    free(m->deliveries);
    free(m->actions);
    free(m->admin);
    free(m->dsn_qids);
    for (size_t i = 0; i < m->nrcpts; i++)
        free(m->rcpts[i].attempt);
    free(m->rcpts);
    free(m->lines); /* their texts are in the blocks */
    struct cr_msg *cm = (struct cr_msg *)m; /* the record is the first member */
    for (struct cr_strblk *b = cm->strs, *nb; b; b = nb) {
        nb = b->next;
        free(b);
    }
    free(cm);
}

void msl_session_free(struct msl_session *s)
{
    if (!s)
        return;
    free(s->host);
    free(s->program);
    free(s->smtp_session_id);
    free(s->client_host);
    free(s->client_ip);
    free(s->helo);
    free(s->tls_proto);
    free(s->tls_cipher);
    for (size_t i = 0; i < s->nauths; i++) {
        free(s->auths[i].method);
        free(s->auths[i].user);
        free(s->auths[i].text);
    }
    free(s->auths);
    for (size_t i = 0; i < s->nrejects; i++) {
        struct msl_reject_rec *r = &s->rejects[i];
        free(r->stage);
        free(r->code);
        free(r->dsn);
        free(r->text);
        free(r->from);
        free(r->to);
        free(r->helo);
    }
    free(s->rejects);
    free(s->counters);
    free(s->end_reason);
    for (size_t i = 0; i < s->nqids; i++)
        free(s->qids[i]);
    free(s->qids);
    for (size_t i = 0; i < s->nverdicts; i++)
        free(s->verdicts[i]);
    free(s->verdicts);
    free_lines(s->lines, s->nlines);
    free(s);
}
