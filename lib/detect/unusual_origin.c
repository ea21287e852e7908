/*
 * unusual_origin.c - rule unusual-origin: where successful logins come from.
 *  - new-country / new-asn: an AUTH success for a user from a country (ASN) never seen for
 *    that user earlier in the logs, once the user has `min_history` earlier located logins;
 *  - impossible-travel: two successive logins of a user from countries at least
 *    `min_distance` km apart, closer in time than travel at `max_speed` km/h allows;
 *  - listed-ip: any line whose client IP is on a user-supplied CIDR list (--ip-list
 *    NAME=FILE: Tor exits, open proxies, VPN ranges), one finding per list and IP.
 * Countries, coordinates and ASNs come from MaxMind-format databases (--geoip, --asn;
 * lib/util/geoip.c); a database without coordinates falls back to the built-in country
 * centroids.  Without --geoip the location checks are off and a note says so (lists still
 * work).  A success is AUTH_OK or a RECEIVED line with a SASL user (Postfix logs successful
 * logins only there), as for auth-success-after-failures.
 *
 * State: per user (at most max_keys) the last located login (country, coordinates, time,
 * its cited line) and up to 8 countries and 8 ASNs seen; per listed IP (at most max_keys)
 * the finding under construction.  Severity: the rule's (medium) for new-country and for a
 * listed IP without a login; one level lower for new-asn (mobile users change carriers);
 * one level higher for impossible-travel and a listed IP with a successful login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"
#include "util/geoip.h"

static const struct msl_param params[] = {
    {"min_history", MSL_P_INT, 2, 1, 1000000,
     "earlier located logins of a user before a new country/ASN is reported"},
    {"max_speed", MSL_P_INT, 1000, 1, 10000000,
     "km/h: faster travel between logins is impossible"},
    {"min_distance", MSL_P_INT, 500, 0, 40000,
     "km: countries closer than this are never impossible travel"},
};

enum { P_MIN_HISTORY, P_MAX_SPEED, P_MIN_DISTANCE };

#define SEEN_MAX 8

struct user {
    uint64_t logins; /* located logins */
    char country[8];
    int has_loc;
    double lat, lon;
    int64_t ts;
    struct msl_fevidence last; /* the last located login line (text when show_lines) */
    char ip[64];
    char countries[SEEN_MAX][8];
    size_t ncountries;
    uint32_t asns[SEEN_MAX];
    size_t nasns;
};

struct listed {
    const char *list;
    uint64_t lines, logins, failures;
    char users[4][128];
    size_t nusers;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    const struct geo_hunt_cfg *cfg;
    struct strmap *users;  /* sasl user -> struct user */
    struct strmap *listed; /* "list\nip" -> struct listed */
    uint64_t located, unlocated, dropped;
};

static enum msl_fsev shift(enum msl_fsev s, int by)
{
    int v = (int)s + by;
    return v < 0 ? MSL_FSEV_INFO : v >= MSL_FSEV__COUNT ? MSL_FSEV_CRITICAL : (enum msl_fsev)v;
}

static void fill_common(struct st *s, struct msl_finding *f, const struct msl_event *e,
                        const char *user)
{
    f->rule = "unusual-origin";
    f->entity_type = "user";
    f->entity = det_strdup(user);
    f->host = det_strndup(e->host.p, e->host.n);
    det_related_session(s->env, f, e);
    if (e->kind == MSL_EV_RECEIVED && e->qid.n) {
        char *h = det_strndup(e->host.p, e->host.n), *q = det_strndup(e->qid.p, e->qid.n);
        det_related_message(s->env, f, h, q);
        free(h);
        free(q);
    }
}

