/*
 * poll() on TLS sockets through zsock_poll (reference §3.7): the TLS poll
 * cases of Zephyr's tests/net/socket/tls (reference §4.1), many records
 * buffered (PR #115310), tickets that must not wake a reader, a fatal error
 * reached from outside through a record-corrupting relay, and a 1 MiB
 * transfer each way on non-blocking sockets driven by zsock_poll. The helpers
 * are those of test_tls_stream.c (one executable per file).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"

#define TEST_STR_SMALL "test"
#define SMALL_LEN      (sizeof(TEST_STR_SMALL) - 1)

/* Security tags of this file (the store is process-wide; deleted at exit). */
enum {
	TAG_CA = 3200,
	TAG_SERVER,
};

/* ---- time, threads ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
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

static void *worker_main(void *p)
{
	struct worker *w = p;

	w->fn(w->arg);
	atomic_store(&w->done, true);
	return NULL;
}

static bool worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	w->fn = fn;
	w->arg = arg;
	atomic_init(&w->done, false);
	return pthread_create(&w->th, NULL, worker_main, w) == 0;
}

/* Join if the thread ends within @p ms; false (not joined) otherwise. */
static bool worker_join(struct worker *w, int ms)
{
	int64_t end = now_ms() + ms;

	while (!atomic_load(&w->done) && now_ms() < end) {
		sleep_ms(2);
	}
	if (!atomic_load(&w->done)) {
		return false;
	}
	pthread_join(w->th, NULL);
	return true;
}

/* Join within @p ms or stop the run: a hung thread must not hang the suite. */
static void worker_must_join(struct worker *w, int ms)
{
	if (!worker_join(w, ms)) {
		th_fail(__FILE__, __LINE__, "a helper thread is still blocked after %d ms", ms);
		abort();
	}
}

/* ---- credentials ---- */

static pthread_once_t creds_once = PTHREAD_ONCE_INIT;
static int creds_rc;

static void creds_delete(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static void creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	creds_rc = rc;
	atexit(creds_delete);
}

static bool creds_ready(void)
{
	pthread_once(&creds_once, creds_add);
	if (creds_rc != 0) {
		th_fail(__FILE__, __LINE__, "cannot add the test credentials");
	}
	return creds_rc == 0;
}

/* ---- socket helpers ---- */

static int set_timeo(int fd, int opt, int ms)
{
	struct zsock_timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int set_int(int fd, int level, int opt, int v)
{
	return zsock_setsockopt(fd, level, opt, &v, sizeof(v));
}

static int get_int(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (zsock_getsockopt(fd, level, opt, &v, &len) < 0) {
		return -errno - 100000;
	}
	return v;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		zsock_close(*fd);
		*fd = -1;
	}
}

/* What a client/server pair is made of. */
struct tls_cfg {
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

/* Default pair: certificates, IPPROTO_TLS_1_2 both sides (1.3 may be negotiated). */
static struct tls_cfg cfg_cert(int family)
{
	struct tls_cfg c = {
		.family = family,
		.cli_proto = IPPROTO_TLS_1_2,
		.srv_proto = IPPROTO_TLS_1_2,
		.cli_tags = {TAG_CA},
		.n_cli_tags = 1,
		.srv_tags = {TAG_SERVER},
		.n_srv_tags = 1,
		.srv_verify = -1,
		.hostname = "localhost",
	};

	return c;
}

struct tls_pair {
	int lst;
	int cli;
	int srv;
	int cli_err; /* errno of a failed connect(), 0 if it succeeded */
	int srv_err; /* errno of a failed accept(), 0 if it succeeded */
	socklen_t accept_len;
	struct sockaddr_storage addr; /* the listener's */
	socklen_t addr_len;
};

struct acceptor {
	struct worker w;
	int lst;
	int fd;
	int err;
	struct sockaddr_storage peer;
	socklen_t len;
};

static void *accept_main(void *p)
{
	struct acceptor *a = p;

	a->len = sizeof(a->peer);
	errno = 0;
	a->fd = zsock_accept(a->lst, (struct sockaddr *)&a->peer, &a->len);
	a->err = a->fd < 0 ? errno : 0;
	return NULL;
}

static bool configure(int fd, const sec_tag_t *tags, int n_tags, const int *suites, int n_suites)
{
	if (n_tags > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags,
					   (socklen_t)(n_tags * sizeof(sec_tag_t))) < 0) {
		th_fail(__FILE__, __LINE__, "TLS_SEC_TAG_LIST: %s", strerror(errno));
		return false;
	}
	if (n_suites > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites,
					     (socklen_t)(n_suites * sizeof(int))) < 0) {
		th_fail(__FILE__, __LINE__, "TLS_CIPHERSUITE_LIST: %s", strerror(errno));
		return false;
	}
	return true;
}

