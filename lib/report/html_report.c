/*
 * html_report.c - the sections of the HTML case report (see html_report.h).
 *
 * What is kept during the run: per-hour counts (messages by outcome, AUTH failures, relays
 * used) from every finished record, and at most KEEP_MSGS messages and KEEP_SESS sessions
 * (their evidence lines dropped: findings carry their own).  Kept messages live in a trace
 * (lib/trace) so the path view links hops and estimates clock skew with trace's own rules.
 *
 * Anchors are ours (m<record id>, s<record id>, f<n>, chart ids); log content never
 * reaches an attribute other than through html_esc, never a URL, a style or the script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/trace.h"
#include "report/html.h"
#include "report/html_report.h"
#include "report/localtime.h"
#include "report/summary_int.h"
#include "trace/trace_int.h"
#include "util/sha256.h"

#define KEEP_MSGS 4000   /* messages kept for the table and the path view */
#define KEEP_SESS 2000   /* sessions with AUTH failures or rejects kept */
#define KEEP_NAMED 2000  /* more of each kept because a finding named them */
#define WANTED_MAX 20000 /* names of open records findings named, waited for */
#define TABLE_ROWS 1000  /* rows of the message table */
#define SESS_ROWS 300    /* rows of the session table */
#define MAX_FINDINGS 150 /* findings shown in full */
#define MAX_EVIDENCE 5   /* evidence lines shown per finding */
#define MAX_PATHS 25     /* message paths drawn */
#define PATH_NODES 12    /* messages per path drawn */
#define MAX_DAYS_HOURLY 21 /* longer spans are charted per day */
#define CELL 120         /* bytes of a log value shown in a table cell */
#define LINE 600         /* bytes of an evidence line shown */
#define OUT_MAX (64u << 20)

enum { O_DELIVERED, O_DEFERRED, O_BOUNCED, O_REJECTED, O_OTHER, O_N };
static const struct svg_series outcome_series[O_N] = {
    {"delivered or relayed", "c-ok"}, {"deferred (pending)", "c-defer"},
    {"bounced or expired", "c-bounce"}, {"rejected", "c-reject"}, {"other (held, discarded)",
                                                                   "c-other"}};

struct hour {
    long long out[O_N];
    long long authfail;
};

#define RING 1024 /* records past the caps waiting to be named by a finding */

struct ring {
    void *rec[RING];
    char *key[RING];
    size_t head;
    struct strmap *idx; /* key -> slot + 1 */
    int is_session;
};

static void ring_clear(struct ring *g);

struct html_report {
    struct html_report_opts o;
    struct ring recent_msgs, recent_sess;
    struct strmap *wanted; /* names of records a finding named before they finished */
    long long named_msgs, named_sess; /* kept because a finding named them */
    struct msl_trace *t;  /* owns the kept messages and sessions */
    struct strmap *hours; /* UTC hour number (decimal) -> struct hour */
    struct strmap *relays; /* relay host -> struct agg (count) */
    long long messages, sessions, msgs_not_kept, sess_not_kept;
    int oom;
};

struct html_report *html_report_new(const struct html_report_opts *o)
{
    struct html_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = *o;
    if (r->o.top <= 0)
        r->o.top = 10;
    r->t = msl_trace_new(NULL, "report");
    r->hours = strmap_new(sizeof(struct hour));
    r->relays = strmap_new(sizeof(struct agg));
    r->recent_msgs.idx = strmap_new(sizeof(size_t));
    r->recent_sess.idx = strmap_new(sizeof(size_t));
    r->recent_sess.is_session = 1;
    r->wanted = strmap_new(1);
    if (!r->t || !r->hours || !r->relays || !r->recent_msgs.idx || !r->recent_sess.idx ||
        !r->wanted) {
        html_report_free(r);
        return NULL;
    }
    return r;
}

void html_report_free(struct html_report *r)
{
    if (!r)
        return;
    ring_clear(&r->recent_msgs);
    ring_clear(&r->recent_sess);
    strmap_free(r->wanted);
    msl_trace_free(r->t);
    strmap_free(r->hours);
    strmap_free(r->relays);
    free(r);
}

int html_report_failed(const struct html_report *r)
{
    return r->oom;
}

static struct hour *hour_of(struct html_report *r, long long us)
{
    char k[32];
    int n = snprintf(k, sizeof k, "%lld", us / 3600000000LL);
    struct hour *h = strmap_get(r->hours, k, (size_t)n, NULL);
    if (!h)
        r->oom = 1;
    return h;
}

/* Kept records do not need their evidence lines (findings carry their own).  Ownership as
 * lib/correlate/records.c has it: a message's line texts live in its string blocks (only
 * the array is separate), a session's are separate allocations. */
static void drop_message_lines(struct msl_message *m)
{
    free(m->lines);
    m->lines = NULL;
    m->nlines = 0;
}

static void drop_session_lines(struct msl_session *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i].text);
    free(s->lines);
    s->lines = NULL;
    s->nlines = 0;
}

static int category(const struct msl_message *m)
{
    if (m->end == MSL_END_REJECTED)
        return O_REJECTED;
    if (m->nrcpts) {
        /* the recipients' outcomes: a bounce or a rejection outweighs a pending one */
        int seen[MSL_OUT__COUNT] = {0};
        for (size_t i = 0; i < m->nrcpts; i++)
            seen[m->rcpts[i].outcome < MSL_OUT__COUNT ? m->rcpts[i].outcome : MSL_OUT_NONE] = 1;
        if (seen[MSL_OUT_BOUNCED] || seen[MSL_OUT_EXPIRED])
            return O_BOUNCED;
        if (seen[MSL_OUT_REJECTED])
            return O_REJECTED;
        if (seen[MSL_OUT_DEFERRED])
            return O_DEFERRED;
        if (seen[MSL_OUT_DELIVERED] || seen[MSL_OUT_RELAYED] || seen[MSL_OUT_FORWARDED])
            return O_DELIVERED;
        if (seen[MSL_OUT_DISCARDED] || seen[MSL_OUT_QUARANTINED])
            return O_OTHER;
    }
    switch (m->final) {
    case MSL_ST_SENT:
    case MSL_ST_FORWARDED:
    case MSL_ST_DELIVERABLE: return O_DELIVERED;
    case MSL_ST_DEFERRED: return O_DEFERRED;
    case MSL_ST_BOUNCED:
    case MSL_ST_EXPIRED:
    case MSL_ST_UNDELIVERABLE: return O_BOUNCED;
    default: return O_OTHER;
    }
}

/* Appends a record to the kept set (the trace owns it from then on).  1 = kept. */
static int keep_message(struct html_report *r, struct msl_message *m)
{
    struct msl_trace *t = r->t;
    if (t->nmsgs == t->capmsgs) {
        size_t cap = t->capmsgs ? t->capmsgs * 2 : 64;
        struct msl_message **nm = realloc(t->msgs, cap * sizeof *nm);
        if (!nm) {
            r->oom = 1;
            return 0;
        }
        t->msgs = nm;
        t->capmsgs = cap;
    }
    drop_message_lines(m);
    t->msgs[t->nmsgs++] = m;
    return 1;
}

static int keep_session(struct html_report *r, struct msl_session *s)
{
    struct msl_trace *t = r->t;
    if (t->nsess == t->capsess) {
        size_t cap = t->capsess ? t->capsess * 2 : 64;
        struct msl_session **ns = realloc(t->sess, cap * sizeof *ns);
        if (!ns) {
            r->oom = 1;
            return 0;
        }
        t->sess = ns;
        t->capsess = cap;
    }
    drop_session_lines(s);
    t->sess[t->nsess++] = s;
    return 1;
}

static void message_key(char *k, size_t n, const struct msl_message *m)
{
    snprintf(k, n, "%s:%s", m->host ? m->host : "?", m->qid ? m->qid : "?");
}

static void session_key(char *k, size_t n, const struct msl_session *s)
{
    snprintf(k, n, "%s %s[%lld] %s", s->host ? s->host : "", s->program ? s->program : "",
             (long long)s->pid, s->client_ip ? s->client_ip : "");
}

/* A record that finished past the caps waits here for a while: a finding emitted soon
 * after (detectors report when a window closes) may name it, and then it is kept. */
