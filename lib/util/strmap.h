/*
 * strmap.h - hash map from byte-string keys to fixed-size values (open addressing, linear
 * probing, backward-shift deletion so there are no tombstones).  Each entry is one
 * allocation holding its value and a copy of its key: maps that drop entries (open
 * messages) give the memory back, so memory follows live entries, not history.
 */
#ifndef MSL_UTIL_STRMAP_H
#define MSL_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

struct strmap_entry {
    uint64_t hash;
    size_t klen;
    const char *key; /* NUL-terminated copy */
    void *val;       /* vsize bytes, zeroed at insertion */
};

/* Returns NULL on allocation failure. */
struct strmap *strmap_new(size_t vsize);
void strmap_free(struct strmap *m);
size_t strmap_len(const struct strmap *m);

/* Finds the entry for key (its key copy lives as long as the entry), or NULL. */
const struct strmap_entry *strmap_lookup(const struct strmap *m, const char *key, size_t klen);
/* Finds the value for key, or NULL. */
void *strmap_find(const struct strmap *m, const char *key, size_t klen);
/* Finds or inserts (zeroed) the value for key; NULL only on allocation failure.
 * *created (if not NULL) tells whether it was inserted. */
void *strmap_get(struct strmap *m, const char *key, size_t klen, int *created);
/* Removes key; returns 1 if it was present. */
int strmap_del(struct strmap *m, const char *key, size_t klen);

/* Visits every entry (order unspecified).  The callback may not modify the map. */
void strmap_each(const struct strmap *m, void (*fn)(void *ctx, const struct strmap_entry *e),
                 void *ctx);

/* Entries in a new array sorted by cmp (NULL = by key); caller frees the array (not the
 * entries).  *n receives the count.  Returns NULL on allocation failure or empty map. */
const struct strmap_entry **strmap_sorted(const struct strmap *m,
                                          int (*cmp)(const void *, const void *), size_t *n);

uint64_t strmap_hash(const char *p, size_t n);

#endif
