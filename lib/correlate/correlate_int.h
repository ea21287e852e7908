/*
 * correlate_int.h - internals shared by the correlator (correlate.c, sessions.c) and the
 * record helpers (records.c).  Not installed.
 */
#ifndef MSL_CORRELATE_INT_H
#define MSL_CORRELATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/correlate.h"
#include "util/buf.h"
#include "util/strmap.h"

#define CR_SEP '\x1f'                               /* joins the parts of map keys */
#define CR_IDLE_DEFAULT (7LL * 86400 * 1000000)     /* 7 days of log time */
#define CR_MAX_LINES_DEFAULT 10000
#define CR_SWEEP_EVERY 65536

/* A message's strings live in blocks of its own, freed with it: one allocation per block
 * instead of one per string (what a record keeps is copied once, freed at once). */
struct cr_strblk {
    struct cr_strblk *next;
    size_t used, cap;
    char data[];
};

/* An open message: the public record plus private state.  m is the first member so the
 * sink can free a handed-over record with msl_message_free (one allocation). */
struct cr_msg {
    struct msl_message m;
    struct cr_strblk *strs;  /* every string of m (not its arrays) */
    unsigned queued : 1;   /* qmgr SENDER seen: the queue file reached the active queue */
    unsigned rejected : 1; /* a reject that ends the transaction (milter, cleanup, DATA) */
    unsigned held : 1;     /* on hold (hold action / postsuper), cleared by a release */
    unsigned discarded : 1;
    unsigned no_end_line : 1; /* its MTA logs no end of message (Sendmail, OpenSMTPD, Exchange) */
    unsigned xmid_noted : 1;  /* Exchange: its Message-ID is in c->xmid */
    int64_t complete_ts;      /* when every recipient reached a final state (those MTAs only) */
    struct msl_session *held_sess; /* its ended session, waiting for it (opts.hold_sessions) */
    int64_t moved;            /* recipients moved to a forked copy (Exchange TRANSFER) */
};

struct msl_correlator {
    struct msl_correlate_opts opts;
    struct msl_correlate_sink sink;
    struct strmap *msgs;     /* host SEP qid -> struct cr_msg * */
    struct strmap *sessions; /* host SEP pid -> struct msl_session * (smtpd) */
    struct strmap *ps;       /* host SEP client ip -> struct msl_session * (postscreen) */
    struct strmap *xwait;    /* Exchange sessions waiting for the other log (sessions.c):
                                host SEP s SEP session-id -> struct msl_session * */
    struct strmap *xmid;     /* Exchange host SEP Message-ID -> struct cr_xmid (exchange.c) */
    struct buf kb;           /* key scratch, reused for every event */
    struct buf vb;           /* value scratch (verdict and end-reason texts) */
    uint64_t next_msg_id, next_sess_id;
    int64_t now;             /* latest event time (log time) */
    uint64_t since_sweep;
    int oom;
};

/* correlate.c: length of a view up to its first NUL (keys must match the copies) */
size_t cr_keylen(struct msl_str v);

/* records.c */
char *cr_dup(struct msl_str v);                 /* NULL for an absent view */
int cr_set(char **dst, struct msl_str v);       /* sets *dst once; 0 or MSL_ENOMEM */
int cr_grow(void *arrp, size_t n, size_t elem); /* room for element n (geometric) */
/* owner: the message whose blocks hold the line's text; NULL for a session's own copy */
int cr_add_line(const struct msl_correlator *c, struct cr_msg *owner, struct msl_evline **lines,
                size_t *n, size_t *dropped, const struct msl_event *e);
int cr_add_str(char ***arr, size_t *n, struct msl_str v);
/* the same for strings of a message: copied into its blocks */
char *cr_mdup(struct cr_msg *m, struct msl_str v);
int cr_mset(struct cr_msg *m, char **dst, struct msl_str v);
int cr_madd_str(struct cr_msg *m, char ***arr, size_t *n, struct msl_str v);
enum msl_status cr_final(const struct cr_msg *m);
/* recipients.c: fills m->m.rcpts from its deliveries and actions (at close) */
int cr_recipients(struct cr_msg *m);
int cr_is(struct msl_str v, const char *lit);

/* correlate.c: key builders and the hand-over (used by sessions.c and exchange.c) */
void cr_key2(struct buf *b, struct msl_str a, struct msl_str c);
void cr_msg_close(struct msl_correlator *c, struct cr_msg *m, enum msl_msg_end end);
struct cr_msg *cr_msg_find(struct msl_correlator *c, struct msl_str host, struct msl_str qid);
/* finds or creates host+qid; NULL only on allocation failure (c->oom set) */
struct cr_msg *cr_msg_get(struct msl_correlator *c, struct msl_str host, struct msl_str qid,
                          const struct msl_event *e);
void cr_msg_touch(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e);
void cr_note_complete(struct cr_msg *m, int64_t ts);

/* sessions.c; cr_session_release hands over a held session whose last message closed */
void cr_session_release(struct msl_correlator *c, struct msl_session *s);
int cr_session_event(struct msl_correlator *c, const struct msl_event *e, struct cr_msg *m);
void cr_session_close(struct msl_correlator *c, struct strmap *map, struct msl_session *s);

/* exchange.c: links of Exchange message tracking rows (see the design comment there) */
struct cr_xmid {
    char *qid;   /* the latest message on this host that carries this Message-ID */
    char *orig;  /* a DSN row named this Message-ID as its DSN's: the original's qid */
    int64_t ts;  /* last use (eviction order) */
};
#define CR_XMID_MAX 65536 /* Message-IDs remembered per run; the older half goes when full */
void cr_xch_msgid(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e);
void cr_xch_dsn(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e);
void cr_xch_transfer(struct msl_correlator *c, struct cr_msg *m, const struct msl_event *e);
void cr_xch_free(struct msl_correlator *c);

#endif
