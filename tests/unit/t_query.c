/*
 * t_query.c - the search language (include/mailsleuth/query.h, lib/query/).
 *
 * Table-driven: each row is an expression and the expected match for every hand-built
 * record of one type.  The records carry values from tests/corpus/postfix/maillog (alice,
 * 127.0.0.1, the null-sender bounce 5E0A2A721C6, sasl users) plus an IPv6 milter reject.
 * Error rows give the expected 1-based column and a piece of the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/query.h"
#include "unit.h"
#include "mailsleuth/calendar.h"
#include "query/query_int.h"

/* records hold char *; -Wwrite-strings makes literals const */
#define S(lit) ((char *)(uintptr_t)(lit))
#define US(s) ((int64_t)(s) * 1000000)
static int64_t day_utc(int y, int m, int d)
{
    return msl_days_from_civil(y, m, d) * 86400;
}

static struct msl_tz *utc;

/* ---- records ---- */

static struct msl_delivery dl_a[2], dl_b[1];
static struct msl_action_rec act_c[1];
static struct msl_message msgs[3];
static struct msl_auth_rec auths_1[2];
static struct msl_reject_rec rej_2[1];
static char *qids_1[1];
static struct msl_session sess[2];
static struct msl_event evs[3];

static void build(void)
{
    /* A: authenticated submission, one sent, one deferred */
    dl_a[0] = (struct msl_delivery){.to = S("bob@example.test"), .relay_host = S("local"),
                                    .dsn = S("2.0.0"), .status = MSL_ST_SENT,
                                    .text = S("delivered to mailbox")};
    dl_a[1] = (struct msl_delivery){.to = S("carol@Partner.Test"), .orig_to = S("c@alias.test"),
                                    .relay_host = S("mx.partner.test"), .relay_ip = S("192.0.2.25"),
                                    .dsn = S("4.4.1"), .status = MSL_ST_DEFERRED,
                                    .text = S("connect to mx.partner.test[192.0.2.25]:25: "
                                              "Connection refused")};
    struct msl_message *a = &msgs[0];
    a->host = S("mx1");
    a->qid = S("91DEFA721E5");
    a->client_host = S("localhost");
    a->client_ip = S("127.0.0.1");
    a->helo = S("client.example.test");
    a->sasl_user = S("alice@example.test");
    a->from = S("alice@example.test");
    a->size = 1661;
    a->nrcpt = 2;
    a->msgid = S("in1.1@mail.partner.test");
    a->deliveries = dl_a;
    a->ndeliveries = 2;
    a->final = MSL_ST_DEFERRED;
    a->first_ts = US(day_utc(2026, 11, 27) + 13 * 3600 + 18 * 60 + 50);

    /* B: the null-sender bounce, relayed to 127.0.0.1 */
    dl_b[0] = (struct msl_delivery){.to = S("eve@partner.test"), .relay_host = S("127.0.0.1"),
                                    .relay_ip = S("127.0.0.1"), .dsn = S("2.0.0"),
                                    .status = MSL_ST_SENT,
                                    .text = S("250 2.0.0 Ok: queued as SINK0001")};
    struct msl_message *b = &msgs[1];
    b->host = S("mx1");
    b->qid = S("5E0A2A721C6");
    b->from = S("");
    b->size = 3107;
    b->nrcpt = 1;
    b->msgid = S("20261127131849.5E0A2A721C6@mx1.example.test");
    b->deliveries = dl_b;
    b->ndeliveries = 1;
    b->final = MSL_ST_SENT;
    b->bounce_of = S("5B7A2A721C3");
    b->first_ts = US(day_utc(2026, 11, 27) + 13 * 3600 + 18 * 60 + 49);

    /* C: a 20 MiB message from IPv6, milter-rejected, the evening before */
    act_c[0] = (struct msl_action_rec){.action = MSL_ACT_MILTER_REJECT,
                                       .stage = S("END-OF-MESSAGE"),
                                       .text = S("5.7.1 Spam message rejected")};
    struct msl_message *c = &msgs[2];
    c->host = S("MX2.example.test");
    c->qid = S("3F1B2A721FF");
    c->client_host = S("unknown");
    c->client_ip = S("2001:db8::5");
    c->from = S("spam@Bad.Example");
    c->size = 20 * 1024 * 1024;
    c->nrcpt = -1;
    c->actions = act_c;
    c->nactions = 1;
    c->end = MSL_END_REJECTED;
    c->final = MSL_ST_NONE;
    c->first_ts = US(day_utc(2026, 11, 26) + 23 * 3600 + 30 * 60);

    /* sessions: 1 = submission with one good and one failed auth; 2 = rejected RCPT */
    auths_1[0] = (struct msl_auth_rec){.ok = 1, .method = S("LOGIN"),
                                       .user = S("alice@example.test")};
    auths_1[1] = (struct msl_auth_rec){.ok = 0, .method = S("LOGIN"), .user = S("bob@example.test"),
                                       .text = S("authentication failure")};
    qids_1[0] = S("91DEFA721E5");
    struct msl_session *s1 = &sess[0];
    s1->host = S("mx1");
    s1->program = S("postfix/submission/smtpd");
    s1->client_host = S("localhost");
    s1->client_ip = S("127.0.0.1");
    s1->helo = S("client.example.test");
    s1->auths = auths_1;
    s1->nauths = 2;
    s1->qids = qids_1;
    s1->nqids = 1;
    s1->start_ts = US(day_utc(2026, 11, 27) + 13 * 3600 + 18 * 60 + 50);
    rej_2[0] = (struct msl_reject_rec){.action = MSL_ACT_REJECT, .stage = S("RCPT"),
                                       .code = S("550"),
                                       .dsn = S("5.1.1"), .from = S("x@spam.test"),
                                       .to = S("nosuchuser@example.test"), .helo = S("spam.test"),
                                       .text = S("<nosuchuser@example.test>: Recipient "
                                                 "address rejected: User unknown in "
                                                 "local recipient table"),
                                       .noqueue = 1};
    struct msl_session *s2 = &sess[1];
    s2->host = S("mx1");
    s2->program = S("postfix/smtpd");
    s2->client_host = S("unknown");
    s2->client_ip = S("203.0.113.7");
    s2->rejects = rej_2;
    s2->nrejects = 1;
    s2->start_ts = US(day_utc(2026, 11, 26) + 8 * 3600);

    /* events: a local delivery, a failed SASL login, qmgr's null-sender line */
    for (int i = 0; i < 3; i++)
        msl_event_clear(&evs[i]);
    evs[0].kind = MSL_EV_DELIVERY;
    evs[0].ts = msgs[0].first_ts;
    evs[0].host = MSL_STR_LIT("mx1");
    evs[0].qid = MSL_STR_LIT("E4A36A721B9");
    evs[0].to = MSL_STR_LIT("alice@example.test");
    evs[0].relay_host = MSL_STR_LIT("local");
    evs[0].dsn = MSL_STR_LIT("2.0.0");
    evs[0].status = MSL_ST_SENT;
    evs[0].text = MSL_STR_LIT("delivered to mailbox");
    evs[1].kind = MSL_EV_AUTH_FAIL;
    evs[1].ts = msgs[0].first_ts;
    evs[1].host = MSL_STR_LIT("mx1");
    evs[1].client_host = MSL_STR_LIT("localhost");
    evs[1].client_ip = MSL_STR_LIT("127.0.0.1");
    evs[1].sasl_method = MSL_STR_LIT("LOGIN");
    evs[1].sasl_user = MSL_STR_LIT("admin@example.test");
    evs[1].text = MSL_STR_LIT("authentication failure");
    evs[2].kind = MSL_EV_SENDER;
    evs[2].ts = msgs[1].first_ts;
    evs[2].host = MSL_STR_LIT("mx1");
    evs[2].qid = MSL_STR_LIT("5E0A2A721C6");
    evs[2].from = MSL_STR_LIT("");
    evs[2].size = 3107;
    evs[2].nrcpt = 1;
}

