/*
 * decomp.c - gzip, xz, bzip2 and zstd log files decoded with zlib, liblzma, libbz2 and
 * libzstd directly (source_int.h).
 *
 * libarchive hands data over a block at a time and, when the compressed stream is cut or
 * damaged, drops the block it was decoding: a truncated rotated log then loses its last
 * 64 KiB, or everything when it is small.  Here every byte the decoder produced before the
 * damage is returned first; the error comes on the next read, and the reader names where
 * the good data ends.  Concatenated members (gzip -c a >> b, pigz, xz --single-stream
 * not used, pbzip2, zstd frames) are read one after another; bytes after the last gzip
 * member that are not another member end the data, as gzip -d does with a warning.
 * bzip2 decodes whole blocks (up to 900 kB): a cut file gives its complete blocks, as
 * bzip2 -d does.  A hostile header cannot ask for unbounded memory: xz decoding is limited
 * to XZ_MEMLIMIT, zstd keeps libzstd's default window limit (128 MiB).
 */
#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "mailsleuth/mailsleuth.h"
#include "source/source_int.h"

#define DEC_IN (64u * 1024u)
/* An xz header may ask for a 1.5 GiB dictionary; xz -9e needs 65 MiB to decode. */
#define XZ_MEMLIMIT (256u << 20)

struct src_dec {
    enum msl_compression comp;
    struct src_stream *in;
    z_stream z;
    lzma_stream x;
    bz_stream b;
    ZSTD_DStream *zs;
    ZSTD_inBuffer zin;
    size_t zs_left;  /* libzstd's hint: 0 when the last frame read is complete */
    unsigned char ibuf[DEC_IN];
    /* bzip2 decodes into obuf, always asked for DEC_IN bytes: libbz2 does not count what it
     * wrote when it then finds a block corrupt, so what a reader gets must not depend on
     * the size of the reader's buffer (served from [opos, olen)) */
    unsigned char obuf[DEC_IN];
    size_t opos, olen;
    int in_eof;   /* the compressed input has ended */
    int done;     /* the data ended cleanly */
    int pending;  /* an error to report at the next read (after the good bytes) */
    char msg[200];
};

struct src_dec *src_dec_new(enum msl_compression comp, struct src_stream *in)
{
    struct src_dec *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->comp = comp;
    d->in = in;
    if (comp == MSL_COMP_GZIP) {
        if (inflateInit2(&d->z, 15 + 16) != Z_OK) { /* gzip framing only */
            free(d);
            return NULL;
        }
    } else if (comp == MSL_COMP_XZ) {
        lzma_stream init = LZMA_STREAM_INIT;
        d->x = init;
        if (lzma_stream_decoder(&d->x, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
            free(d);
            return NULL;
        }
    } else if (comp == MSL_COMP_BZIP2) {
        if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK) {
            free(d);
            return NULL;
        }
    } else if (comp == MSL_COMP_ZSTD) {
        if (!(d->zs = ZSTD_createDStream())) {
            free(d);
            return NULL;
        }
    } else {
        free(d);
        return NULL;
    }
    return d;
}

void src_dec_free(struct src_dec *d)
{
    if (!d)
        return;
    if (d->comp == MSL_COMP_GZIP)
        inflateEnd(&d->z);
    else if (d->comp == MSL_COMP_XZ)
        lzma_end(&d->x);
    else if (d->comp == MSL_COMP_BZIP2)
        BZ2_bzDecompressEnd(&d->b);
    else
        ZSTD_freeDStream(d->zs);
    free(d);
}

/* More compressed input; 0 at its end, -1 on a read error (message set). */
static int refill(struct src_dec *d, const unsigned char **next, size_t *avail)
{
    ssize_t got = src_stream_read(d->in, d->ibuf, sizeof d->ibuf);
    if (got < 0) {
        snprintf(d->msg, sizeof d->msg, "%.190s", d->in->err[0] ? d->in->err : "read error");
        return -1;
    }
    if (got == 0) {
        d->in_eof = 1;
        return 0;
    }
    *next = d->ibuf;
    *avail = (size_t)got;
    return 1;
}

