/*
 * detect_int.h - helpers shared by the detectors (lib/detect only): building findings
 * (cite a line, keep related records, set counts), a ring of the last K hits of a key (the
 * sliding window of "K hits within W seconds"), sweeping keys that went stale in log time,
 * and small string helpers.  Every helper respects env->max_evidence.
 */
#ifndef MSL_DETECT_INT_H
#define MSL_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/detect.h"
#include "util/strmap.h"

#define US_PER_S 1000000LL

/* NUL-terminated copy of a view / string (NULL on failure or when p is NULL). */
char *det_strndup(const char *p, size_t n);
char *det_strdup(const char *s);
/* Lower-cased copy of the domain part of an address ("" when there is no '@'). */
char *det_domain(const char *addr);

/* Adds one supporting line: counts it, cites it while fewer than max_evidence are cited,
 * widens the time window.  raw may be empty (then no text is kept). */
void det_cite(const struct msl_detect_env *env, struct msl_finding *f, int64_t ts,
              const struct msl_evidence *ev, struct msl_str raw);
void det_cite_fe(const struct msl_detect_env *env, struct msl_finding *f,
                 const struct msl_fevidence *fe);
/* Appends s to a related list unless present or the list holds max_evidence already. */
void det_related(const struct msl_detect_env *env, char ***arr, size_t *n, const char *s);
void det_related_message(const struct msl_detect_env *env, struct msl_finding *f,
                         const char *host, const char *qid);
/* "host program[pid] client" of the event's SMTP session. */
void det_related_session(const struct msl_detect_env *env, struct msl_finding *f,
                         const struct msl_event *e);
