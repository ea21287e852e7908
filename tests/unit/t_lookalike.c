/*
 * t_lookalike.c - the confusable-domain functions (lib/util/confusable.c) on real-world
 * typo-squatting shapes (paypa1.com, rnicrosoft.com, xn--pple-43d.com = Cyrillic "аpple"),
 * what must never match (the domain itself, its subdomains, unrelated short names), and
 * the lookalike-domain rule fed hand-built messages (reference sets, self-comparison,
 * severity, the domain cap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"
#include "util/confusable.h"
#include "util/geoip.h"

static struct conf_checker *cc;

static enum conf_kind kind(const char *cand, const char *ref)
{
    struct conf_match m;
    return conf_lookalike(cc, cand, ref, 2, &m);
}

static void t_unicode_and_skeleton(void)
{
    char out[CONF_MAX_DOMAIN];
    CHECK(conf_domain_unicode("XN--PPLE-43D.com", out, sizeof out) == 0);
    CHECK_STR(out, "\xd0\xb0pple.com"); /* U+0430 CYRILLIC SMALL LETTER A */
    CHECK(conf_domain_unicode("Example.TEST", out, sizeof out) == 0);
    CHECK_STR(out, "example.test");
    CHECK(conf_domain_unicode("xn--zz-not-puny.test", out, sizeof out) != 0);
    char a[CONF_MAX_DOMAIN * 4], b[CONF_MAX_DOMAIN * 4];
    CHECK(cc != NULL);
    CHECK(conf_skeleton(cc, "\xd0\xb0pple.com", a, sizeof a) == 0);
    CHECK(conf_skeleton(cc, "apple.com", b, sizeof b) == 0);
    CHECK_STR(a, b);
    CHECK(conf_skeleton(cc, "paypal.com", a, sizeof a) == 0);
    CHECK(conf_skeleton(cc, "paypa1.com", b, sizeof b) == 0);
    CHECK_STR(a, b); /* UTS #39 maps digit one to small l */
}

static void t_fold_and_distance(void)
{
    char out[64];
    conf_fold("rnicrosoft", out, sizeof out);
    CHECK_STR(out, "microsoft");
    conf_fold("PAYPA1", out, sizeof out);
    CHECK_STR(out, "paypal");
    conf_fold("g00gle", out, sizeof out);
    CHECK_STR(out, "google");
    conf_fold("vvikipedia", out, sizeof out);
    CHECK_STR(out, "wikipedia");
    CHECK_INT(conf_edit_distance("example", "example", 2), 0);
    CHECK_INT(conf_edit_distance("example", "exmaple", 2), 1); /* transposition */
    CHECK_INT(conf_edit_distance("example", "examples", 2), 1);
    CHECK_INT(conf_edit_distance("amazon", "amazn", 2), 1);
    CHECK_INT(conf_edit_distance("microsoft", "micrsooft", 2), 1);
    CHECK_INT(conf_edit_distance("partner", "remote", 2), 3); /* max + 1 */
    CHECK_INT(conf_edit_distance("\xd0\xb0pple", "apple", 2), 1); /* code points, not bytes */
    const char *nm, *sf;
    size_t nl;
    CHECK(conf_split("mail.example.co.uk", &nm, &nl, &sf) == 0);
    CHECK_MEM(nm, nl, "example");
    CHECK_STR(sf, "co.uk");
    CHECK(conf_split("a.b.example.test", &nm, &nl, &sf) == 0);
    CHECK_MEM(nm, nl, "example");
    CHECK(conf_split("localhost", &nm, &nl, &sf) != 0);
}

static void t_real_world_squats(void)
{
    CHECK_INT(kind("paypa1.com", "paypal.com"), CONF_SWAP);
    CHECK_INT(kind("rnicrosoft.com", "microsoft.com"), CONF_SWAP);
    CHECK_INT(kind("xn--pple-43d.com", "apple.com"), CONF_HOMOGLYPH);
    CHECK_INT(kind("exarnple.test", "example.test"), CONF_SWAP);
    CHECK_INT(kind("xn--exmple-4nf.test", "example.test"), CONF_HOMOGLYPH);
    CHECK_INT(kind("micosoft.com", "microsoft.com"), CONF_TYPO);
    CHECK_INT(kind("arnazon.com", "amazon.com"), CONF_SWAP);
    CHECK_INT(kind("amazon.co", "amazon.com"), CONF_TLD);
    CHECK_INT(kind("example.com", "example.test"), CONF_TLD);
    CHECK_INT(kind("pay-pal.com", "paypal.com"), CONF_HYPHEN);
    CHECK_INT(kind("paypal-secure.com", "paypal.com"), CONF_HYPHEN);
    CHECK_INT(kind("paypal.com.login-check.net", "paypal.com"), CONF_PREFIX);
    CHECK_INT(kind("goggle.com", "google.com"), CONF_TYPO);
    struct conf_match m;
    CHECK_INT(conf_lookalike(cc, "partnre-corp.test", "partner-corp.test", 2, &m), CONF_TYPO);
    CHECK_INT(m.distance, 1);
    CHECK_INT(conf_lookalike(cc, "xn--pple-43d.com", "apple.com", 2, &m), CONF_HOMOGLYPH);
    CHECK(m.punycode);
    CHECK_STR(m.cand_unicode, "\xd0\xb0pple.com");
}

