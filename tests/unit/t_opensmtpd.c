/* t_opensmtpd.c - the OpenSMTPD dialect on real lines of all three generations (FORMATS.md
 * section 6; corpora/opensmtpd/samples.log): claims, kinds, ids and key fields. */
#include <stdlib.h>

#include "mailsleuth/dialect.h"
#include "unit.h"

static struct msl_event ev;
static const char *why;
static char *buf; /* exact-size copy: ASan catches a read past the message */

static int parse(const char *prog, const char *msg)
{
    size_t n = strlen(msg);
    free(buf);
    buf = malloc(n ? n : 1);
    memcpy(buf, msg, n);
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, strlen(prog)};
    env.msg = (struct msl_str){buf, n};
    env.pid = 75295;
    msl_event_clear(&ev);
    ev.pid = env.pid;
    why = NULL;
    return msl_dialect_opensmtpd.parse(&env, &ev, &why);
}

static const struct msl_dialect *claimer(const char *prog)
{
    return msl_dialect_for_program((struct msl_str){prog, strlen(prog)});
}

static void t_claims(void)
{
    CHECK(claimer("smtpd") == &msl_dialect_opensmtpd);
    CHECK(claimer("transfer") == &msl_dialect_opensmtpd);
    CHECK(claimer("postfix/smtpd") != &msl_dialect_opensmtpd);
    CHECK(claimer("smtpd-x") != &msl_dialect_opensmtpd);
    CHECK(msl_dialect_by_name("opensmtpd") == &msl_dialect_opensmtpd);
    /* a bare "smtpd" tag with a Postfix-shaped message is not OpenSMTPD's */
    CHECK(!parse("smtpd", "connect from unknown[192.0.2.7]"));
    CHECK(why != NULL);
    CHECK(!parse("smtpd", "5df87c903d709659 imap connected address=local"));
    CHECK(!parse("smtpd", "5df87c903d709659 smtp frobnicated address=local"));
    CHECK(!parse("smtpd", ""));
    CHECK(!parse("smtpd", "smtp-in: something new on session 08d856b172f69c5c"));
}

static void t_v64_session(void)
{
    CHECK(parse("smtpd", "5df87c9c42abeddb smtp connected address=127.0.0.1 host=localhost"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_VIEW(ev.client_ip, "127.0.0.1");
    CHECK_VIEW(ev.client_host, "localhost");
    CHECK_VIEW(ev.detail, "5df87c9c42abeddb");
    CHECK_VIEW(ev.daemon, "smtpd");
    CHECK_VIEW(ev.mta, "opensmtpd");
    CHECK_INT(ev.pid, 0x5df87c9c42abeddbLL);
    CHECK(parse("smtpd", "5df87c903d709659 smtp connected address=local host=poolp.org"));
    CHECK(ev.client_ip.p == NULL);
    CHECK_VIEW(ev.client_host, "poolp.org");
    /* top bit cleared: the key stays a valid (non-negative) pid */
    CHECK(parse("smtpd", "ffffffffffffffff smtp connected address=local host=x"));
    CHECK_INT(ev.pid, INT64_MAX);
    CHECK(parse("smtpd", "5df87c903d709659 smtp disconnected reason=quit"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.text, "quit");
    CHECK(ev.detail.n == 0); /* non-empty detail would mean "lost connection" */
    CHECK_INT(ev.pid, 0x5df87c903d709659LL);
    CHECK(parse("smtpd", "5df87c903d709659 smtp disconnected reason=\"io-error: Connection "
                         "reset by peer\""));
    CHECK_VIEW(ev.text, "io-error: Connection reset by peer");
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp tls "
                         "ciphers=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"));
    CHECK_INT(ev.kind, MSL_EV_TLS);
    CHECK_VIEW(ev.tls, "TLSv1.2");
    CHECK_VIEW(ev.tls_cipher, "ECDHE-RSA-AES256-GCM-SHA384");
}

static void t_v64_auth_reject(void)
{
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp authentication user=alice result=ok"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_OK);
    CHECK_VIEW(ev.sasl_user, "alice");
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp authentication user=bob@x result=permfail"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "bob@x");
    CHECK_VIEW(ev.text, "permfail");
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp failed-command command=\"RCPT TO:<x@y.z> \" "
                         "result=\"550 Invalid recipient: <x@y.z>\""));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK_VIEW(ev.stage, "RCPT");
    CHECK_VIEW(ev.to, "x@y.z");
    CHECK_VIEW(ev.code, "550");
    CHECK_VIEW(ev.text, "550 Invalid recipient: <x@y.z>");
    /* a quote inside the command does not end the value */
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp failed-command command=\"MAIL FROM:<\"a b\"@x> \" "
                         "result=\"553 5.1.0 Sender address syntax error\""));
    CHECK_VIEW(ev.stage, "MAIL");
    CHECK_VIEW(ev.dsn, "5.1.0");
    CHECK_VIEW(ev.text, "553 5.1.0 Sender address syntax error");
    CHECK(parse("smtpd", "5df87dbf30ab2c24 smtp failed-command command=\"AUTH PLAIN (...)\" "
                         "result=\"535 Authentication failed"));
    CHECK_VIEW(ev.stage, "AUTH");
    CHECK_VIEW(ev.text, "535 Authentication failed"); /* unterminated: rest of line */
}

