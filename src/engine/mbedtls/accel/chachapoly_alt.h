/*
 * The ChaCha20-Poly1305 context of secsock's OpenSSL adapter
 * (MBEDTLS_CHACHAPOLY_ALT; see secsock_accel.h). Included by
 * <mbedtls/chachapoly.h>; holds the key (wiped by free), the libcrypto cipher
 * contexts and the operation's state.
 */
#ifndef SECSOCK_CHACHAPOLY_ALT_H
#define SECSOCK_CHACHAPOLY_ALT_H

typedef struct mbedtls_chachapoly_context {
	void *MBEDTLS_PRIVATE(enc); /* EVP_CIPHER_CTX keyed to encrypt (and to compute tags) */
	void *MBEDTLS_PRIVATE(dec); /* EVP_CIPHER_CTX keyed to decrypt */
	unsigned char MBEDTLS_PRIVATE(key)[32];
	unsigned char MBEDTLS_PRIVATE(keyed); /* bit 0: enc keyed, bit 1: dec keyed */
	mbedtls_chachapoly_mode_t MBEDTLS_PRIVATE(mode);
	int MBEDTLS_PRIVATE(state); /* adapter's: no key, keyed, AAD, data */
} mbedtls_chachapoly_context;

#include "mbedtls/secsock_accel.h"

#endif /* SECSOCK_CHACHAPOLY_ALT_H */
