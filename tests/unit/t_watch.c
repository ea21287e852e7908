/* t_watch.c - lib/watch's parts: line splitting of a growing file (partial lines wait,
 * long lines are cut and flagged, CRLF), truncation and copies, the ledger's verdicts,
 * and the state file's round trip (odd bytes in paths and keys) and refusal of a torn one. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "watch/watch_int.h"

struct got {
    char lines[16][128];
    uint32_t flags[16];
    uint64_t off[16];
    size_t longest;
    int n, begins, ends;
};

static int s_begin(void *ctx, struct wf_file *f)
{
    (void)f;
    ((struct got *)ctx)->begins++;
    return 0;
}

static void s_line(void *ctx, struct wf_file *f, const char *p, size_t n, uint32_t flags,
                   uint64_t off)
{
    (void)f;
    struct got *g = ctx;
    if (n > g->longest)
        g->longest = n;
    if (g->n < 16) {
        snprintf(g->lines[g->n], sizeof g->lines[0], "%.*s", (int)(n < 100 ? n : 100), p);
        g->flags[g->n] = flags;
        g->off[g->n] = off;
    }
    g->n++;
}

static void s_end(void *ctx, struct wf_file *f)
{
    (void)f;
    ((struct got *)ctx)->ends++;
}

static void s_say(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
}

static char dir[] = "/tmp/t_watch.XXXXXX";

static void put(const char *path, const char *s, size_t n, int trunc)
{
    int fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : O_APPEND), 0600);
    CHECK(fd >= 0);
    CHECK((size_t)write(fd, s, n) == n);
    close(fd);
}

static void t_lines(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/log", dir);
    put(p, "one\ntw", 6, 1);
    struct got g = {0};
    struct wf_sink s = {&g, s_begin, s_line, s_end, s_say};
    struct wf_file *f = wf_open(p, 0, 0, &s);
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_INT(g.begins, 1);
    wf_read(f, 1 << 20, &s);
    CHECK_INT(g.n, 1); /* "tw" waits for its newline */
    CHECK_STR(g.lines[0], "one");
    CHECK_INT(f->offset, 4);
    CHECK_INT(f->rpos, 6);
    put(p, "o\r\nthree\n", 9, 0);
    wf_read(f, 1 << 20, &s);
    CHECK_INT(g.n, 3);
    CHECK_STR(g.lines[1], "two"); /* the carried half and the rest, CR dropped */
    CHECK_INT(g.off[1], 4);
    CHECK_STR(g.lines[2], "three");
    CHECK_INT(f->lineno, 3);
    /* a line longer than MSL_MAX_LINE is cut there and flagged; the next is whole */
    size_t big = MSL_MAX_LINE + 5000;
    char *b = malloc(big + 6);
    memset(b, 'x', big);
    memcpy(b + big, "\nok!\n", 5);
    put(p, b, big + 5, 0);
    free(b);
    wf_read(f, (size_t)1 << 30, &s);
    CHECK_INT(g.n, 5);
    CHECK_INT(g.longest, MSL_MAX_LINE);
    CHECK(g.flags[3] & MSL_LINE_TRUNCATED);
    CHECK_STR(g.lines[4], "ok!");
    CHECK(!(g.flags[4] & MSL_LINE_TRUNCATED));
    /* copytruncate: the size drops below what was read */
    CHECK_INT(wf_check_truncated(f, &s), 0);
    put(p, "new\n", 4, 1);
    CHECK_INT(wf_check_truncated(f, &s), 1);
    wf_restart(f, 0, 0, &s);
    CHECK_INT(g.ends, 1);
    CHECK_INT(g.begins, 2);
    wf_read(f, 1 << 20, &s);
    CHECK_STR(g.lines[5], "new");
    CHECK_INT(f->lineno, 1);
    CHECK_INT(wf_path_moved(f), 0);
    /* a copy being made: its bytes so far are the start of the original's */
    char c[256];
    snprintf(c, sizeof c, "%s/log.1", dir);
    put(c, "ne", 2, 1);
    int fd = open(c, O_RDONLY);
    CHECK_INT(wf_head_prefix(fd, f->headb, f->id.head_len), 1);
    close(fd);
    put(c, "other\n", 6, 1);
    fd = open(c, O_RDONLY);
    CHECK_INT(wf_head_prefix(fd, f->headb, f->id.head_len), 0);
    close(fd);
    /* rename rotation: the name is another file now */
    CHECK(rename(c, p) == 0);
    CHECK_INT(wf_path_moved(f), 1);
    wf_close(f, 1, &s);
    unlink(p);
}

