/*
 * html_svg.c - charts as inline SVG, written in C (no chart library, no script).  Colours
 * and fonts come from the stylesheet through class names; geometry is in presentation
 * attributes, never in style attributes, so the page's Content-Security-Policy needs no
 * 'unsafe-inline'.  Labels that come from logs go through html_esc.
 */
#include <stdio.h>
#include <string.h>

#include "report/html.h"

#define LABEL_MAX 30 /* bytes of a log-derived label shown in a chart */
#define LONG_LABEL_MAX 66 /* the same, written above its bar */
#define TIP_MAX 400  /* bytes of it in the tooltip */

/* A round step so that about `want` steps cover max (1, 2, 5 x 10^k). */
static long long nice_step(long long max, int want)
{
    long long raw = max / want + (max % want != 0), p = 1;
    if (raw < 1)
        raw = 1;
    while (p * 10 <= raw)
        p *= 10;
    if (p >= raw)
        return p;
    if (2 * p >= raw)
        return 2 * p;
    if (5 * p >= raw)
        return 5 * p;
    return 10 * p;
}

static void fig_open(struct buf *b, const char *id, const char *title)
{
    buf_addf(b, "<figure class=\"chart\" id=\"%s\"><figcaption>", id);
    html_escs(b, title, 0);
    buf_adds(b, "</figcaption>");
}

void svg_bars(struct buf *b, const char *id, const char *title, const char *unit,
              const struct svg_bar *rows, size_t n, long long more)
{
    fig_open(b, id, title);
    if (n == 0) {
        buf_adds(b, "<p class=\"none\">none in these logs</p></figure>\n");
        return;
    }
    /* short labels sit left of their bar; long ones (reasons) above it, across the chart */
    int long_labels = 0;
    for (size_t i = 0; i < n; i++)
        long_labels |= rows[i].label_len > LABEL_MAX;
    const int row_h = long_labels ? 38 : 22, label_w = long_labels ? 0 : 240, top = 4;
    const int bar_w = long_labels ? 440 : 240;
    const size_t label_max = long_labels ? LONG_LABEL_MAX : LABEL_MAX;
    int width = label_w + bar_w + 70, height = top + (int)n * row_h + 22;
    long long max = 1;
    for (size_t i = 0; i < n; i++)
        if (rows[i].value > max)
            max = rows[i].value;
    buf_addf(b, "<svg class=\"bars\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>",
             width, height, width, height);
    html_escs(b, title, 0);
    buf_adds(b, "</title>");
    for (size_t i = 0; i < n; i++) {
        int y = top + (int)i * row_h, bar_y = long_labels ? y + 19 : y + 3;
        double w = (double)rows[i].value / (double)max * bar_w;
        if (w < 1 && rows[i].value > 0)
            w = 1;
        if (long_labels)
            buf_addf(b, "<text class=\"lbl\" x=\"0\" y=\"%d\"><title>", y + 13);
        else
            buf_addf(b, "<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"end\"><title>",
                     label_w - 8, y + 15);
        html_esc(b, rows[i].label, rows[i].label_len, TIP_MAX);
        buf_adds(b, "</title>");
        html_esc_label(b, rows[i].label, rows[i].label_len, label_max);
        buf_addf(b, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    "rx=\"2\"/><text class=\"val\" x=\"%.1f\" y=\"%d\">%lld</text>",
                 label_w, bar_y, w, 16, label_w + w + 6, bar_y + 12, rows[i].value);
    }
    int ay = top + (int)n * row_h + 16;
    buf_addf(b, "<text class=\"axis\" x=\"%d\" y=\"%d\">", label_w, ay);
    html_escs(b, unit, 0);
    buf_adds(b, "</text></svg>");
    if (more > 0)
        buf_addf(b, "<p class=\"more\">%lld more not shown</p>", more);
    buf_adds(b, "</figure>\n");
}

