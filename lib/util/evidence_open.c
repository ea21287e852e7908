/*
 * evidence_open.c - open(2) with O_NOATIME where permitted (evidence_open.h).
 *
 * The kernel refuses O_NOATIME with EPERM unless the caller owns the file or has
 * CAP_FOWNER; then the file is opened as usual and its atime may change (a relatime mount
 * updates it at most once a day).  Systems without O_NOATIME open as usual.
 */
#define _GNU_SOURCE /* O_NOATIME */
#include <errno.h>
#include <fcntl.h>

#include "util/evidence_open.h"

int evidence_open(const char *path, int flags)
{
#ifdef O_NOATIME
    int fd = open(path, flags | O_NOATIME);
    if (fd >= 0 || errno != EPERM)
        return fd;
#endif
    return open(path, flags);
}
