/*
 * courier.c - the Courier dialect: courier-mta's SMTP server, scheduler and delivery modules,
 * and the login lines of courier-imap / courier-pop3.  Shapes are those the sources write
 * (courier/module.esmtp/courieresmtpd.C, courier/msgq.C) and real lines (fail2ban's
 * courier-smtp/courier-auth test logs, the wazuh courier ruleset, tests/dialect/courier, and the
 * courier-mta 1.0.16 capture in tests/corpus/courier).
 *
 * courieresmtpd (one process per connection: .daemon is "smtpd", so the pid keys sessions)
 *   started,ip=[IP],port=[P]                                     -> CONNECT
 *   error,relay=IP[,port=P][,ident=I],from=<F>[,to=<T>]: REPLY    -> REJECT (stage RCPT when
 *             to= is named, else MAIL); submit's verdict on MAIL FROM / RCPT TO
 *   error,relay=IP[,port=P][,ident="I"],msg="REPLY",cmd: COMMAND  -> AUTH_FAIL for a 535 to
 *             AUTH (or "535 Authentication failed." to a SASL continuation line), else REJECT
 *             with the command's verb as stage.  For AUTH the command is rewritten by
 *             courieresmtpd as "AUTH <method> [<initial reply, 20 bytes>] [<user>]": the user
 *             is the last word when two follow the method, or the only one unless it looks
 *             like base64 (a 4n-long run of base64 bytes: an initial reply).
 *   STARTTLS failed: ..., submit terminated ...                  -> ERROR
 * courierd (the scheduler)
 *   newmsg,id=QID[, auth=USER][: dns; HELO ([HOST ][IP])]        -> RECEIVED (client, helo,
 *             sasl_user); a local submission names no client
 *   started,id=QID,from=<F>,module=M,host=H,addr=<A>             -> SENDER (from, to, detail =
 *             module, relay_host = H for esmtp: the destination being tried); for module=dsn
 *             (a notice being generated; from=<> is the notice's sender) -> INFO
 *   completed,id=QID                                             -> INFO (detail "completed"):
 *             logged after every delivery pass, also one that left recipients deferred, so
 *             it is not the end of the message (MSL_MTA_NO_END_LINE), and
 *             the same text again after another pass is no duplicate (MSL_EVF_PER_PASS)
 *   Waiting. ...                                                 -> INFO; start-up and
 *             shutdown notices -> DAEMON (also authdaemond's, courier-authlib's daemon)
 * courierlocal, courierdeliver, courieresmtp, courieruucp, courierdsn ... (delivery modules)
 *   id=QID,from=<F>,addr=<A>[,size=N],success: TEXT              -> DELIVERY sent ("delivered:
 *             HOST [IP]" gives the relay; local modules get relay_host "local" and MSL_EVF_LOCAL)
 *   id=QID,from=<F>,addr=<A>[,size=N],status: deferred|failure    -> DELIVERY deferred|bounced
 *   id=QID,from=<F>,addr=<A>[,size=N],status: success             -> INFO, MSL_EVF_ECHO: it
 *             restates the success line before it
 *   id=QID,from=<F>,addr=<A>[,size=N],WORD: TEXT                  -> DELIVERY (failed/failure
 *             bounced, deferred deferred)
 *   id=QID,from=<F>,addr=<A>: REPLY                               -> INFO (the remote reply
 *             or connection note; code/dsn/text set)
 * imapd, imapd-ssl, pop3d, pop3d-ssl, courierpop3login, imaplogin ... (courier-imap)
 *   LOGIN FAILED, [user=U, ][method=M, ]ip=[IP][, port=[P]]      -> AUTH_FAIL
 *   LOGIN, user=U, ip=[IP], ...                                  -> AUTH_OK
 *   Connection, ip=[IP]                                          -> CONNECT
 *   LOGOUT|DISCONNECTED|TIMEOUT, [user=U, ]ip=[IP], ...           -> DISCONNECT (detail = word)
 *   authentication error: TEXT (authdaemond unreachable)         -> ERROR
 *
 * Queue ids ("0038C081.4D026173.000051A4": inode, time, pid in hex) are the qid as logged.
 * IPv4-mapped addresses lose their "::ffff:" prefix.  Views point into the message or into
 * static strings; nothing is allocated.
 */
