/*
 * Shared by tests/integration/test_dtls*.c: test credentials, DTLS socket
 * helpers over loopback, bounded worker threads, an echo server thread, and
 * a UDP relay that can drop datagrams and move to a new source port (the
 * NAT rebinding of Zephyr's CID test, which rebinds the client socket; Linux
 * cannot rebind a bound socket, so the relay changes the address instead).
 */
#ifndef TEST_DTLS_UTIL_H
#define TEST_DTLS_UTIL_H

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sock/dtls_test.h"
#include "testutil.h"

#define TEST_STR_SMALL "test"
#define SMALL_LEN      (sizeof(TEST_STR_SMALL) - 1)

/* Zephyr's suite: MBEDTLS_TLS_PSK_WITH_AES_256_CBC_SHA384 (RFC 5487) */
#define PSK_AES_256_CBC_SHA384 0x00AF

/* Security tags of the DTLS tests (the store is process-wide; deleted at exit). */
enum {
	TAG_CA = 4200,
	TAG_SERVER,
	TAG_PSK,
};

/* ---- time, threads ---- */

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0) {
	}
}

/* A thread whose end can be awaited with a time bound. */
struct worker {
	pthread_t th;
	atomic_bool done;
	void *(*fn)(void *);
	void *arg;
};

static inline void *worker_main(void *p)
{
	struct worker *w = p;

	w->fn(w->arg);
	atomic_store(&w->done, true);
	return NULL;
}

static inline bool worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	w->fn = fn;
	w->arg = arg;
	atomic_init(&w->done, false);
	return pthread_create(&w->th, NULL, worker_main, w) == 0;
}

/* Join within @p ms or stop the run: a hung thread must not hang the suite. */
static inline void worker_must_join(struct worker *w, int ms)
{
	int64_t end = now_ms() + ms;

	while (!atomic_load(&w->done) && now_ms() < end) {
		sleep_ms(2);
	}
	if (!atomic_load(&w->done)) {
		th_fail(__FILE__, __LINE__, "a helper thread is still blocked after %d ms", ms);
		abort();
	}
	pthread_join(w->th, NULL);
}

/* ---- credentials (tests/lib/certs/README.txt) ---- */

static const unsigned char dtls_psk[] = {0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const char dtls_psk_id[] = "dtls_identity";

static pthread_once_t dtls_creds_once = PTHREAD_ONCE_INIT;
static int dtls_creds_rc;

static inline void dtls_creds_delete(void)
{
	static const sec_tag_t tags[] = {TAG_CA, TAG_SERVER, TAG_PSK};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		for (int t = TLS_CREDENTIAL_CA_CERTIFICATE; t <= TLS_CREDENTIAL_PSK_ID; t++) {
			(void)tls_credential_delete(tags[i], (enum tls_credential_type)t);
		}
	}
}

static inline void dtls_creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, dtls_psk, sizeof(dtls_psk));
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, dtls_psk_id, strlen(dtls_psk_id));
	dtls_creds_rc = rc;
	atexit(dtls_creds_delete);
}

static inline bool creds_ready(void)
{
	pthread_once(&dtls_creds_once, dtls_creds_add);
	if (dtls_creds_rc != 0) {
		th_fail(__FILE__, __LINE__, "cannot add the test credentials");
	}
	return dtls_creds_rc == 0;
}

/* ---- socket helpers ---- */

static inline int set_int(int fd, int level, int opt, int v)
{
	return zsock_setsockopt(fd, level, opt, &v, sizeof(v));
}

static inline int get_int(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (zsock_getsockopt(fd, level, opt, &v, &len) < 0) {
		return -errno - 100000;
	}
	return v;
}

static inline int set_timeo(int fd, int opt, int ms)
{
	struct zsock_timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX (options 8, 9) */
static inline int set_hs_timeouts(int fd, uint32_t min_ms, uint32_t max_ms)
{
	if (zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &min_ms, sizeof(min_ms)) <
	    0) {
		return -1;
	}
	return zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &max_ms,
				sizeof(max_ms));
}

static inline void close_fd(int *fd)
{
	if (*fd >= 0) {
		zsock_close(*fd);
		*fd = -1;
	}
}

