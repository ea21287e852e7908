/* t_qmail.c - the qmail dialect (splogger, tcpserver, rblsmtpd; corpora/qmail/samples.log and
 * FORMATS.md section 7) and the qmail-multilog format (TAI64N stamps, delivery-id linking). */
#include <stdlib.h>

#include "mailsleuth/dialect.h"
#include "mailsleuth/format.h"
#include "unit.h"

static struct msl_event ev;
static const char *why;
static char *buf;

static int parse(const char *prog, const char *msg)
{
    size_t n = strlen(msg);
    free(buf);
    buf = malloc(n ? n : 1);
    memcpy(buf, msg, n);
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, strlen(prog)};
    env.msg = (struct msl_str){buf, n};
    env.pid = -1;
    msl_event_clear(&ev);
    ev.ts = 42;
    ev.flags = MSL_EVF_LOCAL_TIME | MSL_EVF_YEAR_GUESS;
    why = NULL;
    return msl_dialect_qmail.parse(&env, &ev, &why);
}

static const struct msl_dialect *claimer(const char *prog)
{
    return msl_dialect_for_program((struct msl_str){prog, strlen(prog)});
}

static void t_claims(void)
{
    static const char *const yes[] = {"qmail", "qmail-send", "qmail-smtpd", "tcpserver",
                                      "rblsmtpd", "splogger"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(claimer(yes[i]) == &msl_dialect_qmail);
    CHECK(claimer("qmail-scanner") != &msl_dialect_qmail);
    CHECK(claimer("qmai") != &msl_dialect_qmail);
    CHECK(msl_dialect_by_name("qmail") == &msl_dialect_qmail);
}

static void t_send(void)
{
    CHECK(parse("qmail", "new msg 53"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "53");
    CHECK_VIEW(ev.mta, "qmail");
    CHECK_VIEW(ev.daemon, "qmail-send");
    CHECK_INT(ev.ts, 42); /* no splogger stamp: the syslog one stays */
    CHECK(parse("qmail", "info msg 53: bytes 246 from <me@domain> qp 20345 uid 666"));
    CHECK_INT(ev.kind, MSL_EV_SENDER);
    CHECK_VIEW(ev.from, "me@domain");
    CHECK_INT(ev.size, 246);
    CHECK_VIEW(ev.uid, "666");
    CHECK_VIEW(ev.detail, "20345");
    CHECK(parse("qmail", "info msg 54: bytes 743 from <> qp 20357 uid 666"));
    CHECK(ev.from.p != NULL && ev.from.n == 0);
    CHECK(parse("qmail", "starting delivery 4: msg 53 to remote me@wherever"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.qid, "53");
    CHECK_VIEW(ev.detail, "4");
    CHECK_VIEW(ev.to, "me@wherever");
    CHECK_VIEW(ev.relay_host, "remote");
    CHECK(parse("qmail", "delivery 2: failure: No_such_address.__#5.1.1_/"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_BOUNCED);
    CHECK(ev.qid.n == 0);
    CHECK_VIEW(ev.detail, "2");
    CHECK_VIEW(ev.dsn, "5.1.1");
    CHECK_VIEW(ev.text, "No such address.  #5.1.1");
    CHECK(parse("qmail", "delivery 1: success: did_1+0+0/"));
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.text, "did 1+0+0");
    CHECK(parse("qmail", "delivery 7: success: 192.0.2.5_accepted_message./"
                         "Remote_host_said:_250_ok_1158133418_qp_2345/"));
    CHECK_VIEW(ev.relay_ip, "192.0.2.5");
    CHECK_VIEW(ev.code, "250");
    CHECK_VIEW(ev.text, "192.0.2.5 accepted message./Remote host said: 250 ok 1158133418 qp 2345");
    CHECK(parse("qmail", "delivery 8: deferral: Sorry,_I_couldn't_find_any_host_named_x.y._"
                         "(#5.1.2)/"));
    CHECK_INT(ev.status, MSL_ST_DEFERRED);
    CHECK_VIEW(ev.dsn, "5.1.2");
    CHECK(parse("qmail", "delivery 245: failure: Unable_to_run_qmail-remote./"));
    CHECK_VIEW(ev.text, "Unable to run qmail-remote.");
    CHECK(parse("qmail", "bounce msg 53 qp 20357"));
    CHECK_INT(ev.kind, MSL_EV_DSN_CREATED);
    CHECK_VIEW(ev.detail, "20357");
    CHECK(parse("qmail", "end msg 53"));
    CHECK_INT(ev.kind, MSL_EV_QUEUE_REMOVED);
    CHECK(parse("qmail", "triple bounce: discarding bounce/61"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.qid, "61");
    CHECK(parse("qmail", "status: local 1/10 remote 2/20"));
    CHECK_INT(ev.kind, MSL_EV_STATS);
    CHECK_INT(ev.count, 3);
    CHECK_VIEW(ev.detail, "local 1/10 remote 2/20");
    CHECK(parse("qmail", "status: exiting"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(parse("qmail", "alert: unable to append to bounce message; HELP! sleeping..."));
    CHECK_INT(ev.kind, MSL_EV_ERROR);
    CHECK(!parse("qmail", "new msg x53"));
    CHECK(!parse("qmail", "delivery 3: maybe: x"));
    CHECK(!parse("qmail", "something else"));
    CHECK(why != NULL);
}

static void t_splogger(void)
{
    CHECK(parse("qmail", "1158133418.123456 new msg 12345"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_INT(ev.ts, 1158133418123456LL);
    CHECK_INT(ev.flags & (MSL_EVF_LOCAL_TIME | MSL_EVF_YEAR_GUESS), 0);
    CHECK_VIEW(ev.qid, "12345");
    CHECK(parse("qmail", "1157520813.485077 rblsmtpd: 198.51.100.77 pid 19597 "
                         "sbl-xbl.spamhaus.org: 451 "
                         "http://www.spamhaus.org/query/bl?ip=198.51.100.77"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "CONNECT");
    CHECK_VIEW(ev.client_ip, "198.51.100.77");
    CHECK_INT(ev.pid, 19597);
    CHECK_VIEW(ev.code, "451");
    CHECK_VIEW(ev.detail, "sbl-xbl.spamhaus.org");
    CHECK_VIEW(ev.daemon, "rblsmtpd");
    CHECK(parse("qmail", "1157519909.633171 qmail-smtpd: 421 badiprbl: ip 198.51.100.54 rbl: "
                         "example.com"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.client_ip, "198.51.100.54");
    CHECK_VIEW(ev.code, "421");
    CHECK(parse("qmail", "1158133418.123456+rest of a long line"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.text, "rest of a long line");
}

static void t_ucspi(void)
{
    CHECK(parse("tcpserver", "status: 1/40"));
    CHECK_INT(ev.kind, MSL_EV_STATS);
    CHECK_INT(ev.count, 1);
    CHECK(parse("tcpserver", "pid 123 from 1.2.3.4"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_INT(ev.pid, 123);
    CHECK_VIEW(ev.client_ip, "1.2.3.4");
    CHECK(parse("tcpserver", "ok 123 mx.example:192.0.2.1:25 client.example:1.2.3.4::4567"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_INT(ev.pid, 123);
    CHECK_VIEW(ev.client_host, "client.example");
    CHECK_VIEW(ev.client_ip, "1.2.3.4");
    CHECK_INT(ev.client_port, 4567);
    CHECK(parse("tcpserver", "ok x Local:127.0.0.1:50016 localhost:127.0.0.1::x"));
    CHECK_INT(ev.pid, -1);
    CHECK_VIEW(ev.client_ip, "127.0.0.1");
    CHECK(parse("tcpserver", "deny 124 mx:192.0.2.1:25 :1.2.3.5::4568"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.client_ip, "1.2.3.5");
    CHECK(parse("tcpserver", "end 123 status 0"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.text, "status 0");
    CHECK(parse("rblsmtpd", "127.0.0.2 pid x: 553 Blackholed - see <URL:http://x/>"));
    CHECK_VIEW(ev.code, "553");
    CHECK(parse("rblsmtpd", "relays.ordb.org blocked 193.111.120.47 ordb-test.null.dk -"));
    CHECK_VIEW(ev.client_ip, "193.111.120.47");
    CHECK_VIEW(ev.detail, "relays.ordb.org");
    CHECK(!parse("tcpserver", "pid abc from 1.2.3.4"));
    CHECK(!parse("rblsmtpd", "garbage"));
}

/* --- the multilog format ---------------------------------------------------------------- */

struct cap {
    int n;
    struct msl_event last;
    char qid[32], to[64];
};

static int on_emit(void *ctx, struct msl_event *e)
{
    struct cap *c = ctx;
    c->n++;
    c->last = *e;
    snprintf(c->qid, sizeof c->qid, "%.*s", (int)e->qid.n, e->qid.p ? e->qid.p : "");
    snprintf(c->to, sizeof c->to, "%.*s", (int)e->to.n, e->to.p ? e->to.p : "");
    return 0;
}

static int ml(void *st, struct cap *c, const char *line)
{
    size_t n = strlen(line);
    free(buf);
    buf = malloc(n ? n : 1);
    memcpy(buf, line, n);
    struct msl_line ln = {.p = buf, .n = n, .lineno = 1};
    struct msl_emitter em = {c, on_emit};
    why = NULL;
    return msl_format_qmail_multilog.line(st, &ln, &em, &why);
}

static void t_multilog(void)
{
    const struct msl_format *f = msl_format_by_name("qmail-multilog");
    CHECK(f == &msl_format_qmail_multilog);
    CHECK(msl_formats()[0] == &msl_format_syslog);
    struct msl_str good[] = {MSL_STR_LIT("@4000000068a1b2c3d4e5f607 new msg 53"),
                             MSL_STR_LIT("@4000000068a1b2c3d4e5f608 end msg 53")};
    struct msl_str bad[] = {MSL_STR_LIT("Aug 17 10:45:13 mx qmail: new msg 53"),
                            MSL_STR_LIT("@40000000zza1b2c3d4e5f608 end msg 53")};
    CHECK(f->detect(good, 2) > 50);
    CHECK(f->detect(bad, 2) == 0);
    CHECK(f->detect(good, 0) == 0);

    struct msl_format_src src = {0};
    void *st = f->open(&src);
    CHECK(st != NULL);
    struct cap c = {0};
    /* 0x68a1b2c3 - 10 = 1755427513 = 2025-08-17T10:45:13Z; 0xd4e5f607 ns (>= 1e9) clamps */
    CHECK(ml(st, &c, "@4000000068a1b2c3d4e5f607 new msg 53") == 1);
    CHECK_INT(c.last.ts, 1755427513999999LL);
    CHECK(ml(st, &c, "@4000000068a1b2c3075bcd15 new msg 53") == 1);
    CHECK_INT(c.last.ts, 1755427513123456LL);
    CHECK_INT(c.last.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(c.last.program, "qmail-send");
    CHECK(ml(st, &c, "@4000000068a1b2c3075bcd15 starting delivery 9: msg 53 to remote a@b.c") == 1);
    CHECK(ml(st, &c, "@4000000068a1b2c4075bcd15 starting delivery 10: msg 54 to local d@e") == 1);
    CHECK(ml(st, &c, "@4000000068a1b2c5075bcd15 delivery 9: success: "
                     "1.2.3.4_accepted_message./") == 1);
    CHECK_INT(c.last.kind, MSL_EV_DELIVERY);
    CHECK_STR(c.qid, "53");
    CHECK_STR(c.to, "a@b.c");
    CHECK_VIEW(c.last.relay_host, "remote");
    /* a result is linked once; an unknown id keeps qid empty */
    CHECK(ml(st, &c, "@4000000068a1b2c5075bcd15 delivery 9: success: again/") == 1);
    CHECK_STR(c.qid, "");
    CHECK(ml(st, &c, "@4000000068a1b2c5075bcd15 delivery 1033: deferral: x/") == 1);
    CHECK_STR(c.qid, "");
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd15 delivery 10: failure: No_mailbox_here/") == 1);
    CHECK_STR(c.qid, "54");
    CHECK_VIEW(c.last.relay_host, "local");
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd15 tcpserver: pid 77 from 1.2.3.4") == 1);
    CHECK_INT(c.last.kind, MSL_EV_CONNECT);
    CHECK_VIEW(c.last.program, "tcpserver");
    CHECK_INT(c.last.pid, 77);
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd15 nosuchprog: hello") == 0);
    CHECK(why && strstr(why, "nosuchprog") != NULL);
    CHECK(ml(st, &c, "no label here") == 0);
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd1") == 0);
    CHECK(ml(st, &c, "") == 0);
    /* the map is bounded: many starts never grow it, and never crash */
    char line[128];
    for (int i = 1; i < 5000; i++) {
        snprintf(line, sizeof line, "@4000000068a1b2c6075bcd15 starting delivery %d: msg %d "
                                    "to local u%d@x", i, i, i);
        ml(st, &c, line);
    }
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd15 delivery 4999: success: ok/") == 1);
    CHECK_STR(c.qid, "4999");
    CHECK(ml(st, &c, "@4000000068a1b2c6075bcd15 delivery 100: success: ok/") == 1);
    CHECK_STR(c.qid, ""); /* slot reused by 100 + k*1024 */
    f->close(st);
}

int main(void)
{
    RUN(t_claims);
    RUN(t_send);
    RUN(t_splogger);
    RUN(t_ucspi);
    RUN(t_multilog);
    free(buf);
    return unit_done("t_qmail");
}