static void seen_list(const struct user *u, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < u->ncountries && used < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", u->countries[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void travel(struct st *s, struct user *u, const char *user, const struct msl_event *e,
                   const struct geo_info *g, double lat, double lon, const char *ip)
{
    double km = geo_distance_km(u->lat, u->lon, lat, lon);
    double hours = (double)(e->ts - u->ts) / (3600.0 * US_PER_S);
    if (km < (double)s->env->params[P_MIN_DISTANCE])
        return;
    double need = km / (double)s->env->params[P_MAX_SPEED]; /* hours the trip takes */
    if (hours >= need)
        return;
    struct msl_finding f = {0};
    fill_common(s, &f, e, user);
    f.severity = shift(s->env->severity, 1);
    det_cite_fe(s->env, &f, &u->last);
    det_cite(s->env, &f, e->ts, &e->ev, e->raw);
    det_set_count(&f, "km", (int64_t)(km + 0.5));
    det_set_count(&f, "seconds", (int64_t)((e->ts - u->ts) / US_PER_S));
    det_set_count(&f, "kmh_needed",
                  hours > 0 ? (int64_t)(km / hours + 0.5) : (int64_t)(km * 3600 + 0.5));
    det_title(&f, "impossible travel: %s logged in from %s (%s) and %lld s later from %s (%s), "
                  "%.0f km apart", user, u->country, u->ip,
              (long long)((e->ts - u->ts) / US_PER_S), g->country, ip, km);
    det_explain(&f, "User %s authenticated from %s in %s and then from %s in %s %.1f minutes "
                    "later; the two places are about %.0f km apart, which would need %.0f km/h "
                    "(limit %lld km/h).  Two logins this far apart this fast mean two different "
                    "people (or a VPN/proxy): check whether the user travels or uses such a "
                    "service, else treat the credential as stolen and reset it.",
                user, u->ip, u->country, ip, g->country,
                (double)(e->ts - u->ts) / (60.0 * US_PER_S), km,
                hours > 0 ? km / hours : km * 3600, (long long)s->env->params[P_MAX_SPEED]);
    msl_hunt_emit(s->env->hunt, &f);
}

static void new_origin(struct st *s, const struct user *u, const char *user,
                       const struct msl_event *e, const struct geo_info *g, const char *ip,
                       int asn)
{
    struct msl_finding f = {0};
    fill_common(s, &f, e, user);
    f.severity = shift(s->env->severity, asn ? -1 : 0);
    det_cite(s->env, &f, e->ts, &e->ev, e->raw);
    det_set_count(&f, "earlier_logins", (int64_t)u->logins);
    det_set_count(&f, asn ? "asns_seen" : "countries_seen",
                  (int64_t)(asn ? u->nasns : u->ncountries));
    char seen[64];
    seen_list(u, seen, sizeof seen);
    if (asn) {
        det_title(&f, "login from a new network: %s from %s (AS%u %s)", user, ip, g->asn,
                  g->asorg);
        det_explain(&f, "User %s authenticated from %s in AS%u (%s), a network not seen for "
                        "this user in %llu earlier logins.  Alone this is weak (mobile carriers, "
                        "hotel networks); together with other findings for the user it "
                        "suggests someone else holds the credential.",
                    user, ip, g->asn, g->asorg, (unsigned long long)u->logins);
    } else {
        det_title(&f, "login from a new country: %s from %s (%s; seen before: %s)", user, ip,
                  g->country, seen);
        det_explain(&f, "User %s authenticated from %s in %s, a country not seen for this user "
                        "in %llu earlier logins (%s).  Ask the user whether they are travelling; "
                        "if not, the credential is likely used by someone else: reset it and "
                        "review what the account sent afterwards.",
                    user, ip, g->country, (unsigned long long)u->logins, seen);
    }
    msl_hunt_emit(s->env->hunt, &f);
}

static struct user *get_user(struct st *s, struct msl_str k)
{
    struct user *u = strmap_find(s->users, k.p, k.n);
    if (u)
        return u;
    if (strmap_len(s->users) >= s->env->max_keys) {
        s->dropped++;
        return NULL;
    }
    return strmap_get(s->users, k.p, k.n, NULL);
}

