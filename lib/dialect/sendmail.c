/*
 * sendmail.c - the Sendmail dialect (8.12 ... 8.18): program-tag claims, queue ids (strict
 * shape, and the UTC time they embed), the dispatcher, and the "key=value, ..." lines of the
 * envelope: receipt (from=), delivery (to=), completion (done), DSN creation, ruleset rejects,
 * AUTH= and STARTTLS=.  Peers, SMTP-session, milter, SYSERR and daemon lines live in
 * sendmail_smtp.c.  Reference: /work/shared/FORMATS.md section 4.
 *
 * Tags: "sendmail" and any "sm-*" ("sm-mta", "sm-msp-queue", "sm-acceptingconnections" or
 * whatever `-L tag` set).  .daemon is the tag, except on deliveries where it is the mailer
 * ("esmtp", "relay", "local" ...: Sendmail's delivery agents, as Postfix's smtp/local are);
 * .service is the DaemonPortOptions name ("MTA", "MSA", "MTA-v4") when the line names one.
 *
 * Per line: (1) "QID: ", "QID[N]: " (a piece of a line too long for syslog) or "NOQUEUE: " is
 * taken; the id is validated strictly and its time decoded into .qid_time; (2) a second id
 * "NEWQID: " makes a DSN line; (3) the first byte picks the line shape.  Queue ids are the
 * only key between lines: the pid is never used for that (receiving and delivering processes
 * differ, and the MSP and MTA hand a message over by queue id).
 *
 * Mapping: from= -> RECEIVED (from, size, nrcpt, msgid, proto, service = daemon=, client from
 * relay=, sasl_user from auth=); to= -> DELIVERY (to as written: a list "a,b" stays one string
 * and .count tells how many; status from stat= and dsn=; delay= in seconds, xdelay= as
 * delays[3]; uid from ctladdr's "(uid/gid)"; new_qid from "Sent (X Message accepted for
 * delivery)" or "queued as X"); done -> QUEUE_REMOVED (count = ntries); "OLD: NEW: DSN: why",
 * sender/postmaster notify, return to sender -> DSN_CREATED; ruleset=check_* with reject=,
 * discard or quarantine= -> REJECT (stage from the ruleset); AUTH=server -> AUTH_OK, "AUTH
 * failure" -> AUTH_FAIL; STARTTLS= -> TLS.  A null sender has from.p != NULL, from.n == 0.
 */
#include "sendmail_int.h"
#include "mailsleuth/calendar.h"

/* --- tag --------------------------------------------------------------------------------- */

static int sendmail_claims(struct msl_str prog)
{
    if (!prog.p)
        return 0;
    if (prog.n == 8 && memcmp(prog.p, "sendmail", 8) == 0)
        return 1;
    return prog.n > 3 && memcmp(prog.p, "sm-", 3) == 0 && !memchr(prog.p, '/', prog.n);
}

/* --- queue ids --------------------------------------------------------------------------- */

/* Value of a character of Sendmail's id alphabet "0-9A-Za-z", or -1. */
static int qid_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

/* Civil year of UTC microseconds. */
static int year_of(int64_t us)
{
    int64_t days = us / 86400000000LL;
    if (us % 86400000000LL < 0)
        days--;
    int y, m, d;
    msl_civil_from_days(days, &y, &m, &d);
    return y;
}

