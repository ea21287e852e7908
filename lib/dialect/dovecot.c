/*
 * dovecot.c - the Dovecot dialect (2.0 .. 2.4, and the 1.x lines still seen in old logs):
 * login processes, auth/auth-worker passdb results, mail processes (imap, pop3, lmtp, lda,
 * submission, managesieve) and the master.
 *
 * Tags: "dovecot" (the syslog default; the message carries the service prefix),
 * "dovecot-auth" (1.x), "dovecot/<service>" (journald), and the log_path / per-service tags
 * "imap-login", "auth", "auth-worker(12)", "lmtp(user)".  A bare "auth" tag is claimed but
 * its message must look like Dovecot's (a level prefix, a passdb "driver(user,ip): " result,
 * or PAM's "pam_unix(dovecot:auth)"); anything else is returned unparsed as
 * "auth: not a Dovecot message", so another program's "auth" lines are never misread.
 *
 * Per line: (1) the service prefix "name[(args)][<pid>][<session>]: " is taken from the
 * message (or from the tag); args "user,ip[,...]" give sasl_user/client_ip, args of mail
 * processes give the user; (2) a level "Info: " is skipped, "Warning:/Error:/Fatal:/Panic: "
 * make a WARNING/ERROR event; (3) the service family picks the handler:
 *   *-login   "Login: user=<u>, method=M, rip=IP, lip=, mpid=, TLS, session=<s>" -> AUTH_OK;
 *             "<reason> (auth failed, N attempts[ in S secs])[ (code)]: user=<u>, ..." ->
 *             AUTH_FAIL (count = N); other disconnects -> DISCONNECT (detail = reason);
 *   auth      "driver(user,ip[,<session>]): Password mismatch|unknown user|..." -> AUTH_FAIL;
 *   lmtp/lda  "[sieve: ]msgid=<id>: saved mail to INBOX" -> DELIVERY (to = user, detail
 *             "lmtp"/"lda");
 *   mail      "Logged out ...", "Disconnected ...", "Connection closed ..." -> DISCONNECT.
 * Every view points into the message or the tag; nothing is allocated or copied.
 */
#include "dialect/scan.h"

enum dv_family { F_OTHER = 0, F_LOGIN, F_AUTH, F_DELIVER, F_MAIL, F_MASTER };

struct dv_prefix {
    struct msl_str svc;  /* "imap-login", "auth", "lmtp" */
    struct msl_str args; /* inside "(...)", may be empty */
};

static int dv_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || scan_isdigit(c) || c == '-' ||
           c == '_';
}

