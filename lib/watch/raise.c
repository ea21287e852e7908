/*
 * raise.c - the findings side of `watch`: what a probe (probe.c) or a rule emits becomes an
 * alert when the ledger has not seen it (raised) or has seen less of it (updated, with
 * --updates); a probe's findings are offered in time order so the earlier incident of a
 * key comes first.  The probe child writes each finding as a record of lengths, numbers
 * and strings to its pipe (no escaping needed: the parent reads lengths).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mailsleuth/correlate.h"
#include "watch/watch_int.h"

static void take_finding(struct w *w, const char *key, int64_t first, int64_t last,
                         uint64_t total, int sev, const char *rule, const char *title,
                         const char *etype, const char *entity, const char *json)
{
    enum ledger_verdict v = ledger_offer(w->lg, key, first, last, total, sev);
    if (v == LG_OLD)
        return;
    w->state_dirty = 1;
    if (sev < w->o->min_severity)
        return;
    if (v == LG_NEW) {
        w->raised++;
        alerts_send(w->al, "raised", sev, rule, title, etype, entity, json);
        w->raised_unsaved = 1; /* saved after this batch: a crash must not raise it again */
    } else if (w->o->updates) {
        w->updated++;
        alerts_send(w->al, "updated", sev, rule, title, etype, entity, json);
    }
}

/* The record a probe child writes per finding: lengths, numbers, then the strings. */
struct rec_hdr {
    uint32_t len[6]; /* key, rule, title, etype, entity, json */
    int64_t first, last;
    uint64_t total;
    int32_t sev;
};

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        c += k;
        n -= (size_t)k;
    }
}

void raise_on_emit(void *ctx, const struct msl_finding *f)
{
    struct w *w = ctx;
    struct buf key;
    buf_init(&key, 1 << 20);
    ledger_key(&key, f, &w->run);
    char *json = msl_finding_json(f, &w->run);
    const char *entity = f->entity ? f->entity : "";
    if (entity[0] == '#' && f->entity_type && !strcmp(f->entity_type, "file"))
        entity = msl_run_source_name(&w->run, (uint32_t)strtoul(entity + 1, NULL, 10));
    if (!json || key.err || !key.p) {
        free(json);
        buf_free(&key);
        return;
    }
    const char *s[6] = {key.p, f->rule ? f->rule : "", f->title ? f->title : "",
                        f->entity_type ? f->entity_type : "", entity, json};
    if (w->probe_fd >= 0) {
        struct rec_hdr h = {.first = f->first_ts, .last = f->last_ts,
                            .total = f->evidence_total, .sev = (int32_t)f->severity};
        for (int i = 0; i < 6; i++)
            h.len[i] = (uint32_t)strlen(s[i]);
        write_all(w->probe_fd, &h, sizeof h);
        for (int i = 0; i < 6; i++)
            write_all(w->probe_fd, s[i], h.len[i]);
    } else {
        take_finding(w, s[0], f->first_ts, f->last_ts, f->evidence_total, (int)f->severity,
                     s[1], s[2], s[3], s[4], s[5]);
    }
    free(json);
    buf_free(&key);
}

static void probe_child(void *ctx, int fd)
{
    struct w *w = ctx;
    w->probe_fd = fd;
    msl_correlator_finish(w->c);
    msl_hunt_finish(w->h);
}

struct rec_at {
    int64_t first;
    size_t pos;
};

static int by_first(const void *a, const void *b)
{
    const struct rec_at *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void raise_probe(struct w *w)
{
    int64_t t0 = watch_now_ms();
    w->dirty_events = 0;
    w->probes++;
    struct buf out;
    buf_init(&out, (size_t)1 << 30);
    if (probe_run(probe_child, w, &out) != 0 && !w->o->quiet)
        fputs("mailsleuth: watch: a probe for findings failed (fork or its child)\n", stderr);
    /* the records in time order: of a key's incidents, the earlier is offered first */
    struct rec_at *r = NULL;
    size_t nr = 0, cap = 0, pos = 0;
    while (out.p && pos + sizeof(struct rec_hdr) <= out.n) {
        struct rec_hdr h;
        memcpy(&h, out.p + pos, sizeof h);
        size_t need = 0;
        for (int i = 0; i < 6; i++)
            need += h.len[i];
        if (need > out.n - pos - sizeof h)
            break;
        if (nr == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct rec_at *nrp = realloc(r, nc * sizeof *nrp);
            if (!nrp)
                break;
            r = nrp;
            cap = nc;
        }
        r[nr++] = (struct rec_at){h.first, pos};
        pos += sizeof h + need;
    }
    if (nr > 1)
        qsort(r, nr, sizeof *r, by_first);
    for (size_t k = 0; k < nr; k++) {
        struct rec_hdr h;
        memcpy(&h, out.p + r[k].pos, sizeof h);
        size_t at = r[k].pos + sizeof h;
        char *s[6];
        int ok = 1;
        for (int i = 0; i < 6; i++) {
            s[i] = malloc((size_t)h.len[i] + 1);
            if (!s[i]) {
                ok = 0;
            } else {
                memcpy(s[i], out.p + at, h.len[i]);
                s[i][h.len[i]] = '\0';
            }
            at += h.len[i];
        }
        if (ok)
            take_finding(w, s[0], h.first, h.last, h.total, h.sev, s[1], s[2], s[3], s[4],
                         s[5]);
        for (int i = 0; i < 6; i++)
            free(s[i]);
    }
    free(r);
    buf_free(&out);
    int64_t t1 = watch_now_ms();
    w->last_probe = t1;
    w->probe_cost = t1 - t0;
}

