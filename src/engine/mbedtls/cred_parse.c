/*
 * Credential parsing with Mbed TLS (cred_parse.h), and the backend-neutral
 * checks built on it: the engine ops cred_check and cert_expiry (engine.h).
 * Nothing here logs: the buffers hold private keys.
 */
#include "engine/mbedtls/cred_parse.h"
#include "engine/mbedtls/mbed.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/psa_util.h>
#include <psa/crypto.h>

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_ANY_BEGIN  "-----BEGIN "

/* An Mbed TLS code is a high-level (module) part plus a low-level part. */
static int mbed_errno(int ret)
{
	int high = -ret & 0xFF80;
	int low = -ret & 0x007F;

	if (ret == 0) {
		return 0;
	}
	if (high == -MBEDTLS_ERR_X509_ALLOC_FAILED || high == -MBEDTLS_ERR_PK_ALLOC_FAILED ||
	    high == -MBEDTLS_ERR_PEM_ALLOC_FAILED || high == -MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    low == -MBEDTLS_ERR_ASN1_ALLOC_FAILED || low == -MBEDTLS_ERR_MPI_ALLOC_FAILED) {
		return -ENOMEM;
	}
	return -EINVAL;
}

static bool has(const void *buf, size_t len, const char *needle)
{
	return memmem(buf, len, needle, strlen(needle)) != NULL;
}

/*
 * Mbed TLS reads PEM only from a buffer whose last byte is NUL, and stops at
 * the first NUL. Zephyr therefore demands the NUL in credlen; we accept PEM
 * without it, and concatenated C strings ("PEM1\0PEM2\0"), by handing Mbed
 * TLS a copy with interior NULs turned into newlines and a NUL appended.
 * *tmp is that copy (wipe and free it with tmp_free), or NULL if @p buf is
 * usable as it is.
 */
static int pem_terminated(const unsigned char *buf, size_t len, const unsigned char **pem,
			  size_t *pem_len, unsigned char **tmp)
{
	*tmp = NULL;
	*pem = buf;
	*pem_len = len;
	if (memchr(buf, '\0', len) == buf + len - 1) {
		return 0;
	}
	if (len == SIZE_MAX || (*tmp = malloc(len + 1)) == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		(*tmp)[i] = buf[i] == '\0' ? '\n' : buf[i];
	}
	(*tmp)[len] = '\0';
	*pem = *tmp;
	*pem_len = len + 1;
	return 0;
}

static void tmp_free(unsigned char *tmp, size_t len)
{
	if (tmp != NULL) {
		zt_wipe(tmp, len + 1);
		free(tmp);
	}
}

static int parse_pem_certs(mbedtls_x509_crt *chain, const unsigned char *buf, size_t len)
{
	const unsigned char *pem;
	unsigned char *tmp;
	size_t pem_len;
	int ret;

	ret = pem_terminated(buf, len, &pem, &pem_len, &tmp);
	if (ret < 0) {
		return ret;
	}
	ret = mbedtls_x509_crt_parse(chain, pem, pem_len);
	tmp_free(tmp, len);
	/* > 0: that many blocks of the bundle failed while others parsed */
	return ret > 0 ? -EINVAL : mbed_errno(ret);
}

/* Concatenated DER certificates, each delimited by its outer SEQUENCE. */
static int parse_der_certs(mbedtls_x509_crt *chain, const unsigned char *p, size_t len, bool nocopy)
{
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned char *body = (unsigned char *)p;
		size_t body_len;
		size_t n;
		int ret;

		if (mbedtls_asn1_get_tag(&body, end, &body_len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) {
			return -EINVAL;
		}
		n = (size_t)(body - p) + body_len;
		ret = nocopy ? mbedtls_x509_crt_parse_der_nocopy(chain, p, n)
			     : mbedtls_x509_crt_parse_der(chain, p, n);
		if (ret != 0) {
			return mbed_errno(ret);
		}
		p += n;
	}
	return 0;
}

