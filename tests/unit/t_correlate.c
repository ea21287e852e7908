/*
 * t_correlate.c - the correlator's rules (correlate.h, doc/CORRELATION.md), one test per
 * rule, each fed REAL Postfix lines (copied from the Lightmeter corpus in
 * ../shared/corpora/lightmeter-controlcenter and from tests/corpus/postfix/maillog) through
 * msl_envelope_parse + the Postfix dialect exactly as lib/pipeline/pipeline.c does.
 *
 * The memory test feeds thousands of complete lifecycles and checks that the open counts
 * return to 0 and that the heap in use (glibc mallinfo2, when available) stays flat.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif

#include "mailsleuth/correlate.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"

/* --- real lines ------------------------------------------------------------------------- */

/* Lightmeter 14_reuse_of_queueid.log lines 8, 10, 11, 541, 542: BABABABABA is received
 * again a minute later with no "removed" in between. */
static const char *const REUSE[] = {
    "Sep  4 01:24:11 smtpnode06 postfix-170.55.103.23/smtpd[5946]: BABABABABA: client=h-d31ae"
        "31e5f8e95fe54a540[170.55.103.23]",
    "Sep  4 01:24:11 smtpnode06 postfix-170.55.103.23/cleanup[6979]: BABABABABA: message-id=<"
        "h-b36847e73153e9ac645ba7cb2050cae3@h-5e67b9b4406.com>",
    "Sep  4 01:24:11 smtpnode06 postfix-170.55.103.23/qmgr[2710]: BABABABABA: from=<h-031a55e"
        "5a6a901a7be94@h-5e67b9b4406.com>, size=11214, nrcpt=1 (queue active)",
    "Sep  4 01:25:12 smtpnode06 postfix-170.55.103.23/smtpd[5963]: BABABABABA: client=h-d04c1"
        "7c68166c9deda13c8e79ad[112.83.23.93]",
    "Sep  4 01:25:12 smtpnode06 postfix-170.55.103.23/cleanup[6979]: BABABABABA: message-id=<"
        "h-ae29580097c1f26a25dab61b5e690cfd@h-5e67b9b4406.com>",
};

/* Lightmeter 11_single_successful_delivery.log (postfix lines): submission with SASL, amavis
 * hand-off on 127.0.0.1:10024, re-injected as 1310930001DB, delivered to Gmail. */
static const char *const REINJECT[] = {
    "Dec  9 10:18:23 mail postfix/submission/smtpd[20040]: connect from client.example.com[89"
        ".247.252.52]",
    "Dec  9 10:18:23 mail postfix/submission/smtpd[20040]: Anonymous TLS connection establish"
        "ed from i59f7fc34.versanet.de[89.247.252.52]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384"
        " (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits)",
    "Dec  9 10:18:23 mail postfix/submission/smtpd[20040]: BA8F630001DA: client=client.exampl"
        "e.com[89.247.252.52], sasl_method=PLAIN, sasl_username=sender@mydomain.com",
    "Dec  9 10:18:23 mail postfix/sender-cleanup/cleanup[20048]: BA8F630001DA: message-id=<26"
        "4dc34c-ad52-466c-6d41-6622dfced3b8@mydomain.com>",
    "Dec  9 10:18:23 mail postfix/sender-cleanup/cleanup[20048]: BA8F630001DA: replace: heade"
        "r MIME-Version: 1.0 from client.example.com[89.247.252.52]; from=<sender@mydomain.com> t"
        "o=<recipient1@dst2.example.com> proto=ESMTP helo=<[192.168.0.170]>: Mime-Version: 1.0",
    "Dec  9 10:18:23 mail postfix/qmgr[3398]: BA8F630001DA: from=<sender@mydomain.com>, size="
        "502, nrcpt=5 (queue active)",
    "Dec  9 10:18:23 mail postfix/submission/smtpd[20040]: disconnect from client.example.com"
        "[89.247.252.52] ehlo=2 starttls=1 auth=1 mail=1 rcpt=5 data=1 quit=1 commands=12",
    "Dec  9 10:18:24 mail postfix/smtpd[20051]: connect from localhost[127.0.0.1]",
    "Dec  9 10:18:24 mail postfix/smtpd[20051]: 1310930001DB: client=localhost[127.0.0.1]",
    "Dec  9 10:18:24 mail postfix/cleanup[20052]: 1310930001DB: message-id=<264dc34c-ad52-466"
        "c-6d41-6622dfced3b8@mydomain.com>",
    "Dec  9 10:18:24 mail postfix/smtpd[20051]: disconnect from localhost[127.0.0.1] ehlo=1 m"
        "ail=1 rcpt=5 data=1 quit=1 commands=9",
    "Dec  9 10:18:24 mail postfix/qmgr[3398]: 1310930001DB: from=<sender@mydomain.com>, size="
        "1188, nrcpt=5 (queue active)",
    "Dec  9 10:18:24 mail postfix/smtp[20049]: BA8F630001DA: to=<recipient1@dst1.example.com>"
        ", relay=127.0.0.1[127.0.0.1]:10024, delay=0.38, delays=0.23/0.02/0/0.13, dsn=2.0.0, stat"
        "us=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 1310930001D"
        "B)",
    "Dec  9 10:18:24 mail postfix/qmgr[3398]: BA8F630001DA: removed",
    "Dec  9 10:18:24 mail postfix/smtp[20053]: Trusted TLS connection established to aspmx.l."
        "google.com[74.125.143.26]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
        "key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256",
    "Dec  9 10:18:24 mail postfix/smtp[20055]: 1310930001DB: to=<recipient1@dst1.example.com>"
        ", relay=gmail-smtp-in.l.google.com[74.125.206.26]:25, delay=0.55, delays=0.02/0.06/0.16/"
        "0.31, dsn=2.0.0, status=sent (250 2.0.0 OK  1607509104 z6si1138927wrp.107 - gsmtp)",
    "Dec  9 10:18:26 mail postfix/qmgr[3398]: 1310930001DB: removed",
};

