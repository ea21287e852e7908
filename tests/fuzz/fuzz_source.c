/*
 * fuzz_source.c - fuzz target for the reader: raw bytes -> magic sniffing, decompression,
 * archive members, line splitting.
 *
 * The input is put in a memfd and read through "/proc/self/fd/N" (falls back to a temp
 * file), once with the default block and once with 7-byte blocks.  Invariants, not just
 * "no crash":
 *   - every line view is readable for n bytes (ASan checks) and n <= MSL_MAX_LINE;
 *   - TRUNCATED iff the line was cut; HAS_NUL matches the view; line numbers count 1, 2, 3
 *     within a source and offsets strictly increase;
 *   - lines arrive only between begin() and end() of their source;
 *   - the small-block run yields exactly the same lines, flags and offsets as the default.
 * Decompression bombs are cut short by stopping after a budget of lines and bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mailsleuth/mailsleuth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINES 200000u
#define FUZZ_MAX_BYTES (64u * 1024u * 1024u)

#define FUZZ_ASSERT(c)                                                                    \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "fuzz_source: invariant failed: %s (%s:%d)\n", #c, __FILE__, \
                    __LINE__);                                                            \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

struct fz {
    int in_source;
    uint32_t src;
    uint64_t lineno, last_off, lines, bytes;
    uint64_t hash; /* over (src, lineno, offset, flags, bytes) of every line */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *u = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ u[i]) * 0x100000001b3ull; /* FNV-1a */
    return h;
}

static int fz_begin(void *ctx, const struct msl_source_info *si)
{
    struct fz *f = ctx;
    FUZZ_ASSERT(!f->in_source);
    FUZZ_ASSERT(si->name != NULL && si->path != NULL);
    FUZZ_ASSERT((unsigned)si->compression < MSL_COMP__COUNT);
    f->in_source = 1;
    f->src = si->id;
    f->lineno = 0;
    f->last_off = 0;
    f->hash = mix(f->hash, si->name, strlen(si->name));
    return 0;
}

static int fz_line(void *ctx, const struct msl_line *ln)
{
    struct fz *f = ctx;
    volatile unsigned char sink = 0;

    FUZZ_ASSERT(f->in_source);
    FUZZ_ASSERT(ln->src == f->src);
    FUZZ_ASSERT(ln->n <= MSL_MAX_LINE);
    FUZZ_ASSERT(ln->n == 0 || ln->p != NULL);
    FUZZ_ASSERT(ln->lineno == f->lineno + 1);
    FUZZ_ASSERT(ln->lineno == 1 || ln->offset > f->last_off);
    FUZZ_ASSERT((ln->flags & ~0xFu) == 0);
    FUZZ_ASSERT(!(ln->flags & MSL_LINE_TRUNCATED) || ln->n == MSL_MAX_LINE);
    FUZZ_ASSERT(!!(ln->flags & MSL_LINE_HAS_NUL) == (memchr(ln->p, 0, ln->n) != NULL));
    for (size_t i = 0; i < ln->n; i++)
        sink ^= (unsigned char)ln->p[i]; /* every byte of the view must be readable */
    (void)sink;
    if (!(ln->flags & MSL_LINE_BAD_UTF8)) {
        for (size_t i = 0; i < ln->n; i++)
            FUZZ_ASSERT((unsigned char)ln->p[i] != 0xFF && (unsigned char)ln->p[i] != 0xC0);
    }
    f->lineno = ln->lineno;
    f->last_off = ln->offset;
    f->hash = mix(f->hash, &ln->lineno, sizeof ln->lineno);
    f->hash = mix(f->hash, &ln->offset, sizeof ln->offset);
    f->hash = mix(f->hash, &ln->flags, sizeof ln->flags);
    f->hash = mix(f->hash, ln->p, ln->n);
    f->lines++;
    f->bytes += ln->n;
    return f->lines >= FUZZ_MAX_LINES || f->bytes >= FUZZ_MAX_BYTES;
}

static void fz_end(void *ctx, const struct msl_source_info *si, const struct msl_source_stats *st)
{
    struct fz *f = ctx;
    FUZZ_ASSERT(f->in_source);
    FUZZ_ASSERT(si->id == f->src);
    FUZZ_ASSERT(st->lines == f->lineno);
    FUZZ_ASSERT(st->truncated_lines <= st->lines && st->nul_lines <= st->lines);
    FUZZ_ASSERT(st->bad_utf8_lines <= st->lines && st->crlf_lines <= st->lines);
    f->in_source = 0;
}

static void fz_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct fz *f = ctx;
    FUZZ_ASSERT(k == MSL_PROB_WARNING || k == MSL_PROB_ERROR);
    FUZZ_ASSERT(name != NULL && msg != NULL && strchr(msg, '\n') == NULL);
    f->hash = mix(f->hash, &k, sizeof k);
}

static int run(const char *path, size_t block, struct fz *f, struct msl_read_totals *t)
{
    struct msl_read_cb cb = {
        .ctx = f, .begin = fz_begin, .line = fz_line, .end = fz_end, .problem = fz_problem};
    struct msl_read_opts o = {.block_size = block};
    const char *paths[1] = {path};

    memset(f, 0, sizeof *f);
    int rc = msl_read_paths(paths, 1, &o, &cb, t);
    FUZZ_ASSERT(rc == MSL_OK || rc == MSL_EINPUT || rc == MSL_ESTOPPED);
    FUZZ_ASSERT(!f->in_source);
    FUZZ_ASSERT(t->lines == f->lines);
    FUZZ_ASSERT((rc == MSL_EINPUT) == (t->errors > 0) || rc == MSL_ESTOPPED);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], tmpl[] = "/tmp/fuzz_source.XXXXXX";
    int fd = -1, is_tmp = 0;

#ifdef MFD_CLOEXEC
    fd = memfd_create("fuzz_source", MFD_CLOEXEC);
#endif
    if (fd < 0) {
        fd = mkstemp(tmpl);
        is_tmp = 1;
    }
    if (fd < 0)
        return 0;
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return 0;
        }
        off += (size_t)w;
    }
    if (is_tmp)
        snprintf(path, sizeof path, "%s", tmpl);
    else
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    struct fz a, b;
    struct msl_read_totals ta, tb;
    int rca = run(path, 0, &a, &ta);
    int rcb = run(path, 7, &b, &tb);
    if (rca != MSL_ESTOPPED && rcb != MSL_ESTOPPED) {
        FUZZ_ASSERT(rca == rcb);
        FUZZ_ASSERT(a.hash == b.hash);
        FUZZ_ASSERT(ta.lines == tb.lines && ta.bytes == tb.bytes);
        FUZZ_ASSERT(ta.sources == tb.sources && ta.errors == tb.errors);
    }
    close(fd);
    if (is_tmp)
        unlink(tmpl);
    return 0;
}
