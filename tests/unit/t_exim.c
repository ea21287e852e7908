/* t_exim.c - the Exim dialect and the exim-mainlog format on real lines: claims, message ids
 * of both generations and their decoded time, kinds and key fields, bounce links, paniclog,
 * rejectlog continuations and format detection. */
#include "dialect/exim_int.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"

static struct msl_event ev;
static const char *why;

static int parse(const char *msg)
{
    struct msl_envelope env = {0};
    env.program = MSL_STR_LIT("exim");
    env.msg = (struct msl_str){msg, strlen(msg)};
    env.pid = -1;
    msl_event_clear(&ev);
    why = NULL;
    return msl_dialect_exim.parse(&env, &ev, &why);
}

/* The mainlog format: collects up to 4 events of one line. */
static struct msl_event got[4];
static int ngot;

static int collect(void *ctx, struct msl_event *e)
{
    (void)ctx;
    if (ngot < 4)
        got[ngot++] = *e;
    return 0;
}

static int mainlog(const char *name, const char *line)
{
    static struct msl_tz *tz;
    if (!tz)
        tz = msl_tz_load("UTC");
    struct msl_format_src src = {.tz = tz, .name = name};
    void *st = msl_format_exim.open(&src);
    struct msl_line ln = {.p = line, .n = strlen(line), .lineno = 1};
    struct msl_emitter em = {NULL, collect};
    ngot = 0;
    why = NULL;
    int r = msl_format_exim.line(st, &ln, &em, &why);
    msl_format_exim.close(st);
    return r;
}

static void t_claims(void)
{
    CHECK(msl_dialect_for_program(MSL_STR_LIT("exim")) == &msl_dialect_exim);
    CHECK(msl_dialect_for_program(MSL_STR_LIT("exim4")) == &msl_dialect_exim);
    CHECK(msl_dialect_for_program(MSL_STR_LIT("eximstats")) != &msl_dialect_exim);
    CHECK(msl_dialect_by_name("exim") == &msl_dialect_exim);
    CHECK(msl_format_by_name("exim-mainlog") == &msl_format_exim);
    CHECK(msl_formats()[0] == &msl_format_syslog);
}

static void t_ids(void)
{
    int64_t t = 0;
    /* FORMATS.md 5.2: 1RwtJa = 10:39:22 UTC (old generation, 1/2000 s fraction) */
    CHECK_INT(msl_exim_id("1RwtJa-0001kT-Ab", 16, &t), 1);
    CHECK_INT(t / 1000000 % 86400, 10 * 3600 + 39 * 60 + 22);
    CHECK_INT(t % 1000000, (10 * 62 + 37) * 500);
    /* 4.97+: 23 chars, 11 pid chars, 4 chars of microseconds */
    CHECK_INT(msl_exim_id("1smkL5-00000000e65-24eQ", 23, &t), 2);
    CHECK_INT(t % 1000000, ((2 * 62 + 4) * 62 + 40) * 62 + 26);
    CHECK_INT(msl_exim_id("10HmaX-000000005vi-0000", 23, NULL), 2);
    CHECK_INT(msl_exim_id("1RwtJa-0001kT-A", 15, NULL), 0);
    CHECK_INT(msl_exim_id("1RwtJa_0001kT-Ab", 16, NULL), 0);
    CHECK_INT(msl_exim_id("1RwtJa-0001kT-A!", 16, NULL), 0);
    CHECK_INT(msl_exim_id("1smkL5-0000000e65-24eQa", 23, NULL), 0); /* 10 pid chars */
    CHECK_INT(msl_exim_id("1smkL5-00000000e65-24e", 22, NULL), 0);
}

static void t_arrival(void)
{
    CHECK(parse("2026-11-27 13:14:15 1RwtJa-0001kT-Ab <= alice@example.org "
                "H=mail.example.org (helo.example.org) [192.0.2.10]:41234 I=[198.51.100.1]:25 "
                "P=esmtpsa A=dovecot_plain:alice X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
                "S=4711 id=abc@example.org T=\"hi there\""));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "1RwtJa-0001kT-Ab");
    CHECK(ev.qid_time > 0);
    CHECK_VIEW(ev.from, "alice@example.org");
    CHECK_VIEW(ev.client_host, "mail.example.org");
    CHECK_VIEW(ev.helo, "helo.example.org");
    CHECK_VIEW(ev.client_ip, "192.0.2.10");
    CHECK_INT(ev.client_port, 41234);
    CHECK_VIEW(ev.proto, "esmtpsa");
    CHECK_VIEW(ev.sasl_method, "dovecot_plain");
    CHECK_VIEW(ev.sasl_user, "alice");
    CHECK_VIEW(ev.tls, "TLS1.3");
    CHECK_INT(ev.size, 4711);
    CHECK_VIEW(ev.msgid, "abc@example.org");
    CHECK_VIEW(ev.text, "hi there");
    CHECK_INT(ev.nrcpt, -1);
    /* null sender */
    CHECK(parse("1RwtJa-0001kT-Ab <= <> R=1RwtJ9-0001kS-00 U=Debian-exim P=local S=2345"));
    CHECK(ev.from.p != NULL);
    CHECK_INT(ev.from.n, 0);
    CHECK_VIEW(ev.detail, "1RwtJ9-0001kS-00");
}

