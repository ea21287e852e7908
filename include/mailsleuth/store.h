/*
 * store.h - the case store: one SQLite file that holds what a run found (sources with their
 * fingerprints, events, the correlator's messages, recipients, attempts and sessions, hunt's
 * findings), so a case is ingested once and asked many times (doc/SCHEMA.md).
 *
 * Writing (ingest): msl_store_open(MSL_STORE_WRITE) creates or upgrades the case and first
 * removes whatever an ingest that never finished (killed) left behind, so the case always
 * holds complete ingests only; msl_store_ingest_begin records the command line; rows are
 * written in transactions of MSL_STORE_BATCH rows; msl_store_ingest_end commits the last
 * batch and marks the ingest complete.  Every row that comes from a log line cites its source
 * and line.
 *
 * Reading (sql): msl_store_open(MSL_STORE_READ) opens an existing case read-only (never
 * creates a file) and refuses files that are not a mailsleuth case or whose schema is newer.
 *
 * Errors: functions return MSL_OK or a negative MSL_E* code and write one line into err.
 */
#ifndef MAILSLEUTH_STORE_H
#define MAILSLEUTH_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "correlate.h"
#include "detect.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MSL_STORE_SCHEMA 1          /* PRAGMA user_version of the cases this build writes */
#define MSL_STORE_APP_ID 0x4d534c43 /* PRAGMA application_id: "MSLC" */
#define MSL_STORE_BATCH 50000       /* rows per transaction while ingesting */

enum msl_store_mode { MSL_STORE_READ, MSL_STORE_WRITE };

struct msl_store;

/* Opens (READ: an existing case, read-only and query_only; WRITE: creates it when missing).
 * A file that is not a case, a newer schema, or a read-only file for WRITE: MSL_EUSAGE /
 * MSL_EIO with the reason in err. */
int msl_store_open(const char *path, enum msl_store_mode mode, struct msl_store **out,
                   char *err, size_t errsz);
void msl_store_close(struct msl_store *s);
/* The incomplete ingests removed when the case was opened for writing. */
int64_t msl_store_recovered(const struct msl_store *s);

/* --- sources already in the case ---------------------------------------------------- */
struct msl_store_known {
    int found;        /* 1: these bytes under this path (or elsewhere) are in the case */
    char other[4096]; /* found under another path: that path ("" when the same) */
    /* for a path in the case with other bytes: the largest earlier version */
    int64_t prev_id, prev_size, prev_lines;
    char prev_sha256[65];
};
int msl_store_lookup(struct msl_store *s, const char *name, const char *sha256,
                     struct msl_store_known *k);

/* --- writing ------------------------------------------------------------------------ */
/* argv and cwd are recorded as given; tz is the zone name used. */
int msl_store_ingest_begin(struct msl_store *s, int argc, char *const *argv, const char *tz);

struct msl_store_source {
    const char *name, *path, *container; /* container: "zip", "tar" or NULL */
    const char *sha256;                   /* "" when not fingerprinted */
    int64_t size, mtime;
    const char *compression;
    uint64_t skip_lines; /* lines already in the case from prev_id (a grown file) */
    int64_t continues;   /* that earlier source's id, 0 none */
};
/* Records a source about to be read; *id gets its sources.id. */
int msl_store_source(struct msl_store *s, const struct msl_store_source *src, int64_t *id);
/* Rows that cite run source run_id (msl_evidence.src) cite sources.id id. */
int msl_store_map(struct msl_store *s, uint32_t run_id, int64_t id);
int64_t msl_store_mapped(const struct msl_store *s, uint32_t run_id); /* 0 = not mapped */
/* After the run: format, zone, times, lines, events and unparsed lines of a source. */
struct msl_store_source_end {
    const char *format, *zone, *host;
    const char *sha256; /* the fingerprint of the bytes parsed, when it differs (else NULL) */
    int64_t first_ts, last_ts;
    uint64_t lines, bytes, events, unparsed;
    int error;
};
int msl_store_source_end(struct msl_store *s, int64_t id,
                         const struct msl_store_source_end *e);

/*
 * Open records across ingests: messages and sessions that earlier ingests ended with still
 * open (the input ended) are handed back as their events, in input order, so the caller's
 * correlator can complete them with the new lines; fn gets each event (its ev.src is
 * MSL_STORE_REPLAY_SRC + the stored source id, which rows then cite).  The earlier rows are
 * deleted when this ingest ends (msl_store_ingest_end), not before, so a killed ingest loses
 * nothing.  *records gets the number of records replayed (may be NULL).
 */
#define MSL_STORE_REPLAY_SRC 0x80000000u
int msl_store_replay(struct msl_store *s, int (*fn)(void *ctx, const struct msl_event *e),
                     void *ctx, uint64_t *records);
/* Records written from now on are the ones still open when the input ended. */
void msl_store_at_end(struct msl_store *s);

int msl_store_event(struct msl_store *s, const struct msl_event *e);
int msl_store_message(struct msl_store *s, const struct msl_message *m);
int msl_store_session(struct msl_store *s, const struct msl_session *ss);
int msl_store_finding(struct msl_store *s, const struct msl_finding *f);
/* Commits and marks the ingest complete; rows written are added to *rows (may be NULL). */
int msl_store_ingest_end(struct msl_store *s, uint64_t *rows);
/* The message of the last failure ("" when none). */
const char *msl_store_error(const struct msl_store *s);

/* --- reading ------------------------------------------------------------------------ */
/* Every fingerprint the case holds now: per source name its latest version (a grown file's
 * largest), with the file it is in (path) and whether it is an archive member.  fn returns
 * non-zero to stop. */
int msl_store_each_source(struct msl_store *s,
                          int (*fn)(void *ctx, const char *name, const char *path, int member,
                                    const char *sha256, int64_t size),
                          void *ctx);

enum msl_store_fmt { MSL_STORE_TABLE, MSL_STORE_CSV, MSL_STORE_JSON, MSL_STORE_JSONL };
/* Runs one SQL statement and writes its rows (escaped like every other output).  A bad
 * statement: MSL_EUSAGE with SQLite's message and the byte offset where it knows one.
 * *nrows gets the number of rows written (may be NULL). */
int msl_store_query(struct msl_store *s, const char *sql, enum msl_store_fmt f, FILE *out,
                    uint64_t *nrows, char *err, size_t errsz);

#ifdef __cplusplus
}
#endif
#endif
