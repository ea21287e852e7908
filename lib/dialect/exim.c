/*
 * exim.c - the Exim dialect: one Exim log message -> one event.  Shared by the syslog
 * wrapper (program tags "exim", "exim4": this file's msl_dialect_exim) and the file format
 * "exim-mainlog" (format_exim.c), which strips Exim's own stamp and calls
 * msl_exim_message() directly.
 *
 * A message is "[pid] " (optional), a message id (optional, both generations validated
 * strictly, its reception time decoded into qid_time), then either a flag line or text:
 *   <= arrival            RECEIVED: from ("<>" = null sender: non-NULL empty view), size S=,
 *                         msgid id=, client H=name (helo) [ip]:port, proto P=, uid U=,
 *                         sasl A=method:user, tls X=proto:cipher, text = subject T=,
 *                         nrcpt = count of "for a b c" (received_recipients), detail = R=
 *                         (a bounce's original id; the mainlog format also emits DSN_CREATED)
 *   (= fakereject         RECEIVED with action INFO, detail "fakereject"
 *   => -> >> *>           DELIVERY sent: to (first address), orig_to ("<orig>"), relay H=,
 *                         tls X=, delay DT=, daemon = transport T=, service = router R=,
 *                         from = return path P=, text = C="..." (code from it), new_qid = the
 *                         next hop's "id=X" / "queued as X"; detail = the flag
 *   ==                    DELIVERY deferred, text = the reason ("defer (146): ...")
 *   **                    DELIVERY bounced, text = the reason; relay and code from a quoted
 *                         "host NAME [IP]: 550 ..." answer
 *   Completed             QUEUE_REMOVED (delay = QT=)
 *   Frozen, retry time not reached, SA:, DKIM:, Failed to connect, frozen/removed by X ...
 *                         INFO / POLICY / CONN_FAIL / QUEUE_ADMIN; other id lines: INFO
 *   H=... rejected RCPT|MAIL|after DATA|connection, rejected by local_scan()   REJECT
 *   H=... sender verify fail|defer for <a>: ...      POLICY (the reject line follows)
 *   <name> authenticator failed for H [ip]: 535 ... (set_id=user)   AUTH_FAIL
 *   SMTP protocol synchronization error / protocol error / syntax error   REJECT (detail)
 *   SMTP connection from ... (count = N) / lost / closed by ..., no MAIL in ..., SMTP call
 *   from ... dropped, unexpected disconnection, command/data timeout    CONNECT / DISCONNECT
 *   Start/End queue run, daemon started, SIGHUP      DAEMON
 * Exim writes no enhanced status (dsn) of its own: dsn stays empty.
 *
 * Hand-written scanners (dialect/scan.h conventions): one forward pass, nothing read past
 * `end`, no allocation.  Client-supplied text (HELO, quoted commands) can imitate log
 * syntax: host specs accept "(helo)" only when a well-formed "[ip]" follows it, and quoted
 * commands end at the last `" H=` of the line (FORMATS.md: only the last [ip] is trusted).
 */
#include "exim_int.h"
#include "dialect/scan.h"
#include "mailsleuth/calendar.h"

/* --- message ids -------------------------------------------------------------------------- */

static int b62(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

/* A base-62 run; 0 when it is not one or does not fit (an 11-digit 4.97+ pid field of
 * "zzzzzzzzzzz" is 62^11 - 1, beyond int64_t: the fuzzer's UBSan finding). */
static int b62_run(const char *p, size_t n, int64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b62(p[i]);
        if (d < 0 || x > ((uint64_t)INT64_MAX - (uint64_t)d) / 62)
            return 0;
        x = x * 62 + (uint64_t)d;
    }
    *v = (int64_t)x;
    return 1;
}

int msl_exim_id(const char *p, size_t n, int64_t *utc_us)
{
    size_t pidn, fracn;
    int gen;
    if (n == 16) {
        pidn = 6, fracn = 2, gen = 1;
    } else if (n == 23) {
        pidn = 11, fracn = 4, gen = 2;
    } else {
        return 0;
    }
    int64_t secs, pid, frac;
    if (p[6] != '-' || p[7 + pidn] != '-' || !b62_run(p, 6, &secs) ||
        !b62_run(p + 7, pidn, &pid) || !b62_run(p + 8 + pidn, fracn, &frac))
        return 0;
    if (utc_us) {
        int64_t us = secs * 1000000;
        /* <= 4.96: 1/2000 s units; 4.97+: microseconds (other values: localhost_number) */
        if (gen == 1 && frac < 2000)
            us += frac * 500;
        else if (gen == 2 && frac < 1000000)
            us += frac;
        *utc_us = us;
    }
    return gen;
}

/* --- Exim's own stamp ----------------------------------------------------------------------- */

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!scan_isdigit(p[i]))
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

