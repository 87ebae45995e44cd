/*
 * The TLS engine seam: everything secsock asks of a TLS/DTLS implementation,
 * as one ops table (struct zt_eng_ops). src/engine/mbedtls/ implements it
 * over Mbed TLS 3.6; a second backend (Mbed TLS 4.x with TF-PSA-Crypto, the
 * line Zephyr 4.4 builds on) would implement the same table. No engine type
 * appears outside src/engine/<backend>/, and the engine includes nothing
 * from the socket layer or the credential store: the socket layer builds a
 * backend-neutral configuration (struct zt_eng_cfg) and hands the engine the
 * credentials it needs (struct zt_eng_cred).
 *
 * Every session call returns at once, as a pump: a result (>= 0), -EAGAIN
 * with zt_eng_status() saying what to wait for (readable, writable, a timer),
 * or a negative errno from the one error table (errors.c of the backend,
 * checked by tests/unit/test_engine_errors.c).
 */
#ifndef ZT_ENGINE_H
#define ZT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

struct zt_eng_conf; /* shared, immutable once built: role, transport, parsed credentials */
struct zt_eng;      /* one TLS or DTLS session */

/** Non-blocking transport of one session. Return bytes, 0 (recv: EOF), or -errno (-EAGAIN). */
struct zt_eng_io {
	void *ctx;
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
};

/** Protocol versions, as on the wire. */
#define ZT_VERSION_TLS_1_2  0x0303
#define ZT_VERSION_TLS_1_3  0x0304
#define ZT_VERSION_DTLS_1_2 0xFEFD

#define ZT_ENG_MAX_ALPN  16
#define ZT_ENG_CID_MAX   32 /* longest Connection ID either way */
#define ZT_ENG_PEER_ID   32 /* longest DTLS client transport id (a sockaddr_in6 fits) */
#define ZT_ENG_NO_VERIFY (-1)

/** Session-ticket keys from a file (secsock_ticket_keys_load): bytes per key, most keys. */
#define ZT_TICKET_KEY_LEN  32
#define ZT_TICKET_KEYS_MAX 32

/**
 * Where key log lines go (SSLKEYLOGFILE): one NSS key log line, '\n'
 * included, in a buffer the engine wipes after the call.
 */
typedef void (*zt_eng_keylog_fn)(const char *line, size_t len);

/** A configuration, built by the socket layer from a socket's options. */
struct zt_eng_cfg {
	bool server;
	bool dgram;
	bool tls13_only;   /* IPPROTO_TLS_1_3: no downgrade */
	const int *suites; /* IANA ids, @c nsuites of them; 0: the secure defaults */
	int nsuites;
	int verify;              /* TLS_PEER_VERIFY_*, or ZT_ENG_NO_VERIFY for the role's default */
	const char *const *alpn; /* NULL-terminated, or NULL */
	uint32_t dtls_timeout_min_ms;
	uint32_t dtls_timeout_max_ms;
	int cid;        /* TLS_DTLS_CID_* */
	size_t cid_len; /* length of our own CIDs (ENABLED) */
	bool session_cache;
	void *verify_cb; /* TLS_CERT_VERIFY_CALLBACK: the engine's verify-callback signature */
	void *verify_ctx;
};

/** One credential of a tag, in the store's order (by tag, then by type). */
struct zt_eng_cred {
	int tag_index; /* position of its tag in TLS_SEC_TAG_LIST */
	enum tls_credential_type type;
	const void *buf;
	size_t len;
};

/** Per session: the host name rule of a client, and DTLS identities. */
struct zt_eng_sess_cfg {
	enum {
		ZT_NAME_UNSET,
		ZT_NAME_NONE,
		ZT_NAME_SET
	} name_rule;
	const char *hostname; /* ZT_NAME_SET */
	const void *own_cid;  /* DTLS, CID ENABLED: our CID for this session */
	size_t own_cid_len;
	const void *peer_id; /* DTLS server: the client's transport id (cookies) */
	size_t peer_id_len;
	const void *cache_key; /* client session cache: the peer's identity, or NULL */
	size_t cache_key_len;
};

