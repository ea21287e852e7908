/*
 * format_exchange.c - Microsoft Exchange message tracking logs (MSGTRK*.LOG, 2007 .. 2019):
 * W3C-style CSV whose columns are named by the latest "#Fields:" header (doc/FORMATS.md
 * and /work/shared/FORMATS.md section 1).
 *
 * Per source the state holds the column map of the latest #Fields line; a header block that
 * reappears mid-file (service restart, new version) replaces it.  Rows seen before any
 * #Fields line use the standard field set whose column count matches (21 = 2007, 26 = 2010,
 * 27 = 2013, 30 = 2016/2019).  Other # lines (#Software, #Version, #Log-type, #Date) are
 * headers: no event, no error.  Fields are split by csv_fields.c (quotes, "" escapes, BOM).
 *
 * Mapping (mta "exchange", program = the source column (SMTP, STOREDRIVER ...) or "MSGTRK",
 * service = connector-id, pid -1, detail = event-id):
 *   host     = the logging server: client-hostname for SEND/SENDEXTERNAL (the server column
 *              is the next hop there), else server-hostname, else client-hostname
 *   qid      = internal-message-id (unique per server only), msgid = message-id without <>,
 *   from     = sender-address (return-path when that is empty; "<>" = null sender),
 *   size     = total-bytes, nrcpt = recipient-count, client_* = client-ip/-hostname
 *   RECEIVE               -> RECEIVED (one per row, to = the recipient list, text =
 *                            source-context whose first ';' part is the SMTP protocol-log
 *                            session id: the join key to exchange-smtp events' detail)
 *   DELIVER               -> DELIVERY sent, one per recipient
 *   SEND, SENDEXTERNAL    -> DELIVERY sent per recipient, relay = server-ip/-hostname (the
 *                            next hop; connector-id when no host), new_qid = the next hop's
 *                            "InternalId=N" from the remote reply in source-context
 *   FAIL                  -> DELIVERY bounced per recipient
 *   DEFER                 -> DELIVERY deferred per recipient
 *   DROP                  -> DELIVERY discarded per recipient
 *   DSN                   -> DSN_CREATED (to = recipient list; text = reference, a
 *                            Message-ID: the DSN's on the original's row, the original's
 *                            on the DSN's own row; the correlator links the pair through
 *                            it (lib/correlate/exchange.c); recipient-status when no
 *                            reference; from = return-path, the envelope sender, when
 *                            present: "" marks the DSN's own row)
 *   TRANSFER              -> INFO, new_qid = reference (the forked message's internal id)
 *   anything else         -> INFO with detail = the event id, never dropped (EXPAND,
 *                            REDIRECT, RESOLVE (orig_to = related-recipient-address),
 *                            SUBMIT, HAREDIRECT, NOTIFYMAPI, AGENTINFO, unknown ids ...)
 * Per-recipient text = recipient-status, split on ';' when it has as many items as there
 * are recipients, else the whole status for each; code/dsn come from a leading "550 5.1.1".
 */
#include <stdlib.h>
#include <string.h>

#include "dialect/csv_fields.h"
#include "mailsleuth/mailsleuth.h"

enum col {
    C_DATE,
    C_CLIENT_IP,
    C_CLIENT_HOST,
    C_SERVER_IP,
    C_SERVER_HOST,
    C_SOURCE_CONTEXT,
    C_CONNECTOR,
    C_SOURCE,
    C_EVENT,
    C_INTERNAL_ID,
    C_MSGID,
    C_NETWORK_ID,
    C_RCPT,
    C_RCPT_STATUS,
    C_BYTES,
    C_RCPT_COUNT,
    C_RELATED,
    C_REFERENCE,
    C_SUBJECT,
    C_SENDER,
    C_RETURN_PATH,
    C__COUNT
};

static const char *const col_names[C__COUNT] = {
    "date-time",      "client-ip",      "client-hostname",     "server-ip",
    "server-hostname", "source-context", "connector-id",        "source",
    "event-id",       "internal-message-id", "message-id",     "network-message-id",
    "recipient-address", "recipient-status", "total-bytes",    "recipient-count",
    "related-recipient-address", "reference", "message-subject", "sender-address",
    "return-path",
};