size_t msl_exim_stamp(const char *p, const char *end, int64_t *local_us, int *has_zone,
                      int32_t *off_s)
{
    const char *s = p;
    int y, mo, d, h, mi, se;
    if (end - p < 20 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
        p[7] != '-' || !digits(p + 8, 2, &d) || p[10] != ' ' || !digits(p + 11, 2, &h) ||
        p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' || !digits(p + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    p += 19;
    int64_t us = 0;
    if (p < end && *p == '.') { /* +millisec (.mmm); accept up to 6 digits */
        const char *q = p + 1;
        int64_t f = 0, scale = 1000000;
        while (q < end && scan_isdigit(*q) && q - p <= 6) {
            f = f * 10 + (*q++ - '0');
            scale /= 10;
        }
        if (q == p + 1)
            return 0;
        us = f * scale;
        p = q;
    }
    *has_zone = 0;
    *off_s = 0;
    if (end - p >= 6 && p[0] == ' ' && (p[1] == '+' || p[1] == '-')) {
        int hh, mm;
        if (digits(p + 2, 2, &hh) && digits(p + 4, 2, &mm) && (end - p == 6 || p[6] == ' ')) {
            *has_zone = 1;
            *off_s = (int32_t)((hh * 3600 + mm * 60) * (p[1] == '-' ? -1 : 1));
            p += 6;
        }
    }
    if (p < end && *p != ' ')
        return 0;
    if (p < end)
        p++;
    *local_us = (msl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000000 + us;
    return (size_t)(p - s);
}

/* --- scanners ------------------------------------------------------------------------------- */

static const char *skip_sp(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/*
 * Exim host spec: "name (helo) [ip]:port", any part optional but at least a name or an ip.
 * The helo is client text: it ends at the first ") [" after which a well-formed [ip] follows.
 */
static int hostspec(const char **pp, const char *end, struct msl_str *name, struct msl_str *helo,
                    struct msl_str *ip, int32_t *port)
{
    const char *p = *pp;
    struct msl_str n = MSL_STR_NULL, h = MSL_STR_NULL, a = MSL_STR_NULL;
    int32_t pt = -1;
    *name = *helo = *ip = MSL_STR_NULL; /* every return leaves all three defined */
    if (p < end && *p != '(' && *p != '[') {
        const char *s = p;
        while (p < end && *p != ' ')
            p++;
        /* a trailing ':' belongs to the sentence ("for host: 535 ...") */
        const char *e = p;
        if (e > s && e[-1] == ':' && (e == end || *e == ' '))
            e--;
        n = scan_sv(s, e);
        if (n.n == 0)
            return 0;
        if (e < p) { /* name-only spec ended by ':' */
            *name = n;
            *pp = e;
            return 1;
        }
        if (p + 1 < end && (p[1] == '(' || p[1] == '['))
            p++;
    }
    if (p < end && *p == '(') {
        const char *q = p + 1;
        for (;;) {
            const char *c = scan_find(q, end, ") [", 3);
            if (!c)
                break;
            const char *r = c + 2;
            struct msl_str tip;
            int32_t tport = -1;
            if (scan_bracket_addr(&r, end, 1, &tip, &tport) && (r == end || *r == ' ' || *r == ':')) {
                h = scan_sv(p + 1, c);
                p = c + 2;
                break;
            }
            q = c + 1;
        }
        if (!h.p) { /* "(helo)" without an address: up to ")" + space/end */
            const char *c = memchr(p, ')', (size_t)(end - p));
            if (!c || (c + 1 < end && c[1] != ' ' && c[1] != ':'))
                return n.p ? (*name = n, *pp = p > *pp && p[-1] == ' ' ? p - 1 : p, 1) : 0;
            h = scan_sv(p + 1, c);
            p = c + 1;
            if (p + 1 < end && *p == ' ' && p[1] == '[')
                p++;
        }
    }
    if (p < end && *p == '[') {
        if (!scan_bracket_addr(&p, end, 1, &a, &pt))
            return 0;
    }
    if (!n.p && !a.p && !h.p)
        return 0;
    if (!a.p && p > *pp && p[-1] == ' ')
        p--;
    *name = n;
    *helo = h;
    *ip = a;
    if (port && pt >= 0)
        *port = pt;
    *pp = p;
    return 1;
}

/* Exim durations: "21s", "0.349s", "2m42s", "1d2h3m4s", "1w"; *out in seconds. */
static int duration(const char **pp, const char *end, double *out)
{
    const char *p = *pp;
    double total = 0;
    int any = 0;
    while (p < end && scan_isdigit(*p)) {
        double v;
        if (!scan_decimal(&p, end, &v) || p >= end)
            return 0;
        double mul;
        switch (*p) {
        case 's':
            mul = 1;
            break;
        case 'm':
            mul = 60;
            break;
        case 'h':
            mul = 3600;
            break;
        case 'd':
            mul = 86400;
            break;
        case 'w':
            mul = 604800;
            break;
        default:
            return 0;
        }
        total += v * mul;
        p++;
        any = 1;
    }
    if (!any)
        return 0;
    *out = total;
    *pp = p;
    return 1;
}

/* p at '"': returns the position after the closing quote (backslash escapes kept). */
static const char *quoted_end(const char *p, const char *end)
{
    for (const char *q = p + 1; q < end; q++) {
        if (*q == '\\') {
            q++;
            continue;
        }
        if (*q == '"')
            return q + 1;
    }
    return NULL;
}

/* An address "<a@b>" (brackets dropped; "<>" -> empty non-NULL view) or a bare token that
 * ends at a space or at a ':' that ends the sentence. */
static int address(const char **pp, const char *end, struct msl_str *out)
{
    const char *p = *pp;
    if (p < end && *p == '<') {
        const char *q = memchr(p + 1, '>', (size_t)(end - p - 1));
        if (!q)
            return 0;
        *out = scan_sv(p + 1, q);
        *pp = q + 1;
        return 1;
    }
    const char *q = p;
    while (q < end && *q != ' ' && !(*q == ':' && (q + 1 == end || q[1] == ' ')))
        q++;
    if (q == p)
        return 0;
    *out = scan_sv(p, q);
    *pp = q;
    return 1;
}

static struct msl_str unbracket(struct msl_str v)
{
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>')
        return (struct msl_str){v.p + 1, v.n - 2};
    return v;
}

/* "250 OK id=X" / "... queued as X": the next hop's id. */
enum tctx { TX_ARRIVAL, TX_DELIVERY, TX_SESSION };

/* Bare selector flags logged without "=value". */
static int bare_flag(const char *p, const char *end)
{
    /* "L." / "L.-": 4.96 marks pipelining/chunking after P= this way */
    static const char *const flags[] = {"K", "L", "L.", "L.-", "L-", "PRDR", "TFO", "*L", "*K"};
    const char *q = p;
    while (q < end && *q != ' ')
        q++;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if ((size_t)(q - p) == strlen(flags[i]) && memcmp(p, flags[i], (size_t)(q - p)) == 0)
            return (int)(q - p);
    return 0;
}

static int key_is(const char *k, size_t kn, const char *s)
{
    return kn == strlen(s) && memcmp(k, s, kn) == 0;
}

/*
 * "KEY=value ..." tags (log_selector fields).  Stops at the first token that is not a tag
 * and returns its position; a value ending in ':' ends the list (the colon is left for the
 * caller).  *rval gets R= on arrivals (bounce reference).
 */
static const char *tags(const char *p, const char *end, struct msl_event *e, enum tctx cx,
                        struct msl_str *rval)
{
    for (;;) {
        p = skip_sp(p, end);
        if (p >= end)
            return p;
        int bf = bare_flag(p, end);
        if (bf) {
            p += bf;
            continue;
        }
        const char *k = p;
        while (p < end && (scan_isdigit(*p) || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= 'a' && *p <= 'z') || *p == '*' || *p == '_') &&
               p - k < 16)
            p++;
        if (p == k || p >= end || *p != '=')
            return k;
        size_t kn = (size_t)(p - k);
        const char *v = ++p;
        if (key_is(k, kn, "H")) {
            struct msl_str name = MSL_STR_NULL, helo = MSL_STR_NULL, ip = MSL_STR_NULL;
            int32_t port = -1;
            if (!hostspec(&p, end, &name, &helo, &ip, &port))
                return k;
            if (cx == TX_DELIVERY) {
                e->relay_host = name.p ? name : ip;
                e->relay_ip = ip;
                e->relay_port = port;
            } else {
                e->client_host = name;
                e->client_ip = ip;
                e->client_port = port;
                e->helo = helo;
            }
            if (p < end && *p == '*') /* DNSSEC-verified host */
                p++;
            continue;
        }
        struct msl_str val;
        if (p < end && *p == '"') {
            const char *q = quoted_end(p, end);
            if (!q)
                return k;
            val = scan_sv(p + 1, q - 1);
            p = q;
        } else if (p < end && *p == '<') {
            const char *q = memchr(p, '>', (size_t)(end - p));
            if (!q)
                return k;
            val = scan_sv(p, q + 1);
            p = q + 1;
        } else {
            while (p < end && *p != ' ')
                p++;
            val = scan_sv(v, p);
        }
        int stop = 0;
        if (val.n && val.p[val.n - 1] == ':' && val.p + val.n == p) {
            val.n--;
            p--;
            stop = 1;
        }
        switch (kn) {
        case 1:
            switch (*k) {
            case 'A': {
                const char *c = memchr(val.p, ':', val.n);
                const char *ve = val.p + val.n;
                e->sasl_method = c ? scan_sv(val.p, c) : val;
                if (c) {
                    const char *c2 = memchr(c + 1, ':', (size_t)(ve - c - 1));
                    e->sasl_user = scan_sv(c + 1, c2 ? c2 : ve);
                }
                break;
            }
            case 'C':
                e->text = val;
                break;
            case 'D': {
                const char *q = val.p;
                double d;
                if (duration(&q, val.p + val.n, &d))
                    e->delay = d;
                break;
            }
            case 'F':
                e->from = unbracket(val);
                break;
            case 'P':
                if (cx == TX_DELIVERY)
                    e->from = unbracket(val); /* return path */
                else
                    e->proto = val;
                break;
            case 'R':
                if (cx == TX_DELIVERY)
                    e->service = val; /* router */
                else if (rval)
                    *rval = val;
                break;
            case 'S': {
                const char *q = val.p;
                int64_t s;
                if (scan_uint(&q, val.p + val.n, &s))
                    e->size = s;
                break;
            }
            case 'T':
                if (cx == TX_DELIVERY)
                    e->daemon = val; /* transport */
                else
                    e->text = val; /* subject */
                break;
            case 'U':
                e->uid = val;
                break;
            case 'X': {
                const char *c = memchr(val.p, ':', val.n);
                e->tls = c ? scan_sv(val.p, c) : val;
                if (c)
                    e->tls_cipher = scan_sv(c + 1, val.p + val.n);
                break;
            }
            default:
                break;
            }
            break;
        case 2:
            if (key_is(k, kn, "DT") || key_is(k, kn, "QT")) {
                const char *q = val.p;
                double d;
                if (duration(&q, val.p + val.n, &d))
                    e->delay = d;
            } else if (key_is(k, kn, "id")) {
                e->msgid = unbracket(val);
            }
            break;
        case 3:
            if (key_is(k, kn, "id*")) /* Message-ID created by Exim */
                e->msgid = unbracket(val);
            break;
        default:
            break;
        }
        if (stop)
            return p;
    }
}

/* Skips ": " / ":" and spaces after a tag list. */
static const char *after_colon(const char *p, const char *end)
{
    p = skip_sp(p, end);
    if (p < end && *p == ':')
        p++;
    return skip_sp(p, end);
}

/* A 3-digit reply code at p followed by space/'-'/end. */
static int reply_code(const char *p, const char *end, struct msl_event *e)
{
    if (end - p >= 3 && scan_isdigit(p[0]) && scan_isdigit(p[1]) && scan_isdigit(p[2]) &&
        (end - p == 3 || p[3] == ' ' || p[3] == '-')) {
        e->code = scan_sv(p, p + 3);
        return 1;
    }
    return 0;
}

/* "... host NAME [IP]: 550 ..." in a failure/deferral reason. */
static void failure_detail(const char *p, const char *end, struct msl_event *e)
{
    const char *h = p;
    while ((h = scan_find(h, end, "host ", 5)) != NULL) {
        if (h == p || h[-1] == ' ') {
            const char *q = h + 5;
            struct msl_str name, helo, ip;
            int32_t port = -1;
            if (hostspec(&q, end, &name, &helo, &ip, &port) && ip.p) {
                if (!e->relay_ip.p) {
                    e->relay_host = name.p ? name : ip;
                    e->relay_ip = ip;
                    e->relay_port = port;
                }
                if (q + 1 < end && *q == ':' && q[1] == ' ')
                    reply_code(q + 2, end, e);
                break;
            }
        }
        h += 5;
    }
    if (!e->code.p) { /* "...: 550 5.1.1 <x>: Recipient address rejected" */
        for (const char *c = p; (c = memchr(c, ':', (size_t)(end - c))) != NULL; c++)
            if (c + 1 < end && c[1] == ' ' && (c + 2 < end && (c[2] == '4' || c[2] == '5')) &&
                reply_code(c + 2, end, e))
                break;
    }
}

/* --- lines with a message id ----------------------------------------------------------------- */

static int arrival(const char *p, const char *end, struct msl_event *e, struct msl_str *bounce_of)
{
    e->kind = MSL_EV_RECEIVED;
    if (!address(&p, end, &e->from))
        return 0;
    struct msl_str r = MSL_STR_NULL;
    p = tags(p, end, e, TX_ARRIVAL, &r);
    if (SCAN_LIT(&p, end, "for ")) { /* received_recipients */
        int64_t n = 0;
        while (p < end) {
            p = skip_sp(p, end);
            const char *s = p;
            while (p < end && *p != ' ')
                p++;
            if (p > s)
                n++;
        }
        e->nrcpt = n;
    }
    if (r.p) {
        e->detail = r;
        if (e->from.n == 0 && msl_exim_id(r.p, r.n, NULL))
            *bounce_of = r;
    }
    return 1;
}

static int delivery(const char *p, const char *end, struct msl_event *e, enum msl_status st)
{
    e->kind = MSL_EV_DELIVERY;
    e->status = st;
    if (!address(&p, end, &e->to))
        return 0;
    p = skip_sp(p, end);
    while (p < end && (*p == '<' || *p == '(')) { /* "<orig>" and "(parent)" */
        const char *q = p;
        struct msl_str v;
        if (*p == '<') {
            if (!address(&q, end, &v))
                break;
            if (!e->orig_to.p)
                e->orig_to = v;
        } else {
            q = memchr(p, ')', (size_t)(end - p));
            if (!q)
                break;
            q++;
        }
        p = skip_sp(q, end);
    }
    e->text = MSL_STR_NULL;
    p = tags(p, end, e, TX_DELIVERY, NULL);
    /* a completed delivery without H= went through a local transport (appendfile, pipe);
     * failures and deferrals without H= may have stopped before any host was tried */
    if (st == MSL_ST_SENT && !e->relay_host.p && !e->relay_ip.p)
        e->flags |= MSL_EVF_LOCAL;
    if (st == MSL_ST_SENT) {
        if (e->text.p) { /* C="..." */
            reply_code(e->text.p, e->text.p + e->text.n, e);
            e->new_qid = msl_reply_next_id(e->text);
        }
        return 1;
    }
    p = after_colon(p, end);
    const char *te = end;
    e->text = scan_sv(p, te);
    failure_detail(p, te, e);
    return 1;
}

static int session(const char *p, const char *end, struct msl_event *e, const char **why);

static int with_id(const char *p, const char *end, struct msl_event *e, const char **why,
                   struct msl_str *bounce_of)
{
    if (end - p >= 3 && p[2] == ' ') {
        const char *f = p;
        p += 3;
        switch (f[0]) {
        case '<':
            if (f[1] == '=')
                return arrival(p, end, e, bounce_of);
            break;
        case '(':
            if (f[1] == '=') {
                int r = arrival(p, end, e, bounce_of);
                e->action = MSL_ACT_INFO;
                e->detail = MSL_STR_LIT("fakereject");
                return r;
            }
            break;
        case '=':
            if (f[1] == '>' || f[1] == '=') {
                int r = delivery(p, end, e, f[1] == '>' ? MSL_ST_SENT : MSL_ST_DEFERRED);
                e->detail = scan_sv(f, f + 2);
                return r;
            }
            break;
        case '-':
        case '>':
            if (f[1] == '>') {
                int r = delivery(p, end, e, MSL_ST_SENT);
                e->detail = scan_sv(f, f + 2);
                return r;
            }
            break;
        case '*':
            if (f[1] == '>' || f[1] == '*') {
                int r = delivery(p, end, e, f[1] == '>' ? MSL_ST_SENT : MSL_ST_BOUNCED);
                e->detail = scan_sv(f, f + 2);
                e->flags &= ~MSL_EVF_LOCAL; /* "*>": delivery suppressed (-N), nothing stored */
                return r;
            }
            break;
        default:
            break;
        }
        p = f;
    }
    if (SCAN_LIT(&p, end, "Completed")) {
        e->kind = MSL_EV_QUEUE_REMOVED;
        tags(p, end, e, TX_DELIVERY, NULL);
        return 1;
    }
    if (SCAN_STARTS(p, end, "Frozen") || SCAN_STARTS(p, end, "Message is frozen") ||
        SCAN_STARTS(p, end, "Unfrozen") || SCAN_STARTS(p, end, "retry time not reached") ||
        SCAN_STARTS(p, end, "Spool file is locked") || SCAN_STARTS(p, end, "Message is locked")) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "frozen by ") || SCAN_STARTS(p, end, "unfrozen by ") ||
        SCAN_STARTS(p, end, "removed by ") || SCAN_STARTS(p, end, "cancelled by ") ||
        SCAN_STARTS(p, end, "edited by ") || SCAN_STARTS(p, end, "marked as delivered by ")) {
        e->kind = MSL_EV_QUEUE_ADMIN;
        e->detail = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "Failed to connect to ")) {
        e->kind = MSL_EV_CONN_FAIL;
        const char *q = p;
        struct msl_str helo;
        if (SCAN_LIT(&q, end, "host "))
            p = q;
        q = p;
        if (hostspec(&q, end, &e->relay_host, &helo, &e->relay_ip, &e->relay_port))
            p = after_colon(q, end);
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "SA: ") || SCAN_STARTS(p, end, "DKIM: ") ||
        SCAN_STARTS(p, end, "SPF: ") || SCAN_STARTS(p, end, "DMARC: ")) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        e->kind = MSL_EV_POLICY;
        e->action = MSL_ACT_INFO;
        e->detail = scan_sv(p, c);
        e->text = scan_sv(c + 2 <= end ? c + 2 : end, end);
        return 1;
    }
    /* an id line we do not classify still belongs to its message: INFO, nothing half-set */
    struct msl_event keep = *e;
    if (session(p, end, e, why))
        return 1;
    *e = keep;
    e->kind = MSL_EV_INFO;
    e->text = scan_sv(p, end);
    return 1;
}

