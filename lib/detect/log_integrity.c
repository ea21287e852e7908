/*
 * log_integrity.c - rule log-integrity: signs that the logs are not the complete, original
 * record.  Per input file:
 *  - time going backwards by more than `backwards` seconds from one line to the next;
 *  - gaps of at least `gap_min` that are also at least `gap_factor` times the file's median
 *    spacing between lines (a quiet night on a busy server is not a gap on an idle one);
 *  - exact duplicate lines: the same as the line before, or, for a line with a queue id,
 *    as one of the last 64 lines ("message repeated" lines, the later events of a line that
 *    gives several, and lines an MTA writes once per delivery pass excluded);
 *  - the host name changing mid-file (a file with at most 3 host names and at most 4
 *    changes; more is a central log server collecting several hosts, not a change);
 *  - syslog's own notices of lost or suppressed messages (rsyslog, journald);
 *  - truncated lines (longer than the line limit) and binary lines (NUL bytes).
 * Per host:
 *  - volume-drop: events per hour of log time; a run of at most `drop_hours` hours with
 *    fewer than `drop_pct` of the median non-empty hour, between two hours with at least
 *    `busy_pct` of it, inside the covered window (the host's first and last hours are
 *    partial and never judged), on hosts whose median hour has `min_hourly` events;
 *  - lifecycle-holes, from the correlator's messages (Postfix and Exim hosts: they log both
 *    a receipt and an end line): a message delivered without a receipt whose arrival (the
 *    earliest of its first line, its queue id's time and each delivery's time minus its
 *    delay=) lies more than `grace` after the host's first line; a message received but
 *    never removed, not deferred or held, whose last line lies more than `grace` before the
 *    host's last line.  Bounces, forwarded copies and address probes have no receipt by
 *    design and are not judged.
 * Between files (the run's order: rotated sets oldest first), for consecutive files of one
 * host and MTA that both log transactions (receipts, deliveries, removals):
 *  - rotation-discontinuity: the next file starts at least the gap threshold (gap_min, and
 *    gap_factor times the larger median spacing) after the previous one ended, or more than
 *    `overlap` before it ended (out of order, repeated lines, or overlapping).
 * The hunt engine gives detectors no source names, so "one rotated set" is judged from the
 * content: same first host name, same MTA, both with transaction events.
 * One finding per file and check, per host and check, per pair of files.
 *
 * State per file: previous time and host, a histogram of line spacing in whole seconds up
 * to an hour (for the median), gap candidates (cited up to max_evidence, all counted), 64
 * line hashes, its first and last line, and the findings under construction.  Per host
 * (at most max_keys hosts): first/last time, the MTAs of its message events, the findings
 * under construction, and for at most VOL_HOSTS hosts hourly counters (count, first and
 * last line) over a window of at most VOL_RING hours that slides forward, judging the hours
 * that leave it.  Forwarded copies' queue ids are remembered until their message finishes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

static const struct msl_param params[] = {
    {"backwards", MSL_P_DURATION, 1, 0, 86400, "time going back by more than this is reported"},
    {"gap_min", MSL_P_DURATION, 900, 1, 365 * 86400,
     "shortest gap reported (within a file and between rotated files)"},
    {"gap_factor", MSL_P_INT, 10, 1, 1000000, "...and at least this times the median spacing"},
    {"drop_pct", MSL_P_PERCENT, 10, 1, 100,
     "volume-drop: an hour with fewer events than this share of the host's median hour"},
    {"busy_pct", MSL_P_PERCENT, 50, 1, 100,
     "volume-drop: ...while the hours before and after it have at least this share"},
    {"drop_hours", MSL_P_INT, 3, 1, 48,
     "volume-drop: longest run of such hours reported (longer runs are lulls)"},
    {"min_hourly", MSL_P_INT, 60, 1, 1000000000,
     "volume-drop: only hosts whose median hour has at least this many events"},
    {"grace", MSL_P_DURATION, 300, 0, 7 * 86400,
     "lifecycle-holes: messages this close to a host's first or last line are not judged"},
    {"overlap", MSL_P_DURATION, 60, 0, 86400,
     "rotation-discontinuity: next file starting more than this before the previous ended"},
};
enum { P_BACK, P_GAPMIN, P_GAPF, P_DROP, P_BUSY, P_DROPH, P_MINH, P_GRACE, P_OVERLAP };

enum { C_BACK, C_GAP, C_DUP, C_HOST, C_LOST, C_BIN, C__N };
#define HIST 3601
#define NHASH 64
#define HOUR_US (3600 * US_PER_S)
#define VOL_RING (24 * 60)  /* hours of counters per host (60 days) */
#define VOL_HOSTS 256       /* hosts with hourly counters */
#define VOL_JUMP (24 * 7)   /* a stamp this many hours past the host's last is suspect... */
#define VOL_JUMP_N 16       /* ...until this many in a row agree */

enum { H_NORCPT, H_NOREMOVE };

struct gap {
    int64_t from, to;
};

