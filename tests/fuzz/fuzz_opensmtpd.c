/*
 * fuzz_opensmtpd.c - libFuzzer target for the OpenSMTPD dialect.
 *
 * Input: the message bytes (tag "smtpd"; a leading "T\n" selects the tag "transfer"), copied
 * into an exact-size heap buffer so ASan catches any read past env->msg.n.  Invariants
 * (abort on violation): parse returns 0 or 1 and sets *why exactly when it returns 0; every
 * non-empty view lies inside the message or is one of the dialect's static words (daemon may
 * also be the tag itself); a session
 * key pid is never negative unless absent (-1); the kv formatter never overruns its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "model/event_kv.h"

static const char *const statics[] = {"local", "tempfail", "permfail", "disconnect",
                                      "connecting", "connected", "smtpd", "mta", "mda",
                                      "opensmtpd"};

static void inside(struct msl_str s, const char *b, size_t n)
{
    if (s.n == 0)
        return;
    if (s.p && s.p >= b && s.p + s.n <= b + n)
        return;
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++)
        if (s.p == statics[i] || (s.n == strlen(statics[i]) && memcmp(s.p, statics[i], s.n) == 0))
            return;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *prog = "smtpd";
    if (size >= 2 && data[0] == 'T' && data[1] == '\n') {
        prog = "transfer";
        data += 2;
        size -= 2;
    }
    char *msg = malloc(size ? size : 1);
    if (!msg)
        return 0;
    memcpy(msg, data, size);
    struct msl_envelope env = {0};
    env.program = (struct msl_str){prog, strlen(prog)};
    env.msg = (struct msl_str){msg, size};
    env.pid = 1;
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    e.pid = env.pid;
    const char *why = NULL;
    int r = msl_dialect_opensmtpd.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    if (e.pid < -1)
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.text,
                                 &e.detail, &e.mta};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, size);
    if (e.daemon.p != env.program.p) /* the tag itself, or a static word */
        inside(e.daemon, msg, size);
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    msl_dialect_opensmtpd.claims(env.program);
    free(msg);
    return 0;
}
