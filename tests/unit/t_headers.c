/* t_headers.c - Received headers in every common MTA's form, dates, encoded words, and
 * the header block's limits (lib/headers). */
#include <stdlib.h>
#include <string.h>

#include "mailsleuth/headers.h"
#include "mailsleuth/mailsleuth.h"
#include "unit.h"

static struct msl_received rcv(const char *v)
{
    struct msl_received r;
    CHECK(msl_received_parse(v, strlen(v), &r) == MSL_OK);
    return r;
}

#define S(x) ((x) ? (x) : "(null)")

static void t_postfix(void)
{
    /* as Postfix 3.7 wrote it into tests/corpus/headers/mail/mx2-grace.mbox, unfolded */
    struct msl_received r = rcv("from mx1.example.test (unknown [127.0.0.11]) by mx2.example.test "
                                "(Postfix) with ESMTP id D431DA727F8; Mon,  7 Dec 2026 12:49:19 "
                                "+0000 (UTC)");
    CHECK_STR(S(r.helo), "mx1.example.test");
    CHECK_STR(S(r.rdns), "unknown");
    CHECK_STR(S(r.ip), "127.0.0.11");
    CHECK_STR(S(r.by), "mx2.example.test");
    CHECK_STR(S(r.with), "ESMTP");
    CHECK_STR(S(r.id), "D431DA727F8");
    CHECK(r.for_addr == NULL);
    CHECK_INT(r.ts, msl_hdr_date("7 Dec 2026 12:49:19 +0000", 25));
    CHECK(r.tls == 0);
    msl_received_free(&r);
}

static void t_exim(void)
{
    /* Exim 4.96's default received_header_text, with TLS and AUTH */
    struct msl_received r = rcv("from [127.0.0.5] (helo=laptop.example.test) by exim.example.test "
                                "with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) "
                                "(envelope-from <dave@example.test>) id 1xWwmI-0003oH-20 for "
                                "grace@chain.test; Fri, 27 Nov 2026 14:18:18 +0000");
    CHECK_STR(S(r.helo), "laptop.example.test");
    CHECK_STR(S(r.ip), "127.0.0.5");
    CHECK_STR(S(r.by), "exim.example.test");
    CHECK_STR(S(r.with), "esmtpsa");
    CHECK_STR(S(r.id), "1xWwmI-0003oH-20");
    CHECK_STR(S(r.for_addr), "grace@chain.test");
    CHECK(r.tls == 1);
    CHECK(r.ts != 0);
    msl_received_free(&r);
    /* with a reverse DNS name: "from NAME ([IP] helo=HELO)" */
    r = rcv("from mail.partner.test ([192.0.2.7] helo=mx.partner.test) by exim.example.test "
            "with esmtp (Exim 4.96) (envelope-from <a@partner.test>) id 1xWwmJ-0003qe-1l for "
            "dave@example.test; Fri, 27 Nov 2026 14:18:19 +0000");
    CHECK_STR(S(r.helo), "mx.partner.test");
    CHECK_STR(S(r.rdns), "mail.partner.test");
    CHECK_STR(S(r.ip), "192.0.2.7");
    msl_received_free(&r);
}

static void t_sendmail_opensmtpd(void)
{
    struct msl_received r = rcv("from ws1.example.test (localhost [127.0.0.1]) by "
                                "mx2.example.test (8.17.1.9/8.17.1.9/Debian-2) with ESMTP id "
                                "6AREAcM6004997 for <alice@example.test>; Fri, 27 Nov 2026 "
                                "14:10:38 GMT");
    CHECK_STR(S(r.id), "6AREAcM6004997");
    CHECK_STR(S(r.for_addr), "alice@example.test");
    CHECK_STR(S(r.ip), "127.0.0.1");
    CHECK_INT(r.ts, msl_hdr_date("Fri, 27 Nov 2026 14:10:38 +0000", 31));
    msl_received_free(&r);
    r = rcv("from exim.example.test (localhost [127.0.0.1]) by mx3.example.test (OpenSMTPD) "
            "with ESMTPS id fc75a57d (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) for "
            "<frank@remote.test>; Fri, 27 Nov 2026 14:18:14 +0000 (UTC)");
    CHECK_STR(S(r.id), "fc75a57d");
    CHECK_STR(S(r.by), "mx3.example.test");
    CHECK(r.tls == 1);
    msl_received_free(&r);
}

