/*
 * opendmarc.c - the OpenDMARC milter dialect (tag "opendmarc").
 *
 * Lines are "<jobid>: <message>", jobid = the MTA's queue id (milter macro `i`).
 *   "<from-domain> pass|fail|none|bestguesspass"  POLICY detail "dmarc=<result>"
 *   "SPF(mailfrom|helo): <domain> <result>"        POLICY detail "spf=<result>" (the
 *                                                   milter's own SPF check)
 *   "ignoring Authentication-Results at N from <host>", "RFC5322 requirement error: ...",
 *   "opendmarc_policy_query_dmarc(<dom>) returned status N" and other jobid lines: INFO.
 * Lines without a jobid ("OpenDMARC Filter v1.4.2 starting (args: ...)") are DAEMON.
 * text is the message after the jobid; every view points into the message.
 */
#include "dialect/scan.h"

static int dm_claims(struct msl_str prog)
{
    return prog.n == 9 && memcmp(prog.p, "opendmarc", 9) == 0;
}

/* A result word -> "dmarc=pass" ...; NULL when it is not a DMARC/SPF result. */
static const char *dm_result(struct msl_str w, int spf)
{
    static const char *const res[] = {"pass", "fail", "none", "bestguesspass", "softfail",
                                      "neutral", "temperror", "permerror", "policy"};
    static const char *const dmarc[] = {"dmarc=pass", "dmarc=fail", "dmarc=none",
                                        "dmarc=bestguesspass", "dmarc=softfail",
                                        "dmarc=neutral", "dmarc=temperror", "dmarc=permerror",
                                        "dmarc=policy"};
    static const char *const spfv[] = {"spf=pass", "spf=fail", "spf=none", "spf=pass",
                                       "spf=softfail", "spf=neutral", "spf=temperror",
                                       "spf=permerror", "spf=policy"};
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++)
        if (strlen(res[i]) == w.n && memcmp(res[i], w.p, w.n) == 0)
            return spf ? spfv[i] : dmarc[i];
    return NULL;
}

static int dm_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    e->mta = MSL_STR_LIT("opendmarc");
    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    if (SCAN_STARTS(p, end, "OpenDMARC ")) {
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        return 1;
    }
    /* 1.3.x: "QID ignoring Authentication-Results at N from host" (no colon) */
    if (!scan_milter_jobid(&p, end, e, " ignoring ") || p >= end) {
        *why = "opendmarc: unrecognised message";
        return 0;
    }
    e->text = scan_sv(p, end);
    int spf = SCAN_LIT(&p, end, "SPF(mailfrom): ") || SCAN_LIT(&p, end, "SPF(helo): ");
    /* "<domain> <result>": exactly two tokens */
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (sp && sp > p && !memchr(sp + 1, ' ', (size_t)(end - sp - 1))) {
        const char *d = dm_result(scan_sv(sp + 1, end), spf);
        if (d) {
            e->kind = MSL_EV_POLICY;
            e->detail = (struct msl_str){d, strlen(d)};
            return 1;
        }
    }
    e->kind = MSL_EV_INFO;
    return 1;
}

const struct msl_dialect msl_dialect_opendmarc = {
    .name = "opendmarc",
    .mta = "opendmarc",
    .claims = dm_claims,
    .parse = dm_parse,
};
