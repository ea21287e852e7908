/*
 * alert.c - where `watch` sends a finding: jsonl:PATH|- (one JSON object a line, the fields
 * of `hunt -f json` plus "alert": raised|updated), syslog (syslog(3), one line a finding,
 * escaped), exec:CMD (the JSON on the command's stdin, `sh -c CMD`).
 *
 * Exec hooks never stall reading: alerts wait in a bounded queue (opts.exec_queue; more
 * are dropped and counted), one hook runs at a time per target, its stdin is written
 * without blocking as the loop goes round, and a hook still running after
 * opts.exec_timeout is killed (its process group) and counted as failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/esc.h"
#include "watch/watch_int.h"

enum kind { K_JSONL, K_SYSLOG, K_EXEC };

struct hook {
    char **q; /* ring of pending alert lines */
    size_t head, n, cap;
    pid_t pid;
    int wfd;
    char *cur;
    size_t cur_off, cur_len;
    int64_t started;
};

struct dest {
    enum kind kind;
    char *arg; /* path or command */
    FILE *fp;
    int is_stdout, failed;
    struct hook h;
};

struct alerts {
    struct dest t[MSL_WATCH_MAX_ALERTS];
    size_t n;
    int facility;
    int64_t timeout_ms;
    int quiet;
    uint64_t sent, dropped, hook_fail;
};

int64_t watch_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int msl_watch_alert_valid(const char *spec, char *err, size_t errsz)
{
    if (!strcmp(spec, "syslog") || !strcmp(spec, "-"))
        return 0;
    if ((!strncmp(spec, "jsonl:", 6) || !strncmp(spec, "exec:", 5)) && strchr(spec, ':')[1])
        return 0;
    snprintf(err, errsz, "--alert wants jsonl:PATH, jsonl:- (stdout), syslog or exec:COMMAND, "
             "not '%s'", spec);
    return -1;
}

static const struct {
    const char *name;
    int f;
} facilities[] = {
    {"auth", LOG_AUTH}, {"authpriv", LOG_AUTHPRIV}, {"daemon", LOG_DAEMON}, {"mail", LOG_MAIL},
    {"user", LOG_USER}, {"security", LOG_AUTH}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int msl_watch_facility(const char *name)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (!strcmp(name, facilities[i].name))
            return facilities[i].f;
    return -1;
}

static FILE *open_jsonl(struct dest *t)
{
    if (t->is_stdout)
        return stdout;
    return fopen(t->arg, "ae"); /* append, close-on-exec: hooks do not inherit it */
}

struct alerts *alerts_open(const struct msl_watch_opts *o, char *err, size_t errsz)
{
    struct alerts *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->facility = o->syslog_facility ? o->syslog_facility : LOG_DAEMON;
    a->timeout_ms = (int64_t)((o->exec_timeout > 0 ? o->exec_timeout : 10) * 1000);
    a->quiet = o->quiet;
    size_t qcap = o->exec_queue ? o->exec_queue : 64;
    for (size_t i = 0; i < o->nalerts && i < MSL_WATCH_MAX_ALERTS; i++) {
        const char *s = o->alerts[i];
        struct dest *t = &a->t[a->n];
        memset(t, 0, sizeof *t);
        t->h.wfd = -1;
        if (!strcmp(s, "syslog")) {
            t->kind = K_SYSLOG;
        } else if (!strncmp(s, "exec:", 5)) {
            t->kind = K_EXEC;
            t->arg = strdup(s + 5);
            t->h.q = calloc(qcap, sizeof *t->h.q);
            t->h.cap = qcap;
            if (!t->arg || !t->h.q) {
                free(t->arg);
                free(t->h.q);
                alerts_free(a);
                return NULL;
            }
        } else {
            t->kind = K_JSONL;
            const char *p = !strcmp(s, "-") ? "-" : s + 6;
            t->is_stdout = !strcmp(p, "-");
            t->arg = strdup(p);
            if (!t->arg) {
                alerts_free(a);
                return NULL;
            }
            if (!(t->fp = open_jsonl(t))) {
                snprintf(err, errsz, "cannot open alert output %s: %s", p, strerror(errno));
                free(t->arg);
                alerts_free(a);
                return NULL;
            }
        }
        a->n++;
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->t[i].kind == K_SYSLOG) {
            openlog("mailsleuth", LOG_PID, a->facility);
            break;
        }
    return a;
}

