/*
 * tz.h - time zones (lib/util/tz.c): loaded from the system's zoneinfo or a fixed offset,
 * used for stamps without an offset and for printing local times.
 */
#ifndef MAILSLEUTH_TZ_H
#define MAILSLEUTH_TZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Zone used for stamps without an offset. */
struct msl_tz;

/* Loads a zone by name ("UTC", "Europe/Berlin", "+02:00"); NULL name = the machine's zone.
 * Returns NULL when the zone is unknown. */
struct msl_tz *msl_tz_load(const char *name);
void msl_tz_free(struct msl_tz *tz);
/* Display name of the zone ("Europe/Berlin", "UTC", "+02:00"). */
const char *msl_tz_name(const struct msl_tz *tz);
/* Converts a local broken-down time to UTC seconds (DST gaps/overlaps resolved as mktime). */
int64_t msl_tz_local_to_utc(const struct msl_tz *tz, int year, int mon, int mday, int hour,
                            int min, int sec);

/* Seconds east of UTC in force for the zone at a UTC instant (seconds); cached per hour. */
long msl_tz_offset_at(const struct msl_tz *tz, long long utc_sec);

#ifdef __cplusplus
}
#endif
#endif
