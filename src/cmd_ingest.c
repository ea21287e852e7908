/*
 * cmd_ingest.c - `ingest --db CASE.sqlite [FILE|DIR]...`: one pass of the normal pipeline
 * (events, the correlator's messages and sessions, hunt's findings) written into a SQLite
 * case file (include/mailsleuth/store.h, doc/SCHEMA.md) that `sql` then asks.
 *
 * Two reads: the first only fingerprints every input (SHA-256 of each file and archive
 * member, what `verify` records) so that what the case already holds is known before
 * anything is parsed: the same bytes (under the same or another path) are skipped; a file
 * that grew since it was ingested (its first SIZE bytes hash to what the case recorded for
 * that path) has only its new lines ingested.  The second read is the usual run over the
 * inputs that bring something new.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "app.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/site.h"
#include "mailsleuth/store.h"
#include "progress.h"
#include "util/cidr.h"
#include "util/esc.h"
#include "util/sha256.h"
#include "util/strmap.h"

/* A problem the fingerprinting pass met, kept until it is known whether the second read
 * will report it (a source that was opened) or not (a path that could not be read). */
struct fp_problem {
    enum msl_problem_kind kind;
    char *name, *msg;
};

/* One source the fingerprinting pass saw. */
struct item {
    char *name, *path;
    const char *container;
    int64_t size, mtime;
    enum msl_compression comp;
    char sha256[65];
    int excluded;        /* the case file itself (or its journal) */
    int skip;            /* already in the case: nothing of it is ingested */
    uint64_t skip_lines; /* a grown file: its first lines are in the case */
    int64_t continues;
    int path_known;      /* the case has other bytes under this path (grown or rotated) */
    int64_t id;          /* sources.id once recorded */
    /* filled during the run */
    uint64_t events, unparsed;
    char *host;
};

/* What the run needs per run source id. */
struct srcstate {
    int known;
    struct item *it; /* NULL: a source the first pass did not see (recorded unfingerprinted) */
};

struct ingest {
    struct app *a;
    struct msl_store *st;
    struct msl_hunt *h;
    struct msl_correlator *c;
    void (*app_unparsed)(void *ctx, const struct msl_line *ln, const char *why);
    struct item *items;
    size_t nitems, capitems;
    struct strmap *byname; /* name -> index + 1 */
    struct srcstate *srcs;
    size_t nsrcs;
    char dbreal[PATH_MAX];
    struct fp_problem *probs; /* problems of the fingerprinting pass */
    size_t nprobs;
    unsigned input_errors;    /* paths that could not be read at all */
    uint64_t messages, recipients, sessions, events;
    int failed; /* a store write failed: the message is in the store */
};

/* --- the fingerprinting pass ------------------------------------------------------- */

static int is_case_file(const struct ingest *g, const char *path)
{
    char real[PATH_MAX];
    if (!g->dbreal[0] || !realpath(path, real))
        return 0;
    size_t n = strlen(g->dbreal);
    return strncmp(real, g->dbreal, n) == 0 &&
           (!real[n] || !strcmp(real + n, "-wal") || !strcmp(real + n, "-shm") ||
            !strcmp(real + n, "-journal"));
}

static int fp_begin(void *ctx, const struct msl_source_info *si)
{
    struct ingest *g = ctx;
    if (g->nitems == g->capitems) {
        size_t n = g->capitems ? g->capitems * 2 : 64;
        struct item *ni = realloc(g->items, n * sizeof *ni);
        if (!ni)
            return 1;
        g->items = ni;
        g->capitems = n;
    }
    struct item *it = &g->items[g->nitems];
    memset(it, 0, sizeof *it);
    it->name = strdup(si->name);
    it->path = strdup(si->path);
    if (!it->name || !it->path) {
        free(it->name);
        free(it->path);
        return 1;
    }
    it->container = si->container;
    it->size = si->size;
    it->mtime = si->mtime;
    it->comp = si->compression;
    it->excluded = is_case_file(g, si->path);
    g->nitems++;
    /* a file is fingerprinted whole even when skipped here; a member only when read */
    return si->container == NULL;
}