/* Lightmeter 1_bounce_simple.log (postfix lines): hand-off, bounce, DSN A48191855DA0. */
static const char *const BOUNCE[] = {
    "Jun  3 10:40:57 mail postfix/submission/smtpd[9708]: connect from some.domain.name[1.2.3.4]",
    "Jun  3 10:40:57 mail postfix/submission/smtpd[9708]: Anonymous TLS connection establishe"
        "d from some.domain.name[1.2.3.4]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/2"
        "56 bits)",
    "Jun  3 10:40:57 mail postfix/submission/smtpd[9708]: 4AA091855DA0: client=some.domain.na"
        "me[1.2.3.4], sasl_method=PLAIN, sasl_username=user@sender.com",
    "Jun  3 10:40:57 mail postfix/sender-cleanup/cleanup[9709]: 4AA091855DA0: message-id=<ca1"
        "0035e-2951-bfd5-ec7e-1a5773fce1cd@mail.sender.com>",
    "Jun  3 10:40:57 mail postfix/sender-cleanup/cleanup[9709]: 4AA091855DA0: replace: header"
        " MIME-Version: 1.0 from some.domain.name[1.2.3.4]; from=<user@sender.com> to=<invalid.em"
        "ail@example.com> proto=ESMTP helo=<[192.168.0.178]>: Mime-Version: 1.0",
    "Jun  3 10:40:57 mail postfix/qmgr[1005]: 4AA091855DA0: from=<user@sender.com>, size=391,"
        " nrcpt=1 (queue active)",
    "Jun  3 10:40:57 mail postfix/submission/smtpd[9708]: disconnect from some.domain.name[1."
        "2.3.4] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
    "Jun  3 10:40:57 mail postfix/smtpd[9715]: connect from localhost[127.0.0.1]",
    "Jun  3 10:40:57 mail postfix/smtpd[9715]: 776E41855DB2: client=localhost[127.0.0.1]",
    "Jun  3 10:40:57 mail postfix/cleanup[9716]: 776E41855DB2: message-id=<ca10035e-2951-bfd5"
        "-ec7e-1a5773fce1cd@mail.sender.com>",
    "Jun  3 10:40:57 mail postfix/qmgr[1005]: 776E41855DB2: from=<user@sender.com>, size=1111"
        ", nrcpt=1 (queue active)",
    "Jun  3 10:40:57 mail postfix/smtpd[9715]: disconnect from localhost[127.0.0.1] ehlo=1 ma"
        "il=1 rcpt=1 data=1 quit=1 commands=5",
    "Jun  3 10:40:57 mail postfix/smtp[9710]: 4AA091855DA0: to=<invalid.email@example.com>, r"
        "elay=127.0.0.1[127.0.0.1]:10024, delay=0.23, delays=0.15/0/0/0.08, dsn=2.0.0, status=sen"
        "t (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 776E41855DB2)",
    "Jun  3 10:40:57 mail postfix/qmgr[1005]: 4AA091855DA0: removed",
    "Jun  3 10:40:58 mail postfix/smtp[9890]: Trusted TLS connection established to mx.exampl"
        "e.com[11.22.33.44]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    "Jun  3 10:40:59 mail postfix/smtp[9890]: 776E41855DB2: to=<invalid.email@example.com>, r"
        "elay=mx.example.com[11.22.33.44]:25, delay=1.9, delays=0/0/1.5/0.37, dsn=5.1.1, status=b"
        "ounced (host mx.example.com[11.22.33.44] said: 550 5.1.1 <invalid.email@example.com> Use"
        "r unknown (in reply to RCPT TO command))",
    "Jun  3 10:40:59 mail postfix/cleanup[9716]: A48191855DA0: message-id=<20200603104059.A48"
        "191855DA0@mail.sender.com>",
    "Jun  3 10:40:59 mail postfix/qmgr[1005]: A48191855DA0: from=<>, size=3147, nrcpt=1 (queu"
        "e active)",
    "Jun  3 10:40:59 mail postfix/bounce[9719]: 776E41855DB2: sender non-delivery notificatio"
        "n: A48191855DA0",
    "Jun  3 10:40:59 mail postfix/qmgr[1005]: 776E41855DB2: removed",
    "Jun  3 10:40:59 mail postfix/lmtp[9717]: A48191855DA0: to=<user@sender.com>, relay=mail."
        "sender.com[/var/run/dovecot/lmtp], delay=0.03, delays=0.01/0/0.02/0.01, dsn=2.0.0, statu"
        "s=sent (250 2.0.0 <user@sender.com> IkiQKTt+117kJgAAWP5Hkg Saved)",
    "Jun  3 10:40:59 mail postfix/qmgr[1005]: A48191855DA0: removed",
};

