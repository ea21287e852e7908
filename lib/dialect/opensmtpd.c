/*
 * opensmtpd.c - the OpenSMTPD dialect, all three log generations (FORMATS.md section 6).
 *
 *   <= 5.9   "smtp-in: New session <sid> from host <rdns> [<ip>|local]", "smtp-in: Accepted
 *            message <msgid> on session <sid>: from=<..>, to=<..>, size=N, ndest=N, proto=..",
 *            "delivery: Ok for <evpid>: from=.., to=.., ..., stat=..", "relay: ... for ...",
 *            "smtp-out: ..."; comma-separated "key=value" lists, stat= runs to the end.
 *   6.0.x    "<sid> smtp event=connected address=.. host=..", "mta event=delivery ...".
 *   >= 6.4   "<sid> smtp connected address=.. host=..", "<sid> smtp message msgid=..",
 *            "<sid> mta delivery evpid=.. ... result=\"Ok\" stat=\"250 ...\"".
 * 6.x lines are "[<sid> ]<proc> (event=<name>|<name>) key=value ..." with values bare,
 * "<address>" or "\"quoted\"" (a quote or '>' closes only before " key=" or the end, so
 * quotes inside SMTP commands survive).  All pairs are collected first (struct os_f), then
 * the event name picks the kind.
 *
 * Tags: "smtpd" (portable and OpenBSD) and "transfer" (a 5.x process title seen as tag).
 * Postfix logs "postfix/smtpd", so a bare "smtpd" is OpenSMTPD's; parse() still accepts only
 * OpenSMTPD shapes and names every other line "opensmtpd: not an OpenSMTPD message".
 * FORMATS.md shows smtp/mta/mda only as message words, not as tags: they are not claimed.
 *
 * Identifiers: the session id (16 hex) joins a connection's lines.  OpenSMTPD logs every
 * session from one process, so the syslog pid cannot key sessions: event.pid is the session
 * id parsed as a 64-bit hex number with the top bit cleared (a pid < 0 means "absent"), and
 * .detail carries the session id text (except on DISCONNECT, where a non-empty .detail means
 * "lost connection" to the correlator).  The queue id is the 8-hex msgid = the first half of
 * the 16-hex evpid (msgid = evpid >> 32).  .daemon is "smtpd" for the inbound smtp process
 * (the correlator keys sessions on it), "mta" for relaying, "mda" for local delivery.
 * An mta delivery whose reply is OpenSMTPD's "250 2.0.0: <msgid> Message accepted for
 * delivery" sets new_qid (the next hop's id: a content filter hand-off on the same host).
 * OpenSMTPD logs no "removed" line: messages end at the correlator's idle rule or EOF.
 */
#include "dialect/scan.h"

#define WHY_SHAPE "opensmtpd: not an OpenSMTPD message"
#define WHY_SMTP "opensmtpd: unrecognised smtp event"
#define WHY_MTA "opensmtpd: unrecognised mta/mda event"
#define WHY_5X "opensmtpd: unrecognised 5.x message"

/* The fields a line may carry; views into the message, p == NULL when absent. */
struct os_f {
    struct msl_str event, result, stat, command, reason, evpid, msgid, ciphers, address, host;
    struct msl_str relay, rcpt, user, method, session, from, to, proto, delay, version, cipher;
    int64_t size, nrcpt;
};

