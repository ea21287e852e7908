/*
 * envelope.c - the syslog/journald wrapper of each line: timestamp, host, tag, pid, message.
 *
 * Design: one hand-written, fixed-layout scanner per layout (RFC 3164 incl. journalctl short
 * and Postfix maillog_file, RFC 3339 incl. rsyslog FileFormat and journalctl short-iso,
 * RFC 5424, journalctl -o json).  msl_envelope_parse tries the layout that matched the
 * previous line first, then dispatches on the first byte.  Every scanner works on
 * (p, end) and never reads at or past end; lines are not NUL-terminated and may hold NULs.
 *
 * Hot path (RFC 3164): the 15-byte stamp "Nov 27 13:14:15" of the previous line is kept
 * with its UTC second, so a repeated stamp costs one memcmp.  A new stamp reuses the cached
 * day number (days_from_civil) and the cached UTC offset of the local hour; only a new local
 * day asks the zone (tz.c), which memoises 24 hourly offsets per day.  RFC 3339 caches the
 * "YYYY-MM-DD" -> day number the same way.
 *
 * DST: tz.c maps an ambiguous autumn hour to its first (summer) pass.  Per source we do
 * better: when the wall clock steps back more than 5 minutes inside such an hour, the rest
 * of that hour is taken as the second (winter) pass, so file order breaks the tie.
 *
 * Year inference (year-less stamps): the first stamp gets the mtime's year (in the zone),
 * or the year before when it would lie more than a day after the mtime; --year fixes that
 * starting year instead.  Afterwards, a month going backwards by more than a week of time
 * (Dec 31 -> Jan 1) moves to the next year; small backwards steps across a month boundary
 * (lines from a slightly unsynchronised sender, "Dec 1 00:00:01" then "Nov 30 23:59:59")
 * do not.  Years are clamped to 1..9999.
 *
 * JSON: a small, bounded object scanner (no recursion, no allocation per key).  Strings
 * without backslashes are returned as views into the line; MESSAGE/host/tag strings with
 * escapes, and MESSAGE byte arrays, are decoded into the parser's scratch buffer.  Decoding
 * never grows text (\uXXXX -> at most 3 bytes, a byte number -> 1 byte), so the scratch
 * buffer needs at most n bytes per line.
 */
#include <stdlib.h>
#include <string.h>

#include "dialect/envelope_priv.h"
#include "mailsleuth/envelope.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/calendar.h"
#include "util/json_unesc.h"
#include "util/tz.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define US_PER_S INT64_C(1000000)
#define YEAR_MIN 1
#define YEAR_MAX 9999
#define ROLLOVER_BACKSTEP (7 * 86400) /* backwards jump that means "next year" */

struct msl_envelope_parser {
    const struct msl_tz *tz;
    int fixed;         /* zone has a constant offset */
    int32_t fixed_off;
    enum msl_env_format last;

    /* year inference for year-less stamps */
    int year_override;
    int mtime_year;
    int64_t mtime_local; /* mtime as local wall-clock seconds */
    int year;            /* current year; 0 until the first year-less stamp */
    int prev_mon;
    int64_t prev_local;  /* previous year-less stamp, local seconds */

    /* RFC 3164: the last 15-byte stamp and its UTC second */
    int st_valid;
    char st[16];
    int64_t st_utc;

    /* last (year, month, day) -> day number */
    int dc_y, dc_m, dc_d;
    int64_t dc_days;

    /* last local hour -> UTC offset; for an autumn overlap hour also the offset after it */
    int64_t hc_key;
    int32_t hc_off;
    int32_t hc_off2;  /* != hc_off only in an overlap hour */
    int64_t ovl_max;  /* latest local second seen in the overlap hour */
    int ovl_second;   /* the clock went back inside the overlap hour: second pass */

    /* RFC 3339: last "YYYY-MM-DD" -> day number */
    int d10_valid;
    char d10[10];
    int64_t d10_days;

    /* JSON decode target */
    char *scratch;
    size_t scratch_cap;
    size_t scratch_len;
};

/* ---- character helpers ------------------------------------------------------------------ */

static inline int dig(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline int d2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + is_leap(y) : dim[m];
}

#define M3(a, b, c) (((uint32_t)(unsigned char)(a) << 16) | ((uint32_t)(unsigned char)(b) << 8) | \
                     (uint32_t)(unsigned char)(c))

