/*
 * cmd_headers.c - `headers MESSAGE LOG...`: a suspect message's Received hops checked
 * against the server logs (include/mailsleuth/headers.h, doc/HEADERS.md).
 *
 * MESSAGE is one message (.eml) or an mbox of many ('-' = stdin).  One pass over the logs
 * keeps every message record that shares a Message-ID or a hop's queue id with one of
 * them, and how far each server's log reaches in time; then each message gets its
 * verdicts.  Header content is attacker-controlled: it is escaped in text and JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "mailsleuth/correlate.h"
#include "mailsleuth/headers.h"
#include "report/event_out.h"
#include "report/provenance.h"
#include "util/esc.h"
#include "util/evidence_open.h"
#include "util/strmap.h"

#define MSG_FILE_MAX ((size_t)256 << 20) /* a message file read into memory */
#define SKEW_US (120LL * 1000000)        /* header date versus log time */

struct hmsg {
    struct msl_hdr_msg h;
    struct msl_msg_verdict v;
};

struct headers {
    struct app *a;
    struct hmsg *msgs;
    size_t nmsgs;
    struct strmap *keys;  /* "m:" Message-ID and "q:" queue id -> (nothing) */
    struct strmap *hosts; /* host -> struct msl_log_host (first/last) */
    struct msl_correlator *c;
    struct msl_message **recs;
    size_t nrecs, caprecs;
    int failed;
};

static int key_has(struct strmap *m, char kind, const char *v)
{
    char k[1024];
    int n = v ? snprintf(k, sizeof k, "%c:%s", kind, v) : -1;
    return n > 0 && (size_t)n < sizeof k && strmap_find(m, k, (size_t)n) != NULL;
}

static void key_add(struct headers *s, char kind, const char *v)
{
    char k[1024];
    int n = v && *v ? snprintf(k, sizeof k, "%c:%s", kind, v) : -1;
    if (n > 0 && (size_t)n < sizeof k && !strmap_get(s->keys, k, (size_t)n, NULL))
        s->failed = 1;
}

static int on_message(void *ctx, struct msl_message *m)
{
    struct headers *s = ctx;
    if (!key_has(s->keys, 'm', m->msgid) && !key_has(s->keys, 'q', m->qid))
        return 0;
    if (s->nrecs == s->caprecs) {
        size_t c = s->caprecs ? s->caprecs * 2 : 64;
        struct msl_message **n = realloc(s->recs, c * sizeof *n);
        if (!n) {
            s->failed = 1;
            return 0;
        }
        s->recs = n;
        s->caprecs = c;
    }
    s->recs[s->nrecs++] = m;
    return 1;
}

static int on_event(void *ctx, const struct msl_event *e)
{
    struct app *a = ctx;
    struct headers *s = a->consumer;
    app_progress(a);
    /* how far each server's log reaches: a hop outside it is "no evidence" */
    if (e->host.n && e->host.n < 256) {
        int created = 0;
        struct msl_log_host *h = strmap_get(s->hosts, e->host.p, e->host.n, &created);
        if (!h) {
            s->failed = 1;
            return 1;
        }
        if (created)
            h->first = h->last = e->ts;
        if (e->ts < h->first)
            h->first = e->ts;
        if (e->ts > h->last)
            h->last = e->ts;
    }
    if (msl_correlator_add(s->c, e) != MSL_OK) {
        s->failed = 1;
        return 1;
    }
    return 0;
}

