/*
 * DTLS under loss (issue 4, "Under loss"): handshakes complete and a 1,000-message echo
 * arrives complete and in order per message, for one client and for 20 concurrent clients
 * of ONE secsock DTLS server socket, through two kinds of impairment on loopback:
 *
 *  - Mbed TLS's udp_proxy with a fixed seed. It drops, delays (reorders) and duplicates
 *    "about 1:N" datagrams, but ONLY handshake datagrams: its handle_message() never
 *    drops or delays ApplicationData or CID records and send_packet() never duplicates
 *    ApplicationData. drop=10 is ~10 % and drop=3 ~33 % (N is an integer, 2..20) of the
 *    handshake datagrams; it also never drops the same-sized datagram more than twice
 *    (HOLD_MAX). One udp_proxy serves one client, so 20 clients get 20 proxies (one seed
 *    each), which also gives the secsock server 20 distinct source addresses.
 *  - A relay of our own (a thread here) that impairs EVERY datagram both ways, records
 *    included: 10 % or 30 % dropped, 5 % duplicated, 5 % held back behind the next
 *    datagram (reordered), 5 % delayed by 5 ms; xorshift PRNG with a fixed seed; one
 *    upstream port per client, so it also serves 20 clients.
 *
 * The application protocol is stop-and-wait: message i carries (client, i) and a
 * length/pattern derived from them; the secsock server echoes each datagram; the client
 * retransmits message i when no reply came within SO_RCVTIMEO (a short timeout), drops
 * replies for j < i as duplicates, and requires reply i byte-exact. DTLS retransmission
 * runs on TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX = 200/10000 ms (docs/zephyr-behaviour.md §1.3,
 * options 8, 9). Behaviour: docs/zephyr-behaviour.md §3.3-§3.6. Whole file: ~1.5 min on 2 cores.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
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
#include "peer_fixture.h"
#include "testutil.h"

#define TAG_CA  4201
#define TAG_SRV 4202

#define NMSGS     1000 /* per client, every case (the number) */
#define NCLIENTS  20
#define HS_TRIES  3     /* a handshake that times out under loss is retried */
#define RTO_RELAY 20    /* ms: application retransmission timeout through the relay */
#define RTO_PROXY 1000  /* ms: udp_proxy never loses records, a retransmit is rare */
#define MAX_TRIES 100   /* per message: P(100 losses in a row at 30 %/way) ~ 1e-29 */
#define WAIT_MS   15000 /* bound of any single wait */
#define CASE_MS   100000

/* ssl_server2's reply (HTTP_RESPONSE in ssl_server2.c) with the suite we force on it */
#define SERVER2_SUITE "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"
#define SERVER2_REPLY                                                                              \
	"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"                                       \
	"<h2>Mbed TLS Test Server</h2>\r\n"                                                        \
	"<p>Successful connection using: " SERVER2_SUITE "</p>\r\n"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool creds_ready(void)
{
	static int done;

	if (done == 0) {
		int a = tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
		int b = tu_add_cred(TAG_SRV, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
		int c = tu_add_cred(TAG_SRV, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");

		done = (a == 0 || a == -EEXIST) && (b == 0 || b == -EEXIST) &&
				       (c == 0 || c == -EEXIST)
			       ? 1
			       : -1;
	}
	return done > 0;
}

/* ---- peer processes (udp_proxy, ssl_server2), output drained by a thread ---- */

/*
 * Wait up to @p ms for @p needle in the output; gives up early once the
 * program exited (unlike pf_peer_wait(): no settling delay, no exit status).
 */
static bool peer_wait(struct pf_peer *p, const char *needle, int ms)
{
	int64_t end = now_ms() + ms;

	while (!pf_peer_has(p, needle)) {
		if (now_ms() >= end || (p->pid > 0 && tu_wait_exit(p->pid, 0) >= 0)) {
			if (tu_wait_exit(p->pid, 0) >= 0) {
				p->pid = 0; /* reaped */
			}
			return pf_peer_has(p, needle);
		}
		usleep(10000);
	}
	return true;
}

/* ---- secsock DTLS echo server: ONE socket for all clients (docs/zephyr-behaviour.md §3.5) ---- */

struct echo_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	bool th_on;
	atomic_bool stop;
	atomic_long msgs, rx_errs, tx_errs;
	atomic_int last_errno;
};

static void *echo_srv_run(void *arg_)
{
	struct echo_srv *s = arg_;
	uint8_t buf[2048];

	while (!atomic_load(&s->stop)) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			zsock_recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				atomic_fetch_add(&s->rx_errs, 1);
				atomic_store(&s->last_errno, errno);
				usleep(1000);
			}
			continue;
		}
		atomic_fetch_add(&s->msgs, 1);
		if (zsock_sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n) {
			atomic_fetch_add(&s->tx_errs, 1);
			atomic_store(&s->last_errno, errno);
		}
	}
	return NULL;
}

