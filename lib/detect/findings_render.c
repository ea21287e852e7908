/*
 * findings_render.c - hunt findings as text (for people: every log-derived string escaped
 * for the terminal), JSON (one object: findings, notes, stats, provenance) or JSONL (one
 * object per line, "type":"finding" or "type":"note").  Evidence is "file:line"; the
 * lines themselves only when they were kept (--show-lines).  doc/DETECTIONS.md shows both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/palette.h"
#include "mailsleuth/report.h"
#include "report/event_out.h"
#include "report/provenance.h"
#include "util/buf.h"
#include "util/esc.h"

#define HUNT_SCHEMA 1

/* The entity as printed: log-integrity names a file by source id ("#3"). */
static const char *entity_of(const struct msl_finding *f, const struct msl_run *run)
{
    if (f->entity && f->entity[0] == '#' && !strcmp(f->entity_type, "file") && run)
        return msl_run_source_name(run, (uint32_t)strtoul(f->entity + 1, NULL, 10));
    return f->entity ? f->entity : "";
}

static void ref(struct buf *b, const struct msl_fevidence *e, const struct msl_run *run)
{
    const char *src = run ? msl_run_source_name(run, e->ev.src) : "?";
    buf_adds(b, src);
    buf_addf(b, ":%llu", (unsigned long long)e->ev.line);
}

static void jstr(struct buf *b, const char *k, const char *v)
{
    buf_addf(b, "\"%s\":\"", k);
    esc_json(b, v ? v : "", v ? strlen(v) : 0);
    buf_addc(b, '"');
}

static void jlist(struct buf *b, const char *k, char *const *v, size_t n)
{
    buf_addf(b, ",\"%s\":[", k);
    for (size_t i = 0; i < n; i++) {
        buf_adds(b, i ? ",\"" : "\"");
        esc_json(b, v[i], strlen(v[i]));
        buf_addc(b, '"');
    }
    buf_addc(b, ']');
}

/* prefix: members written first (e.g. "\"type\":\"finding\"," for JSONL). */
static void finding_json(struct buf *b, const struct msl_finding *f, const struct msl_run *run,
                         const char *prefix)
{
    buf_addc(b, '{');
    buf_adds(b, prefix);
    jstr(b, "rule", f->rule);
    buf_addc(b, ',');
    jstr(b, "severity", msl_fsev_name(f->severity));
    buf_addc(b, ',');
    jstr(b, "title", f->title);
    buf_adds(b, ",\"entity\":{");
    jstr(b, "type", f->entity_type);
    buf_addc(b, ',');
    jstr(b, "value", entity_of(f, run));
    buf_addc(b, '}');
    if (f->host) {
        buf_addc(b, ',');
        jstr(b, "host", f->host);
    }
    if (f->first_ts) {
        buf_adds(b, ",\"first\":\"");
        event_fmt_time(b, NULL, f->first_ts);
        buf_adds(b, "\",\"last\":\"");
        event_fmt_time(b, NULL, f->last_ts);
        buf_addc(b, '"');
    }
    buf_adds(b, ",\"counts\":{");
    for (size_t i = 0; i < f->ncounts; i++)
        buf_addf(b, "%s\"%s\":%lld", i ? "," : "", f->counts[i].name,
                 (long long)f->counts[i].value);
    buf_addc(b, '}');
    buf_addc(b, ',');
    jstr(b, "explanation", f->explain);
    jlist(b, "messages", f->messages, f->nmessages);
    jlist(b, "sessions", f->sessions, f->nsessions);
    buf_adds(b, ",\"evidence\":[");
    for (size_t i = 0; i < f->nevidence; i++) {
        const struct msl_fevidence *e = &f->evidence[i];
        buf_adds(b, i ? ",{\"ref\":\"" : "{\"ref\":\"");
        struct buf r;
        buf_init(&r, 1 << 16);
        ref(&r, e, run);
        esc_json(b, r.p ? r.p : "", r.n);
        buf_free(&r);
        buf_addc(b, '"');
        if (e->ts) {
            buf_adds(b, ",\"datetime\":\"");
            event_fmt_time(b, NULL, e->ts);
            buf_addc(b, '"');
        }
        if (e->text) {
            buf_addc(b, ',');
            jstr(b, "line", e->text);
        }
        buf_addc(b, '}');
    }
    buf_addf(b, "],\"evidence_cited\":%zu,\"evidence_total\":%llu}", f->nevidence,
             (unsigned long long)f->evidence_total);
}

char *msl_finding_json(const struct msl_finding *f, const struct msl_run *run)
{
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    finding_json(&b, f, run, "");
    if (b.err || !b.p) {
        buf_free(&b);
        return NULL;
    }
    return b.p; /* the buffer's memory is the caller's now */
}

static void text_s(struct buf *b, const char *s)
{
    esc_text(b, s ? s : "", s ? strlen(s) : 0);
}

