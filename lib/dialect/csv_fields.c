/*
 * csv_fields.c - bounded CSV field splitter shared by the Exchange message tracking, Exchange
 * SMTP protocol and Microsoft 365 message trace formats (see csv_fields.h).
 *
 * One pass over the line: an unquoted field ends at the separator; a quoted field ends at
 * a quote not followed by a quote.  Only quoted fields with "" escapes are copied (into the
 * scratch, reserved to the line length up front, so the copy always fits and earlier views
 * stay valid).  The scratch grows geometrically and is kept between lines.
 */
#include <stdlib.h>
#include <string.h>

#include "dialect/csv_fields.h"
#include "mailsleuth/envelope.h"

static int reserve(struct csv_scratch *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < n) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *np = realloc(s->p, cap);
    if (!np)
        return -1;
    s->p = np;
    s->cap = cap;
    return 0;
}

void csv_scratch_free(struct csv_scratch *s)
{
    free(s->p);
    s->p = NULL;
    s->cap = 0;
}

size_t csv_split(const char *p, size_t n, char sep, struct msl_str *out, size_t max,
                 struct csv_scratch *s, size_t *total)
{
    *total = 0;
    if (reserve(s, n + 1) != 0)
        return 0;
    size_t used = 0, nf = 0, cnt = 0;
    const char *q = p, *end = p + n;
    for (;;) {
        struct msl_str f;
        if (q < end && *q == '"') {
            const char *c = q + 1, *start = c;
            int escaped = 0;
            while (c < end) {
                if (*c == '"') {
                    if (c + 1 < end && c[1] == '"') {
                        escaped = 1;
                        c += 2;
                        continue;
                    }
                    break;
                }
                c++;
            }
            f = (struct msl_str){start, (size_t)(c - start)};
            if (escaped && nf < max) {
                char *d = s->p + used;
                size_t k = 0;
                for (const char *r = start; r < c; r++) {
                    d[k++] = *r;
                    if (*r == '"' && r + 1 < c && r[1] == '"')
                        r++;
                }
                f = (struct msl_str){d, k};
                used += k;
            }
            if (c < end)
                c++; /* closing quote */
            while (c < end && *c != sep)
                c++; /* stray text after the closing quote */
            q = c;
        } else {
            const char *c = q;
            while (c < end && *c != sep)
                c++;
            f = (struct msl_str){q, (size_t)(c - q)};
            q = c;
        }
        if (nf < max)
            out[nf++] = f;
        cnt++;
        if (q >= end)
            break;
        q++; /* separator; a trailing one gives a last empty field */
        if (q == end) {
            if (nf < max)
                out[nf++] = (struct msl_str){end, 0};
            cnt++;
            break;
        }
    }
    *total = cnt;
    return nf;
}

struct msl_str csv_strip_bom(struct msl_str line)
{
    if (line.n >= 3 && (unsigned char)line.p[0] == 0xEF && (unsigned char)line.p[1] == 0xBB &&
        (unsigned char)line.p[2] == 0xBF)
        return (struct msl_str){line.p + 3, line.n - 3};
    return line;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int csv_ieq(struct msl_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

int csv_iprefix(struct msl_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.n < n)
        return 0;
    return csv_ieq((struct msl_str){a.p, n}, lit);
}

struct msl_str csv_trim(struct msl_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

int csv_next_item(struct msl_str *rest, char sep, struct msl_str *item)
{
    if (!rest->p || rest->n == 0)
        return 0;
    const char *e = memchr(rest->p, sep, rest->n);
    if (!e) {
        *item = *rest;
        *rest = (struct msl_str){rest->p + rest->n, 0};
        return 1;
    }
    *item = (struct msl_str){rest->p, (size_t)(e - rest->p)};
    size_t k = (size_t)(e - rest->p) + 1;
    *rest = (struct msl_str){rest->p + k, rest->n - k};
    if (rest->n == 0)
        rest->p = NULL; /* a trailing separator ends the list */
    return 1;
}

long long csv_num(struct msl_str s)
{
    s = csv_trim(s);
    if (s.n == 0 || s.n > 18)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

int csv_time(struct msl_str s, int64_t *us)
{
    s = csv_trim(s);
    int hz = 0;
    int64_t v = 0;
    if (s.n < 19 || msl_scan_rfc3339(s.p, s.n, &v, &hz) != s.n)
        return -1;
    *us = v;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void csv_reply_code(struct msl_str s, struct msl_str *code, struct msl_str *dsn)
{
    *code = MSL_STR_NULL;
    *dsn = MSL_STR_NULL;
    s = csv_trim(s);
    if (s.n < 3 || !is_digit(s.p[0]) || !is_digit(s.p[1]) || !is_digit(s.p[2]) ||
        (s.n > 3 && s.p[3] != ' ' && s.p[3] != '-'))
        return;
    *code = (struct msl_str){s.p, 3};
    size_t i = 4;
    while (i < s.n && s.p[i] == ' ')
        i++;
    size_t j = i, dots = 0;
    while (j < s.n && (is_digit(s.p[j]) || s.p[j] == '.')) {
        dots += s.p[j] == '.';
        j++;
    }
    if (dots == 2 && j > i + 4 && is_digit(s.p[i]) && s.p[i + 1] == '.' && is_digit(s.p[j - 1]))
        *dsn = (struct msl_str){s.p + i, j - i};
}
