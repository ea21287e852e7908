/*
 * t_exchange.c - the Exchange message tracking, Exchange SMTP protocol and Microsoft 365
 * message trace formats, driven through their struct msl_format (detect/open/line/close)
 * like the pipeline does, plus the CSV splitter.  Every line is parsed at the very end of a
 * page followed by a PROT_NONE guard page, so reading one byte past the line faults.
 * Events are compared as their key=value rendering (model/event_kv.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dialect/csv_fields.h"
#include "mailsleuth/mailsleuth.h"
#include "model/event_kv.h"
#include "unit.h"

/* ---- guard-page line buffer ------------------------------------------------------------- */

static char *guard_base;
static size_t guard_page;

static const char *at_page_end(const char *s, size_t n)
{
    if (!guard_base) {
        guard_page = (size_t)sysconf(_SC_PAGESIZE);
        void *m = mmap(NULL, guard_page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED)
            abort();
        guard_base = m;
        mprotect(guard_base + guard_page * 2, guard_page, PROT_NONE);
    }
    if (n > guard_page * 2)
        abort();
    char *dst = guard_base + guard_page * 2 - n;
    memcpy(dst, s, n);
    return dst;
}

/* ---- running a format over lines --------------------------------------------------------- */

#define MAXEV 32
static char evs[MAXEV][2048];
static int nev;
static int nzero_null, nzero_why;
static const char *last_why;

static int collect(void *ctx, struct msl_event *e)
{
    (void)ctx;
    if (nev < MAXEV)
        msl_event_format_kv(e, evs[nev], sizeof evs[nev]);
    nev++;
    return 0;
}

/* Runs lines (separated by '\n') through format f in one state. */
static void run(const struct msl_format *f, const char *text)
{
    nev = nzero_null = nzero_why = 0;
    last_why = NULL;
    struct msl_format_src src = {0};
    void *st = f->open(&src);
    CHECK(st != NULL);
    if (!st)
        return;
    struct msl_emitter em = {NULL, collect};
    const char *p = text;
    uint64_t no = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        struct msl_line ln = {at_page_end(p, n), n, 0, 0, ++no, 0};
        const char *why = NULL;
        int r = f->line(st, &ln, &em, &why);
        CHECK(r >= 0);
        if (r == 0 && why) {
            nzero_why++;
            last_why = why;
        } else if (r == 0) {
            nzero_null++;
        }
        p = nl ? nl + 1 : p + n;
    }
    f->close(st);
}

/* Event i has every space-separated "key=value" token of want (values without blanks). */
static int has(int i, const char *want)
{
    if (i >= nev || i >= MAXEV)
        return 0;
    char tok[256];
    const char *w = want;
    while (*w) {
        while (*w == ' ')
            w++;
        size_t k = 0;
        while (w[k] && w[k] != ' ' && k + 1 < sizeof tok)
            k++;
        if (!k)
            break;
        /* " key=value " or at the start/end of the line */
        memcpy(tok + 1, w, k);
        tok[0] = ' ';
        tok[k + 1] = ' ';
        tok[k + 2] = '\0';
        char line[2100];
        size_t ln = strlen(evs[i]);
        line[0] = ' ';
        memcpy(line + 1, evs[i], ln);
        line[ln + 1] = ' ';
        line[ln + 2] = '\0';
        if (!strstr(line, tok)) {
            fprintf(stderr, "  event %d lacks [%.*s]: %s\n", i, (int)k, w, evs[i]);
            return 0;
        }
        w += k;
    }
    return 1;
}

static const char *lacks(int i, const char *key)
{
    return i < nev && i < MAXEV && strstr(evs[i], key) ? evs[i] : NULL;
}

static int detect(const struct msl_format *f, const char *text)
{
    struct msl_str v[64] = {{NULL, 0}};
    char *own[64];
    size_t n = 0;
    const char *p = text;
    while (*p && n < 64) {
        const char *nl = strchr(p, '\n');
        size_t k = nl ? (size_t)(nl - p) : strlen(p);
        own[n] = malloc(k ? k : 1); /* exact size: ASan sees any read past the line */
        if (!own[n])
            abort();
        memcpy(own[n], p, k);
        v[n] = (struct msl_str){own[n], k};
        n++;
        p = nl ? nl + 1 : p + k;
    }
    int sc = f->detect(v, n);
    for (size_t i = 0; i < n; i++)
        free(own[i]);
    return sc;
}

