/*
 * The socket layer's state: struct zt_sock (one secure socket: a kernel
 * TCP/UDP socket, the fd the application holds, plus this), struct
 * zt_opts (its option values) and struct zt_session (one TLS/DTLS session
 * over it: the engine, the transport callbacks, the read-ahead stash). A
 * TLS socket and a DTLS client have one session; a DTLS server socket has
 * one per peer (dtls_server.c). Every session is driven by one pump
 * (session.c); ARCHITECTURE.md draws the paths.
 */
#ifndef ZT_SOCK_H
#define ZT_SOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <zephyr/net/socket.h>

#include "engine/engine.h"
#include "fd/fdtable.h"
#include "sys/host.h"
#include "util/list.h"
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
#define ZT_CID_MAX ZT_ENG_CID_MAX

_Static_assert(ZT_MAX_ALPN <= ZT_ENG_MAX_ALPN, "the engine holds every ALPN entry");

/** Zephyr's CONFIG_NET_SOCKETS_TLS_CONNECT_TIMEOUT default. */
#define ZT_CONNECT_TIMEOUT_MS  10000
/** Mbed TLS's DTLS retransmission defaults (MBEDTLS_SSL_DTLS_TIMEOUT_DFL_MIN/MAX). */
#define ZT_DTLS_TIMEOUT_MIN_MS 1000
#define ZT_DTLS_TIMEOUT_MAX_MS 60000

/** Option values of one socket; copied whole by accept() (docs/zephyr-behaviour.md §3.12). */
struct zt_opts {
	sec_tag_t sec_tags[ZT_MAX_SEC_TAGS];
	int sec_tag_count;

	/* TLS_HOSTNAME: never set (client default ""), set to a name, or set to NULL */
	char *hostname; /* heap copy, NULL when unset or set to NULL */
	bool hostname_set;

	int *ciphersuites; /* heap, 0-terminated; NULL while not set (the defaults) */
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

	/* secsock extensions (<secsock/secsock.h>) */
	int async_handshake; /* SECSOCK_TLS_ASYNC_HANDSHAKE */
	int dtls_max_peers;  /* SECSOCK_TLS_DTLS_MAX_PEERS */
	int hibernate_ms;    /* SECSOCK_TLS_HIBERNATE (0 off); read without s->lock: atomically */
};

/** Lifecycle of a secure socket. */
enum zt_state {
	ZT_NEW,         /* created, maybe bound */
	ZT_CONNECTING,  /* TCP connect() in progress (non-blocking, asynchronous handshake) */
	ZT_LISTENING,   /* TLS server listener: accept() hands out children */
	ZT_CONNECTED,   /* transport up; no session, or its handshake not done */
	ZT_ESTABLISHED, /* handshake done, data flows */
	ZT_CLOSED,      /* close_notify or EOF received: recv returns 0 */
};

struct zt_sock;

/**
 * One TLS or DTLS session over a secure socket's kernel socket. The
 * transport (session.c) reads and writes the kernel socket: connected
 * (send/recv), or - for a DTLS server's peers - by peer address (sendto)
 * and reading only the datagram the dispatcher hands it (gated).
 */
struct zt_session {
	struct zt_sock *s;
	struct zt_eng *eng; /* NULL before zt_session_start() */
	bool established;   /* its handshake is done */
	bool tx_queued;     /* tx_lock: the last WRITE left its record queued in the engine */
	bool dgram;
	bool gated;                          /* DTLS server peer: reads its datagram only */
	const struct sockaddr_storage *peer; /* DTLS server peer: sendto() here */
	const socklen_t *peer_len;
	bool rx_empty; /* the last kernel read found nothing: a blocking read waits first */
	int io_err;    /* hard transport error the engine saw (ECONNREFUSED, ECONNRESET) */
	/* read-ahead (stream): bytes received past what the engine asked for */
	unsigned char *stash;
	size_t stash_off, stash_len;
	int64_t hs_deadline; /* the handshake's bound (ZT_CONNECT_TIMEOUT_MS) */
	bool hib;            /* hibernated (SECSOCK_TLS_HIBERNATE): the next step wakes it */
	bool hib_never;      /* the engine cannot hibernate this session (TLS 1.3, ...) */
};

/** What a session waits for after -EAGAIN. */
struct zt_want {
	short events;     /* POLLIN / POLLOUT on the kernel socket */
	int64_t deadline; /* a DTLS timer (absolute ms) or ZT_FOREVER */
	bool queued;      /* after a WRITE: the record waits in the engine (flush it) */
};

