/*
 * follow.c - one followed file: its identity, reading what was appended, splitting it into
 * lines, and noticing truncation and rotation (watch_int.h).
 *
 * A file is known by device, inode and the SHA-256 of its first 4 KiB: the inode finds it
 * again after a rename, the hash tells a reused inode from the same file and finds a copy
 * (copytruncate's maillog.1) of a file whose original was truncated.  Only complete lines
 * are handed on; a partial line at the end waits for its newline (at most MSL_MAX_LINE
 * bytes are kept of it, the rest is cut and the line flagged, as the reader does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sha256.h"
#include "watch/watch_int.h"

int wf_identity(int fd, const struct stat *st, struct wf_id *id, char *headb)
{
    memset(id, 0, sizeof *id);
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    char b[WF_HEAD];
    ssize_t n = pread(fd, b, sizeof b, 0);
    if (n < 0)
        return -1;
    struct sha256 *h = sha256_new();
    if (!h)
        return -1;
    sha256_update(h, b, (size_t)n);
    sha256_final_hex(h, id->head);
    id->head_len = (uint32_t)n;
    if (headb)
        memcpy(headb, b, (size_t)n);
    return 0;
}

int wf_head_prefix(int fd, const char *headb, uint32_t head_len)
{
    char b[WF_HEAD];
    ssize_t n = pread(fd, b, head_len, 0);
    return n > 0 && memcmp(b, headb, (size_t)n) == 0;
}

int wf_same_head(int fd, const struct wf_id *id)
{
    if (!id->head_len)
        return 0;
    char b[WF_HEAD];
    ssize_t n = pread(fd, b, id->head_len, 0);
    if (n != (ssize_t)id->head_len)
        return 0;
    struct sha256 *h = sha256_new();
    if (!h)
        return 0;
    char hex[65];
    sha256_update(h, b, (size_t)n);
    sha256_final_hex(h, hex);
    return strcmp(hex, id->head) == 0;
}

int wf_is_compressed(int fd)
{
    unsigned char m[6];
    ssize_t n = pread(fd, m, sizeof m, 0);
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return 1; /* gzip */
    if (n >= 3 && !memcmp(m, "BZh", 3))
        return 1;
    if (n >= 6 && !memcmp(m, "\xfd" "7zXZ\0", 6))
        return 1;
    if (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4))
        return 1; /* zstd */
    if (n >= 4 && !memcmp(m, "PK\3\4", 4))
        return 1; /* zip: an archive, not a log being written */
    return 0;
}

static struct wf_file *wf_alloc(const char *path)
{
    struct wf_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return NULL;
    }
    buf_init(&f->carry, MSL_MAX_LINE + 16);
    f->fd = -1;
    return f;
}

static void wf_free(struct wf_file *f)
{
    if (f->fd > 0)
        close(f->fd);
    buf_free(&f->carry);
    free(f->path);
    free(f);
}

/* The start of the last line that ended before size, and the number of lines before it. */
static uint64_t last_boundary(int fd, uint64_t size, uint64_t *lines)
{
    char b[65536];
    uint64_t pos = 0, boundary = 0, n = 0;
    while (pos < size) {
        size_t want = size - pos < sizeof b ? (size_t)(size - pos) : sizeof b;
        ssize_t got = pread(fd, b, want, (off_t)pos);
        if (got <= 0)
            break;
        for (const char *p = b, *e = b + got; (p = memchr(p, '\n', (size_t)(e - p))) != NULL;
             p++) {
            n++;
            boundary = pos + (uint64_t)(p - b) + 1;
        }
        pos += (uint64_t)got;
    }
    *lines = n;
    return boundary;
}

struct wf_file *wf_open(const char *path, int from_dir, int at_end, const struct wf_sink *s)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    struct wf_file *f = wf_alloc(path);
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->from_dir = from_dir;
    if (wf_identity(fd, &st, &f->id, f->headb) != 0) {
        wf_free(f);
        return NULL;
    }
    if (at_end) {
        /* like tail -f, from the end: at a line boundary, counting the lines before */
        f->offset = last_boundary(fd, (uint64_t)st.st_size, &f->lineno);
        f->rpos = f->offset;
    }
    if (lseek(fd, (off_t)f->offset, SEEK_SET) < 0 || (s->begin && s->begin(s->ctx, f) != 0)) {
        wf_free(f);
        return NULL;
    }
    return f;
}

