/*
 * detect.h - `hunt`: pluggable detectors that stream over events, messages and sessions
 * and report findings (doc/DETECTIONS.md describes every rule).
 *
 * A detector is a struct of function pointers (one file per rule in lib/detect/, one line
 * in the registry in lib/detect/detect.c).  The engine (struct msl_hunt) owns one state per
 * enabled detector, hands it every event (in input order), every finished message and
 * session (from the correlator, in the order they finish) and unparsed lines, then calls
 * finish.  Detectors keep bounded state: sliding windows per key with caps, keys evicted by
 * log time; they report through msl_hunt_emit().  A finding cites at most max_evidence
 * lines (file:line, and the lines themselves with show_lines) plus the total count.
 *
 * Thresholds are rule parameters ("rule.key = value" in a rules file, see
 * doc/hunt-rules.example); every rule has `enabled` and `severity` keys besides its own.
 *
 * Ownership: strings in a finding are NUL-terminated copies owned by the finding list.
 */
#ifndef MAILSLEUTH_DETECT_H
#define MAILSLEUTH_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "correlate.h"
#include "envelope.h"
#include "event.h"
#include "pipeline.h"
#include "site.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

enum msl_fsev {
    MSL_FSEV_INFO = 0,
    MSL_FSEV_LOW,
    MSL_FSEV_MEDIUM,
    MSL_FSEV_HIGH,
    MSL_FSEV_CRITICAL,
    MSL_FSEV__COUNT
};

const char *msl_fsev_name(enum msl_fsev s);
/* "info".."critical" (case-insensitive); -1 if unknown. */
int msl_fsev_from_name(const char *s);

/* One cited line. text is the raw line when show_lines, else NULL. */
struct msl_fevidence {
    struct msl_evidence ev;
    int64_t ts;
    char *text;
};

#define MSL_FINDING_MAX_COUNTS 6

struct msl_fcount {
    const char *name; /* static: "failures", "users", ... */
    int64_t value;
};

struct msl_finding {
    const char *rule; /* static: the detector id */
    enum msl_fsev severity;
    char *title;
    const char *entity_type; /* static: "ip", "user", "sender", "domain", "host", "file" */
    char *entity;
    char *host; /* the server the entity was seen on, or NULL */
    int64_t first_ts, last_ts;
    struct msl_fcount counts[MSL_FINDING_MAX_COUNTS];
    size_t ncounts;
    char *explain; /* one paragraph */
    char **messages; /* related messages "host:qid" (at most max_evidence) */
    size_t nmessages;
    char **sessions; /* related sessions "host program[pid] client" (at most max_evidence) */
    size_t nsessions;
    struct msl_fevidence *evidence; /* at most max_evidence, in input order */
    size_t nevidence;
    uint64_t evidence_total; /* lines that support the finding, cited or not */
};

/* Value kinds of rule parameters. */
enum msl_ptype {
    MSL_P_INT,      /* plain integer */
    MSL_P_DURATION, /* seconds; the file may say 90, 90s, 10m, 1h, 2d */
    MSL_P_PERCENT,  /* 0..100; "30" or "30%" */
};

struct msl_param {
    const char *key;
    enum msl_ptype type;
    int64_t def, min, max;
    const char *doc;
};

struct msl_hunt;
struct geo_hunt_cfg; /* lookups for the origin and look-alike rules (lib/util/geoip.h) */

/* What a detector sees of the run. */
struct msl_detect_env {
    struct msl_hunt *hunt;
    const int64_t *params; /* values of the detector's params, in its order */
    enum msl_fsev severity; /* configured severity (default: the detector's) */
    size_t max_evidence;
    int show_lines;
    size_t max_keys; /* cap on tracked keys per table */
    const struct msl_site *site; /* site context (never NULL; include/mailsleuth/site.h) */
    const struct geo_hunt_cfg *lookups; /* GeoIP/ASN, IP lists, protected and local
                                         * domains (never NULL; empty when none given) */
};

struct msl_detector {
    const char *id;
    enum msl_fsev severity; /* default */
    const char *description;
    const struct msl_param *params;
    size_t nparams;
    void *(*new)(const struct msl_detect_env *env); /* NULL on allocation failure */
    void (*on_event)(void *st, const struct msl_event *e);         /* may be NULL */
    void (*on_message)(void *st, const struct msl_message *m);     /* may be NULL */
    void (*on_session)(void *st, const struct msl_session *s);     /* may be NULL */
    void (*on_unparsed)(void *st, const struct msl_line *ln, const char *why); /* may be NULL */
    void (*finish)(void *st);
    void (*free)(void *st);
};

/* The registry, in report order. */
const struct msl_detector *const *msl_detectors(size_t *n);
const struct msl_detector *msl_detector_by_id(const char *id);

/* Rule configuration: defaults, then a rules file, then command-line overrides. */
struct msl_rules;
struct msl_rules *msl_rules_new(void);
void msl_rules_free(struct msl_rules *r);
/* Reads "rule.key = value" lines; on error writes "file:line: message" into err and
 * returns MSL_EUSAGE (MSL_EINPUT when the file cannot be read). */
