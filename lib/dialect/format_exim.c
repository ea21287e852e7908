/*
 * format_exim.c - the file format "exim-mainlog": Exim's own log files (mainlog, rejectlog,
 * paniclog), one entry per line:
 *
 *     YYYY-MM-DD HH:MM:SS[.fff][ +ZZZZ][ [pid]] [<message id> ]<text>
 *
 * Stamps without " +ZZZZ" (log_timezone unset, the default) are local time: they use the
 * source's zone (src->tz) and carry MSL_EVF_LOCAL_TIME.  The text is parsed by the Exim
 * dialect (exim.c, msl_exim_message); events get mta "exim", program "exim", no host.
 *
 * Per line, besides the plain layout:
 *   - a bounce arrival "<= <> R=ORIG" gives two events: RECEIVED (detail = ORIG) and
 *     DSN_CREATED with qid = ORIG, new_qid = the bounce's id, so the correlator links the
 *     bounce to its original exactly as for Postfix's "sender non-delivery notification";
 *   - a source whose name contains "paniclog" gives ERROR events (severity panic, qid when
 *     the entry names a message), whatever the text;
 *   - rejectlog records continue on lines without a stamp ("Envelope-from: <...>",
 *     "Envelope-to: <...>", "P Received: ...", indented header continuations): they belong to
 *     the reject entry above them and give no event and no unparsed reason;
 *   - syslog-shaped lines that end up in such files ("STAMP host exim[pid]: msg", or
 *     "host exim[pid]: STAMP msg" when syslog added no stamp of its own) are unwrapped: host,
 *     program and pid come from the wrapper.
 *
 * detect() scores high (up to 95) only when most sampled lines (rejectlog continuation lines
 * aside) start with Exim's stamp and are not syslog lines with a space-separated RFC 3339
 * stamp, which the syslog format reads.  No allocation per line.
 */
#include <stdlib.h>
#include <string.h>

#include "exim_int.h"
#include "mailsleuth/mailsleuth.h"
#include "dialect/scan.h"

struct exim_state {
    const struct msl_tz *tz;
    int panic;     /* the source is a paniclog */
    int in_record; /* a stamped entry was seen: unstamped header lines continue it */
};

static void *ex_open(const struct msl_format_src *src)
{
    struct exim_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->tz = src->tz;
    st->panic = src->name && strstr(src->name, "paniclog") != NULL;
    return st;
}

static void ex_close(void *st)
{
    free(st);
}

/*
 * "host prog[pid]: " at p with prog "exim"/"exim4" (any program when any_prog): sets the
 * views and returns the message start, or NULL.
 */
static const char *syslog_wrap(const char *p, const char *end, struct msl_str *host,
                               struct msl_str *prog, int64_t *pid, int any_prog)
{
    const char *h = p;
    while (p < end && *p != ' ' && p - h < 256)
        p++;
    if (p == h || p >= end || *p != ' ')
        return NULL;
    const char *he = p++, *g = p;
    while (p < end && (scan_isdigit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       *p == '-' || *p == '_' || *p == '.' || *p == '/') &&
           p - g < 64)
        p++;
    if (p == g || p >= end || *p != '[')
        return NULL;
    const char *ge = p++;
    int64_t v;
    if (!scan_uint(&p, end, &v) || end - p < 3 || p[0] != ']' || p[1] != ':' || p[2] != ' ')
        return NULL;
    size_t gn = (size_t)(ge - g);
    if (!any_prog && !((gn == 4 && memcmp(g, "exim", 4) == 0) ||
                       (gn == 5 && memcmp(g, "exim4", 5) == 0)))
        return NULL;
    *host = scan_sv(h, he);
    *prog = scan_sv(g, ge);
    *pid = v;
    return p + 3;
}

/* A rejectlog continuation: "Envelope-from: ", "Envelope-to: ", "F Name: ", indented. */
static int record_continuation(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    if (*p == ' ' || *p == '\t')
        return 1;
    if (SCAN_STARTS(p, end, "Envelope-from: ") || SCAN_STARTS(p, end, "Envelope-to: "))
        return 1;
    /* header flag char, space, header name, ':' */
    if (end - p < 4 || p[1] != ' ' || p[0] == ' ')
        return 0;
    const char *q = p + 2, *s = q;
    while (q < end && *q > ' ' && *q < 127 && *q != ':')
        q++;
    return q > s && q < end && *q == ':';
}

/* Stamp at p (see msl_exim_stamp) converted to UTC; returns bytes consumed or 0. */
static size_t stamp_utc(const struct exim_state *st, const char *p, const char *end,
                        int64_t *ts, uint32_t *flags)
{
    int64_t local;
    int hz;
    int32_t off;
    size_t n = msl_exim_stamp(p, end, &local, &hz, &off);
    if (!n)
        return 0;
    int64_t frac = local % 1000000;
    if (hz) {
        *ts = local - (int64_t)off * 1000000;
    } else {
        int64_t tod = local / 1000000 % 86400;
        /* re-read the broken-down date for the zone lookup */
        int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        int mo = (p[5] - '0') * 10 + (p[6] - '0'), d = (p[8] - '0') * 10 + (p[9] - '0');
        *ts = msl_tz_local_to_utc(st->tz, y, mo, d, (int)(tod / 3600), (int)(tod / 60 % 60),
                                  (int)(tod % 60)) * 1000000 + frac;
        *flags |= MSL_EVF_LOCAL_TIME;
    }
    return n;
}

