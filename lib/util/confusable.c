/*
 * confusable.c - domain look-alike tests (see confusable.h).
 *
 * Order of the tests in conf_lookalike(), cheapest and most specific first:
 *   1. both domains decoded (xn-- labels via libidn2's idn2_to_unicode_8z8z), lower-cased;
 *      the same registrable domain (or a subdomain of it) is never a look-alike;
 *   2. prefix: the candidate begins with "ref." (example.test.evil.com);
 *   3. swap: the ASCII fold of both registrable domains is equal (paypa1.com, rnicrosoft.com);
 *   4. homoglyph: ICU's uspoof_getSkeletonUTF8 (UTS #39 skeleton) of both registrable
 *      domains is equal (xn--pple-43d.com is Cyrillic "аpple.com");
 *   5. TLD: the same label under another suffix;
 *   6. hyphen: equal once hyphens are removed, or "label-word" / "word-label";
 *   7. typo: optimal-string-alignment distance on the label (same suffix), at most max_dist
 *      for labels of 8+ code points, 1 for 4..7, never for shorter labels (too many real
 *      domains are one letter apart from a three-letter one).
 * All buffers are fixed (domains are at most 253 bytes); nothing is allocated per call
 * except libidn2's decode result.
 */
#include <ctype.h>
#include <idn2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uspoof.h>

#include "util/confusable.h"
#include "util/strmap.h"

/* Skeletons computed before, by input: lookalike-domain compares every candidate with
 * every reference domain, and ICU's skeleton is most of its cost. */
#define SKEL_CACHE_MAX 65536

struct conf_checker {
    USpoofChecker *sc;
    struct strmap *skel; /* input -> char * (malloc'ed skeleton) */
};

static void free_skel(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    free(*(char **)e->val);
}

static void skel_clear(struct conf_checker *c)
{
    if (c->skel) {
        strmap_each(c->skel, free_skel, NULL);
        strmap_free(c->skel);
    }
    c->skel = strmap_new(sizeof(char *));
}

const char *conf_kind_name(enum conf_kind k)
{
    switch (k) {
    case CONF_HOMOGLYPH: return "homoglyph";
    case CONF_SWAP: return "character-swap";
    case CONF_TYPO: return "typo";
    case CONF_HYPHEN: return "hyphen";
    case CONF_TLD: return "tld-swap";
    case CONF_PREFIX: return "prefix";
    case CONF_NONE: break;
    }
    return "none";
}

struct conf_checker *conf_new(void)
{
    struct conf_checker *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    UErrorCode st = U_ZERO_ERROR;
    c->sc = uspoof_open(&st);
    if (U_FAILURE(st) || !c->sc) {
        free(c);
        return NULL;
    }
    skel_clear(c); /* no cache (out of memory) only costs time */
    return c;
}

void conf_free(struct conf_checker *c)
{
    if (!c)
        return;
    uspoof_close(c->sc);
    if (c->skel) {
        strmap_each(c->skel, free_skel, NULL);
        strmap_free(c->skel);
    }
    free(c);
}

static void lower_copy(const char *in, char *out, size_t outsz)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outsz; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

int conf_domain_unicode(const char *domain, char *out, size_t outsz)
{
    if (!outsz)
        return -1;
    size_t n = strlen(domain);
    lower_copy(domain, out, outsz);
    if (n >= outsz || n >= CONF_MAX_DOMAIN)
        return -1;
    if (!strstr(out, "xn--"))
        return 0;
    char *dec = NULL;
    if (idn2_to_unicode_8z8z(out, &dec, 0) != IDN2_OK || !dec) {
        idn2_free(dec);
        return -1;
    }
    int rc = strlen(dec) < outsz ? 0 : -1;
    if (rc == 0)
        lower_copy(dec, out, outsz);
    idn2_free(dec);
    return rc;
}