static void t_ledger(void)
{
    struct ledger *l = ledger_new(2);
    CHECK_INT(ledger_offer(l, "a", 100, 200, 5, 3), LG_NEW);
    CHECK_INT(ledger_offer(l, "a", 100, 200, 5, 3), LG_OLD);
    CHECK_INT(ledger_offer(l, "a", 100, 300, 7, 3), LG_GREW);
    CHECK_INT(ledger_offer(l, "a", 150, 250, 3, 3), LG_OLD); /* overlaps: same incident */
    CHECK_INT(ledger_offer(l, "a", 300, 400, 5, 3), LG_NEW); /* starts where it ended */
    CHECK_INT(ledger_offer(l, "a", 100, 200, 5, 4), LG_OLD); /* the old one: not again */
    CHECK_INT(ledger_offer(l, "b", 10, 20, 1, 0), LG_NEW);
    CHECK_INT(ledger_count(l), 2);
    CHECK_INT(ledger_offer(l, "c", 500, 600, 1, 0), LG_NEW); /* full: oldest (b) goes */
    CHECK_INT(ledger_count(l), 2);
    CHECK_INT(ledger_dropped(l), 1);
    CHECK_INT(ledger_offer(l, "a", 300, 400, 5, 3), LG_OLD);
    ledger_free(l);
}

static void t_state(void)
{
    char p[256], log[256];
    snprintf(p, sizeof p, "%s/state", dir);
    snprintf(log, sizeof log, "%s/m a%%il\tlog", dir);
    put(log, "l1\nl2\n", 6, 1);
    struct got g = {0};
    struct wf_sink s = {&g, s_begin, s_line, s_end, s_say};
    struct wf_file *f = wf_open(log, 0, 0, &s);
    CHECK(f != NULL);
    if (!f)
        return;
    wf_read(f, 1 << 20, &s);
    struct ledger *l = ledger_new(0);
    ledger_offer(l, "rule\x1fip\x1f" "1.2.3.4\n%x\x1fmx\x1f" "count", 7, 9, 3, 2);
    struct wf_file *files[1] = {f};
    CHECK_INT(state_save(p, files, 1, l), 0);
    struct st_data d;
    struct ledger *l2 = ledger_new(0);
    char err[300];
    CHECK_INT(state_load(p, &d, l2, err, sizeof err), 0);
    CHECK_INT(d.nfiles, 1);
    if (d.nfiles == 1) {
        CHECK_STR(d.files[0].path, log);
        CHECK_INT(d.files[0].offset, 6);
        CHECK_INT(d.files[0].lineno, 2);
        CHECK_INT(d.files[0].id.ino, f->id.ino);
        CHECK_STR(d.files[0].id.head, f->id.head);
    }
    CHECK_INT(ledger_count(l2), 1);
    CHECK_INT(ledger_offer(l2, "rule\x1fip\x1f" "1.2.3.4\n%x\x1fmx\x1f" "count", 7, 9, 3, 2),
              LG_OLD);
    state_data_free(&d);
    /* a torn state (no "end") is refused, a missing one is an empty start */
    FILE *fp = fopen(p, "r+");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fclose(fp);
        CHECK(truncate(p, n - 4) == 0);
    }
    CHECK_INT(state_load(p, &d, l2, err, sizeof err), -1);
    CHECK(strstr(err, "not a watch state file") != NULL);
    unlink(p);
    CHECK_INT(state_load(p, &d, l2, err, sizeof err), 0);
    CHECK_INT(d.nfiles, 0);
    ledger_free(l);
    ledger_free(l2);
    wf_close(f, 0, &s);
    unlink(log);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(t_lines);
    RUN(t_ledger);
    RUN(t_state);
    rmdir(dir);
    return unit_done("t_watch");
}