/* Lightmeter 18_expired.log lines 1, 4, 5, 10, 22-26, 28: one deferral, expiry, DSN. */
static const char *const EXPIRED[] = {
    "Sep 25 18:26:34 smtpnode16 postfix-239.58.50.50/smtpd[4546]: 23EBE3D5C0: client=h-385762"
        "4469d1756194e464[239.58.50.50]",
    "Sep 25 18:26:34 smtpnode16 postfix-239.58.50.50/cleanup[5021]: 23EBE3D5C0: message-id=<h"
        "-dea85411b67a40a063ef58e0ab590721@h-daa2fe3dd7fc0b5c2017db90829038b.com>",
    "Sep 25 18:26:34 smtpnode16 postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: from=<h-498b874"
        "f2bf0cf639807ad80e1@h-5e67b9b4406.com>, size=312343, nrcpt=1 (queue active)",
    "Sep 25 18:26:36 smtpnode16 postfix-239.58.50.50/smtp[5084]: 23EBE3D5C0: to=<h-664d01@h-6"
        "95da2287.com>, relay=ALT2.ASPMX.L.GOOGLE.com[3.155.237.60]:25, delay=2, delays=0.18/0/1."
        "6/0.19, dsn=4.1.1, status=deferred (host ALT2.ASPMX.L.GOOGLE.com[3.155.237.60] said: 452"
        " 4.1.1 <h-664d01@h-695da2287.com> user is over quota, please try again later (in reply t"
        "o RCPT TO command))",
    "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: from=<h-498b874"
        "f2bf0cf639807ad80e1@h-5e67b9b4406.com>, status=expired, returned to sender",
    "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/cleanup[23568]: A7E673C067: message-id=<"
        "h-75055d2ab82e952d4ce9c3445@h-3857624469d1756194e464.com>",
    "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/qmgr[31214]: A7E673C067: from=<>, size=3"
        "503, nrcpt=1 (queue active)",
    "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/bounce[23567]: 23EBE3D5C0: sender non-de"
        "livery notification: A7E673C067",
    "Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: removed",
    "ir/)",
};