static int fp_line(void *ctx, const struct msl_line *ln)
{
    (void)ctx;
    (void)ln;
    return 0;
}

static void fp_hashed(void *ctx, const char *name, int member, int64_t size, const char *sha)
{
    struct ingest *g = ctx;
    (void)size;
    /* the item of that name (the last one: a path given twice is two items) */
    for (size_t i = g->nitems; i-- > 0;) {
        struct item *it = &g->items[i];
        int want = member ? !strcmp(it->name, name) : (!it->container && !strcmp(it->path, name));
        if (want && !it->sha256[0]) {
            snprintf(it->sha256, sizeof it->sha256, "%s", sha);
            return;
        }
    }
}

static void fp_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct ingest *g = ctx;
    struct fp_problem *np = realloc(g->probs, (g->nprobs + 1) * sizeof *np);
    if (!np)
        return;
    g->probs = np;
    np[g->nprobs] = (struct fp_problem){k, strdup(name), strdup(msg)};
    if (np[g->nprobs].name && np[g->nprobs].msg)
        g->nprobs++;
    else {
        free(np[g->nprobs].name);
        free(np[g->nprobs].msg);
    }
}

/* The problems of paths that gave no source (missing, unreadable, a directory without
 * logs): the second read never sees them, so they are reported here.  The problems of a
 * source that was opened are reported by the second read, once. */
static void fp_report(struct ingest *g, const struct msl_sink *sink)
{
    for (size_t i = 0; i < g->nprobs; i++) {
        const struct fp_problem *p = &g->probs[i];
        int opened = 0;
        for (size_t k = 0; k < g->nitems && !opened; k++)
            opened = !strcmp(p->name, g->items[k].path) || !strcmp(p->name, g->items[k].name);
        if (opened)
            continue;
        sink->problem(sink->ctx, p->kind, p->name, p->msg);
        if (p->kind == MSL_PROB_ERROR)
            g->input_errors++;
    }
}

/* 1 when the first n bytes of path hash to sha; *eol: they end with a newline */
static int prefix_matches(const char *path, int64_t n, const char *sha, int *eol)
{
    *eol = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct sha256 *h = sha256_new();
    char buf[1 << 16], hex[65];
    int64_t left = n;
    while (h && left > 0) {
        ssize_t got = read(fd, buf, left < (int64_t)sizeof buf ? (size_t)left : sizeof buf);
        if (got <= 0)
            break;
        sha256_update(h, buf, (size_t)got);
        left -= got;
        *eol = buf[got - 1] == '\n';
    }
    close(fd);
    if (!h)
        return 0;
    sha256_final_hex(h, hex);
    return left == 0 && !strcmp(hex, sha);
}

static void note(struct ingest *g, const char *fmt, const char *name, const char *other)
{
    if (g->a->cli.quiet)
        return;
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, "mailsleuth: ");
    esc_text(&b, name, strlen(name));
    buf_adds(&b, fmt);
    if (other) {
        esc_text(&b, other, strlen(other));
        buf_adds(&b, ")");
    }
    buf_addc(&b, '\n');
    progress_lock(g->a->meter);
    fwrite(b.p, 1, b.n, stderr);
    progress_unlock(g->a->meter);
    buf_free(&b);
}

