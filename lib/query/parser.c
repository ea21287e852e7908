/*
 * parser.c - msl_query_compile: recursive descent over the tokens from lexer.c.
 *
 *   or    := and ( OR and )*
 *   and   := unary ( [AND] unary )*
 *   unary := NOT unary | "(" or ")" | term
 *
 * Only NOT and "(" recurse; each adds one level and more than Q_MAX_DEPTH levels is an
 * error, so neither the parser nor the evaluator can run out of stack.  AND/OR chains are
 * loops that collect operands into one n-ary node.
 *
 * Terms are fully compiled here: field names resolved (case-insensitive, with a "did you
 * mean" suggestion by optimal-string-alignment distance), numbers and times converted,
 * status/kind names resolved to bit sets, CIDRs parsed and wildcards classified, so the
 * evaluator only compares.  Every error names the problem and the 1-based byte column of
 * the offending token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "query/query_int.h"

enum {
    VK_STRING = 0, /* wildcard pattern */
    VK_ADDR,       /* pattern, surrounding <> dropped */
    VK_DOMAIN,     /* pattern, a leading @ dropped */
    VK_TEXT,       /* pattern, substring match */
    VK_IP,         /* CIDR or wildcard pattern */
    VK_NUMBER,
    VK_TIME,
    VK_STATUS,
    VK_KIND,
    VK_OUTCOME
};

static const struct {
    const char *name;
    enum q_field field;
    int vk;
} fields[] = {
    {"from", QF_FROM, VK_ADDR},
    {"to", QF_TO, VK_ADDR},
    {"rcpt-domain", QF_RCPT_DOMAIN, VK_DOMAIN},
    {"from-domain", QF_FROM_DOMAIN, VK_DOMAIN},
    {"ip", QF_IP, VK_IP},
    {"client", QF_CLIENT, VK_STRING},
    {"user", QF_USER, VK_STRING},
    {"host", QF_HOST, VK_STRING},
    {"msgid", QF_MSGID, VK_ADDR},
    {"qid", QF_QID, VK_STRING},
    {"helo", QF_HELO, VK_STRING},
    {"status", QF_STATUS, VK_STATUS},
    {"final", QF_FINAL, VK_STATUS},
    {"relay", QF_RELAY, VK_STRING},
    {"dsn", QF_DSN, VK_STRING},
    {"text", QF_TEXT, VK_TEXT},
    {"kind", QF_KIND, VK_KIND},
    {"since", QF_SINCE, VK_TIME},
    {"until", QF_UNTIL, VK_TIME},
    {"size", QF_SIZE, VK_NUMBER},
    {"nrcpt", QF_NRCPT, VK_NUMBER},
    {"outcome", QF_OUTCOME, VK_OUTCOME},
    {"attempts", QF_ATTEMPTS, VK_NUMBER},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

struct parser {
    struct q_lexer lx;
    struct q_token cur;
    struct msl_query *q;
    size_t cap; /* nodes allocated */
    size_t ntoks, nlits;
    const struct msl_tz *tz;
    char *err;
    size_t errcap;
    size_t errcol;
    int rc; /* MSL_OK until the first error */
};

/* ---- errors ---- */

static void fail(struct parser *ps, int rc, size_t col, const char *a, const char *b,
                 const char *c)
{
    if (ps->rc != MSL_OK)
        return;
    ps->rc = rc;
    ps->errcol = col;
    if (ps->err && ps->errcap)
        snprintf(ps->err, ps->errcap, "%s%s%s", a, b ? b : "", c ? c : "");
}

/* Renders cells for messages: wildcards as * and ?, at most cap-1 bytes. */
static void cells_text(const uint16_t *v, size_t nv, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < nv && k + 1 < cap; i++)
        out[k++] = v[i] == Q_STAR ? '*' : v[i] == Q_QMARK ? '?' : (char)v[i];
    out[k] = '\0';
}

