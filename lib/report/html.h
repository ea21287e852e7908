/*
 * html.h - the HTML case report's building blocks (lib/report/html_*.c), not public.
 *
 *   html_escape.c  the one escaper for log content in HTML text and attribute values
 *   html_svg.c     charts as inline SVG (bars, stacked time series), no script, no style
 *                  attributes (so a strict Content-Security-Policy holds)
 *   html_report.c  the report: what it keeps of the run, and its sections
 */
#ifndef MSL_REPORT_HTML_H
#define MSL_REPORT_HTML_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Appends p[0..n) escaped for HTML text and for a double- or single-quoted attribute value:
 * & < > " ' become entities; controls, DEL and invalid UTF-8 become the visible text \xNN
 * (esc_html); bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F,
 * U+061C) become the visible text [U+202E], so a log line cannot reorder what is shown
 * around it.  At most max input bytes are shown (0 = all), cut at a character boundary
 * and followed by "… [N more bytes]".  Returns b->err.
 */
int html_esc(struct buf *b, const char *p, size_t n, size_t max);
/* The same, but a cut value ends in a bare "…" (chart labels, where space is short). */
int html_esc_label(struct buf *b, const char *p, size_t n, size_t max);
/* The same for a NUL-terminated string; NULL is shown as nothing. */
int html_escs(struct buf *b, const char *s, size_t max);

/* Standard base64 (RFC 4648) of n bytes, for the CSP hash of the inline script. */
void html_base64(struct buf *b, const unsigned char *p, size_t n);

/* --- charts (html_svg.c) ------------------------------------------------------------- */

/* One horizontal bar per row: label (log content, escaped) and value. */
struct svg_bar {
    const char *label;
    size_t label_len;
    long long value;
};
/* id: the figure's element id (ours, not log content); unit: what the values count. */
void svg_bars(struct buf *b, const char *id, const char *title, const char *unit,
              const struct svg_bar *rows, size_t n, long long more);

#define SVG_MAX_SERIES 6
/* A stacked column chart over time: ncols columns, nseries values each (row-major). */
struct svg_series {
    const char *name;
    const char *cls; /* CSS class giving its colour (ours) */
};
void svg_stacked(struct buf *b, const char *id, const char *title, const char *yunit,
                 const char *xunit, const struct svg_series *series, size_t nseries,
                 const long long *values, size_t ncols, const char *const *xlabels);

#endif