void svg_stacked(struct buf *b, const char *id, const char *title, const char *yunit,
                 const char *xunit, const struct svg_series *series, size_t nseries,
                 const long long *values, size_t ncols, const char *const *xlabels)
{
    buf_addf(b, "<figure class=\"chart wide\" id=\"%s\"><figcaption>", id);
    html_escs(b, title, 0);
    buf_adds(b, "</figcaption>");
    if (ncols == 0) {
        buf_adds(b, "<p class=\"none\">none in these logs</p></figure>\n");
        return;
    }
    const int left = 60, right = 14, top = 14, bottom = 52, plot_h = 200;
    int plot_w = 720, width = left + plot_w + right, height = top + plot_h + bottom;
    long long max = 0;
    for (size_t c = 0; c < ncols; c++) {
        long long sum = 0;
        for (size_t s = 0; s < nseries; s++)
            sum += values[c * nseries + s];
        if (sum > max)
            max = sum;
    }
    long long step = nice_step(max ? max : 1, 4);
    long long ymax = step * ((max + step - 1) / step);
    if (ymax == 0)
        ymax = step;
    buf_addf(b, "<svg class=\"stacked\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>",
             width, height, width, height);
    html_escs(b, title, 0);
    buf_adds(b, "</title>");
    /* y grid and ticks */
    for (long long v = 0; v <= ymax; v += step) {
        double y = top + plot_h - (double)v / (double)ymax * plot_h;
        buf_addf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                    "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>",
                 left, left + plot_w, y, y, left - 6, y + 4, v);
    }
    double colw = (double)plot_w / (double)ncols;
    double gap = colw > 6 ? colw * 0.15 : 0;
    if (colw - gap > 36) /* few columns: slim bars, centred */
        gap = colw - 36;
    for (size_t c = 0; c < ncols; c++) {
        double y = top + plot_h;
        for (size_t s = 0; s < nseries; s++) {
            long long v = values[c * nseries + s];
            if (v <= 0)
                continue;
            double h = (double)v / (double)ymax * plot_h;
            y -= h;
            buf_addf(b, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                        "height=\"%.2f\"><title>",
                     series[s].cls, left + c * colw + gap / 2, y, colw - gap, h);
            html_escs(b, xlabels[c], 0);
            buf_addf(b, ": %lld ", v);
            html_escs(b, series[s].name, 0);
            buf_adds(b, "</title></rect>");
        }
    }
    buf_addf(b, "<line class=\"axisline\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>", left,
             left + plot_w, top + plot_h, top + plot_h);
    /* at most 8 x labels, evenly spaced, always the first */
    size_t every = ncols / 8 + (ncols % 8 != 0);
    for (size_t c = 0; c < ncols; c += every ? every : 1) {
        double x = left + c * colw + colw / 2;
        buf_addf(b, "<line class=\"axisline\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                    "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                 x, x, top + plot_h, top + plot_h + 4, x, top + plot_h + 18);
        html_escs(b, xlabels[c], 0);
        buf_adds(b, "</text>");
    }
    buf_addf(b, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", left + plot_w / 2,
             height - 10);
    html_escs(b, xunit, 0);
    buf_addf(b, "</text><text class=\"axis\" x=\"14\" y=\"%d\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 14 %d)\">", top + plot_h / 2, top + plot_h / 2);
    html_escs(b, yunit, 0);
    buf_adds(b, "</text></svg><p class=\"legend\">");
    for (size_t s = 0; s < nseries; s++) {
        buf_addf(b, "<span class=\"key\"><svg width=\"12\" height=\"12\" "
                    "xmlns=\"http://www.w3.org/2000/svg\"><rect class=\"%s\" width=\"12\" "
                    "height=\"12\" rx=\"2\"/></svg> ", series[s].cls);
        html_escs(b, series[s].name, 0);
        buf_adds(b, "</span>");
    }
    buf_adds(b, "</p></figure>\n");
}
