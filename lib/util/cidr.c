/*
 * cidr.c - IP addresses and prefixes (the query's ip: values, hunt's --trusted-net).
 *
 * "192.0.2.7" is a /32, "2001:db8::1" a /128, "192.0.2.0/24" and "2001:db8::/32" compare the
 * first N bits.  The prefix is parsed once with inet_pton; the address is parsed per match from
 * a stack copy (records hold text).  A v4-mapped IPv6 client ("::ffff:192.0.2.7",
 * as dual-stack listeners log it) is compared as IPv4 against an IPv4 prefix.  Different
 * families never match; /0 matches every address of its family.
 */
#include <arpa/inet.h>
#include <string.h>

#include "util/cidr.h"

int msl_ip_parse(const char *s, size_t n, int *family, unsigned char *addr)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *pct = memchr(tmp, '%', n); /* fe80::1%eth0 */
    if (pct)
        *pct = '\0';
    if (memchr(tmp, ':', n)) {
        if (inet_pton(AF_INET6, tmp, addr) != 1)
            return -1;
        *family = 6;
        return 0;
    }
    if (inet_pton(AF_INET, tmp, addr) != 1)
        return -1;
    *family = 4;
    return 0;
}

int msl_cidr_parse(struct msl_cidr *c, const char *s, size_t n, const char **why)
{
    memset(c, 0, sizeof *c);
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (msl_ip_parse(s, an, &c->family, c->addr) < 0) {
        *why = slash ? "bad CIDR" : "bad IP address";
        return -1;
    }
    unsigned max = c->family == 4 ? 32 : 128;
    c->prefix = max;
    if (slash) {
        const char *p = slash + 1, *end = s + n;
        unsigned v = 0;
        if (p == end || end - p > 3) {
            *why = "bad CIDR";
            return -1;
        }
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') {
                *why = "bad CIDR";
                return -1;
            }
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > max) {
            *why = "bad CIDR prefix length";
            return -1;
        }
        c->prefix = v;
    }
    return 0;
}

static int prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (full && memcmp(a, b, full) != 0)
        return 0;
    if (rest) {
        unsigned char m = (unsigned char)(0xFFu << (8 - rest));
        if ((a[full] & m) != (b[full] & m))
            return 0;
    }
    return 1;
}

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

int msl_cidr_match(const struct msl_cidr *c, const char *ip, size_t n)
{
    unsigned char addr[16];
    int fam;
    if (!ip || msl_ip_parse(ip, n, &fam, addr) < 0)
        return 0;
    if (fam == 6 && c->family == 4 && memcmp(addr, v4mapped, 12) == 0)
        return prefix_eq(addr + 12, c->addr, c->prefix);
    if (fam != c->family)
        return 0;
    return prefix_eq(addr, c->addr, c->prefix);
}
