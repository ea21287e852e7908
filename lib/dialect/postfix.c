/*
 * postfix.c - the Postfix dialect: program-tag claims, the per-line dispatcher, and the small
 * daemons (qmgr, cleanup, pickup, bounce, postsuper, master, anvil, scache, dnsblog, verify,
 * postfix-script).  smtpd/postscreen live in postfix_smtpd.c, smtp and deliveries in
 * postfix_smtp.c, shared scanners in postfix_scan.c, queue ids in postfix_qid.c.
 *
 * Tags: "postfix/smtpd", "postfix-in/smtpd", "postfix/submission/smtpd",
 * "postfix-in/amavis-reinject/smtpd", "postfix-script", "postfix"; also any
 * "<syslog_name>/.../<daemon>" whose last component is a Postfix daemon.  .daemon is the last
 * component, .service the middle one(s).
 *
 * Per line: (1) a "warning:/error:/fatal:/panic:" prefix goes to a daemon-specific warning
 * scanner (smtpd SASL, hostname) or the generic WARNING/ERROR event; (2) a leading
 * "QID: " (validated strictly) or "NOQUEUE: " is taken; (3) the daemon's handler switches on
 * the first byte.  Null sender: from.p != NULL and from.n == 0 (a view of "<>"'s inside);
 * an absent field has p == NULL.
 */
#include "postfix_int.h"

enum pf_daemon {
    D_OTHER = 0, D_SMTPD, D_SMTP, D_LMTP, D_LOCAL, D_VIRTUAL, D_PIPE, D_ERROR, D_RETRY,
    D_DISCARD, D_QMGR, D_CLEANUP, D_PICKUP, D_BOUNCE, D_POSTSUPER, D_POSTSCREEN, D_TLSPROXY,
    D_DNSBLOG, D_ANVIL, D_SCACHE, D_MASTER, D_VERIFY, D_REWRITE, D_TLSMGR, D_SENDMAIL,
    D_POSTDROP, D_POSTMAP, D_SCRIPT, D_POSTQUEUE, D_POSTLOG, D_PROXYMAP, D_FLUSH, D_SHOWQ,
    D_SPAWN, D_OQMGR, D_POSTFIX, D_POSTALIAS, D_POSTCONF, D_RELAY, D__COUNT
};

static const struct pf_dinfo {
    const char *name;
    size_t n;
    enum pf_daemon d;
    const char *why; /* stable counter key for lines we do not understand */
} dtab[] = {
#define E(s, d) {s, sizeof(s) - 1, d, "postfix/" s ": unrecognised message"}
    E("smtpd", D_SMTPD), E("smtp", D_SMTP), E("lmtp", D_LMTP), E("local", D_LOCAL),
    E("virtual", D_VIRTUAL), E("pipe", D_PIPE), E("error", D_ERROR), E("retry", D_RETRY),
    E("discard", D_DISCARD), E("qmgr", D_QMGR), E("cleanup", D_CLEANUP),
    E("pickup", D_PICKUP), E("bounce", D_BOUNCE), E("defer", D_BOUNCE), E("trace", D_BOUNCE),
    E("postsuper", D_POSTSUPER), E("postscreen", D_POSTSCREEN), E("tlsproxy", D_TLSPROXY),
    E("dnsblog", D_DNSBLOG), E("anvil", D_ANVIL), E("scache", D_SCACHE),
    E("master", D_MASTER), E("verify", D_VERIFY), E("trivial-rewrite", D_REWRITE),
    E("tlsmgr", D_TLSMGR), E("sendmail", D_SENDMAIL), E("postdrop", D_POSTDROP),
    E("postmap", D_POSTMAP), E("postfix-script", D_SCRIPT), E("postqueue", D_POSTQUEUE),
    E("postlog", D_POSTLOG), E("proxymap", D_PROXYMAP), E("flush", D_FLUSH),
    E("showq", D_SHOWQ), E("spawn", D_SPAWN), E("oqmgr", D_OQMGR), E("nqmgr", D_QMGR),
    E("postfix", D_POSTFIX), E("postalias", D_POSTALIAS), E("postconf", D_POSTCONF),
    E("relay", D_RELAY), E("postlogd", D_POSTLOG), E("qmqpd", D_SMTPD),
#undef E
};

