/*
 * read.c - `sql`: one statement against a case opened read-only, its rows written as an
 * aligned table, CSV, JSON or JSON lines.  Every value may hold log content, so each one
 * goes through the escapers of util/esc.h (terminal-safe text, CSV with formula
 * neutralising, valid JSON), like every other output of mailsleuth.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/esc.h"

#define TABLE_ROWS 1000  /* rows read ahead to size the table's columns */
#define TABLE_WIDTH 48   /* a column is padded to at most this many characters */
#define CELL_MAX (16u << 20)

/* characters on screen of escaped (ASCII-safe or UTF-8) text */
static size_t width(const char *p, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)p[i] & 0xc0) != 0x80;
    return w;
}

/* One value as text (table, CSV) or JSON; NULL is "NULL" in a table, an unquoted empty field
 * in CSV (so it differs from ""), null in JSON. */
static void value(struct buf *b, sqlite3_stmt *q, int i, enum msl_store_fmt f)
{
    int t = sqlite3_column_type(q, i);
    if (t == SQLITE_NULL) {
        buf_adds(b, f == MSL_STORE_TABLE ? "NULL" : f == MSL_STORE_CSV ? "" : "null");
        return;
    }
    if (t == SQLITE_INTEGER) {
        buf_addi(b, sqlite3_column_int64(q, i));
        return;
    }
    if (t == SQLITE_FLOAT) {
        double d = sqlite3_column_double(q, i);
        if (isfinite(d))
            buf_addf(b, "%.15g", d);
        else /* JSON has no infinity: null there, the word elsewhere */
            buf_adds(b, f == MSL_STORE_JSON || f == MSL_STORE_JSONL ? "null" : d > 0 ? "inf"
                        : d < 0 ? "-inf" : "nan");
        return;
    }
    const char *p;
    size_t n;
    struct buf hex;
    buf_init(&hex, CELL_MAX);
    if (t == SQLITE_BLOB) {
        const unsigned char *bl = sqlite3_column_blob(q, i);
        n = (size_t)sqlite3_column_bytes(q, i);
        buf_adds(&hex, "x'");
        for (size_t k = 0; k < n; k++)
            buf_addf(&hex, "%02x", bl[k]);
        buf_addc(&hex, '\'');
        p = hex.p ? hex.p : "";
        n = hex.n;
    } else {
        p = (const char *)sqlite3_column_text(q, i);
        n = (size_t)sqlite3_column_bytes(q, i);
        p = p ? p : "";
    }
    if (f == MSL_STORE_TABLE) {
        esc_text(b, p, n);
    } else if (f == MSL_STORE_CSV) {
        esc_csv(b, p, n);
    } else {
        buf_addc(b, '"');
        esc_json(b, p, n);
        buf_addc(b, '"');
    }
    buf_free(&hex);
}

static void json_row(struct buf *b, sqlite3_stmt *q, int ncol)
{
    buf_addc(b, '{');
    for (int i = 0; i < ncol; i++) {
        const char *name = sqlite3_column_name(q, i);
        buf_adds(b, i ? ",\"" : "\"");
        esc_json(b, name ? name : "", name ? strlen(name) : 0);
        buf_adds(b, "\":");
        value(b, q, i, MSL_STORE_JSON);
    }
    buf_addc(b, '}');
}

struct table {
    int ncol;
    char **cells; /* rows x ncol escaped cells, read ahead */
    size_t nrows;
    size_t *w;
};

static void table_line(struct buf *b, struct table *t, char *const *cells)
{
    for (int i = 0; i < t->ncol; i++) {
        const char *c = cells[i] ? cells[i] : "";
        buf_adds(b, c);
        if (i + 1 < t->ncol) {
            size_t cw = width(c, strlen(c));
            for (size_t k = cw; k < t->w[i]; k++)
                buf_addc(b, ' ');
            buf_adds(b, "  ");
        }
    }
    buf_addc(b, '\n');
}

static int flush(struct buf *b, FILE *out)
{
    if (b->err)
        return MSL_ENOMEM;
    if (b->n && fwrite(b->p, 1, b->n, out) != b->n)
        return MSL_EIO;
    buf_reset(b);
    return MSL_OK;
}

