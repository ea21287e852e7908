/*
 * sender_login_mismatch.c - rule sender-login-mismatch (formerly sender-auth-mismatch; the
 * old name is still accepted in rules files): mail whose envelope sender is not owned by
 * the authenticated user.  A stolen password is used to send as someone else (the boss,
 * accounting), or a shared account hides who sent what.  Two kinds of evidence:
 *  - rejected: the MTA itself refused the sender for the login.  Postfix
 *    reject_sender_login_mismatch / reject_authenticated_sender_login_mismatch
 *    ("Sender address rejected: not owned by user U", or "... not logged in" for a
 *    sender in smtpd_sender_login_maps used without AUTH); OpenSMTPD `listen ... auth
 *    senders <table>` ("530 Sender rejected", smtp_session.c, LKA_PERMFAIL).  Exim and
 *    Sendmail have no built-in check: an ACL or milter logs its own wording, which the
 *    rule cannot know.
 *  - accepted: a message whose sender differs from its SASL login (below).
 *
 * A message matches its login when the sender equals the SASL user (ASCII case-insensitive),
 * or, for a login without '@', when the sender's local part equals it; a "+tag" address
 * extension (alice+news@) is ignored on both sides.  The null sender is never a mismatch.
 * Streams finished messages (Postfix: the SASL user comes from the client= line, the sender
 * from qmgr's from=); content-filter re-injections and bounces are skipped.  State: per host
 * + user one record (counts, the first distinct senders, cited lines and related messages at
 * most max_evidence), at most max_keys records; judged at the end.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect_int.h"
#include "mailsleuth/mailsleuth.h"

#define SENDERS 4

static const struct msl_param params[] = {
    {"min_messages", MSL_P_INT, 1, 1, 1000000,
     "messages of one user with a foreign sender that make a finding"},
    {"same_domain", MSL_P_INT, 0, 0, 1,
     "1: an accepted sender in the login's own domain is not a mismatch (shared mailboxes)"},
};

struct acct {
    char *host, *user;
    int rejected; /* the MTA refused these senders for the login */
    int by_ip;    /* refused without a login (Postfix "not logged in"): user is the client */
    uint64_t msgs, rcpts;
    char *senders[SENDERS];
    size_t nsenders;
    uint64_t senders_more;
    struct msl_finding f;
};

struct st {
    const struct msl_detect_env *env;
    struct strmap *accts; /* "host\nuser" -> struct acct */
    uint64_t dropped;
};

/* Length of the part of s before '@' or end, without a "+tag" extension. */
static size_t base_len(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '+')
            return i;
    return n;
}

static int same_address(const char *user, const char *from)
{
    const char *ua = strrchr(user, '@'), *fa = strrchr(from, '@');
    size_t ul = ua ? (size_t)(ua - user) : strlen(user);
    size_t fl = fa ? (size_t)(fa - from) : strlen(from);
    size_t ub = base_len(user, ul), fb = base_len(from, fl);
    if (ub != fb || strncasecmp(user, from, ub) != 0)
        return 0;
    if (!ua)
        return 1; /* a bare login name matches its local part in any domain */
    return fa && !strcasecmp(ua, fa);
}

/* The login's domain (after '@') equals the sender's. */
static int same_domain(const char *user, const char *from)
{
    const char *ua = strrchr(user, '@'), *fa = strrchr(from, '@');
    return ua && fa && !strcasecmp(ua, fa);
}

static void add_sender(struct acct *a, const char *from)
{
    for (size_t i = 0; i < a->nsenders; i++)
        if (!strcasecmp(a->senders[i], from))
            return;
    if (a->nsenders == SENDERS) {
        a->senders_more++;
        return;
    }
    char *d = det_strdup(from);
    if (d)
        a->senders[a->nsenders++] = d;
}

/* The login a rejected sender belongs to: Postfix "not owned by user U" names it; the
 * other refusals key by client address. */
