/*
 * t_site.c - unit tests of the site context (lib/site): Debian's default configurations
 * (tests/data/site/, copied from the Debian 12 packages: postfix main.cf/master.cf as its
 * postinst writes them, update-exim4.conf output, sendmail's example access/relay-domains,
 * opensmtpd's smtpd.conf; the courier-mta configuration of the Courier capture) and small texts for the corner cases of each grammar.
 */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/site.h"
#include "unit.h"

#define DATA "tests/data/site/"

static struct msl_site *load(const char *path)
{
    struct msl_site *s = msl_site_new();
    char err[1024] = "";
    int rc = s ? msl_site_load_config(s, path, err, sizeof err) : -1;
    if (rc != MSL_OK)
        fprintf(stderr, "  load %s: %s\n", path, err);
    CHECK_INT(rc, MSL_OK);
    return s;
}

static struct msl_site *text(const char *kind, const char *t)
{
    struct msl_site *s = msl_site_new();
    char err[512];
    if (s)
        msl_site_parse_text(s, kind, t, strlen(t), "t.conf", err, sizeof err);
    return s;
}

static void t_postfix_debian(void)
{
    struct msl_site *s = load(DATA "postfix-debian");
    if (!s)
        return;
    const struct msl_site_entry *e = msl_site_local(s, "mx.example.org");
    CHECK(e && e->line == 29 && strstr(e->why, "mydestination") && e->origin == MSL_SITE_FROM_CONFIG);
    CHECK(msl_site_local(s, "localhost.example.org") != NULL);
    CHECK(msl_site_local(s, "example.net") == NULL);
    CHECK(msl_site_trusted(s, "127.0.0.5", 1) != NULL);
    CHECK(msl_site_trusted(s, "::1", 1) != NULL);
    CHECK(msl_site_trusted(s, "192.0.2.1", 0) == NULL);
    CHECK_INT(msl_site_count(s, MSL_SITE_ALLOWED_RELAY), 0); /* relayhost = (empty) */
    e = msl_site_service(s, "postfix/smtpd");
    CHECK(e && e->port == 25);
    msl_site_free(s);
}

static void t_postfix_scenarios(void)
{
    struct msl_site *s = load(DATA "postfix-multihop-mx1");
    if (!s)
        return;
    /* the hash: transport map's source text beside main.cf */
    const struct msl_site_entry *e = msl_site_relay_allowed(s, "127.0.0.1", "127.0.0.1", 2544);
    CHECK(e && strstr(e->why, "transport_maps remote.test") && e->line == 2);
    CHECK(msl_site_relay_allowed(s, "127.0.0.1", "127.0.0.1", 25) == NULL);
    e = msl_site_service(s, "postfix-mx1/submission/smtpd");
    CHECK(e && e->port == 2535);
    msl_site_free(s);
    s = load(DATA "postfix-hunt/main.cf");
    if (!s)
        return;
    CHECK(msl_site_relay_allowed(s, "127.0.0.1", "127.0.0.1", 2536) != NULL);
    CHECK(msl_site_trusted(s, "127.0.0.2", 1) != NULL);
    CHECK(msl_site_trusted(s, "127.0.0.10", 1) == NULL); /* mynetworks = 127.0.0.2/32 */
    msl_site_free(s);
}

static void t_postfix_grammar(void)
{
    /* continuation lines, ${name} expansion, a mynetworks_style default, lookups skipped,
     * inline transport map, content filter, sender-login map */
    struct msl_site *s = text("postfix-main",
                              "myhostname = mail.corp.example\n"
                              "# comment\n"
                              "mydestination = ${myhostname},\n"
                              "    $mydomain, hash:/etc/postfix/dest\n"
                              "transport_maps = inline:{ { b.example = smtp:[10.1.1.1]:2525 } }\n"
                              "content_filter = amavis:[127.0.0.1]:10024\n"
                              "smtpd_sender_login_maps = hash:/etc/postfix/senders\n"
                              "multi_instance_name = postfix-in\n");
    if (!s)
        return;
    CHECK(msl_site_local(s, "mail.corp.example") != NULL);
    CHECK(msl_site_local(s, "corp.example") != NULL); /* mydomain: myhostname minus a label */
    size_t n;
    const struct msl_site_entry *e = msl_site_entries(s, &n);
    int lookups = 0, loopback = 0, maps = 0, inst = 0;
    for (size_t i = 0; i < n; i++) {
        lookups += strstr(e[i].value, "hash:") != NULL && e[i].kind == MSL_SITE_LOCAL_DOMAIN;
        loopback += e[i].kind == MSL_SITE_TRUSTED_NET && strstr(e[i].why, "mynetworks_style = host (default)");
        maps += e[i].kind == MSL_SITE_LOGIN_MAPS;
        inst += e[i].kind == MSL_SITE_INSTANCE && !strcmp(e[i].value, "postfix-in");
    }
    CHECK_INT(lookups, 0);
    CHECK_INT(loopback, 2);
    CHECK_INT(maps, 1);
    CHECK_INT(inst, 1);
    CHECK(msl_site_relay_allowed(s, "relay.b.example", "10.1.1.1", 2525) != NULL);
    CHECK(msl_site_relay_allowed(s, NULL, "127.0.0.1", 10024) != NULL);
    msl_site_free(s);
}

