/*
 * write.c - ingest: the run's sources, events, the correlator's records and hunt's findings
 * as rows, through prepared statements, MSL_STORE_BATCH rows per transaction.  The ingest's
 * row in `ingests` is committed first with finished = NULL and set last, so a killed ingest
 * is recognised (and removed) by the next open (schema.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mailsleuth/mailsleuth.h"
#include "report/record_json.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/esc.h"

static const char *const st_sql[ST__COUNT] = {
    [ST_EVENT] = "INSERT INTO events(source, line, offset, ts, host, mta, program, pid, kind,"
                 " flags, repeat, qid, new_qid, msgid, sender, recipient, orig_recipient, size,"
                 " nrcpt, uid, client_host, client_ip, client_port, helo, proto, sasl_method,"
                 " sasl_user, relay_host, relay_ip, relay_port, dsn, status, delay, tls,"
                 " tls_cipher, action, stage, code, text, severity, detail, count, raw, daemon,"
                 " service, qid_time, delays)"
                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                 "?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MESSAGE] = "INSERT INTO messages(ingest, host, qid, msgid, sender, client_host, client_ip,"
                   " client_port, helo, proto, sasl_method, sasl_user, uid, size, nrcpt,"
                   " seen_receipt, received_ts, first_ts, last_ts, end_state, final,"
                   " reinjected_as, reinjected_from, bounce_of, dsn_qids, session_key, nlines,"
                   " source, line, last_source, last_line) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                   "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_RECIPIENT] = "INSERT INTO recipients(message, address, orig_address, outcome,"
                     " last_status, attempts, deferrals, first_ts, last_ts, relay_host, relay_ip,"
                     " relay_port, dsn, reply, tls, delay, next_qid, source, line)"
                     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_ATTEMPT] = "INSERT INTO attempts(message, recipient, ts, address, orig_address, daemon,"
                   " relay_host, relay_ip, relay_port, dsn, status, reply, delay,"
                   " delay_before_qmgr, delay_in_qmgr, delay_conn, delay_xmit, tls, new_qid,"
                   " local, repeat, source, line) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                   "?,?,?,?)",
    [ST_ACTION] = "INSERT INTO message_actions(message, ts, action, stage, text, address, source,"
                  " line) VALUES(?,?,?,?,?,?,?,?)",
    [ST_SESSION] = "INSERT INTO sessions(ingest, session_key, host, program, pid, smtp_session_id,"
                   " client_host, client_ip, client_port, start_ts, end_ts, helo, tls_proto,"
                   " tls_cipher, auth_ok, auth_failed, auth_user, rejects, counters, end_reason,"
                   " verdicts, messages, closed, open_at_end, source, line, last_source,"
                   " last_line) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_AUTH] = "INSERT INTO session_auths(session, ts, ok, method, user, text, source, line)"
                " VALUES(?,?,?,?,?,?,?,?)",
    [ST_REJECT] = "INSERT INTO session_rejects(session, ts, action, stage, code, dsn, text,"
                  " sender, recipient, helo, noqueue, source, line)"
                  " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_FINDING] = "INSERT INTO findings(ingest, rule, severity, title, entity_type, entity, host,"
                   " first_ts, last_ts, counts, explanation, evidence_total)"
                   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_FEVIDENCE] = "INSERT INTO finding_evidence(finding, source, line, ts) VALUES(?,?,?,?)",
    [ST_FREF] = "INSERT INTO finding_refs(finding, kind, ref) VALUES(?,?,?)",
};

/* --- binding helpers: absent values (NULL, -1 numbers) become SQL NULL ------------------ */

