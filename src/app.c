/*
 * app.c - shared command plumbing (see app.h).  Everything written to stderr that comes
 * from a log or a file name is escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "mailsleuth/site.h"
#include "util/geoip.h"
#include "progress.h"
#include "util/esc.h"

int app_setup(struct app *a)
{
    struct cli *c = &a->cli;
    errno = 0;
    a->tz = msl_tz_load(c->tz);
    if (!a->tz && errno == ENOMEM) { /* not the zone's fault */
        fprintf(stderr, "mailsleuth: out of memory\n");
        return EXIT_INTERNAL;
    }
    if (!a->tz) {
        fprintf(stderr, "mailsleuth: unknown time zone '%s' (try UTC, +02:00 or an IANA name "
                        "like Europe/Berlin)\n", c->tz ? c->tz : "(machine default)");
        return EXIT_USAGE;
    }
    a->ro = (struct msl_run_opts){.tz = a->tz, .year = c->year, .dialect = c->dialect,
                                  .format = c->log_format, .block_size = c->block_size,
                                  .tz_explicit = c->tz != NULL};
    /* -j: parse on one core, fold (summary, correlator, detectors) on another */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    a->ro.threads = c->jobs ? c->jobs : ncpu > 1 ? 2 : 1;
    if (c->log_format && !msl_format_by_name(c->log_format)) {
        fprintf(stderr, "mailsleuth: unknown log format '%s' (mailsleuth formats lists them)\n",
                c->log_format);
        return EXIT_USAGE;
    }
    if (c->dialect && !msl_dialect_by_name(c->dialect)) {
        fprintf(stderr, "mailsleuth: unknown dialect '%s' (mailsleuth formats lists them)\n",
                c->dialect);
        return EXIT_USAGE;
    }
    const char *bad = NULL;
    if (c->since && !cli_parse_time(c->since, a->tz, &a->ro.since))
        bad = c->since;
    else if (c->until && !cli_parse_time(c->until, a->tz, &a->ro.until))
        bad = c->until;
    if (bad) {
        fprintf(stderr, "mailsleuth: cannot read time '%s' (use 2026-11-27, 2026-11-27T13:00 "
                        "or 2026-11-27T13:00:00+01:00)\n", bad);
        return EXIT_USAGE;
    }
    if (c->npaths == 0) {
        if (isatty(0)) {
            fprintf(stderr, "mailsleuth: no input given; name log files or directories, or "
                            "use '-' for stdin (see mailsleuth --help)\n");
            return EXIT_USAGE;
        }
        c->paths[c->npaths++] = "-";
    }
    /* progress: never with -q or --no-progress; forced by --progress; else on a terminal */
    a->progress = c->quiet || c->progress < 0 ? 0 : c->progress > 0 || isatty(2);
    if (a->progress)
        a->meter = progress_start(c->paths, c->npaths, c->progress > 0);
    a->pal = color_choose(c->color, 1);
    return 0;
}

void app_progress(struct app *a)
{
    /* publish every 64th count (a relaxed store): the display thread reads it */
    if ((++a->seen & 63) == 0 && a->meter)
        progress_events(a->meter, a->seen);
}

void app_progress_done(struct app *a)
{
    progress_stop(a->meter);
    a->meter = NULL;
}

static void on_unparsed(void *ctx, const struct msl_line *ln, const char *why)
{
    struct app *a = ctx;
    app_progress(a);
    if (!a->cli.unparsed)
        return;
    struct buf b;
    buf_init(&b, MSL_MAX_LINE * 4 + 1024);
    const char *src = msl_run_source_name(&a->run, ln->src);
    buf_adds(&b, "unparsed: ");
    esc_text(&b, src, strlen(src));
    buf_addf(&b, ":%llu: ", (unsigned long long)ln->lineno);
    esc_text(&b, why, strlen(why));
    buf_adds(&b, ": ");
    esc_text(&b, ln->p, ln->n);
    buf_addc(&b, '\n');
    progress_lock(a->meter);
    fwrite(b.p, 1, b.n, stderr);
    progress_unlock(a->meter);
    buf_free(&b);
}

static void on_problem(void *ctx, enum msl_problem_kind k, const char *name, const char *msg)
{
    struct app *a = ctx;
    if (a->cli.quiet && k == MSL_PROB_WARNING)
        return;
    struct buf b;
    buf_init(&b, 16384);
    buf_adds(&b, "mailsleuth: ");
    esc_text(&b, name, strlen(name));
    buf_adds(&b, k == MSL_PROB_ERROR ? ": error: " : ": warning: ");
    esc_text(&b, msg, strlen(msg));
    buf_addc(&b, '\n');
    progress_lock(a->meter); /* clears the progress line first */
    fwrite(b.p, 1, b.n, stderr);
    progress_unlock(a->meter);
    buf_free(&b);
}

struct msl_sink app_sink(struct app *a, int (*event)(void *ctx, const struct msl_event *e))
{
    return (struct msl_sink){.ctx = a, .event = event, .unparsed = on_unparsed,
                             .problem = on_problem};
}