static void on_event(void *p, const struct msl_event *e)
{
    struct st *s = p;
    if (e->kind != MSL_EV_REJECT || !e->text.n)
        return;
    static const char owned[] = "Sender address rejected: not owned by user ";
    int pf_owned = det_contains(e->text, owned);
    int pf_nolog = !pf_owned && det_contains(e->text, "Sender address rejected: not logged in");
    int osmtpd = !pf_owned && !pf_nolog && e->code.n == 3 && !memcmp(e->code.p, "530", 3) &&
                 det_contains(e->text, "Sender rejected");
    if (!pf_owned && !pf_nolog && !osmtpd)
        return;
    char user[300] = "";
    int by_ip = 0; /* no login named: the client is the entity */
    if (pf_owned) {
        const char *t = e->text.p, *end = e->text.p + e->text.n;
        for (; t + sizeof owned - 1 <= end; t++)
            if (!strncasecmp(t, owned, sizeof owned - 1))
                break;
        t += sizeof owned - 1;
        size_t n = 0;
        while (t + n < end && t[n] != ';' && t[n] != ' ' && n < sizeof user - 1)
            n++;
        memcpy(user, t, n);
        user[n] = '\0';
    } else if (e->sasl_user.n) {
        snprintf(user, sizeof user, "%.*s", (int)e->sasl_user.n, e->sasl_user.p);
    } else {
        snprintf(user, sizeof user, "%.*s", (int)e->client_ip.n, e->client_ip.p);
        by_ip = 1;
    }
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%.*s\n%s", by_ip ? "I" : "R", (int)e->host.n,
                     e->host.p, user);
    if (n <= 0 || (size_t)n >= sizeof key)
        return;
    struct acct *a = strmap_find(s->accts, key, (size_t)n);
    if (!a && strmap_len(s->accts) < s->env->max_keys) {
        a = strmap_get(s->accts, key, (size_t)n, NULL);
        if (a) {
            a->host = det_strndup(e->host.p, e->host.n);
            a->user = det_strdup(user);
            a->rejected = 1;
            a->by_ip = by_ip;
        }
    }
    if (!a) {
        s->dropped++;
        return;
    }
    a->msgs++;
    if (e->from.n) {
        char from[300];
        snprintf(from, sizeof from, "%.*s", (int)e->from.n, e->from.p);
        add_sender(a, from);
    }
    det_cite(s->env, &a->f, e->ts, &e->ev, e->raw);
    det_related_session(s->env, &a->f, e);
}

static void on_message(void *p, const struct msl_message *m)
{
    struct st *s = p;
    if (!m->sasl_user || !*m->sasl_user || !m->from || !*m->from || m->reinjected_from ||
        m->bounce_of || same_address(m->sasl_user, m->from) ||
        (s->env->params[1] && same_domain(m->sasl_user, m->from)))
        return;
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\n%s", m->host ? m->host : "", m->sasl_user);
    if (n <= 0 || (size_t)n >= sizeof key)
        return;
    struct acct *a = strmap_find(s->accts, key, (size_t)n);
    if (!a && strmap_len(s->accts) < s->env->max_keys) {
        a = strmap_get(s->accts, key, (size_t)n, NULL);
        if (a) {
            a->host = det_strdup(m->host);
            a->user = det_strdup(m->sasl_user);
        }
    }
    if (!a) {
        s->dropped++;
        return;
    }
    a->msgs++;
    a->rcpts += m->nrcpt > 0 ? (uint64_t)m->nrcpt : 0;
    add_sender(a, m->from);
    det_related_message(s->env, &a->f, m->host, m->qid);
    for (size_t i = 0; i < m->nlines; i++) {
        const struct msl_evline *l = &m->lines[i];
        if (l->kind == MSL_EV_RECEIVED || l->kind == MSL_EV_SENDER) {
            struct msl_str raw = {l->text, l->text ? strlen(l->text) : 0};
            det_cite(s->env, &a->f, l->ts, &l->ev, raw);
        }
    }
}

