/*
 * split.c - the line splitter: blocks of bytes in, numbered line views out.
 *
 * Design.  One buffer of MSL_MAX_LINE + 2 + block bytes per run.  A reader asks for space
 * (split_space), writes up to `block` bytes there and commits them.  Commit runs memchr('\n')
 * over the new bytes only (`scan` remembers how far the unfinished line was searched), hands
 * each complete line to the callback as a view into the buffer, and leaves the unfinished
 * tail in place.  The tail is moved to the front only when the free room gets smaller than a
 * block, so a block of N lines costs N memchr calls and at most one memmove.
 *
 * Overlong lines.  When the unfinished tail reaches MSL_MAX_LINE + 2 bytes (one more than a
 * maximal line plus "\r"), the line is certainly too long: its first MSL_MAX_LINE bytes stay
 * at the front of the buffer, everything after them is dropped as it arrives ("skipping")
 * until the next '\n'.  Then the head is delivered with MSL_LINE_TRUNCATED.  Memory stays at
 * the buffer size whatever the line length.
 *
 * Flags.  NUL and non-ASCII bytes are rare in mail logs, so each committed block is checked
 * once with memchr + a word-wide OR; only when a block is "dirty" are its lines checked one
 * by one, and only lines with bytes >= 0x80 get the UTF-8 validator.
 */
#include <string.h>

#include "source/source_int.h"

void split_init(struct split *sp, struct src_run *r, const struct msl_source_info *si)
{
    memset(sp, 0, sizeof *sp);
    sp->run = r;
    sp->si = si;
    sp->buf = r->buf;
    sp->cap = r->cap;
    sp->block = r->block;
}

/* Any NUL or byte >= 0x80 in p[0, n)? */
static int bytes_dirty(const char *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;

    if (memchr(p, 0, n) != NULL)
        return 1;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, sizeof w);
        acc |= w[0] | w[1] | w[2] | w[3];
    }
    for (; i < n; i++)
        acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ull) != 0;
}

static int has_high(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return 1;
    return 0;
}

/*
 * Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).  partial_ok: the
 * line was cut at MSL_MAX_LINE, so a sequence broken by the cut is not held against it.
 */
static int utf8_valid(const unsigned char *s, size_t n, int partial_ok)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c == 0xE0) {
            need = 2;
            lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            need = 2;
        } else if (c == 0xED) {
            need = 2;
            hi = 0x9F;
        } else if (c == 0xF0) {
            need = 3;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            need = 3;
        } else if (c == 0xF4) {
            need = 3;
            hi = 0x8F;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n)
                return partial_ok;
            unsigned d = s[i + k];
            if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF))
                return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* Delivers one line; n is the length without "\n"/"\r\n".  Returns non-zero to stop. */
static int deliver(struct split *sp, const char *p, size_t n, uint32_t flags, int dirty)
{
    struct src_run *r = sp->run;
    struct msl_line ln;

    if (n > MSL_MAX_LINE) {
        n = MSL_MAX_LINE;
        flags |= MSL_LINE_TRUNCATED;
    }
    sp->lineno++;
    if (flags & MSL_LINE_TRUNCATED) {
        if (sp->st.truncated_lines++ == 0)
            src_problem(r, MSL_PROB_WARNING, sp->si->name,
                        "line %llu longer than %u bytes, truncated",
                        (unsigned long long)sp->lineno, MSL_MAX_LINE);
    }
    if (dirty) {
        if (memchr(p, 0, n) != NULL) {
            flags |= MSL_LINE_HAS_NUL;
            sp->st.nul_lines++;
            if (!sp->nul_warned) {
                sp->nul_warned = 1;
                src_problem(r, MSL_PROB_WARNING, sp->si->name,
                            "line %llu contains NUL bytes (further ones are only counted)",
                            (unsigned long long)sp->lineno);
            }
        }
        const unsigned char *u = (const unsigned char *)p;
        if (has_high(u, n) && !utf8_valid(u, n, (flags & MSL_LINE_TRUNCATED) != 0)) {
            flags |= MSL_LINE_BAD_UTF8;
            sp->st.bad_utf8_lines++;
        }
    }
    sp->st.lines++;
    r->tot.lines++;
    if (r->cb->line == NULL)
        return 0;
    ln.p = p;
    ln.n = n;
    ln.src = sp->si->id;
    ln.flags = flags;
    ln.lineno = sp->lineno;
    ln.offset = sp->line_off;
    if (r->cb->line(r->cb->ctx, &ln) != 0) {
        r->stopped = 1;
        return 1;
    }
    return 0;
}

