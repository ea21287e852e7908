/*
 * api_probe.c - drives the public C API (include/mailsleuth/api.h) for tests/cli/c_api.sh,
 * linked against the shared library like any program using it.
 *   api_probe dump KINDS TZ EXPR|- THREADS PATH...  every record's JSON, one a line
 *   api_probe evidence KINDS TZ PATH...             kind, then "source:line" of each evidence
 *   api_probe fields TZ PATH...                     messages through the field accessors
 *   api_probe early N TZ PATH...                    N records, then close (producer running)
 *   api_probe count KINDS TZ PATH...                records and the peak RSS in KiB
 *   api_probe trace TZ EXPR PATH...                 msl_api_trace's JSON
 *   api_probe errors PATH                           error codes and messages of misuse
 * KINDS: letters e m r s f (events messages recipients sessions findings).
 */
#include <mailsleuth/api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static unsigned kinds_of(const char *s)
{
    unsigned k = 0;
    for (; *s; s++)
        k |= *s == 'e' ? MSL_API_EVENT : *s == 'm' ? MSL_API_MESSAGE : *s == 'r' ? MSL_API_RECIPIENT
           : *s == 's' ? MSL_API_SESSION : *s == 'f' ? MSL_API_FINDING : 0;
    return k;
}

static struct msl_api *open_or_die(char **paths, int n, const char *tz, unsigned kinds, int thr)
{
    struct msl_api_opts o = {.size = sizeof o, .tz = tz, .kinds = kinds, .threads = thr};
    struct msl_api *h = msl_api_open((const char *const *)paths, (size_t)n, &o);
    if (!h || msl_api_status(h)) {
        fprintf(stderr, "api_probe: open: %s\n", h ? msl_api_errmsg(h) : "no memory");
        exit(1);
    }
    return h;
}

static int drain_end(struct msl_api *h, int rc)
{
    if (rc < 0)
        fprintf(stderr, "api_probe: %d: %s\n", rc, msl_api_errmsg(h));
    msl_api_close(h);
    return rc < 0 ? 3 : 0;
}

static const char *kind_name(int k)
{
    return k == MSL_API_EVENT ? "event" : k == MSL_API_MESSAGE ? "message"
         : k == MSL_API_RECIPIENT ? "recipient" : k == MSL_API_SESSION ? "session"
         : k == MSL_API_FINDING ? "finding" : "?";
}

