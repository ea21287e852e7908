/*
 * buf.c - see buf.h.  Growth doubles capacity; every size sum is checked against ->max
 * before it is computed, so it cannot overflow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "util/buf.h"

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->n = b->cap = 0;
    b->max = max;
    b->err = 0;
}

void buf_free(struct buf *b)
{
    free(b->p);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->n = 0;
    b->err = 0;
    if (b->p)
        b->p[0] = '\0';
}

static int grow(struct buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > b->max - b->n) {
        b->err = MSL_ENOMEM;
        return b->err;
    }
    size_t need = b->n + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->err = MSL_ENOMEM;
        return b->err;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    if (grow(b, n))
        return b->err;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

int buf_addc(struct buf *b, char c)
{
    if (b->n + 1 < b->cap && !b->err) {
        b->p[b->n++] = c;
        b->p[b->n] = '\0';
        return 0;
    }
    return buf_add(b, &c, 1);
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addi(struct buf *b, long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    return buf_add(b, tmp + i, sizeof tmp - i);
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0)
        return b->err = MSL_EUSAGE;
    if ((size_t)len < sizeof small)
        return buf_add(b, small, (size_t)len);
    if (grow(b, (size_t)len))
        return b->err;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return 0;
}