static bool dtls_opts(int fd, sec_tag_t tag, int rcvtimeo_ms)
{
	/* docs/zephyr-behaviour.md §1.3 options 8, 9: short, so loss is cheap */
	uint32_t tmin = 200, tmax = 10000;
	struct zsock_timeval tv = {.tv_sec = rcvtimeo_ms / 1000,
				   .tv_usec = (rcvtimeo_ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) == 0 &&
	       zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &tmin, sizeof(tmin)) ==
		       0 &&
	       zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &tmax, sizeof(tmax)) ==
		       0 &&
	       zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0;
}

static bool echo_srv_start(struct echo_srv *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = tu_loopback(AF_INET, 0, &ss);
	int role = TLS_DTLS_ROLE_SERVER;

	memset(s, 0, sizeof(*s));
	s->fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	if (s->fd < 0 || zsock_setsockopt(s->fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)) < 0 ||
	    !dtls_opts(s->fd, TAG_SRV, 100) || zsock_bind(s->fd, (struct sockaddr *)&ss, sl) < 0) {
		th_fail(__FILE__, __LINE__, "secsock DTLS server socket: %s", strerror(errno));
		return false;
	}
	sl = sizeof(ss);
	if (zsock_getsockname(s->fd, (struct sockaddr *)&ss, &sl) < 0) {
		th_fail(__FILE__, __LINE__, "getsockname: %s", strerror(errno));
		return false;
	}
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	s->th_on = pthread_create(&s->th, NULL, echo_srv_run, s) == 0;
	return s->th_on;
}

static void echo_srv_stop(struct echo_srv *s)
{
	atomic_store(&s->stop, true);
	if (s->th_on) {
		pthread_join(s->th, NULL);
		s->th_on = false;
	}
	if (s->fd >= 0) {
		zsock_close(s->fd);
		s->fd = -1;
	}
	printf("    secsock server: %ld datagrams echoed, %ld recvfrom / %ld sendto errors "
	       "(last errno %d)\n",
	       atomic_load(&s->msgs), atomic_load(&s->rx_errs), atomic_load(&s->tx_errs),
	       atomic_load(&s->last_errno));
}

/* ---- lossy relay: every datagram, both ways, fixed seed ---- */

#define RELAY_CLIENTS (NCLIENTS * HS_TRIES + 4)
#define RELAY_QUEUE   256

struct lpkt {
	int64_t due;
	int dir; /* 0 client->server, 1 server->client */
	int ci;
	size_t len;
	uint8_t b[2048];
};

struct lossy {
	int lfd;
	uint16_t port;
	struct sockaddr_in server;
	int drop, dup, reorder, delay, delay_ms; /* percent, percent, percent, percent, ms */
	uint64_t rng;
	struct {
		struct sockaddr_in addr;
		int ufd;
	} cl[RELAY_CLIENTS];
	int ncl;
	struct lpkt held[2];
	bool has_held[2];
	struct lpkt q[RELAY_QUEUE];
	int nq;
	atomic_long in[2], dropped[2], duplicated[2], reordered[2], delayed[2];
	atomic_bool stop;
	pthread_t th;
	bool th_on;
};