static int is_hex(char c)
{
    return scan_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hexval(char c)
{
    return scan_isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Exactly n hex digits at p, followed by end or a non-hex byte. */
static int hex_run(const char *p, const char *end, size_t n)
{
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_hex(p[i]))
            return 0;
    return (size_t)(end - p) == n || !is_hex(p[n]);
}

/* A 16-hex session id as a non-negative correlation key. */
static int64_t sid_key(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 4 | (uint64_t)hexval(p[i]);
    return (int64_t)(v & (uint64_t)INT64_MAX);
}

static void set_session(struct msl_event *e, const char *p)
{
    e->pid = sid_key(p);
    e->detail = scan_sv(p, p + 16);
}

static int is_keych(char c)
{
    return (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

/* "key=" at p */
static int key_at(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && is_keych(*q))
        q++;
    return q > p && q < end && *q == '=';
}

/* Strips one pair of <> from an address value; "<->" (no address) stays absent. */
static struct msl_str addr_val(struct msl_str v)
{
    if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>') {
        v.p++;
        v.n -= 2;
    }
    if (v.n == 1 && v.p[0] == '-')
        return MSL_STR_NULL;
    return v;
}

static void put_kv(struct os_f *f, struct msl_str k, struct msl_str v)
{
#define K(s) (k.n == sizeof(s) - 1 && memcmp(k.p, s, k.n) == 0)
    const char *q = v.p, *qe = v.p + v.n;
    if (K("event"))
        f->event = v;
    else if (K("result"))
        f->result = v;
    else if (K("stat"))
        f->stat = v;
    else if (K("command"))
        f->command = v;
    else if (K("reason"))
        f->reason = v;
    else if (K("evpid"))
        f->evpid = v;
    else if (K("msgid"))
        f->msgid = v;
    else if (K("ciphers"))
        f->ciphers = v;
    else if (K("address"))
        f->address = v;
    else if (K("host"))
        f->host = v;
    else if (K("relay"))
        f->relay = v;
    else if (K("rcpt"))
        f->rcpt = addr_val(v);
    else if (K("user"))
        f->user = v;
    else if (K("method"))
        f->method = v;
    else if (K("session"))
        f->session = v;
    else if (K("from"))
        f->from = addr_val(v);
    else if (K("to"))
        f->to = addr_val(v);
    else if (K("proto"))
        f->proto = v;
    else if (K("delay"))
        f->delay = v;
    else if (K("version"))
        f->version = v;
    else if (K("cipher"))
        f->cipher = v;
    else if (K("size"))
        scan_uint(&q, qe, &f->size);
    else if (K("nrcpt") || K("ndest"))
        scan_uint(&q, qe, &f->nrcpt);
#undef K
}

/* 6.x pairs separated by spaces; "quoted" and <address> values may hold spaces. */
static void kv6(const char *p, const char *end, struct os_f *f)
{
    for (;;) {
        while (p < end && *p == ' ')
            p++;
        const char *ks = p;
        while (p < end && is_keych(*p))
            p++;
        if (p == ks || p >= end || *p != '=') {
            while (p < end && *p != ' ') /* a bare word ("mta connected"): skip it */
                p++;
            if (p >= end)
                return;
            continue;
        }
        struct msl_str k = scan_sv(ks, p++), v;
        if (p < end && (*p == '"' || *p == '<')) {
            char close = *p == '"' ? '"' : '>';
            const char *q = p + 1, *c = NULL;
            while (q < end && (q = memchr(q, close, (size_t)(end - q))) != NULL) {
                if (q + 1 == end || (q[1] == ' ' && key_at(q + 2, end))) {
                    c = q;
                    break;
                }
                q++;
            }
            if (!c) /* unterminated: the rest of the line */
                c = end;
            v = close == '"' ? scan_sv(p + 1, c) : scan_sv(p, c < end ? c + 1 : end);
            p = c < end ? c + 1 : end;
        } else {
            const char *q = p;
            while (q < end && *q != ' ')
                q++;
            v = scan_sv(p, q);
            p = q;
        }
        put_kv(f, k, v);
    }
}

/* 5.x pairs "key=value, key=value"; a value ends at ", key=" and stat= takes the rest. */
static void kv5(const char *p, const char *end, struct os_f *f)
{
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *ks = p;
        while (p < end && is_keych(*p))
            p++;
        if (p == ks || p >= end || *p != '=')
            return;
        struct msl_str k = scan_sv(ks, p++);
        const char *v = p, *q = p;
        if (!(k.n == 4 && memcmp(k.p, "stat", 4) == 0)) {
            while ((q = memchr(q, ',', (size_t)(end - q))) != NULL &&
                   !(q + 1 < end && q[1] == ' ' && key_at(q + 2, end)))
                q++;
        } else {
            q = NULL;
        }
        if (!q)
            q = end;
        put_kv(f, k, scan_sv(v, q));
        p = q < end ? q + 1 : end;
    }
}

static void field_init(struct os_f *f)
{
    memset(f, 0, sizeof *f);
    f->size = -1;
    f->nrcpt = -1;
}