/* ---- message tracking -------------------------------------------------------------------- */

#define TRK_HDR                                                                              \
    "#Software: Microsoft Exchange Server\n#Version: 15.01.2375.007\n"                        \
    "#Log-type: Message Tracking Log\n#Date: 2022-09-19T15:02:29.339Z\n"                       \
    "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"    \
    "connector-id,source,event-id,internal-message-id,message-id,network-message-id,"          \
    "recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address," \
    "reference,message-subject,sender-address,return-path,message-info,directionality,"        \
    "tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id," \
    "schema-version\n"

static const struct msl_format *trk = &msl_format_exchange_msgtrk;

static void t_trk_receive_and_headers(void)
{
    run(trk, TRK_HDR
        "2024-01-25T15:16:09.949Z,10.11.12.14,exchange-mail.my.domain.com,10.11.12.14,"
        "exchange-mail,08DC1DB12C345BE5;2024-01-25T15:16:09.544Z;0,exchange-mail\\Default "
        "exchange-mail,SMTP,RECEIVE,70912345566403,<a@b>,1e6eb197,m@x.com,,7229,1,,,subj,"
        "root@h,root@h,0cA: ,Incoming,,10.11.12.13,10.11.12.14,S:X=1,Email,dc69,15.02\n");
    CHECK_INT(nzero_null, 5);
    CHECK_INT(nzero_why, 0);
    CHECK_INT(nev, 1);
    CHECK(has(0, "kind=RECEIVED qid=70912345566403 msgid=a@b from=root@h to=m@x.com size=7229 "
                 "nrcpt=1 client_host=exchange-mail.my.domain.com client_ip=10.11.12.14 "
                 "text=08DC1DB12C345BE5;2024-01-25T15:16:09.544Z;0 detail=RECEIVE "
                 "ts=2024-01-25T15:16:09.949000Z host=exchange-mail program=SMTP"));
    CHECK(!lacks(0, "pid="));
}

static void t_trk_multi_recipient(void)
{
    run(trk, TRK_HDR
        "2024-01-07T00:00:07.463Z,192.168.0.1,hub1,,mbx1,,,STOREDRIVER,DELIVER,77,<m@x>,,"
        "a@x.com;b@x.com;c@x.com,250 2.1.5 OK;550 5.1.1 bad;452 4.2.2 full,100,3,,,s,f@x,f@x,"
        ",,,,,,,,\n"
        "2024-01-07T00:00:08.000Z,10.0.0.1,hub1,10.0.0.9,next.example,\";250 2.6.0 <m@x> "
        "[InternalId=5450313518243, Hostname=n] Queued\",Outbound,SMTP,SEND,77,<m@x>,,"
        "d@y.com;e@y.com,250 2.1.5 Recipient OK,100,2,,,s,f@x,f@x,,,,,,,,,\n"
        "2024-01-07T00:00:09.000Z,,,,mbx1,,,SMTP,FAIL,78,<n@x>,,g@z.com,\"550 4.4.7 "
        "QUEUE.Expired; message expired\",5,1,,,s,,<>,,,,,,,,,\n"
        "2024-01-07T00:00:10.000Z,,,,mbx1,,,SMTP,DEFER,79,<o@x>,,h@z.com,451 4.4.0 later,5,1,,,"
        "s,f@x,f@x,,,,,,,,,\n");
    CHECK_INT(nev, 7);
    CHECK(has(0, "kind=DELIVERY qid=77 to=a@x.com status=sent code=250 dsn=2.1.5 host=mbx1 "
                 "program=STOREDRIVER detail=DELIVER"));
    CHECK(has(1, "to=b@x.com status=sent code=550 dsn=5.1.1"));
    CHECK(has(2, "to=c@x.com code=452"));
    CHECK(has(3, "kind=DELIVERY to=d@y.com status=sent relay_host=next.example "
                 "relay_ip=10.0.0.9 new_qid=5450313518243 host=hub1 detail=SEND "
                 "service=Outbound"));
    CHECK(!lacks(3, "client_ip"));
    CHECK(has(4, "to=e@y.com text=\"250 2.1.5 Recipient OK\""));
    CHECK(has(5, "kind=DELIVERY qid=78 to=g@z.com status=bounced from=\"\" dsn=4.4.7 "
                 "text=\"550 4.4.7 QUEUE.Expired; message expired\""));
    CHECK(has(6, "kind=DELIVERY qid=79 status=deferred code=451"));
}

