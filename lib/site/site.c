/*
 * site.c - the site context (include/mailsleuth/site.h): the entry table, the defaults,
 * which parser reads which file, and the look-ups detectors make.  Trusted networks are
 * parsed once (lib/query's CIDR code); look-ups are linear scans: sites name tens of
 * entries, and detectors ask once per finished record, not per line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "site/site_int.h"
#include "util/cidr.h"
#include "util/strmap.h"

struct msl_site {
    struct msl_site_entry *e;
    struct msl_cidr *cidr; /* parallel to e (valid for MSL_SITE_TRUSTED_NET) */
    size_t n, cap;
    struct strmap *seen; /* "kind port value" (lower case) of every entry: duplicates */
    size_t dropped;      /* entries past MSL_SITE_MAX_ENTRIES */
};

size_t msl_site_dropped(const struct msl_site *s)
{
    return s ? s->dropped : 0;
}

static const char *const kind_names[MSL_SITE__KINDS] = {
    "trusted", "local", "protected", "relay domain", "allowed relay", "MX gateway",
    "internal service", "service", "sender-login map", "instance"};

const char *msl_site_kind_name(enum msl_site_kind k)
{
    return (unsigned)k < MSL_SITE__KINDS ? kind_names[k] : "?";
}

struct msl_site *msl_site_new(void)
{
    return calloc(1, sizeof(struct msl_site));
}

void msl_site_free(struct msl_site *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].value);
        free(s->e[i].why);
        free(s->e[i].src);
    }
    free(s->e);
    free(s->cidr);
    strmap_free(s->seen);
    free(s);
}

static char *dup_s(const char *p)
{
    return p ? strdup(p) : NULL;
}

int msl_site_add(struct msl_site *s, enum msl_site_kind k, enum msl_site_origin o,
                 const char *value, int32_t port, const char *why, const char *src,
                 unsigned long line, char *err, size_t errsz)
{
    size_t vn = value ? strlen(value) : 0;
    if (!vn || vn > 255 || (unsigned)k >= MSL_SITE__KINDS) {
        snprintf(err, errsz, "empty or over-long value");
        return -1;
    }
    for (size_t i = 0; i < vn; i++)
        if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f) {
            snprintf(err, errsz, "'%s' contains blanks or control characters", value);
            return -1;
        }
    struct msl_cidr c = {0};
    if (k == MSL_SITE_TRUSTED_NET) {
        const char *w = NULL;
        if (!site_is_cidr(value, vn) || msl_cidr_parse(&c, value, vn, &w) != 0) {
            snprintf(err, errsz, "'%s' is not an address or CIDR like 192.0.2.0/24%s%s", value,
                     w ? ": " : "", w ? w : "");
            return -1;
        }
    }
    int lower = k == MSL_SITE_LOCAL_DOMAIN || k == MSL_SITE_PROTECTED_DOMAIN ||
                k == MSL_SITE_RELAY_DOMAIN || k == MSL_SITE_ALLOWED_RELAY ||
                k == MSL_SITE_MX_GATEWAY || k == MSL_SITE_INTERNAL_SERVICE;
    char key[300];
    int kl = snprintf(key, sizeof key, "%d %d %s", (int)k, (int)port, value);
    for (int i = 0; i < kl; i++)
        key[i] = (char)tolower((unsigned char)key[i]);
    if (!s->seen && !(s->seen = strmap_new(1)))
        goto oom;
    if (strmap_find(s->seen, key, (size_t)kl))
        return 0;
    if (s->n >= MSL_SITE_MAX_ENTRIES) {
        s->dropped++;
        snprintf(err, errsz, "more than %u site entries", MSL_SITE_MAX_ENTRIES);
        return -1;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        struct msl_site_entry *ne = realloc(s->e, nc * sizeof *ne);
        if (!ne)
            goto oom;
        s->e = ne;
        struct msl_cidr *nq = realloc(s->cidr, nc * sizeof *nq);
        if (!nq)
            goto oom;
        s->cidr = nq;
        s->cap = nc;
    }
    struct msl_site_entry *e = &s->e[s->n];
    *e = (struct msl_site_entry){.kind = k, .origin = o, .value = dup_s(value), .port = port,
                                 .why = dup_s(why ? why : "?"), .src = dup_s(src),
                                 .line = line};
    if (!e->value || !e->why || (src && !e->src)) {
        free(e->value);
        free(e->why);
        free(e->src);
        goto oom;
    }
    if (lower)
        for (char *p = e->value; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    if (!strmap_get(s->seen, key, (size_t)kl, NULL)) {
        free(e->value);
        free(e->why);
        free(e->src);
        goto oom;
    }
    s->cidr[s->n] = c;
    s->n++;
    return 0;
oom:
    snprintf(err, errsz, "out of memory");
    return -1;
}

