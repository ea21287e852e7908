/*
 * t_geoip.c - the libmaxminddb wrapper on the project's own test databases
 * (the .mmdb files in tests/data/geoip, built by make_mmdb.pl: loopback and RFC 5737
 * ranges mapped to made-up countries XA/XB/XC and RFC 5398 AS numbers), country centroids
 * and distances,
 * CIDR list files (merging, IPv4/IPv6/v4-mapped, errors with file:line), and the
 * unusual-origin rule fed hand-built login events (impossible travel, new country, new
 * ASN, listed IPs, the note without a database).  Run from the source tree (make check).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"
#include "util/geoip.h"

#define CDB "tests/data/geoip/test-country.mmdb"
#define ADB "tests/data/geoip/test-asn.mmdb"

static int lookup(const struct geo_db *db, const char *ip, struct geo_info *g)
{
    return geo_lookup(db, ip, strlen(ip), g);
}

static void t_mmdb(void)
{
    char err[512];
    struct geo_db *c = geo_open(CDB, err, sizeof err);
    struct geo_db *a = geo_open(ADB, err, sizeof err);
    CHECK(c && a);
    if (!c || !a) {
        geo_close(c);
        geo_close(a);
        return;
    }
    CHECK_STR(geo_db_type(c), "mailsleuth-test-Country");
    struct geo_info g;
    CHECK(lookup(c, "127.0.0.5", &g));
    CHECK_STR(g.country, "XA");
    CHECK(g.has_loc && fabs(g.lat - 48.86) < 1e-6);
    CHECK(lookup(c, "198.51.100.77", &g));
    CHECK_STR(g.country, "XB");
    CHECK(lookup(c, "2001:db8::25", &g));
    CHECK_STR(g.country, "XB");
    CHECK(lookup(c, "::ffff:192.0.2.1", &g)); /* v4-mapped, as dual-stack smtpd logs it */
    CHECK_STR(g.country, "XA");
    CHECK(lookup(c, "203.0.113.9", &g));
    CHECK_STR(g.country, "XC");
    CHECK(!g.has_loc);
    CHECK(!lookup(c, "127.0.0.1", &g));
    CHECK(!lookup(c, "unknown", &g));
    CHECK(!lookup(c, "example.test", &g)); /* never a DNS lookup */
    CHECK(lookup(a, "127.0.0.6", &g));
    CHECK_INT(g.asn, 64501);
    CHECK_STR(g.asorg, "Example Carrier B");
    CHECK_STR(g.country, "");
    geo_close(c);
    geo_close(a);
    CHECK(geo_open("tests/data/geoip/make_mmdb.pl", err, sizeof err) == NULL);
    CHECK(strstr(err, "not a MaxMind database") != NULL);
    CHECK(geo_open("tests/data/geoip/none.mmdb", err, sizeof err) == NULL);
    CHECK(strstr(err, "none.mmdb") != NULL);
}

static void t_centroids(void)
{
    double lat1, lon1, lat2, lon2;
    CHECK(geo_country_centroid("de", &lat1, &lon1));
    CHECK(geo_country_centroid("US", &lat2, &lon2));
    double km = geo_distance_km(lat1, lon1, lat2, lon2);
    CHECK(km > 7500 && km < 8500);
    CHECK(geo_country_centroid("FR", &lat2, &lon2));
    km = geo_distance_km(lat1, lon1, lat2, lon2);
    CHECK(km > 500 && km < 900);
    CHECK(!geo_country_centroid("XA", &lat1, &lon1));
    CHECK(!geo_country_centroid("DEU", &lat1, &lon1));
    CHECK(geo_distance_km(10, 20, 10, 20) < 1e-9);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void t_iplist(void)
{
    char path[] = "/tmp/t_geoip_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    write_file(path, "# Tor exits\n192.0.2.0/25\n192.0.2.128/25  # second half\n\n"
                     "198.51.100.7\n2001:db8:1::/48\n  127.0.0.5/32\n");
    char err[512];
    struct geo_iplist *l = geo_iplist_load("tor", path, err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK_STR(geo_iplist_name(l), "tor");
        CHECK_INT(geo_iplist_len(l), 4); /* the two /25 merge */
        const char *in[] = {"192.0.2.0", "192.0.2.255", "198.51.100.7", "2001:db8:1::1",
                            "127.0.0.5", "::ffff:192.0.2.9"};
        const char *out[] = {"192.0.3.0", "198.51.100.8", "2001:db8:2::1", "127.0.0.4",
                             "unknown", ""};
        for (size_t i = 0; i < 6; i++) {
            CHECK(geo_iplist_has(l, in[i], strlen(in[i])));
            CHECK(!geo_iplist_has(l, out[i], strlen(out[i])));
        }
        geo_iplist_free(l);
    }
    write_file(path, "192.0.2.0/24\n\n192.0.2.300\n");
    CHECK(geo_iplist_load("bad", path, err, sizeof err) == NULL);
    CHECK(strstr(err, ":3: not an address or CIDR network") != NULL);
    write_file(path, "192.0.2.0/33\n");
    CHECK(geo_iplist_load("bad", path, err, sizeof err) == NULL);
    remove(path);
    CHECK(geo_iplist_load("none", path, err, sizeof err) == NULL);
}

