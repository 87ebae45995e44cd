/*
 * The ChaCha20-Poly1305 context of secsock's OpenSSL adapter
 * (MBEDTLS_CHACHAPOLY_ALT; see secsock_accel.h). Included by
 * <mbedtls/chachapoly.h>; holds no key material, only the libcrypto cipher
 * contexts and the operation's state.
 */
#ifndef SECSOCK_CHACHAPOLY_ALT_H
#define SECSOCK_CHACHAPOLY_ALT_H

typedef struct mbedtls_chachapoly_context {
	void *MBEDTLS_PRIVATE(enc); /* EVP_CIPHER_CTX keyed to encrypt (and to compute tags) */
	void *MBEDTLS_PRIVATE(dec); /* EVP_CIPHER_CTX keyed to decrypt */
	mbedtls_chachapoly_mode_t MBEDTLS_PRIVATE(mode);
	int MBEDTLS_PRIVATE(state); /* adapter's: no key, keyed, AAD, data */
} mbedtls_chachapoly_context;

#include "mbedtls/secsock_accel.h"

#endif /* SECSOCK_CHACHAPOLY_ALT_H */