static const struct pf_dinfo *daemon_info(struct msl_str d)
{
    for (size_t i = 0; i < sizeof dtab / sizeof dtab[0]; i++)
        if (dtab[i].n == d.n && memcmp(dtab[i].name, d.p, d.n) == 0)
            return &dtab[i];
    return NULL;
}

/* Splits the tag into first component, middle (service) and last (daemon). */
static void split_tag(struct msl_str prog, struct msl_str *first, struct msl_str *service,
                      struct msl_str *daemon)
{
    const char *p = prog.p, *end = p + prog.n;
    const char *s1 = prog.n ? memchr(p, '/', prog.n) : NULL;
    if (!s1) {
        *first = prog;
        *service = MSL_STR_NULL;
        *daemon = prog; /* "postfix-script", "postfix" */
        return;
    }
    const char *s2 = end;
    while (s2 > s1 && s2[-1] != '/')
        s2--;
    *first = scan_sv(p, s1);
    *daemon = scan_sv(s2, end);
    *service = s2 - 1 > s1 ? scan_sv(s1 + 1, s2 - 1) : MSL_STR_NULL;
}

static int postfix_claims(struct msl_str prog)
{
    if (!prog.p || prog.n < 4)
        return 0;
    struct msl_str first, service, daemon;
    split_tag(prog, &first, &service, &daemon);
    /* programs spawn(8) runs under Postfix's tag log their own lines: the SPF policy
     * daemon ("postfix/policy-spf") is read by the policyd-spf dialect */
    if ((daemon.n == 10 && memcmp(daemon.p, "policy-spf", 10) == 0) ||
        (daemon.n == 11 && memcmp(daemon.p, "policyd-spf", 11) == 0))
        return 0;
    if (first.n >= 7 && memcmp(first.p, "postfix", 7) == 0)
        return 1; /* postfix, postfix-in/..., postfix-script */
    /* Dovecot's "dovecot/lmtp" would look like a custom syslog_name with daemon lmtp */
    if (first.n == 7 && memcmp(first.p, "dovecot", 7) == 0)
        return 0;
    /* custom syslog_name: "mailout/smtp", "smo/submission/smtpd" */
    return first.n < prog.n && daemon.n > 0 && daemon_info(daemon) != NULL;
}

/* "warning: " / "error: " / "fatal: " / "panic: " */
static int severity_prefix(const char **pp, const char *end, enum msl_severity *sev)
{
    const char *p = *pp;
    if (p + 6 > end)
        return 0;
    switch (*p) {
    case 'w':
        if (!SCAN_LIT(&p, end, "warning: "))
            return 0;
        *sev = MSL_SEV_WARNING;
        break;
    case 'e':
        if (!SCAN_LIT(&p, end, "error: "))
            return 0;
        *sev = MSL_SEV_ERROR;
        break;
    case 'f':
        if (!SCAN_LIT(&p, end, "fatal: "))
            return 0;
        *sev = MSL_SEV_FATAL;
        break;
    case 'p':
        if (!SCAN_LIT(&p, end, "panic: "))
            return 0;
        *sev = MSL_SEV_PANIC;
        break;
    default:
        return 0;
    }
    *pp = p;
    return 1;
}

/* "QID: " with a strictly valid id, or "NOQUEUE: ".  Returns 1 taken, 0 none, -1 for an
 * id-shaped token that is not a Postfix id (fabricated or corrupted logs). */
