/*
 * sendmail_smtp.c - Sendmail lines that are not "key=value" lists: the peer notation
 * ("host [ip] (may be forged)"), SMTP-session notices from srvrsmtp.c (no MAIL, lost input
 * channel, pre-greeting traffic, SMTP attack, EXPN/VRFY, timeouts, collect errors), usrerr
 * echoes ("<addr>... User unknown"), milter lines, SYSERR, and daemon life-cycle and
 * configuration notices.
 *
 * Mapping: no MAIL / lost input channel / inbound timeout / collect errors -> DISCONNECT
 * (detail "no MAIL", "lost connection", "timeout"; stage = the command or phase; service =
 * the daemon name); pre-greeting -> POLICY; possible SMTP attack, RCPT flood, load and host
 * name trouble -> WARNING; "<addr>... text" and rejected EXPN/VRFY -> REJECT; milter
 * reject/discard/quarantine -> REJECT, other milter notices -> INFO (WARNING when a filter
 * reports an error or timeout); SYSERR -> ERROR; daemon start/stop/restart -> DAEMON.
 * Every view points into the message.
 */
#include "sendmail_int.h"

/* --- peers ------------------------------------------------------------------------------- */

static struct msl_str strip_dot(const char *h, const char *he)
{
    if (he - h > 1 && he[-1] == '.')
        he--;
    return scan_sv(h, he);
}

int sm_peer_scan(const char **pp, const char *end, struct sm_peer *out)
{
    const char *p = *pp, *h = p;
    while (p < end && *p != ' ' && *p != '[')
        p++;
    const char *he = p;
    if (p < end && *p == ' ')
        p++;
    if (p >= end || *p != '[')
        return 0;
    const char *a = ++p;
    while (p < end && *p != ']' && *p != ' ')
        p++;
    if (p >= end || *p != ']' || p == a)
        return 0;
    const char *ae = p++;
    if (ae - a > 5 && memcmp(a, "IPv6:", 5) == 0)
        a += 5;
    memset(out, 0, sizeof *out);
    out->ip = scan_sv(a, ae);
    if (he > h)
        out->host = strip_dot(h, he);
    if (SCAN_LIT(&p, end, " (may be forged)"))
        out->forged = 1;
    *pp = p;
    return 1;
}

void sm_peer_value(struct msl_str v, struct sm_peer *out)
{
    const char *p = v.p, *end = v.p + v.n;
    memset(out, 0, sizeof *out);
    if (!p)
        return;
    while (end > p && end[-1] == ' ')
        end--;
    const char *q = p;
    if (sm_peer_scan(&q, end, out)) {
        struct sm_peer second;
        if (!out->host.p && q < end && *q == ' ' && sm_peer_scan(&q, end, &second) &&
            !second.host.p) {
            /* "[lit] [ip]": a delivery to an address literal names it twice */
            out->host = out->ip;
            out->ip = second.ip;
            out->forged |= second.forged;
        }
        return;
    }
    if (p == end)
        return;
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at && !memchr(p, ' ', (size_t)(end - p))) { /* "user@localhost": local submission */
        out->user = scan_sv(p, at);
        out->host = scan_sv(at + 1, end);
        return;
    }
    out->host = strip_dot(p, end);
}

void sm_peer_client(const struct sm_peer *pr, struct msl_event *e)
{
    e->client_host = pr->host;
    e->client_ip = pr->ip;
    if (pr->user.p)
        e->uid = pr->user;
    if (pr->forged && !e->detail.p)
        e->detail = MSL_STR_LIT("may be forged");
}

/* "<a@b>" -> "a@b"; anything else as written. */
static struct msl_str addr_view(const char *p, const char *end)
{
    if (end - p >= 2 && *p == '<' && end[-1] == '>')
        return scan_sv(p + 1, end - 1);
    return scan_sv(p, end);
}

/* --- session lines ----------------------------------------------------------------------- */

static int ieq(const char *p, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - p) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != s[i])
            return 0;
    }
    return 1;
}

