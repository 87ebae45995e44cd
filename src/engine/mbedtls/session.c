/*
 * struct zt_eng: one mbedtls_ssl_context driven as a pump. The transport is
 * the socket layer's non-blocking send/recv; every call returns at once with
 * a result, -EAGAIN plus what to wait for (zt_eng_want), or an errno.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/x509.h>

#include "engine/mbedtls/mbed.h"

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct zt_eng *e = ctx;
	ssize_t n = e->io.send(e->io.ctx, buf, len);

	if (n >= 0) {
		return (int)n;
	}
	if (n == -EAGAIN) {
		e->want = POLLOUT;
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct zt_eng *e = ctx;
	ssize_t n = e->io.recv(e->io.ctx, buf, len);

	if (n > 0) {
		return (int)n;
	}
	if (n == 0) {
		e->eof = true;
		return 0; /* Mbed TLS turns this into MBEDTLS_ERR_SSL_CONN_EOF */
	}
	if (n == -EAGAIN) {
		e->want = POLLIN;
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* DTLS retransmission timer, as Mbed TLS's set/get delay callbacks want it. */
static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
	struct zt_eng *e = ctx;

	e->timer_int_ms = int_ms;
	e->timer_fin_ms = fin_ms;
	e->timer_start = zt_now_ms();
}

static int timer_get(void *ctx)
{
	struct zt_eng *e = ctx;
	int64_t elapsed;

	if (e->timer_fin_ms == 0) {
		return -1;
	}
	elapsed = zt_now_ms() - e->timer_start;
	if (elapsed >= e->timer_fin_ms) {
		return 2;
	}
	return elapsed >= e->timer_int_ms ? 1 : 0;
}

int zt_mbed_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct zt_eng *e = ctx;

	/*
	 * Reference §3.11: a client that never set TLS_HOSTNAME verifies against
	 * "" in Zephyr, so the name check fails. We send no SNI in that case
	 * and flag the mismatch here (REQUIRED already fails inside Mbed TLS).
	 */
	if (depth == 0 && e->name_unset) {
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	}
	if (e->conf->user_vrfy != NULL) {
		return e->conf->user_vrfy(e->conf->user_vrfy_ctx, crt, depth, flags);
	}
	return 0;
}

int zt_eng_new(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
	       const struct zt_opts *o)
{
	struct zt_eng *e = calloc(1, sizeof(*e));
	int rc = -ENOMEM;

	if (e == NULL) {
		return -ENOMEM;
	}
	mbedtls_ssl_init(&e->ssl);
	zt_eng_conf_get(c);
	e->conf = c;
	e->io = *io;
	if (mbedtls_ssl_setup(&e->ssl, &c->ssl) != 0) {
		goto fail;
	}
	mbedtls_ssl_set_bio(&e->ssl, e, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_verify(&e->ssl, zt_mbed_verify, e);
	if (c->dgram) {
		mbedtls_ssl_set_timer_cb(&e->ssl, e, timer_set, timer_get);
	}
	if (!c->server) {
		bool named = o->hostname_set && (o->hostname == NULL || o->hostname[0] != '\0');

		/*
		 * NULL disables the name check and SNI (reference option 2). Unset
		 * or "": Zephyr verifies against "", which no certificate matches.
		 * We set NULL instead (no SNI: RFC 6066 forbids an empty HostName)
		 * and flag the mismatch in zt_mbed_verify(), so REQUIRED fails inside
		 * X.509 verification, which sends the peer a bad_certificate alert.
		 */
		if (mbedtls_ssl_set_hostname(&e->ssl, named ? o->hostname : NULL) != 0) {
			rc = -EINVAL;
			goto fail;
		}
		e->name_unset = !named;
		if (o->session_cache == TLS_SESSION_CACHE_ENABLED) {
			zt_mbed_client_ctx_fp(e, o);
		}
	}
	if (c->dgram && o->dtls_cid == TLS_DTLS_CID_ENABLED) {
		if (mbedtls_ssl_set_cid(&e->ssl, MBEDTLS_SSL_CID_ENABLED, o->cid, o->cid_len) !=
		    0) {
			rc = -EINVAL;
			goto fail;
		}
	} else if (c->dgram && o->dtls_cid == TLS_DTLS_CID_SUPPORTED) {
		if (mbedtls_ssl_set_cid(&e->ssl, MBEDTLS_SSL_CID_ENABLED, NULL, 0) != 0) {
			rc = -EINVAL;
			goto fail;
		}
	}
	*out = e;
	return 0;
fail:
	zt_eng_free(e);
	return rc;
}

void zt_eng_free(struct zt_eng *e)
{
	if (e == NULL) {
		return;
	}
	mbedtls_ssl_free(&e->ssl);
	zt_eng_conf_put(e->conf);
	free(e);
}

/* Mbed TLS result -> 0 / -EAGAIN (with want) / -errno */
static int pump_result(struct zt_eng *e, int ret)
{
	if (ret >= 0) {
		return 0;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
		e->want = POLLIN;
		return -EAGAIN;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
		e->want = POLLOUT;
		return -EAGAIN;
	}
	return zt_mbed_errno(ret);
}

/* The engine whose handshake this thread is running (zt_mbed_note_resume). */
static _Thread_local struct zt_eng *hs_current;

void zt_mbed_note_resume(void)
{
	if (hs_current != NULL) {
		hs_current->resume_offered = true;
	}
}

int zt_mbed_handshake(struct zt_eng *e)
{
	int ret = 0;

	/*
	 * mbedtls_ssl_handshake() step by step, to see the path: a handshake
	 * that never reaches a certificate state (TLS 1.2 ServerCertificate, TLS
	 * 1.3 CertificateRequest) and had a session to resume did resume it.
	 */
	hs_current = e;
	while (e->ssl.MBEDTLS_PRIVATE(state) != MBEDTLS_SSL_HANDSHAKE_OVER) {
		int st = e->ssl.MBEDTLS_PRIVATE(state);

		if (st == MBEDTLS_SSL_SERVER_CERTIFICATE || st == MBEDTLS_SSL_CERTIFICATE_REQUEST) {
			e->full_handshake = true;
		}
		ret = mbedtls_ssl_handshake_step(&e->ssl);
		if (ret != 0) {
			break;
		}
	}
	hs_current = NULL;
	if (ret == 0) {
		e->resumed = e->resume_offered && !e->full_handshake;
	}
	return ret;
}

bool zt_eng_handshake_done(const struct zt_eng *e)
{
	return mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl) != 0;
}

