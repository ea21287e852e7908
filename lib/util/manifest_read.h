/*
 * manifest_read.h - the input fingerprints of a manifest that `verify -f json` wrote, read
 * back for `verify --against`.  A manifest is a case file that may come from anyone: lines
 * and entries are bounded, strings are unescaped as JSON (\u escapes, surrogate pairs)
 * so a name that holds a bidi control or C1 byte compares equal to the file's own name.
 */
#ifndef MSL_UTIL_MANIFEST_READ_H
#define MSL_UTIL_MANIFEST_READ_H

#include <stddef.h>

#define MANIFEST_LINE_MAX (64u * 1024u)    /* a manifest we wrote never has longer lines */
#define MANIFEST_ENTRIES_MAX 1000000u

struct manifest_input {
    char name[4096];
    char sha256[65];
    long long size; /* -1 when absent */
    int seen;       /* for the caller's comparison */
};

/* One line (no NUL needed, n bytes).  *in_inputs follows the "inputs" section across calls
 * (start with 0).  Returns 1 and fills *o when the line is one input's entry, else 0. */
int manifest_line(const char *line, size_t n, int *in_inputs, struct manifest_input *o);

/* Every input entry of the file at path into *out (free() it), *n of them.  Returns 0, or -1
 * with *why naming the reason (cannot open: errno's text; a line too long; too many
 * entries; out of memory). */
int manifest_read(const char *path, struct manifest_input **out, size_t *n, const char **why);

#endif