/* After "host [ip]": ": possible SMTP attack", ": EXPN x [rejected]", " did not issue ...". */
static int after_peer(const char *p, const char *end, const struct sm_peer *pr,
                      struct msl_event *e)
{
    sm_peer_client(pr, e);
    if (SCAN_LIT(&p, end, " did not issue MAIL/EXPN/VRFY/ETRN during connection to ")) {
        e->kind = MSL_EV_DISCONNECT;
        e->detail = MSL_STR_LIT("no MAIL");
        e->service = scan_sv(p, end);
        return 1;
    }
    if (!SCAN_LIT(&p, end, ": "))
        return 0;
    const char *s = p;
    if (SCAN_LIT(&p, end, "possible SMTP attack: command=")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->detail = scan_sv(s, s + 20);
        e->text = scan_sv(s, end);
        const char *c = p;
        p = scan_span_until(p, end, ",");
        e->stage = scan_sv(c, p);
        if (SCAN_LIT(&p, end, ", count="))
            scan_uint(&p, end, &e->count);
        return 1;
    }
    /* "EXPN root [rejected]", "vrfy info [rejected]", "ETRN example.com" */
    const char *w = p;
    p = scan_span_until(p, end, " ");
    static const char *const cmds[] = {"EXPN", "VRFY", "ETRN"};
    for (size_t i = 0; i < 3; i++) {
        if (!ieq(w, p, cmds[i], 4))
            continue;
        e->stage = (struct msl_str){cmds[i], 4};
        if (p < end)
            p++;
        const char *a = p, *ae = end;
        if (end - a >= 11 && memcmp(end - 11, " [rejected]", 11) == 0) {
            ae = end - 11;
            e->kind = MSL_EV_REJECT;
            e->action = MSL_ACT_REJECT;
        } else {
            e->kind = MSL_EV_INFO;
        }
        e->text = scan_sv(a, ae);
        return 1;
    }
    return 0;
}

/* "lost input channel from H [ip] to MTA after rcpt" */
static int lost_input(const char *p, const char *end, struct msl_event *e)
{
    struct sm_peer pr;
    if (!sm_peer_scan(&p, end, &pr))
        return 0;
    sm_peer_client(&pr, e);
    e->kind = MSL_EV_DISCONNECT;
    e->detail = MSL_STR_LIT("lost connection");
    if (SCAN_LIT(&p, end, " to ")) {
        const char *d = p, *a = SCAN_FIND(p, end, " after ");
        e->service = scan_sv(d, a ? a : end);
        if (a)
            e->stage = scan_sv(a + 7, end);
    }
    return 1;
}

/* "timeout waiting for input from H during server cmd read" (also "during client ..."). */
static int timeout_line(const char *p, const char *end, struct msl_event *e)
{
    const char *d = SCAN_FIND(p, end, " during ");
    if (!d || d == p)
        return 0;
    struct sm_peer pr;
    sm_peer_value(scan_sv(p, d), &pr);
    e->detail = MSL_STR_LIT("timeout");
    e->stage = scan_sv(d + 8, end);
    if (SCAN_STARTS(d + 8, end, "client ")) { /* we were the client: an outbound problem */
        e->kind = MSL_EV_CONN_FAIL;
        e->relay_host = pr.host;
        e->relay_ip = pr.ip;
    } else {
        e->kind = MSL_EV_DISCONNECT;
        sm_peer_client(&pr, e);
    }
    return 1;
}

/* "Milter: data, reject=550 5.7.1 text", "Milter: from=<a>, reject=..", "Milter: rcpt=<a>,
 * discard", "Milter accept: message", "Milter add: header: X: y", "Milter (f): timeout .." */
