/* t_dovecot.c - the Dovecot dialect on real lines (corpora/dovecot, Lightmeter set): claims,
 * kinds and key fields across the 1.x, 2.0-2.3 and 2.4 wordings. */
#include "mailsleuth/dialect.h"
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
    return msl_dialect_dovecot.parse(&env, &ev, &why);
}

static int claims(const char *prog)
{
    return msl_dialect_for_program((struct msl_str){prog, strlen(prog)}) == &msl_dialect_dovecot;
}

static void t_claims(void)
{
    CHECK(claims("dovecot"));
    CHECK(claims("dovecot-auth"));
    CHECK(claims("dovecot/imap-login"));
    CHECK(claims("imap-login"));
    CHECK(claims("pop3-login"));
    CHECK(claims("auth"));
    CHECK(claims("auth-worker(22401)"));
    CHECK(claims("auth(info@example.com,192.0.2.110,sasl"));
    CHECK(!claims("imap"));
    CHECK(!claims("sshd"));
    CHECK(!claims("postfix/smtpd"));
    CHECK(msl_dialect_by_name("dovecot") == &msl_dialect_dovecot);
    /* another program's "auth" tag is not read as Dovecot */
    CHECK(!parse("auth", "something else entirely"));
    CHECK_STR(why, "auth: not a Dovecot message");
}

