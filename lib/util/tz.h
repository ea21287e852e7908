/*
 * tz.h - the library side of struct msl_tz (the public half is mailsleuth/tz.h): the fast
 * per-hour offsets the envelope parser and other dialects use.
 *
 * Offsets are seconds east of UTC (Berlin in winter: +3600).  local = utc + offset.
 */
#ifndef MSL_UTIL_TZ_H
#define MSL_UTIL_TZ_H

#include <stdint.h>

#include "mailsleuth/tz.h"

/* Returns 1 and sets *off when the zone has one constant offset (UTC, "+02:00"). */
int msl_tz_fixed_offset(const struct msl_tz *tz, int32_t *off);

/* Offset to apply to local hour `hour` (0..23) of local day `day` (days since 1970-01-01).
 * Computed once per local day (24 hours at a time) and cached inside the zone. */
int32_t msl_tz_hour_offset(const struct msl_tz *tz, int64_t day, int hour);

/* Offset in force at the UTC instant `utc` (seconds).  Slow path: not for per-line use. */
int32_t msl_tz_offset_at_utc(const struct msl_tz *tz, int64_t utc);

#endif
