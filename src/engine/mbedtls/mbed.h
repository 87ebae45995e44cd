/*
 * Private to the Mbed TLS engine (src/engine/mbedtls/): the structures behind
 * struct zt_eng_conf and struct zt_eng, and the functions the files of the
 * backend share. The ops table (ops.c) is the only way in from outside.
 */
#ifndef ZT_ENGINE_MBED_H
#define ZT_ENGINE_MBED_H

#include <stdatomic.h>
#include <stdbool.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <psa/crypto.h>

#include "engine/engine.h"
#include "util/util.h"

#include "secsock_version.h"

#if MBEDTLS_VERSION_NUMBER < 0x03060000 || MBEDTLS_VERSION_NUMBER >= 0x03070000
#error "secsock needs Mbed TLS 3.6 LTS"
#endif
#if MBEDTLS_VERSION_NUMBER < ZT_MBEDTLS_MIN_VERSION_NUMBER && !ZT_MBEDTLS_BELOW_MIN
#error "Mbed TLS headers older than the minimum (cmake/mbedtls.cmake): configure again"
#endif

/* client session cache key: the peer's sockaddr, then the session context (ZT_CTX_FP_LEN) */
#define ZT_CACHE_KEY_MAX 128

/** Length of a security-context fingerprint (SHA-256). */
#define ZT_CTX_FP_LEN 32

struct zt_tickets; /* server ticket keys of one security context (cache.c) */

struct zt_own_cert {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
};

struct zt_eng_conf {
	atomic_int refs;
	bool server;
	bool dgram;
	mbedtls_ssl_config ssl;

	mbedtls_x509_crt ca;
	bool has_ca;
	struct zt_own_cert *own; /* one slot per tag in the list: a tag holds one pair */
	int own_count;
	int own_cap;

	unsigned char *psk; /* zeroized on free */
	size_t psk_len;
	unsigned char *psk_id;
	size_t psk_id_len;

	int *suites; /* TLS_CIPHERSUITE_LIST, 0-terminated, or NULL for the defaults */
	const char *alpn[ZT_ENG_MAX_ALPN + 1];

	mbedtls_ssl_cookie_ctx cookie; /* DTLS server */
	bool has_cookie;
	bool cid_on; /* DTLS Connection ID extension (TLS_DTLS_CID SUPPORTED or ENABLED) */

	/* TLS_CERT_VERIFY_CALLBACK, called from our own verify hook */
	int (*user_vrfy)(void *, mbedtls_x509_crt *, int, uint32_t *);
	void *user_vrfy_ctx;

	/*
	 * The security context a session made on this config was verified under
	 * (conf.c, conf_fingerprint): a cached session is only ever resumed on a
	 * config with the same fingerprint (docs/session-cache.md).
	 */
	unsigned char sec_fp[ZT_CTX_FP_LEN];
	struct zt_tickets *tickets; /* servers with TLS_SESSION_CACHE, else NULL */
	/*
	 * Hibernation of a TLS 1.2 stream (hibernate.c): this config with the
	 * datagram transport, the only one Mbed TLS serialises a context under.
	 * A shallow copy sharing every pointer of @c ssl; never freed on its own.
	 */
	mbedtls_ssl_config ser;
};

struct zt_eng {
	mbedtls_ssl_context ssl;
	struct zt_eng_conf *conf;
	struct zt_eng_io io;
	bool name_unset;    /* client never set TLS_HOSTNAME: name check must fail */
	bool truncated;     /* EOF without close_notify */
	bool close_notify;  /* the peer sent close_notify */
	bool eof;           /* the transport said EOF (bio_recv got 0) */
	bool write_pending; /* a record sits in the output buffer */
	short want;         /* POLLIN / POLLOUT after -EAGAIN */
	int io_errno;       /* errno of the transport's last hard failure */
	int last_error;     /* Mbed TLS code of the last failed handshake (failure text) */
	int alert_sent;     /* description of a plaintext fatal alert we sent, -1 if none seen */
	/* DTLS retransmission timer (Mbed TLS set/get delay callbacks) */
	int64_t timer_int_ms;
	int64_t timer_fin_ms;
	int64_t timer_start;
	/* client session cache (cache.c): key of this peer and context, 0 if not cached */
	size_t cache_key_len;
	unsigned char cache_key[ZT_CACHE_KEY_MAX];
	bool resume_offered;    /* client: a cached session was set; server: one was found */
	bool full_handshake;    /* the handshake went through a certificate state */
	bool resumed;           /* the handshake resumed a session */
	uint32_t cached_vflags; /* client: verification result stored with the session */
	/* DTLS server: the client's transport id (cookie input), kept across resets */
	unsigned char dtls_peer_id[ZT_ENG_PEER_ID];
	size_t dtls_peer_id_len;
	/*
	 * idle (mem.c): the input buffer's pages are given back, its record
	 * counter kept here; also set while hibernated or dead (hibernate.c)
	 */
	bool in_parked;
	unsigned char in_ctr_saved[MBEDTLS_SSL_SEQUENCE_NUMBER_LEN];
	/*
	 * Hibernation (hibernate.c): the serialised context (keys: wiped before
	 * free) while @c ssl is freed; a wake that failed leaves @c dead set.
	 */
	unsigned char *hib;
	size_t hib_len;
	bool dead;
	int64_t hs_over_ms; /* DTLS server: when its handshake ended (its last flight kept) */
};

