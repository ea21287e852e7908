/*
 * watch.c - the `watch` loop (mailsleuth/watch.h): follow, feed, probe, alert, checkpoint.
 *
 * One thread.  The loop sleeps in poll(2) on inotify (or a polling timer), stdin, a
 * self-pipe the signal handlers write to, and the exec hooks' stdin pipes; every wake it
 * checks each followed path (rotated? truncated?), reads what was appended (a rotated
 * file's rest first, so lines stay in order), scans watched directories for new files, and
 * hands complete lines to the pipeline (msl_feed), whose events go to the hunt and the
 * correlator.  After new events, and at most every PROBE_MS, a probe (probe.c) asks what
 * the hunt would report now; the ledger says which findings are new (raised) or grown
 * (updated).  Records idle for --idle seconds of log time are closed on a one-second timer.
 *
 * Rotation: a path that names another inode than the open file is a rename rotation: the
 * old file is read to its end and let go after GRACE_MS without growth (so the rest of a
 * file compressed after rotation is read from the descriptor still open); the new file is
 * read from its start.  A size below what was read is a copy-truncate: read again from 0.
 * A file that appears with the first 4 KiB of one that was truncated (copytruncate's copy)
 * is read from where the original was left, so lines written just before the truncation
 * are not lost either; a copy of a live file is held (parked) until the original is
 * truncated, and never read otherwise.
 *
 * --state: the identity and offset of every followed file and the findings raised.  At
 * start each file found again (by device and inode, or by its first 4 KiB after a copy)
 * is read from its beginning to rebuild the rules' windows, lines before the saved offset
 * counted as replayed; findings already raised are in the ledger, so they are not raised
 * again, and anything the earlier run had not yet raised is.  Saved every SAVE_MS when
 * something changed, right after the batch of findings that raised an alert (one probe,
 * or one round of reading), and at SIGTERM/SIGINT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "mailsleuth/correlate.h"
#include "util/esc.h"
#include "watch/watch_int.h"

#define PROBE_MS 200
#define SAVE_MS 5000
#define GRACE_MS 10000     /* a rotated file this long without growth is let go */
#define PARK_MS 60000      /* a parked copy whose original was never truncated */
#define READ_SLICE (4u << 20)
#define MAX_FILES 1024
#define GONE_MAX 256
#define IGNORED_MAX 1024

struct target {
    char *path;
    char *dir;  /* the directory to scan: the path itself, or an explicit file's parent */
    const char *base; /* explicit file: its name in dir (copies start with it) */
    int is_dir, is_stdin;
    struct wf_file *cur;
};

struct gone {
    struct wf_id id;
    uint64_t offset, lineno;
    char headb[WF_HEAD];
};

struct ignored {
    uint64_t dev, ino;
    int64_t size, mtime;
};

struct w {
    const struct msl_watch_opts *o;
    struct msl_run run;
    struct msl_sink sink;
    struct msl_hunt_opts ho;
    struct msl_hunt *h;
    struct msl_correlator *c;
    struct alerts *al;
    struct ledger *lg;
    struct target *t;
    size_t nt;
    struct wf_file *f[MAX_FILES];
    size_t nf;
    struct gone gone[GONE_MAX];
    size_t ngone;
    struct ignored ign[IGNORED_MAX];
    size_t nign;
    struct st_data st;
    int have_state;
    struct wf_sink ws;
    int ino_fd;
    int startup;
    uint32_t next_src;
    int64_t newest_ts;
    int dirty_events;
    int64_t last_probe, probe_cost;
    int probe_fd;
    int state_dirty, raised_unsaved;
    int64_t last_save, last_idle;
    uint64_t lines, replayed, bytes, rotations, truncations, probes, raised, updated, files_max;
    uint64_t files_dropped;
};

