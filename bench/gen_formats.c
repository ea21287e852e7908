/*
 * bench/gen_formats.c - deterministic generator of realistic logs of the non-Postfix formats
 * (benchmark input for the per-format parsing speed).
 *
 *   gen_formats --format F --bytes N[K|M|G] [--seed S] > FILE
 *   F: sendmail | exim | exchange-msgtrk | opensmtpd | dovecot | qmail-multilog | m365-csv
 *
 * The same arguments always give the same bytes: a seeded xoshiro256** PRNG drives everything
 * and the clock is simulated (2025-02-28 16:00:00 UTC onwards, a few ms to ~60 ms per line);
 * time() is never read.  Output stops at the first line end at or after N bytes.
 *
 * Every format interleaves up to 48 open message (or session) lifecycles: each step picks one
 * at random and writes its next line, so lines of different messages mix as on a busy server.
 * The line shapes are those of $SHARED/corpora/<format>/samples.log (Sendmail 8.15+ from=/to=
 * with strict queue ids carrying their own UTC time, Exim 4.9x mainlog with time-coded ids,
 * Exchange 2016 MSGTRK with its #Fields header, OpenSMTPD 6.4+ key=value lines, Dovecot 2.3
 * login/lmtp/logout lines, qmail-send + tcpserver under multilog TAI64N stamps, Microsoft 365
 * Get-MessageTrace CSV).  Addresses use example.com/.net/.org, IPs the RFC 5737 ranges.
 * Besides deliveries every format has its failures: deferrals and retries, bounces with their
 * DSN, rejects and authentication failures where the software logs them.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG (xoshiro256**) */
static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(void)
{
    uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return r;
}

static uint32_t below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32); }
static int chance(unsigned permille) { return below(1000) < permille; }
static uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }

/* ------------------------------------------------------------------ output */
static char obuf[1 << 20];
static size_t olen;
static uint64_t flushed;

static void oflush(void)
{
    if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
        perror("gen_formats: write");
        exit(1);
    }
    flushed += olen;
    olen = 0;
}

static uint64_t written(void) { return flushed + olen; }

__attribute__((format(printf, 1, 2))) static void pf(const char *fmt, ...)
{
    if (olen > sizeof obuf - 4096)
        oflush();
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(obuf + olen, sizeof obuf - olen, fmt, ap);
    va_end(ap);
    if (n > 0)
        olen += (size_t)n < sizeof obuf - olen ? (size_t)n : sizeof obuf - olen - 1;
}

/* ------------------------------------------------------------------ clock */
static int64_t now_ms = 1740758400LL * 1000; /* 2025-02-28 16:00:00 UTC */
static const char *const MON[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct tmv {
    int y, mo, d, h, mi, s, ms;
};

static struct tmv tm_of(int64_t ms)
{
    struct tmv t;
    int64_t sec = ms / 1000, days = sec / 86400, rem = sec % 86400;
    t.ms = (int)(ms % 1000);
    t.h = (int)(rem / 3600);
    t.mi = (int)(rem / 60 % 60);
    t.s = (int)(rem % 60);
    /* civil from days (Howard Hinnant) */
    days += 719468;
    int64_t era = days / 146097, doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    t.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    t.mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    t.y = (int)(yoe + era * 400 + (t.mo <= 2));
    return t;
}

/* ------------------------------------------------------------------ names */
static const char *const USERS[] = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
    "xavier", "yolanda", "zoe", "billing", "info", "support", "sales", "noreply", "hr",
    "it-ops", "newsletter", "j.smith", "m.jones", "a.garcia", "l.chen", "k.tanaka"};
static const char *const DOMS[] = {"example.com", "example.net", "example.org",
                                   "mail.example.com", "corp.example.net", "lists.example.org",
                                   "shop.example.com", "example.edu"};
#define NUSERS (sizeof USERS / sizeof USERS[0])
#define NDOMS (sizeof DOMS / sizeof DOMS[0])
static const char *const NETS[] = {"192.0.2", "198.51.100", "203.0.113"};

struct addr {
    char s[64];
};

static struct addr rand_addr(int local)
{
    struct addr a;
    snprintf(a.s, sizeof a.s, "%s%s@%s", USERS[below(NUSERS)], chance(300) ? "2" : "",
             local ? DOMS[below(2)] : DOMS[below(NDOMS)]);
    return a;
}

static void rand_ip(char *out, size_t n)
{
    snprintf(out, n, "%s.%u", NETS[below(3)], range(1, 254));
}

static void rand_host(char *out, size_t n, const char *ip)
{
    static const char *const P[] = {"mail", "smtp", "mx", "out", "relay", "host"};
    if (chance(150))
        snprintf(out, n, "unknown");
    else
        snprintf(out, n, "%s%u.%s", P[below(6)], (unsigned)(ip[strlen(ip) - 1] - '0'),
                 DOMS[below(NDOMS)]);
}