bool zt_eng_resumed(const struct zt_eng *e)
{
	return e->resumed;
}

int zt_eng_handshake(struct zt_eng *e)
{
	int ret = zt_mbed_handshake(e);

	if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
		return -ETIMEDOUT;
	}
	if (ret == 0 && !e->conf->server &&
	    mbedtls_ssl_get_version_number(&e->ssl) != MBEDTLS_SSL_VERSION_TLS1_3) {
		zt_mbed_cache_store(e); /* TLS 1.2 / DTLS: the session is known now */
	}
	return pump_result(e, ret);
}

/*
 * TLS 1.3 client with ticket signalling (TLS_SESSION_CACHE): on a
 * NewSessionTicket, mbedtls_ssl_read() parks the message (state
 * MBEDTLS_SSL_TLS1_3_NEW_SESSION_TICKET) and returns WANT_READ although it
 * needs no input; the next Mbed TLS call processes it and returns
 * MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET, mbedtls_ssl_write() included,
 * and mbedtls_ssl_close_notify() sends nothing meanwhile.
 */
static bool ticket_parked(const struct zt_eng *e)
{
	return e->ssl.MBEDTLS_PRIVATE(state) == MBEDTLS_SSL_TLS1_3_NEW_SESSION_TICKET;
}

/* Process a parked ticket now. @return 0 or an Mbed TLS error. */
static int settle_ticket(struct zt_eng *e)
{
	while (ticket_parked(e)) {
		int ret = mbedtls_ssl_handshake(&e->ssl);

		if (ret != MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			return ret;
		}
		zt_mbed_cache_store(e);
	}
	return 0;
}

short zt_eng_want(const struct zt_eng *e)
{
	return e->want ? e->want : POLLIN;
}

ssize_t zt_eng_read(struct zt_eng *e, void *buf, size_t len)
{
	int ret = MBEDTLS_ERR_SSL_WANT_READ;

	for (int i = 0; i < 32; i++) {
		ret = mbedtls_ssl_read(&e->ssl, buf, len);
		if (ret > 0) {
			return ret;
		}
		if (ret == 0 && !e->eof) {
			/* two empty application data records (Mbed-TLS/mbedtls#6508) */
			ret = MBEDTLS_ERR_SSL_WANT_READ;
			continue;
		}
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
			e->truncated = true; /* transport EOF without close_notify */
			return 0;
		}
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			return 0;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ && ticket_parked(e)) {
			continue; /* the next read processes the ticket */
		}
		if (ret != MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			break;
		}
		/* a TLS 1.3 ticket is not data: cache it, keep reading */
		zt_mbed_cache_store(e);
	}
	return pump_result(e, ret);
}

ssize_t zt_eng_write(struct zt_eng *e, const void *buf, size_t len)
{
	int max, ret;

	ret = settle_ticket(e);
	if (ret != 0) {
		return pump_result(e, ret);
	}
	if (e->write_pending) {
		ret = zt_eng_flush(e);
		if (ret < 0) {
			return ret;
		}
	}
	max = mbedtls_ssl_get_max_out_record_payload(&e->ssl);
	if (max > 0 && len > (size_t)max) {
		len = (size_t)max; /* one record per call: the caller loops */
	}
	ret = mbedtls_ssl_write(&e->ssl, buf, len);
	if (ret > 0) {
		return ret;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE && e->ssl.MBEDTLS_PRIVATE(out_left) > 0) {
		/*
		 * The record is encrypted and queued in Mbed TLS's output buffer:
		 * the data is ours now. zt_eng_flush() sends the rest, so the
		 * application need not repeat the same buffer (Mbed TLS's rule).
		 */
		e->write_pending = true;
		e->want = POLLOUT;
		return (ssize_t)len;
	}
	return pump_result(e, ret);
}

