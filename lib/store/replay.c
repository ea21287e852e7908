/*
 * replay.c - records open across ingests.  An ingest that ends while a message is still
 * queued or a session still connected stores them as open (end_state open-at-end-of-log,
 * sessions.open_at_end).  When a later ingest reads the continuation of a source (a grown
 * or rotated file), those records' events are read back from `events`, turned into events
 * again and handed to that ingest's correlator before its new lines, so the message is
 * completed as if one run had read both; the old open rows are marked superseded and
 * deleted in the ingest's last transaction (store_drop_superseded), never earlier.
 *
 * Which events built a record is found the way the correlator keys them, between the
 * record's first and last line (event ids follow input order): a message by host + queue
 * id, a session by host + program + pid (sessions keyed by an MTA's own session id,
 * Exchange, are not replayed).  Hosts compare with NULL = "": an event without a host is
 * stored NULL, the record that copied it "".
 */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "store/store_int.h"

static const char mark_sql[] =
    "UPDATE messages SET superseded_by = ?1 WHERE end_state = 'open-at-end-of-log'"
    "  AND superseded_by IS NULL AND ingest != ?1;"
    "UPDATE sessions SET superseded_by = ?1 WHERE open_at_end = 1"
    "  AND superseded_by IS NULL AND ingest != ?1 AND pid IS NOT NULL;";

/* A record's events, by the way the correlator keys them, between its first and last line. */
#define FIRST(r) "(SELECT min(id) FROM events WHERE source = " r ".source AND line = " r ".line)"
#define LAST(r) \
    "(SELECT max(id) FROM events WHERE source = " r ".last_source AND line = " r ".last_line)"
#define SAME_HOST(a, b) "coalesce(" a ".host, '') = coalesce(" b ".host, '')"
#define SESSION_EVENT(ss, x) \
    x ".id BETWEEN " FIRST(ss) " AND " LAST(ss) " AND " SAME_HOST(x, ss) " AND " x ".pid = " ss \
    ".pid AND " x ".program IS " ss ".program"
#define MESSAGE_EVENT(m, x) \
    SAME_HOST(x, m) " AND " x ".qid = " m ".qid AND " x ".id BETWEEN " FIRST(m) " AND " LAST(m)

/* Records linked to a replayed one are rebuilt with it, or the rebuilt one would miss the
 * link (or make a second record of its partner): run until nothing more is marked. */
static const char link_sql[] =
    /* the messages an open session's events name (its submissions) */
    "UPDATE messages SET superseded_by = ?1 WHERE superseded_by IS NULL AND ingest != ?1"
    "  AND id IN (SELECT m.id FROM sessions ss JOIN events x ON " SESSION_EVENT("ss", "x")
    "   AND x.qid IS NOT NULL JOIN messages m ON m.ingest = ss.ingest AND " MESSAGE_EVENT("m", "x")
    "   WHERE ss.superseded_by = ?1);"
    /* the session a replayed message was submitted in */
    "UPDATE sessions SET superseded_by = ?1 WHERE superseded_by IS NULL AND ingest != ?1"
    "  AND pid IS NOT NULL AND id IN (SELECT ss.id FROM messages m JOIN sessions ss"
    "   ON ss.ingest = m.ingest AND ss.session_key = m.session_key"
    "   WHERE m.superseded_by = ?1 AND m.session_key IS NOT NULL);"
    /* the DSN or re-injected copy a replayed message's events created ... */
    "UPDATE messages SET superseded_by = ?1 WHERE superseded_by IS NULL AND ingest != ?1"
    "  AND id IN (SELECT n.id FROM messages m JOIN events x ON " MESSAGE_EVENT("m", "x")
    "   AND x.new_qid IS NOT NULL JOIN messages n ON n.ingest = m.ingest AND " SAME_HOST("n", "m")
    "   AND n.qid = x.new_qid WHERE m.superseded_by = ?1);"
    /* ... and the message a replayed DSN or re-injected copy came from */
    "UPDATE messages SET superseded_by = ?1 WHERE superseded_by IS NULL AND ingest != ?1"
    "  AND id IN (SELECT m.id FROM messages n JOIN messages m ON m.ingest = n.ingest"
    "   AND " SAME_HOST("m", "n") " AND (m.qid = n.bounce_of OR m.qid = n.reinjected_from)"
    "   WHERE n.superseded_by = ?1);";