static void t_trk_other_events(void)
{
    run(trk, TRK_HDR
        "2024-01-07T00:00:07.000Z,,,,mbx1,,,DSN,DSN,90,<m@x>,,a@x.com,,1,1,,<dsn@x>,s,f@x,f@x,"
        ",,,,,,,,\n"
        "2024-01-07T00:00:07.000Z,,,,mbx1,,,ROUTING,TRANSFER,90,<m@x>,,a@x.com,,1,1,,91,s,f@x,f@x,"
        ",,,,,,,,\n"
        "2024-01-07T00:00:07.000Z,,,,mbx1,,,ROUTING,REDIRECT,90,<m@x>,,new@x.com,,1,1,old@x.com,,"
        "s,f@x,f@x,,,,,,,,,\n"
        "2024-01-07T00:00:07.000Z,,,,mbx1,,,AGENT,FROBNICATE,90,<m@x>,,a@x.com,,1,1,,,s,f@x,f@x,"
        ",,,,,,,,\n"
        "2024-01-07T00:00:07.000Z,,,,mbx1,,,SMTP,HAREDIRECT,90,<m@x>,,a@x.com,,1,1,,,s,f@x,f@x,"
        ",,,,,,,,\n");
    CHECK_INT(nev, 5);
    CHECK(has(0, "kind=DSN_CREATED qid=90 text=<dsn@x> detail=DSN"));
    CHECK(has(1, "kind=INFO new_qid=91 detail=TRANSFER"));
    CHECK(has(2, "kind=INFO to=new@x.com orig_to=old@x.com detail=REDIRECT"));
    CHECK(has(3, "kind=INFO detail=FROBNICATE program=AGENT"));
    CHECK(has(4, "kind=INFO detail=HAREDIRECT"));
}

/* Header change mid-file: the new #Fields order applies to the following rows. */
static void t_trk_header_change_bom_quotes(void)
{
    run(trk, "\xEF\xBB\xBF#Software: Microsoft Exchange Server\n"
             "#Fields: date-time,event-id,internal-message-id,recipient-address,server-hostname,"
             "source-context\n"
             "2021-03-01T10:00:00Z,DELIVER,5,a@x.com,srv1,\"x, \"\"quoted\"\", y\"\n"
             "#Software: Microsoft Exchange Server\n"
             "#Fields: server-hostname,internal-message-id,date-time,event-id,recipient-address\n"
             "srv2,6,2021-03-01T10:00:01.5Z,FAIL,b@x.com\n"
             "not,a,row\n"
             "\n");
    CHECK_INT(nev, 2);
    CHECK(has(0, "kind=DELIVERY qid=5 to=a@x.com status=sent host=srv1"));
    CHECK(has(1, "kind=DELIVERY qid=6 to=b@x.com status=bounced host=srv2 "
                 "ts=2021-03-01T10:00:01.500000Z"));
    CHECK_INT(nzero_null, 4);
    CHECK_INT(nzero_why, 2);
    /* quoted INFO text with "" escapes and a comma */
    run(trk, "#Fields: date-time,event-id,source-context,server-hostname\n"
             "2021-03-01T10:00:00Z,SUBMIT,\"a, \"\"b\"\"\",srv\n");
    CHECK(has(0, "kind=INFO detail=SUBMIT host=srv"));
    CHECK(nev == 1 && strstr(evs[0], "text=\"a, \\\"b\\\"\""));
}

/* Rows without any header: the standard field set with that many columns. */
static void t_trk_headerless_2007(void)
{
    run(trk, "2010-05-01T00:00:00.000Z,1.2.3.4,cl,5.6.7.8,srv,ctx,conn,SMTP,RECEIVE,42,<m@x>,"
             "r@x,,10,1,,,subj,s@x,s@x,\n"
             "2010-05-01T00:00:00.000Z,1,2\n");
    CHECK_INT(nev, 1);
    CHECK(has(0, "kind=RECEIVED qid=42 msgid=m@x from=s@x to=r@x size=10 host=srv"));
    CHECK_INT(nzero_why, 1);
}