void msl_site_add_defaults(struct msl_site *s)
{
    char err[128];
    msl_site_add(s, MSL_SITE_TRUSTED_NET, MSL_SITE_FROM_DEFAULT, "127.0.0.0/8", -1, "loopback",
                 NULL, 0, err, sizeof err);
    msl_site_add(s, MSL_SITE_TRUSTED_NET, MSL_SITE_FROM_DEFAULT, "::1", -1, "loopback", NULL, 0,
                 err, sizeof err);
}

const struct msl_site_entry *msl_site_entries(const struct msl_site *s, size_t *n)
{
    *n = s ? s->n : 0;
    return s ? s->e : NULL;
}

size_t msl_site_count(const struct msl_site *s, enum msl_site_kind k)
{
    size_t c = 0;
    for (size_t i = 0; s && i < s->n; i++)
        c += s->e[i].kind == k && s->e[i].origin != MSL_SITE_FROM_DEFAULT;
    return c;
}

const struct msl_site_entry *msl_site_trusted(const struct msl_site *s, const char *ip,
                                              int no_defaults)
{
    size_t n = ip ? strlen(ip) : 0;
    if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
        ip++;
        n -= 2;
    }
    for (size_t i = 0; s && n && i < s->n; i++)
        if (s->e[i].kind == MSL_SITE_TRUSTED_NET &&
            !(no_defaults && s->e[i].origin == MSL_SITE_FROM_DEFAULT) &&
            msl_cidr_match(&s->cidr[i], ip, n))
            return &s->e[i];
    return NULL;
}

static const struct msl_site_entry *find_value(const struct msl_site *s, enum msl_site_kind k,
                                               const char *v)
{
    for (size_t i = 0; s && v && *v && i < s->n; i++)
        if (s->e[i].kind == k && !strcasecmp(s->e[i].value, v))
            return &s->e[i];
    return NULL;
}

const struct msl_site_entry *msl_site_local(const struct msl_site *s, const char *domain)
{
    return find_value(s, MSL_SITE_LOCAL_DOMAIN, domain);
}

int msl_site_is_protected(const struct msl_site *s, const char *domain)
{
    return find_value(s, MSL_SITE_PROTECTED_DOMAIN, domain) != NULL;
}

/* host equals name, or is a name below it ("mx1.relay.example" for "relay.example"). */
static int host_is(const char *host, const char *name, size_t nn)
{
    size_t hn = host ? strlen(host) : 0;
    if (!hn || !nn)
        return 0;
    if (hn == nn)
        return !strncasecmp(host, name, nn);
    return hn > nn && host[hn - nn - 1] == '.' && !strncasecmp(host + hn - nn, name, nn);
}

/* Splits "[host]:port" / "host:port" / "host" (IPv6 only in brackets). */
static void split_hostport(const char *v, const char **h, size_t *hn, int32_t *port)
{
    *port = -1;
    const char *colon = NULL;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        *h = v + 1;
        *hn = close ? (size_t)(close - v - 1) : strlen(v + 1);
        colon = close && close[1] == ':' ? close + 1 : NULL;
    } else {
        *h = v;
        colon = strchr(v, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        *hn = colon ? (size_t)(colon - v) : strlen(v);
    }
    if (colon)
        *port = (int32_t)strtol(colon + 1, NULL, 10);
}

const struct msl_site_entry *msl_site_relay_allowed(const struct msl_site *s, const char *host,
                                                    const char *ip, int32_t port)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const struct msl_site_entry *e = &s->e[i];
        if (e->kind != MSL_SITE_ALLOWED_RELAY && e->kind != MSL_SITE_INTERNAL_SERVICE)
            continue;
        const char *h;
        size_t hn;
        int32_t p;
        split_hostport(e->value, &h, &hn, &p);
        if (e->port >= 0)
            p = e->port;
        if (p >= 0 && port >= 0 && p != port)
            continue;
        if (host_is(host, h, hn) || (ip && strlen(ip) == hn && !strncasecmp(ip, h, hn)))
            return e;
    }
    return NULL;
}