static unsigned rnd100(struct lossy *l)
{
	/* xorshift64*: the same seed gives the same decisions for the same arrival order */
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return (unsigned)((l->rng * 2685821657736338717ULL) >> 33) % 100;
}

static void emit(struct lossy *l, const struct lpkt *p)
{
	if (p->dir == 0) {
		(void)sendto(l->cl[p->ci].ufd, p->b, p->len, 0, (struct sockaddr *)&l->server,
			     sizeof(l->server));
	} else {
		(void)sendto(l->lfd, p->b, p->len, 0, (struct sockaddr *)&l->cl[p->ci].addr,
			     sizeof(l->cl[p->ci].addr));
	}
}

static void impair(struct lossy *l, struct lpkt *p)
{
	int d = p->dir;

	atomic_fetch_add(&l->in[d], 1);
	if (rnd100(l) < (unsigned)l->drop) {
		atomic_fetch_add(&l->dropped[d], 1);
		return;
	}
	if (rnd100(l) < (unsigned)l->delay && l->nq < RELAY_QUEUE) {
		p->due = now_ms() + l->delay_ms;
		l->q[l->nq++] = *p;
		atomic_fetch_add(&l->delayed[d], 1);
		return;
	}
	if (!l->has_held[d] && rnd100(l) < (unsigned)l->reorder) {
		p->due = now_ms() + 10; /* released behind the next datagram, or after 10 ms */
		l->held[d] = *p;
		l->has_held[d] = true;
		atomic_fetch_add(&l->reordered[d], 1);
		return;
	}
	emit(l, p);
	if (l->has_held[d]) {
		emit(l, &l->held[d]);
		l->has_held[d] = false;
	}
	if (rnd100(l) < (unsigned)l->dup) {
		emit(l, p);
		atomic_fetch_add(&l->duplicated[d], 1);
	}
}

static void flush_due(struct lossy *l)
{
	int64_t now = now_ms();

	for (int i = 0; i < l->nq;) {
		if (l->q[i].due <= now) {
			emit(l, &l->q[i]);
			l->q[i] = l->q[--l->nq];
		} else {
			i++;
		}
	}
	for (int d = 0; d < 2; d++) {
		if (l->has_held[d] && l->held[d].due <= now) {
			emit(l, &l->held[d]);
			l->has_held[d] = false;
		}
	}
}

static int lossy_client(struct lossy *l, const struct sockaddr_in *from)
{
	for (int i = 0; i < l->ncl; i++) {
		if (l->cl[i].addr.sin_port == from->sin_port) {
			return i;
		}
	}
	if (l->ncl == RELAY_CLIENTS) {
		return -1;
	}
	l->cl[l->ncl].addr = *from;
	l->cl[l->ncl].ufd = pf_udp_socket(NULL);
	return l->cl[l->ncl].ufd < 0 ? -1 : l->ncl++;
}

