/*
 * bench_dtls: a DTLS 1.2 server socket with many peers, secsock against a raw
 * Mbed TLS server on the same build, side by side in one run
 * (docs/benchmarks.md, "DTLS"; issue 14).
 *
 * One server thread serves every peer from one UDP socket:
 *   secsock: a zsock_* DTLS server socket (TLS_DTLS_ROLE server), blocking
 *            zsock_recvfrom() + zsock_sendto() (handshakes run inside
 *            recvfrom; cookies, idle expiry and the session maps are the
 *            library's).
 *   raw:     recvfrom() on a plain UDP socket, the peer's mbedtls_ssl_context
 *            found in an open-addressing table by address, stateless cookie
 *            exchange on one spare context (mbedtls_ssl_cookie), handshake /
 *            mbedtls_ssl_read / mbedtls_ssl_write per datagram.
 *   openssl: OpenSSL 3 (bench_dtls_openssl.c, built when CMake finds
 *            OpenSSL's development files): DTLSv1_listen with cookies on the
 *            listening socket, then one connected UDP socket per peer, all
 *            in one epoll loop (the model OpenSSL gives DTLS servers).
 * All: PSK, TLS_PSK_WITH_AES_128_GCM_SHA256, cookies on; secsock and raw
 * share one Mbed TLS (the static library secsock links); the same clients.
 *
 * The clients are raw Mbed TLS DTLS clients in the main thread, each on its
 * own connected UDP socket, non-blocking, driven by poll() WINDOW at a time;
 * they are the same code for both servers. For each N (default 10, 1000,
 * 10000) and each round, for each implementation:
 *   1. fill: N clients handshake (kept alive with an echo every 2 s: secsock
 *      expires a peer idle 5 s);
 *   2. echo: max(20000, 2N) 100-byte request/response round trips, round
 *      robin over all N peers, WINDOW in flight;
 *   3. handshakes at N: HS_EXTRA more clients handshake (cookie exchange
 *      included) and leave with close_notify, so the server holds N..N+WINDOW.
 * Rates are per wall second and per server-thread CPU second (the server's
 * own cost, which the clients do not blur); the table gives medians over
 * rounds and secsock/raw ratios. Heap per peer: process heap growth over the
 * fill divided by N (client and server contexts), and what is left of it once
 * the clients are freed while the server still holds every peer ("srv heap").
 *
 * usage: bench_dtls [--quick] [--peers 10,1000,10000] [--rounds R] [--window W]
 *                   [--hs K] [--echo E] [--impl secsock|raw|openssl]
 *                   [--pin split|same|none] [--hibernate MS]
 * --hibernate MS: SECSOCK_TLS_HIBERNATE on the secsock server socket; after
 * the echo phase every peer is left quiet MS + 500 ms, so "srv heap" is what
 * a hibernated peer costs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <mbedtls/psa_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/version.h>
#include <psa/crypto.h>

#ifdef BENCH_HAVE_OPENSSL
#include "bench_dtls_openssl.h"
#endif

#define TAG_PSK   7100
#define REQ_LEN   100
#define MAX_ROUND 16
#define MAX_NS    8
#define KEEPALIVE 2.0 /* s: echo every peer at least this often while filling */

static const unsigned char psk[16] = {0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const char psk_id[] = "bench_dtls";
static const int suites[2] = {MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256, 0};

static int g_window = 32;
static long g_hs_extra = 2000;
static long g_echo_min = 20000;
static int g_rounds = 3;
static int g_pin = 2; /* 0 none, 1 same CPU, 2 split */
static int g_hib_ms;  /* --hibernate: SECSOCK_TLS_HIBERNATE on the secsock server */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_dtls: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t now_ms(void)
{
	return (int64_t)(now_s(CLOCK_MONOTONIC) * 1000);
}

static double heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd);
}

