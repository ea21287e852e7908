/*
 * event_fields.h - the event's fields as data: name, type, offset.  Every writer that
 * prints "all fields" (JSON, CSV, key=value) walks this one table, so a field added to
 * struct msl_event is added here once and appears everywhere.  Internal.
 */
#ifndef MSL_MODEL_EVENT_FIELDS_H
#define MSL_MODEL_EVENT_FIELDS_H

#include <stddef.h>

#include "mailsleuth/event.h"

enum msl_ftype {
    MSL_FT_STR,      /* struct msl_str */
    MSL_FT_I64,      /* int64_t, -1 = absent */
    MSL_FT_I32,      /* int32_t, -1 = absent */
    MSL_FT_DBL,      /* double, < 0 = absent */
    MSL_FT_DELAYS,   /* double[4] */
    MSL_FT_STATUS,   /* enum msl_status, 0 = absent */
    MSL_FT_ACTION,   /* enum msl_action, 0 = absent */
    MSL_FT_SEVERITY, /* enum msl_severity, shown for WARNING/ERROR only */
    MSL_FT_TIME      /* int64_t UTC us, 0 = absent */
};

struct msl_field {
    const char *name;
    enum msl_ftype type;
    size_t off;
};

/* Message-level fields (not the envelope: ts, host, program, pid come first elsewhere). */
extern const struct msl_field msl_event_fields[];
extern const size_t msl_event_nfields;

/* Returns the field by name, or NULL. */
const struct msl_field *msl_event_field(const char *name, size_t n);

/* 1 when the field holds a value in e. */
int msl_field_present(const struct msl_event *e, const struct msl_field *f);

#endif
