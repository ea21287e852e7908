/*
 * site_opensmtpd.c - OpenSMTPD smtpd.conf (smtpd.conf(5), 6.4+ grammar): `table NAME
 * file:/path` / `table NAME { a, b }` definitions, `action "NAME" relay [host URL]` and
 * local actions (maildir, mbox, lmtp, mda, forward-only), `match [from ...] [for ...]
 * action "NAME"` rules and `listen on IF [port N] ...`.  Mapped: domains of `for domain
 * D|<table>` matched to a local action are local domains, to a relay action relay
 * domains; `from src A|<table>` of a relaying rule is a trusted network ("from local" is
 * the server itself); `relay host smtp://h:p` is an allowed relay; `listen on ... port N`
 * a service.  Tables are expanded when inline; `file:` tables are read from the
 * directory of smtpd.conf (by their file name) when they are there.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site/site_int.h"

#define OS_MAX 64

struct os_action {
    char name[64];
    int relay;          /* 1 relay, 0 local delivery */
    unsigned long line;
};

struct os_table {
    char name[64];
    char items[512]; /* inline items, ',' separated */
    char file[256];  /* file:/path table: the file's name, read beside smtpd.conf */
};

struct os {
    struct os_action a[OS_MAX];
    size_t na;
    struct os_table t[OS_MAX];
    size_t nt;
};

static size_t word(const char **p, const char **w)
{
    return site_token(p, "", w);
}

static void unquote(const char **w, size_t *n)
{
    if (*n >= 2 && (**w == '"' || **w == '\'') && (*w)[*n - 1] == **w) {
        (*w)++;
        *n -= 2;
    }
}

static const struct os_table *table_of(const struct os *os, const char *w, size_t n)
{
    if (n < 3 || w[0] != '<' || w[n - 1] != '>')
        return NULL;
    for (size_t i = 0; i < os->nt; i++)
        if (strlen(os->t[i].name) == n - 2 && !strncmp(os->t[i].name, w + 1, n - 2))
            return &os->t[i];
    return NULL;
}

/* A file table (one key a line, '#' comments; "key value" lines give the key), read from
 * the directory of smtpd.conf like the Postfix maps beside main.cf. */
static void add_file_table(struct site_ctx *c, const struct os_table *t, enum msl_site_kind k,
                           const char *why)
{
    const char *slash = c->name ? strrchr(c->name, '/') : NULL;
    if (!slash)
        return;
    char path[4096], err[512];
    snprintf(path, sizeof path, "%.*s/%s", (int)(slash - c->name), c->name, t->file);
    size_t len;
    char *text = site_read_file(path, &len, err, sizeof err);
    if (!text)
        return;
    struct site_ctx sub = *c;
    sub.name = path;
    unsigned long ln = 0;
    for (char *at = text, *l; (l = site_next_line(&at)) != NULL;) {
        ln++;
        const char *q = l, *key;
        size_t kn = site_token(&q, "", &key);
        if (kn && *key != '#' && (k != MSL_SITE_TRUSTED_NET || site_is_cidr(key, kn)))
            site_add(&sub, k, key, kn, -1, why, ln);
    }
    c->added = sub.added;
    free(text);
}

/* Adds a value or the items of an inline or file table. */
static void add_values(struct site_ctx *c, const struct os *os, const char *w, size_t n,
                       enum msl_site_kind k, const char *why, unsigned long line)
{
    const struct os_table *t = table_of(os, w, n);
    if (t && t->file[0]) {
        add_file_table(c, t, k, why);
        return;
    }
    if (!t) {
        if (w[0] != '<' && (k != MSL_SITE_TRUSTED_NET || site_is_cidr(w, n)))
            site_add(c, k, w, n, -1, why, line);
        return;
    }
    const char *q = t->items, *it;
    size_t in;
    while ((in = site_token(&q, ",", &it)) > 0) {
        unquote(&it, &in);
        if (k != MSL_SITE_TRUSTED_NET || site_is_cidr(it, in))
            site_add(c, k, it, in, -1, why, line);
    }
}

