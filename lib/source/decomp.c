/*
 * decomp.c - gzip and xz log files decoded with zlib and liblzma directly (source_int.h).
 *
 * libarchive hands data over a block at a time and, when the compressed stream is cut or
 * damaged, drops the block it was decoding: a truncated rotated log then loses its last
 * 64 KiB, or everything when it is small.  Here every byte the decoder produced before the
 * damage is returned first; the error comes on the next read, and the reader names where
 * the good data ends.  Concatenated members (gzip -c a >> b, pigz, xz --single-stream
 * not used) are read one after another; bytes after the last gzip member that are not
 * another member end the data, as gzip -d does with a warning.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mailsleuth/mailsleuth.h"
#include "source/source_int.h"

#define DEC_IN (64u * 1024u)

struct src_dec {
    enum msl_compression comp;
    struct src_stream *in;
    z_stream z;
    lzma_stream x;
    unsigned char ibuf[DEC_IN];
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
        if (lzma_stream_decoder(&d->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
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
    else
        lzma_end(&d->x);
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

ssize_t src_dec_read(struct src_stream *s, void *buf, size_t n)
{
    struct src_dec *d = s->dec;
    if (d->pending || (d->msg[0] && !d->done)) {
        snprintf(s->err, sizeof s->err, "%.200s", d->msg);
        return -1;
    }
    if (d->done)
        return 0;
    ssize_t got = d->comp == MSL_COMP_GZIP ? gz_read(d, buf, n) : xz_read(d, buf, n);
    if (got < 0)
        snprintf(s->err, sizeof s->err, "%.200s", d->msg);
    return got;
}
