/*
 * reinject.c - whether a delivery is a same-host hand-off that came back as another
 * queue id (see reinject.h for the rule and why it lives in one place).
 */
#include <string.h>

#include "correlate/reinject.h"

int msl_ip_is_loopback(struct msl_str ip)
{
    return (ip.n >= 4 && memcmp(ip.p, "127.", 4) == 0) ||
           (ip.n == 3 && memcmp(ip.p, "::1", 3) == 0);
}

static int same_str(struct msl_str a, struct msl_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

int msl_is_reinjection(const struct msl_reinject_hop *d, const struct msl_reinject_target *x)
{
    if (!x || !x->received || d->status != MSL_ST_SENT || !d->new_qid.n || !d->relay_ip.n)
        return 0;
    if (same_str(d->new_qid, d->qid))
        return 0; /* a reply quoting the message's own id is no hand-off */
    if (x->received_ts && d->ts && x->received_ts > d->ts)
        return 0; /* received after the reply: a reused id, not this message */
    /* over loopback: a content filter; otherwise another instance on this host that got it
     * from the relay's own address (postfix-<ip>/smtpd) */
    return msl_ip_is_loopback(d->relay_ip) ||
           (x->client_ip && *x->client_ip &&
            same_str(d->relay_ip, (struct msl_str){x->client_ip, strlen(x->client_ip)}));
}
