/*
 * event.h - the normalized event model: the one contract between dialect parsers and
 * everything downstream (correlation, summary, timeline, exports).
 *
 * Ownership: every struct msl_str in an event is a view into memory owned by someone
 * else (the reader's current block, or the envelope's per-line scratch).  A view is
 * valid only during the callback that delivers the event.  A consumer that keeps
 * anything copies or interns it.  doc/EVENT-MODEL.md documents every field.
 */
#ifndef MAILSLEUTH_EVENT_H
#define MAILSLEUTH_EVENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A byte view; not NUL-terminated. */
struct msl_str {
    const char *p;
    size_t n;
};

#define MSL_STR_NULL ((struct msl_str){NULL, 0})
#define MSL_STR_LIT(s) ((struct msl_str){(s), sizeof(s) - 1})

enum msl_kind {
    MSL_EV_NONE = 0,
    MSL_EV_CONNECT,       /* SMTP client connected (smtpd, postscreen CONNECT) */
    MSL_EV_DISCONNECT,    /* client left; cmd counters in .text, lost/timeout in .stage */
    MSL_EV_TLS,           /* TLS established (inbound or outbound) */
    MSL_EV_AUTH_OK,       /* SASL authentication succeeded (sasl_method/sasl_user) */
    MSL_EV_AUTH_FAIL,     /* SASL authentication failed */
    MSL_EV_REJECT,        /* reject / reject_warning / hold / discard / milter-reject; see .action */
    MSL_EV_RECEIVED,      /* queue file created: client=, uid=, sender= (pickup) */
    MSL_EV_SENDER,        /* qmgr from=<>, size=, nrcpt= (message entered the active queue) */
    MSL_EV_MESSAGE_ID,    /* cleanup message-id=<...> */
    MSL_EV_DELIVERY,      /* one recipient's delivery attempt: status= */
    MSL_EV_DSN_CREATED,   /* bounce: sender non-delivery notification: NEWQID */
    MSL_EV_QUEUE_REMOVED, /* qmgr removed */
    MSL_EV_QUEUE_ADMIN,   /* postsuper hold/release/requeue/delete (per message or summary) */
    MSL_EV_POLICY,        /* SPF/DKIM/DMARC/spam/DNSBL verdicts, postscreen verdicts */
    MSL_EV_CONN_FAIL,     /* outbound: connect to X failed, lost connection, timed out */
    MSL_EV_WARNING,       /* daemon warning: */
    MSL_EV_ERROR,         /* error:/fatal:/panic: (see .severity) */
    MSL_EV_STATS,         /* anvil/scache statistics */
    MSL_EV_DAEMON,        /* master start/reload/stop, other daemon life-cycle notices */
    MSL_EV_INFO,          /* understood, but carries no forensic fields (e.g. header info) */
    MSL_EV__COUNT
};

/* Delivery status, mirrors Postfix status= plus the states the correlator needs. */
enum msl_status {
    MSL_ST_NONE = 0,
    MSL_ST_SENT,
    MSL_ST_DEFERRED,
    MSL_ST_BOUNCED,
    MSL_ST_EXPIRED,
    MSL_ST_DISCARDED,
    MSL_ST_HELD,
    MSL_ST_FORWARDED, /* status=sent with "forwarded as" in the reply */
    MSL_ST_UNDELIVERABLE,
    MSL_ST_DELIVERABLE, /* address verification probes */
    MSL_ST_OTHER,
    MSL_ST__COUNT
};

/* What a REJECT-class event did. */
enum msl_action {
    MSL_ACT_NONE = 0,
    MSL_ACT_REJECT,
    MSL_ACT_REJECT_WARNING,
    MSL_ACT_HOLD,
    MSL_ACT_DISCARD,
    MSL_ACT_MILTER_REJECT,
    MSL_ACT_PROXY_REJECT,
    MSL_ACT_FILTER,
    MSL_ACT_REDIRECT,
    MSL_ACT_PREPEND,
    MSL_ACT_INFO,
    MSL_ACT__COUNT
};

enum msl_severity {
    MSL_SEV_INFO = 0,
    MSL_SEV_WARNING,
    MSL_SEV_ERROR,
    MSL_SEV_FATAL,
    MSL_SEV_PANIC,
    MSL_SEV__COUNT
};

/* What an MTA's logging is like (event.mta_caps), declared once on its dialect or format
 * descriptor so that correlation and rules never compare MTA names. */
#define MSL_MTA_NO_END_LINE 0x1u /* no end-of-message line: a message completes when every
                                  * recipient is final (Sendmail at its default LogLevel,
                                  * OpenSMTPD, Exchange, Microsoft 365, Courier) */
#define MSL_MTA_FORKS 0x2u       /* deliveries are logged by other processes than the one
                                  * that received the message, so only connection-level
                                  * events belong to the server process's session
                                  * (Sendmail, Exim) */
#define MSL_MTA_LIFECYCLE 0x4u   /* logs a receipt and an end line for every message, so
                                  * log-integrity can judge holes (Postfix, Exim) */
#define MSL_MTA_TRANSACTIONS 0x8u /* logs transactions, but not that whole life cycle
                                   * (Sendmail, OpenSMTPD, Exchange, qmail) */
#define MSL_MTA_TRACKING 0x10u   /* Exchange message tracking: TRANSFER rows, recipient
                                  * counts and the Message-ID on every row; protocol-log
                                  * sessions keyed by the server's own session id */

