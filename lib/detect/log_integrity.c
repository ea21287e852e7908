/*
 * log_integrity.c - rule log-integrity: signs that a log file is not the complete, original
 * record.  Per input file:
 *  - time going backwards by more than `backwards` seconds from one line to the next;
 *  - gaps of at least `gap_min` that are also at least `gap_factor` times the file's median
 *    spacing between lines (a quiet night on a busy server is not a gap on an idle one);
 *  - exact duplicate lines: the same as the line before, or, for a line with a queue id,
 *    as one of the last 64 lines ("message repeated" lines excluded);
 *  - the host name changing mid-file (a file with at most 3 host names and at most 4
 *    changes; more is a central log server collecting several hosts, not a change);
 *  - syslog's own notices of lost or suppressed messages (rsyslog, journald);
 *  - truncated lines (longer than the line limit) and binary lines (NUL bytes).
 * One finding per file and check.  State per file: previous time and host, a histogram of
 * line spacing in whole seconds up to an hour (for the median), gap candidates (cited up
 * to max_evidence, all counted), 64 line hashes, and the findings under construction.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"backwards", MSL_P_DURATION, 1, 0, 86400, "time going back by more than this is reported"},
    {"gap_min", MSL_P_DURATION, 900, 1, 365 * 86400, "shortest gap reported"},
    {"gap_factor", MSL_P_INT, 10, 1, 1000000, "...and at least this times the median spacing"},
};

enum { C_BACK, C_GAP, C_DUP, C_HOST, C_LOST, C_BIN, C__N };
#define HIST 3601
#define NHASH 64

struct gap {
    int64_t from, to;
};

struct file {
    int used;
    int64_t last_ts;
    char host[256];
    char hosts[3][256];
    size_t nhosts, switches;
    uint32_t *hist;
    uint64_t hist_over, ngaps_total;
    struct gap *gaps; /* up to max_evidence candidates, all counted */
    size_t ngaps;
    int64_t max_gap;
    struct msl_finding f[C__N];
    struct msl_fevidence *gapev; /* evidence of each kept gap candidate */
    uint64_t hash[NHASH];
    size_t hpos;
};

struct st {
    const struct msl_detect_env *env;
    struct file *files;
    size_t nfiles;
    int failed;
};

static struct file *file_of(struct st *s, uint32_t src)
{
    if (src >= 1u << 20)
        return NULL;
    if (src >= s->nfiles) {
        size_t n = (size_t)src + 1;
        struct file *nf = realloc(s->files, n * sizeof *nf);
        if (!nf)
            return NULL;
        memset(nf + s->nfiles, 0, (n - s->nfiles) * sizeof *nf);
        s->files = nf;
        s->nfiles = n;
    }
    struct file *f = &s->files[src];
    if (!f->used) {
        f->used = 1;
        f->hist = calloc(HIST, sizeof *f->hist);
        f->gaps = calloc(s->env->max_evidence, sizeof *f->gaps);
    }
    return f;
}

