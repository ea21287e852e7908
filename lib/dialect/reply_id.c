/*
 * reply_id.c - the next hop's message id in a delivery's reply text.  Receiving servers
 * name the id they queued a message under in their 250 reply, in a few wordings:
 *   Postfix, most MTAs   "250 2.0.0 Ok: queued as 4Z4CfJ2JfYz9WWTS"
 *   Exim                 "250 OK id=1xWwmE-0003d0-0f"
 *   Sendmail, OpenSMTPD  "250 2.0.0 t0AKjRe1021234 Message accepted for delivery"
 *                        "250 2.0.0 fc75a57d Message accepted for delivery"
 *   Exchange             "250 2.6.0 <msgid> [InternalId=123456789] Queued mail for delivery"
 * The id links the delivery to that message on the next host (trace hops).
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "mailsleuth/dialect.h"

static int id_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c == '-' || c == '_' || c == '.';
}

static const char *find(const char *p, const char *end, const char *lit)
{
    return memmem(p, (size_t)(end - p), lit, strlen(lit)); /* glibc's is vectorised */
}

/* A token is an id when it has a digit and is not an enhanced status code (2.0.0). */
static struct msl_str token(const char *s, const char *e)
{
    while (e > s && e[-1] == '.')
        e--;
    if (e - s < 4 || e - s > 64)
        return MSL_STR_NULL;
    int digit = 0, other = 0;
    for (const char *q = s; q < e; q++) {
        digit |= *q >= '0' && *q <= '9';
        other |= !(*q >= '0' && *q <= '9') && *q != '.';
    }
    if (!digit || !other)
        return MSL_STR_NULL;
    return (struct msl_str){s, (size_t)(e - s)};
}

static struct msl_str forward_token(const char *q, const char *end)
{
    const char *s = q;
    while (q < end && id_char(*q))
        q++;
    return token(s, q);
}

struct msl_str msl_reply_next_id(struct msl_str text)
{
    if (!text.p || !text.n)
        return MSL_STR_NULL;
    const char *p = text.p, *end = p + text.n, *q;
    if ((q = find(p, end, "queued as ")) != NULL)
        return forward_token(q + 10, end);
    if ((q = find(p, end, "InternalId=")) != NULL)
        return forward_token(q + 11, end);
    if ((q = find(p, end, " id=")) != NULL)
        return forward_token(q + 4, end);
    if ((q = find(p, end, " Message accepted")) != NULL) {
        const char *e = q;
        const char *s = e;
        while (s > p && id_char(s[-1]))
            s--;
        return token(s, e);
    }
    return MSL_STR_NULL;
}
