/*
 * format_exchange_smtp.c - Microsoft Exchange SMTP protocol logs (RECV*.LOG, SEND*.LOG):
 * W3C-style CSV, "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,
 * remote-endpoint,event,data,context" (/work/shared/FORMATS.md section 2).
 *
 * Every row is one protocol step of one session; sessions interleave.  A small per-source
 * map keyed by session-id remembers each live session's last client command, AUTH mechanism
 * and user, and whether this AUTH attempt's failure was already reported (Exchange logs a
 * failure as "Inbound AUTH LOGIN failed because of ..." and/or a 535 reply: one AUTH_FAIL
 * per attempt).  The map forgets a session at its "-" row and is emptied when it reaches
 * MAX_SESSIONS (a log cut in the middle of sessions cannot grow it without bound).
 *
 * Sessions are keyed by session-id, not by a pid: events carry pid -1, detail = the
 * session-id (16 hex digits), count = the sequence-number, program "SMTP-RECV" / "SMTP-SEND"
 * (from #Log-type; SEND also when the local endpoint is empty, and without a header when the
 * connector name says "Send Connector"), service = connector-id, host = the server part of a
 * "SERVER\Connector" connector-id (else the last such server seen in this source).
 * RECV: remote-endpoint = client_ip/client_port; SEND: remote-endpoint = relay_ip/port.
 *
 *   "+"                                    -> CONNECT
 *   "-"                                    -> DISCONNECT (text = data/context)
 *   "*" "TLS protocol X negotiation succeeded using bulk encryption algorithm Y"
 *                                          -> TLS (tls = X, tls_cipher = Y)
 *   "*" "Inbound AUTH M failed because of R" -> AUTH_FAIL (sasl_method = M)
 *   ">" 535 / 5.7.x reply to AUTH         -> AUTH_FAIL (unless already reported)
 *   ">" 235 reply                          -> AUTH_OK (sasl_user when known)
 *   ">" 4xx/5xx reply to MAIL/RCPT/DATA... -> REJECT (stage = the command, code, dsn)
 *   "*" "Failed to connect. ..."           -> CONN_FAIL
 *   anything else well formed              -> INFO (stage = the command, helo for EHLO/HELO,
 *                                             from/to for MAIL FROM/RCPT TO, sasl_user for
 *                                             "User Name: u")
 * Unknown event characters are INFO too: nothing is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "dialect/csv_fields.h"
#include "mailsleuth/mailsleuth.h"
#include "util/strmap.h"

#define MAX_SESSIONS 4096

enum { F_DATE, F_CONNECTOR, F_SESSION, F_SEQ, F_LOCAL, F_REMOTE, F_EVENT, F_DATA, F_CONTEXT,
       F__COUNT };

static const char *const field_names[F__COUNT] = {
    "date-time", "connector-id", "session-id", "sequence-number", "local-endpoint",
    "remote-endpoint", "event", "data", "context",
};

struct sess {
    char cmd[16];     /* last client command verb: "MAIL", "RCPT", "AUTH" ... */
    char method[24];  /* AUTH mechanism */
    char user[128];   /* "User Name:" */
    char arg[256];    /* last MAIL FROM / RCPT TO address */
    int auth_reported;
};

struct smtp_state {
    int idx[F__COUNT];
    int log_type; /* 0 unknown, 1 receive, 2 send */
    char host[128];
    size_t host_n;
    struct strmap *sessions;
    struct csv_scratch s;
    struct msl_str f[CSV_MAX_FIELDS];
};

static void default_map(struct smtp_state *st)
{
    for (int i = 0; i < F__COUNT; i++)
        st->idx[i] = i;
}

static void set_map(struct smtp_state *st, struct msl_str list)
{
    for (int i = 0; i < F__COUNT; i++)
        st->idx[i] = -1;
    struct msl_str item, rest = list;
    int i = 0;
    while (csv_next_item(&rest, ',', &item)) {
        item = csv_trim(item);
        for (int c = 0; c < F__COUNT; c++)
            if (st->idx[c] < 0 && csv_ieq(item, field_names[c]))
                st->idx[c] = i;
        i++;
    }
}

static void *sm_open(const struct msl_format_src *src)
{
    (void)src;
    struct smtp_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->sessions = strmap_new(sizeof(struct sess));
    if (!st->sessions) {
        free(st);
        return NULL;
    }
    default_map(st);
    return st;
}

static void sm_close(void *p)
{
    struct smtp_state *st = p;
    if (!st)
        return;
    strmap_free(st->sessions);
    csv_scratch_free(&st->s);
    free(st);
}

static struct msl_str fld(const struct smtp_state *st, size_t nf, int c)
{
    int i = st->idx[c];
    if (i < 0 || (size_t)i >= nf)
        return MSL_STR_NULL;
    return st->f[i];
}

