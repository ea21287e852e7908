/* color.h - whether text output is coloured (--color, NO_COLOR, TERM), and the palette. */
#ifndef MSL_COLOR_H
#define MSL_COLOR_H

#include "mailsleuth/palette.h"

/* 1 when when is auto, always or never (NULL = auto). */
int color_valid(const char *when);
/* The palette for output on fd, or NULL for plain text: never -> plain; always -> colour;
 * auto -> colour when fd is a terminal, NO_COLOR is unset or empty (https://no-color.org)
 * and TERM is set and not "dumb". */
const struct msl_palette *color_choose(const char *when, int fd);

#endif
