/*
 * Client/server TLS pairs over loopback for tests/integration/test_tls_*.c:
 * bounded worker threads, the test file's credentials, a listener and a
 * client configured from one struct tf_cfg, a pair connected while another
 * thread accepts, and position-dependent byte streams that can be checked.
 * Failures are reported with th_fail() (harness.h); every wait is bounded.
 */
#ifndef ZT_TLS_FIXTURE_H
#define ZT_TLS_FIXTURE_H

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The small message of Zephyr's suite (same as test_dtls_util.h). */
#define TEST_STR_SMALL "test"
#define SMALL_LEN      (sizeof(TEST_STR_SMALL) - 1)

/* ---- time, threads ---- */

/** Monotonic milliseconds. */
int64_t tf_now_ms(void);

/** Sleep @p ms milliseconds (resumed after a signal). */
void tf_sleep_ms(int ms);

/* A thread whose end can be awaited with a time bound. */
struct tf_worker {
	pthread_t th;
	atomic_bool done;
	void *(*fn)(void *);
	void *arg;
};

/** Run fn(arg) in a new thread; false if it cannot be created. */
bool tf_worker_start(struct tf_worker *w, void *(*fn)(void *), void *arg);

/** Join within @p ms or stop the run: a hung thread must not hang the suite. */
void tf_worker_must_join(struct tf_worker *w, int ms);

/* ---- credentials ---- */

/*
 * The credentials of a test file (the store is process-wide): @c ca and
 * @c server are the tags of tf_cfg_cert(); add() adds every credential of the
 * file (0, or nonzero on any error) and del() deletes them (run at exit).
 */
struct tf_creds {
	sec_tag_t ca;
	sec_tag_t server;
	int (*add)(void);
	void (*del)(void);
};

/** Use @p c (static storage) as this file's credentials; call it before any case runs. */
void tf_use_creds(const struct tf_creds *c);

/** Add the credentials once (later calls return the first outcome); th_fail() if they failed. */
bool tf_creds_ready(void);

/* ---- socket helpers ---- */

/** SO_RCVTIMEO/SO_SNDTIMEO (@p opt) of @p ms. */
int tf_set_timeo(int fd, int opt, int ms);

/** An int option, or -errno - 100000 if getsockopt() failed. */
int tf_get_int(int fd, int level, int opt);

/** Close *fd if open and set it to -1. */
void tf_close_fd(int *fd);

/* What a client/server pair is made of. */
struct tf_cfg {
	int family;
	int cli_proto;
	int srv_proto;
	sec_tag_t cli_tags[4];
	int n_cli_tags;
	sec_tag_t srv_tags[4];
	int n_srv_tags;
	int cli_suites[4];
	int n_cli_suites;
	int srv_suites[4];
	int n_srv_suites;
	int srv_verify;       /* TLS_PEER_VERIFY of the listener; -1 leaves the default */
	const char *hostname; /* client TLS_HOSTNAME, NULL leaves it unset */
	int srv_rcvbuf;       /* SO_RCVBUF on the listener (the accepted socket inherits) */
	int cli_sndbuf;       /* SO_SNDBUF on the client */
	bool srv_cache;       /* TLS_SESSION_CACHE on the listener (TLS 1.3 tickets) */
	bool cli_cache;       /* TLS_SESSION_CACHE on the client */
};

/** Default pair: certificates (tags of tf_use_creds()), IPPROTO_TLS_1_2 both sides (1.3 may be
 * negotiated). */
struct tf_cfg tf_cfg_cert(int family);

/** Zephyr sizes SO_RCVBUF to one record (81 + 4); Linux rounds it up to its minimum. */
struct tf_cfg tf_cfg_small_window(void);

struct tf_pair {
	int lst;
	int cli;
	int srv;
	int cli_err; /* errno of a failed connect(), 0 if it succeeded */
	int srv_err; /* errno of a failed accept(), 0 if it succeeded */
	socklen_t accept_len;
	struct sockaddr_storage addr; /* the listener's */
	socklen_t addr_len;
};

/** A bound, listening secure socket configured as @p c says (address in *addr). -1 on error. */
int tf_listener(const struct tf_cfg *c, struct sockaddr_storage *addr, socklen_t *len);

/** A client socket configured as @p c says (SOCK_STREAM | @p type_flags). -1 on error. */
int tf_client(const struct tf_cfg *c, int type_flags);

/*
 * Connect a client to a listener while another thread accepts (both sides
 * handshake at once, as Zephyr's test_prepare_tls_connection). The outcome is
 * in cli_err/srv_err; false only if the sockets could not even be set up.
 */
bool tf_pair_open(const struct tf_cfg *c, struct tf_pair *p);

/** Close the three sockets of @p p. */
void tf_pair_close(struct tf_pair *p);

/** tf_pair_open() that must succeed on both sides. */
bool tf_pair_up(const struct tf_cfg *c, struct tf_pair *p);

/** One message each way; true if both arrived intact. */
bool tf_echo_ok(int a, int b, const char *msg);

/* An accept() in a worker thread (tf_worker_start(&a.w, tf_accept_main, &a)). */
struct tf_acceptor {
	struct tf_worker w;
	int lst;
	int fd;
	int err;
	struct sockaddr_storage peer;
	socklen_t len;
};

void *tf_accept_main(void *p);

/* A tf_client() connect() in a worker thread (tf_worker_start(&k.w, tf_connector_main, &k)). */
struct tf_connector {
	struct tf_worker w;
	struct tf_cfg cfg;
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;
	int err;
};

void *tf_connector_main(void *p);

/* ---- byte streams that can be checked (position-dependent pattern) ---- */

struct tf_pstream {
	uint64_t off;
	uint32_t seed;
};

/** Byte @p i of the stream seeded @p seed. */
uint8_t tf_pat_byte(uint32_t seed, uint64_t i);

/** The next @p n bytes of @p s into @p buf (s->off not advanced). */
void tf_pat_fill(const struct tf_pstream *s, uint8_t *buf, size_t n);

/** Check @p n received bytes and advance; false on the first wrong byte. */
bool tf_pat_take(struct tf_pstream *s, const uint8_t *buf, size_t n);

/** MSG_DONTWAIT sends until the window stays full (EAGAIN three times, 50 ms apart). */
size_t tf_fill_window(int fd, struct tf_pstream *s);

/** Receive and check exactly @p n bytes (blocking, bounded by @p ms). */
bool tf_recv_pat(int fd, struct tf_pstream *s, size_t n, int ms);

/** Read what is there until nothing arrives for @p idle_ms; check it. */
bool tf_drain_pat(int fd, struct tf_pstream *s, int idle_ms);

#endif /* ZT_TLS_FIXTURE_H */