const struct msl_site_entry *msl_site_gateway(const struct msl_site *s, const char *host,
                                              const char *ip)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const struct msl_site_entry *e = &s->e[i];
        if (e->kind != MSL_SITE_MX_GATEWAY)
            continue;
        size_t vn = strlen(e->value);
        if (host_is(host, e->value, vn) || (ip && !strcasecmp(ip, e->value)))
            return e;
    }
    return NULL;
}

const struct msl_site_entry *msl_site_service(const struct msl_site *s, const char *program)
{
    if (!program)
        return NULL;
    /* "postfix/submission/smtpd" -> syslog name "postfix/submission" */
    const char *slash = strrchr(program, '/');
    size_t n = slash ? (size_t)(slash - program) : strlen(program);
    for (size_t i = 0; s && i < s->n; i++)
        if (s->e[i].kind == MSL_SITE_SERVICE && strlen(s->e[i].value) == n &&
            !strncmp(s->e[i].value, program, n))
            return &s->e[i];
    return NULL;
}

void msl_site_describe(const struct msl_site_entry *e, char *buf, size_t n)
{
    char where[600] = "";
    if (e->src && e->line)
        snprintf(where, sizeof where, " (%s:%lu)", e->src, e->line);
    else if (e->src)
        snprintf(where, sizeof where, " (%s)", e->src);
    char port[24] = "";
    if (e->port >= 0)
        snprintf(port, sizeof port, " port %d", (int)e->port);
    snprintf(buf, n, "%s%s %s: %s%s", e->value, port, msl_site_kind_name(e->kind), e->why,
             where);
}

/* ---- loading ---------------------------------------------------------------------- */

char *site_read_file(const char *path, size_t *n, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *b = malloc(MSL_SITE_MAX_FILE + 1);
    size_t got = b ? fread(b, 1, MSL_SITE_MAX_FILE + 1, f) : 0;
    int bad = !b || ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errsz, "%s: %s", path, b ? "read error" : "out of memory");
        free(b);
        return NULL;
    }
    if (got > MSL_SITE_MAX_FILE) {
        snprintf(err, errsz, "%s: larger than %u bytes: not a configuration file", path,
                 MSL_SITE_MAX_FILE);
        free(b);
        return NULL;
    }
    b[got] = '\0';
    *n = got;
    return b;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Which parser reads a file, by its name, else by a look at its content. */
static const char *kind_of(const char *path, const char *text)
{
    const char *b = base_name(path);
    if (!strcmp(b, "main.cf"))
        return "postfix-main";
    if (!strcmp(b, "master.cf"))
        return "postfix-master";
    if (!strcmp(b, "update-exim4.conf.conf"))
        return "exim-debconf";
    if (strstr(b, "exim") || !strcmp(b, "config.autogenerated"))
        return "exim";
    if (!strcmp(b, "local-host-names") || !strcmp(b, "sendmail.cw"))
        return "sendmail-lhn";
    if (!strcmp(b, "relay-domains"))
        return "sendmail-relay";
    if (!strcmp(b, "access"))
        return "sendmail-access";
    if (!strcmp(b, "smtpd.conf"))
        return "opensmtpd";
    if (!strcmp(b, "locals"))
        return "courier-locals";
    if (!strcmp(b, "hosteddomains"))
        return "courier-hosted";
    if (!strcmp(b, "esmtpacceptmailfor"))
        return "courier-accept";
    if (b - path >= 12 && !strncmp(b - 12, "smtpaccess/", 11))
        return "courier-smtpaccess"; /* a file of /etc/courier/smtpaccess/ */
    if (b - path >= 24 && !strncmp(b - 24, "esmtpacceptmailfor.dir/", 23))
        return "courier-accept";
    if (b - path >= 15 && !strncmp(b - 15, "hosteddomains/", 14))
        return "courier-hosted";
    if (text && (strstr(text, "domainlist") || strstr(text, "hostlist")))
        return "exim";
    if (text && strstr(text, "match ") && strstr(text, "action "))
        return "opensmtpd";
    if (text && (strstr(text, "mydestination") || strstr(text, "mynetworks")))
        return "postfix-main";
    return NULL;
}

