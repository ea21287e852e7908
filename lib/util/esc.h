/*
 * esc.h - escaping of attacker-controlled log content for each output.
 *   text: terminal-safe.  C0/C1 controls, DEL, invalid UTF-8 and '\' become \xNN / \\, so a
 *         log line can never drive the investigator's terminal (no ANSI/OSC sequences);
 *         bidi controls and invisible characters become \u202e, so a sender cannot render
 *         as another address ("Trojan Source").
 *   json: the same characters and C1 controls as \u escapes (the value is kept).
 *   json: the content of a JSON string.  Invalid UTF-8 bytes become the text \xNN (as
 *         "\\xNN"), so output is always valid UTF-8 JSON.
 *   csv:  one RFC 4180 field, always quoted; controls escaped as for text; a leading
 *         = + - @ TAB CR gets a ' prefix so spreadsheets do not run it as a formula.
 *   html: & < > " ' as entities, controls as for text.
 */
#ifndef MSL_UTIL_ESC_H
#define MSL_UTIL_ESC_H

#include <stddef.h>

#include "util/buf.h"

int esc_text(struct buf *b, const char *p, size_t n);
int esc_json(struct buf *b, const char *p, size_t n);
/* One member of a JSON object after the first: ,"key":"value" with the value escaped
 * (key is the program's own, written as it is). */
int esc_json_member(struct buf *b, const char *key, const char *p, size_t n);
int esc_csv(struct buf *b, const char *p, size_t n);
int esc_html(struct buf *b, const char *p, size_t n);

/* Length of the valid UTF-8 sequence starting at p (1..4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *p, size_t n);
/* The code point of the valid sequence p[0..len) when it is one that reorders or hides
 * text (bidi controls, zero-width characters, separators, BOM), shown as \uXXXX by every
 * writer; else 0. */
unsigned utf8_hidden_cp(const unsigned char *p, size_t len);

#endif
