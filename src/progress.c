/*
 * progress.c - the progress line (see progress.h).  The inputs' total size is found the
 * way the reader expands paths: regular files by size, directories recursively without
 * following symbolic links to directories; stdin and FIFOs make the total unknown.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailsleuth/source.h"
#include "progress.h"
#include "util/meter.h"

#define TICK_NS 200000000L /* five updates a second */
#define QUIET_S 1.0        /* runs shorter than this show nothing */
#define MAX_DEPTH 256

struct progress {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int forced;
    int shown;             /* a progress line is on the terminal now */
    int64_t total;         /* -1 unknown */
    uint64_t base_runs;    /* reader runs begun before ours */
    uint64_t pass_runs;    /* the run the pass clock belongs to */
    struct timespec start, pass_start;
    _Atomic uint64_t events;
};

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Adds the size of path to *total; makes it -1 for inputs of unknown size. */
static void add_size(const char *path, int depth, int64_t *total)
{
    struct stat st;
    if (*total < 0)
        return;
    if (!strcmp(path, "-")) {
        off_t pos;
        if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
            (pos = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0)
            *total += (int64_t)st.st_size - (int64_t)pos;
        else
            *total = -1;
        return;
    }
    if (stat(path, &st) != 0)
        return; /* the reader names it as missing */
    if (S_ISREG(st.st_mode)) {
        *total += (int64_t)st.st_size;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        *total = -1; /* a FIFO or device named explicitly is read as a stream */
        return;
    }
    DIR *d = depth < MAX_DEPTH ? opendir(path) : NULL;
    if (!d)
        return;
    struct dirent *de;
    size_t pl = strlen(path);
    while ((de = readdir(d)) != NULL && *total >= 0) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        size_t nl = strlen(de->d_name);
        char *sub = malloc(pl + nl + 2);
        if (!sub)
            break;
        snprintf(sub, pl + nl + 2, "%s/%s", path, de->d_name);
        struct stat ls;
        /* inside a directory the reader skips special files and symlinked directories */
        if (lstat(sub, &ls) == 0) {
            if (S_ISLNK(ls.st_mode)) {
                if (stat(sub, &ls) == 0 && S_ISREG(ls.st_mode))
                    *total += (int64_t)ls.st_size;
            } else if (S_ISREG(ls.st_mode)) {
                *total += (int64_t)ls.st_size;
            } else if (S_ISDIR(ls.st_mode)) {
                add_size(sub, depth + 1, total);
            }
        }
        free(sub);
    }
    closedir(d);
}

/* Draws (or clears with an empty line) under p->mu. */
static void draw(struct progress *p, const char *text)
{
    /* \r back to column 0, the text, then erase what a longer earlier line left */
    fprintf(stderr, "\r%s%s\033[K", *text ? "mailsleuth: " : "", text);
    fflush(stderr);
    p->shown = *text != '\0';
}

static void update(struct progress *p, int final)
{
    struct msl_read_progress rp;
    struct timespec now;
    msl_read_progress(&rp);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (rp.runs == p->base_runs)
        return; /* the reader has not begun */
    if (rp.runs != p->pass_runs) {
        p->pass_runs = rp.runs;
        p->pass_start = now;
    }
    if (!final && (!rp.active || (!p->forced && since(&p->start, &now) < QUIET_S)))
        return;
    struct meter m = {.done = rp.consumed, .total = p->total,
                      .elapsed = since(&p->pass_start, &now),
                      .pass = (unsigned)(rp.runs - p->base_runs),
                      .events = atomic_load_explicit(&p->events, memory_order_relaxed)};
    char line[160];
    meter_format(line, sizeof line, &m);
    draw(p, line);
}

static void *run(void *arg)
{
    struct progress *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cv, &p->mu, &until);
        if (!p->stop)
            update(p, 0);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct progress *progress_start(const char *const *paths, size_t npaths, int forced)
{
    struct progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < npaths; i++)
        add_size(paths[i], 0, &p->total);
    struct msl_read_progress rp;
    msl_read_progress(&rp);
    p->base_runs = p->pass_runs = rp.runs;
    p->forced = forced;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->pass_start = p->start;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->cv, NULL) != 0 || pthread_create(&p->thread, NULL, run, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

void progress_events(struct progress *p, uint64_t events)
{
    if (p)
        atomic_store_explicit(&p->events, events, memory_order_relaxed);
}

void progress_stop(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    if (p->forced)
        update(p, 1); /* forced: the final numbers are seen at least once */
    if (p->shown)
        draw(p, "");
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void progress_lock(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->shown)
        draw(p, "");
}

void progress_unlock(struct progress *p)
{
    if (p)
        pthread_mutex_unlock(&p->mu);
}