/* ---- shared inside the backend ---- */

/** Random bytes for Mbed TLS (PSA's DRBG; thread-safe). */
int zt_mbed_rng(void *ctx, unsigned char *out, size_t len);

/**
 * The one error table (errors.c): an Mbed TLS code as a negative errno.
 * The transport's own errno (e->io_errno) stands for MBEDTLS_ERR_NET_*.
 */
int zt_mbed_errno(const struct zt_eng *e, int ret);

/** True if @p ret has an entry of its own in the table (tests). */
bool zt_mbed_errno_mapped(int ret);

/** Our certificate verification hook: name rule + the user's callback. */
int zt_mbed_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags);

/** mbedtls_ssl_handshake(), noting whether the session was resumed. */
int zt_mbed_handshake(struct zt_eng *e);

/** Server cache or ticket lookup succeeded for the handshake this thread runs. */
void zt_mbed_note_resume(void);

/** Default suites (suites.c) for a config with certificates and/or a PSK; 0-terminated. */
const int *zt_mbed_suites_default(bool cert, bool psk);
const int *zt_mbed_suites_default_all(void);
const int *zt_mbed_suites_all(void);

/**
 * The process-wide server session-ID cache (TLS_SESSION_CACHE on servers),
 * partitioned by c->sec_fp: a session ID only finds sessions of its context.
 */
void zt_mbed_conf_server_cache(struct zt_eng_conf *c);

/** Session tickets with the ticket keys of c->sec_fp (servers). @retval 0, -ENOMEM. */
int zt_mbed_conf_tickets(struct zt_eng_conf *c);

/** Release c->tickets (conf_put). */
void zt_mbed_tickets_put(struct zt_tickets *t);

/**
 * Client session cache: key this session by @p key (the peer's identity)
 * plus its security context, and resume from a cached session, if any.
 * @retval 0, -EINVAL (key too long).
 */
int zt_mbed_cache_attach(struct zt_eng *e, const struct zt_eng_sess_cfg *sc);

/** Save this client session under its cache key (after a handshake or a ticket). */
void zt_mbed_cache_store(struct zt_eng *e);

/** Forget every cached client session. */
void zt_mbed_cache_purge_clients(void);

/* process-wide (global.c) */
int zt_mbed_global_init(void);

/* record buffers on pages of their own, given back while idle (mem.c) */
void zt_mbed_mem_init(void);
/** mbedtls_ssl_setup() with in_buf and out_buf on whole pages. */
int zt_mbed_setup(struct zt_eng *e, const mbedtls_ssl_config *conf);
/** Nothing in the record buffers carries state now (a stream between records). */
bool zt_mbed_idle(const struct zt_eng *e);
/** Give an idle session's buffer pages back: 1 done, 0 not idle. */
int zt_mbed_trim(struct zt_eng *e);
/** Put a trimmed session's record counter back, or wake a hibernated one (zt_mbed_unpark). */
int zt_mbed_unpark_slow(struct zt_eng *e);