static int take_qid(const char **pp, const char *end, struct msl_event *e)
{
    const char *p = *pp, *q = p;
    while (q < end && q - p <= 40 && ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                                      (*q >= 'a' && *q <= 'z')))
        q++;
    if (q + 1 >= end || q[0] != ':' || q[1] != ' ')
        return 0;
    if (q - p == 7 && memcmp(p, "NOQUEUE", 7) == 0) {
        e->flags |= MSL_EVF_NOQUEUE;
    } else {
        int64_t t = 0;
        int k = msl_postfix_qid(p, (size_t)(q - p), &t);
        if (!k) /* upper-case+digit tokens look like ids; words ("Deleted") do not */
            return q - p >= 5 && scan_isdigit(q[-1]) ? -1 : 0;
        e->qid = scan_sv(p, q);
        if (k == 2)
            e->qid_time = t;
    }
    *pp = q + 2;
    return 1;
}

static int generic_severity(const char *p, const char *end, enum msl_severity sev,
                            struct msl_event *e)
{
    e->kind = sev == MSL_SEV_WARNING ? MSL_EV_WARNING : MSL_EV_ERROR;
    e->severity = sev;
    if (!e->qid.p && take_qid(&p, end, e) < 0) /* "warning: QID: ... map lookup problem" */
        e->qid = MSL_STR_NULL;
    e->text = scan_sv(p, end);
    return 1;
}

static int qmgr(const char *p, const char *end, struct msl_event *e)
{
    if (SCAN_STARTS(p, end, "from=")) {
        if (pf_kv(p, end, e) <= 0)
            return 0;
        e->kind = e->status != MSL_ST_NONE ? MSL_EV_DELIVERY : MSL_EV_SENDER;
        return 1;
    }
    if (end - p == 7 && memcmp(p, "removed", 7) == 0) {
        e->kind = MSL_EV_QUEUE_REMOVED;
        e->text = scan_sv(p, end);
        return 1;
    }
    if (SCAN_STARTS(p, end, "skipped, ")) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    return 0;
}

static int cleanup(const char *p, const char *end, struct msl_event *e)
{
    if (SCAN_LIT(&p, end, "message-id=")) {
        e->kind = MSL_EV_MESSAGE_ID;
        const char *q = end;
        while (q > p && (q[-1] == ' ' || q[-1] == '\r' || q[-1] == '\n'))
            q--;
        if (p < q && *p == '<' && q[-1] == '>')
            e->msgid = scan_sv(p + 1, q - 1);
        else
            e->msgid = scan_sv(p, q); /* unbracketed or MIME-encoded ids, kept verbatim */
        return 1;
    }
    if (SCAN_LIT(&p, end, "resent-message-id=")) {
        e->kind = MSL_EV_INFO;
        e->text = scan_sv(p, end);
        return 1;
    }
    return pf_action_line(p, end, e);
}

static int bounce(const char *p, const char *end, struct msl_event *e)
{
    /* "sender non-delivery notification: QID", "postmaster delay notification: QID" */
    const char *n = SCAN_FIND(p, end, " notification: ");
    if (!n)
        return 0;
    const char *sp = memchr(p, ' ', (size_t)(n - p));
    if (!sp)
        return 0;
    const char *id = n + 15;
    if (!msl_postfix_qid(id, (size_t)(end - id), NULL))
        return 0;
    e->kind = MSL_EV_DSN_CREATED;
    e->text = scan_sv(p, n + 13);
    e->detail = scan_sv(sp + 1, n); /* non-delivery, delay, delivery status, success */
    e->new_qid = scan_sv(id, end);
    return 1;
}

static int postsuper(const char *p, const char *end, struct msl_event *e)
{
    e->kind = MSL_EV_QUEUE_ADMIN;
    if (e->qid.p) { /* "placed on hold", "released from hold", "requeued", "removed" */
        if (p >= end)
            return 0;
        e->detail = scan_sv(p, end);
        return 1;
    }
    /* "Deleted: 115 messages" */
    const char *c = memchr(p, ':', (size_t)(end - p));
    if (!c || c == p || c + 2 >= end || c[1] != ' ')
        return 0;
    const char *q = c + 2;
    if (!scan_uint(&q, end, &e->count))
        return 0;
    e->detail = scan_sv(p, c);
    return 1;
}

