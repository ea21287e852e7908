/*
 * rotation.c - orders the files of rotated log sets oldest first.
 *
 * A name is split into a base and a rotation suffix, after dropping one compression
 * extension (names decide the ORDER only; content is always detected by magic bytes):
 *
 *   maillog.3.gz          base "maillog",  numbered 3      (.N, up to 6 digits)
 *   mail.log-20261101.zst base "mail.log", dated 20261101  (-/./_ + YYYYMMDD[HH[MM[SS]]]
 *   mail.log-2026-11-01   base "mail.log", dated 20261101   or YYYY-MM-DD)
 *   maillog               base "maillog",  live
 *
 * Order: by base name (bytewise); within one base numbered files from the highest number
 * down (logrotate/savelog shift .1 -> .2, so higher is older), then dated files by
 * ascending date, then the live file.  A set mixing both schemes is rare (a changed
 * logrotate config); putting the numbered ones first is arbitrary but deterministic.  Ties
 * (maillog.1 and maillog.1.gz) fall back to the whole name, so the order is total.
 */
#include <stdlib.h>
#include <string.h>

#include "source/source_int.h"

enum rot_class { ROT_NUMBERED = 0, ROT_DATED = 1, ROT_LIVE = 2 };

struct rot_key {
    size_t base_len;
    enum rot_class cls;
    uint64_t num;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static uint64_t digits_value(const char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        if (is_digit(p[i]))
            v = v * 10 + (uint64_t)(p[i] - '0');
    return v;
}

/* YYYYMMDD... with a plausible month and day: "maillog.20261101" is a date, not number 20M. */
static int plausible_date(const char *p)
{
    uint64_t y = digits_value(p, 4), m = digits_value(p + 4, 2), d = digits_value(p + 6, 2);
    return y >= 1970 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int is_sep(char c)
{
    return c == '-' || c == '.' || c == '_';
}

static void rot_parse(const char *s, struct rot_key *k)
{
    static const char *const comp_ext[] = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4",
                                           ".lzma", ".Z", ".bz"};
    size_t n = strlen(s);

    for (size_t i = 0; i < sizeof comp_ext / sizeof comp_ext[0]; i++) {
        size_t el = strlen(comp_ext[i]);
        if (n > el && memcmp(s + n - el, comp_ext[i], el) == 0) {
            n -= el;
            break;
        }
    }
    k->base_len = n;
    k->cls = ROT_LIVE;
    k->num = 0;

    /* YYYY-MM-DD */
    if (n > 11 && is_sep(s[n - 11]) && s[n - 6] == '-' && s[n - 3] == '-') {
        const char *p = s + n - 10;
        char d8[8];
        int ok = 1;
        for (int i = 0; i < 10; i++)
            if (i != 4 && i != 7 && !is_digit(p[i]))
                ok = 0;
        if (ok) {
            memcpy(d8, p, 4);
            memcpy(d8 + 4, p + 5, 2);
            memcpy(d8 + 6, p + 8, 2);
            if (plausible_date(d8)) {
                k->base_len = n - 11;
                k->cls = ROT_DATED;
                k->num = digits_value(d8, 8) * 1000000u;
                return;
            }
        }
    }

    size_t d = n;
    while (d > 0 && is_digit(s[d - 1]))
        d--;
    size_t nd = n - d;
    if (nd == 0 || d < 2 || !is_sep(s[d - 1]) || s[d - 2] == '/')
        return;
    if ((nd == 8 || nd == 10 || nd == 12 || nd == 14) && plausible_date(s + d)) {
        uint64_t v = digits_value(s + d, nd);
        for (size_t i = nd; i < 14; i++)
            v *= 10; /* scale to YYYYMMDDHHMMSS so 8- and 10-digit dates compare */
        k->base_len = d - 1;
        k->cls = ROT_DATED;
        k->num = v;
    } else if (nd <= 6 && s[d - 1] == '.') {
        k->base_len = d - 1;
        k->cls = ROT_NUMBERED;
        k->num = digits_value(s + d, nd);
    }
}

size_t rot_base_len(const char *name)
{
    struct rot_key k;
    rot_parse(name, &k);
    return k.base_len;
}

int rot_compare(const char *a, const char *b)
{
    struct rot_key ka, kb;
    int c;

    rot_parse(a, &ka);
    rot_parse(b, &kb);
    size_t m = ka.base_len < kb.base_len ? ka.base_len : kb.base_len;
    c = memcmp(a, b, m);
    if (c != 0)
        return c;
    if (ka.base_len != kb.base_len) {
        /* Compare as the C strings of the bases would: the shorter base ends first. */
        return ka.base_len < kb.base_len ? -1 : 1;
    }
    if (ka.cls != kb.cls)
        return ka.cls < kb.cls ? -1 : 1;
    if (ka.num != kb.num) {
        if (ka.cls == ROT_NUMBERED)
            return ka.num > kb.num ? -1 : 1;
        return ka.num < kb.num ? -1 : 1;
    }
    return strcmp(a, b);
}

static int cmp_names(const void *pa, const void *pb)
{
    const char *const *a = pa;
    const char *const *b = pb;
    return rot_compare(*a, *b);
}

void msl_rotation_sort(const char **names, size_t n)
{
    if (names != NULL && n > 1)
        qsort(names, n, sizeof *names, cmp_names);
}