static void ring_free_rec(struct ring *g, size_t i)
{
    if (!g->rec[i])
        return;
    const size_t *v = strmap_find(g->idx, g->key[i], strlen(g->key[i]));
    if (v && *v == i + 1)
        strmap_del(g->idx, g->key[i], strlen(g->key[i]));
    if (g->is_session)
        msl_session_free(g->rec[i]);
    else
        msl_message_free(g->rec[i]);
    g->rec[i] = NULL;
    free(g->key[i]);
    g->key[i] = NULL;
}

static int ring_put(struct html_report *r, struct ring *g, const char *key, void *rec)
{
    size_t i = g->head;
    g->head = (g->head + 1) % RING;
    ring_free_rec(g, i);
    g->key[i] = strdup(key);
    size_t *v = g->key[i] ? strmap_get(g->idx, key, strlen(key), NULL) : NULL;
    if (!v) {
        free(g->key[i]);
        g->key[i] = NULL;
        r->oom = 1;
        return 0; /* the correlator frees it */
    }
    *v = i + 1;
    g->rec[i] = rec;
    return 1;
}

/* The record named key, taken out of the ring (the caller owns it), or NULL. */
static void *ring_take(struct ring *g, const char *key)
{
    const size_t *v = strmap_find(g->idx, key, strlen(key));
    if (!v || !*v)
        return NULL;
    size_t i = *v - 1;
    void *rec = g->rec[i];
    strmap_del(g->idx, key, strlen(key));
    g->rec[i] = NULL;
    free(g->key[i]);
    g->key[i] = NULL;
    return rec;
}

static void ring_clear(struct ring *g)
{
    for (size_t i = 0; i < RING; i++)
        ring_free_rec(g, i);
    strmap_free(g->idx);
    g->idx = NULL;
}

int html_report_message(struct html_report *r, struct msl_message *m)
{
    r->messages++;
    /* a content filter's first leg: its second leg (reinjected_from) is the same message */
    if (!m->reinjected_as) {
        struct hour *h = hour_of(r, m->received_ts ? m->received_ts : m->first_ts);
        if (h)
            h->out[category(m)]++;
    }
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const char *rh = m->deliveries[i].relay_host;
        if (!rh || !*rh || strcmp(rh, "none") == 0)
            continue;
        struct agg *a = strmap_get(r->relays, rh, strlen(rh), NULL);
        if (a)
            a->count++;
        else
            r->oom = 1;
    }
    if (r->t->nmsgs < KEEP_MSGS)
        return keep_message(r, m);
    char k[1024];
    message_key(k, sizeof k, m);
    if (r->named_msgs < KEEP_NAMED && strmap_del(r->wanted, k, strlen(k))) {
        r->named_msgs++;
        return keep_message(r, m);
    }
    r->msgs_not_kept++;
    return ring_put(r, &r->recent_msgs, k, m);
}

int html_report_session(struct html_report *r, struct msl_session *s)
{
    r->sessions++;
    int failed = 0;
    for (size_t i = 0; i < s->nauths; i++)
        if (!s->auths[i].ok) {
            struct hour *h = hour_of(r, s->auths[i].ts);
            if (h)
                h->authfail++;
            failed = 1;
        }
    for (size_t i = 0; i < s->nrejects; i++) {
        /* NOQUEUE rejects are messages refused before they got a queue id */
        const struct msl_reject_rec *j = &s->rejects[i];
        if (j->noqueue && j->action == MSL_ACT_REJECT) {
            struct hour *h = hour_of(r, j->ts);
            if (h)
                h->out[O_REJECTED]++;
        }
    }
    char k[1024];
    if ((failed || s->nrejects) && r->t->nsess < KEEP_SESS)
        return keep_session(r, s);
    session_key(k, sizeof k, s);
    if (r->named_sess < KEEP_NAMED && strmap_del(r->wanted, k, strlen(k))) {
        r->named_sess++;
        return keep_session(r, s);
    }
    if (failed || s->nrejects)
        r->sess_not_kept++;
    return ring_put(r, &r->recent_sess, k, s);
}

/* Remembers a name so the record is kept when it finishes (bounded: WANTED_MAX names). */
static void want(struct html_report *r, const char *name)
{
    if (strmap_len(r->wanted) < WANTED_MAX && !strmap_get(r->wanted, name, strlen(name), NULL))
        r->oom = 1;
}

void html_report_named(struct html_report *r, const struct msl_finding *f)
{
    for (size_t i = 0; i < f->nmessages; i++) {
        struct msl_message *m = r->named_msgs < KEEP_NAMED ? ring_take(&r->recent_msgs,
                                                                       f->messages[i]) : NULL;
        if (m && keep_message(r, m)) {
            r->named_msgs++;
            r->msgs_not_kept--;
        } else if (m) {
            msl_message_free(m);
        } else {
            want(r, f->messages[i]); /* still open, or already let go */
        }
    }
    for (size_t i = 0; i < f->nsessions; i++) {
        struct msl_session *s = r->named_sess < KEEP_NAMED ? ring_take(&r->recent_sess,
                                                                       f->sessions[i]) : NULL;
        if (s && keep_session(r, s)) {
            r->named_sess++;
            int counted = s->nrejects > 0;
            for (size_t k = 0; k < s->nauths && !counted; k++)
                counted = !s->auths[k].ok;
            r->sess_not_kept -= counted;
        } else if (s) {
            msl_session_free(s);
        } else {
            want(r, f->sessions[i]);
        }
    }
}

/* --- small writers ---------------------------------------------------------------------- */

static void e(struct buf *b, const char *s)
{
    html_escs(b, s, CELL);
}

static void local_time(struct buf *b, const struct msl_tz *tz, long long us)
{
    if (!us) {
        buf_adds(b, "\xe2\x80\x94");
        return;
    }
    struct msl_civil c;
    msl_local_civil(tz, us / 1000000, &c, NULL);
    buf_addf(b, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.mon, c.mday, c.hour, c.min, c.sec);
}

static void zone_label(struct buf *b, const struct msl_tz *tz, long long us)
{
    long off = msl_tz_offset_at(tz, us / 1000000);
    html_escs(b, msl_tz_name(tz), 0);
    buf_addf(b, " (UTC%c%02ld:%02ld)", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) / 60 % 60);
}

static void num(struct buf *b, long long v)
{
    /* thin groups for readability: 1 234 567 */
    char d[32];
    int n = snprintf(d, sizeof d, "%lld", v < 0 ? -v : v);
    if (v < 0)
        buf_addc(b, '-');
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf_adds(b, "\xe2\x80\xaf");
        buf_addc(b, d[i]);
    }
}

static void bytes_h(struct buf *b, long long v)
{
    if (v < 1024)
        buf_addf(b, "%lld B", v);
    else if (v < 1024 * 1024)
        buf_addf(b, "%.1f KiB", v / 1024.0);
    else if (v < 1024LL * 1024 * 1024)
        buf_addf(b, "%.1f MiB", v / 1048576.0);
    else
        buf_addf(b, "%.2f GiB", v / 1073741824.0);
}

static const char *source_of(const struct msl_run *run, uint32_t src)
{
    return run ? msl_run_source_name(run, src) : "?";
}

/* The entity as printed: log-integrity names a file by source id ("#3"). */
static const char *entity_of(const struct msl_finding *f, const struct msl_run *run)
{
    if (f->entity && f->entity[0] == '#' && f->entity_type && !strcmp(f->entity_type, "file"))
        return source_of(run, (uint32_t)strtoul(f->entity + 1, NULL, 10));
    return f->entity ? f->entity : "";
}

/* --- the inline stylesheet and script (pinned by hash in the CSP) ------------------------ */