static int dv_eq(struct msl_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int dv_ends(struct msl_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

/* Skips "<...>" groups (pid, session). */
static const char *dv_skip_angles(const char *p, const char *end)
{
    while (p < end && *p == '<') {
        const char *c = memchr(p, '>', (size_t)(end - p));
        if (!c)
            return p;
        p = c + 1;
    }
    return p;
}

/*
 * "name[(args)][<..>...]" at *pp.  When `colon` is set a ": " must follow (taken too).
 * A "(" whose ")" is missing in [p, end) leaves args open: *open = 1 (the envelope cut a tag
 * such as "auth(u,ip,sasl:login)" at its ':').
 */
static int dv_prefix(const char **pp, const char *end, struct dv_prefix *px, int colon, int *open)
{
    const char *p = *pp, *s = p;
    while (p < end && dv_name_char(*p) && p - s < 40)
        p++;
    if (p == s)
        return 0;
    px->svc = scan_sv(s, p);
    px->args = MSL_STR_NULL;
    if (p < end && *p == '(') {
        const char *a = p + 1, *c = a;
        while (c < end && *c != ')')
            c++;
        if (c >= end) {
            if (!open)
                return 0;
            *open = 1;
            px->args = scan_sv(a, end);
            *pp = end;
            return 1;
        }
        px->args = scan_sv(a, c);
        p = c + 1;
    }
    p = dv_skip_angles(p, end);
    if (colon) {
        if (p + 1 >= end || p[0] != ':' || p[1] != ' ')
            return 0;
        p += 2;
    } else if (p != end) {
        return 0;
    }
    *pp = p;
    return 1;
}

static enum dv_family dv_family(struct msl_str svc)
{
    if (dv_ends(svc, "-login"))
        return F_LOGIN;
    if (dv_eq(svc, "auth") || dv_eq(svc, "auth-worker") || dv_eq(svc, "dovecot-auth"))
        return F_AUTH;
    if (dv_eq(svc, "lmtp") || dv_eq(svc, "lda") || dv_eq(svc, "deliver"))
        return F_DELIVER;
    if (dv_eq(svc, "imap") || dv_eq(svc, "pop3") || dv_eq(svc, "submission") ||
        dv_eq(svc, "managesieve") || dv_eq(svc, "imap-urlauth") || dv_eq(svc, "indexer-worker"))
        return F_MAIL;
    if (dv_eq(svc, "master"))
        return F_MASTER;
    return F_OTHER;
}

static int dovecot_claims(struct msl_str prog)
{
    if (!prog.p || prog.n < 4)
        return 0;
    if (dv_eq(prog, "dovecot") || dv_eq(prog, "dovecot-auth"))
        return 1;
    if (prog.n > 8 && memcmp(prog.p, "dovecot/", 8) == 0)
        return 1;
    const char *p = prog.p, *end = p + prog.n;
    struct dv_prefix px;
    int open = 0;
    if (!dv_prefix(&p, end, &px, 0, &open))
        return 0;
    enum dv_family f = dv_family(px.svc);
    if (f == F_LOGIN || dv_eq(px.svc, "auth") || dv_eq(px.svc, "auth-worker"))
        return 1; /* bare "auth": the message shape is checked by the parser */
    return (f == F_DELIVER || f == F_MAIL) && px.args.p != NULL;
}

/* "Info: " and friends; returns the severity (-1 none) and skips the prefix. */
static int dv_level(const char **pp, const char *end)
{
    static const struct {
        const char *s;
        size_t n;
        int sev;
    } lv[] = {
        {"Info: ", 6, MSL_SEV_INFO},          {"Debug: ", 7, MSL_SEV_INFO},
        {"Warning: ", 9, MSL_SEV_WARNING},    {"Error: ", 7, MSL_SEV_ERROR},
        {"Fatal: ", 7, MSL_SEV_FATAL},        {"Panic: ", 7, MSL_SEV_PANIC},
    };
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
        if (scan_lit(pp, end, lv[i].s, lv[i].n))
            return lv[i].sev;
    return -1;
}

/* "user,ip[,...]" -> user, ip; returns 0 when there is no comma (an instance or a pid). */
static int dv_user_ip(struct msl_str args, struct msl_str *user, struct msl_str *ip)
{
    if (!args.p)
        return 0;
    const char *p = args.p, *end = p + args.n;
    const char *c = memchr(p, ',', args.n);
    if (!c)
        return 0;
    *user = scan_sv(p, c);
    const char *i = c + 1, *ie = scan_span_until(i, end, ",)");
    *ip = scan_sv(i, ie);
    return 1;
}

/* A mail process's args: "user", "pid, user" (2.0 lmtp) or "pid" (lmtp session). */
static struct msl_str dv_mail_user(struct msl_str args)
{
    if (!args.p || !args.n)
        return MSL_STR_NULL;
    const char *p = args.p, *end = p + args.n;
    const char *c = memchr(p, ',', args.n);
    if (c) {
        p = c + 1;
        while (p < end && *p == ' ')
            p++;
        return scan_sv(p, end);
    }
    const char *q = p;
    while (q < end && scan_isdigit(*q))
        q++;
    return q == end ? MSL_STR_NULL : args;
}

/* ---- login processes ---------------------------------------------------------------- */

/* "user=<u>, method=PLAIN, rip=1.2.3.4, lip=.., mpid=.., TLS, session=<..>" */
static void dv_login_kv(const char *p, const char *end, struct msl_event *e)
{
    while (p < end) {
        const char *k = p;
        while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '_'))
            p++;
        const char *v, *ve;
        if (p > k && p < end && *p == '=') {
            struct msl_str key = scan_sv(k, p);
            v = ++p;
            if (p < end && *p == '<') {
                const char *c = p + 1;
                while (c < end && !(*c == '>' && (c + 1 == end || c[1] == ',')))
                    c++;
                v = p + 1;
                ve = c;
                p = c < end ? c + 1 : end;
            } else {
                p = scan_span_until(p, end, ",");
                ve = p;
            }
            struct msl_str val = scan_sv(v, ve);
            if (dv_eq(key, "user") && val.n)
                e->sasl_user = val;
            else if (dv_eq(key, "method") && val.n)
                e->sasl_method = val;
            else if (dv_eq(key, "rip") && val.n)
                e->client_ip = val;
        } else {
            /* a bare element: "TLS", "TLS handshaking: ...", "secured", "TLSv1.3 with .." */
            p = scan_span_until(k, end, ",");
            if (!e->tls.p && (SCAN_STARTS(k, p, "TLS") || SCAN_STARTS(k, p, "secured"))) {
                const char *t = scan_span_until(k, p, ":");
                e->tls = scan_sv(k, t);
            }
        }
        while (p < end && (*p == ',' || *p == ' '))
            p++;
        if (p == k) /* a NUL byte stops scan_span_until without progress */
            p++;
    }
}

