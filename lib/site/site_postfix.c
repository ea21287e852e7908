/*
 * site_postfix.c - Postfix main.cf and master.cf, read the way postconf(5) and master(5)
 * describe them: logical lines (a line starting with blanks continues the one before),
 * '#' comments at the start of a line, "name = value", $name and ${name} expanded from
 * the file's own parameters (and the few defaults that matter), lists separated by
 * commas and blanks.  Lookup tables in lists (type:name, /file) are not resolved, except
 * transport_maps of type hash/texthash/inline, whose text sits beside main.cf or inline.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site/site_int.h"

/* Last occurrence of ch in the n bytes at p (memrchr is not C11/POSIX). */
static const char *last_of(const char *p, char ch, size_t n)
{
    while (n-- > 0)
        if (p[n] == ch)
            return p + n;
    return NULL;
}

#define PF_MAX_PARAMS 512

struct pf_param {
    const char *name, *value; /* into the text copy */
    unsigned long line;
};

struct pf {
    struct pf_param p[PF_MAX_PARAMS];
    size_t n;
};

/* Joins continuation lines in place; returns the next logical line (NULL at the end). */
static char *logical_line(char **cur, unsigned long *lineno, unsigned long *first)
{
    char *s = *cur;
    while (*s) {
        char *nl = strchr(s, '\n');
        (*lineno)++;
        if (*s == '#' || *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            int blank = 1;
            for (char *q = s; *q && *q != '\n'; q++)
                blank &= *q == ' ' || *q == '\t' || *q == '\r';
            if (*s == '#' || blank) { /* comment or empty: skipped */
                s = nl ? nl + 1 : s + strlen(s);
                continue;
            }
        }
        *first = *lineno;
        char *start = s;
        /* swallow continuation lines: next line starts with a blank and is not empty */
        while (nl && (nl[1] == ' ' || nl[1] == '\t')) {
            char *q = nl + 1;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '\n' || *q == '\0' || *q == '#')
                break;
            *nl = ' ';
            (*lineno)++;
            nl = strchr(nl + 1, '\n');
        }
        if (nl) {
            *nl = '\0';
            *cur = nl + 1;
        } else {
            *cur = s + strlen(s);
        }
        return start;
    }
    *cur = s;
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static const struct pf_param *pf_get(const struct pf *pf, const char *name, size_t n)
{
    for (size_t i = pf->n; i-- > 0;) /* the last assignment wins */
        if (strlen(pf->p[i].name) == n && !strncmp(pf->p[i].name, name, n))
            return &pf->p[i];
    return NULL;
}

/* Expands $name / ${name} / $(name) into out (depth-limited; unknown names expand to
 * nothing, as postconf does). */
static void expand(const struct pf *pf, const char *v, char *out, size_t on, int depth)
{
    size_t u = 0;
    while (*v && u + 1 < on) {
        if (*v != '$' || depth > 8) {
            out[u++] = *v++;
            continue;
        }
        v++;
        const char *name = v;
        size_t n = 0;
        if (*v == '{' || *v == '(') {
            char close = *v == '{' ? '}' : ')';
            name = ++v;
            while (v[n] && v[n] != close && v[n] != ':' && v[n] != '?')
                n++;
            const char *end = strchr(v, close);
            v = end ? end + 1 : v + strlen(v);
        } else {
            while (isalnum((unsigned char)v[n]) || v[n] == '_')
                n++;
            v += n;
        }
        const struct pf_param *p = pf_get(pf, name, n);
        if (p) {
            char sub[2048];
            expand(pf, p->value, sub, sizeof sub, depth + 1);
            for (const char *q = sub; *q && u + 1 < on; q++)
                out[u++] = *q;
        }
    }
    out[u] = '\0';
}

static int is_table(const char *t, size_t n)
{
    if (n && t[0] == '/')
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == ':' && i > 0 && isalpha((unsigned char)t[0]))
            return !site_is_cidr(t, n);
        if (!isalnum((unsigned char)t[i]) && t[i] != '_')
            break;
    }
    return 0;
}

