/*
 * t_detect.c - hunt engine unit tests: rules configuration (defaults, units, errors with
 * file:line), the "k hits within a window" incidents (fire, do not fire when spread out,
 * split by a quiet gap), evidence caps, key eviction by log time, success after
 * failures in input order, and log-integrity's volume drops, lifecycle holes and rotated
 * file discontinuities.  Events and messages are built by hand with the fields the rules
 * read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/dialect.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"

#define MIN (60 * US_PER_S)

static struct msl_event ev(enum msl_kind k, int64_t ts, const char *ip, const char *user,
                           uint64_t line)
{
    struct msl_event e;
    msl_event_clear(&e);
    e.kind = k;
    e.ts = ts;
    e.ev.line = line;
    e.host = MSL_STR_LIT("mx1");
    e.client_ip = (struct msl_str){ip, strlen(ip)};
    if (user)
        e.sasl_user = (struct msl_str){user, strlen(user)};
    return e;
}

/* A hunt with only `rule` enabled (plus extra "rule.key=value" settings). */
static struct msl_hunt *hunt_only(const char *rule, const char *const *kv, size_t nkv,
                                  size_t max_keys)
{
    struct msl_rules *r = msl_rules_new();
    size_t n;
    const struct msl_detector *const *d = msl_detectors(&n);
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i]->id, rule) != 0)
            msl_rules_set(r, d[i]->id, "enabled", "false", err, sizeof err);
    for (size_t i = 0; i + 1 < nkv; i += 2)
        CHECK(msl_rules_set(r, rule, kv[i], kv[i + 1], err, sizeof err) == MSL_OK);
    struct msl_hunt_opts o = {.max_keys = max_keys};
    struct msl_hunt *h = msl_hunt_new(&o, r);
    msl_rules_free(r);
    return h;
}

static void t_rules_defaults_and_units(void)
{
    struct msl_rules *r = msl_rules_new();
    char err[512];
    CHECK_INT(msl_rules_get(r, "auth-bruteforce", "threshold"), 5);
    CHECK_INT(msl_rules_get(r, "auth-bruteforce", "window"), 600);
    CHECK_INT(msl_rules_get(r, "relay-attempt", "window"), 3600);
    CHECK(msl_rules_set(r, "auth-bruteforce", "window", "2h", err, sizeof err) == MSL_OK);
    CHECK_INT(msl_rules_get(r, "auth-bruteforce", "window"), 7200);
    CHECK(msl_rules_set(r, "auth-bruteforce", "window", "90s", err, sizeof err) == MSL_OK);
    CHECK_INT(msl_rules_get(r, "auth-bruteforce", "window"), 90);
    CHECK(msl_rules_set(r, "account-burst", "bounce_pct", "45%", err, sizeof err) == MSL_OK);
    CHECK_INT(msl_rules_get(r, "account-burst", "bounce_pct"), 45);
    CHECK(msl_rules_set(r, "account-burst", "bounce_pct", "101", err, sizeof err) != MSL_OK);
    CHECK(msl_rules_set(r, "auth-bruteforce", "threshold", "5x", err, sizeof err) != MSL_OK);
    CHECK(strstr(err, "auth-bruteforce.threshold wants a number") != NULL);
    CHECK(msl_rules_set(r, "auth-bruteforce", "threshold", "-1", err, sizeof err) != MSL_OK);
    CHECK(msl_rules_enabled(r, "plaintext-auth"));
    CHECK(msl_rules_set(r, "plaintext-auth", "enabled", "off", err, sizeof err) == MSL_OK);
    CHECK(!msl_rules_enabled(r, "plaintext-auth"));
    CHECK(msl_rules_set(r, "plaintext-auth", "enabled", "maybe", err, sizeof err) != MSL_OK);
    CHECK(msl_rules_set(r, "open-relay", "severity", "HIGH", err, sizeof err) == MSL_OK);
    CHECK(msl_rules_set(r, "open-relay", "severity", "urgent", err, sizeof err) != MSL_OK);
    CHECK(msl_rules_set(r, "nope", "enabled", "true", err, sizeof err) != MSL_OK);
    CHECK(strstr(err, "unknown rule 'nope'") != NULL);
    msl_rules_free(r);
}

