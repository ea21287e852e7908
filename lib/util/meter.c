/* meter.c - progress line text (see meter.h). */
#include <stdio.h>

#include "util/meter.h"

void meter_bytes(char *out, size_t cap, double bytes)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%.0f B", bytes);
    else
        snprintf(out, cap, "%.1f %s", bytes, unit[u]);
}

static void eta(char *out, size_t cap, double s)
{
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

size_t meter_format(char *out, size_t cap, const struct meter *m)
{
    char done[32], total[32], rate[32], left[32], pass[32] = "";
    int n;
    /* a rate over less than a tenth of a second is noise */
    double bps = m->elapsed >= 0.1 ? (double)m->done / m->elapsed : 0.0;
    meter_bytes(done, sizeof done, (double)m->done);
    if (bps > 0)
        meter_bytes(rate, sizeof rate, bps);
    if (m->pass > 1)
        snprintf(pass, sizeof pass, "pass %u: ", m->pass);
    if (m->total >= 0) {
        uint64_t t = (uint64_t)m->total;
        unsigned pct = t ? (unsigned)(m->done >= t ? 100 : m->done * 100 / t) : 100;
        meter_bytes(total, sizeof total, (double)m->total);
        if (bps > 0 && m->done < t) {
            eta(left, sizeof left, (double)(t - m->done) / bps);
            n = snprintf(out, cap, "%s%u%% %s of %s, %s/s, ETA %s", pass, pct, done, total, rate,
                         left);
        } else if (bps > 0) {
            n = snprintf(out, cap, "%s%u%% %s of %s, %s/s", pass, pct, done, total, rate);
        } else {
            n = snprintf(out, cap, "%s%u%% %s of %s", pass, pct, done, total);
        }
    } else if (bps > 0) {
        n = snprintf(out, cap, "%s%s read, %s/s, %llu events", pass, done, rate,
                     (unsigned long long)m->events);
    } else {
        n = snprintf(out, cap, "%s%s read, %llu events", pass, done,
                     (unsigned long long)m->events);
    }
    if (n < 0)
        n = 0;
    return (size_t)n < cap ? (size_t)n : (cap ? cap - 1 : 0);
}
