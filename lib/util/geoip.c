/*
 * geoip.c - libmaxminddb wrapper, country centroids, CIDR list files (see geoip.h).
 *
 * Lookups go through MMDB_lookup_string (numeric addresses only: a stack copy of the view,
 * never DNS) and MMDB_get_value on a few well-known paths, so one wrapper reads MaxMind's
 * own databases and the ip-location-db packages alike.  The database is memory-mapped
 * (MMDB_MODE_MMAP); a lookup allocates nothing.
 *
 * Country centroids: approximate geographic centres (degrees, public-domain facts, rounded)
 * of the countries most seen in mail logs; the rule prefers the database's own location
 * when it has one.  A country missing here simply gives no distance.
 *
 * CIDR lists: every network becomes a [first, last] range of 16-byte addresses (IPv4 as
 * v4-mapped ::ffff:a.b.c.d, so a dual-stack "::ffff:192.0.2.7" matches an IPv4 list); the
 * ranges are sorted and merged once, a lookup is a binary search.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/geoip.h"

struct geo_db {
    MMDB_s mmdb;
};

struct geo_db *geo_open(const char *path, char *err, size_t errsz)
{
    struct geo_db *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errsz, "%s: out of memory", path);
        return NULL;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
    if (rc != MMDB_SUCCESS) {
        if (rc == MMDB_IO_ERROR && errno)
            snprintf(err, errsz, "%s: %s", path, strerror(errno));
        else
            snprintf(err, errsz, "%s: not a MaxMind database (%s)", path, MMDB_strerror(rc));
        free(db);
        return NULL;
    }
    return db;
}

void geo_close(struct geo_db *db)
{
    if (!db)
        return;
    MMDB_close(&db->mmdb);
    free(db);
}

const char *geo_db_type(const struct geo_db *db)
{
    return db && db->mmdb.metadata.database_type ? db->mmdb.metadata.database_type : "";
}

static int get_str(MMDB_entry_s *e, char *out, size_t outsz, const char *a, const char *b)
{
    MMDB_entry_data_s d;
    int rc = b ? MMDB_get_value(e, &d, a, b, (const char *)NULL)
               : MMDB_get_value(e, &d, a, (const char *)NULL);
    if (rc != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return 0;
    size_t n = d.data_size < outsz - 1 ? d.data_size : outsz - 1;
    memcpy(out, d.utf8_string, n);
    out[n] = '\0';
    return n > 0;
}

static int get_num(MMDB_entry_s *e, double *out, const char *a, const char *b)
{
    MMDB_entry_data_s d;
    int rc = b ? MMDB_get_value(e, &d, a, b, (const char *)NULL)
               : MMDB_get_value(e, &d, a, (const char *)NULL);
    if (rc != MMDB_SUCCESS || !d.has_data)
        return 0;
    switch (d.type) {
    case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; return 1;
    case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; return 1;
    case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return 1;
    case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return 1;
    case MMDB_DATA_TYPE_INT32: *out = d.int32; return 1;
    case MMDB_DATA_TYPE_UINT64: *out = (double)d.uint64; return 1;
    case MMDB_DATA_TYPE_UTF8_STRING: {
        /* some CSV-derived databases store numbers as text */
        char tmp[32];
        size_t n = d.data_size < sizeof tmp - 1 ? d.data_size : sizeof tmp - 1;
        memcpy(tmp, d.utf8_string, n);
        tmp[n] = '\0';
        char *end;
        double v = strtod(tmp, &end);
        if (end == tmp)
            return 0;
        *out = v;
        return 1;
    }
    default: return 0;
    }
}