int msl_rules_load(struct msl_rules *r, const char *path, char *err, size_t errsz);
/* One "rule.key = value" assignment (name is used in error messages). */
int msl_rules_set(struct msl_rules *r, const char *rule, const char *key, const char *value,
                  char *err, size_t errsz);
int msl_rules_enabled(const struct msl_rules *r, const char *rule);
int64_t msl_rules_get(const struct msl_rules *r, const char *rule, const char *key);
/* Writes the full configuration with defaults and documentation (doc/hunt-rules.example). */
void msl_rules_write(const struct msl_rules *r, FILE *out);

struct msl_palette;
struct msl_hunt_opts {
    size_t max_evidence;     /* 0 = 10 */
    int show_lines;
    size_t max_keys;         /* 0 = 100000 per table */
    const char *const *local_domains; /* --local-domain (overrides the inference) */
    size_t nlocal_domains;
    const char *const *trusted_nets;  /* --trusted-net CIDRs (overrides the inference) */
    size_t ntrusted_nets;
    /* Site context (--site-config, --site; may be NULL).  Borrowed: must outlive the hunt.
     * local_domains and trusted_nets above are added to a copy of it as CLI entries; the
     * loopback defaults are always added.  Every entry is stated as a note. */
    const struct msl_site *site;
    const struct msl_palette *palette; /* text: colours for severities (palette.h); NULL plain */
    const struct geo_hunt_cfg *lookups; /* --geoip, --asn, --ip-list, protected and local
                                         * domains (may be NULL).  Borrowed: must outlive
                                         * the hunt. */
    /* Live use (watch): when set, every finding a rule emits (an incident that closed, or
     * what finish reports) is handed to on_emit right away and then freed, not collected:
     * msl_hunt_findings stays empty.  NULL: findings are collected for msl_hunt_write. */
    void (*on_emit)(void *ctx, const struct msl_finding *f);
    void *emit_ctx;
};

struct msl_hunt *msl_hunt_new(const struct msl_hunt_opts *o, const struct msl_rules *r);
void msl_hunt_free(struct msl_hunt *h);
void msl_hunt_event(struct msl_hunt *h, const struct msl_event *e);
void msl_hunt_message(struct msl_hunt *h, const struct msl_message *m);
void msl_hunt_session(struct msl_hunt *h, const struct msl_session *s);
void msl_hunt_unparsed(struct msl_hunt *h, const struct msl_line *ln, const char *why);
/* Calls every detector's finish and sorts the findings (severity, then time). */
void msl_hunt_finish(struct msl_hunt *h);
int msl_hunt_failed(const struct msl_hunt *h); /* an allocation failed */

const struct msl_finding *msl_hunt_findings(const struct msl_hunt *h, size_t *n);
/* Notes: what was inferred from the logs, what a rule could not judge. */
const char *const *msl_hunt_notes(const struct msl_hunt *h, size_t *n);

/* --- for detectors ------------------------------------------------------------------- */

/* Takes ownership of *f's strings and arrays (f itself is copied). */
void msl_hunt_emit(struct msl_hunt *h, struct msl_finding *f);
void msl_hunt_note(struct msl_hunt *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Cross-rule facts: auth-success-after-failures marks users it believes compromised;
 * account-burst raises its bounce finding to critical for them. */
void msl_hunt_mark_user(struct msl_hunt *h, const char *user, int64_t ts);
int msl_hunt_user_marked(const struct msl_hunt *h, const char *user);
/* Local domains and trusted networks of the site context (configuration, site file,
 * command line).  have_trusted: networks were given (the loopback defaults do not count);
 * is_trusted: ip is inside a given network (not the defaults); is_own: ip is one of the
 * server's own loopback addresses (the defaults). */
int msl_hunt_is_local_domain(const struct msl_hunt *h, const char *domain);
int msl_hunt_have_trusted(const struct msl_hunt *h);
int msl_hunt_is_trusted(const struct msl_hunt *h, const char *ip);
int msl_hunt_is_own(const struct msl_hunt *h, const char *ip);
const struct msl_site *msl_hunt_site(const struct msl_hunt *h);

/* --- rendering ------------------------------------------------------------------------ */

enum msl_hunt_format { MSL_HUNT_TEXT, MSL_HUNT_JSON, MSL_HUNT_JSONL };
struct msl_invocation;
/* run names the sources; tz is for printed times in text (NULL = UTC); inv (may be NULL)
 * goes into the JSON provenance.  Returns MSL_OK or MSL_ENOMEM / MSL_EIO. */
/* One finding as the JSON object `hunt -f json` writes in "findings" (no newline);
 * malloc'd, NULL when out of memory.  run names the sources (may be NULL). */
char *msl_finding_json(const struct msl_finding *f, const struct msl_run *run);
int msl_hunt_write(const struct msl_hunt *h, enum msl_hunt_format f, const struct msl_run *run,
                   const struct msl_tz *tz, const struct msl_invocation *inv, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
