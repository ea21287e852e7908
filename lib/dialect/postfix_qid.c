/*
 * postfix_qid.c - strict validation of Postfix queue ids, and the enqueue time of long ids.
 *
 * Postfix makes two kinds of id (src/global/mail_queue.h):
 *   short: 5 upper-case hex digits of the microseconds, then the inode number in upper-case
 *          hex ("%lX"), so 6..21 characters of [0-9A-F].
 *   long:  (enable_long_queue_ids=yes) the seconds in base 52 (6 or more digits), the
 *          microseconds in base 52 (exactly 4 digits), the separator 'z', then the inode in
 *          base 51 (no 'z').  The alphabet is 0-9 plus the consonants "BCDF...xyz" (no vowels),
 *          most significant digit first.
 * Both checks are exact so that words such as "NOQUEUE", "warning" or a host name never pass
 * as ids.  Only the long form carries a time: seconds and microseconds since the epoch, UTC.
 */
#include <stdint.h>

#include "mailsleuth/dialect.h"

/* Postfix's safe_ultostr alphabet "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz":
 * the value of a digit is its index.  256-entry digit table: value + 1, 0 for "not in the alphabet".  Built at compile time so
 * the function stays reentrant and branch-light. */
#define D(c, v) [(unsigned char)(c)] = (v) + 1
static const unsigned char safe_val[256] = {
    D('0', 0), D('1', 1), D('2', 2), D('3', 3), D('4', 4), D('5', 5), D('6', 6), D('7', 7),
    D('8', 8), D('9', 9), D('B', 10), D('C', 11), D('D', 12), D('F', 13), D('G', 14),
    D('H', 15), D('J', 16), D('K', 17), D('L', 18), D('M', 19), D('N', 20), D('P', 21),
    D('Q', 22), D('R', 23), D('S', 24), D('T', 25), D('V', 26), D('W', 27), D('X', 28),
    D('Y', 29), D('Z', 30), D('b', 31), D('c', 32), D('d', 33), D('f', 34), D('g', 35),
    D('h', 36), D('j', 37), D('k', 38), D('l', 39), D('m', 40), D('n', 41), D('p', 42),
    D('q', 43), D('r', 44), D('s', 45), D('t', 46), D('v', 47), D('w', 48), D('x', 49),
    D('y', 50), D('z', 51),
};
#undef D

enum { SH_USEC_PAD = 5, SH_MAX = 5 + 16, LG_SEC_PAD = 6, LG_USEC_PAD = 4, LG_MAX = 40 };

static int is_uhex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int msl_postfix_qid(const char *p, size_t n, int64_t *utc_us)
{
    if (n < SH_USEC_PAD + 1 || n > LG_MAX)
        return 0;
    if (n <= SH_MAX) {
        size_t i = 0;
        while (i < n && is_uhex((unsigned char)p[i]))
            i++;
        if (i == n)
            return 1;
    }
    /* Long form: the last 'z' separates time and inode (the inode alphabet has no 'z'). */
    size_t sep = n;
    while (sep > 0 && p[sep - 1] != 'z')
        sep--;
    if (sep == 0)
        return 0;
    sep--;
    if (sep < LG_SEC_PAD + LG_USEC_PAD || sep + 1 >= n)
        return 0;
    for (size_t i = sep + 1; i < n; i++) {
        unsigned v = safe_val[(unsigned char)p[i]];
        if (v == 0 || v > 51) /* base 51: 'z' (value 51, stored 52) excluded */
            return 0;
    }
    size_t nsec = sep - LG_USEC_PAD;
    if (nsec > 12) /* 52^12 > 2^64: no real clock gets there */
        return 0;
    uint64_t sec = 0, usec = 0;
    for (size_t i = 0; i < sep; i++) {
        unsigned v = safe_val[(unsigned char)p[i]];
        if (v == 0)
            return 0;
        if (i < nsec)
            sec = sec * 52 + (v - 1);
        else
            usec = usec * 52 + (v - 1);
    }
    if (usec >= 1000000 || sec > (uint64_t)INT64_MAX / 1000000 - 1)
        return 0;
    if (utc_us)
        *utc_us = (int64_t)sec * 1000000 + (int64_t)usec;
    return 2;
}