/* Decides for every source what is new; returns the paths to read again (NULL-terminated). */
static const char **decide(struct ingest *g, size_t *npaths, int *rc)
{
    const char **paths = calloc(g->nitems + 1, sizeof *paths);
    *npaths = 0;
    *rc = MSL_OK;
    if (!paths) {
        *rc = MSL_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < g->nitems && *rc == MSL_OK; i++) {
        struct item *it = &g->items[i];
        if (it->excluded) {
            it->skip = 1;
            note(g, ": the case file itself, not read", it->name, NULL);
            continue;
        }
        struct msl_store_known k;
        if ((*rc = msl_store_lookup(g->st, it->name, it->sha256, &k)) != MSL_OK)
            break;
        /* the same name twice in one command line: the first one counts */
        int *seen = strmap_get(g->byname, it->name, strlen(it->name), NULL);
        if (!seen) {
            *rc = MSL_ENOMEM;
            break;
        }
        if (*seen) {
            it->skip = 1;
            continue;
        }
        *seen = (int)i + 1;
        if (k.found) {
            it->skip = 1;
            if (k.other[0])
                note(g, ": already in the case (the same bytes as ", it->name, k.other);
            else
                note(g, ": already in the case, skipped", it->name, NULL);
            continue;
        }
        it->path_known = k.prev_id != 0;
        int eol;
        if (k.prev_id && !it->container && it->comp == MSL_COMP_NONE && it->size > k.prev_size &&
            prefix_matches(it->path, k.prev_size, k.prev_sha256, &eol)) {
            /* a last line the earlier version cut short is read again, now whole */
            it->skip_lines = (uint64_t)k.prev_lines - (!eol && k.prev_lines > 0);
            it->continues = k.prev_id;
            note(g, ": grew since it was ingested: only its new lines are added", it->name, NULL);
        }
        struct msl_store_source s = {
            .name = it->name, .path = it->path, .container = it->container,
            .sha256 = it->sha256, .size = it->size, .mtime = it->mtime,
            .compression = msl_compression_name(it->comp), .skip_lines = it->skip_lines,
            .continues = it->continues};
        if ((*rc = msl_store_source(g->st, &s, &it->id)) != MSL_OK)
            break;
        /* the file holding it, once */
        if (!*npaths || strcmp(paths[*npaths - 1], it->path))
            paths[(*npaths)++] = it->path;
    }
    return paths;
}

/* --- the run ---------------------------------------------------------------------- */

/* An event of a record an earlier ingest left open: to the correlator only (the event row
 * and hunt's view of it are the earlier ingest's). */
static int on_replayed(void *ctx, const struct msl_event *e)
{
    struct ingest *g = ctx;
    return msl_correlator_add(g->c, e) != MSL_OK;
}

/* The state of a run source: its item found by name the first time it is seen. */
static struct srcstate *src_of(struct ingest *g, uint32_t id)
{
    if (id >= g->nsrcs) {
        size_t n = (size_t)id + 64;
        struct srcstate *ns = realloc(g->srcs, n * sizeof *ns);
        if (!ns)
            return NULL;
        memset(ns + g->nsrcs, 0, (n - g->nsrcs) * sizeof *ns);
        g->srcs = ns;
        g->nsrcs = n;
    }
    struct srcstate *s = &g->srcs[id];
    if (!s->known) {
        s->known = 1;
        const char *name = msl_run_source_name(&g->a->run, id);
        int *ix = strmap_find(g->byname, name, strlen(name));
        s->it = ix && *ix ? &g->items[*ix - 1] : NULL;
        if (s->it && !s->it->skip && msl_store_map(g->st, id, s->it->id) != MSL_OK)
            return NULL;
    }
    return s;
}