static const struct {
    const char *s;
    size_t n;
    int fail;
} login_reasons[] = {
#define R(s, f) {s, sizeof(s) - 1, f}
    R("auth failed", 1), R("proxy dest auth failed", 1), R("user disabled", 1),
    R("password expired", 1), R("authorization failed", 1),
    R("no auth attempts", 0), R("tried to use disabled", 0), R("tried to use disallowed", 0),
    R("disconnected before auth was ready", 0), R("client didn't finish SASL auth", 0),
    R("auth service reported temporary failure", 0), R("disconnected during TLS handshake", 0),
    R("auth aborted by client", 0), R("auth process communication failure", 0),
    R("internal failure", 0), R("auth waited too long", 0),
#undef R
};

static int dv_login(const char *p, const char *end, struct msl_event *e)
{
    if (SCAN_LIT(&p, end, "Login: ")) {
        e->kind = MSL_EV_AUTH_OK;
        dv_login_kv(p, end, e);
        return e->client_ip.p != NULL || e->sasl_user.p != NULL;
    }
    const char *kv = SCAN_FIND(p, end, ": user=<");
    if (!kv)
        kv = SCAN_FIND(p, end, ": method=");
    if (!kv)
        kv = SCAN_FIND(p, end, ": rip=");
    if (!kv)
        return 0;
    const char *head_end = kv;
    e->text = scan_sv(p, head_end);
    e->kind = MSL_EV_DISCONNECT;
    /* the reason in parentheses; the first known one wins */
    for (const char *o = p; o < head_end; o++) {
        if (*o != '(')
            continue;
        for (size_t i = 0; i < sizeof login_reasons / sizeof login_reasons[0]; i++) {
            const char *q = o + 1;
            if (!scan_lit(&q, head_end, login_reasons[i].s, login_reasons[i].n))
                continue;
            /* detail: the reason up to ',' / ')', without " in N secs" */
            const char *de = scan_span_until(q, head_end, ",)");
            const char *in = SCAN_RFIND(o + 1, de, " in ");
            if (in && in + 4 < de && scan_isdigit(in[4]) && SCAN_STARTS(de - 5, de, " secs"))
                de = in;
            e->detail = scan_sv(o + 1, de);
            if (login_reasons[i].fail) {
                e->kind = MSL_EV_AUTH_FAIL;
                if (SCAN_LIT(&q, head_end, ", "))
                    scan_uint(&q, head_end, &e->count); /* "N attempts" */
            }
            goto found;
        }
    }
    if (SCAN_STARTS(p, head_end, "Aborted login"))
        e->detail = MSL_STR_LIT("aborted login");
found:
    dv_login_kv(kv + 2, end, e);
    return 1;
}

/* ---- auth / auth-worker --------------------------------------------------------------- */

static const char *const auth_fail_words[] = {
    "unknown user", "Password mismatch", "password mismatch", "pam_authenticate() failed",
    "invalid credentials", "User not known", "Unknown user", "user disabled", "Disallowed",
    "account expired", "password expired", "Authentication failure", "Invalid password",
};

static int dv_is_fail(const char *p, const char *end)
{
    for (size_t i = 0; i < sizeof auth_fail_words / sizeof auth_fail_words[0]; i++)
        if (scan_find(p, end, auth_fail_words[i], strlen(auth_fail_words[i])))
            return 1;
    return 0;
}