static int days_in_month(int y, int m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int sm_qid(const char *p, size_t n, int64_t ref_us, int64_t *utc_us)
{
    if (n < 13 || n > 18)
        return 0;
    int v[8];
    for (size_t i = 0; i < 8; i++)
        if ((v[i] = qid_val(p[i])) < 0)
            return 0;
    for (size_t i = 8; i < n; i++)
        if (!scan_isdigit(p[i]))
            return 0;
    /* year%60, month 0-11, day 1-31, hour 0-23, minute 0-59, second 0-60 (leap) */
    if (v[0] >= 60 || v[1] >= 12 || v[2] < 1 || v[2] > 31 || v[3] >= 24 || v[4] >= 60 ||
        v[5] > 60)
        return 0;
    if (!utc_us)
        return 1;
    /* tm_year % 60: the year is 1900 + v0 + 60k; take the k nearest to the stamp's year */
    int d = year_of(ref_us) - 1900 - v[0] + 30;
    int k = d >= 0 ? d / 60 : -((59 - d) / 60);
    int y = 1900 + v[0] + 60 * k;
    *utc_us = 0;
    if (v[2] > days_in_month(y, v[1] + 1))
        return 1;
    int64_t days = msl_days_from_civil(y, v[1] + 1, v[2]);
    *utc_us = ((days * 24 + v[3]) * 60 + v[4]) * 60 * 1000000LL + (int64_t)v[5] * 1000000LL;
    return 1;
}

/* An id token at p: [0-9A-Za-z]+, returns its end. */
static const char *id_end(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && q - p <= 24 && qid_val(*q) >= 0)
        q++;
    return q;
}

/*
 * "QID: ", "QID[N]: " or "NOQUEUE: ".  Returns 1 taken, 0 none, -1 for an id-shaped token
 * (8 characters then digits) that is not a valid id.  *piece receives N (-1 when absent).
 */
static int take_qid(const char **pp, const char *end, struct msl_event *e, int64_t *piece)
{
    const char *p = *pp, *ie = id_end(p, end), *q = ie;
    *piece = -1;
    if (q == p || q >= end)
        return 0;
    if (*q == '[') {
        const char *r = q + 1;
        if (!scan_uint(&r, end, piece) || r >= end || *r != ']') {
            *piece = -1;
            return 0;
        }
        q = r + 1;
    }
    if (q + 1 >= end || q[0] != ':' || q[1] != ' ') {
        *piece = -1;
        return 0;
    }
    size_t n = (size_t)(ie - p);
    if (n == 7 && memcmp(p, "NOQUEUE", 7) == 0) {
        e->flags |= MSL_EVF_NOQUEUE;
    } else {
        int64_t t = 0;
        if (!sm_qid(p, n, e->ts, &t)) {
            *piece = -1;
            return n >= 13 && scan_isdigit(ie[-1]) && scan_isdigit(p[n - 5]) ? -1 : 0;
        }
        e->qid = scan_sv(p, ie);
        e->qid_time = t;
    }
    *pp = q + 2;
    return 1;
}

/* --- key=value lists --------------------------------------------------------------------- */

static int is(struct msl_str s, const char *lit, size_t n)
{
    return s.n == n && memcmp(s.p, lit, n) == 0;
}
#define IS(s, lit) is((s), (lit), sizeof(lit) - 1)

/*
 * The next item of a ", "-separated list: "key=value" (k and v set) or a bare word such as
 * "discard" (k empty, v the word).  A value runs to the next ", "; stat=, reject= and
 * quarantine= are the last field and run to the end (their text has commas of its own).
 */
static int kv_next(const char **pp, const char *end, struct msl_str *k, struct msl_str *v)
{
    const char *p = *pp;
    while (p < end && (*p == ' ' || *p == ','))
        p++;
    if (p >= end)
        return 0;
    const char *ks = p;
    while (p < end && (qid_val(*p) >= 0 || *p == '_' || *p == '-'))
        p++;
    const char *vs;
    if (p < end && *p == '=' && p > ks) {
        *k = scan_sv(ks, p);
        vs = ++p;
        if (IS(*k, "stat") || IS(*k, "reject") || IS(*k, "quarantine")) {
            *v = scan_sv(vs, end);
            *pp = end;
            return 1;
        }
    } else {
        *k = scan_sv(ks, ks);
        vs = ks;
    }
    const char *c = SCAN_FIND(vs, end, ", ");
    p = c ? c : end;
    *v = scan_sv(vs, p);
    *pp = p;
    return 1;
}

/* "<a@b>" -> "a@b", "<>" -> "" (non-NULL); a list "<a>,<b>" or a bare "user" as written. */
static struct msl_str addr_of(struct msl_str v)
{
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>' &&
        memchr(v.p, '>', v.n - 1) == NULL)
        return scan_sv(v.p + 1, v.p + v.n - 1);
    return v;
}