static void b_view(sqlite3_stmt *q, int i, struct msl_str v)
{
    if (v.p)
        sqlite3_bind_text(q, i, v.p, (int)v.n, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

static void b_str(sqlite3_stmt *q, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

/* an enum's name, NULL for the "none" value (an empty name) */
static void b_name(sqlite3_stmt *q, int i, const char *s)
{
    b_str(q, i, s && *s && strcmp(s, "?") ? s : NULL);
}

static void b_int(sqlite3_stmt *q, int i, int64_t v)
{
    sqlite3_bind_int64(q, i, v);
}

static void b_opt(sqlite3_stmt *q, int i, int64_t v) /* -1 = absent */
{
    if (v < 0)
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_int64(q, i, v);
}

static void b_ts(sqlite3_stmt *q, int i, int64_t v) /* 0 = unknown */
{
    if (v)
        sqlite3_bind_int64(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

static void b_real(sqlite3_stmt *q, int i, double v) /* negative = absent */
{
    if (v < 0)
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, v);
}

int64_t msl_store_mapped(const struct msl_store *s, uint32_t run_id)
{
    if (run_id >= MSL_STORE_REPLAY_SRC) /* a replayed event cites its stored source */
        return (int64_t)(run_id - MSL_STORE_REPLAY_SRC);
    return run_id < s->nsrcmap ? s->srcmap[run_id] : 0;
}

void msl_store_at_end(struct msl_store *s)
{
    s->at_end = 1;
}

/* source + line of one cited line */
static void b_ev(struct msl_store *s, sqlite3_stmt *q, int i, const struct msl_evidence *ev)
{
    int64_t src = ev ? msl_store_mapped(s, ev->src) : 0;
    if (src)
        sqlite3_bind_int64(q, i, src);
    else
        sqlite3_bind_null(q, i);
    if (ev && ev->line)
        sqlite3_bind_int64(q, i + 1, (int64_t)ev->line);
    else
        sqlite3_bind_null(q, i + 1);
}

/* Steps an insert and counts the row; a full batch is committed. */
static int put(struct msl_store *s, enum st_id id, const char *what)
{
    sqlite3_stmt *q = s->st[id];
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, what);
    s->rows++;
    if (++s->pending >= MSL_STORE_BATCH) {
        if (store_exec(s, "COMMIT; BEGIN"))
            return MSL_EIO;
        s->pending = 0;
    }
    return MSL_OK;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int msl_store_ingest_begin(struct msl_store *s, int argc, char *const *argv, const char *tz)
{
    struct buf args;
    buf_init(&args, 1 << 20);
    buf_addc(&args, '[');
    for (int i = 0; i < argc; i++) {
        buf_adds(&args, i ? ",\"" : "\"");
        esc_json(&args, argv[i], strlen(argv[i]));
        buf_addc(&args, '"');
    }
    buf_addc(&args, ']');
    char cwd[4096], started[32];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "?");
    now_iso(started);
    sqlite3_stmt *q = NULL;
    int rc = MSL_OK;
    if (args.err) {
        snprintf(s->err, sizeof s->err, "command line too long to record");
        rc = MSL_ENOMEM;
    } else if (sqlite3_prepare_v2(s->db, "INSERT INTO ingests(started, argv, cwd, tz, version)"
                                  " VALUES(?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK) {
        rc = store_fail(s, "recording the ingest");
    } else {
        b_str(q, 1, started);
        b_str(q, 2, args.p);
        b_str(q, 3, cwd);
        b_str(q, 4, tz);
        b_str(q, 5, MSL_VERSION);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = store_fail(s, "recording the ingest");
        else
            s->ingest = sqlite3_last_insert_rowid(s->db);
    }
    sqlite3_finalize(q);
    buf_free(&args);
    for (int i = 0; rc == MSL_OK && i < ST__COUNT; i++)
        if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK)
            rc = store_fail(s, "preparing the case's statements");
    if (rc == MSL_OK && store_exec(s, "BEGIN") == MSL_OK)
        s->in_tx = 1;
    else if (rc == MSL_OK)
        rc = MSL_EIO;
    return rc;
}

int msl_store_lookup(struct msl_store *s, const char *name, const char *sha256,
                     struct msl_store_known *k)
{
    memset(k, 0, sizeof *k);
    sqlite3_stmt *q;
    if (sha256 && *sha256) {
        if (sqlite3_prepare_v2(s->db, "SELECT name FROM sources WHERE sha256 = ?1"
                               " ORDER BY name = ?2 DESC LIMIT 1", -1, &q, NULL) != SQLITE_OK)
            return store_fail(s, "reading the case's sources");
        b_str(q, 1, sha256);
        b_str(q, 2, name);
        if (sqlite3_step(q) == SQLITE_ROW) {
            const char *n = (const char *)sqlite3_column_text(q, 0);
            k->found = 1;
            snprintf(k->other, sizeof k->other, "%s", n && strcmp(n, name) ? n : "");
        }
        sqlite3_finalize(q);
        if (k->found)
            return MSL_OK;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT id, size, lines, sha256 FROM sources WHERE name = ?"
                           " AND sha256 != '' ORDER BY size DESC LIMIT 1", -1, &q, NULL) !=
        SQLITE_OK)
        return store_fail(s, "reading the case's sources");
    b_str(q, 1, name);
    if (sqlite3_step(q) == SQLITE_ROW) {
        k->prev_id = sqlite3_column_int64(q, 0);
        k->prev_size = sqlite3_column_int64(q, 1);
        k->prev_lines = sqlite3_column_int64(q, 2);
        const char *h = (const char *)sqlite3_column_text(q, 3);
        snprintf(k->prev_sha256, sizeof k->prev_sha256, "%s", h ? h : "");
    }
    sqlite3_finalize(q);
    return MSL_OK;
}

int msl_store_source(struct msl_store *s, const struct msl_store_source *src, int64_t *id)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO sources(ingest, name, path, container, sha256,"
                           " size, mtime, compression, skip_lines, continues)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
        return store_fail(s, "recording a source");
    b_int(q, 1, s->ingest);
    b_str(q, 2, src->name);
    b_str(q, 3, src->path);
    b_str(q, 4, src->container);
    b_str(q, 5, src->sha256 ? src->sha256 : "");
    b_opt(q, 6, src->size);
    b_int(q, 7, src->mtime);
    b_str(q, 8, src->compression);
    b_int(q, 9, (int64_t)src->skip_lines);
    b_ts(q, 10, src->continues);
    int rc = sqlite3_step(q) == SQLITE_DONE ? MSL_OK : store_fail(s, "recording a source");
    sqlite3_finalize(q);
    if (rc == MSL_OK)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int msl_store_map(struct msl_store *s, uint32_t run_id, int64_t id)
{
    if (run_id >= s->nsrcmap) {
        size_t n = (size_t)run_id + 64;
        int64_t *m = realloc(s->srcmap, n * sizeof *m);
        if (!m) {
            snprintf(s->err, sizeof s->err, "out of memory");
            return MSL_ENOMEM;
        }
        memset(m + s->nsrcmap, 0, (n - s->nsrcmap) * sizeof *m);
        s->srcmap = m;
        s->nsrcmap = n;
    }
    s->srcmap[run_id] = id;
    return MSL_OK;
}

int msl_store_source_end(struct msl_store *s, int64_t id, const struct msl_store_source_end *e)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "UPDATE sources SET format = ?, zone = ?, host = ?,"
                           " first_ts = ?, last_ts = ?, lines = ?, bytes = ?, events = ?,"
                           " unparsed = ?, error = ?, sha256 = coalesce(?, sha256) WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return store_fail(s, "recording a source");
    b_str(q, 1, e->format);
    b_str(q, 2, e->zone);
    b_str(q, 3, e->host);
    b_ts(q, 4, e->first_ts);
    b_ts(q, 5, e->last_ts);
    b_int(q, 6, (int64_t)e->lines);
    b_int(q, 7, (int64_t)e->bytes);
    b_int(q, 8, (int64_t)e->events);
    b_int(q, 9, (int64_t)e->unparsed);
    b_int(q, 10, e->error);
    b_str(q, 11, e->sha256);
    b_int(q, 12, id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? MSL_OK : store_fail(s, "recording a source");
    sqlite3_finalize(q);
    return rc;
}

int msl_store_event(struct msl_store *s, const struct msl_event *e)
{
    sqlite3_stmt *q = s->st[ST_EVENT];
    b_ev(s, q, 1, &e->ev);
    b_int(q, 3, (int64_t)e->ev.offset);
    b_ts(q, 4, e->ts);
    b_view(q, 5, e->host);
    b_view(q, 6, e->mta);
    b_view(q, 7, e->program);
    b_opt(q, 8, e->pid);
    b_name(q, 9, msl_kind_name(e->kind));
    b_int(q, 10, e->flags);
    b_int(q, 11, e->repeat);
    b_view(q, 12, e->qid.n ? e->qid : MSL_STR_NULL);
    b_view(q, 13, e->new_qid.n ? e->new_qid : MSL_STR_NULL);
    b_view(q, 14, e->msgid);
    b_view(q, 15, e->from);
    b_view(q, 16, e->to);
    b_view(q, 17, e->orig_to);
    b_opt(q, 18, e->size);
    b_opt(q, 19, e->nrcpt);
    b_view(q, 20, e->uid);
    b_view(q, 21, e->client_host);
    b_view(q, 22, e->client_ip);
    b_opt(q, 23, e->client_port);
    b_view(q, 24, e->helo);
    b_view(q, 25, e->proto);
    b_view(q, 26, e->sasl_method);
    b_view(q, 27, e->sasl_user);
    b_view(q, 28, e->relay_host);
    b_view(q, 29, e->relay_ip);
    b_opt(q, 30, e->relay_port);
    b_view(q, 31, e->dsn);
    b_name(q, 32, msl_status_name(e->status));
    b_real(q, 33, e->delay);
    b_view(q, 34, e->tls);
    b_view(q, 35, e->tls_cipher);
    b_name(q, 36, msl_action_name(e->action));
    b_view(q, 37, e->stage);
    b_view(q, 38, e->code);
    b_view(q, 39, e->text);
    if (e->severity != MSL_SEV_INFO)
        b_str(q, 40, msl_severity_name(e->severity));
    b_view(q, 41, e->detail);
    b_opt(q, 42, e->count);
    b_view(q, 43, e->raw);
    b_view(q, 44, e->daemon);
    b_view(q, 45, e->service);
    b_ts(q, 46, e->qid_time);
    char delays[128];
    if (e->delays[0] >= 0 || e->delays[1] >= 0 || e->delays[2] >= 0 || e->delays[3] >= 0) {
        /* Postfix's a/b/c/d; an absent part is "-" */
        size_t n = 0;
        for (int k = 0; k < 4; k++) {
            if (e->delays[k] >= 0)
                n += (size_t)snprintf(delays + n, sizeof delays - n, "%s%.17g", k ? "/" : "",
                                      e->delays[k]);
            else
                n += (size_t)snprintf(delays + n, sizeof delays - n, "%s-", k ? "/" : "");
            if (n >= sizeof delays)
                break;
        }
        b_str(q, 47, delays);
    }
    return put(s, ST_EVENT, "writing an event");
}

/* "a,b,c" of a string list into b (empty: NULL) */
static const char *joined(struct buf *b, char *const *v, size_t n, const char *sep)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_adds(b, sep);
        buf_adds(b, v[i] ? v[i] : "");
    }
    return n && !b->err ? b->p : NULL;
}

static const struct msl_evidence *first_line(const struct msl_evline *l, size_t n)
{
    return n ? &l[0].ev : NULL;
}

/* the last line kept (a record's events lie between its first and last line) */
static const struct msl_evidence *last_line(const struct msl_evline *l, size_t n)
{
    return n ? &l[n - 1].ev : NULL;
}

int msl_store_message(struct msl_store *s, const struct msl_message *m)
{
    sqlite3_stmt *q = s->st[ST_MESSAGE];
    struct buf dsn;
    buf_init(&dsn, 1 << 16);
    b_int(q, 1, s->ingest);
    b_str(q, 2, m->host);
    b_str(q, 3, m->qid);
    b_str(q, 4, m->msgid);
    b_str(q, 5, m->from);
    b_str(q, 6, m->client_host);
    b_str(q, 7, m->client_ip);
    b_opt(q, 8, m->client_port);
    b_str(q, 9, m->helo);
    b_str(q, 10, m->proto);
    b_str(q, 11, m->sasl_method);
    b_str(q, 12, m->sasl_user);
    b_str(q, 13, m->uid);
    b_opt(q, 14, m->size);
    b_opt(q, 15, m->nrcpt);
    b_int(q, 16, m->seen_receipt);
    b_ts(q, 17, m->received_ts);
    b_ts(q, 18, m->first_ts);
    b_ts(q, 19, m->last_ts);
    b_str(q, 20, msl_msg_end_name(m->end));
    b_name(q, 21, msl_status_name(m->final));
    b_str(q, 22, m->reinjected_as);
    b_str(q, 23, m->reinjected_from);
    b_str(q, 24, m->bounce_of);
    b_str(q, 25, joined(&dsn, m->dsn_qids, m->ndsn, ","));
    b_ts(q, 26, (int64_t)m->session_id);
    b_int(q, 27, (int64_t)(m->nlines + m->lines_dropped));
    const struct msl_evidence *ev = first_line(m->lines, m->nlines);
    if (!ev && m->ndeliveries)
        ev = &m->deliveries[0].ev;
    b_ev(s, q, 28, ev);
    b_ev(s, q, 30, last_line(m->lines, m->nlines));
    int rc = put(s, ST_MESSAGE, "writing a message");
    buf_free(&dsn);
    if (rc)
        return rc;
    int64_t mid = sqlite3_last_insert_rowid(s->db);

    /* recipients first: each attempt names the recipient row it belongs to */
    int64_t *owner = m->ndeliveries ? calloc(m->ndeliveries, sizeof *owner) : NULL;
    if (m->ndeliveries && !owner) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return MSL_ENOMEM;
    }
    for (size_t i = 0; i < m->nrcpts && rc == MSL_OK; i++) {
        const struct msl_recipient *r = &m->rcpts[i];
        q = s->st[ST_RECIPIENT];
        b_int(q, 1, mid);
        b_str(q, 2, r->addr);
        b_str(q, 3, r->orig);
        b_str(q, 4, msl_outcome_name(r->outcome));
        b_name(q, 5, msl_status_name(r->last_status));
        b_int(q, 6, r->attempts);
        b_int(q, 7, r->deferrals);
        b_ts(q, 8, r->first_ts);
        b_ts(q, 9, r->last_ts);
        b_str(q, 10, r->relay_host);
        b_str(q, 11, r->relay_ip);
        b_opt(q, 12, r->relay_port);
        b_str(q, 13, r->dsn);
        b_str(q, 14, r->reply);
        b_str(q, 15, r->tls);
        b_real(q, 16, r->delay);
        b_str(q, 17, r->next_qid);
        b_ev(s, q, 18, r->ev.line ? &r->ev : NULL);
        if ((rc = put(s, ST_RECIPIENT, "writing a recipient")) != MSL_OK)
            break;
        int64_t rid = sqlite3_last_insert_rowid(s->db);
        for (size_t k = 0; k < r->nattempt; k++)
            if (r->attempt[k] < m->ndeliveries)
                owner[r->attempt[k]] = rid;
    }
    for (size_t i = 0; i < m->ndeliveries && rc == MSL_OK; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        q = s->st[ST_ATTEMPT];
        b_int(q, 1, mid);
        b_ts(q, 2, owner[i]);
        b_ts(q, 3, d->ts);
        b_str(q, 4, d->to);
        b_str(q, 5, d->orig_to);
        b_str(q, 6, d->daemon);
        b_str(q, 7, d->relay_host);
        b_str(q, 8, d->relay_ip);
        b_opt(q, 9, d->relay_port);
        b_str(q, 10, d->dsn);
        b_name(q, 11, msl_status_name(d->status));
        b_str(q, 12, d->text);
        b_real(q, 13, d->delay);
        for (int k = 0; k < 4; k++)
            b_real(q, 14 + k, d->delays[k]);
        b_str(q, 18, d->tls);
        b_str(q, 19, d->new_qid);
        b_int(q, 20, d->local);
        b_int(q, 21, d->repeat);
        b_ev(s, q, 22, &d->ev);
        rc = put(s, ST_ATTEMPT, "writing an attempt");
    }
    free(owner);
    for (size_t i = 0; i < m->nactions && rc == MSL_OK; i++) {
        const struct msl_action_rec *a = &m->actions[i];
        q = s->st[ST_ACTION];
        b_int(q, 1, mid);
        b_ts(q, 2, a->ts);
        b_name(q, 3, msl_action_name(a->action));
        b_str(q, 4, a->stage);
        b_str(q, 5, a->text);
        b_str(q, 6, a->to);
        b_ev(s, q, 7, &a->ev);
        rc = put(s, ST_ACTION, "writing a message action");
    }
    return rc;
}

