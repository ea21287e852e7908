/*
 * fuzz_headers.c - libFuzzer target for a message's header block and its Received headers
 * (lib/headers), replayed by the normal test run through regression_driver.c.
 *
 * The input is parsed as one message (exact-size heap copy, so ASan sees any overread);
 * each Received value is parsed again on its own.  Invariants: parsing returns MSL_OK
 * (or MSL_ENOMEM), at most MSL_HDR_MAX_RECEIVED hops are kept, every kept string is
 * NUL-terminated within its own allocation (strlen does not run off), dates are either 0
 * or within years 1..9999, and verifying against no records gives "no-evidence" for
 * every hop (nothing to contradict with).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/headers.h"
#include "mailsleuth/mailsleuth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                   \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static void strings_ok(const struct msl_received *r)
{
    const char *s[] = {r->raw, r->helo, r->rdns, r->ip, r->by, r->with, r->id, r->for_addr};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i])
            FUZZ_ASSERT(strlen(s[i]) <= MSL_HDR_MAX);
    FUZZ_ASSERT(r->ts == 0 || (r->ts > -62135596800LL * 1000000 && r->ts < 253402300800LL * 1000000));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    if (size)
        memcpy(p, data, size);
    struct msl_hdr_msg m = {0};
    int rc = msl_hdr_parse(p, size, &m);
    FUZZ_ASSERT(rc == MSL_OK || rc == MSL_ENOMEM);
    FUZZ_ASSERT(m.nrcv <= MSL_HDR_MAX_RECEIVED);
    for (size_t i = 0; i < m.nrcv; i++) {
        strings_ok(&m.rcv[i]);
        struct msl_received again;
        if (msl_received_parse(m.rcv[i].raw, strlen(m.rcv[i].raw), &again) == MSL_OK) {
            strings_ok(&again);
            msl_received_free(&again);
        }
    }
    if (rc == MSL_OK && !m.error) {
        struct msl_msg_verdict v;
        if (msl_hdr_verify(&m, NULL, 0, NULL, 0, 120LL * 1000000, &v) == MSL_OK) {
            FUZZ_ASSERT(v.nhops == m.nrcv);
            for (size_t i = 0; i < v.nhops; i++)
                FUZZ_ASSERT(v.hops[i].v == MSL_V_NO_EVIDENCE);
            FUZZ_ASSERT(v.v == MSL_V_NO_EVIDENCE);
            msl_msg_verdict_free(&v);
        }
    }
    msl_hdr_msg_free(&m);
    free(p);
    return 0;
}