int geo_lookup(const struct geo_db *db, const char *ip, size_t iplen, struct geo_info *out)
{
    memset(out, 0, sizeof *out);
    char tmp[64];
    if (!db || !ip || !iplen || iplen >= sizeof tmp)
        return 0;
    memcpy(tmp, ip, iplen);
    tmp[iplen] = '\0';
    for (size_t i = 0; i < iplen; i++)
        if (!isxdigit((unsigned char)tmp[i]) && tmp[i] != '.' && tmp[i] != ':')
            return 0; /* numeric addresses only: never a name lookup */
    int gai = 0, merr = 0;
    MMDB_lookup_result_s r = MMDB_lookup_string(&db->mmdb, tmp, &gai, &merr);
    if (gai || merr != MMDB_SUCCESS || !r.found_entry)
        return 0;
    if (!get_str(&r.entry, out->country, sizeof out->country, "country", "iso_code") &&
        !get_str(&r.entry, out->country, sizeof out->country, "country_code", NULL))
        get_str(&r.entry, out->country, sizeof out->country, "registered_country", "iso_code");
    for (char *p = out->country; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    double lat, lon;
    if ((get_num(&r.entry, &lat, "location", "latitude") &&
         get_num(&r.entry, &lon, "location", "longitude")) ||
        (get_num(&r.entry, &lat, "latitude", NULL) && get_num(&r.entry, &lon, "longitude", NULL))) {
        out->has_loc = 1;
        out->lat = lat;
        out->lon = lon;
    }
    double asn;
    if ((get_num(&r.entry, &asn, "autonomous_system_number", NULL) ||
         get_num(&r.entry, &asn, "asn", NULL)) && asn > 0 && asn < 4294967296.0)
        out->asn = (uint32_t)asn;
    if (!get_str(&r.entry, out->asorg, sizeof out->asorg, "autonomous_system_organization",
                 NULL) &&
        !get_str(&r.entry, out->asorg, sizeof out->asorg, "as_name", NULL))
        get_str(&r.entry, out->asorg, sizeof out->asorg, "org", NULL);
    return 1;
}

/* ---- country centroids ------------------------------------------------------------ */

struct centroid {
    char iso[3];
    float lat, lon;
};

static const struct centroid centroids[] = {
    {"AE", 24.0f, 54.0f},    {"AR", -34.0f, -64.0f},  {"AT", 47.5f, 14.5f},
    {"AU", -25.0f, 134.0f},  {"BD", 24.0f, 90.0f},    {"BE", 50.6f, 4.6f},
    {"BG", 42.7f, 25.5f},    {"BR", -10.0f, -52.0f},  {"BY", 53.5f, 28.0f},
    {"CA", 60.0f, -96.0f},   {"CH", 46.8f, 8.2f},     {"CL", -35.0f, -71.0f},
    {"CN", 35.0f, 103.0f},   {"CO", 4.0f, -73.0f},    {"CZ", 49.8f, 15.5f},
    {"DE", 51.0f, 10.3f},    {"DK", 56.0f, 10.0f},    {"DZ", 28.0f, 2.6f},
    {"EE", 58.7f, 25.5f},    {"EG", 26.5f, 30.0f},    {"ES", 40.2f, -3.6f},
    {"FI", 64.5f, 26.0f},    {"FR", 46.6f, 2.4f},     {"GB", 54.0f, -2.5f},
    {"GR", 39.0f, 22.0f},    {"HK", 22.3f, 114.2f},   {"HR", 45.1f, 15.5f},
    {"HU", 47.2f, 19.4f},    {"ID", -2.5f, 118.0f},   {"IE", 53.2f, -8.2f},
    {"IL", 31.4f, 35.0f},    {"IN", 22.0f, 79.0f},    {"IQ", 33.0f, 43.7f},
    {"IR", 32.5f, 54.3f},    {"IS", 65.0f, -18.5f},   {"IT", 42.8f, 12.5f},
    {"JP", 36.5f, 138.0f},   {"KE", 0.5f, 38.0f},     {"KR", 36.5f, 127.8f},
    {"KZ", 48.0f, 67.0f},    {"LT", 55.3f, 23.9f},    {"LU", 49.8f, 6.1f},
    {"LV", 56.9f, 24.9f},    {"MA", 31.8f, -7.1f},    {"MD", 47.2f, 28.5f},
    {"MX", 23.6f, -102.5f},  {"MY", 4.2f, 102.0f},    {"NG", 9.1f, 8.7f},
    {"NL", 52.2f, 5.5f},     {"NO", 64.5f, 12.0f},    {"NZ", -41.5f, 172.5f},
    {"PA", 8.5f, -80.0f},    {"PE", -9.2f, -75.0f},   {"PH", 12.9f, 122.0f},
    {"PK", 30.0f, 70.0f},    {"PL", 52.0f, 19.4f},    {"PT", 39.6f, -8.0f},
    {"RO", 45.9f, 25.0f},    {"RS", 44.0f, 20.9f},    {"RU", 61.5f, 98.0f},
    {"SA", 24.0f, 45.0f},    {"SC", -4.7f, 55.5f},    {"SE", 62.0f, 15.0f},
    {"SG", 1.35f, 103.8f},   {"SI", 46.1f, 14.8f},    {"SK", 48.7f, 19.7f},
    {"TH", 15.0f, 101.0f},   {"TN", 34.0f, 9.5f},     {"TR", 39.0f, 35.2f},
    {"TW", 23.7f, 121.0f},   {"UA", 49.0f, 31.4f},    {"US", 39.8f, -98.6f},
    {"UY", -32.8f, -56.0f},  {"UZ", 41.4f, 64.6f},    {"VE", 7.1f, -66.2f},
    {"VN", 16.0f, 107.8f},   {"ZA", -29.0f, 24.7f},
};

int geo_country_centroid(const char *iso2, double *lat, double *lon)
{
    if (!iso2 || strlen(iso2) != 2)
        return 0;
    char k[3] = {(char)toupper((unsigned char)iso2[0]), (char)toupper((unsigned char)iso2[1]),
                 '\0'};
    size_t lo = 0, hi = sizeof centroids / sizeof centroids[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(centroids[mid].iso, k);
        if (!c) {
            *lat = centroids[mid].lat;
            *lon = centroids[mid].lon;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1)
        a = 1;
    return 2 * 6371.0 * asin(sqrt(a));
}

/* ---- CIDR lists --------------------------------------------------------------------- */

struct range {
    unsigned char lo[16], hi[16];
};

struct geo_iplist {
    char *name;
    struct range *r;
    size_t n, cap;
};

/* Text address to 16 bytes (IPv4 v4-mapped); 0 on success. */
static int addr16(const char *s, unsigned char out[16], int *v4)
{
    unsigned char a4[4];
    if (inet_pton(AF_INET, s, a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a4, 4);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *v4 = !memcmp(out, mapped, 12);
        return 0;
    }
    return -1;
}

static int parse_net(const char *s, struct range *r)
{
    char tmp[64];
    size_t n = strlen(s);
    if (!n || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n + 1);
    char *slash = strchr(tmp, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        errno = 0;
        plen = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || errno)
            return -1;
    }
    int v4;
    if (addr16(tmp, r->lo, &v4) != 0)
        return -1;
    long max = v4 && !strchr(tmp, ':') ? 32 : 128;
    if (plen < 0)
        plen = max;
    if (plen > max)
        return -1;
    long bits = plen + (max == 32 ? 96 : 0);
    memcpy(r->hi, r->lo, 16);
    for (long b = bits; b < 128; b++) {
        unsigned char m = (unsigned char)(0x80u >> (b % 8));
        r->lo[b / 8] &= (unsigned char)~m;
        r->hi[b / 8] |= m;
    }
    return 0;
}

static int cmp_range(const void *a, const void *b)
{
    return memcmp(((const struct range *)a)->lo, ((const struct range *)b)->lo, 16);
}

/* 1 when a == b + 1 (16-byte big-endian numbers). */
static int is_next(const unsigned char a[16], const unsigned char b[16])
{
    unsigned char t[16];
    memcpy(t, b, 16);
    int i = 15;
    while (i >= 0 && t[i] == 0xff)
        t[i--] = 0;
    if (i < 0)
        return 0;
    t[i]++;
    return !memcmp(a, t, 16);
}

/* Merges sorted overlapping/adjacent ranges in place. */
static void merge(struct geo_iplist *l)
{
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (w && (memcmp(l->r[i].lo, l->r[w - 1].hi, 16) <= 0 ||
                  is_next(l->r[i].lo, l->r[w - 1].hi))) {
            if (memcmp(l->r[i].hi, l->r[w - 1].hi, 16) > 0)
                memcpy(l->r[w - 1].hi, l->r[i].hi, 16);
            continue;
        }
        l->r[w++] = l->r[i];
    }
    l->n = w;
}