int zt_mbed_parse_certs(mbedtls_x509_crt *chain, const void *buf, size_t len, bool nocopy)
{
	if (chain == NULL || buf == NULL || len == 0) {
		return -EINVAL;
	}
	if (has(buf, len, PEM_CERT_BEGIN)) {
		return parse_pem_certs(chain, buf, len);
	}
	return parse_der_certs(chain, buf, len, nocopy);
}

int zt_mbed_parse_key(mbedtls_pk_context *pk, const void *buf, size_t len)
{
	const unsigned char *key = buf;
	unsigned char *tmp = NULL;
	size_t key_len = len;
	psa_status_t st;
	int ret;

	if (pk == NULL || buf == NULL || len == 0) {
		return -EINVAL;
	}
	/* The RNG below (EC public key derivation, RSA blinding) is PSA's. */
	st = psa_crypto_init();
	if (st != PSA_SUCCESS) {
		return st == PSA_ERROR_INSUFFICIENT_MEMORY ? -ENOMEM : -EIO;
	}
	if (has(buf, len, PEM_ANY_BEGIN)) {
		ret = pem_terminated(buf, len, &key, &key_len, &tmp);
		if (ret < 0) {
			return ret;
		}
	}
	/* No password: an encrypted key fails with PK_PASSWORD_REQUIRED. */
	ret = mbedtls_pk_parse_key(pk, key, key_len, NULL, 0, mbedtls_psa_get_random,
				   MBEDTLS_PSA_RANDOM_STATE);
	tmp_free(tmp, len);
	return mbed_errno(ret);
}

static int check_certs(const void *buf, size_t len)
{
	mbedtls_x509_crt chain;
	int rc;

	mbedtls_x509_crt_init(&chain);
	rc = zt_mbed_parse_certs(&chain, buf, len, true);
	mbedtls_x509_crt_free(&chain);
	return rc;
}

static int check_key(const void *buf, size_t len)
{
	mbedtls_pk_context pk;
	int rc;

	mbedtls_pk_init(&pk);
	rc = zt_mbed_parse_key(&pk, buf, len);
	mbedtls_pk_free(&pk);
	return rc;
}

int zt_mbed_cred_check(enum tls_credential_type type, const void *buf, size_t len)
{
	switch (type) {
	case TLS_CREDENTIAL_CA_CERTIFICATE:
	case TLS_CREDENTIAL_PUBLIC_CERTIFICATE:
		return check_certs(buf, len);
	case TLS_CREDENTIAL_PRIVATE_KEY:
		return check_key(buf, len);
	case TLS_CREDENTIAL_PSK:
	case TLS_CREDENTIAL_PSK_ID:
		/* docs/zephyr-behaviour.md §1.3 option 1: an empty PSK is rejected with EINVAL */
		return buf != NULL && len > 0 ? 0 : -EINVAL;
	case TLS_CREDENTIAL_PRIVATE_KEY_PSA:
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}

int zt_mbed_cert_expiry(const void *buf, size_t len, int64_t *not_after)
{
	mbedtls_x509_crt chain;
	struct tm tm = {0};
	int rc = -EIO;

	if (not_after == NULL) {
		return -EINVAL;
	}
	mbedtls_x509_crt_init(&chain);
	ZT_TRY(zt_mbed_parse_certs(&chain, buf, len, true));
	/* Mbed TLS keeps valid_to as broken-down UTC (year 4 digits, mon 1..12). */
	tm.tm_year = chain.valid_to.year - 1900;
	tm.tm_mon = chain.valid_to.mon - 1;
	tm.tm_mday = chain.valid_to.day;
	tm.tm_hour = chain.valid_to.hour;
	tm.tm_min = chain.valid_to.min;
	tm.tm_sec = chain.valid_to.sec;
	*not_after = (int64_t)timegm(&tm);
	rc = 0;
out:
	mbedtls_x509_crt_free(&chain);
	return rc;
}
