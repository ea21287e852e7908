/*
 * cmd_html_report.c - `report -o case.html [FILE|DIR]...`: one self-contained HTML case
 * file (lib/report/html_report.h).
 *
 * One pass feeds every consumer: each event goes to the summary, the detectors and the
 * correlator; each finished message and session from the correlator goes to the detectors
 * and then to the report, which keeps a bounded number of them.  Output goes to a
 * temporary file beside the target, renamed over it only when complete, so a failed run
 * never leaves half a report under the final name; "-o -" writes to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "mailsleuth/site.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "report/html_report.h"
#include "util/geoip.h"

struct report_run {
    struct msl_summary *sum;
    struct msl_hunt *hunt;
    struct msl_correlator *corr;
    struct html_report *html;
    void (*app_unparsed)(void *ctx, const struct msl_line *ln, const char *why);
    size_t findings_seen; /* findings already handed to html_report_named */
};

/* New findings name records the report may still hold in its window: keep those. */
static void sync_named(struct report_run *s)
{
    size_t n;
    const struct msl_finding *f = msl_hunt_findings(s->hunt, &n);
    for (; s->findings_seen < n; s->findings_seen++)
        html_report_named(s->html, &f[s->findings_seen]);
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct report_run *s = a->consumer;
    app_progress(a);
    msl_hunt_event(s->hunt, e);
    sync_named(s);
    if (msl_summary_add(s->sum, e) != MSL_OK || msl_correlator_add(s->corr, e) != MSL_OK) {
        a->failed = 1;
        fprintf(stderr, "mailsleuth: out of memory\n");
        return 1;
    }
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct app *a = ctx;
    struct report_run *s = a->consumer;
    if (s->app_unparsed)
        s->app_unparsed(ctx, ln, why);
    msl_hunt_unparsed(s->hunt, ln, why);
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct report_run *s = ctx;
    msl_summary_message(s->sum, m);
    msl_hunt_message(s->hunt, m);
    int kept = html_report_message(s->html, m);
    sync_named(s); /* after: a finding about m itself may name it */
    return kept;
}

static int on_session(void *ctx, struct msl_session *ss)
{
    struct report_run *s = ctx;
    msl_hunt_session(s->hunt, ss);
    int kept = html_report_session(s->html, ss);
    sync_named(s);
    return kept;
}

/* Writes the page to path through a temporary file in the same directory. */
static int write_to(struct report_run *s, const struct app *a, const char *path)
{
    if (!strcmp(path, "-"))
        return html_report_write(s->html, s->sum, s->hunt, &a->run, stdout);
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return MSL_ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "mailsleuth: cannot create %s: %s\n", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return MSL_EIO;
    }
    fchmod(fd, 0644);
    int rc = html_report_write(s->html, s->sum, s->hunt, &a->run, f);
    if (fflush(f) != 0 || fsync(fd) != 0)
        rc = rc ? rc : MSL_EIO;
    if (fclose(f) != 0)
        rc = rc ? rc : MSL_EIO;
    if (rc == MSL_OK && rename(tmp, path) != 0) {
        fprintf(stderr, "mailsleuth: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        rc = MSL_EIO;
    }
    if (rc != MSL_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

int cmd_html_report(struct app *a)
{
    struct cli *c = &a->cli;
    if (!c->output) {
        fprintf(stderr, "mailsleuth: report needs -o FILE.html (or -o - for stdout)\n");
        return EXIT_USAGE;
    }
    struct msl_rules *rules = msl_rules_new();
    if (!rules)
        return EXIT_INTERNAL;
    if (c->rules) {
        char err[1024];
        if (msl_rules_load(rules, c->rules, err, sizeof err) != MSL_OK) {
            fprintf(stderr, "mailsleuth: %s\n", err);
            msl_rules_free(rules);
            return EXIT_USAGE;
        }
    }
    int rc = app_setup(a);
    if (rc) {
        msl_rules_free(rules);
        return rc;
    }
    a->ro.hash = 1; /* the overview lists every input's SHA-256 */
    /* one correlator: the summary books the messages this run's correlator closes */
    struct msl_summary_opts so = {.tz = a->tz, .top = c->top, .inv = &a->inv,
                                  .external_messages = 1};
    struct msl_site *site = app_site_load(c); /* the same site context as hunt's */
    if (!site) {
        msl_rules_free(rules);
        return EXIT_USAGE;
    }
    /* the same lookups as hunt: databases, IP lists, protected and local domains */
    struct app_lookups lk = {0};
    if (app_lookups_load(c, site, &lk) != 0) {
        msl_rules_free(rules);
        msl_site_free(site);
        return EXIT_USAGE;
    }
    struct msl_hunt_opts ho = {
        .max_evidence = c->max_evidence, .show_lines = 1, /* the report shows the lines */
        .local_domains = c->local_domains, .nlocal_domains = c->nlocal_domains,
        .trusted_nets = c->trusted_nets, .ntrusted_nets = c->ntrusted_nets, .site = site,
        .lookups = &lk.cfg};
    struct html_report_opts hro = {.tz = a->tz, .inv = &a->inv, .top = c->top};
    struct report_run s = {0};
    s.sum = msl_summary_new(&so);
    s.hunt = msl_hunt_new(&ho, rules);
    s.html = html_report_new(&hro);
    msl_rules_free(rules);
    struct msl_correlate_opts co = {.keep_lines = 1};
    struct msl_correlate_sink cs = {.ctx = &s, .message = on_message, .session = on_session};
    s.corr = s.sum && s.hunt && s.html ? msl_correlator_new(&co, &cs) : NULL;
    int wrc = MSL_OK, run_rc = MSL_ENOMEM;
    if (s.corr) {
        a->consumer = &s;
        struct msl_sink sink = app_sink(a, on_event);
        s.app_unparsed = sink.unparsed;
        sink.unparsed = on_unparsed;
        run_rc = msl_run(c->paths, c->npaths, &a->ro, &sink, &a->run);
        app_progress_done(a); /* the progress line goes before any output */
        msl_correlator_finish(s.corr);
        msl_summary_finish(s.sum);
        msl_hunt_finish(s.hunt);
        /* findings of the rules' finish (sorted in with the others): name what is left */
        size_t nfin;
        const struct msl_finding *fin = msl_hunt_findings(s.hunt, &nfin);
        for (size_t i = 0; i < nfin; i++)
            html_report_named(s.html, &fin[i]);
        if (msl_hunt_failed(s.hunt) || html_report_failed(s.html))
            a->failed = 1;
        if (!a->failed)
            wrc = write_to(&s, a, c->output);
        if (!c->quiet && wrc == MSL_OK && !a->failed && strcmp(c->output, "-") != 0) {
            size_t nf;
            msl_hunt_findings(s.hunt, &nf);
            fprintf(stderr, "mailsleuth: report written (%zu finding%s)\n", nf,
                    nf == 1 ? "" : "s");
        }
    } else {
        a->failed = 1;
    }
    msl_correlator_free(s.corr);
    html_report_free(s.html);
    msl_hunt_free(s.hunt);
    app_lookups_free(&lk);
    msl_site_free(site); /* after the hunt and the lookups, which borrowed it */
    msl_summary_free(s.sum);
    return app_finish(a, run_rc, wrc);
}