struct geo_iplist *geo_iplist_load(const char *name, const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open IP list: %s", path, strerror(errno));
        return NULL;
    }
    struct geo_iplist *l = calloc(1, sizeof *l);
    size_t nl = strlen(name);
    if (l)
        l->name = malloc(nl + 1);
    if (!l || !l->name) {
        snprintf(err, errsz, "%s: out of memory", path);
        geo_iplist_free(l);
        fclose(f);
        return NULL;
    }
    memcpy(l->name, name, nl + 1);
    char line[1024];
    unsigned long lineno = 0;
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t n = strlen(s);
        while (n && strchr(" \t\r\n", s[n - 1]))
            s[--n] = '\0';
        if (!n)
            continue;
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 64;
            struct range *nr = realloc(l->r, nc * sizeof *nr);
            if (!nr) {
                snprintf(err, errsz, "%s: out of memory", path);
                bad = 1;
                break;
            }
            l->r = nr;
            l->cap = nc;
        }
        if (parse_net(s, &l->r[l->n]) != 0) {
            snprintf(err, errsz, "%s:%lu: not an address or CIDR network: '%.64s'", path,
                     lineno, s);
            bad = 1;
            break;
        }
        l->n++;
    }
    if (!bad && ferror(f)) {
        snprintf(err, errsz, "%s: read error", path);
        bad = 1;
    }
    fclose(f);
    if (bad) {
        geo_iplist_free(l);
        return NULL;
    }
    if (l->n > 1) {
        qsort(l->r, l->n, sizeof *l->r, cmp_range);
        merge(l);
    }
    return l;
}

void geo_iplist_free(struct geo_iplist *l)
{
    if (!l)
        return;
    free(l->name);
    free(l->r);
    free(l);
}

const char *geo_iplist_name(const struct geo_iplist *l)
{
    return l->name;
}

size_t geo_iplist_len(const struct geo_iplist *l)
{
    return l->n;
}

int geo_iplist_has(const struct geo_iplist *l, const char *ip, size_t iplen)
{
    char tmp[64];
    unsigned char a[16];
    int v4;
    if (!l || !ip || !iplen || iplen >= sizeof tmp)
        return 0;
    memcpy(tmp, ip, iplen);
    tmp[iplen] = '\0';
    char *pct = strchr(tmp, '%');
    if (pct)
        *pct = '\0';
    if (addr16(tmp, a, &v4) != 0)
        return 0;
    size_t lo = 0, hi = l->n;
    while (lo < hi) { /* last range with lo <= a */
        size_t mid = (lo + hi) / 2;
        if (memcmp(l->r[mid].lo, a, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && memcmp(a, l->r[lo - 1].hi, 16) <= 0;
}