static void rand_msgid(char *out, size_t n, const struct tmv *t)
{
    snprintf(out, n, "%04d%02d%02d%02d%02d%02d.%08llx@%s", t->y, t->mo, t->d, t->h, t->mi, t->s,
             (unsigned long long)(rnd() & 0xffffffffULL), DOMS[below(NDOMS)]);
}

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ------------------------------------------------------------------ lifecycles */
#define MAXR 4
struct life {
    int state, nrcpt, ri, pid, pid2, host, retries, size, kind;
    uint32_t seq;
    int64_t born;
    char qid[40], qid2[40], sess[40], msgid[96], ip[20], rhost[64], helo[64];
    struct addr from, to[MAXR];
    int rstat[MAXR]; /* 0 sent, 1 deferred (then sent), 2 bounced */
};

#define NLIVE 48
static struct life live[NLIVE];
static uint32_t seqno;

static void base_life(struct life *L, int local_rcpt)
{
    memset(L, 0, sizeof *L);
    L->seq = ++seqno;
    L->born = now_ms;
    L->host = (int)below(2) + 1;
    L->pid = (int)range(1000, 65000);
    L->pid2 = (int)range(1000, 65000);
    L->size = (int)range(900, 250000);
    L->from = rand_addr(0);
    L->nrcpt = chance(800) ? 1 : (int)range(2, MAXR);
    for (int i = 0; i < L->nrcpt; i++) {
        L->to[i] = rand_addr(local_rcpt);
        L->rstat[i] = chance(900) ? 0 : chance(600) ? 1 : 2;
    }
    rand_ip(L->ip, sizeof L->ip);
    rand_host(L->rhost, sizeof L->rhost, L->ip);
    snprintf(L->helo, sizeof L->helo, "%s", strcmp(L->rhost, "unknown") ? L->rhost : "client");
    struct tmv t = tm_of(now_ms);
    rand_msgid(L->msgid, sizeof L->msgid, &t);
}

/* syslog header "Mon dd HH:MM:SS host prog[pid]: " */
static void sys_hdr(int host, const char *prog, int pid)
{
    struct tmv t = tm_of(now_ms);
    pf("%s %2d %02d:%02d:%02d mx%d.example.com %s[%d]: ", MON[t.mo - 1], t.d, t.h, t.mi, t.s,
       host, prog, pid);
}