static const char style_text[] =
    ":root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--bg:#fff;--panel:#f6f7f9;"
    "--accent:#2b59c3;--ok:#2e8b57;--defer:#e0a100;--bounce:#d9480f;--reject:#b02a37;"
    "--other:#8a8f98}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;color:var(--fg);background:var(--bg);font:15px/1.5 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Helvetica Neue\",\"Liberation Sans\",\"DejaVu Sans\",Arial,sans-serif}\n"
    "header.top{background:#17233b;color:#fff;padding:22px 32px 18px}\n"
    "header.top h1{margin:0;font-size:24px;font-weight:650;letter-spacing:.2px}\n"
    "header.top p{margin:4px 0 0;color:#c5cee0;font-size:13.5px}\n"
    "nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);"
    "padding:8px 32px;font-size:14px}\n"
    "nav a{color:var(--accent);text-decoration:none;margin-right:18px}\n"
    "main{max-width:1180px;margin:0 auto;padding:8px 32px 48px}\n"
    "section{margin-top:30px}\n"
    "h2{font-size:20px;font-weight:650;margin:0 0 12px;padding-bottom:6px;"
    "border-bottom:2px solid var(--line)}\n"
    "h3{font-size:16px;margin:18px 0 8px}\n"
    "a{color:var(--accent)}\n"
    "code,pre,.mono{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",Menlo,Consolas,monospace;"
    "font-size:12.5px}\n"
    "pre{white-space:pre-wrap;word-break:break-all;margin:2px 0 8px;padding:6px 10px;"
    "background:var(--panel);border-left:3px solid var(--line);border-radius:3px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 18px}\n"
    ".card{flex:1 1 130px;background:var(--panel);border:1px solid var(--line);"
    "border-radius:8px;padding:10px 14px}\n"
    ".card b{display:block;font-size:22px;font-weight:650}\n"
    ".card span{color:var(--muted);font-size:13px}\n"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}\n"
    "dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}\n"
    "table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0}\n"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);"
    "vertical-align:top;unicode-bidi:isolate}\n"
    "td.w{overflow-wrap:anywhere;min-width:20ch}td.nw{white-space:nowrap}td.w.mono{font-size:12px}\n"
    "th{background:var(--panel);font-weight:600;white-space:nowrap}\n"
    ".tw{overflow-x:auto}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr:target,article:target{background:#fff6d6}\n"
    "button.sort{all:unset;cursor:pointer}button.sort:after{content:\" \\2195\";color:#aab}\n"
    "th[aria-sort=ascending] button.sort:after{content:\" \\2191\"}"
    "th[aria-sort=descending] button.sort:after{content:\" \\2193\"}\n"
    ".filter{margin:6px 0}.filter input{font:inherit;padding:4px 8px;width:320px;"
    "border:1px solid #b9c0cc;border-radius:4px}.filter output{color:var(--muted);margin-left:10px}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:18px}\n"
    "figure.chart{margin:0;padding:12px 14px;border:1px solid var(--line);border-radius:8px;"
    "background:#fff;overflow-x:auto}\n"
    "figure.chart.wide{grid-column:1/-1}figure.path{margin-bottom:14px}\n"
    "figcaption{font-weight:600;margin-bottom:6px}\n"
    "figure.chart svg.stacked{width:100%;height:auto;max-width:820px;display:block}"
    "figure.chart svg.bars{max-width:100%;height:auto}\n"
    "svg text{font-family:inherit;font-size:12px;fill:#2c3344}\n"
    "svg text.tick{fill:var(--muted);font-size:11px}svg text.axis{fill:var(--muted);font-size:11.5px}"
    "svg text.val{font-size:11.5px}\n"
    "svg .grid{stroke:#e8ebf0}svg .axisline{stroke:#9aa3b2}\n"
    "svg .bar{fill:var(--accent)}.c-ok{fill:var(--ok)}.c-defer{fill:var(--defer)}"
    ".c-bounce{fill:var(--bounce)}.c-reject{fill:var(--reject)}.c-other{fill:var(--other)}"
    ".c-auth{fill:#7048e8}\n"
    "svg .node{fill:#f1f4fa;stroke:#7d8bb0}svg .hop{stroke:#445;stroke-width:1.4;fill:none}"
    "svg .arrow{fill:#445}svg text.host{font-weight:650}\n"
    ".legend{margin:6px 0 0;font-size:12.5px;color:var(--muted)}"
    ".legend .key{margin-right:14px;white-space:nowrap}.legend svg{vertical-align:-1px}\n"
    ".none,.more,.note{color:var(--muted);font-size:13px}\n"
    "article.finding{border:1px solid var(--line);border-left:5px solid var(--other);"
    "border-radius:6px;padding:10px 16px;margin:12px 0;break-inside:avoid}\n"
    "article.sev-critical{border-left-color:#7a0c1b}article.sev-high{border-left-color:var(--reject)}"
    "article.sev-medium{border-left-color:var(--bounce)}article.sev-low{border-left-color:var(--defer)}"
    "article.sev-info{border-left-color:var(--accent)}\n"
    "article.finding h3{margin:2px 0 6px}\n"
    ".badge{display:inline-block;font-size:11.5px;font-weight:700;text-transform:uppercase;"
    "letter-spacing:.5px;padding:1px 8px;border-radius:10px;color:#fff;background:var(--other);"
    "margin-right:8px;vertical-align:2px}\n"
    ".b-critical{background:#7a0c1b}.b-high{background:var(--reject)}.b-medium{background:var(--bounce)}"
    ".b-low{background:#b07d00}.b-info{background:var(--accent)}\n"
    ".rule{color:var(--muted);font-weight:500;font-size:13px}\n"
    ".o-delivered,.o-relayed,.o-forwarded,.o-sent{color:var(--ok)}"
    ".o-deferred{color:#9a6e00}.o-bounced,.o-expired{color:var(--bounce)}.o-rejected{color:var(--reject)}\n"
    "ol.evidence{padding-left:22px;margin:4px 0}\n"
    "footer{color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);margin-top:40px;"
    "padding-top:10px}\n"
    "@media print{nav,.filter{display:none!important}header.top{background:none;color:#000;"
    "padding:0 0 8px;border-bottom:2px solid #000}header.top p{color:#333}"
    "body{font-size:10pt}main{max-width:none;padding:0}"
    "a{color:inherit;text-decoration:none}figure.chart,article.finding,tr{break-inside:avoid}"
    ".charts{display:block}figure.chart{margin-bottom:10px}section{break-before:auto}"
    "tr:target,article:target{background:none}button.sort:after{content:\"\"}}\n";

/* Sorts and filters tables of class "sortable"; reads cell text only, writes no HTML. */
static const char script_text[] =
    "(function(){'use strict';\n"
    "var each=function(l,f){Array.prototype.forEach.call(l,f);};\n"
    "each(document.querySelectorAll('table.sortable'),function(t){\n"
    " var body=t.tBodies[0];if(!body||!t.tHead)return;var heads=t.tHead.rows[0].cells;\n"
    " each(heads,function(th,i){var btn=document.createElement('button');btn.type='button';\n"
    "  btn.className='sort';while(th.firstChild)btn.appendChild(th.firstChild);th.appendChild(btn);\n"
    "  var asc=true,isnum=th.classList.contains('num');\n"
    "  btn.addEventListener('click',function(){var rows=Array.prototype.slice.call(body.rows);\n"
    "   rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;\n"
    "    if(isnum){x=parseFloat(x.replace(/[^0-9.\\-]/g,''))||0;y=parseFloat(y.replace(/[^0-9.\\-]/g,''))||0;return asc?x-y:y-x;}\n"
    "    return asc?x.localeCompare(y):y.localeCompare(x);});\n"
    "   rows.forEach(function(r){body.appendChild(r);});\n"
    "   each(heads,function(h){h.removeAttribute('aria-sort');});\n"
    "   th.setAttribute('aria-sort',asc?'ascending':'descending');asc=!asc;});});\n"
    " var f=document.getElementById(t.id+'-filter');if(!f)return;f.hidden=false;\n"
    " var inp=f.querySelector('input'),out=f.querySelector('output');\n"
    " inp.addEventListener('input',function(){var q=inp.value.toLowerCase(),n=0;\n"
    "  each(body.rows,function(r){var show=!q||r.textContent.toLowerCase().indexOf(q)>=0;\n"
    "   r.hidden=!show;if(show)n++;});out.textContent=n+' of '+body.rows.length+' rows';});\n"
    "});})();\n";

static void csp_hash(struct buf *b, const char *text)
{
    struct sha256 *h = sha256_new();
    char hex[65];
    unsigned char raw[32];
    if (!h) {
        b->err = MSL_ENOMEM;
        return;
    }
    sha256_update(h, text, strlen(text));
    sha256_final_hex(h, hex);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        raw[i] = (unsigned char)v;
    }
    buf_adds(b, "'sha256-");
    html_base64(b, raw, sizeof raw);
    buf_addc(b, '\'');
}

/* --- lookups from findings to kept records ------------------------------------------- */

struct index {
    struct strmap *msgs; /* "host:qid" -> size_t index + 1 */
    struct strmap *sess; /* "host program[pid] client" -> size_t index + 1 */
    char *msg_named;     /* per kept record: 2 named by a finding shown in full, 1 by another */
    char *sess_named;
    char *msg_show, *sess_show; /* per kept record: has a row in its table (link target) */
    size_t msg_shown, sess_shown;
};

