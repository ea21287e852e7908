/*
 * watch_int.h - the parts of `watch` (lib/watch only; the contract is mailsleuth/watch.h).
 */
#ifndef MSL_WATCH_INT_H
#define MSL_WATCH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "mailsleuth/correlate.h"
#include "mailsleuth/mailsleuth.h"
#include "mailsleuth/watch.h"
#include "util/buf.h"

#define WF_HEAD 4096 /* bytes of a file's start that identify it with dev and inode */

/* A file's identity: device, inode and the SHA-256 of its first head_len bytes. */
struct wf_id {
    uint64_t dev, ino;
    uint32_t head_len;
    char head[65];
};

/* One open instance of a followed file (follow.c). */
struct wf_file {
    char *path;         /* the name it was opened under */
    int fd;             /* -1 for stdin's end, else the open file */
    int is_stdin;
    struct wf_id id;
    char headb[WF_HEAD]; /* the head's bytes: a copy in the making is recognised by them */
    uint64_t offset;    /* bytes handed on as complete lines */
    uint64_t rpos;      /* bytes read (offset + the carried partial line) */
    uint64_t lineno;    /* lines handed on */
    uint64_t replay_to; /* lines before this offset were read by an earlier run */
    struct buf carry;   /* a partial line waiting for its newline */
    int carry_cut;      /* the carried line was longer than MSL_MAX_LINE */
    uint32_t src;       /* source id in the run */
    struct msl_feed *feed;
    int rotated;        /* the path names another file now: drain, then let go */
    int parked;         /* a copy of a live file: read only if the original is truncated */
    int64_t eof_since;  /* wall ms since it sits at its end (rotated files are let go) */
    int from_dir;       /* found in a watched directory */
    int gone;           /* let go: the loop frees it */
    int eof;            /* the last read found the end (stdin: the writer closed it) */
};

/* Lines are handed over through this (watch.c feeds them to the pipeline). */
struct wf_sink {
    void *ctx;
    int (*begin)(void *ctx, struct wf_file *f);
    void (*line)(void *ctx, struct wf_file *f, const char *p, size_t n, uint32_t flags,
                 uint64_t offset);
    void (*end)(void *ctx, struct wf_file *f);
    void (*say)(void *ctx, const char *path, const char *msg); /* a note for stderr */
};

/* follow.c */
/* 0 or -1; headb (may be NULL) receives the head's bytes. */
int wf_identity(int fd, const struct stat *st, struct wf_id *id, char *headb);
/* fd's content so far (at least one byte) is a prefix of head (a copy being made of it, or
 * made), or head is a prefix of it: 1. */
int wf_head_prefix(int fd, const char *headb, uint32_t head_len);
int wf_same_head(int fd, const struct wf_id *id); /* fd's first id->head_len bytes match */
int wf_is_compressed(int fd);
struct wf_file *wf_open(const char *path, int from_dir, int at_end, const struct wf_sink *s);
struct wf_file *wf_stdin(const struct wf_sink *s);
/* Reads what is there (at most max bytes); complete lines go to the sink.  Returns bytes
 * read, 0 at the end, -1 on error (said). */
ssize_t wf_read(struct wf_file *f, size_t max, const struct wf_sink *s);
/* Checks truncation (size below offset: restart at 0).  Returns 1 when truncated. */
int wf_check_truncated(struct wf_file *f, const struct wf_sink *s);
/* The path now names a different file (or none): 1 rotated, 0 same. */
int wf_path_moved(const struct wf_file *f);
void wf_restart(struct wf_file *f, uint64_t offset, uint64_t lineno, const struct wf_sink *s);
/* Lets go of f (and frees it).  final: the file will not grow again (a rotated file let
 * go), so a last line without newline is handed on; else it is left for a later run. */
void wf_close(struct wf_file *f, int final, const struct wf_sink *s);

/* ledger.c: which findings were raised (by key) and how far each got. */
struct ledger;
enum ledger_verdict { LG_OLD = 0, LG_NEW, LG_GREW };
struct ledger *ledger_new(size_t cap);
void ledger_free(struct ledger *l);
/* One finding seen: new incident, grown, or nothing new. */
enum ledger_verdict ledger_offer(struct ledger *l, const char *key, int64_t first, int64_t last,
                                 uint64_t total, int sev);
size_t ledger_count(const struct ledger *l);
uint64_t ledger_dropped(const struct ledger *l);
/* Every entry, for the state file. */
void ledger_each(const struct ledger *l,
                 void (*cb)(void *ctx, const char *key, int64_t first, int64_t last,
                            uint64_t total, int sev),
                 void *ctx);
/* "rule\x1ftype\x1fentity\x1fhost" of a finding; entity names as printed. */
void ledger_key(struct buf *b, const struct msl_finding *f, const struct msl_run *run);

