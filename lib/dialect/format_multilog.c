/*
 * format_multilog.c - daemontools multilog files ("qmail-multilog"): each line is
 * "@<24 hex TAI64N label> <message>", written by multilog's 't' action for qmail-send
 * (./log/main/current) and for the SMTP service's tcpserver / rblsmtpd / qmail-smtpd.
 *
 * Stamps: the first 16 hex digits are the TAI64 label 2^62 + 10 + unix seconds, the last 8
 * the nanoseconds.  The "+ 10" is daemontools' own convention (tai.h: a TAI label is unix
 * time + 10), not the leap-second count: tai64nlocal subtracts exactly 2^62 + 10, and so do
 * we, so stamps match what tai64nlocal prints (in UTC).  Stamps are exact and UTC: no zone
 * or year guess.  A nanosecond field >= 10^9 (multilog never writes one) is clamped to
 * .999999999 rather than rejected.
 *
 * Messages: "tcpserver: ...", "rblsmtpd: ...", "qmail-smtpd: ..." and bare qmail-send lines
 * ("new msg 53") go to the qmail dialect (program = the prefix, or "qmail-send"); other
 * "tag: ..." / "tag[pid]: ..." messages go to the dialect claiming the tag (Dovecot and
 * others are run under multilog too).  Lines without a label are reported, not guessed.
 *
 * State: the qmail-send "starting delivery D: msg N to local|remote A" lines fill a bounded,
 * direct-mapped table (slot = D mod 1024) so the later "delivery D: ..." result gets qid N,
 * to A and relay_host local|remote.  D is qmail-send's delivery counter: deliveries in
 * flight at one time are bounded by the concurrency limits, far below 1024; a restart
 * (counter back to 1) just overwrites slots.  A result whose slot holds another D keeps
 * qid empty (detail = D, as in syslog-wrapped logs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"

#define ML_SLOTS 1024
#define ML_QID 24
#define ML_TO 256
#define TAI_UNIX_OFFSET 4611686018427387914ull /* 2^62 + 10 */

struct ml_slot {
    uint64_t d; /* 0 = free (qmail counts deliveries from 1) */
    uint8_t qn;
    uint8_t remote;
    uint16_t tn;
    char qid[ML_QID];
    char to[ML_TO];
};

struct ml_state {
    const struct msl_dialect *forced;
    char why[96];
    struct ml_slot slots[ML_SLOTS];
};

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "@4000000068a1b2c3d4e5f607" -> UTC us; 0 when not a valid label. */
static int tai64n(const char *p, size_t n, int64_t *us)
{
    if (n < 25 || p[0] != '@')
        return 0;
    uint64_t s = 0, ns = 0;
    for (int i = 1; i <= 24; i++) {
        int v = hexv(p[i]);
        if (v < 0)
            return 0;
        if (i <= 16)
            s = s << 4 | (uint64_t)v;
        else
            ns = ns << 4 | (uint64_t)v;
    }
    /* labels before 1970 or after year ~292000 are not log stamps */
    if (s < TAI_UNIX_OFFSET || s - TAI_UNIX_OFFSET > (uint64_t)INT64_MAX / 1000000 - 1)
        return 0;
    if (ns > 999999999u) /* never written by multilog; clamped, not rejected */
        ns = 999999999u;
    *us = (int64_t)(s - TAI_UNIX_OFFSET) * 1000000 + (int64_t)(ns / 1000);
    return 1;
}

static int ml_detect(const struct msl_str *lines, size_t n)
{
    size_t ok = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t us;
        if (lines[i].n == 0)
            continue;
        seen++;
        ok += tai64n(lines[i].p, lines[i].n, &us) && (lines[i].n == 25 || lines[i].p[25] == ' ');
    }
    if (!ok)
        return 0;
    return 1 + (int)(ok * 98 / seen);
}

static void *ml_open(const struct msl_format_src *src)
{
    struct ml_state *st = calloc(1, sizeof *st);
    if (st && src && src->dialect)
        st->forced = msl_dialect_by_name(src->dialect);
    return st;
}

static void ml_close(void *st)
{
    free(st);
}

static int is_digits(struct msl_str s, uint64_t *v)
{
    if (s.n == 0 || s.n > 18)
        return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return 0;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    *v = x;
    return 1;
}

