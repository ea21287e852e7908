/*
 * html_escape.c - the report's one escaper (see html.h): esc_html from lib/util for the
 * entities and control bytes, plus what matters only in a browser: bidirectional controls
 * made visible, and long values cut at a character boundary so one 64 KiB sender cannot
 * make the report huge.
 */
#include <string.h>

#include "report/html.h"
#include "util/esc.h"

/* Length of the bidirectional control at p (UTF-8), or 0. */
static size_t bidi_len(const unsigned char *p, size_t n, unsigned *cp)
{
    if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0xaa && p[2] <= 0xae) || p[2] == 0x8e || p[2] == 0x8f)) {
        *cp = 0x2000u + (p[2] - 0x80u);
        return 3;
    }
    if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
        *cp = 0x2066u + (p[2] - 0xa6u);
        return 3;
    }
    if (n >= 2 && p[0] == 0xd8 && p[1] == 0x9c) {
        *cp = 0x061c;
        return 2;
    }
    return 0;
}

/* Largest cut <= max that does not split a UTF-8 sequence. */
static size_t cut_at(const char *p, size_t n, size_t max)
{
    if (max == 0 || n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80 && max - k < 3)
        k--;
    return k;
}

static int escape(struct buf *b, const char *p, size_t n, size_t max, int say_more)
{
    size_t shown = cut_at(p, n, max);
    const unsigned char *u = (const unsigned char *)p;
    size_t run = 0, i = 0;
    while (i < shown) {
        unsigned cp;
        size_t k = u[i] == 0xe2 || u[i] == 0xd8 ? bidi_len(u + i, shown - i, &cp) : 0;
        if (!k) {
            i++;
            continue;
        }
        esc_html(b, p + run, i - run);
        buf_addf(b, "[U+%04X]", cp);
        i += k;
        run = i;
    }
    esc_html(b, p + run, shown - run);
    if (shown < n && say_more)
        buf_addf(b, "\xe2\x80\xa6 [%zu more bytes]", n - shown);
    else if (shown < n)
        buf_adds(b, "\xe2\x80\xa6");
    return b->err;
}

int html_esc(struct buf *b, const char *p, size_t n, size_t max)
{
    return escape(b, p, n, max, 1);
}

int html_esc_label(struct buf *b, const char *p, size_t n, size_t max)
{
    return escape(b, p, n, max, 0);
}

int html_escs(struct buf *b, const char *s, size_t max)
{
    return s ? html_esc(b, s, strlen(s), max) : b->err;
}

void html_base64(struct buf *b, const unsigned char *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63], i + 1 < n ? al[v >> 6 & 63] : '=',
                     i + 2 < n ? al[v & 63] : '='};
        buf_add(b, q, 4);
    }
}
