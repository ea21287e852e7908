/*
 * dialect.h - MTA dialect parsers: one message payload (after the envelope) -> one event.
 *
 * A dialect is a struct of function pointers registered by name (lib/dialect/registry.c);
 * adding an MTA is one file plus one registry line.  Parsers never allocate and never copy:
 * every view they set in the event points into env->msg (or into static strings).
 */
#ifndef MAILSLEUTH_DIALECT_H
#define MAILSLEUTH_DIALECT_H

#include "envelope.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

struct msl_dialect {
    const char *name; /* "postfix" */
    const char *mta;  /* value for event.mta */
    uint32_t caps;    /* MSL_MTA_*: what this MTA's logging is like (event.mta_caps) */
    /* Non-zero when this dialect handles lines with this program tag. */
    int (*claims)(struct msl_str program);
    /*
     * Parses env->msg into *out (already cleared and filled from the envelope by the caller).
     * Returns 1 when an event was produced; 0 when the line is not understood, with *why set
     * to a static, stable reason (used as a counter key: "postfix/smtpd: unknown message").
     */
    int (*parse)(const struct msl_envelope *env, struct msl_event *out, const char **why);
};

/* Registered dialects, NULL-terminated. */
const struct msl_dialect *const *msl_dialects(void);
const struct msl_dialect *msl_dialect_by_name(const char *name);
/* MSL_MTA_* of an MTA by its event.mta name (a dialect's or a format's), 0 when unknown:
 * for events rebuilt from stored rows (the case store replays them). */
uint32_t msl_mta_caps_by_name(struct msl_str mta);
/* The first dialect that claims this program tag, or NULL. */
const struct msl_dialect *msl_dialect_for_program(struct msl_str program);

extern const struct msl_dialect msl_dialect_postfix;
extern const struct msl_dialect msl_dialect_sendmail;
extern const struct msl_dialect msl_dialect_exim;
extern const struct msl_dialect msl_dialect_opensmtpd;
extern const struct msl_dialect msl_dialect_qmail;
extern const struct msl_dialect msl_dialect_dovecot;
extern const struct msl_dialect msl_dialect_courier;
extern const struct msl_dialect msl_dialect_opendkim;
extern const struct msl_dialect msl_dialect_opendmarc;
extern const struct msl_dialect msl_dialect_policyd_spf;
extern const struct msl_dialect msl_dialect_rspamd;
extern const struct msl_dialect msl_dialect_amavis;
extern const struct msl_dialect msl_dialect_spamd;

/* The next hop's message id named in a delivery's reply ("queued as X", "id=X",
 * "X Message accepted for delivery", "InternalId=X"), or an empty view (reply_id.c). */
struct msl_str msl_reply_next_id(struct msl_str text);

/* Postfix queue ids (lib/dialect/postfix_qid.c). */
/* Returns 1 for a valid short id (hex, 6..12 chars... as Postfix makes them), 2 for a valid
 * long id, 0 otherwise.  For long ids, *utc_us (if not NULL) receives the enqueue time. */
int msl_postfix_qid(const char *p, size_t n, int64_t *utc_us);

#ifdef __cplusplus
}
#endif
#endif