/* Standard #Fields lists (FORMATS.md 1.2), for rows before any header. */
static const char v2007[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
    "connector-id,source,event-id,internal-message-id,message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info";
static const char v2010_tail[] =
    ",directionality,tenant-id,original-client-ip,original-server-ip,custom-data";

struct trk_state {
    int idx[C__COUNT]; /* column of each field, -1 absent */
    size_t ncols;      /* columns in the header */
    int have_map;      /* 1 after a #Fields line */
    struct csv_scratch s;
    struct msl_str f[CSV_MAX_FIELDS];
};

/* Header names compare case-insensitively with '_' = '-' (the M365 extended report). */
static int name_eq(struct msl_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c == '_')
            c = '-';
        if (c != b[i])
            return 0;
    }
    return 1;
}

/* Sets the column map from a comma-separated field list. */
static void set_map(struct trk_state *st, struct msl_str list)
{
    for (int c = 0; c < C__COUNT; c++)
        st->idx[c] = -1;
    size_t i = 0;
    struct msl_str item, rest = list;
    while (csv_next_item(&rest, ',', &item)) {
        item = csv_trim(item);
        for (int c = 0; c < C__COUNT; c++)
            if (st->idx[c] < 0 && name_eq(item, col_names[c]))
                st->idx[c] = (int)i;
        i++;
    }
    st->ncols = i;
}

/* The standard field set with ncols columns, or 0. */
static int default_map(struct trk_state *st, size_t ncols)
{
    char tmp[sizeof v2007 + sizeof v2010_tail + 64];
    size_t n = sizeof v2007 - 1;
    memcpy(tmp, v2007, n);
    if (ncols == 21) {
        set_map(st, (struct msl_str){tmp, n});
        return 1;
    }
    if (ncols != 26 && ncols != 27 && ncols != 30)
        return 0;
    memcpy(tmp + n, v2010_tail, sizeof v2010_tail - 1);
    n += sizeof v2010_tail - 1;
    set_map(st, (struct msl_str){tmp, n});
    if (ncols >= 27) {
        /* network-message-id follows message-id: every later column moves by one */
        int mid = st->idx[C_MSGID];
        for (int c = 0; c < C__COUNT; c++)
            if (st->idx[c] > mid)
                st->idx[c]++;
        st->idx[C_NETWORK_ID] = mid + 1;
    }
    st->ncols = ncols;
    return 1;
}

static void *trk_open(const struct msl_format_src *src)
{
    (void)src;
    struct trk_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    for (int c = 0; c < C__COUNT; c++)
        st->idx[c] = -1;
    return st;
}

static void trk_close(void *p)
{
    struct trk_state *st = p;
    if (!st)
        return;
    csv_scratch_free(&st->s);
    free(st);
}

static struct msl_str col(const struct trk_state *st, size_t nf, enum col c)
{
    int i = st->idx[c];
    if (i < 0 || (size_t)i >= nf)
        return MSL_STR_NULL;
    return st->f[i];
}

static struct msl_str strip_angle(struct msl_str s)
{
    s = csv_trim(s);
    if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>')
        return (struct msl_str){s.p + 1, s.n - 2};
    return s;
}

static struct msl_str opt(struct msl_str s)
{
    s = csv_trim(s);
    return s.n ? s : MSL_STR_NULL;
}

/* "... [InternalId=5450313518243, Hostname=...]" in a remote reply -> the digits. */
static struct msl_str internal_id_in(struct msl_str s)
{
    static const char key[] = "InternalId=";
    for (size_t i = 0; s.n >= sizeof key - 1 && i + sizeof key - 1 <= s.n; i++) {
        if (memcmp(s.p + i, key, sizeof key - 1) != 0)
            continue;
        size_t j = i + sizeof key - 1, k = j;
        while (k < s.n && s.p[k] >= '0' && s.p[k] <= '9')
            k++;
        if (k > j)
            return (struct msl_str){s.p + j, k - j};
    }
    return MSL_STR_NULL;
}

static size_t count_items(struct msl_str s)
{
    size_t n = 0;
    struct msl_str item;
    while (csv_next_item(&s, ';', &item))
        n++;
    return n;
}

