/* t_courier.c - the Courier dialect (courieresmtpd, courierd, delivery modules, courier-imap
 * logins).  fail2ban's courier-smtp and courier-auth sample lines (tests/dialect/courier/
 * SOURCES.md) must each give an AUTH_FAIL or REJECT for the host fail2ban's own test expects. */
#include <stdlib.h>

#include "mailsleuth/dialect.h"
#include "mailsleuth/envelope.h"
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
    why = NULL;
    return msl_dialect_courier.parse(&env, &ev, &why);
}

/* A whole syslog line through the envelope and the dialect its tag selects. */
static int parse_line(const char *line)
{
    static struct msl_tz *tz;
    if (!tz)
        tz = msl_tz_load("UTC");
    struct msl_envelope_parser *ep = msl_envelope_new(tz, 1700000000, 2021);
    struct msl_envelope env;
    const char *ewhy = NULL;
    int ok = 0;
    free(buf);
    size_t n = strlen(line);
    buf = malloc(n);
    memcpy(buf, line, n);
    if (ep && msl_envelope_parse(ep, buf, n, &env, &ewhy) == 0) {
        const struct msl_dialect *d = msl_dialect_for_program(env.program);
        msl_event_clear(&ev);
        why = NULL;
        ok = d == &msl_dialect_courier && d->parse(&env, &ev, &why);
    }
    msl_envelope_free(ep);
    return ok;
}

static const struct msl_dialect *claimer(const char *prog)
{
    return msl_dialect_for_program((struct msl_str){prog, strlen(prog)});
}

