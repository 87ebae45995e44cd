/*
 * DTLS-only engine calls (src/engine/mbedtls/dtls_eng.c), next to the
 * common seam of engine.h: the cookie exchange of a server, datagram reads
 * (one record per call), retransmission timers and Connection ID record
 * matching. No Mbed TLS type appears here.
 */
#ifndef ZT_DTLS_ENGINE_H
#define ZT_DTLS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"

/** Largest client transport id (a struct sockaddr_in6 fits). */
#define ZT_DTLS_PEER_ID_MAX 32

/**
 * Advance a DTLS handshake.
 * @retval 0             Done.
 * @retval 1             Server only: a ClientHello without a valid cookie was
 *                       answered with a HelloVerifyRequest and the session
 *                       was reset (RFC 6347 4.2.1: no state kept for it).
 * @retval -EAGAIN       Wait for zt_eng_want() or the timer, then call again.
 * @retval -ETIMEDOUT    Retransmissions exhausted (TLS_DTLS_HANDSHAKE_TIMEOUT_MAX).
 * @retval -ECONNABORTED Failed (alert, bad certificate, garbage).
 * @retval -ENOMEM
 */
int zt_dtls_eng_handshake(struct zt_eng *e);

/** True once a server session has accepted a ClientHello with a valid cookie. */
bool zt_dtls_eng_hello_verified(const struct zt_eng *e);

/** True when the handshake is over and application data flows. */
bool zt_dtls_eng_established(const struct zt_eng *e);

/**
 * Server: the client's transport id (its address bytes), input of the
 * HelloVerifyRequest cookie. Kept across the reset after the cookie exchange.
 * @retval 0, -EINVAL (too long), -ENOMEM.
 */
int zt_dtls_eng_set_peer_id(struct zt_eng *e, const void *id, size_t len);

/**
 * Read one record (datagram semantics): copy what fits in @p buf, discard the
 * rest of the record, store its full length in *full.
 * @return bytes copied (>= 0);
 *         -EAGAIN       nothing decrypted yet (see zt_eng_want());
 *         -ENOTCONN     the peer sent close_notify;
 *         -ECONNRESET   server: the client started a new handshake from the
 *                       same address (the session now handshakes again);
 *         -ETIMEDOUT, -ECONNABORTED, -ENOMEM, -EIO.
 */
ssize_t zt_dtls_eng_recv(struct zt_eng *e, void *buf, size_t len, size_t *full);

/**
 * Process input without returning data (poll's data check).
 * @retval 1 a record of application data is ready; other values as zt_dtls_eng_recv().
 */
int zt_dtls_eng_poll(struct zt_eng *e);

/** True if a record is ready or undecrypted records of the last datagram wait. */
bool zt_dtls_eng_readable(const struct zt_eng *e);

/** Decrypted bytes of the current record, ready to read. */
size_t zt_dtls_eng_pending(const struct zt_eng *e);

/** Largest application payload one datagram can carry now (MFL, record expansion). */
int zt_dtls_eng_max_payload(const struct zt_eng *e);

/** Absolute time (ms, zt_now_ms()) when the retransmission timer fires; ZT_FOREVER if idle. */
int64_t zt_dtls_eng_timer_deadline(const struct zt_eng *e);

/** True if the session negotiated a Connection ID (either direction). */
bool zt_dtls_eng_cid_in_use(const struct zt_eng *e);

/**
 * True if the first record of datagram @p dgram is authentic for this
 * session (mbedtls_ssl_check_record: CID, epoch, replay window, MAC).
 * @p work is scratch of at least @p len bytes (it gets overwritten).
 */
bool zt_dtls_eng_record_matches(const struct zt_eng *e, const void *dgram, size_t len, void *work);

/**
 * Server sessions: use @p cid (@p len bytes, the length the config expects)
 * as this session's own Connection ID, for this and later handshakes.
 * @retval 0, -EINVAL.
 */
int zt_dtls_eng_set_own_cid(struct zt_eng *e, const void *cid, size_t len);

/**
 * A value that changes exactly when the session accepts a record that passed
 * its checks (authentication, replay window): for idle timers that spoofed
 * datagrams must not refresh.
 */
uint64_t zt_dtls_eng_rx_mark(const struct zt_eng *e);

/** Send a fatal internal_error alert (tests: the reference's injected alert). */
int zt_dtls_eng_send_fatal_alert(struct zt_eng *e);

#endif /* ZT_DTLS_ENGINE_H */
