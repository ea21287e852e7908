/* sha256.c - see sha256.h; a thin wrapper so the rest of the code never sees OpenSSL. */
#include <openssl/evp.h>

#include "util/sha256.h"

struct sha256 *sha256_new(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return (struct sha256 *)c;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
    if (h && n)
        EVP_DigestUpdate((EVP_MD_CTX *)h, p, n);
}

void sha256_final_hex(struct sha256 *h, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    static const char hex[] = "0123456789abcdef";
    out[0] = '\0';
    if (!h)
        return;
    if (EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &len) == 1 && len == 32) {
        for (unsigned i = 0; i < 32; i++) {
            out[2 * i] = hex[md[i] >> 4];
            out[2 * i + 1] = hex[md[i] & 15];
        }
        out[64] = '\0';
    }
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

void sha256_free(struct sha256 *h)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
}
