/*
 * format.h - log file formats: how the lines of one source become events.
 *
 * Most mail logs are syslog: each line has an envelope (stamp, host, program tag) and the
 * program tag picks the MTA dialect (format "syslog", lib/dialect/format_syslog.c).  Other
 * logs are files of their own: Exim's mainlog, Exchange message tracking (W3C-style CSV
 * with a #Fields header), Microsoft 365 message-trace CSV exports ...  Each such format is
 * one struct registered by name (lib/dialect/registry.c).
 *
 * The pipeline samples the first lines of each source, asks every format for a confidence
 * score and uses the best one for the whole source (syslog when none is sure); the choice
 * is recorded per source and `--log-format NAME` forces one.  A line may give several
 * events (an Exchange line names several recipients): the format hands each to emit().
 *
 * Ownership: views in emitted events point into the line or into the format's own state;
 * valid during the emit call only.
 */
#ifndef MAILSLEUTH_FORMAT_H
#define MAILSLEUTH_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "event.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a format knows about the source it reads. */
struct msl_format_src {
    const struct msl_tz *tz; /* zone for stamps without one */
    int64_t mtime;           /* source modification time (s), for year-less stamps */
    int year;                /* > 0: forced starting year */
    const char *dialect;     /* syslog: force this dialect (NULL = by program tag) */
    const char *name;        /* source display name (for messages only) */
};

struct msl_emitter {
    void *ctx;
    /* Takes one event (the callee fills evidence and raw line).  Non-zero = stop. */
    int (*emit)(void *ctx, struct msl_event *e);
};

struct msl_format {
    const char *name;        /* "syslog", "exim-mainlog", "exchange-msgtrk" ... */
    const char *description; /* one line for `mailsleuth formats` */
    const char *mta;         /* the MTA whose events a format of its own writes (Exchange,
                              * Microsoft 365: "exchange"); NULL where dialects say */
    uint32_t caps;           /* MSL_MTA_* of those events; syslog-style formats take their
                              * dialects' */
    /*
     * Confidence 0..100 that a source whose first lines are these is in this format.
     * Lines are views (no "\n").  Must be cheap and must not trust the input.
     */
    int (*detect)(const struct msl_str *lines, size_t n);
    /* Per-source state; NULL on allocation failure. */
    void *(*open)(const struct msl_format_src *src);
    void (*close)(void *st);
    /*
     * One line.  Returns the number of events emitted (>= 1), 0 when the line gives no
     * event (*why = a stable reason text, valid until the next call; header and comment
     * lines are not errors: return 0 with why = NULL), or -1 when emit asked to stop.
     */
    int (*line)(void *st, const struct msl_line *ln, const struct msl_emitter *em,
                const char **why);
};

/* Registered formats, NULL-terminated; the first is the fallback (syslog). */
const struct msl_format *const *msl_formats(void);
const struct msl_format *msl_format_by_name(const char *name);

extern const struct msl_format msl_format_syslog;
extern const struct msl_format msl_format_exim;
extern const struct msl_format msl_format_qmail_multilog;
extern const struct msl_format msl_format_exchange_msgtrk;
extern const struct msl_format msl_format_exchange_smtp;
extern const struct msl_format msl_format_m365_trace;

#ifdef __cplusplus
}
#endif
#endif
