/*
 * Parsing of stored credentials into Mbed TLS objects: the only place that
 * turns certificate and key bytes (PEM with or without its NUL, or DER)
 * into mbedtls_x509_crt / mbedtls_pk_context.
 */
#ifndef ZT_MBED_CRED_PARSE_H
#define ZT_MBED_CRED_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "util/util.h"

/**
 * Append the certificate(s) in @p buf to @p chain: one or several PEM
 * blocks, or one or several concatenated DER certificates. With @p nocopy,
 * DER certificates point into @p buf, which must then outlive @p chain.
 * On error @p chain may already hold some of the certificates; the caller
 * frees it as usual.
 *
 * @retval 0       Every certificate parsed.
 * @retval -EINVAL Empty input, or any certificate failed to parse.
 * @retval -ENOMEM Out of memory.
 */
ZT_MUST_CHECK int zt_mbed_parse_certs(mbedtls_x509_crt *chain, const void *buf, size_t len,
				      bool nocopy);

/**
 * Parse an unencrypted EC or RSA private key (PKCS#1, SEC1 or PKCS#8; PEM
 * with or without its NUL, or DER) into @p pk, which must be initialised
 * and empty.
 *
 * @retval 0       Parsed.
 * @retval -EINVAL Not a key we can use (garbage, encrypted, unknown type).
 * @retval -ENOMEM Out of memory.
 * @retval -EIO    PSA crypto (its RNG is used for EC and RSA keys) failed to start.
 */
ZT_MUST_CHECK int zt_mbed_parse_key(mbedtls_pk_context *pk, const void *buf, size_t len);

#endif /* ZT_MBED_CRED_PARSE_H */