/* A bound, listening secure socket configured as @p c says. */
static int tls_listener(const struct tls_cfg *c, struct sockaddr_storage *addr, socklen_t *len)
{
	int fd = zsock_socket(c->family, SOCK_STREAM, c->srv_proto);

	if (fd < 0) {
		th_fail(__FILE__, __LINE__, "zsock_socket: %s", strerror(errno));
		return -1;
	}
	(void)set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if ((c->srv_rcvbuf > 0 && set_int(fd, SOL_SOCKET, SO_RCVBUF, c->srv_rcvbuf) < 0) ||
	    !configure(fd, c->srv_tags, c->n_srv_tags, c->srv_suites, c->n_srv_suites) ||
	    (c->srv_verify >= 0 && set_int(fd, SOL_TLS, TLS_PEER_VERIFY, c->srv_verify) < 0) ||
	    (c->srv_cache &&
	     set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0)) {
		zsock_close(fd);
		return -1;
	}
	*len = tu_loopback(c->family, 0, addr);
	if (zsock_bind(fd, (struct sockaddr *)addr, *len) < 0 || zsock_listen(fd, 8) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)addr, len) < 0) {
		th_fail(__FILE__, __LINE__, "bind/listen: %s", strerror(errno));
		zsock_close(fd);
		return -1;
	}
	return fd;
}

static int tls_client(const struct tls_cfg *c, int type_flags)
{
	int fd = zsock_socket(c->family, SOCK_STREAM | type_flags, c->cli_proto);

	if (fd < 0) {
		th_fail(__FILE__, __LINE__, "zsock_socket: %s", strerror(errno));
		return -1;
	}
	if ((c->cli_sndbuf > 0 && set_int(fd, SOL_SOCKET, SO_SNDBUF, c->cli_sndbuf) < 0) ||
	    !configure(fd, c->cli_tags, c->n_cli_tags, c->cli_suites, c->n_cli_suites) ||
	    (c->cli_cache &&
	     set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0) ||
	    (c->hostname != NULL && zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, c->hostname,
						     strlen(c->hostname) + 1) < 0)) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/*
 * Connect a client to a listener while another thread accepts (both sides
 * handshake at once, as Zephyr's test_prepare_tls_connection). The outcome is
 * in cli_err/srv_err; false only if the sockets could not even be set up.
 */
static bool pair_open(const struct tls_cfg *c, struct tls_pair *p)
{
	struct acceptor a = {.fd = -1};
	int rc;

	p->lst = p->cli = p->srv = -1;
	p->cli_err = p->srv_err = -1;
	if (!creds_ready()) {
		return false;
	}
	p->lst = tls_listener(c, &p->addr, &p->addr_len);
	if (p->lst < 0) {
		return false;
	}
	p->cli = tls_client(c, 0);
	if (p->cli < 0) {
		close_fd(&p->lst);
		return false;
	}
	a.lst = p->lst;
	if (!worker_start(&a.w, accept_main, &a)) {
		close_fd(&p->cli);
		close_fd(&p->lst);
		return false;
	}
	errno = 0;
	rc = zsock_connect(p->cli, (struct sockaddr *)&p->addr, p->addr_len);
	p->cli_err = rc < 0 ? errno : 0;
	if (!worker_join(&a.w, 3000)) {
		/* the server's handshake waits for a client that gave up: go away */
		close_fd(&p->cli);
		if (!worker_join(&a.w, 12000)) {
			close_fd(&p->lst); /* accept() returns EINTR */
			worker_must_join(&a.w, 5000);
		}
	}
	p->srv = a.fd;
	p->srv_err = a.err;
	p->accept_len = a.len;
	return true;
}

static void pair_close(struct tls_pair *p)
{
	close_fd(&p->cli);
	close_fd(&p->srv);
	close_fd(&p->lst);
}

/* pair_open() that must succeed on both sides. */
static bool pair_up(const struct tls_cfg *c, struct tls_pair *p)
{
	if (!pair_open(c, p)) {
		return false;
	}
	if (p->cli_err != 0 || p->srv_err != 0) {
		th_fail(__FILE__, __LINE__, "handshake failed: connect %s, accept %s",
			strerror(p->cli_err), strerror(p->srv_err));
		pair_close(p);
		return false;
	}
	return true;
}

/* Exactly @p len bytes within @p ms, without blocking in recv(): a broken peer cannot hang a test.
 */
