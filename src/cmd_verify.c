/*
 * cmd_verify.c - `verify`: an evidence manifest.  For every input file and archive member
 * its SHA-256 and size; for every source its format, lines, events, lines not understood,
 * first/last time per host, clock steps backwards and silent gaps.  `--against MANIFEST`
 * re-fingerprints the inputs and reports every file that changed, vanished or appeared
 * (exit 1 when anything differs), proving whether the evidence is what it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "mailsleuth/store.h"
#include "report/event_out.h"
#include "report/provenance.h"
#include "util/esc.h"
#include "util/manifest_read.h"
#include "util/strmap.h"

#define GAP_US (15LL * 60 * 1000000) /* a silence this long is listed */
#define BACKSTEP_US 1000000LL       /* time going backwards by more than this is listed */
#define MAX_LISTED 20               /* gaps / back-steps listed per source */

struct host_span {
    long long first, last, events;
};

struct span {
    long long from, to;
    unsigned long long line;
};

struct src_stats {
    long long events, last_ts;
    unsigned long long last_line;
    struct strmap *hosts; /* host -> host_span */
    struct span gaps[MAX_LISTED], backs[MAX_LISTED];
    size_t ngaps, nbacks;
    long long total_gaps, total_backs;
};

struct verify {
    struct app *a;
    struct src_stats *src;
    size_t nsrc;
};

static struct src_stats *stats_for(struct verify *v, uint32_t id)
{
    if (id >= v->nsrc) {
        size_t n = (size_t)id + 1;
        struct src_stats *ns = realloc(v->src, n * sizeof *ns);
        if (!ns)
            return NULL;
        memset(ns + v->nsrc, 0, (n - v->nsrc) * sizeof *ns);
        v->src = ns;
        v->nsrc = n;
    }
    struct src_stats *s = &v->src[id];
    if (!s->hosts)
        s->hosts = strmap_new(sizeof(struct host_span));
    return s->hosts ? s : NULL;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct verify *v = a->consumer;
    app_progress(a);
    struct src_stats *s = stats_for(v, e->ev.src);
    if (!s) {
        a->failed = 1;
        return 1;
    }
    if (s->events) {
        long long d = e->ts - s->last_ts;
        if (d >= GAP_US) {
            if (s->ngaps < MAX_LISTED)
                s->gaps[s->ngaps++] = (struct span){s->last_ts, e->ts, e->ev.line};
            s->total_gaps++;
        } else if (-d > BACKSTEP_US) {
            if (s->nbacks < MAX_LISTED)
                s->backs[s->nbacks++] = (struct span){s->last_ts, e->ts, e->ev.line};
            s->total_backs++;
        }
    }
    s->events++;
    s->last_ts = e->ts;
    s->last_line = e->ev.line;
    struct host_span *h = strmap_get(s->hosts, e->host.p ? e->host.p : "", e->host.n, NULL);
    if (!h) {
        a->failed = 1;
        return 1;
    }
    if (!h->events || e->ts < h->first)
        h->first = e->ts;
    if (e->ts > h->last)
        h->last = e->ts;
    h->events++;
    return 0;
}

static void jstr(struct buf *b, const char *s)
{
    buf_addc(b, '"');
    esc_json(b, s ? s : "", s ? strlen(s) : 0);
    buf_addc(b, '"');
}

static void jtime(struct buf *b, long long us)
{
    if (!us) {
        buf_adds(b, "null");
        return;
    }
    buf_addc(b, '"');
    event_fmt_time(b, NULL, us);
    buf_addc(b, '"');
}

