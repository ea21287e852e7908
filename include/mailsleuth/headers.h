/*
 * headers.h - a suspect message's own headers, checked against the server logs.
 *
 * msl_hdr_parse reads one message's header block (RFC 5322: folded lines unfolded, header
 * names case-insensitive, RFC 2047 encoded words decoded for display); msl_received_parse
 * reads one Received header in the forms Postfix, Exim, Sendmail, OpenSMTPD, Exchange and
 * Gmail write ("from HELO (rDNS [IP]) by HOST (...) with PROTO id QID for <RCPT>; DATE").
 * msl_hdr_verify puts each hop beside the records the correlator built from the logs and
 * gives every hop and the message a verdict (doc/HEADERS.md):
 *   confirmed     the log of that server shows this hop (evidence cited)
 *   contradicted  the log covers that server and time but shows something else (reason)
 *   no-evidence   no log of that server, or not of that time, was given
 * Header content is attacker-controlled: parsing is bounded (MSL_HDR_MAX bytes of headers,
 * MSL_HDR_MAX_RECEIVED hops) and every string is a copy owned by the parsed message.
 */
#ifndef MAILSLEUTH_HEADERS_H
#define MAILSLEUTH_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MSL_HDR_MAX (1024 * 1024) /* bytes of one message's header block */
#define MSL_HDR_MAX_RECEIVED 64   /* Received headers read per message */

struct msl_received {
    char *raw;      /* the unfolded header value */
    char *helo;     /* "from" name as the client gave it */
    char *rdns;     /* reverse DNS name in the comment, "unknown" kept */
    char *ip;       /* client address in the comment ([192.0.2.1], IPv6: without "IPv6:") */
    char *by;       /* receiving server */
    char *with;     /* protocol: SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, local ... */
    char *id;       /* the receiving server's queue id */
    char *for_addr; /* envelope recipient */
    int64_t ts;     /* the date after ';' in UTC us, 0 if unreadable */
    int tls;        /* 1 when the protocol or a comment says TLS was used */
};

struct msl_hdr_msg {
    size_t index;      /* 1-based position in its file (mbox) */
    uint64_t line;     /* line of the header block's first line in its file */
    char *msgid;       /* without <> */
    char *from, *to, *subject; /* decoded for display */
    int64_t date;      /* Date: in UTC us, 0 if absent/unreadable */
    struct msl_received *rcv; /* top (newest) first, as in the message */
    size_t nrcv;
    size_t rcv_dropped; /* Received headers past MSL_HDR_MAX_RECEIVED */
    char *auth_results; /* Authentication-Results value, if any */
    char *dkim_domain;  /* d= of the first DKIM-Signature */
    char *error;        /* why the header block could not be read, else NULL */
};

/* Parses the header block at p (up to the first empty line or n).  Never fails on bad
 * content: what could not be read is in out->error.  MSL_OK or MSL_ENOMEM. */
int msl_hdr_parse(const char *p, size_t n, struct msl_hdr_msg *out);
void msl_hdr_msg_free(struct msl_hdr_msg *m);
/* Parses one Received value into r (strings owned by r).  MSL_OK or MSL_ENOMEM. */
int msl_received_parse(const char *v, size_t n, struct msl_received *r);
void msl_received_free(struct msl_received *r);
/* RFC 5322 date ("Mon, 7 Dec 2026 12:49:19 +0000 (UTC)") to UTC us; 0 if unreadable. */
int64_t msl_hdr_date(const char *s, size_t n);

enum msl_verdict { MSL_V_NO_EVIDENCE = 0, MSL_V_CONFIRMED, MSL_V_CONTRADICTED };
const char *msl_verdict_name(enum msl_verdict v);

struct msl_hop_verdict {
    enum msl_verdict v;
    const struct msl_received *rcv; /* NULL for a hop the logs show but the headers lack */
    const struct msl_message *log;  /* the record it was compared with, or NULL */
    char *why;                      /* what agreed or what differed */
};

struct msl_msg_verdict {
    enum msl_verdict v;
    struct msl_hop_verdict *hops; /* the headers' hops oldest first, then hops only in logs */
    size_t nhops;
    char *why;
};

/*
 * Compares the message with the logs' records.  recs: every message the logs gave that
 * shares its Message-ID or one of its hops' queue ids; hosts/first/last: every server
 * that appears in the logs with the time its log covers.  skew_us: allowed clock
 * difference between a header's date and the log.  MSL_OK or MSL_ENOMEM.
 */
struct msl_log_host {
    const char *host;
    int64_t first, last;
};
int msl_hdr_verify(const struct msl_hdr_msg *h, struct msl_message *const *recs, size_t nrecs,
                   const struct msl_log_host *hosts, size_t nhosts, int64_t skew_us,
                   struct msl_msg_verdict *out);
void msl_msg_verdict_free(struct msl_msg_verdict *v);

#ifdef __cplusplus
}
#endif
#endif
