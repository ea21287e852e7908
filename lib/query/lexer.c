/*
 * lexer.c - tokens of the search language.
 *
 * One pass, no backtracking beyond a short look-ahead for "name:" / "name>=".  At a token
 * start (after blanks):
 *   ( )             parentheses
 *   ! - && ||       NOT, NOT, AND, OR (operators, only at a token start)
 *   "..."           quoted bareword
 *   name OP value   a term when name is [A-Za-z][A-Za-z_-]* and OP is : > >= < <= =; the value
 *                   is a "quoted string" or runs to the next blank or parenthesis
 *   AND OR NOT      keywords (case-insensitive, unquoted words only)
 *   anything else   a bareword, up to the next blank or parenthesis
 * Values are decoded into 16-bit cells: bytes 0..255, Q_STAR and Q_QMARK for unescaped
 * wildcards.  A backslash makes the next byte literal (\" \\ \* \? \( \) and "\ ").  All
 * cells live in the caller's array, which has room for the whole input, since a decoded
 * value is never longer than its source.
 */
#include <string.h>

#include "query/query_int.h"

void q_lex_init(struct q_lexer *lx, const char *s, size_t n, uint16_t *cells)
{
    lx->s = s;
    lx->n = n;
    lx->pos = 0;
    lx->cells = cells;
    lx->ncells = 0;
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_stop(unsigned char c)
{
    return is_blank(c) || c == '(' || c == ')';
}

static int kw_eq(const char *p, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (q_lower[(unsigned char)p[i]] != (unsigned char)kw[i])
            return 0;
    return 1;
}

/* Decodes a quoted string starting at the opening quote; returns -1 if unterminated. */
static int lex_quoted(struct q_lexer *lx, struct q_token *t)
{
    size_t i = lx->pos + 1;
    uint16_t *out = lx->cells + lx->ncells;
    size_t k = 0;
    while (i < lx->n && lx->s[i] != '"') {
        unsigned char c = (unsigned char)lx->s[i];
        if (c == '\\' && i + 1 < lx->n) {
            out[k++] = (unsigned char)lx->s[i + 1];
            i += 2;
            continue;
        }
        out[k++] = c == '*' ? Q_STAR : c == '?' ? Q_QMARK : c;
        i++;
    }
    if (i >= lx->n)
        return -1;
    t->v = out;
    t->nv = k;
    t->quoted = 1;
    lx->ncells += k;
    lx->pos = i + 1;
    return 0;
}

/* Decodes an unquoted run up to a blank or parenthesis. */
static void lex_raw(struct q_lexer *lx, struct q_token *t)
{
    size_t i = lx->pos;
    uint16_t *out = lx->cells + lx->ncells;
    size_t k = 0;
    while (i < lx->n && !is_stop((unsigned char)lx->s[i])) {
        unsigned char c = (unsigned char)lx->s[i];
        if (c == '\\' && i + 1 < lx->n) {
            out[k++] = (unsigned char)lx->s[i + 1];
            i += 2;
            continue;
        }
        out[k++] = c == '*' ? Q_STAR : c == '?' ? Q_QMARK : c;
        i++;
    }
    t->v = out;
    t->nv = k;
    t->quoted = 0;
    lx->ncells += k;
    lx->pos = i;
}

static void lex_error(struct q_lexer *lx, struct q_token *t, size_t at, const char *msg)
{
    t->type = QT_ERROR;
    t->col = at + 1;
    t->errmsg = msg;
    lx->pos = lx->n;
}

/* After a quoted string only a blank, a parenthesis or the end may follow. */
static int after_quote_ok(const struct q_lexer *lx)
{
    return lx->pos >= lx->n || is_stop((unsigned char)lx->s[lx->pos]);
}

void q_lex_next(struct q_lexer *lx, struct q_token *t)
{
    memset(t, 0, sizeof *t);
    while (lx->pos < lx->n && is_blank((unsigned char)lx->s[lx->pos]))
        lx->pos++;
    t->col = lx->pos + 1;
    if (lx->pos >= lx->n) {
        t->type = QT_EOF;
        return;
    }
    const char *s = lx->s;
    size_t p = lx->pos;
    unsigned char c = (unsigned char)s[p];
    if (c == '(' || c == ')') {
        t->type = c == '(' ? QT_LPAREN : QT_RPAREN;
        lx->pos++;
        return;
    }
    if (c == '!' || c == '-') {
        t->type = QT_NOT;
        lx->pos++;
        return;
    }
    if ((c == '&' || c == '|') && p + 1 < lx->n && s[p + 1] == (char)c) {
        t->type = c == '&' ? QT_AND : QT_OR;
        lx->pos += 2;
        return;
    }
    if (c == '"') {
        t->type = QT_WORD;
        t->vcol = t->col;
        if (lex_quoted(lx, t) < 0) {
            lex_error(lx, t, p, "unterminated quoted string");
            return;
        }
        if (!after_quote_ok(lx))
            lex_error(lx, t, lx->pos, "trailing junk after quoted string");
        return;
    }
    /* name OP value? */
    if (is_alpha(c)) {
        size_t e = p;
        while (e < lx->n && (is_alpha((unsigned char)s[e]) || s[e] == '-' || s[e] == '_'))
            e++;
        if (e < lx->n && (s[e] == ':' || s[e] == '<' || s[e] == '>' || s[e] == '=')) {
            t->type = QT_TERM;
            t->name = s + p;
            t->nname = e - p;
            if (s[e] == ':' || s[e] == '=') {
                t->cmp = QC_EQ;
                e++;
            } else if (e + 1 < lx->n && s[e + 1] == '=') {
                t->cmp = s[e] == '<' ? QC_LE : QC_GE;
                e += 2;
            } else {
                t->cmp = s[e] == '<' ? QC_LT : QC_GT;
                e++;
            }
            if (s[e - 1] == ':')
                t->cmp = QC_NONE; /* ':' : the field decides (string match or '=') */
            lx->pos = e;
            t->vcol = e + 1;
            if (e < lx->n && s[e] == '"') {
                if (lex_quoted(lx, t) < 0) {
                    lex_error(lx, t, e, "unterminated quoted string");
                    return;
                }
                if (!after_quote_ok(lx))
                    lex_error(lx, t, lx->pos, "trailing junk after quoted string");
                return;
            }
            lex_raw(lx, t);
            return;
        }
    }
    lex_raw(lx, t);
    t->type = QT_WORD;
    t->vcol = t->col;
    size_t wn = lx->pos - p;
    if (kw_eq(s + p, wn, "and"))
        t->type = QT_AND;
    else if (kw_eq(s + p, wn, "or"))
        t->type = QT_OR;
    else if (kw_eq(s + p, wn, "not"))
        t->type = QT_NOT;
}