/* Adds every plain domain of a list parameter. */
static void add_domains(struct site_ctx *c, const struct pf *pf, const char *name,
                        const char *def, enum msl_site_kind k, const char *why)
{
    const struct pf_param *p = pf_get(pf, name, strlen(name));
    char val[4096];
    expand(pf, p ? p->value : def, val, sizeof val, 0);
    char w[160];
    snprintf(w, sizeof w, "%s%s", why, p ? "" : " (default)");
    const char *cur = val, *t;
    size_t n;
    while ((n = site_token(&cur, ",", &t)) > 0) {
        if (is_table(t, n) || memchr(t, '$', n) || memchr(t, '{', n))
            continue;
        site_add(c, k, t, n, -1, w, p ? p->line : 0);
    }
}

/* "[::1]/128" -> "::1/128"; "[::ffff:127.0.0.0]/104" -> "::ffff:127.0.0.0/104". */
static void add_network(struct site_ctx *c, const char *t, size_t n, const char *why,
                        unsigned long line)
{
    char v[128];
    size_t u = 0;
    for (size_t i = 0; i < n && u + 1 < sizeof v; i++)
        if (t[i] != '[' && t[i] != ']')
            v[u++] = t[i];
    v[u] = '\0';
    if (site_is_cidr(v, u))
        site_add(c, MSL_SITE_TRUSTED_NET, v, u, -1, why, line);
}

/* The next hop of a transport "smtp:[10.0.0.5]:25" (NULL when it names none). */
static void add_nexthop(struct site_ctx *c, const char *tr, size_t n, const char *why,
                        unsigned long line)
{
    const char *colon = memchr(tr, ':', n);
    if (!colon || (size_t)(colon - tr) + 1 >= n)
        return;
    size_t tl = (size_t)(colon - tr);
    /* local/virtual/error/discard transports have no network next hop */
    if ((tl == 5 && !strncmp(tr, "error", 5)) || (tl == 7 && !strncmp(tr, "discard", 7)) ||
        (tl == 5 && !strncmp(tr, "local", 5)) || (tl == 7 && !strncmp(tr, "virtual", 7)))
        return;
    const char *h = colon + 1;
    size_t hn = n - tl - 1;
    while (hn && (h[hn - 1] == '}' || h[hn - 1] == ','))
        hn--;
    site_add(c, MSL_SITE_ALLOWED_RELAY, h, hn, -1, why, line);
}

/* transport_maps: inline:{ { a = smtp:[x]:25 }, ... } and hash:/path text beside main.cf */
static void transports(struct site_ctx *c, const struct pf *pf, const char *dir)
{
    const struct pf_param *p = pf_get(pf, "transport_maps", 14);
    if (!p)
        return;
    char val[4096];
    expand(pf, p->value, val, sizeof val, 0);
    if (!strncmp(val, "inline:", 7)) {
        const char *cur = val + 7, *t;
        size_t n;
        while ((n = site_token(&cur, "{},=", &t)) > 0)
            if (memchr(t, ':', n))
                add_nexthop(c, t, n, "Postfix transport_maps (inline)", p->line);
        return;
    }
    const char *cur = val, *t;
    size_t n;
    while ((n = site_token(&cur, ",", &t)) > 0) {
        const char *colon = memchr(t, ':', n);
        if (!colon || !dir)
            continue;
        size_t tl = (size_t)(colon - t);
        if (!((tl == 4 && !strncmp(t, "hash", 4)) || (tl == 8 && !strncmp(t, "texthash", 8)) ||
              (tl == 3 && !strncmp(t, "lmdb", 4)) || (tl == 3 && !strncmp(t, "cdb", 3))))
            continue;
        /* the source text of the map: the path as written, else its name beside main.cf */
        char path[4096];
        const char *name = colon + 1;
        size_t nn = n - tl - 1;
        const char *slash = last_of(name, '/', nn);
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash ? nn - (size_t)(slash - name) - 1
                                                            : nn),
                 slash ? slash + 1 : name);
        char err[512];
        size_t len;
        char *text = site_read_file(path, &len, err, sizeof err);
        if (!text)
            continue;
        struct site_ctx sub = *c;
        sub.name = path;
        unsigned long ln = 0;
        for (char *at = text, *line; (line = site_next_line(&at)) != NULL;) {
            ln++;
            const char *q = line, *k, *v;
            size_t kn = site_token(&q, "", &k);
            size_t vn = site_token(&q, "", &v);
            if (!kn || *k == '#' || !vn)
                continue;
            char why[600];
            snprintf(why, sizeof why, "Postfix transport_maps %.*s", (int)kn, k);
            add_nexthop(&sub, v, vn, why, ln);
        }
        c->added = sub.added;
        free(text);
    }
}