static void t_claims(void)
{
    static const char *const yes[] = {"courieresmtpd", "courierd", "authdaemond", "courierlocal",
                                      "courierdeliver", "courieresmtp", "imapd", "imapd-ssl",
                                      "pop3d", "pop3d-ssl", "courierpop3login", "imaplogin",
                                      "courierpop3d", "pop3login"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(claimer(yes[i]) == &msl_dialect_courier);
    CHECK(claimer("imap-login") != &msl_dialect_courier); /* Dovecot's */
    CHECK(claimer("courier") != &msl_dialect_courier);
    CHECK(claimer("imapd-sslx") != &msl_dialect_courier);
    CHECK(claimer("postfix/smtpd") != &msl_dialect_courier);
    CHECK(msl_dialect_by_name("courier") == &msl_dialect_courier);
}

/* fail2ban/tests/files/logs/courier-smtp and courier-auth, with failJSON's "host". */
static void t_fail2ban_hosts(void)
{
    static const struct {
        const char *line, *host, *user;
    } tab[] = {
        {"Apr 10 03:47:57 web courieresmtpd: error,relay=::ffff:1.2.3.4,ident=tmf,"
         "from=<tmf@example.com>,to=<mailman-subscribe@example.com>: 550 User unknown.",
         "1.2.3.4", NULL},
        {"Jul  3 23:07:20 szerver courieresmtpd: error,relay=::ffff:1.2.3.4,"
         "msg=\"535 Authentication failed.\",cmd: YWRvYmVhZG9iZQ==",
         "1.2.3.4", NULL},
        {"Jul  4 18:39:39 mail courieresmtpd: error,relay=::ffff:1.2.3.4,"
         "from=<picaro@astroboymail.com>,to=<user@update.net>: 550 User <benny> unknown",
         "1.2.3.4", NULL},
        {"Jul  6 03:42:28 whistler courieresmtpd: error,relay=::ffff:1.2.3.4,from=<>,"
         "to=<admin at memcpy>: 550 User unknown.",
         "1.2.3.4", NULL},
        {"Nov 21 23:16:17 server courieresmtpd: error,relay=::ffff:1.2.3.4,from=<>,to=<>: "
         "550 User unknown.",
         "1.2.3.4", NULL},
        {"Aug 14 12:51:04 HOSTNAME courieresmtpd: error,relay=::ffff:1.2.3.4,"
         "from=<firozquarl@aclunc.org>,to=<BOGUSUSER@HOSTEDDOMAIN.org>: 550 User unknown.",
         "1.2.3.4", NULL},
        {"Apr 23 21:59:01 dns2 imapd: LOGIN FAILED, user=sales@example.com, "
         "ip=[::ffff:1.2.3.4]",
         "1.2.3.4", "sales@example.com"},
        {"Apr 23 21:59:38 dns2 pop3d: LOGIN FAILED, user=info@example.com, "
         "ip=[::ffff:198.51.100.76]",
         "198.51.100.76", "info@example.com"},
        {"Nov 13 08:11:53 server imapd-ssl: LOGIN FAILED, user=user@domain.tld, "
         "ip=[::ffff:198.51.100.33]",
         "198.51.100.33", "user@domain.tld"},
        {"Apr 17 19:17:11 SERVER courierpop3login: LOGIN FAILED, user=USER@EXAMPLE.org, "
         "ip=[::ffff:1.2.3.4]",
         "1.2.3.4", "USER@EXAMPLE.org"},
        {"Apr 17 19:17:12 server imapd-ssl: LOGIN FAILED, method=PLAIN, ip=[::ffff:192.0.2.4]",
         "192.0.2.4", NULL},
        {"Apr 27 09:00:00 servername imapd: LOGIN FAILED, user=tester, ip=[::ffff:192.0.2.5], "
         "port=[255]",
         "192.0.2.5", "tester"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int ok = parse_line(tab[i].line);
        if (!ok)
            fprintf(stderr, "  line %zu not parsed (%s)\n", i + 1, why ? why : "envelope");
        CHECK(ok);
        CHECK(ev.kind == MSL_EV_AUTH_FAIL || ev.kind == MSL_EV_REJECT);
        CHECK_VIEW(ev.client_ip, tab[i].host);
        if (tab[i].user)
            CHECK_VIEW(ev.sasl_user, tab[i].user);
        CHECK_VIEW(ev.mta, "courier");
    }
}

static void t_esmtpd(void)
{
    CHECK(parse("courieresmtpd", "started,ip=[::ffff:192.0.2.7],port=[40312]"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_VIEW(ev.client_ip, "192.0.2.7");
    CHECK_INT(ev.client_port, 40312);
    CHECK_VIEW(ev.daemon, "smtpd"); /* one process per connection: the pid keys the session */
    CHECK(parse("courieresmtpd", "started,ip=[2001:db8::1]"));
    CHECK_VIEW(ev.client_ip, "2001:db8::1");
    CHECK_INT(ev.client_port, -1);

    /* courieresmtpd rewrites AUTH as "AUTH <method> [initial reply] [user]" */
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.7,port=40312,msg=\"535 "
                                 "Authentication failed.\",cmd: AUTH PLAIN AGFsaWNlAHdyb25n alice"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_method, "PLAIN");
    CHECK_VIEW(ev.sasl_user, "alice");
    CHECK_INT(ev.client_port, 40312);
    CHECK_VIEW(ev.code, "535");
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.7,port=1,msg=\"535 Authentication "
                                 "failed.\",cmd: AUTH LOGIN bob@example.org"));
    CHECK_VIEW(ev.sasl_user, "bob@example.org");
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.7,port=1,msg=\"535 Authentication "
                                 "failed.\",cmd: AUTH PLAIN AGFsaWNlAHdyb25n"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_INT(ev.sasl_user.n, 0); /* an initial reply, not a user */
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.7,port=1,ident=\"x,y\",msg=\"535 "
                                 "Authentication rejected\",cmd: AUTH CRAM-MD5"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_method, "CRAM-MD5");

    /* other errors answer a command: REJECT with the verb as stage */
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.9,port=2525,msg=\"535 "
                                 "Authentication required.\",cmd: MAIL FROM:<a@b.example>"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "MAIL");
    CHECK(parse("courieresmtpd", "error,relay=::ffff:192.0.2.9,port=2525,msg=\"502 ESMTP "
                                 "command error\",cmd: XYZZY"));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.code, "502");
    CHECK_VIEW(ev.stage, "XYZZY");

    /* submit's verdict with the newer port= field and an enhanced code */
    CHECK(parse("courieresmtpd", "error,relay=::ffff:203.0.113.5,port=51234,from=<spam@bad.example>,"
                                 "to=<nobody@corp.example>: 550 5.1.1 User unknown."));
    CHECK_INT(ev.kind, MSL_EV_REJECT);
    CHECK_VIEW(ev.stage, "RCPT");
    CHECK_VIEW(ev.dsn, "5.1.1");
    CHECK_VIEW(ev.text, "User unknown.");
    CHECK_VIEW(ev.to, "nobody@corp.example");
    CHECK(parse("courieresmtpd", "error,relay=::ffff:203.0.113.5,from=<spam@bad.example>: 517 "
                                 "Sender rejected."));
    CHECK_VIEW(ev.stage, "MAIL");
    CHECK(ev.to.p == NULL);

    CHECK(!parse("courieresmtpd", "error,relay=::ffff:1.2.3.4"));
    CHECK_STR(why, "courieresmtpd: unrecognised message");
    CHECK(!parse("courieresmtpd", "error,relay=::ffff:1.2.3.4,msg=\"535 unterminated"));
    CHECK(!parse("courieresmtpd", "something else"));
}