/** What zt_session_step() does. */
enum zt_op {
	ZT_OP_HANDSHAKE, /* only the handshake */
	ZT_OP_READ,      /* handshake if needed, then plaintext (one record for DTLS) */
	ZT_OP_WRITE,     /* handshake if needed, then one record */
	ZT_OP_FLUSH,     /* a record the kernel refused earlier */
	ZT_OP_CHECK,     /* poll's data check: 1 plaintext ready, 0 end */
	ZT_OP_PEEK,      /* READ that leaves the data for the next READ (MSG_PEEK) */
};

/** Longest SECSOCK_TLS_FAILURE_REASON text, NUL included. */
#define ZT_FAIL_TEXT_MAX 512

/** Waiters registered without a lock (zt_waiter_add); more go to the s->waiters list. */
#define ZT_WAIT_SLOTS 4

struct zt_sock {
	struct zt_fd_obj obj; /* the fd table's head: references, the kernel fd */
	int type;             /* SOCK_STREAM, SOCK_DGRAM */

	/*
	 * What zsock_poll() reads (and a waiter writes) for every socket of its
	 * set, next to the reference count, so that a poll over many idle
	 * sockets touches one or two cache lines of each (zt_sock_new aligns
	 * the struct on a cache line).
	 *
	 * state, error, broken: written under `lock`; atomic so that a data call
	 * can check them before it takes any lock.
	 */
	_Atomic(enum zt_state) state;
	atomic_int error;      /* latched errno (SO_ERROR), 0 if none */
	atomic_bool broken;    /* engine failed in recv (EIO, not latched): later calls fail */
	atomic_bool closing;   /* close() called: waiters return EINTR */
	atomic_bool shut_rd;   /* shutdown(SHUT_RD): recv returns 0; set without s->lock */
	atomic_bool poll_busy; /* stream: poll() must look inside the engine (note_busy) */
	/*
	 * Stream: the engine's record buffers may be resident (a step ran since
	 * they were last given back), and since when poll() has seen the socket
	 * quiet (zt_now_ms(), 0: not yet). See zt_sock_idle_tick().
	 */
	atomic_bool mem_held;
	atomic_int waking;               /* zt_wake_all() calls reading wslot now */
	atomic_int wslot[ZT_WAIT_SLOTS]; /* eventfd + 1 of sleeping threads, 0: free */
	/* (the struct is 64-byte aligned: the above is its first cache line) */
	_Atomic int64_t
		peer_check_ms; /* last time the kernel said the peer had not left (send, poll) */
	_Atomic int64_t quiet_since;
	_Atomic int64_t idle_next; /* quiet ms at which the next idle action is due */

	int fd;     /* == obj.fd: the kernel socket (a placeholder after close) */
	int family; /* AF_INET, AF_INET6 */
	int proto;  /* IPPROTO_TLS_1_x / IPPROTO_DTLS_1_x */

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
	uint64_t opts_gen;     /* bumped by every successful setsockopt */
	bool nonblock;         /* O_NONBLOCK as the application set it */
	atomic_bool shut_wr;   /* shutdown(SHUT_WR): close_notify sent, send fails with EPIPE */
	atomic_bool peer_left; /* a wait saw the peer's FIN or RST (POLLRDHUP/POLLHUP) */
	bool error_report;     /* asynchronous handshake: SO_ERROR reports error once */
	uint32_t vflags;       /* TLS_CERT_VERIFY_RESULT of a handshake that failed */
	bool vflags_kept;
	/* SECSOCK_TLS_FAILURE_REASON: why the last handshake failed ("": none failed) */
	char *fail_text;    /* ZT_FAIL_TEXT_MAX bytes on the heap from the first failure, or NULL */
	bool hs_done;       /* a handshake completed or failed on this socket */
	bool peer_notified; /* DTLS client: the session ended with the peer's close_notify */

	struct zt_eng_conf *conf; /* engine config (listener: shared with children) */
	uint64_t conf_opts_gen;   /* opts_gen and credential generation conf was built from */
	uint64_t conf_cred_gen;
	struct zt_session sess; /* TLS, DTLS client: the session */
	struct zt_eng *eng;     /* the session the option getters read (a DTLS server's newest) */

