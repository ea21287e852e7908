/*
 * reader.c - msl_read_paths(): expands paths into an ordered list of inputs and reads them.
 *
 * Order of inputs (the rule the CLI documents):
 *   - Arguments are read in command-line order.  A directory is expanded in place,
 *     recursively; inside it, entries are ordered with the rotation order of rotation.c
 *     (each rotated set oldest first, sets by base name), subdirectories recursed where they
 *     sort.  "-" is stdin.
 *   - Exception: plain file arguments belonging to the same rotated set (same base name,
 *     directory included: `maillog*` expanding to maillog maillog.1 maillog.2.gz) are read
 *     together, oldest first, at the position of the first of them on the command line.
 *   - opts->no_rotation_sort keeps arguments as given and sorts directory entries by name.
 *
 * Nothing is skipped silently: a missing or unreadable path or directory entry is an ERROR
 * problem, a special file or symlinked directory inside a directory a WARNING (special
 * files could block forever, symlinked directories could loop).  Explicit arguments that are
 * not regular files (a FIFO, /dev/stdin) are read as streams.
 *
 * Source ids: every begin() call consumes the next id, also when the callback skips the
 * source, so an id is never shown twice.  end() is not called for skipped sources.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "source/source_int.h"
#include "util/evidence_open.h"
#include "util/sha256.h"

/* Progress counters (msl_read_progress): atomics, as a display thread reads them. */
static _Atomic uint64_t progress_runs, progress_consumed;
static _Atomic int progress_active;

void src_consumed(size_t n)
{
    atomic_fetch_add_explicit(&progress_consumed, n, memory_order_relaxed);
}

void msl_read_progress(struct msl_read_progress *p)
{
    p->runs = atomic_load_explicit(&progress_runs, memory_order_acquire);
    p->consumed = atomic_load_explicit(&progress_consumed, memory_order_relaxed);
    p->active = atomic_load_explicit(&progress_active, memory_order_relaxed);
}

struct src_strblk {
    struct src_strblk *next;
    size_t used, cap;
    char data[];
};

const char *src_str3(struct src_run *r, const char *a, const char *b, const char *c)
{
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    size_t need = la + lb + lc + 1;
    struct src_strblk *blk = r->strs;

    if (need < la || need > SIZE_MAX / 2)
        return NULL;
    if (blk == NULL || blk->cap - blk->used < need) {
        size_t cap = need > 16384 ? need : 16384;
        blk = malloc(sizeof *blk + cap);
        if (blk == NULL)
            return NULL;
        blk->next = r->strs;
        blk->used = 0;
        blk->cap = cap;
        r->strs = blk;
    }
    char *p = blk->data + blk->used;
    if (la)
        memcpy(p, a, la);
    if (lb)
        memcpy(p + la, b, lb);
    if (lc)
        memcpy(p + la + lb, c, lc);
    p[la + lb + lc] = '\0';
    blk->used += need;
    return p;
}

void src_problem(struct src_run *r, enum msl_problem_kind k, const char *name, const char *fmt,
                 ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (k == MSL_PROB_ERROR)
        r->tot.errors++;
    else
        r->tot.warnings++;
    if (r->cb->problem != NULL)
        r->cb->problem(r->cb->ctx, k, name, msg);
}

const char *msl_compression_name(enum msl_compression c)
{
    switch (c) {
    case MSL_COMP_NONE: return "none";
    case MSL_COMP_GZIP: return "gzip";
    case MSL_COMP_BZIP2: return "bzip2";
    case MSL_COMP_XZ: return "xz";
    case MSL_COMP_ZSTD: return "zstd";
    default: return "unknown";
    }
}

/* Fingerprints a whole file with a second sequential read: only for a zip, which
 * libarchive reads out of order (files read in order are hashed as they are parsed). */
static void hash_file(struct src_run *r, int fd, const char *path)
{
    struct sha256 *h = sha256_new();
    char hex[65];
    uint64_t total = 0;
    if (!h || lseek(fd, 0, SEEK_SET) != 0) {
        sha256_free(h);
        src_problem(r, MSL_PROB_ERROR, path, "cannot fingerprint: %s", strerror(errno));
        return;
    }
    char *buf = r->buf; /* the split buffer is free between sources */
    size_t cap = r->cap < 65536 ? 0 : r->cap;
    char small[65536];
    if (!cap) {
        buf = small;
        cap = sizeof small;
    }
    for (;;) {
        ssize_t got = read(fd, buf, cap);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            sha256_free(h);
            src_problem(r, MSL_PROB_ERROR, path, "cannot fingerprint: %s", strerror(errno));
            return;
        }
        if (got == 0)
            break;
        sha256_update(h, buf, (size_t)got);
        total += (uint64_t)got;
    }
    sha256_final_hex(h, hex);
    if (r->cb->hashed)
        r->cb->hashed(r->cb->ctx, path, 0, (int64_t)total, hex);
}