/* One DELIVERY per recipient.  Returns events emitted, or -1 when emit said stop. */
static int per_recipient(struct msl_event *e, struct msl_str rcpts, struct msl_str status,
                         const struct msl_emitter *em)
{
    size_t nr = count_items(rcpts);
    int aligned = nr > 1 && count_items(status) == nr;
    struct msl_str r, s = status, item, st = status;
    int n = 0;
    if (nr == 0) {
        csv_reply_code(st, &e->code, &e->dsn);
        e->text = opt(st);
        return em->emit(em->ctx, e) ? -1 : 1;
    }
    while (csv_next_item(&rcpts, ';', &r)) {
        if (aligned && csv_next_item(&s, ';', &item))
            st = item;
        e->to = strip_angle(r);
        e->text = opt(st);
        csv_reply_code(st, &e->code, &e->dsn);
        if (em->emit(em->ctx, e))
            return -1;
        n++;
    }
    return n;
}

static int is_event(struct msl_str ev, const char *name)
{
    return csv_ieq(ev, name);
}

static int trk_line(void *p, const struct msl_line *ln, const struct msl_emitter *em,
                    const char **why)
{
    struct trk_state *st = p;
    *why = NULL;
    struct msl_str line = csv_strip_bom((struct msl_str){ln->p, ln->n});
    if (line.n == 0) {
        *why = "empty line";
        return 0;
    }
    if (line.p[0] == '#') {
        static const char fields[] = "#Fields:";
        if (line.n >= sizeof fields - 1 && memcmp(line.p, fields, sizeof fields - 1) == 0) {
            set_map(st, csv_trim((struct msl_str){line.p + sizeof fields - 1,
                                                  line.n - (sizeof fields - 1)}));
            st->have_map = 1;
        }
        return 0;
    }
    size_t total = 0;
    size_t nf = csv_split(line.p, line.n, ',', st->f, CSV_MAX_FIELDS, &st->s, &total);
    if (nf == 0) {
        *why = "exchange-msgtrk: out of memory";
        return 0;
    }
    if (!st->have_map && !default_map(st, total)) {
        *why = "exchange-msgtrk: row before any #Fields header";
        return 0;
    }
    struct msl_event e;
    msl_event_clear(&e);
    if (csv_time(col(st, nf, C_DATE), &e.ts) != 0) {
        *why = "exchange-msgtrk: no date-time";
        return 0;
    }
    struct msl_str ev = csv_trim(col(st, nf, C_EVENT));
    if (ev.n == 0) {
        *why = "exchange-msgtrk: no event-id";
        return 0;
    }
    int is_send = is_event(ev, "SEND") || is_event(ev, "SENDEXTERNAL");
    struct msl_str server = opt(col(st, nf, C_SERVER_HOST));
    struct msl_str client = opt(col(st, nf, C_CLIENT_HOST));
    e.host = is_send ? (client.n ? client : server) : (server.n ? server : client);
    e.mta = MSL_STR_LIT("exchange");
    e.mta_caps = msl_format_exchange_msgtrk.caps;
    struct msl_str source = opt(col(st, nf, C_SOURCE));
    e.program = source.n ? source : MSL_STR_LIT("MSGTRK");
    e.daemon = e.program;
    e.service = opt(col(st, nf, C_CONNECTOR));
    e.detail = ev;
    e.qid = opt(col(st, nf, C_INTERNAL_ID));
    e.msgid = opt(strip_angle(col(st, nf, C_MSGID)));
    struct msl_str sender = csv_trim(col(st, nf, C_SENDER));
    if (sender.n)
        e.from = strip_angle(sender);
    else if (csv_trim(col(st, nf, C_RETURN_PATH)).n)
        e.from = strip_angle(col(st, nf, C_RETURN_PATH));
    long long v = csv_num(col(st, nf, C_BYTES));
    e.size = v;
    v = csv_num(col(st, nf, C_RCPT_COUNT));
    e.nrcpt = v;
    e.client_ip = opt(col(st, nf, C_CLIENT_IP));
    e.client_host = client;
    struct msl_str rcpts = csv_trim(col(st, nf, C_RCPT));
    struct msl_str status = csv_trim(col(st, nf, C_RCPT_STATUS));
    struct msl_str ctx = opt(col(st, nf, C_SOURCE_CONTEXT));
    struct msl_str ref = opt(col(st, nf, C_REFERENCE));

    if (is_event(ev, "RECEIVE")) {
        e.kind = MSL_EV_RECEIVED;
        e.to = opt(rcpts);
        e.text = ctx;
        if (e.nrcpt < 0 && rcpts.n)
            e.nrcpt = (int64_t)count_items(rcpts);
        return em->emit(em->ctx, &e) ? -1 : 1;
    }
    if (is_send || is_event(ev, "DELIVER") || is_event(ev, "FAIL") || is_event(ev, "DEFER") ||
        is_event(ev, "DROP")) {
        e.kind = MSL_EV_DELIVERY;
        if (is_event(ev, "DELIVER"))
            e.flags |= MSL_EVF_LOCAL; /* into a mailbox of this organisation */
        e.status = is_event(ev, "FAIL")    ? MSL_ST_BOUNCED
                   : is_event(ev, "DEFER") ? MSL_ST_DEFERRED
                   : is_event(ev, "DROP")  ? MSL_ST_DISCARDED
                                           : MSL_ST_SENT;
        if (is_send) {
            e.relay_ip = opt(col(st, nf, C_SERVER_IP));
            e.relay_host = server.n ? server : e.service;
            e.new_qid = internal_id_in(ctx);
            e.host = client.n ? client : server;
            e.client_host = MSL_STR_NULL;
            e.client_ip = MSL_STR_NULL;
        }
        return per_recipient(&e, rcpts, status, em);
    }
    if (is_event(ev, "DSN")) {
        /* reference is the correlator's join key (a Message-ID): it wins over the status */
        e.kind = MSL_EV_DSN_CREATED;
        e.to = opt(rcpts);
        e.text = ref.n ? ref : opt(status);
        /* the envelope sender tells the DSN's own row (null sender) from the original's */
        if (csv_trim(col(st, nf, C_RETURN_PATH)).n)
            e.from = strip_angle(col(st, nf, C_RETURN_PATH));
        return em->emit(em->ctx, &e) ? -1 : 1;
    }
    e.kind = MSL_EV_INFO;
    e.to = opt(rcpts);
    e.orig_to = opt(col(st, nf, C_RELATED));
    e.text = status.n ? status : ctx;
    if (is_event(ev, "TRANSFER") && csv_num(ref) >= 0)
        e.new_qid = csv_trim(ref);
    return em->emit(em->ctx, &e) ? -1 : 1;
}

