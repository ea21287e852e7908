/*
 * calendar.h - (lib/util/calendar.c) proleptic Gregorian day numbers (days since 1970-01-01), no table, no libc:
 * what every parser and writer uses to turn dates into UTC and back.
 */
#ifndef MAILSLEUTH_CALENDAR_H
#define MAILSLEUTH_CALENDAR_H

#include <stdint.h>

/* Days since 1970-01-01 for a date (month 1..12, day 1..31). */
int64_t msl_days_from_civil(int y, int m, int d);
/* The date of a day number: the inverse of msl_days_from_civil. */
void msl_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