/* 1 when the line is new to the case */
static int wanted(const struct srcstate *s, uint64_t line)
{
    return s->it && !s->it->skip && line > s->it->skip_lines;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct ingest *g = a->consumer;
    app_progress(a);
    if (g->failed)
        return 1; /* the case could not be written: stop reading */
    struct srcstate *s = src_of(g, e->ev.src);
    if (!s) {
        a->failed = 1;
        return 1;
    }
    if (!wanted(s, e->ev.line))
        return 0;
    s->it->events++;
    if (!s->it->host && e->host.n)
        s->it->host = strndup(e->host.p, e->host.n);
    g->events++;
    msl_hunt_event(g->h, e);
    if (msl_store_event(g->st, e) != MSL_OK) {
        g->failed = 1;
        return 1;
    }
    if (msl_correlator_add(g->c, e) != MSL_OK) {
        a->failed = 1;
        return 1;
    }
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct app *a = ctx;
    struct ingest *g = a->consumer;
    struct srcstate *s = src_of(g, ln->src);
    if (!s || !wanted(s, ln->lineno))
        return;
    s->it->unparsed++;
    if (g->app_unparsed)
        g->app_unparsed(ctx, ln, why);
    msl_hunt_unparsed(g->h, ln, why);
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct ingest *g = ctx;
    msl_hunt_message(g->h, m);
    g->messages++;
    g->recipients += m->nrcpts;
    if (!g->failed && msl_store_message(g->st, m) != MSL_OK)
        g->failed = 1;
    return 0;
}

static int on_session(void *ctx, struct msl_session *ss)
{
    struct ingest *g = ctx;
    msl_hunt_session(g->h, ss);
    g->sessions++;
    if (!g->failed && msl_store_session(g->st, ss) != MSL_OK)
        g->failed = 1;
    return 0;
}

/* After the run: every source's counters and the findings. */
static int finish_case(struct ingest *g)
{
    const struct msl_run *run = &g->a->run;
    for (size_t i = 0; i < run->nsources; i++) {
        struct srcstate *s = src_of(g, (uint32_t)i);
        if (!s)
            return MSL_ENOMEM;
        if (!s->it || s->it->skip)
            continue;
        const struct msl_run_source *rs = &run->sources[i];
        /* the reader fingerprinted what it parsed: the case records those bytes */
        const char *parsed = NULL;
        for (size_t k = 0; k < run->nhashes; k++) {
            const struct msl_run_hash *h = &run->hashes[k];
            if (!strcmp(h->name, h->member ? s->it->name : s->it->path) &&
                strcmp(h->sha256, s->it->sha256)) {
                parsed = h->sha256;
                note(g, ": changed between its fingerprint and its parse; the case records "
                        "the bytes parsed", s->it->name, NULL);
            }
        }
        struct msl_store_source_end e = {
            .sha256 = parsed,
            .format = rs->format, .zone = rs->zone, .host = s->it->host,
            .first_ts = rs->first_ts, .last_ts = rs->last_ts, .lines = rs->stats.lines,
            .bytes = rs->stats.bytes, .events = s->it->events, .unparsed = s->it->unparsed,
            .error = rs->stats.error};
        int rc = msl_store_source_end(g->st, s->it->id, &e);
        if (rc)
            return rc;
    }
    size_t nf;
    const struct msl_finding *f = msl_hunt_findings(g->h, &nf);
    for (size_t i = 0; i < nf; i++) {
        /* log-integrity names a file by its run source id ("#3"): the case names it */
        struct msl_finding fi = f[i];
        char name[4096];
        if (fi.entity && fi.entity[0] == '#' && fi.entity_type && !strcmp(fi.entity_type, "file")) {
            snprintf(name, sizeof name, "%s",
                     msl_run_source_name(run, (uint32_t)strtoul(fi.entity + 1, NULL, 10)));
            fi.entity = name;
        }
        int rc = msl_store_finding(g->st, &fi);
        if (rc)
            return rc;
    }
    return MSL_OK;
}

static void free_items(struct ingest *g)
{
    for (size_t i = 0; i < g->nitems; i++) {
        free(g->items[i].name);
        free(g->items[i].path);
        free(g->items[i].host);
    }
    free(g->items);
    free(g->srcs);
    for (size_t i = 0; i < g->nprobs; i++) {
        free(g->probs[i].name);
        free(g->probs[i].msg);
    }
    free(g->probs);
    strmap_free(g->byname);
}

static int store_error(struct ingest *g, const char *what)
{
    fprintf(stderr, "mailsleuth: %s: %s (the case keeps its complete ingests; this one is "
                    "removed when the case is next opened)\n", what, msl_store_error(g->st));
    return EXIT_INTERNAL;
}

