/*
 * schema.c - the case file: create it (tables, views), recognise it (application_id,
 * user_version), refuse what it cannot read, migrate older schemas, and remove what a killed
 * ingest left behind.  doc/SCHEMA.md documents every table; keep the two in step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailsleuth/mailsleuth.h"
#include "store/store_int.h"

/* Times are UTC microseconds since the epoch (0 = unknown); the *_time columns and the
 * views show them as ISO 8601 text. */
#define ISO(c) \
    "CASE WHEN " c " THEN strftime('%Y-%m-%dT%H:%M:%SZ', " c " / 1000000, 'unixepoch') END"

static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);\n"
    "CREATE TABLE ingests(id INTEGER PRIMARY KEY, started TEXT, finished TEXT, argv TEXT,\n"
    "  cwd TEXT, tz TEXT, version TEXT, rows INTEGER);\n"
    "CREATE TABLE sources(id INTEGER PRIMARY KEY, ingest INTEGER NOT NULL, name TEXT NOT NULL,\n"
    "  path TEXT, container TEXT, sha256 TEXT, size INTEGER, mtime INTEGER, compression TEXT,\n"
    "  format TEXT, zone TEXT, host TEXT, first_ts INTEGER, last_ts INTEGER, lines INTEGER,\n"
    "  bytes INTEGER, events INTEGER, unparsed INTEGER, skip_lines INTEGER DEFAULT 0,\n"
    "  continues INTEGER, error INTEGER DEFAULT 0);\n"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, source INTEGER NOT NULL, line INTEGER NOT NULL,\n"
    "  offset INTEGER, ts INTEGER, time TEXT GENERATED ALWAYS AS (" ISO("ts") ") VIRTUAL,\n"
    "  host TEXT, mta TEXT, program TEXT, daemon TEXT, service TEXT, pid INTEGER, kind TEXT,\n"
    "  flags INTEGER, repeat INTEGER, qid TEXT, qid_time INTEGER, new_qid TEXT, msgid TEXT,\n"
    "  sender TEXT, recipient TEXT,\n"
    "  orig_recipient TEXT, size INTEGER, nrcpt INTEGER, uid TEXT, client_host TEXT,\n"
    "  client_ip TEXT, client_port INTEGER, helo TEXT, proto TEXT, sasl_method TEXT,\n"
    "  sasl_user TEXT, relay_host TEXT, relay_ip TEXT, relay_port INTEGER, dsn TEXT,\n"
    "  status TEXT, delay REAL, delays TEXT, tls TEXT, tls_cipher TEXT, action TEXT, stage TEXT,\n"
    "  code TEXT,\n"
    "  text TEXT, severity TEXT, detail TEXT, count INTEGER, raw TEXT);\n"
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, ingest INTEGER NOT NULL, host TEXT,\n"
    "  qid TEXT, msgid TEXT, sender TEXT, client_host TEXT, client_ip TEXT,\n"
    "  client_port INTEGER, helo TEXT, proto TEXT, sasl_method TEXT, sasl_user TEXT, uid TEXT,\n"
    "  size INTEGER, nrcpt INTEGER, seen_receipt INTEGER, received_ts INTEGER,\n"
    "  first_ts INTEGER, last_ts INTEGER, received_time TEXT GENERATED ALWAYS AS\n"
    "  (" ISO("coalesce(nullif(received_ts, 0), first_ts)") ") VIRTUAL, end_state TEXT,\n"
    "  final TEXT, reinjected_as TEXT, reinjected_from TEXT, bounce_of TEXT, dsn_qids TEXT,\n"
    "  session_key INTEGER, nlines INTEGER, superseded_by INTEGER, source INTEGER, line INTEGER,\n"
    "  last_source INTEGER, last_line INTEGER);\n"
    "CREATE TABLE recipients(id INTEGER PRIMARY KEY, message INTEGER NOT NULL, address TEXT,\n"
    "  orig_address TEXT, outcome TEXT, last_status TEXT, attempts INTEGER,\n"
    "  deferrals INTEGER, first_ts INTEGER, last_ts INTEGER, relay_host TEXT, relay_ip TEXT,\n"
    "  relay_port INTEGER, dsn TEXT, reply TEXT, tls TEXT, delay REAL, next_qid TEXT,\n"
    "  source INTEGER, line INTEGER);\n"
    "CREATE TABLE attempts(id INTEGER PRIMARY KEY, message INTEGER NOT NULL,\n"
    "  recipient INTEGER, ts INTEGER, time TEXT GENERATED ALWAYS AS (" ISO("ts") ") VIRTUAL,\n"
    "  address TEXT, orig_address TEXT, daemon TEXT, relay_host TEXT, relay_ip TEXT,\n"
    "  relay_port INTEGER, dsn TEXT, status TEXT, reply TEXT, delay REAL, delay_before_qmgr REAL,\n"
    "  delay_in_qmgr REAL, delay_conn REAL, delay_xmit REAL, tls TEXT, new_qid TEXT,\n"
    "  local INTEGER, repeat INTEGER, source INTEGER, line INTEGER);\n"
    "CREATE TABLE message_actions(id INTEGER PRIMARY KEY, message INTEGER NOT NULL, ts INTEGER,\n"
    "  action TEXT, stage TEXT, text TEXT, address TEXT, source INTEGER, line INTEGER);\n"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, ingest INTEGER NOT NULL, session_key INTEGER,\n"
    "  host TEXT, program TEXT, pid INTEGER, smtp_session_id TEXT, client_host TEXT,\n"
    "  client_ip TEXT, client_port INTEGER, start_ts INTEGER, end_ts INTEGER,\n"
    "  start_time TEXT GENERATED ALWAYS AS (" ISO("start_ts") ") VIRTUAL, helo TEXT,\n"
    "  tls_proto TEXT, tls_cipher TEXT, auth_ok INTEGER, auth_failed INTEGER, auth_user TEXT,\n"
    "  rejects INTEGER, counters TEXT, end_reason TEXT, verdicts TEXT, messages INTEGER,\n"
    "  closed INTEGER, open_at_end INTEGER, superseded_by INTEGER, source INTEGER,\n"
    "  line INTEGER, last_source INTEGER, last_line INTEGER);\n"
    "CREATE TABLE session_auths(id INTEGER PRIMARY KEY, session INTEGER NOT NULL, ts INTEGER,\n"
    "  ok INTEGER, method TEXT, user TEXT, text TEXT, source INTEGER, line INTEGER);\n"
    "CREATE TABLE session_rejects(id INTEGER PRIMARY KEY, session INTEGER NOT NULL, ts INTEGER,\n"
    "  action TEXT, stage TEXT, code TEXT, dsn TEXT, text TEXT, sender TEXT, recipient TEXT,\n"
    "  helo TEXT, noqueue INTEGER, source INTEGER, line INTEGER);\n"
    "CREATE TABLE hops(id INTEGER PRIMARY KEY, from_message INTEGER NOT NULL,\n"
    "  to_message INTEGER NOT NULL, attempt INTEGER, kind TEXT, skew REAL);\n"
    "CREATE TABLE findings(id INTEGER PRIMARY KEY, ingest INTEGER NOT NULL, rule TEXT,\n"
    "  severity TEXT, title TEXT, entity_type TEXT, entity TEXT, host TEXT, first_ts INTEGER,\n"
    "  last_ts INTEGER, counts TEXT, explanation TEXT, evidence_total INTEGER);\n"
    "CREATE TABLE finding_evidence(id INTEGER PRIMARY KEY, finding INTEGER NOT NULL,\n"
    "  source INTEGER, line INTEGER, ts INTEGER);\n"
    "CREATE TABLE finding_refs(id INTEGER PRIMARY KEY, finding INTEGER NOT NULL, kind TEXT,\n"
    "  ref TEXT);\n"
    "CREATE INDEX sources_sha ON sources(sha256);\n"
    "CREATE INDEX sources_name ON sources(name);\n"
    /* the common questions */
    "CREATE VIEW v_recipients_by_outcome AS SELECT outcome, count(*) AS recipients,\n"
    "  count(DISTINCT message) AS messages FROM recipients GROUP BY outcome;\n"
    "CREATE VIEW v_auth_failures_by_ip AS SELECT client_ip AS ip, count(*) AS failures,\n"
    "  count(DISTINCT sasl_user) AS users, min(time) AS first, max(time) AS last,\n"
    "  group_concat(DISTINCT host) AS hosts FROM events\n"
    "  WHERE kind = 'AUTH_FAIL' AND (flags & 32) = 0 GROUP BY client_ip;\n"
    "CREATE VIEW v_message_paths AS WITH RECURSIVE p(root, message, depth, path) AS (\n"
    "  SELECT m.id, m.id, 0, m.host || ':' || m.qid FROM messages m\n"
    "    WHERE NOT EXISTS (SELECT 1 FROM hops h WHERE h.to_message = m.id)\n"
    "  UNION ALL SELECT p.root, h.to_message, p.depth + 1,\n"
    "    p.path || ' -> ' || n.host || ':' || n.qid\n"
    "    FROM p JOIN (SELECT DISTINCT from_message, to_message FROM hops) h\n"
    "    ON h.from_message = p.message\n"
    "    JOIN messages n ON n.id = h.to_message WHERE p.depth < 16)\n"
    "  SELECT p.root, r.msgid, r.sender, r.received_time, p.message AS last_message,\n"
    "    p.depth AS hops, p.path FROM p JOIN messages r ON r.id = p.root\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM hops h WHERE h.from_message = p.message);\n";

