/*
 * bench/gen_postfix.c - deterministic generator of realistic Postfix syslog logs (benchmark input).
 *
 *   gen_postfix --bytes N[K|M|G] [--seed S] [--format rfc3164|rfc3339] [--hosts K] [--stats] > FILE
 *
 * The same arguments always give the same bytes: a seeded xoshiro256** PRNG drives everything and the
 * clock is simulated (starts 2025-02-28 16:00:00 UTC and crosses midnight into March for larger
 * outputs); time() is never read. Output stops at the first line end at or after N bytes.
 *
 * What it writes: interleaved lifecycles on K servers (mx1..mxK.example.com), each line one event:
 *   - inbound mail: [postscreen CONNECT / PASS OLD|NEW], smtpd connect, [Anonymous TLS ...], client=,
 *     cleanup message-id=, qmgr from=/size=/nrcpt=, smtpd disconnect with command counters,
 *     lmtp/local deliveries (sent/deferred/bounced), retries of deferred mail, qmgr removed;
 *   - submission with SASL (postfix/submission/smtpd, sasl_method/sasl_username), smtp relay to remote
 *     MXes with [Verified|Trusted|Untrusted TLS connection established] and some Postfix 3.10+ tls= fields;
 *   - pickup (uid=, from=) local mail; bounce "sender non-delivery notification" + the DSN's own lifecycle;
 *   - NOQUEUE rejects (relay denied, unknown user, sender domain, RBL, helo, greylisting);
 *   - SASL brute force (warning: ...: SASL LOGIN authentication failed: ...);
 *   - postscreen PREGREET / DNSBL (+ dnsblog) / HANGUP drops.
 * Odd-numbered servers (mx2, mx4...) use long queue ids (enable_long_queue_ids=yes: base-52 seconds,
 * base-52 microseconds, 'z', base-51 inode); the others use short hex ids. With a single server the
 * switch happens half way through, after a "postfix/master: reload" line.
 */
#include <math.h>
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

/* uniform in [0, n) */
static uint32_t below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32); }
static double unif(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }
/* true with probability permille/1000 */
static int chance(unsigned permille) { return below(1000) < permille; }
/* uniform in [lo, hi] */
static int64_t range(int64_t lo, int64_t hi) { return lo + (int64_t)below((uint32_t)(hi - lo + 1)); }
/* skewed index in [0, n): a few values are very popular */
static uint32_t skewed(uint32_t n)
{
    double u = unif();
    uint32_t i = (uint32_t)(u * u * u * n);
    return i < n ? i : n - 1;
}

/* ------------------------------------------------------------------ output */
#define OBUF_SIZE (1u << 20)
#define LINE_MAX_BYTES 4096
static char obuf[OBUF_SIZE];
static size_t olen;
static uint64_t flushed, target;

/* ground truth of what was written, printed by --stats (pflogsumm's definitions) */
static struct {
    uint64_t lines, received, delivered, deferrals, deferred_msgs, bounced, rejected, sasl_failures;
    uint64_t dsn, connections;
} st;

static void oflush(void)
{
    if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
        perror("gen_postfix: write");
        exit(1);
    }
    flushed += olen;
    olen = 0;
}

static uint64_t written(void) { return flushed + olen; }

static void pn(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}
static void ps(const char *s) { pn(s, strlen(s)); }
static void pc(char c) { obuf[olen++] = c; }

static void pu(uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        obuf[olen++] = tmp[--n];
}

static void pu0(uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        obuf[olen + (size_t)i] = (char)('0' + v % 10);
        v /= 10;
    }
    olen += (size_t)width;
}

static void phex(uint64_t v, int minw, int upper)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = dig[v & 15];
        v >>= 4;
    } while (v || n < minw);
    while (n)
        obuf[olen++] = tmp[--n];
}

/* random letters/digits, as in provider message-ids */
static void palnum(int n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < n; i++)
        pc(set[below(sizeof set - 1)]);
}

/* Postfix delay format: two significant digits below 10 s, whole seconds above, zeros trimmed */
static void pdelay(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us < 1000000) {
        int64_t cs = (us + 5000) / 10000;
        if (cs == 0) {
            pc('0');
        } else if (cs >= 100) {
            pc('1');
        } else {
            ps("0.");
            pc((char)('0' + cs / 10));
            if (cs % 10)
                pc((char)('0' + cs % 10));
        }
    } else if (us < 10000000) {
        int64_t ds = (us + 50000) / 100000;
        pu((uint64_t)(ds / 10));
        if (ds % 10) {
            pc('.');
            pc((char)('0' + ds % 10));
        }
    } else {
        pu((uint64_t)((us + 500000) / 1000000));
    }
}

/* ------------------------------------------------------------------ syslog header */
static int fmt3339;
static int64_t hdr_sec = -1;
static char hdr_date[40];
static size_t hdr_len;

