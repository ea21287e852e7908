/*
 * api_int.h - the insides of the public API (include/mailsleuth/api.h), lib/api only.
 *
 * A handle owns its options, a bounded queue of finished records and, once the first
 * record is asked for, a producer thread that runs the pipeline with a sink feeding the
 * correlator and the hunt; every record it finishes is rendered by the CLI's own JSON
 * writers and pushed into the queue (waiting while the queue is full).
 */
#ifndef MSL_API_INT_H
#define MSL_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/api.h"
#include "mailsleuth/pipeline.h"

struct msl_query;
struct msl_site;
struct msl_rules;
struct msl_correlator;
struct msl_hunt;

struct api_ev {
    uint32_t src;
    uint64_t line, offset;
};

struct msl_api_rec {
    int kind;
    const struct msl_run *run; /* names the sources of the evidence */
    char *json;                /* NUL-terminated */
    size_t len;
    struct api_ev *ev;
    size_t nev;
    void *root; /* the parsed JSON (json_t *), parsed on the first field access */
    struct msl_api_rec *next; /* queue link */
};

/* Builds a record (one allocation for the record, its JSON and room for nev evidence);
 * the caller fills r->ev[0..nev-1].  NULL when memory ran out. */
struct msl_api_rec *api_rec_new(int kind, const struct msl_run *run, const char *json,
                                size_t len, size_t nev);
void api_rec_free(struct msl_api_rec *r);

/* The bounded queue: at most max_recs records and max_bytes of JSON (one record more
 * than max_bytes is let through when the queue is empty). */
struct api_queue {
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    struct msl_api_rec *head, *tail;
    size_t n, bytes, max_recs, max_bytes;
    size_t peak_n, peak_bytes; /* for tests */
    int stop; /* the consumer went away: put drops, the producer ends */
    atomic_int cancel; /* the same, read without the lock by the run's event callback */
    int done; /* the producer finished */
};

int api_queue_init(struct api_queue *q, size_t max_recs, size_t max_bytes);
void api_queue_destroy(struct api_queue *q);
/* Producer: hands r over (waits while full).  Returns 0, or -1 when the consumer stopped
 * (r is freed). */
int api_queue_put(struct api_queue *q, struct msl_api_rec *r);
void api_queue_done(struct api_queue *q);
/* Consumer: the next record, or NULL when the producer is done and the queue empty. */
struct msl_api_rec *api_queue_get(struct api_queue *q);
/* Consumer: stop the producer; frees what is queued. */
void api_queue_stop(struct api_queue *q);

struct msl_api {
    /* options, fixed at open */
    char **paths;
    size_t npaths;
    struct msl_tz *tz;
    struct msl_run_opts ro;
    unsigned kinds;
    struct msl_site *site;
    struct msl_rules *rules;
    const char **prot, **local; /* the site's protected and local domains (hunt lookups) */
    size_t nprot, nlocal;
    struct msl_query *query; /* msl_api_search, or NULL */

    /* the run (producer thread; read by the consumer only after the queue handed over a
     * record, or after the join) */
    struct msl_run run;
    struct api_queue q;
    pthread_t thread;
    int started, joined;
    int run_rc;                /* msl_run's result, and ENOMEM of a sink */
    char input_err[512];       /* the first reader error */
    unsigned input_errors;

    /* consumer side */
    struct msl_api_rec *cur;
    int status;
    int open_err;        /* a failure at open: every later call returns it */
    char open_msg[1024];
    char errmsg[1024];
};

/* The producer thread's body (produce.c). */
void *api_produce(void *h);
/* Sets status and message (printf-style); returns code. */
int api_fail(struct msl_api *h, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