/* Created at the end of the first ingest (cheaper than keeping them during a bulk load).
 * Events carry the keys a question starts from in time order (time, queue id, client IP);
 * Message-ID, user and addresses are indexed on the records that carry them (messages,
 * recipients, sessions, session_auths): each event index costs about a tenth of an ingest. */
static const char indexes_v1[] =
    "CREATE INDEX IF NOT EXISTS events_source_line ON events(source, line);\n"
    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts);\n"
    "CREATE INDEX IF NOT EXISTS events_qid ON events(host, qid);\n"
    "CREATE INDEX IF NOT EXISTS events_client_ip ON events(client_ip)\n"
    "  WHERE client_ip IS NOT NULL;\n"
    "CREATE INDEX IF NOT EXISTS messages_qid ON messages(qid, host);\n"
    "CREATE INDEX IF NOT EXISTS messages_msgid ON messages(msgid);\n"
    "CREATE INDEX IF NOT EXISTS messages_sender ON messages(sender);\n"
    "CREATE INDEX IF NOT EXISTS messages_client_ip ON messages(client_ip);\n"
    "CREATE INDEX IF NOT EXISTS messages_user ON messages(sasl_user);\n"
    "CREATE INDEX IF NOT EXISTS messages_received ON messages(received_ts);\n"
    "CREATE INDEX IF NOT EXISTS messages_session ON messages(ingest, session_key);\n"
    "CREATE INDEX IF NOT EXISTS recipients_message ON recipients(message);\n"
    "CREATE INDEX IF NOT EXISTS recipients_address ON recipients(address);\n"
    "CREATE INDEX IF NOT EXISTS recipients_next ON recipients(next_qid);\n"
    "CREATE INDEX IF NOT EXISTS attempts_message ON attempts(message);\n"
    "CREATE INDEX IF NOT EXISTS attempts_new_qid ON attempts(new_qid) WHERE new_qid IS NOT NULL;\n"
    "CREATE INDEX IF NOT EXISTS actions_message ON message_actions(message);\n"
    "CREATE INDEX IF NOT EXISTS sessions_client_ip ON sessions(client_ip);\n"
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(auth_user);\n"
    "CREATE INDEX IF NOT EXISTS sessions_start ON sessions(start_ts);\n"
    "CREATE INDEX IF NOT EXISTS sessions_key ON sessions(ingest, session_key);\n"
    "CREATE INDEX IF NOT EXISTS auths_session ON session_auths(session);\n"
    "CREATE INDEX IF NOT EXISTS auths_user ON session_auths(user);\n"
    "CREATE INDEX IF NOT EXISTS rejects_session ON session_rejects(session);\n"
    "CREATE INDEX IF NOT EXISTS hops_from ON hops(from_message);\n"
    "CREATE INDEX IF NOT EXISTS hops_to ON hops(to_message);\n"
    "CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule);\n"
    "CREATE INDEX IF NOT EXISTS findings_entity ON findings(entity);\n"
    "CREATE INDEX IF NOT EXISTS fevidence_finding ON finding_evidence(finding);\n"
    "CREATE INDEX IF NOT EXISTS frefs_finding ON finding_refs(finding);\n";

