/*
 * source_int.h - private to lib/source: the run context, the line splitter and the stream
 * readers shared by reader.c (paths), stream.c (plain/compressed/archive) and split.c.
 *
 * Lifetimes: every string handed out in a struct msl_source_info lives in the run's string
 * store until msl_read_paths() returns.  The split buffer is one allocation per run; only the
 * innermost source being read uses it at any time.
 */
#ifndef MSL_SOURCE_INT_H
#define MSL_SOURCE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mailsleuth/mailsleuth.h"

#define SRC_DEFAULT_BLOCK (1u << 20)
#define SRC_SNIFF 512u          /* bytes looked at for magic: the tar magic sits at 257 */
#define SRC_MAX_DEPTH 4         /* archives inside archives inside ... */
#define SRC_MAX_DIR_DEPTH 256   /* directory recursion; symlinked dirs are never followed */

struct src_strblk;
struct sha256;

struct src_run {
    const struct msl_read_cb *cb;
    size_t block;
    int no_rotation_sort;
    int hash;                   /* fingerprint files and members (msl_read_opts.hash) */
    uint32_t next_id;
    struct msl_read_totals tot;
    int stopped;                /* a line callback asked to stop */
    int nomem;
    char *buf;                  /* the split buffer: MSL_MAX_LINE + 2 + block bytes */
    size_t cap;
    struct src_strblk *strs;    /* string store, freed when the run ends */
};

#if defined(__GNUC__)
#define SRC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SRC_PRINTF(a, b)
#endif

void src_problem(struct src_run *r, enum msl_problem_kind k, const char *name, const char *fmt,
                 ...) SRC_PRINTF(4, 5);

/* Copies a + b + c (any may be NULL) into the run's string store; NULL when out of memory. */
const char *src_str3(struct src_run *r, const char *a, const char *b, const char *c);

/*
 * The line splitter.  Callers ask for space, write into it, commit.  Only the partial last
 * line is carried between blocks; bytes are never scanned twice for '\n'.
 */
struct split {
    struct src_run *run;
    const struct msl_source_info *si;
    char *buf;
    size_t cap, block;
    size_t start;       /* buffer index of the current (unfinished) line */
    size_t scan;        /* [start, scan) is known to hold no '\n' */
    size_t len;         /* valid bytes in buf */
    int skipping;       /* inside an overlong line: buf[0, MSL_MAX_LINE) holds its head */
    int dirty;          /* [start, len) may hold NUL or bytes >= 0x80 (conservative) */
    unsigned char last; /* last byte committed while skipping (CR before a LF in next block) */
    uint64_t line_off;  /* stream offset of the current line's first byte */
    uint64_t lineno;
    int nul_warned;
    struct msl_source_stats st;
};

void split_init(struct split *sp, struct src_run *r, const struct msl_source_info *si);
char *split_space(struct split *sp, size_t *avail);
/* Returns non-zero when the line callback asked to stop (run->stopped is set too). */
int split_commit(struct split *sp, size_t n);
int split_finish(struct split *sp);

/* Rotation: length of the set's base name ("logs/maillog" for "logs/maillog.2.gz"). */
size_t rot_base_len(const char *name);
int rot_compare(const char *a, const char *b);

/* A byte stream: a file descriptor or an archive member, with a replayed prefix. */
struct archive;
struct src_stream {
    ssize_t (*read)(struct src_stream *s, void *buf, size_t n); /* >0, 0 = EOF, -1 = error */
    int fd;
    int seekable;               /* a regular file read from offset 0: zip may seek */
    struct archive *ar;         /* for archive members and compressed data */
    const char *blk;            /* current libarchive data block, [blk_pos, blk_len) unread */
    size_t blk_len, blk_pos;
    int64_t next_off;           /* member offset after the current block (sparse gaps) */
    uint64_t zeros;             /* NUL bytes still owed for a sparse gap */
    const unsigned char *pre;   /* bytes already read for sniffing, served first */
    size_t pre_len, pre_pos;
    int failed;                 /* sticky: once a read failed, every read fails */
    struct sha256 *hash;        /* archive members: SHA-256 of the member bytes read */
    uint64_t hashed;            /* bytes hashed so far */
    struct sha256 *file_hash;   /* files on disk: SHA-256 of the bytes read from fd, as read */
    uint64_t file_read;         /* bytes read from fd */
    int file_seeked;            /* a zip seeked: the bytes were not read in order */
    struct src_dec *dec;        /* gzip/xz/bzip2/zstd decoded directly (decomp.c), else NULL */
    char err[256];
};

/* decomp.c: gzip, xz, bzip2 and zstd files decoded with zlib, liblzma, libbz2 and libzstd,
 * so that every byte decoded before damage reaches the parser (libarchive drops its last
 * block on an error).  src_dec_new() returns NULL for any other compression. */
struct src_dec;
struct src_dec *src_dec_new(enum msl_compression comp, struct src_stream *in);
void src_dec_free(struct src_dec *d);
ssize_t src_dec_read(struct src_stream *s, void *buf, size_t n); /* s->dec set */
/* stream.c: the stream's bytes, after any sniffed prefix; errors are sticky */
ssize_t src_stream_read(struct src_stream *s, void *buf, size_t n);

/* Where a stream comes from: display name, file on disk, metadata for msl_source_info. */
struct src_origin {
    const char *name;
    const char *path;
    int64_t mtime;
    int64_t size;
    const char *container;
};

ssize_t src_fd_read(struct src_stream *s, void *buf, size_t n);
/* Counts bytes read from disk or stdin for msl_read_progress(). */
void src_consumed(size_t n);
/* Reads one stream (sniffs magic, then plain, compressed or archive). depth = nesting level. */
void src_read_stream(struct src_run *r, struct src_stream *s, const struct src_origin *o,
                     int depth);

#endif
