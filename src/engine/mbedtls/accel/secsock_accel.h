/*
 * secsock's crypto acceleration adapter (SECSOCK_CRYPTO_ACCEL=openssl): the
 * Mbed TLS GCM and ChaCha20-Poly1305 modules replaced through their _ALT
 * hooks by OpenSSL libcrypto's assembly implementations (docs/crypto-accel.md).
 * tools/mbedtls.sh compiles accel_openssl.c into libmbedcrypto of that Mbed
 * TLS variant and installs this header next to Mbed TLS's own; the variant's
 * mbedtls_config.h defines SECSOCK_MBEDTLS_ACCEL_OPENSSL. No OpenSSL type
 * appears here.
 */
#ifndef SECSOCK_ACCEL_H
#define SECSOCK_ACCEL_H

/* What the adapter counts: each completed operation of a kind, for tests. */
enum zt_accel_kind {
	ZT_ACCEL_GCM_ONESHOT,        /* mbedtls_gcm_crypt_and_tag, mbedtls_gcm_auth_decrypt */
	ZT_ACCEL_GCM_STREAM,         /* mbedtls_gcm_starts .. mbedtls_gcm_finish */
	ZT_ACCEL_CHACHAPOLY_ONESHOT, /* mbedtls_chachapoly_encrypt_and_tag, _auth_decrypt */
	ZT_ACCEL_CHACHAPOLY_STREAM,  /* mbedtls_chachapoly_starts .. _finish */
	ZT_ACCEL_ECDSA_SIGN,         /* mbedtls_ecdsa_sign (also under sign_det) */
	ZT_ACCEL_ECDSA_VERIFY,       /* mbedtls_ecdsa_verify */
	ZT_ACCEL_ECDH_GEN,           /* mbedtls_ecdh_gen_public */
	ZT_ACCEL_ECDH_SHARED,        /* mbedtls_ecdh_compute_shared */
	ZT_ACCEL_KINDS
};

/** Operations of @p kind done so far in this process (0 for an unknown kind). */
unsigned long zt_accel_count(int kind);

/** One line for version and debug output, e.g. "AES-GCM, ChaCha20-Poly1305 by OpenSSL 3.0.19". */
const char *zt_accel_info(void);

#endif /* SECSOCK_ACCEL_H */