/*
 * Hops between messages, recomputed over the whole case after every ingest (so a message
 * delivered in one ingest links to its next hop read in another).  The rules are trace's
 * first two (lib/trace/hops.c), expressed over the stored columns: a delivery whose reply
 * named the next hop's queue id X links to X on the same host when the correlator recorded
 * the re-injection (reinjected_as), else to X on another host received within an hour of the
 * delivery.  Trace's Message-ID fallback is not applied here (doc/SCHEMA.md).  skew: the
 * receiver's received time minus the delivery's start on the sender's clock (seconds).
 */
static const char hops_v1[] =
    "DELETE FROM hops;\n"
    "INSERT INTO hops(from_message, to_message, attempt, kind, skew)\n"
    "  SELECT a.message, n.id, a.id,\n"
    "    CASE WHEN n.host = m.host THEN 'local-reinjection' ELSE 'queued-as' END,\n"
    "    (n.received_ts - (a.ts - coalesce(nullif(a.delay_xmit, -1), 0) * 1e6)) / 1e6\n"
    "  FROM attempts a JOIN messages m ON m.id = a.message\n"
    "  JOIN messages n ON n.qid = a.new_qid AND n.id != m.id\n"
    "  WHERE a.new_qid IS NOT NULL AND a.status IN ('sent', 'forwarded')\n"
    "    AND ((n.host = m.host AND m.reinjected_as = n.qid)\n"
    "      OR (n.host != m.host AND abs(coalesce(nullif(n.received_ts, 0), n.first_ts) - a.ts)\n"
    "          <= 3600000000))\n"
    "  GROUP BY a.id, n.id;\n";

