/*
 * main.c - the mailsleuth command: pick the command, parse options, run it.
 * Each command lives in its own file (cmd_*.c); shared plumbing is in app.c.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"

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
    int needs_arg = !strcmp(cmd, "trace") || !strcmp(cmd, "search");
    if (!needs_arg && strcmp(cmd, "summary") != 0 && strcmp(cmd, "timeline") != 0 &&
        strcmp(cmd, "formats") != 0 && strcmp(cmd, "verify") != 0 && strcmp(cmd, "hunt") != 0) {
        fprintf(stderr, "mailsleuth: unknown command '%s' (commands: summary, timeline, trace, "
                        "search, formats, help)\n", cmd);
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
        if (needs_arg) {
            /* the first non-option argument is the query / expression */
            if (a.cli.npaths == 0) {
                fprintf(stderr, "mailsleuth: %s needs a %s (see mailsleuth --help)\n", cmd,
                        cmd[0] == 't' ? "QUERY" : "search expression");
                app_free(&a);
                return EXIT_USAGE;
            }
            arg = a.cli.paths[0];
            memmove(a.cli.paths, a.cli.paths + 1, --a.cli.npaths * sizeof *a.cli.paths);
        }
        if (!strcmp(cmd, "summary"))
            rc = cmd_summary(&a);
        else if (!strcmp(cmd, "timeline"))
            rc = cmd_timeline(&a);
        else if (!strcmp(cmd, "formats"))
            rc = cmd_formats(&a);
        else if (!strcmp(cmd, "hunt"))
            rc = cmd_hunt(&a);
        else if (!strcmp(cmd, "verify"))
            rc = cmd_verify(&a);
        else if (!strcmp(cmd, "trace"))
            rc = cmd_trace(&a, arg);
        else
            rc = cmd_search(&a, arg);
    }
    app_free(&a);
    return rc;
}
