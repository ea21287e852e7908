/*
 * stream.c - reads one byte stream: a file, stdin, or a member of an archive.
 *
 * The first SRC_SNIFF bytes decide what the stream is, by magic bytes only:
 *   plain text        -> read() straight into the split buffer (the hot path: no copies)
 *   gzip/bzip2/xz/zstd -> libarchive with those four filters and the formats raw, empty,
 *   zip, tar              tar and zip.  "raw" means a compressed log: one source.  A tar or
 *                         zip (possibly compressed) is read member by member, each member
 *                         being a stream of its own (sniffed again, so maillog.2.gz inside a
 *                         tar is decompressed by a second reader pulling from the first).
 *
 * libarchive's filter_all is deliberately not used: several of its filters (lrzip, lzop,
 * grzip ...) run external programs, which a forensic reader must not do on evidence.
 *
 * Streams that cannot seek (stdin, pipes, archive members) are sniffed by reading the first
 * bytes into a small buffer which is then replayed in front of the rest ("prefix").  Regular
 * files are sniffed with pread(), so libarchive may seek (zip's central directory).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source/source_int.h"
#include "util/sha256.h"

#define SRC_ARCHIVE_IO (256u * 1024u) /* compressed bytes handed to libarchive per callback */

enum sniff_kind { SNIFF_PLAIN, SNIFF_COMPRESSED, SNIFF_ZIP, SNIFF_TAR };

static enum sniff_kind sniff(const unsigned char *h, size_t n, enum msl_compression *comp)
{
    *comp = MSL_COMP_NONE;
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
        *comp = MSL_COMP_GZIP;
        return SNIFF_COMPRESSED;
    }
    if (n >= 3 && memcmp(h, "BZh", 3) == 0) {
        *comp = MSL_COMP_BZIP2;
        return SNIFF_COMPRESSED;
    }
    if (n >= 6 && memcmp(h, "\xfd\x37\x7a\x58\x5a\x00", 6) == 0) {
        *comp = MSL_COMP_XZ;
        return SNIFF_COMPRESSED;
    }
    if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0) {
        *comp = MSL_COMP_ZSTD;
        return SNIFF_COMPRESSED;
    }
    if (n >= 4 && (memcmp(h, "PK\x03\x04", 4) == 0 || memcmp(h, "PK\x05\x06", 4) == 0))
        return SNIFF_ZIP;
    if (n >= 262 && memcmp(h + 257, "ustar", 5) == 0)
        return SNIFF_TAR;
    return SNIFF_PLAIN;
}

ssize_t src_fd_read(struct src_stream *s, void *buf, size_t n)
{
    for (;;) {
        ssize_t got = read(s->fd, buf, n);
        if (got > 0) {
            /* the fingerprint is of the bytes parsed, taken as they are read (one read) */
            if (s->file_hash)
                sha256_update(s->file_hash, buf, (size_t)got);
            s->file_read += (uint64_t)got;
        }
        if (got >= 0) {
            src_consumed((size_t)got);
            return got;
        }
        if (errno == EINTR)
            continue;
        snprintf(s->err, sizeof s->err, "%s", strerror(errno));
        return -1;
    }
}

/*
 * Archive data through archive_read_data_block(), not archive_read_data(): the latter drops
 * everything it had copied into the caller's buffer when it then meets an error, losing the
 * last good lines before a truncation.
 */
