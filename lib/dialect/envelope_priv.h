/*
 * envelope_priv.h - internals of the envelope parser that tests and fuzzers may look at.
 */
#ifndef MSL_ENVELOPE_PRIV_H
#define MSL_ENVELOPE_PRIV_H

#include <stddef.h>

#include "mailsleuth/envelope.h"

/* The parser-owned scratch buffer that JSON views may point into (valid until the next
 * msl_envelope_parse call on this parser). */
void msl_envelope_scratch(const struct msl_envelope_parser *ep, const char **p, size_t *cap);

#endif