/* Event flags. */
#define MSL_EVF_LOCAL_TIME 0x1u /* source stamp had no zone: ts was computed with --tz */
#define MSL_EVF_YEAR_GUESS 0x2u /* source stamp had no year: inferred */
#define MSL_EVF_REPEATED 0x4u   /* from "message repeated N times": .repeat holds N */
#define MSL_EVF_NOQUEUE 0x8u    /* NOQUEUE: the event has no queue id */
#define MSL_EVF_TRUNCATED 0x10u /* the source line was longer than the line limit */
#define MSL_EVF_ECHO 0x20u      /* restates a fact another line logs too (Dovecot's auth
                                 * process echoing a login failure): shown as evidence,
                                 * never counted */
#define MSL_EVF_LOCAL 0x40u     /* DELIVERY on this host (mailbox, file, program, local
                                 * LMTP), not a hand-over to another server: set by each
                                 * dialect from what its MTA logs (Postfix local/virtual/pipe,
                                 * Exim without H=, Sendmail local/prog mailers, OpenSMTPD
                                 * mda, Exchange DELIVER, qmail local, Dovecot,
                                 * courierlocal/courierdeliver) */
#define MSL_EVF_PER_PASS 0x80u  /* a line the MTA writes once per delivery pass, the same
                                 * text each time (Courier "completed,id="): a later copy
                                 * is another pass, not a duplicated line */

/* Evidence: where the line came from.  src indexes the run's source table. */
struct msl_evidence {
    uint32_t src;
    uint64_t line;   /* 1-based line number within the (decompressed) source */
    uint64_t offset; /* byte offset of the line within the (decompressed) source */
};

struct msl_event {
    enum msl_kind kind;
    int64_t ts; /* UTC microseconds since the epoch */
    uint32_t flags;
    uint32_t repeat; /* >= 1; N for "message repeated N times" */
    struct msl_evidence ev;

    /* from the envelope */
    struct msl_str host;    /* server name as logged */
    struct msl_str mta;     /* "postfix", "exim", ... (static string) */
    uint32_t mta_caps;      /* MSL_MTA_* of that MTA, from its dialect's or format's descriptor */
    struct msl_str program; /* full tag without pid: "postfix-in/submission/smtpd" */
    struct msl_str daemon;  /* last tag component: "smtpd" */
    struct msl_str service; /* middle component (master.cf service), e.g. "submission" */
    int64_t pid;            /* -1 when absent */

    /* the message */
    struct msl_str qid;      /* queue id, empty for NOQUEUE */
    int64_t qid_time;        /* UTC us decoded from a long queue id, else 0 */
    struct msl_str new_qid;  /* DSN_CREATED: the notification's id; DELIVERY: "queued as X" */
    struct msl_str msgid;    /* Message-ID without angle brackets */
    struct msl_str from;     /* envelope sender without <> ("" = null sender) */
    struct msl_str to;       /* recipient */
    struct msl_str orig_to;  /* original recipient */
    int64_t size;            /* bytes, -1 if absent */
    int64_t nrcpt;           /* -1 if absent */
    struct msl_str uid;      /* pickup uid= */

    /* the SMTP client side */
    struct msl_str client_host;
    struct msl_str client_ip;
    int32_t client_port; /* -1 if absent */
    struct msl_str helo;
    struct msl_str proto;
    struct msl_str sasl_method;
    struct msl_str sasl_user;

    /* the delivery */
    struct msl_str relay_host; /* "none", "local", a host name ... */
    struct msl_str relay_ip;
    int32_t relay_port;
    struct msl_str dsn;        /* enhanced status code "2.0.0" */
    enum msl_status status;
    double delay;              /* seconds, -1 if absent */
    double delays[4];          /* before qmgr, in qmgr, conn setup, transmission; -1 absent */
    struct msl_str tls;        /* Postfix 3.11 tls= field, or TLS level/protocol for TLS events */
    struct msl_str tls_cipher;

    /* rejects, policy, warnings */
    enum msl_action action;
    struct msl_str stage;    /* RCPT, MAIL, CONNECT, DATA, END-OF-MESSAGE, header, body ... */
    struct msl_str code;     /* SMTP reply code "550" */
    struct msl_str text;     /* reply / reason / warning text / command counters */
    enum msl_severity severity;
    struct msl_str detail;   /* secondary text: postscreen verdict, admin action, policy name */
    int64_t count;           /* counters: postsuper summary count, anvil max, ... (-1 absent) */

    struct msl_str raw;      /* the whole original log line (set by the pipeline) */
};

/* Resets an event to "all absent" (-1 numbers, empty views, repeat 1). */
void msl_event_clear(struct msl_event *e);

const char *msl_kind_name(enum msl_kind k);
const char *msl_status_name(enum msl_status s);
const char *msl_action_name(enum msl_action a);
const char *msl_severity_name(enum msl_severity s);

/* 1 for statuses after which a recipient needs no more attempts (sent, bounced, expired,
 * discarded, forwarded). */
int msl_status_is_final(enum msl_status s);
/* Recipients named in one delivery's to= (Sendmail lists several: "<a>,<b>"); 0 for none. */
size_t msl_rcpt_count(struct msl_str to);

/* Parses a name produced by the *_name functions; returns -1 if unknown. */
int msl_kind_from_name(const char *s, size_t n);
int msl_status_from_name(const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