static volatile sig_atomic_t sig_stop, sig_hup, sig_usr1;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int e = errno;
    if (sig == SIGTERM || sig == SIGINT)
        sig_stop = 1;
    else if (sig == SIGHUP)
        sig_hup = 1;
    else if (sig == SIGUSR1)
        sig_usr1 = 1;
    if (sig_pipe[1] >= 0) {
        ssize_t r = write(sig_pipe[1], "x", 1);
        (void)r;
    }
    errno = e;
}

static void say(void *ctx, const char *path, const char *msg)
{
    struct w *w = ctx;
    if (w->o->quiet)
        return;
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, "mailsleuth: watch: ");
    esc_text(&b, path, strlen(path));
    buf_adds(&b, ": ");
    buf_adds(&b, msg);
    buf_addc(&b, '\n');
    if (b.p)
        fputs(b.p, stderr);
    buf_free(&b);
}

/* ---- findings -------------------------------------------------------------------------- */

static void save_state(struct w *w);

static void take_finding(struct w *w, const char *key, int64_t first, int64_t last,
                         uint64_t total, int sev, const char *rule, const char *title,
                         const char *etype, const char *entity, const char *json)
{
    enum ledger_verdict v = ledger_offer(w->lg, key, first, last, total, sev);
    if (v == LG_OLD)
        return;
    w->state_dirty = 1;
    if (sev < w->o->min_severity)
        return;
    if (v == LG_NEW) {
        w->raised++;
        alerts_send(w->al, "raised", sev, rule, title, etype, entity, json);
        w->raised_unsaved = 1; /* saved after this batch: a crash must not raise it again */
    } else if (w->o->updates) {
        w->updated++;
        alerts_send(w->al, "updated", sev, rule, title, etype, entity, json);
    }
}

/* The record a probe child writes per finding: lengths, numbers, then the strings. */
struct rec_hdr {
    uint32_t len[6]; /* key, rule, title, etype, entity, json */
    int64_t first, last;
    uint64_t total;
    int32_t sev;
};

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        c += k;
        n -= (size_t)k;
    }
}

static void on_emit(void *ctx, const struct msl_finding *f)
{
    struct w *w = ctx;
    struct buf key;
    buf_init(&key, 1 << 20);
    ledger_key(&key, f, &w->run);
    char *json = msl_finding_json(f, &w->run);
    const char *entity = f->entity ? f->entity : "";
    if (entity[0] == '#' && f->entity_type && !strcmp(f->entity_type, "file"))
        entity = msl_run_source_name(&w->run, (uint32_t)strtoul(entity + 1, NULL, 10));
    if (!json || key.err || !key.p) {
        free(json);
        buf_free(&key);
        return;
    }
    const char *s[6] = {key.p, f->rule ? f->rule : "", f->title ? f->title : "",
                        f->entity_type ? f->entity_type : "", entity, json};
    if (w->probe_fd >= 0) {
        struct rec_hdr h = {.first = f->first_ts, .last = f->last_ts,
                            .total = f->evidence_total, .sev = (int32_t)f->severity};
        for (int i = 0; i < 6; i++)
            h.len[i] = (uint32_t)strlen(s[i]);
        write_all(w->probe_fd, &h, sizeof h);
        for (int i = 0; i < 6; i++)
            write_all(w->probe_fd, s[i], h.len[i]);
    } else {
        take_finding(w, s[0], f->first_ts, f->last_ts, f->evidence_total, (int)f->severity,
                     s[1], s[2], s[3], s[4], s[5]);
    }
    free(json);
    buf_free(&key);
}

static void probe_child(void *ctx, int fd)
{
    struct w *w = ctx;
    w->probe_fd = fd;
    msl_correlator_finish(w->c);
    msl_hunt_finish(w->h);
}

struct rec_at {
    int64_t first;
    size_t pos;
};