/* ------------------------------------------------------------------ sendmail */
/* queue id: year%60, month-1, day, hour, min, sec (base 60), 2 sequence chars, pid %06d */
static void sm_qid(char *out, size_t n, int pid)
{
    static const char C[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";
    struct tmv t = tm_of(now_ms);
    snprintf(out, n, "%c%c%c%c%c%c%c%c%06d", C[(t.y - 1900) % 60], C[t.mo - 1], C[t.d], C[t.h],
             C[t.mi], C[t.s], C[below(60)], C[below(60)], pid);
}

static void sm_delay(int64_t ms)
{
    int64_t s = ms / 1000;
    pf("delay=%02d:%02d:%02d, xdelay=00:00:%02d", (int)(s / 3600), (int)(s / 60 % 60),
       (int)(s % 60), (int)range(0, 5));
}

static int step_sendmail(struct life *L)
{
    switch (L->state) {
    case 0:
        base_life(L, chance(500));
        sm_qid(L->qid, sizeof L->qid, L->pid);
        L->kind = (int)below(100);
        if (L->kind < 6) { /* AUTH brute force / scans: one line, no message */
            sys_hdr(L->host, "sm-mta", L->pid);
            pf("%s: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication "
               "failure: checkpass failed, user=%s, relay=[%s]\n",
               L->qid, USERS[below(NUSERS)], L->ip);
            return 0;
        }
        if (L->kind < 10) {
            sys_hdr(L->host, "sm-mta", L->pid);
            pf("%s: %s [%s] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA\n", L->qid,
               L->rhost, L->ip);
            return 0;
        }
        if (L->kind < 14) {
            sys_hdr(L->host, "sm-mta", L->pid);
            pf("%s: ruleset=check_rcpt, arg1=<%s>, relay=%s [%s], reject=550 5.7.1 <%s>... "
               "Relaying denied\n",
               L->qid, L->to[0].s, L->rhost, L->ip, L->to[0].s);
            return 0;
        }
        sys_hdr(L->host, "sm-mta", L->pid);
        pf("%s: from=<%s>, size=%d, class=0, nrcpts=%d, msgid=<%s>, proto=ESMTP, daemon=MTA, "
           "relay=%s [%s]\n",
           L->qid, L->from.s, L->size, L->nrcpt, L->msgid, L->rhost, L->ip);
        L->state = 1;
        return 1;
    case 1: { /* one recipient per step */
        int i = L->ri;
        int st = L->rstat[i];
        sys_hdr(L->host, "sm-mta", L->pid2);
        pf("%s: to=<%s>, ", L->qid, L->to[i].s);
        sm_delay(now_ms - L->born);
        if (st == 1 && L->retries == 0) {
            pf(", mailer=esmtp, pri=%d, relay=mx.%s. [%s.%u], dsn=4.0.0, stat=Deferred: "
               "Connection refused by mx.%s.\n",
               (int)range(30000, 300000), strchr(L->to[i].s, '@') + 1, NETS[below(3)],
               range(1, 254), strchr(L->to[i].s, '@') + 1);
            L->retries = 1;
            return 1;
        }
        L->retries = 0;
        if (st == 2)
            pf(", mailer=esmtp, pri=%d, relay=mx.%s. [%s.%u], dsn=5.1.1, stat=User unknown\n",
               (int)range(30000, 300000), strchr(L->to[i].s, '@') + 1, NETS[below(3)],
               range(1, 254));
        else if (L->to[i].s[strlen(L->to[i].s) - 3] == 'c')
            pf(", mailer=local, pri=%d, dsn=2.0.0, stat=Sent\n", (int)range(30000, 300000));
        else
            pf(", mailer=esmtp, pri=%d, relay=mx.%s. [%s.%u], dsn=2.0.0, stat=Sent (Ok: queued "
               "as %llX)\n",
               (int)range(30000, 300000), strchr(L->to[i].s, '@') + 1, NETS[below(3)],
               range(1, 254), (unsigned long long)(rnd() & 0xffffffffffULL));
        if (st == 2 && !L->qid2[0]) { /* the DSN: a new queue id, then its own delivery */
            sm_qid(L->qid2, sizeof L->qid2, L->pid2);
            sys_hdr(L->host, "sm-mta", L->pid2);
            pf("%s: %s: DSN: User unknown\n", L->qid, L->qid2);
        }
        if (++L->ri < L->nrcpt)
            return 1;
        L->ri = 0;
        return L->qid2[0] ? (L->state = 3, 1) : 0;
    }
    case 3:
        sys_hdr(L->host, "sm-mta", L->pid2);
        pf("%s: to=<%s>, ", L->qid2, L->from.s);
        sm_delay(now_ms - L->born);
        pf(", mailer=esmtp, pri=%d, relay=mx.%s. [%s.%u], dsn=2.0.0, stat=Sent (Ok)\n",
           (int)range(30000, 300000), strchr(L->from.s, '@') + 1, NETS[below(3)], range(1, 254));
        return 0;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ exim */
static void ex_stamp(void)
{
    struct tmv t = tm_of(now_ms);
    pf("%04d-%02d-%02d %02d:%02d:%02d ", t.y, t.mo, t.d, t.h, t.mi, t.s);
}

/* 4.97+ id: 6 base-62 seconds, 11 base-62 pid, 4 base-62 fraction */
static void ex_id(char *out, int pid)
{
    uint64_t s = (uint64_t)(now_ms / 1000), p = (uint64_t)pid, f = (uint64_t)(now_ms % 1000);
    for (int i = 5; i >= 0; i--, s /= 62)
        out[i] = B62[s % 62];
    out[6] = '-';
    for (int i = 17; i >= 7; i--, p /= 62)
        out[i] = B62[p % 62];
    out[18] = '-';
    f = f * 1000 / 500; /* fraction in 1/2000 s, < 62^4 */
    for (int i = 22; i >= 19; i--, f /= 62)
        out[i] = B62[f % 62];
    out[23] = 0;
}

static int step_exim(struct life *L)
{
    const char *dom;
    switch (L->state) {
    case 0:
        base_life(L, chance(400));
        ex_id(L->qid, L->pid);
        L->kind = (int)below(100);
        if (L->kind < 5) {
            ex_stamp();
            pf("dovecot_login authenticator failed for (%s) [%s]:%u I=[203.0.113.25]:587: 535 "
               "Incorrect authentication data (set_id=%s)\n",
               L->helo, L->ip, range(1024, 65535), USERS[below(NUSERS)]);
            return 0;
        }
        if (L->kind < 9) {
            ex_stamp();
            pf("H=(%s) [%s]:%u I=[203.0.113.25]:25 F=<%s> rejected RCPT <%s>: relay not "
               "permitted\n",
               L->helo, L->ip, range(1024, 65535), L->from.s, L->to[0].s);
            return 0;
        }
        if (L->kind < 11) {
            ex_stamp();
            pf("SMTP connection from (%s) [%s]:%u lost\n", L->helo, L->ip, range(1024, 65535));
            return 0;
        }
        ex_stamp();
        pf("%s <= %s H=%s%s(%s) [%s] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=%d "
           "id=%s\n",
           L->qid, L->from.s, strcmp(L->rhost, "unknown") ? L->rhost : "",
           strcmp(L->rhost, "unknown") ? " " : "", L->helo, L->ip, L->size, L->msgid);
        L->state = 1;
        return 1;
    case 1: {
        int i = L->ri;
        dom = strchr(L->to[i].s, '@') + 1;
        ex_stamp();
        if (L->rstat[i] == 1 && L->retries == 0) {
            pf("%s == %s R=dnslookup T=remote_smtp defer (111): Connection refused\n", L->qid,
               L->to[i].s);
            L->retries = 1;
            return 1;
        }
        L->retries = 0;
        if (L->rstat[i] == 2) {
            pf("%s ** %s R=dnslookup T=remote_smtp H=mx.%s [%s.%u] X=TLS1.2:ECDHE-RSA-AES256-"
               "GCM-SHA384:256 CV=yes: SMTP error from remote mail server after RCPT TO:<%s>: "
               "550 5.1.1 User unknown\n",
               L->qid, L->to[i].s, dom, NETS[below(3)], range(1, 254), L->to[i].s);
            L->qid2[0] = 1;
        } else if (!strncmp(dom, "example.com", 11) || !strncmp(dom, "mail.", 5)) {
            pf("%s => %s <%s> R=local_user T=mail_spool\n", L->qid, USERS[below(NUSERS)],
               L->to[i].s);
        } else {
            char next[24];
            ex_id(next, (int)range(1000, 65000));
            pf("%s %s %s R=dnslookup T=remote_smtp H=mx.%s [%s.%u] X=TLS1.3:TLS_AES_256_GCM_"
               "SHA384:256 CV=yes C=\"250 OK id=%s\"\n",
               L->qid, i ? "->" : "=>", L->to[i].s, dom, NETS[below(3)], range(1, 254), next);
        }
        if (++L->ri < L->nrcpt)
            return 1;
        L->state = L->qid2[0] ? 2 : 4;
        return 1;
    }
    case 2: /* bounce message */
        ex_id(L->qid2, (int)range(1000, 65000));
        ex_stamp();
        pf("%s <= <> R=%s U=Debian-exim P=local S=%d\n", L->qid2, L->qid, (int)range(1500, 4000));
        L->state = 3;
        return 1;
    case 3:
        ex_stamp();
        pf("%s => %s R=dnslookup T=remote_smtp H=mx.%s [%s.%u] C=\"250 2.0.0 Ok\"\n", L->qid2,
           L->from.s, strchr(L->from.s, '@') + 1, NETS[below(3)], range(1, 254));
        ex_stamp();
        pf("%s Completed\n", L->qid2);
        L->state = 4;
        return 1;
    default:
        ex_stamp();
        pf("%s Completed\n", L->qid);
        return 0;
    }
}

/* ------------------------------------------------------------------ exchange-msgtrk */
static const char MSGTRK_FIELDS[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version";
static uint64_t ex_internal = 70971234566000ULL;
static const char *const SUBJ[] = {"Quarterly report", "Re: meeting notes", "Invoice 2025-0231",
                                   "Your order has shipped", "Weekly newsletter",
                                   "Password reset", "Undelivered Mail Returned to Sender",
                                   "Fw: travel plans"};

static void guid(char *out, size_t n)
{
    uint64_t a = rnd(), b = rnd();
    snprintf(out, n, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16 & 0xffff), (unsigned)(a & 0xffff), (unsigned)(b >> 48),
             (unsigned long long)(b & 0xffffffffffffULL));
}

static void mt_stamp(void)
{
    struct tmv t = tm_of(now_ms);
    pf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ,", t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms);
}

static void mt_rcpts(const struct life *L, char *out, size_t n, char *status, size_t sn,
                     const char *st)
{
    out[0] = status[0] = 0;
    for (int i = 0; i < L->nrcpt; i++) {
        size_t o = strlen(out), s = strlen(status);
        snprintf(out + o, n - o, "%s%s", i ? ";" : "", L->to[i].s);
        snprintf(status + s, sn - s, "%s%s", i ? ";" : "", st);
    }
}

static int step_msgtrk(struct life *L)
{
    char rc[300], rs_[300], netid[40];
    switch (L->state) {
    case 0:
        base_life(L, chance(500));
        snprintf(L->qid, sizeof L->qid, "%llu", (unsigned long long)(ex_internal += range(1, 9)));
        guid(L->sess, sizeof L->sess);
        L->kind = (int)below(100);
        mt_rcpts(L, rc, sizeof rc, rs_, sizeof rs_, "250 2.1.5 Recipient OK");
        mt_stamp();
        guid(netid, sizeof netid);
        snprintf(L->qid2, sizeof L->qid2, "%s", netid);
        pf("%s,%s,203.0.113.%d,EX%d,\"08DD%08X;%s;ClientSubmitTime:\",EX%d\\Default EX%d,SMTP,"
           "RECEIVE,%s,<%s>,%s,%s,%s,%d,%d,,,%s,%s,%s,,Incoming,,%s,203.0.113.%d,"
           "S:DeliveryPriority=Normal;S:AccountForest=corp.example.com,Email,%s,15.02.1544.004\n",
           L->ip, L->rhost, 10 + L->host, L->host, (unsigned)rnd(), L->sess, L->host, L->host,
           L->qid, L->msgid, L->qid2, rc, rs_, L->size, L->nrcpt, SUBJ[below(6)], L->from.s,
           L->from.s, L->ip, 10 + L->host, L->qid2);
        L->state = 1;
        return 1;
    case 1:
        if (L->kind < 20) {
            mt_stamp();
            pf(",,,EX%d,Transport Rule Agent,,AGENT,AGENTINFO,%s,<%s>,%s,,,%d,%d,,,%s,%s,%s,,"
               "Incoming,,,,S:AMA=SUM|action=p|error=|atch=0;S:TRA=ETRI|ruleId=%s,Email,%s,"
               "15.02.1544.004\n",
               L->host, L->qid, L->msgid, L->qid2, L->size, L->nrcpt, SUBJ[below(6)], L->from.s,
               L->from.s, L->sess, L->qid2);
        }
        L->state = 2;
        return 1;
    case 2: { /* delivery: local mailbox or outbound */
        int bounced = L->rstat[0] == 2, outbound = L->kind >= 60;
        mt_rcpts(L, rc, sizeof rc, rs_, sizeof rs_,
                 bounced ? "550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found"
                 : outbound ? "250 2.0.0 OK"
                            : "250 2.1.5 Ok");
        mt_stamp();
        if (bounced)
            pf("203.0.113.%d,EX%d,,,,,ROUTING,FAIL,%s,<%s>,%s,%s,%s,%d,%d,,,%s,%s,%s,,"
               "Incoming,,,,,Email,%s,15.02.1544.004\n",
               10 + L->host, L->host, L->qid, L->msgid, L->qid2, rc, rs_, L->size, L->nrcpt,
               SUBJ[below(6)], L->from.s, L->from.s, L->qid2);
        else if (outbound)
            pf("203.0.113.%d,EX%d,%s.%u,mx.%s,;250 2.0.0 OK InternalId=%llu,Outbound to "
               "Internet,SMTP,SEND,%s,<%s>,%s,%s,%s,%d,%d,,,%s,%s,%s,%04d-02-28T16:00:00.000Z;"
               "SRV=EX%d.corp.example.com:TOTAL=0,Originating,,,,,Email,%s,15.02.1544.004\n",
               10 + L->host, L->host, NETS[below(3)], range(1, 254),
               strchr(L->to[0].s, '@') + 1, (unsigned long long)(rnd() % 100000000000ULL),
               L->qid, L->msgid, L->qid2, rc, rs_, L->size, L->nrcpt, SUBJ[below(6)],
               L->from.s, L->from.s, 2025, L->host, L->qid2);
        else
            pf("203.0.113.%d,EX%d,,EX%d.corp.example.com,,,STOREDRIVER,DELIVER,%s,<%s>,%s,%s,"
               "%s,%d,%d,,,%s,%s,%s,2025-02-28T16:00:00.000Z;SRV=EX%d.corp.example.com:TOTAL="
               "0|SA=0,Incoming,,,,S:Mailboxes=%s,Email,%s,15.02.1544.004\n",
               10 + L->host, L->host, L->host, L->qid, L->msgid, L->qid2, rc, rs_, L->size,
               L->nrcpt, SUBJ[below(6)], L->from.s, L->from.s, L->host, L->sess, L->qid2);
        if (!bounced)
            return 0;
        L->state = 3;
        return 1;
    }
    default: /* the NDR */
        mt_stamp();
        pf("203.0.113.%d,EX%d,,,,,DSN,DSN,%llu,<%s@corp.example.com>,%s,%s,,%d,1,,<%s>,%s,<>,"
           "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.com,,Originating,,,,,"
           "Email,%s,15.02.1544.004\n",
           10 + L->host, L->host, (unsigned long long)(ex_internal += 1), L->sess, L->qid2,
           L->from.s, (int)range(5000, 12000), L->msgid, SUBJ[6], L->qid2);
        return 0;
    }
}

/* ------------------------------------------------------------------ opensmtpd */
static void os_hex(char *out, size_t n, int digits)
{
    snprintf(out, n, "%0*llx", digits, (unsigned long long)(rnd() >> (64 - 4 * digits)));
}

static int step_opensmtpd(struct life *L)
{
    char evp[56], mta[24];
    switch (L->state) {
    case 0:
        base_life(L, chance(500));
        L->pid = 75295 + L->host;
        os_hex(L->sess, sizeof L->sess, 16);
        os_hex(L->qid, sizeof L->qid, 8);
        L->kind = (int)below(100);
        sys_hdr(L->host, "smtpd", L->pid);
        pf("%s smtp connected address=%s host=%s\n", L->sess, L->ip,
           strcmp(L->rhost, "unknown") ? L->rhost : "<unknown>");
        L->state = 1;
        return 1;
    case 1:
        sys_hdr(L->host, "smtpd", L->pid);
        if (L->kind < 8) {
            pf("%s smtp authentication user=%s result=permfail\n", L->sess,
               USERS[below(NUSERS)]);
            L->state = 9;
            return 1;
        }
        pf("%s smtp tls ciphers=TLSv1.3:TLS_AES_256_GCM_SHA384:256\n", L->sess);
        L->state = 2;
        return 1;
    case 2:
        sys_hdr(L->host, "smtpd", L->pid);
        if (L->kind < 14) {
            pf("%s smtp failed-command command=\"RCPT TO:<%s>\" result=\"550 Invalid "
               "recipient\"\n",
               L->sess, L->to[0].s);
            L->state = 9;
            return 1;
        }
        pf("%s smtp message msgid=%s size=%d nrcpt=%d proto=ESMTP\n", L->sess, L->qid, L->size,
           L->nrcpt);
        L->state = 3;
        return 1;
    case 3:
        sys_hdr(L->host, "smtpd", L->pid);
        pf("%s smtp envelope evpid=%s%08x from=<%s> to=<%s>\n", L->sess, L->qid, L->ri,
           L->from.s, L->to[L->ri].s);
        if (++L->ri < L->nrcpt)
            return 1;
        L->ri = 0;
        L->state = 4;
        return 1;
    case 4:
        sys_hdr(L->host, "smtpd", L->pid);
        pf("%s smtp disconnected reason=quit\n", L->sess);
        L->state = 5;
        return 1;
    case 5: {
        int i = L->ri;
        const char *dom = strchr(L->to[i].s, '@') + 1;
        snprintf(evp, sizeof evp, "%s%08x", L->qid, i);
        os_hex(mta, sizeof mta, 16);
        sys_hdr(L->host, "smtpd", L->pid);
        if (!strcmp(dom, "example.com") || !strcmp(dom, "example.net")) {
            char user[40];
            snprintf(user, sizeof user, "%.*s", (int)(strchr(L->to[i].s, '@') - L->to[i].s),
                     L->to[i].s);
            pf("%s mda delivery evpid=%s from=<%s> to=<%s> rcpt=<%s> user=%s delay=%ds "
               "result=Ok stat=Delivered\n",
               mta, evp, L->from.s, L->to[i].s, L->to[i].s, user,
               (int)((now_ms - L->born) / 1000));
        } else if (L->rstat[i] == 1 && !L->retries) {
            pf("%s mta delivery evpid=%s from=<%s> to=<%s> rcpt=<-> source=\"203.0.113.%d\" "
               "relay=\"%s.%u (mx.%s)\" delay=%ds result=\"TempFail\" stat=\"421 4.7.0 Try "
               "again later\"\n",
               mta, evp, L->from.s, L->to[i].s, 10 + L->host, NETS[below(3)], range(1, 254),
               dom, (int)((now_ms - L->born) / 1000));
            L->retries = 1;
            return 1;
        } else if (L->rstat[i] == 2) {
            pf("%s mta delivery evpid=%s from=<%s> to=<%s> rcpt=<-> source=\"203.0.113.%d\" "
               "relay=\"%s.%u (mx.%s)\" delay=%ds result=\"PermFail\" stat=\"550 5.1.1 User "
               "unknown\"\n",
               mta, evp, L->from.s, L->to[i].s, 10 + L->host, NETS[below(3)], range(1, 254),
               dom, (int)((now_ms - L->born) / 1000));
        } else {
            pf("%s mta delivery evpid=%s from=<%s> to=<%s> rcpt=<-> source=\"203.0.113.%d\" "
               "relay=\"%s.%u (mx.%s)\" delay=%ds result=\"Ok\" stat=\"250 2.0.0 Ok: queued as "
               "%llX\"\n",
               mta, evp, L->from.s, L->to[i].s, 10 + L->host, NETS[below(3)], range(1, 254),
               dom, (int)((now_ms - L->born) / 1000),
               (unsigned long long)(rnd() & 0xffffffffffULL));
        }
        L->retries = 0;
        return ++L->ri < L->nrcpt;
    }
    default:
        sys_hdr(L->host, "smtpd", L->pid);
        pf("%s smtp disconnected reason=quit\n", L->sess);
        return 0;
    }
}

/* ------------------------------------------------------------------ dovecot */
static void dv_session(char *out, size_t n)
{
    static const char C[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    for (i = 0; i < 16 && i + 1 < n; i++)
        out[i] = C[below(64)];
    out[i] = 0;
}

static int step_dovecot(struct life *L)
{
    char user[48];
    switch (L->state) {
    case 0:
        base_life(L, 1);
        dv_session(L->sess, sizeof L->sess);
        L->kind = (int)below(100);
        if (L->kind < 40) { /* lmtp delivery of one message */
            dv_session(L->qid, sizeof L->qid);
            sys_hdr(L->host, "dovecot", L->pid);
            pf("lmtp(%d): Connect from local\n", L->pid2);
            L->state = 10;
            return 1;
        }
        sys_hdr(L->host, "dovecot", L->pid);
        if (L->kind < 52) {
            pf("%s-login: Disconnected (auth failed, %u attempts in %u secs): user=<%s>, "
               "method=PLAIN, rip=%s, lip=203.0.113.%d, TLS, session=<%s>\n",
               chance(500) ? "imap" : "pop3", range(1, 5), range(2, 40), L->to[0].s, L->ip,
               10 + L->host, L->sess);
            return 0;
        }
        pf("%s-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=203.0.113.%d, mpid=%d, TLS, "
           "session=<%s>\n",
           L->kind < 85 ? "imap" : "pop3", L->to[0].s, L->ip, 10 + L->host, L->pid2, L->sess);
        L->state = 1;
        return 1;
    case 1:
        sys_hdr(L->host, "dovecot", L->pid);
        if (L->kind < 85)
            pf("imap(%s)<%d><%s>: Logged out in=%u out=%u deleted=0 expunged=0 trashed=0 "
               "hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0\n",
               L->to[0].s, L->pid2, L->sess, range(50, 5000), range(300, 900000));
        else
            pf("pop3(%s)<%d><%s>: Disconnected: Logged out top=0/0, retr=%u/%u, del=0/%u, "
               "size=%u\n",
               L->to[0].s, L->pid2, L->sess, 1u, (unsigned)L->size, range(1, 30),
               (unsigned)L->size * 3);
        return 0;
    case 10:
        snprintf(user, sizeof user, "%s", L->to[L->ri].s);
        sys_hdr(L->host, "dovecot", L->pid);
        pf("lmtp(%s)<%d><%s>: msgid=<%s>: saved mail to INBOX\n", user, L->pid2, L->qid,
           L->msgid);
        if (++L->ri < L->nrcpt)
            return 1;
        L->state = 11;
        return 1;
    default:
        sys_hdr(L->host, "dovecot", L->pid);
        pf("lmtp(%d): Disconnect from local: Client has quit the connection (state=READY)\n",
           L->pid2);
        return 0;
    }
}

/* ------------------------------------------------------------------ qmail (multilog) */
static unsigned qm_msg = 1000, qm_dlv, qm_local, qm_remote;

static void tai(void)
{
    uint64_t s = 0x4000000000000000ULL + (uint64_t)(now_ms / 1000) + 10;
    pf("@%016llx%08x ", (unsigned long long)s,
       (unsigned)(now_ms % 1000) * 1000000u + below(1000000));
}

static int step_qmail(struct life *L)
{
    switch (L->state) {
    case 0:
        base_life(L, chance(500));
        L->kind = (int)below(100);
        snprintf(L->qid, sizeof L->qid, "%u", qm_msg += range(1, 40));
        if (L->kind < 30) { /* an SMTP connection through tcpserver first */
            tai();
            pf("tcpserver: pid %d from %s\n", L->pid, L->ip);
            tai();
            pf("tcpserver: ok %d mx%d.example.com:203.0.113.%d:25 %s:%s::%u\n", L->pid, L->host,
               10 + L->host, strcmp(L->rhost, "unknown") ? L->rhost : "", L->ip,
               range(1024, 65535));
            if (L->kind < 5) {
                tai();
                pf("rblsmtpd: %s pid %d: 451 Blocked - see https://bl.example.org/?ip=%s\n",
                   L->ip, L->pid, L->ip);
                tai();
                pf("tcpserver: end %d status 0\n", L->pid);
                return 0;
            }
        }
        tai();
        pf("new msg %s\n", L->qid);
        tai();
        pf("info msg %s: bytes %d from <%s> qp %d uid %d\n", L->qid, L->size, L->from.s,
           L->pid2, chance(500) ? 89 : 1003);
        if (L->kind < 30) {
            tai();
            pf("tcpserver: end %d status 0\n", L->pid);
        }
        L->state = 1;
        return 1;
    case 1: {
        int i = L->ri, local = !strcmp(strchr(L->to[i].s, '@') + 1, "example.com");
        L->rstat[i] |= (int)(++qm_dlv << 4); /* delivery number */
        tai();
        pf("starting delivery %u: msg %s to %s %s\n", qm_dlv, L->qid, local ? "local" : "remote",
           L->to[i].s);
        if (local)
            qm_local++;
        else
            qm_remote++;
        tai();
        pf("status: local %u/10 remote %u/20\n", qm_local % 11, qm_remote % 21);
        if (++L->ri < L->nrcpt)
            return 1;
        L->ri = 0;
        L->state = 2;
        return 1;
    }
    case 2: {
        int i = L->ri, st = L->rstat[i] & 15;
        unsigned d = (unsigned)L->rstat[i] >> 4;
        int local = !strcmp(strchr(L->to[i].s, '@') + 1, "example.com");
        tai();
        if (st == 2)
            pf("delivery %u: failure: %s\n", d,
               local ? "Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/"
                     : "Connected_to_198.51.100.7_but_sender_was_rejected./Remote_host_said:_"
                       "550_5.1.1_User_unknown/");
        else if (st == 1)
            pf("delivery %u: deferral: Connected_to_198.51.100.9_but_greeting_failed./Remote_"
               "host_said:_421_too_busy/\n",
               d);
        else if (local)
            pf("delivery %u: success: did_1+0+0/\n", d);
        else
            pf("delivery %u: success: %s.%u_accepted_message./Remote_host_said:_250_2.0.0_Ok:_"
               "queued_as_%llX/\n",
               d, NETS[below(3)], range(1, 254), (unsigned long long)(rnd() & 0xffffffffULL));
        if (local)
            qm_local--;
        else
            qm_remote--;
        tai();
        pf("status: local %u/10 remote %u/20\n", qm_local % 11, qm_remote % 21);
        if (st == 1) { /* retried later: a new delivery number */
            L->rstat[i] = (int)(++qm_dlv << 4);
            tai();
            pf("starting delivery %u: msg %s to %s %s\n", qm_dlv, L->qid,
               local ? "local" : "remote", L->to[i].s);
            if (local)
                qm_local++;
            else
                qm_remote++;
            return 1;
        }
        if (st == 2 && !L->qid2[0]) {
            L->qid2[0] = 1;
            tai();
            pf("bounce msg %s qp %d\n", L->qid, L->pid2 + 1);
        }
        if (++L->ri < L->nrcpt)
            return 1;
        L->state = 3;
        return 1;
    }
    default:
        tai();
        pf("end msg %s\n", L->qid);
        return 0;
    }
}

/* ------------------------------------------------------------------ m365 csv */
static int step_m365(struct life *L)
{
    static const char *const ST[] = {"Delivered", "Delivered", "Delivered", "Delivered",
                                     "Delivered", "Delivered", "Delivered", "FilteredAsSpam",
                                     "Failed", "Pending", "Quarantined", "Expanded"};
    char trace[40];
    struct tmv t = tm_of(now_ms);
    if (L->state == 0) {
        base_life(L, 0);
        guid(L->sess, sizeof L->sess);
        L->state = 1;
    }
    guid(trace, sizeof trace);
    pf("\"%04d-%02d-%02dT%02d:%02d:%02d.%03d%04u\",\"%s\",\"%s\",\"%s\",\"%s\",\"\",\"%s\",\"%d\","
       "\"<%s>\",\"%s\",\"contoso.onmicrosoft.com\"\n",
       t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms, below(10000), L->from.s, L->to[L->ri].s,
       SUBJ[below(8)], ST[below(12)], L->ip, L->size, L->msgid, trace);
    return ++L->ri < L->nrcpt;
}

/* ------------------------------------------------------------------ main */
struct fmt {
    const char *name;
    int (*step)(struct life *);
    unsigned step_ms;
};
static const struct fmt FMTS[] = {
    {"sendmail", step_sendmail, 40},   {"exim", step_exim, 40},
    {"exchange-msgtrk", step_msgtrk, 60}, {"opensmtpd", step_opensmtpd, 30},
    {"dovecot", step_dovecot, 30},     {"qmail-multilog", step_qmail, 30},
    {"m365-csv", step_m365, 80},
};

static uint64_t parse_size(const char *s)
{
    char *end;
    uint64_t v = strtoull(s, &end, 10);
    switch (*end) {
    case 'k': case 'K': return v << 10;
    case 'm': case 'M': return v << 20;
    case 'g': case 'G': return v << 30;
    default: return v;
    }
}

static void usage(void)
{
    fputs("usage: gen_formats --format F --bytes N[K|M|G] [--seed S] > FILE\n  F:", stderr);
    for (size_t i = 0; i < sizeof FMTS / sizeof FMTS[0]; i++)
        fprintf(stderr, " %s", FMTS[i].name);
    fputc('\n', stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t bytes = 0, seed = 1;
    const struct fmt *f = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
            bytes = parse_size(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            ++i;
            for (size_t k = 0; k < sizeof FMTS / sizeof FMTS[0]; k++)
                if (!strcmp(argv[i], FMTS[k].name))
                    f = &FMTS[k];
            if (!f)
                usage();
        } else
            usage();
    }
    if (!f || !bytes)
        usage();
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rs[i] = splitmix(&x);

    if (!strcmp(f->name, "exchange-msgtrk"))
        pf("#Software: Microsoft Exchange Server\n#Version: 15.02.1544.004\n#Log-type: Message "
           "Tracking Log\n#Date: 2025-02-28T16:00:00.000Z\n#Fields: %s\n",
           MSGTRK_FIELDS);
    else if (!strcmp(f->name, "m365-csv"))
        pf("\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\","
           "\"FromIP\",\"Size\",\"MessageId\",\"MessageTraceId\",\"Organization\"\n");
    while (written() < bytes) {
        now_ms += range(1, f->step_ms);
        struct life *L = &live[below(NLIVE)];
        if (!f->step(L))
            L->state = 0;
    }
    oflush();
    return 0;
}
