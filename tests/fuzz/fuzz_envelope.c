/*
 * fuzz_envelope.c - libFuzzer target for the envelope parser (and, with gcc, a corpus replay
 * through tests/fuzz/regression_driver.c).
 *
 * The input is split into lines; each line is copied into its own exact-size heap block (so
 * ASan catches any read past n) and parsed by one parser (fixed mtime, so year inference and
 * the per-parser caches see many lines).  The zone is UTC, or Europe/Berlin when bit 1 of the
 * first byte is set (DST hours, the overlap tiebreak).  Invariants, not just "no crash":
 *   - rc is 0 or MSL_EPARSE, and a failure has a static reason;
 *   - every returned view lies inside the line, or inside the parser's scratch buffer;
 *   - ts lies between year 0 and year 10000, pid is -1 or non-negative;
 *   - msl_scan_rfc3339 never claims more bytes than it was given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect/envelope_priv.h"
#include "mailsleuth/envelope.h"
#include "mailsleuth/mailsleuth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                   \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* Year 0 .. year 10000 in microseconds, with a day of slack for offsets. */
#define TS_MIN (INT64_C(-62167219200) * 1000000 - INT64_C(86400000000))
#define TS_MAX (INT64_C(253402300800) * 1000000 + INT64_C(86400000000))

static struct msl_tz *utc_zone, *berlin_zone;

static int inside(struct msl_str v, const char *line, size_t n,
                  const struct msl_envelope_parser *ep)
{
    if (v.n == 0)
        return 1;
    const char *sp;
    size_t cap;
    msl_envelope_scratch(ep, &sp, &cap);
    if (v.p >= line && v.n <= n && v.p <= line + n - v.n)
        return 1;
    return sp && v.p >= sp && v.n <= cap && v.p <= sp + cap - v.n;
}

static void one_line(struct msl_envelope_parser *ep, const uint8_t *p, size_t n)
{
    char *line = malloc(n ? n : 1);
    if (!line)
        return;
    if (n)
        memcpy(line, p, n);
    struct msl_envelope e;
    const char *why = NULL;
    int rc = msl_envelope_parse(ep, line, n, &e, &why);
    if (rc == 0) {
        FUZZ_ASSERT(e.format > MSL_ENV_UNKNOWN && e.format < MSL_ENV__COUNT);
        FUZZ_ASSERT(inside(e.host, line, n, ep));
        FUZZ_ASSERT(inside(e.program, line, n, ep));
        FUZZ_ASSERT(inside(e.msg, line, n, ep));
        FUZZ_ASSERT(e.ts >= TS_MIN && e.ts <= TS_MAX);
        FUZZ_ASSERT(e.pid >= -1);
        FUZZ_ASSERT((e.flags & ~(MSL_EVF_LOCAL_TIME | MSL_EVF_YEAR_GUESS)) == 0);
        /* touch every byte so ASan checks the views */
        volatile unsigned sum = 0;
        for (size_t i = 0; i < e.msg.n; i++)
            sum += (unsigned char)e.msg.p[i];
        for (size_t i = 0; i < e.host.n; i++)
            sum += (unsigned char)e.host.p[i];
        for (size_t i = 0; i < e.program.n; i++)
            sum += (unsigned char)e.program.p[i];
        (void)sum;
    } else {
        FUZZ_ASSERT(rc == MSL_EPARSE || rc == MSL_ENOMEM);
        FUZZ_ASSERT(why != NULL && why[0] != '\0');
    }
    int64_t us;
    int zone;
    size_t k = msl_scan_rfc3339(line, n, &us, &zone);
    FUZZ_ASSERT(k <= n);
    if (k)
        FUZZ_ASSERT(us >= TS_MIN && us <= TS_MAX && (zone == 0 || zone == 1));
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!utc_zone) {
        utc_zone = msl_tz_load("UTC");
        berlin_zone = msl_tz_load("Europe/Berlin"); /* NULL without tzdata: UTC only */
        if (!utc_zone)
            abort();
    }
    const struct msl_tz *tz = size && (data[0] & 2) && berlin_zone ? berlin_zone : utc_zone;
    /* mtime 2026-11-27 13:14:15 UTC; the first byte, when odd, also selects --year */
    int year = size && (data[0] & 1) ? 2024 : 0;
    struct msl_envelope_parser *ep = msl_envelope_new(tz, 1795785255, year);
    if (!ep)
        return 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        one_line(ep, p, n);
        p += n + (nl != NULL);
    }
    msl_envelope_free(ep);
    return 0;
}
