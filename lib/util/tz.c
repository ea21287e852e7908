/*
 * tz.c - time zones for stamps without an offset (RFC 3164, zone-less RFC 3339).
 *
 * Design: two kinds of zone.  A fixed zone ("UTC", "Z", "+02:00", "-0530") is one constant
 * offset and needs nothing else.  A rule zone (an IANA name, or the machine's zone) is
 * resolved through the C library: TZ is pointed at the zone file, tzset() + localtime_r()
 * give tm_gmtoff, and the caller's TZ is restored.  That is slow and touches the process
 * environment, so it never happens per line: the offsets of all 24 hours of a local day are
 * computed together on first use and kept in a small direct-mapped cache inside the zone.
 * The per-line cost is one cache probe (envelope.c also keeps the last hour in front of it).
 *
 * DST, decided once per local hour at hh:00 (zones that shift at half hours are resolved at
 * the start of the hour):
 *   overlap (autumn, e.g. Berlin 2026-10-25 02:30 happens twice): the EARLIER instant wins,
 *     i.e. the pre-transition summer offset (+02:00): 02:30 -> 00:30 UTC.
 *   gap (spring, e.g. Berlin 2026-03-29 02:30 does not exist): the pre-transition offset
 *     (+01:00) is used, 02:30 -> 01:30 UTC (= 03:30 CEST), as glibc mktime(tm_isdst = -1).
 *
 * Thread safety: a cache miss on a rule zone calls setenv/tzset; the caller must not parse
 * from several threads with one rule zone at the same time (today the reader is serial).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailsleuth/tz.h"
#include "mailsleuth/calendar.h"
#include "util/tz.h"

#define ZONEINFO "/usr/share/zoneinfo/"
#define TZ_CACHE_DAYS 512 /* power of two > 366: a year of consecutive days never collides */
#define TZ_NAME_MAX 160

struct tz_day {
    int64_t day; /* local day number, INT64_MIN = empty slot */
    int32_t off[24];
};

struct tz_cache {
    struct tz_day slot[TZ_CACHE_DAYS];
};

struct msl_tz {
    int fixed;          /* 1: off is the whole story */
    int32_t off;        /* fixed offset, seconds east of UTC */
    char *tzenv;        /* TZ value while computing (":/usr/share/zoneinfo/X"); NULL = unset */
    struct tz_cache *cache; /* mutable behind a const zone: only a memo of pure results */
    char name[TZ_NAME_MAX];
};

/* ---- small helpers ---------------------------------------------------------------------- */

static size_t copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

static char *dup_cat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

/* "+02:00" / "-05:30" into buf (7 bytes). */
static void format_offset(char *buf, int32_t off)
{
    int32_t a = off < 0 ? -off : off;
    int h = (int)(a / 3600), m = (int)(a / 60 % 60);
    buf[0] = off < 0 ? '-' : '+';
    buf[1] = (char)('0' + h / 10 % 10);
    buf[2] = (char)('0' + h % 10);
    buf[3] = ':';
    buf[4] = (char)('0' + m / 10);
    buf[5] = (char)('0' + m % 10);
    buf[6] = '\0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses "UTC", "Z", "[UTC]+HH[:MM]", "+HHMM".  Returns 1 with *off set, else 0. */
static int parse_fixed(const char *s, int32_t *off)
{
    if (!strcmp(s, "UTC") || !strcmp(s, "utc") || !strcmp(s, "Z") || !strcmp(s, "z")) {
        *off = 0;
        return 1;
    }
    if (!strncmp(s, "UTC", 3))
        s += 3;
    if (*s != '+' && *s != '-')
        return 0;
    int neg = *s++ == '-';
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return 0;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = 0;
    s += 2;
    if (*s == ':')
        s++;
    if (*s) {
        if (!is_digit(s[0]) || !is_digit(s[1]) || s[2])
            return 0;
        m = (s[0] - '0') * 10 + (s[1] - '0');
    }
    if (h > 23 || m > 59)
        return 0;
    *off = (int32_t)((h * 60 + m) * 60) * (neg ? -1 : 1);
    return 1;
}

/* An IANA name we are willing to hand to TZ: no "..", not absolute, sane bytes, and the
 * file under /usr/share/zoneinfo is a TZif file (rejects "Europe" and "zone.tab"). */
static int zone_file_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c >= 0x7f)
            return 0;
    }
    char *path = dup_cat(ZONEINFO, name);
    if (!path)
        return 0;
    int ok = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd >= 0) {
        char magic[4];
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
            memcmp(magic, "TZif", 4) == 0)
            ok = 1;
        close(fd);
    }
    return ok;
}