/* Lightmeter 20_rejected.log: RCPT rejected after client=, no DATA. */
static const char *const REJECTED[] = {
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: connect from unknown[30.207.11.100]",
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: Anonymous TLS connection establish"
        "ed from unknown[30.207.11.100]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256"
        " bits)",
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: NOQUEUE: filter: RCPT from unknown"
        "[30.207.11.100]: <>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10026; from="
        "<> to=<h-3c3175932cb3b@h-526472e87.com> proto=ESMTP helo=<localhost>",
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: D155CDC24C3: client=unknown[30.207"
        ".11.100], sasl_method=LOGIN, sasl_username=h-2d34d8bb8@h-93a1a37cd1.com",
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: D155CDC24C3: reject: RCPT from unk"
        "nown[30.207.11.100]: 450 4.7.1 <>: Sender address rejected: You are sending too many ema"
        "ils, contact helpdesk; from=<> to=<h-2d34d8bb8@h-93a1a37cd1.com> proto=ESMTP helo=<local"
        "host>",
    "Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: disconnect from unknown[30.207.11."
        "100] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1/2 quit=1 commands=7/8",
};

/* Lightmeter 15_milter-reject.log. */
static const char *const MILTER[] = {
    "Jan 25 18:54:13 mx postfix/smtpd[2138]: connect from h-ca74a0a011076cd81347f8f11e[254.65"
        ".43.194]",
    "Jan 25 18:54:26 mx postfix/smtpd[2138]: B37FD2E05B9: client=h-ca74a0a011076cd81347f8f11e"
        "[254.65.43.194]",
    "Jan 25 18:54:50 mx postfix/cleanup[8966]: B37FD2E05B9: message-id=<h-ce543fda118a39748f4"
        "65e46bebdc3338@h-79b594737831a5d176dabf9.com>",
    "Jan 25 18:54:51 mx postfix/cleanup[8966]: B37FD2E05B9: milter-reject: END-OF-MESSAGE fro"
        "m h-ca74a0a011076cd81347f8f11e[254.65.43.194]: 4.7.1 Try again later; from=<bounce+1b6a6"
        "3.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com> to=<h-7abde52c2@h-ffd2115"
        "d4f.com> proto=ESMTP helo=<h-ca74a0a011076cd81347f8f11e>",
    "Jan 25 18:54:52 mx postfix/cleanup[8966]: B37FD2E05B9: milter-reject: END-OF-MESSAGE fro"
        "m h-ca74a0a011076cd81347f8f11e[254.65.43.194]: 4.7.1 Try again later; from=<bounce+1b6a6"
        "3.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com> to=<h-7abde52c2@h-ffd2115"
        "d4f.com> proto=ESMTP helo=<h-ca74a0a011076cd81347f8f11e>",
};

/* tests/corpus/postfix/maillog lines 86, 94, 97, 87, 95: one submission pid,
 * two SASL failures then a successful login (client= with sasl_username). */
static const char *const AUTH[] = {
    "Nov 27 13:18:50 mx1 postfix/submission/smtpd[5830]: connect from localhost[127.0.0.1]",
    "Nov 27 13:18:50 mx1 postfix/submission/smtpd[5830]: warning: localhost[127.0.0.1]: SASL "
        "LOGIN authentication failed: authentication failure, sasl_username=alice@example.test",
    "Nov 27 13:18:50 mx1 postfix/submission/smtpd[5830]: warning: localhost[127.0.0.1]: SASL "
        "LOGIN authentication failed: authentication failure, sasl_username=bob@example.test",
    "Nov 27 13:18:50 mx1 postfix/submission/smtpd[5830]: 91DEFA721E5: client=localhost[127.0."
        "0.1], sasl_method=LOGIN, sasl_username=alice@example.test",
    "Nov 27 13:18:50 mx1 postfix/submission/smtpd[5830]: disconnect from localhost[127.0.0.1]"
        " ehlo=1 auth=0/1 quit=1 commands=2/3",
};

/* tests/corpus/postfix/maillog lines 77-85: three connections on smtpd[5298], each one
 * NOQUEUE reject. */
static const char *const NOQUEUE[] = {
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: connect from localhost[127.0.0.1]",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]"
        ": 554 5.7.1 <victim@elsewhere.test>: Relay access denied; from=<spam@elsewhere.test> to="
        "<victim@elsewhere.test> proto=ESMTP helo=<spam.elsewhere.test>",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: disconnect from localhost[127.0.0.1] ehlo=1 mai"
        "l=1 rcpt=0/1 quit=1 commands=3/4",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: connect from localhost[127.0.0.1]",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]"
        ": 554 5.7.1 <someone@outside.test>: Relay access denied; from=<spam@elsewhere.test> to=<"
        "someone@outside.test> proto=ESMTP helo=<spam.elsewhere.test>",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: disconnect from localhost[127.0.0.1] ehlo=1 mai"
        "l=1 rcpt=0/1 quit=1 commands=3/4",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: connect from localhost[127.0.0.1]",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]"
        ": 554 5.7.1 <spammer@bad.test>: Sender address rejected: Listed sender; from=<spammer@ba"
        "d.test> to=<alice@example.test> proto=ESMTP helo=<bad.test>",
    "Nov 27 13:18:50 mx1 postfix/smtpd[5298]: disconnect from localhost[127.0.0.1] ehlo=1 mai"
        "l=1 rcpt=0/1 quit=1 commands=3/4",
};

/* Lightmeter complete.tar.gz mail.log lines 7-11: postscreen, dnsblog, PASS OLD, smtpd. */
static const char *const POSTSCREEN[] = {
    "Jan 28 06:40:36 mail postfix/postscreen[15049]: CONNECT from [224.73.110.132]:34764 to ["
        "170.45.1.1]:25",
    "Jan 28 06:40:36 mail postfix/dnsblog[15054]: addr 224.73.110.132 listed by domain h-3824"
        "e3d85a1cce as 58.1.8.1",
    "Jan 28 06:40:37 mail postfix/postscreen[15049]: PASS OLD [224.73.110.132]:34764",
    "Jan 28 06:40:37 mail postfix/smtpd[15061]: connect from h-2bf83754162e1[224.73.110.132]",
    "Jan 28 06:40:37 mail postfix/smtpd[15061]: Anonymous TLS connection established from h-2"
        "bf83754162e1[224.73.110.132]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
        "key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
};

/* Lightmeter complete.tar.gz mail.log: a client postscreen drops (PREGREET). */
static const char *const PREGREET[] = {
    "Jan 28 08:43:48 mail postfix/postscreen[15108]: CONNECT from [222.85.244.30]:46794 to [1"
        "70.45.1.1]:25",
    "Jan 28 08:43:48 mail postfix/postscreen[15108]: PREGREET 18 after 0 from [222.85.244.30]"
        ":46794: EHLO zg-1218a-54\\r\\n",
    "Jan 28 08:43:48 mail postfix/postscreen[15108]: DISCONNECT [222.85.244.30]:46794",
};


#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- harness ---------------------------------------------------------------------------- */

#define MAXREC 64

struct coll {
    struct msl_message *m[MAXREC];
    size_t nm;
    struct msl_session *s[MAXREC];
    size_t ns;
    size_t extra_m, extra_s; /* handed over beyond MAXREC (freed by the correlator) */
    int nokeep;              /* hand everything back to the correlator */
};

static int on_msg(void *ctx, struct msl_message *m)
{
    struct coll *k = ctx;
    if (k->nm == MAXREC || k->nokeep) {
        k->extra_m++;
        return 0;
    }
    k->m[k->nm++] = m;
    return 1;
}

static int on_sess(void *ctx, struct msl_session *s)
{
    struct coll *k = ctx;
    if (k->ns == MAXREC || k->nokeep) {
        k->extra_s++;
        return 0;
    }
    k->s[k->ns++] = s;
    return 1;
}

static void coll_free(struct coll *k)
{
    for (size_t i = 0; i < k->nm; i++)
        msl_message_free(k->m[i]);
    for (size_t i = 0; i < k->ns; i++)
        msl_session_free(k->s[i]);
    memset(k, 0, sizeof *k);
}

static struct msl_tz *g_tz;

/* Feeds lines like pipeline.c: envelope, dialect, raw, evidence (src 0, line i + 1). */
static size_t feed(struct msl_correlator *c, const char *const *lines, size_t n)
{
    struct msl_envelope_parser *ep = msl_envelope_new(g_tz, 0, 2020);
    size_t events = 0;
    for (size_t i = 0; ep && i < n; i++) {
        struct msl_envelope env;
        const char *why = NULL;
        size_t len = strlen(lines[i]);
        if (msl_envelope_parse(ep, lines[i], len, &env, &why) != 0)
            continue;
        const struct msl_dialect *d = msl_dialect_for_program(env.program);
        if (!d)
            continue;
        struct msl_event e;
        msl_event_clear(&e);
        e.ts = env.ts;
        e.flags = env.flags;
        e.host = env.host;
        e.program = env.program;
        e.pid = env.pid;
        e.mta = (struct msl_str){d->mta, strlen(d->mta)};
        e.mta_caps = d->caps;
        e.ev = (struct msl_evidence){0, i + 1, 0};
        e.raw = (struct msl_str){lines[i], len};
        if (!d->parse(&env, &e, &why))
            continue;
        CHECK_INT(msl_correlator_add(c, &e), MSL_OK);
        events++;
    }
    msl_envelope_free(ep);
    return events;
}

static struct msl_correlator *new_corr(struct coll *k, int keep_lines, int64_t idle_us,
                                       size_t max_lines)
{
    memset(k, 0, sizeof *k);
    struct msl_correlate_opts o = {.idle_us = idle_us, .keep_lines = keep_lines,
                                   .max_lines = max_lines};
    struct msl_correlate_sink s = {.ctx = k, .message = on_msg, .session = on_sess};
    return msl_correlator_new(&o, &s);
}

static const struct msl_message *msg(const struct coll *k, const char *qid, size_t nth)
{
    for (size_t i = 0; i < k->nm; i++)
        if (strcmp(k->m[i]->qid, qid) == 0 && nth-- == 0)
            return k->m[i];
    return NULL;
}

/* Runs lines through a fresh correlator, finishes it, leaves the records in *k. */
static void run(struct coll *k, const char *const *lines, size_t n, int keep_lines)
{
    struct msl_correlator *c = new_corr(k, keep_lines, 0, 0);
    CHECK(c != NULL);
    if (!c)
        return;
    feed(c, lines, n);
    msl_correlator_finish(c);
    CHECK_INT(msl_correlator_open_messages(c), 0);
    CHECK_INT(msl_correlator_open_sessions(c), 0);
    msl_correlator_free(c);
}

/* --- tests ------------------------------------------------------------------------------ */

/* Rule: key = host + qid; a second RECEIVED for a received key closes the old message. */
static void t_queue_id_reuse(void)
{
    struct coll k;
    run(&k, REUSE, N(REUSE), 0);
    const struct msl_message *a = msg(&k, "BABABABABA", 0), *b = msg(&k, "BABABABABA", 1);
    CHECK(a && b);
    if (a && b) {
        CHECK_INT(a->end, MSL_END_REUSED);
        CHECK_STR(a->client_ip, "170.55.103.23");
        CHECK_INT(a->size, 11214);
        CHECK_STR(a->msgid, "h-b36847e73153e9ac645ba7cb2050cae3@h-5e67b9b4406.com");
        CHECK_INT(a->nlines, 3);
        CHECK_INT(b->end, MSL_END_OPEN_AT_EOF);
        CHECK_STR(b->client_ip, "112.83.23.93");
        CHECK_STR(b->msgid, "h-ae29580097c1f26a25dab61b5e690cfd@h-5e67b9b4406.com");
        CHECK_INT(b->size, -1);
        CHECK(b->id > a->id);
        CHECK_STR(b->host, "smtpnode06");
    }
    coll_free(&k);
}

/* Rule: loopback delivery "queued as X" = content-filter hand-off, linked both ways;
 * sessions: TLS, SASL success from the RECEIVED line, qids, counters. */
static void t_reinjection_links(void)
{
    struct coll k;
    run(&k, REINJECT, N(REINJECT), 0);
    const struct msl_message *a = msg(&k, "BA8F630001DA", 0), *b = msg(&k, "1310930001DB", 0);
    CHECK(a && b);
    if (a && b) {
        CHECK_STR(a->reinjected_as, "1310930001DB");
        CHECK_STR(b->reinjected_from, "BA8F630001DA");
        CHECK(a->reinjected_from == NULL && b->reinjected_as == NULL);
        CHECK_INT(a->end, MSL_END_REMOVED);
        CHECK_INT(b->end, MSL_END_REMOVED);
        CHECK_INT(a->final, MSL_ST_SENT);
        CHECK_INT(b->final, MSL_ST_SENT);
        CHECK_STR(a->sasl_method, "PLAIN");
        CHECK_STR(a->sasl_user, "sender@mydomain.com");
        CHECK_STR(a->helo, "[192.168.0.170]");
        CHECK_STR(a->from, "sender@mydomain.com");
        CHECK_INT(a->nrcpt, 5);
        CHECK_INT(a->ndeliveries, 1);
        CHECK_STR(a->deliveries[0].new_qid, "1310930001DB");
        CHECK_STR(a->deliveries[0].relay_ip, "127.0.0.1");
        CHECK_INT(a->deliveries[0].relay_port, 10024);
        CHECK_STR(b->deliveries[0].relay_host, "gmail-smtp-in.l.google.com");
        CHECK_STR(b->deliveries[0].daemon, "smtp");
        CHECK(a->session_id != 0 && b->session_id != 0 && a->session_id != b->session_id);
        CHECK_INT(b->seen_receipt, 1);
    }
    CHECK_INT(k.ns, 2);
    if (k.ns == 2) {
        const struct msl_session *s = k.s[0];
        CHECK_STR(s->program, "postfix/submission/smtpd");
        CHECK_INT(s->pid, 20040);
        CHECK_INT(s->id, a ? a->session_id : 0);
        CHECK_STR(s->tls_proto, "TLSv1.3");
        CHECK_STR(s->tls_cipher, "TLS_AES_256_GCM_SHA384");
        CHECK_INT(s->nauths, 1);
        if (s->nauths == 1) {
            CHECK_INT(s->auths[0].ok, 1);
            CHECK_STR(s->auths[0].user, "sender@mydomain.com");
        }
        CHECK_INT(s->nqids, 1);
        if (s->nqids == 1)
            CHECK_STR(s->qids[0], "BA8F630001DA");
        CHECK_INT(s->closed, 1);
        CHECK_INT(s->saw_connect, 1);
        CHECK_STR(s->counters, "ehlo=2 starttls=1 auth=1 mail=1 rcpt=5 data=1 quit=1 commands=12");
        CHECK_STR(k.s[1]->client_ip, "127.0.0.1");
    }
    coll_free(&k);
}

/* Rule: "sender non-delivery notification: X" links both ways; content filter before it. */
static void t_bounce_links(void)
{
    struct coll k;
    run(&k, BOUNCE, N(BOUNCE), 0);
    const struct msl_message *o = msg(&k, "776E41855DB2", 0), *d = msg(&k, "A48191855DA0", 0);
    const struct msl_message *f = msg(&k, "4AA091855DA0", 0);
    CHECK(o && d && f);
    if (o && d && f) {
        CHECK_INT(o->ndsn, 1);
        if (o->ndsn == 1)
            CHECK_STR(o->dsn_qids[0], "A48191855DA0");
        CHECK_STR(d->bounce_of, "776E41855DB2");
        CHECK_STR(d->from, "");
        CHECK_INT(d->seen_receipt, 0);
        CHECK_INT(o->final, MSL_ST_BOUNCED);
        CHECK_STR(o->deliveries[0].dsn, "5.1.1");
        CHECK_INT(d->final, MSL_ST_SENT);
        CHECK_STR(d->deliveries[0].daemon, "lmtp");
        CHECK_STR(f->reinjected_as, "776E41855DB2");
        CHECK_STR(o->reinjected_from, "4AA091855DA0");
    }
    coll_free(&k);
    /* the bounce line alone: the DSN record is created by the link */
    struct coll k2;
    const char *const only[] = {BOUNCE[N(BOUNCE) - 4]};
    run(&k2, only, 1, 0);
    CHECK_INT(k2.nm, 2);
    const struct msl_message *x = msg(&k2, "A48191855DA0", 0);
    CHECK(x && x->bounce_of && strcmp(x->bounce_of, "776E41855DB2") == 0);
    CHECK(x && x->nlines == 1 && x->end == MSL_END_OPEN_AT_EOF);
    coll_free(&k2);
}

/* Rule: qmgr status=expired is a delivery (daemon qmgr) and ends every deferred recipient. */
static void t_expired(void)
{
    struct coll k;
    run(&k, EXPIRED, N(EXPIRED), 0);
    const struct msl_message *m = msg(&k, "23EBE3D5C0", 0);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->ndeliveries, 2);
        if (m->ndeliveries == 2) {
            CHECK_INT(m->deliveries[0].status, MSL_ST_DEFERRED);
            CHECK_INT(m->deliveries[1].status, MSL_ST_EXPIRED);
            CHECK_STR(m->deliveries[1].daemon, "qmgr");
            CHECK(m->deliveries[1].to == NULL); /* qmgr names no recipient */
        }
        CHECK_INT(m->final, MSL_ST_EXPIRED);
        CHECK_INT(m->end, MSL_END_REMOVED);
        CHECK_INT(m->ndsn, 1);
        CHECK_INT(m->size, 312343);
    }
    const struct msl_message *d = msg(&k, "A7E673C067", 0);
    CHECK(d && d->bounce_of && strcmp(d->bounce_of, "23EBE3D5C0") == 0);
    coll_free(&k);
}