static void t_exim_debian(void)
{
    struct msl_site *s = load(DATA "exim4-debian");
    if (!s)
        return;
    CHECK(msl_site_local(s, "example.org") != NULL);
    CHECK(msl_site_local(s, "mx.example.org") != NULL);
    CHECK(msl_site_trusted(s, "192.0.2.77", 1) != NULL);  /* dc_relay_nets */
    CHECK(msl_site_trusted(s, "::1", 1) != NULL);         /* "::::1" in an Exim list */
    const struct msl_site_entry *e = msl_site_relay_allowed(s, "smarthost.example.net", NULL, 587);
    CHECK(e && strstr(e->why, "route_list"));
    CHECK(msl_site_relay_allowed(s, "smarthost.example.net", NULL, 25) == NULL);
    msl_site_free(s);
    /* "<;" changes the separator; lookups are not resolved */
    s = text("exim", "MYNETS = <; 10.0.0.0/8 ; 2001:db8::/32\n"
                     "domainlist local_domains = @ : lsearch;/etc/exim4/virtual : corp.example\n"
                     "hostlist relay_from_hosts = MYNETS\n");
    if (!s)
        return;
    CHECK(msl_site_trusted(s, "2001:db8::5", 1) != NULL);
    CHECK(msl_site_trusted(s, "10.9.9.9", 1) != NULL);
    CHECK(msl_site_local(s, "corp.example") != NULL);
    size_t n;
    msl_site_entries(s, &n);
    CHECK_INT(n, 3);
    msl_site_free(s);
}

static void t_sendmail_debian(void)
{
    struct msl_site *s = load(DATA "sendmail-debian");
    if (!s)
        return;
    CHECK(msl_site_local(s, "mx.example.org") != NULL);
    const struct msl_site_entry *e = msl_site_trusted(s, "127.1.2.3", 1); /* Connect:127 RELAY */
    CHECK(e && !strcmp(e->value, "127.0.0.0/8") && strstr(e->why, "access"));
    CHECK(msl_site_trusted(s, "192.0.2.1", 1) == NULL); /* Connect:192.0.2 REJECT */
    msl_site_free(s);
}

static void t_opensmtpd(void)
{
    struct msl_site *s = load(DATA "opensmtpd-debian/smtpd.conf");
    if (!s)
        return;
    const struct msl_site_entry *e = msl_site_service(s, "smtpd");
    CHECK(e && e->port == 25);
    msl_site_free(s);
    /* Debian's smtpd.conf with the scenario's edits: a file table beside it, an inline
     * table of networks, a smarthost, a submission listener */
    s = load(DATA "opensmtpd-site/smtpd.conf");
    if (!s)
        return;
    e = msl_site_local(s, "shop.example");
    CHECK(e && e->line == 3 && e->src && strstr(e->src, "opensmtpd-site/domains"));
    CHECK(msl_site_trusted(s, "198.51.100.7", 1) != NULL);
    CHECK(msl_site_trusted(s, "198.51.100.8", 1) == NULL);
    CHECK(msl_site_relay_allowed(s, "smarthost.example.net", NULL, 2525) != NULL);
    msl_site_free(s);
    s = text("opensmtpd", "table doms { corp.example, corp2.example }\n"
                          "table nets { 10.0.0.0/8 }\n"
                          "listen on lo port 587 tls-require auth\n"
                          "action \"local\" maildir\n"
                          "action \"out\" relay host smtp+tls://label@smart.example:587\n"
                          "match from any for domain <doms> action \"local\"\n"
                          "match from src <nets> for any action \"out\"\n");
    if (!s)
        return;
    CHECK(msl_site_local(s, "corp2.example") != NULL);
    CHECK(msl_site_trusted(s, "10.2.3.4", 1) != NULL);
    CHECK(msl_site_relay_allowed(s, "smart.example", NULL, 587) != NULL);
    CHECK(msl_site_service(s, "smtpd") && msl_site_service(s, "smtpd")->port == 587);
    msl_site_free(s);
}

