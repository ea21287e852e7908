/*
 * format_m365.c - Microsoft 365 / Exchange Online message trace exports
 * (/work/shared/FORMATS.md section 3), one event per row:
 *   - Get-MessageTrace(V2) CSV (Export-Csv): Received, SenderAddress, RecipientAddress,
 *     Subject, Status, ToIP, FromIP, Size, MessageId, MessageTraceId, Organization ...
 *     (PowerShell's "#TYPE ..." first line is a header line);
 *   - Get-MessageTraceDetail(V2) CSV: Date, Event, Action, Detail, Data (+ ids, addresses);
 *   - historical search reports: Extended (the tracking fields with underscores:
 *     date_time_utc, event_id, recipient_address (';' list), network_message_id ...) and
 *     Enhanced summary (origin_timestamp_utc, sender_address, recipient_status
 *     "addr##Receive, Send;addr2##Receive, Fail", message_id, network_message_id ...);
 *   - the same records as JSON objects, one per line (Reporting Web Service / Graph), keys
 *     as the CSV columns.
 * Columns are found by name in the header row (case, '_', '-' and blanks ignored; aliases in
 * the table below), so column order and extra columns do not matter; a header row seen again
 * (concatenated exports) replaces the map.
 *
 * Times without a zone are UTC (Microsoft serializes Received without "Z"); US-locale
 * "M/D/YYYY h:mm:ss AM|PM" from Export-Csv is accepted as UTC too.
 *
 * Mapping (host "exchange-online", mta "exchange", program "message-trace", pid -1,
 * qid = MessageTraceId (or network_message_id), msgid = MessageId without <>, from =
 * SenderAddress, to = RecipientAddress, size, client_ip = FromIP, relay_ip = ToIP,
 * detail = the status or event value, text = Detail or the status):
 *   Delivered / Deliver / Send -> DELIVERY sent      Failed / Fail -> DELIVERY bounced
 *   Pending / Defer            -> DELIVERY deferred  Drop          -> DELIVERY discarded
 *   Quarantined                -> REJECT action hold, status held
 *   FilteredAsSpam / Spam      -> REJECT action filter
 *   Receive(d)                 -> RECEIVED           DSN           -> DSN_CREATED
 *   Expanded, Resolved, anything else -> INFO (detail = the value; nothing is dropped)
 * A ';' recipient list gives one event per recipient (the enhanced summary's status is the
 * last event listed for that recipient).
 */
#include <stdlib.h>
#include <string.h>

#include "dialect/csv_fields.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/calendar.h"
#include "util/json_unesc.h"

enum mcol {
    M_DATE,
    M_SENDER,
    M_RCPT,
    M_STATUS,
    M_TOIP,
    M_FROMIP,
    M_SIZE,
    M_MSGID,
    M_TRACEID,
    M_EVENT,
    M_DETAIL,
    M_RSTATUS,
    M_SERVER_HOST,
    M_CLIENT_HOST,
    M_CONNECTOR,
    M__COUNT
};

/* Normalized names (lower case, no '_', '-', ' '), '|'-separated aliases. */
static const char *const mcol_names[M__COUNT] = {
    "received|date|datetime|datetimeutc|origintimestamputc|origintimestamp|receiveddatetime",
    "senderaddress|sender",
    "recipientaddress|recipient",
    "status|deliverystatus",
    "toip",
    "fromip|originalclientip|clientip",
    "size|totalbytes",
    "messageid",
    "messagetraceid|networkmessageid",
    "event|eventid",
    "detail|description",
    "recipientstatus",
    "serverhostname",
    "clienthostname",
    "connectorid",
};

struct m365_state {
    int idx[M__COUNT];
    int have_header;
    struct csv_scratch s;
    struct msl_str f[CSV_MAX_FIELDS];
    struct msl_str j[M__COUNT]; /* JSON rows: values by column */
};

/* Normalizes a header name into out (lower case, no separators); returns its length. */
static size_t norm_name(struct msl_str a, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < a.n && k + 1 < cap; i++) {
        char c = a.p[i];
        if (c == '_' || c == '-' || c == ' ' || c == '"')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        out[k++] = c;
    }
    out[k] = '\0';
    return k;
}