int msl_store_session(struct msl_store *s, const struct msl_session *ss)
{
    sqlite3_stmt *q = s->st[ST_SESSION];
    size_t ok = 0, failed = 0;
    const char *user = NULL, *tried = NULL;
    for (size_t i = 0; i < ss->nauths; i++) {
        if (ss->auths[i].ok) {
            ok++;
            user = ss->auths[i].user ? ss->auths[i].user : user;
        } else {
            failed++;
            tried = ss->auths[i].user ? ss->auths[i].user : tried;
        }
    }
    struct buf v;
    buf_init(&v, 1 << 16);
    b_int(q, 1, s->ingest);
    b_int(q, 2, (int64_t)ss->id);
    b_str(q, 3, ss->host);
    b_str(q, 4, ss->program);
    b_opt(q, 5, ss->pid);
    b_str(q, 6, ss->smtp_session_id);
    b_str(q, 7, ss->client_host);
    b_str(q, 8, ss->client_ip);
    b_opt(q, 9, ss->client_port);
    b_ts(q, 10, ss->start_ts);
    b_ts(q, 11, ss->end_ts);
    b_str(q, 12, ss->helo);
    b_str(q, 13, ss->tls_proto);
    b_str(q, 14, ss->tls_cipher);
    b_int(q, 15, (int64_t)ok);
    b_int(q, 16, (int64_t)failed);
    b_str(q, 17, user ? user : tried);
    b_int(q, 18, (int64_t)ss->nrejects);
    b_str(q, 19, ss->counters);
    b_str(q, 20, ss->end_reason);
    b_str(q, 21, joined(&v, ss->verdicts, ss->nverdicts, "; "));
    b_int(q, 22, (int64_t)ss->nqids);
    b_int(q, 23, ss->closed);
    b_int(q, 24, s->at_end);
    const struct msl_evidence *ev = first_line(ss->lines, ss->nlines);
    if (!ev && ss->nauths)
        ev = &ss->auths[0].ev;
    if (!ev && ss->nrejects)
        ev = &ss->rejects[0].ev;
    b_ev(s, q, 25, ev);
    b_ev(s, q, 27, last_line(ss->lines, ss->nlines));
    int rc = put(s, ST_SESSION, "writing a session");
    buf_free(&v);
    if (rc)
        return rc;
    int64_t sid = sqlite3_last_insert_rowid(s->db);
    for (size_t i = 0; i < ss->nauths && rc == MSL_OK; i++) {
        const struct msl_auth_rec *a = &ss->auths[i];
        q = s->st[ST_AUTH];
        b_int(q, 1, sid);
        b_ts(q, 2, a->ts);
        b_int(q, 3, a->ok);
        b_str(q, 4, a->method);
        b_str(q, 5, a->user);
        b_str(q, 6, a->text);
        b_ev(s, q, 7, &a->ev);
        rc = put(s, ST_AUTH, "writing an authentication");
    }
    for (size_t i = 0; i < ss->nrejects && rc == MSL_OK; i++) {
        const struct msl_reject_rec *r = &ss->rejects[i];
        q = s->st[ST_REJECT];
        b_int(q, 1, sid);
        b_ts(q, 2, r->ts);
        b_name(q, 3, msl_action_name(r->action));
        b_str(q, 4, r->stage);
        b_str(q, 5, r->code);
        b_str(q, 6, r->dsn);
        b_str(q, 7, r->text);
        b_str(q, 8, r->from);
        b_str(q, 9, r->to);
        b_str(q, 10, r->helo);
        b_int(q, 11, r->noqueue);
        b_ev(s, q, 12, &r->ev);
        rc = put(s, ST_REJECT, "writing a reject");
    }
    return rc;
}