/* --- session and daemon lines ----------------------------------------------------------------- */

static int client_from(const char **pp, const char *end, struct msl_event *e)
{
    const char *p = *pp;
    SCAN_LIT(&p, end, "H=");
    if (!hostspec(&p, end, &e->client_host, &e->helo, &e->client_ip, &e->client_port))
        return 0;
    *pp = p;
    return 1;
}

/* "rejected ..." after the session tags; p after "rejected ". */
static int rejected(const char *p, const char *end, struct msl_event *e)
{
    e->kind = MSL_EV_REJECT;
    e->action = MSL_ACT_REJECT;
    const char *s = p;
    if (SCAN_LIT(&p, end, "RCPT ")) {
        e->stage = scan_sv(s, s + 4);
        address(&p, end, &e->to);
    } else if (SCAN_LIT(&p, end, "MAIL ")) {
        e->stage = scan_sv(s, s + 4);
        struct msl_str f;
        if (address(&p, end, &f) && !e->from.p)
            e->from = f;
    } else if (SCAN_LIT(&p, end, "after ")) {
        const char *w = p;
        while (p < end && *p != ' ' && *p != ':')
            p++;
        e->stage = scan_sv(w, p);
    } else if (SCAN_LIT(&p, end, "connection")) {
        e->stage = MSL_STR_LIT("CONNECT");
    } else if (SCAN_LIT(&p, end, "EHLO or HELO") || SCAN_LIT(&p, end, "EHLO") ||
               SCAN_LIT(&p, end, "HELO")) {
        e->stage = MSL_STR_LIT("HELO");
    } else if (SCAN_LIT(&p, end, "by local_scan()")) {
        e->stage = MSL_STR_LIT("DATA");
        e->detail = MSL_STR_LIT("local_scan");
    } else {
        const char *w = p;
        while (p < end && *p != ' ' && *p != ':')
            p++;
        if (p == w)
            return 0;
        e->stage = scan_sv(w, p);
    }
    const char *c = scan_find(p, end, ": ", 2);
    if (c)
        e->text = scan_sv(c + 2, end);
    else if (p < end && *p == ':')
        e->text = scan_sv(p + 1, p + 1);
    return 1;
}