static void t_rules_file_errors(void)
{
    char path[] = "/tmp/t_detect_rulesXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\n\n  auth-spray.users = 7   # trailing comment\n"
          "auth-spray.window=\n", f);
    fclose(f);
    struct msl_rules *r = msl_rules_new();
    char err[1024] = "";
    CHECK(msl_rules_load(r, path, err, sizeof err) == MSL_EUSAGE);
    CHECK_INT(msl_rules_get(r, "auth-spray", "users"), 7);
    char want[512];
    snprintf(want, sizeof want, "%s:4: auth-spray.window has no value", path);
    CHECK_STR(err, want);
    f = fopen(path, "w");
    fputs("auth-spray users 3\n", f);
    fclose(f);
    CHECK(msl_rules_load(r, path, err, sizeof err) == MSL_EUSAGE);
    snprintf(want, sizeof want, "%s:1: expected", path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    remove(path);
    CHECK(msl_rules_load(r, path, err, sizeof err) == MSL_EINPUT);
    msl_rules_free(r);
}

static size_t count_rule(struct msl_hunt *h, const char *rule)
{
    size_t n, c = 0;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    for (size_t i = 0; i < n; i++)
        c += !strcmp(f[i].rule, rule);
    return c;
}

static void t_window_fires_and_caps_evidence(void)
{
    struct msl_hunt *h = hunt_only("auth-bruteforce", NULL, 0, 0);
    for (int i = 0; i < 20; i++) {
        struct msl_event e = ev(MSL_EV_AUTH_FAIL, 1000 * US_PER_S + i * 10 * US_PER_S,
                                "192.0.2.7", i % 2 ? "a" : "b", (uint64_t)i + 1);
        msl_hunt_event(h, &e);
    }
    msl_hunt_finish(h);
    size_t n;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(f[0].entity, "192.0.2.7");
        CHECK_INT(f[0].severity, MSL_FSEV_HIGH);
        CHECK_INT(f[0].evidence_total, 20);
        CHECK_INT(f[0].nevidence, 10);
        CHECK_INT(f[0].evidence[0].ev.line, 1);
        CHECK_INT(f[0].counts[1].value, 2); /* users */
        CHECK_INT(f[0].first_ts, 1000 * US_PER_S);
    }
    msl_hunt_free(h);
}

static void t_window_spread_out_does_not_fire(void)
{
    struct msl_hunt *h = hunt_only("auth-bruteforce", NULL, 0, 0);
    for (int i = 0; i < 12; i++) { /* one every 3 minutes: never 5 within 10 minutes */
        struct msl_event e = ev(MSL_EV_AUTH_FAIL, i * 3 * MIN, "192.0.2.8", NULL, 1);
        msl_hunt_event(h, &e);
    }
    msl_hunt_finish(h);
    CHECK_INT(count_rule(h, "auth-bruteforce"), 0);
    msl_hunt_free(h);
}

static void t_window_split_by_gap(void)
{
    struct msl_hunt *h = hunt_only("auth-bruteforce", NULL, 0, 0);
    for (int burst = 0; burst < 2; burst++)
        for (int i = 0; i < 5; i++) {
            struct msl_event e = ev(MSL_EV_AUTH_FAIL, burst * 60 * MIN + i * US_PER_S,
                                    "192.0.2.9", NULL, 1);
            msl_hunt_event(h, &e);
        }
    msl_hunt_finish(h);
    CHECK_INT(count_rule(h, "auth-bruteforce"), 2);
    msl_hunt_free(h);
}

