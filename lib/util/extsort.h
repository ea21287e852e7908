/*
 * extsort.h - sorts variable-length records by (int64 key, insertion order) with bounded
 * memory: records collect in memory up to a limit, each full batch is sorted and spilled
 * to an anonymous temporary file (tmpfile(3): in $TMPDIR, never beside the evidence), and
 * the runs are merged at the end.  Used by timeline, whose input may be any size.
 */
#ifndef MSL_UTIL_EXTSORT_H
#define MSL_UTIL_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

struct extsort;

/* mem_limit: bytes of records kept in memory before spilling (0 = 256 MiB). */
struct extsort *extsort_new(size_t mem_limit);
void extsort_free(struct extsort *x);
/* Adds one record.  Returns 0, or MSL_ENOMEM / MSL_EIO. */
int extsort_add(struct extsort *x, int64_t key, const void *p, size_t n);
/* Calls fn for every record in (key, insertion) order; stops early if fn returns non-zero.
 * Returns 0, fn's non-zero value, or MSL_EIO / MSL_ENOMEM. */
int extsort_drain(struct extsort *x, int (*fn)(void *ctx, int64_t key, const void *p, size_t n),
                  void *ctx);

#endif