static void pin_self(int which)
{
	cpu_set_t set, mine;
	int cpus[2] = {-1, -1}, k = 0;

	if (g_pin == 0 || sched_getaffinity(0, sizeof(mine), &mine) != 0) {
		return;
	}
	for (int i = 0; i < CPU_SETSIZE && k < 2; i++) {
		if (CPU_ISSET(i, &mine)) {
			cpus[k++] = i;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(g_pin == 2 && which == 1 && cpus[1] >= 0 ? cpus[1] : cpus[0], &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- Mbed TLS timers (mbedtls_ssl_set_timer_cb) ---- */

struct timer {
	int64_t start, int_ms, fin_ms; /* fin_ms 0: cancelled */
};

static void timer_set(void *p, uint32_t int_ms, uint32_t fin_ms)
{
	struct timer *t = p;

	t->start = now_ms();
	t->int_ms = int_ms;
	t->fin_ms = fin_ms;
}

static int timer_get(void *p)
{
	struct timer *t = p;
	int64_t el = now_ms() - t->start;

	if (t->fin_ms == 0) {
		return -1;
	}
	return el >= t->fin_ms ? 2 : el >= t->int_ms ? 1 : 0;
}

/* ---- the raw Mbed TLS server ---- */

struct rpeer {
	mbedtls_ssl_context ssl;
	struct timer timer;
	struct sockaddr_in addr;
	uint64_t key;
	bool open;
	bool live; /* in the table */
};

struct raw_srv {
	int fd;
	mbedtls_ssl_config conf;
	mbedtls_ssl_cookie_ctx cookie;
	struct rpeer **tab; /* open addressing, linear probing, tombstones */
	size_t cap, used;   /* used: live + tombstones */
	struct rpeer *spare;
	/* the datagram being handed to one context */
	unsigned char dgram[18 * 1024];
	size_t dlen;
	bool dfull;
	struct sockaddr_in from;
	struct rpeer *cur;
};

static struct rpeer tomb;

static uint64_t addr_key(const struct sockaddr_in *a)
{
	return ((uint64_t)a->sin_addr.s_addr << 16) | a->sin_port;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15u) >> 20) & (cap - 1);
}

static struct rpeer *raw_find(struct raw_srv *r, uint64_t key)
{
	for (size_t i = slot_of(key, r->cap);; i = (i + 1) & (r->cap - 1)) {
		struct rpeer *p = r->tab[i];

		if (p == NULL) {
			return NULL;
		}
		if (p != &tomb && p->key == key) {
			return p;
		}
	}
}

static void raw_put(struct raw_srv *r, struct rpeer *p);

static void raw_grow(struct raw_srv *r)
{
	struct rpeer **old = r->tab;
	size_t oc = r->cap;

	r->cap = oc ? oc * 2 : 64;
	r->tab = calloc(r->cap, sizeof(*r->tab));
	r->used = 0;
	if (r->tab == NULL) {
		die("out of memory");
	}
	for (size_t i = 0; i < oc; i++) {
		if (old[i] != NULL && old[i] != &tomb) {
			raw_put(r, old[i]);
		}
	}
	free(old);
}

static void raw_put(struct raw_srv *r, struct rpeer *p)
{
	size_t i;

	if ((r->used + 1) * 2 > r->cap) {
		raw_grow(r);
	}
	for (i = slot_of(p->key, r->cap); r->tab[i] != NULL; i = (i + 1) & (r->cap - 1)) {
	}
	r->tab[i] = p;
	r->used++;
	p->live = true;
}

static void raw_del(struct raw_srv *r, struct rpeer *p)
{
	for (size_t i = slot_of(p->key, r->cap); r->tab[i] != NULL; i = (i + 1) & (r->cap - 1)) {
		if (r->tab[i] == p) {
			r->tab[i] = &tomb;
			break;
		}
	}
	mbedtls_ssl_free(&p->ssl);
	free(p);
}

static int g_raw_fd = -1;
static struct raw_srv *g_raw;

static int raw_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct rpeer *p = ctx;
	ssize_t n = sendto(g_raw_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&p->addr,
			   sizeof(p->addr));

	if (n < 0) {
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE
				       : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	}
	return (int)n;
}

/* The current datagram, once, to the context it was handed to. */
static int raw_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct raw_srv *r = g_raw;

	if (ctx != r->cur || !r->dfull) {
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	r->dfull = false;
	if (len < r->dlen) {
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	}
	memcpy(buf, r->dgram, r->dlen);
	return (int)r->dlen;
}

static struct rpeer *raw_peer_new(struct raw_srv *r)
{
	struct rpeer *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		die("out of memory");
	}
	mbedtls_ssl_init(&p->ssl);
	if (mbedtls_ssl_setup(&p->ssl, &r->conf) != 0) {
		die("mbedtls_ssl_setup");
	}
	mbedtls_ssl_set_bio(&p->ssl, p, raw_bio_send, raw_bio_recv, NULL);
	mbedtls_ssl_set_timer_cb(&p->ssl, &p->timer, timer_set, timer_get);
	return p;
}