static void t_eviction_by_log_time(void)
{
    /* two keys at most: a third IP is dropped while the two are live, accepted once they
     * are older than the window */
    struct msl_hunt *h = hunt_only("auth-bruteforce", NULL, 0, 2);
    const char *ips[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3"};
    for (int k = 0; k < 3; k++) {
        struct msl_event e = ev(MSL_EV_AUTH_FAIL, k * US_PER_S, ips[k], NULL, 1);
        msl_hunt_event(h, &e);
    }
    for (int i = 0; i < 5; i++) { /* 30 minutes later: the old keys are stale */
        struct msl_event e = ev(MSL_EV_AUTH_FAIL, 30 * MIN + i, ips[2], NULL, 1);
        msl_hunt_event(h, &e);
    }
    msl_hunt_finish(h);
    size_t n;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(f[0].entity, "198.51.100.3");
    msl_hunt_free(h);
}

static void t_success_after_failures_order(void)
{
    static const char *const kv[] = {"threshold", "2"};
    struct msl_hunt *h = hunt_only("auth-success-after-failures", kv, 2, 0);
    /* success first, then failures: nothing */
    struct msl_event e = ev(MSL_EV_AUTH_OK, 1 * US_PER_S, "203.0.113.5", "carol", 1);
    msl_hunt_event(h, &e);
    for (int i = 0; i < 2; i++) {
        e = ev(MSL_EV_AUTH_FAIL, (2 + i) * US_PER_S, "203.0.113.5", "carol", 2 + (uint64_t)i);
        msl_hunt_event(h, &e);
    }
    CHECK_INT(count_rule(h, "auth-success-after-failures"), 0);
    /* a success more than the window later: failures too old */
    e = ev(MSL_EV_AUTH_OK, 2 * 3600 * US_PER_S, "203.0.113.5", "carol", 9);
    msl_hunt_event(h, &e);
    CHECK_INT(count_rule(h, "auth-success-after-failures"), 0);
    /* two fresh failures, then a success: fires once, user marked */
    for (int i = 0; i < 2; i++) {
        e = ev(MSL_EV_AUTH_FAIL, 3 * 3600 * US_PER_S + i, "203.0.113.5", "carol", 10);
        msl_hunt_event(h, &e);
    }
    e = ev(MSL_EV_AUTH_OK, 3 * 3600 * US_PER_S + 5, "203.0.113.5", "carol", 12);
    msl_hunt_event(h, &e);
    msl_hunt_event(h, &e); /* a second message of the same session: not reported again */
    msl_hunt_finish(h);
    CHECK_INT(count_rule(h, "auth-success-after-failures"), 1);
    CHECK(msl_hunt_user_marked(h, "carol"));
    msl_hunt_free(h);
}

static void t_ring(void)
{
    struct msl_detect_env env = {.max_evidence = 10};
    struct det_ring r;
    CHECK(det_ring_init(&r, 3) == MSL_OK);
    struct msl_evidence e = {0, 1, 0};
    for (int i = 0; i < 5; i++) {
        e.line = (uint64_t)i + 1;
        det_ring_push(&env, &r, i * US_PER_S, &e, MSL_STR_NULL);
    }
    CHECK_INT(r.n, 3);
    CHECK_INT(det_ring_at(&r, 0)->ev.line, 3);
    CHECK_INT(det_ring_at(&r, 2)->ev.line, 5);
    CHECK(det_ring_full_within(&r, 2 * US_PER_S));
    CHECK(!det_ring_full_within(&r, US_PER_S));
    det_ring_free(&r);
}

/* ---- log-integrity: volume-drop, lifecycle-holes, rotation-discontinuity ------------ */

#define HOUR (3600 * US_PER_S)
#define T0 (1700000000LL / 3600 * 3600 * US_PER_S) /* a whole hour */

/* An event of host on source src at ts (line numbers count per call site). */
static struct msl_event hev(const char *host, uint32_t src, int64_t ts, uint64_t line,
                            enum msl_kind k)
{
    struct msl_event e;
    msl_event_clear(&e);
    e.kind = k;
    e.ts = ts;
    e.ev.src = src;
    e.ev.line = line;
    e.host = (struct msl_str){host, strlen(host)};
    e.mta = MSL_STR_LIT("postfix");
    e.mta_caps = msl_dialect_postfix.caps;
    e.qid = MSL_STR_LIT("ABC123");
    return e;
}

/* The log-integrity findings whose title contains what. */
static size_t count_title(struct msl_hunt *h, const char *what, const struct msl_finding **one)
{
    size_t n, c = 0;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].rule, "log-integrity") && f[i].title && strstr(f[i].title, what)) {
            c++;
            if (one)
                *one = &f[i];
        }
    return c;
}

static int64_t fcount(const struct msl_finding *f, const char *name)
{
    for (size_t i = 0; f && i < f->ncounts; i++)
        if (!strcmp(f->counts[i].name, name))
            return f->counts[i].value;
    return -1;
}

/* per_hour[i] events spread evenly over hour i (1..60 per minute) */
static void feed_hours(struct msl_hunt *h, const char *host, const int *per_hour, size_t n)
{
    uint64_t line = 1;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < per_hour[i]; k++) {
            int64_t ts = T0 + (int64_t)i * HOUR + (int64_t)k * HOUR / per_hour[i];
            struct msl_event e = hev(host, 0, ts, line++, MSL_EV_INFO);
            msl_hunt_event(h, &e);
        }
}

