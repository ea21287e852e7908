/*
 * event.c - names of the event model's enums, both ways, and event reset.
 * The names are part of the output contract (JSON, CSV, golden files): never rename one.
 */
#include <string.h>

#include "mailsleuth/event.h"

static const char *const kind_names[MSL_EV__COUNT] = {
    [MSL_EV_NONE] = "NONE",
    [MSL_EV_CONNECT] = "CONNECT",
    [MSL_EV_DISCONNECT] = "DISCONNECT",
    [MSL_EV_TLS] = "TLS",
    [MSL_EV_AUTH_OK] = "AUTH_OK",
    [MSL_EV_AUTH_FAIL] = "AUTH_FAIL",
    [MSL_EV_REJECT] = "REJECT",
    [MSL_EV_RECEIVED] = "RECEIVED",
    [MSL_EV_SENDER] = "SENDER",
    [MSL_EV_MESSAGE_ID] = "MESSAGE_ID",
    [MSL_EV_DELIVERY] = "DELIVERY",
    [MSL_EV_DSN_CREATED] = "DSN_CREATED",
    [MSL_EV_QUEUE_REMOVED] = "QUEUE_REMOVED",
    [MSL_EV_QUEUE_ADMIN] = "QUEUE_ADMIN",
    [MSL_EV_POLICY] = "POLICY",
    [MSL_EV_CONN_FAIL] = "CONN_FAIL",
    [MSL_EV_WARNING] = "WARNING",
    [MSL_EV_ERROR] = "ERROR",
    [MSL_EV_STATS] = "STATS",
    [MSL_EV_DAEMON] = "DAEMON",
    [MSL_EV_INFO] = "INFO",
};

static const char *const status_names[MSL_ST__COUNT] = {
    [MSL_ST_NONE] = "",
    [MSL_ST_SENT] = "sent",
    [MSL_ST_DEFERRED] = "deferred",
    [MSL_ST_BOUNCED] = "bounced",
    [MSL_ST_EXPIRED] = "expired",
    [MSL_ST_DISCARDED] = "discarded",
    [MSL_ST_HELD] = "held",
    [MSL_ST_FORWARDED] = "forwarded",
    [MSL_ST_UNDELIVERABLE] = "undeliverable",
    [MSL_ST_DELIVERABLE] = "deliverable",
    [MSL_ST_OTHER] = "other",
};

static const char *const action_names[MSL_ACT__COUNT] = {
    [MSL_ACT_NONE] = "",
    [MSL_ACT_REJECT] = "reject",
    [MSL_ACT_REJECT_WARNING] = "reject_warning",
    [MSL_ACT_HOLD] = "hold",
    [MSL_ACT_DISCARD] = "discard",
    [MSL_ACT_MILTER_REJECT] = "milter-reject",
    [MSL_ACT_PROXY_REJECT] = "proxy-reject",
    [MSL_ACT_FILTER] = "filter",
    [MSL_ACT_REDIRECT] = "redirect",
    [MSL_ACT_PREPEND] = "prepend",
    [MSL_ACT_INFO] = "info",
};

static const char *const severity_names[MSL_SEV__COUNT] = {
    [MSL_SEV_INFO] = "info",
    [MSL_SEV_WARNING] = "warning",
    [MSL_SEV_ERROR] = "error",
    [MSL_SEV_FATAL] = "fatal",
    [MSL_SEV_PANIC] = "panic",
};

void msl_event_clear(struct msl_event *e)
{
    memset(e, 0, sizeof *e);
    e->repeat = 1;
    e->pid = -1;
    e->size = -1;
    e->nrcpt = -1;
    e->client_port = -1;
    e->relay_port = -1;
    e->delay = -1;
    for (int i = 0; i < 4; i++)
        e->delays[i] = -1;
    e->count = -1;
}

const char *msl_kind_name(enum msl_kind k)
{
    return (unsigned)k < MSL_EV__COUNT ? kind_names[k] : "?";
}

const char *msl_status_name(enum msl_status s)
{
    return (unsigned)s < MSL_ST__COUNT ? status_names[s] : "?";
}

const char *msl_action_name(enum msl_action a)
{
    return (unsigned)a < MSL_ACT__COUNT ? action_names[a] : "?";
}

const char *msl_severity_name(enum msl_severity s)
{
    return (unsigned)s < MSL_SEV__COUNT ? severity_names[s] : "?";
}

static int lookup(const char *const *tab, int count, const char *s, size_t n)
{
    for (int i = 0; i < count; i++)
        if (tab[i] && strlen(tab[i]) == n && memcmp(tab[i], s, n) == 0)
            return i;
    return -1;
}

int msl_kind_from_name(const char *s, size_t n)
{
    return lookup(kind_names, MSL_EV__COUNT, s, n);
}

int msl_status_from_name(const char *s, size_t n)
{
    return lookup(status_names, MSL_ST__COUNT, s, n);
}

int msl_status_is_final(enum msl_status s)
{
    return s == MSL_ST_SENT || s == MSL_ST_BOUNCED || s == MSL_ST_EXPIRED ||
           s == MSL_ST_DISCARDED || s == MSL_ST_FORWARDED;
}

size_t msl_rcpt_count(struct msl_str to)
{
    if (!to.p || to.n == 0)
        return 0;
    size_t n = 1;
    for (size_t i = 0; i < to.n; i++)
        n += to.p[i] == ',';
    return n;
}
