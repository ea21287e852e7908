/* t_milters.c - the filter dialects (opendkim, opendmarc, policyd-spf, rspamd, amavis,
 * spamd) on real lines from corpora/milters and the Lightmeter set: POLICY verdicts and the
 * fields that attach them to their message. */
#include "mailsleuth/dialect.h"
#include "unit.h"

static struct msl_event ev;
static const char *why;

static int parse(const struct msl_dialect *d, const char *prog, const char *msg)
{
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, strlen(prog)};
    env.msg = (struct msl_str){msg, strlen(msg)};
    env.pid = 1;
    msl_event_clear(&ev);
    why = NULL;
    return d->parse(&env, &ev, &why);
}

static const struct msl_dialect *owner(const char *prog)
{
    return msl_dialect_for_program((struct msl_str){prog, strlen(prog)});
}

static void t_claims(void)
{
    CHECK(owner("opendkim") == &msl_dialect_opendkim);
    CHECK(owner("opendmarc") == &msl_dialect_opendmarc);
    CHECK(owner("policyd-spf") == &msl_dialect_policyd_spf);
    CHECK(owner("policy-spf") == &msl_dialect_policyd_spf);
    CHECK(owner("rspamd") == &msl_dialect_rspamd);
    CHECK(owner("amavis") == &msl_dialect_amavis);
    CHECK(owner("spamd") == &msl_dialect_spamd);
    CHECK(owner("opendkim2") == NULL || owner("opendkim2") != &msl_dialect_opendkim);
}