static void index_put(struct strmap *m, const char *k, size_t i)
{
    size_t *v = strmap_get(m, k, strlen(k), NULL);
    if (v && !*v)
        *v = i + 1;
}

static size_t index_get(const struct strmap *m, const char *k)
{
    const size_t *v = strmap_find(m, k, strlen(k));
    return v ? *v : 0;
}

/* Rows shown in a capped table: records named by the findings shown, then by the others,
 * then the rest in order. */
static char *choose_rows(const char *named, size_t n, size_t cap, size_t *shown)
{
    char *show = calloc(n + 1, 1);
    if (!show)
        return NULL;
    size_t k = 0;
    for (int level = 2; level >= 0; level--)
        for (size_t i = 0; i < n && k < cap; i++)
            if (!show[i] && named[i] >= level)
                show[i] = 1, k++;
    *shown = k;
    return show;
}

static int index_build(struct index *x, const struct msl_trace *t, const struct msl_finding *f,
                       size_t nf)
{
    x->msgs = strmap_new(sizeof(size_t));
    x->sess = strmap_new(sizeof(size_t));
    x->msg_named = calloc(t->nmsgs + 1, 1);
    x->sess_named = calloc(t->nsess + 1, 1);
    if (!x->msgs || !x->sess || !x->msg_named || !x->sess_named)
        return MSL_ENOMEM;
    char k[1024];
    for (size_t i = 0; i < t->nmsgs; i++) {
        message_key(k, sizeof k, t->msgs[i]);
        index_put(x->msgs, k, i);
    }
    for (size_t i = 0; i < t->nsess; i++) {
        session_key(k, sizeof k, t->sess[i]);
        index_put(x->sess, k, i);
    }
    for (size_t i = 0; i < nf; i++) {
        for (size_t j = 0; j < f[i].nmessages; j++) {
            size_t v = index_get(x->msgs, f[i].messages[j]);
            char level = i < MAX_FINDINGS ? 2 : 1;
            if (v && x->msg_named[v - 1] < level)
                x->msg_named[v - 1] = level;
        }
        for (size_t j = 0; j < f[i].nsessions; j++) {
            size_t v = index_get(x->sess, f[i].sessions[j]);
            char level = i < MAX_FINDINGS ? 2 : 1;
            if (v && x->sess_named[v - 1] < level)
                x->sess_named[v - 1] = level;
        }
    }
    x->msg_show = choose_rows(x->msg_named, t->nmsgs, TABLE_ROWS, &x->msg_shown);
    x->sess_show = choose_rows(x->sess_named, t->nsess, SESS_ROWS, &x->sess_shown);
    return x->msg_show && x->sess_show ? MSL_OK : MSL_ENOMEM;
}

static void index_free(struct index *x)
{
    strmap_free(x->msgs);
    strmap_free(x->sess);
    free(x->msg_named);
    free(x->sess_named);
    free(x->msg_show);
    free(x->sess_show);
}

/* --- sections ------------------------------------------------------------------------ */

static void shell_word(struct buf *b, const char *w)
{
    int plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%",
                       *p) != NULL;
    if (plain) {
        html_escs(b, w, 0);
        return;
    }
    buf_addc(b, '\'');
    for (const char *p = w; *p; p++) {
        const char *q = strchr(p, '\'');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        html_esc(b, p, n, 0);
        if (!q)
            break;
        buf_adds(b, "'\\''");
        p = q;
    }
    buf_addc(b, '\'');
}

static void card(struct buf *b, long long v, const char *label)
{
    buf_adds(b, "<div class=\"card\"><b>");
    num(b, v);
    buf_addf(b, "</b><span>%s</span></div>", label);
}