static void t_deliveries(void)
{
    CHECK(parse("1RwtJa-0001kT-Ab => bob@example.net <b@example.org> R=dnslookup T=remote_smtp "
                "H=mx1.example.net [203.0.113.5]:25 X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 "
                "CV=yes C=\"250 OK id=1smkL5-00000000e65-24eQ\" DT=1m2s"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.to, "bob@example.net");
    CHECK_VIEW(ev.orig_to, "b@example.org");
    CHECK_VIEW(ev.relay_host, "mx1.example.net");
    CHECK_VIEW(ev.relay_ip, "203.0.113.5");
    CHECK_INT(ev.relay_port, 25);
    CHECK_VIEW(ev.daemon, "remote_smtp");
    CHECK_VIEW(ev.service, "dnslookup");
    CHECK_VIEW(ev.code, "250");
    CHECK_VIEW(ev.new_qid, "1smkL5-00000000e65-24eQ");
    CHECK_VIEW(ev.text, "250 OK id=1smkL5-00000000e65-24eQ");
    CHECK_INT((int)ev.delay, 62);
    CHECK_INT(ev.dsn.n, 0);
    CHECK(parse("1RwtJa-0001kT-Ab -> c@example.net R=r T=t C=\"250 2.0.0 Ok: queued as 4ZxY\""));
    CHECK_VIEW(ev.new_qid, "4ZxY");
    CHECK(parse("1RwtJa-0001kT-Ab >> userx@domain.com P=<CALLER@myhost.test.ex> R=all T=smtp "
                "H=127.0.0.1 [127.0.0.1] C=\"250 OK\""));
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.from, "CALLER@myhost.test.ex");
    CHECK(parse("1RwtJa-0001kT-Ab *> accept <accept@y> R=accept T=appendfile"));
    CHECK_VIEW(ev.detail, "*>");
    CHECK(parse("16aiQz-0002Q5-00 == marvin@endrest.example R=dnslookup T=smtp defer (146): "
                "Connection refused"));
    CHECK_INT(ev.status, MSL_ST_DEFERRED);
    CHECK_VIEW(ev.text, "defer (146): Connection refused");
    CHECK(parse("17SXDU-000189-00 ** ace400@pb.example R=dnslookup T=remote_smtp: SMTP error from "
                "remote mailer after pipelined RCPT TO:<ace400@pb.example>: "
                "host pbmail3.py.example [192.168.63.111]: 553 5.3.0 "
                "<ace400@pb.example>...Addressee unknown"));
    CHECK_INT(ev.status, MSL_ST_BOUNCED);
    CHECK_VIEW(ev.relay_ip, "192.168.63.111");
    CHECK_VIEW(ev.code, "553");
    CHECK(parse("16ZCW1-0005MB-00 Completed QT=2s"));
    CHECK_INT(ev.kind, MSL_EV_QUEUE_REMOVED);
    CHECK_INT((int)ev.delay, 2);
}