static void t_integrity_volume_drop(void)
{
    /* 8 hours of 200/h, hour 4 has 10 (5% of the median): one drop of one hour */
    int v[] = {200, 200, 200, 200, 10, 200, 200, 200};
    struct msl_hunt *h = hunt_only("log-integrity", NULL, 0, 0);
    feed_hours(h, "mx1", v, 8);
    msl_hunt_finish(h);
    const struct msl_finding *f = NULL;
    CHECK_INT(count_title(h, "volume-drop", &f), 1);
    CHECK_INT(fcount(f, "hours"), 1);
    CHECK_INT(fcount(f, "first_drop_events"), 10);
    CHECK_INT(fcount(f, "median_per_hour"), 200);
    if (f) {
        CHECK_STR(f->entity, "mx1");
        CHECK(f->first_ts >= T0 + 3 * HOUR && f->last_ts < T0 + 6 * HOUR);
    }
    msl_hunt_free(h);
    /* 30 (15%) is not below 10% */
    int w[] = {200, 200, 200, 200, 30, 200, 200, 200};
    h = hunt_only("log-integrity", NULL, 0, 0);
    feed_hours(h, "mx1", w, 8);
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "volume-drop", NULL), 0);
    msl_hunt_free(h);
    /* a drop in the first or last (partial) hour, or after an hour that is not busy (150 <
     * 50% of the median 400), is no finding; a long lull (5 hours > drop_hours 3) neither */
    int x[] = {5, 400, 400, 400, 400, 150, 5, 400, 400, 400, 1, 1, 1, 1, 1, 400, 400, 400, 3};
    h = hunt_only("log-integrity", NULL, 0, 0);
    feed_hours(h, "mx1", x, 19);
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "volume-drop", NULL), 0);
    msl_hunt_free(h);
    /* ...unless drop_hours allows it; an idle host (median < min_hourly) is not judged */
    static const char *const kv[] = {"drop_hours", "5"};
    h = hunt_only("log-integrity", kv, 2, 0);
    feed_hours(h, "mx1", x, 19);
    int idle[] = {20, 20, 20, 0, 20, 20, 20};
    feed_hours(h, "idle", idle, 7);
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "volume-drop", &f), 1);
    CHECK_INT(fcount(f, "hours"), 5);
    msl_hunt_free(h);
}

static void t_integrity_volume_window_slides(void)
{
    /* 70 days at 100/h (more than the 60-day window), one empty hour on day 65: found,
     * judged after the window slid; memory stays at the window */
    struct msl_hunt *h = hunt_only("log-integrity", NULL, 0, 0);
    uint64_t line = 1;
    for (int64_t hr = 0; hr < 70 * 24; hr++) {
        if (hr == 65 * 24 + 5)
            continue;
        for (int k = 0; k < 100; k++) {
            struct msl_event e = hev("mx1", 0, T0 + hr * HOUR + k * 36 * US_PER_S, line++,
                                     MSL_EV_INFO);
            msl_hunt_event(h, &e);
        }
    }
    /* a single wild stamp a year later does not move the window */
    struct msl_event e = hev("mx1", 0, T0 + 365LL * 24 * HOUR, line++, MSL_EV_INFO);
    msl_hunt_event(h, &e);
    msl_hunt_finish(h);
    const struct msl_finding *f = NULL;
    CHECK_INT(count_title(h, "volume-drop", &f), 1);
    CHECK_INT(fcount(f, "first_drop_events"), 0);
    if (f)
        CHECK(f->first_ts >= T0 + (65 * 24 + 4) * HOUR && f->first_ts < T0 + (65 * 24 + 5) * HOUR);
    msl_hunt_free(h);
}

static struct msl_evline mk_line(int64_t ts, uint64_t line)
{
    struct msl_evline l = {{0, line, 0}, ts, MSL_EV_DELIVERY, NULL};
    return l;
}