/* Cells as plain text for typed values; -1 if a wildcard is present or it is too long. */
static int cells_plain(const uint16_t *v, size_t nv, char *out, size_t cap)
{
    if (nv >= cap)
        return -1;
    for (size_t i = 0; i < nv; i++) {
        if (v[i] > 255)
            return -1;
        out[i] = (char)v[i];
    }
    out[nv] = '\0';
    return 0;
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
static size_t osa(const char *a, size_t na, const char *b, size_t nb)
{
    size_t d[33][33];
    if (na > 32 || nb > 32)
        return 99;
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = q_lower[(unsigned char)a[i - 1]] != q_lower[(unsigned char)b[j - 1]];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[na][nb];
}

/* Closest of names to s within distance 2, or NULL. */
static const char *suggest(const char *s, size_t n, const char *const *names, size_t count)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < count; i++) {
        size_t d = osa(s, n, names[i], strlen(names[i]));
        if (d < bestd && d < strlen(names[i])) {
            bestd = d;
            best = names[i];
        }
    }
    return best;
}

static void fail_unknown(struct parser *ps, size_t col, const char *what, const char *s,
                         size_t n, const char *const *names, size_t count)
{
    char msg[200], shown[64];
    size_t k = n < sizeof shown - 1 ? n : sizeof shown - 1;
    memcpy(shown, s, k);
    shown[k] = '\0';
    const char *sug = suggest(s, n, names, count);
    if (sug)
        snprintf(msg, sizeof msg, "unknown %s '%s' (did you mean '%s'?)", what, shown, sug);
    else
        snprintf(msg, sizeof msg, "unknown %s '%s'", what, shown);
    fail(ps, MSL_EPARSE, col, msg, NULL, NULL);
}

/* ---- nodes ---- */

static int32_t new_node(struct parser *ps, enum q_node_type type)
{
    struct msl_query *q = ps->q;
    if (q->nnodes == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 16;
        struct q_node *nn = realloc(q->nodes, nc * sizeof *nn);
        if (!nn) {
            fail(ps, MSL_ENOMEM, 1, "out of memory", NULL, NULL);
            return -1;
        }
        q->nodes = nn;
        ps->cap = nc;
    }
    struct q_node *n = &q->nodes[q->nnodes];
    memset(n, 0, sizeof *n);
    n->type = (uint8_t)type;
    n->first = -1;
    n->next = -1;
    return (int32_t)q->nnodes++;
}

static void compile_pat(struct parser *ps, struct q_pat *p, const uint16_t *v, size_t nv,
                        int wrap)
{
    q_pat_compile(p, v, nv, wrap, ps->q->lits + ps->nlits, ps->q->toks + ps->ntoks,
                  ps->q->fails + ps->ntoks);
    ps->nlits += p->nlit;
    ps->ntoks += p->ntok;
}

static void advance(struct parser *ps)
{
    q_lex_next(&ps->lx, &ps->cur);
    if (ps->cur.type == QT_ERROR)
        fail(ps, MSL_EPARSE, ps->cur.col, ps->cur.errmsg, NULL, NULL);
}

static int starts_unary(enum q_tok t)
{
    return t == QT_NOT || t == QT_LPAREN || t == QT_TERM || t == QT_WORD;
}

/* ---- terms ---- */

static int has_wild(const uint16_t *v, size_t nv)
{
    for (size_t i = 0; i < nv; i++)
        if (v[i] > 255)
            return 1;
    return 0;
}

static int32_t term_word(struct parser *ps)
{
    const struct q_token *t = &ps->cur;
    int32_t id = new_node(ps, QN_TERM);
    if (id < 0)
        return -1;
    struct q_node *n = &ps->q->nodes[id];
    n->field = QF_ANY;
    compile_pat(ps, &n->pat, t->v, t->nv, 0);
    char buf[64];
    const char *why;
    if (cells_plain(t->v, t->nv, buf, sizeof buf) == 0 && t->nv > 0 &&
        msl_cidr_parse(&n->cidr, buf, t->nv, &why) == 0)
        n->use_cidr = 1;
    return id;
}