static void t_opendkim(void)
{
    const struct msl_dialect *d = &msl_dialect_opendkim;
    CHECK(parse(d, "opendkim", "BF76C3012027: DKIM verification successful"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.qid, "BF76C3012027");
    CHECK_VIEW(ev.detail, "dkim=pass");
    CHECK_VIEW(ev.mta, "opendkim");
    CHECK(parse(d, "opendkim", "3A9F83012026: s=selector1 d=h-4d9a9a.com SSL error:04091068:rsa "
                               "routines:int_rsa_verify:bad signature"));
    CHECK_VIEW(ev.detail, "dkim=fail");
    CHECK(parse(d, "opendkim", "3A9F83012026: bad signature data"));
    CHECK_VIEW(ev.detail, "dkim=fail");
    CHECK(parse(d, "opendkim", "8888F3239D2: no signature data"));
    CHECK_VIEW(ev.detail, "dkim=none");
    CHECK(parse(d, "opendkim", "4E2DC3012026: DKIM-Signature field added (s=mail, d=example.com)"));
    CHECK_VIEW(ev.detail, "dkim=signed");
    CHECK(parse(d, "opendkim", "B24E03012026: key retrieval failed (s=x, d=y): 'x._domainkey.y' "
                               "record not found"));
    CHECK_VIEW(ev.detail, "dkim=permerror");
    CHECK(parse(d, "opendkim", "8BD903012026: h-0b4e [224.73.110.132] not internal"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.client_ip, "224.73.110.132");
    CHECK(parse(d, "opendkim", "1FABE100000AC0E6: can't determine message sender; accepting"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.qid, "1FABE100000AC0E6");
    CHECK(!parse(d, "opendkim", "garbage"));
}

static void t_opendmarc(void)
{
    const struct msl_dialect *d = &msl_dialect_opendmarc;
    CHECK(parse(d, "opendmarc", "0D2D63012027: h-5e67b9b4406.com fail"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.qid, "0D2D63012027");
    CHECK_VIEW(ev.detail, "dmarc=fail");
    CHECK(parse(d, "opendmarc", "0D2D63012027: SPF(mailfrom): domain.com pass"));
    CHECK_VIEW(ev.detail, "spf=pass");
    CHECK(parse(d, "opendmarc", "B08573012026 ignoring Authentication-Results at 11 from h-37"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.qid, "B08573012026");
    CHECK(!parse(d, "opendmarc", "domain.com pass"));
}

static void t_policyd_spf(void)
{
    const struct msl_dialect *d = &msl_dialect_policyd_spf;
    CHECK(parse(d, "policyd-spf", "prepend Received-SPF: Pass (mailfrom) identity=mailfrom; "
                                  "client-ip=156.70.34.223; helo=mta-70-34-223.sparkpostmail.com; "
                                  "envelope-from=xxx@xxx.com; receiver=<UNKNOWN> "));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.detail, "spf=pass");
    CHECK_INT(ev.action, MSL_ACT_PREPEND);
    CHECK_VIEW(ev.client_ip, "156.70.34.223");
    CHECK_VIEW(ev.helo, "mta-70-34-223.sparkpostmail.com");
    CHECK_VIEW(ev.from, "xxx@xxx.com");
    CHECK(ev.to.p == NULL);
    CHECK(parse(d, "policyd-spf", "prepend Received-SPF: Softfail (mailfrom) identity=mailfrom; "
                                  "client-ip=192.0.2.1; helo=h; envelope-from=a@b; receiver=c@d"));
    CHECK_VIEW(ev.detail, "spf=softfail");
    CHECK_VIEW(ev.to, "c@d");
    CHECK(parse(d, "policyd-spf", "550 5.7.23 Message rejected due to: SPF fail - not "
                                  "authorized. Please see http://www.openspf.net/Why?s=mfrom;"
                                  "id=info@alias.com;ip=194.150.235.135;r=<UNKNOWN>"));
    CHECK_VIEW(ev.detail, "spf=fail");
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK_VIEW(ev.code, "550");
    CHECK_VIEW(ev.dsn, "5.7.23");
    CHECK_VIEW(ev.from, "info@alias.com");
    CHECK_VIEW(ev.client_ip, "194.150.235.135");
    /* perl */
    CHECK(parse(d, "policy-spf", "Policy action=PREPEND Received-SPF: none (example.com: No "
                                 "applicable sender policy available) receiver=mx.example.net; "
                                 "identity=mailfrom; envelope-from=\"a@example.com\"; "
                                 "helo=h.example.com; client-ip=192.0.2.9"));
    CHECK_VIEW(ev.detail, "spf=none");
    CHECK_VIEW(ev.from, "a@example.com");
    CHECK_VIEW(ev.client_ip, "192.0.2.9");
    CHECK(parse(d, "policy-spf", "Policy action=550 Please see http://www.openspf.org/Why?"
                                 "s=mfrom;id=a%40example.com;ip=192.0.2.9;r=b@example.net"));
    CHECK_VIEW(ev.detail, "spf=fail");
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK_VIEW(ev.to, "b@example.net");
    CHECK(parse(d, "policy-spf", "SPF fail: Envelope-from: a@example.com, IP Address: 192.0.2.9, "
                                 "Recipient: b@example.net"));
    CHECK_VIEW(ev.detail, "spf=fail");
    CHECK_VIEW(ev.client_ip, "192.0.2.9");
    CHECK(!parse(d, "policyd-spf", "what"));
}

static void t_rspamd(void)
{
    const struct msl_dialect *d = &msl_dialect_rspamd;
    CHECK(parse(d, "rspamd", "<162cd1>; task; rspamd_task_write_log: id: <2175545a@kipservis.ru>, "
                             "qid: <C7196624E3>, ip: 195.208.5.7, from: <kazan1@kipservis.ru>, "
                             "(default: F (no action): [0.56/15.00] [IP_SCORE,R_SPF_ALLOW]), "
                             "len: 916446, time: 5002.992ms real, 434.269ms virtual, dns req: 38, "
                             "digest: <abc>, rcpts: <a@x.ru>,<b@x.ru>, mime_rcpts: <a@x.ru>"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.msgid, "2175545a@kipservis.ru");
    CHECK_VIEW(ev.qid, "C7196624E3");
    CHECK_VIEW(ev.client_ip, "195.208.5.7");
    CHECK_VIEW(ev.from, "kazan1@kipservis.ru");
    CHECK_VIEW(ev.text, "IP_SCORE,R_SPF_ALLOW");
    CHECK_VIEW(ev.detail, "spam=no score=0.56");
    CHECK_INT(ev.action, MSL_ACT_INFO);
    CHECK_INT(ev.size, 916446);
    CHECK_VIEW(ev.to, "a@x.ru");
    CHECK(parse(d, "rspamd", "<aa11bb>; task; rspamd_task_write_log: id: <m@x>, qid: <ABC12345>, "
                             "ip: 192.0.2.1, from: <s@x>, (default: T (reject): [16.20/15.00] "
                             "[BAYES_SPAM(5.10){99.99%;}]), len: 10, time: 1ms"));
    CHECK_VIEW(ev.detail, "spam=yes score=16.20");
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK(parse(d, "rspamd", "<5adc66>; proxy; [string \"proxy parser\"]:28: final result for "
                             "instance='test': queue-id=<4KXlg16kc4zNGFbr> action='no action' "
                             "score=-0.1"));
    CHECK_VIEW(ev.qid, "4KXlg16kc4zNGFbr");
    CHECK_VIEW(ev.detail, "spam=no score=-0.1");
}

static void t_amavis(void)
{
    const struct msl_dialect *d = &msl_dialect_amavis;
    CHECK(parse(d, "amavis", "(00803-01) Passed SPAM {RelayedTaggedInbound,Quarantined}, "
                             "[127.0.0.1]:57256 <root@mail.example.test> -> <hello@example.test>, "
                             "quarantine: S/spam-SvjFaxs_mgzs.gz, Queue-ID: 792B6131D7, "
                             "Message-ID: <spam@example.test>, mail_id: SvjFaxs_mgzs, Hits: "
                             "1003.5, size: 217, queued_as: E8339132AB, 823 ms"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.qid, "792B6131D7");
    CHECK_VIEW(ev.new_qid, "E8339132AB");
    CHECK_VIEW(ev.msgid, "spam@example.test");
    CHECK_VIEW(ev.from, "root@mail.example.test");
    CHECK_VIEW(ev.to, "hello@example.test");
    CHECK_VIEW(ev.client_ip, "127.0.0.1");
    CHECK_INT(ev.client_port, 57256);
    CHECK_INT(ev.size, 217);
    CHECK_VIEW(ev.detail, "spam=yes score=1003.5");
    CHECK_INT(ev.action, MSL_ACT_INFO);
    CHECK(parse(d, "amavis", "(27693-06) Blocked INFECTED (Win.Trojan.Generickd-2094), "
                             "[194.214.158.196] [167.88.35.187] <blombacke@olivesverige.se> -> "
                             "<x@mail.example.fr>, quarantine: 3/virus-3tsxby3v3tSL, Message-ID: "
                             "<201502100027.t1A0Rldx012631@paris.ensmp.fr>, mail_id: 3tsxby3v3tSL, "
                             "Hits: -, size: 253117, 284 ms"));
    CHECK_VIEW(ev.detail, "virus=Win.Trojan.Generickd-2094");
    CHECK_INT(ev.action, MSL_ACT_REJECT);
    CHECK(ev.qid.p == NULL);
    CHECK(parse(d, "amavis", "(05136-09) Passed CLEAN, [194.167.55.26] [193.54.112.219] "
                             "<ossecm@monitor> -> <a@x.fr>,<b@y.fr>, mail_id: 0gehnk-A5kVd, Hits: -,"
                             " size: 1332, queued_as: B60132CB20, 152 ms"));
    CHECK_VIEW(ev.detail, "spam=no");
    CHECK_INT(ev.nrcpt, 2);
    CHECK(parse(d, "amavis", "(03457-08) TQ5q2jfJE-kN FWD from <a@x.com> -> <b@y.com>, "
                             "BODY=7BIT 250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: "
                             "queued as 0D2D63012027"));
    CHECK_INT(ev.kind, MSL_EV_INFO);
    CHECK_VIEW(ev.new_qid, "0D2D63012027");
    CHECK(parse(d, "amavis", "starting. /usr/sbin/amavisd at mail amavisd-new-2.11.0"));
    CHECK_INT(ev.kind, MSL_EV_DAEMON);
    CHECK(!parse(d, "amavis", ""));
}

static void t_spamd(void)
{
    const struct msl_dialect *d = &msl_dialect_spamd;
    CHECK(parse(d, "spamd", "spamd: result: Y 15 - BAYES_99,URIBL_BLACK scantime=2.1,size=3407,"
                            "user=debian-spamd,uid=112,required_score=5.0,rhost=localhost,"
                            "raddr=127.0.0.1,rport=45306,mid=<abc@example.com>,bayes=1.000000,"
                            "autolearn=spam"));
    CHECK_INT(ev.kind, MSL_EV_POLICY);
    CHECK_VIEW(ev.detail, "spam=yes score=15");
    CHECK_VIEW(ev.text, "BAYES_99,URIBL_BLACK");
    CHECK_VIEW(ev.msgid, "abc@example.com");
    CHECK_VIEW(ev.client_ip, "127.0.0.1");
    CHECK_INT(ev.size, 3407);
    CHECK(parse(d, "spamd", "spamd: clean message (-0.1/5.0) for debian-spamd:112 in 0.4 seconds, "
                            "3407 bytes."));
    CHECK_VIEW(ev.detail, "spam=no score=-0.1");
    CHECK(parse(d, "spamd", "spamd: identified spam (7.3/5.0) for u:1 in 2.1 seconds, 99 bytes."));
    CHECK_VIEW(ev.detail, "spam=yes score=7.3");
    CHECK_INT(ev.size, 99);
    CHECK(parse(d, "spamd", "spamd: connection from localhost [127.0.0.1]:45306 to port 783, fd 5"));
    CHECK_INT(ev.kind, MSL_EV_CONNECT);
    CHECK_INT(ev.client_port, 45306);
    CHECK(parse(d, "spamd", "spamd: processing message <x@y> for (unknown):113"));
    CHECK_VIEW(ev.msgid, "x@y");
    CHECK(!parse(d, "spamd", "spamd: zzz"));
}

int main(void)
{
    RUN(t_claims);
    RUN(t_opendkim);
    RUN(t_opendmarc);
    RUN(t_policyd_spf);
    RUN(t_rspamd);
    RUN(t_amavis);
    RUN(t_spamd);
    return unit_done("t_milters");
}
