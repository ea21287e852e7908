/* cmd_report.c - `summary` and `timeline`: one pass, one consumer, render at the end. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "mailsleuth/report.h"

static int to_summary(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    app_progress(a);
    if (msl_summary_add(a->consumer, e) != MSL_OK) {
        a->failed = 1;
        fprintf(stderr, "mailsleuth: out of memory\n");
        return 1;
    }
    return 0;
}

static int to_timeline(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    app_progress(a);
    int rc = msl_timeline_add(a->consumer, e);
    if (rc != MSL_OK) {
        a->failed = 1;
        fprintf(stderr, "mailsleuth: timeline: %s\n", msl_strerror(rc));
        return 1;
    }
    return 0;
}

int cmd_summary(struct app *a)
{
    const char *f = a->cli.format;
    int json = f && !strcmp(f, "json");
    if (f && !json && strcmp(f, "text") != 0) {
        fprintf(stderr, "mailsleuth: summary writes text or json, not '%s'\n", f);
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc)
        return rc;
    struct msl_summary_opts so = {.tz = a->tz, .top = a->cli.top, .inv = &a->inv,
                                  .palette = a->pal};
    a->ro.hash = json; /* JSON answers carry the inputs' fingerprints */
    struct msl_summary *the_summary = msl_summary_new(&so);
    a->consumer = the_summary;
    if (!the_summary) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        return EXIT_INTERNAL;
    }
    struct msl_sink sink = app_sink(a, to_summary);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    int wrc = MSL_OK;
    if (!a->failed) {
        msl_summary_finish(the_summary);
        wrc = json ? msl_summary_write_json(the_summary, &a->run, stdout)
                   : msl_summary_write_text(the_summary, &a->run, stdout);
    }
    msl_summary_free(the_summary);
    return app_finish(a, run_rc, wrc);
}

int cmd_timeline(struct app *a)
{
    const char *f = a->cli.format;
    enum msl_timeline_format fmt = MSL_TL_TEXT;
    if (f && msl_timeline_format_from_name(f, &fmt) != 0) {
        fprintf(stderr, "mailsleuth: timeline writes text, jsonl, csv, ecs, ecs-bulk or "
                        "splunk-hec, not '%s'\n", f);
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc)
        return rc;
    struct msl_timeline *the_timeline = msl_timeline_new(fmt, a->tz, &a->run, a->cli.sort_mem);
    a->consumer = the_timeline;
    if (!the_timeline) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        return EXIT_INTERNAL;
    }
    struct msl_sink sink = app_sink(a, to_timeline);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    int wrc = a->failed ? MSL_OK : msl_timeline_write(the_timeline, stdout);
    msl_timeline_free(the_timeline);
    return app_finish(a, run_rc, wrc);
}
