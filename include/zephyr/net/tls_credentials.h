/*
 * secsock: Zephyr's <zephyr/net/tls_credentials.h>.
 *
 * One process-wide store of credentials keyed by (security tag, type).
 * Difference from Zephyr's default (volatile) backend: secsock COPIES the
 * caller's buffer on add, so the caller may free it at once; the copy is
 * zeroized when deleted. PEM input is accepted with or without its trailing
 * NUL; tls_credential_get returns exactly the bytes that were added.
 */
#ifndef SECSOCK_ZEPHYR_NET_TLS_CREDENTIALS_H
#define SECSOCK_ZEPHYR_NET_TLS_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/** Credential types, with Zephyr's values. */
enum tls_credential_type {
	TLS_CREDENTIAL_NONE = 0,               /**< Unspecified */
	TLS_CREDENTIAL_CA_CERTIFICATE = 1,     /**< Trusted CA certificate(s), PEM or DER */
	TLS_CREDENTIAL_PUBLIC_CERTIFICATE = 2, /**< Own certificate (chain), PEM or DER */
	TLS_CREDENTIAL_PRIVATE_KEY = 3,        /**< Own private key, PEM or DER */
	TLS_CREDENTIAL_PSK = 4,                /**< Pre-shared key (raw bytes) */
	TLS_CREDENTIAL_PSK_ID = 5,             /**< Pre-shared key identity */
	TLS_CREDENTIAL_PRIVATE_KEY_PSA = 6,    /**< psa_key_id_t (not supported on hosts) */
};

/** Deprecated Zephyr alias of TLS_CREDENTIAL_PUBLIC_CERTIFICATE. */
#define TLS_CREDENTIAL_SERVER_CERTIFICATE TLS_CREDENTIAL_PUBLIC_CERTIFICATE

/** Security tag; negative values are reserved. */
typedef int sec_tag_t;

/** Invalid security tag. */
#define SEC_TAG_TLS_INVALID (-1)

/**
 * @brief Add a credential (copied) under a tag.
 *
 * @param tag     Security tag, >= 0.
 * @param type    Credential type.
 * @param cred    Credential bytes (PEM with or without its NUL, or DER).
 * @param credlen Length of @p cred.
 *
 * @retval 0       Added.
 * @retval -EINVAL NULL buffer, zero length, negative tag or unknown type.
 * @retval -EEXIST The tag already holds a credential of this type.
 * @retval -ENOMEM The store is full, or out of memory.
 * @retval -ENOTSUP TLS_CREDENTIAL_PRIVATE_KEY_PSA (no PSA key store on hosts).
 */
SECSOCK_API int tls_credential_add(sec_tag_t tag, enum tls_credential_type type, const void *cred,
				   size_t credlen);

/**
 * @brief Copy a credential out of the store.
 *
 * @param tag     Security tag.
 * @param type    Credential type.
 * @param cred    Destination buffer.
 * @param credlen In: size of @p cred. Out: bytes written, or needed.
 *
 * @retval 0       Copied; *credlen holds its length.
 * @retval -EINVAL NULL pointer or unknown type.
 * @retval -ENOENT No such credential (*credlen set to 0).
 * @retval -EFBIG  Buffer too small; *credlen holds the size needed.
 */
SECSOCK_API int tls_credential_get(sec_tag_t tag, enum tls_credential_type type, void *cred,
				   size_t *credlen);

/**
 * @brief Delete a credential; its copy is zeroized before it is freed.
 *
 * @param tag  Security tag.
 * @param type Credential type.
 *
 * @retval 0       Deleted.
 * @retval -EINVAL Unknown type.
 * @retval -ENOENT No such credential.
 */
SECSOCK_API int tls_credential_delete(sec_tag_t tag, enum tls_credential_type type);

/**
 * @brief Expiry time (notAfter, UTC) of a certificate credential.
 *
 * For a buffer with several certificates, the first one's.
 *
 * @param tag    Security tag.
 * @param type   TLS_CREDENTIAL_CA_CERTIFICATE or TLS_CREDENTIAL_PUBLIC_CERTIFICATE.
 * @param expiry Receives the notAfter time.
 *
 * @retval 0       *expiry set.
 * @retval -EINVAL NULL @p expiry, a type that is not a certificate, or a
 *                 certificate that does not parse.
 * @retval -ENOENT No such credential.
 */
SECSOCK_API int tls_credential_expiry(sec_tag_t tag, enum tls_credential_type type, time_t *expiry);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_TLS_CREDENTIALS_H */
