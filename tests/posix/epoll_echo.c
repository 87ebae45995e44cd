#define _GNU_SOURCE
/*
 * An epoll echo server over TLS written with the C library's names only
 * (socket, accept4, send, recv, epoll_ctl, epoll_wait, close, ...) and
 * <secsock/posix.h> for the numbers (docs/posix.md). Built twice
 * (tests/posix/CMakeLists.txt): linked with libsecsock-posix
 * (posix.epoll_echo) and without secsock, run under LD_PRELOAD
 * (posix.epoll_echo_preload). Credentials go in through the
 * SECSOCK_TLS_CREDENTIAL_ADD socket option, which works both ways.
 *
 * Two runs, level-triggered then edge-triggered (read/write until EAGAIN):
 * 200 TLS clients each send 1 MiB and check every byte echoed back. The
 * clients are non-blocking sockets in a second epoll loop in another thread;
 * their connect() returns EINPROGRESS and the asynchronous handshake (on by
 * default for socket()) completes inside epoll_wait, at most HS_INFLIGHT at a
 * time. The server accepts with accept4(SOCK_NONBLOCK); its handshakes
 * advance in epoll_wait and the first recv.
 *
 * Bounded: every loop stops at a deadline (DEADLINE_MS for both runs) and
 * alarm() kills the program after HARD_LIMIT_S. Loopback only. Exits 0 when
 * every byte came back, 1 with the first error printed otherwise.
 *
 * usage: epoll_echo CERTS [CLIENTS [BYTES]]
 */
#include <secsock/posix.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef EPOLL_ECHO_SANITIZE
#define EPOLL_ECHO_SANITIZE ""
#endif

#define TAG_CA       7300
#define TAG_SERVER   7301
#define CLIENTS      200
#define BYTES        (1024 * 1024)
#define SAN_BYTES    (256 * 1024)
#define CHUNK        16384
#define HS_INFLIGHT  32
#define MAX_EVENTS   64
#define DEADLINE_MS  110000
#define HARD_LIMIT_S 120

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_alarm(int sig)
{
	static const char msg[] = "epoll_echo: FAIL: hard time limit reached\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

/* The byte at offset OFF of client ID's stream: a 32-bit mix of (ID, OFF / 4). */
static uint8_t pattern(uint32_t id, size_t off)
{
	uint32_t x = id * 0x9E3779B9u ^ (uint32_t)(off >> 2) * 0x85EBCA6Bu;

	x ^= x >> 16;
	x *= 0x7FEB352Du;
	x ^= x >> 15;
	return (uint8_t)(x >> ((off & 3) * 8));
}

struct run {
	bool et;
	int nclients;
	size_t bytes;
	int64_t deadline;
	int lst;
	struct sockaddr_in addr;
	atomic_int errors;
	atomic_int done;   /* clients whose echo came back whole */
	atomic_int served; /* server connections that ended at the client's close */
	atomic_long waits;
	atomic_long events;
	char why[512];
};

static pthread_mutex_t why_lock = PTHREAD_MUTEX_INITIALIZER;

/* Records an error; the first one is printed at the end. */
static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&r->errors, 1);
	pthread_mutex_lock(&why_lock);
	if (r->why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&why_lock);
}

static bool running(struct run *r)
{
	return atomic_load(&r->errors) == 0 && now_ms() < r->deadline;
}

static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ep, op, fd, &ev);
}

/* ---- the server: one epoll set, the listener and every accepted socket ---- */

struct sconn {
	int fd;
	uint32_t interest; /* level-triggered: EPOLLIN or EPOLLOUT */
	size_t len, off;   /* buf[off, len) still to echo */
	uint8_t buf[CHUNK];
};

/* Echoes what can be echoed now; false once the connection is over (or failed). */
static bool serve(struct run *r, int ep, struct sconn *c, uint64_t id)
{
	/* edge-triggered: until both directions say EAGAIN; level: one round is enough */
	for (int round = 0; round < 1000000; round++) {
		bool progress = false;

		if (c->off < c->len) {
			ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, 0);

			if (n > 0) {
				c->off += (size_t)n;
				progress = true;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				note(r, "server send: %s", strerror(errno));
				return false;
			}
		}
		if (c->off == c->len) {
			ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), 0);

			c->off = c->len = 0;
			if (n > 0) {
				c->len = (size_t)n;
				progress = true;
			} else if (n == 0) {
				atomic_fetch_add(&r->served, 1);
				return false;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				note(r, "server recv: %s", strerror(errno));
				return false;
			}
		}
		if (!progress || !r->et) {
			break;
		}
	}
	if (!r->et) {
		uint32_t want = c->off < c->len ? EPOLLOUT : EPOLLIN;

		if (want != c->interest) {
			c->interest = want;
			if (ctl(ep, EPOLL_CTL_MOD, c->fd, want, id) < 0) {
				note(r, "server EPOLL_CTL_MOD: %s", strerror(errno));
				return false;
			}
		}
	}
	return true;
}

