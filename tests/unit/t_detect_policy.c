/*
 * t_detect_policy.c - unit tests of the policy/path rules of hunt: sender-login-mismatch
 * address matching (bare logins, +tags, case, the null sender), policy-fail-protected
 * claimed domains (SPF envelope sender, DKIM d=, DMARC header From, subdomains, softfail
 * switch, verdicts without a domain), bulk-campaign windows and last-attempt counting,
 * tls-downgrade memory and the sessions it may judge, spoofed-local-sender trust, and the
 * key caps with their notes.  Messages, sessions and events are built by hand with the
 * fields the rules read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/detect.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"

#define HOUR (3600 * US_PER_S)
#define DAY (24 * HOUR)

/* A hunt with only `rule` enabled, "key", "value" settings, and command-line options. */
static struct msl_hunt *hunt_only(const char *rule, const char *const *kv, size_t nkv,
                                  struct msl_hunt_opts o)
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
    struct msl_hunt *h = msl_hunt_new(&o, r);
    msl_rules_free(r);
    return h;
}

static const struct msl_finding *find(struct msl_hunt *h, const char *rule, const char *entity)
{
    size_t n;
    const struct msl_finding *f = msl_hunt_findings(h, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].rule, rule) && (!entity || !strcmp(f[i].entity, entity)))
            return &f[i];
    return NULL;
}

static size_t nfindings(struct msl_hunt *h)
{
    size_t n;
    msl_hunt_findings(h, &n);
    return n;
}

static int64_t count_of(const struct msl_finding *f, const char *name)
{
    for (size_t i = 0; f && i < f->ncounts; i++)
        if (!strcmp(f->counts[i].name, name))
            return f->counts[i].value;
    return -1;
}

static int has_note(struct msl_hunt *h, const char *needle)
{
    size_t n;
    const char *const *notes = msl_hunt_notes(h, &n);
    for (size_t i = 0; i < n; i++)
        if (strstr(notes[i], needle))
            return 1;
    return 0;
}

/* Writable copies of literals (the records' fields are char *), freed at the end. */
static char *pool[512];
static size_t npool;

static char *S(const char *lit)
{
    if (!lit || npool == sizeof pool / sizeof pool[0])
        return NULL;
    size_t n = strlen(lit) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, lit, n);
    return pool[npool++] = c;
}

/* A message on mx1; deliveries filled in by the caller. */
static struct msl_message msg(const char *qid, int64_t ts, const char *ip, const char *user,
                              const char *from)
{
    struct msl_message m;
    memset(&m, 0, sizeof m);
    m.host = S("mx1");
    m.qid = S(qid);
    m.first_ts = m.received_ts = m.last_ts = ts;
    m.seen_receipt = 1;
    m.client_ip = S(ip);
    m.sasl_user = S(user);
    m.from = S(from);
    m.size = m.nrcpt = -1;
    return m;
}

static struct msl_delivery dlv(const char *to, const char *daemon, enum msl_status st,
                               uint64_t line)
{
    struct msl_delivery d;
    memset(&d, 0, sizeof d);
    d.to = S(to);
    d.daemon = S(daemon);
    d.status = st;
    d.relay_host = S("relay.test");
    d.relay_ip = S("192.0.2.25");
    d.relay_port = 25;
    d.ev.line = line;
    return d;
}

static void t_mismatch_matching(void)
{
    struct msl_hunt *h = hunt_only("sender-login-mismatch", NULL, 0, (struct msl_hunt_opts){0});
    struct msl_message m1 = msg("A1", HOUR, "192.0.2.1", "alice", "alice@x.test");
    struct msl_message m2 = msg("A2", HOUR, "192.0.2.1", "alice@x.test", "Alice+news@X.test");
    struct msl_message m3 = msg("A3", HOUR, "192.0.2.1", "alice@x.test", "");
    struct msl_message m4 = msg("A4", HOUR, "192.0.2.1", "alice@x.test", "alice@y.test");
    struct msl_message m5 = msg("A5", 2 * HOUR, "192.0.2.1", "alice@x.test", "boss@x.test");
    struct msl_message m6 = msg("A6", 2 * HOUR, "192.0.2.1", NULL, "boss@x.test");
    const struct msl_message *all[] = {&m1, &m2, &m3, &m4, &m5, &m6};
    for (size_t i = 0; i < 6; i++)
        msl_hunt_message(h, all[i]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    const struct msl_finding *f = find(h, "sender-login-mismatch", "alice@x.test");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(count_of(f, "messages"), 2); /* another domain, another person */
        CHECK_INT(count_of(f, "senders"), 2);
        CHECK_INT(f->nmessages, 2);
        CHECK_STR(f->messages[0], "mx1:A4");
        CHECK_INT(f->severity, MSL_FSEV_MEDIUM);
    }
    msl_hunt_free(h);
}

