/*
 * files.c - which files `watch` follows and how far (the policy; follow.c has the mechanics
 * of one file).  Explicit paths are looked at by name: another inode under the name is a
 * rename rotation (the old file is drained first and let go after GRACE_MS without
 * growth), a size below what was read is a copy-truncate.  Directories are scanned for new
 * files (compressed ones skipped by name and magic); an explicit file's directory only for
 * its copies.  A file seen for the first time is matched, in order, against the state of an
 * earlier run (same start: read again, the part before the saved offset replayed), files
 * let go or truncated in this run (by their first bytes: a copytruncate copy continues from
 * where the original was left), and live files (a copy being made is parked, read only if
 * the original turns out truncated); otherwise it is new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch/watch_int.h"

struct wf_file *files_add(struct w *w, struct wf_file *f)
{
    if (!f)
        return NULL;
    if (w->nf == MAX_FILES) {
        w->files_dropped++;
        watch_say(w, f->path, "not followed: watch follows at most 1024 files");
        struct msl_feed *fd = f->feed;
        wf_close(f, 0, &w->ws);
        msl_feed_free(fd);
        return NULL;
    }
    w->f[w->nf++] = f;
    if (w->nf > w->files_max)
        w->files_max = w->nf;
    return f;
}

static void remember_gone(struct w *w, const struct wf_id *id, const char *headb, uint64_t off,
                          uint64_t line)
{
    if (!id->head_len)
        return;
    if (w->ngone == GONE_MAX) {
        memmove(w->gone, w->gone + 1, (GONE_MAX - 1) * sizeof w->gone[0]);
        w->ngone--;
    }
    struct gone *g = &w->gone[w->ngone++];
    g->id = *id;
    g->offset = off;
    g->lineno = line;
    memcpy(g->headb, headb, id->head_len);
}

void files_let_go(struct w *w, size_t i, int final)
{
    struct wf_file *f = w->f[i];
    if (!f->is_stdin && !f->parked)
        remember_gone(w, &f->id, f->headb, f->rpos, f->lineno);
    else if (f->parked)
        remember_gone(w, &f->id, f->headb, (uint64_t)lseek(f->fd, 0, SEEK_END), 0);
    for (size_t k = 0; k < w->nt; k++)
        if (w->t[k].cur == f)
            w->t[k].cur = NULL;
    struct msl_feed *fd = f->feed;
    wf_close(f, final, &w->ws);
    msl_feed_free(fd);
    w->f[i] = w->f[--w->nf];
}

static struct wf_file *known_inode(struct w *w, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < w->nf; i++)
        if (w->f[i]->id.dev == dev && w->f[i]->id.ino == ino)
            return w->f[i];
    return NULL;
}

static int is_ignored(struct w *w, const struct stat *st)
{
    for (size_t i = 0; i < w->nign; i++)
        if (w->ign[i].dev == (uint64_t)st->st_dev && w->ign[i].ino == (uint64_t)st->st_ino)
            return w->ign[i].size == (int64_t)st->st_size &&
                   w->ign[i].mtime == (int64_t)st->st_mtime;
    return 0;
}

static void ignore(struct w *w, const struct stat *st)
{
    struct ignored g = {(uint64_t)st->st_dev, (uint64_t)st->st_ino, (int64_t)st->st_size,
                        (int64_t)st->st_mtime};
    for (size_t i = 0; i < w->nign; i++)
        if (w->ign[i].dev == g.dev && w->ign[i].ino == g.ino) {
            w->ign[i] = g;
            return;
        }
    if (w->nign == IGNORED_MAX) {
        memmove(w->ign, w->ign + 1, (IGNORED_MAX - 1) * sizeof w->ign[0]);
        w->nign--;
    }
    w->ign[w->nign++] = g;
}

/* Our own outputs (the state file, jsonl alerts) are never followed. */
static int is_own_output(struct w *w, const struct stat *st)
{
    struct stat o;
    if (w->o->state && stat(w->o->state, &o) == 0 && o.st_dev == st->st_dev &&
        o.st_ino == st->st_ino)
        return 1;
    for (size_t i = 0; i < w->o->nalerts; i++) {
        const char *a = w->o->alerts[i];
        if (!strncmp(a, "jsonl:", 6) && strcmp(a + 6, "-") && stat(a + 6, &o) == 0 &&
            o.st_dev == st->st_dev && o.st_ino == st->st_ino)
            return 1;
    }
    return 0;
}

