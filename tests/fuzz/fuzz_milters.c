/*
 * fuzz_milters.c - libFuzzer target for the filter dialects: opendkim, opendmarc,
 * policyd-spf, rspamd, amavis, spamd.
 *
 * Input: one selector byte (modulo 6 picks the dialect; its canonical tag is used), then the
 * message, copied into an exact-size heap buffer so ASan catches any read past env->msg.n.
 * Invariants (abort on violation): parse returns 0 or 1 and sets *why exactly when it
 * returns 0; every non-empty view lies inside the message, except detail, which may also
 * be a static vocabulary string or the dialect's thread-local verdict buffer (then it must
 * be short; ASan checks it is readable); the kv formatter never overruns its buffer.
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
    static const struct {
        const struct msl_dialect *d;
        const char *tag;
    } tab[] = {
        {&msl_dialect_opendkim, "opendkim"}, {&msl_dialect_opendmarc, "opendmarc"},
        {&msl_dialect_policyd_spf, "policyd-spf"}, {&msl_dialect_rspamd, "rspamd"},
        {&msl_dialect_amavis, "amavis"}, {&msl_dialect_spamd, "spamd"},
    };
    if (size < 1)
        return 0;
    size_t k = data[0] % (sizeof tab / sizeof tab[0]);
    size_t mn = size - 1;
    char *msg = malloc(mn ? mn : 1);
    if (!msg)
        return 0;
    memcpy(msg, data + 1, mn);

    struct msl_envelope env = {0};
    env.program = (struct msl_str){tab[k].tag, strlen(tab[k].tag)};
    env.msg = (struct msl_str){msg, mn};
    env.pid = 1;
    if (!tab[k].d->claims(env.program))
        abort();
    struct msl_event e;
    msl_event_clear(&e);
    e.program = env.program;
    const char *why = NULL;
    int r = tab[k].d->parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.text};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, mn);
    if (e.detail.n && !(e.detail.p >= msg && e.detail.p + e.detail.n <= msg + mn) &&
        e.detail.n > 96) /* vocabulary string or verdict buffer (may hold message bytes) */
        abort();
    if (r) {
        char buf[256];
        int n = msl_event_format_kv(&e, buf, sizeof buf);
        if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
            abort();
    }
    free(msg);
    return 0;
}
