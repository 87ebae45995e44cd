/*
 * The two implementations bench_tls compares, behind struct impl (bench.h):
 *   secsock: blocking secure sockets through the zsock_* API;
 *   raw:     mbedtls_ssl_* directly over blocking kernel TCP sockets, with our
 *            own send()/recv() BIO callbacks (no mbedtls_net_*) and one shared
 *            mbedtls_ssl_config per role and version.
 * Both use the test credentials of tests/lib/certs (ECDSA P-256), one cipher
 * suite per version, the Mbed TLS default groups and TCP_NODELAY.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <mbedtls/net_sockets.h> /* MBEDTLS_ERR_NET_* codes only */
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include "bench.h"

bool bench_nodelay = true;
int bench_sockbuf;
int bench_hibernate_ms;
const char *const bench_ver_name[NVER] = {"TLS 1.2", "TLS 1.3"};
const int bench_ver_suite[NVER] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
				   MBEDTLS_TLS1_3_AES_128_GCM_SHA256};

/* ---- helpers ---- */

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_tls: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

unsigned char *bench_load_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		bench_die("%s: %s", path, strerror(errno));
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		bench_die("%s: read failed", path);
	}
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n + 1;
	return buf;
}

struct heap_rss bench_heap_rss(void)
{
	struct mallinfo2 mi = mallinfo2();
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2) {
			res = 0;
		}
		fclose(f);
	}
	return (struct heap_rss){(double)(mi.uordblks + mi.hblkhd),
				 (double)res * (double)sysconf(_SC_PAGESIZE)};
}

struct sockaddr_in bench_loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ---- secsock: zsock_* on blocking secure sockets ---- */

static int ss_fd(conn_t c)
{
	return (int)(intptr_t)c - 1;
}

static conn_t ss_conn(int fd)
{
	return (conn_t)(intptr_t)(fd + 1);
}

static int ss_socket(const struct run_opts *o, sec_tag_t tag)
{
	int proto = o->ver == V13 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	int fd = zsock_socket(AF_INET, SOCK_STREAM, proto);
	int suites[1] = {bench_ver_suite[o->ver]};
	int cache = TLS_SESSION_CACHE_ENABLED;

	if (fd < 0) {
		bench_die("zsock_socket: %s", strerror(errno));
	}
	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(suites)) < 0 ||
	    (o->resume &&
	     zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &cache, sizeof(cache)) < 0)) {
		bench_die("zsock_setsockopt: %s", strerror(errno));
	}
	if (bench_sockbuf > 0 &&
	    (zsock_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bench_sockbuf, sizeof(int)) < 0 ||
	     zsock_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bench_sockbuf, sizeof(int)) < 0)) {
		bench_die("SO_SNDBUF/SO_RCVBUF: %s", strerror(errno));
	}
	if (bench_nodelay &&
	    zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) < 0) {
		bench_die("TCP_NODELAY: %s", strerror(errno));
	}
	if (bench_hibernate_ms > 0 && zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE,
						       &bench_hibernate_ms, sizeof(int)) < 0) {
		bench_die("SECSOCK_TLS_HIBERNATE: %s", strerror(errno));
	}
	return fd;
}