/** What a session is waiting for, and what it holds (zt_eng_status). */
struct zt_eng_status {
	short want;             /* after -EAGAIN: POLLIN or POLLOUT */
	int64_t timer;          /* DTLS retransmission deadline (zt_now_ms() time) or ZT_FOREVER */
	size_t plaintext;       /* decrypted bytes ready to read */
	bool buffered;          /* undecrypted input (a record, or the rest of a datagram) waits */
	bool write_pending;     /* an accepted record waits to be sent */
	bool established;       /* handshake done */
	bool eof_truncated;     /* the stream ended without close_notify */
	bool close_notify_rcvd; /* the peer sent close_notify */
};

/** Facts about an established session (zt_eng_info). */
enum zt_eng_info {
	ZT_INFO_SUITE,         /* int: IANA id */
	ZT_INFO_VERIFY_RESULT, /* uint32_t: verification flags (0 = verified) */
	ZT_INFO_VERSION,       /* int: ZT_VERSION_* */
	ZT_INFO_RESUMED,       /* int: 1 if the handshake resumed a session */
	ZT_INFO_ALPN,          /* NUL-terminated string, "" if none */
	ZT_INFO_PEER_CERT,     /* DER of the peer's end-entity certificate */
	ZT_INFO_CID_STATUS,    /* int: TLS_DTLS_CID_STATUS_* */
	ZT_INFO_OWN_CID,       /* bytes */
	ZT_INFO_PEER_CID,      /* bytes, empty if none */
	ZT_INFO_MAX_PAYLOAD,   /* int: largest plaintext one datagram carries now */
	ZT_INFO_RX_MARK,       /* uint64_t: changes exactly when an authenticated record arrives */
	ZT_INFO_FAILURE,       /* NUL-terminated text: why the last handshake failed */
};

struct zt_eng_ops {
	const char *name;

	/* process-wide */
	int (*global_init)(void);
	const char *(*version)(void);       /* e.g. "Mbed TLS 3.6.7" */
	uint32_t (*version_number)(void);   /* 0xMMmmpp00 */
	const int *(*suites_all)(void);     /* every suite it can speak, 0-terminated */
	const int *(*suites_default)(void); /* the secure defaults, 0-terminated */
	int (*cred_check)(enum tls_credential_type type, const void *buf, size_t len);
	int (*cert_expiry)(const void *buf, size_t len, int64_t *not_after);
	void (*cache_purge)(void);
	/* every session made from now on hands its secrets to @p sink (NULL: none) */
	void (*keylog_set)(zt_eng_keylog_fn sink);
	/*
	 * Server ticket keys from now on: @p n keys of ZT_TICKET_KEY_LEN bytes,
	 * the first issues, every one decrypts; n 0: random keys of our own.
	 * Copied (the caller wipes its copy). 0, -EINVAL, -ENOMEM.
	 */
	int (*ticket_keys_set)(const unsigned char (*keys)[ZT_TICKET_KEY_LEN], int n);

	/* configurations */
	int (*conf_new)(struct zt_eng_conf **out, const struct zt_eng_cfg *cfg,
			const struct zt_eng_cred *creds, int ncreds);
	void (*conf_get)(struct zt_eng_conf *c);
	void (*conf_put)(struct zt_eng_conf *c);

