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
static size_t put(char *buf, size_t cap, size_t at, const char *p, size_t n)
{
    if (at == 0 || at + n + 1 > cap)
        return 0;
    if (n)
        memcpy(buf + at, p, n);
    buf[at + n] = '\n';
    return at + n + 1;
}

/* Built by hand, not snprintf: the hunt asks for every event. */
static size_t key(char *buf, size_t cap, const struct msl_event *e)
{
    size_t n;
    if (e->detail.n) {
        buf[0] = 's';
        buf[1] = '\n';
        n = put(buf, cap, 2, e->host.p, e->host.n);
        n = put(buf, cap, n, e->detail.p, e->detail.n);
    } else if (e->pid >= 0) {
        char pid[24];
        size_t pn = 0;
        for (unsigned long long v = (unsigned long long)e->pid; pn == 0 || v; v /= 10)
            pid[sizeof pid - 1 - pn++] = (char)('0' + v % 10);
        buf[0] = 'p';
        buf[1] = '\n';
        n = put(buf, cap, 2, e->host.p, e->host.n);
        n = put(buf, cap, n, e->program.p, e->program.n);
        n = put(buf, cap, n, pid + sizeof pid - pn, pn);
    } else {
        return 0;
    }
    return n;
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