static int64_t uint_of(struct msl_str v)
{
    const char *p = v.p;
    int64_t x = -1;
    if (!scan_uint(&p, v.p + v.n, &x))
        return -1;
    return x;
}

/* "HH:MM:SS" or "D+HH:MM:SS" -> seconds. */
static int delay_of(struct msl_str v, double *out)
{
    const char *p = v.p, *end = v.p + v.n;
    int64_t d = 0, h, m, s;
    const char *plus = memchr(p, '+', v.n);
    if (plus) {
        if (!scan_uint(&p, plus, &d) || p != plus)
            return 0;
        p = plus + 1;
    }
    if (!scan_uint(&p, end, &h) || !SCAN_LIT(&p, end, ":") || !scan_uint(&p, end, &m) ||
        !SCAN_LIT(&p, end, ":") || !scan_uint(&p, end, &s) || p != end || m > 59 || s > 60)
        return 0;
    *out = (double)(((d * 24 + h) * 60 + m) * 60 + s);
    return 1;
}

/* Token of [0-9A-Za-z] at p that ends at a space, ')' or end; NULL view when none. */
static struct msl_str id_token(const char *p, const char *end)
{
    const char *q = id_end(p, end);
    if (q - p < 5 || (q < end && *q != ' ' && *q != ')' && *q != ','))
        return MSL_STR_NULL;
    return scan_sv(p, q);
}

/* stat= text -> status, code, new_qid. */
static void stat_value(struct msl_str v, struct msl_event *e)
{
    const char *p = v.p, *end = v.p + v.n;
    e->text = v;
    if (SCAN_STARTS(p, end, "Sent")) {
        e->status = MSL_ST_SENT;
        const char *q = p + 4;
        /* MSP -> MTA: "Sent (QID Message accepted for delivery)" */
        if (SCAN_LIT(&q, end, " (")) {
            struct msl_str id = id_token(q, end);
            if (id.p && SCAN_STARTS(id.p + id.n, end, " Message accepted for delivery"))
                e->new_qid = id;
        }
    } else if (SCAN_STARTS(p, end, "Deferred")) {
        e->status = MSL_ST_DEFERRED;
    } else if (SCAN_STARTS(p, end, "quarantined")) {
        e->status = MSL_ST_HELD;
    } else if (SCAN_STARTS(p, end, "queued")) {
        e->status = MSL_ST_DEFERRED; /* DeliveryMode=queue / queue-only: tried later */
    } else if (SCAN_STARTS(p, end, "User unknown") || SCAN_STARTS(p, end, "Service unavailable")) {
        e->status = MSL_ST_BOUNCED;
    } else if (e->dsn.n && e->dsn.p[0] == '5') {
        e->status = MSL_ST_BOUNCED;
    } else if (e->dsn.n && e->dsn.p[0] == '4') {
        e->status = MSL_ST_DEFERRED;
    } else if (e->dsn.n && e->dsn.p[0] == '2') {
        e->status = MSL_ST_SENT;
    } else {
        e->status = MSL_ST_OTHER;
    }
    if (!e->new_qid.p) {
        const char *qa = SCAN_FIND(p, end, "queued as ");
        if (qa)
            e->new_qid = id_token(qa + 10, end);
    }
    /* "Deferred: 451 4.3.5 text": the reply code is worth having for grouping */
    const char *c = memchr(p, ':', v.n);
    if (c && c + 5 < end && c[1] == ' ' && scan_isdigit(c[2]) && scan_isdigit(c[3]) &&
        scan_isdigit(c[4]) && c[5] == ' ')
        e->code = scan_sv(c + 2, c + 5);
}