static void t_trk_detect(void)
{
    CHECK(detect(trk, TRK_HDR) >= 90);
    CHECK(detect(trk, "2010-05-01T00:00:00.000Z,1.2.3.4,cl,5.6.7.8,srv,ctx,conn,SMTP,RECEIVE,"
                      "42,<m@x>,r@x,,10,1,,,subj,s@x,s@x,\n") > 50);
    CHECK_INT(detect(trk, "Nov 27 13:14:15 mx1 postfix/smtpd[1]: connect from x[1.2.3.4]\n"), 0);
    CHECK_INT(detect(trk, ""), 0);
}

/* ---- SMTP protocol ------------------------------------------------------------------------ */

#define SMTP_HDR                                                                             \
    "#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n"                               \
    "#Log-type: SMTP Receive Protocol Log\n#Date: 2023-01-11T16:00:04.113Z\n"                  \
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"               \
    "remote-endpoint,event,data,context\n"
#define R(seq, ev, data) "2023-01-11T15:59:51.433Z,EX1\\Default Frontend EX1,08DC00000000000A," \
    seq ",10.0.0.1:25,1.2.3.4:5555," ev "," data "\n"
#define R2(seq, ev, data) "2023-01-11T15:59:52.000Z,EX1\\Default Frontend EX1,08DC00000000000B," \
    seq ",10.0.0.1:25,[2001:db8::1]:6666," ev "," data "\n"

static const struct msl_format *smtp = &msl_format_exchange_smtp;