/* Names that are plain UTC: handled as a fixed zone (no cache, no TZ switching). */
static int is_utc_name(const char *name)
{
    static const char *const utc[] = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal",
                                      "Universal", "Etc/Zulu", "Zulu", "Etc/GMT", "GMT",
                                      "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "Etc/Greenwich",
                                      "Greenwich"};
    for (size_t i = 0; i < sizeof utc / sizeof utc[0]; i++)
        if (!strcmp(name, utc[i]))
            return 1;
    return 0;
}

static struct msl_tz *new_fixed(int32_t off, const char *name)
{
    struct msl_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return NULL;
    tz->fixed = 1;
    tz->off = off;
    if (name) {
        copy_str(tz->name, sizeof tz->name, name);
    } else if (off == 0) {
        copy_str(tz->name, sizeof tz->name, "UTC");
    } else {
        format_offset(tz->name, off);
    }
    return tz;
}

/* tzenv: owned string or NULL (= TZ unset). */
static struct msl_tz *new_rule(char *tzenv, const char *name)
{
    struct msl_tz *tz = calloc(1, sizeof *tz);
    struct tz_cache *c = malloc(sizeof *c);
    if (!tz || !c) {
        free(tz);
        free(c);
        free(tzenv);
        return NULL;
    }
    for (size_t i = 0; i < TZ_CACHE_DAYS; i++)
        c->slot[i].day = INT64_MIN;
    tz->cache = c;
    tz->tzenv = tzenv;
    copy_str(tz->name, sizeof tz->name, name);
    return tz;
}

static struct msl_tz *load_named(const char *name)
{
    if (is_utc_name(name))
        return new_fixed(0, "UTC");
    if (!zone_file_ok(name))
        return NULL;
    char *env = dup_cat(":" ZONEINFO, name);
    if (!env)
        return NULL;
    return new_rule(env, name);
}

/* ---- switching TZ (slow path only) ------------------------------------------------------ */

struct tz_saved {
    char *old; /* copy of the caller's TZ, NULL when it was unset */
    int had;
};

static void tz_enter(const struct msl_tz *tz, struct tz_saved *sv)
{
    const char *cur = getenv("TZ");
    sv->had = cur != NULL;
    sv->old = cur ? dup_cat(cur, "") : NULL;
    if (tz->tzenv)
        setenv("TZ", tz->tzenv, 1);
    else
        unsetenv("TZ");
    tzset();
}

static void tz_leave(struct tz_saved *sv)
{
    if (sv->had && sv->old)
        setenv("TZ", sv->old, 1);
    else
        unsetenv("TZ");
    free(sv->old);
    tzset();
}

