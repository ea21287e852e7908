/* color.c - the colour decision and the one palette (see color.h).  The escape sequences
 * are these constants only; nothing from a log or the environment is ever copied in. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"

static const struct msl_palette ansi = {
    .on = {
        [MSL_HUE_GOOD] = "\033[32m",       /* green */
        [MSL_HUE_WARN] = "\033[33m",       /* yellow */
        [MSL_HUE_BAD] = "\033[31m",        /* red */
        [MSL_HUE_CRITICAL] = "\033[1;31m", /* bold red */
        [MSL_HUE_NOTE] = "\033[36m",       /* cyan */
        [MSL_HUE_DIM] = "\033[2m",         /* faint */
        [MSL_HUE_HEADING] = "\033[1m",     /* bold */
    },
    .off = "\033[0m",
};

int color_valid(const char *when)
{
    return !when || !strcmp(when, "auto") || !strcmp(when, "always") || !strcmp(when, "never");
}

const struct msl_palette *color_choose(const char *when, int fd)
{
    if (when && !strcmp(when, "never"))
        return NULL;
    if (when && !strcmp(when, "always"))
        return &ansi;
    const char *no = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if ((no && *no) || !term || !*term || !strcmp(term, "dumb") || !isatty(fd))
        return NULL;
    return &ansi;
}