static struct msl_str opt(struct msl_str s)
{
    s = csv_trim(s);
    return s.n ? s : MSL_STR_NULL;
}

static void copy_view(char *dst, size_t cap, struct msl_str s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static struct msl_str cstr(const char *s)
{
    size_t n = strlen(s);
    return n ? (struct msl_str){s, n} : MSL_STR_NULL;
}

static int find(struct msl_str s, const char *lit, size_t *at)
{
    size_t n = strlen(lit);
    for (size_t i = 0; n <= s.n && i + n <= s.n; i++)
        if (csv_ieq((struct msl_str){s.p + i, n}, lit)) {
            *at = i;
            return 1;
        }
    return 0;
}

/* "ip:port" or "[v6]:port" or "v6:port" -> ip, port (-1 when absent). */
static void endpoint(struct msl_str s, struct msl_str *ip, int32_t *port)
{
    s = csv_trim(s);
    *ip = MSL_STR_NULL;
    *port = -1;
    if (s.n == 0)
        return;
    size_t c = s.n;
    while (c > 0 && s.p[c - 1] != ':')
        c--;
    if (c == 0) {
        *ip = s;
        return;
    }
    long long v = csv_num((struct msl_str){s.p + c, s.n - c});
    if (v < 0 || v > 65535) {
        *ip = s;
        return;
    }
    *port = (int32_t)v;
    struct msl_str h = {s.p, c - 1};
    if (h.n >= 2 && h.p[0] == '[' && h.p[h.n - 1] == ']')
        h = (struct msl_str){h.p + 1, h.n - 2};
    *ip = h.n ? h : MSL_STR_NULL;
}

/* First word of s (up to a blank or ':'), for command verbs. */
static struct msl_str verb(struct msl_str s)
{
    s = csv_trim(s);
    size_t i = 0;
    while (i < s.n && s.p[i] != ' ' && s.p[i] != ':')
        i++;
    return (struct msl_str){s.p, i};
}

/* "MAIL FROM:<a@b> SIZE=1" -> a@b */
static struct msl_str angle_arg(struct msl_str s)
{
    const char *lt = s.n ? memchr(s.p, '<', s.n) : NULL;
    if (!lt)
        return MSL_STR_NULL;
    size_t off = (size_t)(lt - s.p) + 1;
    const char *gt = memchr(lt + 1, '>', s.n - off);
    if (!gt)
        return MSL_STR_NULL;
    return (struct msl_str){lt + 1, (size_t)(gt - lt - 1)};
}

static struct sess *session(struct smtp_state *st, struct msl_str id)
{
    if (id.n == 0)
        return NULL;
    if (strmap_len(st->sessions) >= MAX_SESSIONS && !strmap_find(st->sessions, id.p, id.n)) {
        struct strmap *m = strmap_new(sizeof(struct sess));
        if (m) {
            strmap_free(st->sessions);
            st->sessions = m;
        }
    }
    return strmap_get(st->sessions, id.p, id.n, NULL);
}

/* A client command ("<" row): remembers it and fills helo/from/to/method. */
static void client_cmd(struct sess *ss, struct msl_str data, struct msl_event *e)
{
    struct msl_str v = verb(data);
    e->stage = v.n ? v : MSL_STR_NULL;
    if (csv_ieq(v, "EHLO") || csv_ieq(v, "HELO")) {
        e->helo = opt((struct msl_str){v.p + v.n, data.n - (size_t)(v.p + v.n - data.p)});
    } else if (csv_ieq(v, "MAIL")) {
        e->from = angle_arg(data);
    } else if (csv_ieq(v, "RCPT")) {
        e->to = angle_arg(data);
    } else if (csv_ieq(v, "AUTH")) {
        struct msl_str rest = csv_trim((struct msl_str){v.p + v.n,
                                                        data.n - (size_t)(v.p + v.n - data.p)});
        e->sasl_method = opt(verb(rest));
        if (ss) {
            copy_view(ss->method, sizeof ss->method, verb(rest));
            ss->auth_reported = 0;
        }
    }
    if (ss && v.n) {
        copy_view(ss->cmd, sizeof ss->cmd, v);
        if (e->from.n || e->to.n)
            copy_view(ss->arg, sizeof ss->arg, e->from.n ? e->from : e->to);
    }
}

/* A server reply (">" row). */
static void server_reply(struct sess *ss, struct msl_str data, struct msl_event *e)
{
    csv_reply_code(data, &e->code, &e->dsn);
    e->text = opt(data);
    if (!e->code.n)
        return;
    char c0 = e->code.p[0];
    int auth = ss && strcmp(ss->cmd, "AUTH") == 0;
    if (ss && ss->cmd[0])
        e->stage = cstr(ss->cmd);
    if (e->code.n == 3 && memcmp(e->code.p, "235", 3) == 0) {
        e->kind = MSL_EV_AUTH_OK;
        if (ss) {
            e->sasl_method = cstr(ss->method);
            e->sasl_user = cstr(ss->user);
        }
        return;
    }
    if (memcmp(e->code.p, "535", 3) == 0 ||
        (auth && (c0 == '5' || c0 == '4') && memcmp(e->code.p, "504", 3) != 0)) {
        if (ss && ss->auth_reported)
            return;
        e->kind = MSL_EV_AUTH_FAIL;
        if (ss) {
            e->sasl_method = cstr(ss->method);
            e->sasl_user = cstr(ss->user);
            ss->auth_reported = 1;
        }
        return;
    }
    if ((c0 == '4' || c0 == '5') && ss && ss->cmd[0] && strcmp(ss->cmd, "AUTH") != 0) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
        if (strcmp(ss->cmd, "MAIL") == 0)
            e->from = cstr(ss->arg);
        else if (strcmp(ss->cmd, "RCPT") == 0)
            e->to = cstr(ss->arg);
    } else if ((c0 == '4' || c0 == '5') && !auth) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_REJECT;
    }
}