static bool recv_exact(int fd, char *buf, size_t len, int ms)
{
	size_t got = 0;

	for (int64_t end = now_ms() + ms; got < len && now_ms() < end;) {
		ssize_t r = zsock_recv(fd, buf + got, len - got, MSG_DONTWAIT);

		if (r > 0) {
			got += (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			struct zsock_pollfd p = {.fd = fd, .events = POLLIN};

			(void)zsock_poll(&p, 1, 50);
		} else {
			return false;
		}
	}
	return got == len;
}

/* One message each way; true if both arrived intact. */
static bool echo_ok(int a, int b, const char *msg)
{
	char buf[64] = {0};
	size_t len = strlen(msg);

	if (zsock_send(a, msg, len, 0) != (ssize_t)len || !recv_exact(b, buf, len, 5000) ||
	    memcmp(buf, msg, len) != 0) {
		return false;
	}
	memset(buf, 0, sizeof(buf));
	return zsock_send(b, msg, len, 0) == (ssize_t)len && recv_exact(a, buf, len, 5000) &&
	       memcmp(buf, msg, len) == 0;
}

/* ---- byte streams that can be checked (position-dependent pattern) ---- */

struct pstream {
	uint64_t off;
	uint32_t seed;
};

static uint8_t pat_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull + seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (uint8_t)(x >> 56);
}

static void pat_fill(const struct pstream *s, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf[i] = pat_byte(s->seed, s->off + i);
	}
}

/* Check @p n received bytes and advance; false on the first wrong byte. */
static bool pat_take(struct pstream *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != pat_byte(s->seed, s->off + i)) {
			th_fail(__FILE__, __LINE__, "stream byte %llu differs",
				(unsigned long long)(s->off + i));
			return false;
		}
	}
	s->off += n;
	return true;
}

/* MSG_DONTWAIT sends until the window stays full (EAGAIN three times, 50 ms apart). */
static size_t fill_window(int fd, struct pstream *s)
{
	uint8_t buf[1024];
	size_t total = 0;
	int eagain = 0;
	int64_t end = now_ms() + 5000;

	while (now_ms() < end) {
		ssize_t n;

		pat_fill(s, buf, sizeof(buf));
		n = zsock_send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			s->off += (size_t)n;
			total += (size_t)n;
			eagain = 0;
		} else if (n < 0 && errno == EAGAIN) {
			if (++eagain == 3) {
				return total;
			}
			sleep_ms(50);
		} else {
			th_fail(__FILE__, __LINE__, "send while filling: %s", strerror(errno));
			return total;
		}
	}
	th_fail(__FILE__, __LINE__, "the window never filled (%zu bytes sent)", total);
	return total;
}

/* Receive and check exactly @p n bytes (blocking, bounded by @p ms). */
static bool recv_pat(int fd, struct pstream *s, size_t n, int ms)
{
	uint8_t buf[4096];
	int64_t end = now_ms() + ms;

	while (n > 0 && now_ms() < end) {
		size_t want = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t r = zsock_recv(fd, buf, want, MSG_DONTWAIT);

		if (r > 0) {
			if (!pat_take(s, buf, (size_t)r)) {
				return false;
			}
			n -= (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			struct zsock_pollfd p = {.fd = fd, .events = POLLIN};

			(void)zsock_poll(&p, 1, 50);
		} else {
			th_fail(__FILE__, __LINE__, "recv: %zd (%s), %zu bytes missing", r,
				strerror(errno), n);
			return false;
		}
	}
	if (n > 0) {
		th_fail(__FILE__, __LINE__, "%zu bytes did not arrive in %d ms", n, ms);
	}
	return n == 0;
}

/* Read what is there until nothing arrives for @p idle_ms; check it. */
static bool drain_pat(int fd, struct pstream *s, int idle_ms)
{
	uint8_t buf[4096];

	for (int64_t end = now_ms() + 5000; now_ms() < end;) {
		ssize_t r = zsock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0) {
			if (!pat_take(s, buf, (size_t)r)) {
				return false;
			}
			continue;
		}
		if (r < 0 && errno == EAGAIN) {
			struct zsock_pollfd p = {.fd = fd, .events = POLLIN};

			if (zsock_poll(&p, 1, idle_ms) == 0) {
				return true;
			}
			continue;
		}
		th_fail(__FILE__, __LINE__, "recv while draining: %zd (%s)", r, strerror(errno));
		return false;
	}
	return true;
}

struct connector {
	struct worker w;
	struct tls_cfg cfg;
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;
	int err;
};

