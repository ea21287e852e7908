/*
 * query_int.h - internals of the search language (include/mailsleuth/query.h).
 *
 * Layout (jq-style, one job per file):
 *   lexer.c     bytes -> tokens (keywords, parentheses, FIELD op VALUE terms, barewords);
 *               values are decoded into 16-bit cells so an escaped \* stays a literal star
 *   parser.c    recursive descent (depth-limited) -> a flat node array; msl_query_compile
 *   value.c     typed values: numbers with k/m/g, times, status/kind name sets
 *   wildcard.c  compiled * / ? patterns: fast paths + segments found in linear time (KMP)
 *   eval.c      matching messages, sessions and events; msl_query_time_bounds
 *
 * The AST is an array of nodes; AND/OR nodes keep their operands as a sibling list, so a
 * long chain "a b c d ..." is one node with many children and evaluation recursion is
 * bounded by the nesting limit, not by the expression length.
 */
#ifndef MSL_QUERY_INT_H
#define MSL_QUERY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mailsleuth/query.h"
#include "util/cidr.h"

#define Q_MAX_DEPTH 64

/* Value cells: 0..255 literal bytes, then the two wildcards. */
#define Q_STAR 256u
#define Q_QMARK 257u

enum q_field {
    QF_ANY = 0, /* bareword: from, to, msgid, qid, ip, user, client */
    QF_FROM,
    QF_TO,
    QF_RCPT_DOMAIN,
    QF_FROM_DOMAIN,
    QF_IP,
    QF_CLIENT,
    QF_USER,
    QF_HOST,
    QF_MSGID,
    QF_QID,
    QF_HELO,
    QF_STATUS,
    QF_FINAL,
    QF_RELAY,
    QF_DSN,
    QF_TEXT,
    QF_KIND,
    QF_SINCE,
    QF_UNTIL,
    QF_SIZE,
    QF_NRCPT,
    QF_OUTCOME,  /* a recipient's outcome (delivered relayed forwarded deferred ...) */
    QF_ATTEMPTS, /* a recipient's number of delivery attempts */
    QF__COUNT
};

enum q_cmp { QC_NONE = 0, QC_EQ, QC_LT, QC_LE, QC_GT, QC_GE };

/* ---- lexer ---- */

enum q_tok {
    QT_EOF = 0,
    QT_LPAREN,
    QT_RPAREN,
    QT_AND,
    QT_OR,
    QT_NOT,
    QT_TERM, /* FIELD op VALUE */
    QT_WORD, /* bareword or quoted bareword */
    QT_ERROR
};

struct q_token {
    enum q_tok type;
    size_t col;          /* 1-based column of the token */
    const char *name;    /* QT_TERM: field name as written */
    size_t nname;
    enum q_cmp cmp;      /* QT_TERM: QC_EQ for ':' */
    size_t vcol;         /* column of the value */
    const uint16_t *v;   /* decoded value cells */
    size_t nv;
    int quoted;          /* the value was a "quoted string" */
    const char *errmsg;  /* QT_ERROR: static reason */
};

struct q_lexer {
    const char *s;
    size_t n, pos;
    uint16_t *cells; /* value storage, >= n cells */
    size_t ncells;
};

void q_lex_init(struct q_lexer *lx, const char *s, size_t n, uint16_t *cells);
void q_lex_next(struct q_lexer *lx, struct q_token *t);

/* ---- patterns ---- */

enum q_pat_kind { QP_EXACT = 0, QP_PREFIX, QP_SUFFIX, QP_CONTAINS, QP_ANY, QP_GENERAL };

struct q_pat {
    enum q_pat_kind kind;
    const char *lit; /* lowercased literal core (EXACT/PREFIX/SUFFIX/CONTAINS) */
    size_t nlit;
    const uint16_t *tok; /* QP_GENERAL: lowercased cells, no repeated stars */
    size_t ntok;
    const int32_t *fail; /* KMP tables: per segment of tok (GENERAL), of lit (CONTAINS) */
};

/* Compiles cells (wrap = surround with stars) into p; lit/tok/fail storage comes from the
 * caller's arenas, each needing nv + 2 free slots (fail: beside tok).  Never fails. */
void q_pat_compile(struct q_pat *p, const uint16_t *v, size_t nv, int wrap, char *litbuf,
                   uint16_t *tokbuf, int32_t *failbuf);
int q_pat_match(const struct q_pat *p, const char *s, size_t n);
/* Case-insensitive ASCII lowering, shared by everyone. */
extern const unsigned char q_lower[256];

/* ---- typed values ---- */

/* Non-negative decimal with optional k/m/g (x1024) suffix; -1 on error. */
int q_parse_size(const char *s, size_t n, int64_t *out);
/* "2026-11-27", "2026-11-27T13:00[:SS[.frac]]", optional Z / +HH:MM / +HHMM; -1 on error. */
int q_parse_time(const char *s, size_t n, const struct msl_tz *tz, int64_t *utc_us);

/* Status-name bits (1u << enum msl_status), plus these two. */
#define Q_ST_REJECTED (1u << 30)
#define Q_ST_AUTHFAIL (1u << 29)
/* Names matching the (wildcard) pattern -> bit sets; 0 = nothing matched. */
uint32_t q_status_mask(const struct q_pat *p);
uint32_t q_kind_mask(const struct q_pat *p);
uint32_t q_outcome_mask(const struct q_pat *p);

/* ---- the compiled query ---- */

enum q_node_type { QN_AND = 0, QN_OR, QN_NOT, QN_TERM };

struct q_node {
    uint8_t type;
    uint8_t field;
    uint8_t cmp;
    uint8_t use_cidr; /* QF_IP / bareword ip part: c is valid */
    int32_t first;    /* AND/OR/NOT: first child; -1 none */
    int32_t next;     /* next sibling; -1 none */
    uint32_t mask;    /* status/final/kind bit set */
    int64_t num;      /* size/nrcpt operand, since/until time */
    struct q_pat pat;
    struct msl_cidr cidr;
};

struct msl_query {
    struct q_node *nodes;
    size_t nnodes;
    int32_t root;
    uint16_t *cells; /* lexer values */
    uint16_t *toks;  /* pattern cells */
    int32_t *fails;  /* their KMP tables (wildcard.c), index for index */
    char *lits;      /* pattern literals */
};

#endif