int zt_eng_flush(struct zt_eng *e)
{
	int ret;

	if (!e->write_pending) {
		return 0;
	}
	if (e->ssl.MBEDTLS_PRIVATE(out_left) == 0) {
		e->write_pending = false;
		return 0;
	}
	/* with output queued, a zero-length write only flushes it */
	ret = mbedtls_ssl_write(&e->ssl, NULL, 0);
	if (ret >= 0) {
		e->write_pending = false;
		return 0;
	}
	return pump_result(e, ret);
}

int zt_eng_data_check(struct zt_eng *e)
{
	int ret;

	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	for (int i = 0; i < 32; i++) {
		ret = mbedtls_ssl_read(&e->ssl, NULL, 0);
		if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			zt_mbed_cache_store(e);
			continue;
		}
		if ((ret == MBEDTLS_ERR_SSL_WANT_READ && ticket_parked(e)) ||
		    (ret == 0 && !e->eof && mbedtls_ssl_get_bytes_avail(&e->ssl) == 0)) {
			/* a parked ticket; empty records (Mbed-TLS/mbedtls#6508) */
			ret = MBEDTLS_ERR_SSL_WANT_READ;
			continue;
		}
		break;
	}
	if (ret == 0) {
		if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
			return 1;
		}
		e->truncated = true;
		return 0;
	}
	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		return 0;
	}
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
		e->truncated = true;
		return 0;
	}
	return pump_result(e, ret);
}

bool zt_eng_write_pending(const struct zt_eng *e)
{
	return e->write_pending;
}

size_t zt_eng_pending(const struct zt_eng *e)
{
	return mbedtls_ssl_get_bytes_avail(&e->ssl);
}

bool zt_eng_has_buffered_input(const struct zt_eng *e)
{
	return mbedtls_ssl_check_pending(&e->ssl) != 0;
}

void zt_eng_close_notify(struct zt_eng *e)
{
	if (settle_ticket(e) != 0 || (e->write_pending && zt_eng_flush(e) < 0)) {
		return;
	}
	if (mbedtls_ssl_is_handshake_over(&e->ssl)) {
		(void)mbedtls_ssl_close_notify(&e->ssl);
	}
}

bool zt_eng_truncated(const struct zt_eng *e)
{
	return e->truncated;
}

int zt_eng_ciphersuite(const struct zt_eng *e)
{
	if (!mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl)) {
		return -ENOTCONN;
	}
	return mbedtls_ssl_get_ciphersuite_id_from_ssl(&e->ssl);
}

uint32_t zt_eng_verify_result(const struct zt_eng *e)
{
	/*
	 * A resumed client session reports the result of the handshake that
	 * verified it (TLS 1.3 sessions do not carry it in Mbed TLS).
	 */
	if (e->resumed && !e->conf->server) {
		return e->cached_vflags;
	}
	return mbedtls_ssl_get_verify_result(&e->ssl);
}

int zt_eng_set_hostname(struct zt_eng *e, const char *hostname)
{
	if (e->conf->server) {
		return 0;
	}
	if (mbedtls_ssl_set_hostname(&e->ssl, hostname) != 0) {
		return -EINVAL;
	}
	e->name_unset = false;
	/* the session no longer matches the context it was keyed under */
	e->cache_key_len = 0;
	return 0;
}

int zt_eng_cid_status(const struct zt_eng *e)
{
	unsigned char cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
	size_t peer_len = 0, own_len = 0;
	int enabled = 0;

	if (!e->conf->dgram) {
		return TLS_DTLS_CID_STATUS_DISABLED;
	}
	if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &peer_len) !=
	    0) {
		return -EAGAIN;
	}
	if (!enabled) {
		return TLS_DTLS_CID_STATUS_DISABLED;
	}
	(void)mbedtls_ssl_get_own_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &own_len);
	return (own_len > 0 ? TLS_DTLS_CID_STATUS_DOWNLINK : 0) |
	       (peer_len > 0 ? TLS_DTLS_CID_STATUS_UPLINK : 0);
}

int zt_eng_own_cid(const struct zt_eng *e, void *buf, size_t *len)
{
	unsigned char cid[MBEDTLS_SSL_CID_IN_LEN_MAX];
	size_t n = 0;
	int enabled = 0;

	if (mbedtls_ssl_get_own_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &n) != 0) {
		n = 0;
	}
	if (*len < n) {
		return -EINVAL;
	}
	memcpy(buf, cid, n);
	*len = n;
	return 0;
}

int zt_eng_peer_cid(const struct zt_eng *e, void *buf, size_t *len)
{
	unsigned char cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
	size_t n = 0;
	int enabled = 0;

	if (mbedtls_ssl_get_peer_cid((mbedtls_ssl_context *)&e->ssl, &enabled, cid, &n) != 0) {
		return -EAGAIN;
	}
	if (!enabled) {
		n = 0;
	}
	if (*len < n) {
		return -EINVAL;
	}
	memcpy(buf, cid, n);
	*len = n;
	return 0;
}