/* "1d2h3m4s" / "12s" (OpenSMTPD duration_to_text) -> seconds; -1 when not that shape. */
static double duration(struct msl_str v)
{
    const char *p = v.p, *end = v.p + v.n;
    double total = 0;
    int any = 0;
    while (p < end) {
        int64_t n;
        if (!scan_uint(&p, end, &n) || p >= end)
            return any ? total : -1;
        switch (*p++) {
        case 'w': total += (double)n * 604800; break;
        case 'd': total += (double)n * 86400; break;
        case 'h': total += (double)n * 3600; break;
        case 'm': total += (double)n * 60; break;
        case 's': total += (double)n; break;
        default: return -1;
        }
        any = 1;
    }
    return any ? total : -1;
}

/* "550 5.1.1: text" / "421 4.3.0: text" / "250 Ok": code, dsn (without the ':'). */
static void reply(struct msl_str v, struct msl_event *e)
{
    const char *p = v.p, *end = v.p + v.n;
    if (v.n < 3 || !scan_isdigit(p[0]) || !scan_isdigit(p[1]) || !scan_isdigit(p[2]) ||
        (v.n > 3 && p[3] != ' ' && p[3] != '-'))
        return;
    e->code = scan_sv(p, p + 3);
    p += 4;
    const char *d = p;
    if (p < end && *p >= '2' && *p <= '5' && p + 1 < end && p[1] == '.') {
        p += 2;
        while (p < end && scan_isdigit(*p))
            p++;
        if (p < end && *p == '.' && p + 1 < end && scan_isdigit(p[1])) {
            p++;
            while (p < end && scan_isdigit(*p))
                p++;
            if (p == end || *p == ' ' || *p == ':')
                e->dsn = scan_sv(d, p);
        }
    }
}

/* "ip (name)" -> relay_ip, relay_host; "smtp://ip:port" -> relay_ip, relay_port. */
static void relay(struct msl_str v, struct msl_event *e)
{
    const char *p = v.p, *end = v.p + v.n;
    if (SCAN_LIT(&p, end, "smtp://") || SCAN_LIT(&p, end, "smtps://") ||
        SCAN_LIT(&p, end, "lmtp://")) {
        const char *c = scan_rfind(p, end, ":", 1);
        const char *q = c ? c + 1 : end;
        int64_t port;
        if (c && scan_uint(&q, end, &port) && q == end && port <= 65535) {
            e->relay_port = (int32_t)port;
            end = c;
        }
        if (end > p && *p == '[' && end[-1] == ']') {
            p++;
            end--;
        }
        e->relay_ip = scan_sv(p, end);
        return;
    }
    const char *sp = memchr(p, ' ', v.n);
    if (!sp) {
        e->relay_ip = v;
        return;
    }
    e->relay_ip = scan_sv(p, sp);
    if (sp + 2 < end && sp[1] == '(' && end[-1] == ')')
        e->relay_host = scan_sv(sp + 2, end - 1);
}

/* "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256" (6.4) or "version=.., cipher=.., bits=" */
static void ciphers(const struct os_f *f, struct msl_event *e)
{
    struct msl_str c = f->ciphers;
    if (c.p && SCAN_STARTS(c.p, c.p + c.n, "version=")) {
        struct os_f g;
        field_init(&g);
        kv5(c.p, c.p + c.n, &g);
        e->tls = g.version;
        e->tls_cipher = g.cipher;
        return;
    }
    if (c.p) {
        const char *p = c.p, *end = c.p + c.n;
        const char *a = memchr(p, ':', c.n);
        if (!a) {
            e->tls_cipher = c;
            return;
        }
        const char *b = memchr(a + 1, ':', (size_t)(end - a - 1));
        e->tls = scan_sv(p, a);
        e->tls_cipher = scan_sv(a + 1, b ? b : end);
        return;
    }
    e->tls = f->version;
    e->tls_cipher = f->cipher;
}