static void t_smtp_session(void)
{
    run(smtp, SMTP_HDR R("0", "+", ",") R2("0", "+", ",") R("1", "<", "EHLO evil.example,")
        R("2", "<", "AUTH LOGIN,") R2("1", "<", "AUTH LOGIN,")
        R("3", "*", ",Inbound AUTH LOGIN failed because of LogonDenied")
        R("4", ">", "535 5.7.3 Authentication unsuccessful,")
        R("5", "*", ",User Name: bob@example.com")
        R2("2", "*", ",User Name: alice@example.com")
        R2("3", ">", "235 2.7.0 Authentication successful,")
        R("6", "<", "MAIL FROM:<s@evil.example> SIZE=5,")
        R("7", "<", "RCPT TO:<nobody@example.com>,")
        R("8", ">", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found,")
        R("9", "-", ",Remote"));
    CHECK_INT(nev, 14);
    CHECK(has(0, "kind=CONNECT client_ip=1.2.3.4 client_port=5555 detail=08DC00000000000A "
                 "count=0 host=EX1 program=SMTP-RECV"));
    CHECK(!lacks(0, "pid=")); /* -1: sessions are keyed by session-id (detail) */
    CHECK(has(1, "kind=CONNECT client_ip=2001:db8::1 client_port=6666"));
    CHECK(has(2, "kind=INFO helo=evil.example stage=EHLO"));
    CHECK(has(5, "kind=AUTH_FAIL sasl_method=LOGIN stage=AUTH"));
    CHECK(has(6, "kind=INFO code=535")); /* the same attempt: reported once */
    CHECK(has(7, "kind=INFO sasl_user=bob@example.com"));
    CHECK(has(9, "kind=AUTH_OK sasl_method=LOGIN sasl_user=alice@example.com "
                 "detail=08DC00000000000B"));
    CHECK(has(10, "kind=INFO from=s@evil.example stage=MAIL"));
    CHECK(has(11, "kind=INFO to=nobody@example.com stage=RCPT"));
    CHECK(has(12, "kind=REJECT to=nobody@example.com action=reject stage=RCPT code=550 "
                  "dsn=5.1.10"));
    CHECK(has(13, "kind=DISCONNECT text=Remote"));
    CHECK_INT(nzero_null, 5);
}

static void t_smtp_send_and_tls(void)
{
    run(smtp, "#Log-type: SMTP Send Protocol Log\n"
              "2024-01-25T15:14:39.460Z,Outbound,08DC1DB8591B22A0,0,,10.11.12.13:2525,*,,"
              "attempting to connect\n"
              "2024-01-25T15:14:40.508Z,Outbound,08DC1DB8591B22A0,1,,10.11.12.13:2525,*,,"
              "\"Failed to connect. Winsock error code: 10061, Win32 error code: 10061\"\n"
              "2024-01-25T15:14:41.000Z,Outbound,08DC1DB8591B22A1,1,10.0.0.1:1234,10.11.12.13:25,"
              "*,,\"TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using bulk "
              "encryption algorithm CALG_AES_256 with strength 256 bits\"\n"
              "2024-01-25T15:14:41.000Z,Outbound,08DC1DB8591B22A1,2,10.0.0.1:1234,10.11.12.13:25,"
              "?,odd,\n"
              "garbage\n");
    CHECK_INT(nev, 4);
    CHECK(has(0, "kind=INFO relay_ip=10.11.12.13 relay_port=2525 program=SMTP-SEND"));
    CHECK(has(1, "kind=CONN_FAIL relay_ip=10.11.12.13"));
    CHECK(has(2, "kind=TLS tls=SP_PROT_TLS1_2_CLIENT tls_cipher=CALG_AES_256"));
    CHECK(has(3, "kind=INFO stage=? text=odd"));
    CHECK_INT(nzero_why, 1);
}

static void t_smtp_detect(void)
{
    CHECK(detect(smtp, SMTP_HDR) >= 90);
    CHECK(detect(smtp, R("9", ">", "535 5.7.3 Authentication unsuccessful,")) > 50);
    CHECK_INT(detect(smtp, TRK_HDR), 0);
    CHECK_INT(detect(trk, SMTP_HDR), 0);
}

/* ---- Microsoft 365 ------------------------------------------------------------------------ */

static const struct msl_format *m365 = &msl_format_m365_trace;

static void t_m365_get_messagetrace_csv(void)
{
    run(m365, "\xEF\xBB\xBF#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting."
              "MessageTrace\n"
              "\"Organization\",\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\","
              "\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageTraceId\"\n"
              "\"o\",\"<a@b>\",\"2022-09-05T18:10:13.4907658\",\"s@x\",\"r@y\",\"Hi, \"\"you\"\"\","
              "\"Delivered\",\"1.1.1.1\",\"2.2.2.2\",\"87891\",\"cf7a\"\n"
              "o,<a@b>,9/5/2022 6:10:14 PM,s@x,r2@y,Hi,Failed,,2.2.2.2,10,cf7a\n"
              "o,<a@b>,2022-09-05T18:10:15Z,s@x,r3@y,Hi,Pending,,,10,cf7a\n"
              "o,<a@b>,2022-09-05T18:10:16,s@x,r4@y,Hi,Quarantined,,,10,cf7a\n"
              "o,<a@b>,2022-09-05T18:10:17,s@x,r5@y,Hi,FilteredAsSpam,,,10,cf7a\n"
              "o,<a@b>,2022-09-05T18:10:18,s@x,dl@y,Hi,Expanded,,,10,cf7a\n"
              "o,<a@b>,2022-09-05T18:10:19,s@x,r6@y,Hi,Received,,,10,cf7a\n"
              "o,<a@b>,yesterday,s@x,r6@y,Hi,Received,,,10,cf7a\n");
    CHECK_INT(nev, 7);
    CHECK(has(0, "kind=DELIVERY qid=cf7a msgid=a@b from=s@x to=r@y size=87891 "
                 "client_ip=2.2.2.2 relay_ip=1.1.1.1 status=sent detail=Delivered "
                 "ts=2022-09-05T18:10:13.490765Z host=exchange-online"));
    CHECK(has(1, "kind=DELIVERY to=r2@y status=bounced ts=2022-09-05T18:10:14.000000Z"));
    CHECK(has(2, "to=r3@y status=deferred"));
    CHECK(has(3, "kind=REJECT to=r4@y status=held action=hold"));
    CHECK(has(4, "kind=REJECT to=r5@y action=filter detail=FilteredAsSpam"));
    CHECK(has(5, "kind=INFO to=dl@y detail=Expanded"));
    CHECK(has(6, "kind=RECEIVED to=r6@y"));
    CHECK_INT(nzero_null, 2);
    CHECK_INT(nzero_why, 1);
}

static void t_m365_reports_and_json(void)
{
    /* historical search: enhanced summary and extended report */
    run(m365, "origin_timestamp_utc,sender_address,recipient_status,message_subject,total_bytes,"
              "message_id,network_message_id\n"
              "2023-04-01T08:00:00.000Z,s@x,\"a@y##Receive, Send;b@y##Receive, Fail\",subj,10,"
              "<m@x>,nm1\n"
              "date_time_utc,client_ip,event_id,network_message_id,recipient_address,"
              "recipient_status,sender_address,message_id\n"
              "2023-04-01T08:00:01.000Z,3.3.3.3,DELIVER,nm2,c@y;d@y,250 2.0.0 OK,s@x,<n@x>\n");
    CHECK_INT(nev, 4);
    CHECK(has(0, "kind=DELIVERY qid=nm1 to=a@y status=sent detail=Send"));
    CHECK(has(1, "kind=DELIVERY to=b@y status=bounced detail=Fail"));
    CHECK(has(2, "kind=DELIVERY qid=nm2 msgid=n@x to=c@y client_ip=3.3.3.3 status=sent "
                 "code=250 dsn=2.0.0"));
    CHECK(has(3, "to=d@y status=sent"));
    /* JSON records with \u escapes; broken JSON is reported */
    run(m365, "{\"MessageId\":\"\\u003ca@b\\u003e\",\"MessageTraceId\":\"t1\",\"Received\":"
              "\"2022-09-05T18:10:13.49\",\"RecipientAddress\":\"r@y\",\"SenderAddress\":\"s@x\","
              "\"Size\":5,\"Status\":\"Failed\",\"Nested\":{\"a\":[1,\"}\"]},\"ToIP\":null}\n"
              "{\"Received\":\"2022-09-05T18:10:13\",\"Status\":\"Delivered\",\"Subject\":\"\\ud83d"
              "\\ude00\"}\n"
              "{\"Received\":\"2022-09-05T18:10:13\",\"Status\":\"Deliv\n");
    CHECK_INT(nev, 2);
    CHECK(has(0, "kind=DELIVERY qid=t1 msgid=a@b from=s@x to=r@y size=5 status=bounced "
                 "ts=2022-09-05T18:10:13.490000Z"));
    CHECK(!lacks(0, "relay_ip"));
    CHECK(has(1, "kind=DELIVERY status=sent"));
    CHECK_INT(nzero_why, 1);
}

static void t_m365_detect(void)
{
    CHECK(detect(m365, "\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Status\"\n") >= 90);
    CHECK(detect(m365, "{\"MessageTraceId\":\"x\",\"Received\":\"2022-09-05T18:10:13\"}\n") > 50);
    CHECK_INT(detect(m365, TRK_HDR), 0);
    CHECK_INT(detect(m365, "{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":\"x\"}\n"), 0);
}

/* ---- the CSV splitter --------------------------------------------------------------------- */

static void t_csv_split(void)
{
    struct csv_scratch s = {0};
    struct msl_str f[8];
    size_t total;
    const char *src = "a,\"b,\"\"c\"\"\",,\"open";
    const char *l = at_page_end(src, strlen(src));
    size_t n = csv_split(l, strlen(src), ',', f, 8, &s, &total);
    CHECK_INT(n, 4);
    CHECK_INT(total, 4);
    CHECK_VIEW(f[0], "a");
    CHECK_VIEW(f[1], "b,\"c\"");
    CHECK_VIEW(f[2], "");
    CHECK_VIEW(f[3], "open");
    l = at_page_end("x,y,", 4);
    n = csv_split(l, 4, ',', f, 2, &s, &total);
    CHECK_INT(n, 2);
    CHECK_INT(total, 3);
    l = at_page_end("\"", 1);
    n = csv_split(l, 1, ',', f, 8, &s, &total);
    CHECK_INT(n, 1);
    CHECK_VIEW(f[0], "");
    l = at_page_end("\"\"\"", 3);
    n = csv_split(l, 3, ',', f, 8, &s, &total);
    CHECK_VIEW(f[0], "\"");
    struct msl_str b = csv_strip_bom((struct msl_str){"\xEF\xBB\xBFx", 4});
    CHECK_VIEW(b, "x");
    struct msl_str code, dsn;
    csv_reply_code((struct msl_str){"250 2.1.5Recipient OK", 21}, &code, &dsn);
    CHECK_VIEW(code, "250");
    CHECK_VIEW(dsn, "2.1.5");
    csv_scratch_free(&s);
}

int main(void)
{
    RUN(t_trk_receive_and_headers);
    RUN(t_trk_multi_recipient);
    RUN(t_trk_other_events);
    RUN(t_trk_header_change_bom_quotes);
    RUN(t_trk_headerless_2007);
    RUN(t_trk_detect);
    RUN(t_smtp_session);
    RUN(t_smtp_send_and_tls);
    RUN(t_smtp_detect);
    RUN(t_m365_get_messagetrace_csv);
    RUN(t_m365_reports_and_json);
    RUN(t_m365_detect);
    RUN(t_csv_split);
    return unit_done("t_exchange");
}