static int receipt(const char *p, const char *end, struct msl_event *e)
{
    struct msl_str k, v;
    struct sm_peer pr;
    int have_from = 0;
    while (kv_next(&p, end, &k, &v)) {
        if (IS(k, "from")) {
            e->from = addr_of(v);
            have_from = 1;
        } else if (IS(k, "size")) {
            e->size = uint_of(v);
        } else if (IS(k, "nrcpts")) {
            e->nrcpt = uint_of(v);
        } else if (IS(k, "msgid")) {
            e->msgid = addr_of(v);
        } else if (IS(k, "proto")) {
            e->proto = v;
        } else if (IS(k, "daemon")) {
            e->service = v;
        } else if (IS(k, "auth")) {
            e->sasl_user = addr_of(v);
        } else if (IS(k, "relay")) {
            sm_peer_value(v, &pr);
            sm_peer_client(&pr, e);
        }
    }
    if (!have_from)
        return 0;
    if (e->nrcpt == 0) {
        /* every recipient was refused before DATA: Sendmail still logs from=, but no
         * message was accepted */
        e->kind = MSL_EV_INFO;
        e->detail = MSL_STR_LIT("no message: no recipient accepted (nrcpts=0)");
        return 1;
    }
    e->kind = MSL_EV_RECEIVED;
    return 1;
}

static int delivery(const char *p, const char *end, struct msl_event *e)
{
    struct msl_str k, v;
    struct sm_peer pr;
    struct msl_str stat = MSL_STR_NULL;
    int have_to = 0;
    while (kv_next(&p, end, &k, &v)) {
        if (IS(k, "to")) {
            /* a list "<a>,<b>" is kept whole: the syslog format makes one delivery each */
            e->to = memchr(v.p, ',', v.n) ? v : addr_of(v);
            have_to = 1;
        } else if (IS(k, "ctladdr")) {
            const char *o = SCAN_FIND(v.p, v.p + v.n, " (");
            if (o) { /* "<user@host> (uid/gid)" */
                const char *u = o + 2, *ue = u;
                while (ue < v.p + v.n && scan_isdigit(*ue))
                    ue++;
                if (ue > u && ue < v.p + v.n && *ue == '/')
                    e->uid = scan_sv(u, ue);
            }
        } else if (IS(k, "delay")) {
            delay_of(v, &e->delay);
        } else if (IS(k, "xdelay")) {
            delay_of(v, &e->delays[3]);
        } else if (IS(k, "mailer")) {
            e->daemon = v;
        } else if (IS(k, "relay")) {
            sm_peer_value(v, &pr);
            if (pr.user.p) {
                e->relay_host = v;
            } else {
                e->relay_host = pr.host;
                e->relay_ip = pr.ip;
            }
        } else if (IS(k, "dsn")) {
            e->dsn = v;
        } else if (IS(k, "stat")) {
            stat = v;
        }
    }
    if (!have_to || !stat.p)
        return 0;
    stat_value(stat, e);
    e->kind = MSL_EV_DELIVERY;
    /* mailers that deliver on this host (sendmail.cf Mlocal, Mprog, *file*, *include*) */
    if (IS(e->daemon, "local") || IS(e->daemon, "prog") || IS(e->daemon, "*file*") ||
        IS(e->daemon, "*include*") || IS(e->daemon, "cyrus") || IS(e->daemon, "cyrusv2") ||
        IS(e->daemon, "procmail") || IS(e->daemon, "lmtp"))
        e->flags |= MSL_EVF_LOCAL;
    return 1;
}

/* "done; delay=00:00:00, ntries=2" (LogLevel > 9) */
static int done(const char *p, const char *end, struct msl_event *e)
{
    if (!SCAN_LIT(&p, end, "done") || (p < end && *p != ';' && *p != ','))
        return 0;
    struct msl_str k, v;
    while (kv_next(&p, end, &k, &v)) {
        if (k.n == 0 && v.n && v.p[0] == ';') /* "; delay=" */
            continue;
        if (IS(k, "delay"))
            delay_of(v, &e->delay);
        else if (IS(k, "ntries"))
            e->count = uint_of(v);
    }
    e->kind = MSL_EV_QUEUE_REMOVED;
    return 1;
}

