/*
 * localtime.c - UTC -> civil time (UTC or a zone's local time) for outputs.
 */
#include <stdint.h>

#include "mailsleuth/envelope.h"
#include "report/localtime.h"

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    /* inverse of msl_days_from_civil (H. Hinnant's algorithm) */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

void msl_split_time(long long sec, struct msl_civil *c)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400;
    civil_from_days(days, &c->year, &c->mon, &c->mday);
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