static inline uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/*
 * A DTLS socket with credential @p tag (TAG_CA: verify the server as
 * "localhost"), SO_RCVTIMEO 3 s so that no test can hang; -1 on error.
 */
static inline int dtls_sock(int family, sec_tag_t tag)
{
	int fd = zsock_socket(family, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	if (fd < 0) {
		return -1;
	}
	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    (tag == TAG_CA && zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0) ||
	    set_timeo(fd, SO_RCVTIMEO, 3000) < 0) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/* A DTLS server socket (TLS_DTLS_ROLE server) bound to loopback; its address in *addr. */
static inline int dtls_server(int family, sec_tag_t tag, struct sockaddr_storage *addr,
			      socklen_t *len)
{
	int fd = dtls_sock(family, tag);

	*len = tu_loopback(family, 0, addr);
	if (fd < 0) {
		return -1;
	}
	if (set_int(fd, SOL_TLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER) < 0 ||
	    zsock_bind(fd, (struct sockaddr *)addr, *len) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)addr, len) < 0) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/* Bind @p fd to a loopback address; its address in *addr. */
static inline int bind_any(int fd, int family, struct sockaddr_storage *addr, socklen_t *len)
{
	*len = tu_loopback(family, 0, addr);
	if (zsock_bind(fd, (struct sockaddr *)addr, *len) < 0) {
		return -1;
	}
	return zsock_getsockname(fd, (struct sockaddr *)addr, len);
}

/* connect() (the handshake) and one dummy byte, in a thread (Zephyr's connect work). */
struct conn_job {
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	int rc; /* 0, or the errno of the failed call */
	bool no_byte;
};

static inline void *conn_job_main(void *p)
{
	struct conn_job *j = p;
	unsigned char b = 0;

	j->rc = 0;
	if (zsock_connect(j->fd, (struct sockaddr *)&j->addr, j->len) < 0) {
		j->rc = errno;
	} else if (!j->no_byte && zsock_send(j->fd, &b, 1, 0) != 1) {
		j->rc = errno;
	}
	return NULL;
}

static inline void conn_job_init(struct conn_job *j, int fd, const struct sockaddr_storage *addr,
				 socklen_t len)
{
	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->addr = *addr;
	j->len = len;
}