/* "RCPT TO:<x> " -> stage RCPT, to; "MAIL FROM:<x>" -> MAIL, from; else the verb. */
static void command(struct msl_str v, struct msl_event *e)
{
    const char *p = v.p, *end = v.p + v.n;
    const char *w = p;
    while (p < end && *p != ' ' && *p != ':')
        p++;
    if (p == w)
        return;
    e->stage = scan_sv(w, p);
    const char *lt = memchr(p, '<', (size_t)(end - p));
    if (!lt)
        return;
    const char *gt = memchr(lt, '>', (size_t)(end - lt));
    if (!gt)
        return;
    struct msl_str a = scan_sv(lt + 1, gt);
    if (e->stage.n == 4 && memcmp(e->stage.p, "RCPT", 4) == 0)
        e->to = a;
    else if (e->stage.n == 4 && memcmp(e->stage.p, "MAIL", 4) == 0)
        e->from = a;
}

static void client(const struct os_f *f, struct msl_event *e)
{
    if (f->address.p && !(f->address.n == 5 && memcmp(f->address.p, "local", 5) == 0))
        e->client_ip = f->address;
    if (f->host.p && !(f->host.n == 9 && memcmp(f->host.p, "<unknown>", 9) == 0))
        e->client_host = f->host;
}

static void qid_of(struct msl_str evpid, struct msl_event *e)
{
    if (evpid.p && hex_run(evpid.p, evpid.p + evpid.n, 16))
        e->qid = scan_sv(evpid.p, evpid.p + 8);
}

static enum msl_status result_status(struct msl_str r)
{
#define R(s) (r.n == sizeof(s) - 1 && memcmp(r.p, s, r.n) == 0)
    if (R("Ok"))
        return MSL_ST_SENT;
    if (R("TempFail"))
        return MSL_ST_DEFERRED;
    if (R("PermFail") || R("Loop"))
        return MSL_ST_BOUNCED;
#undef R
    return MSL_ST_OTHER;
}

/* DELIVERY from the collected fields (5.x relay:/delivery:, 6.x mta/mda delivery). */
static void delivery(const struct os_f *f, struct msl_event *e, int mda)
{
    e->kind = MSL_EV_DELIVERY;
    if (mda)
        e->flags |= MSL_EVF_LOCAL;
    qid_of(f->evpid, e);
    e->from = f->from;
    e->to = f->to;
    e->orig_to = f->rcpt;
    if (f->relay.p)
        relay(f->relay, e);
    else if (mda)
        e->relay_host = f->method.p ? f->method : MSL_STR_LIT("local");
    e->status = result_status(f->result);
    e->text = f->stat;
    if (f->stat.p) {
        reply(f->stat, e);
        /* "250 2.0.0: f6e94209 Message accepted for delivery" from another OpenSMTPD */
        const char *p = f->stat.p, *end = p + f->stat.n;
        if (SCAN_LIT(&p, end, "250 2.0.0: ") && hex_run(p, end, 8) &&
            SCAN_STARTS(p + 8, end, " Message accepted"))
            e->new_qid = scan_sv(p, p + 8);
    }
    if (f->delay.p)
        e->delay = duration(f->delay);
}

static const char *smtp_event(struct msl_str ev, const struct os_f *f, struct msl_event *e)
{
#define EV(s) (ev.n == sizeof(s) - 1 && memcmp(ev.p, s, ev.n) == 0)
    client(f, e);
    if (EV("connected")) {
        e->kind = MSL_EV_CONNECT;
    } else if (EV("message")) {
        e->kind = MSL_EV_RECEIVED;
        if (!f->msgid.p || !hex_run(f->msgid.p, f->msgid.p + f->msgid.n, 8))
            return WHY_SMTP;
        e->qid = f->msgid;
        e->from = f->from;
        e->to = f->to;
        e->size = f->size;
        e->nrcpt = f->nrcpt;
        e->proto = f->proto;
    } else if (EV("envelope")) {
        qid_of(f->evpid, e);
        e->kind = e->qid.n ? MSL_EV_SENDER : MSL_EV_INFO;
        e->from = f->from;
        e->to = f->to;
    } else if (EV("authentication")) {
        int ok = f->result.n == 2 && memcmp(f->result.p, "ok", 2) == 0;
        e->kind = ok ? MSL_EV_AUTH_OK : MSL_EV_AUTH_FAIL;
        e->sasl_user = f->user;
        e->text = f->result;
    } else if (EV("tls") || EV("starttls")) {
        e->kind = MSL_EV_TLS;
        ciphers(f, e);
    } else if (EV("failed-command")) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        if (f->command.p)
            command(f->command, e);
        e->text = f->result;
        if (f->result.p)
            reply(f->result, e);
    } else if (EV("bad-input")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->text = f->result;
        if (f->result.p)
            reply(f->result, e);
    } else if (EV("disconnected") || EV("closed")) {
        e->kind = MSL_EV_DISCONNECT;
        e->text = f->reason;
        e->detail = MSL_STR_NULL;
    } else if (EV("client-cert-check") || EV("cert-check") || EV("protocol-client") ||
               EV("protocol-server") || EV("filter-response") || EV("timeout")) {
        e->kind = MSL_EV_INFO;
        e->text = f->result.p ? f->result : ev;
    } else {
        return WHY_SMTP;
    }