static void raw_serve(struct raw_srv *r, struct rpeer *p)
{
	unsigned char buf[2048];
	int rc;

	r->cur = p;
	if (!p->open) {
		rc = mbedtls_ssl_handshake(&p->ssl);
		if (rc == 0) {
			p->open = true;
		} else if (rc == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
			(void)mbedtls_ssl_session_reset(&p->ssl); /* stateless: nothing kept */
			return;
		} else if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			goto gone;
		}
		if (p == r->spare) {
			/* a ClientHello with a valid cookie: the spare becomes this peer's */
			p->addr = r->from;
			p->key = addr_key(&r->from);
			raw_put(r, p);
			r->spare = raw_peer_new(r);
		}
		if (!p->open) {
			return;
		}
	}
	for (;;) {
		rc = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf));
		if (rc > 0) {
			if (mbedtls_ssl_write(&p->ssl, buf, (size_t)rc) != rc) {
				goto gone;
			}
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			return;
		}
		goto gone;
	}
gone:
	if (p == r->spare) {
		(void)mbedtls_ssl_session_reset(&p->ssl);
	} else {
		raw_del(r, p);
	}
}

struct server {
	const char *impl;
	int fd; /* secsock: the DTLS socket; raw: the UDP socket */
	int port;
	atomic_bool stop;
	atomic_bool ready;
	pthread_t th;
	clockid_t cpu; /* the server thread's CPU clock */
	struct raw_srv *raw;
	struct bdo_server *ossl; /* openssl */
};

static void *raw_main(void *arg)
{
	struct server *sv = arg;
	struct raw_srv *r = sv->raw;
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};

	pin_self(1);
	atomic_store(&sv->ready, true);
	while (!atomic_load(&sv->stop)) {
		socklen_t fl = sizeof(r->from);
		ssize_t n = recvfrom(r->fd, r->dgram, sizeof(r->dgram), MSG_DONTWAIT,
				     (struct sockaddr *)&r->from, &fl);
		struct rpeer *p;

		if (n < 0) {
			(void)poll(&pfd, 1, 50);
			continue;
		}
		r->dlen = (size_t)n;
		r->dfull = true;
		p = raw_find(r, addr_key(&r->from));
		if (p == NULL && (n < 14 || r->dgram[0] != 22 || r->dgram[3] != 0 ||
				  r->dgram[4] != 0 || r->dgram[13] != 1)) {
			continue; /* an unknown peer starts with an epoch-0 ClientHello */
		}
		if (p == NULL) {
			p = r->spare;
			p->addr = r->from;
			if (mbedtls_ssl_set_client_transport_id(&p->ssl, (unsigned char *)&r->from,
								sizeof(r->from)) != 0) {
				die("mbedtls_ssl_set_client_transport_id");
			}
		}
		raw_serve(r, p);
	}
	return NULL;
}

static void raw_server_start(struct server *sv)
{
	struct raw_srv *r = calloc(1, sizeof(*r));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int big = 4 << 20;

	if (r == NULL) {
		die("out of memory");
	}
	g_raw = r;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r->fd < 0 || setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) < 0 ||
	    bind(r->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(r->fd, (struct sockaddr *)&a, &al) < 0) {
		die("raw server socket: %s", strerror(errno));
	}
	g_raw_fd = r->fd;
	mbedtls_ssl_config_init(&r->conf);
	mbedtls_ssl_cookie_init(&r->cookie);
	if (mbedtls_ssl_config_defaults(&r->conf, MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
	    mbedtls_ssl_conf_psk(&r->conf, psk, sizeof(psk), (const unsigned char *)psk_id,
				 strlen(psk_id)) != 0 ||
	    mbedtls_ssl_cookie_setup(&r->cookie, mbedtls_psa_get_random,
				     MBEDTLS_PSA_RANDOM_STATE) != 0) {
		die("raw server config");
	}
	mbedtls_ssl_conf_rng(&r->conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_ciphersuites(&r->conf, suites);
	mbedtls_ssl_conf_dtls_cookies(&r->conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check,
				      &r->cookie);
	raw_grow(r);
	r->spare = raw_peer_new(r);
	sv->raw = r;
	sv->fd = r->fd;
	sv->port = ntohs(a.sin_port);
}

static void raw_server_free(struct server *sv)
{
	struct raw_srv *r = sv->raw;

	for (size_t i = 0; i < r->cap; i++) {
		if (r->tab[i] != NULL && r->tab[i] != &tomb) {
			mbedtls_ssl_free(&r->tab[i]->ssl);
			free(r->tab[i]);
		}
	}
	free(r->tab);
	mbedtls_ssl_free(&r->spare->ssl);
	free(r->spare);
	mbedtls_ssl_cookie_free(&r->cookie);
	mbedtls_ssl_config_free(&r->conf);
	close(r->fd);
	free(r);
	g_raw = NULL;
}

/* ---- the secsock server ---- */

static void *ss_main(void *arg)
{
	struct server *sv = arg;
	unsigned char buf[2048];

	pin_self(1);
	atomic_store(&sv->ready, true);
	while (!atomic_load(&sv->stop)) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			zsock_recvfrom(sv->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n > 0 &&
		    zsock_sendto(sv->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n) {
			die("secsock sendto: %s", strerror(errno));
		}
	}
	return NULL;
}

static void ss_server_start(struct server *sv, long peers)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	sec_tag_t tag = TAG_PSK;
	int role = TLS_DTLS_ROLE_SERVER, big = 4 << 20, max = (int)peers + 2 * g_window + 16;
	struct zsock_timeval tv = {.tv_sec = 0, .tv_usec = 50000};
	int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(int)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, &max, sizeof(max)) < 0 ||
	    zsock_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) < 0 ||
	    zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    (g_hib_ms > 0 && zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &g_hib_ms,
					      sizeof(g_hib_ms)) < 0) ||
	    zsock_bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		die("secsock server socket: %s", strerror(errno));
	}
	sv->fd = fd;
	sv->port = ntohs(a.sin_port);
}

