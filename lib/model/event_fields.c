/* event_fields.c - see event_fields.h.  Order here is the order fields are written. */
#include <string.h>

#include "model/event_fields.h"

#define F(name, type) {#name, type, offsetof(struct msl_event, name)}

const struct msl_field msl_event_fields[] = {
    F(qid, MSL_FT_STR),          F(qid_time, MSL_FT_TIME),   F(new_qid, MSL_FT_STR),
    F(msgid, MSL_FT_STR),        F(from, MSL_FT_STR),        F(to, MSL_FT_STR),
    F(orig_to, MSL_FT_STR),      F(size, MSL_FT_I64),        F(nrcpt, MSL_FT_I64),
    F(uid, MSL_FT_STR),          F(client_host, MSL_FT_STR), F(client_ip, MSL_FT_STR),
    F(client_port, MSL_FT_I32),  F(helo, MSL_FT_STR),        F(proto, MSL_FT_STR),
    F(sasl_method, MSL_FT_STR),  F(sasl_user, MSL_FT_STR),   F(relay_host, MSL_FT_STR),
    F(relay_ip, MSL_FT_STR),     F(relay_port, MSL_FT_I32),  F(dsn, MSL_FT_STR),
    F(status, MSL_FT_STATUS),    F(delay, MSL_FT_DBL),       F(delays, MSL_FT_DELAYS),
    F(tls, MSL_FT_STR),          F(tls_cipher, MSL_FT_STR),  F(action, MSL_FT_ACTION),
    F(stage, MSL_FT_STR),        F(code, MSL_FT_STR),        F(text, MSL_FT_STR),
    F(severity, MSL_FT_SEVERITY), F(detail, MSL_FT_STR),     F(count, MSL_FT_I64),
};

const size_t msl_event_nfields = sizeof msl_event_fields / sizeof msl_event_fields[0];

const struct msl_field *msl_event_field(const char *name, size_t n)
{
    for (size_t i = 0; i < msl_event_nfields; i++)
        if (strlen(msl_event_fields[i].name) == n && memcmp(msl_event_fields[i].name, name, n) == 0)
            return &msl_event_fields[i];
    return NULL;
}

int msl_field_present(const struct msl_event *e, const struct msl_field *f)
{
    const char *base = (const char *)e + f->off;
    switch (f->type) {
    case MSL_FT_STR: return ((const struct msl_str *)base)->p != NULL;
    case MSL_FT_I64: return *(const int64_t *)base >= 0;
    case MSL_FT_I32: return *(const int32_t *)base >= 0;
    case MSL_FT_DBL: return *(const double *)base >= 0;
    case MSL_FT_DELAYS: return ((const double *)base)[0] >= 0;
    case MSL_FT_STATUS: return *(const enum msl_status *)base != MSL_ST_NONE;
    case MSL_FT_ACTION: return *(const enum msl_action *)base != MSL_ACT_NONE;
    case MSL_FT_SEVERITY: return e->kind == MSL_EV_WARNING || e->kind == MSL_EV_ERROR;
    case MSL_FT_TIME: return *(const int64_t *)base != 0;
    }
    return 0;
}
