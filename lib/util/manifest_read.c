/*
 * manifest_read.c - verify's manifest read back (manifest_read.h).
 *
 * The manifest is one JSON object whose "inputs" array holds one entry per line:
 *   {"name":"...","sha256":"...","size":N,...}
 * so each line is looked at on its own, as verify writes it.  A line of another shape is
 * skipped; only an entry's name, sha256 and size are taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_unesc.h"
#include "util/manifest_read.h"

static const char *find(const char *p, const char *end, const char *lit)
{
    size_t k = strlen(lit);
    for (; (size_t)(end - p) >= k; p++)
        if (*p == lit[0] && memcmp(p, lit, k) == 0)
            return p + k;
    return NULL;
}

/* Unescapes the JSON string starting after its opening quote into out (cut at cap - 1). */
static void json_string(const char *p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end && *p != '"') {
        char tmp[4];
        size_t k = 1;
        if (*p == '\\' && p + 1 < end) {
            char e = p[1];
            p += 2;
            switch (e) {
            case 'n': tmp[0] = '\n'; break;
            case 't': tmp[0] = '\t'; break;
            case 'r': tmp[0] = '\r'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'u': {
                size_t used = 0;
                int w = json_unesc_u(p, end, tmp, &used);
                if (w < 0) {
                    tmp[0] = 'u'; /* malformed: kept as text */
                } else {
                    k = (size_t)w;
                    p += used;
                }
                break;
            }
            default: tmp[0] = e; break;
            }
        } else {
            tmp[0] = *p++;
        }
        for (size_t i = 0; i < k; i++)
            if (n + 1 < cap)
                out[n++] = tmp[i];
    }
    out[n] = '\0';
}

int manifest_line(const char *line, size_t n, int *in_inputs, struct manifest_input *o)
{
    const char *end = line + n;
    if (find(line, end, "\"inputs\":["))
        *in_inputs = 1;
    else if (find(line, end, "\"sources\":["))
        *in_inputs = 0;
    const char *nm = find(line, end, "{\"name\":\"");
    const char *sh = find(line, end, "\"sha256\":\"");
    const char *sz = find(line, end, "\"size\":");
    if (!*in_inputs || !nm || !sh)
        return 0;
    memset(o, 0, sizeof *o);
    json_string(nm, end, o->name, sizeof o->name);
    json_string(sh, end, o->sha256, sizeof o->sha256);
    o->size = -1;
    if (sz) {
        long long v = 0;
        int digits = 0, neg = sz < end && *sz == '-';
        for (const char *q = sz + neg; q < end && *q >= '0' && *q <= '9' && digits < 18; q++)
            v = v * 10 + (*q - '0'), digits++;
        if (digits)
            o->size = neg ? -v : v;
    }
    return 1;
}

int manifest_read(const char *path, struct manifest_input **out, size_t *nout, const char **why)
{
    *out = NULL;
    *nout = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        *why = strerror(errno);
        return -1;
    }
    char *line = malloc(MANIFEST_LINE_MAX + 2);
    struct manifest_input *arr = NULL;
    size_t n = 0, cap = 0;
    int inputs = 0, rc = 0;
    if (!line) {
        *why = "out of memory";
        rc = -1;
    }
    while (rc == 0 && fgets(line, MANIFEST_LINE_MAX + 2, f)) {
        size_t len = strlen(line);
        if (len > MANIFEST_LINE_MAX) {
            *why = "a line longer than 64 KiB (not a manifest mailsleuth wrote)";
            rc = -1;
            break;
        }
        if (n == cap) {
            if (cap >= MANIFEST_ENTRIES_MAX) {
                *why = "more than 1000000 input entries";
                rc = -1;
                break;
            }
            size_t nc = cap ? cap * 2 : 64;
            struct manifest_input *na = realloc(arr, nc * sizeof *na);
            if (!na) {
                *why = "out of memory";
                rc = -1;
                break;
            }
            arr = na;
            cap = nc;
        }
        n += (size_t)manifest_line(line, len, &inputs, &arr[n]);
    }
    if (rc == 0 && ferror(f)) {
        *why = "read error";
        rc = -1;
    }
    fclose(f);
    free(line);
    if (rc != 0) {
        free(arr);
        return -1;
    }
    *out = arr;
    *nout = n;
    return 0;
}
