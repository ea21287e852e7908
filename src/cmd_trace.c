/*
 * cmd_trace.c - `trace QUERY`: QUERY is a Message-ID, queue id, address, IP or CIDR, SASL
 * user, or (with --expr) any search expression.  The query word is turned into a search
 * expression that looks in every field it could name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "mailsleuth/trace.h"
#include "util/buf.h"
#include "util/cidr.h"

static int is_ip_or_cidr(const char *q)
{
    const char *slash = strchr(q, '/');
    size_t n = slash ? (size_t)(slash - q) : strlen(q);
    unsigned char addr[16];
    int family;
    return msl_ip_parse(q, n, &family, addr) == 0;
}

static void quoted(struct buf *b, const char *field, const char *q)
{
    buf_adds(b, field);
    buf_adds(b, ":\"");
    for (const char *p = q; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_addc(b, '\\');
        buf_addc(b, *p);
    }
    buf_addc(b, '"');
}

/* The search expression a bare trace query stands for. */
static void query_to_expr(struct buf *b, const char *q)
{
    size_t n = strlen(q);
    if (n > 2 && q[0] == '<' && q[n - 1] == '>') {
        quoted(b, "msgid", q);
    } else if (is_ip_or_cidr(q)) {
        buf_adds(b, "ip:");
        buf_adds(b, q);
    } else if (msl_postfix_qid(q, n, NULL)) {
        quoted(b, "qid", q);
        buf_adds(b, " OR ");
        quoted(b, "msgid", q);
    } else {
        const char *fields[] = {"from", "to", "user", "msgid", "qid"};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (i)
                buf_adds(b, " OR ");
            quoted(b, fields[i], q);
        }
    }
}

int cmd_trace(struct app *a, const char *query)
{
    const char *f = a->cli.format;
    int json = f && !strcmp(f, "json");
    if (f && !json && strcmp(f, "text") != 0) {
        fprintf(stderr, "mailsleuth: trace writes text or json, not '%s'\n", f);
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc)
        return rc;
    struct buf expr;
    buf_init(&expr, 1 << 16);
    if (a->cli.expr)
        buf_adds(&expr, query);
    else
        query_to_expr(&expr, query);
    struct msl_query *q = NULL;
    char err[256];
    size_t col = 0;
    if (expr.err || msl_query_compile(expr.p, a->tz, &q, err, sizeof err, &col) != MSL_OK) {
        fprintf(stderr, "mailsleuth: bad query: %s\n  %s\n  %*s^\n", err, expr.p ? expr.p : "",
                (int)(col ? col - 1 : 0), "");
        buf_free(&expr);
        return EXIT_USAGE;
    }
    struct msl_trace *t = msl_trace_new(q, query);
    if (t && a->cli.trace_mem)
        msl_trace_set_window(t, a->cli.trace_mem);
    buf_free(&expr);
    if (!t) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        msl_query_free(q);
        return EXIT_INTERNAL;
    }
    msl_trace_set_palette(t, a->pal);
    struct msl_sink outer = app_sink(a, NULL);
    a->ro.hash = json; /* JSON answers carry the inputs' fingerprints (last pass) */
    int run_rc = msl_trace_run(t, a->cli.paths, a->cli.npaths, &a->ro, &outer, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    int wrc = MSL_OK;
    if (run_rc != MSL_ENOMEM)
        wrc = json ? msl_trace_write_json(t, &a->run, a->tz, &a->inv, stdout)
                   : msl_trace_write_text(t, &a->run, a->tz, stdout);
    size_t matches = msl_trace_matches(t);
    msl_trace_free(t);
    msl_query_free(q);
    rc = app_finish(a, run_rc, wrc);
    /* the text answer's first line already says "0 matching records": on a terminal, where
     * stdout and stderr are read together, saying it again is noise */
    if (rc == EXIT_OK && matches == 0 && !a->cli.quiet && (json || !isatty(STDOUT_FILENO)))
        fprintf(stderr, "mailsleuth: nothing matches '%s'\n", query);
    return rc;
}