static void *lossy_run(void *arg_)
{
	struct lossy *l = arg_;
	struct pollfd pf[1 + RELAY_CLIENTS];
	struct lpkt *p = malloc(sizeof(*p));

	while (p != NULL && !atomic_load(&l->stop)) {
		int n = 0;
		bool pending = l->nq > 0 || l->has_held[0] || l->has_held[1];

		pf[n++] = (struct pollfd){.fd = l->lfd, .events = POLLIN};
		for (int i = 0; i < l->ncl; i++) {
			pf[n++] = (struct pollfd){.fd = l->cl[i].ufd, .events = POLLIN};
		}
		int r = poll(pf, (nfds_t)n, pending ? 1 : 50);

		flush_due(l);
		if (r <= 0) {
			continue;
		}
		if (pf[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len = recvfrom(l->lfd, p->b, sizeof(p->b), 0,
					       (struct sockaddr *)&from, &fl);

			if (len > 0 && (p->ci = lossy_client(l, &from)) >= 0) {
				p->dir = 0;
				p->len = (size_t)len;
				impair(l, p);
			}
		}
		for (int i = 1; i < n; i++) {
			if (pf[i].revents & POLLIN) {
				ssize_t len = recv(pf[i].fd, p->b, sizeof(p->b), 0);

				if (len > 0) {
					p->dir = 1;
					p->ci = i - 1;
					p->len = (size_t)len;
					impair(l, p);
				}
			}
		}
	}
	free(p);
	return NULL;
}

static struct lossy *lossy_start(uint16_t server_port, int drop, uint64_t seed)
{
	struct lossy *l = calloc(1, sizeof(*l));
	struct sockaddr_in bound;

	if (l == NULL) {
		return NULL;
	}
	l->server.sin_family = AF_INET;
	l->server.sin_port = htons(server_port);
	l->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->drop = drop;
	l->dup = 5;
	l->reorder = 5;
	l->delay = 5;
	l->delay_ms = 5;
	l->rng = seed;
	l->lfd = pf_udp_socket(&bound);
	l->port = ntohs(bound.sin_port);
	l->th_on = l->lfd >= 0 && pthread_create(&l->th, NULL, lossy_run, l) == 0;
	return l;
}

static void lossy_stop(struct lossy *l)
{
	if (l == NULL) {
		return;
	}
	atomic_store(&l->stop, true);
	if (l->th_on) {
		pthread_join(l->th, NULL);
	}
	printf("    relay (drop %d%%, dup %d%%, reorder %d%%, delay %d%%/%d ms): c->s %ld in, %ld "
	       "dropped, %ld dup, %ld reordered, %ld delayed; s->c %ld in, %ld dropped, %ld dup, "
	       "%ld reordered, %ld delayed\n",
	       l->drop, l->dup, l->reorder, l->delay, l->delay_ms, atomic_load(&l->in[0]),
	       atomic_load(&l->dropped[0]), atomic_load(&l->duplicated[0]),
	       atomic_load(&l->reordered[0]), atomic_load(&l->delayed[0]), atomic_load(&l->in[1]),
	       atomic_load(&l->dropped[1]), atomic_load(&l->duplicated[1]),
	       atomic_load(&l->reordered[1]), atomic_load(&l->delayed[1]));
	for (int i = 0; i < l->ncl; i++) {
		close(l->cl[i].ufd);
	}
	if (l->lfd >= 0) {
		close(l->lfd);
	}
	free(l);
}

/* ---- one echo client (a thread) ---- */

struct client {
	int id;
	uint16_t port;
	int rto_ms;
	bool server2; /* the peer is ssl_server2: fixed reply, no retransmission */
	atomic_bool *stop;
	atomic_int fd;
	/* results */
	int done, retrans, dups, hs_tries;
	int hs_errno; /* errno of the last failed handshake attempt, 0 if none failed */
	int64_t hs_ms, total_ms;
	char err[256];
};

#define HDR 10 /* 'S' 'Q' id(2) seq(4) len(2) */

static size_t make_msg(uint8_t *b, int id, uint32_t seq)
{
	size_t len = HDR + (seq * 37u + (unsigned)id * 11u) % 200u;

	b[0] = 'S';
	b[1] = 'Q';
	b[2] = (uint8_t)(id >> 8);
	b[3] = (uint8_t)id;
	b[4] = (uint8_t)(seq >> 24);
	b[5] = (uint8_t)(seq >> 16);
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	b[8] = (uint8_t)(len >> 8);
	b[9] = (uint8_t)len;
	for (size_t k = HDR; k < len; k++) {
		b[k] = (uint8_t)(seq * 31u + (unsigned)id * 7u + k);
	}
	return len;
}

static uint32_t msg_seq(const uint8_t *b)
{
	return (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
}

static int client_connect(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = tu_loopback(AF_INET, c->port, &ss);
	int64_t t0 = now_ms();
	int e = 0;

	for (c->hs_tries = 1; c->hs_tries <= HS_TRIES && !atomic_load(c->stop); c->hs_tries++) {
		int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);

		if (fd < 0 || !dtls_opts(fd, TAG_CA, c->server2 ? 5000 : c->rto_ms) ||
		    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0) {
			snprintf(c->err, sizeof(c->err), "socket/options: %s", strerror(errno));
			if (fd >= 0) {
				zsock_close(fd);
			}
			return -1;
		}
		atomic_store(&c->fd, fd);
		if (zsock_connect(fd, (struct sockaddr *)&ss, sl) == 0) {
			c->hs_ms = now_ms() - t0;
			return fd;
		}
		e = errno;
		c->hs_errno = e;
		if (atomic_exchange(&c->fd, -1) == fd) {
			zsock_close(fd);
		}
		if (e == EOPNOTSUPP) {
			break; /* no DTLS data path: retrying is pointless */
		}
	}
	snprintf(c->err, sizeof(c->err), "handshake failed %d times, last: %s", HS_TRIES,
		 strerror(e));
	return -1;
}

/* Stop-and-wait echo of message i; 0, or -1 with c->err set. */
static int echo_one(struct client *c, int fd, uint32_t i)
{
	uint8_t req[256], rep[2048];
	size_t len = c->server2 ? (size_t)snprintf((char *)req, sizeof(req),
						   "GET /%u HTTP/1.0\r\n\r\n", i)
				: make_msg(req, c->id, i);

	for (int tries = 0; tries < MAX_TRIES && !atomic_load(c->stop); tries++) {
		if (tries > 0) {
			c->retrans++;
		}
		if (zsock_send(fd, req, len, 0) != (ssize_t)len) {
			snprintf(c->err, sizeof(c->err), "send #%u: %s", i, strerror(errno));
			return -1;
		}
		for (;;) {
			ssize_t n = zsock_recv(fd, rep, sizeof(rep), 0);

			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !c->server2) {
				break; /* no reply in time: retransmit */
			}
			if (n < 0) {
				snprintf(c->err, sizeof(c->err), "recv #%u: %s", i,
					 strerror(errno));
				return -1;
			}
			if (c->server2) {
				if ((size_t)n != strlen(SERVER2_REPLY) ||
				    memcmp(rep, SERVER2_REPLY, (size_t)n) != 0) {
					snprintf(c->err, sizeof(c->err),
						 "reply #%u: %zd bytes, not ssl_server2's response",
						 i, n);
					return -1;
				}
				return 0;
			}
			if (n < HDR || rep[0] != 'S' || rep[1] != 'Q' ||
			    (rep[2] << 8 | rep[3]) != c->id) {
				snprintf(c->err, sizeof(c->err),
					 "reply to #%u: %zd bytes of garbage", i, n);
				return -1;
			}
			uint32_t seq = msg_seq(rep);

			if (seq < i) {
				c->dups++; /* a late reply to a retransmitted request */
				continue;
			}
			if (seq > i || (size_t)n != len || memcmp(rep, req, len) != 0) {
				snprintf(c->err, sizeof(c->err),
					 "reply to #%u: seq %u, %zd bytes (sent %zu): not the echo",
					 i, seq, n, len);
				return -1;
			}
			return 0;
		}
	}
	snprintf(c->err, sizeof(c->err), "#%u: no reply after %d tries", i, MAX_TRIES);
	return -1;
}

