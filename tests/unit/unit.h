/*
 * unit.h - a tiny in-house test runner (no fork: sanitizers and gdb work as usual).
 *
 *   #include "unit.h"
 *   static void t_something(void) { CHECK(1 + 1 == 2); CHECK_STR(got, "want"); }
 *   int main(void) { RUN(t_something); return unit_done("t_example"); }
 *
 * Each failed check prints file:line and the expression; unit_done() prints
 * "NAME: N passed, N failed" (one test = one RUN) and returns the exit status.
 */
#ifndef MSL_UNIT_H
#define MSL_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_passed, unit_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            unit_failed_checks++;                                                    \
        }                                                                            \
    } while (0)

#define CHECK_INT(got, want)                                                         \
    do {                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                     \
        if (g_ != w_) {                                                              \
            fprintf(stderr, "  %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, \
                    g_, w_);                                                         \
            unit_failed_checks++;                                                    \
        }                                                                            \
    } while (0)

/* Compares a (pointer, length) view or NUL-terminated string with a C string. */
#define CHECK_MEM(p, n, want)                                                        \
    do {                                                                             \
        const char *w_ = (want);                                                     \
        size_t n_ = (n);                                                             \
        if (n_ != strlen(w_) || (n_ && memcmp((p), w_, n_) != 0)) {                  \
            fprintf(stderr, "  %s:%d: %s = \"%.*s\", want \"%s\"\n", __FILE__, __LINE__, \
                    #p, (int)n_, (p) ? (const char *)(p) : "", w_);                  \
            unit_failed_checks++;                                                    \
        }                                                                            \
    } while (0)

#define CHECK_STR(got, want)                                                         \
    do {                                                                             \
        const char *gs_ = (got);                                                     \
        CHECK_MEM(gs_, gs_ ? strlen(gs_) : 0, (want));                               \
    } while (0)

#define CHECK_VIEW(view, want) CHECK_MEM((view).p, (view).n, (want))

#define RUN(fn)                                                                      \
    do {                                                                             \
        int before_ = unit_failed_checks;                                            \
        fn();                                                                        \
        if (unit_failed_checks == before_) {                                         \
            unit_passed++;                                                           \
        } else {                                                                     \
            unit_failed++;                                                           \
            fprintf(stderr, "FAIL %s\n", #fn);                                       \
        }                                                                            \
    } while (0)

static inline int unit_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
