/*
 * struct zt_eng: one mbedtls_ssl_context driven as a pump. The transport is
 * the socket layer's non-blocking send/recv; every call returns at once with
 * a result, -EAGAIN plus what to wait for (zt_mbed_status), or an errno from
 * the one error table (errors.c). TLS and DTLS share every entry point here;
 * datagram reads live in dtls_eng.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/x509.h>

#include "engine/mbedtls/mbed.h"

/*
 * A fatal alert sent in the clear (before the keys change: TLS 1.2 and DTLS
 * handshakes, a TLS 1.3 server refusing a ClientHello) is a record of type
 * 21 whose body is exactly level and description: kept for the failure
 * text (info.c). Encrypted alerts cannot be read here.
 */
static void note_alert(struct zt_eng *e, const unsigned char *buf, size_t len)
{
	size_t hdr = e->conf->dgram ? 13 : 5;

	if (len == hdr + 2 && buf[0] == MBEDTLS_SSL_MSG_ALERT && buf[hdr - 2] == 0 &&
	    buf[hdr - 1] == 2 && buf[hdr] == MBEDTLS_SSL_ALERT_LEVEL_FATAL) {
		e->alert_sent = buf[hdr + 1];
	}
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct zt_eng *e = ctx;
	ssize_t n = e->io.send(e->io.ctx, buf, len);

	if (n == (ssize_t)len) {
		note_alert(e, buf, len);
	}
	if (n >= 0) {
		return (int)n;
	}
	if (n == -EAGAIN) {
		e->want = POLLOUT;
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	e->io_errno = (int)-n;
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
	e->io_errno = (int)-n;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* DTLS retransmission timer, as Mbed TLS's set/get delay callbacks want it. */
static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
	struct zt_eng *e = ctx;

	e->timer_int_ms = int_ms;
	e->timer_fin_ms = fin_ms;
	/* Mbed TLS cancels the timer (0) after every record it reads or writes: no clock then */
	e->timer_start = fin_ms != 0 ? zt_now_ms() : 0;
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
	 * A client that never set TLS_HOSTNAME verifies against "" in Zephyr,
	 * so the name check fails (docs/zephyr-behaviour.md §3.11). We send no SNI in
	 * that case and flag the mismatch here (REQUIRED then fails inside
	 * Mbed TLS's verification, which alerts the peer).
	 */
	if (depth == 0 && e->name_unset) {
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	}
	if (e->conf->user_vrfy != NULL) {
		return e->conf->user_vrfy(e->conf->user_vrfy_ctx, crt, depth, flags);
	}
	return 0;
}

void zt_mbed_bind(struct zt_eng *e)
{
	mbedtls_ssl_set_bio(&e->ssl, e, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_verify(&e->ssl, zt_mbed_verify, e);
	if (e->conf->dgram) {
		mbedtls_ssl_set_timer_cb(&e->ssl, e, timer_set, timer_get);
	}
}

int zt_mbed_session_new(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
			const struct zt_eng_sess_cfg *sc)
{
	struct zt_eng *e = calloc(1, sizeof(*e));
	int rc = -ENOMEM;

	if (e == NULL) {
		return -ENOMEM;
	}
	mbedtls_ssl_init(&e->ssl);
	zt_mbed_conf_get(c);
	e->conf = c;
	e->io = *io;
	e->alert_sent = -1;
	if (zt_mbed_setup(e, &c->ssl) != 0) {
		goto fail;
	}
	zt_mbed_keylog_attach(e);
	zt_mbed_bind(e);
	if (!c->server) {
		/*
		 * NULL disables the name check and SNI. Unset: Zephyr verifies
		 * against "", which no certificate matches; we set NULL instead
		 * (no SNI: RFC 6066 forbids an empty HostName) and flag the
		 * mismatch in zt_mbed_verify().
		 */
		const char *name = sc->name_rule == ZT_NAME_SET ? sc->hostname : NULL;

		if (mbedtls_ssl_set_hostname(&e->ssl, name) != 0) {
			rc = -EINVAL;
			goto fail;
		}
		e->name_unset = sc->name_rule == ZT_NAME_UNSET;
	}
	/*
	 * RFC 9146: ENABLED sends our CID (of the config's length), SUPPORTED an
	 * empty one - never a NULL pointer, which Mbed TLS would memcpy() from.
	 */
	static const unsigned char no_cid[1];

	if (c->dgram && c->cid_on &&
	    mbedtls_ssl_set_cid(&e->ssl, MBEDTLS_SSL_CID_ENABLED,
				sc->own_cid != NULL ? sc->own_cid : no_cid,
				sc->own_cid != NULL ? sc->own_cid_len : 0) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	if (c->dgram && c->server && sc->peer_id != NULL) {
		rc = zt_mbed_set_peer_id(e, sc->peer_id, sc->peer_id_len);
		if (rc < 0) {
			goto fail;
		}
	}
	if (!c->server && sc->cache_key != NULL) {
		rc = zt_mbed_cache_attach(e, sc);
		if (rc < 0) {
			goto fail;
		}
	}
	*out = e;
	return 0;
fail:
	zt_mbed_session_free(e);
	return rc;
}

void zt_mbed_session_free(struct zt_eng *e)
{
	if (e == NULL) {
		return;
	}
	mbedtls_ssl_free(&e->ssl);
	if (e->hib != NULL) {
		zt_wipe(e->hib, e->hib_len); /* it holds the session's keys */
		free(e->hib);
	}
	zt_mbed_conf_put(e->conf);
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
	} else if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
		e->want = POLLOUT;
	}
	return zt_mbed_errno(e, ret);
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

int zt_mbed_set_peer_id(struct zt_eng *e, const void *id, size_t len)
{
	if (len > sizeof(e->dtls_peer_id)) {
		return -EINVAL;
	}
	memcpy(e->dtls_peer_id, id, len);
	e->dtls_peer_id_len = len;
	if (mbedtls_ssl_set_client_transport_id(&e->ssl, e->dtls_peer_id, len) != 0) {
		return -ENOMEM;
	}
	return 0;
}

int zt_mbed_session_handshake(struct zt_eng *e)
{
	int ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
	ret = zt_mbed_handshake(e);
	if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
		/*
		 * RFC 6347 4.2.1: the HelloVerifyRequest went out; the server keeps
		 * no state for this client. The next ClientHello (with the cookie)
		 * starts over on the same context, same transport id.
		 */
		if (mbedtls_ssl_session_reset(&e->ssl) != 0) {
			return -ENOMEM;
		}
		int rc = zt_mbed_set_peer_id(e, e->dtls_peer_id, e->dtls_peer_id_len);

		return rc < 0 ? rc : 1;
	}
	if (ret == 0) {
		if (e->conf->dgram && e->conf->server) {
			e->hs_over_ms =
				zt_now_ms(); /* hibernate.c: how long its last flight is kept */
		}
		/* TLS 1.2 and DTLS sessions are known now; TLS 1.3 ones come as tickets */
		if (!e->conf->server &&
		    mbedtls_ssl_get_version_number(&e->ssl) != MBEDTLS_SSL_VERSION_TLS1_3) {
			zt_mbed_cache_store(e);
		}
		return 0;
	}
	if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
		e->last_error = ret;
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

/* End of the stream: 0, and which kind (close_notify or a bare EOF). */
static ssize_t stream_end(struct zt_eng *e, int ret)
{
	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		e->close_notify = true;
	} else {
		e->truncated = true; /* transport EOF without close_notify */
	}
	return 0;
}

/* One mbedtls_ssl_read() as the stream wants it: tickets and empty records are not data. */
static int stream_read(struct zt_eng *e, unsigned char *buf, size_t len)
{
	int ret = MBEDTLS_ERR_SSL_WANT_READ;

	for (int i = 0; i < 32; i++) {
		ret = mbedtls_ssl_read(&e->ssl, buf, len);
		if (ret > 0 || (ret == 0 && len == 0 && mbedtls_ssl_get_bytes_avail(&e->ssl) > 0)) {
			return ret;
		}
		if (ret == 0 && !e->eof) {
			/* an empty application data record (Mbed-TLS/mbedtls#6508) */
			ret = MBEDTLS_ERR_SSL_WANT_READ;
			continue;
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
	return ret;
}

ssize_t zt_mbed_read(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	int ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
	if (e->conf->dgram) {
		return zt_mbed_dtls_read(e, buf, len, full);
	}
	if (e->close_notify || e->truncated) {
		return 0;
	}
	ret = stream_read(e, buf, len);
	if (ret > 0) {
		return ret;
	}
	if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
	    ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		return stream_end(e, ret);
	}
	return pump_result(e, ret);
}

ssize_t zt_mbed_peek(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	int rc = zt_mbed_data_check(e);
	size_t avail;

	*full = 0;
	if (rc <= 0) {
		return rc; /* 0: EOF or close_notify; -EAGAIN; -errno */
	}
	/* the rest of the decrypted record starts at in_offt (Mbed TLS's read offset) */
	avail = mbedtls_ssl_get_bytes_avail(&e->ssl);
	if (len > avail) {
		len = avail;
	}
	if (len > 0) {
		memcpy(buf, e->ssl.MBEDTLS_PRIVATE(in_offt), len);
	}
	*full = avail;
	return (ssize_t)len;
}

int zt_mbed_data_check(struct zt_eng *e)
{
	int ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
	if (e->conf->dgram) {
		return zt_mbed_dtls_data_check(e);
	}
	if (mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	if (e->close_notify || e->truncated) {
		return 0;
	}
	/* a zero-length read decrypts one record and keeps it for the next read */
	ret = stream_read(e, NULL, 0);
	if (ret >= 0 && mbedtls_ssl_get_bytes_avail(&e->ssl) > 0) {
		return 1;
	}
	if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
	    ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		return (int)stream_end(e, ret);
	}
	return pump_result(e, ret);
}

ssize_t zt_mbed_write(struct zt_eng *e, const void *buf, size_t len)
{
	int max, ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
	ret = settle_ticket(e);
	if (ret != 0) {
		return pump_result(e, ret);
	}
	if (e->write_pending) {
		ret = zt_mbed_flush(e);
		if (ret < 0) {
			return ret;
		}
	}
	max = mbedtls_ssl_get_max_out_record_payload(&e->ssl);
	if (max > 0 && len > (size_t)max) {
		if (e->conf->dgram) {
			return -EMSGSIZE; /* one datagram, one record */
		}
		len = (size_t)max; /* one record per call: the caller loops */
	}
	ret = mbedtls_ssl_write(&e->ssl, buf, len);
	if (ret >= 0) {
		return ret;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE && e->ssl.MBEDTLS_PRIVATE(out_left) > 0) {
		/*
		 * The record is encrypted and queued in Mbed TLS's output buffer:
		 * the data is ours now. zt_mbed_flush() sends the rest, so the
		 * application need not repeat the same buffer (Mbed TLS's rule).
		 */
		e->write_pending = true;
		e->want = POLLOUT;
		return (ssize_t)len;
	}
	return pump_result(e, ret);
}

int zt_mbed_flush(struct zt_eng *e)
{
	int ret;

	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
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

void zt_mbed_close_notify(struct zt_eng *e)
{
	if (zt_mbed_unpark(e) < 0) {
		return;
	}
	if (settle_ticket(e) != 0 || (e->write_pending && zt_mbed_flush(e) < 0)) {
		return;
	}
	if (mbedtls_ssl_is_handshake_over(&e->ssl)) {
		(void)mbedtls_ssl_close_notify(&e->ssl);
	}
}

void zt_mbed_status(const struct zt_eng *e, struct zt_eng_status *st)
{
	if (zt_mbed_asleep(e)) {
		/* hibernated: established and idle (nothing held either way) */
		memset(st, 0, sizeof(*st));
		st->want = POLLIN;
		st->timer = ZT_FOREVER;
		st->established = true;
		st->eof_truncated = e->truncated;
		st->close_notify_rcvd = e->close_notify;
		return;
	}
	st->want = e->want ? e->want : POLLIN;
	st->timer = ZT_FOREVER;
	if (e->timer_fin_ms != 0) {
		st->timer = e->timer_start + e->timer_fin_ms;
	}
	st->plaintext = mbedtls_ssl_get_bytes_avail(&e->ssl);
	st->buffered = mbedtls_ssl_check_pending(&e->ssl) != 0;
	st->write_pending = e->write_pending;
	st->established = mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl) != 0;
	st->eof_truncated = e->truncated;
	st->close_notify_rcvd = e->close_notify;
}

bool zt_mbed_readable(const struct zt_eng *e)
{
	if (e->in_parked) {
		return false; /* trimmed or hibernated: idle, nothing held */
	}
	return mbedtls_ssl_get_bytes_avail(&e->ssl) > 0 || mbedtls_ssl_check_pending(&e->ssl) != 0;
}

bool zt_mbed_write_queued(const struct zt_eng *e)
{
	return e->write_pending;
}

int zt_mbed_set_hostname(struct zt_eng *e, const char *hostname)
{
	if (e->conf->server) {
		return 0;
	}
	if (zt_mbed_unpark(e) < 0) {
		return -ECONNABORTED;
	}
	if (mbedtls_ssl_set_hostname(&e->ssl, hostname) != 0) {
		return -EINVAL;
	}
	e->name_unset = false;
	/* the session no longer matches the context it was keyed under */
	e->cache_key_len = 0;
	return 0;
}