static int32_t gmtoff_at(int64_t utc)
{
    time_t t = (time_t)utc;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

/* Offset for the local wall-clock second `local` (seconds as if UTC); TZ already switched. */
static int32_t resolve_local(int64_t local)
{
    /* Offsets in force a day before and a day after bracket any one transition. */
    int32_t before = gmtoff_at(local - 86400), after = gmtoff_at(local + 86400);
    if (before == after && gmtoff_at(local - before) == before)
        return before;
    if (gmtoff_at(local - before) == before)
        return before; /* valid with the old offset: normal, or the earlier of an overlap */
    if (gmtoff_at(local - after) == after)
        return after;
    return before; /* gap: as mktime(tm_isdst = -1) */
}

/* ---- public API ------------------------------------------------------------------------- */

struct msl_tz *msl_tz_load(const char *name)
{
    int32_t off;
    if (name) {
        if (parse_fixed(name, &off))
            return new_fixed(off, NULL);
        return load_named(name);
    }

    /* The machine's zone: TZ first (as libc does), then the /etc/localtime symlink. */
    const char *env = getenv("TZ");
    if (env) {
        const char *s = env[0] == ':' ? env + 1 : env;
        if (*s == '\0')
            return new_fixed(0, "UTC"); /* glibc: empty TZ is UTC */
        const char *zi = strstr(s, "zoneinfo/");
        if (s[0] == '/' && zi)
            s = zi + strlen("zoneinfo/");
        struct msl_tz *tz = load_named(s);
        if (tz)
            return tz;
        /* A POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3") or an odd path: let libc read it. */
        char *copy = dup_cat(env, "");
        if (!copy)
            return NULL;
        tz = new_rule(copy, "");
        if (tz) {
            char buf[8];
            format_offset(buf, msl_tz_offset_at_utc(tz, (int64_t)time(NULL)));
            copy_str(tz->name, sizeof tz->name, "localtime (");
            size_t k = strlen(tz->name);
            copy_str(tz->name + k, sizeof tz->name - k, buf);
            k = strlen(tz->name);
            copy_str(tz->name + k, sizeof tz->name - k, ")");
        }
        return tz;
    }

    char link[PATH_MAX];
    ssize_t ln = readlink("/etc/localtime", link, sizeof link - 1);
    if (ln > 0) {
        link[ln] = '\0';
        const char *zi = strstr(link, "zoneinfo/");
        if (zi) {
            struct msl_tz *tz = load_named(zi + strlen("zoneinfo/"));
            if (tz)
                return tz;
        }
    } else if (errno == ENOENT && access("/etc/localtime", F_OK) != 0) {
        return new_fixed(0, "UTC"); /* no /etc/localtime: libc falls back to UTC */
    }
    /* A copied zone file: Debian keeps the name in /etc/timezone. */
    int fd = open("/etc/timezone", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[TZ_NAME_MAX];
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r > 0) {
            buf[r] = '\0';
            buf[strcspn(buf, " \t\r\n")] = '\0';
            struct msl_tz *tz = load_named(buf);
            if (tz)
                return tz;
        }
    }
    struct msl_tz *tz = new_rule(NULL, "");
    if (tz) {
        char buf[8];
        format_offset(buf, msl_tz_offset_at_utc(tz, (int64_t)time(NULL)));
        copy_str(tz->name, sizeof tz->name, "localtime (");
        size_t k = strlen(tz->name);
        copy_str(tz->name + k, sizeof tz->name - k, buf);
        k = strlen(tz->name);
        copy_str(tz->name + k, sizeof tz->name - k, ")");
    }
    return tz;
}

void msl_tz_free(struct msl_tz *tz)
{
    if (!tz)
        return;
    free(tz->cache);
    free(tz->tzenv);
    free(tz);
}

const char *msl_tz_name(const struct msl_tz *tz)
{
    return tz ? tz->name : "UTC";
}

int msl_tz_fixed_offset(const struct msl_tz *tz, int32_t *off)
{
    if (!tz) {
        *off = 0;
        return 1;
    }
    if (tz->fixed)
        *off = tz->off;
    return tz->fixed;
}

int32_t msl_tz_offset_at_utc(const struct msl_tz *tz, int64_t utc)
{
    if (!tz)
        return 0;
    if (tz->fixed)
        return tz->off;
    struct tz_saved sv;
    tz_enter(tz, &sv);
    int32_t off = gmtoff_at(utc);
    tz_leave(&sv);
    return off;
}

int32_t msl_tz_hour_offset(const struct msl_tz *tz, int64_t day, int hour)
{
    if (!tz)
        return 0;
    if (tz->fixed)
        return tz->off;
    if (hour < 0 || hour > 23)
        hour = hour < 0 ? 0 : 23;
    struct tz_day *d = &tz->cache->slot[(uint64_t)day & (TZ_CACHE_DAYS - 1)];
    if (d->day != day) {
        struct tz_saved sv;
        tz_enter(tz, &sv);
        for (int h = 0; h < 24; h++)
            d->off[h] = resolve_local(day * 86400 + h * 3600);
        tz_leave(&sv);
        d->day = day;
    }
    return d->off[hour];
}

int64_t msl_tz_local_to_utc(const struct msl_tz *tz, int year, int mon, int mday, int hour,
                            int min, int sec)
{
    int64_t day = msl_days_from_civil(year, mon, mday);
    /* Normalise an out-of-range hour into the day it belongs to before the lookup. */
    int64_t local = day * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
    int64_t lday = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int lhour = (int)((local - lday * 86400) / 3600);
    return local - msl_tz_hour_offset(tz, lday, lhour);
}

long msl_tz_offset_at(const struct msl_tz *tz, long long utc_sec)
{
    /* one entry per thread: outputs walk time mostly in order, and offsets change only on
     * hour boundaries in practice */
    static _Thread_local const struct msl_tz *ctz;
    static _Thread_local long long chour = LLONG_MIN;
    static _Thread_local long coff;
    long long hour = utc_sec >= 0 ? utc_sec / 3600 : -((-utc_sec + 3599) / 3600);
    if (tz == ctz && hour == chour)
        return coff;
    coff = msl_tz_offset_at_utc(tz, (int64_t)utc_sec);
    ctz = tz;
    chour = hour;
    return coff;
}