static int ex_line(void *vp, const struct msl_line *ln, const struct msl_emitter *em,
                   const char **why)
{
    struct exim_state *st = vp;
    const char *p = ln->p, *end = p + ln->n;
    *why = NULL;
    if (ln->n == 0) {
        *why = "empty line";
        return 0;
    }
    struct msl_event e;
    msl_event_clear(&e);
    e.mta = MSL_STR_LIT("exim");
    e.mta_caps = msl_dialect_exim.caps; /* the same MTA as Exim through syslog */
    e.program = MSL_STR_LIT("exim");
    size_t n = stamp_utc(st, p, end, &e.ts, &e.flags);
    if (n) {
        p += n;
        const char *m = syslog_wrap(p, end, &e.host, &e.program, &e.pid, 1);
        if (m) {
            if (!((e.program.n == 4 && memcmp(e.program.p, "exim", 4) == 0) ||
                  (e.program.n == 5 && memcmp(e.program.p, "exim4", 5) == 0))) {
                *why = "exim-mainlog: syslog line of another program";
                return 0;
            }
            p = m;
            int64_t l2;
            int hz2;
            int32_t off2;
            p += msl_exim_stamp(p, end, &l2, &hz2, &off2); /* syslog_timestamp */
        }
    } else {
        struct msl_str host, prog;
        int64_t pid;
        const char *m = syslog_wrap(p, end, &host, &prog, &pid, 0);
        if (m && (n = stamp_utc(st, m, end, &e.ts, &e.flags)) != 0) {
            e.host = host;
            e.program = prog;
            e.pid = pid;
            p = m + n;
        } else if (st->in_record && record_continuation(p, end)) {
            return 0; /* part of the rejectlog entry above */
        } else {
            *why = "exim-mainlog: no timestamp";
            return 0;
        }
    }
    st->in_record = 1;
    if (st->panic) {
        struct msl_str bo;
        const char *w;
        struct msl_event t = e;
        msl_exim_message(p, end, &t, &w, &bo);
        e.kind = MSL_EV_ERROR;
        e.severity = MSL_SEV_PANIC;
        e.qid = t.qid;
        e.qid_time = t.qid_time;
        e.pid = t.pid;
        if (e.qid.n)
            p = e.qid.p + e.qid.n + (e.qid.p + e.qid.n < end);
        else if (p < end && *p == '[' && e.pid >= 0)
            p = scan_span_until(p, end, " ") + (scan_span_until(p, end, " ") < end);
        e.text = scan_sv(p, end);
        return em->emit(em->ctx, &e) ? -1 : 1;
    }
    struct msl_str bounce_of;
    if (!msl_exim_message(p, end, &e, why, &bounce_of)) {
        if (!*why)
            *why = "exim: unrecognised message";
        return 0;
    }
    if (em->emit(em->ctx, &e))
        return -1;
    if (!bounce_of.n)
        return 1;
    struct msl_event d;
    msl_event_clear(&d);
    d.kind = MSL_EV_DSN_CREATED;
    d.ts = e.ts;
    d.flags = e.flags;
    d.host = e.host;
    d.mta = e.mta;
    d.program = e.program;
    d.pid = e.pid;
    d.qid = bounce_of;
    msl_exim_id(bounce_of.p, bounce_of.n, &d.qid_time);
    d.new_qid = e.qid;
    d.detail = MSL_STR_LIT("bounce arrival");
    return em->emit(em->ctx, &d) ? -1 : 2;
}

static int ex_detect(const struct msl_str *lines, size_t n)
{
    size_t ok = 0, cont = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = lines[i].p, *end = p + lines[i].n;
        int64_t l;
        int hz;
        int32_t off;
        size_t k = msl_exim_stamp(p, end, &l, &hz, &off);
        if (k) {
            struct msl_str h, g;
            int64_t pid;
            if (!syslog_wrap(p + k, end, &h, &g, &pid, 1))
                ok++;
        } else if (ok && record_continuation(p, end)) {
            cont++;
        }
    }
    if (ok == 0 || n <= cont)
        return 0;
    size_t denom = n - cont;
    if (ok * 2 > denom)
        return 60 + (int)(ok * 35 / denom);
    return (int)(ok * 40 / denom);
}

const struct msl_format msl_format_exim = {
    .name = "exim-mainlog",
    .description = "Exim mainlog/rejectlog/paniclog (\"YYYY-MM-DD HH:MM:SS [+ZZZZ] [[pid]] "
                   "msg\"; zone-less stamps use --tz)",
    .detect = ex_detect,
    .open = ex_open,
    .close = ex_close,
    .line = ex_line,
};
