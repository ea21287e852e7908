/*
 * correlate.h - events -> messages (one queue transaction on one host) and sessions (one
 * SMTP connection), streamed with memory bounded by open state.
 *
 * Feed events in input order with msl_correlator_add(); finished records are handed to the
 * sink as they finish (a message when qmgr "removed" it, when its queue id is reused, or
 * after idle_us of log time without an event; a session at its disconnect or after
 * idle_us), and msl_correlator_finish() hands over everything still open, marked as such.
 * Nothing is ever dropped.
 *
 * Ownership: a record passed to the sink belongs to the sink when the callback returns 1
 * (free it with msl_message_free / msl_session_free); when it returns 0 the correlator
 * frees it right after the callback.  All strings in a record are NUL-terminated copies
 * owned by the record (NULL = absent; "" = present but empty, e.g. the null sender).
 *
 * Rules (doc/CORRELATION.md has each with its test):
 *  - key = host + queue id; a new RECEIVED (client=/uid=) for a key whose message already
 *    received closes the old message (queue ids are reused).
 *  - a delivery whose reply says "queued as X", where X is already open on the same host
 *    with its receipt, is a hand-off on this host: over loopback a content filter, else
 *    another instance that received it from the relay's address.  The message records
 *    reinjected_as = X and X records reinjected_from; summary counts the pair once.  A
 *    loopback relay whose X is not here is another server on this machine (no link).
 *  - postsuper "removed" closes a message like qmgr "removed"; a transaction that never
 *    reached qmgr (milter/DATA reject, no successful data= in the counters) closes at its
 *    session's disconnect with MSL_END_REJECTED.
 *  - bounce "sender non-delivery notification: X" links both ways (dsn_qids / bounce_of).
 *  - sessions are keyed by host + the pid of the process serving the connection (Postfix and
 *    OpenSMTPD smtpd; Sendmail and Exim receiving processes, for connection-level events
 *    only) or by the MTA's own session id (Exchange protocol logs); a CONNECT on a live key,
 *    or another client on it, closes the old session (pid reuse); RECEIVED events with a
 *    client attach the message to the open session of the same key.
 */
#ifndef MAILSLEUTH_CORRELATE_H
#define MAILSLEUTH_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One original log line cited as evidence. */
struct msl_evline {
    struct msl_evidence ev;
    int64_t ts;
    enum msl_kind kind;
    char *text; /* the raw line when opts.keep_lines, else NULL */
};

/* One delivery attempt for one recipient. */
struct msl_delivery {
    int64_t ts;
    char *to, *orig_to;
    char *daemon; /* "smtp", "local", "lmtp", "qmgr" (expired) ... */
    char *relay_host, *relay_ip;
    int32_t relay_port;
    char *dsn;
    enum msl_status status;
    char *text;    /* reply / reason */
    double delay;  /* -1 absent */
    double delays[4];
    char *tls;
    char *new_qid; /* "queued as X" in the reply: the next hop's queue id */
    int local;     /* delivered on this host, not handed to another server (MSL_EVF_LOCAL) */
    uint32_t repeat; /* N for a line logged "message repeated N times", else 1 */
    struct msl_evidence ev;
};

/* A reject/hold/discard/milter action on the message (cleanup, smtpd after client=). */
struct msl_action_rec {
    int64_t ts;
    enum msl_action action;
    char *stage, *text;
    char *to; /* the recipient the reject line names (to=), NULL when none */
    struct msl_evidence ev;
};

/* postsuper hold/release/requeue/delete. */
struct msl_admin_rec {
    int64_t ts;
    char *what; /* "placed on hold", "released from hold", "requeued", "removed" */
    struct msl_evidence ev;
};

/*
 * What finally happened to one recipient of one message on one host: the outcome of its
 * last attempt (or of the message's end when no attempt is logged), read the same way for
 * every MTA.  Built by the correlator when the message closes (lib/correlate/recipients.c);
 * its strings are borrowed from the message's deliveries/actions (freed with the message).
 */
