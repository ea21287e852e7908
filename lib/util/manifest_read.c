/*
 * manifest_read.c - verify --against's reader of manifests (see manifest_read.h).  Not on
 * the hot path, so it uses a well-kept JSON library instead of hand-written parsing.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/manifest_read.h"

static int from_root(json_t *root, struct manifest_input **out, size_t *nout, char *err,
                     size_t errsz)
{
    const json_t *kind = json_object_get(root, "kind");
    const json_t *inputs = json_object_get(root, "inputs");
    if (!json_is_string(kind) || strcmp(json_string_value(kind), "mailsleuth-manifest") != 0 ||
        !json_is_array(inputs)) {
        snprintf(err, errsz, "not a mailsleuth manifest (no \"kind\": \"mailsleuth-manifest\" "
                             "and \"inputs\" list; write one with verify --format json)");
        return -1;
    }
    size_t n = json_array_size(inputs);
    if (n > MANIFEST_ENTRIES_MAX) {
        snprintf(err, errsz, "%zu inputs: more than the %u a manifest may list", n,
                 MANIFEST_ENTRIES_MAX);
        return -1;
    }
    struct manifest_input *arr = calloc(n ? n : 1, sizeof *arr);
    if (!arr) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *in = json_array_get(inputs, i);
        const json_t *nm = json_object_get(in, "name"), *sh = json_object_get(in, "sha256");
        const json_t *sz = json_object_get(in, "size");
        if (!json_is_string(nm) || !json_is_string(sh))
            continue; /* an input that could not be read has no fingerprint */
        struct manifest_input *o = &arr[k++];
        snprintf(o->name, sizeof o->name, "%s", json_string_value(nm));
        snprintf(o->sha256, sizeof o->sha256, "%s", json_string_value(sh));
        o->size = json_is_integer(sz) ? (long long)json_integer_value(sz) : -1;
    }
    *out = arr;
    *nout = k;
    return 0;
}

int manifest_parse(const char *text, size_t len, struct manifest_input **out, size_t *n,
                   char *err, size_t errsz)
{
    if (len > MANIFEST_BYTES_MAX) {
        snprintf(err, errsz, "larger than %zu MiB: not a manifest", MANIFEST_BYTES_MAX >> 20);
        return -1;
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errsz, "not JSON (line %d, column %d: %s)", je.line, je.column, je.text);
        return -1;
    }
    int rc = from_root(root, out, n, err, errsz);
    json_decref(root);
    return rc;
}

int manifest_read(const char *path, struct manifest_input **out, size_t *n, char *err,
                  size_t errsz)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errsz, "%s", strerror(errno));
        return -1;
    }
    if ((size_t)st.st_size > MANIFEST_BYTES_MAX) {
        snprintf(err, errsz, "larger than %zu MiB: not a manifest", MANIFEST_BYTES_MAX >> 20);
        return -1;
    }
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errsz, "not JSON (line %d, column %d: %s)", je.line, je.column, je.text);
        return -1;
    }
    int rc = from_root(root, out, n, err, errsz);
    json_decref(root);
    return rc;
}
