/*
 * The non-blocking scenario of bench_tls (docs/benchmarks.md): N concurrent
 * TLS connections, every one of them driven by a single thread per side.
 *
 *   secsock: non-blocking secure sockets with SECSOCK_TLS_ASYNC_HANDSHAKE
 *            (the listener's value is inherited by accepted sockets); one
 *            zsock_poll() loop in the server thread, one in the client thread.
 *   raw:     non-blocking kernel sockets, mbedtls_ssl_handshake/read/write
 *            stepped by hand on WANT_READ / WANT_WRITE, one poll() loop per
 *            side; the same mbedtls_ssl_config as the blocking raw loop.
 *
 * Phase 1: the client opens N connections at once; timed until the last
 * handshake is done on the client side (handshakes per second). Phase 2:
 * every connection makes K 64-byte echo round trips, all connections at the
 * same time (round trips per second). Then the client closes everything and
 * the server thread ends when it has seen every connection close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/tcp.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "bench.h"

#define NB_POLL_MS 10000 /* no event for this long: the scenario is stuck */

/* One connection of either side. */
struct nb_conn {
	int fd;
	bool raw_ready;  /* raw: the handshake is done */
	bool connecting; /* raw client: TCP connect still in progress */
	short events;    /* what the next poll asks for */
	long left;       /* client: echo round trips still to make */
	size_t got;      /* client: bytes of the current echo received */
	mbedtls_ssl_context ssl;
};

struct nb_side {
	bool secsock;
	int ver;
	long n, echoes;
	int listener;
	struct nb_conn *c;
	struct pollfd *pfd;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- raw: non-blocking BIO and stepping ---- */

static int nb_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct nb_conn *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0) {
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int nb_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct nb_conn *c = ctx;
	ssize_t n = recv(c->fd, buf, len, 0);

	if (n >= 0) {
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

static void raw_setup(struct nb_conn *c, bool server, int ver)
{
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, bench_raw_conf(server, ver)) != 0 ||
	    (!server && mbedtls_ssl_set_hostname(&c->ssl, "localhost") != 0)) {
		bench_die("nb raw: mbedtls_ssl_setup");
	}
	mbedtls_ssl_set_bio(&c->ssl, c, nb_bio_send, nb_bio_recv, NULL);
}

/* ret of an mbedtls call: the events to wait for, or die */
static short raw_want(int ret, const char *what)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
		return POLLIN;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
		return POLLOUT;
	}
	bench_die("nb raw %s: -0x%04x", what, (unsigned)-ret);
}

/* Handshake step; true once it is done. */
static bool raw_hs_step(struct nb_conn *c)
{
	int ret = mbedtls_ssl_handshake(&c->ssl);

	if (ret == 0) {
		c->raw_ready = true;
		c->events = POLLIN;
		return true;
	}
	c->events = raw_want(ret, "handshake");
	return false;
}

static void nb_fd_setup(int fd)
{
	if (bench_nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) < 0) {
		bench_die("TCP_NODELAY: %s", strerror(errno));
	}
}

/* ---- secsock sockets ---- */

static int ss_nb_socket(int ver, sec_tag_t tag)
{
	int proto = ver == V13 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	int fd = zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, proto);
	int suites[1] = {bench_ver_suite[ver]};
	int one = 1;

	if (fd < 0) {
		bench_die("nb zsock_socket: %s", strerror(errno));
	}
	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(suites)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0 ||
	    (bench_nodelay &&
	     zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)) {
		bench_die("nb zsock_setsockopt: %s", strerror(errno));
	}
	return fd;
}

static int side_poll(const struct nb_side *sd, struct pollfd *p, int n)
{
	int r = sd->secsock ? zsock_poll((struct zsock_pollfd *)p, n, NB_POLL_MS)
			    : poll(p, (nfds_t)n, NB_POLL_MS);

	if (r < 0 && errno != EINTR) {
		bench_die("nb poll: %s", strerror(errno));
	}
	if (r == 0) {
		bench_die("nb %s: no progress for %d ms", sd->secsock ? "secsock" : "raw",
			  NB_POLL_MS);
	}
	return r;
}