int site_postfix_main(struct site_ctx *c, char *text, const char *dir)
{
    struct pf pf = {.n = 0};
    char *cur = text;
    unsigned long lineno = 0, first = 0;
    char *ln;
    while ((ln = logical_line(&cur, &lineno, &first)) != NULL) {
        char *eq = strchr(ln, '=');
        if (!eq || pf.n >= PF_MAX_PARAMS)
            continue;
        *eq = '\0';
        char *name = trim(ln), *val = trim(eq + 1);
        if (!*name || strpbrk(name, " \t"))
            continue;
        pf.p[pf.n++] = (struct pf_param){name, val, first};
    }
    if (!pf.n) {
        snprintf(c->err, c->errsz, "%s: no 'name = value' parameters: not a main.cf", c->name);
        return MSL_EUSAGE;
    }
    /* defaults postconf -d gives on a host named as main.cf says */
    const struct pf_param *hn = pf_get(&pf, "myhostname", 10);
    char dombuf[256]; /* lives as long as pf */
    if (!pf_get(&pf, "mydomain", 8) && hn && strchr(hn->value, '.') && pf.n < PF_MAX_PARAMS) {
        snprintf(dombuf, sizeof dombuf, "%s", strchr(hn->value, '.') + 1);
        pf.p[pf.n++] = (struct pf_param){"mydomain", dombuf, 0};
    }
    add_domains(c, &pf, "mydestination", "$myhostname, localhost.$mydomain, localhost",
                MSL_SITE_LOCAL_DOMAIN, "Postfix mydestination");
    add_domains(c, &pf, "virtual_alias_domains", "", MSL_SITE_LOCAL_DOMAIN,
                "Postfix virtual_alias_domains");
    add_domains(c, &pf, "virtual_mailbox_domains", "", MSL_SITE_LOCAL_DOMAIN,
                "Postfix virtual_mailbox_domains");
    add_domains(c, &pf, "relay_domains", "", MSL_SITE_RELAY_DOMAIN, "Postfix relay_domains");
    const struct pf_param *mn = pf_get(&pf, "mynetworks", 10);
    if (mn) {
        char val[4096];
        expand(&pf, mn->value, val, sizeof val, 0);
        const char *q = val, *t;
        size_t n;
        while ((n = site_token(&q, ",", &t)) > 0)
            if (!is_table(t, n))
                add_network(c, t, n, "Postfix mynetworks", mn->line);
    } else {
        /* mynetworks_style: host (default since compatibility_level 2) trusts the
         * server's own addresses; subnet/class add the interfaces' networks, which a
         * configuration read offline cannot know: only loopback is stated */
        const struct pf_param *st = pf_get(&pf, "mynetworks_style", 16);
        char why[200];
        snprintf(why, sizeof why, "Postfix mynetworks_style = %s%s (the server's own "
                 "addresses; interface networks not known offline)",
                 st ? st->value : "host", st ? "" : " (default)");
        site_add(c, MSL_SITE_TRUSTED_NET, "127.0.0.0/8", 11, -1, why, st ? st->line : 0);
        site_add(c, MSL_SITE_TRUSTED_NET, "::1", 3, -1, why, st ? st->line : 0);
    }
    const struct pf_param *rh = pf_get(&pf, "relayhost", 9);
    if (rh) {
        char val[1024];
        expand(&pf, rh->value, val, sizeof val, 0);
        const char *q = val, *t;
        size_t n;
        while ((n = site_token(&q, ",", &t)) > 0)
            site_add(c, MSL_SITE_ALLOWED_RELAY, t, n, -1, "Postfix relayhost", rh->line);
    }
    transports(c, &pf, dir);
    const struct pf_param *cf = pf_get(&pf, "content_filter", 14);
    if (cf && *cf->value)
        add_nexthop(c, cf->value, strlen(cf->value), "Postfix content_filter", cf->line);
    const struct pf_param *lm = pf_get(&pf, "smtpd_sender_login_maps", 23);
    if (lm && *lm->value)
        site_add(c, MSL_SITE_LOGIN_MAPS, lm->value, strcspn(lm->value, " ,\t"), -1,
                 "Postfix smtpd_sender_login_maps", lm->line);
    const struct pf_param *mi = pf_get(&pf, "multi_instance_name", 19);
    if (mi && *mi->value)
        site_add(c, MSL_SITE_INSTANCE, mi->value, strlen(mi->value), -1,
                 "Postfix multi_instance_name", mi->line);
    const struct pf_param *sl = pf_get(&pf, "syslog_name", 11);
    if (sl && *sl->value)
        site_add(c, MSL_SITE_INSTANCE, sl->value, strcspn(sl->value, " \t"), -1,
                 "Postfix syslog_name", sl->line);
    return MSL_OK;
}

