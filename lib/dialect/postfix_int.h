/*
 * postfix_int.h - internals shared by the Postfix dialect files: the per-daemon handlers.
 * The byte scanners they use are every dialect's: dialect/scan.h.  Not installed.
 */
#ifndef MSL_POSTFIX_INT_H
#define MSL_POSTFIX_INT_H

#include "dialect/scan.h"
#include "dialect/scan_compat.h" /* the kit's former pf_* names */

/*
 * "key=value, key=value ..." as Postfix writes for deliveries, qmgr and pickup.  Stops at
 * status= (whose "(text)" goes to .text) or at " (" (qmgr "(queue active)").  Returns the
 * number of keys understood.
 */
int pf_kv(const char *p, const char *end, struct msl_event *e);

/* "reject: RCPT from h[a]: 550 5.1.1 text; from=<> to=<> proto=ESMTP helo=<h>" and the
 * cleanup/milter/proxy variants; p points at the action word.  Returns 1 on success. */
int pf_action_line(const char *p, const char *end, struct msl_event *e);

/* Handlers: p..end is the message after any queue id ("QID: " / "NOQUEUE: ") was taken. */
int pf_smtpd(const char *p, const char *end, struct msl_event *e);
int pf_postscreen(const char *p, const char *end, struct msl_event *e);
int pf_smtp(const char *p, const char *end, struct msl_event *e);
int pf_smtpd_warning(const char *p, const char *end, struct msl_event *e);
int pf_cache_cleanup(const char *p, const char *end, struct msl_event *e);
int pf_tls_line(const char *p, const char *end, struct msl_event *e, int inbound);

#endif