static int by_first(const void *a, const void *b)
{
    const struct rec_at *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void probe(struct w *w)
{
    int64_t t0 = watch_now_ms();
    w->dirty_events = 0;
    w->probes++;
    struct buf out;
    buf_init(&out, (size_t)1 << 30);
    if (probe_run(probe_child, w, &out) != 0 && !w->o->quiet)
        fputs("mailsleuth: watch: a probe for findings failed (fork or its child)\n", stderr);
    /* the records in time order: of a key's incidents, the earlier is offered first */
    struct rec_at *r = NULL;
    size_t nr = 0, cap = 0, pos = 0;
    while (out.p && pos + sizeof(struct rec_hdr) <= out.n) {
        struct rec_hdr h;
        memcpy(&h, out.p + pos, sizeof h);
        size_t need = 0;
        for (int i = 0; i < 6; i++)
            need += h.len[i];
        if (need > out.n - pos - sizeof h)
            break;
        if (nr == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct rec_at *nrp = realloc(r, nc * sizeof *nrp);
            if (!nrp)
                break;
            r = nrp;
            cap = nc;
        }
        r[nr++] = (struct rec_at){h.first, pos};
        pos += sizeof h + need;
    }
    if (nr > 1)
        qsort(r, nr, sizeof *r, by_first);
    for (size_t k = 0; k < nr; k++) {
        struct rec_hdr h;
        memcpy(&h, out.p + r[k].pos, sizeof h);
        size_t at = r[k].pos + sizeof h;
        char *s[6];
        int ok = 1;
        for (int i = 0; i < 6; i++) {
            s[i] = malloc((size_t)h.len[i] + 1);
            if (!s[i]) {
                ok = 0;
            } else {
                memcpy(s[i], out.p + at, h.len[i]);
                s[i][h.len[i]] = '\0';
            }
            at += h.len[i];
        }
        if (ok)
            take_finding(w, s[0], h.first, h.last, h.total, h.sev, s[1], s[2], s[3], s[4],
                         s[5]);
        for (int i = 0; i < 6; i++)
            free(s[i]);
    }
    free(r);
    buf_free(&out);
    int64_t t1 = watch_now_ms();
    w->last_probe = t1;
    w->probe_cost = t1 - t0;
}

/* ---- the pipeline side ------------------------------------------------------------------ */

static int on_event(void *ctx, const struct msl_event *e)
{
    struct w *w = ctx;
    msl_hunt_event(w->h, e);
    msl_correlator_add(w->c, e);
    if (e->ts > w->newest_ts)
        w->newest_ts = e->ts;
    w->dirty_events = 1;
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct w *w = ctx;
    msl_hunt_unparsed(w->h, ln, why);
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct w *w = ctx;
    if (k == MSL_PROB_WARNING && w->o->quiet)
        return;
    say(w, name, msg);
}

static int c_message(void *ctx, struct msl_message *m)
{
    struct w *w = ctx;
    msl_hunt_message(w->h, m);
    return 0;
}

static int c_session(void *ctx, struct msl_session *s)
{
    struct w *w = ctx;
    msl_hunt_session(w->h, s);
    return 0;
}

static int f_begin(void *ctx, struct wf_file *f)
{
    struct w *w = ctx;
    if (!f->feed && !(f->feed = msl_feed_new(w->o->run, &w->sink, &w->run)))
        return -1;
    f->src = w->next_src++;
    struct stat st;
    int64_t mtime = f->is_stdin || fstat(f->fd, &st) != 0 ? (int64_t)time(NULL)
                                                          : (int64_t)st.st_mtime;
    struct msl_source_info si = {.id = f->src, .name = f->path, .path = f->path,
                                 .mtime = mtime, .size = -1};
    return msl_feed_begin(f->feed, &si) == MSL_OK ? 0 : -1;
}

static void f_line(void *ctx, struct wf_file *f, const char *p, size_t n, uint32_t flags,
                   uint64_t offset)
{
    struct w *w = ctx;
    if (offset < f->replay_to)
        w->replayed++;
    else
        w->lines++;
    w->bytes += n + 1;
    w->state_dirty = 1;
    struct msl_line ln = {.p = p, .n = n, .src = f->src, .flags = flags, .lineno = f->lineno,
                          .offset = offset};
    msl_feed_line(f->feed, &ln);
}

static void f_end(void *ctx, struct wf_file *f)
{
    (void)ctx;
    if (f->feed)
        msl_feed_end(f->feed, NULL);
}

/* ---- files -------------------------------------------------------------------------------- */

static struct wf_file *add_file(struct w *w, struct wf_file *f)
{
    if (!f)
        return NULL;
    if (w->nf == MAX_FILES) {
        w->files_dropped++;
        say(w, f->path, "not followed: already following the most files watch follows (1024)");
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

static void let_go(struct w *w, size_t i, int final)
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
    return add_file(w, f);
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
        return add_file(w, f);
    }
    close(fd);
    if (!follow_new) {
        ignore(w, &st);
        return NULL;
    }
    *is_new = 1;
    int at_end = w->startup && !w->o->from_start && !w->have_state;
    return add_file(w, wf_open(path, from_dir, at_end, &w->ws));
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
static void check_paths(struct w *w)
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
            say(w, f->path, "rotated (the name is another file now): reading the rest of the "
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
static void read_files(struct w *w, int *more)
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
            let_go(w, i, f->rotated || f->is_stdin);
            continue;
        }
        i++;
    }
}

