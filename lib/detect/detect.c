/*
 * detect.c - the detector registry, the rules configuration (defaults, rules file,
 * overrides) and the hunt engine that feeds every enabled detector and collects findings.
 *
 * Rules file format (doc/DETECTIONS.md, doc/hunt-rules.example):
 *     # comment                      blank lines and '#' comments are ignored
 *     auth-bruteforce.threshold = 5  rule.key = value
 *     auth-bruteforce.window = 10m   durations: 90, 90s, 10m, 1h, 2d
 *     account-burst.bounce_pct = 30% percentages with or without '%'
 *     plaintext-auth.enabled = false every rule: enabled (true/false/yes/no/on/off/1/0)
 *     relay-attempt.severity = high  every rule: info, low, medium, high, critical
 * Every error names file:line and what was expected; nothing is silently ignored.
 *
 * Findings are kept in one array (they are few: one per key and incident) and sorted at
 * the end by severity (highest first), then first time, then rule and entity.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/det_session_ip.h"
#include "util/geoip.h"
#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"
#include "util/buf.h"

/* lookalike_domain.c, unusual_origin.c */
extern const struct msl_detector msl_det_lookalike_domain;
extern const struct msl_detector msl_det_unusual_origin;

static const struct msl_detector *const registry[] = {
    &msl_det_auth_bruteforce, &msl_det_auth_spray,  &msl_det_auth_success_after_failures,
    &msl_det_account_burst,   &msl_det_recipient_harvest, &msl_det_relay_attempt,
    &msl_det_open_relay,      &msl_det_plaintext_auth, &msl_det_log_integrity,
    &msl_det_lookalike_domain, &msl_det_unusual_origin,
    &msl_det_spoofed_local_sender, &msl_det_sender_login_mismatch,
    &msl_det_policy_fail_protected, &msl_det_bulk_campaign, &msl_det_tls_downgrade,
    &msl_det_unauthorized_relay_path,
};
#define NDET (sizeof registry / sizeof registry[0])

static const char *const sev_names[MSL_FSEV__COUNT] = {"info", "low", "medium", "high",
                                                       "critical"};

const char *msl_fsev_name(enum msl_fsev s)
{
    return (unsigned)s < MSL_FSEV__COUNT ? sev_names[s] : "?";
}

int msl_fsev_from_name(const char *s)
{
    for (int i = 0; i < MSL_FSEV__COUNT; i++)
        if (s && !strcasecmp(s, sev_names[i]))
            return i;
    return -1;
}

const struct msl_detector *const *msl_detectors(size_t *n)
{
    *n = NDET;
    return registry;
}

const struct msl_detector *msl_detector_by_id(const char *id)
{
    for (size_t i = 0; i < NDET; i++)
        if (!strcmp(registry[i]->id, id))
            return registry[i];
    return NULL;
}

/* ---- configuration ---------------------------------------------------------------- */

struct rule_cfg {
    int enabled;
    enum msl_fsev severity;
    int64_t *v;
};

struct msl_rules {
    struct rule_cfg r[NDET];
};

struct msl_rules *msl_rules_new(void)
{
    struct msl_rules *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < NDET; i++) {
        const struct msl_detector *d = registry[i];
        r->r[i].enabled = 1;
        r->r[i].severity = d->severity;
        r->r[i].v = calloc(d->nparams + 1, sizeof *r->r[i].v);
        if (!r->r[i].v) {
            msl_rules_free(r);
            return NULL;
        }
        for (size_t k = 0; k < d->nparams; k++)
            r->r[i].v[k] = d->params[k].def;
    }
    return r;
}

void msl_rules_free(struct msl_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < NDET; i++)
        free(r->r[i].v);
    free(r);
}

static int det_index(const char *id)
{
    if (!strcmp(id, "sender-auth-mismatch")) /* the rule's former name */
        id = "sender-login-mismatch";
    for (size_t i = 0; i < NDET; i++)
        if (!strcmp(registry[i]->id, id))
            return (int)i;
    return -1;
}

static int param_index(const struct msl_detector *d, const char *key)
{
    for (size_t k = 0; k < d->nparams; k++)
        if (!strcmp(d->params[k].key, key))
            return (int)k;
    return -1;
}

