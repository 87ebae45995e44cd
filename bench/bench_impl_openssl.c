/*
 * The third implementation bench_tls times (bench.h, struct impl): OpenSSL 3
 * (libssl) over blocking kernel TCP sockets, SSL_set_fd, one SSL_CTX per role,
 * version and resumption setting. Built only when CMake finds OpenSSL's
 * development files (bench/CMakeLists.txt defines BENCH_HAVE_OPENSSL).
 *
 * The same terms as the raw Mbed TLS loop (bench_impl.c):
 *   - credentials of tests/lib/certs (ECDSA P-256 server certificate, CA);
 *     the client verifies the server (SSL_VERIFY_PEER, CA, host name
 *     "localhost" with SNI);
 *   - one version per context (min = max), one cipher suite: TLS 1.2
 *     ECDHE-ECDSA-AES128-GCM-SHA256, TLS 1.3 TLS_AES_128_GCM_SHA256;
 *   - groups X25519 then P-256, the head of Mbed TLS's default list, so both
 *     negotiate X25519 (TLS 1.3 key share X25519, as Mbed TLS's first share);
 *   - records sent at most 4 KiB (SSL_CTX_set_max_send_fragment), as
 *     MBEDTLS_SSL_OUT_CONTENT_LEN 4096 in config/mbedtls_config.h: a 16 KiB
 *     send is four records for all three;
 *   - no resumption on the full-handshake contexts (no session cache, no
 *     tickets, TLS 1.3 sends no NewSessionTicket); on the resumption contexts
 *     the server has its session cache and tickets (lifetime TICKET_LIFE), and
 *     the client keeps the last session (SSL_get1_session / SSL_set_session),
 *     forgotten when a new listener opens, as the raw loop does;
 *   - TCP_NODELAY and --sockbuf as the other two.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"

struct ossl_conn {
	int fd;
	SSL *ssl;
};

static struct {
	SSL_CTX *srv[NVER][2]; /* [version][resume] */
	SSL_CTX *cli[NVER];
	SSL_SESSION *saved; /* client side of resumption: the last session */
} O;

static void ossl_die(const char *what)
{
	fprintf(stderr, "bench_tls: openssl: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static SSL_CTX *ossl_ctx(bool server, int ver, bool resume, const char *certs)
{
	int pv = ver == V13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	char path[4096];

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, pv) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, pv) != 1) {
		ossl_die("SSL_CTX_new");
	}
	/* one suite per version; the other list may stay default: its version is off */
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1 ||
	    SSL_CTX_set_max_send_fragment(ctx, 4096) != 1) {
		ossl_die("suites, groups, fragment");
	}
	if (server) {
		snprintf(path, sizeof(path), "%s/server.pem", certs);
		if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1) {
			ossl_die(path);
		}
		snprintf(path, sizeof(path), "%s/server.key", certs);
		if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			ossl_die(path);
		}
		if (resume) {
			SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
			SSL_CTX_set_timeout(ctx, TICKET_LIFE);
		} else {
			SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
			SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
			SSL_CTX_set_num_tickets(ctx, 0);
		}
	} else {
		snprintf(path, sizeof(path), "%s/ca.pem", certs);
		if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
			ossl_die(path);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		/* the client keeps its one session itself (O.saved), no cache */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	return ctx;
}

void bench_openssl_init(const char *certs)
{
	for (int v = 0; v < NVER; v++) {
		O.srv[v][0] = ossl_ctx(true, v, false, certs);
		O.srv[v][1] = ossl_ctx(true, v, true, certs);
		O.cli[v] = ossl_ctx(false, v, false, certs);
	}
}

void bench_openssl_free(void)
{
	for (int v = 0; v < NVER; v++) {
		SSL_CTX_free(O.srv[v][0]);
		SSL_CTX_free(O.srv[v][1]);
		SSL_CTX_free(O.cli[v]);
	}
	SSL_SESSION_free(O.saved);
	O.saved = NULL;
}

const char *bench_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

static int ossl_socket(void)
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

static int ossl_listen(const struct run_opts *o, int *port)
{
	struct sockaddr_in a = bench_loopback(0);
	socklen_t len = sizeof(a);
	int fd = ossl_socket();

	(void)o;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		bench_die("openssl listen: %s", strerror(errno));
	}
	*port = ntohs(a.sin_port);
	/* a new server: forget the client's session, as the raw loop does */
	SSL_SESSION_free(O.saved);
	O.saved = NULL;
	return fd;
}