/* the columns msl_event needs, in this order (see to_event) */
static const char events_sql[] =
    "SELECT e.source, e.line, e.offset, e.ts, e.host, e.mta, e.program, e.daemon, e.service,"
    " e.pid, e.kind, e.flags, e.repeat, e.qid, e.qid_time, e.new_qid, e.msgid, e.sender,"
    " e.recipient, e.orig_recipient, e.size, e.nrcpt, e.uid, e.client_host, e.client_ip,"
    " e.client_port, e.helo, e.proto, e.sasl_method, e.sasl_user, e.relay_host, e.relay_ip,"
    " e.relay_port, e.dsn, e.status, e.delay, e.delays, e.tls, e.tls_cipher, e.action,"
    " e.stage, e.code, e.text, e.severity, e.detail, e.count, e.raw"
    " FROM events e WHERE e.id IN ("
    "  SELECT x.id FROM messages m JOIN events x ON " MESSAGE_EVENT("m", "x")
    "   WHERE m.superseded_by = ?1"
    "  UNION SELECT x.id FROM sessions ss JOIN events x ON " SESSION_EVENT("ss", "x")
    "   WHERE ss.superseded_by = ?1)"
    " ORDER BY e.id";

static const char drop_sql[] =
    "DELETE FROM recipients WHERE message IN (SELECT id FROM messages WHERE superseded_by = ?1);"
    "DELETE FROM attempts WHERE message IN (SELECT id FROM messages WHERE superseded_by = ?1);"
    "DELETE FROM message_actions WHERE message IN"
    "  (SELECT id FROM messages WHERE superseded_by = ?1);"
    "DELETE FROM messages WHERE superseded_by = ?1;"
    "DELETE FROM session_auths WHERE session IN"
    "  (SELECT id FROM sessions WHERE superseded_by = ?1);"
    "DELETE FROM session_rejects WHERE session IN"
    "  (SELECT id FROM sessions WHERE superseded_by = ?1);"
    "DELETE FROM sessions WHERE superseded_by = ?1;";

/* Runs each statement of sql with ?1 = the current ingest; *changes sums rows changed. */
static int run_each(struct msl_store *s, const char *sql, int64_t *changes, const char *what)
{
    const char *p = sql;
    while (*p) {
        sqlite3_stmt *q;
        const char *tail;
        if (sqlite3_prepare_v2(s->db, p, -1, &q, &tail) != SQLITE_OK)
            return store_fail(s, what);
        if (!q)
            break;
        sqlite3_bind_int64(q, 1, s->ingest);
        int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE)
            return store_fail(s, what);
        if (changes)
            *changes += sqlite3_changes(s->db);
        p = tail;
    }
    return MSL_OK;
}

int store_drop_superseded(struct msl_store *s)
{
    return run_each(s, drop_sql, NULL, "removing records completed by this ingest");
}

static struct msl_str col(sqlite3_stmt *q, int i)
{
    if (sqlite3_column_type(q, i) == SQLITE_NULL)
        return MSL_STR_NULL;
    const char *p = (const char *)sqlite3_column_text(q, i);
    return (struct msl_str){p ? p : "", (size_t)sqlite3_column_bytes(q, i)};
}

static int64_t num(sqlite3_stmt *q, int i, int64_t absent)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? absent : sqlite3_column_int64(q, i);
}

/* the enum value whose name() is the column's text; 0 (none) when NULL or unknown */
static int by_name(sqlite3_stmt *q, int i, const char *(*name)(int), int count)
{
    struct msl_str v = col(q, i);
    for (int k = 0; v.p && k < count; k++) {
        const char *n = name(k);
        if (n && strlen(n) == v.n && memcmp(n, v.p, v.n) == 0)
            return k;
    }
    return 0;
}

static const char *action_name(int k) { return msl_action_name((enum msl_action)k); }
static const char *severity_name(int k) { return msl_severity_name((enum msl_severity)k); }
static const char *status_name(int k) { return msl_status_name((enum msl_status)k); }
static const char *kind_name(int k) { return msl_kind_name((enum msl_kind)k); }

