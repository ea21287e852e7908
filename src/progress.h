/*
 * progress.h - the progress line on stderr (src/ only).
 *
 * A thread wakes five times a second and draws "mailsleuth: 41% 412.3 MiB of 1.0 GiB,
 * 251.0 MiB/s, ETA 0:03" from the reader's counters (msl_read_progress): bytes consumed
 * as stored against the inputs' sizes summed up front.  It draws nothing during the first
 * second (short runs stay quiet) unless forced, and only while the reader runs; the main
 * thread stops it (and the line is cleared) before any output is written.  Everything else
 * the main thread writes to stderr while it runs goes through progress_lock/unlock, which
 * clears the line first.
 */
#ifndef MSL_PROGRESS_H
#define MSL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress;

/* forced: draw from the start, whatever stderr is.  NULL when the thread cannot start. */
struct progress *progress_start(const char *const *paths, size_t npaths, int forced);
/* Events seen so far (shown when the inputs' size is unknown). */
void progress_events(struct progress *p, uint64_t events);
/* Stops the thread; a forced display draws its final state once; the line is cleared. */
void progress_stop(struct progress *p);
/* Around other stderr writes while the display may be up (p may be NULL). */
void progress_lock(struct progress *p);
void progress_unlock(struct progress *p);

#endif