static void t_integrity_lifecycle(void)
{
    static const char *const kv[] = {"grace", "1m"};
    struct msl_hunt *h = hunt_only("log-integrity", kv, 2, 0);
    /* the host's log covers T0 .. T0 + 2h */
    struct msl_event e = hev("mx1", 0, T0, 1, MSL_EV_INFO);
    msl_hunt_event(h, &e);
    e = hev("mx1", 0, T0 + 2 * HOUR, 999, MSL_EV_INFO);
    msl_hunt_event(h, &e);
    struct msl_evline l1 = mk_line(T0 + HOUR, 500);
    struct msl_delivery d = {.ts = T0 + HOUR, .status = MSL_ST_SENT, .delay = 2.0};
    struct msl_message m = {.host = (char[]){"mx1"}, .qid = (char[]){"LOST1"},
                            .first_ts = T0 + HOUR, .last_ts = T0 + HOUR, .deliveries = &d,
                            .ndeliveries = 1, .lines = &l1, .nlines = 1,
                            .from = (char[]){"a@example.test"}, .end = MSL_END_REMOVED,
                            .final = MSL_ST_SENT};
    msl_hunt_message(h, &m); /* delivered 1 h into the log, no receipt: hole */
    struct msl_delivery d2 = d;
    d2.ts = T0 + 30 * US_PER_S;
    d2.delay = 3600; /* arrived an hour before the log began */
    struct msl_evline l2 = mk_line(T0 + 30 * US_PER_S, 5);
    struct msl_message m2 = m;
    m2.qid = (char[]){"OLD1"};
    m2.first_ts = m2.last_ts = d2.ts;
    m2.deliveries = &d2;
    m2.lines = &l2;
    msl_hunt_message(h, &m2);
    struct msl_delivery d3 = d;
    d3.delay = 90 * 60; /* a retry 1 h in, received 30 min before the log: not a hole */
    struct msl_message m3 = m;
    m3.qid = (char[]){"RETRY1"};
    m3.deliveries = &d3;
    msl_hunt_message(h, &m3);
    struct msl_message m4 = m;
    m4.qid = (char[]){"DSN1"};
    m4.from = (char[]){""}; /* a bounce the MTA made itself */
    msl_hunt_message(h, &m4);
    /* received, never removed, not deferred, an hour before the end: hole */
    struct msl_evline l5 = mk_line(T0 + HOUR, 600);
    struct msl_message m5 = {.host = (char[]){"mx1"}, .qid = (char[]){"OPEN1"}, .seen_receipt = 1,
                             .first_ts = T0 + HOUR, .last_ts = T0 + HOUR, .lines = &l5,
                             .nlines = 1, .from = (char[]){"b@example.test"},
                             .end = MSL_END_OPEN_AT_EOF, .final = MSL_ST_NONE};
    msl_hunt_message(h, &m5);
    struct msl_message m6 = m5;
    m6.qid = (char[]){"DEFER1"};
    m6.final = MSL_ST_DEFERRED;
    msl_hunt_message(h, &m6);
    struct msl_message m7 = m5;
    m7.qid = (char[]){"LATE1"}; /* 30 s before the end: still in progress */
    m7.last_ts = T0 + 2 * HOUR - 30 * US_PER_S;
    msl_hunt_message(h, &m7);
    msl_hunt_finish(h);
    const struct msl_finding *f = NULL;
    CHECK_INT(count_title(h, "delivery with no receipt", &f), 1);
    if (f) {
        CHECK_INT(f->nmessages, 1);
        if (f->nmessages)
            CHECK_STR(f->messages[0], "mx1:LOST1");
        CHECK_INT(f->nevidence, 1);
        if (f->nevidence)
            CHECK_INT(f->evidence[0].ev.line, 500);
    }
    CHECK_INT(count_title(h, "receipt with no removal", &f), 1);
    if (f) {
        CHECK_INT(fcount(f, "messages"), 1);
        if (f->nmessages)
            CHECK_STR(f->messages[0], "mx1:OPEN1");
    }
    msl_hunt_free(h);
}