static void civil(int64_t days, int *y, int *m, int *d)
{
    /* Howard Hinnant's days-to-civil */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void build_date(int64_t sec)
{
    static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int y, m, d;
    int64_t days = sec / 86400, sod = sec % 86400;
    civil(days, &y, &m, &d);
    size_t save = olen;
    char *base = obuf + olen;
    if (fmt3339) {
        pu0((uint64_t)y, 4);
        pc('-');
        pu0((uint64_t)m, 2);
        pc('-');
        pu0((uint64_t)d, 2);
        pc('T');
    } else {
        ps(mon[m - 1]);
        pc(' ');
        if (d < 10)
            pc(' ');
        pu((uint64_t)d);
        pc(' ');
    }
    pu0((uint64_t)(sod / 3600), 2);
    pc(':');
    pu0((uint64_t)(sod / 60 % 60), 2);
    pc(':');
    pu0((uint64_t)(sod % 60), 2);
    hdr_len = olen - save;
    memcpy(hdr_date, base, hdr_len);
    olen = save;
    hdr_sec = sec;
}

typedef struct {
    char name[32];
    char ip[16];
    int long_ids, postscreen, use_lmtp;
    unsigned qmgr, pickup, master, anvil, dnsblog, pscreen;
    unsigned cleanup[3], smtp[6], lmtp[3], local[2], bounce[2];
    unsigned freepid[256];
    int nfree;
    unsigned next_pid;
} host_t;

static host_t *hosts;
static int nhosts;

static void header(int64_t t, const host_t *h, const char *prog, unsigned pid)
{
    if (olen > OBUF_SIZE - LINE_MAX_BYTES)
        oflush();
    int64_t sec = t / 1000000;
    if (sec != hdr_sec)
        build_date(sec);
    pn(hdr_date, hdr_len);
    if (fmt3339) {
        pc('.');
        pu0((uint64_t)(t % 1000000), 6);
        ps("+00:00");
    }
    pc(' ');
    ps(h->name);
    pc(' ');
    ps(prog);
    pc('[');
    pu(pid);
    ps("]: ");
}

static void eol(void)
{
    pc('\n');
    st.lines++;
}

/* pid helpers: worker daemons are occasionally recycled (max_use) */
static unsigned new_pid(host_t *h)
{
    h->next_pid += 1 + below(40);
    if (h->next_pid > 4000000)
        h->next_pid = 1000 + below(1000);
    return h->next_pid;
}

static unsigned worker(host_t *h, unsigned *pool, int n)
{
    int i = (int)below((uint32_t)n);
    if (chance(3))
        pool[i] = new_pid(h);
    return pool[i];
}

static unsigned take_pid(host_t *h)
{
    if (h->nfree > 0 && chance(970))
        return h->freepid[--h->nfree];
    return new_pid(h);
}

static void give_pid(host_t *h, unsigned pid)
{
    if (h->nfree < 256)
        h->freepid[h->nfree++] = pid;
}

/* ------------------------------------------------------------------ name pools */
static const char *users[] = {
    "alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar", "peggy", "trent", "victor", "walter", "info", "sales", "support", "billing", "noreply",
    "newsletter", "hr", "jobs", "office", "admin", "webmaster", "postmaster", "j.smith", "m.mueller",
    "a.rossi", "l.martin", "k.tanaka", "p.novak", "s.garcia", "t.nguyen", "r.kumar", "e.johansson",
    "olivia", "liam", "emma", "noah", "ava", "lucas", "mia", "ethan", "sofia", "mateo", "chloe", "leo"};
#define NUSERS (sizeof users / sizeof users[0])

static const char *words[] = {
    "acme", "globex", "initech", "umbrella", "stark", "wayne", "hooli", "vandelay", "wonka", "tyrell",
    "cyberdyne", "soylent", "aperture", "blackmesa", "oceanic", "massive", "dynamic", "gringotts",
    "monarch", "nakatomi", "sirius", "zorg", "duff", "krusty", "planet", "express", "north", "south",
    "blue", "green", "river", "stone", "cloud", "bright", "swift", "alpine", "harbor", "maple", "cedar",
    "summit"};
#define NWORDS (sizeof words / sizeof words[0])
static const char *tlds[] = {"com", "com", "com", "net", "org", "de", "co.uk", "fr", "io", "nl"};
#define NTLDS (sizeof tlds / sizeof tlds[0])

static const char *local_domains[] = {"example.com", "example.net", "example.org"};
#define NLOCAL 3

#define NDOMAINS 600
static char domains[NDOMAINS][40];
static char mx_ip[NDOMAINS][16];

#define NCLIENTS 20000
static char client_ip[NCLIENTS][40];
static char client_name[NCLIENTS][64];
#define NATTACK 300
static char attack_ip[NATTACK][40];

static void rand_ip(char *out, size_t n)
{
    unsigned a;
    do {
        a = 1 + below(223);
    } while (a == 10 || a == 127 || a == 100 || a == 169 || a == 172 || a == 192);
    snprintf(out, n, "%u.%u.%u.%u", a, below(256), below(256), 1 + below(254));
}

static void init_pools(void)
{
    for (int i = 0; i < NDOMAINS; i++) {
        const char *w1 = words[below(NWORDS)], *w2 = words[below(NWORDS)], *tld = tlds[below(NTLDS)];
        if (chance(400))
            snprintf(domains[i], sizeof domains[i], "%s.%s", w1, tld);
        else if (chance(500))
            snprintf(domains[i], sizeof domains[i], "%s%s.%s", w1, w2, tld);
        else
            snprintf(domains[i], sizeof domains[i], "%s-%s.%s", w1, w2, tld);
        rand_ip(mx_ip[i], sizeof mx_ip[i]);
    }
    for (int i = 0; i < NCLIENTS; i++) {
        if (chance(50)) {
            snprintf(client_ip[i], sizeof client_ip[i], "2001:db8:%x:%x::%x", below(0xffff), below(0xffff),
                     1 + below(0xfff));
        } else {
            rand_ip(client_ip[i], sizeof client_ip[i]);
        }
        uint32_t r = below(100), d = below(NDOMAINS);
        if (r < 30) {
            snprintf(client_name[i], sizeof client_name[i], "unknown");
        } else if (r < 60) {
            snprintf(client_name[i], sizeof client_name[i], "mail.%s", domains[d]);
        } else if (r < 80) {
            snprintf(client_name[i], sizeof client_name[i], "mx%u.%s", 1 + below(4), domains[d]);
        } else {
            unsigned a = below(256), b = below(256);
            snprintf(client_name[i], sizeof client_name[i], "host-%u-%u.dyn.%s", a, b, domains[d]);
        }
    }
    for (int i = 0; i < NATTACK; i++)
        rand_ip(attack_ip[i], sizeof attack_ip[i]);
}

/* ------------------------------------------------------------------ lifecycles */
enum { K_INBOUND, K_SUBMIT, K_PICKUP, K_DSN, K_REJECT, K_SASLFAIL, K_PSONLY };
enum {
    S_PS_CONNECT, S_PS_PASS, S_CONNECT, S_TLS, S_CLIENT, S_PICKUP, S_MSGID, S_QMGR, S_DISC,
    S_DELIV, S_AFTER, S_RETRY, S_REJECT, S_REJ_DISC, S_AUTHFAIL, S_AUTH_DISC, S_PS_DROP, S_PS_REJ, S_PS_END
};
enum { O_PENDING, O_SENT, O_DEFER, O_BOUNCE };
#define MAXR 6

typedef struct {
    uint16_t user, dom, num;
    uint8_t local, outcome;
} addr_t;

typedef struct {
    int64_t t, t0, tq;
    uint32_t client, size, inode, heapi;
    unsigned pid, port;
    uint8_t kind, step, host, nrcpt, cur, tries, tls, flags, nrej, nauth, ps_kind, msgid_kind;
    uint8_t bounced_now, dsn_done;
    char qid[24];
    addr_t from;
    addr_t rcpt[MAXR];
} life_t;

static life_t *lives;
static uint32_t nlives, caplives, *freelist, nfreel;
static uint32_t *heap;
static uint32_t nheap;

static void heap_swap(uint32_t a, uint32_t b)
{
    uint32_t x = heap[a];
    heap[a] = heap[b];
    heap[b] = x;
}

static int before(uint32_t a, uint32_t b)
{
    const life_t *x = &lives[heap[a]], *y = &lives[heap[b]];
    return x->t < y->t || (x->t == y->t && heap[a] < heap[b]);
}

static void heap_push(uint32_t li)
{
    uint32_t i = nheap++;
    heap[i] = li;
    while (i && before(i, (i - 1) / 2)) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(void)
{
    uint32_t top = heap[0], i = 0;
    heap[0] = heap[--nheap];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < nheap && before(l, m))
            m = l;
        if (r < nheap && before(r, m))
            m = r;
        if (m == i)
            break;
        heap_swap(i, m);
        i = m;
    }
    return top;
}