static int master(const char *p, const char *end, struct msl_event *e)
{
    e->kind = MSL_EV_DAEMON;
    const char *d = SCAN_FIND(p, end, " -- ");
    if (d) { /* "daemon started -- version 3.7.1, configuration /etc/postfix" */
        e->detail = scan_sv(p, d);
        e->text = scan_sv(d + 4, end);
        return 1;
    }
    const char *s = p;
    if (SCAN_LIT(&p, end, "terminating on signal ")) {
        e->detail = scan_sv(s, s + 11); /* "terminating" */
        e->text = scan_sv(s, end);
        return scan_uint(&p, end, &e->count);
    }
    if (p < end) {
        e->text = scan_sv(p, end);
        return 1;
    }
    return 0;
}

/* anvil: "statistics: max connection rate 1/60s for (smtpd:1.2.3.4) at Oct 26 18:13:50" */
static int anvil(const char *p, const char *end, struct msl_event *e)
{
    if (!SCAN_LIT(&p, end, "statistics: "))
        return 0;
    e->kind = MSL_EV_STATS;
    e->text = scan_sv(p, end);
    const char *m = p;
    while (p < end && !scan_isdigit(*p))
        p++;
    if (p == m || p >= end)
        return 0;
    e->detail = scan_sv(m, p - 1); /* "max connection rate", "max cache size" */
    scan_uint(&p, end, &e->count);
    const char *o = SCAN_FIND(p, end, " for (");
    if (o) {
        const char *id = o + 6, *ce = memchr(id, ')', (size_t)(end - id));
        if (ce) {
            /* ident is "service:addr"; an inet service is itself "host:port" */
            const char *c = memchr(id, ':', (size_t)(ce - id));
            if (c && memchr(id, '.', (size_t)(c - id))) {
                const char *c2 = memchr(c + 1, ':', (size_t)(ce - c - 1));
                c = c2;
            }
            if (c) {
                e->service = scan_sv(id, c);
                e->client_ip = scan_sv(c + 1, ce);
            }
        }
    }
    return 1;
}

/* scache: "statistics: domain lookup hits=0 miss=1 success=0%" and friends */
static int scache(const char *p, const char *end, struct msl_event *e)
{
    if (!SCAN_LIT(&p, end, "statistics: "))
        return 0;
    e->kind = MSL_EV_STATS;
    const char *k = p;
    while (p < end && *p != '=' && !scan_isdigit(*p))
        p++;
    while (p > k && p[-1] != ' ' && p < end && *p == '=') /* back off "hits" in "... hits=" */
        p--;
    e->detail = scan_sv(k, p > k && p[-1] == ' ' ? p - 1 : p);
    e->text = scan_sv(k, end);
    return 1;
}

/* dnsblog: "addr 1.2.3.4 listed by domain zen.spamhaus.org as 127.0.0.2" */
static int dnsblog(const char *p, const char *end, struct msl_event *e)
{
    if (!SCAN_LIT(&p, end, "addr "))
        return 0;
    const char *a = p;
    p = scan_span_until(p, end, " ");
    e->client_ip = scan_sv(a, p);
    if (!SCAN_LIT(&p, end, " listed by domain "))
        return 0;
    const char *d = p;
    p = scan_span_until(p, end, " ");
    e->kind = MSL_EV_POLICY;
    e->detail = scan_sv(d, p);
    if (SCAN_LIT(&p, end, " as "))
        e->text = scan_sv(p, end);
    return 1;
}

/* A delivery agent that hands the message to a mailbox, file or program on this host;
 * LMTP only when it talks to this host: over a UNIX socket (relay=h[/var/run/dovecot/lmtp],
 * relay=private/dovecot-lmtp) or loopback. */
static void mark_local(enum pf_daemon d, struct msl_event *e)
{
    int local = d == D_LOCAL || d == D_VIRTUAL || d == D_PIPE;
    struct msl_str ip = e->relay_ip;
    if (d == D_LMTP)
        local = !ip.n || memchr(ip.p, '/', ip.n) ||
                (ip.n >= 4 && memcmp(ip.p, "127.", 4) == 0) ||
                (ip.n == 3 && memcmp(ip.p, "::1", 3) == 0);
    if (local)
        e->flags |= MSL_EVF_LOCAL;
}

