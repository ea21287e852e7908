/*
 * app.h - what every command shares: options, the zone, the run record, progress and
 * problem reporting on stderr, and the mapping to exit statuses (src/ only).
 */
#ifndef MSL_APP_H
#define MSL_APP_H

#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "color.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/report.h"
#include "util/geoip.h"

struct app {
    struct cli cli;
    struct msl_tz *tz;
    struct msl_run run;
    struct msl_run_opts ro;
    int progress;             /* a progress display may run (app_setup decides) */
    uint64_t seen;            /* events seen (app_progress) */
    struct progress *meter;   /* the progress line's thread, while the run lasts */
    const struct msl_palette *pal; /* colours for text on stdout, NULL = plain */
    int failed;     /* a consumer failed (out of memory) */
    void *consumer; /* the command's consumer (summary, timeline, ...) */
    struct msl_invocation inv; /* argv, for JSON provenance */
};

/* Loads the zone, checks dialect and times, defaults to stdin; prints errors.
 * Returns 0 or an exit status. */
int app_setup(struct app *a);
/* A sink with the shared unparsed/problem/progress callbacks and the given event callback. */
struct msl_sink app_sink(struct app *a, int (*event)(void *ctx, const struct msl_event *e));
/* Counts one event for the progress line (cheap: call it per event). */
void app_progress(struct app *a);
/* Ends the progress line: call it when the run is over, before writing output. */
void app_progress_done(struct app *a);
/* Exit status after a run whose output was written with result wrc. */
int app_finish(struct app *a, int run_rc, int wrc);
void app_free(struct app *a);

struct msl_site;
/* The site context of --site-config, --site and --protected-domain (hunt, report); NULL
 * after printing why a file could not be read or understood (a usage error). */
struct msl_site *app_site_load(const struct cli *c);

/* The hunt's lookups (msl_hunt_opts.lookups = &l.cfg): GeoIP/ASN databases and IP lists
 * opened from the CLI, protected and local domains from --local-domain and the site context
 * (--protected-domain is in it).  Returns 0, or -1 after saying why on stderr.  site must
 * outlive the lookups; free with app_lookups_free. */
#define APP_LOOKUPS_MAX 1024
struct app_lookups {
    const char *prot[APP_LOOKUPS_MAX], *local[APP_LOOKUPS_MAX]; /* borrowed from cli, site */
    struct geo_db *country, *asn;
    struct geo_iplist *lists[CLI_MAX_LIST];
    size_t nlists;
    struct geo_hunt_cfg cfg;
};
int app_lookups_load(const struct cli *c, const struct msl_site *site, struct app_lookups *l);
void app_lookups_free(struct app_lookups *l);

int cmd_summary(struct app *a);
int cmd_timeline(struct app *a);
int cmd_trace(struct app *a, const char *query);
int cmd_search(struct app *a, const char *expr);
int cmd_formats(struct app *a);
int cmd_verify(struct app *a);
int cmd_hunt(struct app *a);
int cmd_headers(struct app *a, const char *file);
int cmd_html_report(struct app *a); /* report -o FILE.html */
int cmd_ingest(struct app *a);
int cmd_sql(struct app *a, const char *query);
int cmd_watch(struct app *a);

#endif
