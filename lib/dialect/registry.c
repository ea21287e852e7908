/*
 * registry.c - the table of dialects.  Adding an MTA is one file plus one line here; the
 * order is the claim priority for msl_dialect_for_program().
 */
#include <string.h>

#include "mailsleuth/dialect.h"
#include "mailsleuth/format.h"

static const struct msl_dialect *const dialects[] = {
    &msl_dialect_postfix,
    &msl_dialect_exim,
    &msl_dialect_opensmtpd,
    &msl_dialect_qmail,
    &msl_dialect_dovecot,
    &msl_dialect_courier, /* after dovecot: bare imap/pop3 tags with dovecot args stay its */
    &msl_dialect_opendkim,
    &msl_dialect_opendmarc,
    &msl_dialect_policyd_spf,
    &msl_dialect_rspamd,
    &msl_dialect_amavis,
    &msl_dialect_spamd,
    &msl_dialect_sendmail,
    NULL,
};

const struct msl_dialect *const *msl_dialects(void)
{
    return dialects;
}

const struct msl_dialect *msl_dialect_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; dialects[i]; i++)
        if (strcmp(dialects[i]->name, name) == 0)
            return dialects[i];
    return NULL;
}

const struct msl_dialect *msl_dialect_for_program(struct msl_str program)
{
    for (size_t i = 0; dialects[i]; i++)
        if (dialects[i]->claims(program))
            return dialects[i];
    return NULL;
}

/* File formats; the first is the fallback when no format recognises a source. */
static const struct msl_format *const formats[] = {
    &msl_format_syslog,
    &msl_format_exim,
    &msl_format_qmail_multilog,
    &msl_format_exchange_msgtrk,
    &msl_format_exchange_smtp,
    &msl_format_m365_trace,
    NULL,
};

uint32_t msl_mta_caps_by_name(struct msl_str mta)
{
    if (!mta.p || !mta.n)
        return 0;
    for (size_t i = 0; dialects[i]; i++)
        if (strlen(dialects[i]->mta) == mta.n && !memcmp(dialects[i]->mta, mta.p, mta.n))
            return dialects[i]->caps;
    for (size_t i = 0; formats[i]; i++)
        if (formats[i]->mta && strlen(formats[i]->mta) == mta.n &&
            !memcmp(formats[i]->mta, mta.p, mta.n))
            return formats[i]->caps;
    return 0;
}

const struct msl_format *const *msl_formats(void)
{
    return formats;
}

const struct msl_format *msl_format_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; formats[i]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}
