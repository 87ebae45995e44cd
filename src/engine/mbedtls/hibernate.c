/*
 * Hibernation of an idle TLS 1.2 or DTLS 1.2 session (SECSOCK_TLS_HIBERNATE):
 * the whole mbedtls_ssl_context - record buffers, session, transform, peer
 * certificate - is serialised into one small heap blob and freed; the next
 * engine call that needs the session (zt_mbed_unpark() at the top of every
 * entry point) sets a context up on the same config and loads the blob.
 *
 * Mbed TLS 3.6 serialises a context (mbedtls_ssl_context_save/_load) only
 * under a datagram config, and TLS 1.3 not at all. Its format has nothing
 * DTLS-specific that a TLS 1.2 stream lacks, except the incoming record
 * counter, which a stream keeps in the first 8 bytes of its input buffer
 * (in_ctr; mem.c) and DTLS reads from each record. So a stream session is
 * saved and loaded with its context pointed at the config's datagram twin
 * (struct zt_eng_conf.ser: the same config, transport DATAGRAM), the counter
 * kept next to the blob, and after the load the context is pointed back at
 * the stream config and its output pointers are laid out for a stream again.
 * Everything else a stream uses between records (cur_out_ctr, session,
 * transform, ALPN) is in the blob. The stream config has renegotiation
 * disabled (Mbed TLS's default; conf.c never enables it), which is what
 * serialisation requires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mbedtls/mbed.h"

/*
 * Mbed TLS's own layout of the output record pointers (library/ssl_misc.h,
 * exported by the 3.6 library; mbed.h pins 3.6): lay out for a stream again
 * after a load under the datagram twin.
 */
void mbedtls_ssl_reset_out_pointers(mbedtls_ssl_context *ssl);
void mbedtls_ssl_update_out_pointers(mbedtls_ssl_context *ssl, mbedtls_ssl_transform *transform);

/* The blob: the stream's incoming record counter, then Mbed TLS's serialised context. */
#define CTR_LEN MBEDTLS_SSL_SEQUENCE_NUMBER_LEN

void mbedtls_ssl_handshake_wrapup_free_hs_transform(mbedtls_ssl_context *ssl);

/*
 * A DTLS server that sent the last flight of a handshake keeps it (and the
 * handshake state) until the client's first record under the new keys
 * (RFC 6347 4.2.4: the client may have lost it and send its Finished
 * again), and Mbed TLS cannot serialise a context that holds it. A peer that
 * stays silent after its handshake has the flight dropped - as Mbed TLS does
 * on that first record - once the handshake is this old: a client whose
 * first retransmission (after 1 s by default, Mbed TLS and OpenSSL) went
 * unanswered is served until then.
 */
#define KEEP_FLIGHT_MS 2500

/* The kept last flight of a DTLS server peer is old enough to drop (see KEEP_FLIGHT_MS). */
static bool flight_droppable(const struct zt_eng *e)
{
	/* after HANDSHAKE_OVER, without renegotiation, only that flight keeps the handshake */
	return e->conf->dgram && e->conf->server && e->hs_over_ms != 0 &&
	       e->ssl.MBEDTLS_PRIVATE(handshake) != NULL && e->timer_fin_ms == 0 &&
	       mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)&e->ssl) &&
	       zt_now_ms() - e->hs_over_ms >= KEEP_FLIGHT_MS;
}

static bool hibernatable(const struct zt_eng *e)
{
	const mbedtls_ssl_context *ssl = &e->ssl;

	if (!mbedtls_ssl_is_handshake_over((mbedtls_ssl_context *)ssl) ||
	    ssl->MBEDTLS_PRIVATE(handshake) != NULL || e->close_notify || e->truncated || e->eof) {
		return false;
	}
	if (e->conf->dgram) {
		return ssl->MBEDTLS_PRIVATE(out_left) == 0 && !e->write_pending &&
		       mbedtls_ssl_check_pending(ssl) == 0 &&
		       mbedtls_ssl_get_bytes_avail(ssl) == 0 && e->timer_fin_ms == 0;
	}
	return zt_mbed_idle(e); /* nothing in either record buffer but the counter */
}