static struct ossl_conn *ossl_new(int fd, SSL_CTX *ctx)
{
	struct ossl_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		bench_die("out of memory");
	}
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		ossl_die("SSL_new");
	}
	return c;
}

static conn_t ossl_accept(int l, const struct run_opts *o)
{
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	struct ossl_conn *c;

	if (fd < 0) {
		bench_die("accept: %s", strerror(errno));
	}
	c = ossl_new(fd, O.srv[o->ver][o->resume]);
	if (SSL_accept(c->ssl) != 1) {
		ossl_die("SSL_accept");
	}
	return c;
}

/*
 * Die unless the handshake is what the other two do: the bench's suite
 * (bench_ver_suite holds IANA numbers), X25519 on a full handshake, and a
 * resumed session when one was offered.
 */
static void ossl_check(SSL *ssl, const struct run_opts *o, bool offered)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
	bool reused = SSL_session_reused(ssl) == 1;

	if (ci == NULL || SSL_CIPHER_get_protocol_id(ci) != (uint16_t)bench_ver_suite[o->ver]) {
		bench_die("openssl: negotiated %s, not the bench's suite",
			  ci != NULL ? SSL_CIPHER_get_name(ci) : "nothing");
	}
	if (o->resume && offered && !reused) {
		bench_die("openssl: the offered session was not resumed");
	}
	if (!reused && SSL_get_negotiated_group(ssl) != NID_X25519) {
		bench_die("openssl: the key exchange is not X25519");
	}
}

static conn_t ossl_connect(int port, const struct run_opts *o)
{
	struct sockaddr_in a = bench_loopback(port);
	int fd = ossl_socket();
	struct ossl_conn *c;

	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		bench_die("connect: %s", strerror(errno));
	}
	c = ossl_new(fd, O.cli[o->ver]);
	if (SSL_set_tlsext_host_name(c->ssl, "localhost") != 1 ||
	    SSL_set1_host(c->ssl, "localhost") != 1) {
		ossl_die("host name");
	}
	if (o->resume && O.saved != NULL && SSL_set_session(c->ssl, O.saved) != 1) {
		ossl_die("SSL_set_session");
	}
	if (SSL_connect(c->ssl) != 1) {
		ossl_die("SSL_connect");
	}
	ossl_check(c->ssl, o, O.saved != NULL);
	if (o->resume) {
		/* TLS 1.2: the session is complete now (TLS 1.3 would need a ticket read) */
		SSL_SESSION_free(O.saved);
		O.saved = SSL_get1_session(c->ssl);
		if (O.saved == NULL) {
			ossl_die("SSL_get1_session");
		}
	}
	return c;
}

static void ossl_send_all(conn_t cv, const void *buf, size_t len)
{
	struct ossl_conn *c = cv;
	size_t n;

	/* blocking, SSL_MODE_ENABLE_PARTIAL_WRITE off: all of buf or an error */
	if (SSL_write_ex(c->ssl, buf, len, &n) != 1 || n != len) {
		ossl_die("SSL_write_ex");
	}
}

static ssize_t ossl_recv(conn_t cv, void *buf, size_t len)
{
	struct ossl_conn *c = cv;
	size_t n;

	if (SSL_read_ex(c->ssl, buf, len, &n) == 1) {
		return (ssize_t)n;
	}
	if (SSL_get_error(c->ssl, 0) == SSL_ERROR_ZERO_RETURN) {
		return 0; /* close_notify */
	}
	ERR_clear_error();
	errno = ECONNABORTED;
	return -1;
}

static void ossl_close(conn_t cv)
{
	struct ossl_conn *c = cv;

	(void)SSL_shutdown(c->ssl); /* sends close_notify, as the other two */
	ERR_clear_error();
	close(c->fd);
	SSL_free(c->ssl);
	free(c);
}

static void ossl_close_listener(int l)
{
	close(l);
}

static void ossl_idle(const conn_t *c, long n, int ms)
{
	struct pollfd *p = calloc((size_t)(n > 0 ? n : 1), sizeof(*p));
	struct timespec t0, t1;
	long el = 0;

	if (p == NULL) {
		bench_die("out of memory");
	}
	for (long i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = ((const struct ossl_conn *)c[i])->fd,
				       .events = POLLIN};
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (el < ms) {
		if (poll(p, (nfds_t)n, (int)(ms - el)) < 0 && errno != EINTR) {
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

const struct impl bench_openssl = {
	"openssl", ossl_listen, ossl_accept,         ossl_connect, ossl_send_all,
	ossl_recv, ossl_close,  ossl_close_listener, ossl_idle,
};
