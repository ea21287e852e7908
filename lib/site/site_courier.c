/*
 * site_courier.c - Courier's own lists (courier-mta, /etc/courier): the smtpaccess files
 * couriertcpd reads (makesmtpaccess builds smtpaccess.dat from them): "ADDRESS<TAB>allow,
 * RELAYCLIENT" lets a network relay, so it is a trusted network; ADDRESS is a full or
 * partial dotted quad ("192.168.0" is 192.168.0.0/24) or an IPv6 address written as
 * colon-led groups (":0000:0000:0000:0000:0000:ffff:7f00:0001", partial = prefix).  And the
 * domain lists: locals (local domains; "!domain" excepts one), hosteddomains ("domain" or
 * "alias<TAB>domain": both local), esmtpacceptmailfor (domains accepted from outside:
 * local or relayed, kept as relay domains).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "site/site_int.h"

/* ":aaaa:bbbb" (1 to 8 groups of up to 4 hex digits) -> "aaaa:bbbb::/32". */
static int groups_cidr(const char *s, size_t n, char *out, size_t on)
{
    if (n < 2 || s[0] != ':')
        return 0;
    int groups = 0;
    size_t w = 0;
    for (size_t i = 1; i < n;) {
        size_t j = i;
        while (j < n && s[j] != ':')
            j++;
        if (j == i || j - i > 4 || groups == 8)
            return 0;
        for (size_t k = i; k < j; k++)
            if (!strchr("0123456789abcdefABCDEF", s[k]))
                return 0;
        int m = snprintf(out + w, on - w, "%s%.*s", groups ? ":" : "", (int)(j - i), s + i);
        if (m < 0 || (size_t)m >= on - w)
            return 0;
        w += (size_t)m;
        groups++;
        i = j + 1;
    }
    int m = snprintf(out + w, on - w, "%s/%d", groups < 8 ? "::" : "", groups * 16);
    return m > 0 && (size_t)m < on - w;
}

int site_courier_access(struct site_ctx *c, char *text)
{
    unsigned long ln = 0;
    for (char *cur = text, *line; (line = site_next_line(&cur)) != NULL;) {
        ln++;
        const char *q = line, *a, *v;
        size_t an = site_token(&q, "", &a);
        size_t vn = site_token(&q, "", &v);
        if (!an || *a == '#' || vn < 5 || strncasecmp(v, "allow", 5) != 0)
            continue;
        /* the options after "allow," are environment settings: RELAYCLIENT lets it relay */
        int relay = 0;
        for (const char *o = v; (o = strstr(o, "RELAYCLIENT")) != NULL && o < v + vn; o++)
            relay |= (o == v || o[-1] == ',') && (o + 11 == v + vn || o[11] == ',' || o[11] == '=');
        if (!relay)
            continue;
        char cidr[80];
        if (site_quad_cidr(a, an, cidr, sizeof cidr) || groups_cidr(a, an, cidr, sizeof cidr))
            site_add(c, MSL_SITE_TRUSTED_NET, cidr, strlen(cidr), -1,
                     "Courier smtpaccess RELAYCLIENT", ln);
    }
    return MSL_OK;
}

int site_courier_domains(struct site_ctx *c, char *text, enum msl_site_kind k, const char *why)
{
    unsigned long ln = 0;
    for (char *cur = text, *line; (line = site_next_line(&cur)) != NULL;) {
        ln++;
        const char *q = line, *t;
        size_t n;
        /* hosteddomains: "alias<TAB>domain" names two local domains; locals: "!x" is an
         * exception, not a domain */
        while ((n = site_token(&q, "", &t)) > 0 && *t != '#') {
            char d[256];
            if (*t == '!' || n >= sizeof d)
                continue;
            memcpy(d, t, n);
            d[n] = '\0';
            /* esmtpacceptmailfor repeats the local domains: only the others are relayed */
            if (k == MSL_SITE_RELAY_DOMAIN && msl_site_local(c->s, d))
                continue;
            site_add(c, k, t, n, -1, why, ln);
        }
    }
    return MSL_OK;
}
