/*
 * sha256.h - SHA-256 over a stream of bytes (OpenSSL's libcrypto underneath, so the hot
 * loop uses the CPU's SHA instructions where it has them).  Used to fingerprint evidence.
 */
#ifndef MSL_UTIL_SHA256_H
#define MSL_UTIL_SHA256_H

#include <stddef.h>

struct sha256;

struct sha256 *sha256_new(void); /* NULL on allocation failure */
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Writes the digest as 64 lower-case hex digits + NUL, and frees h. */
void sha256_final_hex(struct sha256 *h, char out[65]);
void sha256_free(struct sha256 *h);

#endif