int zt_mbed_hibernate(struct zt_eng *e)
{
	mbedtls_ssl_context *ssl = &e->ssl;
	const mbedtls_ssl_config *own = ssl->MBEDTLS_PRIVATE(conf);
	unsigned char *blob;
	size_t need = 0, len = 0;
	int ret;

	if (zt_mbed_asleep(e)) {
		return e->dead ? -ECONNABORTED : 0;
	}
	if (!mbedtls_ssl_is_handshake_over(ssl)) {
		return -EAGAIN;
	}
	if (mbedtls_ssl_get_version_number(ssl) == MBEDTLS_SSL_VERSION_TLS1_3) {
		return -ENOTSUP; /* Mbed TLS 3.6 cannot serialise TLS 1.3: stays awake */
	}
	if (flight_droppable(e)) {
		mbedtls_ssl_handshake_wrapup_free_hs_transform(ssl);
	}
	if (!hibernatable(e)) {
		return -EAGAIN;
	}
	if (e->in_parked) {
		(void)zt_mbed_unpark_slow(e); /* the counter back where the save reads it */
	}
	ssl->MBEDTLS_PRIVATE(conf) = &e->conf->ser;
	ret = mbedtls_ssl_context_save(ssl, NULL, 0, &need);
	if (ret != MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL || need == 0) {
		ssl->MBEDTLS_PRIVATE(conf) = own;
		/* e.g. a CBC suite: Mbed TLS serialises AEAD sessions only */
		return ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA ? -ENOTSUP : -EAGAIN;
	}
	blob = malloc(CTR_LEN + need);
	if (blob == NULL) {
		ssl->MBEDTLS_PRIVATE(conf) = own;
		return -EAGAIN; /* stays awake; a later idle tick tries again */
	}
	memcpy(blob, ssl->MBEDTLS_PRIVATE(in_ctr), CTR_LEN);
	ret = mbedtls_ssl_context_save(ssl, blob + CTR_LEN, need, &len);
	if (ret != 0) {
		/* the context is unchanged unless the save succeeded */
		ssl->MBEDTLS_PRIVATE(conf) = own;
		zt_wipe(blob, CTR_LEN + need);
		free(blob);
		return -EAGAIN;
	}
	/* the save reset the context: nothing in it is needed any more */
	zt_mbed_note_freed(MBEDTLS_SSL_IN_CONTENT_LEN + MBEDTLS_SSL_OUT_CONTENT_LEN);
	mbedtls_ssl_free(ssl);
	mbedtls_ssl_init(ssl);
	e->hib = blob;
	e->hib_len = CTR_LEN + len;
	e->in_parked = true; /* the next entry point's zt_mbed_unpark() wakes it */
	e->want = 0;
	return 0;
}

static int load(struct zt_eng *e)
{
	mbedtls_ssl_context *ssl = &e->ssl;
	int ret;

	mbedtls_ssl_init(ssl);
	if (zt_mbed_setup(e, &e->conf->ssl) != 0) {
		mbedtls_ssl_free(ssl);
		return -ENOMEM;
	}
	/* the load checks it runs under a datagram config; a stream goes back below */
	ssl->MBEDTLS_PRIVATE(conf) = e->conf->dgram ? &e->conf->ssl : &e->conf->ser;
	ret = mbedtls_ssl_context_load(ssl, e->hib + CTR_LEN, e->hib_len - CTR_LEN);
	if (ret != 0) {
		/* mbedtls_ssl_context_load() freed the context */
		return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? -ENOMEM : -EINVAL;
	}
	if (!e->conf->dgram) {
		ssl->MBEDTLS_PRIVATE(conf) = &e->conf->ssl;
		mbedtls_ssl_reset_out_pointers(ssl);
		mbedtls_ssl_update_out_pointers(ssl, ssl->MBEDTLS_PRIVATE(transform_out));
		ssl->MBEDTLS_PRIVATE(in_epoch) = 0; /* a stream has none */
		memcpy(ssl->MBEDTLS_PRIVATE(in_ctr), e->hib, CTR_LEN);
	}
	zt_mbed_bind(e);
	if (e->conf->dgram && e->conf->server && e->dtls_peer_id_len > 0 &&
	    mbedtls_ssl_set_client_transport_id(ssl, e->dtls_peer_id, e->dtls_peer_id_len) != 0) {
		mbedtls_ssl_free(ssl);
		return -ENOMEM;
	}
	return 0;
}

int zt_mbed_wake(struct zt_eng *e)
{
	int rc;

	if (e->dead) {
		return -ECONNABORTED;
	}
	if (e->hib == NULL) {
		return 0;
	}
	rc = load(e);
	zt_wipe(e->hib, e->hib_len);
	free(e->hib);
	e->hib = NULL;
	e->hib_len = 0;
	e->in_parked = rc < 0; /* dead: every entry point still says so */
	if (rc < 0) {
		/* the keys are gone: this session never sends or reads again */
		mbedtls_ssl_init(&e->ssl);
		e->dead = true;
		(void)rc;
		return -ECONNABORTED;
	}
	return 0;
}
