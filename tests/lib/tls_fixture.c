/* Client/server TLS pairs over loopback for the integration tests (see tls_fixture.h). */
#include "tls_fixture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "testutil.h"

/* ---- time, threads ---- */

int64_t tf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tf_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0) {
	}
}

static void *worker_main(void *p)
{
	struct tf_worker *w = p;

	w->fn(w->arg);
	atomic_store(&w->done, true);
	return NULL;
}

bool tf_worker_start(struct tf_worker *w, void *(*fn)(void *), void *arg)
{
	w->fn = fn;
	w->arg = arg;
	atomic_init(&w->done, false);
	return pthread_create(&w->th, NULL, worker_main, w) == 0;
}

/* Join if the thread ends within @p ms; false (not joined) otherwise. */
static bool worker_join(struct tf_worker *w, int ms)
{
	int64_t end = tf_now_ms() + ms;

	while (!atomic_load(&w->done) && tf_now_ms() < end) {
		tf_sleep_ms(2);
	}
	if (!atomic_load(&w->done)) {
		return false;
	}
	pthread_join(w->th, NULL);
	return true;
}

/* Join within @p ms or stop the run: a hung thread must not hang the suite. */
void tf_worker_must_join(struct tf_worker *w, int ms)
{
	if (!worker_join(w, ms)) {
		th_fail(__FILE__, __LINE__, "a helper thread is still blocked after %d ms", ms);
		abort();
	}
}

/* ---- credentials ---- */

static pthread_once_t creds_once = PTHREAD_ONCE_INIT;
static const struct tf_creds *file_creds;
static int creds_rc;

void tf_use_creds(const struct tf_creds *c)
{
	file_creds = c;
}

static void creds_add(void)
{
	creds_rc = file_creds->add();
	atexit(file_creds->del);
}

bool tf_creds_ready(void)
{
	if (file_creds == NULL) {
		th_fail(__FILE__, __LINE__, "no test credentials: tf_use_creds() was not called");
		return false;
	}
	pthread_once(&creds_once, creds_add);
	if (creds_rc != 0) {
		th_fail(__FILE__, __LINE__, "cannot add the test credentials");
	}
	return creds_rc == 0;
}

/* ---- socket helpers ---- */

int tf_set_timeo(int fd, int opt, int ms)
{
	struct zsock_timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int set_int(int fd, int level, int opt, int v)
{
	return zsock_setsockopt(fd, level, opt, &v, sizeof(v));
}

int tf_get_int(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (zsock_getsockopt(fd, level, opt, &v, &len) < 0) {
		return -errno - 100000;
	}
	return v;
}

void tf_close_fd(int *fd)
{
	if (*fd >= 0) {
		zsock_close(*fd);
		*fd = -1;
	}
}

struct tf_cfg tf_cfg_cert(int family)
{
	sec_tag_t ca = file_creds != NULL ? file_creds->ca : -1;
	sec_tag_t server = file_creds != NULL ? file_creds->server : -1;
	struct tf_cfg c = {
		.family = family,
		.cli_proto = IPPROTO_TLS_1_2,
		.srv_proto = IPPROTO_TLS_1_2,
		.cli_tags = {ca},
		.n_cli_tags = 1,
		.srv_tags = {server},
		.n_srv_tags = 1,
		.srv_verify = -1,
		.hostname = "localhost",
	};

	return c;
}

void *tf_accept_main(void *p)
{
	struct tf_acceptor *a = p;

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
int tf_listener(const struct tf_cfg *c, struct sockaddr_storage *addr, socklen_t *len)
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

int tf_client(const struct tf_cfg *c, int type_flags)
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
bool tf_pair_open(const struct tf_cfg *c, struct tf_pair *p)
{
	struct tf_acceptor a = {.fd = -1};
	int rc;

	p->lst = p->cli = p->srv = -1;
	p->cli_err = p->srv_err = -1;
	if (!tf_creds_ready()) {
		return false;
	}
	p->lst = tf_listener(c, &p->addr, &p->addr_len);
	if (p->lst < 0) {
		return false;
	}
	p->cli = tf_client(c, 0);
	if (p->cli < 0) {
		tf_close_fd(&p->lst);
		return false;
	}
	a.lst = p->lst;
	if (!tf_worker_start(&a.w, tf_accept_main, &a)) {
		tf_close_fd(&p->cli);
		tf_close_fd(&p->lst);
		return false;
	}
	errno = 0;
	rc = zsock_connect(p->cli, (struct sockaddr *)&p->addr, p->addr_len);
	p->cli_err = rc < 0 ? errno : 0;
	if (!worker_join(&a.w, 3000)) {
		/* the server's handshake waits for a client that gave up: go away */
		tf_close_fd(&p->cli);
		if (!worker_join(&a.w, 12000)) {
			tf_close_fd(&p->lst); /* accept() returns EINTR */
			tf_worker_must_join(&a.w, 5000);
		}
	}
	p->srv = a.fd;
	p->srv_err = a.err;
	p->accept_len = a.len;
	return true;
}

void tf_pair_close(struct tf_pair *p)
{
	tf_close_fd(&p->cli);
	tf_close_fd(&p->srv);
	tf_close_fd(&p->lst);
}

/* tf_pair_open() that must succeed on both sides. */
bool tf_pair_up(const struct tf_cfg *c, struct tf_pair *p)
{
	if (!tf_pair_open(c, p)) {
		return false;
	}
	if (p->cli_err != 0 || p->srv_err != 0) {
		th_fail(__FILE__, __LINE__, "handshake failed: connect %s, accept %s",
			strerror(p->cli_err), strerror(p->srv_err));
		tf_pair_close(p);
		return false;
	}
	return true;
}

/* Exactly @p len bytes within @p ms, without blocking in recv(): a broken peer cannot hang a test.
 */
static bool recv_exact(int fd, char *buf, size_t len, int ms)
{
	size_t got = 0;

	for (int64_t end = tf_now_ms() + ms; got < len && tf_now_ms() < end;) {
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
bool tf_echo_ok(int a, int b, const char *msg)
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

uint8_t tf_pat_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull + seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (uint8_t)(x >> 56);
}

void tf_pat_fill(const struct tf_pstream *s, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf[i] = tf_pat_byte(s->seed, s->off + i);
	}
}

/* Check @p n received bytes and advance; false on the first wrong byte. */
bool tf_pat_take(struct tf_pstream *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != tf_pat_byte(s->seed, s->off + i)) {
			th_fail(__FILE__, __LINE__, "stream byte %llu differs",
				(unsigned long long)(s->off + i));
			return false;
		}
	}
	s->off += n;
	return true;
}