	/* sessions */
	int (*session_new)(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
			   const struct zt_eng_sess_cfg *sc);
	void (*session_free)(struct zt_eng *e);
	/* 0 done; 1 DTLS server: HelloVerifyRequest sent, session reset; -EAGAIN; -errno */
	int (*handshake)(struct zt_eng *e);
	/* plaintext; stream: bytes, 0 at EOF; datagram: one record, *full its length */
	ssize_t (*read)(struct zt_eng *e, void *buf, size_t len, size_t *full);
	/*
	 * read() that leaves the data for the next read: copies from the
	 * decrypted record at the head (decrypting one if a whole one waits);
	 * 0 at EOF or close_notify; *full: that record's bytes not yet read
	 */
	ssize_t (*peek)(struct zt_eng *e, void *buf, size_t len, size_t *full);
	/* at most one record; a queued record counts as written */
	ssize_t (*write)(struct zt_eng *e, const void *buf, size_t len);
	int (*flush)(struct zt_eng *e);
	/* process input without returning data: 1 plaintext ready, 0 EOF/close_notify, -errno */
	int (*data_check)(struct zt_eng *e);
	void (*close_notify)(struct zt_eng *e);
	void (*status)(const struct zt_eng *e, struct zt_eng_status *st);
	/* cheap: plaintext or an undecrypted record waits (status' plaintext || buffered) */
	bool (*readable)(const struct zt_eng *e);
	/* cheap: a record write() accepted waits to be sent (status' write_pending) */
	bool (*write_queued)(const struct zt_eng *e);
	int (*info)(const struct zt_eng *e, enum zt_eng_info what, void *buf, size_t *len);
	int (*set_hostname)(struct zt_eng *e, const char *hostname);
	/*
	 * An idle stream session (established, nothing buffered either way):
	 * give the pages of its record buffers that carry no state back to the
	 * kernel; the next record faults them in again. 1 done, 0 not idle now
	 * (DTLS sessions are never trimmed).
	 */
	int (*trim)(struct zt_eng *e);
	/* bytes of its record buffers resident now (tests, benchmarks) */
	size_t (*resident)(const struct zt_eng *e);
	/*
	 * Hibernation (SECSOCK_TLS_HIBERNATE): serialise an idle established
	 * TLS 1.2 or DTLS 1.2 session into a small blob and free everything
	 * else of it. 0 done (or already hibernated); -EAGAIN not now
	 * (handshake not over, input or output pending, a DTLS timer running);
	 * -ENOTSUP never for this session (TLS 1.3, a non-AEAD suite);
	 * -ECONNABORTED the session is dead.
	 * Every later session call wakes it first (status, readable and
	 * write_queued answer "established, idle" without waking; info wakes it,
	 * ZT_INFO_RX_MARK too; record_matches and hello_verified answer false:
	 * a DTLS server wakes a hibernated peer before it checks a record).
	 */
	int (*hibernate)(struct zt_eng *e);
	/* load a hibernated session again: 0 (also when awake), -ECONNABORTED for good */
	int (*wake)(struct zt_eng *e);
	/*
	 * Process-wide, after hibernations: give the heap pages they freed back
	 * to the kernel. 0 done (or nothing pending); > 0: ms until it may run
	 * again (rate-limited: it walks the whole heap).
	 */
	int64_t (*release)(int64_t now);

	/* DTLS */
	int (*set_peer_id)(struct zt_eng *e, const void *id, size_t len); /* server: cookie input */
	bool (*hello_verified)(
		const struct zt_eng *e); /* server: a ClientHello had a valid cookie */
	bool (*record_matches)(const struct zt_eng *e, const void *dgram, size_t len, void *work);
	int (*send_fatal_alert)(struct zt_eng *e);
};

/** The backend this build uses. */
extern const struct zt_eng_ops zt_engine_mbedtls;
#define ZT_ENGINE (&zt_engine_mbedtls)

/* ---- call sites read as function calls ---- */

static inline int zt_eng_global_init(void)
{
	return ZT_ENGINE->global_init();
}

static inline const char *zt_eng_version(void)
{
	return ZT_ENGINE->version();
}

static inline uint32_t zt_eng_version_number(void)
{
	return ZT_ENGINE->version_number();
}

static inline const int *zt_eng_ciphersuites_all(void)
{
	return ZT_ENGINE->suites_all();
}

static inline const int *zt_eng_ciphersuites_default(void)
{
	return ZT_ENGINE->suites_default();
}

static inline int zt_eng_cred_check(enum tls_credential_type type, const void *buf, size_t len)
{
	return ZT_ENGINE->cred_check(type, buf, len);
}

static inline int zt_eng_cert_expiry(const void *buf, size_t len, int64_t *not_after)
{
	return ZT_ENGINE->cert_expiry(buf, len, not_after);
}

static inline void zt_eng_cache_purge(void)
{
	ZT_ENGINE->cache_purge();
}

static inline void zt_eng_keylog_set(zt_eng_keylog_fn sink)
{
	ZT_ENGINE->keylog_set(sink);
}

static inline int zt_eng_ticket_keys_set(const unsigned char (*keys)[ZT_TICKET_KEY_LEN], int n)
{
	return ZT_ENGINE->ticket_keys_set(keys, n);
}