static void t_login(void)
{
    CHECK(parse("dovecot", "imap-login: Login: user=<h-97f0@h-ffeb17e38996c.com>, method=PLAIN, "
                           "rip=192.0.2.44, lip=198.51.100.2, mpid=3211, TLS, "
                           "session=<4qlgHvS4QMDAqAI1>"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_OK);
    CHECK_VIEW(ev.sasl_user, "h-97f0@h-ffeb17e38996c.com");
    CHECK_VIEW(ev.sasl_method, "PLAIN");
    CHECK_VIEW(ev.client_ip, "192.0.2.44");
    CHECK_VIEW(ev.tls, "TLS");
    CHECK_VIEW(ev.mta, "dovecot");
    CHECK_VIEW(ev.daemon, "imap-login");

    /* 2.0/2.1 */
    CHECK(parse("imap-login", "Info: Aborted login (auth failed, 1 attempts): "
                              "user=<martin@waschbuesch.de>, method=CRAM-MD5, rip=80.187.101.33, "
                              "lip=80.254.129.240, TLS"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_INT(ev.count, 1);
    CHECK_VIEW(ev.sasl_method, "CRAM-MD5");
    /* 2.2 */
    CHECK(parse("dovecot", "imap-login: Disconnected (auth failed, 7 attempts in 111 secs): "
                           "user=<thousands>, method=PLAIN, rip=109.201.200.201, "
                           "lip=67.205.141.203, session=<+hgd5vxDBMZtycjJ>"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_INT(ev.count, 7);
    CHECK_VIEW(ev.sasl_user, "thousands");
    CHECK_VIEW(ev.detail, "auth failed");
    CHECK(ev.tls.p == NULL);
    /* 2.3 */
    CHECK(parse("dovecot", "pop3-login: Disconnected: Inactivity (auth failed, 1 attempts in 178 "
                           "secs): user=<ivo>, method=PLAIN, rip=1.2.3.4, lip=1.1.2.2, "
                           "session=<6brQWt/vCADDhP/+>"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.client_ip, "1.2.3.4");
    /* 2.4 */
    CHECK(parse("dovecot", "imap-login: Login aborted: Connection closed (auth failed, 3 attempts "
                           "in 16 secs) (auth_failed): user=<test>, method=PLAIN, "
                           "rip=192.0.2.241, lip=203.0.113.104, TLS, session=<9ZHq02g3J8S60fan>"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_INT(ev.count, 3);
    CHECK_VIEW(ev.tls, "TLS");
    /* submission-login (Postfix-style SASL for submission) */
    CHECK(parse("dovecot", "submission-login: Client has quit the connection (auth failed, 1 "
                           "attempts in 2 secs): user=<user1>, method=LOGIN, rip=192.0.2.133, "
                           "lip=0.0.0.0"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "user1");

    CHECK(parse("dovecot", "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, "
                           "rip=192.0.2.5, lip=127.0.0.1, TLS handshaking: SSL_accept() failed: "
                           "error:1408F10B:SSL routines:ssl3_get_record:wrong version number"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.detail, "no auth attempts");
    CHECK_VIEW(ev.tls, "TLS handshaking");
    CHECK(ev.sasl_user.p == NULL);
    CHECK(parse("dovecot", "pop3-login: Aborted login (tried to use disallowed plaintext auth): "
                           "rip=190.210.136.21, lip=113.212.99.193, session=<LgDINsQCkttVIMPg>"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.detail, "tried to use disallowed plaintext auth");
    CHECK(!parse("dovecot", "imap-login: Disconnected: a: a: test no match"));
}

static void t_auth(void)
{
    CHECK(parse("dovecot", "auth: passwd-file(username,1.2.3.4): unknown user"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "username");
    CHECK_VIEW(ev.client_ip, "1.2.3.4");
    CHECK_VIEW(ev.detail, "passwd-file");
    CHECK(parse("dovecot", "auth: sql(admin@example.ru,192.168.144.226,<6rXunFtu493AqJDi>): "
                           "Password mismatch"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.client_ip, "192.168.144.226");
    CHECK(parse("dovecot", "auth-worker(3270): conn unix:auth-worker (pid=27359,uid=97): "
                           "auth-worker<128>: pam(webapps,192.0.2.7): pam_authenticate() failed: "
                           "Authentication failure (Password mismatch?)"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "webapps");
    CHECK(parse("dovecot", "dovecot: auth(default): pam(account@MYSERVERNAME.com,200.76.17.206): "
                           "pam_authenticate() failed: User not known to the underlying "
                           "authentication module: 2 Time(s)"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.client_ip, "200.76.17.206");
    /* 2.4: the user and ip are in the prefix; the envelope cut the tag at "sasl:" */
    CHECK(parse("auth(info@example.com,192.0.2.110,sasl",
                "login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: x)"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "info@example.com");
    CHECK_VIEW(ev.client_ip, "192.0.2.110");
    CHECK_VIEW(ev.detail, "sql");
    CHECK(parse("auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 "
                        "tty=dovecot ruser=informix rhost=80.255.3.104"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.client_ip, "80.255.3.104");
    CHECK(parse("auth", "Info: ldap(dog,52.37.139.121,): invalid credentials"));
    CHECK_INT(ev.kind, MSL_EV_AUTH_FAIL);
    CHECK_VIEW(ev.sasl_user, "dog");
}

static void t_mail(void)
{
    CHECK(parse("dovecot", "lmtp(h-f16@h-ffeb17e38996c.com)<30733><ELmXHWSVEmANeAAAyWcGZw>: "
                           "msgid=<h-6b7b3eb7a1@h-4d9a9a.com>: saved mail to INBOX"));
    CHECK_INT(ev.kind, MSL_EV_DELIVERY);
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.to, "h-f16@h-ffeb17e38996c.com");
    CHECK_VIEW(ev.msgid, "h-6b7b3eb7a1@h-4d9a9a.com");
    CHECK_VIEW(ev.detail, "lmtp");
    CHECK(parse("dovecot", "lmtp(9529, mail@domain.xy): JDAjK8tou1Y5JQAA1dT27g: sieve: "
                           "msgid=emailsecuritycheck.net.1.LEnC4bgFimQHGHz3PvKpOQ==: stored mail "
                           "into mailbox 'INBOX'"));
    CHECK_INT(ev.status, MSL_ST_SENT);
    CHECK_VIEW(ev.to, "mail@domain.xy");
    CHECK(parse("dovecot", "lda(bob): msgid=<a@b>: saved mail to INBOX"));
    CHECK_VIEW(ev.detail, "lda");
    CHECK(parse("dovecot", "imap(h-1@h-ffeb17e38996c.com)<4119><kMh7>: Logged out in=69 out=1046 "
                           "deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 "
                           "body_bytes=0"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK_VIEW(ev.sasl_user, "h-1@h-ffeb17e38996c.com");
    CHECK(parse("dovecot", "lmtp(30733): Connect from local"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK(parse("dovecot", "lmtp(30733): Disconnect from local: Client has quit the connection "
                           "(state=READY)"));
    CHECK_INT(ev.kind, MSL_EV_DISCONNECT);
    CHECK(ev.sasl_user.p == NULL);
}

static void t_levels(void)
{
    CHECK(parse("dovecot", "master: Warning: Killed with signal 15 (by pid=1 uid=0 code=kill)"));
    CHECK_INT(ev.kind, MSL_EV_WARNING);
    CHECK_INT(ev.severity, MSL_SEV_WARNING);
    CHECK(parse("dovecot", "imap(bob)<1><s>: Error: Mailbox INBOX: UID=1: read() failed"));
    CHECK_INT(ev.kind, MSL_EV_ERROR);
    CHECK_INT(ev.severity, MSL_SEV_ERROR);
    CHECK_VIEW(ev.sasl_user, "bob");
    CHECK(parse("dovecot", "auth: Fatal: master: service(auth): child 1 returned error 89"));
    CHECK_INT(ev.severity, MSL_SEV_FATAL);
    CHECK(parse("dovecot", "Dovecot v1.2.rc3 starting up (core dumps disabled)"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(!parse("dovecot", ""));
    CHECK(!parse("dovecot", "imap-login"));
    CHECK(!parse("dovecot", "imap-login: Login: "));
}

int main(void)
{
    RUN(t_claims);
    RUN(t_login);
    RUN(t_auth);
    RUN(t_mail);
    RUN(t_levels);
    return unit_done("t_dovecot");
}
