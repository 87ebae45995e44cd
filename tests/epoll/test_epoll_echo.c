/*
 * An epoll echo server over TLS (src/posix/epoll.c) with many concurrent
 * clients, level-triggered and again edge-triggered: 200 clients, each sends
 * 1 MiB and checks every byte echoed back (256 KiB each in a sanitizer build,
 * said on stdout). The clients are a second epoll loop in
 * another thread: non-blocking sockets whose asynchronous handshakes
 * (SECSOCK_TLS_ASYNC_HANDSHAKE) complete inside epoll_wait, at most 32 at a
 * time (each handshake is bounded by 10 s, also on a slow sanitizer run). The level-
 * triggered server also accepts asynchronously; the edge-triggered one lets
 * accept() complete each handshake (Zephyr's default). Hard limit 60 s.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "posix/epoll.h"
#include "testutil.h"
#include "tls_fixture.h"

enum {
	TAG_CA = 5300,
	TAG_SERVER,
};

#define HARD_LIMIT_MS 60000
#define CHUNK         16384
#define MAX_CLIENTS   200
#define HS_INFLIGHT   32

#include "epoll_util.h"

struct run {
	bool et;
	int nclients;
	size_t bytes;
	int64_t deadline;
	int lst;
	struct sockaddr_storage addr;
	socklen_t len;
	atomic_bool stop;
	atomic_int srv_errors;
	atomic_int cli_errors;
	atomic_int done;  /* clients whose echo came back whole */
	atomic_int waits; /* epoll_wait calls, both loops */
	atomic_llong events;
	char why[256];
};

static int ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return zp_epoll_ctl(ep, op, fd, &ev);
}

