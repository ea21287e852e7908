/*
 * auth_senders.c - authenticated senders per client IP: which SASL user sent as which
 * envelope sender from which address, how many messages.  An example of the C API
 * (doc/API.md).   cc auth_senders.c $(pkg-config --cflags --libs mailsleuth)
 * Usage: auth_senders ZONE LOG...      prints "ip<TAB>user<TAB>sender<TAB>messages", sorted.
 */
#include <mailsleuth/api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row { char *line; long n; };

static int by_line(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->line, ((const struct row *)b)->line);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: auth_senders ZONE LOG...\n"), 2;
    struct msl_api_opts o = {.size = sizeof o, .tz = argv[1], .kinds = MSL_API_MESSAGE};
    struct msl_api *h = msl_api_open((const char *const *)argv + 2, (size_t)argc - 2, &o);
    if (!h || msl_api_search(h, "user:*") != MSL_API_OK)
        return fprintf(stderr, "auth_senders: %s\n", h ? msl_api_errmsg(h) : "no memory"), 1;
    struct row *rows = NULL;
    size_t nrows = 0;
    struct msl_api_rec *m;
    int rc;
    while ((rc = msl_api_next(h, &m)) == 1) {
        const char *ip = msl_api_rec_str(m, "client_ip"), *from = msl_api_rec_str(m, "from");
        char key[1024];
        snprintf(key, sizeof key, "%s\t%s\t%s", ip ? ip : "-", msl_api_rec_str(m, "sasl_user"),
                 from ? (*from ? from : "<>") : "-");
        size_t i = 0;
        while (i < nrows && strcmp(rows[i].line, key) != 0)
            i++;
        if (i == nrows) {
            rows = realloc(rows, (nrows + 1) * sizeof *rows);
            rows[nrows++] = (struct row){strdup(key), 0};
        }
        rows[i].n++;
    }
    if (rc < 0)
        fprintf(stderr, "auth_senders: %s\n", msl_api_errmsg(h));
    qsort(rows, nrows, sizeof *rows, by_line);
    for (size_t i = 0; i < nrows; i++, free(rows[i - 1].line))
        printf("%s\t%ld\n", rows[i].line, rows[i].n);
    free(rows);
    msl_api_close(h);
    return rc < 0;
}