/* "starting delivery" INFO -> remember; "delivery D:" result -> fill qid/to. */
static void link_delivery(struct ml_state *st, struct msl_event *e)
{
    uint64_t d;
    if (!is_digits(e->detail, &d) || d == 0)
        return;
    struct ml_slot *s = &st->slots[d % ML_SLOTS];
    if (e->kind == MSL_EV_INFO && e->qid.n && e->text.n == 17 &&
        memcmp(e->text.p, "starting delivery", 17) == 0) {
        if (e->qid.n > ML_QID || e->to.n > ML_TO) {
            s->d = 0;
            return;
        }
        s->d = d;
        s->qn = (uint8_t)e->qid.n;
        memcpy(s->qid, e->qid.p, e->qid.n);
        s->tn = (uint16_t)e->to.n;
        if (e->to.n)
            memcpy(s->to, e->to.p, e->to.n);
        s->remote = e->relay_host.n == 6;
        return;
    }
    if (e->kind == MSL_EV_DELIVERY && !e->qid.n && s->d == d) {
        e->qid = (struct msl_str){s->qid, s->qn};
        e->to = (struct msl_str){s->to, s->tn};
        e->relay_host = s->remote ? MSL_STR_LIT("remote") : MSL_STR_LIT("local");
        if (!s->remote)
            e->flags |= MSL_EVF_LOCAL;
        s->d = 0; /* a deferral is retried under a new delivery id */
    }
}

/* "tag: " or "tag[pid]: " at the start of the message; tag = [A-Za-z0-9_./-]+ */
static int msg_tag(struct msl_str m, struct msl_str *tag, int64_t *pid, struct msl_str *rest)
{
    const char *p = m.p, *end = m.p + m.n, *t = p;
    while (p < end && p - t < 64 &&
           ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '/'))
        p++;
    if (p == t || p >= end)
        return 0;
    *tag = (struct msl_str){t, (size_t)(p - t)};
    *pid = -1;
    if (*p == '[') {
        int64_t v = 0;
        const char *q = ++p;
        while (p < end && *p >= '0' && *p <= '9' && p - q < 18)
            v = v * 10 + (*p++ - '0');
        if (p == q || p >= end || *p != ']')
            return 0;
        *pid = v;
        p++;
    }
    if (end - p < 2 || p[0] != ':' || p[1] != ' ')
        return 0;
    *rest = (struct msl_str){p + 2, (size_t)(end - p - 2)};
    return 1;
}

static int ml_line(void *p, const struct msl_line *ln, const struct msl_emitter *em,
                   const char **why)
{
    struct ml_state *st = p;
    *why = NULL;
    int64_t ts;
    if (ln->n == 0) {
        *why = "empty line";
        return 0;
    }
    if (!tai64n(ln->p, ln->n, &ts) || (ln->n > 25 && ln->p[25] != ' ')) {
        *why = "qmail-multilog: no TAI64N label";
        return 0;
    }
    struct msl_envelope env = {0};
    env.ts = ts;
    env.pid = -1;
    env.msg = ln->n > 26 ? (struct msl_str){ln->p + 26, ln->n - 26}
                         : (struct msl_str){ln->p + ln->n, 0};
    env.program = MSL_STR_LIT("qmail-send");
    const struct msl_dialect *d = st->forced ? st->forced : &msl_dialect_qmail;
    struct msl_str tag, rest;
    int64_t pid;
    int tagged = !st->forced && env.msg.n && msg_tag(env.msg, &tag, &pid, &rest);
    if (tagged) {
        const struct msl_dialect *o = msl_dialect_for_program(tag);
        if (o == &msl_dialect_qmail || (tag.n == 6 && memcmp(tag.p, "status", 6) == 0) ||
            (tag.n == 7 && memcmp(tag.p, "warning", 7) == 0) ||
            (tag.n == 5 && memcmp(tag.p, "alert", 5) == 0))
            tagged = 0; /* qmail-send's own words */
        if (o && o != &msl_dialect_qmail) {
            d = o;
            env.program = tag;
            env.pid = pid;
            env.msg = rest;
        }
    }
    struct msl_event e;
    msl_event_clear(&e);
    e.ts = env.ts;
    e.pid = env.pid;
    e.program = env.program;
    e.mta = (struct msl_str){d->mta, strlen(d->mta)};
    e.mta_caps = d->caps;
    if (!d->parse(&env, &e, why)) {
        if (tagged && d == &msl_dialect_qmail) {
            snprintf(st->why, sizeof st->why, "no dialect for program \"%.*s\"",
                     (int)(tag.n > 48 ? 48 : tag.n), tag.p);
            *why = st->why;
        } else if (!*why) {
            *why = "not understood";
        }
        return 0;
    }
    if (d == &msl_dialect_qmail) {
        if (e.daemon.n && e.daemon.p >= ln->p && e.daemon.p < ln->p + ln->n)
            e.program = e.daemon; /* "tcpserver" from the message */
        link_delivery(st, &e);
    }
    return em->emit(em->ctx, &e) ? -1 : 1;
}

const struct msl_format msl_format_qmail_multilog = {
    .name = "qmail-multilog",
    .description = "daemontools multilog files with TAI64N labels (qmail-send, tcpserver, "
                   "rblsmtpd; other tagged lines go to their dialect)",
    .detect = ml_detect,
    .open = ml_open,
    .close = ml_close,
    .line = ml_line,
};