int msl_site_parse_text(struct msl_site *s, const char *kind, const char *text, size_t n,
                        const char *name, char *err, size_t errsz)
{
    char *t = malloc(n + 1);
    if (!t) {
        snprintf(err, errsz, "out of memory");
        return MSL_ENOMEM;
    }
    memcpy(t, text, n);
    t[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!t[i])
            t[i] = ' '; /* a NUL byte does not end the file early */
    struct site_ctx c = {.s = s, .name = name, .err = err, .errsz = errsz};
    int rc = MSL_EUSAGE;
    const char *dir = NULL;
    char dirbuf[4096];
    if (name && strrchr(name, '/')) {
        snprintf(dirbuf, sizeof dirbuf, "%.*s", (int)(strrchr(name, '/') - name), name);
        dir = dirbuf;
    }
    if (!strcmp(kind, "postfix-main"))
        rc = site_postfix_main(&c, t, dir);
    else if (!strcmp(kind, "postfix-master"))
        rc = site_postfix_master(&c, t);
    else if (!strcmp(kind, "exim"))
        rc = site_exim(&c, t);
    else if (!strcmp(kind, "exim-debconf"))
        rc = site_exim_debconf(&c, t);
    else if (!strcmp(kind, "sendmail-lhn"))
        rc = site_sendmail_list(&c, t, MSL_SITE_LOCAL_DOMAIN, "Sendmail local-host-names");
    else if (!strcmp(kind, "sendmail-relay"))
        rc = site_sendmail_list(&c, t, MSL_SITE_RELAY_DOMAIN, "Sendmail relay-domains");
    else if (!strcmp(kind, "sendmail-access"))
        rc = site_sendmail_access(&c, t);
    else if (!strcmp(kind, "opensmtpd"))
        rc = site_opensmtpd(&c, t);
    else if (!strcmp(kind, "courier-smtpaccess"))
        rc = site_courier_access(&c, t);
    else if (!strcmp(kind, "courier-locals"))
        rc = site_courier_domains(&c, t, MSL_SITE_LOCAL_DOMAIN, "Courier locals");
    else if (!strcmp(kind, "courier-hosted"))
        rc = site_courier_domains(&c, t, MSL_SITE_LOCAL_DOMAIN, "Courier hosteddomains");
    else if (!strcmp(kind, "courier-me"))
        rc = site_courier_domains(&c, t, MSL_SITE_LOCAL_DOMAIN, "Courier me (no locals file)");
    else if (!strcmp(kind, "courier-accept"))
        rc = site_courier_domains(&c, t, MSL_SITE_RELAY_DOMAIN, "Courier esmtpacceptmailfor");
    else if (!strcmp(kind, "site"))
        rc = site_file(&c, t);
    else
        snprintf(err, errsz, "unknown configuration kind '%s'", kind);
    free(t);
    return rc;
}

static int load_one(struct msl_site *s, const char *path, const char *kind, char *err,
                    size_t errsz)
{
    size_t n;
    char *t = site_read_file(path, &n, err, errsz);
    if (!t)
        return MSL_EINPUT;
    if (!kind)
        kind = kind_of(path, t);
    int rc = MSL_EUSAGE;
    if (!kind)
        snprintf(err, errsz, "%s: not a Postfix, Exim, Sendmail, OpenSMTPD or Courier configuration "
                             "file this reader knows (doc/SITE.md)", path);
    else
        rc = msl_site_parse_text(s, kind, t, n, path, err, errsz);
    free(t);
    return rc;
}

/* Each regular file of dir (sorted, so entries come in a stable order), as kind. */
static int load_dir_files(struct msl_site *s, const char *dir, const char *kind, int *found,
                          char *err, size_t errsz)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return MSL_OK; /* absent: nothing of this kind */
    int rc = MSL_OK;
    for (int i = 0; i < n; i++) {
        char p[4096];
        struct stat st;
        int w = snprintf(p, sizeof p, "%s/%s", dir, names[i]->d_name);
        if (rc == MSL_OK && names[i]->d_name[0] != '.' && w > 0 && (size_t)w < sizeof p &&
            stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            int r = load_one(s, p, kind, err, errsz);
            if (r == MSL_EINPUT || r == MSL_ENOMEM)
                rc = r;
            *found += r == MSL_OK;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Courier's /etc/courier: smtpaccess/ (files), locals (else me: Courier's default local
 * domain), hosteddomains and esmtpacceptmailfor(.dir), each a file or a directory. */
static int load_courier(struct msl_site *s, const char *dir, int *found, char *err,
                        size_t errsz)
{
    static const struct {
        const char *name, *kind;
    } lists[] = {{"smtpaccess", "courier-smtpaccess"}, {"locals", "courier-locals"},
                 {"hosteddomains", "courier-hosted"}, {"esmtpacceptmailfor", "courier-accept"},
                 {"esmtpacceptmailfor.dir", "courier-accept"}};
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/smtpaccess", dir);
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        return MSL_OK; /* not a Courier directory */
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, lists[i].name);
        if (stat(p, &st) != 0)
            continue;
        int rc = MSL_OK;
        if (S_ISDIR(st.st_mode)) {
            rc = load_dir_files(s, p, lists[i].kind, found, err, errsz);
        } else if (S_ISREG(st.st_mode)) {
            rc = load_one(s, p, lists[i].kind, err, errsz);
            *found += rc == MSL_OK;
        }
        if (rc == MSL_EINPUT || rc == MSL_ENOMEM)
            return rc;
    }
    snprintf(p, sizeof p, "%s/locals", dir);
    if (stat(p, &st) != 0) {
        snprintf(p, sizeof p, "%s/me", dir);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            int rc = load_one(s, p, "courier-me", err, errsz);
            if (rc == MSL_EINPUT || rc == MSL_ENOMEM)
                return rc;
        }
    }
    return MSL_OK;
}