#undef EV
    return NULL;
}

static const char *mta_event(struct msl_str ev, const struct os_f *f, struct msl_event *e,
                             int mda)
{
#define EV(s) (ev.n == sizeof(s) - 1 && memcmp(ev.p, s, ev.n) == 0)
    if (EV("delivery")) {
        delivery(f, e, mda);
    } else if (EV("connecting") || EV("connected")) {
        e->kind = MSL_EV_INFO;
        if (f->address.p)
            relay(f->address, e);
        if (f->host.p)
            e->relay_host = f->host;
        e->text = ev;
    } else if (EV("tls")) {
        e->kind = MSL_EV_TLS;
        ciphers(f, e);
    } else if (EV("disconnected") || EV("closed") || EV("server-cert-check") ||
               EV("cert-check")) {
        e->kind = MSL_EV_INFO;
        e->text = f->reason.p ? f->reason : f->result.p ? f->result : ev;
    } else if (EV("error")) {
        e->kind = MSL_EV_CONN_FAIL;
        e->text = f->reason.p ? f->reason : f->result;
    } else {
        return WHY_MTA;
    }
#undef EV
    return NULL;
}

/* 6.x: "[<sid> ]smtp|mta|mda (event=X|X) key=value ..." */
static const char *gen6(const char *p, const char *end, struct msl_event *e)
{
    if (hex_run(p, end, 16) && p + 16 < end && p[16] == ' ') {
        set_session(e, p);
        p += 17;
    }
    const char *w = p;
    while (p < end && *p >= 'a' && *p <= 'z')
        p++;
    struct msl_str proc = scan_sv(w, p);
    if (p >= end || *p != ' ')
        return WHY_SHAPE;
    p++;
    int kind; /* 0 smtp, 1 mta, 2 mda */
    if (proc.n == 4 && memcmp(proc.p, "smtp", 4) == 0)
        kind = 0;
    else if (proc.n == 3 && memcmp(proc.p, "mta", 3) == 0)
        kind = 1;
    else if (proc.n == 3 && memcmp(proc.p, "mda", 3) == 0)
        kind = 2;
    else
        return WHY_SHAPE;
    struct os_f f;
    field_init(&f);
    struct msl_str ev;
    if (SCAN_STARTS(p, end, "event=")) {
        kv6(p, end, &f);
        ev = f.event;
    } else {
        const char *q = p;
        while (q < end && *q != ' ')
            q++;
        ev = scan_sv(p, q);
        if (!ev.n || memchr(ev.p, '=', ev.n))
            return WHY_SHAPE;
        kv6(q, end, &f);
    }
    static const struct msl_str dn[] = {{"smtpd", 5}, {"mta", 3}, {"mda", 3}};
    e->daemon = dn[kind];
    return kind == 0 ? smtp_event(ev, &f, e) : mta_event(ev, &f, e, kind == 2);
}

/* "... session <16hex>" anywhere in [p, end): sets pid/detail, returns the byte after it. */
static const char *find_session(const char *p, const char *end, struct msl_event *e)
{
    const char *s = SCAN_FIND(p, end, "session ");
    if (!s || !hex_run(s + 8, end, 16))
        return NULL;
    set_session(e, s + 8);
    return s + 24;
}

