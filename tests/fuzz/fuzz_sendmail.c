/*
 * fuzz_sendmail.c - libFuzzer target for the Sendmail dialect.
 *
 * Input: "tag\nmessage".  The first line is the program tag ("sm-mta", "sendmail" ...; empty
 * means "sm-mta"); the message bytes are copied into an exact-size heap buffer so ASan
 * catches any read past env->msg.n.  Invariants (abort on violation): every non-empty view
 * the dialect sets lies inside the message, except .daemon (the tag or the mailer= value)
 * and static strings, which lie inside the tag, the message or nowhere we own (checked by
 * length only); parse returns 0 or 1 and sets *why exactly when it returns 0; qid_time is
 * only set with a queue id; the kv formatter never overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "model/event_kv.h"

static int within(struct msl_str s, const char *b, size_t n)
{
    return s.p && s.p >= b && s.p + s.n <= b + n;
}

static void inside(struct msl_str s, const char *b, size_t n)
{
    if (s.n == 0)
        return;
    if (!within(s, b, n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t dn = nl ? (size_t)(nl - (const char *)data) : 0;
    if (!nl || dn > 64)
        return 0;
    char prog[72];
    size_t pn = dn;
    if (dn == 0) {
        memcpy(prog, "sm-mta", 6);
        pn = 6;
    } else {
        memcpy(prog, data, dn);
    }
    size_t mn = size - dn - 1;
    char *msg = malloc(mn ? mn : 1);
    if (!msg)
        return 0;
    memcpy(msg, nl + 1, mn);

    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, pn};
    env.msg = (struct msl_str){msg, mn};
    env.pid = 1;
    env.ts = 1622505600000000LL;
    struct msl_event e;
    msl_event_clear(&e);
    e.ts = env.ts;
    e.program = env.program;
    const char *why = NULL;
    int r = msl_dialect_sendmail.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    if (e.daemon.n && !within(e.daemon, prog, pn) && !within(e.daemon, msg, mn))
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.code, &e.text, &e.service};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, mn);
    /* stage and detail may be static names ("RCPT", "no MAIL", "no message: no recipient
     * accepted (nrcpts=0)", 44 bytes) */
    if (e.stage.n && !within(e.stage, msg, mn) && e.stage.n > 64)
        abort();
    if (e.detail.n && !within(e.detail, msg, mn) && e.detail.n > 64)
        abort();
    if (e.qid_time && !e.qid.n)
        abort();
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    msl_dialect_sendmail.claims(env.program);
    free(msg);
    return 0;
}