static int32_t term_field(struct parser *ps)
{
    const struct q_token *t = &ps->cur;
    char fname[32], shown[96], buf[80];
    size_t fi;
    for (fi = 0; fi < NFIELDS; fi++) {
        size_t fl = strlen(fields[fi].name);
        if (fl == t->nname && osa(t->name, t->nname, fields[fi].name, fl) == 0)
            break;
    }
    if (fi == NFIELDS) {
        const char *names[NFIELDS];
        for (size_t i = 0; i < NFIELDS; i++)
            names[i] = fields[i].name;
        fail_unknown(ps, t->col, "field", t->name, t->nname, names, NFIELDS);
        return -1;
    }
    snprintf(fname, sizeof fname, "%s", fields[fi].name);
    int vk = fields[fi].vk;
    if (t->cmp != QC_NONE && t->cmp != QC_EQ && vk != VK_NUMBER) {
        fail(ps, MSL_EPARSE, t->col, "field '", fname,
             "' takes ':' (comparisons are for size and nrcpt)");
        return -1;
    }
    if (t->nv == 0 && !t->quoted) {
        fail(ps, MSL_EPARSE, t->col, "missing value for '", fname, "'");
        return -1;
    }
    int32_t id = new_node(ps, QN_TERM);
    if (id < 0)
        return -1;
    struct q_node *n = &ps->q->nodes[id];
    n->field = (uint8_t)fields[fi].field;
    n->cmp = (uint8_t)(t->cmp == QC_NONE ? QC_EQ : t->cmp);
    const uint16_t *v = t->v;
    size_t nv = t->nv;
    cells_text(v, nv, shown, sizeof shown);
    const char *why = NULL;
    switch (vk) {
    case VK_ADDR:
        if (nv >= 2 && v[0] == '<' && v[nv - 1] == '>') {
            v++;
            nv -= 2;
        }
        compile_pat(ps, &n->pat, v, nv, 0);
        break;
    case VK_DOMAIN:
        if (nv >= 1 && v[0] == '@') {
            v++;
            nv--;
        }
        compile_pat(ps, &n->pat, v, nv, 0);
        break;
    case VK_TEXT:
        compile_pat(ps, &n->pat, v, nv, 1);
        break;
    case VK_STRING:
        compile_pat(ps, &n->pat, v, nv, 0);
        break;
    case VK_IP:
        if (!has_wild(v, nv)) {
            if (cells_plain(v, nv, buf, sizeof buf) < 0 ||
                msl_cidr_parse(&n->cidr, buf, nv, &why) < 0) {
                char msg[160];
                int cidr = why && strncmp(why, "bad CIDR", 8) == 0;
                snprintf(msg, sizeof msg, "%s '%s'%s", why ? why : "bad IP address", shown,
                         cidr ? " (want 192.0.2.0/24 or 2001:db8::/32)" : "");
                fail(ps, MSL_EPARSE, t->vcol, msg, NULL, NULL);
                break;
            }
            n->use_cidr = 1;
        } else {
            for (size_t i = 0; i < nv; i++)
                if (v[i] == '/') {
                    fail(ps, MSL_EPARSE, t->vcol, "bad CIDR '", shown,
                         "' (wildcards and /prefix do not mix)");
                    break;
                }
            compile_pat(ps, &n->pat, v, nv, 0);
        }
        break;
    case VK_NUMBER:
        if (cells_plain(v, nv, buf, sizeof buf) < 0 || q_parse_size(buf, nv, &n->num) < 0)
            fail(ps, MSL_EPARSE, t->vcol, "bad number '", shown,
                 "' (want digits with an optional k, m or g suffix)");
        break;
    case VK_TIME:
        if (cells_plain(v, nv, buf, sizeof buf) < 0 ||
            q_parse_time(buf, nv, ps->tz, &n->num) < 0)
            fail(ps, MSL_EPARSE, t->vcol, "bad time '", shown,
                 "' (want 2026-11-27, 2026-11-27T13:00 or RFC 3339 with a zone)");
        break;
    case VK_STATUS:
    case VK_KIND:
    case VK_OUTCOME: {
        struct q_pat p;
        compile_pat(ps, &p, v, nv, 0);
        n->mask = vk == VK_STATUS ? q_status_mask(&p)
                  : vk == VK_KIND ? q_kind_mask(&p)
                                  : q_outcome_mask(&p);
        if (n->mask == 0) {
            const char *names[MSL_EV__COUNT + MSL_OUT__COUNT + 2];
            size_t k = 0;
            if (vk == VK_OUTCOME) {
                for (int o = 1; o < MSL_OUT__COUNT; o++)
                    names[k++] = msl_outcome_name((enum msl_outcome)o);
            } else if (vk == VK_STATUS) {
                for (int s = 1; s < MSL_ST__COUNT; s++)
                    names[k++] = msl_status_name((enum msl_status)s);
                names[k++] = "rejected";
                names[k++] = "authfail";
            } else {
                for (int s = 1; s < MSL_EV__COUNT; s++)
                    names[k++] = msl_kind_name((enum msl_kind)s);
            }
            fail_unknown(ps, t->vcol,
                         vk == VK_STATUS ? "status" : vk == VK_KIND ? "kind" : "outcome", shown,
                         strlen(shown), names, k);
        }
        break;
    }
    default:
        break;
    }
    if (ps->rc != MSL_OK)
        return -1;
    (void)why;
    return id;
}