static void server_accept(struct run *r, int ep, struct sconn **conns, int *nconn)
{
	/* until EAGAIN (edge-triggered listener); bounded by the number of clients */
	for (int k = 0; k <= r->nclients; k++) {
		int fd = accept4(r->lst, NULL, NULL, SOCK_NONBLOCK);
		struct sconn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				note(r, "accept4: %s", strerror(errno));
			}
			return;
		}
		if (*nconn >= r->nclients) {
			note(r, "more connections than clients");
			close(fd);
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			note(r, "out of memory");
			close(fd);
			return;
		}
		c->fd = fd;
		c->interest = EPOLLIN;
		conns[++*nconn] = c;
		if (ctl(ep, EPOLL_CTL_ADD, fd,
			r->et ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET : EPOLLIN,
			(uint64_t)*nconn) < 0) {
			note(r, "server EPOLL_CTL_ADD: %s", strerror(errno));
		}
	}
}

static void *server_main(void *arg)
{
	struct run *r = arg;
	struct sconn **conns = calloc((size_t)r->nclients + 1, sizeof(*conns));
	struct epoll_event evs[MAX_EVENTS];
	int ep = epoll_create1(EPOLL_CLOEXEC), nconn = 0, ended = 0;

	if (ep < 0 || conns == NULL ||
	    ctl(ep, EPOLL_CTL_ADD, r->lst, EPOLLIN | (r->et ? EPOLLET : 0), 0) < 0) {
		note(r, "server setup: %s", strerror(errno));
		free(conns);
		return NULL;
	}
	while (ended < r->nclients && running(r)) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 200);

		atomic_fetch_add(&r->waits, 1);
		if (n < 0) {
			note(r, "server epoll_wait: %s", strerror(errno));
			break;
		}
		atomic_fetch_add(&r->events, n);
		for (int i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;
			struct sconn *c;

			if (id == 0) {
				server_accept(r, ep, conns, &nconn);
				continue;
			}
			c = id <= (uint64_t)r->nclients ? conns[id] : NULL;
			if (c == NULL) {
				note(r, "server: event 0x%x for unknown or closed connection %llu",
				     evs[i].events, (unsigned long long)id);
				continue;
			}
			if (!serve(r, ep, c, id)) {
				/* no EPOLL_CTL_DEL: close() drops it from the set */
				close(c->fd);
				free(c);
				conns[id] = NULL;
				ended++;
			}
		}
	}
	for (int i = 1; i <= nconn; i++) {
		if (conns[i] != NULL) {
			close(conns[i]->fd);
			free(conns[i]);
		}
	}
	free(conns);
	close(ep);
	return NULL;
}

/* ---- the clients: non-blocking sockets in a second epoll set ---- */

struct cconn {
	int fd;
	bool connected, sent_all;
	size_t sent, got;
};

/* Every byte of buf[0, n), at offset OFF of client ID's stream, as sent? */
static bool check_echo(struct run *r, uint32_t id, size_t off, const uint8_t *buf, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		uint8_t want = pattern(id, off + j);

		if (buf[j] != want) {
			note(r, "client %u: echoed byte %zu is 0x%02x, expected 0x%02x", id,
			     off + j, buf[j], want);
			return false;
		}
	}
	return true;
}

/* Sends and checks what can be now; false once done (c->got == bytes) or failed. */
static bool client_io(struct run *r, int ep, struct cconn *c, uint32_t id, uint8_t *buf)
{
	for (int round = 0; round < 1000000; round++) {
		bool progress = false;

		while (c->sent < r->bytes) {
			size_t n = r->bytes - c->sent < CHUNK ? r->bytes - c->sent : CHUNK;
			ssize_t k;

			for (size_t j = 0; j < n; j++) {
				buf[j] = pattern(id, c->sent + j);
			}
			k = send(c->fd, buf, n, 0);
			if (k < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK) {
					note(r, "client %u send: %s", id, strerror(errno));
					return false;
				}
				break;
			}
			c->sent += (size_t)k;
			progress = true;
			if (!r->et) {
				break; /* level-triggered: reported again while writable */
			}
		}
		for (int k2 = 0; k2 < 1000000; k2++) {
			ssize_t k = recv(c->fd, buf, CHUNK, 0);

			if (k > 0) {
				if (c->got + (size_t)k > c->sent) {
					note(r, "client %u: %zu bytes echoed, only %zu sent", id,
					     c->got + (size_t)k, c->sent);
					return false;
				}
				if (!check_echo(r, id, c->got, buf, (size_t)k)) {
					return false;
				}
				c->got += (size_t)k;
				progress = true;
				continue;
			}
			if (k == 0) {
				note(r, "client %u: the server closed after %zu of %zu bytes", id,
				     c->got, r->bytes);
				return false;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				note(r, "client %u recv: %s", id, strerror(errno));
				return false;
			}
			break;
		}
		if (c->got == r->bytes) {
			return false;
		}
		if (!progress || !r->et) {
			break;
		}
	}
	if (!r->et && !c->sent_all && c->sent == r->bytes) {
		c->sent_all = true;
		if (ctl(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, id) < 0) {
			note(r, "client %u EPOLL_CTL_MOD: %s", id, strerror(errno));
			return false;
		}
	}
	return true;
}