/* ---- the OpenSSL server (bench_dtls_openssl.c) ---- */

#ifdef BENCH_HAVE_OPENSSL
static void *ossl_main(void *arg)
{
	struct server *sv = arg;

	pin_self(1);
	atomic_store(&sv->ready, true);
	bdo_server_run(sv->ossl, &sv->stop);
	return NULL;
}
#endif

static void server_start(struct server *sv, const char *impl, long peers)
{
	void *(*main_fn)(void *) = ss_main;

	memset(sv, 0, sizeof(*sv));
	sv->impl = impl;
	sv->fd = -1;
	atomic_init(&sv->stop, false);
	atomic_init(&sv->ready, false);
	if (strcmp(impl, "raw") == 0) {
		raw_server_start(sv);
		main_fn = raw_main;
#ifdef BENCH_HAVE_OPENSSL
	} else if (strcmp(impl, "openssl") == 0) {
		sv->ossl = bdo_server_new(psk, sizeof(psk), psk_id, 4 << 20, &sv->port);
		main_fn = ossl_main;
#endif
	} else {
		ss_server_start(sv, peers);
	}
	if (pthread_create(&sv->th, NULL, main_fn, sv) != 0 ||
	    pthread_getcpuclockid(sv->th, &sv->cpu) != 0) {
		die("server thread");
	}
	(void)pthread_setname_np(sv->th, "dtls_server"); /* perf report --sort comm */
	while (!atomic_load(&sv->ready)) {
		sched_yield();
	}
}

/* Refused ClientHellos of the secsock server (0 for raw). */
static uint64_t server_refused(struct server *sv)
{
	struct secsock_dtls_peers p = {0};
	socklen_t len = sizeof(p);

	if (strcmp(sv->impl, "secsock") != 0 ||
	    zsock_getsockopt(sv->fd, SOL_TLS, SECSOCK_TLS_DTLS_PEERS, &p, &len) < 0) {
		return 0;
	}
	return p.refused;
}

static void server_stop(struct server *sv)
{
	atomic_store(&sv->stop, true);
	pthread_join(sv->th, NULL);
	if (strcmp(sv->impl, "raw") == 0) {
		raw_server_free(sv);
#ifdef BENCH_HAVE_OPENSSL
	} else if (sv->ossl != NULL) {
		bdo_server_free(sv->ossl);
#endif
	} else {
		zsock_close(sv->fd);
	}
}

/* ---- the clients: raw Mbed TLS, non-blocking, one connected UDP socket each ---- */

static mbedtls_ssl_config g_cli_conf;

struct client {
	int fd;
	mbedtls_ssl_context ssl;
	struct timer timer;
	bool open;
	bool busy; /* a request in flight */
	int64_t last_ms;
};

static int cli_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct client *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT);

	if (n < 0) {
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE
				       : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	}
	return (int)n;
}

static int cli_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct client *c = ctx;
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

	if (n < 0) {
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	}
	return (int)n;
}