/* The first failure is the one reported (later ones follow from it), with what the
 * system said when SQLite had a system error (ENOSPC, EFBIG, EACCES ...). */
static void set_err(struct msl_store *s, const char *what, const char *msg)
{
    if (s->err[0])
        return;
    int sys = s->db ? sqlite3_system_errno(s->db) : 0;
    if (sys)
        snprintf(s->err, sizeof s->err, "%s: %s (%s)", what, msg, strerror(sys));
    else
        snprintf(s->err, sizeof s->err, "%s: %s", what, msg);
}

int store_fail(struct msl_store *s, const char *what)
{
    set_err(s, what, s->db ? sqlite3_errmsg(s->db) : "no database");
    return MSL_EIO;
}

int store_exec(struct msl_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(s, "writing the case", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return MSL_EIO;
    }
    return MSL_OK;
}

int store_create_schema(struct msl_store *s)
{
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             MSL_STORE_APP_ID, MSL_STORE_SCHEMA);
    /* larger pages: fewer B-tree levels and page writes for rows of ~500 bytes */
    if (store_exec(s, "PRAGMA page_size = 16384") || store_exec(s, "BEGIN") ||
        store_exec(s, schema_v1) || store_exec(s, pragmas) ||
        store_exec(s, "INSERT INTO meta VALUES('application', 'mailsleuth case'),"
                      "('created_by', 'mailsleuth " MSL_VERSION "')") ||
        store_exec(s, "COMMIT"))
        return MSL_EIO;
    return MSL_OK;
}