/* Upper-case letters only (an event-id). */
static int word_upper(struct msl_str s)
{
    if (s.n < 3 || s.n > 32)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < 'A' || s.p[i] > 'Z')
            return 0;
    return 1;
}

static int trk_detect(const struct msl_str *lines, size_t n)
{
    struct csv_scratch s = {0};
    struct msl_str f[CSV_MAX_FIELDS];
    size_t rows = 0, good = 0;
    int score = 0;
    for (size_t i = 0; i < n && !score; i++) {
        struct msl_str l = csv_strip_bom(lines[i]);
        if (l.n && l.p[0] == '#') {
            if (csv_iprefix(l, "#Log-type: Message Tracking Log"))
                score = 98;
            else if (csv_iprefix(l, "#Fields: date-time,") && l.n < 4096) {
                struct trk_state tmp;
                set_map(&tmp, (struct msl_str){l.p + 8, l.n - 8});
                if (tmp.idx[C_EVENT] >= 0 && tmp.idx[C_INTERNAL_ID] >= 0)
                    score = 98;
            }
            continue;
        }
        if (l.n == 0)
            continue;
        rows++;
        size_t total = 0;
        size_t nf = csv_split(l.p, l.n, ',', f, CSV_MAX_FIELDS, &s, &total);
        int64_t ts;
        if (nf > 8 && (total == 21 || total == 26 || total == 27 || total == 30) &&
            csv_time(f[0], &ts) == 0 && word_upper(f[8]))
            good++;
    }
    csv_scratch_free(&s);
    if (score)
        return score;
    if (rows == 0 || good * 2 < rows)
        return 0;
    return 60 + (int)(good * 32 / rows);
}

const struct msl_format msl_format_exchange_msgtrk = {
    .name = "exchange-msgtrk",
    .mta = "exchange",
    .caps = MSL_MTA_NO_END_LINE | MSL_MTA_TRANSACTIONS | MSL_MTA_TRACKING,
    .description = "Microsoft Exchange message tracking log (MSGTRK*.LOG, W3C CSV with "
                   "#Fields header, 2007-2019)",
    .detect = trk_detect,
    .open = trk_open,
    .close = trk_close,
    .line = trk_line,
};
