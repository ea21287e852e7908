/*
 * fuzz_dovecot.c - libFuzzer target for the Dovecot dialect.
 *
 * Input: "tag\nmessage".  The tag (e.g. "dovecot", "auth", "imap-login",
 * "auth(u,ip,sasl") and the message are copied into exact-size heap buffers so ASan catches
 * any read past either.  Invariants (abort on violation): claims() and parse() never crash;
 * parse returns 0 or 1 and sets *why exactly when it returns 0; every non-empty view of the
 * event lies inside the message or the tag; the kv formatter never overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "model/event_kv.h"

static int within(struct msl_str s, const char *b, size_t n)
{
    return s.p >= b && s.p + s.n <= b + n;
}

static void inside2(struct msl_str s, const char *a, size_t an, const char *b, size_t bn)
{
    if (s.n == 0)
        return;
    if (!s.p || !(within(s, a, an) || within(s, b, bn)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t pn = nl ? (size_t)(nl - (const char *)data) : 0;
    if (!nl || pn > 64)
        return 0;
    size_t mn = size - pn - 1;
    char *prog = malloc(pn ? pn : 1);
    char *msg = malloc(mn ? mn : 1);
    if (!prog || !msg) {
        free(prog);
        free(msg);
        return 0;
    }
    memcpy(prog, data, pn);
    memcpy(msg, nl + 1, mn);

    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, pn};
    env.msg = (struct msl_str){msg, mn};
    env.pid = 1;
    msl_dialect_dovecot.claims(env.program);
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    const char *why = NULL;
    int r = msl_dialect_dovecot.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.text,
                                 &e.daemon};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside2(*v[i], msg, mn, prog, pn);
    if (e.detail.n && !within(e.detail, msg, mn) && !within(e.detail, prog, pn) &&
        memchr(e.detail.p, '\0', e.detail.n)) /* static vocabulary strings have no NUL */
        abort();
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    free(prog);
    free(msg);
    return 0;
}
