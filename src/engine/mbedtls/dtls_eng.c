/*
 * DTLS-only engine calls (dtls_engine.h) on struct zt_eng: the server's
 * cookie exchange, datagram reads, the retransmission timer and Connection
 * ID record checks. Same pump contract as session.c: every call returns at
 * once with a result, -EAGAIN plus zt_eng_want(), or a negative errno.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "engine/dtls_engine.h"
#include "engine/mbedtls/mbed.h"

_Static_assert(ZT_DTLS_PEER_ID_MAX == sizeof(((struct zt_eng *)0)->dtls_peer_id),
	       "dtls_peer_id size");

/* Mbed TLS result of a DTLS call -> 0 / -EAGAIN (with want) / -errno */
static int dtls_result(struct zt_eng *e, int ret)
{
	switch (ret) {
	case MBEDTLS_ERR_SSL_WANT_READ:
	case MBEDTLS_ERR_SSL_CONN_EOF: /* an empty datagram: nothing to read */
		e->want = POLLIN;
		return -EAGAIN;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		e->want = POLLOUT;
		return -EAGAIN;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		return -ENOTCONN;
	case MBEDTLS_ERR_SSL_CLIENT_RECONNECT:
		return -ECONNRESET;
	case MBEDTLS_ERR_SSL_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return ret >= 0 ? 0 : zt_mbed_errno(ret);
	}
}

static int set_peer_id(struct zt_eng *e)
{
	if (mbedtls_ssl_set_client_transport_id(&e->ssl, e->dtls_peer_id, e->dtls_peer_id_len) !=
	    0) {
		return -ENOMEM;
	}
	return 0;
}

int zt_dtls_eng_handshake(struct zt_eng *e)
{
	int ret = zt_mbed_handshake(e);
	int rc;

	if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
		/*
		 * RFC 6347 4.2.1: the HelloVerifyRequest went out; the server keeps
		 * no state for this client. The next ClientHello (with the cookie)
		 * starts over on the same context, same transport id.
		 */
		if (mbedtls_ssl_session_reset(&e->ssl) != 0) {
			return -ENOMEM;
		}
		rc = set_peer_id(e);
		return rc < 0 ? rc : 1;
	}
	if (ret == 0) {
		if (!e->conf->server) {
			zt_mbed_cache_store(e); /* reference §3.10: DTLS client cache */
		}
		return 0;
	}
	rc = dtls_result(e, ret);
	if (rc == -ENOTCONN || rc == -ECONNRESET) {
		rc = -ECONNABORTED; /* close_notify in the middle of a handshake */
	}
	return rc;
}

bool zt_dtls_eng_hello_verified(const struct zt_eng *e)
{
	return e->ssl.MBEDTLS_PRIVATE(state) > MBEDTLS_SSL_CLIENT_HELLO;
}

bool zt_dtls_eng_established(const struct zt_eng *e)
{
	return mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl) != 0;
}

int zt_dtls_eng_set_peer_id(struct zt_eng *e, const void *id, size_t len)
{
	if (len > sizeof(e->dtls_peer_id)) {
		return -EINVAL;
	}
	memcpy(e->dtls_peer_id, id, len);
	e->dtls_peer_id_len = len;
	return set_peer_id(e);
}

/* Read and drop what is left of the current record (datagram semantics). */
static void discard_record(struct zt_eng *e)
{
	unsigned char sink[512];
	size_t left = mbedtls_ssl_get_bytes_avail(&e->ssl);

	/* with a record in progress, mbedtls_ssl_read() never reads a new one */
	while (left > 0) {
		int n = mbedtls_ssl_read(&e->ssl, sink, left < sizeof(sink) ? left : sizeof(sink));

		if (n <= 0) {
			break;
		}
		left -= (size_t)n;
	}
	zt_wipe(sink, sizeof(sink));
}

ssize_t zt_dtls_eng_recv(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	int ret = mbedtls_ssl_read(&e->ssl, buf, len);
	size_t rest;

	*full = 0;
	if (ret < 0) {
		return dtls_result(e, ret);
	}
	rest = mbedtls_ssl_get_bytes_avail(&e->ssl);
	if (ret == 0 && rest == 0 && len > 0) {
		e->want = POLLIN; /* empty records only: no datagram for the caller */
		return -EAGAIN;
	}
	*full = (size_t)ret + rest;
	discard_record(e);
	return ret;
}

int zt_dtls_eng_poll(struct zt_eng *e)
{
	int ret;

	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	/* a zero-length read decrypts one record and keeps it for the next read */
	ret = mbedtls_ssl_read(&e->ssl, NULL, 0);
	if (ret < 0) {
		return dtls_result(e, ret);
	}
	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	e->want = POLLIN;
	return -EAGAIN;
}

bool zt_dtls_eng_readable(const struct zt_eng *e)
{
	return mbedtls_ssl_get_bytes_avail(&e->ssl) > 0 || mbedtls_ssl_check_pending(&e->ssl) != 0;
}

size_t zt_dtls_eng_pending(const struct zt_eng *e)
{
	return mbedtls_ssl_get_bytes_avail(&e->ssl);
}

int zt_dtls_eng_max_payload(const struct zt_eng *e)
{
	int n = mbedtls_ssl_get_max_out_record_payload(&e->ssl);

	return n < 0 ? -EIO : n;
}

int64_t zt_dtls_eng_timer_deadline(const struct zt_eng *e)
{
	if (e->timer_fin_ms == 0) {
		return ZT_FOREVER;
	}
	return e->timer_start + e->timer_fin_ms;
}

bool zt_dtls_eng_cid_in_use(const struct zt_eng *e)
{
	unsigned char cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
	size_t len = 0;
	int enabled = 0;

	if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &len) != 0) {
		return false;
	}
	return enabled == MBEDTLS_SSL_CID_ENABLED;
}

bool zt_dtls_eng_record_matches(const struct zt_eng *e, const void *dgram, size_t len, void *work)
{
	if (!zt_dtls_eng_established(e)) {
		return false; /* no keys yet: an epoch-0 record would "match" */
	}
	memcpy(work, dgram, len);
	/* decrypts in place and wipes the copy afterwards */
	return mbedtls_ssl_check_record(&e->ssl, work, len) == 0;
}

int zt_dtls_eng_set_own_cid(struct zt_eng *e, const void *cid, size_t len)
{
	if (mbedtls_ssl_set_cid(&e->ssl, MBEDTLS_SSL_CID_ENABLED, cid, len) != 0) {
		return -EINVAL;
	}
	return 0;
}

uint64_t zt_dtls_eng_rx_mark(const struct zt_eng *e)
{
	/* Mbed TLS moves its replay window only for records it accepted */
	return e->ssl.MBEDTLS_PRIVATE(in_window_top) * 0x9E3779B97F4A7C15ULL ^
	       e->ssl.MBEDTLS_PRIVATE(in_window);
}

int zt_dtls_eng_send_fatal_alert(struct zt_eng *e)
{
	int ret = mbedtls_ssl_send_alert_message(&e->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
						 MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR);

	return ret == 0 ? 0 : dtls_result(e, ret);
}