/* Rule: SASL failures then a success in one smtpd session -> auths in order. */
static void t_auth_failures_then_success(void)
{
    struct coll k;
    run(&k, AUTH, N(AUTH), 0);
    CHECK_INT(k.ns, 1);
    if (k.ns == 1) {
        const struct msl_session *s = k.s[0];
        CHECK_INT(s->nauths, 3);
        if (s->nauths == 3) {
            CHECK_INT(s->auths[0].ok, 0);
            CHECK_STR(s->auths[0].method, "LOGIN");
            CHECK_STR(s->auths[0].user, "alice@example.test");
            CHECK_INT(s->auths[1].ok, 0);
            CHECK_STR(s->auths[1].user, "bob@example.test");
            CHECK_INT(s->auths[2].ok, 1);
            CHECK_STR(s->auths[2].user, "alice@example.test");
        }
        CHECK_INT(s->nqids, 1);
        CHECK_INT(s->closed, 1);
    }
    const struct msl_message *m = msg(&k, "91DEFA721E5", 0);
    CHECK(m && m->session_id == (k.ns ? k.s[0]->id : 0));
    /* the disconnect counters show no DATA: the transaction never completed */
    CHECK(m && m->end == MSL_END_REJECTED && m->seen_receipt);
    coll_free(&k);
}