struct file {
    int used;
    int64_t last_ts;
    char host[256];
    char hosts[3][256];
    size_t nhosts, switches;
    uint32_t *hist;
    uint64_t hist_over, ngaps_total;
    struct gap *gaps; /* up to max_evidence candidates, all counted */
    size_t ngaps;
    int64_t max_gap;
    struct msl_finding f[C__N];
    uint64_t hash[NHASH];
    size_t hpos;
    uint64_t hline; /* line number of the last hashed line: one line, several events */
    /* rotation-discontinuity */
    uint64_t events;
    int64_t first_ts;
    struct msl_fevidence first; /* the first event's line */
    struct msl_evidence last_ev;
    char *lastbuf; /* the last event's line (with show_lines) */
    size_t lastlen, lastcap;
    uint64_t first_hash;
    int first_qid;   /* the first event names a queue id */
    uint32_t kinds;  /* 1 << kind of every event */
    char mta[16];    /* MTA of the first transaction event */
};

struct hour {
    uint32_t n;
    int64_t first_ts, last_ts;
    struct msl_evidence first, last;
};

struct host {
    int64_t first_ts, last_ts;
    int mta_ok, mta_other; /* message events of Postfix/Exim; of MTAs without both lines */
    /* volume-drop */
    int vol_state; /* 0 not yet, 1 tracked, 2 not tracked (cap) */
    struct hour *hr;
    size_t nhr, caphr;
    int64_t base, first_hour, last_hour, done; /* absolute hours (ts / HOUR_US) */
    uint32_t prev_n; /* events of hour base - 1 (after a slide) */
    int64_t jump_hour;
    unsigned jump_n;
    uint64_t outside;
    struct msl_finding vol;
    uint64_t vol_runs, vol_hours;
    int64_t vol_median, vol_ex_hour, vol_ex_len, vol_ex_n, vol_ex_before, vol_ex_after;
    /* lifecycle-holes */
    struct msl_finding hole[2];
    uint64_t nhole[2];
};

struct st {
    const struct msl_detect_env *env;
    struct file *files;
    size_t nfiles;
    struct strmap *hosts;     /* host name -> struct host */
    struct strmap *forwarded; /* "host\nqid" of forwarded copies not yet finished */
    size_t vol_hosts;
    uint64_t hosts_dropped, vol_dropped;
    int failed;
};

static struct file *file_of(struct st *s, uint32_t src)
{
    if (src >= 1u << 20)
        return NULL;
    if (src >= s->nfiles) {
        size_t n = (size_t)src + 1;
        struct file *nf = realloc(s->files, n * sizeof *nf);
        if (!nf)
            return NULL;
        memset(nf + s->nfiles, 0, (n - s->nfiles) * sizeof *nf);
        s->files = nf;
        s->nfiles = n;
    }
    struct file *f = &s->files[src];
    if (!f->used) {
        f->used = 1;
        f->hist = calloc(HIST, sizeof *f->hist);
        f->gaps = calloc(s->env->max_evidence, sizeof *f->gaps);
    }
    return f;
}

static int is_lost_notice(struct msl_str t)
{
    return det_contains(t, "messages lost") || det_contains(t, "begins to drop messages") ||
           (det_contains(t, "suppressed") && det_contains(t, "messages")) ||
           (det_contains(t, "missed") && det_contains(t, "messages")) ||
           (det_contains(t, "lost") && det_contains(t, "messages due to rate-limiting"));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* "2026-11-27 13:00" (UTC) of an absolute hour. */
static void fmt_hour(char *out, size_t n, int64_t hour)
{
    time_t t = (time_t)(hour * 3600);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, n, "hour %lld", (long long)hour);
        return;
    }
    strftime(out, n, "%Y-%m-%d %H:00", &tm);
}

/* ---- per host: first/last line, MTAs, hourly volume -------------------------------- */

static struct host *host_get(struct st *s, const char *p, size_t n)
{
    if (!n || !s->hosts)
        return NULL;
    struct host *h = strmap_find(s->hosts, p, n);
    if (h)
        return h;
    if (strmap_len(s->hosts) >= s->env->max_keys) {
        s->hosts_dropped++;
        return NULL;
    }
    h = strmap_get(s->hosts, p, n, NULL);
    if (!h)
        s->failed = 1;
    return h;
}

