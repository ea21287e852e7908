/*
 * pipeline.c - reader -> envelope -> dialect -> sink, in one pass (see pipeline.h).
 *
 * Per line: one envelope parse, one dialect lookup (cached for runs of the same program
 * tag, which is the common case), one dialect parse.  Unparsed reasons are counted in a
 * string map keyed by reason text; a one-entry cache keyed by the static reason pointer
 * keeps the hash off the common path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "util/strmap.h"

struct pipe {
    const struct msl_run_opts *opts;
    const struct msl_sink *sink;
    struct msl_run *run;
    struct msl_envelope_parser *ep;
    struct msl_run_source *cur;
    const struct msl_dialect *forced;
    /* dialect cache for the last program tag */
    char last_prog[64];
    size_t last_prog_n;
    const struct msl_dialect *last_dialect;
    /* unparsed reasons */
    struct strmap *reasons;
    const char *last_why;
    uint64_t *last_why_count;
    int stop;
};

static void count_reason(struct pipe *pp, const struct msl_line *ln, const char *why,
                         size_t whylen)
{
    pp->run->unparsed++;
    uint64_t *c;
    if (why == pp->last_why && whylen == strlen(why)) {
        c = pp->last_why_count;
    } else {
        c = strmap_get(pp->reasons, why, whylen, NULL);
        if (!c)
            return;
        if (whylen == strlen(why)) {
            pp->last_why = why;
            pp->last_why_count = c;
        }
    }
    (*c)++;
    if (pp->sink->unparsed)
        pp->sink->unparsed(pp->sink->ctx, ln, why);
}

static const struct msl_dialect *dialect_for(struct pipe *pp, struct msl_str prog)
{
    if (pp->forced)
        return pp->forced;
    if (prog.n == pp->last_prog_n && prog.n < sizeof pp->last_prog &&
        memcmp(prog.p, pp->last_prog, prog.n) == 0)
        return pp->last_dialect;
    const struct msl_dialect *d = msl_dialect_for_program(prog);
    if (prog.n < sizeof pp->last_prog) {
        memcpy(pp->last_prog, prog.p, prog.n);
        pp->last_prog_n = prog.n;
        pp->last_dialect = d;
    }
    return d;
}

/* "message repeated 3 times: [ text]" (rsyslog) -> text, N */
static int unwrap_repeated(struct msl_str *msg, uint32_t *times)
{
    static const char pre[] = "message repeated ";
    const char *p = msg->p, *end = p + msg->n;
    if (msg->n < sizeof pre + 10 || memcmp(p, pre, sizeof pre - 1) != 0)
        return 0;
    p += sizeof pre - 1;
    uint32_t n = 0;
    while (p < end && *p >= '0' && *p <= '9' && n < 100000000)
        n = n * 10 + (uint32_t)(*p++ - '0');
    static const char mid[] = " times: [";
    if (n == 0 || (size_t)(end - p) < sizeof mid - 1 || memcmp(p, mid, sizeof mid - 1) != 0)
        return 0;
    p += sizeof mid - 1;
    if (p < end && *p == ' ')
        p++;
    if (end > p && end[-1] == ']')
        end--;
    msg->p = p;
    msg->n = (size_t)(end - p);
    *times = n;
    return 1;
}