/* ---- server: accept, handshake, echo until the client closes ---- */

static void srv_close(struct nb_side *sd, struct nb_conn *c)
{
	if (sd->secsock) {
		zsock_close(c->fd);
	} else {
		close(c->fd);
		mbedtls_ssl_free(&c->ssl);
	}
	c->fd = -1;
}

/* Echo everything readable on c; false when the connection ended. */
static bool srv_echo(struct nb_side *sd, struct nb_conn *c)
{
	unsigned char buf[4 * ECHO_LEN];

	for (;;) {
		ssize_t n;

		if (sd->secsock) {
			n = zsock_recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EAGAIN) {
				return true;
			}
			if (n < 0) {
				bench_die("nb server zsock_recv: %s", strerror(errno));
			}
		} else {
			if (!c->raw_ready && !raw_hs_step(c)) {
				return true;
			}
			n = mbedtls_ssl_read(&c->ssl, buf, sizeof(buf));
			if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) {
				c->events = raw_want((int)n, "read");
				return true;
			}
			if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
				n = 0;
			}
			if (n < 0) {
				bench_die("nb server mbedtls_ssl_read: -0x%04x", (unsigned)-n);
			}
		}
		if (n == 0) {
			return false;
		}
		/* 64-byte records into an empty socket buffer: accepted whole */
		ssize_t w = sd->secsock ? zsock_send(c->fd, buf, (size_t)n, 0)
					: mbedtls_ssl_write(&c->ssl, buf, (size_t)n);
		if (w != n) {
			bench_die("nb server echo: short write %zd of %zd", w, n);
		}
	}
}

static void srv_accept(struct nb_side *sd, long *accepted)
{
	while (*accepted < sd->n) {
		struct nb_conn *c = &sd->c[*accepted];
		int fd = sd->secsock
				 ? zsock_accept(sd->listener, NULL, NULL)
				 : accept4(sd->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				return;
			}
			bench_die("nb accept: %s", strerror(errno));
		}
		c->fd = fd;
		c->events = POLLIN;
		/* accept() does not pass O_NONBLOCK on (Linux and Zephyr alike) */
		if (sd->secsock && zsock_fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
			bench_die("nb zsock_fcntl: %s", strerror(errno));
		}
		if (!sd->secsock) {
			nb_fd_setup(fd);
			raw_setup(c, true, sd->ver);
			(void)raw_hs_step(c);
		}
		(*accepted)++;
	}
}

static void *srv_main(void *arg)
{
	struct nb_side *sd = arg;
	long accepted = 0, closed = 0;
	int *map = malloc(sizeof(int) * (size_t)(sd->n + 1));

	if (map == NULL) {
		bench_die("out of memory");
	}
	bench_pin_self(1);
	while (closed < sd->n) {
		int np = 0;

		if (accepted < sd->n) {
			sd->pfd[np++] = (struct pollfd){.fd = sd->listener, .events = POLLIN};
		}
		for (long i = 0; i < accepted; i++) {
			if (sd->c[i].fd >= 0) {
				map[np] = (int)i;
				sd->pfd[np++] = (struct pollfd){.fd = sd->c[i].fd,
								.events = sd->c[i].events};
			}
		}
		(void)side_poll(sd, sd->pfd, np);
		for (int k = 0; k < np; k++) {
			struct pollfd *p = &sd->pfd[k];

			if (p->revents == 0) {
				continue;
			}
			if (p->fd == sd->listener && k == 0 && accepted < sd->n) {
				srv_accept(sd, &accepted);
				continue;
			}
			if (!sd->secsock && (p->revents & POLLNVAL)) {
				bench_die("nb server: POLLNVAL");
			}
			struct nb_conn *c = &sd->c[map[k]];

			if (!srv_echo(sd, c)) {
				srv_close(sd, c);
				closed++;
			}
		}
	}
	free(map);
	return NULL;
}