static uint32_t alloc_life(void)
{
    if (nfreel)
        return freelist[--nfreel];
    if (nlives == caplives) {
        caplives = caplives ? caplives * 2 : 1024;
        lives = realloc(lives, caplives * sizeof *lives);
        freelist = realloc(freelist, caplives * sizeof *freelist);
        heap = realloc(heap, caplives * sizeof *heap);
        if (!lives || !freelist || !heap) {
            fputs("gen_postfix: out of memory\n", stderr);
            exit(1);
        }
    }
    return nlives++;
}

static void free_life(uint32_t li) { freelist[nfreel++] = li; }

static void sched(uint32_t li, int64_t dt)
{
    lives[li].t += dt;
    heap_push(li);
}

/* ------------------------------------------------------------------ field printers */
static int single_host_switched;


static void make_qid(life_t *L, const host_t *h)
{
    static const char safe[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    char tmp[24];
    int n = 0, p = 0;
    uint64_t sec = (uint64_t)(L->t / 1000000), usec = (uint64_t)(L->t % 1000000);
    uint64_t ino = L->inode;
    int long_ids = nhosts == 1 ? single_host_switched : h->long_ids;
    if (long_ids) {
        char out[24];
        do {
            tmp[n++] = safe[sec % 52];
            sec /= 52;
        } while (sec || n < 6);
        while (n)
            out[p++] = tmp[--n];
        for (int i = 3; i >= 0; i--) {
            out[p + i] = safe[usec % 52];
            usec /= 52;
        }
        p += 4;
        out[p++] = 'z';
        do {
            tmp[n++] = safe[ino % 51];
            ino /= 51;
        } while (ino);
        while (n)
            out[p++] = tmp[--n];
        out[p] = 0;
        memcpy(L->qid, out, (size_t)p + 1);
    } else {
        static const char hx[] = "0123456789ABCDEF";
        for (int i = 4; i >= 0; i--) {
            L->qid[i] = hx[usec & 15];
            usec >>= 4;
        }
        p = 5;
        do {
            tmp[n++] = hx[ino & 15];
            ino >>= 4;
        } while (ino);
        while (n)
            L->qid[p++] = tmp[--n];
        L->qid[p] = 0;
    }
}

static void paddr(const addr_t *a)
{
    if (a->user == 0xffff)
        return; /* null sender */
    ps(users[a->user]);
    if (a->num)
        pu(a->num);
    pc('@');
    ps(a->local ? local_domains[a->dom % NLOCAL] : domains[a->dom]);
}

static addr_t rand_addr(int local)
{
    addr_t a;
    a.user = (uint16_t)skewed(NUSERS);
    a.dom = (uint16_t)(local ? below(NLOCAL) : skewed(NDOMAINS));
    a.num = (uint16_t)(chance(150) ? below(99) + 1 : 0);
    a.local = (uint8_t)local;
    a.outcome = O_PENDING;
    return a;
}

static void pclient(const life_t *L)
{
    if (L->kind == K_SASLFAIL) {
        ps("unknown[");
        ps(attack_ip[L->client]);
    } else {
        ps(client_name[L->client]);
        pc('[');
        ps(client_ip[L->client]);
    }
    pc(']');
}

static const char *client_ipstr(const life_t *L)
{
    return L->kind == K_SASLFAIL ? attack_ip[L->client] : client_ip[L->client];
}

static void pqid(const life_t *L)
{
    ps(L->qid);
    ps(": ");
}

static const char *smtpd_prog(const life_t *L)
{
    return L->port == 587 ? "postfix/submission/smtpd" : "postfix/smtpd";
}

/* ------------------------------------------------------------------ spawning */
static int64_t clock_start = 1740758400; /* 2025-02-28 16:00:00 UTC */

static void init_life(life_t *L, int kind, int64_t t)
{
    memset(L, 0, sizeof *L);
    L->kind = (uint8_t)kind;
    L->t = L->t0 = t;
    L->host = (uint8_t)below((uint32_t)nhosts);
    L->inode = (uint32_t)range(0x10000, 0x3ffffff);
    L->client = skewed(NCLIENTS);
    L->port = 25;
}

static void spawn(int64_t t)
{
    uint32_t li = alloc_life();
    life_t *L = &lives[li];
    uint32_t r = below(1000);
    int kind = r < 520 ? K_INBOUND : r < 640 ? K_SUBMIT : r < 670 ? K_PICKUP : r < 820 ? K_REJECT
             : r < 920 ? K_SASLFAIL : K_PSONLY;
    init_life(L, kind, t);
    host_t *h = &hosts[L->host];
    L->size = chance(500) ? (uint32_t)range(900, 5000)
            : chance(700) ? (uint32_t)range(5000, 50000)
            : chance(870) ? (uint32_t)range(50000, 1000000) : (uint32_t)range(1000000, 10000000);
    L->msgid_kind = (uint8_t)below(4);
    switch (kind) {
    case K_INBOUND:
        L->from = rand_addr(0);
        L->nrcpt = (uint8_t)(chance(800) ? 1 : 2 + below(MAXR - 1));
        for (int i = 0; i < L->nrcpt; i++)
            L->rcpt[i] = rand_addr(1);
        L->tls = (uint8_t)chance(600);
        L->step = h->postscreen ? S_PS_CONNECT : S_CONNECT;
        break;
    case K_SUBMIT:
        L->port = 587;
        L->from = rand_addr(1);
        L->nrcpt = (uint8_t)(chance(700) ? 1 : 2 + below(MAXR - 1));
        for (int i = 0; i < L->nrcpt; i++)
            L->rcpt[i] = rand_addr(0);
        L->tls = 1;
        L->step = S_CONNECT;
        break;
    case K_PICKUP:
        L->from = rand_addr(1);
        L->nrcpt = 1;
        L->rcpt[0] = rand_addr(chance(500));
        L->msgid_kind = 3;
        L->step = S_PICKUP;
        break;
    case K_REJECT:
        L->from = rand_addr(0);
        L->nrej = (uint8_t)(chance(750) ? 1 : 2 + below(3));
        L->rcpt[0] = rand_addr(chance(600));
        L->flags = (uint8_t)below(6); /* reason */
        L->step = h->postscreen && chance(500) ? S_PS_CONNECT : S_CONNECT;
        break;
    case K_SASLFAIL:
        L->client = skewed(NATTACK);
        L->port = chance(600) ? 587 : 25;
        L->nauth = (uint8_t)(1 + (chance(300) ? below(3) : 0));
        L->from = rand_addr(1);
        L->step = S_CONNECT;
        break;
    default: /* K_PSONLY */
        L->ps_kind = (uint8_t)below(3);
        L->from = rand_addr(0);
        L->client = NCLIENTS - 1 - skewed(NCLIENTS / 4);
        L->step = S_PS_CONNECT;
        if (!h->postscreen)
            L->host = 0, L->step = S_PS_CONNECT;
        break;
    }
    heap_push(li);
}

static uint32_t spawn_dsn(uint32_t orig, int64_t t)
{
    uint32_t li = alloc_life(); /* may move lives[] */
    life_t *L = &lives[li], *O = &lives[orig];
    init_life(L, K_DSN, t);
    L->host = O->host;
    L->from.user = 0xffff;
    L->nrcpt = 1;
    L->rcpt[0] = O->from;
    L->rcpt[0].outcome = O_PENDING;
    L->size = 2000 + (O->size > 60000 ? 60000 : O->size) + below(1000);
    L->msgid_kind = 3;
    make_qid(L, &hosts[L->host]);
    return li;
}

/* ------------------------------------------------------------------ deliveries */
static const char *tls_conn[] = {"Verified", "Trusted", "Untrusted", "Anonymous"};
static const char *tls_field[] = {"may:none", "may", "dane", "verify", "secure", "dane/requiretls?",
                                  "may/!requiretls:nocertmatch"};

static void delivery_line(life_t *L, host_t *h, addr_t *a)
{
    const char *prog;
    unsigned pid;
    int agent; /* 0 smtp, 1 lmtp, 2 local */
    if (a->local)
        agent = h->use_lmtp ? 1 : 2;
    else
        agent = 0;
    if (agent == 0) {
        prog = "postfix/smtp";
        pid = worker(h, h->smtp, 6);
    } else if (agent == 1) {
        prog = "postfix/lmtp";
        pid = worker(h, h->lmtp, 3);
    } else {
        prog = "postfix/local";
        pid = worker(h, h->local, 2);
    }
    /* outcome */
    uint32_t r = below(1000);
    int o;
    if (L->tries == 0)
        o = r < 920 ? O_SENT : r < 970 ? O_DEFER : O_BOUNCE;
    else if (L->tries < 4)
        o = r < 750 ? O_SENT : r < 950 ? O_DEFER : O_BOUNCE;
    else
        o = r < 800 ? O_SENT : O_BOUNCE;
    if (L->from.user == 0xffff && o == O_BOUNCE)
        o = O_SENT; /* keep DSNs simple: no double bounces */
    a->outcome = (uint8_t)o;
    if (o == O_SENT)
        st.delivered++;
    else if (o == O_BOUNCE)
        st.bounced++;
    else {
        st.deferrals++;
        if (!(L->flags & 0x80))
            st.deferred_msgs++;
        L->flags |= 0x80;
    }

    const char *dom = a->local ? local_domains[a->dom % NLOCAL] : domains[a->dom];
    const char *mip = mx_ip[a->dom];
    int tls = agent == 0 && chance(700);
    if (tls && o != O_DEFER && chance(500)) {
        header(L->t, h, prog, pid);
        ps(tls_conn[below(3)]);
        ps(" TLS connection established to mx1.");
        ps(dom);
        pc('[');
        ps(mip);
        ps("]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
           "server-signature RSA-PSS (2048 bits) server-digest SHA256");
        eol();
    }
    header(L->t, h, prog, pid);
    pqid(L);
    ps("to=<");
    paddr(a);
    ps(">, ");
    if (a->local && chance(60)) {
        ps("orig_to=<");
        ps(users[a->user]);
        ps("+lists@");
        ps(dom);
        ps(">, ");
    }
    ps("relay=");
    int conn_fail = 0;
    if (agent == 0) {
        if (o == O_DEFER && chance(400)) {
            conn_fail = 1;
            ps("none");
        } else {
            ps("mx1.");
            ps(dom);
            pc('[');
            ps(mip);
            ps("]:25");
        }
    } else if (agent == 1) {
        ps("mail.");
        ps(local_domains[0]);
        ps("[private/dovecot-lmtp]");
    } else {
        ps("local");
    }
    int64_t delay = L->t - L->t0;
    int64_t a_ = L->tq - L->t0, c = range(0, 300000), d = range(0, 200000);
    if (conn_fail)
        c = 30000000, d = 0;
    if (agent != 0)
        c = range(0, 20000), d = range(1000, 80000);
    int64_t b = delay - a_ - c - d;
    if (b < 0)
        b = 0, delay = a_ + c + d;
    ps(", delay=");
    pdelay(delay);
    ps(", delays=");
    pdelay(a_);
    pc('/');
    pdelay(b);
    pc('/');
    pdelay(c);
    pc('/');
    pdelay(d);
    if (tls && chance(300)) {
        ps(", tls=");
        ps(tls_field[below(sizeof tls_field / sizeof tls_field[0])]);
    }
    if (o == O_SENT) {
        ps(agent == 1 ? ", dsn=2.0.0, status=sent (250 2.0.0 <" : ", dsn=2.0.0, status=sent (");
        if (agent == 1) {
            paddr(a);
            ps("> ");
            palnum(22);
            ps(" Saved)");
        } else if (agent == 2) {
            ps(chance(700) ? "delivered to mailbox)" : "delivered to command: /usr/bin/procmail)");
        } else if (chance(300)) {
            ps("250 2.0.0 OK  ");
            pu((uint64_t)(L->t / 1000000));
            pc(' ');
            palnum(10);
            ps(".123 - gsmtp)");
        } else {
            ps("250 2.0.0 Ok: queued as ");
            phex(rnd() & 0xffffffffff, 10, 1);
            pc(')');
        }
    } else if (o == O_DEFER) {
        if (conn_fail) {
            ps(", dsn=4.4.1, status=deferred (connect to mx1.");
            ps(dom);
            pc('[');
            ps(mip);
            ps("]:25: Connection timed out)");
        } else if (agent == 1) {
            ps(", dsn=4.2.2, status=deferred (host mail.");
            ps(local_domains[0]);
            ps("[private/dovecot-lmtp] said: 452 4.2.2 <");
            paddr(a);
            ps("> Quota exceeded (mailbox for user is full) (in reply to end of DATA command))");
        } else if (agent == 2) {
            ps(", dsn=4.3.0, status=deferred (temporary failure. Command output: procmail: "
               "Couldn't create \"/var/mail/");
            ps(users[a->user]);
            ps("\")");
        } else if (chance(500)) {
            ps(", dsn=4.2.0, status=deferred (host mx1.");
            ps(dom);
            pc('[');
            ps(mip);
            ps("] said: 450 4.2.0 <");
            paddr(a);
            ps(">: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/");
            ps(dom);
            ps(".html (in reply to RCPT TO command))");
        } else {
            ps(", dsn=4.7.0, status=deferred (host mx1.");
            ps(dom);
            pc('[');
            ps(mip);
            ps("] said: 421 4.7.0 Try again later, closing connection. (in reply to MAIL FROM command))");
        }
    } else {
        if (agent == 2) {
            ps(", dsn=5.1.1, status=bounced (unknown user: \"");
            ps(users[a->user]);
            ps("\")");
        } else if (agent == 1) {
            ps(", dsn=5.1.1, status=bounced (host mail.");
            ps(local_domains[0]);
            ps("[private/dovecot-lmtp] said: 550 5.1.1 <");
            paddr(a);
            ps("> User doesn't exist: ");
            paddr(a);
            ps(" (in reply to RCPT TO command))");
        } else {
            ps(", dsn=5.1.1, status=bounced (host mx1.");
            ps(dom);
            pc('[');
            ps(mip);
            ps("] said: 550 5.1.1 <");
            paddr(a);
            ps(">: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT "
               "TO command))");
        }
    }
    eol();
}

/* ------------------------------------------------------------------ one step of one lifecycle */
static void ps_connect_line(life_t *L, host_t *h)
{
    header(L->t, h, "postfix/postscreen", h->pscreen);
    ps("CONNECT from [");
    ps(client_ipstr(L));
    ps("]:");
    pu(L->port);
    ps(" to [");
    ps(h->ip);
    ps("]:25");
    eol();
}

static void ps_addr(const life_t *L)
{
    pc('[');
    ps(client_ipstr(L));
    ps("]:");
    pu(L->port);
}

static void emit_msgid(life_t *L, host_t *h)
{
    header(L->t, h, "postfix/cleanup", worker(h, h->cleanup, 3));
    pqid(L);
    ps("message-id=<");
    switch (L->msgid_kind) {
    case 0:
        pu((uint64_t)(L->t / 1000));
        pc('.');
        pu(L->inode);
        pc('@');
        ps(L->from.local ? local_domains[L->from.dom % NLOCAL] : domains[L->from.dom]);
        break;
    case 1:
        ps("CA+");
        palnum(40);
        ps("@mail.gmail.com");
        break;
    case 2:
        phex(rnd() & 0xffffffff, 8, 1);
        pc('-');
        phex(rnd() & 0xffff, 4, 1);
        pc('-');
        phex(rnd() & 0xffff, 4, 1);
        pc('-');
        phex(rnd() & 0xffff, 4, 1);
        pc('-');
        phex(rnd() & 0xffffffffffffULL, 12, 1);
        ps("@EUR01-VI1-obe.outlook.com");
        break;
    default: {
        int64_t sec = L->t / 1000000;
        int y, m, d;
        civil(sec / 86400, &y, &m, &d);
        pu0((uint64_t)y, 4);
        pu0((uint64_t)m, 2);
        pu0((uint64_t)d, 2);
        pu0((uint64_t)(sec % 86400 / 3600), 2);
        pu0((uint64_t)(sec / 60 % 60), 2);
        pu0((uint64_t)(sec % 60), 2);
        pc('.');
        ps(L->qid);
        pc('@');
        ps(h->name);
        ps(".example.com");
        break;
    }
    }
    pc('>');
    eol();
}

static void emit_qmgr(life_t *L, host_t *h, unsigned nrcpt)
{
    header(L->t, h, "postfix/qmgr", h->qmgr);
    pqid(L);
    ps("from=<");
    paddr(&L->from);
    ps(">, size=");
    pu(L->size);
    ps(", nrcpt=");
    pu(nrcpt);
    ps(" (queue active)");
    eol();
}

static void step(uint32_t li)
{
    life_t *L = &lives[li];
    host_t *h = &hosts[L->host];
    unsigned psd = h->pscreen;

    switch (L->step) {
    case S_PS_CONNECT:
        L->port = 1024 + below(64000);
        ps_connect_line(L, h);
        if (L->kind == K_PSONLY) {
            L->step = S_PS_DROP;
            sched(li, range(1000, 400000));
        } else {
            L->step = S_PS_PASS;
            sched(li, chance(850) ? range(200, 3000) : range(6000000, 6100000));
        }
        return;
    case S_PS_PASS:
        header(L->t, h, "postfix/postscreen", psd);
        ps(L->t - L->t0 > 1000000 ? "PASS NEW " : "PASS OLD ");
        ps_addr(L);
        eol();
        L->step = S_CONNECT;
        sched(li, range(200, 3000));
        return;
    case S_PS_DROP:
        if (L->ps_kind == 0) {
            header(L->t, h, "postfix/postscreen", psd);
            ps("PREGREET 11 after 0.");
            pu(10 + below(80));
            ps(" from ");
            ps_addr(L);
            ps(": EHLO ylmf-pc\\r\\n");
            eol();
        } else if (L->ps_kind == 1) {
            header(L->t, h, "postfix/dnsblog", h->dnsblog);
            ps("addr ");
            ps(client_ipstr(L));
            ps(" listed by domain zen.spamhaus.org as 127.0.0.");
            pu(chance(500) ? 4 : 11);
            eol();
            header(L->t, h, "postfix/postscreen", psd);
            ps("DNSBL rank ");
            pu(2 + below(5));
            ps(" for ");
            ps_addr(L);
            eol();
            L->step = S_PS_REJ;
            sched(li, range(5000000, 7000000));
            return;
        } else {
            header(L->t, h, "postfix/postscreen", psd);
            ps("HANGUP after 0.");
            pu(10 + below(89));
            ps(" from ");
            ps_addr(L);
            ps(" in tests before SMTP handshake");
            eol();
        }
        L->step = S_PS_END;
        sched(li, range(0, 2000));
        return;
    case S_PS_REJ: {
        header(L->t, h, "postfix/postscreen", psd);
        st.rejected++;
        ps("NOQUEUE: reject: RCPT from ");
        ps_addr(L);
        ps(": 550 5.7.1 Service unavailable; client [");
        ps(client_ipstr(L));
        ps("] blocked using zen.spamhaus.org; from=<");
        paddr(&L->from);
        ps(">, to=<");
        addr_t r = rand_addr(1);
        paddr(&r);
        ps(">, proto=ESMTP, helo=<");
        ps(client_name[L->client][0] == 'u' ? "localhost" : client_name[L->client]);
        ps(">");
        eol();
        L->step = S_PS_END;
        sched(li, range(0, 2000));
        return;
    }
    case S_PS_END:
        header(L->t, h, "postfix/postscreen", psd);
        ps("DISCONNECT ");
        ps_addr(L);
        eol();
        free_life(li);
        return;
    case S_CONNECT:
        L->pid = take_pid(h);
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("connect from ");
        st.connections++;
        pclient(L);
        eol();
        if (L->kind == K_REJECT) {
            L->step = S_REJECT;
            sched(li, range(50000, 1500000));
        } else if (L->kind == K_SASLFAIL) {
            L->step = S_AUTHFAIL;
            sched(li, range(100000, 3000000));
        } else {
            L->step = L->tls ? S_TLS : S_CLIENT;
            sched(li, range(20000, 300000));
        }
        return;
    case S_TLS:
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("Anonymous TLS connection established from ");
        pclient(L);
        ps(chance(700) ? ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
                         "server-signature RSA-PSS (2048 bits) server-digest SHA256"
                       : ": TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)");
        eol();
        L->step = S_CLIENT;
        sched(li, range(50000, 1500000));
        return;
    case S_CLIENT:
        make_qid(L, h);
        header(L->t, h, smtpd_prog(L), L->pid);
        pqid(L);
        st.received++;
        ps("client=");
        pclient(L);
        if (L->kind == K_SUBMIT) {
            ps(chance(500) ? ", sasl_method=PLAIN, sasl_username=" : ", sasl_method=LOGIN, sasl_username=");
            paddr(&L->from);
        }
        eol();
        L->step = S_MSGID;
        sched(li, range(20000, 200000) + L->size / 20);
        return;
    case S_PICKUP:
        make_qid(L, h);
        header(L->t, h, "postfix/pickup", h->pickup);
        pqid(L);
        st.received++;
        ps("uid=");
        pu(1000u + L->from.user);
        ps(" from=<");
        paddr(&L->from);
        pc('>');
        eol();
        L->step = S_MSGID;
        sched(li, range(1000, 20000));
        return;
    case S_MSGID:
        emit_msgid(L, h);
        L->step = S_QMGR;
        sched(li, range(500, 20000));
        return;
    case S_QMGR:
        L->tq = L->t;
        emit_qmgr(L, h, L->nrcpt);
        L->cur = 0;
        L->step = (L->kind == K_INBOUND || L->kind == K_SUBMIT) ? S_DISC : S_DELIV;
        sched(li, range(1000, 50000));
        return;
    case S_DISC:
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("disconnect from ");
        pclient(L);
        ps(" ehlo=");
        pu(L->tls ? 2 : 1);
        if (L->tls)
            ps(" starttls=1");
        if (L->kind == K_SUBMIT)
            ps(" auth=1");
        ps(" mail=1 rcpt=");
        pu(L->nrcpt);
        ps(" data=1 quit=1 commands=");
        pu(4u + L->nrcpt + (L->tls ? 2u : 0u) + (L->kind == K_SUBMIT));
        eol();
        give_pid(h, L->pid);
        L->step = S_DELIV;
        sched(li, range(2000, 600000));
        return;
    case S_DELIV:
        while (L->cur < L->nrcpt && L->rcpt[L->cur].outcome != O_PENDING && L->rcpt[L->cur].outcome != O_DEFER)
            L->cur++;
        if (L->cur < L->nrcpt) {
            addr_t *a = &L->rcpt[L->cur++];
            delivery_line(L, h, a);
            if (a->outcome == O_BOUNCE)
                L->bounced_now = 1;
            sched(li, range(100, 80000));
            return;
        }
        L->step = S_AFTER;
        sched(li, range(200, 5000));
        return;
    case S_AFTER: {
        if (L->bounced_now && L->from.user != 0xffff) {
            /* as Postfix logs it: the DSN's cleanup and qmgr lines, then bounce(8)'s own line */
            uint32_t di = spawn_dsn(li, L->t);
            L = &lives[li];
            life_t *D = &lives[di];
            emit_msgid(D, h);
            D->tq = D->t;
            emit_qmgr(D, h, D->nrcpt);
            header(L->t, h, "postfix/bounce", worker(h, h->bounce, 2));
            pqid(L);
            st.dsn++;
            ps("sender non-delivery notification: ");
            ps(D->qid);
            eol();
            L->bounced_now = 0;
            D->step = S_DELIV;
            D->t += range(1000, 50000);
            heap_push(di);
        }
        int deferred = 0;
        for (int i = 0; i < L->nrcpt; i++)
            deferred += L->rcpt[i].outcome == O_DEFER;
        if (deferred) {
            L->tries++;
            L->step = S_RETRY;
            int64_t backoff = (int64_t)300000000 << (L->tries > 4 ? 4 : L->tries - 1);
            sched(li, backoff + range(0, 300000000));
            return;
        }
        header(L->t, h, "postfix/qmgr", h->qmgr);
        pqid(L);
        ps("removed");
        eol();
        free_life(li);
        return;
    }
    case S_RETRY: {
        int left = 0;
        for (int i = 0; i < L->nrcpt; i++)
            left += L->rcpt[i].outcome == O_DEFER;
        emit_qmgr(L, h, (unsigned)left);
        L->cur = 0;
        L->step = S_DELIV;
        sched(li, range(1000, 100000));
        return;
    }
    case S_REJECT: {
        addr_t r = L->nrej > 1 ? rand_addr(chance(600)) : L->rcpt[0];
        const char *helo = client_name[L->client][0] == 'u' ? "User" : client_name[L->client];
        header(L->t, h, "postfix/smtpd", L->pid);
        st.rejected++;
        ps("NOQUEUE: reject: RCPT from ");
        pclient(L);
        ps(": ");
        switch (L->flags) {
        case 0:
            ps("554 5.7.1 <");
            paddr(&r);
            ps(">: Relay access denied");
            break;
        case 1:
            ps("550 5.1.1 <");
            paddr(&r);
            ps(">: Recipient address rejected: User unknown in virtual mailbox table");
            break;
        case 2:
            ps("450 4.1.8 <");
            paddr(&L->from);
            ps(">: Sender address rejected: Domain not found");
            break;
        case 3:
            ps("554 5.7.1 Service unavailable; Client host [");
            ps(client_ipstr(L));
            ps("] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/");
            ps(client_ipstr(L));
            break;
        case 4:
            ps("450 4.7.1 <");
            ps(helo);
            ps(">: Helo command rejected: Host not found");
            break;
        default:
            ps("450 4.2.0 <");
            paddr(&r);
            ps(">: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/");
            ps(local_domains[r.dom % NLOCAL]);
            ps(".html");
            break;
        }
        ps("; from=<");
        paddr(&L->from);
        ps("> to=<");
        paddr(&r);
        ps("> proto=ESMTP helo=<");
        ps(helo);
        pc('>');
        eol();
        if (++L->cur < L->nrej) {
            sched(li, range(1000, 300000));
            return;
        }
        L->step = S_REJ_DISC;
        sched(li, range(1000, 500000));
        return;
    }
    case S_REJ_DISC: {
        int lost = chance(200);
        if (lost) {
            header(L->t, h, "postfix/smtpd", L->pid);
            ps("lost connection after RCPT from ");
            pclient(L);
            eol();
        }
        header(L->t, h, "postfix/smtpd", L->pid);
        ps("disconnect from ");
        pclient(L);
        ps(" ehlo=1 mail=1 rcpt=0/");
        pu(L->nrej);
        if (!lost)
            ps(" quit=1");
        ps(" commands=");
        pu(lost ? 2u : 3u);
        pc('/');
        pu((lost ? 2u : 3u) + L->nrej);
        eol();
        give_pid(h, L->pid);
        free_life(li);
        return;
    }
    case S_AUTHFAIL:
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("warning: ");
        st.sasl_failures++;
        pclient(L);
        if (chance(600)) {
            ps(": SASL LOGIN authentication failed: UGFzc3dvcmQ6");
        } else {
            ps(": SASL LOGIN authentication failed: authentication failure, sasl_username=");
            paddr(&L->from);
        }
        eol();
        if (++L->cur < L->nauth) {
            sched(li, range(1000000, 3000000));
            return;
        }
        L->step = S_AUTH_DISC;
        sched(li, range(1000, 200000));
        return;
    case S_AUTH_DISC:
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("lost connection after AUTH from ");
        pclient(L);
        eol();
        header(L->t, h, smtpd_prog(L), L->pid);
        ps("disconnect from ");
        pclient(L);
        ps(" ehlo=1 auth=0/");
        pu(L->nauth);
        ps(" commands=1/");
        pu(1u + L->nauth);
        eol();
        give_pid(h, L->pid);
        free_life(li);
        return;
    default:
        free_life(li);
        return;
    }
}

/* ------------------------------------------------------------------ main */
static uint64_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    switch (*end) {
    case 'k': case 'K': v *= 1024; break;
    case 'm': case 'M': v *= 1024 * 1024; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
    case 0: break;
    default: return 0;
    }
    return v > 0 ? (uint64_t)v : 0;
}