/* MSG_DONTWAIT sends until the window stays full (EAGAIN three times, 50 ms apart). */
size_t tf_fill_window(int fd, struct tf_pstream *s)
{
	uint8_t buf[1024];
	size_t total = 0;
	int eagain = 0;
	int64_t end = tf_now_ms() + 5000;

	while (tf_now_ms() < end) {
		ssize_t n;

		tf_pat_fill(s, buf, sizeof(buf));
		n = zsock_send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			s->off += (size_t)n;
			total += (size_t)n;
			eagain = 0;
		} else if (n < 0 && errno == EAGAIN) {
			if (++eagain == 3) {
				return total;
			}
			tf_sleep_ms(50);
		} else {
			th_fail(__FILE__, __LINE__, "send while filling: %s", strerror(errno));
			return total;
		}
	}
	th_fail(__FILE__, __LINE__, "the window never filled (%zu bytes sent)", total);
	return total;
}

/* Receive and check exactly @p n bytes (blocking, bounded by @p ms). */
bool tf_recv_pat(int fd, struct tf_pstream *s, size_t n, int ms)
{
	uint8_t buf[4096];
	int64_t end = tf_now_ms() + ms;

	while (n > 0 && tf_now_ms() < end) {
		size_t want = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t r = zsock_recv(fd, buf, want, MSG_DONTWAIT);

		if (r > 0) {
			if (!tf_pat_take(s, buf, (size_t)r)) {
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
bool tf_drain_pat(int fd, struct tf_pstream *s, int idle_ms)
{
	uint8_t buf[4096];

	for (int64_t end = tf_now_ms() + 5000; tf_now_ms() < end;) {
		ssize_t r = zsock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0) {
			if (!tf_pat_take(s, buf, (size_t)r)) {
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

void *tf_connector_main(void *p)
{
	struct tf_connector *k = p;

	k->fd = tf_client(&k->cfg, 0);
	if (k->fd >= 0 && zsock_connect(k->fd, (struct sockaddr *)&k->addr, k->len) < 0) {
		k->err = errno;
	}
	return NULL;
}

/* Zephyr sizes SO_RCVBUF to one record (81 + 4); Linux rounds it up to its minimum. */
struct tf_cfg tf_cfg_small_window(void)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);

	c.srv_rcvbuf = 81 + SMALL_LEN;
	c.cli_sndbuf = 4096;
	return c;
}