static struct msl_event pol(const char *detail, const char *text, const char *from,
                            const char *qid, uint64_t line)
{
    struct msl_event e;
    msl_event_clear(&e);
    e.kind = MSL_EV_POLICY;
    e.ts = HOUR + (int64_t)line * US_PER_S;
    e.ev.line = line;
    e.host = MSL_STR_LIT("mx1");
    e.detail = (struct msl_str){detail, strlen(detail)};
    e.text = (struct msl_str){text, strlen(text)};
    if (from)
        e.from = (struct msl_str){from, strlen(from)};
    if (qid)
        e.qid = (struct msl_str){qid, strlen(qid)};
    return e;
}

static void t_policy_claimed_domains(void)
{
    const char *loc[] = {"example.org"};
    struct msl_hunt_opts o = {.local_domains = loc, .nlocal_domains = 1};
    struct msl_hunt *h = hunt_only("policy-fail-protected", NULL, 0, o);
    struct msl_event ev[] = {
        pol("spf=fail", "Fail (mailfrom) identity=mailfrom", "ceo@mail.example.org", NULL, 1),
        pol("dkim=fail", "s=sel d=Example.ORG SSL error", NULL, "Q1", 2),
        pol("dkim=fail", "bad signature data", NULL, "Q1", 3), /* no domain: skipped */
        pol("dmarc=fail", "example.org fail", NULL, "Q1", 4),
        pol("spf=softfail", "Softfail (mailfrom)", "x@example.org", NULL, 5), /* softfail=0 */
        pol("dmarc=fail", "other.test fail", NULL, "Q2", 6),                   /* not ours */
        pol("dmarc=pass", "example.org pass", NULL, "Q3", 7),
        pol("spf=fail", "Message rejected due to: SPF fail - not authorized. Please see "
                        "http://www.openspf.net/Why?s=helo;id=mx.example.org;ip=192.0.2.9;r=x",
            NULL, NULL, 8),
        pol("spf=fail", "SPF(mailfrom): notexample.org fail", NULL, "Q4", 9), /* not a sub */
    };
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++)
        msl_hunt_event(h, &ev[i]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 3);
    const struct msl_finding *f = find(h, "policy-fail-protected", "example.org");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(count_of(f, "dkim"), 1);
        CHECK_INT(count_of(f, "dmarc"), 1);
        CHECK_INT(count_of(f, "spf"), 0);
        CHECK_INT(count_of(f, "messages"), 1); /* both verdicts of Q1 */
        CHECK_INT(f->nevidence, 2);
        CHECK_INT(f->evidence[0].ev.line, 2);
        CHECK_INT(f->evidence[1].ev.line, 4);
        CHECK_INT(f->nmessages, 1);
    }
    f = find(h, "policy-fail-protected", "mail.example.org");
    CHECK(f != NULL && count_of(f, "spf") == 1);
    f = find(h, "policy-fail-protected", "mx.example.org"); /* the HELO identity */
    CHECK(f != NULL && f->evidence[0].ev.line == 8);
    CHECK(has_note(h, "protected domains = local domains"));
    msl_hunt_free(h);

    /* softfail = 1 counts ~all failures too */
    const char *kv[] = {"softfail", "1"};
    h = hunt_only("policy-fail-protected", kv, 2, o);
    msl_hunt_event(h, &ev[4]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    msl_hunt_free(h);
}

