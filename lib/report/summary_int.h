/*
 * summary_int.h - the summary's state, shared by the aggregator (summary.c) and its
 * renderers (summary_render.c).  Not public.
 */
#ifndef MSL_REPORT_SUMMARY_INT_H
#define MSL_REPORT_SUMMARY_INT_H

#include "mailsleuth/correlate.h"
#include "mailsleuth/report.h"
#include "util/buf.h"
#include "util/strmap.h"

#define SEP '\x1f' /* joins the parts of composite map keys */

struct counters {
    long long received, delivered, forwarded, deferred, deferrals, bounced, expired;
    long long rejected, reject_warnings, held, discarded, filtered;
    long long bytes_received, bytes_delivered;
    long long sasl_failures, connections, warnings, errors, fatals, panics;
    long long events;
    long long first_ts, last_ts;
    long long outcomes[MSL_OUT__COUNT]; /* recipients by outcome */
};

struct traffic {
    long long received, delivered, deferred, bounced, rejected;
};

struct agg {
    long long count, bytes, defers;
    double delay_sum, delay_max;
};

struct msl_summary {
    struct msl_summary_opts opts;
    struct counters all;
    struct strmap *hosts; /* host -> counters */
    struct msl_correlator *c; /* the messages: booked when the correlator closes them */
    struct strmap *days;  /* YYYY-MM-DD -> traffic */
    struct traffic hours[24];
    struct strmap *senders, *sender_domains, *recipients;
    /* recipient domain -> agg (sent, bytes, defers, delays); entries with count 0 only deferred */
    struct strmap *delivery_domains;
    long long recipient_domains; /* entries of delivery_domains with count > 0 */
    struct strmap *deferral_reasons; /* daemon SEP reason */
    struct strmap *bounce_reasons;   /* relay SEP reason */
    struct strmap *rejects;          /* action SEP stage SEP reason SEP item */
    struct strmap *warnings;         /* daemon SEP text */
    struct strmap *errors;           /* severity SEP daemon SEP text */
    struct strmap *daemon_msgs;      /* daemon SEP text (master etc.) */
    struct strmap *conn_failures;    /* text */
    struct strmap *sasl_clients, *sasl_users;
    struct buf nosize; /* "qid SEP recipient\n" lines */
    long long nosize_count;
    /* one-entry caches: consecutive events mostly share host and hour */
    char last_host[256];
    size_t last_host_n;
    struct counters *last_host_counters;
    long long last_hour; /* UTC hour of the cached traffic rows, -1 = none */
    struct traffic *last_day, *last_hour_row;
    int oom;
};

#endif