static void judge(void *ctx, const struct strmap_entry *ent)
{
    struct st *s = ctx;
    struct acct *a = ent->val;
    if (a->msgs < (uint64_t)s->env->params[0])
        return;
    char list[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < a->nsenders && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", a->senders[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    int marked = msl_hunt_user_marked(s->env->hunt, a->user);
    /* with smtpd_sender_login_maps in the configuration the MTA vetted every accepted
     * sender against the login's configured addresses (aliases): stated, at info */
    const struct msl_site_entry *maps = NULL;
    size_t ne;
    const struct msl_site_entry *e = msl_site_entries(s->env->site, &ne);
    for (size_t i = 0; i < ne && !maps; i++)
        if (e[i].kind == MSL_SITE_LOGIN_MAPS)
            maps = &e[i];
    struct msl_finding *f = &a->f;
    f->rule = "sender-login-mismatch";
    if (a->rejected) {
        f->severity = marked && s->env->severity < MSL_FSEV_HIGH ? MSL_FSEV_HIGH
                                                                 : s->env->severity;
        f->entity_type = a->by_ip ? "ip" : "user";
        f->entity = det_strdup(a->user);
        f->host = det_strdup(a->host);
        det_set_count(f, "rejected", (int64_t)a->msgs);
        det_set_count(f, "senders", (int64_t)(a->nsenders + a->senders_more));
        det_title(f, "sender/login mismatch refused: %s%s tried %llu times to send as %s%s",
                  a->by_ip ? "unauthenticated client " : "", a->user, (unsigned long long)a->msgs, a->nsenders ? a->senders[0] : "?",
                  a->nsenders + a->senders_more > 1 ? " and others" : "");
        det_explain(f, "The server %s refused %llu attempt%s of %s%s to use the envelope sender "
                       "%s%s, which the login does not own (the MTA's own sender/login check: "
                       "Postfix reject_sender_login_mismatch, OpenSMTPD auth senders).  The "
                       "check held; the attempt itself shows an account trying to send as "
                       "someone else (a stolen password probing which addresses it may use, "
                       "or a misconfigured client).%s",
                    a->host ? a->host : "?", (unsigned long long)a->msgs,
                    a->msgs == 1 ? "" : "s", a->by_ip ? "the unauthenticated client " : "",
                    a->user, list, a->senders_more ? ", ..." : "",
                    marked ? "  auth-success-after-failures reported this login as likely "
                             "compromised (severity raised to high)."
                           : "");
        msl_hunt_emit(s->env->hunt, f);
        return;
    }
    f->severity = marked && s->env->severity < MSL_FSEV_HIGH ? MSL_FSEV_HIGH : s->env->severity;
    if (maps && !marked)
        f->severity = MSL_FSEV_INFO;
    f->entity_type = "user";
    f->entity = det_strdup(a->user);
    f->host = det_strdup(a->host);
    det_set_count(f, "messages", (int64_t)a->msgs);
    det_set_count(f, "senders", (int64_t)(a->nsenders + a->senders_more));
    det_set_count(f, "recipients", (int64_t)a->rcpts);
    det_title(f, "sender/login mismatch: %s sent %llu messages as %s%s", a->user,
              (unsigned long long)a->msgs, a->nsenders ? a->senders[0] : "?",
              a->nsenders + a->senders_more > 1 ? " and others" : "");
    det_explain(f, "The user %s authenticated on %s and sent %llu message%s with the envelope "
                   "sender %s%s, which is not the login's own address.%s  A stolen password "
                   "is often used to send as a more trusted person (CEO fraud) or to hide the "
                   "sender; legitimate cases are shared mailboxes and aliases.  Enforce "
                   "smtpd_sender_login_maps with reject_sender_login_mismatch, or list the "
                   "addresses this login may use.%s%s%s",
                a->user, a->host ? a->host : "?", (unsigned long long)a->msgs,
                a->msgs == 1 ? "" : "s", list, a->senders_more ? ", ..." : "",
                marked ? "  auth-success-after-failures reported this login as likely "
                         "compromised (severity raised to high)."
                       : "",
                maps ? "  The configuration enforces " : "", maps ? maps->value : "",
                maps ? " (smtpd_sender_login_maps): the MTA accepted these senders as the "
                       "login's configured addresses (aliases), so this is reported at info "
                       "unless the login was reported compromised."
                     : "");
    msl_hunt_emit(s->env->hunt, f);
}

static void free_acct(void *ctx, const struct strmap_entry *ent)
{
    (void)ctx;
    struct acct *a = ent->val;
    free(a->host);
    free(a->user);
    for (size_t i = 0; i < a->nsenders; i++)
        free(a->senders[i]);
    det_finding_clear(&a->f);
}

static void finish(void *p)
{
    struct st *s = p;
    strmap_each(s->accts, judge, s);
    if (s->dropped)
        msl_hunt_note(s->env->hunt, "sender-login-mismatch: more than %zu users; %llu messages "
                      "not judged", s->env->max_keys, (unsigned long long)s->dropped);
}

static void *new_st(const struct msl_detect_env *env)
{
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->env = env;
    s->accts = strmap_new(sizeof(struct acct));
    if (!s->accts) {
        free(s);
        return NULL;
    }
    return s;
}

static void free_st(void *p)
{
    struct st *s = p;
    strmap_each(s->accts, free_acct, NULL);
    strmap_free(s->accts);
    free(s);
}

const struct msl_detector msl_det_sender_login_mismatch = {
    .id = "sender-login-mismatch",
    .severity = MSL_FSEV_MEDIUM,
    .description = "envelope sender not owned by the authenticated user: refused by the MTA "
                   "(reject_sender_login_mismatch) or accepted with a foreign sender",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .new = new_st,
    .on_event = on_event,
    .on_message = on_message,
    .finish = finish,
    .free = free_st,
};
