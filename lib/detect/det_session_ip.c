/*
 * det_session_ip.c - client address by session for lines that name only the session (see
 * det_session_ip.h).  Bounded: at most `max` open sessions are remembered; when the table is
 * full it starts over (sessions are short, their lines close together).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect/det_session_ip.h"

#define IPLEN 64

int det_session_ip_init(struct det_session_ip *s, size_t max)
{
    s->max = max ? max : 1;
    s->m = strmap_new(IPLEN);
    return s->m ? 0 : ENOMEM;
}

/* The session an event belongs to: the MTA's session id where the dialect gives one in
 * .detail (OpenSMTPD), else the server process (Sendmail forks one per connection and logs
 * "NOQUEUE: connect from [ip]", then "<rcpt>... User unknown" under the same pid). */
static size_t key(char *buf, size_t cap, const struct msl_event *e)
{
    int n;
    if (e->detail.n)
        n = snprintf(buf, cap, "s\n%.*s\n%.*s", (int)e->host.n, e->host.p ? e->host.p : "",
                     (int)e->detail.n, e->detail.p);
    else if (e->pid >= 0)
        n = snprintf(buf, cap, "p\n%.*s\n%.*s\n%lld", (int)e->host.n, e->host.p ? e->host.p : "",
                     (int)e->program.n, e->program.p ? e->program.p : "", (long long)e->pid);
    else
        return 0;
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

struct msl_str det_session_ip_of(struct det_session_ip *s, const struct msl_event *e)
{
    char k[512];
    size_t n;
    if (e->client_ip.n) {
        if (e->kind == MSL_EV_CONNECT && s->m && e->client_ip.n < IPLEN &&
            (n = key(k, sizeof k, e)) != 0) {
            if (strmap_len(s->m) >= s->max) {
                strmap_free(s->m);
                s->m = strmap_new(IPLEN);
            }
            char *ip = s->m ? strmap_get(s->m, k, n, NULL) : NULL;
            if (ip) {
                memcpy(ip, e->client_ip.p, e->client_ip.n);
                ip[e->client_ip.n] = 0;
            }
        }
        return e->client_ip;
    }
    if (!s->m || (n = key(k, sizeof k, e)) == 0)
        return MSL_STR_NULL;
    const char *ip = strmap_find(s->m, k, n);
    return ip ? (struct msl_str){ip, strlen(ip)} : MSL_STR_NULL;
}

void det_session_ip_free(struct det_session_ip *s)
{
    strmap_free(s->m);
    s->m = NULL;
}
