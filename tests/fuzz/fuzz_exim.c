/*
 * fuzz_exim.c - libFuzzer target for the Exim dialect and the exim-mainlog format.
 *
 * Input: any bytes.  They are copied into an exact-size heap buffer (so ASan catches any read
 * past the end) and fed (1) to the dialect as a syslog message of program "exim", and (2) to
 * the mainlog format's line() as a line of a source named "mainlog" and, when the first byte
 * is odd, "paniclog".  Invariants (abort on violation): parse returns 0 or 1 and sets *why
 * exactly when it returns 0; every non-empty view an event carries lies inside the input
 * (or is a static string for mta/program/detail/stage); line() returns -1..2 and sets a
 * reason only when it returns 0; the kv formatter never overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "model/event_kv.h"

static const char *in_p;
static size_t in_n;

static int inside_or_static(struct msl_str s)
{
    if (s.n == 0)
        return 1;
    if (!s.p)
        return 0;
    if (s.p >= in_p && s.p + s.n <= in_p + in_n)
        return 1;
    /* static strings are NUL-terminated where they end */
    return s.p[s.n] == '\0';
}

static void check_event(const struct msl_event *e)
{
    const struct msl_str *v[] = {&e->qid, &e->new_qid, &e->msgid, &e->from, &e->to, &e->orig_to,
                                 &e->uid, &e->client_host, &e->client_ip, &e->helo, &e->proto,
                                 &e->sasl_method, &e->sasl_user, &e->relay_host, &e->relay_ip,
                                 &e->dsn, &e->tls, &e->tls_cipher, &e->stage, &e->code, &e->text,
                                 &e->detail, &e->host, &e->program, &e->daemon, &e->service};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!inside_or_static(*v[i]))
            abort();
    char buf[256];
    int n = msl_event_format_kv(e, buf, sizeof buf);
    if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
        abort();
}

static int on_emit(void *ctx, struct msl_event *e)
{
    (*(int *)ctx)++;
    check_event(e);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 70000)
        return 0;
    char *msg = malloc(size ? size : 1);
    if (!msg)
        return 0;
    memcpy(msg, data, size);
    in_p = msg;
    in_n = size;

    struct msl_envelope env = {0};
    env.program = MSL_STR_LIT("exim");
    env.msg = (struct msl_str){msg, size};
    env.pid = -1;
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    const char *why = NULL;
    int r = msl_dialect_exim.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    if (r)
        check_event(&e);

    static struct msl_tz *tz;
    if (!tz)
        tz = msl_tz_load("UTC");
    struct msl_format_src src = {.tz = tz, .name = size && (data[0] & 1) ? "paniclog" : "mainlog"};
    void *st = msl_format_exim.open(&src);
    if (st) {
        struct msl_line ln = {.p = msg, .n = size, .lineno = 1};
        int count = 0;
        struct msl_emitter em = {&count, on_emit};
        why = NULL;
        int k = msl_format_exim.line(st, &ln, &em, &why);
        if (k < -1 || k > 2 || k != count || (k != 0 && why != NULL))
            abort();
        msl_format_exim.close(st);
    }
    struct msl_str sample = {msg, size};
    msl_format_exim.detect(&sample, 1);
    free(msg);
    return 0;
}
