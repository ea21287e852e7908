/*
 * cli.c - option parsing and the help text.  The help text, the man page (doc/mailsleuth.1)
 * and tests/cli/help.sh agree: the test checks every option listed here is in the man page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "color.h"
#include "mailsleuth/mailsleuth.h"

static const char usage_text[] =
    "usage: mailsleuth COMMAND [options] [FILE|DIR|-]...\n"
    "\n"
    "Forensic analysis of mail-server logs: reads plain, rotated, compressed (gzip, bzip2,\n"
    "xz, zstd) and archived (zip, tar) logs, turns every line into one event model, and\n"
    "answers with summaries and timelines that cite file:line.  Evidence is opened read-only.\n"
    "\n"
    "commands:\n"
    "  summary      totals, traffic per day/hour, top senders/recipients, deferrals,\n"
    "               bounces, rejects, SASL failures, warnings; per server (pflogsumm-class)\n"
    "  timeline     every event in time order across all inputs\n"
    "  trace QUERY  everything about the messages QUERY names (Message-ID, queue id, address,\n"
    "               IP or CIDR, SASL user), across servers, with the original log lines\n"
    "  search EXPR  messages (or --sessions, --events) matching a filter expression, e.g.\n"
    "               'user:alice@example.com AND status:sent since:2026-11-27' (doc/SEARCH.md)\n"
    "  verify       evidence manifest: SHA-256 of every input and archive member, format,\n"
    "               lines, events, time covered per host, gaps; --against MANIFEST proves\n"
    "               the evidence unchanged (exit 1 when it differs)\n"
    "  hunt         security findings: brute force, spraying, compromised accounts, bursts,\n"
    "               harvesting, relay probing, open relay, AUTH without TLS, spoofed and\n"
    "               look-alike senders, SPF/DKIM/DMARC failures, blocklisting, unusual\n"
    "               origins, TLS downgrades, unexpected relay paths, log integrity\n"
    "               (doc/DETECTIONS.md)\n"
    "  headers MESSAGE  a suspect message's own headers against the logs: every Received\n"
    "               hop confirmed (cited), contradicted (with the reason) or without\n"
    "               evidence; MESSAGE is a .eml or an mbox, '-' for stdin (doc/HEADERS.md)\n"
    "  report -o FILE.html  one self-contained HTML case report: overview with the inputs'\n"
    "               SHA-256, charts, findings with their evidence lines, message paths,\n"
    "               a sortable message table (doc/REPORT.md); -o - writes to stdout\n"
    "  ingest --db CASE.sqlite  parse, correlate and hunt once; write everything (sources\n"
    "               with SHA-256, events, messages, recipients, attempts, sessions, findings)\n"
    "               into a SQLite case file; files already in it are skipped, a grown file\n"
    "               adds its new lines (doc/SCHEMA.md)\n"
    "  sql --db CASE.sqlite STATEMENT  one read-only SQL statement against a case, as a\n"
    "               table, csv, json or jsonl (-f); e.g. 'SELECT * FROM v_auth_failures_by_ip'\n"
    "  watch PATH...  follow live logs (files, directories, '-' for stdin incl.\n"
    "               journalctl -o json) across rotation, run hunt's rules as lines arrive\n"
    "               and alert each finding once: --alert jsonl:FILE|syslog|exec:CMD\n"
    "  formats      list the log formats and envelopes mailsleuth reads;\n"
    "               formats --detect FILE... explains which format each file is read as\n"
    "  help         this text\n"
    "\n"
    "options:\n"
    "  -f, --format FMT   summary, trace, headers: text|json; timeline: text|jsonl|csv|\n"
    "                     ecs|ecs-bulk|splunk-hec (Elasticsearch, Splunk HEC);\n"
    "                     search: text|json|jsonl|csv; hunt: text|json|jsonl (default text);\n"
    "                     sql: table|csv|json|jsonl (default table)\n"
    "      --tz ZONE      zone of time stamps that carry none, and of printed times\n"
    "                     (IANA name like Europe/Berlin, UTC, +02:00; default: this machine's)\n"
    "      --year YYYY    year of the first year-less stamp (default: from file mtime)\n"
    "      --since TIME   only events at or after TIME (2026-11-27 or 2026-11-27T13:00[:00][zone])\n"
    "      --until TIME   only events before TIME\n"
    "      --top N        rows per table in summary (default 10; 0 = all)\n"
    "      --log-format NAME  read every input as this file format (default: detected per\n"
    "                     file from its first lines; mailsleuth formats lists them)\n"
    "      --dialect NAME syslog lines: parse with this dialect (default: by program tag)\n"
    "  -o, --output FILE  report: write the HTML there (replaced only when complete;\n"
    "                     '-' = stdout)\n"
    "      --db FILE      ingest: the case file to create or add to; sql: the case to ask;\n"
    "                     verify: compare the inputs (default: the case's files) with the\n"
    "                     fingerprints the case recorded (exit 1 when they differ)\n"
    "      --against FILE verify: compare the inputs with an earlier manifest (JSON)\n"
    "      --detect       formats: detect and explain the format of each input\n"
    "      --expr         trace: QUERY is a search expression, not a single value\n"
    "      --recipients   search: one row per recipient outcome (delivered, relayed,\n"
    "                     forwarded, deferred, expired, bounced, rejected, ...) instead of\n"
    "                     one per message; outcome: and attempts filter them\n"
    "      --sessions     search: match SMTP sessions instead of messages\n"
    "      --events       search: match single events instead of messages\n"
    "      --rules FILE   hunt: thresholds and rules switched off ('rule.key = value';\n"
    "                     doc/hunt-rules.example lists every key with its default)\n"
    "      --print-rules  hunt: print the rules configuration with defaults and exit\n"
    "      --fail-on SEV  hunt: exit 1 when a finding of severity SEV or higher exists\n"
    "                     (info, low, medium, high, critical)\n"
    "      --max-evidence N  hunt: log lines cited per finding (default 10; total given)\n"
    "      --show-lines   hunt: print the cited log lines, not only file:line\n"
    "      --local-domain DOMAIN  hunt: a domain this site receives mail for (repeatable;\n"
    "                     default: inferred from local/virtual/lmtp deliveries)\n"
    "      --trusted-net CIDR  hunt: a network allowed to relay without AUTH (repeatable;\n"
    "                     default: inferred from the logs)\n"
    "      --site-config PATH  hunt: read the MTA's own configuration, read-only: a file or a\n"
    "                     directory (/etc/postfix, /etc/exim4, /etc/mail, smtpd.conf) for\n"
    "                     trusted networks, local domains, relays, services (repeatable;\n"
    "                     doc/SITE.md)\n"
    "      --site FILE    hunt: a site file: trusted-net, local-domain, protected-domain,\n"
    "                     allowed-relay, mx-gateway, internal-service lines (repeatable)\n"
    "      --protected-domain DOMAIN  hunt: a partner or brand domain whose look-alikes are\n"
    "                     reported (repeatable; local and frequent domains are compared anyway)\n"
    "      --geoip FILE   hunt: MaxMind-format country/city database (.mmdb) for logins from\n"
    "                     new countries and impossible travel (without it those checks are off)\n"
    "      --asn FILE     hunt: MaxMind-format ASN database (.mmdb) for logins from new networks\n"
    "      --ip-list NAME=FILE  hunt: clients in the networks of FILE (one address or CIDR per\n"
    "                     line, e.g. Tor exits) are reported as on list NAME (repeatable)\n"
    "      --alert SPEC   watch: where findings go (repeatable): jsonl:FILE (one JSON object\n"
    "                     a line, the fields of hunt -f json plus \"alert\"), jsonl:- (stdout,\n"
    "                     the default), syslog, exec:COMMAND (the JSON on its stdin)\n"
    "      --min-severity SEV  watch: alert only findings of SEV or higher (default info)\n"
    "      --syslog-facility NAME  watch: facility for --alert syslog (default daemon;\n"
    "                     mail, auth, authpriv, user, local0..local7)\n"
    "      --state FILE   watch: remember where each file was left and the alerts raised;\n"
    "                     a restart resumes there without repeating alerts\n"
    "      --idle SECONDS watch: close a message or session after this long without a line\n"
    "                     in log time (default 3600)\n"
    "      --from-start   watch: read files that exist at start from their beginning\n"
    "                     (default: from their end, like tail -f)\n"
    "      --updates      watch: alert again (\"alert\":\"updated\") when a raised finding grows\n"
    "      --poll         watch: look for new lines every 250 ms instead of using inotify\n"
    "      --exec-timeout SECONDS  watch: kill an exec: hook after this long (default 10)\n"
    "      --exec-queue N watch: alerts waiting for a slow exec: hook (default 64); more are\n"
    "                     dropped and counted\n"
    "      --unparsed     print every line not understood, with file:line and reason, to stderr\n"
    "      --sort-memory BYTES  timeline: memory for sorting before spilling to $TMPDIR\n"
    "                     (default 268435456)\n"
    "      --trace-memory BYTES  trace: memory for finished records waiting for a link in\n"
    "                     the first pass (default 67108864); what leaves it is found by a\n"
    "                     second pass when needed\n"
    "  -j, --jobs N       threads: 1 parses and analyses on one core; 2 or more (the default\n"
    "                     on a machine with several cores) parses on one and analyses on\n"
    "                     another; the output is the same\n"
    "      --progress     show progress (bytes read of the inputs' size, rate, time left)\n"
    "                     on stderr even when it is not a terminal (default: on a terminal,\n"
    "                     for runs longer than a second)\n"
    "      --no-progress  never show progress\n"
    "      --color[=WHEN] colour severities, statuses and headings in text output: auto\n"
    "                     (default: on a terminal unless NO_COLOR is set or TERM=dumb),\n"
    "                     always (--color alone) or never\n"
    "  -q, --quiet        no progress and no per-file problem messages on stderr\n"
    "  -h, --help         this text\n"
    "  -V, --version      print the version\n"
    "\n"
    "inputs: files, directories (recursive; rotated sets are read oldest first), '-' for\n"
    "stdin.  Compression is detected from content, not names.\n"
    "\n"
    "exit status: 0 ok; 1 hunt --fail-on: a finding at or above the severity; 2 usage error;\n"
    "3 some input could not be read (the rest was analysed; the messages name each file);\n"
    "4 internal error (out of memory, write failed).\n"
    "\n"
    "examples:\n"
    "  mailsleuth summary /var/log/mail.log*\n"
    "  mailsleuth summary --format json --tz Europe/Berlin case.zip\n"
    "  mailsleuth trace alice@example.com /var/log/mail.log*\n"
    "  mailsleuth headers suspect.eml mx1/ mx2/\n"
    "  mailsleuth search 'ip:203.0.113.0/24 NOT status:sent' --format csv logs/\n"
    "  mailsleuth hunt --format json --fail-on high logs/ > findings.json\n"
    "  mailsleuth timeline --since 2026-11-27T08:00 --format csv logs/ > timeline.csv\n"
    "  mailsleuth timeline --format ecs-bulk logs/ > bulk.ndjson\n"
    "  mailsleuth report samples/ -o case.html\n"
    "  mailsleuth ingest --db case.sqlite samples/\n"
    "  mailsleuth sql --db case.sqlite 'SELECT outcome, recipients FROM v_recipients_by_outcome'\n"
    "  mailsleuth sql --db case.sqlite -f csv \"SELECT time, host, raw FROM events WHERE sasl_user = 'alice'\"\n"
    "  mailsleuth watch --show-lines - < logs/maillog\n"
    "\n"
    "live (until SIGTERM; doc/mailsleuth.1 has a systemd unit):\n"
    "  mailsleuth watch --state /var/lib/mailsleuth/watch.state --alert syslog \\\n"
    "      --alert jsonl:/var/log/mailsleuth-alerts.jsonl /var/log/mail.log\n"
    "  journalctl -f -o json -u postfix | mailsleuth watch --alert exec:/usr/local/bin/page -\n";

void cli_usage(FILE *out)
{
    fputs(usage_text, out);
}

static int need_arg(int i, int argc, const char *opt)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "mailsleuth: option %s needs a value (see mailsleuth --help)\n", opt);
        return 0;
    }
    return 1;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
    c->top = 10;
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (!c->paths) {
        fprintf(stderr, "mailsleuth: out of memory\n");
        return EXIT_INTERNAL;
    }
    int only_paths = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        /* --opt=value form */
        char optbuf[64];
        const char *val = NULL;
        if (!only_paths && a[0] == '-' && a[1] == '-' && strchr(a, '=')) {
            size_t k = (size_t)(strchr(a, '=') - a);
            if (k < sizeof optbuf) {
                memcpy(optbuf, a, k);
                optbuf[k] = '\0';
                val = a + k + 1;
                a = optbuf;
            }
        }