/* Reads one file (or FIFO/device named explicitly) from disk. */
static void read_file(struct src_run *r, const char *path)
{
    struct src_stream s;
    struct src_origin o;
    struct stat st;
    int fd = evidence_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY); /* atime left as found */

    if (fd < 0) {
        src_problem(r, MSL_PROB_ERROR, path, "%s", strerror(errno));
        return;
    }
    if (fstat(fd, &st) != 0) {
        src_problem(r, MSL_PROB_ERROR, path, "%s", strerror(errno));
        close(fd);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        src_problem(r, MSL_PROB_ERROR, path, "%s", strerror(EISDIR));
        close(fd);
        return;
    }
    memset(&s, 0, sizeof s);
    s.read = src_fd_read;
    s.fd = fd;
    s.seekable = S_ISREG(st.st_mode);
    if (s.seekable)
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    o.name = path;
    o.path = path;
    o.mtime = (int64_t)st.st_mtime;
    o.size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    o.container = NULL;
    if (r->hash && S_ISREG(st.st_mode))
        s.file_hash = sha256_new();
    src_read_stream(r, &s, &o, 0);
    /* the parse may have stopped early (corrupt data): the rest is read once, for the hash */
    if (s.file_hash && !s.file_seeked) {
        char rest[65536];
        ssize_t got;
        while ((got = src_fd_read(&s, rest, sizeof rest)) > 0)
            ;
    }
    /* did the file change while it was read?  copytruncate, a rotation by rename, a writer */
    struct stat after, named;
    int changed = 0;
    char what[160] = "";
    if (S_ISREG(st.st_mode) && fstat(fd, &after) == 0) {
        if (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
            after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
            changed = 1;
            snprintf(what, sizeof what, "its size went from %lld to %lld bytes",
                     (long long)st.st_size, (long long)after.st_size);
        } else if (s.file_hash && !s.file_seeked && s.file_read != (uint64_t)st.st_size) {
            changed = 1;
            snprintf(what, sizeof what, "%llu of its %lld bytes could be read",
                     (unsigned long long)s.file_read, (long long)st.st_size);
        } else if (stat(path, &named) == 0 &&
                   (named.st_ino != st.st_ino || named.st_dev != st.st_dev)) {
            changed = 1;
            snprintf(what, sizeof what, "another file now has its name");
        }
    }
    if (changed) {
        /* the results describe the bytes read; no fingerprint that would describe no file */
        src_problem(r, MSL_PROB_ERROR, path,
                    "changed while being read (%s): the results cover what was read, "
                    "no fingerprint recorded", what);
    } else if (s.file_hash && !s.file_seeked) {
        char hex[65];
        sha256_final_hex(s.file_hash, hex); /* frees it */
        s.file_hash = NULL;
        if (r->cb->hashed)
            r->cb->hashed(r->cb->ctx, path, 0, (int64_t)s.file_read, hex);
    } else if (r->hash && S_ISREG(st.st_mode)) {
        hash_file(r, fd, path);
    }
    sha256_free(s.file_hash);
    close(fd);
}

static void read_stdin(struct src_run *r)
{
    struct src_stream s;
    struct src_origin o;

    memset(&s, 0, sizeof s);
    s.read = src_fd_read;
    s.fd = STDIN_FILENO;
    s.seekable = 0; /* stdin may be a file read part-way: never pread/seek it */
    o.name = "-";
    o.path = "-";
    o.mtime = (int64_t)time(NULL);
    o.size = -1;
    o.container = NULL;
    src_read_stream(r, &s, &o, 0);
}

static int cmp_plain(const void *pa, const void *pb)
{
    const char *const *a = pa;
    const char *const *b = pb;
    return strcmp(*a, *b);
}