static void hook_kill(struct alerts *a, struct hook *h)
{
    if (h->pid > 0) {
        kill(-h->pid, SIGKILL);
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
        a->hook_fail++;
    }
    h->pid = 0;
    if (h->wfd >= 0)
        close(h->wfd);
    h->wfd = -1;
    free(h->cur);
    h->cur = NULL;
}

void alerts_free(struct alerts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        struct dest *t = &a->t[i];
        if (t->fp && !t->is_stdout)
            fclose(t->fp);
        if (t->is_stdout)
            fflush(stdout);
        if (t->kind == K_EXEC) {
            hook_kill(a, &t->h);
            for (size_t k = 0; k < t->h.n; k++)
                free(t->h.q[(t->h.head + k) % t->h.cap]);
            free(t->h.q);
        }
        if (t->kind == K_SYSLOG)
            closelog();
        free(t->arg);
    }
    free(a);
}

static int prio_of(int sev)
{
    switch (sev) {
    case MSL_FSEV_CRITICAL: return LOG_CRIT;
    case MSL_FSEV_HIGH: return LOG_ERR;
    case MSL_FSEV_MEDIUM: return LOG_WARNING;
    case MSL_FSEV_LOW: return LOG_NOTICE;
    default: return LOG_INFO;
    }
}

static void warn(struct alerts *a, const char *what, const char *arg, const char *why)
{
    if (a->quiet)
        return;
    struct buf b;
    buf_init(&b, 8192);
    buf_adds(&b, "mailsleuth: watch: ");
    buf_adds(&b, what);
    buf_addc(&b, ' ');
    esc_text(&b, arg, strlen(arg));
    buf_adds(&b, ": ");
    buf_adds(&b, why);
    buf_addc(&b, '\n');
    if (b.p)
        fputs(b.p, stderr);
    buf_free(&b);
}

void alerts_send(struct alerts *a, const char *kind, int sev, const char *rule,
                 const char *title, const char *etype, const char *entity, const char *json)
{
    struct buf line;
    buf_init(&line, (size_t)64 << 20);
    buf_addf(&line, "{\"alert\":\"%s\",", kind);
    buf_adds(&line, json[0] == '{' ? json + 1 : json);
    buf_addc(&line, '\n');
    if (line.err || !line.p) {
        buf_free(&line);
        a->dropped++;
        return;
    }
    a->sent++;
    for (size_t i = 0; i < a->n; i++) {
        struct dest *t = &a->t[i];
        if (t->kind == K_JSONL && t->fp) {
            if (fwrite(line.p, 1, line.n, t->fp) != line.n || fflush(t->fp) != 0) {
                if (!t->failed)
                    warn(a, "writing alerts to", t->arg, strerror(errno));
                t->failed = 1;
            } else {
                t->failed = 0;
            }
        } else if (t->kind == K_SYSLOG) {
            struct buf m;
            buf_init(&m, 2048);
            buf_addf(&m, "%s %s %s: ", kind, msl_fsev_name((enum msl_fsev)sev), rule);
            esc_text(&m, title ? title : "", title ? strlen(title) : 0);
            buf_addf(&m, " (%s ", etype ? etype : "");
            esc_text(&m, entity ? entity : "", entity ? strlen(entity) : 0);
            buf_addc(&m, ')');
            if (m.p)
                syslog(a->facility | prio_of(sev), "%s", m.p);
            buf_free(&m);
        } else if (t->kind == K_EXEC) {
            struct hook *h = &t->h;
            if (h->n == h->cap) {
                a->dropped++;
                if (a->dropped == 1 || a->dropped % 100 == 0)
                    warn(a, "exec hook", t->arg, "too slow: its queue is full, alert dropped "
                         "(counted in the stats line)");
                continue;
            }
            char *c = strdup(line.p);
            if (!c) {
                a->dropped++;
                continue;
            }
            h->q[(h->head + h->n) % h->cap] = c;
            h->n++;
        }
    }
    buf_free(&line);
    alerts_service(a, watch_now_ms());
}