/* Lines that start with session tags: "H=... F=<> rejected RCPT <a>: why" and friends. */
static int tagged_session(const char *p, const char *end, struct msl_event *e)
{
    p = tags(p, end, e, TX_SESSION, NULL);
    if (e->text.p && !e->client_ip.p && !e->client_host.p)
        return 0;
    e->text = MSL_STR_NULL; /* C= / T= are not used on these lines */
    if (SCAN_LIT(&p, end, "temporarily rejected ")) {
        if (!rejected(p, end, e))
            return 0;
        e->detail = MSL_STR_LIT("temporarily rejected");
        return 1;
    }
    if (SCAN_LIT(&p, end, "rejected "))
        return rejected(p, end, e);
    static const struct {
        const char *s;
        size_t n;
        int rcpt;
    } verify[] = {
        {"sender verify fail for ", 23, 0},
        {"sender verify defer for ", 24, 0},
        {"recipient verify fail for ", 26, 1},
        {"recipient verify defer for ", 27, 1},
    };
    for (size_t i = 0; i < sizeof verify / sizeof verify[0]; i++) {
        if (!scan_lit(&p, end, verify[i].s, verify[i].n))
            continue;
        e->kind = MSL_EV_POLICY;
        e->action = MSL_ACT_INFO;
        e->detail = scan_sv(p - verify[i].n, p - 5); /* "sender verify fail" */
        struct msl_str a;
        if (address(&p, end, &a)) {
            if (verify[i].rcpt)
                e->to = a;
            else
                e->from = a;
        }
        e->text = scan_sv(after_colon(p, end), end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "dropped by ")) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        e->stage = MSL_STR_LIT("CONNECT");
        const char *c = scan_span_until(p, end, ":");
        e->detail = scan_sv(p - 11, c); /* "dropped by 'connect' ACL" */
        e->text = scan_sv(after_colon(c, end), end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "Warning: ")) {
        e->kind = MSL_EV_POLICY;
        e->action = MSL_ACT_INFO;
        e->severity = MSL_SEV_WARNING;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "incomplete transaction") ||
        SCAN_STARTS(p, end, "SMTP data timeout") || SCAN_STARTS(p, end, "lost ")) {
        e->kind = MSL_EV_DISCONNECT;
        e->text = scan_sv(p, end);
        return 1;
    }
    return 0;
}