static void to_event(sqlite3_stmt *q, struct msl_event *e)
{
    msl_event_clear(e);
    int64_t src = num(q, 0, 0);
    e->ev.src = MSL_STORE_REPLAY_SRC + (uint32_t)(src > 0 && src < 0x7fffffff ? src : 0);
    e->ev.line = (uint64_t)num(q, 1, 0);
    e->ev.offset = (uint64_t)num(q, 2, 0);
    e->ts = num(q, 3, 0);
    e->host = col(q, 4);
    e->mta = col(q, 5);
    e->mta_caps = msl_mta_caps_by_name(e->mta); /* what the correlator asks of the MTA */
    e->program = col(q, 6);
    e->daemon = col(q, 7);
    e->service = col(q, 8);
    e->pid = num(q, 9, -1);
    e->kind = (enum msl_kind)by_name(q, 10, kind_name, MSL_EV__COUNT);
    e->flags = (uint32_t)num(q, 11, 0);
    e->repeat = (uint32_t)num(q, 12, 1);
    e->qid = col(q, 13);
    e->qid_time = num(q, 14, 0);
    e->new_qid = col(q, 15);
    e->msgid = col(q, 16);
    e->from = col(q, 17);
    e->to = col(q, 18);
    e->orig_to = col(q, 19);
    e->size = num(q, 20, -1);
    e->nrcpt = num(q, 21, -1);
    e->uid = col(q, 22);
    e->client_host = col(q, 23);
    e->client_ip = col(q, 24);
    e->client_port = (int32_t)num(q, 25, -1);
    e->helo = col(q, 26);
    e->proto = col(q, 27);
    e->sasl_method = col(q, 28);
    e->sasl_user = col(q, 29);
    e->relay_host = col(q, 30);
    e->relay_ip = col(q, 31);
    e->relay_port = (int32_t)num(q, 32, -1);
    e->dsn = col(q, 33);
    e->status = (enum msl_status)by_name(q, 34, status_name, MSL_ST__COUNT);
    e->delay = sqlite3_column_type(q, 35) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 35);
    struct msl_str d = col(q, 36);
    if (d.p) { /* "a/b/c/d", "-" for an absent part */
        const char *p = d.p;
        for (int k = 0; k < 4 && *p; k++) {
            char *end;
            double v = strtod(p, &end);
            e->delays[k] = end == p ? -1 : v;
            p = strchr(p, '/');
            if (!p)
                break;
            p++;
        }
    }
    e->tls = col(q, 37);
    e->tls_cipher = col(q, 38);
    e->action = (enum msl_action)by_name(q, 39, action_name, MSL_ACT__COUNT);
    e->stage = col(q, 40);
    e->code = col(q, 41);
    e->text = col(q, 42);
    e->severity = (enum msl_severity)by_name(q, 43, severity_name, MSL_SEV__COUNT);
    e->detail = col(q, 44);
    e->count = num(q, 45, -1);
    e->raw = col(q, 46);
}

int msl_store_replay(struct msl_store *s, int (*fn)(void *ctx, const struct msl_event *e),
                     void *ctx, uint64_t *records)
{
    int64_t n = 0;
    if (records)
        *records = 0;
    int rc = run_each(s, mark_sql, &n, "finding the records earlier ingests left open");
    if (rc || !n)
        return rc;
    for (int round = 0; round < 64; round++) { /* a linked group is small; 64 bounds it */
        int64_t more = 0;
        if ((rc = run_each(s, link_sql, &more, "finding the records linked to open ones")))
            return rc;
        n += more;
        if (!more)
            break;
    }
    if (records)
        *records = (uint64_t)n;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, events_sql, -1, &q, NULL) != SQLITE_OK)
        return store_fail(s, "reading the events of open records");
    sqlite3_bind_int64(q, 1, s->ingest);
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        struct msl_event e;
        to_event(q, &e);
        if (fn(ctx, &e)) {
            sqlite3_finalize(q);
            snprintf(s->err, sizeof s->err, "replaying the open records failed");
            return MSL_ESTOPPED;
        }
    }
    rc = step == SQLITE_DONE ? MSL_OK : store_fail(s, "reading the events of open records");
    sqlite3_finalize(q);
    return rc;
}
