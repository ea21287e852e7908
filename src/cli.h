/* cli.h - command-line options shared by every command (src/ only). */
#ifndef MSL_CLI_H
#define MSL_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes (documented in doc/mailsleuth.1). */
#define EXIT_OK 0
#define EXIT_FINDINGS 1
#define EXIT_USAGE 2
#define EXIT_INPUT 3
#define EXIT_INTERNAL 4

struct cli {
    const char *command;
    const char *format; /* text|json|jsonl|csv; NULL = command default */
    const char *tz;     /* NULL = machine zone */
    const char *dialect;
    const char *log_format; /* force a file format */
    int detect;             /* formats --detect */
    const char *against;    /* verify --against MANIFEST */
    const char *output;     /* report -o FILE ("-" = stdout) */
    const char *db;         /* ingest, sql: --db CASE.sqlite */
    const char *since, *until;
    int year;
    int top;
    int unparsed;   /* print not-understood lines to stderr */
    int quiet;      /* no progress, no problem messages */
    int jobs;       /* -j: threads (0 = by the machine) */
    int progress;   /* 1 --progress, -1 --no-progress, 0 auto (stderr is a terminal) */
    const char *color; /* --color=auto|always|never; NULL = auto */
    int expr;       /* trace: the query is a search expression */
    int sessions;   /* search: match sessions */
    int recipients; /* search: one row per recipient outcome */
    int events;     /* search: match events */
    size_t block_size;
    size_t sort_mem;
    size_t trace_mem; /* trace: bytes of the first pass's window (0 = default) */
    const char *rules;         /* hunt --rules FILE */
    const char *fail_on;       /* hunt --fail-on SEVERITY */
    int show_lines;            /* hunt --show-lines */
    size_t max_evidence;       /* hunt --max-evidence N (0 = 10) */
    int print_rules;           /* hunt --print-rules */
#define CLI_MAX_LIST 64
    const char *local_domains[CLI_MAX_LIST]; /* hunt --local-domain (repeatable) */
    size_t nlocal_domains;
    const char *trusted_nets[CLI_MAX_LIST];  /* hunt --trusted-net (repeatable) */
    size_t ntrusted_nets;
    const char *geoip;                       /* hunt --geoip FILE (.mmdb) */
    const char *asn;                         /* hunt --asn FILE (.mmdb) */
    const char *ip_lists[CLI_MAX_LIST];      /* hunt --ip-list NAME=FILE (repeatable) */
    size_t nip_lists;
    const char *protected_domains[CLI_MAX_LIST]; /* hunt --protected-domain (repeatable) */
    size_t nprotected_domains;
    const char *site_configs[CLI_MAX_LIST]; /* hunt --site-config PATH (repeatable) */
    size_t nsite_configs;
    const char *site_files[CLI_MAX_LIST];   /* hunt --site FILE (repeatable) */
    size_t nsite_files;
    const char *alerts[16];    /* watch --alert SPEC (repeatable) */
    size_t nalerts;
    const char *syslog_facility; /* watch --syslog-facility NAME */
    const char *min_severity;  /* watch --min-severity SEV */
    const char *state;         /* watch --state FILE */
    long idle;                 /* watch --idle SECONDS (0 = 3600) */
    int poll;                  /* watch --poll */
    int from_start;            /* watch --from-start */
    int updates;               /* watch --updates */
    long exec_timeout;         /* watch --exec-timeout SECONDS (0 = 10) */
    long exec_queue;           /* watch --exec-queue N (0 = 64) */
    const char **paths;
    size_t npaths;
};

/* Parses argv (after the command word).  Prints the error and returns EXIT_USAGE on bad
 * usage, -1 when help/version was printed (exit 0), else 0. */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_usage(FILE *out);
/* Parses a --since/--until value in zone tz into UTC microseconds; 0 on error. */
struct msl_tz;
int cli_parse_time(const char *s, const struct msl_tz *tz, int64_t *out);

#endif
