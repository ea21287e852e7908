/*
 * html_report.h - `mailsleuth report`: one self-contained HTML case file built from one
 * pass that feeds the summary, the correlator and the detectors.  This consumer keeps
 * what the sections need and nothing else: per-hour counts from every finished message and
 * session, and a bounded set of records (messages for the table and the path view,
 * sessions with AUTH failures or rejects; past those caps, records a finding names soon
 * after they finish).  The summary's tables and the hunt's findings
 * are read from those consumers when writing.
 *
 * Output: inline CSS and one inline script, both pinned by SHA-256 in a
 * Content-Security-Policy meta tag (default-src 'none'); charts as inline SVG; every string
 * from a log through html_esc; tables capped ("N more") so the file stays under 2 MB.
 */
#ifndef MSL_REPORT_HTML_REPORT_H
#define MSL_REPORT_HTML_REPORT_H

#include <stdio.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/report.h"

struct html_report_opts {
    const struct msl_tz *tz;          /* printed times and chart buckets */
    const struct msl_invocation *inv; /* the command line shown in the overview */
    int top;                          /* rows of top-N charts; 0 = 10 */
};

struct html_report;

struct html_report *html_report_new(const struct html_report_opts *o);
void html_report_free(struct html_report *r);
/* A finished message / session from the correlator.  Returns 1 when the report keeps the
 * record (it then owns it), 0 when the caller may free it. */
int html_report_message(struct html_report *r, struct msl_message *m);
int html_report_session(struct html_report *r, struct msl_session *s);
/* A finding was emitted: the records it names that finished past the caps and are still
 * waiting in the report's window of recent records are kept after all. */
void html_report_named(struct html_report *r, const struct msl_finding *f);
int html_report_failed(const struct html_report *r); /* an allocation failed */
/* Writes the page.  s and h must be finished.  MSL_OK, MSL_ENOMEM or MSL_EIO. */
int html_report_write(struct html_report *r, const struct msl_summary *s,
                      const struct msl_hunt *h, const struct msl_run *run, FILE *out);

#endif