char *split_space(struct split *sp, size_t *avail)
{
    if (sp->skipping) {
        sp->len = MSL_MAX_LINE; /* the dropped part of the overlong line is overwritten */
    } else if (sp->cap - sp->len < sp->block) {
        size_t tail = sp->len - sp->start;
        if (tail > 0)
            memmove(sp->buf, sp->buf + sp->start, tail);
        sp->scan -= sp->start;
        sp->len = tail;
        sp->start = 0;
    }
    size_t room = sp->cap - sp->len;
    *avail = room < sp->block ? room : sp->block;
    return sp->buf + sp->len;
}

int split_commit(struct split *sp, size_t n)
{
    char *chunk = sp->buf + sp->len;
    int chunk_dirty;

    if (n == 0)
        return 0;
    sp->st.bytes += n;
    sp->run->tot.bytes += n;
    chunk_dirty = bytes_dirty(chunk, n);
    if (sp->skipping) {
        const char *nl = memchr(chunk, '\n', n);
        if (nl == NULL) {
            sp->last = (unsigned char)chunk[n - 1];
            return 0;
        }
        size_t k = (size_t)(nl - chunk);
        int cr = k > 0 ? chunk[k - 1] == '\r' : sp->last == '\r';
        if (cr)
            sp->st.crlf_lines++;
        sp->skipping = 0;
        if (deliver(sp, sp->buf, MSL_MAX_LINE, MSL_LINE_TRUNCATED, sp->dirty))
            return 1;
        /* Offset of the next line: bytes of the stream up to and including this '\n'. */
        sp->line_off = sp->st.bytes - n + k + 1;
        sp->start = sp->scan = MSL_MAX_LINE + k + 1;
        sp->len = MSL_MAX_LINE + n;
        sp->dirty = chunk_dirty;
    } else {
        sp->len += n;
        sp->dirty |= chunk_dirty;
    }

    for (;;) {
        char *nl = memchr(sp->buf + sp->scan, '\n', sp->len - sp->scan);
        if (nl == NULL)
            break;
        const char *p = sp->buf + sp->start;
        size_t raw = (size_t)(nl - p);
        size_t n_line = raw;
        if (raw > 0 && p[raw - 1] == '\r') {
            n_line--;
            sp->st.crlf_lines++;
        }
        if (deliver(sp, p, n_line, 0, sp->dirty))
            return 1;
        sp->line_off += raw + 1;
        sp->start = sp->scan = (size_t)(nl - sp->buf) + 1;
    }
    sp->scan = sp->len;

    size_t tail = sp->len - sp->start;
    if (tail == 0) {
        sp->dirty = 0;
    } else if (tail >= (size_t)MSL_MAX_LINE + 2) {
        if (sp->start > 0)
            memmove(sp->buf, sp->buf + sp->start, MSL_MAX_LINE);
        sp->last = (unsigned char)sp->buf[sp->len - 1];
        sp->skipping = 1;
        sp->start = sp->scan = 0;
        sp->len = MSL_MAX_LINE;
    }
    return 0;
}

int split_finish(struct split *sp)
{
    struct src_run *r = sp->run;
    int rc = 0;

    if (r->stopped)
        return 1;
    if (sp->skipping) {
        sp->skipping = 0;
        rc = deliver(sp, sp->buf, MSL_MAX_LINE, MSL_LINE_TRUNCATED | MSL_LINE_NO_EOL, sp->dirty);
    } else if (sp->len > sp->start) {
        rc = deliver(sp, sp->buf + sp->start, sp->len - sp->start, MSL_LINE_NO_EOL, sp->dirty);
    }
    sp->start = sp->scan = sp->len = 0;
    if (sp->st.truncated_lines > 1)
        src_problem(r, MSL_PROB_WARNING, sp->si->name,
                    "%llu lines longer than %u bytes were truncated in total",
                    (unsigned long long)sp->st.truncated_lines, MSL_MAX_LINE);
    return rc;
}
