/*
 * pipeline.c - reader -> format (envelope + dialect for syslog) -> sink, in one pass.
 *
 * Per source the first SAMPLE_LINES lines (at most SAMPLE_BYTES) are copied aside until the
 * format is chosen, then replayed; after that every line goes straight to the format.
 * Unparsed reasons are counted in a string map keyed by reason text; a one-entry cache
 * keyed by the reason pointer keeps the hash off the common path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "pipeline/handoff.h"
#include "util/buf.h"
#include "mailsleuth/calendar.h"
#include "util/strmap.h"

#define SAMPLE_LINES 64
#define ZONE_SAMPLES 64        /* distinct queue ids looked at for the zone */
#define DUP_MAX (1u << 20)     /* lines remembered for cross-input duplicates (16 MiB) */
#define ZONE_STEP 900          /* offsets are whole quarter hours */
#define SAMPLE_BYTES (256u * 1024u)

struct sample_line {
    struct msl_line ln; /* ln.p is an offset into sample.p until replay */
    size_t off;
};

struct pipe {
    const struct msl_run_opts *opts;
    const struct msl_sink *sink;
    struct msl_run *run;
    const struct msl_format *forced;
    /* the current source */
    struct msl_run_source *cur;
    struct msl_format_src fsrc;
    const struct msl_format *fmt;
    void *fst;
    int sampling;
    struct buf sample;
    struct sample_line lines[SAMPLE_LINES];
    size_t nlines;
    const struct msl_line *ln; /* line being parsed, for evidence */
    struct msl_tz *src_tz;     /* zone inferred for this source (owned), or NULL */
    /* zone probe: first stamp minus embedded UTC time, per distinct queue id */
    char zq[ZONE_SAMPLES][24];
    long long zd[ZONE_SAMPLES], zts[ZONE_SAMPLES];
    size_t nz;
    /* cross-input duplicates: 48-bit hash of a reject/warning/auth line | source << 48 */
    uint64_t *dup;
    size_t dup_cap, dup_n;
    /* unparsed reasons */
    struct strmap *reasons;
    const char *last_why; /* the map's own copy of the last reason */
    uint64_t *last_why_count;
    int stop;
    int nomem; /* out of memory: the run stops and says so */
    struct msl_handoff *ho; /* the sink's thread (opts.threads >= 2), or NULL */
};

static void count_reason(struct pipe *pp, const struct msl_line *ln, const char *why)
{
    size_t whylen = strlen(why);
    pp->run->unparsed++;
    uint64_t *c;
    /* formats may reuse one buffer for different reasons: compare text, not pointers */
    if (pp->last_why && strcmp(why, pp->last_why) == 0) {
        c = pp->last_why_count;
    } else {
        c = strmap_get(pp->reasons, why, whylen, NULL);
        if (!c)
            return;
        const struct strmap_entry *ent = strmap_lookup(pp->reasons, why, whylen);
        pp->last_why = ent ? ent->key : NULL;
        pp->last_why_count = c;
    }
    (*c)++;
    if (pp->sink->unparsed && pp->ho)
        msl_handoff_unparsed(pp->ho, ln, why);
    else if (pp->sink->unparsed)
        pp->sink->unparsed(pp->sink->ctx, ln, why);
}

/*
 * Syslog setups write warnings, errors and rejects to mail.warn/mail.err as well as
 * mail.log, and Exim writes every reject to both mainlog and rejectlog: the same line in
 * two inputs is one event.  Returns 1 when this line was already seen in another input.
 */
