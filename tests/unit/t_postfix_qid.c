/* t_postfix_qid.c - strict Postfix queue ids and the enqueue time of long ids. */
#include <stdint.h>

#include "mailsleuth/dialect.h"
#include "unit.h"

static int qid(const char *s, int64_t *t)
{
    return msl_postfix_qid(s, strlen(s), t);
}

static void t_short(void)
{
    CHECK_INT(qid("0F5383D", NULL), 1);
    CHECK_INT(qid("65AFB8B5", NULL), 1);
    CHECK_INT(qid("3E29030F8637E", NULL), 1);
    CHECK_INT(qid("ED06590130AA1C9D6D862", NULL), 1); /* 5 + 16 hex: 64-bit inode */
    CHECK_INT(qid("ABCDE1", NULL), 1);
}

static void t_short_invalid(void)
{
    CHECK_INT(qid("", NULL), 0);
    CHECK_INT(qid("ABCDE", NULL), 0);     /* usec part alone */
    CHECK_INT(qid("0f5383d", NULL), 0);   /* lower-case hex: never */
    CHECK_INT(qid("NOQUEUE", NULL), 0);
    CHECK_INT(qid("FGHIJ67890", NULL), 0); /* fabricated */
    CHECK_INT(qid("ED06590130AA1C9D6D8621", NULL), 0); /* 22 hex: too long */
    CHECK_INT(qid("0F53 3D", NULL), 0);
}

static void t_long(void)
{
    int64_t t = 0;
    /* logged on Jul 5 06:52:11 -0600 (msimerson corpus): 12:52:11 UTC */
    CHECK_INT(qid("3mPVKl0Mhjz7sXv", &t), 2);
    CHECK_INT(t / 1000000, 1436100731);
    CHECK_INT(t % 1000000, 53285);
    t = 0;
    CHECK_INT(qid("48rT2v1hQrz1J0N", &t), 2);
    CHECK_INT(t / 1000000, 1585563559); /* 2020-03-30T10:19:19Z */
}

static void t_long_invalid(void)
{
    CHECK_INT(qid("3mPVKl0Mhjz", NULL), 0);   /* no inode */
    CHECK_INT(qid("3mPVKlz7sXv", NULL), 0);   /* time part too short */
    CHECK_INT(qid("3mPVKl0Mhaz7sXv", NULL), 0); /* vowel */
    CHECK_INT(qid("3mPVKl0Mhjz7sXe", NULL), 0); /* vowel in inode */
    CHECK_INT(qid("warning", NULL), 0);
    CHECK_INT(qid("statistics", NULL), 0);
    CHECK_INT(qid("3mPVKl0zzzzz7sXv", NULL), 0); /* usec "zzzz" >= 10^6 */
}

int main(void)
{
    RUN(t_short);
    RUN(t_short_invalid);
    RUN(t_long);
    RUN(t_long_invalid);
    return unit_done("t_postfix_qid");
}