static int is_lost_notice(struct msl_str t)
{
    return det_contains(t, "messages lost") || det_contains(t, "begins to drop messages") ||
           (det_contains(t, "suppressed") && det_contains(t, "messages")) ||
           (det_contains(t, "missed") && det_contains(t, "messages")) ||
           (det_contains(t, "lost") && det_contains(t, "messages due to rate-limiting"));
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    const struct msl_detect_env *env = s->env;
    struct file *f = file_of(s, e->ev.src);
    if (!f || !f->hist || !f->gaps)
        return;
    if (f->last_ts) {
        int64_t d = e->ts - f->last_ts;
        if (d < -env->params[0] * US_PER_S) {
            det_cite(env, &f->f[C_BACK], e->ts, &e->ev, e->raw);
        } else if (d >= 0) {
            int64_t sec = d / US_PER_S;
            if (sec < HIST)
                f->hist[sec]++;
            else
                f->hist_over++;
            if (sec >= env->params[1]) {
                f->ngaps_total++;
                if (d > f->max_gap)
                    f->max_gap = d;
                if (f->ngaps < env->max_evidence)
                    f->gaps[f->ngaps++] = (struct gap){f->last_ts, e->ts};
                det_cite(env, &f->f[C_GAP], e->ts, &e->ev, e->raw);
            }
        }
    }
    f->last_ts = e->ts;
    /* host changes */
    size_t hn = e->host.n < sizeof f->host - 1 ? e->host.n : sizeof f->host - 1;
    if (hn) {
        if (!f->host[0]) {
            memcpy(f->host, e->host.p, hn);
            f->host[hn] = '\0';
            memcpy(f->hosts[0], f->host, hn + 1);
            f->nhosts = 1;
        } else if (strlen(f->host) != hn || memcmp(f->host, e->host.p, hn) != 0) {
            memcpy(f->host, e->host.p, hn);
            f->host[hn] = '\0';
            f->switches++;
            size_t i = 0;
            while (i < f->nhosts && strcmp(f->hosts[i], f->host) != 0)
                i++;
            if (i == f->nhosts && f->nhosts < 3)
                memcpy(f->hosts[f->nhosts++], f->host, hn + 1);
            else if (i == f->nhosts)
                f->nhosts = 4; /* many hosts: a collector, not a change */
            det_cite(env, &f->f[C_HOST], e->ts, &e->ev, e->raw);
        }
    }
    /* duplicates */
    if (!(e->flags & MSL_EVF_REPEATED) && e->raw.n) {
        uint64_t h = strmap_hash(e->raw.p, e->raw.n) ^ (uint64_t)e->raw.n;
        /* identical to the previous line, or, for lines naming a queue id (unique per
         * transaction), to one of the last NHASH lines; "connect from X" lines of one
         * smtpd process legitimately repeat, so those only count when consecutive */
        int dup = f->hpos && f->hash[(f->hpos - 1) % NHASH] == h;
        for (size_t i = 0; i < NHASH && !dup && e->qid.n; i++)
            dup = f->hash[i] == h;
        if (dup)
            det_cite(env, &f->f[C_DUP], e->ts, &e->ev, e->raw);
        f->hash[f->hpos++ % NHASH] = h;
    }
    if (is_lost_notice(e->raw) && (e->kind == MSL_EV_WARNING || e->kind == MSL_EV_INFO ||
                                   e->kind == MSL_EV_DAEMON || e->kind == MSL_EV_ERROR))
        det_cite(env, &f->f[C_LOST], e->ts, &e->ev, e->raw);
    if (e->flags & MSL_EVF_TRUNCATED)
        det_cite(env, &f->f[C_BIN], e->ts, &e->ev, e->raw);
}

static void on_unparsed(void *p, const struct msl_line *ln, const char *why)
{
    (void)why;
    struct st *s = p;
    struct file *f = file_of(s, ln->src);
    if (!f)
        return;
    struct msl_evidence ev = {ln->src, ln->lineno, ln->offset};
    struct msl_str raw = {ln->p, ln->n};
    if (ln->flags & (MSL_LINE_TRUNCATED | MSL_LINE_HAS_NUL))
        det_cite(s->env, &f->f[C_BIN], f->last_ts, &ev, raw);
    else if (is_lost_notice(raw))
        det_cite(s->env, &f->f[C_LOST], f->last_ts, &ev, raw);
}

static int64_t median_gap(const struct file *f)
{
    uint64_t total = f->hist_over;
    for (size_t i = 0; i < HIST; i++)
        total += f->hist[i];
    uint64_t half = (total + 1) / 2, acc = 0;
    for (size_t i = 0; i < HIST; i++) {
        acc += f->hist[i];
        if (acc >= half)
            return (int64_t)i;
    }
    return HIST;
}

static void emit(struct st *s, struct file *fl, int c, enum msl_fsev sev, uint32_t src)
{
    struct msl_finding *f = &fl->f[c];
    static const char *const names[C__N] = {"time-backwards", "gap", "duplicate-lines",
                                            "host-changed", "messages-lost",
                                            "truncated-or-binary"};
    f->rule = "log-integrity";
    f->severity = sev;
    f->entity_type = "file";
    char num[32];
    snprintf(num, sizeof num, "#%u", (unsigned)src);
    f->entity = det_strdup(num); /* the renderer names the file from the evidence */
    f->host = fl->host[0] ? det_strdup(fl->hosts[0]) : NULL;
    det_set_count(f, "lines", (int64_t)f->evidence_total);
    det_title(f, "log integrity: %s", names[c]);
    msl_hunt_emit(s->env->hunt, f);
}