static void t_courierd(void)
{
    CHECK(parse("courierd", "newmsg,id=0000A1B2.656E2F3C.00001234, auth=alice: dns; "
                            "client.example (mail.client.example [::ffff:198.51.100.20])"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED);
    CHECK_VIEW(ev.qid, "0000A1B2.656E2F3C.00001234");
    CHECK_VIEW(ev.sasl_user, "alice");
    CHECK_VIEW(ev.helo, "client.example");
    CHECK_VIEW(ev.client_host, "mail.client.example");
    CHECK_VIEW(ev.client_ip, "198.51.100.20");
    CHECK(parse("courierd", "newmsg,id=0000A1B2.656E2F3C.00001235"));
    CHECK_INT(ev.kind, MSL_EV_RECEIVED); /* local submission: no client */
    CHECK(ev.client_ip.p == NULL);
    CHECK(parse("courierd", "started,id=0000A1B2.656E2F3C.00001234,from=<alice@corp.example>,"
                            "module=esmtp,host=far.example,addr=<bob@far.example>"));
    CHECK_INT(ev.kind, MSL_EV_SENDER);
    CHECK_VIEW(ev.from, "alice@corp.example");
    CHECK_VIEW(ev.to, "bob@far.example");
    CHECK_VIEW(ev.relay_host, "far.example");
    CHECK_VIEW(ev.detail, "esmtp");
    CHECK(parse("courierd", "started,id=0000A1B2.656E2F3C.00001234,from=<>,module=dsn,host=,"
                            "addr=<alice@corp.example>"));
    CHECK_INT(ev.kind, MSL_EV_INFO); /* the notice's null sender, not the message's */
    CHECK(parse("authdaemond", "Installation complete: authuserdb"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(parse("courierd", "completed,id=0000A1B2.656E2F3C.00001235"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.detail, "completed");
    CHECK(parse("courierd", "Loading STATIC transport module libraries."));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(!parse("courierd", "newmsg,id="));
    CHECK(!parse("courierd", "started,id=X,from=<a>,module=esmtp"));
    CHECK(!parse("courierd", "an unknown notice"));
    CHECK_STR(why, "courierd: unrecognised message");
}

static void t_modules(void)
{
    const char *id = "id=0000A1B2.656E2F3C.00001234,from=<alice@corp.example>,";
    char line[512];
    snprintf(line, sizeof line, "%saddr=<bob@far.example>,size=812,status: deferred", id);
    CHECK(parse("courieresmtp", line));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_DEFERRED);
    CHECK_VIEW(ev.to, "bob@far.example");
    CHECK_INT(ev.size, 812);
    snprintf(line, sizeof line, "%saddr=<bob@far.example>,status: failure", id);
    CHECK(parse("courieresmtp", line));
    CHECK_INT(ev.status, MSL_ST_BOUNCED);
    snprintf(line, sizeof line, "%saddr=<bob@far.example>,status: success", id);
    CHECK(parse("courieresmtp", line));
    CHECK_INT(ev.kind, MSL_EV_INFO); /* restates the success: line */
    CHECK(ev.flags & MSL_EVF_ECHO);
    snprintf(line, sizeof line, "%saddr=<bob@far.example>: 451 4.7.1 Greylisted, try later", id);
    CHECK(parse("courieresmtp", line));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.code, "451");
    CHECK_VIEW(ev.dsn, "4.7.1");
    snprintf(line, sizeof line, "%saddr=<carol@corp.example>,size=812,success: Message delivered.",
             id);
    CHECK(parse("courierlocal", line));
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.relay_host, "local");
    CHECK(ev.flags & MSL_EVF_LOCAL);
    CHECK_VIEW(ev.from, "alice@corp.example");
    snprintf(line, sizeof line, "%saddr=<bob@far.example>,size=9,success: delivered: "
                                "mx.far.example [::ffff:192.0.2.25]", id);
    CHECK(parse("courieresmtp", line));
    CHECK_VIEW(ev.relay_host, "mx.far.example");
    CHECK_VIEW(ev.relay_ip, "192.0.2.25");
    CHECK(!(ev.flags & MSL_EVF_LOCAL));
    snprintf(line, sizeof line, "%saddr=<bob@far.example>,status: maybe", id);
    CHECK(!parse("courieresmtp", line));
    CHECK_STR(why, "courier delivery: unrecognised message");
    CHECK(!parse("courierlocal", "id=X,from=<a>,addr=<b"));
}

static void t_logins(void)
{
    CHECK(parse("imapd-ssl", "LOGIN, user=alice, ip=[::ffff:192.0.2.3], port=[51000], "
                             "protocol=IMAP"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_OK);
    CHECK_VIEW(ev.sasl_user, "alice");
    CHECK_VIEW(ev.proto, "IMAP");
    CHECK_INT(ev.client_port, 51000);
    CHECK(parse("imapd", "LOGOUT, user=alice, ip=[::ffff:192.0.2.3], headers=0, body=0, "
                         "rcvd=25, sent=310, time=4"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_INT(ev.detail.n, 0);
    CHECK(parse("pop3d", "TIMEOUT, ip=[::ffff:192.0.2.3]"));
    CHECK_VIEW(ev.detail, "TIMEOUT");
    CHECK(parse("pop3d", "authentication error: Input/output error"));
    CHECK_INT(ev.kind, MSL_EV_ERROR);
    CHECK(!parse("pop3d", "LOGIN FAILED, user=x"));
    CHECK(!parse("imapd", "Unexpected SSL connection shutdown."));
    CHECK_STR(why, "courier-imap: not a Courier login line");
}

int main(void)
{
    RUN(t_claims);
    RUN(t_fail2ban_hosts);
    RUN(t_esmtpd);
    RUN(t_courierd);
    RUN(t_modules);
    RUN(t_logins);
    free(buf);
    return unit_done("t_courier");
}
