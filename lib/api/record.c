/*
 * record.c - one record of the API: its JSON (written by the CLI's writers on the producer
 * thread), its evidence, and field access by JSON name.  The JSON is parsed (jansson) only
 * when a field is first asked for, so a caller that wants the JSON text pays nothing more.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "mailsleuth/pipeline.h"

struct msl_api_rec *api_rec_new(int kind, const struct msl_run *run, const char *json,
                                size_t len, size_t nev)
{
    /* one block: the record, the evidence, the JSON text */
    size_t evsz = nev * sizeof(struct api_ev);
    if (nev && evsz / nev != sizeof(struct api_ev))
        return NULL;
    size_t total = sizeof(struct msl_api_rec) + evsz + len + 1;
    if (total < len)
        return NULL;
    struct msl_api_rec *r = malloc(total);
    if (!r)
        return NULL;
    *r = (struct msl_api_rec){.kind = kind, .run = run, .len = len, .nev = nev};
    r->ev = nev ? (struct api_ev *)(r + 1) : NULL;
    r->json = (char *)(r + 1) + evsz;
    memcpy(r->json, json, len);
    r->json[len] = '\0';
    return r;
}

void api_rec_free(struct msl_api_rec *r)
{
    if (!r)
        return;
    json_decref(r->root);
    free(r);
}

int msl_api_rec_kind(const struct msl_api_rec *r)
{
    return r ? r->kind : 0;
}

const char *msl_api_rec_json(const struct msl_api_rec *r)
{
    return r ? r->json : NULL;
}

/* The value at a dotted path ("entity.value", "recipients.0.address"), or NULL. */
static json_t *lookup(struct msl_api_rec *r, const char *field)
{
    if (!r || !field)
        return NULL;
    if (!r->root && !(r->root = json_loadb(r->json, r->len, 0, NULL)))
        return NULL;
    json_t *v = r->root;
    const char *p = field;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char seg[256];
        if (n == 0 || n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, seg);
        } else if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(seg, &end, 10);
            v = *end || seg[0] < '0' || seg[0] > '9' ? NULL : json_array_get(v, i);
        } else {
            v = NULL;
        }
        p = dot ? dot + 1 : p + n;
    }
    return v;
}

const char *msl_api_rec_str(struct msl_api_rec *r, const char *field)
{
    json_t *v = lookup(r, field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t msl_api_rec_int(struct msl_api_rec *r, const char *field, int64_t absent_value)
{
    json_t *v = lookup(r, field);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    return absent_value;
}

size_t msl_api_rec_len(struct msl_api_rec *r, const char *field)
{
    json_t *v = lookup(r, field);
    return json_is_array(v) ? json_array_size(v) : 0;
}

size_t msl_api_rec_nevidence(const struct msl_api_rec *r)
{
    return r ? r->nev : 0;
}

int msl_api_rec_evidence(const struct msl_api_rec *r, size_t i, const char **source,
                         uint64_t *line, uint64_t *offset)
{
    if (!r || i >= r->nev)
        return 0;
    if (source)
        *source = msl_run_source_name(r->run, r->ev[i].src);
    if (line)
        *line = r->ev[i].line;
    if (offset)
        *offset = r->ev[i].offset;
    return 1;
}
