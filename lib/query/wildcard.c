/*
 * wildcard.c - compiled * and ? patterns, matched case-insensitively (ASCII) against a
 * whole value.
 *
 * Compilation lowercases the literal bytes, collapses runs of stars and classifies the
 * pattern so that the common shapes never reach the general matcher:
 *   "abc" exact, "abc*" prefix, "*abc" suffix, "*abc*" contains, "*" anything.
 * Everything else ("a?c", "*@*.example.com") is split at its stars into segments: the first
 * must match at the start, the last at the end, each one between at its left-most place
 * after the previous one (left-most is never wrong: a later place only leaves less room).
 * Segments without '?' (and the contains literal) are found with Knuth-Morris-Pratt, whose
 * table is computed here, so matching costs O(len(value) + len(pattern)) whatever the
 * pattern: the value is attacker-controlled (64 KiB lines), the pattern is not, and
 * "*aaaa...ab*" against "aaaa..." must not cost their product.  A segment holding '?' is
 * searched position by position (O(len(value) * len(segment))).  Matching allocates nothing.
 */
#include <stddef.h>
#include <string.h>

#include "query/query_int.h"

#define L(c) ((unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define R4(b) L(b), L(b + 1), L(b + 2), L(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
#define R64(b) R16(b), R16(b + 16), R16(b + 32), R16(b + 48)

const unsigned char q_lower[256] = {R64(0), R64(64), R64(128), R64(192)};

/* KMP failure table of the segment t[0, n) into f (f[i]: length of the longest proper
 * border of t[0, i]); a segment holding '?' gets f[0] = -1 (searched position by position). */
static void kmp_table(const uint16_t *t, size_t n, int32_t *f)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] == Q_QMARK) {
            f[0] = -1;
            return;
        }
    if (n == 0)
        return;
    f[0] = 0;
    int32_t k = 0;
    for (size_t i = 1; i < n; i++) {
        while (k > 0 && t[i] != t[k])
            k = f[k - 1];
        if (t[i] == t[k])
            k++;
        f[i] = k;
    }
}

void q_pat_compile(struct q_pat *p, const uint16_t *v, size_t nv, int wrap, char *litbuf,
                   uint16_t *tokbuf, int32_t *failbuf)
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
    p->fail = failbuf;
    int lead = k > 0 && tokbuf[0] == Q_STAR;
    int trail = k > 1 && tokbuf[k - 1] == Q_STAR;
    size_t inner = stars - (size_t)lead - (size_t)trail;
    if (qmarks > 0 || inner > 0) {
        p->kind = QP_GENERAL;
        for (size_t i = 0; i < k;) { /* one table per segment, at the segment's place */
            size_t e = i;
            while (e < k && tokbuf[e] != Q_STAR)
                e++;
            kmp_table(tokbuf + i, e - i, failbuf + i);
            i = e + 1;
        }
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
    if (p->kind == QP_CONTAINS)
        kmp_table(tokbuf + from, to - from, failbuf); /* the literal's cells, no '?' */
}

static int eq_fold(const char *lit, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)lit[i] != q_lower[(unsigned char)s[i]])
            return 0;
    return 1;
}

/* Does the segment t[0, m) ('?' = any byte) match s[0, m)? */
static int seg_at(const uint16_t *t, size_t m, const char *s)
{
    for (size_t i = 0; i < m; i++)
        if (t[i] != Q_QMARK && t[i] != q_lower[(unsigned char)s[i]])
            return 0;
    return 1;
}

/* Left-most place of the segment t[0, m) (its KMP table f) in s[0, n), or -1. */
static ptrdiff_t seg_find(const uint16_t *t, size_t m, const int32_t *f, const char *s,
                          size_t n)
{
    if (m == 0)
        return 0;
    if (m > n)
        return -1;
    if (f[0] < 0) { /* holds '?' */
        for (size_t i = 0; i + m <= n; i++)
            if (seg_at(t, m, s + i))
                return (ptrdiff_t)i;
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = q_lower[(unsigned char)s[i]];
        while (k > 0 && t[k] != c)
            k = (size_t)f[k - 1];
        if (t[k] == c)
            k++;
        if (k == m)
            return (ptrdiff_t)(i + 1 - m);
    }
    return -1;
}

static int contains_fold(const struct q_pat *p, const char *s, size_t n)
{
    if (p->nlit == 0)
        return 1;
    /* the literal's cells are p->tok without the two stars */
    return seg_find(p->tok + 1, p->nlit, p->fail, s, n) >= 0;
}

static int general(const struct q_pat *p, const char *s, size_t n)
{
    const uint16_t *t = p->tok;
    size_t nt = p->ntok, j = 0, i = 0;
    while (j < nt && t[j] != Q_STAR)
        j++;
    if (j == nt) /* no star: '?'s only */
        return n == nt && seg_at(t, nt, s);
    if (j > n || !seg_at(t, j, s)) /* the first segment, at the start */
        return 0;
    i = j;
    for (;;) {
        while (j < nt && t[j] == Q_STAR)
            j++;
        if (j == nt)
            return 1; /* a trailing star takes the rest */
        size_t e = j;
        while (e < nt && t[e] != Q_STAR)
            e++;
        size_t m = e - j;
        if (e == nt) /* the last segment, at the end, after the previous one */
            return n - i >= m && seg_at(t + j, m, s + n - m);
        ptrdiff_t at = seg_find(t + j, m, p->fail + j, s + i, n - i);
        if (at < 0)
            return 0;
        i += (size_t)at + m;
        j = e;
    }
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
        return contains_fold(p, s, n);
    case QP_ANY:
        return 1;
    case QP_GENERAL:
        return general(p, s, n);
    }
    return 0;
}
