/*
 * json_unesc.h - the \u escape of JSON strings, decoded once for every reader of JSON text
 * (journald's JSON envelope, Microsoft 365 message trace rows).
 */
#ifndef MSL_JSON_UNESC_H
#define MSL_JSON_UNESC_H

#include <stddef.h>

/*
 * p points just after "\u", end bounds the text.  Decodes the four hex digits (and the
 * "\uDC00".."\uDFFF" that completes a high surrogate) into UTF-8 at d (at most 4 bytes,
 * never more than the escape's own length); a lone surrogate becomes U+FFFD.  Returns the
 * bytes written and sets *used to the bytes read after "\u" (4, or 10 for a pair), or -1
 * when the four hex digits are missing (the caller decides what malformed text becomes).
 */
int json_unesc_u(const char *p, const char *end, char *d, size_t *used);

#endif