/* Rule: NOQUEUE rejects attach to their session (stage/from/to/helo); three connections
 * on one pid are three sessions. */
static void t_noqueue_rejects(void)
{
    struct coll k;
    run(&k, NOQUEUE, N(NOQUEUE), 0);
    CHECK_INT(k.ns, 3);
    CHECK_INT(k.nm, 0);
    if (k.ns == 3) {
        for (size_t i = 0; i < 3; i++) {
            CHECK_INT(k.s[i]->nrejects, 1);
            CHECK_INT(k.s[i]->closed, 1);
            CHECK_INT(k.s[i]->pid, 5298);
        }
        const struct msl_reject_rec *r = &k.s[0]->rejects[0];
        CHECK_INT(r->noqueue, 1);
        CHECK_INT(r->action, MSL_ACT_REJECT);
        CHECK_STR(r->stage, "RCPT");
        CHECK_STR(r->code, "554");
        CHECK_STR(r->dsn, "5.7.1");
        CHECK_STR(r->from, "spam@elsewhere.test");
        CHECK_STR(r->to, "victim@elsewhere.test");
        CHECK_STR(r->helo, "spam.elsewhere.test");
        CHECK_STR(k.s[0]->helo, "spam.elsewhere.test");
        CHECK_STR(k.s[2]->rejects[0].from, "spammer@bad.test");
        CHECK(k.s[0]->id < k.s[1]->id && k.s[1]->id < k.s[2]->id);
    }
    coll_free(&k);
}