static void t_site_file(void)
{
    struct msl_site *s = msl_site_new();
    char err[512] = "";
    const char *good = "# site\ntrusted-net 198.51.100.0/24\nlocal-domain Corp.Example\n"
                       "allowed-relay [smart.example]:587\nmx-gateway gw.example\n"
                       "internal-service 127.0.0.1:10024\nprotected-domain partner.example\n";
    CHECK_INT(msl_site_parse_text(s, "site", good, strlen(good), "s", err, sizeof err), MSL_OK);
    CHECK(msl_site_local(s, "corp.example") != NULL);
    CHECK(msl_site_is_protected(s, "partner.example"));
    CHECK(msl_site_gateway(s, "gw.example", NULL) != NULL);
    CHECK(msl_site_relay_allowed(s, "smart.example", "192.0.2.5", 587) != NULL);
    const char *bad = "trusted-net 10.0.0.0/8\ntrusted-net not-a-net\n";
    CHECK_INT(msl_site_parse_text(s, "site", bad, strlen(bad), "s", err, sizeof err),
              MSL_EUSAGE);
    CHECK(strstr(err, "s:2: trusted-net") != NULL);
    const char *extra = "local-domain a b\n";
    CHECK_INT(msl_site_parse_text(s, "site", extra, strlen(extra), "s", err, sizeof err),
              MSL_EUSAGE);
    msl_site_add_defaults(s);
    const struct msl_site_entry *e = msl_site_trusted(s, "127.0.0.9", 0);
    char d[300];
    if (e)
        msl_site_describe(e, d, sizeof d);
    CHECK(e && e->origin == MSL_SITE_FROM_DEFAULT && !strcmp(d, "127.0.0.0/8 trusted: loopback"));
    CHECK(msl_site_trusted(s, "127.0.0.9", 1) == NULL);
    msl_site_free(s);
}

static void t_bad_input(void)
{
    struct msl_site *s = msl_site_new();
    char err[512] = "";
    CHECK_INT(msl_site_load_config(s, DATA "does-not-exist", err, sizeof err), MSL_EINPUT);
    CHECK_INT(msl_site_load_config(s, "tests/unit", err, sizeof err), MSL_EUSAGE);
    /* NUL bytes and control characters never end up in an entry */
    const char t[] = "mydestination = a.example\0b.example, c\x01.example\n";
    msl_site_parse_text(s, "postfix-main", t, sizeof t - 1, "t", err, sizeof err);
    size_t n;
    const struct msl_site_entry *e = msl_site_entries(s, &n);
    for (size_t i = 0; i < n; i++)
        CHECK(strchr(e[i].value, '\x01') == NULL);
    CHECK(msl_site_local(s, "a.example") != NULL);
    msl_site_free(s);
}

static void t_courier(void)
{
    /* the configuration tests/corpus/courier_capture.sh ran courier-mta with */
    struct msl_site *s = load(DATA "courier-mx3");
    if (!s)
        return;
    const struct msl_site_entry *e = msl_site_trusted(s, "127.0.0.2", 1);
    CHECK(e && strstr(e->why, "smtpaccess") && e->line == 2);
    CHECK(msl_site_trusted(s, "127.0.0.3", 1) == NULL);
    e = msl_site_local(s, "example.test");
    CHECK(e && strstr(e->why, "Courier locals") && e->line == 1);
    CHECK(msl_site_local(s, "localhost") != NULL);
    CHECK_INT(msl_site_count(s, MSL_SITE_RELAY_DOMAIN), 0); /* esmtpacceptmailfor = locals */
    msl_site_free(s);
    /* couriertcpd's grammar: partial quads, colon-led IPv6 groups, options after allow */
    s = text("courier-smtpaccess", "# comment\n192.168.0\tallow,RELAYCLIENT\n"
                                   "10.1.2.3\tallow,BLOCK=\"x\",RELAYCLIENT=\n"
                                   "172.16\tdeny\n10.9\tallow\n"
                                   ":fd00:0001\tallow,RELAYCLIENT\n"
                                   "10.7\tallow,NORELAYCLIENT\n");
    CHECK(s && msl_site_trusted(s, "192.168.0.77", 1) != NULL);
    CHECK(s && msl_site_trusted(s, "192.168.1.1", 1) == NULL);
    CHECK(s && msl_site_trusted(s, "10.1.2.3", 1) != NULL);
    CHECK(s && msl_site_trusted(s, "172.16.0.1", 1) == NULL);
    CHECK(s && msl_site_trusted(s, "10.9.0.1", 1) == NULL);  /* allowed, not relaying */
    CHECK(s && msl_site_trusted(s, "10.7.0.1", 1) == NULL);  /* not the RELAYCLIENT option */
    CHECK(s && msl_site_trusted(s, "fd00:1::5", 1) != NULL);
    CHECK(s && msl_site_trusted(s, "fd00:2::5", 1) == NULL);
    msl_site_free(s);
    s = text("courier-locals", "example.org\n!mail.example.org\n");
    CHECK(s && msl_site_local(s, "example.org") != NULL);
    CHECK(s && msl_site_local(s, "mail.example.org") == NULL);
    msl_site_free(s);
    s = text("courier-hosted", "hosted.example\talias.example\n");
    CHECK(s && msl_site_local(s, "hosted.example") && msl_site_local(s, "alias.example"));
    msl_site_free(s);
}

int main(void)
{
    RUN(t_postfix_debian);
    RUN(t_postfix_scenarios);
    RUN(t_postfix_grammar);
    RUN(t_exim_debian);
    RUN(t_sendmail_debian);
    RUN(t_opensmtpd);
    RUN(t_courier);
    RUN(t_site_file);
    RUN(t_bad_input);
    return unit_done("t_site");
}