/* Parses a number with an optional unit for the parameter type; 0 on error. */
static int parse_value(const struct msl_param *p, const char *s, int64_t *out)
{
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno)
        return 0;
    long long mult = 1;
    if (p->type == MSL_P_DURATION) {
        if (!strcmp(end, "") || !strcmp(end, "s"))
            mult = 1;
        else if (!strcmp(end, "m") || !strcmp(end, "min"))
            mult = 60;
        else if (!strcmp(end, "h"))
            mult = 3600;
        else if (!strcmp(end, "d"))
            mult = 86400;
        else
            return 0;
    } else if (p->type == MSL_P_PERCENT) {
        if (strcmp(end, "") != 0 && strcmp(end, "%") != 0)
            return 0;
    } else if (*end) {
        return 0;
    }
    if (v < 0 || v > INT64_MAX / mult)
        return 0;
    v *= mult;
    if (v < p->min || v > p->max)
        return 0;
    *out = v;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 1;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static void rule_list(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NDET && used < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", registry[i]->id);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int msl_rules_set(struct msl_rules *r, const char *rule, const char *key, const char *value,
                  char *err, size_t errsz)
{
    int di = det_index(rule);
    if (di < 0) {
        char list[512];
        rule_list(list, sizeof list);
        snprintf(err, errsz, "unknown rule '%s' (rules: %s)", rule, list);
        return MSL_EUSAGE;
    }
    const struct msl_detector *d = registry[di];
    struct rule_cfg *c = &r->r[di];
    if (!strcmp(key, "enabled")) {
        if (!parse_bool(value, &c->enabled)) {
            snprintf(err, errsz, "%s.enabled wants true or false, not '%s'", rule, value);
            return MSL_EUSAGE;
        }
        return MSL_OK;
    }
    if (!strcmp(key, "severity")) {
        int s = msl_fsev_from_name(value);
        if (s < 0) {
            snprintf(err, errsz, "%s.severity wants info, low, medium, high or critical, not "
                                 "'%s'", rule, value);
            return MSL_EUSAGE;
        }
        c->severity = (enum msl_fsev)s;
        return MSL_OK;
    }
    int k = param_index(d, key);
    if (k < 0) {
        char keys[512] = "enabled, severity";
        size_t used = strlen(keys);
        for (size_t i = 0; i < d->nparams && used < sizeof keys; i++) {
            int w = snprintf(keys + used, sizeof keys - used, ", %s", d->params[i].key);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        snprintf(err, errsz, "rule %s has no key '%s' (keys: %s)", rule, key, keys);
        return MSL_EUSAGE;
    }
    const struct msl_param *p = &d->params[k];
    if (!parse_value(p, value, &c->v[k])) {
        const char *unit = p->type == MSL_P_DURATION ? " seconds (or with s, m, h, d)"
                           : p->type == MSL_P_PERCENT ? " percent"
                                                      : "";
        snprintf(err, errsz, "%s.%s wants a number from %lld to %lld%s, not '%s'", rule, key,
                 (long long)p->min, (long long)p->max, unit, value);
        return MSL_EUSAGE;
    }
    return MSL_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int msl_rules_load(struct msl_rules *r, const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open rules file: %s", path, strerror(errno));
        return MSL_EINPUT;
    }
    char line[4096];
    unsigned long lineno = 0;
    int rc = MSL_OK;
    while (rc == MSL_OK && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(err, errsz, "%s:%lu: line too long", path, lineno);
            rc = MSL_EUSAGE;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        char *dot = strchr(s, '.');
        if (!eq || !dot || dot > eq) {
            snprintf(err, errsz, "%s:%lu: expected 'rule.key = value', e.g. "
                                 "'auth-bruteforce.threshold = 5'", path, lineno);
            rc = MSL_EUSAGE;
            break;
        }
        *eq = '\0';
        *dot = '\0';
        char *rule = trim(s), *key = trim(dot + 1), *val = trim(eq + 1);
        if (!*val) {
            snprintf(err, errsz, "%s:%lu: %s.%s has no value", path, lineno, rule, key);
            rc = MSL_EUSAGE;
            break;
        }
        char why[700];
        if (msl_rules_set(r, rule, key, val, why, sizeof why) != MSL_OK) {
            snprintf(err, errsz, "%s:%lu: %s", path, lineno, why);
            rc = MSL_EUSAGE;
        }
    }
    if (rc == MSL_OK && ferror(f)) {
        snprintf(err, errsz, "%s: read error", path);
        rc = MSL_EINPUT;
    }
    fclose(f);
    return rc;
}

int msl_rules_enabled(const struct msl_rules *r, const char *rule)
{
    int i = det_index(rule);
    return i >= 0 && r->r[i].enabled;
}

int64_t msl_rules_get(const struct msl_rules *r, const char *rule, const char *key)
{
    int i = det_index(rule);
    if (i < 0)
        return -1;
    int k = param_index(registry[i], key);
    return k < 0 ? -1 : r->r[i].v[k];
}

static void write_value(FILE *out, const struct msl_param *p, int64_t v)
{
    if (p->type == MSL_P_DURATION) {
        if (v && v % 86400 == 0)
            fprintf(out, "%lldd", (long long)(v / 86400));
        else if (v && v % 3600 == 0)
            fprintf(out, "%lldh", (long long)(v / 3600));
        else if (v && v % 60 == 0)
            fprintf(out, "%lldm", (long long)(v / 60));
        else
            fprintf(out, "%llds", (long long)v);
    } else if (p->type == MSL_P_PERCENT) {
        fprintf(out, "%lld%%", (long long)v);
    } else {
        fprintf(out, "%lld", (long long)v);
    }
}

void msl_rules_write(const struct msl_rules *r, FILE *out)
{
    fputs("# mailsleuth hunt rules: every rule with its default thresholds.\n"
          "# Use with: mailsleuth hunt --rules FILE ...   (doc/DETECTIONS.md explains each)\n"
          "# Format: 'rule.key = value'; '#' starts a comment.  Durations take s, m, h or d;\n"
          "# percentages may end in '%'.  Every rule has 'enabled' (true/false) and\n"
          "# 'severity' (info, low, medium, high, critical).\n", out);
    for (size_t i = 0; i < NDET; i++) {
        const struct msl_detector *d = registry[i];
        fprintf(out, "\n# %s: %s\n", d->id, d->description);
        fprintf(out, "%s.enabled = %s\n", d->id, r->r[i].enabled ? "true" : "false");
        fprintf(out, "%s.severity = %s\n", d->id, msl_fsev_name(r->r[i].severity));
        for (size_t k = 0; k < d->nparams; k++) {
            fprintf(out, "# %s\n%s.%s = ", d->params[k].doc, d->id, d->params[k].key);
            write_value(out, &d->params[k], r->r[i].v[k]);
            fputc('\n', out);
        }
    }
}

/* ---- the engine ------------------------------------------------------------------- */

struct active {
    const struct msl_detector *d;
    struct msl_detect_env env;
    int64_t *params; /* a copy: the rules may be freed after msl_hunt_new */
    void *st;
};

struct msl_hunt {
    struct active act[NDET];
    size_t nact;
    struct msl_finding *f;
    size_t nf, capf;
    char **notes;
    size_t nnotes;
    struct strmap *marked; /* user -> int64_t ts */
    struct msl_site *site; /* the run's site context: given entries, CLI, defaults */
    struct det_session_ip sip; /* the client of lines that name only their session */
    struct msl_detect_env infer_env;
    struct det_infer infer; /* local domains and trusted clients, for every rule */
    int infer_ok;
    int failed;
    const struct msl_palette *palette; /* for findings_render.c */
    void (*on_emit)(void *ctx, const struct msl_finding *f);
    void *emit_ctx;
};

/* The run's site context: the given one's entries, then --local-domain / --trusted-net,
 * then the loopback defaults; each entry is stated as a note ("site: ..."). */
static int site_setup(struct msl_hunt *h, const struct msl_hunt_opts *o)
{
    char err[400];
    size_t n = 0;
    const struct msl_site_entry *e = msl_site_entries(o->site, &n);
    for (size_t i = 0; i < n; i++)
        if (msl_site_add(h->site, e[i].kind, e[i].origin, e[i].value, e[i].port, e[i].why,
                         e[i].src, e[i].line, err, sizeof err) != 0)
            return -1;
    for (size_t i = 0; i < o->nlocal_domains; i++)
        msl_site_add(h->site, MSL_SITE_LOCAL_DOMAIN, MSL_SITE_FROM_CLI, o->local_domains[i], -1,
                     "--local-domain", NULL, 0, err, sizeof err);
    for (size_t i = 0; i < o->ntrusted_nets; i++)
        msl_site_add(h->site, MSL_SITE_TRUSTED_NET, MSL_SITE_FROM_CLI, o->trusted_nets[i], -1,
                     "--trusted-net", NULL, 0, err, sizeof err);
    msl_site_add_defaults(h->site);
    e = msl_site_entries(h->site, &n);
    for (size_t i = 0; i < n && i < 64; i++) {
        char d[900];
        msl_site_describe(&e[i], d, sizeof d);
        msl_hunt_note(h, "site: %s", d);
    }
    if (n > 64)
        msl_hunt_note(h, "site: ... and %zu more entries", n - 64);
    if (msl_site_dropped(o->site))
        msl_hunt_note(h, "site: %zu configuration entries beyond %u not kept",
                      msl_site_dropped(o->site), MSL_SITE_MAX_ENTRIES);
    return h->failed ? -1 : 0;
}

const struct msl_palette *det_palette(const struct msl_hunt *h)
{
    return h->palette;
}

static const struct geo_hunt_cfg no_lookups;

struct msl_hunt *msl_hunt_new(const struct msl_hunt_opts *o, const struct msl_rules *r)
{
    struct msl_hunt *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->palette = o->palette;
    h->on_emit = o->on_emit;
    h->emit_ctx = o->emit_ctx;
    h->marked = strmap_new(sizeof(int64_t));
    h->site = msl_site_new();
    if (!h->marked || !h->site ||
        det_session_ip_init(&h->sip, o->max_keys ? o->max_keys : 100000) != 0) {
        msl_hunt_free(h);
        return NULL;
    }
    if (site_setup(h, o) != 0) {
        msl_hunt_free(h);
        return NULL;
    }
    h->infer_env = (struct msl_detect_env){
        .hunt = h, .max_evidence = o->max_evidence ? o->max_evidence : 10,
        .max_keys = o->max_keys ? o->max_keys : 100000, .site = h->site,
        .lookups = o->lookups ? o->lookups : &no_lookups};
    if (det_infer_init(&h->infer, &h->infer_env) != MSL_OK) {
        msl_hunt_free(h);
        return NULL;
    }
    h->infer_ok = 1;
    for (size_t i = 0; i < NDET; i++) {
        const struct msl_detector *d = registry[i];
        if (!r->r[i].enabled)
            continue;
        struct active *a = &h->act[h->nact];
        a->d = d;
        a->params = calloc(d->nparams + 1, sizeof *a->params);
        if (!a->params) {
            msl_hunt_free(h);
            return NULL;
        }
        memcpy(a->params, r->r[i].v, d->nparams * sizeof *a->params);
        a->env = (struct msl_detect_env){
            .hunt = h, .params = a->params, .severity = r->r[i].severity,
            .max_evidence = o->max_evidence ? o->max_evidence : 10,
            .show_lines = o->show_lines, .max_keys = o->max_keys ? o->max_keys : 100000,
            .site = h->site, .lookups = o->lookups ? o->lookups : &no_lookups};
        a->st = d->new(&a->env);
        if (!a->st) {
            free(a->params);
            msl_hunt_free(h);
            return NULL;
        }
        h->nact++;
    }
    return h;
}

void msl_hunt_free(struct msl_hunt *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nact; i++) {
        h->act[i].d->free(h->act[i].st);
        free(h->act[i].params);
    }
    for (size_t i = 0; i < h->nf; i++)
        det_finding_clear(&h->f[i]);
    free(h->f);
    for (size_t i = 0; i < h->nnotes; i++)
        free(h->notes[i]);
    free(h->notes);
    strmap_free(h->marked);
    msl_site_free(h->site);
    det_session_ip_free(&h->sip);
    if (h->infer_ok)
        det_infer_free(&h->infer);
    free(h);
}