static void read_dir(struct src_run *r, const char *dir, int depth)
{
    const char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;

    if (depth > SRC_MAX_DIR_DEPTH) {
        src_problem(r, MSL_PROB_ERROR, dir, "directories nested too deep, not read");
        return;
    }
    /* listing a directory updates its atime too, unless opened O_NOATIME */
    int dfd = evidence_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (d == NULL) {
        src_problem(r, MSL_PROB_ERROR, dir, "%s", strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return;
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                src_problem(r, MSL_PROB_ERROR, dir, "%s", strerror(errno));
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            const char **nn = realloc(names, ncap * sizeof *names);
            if (nn == NULL) {
                r->nomem = 1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        size_t dl = strlen(dir);
        names[n] = src_str3(r, dir, dl > 0 && dir[dl - 1] == '/' ? "" : "/", de->d_name);
        if (names[n] == NULL) {
            r->nomem = 1;
            break;
        }
        n++;
    }
    closedir(d);
    /* All names share the directory prefix, so sorting paths sorts the entry names. */
    if (r->no_rotation_sort)
        qsort(names, n, sizeof *names, cmp_plain);
    else
        msl_rotation_sort(names, n);

    for (size_t i = 0; i < n && !r->stopped && !r->nomem; i++) {
        struct stat st;
        if (lstat(names[i], &st) != 0) {
            src_problem(r, MSL_PROB_ERROR, names[i], "%s", strerror(errno));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            if (stat(names[i], &st) != 0) {
                src_problem(r, MSL_PROB_ERROR, names[i], "%s", strerror(errno));
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                src_problem(r, MSL_PROB_WARNING, names[i],
                            "symbolic link to a directory, not followed");
                continue;
            }
        }
        if (S_ISDIR(st.st_mode))
            read_dir(r, names[i], depth + 1);
        else if (S_ISREG(st.st_mode))
            read_file(r, names[i]);
        else
            src_problem(r, MSL_PROB_WARNING, names[i], "not a regular file, skipped");
    }
    free(names);
}

enum arg_kind { ARG_STDIN, ARG_MISSING, ARG_DIR, ARG_FILE };

/* Same rotated set: equal base names, directory included. */
static int same_set(const char *a, const char *b)
{
    size_t la = rot_base_len(a), lb = rot_base_len(b);
    return la == lb && memcmp(a, b, la) == 0;
}

int msl_read_paths(const char *const *paths, size_t npaths, const struct msl_read_opts *opts,
                   const struct msl_read_cb *cb, struct msl_read_totals *totals)
{
    static const struct msl_read_cb no_cb;
    struct src_run run;
    enum arg_kind *kind = NULL;
    unsigned char *done = NULL;
    int *err = NULL;
    const char **set = NULL;

    memset(&run, 0, sizeof run);
    atomic_store_explicit(&progress_consumed, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&progress_runs, 1, memory_order_release);
    atomic_store_explicit(&progress_active, 1, memory_order_relaxed);
    run.cb = cb ? cb : &no_cb;
    run.block = opts && opts->block_size ? opts->block_size : SRC_DEFAULT_BLOCK;
    if (run.block > (size_t)1 << 30)
        run.block = (size_t)1 << 30;
    run.no_rotation_sort = opts ? opts->no_rotation_sort : 0;
    run.hash = opts ? opts->hash : 0;
    run.cap = MSL_MAX_LINE + 2 + run.block;
    run.buf = malloc(run.cap);
    if (npaths > 0) {
        kind = calloc(npaths, sizeof *kind);
        done = calloc(npaths, 1);
        err = calloc(npaths, sizeof *err);
        set = calloc(npaths, sizeof *set);
    }
    if (run.buf == NULL || (npaths > 0 && (!kind || !done || !err || !set))) {
        run.nomem = 1;
        goto out;
    }

    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (paths[i] == NULL) {
            kind[i] = ARG_MISSING;
            err[i] = EINVAL;
        } else if (strcmp(paths[i], "-") == 0) {
            kind[i] = ARG_STDIN;
        } else if (stat(paths[i], &st) != 0) {
            kind[i] = ARG_MISSING;
            err[i] = errno;
        } else {
            kind[i] = S_ISDIR(st.st_mode) ? ARG_DIR : ARG_FILE;
        }
    }

    for (size_t i = 0; i < npaths && !run.stopped && !run.nomem; i++) {
        if (done[i])
            continue;
        done[i] = 1;
        switch (kind[i]) {
        case ARG_STDIN:
            read_stdin(&run);
            break;
        case ARG_MISSING:
            src_problem(&run, MSL_PROB_ERROR, paths[i] ? paths[i] : "(null)", "%s",
                        strerror(err[i]));
            break;
        case ARG_DIR:
            read_dir(&run, paths[i], 0);
            break;
        case ARG_FILE: {
            size_t ns = 0;
            set[ns++] = paths[i];
            for (size_t j = i + 1; j < npaths && !run.no_rotation_sort; j++) {
                if (!done[j] && kind[j] == ARG_FILE && same_set(paths[i], paths[j])) {
                    set[ns++] = paths[j];
                    done[j] = 1;
                }
            }
            msl_rotation_sort(set, ns);
            for (size_t k = 0; k < ns && !run.stopped && !run.nomem; k++)
                read_file(&run, set[k]);
            break;
        }
        }
    }

out:
    atomic_store_explicit(&progress_active, 0, memory_order_relaxed);
    if (totals != NULL)
        *totals = run.tot;
    while (run.strs != NULL) {
        struct src_strblk *next = run.strs->next;
        free(run.strs);
        run.strs = next;
    }
    free(run.buf);
    free(kind);
    free(done);
    free(err);
    free(set);
    if (run.nomem)
        return MSL_ENOMEM;
    if (run.stopped)
        return MSL_ESTOPPED;
    return run.tot.errors > 0 ? MSL_EINPUT : MSL_OK;
}
