/* localtime.h - UTC seconds -> civil time (UTC or a zone's local time), for outputs. */
#ifndef MSL_REPORT_LOCALTIME_H
#define MSL_REPORT_LOCALTIME_H

#include "mailsleuth/envelope.h"

struct msl_civil {
    int year, mon, mday, hour, min, sec, wday;
};

void msl_split_time(long long sec, struct msl_civil *c);
void msl_local_civil(const struct msl_tz *tz, long long utc_sec, struct msl_civil *c, long *off);

#endif