/* ---- helpers ---- */

static struct msl_query *compile_tz(const char *expr, const struct msl_tz *tz)
{
    struct msl_query *q = NULL;
    char err[256];
    size_t col = 0;
    int rc = msl_query_compile(expr, tz, &q, err, sizeof err, &col);
    if (rc != MSL_OK) {
        fprintf(stderr, "  compile(%s): %s at column %zu\n", expr, err, col);
        unit_failed_checks++;
        return NULL;
    }
    return q;
}

struct row3 {
    const char *expr;
    int want[3];
};

static void run_messages(const struct row3 *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct msl_query *q = compile_tz(rows[i].expr, utc);
        if (!q)
            continue;
        for (int k = 0; k < 3; k++) {
            int got = msl_query_match_message(q, &msgs[k]);
            if (got != rows[i].want[k]) {
                fprintf(stderr, "  message %c: '%s' -> %d, want %d\n", 'A' + k, rows[i].expr,
                        got, rows[i].want[k]);
                unit_failed_checks++;
            }
        }
        msl_query_free(q);
    }
}

/* ---- tests ---- */

static void t_fields(void)
{
    static const struct row3 rows[] = {
        /* addresses, case-insensitive, <> optional */
        {"from:alice@example.test", {1, 0, 0}},
        {"from:ALICE@Example.TEST", {1, 0, 0}},
        {"from:<alice@example.test>", {1, 0, 0}},
        {"from:<>", {0, 1, 0}},
        {"from:\"\"", {0, 1, 0}},
        {"from:*", {1, 1, 1}},
        {"to:bob@example.test", {1, 0, 0}},
        {"to:carol@partner.test", {1, 0, 0}},
        {"to:c@alias.test", {1, 0, 0}},
        {"to:eve@*", {0, 1, 0}},
        {"rcpt-domain:partner.test", {1, 1, 0}},
        {"rcpt-domain:@PARTNER.test", {1, 1, 0}},
        {"rcpt-domain:*.test", {1, 1, 0}},
        {"from-domain:bad.example", {0, 0, 1}},
        {"from-domain:*", {1, 0, 1}},
        /* client side */
        {"ip:127.0.0.1", {1, 0, 0}},
        {"client:localhost", {1, 0, 0}},
        {"client:UNKNOWN", {0, 0, 1}},
        {"user:alice@example.test", {1, 0, 0}},
        {"user:*", {1, 0, 0}},
        {"helo:client.example.test", {1, 0, 0}},
        {"host:mx1", {1, 1, 0}},
        {"host:mx2.EXAMPLE.test", {0, 0, 1}},
        /* ids */
        {"msgid:in1.1@mail.partner.test", {1, 0, 0}},
        {"msgid:<in1.1@mail.partner.test>", {1, 0, 0}},
        {"msgid:*@mx1.example.test", {0, 1, 0}},
        {"qid:5E0A2A721C6", {0, 1, 0}},
        {"qid:5e0a2a721c6", {0, 1, 0}},
        /* deliveries */
        {"status:sent", {1, 1, 0}},
        {"status:deferred", {1, 0, 0}},
        {"status:bounced", {0, 0, 0}},
        {"status:rejected", {0, 0, 1}},
        {"status:SENT", {1, 1, 0}},
        {"status:def*", {1, 0, 0}},
        {"final:deferred", {1, 0, 0}},
        {"final:sent", {0, 1, 0}},
        {"final:rejected", {0, 0, 1}},
        {"relay:local", {1, 0, 0}},
        {"relay:192.0.2.25", {1, 0, 0}},
        {"relay:mx.*", {1, 0, 0}},
        {"dsn:4.*", {1, 0, 0}},
        {"dsn:2.0.0", {1, 1, 0}},
        {"text:refused", {1, 0, 0}},
        {"text:\"connection REFUSED\"", {1, 0, 0}},
        {"text:\"queued as SINK*\"", {0, 1, 0}},
        {"text:spam", {0, 0, 1}},
        /* fields that do not apply to messages never match */
        {"kind:DELIVERY", {0, 0, 0}},
        {"NOT kind:DELIVERY", {1, 1, 1}},
        /* barewords */
        {"alice@example.test", {1, 0, 0}},
        {"5E0A2A721C6", {0, 1, 0}},
        {"127.0.0.1", {1, 0, 0}},
        {"2001:db8::5", {0, 0, 1}},
        {"2001:db8::/32", {0, 0, 1}},
        {"\"unknown\"", {0, 0, 1}},
        {"*@partner.test", {1, 1, 0}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);
}

static void t_operators(void)
{
    static const struct row3 rows[] = {
        {"from:alice@example.test AND status:sent", {1, 0, 0}},
        {"from:alice@example.test and status:sent", {1, 0, 0}},
        {"from:alice@example.test && status:sent", {1, 0, 0}},
        {"from:alice@example.test status:sent", {1, 0, 0}},
        {"from:<> OR ip:127.0.0.1", {1, 1, 0}},
        {"from:<> or ip:127.0.0.1", {1, 1, 0}},
        {"from:<> || ip:127.0.0.1", {1, 1, 0}},
        {"NOT status:sent", {0, 0, 1}},
        {"not status:sent", {0, 0, 1}},
        {"!status:sent", {0, 0, 1}},
        {"-status:sent", {0, 0, 1}},
        {"NOT NOT status:sent", {1, 1, 0}},
        /* precedence: a OR b c == a OR (b AND c) */
        {"from:<> OR host:mx1 status:deferred", {1, 1, 0}},
        {"from:<> OR (host:mx1 status:deferred)", {1, 1, 0}},
        {"(from:<> OR host:mx1) status:deferred", {1, 0, 0}},
        {"host:mx1 status:deferred OR from:<>", {1, 1, 0}},
        /* NOT binds tighter than AND */
        {"NOT from:<> host:mx1", {1, 0, 0}},
        {"NOT (from:<> host:mx1)", {1, 0, 1}},
        {"((((status:rejected))))", {0, 0, 1}},
        {"(status:sent)(from:<>)", {0, 1, 0}},
        {"ip:203.0.113.0/24 NOT status:sent", {0, 0, 0}},
        {"a OR b OR c OR alice@example.test", {1, 0, 0}},
        {"size>10m rcpt-domain:*.example.com", {0, 0, 0}},
        {"size>10m", {0, 0, 1}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);
}

static void t_wildcards(void)
{
    static const struct row3 rows[] = {
        {"from:a*", {1, 0, 0}},
        {"from:*test", {1, 0, 0}},
        {"from:*@*", {1, 0, 1}},
        {"from:*ice@*.test", {1, 0, 0}},
        {"from:?lice@example.test", {1, 0, 0}},
        {"from:??lice@example.test", {0, 0, 0}},
        {"from:alice@example.tes?", {1, 0, 0}},
        {"from:alice@example.tes", {0, 0, 0}},
        {"from:*alice*", {1, 0, 0}},
        {"from:***alice***", {1, 0, 0}},
        {"from:*a*a*a*a*a*a*a*a*a*a*a*a*a*b", {0, 0, 0}},
        {"from:\\*", {0, 0, 0}},
        {"from:\"*\"", {1, 1, 1}},
        {"ip:127.0.0.*", {1, 0, 0}},
        {"ip:2001:db8:*", {0, 0, 1}},
        {"msgid:in?.?@*", {1, 0, 0}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);
}

/* The obvious recursive matcher, exponential but right: the reference for wildcard.c. */
static int ref_match(const char *p, const char *s)
{
    if (!*p)
        return !*s;
    if (*p == '*')
        return ref_match(p + 1, s) || (*s && ref_match(p, s + 1));
    if (!*s)
        return 0;
    char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
    return (*p == '?' || *p == c) && ref_match(p + 1, s + 1);
}

/* Every pattern over {a, b, ?, *} up to 7 long and 3000 random values: the same verdict. */
static void t_wildcard_reference(void)
{
    static const char alpha[] = "ab?*";
    unsigned seed = 17, bad = 0, tried = 0;
    char pat[8], val[16], first[64] = "";
    for (unsigned len = 0; len <= 7; len++) {
        unsigned total = 1;
        for (unsigned i = 0; i < len; i++)
            total *= 4;
        for (unsigned code = 0; code < total; code++) {
            unsigned c = code;
            uint16_t cells[8], toks[12];
            int32_t fails[12];
            char lits[12];
            for (unsigned i = 0; i < len; i++, c /= 4) {
                pat[i] = alpha[c % 4];
                cells[i] = pat[i] == '*' ? Q_STAR : pat[i] == '?' ? Q_QMARK : (uint16_t)pat[i];
            }
            pat[len] = '\0';
            struct q_pat qp;
            q_pat_compile(&qp, cells, len, 0, lits, toks, fails);
            for (int k = 0; k < 40; k++) {
                seed = seed * 1103515245u + 12345u;
                unsigned n = (seed >> 16) % 12;
                for (unsigned i = 0; i < n; i++) {
                    seed = seed * 1103515245u + 12345u;
                    val[i] = "abA"[(seed >> 16) % 3];
                }
                val[n] = '\0';
                tried++;
                if (q_pat_match(&qp, val, n) != ref_match(pat, val) && bad++ == 0)
                    snprintf(first, sizeof first, "'%s' vs '%s'", pat, val);
            }
        }
    }
    if (bad)
        fprintf(stderr, "  %u of %u differ, first %s\n", bad, tried, first);
    CHECK_INT(bad, 0);
    CHECK(tried > 600000);
}

static void t_cidr(void)
{
    static const struct row3 rows[] = {
        {"ip:127.0.0.0/8", {1, 0, 0}},
        {"ip:127.0.0.1/32", {1, 0, 0}},
        {"ip:127.0.0.2/32", {0, 0, 0}},
        {"ip:127.0.0.2/31", {0, 0, 0}},
        {"ip:127.0.0.0/31", {1, 0, 0}},
        {"ip:0.0.0.0/0", {1, 0, 0}},
        {"ip:::/0", {0, 0, 1}},
        {"ip:2001:db8::/32", {0, 0, 1}},
        {"ip:2001:db8::5/128", {0, 0, 1}},
        {"ip:2001:db8::4/128", {0, 0, 1 - 1}},
        {"ip:2001:db8::4/126", {0, 0, 1}},
        {"ip:2001:DB8::5", {0, 0, 1}},
        {"ip:2001:db9::/32", {0, 0, 0}},
        {"ip:10.0.0.0/8", {0, 0, 0}},
        /* mismatched family never matches */
        {"ip:::ffff:0:0/96", {0, 0, 0}},
        {"NOT ip:0.0.0.0/0", {0, 1, 1}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);

    /* a v4-mapped IPv6 client is compared as IPv4 */
    struct msl_message m = msgs[0];
    m.client_ip = S("::ffff:192.0.2.7");
    struct msl_query *q = compile_tz("ip:192.0.2.0/24", utc);
    if (q) {
        CHECK(msl_query_match_message(q, &m));
        msl_query_free(q);
    }
    m.client_ip = S("not an ip");
    q = compile_tz("ip:0.0.0.0/0", utc);
    if (q) {
        CHECK(!msl_query_match_message(q, &m));
        msl_query_free(q);
    }
}

static void t_numbers(void)
{
    static const struct row3 rows[] = {
        {"size>1000", {1, 1, 1}},
        {"size>=1661", {1, 1, 1}},
        {"size>1661", {0, 1, 1}},
        {"size<1661", {0, 0, 0}},
        {"size<=1661", {1, 0, 0}},
        {"size=3107", {0, 1, 0}},
        {"size:3107", {0, 1, 0}},
        {"size>3k", {0, 1, 1}},
        {"size>3K", {0, 1, 1}},
        {"size<2k", {1, 0, 0}},
        {"size=20m", {0, 0, 1}},
        {"size>=20M", {0, 0, 1}},
        {"size<1g", {1, 1, 1}},
        {"size>1g", {0, 0, 0}},
        {"nrcpt>1", {1, 0, 0}},
        {"nrcpt=1", {0, 1, 0}},
        /* absent (-1) never matches, NOT turns that into a match */
        {"nrcpt<100", {1, 1, 0}},
        {"NOT nrcpt<100", {0, 0, 1}},
        {"size>=0", {1, 1, 1}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);
}

static void t_times(void)
{
    static const struct row3 rows[] = {
        {"since:2026-11-27", {1, 1, 0}},
        {"until:2026-11-27", {0, 0, 1}},
        {"since:2026-11-26 until:2026-11-27", {0, 0, 1}},
        {"since:2026-11-27T13:18", {1, 1, 0}},
        {"since:2026-11-27T13:18:50", {1, 0, 0}},
        {"until:2026-11-27T13:18:50", {0, 1, 1}},
        {"since:2026-11-27T13:18:49.5", {1, 0, 0}},
        {"since:\"2026-11-27 13:18:49\"", {1, 1, 0}},
        {"since:2026-11-27T14:18:50+01:00", {1, 0, 0}},
        {"since:2026-11-27T14:18:50+0100", {1, 0, 0}},
        {"since:2026-11-27T13:18:50Z", {1, 0, 0}},
        {"since:2026-11-27T08:18:50-05:00", {1, 0, 0}},
        {"until:2026-11-27T00:31+01:00", {0, 0, 1}},
        {"until:2026-11-27T00:30+01:00", {0, 0, 0}}, /* exclusive */
        {"user:alice@example.test AND status:sent since:2026-11-27", {1, 0, 0}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);

    /* zone-less values use the zone given to compile */
    struct msl_tz *plus1 = msl_tz_load("+01:00");
    CHECK(plus1 != NULL);
    if (plus1) {
        struct msl_query *q = compile_tz("since:2026-11-27T14:18:50", plus1);
        if (q) {
            CHECK(msl_query_match_message(q, &msgs[0]));
            CHECK(!msl_query_match_message(q, &msgs[1]));
            msl_query_free(q);
        }
        q = compile_tz("since:2026-11-27", plus1); /* 2026-11-26T23:00Z */
        if (q) {
            CHECK(msl_query_match_message(q, &msgs[2]));
            msl_query_free(q);
        }
        msl_tz_free(plus1);
    }
    struct msl_tz *berlin = msl_tz_load("Europe/Berlin");
    if (berlin) {
        struct msl_query *q = compile_tz("until:2026-11-27T00:31", berlin); /* 23:31Z */
        if (q) {
            CHECK(msl_query_match_message(q, &msgs[2]));
            msl_query_free(q);
        }
        q = compile_tz("until:2026-11-27T00:29", berlin);
        if (q) {
            CHECK(!msl_query_match_message(q, &msgs[2]));
            msl_query_free(q);
        }
        msl_tz_free(berlin);
    }
    /* NULL zone = UTC */
    struct msl_query *q = compile_tz("since:2026-11-27T13:18:50", NULL);
    if (q) {
        CHECK(msl_query_match_message(q, &msgs[0]));
        CHECK(!msl_query_match_message(q, &msgs[1]));
        msl_query_free(q);
    }
}

static void t_time_bounds(void)
{
    int64_t s = -1, u = -1;
    struct msl_query *q = compile_tz("since:2026-11-26 since:2026-11-27 until:2026-11-28 "
                                     "until:2026-11-29 from:x",
                                     utc);
    if (q) {
        msl_query_time_bounds(q, &s, &u);
        CHECK_INT(s, US(day_utc(2026, 11, 27)));
        CHECK_INT(u, US(day_utc(2026, 11, 28)));
        msl_query_free(q);
    }
    q = compile_tz("since:2026-11-27", utc);
    if (q) {
        msl_query_time_bounds(q, &s, &u);
        CHECK_INT(s, US(day_utc(2026, 11, 27)));
        CHECK_INT(u, 0);
        msl_query_free(q);
    }
    /* ANDed inside parentheses still bounds */
    q = compile_tz("(since:2026-11-27 from:x) (until:2026-11-28 OR from:y)", utc);
    if (q) {
        msl_query_time_bounds(q, &s, &u);
        CHECK_INT(s, US(day_utc(2026, 11, 27)));
        CHECK_INT(u, 0);
        msl_query_free(q);
    }
    /* under OR or NOT a time is no bound */
    q = compile_tz("since:2026-11-27 OR from:<>", utc);
    if (q) {
        msl_query_time_bounds(q, &s, &u);
        CHECK_INT(s, 0);
        CHECK_INT(u, 0);
        msl_query_free(q);
    }
    q = compile_tz("NOT until:2026-11-27 from:x", utc);
    if (q) {
        msl_query_time_bounds(q, &s, &u);
        CHECK_INT(s, 0);
        CHECK_INT(u, 0);
        msl_query_free(q);
    }
}

static void t_sessions(void)
{
    static const struct {
        const char *expr;
        int want[2];
    } rows[] = {
        {"ip:127.0.0.1", {1, 0}},
        {"ip:203.0.113.0/24", {0, 1}},
        {"ip:203.0.113.0/24 NOT status:sent", {0, 1}},
        {"client:localhost", {1, 0}},
        {"user:alice@example.test", {1, 0}},
        {"user:bob@*", {1, 0}},
        {"host:MX1", {1, 1}},
        {"helo:client.example.test", {1, 0}},
        {"helo:spam.test", {0, 1}},
        {"status:rejected", {0, 1}},
        {"status:authfail", {1, 0}},
        {"status:sent", {0, 0}},
        {"text:\"user unknown\"", {0, 1}},
        {"to:nosuchuser@example.test", {0, 1}},
        {"rcpt-domain:example.test", {0, 1}},
        {"from-domain:spam.test", {0, 1}},
        {"dsn:5.1.1", {0, 1}},
        {"qid:91DEFA721E5", {1, 0}},
        {"since:2026-11-27", {1, 0}},
        {"until:2026-11-27", {0, 1}},
        {"size>0", {0, 0}},
        {"nrcpt>0", {0, 0}},
        {"kind:CONNECT", {0, 0}},
        {"final:sent", {0, 0}},
        {"msgid:*", {0, 0}},
        {"alice@example.test", {1, 0}},
        {"203.0.113.7", {0, 1}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct msl_query *q = compile_tz(rows[i].expr, utc);
        if (!q)
            continue;
        for (int k = 0; k < 2; k++) {
            int got = msl_query_match_session(q, &sess[k]);
            if (got != rows[i].want[k]) {
                fprintf(stderr, "  session %d: '%s' -> %d, want %d\n", k + 1, rows[i].expr,
                        got, rows[i].want[k]);
                unit_failed_checks++;
            }
        }
        msl_query_free(q);
    }
}

static void t_events(void)
{
    static const struct row3 rows[] = {
        {"kind:DELIVERY", {1, 0, 0}},
        {"kind:delivery", {1, 0, 0}},
        {"kind:auth-fail", {1 - 1, 1, 0}},
        {"kind:auth_*", {0, 1, 0}},
        {"kind:SENDER OR kind:DELIVERY", {1, 0, 1}},
        {"status:sent", {1, 0, 0}},
        {"status:authfail", {0, 1, 0}},
        {"to:alice@example.test", {1, 0, 0}},
        {"alice@example.test", {1, 0, 0}},
        {"user:admin@example.test", {0, 1, 0}},
        {"ip:127.0.0.0/8", {0, 1, 0}},
        {"client:localhost", {0, 1, 0}},
        {"from:<>", {0, 0, 1}},
        {"from:*", {0, 0, 1}},
        {"qid:E4A36A721B9", {1, 0, 0}},
        {"relay:local", {1, 0, 0}},
        {"dsn:2.*", {1, 0, 0}},
        {"text:failure", {0, 1, 0}},
        {"size=3107 nrcpt=1", {0, 0, 1}},
        {"host:mx1", {1, 1, 1}},
        {"since:2026-11-27T13:18:50", {1, 1, 0}},
        {"final:sent", {0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct msl_query *q = compile_tz(rows[i].expr, utc);
        if (!q)
            continue;
        for (int k = 0; k < 3; k++) {
            int got = msl_query_match_event(q, &evs[k]);
            if (got != rows[i].want[k]) {
                fprintf(stderr, "  event %d: '%s' -> %d, want %d\n", k + 1, rows[i].expr, got,
                        rows[i].want[k]);
                unit_failed_checks++;
            }
        }
        msl_query_free(q);
    }
}

static void t_errors(void)
{
    static const struct {
        const char *expr;
        size_t col;
        const char *msg;
    } rows[] = {
        {"", 1, "empty expression"},
        {"   ", 1, "empty expression"},
        {"form:alice", 1, "unknown field 'form' (did you mean 'from'?)"},
        {"status:sent formm:x", 13, "unknown field 'formm' (did you mean 'from'?)"},
        {"rcptdomain:x", 1, "did you mean 'rcpt-domain'?"},
        {"zzzzzz:x", 1, "unknown field 'zzzzzz'"},
        {"from:", 1, "missing value for 'from'"},
        {"a from: b", 3, "missing value for 'from'"},
        {"size>", 1, "missing value for 'size'"},
        {"size>10x", 6, "bad number '10x'"},
        {"size>-1", 6, "bad number"},
        {"size>99999999999999999999", 6, "bad number"},
        {"size>9999999999999999g", 6, "bad number"},
        {"nrcpt>=k", 8, "bad number"},
        {"size>1*", 6, "bad number"},
        {"from>3", 1, "field 'from' takes ':'"},
        {"ip:300.0.0.1", 4, "bad IP address '300.0.0.1'"},
        {"ip:localhost", 4, "bad IP address"},
        {"ip:10.0.0.0/33", 4, "bad CIDR prefix length"},
        {"ip:2001:db8::/129", 4, "bad CIDR prefix length"},
        {"ip:10.0.0.0/", 4, "bad CIDR"},
        {"ip:10.0.0.0/x", 4, "bad CIDR"},
        {"ip:10.*/8", 4, "bad CIDR"},
        {"since:2026-13-01", 7, "bad time"},
        {"since:2026-02-30", 7, "bad time"},
        {"until:yesterday", 7, "bad time"},
        {"since:2026-11-27T25:00", 7, "bad time"},
        {"status:sentt", 8, "unknown status 'sentt' (did you mean 'sent'?)"},
        {"kind:DELIVERYY", 6, "unknown kind"},
        {"(from:x", 1, "'(' is never closed"},
        {"a (b (c)", 3, "'(' is never closed"},
        {"from:x)", 7, "')' without '('"},
        {"a ) b", 3, "')' without '('"},
        {")", 1, "')' without '('"},
        {"()", 1, "empty parentheses"},
        {"from:\"abc", 6, "unterminated quoted string"},
        {"\"abc", 1, "unterminated quoted string"},
        {"from:\"abc\"def", 11, "trailing junk after quoted string"},
        {"a AND", 3, "'AND' needs a term after it"},
        {"a OR", 3, "'OR' needs a term after it"},
        {"a AND OR b", 3, "'AND' needs a term after it"},
        {"OR a", 1, "'OR' needs a term before it"},
        {"AND", 1, "'AND' needs a term before it"},
        {"NOT", 1, "'NOT' needs a term after it"},
        {"a NOT )", 3, "'NOT' needs a term after it"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct msl_query *q = (struct msl_query *)(uintptr_t)1;
        char err[256] = "x";
        size_t col = 0;
        int rc = msl_query_compile(rows[i].expr, utc, &q, err, sizeof err, &col);
        if (rc != MSL_EPARSE || q != NULL || col != rows[i].col ||
            strstr(err, rows[i].msg) == NULL) {
            fprintf(stderr, "  '%s': rc %d col %zu err \"%s\"; want col %zu \"%s\"\n",
                    rows[i].expr, rc, col, err, rows[i].col, rows[i].msg);
            unit_failed_checks++;
        }
    }
    /* a tiny buffer truncates but still terminates; NULL err and errcol are fine */
    char small[8];
    struct msl_query *q = NULL;
    CHECK_INT(msl_query_compile("form:x", utc, &q, small, sizeof small, NULL), MSL_EPARSE);
    CHECK_INT(strlen(small), 7);
    CHECK_INT(msl_query_compile("form:x", utc, &q, NULL, 0, NULL), MSL_EPARSE);
    CHECK(q == NULL);
}

static void t_depth(void)
{
    char buf[400];
    size_t k = 0;
    for (int i = 0; i < 64; i++)
        buf[k++] = '(';
    buf[k++] = 'x';
    for (int i = 0; i < 64; i++)
        buf[k++] = ')';
    buf[k] = '\0';
    struct msl_query *q = compile_tz(buf, utc);
    CHECK(q != NULL);
    msl_query_free(q);

    k = 0;
    for (int i = 0; i < 65; i++)
        buf[k++] = '(';
    buf[k++] = 'x';
    for (int i = 0; i < 65; i++)
        buf[k++] = ')';
    buf[k] = '\0';
    char err[128];
    size_t col = 0;
    q = NULL;
    CHECK_INT(msl_query_compile(buf, utc, &q, err, sizeof err, &col), MSL_EPARSE);
    CHECK_INT(col, 65);
    CHECK(strstr(err, "nesting too deep") != NULL);

    /* NOT counts as a level too; "!!!!..." 65 deep */
    memset(buf, '!', 65);
    memcpy(buf + 65, "x", 2);
    CHECK_INT(msl_query_compile(buf, utc, &q, err, sizeof err, &col), MSL_EPARSE);
    CHECK_INT(col, 65);
    memcpy(buf + 64, "x", 2); /* 64 NOTs: fine, even count = x */
    q = compile_tz(buf, utc);
    if (q) {
        CHECK(!msl_query_match_message(q, &msgs[0]));
        msl_query_free(q);
    }

    /* a long flat chain is not nesting: 5000 ORed terms compile and evaluate */
    size_t cap = 5000 * 9 + 32;
    char *big = malloc(cap);
    CHECK(big != NULL);
    if (!big)
        return;
    k = 0;
    for (int i = 0; i < 5000; i++) {
        memcpy(big + k, "qid:x OR ", 9);
        k += 9;
        if (k + 16 > cap)
            break;
    }
    memcpy(big + k, "qid:5E0A2A721C6", 16);
    q = compile_tz(big, utc);
    if (q) {
        CHECK(msl_query_match_message(q, &msgs[1]));
        CHECK(!msl_query_match_message(q, &msgs[0]));
        msl_query_free(q);
    }
    free(big);
}

static void t_quoting(void)
{
    static const struct row3 rows[] = {
        {"text:\"Connection refused\"", {1, 0, 0}},
        {"text:\"queued as\"", {0, 1, 0}},
        {"text:connection\\ refused", {1, 0, 0}},
        {"text:\"5.7.1 Spam\"", {0, 0, 1}},
        {"FROM:\"alice@example.test\"", {1, 0, 0}},
        {"Status:Sent", {1, 1, 0}},
        {"\"alice@example.test\"", {1, 0, 0}},
        {"text:\"say \\\"hi\\\"\"", {0, 0, 0}},
        {"from:\"\\\\\"", {0, 0, 0}},
        {"  from:<>  ", {0, 1, 0}},
        {"\tfrom:<>\n", {0, 1, 0}},
    };
    run_messages(rows, sizeof rows / sizeof rows[0]);

    /* escapes really decode: a sender with a quote, a star and a backslash */
    struct msl_message m = msgs[0];
    m.from = S("a\"b*c\\d");
    struct msl_query *q = compile_tz("from:\"a\\\"b\\*c\\\\d\"", utc);
    if (q) {
        CHECK(msl_query_match_message(q, &m));
        CHECK(!msl_query_match_message(q, &msgs[0]));
        msl_query_free(q);
    }
    q = compile_tz("from:a\"b\\*c\\\\d", utc); /* unquoted: quote is literal mid-word */
    if (q) {
        CHECK(msl_query_match_message(q, &m));
        msl_query_free(q);
    }
    m.from = S("axxbxxc");
    q = compile_tz("from:\"a\\*b\"", utc); /* escaped star is literal */
    if (q) {
        CHECK(!msl_query_match_message(q, &m));
        msl_query_free(q);
    }
}

static void t_null_args(void)
{
    CHECK(!msl_query_match_message(NULL, &msgs[0]));
    CHECK(!msl_query_match_session(NULL, &sess[0]));
    CHECK(!msl_query_match_event(NULL, &evs[0]));
    msl_query_free(NULL);
    int64_t s = 7, u = 7;
    msl_query_time_bounds(NULL, &s, &u);
    CHECK_INT(s, 0);
    CHECK_INT(u, 0);
    struct msl_query *q = NULL;
    CHECK(msl_query_compile(NULL, utc, &q, NULL, 0, NULL) != MSL_OK);
}

int main(void)
{
    utc = msl_tz_load("UTC");
    if (!utc) {
        fprintf(stderr, "no UTC zone\n");
        return 1;
    }
    build();
    RUN(t_fields);
    RUN(t_operators);
    RUN(t_wildcards);
    RUN(t_wildcard_reference);
    RUN(t_cidr);
    RUN(t_numbers);
    RUN(t_times);
    RUN(t_time_bounds);
    RUN(t_sessions);
    RUN(t_events);
    RUN(t_errors);
    RUN(t_depth);
    RUN(t_quoting);
    RUN(t_null_args);
    msl_tz_free(utc);
    return unit_done("t_query");
}