static void cli_conf_init(void)
{
	mbedtls_ssl_config_init(&g_cli_conf);
	if (mbedtls_ssl_config_defaults(&g_cli_conf, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
	    mbedtls_ssl_conf_psk(&g_cli_conf, psk, sizeof(psk), (const unsigned char *)psk_id,
				 strlen(psk_id)) != 0) {
		die("client config");
	}
	mbedtls_ssl_conf_rng(&g_cli_conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_ciphersuites(&g_cli_conf, suites);
	/* retransmissions would measure timers, not code: lost datagrams are fatal here */
	mbedtls_ssl_conf_handshake_timeout(&g_cli_conf, 2000, 8000);
}

static void cli_open(struct client *c, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		die("client socket: %s (RLIMIT_NOFILE?)", strerror(errno));
	}
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &g_cli_conf) != 0) {
		die("client mbedtls_ssl_setup");
	}
	mbedtls_ssl_set_bio(&c->ssl, c, cli_send, cli_recv, NULL);
	mbedtls_ssl_set_timer_cb(&c->ssl, &c->timer, timer_set, timer_get);
	c->open = false;
}

static void cli_close(struct client *c, bool notify)
{
	if (notify) {
		(void)mbedtls_ssl_close_notify(&c->ssl);
	}
	mbedtls_ssl_free(&c->ssl);
	close(c->fd);
	c->fd = -1;
}

static long g_rtx; /* client handshake retransmissions (timer expired, nothing received) */

/* Handshake clients [0, n) of @p cs, WINDOW at a time; @p after runs on each once open. */
static void handshake_all(struct client *cs, long n, int port, void (*after)(struct client *))
{
	struct pollfd *pf = calloc((size_t)g_window, sizeof(*pf));
	long *idx = calloc((size_t)g_window, sizeof(*idx));
	long next = 0, done = 0;
	int act = 0;
	int64_t stall = now_ms();

	if (pf == NULL || idx == NULL) {
		die("out of memory");
	}
	while (done < n) {
		while (act < g_window && next < n) {
			struct client *c = &cs[next];
			int rc;

			cli_open(c, port);
			next++;
			rc = mbedtls_ssl_handshake(&c->ssl);
			if (rc == 0) { /* the server answered before we asked: done already */
				c->open = true;
				c->last_ms = now_ms();
				done++;
				if (after != NULL) {
					after(c);
				}
				continue;
			}
			if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
				die("client handshake start: -0x%04x", (unsigned)-rc);
			}
			idx[act] = next - 1;
			pf[act].fd = c->fd;
			pf[act].events = POLLIN;
			act++;
		}
		if (poll(pf, (nfds_t)act, 100) == 0 && now_ms() - stall > 10000) {
			die("handshakes stalled (%ld of %ld done): a lost datagram?", done, n);
		}
		for (int k = 0; k < act; k++) {
			struct client *c = &cs[idx[k]];
			int rc;

			if (!(pf[k].revents & POLLIN) && timer_get(&c->timer) < 1) {
				continue;
			}
			if (!(pf[k].revents & POLLIN) && timer_get(&c->timer) == 2) {
				g_rtx++; /* a lost datagram: the client retransmits its flight */
			}
			rc = mbedtls_ssl_handshake(&c->ssl);
			if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
				continue;
			}
			if (rc != 0) {
				die("client handshake: -0x%04x", (unsigned)-rc);
			}
			c->open = true;
			c->last_ms = now_ms();
			stall = c->last_ms;
			done++;
			if (after != NULL) {
				after(c);
			}
			act--;
			idx[k] = idx[act];
			pf[k] = pf[act];
			k--;
		}
	}
	free(pf);
	free(idx);
}

/* @p total request/response round trips over clients [0, n), round robin, WINDOW in flight. */
static void echo_all(struct client *cs, long n, long total)
{
	struct pollfd *pf = calloc((size_t)g_window, sizeof(*pf));
	long *idx = calloc((size_t)g_window, sizeof(*idx));
	unsigned char req[REQ_LEN], rsp[REQ_LEN + 16];
	long issued = 0, done = 0, next = 0;
	int act = 0;
	int64_t stall = now_ms();

	if (pf == NULL || idx == NULL) {
		die("out of memory");
	}
	memset(req, 'q', sizeof(req));
	while (done < total) {
		while (act < g_window && act < n && issued < total) {
			struct client *c;

			while (cs[next].busy) {
				next = (next + 1) % n;
			}
			c = &cs[next];
			c->busy = true;

			if (mbedtls_ssl_write(&c->ssl, req, sizeof(req)) != (int)sizeof(req)) {
				die("client write");
			}
			idx[act] = next;
			pf[act].fd = c->fd;
			pf[act].events = POLLIN;
			act++;
			issued++;
			next = (next + 1) % n;
		}
		if (poll(pf, (nfds_t)act, 100) == 0 && now_ms() - stall > 5000) {
			die("echo stalled (%ld of %ld done): a lost datagram?", done, total);
		}
		for (int k = 0; k < act; k++) {
			struct client *c = &cs[idx[k]];
			int rc;

			if (!(pf[k].revents & POLLIN)) {
				continue;
			}
			rc = mbedtls_ssl_read(&c->ssl, rsp, sizeof(rsp));
			if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
				continue;
			}
			if (rc != REQ_LEN) {
				die("client read: %d", rc);
			}
			c->last_ms = now_ms();
			c->busy = false;
			stall = c->last_ms;
			done++;
			act--;
			idx[k] = idx[act];
			pf[k] = pf[act];
			k--;
		}
	}
	free(pf);
	free(idx);
}