static uint32_t hour_n(const struct host *h, int64_t a)
{
    if (a == h->base - 1)
        return h->prev_n;
    if (a < h->base || a >= h->base + (int64_t)h->nhr)
        return 0;
    return h->hr[a - h->base].n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Median of the window's non-empty hours, the host's first and last (partial) excluded. */
static int64_t vol_median(struct st *s, const struct host *h)
{
    uint32_t *v = malloc((h->nhr + 1) * sizeof *v);
    if (!v) {
        s->failed = 1;
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < h->nhr; i++) {
        int64_t a = h->base + (int64_t)i;
        if (h->hr[i].n && a != h->first_hour && a != h->last_hour)
            v[k++] = h->hr[i].n;
    }
    int64_t med = 0;
    if (k) {
        qsort(v, k, sizeof *v, cmp_u32);
        med = v[(k - 1) / 2];
    }
    free(v);
    return med;
}

static void vol_cite_hour(struct st *s, struct host *h, int64_t a, int first, int last)
{
    if (a < h->base || a >= h->base + (int64_t)h->nhr || !h->hr[a - h->base].n)
        return;
    const struct hour *x = &h->hr[a - h->base];
    if (first)
        det_cite(s->env, &h->vol, x->first_ts, &x->first, MSL_STR_NULL);
    if (last && (!first || x->n > 1))
        det_cite(s->env, &h->vol, x->last_ts, &x->last, MSL_STR_NULL);
}

/* Judges hours [done, min(upto, last_hour)) of the window. */
static void vol_judge(struct st *s, struct host *h, int64_t upto)
{
    const int64_t *P = s->env->params;
    int64_t from = h->done > h->first_hour + 1 ? h->done : h->first_hour + 1;
    int64_t end = upto < h->last_hour ? upto : h->last_hour;
    if (from >= end)
        return;
    h->done = end;
    int64_t med = vol_median(s, h);
    if (med < P[P_MINH])
        return;
#define LOW(a) ((int64_t)hour_n(h, a) * 100 < P[P_DROP] * med)
#define BUSY(a) ((int64_t)hour_n(h, a) * 100 >= P[P_BUSY] * med)
    for (int64_t a = from; a < end; a++) {
        if (!LOW(a) || a - 1 < h->base - 1 || !BUSY(a - 1))
            continue;
        int64_t b = a;
        while (b <= h->last_hour && LOW(b))
            b++;
        if (b - a > P[P_DROPH] || b > h->last_hour || !BUSY(b)) {
            a = b - 1;
            continue;
        }
        /* a run of b - a low hours between two busy ones */
        int64_t sum = 0;
        for (int64_t x = a; x < b; x++)
            sum += hour_n(h, x);
        if (!h->vol_runs) {
            h->vol_ex_hour = a;
            h->vol_ex_len = b - a;
            h->vol_ex_n = sum;
            h->vol_ex_before = hour_n(h, a - 1);
            h->vol_ex_after = hour_n(h, b);
        }
        h->vol_runs++;
        h->vol_hours += (uint64_t)(b - a);
        h->vol_median = med;
        vol_cite_hour(s, h, a - 1, 0, 1);
        for (int64_t x = a; x < b; x++)
            vol_cite_hour(s, h, x, 1, 1);
        vol_cite_hour(s, h, b, 1, 0);
        a = b - 1;
    }
#undef LOW
#undef BUSY
}

/* Moves the window so that hour fits: judges the hours that leave it first.  The count of
 * the hour just before the new window is kept (the left neighbour of its first hour). */
static void vol_slide(struct st *s, struct host *h, int64_t hour)
{
    int64_t nb = hour - (VOL_RING - 1);
    if (nb <= h->base)
        return;
    vol_judge(s, h, nb);
    h->prev_n = hour_n(h, nb - 1);
    size_t drop = (size_t)(nb - h->base);
    if (drop >= h->nhr) {
        h->nhr = 0;
    } else {
        memmove(h->hr, h->hr + drop, (h->nhr - drop) * sizeof *h->hr);
        h->nhr -= drop;
    }
    h->base = nb;
    if (h->done < nb)
        h->done = nb;
}

static void vol_add(struct st *s, struct host *h, const struct msl_event *e)
{
    if (h->vol_state == 0) {
        if (s->vol_hosts >= VOL_HOSTS) {
            h->vol_state = 2;
            s->vol_dropped++;
            return;
        }
        s->vol_hosts++;
        h->vol_state = 1;
        int64_t hour = floor_div(e->ts, HOUR_US);
        h->base = h->first_hour = h->last_hour = hour;
        h->done = hour + 1;
    }
    if (h->vol_state != 1)
        return;
    int64_t hour = floor_div(e->ts, HOUR_US);
    if (hour < h->base) {
        h->outside++;
        return;
    }
    if (hour > h->last_hour + VOL_JUMP) {
        /* one wild stamp must not move the window: wait for the next lines to agree */
        if (hour / VOL_JUMP != h->jump_hour / VOL_JUMP)
            h->jump_n = 0;
        h->jump_hour = hour;
        if (++h->jump_n < VOL_JUMP_N) {
            h->outside++;
            return;
        }
    }
    h->jump_n = 0;
    if (hour - h->base >= VOL_RING)
        vol_slide(s, h, hour);
    size_t i = (size_t)(hour - h->base);
    if (i >= h->caphr) {
        size_t nc = h->caphr ? h->caphr * 2 : 32;
        while (nc <= i)
            nc *= 2;
        if (nc > VOL_RING)
            nc = VOL_RING;
        struct hour *nh = realloc(h->hr, nc * sizeof *nh);
        if (!nh) {
            s->failed = 1;
            return;
        }
        h->hr = nh;
        h->caphr = nc;
    }
    if (i >= h->nhr) {
        memset(h->hr + h->nhr, 0, (i + 1 - h->nhr) * sizeof *h->hr);
        h->nhr = i + 1;
    }
    struct hour *x = &h->hr[i];
    if (!x->n) {
        x->first = e->ev;
        x->first_ts = e->ts;
    }
    x->n++;
    x->last = e->ev;
    x->last_ts = e->ts;
    if (hour > h->last_hour)
        h->last_hour = hour;
}

static void host_event(struct st *s, const struct msl_event *e)
{
    struct host *h = host_get(s, e->host.p, e->host.n);
    if (!h)
        return;
    if (!h->first_ts || e->ts < h->first_ts)
        h->first_ts = e->ts;
    if (e->ts > h->last_ts)
        h->last_ts = e->ts;
    if (e->qid.n) {
        if (e->mta_caps & MSL_MTA_LIFECYCLE)
            h->mta_ok = 1;
        else if (e->mta_caps & MSL_MTA_TRANSACTIONS)
            h->mta_other = 1;
    }
    vol_add(s, h, e);
    /* "status=sent (forwarded as QID)": the copy has no receipt of its own */
    if (e->kind == MSL_EV_DELIVERY && e->status == MSL_ST_FORWARDED && e->text.n && s->forwarded) {
        const char *t = e->text.p, *end = t + e->text.n;
        for (; t + 13 <= end; t++)
            if (!memcmp(t, "forwarded as ", 13))
                break;
        if (t + 13 > end)
            return;
        const char *q = t + 13, *qe = q;
        while (qe < end && ((*qe >= '0' && *qe <= '9') || (*qe >= 'A' && *qe <= 'Z') ||
                            (*qe >= 'a' && *qe <= 'z')))
            qe++;
        char key[512];
        int n = snprintf(key, sizeof key, "%.*s\n%.*s", (int)e->host.n, e->host.p,
                         (int)(qe - q), q);
        if (n > 0 && (size_t)n < sizeof key && qe > q &&
            strmap_len(s->forwarded) < s->env->max_keys &&
            !strmap_get(s->forwarded, key, (size_t)n, NULL))
            s->failed = 1;
    }
}

/* ---- per file: rotation-discontinuity ------------------------------------------------- */

static void file_rotation_event(struct st *s, struct file *f, const struct msl_event *e)
{
    if (!f->events++) {
        f->first_ts = e->ts;
        f->first.ev = e->ev;
        f->first.ts = e->ts;
        f->first.text = s->env->show_lines && e->raw.p ? det_strndup(e->raw.p, e->raw.n)
                                                        : NULL;
        f->first_hash = e->raw.n ? strmap_hash(e->raw.p, e->raw.n) ^ (uint64_t)e->raw.n : 0;
        f->first_qid = e->qid.n > 0;
    }
    f->last_ev = e->ev;
    if (s->env->show_lines) {
        if (e->raw.n + 1 > f->lastcap) {
            char *nb = realloc(f->lastbuf, e->raw.n + 1);
            if (!nb)
                return;
            f->lastbuf = nb;
            f->lastcap = e->raw.n + 1;
        }
        if (e->raw.n)
            memcpy(f->lastbuf, e->raw.p, e->raw.n);
        f->lastlen = e->raw.n;
    }
    if ((unsigned)e->kind < 32)
        f->kinds |= 1u << e->kind;
    if (!f->mta[0] && e->mta.n && e->mta.n < sizeof f->mta &&
        (e->kind == MSL_EV_RECEIVED || e->kind == MSL_EV_DELIVERY ||
         e->kind == MSL_EV_QUEUE_REMOVED)) {
        memcpy(f->mta, e->mta.p, e->mta.n);
        f->mta[e->mta.n] = '\0';
    }
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    const struct msl_detect_env *env = s->env;
    host_event(s, e);
    struct file *f = file_of(s, e->ev.src);
    if (!f || !f->hist || !f->gaps)
        return;
    if (f->events) {
        int64_t d = e->ts - f->last_ts;
        if (d < -env->params[P_BACK] * US_PER_S) {
            det_cite(env, &f->f[C_BACK], e->ts, &e->ev, e->raw);
        } else if (d >= 0) {
            int64_t sec = d / US_PER_S;
            if (sec < HIST)
                f->hist[sec]++;
            else
                f->hist_over++;
            if (sec >= env->params[P_GAPMIN]) {
                f->ngaps_total++;
                if (d > f->max_gap)
                    f->max_gap = d;
                if (f->ngaps < env->max_evidence)
                    f->gaps[f->ngaps++] = (struct gap){f->last_ts, e->ts};
                det_cite(env, &f->f[C_GAP], e->ts, &e->ev, e->raw);
            }
        }
    }
    file_rotation_event(s, f, e);
    f->last_ts = e->ts;
    /* host changes */
    size_t hn = e->host.n < sizeof f->host - 1 ? e->host.n : sizeof f->host - 1;
    if (hn) {
        if (!f->host[0]) {
            memcpy(f->host, e->host.p, hn);
            f->host[hn] = '\0';
            memcpy(f->hosts[0], f->host, hn + 1);
            f->nhosts = 1;
        } else if (strlen(f->host) != hn || memcmp(f->host, e->host.p, hn) != 0) {
            memcpy(f->host, e->host.p, hn);
            f->host[hn] = '\0';
            f->switches++;
            size_t i = 0;
            while (i < f->nhosts && strcmp(f->hosts[i], f->host) != 0)
                i++;
            if (i == f->nhosts && f->nhosts < 3)
                memcpy(f->hosts[f->nhosts++], f->host, hn + 1);
            else if (i == f->nhosts)
                f->nhosts = 4; /* many hosts: a collector, not a change */
            det_cite(env, &f->f[C_HOST], e->ts, &e->ev, e->raw);
        }
    }
    /* duplicates */
    /* a line that names several recipients gives one event each (Sendmail to=a,b; Exim):
     * the later events of the same line are not copies of it */
    if (!(e->flags & (MSL_EVF_REPEATED | MSL_EVF_PER_PASS)) && e->raw.n &&
        !(f->hpos && e->ev.line == f->hline)) {
        f->hline = e->ev.line;
        uint64_t h = strmap_hash(e->raw.p, e->raw.n) ^ (uint64_t)e->raw.n;
        /* identical to the previous line, or, for lines naming a queue id (unique per
         * transaction), to one of the last NHASH lines; "connect from X" lines of one
         * smtpd process legitimately repeat, so those only count when consecutive */
        int dup = f->hpos && f->hash[(f->hpos - 1) % NHASH] == h;
        for (size_t i = 0; i < NHASH && !dup && e->qid.n; i++)
            dup = f->hash[i] == h;
        if (dup)
            det_cite(env, &f->f[C_DUP], e->ts, &e->ev, e->raw);
        f->hash[f->hpos++ % NHASH] = h;
    }
    if ((e->kind == MSL_EV_WARNING || e->kind == MSL_EV_INFO || e->kind == MSL_EV_DAEMON ||
         e->kind == MSL_EV_ERROR) &&
        is_lost_notice(e->raw))
        det_cite(env, &f->f[C_LOST], e->ts, &e->ev, e->raw);
    if (e->flags & MSL_EVF_TRUNCATED)
        det_cite(env, &f->f[C_BIN], e->ts, &e->ev, e->raw);
}

/* ---- lifecycle-holes ------------------------------------------------------------------ */

static void cite_evline(const struct msl_detect_env *env, struct msl_finding *f,
                        const struct msl_evline *l)
{
    struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
    det_cite(env, f, l->ts, &l->ev, raw);
}

static int is_held(const struct msl_message *m)
{
    if (m->final == MSL_ST_HELD)
        return 1;
    for (size_t i = 0; i < m->nactions; i++)
        if (m->actions[i].action == MSL_ACT_HOLD)
            return 1;
    for (size_t i = 0; i < m->nadmin; i++)
        if (m->admin[i].what && strstr(m->admin[i].what, "hold"))
            return 1;
    return 0;
}

/* Delivered without a receipt: bounces, forwarded copies and probes are born that way. */
static int no_receipt_by_design(struct st *s, const struct msl_message *m)
{
    if (m->bounce_of || m->reinjected_from || (m->from && !m->from[0]))
        return 1;
    int probe = 1;
    for (size_t i = 0; i < m->ndeliveries; i++)
        if (m->deliveries[i].status != MSL_ST_DELIVERABLE &&
            m->deliveries[i].status != MSL_ST_UNDELIVERABLE)
            probe = 0;
    if (probe)
        return 1;
    char key[512];
    int n = snprintf(key, sizeof key, "%s\n%s", m->host, m->qid);
    if (n > 0 && (size_t)n < sizeof key && s->forwarded && strmap_del(s->forwarded, key,
                                                                      (size_t)n))
        return 1;
    return 0;
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    const struct msl_detect_env *env = s->env;
    if (!m->host || !m->qid || !m->nlines)
        return;
    struct host *h = s->hosts ? strmap_find(s->hosts, m->host, strlen(m->host)) : NULL;
    if (!h || !h->first_ts || !h->mta_ok || h->mta_other)
        return;
    int64_t grace = env->params[P_GRACE] * US_PER_S;
    if (!m->seen_receipt && m->ndeliveries) {
        if (no_receipt_by_design(s, m))
            return;
        int64_t arrival = m->first_ts;
        if (m->qid_time && m->qid_time < arrival)
            arrival = m->qid_time;
        for (size_t i = 0; i < m->ndeliveries; i++) {
            const struct msl_delivery *d = &m->deliveries[i];
            if (d->delay >= 0 && d->ts - (int64_t)(d->delay * 1e6) < arrival)
                arrival = d->ts - (int64_t)(d->delay * 1e6);
        }
        if (arrival - h->first_ts <= grace)
            return; /* received before the log began */
        struct msl_finding *f = &h->hole[H_NORCPT];
        h->nhole[H_NORCPT]++;
        det_related_message(env, f, m->host, m->qid);
        cite_evline(env, f, &m->lines[0]);
    } else if (m->seen_receipt &&
               (m->end == MSL_END_OPEN_AT_EOF || m->end == MSL_END_IDLE)) {
        if (m->final == MSL_ST_DEFERRED || is_held(m))
            return;
        if (h->last_ts - m->last_ts <= grace)
            return; /* still in progress when the log ends */
        struct msl_finding *f = &h->hole[H_NOREMOVE];
        h->nhole[H_NOREMOVE]++;
        det_related_message(env, f, m->host, m->qid);
        cite_evline(env, f, &m->lines[m->nlines - 1]);
    }
}

static void on_unparsed(void *p, const struct msl_line *ln, const char *why)
{
    (void)why;
    struct st *s = p;
    struct file *f = file_of(s, ln->src);
    if (!f)
        return;
    struct msl_evidence ev = {ln->src, ln->lineno, ln->offset};
    struct msl_str raw = {ln->p, ln->n};
    if (ln->flags & (MSL_LINE_TRUNCATED | MSL_LINE_HAS_NUL))
        det_cite(s->env, &f->f[C_BIN], f->last_ts, &ev, raw);
    else if (is_lost_notice(raw))
        det_cite(s->env, &f->f[C_LOST], f->last_ts, &ev, raw);
}

static int64_t median_gap(const struct file *f)
{
    uint64_t total = f->hist_over;
    for (size_t i = 0; i < HIST; i++)
        total += f->hist[i];
    uint64_t half = (total + 1) / 2, acc = 0;
    for (size_t i = 0; i < HIST; i++) {
        acc += f->hist[i];
        if (acc >= half)
            return (int64_t)i;
    }
    return HIST;
}

static void emit(struct st *s, struct file *fl, int c, enum msl_fsev sev, uint32_t src)
{
    struct msl_finding *f = &fl->f[c];
    static const char *const names[C__N] = {"time-backwards", "gap", "duplicate-lines",
                                            "host-changed", "messages-lost",
                                            "truncated-or-binary"};
    f->rule = "log-integrity";
    f->severity = sev;
    f->entity_type = "file";
    char num[32];
    snprintf(num, sizeof num, "#%u", (unsigned)src);
    f->entity = det_strdup(num); /* the renderer names the file from the evidence */
    f->host = fl->host[0] ? det_strdup(fl->hosts[0]) : NULL;
    det_set_count(f, "lines", (int64_t)f->evidence_total);
    det_title(f, "log integrity: %s", names[c]);
    msl_hunt_emit(s->env->hunt, f);
}

/* Files a and b (b right after a in the run) look like one rotated set. */
static int same_set(const struct file *a, const struct file *b)
{
    const uint32_t tx = 1u << MSL_EV_RECEIVED | 1u << MSL_EV_DELIVERY |
                        1u << MSL_EV_QUEUE_REMOVED;
    return a->hosts[0][0] && !strcmp(a->hosts[0], b->hosts[0]) && (a->kinds & tx) &&
           (b->kinds & tx) && !strcmp(a->mta, b->mta);
}

static void rotation_pair(struct st *s, struct file *a, uint32_t asrc, struct file *b,
                          uint32_t bsrc)
{
    const struct msl_detect_env *env = s->env;
    const int64_t *P = env->params;
    int64_t med = median_gap(a) > median_gap(b) ? median_gap(a) : median_gap(b);
    int64_t need = P[P_GAPF] * (med > 0 ? med : 1);
    if (need < P[P_GAPMIN])
        need = P[P_GAPMIN];
    int64_t d = b->first_ts - a->last_ts; /* us */
    /* b begins with a line of a: its first line, its last, or (a line naming a queue id,
     * unique per transaction) one of its last NHASH lines */
    int rep = b->first_hash && (b->first_hash == a->first_hash ||
                                b->first_hash == a->hash[(a->hpos + NHASH - 1) % NHASH]);
    for (size_t i = 0; i < NHASH && !rep && b->first_hash && b->first_qid; i++)
        rep = a->hash[i] == b->first_hash;
    const char *what = NULL;
    if (rep)
        what = "repeated lines";
    else if (d >= need * US_PER_S)
        what = "gap";
    else if (-d > P[P_OVERLAP] * US_PER_S)
        what = b->last_ts <= a->first_ts + P[P_OVERLAP] * US_PER_S ? "out of order" : "overlap";
    if (!what)
        return;
    struct msl_finding f = {0};
    struct msl_str araw = {a->lastbuf, a->lastbuf ? a->lastlen : 0};
    det_cite(env, &f, a->last_ts, &a->last_ev, araw);
    det_cite_fe(env, &f, &b->first);
    f.rule = "log-integrity";
    f.severity = env->severity;
    f.entity_type = "file";
    char num[32];
    snprintf(num, sizeof num, "#%u", (unsigned)bsrc);
    f.entity = det_strdup(num);
    f.host = det_strdup(b->hosts[0]);
    det_title(&f, "log integrity: rotation-discontinuity (%s)", what);
    if (rep) {
        det_set_count(&f, "overlap_s", d < 0 ? -d / US_PER_S : 0);
        det_explain(&f, "Input #%u (host %s) begins with a line that input #%u, read just "
                    "before it, already holds.  Rotation moves lines, it does not copy them: "
                    "a rotated file was copied twice, or copytruncate duplicated lines.",
                    (unsigned)bsrc, b->hosts[0], (unsigned)asrc);
    } else if (d >= 0) {
        det_set_count(&f, "gap_s", d / US_PER_S);
        det_set_count(&f, "median_spacing_s", med);
        det_explain(&f, "Input #%u (host %s) starts %lld s after the previous input #%u of "
                    "the same host and MTA ended, and the gap threshold is %lld s.  Consecutive "
                    "files of a rotated set continue each other: a file of the set is missing, "
                    "or lines at the end of one or the start of the other were removed.",
                    (unsigned)bsrc, b->hosts[0], (long long)(d / US_PER_S), (unsigned)asrc,
                    (long long)need);
    } else {
        det_set_count(&f, "overlap_s", -d / US_PER_S);
        det_explain(&f, "Input #%u (host %s) starts %lld s before the previous input #%u of "
                    "the same host and MTA ended (%s).  Rotated files read oldest first "
                    "follow each other in time: a file named out of its order, a rotation "
                    "copied twice, or two logs of one host given together (mail.log and "
                    "mail.info carry the same lines).",
                    (unsigned)bsrc, b->hosts[0], (long long)(-d / US_PER_S), (unsigned)asrc,
                    what);
    }
    msl_hunt_emit(env->hunt, &f);
}

/* ---- finish --------------------------------------------------------------------------- */

static int cmp_fev(const void *a, const void *b)
{
    const struct msl_fevidence *x = a, *y = b;
    if (x->ev.src != y->ev.src)
        return x->ev.src < y->ev.src ? -1 : 1;
    return x->ev.line < y->ev.line ? -1 : x->ev.line > y->ev.line;
}

/* Host findings: the entity is the host; evidence in input order. */
static void emit_hostf(struct st *s, struct msl_finding *f, const char *name)
{
    f->rule = "log-integrity";
    f->severity = s->env->severity;
    f->entity_type = "host";
    f->entity = det_strdup(name);
    if (f->nevidence > 1)
        qsort(f->evidence, f->nevidence, sizeof *f->evidence, cmp_fev);
    msl_hunt_emit(s->env->hunt, f);
}

static void emit_host(struct st *s, const char *name, struct host *h)
{
    const struct msl_detect_env *env = s->env;
    if (h->vol_state == 1)
        vol_judge(s, h, h->last_hour);
    if (h->vol_runs) {
        struct msl_finding *f = &h->vol;
        char when[64];
        fmt_hour(when, sizeof when, h->vol_ex_hour);
        det_title(f, "log integrity: volume-drop");
        det_set_count(f, "runs", (int64_t)h->vol_runs);
        det_set_count(f, "hours", (int64_t)h->vol_hours);
        det_set_count(f, "median_per_hour", h->vol_median);
        det_set_count(f, "first_drop_events", h->vol_ex_n);
        det_explain(f, "%llu time%s the volume of %s fell below %lld%% of its median hour "
                    "(%lld events) for at most %lld hour%s while the hours around were busy: "
                    "%lld hour%s from %s UTC logged %lld event%s, between hours of %lld and "
                    "%lld.  Mail does not stop for an hour and resume; lines of that hour were "
                    "deleted, or the logging was interrupted.",
                    (unsigned long long)h->vol_runs, h->vol_runs == 1 ? "" : "s", name,
                    (long long)env->params[P_DROP], (long long)h->vol_median,
                    (long long)env->params[P_DROPH], env->params[P_DROPH] == 1 ? "" : "s",
                    (long long)h->vol_ex_len, h->vol_ex_len == 1 ? "" : "s", when,
                    (long long)h->vol_ex_n, h->vol_ex_n == 1 ? "" : "s",
                    (long long)h->vol_ex_before, (long long)h->vol_ex_after);
        emit_hostf(s, f, name);
    }
    static const char *const titles[2] = {"delivery with no receipt", "receipt with no removal"};
    for (int k = 0; k < 2; k++) {
        if (!h->nhole[k])
            continue;
        struct msl_finding *f = &h->hole[k];
        det_title(f, "log integrity: lifecycle-holes (%s)", titles[k]);
        det_set_count(f, "messages", (int64_t)h->nhole[k]);
        if (k == H_NORCPT)
            det_explain(f, "%llu message%s on %s %s delivered although the logs never show "
                        "%s received (no client=/uid= or arrival line), and %s arrived more "
                        "than %lld s after the host's first line (judged from the delay= of "
                        "each delivery and the queue id's time), so the receipt should be in "
                        "the logs.  Lines were removed.  Examples: the related messages.",
                        (unsigned long long)h->nhole[k], h->nhole[k] == 1 ? "" : "s", name,
                        h->nhole[k] == 1 ? "was" : "were", h->nhole[k] == 1 ? "it" : "them",
                        h->nhole[k] == 1 ? "it" : "they", (long long)env->params[P_GRACE]);
        else
            det_explain(f, "%llu message%s on %s %s received but never removed from the queue, "
                        "although the log goes on for more than %lld s after %s last line and "
                        "no deferral or hold explains it.  The lines of %s deliveries and "
                        "removal are missing.  Examples: the related messages.",
                        (unsigned long long)h->nhole[k], h->nhole[k] == 1 ? "" : "s", name,
                        h->nhole[k] == 1 ? "was" : "were", (long long)env->params[P_GRACE],
                        h->nhole[k] == 1 ? "its" : "their", h->nhole[k] == 1 ? "its" : "their");
        emit_hostf(s, f, name);
    }
}

static void finish(void *p)
{
    struct st *s = p;
    const struct msl_detect_env *env = s->env;
    for (size_t i = 0; i < s->nfiles; i++) {
        struct file *fl = &s->files[i];
        if (!fl->used)
            continue;
        uint32_t src = (uint32_t)i;
        if (fl->f[C_BACK].evidence_total) {
            det_explain(&fl->f[C_BACK], "%llu times the time stamp went back by more than "
                        "%lld s from one line to the next.  Syslog writes lines as they "
                        "come, so time should only move forward: lines were inserted, "
                        "files were concatenated out of order, or the clock was set back.",
                        (unsigned long long)fl->f[C_BACK].evidence_total,
                        (long long)env->params[P_BACK]);
            emit(s, fl, C_BACK, env->severity, src);
        }
        int64_t med = median_gap(fl);
        int64_t need = env->params[P_GAPF] * (med > 0 ? med : 1);
        if (need < env->params[P_GAPMIN])
            need = env->params[P_GAPMIN];
        if (fl->ngaps_total && fl->max_gap / US_PER_S >= need) {
            struct msl_finding *f = &fl->f[C_GAP];
            det_set_count(f, "gaps", (int64_t)fl->ngaps_total);
            det_set_count(f, "longest_gap_s", fl->max_gap / US_PER_S);
            det_set_count(f, "median_spacing_s", med);
            det_explain(f, "%llu silence%s of at least %lld s (the longest %lld s) in a file "
                        "whose median spacing between lines is %lld s.  A mail server that "
                        "normally logs every few seconds and then says nothing for that long "
                        "was down, lost its logging, or the lines were removed.",
                        (unsigned long long)fl->ngaps_total, fl->ngaps_total == 1 ? "" : "s",
                        (long long)need, (long long)(fl->max_gap / US_PER_S), (long long)med);
            emit(s, fl, C_GAP, env->severity, src);
        }
        if (fl->f[C_DUP].evidence_total) {
            det_explain(&fl->f[C_DUP], "%llu lines are exact copies of one of the 64 lines "
                        "before them.  Syslog does not repeat lines (it writes 'message "
                        "repeated N times'); copies come from double forwarding, a replayed "
                        "buffer or manual editing.",
                        (unsigned long long)fl->f[C_DUP].evidence_total);
            emit(s, fl, C_DUP, MSL_FSEV_LOW, src);
        }
        if (fl->switches && fl->nhosts <= 3 && fl->switches <= 4) {
            det_explain(&fl->f[C_HOST], "The host name in the lines changed %zu time%s "
                        "within the file (%s%s%s%s%s).  A server renamed mid-file, or lines of "
                        "another machine spliced in, both matter for attribution.",
                        fl->switches, fl->switches == 1 ? "" : "s", fl->hosts[0],
                        fl->nhosts > 1 ? ", " : "", fl->nhosts > 1 ? fl->hosts[1] : "",
                        fl->nhosts > 2 ? ", " : "", fl->nhosts > 2 ? fl->hosts[2] : "");
            emit(s, fl, C_HOST, env->severity, src);
        }
        if (fl->f[C_LOST].evidence_total) {
            det_explain(&fl->f[C_LOST], "The logging system itself reported %llu time%s that "
                        "it lost, dropped or suppressed messages (rate limiting or a full "
                        "buffer).  Whatever happened then is missing from this file.",
                        (unsigned long long)fl->f[C_LOST].evidence_total,
                        fl->f[C_LOST].evidence_total == 1 ? "" : "s");
            emit(s, fl, C_LOST, env->severity, src);
        }
        if (fl->f[C_BIN].evidence_total) {
            det_explain(&fl->f[C_BIN], "%llu lines were cut at the line limit or contain NUL "
                        "bytes.  NUL runs appear where a file was truncated or preallocated "
                        "after a crash; both mean missing or damaged content.",
                        (unsigned long long)fl->f[C_BIN].evidence_total);
            emit(s, fl, C_BIN, MSL_FSEV_LOW, src);
        }
    }
    /* consecutive inputs with events */
    size_t prev = (size_t)-1;
    for (size_t i = 0; i < s->nfiles; i++) {
        if (!s->files[i].used || !s->files[i].events)
            continue;
        if (prev != (size_t)-1 && same_set(&s->files[prev], &s->files[i]))
            rotation_pair(s, &s->files[prev], (uint32_t)prev, &s->files[i], (uint32_t)i);
        prev = i;
    }
    size_t n = 0;
    const struct strmap_entry **hs = s->hosts ? strmap_sorted(s->hosts, NULL, &n) : NULL;
    for (size_t i = 0; i < n; i++)
        emit_host(s, hs[i]->key, hs[i]->val);
    free(hs);
    if (s->hosts_dropped)
        msl_hunt_note(env->hunt, "log-integrity: more than %zu hosts; %llu events of further "
                      "hosts were not judged per host", env->max_keys,
                      (unsigned long long)s->hosts_dropped);
    if (s->vol_dropped)
        msl_hunt_note(env->hunt, "log-integrity: hourly volume is kept for %d hosts; %llu "
                      "further hosts were not judged for volume drops", VOL_HOSTS,
                      (unsigned long long)s->vol_dropped);
    if (s->failed)
        msl_hunt_note(env->hunt, "log-integrity: out of memory; some checks are incomplete");
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->hosts = strmap_new(sizeof(struct host));
    s->forwarded = strmap_new(1);
    if (!s->hosts || !s->forwarded) {
        strmap_free(s->hosts);
        strmap_free(s->forwarded);
        free(s);
        return NULL;
    }
    return s;
}

static void free_host(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    struct host *h = e->val;
    free(h->hr);
    det_finding_clear(&h->vol);
    det_finding_clear(&h->hole[0]);
    det_finding_clear(&h->hole[1]);
}

static void free_st(void *p)
{
    struct st *s = p;
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].hist);
        free(s->files[i].gaps);
        free(s->files[i].first.text);
        free(s->files[i].lastbuf);
        for (int c = 0; c < C__N; c++)
            det_finding_clear(&s->files[i].f[c]);
    }
    free(s->files);
    strmap_each(s->hosts, free_host, NULL);
    strmap_free(s->hosts);
    strmap_free(s->forwarded);
    free(s);
}

const struct msl_detector msl_det_log_integrity = {
    .id = "log-integrity",
    .severity = MSL_FSEV_MEDIUM,
    .description = "time going backwards, long gaps, duplicate lines, host name changes, "
                   "lost-message notices, truncated or binary lines, hourly volume drops, "
                   "message lifecycle holes, discontinuities between rotated files",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .on_unparsed = on_unparsed,
    .finish = finish,
    .free = free_st,
};