static void finish(void *p)
{
    struct st *s = p;
    const struct msl_detect_env *env = s->env;
    for (size_t i = 0; i < s->nfiles; i++) {
        struct file *fl = &s->files[i];
        if (!fl->used)
            continue;
        uint32_t src = (uint32_t)i;
        if (fl->f[C_BACK].evidence_total) {
            det_explain(&fl->f[C_BACK], "%llu times the time stamp went back by more than "
                        "%lld s from one line to the next.  Syslog writes lines as they "
                        "come, so time should only move forward: lines were inserted, "
                        "files were concatenated out of order, or the clock was set back.",
                        (unsigned long long)fl->f[C_BACK].evidence_total,
                        (long long)env->params[0]);
            emit(s, fl, C_BACK, env->severity, src);
        }
        int64_t med = median_gap(fl);
        int64_t need = env->params[2] * (med > 0 ? med : 1);
        if (need < env->params[1])
            need = env->params[1];
        if (fl->ngaps_total && fl->max_gap / US_PER_S >= need) {
            struct msl_finding *f = &fl->f[C_GAP];
            det_set_count(f, "gaps", (int64_t)fl->ngaps_total);
            det_set_count(f, "longest_gap_s", fl->max_gap / US_PER_S);
            det_set_count(f, "median_spacing_s", med);
            det_explain(f, "%llu silence%s of at least %lld s (the longest %lld s) in a file "
                        "whose median spacing between lines is %lld s.  A mail server that "
                        "normally logs every few seconds and then says nothing for that long "
                        "was down, lost its logging, or the lines were removed.",
                        (unsigned long long)fl->ngaps_total, fl->ngaps_total == 1 ? "" : "s",
                        (long long)need, (long long)(fl->max_gap / US_PER_S), (long long)med);
            emit(s, fl, C_GAP, env->severity, src);
        }
        if (fl->f[C_DUP].evidence_total) {
            det_explain(&fl->f[C_DUP], "%llu lines are exact copies of one of the 64 lines "
                        "before them.  Syslog does not repeat lines (it writes 'message "
                        "repeated N times'); copies come from double forwarding, a replayed "
                        "buffer or manual editing.",
                        (unsigned long long)fl->f[C_DUP].evidence_total);
            emit(s, fl, C_DUP, MSL_FSEV_LOW, src);
        }
        if (fl->switches && fl->nhosts <= 3 && fl->switches <= 4) {
            det_explain(&fl->f[C_HOST], "The host name in the lines changed %zu time%s "
                        "within the file (%s%s%s%s%s).  A server renamed mid-file, or lines of "
                        "another machine spliced in, both matter for attribution.",
                        fl->switches, fl->switches == 1 ? "" : "s", fl->hosts[0],
                        fl->nhosts > 1 ? ", " : "", fl->nhosts > 1 ? fl->hosts[1] : "",
                        fl->nhosts > 2 ? ", " : "", fl->nhosts > 2 ? fl->hosts[2] : "");
            emit(s, fl, C_HOST, env->severity, src);
        }
        if (fl->f[C_LOST].evidence_total) {
            det_explain(&fl->f[C_LOST], "The logging system itself reported %llu time%s that "
                        "it lost, dropped or suppressed messages (rate limiting or a full "
                        "buffer).  Whatever happened then is missing from this file.",
                        (unsigned long long)fl->f[C_LOST].evidence_total,
                        fl->f[C_LOST].evidence_total == 1 ? "" : "s");
            emit(s, fl, C_LOST, env->severity, src);
        }
        if (fl->f[C_BIN].evidence_total) {
            det_explain(&fl->f[C_BIN], "%llu lines were cut at the line limit or contain NUL "
                        "bytes.  NUL runs appear where a file was truncated or preallocated "
                        "after a crash; both mean missing or damaged content.",
                        (unsigned long long)fl->f[C_BIN].evidence_total);
            emit(s, fl, C_BIN, MSL_FSEV_LOW, src);
        }
    }
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (s)
        s->env = env;
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].hist);
        free(s->files[i].gaps);
        for (int c = 0; c < C__N; c++)
            det_finding_clear(&s->files[i].f[c]);
    }
    free(s->files);
    free(s);
}

const struct msl_detector msl_det_log_integrity = {
    .id = "log-integrity",
    .severity = MSL_FSEV_MEDIUM,
    .description = "time going backwards, long gaps, duplicate lines, host name changes, "
                   "lost-message notices, truncated or binary lines",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_unparsed = on_unparsed,
    .finish = finish,
    .free = free_st,
};