#define VALUE() (val ? val : (need_arg(i, argc, a) ? argv[++i] : NULL))
        if (only_paths || a[0] != '-' || strcmp(a, "-") == 0) {
            c->paths[c->npaths++] = argv[i];
        } else if (!strcmp(a, "--")) {
            only_paths = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cli_usage(stdout);
            return -1;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("mailsleuth %s\n", MSL_VERSION);
            return -1;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--format")) {
            if (!(c->format = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--tz")) {
            if (!(c->tz = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--log-format")) {
            if (!(c->log_format = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!(c->output = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--db")) {
            if (!(c->db = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--against")) {
            if (!(c->against = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--detect")) {
            c->detect = 1;
        } else if (!strcmp(a, "--dialect")) {
            if (!(c->dialect = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--since")) {
            if (!(c->since = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--until")) {
            if (!(c->until = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            const char *v = VALUE();
            long n;
            if (!v || !parse_int(v, 1, 256, &n)) {
                fprintf(stderr, "mailsleuth: %s wants a number of threads from 1 to 256, not "
                                "'%s'\n", a, v ? v : "");
                return EXIT_USAGE;
            }
            c->jobs = (int)n;
        } else if (!strcmp(a, "--trace-memory")) {
            const char *v = VALUE();
            long n;
            if (!v || !parse_int(v, 1, 1L << 40, &n)) {
                fprintf(stderr, "mailsleuth: --trace-memory wants a number of bytes, not '%s'\n",
                        v ? v : "");
                return EXIT_USAGE;
            }
            c->trace_mem = (size_t)n;
        } else if (!strcmp(a, "--year") || !strcmp(a, "--top") || !strcmp(a, "--block-size") ||
                   !strcmp(a, "--sort-memory")) {
            const char *v = VALUE();
            long n;
            int isyear = !strcmp(a, "--year"), istop = !strcmp(a, "--top");
            long lo = isyear ? 1970 : istop ? 0 : 1;
            long hi = isyear ? 2200 : istop ? 1000000 : (1L << 30);
            if (!v || !parse_int(v, lo, hi, &n)) {
                fprintf(stderr, "mailsleuth: %s wants a number from %ld to %ld, not '%s'\n", a,
                        lo, hi, v ? v : "");
                return EXIT_USAGE;
            }
            if (isyear)
                c->year = (int)n;
            else if (istop)
                c->top = (int)n;
            else if (!strcmp(a, "--block-size"))
                c->block_size = (size_t)n;
            else
                c->sort_mem = (size_t)n;
        } else if (!strcmp(a, "--rules")) {
            if (!(c->rules = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--fail-on")) {
            if (!(c->fail_on = VALUE()))
                return EXIT_USAGE;
        } else if (!strcmp(a, "--local-domain") || !strcmp(a, "--trusted-net")) {
            int dom = !strcmp(a, "--local-domain");
            size_t *n = dom ? &c->nlocal_domains : &c->ntrusted_nets;
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            if (*n == CLI_MAX_LIST) {
                fprintf(stderr, "mailsleuth: at most %d %s options\n", CLI_MAX_LIST, a);
                return EXIT_USAGE;
            }
            (dom ? c->local_domains : c->trusted_nets)[(*n)++] = v;
        } else if (!strcmp(a, "--site-config") || !strcmp(a, "--site")) {
            int conf = !strcmp(a, "--site-config");
            size_t *n = conf ? &c->nsite_configs : &c->nsite_files;
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            if (*n == CLI_MAX_LIST) {
                fprintf(stderr, "mailsleuth: at most %d %s options\n", CLI_MAX_LIST, a);
                return EXIT_USAGE;
            }
            (conf ? c->site_configs : c->site_files)[(*n)++] = v;
        } else if (!strcmp(a, "--geoip") || !strcmp(a, "--asn")) {
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            *(!strcmp(a, "--geoip") ? &c->geoip : &c->asn) = v;
        } else if (!strcmp(a, "--ip-list") || !strcmp(a, "--protected-domain")) {
            int list = !strcmp(a, "--ip-list");
            size_t *n = list ? &c->nip_lists : &c->nprotected_domains;
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            if (list && (!strchr(v, '=') || v[0] == '=' || !strchr(v, '=')[1])) {
                fprintf(stderr, "mailsleuth: --ip-list wants NAME=FILE, e.g. tor=exits.txt, not "
                                "'%s'\n", v);
                return EXIT_USAGE;
            }
            if (*n == CLI_MAX_LIST) {
                fprintf(stderr, "mailsleuth: at most %d %s options\n", CLI_MAX_LIST, a);
                return EXIT_USAGE;
            }
            (list ? c->ip_lists : c->protected_domains)[(*n)++] = v;
        } else if (!strcmp(a, "--alert")) {
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            if (c->nalerts == sizeof c->alerts / sizeof c->alerts[0]) {
                fprintf(stderr, "mailsleuth: at most 16 --alert options\n");
                return EXIT_USAGE;
            }
            c->alerts[c->nalerts++] = v;
        } else if (!strcmp(a, "--syslog-facility") || !strcmp(a, "--min-severity") ||
                   !strcmp(a, "--state")) {
            const char *v = VALUE();
            if (!v)
                return EXIT_USAGE;
            *(!strcmp(a, "--state") ? &c->state
              : !strcmp(a, "--min-severity") ? &c->min_severity : &c->syslog_facility) = v;
        } else if (!strcmp(a, "--idle") || !strcmp(a, "--exec-timeout") ||
                   !strcmp(a, "--exec-queue")) {
            const char *v = VALUE();
            long n;
            long hi = !strcmp(a, "--idle") ? 30L * 86400 : !strcmp(a, "--exec-queue") ? 100000
                                                                                      : 3600;
            if (!v || !parse_int(v, 1, hi, &n)) {
                fprintf(stderr, "mailsleuth: %s wants a number from 1 to %ld, not '%s'\n", a, hi,
                        v ? v : "");
                return EXIT_USAGE;
            }
            *(!strcmp(a, "--idle") ? &c->idle
              : !strcmp(a, "--exec-queue") ? &c->exec_queue : &c->exec_timeout) = n;
        } else if (!strcmp(a, "--poll")) {
            c->poll = 1;
        } else if (!strcmp(a, "--from-start")) {
            c->from_start = 1;
        } else if (!strcmp(a, "--updates")) {
            c->updates = 1;
        } else if (!strcmp(a, "--show-lines")) {
            c->show_lines = 1;
        } else if (!strcmp(a, "--print-rules")) {
            c->print_rules = 1;
        } else if (!strcmp(a, "--max-evidence")) {
            const char *v = VALUE();
            long n;
            if (!v || !parse_int(v, 1, 100000, &n)) {
                fprintf(stderr, "mailsleuth: --max-evidence wants a number from 1 to 100000, "
                                "not '%s'\n", v ? v : "");
                return EXIT_USAGE;
            }
            c->max_evidence = (size_t)n;
        } else if (!strcmp(a, "--expr")) {
            c->expr = 1;
        } else if (!strcmp(a, "--sessions")) {
            c->sessions = 1;
        } else if (!strcmp(a, "--recipients")) {
            c->recipients = 1;
        } else if (!strcmp(a, "--events")) {
            c->events = 1;
        } else if (!strcmp(a, "--unparsed")) {
            c->unparsed = 1;
        } else if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
            c->progress = !strcmp(a, "--progress") ? 1 : -1;
        } else if (!strcmp(a, "--color")) {
            c->color = val ? val : "always"; /* only --color=WHEN takes a value */
            if (!color_valid(c->color)) {
                fprintf(stderr, "mailsleuth: --color wants auto, always or never, not '%s'\n",
                        c->color);
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c->quiet = 1;
        } else {
            fprintf(stderr, "mailsleuth: unknown option '%s' (see mailsleuth --help)\n", argv[i]);
            return EXIT_USAGE;
        }
#undef VALUE
    }
    return 0;
}

int cli_parse_time(const char *s, const struct msl_tz *tz, int64_t *out)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n >= sizeof tmp - 12)
        return 0;
    memcpy(tmp, s, n + 1);
    /* complete "2026-11-27" and "2026-11-27T13:00" to full stamps */
    if (n == 10) {
        memcpy(tmp + n, "T00:00:00", 10);
    } else if (n >= 16 && (tmp[16] == '\0' || tmp[16] == 'Z' || tmp[16] == '+' || tmp[16] == '-')) {
        memmove(tmp + 19, tmp + 16, n - 16 + 1);
        memcpy(tmp + 16, ":00", 3);
    }
    int64_t us;
    int has_zone;
    size_t used = msl_scan_rfc3339(tmp, strlen(tmp), &us, &has_zone);
    if (used == 0 || used != strlen(tmp))
        return 0;
    if (!has_zone) {
        /* wall time in tz: us is the wall time as if UTC */
        long long sec = us / 1000000;
        long long days = sec / 86400, rem = sec % 86400;
        /* civil from days via the library's inverse is not exported; walk with the offset */
        (void)days;
        int y = atoi(tmp), mo = atoi(tmp + 5), d = atoi(tmp + 8);
        us = (int64_t)msl_tz_local_to_utc(tz, y, mo, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                                          (int)(rem % 60)) *
                 1000000 +
             us % 1000000;
    }
    *out = us;
    return 1;
}
