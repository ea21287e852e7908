/*
 * fuzz_manifest.c - fuzz target for the manifest reader of `verify --against`
 * (lib/util/manifest_read.c): a manifest is a case file from anyone.  Invariants, not just
 * "no crash": on success every entry's name and sha256 are NUL-terminated inside their
 * arrays and the count is bounded; on failure a reason is given.
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
    struct manifest_input *in = NULL;
    size_t n = 0;
    char err[512] = "";
    if (manifest_parse((const char *)data, size, &in, &n, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(n <= MANIFEST_ENTRIES_MAX);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(memchr(in[i].name, '\0', sizeof in[i].name) != NULL);
        FUZZ_ASSERT(memchr(in[i].sha256, '\0', sizeof in[i].sha256) != NULL);
    }
    free(in);
    return 0;
}