static void *connector_main(void *p)
{
	struct connector *k = p;

	k->fd = tls_client(&k->cfg, 0);
	if (k->fd >= 0 && zsock_connect(k->fd, (struct sockaddr *)&k->addr, k->len) < 0) {
		k->err = errno;
	}
	return NULL;
}

/* Zephyr sizes SO_RCVBUF to one record (81 + 4); Linux rounds it up to its minimum. */
static struct tls_cfg cfg_small_window(void)
{
	struct tls_cfg c = cfg_cert(AF_INET6);

	c.srv_rcvbuf = 81 + SMALL_LEN;
	c.cli_sndbuf = 4096;
	return c;
}

static int poll1(int fd, short events, int timeout, short *revents)
{
	struct zsock_pollfd p = {.fd = fd, .events = events};
	int n = zsock_poll(&p, 1, timeout);

	*revents = p.revents;
	return n;
}

/* ---- POLLIN ---- */

/*
 * Zephyr test_poll_tls_pollin: no event at t=0; POLLIN (exactly) once the peer
 * sent; the data is then readable with MSG_DONTWAIT; nothing after.
 */
TEST(test_poll_tls_pollin)
{
	struct tls_cfg c = cfg_cert(AF_INET6);
	char buf[SMALL_LEN] = {0};
	struct tls_pair p;
	short rev = -1;

	ASSERT_TRUE(pair_up(&c, &p));
	EXPECT_EQ(poll1(p.srv, POLLIN, 0, &rev), 0);
	EXPECT_EQ(rev, 0);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_EQ(poll1(p.srv, POLLIN, 1000, &rev), 1);
	EXPECT_EQ(rev, POLLIN);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), SMALL_LEN);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	EXPECT_EQ(poll1(p.srv, POLLIN, 0, &rev), 0);
	pair_close(&p);
}

/*
 * reference §3.7 ("only partial record / handshake / ticket → clear POLLIN")
 * and §3.10: a TLS 1.3 NewSessionTicket the server sends after the handshake
 * reaches the client's kernel socket but is not data: zsock_poll() reports no
 * POLLIN and recv() would block; application data after it wakes the poll.
 * With and without the client cache (Mbed TLS signals the ticket or eats it).
 */