/* "<name> authenticator failed for H [ip]:port I=... : 535 text (set_id=user)" */
static int auth_failed(const char *p, const char *end, const char *sp, struct msl_event *e)
{
    e->kind = MSL_EV_AUTH_FAIL;
    e->sasl_method = scan_sv(p, sp);
    p = sp + sizeof " authenticator failed for " - 1;
    if (!client_from(&p, end, e))
        return 0;
    p = tags(p, end, e, TX_SESSION, NULL);
    p = after_colon(p, end);
    if (reply_code(p, end, e))
        p = skip_sp(p + 3, end);
    e->text = scan_sv(p, end);
    const char *s = SCAN_FIND(p, end, "(set_id=");
    if (s) {
        s += 8;
        const char *q = s;
        while (q < end && *q != ')')
            q++;
        e->sasl_user = scan_sv(s, q);
    }
    return 1;
}

/* Quoted command followed by " H=": the last `" H=` of the line ends it (client text). */
static int quoted_cmd(const char **pp, const char *end, struct msl_str *cmd)
{
    const char *p = *pp;
    if (p >= end || *p != '"')
        return 0;
    const char *q = SCAN_RFIND(p + 1, end, "\" H=");
    if (!q)
        return 0;
    *cmd = scan_sv(p + 1, q);
    *pp = q + 2;
    return 1;
}