static int set_nonblock(int fd)
{
	int fl = zsock_fcntl(fd, F_GETFL, 0);

	return fl < 0 ? -1 : zsock_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static pthread_mutex_t why_lock = PTHREAD_MUTEX_INITIALIZER;

static void note(struct run *r, atomic_int *errs, const char *what, int err)
{
	atomic_fetch_add(errs, 1);
	pthread_mutex_lock(&why_lock);
	if (r->why[0] == '\0') {
		snprintf(r->why, sizeof(r->why), "%s: %s", what, strerror(err));
	}
	pthread_mutex_unlock(&why_lock);
}

/* ---- the server ---- */

struct sconn {
	int fd;
	uint32_t interest;
	size_t len, off;
	uint8_t buf[CHUNK];
};

/* Echo what can be echoed now; false once the connection ended. */
static bool serve(struct run *r, int ep, struct sconn *c, uint64_t id)
{
	bool progress;

	do {
		progress = false;
		if (c->off < c->len) {
			ssize_t n = zsock_send(c->fd, c->buf + c->off, c->len - c->off, 0);

			if (n > 0) {
				c->off += (size_t)n;
				progress = true;
			} else if (errno != EAGAIN) {
				note(r, &r->srv_errors, "server send", errno);
				return false;
			}
		}
		if (c->off == c->len) {
			ssize_t n;

			c->off = c->len = 0;
			n = zsock_recv(c->fd, c->buf, sizeof(c->buf), 0);
			if (n > 0) {
				c->len = (size_t)n;
				progress = true;
			} else if (n == 0) {
				return false;
			} else if (errno != EAGAIN) {
				note(r, &r->srv_errors, "server recv", errno);
				return false;
			}
		}
	} while (progress && (r->et || c->off < c->len));
	if (!r->et) {
		/* level-triggered: ask for what the connection waits for, only that */
		uint32_t want = c->off < c->len ? EPOLLOUT : EPOLLIN;

		if (want != c->interest) {
			c->interest = want;
			if (ep_ctl(ep, EPOLL_CTL_MOD, c->fd, want, id) < 0) {
				note(r, &r->srv_errors, "server MOD", errno);
				return false;
			}
		}
	}
	return true;
}

static void *server_main(void *arg)
{
	struct run *r = arg;
	struct sconn **conns = calloc((size_t)r->nclients + 1, sizeof(*conns));
	struct epoll_event evs[64];
	int ep = epoll_create1(EPOLL_CLOEXEC), nconn = 0, closed = 0;

	if (ep < 0 || conns == NULL ||
	    ep_ctl(ep, EPOLL_CTL_ADD, r->lst, EPOLLIN | (r->et ? EPOLLET : 0), 0) < 0) {
		note(r, &r->srv_errors, "server setup", errno);
		free(conns);
		return NULL;
	}
	while (!atomic_load(&r->stop) && closed < r->nclients && tf_now_ms() < r->deadline) {
		int n = zp_epoll_wait(ep, evs, 64, 200, NULL);

		atomic_fetch_add(&r->waits, 1);
		if (n < 0) {
			note(r, &r->srv_errors, "server epoll_wait", errno);
			break;
		}
		atomic_fetch_add(&r->events, n);
		for (int i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;

			if (id == 0) {
				for (;;) {
					int fd = zsock_accept(r->lst, NULL, NULL);
					struct sconn *c;

					if (fd < 0) {
						if (errno != EAGAIN) {
							note(r, &r->srv_errors, "accept", errno);
						}
						break;
					}
					c = calloc(1, sizeof(*c));
					if (c == NULL || nconn >= r->nclients ||
					    set_nonblock(fd) < 0) {
						note(r, &r->srv_errors, "accepted socket", ENOMEM);
						free(c);
						zsock_close(fd);
						continue;
					}
					c->fd = fd;
					c->interest = r->et ? EPOLLIN | EPOLLOUT : EPOLLIN;
					conns[++nconn] = c;
					if (ep_ctl(ep, EPOLL_CTL_ADD, fd,
						   c->interest | (r->et ? EPOLLET | EPOLLRDHUP : 0),
						   (uint64_t)nconn) < 0) {
						note(r, &r->srv_errors, "server ADD", errno);
					}
				}
				continue;
			}
			struct sconn *c = conns[id];

			if (c == NULL) {
				note(r, &r->srv_errors, "event for a closed connection", EBADF);
				continue;
			}
			if (!serve(r, ep, c, id)) {
				if (ep_ctl(ep, EPOLL_CTL_DEL, c->fd, 0, 0) < 0) {
					note(r, &r->srv_errors, "server DEL", errno);
				}
				zsock_close(c->fd);
				free(c);
				conns[id] = NULL;
				closed++;
			}
		}
	}
	for (int i = 1; i <= nconn; i++) {
		if (conns[i] != NULL) {
			zsock_close(conns[i]->fd);
			free(conns[i]);
		}
	}
	free(conns);
	zp_epoll_close(ep);
	return NULL;
}

/* ---- the clients ---- */

struct cconn {
	int fd;
	bool connected, sent_all, finished;
	size_t sent, got;
	struct tf_pstream tx, rx;
};

static bool client_io(struct run *r, int ep, struct cconn *c, uint64_t id, uint32_t ev)
{
	static _Thread_local uint8_t buf[CHUNK];
	bool progress;

	if (ev & EPOLLERR) {
		note(r, &r->cli_errors, "client EPOLLERR",
		     tf_get_int(c->fd, SOL_SOCKET, SO_ERROR) + 0);
		return false;
	}
	do {
		progress = false;
		while (c->sent < r->bytes) {
			size_t n = r->bytes - c->sent < CHUNK ? r->bytes - c->sent : CHUNK;
			ssize_t k;

			tf_pat_fill(&c->tx, buf, n);
			k = zsock_send(c->fd, buf, n, 0);
			if (k < 0) {
				if (errno != EAGAIN) {
					note(r, &r->cli_errors, "client send", errno);
					return false;
				}
				break;
			}
			c->tx.off += (uint64_t)k;
			c->sent += (size_t)k;
			progress = true;
			if (!r->et) {
				break; /* level-triggered: one chunk per report is enough */
			}
		}
		for (;;) {
			ssize_t k = zsock_recv(c->fd, buf, sizeof(buf), 0);

			if (k > 0) {
				if (!tf_pat_take(&c->rx, buf, (size_t)k)) {
					note(r, &r->cli_errors, "echo differs", EILSEQ);
					return false;
				}
				c->got += (size_t)k;
				progress = true;
				continue;
			}
			if (k == 0) {
				note(r, &r->cli_errors, "server closed early", ECONNRESET);
				return false;
			}
			if (errno != EAGAIN) {
				note(r, &r->cli_errors, "client recv", errno);
				return false;
			}
			break;
		}
	} while (r->et && progress && c->got < r->bytes);
	if (c->got == r->bytes) {
		c->finished = true;
		return false;
	}
	if (!r->et && !c->sent_all && c->sent == r->bytes) {
		c->sent_all = true;
		if (ep_ctl(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, id) < 0) {
			note(r, &r->cli_errors, "client MOD", errno);
			return false;
		}
	}
	return true;
}

/* A non-blocking client connecting asynchronously, in the set. 0, or -1 (noted). */
static int client_start(struct run *r, int ep, struct cconn *c, int i)
{
	struct tf_cfg cfg = tf_cfg_cert(AF_INET);
	int one = 1;

	c->tx.seed = c->rx.seed = (uint32_t)i * 7919u;
	c->fd = tf_client(&cfg, SOCK_NONBLOCK);
	if (c->fd < 0 ||
	    zsock_setsockopt(c->fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0) {
		note(r, &r->cli_errors, "client socket", errno);
		return -1;
	}
	if (zsock_connect(c->fd, (struct sockaddr *)&r->addr, r->len) < 0 && errno != EINPROGRESS) {
		note(r, &r->cli_errors, "connect", errno);
		return -1;
	}
	if (ep_ctl(ep, EPOLL_CTL_ADD, c->fd, EPOLLIN | EPOLLOUT | (r->et ? EPOLLET : 0),
		   (uint64_t)i) < 0) {
		note(r, &r->cli_errors, "client ADD", errno);
		return -1;
	}
	return 0;
}

static void *clients_main(void *arg)
{
	struct run *r = arg;
	struct cconn *cs = calloc((size_t)r->nclients + 1, sizeof(*cs));
	struct epoll_event evs[64];
	int ep = epoll_create1(EPOLL_CLOEXEC), open_ = 0, inflight = 0, next = 1;

	if (ep < 0 || cs == NULL) {
		note(r, &r->cli_errors, "client setup", errno);
		free(cs);
		return NULL;
	}
	for (int i = 1; i <= r->nclients; i++) {
		cs[i].fd = -1;
	}
	while ((open_ > 0 || next <= r->nclients) && tf_now_ms() < r->deadline &&
	       atomic_load(&r->srv_errors) == 0) {
		/* at most HS_INFLIGHT handshakes at once: each is bounded by 10 s */
		while (inflight < HS_INFLIGHT && next <= r->nclients) {
			if (client_start(r, ep, &cs[next], next) == 0) {
				open_++;
				inflight++;
			}
			next++;
		}
		int n = zp_epoll_wait(ep, evs, 64, 200, NULL);

		atomic_fetch_add(&r->waits, 1);
		if (n < 0) {
			note(r, &r->cli_errors, "client epoll_wait", errno);
			break;
		}
		atomic_fetch_add(&r->events, n);
		for (int i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;
			struct cconn *c = &cs[id];

			if (c->fd < 0 || c->finished) {
				note(r, &r->cli_errors, "event for a closed client", EBADF);
				continue;
			}
			if (!c->connected) {
				c->connected = true; /* the first report: the handshake ended */
				inflight--;
			}
			if (!client_io(r, ep, c, id, evs[i].events)) {
				if (c->finished) {
					atomic_fetch_add(&r->done, 1);
				}
				/* closed without DEL: the set drops it (as the kernel's) */
				zsock_close(c->fd);
				c->fd = -1;
				open_--;
			}
		}
	}
	for (int i = 1; i <= r->nclients; i++) {
		if (cs[i].fd >= 0) {
			zsock_close(cs[i].fd);
		}
	}
	free(cs);
	zp_epoll_close(ep);
	return NULL;
}

static void echo_run(bool et)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct run *r = calloc(1, sizeof(*r));
	struct tf_worker srv = {0}, cli = {0};
	bool san = SECSOCK_SANITIZE[0] != '\0';
	int one = 1;
	int64_t t0;

	ASSERT_TRUE(r != NULL);
	ASSERT_TRUE(tf_creds_ready());
	r->et = et;
	r->nclients = MAX_CLIENTS;
	r->bytes = san ? 256 * 1024 : 1024 * 1024;
	if (getenv("SECSOCK_EPOLL_CLIENTS") != NULL) {
		r->nclients = atoi(getenv("SECSOCK_EPOLL_CLIENTS"));
	}
	if (san) {
		printf("sanitizer build (%s): %d clients x %zu KiB instead of x 1 MiB\n",
		       SECSOCK_SANITIZE, r->nclients, r->bytes / 1024);
	}
	r->len = sizeof(r->addr);
	r->lst = tf_listener(&c, &r->addr, &r->len);
	ASSERT_TRUE(r->lst >= 0);
	EXPECT_OK(zsock_listen(r->lst, 512));
	EXPECT_OK(set_nonblock(r->lst));
	if (!et) {
		EXPECT_OK(zsock_setsockopt(r->lst, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one,
					   sizeof(one)));
	}
	t0 = tf_now_ms();
	r->deadline = t0 + HARD_LIMIT_MS;
	ASSERT_TRUE(tf_worker_start(&srv, server_main, r));
	ASSERT_TRUE(tf_worker_start(&cli, clients_main, r));
	tf_worker_must_join(&cli, HARD_LIMIT_MS + 10000);
	atomic_store(&r->stop, true);
	tf_worker_must_join(&srv, 10000);
	int64_t ms = tf_now_ms() - t0;

	printf("%s: %d clients x %zu KiB echoed in %lld ms (%.1f MiB/s each way), %d waits, "
	       "%lld events\n",
	       et ? "edge-triggered" : "level-triggered", atomic_load(&r->done), r->bytes / 1024,
	       (long long)ms,
	       (double)r->bytes * atomic_load(&r->done) / (1024.0 * 1024.0) /
		       ((double)(ms > 0 ? ms : 1) / 1000.0),
	       atomic_load(&r->waits), (long long)atomic_load(&r->events));
	if (r->why[0] != '\0') {
		printf("first error: %s\n", r->why);
	}
	EXPECT_EQ(atomic_load(&r->srv_errors), 0);
	EXPECT_EQ(atomic_load(&r->cli_errors), 0);
	EXPECT_EQ(atomic_load(&r->done), r->nclients);
	EXPECT_TRUE(ms < HARD_LIMIT_MS);
	zsock_close(r->lst);
	free(r);
}

TEST(test_epoll_echo_level_triggered)
{
	echo_run(false);
}

TEST(test_epoll_echo_edge_triggered)
{
	echo_run(true);
}
