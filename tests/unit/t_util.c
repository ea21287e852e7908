/* t_util.c - buf, esc and strmap. */
#include <stdlib.h>

#include "unit.h"
#include "util/buf.h"
#include "util/esc.h"
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

int main(void)
{
    RUN(t_buf_limit);
    RUN(t_esc_text);
    RUN(t_esc_json);
    RUN(t_esc_csv);
    RUN(t_strmap);
    return unit_done("t_util");
}