static void login(struct st *s, const struct msl_event *e)
{
    if (!s->cfg->country && !s->cfg->asn)
        return;
    struct geo_info g = {0}, ga = {0};
    int found = s->cfg->country && geo_lookup(s->cfg->country, e->client_ip.p, e->client_ip.n, &g);
    if (s->cfg->asn && geo_lookup(s->cfg->asn, e->client_ip.p, e->client_ip.n, &ga) && ga.asn) {
        g.asn = ga.asn;
        memcpy(g.asorg, ga.asorg, sizeof g.asorg);
        found = 1;
    }
    if (!found || (!g.country[0] && !g.asn)) {
        s->unlocated++;
        return;
    }
    s->located++;
    struct user *u = get_user(s, e->sasl_user);
    if (!u)
        return;
    char user[256], ip[64];
    snprintf(user, sizeof user, "%.*s", (int)e->sasl_user.n, e->sasl_user.p);
    snprintf(ip, sizeof ip, "%.*s", (int)e->client_ip.n, e->client_ip.p);
    double lat = g.lat, lon = g.lon;
    int has_loc = g.has_loc || (g.country[0] && geo_country_centroid(g.country, &lat, &lon));
    uint64_t need = (uint64_t)s->env->params[P_MIN_HISTORY];
    int country_new = 0;
    if (g.country[0]) {
        if (u->logins && u->has_loc && has_loc && strcmp(u->country, g.country) != 0 &&
            e->ts >= u->ts)
            travel(s, u, user, e, &g, lat, lon, ip);
        size_t i = 0;
        while (i < u->ncountries && strcmp(u->countries[i], g.country) != 0)
            i++;
        if (i == u->ncountries) {
            country_new = u->ncountries > 0;
            if (u->logins >= need && u->ncountries)
                new_origin(s, u, user, e, &g, ip, 0);
            if (u->ncountries < SEEN_MAX)
                snprintf(u->countries[u->ncountries++], sizeof u->countries[0], "%s", g.country);
        }
    }
    if (g.asn) {
        size_t i = 0;
        while (i < u->nasns && u->asns[i] != g.asn)
            i++;
        if (i == u->nasns) {
            if (u->logins >= need && u->nasns && !country_new)
                new_origin(s, u, user, e, &g, ip, 1);
            if (u->nasns < SEEN_MAX)
                u->asns[u->nasns++] = g.asn;
        }
    }
    u->logins++;
    if (g.country[0]) {
        memcpy(u->country, g.country, sizeof u->country);
        u->has_loc = has_loc;
        u->lat = lat;
        u->lon = lon;
        u->ts = e->ts;
        memcpy(u->ip, ip, sizeof u->ip);
        free(u->last.text);
        u->last.ev = e->ev;
        u->last.ts = e->ts;
        u->last.text = s->env->show_lines && e->raw.p ? det_strndup(e->raw.p, e->raw.n) : NULL;
    }
}

static void listed(struct st *s, const struct msl_event *e, int ok)
{
    for (size_t i = 0; i < s->cfg->nlists; i++) {
        const struct geo_iplist *l = s->cfg->lists[i];
        if (!geo_iplist_has(l, e->client_ip.p, e->client_ip.n))
            continue;
        char key[256];
        int n = snprintf(key, sizeof key, "%s\n%.*s", geo_iplist_name(l), (int)e->client_ip.n,
                         e->client_ip.p);
        if (n <= 0 || (size_t)n >= sizeof key)
            continue;
        struct listed *h = strmap_find(s->listed, key, (size_t)n);
        if (!h) {
            if (strmap_len(s->listed) >= s->env->max_keys) {
                s->dropped++;
                continue;
            }
            h = strmap_get(s->listed, key, (size_t)n, NULL);
            if (!h)
                continue;
            h->list = geo_iplist_name(l);
            h->f.entity_type = "ip";
            h->f.entity = det_strndup(e->client_ip.p, e->client_ip.n);
            h->f.host = det_strndup(e->host.p, e->host.n);
        }
        h->lines++;
        if (ok)
            h->logins++;
        if (e->kind == MSL_EV_AUTH_FAIL)
            h->failures++;
        if ((ok || e->kind == MSL_EV_AUTH_FAIL) && e->sasl_user.n && h->nusers < 4) {
            char u[128];
            snprintf(u, sizeof u, "%.*s", (int)e->sasl_user.n, e->sasl_user.p);
            size_t k = 0;
            while (k < h->nusers && strcmp(h->users[k], u) != 0)
                k++;
            if (k == h->nusers)
                memcpy(h->users[h->nusers++], u, sizeof u);
        }
        det_cite(s->env, &h->f, e->ts, &e->ev, e->raw);
        det_related_session(s->env, &h->f, e);
        if (e->kind == MSL_EV_RECEIVED && e->qid.n) {
            char *hh = det_strndup(e->host.p, e->host.n), *q = det_strndup(e->qid.p, e->qid.n);
            det_related_message(s->env, &h->f, hh, q);
            free(hh);
            free(q);
        }
    }
}