struct wf_file *wf_stdin(const struct wf_sink *s)
{
    struct wf_file *f = wf_alloc("-");
    if (!f)
        return NULL;
    f->fd = 0;
    f->is_stdin = 1;
    int fl = fcntl(0, F_GETFL);
    if (fl >= 0)
        fcntl(0, F_SETFL, fl | O_NONBLOCK);
    if (s->begin && s->begin(s->ctx, f) != 0) {
        buf_free(&f->carry);
        free(f->path);
        free(f);
        return NULL;
    }
    return f;
}

static void hand_on(struct wf_file *f, const char *p, size_t n, uint64_t start,
                    const struct wf_sink *s)
{
    uint32_t flags = 0;
    if (n && p[n - 1] == '\r')
        n--;
    if (f->carry_cut)
        flags |= MSL_LINE_TRUNCATED;
    if (memchr(p, '\0', n))
        flags |= MSL_LINE_HAS_NUL;
    f->lineno++;
    s->line(s->ctx, f, p, n, flags, start);
}

/* Splits freshly read bytes into lines; the unfinished rest goes into the carry. */
static void split(struct wf_file *f, const char *p, size_t n, const struct wf_sink *s)
{
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t piece = (size_t)((nl ? nl : end) - p);
        if (!nl || f->carry.n || f->carry_cut) {
            size_t room = MSL_MAX_LINE - f->carry.n;
            if (piece > room) {
                f->carry_cut = 1;
                buf_add(&f->carry, p, room);
            } else {
                buf_add(&f->carry, p, piece);
            }
            if (!nl) {
                f->rpos += piece;
                return;
            }
            hand_on(f, f->carry.p ? f->carry.p : "", f->carry.n, f->offset, s);
        } else {
            hand_on(f, p, piece, f->offset, s);
        }
        f->rpos += piece + 1;
        f->offset = f->rpos;
        buf_reset(&f->carry);
        f->carry_cut = 0;
        p = nl + 1;
    }
}

ssize_t wf_read(struct wf_file *f, size_t max, const struct wf_sink *s)
{
    static char b[1 << 16];
    size_t total = 0;
    while (total < max) {
        ssize_t got = read(f->fd, b, sizeof b);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (got < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "read failed: %s", strerror(errno));
            s->say(s->ctx, f->path, msg);
            return -1;
        }
        if (got == 0) {
            f->eof = 1;
            break;
        }
        f->eof = 0;
        if (!f->id.head_len || f->id.head_len < WF_HEAD) {
            struct stat st;
            /* the head grows until 4 KiB are written */
            if (!f->is_stdin && fstat(f->fd, &st) == 0)
                wf_identity(f->fd, &st, &f->id, f->headb);
        }
        split(f, b, (size_t)got, s);
        total += (size_t)got;
    }
    return (ssize_t)total;
}

int wf_check_truncated(struct wf_file *f, const struct wf_sink *s)
{
    struct stat st;
    if (f->is_stdin || fstat(f->fd, &st) != 0 || (uint64_t)st.st_size >= f->rpos)
        return 0;
    char msg[240];
    snprintf(msg, sizeof msg, "truncated (size %lld is below the %llu bytes read; "
             "copytruncate?): reading it again from the start",
             (long long)st.st_size, (unsigned long long)f->rpos);
    s->say(s->ctx, f->path, msg);
    return 1;
}

int wf_path_moved(const struct wf_file *f)
{
    if (f->is_stdin)
        return 0;
    struct stat st;
    if (stat(f->path, &st) != 0)
        return 1;
    return (uint64_t)st.st_ino != f->id.ino || (uint64_t)st.st_dev != f->id.dev;
}

void wf_restart(struct wf_file *f, uint64_t offset, uint64_t lineno, const struct wf_sink *s)
{
    if (s->end)
        s->end(s->ctx, f);
    buf_reset(&f->carry);
    f->carry_cut = 0;
    f->offset = f->rpos = offset;
    f->lineno = lineno;
    f->replay_to = 0;
    struct stat st;
    if (fstat(f->fd, &st) == 0)
        wf_identity(f->fd, &st, &f->id, f->headb);
    lseek(f->fd, (off_t)offset, SEEK_SET);
    if (s->begin)
        s->begin(s->ctx, f);
}

void wf_close(struct wf_file *f, int final, const struct wf_sink *s)
{
    if (!f)
        return;
    if (final && f->carry.n && s->line) {
        /* a last line that never got its newline: hand it on when letting go of the file */
        f->lineno++;
        s->line(s->ctx, f, f->carry.p, f->carry.n, MSL_LINE_NO_EOL, f->offset);
        f->offset = f->rpos;
    }
    if (s->end)
        s->end(s->ctx, f);
    if (f->is_stdin)
        f->fd = -1;
    wf_free(f);
}