static ssize_t member_read(struct src_stream *s, void *buf, size_t n)
{
    while (s->blk_pos == s->blk_len && s->zeros == 0) {
        const void *b;
        size_t len;
        la_int64_t off;
        int rc = archive_read_data_block(s->ar, &b, &len, &off);
        if (rc == ARCHIVE_EOF)
            return 0;
        if (rc < ARCHIVE_WARN) {
            const char *msg = archive_error_string(s->ar);
            snprintf(s->err, sizeof s->err, "%s", msg ? msg : "archive read error");
            return -1;
        }
        if (off > s->next_off)
            s->zeros = (uint64_t)(off - s->next_off); /* a sparse hole reads as NULs */
        s->blk = b;
        s->blk_len = len;
        s->blk_pos = 0;
        s->next_off = off + (la_int64_t)len;
    }
    if (s->zeros > 0) {
        size_t k = s->zeros < n ? (size_t)s->zeros : n;
        memset(buf, 0, k);
        s->zeros -= k;
        return (ssize_t)k;
    }
    size_t k = s->blk_len - s->blk_pos;
    if (k > n)
        k = n;
    memcpy(buf, s->blk + s->blk_pos, k);
    s->blk_pos += k;
    if (s->hash) {
        sha256_update(s->hash, buf, k);
        s->hashed += k;
    }
    return (ssize_t)k;
}

/* Reads what is left of a member (the reader may stop early) so its hash covers it all. */
static void member_hash_done(struct src_run *r, struct src_stream *ms, const char *mname)
{
    char buf[65536], hex[65];
    while (!ms->failed && member_read(ms, buf, sizeof buf) > 0)
        ;
    sha256_final_hex(ms->hash, hex);
    ms->hash = NULL;
    if (r->cb->hashed && hex[0])
        r->cb->hashed(r->cb->ctx, mname, 1, (int64_t)ms->hashed, hex);
}

/* Reads from the prefix first, then from the stream; errors are sticky. */
ssize_t src_stream_read(struct src_stream *s, void *buf, size_t n)
{
    if (s->pre_pos < s->pre_len) {
        size_t k = s->pre_len - s->pre_pos;
        if (k > n)
            k = n;
        memcpy(buf, s->pre + s->pre_pos, k);
        s->pre_pos += k;
        return (ssize_t)k;
    }
    if (s->failed)
        return -1;
    ssize_t got = s->read(s, buf, n);
    if (got < 0)
        s->failed = 1;
    return got;
}