static void t_never_matches(void)
{
    CHECK_INT(kind("example.test", "example.test"), CONF_NONE);
    CHECK_INT(kind("EXAMPLE.test", "example.test"), CONF_NONE);
    CHECK_INT(kind("mail.example.test", "example.test"), CONF_NONE);
    CHECK_INT(kind("example.test", "mx1.example.test"), CONF_NONE);
    CHECK_INT(kind("partner.test", "remote.test"), CONF_NONE);
    CHECK_INT(kind("elsewhere.test", "example.test"), CONF_NONE);
    CHECK_INT(kind("bad.test", "bar.test"), CONF_NONE);   /* 3 letters: no typo distance */
    CHECK_INT(kind("ibm.com", "ibn.com"), CONF_NONE);
    CHECK_INT(kind("google.com", "yahoo.com"), CONF_NONE);
    CHECK_INT(kind("localhost", "example.test"), CONF_NONE);
    CHECK_INT(kind("", "example.test"), CONF_NONE);
    struct conf_match m;
    CHECK_INT(conf_lookalike(cc, "exampel.test", "example.test", 0, &m), CONF_NONE);
    CHECK_INT(conf_lookalike(NULL, "xn--pple-43d.com", "apple.com", 2, &m), CONF_TYPO);
}

/* ---- the rule --------------------------------------------------------------------- */

/* what the hunt of the next test is given (msl_hunt_opts.lookups) */
static const struct geo_hunt_cfg *lookups;

static struct msl_hunt *hunt_la(const char *const *kv, size_t nkv)
{
    struct msl_rules *r = msl_rules_new();
    size_t n;
    const struct msl_detector *const *d = msl_detectors(&n);
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i]->id, "lookalike-domain") != 0)
            msl_rules_set(r, d[i]->id, "enabled", "false", err, sizeof err);
    for (size_t i = 0; i + 1 < nkv; i += 2)
        CHECK(msl_rules_set(r, "lookalike-domain", kv[i], kv[i + 1], err, sizeof err) ==
              MSL_OK);
    struct msl_hunt_opts o = {.lookups = lookups};
    struct msl_hunt *h = msl_hunt_new(&o, r);
    msl_rules_free(r);
    return h;
}

/* One message from `from` to `to`, delivered by daemon with status. */
static void msg(struct msl_hunt *h, const char *from, const char *to, const char *daemon,
                enum msl_status st, const char *dsn, uint64_t line)
{
    char f[128], t[128], d[16], c[16], host[] = "mx1", qid[] = "Q1";
    snprintf(f, sizeof f, "%s", from);
    snprintf(t, sizeof t, "%s", to);
    snprintf(d, sizeof d, "%s", daemon);
    snprintf(c, sizeof c, "%s", dsn);
    /* as the Postfix dialect marks it: local(8) delivers into a mailbox here */
    struct msl_delivery dv = {.to = t, .daemon = d, .status = st, .dsn = c,
                              .local = strcmp(daemon, "local") == 0, .ev = {.line = line + 1}};
    struct msl_evline lines[2] = {{.ev = {.line = line}, .ts = (int64_t)line * US_PER_S,
                                   .kind = MSL_EV_SENDER},
                                  {.ev = {.line = line + 1}, .ts = (int64_t)line * US_PER_S,
                                   .kind = MSL_EV_DELIVERY}};
    struct msl_message m = {.host = host, .qid = qid, .from = f, .deliveries = &dv,
                            .ndeliveries = 1, .lines = lines, .nlines = 2};
    msl_hunt_message(h, &m);
}

