/*
 * cidr.h - IPv4/IPv6 addresses and prefixes (cidr.c): "192.0.2.7" is a /32, "2001:db8::/32"
 * compares the first 32 bits; a v4-mapped IPv6 address matches an IPv4 prefix.
 */
#ifndef MSL_CIDR_H
#define MSL_CIDR_H

#include <stddef.h>

struct msl_cidr {
    int family; /* 4 or 6 */
    unsigned prefix;
    unsigned char addr[16];
};

/* Parses an address (n bytes, "%zone" ignored) into *family (4 or 6) and addr (4 or 16
 * bytes used); 0, or -1 when it is none. */
int msl_ip_parse(const char *s, size_t n, int *family, unsigned char *addr);
/* Parses "ip" or "ip/len"; returns 0, or -1 with *why set to a static reason. */
int msl_cidr_parse(struct msl_cidr *c, const char *s, size_t n, const char **why);
/* 1 when the address (n bytes of text) lies in the prefix. */
int msl_cidr_match(const struct msl_cidr *c, const char *ip, size_t n);

#endif