#include "postfix_int.h"

#define WHY_ESMTPD "courieresmtpd: unrecognised message"
#define WHY_COURIERD "courierd: unrecognised message"
#define WHY_MODULE "courier delivery: unrecognised message"
#define WHY_LOGIN "courier-imap: not a Courier login line"

enum cr_family { C_NONE, C_ESMTPD, C_COURIERD, C_MODULE, C_LOGIN };

static int eq(struct msl_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int starts(struct msl_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/* courier-imap tags, the family fail2ban's courier-auth filter names:
 * [courier](imap|pop3)[d][login][-ssl]. */
static int login_tag(struct msl_str t)
{
    const char *p = t.p, *end = t.p + t.n;
    PF_LIT(&p, end, "courier");
    if (!PF_LIT(&p, end, "imap") && !PF_LIT(&p, end, "pop3"))
        return 0;
    PF_LIT(&p, end, "d");
    PF_LIT(&p, end, "login");
    PF_LIT(&p, end, "-ssl");
    return p == end;
}

static enum cr_family family(struct msl_str t)
{
    if (!t.p || t.n < 4)
        return C_NONE;
    if (starts(t, "courieresmtpd")) /* "courieresmtpd", SYSLOGNAME variants */
        return C_ESMTPD;
    if (eq(t, "courierd") || eq(t, "authdaemond")) /* the scheduler; courier-authlib's daemon */
        return C_COURIERD;
    if (eq(t, "courierlocal") || eq(t, "courierdeliver") || eq(t, "courieresmtp") ||
        eq(t, "courieruucp") || eq(t, "courierdsn") || eq(t, "courierfax") ||
        eq(t, "courierpipe"))
        return C_MODULE;
    if (login_tag(t))
        return C_LOGIN;
    return C_NONE;
}

static int courier_claims(struct msl_str program)
{
    return family(program) != C_NONE;
}

/* "::ffff:1.2.3.4" -> "1.2.3.4" */
static struct msl_str unmap(struct msl_str ip)
{
    if (ip.n > 7 && (memcmp(ip.p, "::ffff:", 7) == 0 || memcmp(ip.p, "::FFFF:", 7) == 0)) {
        ip.p += 7;
        ip.n -= 7;
    }
    return ip;
}

/* "[IP]" at *pp; the IP without brackets. */
static int bracketed(const char **pp, const char *end, struct msl_str *out)
{
    const char *p = *pp;
    if (p >= end || *p != '[')
        return 0;
    const char *c = memchr(p + 1, ']', (size_t)(end - p - 1));
    if (!c)
        return 0;
    *out = pf_sv(p + 1, c);
    *pp = c + 1;
    return 1;
}

/* "<addr>" up to the first '>' that `stop` accepts after it (NULL: any); without <>. */
static int angled(const char **pp, const char *end, struct msl_str *out, const char *stops)
{
    const char *p = *pp;
    if (p >= end || *p != '<')
        return 0;
    for (const char *q = p + 1; q < end; q++) {
        if (*q != '>')
            continue;
        if (stops && q + 1 < end && !strchr(stops, q[1]))
            continue;
        *out = pf_sv(p + 1, q);
        *pp = q + 1;
        return 1;
    }
    return 0;
}

/* Sets code/dsn from a reply and the text after them. */
static void reply(const char *p, const char *end, struct msl_event *e)
{
    const char *t = pf_reply(p, end, e);
    e->text = pf_sv(t, end);
}

/* --- courieresmtpd ---------------------------------------------------------------------- */

static int b64ch(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || pf_isdigit(c) || c == '+' ||
           c == '/' || c == '=';
}

static int looks_base64(struct msl_str w)
{
    if (w.n < 4 || w.n % 4)
        return 0;
    for (size_t i = 0; i < w.n; i++)
        if (!b64ch(w.p[i]))
            return 0;
    return 1;
}

static struct msl_str word(const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && *p == ' ')
        p++;
    const char *s = p;
    while (p < end && *p != ' ')
        p++;
    *pp = p;
    return pf_sv(s, p);
}

/* "AUTH <method> [initial] [user]" as courieresmtpd rewrites it. */
static void auth_cmd(struct msl_str cmd, struct msl_event *e)
{
    const char *p = cmd.p + 4, *end = cmd.p + cmd.n;
    e->sasl_method = word(&p, end);
    struct msl_str a = word(&p, end), b = word(&p, end);
    if (b.n)
        e->sasl_user = b;
    else if (a.n && !looks_base64(a))
        e->sasl_user = a;
}

/* The SMTP verb of a logged command: an upper-case word of 4 letters ("RCPT", "MAIL"). */
static struct msl_str verb(struct msl_str cmd)
{
    size_t n = 0;
    while (n < cmd.n && n < 8 && cmd.p[n] >= 'A' && cmd.p[n] <= 'Z')
        n++;
    if (n < 4 || (n < cmd.n && cmd.p[n] != ' '))
        return MSL_STR_NULL;
    return pf_sv(cmd.p, cmd.p + n);
}

static int esmtpd_error(const char *p, const char *end, struct msl_event *e)
{
    /* relay=IP: an IPv6 address holds ':', so it ends at the next ',' */
    const char *c = memchr(p, ',', (size_t)(end - p));
    if (!c || c == p)
        return 0;
    e->client_ip = unmap(pf_sv(p, c));
    p = c;
    struct msl_str msg = MSL_STR_NULL, cmd = MSL_STR_NULL;
    int have_msg = 0;
    for (;;) {
        if (PF_LIT(&p, end, ",port=")) {
            int64_t port;
            if (!pf_uint(&p, end, &port))
                return 0;
            e->client_port = port <= 65535 ? (int32_t)port : -1;
        } else if (PF_LIT(&p, end, ",ident=")) {
            /* the msg= form quotes it; the submit form has ',' and ':' blanked out */
            const char *q;
            if (p < end && *p == '"')
                q = memchr(p + 1, '"', (size_t)(end - p - 1));
            else
                q = pf_span_until(p, end, ",:");
            if (!q)
                return 0;
            p = q < end && *q == '"' ? q + 1 : q;
        } else if (PF_LIT(&p, end, ",from=")) {
            if (!angled(&p, end, &e->from, ",:"))
                return 0;
        } else if (PF_LIT(&p, end, ",to=")) {
            if (!angled(&p, end, &e->to, ",:"))
                return 0;
        } else if (PF_LIT(&p, end, ",msg=\"")) {
            const char *q = PF_FIND(p, end, "\",cmd: ");
            if (!q)
                return 0;
            msg = pf_sv(p, q);
            cmd = pf_sv(q + 7, end);
            have_msg = 1;
            break;
        } else if (PF_LIT(&p, end, ": ")) {
            msg = pf_sv(p, end);
            break;
        } else {
            return 0;
        }
    }
    reply(msg.p, msg.p + msg.n, e);
    e->action = MSL_ACT_REJECT;
    if (!have_msg) {
        e->kind = MSL_EV_REJECT;
        e->stage = e->to.p ? MSL_STR_LIT("RCPT") : MSL_STR_LIT("MAIL");
        return 1;
    }
    int auth = cmd.n >= 4 && memcmp(cmd.p, "AUTH", 4) == 0 && (cmd.n == 4 || cmd.p[4] == ' ');
    int failed = PF_FIND(msg.p, msg.p + msg.n, "Authentication failed") != NULL;
    if (eq(e->code, "535") && (auth || failed)) {
        e->kind = MSL_EV_AUTH_FAIL;
        e->action = MSL_ACT_NONE;
        e->stage = MSL_STR_LIT("AUTH");
        if (auth)
            auth_cmd(cmd, e);
        return 1;
    }
    e->kind = MSL_EV_REJECT;
    e->stage = verb(cmd);
    e->detail = cmd;
    return 1;
}

static int esmtpd(const char *p, const char *end, struct msl_event *e)
{
    e->daemon = MSL_STR_LIT("smtpd");
    if (PF_LIT(&p, end, "started,ip=")) {
        struct msl_str ip;
        if (!bracketed(&p, end, &ip))
            return 0;
        e->kind = MSL_EV_CONNECT;
        e->client_ip = unmap(ip);
        struct msl_str port;
        if (PF_LIT(&p, end, ",port=") && bracketed(&p, end, &port)) {
            const char *q = port.p;
            int64_t v;
            if (pf_uint(&q, port.p + port.n, &v) && q == port.p + port.n && v <= 65535)
                e->client_port = (int32_t)v;
        }
        return 1;
    }
    if (PF_LIT(&p, end, "error,relay="))
        return esmtpd_error(p, end, e);
    if (PF_STARTS(p, end, "courieresmtpd: STARTTLS failed") ||
        PF_STARTS(p, end, "STARTTLS failed") || PF_STARTS(p, end, "submit terminated")) {
        e->kind = MSL_EV_ERROR;
        e->severity = MSL_SEV_ERROR;
        e->text = pf_sv(p, end);
        return 1;
    }
    return 0;
}

/* --- courierd --------------------------------------------------------------------------- */

/* "dns; HELO (HOST [IP])", "dns; HELO ([IP])" */
static void from_mta(const char *p, const char *end, struct msl_event *e)
{
    if (!PF_LIT(&p, end, "dns; "))
        return;
    const char *o = PF_FIND(p, end, " (");
    if (!o)
        return;
    e->helo = pf_sv(p, o);
    p = o + 2;
    const char *b = memchr(p, '[', (size_t)(end - p));
    if (!b)
        return;
    if (b > p + 1 && b[-1] == ' ')
        e->client_host = pf_sv(p, b - 1);
    struct msl_str ip;
    if (bracketed(&b, end, &ip))
        e->client_ip = unmap(ip);
}

/* "id=QID" up to ',' / ':' / end. */
static int qid_at(const char **pp, const char *end, struct msl_event *e)
{
    if (!PF_LIT(pp, end, "id="))
        return 0;
    const char *q = pf_span_until(*pp, end, ",: ");
    if (q == *pp)
        return 0;
    e->qid = pf_sv(*pp, q);
    *pp = q;
    return 1;
}

static int courierd(const char *p, const char *end, struct msl_event *e)
{
    if (PF_LIT(&p, end, "newmsg,")) {
        if (!qid_at(&p, end, e))
            return 0;
        e->kind = MSL_EV_RECEIVED;
        if (PF_LIT(&p, end, ", auth=")) {
            const char *q = pf_span_until(p, end, ":");
            e->sasl_user = pf_sv(p, q);
            p = q;
        }
        if (PF_LIT(&p, end, ": "))
            from_mta(p, end, e);
        return 1;
    }
    if (PF_LIT(&p, end, "started,")) {
        if (!qid_at(&p, end, e) || !PF_LIT(&p, end, ",from=") ||
            !angled(&p, end, &e->from, ",") || !PF_LIT(&p, end, ",module="))
            return 0;
        const char *q = pf_span_until(p, end, ",");
        e->detail = pf_sv(p, q);
        p = q;
        if (!PF_LIT(&p, end, ",host="))
            return 0;
        const char *h = p;
        const char *a = PF_FIND(p, end, ",addr=<");
        if (!a)
            return 0;
        if (eq(e->detail, "esmtp"))
            e->relay_host = pf_sv(h, a);
        p = a + 6;
        if (!angled(&p, end, &e->to, NULL))
            return 0;
        /* the envelope sender is logged here, not at newmsg; the dsn module's pass names the
         * notice's null sender under the original's id, so it is only a note */
        e->kind = eq(e->detail, "dsn") ? MSL_EV_INFO : MSL_EV_SENDER;
        return 1;
    }
    if (PF_LIT(&p, end, "completed,")) {
        if (!qid_at(&p, end, e))
            return 0;
        e->kind = MSL_EV_INFO;
        e->detail = MSL_STR_LIT("completed");
        e->flags |= MSL_EVF_PER_PASS;
        return 1;
    }
    if (PF_STARTS(p, end, "Waiting.")) {
        e->kind = MSL_EV_INFO;
        e->text = pf_sv(p, end);
        return 1;
    }
    static const char *const life[] = {"Loading ", "Courier ", "Started ", "Initializing",
                                       "Initialization", "Installing ", "Installed: ",
                                       "Installation complete", "SHUTDOWN", "Shutting down",
                                       "Purging ", "Restarting", "queuelo=", "modules=",
                                       "stopping authdaemond", "restarting authdaemond"};
    for (size_t i = 0; i < sizeof life / sizeof life[0]; i++)
        if (pf_starts(p, end, life[i], strlen(life[i]))) {
            e->kind = MSL_EV_DAEMON;
            e->text = pf_sv(p, end);
            return 1;
        }
    return 0;
}

/* --- delivery modules ------------------------------------------------------------------- */

static int is_local_module(struct msl_str t)
{
    return eq(t, "courierlocal") || eq(t, "courierdeliver");
}

/* "delivered: HOST [IP]" (courieresmtp's success text) */
static void relay_of(struct msl_str t, struct msl_event *e)
{
    const char *p = t.p, *end = t.p + t.n;
    if (!PF_LIT(&p, end, "delivered: "))
        return;
    const char *b = memchr(p, '[', (size_t)(end - p));
    if (!b || b == p || b[-1] != ' ')
        return;
    e->relay_host = pf_sv(p, b - 1);
    struct msl_str ip;
    if (bracketed(&b, end, &ip))
        e->relay_ip = unmap(ip);
}

static enum msl_status word_status(struct msl_str w)
{
    if (eq(w, "success"))
        return MSL_ST_SENT;
    if (eq(w, "deferred"))
        return MSL_ST_DEFERRED;
    if (eq(w, "failure") || eq(w, "failed"))
        return MSL_ST_BOUNCED;
    return MSL_ST_NONE;
}

static int module(const char *p, const char *end, struct msl_event *e, struct msl_str tag)
{
    if (!qid_at(&p, end, e) || !PF_LIT(&p, end, ",from=") ||
        !angled(&p, end, &e->from, ",") || !PF_LIT(&p, end, ",addr=") ||
        !angled(&p, end, &e->to, ",:"))
        return 0;
    if (PF_LIT(&p, end, ",size=") && !pf_uint(&p, end, &e->size))
        return 0;
    if (PF_LIT(&p, end, ": ")) {
        e->kind = MSL_EV_INFO;
        reply(p, end, e);
        return 1;
    }
    if (!PF_LIT(&p, end, ","))
        return 0;
    const char *w = p;
    while (p < end && *p >= 'a' && *p <= 'z')
        p++;
    struct msl_str wd = pf_sv(w, p);
    if (!PF_LIT(&p, end, ": "))
        return 0;
    struct msl_str rest = pf_sv(p, end);
    enum msl_status st;
    if (eq(wd, "status")) {
        st = word_status(rest);
        if (st == MSL_ST_NONE)
            return 0;
        if (st == MSL_ST_SENT) { /* restates the "success:" line before it */
            e->kind = MSL_EV_INFO;
            e->flags |= MSL_EVF_ECHO;
            e->status = st;
            return 1;
        }
    } else {
        st = word_status(wd);
        if (st == MSL_ST_NONE)
            return 0;
        reply(p, end, e);
    }
    e->kind = MSL_EV_DELIVERY;
    e->status = st;
    if (is_local_module(tag))
        e->flags |= MSL_EVF_LOCAL; /* into a mailbox or program on this host */
    if (st == MSL_ST_SENT) {
        relay_of(e->text, e);
        if (!e->relay_host.n && is_local_module(tag))
            e->relay_host = MSL_STR_LIT("local");
    }
    return 1;
}

/* --- courier-imap / pop3 ---------------------------------------------------------------- */

static int login(const char *p, const char *end, struct msl_event *e)
{
    if (PF_STARTS(p, end, "authentication error: ")) { /* authdaemond unreachable */
        e->kind = MSL_EV_ERROR;
        e->severity = MSL_SEV_ERROR;
        e->text = pf_sv(p, end);
        return 1;
    }
    const char *c = PF_FIND(p, end, ", ");
    struct msl_str what = pf_sv(p, c ? c : end);
    if (eq(what, "LOGIN FAILED"))
        e->kind = MSL_EV_AUTH_FAIL;
    else if (eq(what, "LOGIN"))
        e->kind = MSL_EV_AUTH_OK;
    else if (eq(what, "Connection"))
        e->kind = MSL_EV_CONNECT;
    else if (eq(what, "LOGOUT") || eq(what, "DISCONNECTED") || eq(what, "TIMEOUT")) {
        e->kind = MSL_EV_DISCONNECT;
        if (!eq(what, "LOGOUT"))
            e->detail = what; /* a non-empty detail says "lost/timeout" to the correlator */
    } else
        return 0;
    /* ", key=value" pairs; ip= and port= are bracketed and may hold ',' (never) or ':' */
    while (c && PF_LIT(&c, end, ", ")) {
        const char *k = c;
        while (c < end && *c != '=' && *c != ',')
            c++;
        if (c >= end || *c != '=')
            return 0;
        struct msl_str key = pf_sv(k, c++), v;
        if (c < end && *c == '[') {
            if (!bracketed(&c, end, &v))
                return 0;
        } else {
            const char *q = PF_FIND(c, end, ", ");
            v = pf_sv(c, q ? q : end);
            c = q ? q : end;
        }
        if (eq(key, "ip"))
            e->client_ip = unmap(v);
        else if (eq(key, "user"))
            e->sasl_user = v;
        else if (eq(key, "method"))
            e->sasl_method = v;
        else if (eq(key, "protocol"))
            e->proto = v;
        else if (eq(key, "port")) {
            const char *q = v.p;
            int64_t n;
            if (pf_uint(&q, v.p + v.n, &n) && q == v.p + v.n && n <= 65535)
                e->client_port = (int32_t)n;
        }
        if (c >= end)
            break;
    }
    return e->client_ip.p != NULL;
}

static int courier_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    const char *p = env->msg.p, *end = p + env->msg.n;
    e->mta = MSL_STR_LIT("courier");
    enum cr_family f = family(env->program);
    int ok = 0;
    switch (f) {
    case C_ESMTPD:
        ok = esmtpd(p, end, e);
        *why = ok ? NULL : WHY_ESMTPD;
        break;
    case C_COURIERD:
        ok = courierd(p, end, e);
        *why = ok ? NULL : WHY_COURIERD;
        break;
    case C_MODULE:
        ok = module(p, end, e, env->program);
        *why = ok ? NULL : WHY_MODULE;
        break;
    case C_LOGIN:
        ok = login(p, end, e);
        *why = ok ? NULL : WHY_LOGIN;
        break;
    case C_NONE:
        *why = WHY_MODULE;
        break;
    }
    if (!ok)
        e->kind = MSL_EV_NONE;
    return ok;
}

const struct msl_dialect msl_dialect_courier = {
    .name = "courier",
    .mta = "courier",
    .caps = MSL_MTA_NO_END_LINE,
    .claims = courier_claims,
    .parse = courier_parse,
};