enum msl_outcome {
    MSL_OUT_NONE = 0,  /* no attempt and no end logged for it */
    MSL_OUT_DELIVERED, /* delivered on this host: mailbox, local/virtual/lmtp/pipe, Exim
                          appendfile, Sendmail local mailer */
    MSL_OUT_RELAYED,   /* accepted by another server (2xx), its queue id not given */
    MSL_OUT_FORWARDED, /* accepted by the next hop, which named its queue id (next_qid),
                          or re-injected here under a new id (content filter, "forwarded as") */
    MSL_OUT_DEFERRED,  /* last attempt deferred and the message still open: pending */
    MSL_OUT_EXPIRED,   /* deferred until the queue lifetime ran out */
    MSL_OUT_BOUNCED,   /* refused permanently after queueing: a DSN went to the sender */
    MSL_OUT_REJECTED,  /* refused before it was queued (milter, DATA, cleanup reject) */
    MSL_OUT_DISCARDED, /* silently dropped (discard action, status=discarded) */
    MSL_OUT_QUARANTINED, /* held (hold action, postsuper hold, quarantine) and not released */
    MSL_OUT__COUNT
};

struct msl_recipient {
    const char *addr;     /* the address delivered to (to=) */
    const char *orig;     /* the address as the sender gave it (orig_to, Exim parent), NULL
                             when the log names only one */
    enum msl_outcome outcome;
    enum msl_status last_status; /* status of the last attempt (NONE without attempts) */
    uint32_t attempts;    /* delivery attempts logged (all statuses) */
    uint32_t deferrals;   /* of which deferred */
    int64_t first_ts, last_ts; /* first and last attempt (or the reject); 0 without */
    const char *relay_host, *relay_ip; /* of the last attempt */
    int32_t relay_port;   /* -1 absent */
    const char *dsn;      /* enhanced status code of the last attempt */
    const char *reply;    /* last remote reply / reason */
    const char *tls;      /* TLS of the last attempt (Postfix 3.11 tls=), NULL unknown */
    double delay;         /* total delay of the last attempt in seconds, -1 absent */
    const char *next_qid; /* the queue id the next hop (or a re-injection) gave it */
    size_t *attempt;      /* indices into msl_message.deliveries, in order (evidence) */
    size_t nattempt;
    struct msl_evidence ev; /* the line that decided the outcome */
};

const char *msl_outcome_name(enum msl_outcome o);
/* Parses a name produced by msl_outcome_name; -1 if unknown. */
int msl_outcome_from_name(const char *s, size_t n);

enum msl_msg_end {
    MSL_END_REMOVED = 0,  /* qmgr removed it: lifecycle complete */
    MSL_END_REUSED,       /* its queue id was reused before a "removed" line */
    MSL_END_IDLE,         /* no event for idle_us of log time */
    MSL_END_OPEN_AT_EOF,  /* still open when the input ended */
    MSL_END_REJECTED,     /* rejected before queueing finished (milter/cleanup reject) */
    MSL_END_COMPLETE      /* every recipient final, for MTAs that log no end of message */
};

struct msl_message {
    uint64_t id; /* run-unique, in order of first event */
    char *host, *qid;
    int64_t qid_time; /* from a long queue id, else 0 */
    int64_t first_ts, last_ts;
    int seen_receipt;  /* 1 when the RECEIVED (client=/uid=/pickup) line is in the logs */
    int64_t received_ts;
    char *client_host, *client_ip;
    int32_t client_port;
    char *helo, *proto;
    char *sasl_method, *sasl_user;
    char *uid; /* pickup: local submission uid */
    char *from; /* envelope sender; "" = null sender <> */
    int64_t size, nrcpt; /* -1 absent */
    char *msgid;
    struct msl_delivery *deliveries;
    size_t ndeliveries;
    struct msl_action_rec *actions;
    size_t nactions;
    struct msl_admin_rec *admin;
    size_t nadmin;
    char *reinjected_as;   /* content filter: the queue id it came back as (same host) */
    char *reinjected_from; /* content filter: the queue id it came from (same host) */
    char *bounce_of;       /* this message is a DSN for that queue id */
    char **dsn_qids;       /* DSNs created for this message */
    size_t ndsn;
    uint64_t session_id;   /* 0 = none known */
    enum msl_msg_end end;
    enum msl_status final; /* worst-to-best summary: SENT if all recipients sent, BOUNCED if
                              any bounced and none pending, DEFERRED if the last attempt of
                              any recipient deferred, EXPIRED, DISCARDED, HELD, NONE */
    struct msl_recipient *rcpts; /* one per distinct recipient, in order of first
                                    mention; filled when the message closes */
    size_t nrcpts;
    struct msl_evline *lines; /* every event that built it, in input order */
    size_t nlines;
    size_t lines_dropped; /* past opts.max_lines: counted, not kept */
};

