/*
 * Facts about a session (zt_eng_info): negotiated suite, version and ALPN,
 * verification result, resumption, the peer's certificate, Connection IDs,
 * the datagram payload limit, and why a handshake failed. Integers come back
 * as int (uint32_t / uint64_t where the enum says so); byte strings are
 * copied with *len in/out, -EINVAL when the buffer is too small (*len then
 * holds the size needed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/x509.h>

#include "engine/mbedtls/mbed.h"

static int out_bytes(void *buf, size_t *len, const void *p, size_t n)
{
	if (*len < n) {
		*len = n;
		return -EINVAL;
	}
	memcpy(buf, p, n);
	*len = n;
	return 0;
}

static int out_int(void *buf, size_t *len, int v)
{
	return out_bytes(buf, len, &v, sizeof(v));
}

static bool established(const struct zt_eng *e)
{
	return mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl) != 0;
}

static int version_used(const struct zt_eng *e)
{
	mbedtls_ssl_protocol_version v = mbedtls_ssl_get_version_number(&e->ssl);

	if (e->conf->dgram) {
		return ZT_VERSION_DTLS_1_2; /* Mbed TLS 3.6 speaks no other DTLS */
	}
	return v == MBEDTLS_SSL_VERSION_TLS1_3 ? ZT_VERSION_TLS_1_3 : ZT_VERSION_TLS_1_2;
}

static int cid_status(const struct zt_eng *e)
{
	unsigned char cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
	size_t peer_len = 0, own_len = 0;
	int enabled = 0;

	if (!e->conf->dgram) {
		return TLS_DTLS_CID_STATUS_DISABLED;
	}
	if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &peer_len) !=
	    0) {
		return -EAGAIN; /* the handshake has not negotiated it yet */
	}
	if (!enabled) {
		return TLS_DTLS_CID_STATUS_DISABLED;
	}
	(void)mbedtls_ssl_get_own_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &own_len);
	return (own_len > 0 ? TLS_DTLS_CID_STATUS_DOWNLINK : 0) |
	       (peer_len > 0 ? TLS_DTLS_CID_STATUS_UPLINK : 0);
}

static int own_cid(const struct zt_eng *e, void *buf, size_t *len)
{
	unsigned char cid[MBEDTLS_SSL_CID_IN_LEN_MAX];
	size_t n = 0;
	int enabled = 0;

	if (mbedtls_ssl_get_own_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &n) != 0) {
		n = 0;
	}
	return out_bytes(buf, len, cid, n);
}

static int peer_cid(const struct zt_eng *e, void *buf, size_t *len)
{
	unsigned char cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
	size_t n = 0;
	int enabled = 0;

	if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &n) != 0) {
		return -EAGAIN;
	}
	return out_bytes(buf, len, cid, enabled ? n : 0);
}

static int alpn(const struct zt_eng *e, void *buf, size_t *len)
{
	const char *p = mbedtls_ssl_get_alpn_protocol(&e->ssl);

	if (p == NULL) {
		p = "";
	}
	return out_bytes(buf, len, p, strlen(p) + 1);
}

static int peer_cert(const struct zt_eng *e, void *buf, size_t *len)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&e->ssl);

	if (crt == NULL || crt->raw.len == 0) {
		return -ENOENT; /* none sent (PSK), or not kept (a resumed session) */
	}
	return out_bytes(buf, len, crt->raw.p, crt->raw.len);
}

/* A short text: the failed verification checks, or the alert, with its number. */
static int failure(const struct zt_eng *e, void *buf, size_t *len)
{
	char text[256], err[128];
	uint32_t flags = mbedtls_ssl_get_verify_result(&e->ssl);
	int n = 0;

	if (e->last_error == 0) {
		return out_bytes(buf, len, "", 1);
	}
	if (flags != 0 && flags != UINT32_MAX) {
		n = mbedtls_x509_crt_verify_info(text, sizeof(text), "", flags);
		for (int i = 0; i < n; i++) {
			if (text[i] == '\n') {
				text[i] = i + 1 < n ? ';' : '\0';
			}
		}
		n = n > 0 ? (int)strlen(text) : 0;
	}
	mbedtls_strerror(e->last_error, err, sizeof(err));
	snprintf(text + n, sizeof(text) - (size_t)n, "%s%s (-0x%04X)", n > 0 ? "; " : "", err,
		 (unsigned)-e->last_error);
	return out_bytes(buf, len, text, strlen(text) + 1);
}

int zt_mbed_info(const struct zt_eng *e, enum zt_eng_info what, void *buf, size_t *len)
{
	switch (what) {
	case ZT_INFO_FAILURE:
		return failure(e, buf, len);
	case ZT_INFO_RX_MARK: {
		/* Mbed TLS moves its replay window only for records it accepted */
		uint64_t m = e->ssl.MBEDTLS_PRIVATE(in_window_top) * 0x9E3779B97F4A7C15ULL ^
			     e->ssl.MBEDTLS_PRIVATE(in_window);

		return out_bytes(buf, len, &m, sizeof(m));
	}
	case ZT_INFO_CID_STATUS: {
		int st = cid_status(e);

		return st < 0 ? st : out_int(buf, len, st);
	}
	case ZT_INFO_OWN_CID:
		return own_cid(e, buf, len);
	case ZT_INFO_PEER_CID:
		return peer_cid(e, buf, len);
	default:
		break;
	}
	if (!established(e)) {
		if (what == ZT_INFO_VERIFY_RESULT) {
			uint32_t f = mbedtls_ssl_get_verify_result(&e->ssl);

			return out_bytes(buf, len, &f, sizeof(f));
		}
		return -ENOTCONN;
	}
	switch (what) {
	case ZT_INFO_SUITE:
		return out_int(buf, len, mbedtls_ssl_get_ciphersuite_id_from_ssl(&e->ssl));
	case ZT_INFO_VERIFY_RESULT: {
		/*
		 * A resumed client session reports the result of the handshake that
		 * verified it (TLS 1.3 sessions do not carry it in Mbed TLS).
		 */
		uint32_t f = e->resumed && !e->conf->server
				     ? e->cached_vflags
				     : mbedtls_ssl_get_verify_result(&e->ssl);

		return out_bytes(buf, len, &f, sizeof(f));
	}
	case ZT_INFO_VERSION:
		return out_int(buf, len, version_used(e));
	case ZT_INFO_RESUMED:
		return out_int(buf, len, e->resumed ? 1 : 0);
	case ZT_INFO_ALPN:
		return alpn(e, buf, len);
	case ZT_INFO_PEER_CERT:
		return peer_cert(e, buf, len);
	case ZT_INFO_MAX_PAYLOAD: {
		int n = mbedtls_ssl_get_max_out_record_payload(&e->ssl);

		return out_int(buf, len, n < 0 ? 0 : n);
	}
	default:
		return -EINVAL;
	}
}