int site_opensmtpd(struct site_ctx *c, char *text)
{
    struct os os;
    memset(&os, 0, sizeof os);
    unsigned long ln = 0;
    int seen = 0;
    /* pass 1: tables and actions; pass 2: match and listen rules */
    for (int pass = 0; pass < 2; pass++) {
        ln = 0;
        const char *line = text;
        while (line && *line) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            char buf[2048];
            snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1),
                     line);
            line = nl ? nl + 1 : NULL;
            ln++;
            char *hash = strchr(buf, '#');
            if (hash)
                *hash = '\0';
            const char *p = buf, *w;
            size_t n = word(&p, &w);
            if (!n)
                continue;
            if (pass == 0 && n == 5 && !strncmp(w, "table", 5) && os.nt < OS_MAX) {
                const char *name;
                size_t nn = word(&p, &name);
                struct os_table *t = &os.t[os.nt++];
                snprintf(t->name, sizeof t->name, "%.*s", (int)(nn < 63 ? nn : 63), name);
                while (*p == ' ' || *p == '\t')
                    p++;
                if (!strncmp(p, "file:", 5)) {
                    const char *fp = p + 5, *fn;
                    size_t fl = site_token(&fp, "", &fn);
                    const char *base = fn;
                    for (size_t i = 0; i < fl; i++)
                        if (fn[i] == '/')
                            base = fn + i + 1;
                    size_t bl = fl - (size_t)(base - fn);
                    snprintf(t->file, sizeof t->file, "%.*s", (int)(bl < 255 ? bl : 255), base);
                } else if (*p == '{') {
                    const char *end = strchr(p, '}');
                    size_t in = end ? (size_t)(end - p - 1) : strlen(p + 1);
                    snprintf(t->items, sizeof t->items, "%.*s",
                             (int)(in < sizeof t->items ? in : sizeof t->items - 1), p + 1);
                }
                seen = 1;
            } else if (pass == 0 && n == 6 && !strncmp(w, "action", 6) && os.na < OS_MAX) {
                const char *name, *how;
                size_t nn = word(&p, &name);
                unquote(&name, &nn);
                size_t hn = word(&p, &how);
                struct os_action *a = &os.a[os.na++];
                snprintf(a->name, sizeof a->name, "%.*s", (int)(nn < 63 ? nn : 63), name);
                a->relay = hn == 5 && !strncmp(how, "relay", 5);
                a->line = ln;
                seen = 1;
                /* relay host smtp://host:port | smtps:// | lmtp:// */
                const char *hostkw = strstr(p, "host ");
                if (a->relay && hostkw) {
                    const char *hp = hostkw + 5, *url;
                    size_t un = word(&hp, &url);
                    unquote(&url, &un);
                    const char *sep = un > 3 ? strstr(url, "://") : NULL;
                    if (sep && (size_t)(sep - url) < un) {
                        const char *h = sep + 3;
                        const char *at = memchr(h, '@', un - (size_t)(h - url));
                        if (at) /* label@host: credentials label */
                            h = at + 1;
                        site_add(c, MSL_SITE_ALLOWED_RELAY, h, un - (size_t)(h - url), -1,
                                 "OpenSMTPD action relay host", ln);
                    }
                }
            } else if (pass == 1 && n == 6 && !strncmp(w, "listen", 6)) {
                const char *portkw = strstr(p, "port ");
                int32_t port = portkw ? (int32_t)strtol(portkw + 5, NULL, 10) : 25;
                const char *tls = strstr(p, "smtps") ? "smtps" : NULL;
                if (tls && !portkw)
                    port = 465;
                site_add(c, MSL_SITE_SERVICE, "smtpd", 5, port, "OpenSMTPD listen on", ln);
                seen = 1;
            } else if (pass == 1 && n == 5 && !strncmp(w, "match", 5)) {
                seen = 1;
                const char *act = strstr(p, "action ");
                if (!act)
                    continue;
                const char *ap = act + 7, *an;
                size_t ann = word(&ap, &an);
                unquote(&an, &ann);
                const struct os_action *a = NULL;
                for (size_t i = 0; i < os.na && !a; i++)
                    if (strlen(os.a[i].name) == ann && !strncmp(os.a[i].name, an, ann))
                        a = &os.a[i];
                if (!a)
                    continue;
                const char *dom = strstr(p, "for domain ");
                if (dom) {
                    const char *dp = dom + 11, *dw;
                    size_t dn = word(&dp, &dw);
                    unquote(&dw, &dn);
                    add_values(c, &os, dw, dn,
                               a->relay ? MSL_SITE_RELAY_DOMAIN : MSL_SITE_LOCAL_DOMAIN,
                               a->relay ? "OpenSMTPD match for domain (relay action)"
                                        : "OpenSMTPD match for domain (local action)", ln);
                }
                const char *src = strstr(p, "from src ");
                if (src && a->relay) {
                    const char *sp = src + 9, *sw;
                    size_t sn = word(&sp, &sw);
                    unquote(&sw, &sn);
                    add_values(c, &os, sw, sn, MSL_SITE_TRUSTED_NET,
                               "OpenSMTPD match from src (relay action)", ln);
                }
            }
        }
    }
    if (!seen) {
        snprintf(c->err, c->errsz, "%s: no table, action, match or listen lines: not an "
                                   "OpenSMTPD smtpd.conf", c->name);
        return MSL_EUSAGE;
    }
    return MSL_OK;
}