/* Ruleset -> SMTP stage (the command the check runs for). */
static struct msl_str rs_stage(struct msl_str rs)
{
    static const struct {
        const char *rs, *stage;
    } tab[] = {
        {"check_mail", "MAIL"},  {"check_rcpt", "RCPT"},     {"check_relay", "CONNECT"},
        {"tls_rcpt", "RCPT"},    {"check_data", "DATA"},     {"check_eoh", "END-OF-HEADERS"},
        {"check_eom", "END-OF-MESSAGE"}, {"check_etrn", "ETRN"}, {"check_expn", "EXPN"},
        {"check_vrfy", "VRFY"},  {"tls_client", "STARTTLS"}, {"tls_server", "STARTTLS"},
        {"check_compat", "MAIL"}, {"srv_features", "CONNECT"}, {"authinfo", "AUTH"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (rs.n == strlen(tab[i].rs) && memcmp(rs.p, tab[i].rs, rs.n) == 0)
            return (struct msl_str){tab[i].stage, strlen(tab[i].stage)};
    return rs;
}

/* "ruleset=check_rcpt, arg1=<a>, relay=h [ip], reject=550 5.7.1 <a>... Relaying denied" */
static int ruleset(const char *p, const char *end, struct msl_event *e)
{
    struct msl_str k, v, rs = MSL_STR_NULL, arg1 = MSL_STR_NULL, arg2 = MSL_STR_NULL;
    struct sm_peer pr;
    int have_relay = 0;
    while (kv_next(&p, end, &k, &v)) {
        if (IS(k, "ruleset")) {
            rs = v;
        } else if (IS(k, "arg1")) {
            arg1 = v;
        } else if (IS(k, "arg2")) {
            arg2 = v;
        } else if (IS(k, "relay")) {
            sm_peer_value(v, &pr);
            sm_peer_client(&pr, e);
            have_relay = 1;
        } else if (IS(k, "reject")) {
            e->action = MSL_ACT_REJECT;
            const char *t = scan_reply(v.p, v.p + v.n, e);
            e->text = scan_sv(t, v.p + v.n);
        } else if (IS(k, "quarantine")) {
            e->action = MSL_ACT_HOLD;
            e->text = v;
        } else if (k.n == 0 && IS(v, "discard")) {
            e->action = MSL_ACT_DISCARD;
        }
    }
    if (!rs.p || rs.n == 0 || e->action == MSL_ACT_NONE)
        return 0;
    e->kind = MSL_EV_REJECT;
    e->stage = rs_stage(rs);
    if (IS(rs, "check_rcpt") || IS(rs, "tls_rcpt")) {
        e->to = addr_of(arg1);
    } else if (IS(rs, "check_mail")) {
        e->from = addr_of(arg1);
    } else if (IS(rs, "check_compat")) {
        e->from = addr_of(arg1);
        e->to = addr_of(arg2);
    } else if (IS(rs, "check_relay") && !have_relay) { /* arg1 = name, arg2 = address */
        e->client_host = arg1;
        e->client_ip = arg2;
    }
    if (e->text.p && SCAN_FIND(e->text.p, e->text.p + e->text.n, "Relaying denied") &&
        !e->detail.p)
        e->detail = MSL_STR_LIT("relaying denied");
    return 1;
}

/* "AUTH=server, relay=h [ip], authid=u, mech=PLAIN, bits=0"; "AUTH=client, relay=h, mech=..";
 * "AUTH failure (LOGIN): reason (-13) SASL(-13): ..., user=u, relay=h [ip]". */
static int auth(const char *p, const char *end, struct msl_event *e)
{
    struct sm_peer pr;
    const char *s = p;
    if (SCAN_LIT(&p, end, "AUTH failure (")) {
        const char *m = p, *me = memchr(p, ')', (size_t)(end - p));
        if (!me || me == m)
            return 0;
        e->kind = MSL_EV_AUTH_FAIL;
        e->sasl_method = scan_sv(m, me);
        p = me + 1;
        if (!SCAN_LIT(&p, end, ": "))
            SCAN_LIT(&p, end, ":");
        /* the last relay= is Sendmail's; a user name may itself contain ", relay=" */
        const char *rel = SCAN_RFIND(p, end, ", relay=");
        const char *te = rel ? rel : end;
        const char *usr = SCAN_FIND(p, te, ", user=");
        e->text = scan_sv(p, usr ? usr : te);
        if (usr)
            e->sasl_user = scan_sv(usr + 7, te);
        if (rel) {
            sm_peer_value(scan_sv(rel + 8, end), &pr);
            sm_peer_client(&pr, e);
        }
        return 1;
    }
    if (SCAN_LIT(&p, end, "AUTH warning: ")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->detail = scan_sv(s, s + 4);
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "AUTH: available mech=")) { /* the advertised mechanisms */
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(s + 6, end);
        return 1;
    }
    struct msl_str k, v, side = MSL_STR_NULL, relay = MSL_STR_NULL;
    while (kv_next(&p, end, &k, &v)) {
        if (IS(k, "AUTH"))
            side = v;
        else if (IS(k, "relay"))
            relay = v;
        else if (IS(k, "authid"))
            e->sasl_user = addr_of(v);
        else if (IS(k, "mech"))
            e->sasl_method = v;
    }
    if (!e->sasl_method.p || !relay.p)
        return 0;
    sm_peer_value(relay, &pr);
    if (IS(side, "server")) {
        sm_peer_client(&pr, e);
    } else if (IS(side, "client")) {
        e->relay_host = pr.host;
        e->relay_ip = pr.ip;
        e->detail = MSL_STR_LIT("client");
    } else {
        return 0;
    }
    e->kind = MSL_EV_AUTH_OK;
    return 1;
}

/* "STARTTLS=server, relay=h [ip], version=TLSv1.3, verify=NO, cipher=X, bits=256/256";
 * other STARTTLS lines (", error: accept failed=..", "=server: 1407..:error:..") warn. */
static int starttls(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (!SCAN_LIT(&p, end, "STARTTLS"))
        return 0;
    struct msl_str side = MSL_STR_NULL;
    if (SCAN_LIT(&p, end, "=")) {
        const char *w = p;
        p = scan_span_until(p, end, ",:");
        side = scan_sv(w, p);
    }
    if (SCAN_STARTS(p, end, ", relay=") && !SCAN_FIND(p, end, ", error:")) {
        struct msl_str k, v, relay = MSL_STR_NULL;
        struct sm_peer pr;
        while (kv_next(&p, end, &k, &v)) {
            if (IS(k, "relay"))
                relay = v;
            else if (IS(k, "version"))
                e->tls = v;
            else if (IS(k, "cipher"))
                e->tls_cipher = v;
            else if (IS(k, "verify"))
                e->detail = v;
            else if (IS(k, "bits"))
                e->text = v;
        }
        if (e->tls.p && relay.p) {
            sm_peer_value(relay, &pr);
            if (IS(side, "client")) {
                e->relay_host = pr.host;
                e->relay_ip = pr.ip;
            } else {
                sm_peer_client(&pr, e);
            }
            e->kind = MSL_EV_TLS;
            return 1;
        }
        e->tls = e->tls_cipher = e->detail = e->text = MSL_STR_NULL;
        e->client_host = e->client_ip = e->uid = MSL_STR_NULL;
    }
    /* a TLS problem: handshake failures, read errors, certificate trouble */
    e->kind = MSL_EV_WARNING;
    e->severity = MSL_SEV_WARNING;
    e->detail = scan_sv(s, s + 8);
    e->text = scan_sv(s, end);
    const char *r = SCAN_RFIND(s, end, ", relay=");
    if (r) {
        struct sm_peer pr;
        const char *q = r + 8, *qe = SCAN_FIND(q, end, ", ");
        sm_peer_value(scan_sv(q, qe ? qe : end), &pr);
        if (IS(side, "client")) {
            e->relay_host = pr.host;
            e->relay_ip = pr.ip;
        } else {
            e->client_host = pr.host;
            e->client_ip = pr.ip;
        }
    }
    return 1;
}

/* "OLD: NEW: DSN: why" | "sender notify: why" | "postmaster notify: why" | "return to sender:
 * why" (savemail.c); p is at NEW.  Returns 1, 0 when this is not such a line. */
static int dsn_line(const char *p, const char *end, struct msl_event *e)
{
    const char *ie = id_end(p, end);
    if (ie + 2 > end || ie[0] != ':' || ie[1] != ' ' || !sm_qid(p, (size_t)(ie - p), 0, NULL))
        return 0;
    static const char *const kinds[] = {"DSN", "sender notify", "postmaster notify",
                                        "return to sender"};
    const char *q = ie + 2;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]);
        if (scan_starts(q, end, kinds[i], n) && q + n < end && q[n] == ':') {
            e->kind = MSL_EV_DSN_CREATED;
            e->new_qid = scan_sv(p, ie);
            e->detail = scan_sv(q, q + n);
            q += n + 1;
            if (q < end && *q == ' ')
                q++;
            e->text = scan_sv(q, end);
            return 1;
        }
    }
    return 0;
}