void msl_hunt_event(struct msl_hunt *h, const struct msl_event *e)
{
    if (e->flags & MSL_EVF_ECHO)
        return; /* a restatement of another line: rules count the original once */
    /* every rule sees the client of a line that names only its session (OpenSMTPD) or
     * process (Sendmail), from that session's connect line */
    struct msl_event copy = *e;
    copy.client_ip = det_session_ip_of(&h->sip, e);
    det_infer_event(&h->infer, &copy);
    for (size_t i = 0; i < h->nact; i++)
        if (h->act[i].d->on_event)
            h->act[i].d->on_event(h->act[i].st, &copy);
}

void msl_hunt_message(struct msl_hunt *h, const struct msl_message *m)
{
    det_infer_message(&h->infer, m);
    for (size_t i = 0; i < h->nact; i++)
        if (h->act[i].d->on_message)
            h->act[i].d->on_message(h->act[i].st, m);
}

void msl_hunt_session(struct msl_hunt *h, const struct msl_session *s)
{
    for (size_t i = 0; i < h->nact; i++)
        if (h->act[i].d->on_session)
            h->act[i].d->on_session(h->act[i].st, s);
}

void msl_hunt_unparsed(struct msl_hunt *h, const struct msl_line *ln, const char *why)
{
    for (size_t i = 0; i < h->nact; i++)
        if (h->act[i].d->on_unparsed)
            h->act[i].d->on_unparsed(h->act[i].st, ln, why);
}

