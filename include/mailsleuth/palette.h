/*
 * palette.h - colours a text renderer may put around parts of its output (severities in
 * hunt, statuses in trace and search, headings in summary).
 *
 * A palette maps each hue to an SGR escape sequence chosen by the program (src/color.c),
 * never to anything read from a log; a NULL palette means plain text.  Log content inside
 * a coloured span is escaped as always (util/esc.h: no ESC byte gets through), so it cannot
 * end the span or start another.
 */
#ifndef MAILSLEUTH_PALETTE_H
#define MAILSLEUTH_PALETTE_H

#include "correlate.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

enum msl_hue {
    MSL_HUE_PLAIN = 0,
    MSL_HUE_GOOD,     /* delivered, sent */
    MSL_HUE_WARN,     /* deferred, held; medium findings */
    MSL_HUE_BAD,      /* bounced, rejected, expired; high findings */
    MSL_HUE_CRITICAL, /* critical findings */
    MSL_HUE_NOTE,     /* low findings, forwarded/relayed */
    MSL_HUE_DIM,      /* info findings */
    MSL_HUE_HEADING,  /* section headings */
    MSL_HUE__COUNT
};

struct msl_palette {
    const char *on[MSL_HUE__COUNT]; /* SGR to start a span of each hue ("" = none) */
    const char *off;                /* SGR that ends any span */
};

/* Start and end of a span: "" without a palette or for a hue it leaves plain. */
const char *msl_hue_on(const struct msl_palette *p, enum msl_hue h);
const char *msl_hue_off(const struct msl_palette *p, enum msl_hue h);

enum msl_hue msl_hue_of_status(enum msl_status s);
enum msl_hue msl_hue_of_outcome(enum msl_outcome o);
/* severity: enum msl_fsev (detect.h), info .. critical */
enum msl_hue msl_hue_of_severity(int severity);

#ifdef __cplusplus
}
#endif
#endif
