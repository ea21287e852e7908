/* t_postfix.c - the Postfix dialect on real lines: claims, kinds and key fields. */
#include "mailsleuth/dialect.h"
#include "model/event_kv.h"
#include "unit.h"

static struct msl_event ev;
static const char *why;

static int parse(const char *prog, const char *msg)
{
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, strlen(prog)};
    env.msg = (struct msl_str){msg, strlen(msg)};
    env.pid = 1;
    msl_event_clear(&ev);
    why = NULL;
    return msl_dialect_postfix.parse(&env, &ev, &why);
}

static int claims(const char *prog)
{
    const struct msl_dialect *d = msl_dialect_for_program((struct msl_str){prog, strlen(prog)});
    return d == &msl_dialect_postfix;
}

static void t_claims(void)
{
    CHECK(claims("postfix/smtpd"));
    CHECK(claims("postfix-in/smtpd"));
    CHECK(claims("postfix/submission/smtpd"));
    CHECK(claims("postfix-170.55.103.23/smtp"));
    CHECK(claims("postfix/amavis-reinject/smtpd"));
    CHECK(claims("postfix-script"));
    CHECK(claims("postfix"));
    CHECK(claims("mailout/smtp"));
    CHECK(!claims("smtpd"));
    CHECK(!claims("dovecot"));
    CHECK(!claims("amavis"));
    CHECK(!claims("dovecot/lmtp"));       /* Dovecot's own tag, not a syslog_name */
    CHECK(!claims("postfix/policy-spf")); /* spawn(8)'s SPF daemon logs its own lines */
    CHECK(msl_dialect_for_program((struct msl_str){"postfix/policy-spf", 18}) ==
          msl_dialect_by_name("policyd-spf"));
    CHECK(msl_dialect_by_name("postfix") == &msl_dialect_postfix);
    CHECK(msl_dialect_by_name("no-such-dialect") == NULL);
    CHECK(msl_dialects()[0] == &msl_dialect_postfix);
}

static void t_tag_split(void)
{
    CHECK(parse("postfix-in/amavis-reinject/smtpd", "connect from a.example[192.0.2.1]"));
    CHECK_VIEW(ev.daemon, "smtpd");
    CHECK_VIEW(ev.service, "amavis-reinject");
    CHECK_VIEW(ev.mta, "postfix");
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK(parse("postfix/smtpd", "connect from a.example[192.0.2.1]"));
    CHECK(ev.service.p == NULL);
}