static void finding_text(struct buf *b, const struct msl_finding *f, const struct msl_run *run,
                         const struct msl_tz *tz, const struct msl_palette *pal)
{
    enum msl_hue hue = msl_hue_of_severity((int)f->severity);
    char sev[16];
    size_t i = 0;
    for (const char *p = msl_fsev_name(f->severity); *p && i < sizeof sev - 1; p++)
        sev[i++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    sev[i] = '\0';
    buf_addf(b, "%s[%s]%s %s: ", msl_hue_on(pal, hue), sev, msl_hue_off(pal, hue), f->rule);
    text_s(b, f->title);
    buf_addf(b, "\n  %s: ", f->entity_type);
    text_s(b, entity_of(f, run));
    if (f->host) {
        buf_adds(b, "  host: ");
        text_s(b, f->host);
    }
    if (f->first_ts) {
        buf_adds(b, "\n  when: ");
        event_fmt_time(b, tz, f->first_ts);
        buf_adds(b, " .. ");
        event_fmt_time(b, tz, f->last_ts);
    }
    if (f->ncounts) {
        buf_adds(b, "\n  counts:");
        for (size_t k = 0; k < f->ncounts; k++)
            buf_addf(b, " %s=%lld", f->counts[k].name, (long long)f->counts[k].value);
    }
    buf_adds(b, "\n  ");
    text_s(b, f->explain);
    if (f->nmessages) {
        buf_adds(b, "\n  messages:");
        for (size_t k = 0; k < f->nmessages; k++) {
            buf_addc(b, ' ');
            text_s(b, f->messages[k]);
        }
    }
    if (f->nsessions) {
        buf_adds(b, "\n  sessions:");
        for (size_t k = 0; k < f->nsessions; k++) {
            buf_adds(b, k ? ", " : " ");
            text_s(b, f->sessions[k]);
        }
    }
    buf_addf(b, "\n  evidence (%zu of %llu lines):", f->nevidence,
             (unsigned long long)f->evidence_total);
    for (size_t k = 0; k < f->nevidence; k++) {
        struct buf r;
        buf_init(&r, 1 << 16);
        ref(&r, &f->evidence[k], run);
        buf_adds(b, "\n    ");
        esc_text(b, r.p ? r.p : "", r.n);
        buf_free(&r);
        if (f->evidence[k].text) {
            buf_adds(b, "\n      ");
            text_s(b, f->evidence[k].text);
        }
    }
    buf_adds(b, "\n\n");
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

int msl_hunt_write(const struct msl_hunt *h, enum msl_hunt_format fmt, const struct msl_run *run,
                   const struct msl_tz *tz, const struct msl_invocation *inv, FILE *out)
{
    size_t nf, nn;
    const struct msl_finding *f = msl_hunt_findings(h, &nf);
    const char *const *notes = msl_hunt_notes(h, &nn);
    size_t bysev[MSL_FSEV__COUNT] = {0};
    for (size_t i = 0; i < nf; i++)
        bysev[f[i].severity]++;
    struct buf b;
    buf_init(&b, (size_t)256 << 20);
    int rc = MSL_OK;
    if (fmt == MSL_HUNT_JSONL) {
        for (size_t i = 0; i < nf && rc == MSL_OK; i++) {
            finding_json(&b, &f[i], run, "\"type\":\"finding\",");
            buf_addc(&b, '\n');
            rc = flush(&b, out);
        }
        for (size_t i = 0; i < nn && rc == MSL_OK; i++) {
            buf_adds(&b, "{\"type\":\"note\",");
            jstr(&b, "note", notes[i]);
            buf_adds(&b, "}\n");
            rc = flush(&b, out);
        }
    } else if (fmt == MSL_HUNT_JSON) {
        buf_addf(&b, "{\"schema\":%d,\"command\":\"hunt\",\"findings\":[", HUNT_SCHEMA);
        for (size_t i = 0; i < nf && rc == MSL_OK; i++) {
            if (i)
                buf_addc(&b, ',');
            finding_json(&b, &f[i], run, "");
            rc = flush(&b, out);
        }
        buf_adds(&b, "],\"notes\":[");
        for (size_t i = 0; i < nn; i++) {
            buf_adds(&b, i ? ",\"" : "\"");
            esc_json(&b, notes[i], strlen(notes[i]));
            buf_addc(&b, '"');
        }
        buf_addf(&b, "],\"stats\":{\"findings\":%zu,\"by_severity\":{", nf);
        for (int s = 0; s < MSL_FSEV__COUNT; s++)
            buf_addf(&b, "%s\"%s\":%zu", s ? "," : "", msl_fsev_name((enum msl_fsev)s),
                     bysev[s]);
        buf_addf(&b, "},\"events\":%llu,\"unparsed\":%llu}",
                 run ? (unsigned long long)run->events : 0ULL,
                 run ? (unsigned long long)run->unparsed : 0ULL);
        if (run) {
            buf_addc(&b, ',');
            provenance_json(&b, inv, tz, run);
        }
        buf_adds(&b, "}\n");
        if (rc == MSL_OK)
            rc = flush(&b, out);
    } else {
        for (size_t i = 0; i < nf && rc == MSL_OK; i++) {
            finding_text(&b, &f[i], run, tz, det_palette(h));
            rc = flush(&b, out);
        }
        if (nn) {
            buf_adds(&b, "notes:\n");
            for (size_t i = 0; i < nn; i++) {
                buf_adds(&b, "  - ");
                text_s(&b, notes[i]);
                buf_addc(&b, '\n');
            }
            buf_addc(&b, '\n');
        }
        buf_addf(&b, "%zu finding%s", nf, nf == 1 ? "" : "s");
        for (int s = MSL_FSEV__COUNT - 1; s >= 0; s--)
            if (bysev[s])
                buf_addf(&b, ", %zu %s", bysev[s], msl_fsev_name((enum msl_fsev)s));
        buf_addf(&b, " (%llu events)\n", run ? (unsigned long long)run->events : 0ULL);
        if (rc == MSL_OK)
            rc = flush(&b, out);
    }
    buf_free(&b);
    return rc;
}