static const struct msl_finding *find(struct msl_hunt *h, const char *entity, size_t *count)
{
    size_t n;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    const struct msl_finding *hit = NULL;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].rule, "lookalike-domain") != 0)
            continue;
        ++*count;
        if (entity && f[i].entity && !strcmp(f[i].entity, entity))
            hit = &f[i];
    }
    return hit;
}

static void t_rule_references(void)
{
    struct msl_hunt *h = hunt_la(NULL, 0);
    CHECK(h != NULL);
    if (!h)
        return;
    /* example.test is local (delivered locally); partner.test frequent (3 recipients) */
    msg(h, "a@partner.test", "alice@example.test", "local", MSL_ST_SENT, "2.0.0", 10);
    for (int i = 0; i < 3; i++)
        msg(h, "alice@example.test", "bob@partner.test", "smtp", MSL_ST_SENT, "2.0.0",
            20 + 2 * (uint64_t)i);
    msg(h, "ceo@exarnple.test", "alice@example.test", "local", MSL_ST_SENT, "2.0.0", 30);
    msg(h, "alice@example.test", "bob@partnre.test", "smtp", MSL_ST_SENT, "2.0.0", 40);
    msg(h, "alice@example.test", "x@parlner.test", "smtp", MSL_ST_BOUNCED, "5.1.1", 50);
    msg(h, "alice@example.test", "y@unrelated.test", "smtp", MSL_ST_SENT, "2.0.0", 60);
    msl_hunt_finish(h);
    size_t n;
    const struct msl_finding *f = find(h, "exarnple.test", &n);
    CHECK_INT(n, 3);
    CHECK(f && f->severity == MSL_FSEV_HIGH); /* delivered to a local mailbox */
    CHECK(f && strstr(f->title, "local domain example.test"));
    CHECK(f && f->nevidence == 1 && f->evidence[0].ev.line == 30);
    f = find(h, "partnre.test", &n);
    CHECK(f && f->severity == MSL_FSEV_HIGH && strstr(f->title, "partner domain partner.test"));
    f = find(h, "parlner.test", &n);
    CHECK(f && f->severity == MSL_FSEV_MEDIUM);
    for (size_t i = 0; f && i < f->ncounts; i++)
        if (!strcmp(f->counts[i].name, "unknown_recipients"))
            CHECK_INT(f->counts[i].value, 1);
    CHECK(find(h, "partner.test", &n) == NULL); /* never against itself */
    CHECK(find(h, "example.test", &n) == NULL);
    msl_hunt_free(h);
}

static void t_rule_protected_and_cap(void)
{
    const char *prot[] = {"bank.test"};
    struct geo_hunt_cfg cfg = {.protected_domains = prot, .nprotected = 1};
    lookups = &cfg;
    const char *kv[] = {"max_domains", "10", "partners", "0"};
    struct msl_hunt *h = hunt_la(kv, 4);
    CHECK(h != NULL);
    if (!h) {
        lookups = NULL;
        return;
    }
    msg(h, "pay@bank-secure.test", "alice@example.test", "smtp", MSL_ST_DEFERRED, "4.0.0", 10);
    msg(h, "pay@bank.test", "alice@example.test", "smtp", MSL_ST_DEFERRED, "4.0.0", 12);
    for (int i = 0; i < 20; i++) { /* more distinct domains than max_domains */
        char from[64];
        snprintf(from, sizeof from, "x@filler%02d.test", i);
        msg(h, from, "bob@elsewhere.test", "smtp", MSL_ST_DEFERRED, "4.0.0", 100 + 2 * (uint64_t)i);
    }
    msl_hunt_finish(h);
    size_t n;
    const struct msl_finding *f = find(h, "bank-secure.test", &n);
    CHECK_INT(n, 1);
    CHECK(f && strstr(f->title, "protected domain bank.test") && f->severity == MSL_FSEV_MEDIUM);
    size_t nn;
    const char *const *notes = msl_hunt_notes(h, &nn);
    int capped = 0;
    for (size_t i = 0; i < nn; i++)
        capped |= strstr(notes[i], "10 distinct domains tracked at most") != NULL;
    CHECK(capped);
    msl_hunt_free(h);
    lookups = NULL;
}

int main(void)
{
    cc = conf_new();
    RUN(t_unicode_and_skeleton);
    RUN(t_fold_and_distance);
    RUN(t_real_world_squats);
    RUN(t_never_matches);
    RUN(t_rule_references);
    RUN(t_rule_protected_and_cap);
    conf_free(cc);
    return unit_done("t_lookalike");
}