static int dispatch(const char *p, const char *end, struct msl_event *e)
{
    if (p >= end)
        return 0;
    switch (*p) {
    case 'f':
        if (SCAN_STARTS(p, end, "from="))
            return receipt(p, end, e);
        break;
    case 't':
        if (SCAN_STARTS(p, end, "to="))
            return delivery(p, end, e);
        if (PF_STARTS(p, end, "tls_srv_features=") || PF_STARTS(p, end, "tls_clt_features=")) {
            /* 8.16+: the TLS features ruleset's answer before a handshake; no forensic fields */
            e->kind = MSL_EV_INFO;
            e->detail = MSL_STR_LIT("tls features");
            e->text = pf_sv(p, end);
            return 1;
        }
        break;
    case 'd':
        if (SCAN_STARTS(p, end, "done") && done(p, end, e))
            return 1;
        break;
    case 'r':
        if (SCAN_STARTS(p, end, "ruleset="))
            return ruleset(p, end, e);
        break;
    case 'A':
        if (SCAN_STARTS(p, end, "AUTH") && auth(p, end, e))
            return 1;
        break;
    case 'S':
        if (SCAN_STARTS(p, end, "STARTTLS"))
            return starttls(p, end, e);
        break;
    default:
        break;
    }
    return sm_session_line(p, end, e);
}