/* ---- client: connect all, handshake all, then K echoes each ---- */

static void cli_open(struct nb_side *sd, int port)
{
	struct sockaddr_in a = bench_loopback(port);

	for (long i = 0; i < sd->n; i++) {
		struct nb_conn *c = &sd->c[i];
		int rc;

		c->left = sd->echoes;
		c->events = POLLOUT;
		if (sd->secsock) {
			c->fd = ss_nb_socket(sd->ver, TAG_CA);
			if (zsock_setsockopt(c->fd, SOL_TLS, TLS_HOSTNAME, "localhost",
					     sizeof("localhost")) < 0) {
				bench_die("TLS_HOSTNAME: %s", strerror(errno));
			}
			rc = zsock_connect(c->fd, (struct sockaddr *)&a, sizeof(a));
		} else {
			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->fd < 0) {
				bench_die("socket: %s", strerror(errno));
			}
			nb_fd_setup(c->fd);
			raw_setup(c, false, sd->ver);
			rc = connect(c->fd, (struct sockaddr *)&a, sizeof(a));
			c->connecting = true;
		}
		if (rc < 0 && errno != EINPROGRESS) {
			bench_die("nb connect: %s", strerror(errno));
		}
	}
}

/* Phase 1 for one connection that poll reported; true once established. */
static bool cli_hs(struct nb_side *sd, struct nb_conn *c, short revents)
{
	if (sd->secsock) {
		if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
			int err = 0;
			socklen_t len = sizeof(err);

			(void)zsock_getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			bench_die("nb secsock client handshake: revents 0x%x, %s", revents,
				  strerror(err));
		}
		return (revents & POLLOUT) != 0;
	}
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			bench_die("nb raw connect: %s", strerror(err));
		}
		c->connecting = false;
	}
	return raw_hs_step(c);
}

static void cli_send(struct nb_side *sd, struct nb_conn *c)
{
	static const unsigned char msg[ECHO_LEN] = {'e'};
	ssize_t w = sd->secsock ? zsock_send(c->fd, msg, sizeof(msg), 0)
				: mbedtls_ssl_write(&c->ssl, msg, sizeof(msg));

	if (w != (ssize_t)sizeof(msg)) {
		bench_die("nb client send: %zd", w);
	}
	c->got = 0;
	c->events = POLLIN;
}

/* Phase 2: read what is there; true when this connection made its K round trips. */
static bool cli_echo(struct nb_side *sd, struct nb_conn *c)
{
	unsigned char buf[ECHO_LEN];

	for (;;) {
		ssize_t n = sd->secsock ? zsock_recv(c->fd, buf, sizeof(buf) - c->got, 0)
					: mbedtls_ssl_read(&c->ssl, buf, sizeof(buf) - c->got);

		if (sd->secsock && n < 0 && errno == EAGAIN) {
			return false;
		}
		if (!sd->secsock &&
		    (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)) {
			c->events = raw_want((int)n, "read");
			return false;
		}
		if (!sd->secsock && n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			continue;
		}
		if (n <= 0) {
			bench_die("nb client recv: %zd", n);
		}
		c->got += (size_t)n;
		if (c->got == ECHO_LEN) {
			if (--c->left == 0) {
				return true;
			}
			cli_send(sd, c);
		}
	}
}