static int replaying(const struct w *w)
{
    for (size_t i = 0; i < w->nf; i++)
        if (w->f[i]->offset < w->f[i]->replay_to)
            return 1;
    return 0;
}

static void save_state(struct w *w)
{
    if (!w->o->state)
        return;
    if (state_save(w->o->state, w->f, w->nf, w->lg) != 0 && !w->o->quiet) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot write the state: %s", strerror(errno));
        say(w, w->o->state, msg);
    }
    w->state_dirty = w->raised_unsaved = 0;
    w->last_save = watch_now_ms();
}

static void stats(struct w *w)
{
    uint64_t sent, dropped, hfail;
    alerts_stats(w->al, &sent, &dropped, &hfail);
    fprintf(stderr, "mailsleuth: watch: %" PRIu64 " lines read (%" PRIu64 " replayed), %" PRIu64
            " bytes, %" PRIu64 " events, %" PRIu64 " unparsed; %" PRIu64 " alerts raised, %"
            PRIu64 " updated, %" PRIu64 " dropped, %" PRIu64 " hook failures; %" PRIu64
            " rotations, %" PRIu64 " truncations; %zu files followed; %" PRIu64 " probes; "
            "%zu findings known, %" PRIu64 " forgotten; %zu open messages, %zu open sessions\n",
            w->lines, w->replayed, w->bytes, w->run.events, w->run.unparsed, w->raised,
            w->updated, dropped, hfail, w->rotations, w->truncations, w->nf, w->probes,
            ledger_count(w->lg), ledger_dropped(w->lg), msl_correlator_open_messages(w->c),
            msl_correlator_open_sessions(w->c));
}

/* ---- set-up ------------------------------------------------------------------------------- */

static int add_watch(struct w *w, const char *dir)
{
#ifdef __linux__
    if (w->ino_fd >= 0 &&
        inotify_add_watch(w->ino_fd, dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                          IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB) < 0)
        return -1;
#else
    (void)w;
    (void)dir;
#endif
    return 0;
}

static char *parent_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    char *d = malloc((size_t)(slash - path) + 1);
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

