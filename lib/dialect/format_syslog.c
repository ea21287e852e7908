/*
 * format_syslog.c - the syslog family of formats: each line's envelope (RFC 3164/3339/5424,
 * journald, Postfix maillog_file) is parsed, rsyslog's "message repeated N times: [ msg ]"
 * is unwrapped (the event carries repeat = N), and the dialect that claims the program tag
 * parses the message.  The dialect lookup is cached for runs of the same tag, which is the
 * common case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"

struct syslog_state {
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
    if (!d->parse(&env, &e, why)) {
        if (!*why)
            *why = "not understood";
        return 0;
    }
    if (repeated) {
        e.repeat = times;
        e.flags |= MSL_EVF_REPEATED;
    }
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