static void t_v64_message(void)
{
    CHECK(parse("smtpd", "5df87c903d709659 smtp message msgid=c405e39a size=303 nrcpt=1 "
                         "proto=ESMTP"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "c405e39a");
    CHECK_INT(ev.size, 303);
    CHECK_INT(ev.nrcpt, 1);
    CHECK_VIEW(ev.proto, "ESMTP");
    CHECK(parse("smtpd", "5df87c903d709659 smtp envelope evpid=c405e39ad6bbc64f "
                         "from=<gilles@poolp.org> to=<gilles@poolp.org>"));
    CHECK_INT(ev.kind, MSL_EV_SENDER);
    CHECK_VIEW(ev.qid, "c405e39a");
    CHECK_VIEW(ev.from, "gilles@poolp.org");
    CHECK(parse("smtpd", "5df87c903d709659 smtp envelope evpid=c405e39ad6bbc64f from=<> "
                         "to=<a@b>"));
    CHECK(ev.from.p != NULL && ev.from.n == 0); /* null sender */
    CHECK(parse("smtpd", "5df87c903d709659 smtp envelope evpid=zz from=<> to=<a@b>"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK(!parse("smtpd", "5df87c903d709659 smtp message msgid=nothex size=3"));
}

static void t_v64_delivery(void)
{
    CHECK(parse("smtpd", "5df87c9b982c840c mta delivery evpid=3d4c4a424797fe79 "
                         "from=<gilles@poolp.org> to=<gilles.chehade@gmail.com> rcpt=<-> "
                         "source=\"127.0.0.1\" relay=\"127.0.0.1 (localhost)\" delay=0s "
                         "result=\"Ok\" stat=\"250 2.0.0: f6e94209 Message accepted for "
                         "delivery\""));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_VIEW(ev.qid, "3d4c4a42");
    CHECK_VIEW(ev.to, "gilles.chehade@gmail.com");
    CHECK(ev.orig_to.p == NULL);
    CHECK_VIEW(ev.relay_ip, "127.0.0.1");
    CHECK_VIEW(ev.relay_host, "localhost");
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.new_qid, "f6e94209");
    CHECK_VIEW(ev.dsn, "2.0.0");
    CHECK_VIEW(ev.code, "250");
    CHECK_VIEW(ev.daemon, "mta");
    CHECK(ev.delay == 0);
    CHECK(parse("smtpd", "5df87c9250bba470 mda delivery evpid=c405e39ad6bbc64f "
                         "from=<gilles@poolp.org> to=<gilles@poolp.org> rcpt=<gilles@poolp.org> "
                         "user=gilles delay=1h2m3s result=Ok stat=Delivered"));
    CHECK_VIEW(ev.daemon, "mda");
    CHECK_VIEW(ev.orig_to, "gilles@poolp.org");
    CHECK_VIEW(ev.relay_host, "local");
    CHECK_VIEW(ev.text, "Delivered");
    CHECK(ev.delay == 3723);
    CHECK(parse("smtpd", "5df87c9b982c840c mta delivery evpid=3d4c4a424797fe79 from=<a@b> "
                         "to=<c@d> rcpt=<-> source=\"1.2.3.4\" relay=\"5.6.7.8 (mx.d)\" delay=2s "
                         "result=\"TempFail\" stat=\"421 4.7.0 Try again later\""));
    CHECK_INT(ev.status, MSL_ST_DEFERRED);
    CHECK(parse("smtpd", "5df87c9b982c840c mta delivery evpid=3d4c4a424797fe79 from=<a@b> "
                         "to=<c@d> rcpt=<-> result=\"PermFail\" stat=\"550 5.1.1 No such user\""));
    CHECK_INT(ev.status, MSL_ST_BOUNCED);
    CHECK(parse("smtpd", "5df87c9ffd0e785d mta connecting address=smtp://173.194.76.27:25 "
                         "host=ws-in-f27.1e100.net"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.relay_ip, "173.194.76.27");
    CHECK_INT(ev.relay_port, 25);
    CHECK(parse("smtpd", "5df87c9ffd0e785d mta error reason=Connection refused"));
    CHECK_INT(ev.kind, MSL_EV_CONN_FAIL);
}

static void t_v60(void)
{
    CHECK(parse("smtpd", "smtp event=authentication user=test address=192.168.1.100 "
                         "host=any.host.com result=permfail"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "test");
    CHECK_VIEW(ev.client_ip, "192.168.1.100");
    CHECK_INT(ev.pid, 75295); /* no session id on this line: the syslog pid stays */
    CHECK(parse("smtpd", "2b2b7f6a3c1d4e5f smtp event=message address=192.0.2.1 host=a.b "
                         "msgid=4296f490 from=<a@b> to=<c@d> size=1746 ndest=2 proto=ESMTP"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_INT(ev.nrcpt, 2);
    CHECK_VIEW(ev.from, "a@b");
    CHECK(parse("smtpd", "2b2b7f6a3c1d4e5f smtp event=closed address=192.0.2.1 host=a.b "
                         "reason=quit"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK(parse("smtpd", "2b2b7f6a3c1d4e5f smtp event=starttls address=192.0.2.1 host=a.b "
                         "ciphers=\"version=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, "
                         "bits=256\""));
    CHECK_INT(ev.kind, MSL_EV_TLS);
    CHECK_VIEW(ev.tls, "TLSv1.2");
    CHECK_VIEW(ev.tls_cipher, "ECDHE-RSA-AES256-GCM-SHA384");
}

static void t_v5(void)
{
    CHECK(parse("smtpd", "smtp-in: New session 08d856b172f69c5c from host ix.example.com [local]"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_VIEW(ev.client_host, "ix.example.com");
    CHECK(ev.client_ip.p == NULL);
    CHECK_INT(ev.pid, 0x08d856b172f69c5cLL);
    CHECK(parse("smtpd", "smtp-in: New session 7818378b78e6ffe0 from host localhost [127.0.0.1]"));
    CHECK_VIEW(ev.client_ip, "127.0.0.1");
    CHECK(parse("smtpd", "smtp-in: Accepted message 4296f490 on session 08d856b172f69c5c: "
                         "from=<root@ix.example.com>, to=<ddp@ix.example.com>, size=1746, "
                         "ndest=1, proto=ESMTP"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "4296f490");
    CHECK_VIEW(ev.to, "ddp@ix.example.com");
    CHECK_INT(ev.size, 1746);
    CHECK_VIEW(ev.proto, "ESMTP");
    CHECK(parse("smtpd", "smtp-in: Failed command on session 1f55bdcdf16e28a3: \"MAIL "
                         "FROM:<root@junction.example.com>  \" => 421 4.3.0: Temporary Error"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "MAIL");
    CHECK_VIEW(ev.from, "root@junction.example.com");
    CHECK_VIEW(ev.dsn, "4.3.0");
    CHECK_VIEW(ev.code, "421");
    CHECK(parse("smtpd", "smtp-in: Started TLS on session 427e749c2e46f809: version=TLSv1.2, "
                         "cipher=EDH-RSA-DES-CBC3-SHA, bits=112"));
    CHECK_VIEW(ev.tls_cipher, "EDH-RSA-DES-CBC3-SHA");
    CHECK(parse("smtpd", "smtp-in: Disconnecting session 427e7497e03518ef: IO error: "
                         "No SSL error"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.text, "IO error: No SSL error");
    CHECK(parse("smtpd", "smtp-in: Accepted authentication for user gilles on session "
                         "427e7497e03518ef"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_OK);
    CHECK_VIEW(ev.sasl_user, "gilles");
    CHECK(parse("smtpd", "smtp-in: Authentication temporarily failed for user x on session "
                         "427e7497e03518ef"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.text, "tempfail");
    CHECK(parse("smtpd", "relay: PermFail for 6430369adcce4408: session=7818378a988ca63b, "
                         "from=<meloadik@gmail.com>, to=<kanzer@darkmail.mx>, rcpt=<->, "
                         "source=127.0.0.1, relay=127.0.0.1 (localhost), delay=0s, "
                         "stat=550 Invalid recipient"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_BOUNCED);
    CHECK_VIEW(ev.qid, "6430369a");
    CHECK_VIEW(ev.relay_host, "localhost");
    CHECK_VIEW(ev.text, "550 Invalid recipient");
    CHECK_INT(ev.pid, 0x7818378a988ca63bLL);
    CHECK(parse("transfer", "relay: TempFail for 66251a4092099e2d: from=tXXX@XXXt.com, "
                            "to=XX@XXX.org, relay=88.190.237.114 (mx1.poolp.org), delay=12s, "
                            "stat=451 Temporary failure, please try again later."));
    CHECK_INT(ev.status, MSL_ST_DEFERRED);
    CHECK_VIEW(ev.from, "tXXX@XXXt.com");
    CHECK_VIEW(ev.text, "451 Temporary failure, please try again later.");
    CHECK(ev.delay == 12);
    CHECK(parse("smtpd", "delivery: Ok for 6430369adcce4408: from=<a@b>, to=<c@d>, user=c, "
                         "method=maildir, delay=1s, stat=Delivered"));
    CHECK_VIEW(ev.relay_host, "maildir");
    CHECK_VIEW(ev.daemon, "mda");
    CHECK(parse("transfer", "smtp-out: Error on session 00000016486029f7: Connection closed "
                            "unexpectedly"));
    CHECK_INT(ev.kind, MSL_EV_CONN_FAIL);
    CHECK(parse("smtpd", "smtp-out: Connecting to smtp://127.0.0.1:10025 (localhost) on session "
                         "7818378a988ca63b..."));
    CHECK_INT(ev.relay_port, 10025);
    CHECK_VIEW(ev.relay_host, "localhost");
    CHECK(!parse("smtpd", "relay: Bogus for 6430369adcce4408: from=<a@b>"));
}

static void t_truncated(void)
{
    /* every prefix of real lines: no crash, no read past the end (ASan) */
    static const char *const lines[] = {
        "smtp-in: Failed command on session 1f55bdcdf16e28a3: \"MAIL FROM:<r@j>  \" => 421 x",
        "5df87c9b982c840c mta delivery evpid=3d4c4a424797fe79 from=<a@b> to=<c@d> rcpt=<-> "
        "relay=\"1.2.3.4 (x)\" delay=0s result=\"Ok\" "
        "stat=\"250 2.0.0: f6e94209 Message accepted\"",
        "relay: PermFail for 6430369adcce4408: session=7818378a988ca63b, from=<a>, stat=550 x",
        "smtp-in: New session 08d856b172f69c5c from host ix.example.com [local]",
        "smtp-in: Accepted authentication for user gilles on session 427e7497e03518ef",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        for (size_t k = 0; k <= n; k++) {
            char tmp[512];
            memcpy(tmp, lines[i], k);
            tmp[k] = '\0';
            int r = parse("smtpd", tmp);
            CHECK(r == 0 || r == 1);
            CHECK((r == 0) == (why != NULL));
        }
    }
}

int main(void)
{
    RUN(t_claims);
    RUN(t_v64_session);
    RUN(t_v64_auth_reject);
    RUN(t_v64_message);
    RUN(t_v64_delivery);
    RUN(t_v60);
    RUN(t_v5);
    RUN(t_truncated);
    free(buf);
    return unit_done("t_opensmtpd");
}