static int setup_targets(struct w *w)
{
    const struct msl_watch_opts *o = w->o;
    w->t = calloc(o->npaths ? o->npaths : 1, sizeof *w->t);
    if (!w->t)
        return MSL_ENOMEM;
    for (size_t i = 0; i < o->npaths; i++) {
        struct target *t = &w->t[w->nt];
        const char *p = o->paths[i];
        if (!strcmp(p, "-")) {
            t->is_stdin = 1;
            t->path = strdup("-");
            w->nt++;
            continue;
        }
        struct stat st;
        int exists = stat(p, &st) == 0;
        t->path = strdup(p);
        if (!t->path)
            return MSL_ENOMEM;
        t->is_dir = exists && S_ISDIR(st.st_mode);
        if (t->is_dir) {
            t->dir = strdup(p);
        } else {
            t->dir = parent_of(t->path, &t->base);
            struct stat ds;
            if (!t->dir || stat(t->dir, &ds) != 0 || !S_ISDIR(ds.st_mode)) {
                fprintf(stderr, "mailsleuth: watch: %s: no such file or directory, and no "
                        "directory for it to appear in\n", p);
                free(t->path);
                free(t->dir);
                return MSL_EUSAGE;
            }
            if (exists && !S_ISREG(st.st_mode)) {
                fprintf(stderr, "mailsleuth: watch: %s: not a regular file or directory\n", p);
                free(t->path);
                free(t->dir);
                return MSL_EUSAGE;
            }
        }
        w->nt++;
        if (!w->o->poll && add_watch(w, t->dir) != 0 && !o->quiet)
            fprintf(stderr, "mailsleuth: watch: cannot watch %s with inotify (%s): polling\n",
                    t->dir, strerror(errno));
    }
    return MSL_OK;
}

static void free_all(struct w *w)
{
    while (w->nf)
        let_go(w, w->nf - 1, 0);
    for (size_t i = 0; i < w->nt; i++) {
        free(w->t[i].path);
        free(w->t[i].dir);
    }
    free(w->t);
    msl_correlator_free(w->c);
    msl_hunt_free(w->h);
    alerts_free(w->al);
    ledger_free(w->lg);
    state_data_free(&w->st);
    msl_run_free(&w->run);
#ifdef __linux__
    if (w->ino_fd >= 0)
        close(w->ino_fd);
#endif
}

static void drain_fd(int fd)
{
    char b[4096];
    while (read(fd, b, sizeof b) > 0)
        ;
}