struct msl_auth_rec {
    int64_t ts;
    int ok;
    char *method, *user, *text;
    struct msl_evidence ev;
};

struct msl_reject_rec {
    int64_t ts;
    enum msl_action action;
    char *stage, *code, *dsn, *text, *from, *to, *helo;
    int noqueue;
    struct msl_evidence ev;
};

struct msl_session {
    uint64_t id;
    char *host, *program;
    int64_t pid;
    char *smtp_session_id; /* the MTA's own session id (Exchange protocol logs), else NULL */
    char *client_host, *client_ip;
    int32_t client_port;
    int64_t start_ts, end_ts;
    int saw_connect, saw_disconnect;
    char *helo;
    char *tls_proto, *tls_cipher;
    struct msl_auth_rec *auths;
    size_t nauths;
    struct msl_reject_rec *rejects;
    size_t nrejects;
    char *counters;     /* "ehlo=1 mail=1 rcpt=0/1 ..." from disconnect */
    char *end_reason;   /* "lost connection after DATA", "timeout after RCPT", "too many errors" */
    char **qids;        /* messages submitted in this session */
    size_t nqids;
    char **verdicts;    /* postscreen verdicts for this client ("PASS NEW", "DNSBL rank 3") */
    size_t nverdicts;
    int closed;         /* 1 when a disconnect was seen */
    int held_by_;       /* private: open messages it waits for (opts.hold_sessions) */
    struct msl_evline *lines;
    size_t nlines;
    size_t lines_dropped;
};

struct msl_correlate_opts {
    int64_t idle_us;  /* 0 = 7 days of log time (Postfix maximal_queue_lifetime is 5d) */
    int keep_lines;   /* copy each event's raw line into the record (trace needs them) */
    size_t max_lines; /* evidence lines kept per record; 0 = 10000 */
    int no_sessions;  /* messages only: SMTP sessions are not tracked (summary) */
    int no_lines;     /* keep no evidence lines (aggregating consumers such as summary) */
    int hold_sessions; /* a session that ends while messages it submitted are still open is
                          handed over right after the last of them (trace: the story's
                          records arrive together) */
};

struct msl_correlate_sink {
    void *ctx;
    int (*message)(void *ctx, struct msl_message *m); /* return 1 to keep ownership */
    int (*session)(void *ctx, struct msl_session *s); /* may be NULL */
};

struct msl_correlator;

struct msl_correlator *msl_correlator_new(const struct msl_correlate_opts *o,
                                          const struct msl_correlate_sink *sink);
/* Folds one event.  Returns MSL_OK or MSL_ENOMEM. */
int msl_correlator_add(struct msl_correlator *c, const struct msl_event *e);
/* Hands every open record to the sink (end = MSL_END_OPEN_AT_EOF / closed = 0). */
void msl_correlator_finish(struct msl_correlator *c);
/* Hands over every record whose last event is older than before_us (log time, UTC us) as
 * idle (MSL_END_IDLE), as the sweep every 65536 events does: a live follower calls it on a
 * timer so records close on an idle timeout while no events arrive. */
void msl_correlator_flush_idle(struct msl_correlator *c, int64_t before_us);
void msl_correlator_free(struct msl_correlator *c);
/* Records currently open (for tests and memory reports). */
size_t msl_correlator_open_messages(const struct msl_correlator *c);
size_t msl_correlator_open_sessions(const struct msl_correlator *c);

void msl_message_free(struct msl_message *m);
void msl_session_free(struct msl_session *s);

#ifdef __cplusplus
}
#endif
#endif
