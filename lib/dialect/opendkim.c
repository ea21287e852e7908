/*
 * opendkim.c - the OpenDKIM milter dialect (tag "opendkim").
 *
 * Lines are "<jobid>: <message>" where jobid is the MTA's queue id from the milter macro
 * `i` ("(unknown-jobid)" or "NOQUEUE" when the MTA gave none); a few daemon lines have no
 * jobid ("OpenDKIM Filter v2.11.0 starting (args: ...)").  Verdicts become POLICY events
 * with a stable detail (doc/EVENT-MODEL.md, "POLICY verdict vocabulary"):
 *   "DKIM verification successful"                      dkim=pass
 *   "s=<sel> d=<dom> SSL <error>", "bad signature data"  dkim=fail
 *   "no signature data"                                  dkim=none
 *   "<field> field added (s=.., d=..)"                   dkim=signed
 *   "key retrieval failed (s=.., d=..)[: reason]"        dkim=permerror (record not
 *                                                        found) or dkim=temperror
 * Other per-message notices ("not authenticated", "<host> [<ip>] not internal", "no signing
 * domain match for '...'", "can't determine message sender; accepting") are INFO; text is
 * the message after the jobid.  Every view points into the message.
 */
#include "dialect/scan.h"

static int dk_claims(struct msl_str prog)
{
    return prog.n == 8 && memcmp(prog.p, "opendkim", 8) == 0;
}


static int dk_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("opendkim");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (SCAN_STARTS(p, end, "OpenDKIM Filter") || SCAN_STARTS(p, end, "OpenDKIM ")) {
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (!scan_milter_jobid(&p, end, e, NULL)) {
        *why = "opendkim: unrecognised message";
        return 0;
    }
    e->text = scan_sv(p, end);
    e->kind = MSL_EV_POLICY;
    if (SCAN_STARTS(p, end, "DKIM verification successful")) {
        e->detail = MSL_STR_LIT("dkim=pass");
    } else if (SCAN_STARTS(p, end, "bad signature data") ||
               (SCAN_STARTS(p, end, "s=") && SCAN_FIND(p, end, " SSL"))) {
        e->detail = MSL_STR_LIT("dkim=fail");
    } else if (SCAN_STARTS(p, end, "no signature data")) {
        e->detail = MSL_STR_LIT("dkim=none");
    } else if (SCAN_FIND(p, end, " field added (s=")) {
        e->detail = MSL_STR_LIT("dkim=signed");
    } else if (SCAN_STARTS(p, end, "key retrieval failed")) {
        e->detail = SCAN_FIND(p, end, "record not found") ? MSL_STR_LIT("dkim=permerror")
                                                         : MSL_STR_LIT("dkim=temperror");
    } else {
        e->kind = MSL_EV_INFO;
        /* "<host> [<ip>] not internal" */
        const char *ni = SCAN_FIND(p, end, "] not internal");
        const char *ob = ni ? SCAN_RFIND(p, ni, " [") : NULL;
        if (ob) {
            e->client_host = scan_sv(p, ob);
            e->client_ip = scan_sv(ob + 2, ni);
        }
        if (p >= end) {
            *why = "opendkim: unrecognised message";
            return 0;
        }
    }
    return 1;
}

const struct msl_dialect msl_dialect_opendkim = {
    .name = "opendkim",
    .mta = "opendkim",
    .claims = dk_claims,
    .parse = dk_parse,
};
