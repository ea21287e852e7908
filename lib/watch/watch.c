/*
 * watch.c - the `watch` loop (mailsleuth/watch.h): follow, feed, probe, alert, checkpoint.
 *
 * One thread.  The loop sleeps in poll(2) on inotify (or a polling timer), stdin, a
 * self-pipe the signal handlers write to, and the exec hooks' stdin pipes; every wake it
 * checks each followed path (rotated? truncated?), reads what was appended (a rotated
 * file's rest first, so lines stay in order), scans watched directories for new files, and
 * hands complete lines to the pipeline (msl_feed), whose events go to the hunt and the
 * correlator.  After new events, and at most every PROBE_MS, a probe (probe.c, raise.c)
 * asks what the hunt would report now; the ledger says which findings are new (raised) or
 * grown (updated).  Records idle for --idle seconds of log time are closed on a one-second
 * timer.  Which files are followed and how far is files.c; this file is the loop, the
 * pipeline's side (feeds, sink), the state's timing and the set-up.
 *
 * Rotation (files.c): a path that names another inode than the open file is a rename rotation: the
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

void watch_say(void *ctx, const char *path, const char *msg)
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
    watch_say(w, name, msg);
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

void watch_save_state(struct w *w)
{
    if (!w->o->state)
        return;
    if (state_save(w->o->state, w->f, w->nf, w->lg) != 0 && !w->o->quiet) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot write the state: %s", strerror(errno));
        watch_say(w, w->o->state, msg);
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
            "%zu findings known, %" PRIu64 " forgotten; %zu open messages, %zu open sessions%s\n",
            w->lines, w->replayed, w->bytes, w->run.events, w->run.unparsed, w->raised,
            w->updated, dropped, hfail, w->rotations, w->truncations, w->nf, w->probes,
            ledger_count(w->lg), ledger_dropped(w->lg), msl_correlator_open_messages(w->c),
            msl_correlator_open_sessions(w->c),
            w->files_dropped ? "; files past the cap of 1024 not followed" : "");
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
        files_let_go(w, w->nf - 1, 0);
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
    w->ws = (struct wf_sink){w, f_begin, f_line, f_end, watch_say};
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
    w->ho.on_emit = raise_on_emit;
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
            w->t[i].cur = files_add(w, wf_stdin(&w->ws));
    files_check(w);
    for (size_t i = 0; i < w->st.nfiles; i++)
        if (w->st.files[i].path && !o->quiet)
            watch_say(w, w->st.files[i].path, "in the state but not found again (compressed or "
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
        files_read(w, &more);
        int64_t now = watch_now_ms();
        int replay = files_replaying(w);
        if (w->dirty_events && !replay &&
            now - w->last_probe >= (PROBE_MS > 2 * w->probe_cost ? PROBE_MS : 2 * w->probe_cost))
            raise_probe(w);
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
            watch_save_state(w);
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
            files_check(w);
    }

    /* stopping: read what is there, raise what it shows, run the hooks, save, say */
    files_check(w);
    int more, rounds = 0;
    do
        files_read(w, &more);
    while (more && ++rounds < 64);
    if (w->dirty_events || w->probes == 0)
        raise_probe(w);
    alerts_drain(w->al, watch_now_ms() + (int64_t)((o->exec_timeout > 0 ? o->exec_timeout : 10) *
                                                   1000));
    watch_save_state(w);
    if (!o->quiet)
        stats(w);
    free_all(w);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    return MSL_OK;
}
