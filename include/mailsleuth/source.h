/*
 * source.h - the reader: turns paths (files, directories, archives, "-") into numbered lines.
 *
 * Paths are expanded into an ordered list of inputs: directories recursively, rotated sets
 * (maillog, maillog.1, maillog.2.gz, mail.log-20261101.zst ...) oldest first.  Compression
 * is detected by magic bytes (gzip incl. multi-member, bzip2, xz, zstd); zip and tar bundles
 * are read member by member, each member becoming its own source named "bundle.zip!member".
 *
 * Lines are delivered through callbacks.  A line view is valid only during the callback:
 * it points into the reader's block.  The terminating "\n" (and a "\r" before it) are not
 * part of the view.  Evidence files are opened read-only; nothing is written anywhere.
 *
 * Problems (missing file, corrupt compressed stream, NUL bytes, overlong line ...) never
 * stop the run: each is reported through the problem callback, naming the file, and counted.
 */
#ifndef MAILSLEUTH_SOURCE_H
#define MAILSLEUTH_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest line delivered whole; longer lines are cut at this size and flagged. */
#define MSL_MAX_LINE (64u * 1024u)

/* Line flags */
#define MSL_LINE_TRUNCATED 0x1u /* the line was longer than MSL_MAX_LINE and was cut */
#define MSL_LINE_HAS_NUL 0x2u   /* the line contained NUL bytes (kept in the view) */
#define MSL_LINE_BAD_UTF8 0x4u  /* the line is not valid UTF-8 */
#define MSL_LINE_NO_EOL 0x8u    /* last line of a source without a final newline */

struct msl_line {
    const char *p;
    size_t n;
    uint32_t src;    /* source id, index into the run's source table (0-based) */
    uint32_t flags;  /* MSL_LINE_* */
    uint64_t lineno; /* 1-based */
    uint64_t offset; /* byte offset of the line start in the decompressed stream */
};

enum msl_compression {
    MSL_COMP_NONE = 0,
    MSL_COMP_GZIP,
    MSL_COMP_BZIP2,
    MSL_COMP_XZ,
    MSL_COMP_ZSTD,
    MSL_COMP__COUNT
};

/* One logical source: a file, a stdin stream, or one member of an archive. */
struct msl_source_info {
    uint32_t id;
    const char *name;        /* display name: "logs/maillog.2.gz", "case.zip!var/log/mail.log", "-" */
    const char *path;        /* the file on disk holding it ("-" for stdin) */
    int64_t mtime;           /* seconds since the epoch (member mtime inside archives; now for stdin) */
    int64_t size;            /* on-disk (compressed) size, -1 if unknown */
    enum msl_compression compression;
    const char *container;   /* "zip", "tar", ... or NULL when not in an archive */
};

/* Per-source counters, filled by the reader and passed to the end callback. */
struct msl_source_stats {
    uint64_t lines;
    uint64_t bytes;          /* decompressed bytes */
    uint64_t truncated_lines;
    uint64_t nul_lines;
    uint64_t bad_utf8_lines;
    uint64_t crlf_lines;
    int error;               /* 0, or MSL_E* when reading stopped early (corrupt/truncated) */
};

/* Severity of a reader problem. */
enum msl_problem_kind {
    MSL_PROB_WARNING = 0, /* data was read but something is odd (NUL bytes, long line) */
    MSL_PROB_ERROR        /* a path or part of a stream could not be read */
};

struct msl_read_cb {
    void *ctx;
    /* Called before the first line of each source.  Return non-zero to skip the source. */
    int (*begin)(void *ctx, const struct msl_source_info *si);
    /* Called for each line.  Return non-zero to stop the whole run (e.g. output closed). */
    int (*line)(void *ctx, const struct msl_line *ln);
    /* Called after the last line of each source (also after an error). */
    void (*end)(void *ctx, const struct msl_source_info *si, const struct msl_source_stats *st);
    /* A problem with a path or a stream: name is the path or source name; msg is one line. */
    void (*problem)(void *ctx, enum msl_problem_kind k, const char *name, const char *msg);
    /*
     * With msl_read_opts.hash: the SHA-256 (64 hex digits) of every file read from disk (its
     * bytes as stored, compressed or not) and of every archive member (its bytes as stored
     * in the archive after the archive's own compression, i.e. what `unzip -p` gives).
     * name is the file path or the member's source name ("case.zip!logs/mail.log"); size
     * is the number of bytes hashed.  Stdin is not hashed.  May be NULL.
     */
    void (*hashed)(void *ctx, const char *name, int member, int64_t size, const char *sha256);
};

struct msl_read_opts {
    size_t block_size;   /* read block size; 0 = default (1 MiB).  Tests use 1 to prove splitting */
    int no_rotation_sort; /* keep the given order of files inside a directory/set */
    int hash;             /* report SHA-256 of files and archive members (cb->hashed) */
};

/* Totals over a whole run. */
struct msl_read_totals {
    uint32_t sources;    /* logical sources read */
    uint32_t errors;     /* problems of kind ERROR */
    uint32_t warnings;   /* problems of kind WARNING */
    uint64_t lines;
    uint64_t bytes;
};

/*
 * Expands paths and reads every input in order, calling cb.  Returns MSL_OK when every input
 * was read completely, MSL_EINPUT when at least one problem of kind ERROR was reported (the
 * other inputs were still read), or MSL_ESTOPPED when a line callback asked to stop.
 * totals may be NULL.
 */
int msl_read_paths(const char *const *paths, size_t npaths, const struct msl_read_opts *opts,
                   const struct msl_read_cb *cb, struct msl_read_totals *totals);

/*
 * How far the reader has got, for progress displays; safe to call from any thread.
 * runs: msl_read_paths() calls begun in this process; consumed: bytes the current (or last)
 * one has read from files and stdin as stored (a compressed file's compressed bytes, a
 * bundle's bytes, not its members'); active: 1 while one runs.
 */
struct msl_read_progress {
    uint64_t runs;
    uint64_t consumed;
    int active;
};
void msl_read_progress(struct msl_read_progress *p);

/*
 * Orders file names of one rotated set oldest first.  Exposed for tests.  names is sorted
 * in place (pointers are moved, strings untouched).
 */
void msl_rotation_sort(const char **names, size_t n);

const char *msl_compression_name(enum msl_compression c);

#ifdef __cplusplus
}
#endif
#endif