static void t_session(void)
{
    CHECK(parse("H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 "
                "F=menacedsj04@listserv.eurasia.org rejected RCPT dir@ml3.ru: "
                "relay not permitted"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "RCPT");
    CHECK_VIEW(ev.to, "dir@ml3.ru");
    CHECK_VIEW(ev.from, "menacedsj04@listserv.eurasia.org");
    CHECK_VIEW(ev.client_ip, "202.132.70.178");
    CHECK_VIEW(ev.text, "relay not permitted");
    CHECK(parse("dovecot_login authenticator failed for (User) [194.169.175.1]:21298 "
                "I=[22.33.44.55]:465 Ci=30416: 535 Incorrect authentication data "
                "(set_id=uaf589@example.com)"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_method, "dovecot_login");
    CHECK_VIEW(ev.sasl_user, "uaf589@example.com");
    CHECK_VIEW(ev.client_ip, "194.169.175.1");
    CHECK_VIEW(ev.code, "535");
    CHECK(parse("SMTP protocol synchronization error (input sent without waiting for greeting): "
                "rejected connection from H=[211.148.195.192]:25936 I=[1.2.3.4]:25 "
                "input=\"GET / HTTP/1.1\\r\\n\""));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "CONNECT");
    CHECK_VIEW(ev.client_ip, "211.148.195.192");
    CHECK_VIEW(ev.text, "GET / HTTP/1.1\\r\\n");
    /* the HELO and the quoted command are client text: the last H= wins */
    CHECK(parse("SMTP protocol error in \"aUtH lOgIn\" H=(test) [8.8.8.8]\" H=(roxzgj) "
                "[192.0.2.6] AUTH command used when not advertised"));
    CHECK_VIEW(ev.client_ip, "192.0.2.6");
    CHECK(parse("SMTP connection from [10.101.1.10]:55010 (TCP/IP connection count = 1)"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_INT(ev.count, 1);
    CHECK(parse("no MAIL in SMTP connection from www3005.sakura.ne.jp [49.212.207.15]:28890 "
                "I=[172.89.0.6]:25 D=21s C=EHLO,STARTTLS"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.text, "EHLO,STARTTLS");
    CHECK_INT((int)ev.delay, 21);
    CHECK(parse("Start queue run: pid=12762"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(!parse("something Exim never says"));
    CHECK(why != NULL);
}

static void t_format(void)
{
    /* bounce arrival: RECEIVED + DSN_CREATED linking the original */
    CHECK_INT(mainlog("mainlog", "2026-11-27 13:20:02.100 +0100 [4244] "
                                 "1xWuvq-0000000016S-0Pkm <= <> R=1xWuvn-0000000016Q-2kDZ "
                                 "U=Debian-exim P=local S=2345"),
              2);
    CHECK_INT(got[0].kind, MSL_EV_RECEIVED);
    CHECK_INT(got[0].ts, 1795782002100000LL); /* 12:20:02.1 UTC */
    CHECK_INT(got[0].pid, 4244);
    CHECK(!(got[0].flags & MSL_EVF_LOCAL_TIME));
    CHECK_INT(got[1].kind, MSL_EV_DSN_CREATED);
    CHECK_VIEW(got[1].qid, "1xWuvn-0000000016Q-2kDZ");
    CHECK_VIEW(got[1].new_qid, "1xWuvq-0000000016S-0Pkm");
    CHECK_VIEW(got[1].mta, "exim");
    /* zone-less stamp: the source zone, flagged */
    CHECK_INT(mainlog("mainlog", "2026-11-27 13:30:00 Start queue run: pid=5000"), 1);
    CHECK(got[0].flags & MSL_EVF_LOCAL_TIME);
    /* paniclog */
    CHECK_INT(mainlog("/var/log/exim4/paniclog", "2026-11-27 15:00:00 failed to open x"), 1);
    CHECK_INT(got[0].kind, MSL_EV_ERROR);
    CHECK_INT(got[0].severity, MSL_SEV_PANIC);
    CHECK_VIEW(got[0].text, "failed to open x");
    /* syslog-shaped line in a mainlog */
    CHECK_INT(mainlog("mainlog", "mail.example.com exim[3751842]: 2021-07-17 23:20:49 "
                                 "plain_server authenticator failed for ([192.0.2.17]) "
                                 "[192.0.2.27]: 535 Incorrect authentication data"),
              1);
    CHECK_VIEW(got[0].host, "mail.example.com");
    CHECK_INT(got[0].pid, 3751842);
    CHECK_INT(mainlog("mainlog", "no stamp at all"), 0);
    CHECK(why != NULL);
}

static void t_detect(void)
{
    struct msl_str ml[3] = {MSL_STR_LIT("2026-11-27 13:30:00 Start queue run: pid=5000"),
                            MSL_STR_LIT("2026-11-27 13:30:01 1xWuvq-000000-00 Completed"),
                            MSL_STR_LIT("2026-11-27 13:30:02 End queue run: pid=5000")};
    struct msl_str sy[2] = {MSL_STR_LIT("2026-11-27 13:30:00 mx1 postfix/smtpd[1]: connect"),
                            MSL_STR_LIT("Nov 27 13:30:00 mx1 exim[1]: Start queue run")};
    CHECK(msl_format_exim.detect(ml, 3) > 60);
    CHECK(msl_format_exim.detect(sy, 2) == 0);
    CHECK(msl_format_exim.detect(ml, 0) == 0);
}

int main(void)
{
    RUN(t_claims);
    RUN(t_ids);
    RUN(t_arrival);
    RUN(t_deliveries);
    RUN(t_session);
    RUN(t_format);
    RUN(t_detect);
    return unit_done("t_exim");
}