static void spans_json(struct buf *b, const char *key, const struct span *sp, size_t n,
                       long long total, const char *src)
{
    buf_addf(b, ",\"%s_total\":%lld,\"%s\":[", key, total, key);
    for (size_t i = 0; i < n; i++) {
        buf_adds(b, i ? ",{\"from\":" : "{\"from\":");
        jtime(b, sp[i].from);
        buf_adds(b, ",\"to\":");
        jtime(b, sp[i].to);
        buf_addf(b, ",\"seconds\":%.0f,\"evidence\":", (double)(sp[i].to - sp[i].from) / 1e6);
        struct buf ev;
        buf_init(&ev, 1 << 16);
        buf_adds(&ev, src);
        buf_addf(&ev, ":%llu", sp[i].line);
        jstr(b, ev.p);
        buf_free(&ev);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

static int cmp_key(const void *x, const void *y)
{
    const struct strmap_entry *a = *(const struct strmap_entry *const *)x;
    const struct strmap_entry *b = *(const struct strmap_entry *const *)y;
    return strcmp(a->key, b->key);
}

static void manifest_json(struct buf *b, struct verify *v)
{
    struct app *a = v->a;
    const struct msl_run *run = &a->run;
    buf_adds(b, "{\"schema\":1,\"kind\":\"mailsleuth-manifest\",");
    provenance_json(b, &a->inv, a->tz, NULL);
    buf_adds(b, ",\n\"inputs\":[\n");
    for (size_t i = 0; i < run->nhashes; i++) {
        const struct msl_run_hash *h = &run->hashes[i];
        buf_adds(b, "{\"name\":");
        jstr(b, h->name);
        buf_addf(b, ",\"member\":%s,\"size\":%lld,\"sha256\":\"%s\"}%s\n",
                 h->member ? "true" : "false", (long long)h->size, h->sha256,
                 i + 1 < run->nhashes ? "," : "");
    }
    buf_adds(b, "],\n\"sources\":[\n");
    for (size_t i = 0; i < run->nsources; i++) {
        const struct msl_run_source *rs = &run->sources[i];
        struct src_stats *s = i < v->nsrc ? &v->src[i] : NULL;
        const char *name = rs->name ? rs->name : "?";
        buf_adds(b, "{\"name\":");
        jstr(b, name);
        buf_addf(b, ",\"format\":\"%s\",\"compression\":\"%s\",\"lines\":%llu,\"bytes\":%llu,"
                    "\"events\":%lld,\"complete\":%s,\"truncated_lines\":%llu,\"nul_lines\":%llu,"
                    "\"first\":",
                 rs->format ? rs->format : "", msl_compression_name(rs->compression),
                 (unsigned long long)rs->stats.lines, (unsigned long long)rs->stats.bytes,
                 s ? s->events : 0, rs->stats.error ? "false" : "true",
                 (unsigned long long)rs->stats.truncated_lines,
                 (unsigned long long)rs->stats.nul_lines);
        jtime(b, rs->first_ts);
        buf_adds(b, ",\"last\":");
        jtime(b, rs->last_ts);
        buf_adds(b, ",\"hosts\":[");
        size_t nh = 0;
        const struct strmap_entry **hs = s && s->hosts ? strmap_sorted(s->hosts, cmp_key, &nh)
                                                       : NULL;
        for (size_t j = 0; j < nh; j++) {
            const struct host_span *h = hs[j]->val;
            buf_adds(b, j ? ",{\"host\":" : "{\"host\":");
            jstr(b, hs[j]->key);
            buf_addf(b, ",\"events\":%lld,\"first\":", h->events);
            jtime(b, h->first);
            buf_adds(b, ",\"last\":");
            jtime(b, h->last);
            buf_addc(b, '}');
        }
        free(hs);
        buf_addc(b, ']');
        if (s) {
            spans_json(b, "gaps", s->gaps, s->ngaps, s->total_gaps, name);
            spans_json(b, "time_backwards", s->backs, s->nbacks, s->total_backs, name);
        }
        buf_addf(b, "}%s\n", i + 1 < run->nsources ? "," : "");
    }
    buf_addf(b, "],\n\"lines\":%llu,\"events\":%llu,\"unparsed\":%llu}\n",
             (unsigned long long)run->totals.lines, (unsigned long long)run->events,
             (unsigned long long)run->unparsed);
}

static void manifest_text(struct buf *b, struct verify *v)
{
    const struct msl_run *run = &v->a->run;
    buf_addf(b, "mailsleuth %s evidence manifest (zone %s)\n\nfingerprints (SHA-256):\n",
             MSL_VERSION, msl_tz_name(v->a->tz));
    for (size_t i = 0; i < run->nhashes; i++) {
        const struct msl_run_hash *h = &run->hashes[i];
        buf_addf(b, "  %s %12lld  ", h->sha256, (long long)h->size);
        esc_text(b, h->name, strlen(h->name));
        buf_adds(b, h->member ? "  (archive member)\n" : "\n");
    }
    buf_adds(b, "\nsources:\n");
    for (size_t i = 0; i < run->nsources; i++) {
        const struct msl_run_source *rs = &run->sources[i];
        struct src_stats *s = i < v->nsrc ? &v->src[i] : NULL;
        buf_adds(b, "  ");
        esc_text(b, rs->name ? rs->name : "?", rs->name ? strlen(rs->name) : 1);
        buf_addf(b, ": %s, %llu lines, %lld events%s\n", rs->format ? rs->format : "?",
                 (unsigned long long)rs->stats.lines, s ? s->events : 0,
                 rs->stats.error ? ", INCOMPLETE (read error)" : "");
        if (rs->first_ts) {
            buf_adds(b, "    covers ");
            event_fmt_time(b, v->a->tz, rs->first_ts);
            buf_adds(b, " .. ");
            event_fmt_time(b, v->a->tz, rs->last_ts);
            buf_addc(b, '\n');
        }
        for (size_t j = 0; s && j < s->ngaps; j++) {
            buf_addf(b, "    gap of %.0f min before line %llu (", (double)(s->gaps[j].to - s->gaps[j].from) / 6e7,
                     s->gaps[j].line);
            event_fmt_time(b, v->a->tz, s->gaps[j].from);
            buf_adds(b, " .. ");
            event_fmt_time(b, v->a->tz, s->gaps[j].to);
            buf_adds(b, ")\n");
        }
        for (size_t j = 0; s && j < s->nbacks; j++)
            buf_addf(b, "    time goes back %.0f s at line %llu\n",
                     (double)(s->backs[j].from - s->backs[j].to) / 1e6, s->backs[j].line);
    }
    buf_addf(b, "\n%llu lines, %llu events, %llu lines not understood\n",
             (unsigned long long)run->totals.lines, (unsigned long long)run->events,
             (unsigned long long)run->unparsed);
}

/* --- --against: read the inputs of an earlier manifest -------------------------------- */

/* --db CASE: the fingerprints a case made by ingest holds (its latest version of each) */
struct case_inputs {
    struct manifest_input *arr;
    size_t n, cap;
    char **paths; /* the files they are in, each once, when no input is named */
    size_t npaths;
};

static int case_input(void *ctx, const char *name, const char *path, int member,
                      const char *sha256, int64_t size)
{
    struct case_inputs *ci = ctx;
    (void)member;
    if (ci->n == ci->cap) {
        size_t cap = ci->cap ? ci->cap * 2 : 64;
        struct manifest_input *na = realloc(ci->arr, cap * sizeof *na);
        char **np = realloc(ci->paths, cap * sizeof *np);
        if (na)
            ci->arr = na;
        if (np)
            ci->paths = np;
        if (!na || !np)
            return 1;
        ci->cap = cap;
    }
    struct manifest_input *o = &ci->arr[ci->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(o->sha256, sizeof o->sha256, "%s", sha256);
    o->size = size;
    int seen = 0;
    for (size_t i = 0; i < ci->npaths && !seen; i++)
        seen = !strcmp(ci->paths[i], path);
    if (!seen && !(ci->paths[ci->npaths] = strdup(path)))
        return 1;
    ci->npaths += !seen;
    return 0;
}

static int read_case(const char *db, struct case_inputs *ci)
{
    char err[2048];
    struct msl_store *st;
    int rc = msl_store_open(db, MSL_STORE_READ, &st, err, sizeof err);
    if (rc == MSL_OK && msl_store_each_source(st, case_input, ci) != MSL_OK)
        snprintf(err, sizeof err, "%s", msl_store_error(st)), rc = MSL_EIO;
    msl_store_close(st);
    if (rc != MSL_OK)
        fprintf(stderr, "mailsleuth: %s\n", err);
    return rc;
}

static void case_free(struct case_inputs *ci)
{
    for (size_t i = 0; i < ci->npaths; i++)
        free(ci->paths[i]);
    free(ci->paths);
    free(ci->arr);
}

static int against(struct verify *v, const char *path, struct case_inputs *ci)
{
    struct manifest_input *old = NULL;
    size_t nold = 0;
    char err[512];
    if (ci) { /* --db: the case's fingerprints */
        old = ci->arr;
        nold = ci->n;
        ci->arr = NULL;
    } else if (manifest_read(path, &old, &nold, err, sizeof err) != 0) {
        struct buf b;
        buf_init(&b, 1 << 16);
        esc_text(&b, path, strlen(path));
        fprintf(stderr, "mailsleuth: cannot use manifest %s: %s\n", b.p ? b.p : "", err);
        buf_free(&b);
        return EXIT_USAGE;
    }
    if (nold == 0) {
        fprintf(stderr, "mailsleuth: %s holds no input fingerprints (not a mailsleuth manifest?)\n",
                path);
        free(old);
        return EXIT_USAGE;
    }
    const struct msl_run *run = &v->a->run;
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    size_t same = 0, changed = 0, added = 0, missing = 0;
    for (size_t i = 0; i < run->nhashes; i++) {
        const struct msl_run_hash *h = &run->hashes[i];
        struct manifest_input *o = NULL;
        for (size_t j = 0; j < nold && !o; j++)
            if (!old[j].seen && strcmp(old[j].name, h->name) == 0)
                o = &old[j];
        if (!o) {
            added++;
            buf_adds(&b, "NEW      ");
        } else {
            o->seen = 1;
            if (strcmp(o->sha256, h->sha256) == 0) {
                same++;
                continue;
            }
            changed++;
            buf_addf(&b, "CHANGED  (was %lld bytes, %.16s...; now %lld bytes, %.16s...)  ",
                     o->size, o->sha256, (long long)h->size, h->sha256);
        }
        esc_text(&b, h->name, strlen(h->name));
        buf_addc(&b, '\n');
    }
    for (size_t j = 0; j < nold; j++) {
        if (old[j].seen)
            continue;
        missing++;
        buf_adds(&b, "MISSING  ");
        esc_text(&b, old[j].name, strlen(old[j].name));
        buf_addc(&b, '\n');
    }
    buf_addf(&b, "verify against %s: %zu unchanged, %zu changed, %zu missing, %zu new\n", path,
             same, changed, missing, added);
    fwrite(b.p, 1, b.n, stdout);
    buf_free(&b);
    free(old);
    return changed || missing || added ? EXIT_FINDINGS : EXIT_OK;
}

int cmd_verify(struct app *a)
{
    const char *f = a->cli.format;
    int json = f && !strcmp(f, "json");
    if (f && !json && strcmp(f, "text") != 0) {
        fprintf(stderr, "mailsleuth: verify writes text or json, not '%s'\n", f);
        return EXIT_USAGE;
    }
    /* --db CASE: the evidence against the fingerprints the case recorded; without inputs
     * named, the files the case was made from */
    struct case_inputs ci = {0};
    if (a->cli.db) {
        if (a->cli.against) {
            fprintf(stderr, "mailsleuth: verify compares with a manifest (--against) or a case "
                            "(--db), not both\n");
            return EXIT_USAGE;
        }
        if (read_case(a->cli.db, &ci) != MSL_OK) {
            case_free(&ci);
            return EXIT_USAGE;
        }
        if (a->cli.npaths == 0) {
            /* a list of its own: the case may name more files than the command line had */
            const char **p = calloc(ci.npaths + 1, sizeof *p);
            if (!p) {
                case_free(&ci);
                return EXIT_INTERNAL;
            }
            free(a->cli.paths);
            a->cli.paths = p;
            for (size_t i = 0; i < ci.npaths; i++)
                a->cli.paths[a->cli.npaths++] = ci.paths[i];
            if (a->cli.npaths == 0) {
                fprintf(stderr, "mailsleuth: %s holds no fingerprinted source\n", a->cli.db);
                case_free(&ci);
                return EXIT_USAGE;
            }
        }
    }
    int rc = app_setup(a);
    if (rc) {
        case_free(&ci);
        return rc;
    }
    struct verify v = {.a = a};
    a->consumer = &v;
    a->ro.hash = 1;
    struct msl_sink sink = app_sink(a, on_event);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    int wrc = MSL_OK;
    int diff = EXIT_OK;
    if (!a->failed) {
        if (a->cli.against || a->cli.db) {
            diff = against(&v, a->cli.db ? a->cli.db : a->cli.against, a->cli.db ? &ci : NULL);
        } else {
            struct buf b;
            buf_init(&b, (size_t)1 << 30);
            if (json)
                manifest_json(&b, &v);
            else
                manifest_text(&b, &v);
            wrc = b.err;
            fwrite(b.p, 1, b.n, stdout);
            buf_free(&b);
        }
    }
    for (size_t i = 0; i < v.nsrc; i++)
        strmap_free(v.src[i].hosts);
    free(v.src);
    rc = app_finish(a, run_rc, wrc);
    a->cli.npaths = 0; /* the case's paths go with it */
    case_free(&ci);
    return rc != EXIT_OK ? rc : diff;
}
