/*
 * main.c - the mailsleuth command: pick the command, parse options, run it.
 * Each command lives in its own file (cmd_*.c); shared plumbing is in app.c.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"

/* Every command: its name, whether it takes a QUERY/EXPR first, and its function.  A new
 * command is one line here, one prototype in app.h and one cmd_*.c file. */
struct command {
    const char *name;
    const char *arg; /* what the first non-option argument is, or NULL */
    int (*run)(struct app *a, const char *arg);
};

static int run_summary(struct app *a, const char *arg) { (void)arg; return cmd_summary(a); }
static int run_timeline(struct app *a, const char *arg) { (void)arg; return cmd_timeline(a); }
static int run_formats(struct app *a, const char *arg) { (void)arg; return cmd_formats(a); }
static int run_hunt(struct app *a, const char *arg) { (void)arg; return cmd_hunt(a); }
static int run_verify(struct app *a, const char *arg) { (void)arg; return cmd_verify(a); }
static int run_report(struct app *a, const char *arg) { (void)arg; return cmd_html_report(a); }
static int run_ingest(struct app *a, const char *arg) { (void)arg; return cmd_ingest(a); }
static int run_watch(struct app *a, const char *arg) { (void)arg; return cmd_watch(a); }

static const struct command commands[] = {
    {"summary", NULL, run_summary},
    {"timeline", NULL, run_timeline},
    {"trace", "QUERY", cmd_trace},
    {"search", "search expression", cmd_search},
    {"hunt", NULL, run_hunt},
    {"verify", NULL, run_verify},
    {"report", NULL, run_report},
    {"ingest", NULL, run_ingest},
    {"sql", "SQL statement", cmd_sql},
    {"formats", NULL, run_formats},
    {"watch", NULL, run_watch},
    {"headers", "MESSAGE file", cmd_headers},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void list_commands(FILE *out)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "%s%s", i ? ", " : "", commands[i].name);
    fputs(", help", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        cli_usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("mailsleuth %s\n", MSL_VERSION);
        return EXIT_OK;
    }
    const struct command *c = NULL;
    for (size_t i = 0; i < NCOMMANDS && !c; i++)
        if (!strcmp(cmd, commands[i].name))
            c = &commands[i];
    if (!c) {
        fprintf(stderr, "mailsleuth: unknown command '%s' (commands: ", cmd);
        list_commands(stderr);
        fputs(")\n", stderr);
        return EXIT_USAGE;
    }
    struct app a;
    memset(&a, 0, sizeof a);
    a.cli.command = cmd;
    a.inv = (struct msl_invocation){argc, argv};
    int rc = cli_parse(&a.cli, argc - 2, argv + 2);
    if (rc == -1) {
        app_free(&a);
        return EXIT_OK;
    }
    if (rc == 0) {
        const char *arg = NULL;
        if (c->arg) {
            /* the first non-option argument is the query / expression */
            if (a.cli.npaths == 0) {
                fprintf(stderr, "mailsleuth: %s needs a %s (see mailsleuth --help)\n", cmd,
                        c->arg);
                app_free(&a);
                return EXIT_USAGE;
            }
            arg = a.cli.paths[0];
            memmove(a.cli.paths, a.cli.paths + 1, --a.cli.npaths * sizeof *a.cli.paths);
        }
        rc = c->run(&a, arg);
    }
    app_free(&a);
    return rc;
}