int msl_site_load_config(struct msl_site *s, const char *path, char *err, size_t errsz)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return MSL_EINPUT;
    }
    if (!S_ISDIR(st.st_mode))
        return load_one(s, path, NULL, err, errsz);
    /* a directory: the files of every MTA this reader knows, those that exist */
    static const char *const names[] = {
        "main.cf", "master.cf", "exim4.conf", "exim.conf", "config.autogenerated",
        "update-exim4.conf.conf", "local-host-names", "relay-domains", "access", "smtpd.conf"};
    int found = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!strcmp(names[i], "access") || !strcmp(names[i], "relay-domains")) {
            /* only in a Sendmail directory (Postfix has its own "access" map) */
            char q[4096];
            snprintf(q, sizeof q, "%s/main.cf", path);
            if (stat(q, &st) == 0)
                continue;
        }
        int rc = load_one(s, p, NULL, err, errsz);
        if (rc == MSL_EINPUT || rc == MSL_ENOMEM)
            return rc;
        found += rc == MSL_OK;
    }
    int rc = load_courier(s, path, &found, err, errsz);
    if (rc != MSL_OK)
        return rc;
    if (!found) {
        snprintf(err, errsz, "%s: no MTA configuration found there (looked for main.cf, "
                             "master.cf, exim4.conf, update-exim4.conf.conf, local-host-names, "
                             "relay-domains, access, smtpd.conf, Courier's smtpaccess/, "
                             "locals, hosteddomains, esmtpacceptmailfor)", path);
        return MSL_EUSAGE;
    }
    return MSL_OK;
}

int msl_site_load_file(struct msl_site *s, const char *path, char *err, size_t errsz)
{
    return load_one(s, path, "site", err, errsz);
}

/* ---- helpers for the parsers ------------------------------------------------------ */

void site_add(struct site_ctx *c, enum msl_site_kind k, const char *value, size_t n,
              int32_t port, const char *why, unsigned long line)
{
    char v[256], e[300];
    if (!n || n >= sizeof v)
        return;
    memcpy(v, value, n);
    v[n] = '\0';
    if (msl_site_add(c->s, k, MSL_SITE_FROM_CONFIG, v, port, why, c->name, line, e,
                     sizeof e) == 0)
        c->added++;
}

char *site_next_line(char **cur)
{
    char *line = *cur;
    if (!line || !*line)
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *cur = nl + 1;
    } else {
        *cur = line + strlen(line);
    }
    return line;
}

size_t site_token(const char **p, const char *seps, const char **tok)
{
    const char *s = *p;
    while (*s && (strchr(seps, *s) || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    const char *t = s;
    while (*s && !strchr(seps, *s) && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    *tok = t;
    *p = s;
    return (size_t)(s - t);
}

/* "127" -> 127.0.0.0/8, "192.168.1" -> 192.168.1.0/24; full addresses stay. */
int site_quad_cidr(const char *s, size_t n, char *out, size_t on)
{
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    if (!n || s[n - 1] == '.' || dots > 3)
        return 0;
    static const char *const tail[] = {".0.0.0/8", ".0.0/16", ".0/24", ""};
    snprintf(out, on, "%.*s%s", (int)n, s, tail[dots]);
    return 1;
}

int site_is_cidr(const char *s, size_t n)
{
    if (!n)
        return 0;
    int colon = 0, dot = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != ':' && s[i] != '/')
            return 0;
        colon |= s[i] == ':';
        dot |= s[i] == '.';
    }
    return colon || dot;
}