int conf_skeleton(struct conf_checker *c, const char *utf8, char *out, size_t outsz)
{
    if (!c || outsz < 2)
        return -1;
    char low[CONF_MAX_DOMAIN * 4];
    lower_copy(utf8, low, sizeof low);
    size_t ln = strlen(low);
    char **hit = c->skel ? strmap_find(c->skel, low, ln) : NULL;
    if (hit) {
        size_t n = strlen(*hit);
        if (n >= outsz)
            return -1;
        memcpy(out, *hit, n + 1);
        return 0;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = uspoof_getSkeletonUTF8(c->sc, 0, low, -1, out, (int32_t)outsz, &st);
    if (U_FAILURE(st) || n < 0 || (size_t)n >= outsz)
        return -1;
    out[n] = '\0';
    if (c->skel && strmap_len(c->skel) >= SKEL_CACHE_MAX)
        skel_clear(c);
    char *copy = c->skel ? strdup(out) : NULL;
    char **slot = copy ? strmap_get(c->skel, low, ln, NULL) : NULL;
    if (slot)
        *slot = copy;
    else
        free(copy);
    return 0;
}

/* Decodes UTF-8 into code points (invalid bytes count as themselves); returns the count. */
static size_t to_cps(const char *s, uint32_t *cp, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < max) {
        uint32_t c = *p;
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4
                                                                                          : 1;
        if (len > 1) {
            c &= 0x3Fu >> (len - 1);
            for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80) {
                    len = 1;
                    c = *p;
                    break;
                }
                c = (c << 6) | (p[i] & 0x3Fu);
            }
        }
        cp[n++] = c;
        p += len;
    }
    return n;
}

size_t conf_edit_distance(const char *a, const char *b, size_t max)
{
    enum { M = CONF_MAX_DOMAIN };
    uint32_t x[M], y[M];
    size_t n = to_cps(a, x, M), m = to_cps(b, y, M);
    if ((n > m ? n - m : m - n) > max)
        return max + 1;
    /* three rows of the OSA matrix */
    size_t r0[M + 1], r1[M + 1], r2[M + 1];
    size_t *pp = r0, *prev = r1, *cur = r2;
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        size_t rowmin = cur[0];
        for (size_t j = 1; j <= m; j++) {
            size_t cost = x[i - 1] != y[j - 1];
            size_t v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m] > max ? max + 1 : prev[m];
}

void conf_fold(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    if (!outsz)
        return;
    for (size_t i = 0; in[i] && o + 1 < outsz; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        char d = (char)tolower((unsigned char)in[i + 1]);
        if ((c == 'r' && d == 'n') || (c == 'v' && d == 'v') || (c == 'c' && d == 'l')) {
            out[o++] = c == 'r' ? 'm' : c == 'v' ? 'w' : 'd';
            i++;
            continue;
        }
        switch (c) {
        case '0': c = 'o'; break;
        case '1': c = 'l'; break;
        case '3': c = 'e'; break;
        case '5': c = 's'; break;
        default: break;
        }
        out[o++] = c;
    }
    out[o] = '\0';
}

/* Second-level labels that form a public suffix with a two-letter country code. */
static int is_sld(const char *p, size_t n)
{
    static const char *const sld[] = {"co", "com", "net", "org", "gov", "edu", "ac", "or",
                                      "ne", "go", "ltd", "plc", "gv", "mil", "nom", "sch"};
    for (size_t i = 0; i < sizeof sld / sizeof sld[0]; i++)
        if (strlen(sld[i]) == n && !memcmp(sld[i], p, n))
            return 1;
    return 0;
}

int conf_split(const char *dom, const char **name, size_t *namelen, const char **suffix)
{
    size_t n = strlen(dom);
    while (n && dom[n - 1] == '.')
        n--;
    const char *last = NULL, *prev = NULL;
    for (size_t i = n; i > 0; i--) {
        if (dom[i - 1] != '.')
            continue;
        if (!last) {
            last = dom + i;
        } else {
            prev = dom + i;
            break;
        }
    }
    if (!last)
        return -1;
    /* last = start of the TLD; prev = start of the label before it (or NULL: dom itself) */
    const char *lab = prev ? prev : dom;
    size_t lablen = (size_t)(last - 1 - lab);
    size_t tldlen = (size_t)(dom + n - last);
    if (tldlen == 2 && is_sld(lab, lablen) && lab != dom) {
        /* example.co.uk: the name is the label before "co" */
        const char *start = dom;
        for (const char *q = lab - 1; q > dom; q--) {
            if (q[-1] == '.') {
                start = q;
                break;
            }
        }
        *name = start;
        *namelen = (size_t)(lab - 1 - start);
        *suffix = lab;
        return *namelen ? 0 : -1;
    }
    *name = lab;
    *namelen = lablen;
    *suffix = last;
    return lablen ? 0 : -1;
}