static int on_line(void *ctx, const struct msl_line *ln)
{
    struct pipe *pp = ctx;
    struct msl_envelope env;
    const char *why = NULL;
    if (!pp->ep || msl_envelope_parse(pp->ep, ln->p, ln->n, &env, &why) != 0) {
        if (ln->n == 0)
            why = "empty line";
        count_reason(pp, ln, why ? why : "no envelope", strlen(why ? why : "no envelope"));
        return 0;
    }
    uint32_t times = 1;
    int repeated = unwrap_repeated(&env.msg, &times);
    const struct msl_dialect *d = dialect_for(pp, env.program);
    if (!d) {
        char key[96];
        int k = snprintf(key, sizeof key, "no dialect for program \"%.*s\"",
                         (int)(env.program.n > 48 ? 48 : env.program.n), env.program.p);
        count_reason(pp, ln, key, k > 0 && (size_t)k < sizeof key ? (size_t)k : sizeof key - 1);
        return 0;
    }
    struct msl_event e;
    msl_event_clear(&e);
    e.ts = env.ts;
    e.flags = env.flags;
    e.host = env.host;
    e.program = env.program;
    e.pid = env.pid;
    e.mta = (struct msl_str){d->mta, strlen(d->mta)};
    e.ev = (struct msl_evidence){ln->src, ln->lineno, ln->offset};
    e.raw = (struct msl_str){ln->p, ln->n};
    if (ln->flags & MSL_LINE_TRUNCATED)
        e.flags |= MSL_EVF_TRUNCATED;
    if (!d->parse(&env, &e, &why)) {
        why = why ? why : "not understood";
        count_reason(pp, ln, why, strlen(why));
        return 0;
    }
    if (repeated) {
        e.repeat = times;
        e.flags |= MSL_EVF_REPEATED;
        pp->run->repeated++;
    }
    if ((pp->opts->since && e.ts < pp->opts->since) ||
        (pp->opts->until && e.ts >= pp->opts->until)) {
        pp->run->filtered++;
        return 0;
    }
    struct msl_run *run = pp->run;
    run->events++;
    if (!run->first_ts || e.ts < run->first_ts)
        run->first_ts = e.ts;
    if (e.ts > run->last_ts)
        run->last_ts = e.ts;
    if (pp->cur) {
        if (!pp->cur->first_ts || e.ts < pp->cur->first_ts)
            pp->cur->first_ts = e.ts;
        if (e.ts > pp->cur->last_ts)
            pp->cur->last_ts = e.ts;
    }
    if (pp->sink->event && pp->sink->event(pp->sink->ctx, &e)) {
        pp->stop = 1;
        return 1;
    }
    return 0;
}

static int on_begin(void *ctx, const struct msl_source_info *si)
{
    struct pipe *pp = ctx;
    struct msl_run *run = pp->run;
    if (si->id >= run->nsources) {
        size_t n = (size_t)si->id + 1;
        struct msl_run_source *ns = realloc(run->sources, n * sizeof *ns);
        if (!ns)
            return 1;
        memset(ns + run->nsources, 0, (n - run->nsources) * sizeof *ns);
        run->sources = ns;
        run->nsources = n;
    }
    struct msl_run_source *rs = &run->sources[si->id];
    rs->name = strdup(si->name);
    rs->mtime = si->mtime;
    rs->compression = si->compression;
    pp->cur = rs;
    msl_envelope_free(pp->ep);
    pp->ep = msl_envelope_new(pp->opts->tz, si->mtime, pp->opts->year);
    if (pp->sink->source)
        pp->sink->source(pp->sink->ctx, si);
    return 0;
}

static void on_end(void *ctx, const struct msl_source_info *si, const struct msl_source_stats *st)
{
    struct pipe *pp = ctx;
    if (si->id < pp->run->nsources)
        pp->run->sources[si->id].stats = *st;
    msl_envelope_free(pp->ep);
    pp->ep = NULL;
    pp->cur = NULL;
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct pipe *pp = ctx;
    if (pp->sink->problem)
        pp->sink->problem(pp->sink->ctx, k, name, msg);
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
    if (opts->dialect) {
        pp.forced = msl_dialect_by_name(opts->dialect);
        if (!pp.forced)
            return MSL_EUSAGE;
    }
    pp.reasons = strmap_new(sizeof(uint64_t));
    if (!pp.reasons)
        return MSL_ENOMEM;
    struct msl_read_cb cb = {.ctx = &pp,
                             .begin = on_begin,
                             .line = on_line,
                             .end = on_end,
                             .problem = on_problem};
    struct msl_read_opts ro = {.block_size = opts->block_size};
    int rc = msl_read_paths(paths, npaths, &ro, &cb, &run->totals);
    msl_envelope_free(pp.ep);
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
    memset(run, 0, sizeof *run);
}

const char *msl_run_source_name(const struct msl_run *run, uint32_t src)
{
    return src < run->nsources && run->sources[src].name ? run->sources[src].name : "?";
}