static void t_bulk_window_and_last_attempt(void)
{
    const char *kv[] = {"min_rcpts", "4", "fail_pct", "50%", "window", "1h"};
    struct msl_hunt *h = hunt_only("bulk-campaign", kv, 6, (struct msl_hunt_opts){0});
    /* s1: 4 recipients within 10 minutes; 3 failed (one deferred then sent: not failed) */
    struct msl_message a = msg("B1", HOUR, "192.0.2.1", NULL, "s1@x.test");
    struct msl_delivery da[] = {dlv("r1@y.test", "smtp", MSL_ST_DEFERRED, 1),
                                dlv("r2@y.test", "smtp", MSL_ST_DEFERRED, 2),
                                dlv("r1@y.test", "smtp", MSL_ST_SENT, 3)};
    a.deliveries = da;
    a.ndeliveries = 3;
    struct msl_message b = msg("B2", HOUR + 600 * US_PER_S, "192.0.2.1", NULL, "s1@x.test");
    struct msl_delivery db[] = {dlv("r3@y.test", "smtp", MSL_ST_BOUNCED, 4),
                                dlv("r4@y.test", "smtp", MSL_ST_EXPIRED, 5)};
    b.deliveries = db;
    b.ndeliveries = 2;
    /* s2: 2 + 2 failing recipients, 2 hours apart: two windows below min_rcpts */
    struct msl_message c = msg("C1", HOUR, "192.0.2.2", NULL, "s2@x.test");
    struct msl_message d = msg("C2", 3 * HOUR, "192.0.2.2", NULL, "s2@x.test");
    struct msl_delivery dc[] = {dlv("q1@y.test", "smtp", MSL_ST_BOUNCED, 6),
                                dlv("q2@y.test", "smtp", MSL_ST_BOUNCED, 7)};
    c.deliveries = d.deliveries = dc;
    c.ndeliveries = d.ndeliveries = 2;
    /* bounces (null sender) never count */
    struct msl_message e = msg("D1", HOUR, NULL, NULL, "");
    e.deliveries = dc;
    e.ndeliveries = 2;
    const struct msl_message *all[] = {&a, &c, &b, &e, &d};
    for (size_t i = 0; i < 5; i++)
        msl_hunt_message(h, all[i]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    const struct msl_finding *f = find(h, "bulk-campaign", "s1@x.test");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(count_of(f, "recipients"), 4);
        CHECK_INT(count_of(f, "failed"), 3);
        CHECK_INT(count_of(f, "failed_pct"), 75);
        CHECK_INT(f->evidence_total, 3);
        CHECK_INT(f->evidence[0].ev.line, 2);
    }
    msl_hunt_free(h);
}

static void t_blocklist_reply_only_outbound(void)
{
    struct msl_hunt *h = hunt_only("bulk-campaign", NULL, 0, (struct msl_hunt_opts){0});
    struct msl_event e;
    msl_event_clear(&e);
    e.host = MSL_STR_LIT("mx1");
    e.ts = HOUR;
    e.kind = MSL_EV_REJECT; /* our smtpd rejecting a listed client */
    e.text = MSL_STR_LIT("Client host [192.0.2.9] blocked using zen.spamhaus.org");
    msl_hunt_event(h, &e);
    e.kind = MSL_EV_DELIVERY;
    e.status = MSL_ST_SENT; /* delivered: whatever the text says */
    msl_hunt_event(h, &e);
    e.status = MSL_ST_DEFERRED;
    e.text = MSL_STR_LIT("host mx.y.test said: 451 greylisted, see http://x/lists.html");
    msl_hunt_event(h, &e);
    e.ev.line = 9;
    e.relay_host = MSL_STR_LIT("mx.y.test");
    e.text = MSL_STR_LIT("host mx.y.test said: 554 5.7.1 Service unavailable; Client host "
                         "[198.51.100.1] blocked using zen.spamhaus.org");
    msl_hunt_event(h, &e);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    const struct msl_finding *f = find(h, "bulk-campaign", "mx1");
    CHECK(f != NULL && f->severity == MSL_FSEV_HIGH && count_of(f, "replies") == 1 &&
          f->evidence[0].ev.line == 9);
    msl_hunt_free(h);
}

static struct msl_session sess(const char *ip, int64_t ts, int tls, size_t nq, int connect)
{
    static char *qids[2];
    qids[0] = S("T1");
    qids[1] = S("T2");
    struct msl_session s;
    memset(&s, 0, sizeof s);
    s.host = S("mx1");
    s.program = S("postfix/smtpd");
    s.pid = 42;
    s.client_ip = S(ip);
    s.start_ts = s.end_ts = ts;
    s.saw_connect = connect;
    s.tls_proto = tls ? S("TLSv1.3") : NULL;
    s.qids = qids;
    s.nqids = nq;
    return s;
}