/* hibernation (hibernate.c) */
/** Serialise an idle TLS 1.2 / DTLS 1.2 session and free its context: 0, -EAGAIN, -ENOTSUP. */
int zt_mbed_hibernate(struct zt_eng *e);
/** Load a hibernated session again: 0, or -ECONNABORTED (the session is dead from then on). */
int zt_mbed_wake(struct zt_eng *e);
/** A hibernation freed about @p bytes into the heap (zt_mbed_release gives them back). */
void zt_mbed_note_freed(size_t bytes);
/** Give freed heap pages back to the kernel: 0 done or nothing to do, > 0 ms until allowed. */
int64_t zt_mbed_release(int64_t now);
/** True while hibernated or dead: @c e->ssl holds no session (status calls answer "idle"). */
static inline bool zt_mbed_asleep(const struct zt_eng *e)
{
	return e->hib != NULL || e->dead;
}

/**
 * Before any Mbed TLS call that may read or write records: undo
 * zt_mbed_trim() and wake a hibernated session (both set in_parked, so the
 * common case is one load). 0, or -ECONNABORTED when the session could not
 * be woken (never carry on without its keys).
 */
static inline int zt_mbed_unpark(struct zt_eng *e)
{
	return e->in_parked ? zt_mbed_unpark_slow(e) : 0;
}

/** Bytes of the record buffers resident now (mincore). */
size_t zt_mbed_resident(const struct zt_eng *e);
/** Both record buffers start on a page boundary (tests). */
bool zt_mbed_bufs_on_pages(const struct zt_eng *e);

/* debug.c: Mbed TLS debug lines into secsock's debug output, without key material */
void zt_mbed_debug_init(void);
void zt_mbed_debug_conf(mbedtls_ssl_config *conf);
const char *zt_mbed_version(void);
uint32_t zt_mbed_version_number(void);
void zt_mbed_cache_purge(void);

/* configurations (conf.c) */
int zt_mbed_conf_new(struct zt_eng_conf **out, const struct zt_eng_cfg *cfg,
		     const struct zt_eng_cred *creds, int ncreds);
void zt_mbed_conf_get(struct zt_eng_conf *c);
void zt_mbed_conf_put(struct zt_eng_conf *c);

/* credentials (cred_parse.c) */
int zt_mbed_cred_check(enum tls_credential_type type, const void *buf, size_t len);
int zt_mbed_cert_expiry(const void *buf, size_t len, int64_t *not_after);

/* sessions (session.c) */
int zt_mbed_session_new(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
			const struct zt_eng_sess_cfg *sc);
void zt_mbed_session_free(struct zt_eng *e);
/** Hand @p e's transport, verify hook and (DTLS) timer to its context (new and woken). */
void zt_mbed_bind(struct zt_eng *e);
int zt_mbed_session_handshake(struct zt_eng *e);
ssize_t zt_mbed_read(struct zt_eng *e, void *buf, size_t len, size_t *full);
ssize_t zt_mbed_peek(struct zt_eng *e, void *buf, size_t len, size_t *full);
ssize_t zt_mbed_write(struct zt_eng *e, const void *buf, size_t len);
int zt_mbed_flush(struct zt_eng *e);
int zt_mbed_data_check(struct zt_eng *e);
void zt_mbed_close_notify(struct zt_eng *e);
void zt_mbed_status(const struct zt_eng *e, struct zt_eng_status *st);
bool zt_mbed_readable(const struct zt_eng *e);
bool zt_mbed_write_queued(const struct zt_eng *e);
int zt_mbed_set_hostname(struct zt_eng *e, const char *hostname);

/* secrets to SSLKEYLOGFILE (keylog.c) */
void zt_mbed_keylog_set(zt_eng_keylog_fn sink);
/** Every session: hand its secrets to the sink, if one is set now. */
void zt_mbed_keylog_attach(struct zt_eng *e);

/* shared ticket keys (cache.c) */
int zt_mbed_ticket_keys_set(const unsigned char (*keys)[ZT_TICKET_KEY_LEN], int n);

/* facts (info.c) */
int zt_mbed_info(const struct zt_eng *e, enum zt_eng_info what, void *buf, size_t *len);

/* DTLS (dtls_eng.c) */
ssize_t zt_mbed_dtls_read(struct zt_eng *e, void *buf, size_t len, size_t *full);
int zt_mbed_dtls_data_check(struct zt_eng *e);
bool zt_mbed_hello_verified(const struct zt_eng *e);
bool zt_mbed_record_matches(const struct zt_eng *e, const void *dgram, size_t len, void *work);
int zt_mbed_send_fatal_alert(struct zt_eng *e);
int zt_mbed_set_peer_id(struct zt_eng *e, const void *id, size_t len);

#endif /* ZT_ENGINE_MBED_H */
