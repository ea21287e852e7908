/*
 * fuzz_qmail.c - libFuzzer target for the qmail dialect and the qmail-multilog format.
 *
 * Input: "tag\nmessage" runs the dialect with that program tag (message in an exact-size
 * heap buffer, so ASan catches reads past env->msg.n); an input starting with "@" is split
 * into lines, each copied exactly and fed through one multilog state in order (exercising
 * the delivery-id map), and detect() sees all of them.  Invariants (abort on violation):
 * parse/line return values and *why agree; dialect views lie inside the message, a static
 * word, or (.text) have at most the message's length; the kv formatter never overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/dialect.h"
#include "mailsleuth/format.h"
#include "model/event_kv.h"

static const char *const statics[] = {"qmail", "qmail-send", "CONNECT", "ok", "deny",
                                      "starting delivery", "triple bounce: discarding",
                                      "splogger continuation", "local", "remote"};

static void inside(struct msl_str s, const char *b, size_t n)
{
    if (s.n == 0)
        return;
    if (s.p && s.p >= b && s.p + s.n <= b + n)
        return;
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++)
        if (s.n == strlen(statics[i]) && memcmp(s.p, statics[i], s.n) == 0)
            return;
    abort();
}

static void check_kv(const struct msl_event *e)
{
    char buf[256];
    int n = msl_event_format_kv(e, buf, sizeof buf);
    if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
        abort();
}

static int on_emit(void *ctx, struct msl_event *e)
{
    (void)ctx;
    check_kv(e);
    return 0;
}

static void multilog(const uint8_t *data, size_t size)
{
    struct msl_str views[64];
    size_t nv = 0;
    for (size_t i = 0, s = 0; i <= size && nv < 64; i++)
        if (i == size || data[i] == '\n') {
            views[nv++] = (struct msl_str){(const char *)data + s, i - s};
            s = i + 1;
        }
    int sc = msl_format_qmail_multilog.detect(views, nv);
    if (sc < 0 || sc > 100)
        abort();
    struct msl_format_src src = {0};
    void *st = msl_format_qmail_multilog.open(&src);
    if (!st)
        return;
    struct msl_emitter em = {NULL, on_emit};
    for (size_t i = 0; i < nv; i++) {
        char *b = malloc(views[i].n ? views[i].n : 1);
        if (!b)
            break;
        memcpy(b, views[i].p, views[i].n);
        struct msl_line ln = {.p = b, .n = views[i].n, .lineno = i + 1};
        const char *why = NULL;
        int r = msl_format_qmail_multilog.line(st, &ln, &em, &why);
        if (r < 0 || (r > 0 && why))
            abort();
        free(b);
    }
    msl_format_qmail_multilog.close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == '@') {
        multilog(data, size);
        return 0;
    }
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
    int r = msl_dialect_qmail.parse(&env, &e, &why);
    if (r != 0 && r != 1)
        abort();
    if ((r == 0) != (why != NULL))
        abort();
    const struct msl_str *v[] = {&e.qid, &e.new_qid, &e.msgid, &e.from, &e.to, &e.orig_to,
                                 &e.uid, &e.client_host, &e.client_ip, &e.helo, &e.proto,
                                 &e.sasl_method, &e.sasl_user, &e.relay_host, &e.relay_ip,
                                 &e.dsn, &e.tls, &e.tls_cipher, &e.stage, &e.code, &e.detail};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        inside(*v[i], msg, mn);
    if (e.daemon.n && !(e.daemon.p >= prog && e.daemon.p + e.daemon.n <= prog + pn))
        inside(e.daemon, msg, mn);
    if (e.text.n > mn)
        abort();
    if (r)
        check_kv(&e);
    msl_dialect_qmail.claims(env.program);
    free(msg);
    return 0;
}