/* "smtp-in: ..." (5.x) */
static const char *smtp_in(const char *p, const char *end, struct msl_event *e)
{
    e->daemon = MSL_STR_LIT("smtpd");
    const char *s;
    if (SCAN_LIT(&p, end, "New session ")) {
        if (!hex_run(p, end, 16))
            return WHY_5X;
        set_session(e, p);
        p += 16;
        if (!SCAN_LIT(&p, end, " from host "))
            return WHY_5X;
        const char *lb = SCAN_RFIND(p, end, " [");
        if (!lb || end[-1] != ']')
            return WHY_5X;
        e->kind = MSL_EV_CONNECT;
        e->client_host = scan_sv(p, lb);
        struct msl_str ip = scan_sv(lb + 2, end - 1);
        if (!(ip.n == 5 && memcmp(ip.p, "local", 5) == 0))
            e->client_ip = ip;
        return NULL;
    }
    if (SCAN_LIT(&p, end, "Accepted message ")) {
        if (!hex_run(p, end, 8))
            return WHY_5X;
        e->qid = scan_sv(p, p + 8);
        if (!(s = find_session(p + 8, end, e)) || !SCAN_LIT(&s, end, ": "))
            return WHY_5X;
        struct os_f f;
        field_init(&f);
        kv5(s, end, &f);
        e->kind = MSL_EV_RECEIVED;
        e->from = f.from;
        e->to = f.to;
        e->size = f.size;
        e->nrcpt = f.nrcpt;
        e->proto = f.proto;
        return NULL;
    }
    int ok = SCAN_STARTS(p, end, "Accepted authentication for user ");
    if (ok || SCAN_STARTS(p, end, "Authentication failed for user ") ||
        SCAN_STARTS(p, end, "Authentication temporarily failed for user ")) {
        const char *u = SCAN_FIND(p, end, " user ") + 6;
        const char *on = SCAN_RFIND(u, end, " on session ");
        if (!on || !find_session(on, end, e))
            return WHY_5X;
        e->kind = ok ? MSL_EV_AUTH_OK : MSL_EV_AUTH_FAIL;
        e->sasl_user = scan_sv(u, on);
        if (!ok)
            e->text = p[15] == 't' ? MSL_STR_LIT("tempfail") : MSL_STR_LIT("permfail");
        return NULL;
    }
    if (SCAN_LIT(&p, end, "Started TLS on ")) {
        if (!(s = find_session(p, end, e)) || !SCAN_LIT(&s, end, ": "))
            return WHY_5X;
        struct os_f f;
        field_init(&f);
        kv5(s, end, &f);
        e->kind = MSL_EV_TLS;
        ciphers(&f, e);
        return NULL;
    }
    if (SCAN_LIT(&p, end, "Failed command on ")) {
        if (!(s = find_session(p, end, e)) || !SCAN_LIT(&s, end, ": \""))
            return WHY_5X;
        const char *arrow = SCAN_RFIND(s, end, "\" => ");
        if (!arrow)
            return WHY_5X;
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        command(scan_sv(s, arrow), e);
        e->text = scan_sv(arrow + 5, end);
        reply(e->text, e);
        return NULL;
    }
    if (SCAN_STARTS(p, end, "Closing session ") ||
        SCAN_STARTS(p, end, "Received disconnect from session ") ||
        SCAN_STARTS(p, end, "Disconnecting session ")) {
        char c = *p;
        if (!(s = find_session(p, end, e)))
            return WHY_5X;
        e->kind = MSL_EV_DISCONNECT;
        e->detail = MSL_STR_NULL;
        if (SCAN_LIT(&s, end, ": "))
            e->text = scan_sv(s, end);
        else if (c == 'R')
            e->text = MSL_STR_LIT("disconnect");
        return NULL;
    }
    return WHY_5X;
}