static int milter(const char *p, const char *end, struct msl_event *e)
{
    p += 6; /* "Milter" */
    if (SCAN_LIT(&p, end, " (")) { /* "Milter (f): text", "Milter (f) add: header: X: y" */
        const char *n = p, *ne = memchr(p, ')', (size_t)(end - p));
        if (!ne || ne + 2 >= end || (ne[1] != ':' && ne[1] != ' '))
            return 0;
        e->detail = scan_sv(n, ne);
        e->text = scan_sv(ne + 2 + (ne[1] == ':'), end);
        if (SCAN_FIND(ne, end, "error") || SCAN_FIND(ne, end, "timeout") ||
            SCAN_FIND(ne, end, "failed")) {
            e->kind = MSL_EV_WARNING;
            e->severity = MSL_SEV_WARNING;
        } else {
            e->kind = MSL_EV_INFO;
        }
        return 1;
    }
    if (SCAN_LIT(&p, end, ": ")) {
        const char *rej = SCAN_FIND(p, end, ", reject=");
        const char *dis = SCAN_FIND(p, end, ", discard");
        const char *qua = SCAN_FIND(p, end, ", quarantine=");
        const char *act = rej ? rej : dis ? dis : qua;
        if (act) {
            e->kind = MSL_EV_REJECT;
            const char *w = p;
            if (SCAN_LIT(&p, act, "from=")) {
                e->stage = MSL_STR_LIT("MAIL");
                e->from = addr_view(p, act);
            } else if (SCAN_LIT(&p, act, "rcpt=") || SCAN_LIT(&p, act, "to=")) {
                e->stage = MSL_STR_LIT("RCPT");
                e->to = addr_view(p, act);
            } else if (SCAN_LIT(&p, act, "helo=")) {
                e->stage = MSL_STR_LIT("HELO");
                e->helo = scan_sv(p, act);
            } else if (SCAN_LIT(&p, act, "connect")) {
                e->stage = MSL_STR_LIT("CONNECT");
            } else if (ieq(w, act, "DATA", 4) || ieq(w, act, "BODY", 4)) {
                e->stage = MSL_STR_LIT("DATA");
            } else if (ieq(w, act, "EOM", 3)) {
                e->stage = MSL_STR_LIT("END-OF-MESSAGE");
            } else if (ieq(w, act, "EOH", 3) || ieq(w, act, "HEADER", 6)) {
                e->stage = MSL_STR_LIT("header");
            } else {
                e->stage = scan_sv(w, act);
            }
            if (act == rej) {
                e->action = MSL_ACT_MILTER_REJECT;
                const char *t = scan_reply(rej + 9, end, e);
                e->text = scan_sv(t, end);
            } else if (act == dis) {
                e->action = MSL_ACT_DISCARD;
            } else {
                e->action = MSL_ACT_HOLD;
                e->text = scan_sv(qua + 13, end);
            }
            return 1;
        }
    } else if (p < end && *p == ' ') { /* "Milter accept: message", "Milter add: header:" */
        const char *w = ++p;
        p = scan_span_until(p, end, ": ");
        if (p == w || !SCAN_LIT(&p, end, ":"))
            return 0;
        e->detail = scan_sv(w, p - 1);
        if (p < end && *p == ' ')
            p++;
    } else {
        return 0;
    }
    e->kind = MSL_EV_INFO;
    e->text = scan_sv(p, end);
    return 1;
}

static int syserr(const char *p, const char *end, struct msl_event *e)
{
    p += 7; /* "SYSERR(" */
    const char *u = p, *ue = memchr(p, ')', (size_t)(end - p));
    if (!ue)
        return 0;
    p = ue + 1;
    if (!SCAN_LIT(&p, end, ": ") && !SCAN_LIT(&p, end, ":"))
        return 0;
    e->kind = MSL_EV_ERROR;
    e->severity = MSL_SEV_ERROR;
    e->detail = scan_sv(u, ue); /* the user it ran as */
    e->text = scan_sv(p, end);
    return 1;
}

static int warning(struct msl_event *e, struct msl_str detail, const char *t, const char *end)
{
    e->kind = MSL_EV_WARNING;
    e->severity = MSL_SEV_WARNING;
    e->detail = detail;
    e->text = scan_sv(t, end);
    return 1;
}

