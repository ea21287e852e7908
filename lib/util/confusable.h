/*
 * confusable.h - is one domain a look-alike of another?  Punycode labels are decoded
 * (libidn2), Unicode homoglyphs compared by their UTS #39 skeleton (ICU uspoof), typos by
 * edit distance, digit/letter swaps (0/o, 1/l, rn/m, vv/w, cl/d), added hyphens, other top-
 * level domains and "brand.tld.other.tld" prefixes.  Used by the lookalike-domain rule.
 *
 * Domains are compared by their registrable part (the label before the public suffix; the
 * suffix is the last label, or the last two for "co.uk"-style second-level suffixes), so a
 * subdomain (mail.example.test) is never a look-alike of its parent.
 */
#ifndef MSL_UTIL_CONFUSABLE_H
#define MSL_UTIL_CONFUSABLE_H

#include <stddef.h>

#define CONF_MAX_DOMAIN 256

enum conf_kind {
    CONF_NONE = 0,
    CONF_HOMOGLYPH, /* same skeleton: other scripts' letters that look alike (IDN) */
    CONF_SWAP,      /* same after digit/letter swaps: paypa1, rnicrosoft, ex0mple */
    CONF_TYPO,      /* edit distance 1..max on the registrable label */
    CONF_HYPHEN,    /* hyphen added/removed, or "name-word" / "word-name" */
    CONF_TLD,       /* same label, other suffix: example.test vs example.com */
    CONF_PREFIX,    /* the domain starts with the reference: example.test.evil.com */
};

const char *conf_kind_name(enum conf_kind k);

struct conf_checker; /* ICU spoof checker, opened once */

/* NULL when ICU cannot open a checker (then skeleton checks are skipped). */
struct conf_checker *conf_new(void);
void conf_free(struct conf_checker *c);

/* Lower-cased UTF-8 form of a domain: every "xn--" label decoded with libidn2.  Returns 0,
 * or -1 when the domain is too long or a label does not decode (out then holds the
 * lower-cased input). */
int conf_domain_unicode(const char *domain, char *out, size_t outsz);

/* UTS #39 skeleton of a UTF-8 string (lower-cased first).  Returns 0 or -1. */
int conf_skeleton(struct conf_checker *c, const char *utf8, char *out, size_t outsz);

/* Optimal-string-alignment (Damerau) distance between two UTF-8 strings, counted in code
 * points; max+1 when larger than max (the computation stops early). */
size_t conf_edit_distance(const char *a, const char *b, size_t max);

/* ASCII fold of the usual visual swaps: 0->o 1->l 3->e 5->s, rn->m vv->w cl->d, lower case.
 * Other bytes are kept. */
void conf_fold(const char *in, char *out, size_t outsz);

/* The registrable part of a (lower-case) domain: name and namelen give its label, suffix the
 * rest ("test", "co.uk").  Returns 0, or -1 when the domain has fewer than two labels. */
int conf_split(const char *dom, const char **name, size_t *namelen, const char **suffix);

struct conf_match {
    enum conf_kind kind;
    size_t distance; /* CONF_TYPO: the edit distance */
    int punycode;    /* the candidate had an xn-- label */
    char cand_unicode[CONF_MAX_DOMAIN];
};

/* Is cand a look-alike of ref?  Both are domains (any case, ASCII/punycode or UTF-8).
 * max_dist bounds the typo distance (labels shorter than 8 code points allow 1, shorter
 * than 4 none).  Never true for the same registrable domain.  c may be NULL (no skeleton
 * check).  Returns m->kind. */
enum conf_kind conf_lookalike(struct conf_checker *c, const char *cand, const char *ref,
                              size_t max_dist, struct conf_match *m);

#endif