static int ss_listen(const struct run_opts *o, int *port)
{
	int fd = ss_socket(o, TAG_SERVER);
	struct sockaddr_in a = bench_loopback(0);
	socklen_t len = sizeof(a);

	if (zsock_bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || zsock_listen(fd, 1024) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		bench_die("secsock listen: %s", strerror(errno));
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static conn_t ss_accept(int l, const struct run_opts *o)
{
	int fd = zsock_accept(l, NULL, NULL);

	(void)o;
	if (fd < 0) {
		bench_die("zsock_accept: %s", strerror(errno));
	}
	return ss_conn(fd);
}

static conn_t ss_connect(int port, const struct run_opts *o)
{
	int fd = ss_socket(o, TAG_CA);
	struct sockaddr_in a = bench_loopback(port);

	if (zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0) {
		bench_die("TLS_HOSTNAME: %s", strerror(errno));
	}
	if (zsock_connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		bench_die("zsock_connect: %s", strerror(errno));
	}
	return ss_conn(fd);
}

static void ss_send_all(conn_t c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = zsock_send(ss_fd(c), p, len, 0);

		if (n <= 0) {
			bench_die("zsock_send: %s", n < 0 ? strerror(errno) : "0");
		}
		p += n;
		len -= (size_t)n;
	}
}

static ssize_t ss_recv(conn_t c, void *buf, size_t len)
{
	return zsock_recv(ss_fd(c), buf, len, 0);
}

static void ss_close(conn_t c)
{
	zsock_close(ss_fd(c));
}

static void ss_close_listener(int l)
{
	zsock_close(l);
}

/*
 * Poll all of @p n descriptors for input until @p ms have passed; a
 * descriptor that reports anything is dropped from the set (an idle
 * connection reports nothing). @p pollfn: zsock_poll or the host's poll.
 */
static void idle_poll(const int *fds, long n, int ms, int (*pollfn)(struct pollfd *, nfds_t, int))
{
	struct pollfd *p = calloc((size_t)(n > 0 ? n : 1), sizeof(*p));
	struct timespec t0, t1;
	long el = 0;

	if (p == NULL) {
		bench_die("out of memory");
	}
	for (long i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (el < ms) {
		if (pollfn(p, (nfds_t)n, (int)(ms - el)) < 0 && errno != EINTR) {
			bench_die("idle poll: %s", strerror(errno));
		}
		for (long i = 0; i < n; i++) {
			if (p[i].revents != 0) {
				p[i].fd = -1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	}
	free(p);
}

static int ss_pollfn(struct pollfd *p, nfds_t n, int ms)
{
	return zsock_poll((struct zsock_pollfd *)p, (int)n, ms);
}

static void ss_idle(const conn_t *c, long n, int ms)
{
	int *fds = calloc((size_t)(n > 0 ? n : 1), sizeof(int));

	if (fds == NULL) {
		bench_die("out of memory");
	}
	for (long i = 0; i < n; i++) {
		fds[i] = ss_fd(c[i]);
	}
	idle_poll(fds, n, ms, ss_pollfn);
	free(fds);
}

const struct impl bench_secsock = {
	"secsock", ss_listen, ss_accept,         ss_connect, ss_send_all,
	ss_recv,   ss_close,  ss_close_listener, ss_idle,
};

/* ---- raw Mbed TLS over blocking kernel sockets ---- */

struct raw_conn {
	int fd;
	mbedtls_ssl_context ssl;
};

static struct {
	mbedtls_x509_crt ca, crt;
	mbedtls_pk_context key;
	mbedtls_ssl_config srv[NVER][2]; /* [version][resume] */
	mbedtls_ssl_config cli[NVER];
	int suites[NVER][2];
	mbedtls_ssl_cache_context cache;
	mbedtls_ssl_ticket_context ticket;
	/* client side of resumption: the last session, as ssl_client2 keeps it */
	mbedtls_ssl_session saved;
	bool have_saved;
} R;

static int raw_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct raw_conn *c = ctx;
	ssize_t n;

	do {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
							     : MBEDTLS_ERR_NET_SEND_FAILED;
	}
	return (int)n;
}

static int raw_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct raw_conn *c = ctx;
	ssize_t n;

	do {
		n = recv(c->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
					   : MBEDTLS_ERR_NET_RECV_FAILED;
	}
	return (int)n;
}

static void raw_conf_common(mbedtls_ssl_config *c, int endpoint, int ver)
{
	if (mbedtls_ssl_config_defaults(c, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
		bench_die("mbedtls_ssl_config_defaults");
	}
	mbedtls_ssl_conf_rng(c, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_min_tls_version(c, ver == V13 ? MBEDTLS_SSL_VERSION_TLS1_3
						       : MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_max_tls_version(c, ver == V13 ? MBEDTLS_SSL_VERSION_TLS1_3
						       : MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_ciphersuites(c, R.suites[ver]);
}

void bench_raw_init(const char *certs)
{
	unsigned char *ca, *crt, *key;
	size_t ca_len, crt_len, key_len;
	int ret;

	ca = bench_load_file(certs, "ca.pem", &ca_len);
	crt = bench_load_file(certs, "server.pem", &crt_len);
	key = bench_load_file(certs, "server.key", &key_len);
	mbedtls_x509_crt_init(&R.ca);
	mbedtls_x509_crt_init(&R.crt);
	mbedtls_pk_init(&R.key);
	if (mbedtls_x509_crt_parse(&R.ca, ca, ca_len) != 0 ||
	    mbedtls_x509_crt_parse(&R.crt, crt, crt_len) != 0 ||
	    (ret = mbedtls_pk_parse_key(&R.key, key, key_len, NULL, 0, mbedtls_psa_get_random,
					MBEDTLS_PSA_RANDOM_STATE)) != 0) {
		bench_die("raw: cannot parse the test credentials");
	}
	free(ca);
	free(crt);
	free(key);
	mbedtls_ssl_cache_init(&R.cache);
	mbedtls_ssl_ticket_init(&R.ticket);
	if (mbedtls_ssl_ticket_setup(&R.ticket, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE,
				     MBEDTLS_CIPHER_AES_256_GCM, TICKET_LIFE) != 0) {
		bench_die("mbedtls_ssl_ticket_setup");
	}
	for (int v = 0; v < NVER; v++) {
		R.suites[v][0] = bench_ver_suite[v];
		R.suites[v][1] = 0;
		for (int r = 0; r < 2; r++) {
			mbedtls_ssl_config *c = &R.srv[v][r];

			mbedtls_ssl_config_init(c);
			raw_conf_common(c, MBEDTLS_SSL_IS_SERVER, v);
			if (mbedtls_ssl_conf_own_cert(c, &R.crt, &R.key) != 0) {
				bench_die("mbedtls_ssl_conf_own_cert");
			}
			if (r) {
				mbedtls_ssl_conf_session_cache(c, &R.cache, mbedtls_ssl_cache_get,
							       mbedtls_ssl_cache_set);
				mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write,
								    mbedtls_ssl_ticket_parse,
								    &R.ticket);
			}
		}
		mbedtls_ssl_config_init(&R.cli[v]);
		raw_conf_common(&R.cli[v], MBEDTLS_SSL_IS_CLIENT, v);
		mbedtls_ssl_conf_authmode(&R.cli[v], MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&R.cli[v], &R.ca, NULL);
	}
	mbedtls_ssl_session_init(&R.saved);
}

const struct mbedtls_ssl_config *bench_raw_conf(bool server, int ver)
{
	return server ? &R.srv[ver][0] : &R.cli[ver];
}

void bench_raw_free(void)
{
	for (int v = 0; v < NVER; v++) {
		mbedtls_ssl_config_free(&R.srv[v][0]);
		mbedtls_ssl_config_free(&R.srv[v][1]);
		mbedtls_ssl_config_free(&R.cli[v]);
	}
	mbedtls_ssl_session_free(&R.saved);
	mbedtls_ssl_cache_free(&R.cache);
	mbedtls_ssl_ticket_free(&R.ticket);
	mbedtls_x509_crt_free(&R.ca);
	mbedtls_x509_crt_free(&R.crt);
	mbedtls_pk_free(&R.key);
}

static int raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		bench_die("socket: %s", strerror(errno));
	}
	if (bench_sockbuf > 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bench_sockbuf, sizeof(int)) < 0 ||
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bench_sockbuf, sizeof(int)) < 0)) {
		bench_die("SO_SNDBUF/SO_RCVBUF: %s", strerror(errno));
	}
	if (bench_nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) < 0) {
		bench_die("TCP_NODELAY: %s", strerror(errno));
	}
	return fd;
}