/* The column a header name stands for, or -1. */
static int column_of(struct msl_str name)
{
    char nm[48];
    if (name.n >= sizeof nm)
        return -1;
    size_t n = norm_name(name, nm, sizeof nm);
    if (n == 0)
        return -1;
    for (int c = 0; c < M__COUNT; c++) {
        const char *a = mcol_names[c];
        while (*a) {
            const char *e = strchr(a, '|');
            size_t an = e ? (size_t)(e - a) : strlen(a);
            if (an == n && memcmp(a, nm, n) == 0)
                return c;
            a += an + (e ? 1 : 0);
        }
    }
    return -1;
}

/* A header row: a date column and a recipient/sender/status column, no stamp. */
static int header_map(const struct msl_str *f, size_t nf, int *idx)
{
    int tmp[M__COUNT];
    for (int c = 0; c < M__COUNT; c++)
        tmp[c] = -1;
    for (size_t i = 0; i < nf; i++) {
        int c = column_of(csv_trim(f[i]));
        if (c >= 0 && tmp[c] < 0)
            tmp[c] = (int)i;
    }
    if (tmp[M_DATE] < 0 || (tmp[M_RCPT] < 0 && tmp[M_SENDER] < 0 && tmp[M_RSTATUS] < 0))
        return 0;
    if (tmp[M_STATUS] < 0 && tmp[M_EVENT] < 0 && tmp[M_RSTATUS] < 0)
        return 0;
    if (idx)
        memcpy(idx, tmp, sizeof tmp);
    return 1;
}

static void *m_open(const struct msl_format_src *src)
{
    (void)src;
    struct m365_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    for (int c = 0; c < M__COUNT; c++)
        st->idx[c] = -1;
    return st;
}

static void m_close(void *p)
{
    struct m365_state *st = p;
    if (!st)
        return;
    csv_scratch_free(&st->s);
    free(st);
}

static struct msl_str opt(struct msl_str s)
{
    s = csv_trim(s);
    return s.n ? s : MSL_STR_NULL;
}

static struct msl_str strip_angle(struct msl_str s)
{
    s = csv_trim(s);
    if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>')
        return (struct msl_str){s.p + 1, s.n - 2};
    return s.n ? s : MSL_STR_NULL;
}

/* The first "lit" in s, or NULL. */
static const char *find_lit(struct msl_str s, const char *lit)
{
    size_t n = strlen(lit);
    for (size_t i = 0; n && n <= s.n && i + n <= s.n; i++)
        if (s.p[i] == lit[0] && memcmp(s.p + i, lit, n) == 0)
            return s.p + i;
    return NULL;
}

/* ---- JSON (one flat object per line) ----------------------------------------------------- */

/*
 * A JSON string at *pp (after its opening quote): decoded into d (which has room for the
 * raw length), *pp moves past the closing quote.  Returns the decoded length, or -1.
 */