/* Opens path as the continuation of a file known from before: read from 0, replaying
 * what was read before (state), or from offset (a copy of a truncated file). */
static struct wf_file *open_resumed(struct w *w, const char *path, int from_dir, uint64_t off,
                                    uint64_t lineno, int replay)
{
    struct wf_file *f = wf_open(path, from_dir, 0, &w->ws);
    if (!f)
        return NULL;
    if (replay) {
        f->replay_to = off;
    } else if (off) {
        wf_restart(f, off, lineno, &w->ws);
    }
    return files_add(w, f);
}

/* A file seen for the first time (in a scanned directory, or at an explicit path).
 * follow_new: follow it even when it is not the continuation of something known. */
static struct wf_file *consider(struct w *w, const char *path, int from_dir, int follow_new,
                                int *is_new)
{
    *is_new = 0;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || is_own_output(w, &st))
        return NULL;
    if (known_inode(w, (uint64_t)st.st_dev, (uint64_t)st.st_ino) || is_ignored(w, &st))
        return NULL;
    if (st.st_size == 0 && !w->startup)
        return NULL; /* empty: a new log, or a copy about to be made; decided on its data */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct wf_id id;
    if (wf_is_compressed(fd) || wf_identity(fd, &st, &id, NULL) != 0) {
        close(fd);
        ignore(w, &st); /* a compressed rotation: its lines were read from the original */
        return NULL;
    }
    /* the state of an earlier run: same inode and start, or a copy of its start */
    for (size_t i = 0; i < w->st.nfiles; i++) {
        struct st_file *sf = &w->st.files[i];
        if (!sf->path || !sf->id.head_len || !wf_same_head(fd, &sf->id))
            continue;
        close(fd);
        /* read again from the start to rebuild the windows (the same file, or a copy of
         * it: the lines before the offset were read either way); under another name it was
         * rotated while watch was not running: its rest comes before the new file */
        int moved = strcmp(path, sf->path) != 0;
        free(sf->path);
        sf->path = NULL;
        struct wf_file *f = open_resumed(w, path, from_dir, sf->offset, 0, 1);
        if (f && moved)
            f->rotated = 1;
        return f;
    }
    /* a file let go or truncated in this run: from where it was left */
    for (size_t i = 0; i < w->ngone; i++) {
        struct gone *g = &w->gone[i];
        if (!g->id.head_len || !wf_head_prefix(fd, g->headb, g->id.head_len))
            continue;
        close(fd);
        struct gone gg = *g;
        memmove(w->gone + i, w->gone + i + 1, (w->ngone - i - 1) * sizeof *g);
        w->ngone--;
        if ((uint64_t)st.st_size <= gg.offset) {
            ignore(w, &st);
            return NULL;
        }
        return open_resumed(w, path, from_dir, gg.offset, gg.lineno, 0);
    }
    /* a copy of a live file (copytruncate copies before it truncates): held, not read */
    for (size_t i = 0; i < w->nf; i++) {
        struct wf_file *o = w->f[i];
        if (o->is_stdin || o->parked || !o->id.head_len ||
            !wf_head_prefix(fd, o->headb, o->id.head_len))
            continue;
        close(fd);
        struct wf_file *f = wf_open(path, from_dir, 1, &w->ws);
        if (f) {
            f->parked = 1;
            f->eof_since = watch_now_ms();
        }
        return files_add(w, f);
    }
    close(fd);
    if (!follow_new) {
        ignore(w, &st);
        return NULL;
    }
    *is_new = 1;
    int at_end = w->startup && !w->o->from_start && !w->have_state;
    return files_add(w, wf_open(path, from_dir, at_end, &w->ws));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compressed_name(const char *name)
{
    static const char *const ext[] = {".gz", ".bz2", ".xz", ".zst", ".zip", ".tgz", ".lz4"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && !strcmp(name + n - k, ext[i]))
            return 1;
    }
    return 0;
}

/* Every regular file of dir (not hidden), oldest rotation first; prefix: only names that
 * start with it (an explicit file's dir is scanned for its copies only). */
