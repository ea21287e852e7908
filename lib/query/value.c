/*
 * value.c - typed term values: byte counts, points in time, status and kind name sets.
 *
 * Sizes are non-negative decimals with an optional k, m or g suffix (binary: 1k = 1024),
 * checked for overflow.  Times are "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM", with optional
 * ":SS" and ".fraction", and an optional zone "Z", "+HH:MM" or "+HHMM"; a zone-less time
 * is read in the zone given to msl_query_compile (UTC when that is NULL).  Status and kind
 * values may use wildcards: they are resolved against the name tables once, into a bit set.
 */
#include <string.h>

#include "mailsleuth/envelope.h"
#include "mailsleuth/event.h"
#include "query/query_int.h"
#include "mailsleuth/calendar.h"

int q_parse_size(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0, mul = 1;
    if (n > 0) {
        switch (q_lower[(unsigned char)s[n - 1]]) {
        case 'k':
            mul = INT64_C(1) << 10;
            n--;
            break;
        case 'm':
            mul = INT64_C(1) << 20;
            n--;
            break;
        case 'g':
            mul = INT64_C(1) << 30;
            n--;
            break;
        default:
            break;
        }
    }
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > INT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* Reads exactly w digits at *i. */
static int digits(const char *s, size_t n, size_t *i, int w, int *out)
{
    int v = 0;
    if (*i + (size_t)w > n)
        return -1;
    for (int k = 0; k < w; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)w;
    *out = v;
    return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i < n && s[*i] == c) {
        (*i)++;
        return 0;
    }
    return -1;
}

static int mdays(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

int q_parse_time(const char *s, size_t n, const struct msl_tz *tz, int64_t *utc_us)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo))
        return -1;
    int has_zone = 0;
    int64_t off = 0;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return -1;
        i++;
        if (digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi))
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &sec))
                return -1;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                int64_t scale = 100000;
                i++;
                if (i >= n || s[i] < '0' || s[i] > '9')
                    return -1;
                for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                    frac += (s[i] - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (i < n) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
                has_zone = 1;
            } else if (s[i] == '+' || s[i] == '-') {
                int sign = s[i] == '-' ? -1 : 1, oh, om;
                i++;
                if (digits(s, n, &i, 2, &oh))
                    return -1;
                if (i < n && s[i] == ':')
                    i++;
                if (digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
                    return -1;
                off = sign * (int64_t)(oh * 3600 + om * 60);
                has_zone = 1;
            }
        }
    }
    if (i != n)
        return -1;
    int64_t secs;
    if (has_zone)
        secs = msl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    else if (tz)
        secs = msl_tz_local_to_utc(tz, y, mo, d, h, mi, sec);
    else
        secs = msl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *utc_us = secs * 1000000 + frac;
    return 0;
}

static int name_match(const struct q_pat *p, const char *name)
{
    return name && name[0] && q_pat_match(p, name, strlen(name));
}

uint32_t q_status_mask(const struct q_pat *p)
{
    uint32_t m = 0;
    for (int s = 1; s < MSL_ST__COUNT; s++)
        if (name_match(p, msl_status_name((enum msl_status)s)))
            m |= 1u << s;
    if (name_match(p, "rejected"))
        m |= Q_ST_REJECTED;
    if (name_match(p, "authfail"))
        m |= Q_ST_AUTHFAIL;
    return m;
}

uint32_t q_outcome_mask(const struct q_pat *p)
{
    uint32_t m = 0;
    for (int o = 1; o < MSL_OUT__COUNT; o++)
        if (name_match(p, msl_outcome_name((enum msl_outcome)o)))
            m |= 1u << o;
    return m;
}

uint32_t q_kind_mask(const struct q_pat *p)
{
    uint32_t m = 0;
    for (int k = 1; k < MSL_EV__COUNT; k++) {
        const char *name = msl_kind_name((enum msl_kind)k);
        char alt[32];
        size_t n = strlen(name);
        if (n >= sizeof alt)
            continue;
        /* AUTH_FAIL also answers to auth-fail */
        for (size_t i = 0; i < n; i++)
            alt[i] = name[i] == '_' ? '-' : name[i];
        if (q_pat_match(p, name, n) || q_pat_match(p, alt, n))
            m |= 1u << k;
    }
    return m;
}