static int cmp_finding(const void *a, const void *b)
{
    const struct msl_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    int c = strcmp(x->rule, y->rule);
    if (c)
        return c;
    return strcmp(x->entity ? x->entity : "", y->entity ? y->entity : "");
}

void msl_hunt_finish(struct msl_hunt *h)
{
    for (size_t i = 0; i < h->nact; i++)
        h->act[i].d->finish(h->act[i].st);
    if (h->nf > 1)
        qsort(h->f, h->nf, sizeof *h->f, cmp_finding);
}

int msl_hunt_failed(const struct msl_hunt *h)
{
    return h->failed;
}

const struct msl_finding *msl_hunt_findings(const struct msl_hunt *h, size_t *n)
{
    *n = h->nf;
    return h->f;
}

const char *const *msl_hunt_notes(const struct msl_hunt *h, size_t *n)
{
    *n = h->nnotes;
    return (const char *const *)h->notes;
}

void msl_hunt_emit(struct msl_hunt *h, struct msl_finding *f)
{
    if (h->on_emit) {
        h->on_emit(h->emit_ctx, f);
        det_finding_clear(f);
        return;
    }
    if (h->nf == h->capf) {
        size_t nc = h->capf ? h->capf * 2 : 16;
        struct msl_finding *nf = realloc(h->f, nc * sizeof *nf);
        if (!nf) {
            h->failed = 1;
            det_finding_clear(f);
            return;
        }
        h->f = nf;
        h->capf = nc;
    }
    h->f[h->nf++] = *f;
    memset(f, 0, sizeof *f);
}

