/*
 * format_syslog.c - the syslog family of formats: each line's envelope (RFC 3164/3339/5424,
 * journald, Postfix maillog_file) is parsed, rsyslog's "message repeated N times: [ msg ]"
 * is unwrapped (the event carries repeat = N), and the dialect that claims the program tag
 * parses the message.  The dialect lookup is cached for runs of the same tag, which is the
 * common case.
 *
 * Continuations (Exim, FORMATS.md 5.1): an entry too long for one syslog message, or with
 * embedded newlines, is sent as parts "[1/3] ...", "[2/3] ...", "[3/3] ..." ('\' instead of
 * '/' when the part ended at a newline).  Parts are reassembled per host+pid (CONT_SLOTS sets
 * in flight, CONT_MAX bytes each, buffers allocated once per slot) and the whole message goes
 * to the dialect with the first part's envelope; parts before the last give no event and no
 * reason.  A broken set (a part out of order, a new part 1 for the same host+pid, overflow,
 * eviction) is counted as unparsed on the line that breaks it; a set still open at the end
 * of the source is lost (close() cannot report).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"

#define CONT_SLOTS 4
#define CONT_MAX (64u * 1024u)

struct cont_set {
    int used, next, total;
    uint64_t age;
    char host[64], prog[64];
    size_t hostn, progn;
    int64_t pid, ts;
    uint32_t flags;
    char *buf; /* CONT_MAX bytes, allocated on first use */
    size_t n;
};

struct syslog_state {
    struct cont_set cont[CONT_SLOTS];
    uint64_t cont_clock;
    struct msl_envelope_parser *ep;
    const struct msl_dialect *forced;
    char last_prog[64];
    size_t last_prog_n;
    const struct msl_dialect *last_dialect;
    char why[96]; /* "no dialect for program X" */
};

static void *sy_open(const struct msl_format_src *src)
{
    struct syslog_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->ep = msl_envelope_new(src->tz, src->mtime, src->year);
    if (src->dialect)
        st->forced = msl_dialect_by_name(src->dialect);
    if (!st->ep) {
        free(st);
        return NULL;
    }
    return st;
}

static void sy_close(void *p)
{
    struct syslog_state *st = p;
    if (!st)
        return;
    msl_envelope_free(st->ep);
    for (size_t i = 0; i < CONT_SLOTS; i++)
        free(st->cont[i].buf);
    free(st);
}

static const struct msl_dialect *dialect_for(struct syslog_state *st, struct msl_str prog)
{
    if (st->forced)
        return st->forced;
    if (prog.n == st->last_prog_n && prog.n < sizeof st->last_prog &&
        memcmp(prog.p, st->last_prog, prog.n) == 0)
        return st->last_dialect;
    const struct msl_dialect *d = msl_dialect_for_program(prog);
    if (prog.n < sizeof st->last_prog) {
        memcpy(st->last_prog, prog.p, prog.n);
        st->last_prog_n = prog.n;
        st->last_dialect = d;
    }
    return d;
}

/* "message repeated 3 times: [ text]" (rsyslog) -> text, N */
static int unwrap_repeated(struct msl_str *msg, uint32_t *times)
{
    static const char pre[] = "message repeated ";
    const char *p = msg->p, *end = p + msg->n;
    if (msg->n < sizeof pre + 10 || memcmp(p, pre, sizeof pre - 1) != 0)
        return 0;
    p += sizeof pre - 1;
    uint32_t n = 0;
    while (p < end && *p >= '0' && *p <= '9' && n < 100000000)
        n = n * 10 + (uint32_t)(*p++ - '0');
    static const char mid[] = " times: [";
    if (n == 0 || (size_t)(end - p) < sizeof mid - 1 || memcmp(p, mid, sizeof mid - 1) != 0)
        return 0;
    p += sizeof mid - 1;
    if (p < end && *p == ' ')
        p++;
    if (end > p && end[-1] == ']')
        end--;
    msg->p = p;
    msg->n = (size_t)(end - p);
    *times = n;
    return 1;
}