/* name and suffix of d into label/reg buffers (reg = "name.suffix"). */
static int split_copy(const char *d, char *label, char *reg, char *suffix, size_t sz)
{
    const char *nm, *sf;
    size_t nl;
    if (conf_split(d, &nm, &nl, &sf) != 0 || nl >= sz)
        return -1;
    memcpy(label, nm, nl);
    label[nl] = '\0';
    size_t rl = strlen(nm);
    while (rl && nm[rl - 1] == '.')
        rl--;
    if (rl >= sz)
        return -1;
    memcpy(reg, nm, rl);
    reg[rl] = '\0';
    size_t sl = strlen(sf);
    while (sl && sf[sl - 1] == '.')
        sl--;
    memcpy(suffix, sf, sl);
    suffix[sl] = '\0';
    return 0;
}

static size_t cp_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void strip_hyphens(const char *in, char *out)
{
    for (; *in; in++)
        if (*in != '-')
            *out++ = *in;
    *out = '\0';
}

static int has_affix(const char *cand, const char *ref)
{
    size_t c = strlen(cand), r = strlen(ref);
    if (r < 4 || c <= r + 1)
        return 0;
    if (!memcmp(cand, ref, r) && cand[r] == '-')
        return 1;
    return !memcmp(cand + c - r, ref, r) && cand[c - r - 1] == '-';
}

enum conf_kind conf_lookalike(struct conf_checker *c, const char *cand, const char *ref,
                              size_t max_dist, struct conf_match *m)
{
    enum { S = CONF_MAX_DOMAIN };
    memset(m, 0, sizeof *m);
    char cu[S], ru[S];
    char cl[S], creg[S], csuf[S], rl[S], rreg[S], rsuf[S];
    if (conf_domain_unicode(cand, cu, sizeof cu) != 0 ||
        conf_domain_unicode(ref, ru, sizeof ru) != 0)
        return CONF_NONE;
    m->punycode = strstr(cand, "xn--") != NULL || strstr(cand, "XN--") != NULL;
    memcpy(m->cand_unicode, cu, strlen(cu) + 1);
    if (split_copy(cu, cl, creg, csuf, S) != 0 || split_copy(ru, rl, rreg, rsuf, S) != 0)
        return CONF_NONE;
    if (!strcmp(creg, rreg))
        return CONF_NONE; /* the same domain or a subdomain of it */
    size_t rn = strlen(ru);
    if (!strncmp(cu, ru, rn) && cu[rn] == '.')
        return m->kind = CONF_PREFIX;
    int ascii = 1;
    for (const char *p = creg; *p; p++)
        ascii &= (unsigned char)*p < 0x80;
    char fc[S], fr[S];
    conf_fold(creg, fc, sizeof fc);
    conf_fold(rreg, fr, sizeof fr);
    if (ascii && !strcmp(fc, fr))
        return m->kind = CONF_SWAP;
    char sc[S * 4], sr[S * 4];
    if (c && conf_skeleton(c, creg, sc, sizeof sc) == 0 &&
        conf_skeleton(c, rreg, sr, sizeof sr) == 0 && !strcmp(sc, sr))
        return m->kind = CONF_HOMOGLYPH;
    if (!strcmp(cl, rl))
        return m->kind = CONF_TLD;
    char hc[S], hr[S];
    strip_hyphens(cl, hc);
    strip_hyphens(rl, hr);
    if (strcmp(csuf, rsuf) == 0 && (!strcmp(hc, hr) || has_affix(cl, rl)))
        return m->kind = CONF_HYPHEN;
    if (strcmp(csuf, rsuf) != 0)
        return CONF_NONE;
    size_t len = cp_len(rl);
    size_t allow = len >= 8 ? max_dist : len >= 4 ? (max_dist < 1 ? max_dist : 1) : 0;
    if (!allow)
        return CONF_NONE;
    size_t d = conf_edit_distance(cl, rl, allow);
    if (d >= 1 && d <= allow) {
        m->distance = d;
        return m->kind = CONF_TYPO;
    }
    return CONF_NONE;
}