void msl_hunt_note(struct msl_hunt *h, const char *fmt, ...)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_adds(&b, tmp);
    char **nn = realloc(h->notes, (h->nnotes + 1) * sizeof *nn);
    if (!nn || b.err || !b.p) {
        if (nn)
            h->notes = nn;
        buf_free(&b);
        h->failed = 1;
        return;
    }
    h->notes = nn;
    h->notes[h->nnotes++] = b.p; /* ownership of the buffer's memory moves to the list */
}

void msl_hunt_mark_user(struct msl_hunt *h, const char *user, int64_t ts)
{
    int64_t *v = strmap_get(h->marked, user, strlen(user), NULL);
    if (!v) {
        h->failed = 1;
        return;
    }
    if (!*v || ts < *v)
        *v = ts;
}

int msl_hunt_user_marked(const struct msl_hunt *h, const char *user)
{
    return user && strmap_find(h->marked, user, strlen(user)) != NULL;
}

int msl_hunt_is_local_domain(const struct msl_hunt *h, const char *domain)
{
    return msl_site_local(h->site, domain) != NULL;
}

int msl_hunt_have_trusted(const struct msl_hunt *h)
{
    return msl_site_count(h->site, MSL_SITE_TRUSTED_NET) > 0;
}

int msl_hunt_is_trusted(const struct msl_hunt *h, const char *ip)
{
    return msl_site_trusted(h->site, ip, 1) != NULL;
}

int msl_hunt_is_own(const struct msl_hunt *h, const char *ip)
{
    const struct msl_site_entry *e = msl_site_trusted(h->site, ip, 0);
    return e && e->origin == MSL_SITE_FROM_DEFAULT;
}

struct det_infer *det_hunt_infer(struct msl_hunt *h)
{
    return h->infer_ok ? &h->infer : NULL;
}

const struct msl_site *msl_hunt_site(const struct msl_hunt *h)
{
    return h->site;
}
