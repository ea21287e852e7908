/*
 * site_file.c - the site file (`--site FILE`, doc/SITE.md): one statement a line,
 *     # comment
 *     trusted-net 192.0.2.0/24
 *     local-domain example.com
 *     protected-domain partner.example
 *     allowed-relay [smarthost.example.net]:587
 *     mx-gateway mx-filter.example.net
 *     internal-service 127.0.0.1:10024
 * Unlike an MTA's configuration, the site file is written for mailsleuth: an unknown
 * statement or a bad value is an error naming file:line.
 */
#include <stdio.h>
#include <string.h>

#include "site/site_int.h"

static const struct {
    const char *word;
    enum msl_site_kind kind;
} statements[] = {
    {"trusted-net", MSL_SITE_TRUSTED_NET},     {"local-domain", MSL_SITE_LOCAL_DOMAIN},
    {"protected-domain", MSL_SITE_PROTECTED_DOMAIN}, {"allowed-relay", MSL_SITE_ALLOWED_RELAY},
    {"mx-gateway", MSL_SITE_MX_GATEWAY},       {"internal-service", MSL_SITE_INTERNAL_SERVICE},
};

int site_file(struct site_ctx *c, char *text)
{
    unsigned long ln = 0;
    for (char *cur = text, *line; (line = site_next_line(&cur)) != NULL;) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        const char *q = line, *w, *v, *extra;
        size_t wn = site_token(&q, "", &w);
        if (!wn)
            continue;
        size_t vn = site_token(&q, "", &v);
        size_t xn = site_token(&q, "", &extra);
        size_t i = 0;
        while (i < sizeof statements / sizeof statements[0] &&
               !(strlen(statements[i].word) == wn && !strncmp(statements[i].word, w, wn)))
            i++;
        if (i == sizeof statements / sizeof statements[0]) {
            snprintf(c->err, c->errsz, "%s:%lu: unknown statement '%.*s' (known: trusted-net, "
                     "local-domain, protected-domain, allowed-relay, mx-gateway, "
                     "internal-service)", c->name, ln, (int)(wn > 60 ? 60 : wn), w);
            return MSL_EUSAGE;
        }
        if (!vn || xn) {
            snprintf(c->err, c->errsz, "%s:%lu: %s wants exactly one value", c->name, ln,
                     statements[i].word);
            return MSL_EUSAGE;
        }
        char val[256], why[300];
        snprintf(val, sizeof val, "%.*s", (int)(vn > 255 ? 255 : vn), v);
        char e[400];
        snprintf(why, sizeof why, "site file %s", statements[i].word);
        if (msl_site_add(c->s, statements[i].kind, MSL_SITE_FROM_FILE, val, -1, why, c->name,
                         ln, e, sizeof e) != 0) {
            snprintf(c->err, c->errsz, "%s:%lu: %s: %s", c->name, ln, statements[i].word, e);
            return MSL_EUSAGE;
        }
        c->added++;
    }
    return MSL_OK;
}
