/*
 * cmd_formats.c - `formats`: what mailsleuth reads; `formats --detect FILE...`: which
 * format each input is read as, and every format's score for it.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "util/esc.h"

static int list(void)
{
    puts("file formats (detected per file from its first lines; --log-format forces one):");
    for (const struct msl_format *const *f = msl_formats(); *f; f++)
        printf("  %-18s %s\n", (*f)->name, (*f)->description);
    puts("dialects inside syslog (chosen per line by the program tag; --dialect forces one):");
    for (const struct msl_dialect *const *d = msl_dialects(); *d; d++)
        printf("  %-18s %s\n", (*d)->name, (*d)->mta);
    puts("syslog envelopes (detected per line):");
    for (int f = 1; f < MSL_ENV__COUNT; f++)
        printf("  %s\n", msl_env_format_name((enum msl_env_format)f));
    puts("compression (detected by content): gzip, bzip2, xz, zstd; archives: zip, tar");
    return EXIT_OK;
}

int cmd_formats(struct app *a)
{
    if (!a->cli.detect)
        return list();
    if (a->cli.npaths == 0) {
        fprintf(stderr, "mailsleuth: formats --detect needs files or directories\n");
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc)
        return rc;
    a->ro.detect_only = 1;
    struct msl_sink sink = app_sink(a, NULL);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    app_progress_done(a); /* the progress line goes before any output */
    const struct msl_format *const *fs = msl_formats();
    for (size_t i = 0; i < a->run.nsources; i++) {
        const struct msl_run_source *rs = &a->run.sources[i];
        if (!rs->name)
            continue;
        struct buf b;
        buf_init(&b, 1 << 16);
        esc_text(&b, rs->name, strlen(rs->name));
        buf_addf(&b, ": %s (score %d of 100%s)", rs->format ? rs->format : "?", rs->format_score,
                 a->cli.log_format ? ", forced" : "");
        if (!a->cli.log_format) {
            buf_adds(&b, "; scores:");
            for (size_t j = 0; fs[j] && j < sizeof rs->scores / sizeof rs->scores[0]; j++)
                buf_addf(&b, " %s=%d", fs[j]->name, rs->scores[j]);
        }
        buf_addc(&b, '\n');
        fwrite(b.p, 1, b.n, stdout);
        buf_free(&b);
    }
    return app_finish(a, run_rc, MSL_OK);
}