/* Reads the whole message file (bounded). */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = stdin;
    if (strcmp(path, "-") != 0) {
        int fd = evidence_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY); /* atime left as found */
        if (fd < 0 || !(f = fdopen(fd, "rb"))) {
            if (fd >= 0)
                close(fd);
            return NULL;
        }
    }
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap);
    while (p) {
        if (len == cap) {
            if (cap >= MSG_FILE_MAX) {
                errno = EFBIG;
                free(p);
                p = NULL;
                break;
            }
            char *np = realloc(p, cap * 2);
            if (!np) {
                free(p);
                p = NULL;
                break;
            }
            p = np;
            cap *= 2;
        }
        size_t r = fread(p + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    if (p && ferror(f)) {
        free(p);
        p = NULL;
    }
    if (f != stdin)
        fclose(f);
    *n = len;
    return p;
}

/* Splits an mbox at "From " lines that start a message (file start or after an empty
 * line); a file without them is one message.  Parses each message's headers. */
static int split_parse(struct headers *s, const char *p, size_t n)
{
    size_t start = 0, line = 1, start_line = 1, index = 0;
    for (size_t i = 0; i <= n; i++) {
        int boundary = i == n;
        if (!boundary && i > start && p[i] == 'F' && i + 5 <= n && !memcmp(p + i, "From ", 5) &&
            i >= 2 && p[i - 1] == '\n' && p[i - 2] == '\n')
            boundary = 1;
        if (boundary) {
            if (i > start) {
                struct hmsg *nm = realloc(s->msgs, (s->nmsgs + 1) * sizeof *nm);
                if (!nm)
                    return MSL_ENOMEM;
                s->msgs = nm;
                struct hmsg *m = &s->msgs[s->nmsgs++];
                memset(m, 0, sizeof *m);
                m->h.index = ++index;
                m->h.line = start_line;
                if (msl_hdr_parse(p + start, i - start, &m->h) != MSL_OK)
                    return MSL_ENOMEM;
            }
            start = i;
            start_line = line;
        }
        if (i < n && p[i] == '\n')
            line++;
    }
    return MSL_OK;
}

static void jstr(struct buf *b, const char *k, const char *v)
{
    if (!v)
        return;
    esc_json_member(b, k, v, strlen(v));
}

static void jtime(struct buf *b, const char *k, int64_t us)
{
    if (!us)
        return;
    buf_addf(b, ",\"%s\":\"", k);
    event_fmt_time(b, NULL, us);
    buf_addc(b, '"');
}

static void tstr(struct buf *b, const char *v)
{
    if (v)
        esc_text(b, v, strlen(v));
}

/* The RECEIVED line of a record (its evidence), else its first line. */
static const struct msl_evline *receipt_line(const struct msl_message *m)
{
    for (size_t i = 0; i < m->nlines; i++)
        if (m->lines[i].kind == MSL_EV_RECEIVED)
            return &m->lines[i];
    return m->nlines ? &m->lines[0] : NULL;
}

static void render_text(struct headers *s, const char *file, struct buf *b)
{
    const struct msl_run *run = &s->a->run;
    for (size_t i = 0; i < s->nmsgs; i++) {
        const struct hmsg *m = &s->msgs[i];
        buf_addf(b, "message %zu of ", m->h.index);
        tstr(b, file);
        buf_addf(b, " (line %llu)", (unsigned long long)m->h.line);
        if (m->h.msgid) {
            buf_adds(b, "  <");
            tstr(b, m->h.msgid);
            buf_addc(b, '>');
        }
        if (m->h.subject) {
            buf_adds(b, "  \"");
            tstr(b, m->h.subject);
            buf_addc(b, '"');
        }
        buf_addc(b, '\n');
        if (m->h.error) {
            buf_adds(b, "  cannot be checked: ");
            tstr(b, m->h.error);
            buf_addc(b, '\n');
            continue;
        }
        buf_addf(b, "  verdict: %s (", msl_verdict_name(m->v.v));
        tstr(b, m->v.why);
        buf_adds(b, ")\n");
        for (size_t k = 0; k < m->v.nhops; k++) {
            const struct msl_hop_verdict *hv = &m->v.hops[k];
            const struct msl_received *r = hv->rcv;
            buf_addf(b, "  hop %zu  ", k + 1);
            if (r) {
                buf_adds(b, "by ");
                tstr(b, r->by ? r->by : "?");
                if (r->id) {
                    buf_adds(b, " id ");
                    tstr(b, r->id);
                }
                buf_adds(b, " from ");
                tstr(b, r->helo ? r->helo : "?");
                if (r->ip) {
                    buf_adds(b, " [");
                    tstr(b, r->ip);
                    buf_addc(b, ']');
                }
                if (r->ts) {
                    buf_addc(b, ' ');
                    event_fmt_time(b, s->a->tz, r->ts);
                }
            } else {
                buf_adds(b, "(in the logs only)");
            }
            buf_addf(b, ": %s\n        ", msl_verdict_name(hv->v));
            tstr(b, hv->why);
            buf_addc(b, '\n');
            const struct msl_evline *l = hv->log ? receipt_line(hv->log) : NULL;
            if (l) {
                const char *src = msl_run_source_name(run, l->ev.src);
                buf_adds(b, "        ");
                tstr(b, src);
                buf_addf(b, ":%llu  ", (unsigned long long)l->ev.line);
                tstr(b, l->text);
                buf_addc(b, '\n');
            }
        }
    }
}

static void render_json(struct headers *s, const char *file, struct buf *b)
{
    const struct msl_run *run = &s->a->run;
    buf_adds(b, "{\"schema\":1,\"tool\":\"mailsleuth\",\"kind\":\"headers\"");
    jstr(b, "file", file);
    buf_adds(b, ",\"messages\":[");
    for (size_t i = 0; i < s->nmsgs; i++) {
        const struct hmsg *m = &s->msgs[i];
        buf_addf(b, "%s{\"index\":%zu,\"line\":%llu", i ? "," : "", m->h.index,
                 (unsigned long long)m->h.line);
        jstr(b, "msgid", m->h.msgid);
        jstr(b, "from", m->h.from);
        jstr(b, "subject", m->h.subject);
        jtime(b, "date", m->h.date);
        jstr(b, "dkim_domain", m->h.dkim_domain);
        jstr(b, "error", m->h.error);
        if (!m->h.error) {
            buf_addf(b, ",\"verdict\":\"%s\"", msl_verdict_name(m->v.v));
            jstr(b, "why", m->v.why);
        }
        buf_adds(b, ",\"hops\":[");
        for (size_t k = 0; k < m->v.nhops; k++) {
            const struct msl_hop_verdict *hv = &m->v.hops[k];
            const struct msl_received *r = hv->rcv;
            buf_addf(b, "%s{\"verdict\":\"%s\"", k ? "," : "", msl_verdict_name(hv->v));
            jstr(b, "why", hv->why);
            if (r) {
                jstr(b, "by", r->by);
                jstr(b, "id", r->id);
                jstr(b, "helo", r->helo);
                jstr(b, "rdns", r->rdns);
                jstr(b, "ip", r->ip);
                jstr(b, "with", r->with);
                jstr(b, "for", r->for_addr);
                jtime(b, "date", r->ts);
                buf_addf(b, ",\"tls\":%s", r->tls ? "true" : "false");
            } else {
                buf_adds(b, ",\"in_logs_only\":true");
            }
            if (hv->log) {
                const struct msl_message *lm = hv->log;
                buf_adds(b, ",\"log\":{\"id\":");
                buf_addf(b, "%llu", (unsigned long long)lm->id);
                jstr(b, "host", lm->host);
                jstr(b, "qid", lm->qid);
                jstr(b, "client_ip", lm->client_ip);
                jstr(b, "helo", lm->helo);
                jtime(b, "received", lm->received_ts);
                buf_adds(b, ",\"evidence\":[");
                for (size_t j = 0; j < lm->nlines; j++) {
                    const char *src = msl_run_source_name(run, lm->lines[j].ev.src);
                    buf_adds(b, j ? ",\"" : "\"");
                    esc_json(b, src, strlen(src));
                    buf_addf(b, ":%llu\"", (unsigned long long)lm->lines[j].ev.line);
                }
                buf_adds(b, "]}");
            }
            buf_addc(b, '}');
        }
        buf_adds(b, "]}");
    }
    buf_adds(b, "],");
    provenance_json(b, &s->a->inv, s->a->tz, run);
    buf_adds(b, "}\n");
}

static void collect_host(void *ctx, const struct strmap_entry *e)
{
    struct msl_log_host *h = (struct msl_log_host *)e->val;
    h->host = e->key; /* the map's own copy, alive until the map is freed */
    struct msl_log_host **arr = ctx;
    *(*arr)++ = *h;
}

int cmd_headers(struct app *a, const char *file)
{
    const char *f = a->cli.format;
    int json = f && !strcmp(f, "json");
    if (f && !json && strcmp(f, "text") != 0) {
        fprintf(stderr, "mailsleuth: headers writes text or json, not '%s'\n", f);
        return EXIT_USAGE;
    }
    size_t n = 0;
    char *p = slurp(file, &n);
    if (!p) {
        fprintf(stderr, "mailsleuth: cannot read message file '%s': %s\n", file,
                strerror(errno ? errno : EIO));
        return EXIT_INPUT;
    }
    if (!strcmp(file, "-") && a->cli.npaths == 0) {
        free(p);
        fprintf(stderr, "mailsleuth: headers reads the message from stdin; name the logs\n");
        return EXIT_USAGE;
    }
    int rc = app_setup(a);
    if (rc) {
        free(p);
        return rc;
    }
    struct headers s = {.a = a};
    s.keys = strmap_new(1);
    s.hosts = strmap_new(sizeof(struct msl_log_host));
    struct msl_correlate_opts co = {.keep_lines = 1};
    struct msl_correlate_sink cs = {.ctx = &s, .message = on_message};
    s.c = msl_correlator_new(&co, &cs);
    if (!s.keys || !s.hosts || !s.c || split_parse(&s, p, n) != MSL_OK) {
        free(p);
        return EXIT_INTERNAL;
    }
    free(p);
    for (size_t i = 0; i < s.nmsgs; i++) {
        key_add(&s, 'm', s.msgs[i].h.msgid);
        for (size_t k = 0; k < s.msgs[i].h.nrcv; k++)
            key_add(&s, 'q', s.msgs[i].h.rcv[k].id);
    }
    a->consumer = &s;
    a->ro.hash = json;
    struct msl_sink sink = app_sink(a, on_event);
    int run_rc = msl_run(a->cli.paths, a->cli.npaths, &a->ro, &sink, &a->run);
    msl_correlator_finish(s.c);
    size_t nh = strmap_len(s.hosts);
    struct msl_log_host *hosts = calloc(nh + 1, sizeof *hosts), *fill = hosts;
    if (hosts)
        strmap_each(s.hosts, collect_host, &fill);
    for (size_t i = 0; hosts && i < s.nmsgs && !s.failed; i++)
        if (!s.msgs[i].h.error &&
            msl_hdr_verify(&s.msgs[i].h, s.recs, s.nrecs, hosts, nh, SKEW_US, &s.msgs[i].v) !=
                MSL_OK)
            s.failed = 1;
    int wrc = MSL_OK;
    if (!hosts || s.failed) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        a->failed = 1;
    } else {
        struct buf b;
        buf_init(&b, (size_t)1 << 30);
        if (json)
            render_json(&s, file, &b);
        else
            render_text(&s, file, &b);
        if (b.err || (b.n && fwrite(b.p, 1, b.n, stdout) != b.n))
            wrc = MSL_EIO;
        buf_free(&b);
    }
    for (size_t i = 0; i < s.nmsgs; i++) {
        msl_msg_verdict_free(&s.msgs[i].v);
        msl_hdr_msg_free(&s.msgs[i].h);
    }
    free(s.msgs);
    for (size_t i = 0; i < s.nrecs; i++)
        msl_message_free(s.recs[i]);
    free(s.recs);
    free(hosts);
    msl_correlator_free(s.c);
    strmap_free(s.keys);
    strmap_free(s.hosts);
    return app_finish(a, run_rc, wrc);
}