/* ---- grammar ---- */

static int32_t parse_or(struct parser *ps, int depth);

static const char *tok_name(enum q_tok t)
{
    return t == QT_AND ? "AND" : t == QT_OR ? "OR" : "NOT";
}

static int32_t parse_unary(struct parser *ps, int depth)
{
    if (ps->rc != MSL_OK)
        return -1;
    struct q_token t = ps->cur;
    switch (t.type) {
    case QT_NOT:
    case QT_LPAREN:
        if (depth >= Q_MAX_DEPTH) {
            fail(ps, MSL_EPARSE, t.col, "nesting too deep (more than 64 levels)", NULL, NULL);
            return -1;
        }
        advance(ps);
        if (ps->rc != MSL_OK)
            return -1;
        if (t.type == QT_NOT) {
            if (!starts_unary(ps->cur.type)) {
                fail(ps, MSL_EPARSE, t.col, "'NOT' needs a term after it", NULL, NULL);
                return -1;
            }
            int32_t child = parse_unary(ps, depth + 1);
            if (child < 0)
                return -1;
            int32_t id = new_node(ps, QN_NOT);
            if (id >= 0)
                ps->q->nodes[id].first = child;
            return id;
        }
        if (ps->cur.type == QT_RPAREN) {
            fail(ps, MSL_EPARSE, t.col, "empty parentheses", NULL, NULL);
            return -1;
        }
        {
            int32_t inner = parse_or(ps, depth + 1);
            if (inner < 0)
                return -1;
            if (ps->cur.type != QT_RPAREN) {
                fail(ps, MSL_EPARSE, t.col, "unbalanced parenthesis: '(' is never closed",
                     NULL, NULL);
                return -1;
            }
            advance(ps);
            return ps->rc == MSL_OK ? inner : -1;
        }
    case QT_TERM:
    case QT_WORD: {
        int32_t id = t.type == QT_TERM ? term_field(ps) : term_word(ps);
        if (id < 0)
            return -1;
        advance(ps);
        return ps->rc == MSL_OK ? id : -1;
    }
    case QT_RPAREN:
        fail(ps, MSL_EPARSE, t.col, "unbalanced parenthesis: ')' without '('", NULL, NULL);
        return -1;
    case QT_AND:
    case QT_OR:
        fail(ps, MSL_EPARSE, t.col, "'", tok_name(t.type), "' needs a term before it");
        return -1;
    default:
        fail(ps, MSL_EPARSE, t.col, "expected a term", NULL, NULL);
        return -1;
    }
}