int cmd_ingest(struct app *a)
{
    struct cli *c = &a->cli;
    if (!c->db) {
        fprintf(stderr, "mailsleuth: ingest needs --db CASE.sqlite (the case file to create or "
                        "add to)\n");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < c->npaths; i++)
        if (!strcmp(c->paths[i], "-")) {
            fprintf(stderr, "mailsleuth: ingest reads files, not stdin: each source is keyed by "
                            "its path and SHA-256 so that ingesting it again adds nothing\n");
            return EXIT_USAGE;
        }
    if (c->npaths == 0) {
        fprintf(stderr, "mailsleuth: ingest needs log files or directories to read\n");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < c->ntrusted_nets; i++) {
        const char *n = c->trusted_nets[i], *why = NULL;
        struct msl_cidr net;
        if (msl_cidr_parse(&net, n, strlen(n), &why) != 0) {
            fprintf(stderr, "mailsleuth: --trusted-net wants an address or CIDR like "
                            "192.0.2.0/24, not '%s' (%s)\n", n, why);
            return EXIT_USAGE;
        }
    }
    struct msl_rules *rules = msl_rules_new();
    if (!rules)
        return EXIT_INTERNAL;
    char err[2048];
    if (c->rules && msl_rules_load(rules, c->rules, err, sizeof err) != MSL_OK) {
        fprintf(stderr, "mailsleuth: %s\n", err);
        msl_rules_free(rules);
        return EXIT_USAGE;
    }
    struct msl_site *site = app_site_load(c);
    if (!site) {
        msl_rules_free(rules);
        return EXIT_USAGE;
    }
    struct ingest g = {.a = a};
    int rc = app_setup(a);
    if (rc) {
        msl_rules_free(rules);
        msl_site_free(site);
        return rc;
    }
    static struct app_lookups lk; /* the same lookups as hunt (large: not on the stack) */
    if (app_lookups_load(c, site, &lk) != 0) {
        msl_rules_free(rules);
        msl_site_free(site);
        return EXIT_USAGE;
    }
    int orc = msl_store_open(c->db, MSL_STORE_WRITE, &g.st, err, sizeof err);
    if (orc != MSL_OK) {
        fprintf(stderr, "mailsleuth: %s\n", err);
        msl_rules_free(rules);
        app_lookups_free(&lk);
        msl_site_free(site);
        return orc == MSL_EUSAGE ? EXIT_USAGE : EXIT_INTERNAL;
    }
    if (msl_store_recovered(g.st) && !c->quiet)
        fprintf(stderr, "mailsleuth: %s: removed %lld ingest%s that did not finish (killed?); "
                        "its sources are read again\n", c->db,
                (long long)msl_store_recovered(g.st), msl_store_recovered(g.st) == 1 ? "" : "s");
    if (!realpath(c->db, g.dbreal))
        g.dbreal[0] = '\0';
    struct msl_hunt_opts ho = {
        .max_evidence = c->max_evidence, .local_domains = c->local_domains,
        .nlocal_domains = c->nlocal_domains, .trusted_nets = c->trusted_nets,
        .ntrusted_nets = c->ntrusted_nets, .site = site, .lookups = &lk.cfg};
    g.h = msl_hunt_new(&ho, rules);
    msl_rules_free(rules);
    struct msl_correlate_opts co = {0};
    struct msl_correlate_sink cs = {.ctx = &g, .message = on_message, .session = on_session};
    g.c = g.h ? msl_correlator_new(&co, &cs) : NULL;
    g.byname = strmap_new(sizeof(int));
    const char **paths = NULL;
    size_t npaths = 0;
    if (!g.h || !g.c || !g.byname) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (msl_store_ingest_begin(g.st, a->inv.argc, a->inv.argv, msl_tz_name(a->tz)) != MSL_OK) {
        rc = store_error(&g, c->db);
        goto out;
    }
    /* 1: fingerprints, so what the case holds is known before anything is parsed */
    struct msl_read_opts fo = {.block_size = c->block_size, .hash = 1};
    struct msl_read_cb fcb = {.ctx = &g, .begin = fp_begin, .line = fp_line,
                              .problem = fp_problem, .hashed = fp_hashed};
    msl_read_paths(c->paths, c->npaths, &fo, &fcb, NULL);
    a->consumer = &g;
    struct msl_sink sink = app_sink(a, on_event);
    fp_report(&g, &sink);
    int drc;
    paths = decide(&g, &npaths, &drc);
    if (drc != MSL_OK) {
        rc = drc == MSL_ENOMEM ? EXIT_INTERNAL : store_error(&g, c->db);
        goto out;
    }
    /* a source continues one in the case (grown, or its path rotated): the records the
     * case holds as open are completed by this run, so they go to the correlator first */
    int continues = 0;
    for (size_t i = 0; i < g.nitems; i++)
        continues |= !g.items[i].skip && g.items[i].path_known;
    uint64_t replayed = 0;
    if (continues && msl_store_replay(g.st, on_replayed, &g, &replayed) != MSL_OK) {
        rc = store_error(&g, c->db);
        goto out;
    }
    if (replayed && !c->quiet)
        fprintf(stderr, "mailsleuth: %s: %llu record%s left open by earlier ingests continued "
                        "by this one\n", c->db, (unsigned long long)replayed,
                replayed == 1 ? "" : "s");
    /* 2: the run over what is new (the reader fingerprints it again, as it is parsed) */
    a->ro.hash = 1;
    g.app_unparsed = sink.unparsed;
    sink.unparsed = on_unparsed;
    int run_rc = MSL_OK;
    if (npaths)
        run_rc = msl_run(paths, npaths, &a->ro, &sink, &a->run);
    msl_store_at_end(g.st); /* what the correlator hands over now is still open */
    msl_correlator_finish(g.c);
    msl_hunt_finish(g.h);
    app_progress_done(a);
    if (msl_hunt_failed(g.h))
        a->failed = 1;
    uint64_t rows = 0;
    if (g.failed || finish_case(&g) != MSL_OK || msl_store_ingest_end(g.st, &rows) != MSL_OK) {
        rc = store_error(&g, c->db);
        goto out;
    }
    size_t nf, added = 0, excluded = 0;
    msl_hunt_findings(g.h, &nf);
    for (size_t i = 0; i < g.nitems; i++) {
        added += !g.items[i].skip;
        excluded += g.items[i].excluded;
    }
    /* what the case gained, on stdout: the command's one answer */
    struct buf dbname;
    buf_init(&dbname, 16384);
    esc_text(&dbname, c->db, strlen(c->db));
    if (printf("%s: %zu source%s added (%zu already in the case), "
                        "%llu events, %llu messages, %llu recipients, %llu sessions, "
                        "%zu findings; %llu rows\n", dbname.p ? dbname.p : "", added,
                added == 1 ? "" : "s",
                g.nitems - added - excluded, (unsigned long long)g.events,
                (unsigned long long)g.messages, (unsigned long long)g.recipients,
                (unsigned long long)g.sessions, nf, (unsigned long long)rows) < 0)
        a->failed = 1;
    buf_free(&dbname);
    rc = app_finish(a, run_rc, MSL_OK);
    if (rc == EXIT_OK && g.input_errors) {
        if (!c->quiet)
            fprintf(stderr, "mailsleuth: %u input error%s: the case leaves out what could not "
                            "be read\n", g.input_errors, g.input_errors == 1 ? "" : "s");
        rc = EXIT_INPUT;
    }
out:
    free(paths);
    msl_correlator_free(g.c);
    msl_hunt_free(g.h);
    app_lookups_free(&lk);
    msl_site_free(site);
    msl_store_close(g.st);
    free_items(&g);
    return rc;
}
