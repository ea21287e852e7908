/*
 * esc.c - see esc.h.  One walker decodes UTF-8 strictly (no overlongs, no surrogates) and
 * calls back per code point class; each output format decides how to spell it.
 */
#include <string.h>

#include "util/esc.h"

size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static const char hexd[] = "0123456789abcdef";

static void add_hex(struct buf *b, const char *prefix, unsigned char c)
{
    buf_adds(b, prefix);
    buf_addc(b, hexd[c >> 4]);
    buf_addc(b, hexd[c & 15]);
}

/* C1 controls U+0080..U+009F arrive as C2 80..C2 9F; terminals honour some of them. */
static int is_c1(const unsigned char *p, size_t len)
{
    return len == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* The code point of a valid sequence of len bytes. */
static unsigned cp_of(const unsigned char *p, size_t len)
{
    unsigned cp = len == 1 ? p[0] : p[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (p[i] & 0x3f);
    return cp;
}

/* Characters that reorder or hide text ("Trojan Source"): bidi embeddings, overrides and
 * isolates, the Arabic letter mark, zero-width characters, line/paragraph separators and
 * the byte-order mark.  A sender can render as another address with them. */
static int is_invisible(unsigned cp)
{
    return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

unsigned utf8_hidden_cp(const unsigned char *p, size_t len)
{
    if (len < 2)
        return 0;
    unsigned cp = cp_of(p, len);
    return is_invisible(cp) ? cp : 0;
}

static void add_u(struct buf *b, const char *prefix, unsigned cp)
{
    buf_adds(b, prefix);
    for (int sh = 12; sh >= 0; sh -= 4)
        buf_addc(b, hexd[(cp >> sh) & 15]);
}

int esc_text(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x7f && *p != '\\')
            p++;
        buf_add(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (*p == '\\') {
            buf_add(b, "\\\\", 2);
            p++;
        } else if (*p < 0x80) {
            add_hex(b, "\\x", *p++);
        } else {
            size_t len = utf8_seq_len(p, (size_t)(end - p));
            if (len == 0 || is_c1(p, len)) {
                size_t k = len ? len : 1;
                for (size_t i = 0; i < k; i++)
                    add_hex(b, "\\x", p[i]);
                p += k;
            } else if (is_invisible(cp_of(p, len))) {
                add_u(b, "\\u", cp_of(p, len)); /* shown, not obeyed: \u202e */
                p += len;
            } else {
                buf_add(b, p, len);
                p += len;
            }
        }
    }
    return b->err;
}

int esc_json(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        buf_add(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            buf_addc(b, '\\');
            buf_addc(b, (char)c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': buf_add(b, "\\n", 2); break;
            case '\t': buf_add(b, "\\t", 2); break;
            case '\r': buf_add(b, "\\r", 2); break;
            default: add_hex(b, "\\u00", c); break;
            }
            p++;
        } else {
            size_t len = utf8_seq_len(p, (size_t)(end - p));
            if (len == 0) {
                add_hex(b, "\\\\x", c);
                p++;
            } else if (is_c1(p, len) || is_invisible(cp_of(p, len))) {
                /* the value is kept, but as an escape a viewer shows rather than obeys */
                add_u(b, "\\u", cp_of(p, len));
                p += len;
            } else {
                buf_add(b, p, len);
                p += len;
            }
        }
    }
    return b->err;
}

int esc_json_member(struct buf *b, const char *key, const char *p, size_t n)
{
    buf_addc(b, ',');
    buf_addc(b, '"');
    buf_adds(b, key);
    buf_add(b, "\":\"", 3);
    esc_json(b, p, n);
    buf_addc(b, '"');
    return b->err;
}

int esc_csv(struct buf *b, const char *s, size_t n)
{
    buf_addc(b, '"');
    if (n > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
        buf_addc(b, '\'');
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        const char *stop = q ? q : end;
        esc_text(b, p, (size_t)(stop - p));
        if (!q)
            break;
        buf_add(b, "\"\"", 2);
        p = q + 1;
    }
    buf_addc(b, '"');
    return b->err;
}

int esc_html(struct buf *b, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *run = p;
        while (p < end && (*p == '\0' || !strchr("&<>\"'", *p)))
            p++;
        esc_text(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        switch (*p++) {
        case '&': buf_adds(b, "&amp;"); break;
        case '<': buf_adds(b, "&lt;"); break;
        case '>': buf_adds(b, "&gt;"); break;
        case '"': buf_adds(b, "&quot;"); break;
        default: buf_adds(b, "&#39;"); break;
        }
    }
    return b->err;
}
