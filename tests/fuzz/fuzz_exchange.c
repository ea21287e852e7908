/*
 * fuzz_exchange.c - libFuzzer target for the Exchange message tracking, Exchange SMTP
 * protocol and Microsoft 365 message trace formats.
 *
 * Input: the first byte picks the format (mod 3), the rest is split at '\n' into lines.
 * Each line is copied into an exact-size heap buffer so ASan catches any read past it.
 * detect() sees the first 64 lines, then open/line/close run over every line like the
 * pipeline does.  Invariants (abort on violation): detect returns 0..100; line returns
 * >= 0 (the emitter never stops it) and, when it returns 0, why is NULL or a NUL-terminated
 * text; every emitted event renders with the kv formatter within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "model/event_kv.h"

static int on_event(void *ctx, struct msl_event *e)
{
    (void)ctx;
    char buf[512];
    int n = msl_event_format_kv(e, buf, sizeof buf);
    if (n < 0 || buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] != '\0')
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct msl_format *const fmts[] = {
        &msl_format_exchange_msgtrk, &msl_format_exchange_smtp, &msl_format_m365_trace};
    if (size < 1)
        return 0;
    const struct msl_format *f = fmts[data[0] % 3];
    const char *p = (const char *)data + 1, *end = (const char *)data + size;

    /* detect over the first lines, each in its own exact-size block */
    struct msl_str v[64] = {{NULL, 0}};
    char *own[64];
    size_t nv = 0;
    for (const char *q = p; q < end && nv < 64;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t k = nl ? (size_t)(nl - q) : (size_t)(end - q);
        own[nv] = malloc(k ? k : 1);
        if (!own[nv])
            break;
        memcpy(own[nv], q, k);
        v[nv] = (struct msl_str){own[nv], k};
        nv++;
        q = nl ? nl + 1 : end;
    }
    int sc = f->detect(v, nv);
    for (size_t i = 0; i < nv; i++)
        free(own[i]);
    if (sc < 0 || sc > 100)
        abort();

    struct msl_format_src src = {0};
    void *st = f->open(&src);
    if (!st)
        return 0;
    struct msl_emitter em = {NULL, on_event};
    uint64_t no = 0;
    for (const char *q = p; q < end;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t k = nl ? (size_t)(nl - q) : (size_t)(end - q);
        char *line = malloc(k ? k : 1);
        if (!line)
            break;
        memcpy(line, q, k);
        struct msl_line ln = {line, k, 0, 0, ++no, 0};
        const char *why = NULL;
        int r = f->line(st, &ln, &em, &why);
        if (r < 0 || (r == 0 && why && strlen(why) > 200))
            abort();
        free(line);
        q = nl ? nl + 1 : end;
    }
    f->close(st);
    return 0;
}