static int client_start(struct run *r, int ep, struct cconn *c, uint32_t id)
{
	int tags[] = {TAG_CA};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2);

	c->fd = fd;
	if (fd < 0 || setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) < 0 ||
	    setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0) {
		note(r, "client %u socket: %s", id, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr)) == 0) {
		note(r, "client %u: a non-blocking connect() returned 0, not EINPROGRESS", id);
		return -1;
	}
	if (errno != EINPROGRESS) {
		note(r, "client %u connect: %s", id, strerror(errno));
		return -1;
	}
	if (ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT | (r->et ? EPOLLET : 0), id) < 0) {
		note(r, "client %u EPOLL_CTL_ADD: %s", id, strerror(errno));
		return -1;
	}
	return 0;
}

static void *clients_main(void *arg)
{
	struct run *r = arg;
	struct cconn *cs = calloc((size_t)r->nclients + 1, sizeof(*cs));
	uint8_t *buf = malloc(CHUNK);
	struct epoll_event evs[MAX_EVENTS];
	int ep = epoll_create1(EPOLL_CLOEXEC), open_ = 0, inflight = 0, next = 1;

	if (ep < 0 || cs == NULL || buf == NULL) {
		note(r, "client setup: %s", strerror(errno));
		free(cs);
		free(buf);
		return NULL;
	}
	for (int i = 0; i <= r->nclients; i++) {
		cs[i].fd = -1;
	}
	while ((open_ > 0 || next <= r->nclients) && running(r)) {
		int n;

		while (inflight < HS_INFLIGHT && next <= r->nclients) {
			if (client_start(r, ep, &cs[next], (uint32_t)next) < 0) {
				break;
			}
			open_++;
			inflight++;
			next++;
		}
		n = epoll_wait(ep, evs, MAX_EVENTS, 200);
		atomic_fetch_add(&r->waits, 1);
		if (n < 0) {
			note(r, "client epoll_wait: %s", strerror(errno));
			break;
		}
		atomic_fetch_add(&r->events, n);
		for (int i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;
			struct cconn *c = id >= 1 && id <= (uint64_t)r->nclients ? &cs[id] : NULL;

			if (c == NULL || c->fd < 0) {
				note(r, "clients: event 0x%x for unknown or closed client %llu",
				     evs[i].events, (unsigned long long)id);
				continue;
			}
			if (!c->connected) {
				int err = 0;
				socklen_t len = sizeof(err);

				/* the first report: the handshake ended, one way or the other */
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
					err = errno;
				}
				if (err != 0 || (evs[i].events & EPOLLERR)) {
					note(r, "client %llu handshake (events 0x%x): %s",
					     (unsigned long long)id, evs[i].events, strerror(err));
					continue;
				}
				c->connected = true;
				inflight--;
			}
			if (!client_io(r, ep, c, (uint32_t)id, buf)) {
				if (c->got == r->bytes) {
					atomic_fetch_add(&r->done, 1);
				}
				close(c->fd); /* close_notify; the set drops it */
				c->fd = -1;
				open_--;
			}
		}
	}
	for (int i = 1; i <= r->nclients; i++) {
		if (cs[i].fd >= 0) {
			close(cs[i].fd);
		}
	}
	free(cs);
	free(buf);
	close(ep);
	return NULL;
}

/* ---- setup ---- */

