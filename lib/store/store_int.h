/*
 * store_int.h - the case store's private state, shared by schema.c (open, create, migrate,
 * recover), write.c (ingest) and read.c (sql).  Only lib/store includes it.
 */
#ifndef MSL_STORE_INT_H
#define MSL_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "mailsleuth/store.h"

/* The prepared statements of an ingest, in the order write.c prepares them. */
enum st_id {
    ST_EVENT,
    ST_MESSAGE,
    ST_RECIPIENT,
    ST_ATTEMPT,
    ST_ACTION,
    ST_SESSION,
    ST_AUTH,
    ST_REJECT,
    ST_FINDING,
    ST_FEVIDENCE,
    ST_FREF,
    ST__COUNT
};

struct msl_store {
    sqlite3 *db;
    enum msl_store_mode mode;
    int64_t ingest;     /* id of the ingest being written, 0 none */
    int64_t recovered;  /* incomplete ingests removed at open */
    uint64_t pending;   /* rows in the open transaction */
    uint64_t rows;      /* rows written by this ingest */
    int in_tx;
    int at_end;         /* records now written were open when the input ended */
    sqlite3_stmt *st[ST__COUNT];
    int64_t *srcmap;    /* run source id -> sources.id (0 = unknown) */
    size_t nsrcmap;
    char err[1024];
};

/* Runs SQL without results; on failure copies SQLite's message into s->err. */
int store_exec(struct msl_store *s, const char *sql);
/* The schema of MSL_STORE_SCHEMA (tables and views) and the investigator's indexes. */
int store_create_schema(struct msl_store *s);
int store_create_indexes(struct msl_store *s);
/* Derived tables recomputed at the end of every ingest (hops between messages). */
int store_link_hops(struct msl_store *s);
/* Deletes the records of earlier ingests this one replayed and so replaced (replay.c). */
int store_drop_superseded(struct msl_store *s);
/* Removes every row of ingests that never finished. */
int store_recover(struct msl_store *s);
/* "<what>: <sqlite message>" into s->err; returns MSL_EIO. */
int store_fail(struct msl_store *s, const char *what);

#endif