static void t_tls_downgrade_memory(void)
{
    struct msl_hunt *h = hunt_only("tls-downgrade", NULL, 0, (struct msl_hunt_opts){0});
    struct msl_session s[] = {
        sess("192.0.2.1", HOUR, 1, 1, 1),
        sess("192.0.2.1", DAY, 0, 0, 1),      /* no message: not a downgrade */
        sess("192.0.2.1", DAY, 0, 1, 0),      /* no connect line: excerpt, not judged */
        sess("192.0.2.1", 2 * DAY, 0, 2, 1),  /* downgrade */
        sess("192.0.2.2", HOUR, 1, 1, 1),
        sess("192.0.2.2", 40 * DAY, 0, 1, 1), /* past memory (30d) */
        sess("192.0.2.3", HOUR, 0, 1, 1),     /* never used TLS */
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        msl_hunt_session(h, &s[i]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    const struct msl_finding *f = find(h, "tls-downgrade", "192.0.2.1");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(count_of(f, "messages"), 2);
        CHECK_INT(count_of(f, "plain_sessions"), 1);
        CHECK_INT(count_of(f, "tls_before"), 1);
        CHECK_INT(f->nmessages, 2);
        CHECK_INT(f->nsessions, 1);
    }
    CHECK(!has_note(h, "logs no inbound TLS"));
    msl_hunt_free(h);
}

static void t_spoof_trust(void)
{
    const char *loc[] = {"x.test"};
    const char *nets[] = {"192.0.2.0/28"};
    struct msl_hunt_opts o = {.local_domains = loc, .nlocal_domains = 1, .trusted_nets = nets,
                              .ntrusted_nets = 1};
    struct msl_hunt *h = hunt_only("spoofed-local-sender", NULL, 0, o);
    struct msl_message a = msg("S1", HOUR, "192.0.2.5", NULL, "ceo@x.test");      /* trusted */
    struct msl_message b = msg("S2", HOUR, "198.51.100.7", NULL, "ceo@X.test");   /* spoof */
    struct msl_message c = msg("S3", HOUR, "198.51.100.7", "ceo", "ceo@x.test");  /* AUTH */
    struct msl_message d = msg("S4", HOUR, "198.51.100.7", NULL, "news@y.test");  /* foreign */
    struct msl_message e = msg("S5", HOUR, "198.51.100.7", NULL, "pay@x.test");   /* spoof */
    e.reinjected_from = S("S2"); /* a content-filter copy: not counted again */
    const struct msl_message *all[] = {&a, &b, &c, &d, &e};
    for (size_t i = 0; i < 5; i++)
        msl_hunt_message(h, all[i]);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    const struct msl_finding *f = find(h, "spoofed-local-sender", "198.51.100.7");
    CHECK(f != NULL && count_of(f, "messages") == 1 && f->severity == MSL_FSEV_HIGH);
    CHECK(has_note(h, "trusted clients as given (site context"));
    msl_hunt_free(h);
}

static void t_caps_noted(void)
{
    struct msl_hunt *h = hunt_only("sender-login-mismatch", NULL, 0,
                                   (struct msl_hunt_opts){.max_keys = 1});
    struct msl_message a = msg("K1", HOUR, "192.0.2.1", "u1@x.test", "v@x.test");
    struct msl_message b = msg("K2", HOUR, "192.0.2.1", "u2@x.test", "v@x.test");
    msl_hunt_message(h, &a);
    msl_hunt_message(h, &b);
    msl_hunt_message(h, &a);
    msl_hunt_finish(h);
    CHECK_INT(nfindings(h), 1);
    CHECK(find(h, "sender-login-mismatch", "u1@x.test") != NULL);
    CHECK(has_note(h, "sender-login-mismatch: more than 1 users; 1 messages not judged"));
    msl_hunt_free(h);
}

static void t_rules_keys(void)
{
    struct msl_rules *r = msl_rules_new();
    char err[512];
    CHECK_INT(msl_rules_get(r, "bulk-campaign", "min_rcpts"), 100);
    CHECK_INT(msl_rules_get(r, "bulk-campaign", "fail_pct"), 30);
    CHECK_INT(msl_rules_get(r, "tls-downgrade", "memory"), 30 * 86400);
    CHECK_INT(msl_rules_get(r, "unauthorized-relay-path", "gateway_pct"), 90);
    CHECK(msl_rules_set(r, "policy-fail-protected", "softfail", "2", err, sizeof err) != MSL_OK);
    CHECK(msl_rules_set(r, "tls-downgrade", "memory", "7d", err, sizeof err) == MSL_OK);
    CHECK_INT(msl_rules_get(r, "tls-downgrade", "memory"), 7 * 86400);
    msl_rules_free(r);
}

int main(void)
{
    RUN(t_mismatch_matching);
    RUN(t_policy_claimed_domains);
    RUN(t_bulk_window_and_last_attempt);
    RUN(t_blocklist_reply_only_outbound);
    RUN(t_tls_downgrade_memory);
    RUN(t_spoof_trust);
    RUN(t_caps_noted);
    RUN(t_rules_keys);
    for (size_t i = 0; i < npool; i++)
        free(pool[i]);
    return unit_done("t_detect_policy");
}
