/*
 * site_sendmail.c - Sendmail's text sources of the class and access maps: local-host-names
 * (class w: local domains), relay-domains (class R) and the access map's source text
 * ("Connect:192.0.2 RELAY", "192.0.2.0/24 RELAY" with FEATURE(`access_db')): RELAY entries
 * for addresses are trusted networks, for domains relay domains.  Sendmail matches
 * partial dotted quads ("Connect:127" is 127.0.0.0/8); they become CIDRs.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "site/site_int.h"

int site_sendmail_list(struct site_ctx *c, char *text, enum msl_site_kind k, const char *why)
{
    unsigned long ln = 0;
    for (char *cur = text, *line; (line = site_next_line(&cur)) != NULL;) {
        ln++;
        const char *q = line, *t;
        size_t n;
        while ((n = site_token(&q, "", &t)) > 0 && *t != '#')
            site_add(c, k, t, n, -1, why, ln);
    }
    return MSL_OK;
}

int site_sendmail_access(struct site_ctx *c, char *text)
{
    unsigned long ln = 0;
    for (char *cur = text, *line; (line = site_next_line(&cur)) != NULL;) {
        ln++;
        const char *q = line, *k, *v;
        size_t kn = site_token(&q, "", &k);
        size_t vn = site_token(&q, "", &v);
        if (!kn || *k == '#' || vn != 5 || strncasecmp(v, "RELAY", 5) != 0)
            continue;
        /* tags: Connect: (client), To: (recipient domain); untagged entries are both */
        int to = 0;
        if (kn > 8 && !strncasecmp(k, "Connect:", 8)) {
            k += 8;
            kn -= 8;
        } else if (kn > 3 && !strncasecmp(k, "To:", 3)) {
            k += 3;
            kn -= 3;
            to = 1;
        } else if (memchr(k, ':', kn) && !(kn > 5 && !strncasecmp(k, "IPv6:", 5))) {
            continue; /* From:, Spam:, GreetPause: ... */
        }
        if (kn > 5 && !strncasecmp(k, "IPv6:", 5)) {
            site_add(c, MSL_SITE_TRUSTED_NET, k + 5, kn - 5, -1, "Sendmail access RELAY", ln);
            continue;
        }
        char cidr[64];
        if (!to && site_quad_cidr(k, kn, cidr, sizeof cidr))
            site_add(c, MSL_SITE_TRUSTED_NET, cidr, strlen(cidr), -1, "Sendmail access RELAY",
                     ln);
        else if (!to && site_is_cidr(k, kn))
            site_add(c, MSL_SITE_TRUSTED_NET, k, kn, -1, "Sendmail access RELAY", ln);
        else
            site_add(c, MSL_SITE_RELAY_DOMAIN, k, kn, -1, "Sendmail access RELAY", ln);
    }
    return MSL_OK;
}
