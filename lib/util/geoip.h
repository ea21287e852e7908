/*
 * geoip.h - where a client IP comes from: a thin wrapper over libmaxminddb (MaxMind-format
 * .mmdb files: GeoLite2/GeoIP2 Country/City/ASN, DB-IP, the ip-location-db packages), a
 * built-in table of country centroids for distances, and CIDR list files (Tor exits,
 * proxies) loaded into sorted ranges.  Used by the unusual-origin rule.
 *
 * Field names read from a database record (the first present wins):
 *   country:  country.iso_code, country_code, registered_country.iso_code
 *   location: location.latitude / location.longitude, latitude / longitude
 *   ASN:      autonomous_system_number, asn;  autonomous_system_organization, as_name, org
 */
#ifndef MSL_UTIL_GEOIP_H
#define MSL_UTIL_GEOIP_H

#include <stddef.h>
#include <stdint.h>

struct geo_db;

/* Opens a .mmdb file; NULL with a message in err ("PATH: why"). */
struct geo_db *geo_open(const char *path, char *err, size_t errsz);
void geo_close(struct geo_db *db);
const char *geo_db_type(const struct geo_db *db); /* database_type from its metadata */

struct geo_info {
    char country[8]; /* ISO 3166-1 alpha-2 (upper case) or "" */
    int has_loc;
    double lat, lon;
    uint32_t asn; /* 0 = unknown */
    char asorg[128];
};

/* Fills what the database knows about ip (fields it lacks stay empty/0).  Returns 1 when the
 * address is in the database, 0 when not or not an address. */
int geo_lookup(const struct geo_db *db, const char *ip, size_t iplen, struct geo_info *out);

/* Approximate centroid of a country (ISO alpha-2, any case); 0 when not in the table. */
int geo_country_centroid(const char *iso2, double *lat, double *lon);
/* Great-circle distance in km (haversine, mean earth radius 6371 km). */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* A named list of networks read from a file: one address or CIDR per line, '#' comments
 * and blank lines ignored; any other line is an error "PATH:LINE: why". */
struct geo_iplist;
struct geo_iplist *geo_iplist_load(const char *name, const char *path, char *err,
                                   size_t errsz);
void geo_iplist_free(struct geo_iplist *l);
const char *geo_iplist_name(const struct geo_iplist *l);
size_t geo_iplist_len(const struct geo_iplist *l); /* ranges after merging */
/* 1 when ip (IPv4, IPv6 or v4-mapped IPv6 text) is in one of the list's networks. */
int geo_iplist_has(const struct geo_iplist *l, const char *ip, size_t iplen);

/* Lookups for the unusual-origin and lookalike-domain rules, handed to the hunt in
 * msl_hunt_opts.lookups (the caller keeps everything alive until msl_hunt_free). */
struct geo_hunt_cfg {
    const struct geo_db *country; /* --geoip */
    const struct geo_db *asn;     /* --asn */
    const struct geo_iplist *const *lists; /* --ip-list NAME=FILE */
    size_t nlists;
    const char *const *protected_domains; /* --protected-domain */
    size_t nprotected;
    const char *const *local_domains; /* --local-domain (the engine only answers "is it?") */
    size_t nlocal;
};

#endif