/* An information ("*") row: data and context are both free text. */
static void info_row(struct sess *ss, struct msl_str data, struct msl_str context,
                     struct msl_event *e)
{
    struct msl_str t = context.n ? context : data;
    e->text = opt(t);
    size_t at;
    if (csv_iprefix(t, "TLS protocol ") && find(t, "negotiation succeeded", &at)) {
        e->kind = MSL_EV_TLS;
        e->tls = verb((struct msl_str){t.p + 13, t.n - 13});
        size_t b;
        if (find(t, "bulk encryption algorithm ", &b)) {
            size_t o = b + 26;
            e->tls_cipher = opt(verb((struct msl_str){t.p + o, t.n - o}));
        }
        return;
    }
    if (csv_iprefix(t, "Inbound AUTH ") && find(t, " failed", &at)) {
        e->stage = MSL_STR_LIT("AUTH");
        e->sasl_method = opt(verb((struct msl_str){t.p + 13, t.n - 13}));
        if (ss && ss->auth_reported) {
            e->kind = MSL_EV_INFO; /* the same attempt, logged again */
            return;
        }
        e->kind = MSL_EV_AUTH_FAIL;
        if (ss) {
            copy_view(ss->method, sizeof ss->method, e->sasl_method);
            e->sasl_user = cstr(ss->user);
            ss->auth_reported = 1;
        }
        return;
    }
    if (csv_iprefix(t, "User Name: ")) {
        e->sasl_user = opt((struct msl_str){t.p + 11, t.n - 11});
        if (ss)
            copy_view(ss->user, sizeof ss->user, e->sasl_user);
        return;
    }
    if (csv_iprefix(t, "Failed to connect")) {
        e->kind = MSL_EV_CONN_FAIL;
        return;
    }
}