	struct zt_waiter *waiters; /* threads sleeping in zt_wait() or zsock_poll(), for close() */
	atomic_uint moved;         /* bumped when poll's data check moved bytes into the engine */
	atomic_bool wake_pollers;  /* poll_busy just became true: wake sleeping polls */
	atomic_bool dtls_srv;      /* DTLS server for good (s->dtls set): no s->lock to know */
	/* mem_held just became true: epoll sets look at the socket (zt_session_wake_pollers) */
	atomic_bool held_again;

	struct zt_dtls *dtls; /* DTLS state (peer, sessions of a server), dtls.c */

	/*
	 * libsecsock-posix's epoll registrations of this socket (src/posix/epoll.c),
	 * NULL when it is in no epoll set; owned and freed there.
	 */
	_Atomic(void *) watch;
};

_Static_assert(offsetof(struct zt_sock, wslot) + sizeof(((struct zt_sock *)0)->wslot) <= 64,
	       "zsock_poll's per-socket fields fit the struct's first cache line");

/**
 * Set once by libsecsock-posix before any socket has a watch: called (without
 * s->lock) when the engine of a watched socket starts to hold something the
 * kernel will not signal, or, @p held_only, when only its record buffers may
 * be resident again after a trim (s->held_again; both zt_session_wake_pollers),
 * and by close() once s->closing is set, before the kernel socket goes (the
 * sets drop the socket).
 */
extern void (*zt_watch_hook)(struct zt_sock *s, bool held_only);

/** A thread sleeping in zt_wait() on a socket; close() wakes every one. */
struct zt_waiter {
	int efd;
	struct zt_waiter *next;
	int slot; /* index in s->wslot, or -1: in s->waiters */
};

/** The live socket of @p fd with a reference taken, or NULL (not ours, or closed). */
static inline struct zt_sock *zt_fd_get(int fd)
{
	struct zt_fd_obj *o = zt_fd_get_obj(fd);

	return o != NULL ? ZT_CONTAINER_OF(o, struct zt_sock, obj) : NULL;
}

/** Drop a reference from zt_fd_get(); the last one frees the socket. NULL is ignored. */
static inline void zt_fd_put(struct zt_sock *s)
{
	if (s != NULL) {
		zt_fd_put_obj(&s->obj);
	}
}

/* ---- waiting (wait.c) ---- */

/**
 * Set by libsecsock-posix: a blocking call that a signal handler interrupts
 * returns -EINTR as the C library's call would (unless every handler has
 * SA_RESTART). Otherwise (libsecsock, Zephyr's behaviour) it waits on.
 * -EINTR then means "closed" only when s->closing is set.
 */
extern atomic_bool zt_posix_signals;

/**
 * Sleep until the kernel socket reports @p events, @p deadline (absolute ms,
 * ZT_FOREVER) passes, or the socket is closed or shut down for reading. A
 * FIN or RST the wait sees is remembered (s->peer_left).
 * @retval >0 the kernel socket is ready: its revents (of @p events, POLLHUP,
 *         POLLRDHUP); 0 woken by another thread (re-check); -EAGAIN deadline;
 *         -EINTR closed by another thread, or (zt_posix_signals) a signal;
 *         -errno from SO_ERROR on POLLERR.
 */
int zt_wait(struct zt_sock *s, short events, int64_t deadline);

/**
 * zt_wait() for a reader that looked at the engine when s->moved was @p seen:
 * returns 0 at once if poll() moved data into the engine since (a wake-up
 * sent before this thread was registered would be lost otherwise).
 */
int zt_wait_since(struct zt_sock *s, short events, int64_t deadline, unsigned seen);

/**
 * Wake every thread in zt_wait() on @p s (close, shutdown, data moved into
 * the engine by another thread). zt_wait() may thus return 0 without the
 * kernel event: callers always re-check and loop.
 */
void zt_wake_all(struct zt_sock *s);

/** zt_wake_all() but for the calling thread's own eventfd (a poll() does not wake itself). */
void zt_wake_others(struct zt_sock *s);

/** This thread's wake-up eventfd (created on first use), or -errno. */
int zt_thread_efd(void);

/** Register / unregister @p w (w->efd set) to be woken with @p s's waiters. */
void zt_waiter_add(struct zt_sock *s, struct zt_waiter *w);
void zt_waiter_del(struct zt_sock *s, struct zt_waiter *w);

/* ---- sessions and the pump (session.c) ---- */

