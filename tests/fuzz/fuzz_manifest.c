/*
 * fuzz_manifest.c - fuzz target for the manifest reader of `verify --against`
 * (lib/util/manifest_read.c): a manifest is a case file from anyone.  The input is split
 * into lines as fgets() would; invariants, not just "no crash": an entry's name and
 * sha256 are NUL-terminated inside their arrays, the section flag stays 0 or 1, and a line
 * without {"name":" is never an entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/manifest_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                      \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "fuzz_manifest: invariant failed: %s (%s:%d)\n", #c, __FILE__, \
                    __LINE__);                                                              \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    int inputs = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        struct manifest_input o;
        memset(&o, 0x55, sizeof o); /* garbage: the reader must set what it returns */
        int got = manifest_line(p, n, &inputs, &o);
        FUZZ_ASSERT(got == 0 || got == 1);
        FUZZ_ASSERT(inputs == 0 || inputs == 1);
        if (got) {
            FUZZ_ASSERT(memchr(o.name, '\0', sizeof o.name) != NULL);
            FUZZ_ASSERT(memchr(o.sha256, '\0', sizeof o.sha256) != NULL);
            int has_name = 0;
            for (size_t i = 0; i + 9 <= n && !has_name; i++)
                has_name = memcmp(p + i, "{\"name\":\"", 9) == 0;
            FUZZ_ASSERT(has_name);
        }
        p += n;
    }
    return 0;
}