int store_create_indexes(struct msl_store *s)
{
    return store_exec(s, indexes_v1);
}

int store_link_hops(struct msl_store *s)
{
    return store_exec(s, hops_v1);
}

int store_recover(struct msl_store *s)
{
    static const char sql[] =
        "CREATE TEMP TABLE bad AS SELECT id FROM ingests WHERE finished IS NULL;\n"
        /* records an unfinished ingest was about to replace stay */
        "UPDATE messages SET superseded_by = NULL WHERE superseded_by IN bad;\n"
        "UPDATE sessions SET superseded_by = NULL WHERE superseded_by IN bad;\n"
        "DELETE FROM finding_evidence WHERE finding IN\n"
        "  (SELECT id FROM findings WHERE ingest IN bad);\n"
        "DELETE FROM finding_refs WHERE finding IN (SELECT id FROM findings WHERE ingest IN bad);\n"
        "DELETE FROM findings WHERE ingest IN bad;\n"
        "DELETE FROM recipients WHERE message IN (SELECT id FROM messages WHERE ingest IN bad);\n"
        "DELETE FROM attempts WHERE message IN (SELECT id FROM messages WHERE ingest IN bad);\n"
        "DELETE FROM message_actions WHERE message IN\n"
        "  (SELECT id FROM messages WHERE ingest IN bad);\n"
        "DELETE FROM messages WHERE ingest IN bad;\n"
        "DELETE FROM session_auths WHERE session IN\n"
        "  (SELECT id FROM sessions WHERE ingest IN bad);\n"
        "DELETE FROM session_rejects WHERE session IN\n"
        "  (SELECT id FROM sessions WHERE ingest IN bad);\n"
        "DELETE FROM sessions WHERE ingest IN bad;\n"
        "DELETE FROM events WHERE source IN (SELECT id FROM sources WHERE ingest IN bad);\n"
        "DELETE FROM sources WHERE ingest IN bad;\n"
        "DELETE FROM ingests WHERE id IN bad;\n"
        "DROP TABLE temp.bad;\n";
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM ingests WHERE finished IS NULL", -1, &q,
                           NULL) != SQLITE_OK)
        return store_fail(s, "reading the case");
    s->recovered = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (!s->recovered)
        return MSL_OK;
    if (store_exec(s, "BEGIN") || store_exec(s, sql) || store_link_hops(s) ||
        store_exec(s, "COMMIT"))
        return MSL_EIO;
    return MSL_OK;
}

/* Migrations from version v to v + 1, in order; none yet (version 1 is the first). */
static const char *const migrations[] = {NULL};

