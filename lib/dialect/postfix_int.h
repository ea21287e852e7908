/*
 * postfix_int.h - internals shared by the Postfix dialect files: the per-daemon handlers.
 * The byte scanners they use are every dialect's: dialect/scan.h.  Not installed.
 */
#ifndef MSL_POSTFIX_INT_H
#define MSL_POSTFIX_INT_H

#include "dialect/scan.h"

/* The scanner kit's former names, for code written before it left this header (other
 * branches): new code says scan_* and includes dialect/scan.h.  Drop once none is left. */
#define pf_sv scan_sv
#define pf_lit scan_lit
#define pf_starts scan_starts
#define pf_find scan_find
#define pf_rfind scan_rfind
#define pf_isdigit scan_isdigit
#define pf_uint scan_uint
#define pf_span_until scan_span_until
#define pf_decimal scan_decimal
#define pf_hostaddr scan_hostaddr
#define pf_bracket_addr scan_bracket_addr
#define pf_addr scan_addr
#define pf_reply scan_reply
#define pf_milter_jobid scan_milter_jobid
#define PF_LIT SCAN_LIT
#define PF_STARTS SCAN_STARTS
#define PF_FIND SCAN_FIND
#define PF_RFIND SCAN_RFIND

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
