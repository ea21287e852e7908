/* outcome.c - names of recipient outcomes (correlate.h), as JSON, CSV and search use them. */
#include <string.h>

#include "mailsleuth/correlate.h"

static const char *const names[MSL_OUT__COUNT] = {
    [MSL_OUT_NONE] = "none",           [MSL_OUT_DELIVERED] = "delivered",
    [MSL_OUT_RELAYED] = "relayed",     [MSL_OUT_FORWARDED] = "forwarded",
    [MSL_OUT_DEFERRED] = "deferred",   [MSL_OUT_EXPIRED] = "expired",
    [MSL_OUT_BOUNCED] = "bounced",     [MSL_OUT_REJECTED] = "rejected",
    [MSL_OUT_DISCARDED] = "discarded", [MSL_OUT_QUARANTINED] = "quarantined",
};

const char *msl_outcome_name(enum msl_outcome o)
{
    return (unsigned)o < MSL_OUT__COUNT ? names[o] : "none";
}

int msl_outcome_from_name(const char *s, size_t n)
{
    for (int i = 0; i < MSL_OUT__COUNT; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return i;
    return -1;
}