/* Run phase 1 or 2 on every connection until all are through it. */
static void cli_phase(struct nb_side *sd, bool echo)
{
	long pending = sd->n;
	int *map = malloc(sizeof(int) * (size_t)sd->n);
	bool *done = calloc((size_t)sd->n, sizeof(bool));

	if (map == NULL || done == NULL) {
		bench_die("out of memory");
	}
	if (echo) {
		for (long i = 0; i < sd->n; i++) {
			cli_send(sd, &sd->c[i]);
		}
	}
	while (pending > 0) {
		int np = 0;

		for (long i = 0; i < sd->n; i++) {
			if (!done[i]) {
				map[np] = (int)i;
				sd->pfd[np++] = (struct pollfd){.fd = sd->c[i].fd,
								.events = sd->c[i].events};
			}
		}
		(void)side_poll(sd, sd->pfd, np);
		for (int k = 0; k < np; k++) {
			struct nb_conn *c = &sd->c[map[k]];
			short rev = sd->pfd[k].revents;

			if (rev == 0) {
				continue;
			}
			if (echo ? cli_echo(sd, c) : cli_hs(sd, c, rev)) {
				done[map[k]] = true;
				pending--;
			}
		}
	}
	free(map);
	free(done);
}

static void cli_close_all(struct nb_side *sd)
{
	for (long i = 0; i < sd->n; i++) {
		struct nb_conn *c = &sd->c[i];

		if (sd->secsock) {
			zsock_close(c->fd);
		} else {
			(void)mbedtls_ssl_close_notify(&c->ssl);
			close(c->fd);
			mbedtls_ssl_free(&c->ssl);
		}
	}
}

static int nb_listen(struct nb_side *sd, int *port)
{
	struct sockaddr_in a = bench_loopback(0);
	socklen_t len = sizeof(a);
	int fd;

	if (sd->secsock) {
		fd = ss_nb_socket(sd->ver, TAG_SERVER);
		if (zsock_bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    zsock_listen(fd, 4096) < 0 ||
		    zsock_getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
			bench_die("nb secsock listen: %s", strerror(errno));
		}
	} else {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			bench_die("socket: %s", strerror(errno));
		}
		nb_fd_setup(fd);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0 ||
		    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
			bench_die("nb raw listen: %s", strerror(errno));
		}
	}
	*port = ntohs(a.sin_port);
	return fd;
}

struct nb_result bench_nb_run(const struct impl *im, int ver, long n, long echoes)
{
	bool secsock = im == &bench_secsock;
	struct nb_side srv = {secsock, ver, n, echoes, -1, NULL, NULL};
	struct nb_side cli = srv;
	struct nb_result r;
	double w0, c0, w1, c1, w2, c2;
	pthread_t t;
	int port;

	srv.c = calloc((size_t)n, sizeof(*srv.c));
	cli.c = calloc((size_t)n, sizeof(*cli.c));
	srv.pfd = calloc((size_t)n + 1, sizeof(*srv.pfd));
	cli.pfd = calloc((size_t)n + 1, sizeof(*cli.pfd));
	if (srv.c == NULL || cli.c == NULL || srv.pfd == NULL || cli.pfd == NULL) {
		bench_die("out of memory");
	}
	srv.listener = nb_listen(&srv, &port);
	if (pthread_create(&t, NULL, srv_main, &srv) != 0) {
		bench_die("pthread_create");
	}
	w0 = now_s();
	c0 = cpu_s();
	cli_open(&cli, port);
	cli_phase(&cli, false);
	w1 = now_s();
	c1 = cpu_s();
	cli_phase(&cli, true);
	w2 = now_s();
	c2 = cpu_s();
	cli_close_all(&cli);
	pthread_join(t, NULL);
	if (secsock) {
		zsock_close(srv.listener);
	} else {
		close(srv.listener);
	}
	free(srv.c);
	free(cli.c);
	free(srv.pfd);
	free(cli.pfd);
	r.hs_wall = (double)n / (w1 - w0);
	r.hs_cpu = (double)n / (c1 - c0);
	r.echo_wall = (double)(n * echoes) / (w2 - w1);
	r.echo_cpu = (double)(n * echoes) / (c2 - c1);
	return r;
}