/* ---- the rule --------------------------------------------------------------------- */

/* what the hunt of the next test is given (msl_hunt_opts.lookups) */
static const struct geo_hunt_cfg *lookups;

static struct msl_hunt *hunt_uo(const char *const *kv, size_t nkv)
{
    struct msl_rules *r = msl_rules_new();
    size_t n;
    const struct msl_detector *const *d = msl_detectors(&n);
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i]->id, "unusual-origin") != 0)
            msl_rules_set(r, d[i]->id, "enabled", "false", err, sizeof err);
    for (size_t i = 0; i + 1 < nkv; i += 2)
        CHECK(msl_rules_set(r, "unusual-origin", kv[i], kv[i + 1], err, sizeof err) == MSL_OK);
    struct msl_hunt_opts o = {.lookups = lookups};
    struct msl_hunt *h = msl_hunt_new(&o, r);
    msl_rules_free(r);
    return h;
}

static void auth(struct msl_hunt *h, enum msl_kind k, int64_t sec, const char *ip,
                 const char *user, uint64_t line)
{
    struct msl_event e;
    msl_event_clear(&e);
    e.kind = k;
    e.ts = sec * US_PER_S;
    e.ev.line = line;
    e.host = MSL_STR_LIT("mx1");
    e.client_ip = (struct msl_str){ip, strlen(ip)};
    if (user)
        e.sasl_user = (struct msl_str){user, strlen(user)};
    msl_hunt_event(h, &e);
}

static size_t count(struct msl_hunt *h, const char *title_part, const struct msl_finding **hit)
{
    size_t n, c = 0;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].rule, "unusual-origin") || !strstr(f[i].title, title_part))
            continue;
        c++;
        if (hit)
            *hit = &f[i];
    }
    return c;
}