static int sm_line(void *p, const struct msl_line *ln, const struct msl_emitter *em,
                   const char **why)
{
    struct smtp_state *st = p;
    *why = NULL;
    struct msl_str line = csv_strip_bom((struct msl_str){ln->p, ln->n});
    if (line.n == 0) {
        *why = "empty line";
        return 0;
    }
    if (line.p[0] == '#') {
        if (csv_iprefix(line, "#Fields:"))
            set_map(st, csv_trim((struct msl_str){line.p + 8, line.n - 8}));
        else if (csv_iprefix(line, "#Log-type: SMTP Receive"))
            st->log_type = 1;
        else if (csv_iprefix(line, "#Log-type: SMTP Send"))
            st->log_type = 2;
        return 0;
    }
    size_t total = 0;
    size_t nf = csv_split(line.p, line.n, ',', st->f, CSV_MAX_FIELDS, &st->s, &total);
    if (nf == 0) {
        *why = "exchange-smtp: out of memory";
        return 0;
    }
    struct msl_event e;
    msl_event_clear(&e);
    if (csv_time(fld(st, nf, F_DATE), &e.ts) != 0) {
        *why = "exchange-smtp: no date-time";
        return 0;
    }
    struct msl_str sid = csv_trim(fld(st, nf, F_SESSION));
    struct msl_str evc = csv_trim(fld(st, nf, F_EVENT));
    if (sid.n == 0 || evc.n == 0) {
        *why = "exchange-smtp: no session-id or event";
        return 0;
    }
    struct msl_str conn = opt(fld(st, nf, F_CONNECTOR));
    const char *bs = conn.n ? memchr(conn.p, '\\', conn.n) : NULL;
    if (bs && bs > conn.p) {
        copy_view(st->host, sizeof st->host, (struct msl_str){conn.p, (size_t)(bs - conn.p)});
        st->host_n = strlen(st->host);
    }
    struct msl_str local = csv_trim(fld(st, nf, F_LOCAL));
    /* a receive row always names the listening endpoint; send rows often have none */
    int send = st->log_type == 2 || local.n == 0;
    if (st->log_type == 0 && !send) {
        size_t at;
        send = find(conn, "Send Connector", &at);
    }
    e.kind = MSL_EV_INFO;
    e.mta = MSL_STR_LIT("exchange");
    e.mta_caps = msl_format_exchange_smtp.caps;
    e.program = send ? MSL_STR_LIT("SMTP-SEND") : MSL_STR_LIT("SMTP-RECV");
    e.daemon = e.program;
    e.service = conn;
    e.host = st->host_n ? (struct msl_str){st->host, st->host_n} : MSL_STR_NULL;
    e.detail = sid;
    e.count = csv_num(fld(st, nf, F_SEQ));
    struct msl_str ip;
    int32_t port;
    endpoint(fld(st, nf, F_REMOTE), &ip, &port);
    if (send) {
        e.relay_ip = ip;
        e.relay_port = port;
    } else {
        e.client_ip = ip;
        e.client_port = port;
    }
    struct msl_str data = csv_trim(fld(st, nf, F_DATA));
    struct msl_str context = csv_trim(fld(st, nf, F_CONTEXT));
    struct sess *ss = session(st, sid);
    int end_session = 0;
    switch (evc.n == 1 ? evc.p[0] : '?') {
    case '+':
        e.kind = MSL_EV_CONNECT;
        e.text = opt(context.n ? context : data);
        if (ss)
            memset(ss, 0, sizeof *ss);
        break;
    case '-':
        e.kind = MSL_EV_DISCONNECT;
        e.text = opt(context.n ? context : data);
        end_session = 1;
        break;
    case '<':
        client_cmd(ss, data, &e);
        e.text = opt(data);
        break;
    case '>':
        server_reply(ss, data, &e);
        break;
    case '*':
        info_row(ss, data, context, &e);
        break;
    default:
        e.text = opt(data.n ? data : context);
        e.stage = evc;
        break;
    }
    int r = em->emit(em->ctx, &e) ? -1 : 1;
    if (end_session)
        strmap_del(st->sessions, sid.p, sid.n);
    return r;
}

/* 16 hex digits (real session ids) or a GUID-like token. */
static int session_like(struct msl_str s)
{
    s = csv_trim(s);
    if (s.n < 8 || s.n > 40)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int sm_detect(const struct msl_str *lines, size_t n)
{
    struct csv_scratch s = {0};
    struct msl_str f[CSV_MAX_FIELDS];
    size_t rows = 0, good = 0;
    for (size_t i = 0; i < n; i++) {
        struct msl_str l = csv_strip_bom(lines[i]);
        if (l.n && l.p[0] == '#') {
            if (csv_iprefix(l, "#Log-type: SMTP Receive Protocol Log") ||
                csv_iprefix(l, "#Log-type: SMTP Send Protocol Log") ||
                csv_iprefix(l, "#Fields: date-time,connector-id,session-id,sequence-number")) {
                csv_scratch_free(&s);
                return 98;
            }
            continue;
        }
        if (l.n == 0)
            continue;
        rows++;
        size_t total = 0;
        size_t nf = csv_split(l.p, l.n, ',', f, CSV_MAX_FIELDS, &s, &total);
        int64_t ts;
        struct msl_str ev = nf > 6 ? csv_trim(f[6]) : MSL_STR_NULL;
        if (total == 9 && csv_time(f[0], &ts) == 0 && session_like(f[2]) &&
            csv_num(f[3]) >= 0 && ev.n == 1 && memchr("+-<>*", ev.p[0], 5))
            good++;
    }
    csv_scratch_free(&s);
    if (rows == 0 || good * 2 < rows)
        return 0;
    return 60 + (int)(good * 32 / rows);
}

const struct msl_format msl_format_exchange_smtp = {
    .name = "exchange-smtp",
    .mta = "exchange",
    .caps = MSL_MTA_NO_END_LINE | MSL_MTA_TRANSACTIONS | MSL_MTA_TRACKING,
    .description = "Microsoft Exchange SMTP protocol log (RECV*.LOG / SEND*.LOG, W3C CSV); "
                   "sessions keyed by session-id",
    .detect = sm_detect,
    .open = sm_open,
    .close = sm_close,
    .line = sm_line,
};