int msl_store_finding(struct msl_store *s, const struct msl_finding *f)
{
    sqlite3_stmt *q = s->st[ST_FINDING];
    struct buf c;
    buf_init(&c, 1 << 16);
    buf_addc(&c, '{');
    for (size_t i = 0; i < f->ncounts; i++) {
        buf_adds(&c, i ? ",\"" : "\"");
        esc_json(&c, f->counts[i].name, strlen(f->counts[i].name));
        buf_addf(&c, "\":%lld", (long long)f->counts[i].value);
    }
    buf_addc(&c, '}');
    b_int(q, 1, s->ingest);
    b_str(q, 2, f->rule);
    b_str(q, 3, msl_fsev_name(f->severity));
    b_str(q, 4, f->title);
    b_str(q, 5, f->entity_type);
    b_str(q, 6, f->entity);
    b_str(q, 7, f->host);
    b_ts(q, 8, f->first_ts);
    b_ts(q, 9, f->last_ts);
    b_str(q, 10, c.err ? NULL : c.p);
    b_str(q, 11, f->explain);
    b_int(q, 12, (int64_t)f->evidence_total);
    int rc = put(s, ST_FINDING, "writing a finding");
    buf_free(&c);
    if (rc)
        return rc;
    int64_t fid = sqlite3_last_insert_rowid(s->db);
    for (size_t i = 0; i < f->nevidence && rc == MSL_OK; i++) {
        q = s->st[ST_FEVIDENCE];
        b_int(q, 1, fid);
        b_ev(s, q, 2, &f->evidence[i].ev);
        b_ts(q, 4, f->evidence[i].ts);
        rc = put(s, ST_FEVIDENCE, "writing a finding's evidence");
    }
    for (size_t i = 0; i < f->nmessages + f->nsessions && rc == MSL_OK; i++) {
        int msg = i < f->nmessages;
        q = s->st[ST_FREF];
        b_int(q, 1, fid);
        b_str(q, 2, msg ? "message" : "session");
        b_str(q, 3, msg ? f->messages[i] : f->sessions[i - f->nmessages]);
        rc = put(s, ST_FREF, "writing a finding's reference");
    }
    return rc;
}

int msl_store_ingest_end(struct msl_store *s, uint64_t *rows)
{
    char done[32], sql[160];
    now_iso(done);
    snprintf(sql, sizeof sql, "UPDATE ingests SET finished = '%s', rows = %llu WHERE id = %lld",
             done, (unsigned long long)s->rows, (long long)s->ingest);
    /* indexes and hops in the last transaction, with the mark that the ingest is complete;
     * the earlier open records this ingest completed go in the same transaction */
    if (store_exec(s, "COMMIT; BEGIN") || store_drop_superseded(s) ||
        store_create_indexes(s) || store_link_hops(s) ||
        store_exec(s, sql) || store_exec(s, "COMMIT"))
        return MSL_EIO;
    s->in_tx = 0;
    s->pending = 0;
    if (rows)
        *rows = s->rows;
    /* one self-contained file to hand over (and to open read-only anywhere) */
    store_exec(s, "PRAGMA journal_mode = DELETE");
    return MSL_OK;
}
