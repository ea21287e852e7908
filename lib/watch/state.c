/*
 * state.c - `watch --state FILE`: where each followed file was left and which findings were
 * raised, so a restart resumes without missing lines and without repeating alerts.
 *
 * The file is text, one record a line, written whole to a hidden temporary file beside it,
 * fsync'ed and renamed over it (then the directory is fsync'ed), so a crash leaves the old
 * state or the new one, never half of one:
 *   mailsleuth-watch-state 1
 *   file OFFSET LINENO DEV INODE HEADLEN SHA256 PATH
 *   alert FIRST_US LAST_US EVIDENCE SEVERITY KEY
 *   end
 * PATH and KEY are percent-encoded (every byte outside '!'..'~' and '%').
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watch/watch_int.h"

#define STATE_MAGIC "mailsleuth-watch-state 1"

static void enc(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > ' ' && *p < 0x7f && *p != '%')
            buf_addc(b, (char)*p);
        else
            buf_addf(b, "%%%02X", *p);
    }
}

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes in place; -1 on a bad escape or an encoded NUL. */
static int dec(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%') {
            int h = hexv(p[1]), l = h >= 0 ? hexv(p[2]) : -1;
            if (l < 0 || (h == 0 && l == 0))
                return -1;
            *o++ = (char)(h * 16 + l);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

void state_data_free(struct st_data *d)
{
    for (size_t i = 0; i < d->nfiles; i++)
        free(d->files[i].path);
    free(d->files);
    memset(d, 0, sizeof *d);
}

int state_load(const char *path, struct st_data *d, struct ledger *l, char *err, size_t errsz)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[70000];
    int ok = fgets(line, sizeof line, f) && !strncmp(line, STATE_MAGIC "\n", sizeof STATE_MAGIC);
    int ended = 0;
    unsigned long lno = 1;
    while (ok && !ended && fgets(line, sizeof line, f)) {
        lno++;
        size_t n = strlen(line);
        if (!n || line[n - 1] != '\n') {
            ok = 0;
            break;
        }
        line[--n] = '\0';
        char rest[65536], head[80];
        uint64_t a, b, dev, ino;
        unsigned hl;
        int64_t first, last;
        int sev;
        if (!strcmp(line, "end")) {
            ended = 1;
        } else if (sscanf(line, "file %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %70s "
                          "%65535s", &a, &b, &dev, &ino, &hl, head, rest) == 7) {
            if (dec(rest) != 0 || strlen(head) != 64 || hl > WF_HEAD) {
                ok = 0;
                break;
            }
            struct st_file *nf = realloc(d->files, (d->nfiles + 1) * sizeof *nf);
            if (!nf) {
                ok = 0;
                break;
            }
            d->files = nf;
            struct st_file *sf = &nf[d->nfiles];
            memset(sf, 0, sizeof *sf);
            sf->path = strdup(rest);
            if (!sf->path) {
                ok = 0;
                break;
            }
            sf->offset = a;
            sf->lineno = b;
            sf->id.dev = dev;
            sf->id.ino = ino;
            sf->id.head_len = hl;
            memcpy(sf->id.head, head, 65);
            d->nfiles++;
        } else if (sscanf(line, "alert %" SCNd64 " %" SCNd64 " %" SCNu64 " %d %65535s", &first,
                          &last, &a, &sev, rest) == 5) {
            if (dec(rest) != 0) {
                ok = 0;
                break;
            }
            ledger_offer(l, rest, first, last, a, sev);
        } else {
            ok = 0;
        }
    }
    fclose(f);
    if (!ok || !ended) {
        snprintf(err, errsz, "%s:%lu: not a watch state file (or an unfinished one); remove it "
                 "to start afresh", path, lno);
        state_data_free(d);
        return -1;
    }
    return 0;
}

static void put_alert(void *ctx, const char *key, int64_t first, int64_t last, uint64_t total,
                      int sev)
{
    struct buf *b = ctx;
    buf_addf(b, "alert %" PRId64 " %" PRId64 " %" PRIu64 " %d ", first, last, total, sev);
    enc(b, key);
    buf_addc(b, '\n');
}

/* fsync of the directory holding path, so the rename itself is durable. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path ? slash - path : 1), path);
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int state_save(const char *path, struct wf_file *const *files, size_t nfiles,
               const struct ledger *l)
{
    struct buf b;
    buf_init(&b, (size_t)256 << 20);
    buf_adds(&b, STATE_MAGIC "\n");
    for (size_t i = 0; i < nfiles; i++) {
        const struct wf_file *f = files[i];
        if (f->is_stdin || f->parked || f->gone)
            continue;
        buf_addf(&b, "file %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %s ", f->offset,
                 f->lineno, f->id.dev, f->id.ino, f->id.head_len,
                 f->id.head[0] ? f->id.head : "-");
        enc(&b, f->path);
        buf_addc(&b, '\n');
    }
    ledger_each(l, put_alert, &b);
    buf_adds(&b, "end\n");
    if (b.err) {
        buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    const char *slash = strrchr(path, '/');
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", slash ? (int)(slash - path + 1) : 0, path,
             slash ? slash + 1 : path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        buf_free(&b);
        return -1;
    }
    size_t done = 0, want = b.n;
    while (done < want) {
        ssize_t w = write(fd, b.p + done, b.n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    buf_free(&b);
    int e = 0;
    if (done != want || fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    sync_dir(path);
    return 0;
}
