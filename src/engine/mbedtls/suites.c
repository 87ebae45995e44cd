/*
 * The cipher suites a socket offers when the application names none
 * (docs/security.md, "Defaults"): forward-secret AEAD only. TLS 1.3 suites
 * with a full-length tag; TLS 1.2 ECDHE-ECDSA / ECDHE-RSA with AES-GCM,
 * AES-CCM or ChaCha20-Poly1305 for certificates, and PSK / ECDHE-PSK with
 * the same ciphers for pre-shared keys. Static RSA, finite-field DHE, CBC
 * and 8-byte-tag CCM only when TLS_CIPHERSUITE_LIST asks for them.
 */
#include <pthread.h>
#include <stdbool.h>

#include <mbedtls/cipher.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "engine/mbedtls/mbed.h"

/* At most every suite Mbed TLS knows; the build has about 150. */
#define MAX_SUITES 256

enum {
	V_CERT,
	V_PSK,
	V_BOTH,
	V_COUNT
};

static int lists[V_COUNT][MAX_SUITES + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool is_aead(const mbedtls_ssl_ciphersuite_t *cs)
{
	const mbedtls_cipher_info_t *ci =
		mbedtls_cipher_info_from_type((mbedtls_cipher_type_t)cs->MBEDTLS_PRIVATE(cipher));
	mbedtls_cipher_mode_t mode;

	if (ci == NULL || (cs->MBEDTLS_PRIVATE(flags) & MBEDTLS_CIPHERSUITE_SHORT_TAG)) {
		return false;
	}
	mode = mbedtls_cipher_info_get_mode(ci);
	return mode == MBEDTLS_MODE_GCM || mode == MBEDTLS_MODE_CCM ||
	       mode == MBEDTLS_MODE_CHACHAPOLY;
}

static void build(void)
{
	int n[V_COUNT] = {0};

	for (const int *p = mbedtls_ssl_list_ciphersuites(); *p != 0; p++) {
		const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(*p);
		bool cert = false, psk = false;

		if (cs == NULL || !is_aead(cs)) {
			continue;
		}
		if (cs->MBEDTLS_PRIVATE(min_tls_version) == MBEDTLS_SSL_VERSION_TLS1_3) {
			cert = psk = true; /* TLS 1.3 suites fix only cipher and hash */
		} else {
			switch (cs->MBEDTLS_PRIVATE(key_exchange)) {
			case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
			case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
				cert = true;
				break;
			case MBEDTLS_KEY_EXCHANGE_PSK:
			case MBEDTLS_KEY_EXCHANGE_ECDHE_PSK:
				psk = true;
				break;
			default:
				break; /* static RSA, DHE, RSA-PSK, DHE-PSK, ECDH: on request only
					*/
			}
		}
		if (cert && n[V_CERT] < MAX_SUITES) {
			lists[V_CERT][n[V_CERT]++] = *p;
		}
		if (psk && n[V_PSK] < MAX_SUITES) {
			lists[V_PSK][n[V_PSK]++] = *p;
		}
		if ((cert || psk) && n[V_BOTH] < MAX_SUITES) {
			lists[V_BOTH][n[V_BOTH]++] = *p;
		}
	}
}

const int *zt_mbed_suites_default(bool cert, bool psk)
{
	pthread_once(&once, build);
	if (cert && psk) {
		return lists[V_BOTH];
	}
	return psk ? lists[V_PSK] : lists[V_CERT];
}

const int *zt_mbed_suites_default_all(void)
{
	return zt_mbed_suites_default(true, true);
}

const int *zt_mbed_suites_all(void)
{
	return mbedtls_ssl_list_ciphersuites();
}
