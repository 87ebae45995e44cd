/*
 * The GCM context of secsock's OpenSSL adapter (MBEDTLS_GCM_ALT; see
 * secsock_accel.h). Included by <mbedtls/gcm.h>; holds no key material, only
 * the libcrypto cipher contexts (which keep the key schedule and free it
 * cleansed) and the operation's state.
 */
#ifndef SECSOCK_GCM_ALT_H
#define SECSOCK_GCM_ALT_H

#include <stddef.h>

typedef struct mbedtls_gcm_context {
	void *MBEDTLS_PRIVATE(enc); /* EVP_CIPHER_CTX keyed to encrypt (and to compute tags) */
	void *MBEDTLS_PRIVATE(dec); /* EVP_CIPHER_CTX keyed to decrypt */
	size_t MBEDTLS_PRIVATE(iv_len)[2];    /* IV length set in dec [0] and enc [1] */
	unsigned char MBEDTLS_PRIVATE(mode);  /* MBEDTLS_GCM_ENCRYPT or _DECRYPT */
	unsigned char MBEDTLS_PRIVATE(state); /* adapter's: no key, keyed, AD, data */
} mbedtls_gcm_context;

#include "mbedtls/secsock_accel.h"

#endif /* SECSOCK_GCM_ALT_H */