static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    int ok = e->kind == MSL_EV_AUTH_OK || (e->kind == MSL_EV_RECEIVED && e->sasl_user.n);
    if (e->client_ip.n && s->cfg->nlists)
        listed(s, e, ok);
    if (ok && e->sasl_user.n && e->client_ip.n)
        login(s, e);
}

static void emit_listed(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct listed *h = ent->val;
    struct msl_finding *f = &h->f;
    f->rule = "unusual-origin";
    f->severity = shift(s->env->severity, h->logins ? 1 : 0);
    char users[600] = "";
    size_t used = 0;
    for (size_t i = 0; i < h->nusers && used < sizeof users; i++) {
        int w = snprintf(users + used, sizeof users - used, "%s%s", i ? ", " : "", h->users[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    det_set_count(f, "lines", (int64_t)h->lines);
    det_set_count(f, "logins", (int64_t)h->logins);
    det_set_count(f, "auth_failures", (int64_t)h->failures);
    det_title(f, "client %s is on the list '%s'%s%s", f->entity ? f->entity : "?", h->list,
              h->logins ? ": successful login as " : "", h->logins ? users : "");
    det_explain(f, "The client %s is in the network list '%s' given with --ip-list; it appears "
                   "on %llu lines here, with %llu successful and %llu failed logins%s%s.  Mail "
                   "or logins from anonymising networks (Tor exits, open proxies) are rarely "
                   "legitimate for an organisation's own users: a successful login from there "
                   "means the credential is likely in someone else's hands.",
                f->entity ? f->entity : "?", h->list, (unsigned long long)h->lines,
                (unsigned long long)h->logins, (unsigned long long)h->failures,
                h->nusers ? "; users: " : "", users);
    msl_hunt_emit(s->env->hunt, f);
}

static void finish(void *p)
{
    struct st *s = p;
    size_t n = 0;
    const struct strmap_entry **all = strmap_sorted(s->listed, NULL, &n);
    for (size_t i = 0; all && i < n; i++)
        emit_listed(s, all[i]);
    free(all);
    if (!s->cfg->country)
        msl_hunt_note(s->env->hunt, "unusual-origin: no --geoip database given: new-country "
                      "and impossible-travel checks need one (a MaxMind-format .mmdb) and were "
                      "not made%s", s->cfg->nlists ? "; --ip-list checks were" : "");
    else
        msl_hunt_note(s->env->hunt, "unusual-origin: %llu successful logins located, %llu not "
                      "in the database (%s)", (unsigned long long)s->located,
                      (unsigned long long)s->unlocated, geo_db_type(s->cfg->country));
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "unusual-origin: key table full (%zu); %llu logins or "
                      "listed clients not tracked", s->env->max_keys,
                      (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->cfg = env->lookups;
    s->users = strmap_new(sizeof(struct user));
    s->listed = strmap_new(sizeof(struct listed));
    if (!s->users || !s->listed) {
        strmap_free(s->users);
        strmap_free(s->listed);
        free(s);
        return NULL;
    }
    return s;
}

static void free_user(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    free(((struct user *)e->val)->last.text);
}

static void free_listed(void *ctx, const struct strmap_entry *e)
{
    (void)ctx;
    det_finding_clear(&((struct listed *)e->val)->f);
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->users, free_user, NULL);
    strmap_each(s->listed, free_listed, NULL);
    strmap_free(s->users);
    strmap_free(s->listed);
    free(s);
}

const struct msl_detector msl_det_unusual_origin = {
    .id = "unusual-origin",
    .severity = MSL_FSEV_MEDIUM,
    .description = "logins from a new country or network, impossible travel, listed client IPs",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .finish = finish,
    .free = free_st,
};