static int cmp_agg(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    const struct agg *p = x->val, *q = y->val;
    if (p->count != q->count)
        return p->count < q->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int cmp_key(const void *a, const void *b)
{
    const struct strmap_entry *x = *(const struct strmap_entry *const *)a;
    const struct strmap_entry *y = *(const struct strmap_entry *const *)b;
    return strcmp(x->key, y->key);
}

static void overview(struct buf *b, const struct html_report *r, const struct msl_summary *s,
                     const struct msl_run *run, size_t nfind)
{
    const struct msl_tz *tz = r->o.tz;
    const struct counters *c = &s->all;
    buf_adds(b, "<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">");
    card(b, c->received, "messages received");
    card(b, c->delivered, "deliveries");
    card(b, c->deferred, "messages deferred");
    card(b, c->bounced, "bounced");
    card(b, c->rejected, "rejected");
    card(b, c->sasl_failures, "AUTH failures");
    card(b, (long long)nfind, "findings");
    buf_adds(b, "</div><dl class=\"kv\"><dt>Time span</dt><dd>");
    if (run->first_ts) {
        local_time(b, tz, run->first_ts);
        buf_adds(b, " \xe2\x80\x93 ");
        local_time(b, tz, run->last_ts);
    } else {
        buf_adds(b, "no events");
    }
    buf_adds(b, "</dd><dt>Zone</dt><dd>");
    zone_label(b, tz, run->first_ts);
    buf_adds(b, "; every time in this report is in it</dd><dt>Hosts</dt><dd>");
    size_t nh;
    const struct strmap_entry **hosts = strmap_sorted(s->hosts, cmp_key, &nh);
    for (size_t i = 0; i < nh; i++) {
        const struct counters *hc = hosts[i]->val;
        buf_adds(b, i ? ", <span class=\"mono\">" : "<span class=\"mono\">");
        if (hosts[i]->klen)
            html_esc(b, hosts[i]->key, hosts[i]->klen, CELL);
        else
            buf_adds(b, "(no host in log)");
        buf_addf(b, "</span> (%lld events)", hc->events);
    }
    if (!nh)
        buf_adds(b, "none");
    free(hosts);
    unsigned long long lines = run->totals.lines, unp = run->unparsed;
    buf_addf(b, "</dd><dt>Parse coverage</dt><dd>%llu lines, %llu events, %llu lines not "
                "understood (%.2f%% understood)",
             lines, (unsigned long long)run->events, unp,
             lines ? 100.0 * (double)(lines - (unp < lines ? unp : lines)) / (double)lines : 100.0);
    if (run->duplicates)
        buf_addf(b, "; %llu repeated from another input", (unsigned long long)run->duplicates);
    if (run->totals.errors)
        buf_addf(b, "; <strong>%u input error%s</strong>", run->totals.errors,
                 run->totals.errors == 1 ? "" : "s");
    buf_adds(b, "</dd><dt>Records</dt><dd>");
    num(b, r->messages);
    buf_adds(b, " messages, ");
    num(b, r->sessions);
    buf_adds(b, " SMTP sessions correlated</dd><dt>Command</dt><dd><code>");
    for (int i = 0; r->o.inv && i < r->o.inv->argc; i++) {
        if (i)
            buf_addc(b, ' ');
        shell_word(b, r->o.inv->argv[i]);
    }
    buf_adds(b, "</code></dd><dt>Tool</dt><dd>mailsleuth " MSL_VERSION "</dd></dl>");

    buf_adds(b, "<h3>Inputs</h3><table><thead><tr><th>source</th><th>format</th>"
                "<th class=\"num\">lines</th><th class=\"num\">bytes</th><th>first event</th>"
                "<th>last event</th><th>zone read in</th></tr></thead><tbody>");
    for (size_t i = 0; i < run->nsources; i++) {
        const struct msl_run_source *src = &run->sources[i];
        buf_adds(b, "<tr><td class=\"mono w\">");
        html_escs(b, src->name, 400);
        buf_adds(b, "</td><td>");
        e(b, src->format);
        buf_addf(b, "</td><td class=\"num\">%llu</td><td class=\"num\">",
                 (unsigned long long)src->stats.lines);
        bytes_h(b, (long long)src->stats.bytes);
        buf_adds(b, "</td><td>");
        local_time(b, tz, src->first_ts);
        buf_adds(b, "</td><td>");
        local_time(b, tz, src->last_ts);
        buf_adds(b, "</td><td>");
        e(b, src->zone);
        if (src->zone_inferred)
            buf_adds(b, " (from queue ids)");
        buf_adds(b, "</td></tr>");
    }
    buf_adds(b, "</tbody></table><h3>Fingerprints (SHA-256 of the bytes as stored)</h3>");
    if (run->nhashes) {
        buf_adds(b, "<table><thead><tr><th>file or archive member</th><th class=\"num\">size</th>"
                    "<th>SHA-256</th></tr></thead><tbody>");
        for (size_t i = 0; i < run->nhashes; i++) {
            const struct msl_run_hash *h = &run->hashes[i];
            buf_adds(b, "<tr><td class=\"mono w\">");
            html_escs(b, h->name, 400);
            buf_addf(b, "</td><td class=\"num\">%lld</td><td class=\"mono\">%s</td></tr>",
                     (long long)h->size, h->sha256);
        }
        buf_adds(b, "</tbody></table>");
    } else {
        buf_adds(b, "<p class=\"note\">No fingerprints: the input was standard input.</p>");
    }
    if (run->nreasons) {
        buf_adds(b, "<h3>Lines not understood, by reason</h3><table><thead><tr>"
                    "<th class=\"num\">lines</th><th>reason</th></tr></thead><tbody>");
        for (size_t i = 0; i < run->nreasons && i < 10; i++) {
            buf_addf(b, "<tr><td class=\"num\">%llu</td><td class=\"w\">",
                     (unsigned long long)run->reasons[i].count);
            e(b, run->reasons[i].why);
            buf_adds(b, "</td></tr>");
        }
        buf_adds(b, "</tbody></table>");
        if (run->nreasons > 10)
            buf_addf(b, "<p class=\"more\">%zu more reasons</p>", run->nreasons - 10);
    }
    buf_adds(b, "</section>\n");
}

/* Top-N bar chart of a summary map; part selects one part of composite keys (-1 = whole
 * key with parts joined by " \xc2\xb7 "), merging rows that then read the same. */
static void top_chart(struct buf *b, const struct strmap *m, const char *id, const char *title,
                      const char *unit, int part, int top)
{
    struct strmap *merged = strmap_new(sizeof(struct agg));
    if (!merged) {
        b->err = MSL_ENOMEM;
        return;
    }
    size_t n;
    const struct strmap_entry **all = strmap_sorted(m, cmp_agg, &n);
    struct buf k;
    buf_init(&k, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        const struct agg *a = all[i]->val;
        if (a->count <= 0)
            continue;
        buf_reset(&k);
        const char *p = all[i]->key, *end = p + all[i]->klen;
        for (int j = 0; p <= end; j++) {
            const char *q = memchr(p, SEP, (size_t)(end - p));
            size_t len = (size_t)((q ? q : end) - p);
            if (part < 0 || part == j) {
                if (k.n)
                    buf_adds(&k, " \xc2\xb7 ");
                buf_add(&k, p, len);
            }
            if (!q)
                break;
            p = q + 1;
        }
        struct agg *t = strmap_get(merged, k.p ? k.p : "", k.n, NULL);
        if (t)
            t->count += a->count;
    }
    buf_free(&k);
    free(all);
    all = strmap_sorted(merged, cmp_agg, &n);
    size_t shown = n < (size_t)top ? n : (size_t)top;
    struct svg_bar rows[64];
    if (shown > 64)
        shown = 64;
    for (size_t i = 0; i < shown; i++) {
        const struct agg *a = all[i]->val;
        rows[i] = (struct svg_bar){all[i]->klen ? all[i]->key : "(empty)",
                                   all[i]->klen ? all[i]->klen : 7, a->count};
    }
    svg_bars(b, id, title, unit, rows, shown, (long long)(n - shown));
    free(all);
    strmap_free(merged);
}

struct hour_row {
    long long hour;
    const struct hour *h;
};

static int cmp_hour(const void *a, const void *b)
{
    const struct hour_row *x = a, *y = b;
    return (x->hour > y->hour) - (x->hour < y->hour);
}

static void hours_collect(void *ctx, const struct strmap_entry *en)
{
    struct hour_row **p = ctx;
    **p = (struct hour_row){strtoll(en->key, NULL, 10), en->val};
    (*p)++;
}

/* Messages by outcome and AUTH failures over time: per hour, or per day past 21 days. */
static void time_charts(struct buf *b, const struct html_report *r)
{
    const struct msl_tz *tz = r->o.tz;
    size_t n = strmap_len(r->hours);
    struct hour_row *rows = n ? malloc(n * sizeof *rows) : NULL;
    long long *vals = NULL, *auth = NULL;
    char **labels = NULL;
    size_t ncols = 0;
    int daily = 0;
    if (n && rows) {
        struct hour_row *p = rows;
        strmap_each(r->hours, hours_collect, &p);
        qsort(rows, n, sizeof *rows, cmp_hour);
        long long first = rows[0].hour, last = rows[n - 1].hour;
        daily = last - first + 1 > MAX_DAYS_HOURLY * 24;
        long long bucket = daily ? 24 : 1;
        /* day buckets start at local midnight */
        long off = msl_tz_offset_at(tz, first * 3600);
        long long base = daily ? (first * 3600 + off) / 86400 * 86400 - off : first * 3600;
        ncols = (size_t)((last * 3600 - base) / (bucket * 3600) + 1);
        vals = calloc(ncols * O_N, sizeof *vals);
        auth = calloc(ncols, sizeof *auth);
        labels = calloc(ncols, sizeof *labels);
        if (vals && auth && labels) {
            for (size_t i = 0; i < n; i++) {
                size_t c = (size_t)((rows[i].hour * 3600 - base) / (bucket * 3600));
                for (int k = 0; k < O_N; k++)
                    vals[c * O_N + k] += rows[i].h->out[k];
                auth[c] += rows[i].h->authfail;
            }
            for (size_t c = 0; c < ncols; c++) {
                struct msl_civil cv;
                msl_local_civil(tz, base + (long long)c * bucket * 3600, &cv, NULL);
                labels[c] = malloc(24);
                if (labels[c]) {
                    if (daily)
                        snprintf(labels[c], 24, "%04d-%02d-%02d", cv.year, cv.mon, cv.mday);
                    else
                        snprintf(labels[c], 24, "%02d-%02d %02d:00", cv.mon, cv.mday, cv.hour);
                }
            }
        } else {
            ncols = 0;
            b->err = MSL_ENOMEM;
        }
    }
    struct buf xunit;
    buf_init(&xunit, 512);
    buf_adds(&xunit, daily ? "day, " : "hour starting, ");
    buf_adds(&xunit, msl_tz_name(tz));
    int ok = 1;
    for (size_t c = 0; c < ncols; c++)
        ok &= labels[c] != NULL;
    if (!ok)
        ncols = 0;
    svg_stacked(b, "chart-volume",
                daily ? "Messages per day by outcome" : "Messages per hour by outcome",
                daily ? "messages per day" : "messages per hour", xunit.p, outcome_series, O_N,
                vals, ncols, (const char *const *)labels);
    static const struct svg_series auth_series[1] = {{"AUTH failures", "c-auth"}};
    svg_stacked(b, "chart-authfail", daily ? "AUTH failures per day" : "AUTH failures per hour",
                daily ? "failures per day" : "failures per hour", xunit.p, auth_series, 1, auth,
                ncols, (const char *const *)labels);
    buf_free(&xunit);
    for (size_t c = 0; labels && c < ncols; c++)
        free(labels[c]);
    free(labels);
    free(vals);
    free(auth);
    free(rows);
}

static void host_chart(struct buf *b, const struct msl_summary *s, int top)
{
    size_t n;
    const struct strmap_entry **hosts = strmap_sorted(s->hosts, cmp_key, &n);
    struct svg_bar rows[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64 && k < (size_t)top * 2; i++) {
        const struct counters *c = hosts[i]->val;
        rows[k++] = (struct svg_bar){hosts[i]->klen ? hosts[i]->key : "(no host)",
                                     hosts[i]->klen ? hosts[i]->klen : 9, c->events};
    }
    svg_bars(b, "chart-hosts", "Per-host volume", "events (log lines understood) per host",
             rows, k, (long long)(n - k));
    free(hosts);
}

static void charts(struct buf *b, const struct html_report *r, const struct msl_summary *s)
{
    int top = r->o.top;
    buf_adds(b, "<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">");
    time_charts(b, r);
    top_chart(b, s->sasl_clients, "chart-authfail-ip", "Top failing AUTH clients",
              "failed AUTH attempts", 0, top);
    top_chart(b, s->sasl_users, "chart-authfail-user", "Top failing AUTH users",
              "failed AUTH attempts", -1, top);
    top_chart(b, s->senders, "chart-senders", "Top senders", "messages sent", -1, top);
    top_chart(b, s->recipients, "chart-recipients", "Top recipients", "messages received", -1,
              top);
    top_chart(b, r->relays, "chart-relays", "Top relays (next hops)", "delivery attempts", -1,
              top);
    top_chart(b, s->rejects, "chart-rejects", "Reject reasons", "rejections", 2, top);
    top_chart(b, s->deferral_reasons, "chart-deferrals", "Deferral reasons", "deferrals", 1,
              top);
    host_chart(b, s, top);
    buf_adds(b, "</div></section>\n");
}

static void msg_link(struct buf *b, const struct index *x, const struct msl_trace *t,
                     const char *name)
{
    size_t v = index_get(x->msgs, name);
    if (v && !x->msg_show[v - 1])
        v = 0; /* kept but not in the table: no link target */
    if (v)
        buf_addf(b, "<a class=\"mono\" href=\"#m%llu\">", (unsigned long long)t->msgs[v - 1]->id);
    else
        buf_adds(b, "<span class=\"mono\">");
    e(b, name);
    buf_adds(b, v ? "</a>" : "</span>");
}

static void findings(struct buf *b, const struct html_report *r, const struct msl_hunt *h,
                     const struct index *x, const struct msl_run *run)
{
    const struct msl_trace *t = r->t;
    size_t nf;
    const struct msl_finding *f = msl_hunt_findings(h, &nf);
    size_t by[MSL_FSEV__COUNT] = {0};
    for (size_t i = 0; i < nf; i++)
        by[f[i].severity]++;
    buf_addf(b, "<section id=\"findings\"><h2>Findings (%zu)</h2>", nf);
    if (!nf)
        buf_adds(b, "<p class=\"none\">No rule found anything to report in these logs.</p>");
    else {
        buf_adds(b, "<p>");
        for (int s = MSL_FSEV__COUNT - 1; s >= 0; s--)
            if (by[s])
                buf_addf(b, "<span class=\"badge b-%s\">%zu %s</span>", msl_fsev_name(s), by[s],
                         msl_fsev_name(s));
        buf_adds(b, "</p>");
    }
    int last_sev = -1;
    for (size_t i = 0; i < nf && i < MAX_FINDINGS; i++) {
        const struct msl_finding *g = &f[i];
        const char *sev = msl_fsev_name(g->severity);
        if ((int)g->severity != last_sev) {
            last_sev = (int)g->severity;
            buf_addf(b, "<h3 class=\"sevhead\">Severity: %s</h3>", sev);
        }
        buf_addf(b, "<article class=\"finding sev-%s\" id=\"f%zu\"><h3><span class=\"badge "
                    "b-%s\">%s</span>",
                 sev, i + 1, sev, sev);
        e(b, g->title);
        buf_adds(b, " <span class=\"rule\">");
        e(b, g->rule);
        buf_adds(b, "</span></h3><dl class=\"kv\"><dt>Entity</dt><dd>");
        e(b, g->entity_type);
        buf_adds(b, " <span class=\"mono\">");
        e(b, entity_of(g, run));
        buf_adds(b, "</span>");
        if (g->host) {
            buf_adds(b, " on <span class=\"mono\">");
            e(b, g->host);
            buf_adds(b, "</span>");
        }
        buf_adds(b, "</dd><dt>Window</dt><dd>");
        local_time(b, r->o.tz, g->first_ts);
        buf_adds(b, " \xe2\x80\x93 ");
        local_time(b, r->o.tz, g->last_ts);
        buf_adds(b, "</dd>");
        if (g->ncounts) {
            buf_adds(b, "<dt>Counts</dt><dd>");
            for (size_t k = 0; k < g->ncounts; k++) {
                buf_adds(b, k ? ", " : "");
                e(b, g->counts[k].name);
                buf_addf(b, " %lld", (long long)g->counts[k].value);
            }
            buf_adds(b, "</dd>");
        }
        if (g->nmessages) {
            buf_adds(b, "<dt>Messages</dt><dd>");
            for (size_t k = 0; k < g->nmessages; k++) {
                buf_adds(b, k ? ", " : "");
                msg_link(b, x, t, g->messages[k]);
            }
            buf_adds(b, "</dd>");
        }
        if (g->nsessions) {
            buf_adds(b, "<dt>Sessions</dt><dd>");
            for (size_t k = 0; k < g->nsessions; k++) {
                size_t v = index_get(x->sess, g->sessions[k]);
                if (v && !x->sess_show[v - 1])
                    v = 0;
                buf_adds(b, k ? ", " : "");
                if (v)
                    buf_addf(b, "<a class=\"mono\" href=\"#s%llu\">",
                             (unsigned long long)t->sess[v - 1]->id);
                else
                    buf_adds(b, "<span class=\"mono\">");
                e(b, g->sessions[k]);
                buf_adds(b, v ? "</a>" : "</span>");
            }
            buf_adds(b, "</dd>");
        }
        buf_adds(b, "</dl><p>");
        html_escs(b, g->explain, 4000);
        buf_addf(b, "</p><p class=\"note\">Evidence: %llu line%s",
                 (unsigned long long)g->evidence_total, g->evidence_total == 1 ? "" : "s");
        size_t ne = g->nevidence < MAX_EVIDENCE ? g->nevidence : MAX_EVIDENCE;
        if (ne < g->evidence_total)
            buf_addf(b, ", %zu shown (mailsleuth hunt --show-lines --max-evidence N lists more)",
                     ne);
        buf_adds(b, "</p><ol class=\"evidence\">");
        for (size_t k = 0; k < ne; k++) {
            const struct msl_fevidence *ev = &g->evidence[k];
            buf_adds(b, "<li><span class=\"mono\">");
            html_escs(b, source_of(run, ev->ev.src), 400);
            buf_addf(b, ":%llu</span>", (unsigned long long)ev->ev.line);
            if (ev->text) {
                buf_adds(b, "<pre>");
                html_escs(b, ev->text, LINE);
                buf_adds(b, "</pre>");
            }
            buf_adds(b, "</li>");
        }
        buf_adds(b, "</ol></article>\n");
    }
    if (nf > MAX_FINDINGS)
        buf_addf(b, "<p class=\"more\">%zu more findings not shown here; mailsleuth hunt "
                    "lists them all.</p>",
                 nf - MAX_FINDINGS);
    size_t nn;
    const char *const *notes = msl_hunt_notes(h, &nn);
    if (nn) {
        buf_adds(b, "<h3>What the rules inferred or could not judge</h3><ul class=\"note\">");
        for (size_t k = 0; k < nn && k < 60; k++) {
            buf_adds(b, "<li>");
            html_escs(b, notes[k], 2000);
            buf_adds(b, "</li>");
        }
        buf_adds(b, "</ul>");
    }
    buf_adds(b, "</section>\n");
}

/* The outcome of one recipient for the path view and the table. */
static const char *outcome_word(const struct msl_message *m)
{
    static const char *names[O_N] = {"delivered", "deferred", "bounced", "rejected", "other"};
    if (m->final != MSL_ST_NONE && m->end != MSL_END_REJECTED)
        return msl_status_name(m->final);
    return names[category(m)];
}

static void recipients_table(struct buf *b, const struct html_report *r,
                             const struct msl_message *m)
{
    if (m->nrcpts) {
        for (size_t i = 0; i < m->nrcpts; i++) {
            const struct msl_recipient *rc = &m->rcpts[i];
            const char *o = msl_outcome_name(rc->outcome);
            buf_adds(b, "<tr><td class=\"mono\">");
            e(b, m->host);
            buf_adds(b, " ");
            e(b, m->qid);
            buf_adds(b, "</td><td class=\"mono w\">");
            e(b, rc->addr);
            buf_addf(b, "</td><td class=\"o-%s\">%s</td><td class=\"mono\">", o, o);
            e(b, rc->relay_host);
            buf_adds(b, "</td><td>");
            local_time(b, r->o.tz, rc->last_ts);
            buf_adds(b, "</td><td class=\"w\">");
            e(b, rc->reply);
            buf_adds(b, "</td></tr>");
        }
        return;
    }
    /* without recipient records: the last attempt of each address */
    for (size_t i = 0; i < m->ndeliveries; i++) {
        const struct msl_delivery *d = &m->deliveries[i];
        int later = 0;
        for (size_t j = i + 1; j < m->ndeliveries && !later; j++)
            later = d->to && m->deliveries[j].to && !strcmp(d->to, m->deliveries[j].to);
        if (later)
            continue;
        const char *o = msl_status_name(d->status);
        buf_adds(b, "<tr><td class=\"mono\">");
        e(b, m->host);
        buf_adds(b, " ");
        e(b, m->qid);
        buf_adds(b, "</td><td class=\"mono w\">");
        e(b, d->to);
        buf_addf(b, "</td><td class=\"o-%s\">%s</td><td class=\"mono\">", o, o);
        e(b, d->relay_host);
        buf_adds(b, "</td><td>");
        local_time(b, r->o.tz, d->ts);
        buf_adds(b, "</td><td class=\"w\">");
        e(b, d->text);
        buf_adds(b, "</td></tr>");
    }
}

/* Hops as a diagram: one column per depth, boxes for messages, arrows for hops. */
static void path_one(struct buf *b, const struct html_report *r, const struct index *ix,
                     size_t root, size_t pathno)
{
    const struct msl_trace *t = r->t;
    size_t nodes[PATH_NODES], depth[PATH_NODES], n = 0;
    size_t parent_hop[PATH_NODES];
    nodes[n] = root, depth[n] = 0, parent_hop[n] = (size_t)-1, n++;
    for (size_t q = 0; q < n; q++)
        for (size_t hi = 0; hi < t->nhops && n < PATH_NODES; hi++) {
            if (t->hops[hi].from_msg != nodes[q])
                continue;
            int seen = 0;
            for (size_t k = 0; k < n; k++)
                seen |= nodes[k] == t->hops[hi].to_msg;
            if (seen)
                continue;
            nodes[n] = t->hops[hi].to_msg, depth[n] = depth[q] + 1, parent_hop[n] = hi, n++;
        }
    int row_of[PATH_NODES], rows_at[PATH_NODES] = {0}, maxrow = 0;
    size_t maxdepth = 0;
    for (size_t k = 0; k < n; k++) {
        row_of[k] = rows_at[depth[k]]++;
        if (row_of[k] > maxrow)
            maxrow = row_of[k];
        if (depth[k] > maxdepth)
            maxdepth = depth[k];
    }
    const int bw = 190, bh = 62, colw = 300, rowh = 84;
    int width = (int)maxdepth * colw + bw + 20, height = (maxrow + 1) * rowh + 10;
    const struct msl_message *m0 = t->msgs[root];
    buf_addf(b, "<figure class=\"chart wide path\" id=\"path%zu\"><figcaption>Path %zu: ", pathno,
             pathno);
    if (m0->msgid) {
        buf_adds(b, "<span class=\"mono\">");
        e(b, m0->msgid);
        buf_adds(b, "</span>");
    } else {
        buf_adds(b, "(no Message-ID)");
    }
    buf_addf(b, "</figcaption><svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                "xmlns=\"http://www.w3.org/2000/svg\"><title>hops of path %zu</title>"
                "<defs><marker id=\"ah%zu\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
                "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path class=\"arrow\" "
                "d=\"M0 0L10 5L0 10z\"/></marker></defs>",
             width, height, width, height, pathno, pathno);
    for (size_t k = 0; k < n; k++) {
        const struct msl_message *m = t->msgs[nodes[k]];
        int x = 10 + (int)depth[k] * colw, y = 6 + row_of[k] * rowh;
        if (parent_hop[k] != (size_t)-1) {
            const struct hop *hp = &t->hops[parent_hop[k]];
            size_t pk = 0;
            for (size_t j = 0; j < n; j++)
                if (nodes[j] == hp->from_msg)
                    pk = j;
            int px = 10 + (int)depth[pk] * colw + bw, py = 6 + row_of[pk] * rowh + bh / 2;
            int cy = y + bh / 2;
            buf_addf(b, "<path class=\"hop\" d=\"M%d %d C%d %d %d %d %d %d\" "
                        "marker-end=\"url(#ah%zu)\"/>",
                     px, py, px + 50, py, x - 50, cy, x - 2, cy, pathno);
            const struct msl_delivery *d = &t->msgs[hp->from_msg]->deliveries[hp->delivery];
            struct buf lb;
            buf_init(&lb, 256);
            local_time(&lb, r->o.tz, d->ts);
            buf_addf(b, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                     (px + x) / 2, (py + cy) / 2 - 16, hop_kind_name(hp->kind));
            buf_addf(b, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                     (px + x) / 2, (py + cy) / 2 - 4, lb.p ? lb.p + 11 : "");
            if (hp->kind != HOP_FILTER)
                buf_addf(b, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
                            "skew %+.1f s</text>",
                         (px + x) / 2, (py + cy) / 2 + 24, hp->skew_s);
            buf_free(&lb);
        }
        if (ix->msg_show[nodes[k]]) /* a link only where the table has its row */
            buf_addf(b, "<a href=\"#m%llu\">", (unsigned long long)m->id);
        else
            buf_adds(b, "<g>");
        buf_addf(b, "<rect class=\"node\" x=\"%d\" y=\"%d\" width=\"%d\" "
                    "height=\"%d\" rx=\"6\"/><text class=\"host\" x=\"%d\" y=\"%d\">",
                 x, y, bw, bh, x + 10, y + 18);
        html_escs(b, m->host, 26);
        buf_addf(b, "</text><text class=\"mono\" x=\"%d\" y=\"%d\">", x + 10, y + 35);
        html_escs(b, m->qid, 26);
        buf_addf(b, "</text><text class=\"tick\" x=\"%d\" y=\"%d\">", x + 10, y + 52);
        local_time(b, r->o.tz, m->received_ts ? m->received_ts : m->first_ts);
        buf_addf(b, " \xc2\xb7 %s</text>%s", outcome_word(m), ix->msg_show[nodes[k]] ? "</a>" : "</g>");
    }
    buf_adds(b, "</svg><table><thead><tr><th>message</th><th>recipient</th><th>outcome</th>"
                "<th>relay</th><th>time</th><th>reply</th></tr></thead><tbody>");
    for (size_t k = 0; k < n; k++)
        recipients_table(b, r, t->msgs[nodes[k]]);
    buf_adds(b, "</tbody></table></figure>\n");
}

static void paths(struct buf *b, const struct html_report *r, const struct index *x)
{
    const struct msl_trace *t = r->t;
    buf_adds(b, "<section id=\"paths\"><h2>Message paths</h2>");
    size_t drawn = 0, roots = 0;
    for (size_t i = 0; i < t->nmsgs; i++) {
        int from = 0, to = 0;
        for (size_t h = 0; h < t->nhops; h++) {
            from |= t->hops[h].from_msg == i;
            to |= t->hops[h].to_msg == i;
        }
        if (!from || to)
            continue;
        roots++;
        if (drawn < MAX_PATHS)
            path_one(b, r, x, i, ++drawn);
    }
    if (!roots)
        buf_adds(b, "<p class=\"none\">No message in these logs was followed from one server "
                    "(or content filter) to the next.</p>");
    for (size_t k = 0; k < t->nskews; k++) {
        buf_adds(b, k ? "" : "<h3>Clock skew between servers</h3><ul>");
        buf_adds(b, "<li><span class=\"mono\">");
        e(b, t->skews[k].to_host);
        buf_addf(b, "</span> runs %+.1f s against <span class=\"mono\">", t->skews[k].median_s);
        e(b, t->skews[k].from_host);
        buf_addf(b, "</span> (median of %zu hop%s, includes network transit)</li>",
                 t->skews[k].samples, t->skews[k].samples == 1 ? "" : "s");
        buf_adds(b, k + 1 == t->nskews ? "</ul>" : "");
    }
    if (roots > drawn)
        buf_addf(b, "<p class=\"more\">%zu more paths not drawn (mailsleuth trace follows any "
                    "message).</p>",
                 roots - drawn);
    if (r->msgs_not_kept)
        buf_addf(b, "<p class=\"note\">Paths are drawn among the first %d messages; %lld later "
                    "messages were counted in the charts only.</p>",
                 KEEP_MSGS, r->msgs_not_kept);
    buf_adds(b, "</section>\n");
}

static void filter_box(struct buf *b, const char *table_id, const char *what)
{
    buf_addf(b, "<div class=\"filter\" id=\"%s-filter\" hidden><label>Filter %s: <input "
                "type=\"search\" placeholder=\"any text in a row\"></label><output></output></div>",
             table_id, what);
}

static void recipients_cell(struct buf *b, const struct msl_message *m)
{
    size_t shown = 0, total = 0;
    if (m->nrcpts) {
        for (size_t i = 0; i < m->nrcpts; i++, total++)
            if (shown < 3) {
                buf_adds(b, shown++ ? ", " : "");
                e(b, m->rcpts[i].addr);
            }
    } else {
        for (size_t i = 0; i < m->ndeliveries; i++) {
            const char *to = m->deliveries[i].to;
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++)
                dup = to && m->deliveries[j].to && !strcmp(to, m->deliveries[j].to);
            if (dup || !to)
                continue;
            total++;
            if (shown < 3) {
                buf_adds(b, shown++ ? ", " : "");
                e(b, to);
            }
        }
    }
    if (total > shown)
        buf_addf(b, " +%zu", total - shown);
}

static void message_table(struct buf *b, const struct html_report *r, const struct index *x)
{
    const struct msl_trace *t = r->t;
    size_t shown = x->msg_shown;
    const char *show = x->msg_show;
    buf_addf(b, "<section id=\"messages\"><h2>Messages (%lld)</h2>", r->messages);
    filter_box(b, "msgs", "messages");
    buf_adds(b, "<div class=\"tw\"><table class=\"sortable\" id=\"msgs\"><thead><tr><th>received</th><th>host</th>"
                "<th>queue id</th><th>sender</th><th>recipients</th><th>outcome</th>"
                "<th class=\"num\">size</th><th>client</th><th>Message-ID</th></tr></thead><tbody>");
    for (size_t i = 0; i < t->nmsgs; i++) {
        if (!show[i])
            continue;
        const struct msl_message *m = t->msgs[i];
        const char *o = outcome_word(m);
        buf_addf(b, "<tr id=\"m%llu\"><td class=\"nw\">", (unsigned long long)m->id);
        local_time(b, r->o.tz, m->received_ts ? m->received_ts : m->first_ts);
        buf_adds(b, "</td><td class=\"mono\">");
        e(b, m->host);
        buf_adds(b, "</td><td class=\"mono\">");
        e(b, m->qid);
        buf_adds(b, "</td><td class=\"w\">");
        if (m->from && !*m->from)
            buf_adds(b, "&lt;&gt;");
        else
            e(b, m->from);
        buf_adds(b, "</td><td class=\"w\">");
        recipients_cell(b, m);
        buf_addf(b, "</td><td class=\"o-%s\">%s</td><td class=\"num\">", o, o);
        if (m->size >= 0)
            buf_addf(b, "%lld", (long long)m->size);
        buf_adds(b, "</td><td class=\"mono w\">");
        e(b, m->client_ip ? m->client_ip : m->uid ? "local" : NULL);
        if (m->sasl_user) {
            buf_adds(b, " (AUTH ");
            e(b, m->sasl_user);
            buf_addc(b, ')');
        }
        buf_adds(b, "</td><td class=\"mono w\">");
        e(b, m->msgid);
        buf_adds(b, "</td></tr>\n");
    }
    buf_adds(b, "</tbody></table></div>");
    if ((long long)shown < r->messages)
        buf_addf(b, "<p class=\"more\">%lld more messages not listed (messages named by findings "
                    "first, then in order; mailsleuth search lists any).</p>",
                 r->messages - (long long)shown);
    buf_adds(b, "</section>\n");
}

static void session_table(struct buf *b, const struct html_report *r, const struct index *x)
{
    const struct msl_trace *t = r->t;
    size_t shown = x->sess_shown;
    const char *show = x->sess_show;
    buf_adds(b, "<section id=\"sessions\"><h2>Sessions with AUTH failures or rejects</h2>");
    if (!t->nsess)
        buf_adds(b, "<p class=\"none\">none</p>");
    else {
        filter_box(b, "sess", "sessions");
        buf_adds(b, "<div class=\"tw\"><table class=\"sortable\" id=\"sess\"><thead><tr><th>start</th><th>host</th>"
                    "<th>service</th><th>client</th><th>HELO</th><th class=\"num\">AUTH "
                    "failed</th><th>users tried</th><th class=\"num\">rejects</th><th>first "
                    "reject</th></tr></thead><tbody>");
    }
    for (size_t i = 0; i < t->nsess; i++) {
        if (!show[i])
            continue;
        const struct msl_session *s = t->sess[i];
        size_t fails = 0, users = 0;
        buf_addf(b, "<tr id=\"s%llu\"><td class=\"nw\">", (unsigned long long)s->id);
        local_time(b, r->o.tz, s->start_ts);
        buf_adds(b, "</td><td class=\"mono\">");
        e(b, s->host);
        buf_adds(b, "</td><td class=\"mono\">");
        e(b, s->program);
        buf_addf(b, "[%lld]</td><td class=\"mono\">", (long long)s->pid);
        e(b, s->client_ip);
        buf_adds(b, "</td><td class=\"w\">");
        e(b, s->helo);
        for (size_t k = 0; k < s->nauths; k++)
            fails += !s->auths[k].ok;
        buf_addf(b, "</td><td class=\"num\">%zu</td><td class=\"w\">", fails);
        for (size_t k = 0; k < s->nauths && users < 3; k++)
            if (!s->auths[k].ok && s->auths[k].user) {
                buf_adds(b, users++ ? ", " : "");
                e(b, s->auths[k].user);
            }
        buf_addf(b, "</td><td class=\"num\">%zu</td><td class=\"w\">", s->nrejects);
        if (s->nrejects)
            e(b, s->rejects[0].text);
        buf_adds(b, "</td></tr>\n");
    }
    if (t->nsess)
        buf_adds(b, "</tbody></table></div>");
    long long total = (long long)t->nsess + r->sess_not_kept;
    if ((long long)shown < total)
        buf_addf(b, "<p class=\"more\">%lld more sessions not listed (mailsleuth search "
                    "--sessions lists any).</p>",
                 total - (long long)shown);
    buf_adds(b, "</section>\n");
}

int html_report_write(struct html_report *r, const struct msl_summary *s,
                      const struct msl_hunt *h, const struct msl_run *run, FILE *out)
{
    if (trace_link(r->t) != MSL_OK)
        return MSL_ENOMEM;
    size_t nf;
    const struct msl_finding *f = msl_hunt_findings(h, &nf);
    struct index x = {0};
    if (index_build(&x, r->t, f, nf) != MSL_OK) {
        index_free(&x);
        return MSL_ENOMEM;
    }
    struct buf b;
    buf_init(&b, OUT_MAX);
    buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src ");
    csp_hash(&b, style_text);
    buf_adds(&b, "; script-src ");
    csp_hash(&b, script_text);
    buf_adds(&b, "; img-src data:; base-uri 'none'; form-action 'none'\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                 "<meta name=\"referrer\" content=\"no-referrer\">\n"
                 "<link rel=\"icon\" href=\"data:,\">\n"
                 "<title>mailsleuth case report</title>\n<style>");
    buf_adds(&b, style_text);
    buf_adds(&b, "</style></head><body>\n<header class=\"top\"><h1>Mail-server log case "
                 "report</h1><p>");
    buf_addf(&b, "%u input%s \xc2\xb7 ", run->totals.sources, run->totals.sources == 1 ? "" : "s");
    if (run->first_ts) {
        local_time(&b, r->o.tz, run->first_ts);
        buf_adds(&b, " \xe2\x80\x93 ");
        local_time(&b, r->o.tz, run->last_ts);
        buf_adds(&b, " ");
    }
    zone_label(&b, r->o.tz, run->first_ts);
    buf_addf(&b, " \xc2\xb7 %zu finding%s \xc2\xb7 mailsleuth " MSL_VERSION "</p></header>\n", nf,
             nf == 1 ? "" : "s");
    buf_adds(&b, "<nav><a href=\"#overview\">Overview</a><a href=\"#charts\">Charts</a>"
                 "<a href=\"#findings\">Findings</a><a href=\"#paths\">Paths</a>"
                 "<a href=\"#messages\">Messages</a><a href=\"#sessions\">Sessions</a></nav>\n"
                 "<main>\n");
    overview(&b, r, s, run, nf);
    charts(&b, r, s);
    findings(&b, r, h, &x, run);
    paths(&b, r, &x);
    message_table(&b, r, &x);
    session_table(&b, r, &x);
    buf_adds(&b, "<footer>Written by mailsleuth " MSL_VERSION ". Every value taken from a log is "
                 "shown as text; evidence is cited as file:line of the inputs fingerprinted "
                 "above.</footer>\n</main>\n<script>");
    buf_adds(&b, script_text);
    buf_adds(&b, "</script>\n</body></html>\n");
    index_free(&x);
    int rc = b.err;
    if (!rc && fwrite(b.p, 1, b.n, out) != b.n)
        rc = MSL_EIO;
    buf_free(&b);
    return rc;
}
