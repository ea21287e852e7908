/*
 * cmd_hunt.c - `hunt [FILE|DIR]...`: run every enabled detector (include/mailsleuth/
 * detect.h, doc/DETECTIONS.md) over one pass of the inputs and print the findings.
 *
 * Events go to the detectors and to the correlator; the correlator's finished messages
 * and sessions go to the detectors too (then are freed: nothing is kept per record).
 * Unparsed lines reach the log-integrity rule as well as the usual --unparsed output.
 * Exit status: that of the run (app_finish), else 1 when --fail-on names a severity and a
 * finding at or above it exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/site.h"
#include "util/cidr.h"

struct hunt {
    struct app *a;
    struct msl_hunt *h;
    struct msl_correlator *c;
    void (*app_unparsed)(void *ctx, const struct msl_line *ln, const char *why);
};

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct hunt *s = a->consumer;
    app_progress(a);
    msl_hunt_event(s->h, e);
    if (msl_correlator_add(s->c, e) != MSL_OK) {
        a->failed = 1;
        return 1;
    }
    return 0;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct app *a = ctx;
    struct hunt *s = a->consumer;
    if (s->app_unparsed)
        s->app_unparsed(ctx, ln, why);
    msl_hunt_unparsed(s->h, ln, why);
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct hunt *s = ctx;
    msl_hunt_message(s->h, m);
    return 0;
}

static int on_session(void *ctx, struct msl_session *ss)
{
    struct hunt *s = ctx;
    msl_hunt_session(s->h, ss);
    return 0;
}

static int parse_format(const char *f, enum msl_hunt_format *o)
{
    if (!f || !strcmp(f, "text"))
        *o = MSL_HUNT_TEXT;
    else if (!strcmp(f, "json"))
        *o = MSL_HUNT_JSON;
    else if (!strcmp(f, "jsonl"))
        *o = MSL_HUNT_JSONL;
    else
        return 0;
    return 1;
}

int cmd_hunt(struct app *a)
{
    struct cli *c = &a->cli;
    enum msl_hunt_format fmt;
    if (!parse_format(c->format, &fmt)) {
        fprintf(stderr, "mailsleuth: hunt writes text, json or jsonl, not '%s'\n", c->format);
        return EXIT_USAGE;
    }
    int fail_on = -1;
    if (c->fail_on && (fail_on = msl_fsev_from_name(c->fail_on)) < 0) {
        fprintf(stderr, "mailsleuth: --fail-on wants info, low, medium, high or critical, not "
                        "'%s'\n", c->fail_on);
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
    if (c->print_rules) {
        msl_rules_write(rules, stdout);
        msl_rules_free(rules);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
    }
    for (size_t i = 0; i < c->ntrusted_nets; i++) {
        /* validate here so a typo is a usage error, not a silently ignored network */
        const char *n = c->trusted_nets[i], *why = NULL;
        struct msl_cidr net;
        if (msl_cidr_parse(&net, n, strlen(n), &why) != 0) {
            fprintf(stderr, "mailsleuth: --trusted-net wants an address or CIDR like "
                            "192.0.2.0/24, not '%s' (%s)\n", n, why);
            msl_rules_free(rules);
            return EXIT_USAGE;
        }
    }
    struct msl_site *site = app_site_load(c);
    if (!site) {
        msl_rules_free(rules);
        return EXIT_USAGE;
    }
    struct app_lookups origin = {0};
    if (app_lookups_load(c, site, &origin) != 0) {
        msl_rules_free(rules);
        msl_site_free(site);
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    a->ro.hash = fmt != MSL_HUNT_TEXT; /* JSON answers carry the inputs' fingerprints */
    if (rc) {
        msl_rules_free(rules);
        app_lookups_free(&origin);
        msl_site_free(site);
        return rc;
    }
    struct msl_hunt_opts ho = {
        .max_evidence = c->max_evidence, .show_lines = c->show_lines,
        .local_domains = c->local_domains, .nlocal_domains = c->nlocal_domains,
        .trusted_nets = c->trusted_nets, .ntrusted_nets = c->ntrusted_nets, .site = site,
        .palette = a->pal, .lookups = &origin.cfg};
    struct hunt s = {.a = a};
    s.h = msl_hunt_new(&ho, rules);
    msl_rules_free(rules);
    struct msl_correlate_opts co = {.keep_lines = c->show_lines};
    struct msl_correlate_sink cs = {.ctx = &s, .message = on_message, .session = on_session};
    s.c = s.h ? msl_correlator_new(&co, &cs) : NULL;
    if (!s.h || !s.c) {
        msl_hunt_free(s.h);
        msl_correlator_free(s.c);
        app_lookups_free(&origin);
        msl_site_free(site);
        return EXIT_INTERNAL;
    }
    a->consumer = &s;
    struct msl_sink sink = app_sink(a, on_event);
    s.app_unparsed = sink.unparsed;
    sink.unparsed = on_unparsed;
    int run_rc = msl_run(c->paths, c->npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    msl_correlator_finish(s.c);
    msl_hunt_finish(s.h);
    if (msl_hunt_failed(s.h))
        a->failed = 1;
    int wrc = MSL_OK;
    if (!a->failed)
        wrc = msl_hunt_write(s.h, fmt, &a->run, a->tz, &a->inv, stdout);
    size_t nf;
    const struct msl_finding *f = msl_hunt_findings(s.h, &nf);
    int hit = 0;
    for (size_t i = 0; i < nf && fail_on >= 0; i++)
        if ((int)f[i].severity >= fail_on)
            hit = 1;
    if (!c->quiet)
        fprintf(stderr, "mailsleuth: %zu finding%s\n", nf, nf == 1 ? "" : "s");
    msl_correlator_free(s.c);
    msl_hunt_free(s.h);
    app_lookups_free(&origin);
    msl_site_free(site);
    rc = app_finish(a, run_rc, wrc);
    if (rc == EXIT_OK && hit)
        rc = EXIT_FINDINGS;
    return rc;
}