static ssize_t gz_read(struct src_dec *d, unsigned char *buf, size_t n)
{
    z_stream *z = &d->z;
    z->next_out = buf;
    z->avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
    size_t want = z->avail_out;
    for (;;) {
        if (z->avail_in == 0 && !d->in_eof) {
            const unsigned char *nx = NULL;
            size_t av = 0;
            int r = refill(d, &nx, &av);
            if (r < 0)
                break;
            if (r > 0) {
                z->next_in = (Bytef *)(uintptr_t)nx;
                z->avail_in = (uInt)av;
            }
        }
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            /* another member may follow: it must start with the gzip magic */
            if (z->avail_in == 0 && !d->in_eof) {
                const unsigned char *nx = NULL;
                size_t av = 0;
                if (refill(d, &nx, &av) > 0) {
                    z->next_in = (Bytef *)(uintptr_t)nx;
                    z->avail_in = (uInt)av;
                }
            }
            if (z->avail_in >= 2 && z->next_in[0] == 0x1f && z->next_in[1] == 0x8b) {
                inflateReset(z);
                if (z->avail_out == 0)
                    break;
                continue;
            }
            d->done = 1; /* end of the data (trailing bytes, if any, are not a member) */
            break;
        }
        if (rc == Z_OK && z->avail_out == 0)
            break;
        if (rc == Z_OK || (rc == Z_BUF_ERROR && !d->in_eof && z->avail_in == 0))
            continue;
        if (rc == Z_BUF_ERROR && d->in_eof) {
            snprintf(d->msg, sizeof d->msg, "the gzip data ends early (cut off)");
            break;
        }
        snprintf(d->msg, sizeof d->msg, "%.190s", z->msg ? z->msg : "corrupt gzip data");
        break;
    }
    size_t produced = want - z->avail_out;
    if (!d->done && d->msg[0] && produced == 0)
        return -1;
    if (!d->done && d->msg[0])
        d->pending = 1; /* the good bytes first, the error next */
    return (ssize_t)produced;
}

static ssize_t xz_read(struct src_dec *d, unsigned char *buf, size_t n)
{
    lzma_stream *x = &d->x;
    x->next_out = buf;
    x->avail_out = n;
    for (;;) {
        if (x->avail_in == 0 && !d->in_eof) {
            const unsigned char *nx = NULL;
            size_t av = 0;
            int r = refill(d, &nx, &av);
            if (r < 0)
                break;
            if (r > 0) {
                x->next_in = nx;
                x->avail_in = av;
            }
        }
        lzma_ret rc = lzma_code(x, d->in_eof ? LZMA_FINISH : LZMA_RUN);
        if (rc == LZMA_STREAM_END) {
            d->done = 1;
            break;
        }
        if (rc == LZMA_OK) {
            if (x->avail_out == 0)
                break;
            continue;
        }
        if (rc == LZMA_BUF_ERROR)
            snprintf(d->msg, sizeof d->msg, "the xz data ends early (cut off)");
        else if (rc == LZMA_MEMLIMIT_ERROR)
            snprintf(d->msg, sizeof d->msg,
                     "the xz data asks for more than %u MiB of memory to decode (its "
                     "dictionary size); not decoded further", XZ_MEMLIMIT >> 20);
        else
            snprintf(d->msg, sizeof d->msg, "corrupt xz data (liblzma error %d)", (int)rc);
        break;
    }
    size_t produced = n - x->avail_out;
    if (!d->done && d->msg[0] && produced == 0)
        return -1;
    if (!d->done && d->msg[0])
        d->pending = 1;
    return (ssize_t)produced;
}

static const char *bz_error(int rc)
{
    switch (rc) {
    case BZ_DATA_ERROR: return "corrupt bzip2 data (block checksum or structure)";
    case BZ_DATA_ERROR_MAGIC: return "corrupt bzip2 data (no bzip2 signature)";
    case BZ_MEM_ERROR: return "out of memory decoding bzip2";
    default: return "corrupt bzip2 data";
    }
}