/* "pam_unix(dovecot:auth): authentication failure; logname= uid=0 ... rhost=IP  user=U" */
static int dv_pam_unix(const char *p, const char *end, struct msl_event *e)
{
    if (!SCAN_STARTS(p, end, "pam_unix(dovecot"))
        return 0;
    const char *r = SCAN_FIND(p, end, "): ");
    if (!r)
        return 0;
    e->detail = MSL_STR_LIT("pam");
    e->text = scan_sv(r + 3, end);
    e->kind = SCAN_FIND(r, end, "authentication failure") ? MSL_EV_AUTH_FAIL : MSL_EV_INFO;
    const char *h = SCAN_FIND(r, end, " rhost=");
    if (h) {
        h += 7;
        const char *he = scan_span_until(h, end, " ");
        if (he > h)
            e->client_ip = scan_sv(h, he);
    }
    const char *u = SCAN_FIND(r, end, " user=");
    if (u) {
        u += 6;
        const char *ue = scan_span_until(u, end, " ");
        if (ue > u)
            e->sasl_user = scan_sv(u, ue);
    } else if ((u = SCAN_FIND(r, end, " ruser=")) != NULL) {
        u += 7;
        const char *ue = scan_span_until(u, end, " ");
        if (ue > u && !memchr(u, '=', (size_t)(ue - u)))
            e->sasl_user = scan_sv(u, ue);
    }
    return 1;
}

static int dv_auth(const char *p, const char *end, const struct dv_prefix *px,
                   struct msl_event *e)
{
    /* "conn unix:auth-worker (uid=143): auth-worker<13247>: " (2.3 worker connections) */
    if (SCAN_STARTS(p, end, "conn ")) {
        const char *c = SCAN_FIND(p, end, "): ");
        if (!c)
            return 0;
        p = c + 3;
    }
    if (SCAN_STARTS(p, end, "auth-worker<")) {
        const char *c = SCAN_FIND(p, end, ">: ");
        if (!c)
            return 0;
        p = c + 3;
    }
    if (dv_pam_unix(p, end, e))
        return 1;
    struct msl_str user = MSL_STR_NULL, ip = MSL_STR_NULL;
    int have = dv_user_ip(px->args, &user, &ip); /* 2.4: "auth(user,ip,sasl:login)<s>: " */
    /* "client passdb out: FAIL\t1\tuser=u" (auth_debug) */
    if (SCAN_STARTS(p, end, "client ")) {
        const char *o = SCAN_FIND(p, end, "out: ");
        if (!o)
            return 0;
        o += 5;
        if (SCAN_STARTS(o, end, "FAIL"))
            e->kind = MSL_EV_AUTH_FAIL;
        else if (SCAN_STARTS(o, end, "OK"))
            e->kind = MSL_EV_AUTH_OK;
        else
            e->kind = MSL_EV_INFO;
        const char *u = SCAN_FIND(o, end, "user=");
        if (u) {
            u += 5;
            e->sasl_user = scan_sv(u, scan_span_until(u, end, "\t "));
        }
        e->text = scan_sv(p, end);
        return 1;
    }
    /* "driver(user,ip[,<session>]): result" or 2.4 "driver: result" */
    const char *d = p;
    while (p < end && dv_name_char(*p))
        p++;
    if (p == d || p >= end)
        return 0;
    e->detail = scan_sv(d, p);
    if (*p == '(') {
        const char *a = p + 1;
        const char *c = SCAN_FIND(a, end, "): ");
        if (!c)
            return 0;
        struct msl_str inner = scan_sv(a, c);
        if (dv_user_ip(inner, &user, &ip))
            have = 1;
        else if (!have && inner.n) {
            user = inner;
            have = 1;
        }
        p = c + 3;
    } else if (have && SCAN_LIT(&p, end, ": ")) {
        /* 2.4 */
    } else {
        return 0;
    }
    if (!have)
        return 0;
    if (user.n)
        e->sasl_user = user;
    if (ip.n)
        e->client_ip = ip;
    e->text = scan_sv(p, end);
    e->kind = dv_is_fail(p, end) ? MSL_EV_AUTH_FAIL : MSL_EV_INFO;
    return 1;
}

