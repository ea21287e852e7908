/* t_html.c - the HTML report's escaper (lib/report/html_escape.c) and its SVG charts. */
#include <stdlib.h>

#include "report/html.h"
#include "unit.h"

static struct buf out;

/* The escaped text of s (valid until the next call). */
static const char *esc(const char *s, size_t n, size_t max)
{
    buf_free(&out);
    buf_init(&out, 1 << 20);
    html_esc(&out, s, n, max);
    return out.p ? out.p : "";
}

static void t_entities_text_and_attribute(void)
{
    const char *p = "<script>document.title='x'</script>";
    CHECK_STR(esc(p, strlen(p), 0),
              "&lt;script&gt;document.title=&#39;x&#39;&lt;/script&gt;");
    p = "\"><img src=x onerror=\"alert(1)\">";
    CHECK_STR(esc(p, strlen(p), 0), "&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    p = "a&amp;b";
    CHECK_STR(esc(p, strlen(p), 0), "a&amp;amp;b");
}

static void t_controls_and_invalid_utf8(void)
{
    /* NUL, ESC, C1 CSI, an invalid byte; valid UTF-8 stays */
    CHECK_STR(esc("a\0b\x1b[1m\xc2\x9b\xff\xc3\xa9", 12, 0), "a\\x00b\\x1b[1m\\xc2\\x9b\\xff\xc3\xa9");
}

static void t_bidi_controls_visible(void)
{
    /* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LRI, U+200F RLM, U+061C ALM */
    const char *p = "a\xe2\x80\xae" "exe.gnp\xe2\x81\xa6x\xe2\x80\x8fy\xd8\x9cz";
    CHECK_STR(esc(p, strlen(p), 0), "a[U+202E]exe.gnp[U+2066]x[U+200F]y[U+061C]z");
    /* other characters of those blocks stay: U+2014 EM DASH, U+0627 ALEF */
    p = "\xe2\x80\x94\xd8\xa7";
    CHECK_STR(esc(p, strlen(p), 0), "\xe2\x80\x94\xd8\xa7");
}

static void t_cut_at_character_boundary(void)
{
    /* "é" is 2 bytes: a cut at 2 must not split the second one */
    CHECK_STR(esc("a\xc3\xa9\xc3\xa9z", 6, 2), "a\xe2\x80\xa6 [5 more bytes]");
    CHECK_STR(esc("abcdef", 6, 3), "abc\xe2\x80\xa6 [3 more bytes]");
    CHECK_STR(esc("abc", 3, 3), "abc");
    /* a 1 MB sender shows as its first bytes */
    char *big = malloc(1 << 20);
    memset(big, '<', 1 << 20);
    const char *o = esc(big, 1 << 20, 10);
    CHECK(strlen(o) < 100);
    CHECK(strncmp(o, "&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;\xe2\x80\xa6", 43) == 0);
    free(big);
    struct buf b;
    buf_init(&b, 1024);
    html_esc_label(&b, "abcdef", 6, 3);
    CHECK_STR(b.p, "abc\xe2\x80\xa6");
    buf_free(&b);
}

static void t_base64(void)
{
    struct buf b;
    buf_init(&b, 1024);
    html_base64(&b, (const unsigned char *)"foobar", 6);
    buf_adds(&b, " ");
    html_base64(&b, (const unsigned char *)"foob", 4);
    buf_adds(&b, " ");
    html_base64(&b, (const unsigned char *)"fooba", 5);
    CHECK_STR(b.p, "Zm9vYmFy Zm9vYg== Zm9vYmE=");
    buf_free(&b);
}

static void t_svg_labels_escaped(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct svg_bar rows[2] = {{"<b>x</b>", 8, 5}, {"\"onload=\"", 9, 1}};
    svg_bars(&b, "c1", "Top", "messages", rows, 2, 3);
    CHECK(strstr(b.p, "<b>") == NULL);
    CHECK(strstr(b.p, "&lt;b&gt;x&lt;/b&gt;") != NULL);
    CHECK(strstr(b.p, "&quot;onload=&quot;") != NULL);
    CHECK(strstr(b.p, "3 more not shown") != NULL);
    CHECK(strstr(b.p, "style=") == NULL); /* geometry in attributes: CSP needs no unsafe-inline */
    buf_reset(&b);
    struct svg_series s[2] = {{"ok", "c-ok"}, {"bad", "c-bad"}};
    long long v[6] = {1, 2, 0, 0, 4, 4};
    const char *x[3] = {"13:00", "14:00", "15:00"};
    svg_stacked(&b, "c2", "Per hour", "messages per hour", "hour, UTC", s, 2, v, 3, x);
    CHECK(strstr(b.p, "messages per hour") != NULL);
    CHECK(strstr(b.p, "hour, UTC") != NULL);
    CHECK(strstr(b.p, "15:00: 4 bad") != NULL); /* tooltip of the last column's top block */
    CHECK(strstr(b.p, ">8</text>") != NULL);    /* y axis reaches the tallest column (8) */
    buf_free(&b);
}

int main(void)
{
    RUN(t_entities_text_and_attribute);
    RUN(t_controls_and_invalid_utf8);
    RUN(t_bidi_controls_visible);
    RUN(t_cut_at_character_boundary);
    RUN(t_base64);
    RUN(t_svg_labels_escaped);
    int rc = unit_done("t_html");
    buf_free(&out);
    return rc;
}