static long json_string(const char **pp, const char *end, char *d)
{
    const char *p = *pp;
    size_t k = 0;
    while (p < end && *p != '"') {
        if (*p != '\\') {
            d[k++] = *p++;
            continue;
        }
        if (++p >= end)
            return -1;
        char c = *p++;
        switch (c) {
        case 'n': d[k++] = '\n'; break;
        case 't': d[k++] = '\t'; break;
        case 'r': d[k++] = '\r'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'u': {
            size_t used;
            int w = json_unesc_u(p, end, d + k, &used);
            if (w < 0)
                return -1;
            k += (size_t)w;
            p += used;
            break;
        }
        default: d[k++] = c; break;
        }
    }
    if (p >= end)
        return -1;
    *pp = p + 1;
    return (long)k;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Fills st->j from a flat JSON object; nested values are skipped.  0 = ok. */
static int json_row(struct m365_state *st, struct msl_str line)
{
    for (int c = 0; c < M__COUNT; c++)
        st->j[c] = MSL_STR_NULL;
    if (line.n > ((size_t)-1) / 2)
        return -1;
    /* reserve: a decoded value is never longer than its raw text */
    struct csv_scratch *s = &st->s;
    if (s->cap < line.n + 1) {
        char *np = realloc(s->p, line.n + 1);
        if (!np)
            return -1;
        s->p = np;
        s->cap = line.n + 1;
    }
    size_t used = 0;
    const char *p = skip_ws(line.p, line.p + line.n), *end = line.p + line.n;
    if (p >= end || *p != '{')
        return -1;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return 0;
        if (p >= end || *p != '"')
            return -1;
        p++;
        char *kd = s->p + used;
        long kn = json_string(&p, end, kd);
        if (kn < 0)
            return -1;
        int c = column_of((struct msl_str){kd, (size_t)kn});
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return -1;
        p = skip_ws(p + 1, end);
        if (p >= end)
            return -1;
        struct msl_str v;
        if (*p == '"') {
            p++;
            char *vd = s->p + used;
            long vn = json_string(&p, end, vd);
            if (vn < 0)
                return -1;
            v = (struct msl_str){vd, (size_t)vn};
            used += (size_t)vn;
        } else if (*p == '{' || *p == '[') {
            int depth = 0, instr = 0;
            const char *q = p;
            for (; q < end; q++) {
                if (instr) {
                    if (*q == '\\')
                        q++;
                    else if (*q == '"')
                        instr = 0;
                } else if (*q == '"') {
                    instr = 1;
                } else if (*q == '{' || *q == '[') {
                    depth++;
                } else if ((*q == '}' || *q == ']') && --depth == 0) {
                    q++;
                    break;
                }
            }
            v = MSL_STR_NULL;
            p = q;
        } else {
            const char *q = p;
            while (q < end && *q != ',' && *q != '}')
                q++;
            v = csv_trim((struct msl_str){p, (size_t)(q - p)});
            if (csv_ieq(v, "null"))
                v = MSL_STR_NULL;
            p = q;
        }
        if (c >= 0 && !st->j[c].n)
            st->j[c] = v;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return 0;
        return -1;
    }
}

/* ---- times ------------------------------------------------------------------------------- */

static int num_at(struct msl_str s, size_t *i, int maxd, int *v)
{
    int d = 0, x = 0;
    while (*i < s.n && d < maxd && s.p[*i] >= '0' && s.p[*i] <= '9') {
        x = x * 10 + (s.p[*i] - '0');
        (*i)++;
        d++;
    }
    *v = x;
    return d > 0;
}

