/* provenance.c - see provenance.h. */
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "report/provenance.h"
#include "util/esc.h"

static void jstr(struct buf *b, const char *s)
{
    buf_addc(b, '"');
    esc_json(b, s ? s : "", s ? strlen(s) : 0);
    buf_addc(b, '"');
}

void provenance_json(struct buf *b, const struct msl_invocation *inv, const struct msl_tz *tz,
                     const struct msl_run *run)
{
    buf_adds(b, "\"provenance\":{\"tool\":\"mailsleuth\",\"version\":\"" MSL_VERSION "\",\"zone\":");
    jstr(b, tz ? msl_tz_name(tz) : "UTC");
    buf_adds(b, ",\"command\":[");
    for (int i = 0; inv && i < inv->argc; i++) {
        if (i)
            buf_addc(b, ',');
        jstr(b, inv->argv[i]);
    }
    buf_adds(b, "],\"inputs\":[");
    for (size_t i = 0; run && i < run->nhashes; i++) {
        const struct msl_run_hash *h = &run->hashes[i];
        buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
        jstr(b, h->name);
        buf_addf(b, ",\"member\":%s,\"size\":%lld,\"sha256\":\"%s\"}", h->member ? "true" : "false",
                 (long long)h->size, h->sha256);
    }
    buf_addc(b, ']');
    if (run && run->nhashes == 0)
        buf_adds(b, ",\"inputs_note\":\"no fingerprints (standard input, or hashing off)\"");
    buf_addc(b, '}');
}