static void *client_run(void *arg_)
{
	struct client *c = arg_;
	int64_t t0 = now_ms();
	int fd = client_connect(c);

	for (uint32_t i = 0; fd >= 0 && i < NMSGS; i++) {
		if (echo_one(c, fd, i) < 0) {
			break;
		}
		c->done++;
	}
	if (fd >= 0 && atomic_exchange(&c->fd, -1) == fd) {
		zsock_close(fd);
	}
	c->total_ms = now_ms() - t0;
	return NULL;
}

/* ---- one case ---- */

enum via {
	VIA_UDP_PROXY,
	VIA_RELAY,
};

struct loss_case {
	int nclients;
	enum via via;
	int loss; /* 10 or 30 (%) */
	bool server2;
};

/* Start one udp_proxy toward server_port; its listen port, or 0. */
static uint16_t proxy_start(struct pf_peer *p, uint16_t server_port, int loss, int seed)
{
	struct pf_argv a = {0};
	uint16_t port = tu_free_port(AF_INET, SOCK_DGRAM);

	pf_arg(&a, "%s", tu_mbedtls_prog("udp_proxy"));
	pf_arg(&a, "server_addr=127.0.0.1");
	pf_arg(&a, "server_port=%u", server_port);
	pf_arg(&a, "listen_addr=127.0.0.1");
	pf_arg(&a, "listen_port=%u", port);
	/* "about 1:N": drop=10 ~10 %, drop=3 ~33 % (the integer N nearest 30 %) */
	pf_arg(&a, "drop=%d", loss == 10 ? 10 : 3);
	pf_arg(&a, "duplicate=%d", loss == 10 ? 10 : 5);
	pf_arg(&a, "delay=%d", loss == 10 ? 10 : 5);
	pf_arg(&a, "seed=%d", seed);
	if (!pf_peer_start(p, "udp_proxy", &a, 1u << 20, 0) ||
	    !peer_wait(p, "Waiting for a remote connection", WAIT_MS)) {
		return 0;
	}
	return port;
}