static int cred_add(int fd, int tag, int type, const char *dir, const char *name)
{
	char path[1024];
	struct stat st;
	struct secsock_tls_credential *c;
	int f, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0 || fstat(f, &st) != 0) {
		perror(path);
		return -1;
	}
	/* PEM: with its terminating NUL */
	c = calloc(1, sizeof(*c) + (size_t)st.st_size + 1);
	if (c == NULL || read(f, c + 1, (size_t)st.st_size) != st.st_size) {
		perror(path);
		free(c);
		close(f);
		return -1;
	}
	close(f);
	c->tag = tag;
	c->type = type;
	rc = setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, c,
			(socklen_t)(sizeof(*c) + (size_t)st.st_size + 1));
	if (rc != 0) {
		fprintf(stderr, "SECSOCK_TLS_CREDENTIAL_ADD %s: %s\n", name, strerror(errno));
	}
	free(c);
	return rc;
}

static int listener(struct sockaddr_in *a)
{
	int tags[] = {TAG_SERVER};
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) != 0 ||
	    bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) != 0) {
		perror("listener");
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	return fd;
}

static bool echo_run(bool et, int nclients, size_t bytes, int64_t deadline)
{
	struct run *r = calloc(1, sizeof(*r));
	pthread_t srv, cli;
	int64_t t0 = now_ms(), ms;
	bool ok;

	if (r == NULL) {
		fprintf(stderr, "out of memory\n");
		return false;
	}
	r->et = et;
	r->nclients = nclients;
	r->bytes = bytes;
	r->deadline = deadline;
	r->lst = listener(&r->addr);
	if (r->lst < 0) {
		free(r);
		return false;
	}
	if (pthread_create(&srv, NULL, server_main, r) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		close(r->lst);
		free(r);
		return false;
	}
	if (pthread_create(&cli, NULL, clients_main, r) != 0) {
		note(r, "pthread_create failed");
	} else {
		pthread_join(cli, NULL);
	}
	/* the server ends when every connection has ended, at an error or the deadline */
	pthread_join(srv, NULL);
	ms = now_ms() - t0;
	printf("%s: %d of %d clients x %zu KiB echoed in %lld ms (%.1f MiB/s each way), "
	       "%ld waits, %ld events\n",
	       et ? "edge-triggered" : "level-triggered", atomic_load(&r->done), nclients,
	       bytes / 1024, (long long)ms,
	       (double)bytes * atomic_load(&r->done) / (1024.0 * 1024.0) /
		       ((double)(ms > 0 ? ms : 1) / 1000.0),
	       atomic_load(&r->waits), atomic_load(&r->events));
	ok = atomic_load(&r->errors) == 0 && atomic_load(&r->done) == nclients &&
	     atomic_load(&r->served) == nclients;
	if (r->why[0] != '\0') {
		printf("FAIL: %s (%d errors)\n", r->why, atomic_load(&r->errors));
	} else if (now_ms() >= deadline) {
		printf("FAIL: deadline reached\n");
	} else if (!ok) {
		printf("FAIL: %d clients done, %d server connections ended at close_notify\n",
		       atomic_load(&r->done), atomic_load(&r->served));
	}
	close(r->lst);
	free(r);
	return ok;
}

int main(int argc, char **argv)
{
	bool san = EPOLL_ECHO_SANITIZE[0] != '\0';
	int nclients = CLIENTS;
	size_t bytes = san ? SAN_BYTES : BYTES;
	struct sigaction sa;
	int64_t deadline;
	bool ok;
	int fd, rc;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s CERTS [CLIENTS [BYTES]]\n", argv[0]);
		return 2;
	}
	if (argc > 2) {
		nclients = atoi(argv[2]);
	}
	if (argc > 3) {
		bytes = (size_t)strtoul(argv[3], NULL, 0);
	}
	if (nclients < 1 || nclients > 10000 || bytes < 1) {
		fprintf(stderr, "bad CLIENTS or BYTES\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(HARD_LIMIT_S);
	deadline = now_ms() + DEADLINE_MS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (san) {
		printf("sanitizer build (%s): %d clients x %zu KiB instead of x 1 MiB\n",
		       EPOLL_ECHO_SANITIZE, nclients, bytes / 1024);
	}

	/* the credential store is the process's: any secure socket puts them in */
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	if (fd < 0) {
		/* without libsecsock-posix, the kernel refuses the protocol */
		fprintf(stderr, "FAIL: socket(IPPROTO_TLS_1_2): %s\n", strerror(errno));
		return 1;
	}
	rc = cred_add(fd, TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, argv[1], "ca.pem");
	rc |= cred_add(fd, TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[1], "server.pem");
	rc |= cred_add(fd, TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, argv[1], "server.key");
	if (rc != 0) {
		fprintf(stderr, "FAIL: credentials\n");
		return 1;
	}
	close(fd);

	ok = echo_run(false, nclients, bytes, deadline);
	ok = echo_run(true, nclients, bytes, deadline) && ok;
	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