/* "smtp-out: ..." (5.x) */
static const char *smtp_out(const char *p, const char *end, struct msl_event *e)
{
    e->daemon = MSL_STR_LIT("mta");
    const char *s;
    if (SCAN_LIT(&p, end, "Connecting to ")) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp || !find_session(sp, end, e))
            return WHY_5X;
        relay(scan_sv(p, sp), e);
        if (sp + 2 < end && sp[1] == '(') {
            const char *rp = memchr(sp, ')', (size_t)(end - sp));
            if (rp)
                e->relay_host = scan_sv(sp + 2, rp);
        }
        e->kind = MSL_EV_INFO;
        e->text = MSL_STR_LIT("connecting");
        return NULL;
    }
    if (SCAN_STARTS(p, end, "Connected on session ")) {
        if (!find_session(p, end, e))
            return WHY_5X;
        e->kind = MSL_EV_INFO;
        e->text = MSL_STR_LIT("connected");
        return NULL;
    }
    if (SCAN_STARTS(p, end, "Error on session ")) {
        if (!(s = find_session(p, end, e)) || !SCAN_LIT(&s, end, ": "))
            return WHY_5X;
        e->kind = MSL_EV_CONN_FAIL;
        e->text = scan_sv(s, end);
        return NULL;
    }
    /* free-text warnings ("smtp-out: Disabling route ...") */
    e->kind = MSL_EV_WARNING;
    e->severity = MSL_SEV_WARNING;
    e->text = scan_sv(p, end);
    return NULL;
}

/* "delivery: Ok for <evpid>: ..." / "relay: TempFail for <evpid>: session=.., ..." (5.x) */
static const char *old_delivery(const char *p, const char *end, struct msl_event *e, int mda)
{
    const char *r = p;
    while (p < end && *p != ' ')
        p++;
    struct msl_str res = scan_sv(r, p);
    if (!SCAN_LIT(&p, end, " for ") || !hex_run(p, end, 16) || !SCAN_STARTS(p + 16, end, ": "))
        return WHY_5X;
    struct os_f f;
    field_init(&f);
    f.evpid = scan_sv(p, p + 16);
    kv5(p + 18, end, &f);
    f.result = res;
    e->daemon = mda ? MSL_STR_LIT("mda") : MSL_STR_LIT("mta");
    if (f.session.p && hex_run(f.session.p, f.session.p + f.session.n, 16))
        set_session(e, f.session.p);
    delivery(&f, e, mda);
    if (e->status == MSL_ST_OTHER)
        return WHY_5X;
    return NULL;
}

static int os_claims(struct msl_str prog)
{
    return (prog.n == 5 && memcmp(prog.p, "smtpd", 5) == 0) ||
           (prog.n == 8 && memcmp(prog.p, "transfer", 8) == 0);
}

static int os_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("opensmtpd");
    if (!env->msg.p || !env->msg.n) {
        *why = WHY_SHAPE;
        return 0;
    }
    const char *p = env->msg.p, *end = p + env->msg.n;
    const char *w;
    if (SCAN_LIT(&p, end, "smtp-in: "))
        w = smtp_in(p, end, e);
    else if (SCAN_LIT(&p, end, "smtp-out: "))
        w = smtp_out(p, end, e);
    else if (SCAN_LIT(&p, end, "delivery: "))
        w = old_delivery(p, end, e, 1);
    else if (SCAN_LIT(&p, end, "relay: "))
        w = old_delivery(p, end, e, 0);
    else if (SCAN_LIT(&p, end, "warn: ")) {
        e->kind = MSL_EV_WARNING;
        e->severity = MSL_SEV_WARNING;
        e->text = scan_sv(p, end);
        w = NULL;
    } else if (SCAN_LIT(&p, end, "info: ")) {
        e->kind = SCAN_STARTS(p, end, "OpenSMTPD ") ? MSL_EV_DAEMON : MSL_EV_INFO;
        e->text = scan_sv(p, end);
        w = NULL;
    } else if (end - p == 7 && memcmp(p, "Exiting", 7) == 0) { /* the parent process stops */
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        w = NULL;
    } else
        w = gen6(p, end, e);
    if (w) {
        *why = w;
        return 0;
    }
    if (!e->daemon.n)
        e->daemon = env->program;
    return 1;
}

const struct msl_dialect msl_dialect_opensmtpd = {
    .name = "opensmtpd",
    .mta = "opensmtpd",
    .caps = MSL_MTA_NO_END_LINE | MSL_MTA_TRANSACTIONS,
    .claims = os_claims,
    .parse = os_parse,
};
