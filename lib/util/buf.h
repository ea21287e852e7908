/*
 * buf.h - growable, binary-safe, always NUL-terminated byte buffer with a hard maximum size
 * (curl dynbuf's "toobig" idea): log content can never make it grow without bound.
 * A failed append (limit or ENOMEM) sets ->err and later appends are no-ops, so call
 * sites can append freely and check once.
 */
#ifndef MSL_UTIL_BUF_H
#define MSL_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;
    size_t n;
    size_t cap;
    size_t max; /* hard limit on n */
    int err;    /* 0, or MSL_ENOMEM when an append failed */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* n = 0, err = 0, memory kept */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_addi(struct buf *b, long long v); /* decimal, no printf */

#endif