/* Fills h with up to SRC_SNIFF bytes (short reads from pipes and archives are retried). */
static size_t sniff_fill(struct src_stream *s, unsigned char *h)
{
    size_t n = 0;

    if (s->seekable) {
        while (n < SRC_SNIFF) {
            ssize_t got = pread(s->fd, h + n, SRC_SNIFF - n, (off_t)n);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break; /* a real error shows up again in the read loop */
            n += (size_t)got;
        }
        return n;
    }
    while (n < SRC_SNIFF) {
        ssize_t got = src_stream_read(s, h + n, SRC_SNIFF - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    s->pre = h;
    s->pre_len = n;
    s->pre_pos = 0;
    return n;
}

/* Calls begin(); returns 0 when the source is to be read, non-zero when skipped. */
static int src_begin(struct src_run *r, struct msl_source_info *si, const struct src_origin *o,
                     enum msl_compression comp)
{
    si->id = r->next_id++;
    si->name = o->name;
    si->path = o->path;
    si->mtime = o->mtime;
    si->size = o->size;
    si->compression = comp;
    si->container = o->container;
    if (r->cb->begin != NULL && r->cb->begin(r->cb->ctx, si) != 0)
        return 1;
    r->tot.sources++;
    return 0;
}

static void src_end(struct src_run *r, const struct msl_source_info *si, struct split *sp)
{
    if (r->cb->end != NULL)
        r->cb->end(r->cb->ctx, si, &sp->st);
}

/* What a read error is called: "gzip" for a compressed log, "tar" for a bundle member. */
static const char *data_label(const struct src_origin *o, enum msl_compression comp)
{
    if (comp != MSL_COMP_NONE)
        return msl_compression_name(comp);
    return o->container != NULL ? o->container : "file";
}

static const char *err_stream(void *ctx)
{
    struct src_stream *s = ctx;
    return s->err[0] ? s->err : "read error";
}

/* Pumps a stream into the splitter until EOF, error or stop, then ends the source. */
static void pump(struct src_run *r, struct src_stream *s, const struct src_origin *o,
                 enum msl_compression comp, struct msl_source_info *si)
{
    struct split sp;

    split_init(&sp, r, si);
    for (;;) {
        size_t avail;
        char *p = split_space(&sp, &avail);
        ssize_t got = src_stream_read(s, p, avail);
        if (got == 0)
            break;
        if (got < 0) {
            /* Lines decoded before the error are data: deliver the partial tail too. */
            if (split_finish(&sp) == 0) {
                if (comp == MSL_COMP_NONE && o->container == NULL && s->ar == NULL)
                    src_problem(r, MSL_PROB_ERROR, o->name, "read error after %llu bytes: %s",
                                (unsigned long long)sp.st.bytes, err_stream(s));
                else
                    src_problem(r, MSL_PROB_ERROR, o->name,
                                "truncated or corrupt %s data after %llu bytes (%llu lines, "
                                "all read): %s",
                                data_label(o, comp), (unsigned long long)sp.st.bytes,
                                (unsigned long long)sp.st.lines, err_stream(s));
            }
            sp.st.error = (comp == MSL_COMP_NONE && o->container == NULL) ? MSL_EIO
                                                                           : MSL_ECORRUPT;
            src_end(r, si, &sp);
            return;
        }
        if (split_commit(&sp, (size_t)got) != 0)
            break;
    }
    split_finish(&sp);
    src_end(r, si, &sp);
}

/* libarchive client callbacks over a src_stream. */
struct ar_client {
    struct src_stream *s;
    char *io;
};

static la_ssize_t ar_read_cb(struct archive *a, void *data, const void **buf)
{
    struct ar_client *c = data;
    struct src_stream *s = c->s;

    if (s->pre_pos < s->pre_len) {
        /* Hand the sniffed prefix over without copying. */
        *buf = s->pre + s->pre_pos;
        size_t k = s->pre_len - s->pre_pos;
        s->pre_pos = s->pre_len;
        return (la_ssize_t)k;
    }
    *buf = c->io;
    ssize_t got = src_stream_read(s, c->io, SRC_ARCHIVE_IO);
    if (got < 0) {
        archive_set_error(a, EIO, "%s", s->err[0] ? s->err : "read error");
        return -1;
    }
    return got;
}

static la_int64_t ar_seek_cb(struct archive *a, void *data, la_int64_t off, int whence)
{
    struct ar_client *c = data;
    off_t got = lseek(c->s->fd, (off_t)off, whence);
    c->s->file_seeked = 1;
    (void)a;
    return got < 0 ? ARCHIVE_FATAL : (la_int64_t)got;
}

/* A source that failed before its first byte (corrupt header): still begin/end it. */
static void source_failed(struct src_run *r, const struct src_origin *o,
                          enum msl_compression comp, const char *msg)
{
    struct msl_source_info si;
    struct split sp;

    if (src_begin(r, &si, o, comp) != 0)
        return;
    split_init(&sp, r, &si);
    if (msg != NULL && strstr(msg, "too many filters") != NULL)
        /* a .gz of a .gz of ... some 25 deep: nothing is damaged, libarchive stops there */
        src_problem(r, MSL_PROB_ERROR, o->name,
                    "%s compressed in more layers than libarchive decodes (its limit on "
                    "stacked filters: \"%s\"); not read", data_label(o, comp), msg);
    else
        src_problem(r, MSL_PROB_ERROR, o->name, "truncated or corrupt %s data after 0 bytes: %s",
                    data_label(o, comp), msg ? msg : "unknown error");
    sp.st.error = MSL_ECORRUPT;
    src_end(r, &si, &sp);
}

/* Is the outermost filter of a the one the magic bytes promised? */
static int outer_filter_is(struct archive *a, enum msl_compression comp)
{
    int want, n = archive_filter_count(a);

    switch (comp) {
    case MSL_COMP_GZIP: want = ARCHIVE_FILTER_GZIP; break;
    case MSL_COMP_BZIP2: want = ARCHIVE_FILTER_BZIP2; break;
    case MSL_COMP_XZ: want = ARCHIVE_FILTER_XZ; break;
    case MSL_COMP_ZSTD: want = ARCHIVE_FILTER_ZSTD; break;
    default: return 1; /* bare tar/zip: no filter expected */
    }
    /* Index n - 1 is the client itself ("none"); n - 2 the filter reading from it. */
    return n >= 2 && archive_filter_code(a, n - 2) == want;
}

static const char *container_name(int fmt)
{
    switch (fmt & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_TAR: return "tar";
    case ARCHIVE_FORMAT_ZIP: return "zip";
    default: return "archive";
    }
}

static void read_members(struct src_run *r, struct archive *a, struct archive_entry *e,
                         const struct src_origin *o, int depth)
{
    const char *container = container_name(archive_format(a));
    int reported = 0;

    for (;;) {
        int type = (int)archive_entry_filetype(e);
        const char *mpath = archive_entry_pathname(e);
        const char *mname = src_str3(r, o->name, "!", mpath ? mpath : "?");

        if (mname == NULL) {
            r->nomem = 1;
            return;
        }
        if (type == AE_IFREG) {
            struct src_origin mo = *o;
            struct src_stream ms;
            memset(&ms, 0, sizeof ms);
            ms.read = member_read;
            ms.ar = a;
            ms.fd = -1;
            ms.hash = r->hash ? sha256_new() : NULL;
            mo.name = mname;
            mo.container = container;
            mo.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : o->mtime;
            mo.size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
            src_read_stream(r, &ms, &mo, depth + 1);
            if (ms.hash)
                member_hash_done(r, &ms, mname);
            if (ms.failed)
                reported = 1; /* the member's error already names the problem */
            if (r->stopped || r->nomem)
                return;
        } else if (type != AE_IFDIR) {
            src_problem(r, MSL_PROB_WARNING, mname, "not a regular file in %s, skipped",
                        container);
        }
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            return;
        if (rc == ARCHIVE_WARN) {
            const char *m = archive_error_string(a);
            src_problem(r, MSL_PROB_WARNING, o->name, "%s", m ? m : "archive warning");
        } else if (rc != ARCHIVE_OK) {
            if (!reported) {
                const char *m = archive_error_string(a);
                src_problem(r, MSL_PROB_ERROR, o->name, "truncated or corrupt %s data: %s",
                            container, m ? m : "unknown error");
            }
            return;
        }
    }
}

static void read_archive(struct src_run *r, struct src_stream *s, const struct src_origin *o,
                         enum sniff_kind kind, enum msl_compression comp, int depth)
{
    struct ar_client client = {s, NULL};
    struct archive_entry *e = NULL;
    struct archive *a;

    if (depth >= SRC_MAX_DEPTH) {
        src_problem(r, MSL_PROB_ERROR, o->name, "archives nested more than %d deep, not read",
                    SRC_MAX_DEPTH);
        return;
    }
    client.io = malloc(SRC_ARCHIVE_IO);
    a = archive_read_new();
    if (client.io == NULL || a == NULL) {
        free(client.io);
        if (a != NULL)
            archive_read_free(a);
        r->nomem = 1;
        return;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_zip(a);
    archive_read_support_format_empty(a);
    archive_read_support_format_raw(a);
    archive_read_set_read_callback(a, ar_read_cb);
    /*
     * Only a bare zip may seek (to its central directory).  Offering seeks to compressed
     * input makes libarchive's bidders probe the end of the stream, and a truncated
     * stream then fails before its first byte instead of after its last good line.
     */
    if (s->seekable && kind == SNIFF_ZIP)
        archive_read_set_seek_callback(a, ar_seek_cb);
    archive_read_set_callback_data(a, &client);

    int rc = archive_read_open1(a);
    if ((rc == ARCHIVE_OK || rc == ARCHIVE_WARN) && !outer_filter_is(a, comp)) {
        /* The magic matched but libarchive's bidder refused the header: don't read it raw. */
        source_failed(r, o, comp, "invalid header");
        goto out;
    }
    if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN)
        rc = archive_read_next_header(a, &e);
    int fmt = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;

    if (rc == ARCHIVE_EOF && fmt == ARCHIVE_FORMAT_EMPTY) {
        /* A compressed empty file is still a source with 0 lines. */
        struct msl_source_info si;
        struct split sp;
        if (src_begin(r, &si, o, comp) == 0) {
            split_init(&sp, r, &si);
            src_end(r, &si, &sp);
        }
    } else if (rc == ARCHIVE_EOF) {
        src_problem(r, MSL_PROB_WARNING, o->name, "%s archive without members",
                    container_name(archive_format(a)));
    } else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        source_failed(r, o, comp, archive_error_string(a));
    } else if (fmt == ARCHIVE_FORMAT_RAW) {
        struct msl_source_info si;
        struct src_stream ds;
        memset(&ds, 0, sizeof ds);
        ds.read = member_read;
        ds.ar = a;
        ds.fd = -1;
        if (src_begin(r, &si, o, comp) == 0)
            pump(r, &ds, o, comp, &si);
    } else {
        read_members(r, a, e, o, depth);
    }
out:
    archive_read_free(a);
    free(client.io);
}

/*
 * A gzip, xz, bzip2 or zstd file on disk, decoded directly (decomp.c) so nothing decoded
 * before damage is lost.  A compressed tar is left to libarchive (returns 0 after rewinding the file).
 */
static int read_decoded(struct src_run *r, struct src_stream *s, const struct src_origin *o,
                        enum msl_compression comp, int depth)
{
    struct src_stream ds;
    memset(&ds, 0, sizeof ds);
    ds.fd = -1;
    ds.read = src_dec_read;
    if (!(ds.dec = src_dec_new(comp, s)))
        return 0;
    unsigned char inner[512];
    size_t ni = 0;
    while (ni < sizeof inner) {
        ssize_t got = src_stream_read(&ds, inner + ni, sizeof inner - ni);
        if (got <= 0)
            break;
        ni += (size_t)got;
    }
    if (ni >= 262 && memcmp(inner + 257, "ustar", 5) == 0) {
        src_dec_free(ds.dec); /* a bundle: its members are libarchive's to read */
        s->failed = 0;
        s->file_seeked = 1; /* read twice now: the fingerprint takes its own read */
        if (lseek(s->fd, 0, SEEK_SET) == 0)
            return 0;
        source_failed(r, o, comp, "cannot rewind to read the bundle");
        return 1;
    }
    ds.pre = inner; /* the bytes decoded for the look come first */
    ds.pre_len = ni;
    enum msl_compression icomp;
    if (sniff(inner, ni, &icomp) == SNIFF_COMPRESSED) {
        /* compressed again (a .gz of a .gz): the further layers are libarchive's filters */
        read_archive(r, &ds, o, SNIFF_COMPRESSED, icomp, depth);
        src_dec_free(ds.dec);
        return 1;
    }
    struct msl_source_info si;
    if (src_begin(r, &si, o, comp) == 0)
        pump(r, &ds, o, comp, &si);
    src_dec_free(ds.dec);
    return 1;
}

void src_read_stream(struct src_run *r, struct src_stream *s, const struct src_origin *o,
                     int depth)
{
    unsigned char head[SRC_SNIFF];
    enum msl_compression comp;
    size_t n = sniff_fill(s, head);
    enum sniff_kind kind = sniff(head, n, &comp);

    if (kind == SNIFF_PLAIN) {
        struct msl_source_info si;
        if (src_begin(r, &si, o, MSL_COMP_NONE) == 0)
            pump(r, s, o, MSL_COMP_NONE, &si);
        return;
    }
    if (kind == SNIFF_COMPRESSED && s->seekable && read_decoded(r, s, o, comp, depth))
        return;
    read_archive(r, s, o, kind, comp, depth);
}