static int daemon_notice(struct msl_event *e, struct msl_str detail, const char *t,
                         const char *end)
{
    e->kind = MSL_EV_DAEMON;
    e->detail = detail;
    e->text = scan_sv(t, end);
    return 1;
}

static int info(struct msl_event *e, const char *t, const char *end)
{
    e->kind = MSL_EV_INFO;
    e->text = scan_sv(t, end);
    return 1;
}

int sm_session_line(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    struct sm_peer pr;
    if (p >= end)
        return 0;
    switch (*p) {
    case '<': { /* usrerr echo: "<bob@example.com>... User unknown" */
        const char *q = memchr(p, '>', (size_t)(end - p));
        if (!q || !SCAN_STARTS(q + 1, end, "... "))
            break;
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        e->text = scan_sv(q + 5, end);
        if (SCAN_FIND(q, end, "ender address")) {
            e->stage = MSL_STR_LIT("MAIL");
            e->from = scan_sv(p + 1, q);
        } else {
            e->stage = MSL_STR_LIT("RCPT");
            e->to = scan_sv(p + 1, q);
        }
        return 1;
    }
    case 'l':
        if (SCAN_LIT(&p, end, "lost input channel from "))
            return lost_input(p, end, e);
        if (SCAN_LIT(&p, end, "low on space ("))
            return warning(e, MSL_STR_LIT("low on space"), s, end);
        break;
    case 'r':
        if (SCAN_LIT(&p, end, "rejecting commands from ")) {
            if (!sm_peer_scan(&p, end, &pr))
                return 0;
            sm_peer_client(&pr, e);
            e->kind = MSL_EV_POLICY;
            e->detail = MSL_STR_LIT("pre-greeting traffic");
            if (SCAN_LIT(&p, end, " due to ")) {
                e->text = scan_sv(p, end);
                const char *a = SCAN_FIND(p, end, " after ");
                if (a) {
                    a += 7;
                    scan_uint(&a, end, &e->count);
                }
            }
            return 1;
        }
        if (SCAN_LIT(&p, end, "rejecting connections on daemon ")) {
            const char *d = p, *c = SCAN_FIND(p, end, ": ");
            if (!c)
                return 0;
            e->service = scan_sv(d, c);
            return warning(e, MSL_STR_LIT("rejecting connections"), c + 2, end);
        }
        if (SCAN_LIT(&p, end, "restarting "))
            return daemon_notice(e, MSL_STR_LIT("restarting"), p, end);
        break;
    case 'a':
        if (SCAN_LIT(&p, end, "accepting connections again for daemon ")) {
            e->service = scan_sv(p, end);
            return daemon_notice(e, MSL_STR_LIT("accepting connections"), p, end);
        }
        if (SCAN_LIT(&p, end, "alias database "))
            return info(e, s, end);
        break;
    case 's':
        if (SCAN_LIT(&p, end, "starting daemon "))
            return daemon_notice(e, MSL_STR_LIT("starting daemon"), p, end);
        if (SCAN_LIT(&p, end, "stopping daemon"))
            return daemon_notice(e, MSL_STR_LIT("stopping daemon"), s, end);
        break;
    case 't':
        if (SCAN_LIT(&p, end, "timeout waiting for input from "))
            return timeout_line(p, end, e);
        if (SCAN_LIT(&p, end, "tcpwrappers (")) { /* "tcpwrappers (host, ip) rejection" */
            const char *c = SCAN_FIND(p, end, ", "), *ce = c ? memchr(c, ')', (size_t)(end - c))
                                                            : NULL;
            if (!ce)
                return 0;
            e->kind = MSL_EV_REJECT;
            e->action = MSL_ACT_REJECT;
            e->stage = MSL_STR_LIT("CONNECT");
            e->client_host = scan_sv(p, c);
            e->client_ip = scan_sv(c + 2, ce);
            e->detail = scan_sv(s, s + 11);
            return 1;
        }
        break;
    case 'c':
        if (SCAN_LIT(&p, end, "collect: ")) {
            /* "premature EOM: Connection reset by H", "I/O error on connection from H, from=<>",
             * "unexpected close on connection from H, sender=<>" */
            if (!SCAN_STARTS(p, end, "premature EOM") && !SCAN_STARTS(p, end, "I/O error") &&
                !SCAN_STARTS(p, end, "unexpected close"))
                return 0;
            e->kind = MSL_EV_DISCONNECT;
            e->detail = MSL_STR_LIT("lost connection");
            e->stage = MSL_STR_LIT("DATA");
            e->text = scan_sv(p, end);
            const char *f = SCAN_FIND(p, end, ", from=<");
            if (!f)
                f = SCAN_FIND(p, end, ", sender=<");
            if (f) {
                const char *a = (const char *)memchr(f, '<', (size_t)(end - f)) + 1;
                const char *ae = memchr(a, '>', (size_t)(end - a));
                if (ae)
                    e->from = scan_sv(a, ae);
            }
            return 1;
        }
        if (SCAN_LIT(&p, end, "connect from ")) { /* LogLevel > 11 */
            if (!sm_peer_scan(&p, end, &pr))
                return 0;
            sm_peer_client(&pr, e);
            e->kind = MSL_EV_CONNECT;
            return 1;
        }
        break;
    case 'P':
        if (SCAN_LIT(&p, end, "Possible SMTP RCPT flood, throttling"))
            return warning(e, MSL_STR_LIT("RCPT flood"), s, end);
        break;
    case 'M':
        if (SCAN_STARTS(p, end, "Milter"))
            return milter(p, end, e);
        if (SCAN_LIT(&p, end, "My unqualified host name ("))
            return warning(e, MSL_STR_LIT("unqualified host name"), s, end);
        break;
    case 'S':
        if (SCAN_STARTS(p, end, "SYSERR("))
            return syserr(p, end, e);
        if (SCAN_LIT(&p, end, "SMTP outgoing connect on ")) /* ClientPortOptions address */
            return info(e, s, end);
        if (SCAN_LIT(&p, end, "Saved message in "))
            return info(e, s, end);
        break;
    case 'L':
        if (SCAN_LIT(&p, end, "Losing ")) { /* "Losing ./qfX: savemail panic": mail lost */
            e->kind = MSL_EV_ERROR;
            e->severity = MSL_SEV_ERROR;
            e->detail = MSL_STR_LIT("message lost");
            e->text = scan_sv(s, end);
            return 1;
        }
        break;
    case 'u':
        if (SCAN_LIT(&p, end, "unable to qualify my own domain name ("))
            return warning(e, MSL_STR_LIT("unqualified host name"), s, end);
        break;
    case 'g':
        if (SCAN_LIT(&p, end, "gethostbyaddr("))
            return warning(e, MSL_STR_LIT("gethostbyaddr"), s, end);
        break;
    case 'A':
        if (SCAN_LIT(&p, end, "Authentication-Warning: "))
            return warning(e, MSL_STR_LIT("Authentication-Warning"), p, end);
        break;
    case 'b':
        if (SCAN_LIT(&p, end, "bogus queue file"))
            return warning(e, MSL_STR_LIT("bogus queue file"), s, end);
        break;
    case '/':
        /* "/etc/mail/aliases: 30 aliases, longest 10 bytes, 300 bytes total" */
        if (SCAN_FIND(p, end, " aliases, longest "))
            return info(e, s, end);
        break;
    default:
        break;
    }
    /* "host [ip][ (may be forged)]: ..." and "... did not issue MAIL/EXPN/VRFY/ETRN ..." */
    p = s;
    if ((*p == '[' || *p == ' ' || SCAN_FIND(p, end, " [")) && sm_peer_scan(&p, end, &pr))
        return after_peer(p, end, &pr, e);
    return 0;
}