static int duplicate_elsewhere(struct pipe *pp, const struct msl_line *ln)
{
    const uint64_t mask = (1ULL << 48) - 1;
    if (pp->dup_n * 2 >= pp->dup_cap) {
        if (pp->dup_cap >= 2 * (size_t)DUP_MAX)
            return 0; /* full: remember no more (bounded memory) */
        size_t ncap = pp->dup_cap ? pp->dup_cap * 2 : 4096;
        uint64_t *nd = calloc(ncap, sizeof *nd);
        if (!nd)
            return 0;
        for (size_t i = 0; i < pp->dup_cap; i++) {
            if (!pp->dup[i])
                continue;
            size_t j = (size_t)(pp->dup[i] & mask) & (ncap - 1);
            while (nd[j])
                j = (j + 1) & (ncap - 1);
            nd[j] = pp->dup[i];
        }
        free(pp->dup);
        pp->dup = nd;
        pp->dup_cap = ncap;
    }
    uint64_t h = (strmap_hash(ln->p, ln->n) & mask) | 1;
    uint64_t src = (uint64_t)((ln->src + 1) & 0xffff);
    size_t i = (size_t)h & (pp->dup_cap - 1);
    while (pp->dup[i]) {
        if ((pp->dup[i] & mask) == h)
            return (pp->dup[i] >> 48) != src;
        i = (i + 1) & (pp->dup_cap - 1);
    }
    pp->dup[i] = h | src << 48;
    pp->dup_n++;
    return 0;
}

/* The format's emit callback: evidence, filters, stats, then the sink. */
static int emit(void *ctx, struct msl_event *e)
{
    struct pipe *pp = ctx;
    const struct msl_line *ln = pp->ln;
    e->ev = (struct msl_evidence){ln->src, ln->lineno, ln->offset};
    e->raw = (struct msl_str){ln->p, ln->n};
    if (ln->flags & MSL_LINE_TRUNCATED)
        e->flags |= MSL_EVF_TRUNCATED;
    /* every dialect's deliveries: the next hop's id in the reply links the hop */
    if (e->kind == MSL_EV_DELIVERY && !e->new_qid.p && e->status == MSL_ST_SENT)
        e->new_qid = msl_reply_next_id(e->text);
    struct msl_run *run = pp->run;
    if ((e->kind == MSL_EV_REJECT || e->kind == MSL_EV_WARNING || e->kind == MSL_EV_ERROR ||
         e->kind == MSL_EV_AUTH_FAIL) &&
        duplicate_elsewhere(pp, ln)) {
        run->duplicates++; /* reported in every summary; the first copy made the event */
        return 0;
    }
    if (e->flags & MSL_EVF_REPEATED)
        run->repeated++;
    if ((pp->opts->since && e->ts < pp->opts->since) ||
        (pp->opts->until && e->ts >= pp->opts->until)) {
        run->filtered++;
        return 0;
    }
    run->events++;
    if (!run->first_ts || e->ts < run->first_ts)
        run->first_ts = e->ts;
    if (e->ts > run->last_ts)
        run->last_ts = e->ts;
    if (pp->cur) {
        if (!pp->cur->first_ts || e->ts < pp->cur->first_ts)
            pp->cur->first_ts = e->ts;
        if (e->ts > pp->cur->last_ts)
            pp->cur->last_ts = e->ts;
    }
    if (pp->ho) {
        if (msl_handoff_event(pp->ho, e)) {
            pp->stop = 1;
            return 1;
        }
        return 0;
    }
    if (pp->sink->event && pp->sink->event(pp->sink->ctx, e)) {
        pp->stop = 1;
        return 1;
    }
    return 0;
}

static int parse_line(struct pipe *pp, const struct msl_line *ln)
{
    if (!pp->fst) {
        count_reason(pp, ln, "format could not start (out of memory)");
        pp->nomem = 1; /* the run says so and fails: its answer would leave the source out */
        return 1;
    }
    const char *why = NULL;
    struct msl_emitter em = {pp, emit};
    pp->ln = ln;
    int n = pp->fmt->line(pp->fst, ln, &em, &why);
    if (n < 0 || pp->stop)
        return 1;
    if (n == 0 && why)
        count_reason(pp, ln, why);
    return 0;
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct pipe *pp = ctx;
    if (pp->sink->problem && pp->ho)
        msl_handoff_problem(pp->ho, k, name, msg);
    else if (pp->sink->problem)
        pp->sink->problem(pp->sink->ctx, k, name, msg);
}