/* Rule: a CONNECT on a live host+pid closes the old session (pid reuse, no disconnect). */
static void t_pid_reuse(void)
{
    struct coll k;
    const char *const lines[] = {NOQUEUE[0], NOQUEUE[1], NOQUEUE[3], NOQUEUE[4], NOQUEUE[5]};
    run(&k, lines, N(lines), 0);
    CHECK_INT(k.ns, 2);
    if (k.ns == 2) {
        CHECK_INT(k.s[0]->closed, 0);
        CHECK_INT(k.s[0]->saw_disconnect, 0);
        CHECK_INT(k.s[0]->nrejects, 1);
        CHECK_INT(k.s[0]->nlines, 2);
        CHECK_INT(k.s[1]->closed, 1);
        CHECK_STR(k.s[1]->rejects[0].to, "someone@outside.test");
    }
    coll_free(&k);
}

/* Rule: a transaction that never reached qmgr ends MSL_END_REJECTED at its session's end
 * (smtpd RCPT reject with no successful DATA); milter-reject is kept as an action. */
static void t_rejected_transactions(void)
{
    struct coll k;
    run(&k, REJECTED, N(REJECTED), 0);
    const struct msl_message *m = msg(&k, "D155CDC24C3", 0);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->end, MSL_END_REJECTED);
        CHECK_INT(m->nactions, 1);
        CHECK_INT(m->actions[0].action, MSL_ACT_REJECT);
        CHECK_STR(m->actions[0].stage, "RCPT");
        CHECK_INT(m->final, MSL_ST_NONE);
        CHECK_STR(m->helo, "localhost");
    }
    CHECK_INT(k.ns, 1);
    if (k.ns == 1) { /* the NOQUEUE filter action; the RCPT reject with a qid is the message's */
        CHECK_INT(k.s[0]->nrejects, 1);
        if (k.s[0]->nrejects == 1)
            CHECK_INT(k.s[0]->rejects[0].action, MSL_ACT_FILTER);
    }
    coll_free(&k);

    run(&k, MILTER, N(MILTER), 0);
    m = msg(&k, "B37FD2E05B9", 0);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->nactions, 2);
        CHECK_INT(m->actions[0].action, MSL_ACT_MILTER_REJECT);
        CHECK_STR(m->actions[0].stage, "END-OF-MESSAGE");
        CHECK_INT(m->end, MSL_END_OPEN_AT_EOF); /* no disconnect in this excerpt */
    }
    coll_free(&k);
}

/* Rule: postscreen verdicts (and dnsblog) go to the next smtpd session of that client IP;
 * a client dropped by postscreen is a postscreen-only session. */
static void t_postscreen(void)
{
    struct coll k;
    run(&k, POSTSCREEN, N(POSTSCREEN), 0);
    CHECK_INT(k.ns, 1);
    if (k.ns == 1) {
        const struct msl_session *s = k.s[0];
        CHECK_STR(s->program, "postfix/smtpd");
        CHECK_INT(s->nverdicts, 2);
        if (s->nverdicts == 2) {
            CHECK_STR(s->verdicts[0], "dnsblog h-3824e3d85a1cce");
            CHECK_STR(s->verdicts[1], "PASS OLD");
        }
        CHECK_INT(s->nlines, 5);
        CHECK_INT(s->closed, 0);
        CHECK_STR(s->tls_proto, "TLSv1.3");
    }
    coll_free(&k);
    run(&k, PREGREET, N(PREGREET), 0);
    CHECK_INT(k.ns, 1);
    if (k.ns == 1) {
        CHECK_STR(k.s[0]->program, "postfix/postscreen");
        CHECK_INT(k.s[0]->closed, 1);
        CHECK_INT(k.s[0]->nverdicts, 1);
        if (k.s[0]->nverdicts == 1)
            CHECK_STR(k.s[0]->verdicts[0], "PREGREET");
        CHECK_STR(k.s[0]->client_ip, "222.85.244.30");
    }
    coll_free(&k);
}

