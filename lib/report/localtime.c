/*
 * localtime.c - UTC -> civil time (UTC or a zone's local time) for outputs.
 */
#include <stdint.h>

#include "mailsleuth/envelope.h"
#include "report/localtime.h"
#include "mailsleuth/calendar.h"

void msl_split_time(long long sec, struct msl_civil *c)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400;
    msl_civil_from_days(days, &c->year, &c->mon, &c->mday);
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem % 3600 / 60);
    c->sec = (int)(rem % 60);
    c->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

void msl_local_civil(const struct msl_tz *tz, long long utc_sec, struct msl_civil *c, long *off)
{
    long o = msl_tz_offset_at(tz, utc_sec);
    msl_split_time(utc_sec + o, c);
    if (off)
        *off = o;
}