TEST(test_poll_tls_pollin_not_for_session_ticket)
{
	for (int cli_cache = 0; cli_cache < 2; cli_cache++) {
		struct tls_cfg c = cfg_cert(AF_INET);
		struct pollfd kp;
		char buf[SMALL_LEN] = {0};
		struct tls_pair p;
		short rev = -1;

		c.srv_proto = IPPROTO_TLS_1_3;
		c.srv_cache = true;
		c.cli_cache = cli_cache;
		ASSERT_TRUE(pair_up(&c, &p));
		/* the ticket is in the client's kernel buffer (the fd is a kernel socket) */
		kp = (struct pollfd){.fd = p.cli, .events = POLLIN};
		ASSERT_TRUE(poll(&kp, 1, 2000) == 1);
		EXPECT_EQ(poll1(p.cli, POLLIN, 200, &rev), 0);
		EXPECT_EQ(rev, 0);
		EXPECT_ERRNO(zsock_recv(p.cli, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		EXPECT_EQ(zsock_send(p.srv, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(poll1(p.cli, POLLIN, 1000, &rev), 1);
		EXPECT_EQ(rev, POLLIN);
		EXPECT_EQ(zsock_recv(p.cli, buf, sizeof(buf), MSG_DONTWAIT), SMALL_LEN);
		EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
		pair_close(&p);
	}
}

/*
 * reference §3.7, Zephyr PR #115310 (issue #115247): the peer sends 20 small
 * records at once; poll() reports POLLIN, without waiting, before each read
 * until every record is read (whole records, then half records), then nothing.
 */
TEST(test_poll_tls_pollin_until_all_records_read)
{
	struct tls_cfg c = cfg_cert(AF_INET);
	struct tls_pair p;
	char msg[32];
	char buf[16];
	short rev;

	ASSERT_TRUE(pair_up(&c, &p));
	for (int round = 0; round < 2; round++) {
		size_t chunk = round == 0 ? 16 : 8;

		for (int i = 0; i < 20; i++) {
			snprintf(msg, sizeof(msg), "record-%02d-%d-abcd", i, round);
			EXPECT_EQ(zsock_send(p.cli, msg, 16, 0), 16);
		}
		sleep_ms(200); /* every record is in the receiver's buffers */
		for (int i = 0; i < 20 * 16 / (int)chunk; i++) {
			rev = 0;
			EXPECT_EQ(poll1(p.srv, POLLIN, 0, &rev), 1);
			EXPECT_EQ(rev, POLLIN);
			snprintf(msg, sizeof(msg), "record-%02d-%d-abcd", (int)(i * chunk / 16),
				 round);
			EXPECT_EQ(zsock_recv(p.srv, buf, chunk, MSG_DONTWAIT), chunk);
			EXPECT_EQ(memcmp(buf, msg + (i * chunk) % 16, chunk), 0);
		}
		EXPECT_EQ(poll1(p.srv, POLLIN, 0, &rev), 0);
		EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	}
	pair_close(&p);
}

/* reference §3.7: a listening socket reports POLLIN when a connection waits in accept() */
TEST(test_poll_listener_pollin_on_pending_connection)
{
	struct tls_cfg c = cfg_cert(AF_INET6);
	struct connector k = {.cfg = cfg_cert(AF_INET6), .fd = -1};
	short rev = -1;
	int lst, srv;

	ASSERT_TRUE(creds_ready());
	lst = tls_listener(&c, &k.addr, &k.len);
	ASSERT_TRUE(lst >= 0);
	EXPECT_EQ(poll1(lst, POLLIN, 0, &rev), 0);
	ASSERT_TRUE(worker_start(&k.w, connector_main, &k));
	EXPECT_EQ(poll1(lst, POLLIN, 2000, &rev), 1);
	EXPECT_EQ(rev, POLLIN);
	srv = zsock_accept(lst, NULL, NULL);
	worker_must_join(&k.w, 15000);
	EXPECT_TRUE(srv >= 0);
	EXPECT_EQ(k.err, 0);
	if (srv >= 0 && k.err == 0) {
		EXPECT_TRUE(echo_ok(k.fd, srv, TEST_STR_SMALL));
	}
	close_fd(&srv);
	close_fd(&k.fd);
	EXPECT_EQ(zsock_close(lst), 0);
}

/* ---- POLLOUT ---- */

/*
 * Zephyr test_poll_tls_pollout: POLLOUT at first; none while the window is
 * full; POLLOUT again after the peer reads; no byte lost on the way.
 */
TEST(test_poll_tls_pollout)
{
	struct tls_cfg c = cfg_small_window();
	struct pstream tx = {0, 41}, rx = {0, 41};
	struct tls_pair p;
	short rev = -1;

	ASSERT_TRUE(pair_up(&c, &p));
	EXPECT_EQ(poll1(p.cli, POLLOUT, 0, &rev), 1);
	EXPECT_EQ(rev, POLLOUT);
	EXPECT_TRUE(fill_window(p.cli, &tx) > 0);
	EXPECT_EQ(poll1(p.cli, POLLOUT, 0, &rev), 0);
	EXPECT_EQ(poll1(p.cli, POLLOUT, 100, &rev), 0);
	EXPECT_EQ(rev, 0);
	EXPECT_TRUE(drain_pat(p.srv, &rx, 200));
	EXPECT_EQ(poll1(p.cli, POLLOUT, 1000, &rev), 1);
	EXPECT_EQ(rev, POLLOUT);
	EXPECT_TRUE(recv_pat(p.srv, &rx, (size_t)(tx.off - rx.off), 5000));
	pair_close(&p);
}

/* ---- POLLHUP ---- */

/* Zephyr test_poll_tls_pollhup: peer close() → POLLIN|POLLHUP, recv() 0 */
TEST(test_poll_tls_pollhup)
{
	struct tls_cfg c = cfg_cert(AF_INET6);
	struct tls_pair p;
	short rev = 0;
	char b;

	ASSERT_TRUE(pair_up(&c, &p));
	EXPECT_EQ(zsock_close(p.cli), 0);
	p.cli = -1;
	EXPECT_EQ(poll1(p.srv, POLLIN, 1000, &rev), 1);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_TRUE(rev & POLLHUP);
	EXPECT_EQ(zsock_recv(p.srv, &b, 1, MSG_DONTWAIT), 0);
	/* the closed state stays visible */
	EXPECT_EQ(poll1(p.srv, POLLIN, 0, &rev), 1);
	EXPECT_TRUE(rev & POLLHUP);
	pair_close(&p);
}

/* ---- a relay between client and server: cuts or corrupts the stream ---- */

/* One direction: forwards whole TLS records; can flip a byte of the next one. */
struct relay_dir {
	struct worker w;
	int in;
	int out;
	atomic_bool corrupt; /* flip the last byte of the next application-data record */
	atomic_int corrupted;
};

struct relay {
	int lst; /* plain TCP listener the TLS client connects to */
	int a;   /* relay end facing the client */
	int b;   /* relay end facing the server */
	struct relay_dir c2s;
	struct relay_dir s2c;
};

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, buf, n, 0);

		if (r <= 0) {
			return false;
		}
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

static void *relay_dir_main(void *p)
{
	struct relay_dir *d = p;
	uint8_t rec[5 + 18432 + 256];

	for (;;) {
		size_t len;

		if (!read_full(d->in, rec, 5)) {
			break;
		}
		len = (size_t)rec[3] << 8 | rec[4];
		if (len > sizeof(rec) - 5 || !read_full(d->in, rec + 5, len)) {
			break;
		}
		/* TLS 1.2 application data and every TLS 1.3 encrypted record: type 23 */
		if (rec[0] == 23 && len > 0 && atomic_exchange(&d->corrupt, false)) {
			rec[5 + len - 1] ^= 0x01;
			atomic_fetch_add(&d->corrupted, 1);
		}
		if (send(d->out, rec, 5 + len, MSG_NOSIGNAL) != (ssize_t)(5 + len)) {
			break;
		}
	}
	shutdown(d->out, SHUT_WR);
	return NULL;
}

/* Both ends close: every relay thread sees EOF and ends. */
static void relay_stop(struct relay *r)
{
	if (r->a >= 0) {
		shutdown(r->a, SHUT_RDWR);
	}
	if (r->b >= 0) {
		shutdown(r->b, SHUT_RDWR);
	}
	worker_must_join(&r->c2s.w, 10000);
	worker_must_join(&r->s2c.w, 10000);
	close(r->a);
	close(r->b);
	close(r->lst);
}

/*
 * A client/server pair whose bytes pass through the relay: client → relay
 * listener, relay → TLS listener. Both handshakes run through it. On false
 * everything is closed again.
 */
static bool relay_pair_up(const struct tls_cfg *c, struct tls_pair *p, struct relay *r)
{
	struct acceptor acc = {.fd = -1};
	struct connector k = {.cfg = *c, .fd = -1};
	struct timeval tv = {20, 0};
	uint16_t port;

	p->cli = p->srv = -1;
	r->a = r->b = -1;
	if (!creds_ready()) {
		return false;
	}
	p->lst = tls_listener(c, &p->addr, &p->addr_len);
	r->lst = tu_listen(c->family, 0, &port); /* plain */
	if (p->lst < 0 || r->lst < 0) {
		th_fail(__FILE__, __LINE__, "listeners");
		close_fd(&p->lst);
		if (r->lst >= 0) {
			close(r->lst);
		}
		return false;
	}
	acc.lst = p->lst;
	k.len = tu_loopback(c->family, port, &k.addr);
	if (!worker_start(&acc.w, accept_main, &acc) || !worker_start(&k.w, connector_main, &k)) {
		abort();
	}
	r->a = accept(r->lst, NULL, NULL);
	r->b = tu_tcp_connect(c->family, tu_local_port(p->lst));
	if (r->a < 0 || r->b < 0) {
		th_fail(__FILE__, __LINE__, "relay connections");
		abort(); /* the handshake threads would wait forever */
	}
	/* a bound for the relay threads if a test forgets to stop them */
	setsockopt(r->a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(r->b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->c2s = (struct relay_dir){.in = r->a, .out = r->b};
	r->s2c = (struct relay_dir){.in = r->b, .out = r->a};
	atomic_init(&r->c2s.corrupt, false);
	atomic_init(&r->s2c.corrupt, false);
	atomic_init(&r->c2s.corrupted, 0);
	atomic_init(&r->s2c.corrupted, 0);
	if (!worker_start(&r->c2s.w, relay_dir_main, &r->c2s) ||
	    !worker_start(&r->s2c.w, relay_dir_main, &r->s2c)) {
		abort();
	}
	worker_must_join(&k.w, 15000);
	worker_must_join(&acc.w, 15000);
	p->cli = k.fd;
	p->srv = acc.fd;
	if (k.err != 0 || acc.fd < 0) {
		th_fail(__FILE__, __LINE__, "handshake through the relay: connect %s, accept %s",
			strerror(k.err), strerror(acc.err));
		pair_close(p);
		relay_stop(r);
		return false;
	}
	return true;
}

/*
 * reference §3.4 ("a bare TCP FIN without close_notify also yields 0") and
 * §3.7, Zephyr issue #39660: the connection is cut under both peers (FIN, no
 * close_notify): poll() wakes with POLLIN|POLLHUP and recv() returns 0.
 */
TEST(test_poll_tls_pollhup_on_fin_without_close_notify)
{
	struct tls_cfg c = cfg_cert(AF_INET);
	struct tls_pair p;
	struct relay r;
	short rev = 0;
	char b;

	ASSERT_TRUE(relay_pair_up(&c, &p, &r));
	EXPECT_TRUE(echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	shutdown(r.a, SHUT_RDWR);
	shutdown(r.b, SHUT_RDWR);
	EXPECT_EQ(poll1(p.srv, POLLIN, 1000, &rev), 1);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_TRUE(rev & POLLHUP);
	EXPECT_EQ(zsock_recv(p.srv, &b, 1, MSG_DONTWAIT), 0);
	rev = 0;
	EXPECT_EQ(poll1(p.cli, POLLIN, 1000, &rev), 1);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_TRUE(rev & POLLHUP);
	EXPECT_EQ(zsock_recv(p.cli, &b, 1, 0), 0);
	pair_close(&p);
	relay_stop(&r);
}

/* The peer's reaction to a corrupted record, as Zephyr's test_poll_tls_pollerr wants it. */
static void expect_pollerr(int fd)
{
	short rev = 0;
	char b;

	EXPECT_EQ(poll1(fd, POLLIN, 1000, &rev), 1);
	EXPECT_TRUE(rev & POLLERR);
	/* latched, and SO_ERROR does not clear it (reference §1.4) */
	EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	EXPECT_ERRNO(zsock_recv(fd, &b, 1, MSG_DONTWAIT), ECONNABORTED);
	EXPECT_ERRNO(zsock_send(fd, "x", 1, 0), ECONNABORTED);
}

/*
 * Zephyr test_poll_tls_pollerr: a fatal error on an established connection →
 * POLLERR, SO_ERROR == ECONNABORTED, recv() → ECONNABORTED. Zephyr injects a
 * fatal alert through the peer's ssl context; from outside the relay flips a
 * bit of the client's next application record. The server's poll() data check
 * then fails the record MAC (the server's situation) and Mbed TLS answers with
 * a fatal bad_record_mac alert, which the relay passes on: the client then is
 * exactly in Zephyr's situation, a peer that sent a fatal alert.
 */
TEST(test_poll_tls_pollerr)
{
	struct tls_cfg c = cfg_cert(AF_INET6);
	struct tls_pair p;
	struct relay r;

	ASSERT_TRUE(relay_pair_up(&c, &p, &r));
	EXPECT_TRUE(echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	atomic_store(&r.c2s.corrupt, true);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	expect_pollerr(p.srv); /* bad record MAC */
	EXPECT_EQ(atomic_load(&r.c2s.corrupted), 1);
	expect_pollerr(p.cli); /* the peer's fatal alert */
	pair_close(&p);
	relay_stop(&r);
}

/*
 * reference §3.4 / §3.9 ("recv generic Mbed TLS error (TLS) → EIO (not
 * latched)"): the same corrupted record met by a blocking recv() instead of
 * poll(): EIO, SO_ERROR shows nothing latched; the client's recv() meeting the
 * fatal alert likewise.
 */
TEST(test_recv_fatal_error_eio_not_latched)
{
	struct tls_cfg c = cfg_cert(AF_INET);
	struct tls_pair p;
	struct relay r;
	char b;

	ASSERT_TRUE(relay_pair_up(&c, &p, &r));
	EXPECT_OK(set_timeo(p.srv, SO_RCVTIMEO, 2000));
	EXPECT_OK(set_timeo(p.cli, SO_RCVTIMEO, 2000));
	atomic_store(&r.c2s.corrupt, true);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_ERRNO(zsock_recv(p.srv, &b, 1, 0), EIO);
	EXPECT_EQ(get_int(p.srv, SOL_SOCKET, SO_ERROR), 0);
	EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, 0), EIO);
	EXPECT_EQ(get_int(p.cli, SOL_SOCKET, SO_ERROR), 0);
	pair_close(&p);
	relay_stop(&r);
}

/* ---- non-blocking bulk transfer ---- */

struct nb_side {
	int fd;
	struct pstream tx;
	struct pstream rx;
};

/* Send what the window takes; false on an error. */
static bool nb_send(struct nb_side *s, size_t total)
{
	uint8_t buf[16384];

	while (s->tx.off < total) {
		size_t n = total - s->tx.off < sizeof(buf) ? total - s->tx.off : sizeof(buf);
		ssize_t r;

		pat_fill(&s->tx, buf, n);
		r = zsock_send(s->fd, buf, n, 0);
		if (r > 0) {
			s->tx.off += (uint64_t)r;
			continue;
		}
		if (r < 0 && errno == EAGAIN) {
			return true;
		}
		th_fail(__FILE__, __LINE__, "non-blocking send: %zd (%s)", r, strerror(errno));
		return false;
	}
	return true;
}

static bool nb_recv(struct nb_side *s)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t r = zsock_recv(s->fd, buf, sizeof(buf), 0);

		if (r > 0) {
			if (!pat_take(&s->rx, buf, (size_t)r)) {
				return false;
			}
			continue;
		}
		if (r < 0 && errno == EAGAIN) {
			return true;
		}
		th_fail(__FILE__, __LINE__, "non-blocking recv: %zd (%s)", r, strerror(errno));
		return false;
	}
}

/*
 * issue 3: 1 MiB each way at once on O_NONBLOCK sockets, one thread driven by
 * zsock_poll (POLLOUT to send, POLLIN to receive), byte-exact. A socket stays
 * in the poll set when done, so a record the library keeps queued still leaves.
 */
TEST(test_large_transfer_nonblocking_poll_1mib_each_way)
{
	const size_t total = 1 << 20;
	struct tls_cfg c = cfg_cert(AF_INET6);
	struct tls_pair p;
	struct nb_side s[2];
	int64_t end;
	bool ok = true;

	ASSERT_TRUE(pair_up(&c, &p));
	s[0] = (struct nb_side){.fd = p.cli, .tx = {0, 51}, .rx = {0, 52}};
	s[1] = (struct nb_side){.fd = p.srv, .tx = {0, 52}, .rx = {0, 51}};
	EXPECT_OK(zsock_fcntl(p.cli, F_SETFL, O_NONBLOCK));
	EXPECT_OK(zsock_fcntl(p.srv, F_SETFL, O_NONBLOCK));
	end = now_ms() + 30000;
	while (ok && now_ms() < end) {
		struct zsock_pollfd pfd[2];
		bool done = true;

		for (int i = 0; i < 2; i++) {
			pfd[i].fd = s[i].fd;
			pfd[i].events = (short)((s[i].rx.off < total ? POLLIN : 0) |
						(s[i].tx.off < total ? POLLOUT : 0));
			pfd[i].revents = 0;
			done = done && s[i].rx.off == total && s[i].tx.off == total;
		}
		if (done) {
			break;
		}
		if (zsock_poll(pfd, 2, 200) < 0) {
			th_fail(__FILE__, __LINE__, "zsock_poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < 2 && ok; i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL | POLLHUP)) {
				th_fail(__FILE__, __LINE__, "revents 0x%x", pfd[i].revents);
				ok = false;
			}
			if (ok && (pfd[i].revents & POLLOUT)) {
				ok = nb_send(&s[i], total);
			}
			if (ok && (pfd[i].revents & POLLIN)) {
				ok = nb_recv(&s[i]);
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(s[i].tx.off, total);
		EXPECT_EQ(s[i].rx.off, total);
	}
	pair_close(&p);
}

/*
 * One thread blocked in recv(), another thread polling the same socket: the
 * poll's data check moves the record from the kernel into Mbed TLS, where
 * the reader's kernel-level wait cannot see it. The reader must still get
 * the data at once, not at its SO_RCVTIMEO (reference §3.13: concurrent
 * use of one socket from several threads).
 */
struct blocked_reader {
	int fd;
	ssize_t n;
	int err;
	int64_t ms;
	char buf[SMALL_LEN];
};

static void *blocked_reader_main(void *p)
{
	struct blocked_reader *r = p;
	int64_t t0 = now_ms();

	errno = 0;
	r->n = zsock_recv(r->fd, r->buf, sizeof(r->buf), 0);
	r->err = errno;
	r->ms = now_ms() - t0;
	return NULL;
}

TEST(test_recv_blocked_while_other_thread_polls)
{
	struct tls_cfg c = cfg_cert(AF_INET);
	struct blocked_reader r = {0};
	struct tls_pair p;
	struct worker w;
	short rev = 0;

	ASSERT_TRUE(pair_up(&c, &p));
	EXPECT_OK(set_timeo(p.srv, SO_RCVTIMEO, 3000));
	r.fd = p.srv;
	ASSERT_TRUE(worker_start(&w, blocked_reader_main, &r));
	sleep_ms(100); /* let the reader block */
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_EQ(poll1(p.srv, POLLIN, 1000, &rev), 1);
	worker_must_join(&w, 5000);
	EXPECT_EQ(r.n, SMALL_LEN);
	EXPECT_EQ(memcmp(r.buf, TEST_STR_SMALL, SMALL_LEN), 0);
	EXPECT_TRUE(r.ms < 2000); /* not woken by the 3 s timeout */
	pair_close(&p);
}