/** A session of @p s with no engine yet: connected transport (stream or datagram). */
void zt_session_init(struct zt_session *ss, struct zt_sock *s);

/** Start the engine on @p conf for @p sc. @retval 0, -ENOMEM, -EINVAL. */
int zt_session_start(struct zt_session *ss, struct zt_eng_conf *conf,
		     const struct zt_eng_sess_cfg *sc);

/** Send close_notify (best effort, when established) and free the engine. */
void zt_session_close(struct zt_session *ss, bool notify);

/**
 * Under s->lock: a handshake failed; keep what the application may still ask
 * about it (TLS_CERT_VERIFY_RESULT, SECSOCK_TLS_FAILURE_REASON) and free the
 * engine.
 */
void zt_session_fail(struct zt_session *ss);

/**
 * Under s->lock: keep why @p ss's handshake failed (SECSOCK_TLS_FAILURE_REASON)
 * in its socket; @p rc the handshake's errno, for a failure the engine has no
 * text for (a timeout, the peer leaving).
 */
void zt_session_note_failure(struct zt_session *ss, int rc);

/**
 * The pump, under s->lock: advance the session by what is possible now -
 * the handshake first if it is not done, then @p op. Returns >= 0 when
 * done (bytes for READ/WRITE; READ 0: the peer closed), -EAGAIN with *w
 * saying what to wait for, or -errno (the engine's table, errors.c).
 * @p full: READ of a datagram, the record's whole length.
 */
ssize_t zt_session_step(struct zt_session *ss, enum zt_op op, void *buf, size_t len, size_t *full,
			struct zt_want *w);

/**
 * The blocking form: step, and while -EAGAIN, sleep in zt_wait() (no lock
 * held) until the transport is ready, a DTLS timer fires or @p deadline
 * passes (-EAGAIN). With @p nowait one step only. Takes s->lock per step.
 * A READ returns -ESHUTDOWN once shutdown(SHUT_RD) was called, -EINTR once
 * the socket is closed by another thread.
 */
ssize_t zt_session_run(struct zt_session *ss, enum zt_op op, void *buf, size_t len, size_t *full,
		       int64_t deadline, bool nowait);

/**
 * After releasing s->lock: wake the polls sleeping on @p s if a step made the
 * engine hold something the kernel will not signal (s->wake_pollers).
 */
void zt_session_wake_pollers(struct zt_sock *s);

/**
 * How long an established stream stays quiet before its engine gives the
 * pages of its record buffers back (zt_wait, zsock_poll): long enough that a
 * busy connection never pays for it, short enough that an idle one is small.
 */
#define ZT_IDLE_TRIM_MS 100

/**
 * After a hibernation, the idle tick that gives the heap pages the engine
 * freed back to the kernel (zt_eng_release) comes this much later, so a burst
 * of hibernations is released once.
 */
#define ZT_HIB_RELEASE_MS 50

/** SECSOCK_TLS_HIBERNATE of @p s (ms, 0 off), read without s->lock. */
static inline int zt_sock_hibernate_ms(const struct zt_sock *s)
{
	return __atomic_load_n(&s->opts.hibernate_ms, __ATOMIC_RELAXED);
}

/** Quiet ms after which a stream's first idle action is due (trim, or an earlier hibernation). */
int64_t zt_sock_idle_first(const struct zt_sock *s);

/**
 * Without s->lock: what is due for a stream quiet for @p quiet ms - give the
 * record buffers' pages back (ZT_IDLE_TRIM_MS), hibernate the session
 * (SECSOCK_TLS_HIBERNATE). Returns the quiet ms at which the next action is
 * due, or -1 when nothing is left to do (s->mem_held cleared).
 */
int64_t zt_session_idle(struct zt_sock *s, int64_t quiet);

/**
 * Under s->lock: serialise an established, idle session and free its
 * context (SECSOCK_TLS_HIBERNATE; the next zt_session_step() wakes it).
 * @retval 0 done; -EAGAIN not now (a record or a timer in flight); other
 *         -errno never (TLS 1.3, a non-AEAD suite: ss->hib_never set).
 */
int zt_session_hibernate(struct zt_session *ss);

/**
 * zsock_poll(), once per pass, @p now = zt_now_ms(): note that @p s is quiet
 * and trim it once it has been quiet for ZT_IDLE_TRIM_MS. Returns the ms
 * until that is due, or -1 if nothing is held (no wake-up needed).
 */