static int pragma_int(struct msl_store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Is this a case we can use?  Creates the schema in an empty database (WRITE). */
static int check_case(struct msl_store *s, const char *path)
{
    int64_t app = 0, ver = 0, objects = 0;
    if (pragma_int(s, "PRAGMA application_id", &app) ||
        pragma_int(s, "PRAGMA user_version", &ver) ||
        pragma_int(s, "SELECT count(*) FROM sqlite_schema", &objects)) {
        int code = sqlite3_errcode(s->db);
        if (code == SQLITE_NOTADB)
            snprintf(s->err, sizeof s->err, "%s is not a mailsleuth case (not an SQLite database)",
                     path);
        else
            store_fail(s, path);
        return MSL_EUSAGE;
    }
    if (app == 0 && objects == 0 && ver == 0) {
        if (s->mode == MSL_STORE_READ) {
            snprintf(s->err, sizeof s->err, "%s is not a mailsleuth case (an empty database; "
                     "create one with mailsleuth ingest --db)", path);
            return MSL_EUSAGE;
        }
        return store_create_schema(s);
    }
    if (app != MSL_STORE_APP_ID) {
        snprintf(s->err, sizeof s->err, "%s is not a mailsleuth case (an SQLite database of "
                 "another application, application_id %lld)", path, (long long)app);
        return MSL_EUSAGE;
    }
    if (ver > MSL_STORE_SCHEMA) {
        snprintf(s->err, sizeof s->err, "%s was written by a newer mailsleuth (case schema %lld; "
                 "this one reads up to %d): use that version or newer", path, (long long)ver,
                 MSL_STORE_SCHEMA);
        return MSL_EUSAGE;
    }
    if (ver < 1) {
        snprintf(s->err, sizeof s->err, "%s has case schema %lld, older than the first one "
                 "mailsleuth can upgrade (1): ingest its sources into a new case", path,
                 (long long)ver);
        return MSL_EUSAGE;
    }
    if (ver < MSL_STORE_SCHEMA) {
        if (s->mode == MSL_STORE_READ) {
            snprintf(s->err, sizeof s->err, "%s has case schema %lld (this mailsleuth writes %d): "
                     "run mailsleuth ingest --db on it once to upgrade it", path, (long long)ver,
                     MSL_STORE_SCHEMA);
            return MSL_EUSAGE;
        }
        for (int64_t v = ver; v < MSL_STORE_SCHEMA; v++) {
            char set[64];
            snprintf(set, sizeof set, "PRAGMA user_version = %lld", (long long)(v + 1));
            if (store_exec(s, "BEGIN") || store_exec(s, migrations[v - 1]) ||
                store_exec(s, set) || store_exec(s, "COMMIT"))
                return MSL_EIO;
        }
    }
    return MSL_OK;
}

int msl_store_open(const char *path, enum msl_store_mode mode, struct msl_store **out,
                   char *err, size_t errsz)
{
    *out = NULL;
    struct msl_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return MSL_ENOMEM;
    }
    s->mode = mode;
    struct stat st;
    int exists = stat(path, &st) == 0;
    int rc = MSL_EUSAGE;
    if (mode == MSL_STORE_READ && !exists) {
        snprintf(s->err, sizeof s->err, "%s: %s (sql reads a case made by mailsleuth ingest "
                 "--db; it creates none)", path, strerror(errno));
        goto fail;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        snprintf(s->err, sizeof s->err, "%s is not a mailsleuth case (not a regular file)", path);
        goto fail;
    }
    /* no write bit at all: a case write-protected on purpose (even for root) */
    if (mode == MSL_STORE_WRITE && exists &&
        ((st.st_mode & 0222) == 0 || access(path, W_OK) != 0)) {
        snprintf(s->err, sizeof s->err, "%s cannot be written (%s): ingest adds to the case, "
                 "so it needs a writable case file", path,
                 (st.st_mode & 0222) == 0 ? "it is read-only" : strerror(errno));
        goto fail;
    }
    int flags = mode == MSL_STORE_READ ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        store_fail(s, path); /* a path that cannot be created: the user's to mend */
        rc = MSL_EUSAGE;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    if ((rc = check_case(s, path)) != MSL_OK)
        goto fail;
    if (mode == MSL_STORE_READ) {
        /* read-only twice over, and nothing but the case itself */
        sqlite3_limit(s->db, SQLITE_LIMIT_ATTACHED, 0);
        if ((rc = store_exec(s, "PRAGMA query_only = 1")) != MSL_OK)
            goto fail;
    } else {
        /* memory stays bounded: 64 MiB of page cache, sorts for the indexes spill to
         * temporary files ($TMPDIR, never beside the evidence), no mmap of the case */
        if ((rc = store_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                                "PRAGMA cache_size = -65536; PRAGMA threads = 2")) ||
            (rc = store_recover(s)))
            goto fail;
    }
    *out = s;
    return MSL_OK;
fail:
    snprintf(err, errsz, "%s", s->err);
    msl_store_close(s);
    return rc;
}

int64_t msl_store_recovered(const struct msl_store *s)
{
    return s->recovered;
}

const char *msl_store_error(const struct msl_store *s)
{
    return s->err;
}

void msl_store_close(struct msl_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        if (s->mode == MSL_STORE_WRITE && s->in_tx)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    free(s->srcmap);
    free(s);
}