static uint16_t server2_start(struct pf_peer *p)
{
	struct pf_argv a = {0};
	uint16_t port = tu_free_port(AF_INET, SOCK_DGRAM);

	pf_arg(&a, "%s", tu_mbedtls_prog("ssl_server2"));
	pf_arg(&a, "dtls=1");
	pf_arg(&a, "server_addr=127.0.0.1");
	pf_arg(&a, "server_port=%u", port);
	pf_arg(&a, "crt_file=%s", tu_cert_path("server.pem"));
	pf_arg(&a, "key_file=%s", tu_cert_path("server.key"));
	pf_arg(&a, "force_ciphersuite=" SERVER2_SUITE);
	pf_arg(&a, "hs_timeout=200-10000");
	pf_arg(&a, "read_timeout=10000");
	pf_arg(&a, "exchanges=%d", NMSGS);
	if (!pf_peer_start(p, "ssl_server2", &a, 1u << 20, 0) ||
	    !peer_wait(p, "Waiting for a remote connection", WAIT_MS)) {
		return 0;
	}
	return port;
}

/* Wait for every client thread, at most until the deadline; then close their sockets
 * (close from another thread unblocks a call, docs/zephyr-behaviour.md §3.8), join within 15 s. */
static bool join_clients(pthread_t *th, struct client *c, int n, atomic_bool *stop, int64_t end)
{
	bool all = true;

	for (int i = 0; i < n; i++) {
		struct timespec ts;
		int64_t left = end - now_ms();

		clock_gettime(CLOCK_REALTIME, &ts);
		left = left < 0 ? 0 : left;
		ts.tv_sec += (time_t)(left / 1000);
		ts.tv_nsec += (long)(left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(th[i], NULL, &ts) == 0) {
			continue;
		}
		all = false;
		atomic_store(stop, true);
		for (int k = 0; k < n; k++) {
			int fd = atomic_exchange(&c[k].fd, -1);

			if (fd >= 0) {
				zsock_close(fd);
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += WAIT_MS / 1000;
		if (pthread_timedjoin_np(th[i], NULL, &ts) != 0) {
			th_fail(__FILE__, __LINE__, "client %d stuck 15 s after its socket closed",
				i);
			return false; /* leak it rather than free memory it uses */
		}
	}
	return all;
}

static void run_case(const struct loss_case *lc)
{
	struct echo_srv srv = {.fd = -1};
	struct pf_peer server2, *proxies = NULL;
	struct lossy *relay = NULL;
	struct client *c = calloc((size_t)lc->nclients, sizeof(*c));
	pthread_t *th = calloc((size_t)lc->nclients, sizeof(*th));
	atomic_bool stop = false;
	uint16_t server_port;
	int started = 0, nproxies = 0;
	int64_t t0 = now_ms();

	memset(&server2, 0, sizeof(server2));
	if (lc->via == VIA_UDP_PROXY && !tu_have(tu_mbedtls_prog("udp_proxy"))) {
		free(c);
		free(th);
		SKIP("Mbed TLS udp_proxy not built");
	}
	if (lc->server2 && !tu_have(tu_mbedtls_prog("ssl_server2"))) {
		free(c);
		free(th);
		SKIP("Mbed TLS ssl_server2 not built");
	}
	if (c == NULL || th == NULL || !creds_ready()) {
		th_fail(__FILE__, __LINE__, "setup (memory or credentials)");
		goto out;
	}
	server_port = lc->server2 ? server2_start(&server2)
				  : (echo_srv_start(&srv) ? srv.port : (uint16_t)0);
	if (server_port == 0) {
		th_fail(__FILE__, __LINE__, "cannot start the server");
		goto out;
	}
	if (lc->via == VIA_RELAY) {
		relay = lossy_start(server_port, lc->loss, 0x5ec50c0000ULL + (uint64_t)lc->loss);
		if (relay == NULL || !relay->th_on) {
			th_fail(__FILE__, __LINE__, "cannot start the relay");
			goto out;
		}
	} else {
		proxies = calloc((size_t)lc->nclients, sizeof(*proxies));
		if (proxies == NULL) {
			th_fail(__FILE__, __LINE__, "out of memory");
			goto out;
		}
		for (; nproxies < lc->nclients; nproxies++) {
			c[nproxies].port = proxy_start(&proxies[nproxies], server_port, lc->loss,
						       lc->loss * 100 + nproxies + 1);
			if (c[nproxies].port == 0) {
				nproxies++;
				th_fail(__FILE__, __LINE__, "cannot start udp_proxy");
				goto out;
			}
		}
	}
	for (; started < lc->nclients; started++) {
		c[started].id = started;
		c[started].port = relay != NULL ? relay->port : c[started].port;
		c[started].rto_ms = relay != NULL ? RTO_RELAY : RTO_PROXY;
		c[started].server2 = lc->server2;
		c[started].stop = &stop;
		atomic_store(&c[started].fd, -1);
		if (pthread_create(&th[started], NULL, client_run, &c[started]) != 0) {
			th_fail(__FILE__, __LINE__, "pthread_create");
			break;
		}
	}
	if (!join_clients(th, c, started, &stop, t0 + CASE_MS)) {
		th_fail(__FILE__, __LINE__, "case did not finish within %d ms", CASE_MS);
	}
	int done = 0, retrans = 0, dups = 0, hs_retries = 0, hs_errno = 0;
	int64_t hs_max = 0, t_max = 0;

	for (int i = 0; i < started; i++) {
		done += c[i].done;
		retrans += c[i].retrans;
		dups += c[i].dups;
		hs_retries += c[i].hs_tries > 1 ? c[i].hs_tries - 1 : 0;
		hs_errno = c[i].hs_errno != 0 ? c[i].hs_errno : hs_errno;
		hs_max = c[i].hs_ms > hs_max ? c[i].hs_ms : hs_max;
		t_max = c[i].total_ms > t_max ? c[i].total_ms : t_max;
		if (c[i].done != NMSGS) {
			th_fail(__FILE__, __LINE__, "client %d: %d/%d messages; %s", i, c[i].done,
				NMSGS, c[i].err);
		}
	}
	printf("    %d client(s) x %d messages: %d echoed in order, %d retransmissions, %d "
	       "duplicate replies ignored, %d handshake retries (%s), slowest handshake %lld ms, "
	       "slowest client %lld ms\n",
	       started, NMSGS, done, retrans, dups, hs_retries,
	       hs_errno != 0 ? strerror(hs_errno) : "-", (long long)hs_max, (long long)t_max);
out:
	lossy_stop(relay);
	for (int i = 0; i < nproxies; i++) {
		pf_peer_stop(&proxies[i]);
	}
	free(proxies);
	if (lc->server2) {
		if (server2.pid != 0 || server2.buf != NULL) {
			pf_peer_stop(&server2);
		}
	} else {
		echo_srv_stop(&srv);
	}
	free(c);
	free(th);
}

/* issue 4 "Under loss": udp_proxy drop=10 (~10 % of handshake datagrams) + duplicate/delay,
 * one secsock client, secsock server */
TEST(test_secsock_server_udpproxy_loss10_1client)
{
	run_case(&(struct loss_case){.nclients = 1, .via = VIA_UDP_PROXY, .loss = 10});
}

/* issue 4 "Under loss": udp_proxy drop=3 (~33 %), one client, secsock server */
TEST(test_secsock_server_udpproxy_loss30_1client)
{
	run_case(&(struct loss_case){.nclients = 1, .via = VIA_UDP_PROXY, .loss = 30});
}

/* issue 4 "Under loss": 20 concurrent clients (one udp_proxy each) of ONE server socket */
TEST(test_secsock_server_udpproxy_loss10_20clients)
{
	run_case(&(struct loss_case){.nclients = NCLIENTS, .via = VIA_UDP_PROXY, .loss = 10});
}

/* issue 4 "Under loss": 20 concurrent clients, udp_proxy drop=3 */
TEST(test_secsock_server_udpproxy_loss30_20clients)
{
	run_case(&(struct loss_case){.nclients = NCLIENTS, .via = VIA_UDP_PROXY, .loss = 30});
}

/* issue 4 "Under loss": secsock client -> udp_proxy drop=10 -> ssl_server2 (1000 exchanges) */
TEST(test_ssl_server2_server_udpproxy_loss10_1client)
{
	run_case(&(struct loss_case){
		.nclients = 1, .via = VIA_UDP_PROXY, .loss = 10, .server2 = true});
}

/* issue 4 "Under loss": secsock client -> udp_proxy drop=3 -> ssl_server2 */
TEST(test_ssl_server2_server_udpproxy_loss30_1client)
{
	run_case(&(struct loss_case){
		.nclients = 1, .via = VIA_UDP_PROXY, .loss = 30, .server2 = true});
}

/* issue 4 "Under loss": relay losing 10 % of ALL datagrams (records too) + dup/reorder/delay */
TEST(test_secsock_server_relay_loss10_1client)
{
	run_case(&(struct loss_case){.nclients = 1, .via = VIA_RELAY, .loss = 10});
}

/* issue 4 "Under loss": relay losing 30 % of all datagrams, one client */
TEST(test_secsock_server_relay_loss30_1client)
{
	run_case(&(struct loss_case){.nclients = 1, .via = VIA_RELAY, .loss = 30});
}

/* issue 4 "Under loss": 20 concurrent clients of ONE server socket, relay 10 % */
TEST(test_secsock_server_relay_loss10_20clients)
{
	run_case(&(struct loss_case){.nclients = NCLIENTS, .via = VIA_RELAY, .loss = 10});
}

/* issue 4 "Under loss": 20 concurrent clients of ONE server socket, relay 30 % */
TEST(test_secsock_server_relay_loss30_20clients)
{
	run_case(&(struct loss_case){.nclients = NCLIENTS, .via = VIA_RELAY, .loss = 30});
}