static void t_exchange_gmail(void)
{
    struct msl_received r = rcv("from relay.email.com (192.168.10.10) by EXCHANGE.email.local "
                                "(192.168.100.51) with Microsoft SMTP Server id 14.3.123.3; Sat, "
                                "6 Jun 2015 05:34:59 +0200");
    CHECK_STR(S(r.helo), "relay.email.com");
    CHECK_STR(S(r.ip), "192.168.10.10");
    CHECK_STR(S(r.by), "EXCHANGE.email.local");
    CHECK_STR(S(r.id), "14.3.123.3");
    CHECK_INT(r.ts, msl_hdr_date("6 Jun 2015 03:34:59 +0000", 25));
    msl_received_free(&r);
    r = rcv("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by "
            "mx.google.com with SMTPS id a1sor123 for <x@example.com> (Google Transport "
            "Security); Tue, 01 Dec 2026 10:00:00 -0800 (PST)");
    CHECK_STR(S(r.ip), "209.85.220.41");
    CHECK_STR(S(r.for_addr), "x@example.com");
    CHECK(r.tls == 1);
    msl_received_free(&r);
    /* IPv6 literal, a comment inside the date part, garbage */
    r = rcv("from h (h [IPv6:2001:db8::5]) by mx; junk");
    CHECK_STR(S(r.ip), "2001:db8::5");
    CHECK(r.ts == 0);
    msl_received_free(&r);
    r = rcv("((((((((((((((((( by");
    CHECK(r.by == NULL);
    msl_received_free(&r);
}

static void t_block(void)
{
    const char *h = "Received: from a (a [192.0.2.1])\n\tby mx1.example.test (Postfix) with ESMTP"
                    " id Q1;\n\tMon,  7 Dec 2026 12:00:00 +0000\nMessage-ID:\n <m1@x>\n"
                    "Subject: =?utf-8?Q?caf=C3=A9?= =?ISO-8859-1?B?4Q==?=\n"
                    "DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1;\n\nbody\n";
    struct msl_hdr_msg m = {0};
    CHECK(msl_hdr_parse(h, strlen(h), &m) == MSL_OK);
    CHECK(m.error == NULL);
    CHECK_INT(m.nrcv, 1);
    CHECK_STR(S(m.rcv[0].id), "Q1");
    CHECK_STR(S(m.msgid), "m1@x");
    CHECK_STR(S(m.subject), "caf\xc3\xa9\xc3\xa1"); /* two encoded words, no space between */
    CHECK_STR(S(m.dkim_domain), "example.test");
    msl_hdr_msg_free(&m);
    /* more Received headers than kept: counted */
    char *many = malloc(100 * 40 + 1);
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(many + n, "Received: from x by mx%d id Q%d; x\n", i, i);
    struct msl_hdr_msg m2 = {0};
    CHECK(msl_hdr_parse(many, n, &m2) == MSL_OK);
    CHECK_INT(m2.nrcv, MSL_HDR_MAX_RECEIVED);
    CHECK_INT(m2.rcv_dropped, 100 - MSL_HDR_MAX_RECEIVED);
    msl_hdr_msg_free(&m2);
    free(many);
    struct msl_hdr_msg m3 = {0};
    CHECK(msl_hdr_parse("no colon here\n", 14, &m3) == MSL_OK);
    CHECK(m3.error != NULL);
    msl_hdr_msg_free(&m3);
}

static void t_dates(void)
{
    CHECK_INT(msl_hdr_date("Thu, 1 Jan 1970 00:00:01 +0000", 30), 1000000);
    CHECK_INT(msl_hdr_date("1 Jan 1970 01:00:00 +0100", 25), 0);
    CHECK_INT(msl_hdr_date("Thu, 1 Jan 1970 00:00:00 EST", 28), 5LL * 3600 * 1000000);
    CHECK_INT(msl_hdr_date("not a date", 10), 0);
    CHECK_INT(msl_hdr_date("32 Jan 2026 10:00:00 +0000", 26), 0);
}

int main(void)
{
    RUN(t_postfix);
    RUN(t_exim);
    RUN(t_sendmail_opensmtpd);
    RUN(t_exchange_gmail);
    RUN(t_block);
    RUN(t_dates);
    return unit_done("t_headers");
}
