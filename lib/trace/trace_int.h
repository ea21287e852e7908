/* trace_int.h - state shared by trace.c (passes), hops.c (links) and trace_render.c. */
#ifndef MSL_TRACE_INT_H
#define MSL_TRACE_INT_H

#include <stdio.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/query.h"
#include "util/strmap.h"

enum hop_kind {
    HOP_QUEUED_AS, /* "queued as X" named the next message */
    HOP_FILTER,    /* loopback content filter re-injected it as X on the same host */
    HOP_MSGID      /* same Message-ID on another host, received near the delivery */
};

struct hop {
    size_t from_msg;  /* index into msgs */
    size_t delivery;  /* index into that message's deliveries */
    size_t to_msg;
    enum hop_kind kind;
    double skew_s; /* receiving clock minus sending clock, estimated (seconds) */
};

struct skew {
    const char *from_host, *to_host;
    double median_s;
    size_t samples;
};

struct msl_trace {
    const struct msl_query *q;
    const struct msl_palette *palette; /* text colours (msl_trace_set_palette), NULL plain */
    char *query_text;
    int pass;
    int single_pass;
    int oom;
    size_t matched;
    size_t keys_added;
    struct strmap *msg_ids, *sess_ids; /* record ids (decimal) matched in pass 1 */
    struct strmap *msgids, *qids;      /* link keys */
    struct msl_message **msgs;
    size_t nmsgs, capmsgs;
    struct msl_session **sess;
    size_t nsess, capsess;
    struct hop *hops;
    size_t nhops;
    struct skew *skews;
    size_t nskews;
    struct trace_recent *recent; /* pass 1: records waiting to be linked (recent.h) */
    struct pending *pend;        /* records claimed from it, to retain and follow */
    size_t npend, cappend;
    int passes;                  /* how many passes ran */
    size_t window;               /* bytes for the window (0 = RECENT_BUDGET) */
};

struct pending {
    struct msl_message *m;
    struct msl_session *s;
};

/* hops.c: sorts retained records by time and links them.  MSL_OK or MSL_ENOMEM. */
int trace_link(struct msl_trace *t);
const char *hop_kind_name(enum hop_kind k);

#endif
