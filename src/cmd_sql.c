/*
 * cmd_sql.c - `sql --db CASE.sqlite 'SELECT ...'`: one read-only statement against a case
 * made by `ingest` (doc/SCHEMA.md), its rows as a table, CSV, JSON or JSON lines.  The case
 * is opened SQLITE_OPEN_READONLY with query_only, so no statement can change it, and a
 * missing file is never created.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "mailsleuth/store.h"

static int parse_format(const char *f, enum msl_store_fmt *o)
{
    if (!f || !strcmp(f, "table") || !strcmp(f, "text"))
        *o = MSL_STORE_TABLE;
    else if (!strcmp(f, "csv"))
        *o = MSL_STORE_CSV;
    else if (!strcmp(f, "json"))
        *o = MSL_STORE_JSON;
    else if (!strcmp(f, "jsonl"))
        *o = MSL_STORE_JSONL;
    else
        return 0;
    return 1;
}

int cmd_sql(struct app *a, const char *query)
{
    struct cli *c = &a->cli;
    enum msl_store_fmt fmt;
    if (!parse_format(c->format, &fmt)) {
        fprintf(stderr, "mailsleuth: sql writes table, csv, json or jsonl, not '%s'\n", c->format);
        return EXIT_USAGE;
    }
    if (!c->db) {
        fprintf(stderr, "mailsleuth: sql needs --db CASE.sqlite (a case made by mailsleuth "
                        "ingest)\n");
        return EXIT_USAGE;
    }
    if (c->npaths) {
        fprintf(stderr, "mailsleuth: sql takes one SQL statement (quote it), not also '%s'\n",
                c->paths[0]);
        return EXIT_USAGE;
    }
    char err[2048];
    struct msl_store *st;
    int rc = msl_store_open(c->db, MSL_STORE_READ, &st, err, sizeof err);
    if (rc != MSL_OK) {
        fprintf(stderr, "mailsleuth: %s\n", err);
        return rc == MSL_EUSAGE ? EXIT_USAGE : EXIT_INPUT;
    }
    uint64_t n = 0;
    rc = msl_store_query(st, query, fmt, stdout, &n, err, sizeof err);
    msl_store_close(st);
    if (rc == MSL_EUSAGE) {
        fprintf(stderr, "mailsleuth: sql: %s\n", err);
        return EXIT_USAGE;
    }
    if (rc != MSL_OK || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mailsleuth: sql: %s\n", rc != MSL_OK ? err : "writing the output failed");
        return EXIT_INTERNAL;
    }
    if (!c->quiet && fmt == MSL_STORE_TABLE)
        fprintf(stderr, "mailsleuth: %llu row%s\n", (unsigned long long)n, n == 1 ? "" : "s");
    return EXIT_OK;
}