/* True if @p a is the same address and port as @p b. */
static inline bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
			     const struct sockaddr_storage *b, socklen_t blen)
{
	if (alen != blen || a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* ---- UDP relay: client <-> front | relay | back <-> server ---- */

struct relay {
	int family;
	int front;       /* clients send here (port) */
	atomic_int back; /* towards the server; its port is the server's view */
	uint16_t port;   /* front port */
	struct sockaddr_storage server;
	socklen_t server_len;
	struct sockaddr_storage client;
	socklen_t client_len;
	atomic_int drop_c2s; /* datagrams still to drop, client to server */
	atomic_int drop_s2c; /* and server to client */
	atomic_int dropped;
	atomic_long bytes_s2c;  /* forwarded to the client */
	atomic_int rebind_port; /* >= 0: move `back` to this port (0: any), then -1 */
	atomic_bool replay;     /* send the last ClientHello to the server again */
	unsigned char hello[1024];
	size_t hello_len;
	atomic_bool stop;
	pthread_t th;
};

static inline int relay_udp(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, port, &ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static inline void relay_move(struct relay *r)
{
	int port = atomic_load(&r->rebind_port);
	int old = atomic_load(&r->back);
	int fd;

	if (port == 0) {
		/* any new port: open it before closing the old one, or the kernel may hand back the
		 * same port */
		fd = relay_udp(r->family, 0);
		close(old);
	} else {
		/* close first, so that another relay may take this very port */
		close(old);
		fd = relay_udp(r->family, (uint16_t)port);
	}
	atomic_store(&r->back, fd);
	atomic_store(&r->rebind_port, -1);
}

static inline void relay_pass(struct relay *r, int from_fd, bool c2s)
{
	unsigned char buf[17 * 1024];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(from_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	atomic_int *drop = c2s ? &r->drop_c2s : &r->drop_s2c;

	if (n < 0) {
		return;
	}
	if (c2s) {
		r->client = from;
		r->client_len = flen;
		if (n > 13 && n <= (ssize_t)sizeof(r->hello) && buf[0] == 22 && buf[13] == 1) {
			memcpy(r->hello, buf, (size_t)n); /* a ClientHello: keep for replay */
			r->hello_len = (size_t)n;
		}
	}
	if (atomic_load(drop) > 0) {
		atomic_fetch_sub(drop, 1);
		atomic_fetch_add(&r->dropped, 1);
		return;
	}
	if (c2s) {
		(void)!sendto(atomic_load(&r->back), buf, (size_t)n, 0,
			      (struct sockaddr *)&r->server, r->server_len);
	} else if (r->client_len > 0) {
		atomic_fetch_add(&r->bytes_s2c, (long)n);
		(void)!sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->client,
			      r->client_len);
	}
}

static inline void *relay_main(void *p)
{
	struct relay *r = p;

	while (!atomic_load(&r->stop)) {
		struct pollfd pfd[2] = {{.fd = r->front, .events = POLLIN},
					{.fd = atomic_load(&r->back), .events = POLLIN}};

		if (atomic_load(&r->rebind_port) >= 0) {
			relay_move(r);
			continue;
		}
		if (atomic_exchange(&r->replay, false) && r->hello_len > 0) {
			(void)!sendto(atomic_load(&r->back), r->hello, r->hello_len, 0,
				      (struct sockaddr *)&r->server, r->server_len);
		}
		if (poll(pfd, 2, 10) <= 0) {
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			relay_pass(r, r->front, true);
		}
		if (pfd[1].revents & POLLIN) {
			relay_pass(r, pfd[1].fd, false);
		}
	}
	return NULL;
}

/* A relay to @p server; its server-side socket on @p back_port (0: any). */
static inline bool relay_start(struct relay *r, const struct sockaddr_storage *server,
			       socklen_t server_len, uint16_t back_port)
{
	memset(r, 0, sizeof(*r));
	r->family = server->ss_family;
	r->server = *server;
	r->server_len = server_len;
	atomic_init(&r->rebind_port, -1);
	r->front = relay_udp(r->family, 0);
	atomic_init(&r->back, relay_udp(r->family, back_port));
	if (r->front < 0 || atomic_load(&r->back) < 0) {
		return false;
	}
	r->port = tu_local_port(r->front);
	return pthread_create(&r->th, NULL, relay_main, r) == 0;
}

/* The relay's server-side address: what the server sees as the client. */
static inline socklen_t relay_back_addr(struct relay *r, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	getsockname(atomic_load(&r->back), (struct sockaddr *)ss, &len);
	return len;
}

/* NAT rebinding: the client's traffic leaves from a new port from now on. */
static inline bool relay_rebind(struct relay *r, uint16_t port)
{
	int64_t end = now_ms() + 2000;

	atomic_store(&r->rebind_port, port);
	while (atomic_load(&r->rebind_port) >= 0 && now_ms() < end) {
		sleep_ms(1);
	}
	return atomic_load(&r->rebind_port) < 0 && atomic_load(&r->back) >= 0;
}

static inline void relay_stop(struct relay *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
	close(r->front);
	close(atomic_load(&r->back));
}

/* ---- echo server thread: recvfrom() and sendto() back until stopped ---- */

struct echo_srv {
	int fd;
	atomic_bool stop;
	atomic_int msgs;
	atomic_int errs; /* sendto failures */
	struct worker w;
};

static inline void *echo_main(void *p)
{
	struct echo_srv *e = p;
	unsigned char buf[2048];

	while (!atomic_load(&e->stop)) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n =
			zsock_recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (n < 0) {
			continue; /* EAGAIN every SO_RCVTIMEO: look at stop */
		}
		atomic_fetch_add(&e->msgs, 1);
		if (zsock_sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) != n) {
			atomic_fetch_add(&e->errs, 1);
		}
	}
	return NULL;
}

static inline bool echo_start(struct echo_srv *e, int fd)
{
	e->fd = fd;
	atomic_init(&e->stop, false);
	atomic_init(&e->msgs, 0);
	atomic_init(&e->errs, 0);
	return set_timeo(fd, SO_RCVTIMEO, 50) == 0 && worker_start(&e->w, echo_main, e);
}

static inline void echo_stop(struct echo_srv *e)
{
	atomic_store(&e->stop, true);
	worker_must_join(&e->w, 5000);
}

#endif /* TEST_DTLS_UTIL_H */
