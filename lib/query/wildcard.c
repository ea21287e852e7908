/*
 * wildcard.c - compiled * and ? patterns, matched case-insensitively (ASCII) against a
 * whole value.
 *
 * Compilation lowercases the literal bytes, collapses runs of stars and classifies the
 * pattern so that the common shapes never reach the general matcher:
 *   "abc" exact, "abc*" prefix, "*abc" suffix, "*abc*" contains, "*" anything.
 * Everything else ("a?c", "*@*.example.com") runs the classic two-pointer star algorithm:
 * on a mismatch after a star, retry with the star absorbing one more byte.  It keeps one
 * backtrack point only, so the cost is O(len(pattern) * len(value)) at worst, never
 * exponential, and it allocates nothing.
 */
#include <string.h>

#include "query/query_int.h"

#define L(c) ((unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define R4(b) L(b), L(b + 1), L(b + 2), L(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
#define R64(b) R16(b), R16(b + 16), R16(b + 32), R16(b + 48)

const unsigned char q_lower[256] = {R64(0), R64(64), R64(128), R64(192)};

void q_pat_compile(struct q_pat *p, const uint16_t *v, size_t nv, int wrap, char *litbuf,
                   uint16_t *tokbuf)
{
    size_t k = 0, stars = 0, qmarks = 0;
    if (wrap)
        tokbuf[k++] = Q_STAR;
    for (size_t i = 0; i < nv; i++) {
        uint16_t c = v[i];
        if (c == Q_STAR && k > 0 && tokbuf[k - 1] == Q_STAR)
            continue;
        tokbuf[k++] = c < 256 ? q_lower[c] : c;
    }
    if (wrap && tokbuf[k - 1] != Q_STAR)
        tokbuf[k++] = Q_STAR;
    for (size_t i = 0; i < k; i++) {
        stars += tokbuf[i] == Q_STAR;
        qmarks += tokbuf[i] == Q_QMARK;
    }
    p->tok = tokbuf;
    p->ntok = k;
    p->lit = litbuf;
    p->nlit = 0;
    int lead = k > 0 && tokbuf[0] == Q_STAR;
    int trail = k > 1 && tokbuf[k - 1] == Q_STAR;
    size_t inner = stars - (size_t)lead - (size_t)trail;
    if (qmarks > 0 || inner > 0) {
        p->kind = QP_GENERAL;
        return;
    }
    if (k == 1 && lead) {
        p->kind = QP_ANY;
        return;
    }
    size_t from = (size_t)lead, to = k - (size_t)trail;
    for (size_t i = from; i < to; i++)
        litbuf[p->nlit++] = (char)tokbuf[i];
    p->kind = lead && trail ? QP_CONTAINS : lead ? QP_SUFFIX : trail ? QP_PREFIX : QP_EXACT;
}

static int eq_fold(const char *lit, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)lit[i] != q_lower[(unsigned char)s[i]])
            return 0;
    return 1;
}

static int contains_fold(const char *lit, size_t nlit, const char *s, size_t n)
{
    if (nlit == 0)
        return 1;
    if (nlit > n)
        return 0;
    unsigned char first = (unsigned char)lit[0];
    for (size_t i = 0; i + nlit <= n; i++)
        if (q_lower[(unsigned char)s[i]] == first && eq_fold(lit + 1, s + i + 1, nlit - 1))
            return 1;
    return 0;
}

static int general(const uint16_t *t, size_t nt, const char *s, size_t n)
{
    size_t i = 0, j = 0;
    size_t star = (size_t)-1, mark = 0;
    while (i < n) {
        if (j < nt && t[j] != Q_STAR && (t[j] == Q_QMARK || t[j] == q_lower[(unsigned char)s[i]])) {
            i++;
            j++;
        } else if (j < nt && t[j] == Q_STAR) {
            star = j++;
            mark = i;
        } else if (star != (size_t)-1) {
            j = star + 1;
            i = ++mark;
        } else {
            return 0;
        }
    }
    while (j < nt && t[j] == Q_STAR)
        j++;
    return j == nt;
}

int q_pat_match(const struct q_pat *p, const char *s, size_t n)
{
    switch (p->kind) {
    case QP_EXACT:
        return n == p->nlit && eq_fold(p->lit, s, n);
    case QP_PREFIX:
        return n >= p->nlit && eq_fold(p->lit, s, p->nlit);
    case QP_SUFFIX:
        return n >= p->nlit && eq_fold(p->lit, s + n - p->nlit, p->nlit);
    case QP_CONTAINS:
        return contains_fold(p->lit, p->nlit, s, n);
    case QP_ANY:
        return 1;
    case QP_GENERAL:
        return general(p->tok, p->ntok, s, n);
    }
    return 0;
}