/* ---- one measurement ---- */

struct result {
	double hs_wall, hs_cpu;     /* handshakes at N: per wall / server CPU second */
	double echo_wall, echo_cpu; /* round trips per wall / server CPU second */
	double fill_wall;           /* handshakes/s while filling 0 -> N */
	double heap_per_peer;       /* bytes, clients and server */
	double srv_heap_per_peer;   /* bytes, what stays once the clients are freed */
	long rtx;                   /* client retransmissions, fill and handshakes at N */
};

static struct client *g_cs;
static long g_open; /* g_cs[0, g_open) are all established */
static long g_n;
static int64_t g_keep_ms;

/* While filling: every KEEPALIVE seconds, one echo from every peer of the open prefix. */
static void keepalive(struct client *c)
{
	(void)c;
	while (g_open < g_n && g_cs[g_open].open) {
		g_open++;
	}
	if (g_open > 0 && now_ms() - g_keep_ms > (int64_t)(KEEPALIVE * 1000)) {
		echo_all(g_cs, g_open, g_open);
		g_keep_ms = now_ms();
	}
}

static struct result run(const char *impl, long n)
{
	struct result r = {0};
	struct server sv;
	struct client *extra = calloc((size_t)g_hs_extra, sizeof(*extra));
	long echoes = n * 2 > g_echo_min ? n * 2 : g_echo_min;
	double t0, c0, h0;

	g_cs = calloc((size_t)n, sizeof(*g_cs));
	if (g_cs == NULL || extra == NULL) {
		die("out of memory");
	}
	server_start(&sv, impl, n);
	g_rtx = 0;
	h0 = heap_bytes();
	g_open = 0;
	g_n = n;
	g_keep_ms = now_ms();
	t0 = now_s(CLOCK_MONOTONIC);
	handshake_all(g_cs, n, sv.port, keepalive);
	r.fill_wall = (double)n / (now_s(CLOCK_MONOTONIC) - t0);
	r.heap_per_peer = (heap_bytes() - h0) / (double)n;

	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(sv.cpu);
	echo_all(g_cs, n, echoes);
	r.echo_wall = (double)echoes / (now_s(CLOCK_MONOTONIC) - t0);
	r.echo_cpu = (double)echoes / (now_s(sv.cpu) - c0);
	if (g_hib_ms > 0) {
		usleep((useconds_t)(g_hib_ms + 500) * 1000); /* every peer quiet: hibernated */
	}

	/* handshakes with N peers held: newcomers that leave with close_notify */
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(sv.cpu);
	for (long done = 0; done < g_hs_extra; done += g_window) {
		long k = g_hs_extra - done < g_window ? g_hs_extra - done : g_window;

		handshake_all(extra, k, sv.port, NULL);
		for (long i = 0; i < k; i++) {
			cli_close(&extra[i], true);
		}
	}
	r.hs_wall = (double)g_hs_extra / (now_s(CLOCK_MONOTONIC) - t0);
	r.hs_cpu = (double)g_hs_extra / (now_s(sv.cpu) - c0);
	r.rtx = g_rtx;
	if (server_refused(&sv) != 0) {
		die("secsock refused %llu ClientHellos", (unsigned long long)server_refused(&sv));
	}
	for (long i = 0; i < n; i++) {
		cli_close(&g_cs[i], false); /* silently: the server still holds every peer */
	}
	r.srv_heap_per_peer = (heap_bytes() - h0) / (double)n;
	server_stop(&sv);
	free(g_cs);
	free(extra);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void add_credentials(void)
{
	if (tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) != 0 ||
	    tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, psk_id, strlen(psk_id)) != 0) {
		die("tls_credential_add");
	}
}