static int probe_emit(void *ctx, struct msl_event *e)
{
    struct pipe *pp = ctx;
    if (!(e->flags & MSL_EVF_LOCAL_TIME) || !e->qid_time || !e->qid.n || e->qid.n >= 24 ||
        pp->nz >= ZONE_SAMPLES)
        return 0;
    for (size_t i = 0; i < pp->nz; i++)
        if (strlen(pp->zq[i]) == e->qid.n && memcmp(pp->zq[i], e->qid.p, e->qid.n) == 0)
            return 0; /* only a queue id's first line is near its enqueue time */
    memcpy(pp->zq[pp->nz], e->qid.p, e->qid.n);
    pp->zq[pp->nz][e->qid.n] = '\0';
    pp->zd[pp->nz] = (e->ts - e->qid_time) / 1000000;
    pp->zts[pp->nz] = e->qid_time / 1000000;
    pp->nz++;
    return 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/*
 * Sendmail and Exim queue ids and Postfix long queue ids carry their UTC enqueue time.  A
 * zone-less stamp read in zone Z gives e.ts = wall - off(Z); the id gives wall - off(true),
 * so e.ts - id_time = off(true) - off(Z).  With 3+ ids agreeing on a whole quarter-hour
 * error, the source is read in the zone the ids show (or, with an explicit --tz, warned).
 */
static long long probe_median(struct pipe *pp, const struct msl_format *f)
{
    pp->nz = 0;
    void *st = f->open(&pp->fsrc);
    if (!st)
        return 0;
    struct msl_emitter em = {pp, probe_emit};
    for (size_t i = 0; i < pp->nlines; i++) {
        const char *why;
        f->line(st, &pp->lines[i].ln, &em, &why);
    }
    f->close(st);
    if (pp->nz < 3)
        return 0;
    long long d[ZONE_SAMPLES];
    memcpy(d, pp->zd, pp->nz * sizeof d[0]);
    qsort(d, pp->nz, sizeof d[0], cmp_ll);
    return d[pp->nz / 2];
}

static void infer_zone(struct pipe *pp, const struct msl_format *f)
{
    long long med = probe_median(pp, f);
    if (pp->nz < 3)
        return;
    if ((med > 300LL * 86400 || med < -300LL * 86400) && !pp->opts->year) {
        /* year-less stamps put in the wrong year: the ids know the year */
        long long z = pp->zts[0];
        int year, mon, mday;
        msl_civil_from_days(z >= 0 ? z / 86400 : -((-z + 86399) / 86400), &year, &mon, &mday);
        char msg[200];
        snprintf(msg, sizeof msg, "year-less stamps dated %d: %zu queue ids carry their UTC "
                 "time and say so (the file's modification time suggested another year)",
                 year, pp->nz);
        on_problem(pp, MSL_PROB_WARNING, pp->fsrc.name, msg);
        pp->fsrc.year = year;
        if (pp->cur)
            pp->cur->year_inferred = year;
        med = probe_median(pp, f);
        if (pp->nz < 3)
            return;
    }
    long long d[ZONE_SAMPLES];
    memcpy(d, pp->zd, pp->nz * sizeof d[0]);
    qsort(d, pp->nz, sizeof d[0], cmp_ll);
    size_t agree = 0;
    for (size_t i = 0; i < pp->nz; i++)
        agree += d[i] >= med - 300 && d[i] <= med + 300;
    long long err = (med >= 0 ? med + ZONE_STEP / 2 : med - ZONE_STEP / 2) / ZONE_STEP * ZONE_STEP;
    if (agree * 5 < pp->nz * 4 || err == 0 || err > 26 * 3600 || err < -26 * 3600)
        return;
    long long off = msl_tz_offset_at(pp->opts->tz, pp->zts[0]) + err;
    char name[48], msg[320];
    long long a = off < 0 ? -off : off;
    snprintf(name, sizeof name, "%c%02lld:%02lld", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
    const char *assumed = msl_tz_name(pp->opts->tz);
    if (pp->opts->tz_explicit) {
        snprintf(msg, sizeof msg, "%zu queue ids carry their UTC time and say these stamps are "
                 "UTC%s, not %s as --tz says; keeping --tz", pp->nz, name, assumed);
        on_problem(pp, MSL_PROB_WARNING, pp->fsrc.name, msg);
        return;
    }
    struct msl_tz *tz = msl_tz_load(name);
    if (!tz)
        return;
    pp->src_tz = tz;
    pp->fsrc.tz = tz;
    if (pp->cur) {
        snprintf(pp->cur->zone, sizeof pp->cur->zone, "UTC%s", name);
        pp->cur->zone_inferred = 1;
    }
    snprintf(msg, sizeof msg, "zone-less stamps read as UTC%s: %zu queue ids carry their UTC "
             "time and say so (the assumed zone %s is off by %+lld min)", name, pp->nz, assumed,
             err / 60);
    on_problem(pp, MSL_PROB_WARNING, pp->fsrc.name, msg);
}

/* Picks the format for the current source from the sampled lines, then replays them. */
static int choose_and_replay(struct pipe *pp)
{
    pp->sampling = 0;
    struct msl_str views[SAMPLE_LINES];
    for (size_t i = 0; i < pp->nlines; i++) {
        pp->lines[i].ln.p = pp->sample.p + pp->lines[i].off;
        views[i] = (struct msl_str){pp->lines[i].ln.p, pp->lines[i].ln.n};
    }
    const struct msl_format *best = pp->forced;
    int score = 100;
    if (pp->cur)
        for (size_t i = 0; i < sizeof pp->cur->scores / sizeof pp->cur->scores[0]; i++)
            pp->cur->scores[i] = -1;
    if (!best) {
        const struct msl_format *const *fs = msl_formats();
        best = fs[0];
        score = -1;
        for (size_t i = 0; fs[i]; i++) {
            int sc = fs[i]->detect(views, pp->nlines);
            if (pp->cur && i < sizeof pp->cur->scores / sizeof pp->cur->scores[0])
                pp->cur->scores[i] = sc;
            if (sc > score) {
                score = sc;
                best = fs[i];
            }
        }
    }
    if (pp->cur) {
        pp->cur->format = best->name;
        pp->cur->format_score = score < 0 ? 0 : score;
    }
    if (pp->opts->detect_only) {
        pp->nlines = 0;
        return 0;
    }
    infer_zone(pp, best);
    pp->fmt = best;
    pp->fst = best->open(&pp->fsrc);
    for (size_t i = 0; i < pp->nlines; i++)
        if (parse_line(pp, &pp->lines[i].ln))
            return 1;
    pp->nlines = 0;
    buf_reset(&pp->sample);
    return 0;
}

static int on_line(void *ctx, const struct msl_line *ln)
{
    struct pipe *pp = ctx;
    if (pp->sampling) {
        if (pp->nlines < SAMPLE_LINES && pp->sample.n + ln->n <= SAMPLE_BYTES) {
            size_t off = pp->sample.n;
            if (buf_add(&pp->sample, ln->p, ln->n) != 0) {
                pp->nomem = 1; /* a sample line that is not there cannot be replayed */
                return 1;
            }
            struct sample_line *sl = &pp->lines[pp->nlines++];
            sl->ln = *ln;
            sl->off = off;
            return 0;
        }
        if (choose_and_replay(pp))
            return 1;
    }
    if (pp->opts->detect_only)
        return 0;
    return parse_line(pp, ln);
}

static int on_begin(void *ctx, const struct msl_source_info *si)
{
    struct pipe *pp = ctx;
    struct msl_run *run = pp->run;
    if (si->id >= run->nsources) {
        size_t n = (size_t)si->id + 1;
        struct msl_run_source *ns = realloc(run->sources, n * sizeof *ns);
        if (!ns) {
            pp->nomem = 1; /* never a source skipped in silence */
            return 1;
        }
        memset(ns + run->nsources, 0, (n - run->nsources) * sizeof *ns);
        run->sources = ns;
        run->nsources = n;
    }
    struct msl_run_source *rs = &run->sources[si->id];
    rs->name = strdup(si->name);
    if (!rs->name) {
        pp->nomem = 1;
        return 1;
    }
    /* published for the sink's thread before any event of this source is handed over */
    size_t ck = si->id / MSL_RUN_NAME_CHUNK;
    if (ck < MSL_RUN_NAME_CHUNKS) {
        if (!run->name_chunks_[ck] &&
            !(run->name_chunks_[ck] = calloc(MSL_RUN_NAME_CHUNK, sizeof(char *)))) {
            pp->nomem = 1;
            return 1;
        }
        run->name_chunks_[ck][si->id % MSL_RUN_NAME_CHUNK] = rs->name;
    }
    rs->mtime = si->mtime;
    rs->compression = si->compression;
    snprintf(rs->zone, sizeof rs->zone, "%s", msl_tz_name(pp->opts->tz));
    rs->year_inferred = 0;
    pp->cur = rs;
    pp->fsrc = (struct msl_format_src){.tz = pp->opts->tz, .mtime = si->mtime,
                                       .year = pp->opts->year, .dialect = pp->opts->dialect,
                                       .name = rs->name};
    pp->sampling = 1;
    pp->nlines = 0;
    buf_reset(&pp->sample);
    if (pp->sink->source)
        pp->sink->source(pp->sink->ctx, si);
    return 0;
}

static void close_format(struct pipe *pp)
{
    if (pp->fmt && pp->fst)
        pp->fmt->close(pp->fst);
    pp->fmt = NULL;
    pp->fst = NULL;
    msl_tz_free(pp->src_tz);
    pp->src_tz = NULL;
}

static void on_end(void *ctx, const struct msl_source_info *si, const struct msl_source_stats *st)
{
    struct pipe *pp = ctx;
    if (pp->sampling && !pp->stop)
        choose_and_replay(pp); /* short source: every line was in the sample */
    if (si->id < pp->run->nsources)
        pp->run->sources[si->id].stats = *st;
    close_format(pp);
    pp->cur = NULL;
}


static void on_hashed(void *ctx, const char *name, int member, int64_t size, const char *sha256)
{
    struct pipe *pp = ctx;
    struct msl_run *run = pp->run;
    struct msl_run_hash *nh = realloc(run->hashes, (run->nhashes + 1) * sizeof *nh);
    if (!nh)
        return;
    run->hashes = nh;
    struct msl_run_hash *h = &nh[run->nhashes];
    h->name = strdup(name);
    if (!h->name)
        return;
    h->member = member;
    h->size = size;
    snprintf(h->sha256, sizeof h->sha256, "%s", sha256);
    run->nhashes++;
}

static int by_count_desc(const void *a, const void *b)
{
    const struct msl_reason_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->why, y->why);
}

static void collect_reason(void *ctx, const struct strmap_entry *e)
{
    struct msl_run *run = ctx;
    run->reasons[run->nreasons].why = strdup(e->key);
    run->reasons[run->nreasons].count = *(const uint64_t *)e->val;
    run->nreasons++;
}

int msl_run(const char *const *paths, size_t npaths, const struct msl_run_opts *opts,
            const struct msl_sink *sink, struct msl_run *run)
{
    memset(run, 0, sizeof *run);
    struct pipe pp = {.opts = opts, .sink = sink, .run = run};
    if (opts->dialect && !msl_dialect_by_name(opts->dialect))
        return MSL_EUSAGE;
    if (opts->format) {
        pp.forced = msl_format_by_name(opts->format);
        if (!pp.forced)
            return MSL_EUSAGE;
    }
    pp.reasons = strmap_new(sizeof(uint64_t));
    if (!pp.reasons)
        return MSL_ENOMEM;
    buf_init(&pp.sample, SAMPLE_BYTES + MSL_MAX_LINE);
    struct msl_read_cb cb = {.ctx = &pp,
                             .begin = on_begin,
                             .line = on_line,
                             .end = on_end,
                             .problem = on_problem,
                             .hashed = on_hashed};
    struct msl_read_opts ro = {.block_size = opts->block_size, .hash = opts->hash};
    if (opts->threads >= 2 && sink->event)
        pp.ho = msl_handoff_start(sink); /* NULL: no thread to be had, run on this one */
    int rc = msl_read_paths(paths, npaths, &ro, &cb, &run->totals);
    close_format(&pp);
    if (pp.ho && msl_handoff_finish(pp.ho) != MSL_OK && rc == MSL_OK)
        rc = MSL_ENOMEM;
    if (pp.nomem)
        rc = MSL_ENOMEM;
    buf_free(&pp.sample);
    free(pp.dup);
    size_t n = strmap_len(pp.reasons);
    run->reasons = n ? calloc(n, sizeof *run->reasons) : NULL;
    if (run->reasons) {
        strmap_each(pp.reasons, collect_reason, run);
        qsort(run->reasons, run->nreasons, sizeof *run->reasons, by_count_desc);
    }
    strmap_free(pp.reasons);
    run->read_status = rc;
    return rc;
}

void msl_run_free(struct msl_run *run)
{
    for (size_t i = 0; i < run->nreasons; i++)
        free(run->reasons[i].why);
    free(run->reasons);
    for (size_t i = 0; i < run->nsources; i++)
        free(run->sources[i].name);
    free(run->sources);
    for (size_t i = 0; i < run->nhashes; i++)
        free(run->hashes[i].name);
    free(run->hashes);
    for (size_t i = 0; i < MSL_RUN_NAME_CHUNKS; i++)
        free(run->name_chunks_[i]);
    memset(run, 0, sizeof *run);
}

const char *msl_run_source_name(const struct msl_run *run, uint32_t src)
{
    size_t ck = src / MSL_RUN_NAME_CHUNK;
    if (ck < MSL_RUN_NAME_CHUNKS) { /* the table the sink's thread may read */
        const char *n = run->name_chunks_[ck] ? run->name_chunks_[ck][src % MSL_RUN_NAME_CHUNK]
                                              : NULL;
        return n ? n : "?";
    }
    return src < run->nsources && run->sources[src].name ? run->sources[src].name : "?";
}

/* ---- incremental feeding (watch) ------------------------------------------------------ */

struct msl_feed {
    struct pipe pp;
    uint32_t id; /* the source being fed */
    int open;
};

/* The run's source table moves when any feed adds a source: find ours again. */
static void feed_enter(struct msl_feed *f)
{
    f->pp.cur = f->open && f->id < f->pp.run->nsources ? &f->pp.run->sources[f->id] : NULL;
}

struct msl_feed *msl_feed_new(const struct msl_run_opts *opts, const struct msl_sink *sink,
                              struct msl_run *run)
{
    if ((opts->dialect && !msl_dialect_by_name(opts->dialect)) ||
        (opts->format && !msl_format_by_name(opts->format)))
        return NULL;
    struct msl_feed *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->pp = (struct pipe){.opts = opts, .sink = sink, .run = run};
    f->pp.forced = opts->format ? msl_format_by_name(opts->format) : NULL;
    f->pp.reasons = strmap_new(sizeof(uint64_t));
    if (!f->pp.reasons) {
        free(f);
        return NULL;
    }
    buf_init(&f->pp.sample, SAMPLE_BYTES + MSL_MAX_LINE);
    return f;
}

int msl_feed_begin(struct msl_feed *f, const struct msl_source_info *si)
{
    if (f->open)
        msl_feed_end(f, NULL);
    f->id = si->id;
    f->pp.stop = 0;
    if (on_begin(&f->pp, si))
        return MSL_ENOMEM;
    f->open = 1;
    return MSL_OK;
}

int msl_feed_line(struct msl_feed *f, const struct msl_line *ln)
{
    if (!f->open)
        return 0;
    feed_enter(f);
    return on_line(&f->pp, ln);
}

void msl_feed_flush(struct msl_feed *f)
{
    feed_enter(f);
    if (f->open && f->pp.sampling && f->pp.nlines && !f->pp.stop)
        choose_and_replay(&f->pp);
}

void msl_feed_end(struct msl_feed *f, const struct msl_source_stats *st)
{
    if (!f->open)
        return;
    feed_enter(f);
    struct msl_source_stats none = {0};
    struct msl_source_info si = {.id = f->id};
    on_end(&f->pp, &si, st ? st : &none);
    f->open = 0;
}

void msl_feed_free(struct msl_feed *f)
{
    if (!f)
        return;
    msl_feed_end(f, NULL);
    close_format(&f->pp);
    buf_free(&f->pp.sample);
    free(f->pp.dup);
    strmap_free(f->pp.reasons);
    free(f);
}