static struct msl_str first_word(struct msl_str s)
{
    const char *q = s.p;
    while (q < s.p + s.n && *q != ' ')
        q++;
    return scan_sv(s.p, q);
}

static int smtp_line(const char *p, const char *end, struct msl_event *e)
{
    const char *s = p;
    if (SCAN_LIT(&p, end, "SMTP connection from ")) {
        if (!client_from(&p, end, e))
            return 0;
        p = tags(p, end, e, TX_SESSION, NULL);
        e->text = MSL_STR_NULL;
        if (SCAN_LIT(&p, end, "(TCP/IP connection count = ")) {
            e->kind = MSL_EV_CONNECT;
            scan_uint(&p, end, &e->count);
            return 1;
        }
        e->kind = MSL_EV_DISCONNECT;
        if (SCAN_STARTS(p, end, "lost"))
            e->stage = MSL_STR_LIT("lost");
        else if (SCAN_STARTS(p, end, "timed out"))
            e->stage = MSL_STR_LIT("timeout");
        else if (SCAN_STARTS(p, end, "closed by DROP"))
            e->stage = MSL_STR_LIT("dropped");
        e->detail = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "no MAIL in SMTP connection from ")) {
        if (!client_from(&p, end, e))
            return 0;
        e->kind = MSL_EV_DISCONNECT;
        e->detail = MSL_STR_LIT("no MAIL");
        tags(p, end, e, TX_SESSION, NULL); /* D= -> delay, C= -> text (commands) */
        return 1;
    }
    if (SCAN_LIT(&p, end, "SMTP call from ")) {
        if (!client_from(&p, end, e))
            return 0;
        p = tags(p, end, e, TX_SESSION, NULL);
        e->text = MSL_STR_NULL;
        e->kind = MSL_EV_DISCONNECT;
        e->stage = MSL_STR_LIT("dropped");
        SCAN_LIT(&p, end, "dropped: ");
        e->detail = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "SMTP protocol synchronization error (")) {
        const char *c = SCAN_FIND(p, end, "): rejected ");
        if (!c)
            return 0;
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        e->detail = scan_sv(s, c + 1);
        p = c + 12;
        if (SCAN_LIT(&p, end, "connection from ")) {
            e->stage = MSL_STR_LIT("CONNECT");
        } else {
            struct msl_str cmd;
            if (!quoted_cmd(&p, end, &cmd))
                return 0;
            e->stage = first_word(cmd);
        }
        if (!client_from(&p, end, e))
            return 0;
        const char *in = SCAN_FIND(p, end, "input=\""); /* (next )input="client bytes" */
        if (in) {
            const char *q = end;
            in += 7;
            if (q > in && q[-1] == '"')
                q--;
            e->text = scan_sv(in, q);
        }
        return 1;
    }
    if (SCAN_LIT(&p, end, "SMTP protocol error in ") || SCAN_LIT(&p, end, "SMTP syntax error in ")) {
        struct msl_str cmd;
        if (!quoted_cmd(&p, end, &cmd))
            return 0;
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        e->detail = scan_sv(s, s + (s[5] == 'p' ? 19 : 17));
        e->stage = first_word(cmd);
        if (!client_from(&p, end, e))
            return 0;
        p = tags(p, end, e, TX_SESSION, NULL);
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_LIT(&p, end, "SMTP command timeout on connection from ") ||
        SCAN_LIT(&p, end, "SMTP data timeout (message abandoned) on connection from ") ||
        SCAN_LIT(&p, end, "unexpected disconnection while reading SMTP command from ") ||
        SCAN_LIT(&p, end, "SMTP command timeout on TLS connection from ")) {
        if (!client_from(&p, end, e))
            return 0;
        p = tags(p, end, e, TX_SESSION, NULL);
        e->kind = MSL_EV_DISCONNECT;
        e->stage = s[0] == 'u' ? MSL_STR_LIT("lost") : MSL_STR_LIT("timeout");
        e->text = MSL_STR_NULL;
        e->detail = scan_sv(s, scan_find(s, end, " from ", 6));
        return 1;
    }
    return 0;
}

