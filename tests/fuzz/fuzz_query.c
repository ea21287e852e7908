/*
 * fuzz_query.c - libFuzzer target for the search language (and, with gcc, a corpus replay
 * through tests/fuzz/regression_driver.c).
 *
 * The input, copied to an exact-size NUL-terminated heap block (so ASan sees any read past
 * the end), is compiled as an expression.  When it compiles it is evaluated against a fixed
 * message, session and event, and its time bounds are taken.  Invariants, not just "no
 * crash":
 *   - rc is MSL_OK or MSL_EPARSE (MSL_ENOMEM tolerated), and OK comes with a query;
 *   - an error has a non-empty message and a column in 1 .. strlen + 1, and no query;
 *   - matching is deterministic (same answer twice) and never hangs (the wildcard matcher
 *     is O(pattern * value), nesting is capped at 64).
 * Bytes after an embedded NUL are ignored by compile; that is fine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                   \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                     \
        }                                                                                \
    } while (0)

#define S(lit) ((char *)(uintptr_t)(lit))

static struct msl_tz *zone;
static struct msl_delivery dls[2];
static struct msl_action_rec acts[1];
static struct msl_message msg;
static struct msl_auth_rec auths[1];
static struct msl_reject_rec rejs[1];
static char *qids[1];
static struct msl_session sess;
static struct msl_event ev;

static void setup(void)
{
    zone = msl_tz_load("UTC");
    if (!zone)
        abort();
    dls[0] = (struct msl_delivery){.to = S("alice@example.test"), .relay_host = S("local"),
                                   .dsn = S("2.0.0"), .status = MSL_ST_SENT,
                                   .text = S("delivered to mailbox")};
    dls[1] = (struct msl_delivery){.to = S("bob@Partner.Test"), .orig_to = S("b@alias.test"),
                                   .relay_host = S("mx.partner.test"),
                                   .relay_ip = S("2001:db8::25"), .dsn = S("4.4.1"),
                                   .status = MSL_ST_DEFERRED,
                                   .text = S("connect to mx.partner.test: Connection refused")};
    acts[0] = (struct msl_action_rec){.action = MSL_ACT_REJECT, .text = S("5.7.1 go away")};
    msg.host = S("mx1");
    msg.qid = S("91DEFA721E5");
    msg.client_host = S("localhost");
    msg.client_ip = S("127.0.0.1");
    msg.helo = S("client.example.test");
    msg.sasl_user = S("alice@example.test");
    msg.from = S("");
    msg.size = 1661;
    msg.nrcpt = 2;
    msg.msgid = S("in1.1@mail.partner.test");
    msg.deliveries = dls;
    msg.ndeliveries = 2;
    msg.actions = acts;
    msg.nactions = 1;
    msg.final = MSL_ST_DEFERRED;
    msg.first_ts = INT64_C(1795785530) * 1000000;
    auths[0] = (struct msl_auth_rec){.ok = 0, .user = S("admin@example.test")};
    rejs[0] = (struct msl_reject_rec){.action = MSL_ACT_REJECT, .from = S("x@spam.test"),
                                      .to = S("nosuchuser@example.test"), .dsn = S("5.1.1"),
                                      .text = S("User unknown"), .helo = S("spam.test")};
    qids[0] = S("91DEFA721E5");
    sess.host = S("mx1");
    sess.client_ip = S("::ffff:203.0.113.7");
    sess.client_host = S("unknown");
    sess.auths = auths;
    sess.nauths = 1;
    sess.rejects = rejs;
    sess.nrejects = 1;
    sess.qids = qids;
    sess.nqids = 1;
    sess.start_ts = msg.first_ts;
    msl_event_clear(&ev);
    ev.kind = MSL_EV_DELIVERY;
    ev.ts = msg.first_ts;
    ev.host = MSL_STR_LIT("mx1");
    ev.qid = MSL_STR_LIT("E4A36A721B9");
    ev.from = MSL_STR_LIT("");
    ev.to = MSL_STR_LIT("alice@example.test");
    ev.client_ip = MSL_STR_LIT("2001:db8::5");
    ev.status = MSL_ST_SENT;
    ev.text = MSL_STR_LIT("delivered to mailbox");
    ev.size = 3107;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!zone)
        setup();
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    if (size)
        memcpy(expr, data, size);
    expr[size] = '\0';
    size_t len = strlen(expr);

    struct msl_query *q = NULL;
    char err[128];
    size_t col = 0;
    int rc = msl_query_compile(expr, zone, &q, err, sizeof err, &col);
    if (rc == MSL_OK) {
        FUZZ_ASSERT(q != NULL);
        int m = msl_query_match_message(q, &msg);
        int s = msl_query_match_session(q, &sess);
        int e = msl_query_match_event(q, &ev);
        FUZZ_ASSERT(m == 0 || m == 1);
        FUZZ_ASSERT(s == 0 || s == 1);
        FUZZ_ASSERT(e == 0 || e == 1);
        FUZZ_ASSERT(m == msl_query_match_message(q, &msg));
        FUZZ_ASSERT(s == msl_query_match_session(q, &sess));
        FUZZ_ASSERT(e == msl_query_match_event(q, &ev));
        int64_t since = -1, until = -1;
        msl_query_time_bounds(q, &since, &until);
        msl_query_free(q);
    } else {
        FUZZ_ASSERT(rc == MSL_EPARSE || rc == MSL_ENOMEM);
        FUZZ_ASSERT(q == NULL);
        FUZZ_ASSERT(err[0] != '\0');
        FUZZ_ASSERT(col >= 1 && col <= len + 1);
    }
    free(expr);
    return 0;
}