static void raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return;
	}
	if ((long)rl.rlim_cur < need) {
		rl.rlim_cur = (long)rl.rlim_max < need ? rl.rlim_max : (rlim_t)need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < need) {
		die("RLIMIT_NOFILE %ld below the %ld sockets needed (ulimit -Hn)",
		    (long)rl.rlim_cur, need);
	}
}

/* Raises RLIMIT_NOFILE towards @p need as far as the hard limit allows; the soft limit after. */
static long nofile_upto(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return 0;
	}
	if ((long)rl.rlim_cur < need) {
		rl.rlim_cur = (long)rl.rlim_max < need ? rl.rlim_max : (rlim_t)need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}

/* Descriptors the OpenSSL run needs at N peers: a socket per peer on both sides (N + W
 * each: the W newcomers of the handshake phase), the listener, epoll, stdio and slack. */
static long ossl_fds(long n)
{
	return 2 * (n + (long)g_window) + 32;
}

/* Position of @p name in @p impls, or -1. */
static int impl_pos(const char *const *impls, int ni, const char *name)
{
	for (int j = 0; j < ni; j++) {
		if (strcmp(impls[j], name) == 0) {
			return j;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	long ns[MAX_NS] = {10, 1000, 10000};
	int nn = 3;
	const char *impls[3] = {"secsock", "raw", "openssl"};
#ifdef BENCH_HAVE_OPENSSL
	int ni = 3;
#else
	int ni = 2;
#endif
	static double v[3][MAX_NS][7][MAX_ROUND];
	static bool skip[3][MAX_NS];
	long maxn = 0, nofile = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			ns[0] = 10;
			ns[1] = 200;
			nn = 2;
			g_rounds = 1;
			g_hs_extra = 200;
			g_echo_min = 2000;
		} else if (strcmp(a, "--peers") == 0 && val != NULL) {
			char *s = strdup(val), *tok, *save = NULL;

			nn = 0;
			for (tok = strtok_r(s, ",", &save); tok != NULL && nn < MAX_NS;
			     tok = strtok_r(NULL, ",", &save)) {
				ns[nn++] = atol(tok);
			}
			free(s);
			i++;
		} else if (strcmp(a, "--hibernate") == 0 && val != NULL) {
			g_hib_ms = atoi(val);
			i++;
		} else if (strcmp(a, "--rounds") == 0 && val != NULL) {
			g_rounds = atoi(val);
			i++;
		} else if (strcmp(a, "--window") == 0 && val != NULL) {
			g_window = atoi(val);
			i++;
		} else if (strcmp(a, "--hs") == 0 && val != NULL) {
			g_hs_extra = atol(val);
			i++;
		} else if (strcmp(a, "--echo") == 0 && val != NULL) {
			g_echo_min = atol(val);
			i++;
		} else if (strcmp(a, "--impl") == 0 && val != NULL) {
			impls[0] = strcmp(val, "raw") == 0       ? "raw"
				   : strcmp(val, "openssl") == 0 ? "openssl"
								 : "secsock";
			ni = 1;
			i++;
#ifndef BENCH_HAVE_OPENSSL
			if (strcmp(impls[0], "openssl") == 0) {
				printf("bench_dtls: --impl openssl: built without OpenSSL's "
				       "development files (apt-get install libssl-dev)\n");
				return 0;
			}
#endif
		} else if (strcmp(a, "--pin") == 0 && val != NULL) {
			g_pin = strcmp(val, "none") == 0 ? 0 : strcmp(val, "same") == 0 ? 1 : 2;
			i++;
		} else {
			fprintf(stderr,
				"usage: bench_dtls [--quick] [--peers 10,1000,10000] [--rounds R] "
				"[--window W] [--hs K] [--echo E] [--impl secsock|raw|openssl] "
				"[--pin split|same|none] [--hibernate MS]\n");
			return 2;
		}
	}
	if (g_rounds < 1 || g_rounds > MAX_ROUND || g_window < 1 || g_hs_extra < 1 || nn < 1) {
		die("bad arguments");
	}
	for (int i = 0; i < nn; i++) {
		if (ns[i] < 1) {
			die("bad --peers");
		}
		maxn = ns[i] > maxn ? ns[i] : maxn;
	}
	if (impl_pos(impls, ni, "openssl") >= 0) {
		nofile = nofile_upto(ossl_fds(maxn));
	}
	raise_nofile(maxn + 2L * g_window + 64);
	if (psa_crypto_init() != PSA_SUCCESS) {
		die("psa_crypto_init");
	}
	add_credentials();
	cli_conf_init();
	pin_self(0);
	printf("bench_dtls: %s, %s; DTLS 1.2 PSK AES-128-GCM, cookies; window %d, %ld handshakes "
	       "at N, >= %ld echoes of %d bytes; %d round(s); pin %s\n",
	       secsock_version(), MBEDTLS_VERSION_STRING_FULL, g_window, g_hs_extra, g_echo_min,
	       REQ_LEN, g_rounds,
	       g_pin == 0   ? "none"
	       : g_pin == 1 ? "same"
			    : "split");
#ifdef BENCH_HAVE_OPENSSL
	if (ni > 1) {
		printf("openssl: %s (DTLSv1_listen, a connected UDP socket per peer, epoll)\n",
		       bdo_version());
	}
#else
	printf("no OpenSSL column: built without OpenSSL's development files "
	       "(apt-get install libssl-dev)\n");
#endif
	fflush(stdout);
	for (int k = 0; k < nn; k++) {
		for (int round = 0; round < g_rounds; round++) {
			for (int j = 0; j < ni; j++) {
				/* rotate which implementation goes first */
				int im = (j + round) % ni;
				struct result r;

				if (strcmp(impls[im], "openssl") == 0 &&
				    ossl_fds(ns[k]) > (nofile = nofile_upto(ossl_fds(ns[k])))) {
					if (!skip[im][k]) {
						printf("openssl skipped at %ld peers: it needs %ld "
						       "descriptors (a socket per peer on both "
						       "sides), RLIMIT_NOFILE allows %ld\n",
						       ns[k], ossl_fds(ns[k]), nofile);
					}
					skip[im][k] = true;
					continue;
				}
				r = run(impls[im], ns[k]);

				v[im][k][0][round] = r.hs_wall;
				v[im][k][1][round] = r.hs_cpu;
				v[im][k][2][round] = r.echo_wall;
				v[im][k][3][round] = r.echo_cpu;
				v[im][k][4][round] = r.fill_wall;
				v[im][k][5][round] = r.heap_per_peer;
				v[im][k][6][round] = r.srv_heap_per_peer;
				fprintf(stderr,
					"  %-7s N=%-6ld hs %.0f/s (cpu %.0f/s)  echo %.0f/s (cpu "
					"%.0f/s)  fill %.0f/s  heap %.0f B/peer (server %.0f)  "
					"rtx %ld\n",
					impls[im], ns[k], r.hs_wall, r.hs_cpu, r.echo_wall,
					r.echo_cpu, r.fill_wall, r.heap_per_peer,
					r.srv_heap_per_peer, r.rtx);
			}
		}
	}
	printf("\n%-8s %-7s %12s %12s %12s %12s %12s %10s %10s\n", "peers", "impl", "hs/s",
	       "hs/cpu-s", "echo/s", "echo/cpu-s", "fill hs/s", "heap/peer", "srv heap");
	for (int k = 0; k < nn; k++) {
		double m[3][7];
		int is = impl_pos(impls, ni, "secsock"), ir = impl_pos(impls, ni, "raw"),
		    io = impl_pos(impls, ni, "openssl");

		for (int j = 0; j < ni; j++) {
			if (skip[j][k]) {
				printf("%-8ld %-7s skipped (RLIMIT_NOFILE, see above)\n", ns[k],
				       impls[j]);
				continue;
			}
			for (int q = 0; q < 7; q++) {
				m[j][q] = median(v[j][k][q], g_rounds);
			}
			printf("%-8ld %-7s %12.0f %12.0f %12.0f %12.0f %12.0f %10.0f %10.0f\n",
			       ns[k], impls[j], m[j][0], m[j][1], m[j][2], m[j][3], m[j][4],
			       m[j][5], m[j][6]);
		}
		/* "ratio": secsock / raw; "oss/raw": OpenSSL / raw */
		for (int pair = 0; pair < 2; pair++) {
			int a = pair == 0 ? is : io;

			if (a < 0 || ir < 0 || skip[a][k]) {
				continue;
			}
			printf("%-8ld %-7s %12.2f %12.2f %12.2f %12.2f %12.2f %10.2f %10.2f\n",
			       ns[k], pair == 0 ? "ratio" : "oss/raw", m[a][0] / m[ir][0],
			       m[a][1] / m[ir][1], m[a][2] / m[ir][2], m[a][3] / m[ir][3],
			       m[a][4] / m[ir][4], m[a][5] / m[ir][5], m[a][6] / m[ir][6]);
		}
	}
	mbedtls_ssl_config_free(&g_cli_conf);
	return 0;
}
