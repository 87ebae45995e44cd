/*
 * struct zt_sock: the state of one secure socket, and the option values it
 * carries (struct zt_opts). A secure socket IS a kernel TCP/UDP socket (the
 * fd the application holds); this struct hangs off it in the fd table.
 */
#ifndef ZT_SOCK_H
#define ZT_SOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <zephyr/net/socket.h>

#include "util/util.h"

#ifndef ZT_MAX_SEC_TAGS
#define ZT_MAX_SEC_TAGS 16
#endif
#ifndef ZT_MAX_CIPHERSUITES
#define ZT_MAX_CIPHERSUITES 64
#endif
#ifndef ZT_MAX_ALPN
#define ZT_MAX_ALPN 8
#endif
/* MBEDTLS_SSL_CID_IN_LEN_MAX / _OUT_LEN_MAX of config/mbedtls_config.h */
#define ZT_CID_MAX 32

/** Zephyr's CONFIG_NET_SOCKETS_TLS_CONNECT_TIMEOUT default. */
#define ZT_CONNECT_TIMEOUT_MS  10000
/** Mbed TLS's DTLS retransmission defaults (MBEDTLS_SSL_DTLS_TIMEOUT_DFL_MIN/MAX). */
#define ZT_DTLS_TIMEOUT_MIN_MS 1000
#define ZT_DTLS_TIMEOUT_MAX_MS 60000

/** Option values of one socket; copied whole by accept() (reference 3.12). */
struct zt_opts {
	sec_tag_t sec_tags[ZT_MAX_SEC_TAGS];
	int sec_tag_count;

	/* TLS_HOSTNAME: never set (client default ""), set to a name, or set to NULL */
	char *hostname; /* heap copy, NULL when unset or set to NULL */
	bool hostname_set;

	int ciphersuites[ZT_MAX_CIPHERSUITES + 1]; /* 0-terminated */
	int ciphersuite_count;

	int peer_verify; /* -1: engine default (client required, server none) */
	int dtls_role;   /* TLS_DTLS_ROLE_* */

	const char *alpn[ZT_MAX_ALPN + 1]; /* caller's pointers, NULL-terminated */
	int alpn_count;

	uint32_t dtls_timeout_min_ms;
	uint32_t dtls_timeout_max_ms;
	int cert_nocopy;
	int session_cache; /* 1 enabled, else disabled */

	int dtls_cid; /* TLS_DTLS_CID_* */
	uint8_t cid[ZT_CID_MAX];
	size_t cid_len;
	bool cid_set;
	int dtls_hs_on_connect;

	struct zsock_tls_cert_verify_cb verify_cb; /* cb NULL: none */

	int64_t rcvtimeo_ms; /* ZT_FOREVER or >= 0 */
	int64_t sndtimeo_ms;
};

/** Lifecycle of a secure socket. */
enum zt_state {
	ZT_NEW,         /* created, maybe bound */
	ZT_LISTENING,   /* TLS server listener: accept() handshakes children */
	ZT_CONNECTED,   /* transport connected, handshake not done (DTLS lazy) */
	ZT_ESTABLISHED, /* handshake done, data flows */
	ZT_CLOSED,      /* close_notify received or sent; recv returns 0 */
};

struct zt_eng;
struct zt_eng_conf;

struct zt_sock {
	int fd;     /* kernel socket */
	int family; /* AF_INET, AF_INET6 */
	int type;   /* SOCK_STREAM, SOCK_DGRAM */
	int proto;  /* IPPROTO_TLS_1_x / IPPROTO_DTLS_1_x */

	atomic_int refs; /* fd table + every call in flight */
	bool in_table;   /* registered in the fd table (fdtable.c) */

	/*
	 * Locks. Order: tx_lock or rx_lock, then lock. `lock` guards every field
	 * below and is the only lock held while calling into the engine; it is
	 * never held while sleeping. rx_lock serialises readers, tx_lock writers,
	 * so a reader blocked waiting for data never stops a writer.
	 */
	pthread_mutex_t rx_lock;
	pthread_mutex_t tx_lock;
	pthread_mutex_t lock;

	struct zt_opts opts;
	enum zt_state state;
	bool nonblock;         /* O_NONBLOCK as the application set it */
	atomic_bool closing;   /* close() called: waiters return EINTR */
	atomic_bool shut_rd;   /* shutdown(SHUT_RD): recv returns 0; set without s->lock */
	bool broken;           /* engine failed in recv (EIO, not latched): later calls fail */
	int64_t peer_check_ms; /* last time send() asked the kernel whether the peer left */
	int error;             /* latched errno (SO_ERROR), 0 if none */

	struct zt_eng_conf *conf; /* engine config (listener: shared with children) */
	uint64_t conf_opts_gen;   /* opts_gen and credential generation conf was built from */
	uint64_t conf_cred_gen;
	uint64_t opts_gen;  /* bumped by every successful setsockopt */
	struct zt_eng *eng; /* session, NULL before the handshake starts */

	struct zt_waiter *waiters; /* threads sleeping in zt_wait(), for close() */

	struct zt_dtls *dtls; /* DTLS state (peer, sessions of a server), dtls.c */
};

/** A thread sleeping in zt_wait() on a socket; close() wakes every one. */
struct zt_waiter {
	int efd;
	struct zt_waiter *next;
};

/**
 * Sleep until the kernel socket reports @p events, @p deadline (absolute ms,
 * ZT_FOREVER) passes, or the socket is closed or shut down for reading.
 * @retval 0 ready; -EAGAIN deadline; -EINTR closed by another thread;
 *         -errno from SO_ERROR on POLLERR.
 */
int zt_wait(struct zt_sock *s, short events, int64_t deadline);

/** This thread's wake-up eventfd (created on first use), or -errno. */
int zt_thread_efd(void);

/** Register / unregister @p w (w->efd set) to be woken with @p s's waiters. */
void zt_waiter_add(struct zt_sock *s, struct zt_waiter *w);
void zt_waiter_del(struct zt_sock *s, struct zt_waiter *w);

/**
 * Wake every thread in zt_wait() on @p s (close, shutdown, data moved into
 * the engine by another thread). zt_wait() may thus return 0 without the
 * kernel event: callers always re-check and loop.
 */
void zt_wake_all(struct zt_sock *s);

/** Allocate a socket for kernel @p fd (refs 0; zt_fd_insert() takes the first). */
struct zt_sock *zt_sock_new(int fd, int family, int type, int proto);

/** Free a socket whose last reference is gone (closes the kernel fd). */
void zt_sock_destroy(struct zt_sock *s);

/** Defaults of a new socket (reference 3.2). */
void zt_opts_init(struct zt_opts *o);
/** Deep copy for accept(); @retval 0, -ENOMEM. */
int zt_opts_copy(struct zt_opts *dst, const struct zt_opts *src);
/** Release what zt_opts_init/copy allocated. */
void zt_opts_free(struct zt_opts *o);

/** TLS_* / SOL_SOCKET options of a secure socket (sockopt.c). */
int zt_sockopt_set(struct zt_sock *s, int level, int optname, const void *optval, socklen_t optlen);
int zt_sockopt_get(struct zt_sock *s, int level, int optname, void *optval, socklen_t *optlen);
/** secsock's SOL_TLS extensions, numbers from SECSOCK_TLS_OPT_BASE (sockopt_ext.c). */
int zt_sockopt_ext_set(struct zt_sock *s, int optname, const void *optval, socklen_t optlen);
int zt_sockopt_ext_get(struct zt_sock *s, int optname, void *optval, socklen_t *optlen);

#endif /* ZT_SOCK_H */
