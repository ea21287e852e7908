/*
 * mailsleuth/api.h - the public C API of libmailsleuth (doc/API.md is the guide).
 *
 * This is the only header libmailsleuth.so exports symbols for; the other headers under
 * include/mailsleuth/ are the modules' contracts inside the project and may change at any
 * time.  Everything here is stable within one soname (libmailsleuth.so.0):
 *  - handles are opaque; structures the caller fills start with their own size, so a new
 *    field can be added at the end without breaking old callers;
 *  - records are read through accessors (by field name, the names of the JSON the CLI
 *    writes), so a new field in the model is a new name, not a new layout.
 *
 * Threads: there is no global state.  A handle may be used by one thread at a time;
 * different handles may be used by different threads at once.  While records are pulled,
 * a producer thread of the handle reads and correlates the inputs and hands finished
 * records through a bounded queue, so memory stays bounded whatever the input size.
 *
 * Errors: functions return MSL_API_OK (0) or a negative MSL_API_E* code; the handle keeps
 * a one-line message for the last error (msl_api_errmsg).  A handle whose open failed is
 * still a handle: msl_api_status() says why, msl_api_close() frees it.
 */
#ifndef MAILSLEUTH_API_H
#define MAILSLEUTH_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MSL_API __attribute__((visibility("default")))
#else
#define MSL_API
#endif

/* The interface version this header describes (the soname's number is the major). */
#define MSL_API_VERSION_MAJOR 0
#define MSL_API_VERSION_MINOR 1

/* Result codes (the values match the library's internal ones). */
enum msl_api_code {
    MSL_API_OK = 0,
    MSL_API_ENOMEM = -1, /* out of memory */
    MSL_API_EINPUT = -2, /* an input could not be read (the records cover the rest) */
    MSL_API_EPARSE = -3, /* a search expression or a rules/site file did not parse */
    MSL_API_EIO = -5,    /* read or write error */
    MSL_API_EUSAGE = -7, /* invalid argument or call at the wrong time */
    MSL_API_EINTERNAL = -100 /* the analysis failed (see the message) */
};

/* Record kinds, also the bits of msl_api_opts.kinds. */
enum msl_api_kind {
    MSL_API_EVENT = 1 << 0,     /* one parsed log line's fact (timeline/search --events JSON) */
    MSL_API_MESSAGE = 1 << 1,   /* one queue transaction on one host, with its recipients */
    MSL_API_RECIPIENT = 1 << 2, /* one recipient's outcome (search --recipients JSON) */
    MSL_API_SESSION = 1 << 3,   /* one SMTP connection (search --sessions JSON) */
    MSL_API_FINDING = 1 << 4    /* one hunt finding (hunt -f jsonl), after the input ends */
};

struct msl_api_opts {
    size_t size;      /* sizeof(struct msl_api_opts): set it first (the ABI's growth rule) */
    const char *tz;   /* zone of zone-less stamps ("UTC", "+02:00", "Europe/Berlin");
                         NULL = the machine's zone (like the CLI without --tz) */
    int year;         /* > 0: the year of year-less stamps (--year); 0 = inferred */
    unsigned kinds;   /* MSL_API_* bits to return; 0 = MSL_API_MESSAGE */
    const char *const *site_configs; /* --site-config: MTA configuration files or folders */
    size_t nsite_configs;
    const char *rules; /* hunt rules file (--rules), NULL = defaults */
    int threads;       /* 0/1: one parse thread; >= 2: parse and fold on two (-j 2); the
                          records are the same and in the same order either way */
};

struct msl_api;     /* one analysis of one set of inputs */
struct msl_api_rec; /* one record: owned by the handle */

/*
 * Opens paths (files, folders, archives, "-" for stdin) with options (o may be NULL: all
 * defaults).  Nothing is read yet.  Returns NULL only when memory ran out; check
 * msl_api_status() for a bad option (unknown zone, unreadable rules or site file).
 */
MSL_API struct msl_api *msl_api_open(const char *const *paths, size_t n,
                                     const struct msl_api_opts *o);
/* Stops the producer if it runs, frees the handle and every record it gave. */
MSL_API void msl_api_close(struct msl_api *h);
/* MSL_API_OK, or the code of the last error. */
MSL_API int msl_api_status(const struct msl_api *h);
/* The last error as one line ("" when none); valid until the next call on h. */
MSL_API const char *msl_api_errmsg(const struct msl_api *h);

/*
 * Keeps only the messages, recipients, sessions and events that match expr (the search
 * language, doc/SEARCH.md); findings are not filtered (the rules see every record).  Call
 * before the first msl_api_next.  MSL_API_EPARSE with the message and column on a bad
 * expression.
 */
MSL_API int msl_api_search(struct msl_api *h, const char *expr);

/*
 * The next record: 1 and *rec set, 0 at the end, or a negative code (the message says
 * what).  An input that could not be read is reported as MSL_API_EINPUT after the last
 * record (which covers everything else).  The order is stable: events in input order,
 * messages, recipients and sessions as the correlator closes them (a message's recipients
 * right after it), findings last (by severity, then time), as `hunt` prints them.  *rec
 * stays valid until the next call of msl_api_next or msl_api_close.
 */
MSL_API int msl_api_next(struct msl_api *h, struct msl_api_rec **rec);

/* --- records ----------------------------------------------------------------------- */

MSL_API int msl_api_rec_kind(const struct msl_api_rec *r); /* an MSL_API_* kind */
/* The record as the CLI writes it in JSON (one object, no newline, NUL-terminated). */
MSL_API const char *msl_api_rec_json(const struct msl_api_rec *r);
/*
 * A field by its JSON name; a dotted path reaches inside ("entity.value",
 * "recipients.0.address").  _str: the string, or NULL when absent or not a string (valid as
 * long as the record).  _int: the integer (true/false as 1/0), or absent_value.  _len: the
 * number of elements of an array (0 when absent).
 */
MSL_API const char *msl_api_rec_str(struct msl_api_rec *r, const char *field);
MSL_API int64_t msl_api_rec_int(struct msl_api_rec *r, const char *field, int64_t absent_value);
MSL_API size_t msl_api_rec_len(struct msl_api_rec *r, const char *field);
/*
 * Evidence: the log lines a record rests on, in input order (an event: its own line; a
 * message or session: every line that built it; a recipient: the deciding line, then its
 * attempts; a finding: the cited lines).  Returns 1 and fills source (the input's display
 * name, valid as long as the handle), line (1-based) and offset (byte offset in the
 * decompressed input) for i < msl_api_rec_nevidence, else 0.
 */
MSL_API size_t msl_api_rec_nevidence(const struct msl_api_rec *r);
MSL_API int msl_api_rec_evidence(const struct msl_api_rec *r, size_t i, const char **source,
                                 uint64_t *line, uint64_t *offset);

/* --- trace -------------------------------------------------------------------------- */

/*
 * The story of every message matching expr (the search language, as `trace --expr`) across
 * hops, as `trace -f json` writes it, over the handle's inputs and options (a run of its
 * own, independent of msl_api_next).  *json is malloc'd: free it with msl_api_free.
 */
MSL_API int msl_api_trace(struct msl_api *h, const char *expr, char **json);
MSL_API void msl_api_free(void *p);

/* "0.1": the version of the library actually loaded. */
MSL_API const char *msl_api_version(void);

#ifdef __cplusplus
}
#endif
#endif