void alerts_reopen(struct alerts *a)
{
    for (size_t i = 0; i < a->n; i++) {
        struct dest *t = &a->t[i];
        if (t->kind != K_JSONL || t->is_stdout)
            continue;
        if (t->fp)
            fclose(t->fp);
        if (!(t->fp = open_jsonl(t)))
            warn(a, "reopening", t->arg, strerror(errno));
    }
}

static void hook_start(struct alerts *a, struct dest *t, int64_t now)
{
    struct hook *h = &t->h;
    int p[2];
    if (pipe(p) != 0)
        return;
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a timeout kills what the shell started too */
        signal(SIGPIPE, SIG_DFL);
        if (p[0] != 0) {
            dup2(p[0], 0);
            close(p[0]);
        }
        execl("/bin/sh", "sh", "-c", t->arg, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(p[0]);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    h->pid = pid;
    h->wfd = p[1];
    h->cur = h->q[h->head];
    h->q[h->head] = NULL;
    h->head = (h->head + 1) % h->cap;
    h->n--;
    h->cur_off = 0;
    h->cur_len = strlen(h->cur);
    h->started = now;
    (void)a;
}

void alerts_service(struct alerts *a, int64_t now)
{
    for (size_t i = 0; i < a->n; i++) {
        struct dest *t = &a->t[i];
        if (t->kind != K_EXEC)
            continue;
        struct hook *h = &t->h;
        if (h->pid > 0 && h->wfd >= 0) {
            while (h->cur_off < h->cur_len) {
                ssize_t w = write(h->wfd, h->cur + h->cur_off, h->cur_len - h->cur_off);
                if (w > 0) {
                    h->cur_off += (size_t)w;
                    continue;
                }
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                h->cur_off = h->cur_len; /* EPIPE: the hook does not read its stdin */
            }
            if (h->cur_off >= h->cur_len) {
                close(h->wfd);
                h->wfd = -1;
            }
        }
        if (h->pid > 0) {
            int status;
            pid_t r = waitpid(h->pid, &status, WNOHANG);
            if (r == h->pid) {
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                    a->hook_fail++;
                h->pid = 0;
                if (h->wfd >= 0)
                    close(h->wfd);
                h->wfd = -1;
                free(h->cur);
                h->cur = NULL;
            } else if (now - h->started > a->timeout_ms) {
                warn(a, "exec hook", t->arg, "timed out: killed");
                hook_kill(a, h);
            }
        }
        if (h->pid == 0 && h->n)
            hook_start(a, t, now);
    }
}

int alerts_poll_fds(struct alerts *a, struct pollfd *p, size_t cap)
{
    int n = 0;
    for (size_t i = 0; i < a->n && (size_t)n < cap; i++)
        if (a->t[i].kind == K_EXEC && a->t[i].h.wfd >= 0)
            p[n++] = (struct pollfd){.fd = a->t[i].h.wfd, .events = POLLOUT};
    return n;
}

int64_t alerts_next_ms(const struct alerts *a)
{
    int64_t next = -1;
    for (size_t i = 0; i < a->n; i++) {
        const struct hook *h = &a->t[i].h;
        if (a->t[i].kind == K_EXEC && h->pid > 0) {
            /* wake now and then to reap it (SIGCHLD wakes the loop too) */
            int64_t d = h->started + a->timeout_ms + 1;
            if (next < 0 || d < next)
                next = d;
        }
    }
    return next;
}

void alerts_drain(struct alerts *a, int64_t deadline)
{
    for (;;) {
        int64_t now = watch_now_ms();
        alerts_service(a, now);
        int busy = 0;
        for (size_t i = 0; i < a->n; i++)
            busy |= a->t[i].kind == K_EXEC && (a->t[i].h.pid > 0 || a->t[i].h.n);
        if (!busy)
            return;
        if (now >= deadline)
            break;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < a->n; i++) {
        struct dest *t = &a->t[i];
        if (t->kind != K_EXEC)
            continue;
        hook_kill(a, &t->h);
        a->dropped += t->h.n;
        for (size_t k = 0; k < t->h.n; k++)
            free(t->h.q[(t->h.head + k) % t->h.cap]);
        t->h.n = 0;
    }
}

void alerts_stats(const struct alerts *a, uint64_t *sent, uint64_t *dropped, uint64_t *hook_fail)
{
    *sent = a->sent;
    *dropped = a->dropped;
    *hook_fail = a->hook_fail;
}