/* "[n/m] " or "[n\\m] " with 1 <= n <= m, 2 <= m <= 999: returns the prefix length. */
static size_t cont_prefix(struct msl_str msg, int *n, int *m, char *sep)
{
    const char *p = msg.p, *end = p + msg.n;
    if (msg.n < 6 || *p != '[')
        return 0;
    int v[2] = {0, 0};
    p++;
    for (int k = 0; k < 2; k++) {
        const char *s = p;
        while (p < end && *p >= '0' && *p <= '9' && p - s < 3)
            v[k] = v[k] * 10 + (*p++ - '0');
        if (p == s || p >= end)
            return 0;
        if (k == 0) {
            if (*p != '/' && *p != '\\')
                return 0;
            *sep = *p++;
        }
    }
    if (end - p < 2 || p[0] != ']' || p[1] != ' ' || v[0] < 1 || v[1] < 2 || v[0] > v[1])
        return 0;
    *n = v[0];
    *m = v[1];
    return (size_t)(p + 2 - msg.p);
}

static struct cont_set *cont_find(struct syslog_state *st, const struct msl_envelope *env)
{
    for (size_t i = 0; i < CONT_SLOTS; i++) {
        struct cont_set *c = &st->cont[i];
        if (c->used && c->pid == env->pid && c->hostn == env->host.n &&
            (env->host.n == 0 || memcmp(c->host, env->host.p, env->host.n) == 0))
            return c;
    }
    return NULL;
}

/*
 * Adds one part.  Returns 1 when the set is complete (*env then describes the whole
 * message, whose bytes live in the slot until cont_done), 0 when the part was held or
 * dropped (*why set when a set was broken).
 */
static int cont_add(struct syslog_state *st, struct msl_envelope *env, size_t skip, int n, int m,
                    char sep, const char **why, struct cont_set **done)
{
    struct cont_set *c = env->host.n < sizeof c->host ? cont_find(st, env) : NULL;
    if (n == 1) {
        if (c) {
            *why = "syslog continuation: incomplete [n/m] set dropped";
        } else {
            for (size_t i = 0; i < CONT_SLOTS && !c; i++)
                if (!st->cont[i].used)
                    c = &st->cont[i];
            if (!c) { /* evict the oldest set */
                c = &st->cont[0];
                for (size_t i = 1; i < CONT_SLOTS; i++)
                    if (st->cont[i].age < c->age)
                        c = &st->cont[i];
                *why = "syslog continuation: incomplete [n/m] set dropped";
            }
        }
        if (env->host.n >= sizeof c->host) {
            *why = "syslog continuation: host name too long";
            return 0;
        }
        if (!c->buf && !(c->buf = malloc(CONT_MAX))) {
            *why = "syslog continuation: out of memory";
            return 0;
        }
        c->used = 1;
        c->age = ++st->cont_clock;
        c->total = m;
        c->next = 1;
        c->n = 0;
        c->hostn = env->host.n;
        if (env->host.n)
            memcpy(c->host, env->host.p, env->host.n);
        c->progn = env->program.n < sizeof c->prog ? env->program.n : sizeof c->prog - 1;
        if (c->progn)
            memcpy(c->prog, env->program.p, c->progn);
        c->pid = env->pid;
        c->ts = env->ts;
        c->flags = env->flags;
    } else if (!c || c->next != n || c->total != m) {
        if (c)
            c->used = 0;
        *why = "syslog continuation: part without the parts before it";
        return 0;
    }
    size_t len = env->msg.n - skip;
    if (c->n + len + 1 > CONT_MAX) {
        c->used = 0;
        *why = "syslog continuation: set longer than 64 KiB";
        return 0;
    }
    memcpy(c->buf + c->n, env->msg.p + skip, len);
    c->n += len;
    if (n < m && sep == '\\')
        c->buf[c->n++] = '\n'; /* the part ended at an embedded newline */
    c->next = n + 1;
    if (n < m)
        return 0;
    env->ts = c->ts;
    env->flags = c->flags;
    env->host = (struct msl_str){c->host, c->hostn};
    env->program = (struct msl_str){c->prog, c->progn};
    env->msg = (struct msl_str){c->buf, c->n};
    *done = c;
    return 1;
}

static int sy_message(struct syslog_state *st, struct msl_envelope *envp,
                      const struct msl_emitter *em, const char **why);