/* "Jan".."Dec" -> 1..12, else 0.  Exact case, as every syslog writes it. */
static int month3(const char *p)
{
    switch (M3(p[0], p[1], p[2])) {
    case M3('J', 'a', 'n'): return 1;
    case M3('F', 'e', 'b'): return 2;
    case M3('M', 'a', 'r'): return 3;
    case M3('A', 'p', 'r'): return 4;
    case M3('M', 'a', 'y'): return 5;
    case M3('J', 'u', 'n'): return 6;
    case M3('J', 'u', 'l'): return 7;
    case M3('A', 'u', 'g'): return 8;
    case M3('S', 'e', 'p'): return 9;
    case M3('O', 'c', 't'): return 10;
    case M3('N', 'o', 'v'): return 11;
    case M3('D', 'e', 'c'): return 12;
    default: return 0;
    }
}

/* The year of a day number, clamped to what the parser accepts. */
static int year_from_days(int64_t z)
{
    int y, m, d;
    msl_civil_from_days(z, &y, &m, &d);
    return y < YEAR_MIN ? YEAR_MIN : y > YEAR_MAX ? YEAR_MAX : y;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Day number with a one-entry cache (consecutive lines share the day). */
static inline int64_t day_number(struct msl_envelope_parser *ep, int y, int m, int d)
{
    if (LIKELY(ep->dc_d == d && ep->dc_m == m && ep->dc_y == y))
        return ep->dc_days;
    ep->dc_y = y;
    ep->dc_m = m;
    ep->dc_d = d;
    ep->dc_days = msl_days_from_civil(y, m, d);
    return ep->dc_days;
}

/* Local wall-clock seconds -> UTC seconds in the parser's zone. */
static inline int64_t local_to_utc(struct msl_envelope_parser *ep, int64_t local)
{
    if (ep->fixed)
        return local - ep->fixed_off;
    int64_t key = floor_div(local, 3600);
    if (UNLIKELY(key != ep->hc_key)) {
        int64_t day = floor_div(key, 24), next = key + 1, nday = floor_div(next, 24);
        ep->hc_off = msl_tz_hour_offset(ep->tz, day, (int)(key - day * 24));
        ep->hc_off2 = msl_tz_hour_offset(ep->tz, nday, (int)(next - nday * 24));
        if (ep->hc_off2 > ep->hc_off)
            ep->hc_off2 = ep->hc_off; /* spring gap or normal hour: no second pass */
        ep->hc_key = key;
        ep->ovl_max = local;
        ep->ovl_second = 0;
    }
    if (UNLIKELY(ep->hc_off2 != ep->hc_off)) {
        /* Autumn overlap: the zone gives the first (summer) pass.  When the wall clock
         * steps back by more than 5 minutes inside this hour, the file has reached the
         * second (winter) pass: file order is the tiebreak. */
        if (local < ep->ovl_max - 300)
            ep->ovl_second = 1;
        if (local > ep->ovl_max)
            ep->ovl_max = local;
        if (ep->ovl_second)
            return local - ep->hc_off2;
    }
    return local - ep->hc_off;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

struct msl_envelope_parser *msl_envelope_new(const struct msl_tz *tz, int64_t mtime, int year)
{
    struct msl_envelope_parser *ep = calloc(1, sizeof *ep);
    if (!ep)
        return NULL;
    ep->tz = tz;
    ep->fixed = msl_tz_fixed_offset(tz, &ep->fixed_off);
    ep->year_override = year > YEAR_MAX ? YEAR_MAX : year;
    /* Keep mtime inside years 1..9999 so all later arithmetic stays small. */
    const int64_t lo = INT64_C(-62135596800), hi = INT64_C(253402300799);
    if (mtime < lo)
        mtime = lo;
    if (mtime > hi)
        mtime = hi;
    ep->mtime_local = mtime + msl_tz_offset_at_utc(tz, mtime);
    ep->mtime_year = year_from_days(floor_div(ep->mtime_local, 86400));
    ep->hc_key = INT64_MIN;
    ep->dc_y = -1;
    return ep;
}

void msl_envelope_free(struct msl_envelope_parser *ep)
{
    if (!ep)
        return;
    free(ep->scratch);
    free(ep);
}

void msl_envelope_scratch(const struct msl_envelope_parser *ep, const char **p, size_t *cap)
{
    *p = ep->scratch;
    *cap = ep->scratch_cap;
}

const char *msl_env_format_name(enum msl_env_format f)
{
    switch (f) {
    case MSL_ENV_RFC3164: return "rfc3164";
    case MSL_ENV_RFC3339: return "rfc3339";
    case MSL_ENV_RFC5424: return "rfc5424";
    case MSL_ENV_JOURNAL_JSON: return "journal-json";
    case MSL_ENV_UNKNOWN:
    case MSL_ENV__COUNT:
    default: return "unknown";
    }
}

/* ---- shared pieces ------------------------------------------------------------------------ */

/* Digits -> pid; -1 when empty, not all digits, or absurdly long. */
static int64_t parse_pid(const char *p, const char *end)
{
    if (p == end || end - p > 18)
        return -1;
    int64_t v = 0;
    for (; p < end; p++) {
        if (!dig(*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* Skips an optional network-syslog "<PRI>" prefix ("<13>Nov 27 ...") when it is followed by
 * `next` test; returns the new position. */
static const char *skip_pri(const char *p, const char *end)
{
    if (p < end && *p == '<') {
        const char *q = p + 1;
        while (q < end && q - p <= 4 && dig(*q))
            q++;
        if (q > p + 1 && q < end && *q == '>')
            return q + 1;
    }
    return p;
}

static inline const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/*
 * After the stamp: " host tag[pid]: msg".  bsd_pri accepts syslogd -v "<mail.info>" before the
 * host.  A first token ending in ':' is a tag without host.  A token after the host that is
 * not a tag ("last message repeated 3 times") gives program "" and the rest as message.
 */
static int parse_tail(const char *p, const char *end, int bsd_pri, struct msl_envelope *out,
                      const char **why)
{
    if (p == end) {
        *why = "no host";
        return MSL_EPARSE;
    }
    if (*p != ' ') {
        *why = "bad time";
        return MSL_EPARSE;
    }
    p = skip_spaces(p, end);
    if (bsd_pri && p < end && *p == '<') {
        const char *q = p + 1;
        while (q < end && q - p < 32 && *q != '>' && *q != ' ')
            q++;
        if (q < end && *q == '>' && q + 1 < end && q[1] == ' ')
            p = skip_spaces(q + 1, end);
    }
    const char *h0 = p;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    const char *h1 = sp ? sp : end;
    if (h1 == h0) {
        *why = "no host";
        return MSL_EPARSE;
    }
    if (h1[-1] == ':' && h1 - h0 > 1) {
        out->host = (struct msl_str){h0, 0}; /* "stamp tag[pid]: msg", no host */
    } else {
        out->host = (struct msl_str){h0, (size_t)(h1 - h0)};
        p = skip_spaces(h1, end);
        if (p == end) {
            *why = "no program tag";
            return MSL_EPARSE;
        }
    }

    const char *t0 = p;
    while (p < end && *p != ' ' && *p != ':' && *p != '[')
        p++;
    const char *t1 = p;
    int64_t pid = -1;
    int is_tag = 0;
    if (p < end && *p == '[') {
        const char *b = p + 1, *q = b;
        while (q < end && *q != ']' && *q != ' ')
            q++;
        if (q < end && *q == ']') {
            pid = parse_pid(b, q);
            p = q + 1;
            if (p < end && *p == ':') {
                p++;
                is_tag = 1;
            } else {
                is_tag = p == end || *p == ' '; /* "tag[pid] msg" without the colon */
            }
        }
    } else if (p < end && *p == ':') {
        p++;
        is_tag = 1;
    }
    if (!is_tag) {
        out->program = (struct msl_str){t0, 0};
        out->pid = -1;
        out->msg = (struct msl_str){t0, (size_t)(end - t0)};
        return 0;
    }
    out->program = (struct msl_str){t0, (size_t)(t1 - t0)};
    out->pid = pid;
    if (p < end && *p == ' ')
        p++;
    out->msg = (struct msl_str){p, (size_t)(end - p)};
    return 0;
}

/* Fraction ".d+" or ",d+" at *pp: microseconds, digits past the sixth ignored. */
static const char *scan_frac(const char *p, const char *end, int64_t *us)
{
    *us = 0;
    if (p + 1 < end && (*p == '.' || *p == ',') && dig(p[1])) {
        p++;
        int k = 0;
        int64_t v = 0;
        while (p < end && dig(*p)) {
            if (k < 6) {
                v = v * 10 + (*p - '0');
                k++;
            }
            p++;
        }
        while (k++ < 6)
            v *= 10;
        *us = v;
    }
    return p;
}

/* ---- RFC 3339 ----------------------------------------------------------------------------- */

/*
 * Scans "YYYY-MM-DD[Tt ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM]".  ep (may be NULL) supplies the
 * date cache.  Returns bytes consumed or 0; *why says what was wrong.
 */
static size_t scan3339(struct msl_envelope_parser *ep, const char *p, size_t n, int64_t *out_us,
                       int *has_zone, const char **why)
{
    *why = "no timestamp";
    if (n < 19 || !dig(p[0]) || !dig(p[1]) || !dig(p[2]) || !dig(p[3]) || p[4] != '-' ||
        !dig(p[5]) || !dig(p[6]) || p[7] != '-' || !dig(p[8]) || !dig(p[9]))
        return 0;
    if (!(p[10] == 'T' || p[10] == ' ' || p[10] == 't') || !dig(p[11]) || !dig(p[12]) ||
        p[13] != ':' || !dig(p[14]) || !dig(p[15]) || p[16] != ':' || !dig(p[17]) ||
        !dig(p[18])) {
        *why = "bad time";
        return 0;
    }
    int64_t days;
    if (ep && ep->d10_valid && memcmp(p, ep->d10, 10) == 0) {
        days = ep->d10_days;
    } else {
        int y = d2(p) * 100 + d2(p + 2), m = d2(p + 5), d = d2(p + 8);
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
            *why = "bad date";
            return 0;
        }
        days = msl_days_from_civil(y, m, d);
        if (ep) {
            memcpy(ep->d10, p, 10);
            ep->d10_days = days;
            ep->d10_valid = 1;
        }
    }
    int hh = d2(p + 11), mm = d2(p + 14), ss = d2(p + 17);
    if (hh > 23 || mm > 59 || ss > 60) {
        *why = "bad time";
        return 0;
    }
    const char *q = p + 19, *end = p + n;
    int64_t frac;
    q = scan_frac(q, end, &frac);
    int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss;
    *has_zone = 0;
    if (q < end && (*q == 'Z' || *q == 'z')) {
        q++;
        *has_zone = 1;
    } else if (q + 2 < end && (*q == '+' || *q == '-') && dig(q[1]) && dig(q[2])) {
        const char *z = q + 3;
        int oh = d2(q + 1), om = -1;
        if (z + 2 < end && *z == ':' && dig(z[1]) && dig(z[2])) {
            om = d2(z + 1);
            z += 3;
        } else if (z + 1 < end && dig(z[0]) && dig(z[1])) {
            om = d2(z);
            z += 2;
        }
        if (om >= 0 && oh <= 23 && om <= 59) {
            int off = (oh * 60 + om) * 60;
            secs -= *q == '-' ? -off : off;
            *has_zone = 1;
            q = z;
        }
    }
    *out_us = secs * US_PER_S + frac;
    *why = NULL;
    return (size_t)(q - p);
}

size_t msl_scan_rfc3339(const char *p, size_t n, int64_t *utc_us, int *has_zone)
{
    const char *why;
    int hz = 0;
    int64_t us = 0;
    size_t k = scan3339(NULL, p, n, &us, &hz, &why);
    if (k) {
        *utc_us = us;
        *has_zone = hz;
    }
    return k;
}

static int parse_3339(struct msl_envelope_parser *ep, const char *line, size_t n,
                      struct msl_envelope *out, const char **why)
{
    const char *end = line + n, *p = skip_pri(line, end);
    int64_t us;
    int hz;
    size_t k = scan3339(ep, p, (size_t)(end - p), &us, &hz, why);
    if (!k)
        return MSL_EPARSE;
    if (!hz) {
        int64_t local = floor_div(us, US_PER_S);
        us = local_to_utc(ep, local) * US_PER_S + (us - local * US_PER_S);
        out->flags = MSL_EVF_LOCAL_TIME;
    }
    out->ts = us;
    out->format = MSL_ENV_RFC3339;
    return parse_tail(p + k, end, 0, out, why);
}

/* ---- RFC 3164 ----------------------------------------------------------------------------- */

/* Year for a year-less stamp, updating the inference state (the caller sets prev_local). */
static int infer_year(struct msl_envelope_parser *ep, int mon, int day, int64_t tod)
{
    if (UNLIKELY(ep->year == 0)) {
        int y = ep->year_override > 0 ? ep->year_override : ep->mtime_year;
        if (ep->year_override <= 0) {
            int64_t local = msl_days_from_civil(y, mon, day) * 86400 + tod;
            if (local - ep->mtime_local > 86400 && y > YEAR_MIN)
                y--;
        }
        ep->year = y;
    } else if (UNLIKELY(mon < ep->prev_mon) && ep->year < YEAR_MAX) {
        int64_t local = msl_days_from_civil(ep->year, mon, day) * 86400 + tod;
        if (ep->prev_local - local > ROLLOVER_BACKSTEP)
            ep->year++;
    }
    ep->prev_mon = mon;
    return ep->year;
}

static int parse_3164(struct msl_envelope_parser *ep, const char *line, size_t n,
                      struct msl_envelope *out, const char **why)
{
    const char *end = line + n, *p = skip_pri(line, end);
    size_t avail = (size_t)(end - p);
    int64_t utc;
    const char *q;

    if (LIKELY(ep->st_valid && avail > 15 && memcmp(p, ep->st, 15) == 0)) {
        utc = ep->st_utc; /* same second as the previous line */
        q = p + 15;
    } else {
        if (avail < 4 || p[3] != ' ') {
            *why = "no timestamp";
            return MSL_EPARSE;
        }
        int mon = month3(p);
        if (!mon) {
            *why = "bad month";
            return MSL_EPARSE;
        }
        /* day: " 7", "07", "27", or an unpadded "7" */
        int day;
        size_t t;
        if (avail > 5 && p[4] == ' ' && dig(p[5])) {
            day = p[5] - '0';
            t = 7;
        } else if (avail > 5 && dig(p[4]) && dig(p[5])) {
            day = d2(p + 4);
            t = 7;
        } else if (avail > 5 && dig(p[4]) && p[5] == ' ') {
            day = p[4] - '0';
            t = 6;
        } else {
            *why = "bad date";
            return MSL_EPARSE;
        }
        if (t > avail || p[t - 1] != ' ' || day < 1 || day > days_in_month(2000, mon)) {
            *why = "bad date";
            return MSL_EPARSE;
        }
        if (avail < t + 8 || !dig(p[t]) || !dig(p[t + 1]) || p[t + 2] != ':' ||
            !dig(p[t + 3]) || !dig(p[t + 4]) || p[t + 5] != ':' || !dig(p[t + 6]) ||
            !dig(p[t + 7])) {
            *why = "bad time";
            return MSL_EPARSE;
        }
        int hh = d2(p + t), mm = d2(p + t + 3), ss = d2(p + t + 6);
        if (hh > 23 || mm > 59 || ss > 60) {
            *why = "bad time";
            return MSL_EPARSE;
        }
        int64_t tod = hh * 3600 + mm * 60 + ss;
        int y = infer_year(ep, mon, day, tod);
        int64_t local = day_number(ep, y, mon, day) * 86400 + tod;
        ep->prev_local = local;
        utc = local_to_utc(ep, local);
        q = p + t + 8;
        if (t == 7) {
            memcpy(ep->st, p, 15);
            ep->st_utc = utc;
            ep->st_valid = 1;
        } else {
            ep->st_valid = 0;
        }
    }
    int64_t frac;
    q = scan_frac(q, end, &frac); /* journalctl -o short-precise */
    out->ts = utc * US_PER_S + frac;
    out->flags = MSL_EVF_LOCAL_TIME | MSL_EVF_YEAR_GUESS;
    out->format = MSL_ENV_RFC3164;
    return parse_tail(q, end, 1, out, why);
}

/* ---- RFC 5424 ----------------------------------------------------------------------------- */

/* One space-terminated header field; "-" is nil.  Returns 0 when the line ends first. */
static int field5424(const char **pp, const char *end, struct msl_str *f)
{
    const char *p = *pp;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp == p)
        return 0;
    *f = (sp - p == 1 && *p == '-') ? (struct msl_str){p, 0}
                                     : (struct msl_str){p, (size_t)(sp - p)};
    *pp = sp + 1;
    return 1;
}

static int parse_5424(struct msl_envelope_parser *ep, const char *line, size_t n,
                      struct msl_envelope *out, const char **why)
{
    const char *p = line, *end = line + n;
    *why = "bad RFC 5424 header";
    if (p >= end || *p != '<')
        return MSL_EPARSE;
    const char *q = p + 1;
    while (q < end && q - p <= 3 && dig(*q))
        q++;
    if (q == p + 1 || q >= end || *q != '>')
        return MSL_EPARSE;
    p = q + 1;
    if (p >= end || !dig(*p) || *p == '0')
        return MSL_EPARSE;
    p++;
    if (p < end && dig(*p))
        p++;
    if (p >= end || *p != ' ')
        return MSL_EPARSE;
    p++;

    if (p < end && *p == '-') {
        *why = "no timestamp";
        return MSL_EPARSE;
    }
    int64_t us;
    int hz;
    size_t k = scan3339(ep, p, (size_t)(end - p), &us, &hz, why);
    if (!k)
        return MSL_EPARSE;
    p += k;
    if (p >= end || *p != ' ') {
        *why = "bad time";
        return MSL_EPARSE;
    }
    p++;
    if (!hz) {
        int64_t local = floor_div(us, US_PER_S);
        us = local_to_utc(ep, local) * US_PER_S + (us - local * US_PER_S);
        out->flags = MSL_EVF_LOCAL_TIME;
    }
    out->ts = us;
    out->format = MSL_ENV_RFC5424;

    struct msl_str procid, msgid;
    *why = "bad RFC 5424 header";
    if (!field5424(&p, end, &out->host) || !field5424(&p, end, &out->program) ||
        !field5424(&p, end, &procid) || !field5424(&p, end, &msgid))
        return MSL_EPARSE;
    (void)msgid;
    out->pid = procid.n ? parse_pid(procid.p, procid.p + procid.n) : -1;

    /* Structured data: "-" or one or more "[id k="v" ...]"; in values \" \\ \] are escaped,
     * and an unescaped ']' inside quotes (seen in the wild) does not end the element. */
    if (p >= end) {
        *why = "bad structured data";
        return MSL_EPARSE;
    }
    if (*p == '-') {
        p++;
    } else if (*p == '[') {
        while (p < end && *p == '[') {
            int inq = 0;
            p++;
            while (p < end) {
                char c = *p;
                if (inq && c == '\\' && p + 1 < end) {
                    p += 2;
                    continue;
                }
                if (c == '"')
                    inq = !inq;
                else if (c == ']' && !inq)
                    break;
                p++;
            }
            if (p >= end) {
                *why = "bad structured data";
                return MSL_EPARSE;
            }
            p++; /* the ']' */
        }
    } else {
        *why = "bad structured data";
        return MSL_EPARSE;
    }
    if (p < end) {
        if (*p != ' ') {
            *why = "bad structured data";
            return MSL_EPARSE;
        }
        p++;
    }
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    out->msg = (struct msl_str){p, (size_t)(end - p)};
    return 0;
}

/* ---- journalctl -o json ------------------------------------------------------------------- */

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* At '"': finds the closing quote.  Returns the position after it, or NULL. */
static const char *json_string_end(const char *p, const char *end, int *has_esc)
{
    *has_esc = 0;
    for (p++; p < end; p++) {
        if (*p == '\\') {
            *has_esc = 1;
            p++;
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skips any JSON value starting at p (strings, numbers, literals, nested arrays/objects,
 * iteratively).  Returns the position after it or NULL on malformed input. */
static const char *json_skip_value(const char *p, const char *end)
{
    int depth = 0, esc;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = json_string_end(p, end, &esc);
            if (!p)
                return NULL;
        } else if (c == '[' || c == '{') {
            depth++;
            p++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return NULL;
            depth--;
            p++;
        } else if (depth > 0) {
            p++;
        } else {
            /* scalar at top level: up to a delimiter */
            const char *s = p;
            while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t')
                p++;
            return p > s ? p : NULL;
        }
        if (depth == 0)
            return p;
    }
    return NULL;
}

/* Unescapes the string body [p, end) into o; never writes more than end - p bytes. */
static char *json_unescape(const char *p, const char *end, char *o)
{
    while (p < end) {
        char c = *p++;
        if (c != '\\' || p >= end) {
            *o++ = c;
            continue;
        }
        c = *p++;
        switch (c) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            size_t used;
            int k = json_unesc_u(p, end, o, &used);
            if (k < 0) {
                *o++ = 'u'; /* malformed: keep the text (2 bytes in, 1 out) */
                break;
            }
            o += k;
            p += used;
            break;
        }
        default: *o++ = c; break; /* \" \\ \/ and unknown escapes */
        }
    }
    return o;
}

/* A JSON value [v0, v1) (including quotes/brackets) as text: view into the line when it is
 * a plain string, else decoded into scratch.  Numbers/literals give their text. */
static struct msl_str json_text(struct msl_envelope_parser *ep, const char *v0, const char *v1)
{
    if (v1 - v0 >= 2 && *v0 == '"') {
        const char *b = v0 + 1, *e = v1 - 1;
        if (!memchr(b, '\\', (size_t)(e - b)))
            return (struct msl_str){b, (size_t)(e - b)};
        char *o0 = ep->scratch + ep->scratch_len;
        char *o = json_unescape(b, e, o0);
        ep->scratch_len += (size_t)(o - o0);
        return (struct msl_str){o0, (size_t)(o - o0)};
    }
    if (v1 > v0 && *v0 == '[') {
        /* MESSAGE as an array of byte numbers (non-UTF-8 data); a multi-valued field is an
         * array of strings: take the first. */
        const char *p = skip_ws(v0 + 1, v1);
        if (p < v1 && *p == '"') {
            int esc;
            const char *e = json_string_end(p, v1, &esc);
            return e ? json_text(ep, p, e) : (struct msl_str){v0, 0};
        }
        char *o0 = ep->scratch + ep->scratch_len, *o = o0;
        while (p < v1 && dig(*p)) {
            unsigned v = 0;
            int k = 0;
            while (p < v1 && dig(*p)) {
                if (k++ < 4)
                    v = v * 10 + (unsigned)(*p - '0');
                p++;
            }
            *o++ = (char)(v > 255 ? 255 : v); /* each number has >= 1 digit: no growth */
            p = skip_ws(p, v1);
            if (p < v1 && *p == ',')
                p = skip_ws(p + 1, v1);
        }
        ep->scratch_len += (size_t)(o - o0);
        return (struct msl_str){o0, (size_t)(o - o0)};
    }
    if (v1 - v0 == 4 && !memcmp(v0, "null", 4))
        return (struct msl_str){v0, 0};
    return (struct msl_str){v0, (size_t)(v1 - v0)};
}

/* Digits of a string or number value -> integer; -1 when not a plain non-negative number. */
static int64_t json_int(const char *v0, const char *v1, int maxdig)
{
    if (v1 - v0 >= 2 && *v0 == '"') {
        v0++;
        v1--;
    }
    if (v1 <= v0 || v1 - v0 > maxdig)
        return -1;
    int64_t v = 0;
    for (const char *p = v0; p < v1; p++) {
        if (!dig(*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

enum { JK_TS, JK_HOST, JK_IDENT, JK_COMM, JK_SPID, JK_PID, JK_MSG, JK__N };

static int json_key(const char *k, size_t n)
{
    switch (n) {
    case 5: return !memcmp(k, "_COMM", 5) ? JK_COMM : -1;
    case 4: return !memcmp(k, "_PID", 4) ? JK_PID : -1;
    case 7: return !memcmp(k, "MESSAGE", 7) ? JK_MSG : -1;
    case 9: return !memcmp(k, "_HOSTNAME", 9) ? JK_HOST : -1;
    case 10: return !memcmp(k, "SYSLOG_PID", 10) ? JK_SPID : -1;
    case 17: return !memcmp(k, "SYSLOG_IDENTIFIER", 17) ? JK_IDENT : -1;
    case 20: return !memcmp(k, "__REALTIME_TIMESTAMP", 20) ? JK_TS : -1;
    default: return -1;
    }
}

static int parse_json(struct msl_envelope_parser *ep, const char *line, size_t n,
                      struct msl_envelope *out, const char **why)
{
    const char *end = line + n, *p = skip_ws(line, end);
    const char *v0[JK__N] = {0}, *v1[JK__N] = {0};
    *why = "bad JSON";
    if (p >= end || *p != '{')
        return MSL_EPARSE;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            int esc;
            if (p >= end || *p != '"')
                return MSL_EPARSE;
            const char *k1 = json_string_end(p, end, &esc);
            if (!k1)
                return MSL_EPARSE;
            int key = esc ? -1 : json_key(p + 1, (size_t)(k1 - p - 2));
            p = skip_ws(k1, end);
            if (p >= end || *p != ':')
                return MSL_EPARSE;
            p = skip_ws(p + 1, end);
            const char *vs = p;
            p = json_skip_value(p, end);
            if (!p)
                return MSL_EPARSE;
            if (key >= 0) {
                v0[key] = vs;
                v1[key] = p;
            }
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}')
                break;
            return MSL_EPARSE;
        }
    }
    if (!v0[JK_TS]) {
        *why = "no timestamp";
        return MSL_EPARSE;
    }
    int64_t ts = json_int(v0[JK_TS], v1[JK_TS], 17); /* 17 digits: up to year 5138 */
    if (ts < 0) {
        *why = "bad timestamp";
        return MSL_EPARSE;
    }
    /* Decoding never grows text, so n bytes of scratch hold every decoded field. */
    if (ep->scratch_cap < n) {
        size_t cap = n < 4096 ? 4096 : n;
        char *s = realloc(ep->scratch, cap);
        if (!s) {
            *why = "out of memory";
            return MSL_ENOMEM;
        }
        ep->scratch = s;
        ep->scratch_cap = cap;
    }
    ep->scratch_len = 0;
    out->format = MSL_ENV_JOURNAL_JSON;
    out->ts = ts;
    out->flags = 0;
    if (v0[JK_HOST])
        out->host = json_text(ep, v0[JK_HOST], v1[JK_HOST]);
    int id = v0[JK_IDENT] ? JK_IDENT : v0[JK_COMM] ? JK_COMM : -1;
    if (id >= 0)
        out->program = json_text(ep, v0[id], v1[id]);
    int pk = v0[JK_SPID] ? JK_SPID : JK_PID;
    out->pid = v0[pk] ? json_int(v0[pk], v1[pk], 18) : -1;
    if (v0[JK_MSG])
        out->msg = json_text(ep, v0[JK_MSG], v1[JK_MSG]);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static enum msl_env_format guess_format(const char *p, const char *end)
{
    const char *q = skip_ws(p, end);
    if (q < end && *q == '{')
        return MSL_ENV_JOURNAL_JSON;
    if (p < end && *p == '<') {
        q = skip_pri(p, end);
        if (q == p)
            return MSL_ENV_UNKNOWN;
        /* "<PRI>1 " is RFC 5424; "<PRI>Nov" or "<PRI>2026-" a network-syslog prefix */
        if (q + 1 < end && dig(q[0]) && (q[1] == ' ' || (dig(q[1]) && q + 2 < end && q[2] == ' ')))
            return MSL_ENV_RFC5424;
        p = q;
    }
    if (p < end && dig(*p))
        return MSL_ENV_RFC3339;
    if (p < end && *p >= 'A' && *p <= 'Z')
        return MSL_ENV_RFC3164;
    return MSL_ENV_UNKNOWN;
}

static int parse_as(struct msl_envelope_parser *ep, enum msl_env_format f, const char *line,
                    size_t n, struct msl_envelope *out, const char **why)
{
    out->flags = 0;
    out->pid = -1;
    out->host = out->program = out->msg = (struct msl_str){line, 0};
    switch (f) {
    case MSL_ENV_RFC3164: return parse_3164(ep, line, n, out, why);
    case MSL_ENV_RFC3339: return parse_3339(ep, line, n, out, why);
    case MSL_ENV_RFC5424: return parse_5424(ep, line, n, out, why);
    case MSL_ENV_JOURNAL_JSON: return parse_json(ep, line, n, out, why);
    case MSL_ENV_UNKNOWN:
    case MSL_ENV__COUNT:
    default: *why = "no timestamp"; return MSL_EPARSE;
    }
}

static int envelope_parse(struct msl_envelope_parser *ep, const char *line, size_t n,
                          struct msl_envelope *out, const char **why)
{
    const char *w = NULL;
    int rc = MSL_EPARSE;
    if (n && line[n - 1] == '\r')
        n--; /* CRLF files */
    if (n == 0) {
        out->format = MSL_ENV_UNKNOWN;
        out->ts = 0;
        out->flags = 0;
        out->pid = -1;
        out->host = out->program = out->msg = (struct msl_str){line, 0};
        if (why)
            *why = "empty line";
        return MSL_EPARSE;
    }
    if (LIKELY(ep->last != MSL_ENV_UNKNOWN)) {
        rc = parse_as(ep, ep->last, line, n, out, &w);
        if (LIKELY(rc == 0))
            return 0;
        if (rc == MSL_ENOMEM) {
            if (why)
                *why = w;
            return rc;
        }
    }
    enum msl_env_format f = guess_format(line, line + n);
    if (f != ep->last || f == MSL_ENV_UNKNOWN) {
        rc = parse_as(ep, f, line, n, out, &w);
        if (rc == 0) {
            ep->last = f;
            return 0;
        }
    }
    out->format = MSL_ENV_UNKNOWN;
    if (why)
        *why = w ? w : "no timestamp";
    return rc;
}

/* Solaris syslogd puts a message id before the text: "[ID 801593 mail.notice] ". */
static void strip_solaris_id(struct msl_str *msg)
{
    const char *p = msg->p, *end = p + msg->n;
    if (msg->n < 8 || memcmp(p, "[ID ", 4) != 0)
        return;
    const char *q = p + 4;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (q == p + 4 || q >= end || *q != ' ')
        return;
    const char *close = memchr(q, ']', (size_t)(end - q));
    if (!close || close - q > 32 || !memchr(q, '.', (size_t)(close - q)))
        return;
    q = close + 1;
    if (q < end && *q == ' ')
        q++;
    msg->p = q;
    msg->n = (size_t)(end - q);
}

int msl_envelope_parse(struct msl_envelope_parser *ep, const char *line, size_t n,
                       struct msl_envelope *out, const char **why)
{
    int rc = envelope_parse(ep, line, n, out, why);
    if (rc == 0 && out->msg.n && out->msg.p[0] == '[')
        strip_solaris_id(&out->msg);
    return rc;
}