/* The header, then the read-ahead rows, with widths from them. */
static int table_head(struct buf *b, struct table *t, sqlite3_stmt *q, FILE *out)
{
    char **head = calloc((size_t)t->ncol, sizeof *head);
    int rc = head ? MSL_OK : MSL_ENOMEM;
    for (int i = 0; rc == MSL_OK && i < t->ncol; i++) {
        struct buf h;
        buf_init(&h, CELL_MAX);
        const char *name = sqlite3_column_name(q, i);
        esc_text(&h, name ? name : "", name ? strlen(name) : 0);
        head[i] = h.p ? h.p : strdup("");
        size_t hw = width(head[i], strlen(head[i]));
        if (hw > t->w[i])
            t->w[i] = hw;
        if (!head[i])
            rc = MSL_ENOMEM;
    }
    for (int i = 0; i < t->ncol; i++)
        if (t->w[i] > TABLE_WIDTH)
            t->w[i] = TABLE_WIDTH;
    if (rc == MSL_OK) {
        table_line(b, t, head);
        for (int i = 0; i < t->ncol; i++) {
            for (size_t k = 0; k < (t->w[i] ? t->w[i] : 1); k++)
                buf_addc(b, '-');
            buf_adds(b, i + 1 < t->ncol ? "  " : "\n");
        }
        for (size_t r = 0; r < t->nrows; r++)
            table_line(b, t, t->cells + r * (size_t)t->ncol);
        rc = flush(b, out);
    }
    for (int i = 0; head && i < t->ncol; i++)
        free(head[i]);
    free(head);
    return rc;
}

/* Cells of the current row, escaped, into a row of t->cells. */
static int table_keep(struct table *t, sqlite3_stmt *q)
{
    char **row = t->cells + t->nrows * (size_t)t->ncol;
    for (int i = 0; i < t->ncol; i++) {
        struct buf c;
        buf_init(&c, CELL_MAX);
        value(&c, q, i, MSL_STORE_TABLE);
        if (c.err || !(row[i] = c.p ? c.p : strdup(""))) {
            buf_free(&c);
            return MSL_ENOMEM;
        }
        size_t cw = width(row[i], strlen(row[i]));
        if (cw > t->w[i])
            t->w[i] = cw;
    }
    t->nrows++;
    return MSL_OK;
}

static const char *skip_space(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p) || *p == ';')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e)
                return p;
            p = e + 2;
        } else {
            return p;
        }
    }
}

static int sql_error(struct msl_store *s, const char *sql, char *err, size_t errsz)
{
    int off = -1;
#if SQLITE_VERSION_NUMBER >= 3038000
    off = sqlite3_error_offset(s->db);
#endif
    if (off >= 0 && (size_t)off <= strlen(sql)) {
        /* the statement around the position, escaped (it is the user's, but may be pasted) */
        struct buf near;
        buf_init(&near, 256);
        size_t n = strlen(sql + off);
        esc_text(&near, sql + off, n > 40 ? 40 : n);
        snprintf(err, errsz, "%s (at byte %d: \"%s\")", sqlite3_errmsg(s->db), off,
                 near.p ? near.p : "");
        buf_free(&near);
    } else {
        snprintf(err, errsz, "%s", sqlite3_errmsg(s->db));
    }
    return MSL_EUSAGE;
}

