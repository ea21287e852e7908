/*
 * site.h - site context for `hunt`: what the site's own configuration says about trusted
 * networks, local domains, allowed relays, gateways and services (doc/SITE.md).
 *
 * Sources, each entry remembering where it came from ("Postfix mydestination",
 * "/etc/postfix/main.cf", line 12):
 *  - the MTA's own configuration, read-only (msl_site_load_config: a file or a directory
 *    such as /etc/postfix, /etc/exim4, /etc/mail, /etc/smtpd.conf);
 *  - a small site file (msl_site_load_file: `trusted-net CIDR`, `local-domain D`,
 *    `protected-domain D`, `allowed-relay HOST[:PORT]`, `mx-gateway HOST`,
 *    `internal-service HOST:PORT`);
 *  - command-line options (msl_site_add with MSL_SITE_FROM_CLI);
 *  - defaults (msl_site_add_defaults): the server's own loopback addresses.
 * Entries apply to every host of the run.  Parsers never follow includes, never open
 * more than the files named (plus hash: text files beside main.cf), read at most
 * MSL_SITE_MAX_FILE bytes of a file and keep at most MSL_SITE_MAX_ENTRIES entries.
 */
#ifndef MAILSLEUTH_SITE_H
#define MAILSLEUTH_SITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSL_SITE_MAX_FILE (4u << 20)
#define MSL_SITE_MAX_ENTRIES 20000

enum msl_site_kind {
    MSL_SITE_TRUSTED_NET,      /* value: CIDR or address */
    MSL_SITE_LOCAL_DOMAIN,     /* value: domain (lower case) */
    MSL_SITE_PROTECTED_DOMAIN, /* value: domain */
    MSL_SITE_RELAY_DOMAIN,     /* a domain this server relays for (relay_domains) */
    MSL_SITE_ALLOWED_RELAY,    /* value: host or [ip], optional :port */
    MSL_SITE_MX_GATEWAY,       /* value: host or address */
    MSL_SITE_INTERNAL_SERVICE, /* value: host:port of an internal hop (content filter) */
    MSL_SITE_SERVICE,          /* value: syslog name of an SMTP service; port: its port */
    MSL_SITE_LOGIN_MAPS,       /* value: the sender-login map (its presence matters) */
    MSL_SITE_INSTANCE,         /* value: a Postfix multi_instance name */
    MSL_SITE__KINDS
};

enum msl_site_origin {
    MSL_SITE_FROM_DEFAULT, /* the server's own addresses */
    MSL_SITE_FROM_CONFIG,  /* the MTA's configuration */
    MSL_SITE_FROM_FILE,    /* --site FILE */
    MSL_SITE_FROM_CLI,     /* --trusted-net, --local-domain, --protected-domain */
};

struct msl_site_entry {
    enum msl_site_kind kind;
    enum msl_site_origin origin;
    char *value;
    int32_t port;    /* MSL_SITE_SERVICE / relays: -1 when none */
    char *why;       /* "Postfix mydestination", "loopback", "--trusted-net" */
    char *src;       /* file the entry came from, or NULL */
    unsigned long line; /* 0 when not from a file line */
};

struct msl_site;

struct msl_site *msl_site_new(void);
void msl_site_free(struct msl_site *s);
/* Adds one entry (duplicates of kind+value are kept once, the first wins).  Returns 0, or
 * -1 on a bad value (err says why) or when the table is full / out of memory. */
int msl_site_add(struct msl_site *s, enum msl_site_kind k, enum msl_site_origin o,
                 const char *value, int32_t port, const char *why, const char *src,
                 unsigned long line, char *err, size_t errsz);
/* 127.0.0.0/8 and ::1 trusted: the server's own loopback clients. */
void msl_site_add_defaults(struct msl_site *s);
/* Reads an MTA configuration: a file (main.cf, master.cf, exim4.conf[.template],
 * update-exim4.conf.conf, local-host-names, relay-domains, access, smtpd.conf, Courier's
 * locals, hosteddomains, esmtpacceptmailfor, a file of smtpaccess/) or a
 * directory holding them.  Returns 0 (MSL_OK), MSL_EINPUT (cannot read; err says which)
 * or MSL_EUSAGE (nothing recognised). */
int msl_site_load_config(struct msl_site *s, const char *path, char *err, size_t errsz);
/* Reads a site file; errors name file:line.  Returns MSL_OK, MSL_EINPUT or MSL_EUSAGE. */
int msl_site_load_file(struct msl_site *s, const char *path, char *err, size_t errsz);
/* Parses configuration text of a known kind (for tests and the fuzzer): kind is
 * "postfix-main", "postfix-master", "exim", "sendmail-lhn", "sendmail-relay",
 * "sendmail-access", "opensmtpd", "courier-smtpaccess", "courier-locals", "courier-hosted",
 * "courier-accept", "courier-me", "site". */
int msl_site_parse_text(struct msl_site *s, const char *kind, const char *text, size_t n,
                        const char *name, char *err, size_t errsz);

const struct msl_site_entry *msl_site_entries(const struct msl_site *s, size_t *n);
/* Entries not kept because the table was full (stated by hunt). */
size_t msl_site_dropped(const struct msl_site *s);
/* Count of entries of a kind from origins other than the defaults. */
size_t msl_site_count(const struct msl_site *s, enum msl_site_kind k);
/* The trusted-net entry containing ip (NULL when none); with no_defaults, entries from
 * the defaults are not considered. */
const struct msl_site_entry *msl_site_trusted(const struct msl_site *s, const char *ip,
                                              int no_defaults);
/* The local-domain entry of domain (exact, case-insensitive), or NULL. */
const struct msl_site_entry *msl_site_local(const struct msl_site *s, const char *domain);
int msl_site_is_protected(const struct msl_site *s, const char *domain);
/* An allowed-relay, internal-service or trusted entry that a delivery relay (host, ip,
 * port: NULL / -1 when unknown) matches, or NULL. */
const struct msl_site_entry *msl_site_relay_allowed(const struct msl_site *s, const char *host,
                                                    const char *ip, int32_t port);
/* An mx-gateway entry naming host or ip, or NULL. */
const struct msl_site_entry *msl_site_gateway(const struct msl_site *s, const char *host,
                                              const char *ip);
/* The SMTP service entry of a syslog program name ("postfix/submission/smtpd"). */
const struct msl_site_entry *msl_site_service(const struct msl_site *s, const char *program);
/* "127.0.0.0/8 trusted: loopback", "example.com local: Postfix mydestination
 * (/etc/postfix/main.cf:12)" */
void msl_site_describe(const struct msl_site_entry *e, char *buf, size_t n);
const char *msl_site_kind_name(enum msl_site_kind k);

#ifdef __cplusplus
}
#endif
#endif
