/* t_meter.c - the progress line's text: percent, sizes, rate, ETA, passes, unknown totals. */
#include "unit.h"
#include "util/meter.h"

static const char *fmt(uint64_t done, int64_t total, double el, unsigned pass, uint64_t ev)
{
    static char out[128];
    struct meter m = {done, total, el, pass, ev};
    meter_format(out, sizeof out, &m);
    return out;
}

static void t_known_total(void)
{
    /* 256 MiB of 1 GiB in 2 s: 128 MiB/s, 768 MiB left = 6 s */
    CHECK_STR(fmt(256u << 20, 1 << 30, 2.0, 1, 0), "25% 256.0 MiB of 1.0 GiB, 128.0 MiB/s, ETA 0:06");
    /* compressed: 5 KiB read of a 10 KiB file in 1 s */
    CHECK_STR(fmt(5120, 10240, 1.0, 1, 7), "50% 5.0 KiB of 10.0 KiB, 5.0 KiB/s, ETA 0:01");
    /* done: no ETA; more than the size (a zip's directory read twice) stays at 100% */
    CHECK_STR(fmt(10240, 10240, 1.0, 1, 0), "100% 10.0 KiB of 10.0 KiB, 10.0 KiB/s");
    CHECK_STR(fmt(10300, 10240, 1.0, 1, 0), "100% 10.1 KiB of 10.0 KiB, 10.1 KiB/s");
}

static void t_eta_hours(void)
{
    /* 1 MiB/s with 3661 MiB left */
    CHECK_STR(fmt(1 << 20, (int64_t)3662 << 20, 1.0, 1, 0),
              "0% 1.0 MiB of 3.6 GiB, 1.0 MiB/s, ETA 1:01:01");
}

static void t_no_rate_yet(void)
{
    CHECK_STR(fmt(0, 4096, 0.0, 1, 0), "0% 0 B of 4.0 KiB");
    CHECK_STR(fmt(100, -1, 0.05, 1, 3), "100 B read, 3 events");
}

static void t_unknown_total(void)
{
    CHECK_STR(fmt(3u << 20, -1, 2.0, 1, 12345), "3.0 MiB read, 1.5 MiB/s, 12345 events");
}

static void t_pass(void)
{
    CHECK_STR(fmt(512, 1024, 1.0, 2, 0), "pass 2: 50% 512 B of 1.0 KiB, 512 B/s, ETA 0:01");
}

static void t_truncates(void)
{
    char small[8];
    struct meter m = {1, 2, 1.0, 1, 0};
    size_t n = meter_format(small, sizeof small, &m);
    CHECK_INT(n, 7);
    CHECK_STR(small, "50% 1 B");
}

int main(void)
{
    RUN(t_known_total);
    RUN(t_eta_hours);
    RUN(t_no_rate_yet);
    RUN(t_unknown_total);
    RUN(t_pass);
    RUN(t_truncates);
    return unit_done("t_meter");
}