int app_finish(struct app *a, int run_rc, int wrc)
{
    int write_errno = errno; /* a writer that failed returned right after the failed write */
    app_progress_done(a);
    if (run_rc == MSL_ENOMEM && !a->failed) /* a->failed: the sink has said why */
        fprintf(stderr, "mailsleuth: out of memory: the results are incomplete\n");
    if (a->failed || run_rc == MSL_ENOMEM)
        return EXIT_INTERNAL;
    if (wrc == MSL_ENOMEM) {
        fprintf(stderr, "mailsleuth: out of memory: no answer written\n");
        return EXIT_INTERNAL;
    }
    errno = 0;
    int flushed = fflush(stdout) == 0 && !ferror(stdout);
    /* what the system said: ENOSPC on a full disk, EPIPE on a closed pipe */
    int err = errno ? errno : write_errno;
    if (!flushed || wrc != MSL_OK) {
        fprintf(stderr, "mailsleuth: writing the output failed: %s\n",
                err ? strerror(err) : "write error");
        return EXIT_INTERNAL;
    }
    if (run_rc == MSL_EINPUT || a->run.totals.errors) {
        if (!a->cli.quiet)
            fprintf(stderr, "mailsleuth: %u input error%s: the results above leave out what "
                            "could not be read\n", a->run.totals.errors,
                    a->run.totals.errors == 1 ? "" : "s");
        return EXIT_INPUT;
    }
    return run_rc == MSL_OK || run_rc == MSL_ESTOPPED ? EXIT_OK : EXIT_INTERNAL;
}

void app_free(struct app *a)
{
    app_progress_done(a); /* also when a command stopped before its run */
    msl_run_free(&a->run);
    msl_tz_free(a->tz);
    free(a->cli.paths);
}

/* --site-config and --site: a file that cannot be read or understood is a usage error. */
struct msl_site *app_site_load(const struct cli *c)
{
    struct msl_site *site = msl_site_new();
    char err[1200];
    for (size_t i = 0; site && i < c->nsite_configs; i++)
        if (msl_site_load_config(site, c->site_configs[i], err, sizeof err) != MSL_OK) {
            fprintf(stderr, "mailsleuth: --site-config: %s\n", err);
            msl_site_free(site);
            return NULL;
        }
    for (size_t i = 0; site && i < c->nsite_files; i++)
        if (msl_site_load_file(site, c->site_files[i], err, sizeof err) != MSL_OK) {
            fprintf(stderr, "mailsleuth: --site: %s\n", err);
            msl_site_free(site);
            return NULL;
        }
    for (size_t i = 0; site && i < c->nprotected_domains; i++)
        msl_site_add(site, MSL_SITE_PROTECTED_DOMAIN, MSL_SITE_FROM_CLI, c->protected_domains[i],
                     -1, "--protected-domain", NULL, 0, err, sizeof err);
    return site;
}

/* --geoip, --asn, --ip-list and the site's protected and local domains, for every command
 * that runs the rules (hunt, report, ingest, watch), so they judge alike; a bad file is a
 * usage error naming it. */
void app_lookups_free(struct app_lookups *o)
{
    geo_close(o->country);
    geo_close(o->asn);
    for (size_t i = 0; i < o->nlists; i++)
        geo_iplist_free(o->lists[i]);
    memset(o, 0, sizeof *o);
}

int app_lookups_load(const struct cli *c, const struct msl_site *site, struct app_lookups *o)
{
    char err[1024];
    if (c->geoip && !(o->country = geo_open(c->geoip, err, sizeof err)))
        goto fail;
    if (c->asn && !(o->asn = geo_open(c->asn, err, sizeof err)))
        goto fail;
    for (size_t i = 0; i < c->nip_lists; i++) {
        const char *eq = strchr(c->ip_lists[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - c->ip_lists[i]), c->ip_lists[i]);
        if (!(o->lists[o->nlists] = geo_iplist_load(name, eq + 1, err, sizeof err)))
            goto fail;
        o->nlists++;
    }
    struct geo_hunt_cfg cfg = {
        .country = o->country, .asn = o->asn,
        .lists = (const struct geo_iplist *const *)o->lists, .nlists = o->nlists,
        .protected_domains = o->prot, .nprotected = 0,
        .local_domains = o->local, .nlocal = 0};
    /* --local-domain and the site context's domains (--protected-domain is in the site) */
    for (size_t i = 0; i < c->nlocal_domains && cfg.nlocal < APP_LOOKUPS_MAX; i++)
        o->local[cfg.nlocal++] = c->local_domains[i];
    size_t ne;
    const struct msl_site_entry *e = msl_site_entries(site, &ne);
    for (size_t i = 0; i < ne; i++) {
        if (e[i].kind == MSL_SITE_PROTECTED_DOMAIN && cfg.nprotected < APP_LOOKUPS_MAX)
            o->prot[cfg.nprotected++] = e[i].value;
        else if (e[i].kind == MSL_SITE_LOCAL_DOMAIN && cfg.nlocal < APP_LOOKUPS_MAX)
            o->local[cfg.nlocal++] = e[i].value;
    }
    o->cfg = cfg;
    return 0;
fail:
    fprintf(stderr, "mailsleuth: %s\n", err);
    app_lookups_free(o);
    return -1;
}
