/*
 * cmd_watch.c - `watch PATH...`: follow live logs and alert hunt's findings as they appear
 * (include/mailsleuth/watch.h; the loop is lib/watch).  The rules, the site context and
 * the local-domain / trusted-net options are hunt's; the alert targets, the state file and
 * the follow options are watch's own.  Runs until SIGTERM/SIGINT, or the end of stdin when
 * that is the only input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/site.h"
#include "mailsleuth/watch.h"

int cmd_watch(struct app *a)
{
    struct cli *c = &a->cli;
    if (c->geoip || c->asn || c->nip_lists) {
        fprintf(stderr, "mailsleuth: watch does not take --geoip, --asn or --ip-list yet "
                        "(run hunt on the logs for the origin rules)\n");
        return EXIT_USAGE;
    }
    struct msl_watch_opts wo = {.paths = c->paths, .npaths = c->npaths,
                                .updates = c->updates, .state = c->state, .poll = c->poll,
                                .idle_s = c->idle, .from_start = c->from_start,
                                .exec_timeout = (double)c->exec_timeout,
                                .exec_queue = (size_t)c->exec_queue, .quiet = c->quiet};
    char err[512];
    for (size_t i = 0; i < c->nalerts; i++) {
        if (msl_watch_alert_valid(c->alerts[i], err, sizeof err) != 0) {
            fprintf(stderr, "mailsleuth: %s\n", err);
            return EXIT_USAGE;
        }
        wo.alerts[wo.nalerts++] = c->alerts[i];
    }
    if (!wo.nalerts)
        wo.alerts[wo.nalerts++] = "jsonl:-";
    if (c->syslog_facility && (wo.syslog_facility = msl_watch_facility(c->syslog_facility)) < 0) {
        fprintf(stderr, "mailsleuth: --syslog-facility wants daemon, mail, auth, authpriv, "
                        "user or local0..local7, not '%s'\n", c->syslog_facility);
        return EXIT_USAGE;
    }
    if (c->min_severity && (wo.min_severity = msl_fsev_from_name(c->min_severity)) < 0) {
        fprintf(stderr, "mailsleuth: --min-severity wants info, low, medium, high or "
                        "critical, not '%s'\n", c->min_severity);
        return EXIT_USAGE;
    }
    struct msl_rules *rules = msl_rules_new();
    if (!rules)
        return EXIT_INTERNAL;
    if (c->rules) {
        if (msl_rules_load(rules, c->rules, err, sizeof err) != MSL_OK) {
            fprintf(stderr, "mailsleuth: %s\n", err);
            msl_rules_free(rules);
            return EXIT_USAGE;
        }
    }
    struct msl_site *site = app_site_load(c);
    if (!site) {
        msl_rules_free(rules);
        return EXIT_USAGE;
    }
    c->progress = -1; /* a follower has no end to show progress towards */
    int rc = app_setup(a);
    if (rc) {
        msl_rules_free(rules);
        msl_site_free(site);
        return rc;
    }
    a->ro.threads = 1;
    static struct app_lookups lk; /* protected and local domains, as hunt (not on the stack) */
    if (app_lookups_load(c, site, &lk) != 0) {
        msl_rules_free(rules);
        msl_site_free(site);
        return EXIT_USAGE;
    }
    struct msl_hunt_opts ho = {
        .max_evidence = c->max_evidence, .show_lines = c->show_lines,
        .local_domains = c->local_domains, .nlocal_domains = c->nlocal_domains,
        .trusted_nets = c->trusted_nets, .ntrusted_nets = c->ntrusted_nets, .site = site,
        .lookups = &lk.cfg};
    wo.run = &a->ro;
    wo.hunt = &ho;
    wo.rules = rules;
    int wrc = msl_watch(&wo);
    msl_rules_free(rules);
    app_lookups_free(&lk);
    msl_site_free(site);
    if (fflush(stdout) != 0 && wrc == MSL_OK)
        wrc = MSL_EIO;
    switch (wrc) {
    case MSL_OK: return EXIT_OK;
    case MSL_EUSAGE: return EXIT_USAGE;
    default: return EXIT_INTERNAL;
    }
}
