/*
 * site_int.h - shared by the site-context parsers (lib/site only): the entry table, text
 * split into logical lines, small token helpers.  Every parser works on a NUL-terminated
 * copy of at most MSL_SITE_MAX_FILE bytes and keeps no pointer into it.
 */
#ifndef MSL_SITE_INT_H
#define MSL_SITE_INT_H

#include <stddef.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/site.h"

/* What a parser needs to add entries: the site, the file name (for "file:line"). */
struct site_ctx {
    struct msl_site *s;
    const char *name;
    char *err;
    size_t errsz;
    unsigned long added; /* entries this file added */
};

/* Adds an entry from the configuration; bad values are skipped (configurations hold
 * lookup tables and macros the parser does not resolve), never an error. */
void site_add(struct site_ctx *c, enum msl_site_kind k, const char *value, size_t n,
              int32_t port, const char *why, unsigned long line);

/* The next line at *cur, its '\n' replaced by NUL (*cur moves past it); NULL at the end. */
char *site_next_line(char **cur);
/* Next token of s separated by any of seps (and blanks); *p advances.  Returns length (0
 * at the end) and sets *tok. */
size_t site_token(const char **p, const char *seps, const char **tok);
/* 1 when the n bytes at s look like an IP address or CIDR (hex digits, '.', ':', '/'). */
int site_is_cidr(const char *s, size_t n);
/* A partial dotted quad as Sendmail and Courier write networks: "127" -> 127.0.0.0/8,
 * "192.168.1" -> 192.168.1.0/24, a full address stays.  Returns 0 when s is not one. */
int site_quad_cidr(const char *s, size_t n, char *out, size_t on);
/* Reads a whole file (at most MSL_SITE_MAX_FILE bytes) into a NUL-terminated buffer. */
char *site_read_file(const char *path, size_t *n, char *err, size_t errsz);

/* The parsers (one file each). */
int site_postfix_main(struct site_ctx *c, char *text, const char *dir);
int site_postfix_master(struct site_ctx *c, char *text);
int site_exim(struct site_ctx *c, char *text);
int site_exim_debconf(struct site_ctx *c, char *text);
int site_sendmail_list(struct site_ctx *c, char *text, enum msl_site_kind k, const char *why);
int site_sendmail_access(struct site_ctx *c, char *text);
int site_opensmtpd(struct site_ctx *c, char *text);
int site_courier_access(struct site_ctx *c, char *text);
int site_courier_domains(struct site_ctx *c, char *text, enum msl_site_kind k, const char *why);
int site_file(struct site_ctx *c, char *text);

#endif