int msl_store_query(struct msl_store *s, const char *sql, enum msl_store_fmt f, FILE *out,
                    uint64_t *nrows, char *err, size_t errsz)
{
    sqlite3_stmt *q = NULL;
    const char *tail = NULL;
    if (nrows)
        *nrows = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, &tail) != SQLITE_OK)
        return sql_error(s, sql, err, errsz);
    if (!q) {
        snprintf(err, errsz, "no SQL statement given");
        return MSL_EUSAGE;
    }
    if (tail && *skip_space(tail)) {
        sqlite3_finalize(q);
        snprintf(err, errsz, "one statement at a time (more follows at byte %d)",
                 (int)(skip_space(tail) - sql));
        return MSL_EUSAGE;
    }
    if (!sqlite3_stmt_readonly(q)) {
        sqlite3_finalize(q);
        snprintf(err, errsz, "sql only reads the case: this statement would change it");
        return MSL_EUSAGE;
    }
    int ncol = sqlite3_column_count(q);
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    struct table t = {.ncol = ncol};
    int rc = MSL_OK, step;
    uint64_t n = 0;
    if (f == MSL_STORE_TABLE) {
        t.cells = calloc((size_t)TABLE_ROWS * (size_t)(ncol ? ncol : 1), sizeof *t.cells);
        t.w = calloc((size_t)(ncol ? ncol : 1), sizeof *t.w);
        if (!t.cells || !t.w)
            rc = MSL_ENOMEM;
    } else if (f == MSL_STORE_CSV) {
        for (int i = 0; i < ncol; i++) {
            const char *name = sqlite3_column_name(q, i);
            if (i)
                buf_addc(&b, ',');
            esc_csv(&b, name ? name : "", name ? strlen(name) : 0);
        }
        buf_addc(&b, '\n');
    } else if (f == MSL_STORE_JSON) {
        buf_addc(&b, '[');
    }
    int headed = 0;
    while (rc == MSL_OK && (step = sqlite3_step(q)) == SQLITE_ROW) {
        if (f == MSL_STORE_TABLE) {
            if (!headed && t.nrows < TABLE_ROWS) {
                rc = table_keep(&t, q);
                n++;
                continue;
            }
            if (!headed) {
                rc = table_head(&b, &t, q, out);
                headed = 1;
            }
            char **row = t.cells; /* reuse the first row's slots, one row at a time */
            for (int i = 0; i < ncol; i++) {
                free(row[i]);
                struct buf c;
                buf_init(&c, CELL_MAX);
                value(&c, q, i, MSL_STORE_TABLE);
                row[i] = c.p ? c.p : strdup("");
            }
            table_line(&b, &t, row);
        } else if (f == MSL_STORE_CSV) {
            for (int i = 0; i < ncol; i++) {
                if (i)
                    buf_addc(&b, ',');
                value(&b, q, i, f);
            }
            buf_addc(&b, '\n');
        } else {
            if (f == MSL_STORE_JSON && n)
                buf_addc(&b, ',');
            if (f == MSL_STORE_JSON)
                buf_addc(&b, '\n');
            json_row(&b, q, ncol);
            if (f == MSL_STORE_JSONL)
                buf_addc(&b, '\n');
        }
        n++;
        if (rc == MSL_OK && b.n >= (1u << 16))
            rc = flush(&b, out);
    }
    if (rc == MSL_OK && step != SQLITE_DONE)
        rc = sql_error(s, sql, err, errsz);
    else if (rc == MSL_OK) {
        if (f == MSL_STORE_TABLE && !headed)
            rc = table_head(&b, &t, q, out);
        else if (f == MSL_STORE_JSON)
            buf_adds(&b, n ? "\n]\n" : "]\n");
        if (rc == MSL_OK)
            rc = flush(&b, out);
    }
    if (rc == MSL_ENOMEM)
        snprintf(err, errsz, "out of memory");
    else if (rc == MSL_EIO)
        snprintf(err, errsz, "writing the output failed");
    for (size_t i = 0; t.cells && i < (size_t)TABLE_ROWS * (size_t)ncol; i++)
        free(t.cells[i]);
    free(t.cells);
    free(t.w);
    buf_free(&b);
    sqlite3_finalize(q);
    if (nrows)
        *nrows = n;
    return rc;
}

int msl_store_each_source(struct msl_store *s,
                          int (*fn)(void *ctx, const char *name, const char *path, int member,
                                    const char *sha256, int64_t size),
                          void *ctx)
{
    sqlite3_stmt *q;
    /* the latest version of each name: the largest (a grown file keeps its earlier rows) */
    if (sqlite3_prepare_v2(s->db, "SELECT name, path, container IS NOT NULL, sha256, size"
                           " FROM sources s WHERE sha256 != '' AND NOT EXISTS (SELECT 1 FROM"
                           " sources t WHERE t.name = s.name AND t.sha256 != ''"
                           " AND (t.size > s.size OR (t.size = s.size AND t.id > s.id)))"
                           " ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return store_fail(s, "reading the case's sources");
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        const char *path = (const char *)sqlite3_column_text(q, 1);
        const char *sha = (const char *)sqlite3_column_text(q, 3);
        if (fn(ctx, name ? name : "", path ? path : "", sqlite3_column_int(q, 2),
               sha ? sha : "", sqlite3_column_int64(q, 4)))
            break;
    }
    int rc = step == SQLITE_ROW || step == SQLITE_DONE ? MSL_OK
                                                       : store_fail(s, "reading the case's sources");
    sqlite3_finalize(q);
    return rc;
}
