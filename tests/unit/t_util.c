/* t_util.c - buf, esc, strmap, calendar, cidr and the JSON \u decoder. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/buf.h"
#include "mailsleuth/calendar.h"
#include "util/cidr.h"
#include "util/esc.h"
#include "util/json_unesc.h"
#include "util/strmap.h"

static void t_buf_limit(void)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK_INT(buf_adds(&b, "12345"), 0);
    CHECK(buf_adds(&b, "6789") != 0);
    CHECK(b.err != 0);
    CHECK_STR(b.p, "12345");
    buf_reset(&b);
    buf_addi(&b, -42);
    CHECK_STR(b.p, "-42");
    buf_free(&b);
}

static void t_esc_text(void)
{
    struct buf b;
    buf_init(&b, 1024);
    /* ANSI escape, C1 CSI (c2 9b), invalid byte, backslash; valid UTF-8 kept */
    esc_text(&b, "a\x1b[31mb\xc2\x9b\xff\\ \xc3\xa9", 14);
    CHECK_STR(b.p, "a\\x1b[31mb\\xc2\\x9b\\xff\\\\ \xc3\xa9");
    buf_free(&b);
}

static void t_esc_json(void)
{
    struct buf b;
    buf_init(&b, 1024);
    esc_json(&b, "q\"\\\n\x01\xfe\xe2\x82\xac", 9);
    CHECK_STR(b.p, "q\\\"\\\\\\n\\u0001\\\\xfe\xe2\x82\xac");
    buf_free(&b);
}

static void t_esc_csv(void)
{
    struct buf b;
    buf_init(&b, 1024);
    esc_csv(&b, "=cmd|' /C calc'!A0", 18);
    CHECK_STR(b.p, "\"'=cmd|' /C calc'!A0\"");
    buf_reset(&b);
    esc_csv(&b, "a\"b,c", 5);
    CHECK_STR(b.p, "\"a\"\"b,c\"");
    buf_reset(&b);
    esc_html(&b, "<b>&'\"", 6);
    CHECK_STR(b.p, "&lt;b&gt;&amp;&#39;&quot;");
    buf_free(&b);
}

static void t_strmap(void)
{
    struct strmap *m = strmap_new(sizeof(long));
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        long *v = strmap_get(m, key, (size_t)n, NULL);
        *v = i;
    }
    CHECK_INT(strmap_len(m), 5000);
    for (int i = 0; i < 5000; i += 2) {
        int n = snprintf(key, sizeof key, "k%d", i);
        CHECK_INT(strmap_del(m, key, (size_t)n), 1);
    }
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        long *v = strmap_find(m, key, (size_t)n);
        if ((i % 2 == 0) != (v == NULL) || (v && *v != i))
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(strmap_len(m), 2500);
    size_t n;
    const struct strmap_entry **s = strmap_sorted(m, NULL, &n);
    CHECK_INT(n, 2500);
    CHECK_STR(s[0]->key, "k1");
    free(s);
    strmap_free(m);
}

static void t_esc_json_member(void)
{
    struct buf b;
    buf_init(&b, 1024);
    esc_json_member(&b, "from", "a\"b\n", 4);
    CHECK_STR(b.p, ",\"from\":\"a\\\"b\\n\"");
    buf_free(&b);
}

/* decode TEXT (what follows "\\u") -> the UTF-8 written and the bytes read, or -1 */
static int unesc(const char *text, char *out, size_t *used)
{
    int n = json_unesc_u(text, text + strlen(text), out, used);
    if (n >= 0)
        out[n] = 0;
    return n;
}

static void t_json_unesc(void)
{
    char o[8];
    size_t used = 0;
    CHECK_INT(unesc("0041rest", o, &used), 1);
    CHECK_STR(o, "A");
    CHECK_INT((long)used, 4);
    CHECK_INT(unesc("00e9", o, &used), 2);
    CHECK_STR(o, "\xc3\xa9");
    CHECK_INT(unesc("202E", o, &used), 3); /* RIGHT-TO-LEFT OVERRIDE, as journald writes it */
    CHECK_STR(o, "\xe2\x80\xae");
    CHECK_INT(unesc("d83d\\ude00", o, &used), 4); /* a surrogate pair: one emoji */
    CHECK_STR(o, "\xf0\x9f\x98\x80");
    CHECK_INT((long)used, 10);
    CHECK_INT(unesc("d83dx", o, &used), 3); /* lone high half */
    CHECK_STR(o, "\xef\xbf\xbd");
    CHECK_INT((long)used, 4);
    CHECK_INT(unesc("dc00", o, &used), 3); /* lone low half */
    CHECK_INT(unesc("12g4", o, &used), -1);
    CHECK_INT(unesc("12", o, &used), -1); /* cut short */
}

static void t_calendar(void)
{
    CHECK_INT((long)msl_days_from_civil(1970, 1, 1), 0);
    CHECK_INT((long)msl_days_from_civil(2024, 2, 29), 19782);
    int y, m, d;
    msl_civil_from_days(19782, &y, &m, &d);
    CHECK_INT(y * 10000 + m * 100 + d, 20240229);
    msl_civil_from_days(-1, &y, &m, &d);
    CHECK_INT(y * 10000 + m * 100 + d, 19691231);
}

static void t_cidr(void)
{
    struct msl_cidr c;
    const char *why = NULL;
    CHECK_INT(msl_cidr_parse(&c, "192.0.2.0/24", 12, &why), 0);
    CHECK_INT(msl_cidr_match(&c, "192.0.2.77", 10), 1);
    CHECK_INT(msl_cidr_match(&c, "::ffff:192.0.2.77", 17), 1); /* dual-stack listener */
    CHECK_INT(msl_cidr_match(&c, "192.0.3.1", 9), 0);
    CHECK_INT(msl_cidr_parse(&c, "10.0.0.0/33", 11, &why), -1);
    CHECK_STR(why, "bad CIDR prefix length");
    CHECK_INT(msl_cidr_parse(&c, "2001:db8::/32", 13, &why), 0);
    CHECK_INT(msl_cidr_match(&c, "2001:db8:1::5", 13), 1);
    CHECK_INT(msl_cidr_match(&c, "192.0.2.1", 9), 0); /* other family */
}

int main(void)
{
    RUN(t_buf_limit);
    RUN(t_esc_text);
    RUN(t_esc_json);
    RUN(t_esc_csv);
    RUN(t_strmap);
    RUN(t_esc_json_member);
    RUN(t_json_unesc);
    RUN(t_calendar);
    RUN(t_cidr);
    return unit_done("t_util");
}
