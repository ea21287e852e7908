/* palette.c - which hue each status, outcome and severity gets (see palette.h). */
#include "mailsleuth/detect.h"
#include "mailsleuth/palette.h"

const char *msl_hue_on(const struct msl_palette *p, enum msl_hue h)
{
    if (!p || (unsigned)h >= MSL_HUE__COUNT || !p->on[h])
        return "";
    return p->on[h];
}

const char *msl_hue_off(const struct msl_palette *p, enum msl_hue h)
{
    return *msl_hue_on(p, h) && p->off ? p->off : "";
}

enum msl_hue msl_hue_of_status(enum msl_status s)
{
    switch (s) {
    case MSL_ST_SENT:
    case MSL_ST_DELIVERABLE: return MSL_HUE_GOOD;
    case MSL_ST_FORWARDED: return MSL_HUE_NOTE;
    case MSL_ST_DEFERRED:
    case MSL_ST_HELD: return MSL_HUE_WARN;
    case MSL_ST_BOUNCED:
    case MSL_ST_EXPIRED:
    case MSL_ST_UNDELIVERABLE:
    case MSL_ST_DISCARDED: return MSL_HUE_BAD;
    default: return MSL_HUE_PLAIN;
    }
}

enum msl_hue msl_hue_of_outcome(enum msl_outcome o)
{
    switch (o) {
    case MSL_OUT_DELIVERED: return MSL_HUE_GOOD;
    case MSL_OUT_RELAYED:
    case MSL_OUT_FORWARDED: return MSL_HUE_NOTE;
    case MSL_OUT_DEFERRED:
    case MSL_OUT_QUARANTINED: return MSL_HUE_WARN;
    case MSL_OUT_EXPIRED:
    case MSL_OUT_BOUNCED:
    case MSL_OUT_REJECTED:
    case MSL_OUT_DISCARDED: return MSL_HUE_BAD;
    default: return MSL_HUE_PLAIN;
    }
}

enum msl_hue msl_hue_of_severity(int severity)
{
    switch (severity) {
    case MSL_FSEV_CRITICAL: return MSL_HUE_CRITICAL;
    case MSL_FSEV_HIGH: return MSL_HUE_BAD;
    case MSL_FSEV_MEDIUM: return MSL_HUE_WARN;
    case MSL_FSEV_LOW: return MSL_HUE_NOTE;
    default: return MSL_HUE_DIM;
    }
}
