/*
 * t_detect.c - hunt engine unit tests: rules configuration (defaults, units, errors with
 * file:line), the "k hits within a window" incidents (fire, do not fire when spread out,
 * split by a quiet gap), evidence caps, key eviction by log time, and success after
 * failures in input order.  Events are built by hand with the fields the rules read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/detect.h"
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
    return unit_done("t_detect");
}