static void t_integrity_lifecycle_other_mta(void)
{
    /* Sendmail logs no removal line: its hosts are not judged */
    struct msl_hunt *h = hunt_only("log-integrity", NULL, 0, 0);
    struct msl_event e = hev("sm1", 0, T0, 1, MSL_EV_RECEIVED);
    e.mta = MSL_STR_LIT("sendmail");
    e.mta_caps = msl_dialect_sendmail.caps;
    msl_hunt_event(h, &e);
    e.ts = T0 + 2 * HOUR;
    msl_hunt_event(h, &e);
    struct msl_evline l = mk_line(T0 + HOUR, 5);
    struct msl_message m = {.host = (char[]){"sm1"}, .qid = (char[]){"q1"}, .seen_receipt = 1,
                            .first_ts = T0 + HOUR, .last_ts = T0 + HOUR, .lines = &l,
                            .nlines = 1, .from = (char[]){"x@y"},
                            .end = MSL_END_OPEN_AT_EOF};
    msl_hunt_message(h, &m);
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "lifecycle", NULL), 0);
    msl_hunt_free(h);
}

/* Three "rotated files" of host mx1 (sources 0, 1, 2): each an hour of one line a minute. */
static void feed_file(struct msl_hunt *h, uint32_t src, int64_t start, const char *tag)
{
    for (int k = 0; k < 60; k++) {
        char raw[128];
        int n = snprintf(raw, sizeof raw, "%s line %d", tag, k);
        struct msl_event e = hev("mx1", src, start + k * 60 * US_PER_S, (uint64_t)k + 1,
                                 k % 2 ? MSL_EV_DELIVERY : MSL_EV_RECEIVED);
        e.raw = (struct msl_str){raw, (size_t)n};
        msl_hunt_event(h, &e);
    }
}

static void t_integrity_rotation(void)
{
    /* continuous: no finding */
    struct msl_hunt *h = hunt_only("log-integrity", NULL, 0, 0);
    feed_file(h, 0, T0, "a");
    feed_file(h, 1, T0 + HOUR, "b");
    feed_file(h, 2, T0 + 2 * HOUR, "c");
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "rotation-discontinuity", NULL), 0);
    msl_hunt_free(h);
    /* the middle file missing: a gap of an hour between file 0's last line and file 1's
     * first */
    h = hunt_only("log-integrity", NULL, 0, 0);
    feed_file(h, 0, T0, "a");
    feed_file(h, 1, T0 + 2 * HOUR, "c");
    msl_hunt_finish(h);
    const struct msl_finding *f = NULL;
    CHECK_INT(count_title(h, "rotation-discontinuity (gap)", &f), 1);
    if (f && f->nevidence == 2) {
        CHECK_INT(f->evidence[0].ev.src, 0);
        CHECK_INT(f->evidence[0].ev.line, 60);
        CHECK_INT(f->evidence[1].ev.src, 1);
        CHECK_INT(f->evidence[1].ev.line, 1);
        CHECK_STR(f->entity, "#1");
        CHECK_INT(fcount(f, "gap_s"), 3600 + 60);
    }
    msl_hunt_free(h);
    /* out of order (newer file read first), and a file copied twice */
    h = hunt_only("log-integrity", NULL, 0, 0);
    feed_file(h, 0, T0 + HOUR, "b");
    feed_file(h, 1, T0, "a");
    feed_file(h, 2, T0, "a");
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "rotation-discontinuity (out of order)", &f), 1);
    if (f)
        CHECK_STR(f->entity, "#1");
    CHECK_INT(count_title(h, "rotation-discontinuity (repeated lines)", &f), 1);
    if (f)
        CHECK_STR(f->entity, "#2");
    msl_hunt_free(h);
    /* another host's file in between is not the same set */
    h = hunt_only("log-integrity", NULL, 0, 0);
    feed_file(h, 0, T0, "a");
    struct msl_event e = hev("mx2", 1, T0 + 3 * HOUR, 1, MSL_EV_RECEIVED);
    msl_hunt_event(h, &e);
    msl_hunt_finish(h);
    CHECK_INT(count_title(h, "rotation-discontinuity", NULL), 0);
    msl_hunt_free(h);
}

int main(void)
{
    RUN(t_rules_defaults_and_units);
    RUN(t_rules_file_errors);
    RUN(t_window_fires_and_caps_evidence);
    RUN(t_window_spread_out_does_not_fire);
    RUN(t_window_split_by_gap);
    RUN(t_eviction_by_log_time);
    RUN(t_success_after_failures_order);
    RUN(t_ring);
    RUN(t_integrity_volume_drop);
    RUN(t_integrity_volume_window_slides);
    RUN(t_integrity_lifecycle);
    RUN(t_integrity_lifecycle_other_mta);
    RUN(t_integrity_rotation);
    return unit_done("t_detect");
}