static int raw_listen(const struct run_opts *o, int *port)
{
	struct sockaddr_in a = bench_loopback(0);
	socklen_t len = sizeof(a);
	int fd = raw_socket();

	(void)o;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		bench_die("raw listen: %s", strerror(errno));
	}
	*port = ntohs(a.sin_port);
	/* a new server: forget the client's session, as secsock's cache (keyed by address) */
	mbedtls_ssl_session_free(&R.saved);
	mbedtls_ssl_session_init(&R.saved);
	R.have_saved = false;
	return fd;
}

static struct raw_conn *raw_new(int fd, const mbedtls_ssl_config *conf)
{
	struct raw_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		bench_die("out of memory");
	}
	c->fd = fd;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, conf) != 0) {
		bench_die("mbedtls_ssl_setup");
	}
	mbedtls_ssl_set_bio(&c->ssl, c, raw_bio_send, raw_bio_recv, NULL);
	return c;
}

static void raw_handshake(struct raw_conn *c, const char *who)
{
	int ret;

	while ((ret = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
			bench_die("raw %s handshake: -0x%04x", who, (unsigned)-ret);
		}
	}
}

static conn_t raw_accept(int l, const struct run_opts *o)
{
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	struct raw_conn *c;

	if (fd < 0) {
		bench_die("accept: %s", strerror(errno));
	}
	c = raw_new(fd, &R.srv[o->ver][o->resume]);
	raw_handshake(c, "server");
	return c;
}