/* Rule: whatever is open at the end is handed over marked (end / closed = 0). */
static void t_open_at_eof(void)
{
    struct coll k;
    run(&k, REINJECT, 6, 0); /* up to the qmgr line, before the disconnect */
    CHECK_INT(k.nm, 1);
    CHECK_INT(k.ns, 1);
    if (k.nm == 1) {
        CHECK_INT(k.m[0]->end, MSL_END_OPEN_AT_EOF);
        CHECK_INT(k.m[0]->final, MSL_ST_NONE);
    }
    if (k.ns == 1)
        CHECK_INT(k.s[0]->closed, 0);
    coll_free(&k);
}

/* Rule: records idle for idle_us of log time are closed by the periodic sweep. */
static void t_idle_close(void)
{
    struct coll k;
    struct msl_correlator *c = new_corr(&k, 0, 500000, 0); /* 0.5 s of log time */
    CHECK(c != NULL);
    if (!c)
        return;
    feed(c, REUSE, 3); /* BABABABABA at 01:24:11, never removed */
    CHECK_INT(msl_correlator_open_messages(c), 1);
    /* 65536+ later events: the NOQUEUE connections of Nov 27 */
    for (int i = 0; i < 22000; i++)
        feed(c, NOQUEUE, 3);
    const struct msl_message *m = msg(&k, "BABABABABA", 0);
    CHECK(m && m->end == MSL_END_IDLE);
    CHECK(m && m->client_ip && strcmp(m->client_ip, "170.55.103.23") == 0);
    msl_correlator_finish(c);
    msl_correlator_free(c);
    coll_free(&k);
}

/* Evidence: every event is a line in input order; keep_lines copies the raw text;
 * max_lines caps with lines_dropped. */
static void t_evidence_lines(void)
{
    struct coll k;
    run(&k, REINJECT, N(REINJECT), 1);
    const struct msl_message *a = msg(&k, "BA8F630001DA", 0);
    CHECK(a != NULL);
    if (a) {
        CHECK_INT(a->nlines, 6);
        CHECK_INT(a->lines[0].ev.line, 3);
        CHECK_INT(a->lines[0].kind, MSL_EV_RECEIVED);
        CHECK_STR(a->lines[0].text, REINJECT[2]);
        CHECK_INT(a->lines[5].kind, MSL_EV_QUEUE_REMOVED);
        for (size_t i = 1; i < a->nlines; i++)
            CHECK(a->lines[i].ev.line > a->lines[i - 1].ev.line);
        CHECK_INT(a->lines_dropped, 0);
    }
    coll_free(&k);
    run(&k, REINJECT, N(REINJECT), 0);
    a = msg(&k, "BA8F630001DA", 0);
    CHECK(a && a->nlines == 6 && a->lines[0].text == NULL);
    coll_free(&k);
    struct msl_correlator *c = new_corr(&k, 1, 0, 2);
    feed(c, REINJECT, N(REINJECT));
    msl_correlator_finish(c);
    msl_correlator_free(c);
    a = msg(&k, "BA8F630001DA", 0);
    CHECK(a && a->nlines == 2 && a->lines_dropped == 4);
    coll_free(&k);
}

static size_t heap_in_use(void)
{
#ifdef HAVE_MALLINFO2
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
#else
    return 0;
#endif
}

/* Memory follows open records: complete lifecycles leave nothing open and the heap flat. */
static void t_memory_flat(void)
{
    struct coll k;
    struct msl_correlator *c = new_corr(&k, 1, 0, 0);
    CHECK(c != NULL);
    if (!c)
        return;
    size_t base = 0;
    k.nokeep = 1;
    for (int i = 0; i < 3000; i++) {
        feed(c, REINJECT, N(REINJECT));
        feed(c, BOUNCE, N(BOUNCE));
        CHECK_INT(msl_correlator_open_messages(c), 0);
        CHECK_INT(msl_correlator_open_sessions(c), 0);
        if (i == 299)
            base = heap_in_use();
    }
    size_t after = heap_in_use();
    CHECK(after <= base + 64 * 1024);
    if (after > base + 64 * 1024)
        fprintf(stderr, "  heap grew from %zu to %zu bytes\n", base, after);
    CHECK(k.extra_m > 10000); /* records really went through */
    msl_correlator_finish(c);
    msl_correlator_free(c);
    coll_free(&k);
}

int main(void)
{
    g_tz = msl_tz_load("UTC");
    if (!g_tz) {
        fprintf(stderr, "no UTC zone\n");
        return 1;
    }
    RUN(t_queue_id_reuse);
    RUN(t_reinjection_links);
    RUN(t_bounce_links);
    RUN(t_expired);
    RUN(t_auth_failures_then_success);
    RUN(t_noqueue_rejects);
    RUN(t_pid_reuse);
    RUN(t_rejected_transactions);
    RUN(t_postscreen);
    RUN(t_open_at_eof);
    RUN(t_idle_close);
    RUN(t_evidence_lines);
    RUN(t_memory_flat);
    msl_tz_free(g_tz);
    return unit_done("t_correlate");
}