/* "9/5/2022 6:10:13 PM" (Export-Csv, en-US) -> UTC us. */
static int us_time(struct msl_str s, int64_t *us)
{
    s = csv_trim(s);
    size_t i = 0;
    int mo, d, y, h, mi, se = 0;
    if (!num_at(s, &i, 2, &mo) || i >= s.n || s.p[i++] != '/' || !num_at(s, &i, 2, &d) ||
        i >= s.n || s.p[i++] != '/' || !num_at(s, &i, 4, &y) || i >= s.n || s.p[i++] != ' ' ||
        !num_at(s, &i, 2, &h) || i >= s.n || s.p[i++] != ':' || !num_at(s, &i, 2, &mi))
        return -1;
    if (i < s.n && s.p[i] == ':') {
        i++;
        if (!num_at(s, &i, 2, &se))
            return -1;
    }
    struct msl_str rest = csv_trim((struct msl_str){s.p + i, s.n - i});
    if (csv_ieq(rest, "PM")) {
        if (h < 12)
            h += 12;
    } else if (csv_ieq(rest, "AM")) {
        if (h == 12)
            h = 0;
    } else if (rest.n) {
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *us = ((msl_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + se) * 1000000LL;
    return 0;
}

static int any_time(struct msl_str s, int64_t *us)
{
    return csv_time(s, us) == 0 || us_time(s, us) == 0 ? 0 : -1;
}

/* ---- rows -> events ---------------------------------------------------------------------- */

/* Sets kind/status/action for a status or event word. */
static void classify(struct msl_str w, struct msl_event *e)
{
    w = csv_trim(w);
    char nm[32];
    size_t n = w.n < sizeof nm ? norm_name(w, nm, sizeof nm) : 0;
    struct msl_str x = {nm, n};
    e->kind = MSL_EV_DELIVERY;
    e->status = MSL_ST_NONE;
    if (csv_ieq(x, "delivered") || csv_ieq(x, "deliver")) {
        e->status = MSL_ST_SENT;
        e->flags |= MSL_EVF_LOCAL; /* into a mailbox of the tenant */
    } else if (csv_ieq(x, "send") || csv_ieq(x, "sendexternal"))
        e->status = MSL_ST_SENT;
    else if (csv_ieq(x, "failed") || csv_ieq(x, "fail"))
        e->status = MSL_ST_BOUNCED;
    else if (csv_ieq(x, "pending") || csv_ieq(x, "defer") || csv_ieq(x, "deferred"))
        e->status = MSL_ST_DEFERRED;
    else if (csv_ieq(x, "drop"))
        e->status = MSL_ST_DISCARDED;
    else if (csv_ieq(x, "quarantined") || csv_ieq(x, "quarantine")) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_HOLD;
        e->status = MSL_ST_HELD;
    } else if (csv_ieq(x, "filteredasspam") || csv_ieq(x, "spam")) {
        e->kind = MSL_EV_REJECT;
        e->action = MSL_ACT_FILTER;
    } else if (csv_ieq(x, "received") || csv_ieq(x, "receive")) {
        e->kind = MSL_EV_RECEIVED;
    } else if (csv_ieq(x, "dsn")) {
        e->kind = MSL_EV_DSN_CREATED;
    } else {
        e->kind = MSL_EV_INFO;
    }
}

/* The last event of "Receive, Send" (enhanced summary). */
static struct msl_str last_word(struct msl_str s)
{
    struct msl_str it, last = MSL_STR_NULL;
    while (csv_next_item(&s, ',', &it))
        if (csv_trim(it).n)
            last = csv_trim(it);
    return last;
}

static int emit_row(struct msl_event *base, struct msl_str rcpts, struct msl_str word,
                    struct msl_str rstatus, const struct msl_emitter *em)
{
    int n = 0;
    if (rstatus.n && find_lit(rstatus, "##")) {
        struct msl_str item, rest = rstatus;
        while (csv_next_item(&rest, ';', &item)) {
            const char *h = find_lit(item, "##");
            struct msl_event e = *base;
            struct msl_str evs = MSL_STR_NULL;
            e.to = strip_angle(item);
            if (h) {
                e.to = strip_angle((struct msl_str){item.p, (size_t)(h - item.p)});
                evs = (struct msl_str){h + 2, item.n - (size_t)(h + 2 - item.p)};
            }
            struct msl_str w = last_word(evs);
            classify(w, &e);
            e.detail = opt(w);
            e.text = opt(evs);
            if (em->emit(em->ctx, &e))
                return -1;
            n++;
        }
        if (n)
            return n;
    }
    struct msl_event e0 = *base;
    classify(word, &e0);
    e0.detail = opt(word);
    if (!e0.text.n)
        e0.text = opt(word);
    if (e0.kind == MSL_EV_RECEIVED || e0.kind == MSL_EV_DSN_CREATED ||
        e0.kind == MSL_EV_INFO) {
        e0.to = strip_angle(rcpts);
        return em->emit(em->ctx, &e0) ? -1 : 1;
    }
    struct msl_str r, rest = rcpts;
    while (csv_next_item(&rest, ';', &r)) {
        struct msl_event e = e0;
        e.to = strip_angle(r);
        if (em->emit(em->ctx, &e))
            return -1;
        n++;
    }
    if (n == 0)
        return em->emit(em->ctx, &e0) ? -1 : 1;
    return n;
}

static int m_line(void *p, const struct msl_line *ln, const struct msl_emitter *em,
                  const char **why)
{
    struct m365_state *st = p;
    *why = NULL;
    struct msl_str line = csv_trim(csv_strip_bom((struct msl_str){ln->p, ln->n}));
    if (line.n == 0) {
        *why = "empty line";
        return 0;
    }
    if (line.p[0] == '#')
        return 0; /* "#TYPE Deserialized.Microsoft..." from Export-Csv */
    struct msl_str v[M__COUNT];
    if (line.p[0] == '{') {
        if (json_row(st, line) != 0) {
            *why = "m365-trace: malformed JSON record";
            return 0;
        }
        memcpy(v, st->j, sizeof v);
    } else {
        size_t total = 0;
        size_t nf = csv_split(line.p, line.n, ',', st->f, CSV_MAX_FIELDS, &st->s, &total);
        if (nf == 0) {
            *why = "m365-trace: out of memory";
            return 0;
        }
        int64_t ts;
        if (header_map(st->f, nf, NULL) && any_time(st->f[0], &ts) != 0) {
            header_map(st->f, nf, st->idx);
            st->have_header = 1;
            return 0;
        }
        if (!st->have_header) {
            *why = "m365-trace: neither a JSON record nor a row under a CSV header";
            return 0;
        }
        for (int c = 0; c < M__COUNT; c++)
            v[c] = st->idx[c] >= 0 && (size_t)st->idx[c] < nf ? st->f[st->idx[c]]
                                                              : MSL_STR_NULL;
    }
    struct msl_event e;
    msl_event_clear(&e);
    if (any_time(v[M_DATE], &e.ts) != 0) {
        *why = "m365-trace: no time stamp";
        return 0;
    }
    struct msl_str word = v[M_EVENT].n ? v[M_EVENT] : v[M_STATUS];
    if (!csv_trim(word).n && !csv_trim(v[M_RSTATUS]).n) {
        *why = "m365-trace: no status or event";
        return 0;
    }
    e.host = MSL_STR_LIT("exchange-online");
    e.mta = MSL_STR_LIT("exchange");
    e.mta_caps = msl_format_m365_trace.caps;
    e.program = MSL_STR_LIT("message-trace");
    e.daemon = e.program;
    e.service = opt(v[M_CONNECTOR]);
    e.qid = opt(v[M_TRACEID]);
    e.msgid = strip_angle(v[M_MSGID]);
    struct msl_str from = csv_trim(v[M_SENDER]);
    if (from.n)
        e.from = strip_angle(from);
    e.size = csv_num(v[M_SIZE]);
    e.client_ip = opt(v[M_FROMIP]);
    e.client_host = opt(v[M_CLIENT_HOST]);
    e.relay_ip = opt(v[M_TOIP]);
    e.relay_host = opt(v[M_SERVER_HOST]);
    e.text = opt(v[M_DETAIL]);
    struct msl_str rst = csv_trim(v[M_RSTATUS]);
    if (rst.n && !find_lit(rst, "##")) {
        csv_reply_code(rst, &e.code, &e.dsn);
        if (!e.text.n)
            e.text = rst;
        rst = MSL_STR_NULL;
    }
    return emit_row(&e, csv_trim(v[M_RCPT]), csv_trim(word), rst, em);
}

static int m_detect(const struct msl_str *lines, size_t n)
{
    struct csv_scratch s = {0};
    struct msl_str f[CSV_MAX_FIELDS];
    size_t rows = 0, json = 0;
    int score = 0;
    for (size_t i = 0; i < n && !score; i++) {
        struct msl_str l = csv_trim(csv_strip_bom(lines[i]));
        if (l.n == 0 || l.p[0] == '#')
            continue;
        rows++;
        if (l.p[0] == '{') {
            if (find_lit(l, "\"MessageTraceId\"") ||
                (find_lit(l, "\"RecipientAddress\"") &&
                 find_lit(l, "\"SenderAddress\"")))
                json++;
            continue;
        }
        size_t total = 0;
        size_t nf = csv_split(l.p, l.n, ',', f, CSV_MAX_FIELDS, &s, &total);
        int64_t ts;
        if (nf && header_map(f, nf, NULL) && any_time(f[0], &ts) != 0)
            score = 95;
    }
    csv_scratch_free(&s);
    if (score)
        return score;
    if (json && json * 4 >= rows)
        return 70 + (int)(json * 25 / rows);
    return 0;
}

const struct msl_format msl_format_m365_trace = {
    .name = "m365-trace",
    .mta = "exchange",
    .caps = MSL_MTA_NO_END_LINE | MSL_MTA_TRANSACTIONS | MSL_MTA_TRACKING,
    .description = "Microsoft 365 message trace export (Get-MessageTrace(Detail) CSV, "
                   "historical search reports, JSON records)",
    .detect = m_detect,
    .open = m_open,
    .close = m_close,
    .line = m_line,
};