/* ---- mail processes ------------------------------------------------------------------ */

static int dv_b64ish(char c)
{
    return dv_name_char(c) || c == '+' || c == '/' || c == '=';
}

static int dv_deliver(const char *p, const char *end, const struct dv_prefix *px,
                      struct msl_str user, struct msl_event *e)
{
    /* 2.0 lmtp: "JDAjK8tou1Y5JQAA1dT27g: sieve: msgid=..." */
    const char *s = p;
    while (s < end && dv_b64ish(*s) && s - p < 40)
        s++;
    if (s - p >= 16 && s + 1 < end && s[0] == ':' && s[1] == ' ')
        p = s + 2;
    SCAN_LIT(&p, end, "sieve: ");
    if (!SCAN_LIT(&p, end, "msgid="))
        return 0;
    const char *m = p, *me = SCAN_FIND(p, end, ": ");
    if (!me)
        return 0;
    if (me - m >= 2 && *m == '<' && me[-1] == '>')
        e->msgid = scan_sv(m + 1, me - 1);
    else
        e->msgid = scan_sv(m, me);
    p = me + 2;
    e->text = scan_sv(p, end);
    e->kind = MSL_EV_DELIVERY;
    e->flags |= MSL_EVF_LOCAL; /* into a mailbox on this host */
    e->detail = dv_eq(px->svc, "lmtp") ? MSL_STR_LIT("lmtp") : MSL_STR_LIT("lda");
    if (user.n)
        e->to = user;
    if (SCAN_FIND(p, end, "saved mail to") || SCAN_FIND(p, end, "stored mail into"))
        e->status = MSL_ST_SENT;
    else if (SCAN_FIND(p, end, "forwarded to") || SCAN_FIND(p, end, "redirect"))
        e->status = MSL_ST_FORWARDED;
    else if (SCAN_FIND(p, end, "discard"))
        e->status = MSL_ST_DISCARDED;
    else if (SCAN_FIND(p, end, "rejected"))
        e->status = MSL_ST_BOUNCED;
    else if (SCAN_FIND(p, end, "failed"))
        e->status = MSL_ST_DEFERRED;
    else
        e->kind = MSL_EV_INFO;
    return 1;
}

static int dv_mail(const char *p, const char *end, struct msl_str user, struct msl_event *e)
{
    if (SCAN_STARTS(p, end, "Logged out") || SCAN_STARTS(p, end, "Disconnected") ||
        SCAN_STARTS(p, end, "Connection closed") || SCAN_STARTS(p, end, "Disconnect from ") ||
        SCAN_STARTS(p, end, "Server shutting down")) {
        e->kind = MSL_EV_DISCONNECT;
        e->text = scan_sv(p, end);
        if (user.n)
            e->sasl_user = user;
        return 1;
    }
    if (SCAN_LIT(&p, end, "Connect from ")) { /* lmtp: "Connect from local" */
        e->kind = MSL_EV_CONNECT;
        e->client_host = scan_sv(p, end);
        return p < end;
    }
    return 0;
}

static int dv_severity(int sev, const char *p, const char *end, const struct dv_prefix *px,
                       struct msl_str user, struct msl_event *e)
{
    e->kind = sev == MSL_SEV_WARNING ? MSL_EV_WARNING : MSL_EV_ERROR;
    e->severity = (enum msl_severity)sev;
    e->text = scan_sv(p, end);
    struct msl_str u = MSL_STR_NULL, ip = MSL_STR_NULL;
    if (dv_user_ip(px->args, &u, &ip)) {
        if (u.n)
            e->sasl_user = u;
        if (ip.n)
            e->client_ip = ip;
    } else if (user.n) {
        e->sasl_user = user;
    }
    return 1;
}

