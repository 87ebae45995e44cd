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

/* RFC 8446 6 (and RFC 5246 7.2) alert names */
static const char *alert_name(int d)
{
	static const struct {
		int d;
		const char *name;
	} names[] = {
		{0, "close_notify"},
		{10, "unexpected_message"},
		{20, "bad_record_mac"},
		{22, "record_overflow"},
		{40, "handshake_failure"},
		{42, "bad_certificate"},
		{43, "unsupported_certificate"},
		{44, "certificate_revoked"},
		{45, "certificate_expired"},
		{46, "certificate_unknown"},
		{47, "illegal_parameter"},
		{48, "unknown_ca"},
		{49, "access_denied"},
		{50, "decode_error"},
		{51, "decrypt_error"},
		{70, "protocol_version"},
		{71, "insufficient_security"},
		{80, "internal_error"},
		{86, "inappropriate_fallback"},
		{90, "user_canceled"},
		{109, "missing_extension"},
		{110, "unsupported_extension"},
		{112, "unrecognized_name"},
		{113, "bad_certificate_status_response"},
		{115, "unknown_psk_identity"},
		{116, "certificate_required"},
		{120, "no_application_protocol"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].d == d) {
			return names[i].name;
		}
	}
	return "unknown";
}

/*
 * The alert Mbed TLS 3.6 sends when certificate verification fails with
 * @p flags (mbedtls_ssl_verify_certificate() picks one by this order).
 */
static int verify_alert(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_OTHER) {
		return MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED;
	}
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
		return MBEDTLS_SSL_ALERT_MSG_BAD_CERT;
	}
	if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
		     MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY)) {
		return MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT;
	}
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
		return MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED;
	}
	if (flags & MBEDTLS_X509_BADCERT_REVOKED) {
		return MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED;
	}
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		return MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA;
	}
	return MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN;
}

/* The fatal alert this session sent, or -1 when it is not known. */
static int alert_sent(const struct zt_eng *e, uint32_t flags)
{
	if (e->alert_sent >= 0) {
		return e->alert_sent; /* seen in the clear (session.c, note_alert) */
	}
	if (e->last_error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 &&
	    flags != UINT32_MAX) {
		return verify_alert(flags); /* sent encrypted (TLS 1.3): Mbed TLS's choice */
	}
	if (e->ssl.MBEDTLS_PRIVATE(alert_type) != 0) {
		return e->ssl.MBEDTLS_PRIVATE(alert_type); /* a pending fatal alert (TLS 1.3) */
	}
	return -1;
}

/*
 * A short text: the failed verification checks, the alert received or sent
 * with its number, then the engine's error, e.g. "certificate: The
 * certificate validity has expired; sent fatal alert 45 (certificate_expired);
 * X509 - Certificate verification failed, e.g. CRL, CA or signature check
 * failed (-0x2700)".
 */
static int failure(const struct zt_eng *e, void *buf, size_t *len)
{
	char text[512], info[256], err[128];
	uint32_t flags = mbedtls_ssl_get_verify_result(&e->ssl);
	size_t n = 0;
	int a;

	if (e->last_error == 0) {
		return out_bytes(buf, len, "", 1);
	}
	text[0] = '\0';
	if (flags != 0 && flags != UINT32_MAX) {
		int m = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);

		/* one line per failed check: join them */
		for (int i = 0; i < m; i++) {
			if (info[i] == '\n') {
				info[i] = i + 1 < m ? ',' : '\0';
			}
		}
		if (m > 0) {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "certificate: %s; ",
					      info);
		}
	}
	if (e->last_error == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		a = e->ssl.MBEDTLS_PRIVATE(in_msg)[1]; /* the alert's description */
		n += (size_t)snprintf(text + n, sizeof(text) - n, "received fatal alert %d (%s); ",
				      a, alert_name(a));
	} else if ((a = alert_sent(e, flags)) >= 0) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "sent fatal alert %d (%s); ", a,
				      alert_name(a));
	}
	mbedtls_strerror(e->last_error, err, sizeof(err));
	if (n < sizeof(text)) {
		snprintf(text + n, sizeof(text) - n, "%s (-0x%04X)", err, (unsigned)-e->last_error);
	}
	return out_bytes(buf, len, text, strlen(text) + 1);
}

int zt_mbed_info(const struct zt_eng *e, enum zt_eng_info what, void *buf, size_t *len)
{
	/*
	 * A hibernated session wakes for any fact of the session (its engine is
	 * not const in truth: the socket layer holds s->lock for this call).
	 */
	if (zt_mbed_asleep(e) && what != ZT_INFO_FAILURE && zt_mbed_wake((struct zt_eng *)e) < 0) {
		return -ECONNABORTED;
	}
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