static int sendmail_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("sendmail");
    e->daemon = env->program;
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    int64_t piece;
    int had = take_qid(&p, end, e, &piece);
    if (had < 0) {
        *why = "sendmail: malformed queue id";
        return 0;
    }
    if (piece >= 0) {
        /* a piece of a line too long for syslog: "QID[N]: text ..." */
        const char *pe = end;
        if (pe - p >= 4 && memcmp(pe - 4, " ...", 4) == 0)
            pe -= 4;
        if (dispatch(p, pe, e))
            return 1;
        msl_event_clear(e); /* keep nothing a partial parse set, then refill the envelope */
        e->ts = env->ts;
        e->flags = env->flags;
        e->host = env->host;
        e->program = env->program;
        e->pid = env->pid;
        e->mta = MSL_STR_LIT("sendmail");
        e->daemon = env->program;
        p = env->msg.p;
        take_qid(&p, end, e, &piece);
        e->kind = MSL_EV_INFO;
        e->detail = MSL_STR_LIT("continued line");
        e->count = piece;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (had && e->qid.p && dsn_line(p, end, e))
        return 1;
    if (dispatch(p, end, e))
        return 1;
    if (!had && (SCAN_STARTS(p, end, "started as: ") || SCAN_STARTS(p, end, "starting daemon") ||
                 SCAN_STARTS(p, end, "restarting ") || SCAN_STARTS(p, end, "stopping daemon"))) {
        e->kind = MSL_EV_DAEMON; /* the daemon's own start/stop notices */
        e->text = scan_sv(p, end);
        return 1;
    }
    e->kind = MSL_EV_NONE;
    *why = "sendmail: unrecognised message";
    return 0;
}

const struct msl_dialect msl_dialect_sendmail = {
    .name = "sendmail",
    .mta = "sendmail",
    .caps = MSL_MTA_NO_END_LINE | MSL_MTA_FORKS | MSL_MTA_TRANSACTIONS,
    .claims = sendmail_claims,
    .parse = sendmail_parse,
};