static void scan_dir(struct w *w, const char *dir, const char *prefix, int follow_new)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[MAX_FILES];
    size_t n = 0;
    size_t plen = prefix ? strlen(prefix) : 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < MAX_FILES) {
        if (de->d_name[0] == '.')
            continue;
        if (prefix && (strncmp(de->d_name, prefix, plen) || !de->d_name[plen]))
            continue;
        if (compressed_name(de->d_name))
            continue; /* being written by gzip & co. now, with no magic bytes yet */
        char *c = strdup(de->d_name);
        if (c)
            names[n++] = c;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    const char *order[MAX_FILES];
    memcpy(order, names, n * sizeof names[0]);
    msl_rotation_sort(order, n);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        int k = snprintf(path, sizeof path, "%s/%s", dir, order[i]);
        if (k > 0 && (size_t)k < sizeof path) {
            int is_new;
            consider(w, path, 1, follow_new, &is_new);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

static void handle_truncated(struct w *w, struct wf_file *f)
{
    w->truncations++;
    struct wf_id old = f->id;
    uint64_t off = f->rpos, line = f->lineno;
    int unparked = 0;
    for (size_t i = 0; i < w->nf; i++) {
        struct wf_file *p = w->f[i];
        if (!p->parked || !wf_head_prefix(p->fd, f->headb, old.head_len))
            continue;
        p->parked = 0;
        p->rotated = 1; /* the copy will not grow: read its rest, then let go */
        p->eof_since = 0;
        wf_restart(p, off, line, &w->ws);
        unparked = 1;
        break;
    }
    if (!unparked)
        remember_gone(w, &old, f->headb, off, line);
    wf_restart(f, 0, 0, &w->ws);
}

/* Paths: rotated? a new file at the path? new files in watched directories? */
void files_check(struct w *w)
{
    for (size_t i = 0; i < w->nf; i++) {
        struct wf_file *f = w->f[i];
        if (f->is_stdin || f->rotated || f->parked)
            continue;
        if (wf_check_truncated(f, &w->ws)) {
            handle_truncated(w, f);
        } else if (wf_path_moved(f)) {
            f->rotated = 1;
            f->eof_since = 0;
            w->rotations++;
            watch_say(w, f->path, "rotated (the name is another file now): reading the rest of the "
                "old file, then the new one");
        }
    }
    for (size_t i = 0; i < w->nt; i++) {
        struct target *t = &w->t[i];
        if (t->is_stdin)
            continue;
        if (t->cur && t->cur->rotated)
            t->cur = NULL;
        if (t->is_dir) {
            scan_dir(w, t->dir, NULL, 1);
        } else {
            if (t->dir)
                scan_dir(w, t->dir, t->base, 0); /* copies and state files only */
            if (!t->cur) {
                int is_new;
                struct stat st;
                if (stat(t->path, &st) == 0) {
                    struct wf_file *k = known_inode(w, (uint64_t)st.st_dev,
                                                    (uint64_t)st.st_ino);
                    t->cur = k && !k->rotated ? k : consider(w, t->path, 0, 1, &is_new);
                }
            }
        }
    }
}

/* Reads what was appended: rotated files' rests first, then the rest. */
void files_read(struct w *w, int *more)
{
    int64_t now = watch_now_ms();
    *more = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < w->nf; i++) {
            struct wf_file *f = w->f[i];
            if (f->parked || (pass == 0) != (f->rotated != 0))
                continue;
            if (f->from_dir && f->rpos == 0 && wf_is_compressed(f->fd)) {
                f->gone = 1; /* a new file that turned out compressed: not a live log */
                continue;
            }
            ssize_t n = wf_read(f, pass == 0 ? SIZE_MAX : READ_SLICE, &w->ws);
            if (n > 0) {
                msl_feed_flush(f->feed);
                f->eof_since = 0;
                if ((size_t)n >= READ_SLICE && pass == 1)
                    *more = 1;
            } else if (!f->eof_since) {
                f->eof_since = now;
            }
        }
    }
    for (size_t i = 0; i < w->nf;) {
        struct wf_file *f = w->f[i];
        if ((f->rotated && f->eof_since && now - f->eof_since > GRACE_MS) ||
            (f->parked && now - f->eof_since > PARK_MS) || (f->is_stdin && f->eof) ||
            f->gone) {
            files_let_go(w, i, f->rotated || f->is_stdin);
            continue;
        }
        i++;
    }
}

int files_replaying(const struct w *w)
{
    for (size_t i = 0; i < w->nf; i++)
        if (w->f[i]->offset < w->f[i]->replay_to)
            return 1;
    return 0;
}

