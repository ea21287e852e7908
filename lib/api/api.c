/*
 * api.c - handles of the public API (include/mailsleuth/api.h): options checked at open,
 * the search filter, the pull iterator over the producer's queue (produce.c), and trace.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/query.h"
#include "mailsleuth/site.h"
#include "mailsleuth/trace.h"
#include "mailsleuth/tz.h"

/* At most this many records, and this many bytes of their JSON, wait in a handle's queue. */
#define API_QUEUE_RECS 256
#define API_QUEUE_BYTES ((size_t)16 << 20)

int api_fail(struct msl_api *h, int code, const char *fmt, ...)
{
    h->status = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->errmsg, sizeof h->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

/* The site's protected and local domains, for the hunt's lookups (as cmd_hunt does). */
static int site_domains(struct msl_api *h)
{
    size_t ne;
    const struct msl_site_entry *e = msl_site_entries(h->site, &ne);
    h->prot = calloc(ne + 1, sizeof *h->prot);
    h->local = calloc(ne + 1, sizeof *h->local);
    if (!h->prot || !h->local)
        return -1;
    for (size_t i = 0; i < ne; i++) {
        if (e[i].kind == MSL_SITE_PROTECTED_DOMAIN)
            h->prot[h->nprot++] = e[i].value;
        else if (e[i].kind == MSL_SITE_LOCAL_DOMAIN)
            h->local[h->nlocal++] = e[i].value;
    }
    return 0;
}

/* Reads the options the caller's struct has (its size says how many it knows). */
static void read_opts(struct msl_api_opts *dst, const struct msl_api_opts *o)
{
    memset(dst, 0, sizeof *dst);
    if (!o)
        return;
    size_t n = o->size < sizeof *dst ? o->size : sizeof *dst;
    memcpy(dst, o, n);
}

/* A failure at open is kept: every later call returns it. */
static struct msl_api *opened(struct msl_api *h)
{
    h->open_err = h->status;
    memcpy(h->open_msg, h->errmsg, sizeof h->open_msg);
    return h;
}

struct msl_api *msl_api_open(const char *const *paths, size_t n, const struct msl_api_opts *o)
{
    struct msl_api *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (api_queue_init(&h->q, API_QUEUE_RECS, API_QUEUE_BYTES) != 0) {
        free(h);
        return NULL;
    }
    struct msl_api_opts opts;
    read_opts(&opts, o);
    if (o && o->size < sizeof(size_t)) {
        api_fail(h, MSL_API_EUSAGE, "msl_api_opts.size must be sizeof(struct msl_api_opts)");
        return opened(h);
    }
    if (!paths || n == 0) {
        api_fail(h, MSL_API_EUSAGE, "no input given");
        return opened(h);
    }
    h->paths = calloc(n, sizeof *h->paths);
    if (!h->paths)
        goto nomem;
    for (size_t i = 0; i < n; i++, h->npaths++)
        if (!paths[i] || !(h->paths[i] = strdup(paths[i])))
            goto nomem;
    h->kinds = opts.kinds ? opts.kinds : MSL_API_MESSAGE;
    if (h->kinds & ~(unsigned)(MSL_API_EVENT | MSL_API_MESSAGE | MSL_API_RECIPIENT |
                               MSL_API_SESSION | MSL_API_FINDING)) {
        api_fail(h, MSL_API_EUSAGE, "unknown record kinds 0x%x", h->kinds);
        return opened(h);
    }
    if (!(h->tz = msl_tz_load(opts.tz))) {
        api_fail(h, MSL_API_EUSAGE,
                 "unknown time zone '%s' (try UTC, +02:00 or an IANA name like Europe/Berlin)",
                 opts.tz ? opts.tz : "(machine default)");
        return opened(h);
    }
    h->ro = (struct msl_run_opts){.tz = h->tz, .year = opts.year, .tz_explicit = opts.tz != NULL,
                                  .threads = opts.threads};
    if (!(h->site = msl_site_new()))
        goto nomem;
    char err[1200];
    for (size_t i = 0; i < opts.nsite_configs; i++)
        if (msl_site_load_config(h->site, opts.site_configs[i], err, sizeof err) != MSL_OK) {
            api_fail(h, MSL_API_EPARSE, "site config: %s", err);
            return opened(h);
        }
    if (site_domains(h) != 0)
        goto nomem;
    if (!(h->rules = msl_rules_new()))
        goto nomem;
    if (opts.rules) {
        int rc = msl_rules_load(h->rules, opts.rules, err, sizeof err);
        if (rc != MSL_OK) {
            api_fail(h, rc == MSL_EINPUT ? MSL_API_EINPUT : MSL_API_EPARSE, "%s", err);
            return opened(h);
        }
    }
    return opened(h);
nomem:
    api_fail(h, MSL_API_ENOMEM, "out of memory");
    return opened(h);
}

void msl_api_close(struct msl_api *h)
{
    if (!h)
        return;
    if (h->started && !h->joined) {
        api_queue_stop(&h->q);
        pthread_join(h->thread, NULL);
    }
    api_rec_free(h->cur);
    api_queue_destroy(&h->q);
    msl_run_free(&h->run);
    msl_query_free(h->query);
    msl_rules_free(h->rules);
    free(h->prot);
    free(h->local);
    msl_site_free(h->site);
    msl_tz_free(h->tz);
    for (size_t i = 0; i < h->npaths; i++)
        free(h->paths[i]);
    free(h->paths);
    free(h);
}

int msl_api_status(const struct msl_api *h)
{
    return h ? h->status : MSL_API_EUSAGE;
}

const char *msl_api_errmsg(const struct msl_api *h)
{
    return h ? h->errmsg : "no handle";
}

int msl_api_search(struct msl_api *h, const char *expr)
{
    if (!h)
        return MSL_API_EUSAGE;
    if (h->open_err)
        return api_fail(h, h->open_err, "%s", h->open_msg);
    if (h->started)
        return api_fail(h, MSL_API_EUSAGE, "msl_api_search must come before msl_api_next");
    char err[256] = "";
    size_t col = 0;
    struct msl_query *q = NULL;
    if (!expr || msl_query_compile(expr, h->tz, &q, err, sizeof err, &col) != MSL_OK)
        return api_fail(h, MSL_API_EPARSE, "bad search expression: %s (column %zu)",
                        expr ? err : "none given", col);
    msl_query_free(h->query);
    h->query = q;
    return MSL_API_OK;
}

/* After the last record: the run's own verdict. */
static int end_status(struct msl_api *h)
{
    if (!h->joined) {
        pthread_join(h->thread, NULL);
        h->joined = 1;
    }
    if (h->run_rc == MSL_ENOMEM)
        return api_fail(h, MSL_API_ENOMEM, "out of memory");
    if (h->run_rc == MSL_EINPUT || h->input_errors || h->run.totals.errors) {
        unsigned n = h->input_errors ? h->input_errors : h->run.totals.errors;
        return api_fail(h, MSL_API_EINPUT, "%u input error%s: %s", n, n == 1 ? "" : "s",
                        h->input_err[0] ? h->input_err : "an input could not be read");
    }
    if (h->run_rc != MSL_OK && h->run_rc != MSL_ESTOPPED)
        return api_fail(h, MSL_API_EINTERNAL, "the analysis failed: %s",
                        msl_strerror(h->run_rc));
    return 0;
}

int msl_api_next(struct msl_api *h, struct msl_api_rec **rec)
{
    if (!h || !rec)
        return MSL_API_EUSAGE;
    *rec = NULL;
    api_rec_free(h->cur);
    h->cur = NULL;
    if (h->open_err)
        return api_fail(h, h->open_err, "%s", h->open_msg);
    if (!h->started) {
        if (pthread_create(&h->thread, NULL, api_produce, h) != 0)
            return api_fail(h, MSL_API_ENOMEM, "cannot start the producer thread");
        h->started = 1;
    }
    if (h->joined)
        return end_status(h);
    struct msl_api_rec *r = api_queue_get(&h->q);
    if (!r)
        return end_status(h);
    h->cur = r;
    *rec = r;
    return 1;
}

int msl_api_trace(struct msl_api *h, const char *expr, char **json)
{
    if (!h || !json)
        return MSL_API_EUSAGE;
    *json = NULL;
    if (h->open_err)
        return api_fail(h, h->open_err, "%s", h->open_msg);
    char err[256] = "";
    size_t col = 0;
    struct msl_query *q = NULL;
    if (!expr || msl_query_compile(expr, h->tz, &q, err, sizeof err, &col) != MSL_OK)
        return api_fail(h, MSL_API_EPARSE, "bad trace expression: %s (column %zu)",
                        expr ? err : "none given", col);
    struct msl_trace *t = msl_trace_new(q, expr);
    if (!t) {
        msl_query_free(q);
        return api_fail(h, MSL_API_ENOMEM, "out of memory");
    }
    struct msl_run run = {0};
    struct msl_run_opts ro = h->ro;
    ro.hash = 1; /* like trace -f json: the answer carries the inputs' fingerprints */
    struct msl_sink outer = {0};
    int rc = msl_trace_run(t, (const char *const *)h->paths, h->npaths, &ro, &outer, &run);
    int out = MSL_API_OK;
    if (rc == MSL_ENOMEM) {
        out = api_fail(h, MSL_API_ENOMEM, "out of memory");
    } else {
        size_t len = 0;
        FILE *mem = open_memstream(json, &len);
        int wrc = mem ? msl_trace_write_json(t, &run, h->tz, NULL, mem) : MSL_ENOMEM;
        if (mem && fclose(mem) != 0)
            wrc = MSL_ENOMEM;
        if (wrc != MSL_OK) {
            free(*json);
            *json = NULL;
            out = api_fail(h, MSL_API_ENOMEM, "writing the trace failed");
        } else if (rc == MSL_EINPUT || run.totals.errors) {
            out = api_fail(h, MSL_API_EINPUT, "%u input error%s (the trace covers the rest)",
                           run.totals.errors, run.totals.errors == 1 ? "" : "s");
        }
    }
    msl_run_free(&run);
    msl_trace_free(t);
    msl_query_free(q);
    return out;
}

void msl_api_free(void *p)
{
    free(p);
}

const char *msl_api_version(void)
{
    return "0.1";
}
