/*
 * fuzz_postfix.c - libFuzzer target for the Postfix dialect.
 *
 * Input: "daemon\nmessage".  The daemon line becomes the tag "postfix/<daemon>"; the message
 * bytes are copied into an exact-size heap buffer so ASan catches any read past env->msg.n.
 * Invariants (abort on violation): every non-empty view of the event that the dialect sets
 * lies inside the message; daemon (and service, unless anvil took it from the message) lie
 * inside the program tag; parse returns 0 or 1
 * and sets *why exactly when it returns 0; the kv formatter never overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "model/event_kv.h"

static void inside(struct msl_str s, const char *b, size_t n)
{
    if (s.n == 0)
        return;
    if (!s.p || s.p < b || s.p + s.n > b + n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t dn = nl ? (size_t)(nl - (const char *)data) : 0;
    if (!nl || dn > 64)
        return 0;
    char prog[80];
    memcpy(prog, "postfix/", 8);
    memcpy(prog + 8, data, dn);
    size_t pn = 8 + dn;
    size_t mn = size - dn - 1;
    char *msg = malloc(mn ? mn : 1);
    if (!msg)
        return 0;
    memcpy(msg, nl + 1, mn);

    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, pn};
    env.msg = (struct msl_str){msg, mn};
    env.pid = 1;
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    const char *why = NULL;
    int r = msl_dialect_postfix.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    inside(e.daemon, prog, pn);
    /* service: the tag's middle component, or anvil's "(service:addr)" ident */
    if (e.service.n && !(e.service.p >= prog && e.service.p + e.service.n <= prog + pn))
        inside(e.service, msg, mn);
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.text,
                                 &e.detail};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, mn);
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    msl_dialect_postfix.claims(env.program);
    free(msg);
    return 0;
}