int msl_watch(const struct msl_watch_opts *o)
{
    static struct w w0;
    struct w *w = &w0;
    memset(w, 0, sizeof *w);
    w->o = o;
    w->ino_fd = -1;
    w->probe_fd = -1;
    w->ws = (struct wf_sink){w, f_begin, f_line, f_end, say};
    w->sink = (struct msl_sink){.ctx = w, .event = on_event, .unparsed = on_unparsed,
                                .problem = on_problem};
    char err[1024] = "";
    w->lg = ledger_new(0);
    w->al = alerts_open(o, err, sizeof err);
    if (!w->lg || !w->al) {
        if (err[0])
            fprintf(stderr, "mailsleuth: watch: %s\n", err);
        free_all(w);
        return err[0] ? MSL_EIO : MSL_ENOMEM;
    }
    if (o->state) {
        if (state_load(o->state, &w->st, w->lg, err, sizeof err) != 0) {
            fprintf(stderr, "mailsleuth: watch: %s\n", err);
            free_all(w);
            return MSL_EUSAGE;
        }
        w->have_state = w->st.nfiles > 0 || ledger_count(w->lg) > 0;
    }
    w->ho = *o->hunt;
    w->ho.on_emit = on_emit;
    w->ho.emit_ctx = w;
    w->h = msl_hunt_new(&w->ho, o->rules);
    struct msl_correlate_opts co = {.keep_lines = w->ho.show_lines,
                                    .idle_us = (o->idle_s > 0 ? o->idle_s : 3600) * 1000000};
    struct msl_correlate_sink cs = {.ctx = w, .message = c_message, .session = c_session};
    w->c = w->h ? msl_correlator_new(&co, &cs) : NULL;
    if (!w->c) {
        free_all(w);
        return MSL_ENOMEM;
    }
#ifdef __linux__
    if (!o->poll && (w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 && !o->quiet)
        fprintf(stderr, "mailsleuth: watch: no inotify (%s): polling every %d ms\n",
                strerror(errno), o->poll_ms > 0 ? o->poll_ms : 250);
#endif
    int rc = setup_targets(w);
    if (rc != MSL_OK) {
        free_all(w);
        return rc;
    }
    if (pipe(sig_pipe) != 0) {
        free_all(w);
        return MSL_ENOMEM;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* poll(2) is woken all the same */
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* stdin and the files there now; state files that moved are looked for beside them */
    w->startup = 1;
    for (size_t i = 0; i < w->nt; i++)
        if (w->t[i].is_stdin)
            w->t[i].cur = add_file(w, wf_stdin(&w->ws));
    check_paths(w);
    for (size_t i = 0; i < w->st.nfiles; i++)
        if (w->st.files[i].path && !o->quiet)
            say(w, w->st.files[i].path, "in the state but not found again (compressed or "
                "removed while watch was not running?): its lines after the saved offset "
                "are not read");
    w->startup = 0;
    int64_t poll_ms = o->poll_ms > 0 ? o->poll_ms : 250;
    int only_stdin = 1;
    for (size_t i = 0; i < w->nt; i++)
        only_stdin &= w->t[i].is_stdin;
    w->last_save = w->last_idle = watch_now_ms();

    for (;;) {
        int more;
        read_files(w, &more);
        int64_t now = watch_now_ms();
        int replay = replaying(w);
        if (w->dirty_events && !replay &&
            now - w->last_probe >= (PROBE_MS > 2 * w->probe_cost ? PROBE_MS : 2 * w->probe_cost))
            probe(w);
        if (now - w->last_idle >= 1000) {
            w->last_idle = now;
            if (w->newest_ts)
                msl_correlator_flush_idle(w->c, w->newest_ts - co.idle_us);
        }
        alerts_service(w->al, now);
        if (sig_usr1) {
            sig_usr1 = 0;
            stats(w);
        }
        if (sig_hup) {
            sig_hup = 0;
            alerts_reopen(w->al);
        }
        if (w->raised_unsaved || (w->state_dirty && now - w->last_save >= SAVE_MS))
            save_state(w);
        int stdin_open = 0;
        for (size_t i = 0; i < w->nf; i++)
            stdin_open |= w->f[i]->is_stdin;
        if (sig_stop || (only_stdin && !stdin_open))
            break;
        /* sleep until something happens, a timer is due, or (polling) the next look */
        struct pollfd pf[4 + MSL_WATCH_MAX_ALERTS];
        nfds_t np = 0;
        pf[np++] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
        if (w->ino_fd >= 0)
            pf[np++] = (struct pollfd){.fd = w->ino_fd, .events = POLLIN};
        if (stdin_open)
            pf[np++] = (struct pollfd){.fd = 0, .events = POLLIN};
        np += (nfds_t)alerts_poll_fds(w->al, pf + np, MSL_WATCH_MAX_ALERTS);
        int64_t wait = w->ino_fd >= 0 ? 1000 : poll_ms;
        if (w->dirty_events) {
            int64_t due = w->last_probe + PROBE_MS - now;
            wait = due < wait ? (due < 0 ? 0 : due) : wait;
        }
        int64_t hook = alerts_next_ms(w->al);
        if (hook >= 0 && hook - now < wait)
            wait = hook - now < 0 ? 0 : hook - now;
        if (more)
            wait = 0;
        if (poll(pf, np, (int)wait) > 0) {
            for (nfds_t i = 0; i < np; i++)
                if (pf[i].revents && (pf[i].fd == sig_pipe[0] || pf[i].fd == w->ino_fd))
                    drain_fd(pf[i].fd);
        }
        if (!more)
            check_paths(w);
    }

    /* stopping: read what is there, raise what it shows, run the hooks, save, say */
    check_paths(w);
    int more, rounds = 0;
    do
        read_files(w, &more);
    while (more && ++rounds < 64);
    if (w->dirty_events || w->probes == 0)
        probe(w);
    alerts_drain(w->al, watch_now_ms() + (int64_t)((o->exec_timeout > 0 ? o->exec_timeout : 10) *
                                                   1000));
    save_state(w);
    if (!o->quiet)
        stats(w);
    free_all(w);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    return MSL_OK;
}