static int handle(enum pf_daemon d, const char *p, const char *end, struct msl_event *e)
{
    /* delivery lines look the same from every agent (and from qmgr/bounce on expiry) */
    if (p < end && *p == 't' && SCAN_STARTS(p, end, "to=")) {
        int r = pf_smtp(p, end, e);
        if (r > 0 && e->kind == MSL_EV_DELIVERY)
            mark_local(d, e);
        return r;
    }
    switch (d) {
    case D_SMTPD:
        return pf_smtpd(p, end, e);
    case D_SMTP:
    case D_LMTP:
    case D_RELAY:
        return pf_smtp(p, end, e);
    case D_POSTSCREEN:
    case D_TLSPROXY:
        return pf_postscreen(p, end, e);
    case D_QMGR:
    case D_OQMGR:
        return qmgr(p, end, e);
    case D_CLEANUP:
        return cleanup(p, end, e);
    case D_PICKUP:
        if (pf_kv(p, end, e) <= 0)
            return 0;
        e->kind = MSL_EV_RECEIVED;
        return 1;
    case D_BOUNCE:
        return bounce(p, end, e);
    case D_POSTSUPER:
        return postsuper(p, end, e);
    case D_MASTER:
        return master(p, end, e);
    case D_ANVIL:
        return anvil(p, end, e);
    case D_SCACHE:
        return scache(p, end, e);
    case D_DNSBLOG:
        return dnsblog(p, end, e);
    case D_VERIFY:
        return pf_cache_cleanup(p, end, e);
    case D_SCRIPT:
    case D_POSTFIX:
        if (p >= end) /* "starting the Postfix mail system", "stopping ..." */
            return 0;
        e->kind = MSL_EV_DAEMON;
        e->text = scan_sv(p, end);
        return 1;
    default:
        return 0;
    }
}

static int postfix_parse(const struct msl_envelope *env, struct msl_event *e, const char **why)
{
    struct msl_str first, service, dname;
    split_tag(env->program, &first, &service, &dname);
    e->mta = MSL_STR_LIT("postfix");
    e->daemon = dname;
    e->service = service;
    const struct pf_dinfo *di = daemon_info(dname);
    enum pf_daemon d = di ? di->d : D_OTHER;

    const char *p = env->msg.p, *end = p + env->msg.n;
    if (!p)
        p = end = "";
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;

    enum msl_severity sev;
    if (severity_prefix(&p, end, &sev)) {
        if (d == D_SMTPD && sev == MSL_SEV_WARNING && pf_smtpd_warning(p, end, e)) {
            if (e->kind == MSL_EV_NONE)
                e->kind = MSL_EV_WARNING;
            e->severity = sev;
            return 1;
        }
        return generic_severity(p, end, sev, e);
    }
    int had_qid = take_qid(&p, end, e);
    if (had_qid < 0) {
        *why = "postfix: malformed queue id";
        return 0;
    }
    if (had_qid && d == D_CLEANUP && (SCAN_STARTS(p, end, "warning: header ") ||
                                      SCAN_STARTS(p, end, "warning: body ") ||
                                      SCAN_STARTS(p, end, "info: "))) {
        if (cleanup(p, end, e))
            return 1;
    }
    if (had_qid && severity_prefix(&p, end, &sev))
        return generic_severity(p, end, sev, e);
    if (handle(d, p, end, e))
        return 1;
    e->kind = MSL_EV_NONE;
    *why = di ? di->why : "postfix: unrecognised message";
    return 0;
}

const struct msl_dialect msl_dialect_postfix = {
    .name = "postfix",
    .mta = "postfix",
    .caps = MSL_MTA_LIFECYCLE,
    .claims = postfix_claims,
    .parse = postfix_parse,
};