static int32_t service_port(const char *svc, size_t n)
{
    const char *colon = last_of(svc, ':', n);
    const char *p = colon ? colon + 1 : svc;
    size_t pn = colon ? n - (size_t)(colon - svc) - 1 : n;
    if (pn && pn < 6 && strspn(p, "0123456789") >= pn)
        return (int32_t)strtol(p, NULL, 10);
    static const struct { const char *name; int32_t port; } known[] = {
        {"smtp", 25}, {"submission", 587}, {"smtps", 465}, {"submissions", 465}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == pn && !strncmp(known[i].name, p, pn))
            return known[i].port;
    return -1;
}

int site_postfix_master(struct site_ctx *c, char *text)
{
    char *cur = text;
    unsigned long lineno = 0, first = 0;
    char *ln;
    int services = 0;
    while ((ln = logical_line(&cur, &lineno, &first)) != NULL) {
        const char *q = ln, *f[8];
        size_t fn[8];
        for (int i = 0; i < 8; i++)
            fn[i] = site_token(&q, "", &f[i]);
        if (!fn[7])
            continue;
        services++;
        if (fn[1] != 4 || strncmp(f[1], "inet", 4) || fn[7] != 5 || strncmp(f[7], "smtpd", 5))
            continue;
        /* the syslog name its lines carry: -o syslog_name=..., else "postfix" */
        char syslog[256] = "postfix";
        const char *o = strstr(q, "syslog_name=");
        if (o) {
            o += 12;
            size_t n = strcspn(o, " \t");
            char raw[256];
            snprintf(raw, sizeof raw, "%.*s", (int)(n < 255 ? n : 255), o);
            /* $service_name / ${service_name} is the first column */
            char *sv = strstr(raw, "$service_name");
            char *sb = strstr(raw, "${service_name}");
            size_t skip = sb ? 15 : sv ? 13 : 0;
            char *at = sb ? sb : sv;
            if (at)
                snprintf(syslog, sizeof syslog, "%.*s%.*s%s", (int)(at - raw), raw, (int)fn[0],
                         f[0], at + skip);
            else
                snprintf(syslog, sizeof syslog, "%s", raw);
        }
        char why[300];
        snprintf(why, sizeof why, "Postfix master.cf service %.*s", (int)fn[0], f[0]);
        site_add(c, MSL_SITE_SERVICE, syslog, strlen(syslog), service_port(f[0], fn[0]), why,
                 first);
    }
    if (!services) {
        snprintf(c->err, c->errsz, "%s: no service lines: not a master.cf", c->name);
        return MSL_EUSAGE;
    }
    return MSL_OK;
}