void det_set_count(struct msl_finding *f, const char *name, int64_t v);
/* Sets the title / explanation (printf-style; copies). */
void det_title(struct msl_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void det_explain(struct msl_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees everything a finding owns and zeroes it. */
void det_finding_clear(struct msl_finding *f);
/* The colours msl_hunt_opts gave (NULL: plain text). */
const struct msl_palette *det_palette(const struct msl_hunt *h);

/* The last k hits of a key, oldest first when full. */
struct det_ring {
    size_t k, n, head;
    struct msl_fevidence *e;
};
/* Returns 0 or MSL_ENOMEM.  k >= 1. */
int det_ring_init(struct det_ring *r, size_t k);
void det_ring_free(struct det_ring *r);
void det_ring_push(const struct msl_detect_env *env, struct det_ring *r, int64_t ts,
                   const struct msl_evidence *ev, struct msl_str raw);
/* i-th oldest entry (0 = oldest held). */
const struct msl_fevidence *det_ring_at(const struct det_ring *r, size_t i);
/* 1 when the ring holds k hits spanning at most window_us. */
int det_ring_full_within(const struct det_ring *r, int64_t window_us);
void det_ring_clear(struct det_ring *r);

/* Removes every entry for which stale(val, ctx) is true, calling drop(val, ctx) first
 * (drop emits what is pending and frees the value's own allocations). */
void det_sweep(struct strmap *m, int (*stale)(void *val, void *ctx),
               void (*drop)(void *val, void *ctx), void *ctx);

/* A table of keys, each with "k hits within window" incidents (det_kw.c).  A key's hits go
 * into its ring; when the ring holds k hits within the window an incident opens and cites
 * them; later hits extend it until a gap longer than the window, then close() is called
 * (it fills in title/severity/... of kw->inc and emits it).  Keys idle for a window of log
 * time are evicted; past env->max_keys new keys are counted in ->dropped, not tracked. */
#define DET_KW_VALS 16
struct det_kw {
    struct det_ring ring;
    struct msl_finding inc; /* evidence/sessions accumulate here; valid when open */
    int open;
    int64_t last_ts;
    char *host;
    char *vals[DET_KW_VALS]; /* distinct secondary values of the incident (users, domains) */
    size_t nvals;
    uint64_t vals_more;      /* distinct values beyond DET_KW_VALS (approximate) */
};
/* When a table is due a sweep of its stale keys: every 4096 calls, and when it is full, but
 * then only once log time has moved on by DET_SWEEP_STEP since the last full sweep: a table
 * full of live keys (100 000 distinct failing clients) swept on every hit was quadratic
 * (1 M clients: no end in 15 min).  Between those sweeps new keys are dropped and counted. */
#define DET_SWEEP_STEP 1000000 /* us of log time */
struct det_sweeper {
    uint64_t calls;
    int64_t full_at; /* log time of the last sweep a full table caused */
    int full_swept;
};
int det_sweep_due(struct det_sweeper *w, size_t len, size_t max, int64_t now);

struct det_kwt {
    struct strmap *m;
    const struct msl_detect_env *env;
    size_t k;
    int64_t window_us;
    void (*close)(void *ctx, const char *key, struct det_kw *kw);
    void *ctx;
    uint64_t hits, dropped;
    int64_t now;
    struct det_sweeper sw;
};
int det_kwt_init(struct det_kwt *t, const struct msl_detect_env *env, size_t k, int64_t window_s,
                 void (*close)(void *ctx, const char *key, struct det_kw *kw), void *ctx);
/* One hit for key at event e; val (may be NULL) is a secondary value to count distinct. */
struct det_kw *det_kwt_hit(struct det_kwt *t, const char *key, size_t klen,
                           const struct msl_event *e, struct msl_str val);
/* Closes every open incident (end of input) and frees the table. */
void det_kwt_finish(struct det_kwt *t);
void det_kwt_free(struct det_kwt *t);

/* IP literal checks. */
int det_ip_is_private(const char *ip); /* loopback, RFC 1918, link-local, ULA, ::1 */

/* 1 when hay contains needle (ASCII case-insensitive). */
int det_contains(struct msl_str hay, const char *needle);

/* REJECT "Relay access denied" (relay_attempt.c; open_relay.c uses it too). */
int det_is_relay_denied(const struct msl_event *e);

/* The registry's detectors (one per file). */
extern const struct msl_detector msl_det_auth_bruteforce;
extern const struct msl_detector msl_det_auth_spray;
extern const struct msl_detector msl_det_auth_success_after_failures;
extern const struct msl_detector msl_det_account_burst;
extern const struct msl_detector msl_det_recipient_harvest;
extern const struct msl_detector msl_det_relay_attempt;
extern const struct msl_detector msl_det_open_relay;
extern const struct msl_detector msl_det_plaintext_auth;
extern const struct msl_detector msl_det_log_integrity;

/* Local domains and trusted clients inferred from finished messages, as open-relay does
 * (det_util.c).  A domain is local on a host when that host delivered one of its
 * recipients with local, virtual or lmtp (--local-domain adds domains for every host).  A
 * client is trusted (mynetworks) when it relayed mail to a non-local domain by an SMTP
 * mailer without AUTH and the logs never refused it with "Relay access denied"; with
 * --trusted-net only those networks are trusted.  Feed every event and message; judge at
 * finish (a domain may prove local only later in the log).  Tables capped at max_keys. */
struct det_infer {
    const struct msl_detect_env *env;
    struct strmap *local;   /* "host\ndomain" */
    struct strmap *any;     /* domain local on any host */
    struct strmap *relayed; /* "host\nip" -> relayed without AUTH (count, domains) */
    struct strmap *denied;  /* ip refused relaying */
};
/* A delivery into a mailbox/file/program on this host, or a hand-over to another server, as
 * the dialect logged it (every MTA); prefer these to the name tests below. */
int det_delivered_here(const struct msl_delivery *d);
int det_handed_on(const struct msl_delivery *d);
int det_is_smtp_daemon(const char *daemon);  /* smtp, esmtp, relay, remote_smtp ... */
/* A SASL user, or an RFC 3848 authenticated protocol (ESMTPA, ESMTPSA) as Sendmail logs. */
int det_msg_authenticated(const struct msl_message *m);
int det_infer_init(struct det_infer *in, const struct msl_detect_env *env); /* 0 / ENOMEM */
void det_infer_event(struct det_infer *in, const struct msl_event *e);
void det_infer_message(struct det_infer *in, const struct msl_message *m);
int det_infer_is_local(const struct det_infer *in, const char *host, const char *domain);
int det_infer_is_local_any(const struct det_infer *in, const char *domain);
/* Some local domain is known (site context or a local delivery seen so far). */
int det_infer_knows_local(const struct det_infer *in);
int det_infer_is_trusted(const struct det_infer *in, const char *host, const char *ip);
/* The one inference of the run, owned by the hunt and fed every event and message before
 * the rules see them (so a message's own local deliveries count when it is judged). */
struct det_infer *det_hunt_infer(struct msl_hunt *h);
/* Notes "RULE: local domains inferred ..." (and the trusted clients when trusted). */
void det_infer_note(const struct det_infer *in, const char *rule, int trusted);
void det_infer_free(struct det_infer *in);

/* Policy, spoofing, relay-path and TLS rules (one file each). */
extern const struct msl_detector msl_det_spoofed_local_sender;
extern const struct msl_detector msl_det_sender_login_mismatch;
extern const struct msl_detector msl_det_policy_fail_protected;
extern const struct msl_detector msl_det_bulk_campaign;
extern const struct msl_detector msl_det_tls_downgrade;
extern const struct msl_detector msl_det_unauthorized_relay_path;

#endif