/* One n-ary node for "x op y op z"; a single operand is returned as is. */
static int32_t parse_chain(struct parser *ps, int depth, int is_or)
{
    int32_t first = is_or ? parse_chain(ps, depth, 0) : parse_unary(ps, depth);
    if (first < 0)
        return -1;
    int32_t group = -1, last = first;
    for (;;) {
        struct q_token t = ps->cur;
        int32_t next;
        if (t.type == (is_or ? QT_OR : QT_AND)) {
            advance(ps);
            if (ps->rc != MSL_OK)
                return -1;
            if (!starts_unary(ps->cur.type)) {
                fail(ps, MSL_EPARSE, t.col, "'", tok_name(t.type), "' needs a term after it");
                return -1;
            }
        } else if (is_or || !starts_unary(t.type)) {
            break;
        }
        next = is_or ? parse_chain(ps, depth, 0) : parse_unary(ps, depth);
        if (next < 0)
            return -1;
        if (group < 0) {
            group = new_node(ps, is_or ? QN_OR : QN_AND);
            if (group < 0)
                return -1;
            ps->q->nodes[group].first = first;
        }
        ps->q->nodes[last].next = next;
        last = next;
    }
    return group >= 0 ? group : first;
}

static int32_t parse_or(struct parser *ps, int depth)
{
    return parse_chain(ps, depth, 1);
}

int msl_query_compile(const char *expr, const struct msl_tz *tz, struct msl_query **out,
                      char *err, size_t errcap, size_t *errcol)
{
    struct parser ps;
    memset(&ps, 0, sizeof ps);
    ps.err = err;
    ps.errcap = errcap;
    ps.tz = tz;
    ps.rc = MSL_OK;
    if (out)
        *out = NULL;
    if (err && errcap)
        err[0] = '\0';
    if (errcol)
        *errcol = 0;
    if (!expr || !out) {
        fail(&ps, MSL_EUSAGE, 1, "no expression", NULL, NULL);
        if (errcol)
            *errcol = ps.errcol;
        return MSL_EUSAGE;
    }
    size_t n = strlen(expr);
    struct msl_query *q = calloc(1, sizeof *q);
    if (q) {
        q->cells = malloc((n + 1) * sizeof *q->cells);
        q->toks = malloc((3 * n + 8) * sizeof *q->toks);
        q->fails = malloc((3 * n + 8) * sizeof *q->fails);
        q->lits = malloc(3 * n + 8);
    }
    if (!q || !q->cells || !q->toks || !q->fails || !q->lits) {
        msl_query_free(q);
        fail(&ps, MSL_ENOMEM, 1, "out of memory", NULL, NULL);
        if (errcol)
            *errcol = ps.errcol;
        return MSL_ENOMEM;
    }
    ps.q = q;
    q_lex_init(&ps.lx, expr, n, q->cells);
    advance(&ps);
    if (ps.rc == MSL_OK && ps.cur.type == QT_EOF)
        fail(&ps, MSL_EPARSE, 1, "empty expression", NULL, NULL);
    int32_t root = ps.rc == MSL_OK ? parse_or(&ps, 0) : -1;
    if (ps.rc == MSL_OK && ps.cur.type != QT_EOF) {
        if (ps.cur.type == QT_RPAREN)
            fail(&ps, MSL_EPARSE, ps.cur.col, "unbalanced parenthesis: ')' without '('", NULL,
                 NULL);
        else
            fail(&ps, MSL_EPARSE, ps.cur.col, "trailing junk", NULL, NULL);
    }
    if (ps.rc != MSL_OK || root < 0) {
        if (ps.rc == MSL_OK)
            fail(&ps, MSL_EPARSE, 1, "syntax error", NULL, NULL);
        if (errcol)
            *errcol = ps.errcol;
        msl_query_free(q);
        return ps.rc;
    }
    q->root = root;
    *out = q;
    return MSL_OK;
}

void msl_query_free(struct msl_query *q)
{
    if (!q)
        return;
    free(q->nodes);
    free(q->cells);
    free(q->toks);
    free(q->fails);
    free(q->lits);
    free(q);
}