static void errors(const char *path)
{
    const char *paths[] = {path, "/nonexistent/mailsleuth-api-probe"};
    struct msl_api_opts o = {.size = sizeof o, .tz = "Mars/Olympus"};
    struct msl_api_rec *r;
    struct msl_api *h = msl_api_open(paths, 1, &o);
    printf("bad zone: status %d next %d: %s\n", msl_api_status(h), msl_api_next(h, &r),
           msl_api_errmsg(h));
    msl_api_close(h);
    o.tz = "UTC";
    o.rules = "/nonexistent/rules";
    h = msl_api_open(paths, 1, &o);
    printf("bad rules: status %d: %s\n", msl_api_status(h), msl_api_errmsg(h));
    msl_api_close(h);
    o.rules = NULL;
    h = msl_api_open(paths, 1, &o);
    int rc = msl_api_search(h, "from:(");
    printf("bad search: %d: %s\n", rc, msl_api_errmsg(h));
    printf("good search after it: %d\n", msl_api_search(h, "from:*"));
    rc = msl_api_next(h, &r);
    printf("first record: %d, search after next: %d: %s\n", rc, msl_api_search(h, "ip:1.2.3.4"),
           msl_api_errmsg(h));
    msl_api_close(h);
    h = msl_api_open(paths, 2, &o);
    size_t n = 0;
    while ((rc = msl_api_next(h, &r)) == 1)
        n++;
    printf("missing input: %s records, then %d: %s\n", n ? "some" : "no", rc, msl_api_errmsg(h));
    printf("next again: %d\n", msl_api_next(h, &r));
    msl_api_close(h);
    struct msl_api_opts small = {.size = 1};
    h = msl_api_open(paths, 1, &small);
    printf("opts.size 1: status %d: %s\n", msl_api_status(h), msl_api_errmsg(h));
    msl_api_close(h);
    h = msl_api_open(NULL, 0, NULL);
    printf("no input: status %d: %s\n", msl_api_status(h), msl_api_errmsg(h));
    msl_api_close(h);
    msl_api_close(NULL);
    printf("null handle: %d %s\n", msl_api_status(NULL), msl_api_next(NULL, &r) < 0 ? "refused" : "?");
    printf("version %s\n", msl_api_version());
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *mode = argv[1];
    struct msl_api_rec *r;
    int rc;
    if (!strcmp(mode, "errors")) {
        errors(argv[2]);
        return 0;
    }
    if (!strcmp(mode, "dump") && argc >= 7) {
        struct msl_api *h = open_or_die(argv + 6, argc - 6, argv[3], kinds_of(argv[2]), atoi(argv[5]));
        if (strcmp(argv[4], "-") && msl_api_search(h, argv[4]) != MSL_API_OK)
            return drain_end(h, msl_api_status(h) ? msl_api_status(h) : -7);
        while ((rc = msl_api_next(h, &r)) == 1)
            puts(msl_api_rec_json(r));
        return drain_end(h, rc);
    }
    if (!strcmp(mode, "evidence") && argc >= 5) {
        struct msl_api *h = open_or_die(argv + 4, argc - 4, argv[3], kinds_of(argv[2]), 0);
        while ((rc = msl_api_next(h, &r)) == 1) {
            printf("%s", kind_name(msl_api_rec_kind(r)));
            const char *src;
            uint64_t line, off;
            for (size_t i = 0; msl_api_rec_evidence(r, i, &src, &line, &off); i++)
                printf(" %s:%llu", src, (unsigned long long)line);
            printf(" (%zu)\n", msl_api_rec_nevidence(r));
        }
        return drain_end(h, rc);
    }
    if (!strcmp(mode, "fields") && argc >= 4) {
        struct msl_api *h = open_or_die(argv + 3, argc - 3, argv[2], MSL_API_MESSAGE, 0);
        while ((rc = msl_api_next(h, &r)) == 1) {
            const char *qid = msl_api_rec_str(r, "qid"), *a0 = msl_api_rec_str(r, "recipients.0.address");
            printf("%s size=%lld n=%zu first=%s receipt=%lld missing=%s/%lld\n", qid ? qid : "-",
                   (long long)msl_api_rec_int(r, "size", -1), msl_api_rec_len(r, "recipients"),
                   a0 ? a0 : "-", (long long)msl_api_rec_int(r, "receipt_seen", -1),
                   msl_api_rec_str(r, "no.such.field") ? "?" : "null",
                   (long long)msl_api_rec_int(r, "qid", -9));
        }
        return drain_end(h, rc);
    }
    if (!strcmp(mode, "early") && argc >= 5) {
        long want = atol(argv[2]);
        struct msl_api *h = open_or_die(argv + 4, argc - 4, argv[3],
                                        MSL_API_EVENT | MSL_API_MESSAGE | MSL_API_SESSION | MSL_API_FINDING, 2);
        long n = 0;
        while (n < want && msl_api_next(h, &r) == 1)
            n++;
        msl_api_close(h); /* the producer is still running: it must stop cleanly */
        printf("read %ld, closed\n", n);
        return 0;
    }
    if (!strcmp(mode, "count") && argc >= 5) {
        struct msl_api *h = open_or_die(argv + 4, argc - 4, argv[3], kinds_of(argv[2]), 2);
        unsigned long long n = 0, bytes = 0;
        while ((rc = msl_api_next(h, &r)) == 1) {
            n++;
            bytes += strlen(msl_api_rec_json(r));
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%llu records %llu bytes peak_rss_kib %ld\n", n, bytes, ru.ru_maxrss);
        return drain_end(h, rc);
    }
    if (!strcmp(mode, "trace") && argc >= 5) {
        struct msl_api *h = open_or_die(argv + 4, argc - 4, argv[2], 0, 0);
        char *json = NULL;
        rc = msl_api_trace(h, argv[3], &json);
        if (json)
            fputs(json, stdout);
        msl_api_free(json);
        return drain_end(h, rc);
    }
    return 2;
}
