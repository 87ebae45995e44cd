/*
 * The TLS engine seam. Everything about Mbed TLS lives behind these calls
 * (src/engine/mbedtls/); no Mbed TLS type appears outside that directory.
 * The engine never touches a socket: the socket layer hands it non-blocking
 * send/recv callbacks and drives it as a pump (0 / -EAGAIN + want / -errno).
 */
#ifndef ZT_ENGINE_H
#define ZT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zephyr/net/tls_credentials.h>

struct zt_opts;
struct zt_eng_conf; /* shared, immutable once built: role, transport, parsed credentials */
struct zt_eng;      /* one TLS or DTLS session */

/** Non-blocking transport for a session. Return bytes, 0 (recv: EOF), or -errno (-EAGAIN). */
struct zt_eng_io {
	void *ctx;
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
};

/** Process-wide engine start-up (PSA crypto, RNG); idempotent. @retval 0, -EIO. */
int zt_eng_global_init(void);

/**
 * Check one credential as TLS_SEC_TAG_LIST does (reference 1.3 option 1):
 * certificates and keys must parse; PSK and PSK identity must be non-empty.
 * @retval 0, -EINVAL, -ENOTSUP (type unsupported on this host).
 */
int zt_eng_cred_check(enum tls_credential_type type, const void *buf, size_t len);

/** Expiry (notAfter) of the first certificate in @p buf. @retval 0, -EINVAL. */
int zt_eng_cert_expiry(const void *buf, size_t len, int64_t *not_after);

/**
 * Build a config for @p opts: @p server role, @p proto (IPPROTO_TLS_1_x or
 * IPPROTO_DTLS_1_x) fixes transport and minimum version; loads the
 * credentials of every tag. @retval 0, -ENOENT, -EINVAL, -ENOMEM.
 */
int zt_eng_conf_new(struct zt_eng_conf **out, const struct zt_opts *opts, int proto, bool server);
/**
 * As zt_eng_conf_new(), but shared: sockets with the same options and the
 * same credential store generation get one config (a new reference).
 */
int zt_eng_conf_shared(struct zt_eng_conf **out, const struct zt_opts *opts, int proto,
		       bool server);
/** Drop shared configs built from an older credential store generation (after a delete). */
void zt_eng_conf_cache_flush(void);
/** Shared configs held now (tests). */
int zt_eng_conf_cache_count(void);
void zt_eng_conf_get(struct zt_eng_conf *c);
void zt_eng_conf_put(struct zt_eng_conf *c);

/** New session on @p conf; the hostname/SNI rule comes from @p opts. @retval 0, -ENOMEM, -EINVAL.
 */
int zt_eng_new(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
	       const struct zt_opts *opts);
void zt_eng_free(struct zt_eng *e);

/**
 * Advance the handshake.
 * @retval 0             Done.
 * @retval -EAGAIN       Wait for zt_eng_want() on the transport, then call again.
 * @retval -ECONNABORTED Failed (alert, bad certificate, garbage, peer gone).
 * @retval -ETIMEDOUT    DTLS retransmissions exhausted.
 * @retval -ENOMEM
 */
int zt_eng_handshake(struct zt_eng *e);

/** After -EAGAIN: POLLIN or POLLOUT, what the engine waits for. */
short zt_eng_want(const struct zt_eng *e);

/**
 * Read plaintext.
 * @return bytes (> 0); 0 after close_notify or transport EOF;
 *         -EAGAIN (nothing decrypted yet; see zt_eng_want()),
 *         -ECONNABORTED (fatal alert, bad record), -EIO (other).
 */
ssize_t zt_eng_read(struct zt_eng *e, void *buf, size_t len);

/**
 * Write plaintext. Accepts at most one record; a record the transport could
 * not take at once stays queued in the engine and counts as written.
 * @return bytes accepted (> 0), -EAGAIN (earlier record still queued),
 *         -ECONNABORTED, -EIO.
 */
ssize_t zt_eng_write(struct zt_eng *e, const void *buf, size_t len);

/** Push a queued record out. @retval 0 (nothing queued), -EAGAIN, -errno. */
int zt_eng_flush(struct zt_eng *e);

/**
 * Process what the transport has without returning data (poll's "data check",
 * reference §3.7). @retval 1 plaintext is ready; 0 close_notify or EOF;
 * -EAGAIN nothing complete yet (partial record, handshake message, ticket);
 * -ECONNABORTED and other -errno on a fatal error.
 */
int zt_eng_data_check(struct zt_eng *e);

/** True while a record zt_eng_write() accepted waits in the engine to be sent. */
bool zt_eng_write_pending(const struct zt_eng *e);

/** Decrypted bytes ready to read without touching the transport. */
size_t zt_eng_pending(const struct zt_eng *e);

/** True if undecrypted bytes sit in the engine's input buffer. */
bool zt_eng_has_buffered_input(const struct zt_eng *e);

/** Send close_notify (best effort, non-blocking). */
void zt_eng_close_notify(struct zt_eng *e);

/** True if the last 0 from zt_eng_read was a transport EOF without close_notify. */
bool zt_eng_truncated(const struct zt_eng *e);

/** True once the handshake of @p e has completed. */
bool zt_eng_handshake_done(const struct zt_eng *e);

/** True if the completed handshake resumed a cached session (ID or ticket). */
bool zt_eng_resumed(const struct zt_eng *e);

/** IANA id of the negotiated suite, or -ENOTCONN. */
int zt_eng_ciphersuite(const struct zt_eng *e);

/** Mbed TLS verification flags of the peer certificate (0 = verified). */
uint32_t zt_eng_verify_result(const struct zt_eng *e);

/** Set or clear (NULL) the hostname of a live session (TLS_HOSTNAME). @retval 0, -EINVAL. */
int zt_eng_set_hostname(struct zt_eng *e, const char *hostname);

/** TLS_DTLS_CID_STATUS value (TLS_DTLS_CID_STATUS_*), or -EAGAIN before the handshake. */
int zt_eng_cid_status(const struct zt_eng *e);

/** Own CID (TLS_DTLS_CID_VALUE get). @retval 0 (*len set), -EINVAL (buffer too small). */
int zt_eng_own_cid(const struct zt_eng *e, void *buf, size_t *len);

/** Peer CID (TLS_DTLS_PEER_CID_VALUE); *len 0 if none. @retval 0, -EINVAL, -EAGAIN. */
int zt_eng_peer_cid(const struct zt_eng *e, void *buf, size_t *len);

/**
 * Client session cache: key this session by @p key (the peer address) and
 * resume from a cached session for that key, if any (reference §3.10).
 * @retval 0, -EINVAL (key too long).
 */
int zt_eng_cache_attach(struct zt_eng *e, const void *key, size_t key_len);

/** TLS_SESSION_CACHE_PURGE: forget every cached client and server session. */
void zt_eng_cache_purge(void);

/** Every suite the engine can speak, 0-terminated (static): TLS_CIPHERSUITE_LIST may name any. */
const int *zt_eng_ciphersuites_all(void);

/**
 * The suites a socket offers when TLS_CIPHERSUITE_LIST was never set, for
 * certificates and PSKs together: forward-secret AEAD only. 0-terminated.
 */
const int *zt_eng_ciphersuites_default(void);

/** Engine name and version of the library linked at run time, e.g. "Mbed TLS 3.6.7". */
const char *zt_eng_version(void);

/** The run-time engine version as MBEDTLS_VERSION_NUMBER (0xMMmmpp00). */
uint32_t zt_eng_version_number(void);

#endif /* ZT_ENGINE_H */