static int sy_line(void *p, const struct msl_line *ln, const struct msl_emitter *em,
                   const char **why)
{
    struct syslog_state *st = p;
    struct msl_envelope env;
    *why = NULL;
    if (msl_envelope_parse(st->ep, ln->p, ln->n, &env, why) != 0) {
        if (ln->n == 0)
            *why = "empty line";
        else if (!*why)
            *why = "no envelope";
        return 0;
    }
    int cn = 0, cm = 0;
    char csep = '/';
    struct cont_set *cdone = NULL;
    size_t cskip = cont_prefix(env.msg, &cn, &cm, &csep);
    if (cskip && !cont_add(st, &env, cskip, cn, cm, csep, why, &cdone))
        return 0;
    int r = sy_message(st, &env, em, why);
    if (cdone)
        cdone->used = 0;
    return r;
}

/* The address inside one list item: "<a@b>", "Name <a@b>", "a@b" (spaces trimmed). */
static struct msl_str list_address(const char *s, const char *e)
{
    while (s < e && *s == ' ')
        s++;
    while (e > s && e[-1] == ' ')
        e--;
    const char *lt = memchr(s, '<', (size_t)(e - s));
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(e - lt));
        if (gt)
            return (struct msl_str){lt + 1, (size_t)(gt - lt - 1)};
    }
    return (struct msl_str){s, (size_t)(e - s)};
}

/*
 * A delivery line naming several recipients (Sendmail "to=<a>,<b>") is one delivery per
 * recipient, so every count and every recipient's story is right.  Commas inside quotes
 * or angle brackets do not split.
 */
static int emit_per_recipient(struct msl_event *e, const struct msl_emitter *em)
{
    struct msl_str list = e->to;
    const char *p = list.p, *end = p + list.n, *item = p;
    int quoted = 0, angle = 0, n = 0;
    for (; p <= end; p++) {
        if (p < end) {
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '<')
                angle = 1;
            else if (*p == '>')
                angle = 0;
            if (*p != ',' || quoted || angle)
                continue;
        }
        struct msl_str a = list_address(item, p);
        item = p + 1;
        if (!a.n)
            continue;
        e->to = a;
        if (em->emit(em->ctx, e))
            return -1;
        n++;
    }
    return n;
}

/* One whole message (a line, or a reassembled continuation set) -> dialect -> event. */
static int sy_message(struct syslog_state *st, struct msl_envelope *envp,
                      const struct msl_emitter *em, const char **why)
{
    struct msl_envelope env = *envp;
    uint32_t times = 1;
    int repeated = unwrap_repeated(&env.msg, &times);
    const struct msl_dialect *d = dialect_for(st, env.program);
    if (!d) {
        snprintf(st->why, sizeof st->why, "no dialect for program \"%.*s\"",
                 (int)(env.program.n > 48 ? 48 : env.program.n), env.program.p);
        *why = st->why;
        return 0;
    }
    struct msl_event e;
    msl_event_clear(&e);
    e.ts = env.ts;
    e.flags = env.flags;
    e.host = env.host;
    e.program = env.program;
    e.pid = env.pid;
    e.mta = (struct msl_str){d->mta, strlen(d->mta)};
    e.mta_caps = d->caps;
    if (!d->parse(&env, &e, why)) {
        if (!*why)
            *why = "not understood";
        return 0;
    }
    if (repeated) {
        e.repeat = times;
        e.flags |= MSL_EVF_REPEATED;
    }
    if (e.kind == MSL_EV_DELIVERY && e.to.n && memchr(e.to.p, ',', e.to.n))
        return emit_per_recipient(&e, em);
    return em->emit(em->ctx, &e) ? -1 : 1;
}

/* Syslog is the fallback: it scores on envelopes it recognises, never above 50, so a
 * format that recognises its own file layout wins. */
static int sy_detect(const struct msl_str *lines, size_t n)
{
    if (n == 0)
        return 1;
    struct msl_tz *tz = msl_tz_load("UTC");
    struct msl_envelope_parser *ep = tz ? msl_envelope_new(tz, 0, 2000) : NULL;
    size_t ok = 0;
    for (size_t i = 0; ep && i < n; i++) {
        struct msl_envelope env;
        const char *why;
        ok += msl_envelope_parse(ep, lines[i].p, lines[i].n, &env, &why) == 0;
    }
    msl_envelope_free(ep);
    msl_tz_free(tz);
    return 1 + (int)(ok * 49 / n);
}

const struct msl_format msl_format_syslog = {
    .name = "syslog",
    .description = "syslog-wrapped lines (RFC 3164/3339/5424, journald, maillog_file); the "
                   "program tag picks the dialect",
    .detect = sy_detect,
    .open = sy_open,
    .close = sy_close,
    .line = sy_line,
};
