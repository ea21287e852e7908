/*
 * fuzz_site.c - libFuzzer target for the site-context parsers (lib/site): the first byte
 * picks the parser (Postfix main.cf / master.cf, Exim, Exim debconf, Sendmail lists and
 * access, OpenSMTPD, site file), the rest is the file's text.  Invariants: no crash, every
 * entry describes itself within the buffer, the table never exceeds its cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"postfix-main", "postfix-master", "exim",
                                        "exim-debconf", "sendmail-lhn", "sendmail-relay",
                                        "sendmail-access", "opensmtpd", "courier-smtpaccess",
                                        "courier-locals", "courier-hosted", "courier-accept",
                                        "site"};
    if (size < 1)
        return 0;
    struct msl_site *s = msl_site_new();
    if (!s)
        return 0;
    char err[512];
    const char *kind = kinds[data[0] % (sizeof kinds / sizeof kinds[0])];
    msl_site_parse_text(s, kind, (const char *)data + 1, size - 1, "fuzz", err, sizeof err);
    size_t n;
    const struct msl_site_entry *e = msl_site_entries(s, &n);
    if (n > MSL_SITE_MAX_ENTRIES)
        abort();
    for (size_t i = 0; i < n; i++) {
        char d[256];
        msl_site_describe(&e[i], d, sizeof d);
        if (strlen(d) >= sizeof d || !e[i].value[0])
            abort();
        (void)msl_site_trusted(s, e[i].value, 0);
        (void)msl_site_relay_allowed(s, e[i].value, e[i].value, 25);
    }
    msl_site_free(s);
    return 0;
}