static void t_rule(void)
{
    char err[512];
    struct geo_db *c = geo_open(CDB, err, sizeof err), *a = geo_open(ADB, err, sizeof err);
    CHECK(c && a);
    struct geo_hunt_cfg cfg = {.country = c, .asn = a};
    lookups = &cfg;
    struct msl_hunt *h = hunt_uo(NULL, 0);
    CHECK(h != NULL);
    if (h && c && a) {
        int64_t t0 = 1800000000;
        /* dave: XA, XA (new ASN 64502 via 127.0.0.7 after two logins: low) */
        auth(h, MSL_EV_AUTH_OK, t0, "192.0.2.1", "dave", 1);
        auth(h, MSL_EV_AUTH_OK, t0 + 60, "192.0.2.2", "dave", 2);
        auth(h, MSL_EV_AUTH_OK, t0 + 120, "127.0.0.7", "dave", 3);
        /* carol: XB then XA 4 minutes later: impossible travel; no new-country yet (1 login) */
        auth(h, MSL_EV_AUTH_OK, t0, "198.51.100.9", "carol", 10);
        auth(h, MSL_EV_AUTH_FAIL, t0 + 100, "192.0.2.5", "carol", 11); /* failures ignored */
        auth(h, MSL_EV_AUTH_OK, t0 + 240, "192.0.2.5", "carol", 12);
        /* erin: XB, XB, XB, then XA after 30 hours: new country, travel possible */
        for (int i = 0; i < 3; i++)
            auth(h, MSL_EV_AUTH_OK, t0 + i * 60, "2001:db8::7", "erin", 20 + (uint64_t)i);
        auth(h, MSL_EV_AUTH_OK, t0 + 30 * 3600, "192.0.2.8", "erin", 30);
        /* not in the database: nothing */
        auth(h, MSL_EV_AUTH_OK, t0, "127.0.0.1", "frank", 40);
        auth(h, MSL_EV_AUTH_OK, t0 + 1, "198.51.100.1", "frank", 41);
        msl_hunt_finish(h);
        const struct msl_finding *f = NULL;
        CHECK_INT(count(h, "impossible travel", &f), 1);
        CHECK(f && !strcmp(f->entity, "carol") && f->severity == MSL_FSEV_HIGH);
        CHECK(f && f->nevidence == 2 && f->evidence[0].ev.line == 10 &&
              f->evidence[1].ev.line == 12);
        CHECK_INT(count(h, "new country", &f), 1);
        CHECK(f && !strcmp(f->entity, "erin") && f->severity == MSL_FSEV_MEDIUM);
        CHECK(f && strstr(f->title, "seen before: XB"));
        CHECK_INT(count(h, "new network", &f), 1);
        CHECK(f && !strcmp(f->entity, "dave") && f->severity == MSL_FSEV_LOW);
        CHECK(f && strstr(f->title, "AS64502"));
        size_t n;
        msl_hunt_findings(h, &n);
        CHECK_INT(n, 3);
    }
    msl_hunt_free(h);
    lookups = NULL;
    geo_close(c);
    geo_close(a);

    /* no database: silent, with a note */
    h = hunt_uo(NULL, 0);
    if (h) {
        auth(h, MSL_EV_AUTH_OK, 1, "198.51.100.9", "carol", 1);
        auth(h, MSL_EV_AUTH_OK, 2, "192.0.2.5", "carol", 2);
        msl_hunt_finish(h);
        size_t n, nn;
        msl_hunt_findings(h, &n);
        CHECK_INT(n, 0);
        const char *const *notes = msl_hunt_notes(h, &nn);
        /* the site context's notes come first ("site: 127.0.0.0/8 trusted: loopback") */
        size_t geo = 0, site = 0;
        for (size_t i = 0; i < nn; i++) {
            geo += strstr(notes[i], "no --geoip database given") != NULL;
            site += strncmp(notes[i], "site: ", 6) == 0;
        }
        CHECK(geo == 1 && site + geo == nn);
        msl_hunt_free(h);
    }
}

static void t_rule_lists(void)
{
    char path[] = "/tmp/t_geoip_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    write_file(path, "127.0.0.5/32\n");
    char err[512];
    struct geo_iplist *l = geo_iplist_load("tor", path, err, sizeof err);
    remove(path);
    const struct geo_iplist *lists[] = {l};
    struct geo_hunt_cfg cfg = {.lists = lists, .nlists = 1};
    lookups = &cfg;
    struct msl_hunt *h = hunt_uo(NULL, 0);
    if (h && l) {
        auth(h, MSL_EV_CONNECT, 1, "127.0.0.5", NULL, 1);
        auth(h, MSL_EV_AUTH_FAIL, 2, "127.0.0.5", "carol", 2);
        auth(h, MSL_EV_CONNECT, 3, "127.0.0.6", NULL, 3);
        auth(h, MSL_EV_AUTH_OK, 4, "127.0.0.5", "carol", 4);
        msl_hunt_finish(h);
        const struct msl_finding *f = NULL;
        CHECK_INT(count(h, "on the list 'tor'", &f), 1);
        CHECK(f && !strcmp(f->entity, "127.0.0.5") && f->severity == MSL_FSEV_HIGH);
        CHECK(f && f->evidence_total == 3);
        CHECK(f && strstr(f->title, "successful login as carol"));
    }
    msl_hunt_free(h);
    lookups = NULL;
    geo_iplist_free(l);
}

int main(void)
{
    RUN(t_mmdb);
    RUN(t_centroids);
    RUN(t_iplist);
    RUN(t_rule);
    RUN(t_rule_lists);
    return unit_done("t_geoip");
}