static void usage(void)
{
    fputs("usage: gen_postfix --bytes N[K|M|G] [--seed S] [--format rfc3164|rfc3339] [--hosts K] [--stats]\n"
          "  --stats  print the true counts of what was written (received, delivered, ...) on stderr\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    int stats = 0;
    nhosts = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bytes") && v) {
            target = parse_size(v);
            i++;
        } else if (!strcmp(a, "--seed") && v) {
            seed = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--format") && v) {
            if (!strcmp(v, "rfc3339"))
                fmt3339 = 1;
            else if (strcmp(v, "rfc3164"))
                usage();
            i++;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else if (!strcmp(a, "--hosts") && v) {
            nhosts = atoi(v);
            if (nhosts < 1 || nhosts > 200)
                usage();
            i++;
        } else {
            usage();
        }
    }
    if (!target)
        usage();

    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rs[i] = splitmix(&x);
    init_pools();
    hosts = calloc((size_t)nhosts, sizeof *hosts);
    if (!hosts)
        return 1;
    for (int i = 0; i < nhosts; i++) {
        host_t *h = &hosts[i];
        snprintf(h->name, sizeof h->name, "mx%d", i + 1);
        snprintf(h->ip, sizeof h->ip, "198.51.100.%d", 10 + i % 240);
        h->long_ids = i % 2;
        h->postscreen = i % 3 != 2;
        h->use_lmtp = i % 2 == 0;
        h->next_pid = 1000 + below(20000);
        h->master = new_pid(h);
        h->qmgr = new_pid(h);
        h->pickup = new_pid(h);
        h->anvil = new_pid(h);
        h->dnsblog = new_pid(h);
        h->pscreen = new_pid(h);
        for (int j = 0; j < 3; j++)
            h->cleanup[j] = new_pid(h), h->lmtp[j] = new_pid(h);
        for (int j = 0; j < 6; j++)
            h->smtp[j] = new_pid(h);
        for (int j = 0; j < 2; j++)
            h->local[j] = new_pid(h), h->bounce[j] = new_pid(h);
    }

    int64_t now = clock_start * 1000000 + (int64_t)below(1000000);
    int64_t next_arrival = now;
    while (written() < target) {
        if (nhosts == 1 && !single_host_switched && written() >= target / 2) {
            header(next_arrival, &hosts[0], "postfix/master", hosts[0].master);
            ps("reload -- version 3.7.11, configuration /etc/postfix");
            eol();
            single_host_switched = 1;
        }
        if (nheap == 0 || next_arrival <= lives[heap[0]].t) {
            spawn(next_arrival);
            /* exponential inter-arrival, mean 60 ms, slower at night (UTC 00-06) */
            int hour = (int)(next_arrival / 1000000 % 86400 / 3600);
            double mean = hour < 6 ? 150000.0 : 60000.0;
            next_arrival += 1 + (int64_t)(-log(1.0 - unif()) * mean);
            continue;
        }
        step(heap_pop());
    }
    oflush();
    if (fflush(stdout) != 0) {
        perror("gen_postfix: write");
        return 1;
    }
    if (stats)
        fprintf(stderr,
                "lines %llu\nreceived %llu\ndelivered %llu\ndeferred %llu\ndeferrals %llu\nbounced %llu\n"
                "rejected %llu\nsasl_failures %llu\ndsn_generated %llu\nsmtpd_connections %llu\n",
                (unsigned long long)st.lines, (unsigned long long)st.received,
                (unsigned long long)st.delivered, (unsigned long long)st.deferred_msgs,
                (unsigned long long)st.deferrals, (unsigned long long)st.bounced,
                (unsigned long long)st.rejected, (unsigned long long)st.sasl_failures,
                (unsigned long long)st.dsn, (unsigned long long)st.connections);
    return 0;
}
