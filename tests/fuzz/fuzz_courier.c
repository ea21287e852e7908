/*
 * fuzz_courier.c - libFuzzer target for the Courier dialect.
 *
 * Input: "tag\nmessage" runs the dialect with that program tag (message in an exact-size
 * heap buffer, so ASan catches reads past env->msg.n).  Invariants (abort on violation):
 * parse's return value and *why agree; every view lies inside the message, the tag, or is
 * one of the dialect's static words; the kv formatter never overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "model/event_kv.h"

static const char *const statics[] = {"courier", "smtpd", "RCPT", "MAIL", "AUTH", "completed",
                                      "local"};

static void inside(struct msl_str s, const char *b, size_t n, const char *t, size_t tn)
{
    if (s.n == 0)
        return;
    if (s.p && s.p >= b && s.p + s.n <= b + n)
        return;
    if (s.p && s.p >= t && s.p + s.n <= t + tn)
        return;
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++)
        if (s.n == strlen(statics[i]) && memcmp(s.p, statics[i], s.n) == 0)
            return;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t pn = nl ? (size_t)(nl - (const char *)data) : 0;
    if (!nl || pn > 64)
        return 0;
    char prog[65];
    memcpy(prog, data, pn);
    size_t mn = size - pn - 1;
    char *msg = malloc(mn ? mn : 1);
    if (!msg)
        return 0;
    memcpy(msg, nl + 1, mn);
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, pn};
    env.msg = (struct msl_str){msg, mn};
    env.pid = -1;
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    const char *why = NULL;
    int r = msl_dialect_courier.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.detail,
                                 &e.text, &e.daemon, &e.mta};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, mn, prog, pn);
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    msl_dialect_courier.claims(env.program);
    free(msg);
    return 0;
}
