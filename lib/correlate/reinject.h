/*
 * reinject.h - the one rule that decides whether a delivery handed the message to a
 * process on the same host that re-injected it as a new queue id (a content filter such
 * as amavis or an rspamd proxy, or another MTA instance of a multi-instance set-up).
 * The correlator, the summary and the trace all ask it, so they agree on every host.
 */
#ifndef MSL_REINJECT_H
#define MSL_REINJECT_H

#include <stdint.h>

#include "mailsleuth/event.h"

/* The delivery: its status, its own queue id, the id its reply names ("queued as X"),
 * the relay's address and the time it was logged. */
struct msl_reinject_hop {
    enum msl_status status;
    struct msl_str qid, new_qid, relay_ip;
    int64_t ts;
};

/* What is known about message X (new_qid, on the same host as the delivery). */
struct msl_reinject_target {
    int received;             /* X's receipt (client=, pickup, ...) was seen */
    int64_t received_ts;      /* when; 0 = unknown */
    const char *client_ip; /* where X came from; NULL or "" = unknown */
};

/* 1 when the address is IPv4 loopback (127/8) or ::1. */
int msl_ip_is_loopback(struct msl_str ip);

/* 1 when d handed the message over on its own host and x is that same message coming
 * back: d was sent, names an id other than its own, x was received no later than d was
 * logged (the re-injection happens before the reply), and d's relay is loopback or the
 * very address x was received from.  x is NULL when no such message is on the host: a
 * loopback relay whose X is not here is another server on the machine, a real delivery. */
int msl_is_reinjection(const struct msl_reinject_hop *d, const struct msl_reinject_target *x);

#endif
