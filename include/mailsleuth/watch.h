/*
 * watch.h - `watch`: follow live logs, correlate and hunt as lines arrive, alert.
 *
 * msl_watch() follows files, directories and stdin ("-") until SIGTERM/SIGINT (or the end
 * of stdin when that is the only input).  Files are woken by inotify (or polled), and
 * followed across rotation by rename (the old file is read to its end before it is let go),
 * by copy-truncate (a size below the offset restarts at 0, said on stderr) and by
 * compression of the rotated file; a directory's new files are followed from their start.
 * Every complete line goes through the pipeline's parsing (msl_feed), the correlator and
 * the hunt; the findings the hunt would report if the input ended now are raised as
 * alerts once, when they first appear, and updated (not repeated) while they continue.
 *
 * lib/watch: follow.c (one file: identity, reading, truncation), files.c (which files and
 * how far: rotation, copies, directories, resuming), state.c (--state), alert.c (jsonl,
 * syslog, exec sinks), ledger.c (which findings were raised), probe.c (the findings so
 * far, in a forked copy), raise.c (findings to alerts), watch.c (the loop).
 */
#ifndef MAILSLEUTH_WATCH_H
#define MAILSLEUTH_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MSL_WATCH_MAX_ALERTS 16

struct msl_watch_opts {
    const char *const *paths; /* files, directories, "-" */
    size_t npaths;
    const struct msl_run_opts *run;   /* zone, year, dialect, format (threads ignored) */
    const struct msl_hunt_opts *hunt; /* on_emit is the watcher's own */
    const struct msl_rules *rules;
    const char *alerts[MSL_WATCH_MAX_ALERTS]; /* "jsonl:PATH", "jsonl:-", "syslog", "exec:CMD" */
    size_t nalerts;
    int syslog_facility;  /* LOG_* facility for "syslog" (LOG_DAEMON when 0) */
    int min_severity;     /* enum msl_fsev: lower findings are not alerted */
    int updates;          /* also alert when a raised finding grows (alert: "updated") */
    const char *state;    /* --state FILE, or NULL */
    int poll;             /* 1: poll instead of inotify */
    int poll_ms;          /* polling interval (default 250) */
    int64_t idle_s;       /* records idle this long in log time close (default 3600) */
    int from_start;       /* read files that exist at start from their beginning */
    double exec_timeout;  /* seconds an exec hook may run (default 10) */
    size_t exec_queue;    /* alerts waiting for an exec hook (default 64); more are dropped */
    int quiet;            /* no warnings on stderr */
};

/* Checks an --alert value; 0 when valid, else -1 with the reason in err. */
int msl_watch_alert_valid(const char *spec, char *err, size_t errsz);
/* "mail", "daemon", "local0".."local7", "user", "auth"...; -1 when unknown. */
int msl_watch_facility(const char *name);

/* Runs until stopped.  Returns MSL_OK, MSL_EUSAGE (bad path or alert target: said on
 * stderr), MSL_EIO (an alert output failed to open) or MSL_ENOMEM. */
int msl_watch(const struct msl_watch_opts *o);

#ifdef __cplusplus
}
#endif
#endif