static ssize_t bz_fill(struct src_dec *d, unsigned char *buf, size_t n)
{
    bz_stream *b = &d->b;
    b->next_out = (char *)buf;
    b->avail_out = (unsigned)(n > (1u << 30) ? (1u << 30) : n);
    size_t want = b->avail_out;
    for (;;) {
        if (b->avail_in == 0 && !d->in_eof) {
            const unsigned char *nx = NULL;
            size_t av = 0;
            int r = refill(d, &nx, &av);
            if (r < 0)
                break;
            if (r > 0) {
                b->next_in = (char *)(uintptr_t)nx;
                b->avail_in = (unsigned)av;
            }
        }
        unsigned before_out = b->avail_out;
        int rc = BZ2_bzDecompress(b);
        if (rc == BZ_STREAM_END) {
            /* another stream may follow (pbzip2, cat a.bz2 b.bz2): "BZh" starts it */
            if (b->avail_in == 0 && !d->in_eof) {
                const unsigned char *nx = NULL;
                size_t av = 0;
                if (refill(d, &nx, &av) > 0) {
                    b->next_in = (char *)(uintptr_t)nx;
                    b->avail_in = (unsigned)av;
                }
            }
            if (b->avail_in >= 3 && memcmp(b->next_in, "BZh", 3) == 0) {
                BZ2_bzDecompressEnd(b);
                char *nx = b->next_in;
                unsigned av = b->avail_in;
                char *no = b->next_out;
                unsigned ao = b->avail_out;
                memset(b, 0, sizeof *b);
                if (BZ2_bzDecompressInit(b, 0, 0) != BZ_OK) {
                    snprintf(d->msg, sizeof d->msg, "%s", bz_error(BZ_MEM_ERROR));
                    break;
                }
                b->next_in = nx, b->avail_in = av, b->next_out = no, b->avail_out = ao;
                if (b->avail_out == 0)
                    break;
                continue;
            }
            d->done = 1; /* trailing bytes that start no stream end the data */
            break;
        }
        if (rc != BZ_OK) {
            snprintf(d->msg, sizeof d->msg, "%s", bz_error(rc));
            break;
        }
        if (b->avail_out == 0)
            break;
        /* the input is spent and nothing more came out: the stream was cut */
        if (d->in_eof && b->avail_in == 0 && b->avail_out == before_out) {
            snprintf(d->msg, sizeof d->msg, "the bzip2 data ends early (cut off)");
            break;
        }
    }
    size_t produced = want - b->avail_out;
    if (!d->done && d->msg[0] && produced == 0)
        return -1;
    if (!d->done && d->msg[0])
        d->pending = 1;
    return (ssize_t)produced;
}

static ssize_t bz_read(struct src_dec *d, unsigned char *buf, size_t n)
{
    if (d->opos == d->olen) {
        ssize_t got = bz_fill(d, d->obuf, sizeof d->obuf);
        if (got <= 0)
            return got;
        d->opos = 0;
        d->olen = (size_t)got;
    }
    size_t k = d->olen - d->opos < n ? d->olen - d->opos : n;
    memcpy(buf, d->obuf + d->opos, k);
    d->opos += k;
    return (ssize_t)k;
}

static ssize_t zst_read(struct src_dec *d, unsigned char *buf, size_t n)
{
    ZSTD_outBuffer out = { buf, n, 0 };
    for (;;) {
        if (d->zin.pos == d->zin.size && !d->in_eof) {
            const unsigned char *nx = NULL;
            size_t av = 0;
            int r = refill(d, &nx, &av);
            if (r < 0)
                break;
            if (r > 0) {
                d->zin.src = nx;
                d->zin.size = av;
                d->zin.pos = 0;
            }
        }
        if (d->zin.pos == d->zin.size && d->in_eof) {
            /* libzstd may still hold decoded bytes: drain them before judging the end */
            size_t before = out.pos;
            size_t rc = ZSTD_decompressStream(d->zs, &out, &d->zin);
            if (ZSTD_isError(rc)) {
                snprintf(d->msg, sizeof d->msg, "corrupt zstd data (%.160s)",
                         ZSTD_getErrorName(rc));
                break;
            }
            if (out.pos > before)
                d->zs_left = rc; /* with nothing done, rc is only the next frame's hint */
            if (out.pos == out.size)
                break;
            if (out.pos > before)
                continue;
            if (d->zs_left == 0)
                d->done = 1;
            else
                snprintf(d->msg, sizeof d->msg, "the zstd data ends early (cut off)");
            break;
        }
        size_t rc = ZSTD_decompressStream(d->zs, &out, &d->zin);
        if (ZSTD_isError(rc)) {
            snprintf(d->msg, sizeof d->msg, "corrupt zstd data (%.160s)", ZSTD_getErrorName(rc));
            break;
        }
        d->zs_left = rc; /* another frame, if any, is started by the next call */
        if (out.pos == out.size)
            break;
    }
    if (!d->done && d->msg[0] && out.pos == 0)
        return -1;
    if (!d->done && d->msg[0])
        d->pending = 1;
    return (ssize_t)out.pos;
}

ssize_t src_dec_read(struct src_stream *s, void *buf, size_t n)
{
    struct src_dec *d = s->dec;
    int drained = d->opos == d->olen; /* nothing decoded is still waiting in obuf */
    if (drained && (d->pending || (d->msg[0] && !d->done))) {
        snprintf(s->err, sizeof s->err, "%.200s", d->msg);
        return -1;
    }
    if (drained && d->done)
        return 0;
    ssize_t got;
    switch (d->comp) {
    case MSL_COMP_GZIP: got = gz_read(d, buf, n); break;
    case MSL_COMP_XZ: got = xz_read(d, buf, n); break;
    case MSL_COMP_BZIP2: got = bz_read(d, buf, n); break;
    default: got = zst_read(d, buf, n); break;
    }
    if (got < 0)
        snprintf(s->err, sizeof s->err, "%.200s", d->msg);
    return got;
}
