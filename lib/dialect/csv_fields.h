/*
 * csv_fields.h - one W3C/RFC 4180 CSV line split into field views, for the Exchange and
 * Microsoft 365 formats.  Internal (not installed).
 *
 * Fields are views into the line, except a quoted field that contains "" escapes: its
 * unescaped text is written into the caller's scratch, which csv_split() sizes to the line
 * first, so views never move during one line.  Never reads outside [p, p + n).
 */
#ifndef MSL_CSV_FIELDS_H
#define MSL_CSV_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/event.h"

struct csv_scratch {
    char *p;
    size_t cap;
};

#define CSV_MAX_FIELDS 64

/*
 * Splits p[0..n) at sep (outside quotes) into at most max fields; returns the number of
 * fields stored and sets *total to the number in the line (more than max: the rest are
 * counted, not stored).  A quoted field is its content without the quotes ("" -> ");
 * characters between a closing quote and the next separator are ignored; an unterminated
 * quote runs to the end of the line.  Returns 0 only when scratch could not be allocated.
 */
size_t csv_split(const char *p, size_t n, char sep, struct msl_str *out, size_t max,
                 struct csv_scratch *s, size_t *total);
void csv_scratch_free(struct csv_scratch *s);

/* The line without a leading UTF-8 byte order mark. */
struct msl_str csv_strip_bom(struct msl_str line);
/* ASCII case-insensitive equality of a view and a C string. */
int csv_ieq(struct msl_str a, const char *lit);
/* ASCII case-insensitive prefix test. */
int csv_iprefix(struct msl_str a, const char *lit);
/* Leading and trailing blanks removed. */
struct msl_str csv_trim(struct msl_str s);
/* Next item of a list separated by sep: *rest advances past it.  Returns 0 at the end. */
int csv_next_item(struct msl_str *rest, char sep, struct msl_str *item);
/* Decimal digits only (optionally surrounded by blanks) -> value; -1 if not a number. */
long long csv_num(struct msl_str s);
/* A whole field "YYYY-MM-DDTHH:MM:SS[.frac][Z|offset]" (blanks around allowed) -> UTC us;
 * a stamp without zone is UTC (Exchange and Microsoft 365 always log UTC).  0 = ok. */
int csv_time(struct msl_str s, int64_t *us);
/* "250 2.1.5 text": *code = "250", *dsn = "2.1.5" when present (views into s). */
void csv_reply_code(struct msl_str s, struct msl_str *code, struct msl_str *dsn);

#endif
