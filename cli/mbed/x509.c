/*
 * Certificates, keys and digests for the secsock command (mbed_cli.h):
 * `secsock cred list` shows subjects, expiry and SHA-256 digests, `cred add`
 * checks what it stores, and failed handshakes are explained from the
 * verification flags.
 */
#include "mbed/mbed_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

int mc_sha256(const void *buf, size_t len, unsigned char out[32])
{
	return mbedtls_sha256(buf, len, out, 0) == 0 ? 0 : -1;
}

static time_t utc(const mbedtls_x509_time *t)
{
	struct tm tm = {
		.tm_year = t->year - 1900,
		.tm_mon = t->mon - 1,
		.tm_mday = t->day,
		.tm_hour = t->hour,
		.tm_min = t->min,
		.tm_sec = t->sec,
	};

	return timegm(&tm);
}

/* PEM wants its NUL counted; the store keeps PEM with or without it */
static int parse_chain(mbedtls_x509_crt *crt, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned char *copy;
	int rc;

	if (len > 0 && p[len - 1] != '\0' && memmem(p, len, "-----BEGIN", 10) != NULL) {
		copy = malloc(len + 1);
		if (copy == NULL) {
			return -1;
		}
		memcpy(copy, p, len);
		copy[len] = '\0';
		rc = mbedtls_x509_crt_parse(crt, copy, len + 1);
		free(copy);
		return rc;
	}
	return mbedtls_x509_crt_parse(crt, p, len);
}

int mc_cert_info(const void *buf, size_t len, char *subject, size_t size, time_t *not_after,
		 int *count)
{
	mbedtls_x509_crt crt;
	int rc, n = 0;

	mbedtls_x509_crt_init(&crt);
	rc = parse_chain(&crt, buf, len);
	if (rc != 0 || crt.raw.len == 0) {
		mbedtls_x509_crt_free(&crt);
		return -1;
	}
	if (mbedtls_x509_dn_gets(subject, size, &crt.subject) < 0 && size > 0) {
		subject[0] = '\0';
	}
	*not_after = utc(&crt.valid_to);
	for (const mbedtls_x509_crt *c = &crt; c != NULL && c->raw.len > 0; c = c->next) {
		n++;
	}
	*count = n;
	mbedtls_x509_crt_free(&crt);
	return 0;
}

static int rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return psa_generate_random(out, len) == PSA_SUCCESS ? 0 : -1;
}

int mc_key_check(const void *buf, size_t len, char *why, size_t size)
{
	mbedtls_pk_context pk;
	unsigned char *copy;
	int rc;

	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(why, size, "PSA crypto did not start");
		return -1;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	/* PEM: hand over the NUL as Mbed TLS wants it */
	if (len > 0 && copy[len - 1] != '\0' && memmem(copy, len, "-----BEGIN", 10) != NULL) {
		len++;
	}
	mbedtls_pk_init(&pk);
	rc = mbedtls_pk_parse_key(&pk, copy, len, NULL, 0, rng, NULL);
	mbedtls_pk_free(&pk);
	memset(copy, 0, len);
	free(copy);
	if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
		snprintf(why, size,
			 "the key is encrypted (store it decrypted: openssl pkey -in KEY)");
		return -1;
	}
	if (rc != 0) {
		snprintf(why, size, "not a private key (PEM or DER: PKCS#1, SEC1 or PKCS#8)");
		return -1;
	}
	return 0;
}

void mc_verify_text(uint32_t flags, char *out, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *text;
	} names[] = {
		{MBEDTLS_X509_BADCERT_NOT_TRUSTED, "not trusted (unknown CA)"},
		{MBEDTLS_X509_BADCERT_CN_MISMATCH, "name mismatch"},
		{MBEDTLS_X509_BADCERT_EXPIRED, "expired"},
		{MBEDTLS_X509_BADCERT_FUTURE, "not yet valid"},
		{MBEDTLS_X509_BADCERT_REVOKED, "revoked"},
		{MBEDTLS_X509_BADCERT_MISSING, "no certificate sent"},
		{MBEDTLS_X509_BADCERT_SKIP_VERIFY, "not checked"},
		{MBEDTLS_X509_BADCERT_KEY_USAGE, "key usage does not allow it"},
		{MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "extended key usage does not allow it"},
		{MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "certificate type does not allow it"},
		{MBEDTLS_X509_BADCERT_BAD_MD, "signed with a hash not allowed"},
		{MBEDTLS_X509_BADCERT_BAD_PK, "key type not allowed"},
		{MBEDTLS_X509_BADCERT_BAD_KEY, "key too weak"},
		{MBEDTLS_X509_BADCRL_NOT_TRUSTED, "CRL not trusted"},
		{MBEDTLS_X509_BADCRL_EXPIRED, "CRL expired"},
		{MBEDTLS_X509_BADCERT_OTHER, "other problem"},
	};
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((flags & names[i].bit) != 0 && used < size) {
			int n = snprintf(out + used, size - used, "%s%s", used > 0 ? ", " : "",
					 names[i].text);

			used += n > 0 ? (size_t)n : 0;
			flags &= ~names[i].bit;
		}
	}
	if (flags != 0 && used < size) {
		snprintf(out + used, size - used, "%sflags 0x%x", used > 0 ? ", " : "",
			 (unsigned)flags);
	}
}

bool mc_verify_skipped(uint32_t flags)
{
	return (flags & ~(uint32_t)(MBEDTLS_X509_BADCERT_SKIP_VERIFY |
				    MBEDTLS_X509_BADCERT_MISSING)) == 0 &&
	       (flags & MBEDTLS_X509_BADCERT_SKIP_VERIFY) != 0;
}
