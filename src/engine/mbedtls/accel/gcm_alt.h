/*
 * The GCM context of secsock's OpenSSL adapter (MBEDTLS_GCM_ALT; see
 * secsock_accel.h). Included by <mbedtls/gcm.h>; holds the key (as Mbed TLS's
 * own context holds its key schedule; wiped by setkey and free), the libcrypto
 * cipher contexts (which free their key schedule cleansed) and the state.
 */
#ifndef SECSOCK_GCM_ALT_H
#define SECSOCK_GCM_ALT_H

#include <stddef.h>

typedef struct mbedtls_gcm_context {
	void *MBEDTLS_PRIVATE(enc); /* EVP_CIPHER_CTX keyed to encrypt (and to compute tags) */
	void *MBEDTLS_PRIVATE(dec); /* EVP_CIPHER_CTX keyed to decrypt */
	size_t MBEDTLS_PRIVATE(iv_len)[2]; /* IV length set in dec [0] and enc [1] */
	unsigned char MBEDTLS_PRIVATE(key)[32];
	unsigned char MBEDTLS_PRIVATE(cipher); /* adapter's cipher index */
	unsigned char MBEDTLS_PRIVATE(keyed);  /* bit 0: enc keyed, bit 1: dec keyed */
	unsigned char MBEDTLS_PRIVATE(mode);   /* MBEDTLS_GCM_ENCRYPT or _DECRYPT */
	unsigned char MBEDTLS_PRIVATE(state);  /* adapter's: no key, keyed, AD, data */
} mbedtls_gcm_context;

#include "mbedtls/secsock_accel.h"

#endif /* SECSOCK_GCM_ALT_H */
