/*
 * Key export for SSLKEYLOGFILE: the secrets Mbed TLS hands to its key export
 * callback, as lines of the NSS key log format that Wireshark, curl and
 * browsers use - "CLIENT_RANDOM <client random> <master secret>" for TLS
 * 1.2 and DTLS 1.2, "<LABEL> <client random> <secret>" for the TLS 1.3
 * handshake and traffic secrets. The socket layer owns the file
 * (src/sock/keylog.c); the engine only formats lines, and wipes each one
 * after handing it over.
 */
#include <stdatomic.h>
#include <string.h>

#include "engine/mbedtls/mbed.h"

static _Atomic(zt_eng_keylog_fn) keylog_sink;

void zt_mbed_keylog_set(zt_eng_keylog_fn sink)
{
	atomic_store(&keylog_sink, sink);
}

/* The NSS label of a secret Mbed TLS exports, or NULL for one the format has no line for. */
static const char *label_of(mbedtls_ssl_key_export_type type)
{
	switch (type) {
	case MBEDTLS_SSL_KEY_EXPORT_TLS12_MASTER_SECRET:
		return "CLIENT_RANDOM";
	case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_EARLY_SECRET:
		return "CLIENT_EARLY_TRAFFIC_SECRET";
	case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_HANDSHAKE_TRAFFIC_SECRET:
		return "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
	case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_HANDSHAKE_TRAFFIC_SECRET:
		return "SERVER_HANDSHAKE_TRAFFIC_SECRET";
	case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_APPLICATION_TRAFFIC_SECRET:
		return "CLIENT_TRAFFIC_SECRET_0";
	case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_APPLICATION_TRAFFIC_SECRET:
		return "SERVER_TRAFFIC_SECRET_0";
	default:
		return NULL;
	}
}

static char *hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 15];
	}
	return out;
}

/* Longest secret: a TLS 1.3 SHA-384 secret (48 bytes); the TLS 1.2 master secret is 48 too. */
#define SECRET_MAX      64
#define RANDOM_LEN      32
#define KEYLOG_LINE_MAX (40 + 2 * RANDOM_LEN + 2 * SECRET_MAX + 3)

static void export_keys(void *ctx, mbedtls_ssl_key_export_type type, const unsigned char *secret,
			size_t secret_len, const unsigned char client_random[32],
			const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	zt_eng_keylog_fn sink = atomic_load(&keylog_sink);
	const char *label = label_of(type);
	char line[KEYLOG_LINE_MAX];
	char *p = line;

	(void)ctx;
	(void)server_random;
	(void)prf;
	if (sink == NULL || label == NULL || secret_len == 0 || secret_len > SECRET_MAX) {
		return;
	}
	memcpy(p, label, strlen(label));
	p += strlen(label);
	*p++ = ' ';
	p = hex(p, client_random, RANDOM_LEN);
	*p++ = ' ';
	p = hex(p, secret, secret_len);
	*p++ = '\n';
	sink(line, (size_t)(p - line));
	zt_wipe(line, sizeof(line));
}

void zt_mbed_keylog_attach(struct zt_eng *e)
{
	if (atomic_load(&keylog_sink) != NULL) {
		mbedtls_ssl_set_export_keys_cb(&e->ssl, export_keys, e);
	}
}
