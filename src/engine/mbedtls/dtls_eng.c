/*
 * The DTLS side of struct zt_eng: datagram reads (one record per call),
 * the poll data check for datagrams, the server's cookie state, Connection
 * ID record checks and an injected alert. Same pump contract as session.c.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "engine/mbedtls/mbed.h"

_Static_assert(ZT_ENG_PEER_ID == sizeof(((struct zt_eng *)0)->dtls_peer_id), "dtls_peer_id size");

/* Mbed TLS result of a datagram read -> bytes / 0 (close_notify) / -EAGAIN / -errno */
static int dgram_result(struct zt_eng *e, int ret)
{
	switch (ret) {
	case MBEDTLS_ERR_SSL_WANT_READ:
	case MBEDTLS_ERR_SSL_CONN_EOF: /* an empty datagram: nothing to read */
		e->want = POLLIN;
		return -EAGAIN;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		e->close_notify = true;
		return 0;
	default:
		return zt_mbed_errno(e, ret);
	}
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

ssize_t zt_mbed_dtls_read(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	int ret;
	size_t rest;

	*full = 0;
	if (e->close_notify) {
		return 0;
	}
	ret = mbedtls_ssl_read(&e->ssl, buf, len);
	if (ret < 0) {
		return dgram_result(e, ret);
	}
	rest = mbedtls_ssl_get_bytes_avail(&e->ssl);
	if (ret == 0 && rest == 0) {
		e->want = POLLIN; /* an empty record is no datagram for the caller */
		return -EAGAIN;
	}
	*full = (size_t)ret + rest;
	discard_record(e);
	return ret;
}

int zt_mbed_dtls_data_check(struct zt_eng *e)
{
	int ret;

	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	if (e->close_notify) {
		return 0;
	}
	/* a zero-length read decrypts one record and keeps it for the next read */
	ret = mbedtls_ssl_read(&e->ssl, NULL, 0);
	if (ret < 0) {
		return dgram_result(e, ret);
	}
	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	e->want = POLLIN;
	return -EAGAIN;
}

/* A hibernated session (only an established server peer hibernates) never is the cookie engine. */
bool zt_mbed_hello_verified(const struct zt_eng *e)
{
	return e->ssl.MBEDTLS_PRIVATE(state) > MBEDTLS_SSL_CLIENT_HELLO;
}

bool zt_mbed_record_matches(const struct zt_eng *e, const void *dgram, size_t len, void *work)
{
	/* hibernated: no keys here (the dispatcher wakes the peer first, dtls_server.c) */
	if (zt_mbed_asleep(e) || !mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl)) {
		return false; /* no keys yet: an epoch-0 record would "match" */
	}
	memcpy(work, dgram, len);
	/* decrypts in place and wipes the copy afterwards */
	return mbedtls_ssl_check_record(&e->ssl, work, len) == 0;
}

int zt_mbed_send_fatal_alert(struct zt_eng *e)
{
	int ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED; /* a hibernated session is loaded first */
	}
	ret = mbedtls_ssl_send_alert_message(&e->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
					     MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR);

	return ret == 0 ? 0 : zt_mbed_errno(e, ret);
}