int64_t zt_sock_idle_tick(struct zt_sock *s, int64_t now);

/**
 * Under s->lock: zt_eng_info() of the session the getters read (s->eng). A
 * hibernated stream session wakes for it (the engine loads it again); it is
 * then idle-tracked again, so that it hibernates after N more quiet ms.
 */
int zt_sock_info(struct zt_sock *s, enum zt_eng_info what, void *buf, size_t *len);

/** zt_sock_info() of an int, or its negative errno. */
static inline int zt_sock_info_int(struct zt_sock *s, enum zt_eng_info what)
{
	int v = 0;
	size_t len = sizeof(v);
	int rc = zt_sock_info(s, what, &v, &len);

	return rc < 0 ? rc : v;
}

/** Under s->lock: something to read without the kernel (plaintext, a buffered record, stash). */
bool zt_session_readable(const struct zt_session *ss);

/** Under s->lock: the engine's status (zeroed when there is no engine). */
void zt_session_status(const struct zt_session *ss, struct zt_eng_status *st);

/* ---- process-wide extensions (keylog.c, ticket_keys.c) ---- */

/** SSLKEYLOGFILE: open it and hand the engine its sink (first secure socket). */
void zt_keylog_init(void);

/**
 * Parse a session-ticket key file (secsock_ticket_keys_load()): one key of
 * 64 hex digits per line; blank lines and '#' lines skipped. @p keys gets
 * up to ZT_TICKET_KEYS_MAX keys. @retval number of keys (> 0); -EINVAL a
 * bad line or no key; -E2BIG too many keys.
 */
int zt_ticket_keys_parse(const char *text, size_t len, unsigned char (*keys)[ZT_TICKET_KEY_LEN]);

/** Read, parse and install the keys of @p path (NULL: random keys). 0 or -errno. */
int zt_ticket_keys_load(const char *path);

/** SECSOCK_TICKET_KEY_FILE: load it (first secure socket); failure told once on stderr. */
void zt_ticket_keys_init(void);

/* ---- configurations (confs.c) ---- */

/**
 * s->conf for @p server role, rebuilt if the options or the credential store
 * changed since it was built. Clients share configs with equal options. Under
 * s->lock. @retval 0, -ENOENT, -EINVAL, -ENOMEM.
 */
int zt_sock_conf(struct zt_sock *s, bool server);

/** A new, unshared config for @p o (tests and fuzzers build engines this way). */
int zt_sock_conf_build(const struct zt_opts *o, int proto, bool server, struct zt_eng_conf **out);

/** The per-session part of the options: host name rule, own CID. */
void zt_sock_sess_cfg(const struct zt_sock *s, struct zt_eng_sess_cfg *sc);

/**
 * TLS_SEC_TAG_LIST validation (Zephyr's tls_check_credentials): every tag
 * holds something and every credential parses; a tag validated before at
 * the same credential generation is not parsed again.
 */
int zt_sock_check_tags(const sec_tag_t *tags, int n);

/** Drop shared configs of an older credential generation (after a delete). */
void zt_sock_confs_flush(void);

/** Shared client configs held now (tests). */
int zt_sock_confs_count(void);

/* ---- socket objects (socket.c, opts.c, sockopt*.c) ---- */

/** Allocate a socket for kernel @p fd (refs 0; zt_fd_insert() takes the first). */
struct zt_sock *zt_sock_new(int fd, int family, int type, int proto);

/** Free a socket that was never registered (a failed accept); closes the kernel fd. */
void zt_sock_destroy(struct zt_sock *s);

/**
 * Under s->lock: the one place a socket's lifecycle moves. Moving to
 * ZT_CONNECTED with @p err != 0 latches @p err (SO_ERROR) - a failed
 * handshake; the asynchronous handshake also reports it once through
 * SO_ERROR. Moving to ZT_ESTABLISHED clears the latched error.
 */
void zt_sock_set_state(struct zt_sock *s, enum zt_state state, int err);

/**
 * zsock_fcntl() with its third argument already taken from the variadic
 * list (an int or a pointer, as the C library passes it on); for
 * libsecsock-posix's fcntl(). Sets errno, returns as fcntl().
 */
int zt_fcntl(int sock, int cmd, uintptr_t arg);

/** Defaults of a new socket (docs/zephyr-behaviour.md §3.2). */
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