static int session(const char *p, const char *end, struct msl_event *e, const char **why)
{
    *why = "exim: unrecognised message";
    if (p >= end)
        return 0;
    if ((end - p > 2 && p[1] == '=' && (p[0] == 'H' || p[0] == 'F' || p[0] == 'U')) ||
        SCAN_STARTS(p, end, "id="))
        return tagged_session(p, end, e);
    if (p[0] == 'S' && smtp_line(p, end, e))
        return 1;
    if (p[0] == 'n' || p[0] == 'u') {
        if (smtp_line(p, end, e))
            return 1;
        const char *q = p;
        if (SCAN_LIT(&q, end, "no host name found for IP address ") ||
            SCAN_LIT(&q, end, "no IP address found for host ")) {
            e->kind = MSL_EV_WARNING;
            e->severity = MSL_SEV_WARNING;
            e->text = scan_sv(p, end);
            if (p[3] == 'h') {
                const char *a = q;
                while (q < end && *q != ' ')
                    q++;
                e->client_ip = scan_sv(a, q);
            } else {
                const char *f = SCAN_FIND(q, end, "connection from ");
                if (f) {
                    f += 16;
                    struct msl_str nm, hl;
                    hostspec(&f, end, &nm, &hl, &e->client_ip, &e->client_port);
                }
            }
            return 1;
        }
    }
    const char *af = SCAN_FIND(p, end, " authenticator failed for ");
    if (af && !memchr(p, ' ', (size_t)(af - p)))
        return auth_failed(p, end, af, e) || (e->kind = MSL_EV_NONE, 0);
    const char *q = p;
    if (SCAN_LIT(&q, end, "TLS error on connection from ") ||
        SCAN_LIT(&q, end, "TLS error on connection to ")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->detail = MSL_STR_LIT("TLS error");
        if (p[24] == 'f' && client_from(&q, end, e))
            q = tags(q, end, e, TX_SESSION, NULL);
        e->text = scan_sv(skip_sp(q, end), end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "Start queue run") || SCAN_STARTS(p, end, "End queue run") ||
        SCAN_STARTS(p, end, "exim ") || (SCAN_STARTS(p, end, "pid ") && SCAN_FIND(p, end, "SIG")) ||
        SCAN_STARTS(p, end, "daemon ") || SCAN_STARTS(p, end, "Exim ")) {
        if (SCAN_STARTS(p, end, "exim ") && !SCAN_FIND(p, end, " daemon "))
            return 0;
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        const char *pid = SCAN_FIND(p, end, "pid=");
        if (pid && e->pid < 0) {
            pid += 4;
            scan_uint(&pid, end, &e->pid);
        }
        return 1;
    }
    if (SCAN_LIT(&q, end, "Connection from ") || SCAN_LIT(&q, end, "rejected EHLO from ") ||
        SCAN_LIT(&q, end, "rejected HELO from ")) {
        if (!client_from(&q, end, e))
            return 0;
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        e->stage = p[0] == 'C' ? MSL_STR_LIT("CONNECT") : MSL_STR_LIT("HELO");
        e->text = scan_sv(after_colon(q, end), end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "Warning: ") || SCAN_STARTS(p, end, "WARNING: ")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->text = scan_sv(p + 9, end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "ETRN ") || SCAN_STARTS(p, end, "cwd=") ||
        SCAN_STARTS(p, end, "DKIM: ") || SCAN_STARTS(p, end, "SPF: ")) {
        e->kind = p[0] == 'D' || p[0] == 'S' ? MSL_EV_POLICY : MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    return 0;
}

/* --- entry points ---------------------------------------------------------------------- */

int msl_exim_message(const char *p, const char *end, struct msl_event *e, const char **why,
                     struct msl_str *bounce_of)
{
    *bounce_of = MSL_STR_NULL;
    *why = NULL;
    while (end > p && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (p < end && *p == '[') { /* +pid */
        const char *q = p + 1;
        int64_t pid;
        if (scan_uint(&q, end, &pid) && q + 1 < end && q[0] == ']' && q[1] == ' ') {
            if (e->pid < 0)
                e->pid = pid;
            p = q + 2;
        }
    }
    const char *q = p;
    while (q < end && q - p <= 23 && (b62(*q) >= 0 || *q == '-'))
        q++;
    if ((q - p == 16 || q - p == 23) && (q == end || *q == ' ')) {
        int64_t t = 0;
        if (msl_exim_id(p, (size_t)(q - p), &t)) {
            e->qid = scan_sv(p, q);
            e->qid_time = t;
            if (!with_id(skip_sp(q, end), end, e, why, bounce_of)) {
                *why = "exim: unrecognised message";
                return 0;
            }
            *why = NULL;
            return 1;
        }
    }
    if (!session(p, end, e, why))
        return 0;
    *why = NULL;
    return 1;
}

/* The syslog wrapper: "exim[123]: [2026-11-27 13:14:15 ][[pid] ]message". */
static int exim_claims(struct msl_str prog)
{
    return (prog.n == 4 && memcmp(prog.p, "exim", 4) == 0) ||
           (prog.n == 5 && memcmp(prog.p, "exim4", 5) == 0);
}

static int exim_parse(const struct msl_envelope *env, struct msl_event *out, const char **why)
{
    const char *p = env->msg.p, *end = p + env->msg.n;
    int64_t local;
    int hz;
    int32_t off;
    size_t n = msl_exim_stamp(p, end, &local, &hz, &off); /* syslog_timestamp = true */
    p += n;
    struct msl_str bounce_of;
    int r = msl_exim_message(p, end, out, why, &bounce_of);
    if (!r && !*why)
        *why = "exim: unrecognised message";
    return r;
}

const struct msl_dialect msl_dialect_exim = {
    .name = "exim",
    .mta = "exim",
    .caps = MSL_MTA_LIFECYCLE | MSL_MTA_FORKS,
    .claims = exim_claims,
    .parse = exim_parse,
};
