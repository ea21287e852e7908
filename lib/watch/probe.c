/*
 * probe.c - "what would hunt report if the input ended now", without ending it.
 *
 * The rules keep their incidents open until a gap or the end of input says they are over;
 * finishing them would end them.  So the loop forks: the child (a copy-on-write image of
 * the correlator and the hunt as they are) finishes both and writes every finding to a
 * pipe, then _exits; the parent reads them and keeps going with its own state untouched.
 * The loop rate-limits probes (a probe at most every 200 ms, and never more often than
 * twice its own cost), so a burst is read at full speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch/watch_int.h"

int probe_run(void (*child)(void *ctx, int fd), void *ctx, struct buf *out)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        child(ctx, p[1]);
        close(p[1]);
        _exit(0); /* no atexit, no stdio flush: the parent owns those */
    }
    close(p[1]);
    char b[65536];
    for (;;) {
        ssize_t n = read(p[0], b, sizeof b);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buf_add(out, b, (size_t)n);
    }
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
