/*
 * manifest_read.h - the input fingerprints of a manifest that `verify -f json` wrote, read
 * back for `verify --against`.  A manifest is a case file that may come from anyone: it is
 * parsed with a JSON library (jansson: \u escapes and surrogate pairs decoded as JSON, so a
 * name holding a bidi control or a quote compares equal to the file's own name), its size
 * and entries are bounded, and anything that is not a mailsleuth manifest is refused.
 */
#ifndef MSL_UTIL_MANIFEST_READ_H
#define MSL_UTIL_MANIFEST_READ_H

#include <stddef.h>

#define MANIFEST_BYTES_MAX ((size_t)256 << 20)
#define MANIFEST_ENTRIES_MAX 1000000u

struct manifest_input {
    char name[4096];
    char sha256[65];
    long long size; /* -1 when absent */
    int seen;       /* for the caller's comparison */
};

/* Every input entry of a manifest's text into *out (free() it), *n of them.  Returns 0, or
 * -1 with err naming the reason (not JSON, with line and column; not a mailsleuth
 * manifest; too many entries; out of memory). */
int manifest_parse(const char *text, size_t len, struct manifest_input **out, size_t *n,
                   char *err, size_t errsz);
/* The same for the file at path (cannot open: errno's text; larger than the bound). */
int manifest_read(const char *path, struct manifest_input **out, size_t *n, char *err,
                  size_t errsz);

#endif
