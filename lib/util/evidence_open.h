/*
 * evidence_open.h - opens a file or directory given as evidence without touching its access
 * time: O_NOATIME when the kernel allows it (the caller owns the file or has CAP_FOWNER),
 * else an ordinary open.  Reading then leaves atime as found where the caller may ask it.
 */
#ifndef MSL_UTIL_EVIDENCE_OPEN_H
#define MSL_UTIL_EVIDENCE_OPEN_H

/* open(path, flags) with O_NOATIME added; on EPERM retried without it.  -1 and errno set
 * like open(2) otherwise. */
int evidence_open(const char *path, int flags);

#endif