static int dovecot_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("dovecot");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    struct msl_str prog = env->program;
    struct dv_prefix px = {MSL_STR_NULL, MSL_STR_NULL};
    int bare_auth = 0;

    if (dv_eq(prog, "dovecot") || dv_eq(prog, "dovecot-auth")) {
        SCAN_LIT(&p, end, "dovecot: "); /* 1.x: "dovecot: auth(default): ..." */
        if (SCAN_STARTS(p, end, "Dovecot v") || SCAN_STARTS(p, end, "Dovecot starting")) {
            e->kind = MSL_EV_DAEMON;
            e->text = scan_sv(p, end);
            return 1;
        }
        if (dv_eq(prog, "dovecot-auth") && dv_pam_unix(p, end, e))
            return 1;
        if (!dv_prefix(&p, end, &px, 1, NULL)) {
            *why = "dovecot: no service prefix";
            return 0;
        }
    } else if (prog.n > 8 && memcmp(prog.p, "dovecot/", 8) == 0) {
        const char *t = prog.p + 8, *te = prog.p + prog.n;
        if (!dv_prefix(&t, te, &px, 0, NULL))
            px.svc = scan_sv(prog.p + 8, te);
        const char *q = p;
        struct dv_prefix inner;
        if (dv_prefix(&q, end, &inner, 1, NULL) && dv_eq(inner.svc, "dovecot") == 0 &&
            dv_family(inner.svc) == dv_family(px.svc) && inner.args.p) {
            px.args = inner.args; /* "dovecot/imap: imap(u)<..>: ..." */
            p = q;
        }
    } else {
        const char *t = prog.p, *te = t + prog.n;
        int open = 0;
        if (!dv_prefix(&t, te, &px, 0, &open)) {
            *why = "dovecot: unrecognised program tag";
            return 0;
        }
        if (open) { /* the tag was cut at ':' inside the args: finish them in the message */
            const char *c = memchr(p, ')', (size_t)(end - p));
            if (!c) {
                *why = "dovecot: unrecognised program tag";
                return 0;
            }
            p = dv_skip_angles(c + 1, end);
            if (!SCAN_LIT(&p, end, ": ")) {
                *why = "dovecot: unrecognised program tag";
                return 0;
            }
        }
        bare_auth = dv_eq(prog, "auth");
    }
    e->daemon = px.svc;
    enum dv_family fam = dv_family(px.svc);
    struct msl_str user = (fam == F_DELIVER || fam == F_MAIL) ? dv_mail_user(px.args)
                                                              : MSL_STR_NULL;
    int sev = dv_level(&p, end);
    if (bare_auth && sev < 0 && !SCAN_STARTS(p, end, "pam_unix(dovecot")) {
        const char *q = p;
        while (q < end && dv_name_char(*q))
            q++;
        if (q == p || q >= end || *q != '(' || !SCAN_FIND(q, end, "): ")) {
            *why = "auth: not a Dovecot message";
            return 0;
        }
    }
    if (sev > MSL_SEV_INFO)
        return dv_severity(sev, p, end, &px, user, e);

    int ok = 0;
    switch (fam) {
    case F_LOGIN:
        ok = dv_login(p, end, e);
        break;
    case F_AUTH:
        ok = dv_auth(p, end, &px, e);
        /* the auth process's verdict restates a failure the login process (IMAP/POP3) or
         * the MTA (Postfix's SASL warning) logs too: evidence, counted once */
        if (ok && e->kind == MSL_EV_AUTH_FAIL)
            e->flags |= MSL_EVF_ECHO;
        break;
    case F_DELIVER:
        ok = dv_deliver(p, end, &px, user, e) || dv_mail(p, end, user, e);
        break;
    case F_MAIL:
        ok = dv_mail(p, end, user, e);
        break;
    case F_MASTER:
        if (p < end) {
            e->kind = MSL_EV_DAEMON;
            e->text = scan_sv(p, end);
            ok = 1;
        }
        break;
    default:
        break;
    }
    if (ok)
        return 1;
    e->kind = MSL_EV_NONE;
    switch (fam) {
    case F_LOGIN:
        *why = "dovecot/login: unrecognised message";
        break;
    case F_AUTH:
        *why = "dovecot/auth: unrecognised message";
        break;
    case F_DELIVER:
        *why = "dovecot/lmtp: unrecognised message";
        break;
    case F_MAIL:
        *why = "dovecot/mail: unrecognised message";
        break;
    default:
        *why = "dovecot: unrecognised message";
        break;
    }
    return 0;
}

const struct msl_dialect msl_dialect_dovecot = {
    .name = "dovecot",
    .mta = "dovecot",
    .claims = dovecot_claims,
    .parse = dovecot_parse,
};
