/*
 * Private to the Mbed TLS engine (src/engine/mbedtls/): the structures behind
 * struct zt_eng_conf and struct zt_eng, and shared helpers. The only place
 * besides cred_parse.h where Mbed TLS types are visible.
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
#include "sock/sock.h"

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

	int suites[ZT_MAX_CIPHERSUITES + 1];
	const char *alpn[ZT_MAX_ALPN + 1];

	mbedtls_ssl_cookie_ctx cookie; /* DTLS server */
	bool has_cookie;

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
};

struct zt_eng {
	mbedtls_ssl_context ssl;
	struct zt_eng_conf *conf;
	struct zt_eng_io io;
	bool name_unset;    /* client never set TLS_HOSTNAME: name check must fail */
	bool truncated;     /* EOF without close_notify */
	bool eof;           /* the transport said EOF (bio_recv got 0) */
	bool write_pending; /* a record sits in the output buffer */
	short want;         /* POLLIN / POLLOUT after -EAGAIN */
	/* DTLS retransmission timer (Mbed TLS set/get delay callbacks) */
	int64_t timer_int_ms;
	int64_t timer_fin_ms;
	int64_t timer_start;
	/* client session cache (cache.c): key of this peer, 0 if not cached */
	size_t cache_key_len;
	unsigned char cache_key[ZT_CACHE_KEY_MAX];
	/* client: conf->sec_fp bound to the host name rule of this session */
	unsigned char ctx_fp[ZT_CTX_FP_LEN];
	bool resume_offered;    /* client: a cached session was set; server: one was found */
	bool full_handshake;    /* the handshake went through a certificate state */
	bool resumed;           /* the handshake resumed a session */
	uint32_t cached_vflags; /* client: verification result stored with the session */
	/* DTLS (dtls_eng.c) */
	unsigned char dtls_peer_id[32]; /* server: client transport id, ZT_DTLS_PEER_ID_MAX */
	size_t dtls_peer_id_len;
};

/** Default suites (suites.c) for a config with certificates and/or a PSK; 0-terminated, static. */
const int *zt_mbed_suites_default(bool cert, bool psk);

/** mbedtls_ssl_handshake(), noting whether the session was resumed. */
int zt_mbed_handshake(struct zt_eng *e);

/** Server cache or ticket lookup succeeded for the handshake this thread runs. */
void zt_mbed_note_resume(void);

/** Random bytes for Mbed TLS (PSA's DRBG; thread-safe). */
int zt_mbed_rng(void *ctx, unsigned char *out, size_t len);

/** Map an Mbed TLS error to a negative errno (handshake or data phase). */
int zt_mbed_errno(int ret);

/** Our certificate verification hook: name rule + the user's callback. */
int zt_mbed_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags);

/**
 * The process-wide server session-ID cache (TLS_SESSION_CACHE on servers),
 * partitioned by c->sec_fp: a session ID only finds sessions of its context.
 */
void zt_mbed_conf_server_cache(struct zt_eng_conf *c);

/** Session tickets with the ticket keys of c->sec_fp (servers). @retval 0, -ENOMEM. */
int zt_mbed_conf_tickets(struct zt_eng_conf *c);

/** Release c->tickets (zt_eng_conf_put). */
void zt_mbed_tickets_put(struct zt_tickets *t);

/** SHA-256 of a client's context: its config fingerprint and host name rule. */
void zt_mbed_client_ctx_fp(struct zt_eng *e, const struct zt_opts *o);

/** Save this client session under its cache key (after a handshake or a ticket). */
void zt_mbed_cache_store(struct zt_eng *e);

/** Forget every cached client session. */
void zt_mbed_cache_purge_clients(void);

#endif /* ZT_ENGINE_MBED_H */