static inline int zt_eng_conf_new(struct zt_eng_conf **out, const struct zt_eng_cfg *cfg,
				  const struct zt_eng_cred *creds, int ncreds)
{
	return ZT_ENGINE->conf_new(out, cfg, creds, ncreds);
}

static inline void zt_eng_conf_get(struct zt_eng_conf *c)
{
	ZT_ENGINE->conf_get(c);
}

static inline void zt_eng_conf_put(struct zt_eng_conf *c)
{
	ZT_ENGINE->conf_put(c);
}

static inline int zt_eng_new(struct zt_eng **out, struct zt_eng_conf *c, const struct zt_eng_io *io,
			     const struct zt_eng_sess_cfg *sc)
{
	return ZT_ENGINE->session_new(out, c, io, sc);
}

static inline void zt_eng_free(struct zt_eng *e)
{
	ZT_ENGINE->session_free(e);
}

static inline int zt_eng_handshake(struct zt_eng *e)
{
	return ZT_ENGINE->handshake(e);
}

static inline ssize_t zt_eng_read(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	return ZT_ENGINE->read(e, buf, len, full);
}

static inline ssize_t zt_eng_peek(struct zt_eng *e, void *buf, size_t len, size_t *full)
{
	return ZT_ENGINE->peek(e, buf, len, full);
}

static inline ssize_t zt_eng_write(struct zt_eng *e, const void *buf, size_t len)
{
	return ZT_ENGINE->write(e, buf, len);
}

static inline int zt_eng_flush(struct zt_eng *e)
{
	return ZT_ENGINE->flush(e);
}

static inline int zt_eng_data_check(struct zt_eng *e)
{
	return ZT_ENGINE->data_check(e);
}

static inline void zt_eng_close_notify(struct zt_eng *e)
{
	ZT_ENGINE->close_notify(e);
}

static inline void zt_eng_status(const struct zt_eng *e, struct zt_eng_status *st)
{
	ZT_ENGINE->status(e, st);
}

static inline bool zt_eng_readable(const struct zt_eng *e)
{
	return ZT_ENGINE->readable(e);
}

static inline bool zt_eng_write_queued(const struct zt_eng *e)
{
	return ZT_ENGINE->write_queued(e);
}

static inline int zt_eng_info(const struct zt_eng *e, enum zt_eng_info what, void *buf, size_t *len)
{
	return ZT_ENGINE->info(e, what, buf, len);
}

/** An int-valued zt_eng_info(), or its negative errno. */
static inline int zt_eng_info_int(const struct zt_eng *e, enum zt_eng_info what)
{
	int v = 0;
	size_t len = sizeof(v);
	int rc = zt_eng_info(e, what, &v, &len);

	return rc < 0 ? rc : v;
}

static inline int zt_eng_set_hostname(struct zt_eng *e, const char *hostname)
{
	return ZT_ENGINE->set_hostname(e, hostname);
}

static inline int zt_eng_trim(struct zt_eng *e)
{
	return ZT_ENGINE->trim(e);
}

static inline size_t zt_eng_resident(const struct zt_eng *e)
{
	return ZT_ENGINE->resident(e);
}

static inline int zt_eng_hibernate(struct zt_eng *e)
{
	return ZT_ENGINE->hibernate(e);
}

static inline int zt_eng_wake(struct zt_eng *e)
{
	return ZT_ENGINE->wake(e);
}

static inline int64_t zt_eng_release(int64_t now)
{
	return ZT_ENGINE->release(now);
}

static inline int zt_eng_set_peer_id(struct zt_eng *e, const void *id, size_t len)
{
	return ZT_ENGINE->set_peer_id(e, id, len);
}

static inline bool zt_eng_hello_verified(const struct zt_eng *e)
{
	return ZT_ENGINE->hello_verified(e);
}

static inline bool zt_eng_record_matches(const struct zt_eng *e, const void *dgram, size_t len,
					 void *work)
{
	return ZT_ENGINE->record_matches(e, dgram, len, work);
}

static inline int zt_eng_send_fatal_alert(struct zt_eng *e)
{
	return ZT_ENGINE->send_fatal_alert(e);
}

#endif /* ZT_ENGINE_H */