static void t_smtpd(void)
{
    CHECK(parse("postfix/smtpd", "disconnect from unknown[192.0.2.7] ehlo=1 mail=1 rcpt=0/1 "
                                 "data=0/1 quit=1 commands=3/5"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.client_ip, "192.0.2.7");
    CHECK_VIEW(ev.text, "ehlo=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=3/5");

    CHECK(parse("postfix/submission/smtpd",
                "4104E3D: client=unknown[192.0.2.9]:4711, sasl_method=PLAIN, "
                "sasl_username=alice@example.org"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "4104E3D");
    CHECK_INT(ev.client_port, 4711);
    CHECK_VIEW(ev.sasl_method, "PLAIN");
    CHECK_VIEW(ev.sasl_user, "alice@example.org");

    CHECK(parse("postfix/smtpd", "NOQUEUE: reject: RCPT from x.example[192.0.2.3]: 550 5.1.1 "
                                 "<bob@example.com>: Recipient address rejected: User unknown; "
                                 "from=<> to=<bob@example.com> proto=ESMTP helo=<x.example>"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK(ev.flags & MSL_EVF_NOQUEUE);
    CHECK(ev.qid.p == NULL);
    CHECK_VIEW(ev.stage, "RCPT");
    CHECK_VIEW(ev.code, "550");
    CHECK_VIEW(ev.dsn, "5.1.1");
    CHECK(ev.from.p != NULL && ev.from.n == 0); /* null sender */
    CHECK_VIEW(ev.to, "bob@example.com");
    CHECK_VIEW(ev.helo, "x.example");

    CHECK(parse("postfix/smtpd", "warning: unknown[192.0.2.5]: SASL LOGIN authentication "
                                 "failed: UGFzc3dvcmQ6"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_method, "LOGIN");
    CHECK_VIEW(ev.client_ip, "192.0.2.5");
    CHECK_INT(ev.severity, MSL_SEV_WARNING);

    CHECK(parse("postfix/smtpd", "lost connection after DATA (7774180 bytes) from "
                                 "unknown[192.0.2.8]"));
    CHECK_VIEW(ev.stage, "DATA");
    CHECK_VIEW(ev.detail, "lost connection");
    CHECK_INT(ev.count, 7774180);

    CHECK(parse("postfix/smtpd", "Anonymous TLS connection established from a.example"
                                 "[192.0.2.2]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
                                 "(256/256 bits)"));
    CHECK_INT(ev.kind, MSL_EV_TLS);
    CHECK_VIEW(ev.tls, "TLSv1.3");
    CHECK_VIEW(ev.tls_cipher, "TLS_AES_256_GCM_SHA384");
}

static void t_delivery(void)
{
    CHECK(parse("postfix/smtp", "3mPVKl0Mhjz7sXv: to=<a@example.org>, relay=mx.example.org"
                                "[192.0.2.21]:25, conn_use=2, delay=1.2, delays=0.76/0.01/0.09/"
                                "0.34, tls=may:none, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
                                "queued as 153053D)"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_INT(ev.qid_time / 1000000, 1436100731);
    CHECK_VIEW(ev.relay_host, "mx.example.org");
    CHECK_INT(ev.relay_port, 25);
    CHECK(ev.delay > 1.19 && ev.delay < 1.21);
    CHECK(ev.delays[0] > 0.759 && ev.delays[0] < 0.761 && ev.delays[3] > 0.339);
    CHECK_VIEW(ev.tls, "may:none");
    CHECK_VIEW(ev.new_qid, "153053D");
    CHECK_VIEW(ev.text, "250 2.0.0 Ok: queued as 153053D");

    CHECK(parse("postfix/local", "2A22C263F6: to=user@host.example, orig_to=root@localhost, "
                                 "relay=local, delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, "
                                 "status=sent (forwarded as 3mLQKK4rDdz7sVS)"));
    CHECK_INT(ev.status, MSL_ST_FORWARDED);
    CHECK_VIEW(ev.to, "user@host.example");
    CHECK_VIEW(ev.orig_to, "root@localhost");

    CHECK(parse("postfix/qmgr", "585BC3F: from=<>, status=expired, returned to sender"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_EXPIRED);

    CHECK(parse("postfix/qmgr", "0F5383D: from=<a@b.example>, size=5360, nrcpt=1 (queue "
                                "active)"));
    CHECK_INT(ev.kind, MSL_EV_SENDER);
    CHECK_INT(ev.size, 5360);
    CHECK_INT(ev.nrcpt, 1);

    CHECK(parse("postfix/smtp", "connect to mx.example[192.0.2.4]:25: Connection timed out"));
    CHECK_INT(ev.kind, MSL_EV_CONN_FAIL);
    CHECK_VIEW(ev.text, "Connection timed out");
}

static void t_other_daemons(void)
{
    CHECK(parse("postfix/bounce", "17CCA8044: sender non-delivery notification: ADD2F8052"));
    CHECK_INT(ev.kind, MSL_EV_DSN_CREATED);
    CHECK_VIEW(ev.new_qid, "ADD2F8052");
    CHECK(parse("postfix/postsuper", "Deleted: 115 messages"));
    CHECK_INT(ev.kind, MSL_EV_QUEUE_ADMIN);
    CHECK_VIEW(ev.detail, "Deleted");
    CHECK_INT(ev.count, 115);
    CHECK(parse("postfix/postscreen", "PREGREET 6 after 1.2 from [192.0.2.72]:43421: RSET"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.detail, "PREGREET");
    CHECK_INT(ev.client_port, 43421);
    CHECK(parse("postfix/master", "daemon started -- version 3.7.1, configuration /etc/postfix"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(parse("postfix/anvil", "statistics: max connection rate 1/60s for (smtpd:192.0.2.86) "
                                 "at Oct 26 18:13:50"));
    CHECK_INT(ev.kind, MSL_EV_STATS);
    CHECK_INT(ev.count, 1);
    CHECK_VIEW(ev.client_ip, "192.0.2.86");
    CHECK(parse("postfix/cleanup", "warning: 9BECF3F19D: sender_canonical_maps map lookup "
                                   "problem for a@example.com"));
    CHECK_INT(ev.kind, MSL_EV_WARNING);
    CHECK_VIEW(ev.qid, "9BECF3F19D");
    CHECK(parse("postfix/sendmail", "fatal: root(0): message file too big"));
    CHECK_INT(ev.kind, MSL_EV_ERROR);
    CHECK_INT(ev.severity, MSL_SEV_FATAL);
}

static void t_unparsed(void)
{
    CHECK(!parse("postfix/smtpd", "something nobody logs"));
    CHECK_STR(why, "postfix/smtpd: unrecognised message");
    CHECK(!parse("postfix/qmgr", "FGHIJ67890: removed"));
    CHECK_STR(why, "postfix: malformed queue id");
    CHECK(!parse("postfix/smtpd", ""));
    CHECK(!parse("postfix/smtp", "to="));
}

static void t_kv_format(void)
{
    char buf[512];
    CHECK(parse("postfix/smtpd", "NOQUEUE: reject: RCPT from x[192.0.2.3]: 554 5.7.1 "
                                 "Service \"x\"; from=<> proto=SMTP"));
    int n = msl_event_format_kv(&ev, buf, sizeof buf);
    CHECK(n > 0 && (size_t)n < sizeof buf);
    CHECK_STR(buf, "kind=REJECT from=\"\" client_host=x client_ip=192.0.2.3 proto=SMTP "
                   "dsn=5.7.1 action=reject stage=RCPT code=554 text=\"Service \\\"x\\\"\" "
                   "noqueue=1");
    char small[8];
    CHECK(msl_event_format_kv(&ev, small, sizeof small) > 7);
    CHECK_INT(strlen(small), 7);
}

int main(void)
{
    RUN(t_claims);
    RUN(t_tag_split);
    RUN(t_smtpd);
    RUN(t_delivery);
    RUN(t_other_daemons);
    RUN(t_unparsed);
    RUN(t_kv_format);
    return unit_done("t_postfix");
}