static conn_t raw_connect(int port, const struct run_opts *o)
{
	struct sockaddr_in a = bench_loopback(port);
	int fd = raw_socket();
	struct raw_conn *c;

	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		bench_die("connect: %s", strerror(errno));
	}
	c = raw_new(fd, &R.cli[o->ver]);
	if (mbedtls_ssl_set_hostname(&c->ssl, "localhost") != 0) {
		bench_die("mbedtls_ssl_set_hostname");
	}
	if (o->resume && R.have_saved && mbedtls_ssl_set_session(&c->ssl, &R.saved) != 0) {
		bench_die("mbedtls_ssl_set_session");
	}
	raw_handshake(c, "client");
	if (o->resume) {
		mbedtls_ssl_session_free(&R.saved);
		mbedtls_ssl_session_init(&R.saved);
		if (mbedtls_ssl_get_session(&c->ssl, &R.saved) != 0) {
			bench_die("mbedtls_ssl_get_session");
		}
		R.have_saved = true;
	}
	return c;
}

static void raw_send_all(conn_t cv, const void *buf, size_t len)
{
	struct raw_conn *c = cv;
	const unsigned char *p = buf;

	while (len > 0) {
		int n = mbedtls_ssl_write(&c->ssl, p, len);

		if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) {
			continue;
		}
		if (n <= 0) {
			bench_die("mbedtls_ssl_write: -0x%04x", (unsigned)-n);
		}
		p += n;
		len -= (size_t)n;
	}
}

static ssize_t raw_recv(conn_t cv, void *buf, size_t len)
{
	struct raw_conn *c = cv;

	for (;;) {
		int n = mbedtls_ssl_read(&c->ssl, buf, len);

		if (n >= 0) {
			return n;
		}
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			continue;
		}
		if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			return 0;
		}
		errno = ECONNABORTED;
		return -1;
	}
}

static void raw_close(conn_t cv)
{
	struct raw_conn *c = cv;

	(void)mbedtls_ssl_close_notify(&c->ssl);
	close(c->fd);
	mbedtls_ssl_free(&c->ssl);
	free(c);
}

static void raw_idle(const conn_t *c, long n, int ms)
{
	int *fds = calloc((size_t)(n > 0 ? n : 1), sizeof(int));

	if (fds == NULL) {
		bench_die("out of memory");
	}
	for (long i = 0; i < n; i++) {
		fds[i] = ((const struct raw_conn *)c[i])->fd;
	}
	idle_poll(fds, n, ms, poll);
	free(fds);
}

static void raw_close_listener(int l)
{
	close(l);
}

const struct impl bench_raw = {
	"raw",    raw_listen, raw_accept,         raw_connect, raw_send_all,
	raw_recv, raw_close,  raw_close_listener, raw_idle,
};

void bench_add_credentials(const char *certs)
{
	static const struct {
		sec_tag_t tag;
		enum tls_credential_type type;
		const char *file;
	} creds[] = {
		{TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key"},
	};

	for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
		size_t len;
		unsigned char *buf = bench_load_file(certs, creds[i].file, &len);

		if (tls_credential_add(creds[i].tag, creds[i].type, buf, len) != 0) {
			bench_die("tls_credential_add %s", creds[i].file);
		}
		free(buf);
	}
}