/* alert.c */
struct alerts;
struct alerts *alerts_open(const struct msl_watch_opts *o, char *err, size_t errsz);
void alerts_free(struct alerts *a);
/* kind: "raised" or "updated"; json is the finding's object. */
void alerts_send(struct alerts *a, const char *kind, int sev, const char *rule,
                 const char *title, const char *etype, const char *entity, const char *json);
void alerts_reopen(struct alerts *a);         /* SIGHUP */
void alerts_service(struct alerts *a, int64_t now_ms); /* exec hooks: feed, reap, time out */
int alerts_poll_fds(struct alerts *a, struct pollfd *p, size_t cap); /* fds to wait on */
int64_t alerts_next_ms(const struct alerts *a); /* next deadline, or -1 */
void alerts_drain(struct alerts *a, int64_t deadline_ms); /* at exit */
void alerts_stats(const struct alerts *a, uint64_t *sent, uint64_t *dropped,
                  uint64_t *hook_fail);

/* state.c */
struct st_file {
    char *path;
    struct wf_id id;
    uint64_t offset, lineno;
};
struct st_data {
    struct st_file *files;
    size_t nfiles;
};
/* Loads FILE into d and the raised findings into l.  0 (also when FILE does not exist),
 * -1 when it exists but is not a state file (err says why). */
int state_load(const char *path, struct st_data *d, struct ledger *l, char *err, size_t errsz);
void state_data_free(struct st_data *d);
/* Writes atomically (temporary file, fsync, rename).  0 or -1 (errno). */
int state_save(const char *path, struct wf_file *const *files, size_t nfiles,
               const struct ledger *l);

int64_t watch_now_ms(void);

/* probe.c: runs child(ctx, fd) in a forked copy of this process (copy-on-write, so it sees
 * the hunt and correlator as they are now and changes nothing here); what it writes to fd
 * is returned in out.  0, or -1 when no child could be made. */
int probe_run(void (*child)(void *ctx, int fd), void *ctx, struct buf *out);

/* ---- the loop's state, shared by watch.c (the loop), files.c (which files, how far) and
 * raise.c (findings to alerts) ---------------------------------------------------------- */
#define PROBE_MS 200
#define SAVE_MS 5000
#define GRACE_MS 10000     /* a rotated file this long without growth is let go */
#define PARK_MS 60000      /* a parked copy whose original was never truncated */
#define READ_SLICE (4u << 20)
#define MAX_FILES 1024
#define GONE_MAX 256
#define IGNORED_MAX 1024

struct target {
    char *path;
    char *dir;  /* the directory to scan: the path itself, or an explicit file's parent */
    const char *base; /* explicit file: its name in dir (copies start with it) */
    int is_dir, is_stdin;
    struct wf_file *cur;
};

struct gone {
    struct wf_id id;
    uint64_t offset, lineno;
    char headb[WF_HEAD];
};

struct ignored {
    uint64_t dev, ino;
    int64_t size, mtime;
};

struct w {
    const struct msl_watch_opts *o;
    struct msl_run run;
    struct msl_sink sink;
    struct msl_hunt_opts ho;
    struct msl_hunt *h;
    struct msl_correlator *c;
    struct alerts *al;
    struct ledger *lg;
    struct target *t;
    size_t nt;
    struct wf_file *f[MAX_FILES];
    size_t nf;
    struct gone gone[GONE_MAX];
    size_t ngone;
    struct ignored ign[IGNORED_MAX];
    size_t nign;
    struct st_data st;
    int have_state;
    struct wf_sink ws;
    int ino_fd;
    int startup;
    uint32_t next_src;
    int64_t newest_ts;
    int dirty_events;
    int64_t last_probe, probe_cost;
    int probe_fd;
    int state_dirty, raised_unsaved;
    int64_t last_save, last_idle;
    uint64_t lines, replayed, bytes, rotations, truncations, probes, raised, updated, files_max;
    uint64_t files_dropped;
};


/* watch.c */
void watch_say(void *ctx, const char *path, const char *msg); /* escaped, unless quiet */
void watch_save_state(struct w *w);
/* files.c */
struct wf_file *files_add(struct w *w, struct wf_file *f); /* NULL (and f closed) past the cap */
void files_let_go(struct w *w, size_t i, int final);
void files_check(struct w *w);            /* rotated? truncated? new files? */
void files_read(struct w *w, int *more);  /* *more: a file has more than one slice waiting */
int files_replaying(const struct w *w);   /* a file is still below its replay offset */
/* raise.c */
void raise_on_emit(void *ctx, const struct msl_finding *f); /* msl_hunt_opts.on_emit */
void raise_probe(struct w *w);

#endif
