/*
 * TLS API extensions, black box over loopback through zsock_*:
 * - every case of Zephyr's tests/net/socket/tls_ext (docs/zephyr-behaviour.md §4.2);
 * - hostname and certificate verification rules (docs/zephyr-behaviour.md §1.3 option 2,
 *   §3.11);
 * - TLS_CIPHERSUITE_LIST / TLS_CIPHERSUITE_USED (options 3, 4) and
 *   TLS_ALPN_LIST (option 7);
 * - the session cache, TLS_SESSION_CACHE / _PURGE (options 12, 13, §3.10);
 * - accept() inheritance and options set after connect (§3.12).
 *
 * No Mbed TLS header is visible here: the verify callback takes the
 * certificate as void *, and Mbed TLS numbers are spelled out below.
 * Credentials are loaded once per process under tags 7100..7106.
 */
#include <zephyr/net/net_ip.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"

/* The message of Zephyr's tls_ext suite. */
#define SECRET     "forty-two"
#define SECRET_LEN (sizeof(SECRET) - 1)

/* Bound of every wait in this file (poll before accept, SO_RCVTIMEO). */
#define WAIT_MS 5000

/* Mbed TLS 3.6 values (x509.h, x509_crt.h). */
#define X509_BADCERT_EXPIRED        0x01u
#define X509_BADCERT_CN_MISMATCH    0x04u
#define X509_BADCERT_NOT_TRUSTED    0x08u
#define X509_BADCERT_MISSING        0x40u
#define ERR_X509_CERT_VERIFY_FAILED (-0x2700)

/* IANA cipher suite ids. */
#define SUITE_ECDHE_ECDSA_AES128_GCM 0xC02B /* TLS 1.2 */
#define SUITE_ECDHE_ECDSA_AES256_GCM 0xC02C /* TLS 1.2 */
#define SUITE_TLS13_AES128_GCM       0x1301
#define SUITE_TLS13_AES256_GCM       0x1302

#define SNI_HOSTNAME "zephyr.example.org"

enum tag {
	TAG_CA = 7100,   /* ca.pem */
	TAG_SERVER,      /* server.pem + key: CN/SAN localhost, IP 127.0.0.1, ::1 */
	TAG_CLIENT,      /* client.pem + key */
	TAG_UNTRUSTED,   /* untrusted.pem + key: localhost, signed by another CA */
	TAG_EXPIRED,     /* expired.pem + key: localhost, 2020-2021 */
	TAG_WRONGHOST,   /* wronghost.pem + key: wrong.example.com */
	TAG_UNTRUSTED_CA /* untrusted-ca.pem */
};

static const sec_tag_t tags_ca[] = {TAG_CA};
static const sec_tag_t tags_ca_client[] = {TAG_CA, TAG_CLIENT};
static const sec_tag_t tags_server[] = {TAG_SERVER};
static const sec_tag_t tags_ca_server[] = {TAG_CA, TAG_SERVER};

#define NTAGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- credentials ---- */

static pthread_once_t creds_once = PTHREAD_ONCE_INIT;
static int creds_rc;

static void creds_add_all(void)
{
	static const struct {
		sec_tag_t tag;
		enum tls_credential_type type;
		const char *file;
	} c[] = {
		{TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key"},
		{TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem"},
		{TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key"},
		{TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "untrusted.pem"},
		{TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY, "untrusted.key"},
		{TAG_EXPIRED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "expired.pem"},
		{TAG_EXPIRED, TLS_CREDENTIAL_PRIVATE_KEY, "expired.key"},
		{TAG_WRONGHOST, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "wronghost.pem"},
		{TAG_WRONGHOST, TLS_CREDENTIAL_PRIVATE_KEY, "wronghost.key"},
		{TAG_UNTRUSTED_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "untrusted-ca.pem"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = tu_add_cred(c[i].tag, c[i].type, c[i].file);

		if (rc < 0 && creds_rc == 0) {
			fprintf(stderr, "tls_credential_add(%d, %s): %d\n", c[i].tag, c[i].file,
				rc);
			creds_rc = rc;
		}
	}
}

/* Every test starts with ASSERT_TRUE(creds() == 0). */
static int creds(void)
{
	pthread_once(&creds_once, creds_add_all);
	return creds_rc;
}

/* ---- sockets ---- */

static int set_int(int fd, int level, int opt, int v)
{
	return zsock_setsockopt(fd, level, opt, &v, sizeof(v));
}

static int set_timeo(int fd, int opt, int ms)
{
	struct zsock_timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int set_tags(int fd, const sec_tag_t *tags, int n)
{
	return zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags,
				(socklen_t)(sizeof(sec_tag_t) * (size_t)n));
}

static int set_suites(int fd, const int *suites, int n)
{
	return zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites,
				(socklen_t)(sizeof(int) * (size_t)n));
}

/* TLS_HOSTNAME as Zephyr's tests pass it; NULL sets NULL (optlen 0). */
static int set_host(int fd, const char *name)
{
	return zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, name,
				name != NULL ? (socklen_t)strlen(name) + 1 : 0);
}

static int get_verify_result(int fd, uint32_t *flags)
{
	socklen_t len = sizeof(*flags);

	*flags = 0xdeadbeef;
	return zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, flags, &len);
}

/* TLS_CIPHERSUITE_USED, or -errno. */
static int suite_used(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	errno = 0;
	if (zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &v, &len) < 0) {
		return -errno;
	}
	return v;
}

/*
 * Listening TLS socket on loopback with @p tags; @p verify < 0 leaves
 * TLS_PEER_VERIFY at its default (none for a server). -1 on error.
 */
static int server_listen(int family, const sec_tag_t *tags, int ntags, int verify, uint16_t *port)
{
	int fd = tu_listen(family, IPPROTO_TLS_1_2, port);

	if (fd < 0) {
		return -1;
	}
	if (set_tags(fd, tags, ntags) < 0 ||
	    (verify >= 0 && set_int(fd, SOL_TLS, TLS_PEER_VERIFY, verify) < 0)) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/* A TLS client socket with @p tags and SO_RCVTIMEO; verify < 0: the default. */
static int client_new(int family, int proto, const sec_tag_t *tags, int ntags, int verify)
{
	int fd = zsock_socket(family, SOCK_STREAM, proto);

	if (fd < 0) {
		return -1;
	}
	if ((ntags > 0 && set_tags(fd, tags, ntags) < 0) ||
	    (verify >= 0 && set_int(fd, SOL_TLS, TLS_PEER_VERIFY, verify) < 0) ||
	    set_timeo(fd, SO_RCVTIMEO, WAIT_MS) < 0) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/* ---- one handshake: the client connects while a thread accepts ---- */

struct acceptor {
	int lfd;
	bool timeo; /* give the accepted socket SO_RCVTIMEO = WAIT_MS */
	int fd;     /* accepted socket, or -1 */
	int err;    /* errno of the failed accept (ETIMEDOUT: nobody came) */
	pthread_t th;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;
	struct zsock_pollfd p = {.fd = a->lfd, .events = ZSOCK_POLLIN};

	a->fd = -1;
	a->err = ETIMEDOUT;
	if (zsock_poll(&p, 1, WAIT_MS) != 1) {
		return NULL;
	}
	errno = 0;
	a->fd = zsock_accept(a->lfd, NULL, NULL);
	a->err = a->fd < 0 ? errno : 0;
	if (a->fd >= 0 && a->timeo) {
		(void)set_timeo(a->fd, SO_RCVTIMEO, WAIT_MS);
	}
	return NULL;
}

struct hs {
	int cli;  /* the client socket (still open) */
	int crc;  /* connect() result */
	int cerr; /* its errno */
	int srv;  /* accepted socket, or -1 */
	int serr; /* errno of accept() */
	long ms;  /* until both connect() and accept() returned */
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void run_handshake_ex(int lfd, int cli, int family, uint16_t port, struct hs *h, bool timeo)
{
	struct acceptor a = {.lfd = lfd, .timeo = timeo, .fd = -1, .err = 0};
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, port, &ss);
	struct timespec t0;
	bool started;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	started = pthread_create(&a.th, NULL, acceptor_main, &a) == 0;
	h->cli = cli;
	errno = 0;
	h->crc = zsock_connect(cli, (struct sockaddr *)&ss, len);
	h->cerr = h->crc < 0 ? errno : 0;
	if (started) {
		pthread_join(a.th, NULL);
	} else {
		a.err = EAGAIN;
	}
	h->srv = a.fd;
	h->serr = a.err;
	h->ms = ms_since(&t0);
}

static void run_handshake(int lfd, int cli, int family, uint16_t port, struct hs *h)
{
	run_handshake_ex(lfd, cli, family, port, h, true);
}

static void hs_close(struct hs *h)
{
	if (h->cli >= 0) {
		zsock_close(h->cli);
		h->cli = -1;
	}
	if (h->srv >= 0) {
		zsock_close(h->srv);
		h->srv = -1;
	}
}

/* connect() and accept() both succeeded. */
static void hs_ok(int line, const struct hs *h)
{
	if (h->crc != 0 || h->srv < 0) {
		th_fail(__FILE__, line,
			"handshake: connect %d errno %d (%s), accept %d errno %d (%s), %ld ms",
			h->crc, h->cerr, strerror(h->cerr), h->srv, h->serr, strerror(h->serr),
			h->ms);
	}
}

/*
 * Both ends fail with ECONNABORTED (docs/zephyr-behaviour.md §3.9), and promptly: the side
 * that gives up sends a fatal alert, so the other one does not sit out its
 * 10 s handshake timeout (Zephyr's CONFIG_NET_SOCKETS_TLS_CONNECT_TIMEOUT).
 */
#define HS_PROMPT_MS 3000

static void hs_aborted(int line, const struct hs *h)
{
	if (h->crc != -1 || h->cerr != ECONNABORTED || h->srv != -1 || h->serr != ECONNABORTED ||
	    h->ms >= HS_PROMPT_MS) {
		th_fail(__FILE__, line,
			"expected both ends ECONNABORTED within %d ms: connect %d errno %d (%s), "
			"accept %d errno %d (%s), after %ld ms",
			HS_PROMPT_MS, h->crc, h->cerr, strerror(h->cerr), h->srv, h->serr,
			strerror(h->serr), h->ms);
	}
}

#define EXPECT_HS_OK(h)      hs_ok(__LINE__, &(h))
#define EXPECT_HS_ABORTED(h) hs_aborted(__LINE__, &(h))

/*
 * SECRET from the client to the server and back, as the tls_ext server
 * thread echoes it. The recv() on the client also consumes TLS 1.3
 * NewSessionTickets sent after the handshake.
 */
static bool echo(int line, int cli, int srv)
{
	char buf[64];
	ssize_t n;

	if (cli < 0 || srv < 0) {
		th_fail(__FILE__, line, "echo: no connection");
		return false;
	}
	n = zsock_send(cli, SECRET, SECRET_LEN, 0);
	if (n != (ssize_t)SECRET_LEN) {
		th_fail(__FILE__, line, "client send: %zd errno %d", n, errno);
		return false;
	}
	memset(buf, 0, sizeof(buf));
	n = zsock_recv(srv, buf, SECRET_LEN, ZSOCK_MSG_WAITALL);
	if (n != (ssize_t)SECRET_LEN || memcmp(buf, SECRET, SECRET_LEN) != 0) {
		th_fail(__FILE__, line, "server recv: %zd errno %d", n, errno);
		return false;
	}
	n = zsock_send(srv, buf, SECRET_LEN, 0);
	if (n != (ssize_t)SECRET_LEN) {
		th_fail(__FILE__, line, "server send: %zd errno %d", n, errno);
		return false;
	}
	memset(buf, 0, sizeof(buf));
	n = zsock_recv(cli, buf, SECRET_LEN, ZSOCK_MSG_WAITALL);
	if (n != (ssize_t)SECRET_LEN || memcmp(buf, SECRET, SECRET_LEN) != 0) {
		th_fail(__FILE__, line, "client recv: %zd errno %d", n, errno);
		return false;
	}
	return true;
}

#define EXPECT_ECHO(h) EXPECT_TRUE(echo(__LINE__, (h).cli, (h).srv))

/* ---- verify callback (option 20): counts calls and records depths ---- */

#define VRFY_MAX 8

struct vrfy {
	int ret;    /* what the callback returns */
	bool clear; /* set *flags = 0, as Zephyr's test does on success */
	int calls;  /* calls so far */
	int null_crt;
	int depth[VRFY_MAX];
};

static int verify_cb(void *ctx, void *crt, int depth, uint32_t *flags)
{
	struct vrfy *v = ctx;

	if (v->calls < VRFY_MAX) {
		v->depth[v->calls] = depth;
	}
	v->calls++;
	if (crt == NULL) {
		v->null_crt++;
	}
	if (v->ret != 0) {
		*flags |= X509_BADCERT_NOT_TRUSTED;
	} else if (v->clear) {
		*flags = 0;
	}
	return v->ret;
}

static int set_verify_cb(int fd, struct vrfy *v)
{
	struct zsock_tls_cert_verify_cb cb = {.cb = (void *)verify_cb, .ctx = v};

	return zsock_setsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_CALLBACK, &cb, sizeof(cb));
}

/* ==== Zephyr tests/net/socket/tls_ext (docs/zephyr-behaviour.md §4.2) ==== */

/*
 * test_common(): server verify NONE / OPTIONAL / REQUIRED; the client
 * verifies the server ("localhost") and, unless NONE, presents client.pem.
 */
static void peer_verify_common(int verify)
{
	bool mutual = verify != TLS_PEER_VERIFY_NONE;
	uint16_t port;
	struct hs h;
	int lfd, cli;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = mutual ? server_listen(AF_INET, tags_ca_server, NTAGS(tags_ca_server), verify, &port)
		     : server_listen(AF_INET, tags_server, NTAGS(tags_server), verify, &port);
	ASSERT_TRUE(lfd >= 0);
	EXPECT_OK(set_host(lfd, "localhost")); /* as Zephyr's server; ignored there */
	cli = mutual ? client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca_client, NTAGS(tags_ca_client),
				  -1)
		     : client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));

	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	if (mutual && h.srv >= 0) {
		/* the server did check client.pem */
		EXPECT_OK(get_verify_result(h.srv, &flags));
		EXPECT_EQ(flags, 0);
	}
	hs_close(&h);
	zsock_close(lfd);
}

/* Zephyr tls_ext test_tls_peer_verify_none */
TEST(test_tls_peer_verify_none)
{
	peer_verify_common(TLS_PEER_VERIFY_NONE);
}

/* Zephyr tls_ext test_tls_peer_verify_optional */
TEST(test_tls_peer_verify_optional)
{
	peer_verify_common(TLS_PEER_VERIFY_OPTIONAL);
}

/* Zephyr tls_ext test_tls_peer_verify_required */
TEST(test_tls_peer_verify_required)
{
	peer_verify_common(TLS_PEER_VERIFY_REQUIRED);
}

/* test_tls_cert_verify_result_opt_common(): client OPTIONAL, server NONE. */
static void verify_result_common(const char *hostname, uint32_t expect)
{
	uint16_t port;
	struct hs h;
	int lfd, cli;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), TLS_PEER_VERIFY_NONE, &port);
	ASSERT_TRUE(lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca),
			 TLS_PEER_VERIFY_OPTIONAL);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, hostname));

	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, expect);
	EXPECT_ECHO(h);
	hs_close(&h);
	zsock_close(lfd);
}

/* Zephyr tls_ext test_tls_cert_verify_result_opt_ok */
TEST(test_tls_cert_verify_result_opt_ok)
{
	verify_result_common("localhost", 0);
}

/* Zephyr tls_ext test_tls_cert_verify_result_opt_bad_cn */
TEST(test_tls_cert_verify_result_opt_bad_cn)
{
	verify_result_common("dummy", X509_BADCERT_CN_MISMATCH);
}

/* test_tls_cert_verify_cb_opt_common(): callback on the client, server NONE. */
static void verify_cb_common(int result)
{
	struct vrfy v = {.ret = result, .clear = true};
	uint16_t port;
	struct hs h;
	int lfd, cli;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), TLS_PEER_VERIFY_NONE, &port);
	ASSERT_TRUE(lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	EXPECT_OK(set_verify_cb(cli, &v));

	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_EQ(v.null_crt, 0);
	if (result == 0) {
		EXPECT_HS_OK(h);
		/* chain ca.pem -> server.pem: the root (depth 1) first, then the leaf */
		EXPECT_EQ(v.calls, 2);
		EXPECT_EQ(v.depth[0], 1);
		EXPECT_EQ(v.depth[1], 0);
		EXPECT_ECHO(h);
	} else {
		EXPECT_HS_ABORTED(h);
		/* Mbed TLS stops at the first callback that fails: the root's */
		EXPECT_EQ(v.calls, 1);
		EXPECT_EQ(v.depth[0], 1);
	}
	hs_close(&h);
	zsock_close(lfd);
}

/* Zephyr tls_ext test_tls_cert_verify_cb_opt_ok */
TEST(test_tls_cert_verify_cb_opt_ok)
{
	verify_cb_common(0);
}

/* Zephyr tls_ext test_tls_cert_verify_cb_opt_bad_cert */
TEST(test_tls_cert_verify_cb_opt_bad_cert)
{
	verify_cb_common(ERR_X509_CERT_VERIFY_FAILED);
}

/* ---- ClientHello capture (test_client_hello_*) ---- */

struct hello {
	int lfd; /* plain TCP listener */
	unsigned char buf[16384 + 5];
	size_t len;
	pthread_t th;
};

/* Accepts one connection, reads the first TLS record, closes. */
static void *hello_main(void *arg)
{
	struct hello *c = arg;
	struct pollfd p = {.fd = c->lfd, .events = POLLIN};
	int fd;

	c->len = 0;
	if (poll(&p, 1, WAIT_MS) != 1) {
		return NULL;
	}
	fd = accept(c->lfd, NULL, NULL);
	if (fd < 0) {
		return NULL;
	}
	for (int i = 0; i < 64; i++) {
		size_t want = c->len < 5 ? 5 : 5 + (((size_t)c->buf[3] << 8) | c->buf[4]);
		ssize_t n;

		if (c->len >= want || want > sizeof(c->buf)) {
			break;
		}
		p.fd = fd;
		if (poll(&p, 1, WAIT_MS) != 1) {
			break;
		}
		n = recv(fd, c->buf + c->len, want - c->len, 0);
		if (n <= 0) {
			break;
		}
		c->len += (size_t)n;
	}
	close(fd);
	return NULL;
}

/*
 * server_name (type 0, RFC 6066 §3) in a ClientHello record: -1 malformed,
 * 0 absent, 1 present with *name / *name_len the first HostName.
 */
static int hello_server_name(const unsigned char *b, size_t len, const unsigned char **name,
			     size_t *name_len)
{
	size_t rec_len, hs_len, pos, end, ext_end;

	if (len < 9 || b[0] != 0x16 || b[5] != 0x01) {
		return -1; /* not a handshake record holding a ClientHello */
	}
	rec_len = ((size_t)b[3] << 8) | b[4];
	hs_len = ((size_t)b[6] << 16) | ((size_t)b[7] << 8) | b[8];
	if (5 + rec_len > len || 4 + hs_len > rec_len) {
		return -1;
	}
	end = 9 + hs_len;
	pos = 9 + 2 + 32; /* legacy_version, random */
	if (pos + 1 > end) {
		return -1;
	}
	pos += 1 + b[pos]; /* session_id */
	if (pos + 2 > end) {
		return -1;
	}
	pos += 2 + (((size_t)b[pos] << 8) | b[pos + 1]); /* cipher_suites */
	if (pos + 1 > end) {
		return -1;
	}
	pos += 1 + b[pos]; /* compression_methods */
	if (pos == end) {
		return 0; /* no extensions at all */
	}
	if (pos + 2 > end) {
		return -1;
	}
	ext_end = pos + 2 + (((size_t)b[pos] << 8) | b[pos + 1]);
	pos += 2;
	if (ext_end != end) {
		return -1;
	}
	while (pos + 4 <= ext_end) {
		size_t type = ((size_t)b[pos] << 8) | b[pos + 1];
		size_t elen = ((size_t)b[pos + 2] << 8) | b[pos + 3];

		pos += 4;
		if (pos + elen > ext_end) {
			return -1;
		}
		if (type == 0) {
			/* ServerNameList<2>: name_type 0 (host_name), HostName<2> */
			size_t list = elen >= 2 ? (((size_t)b[pos] << 8) | b[pos + 1]) : 0;

			if (elen < 5 || list + 2 != elen || b[pos + 2] != 0) {
				return -1;
			}
			*name_len = ((size_t)b[pos + 3] << 8) | b[pos + 4];
			*name = b + pos + 5;
			return 5 + *name_len <= elen ? 1 : -1;
		}
		pos += elen;
	}
	return pos == ext_end ? 0 : -1;
}

enum host_mode {
	HOST_UNSET,
	HOST_NULL,
	HOST_VALUE
};

/*
 * test_client_hello_common(): a verify-NONE client connects to a plain TCP
 * listener that keeps the first record and hangs up; connect() fails.
 */
static void client_hello_common(enum host_mode mode, const char *value, struct hello *c)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(AF_INET, 0, &ss);
	bool started;
	int cli;

	c->len = 0;
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_TRUE(c->lfd >= 0);
	if (bind(c->lfd, (struct sockaddr *)&ss, len) < 0 || listen(c->lfd, 1) < 0) {
		close(c->lfd);
		ASSERT_TRUE(!"bind/listen");
	}
	started = pthread_create(&c->th, NULL, hello_main, c) == 0;
	EXPECT_TRUE(started);

	cli = client_new(AF_INET, IPPROTO_TLS_1_2, NULL, 0, TLS_PEER_VERIFY_NONE);
	EXPECT_TRUE(cli >= 0);
	if (cli >= 0 && mode != HOST_UNSET) {
		EXPECT_OK(set_host(cli, mode == HOST_NULL ? NULL : value));
	}
	if (cli >= 0) {
		len = tu_loopback(AF_INET, tu_local_port(c->lfd), &ss);
		/* the peer closes instead of answering: only the ClientHello matters */
		EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&ss, len), ECONNABORTED);
	}
	if (started) {
		pthread_join(c->th, NULL);
	}
	if (cli >= 0) {
		zsock_close(cli);
	}
	close(c->lfd);
	EXPECT_TRUE(c->len > 0);
}

static struct hello hello_buf; /* large: kept off the stack */

/* Zephyr tls_ext test_client_hello_no_sni: TLS_HOSTNAME never set */
TEST(test_client_hello_no_sni)
{
	const unsigned char *name = NULL;
	size_t name_len = 0;

	client_hello_common(HOST_UNSET, NULL, &hello_buf);
	EXPECT_EQ(hello_server_name(hello_buf.buf, hello_buf.len, &name, &name_len), 0);
}

/* Zephyr tls_ext test_client_hello_no_sni, variant: TLS_HOSTNAME set to NULL */
TEST(test_client_hello_null_hostname_no_sni)
{
	const unsigned char *name = NULL;
	size_t name_len = 0;

	client_hello_common(HOST_NULL, NULL, &hello_buf);
	EXPECT_EQ(hello_server_name(hello_buf.buf, hello_buf.len, &name, &name_len), 0);
}

/*
 * docs/zephyr-behaviour.md §3.11 "SNI is sent only with a non-empty hostname"; RFC 6066
 * HostName<1..2^16-1> cannot be empty: TLS_HOSTNAME "" sends no SNI.
 */
TEST(test_client_hello_empty_hostname_no_sni)
{
	const unsigned char *name = NULL;
	size_t name_len = 0;

	client_hello_common(HOST_VALUE, "", &hello_buf);
	EXPECT_EQ(hello_server_name(hello_buf.buf, hello_buf.len, &name, &name_len), 0);
}

/* Zephyr tls_ext test_client_hello_with_sni */
TEST(test_client_hello_with_sni)
{
	const unsigned char *name = NULL;
	size_t name_len = 0;

	client_hello_common(HOST_VALUE, SNI_HOSTNAME, &hello_buf);
	ASSERT_TRUE(hello_server_name(hello_buf.buf, hello_buf.len, &name, &name_len) == 1);
	EXPECT_EQ(name_len, strlen(SNI_HOSTNAME));
	EXPECT_TRUE(memcmp(name, SNI_HOSTNAME, strlen(SNI_HOSTNAME)) == 0);
}

/* ==== hostname and verification (docs/zephyr-behaviour.md §1.3 option 2, §3.11) ==== */

/*
 * One client against a server presenting @p srv_tag; the client trusts
 * ca.pem, uses @p verify (< 0: default) and @p mode / @p host.
 */
static void verify_case(sec_tag_t srv_tag, int verify, enum host_mode mode, const char *host,
			struct hs *h, int *lfd)
{
	const sec_tag_t st[] = {srv_tag};
	uint16_t port;
	int cli;

	h->cli = h->srv = -1;
	*lfd = -1;
	ASSERT_TRUE(creds() == 0);
	*lfd = server_listen(AF_INET, st, 1, -1, &port);
	ASSERT_TRUE(*lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), verify);
	ASSERT_TRUE(cli >= 0);
	if (mode != HOST_UNSET) {
		EXPECT_OK(set_host(cli, mode == HOST_NULL ? NULL : host));
	}
	run_handshake(*lfd, cli, AF_INET, port, h);
}

static void verify_case_done(struct hs *h, int lfd)
{
	hs_close(h);
	if (lfd >= 0) {
		zsock_close(lfd);
	}
}

/* docs/zephyr-behaviour.md §1.3 option 2: no TLS_HOSTNAME -> "" fails the default check */
TEST(test_hostname_unset_required_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_SERVER, -1, HOST_UNSET, NULL, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.11: with OPTIONAL, the unset hostname shows as a CN mismatch */
TEST(test_hostname_unset_optional_flags_cn_mismatch)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_SERVER, TLS_PEER_VERIFY_OPTIONAL, HOST_UNSET, NULL, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, X509_BADCERT_CN_MISMATCH);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 2: NULL disables the name check (issue #96853) */
TEST(test_hostname_null_localhost_cert_succeeds)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_SERVER, -1, HOST_NULL, NULL, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 2: with NULL even a certificate for another name passes */
TEST(test_hostname_null_wronghost_cert_succeeds)
{
	struct hs h;
	int lfd;

	verify_case(TAG_WRONGHOST, TLS_PEER_VERIFY_REQUIRED, HOST_NULL, NULL, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 2: NULL skips the name only, the chain is still checked */
TEST(test_hostname_null_untrusted_cert_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_UNTRUSTED, TLS_PEER_VERIFY_REQUIRED, HOST_NULL, NULL, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 2: a wrong name with REQUIRED fails the handshake */
TEST(test_hostname_wrong_required_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_SERVER, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "dummy", &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.11: Mbed TLS 3.6 matches an IP literal against the cert's IP SAN */
TEST(test_hostname_ip_san_v4_succeeds)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_SERVER, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "127.0.0.1", &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.11: an IP the certificate does not list is a mismatch */
TEST(test_hostname_ip_san_wrong_ip_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_SERVER, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "127.0.0.2", &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.11: IPv6 literal "::1" against the IP SAN, over ::1 */
TEST(test_hostname_ip_san_v6_succeeds)
{
	uint16_t port;
	struct hs h;
	int lfd, cli;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET6, tags_server, NTAGS(tags_server), -1, &port);
	if (lfd < 0) {
		SKIP("no IPv6 loopback");
	}
	cli = client_new(AF_INET6, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca),
			 TLS_PEER_VERIFY_REQUIRED);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "::1"));
	run_handshake(lfd, cli, AF_INET6, port, &h);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	EXPECT_ECHO(h);
	hs_close(&h);
	zsock_close(lfd);
}

/* docs/zephyr-behaviour.md §3.9: a chain to an unknown root fails the handshake */
TEST(test_verify_untrusted_ca_required_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_UNTRUSTED, -1, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 19: OPTIONAL reports the unknown root as NOT_TRUSTED */
TEST(test_verify_untrusted_ca_optional_flags_not_trusted)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_UNTRUSTED, TLS_PEER_VERIFY_OPTIONAL, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_TRUE(flags & X509_BADCERT_NOT_TRUSTED);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 1: the same certificate passes if its CA is trusted */
TEST(test_verify_untrusted_cert_own_ca_succeeds)
{
	static const sec_tag_t ct[] = {TAG_UNTRUSTED_CA};
	static const sec_tag_t st[] = {TAG_UNTRUSTED};
	uint16_t port;
	struct hs h;
	int lfd, cli;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, st, NTAGS(st), -1, &port);
	ASSERT_TRUE(lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, ct, NTAGS(ct), TLS_PEER_VERIFY_REQUIRED);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	EXPECT_ECHO(h);
	hs_close(&h);
	zsock_close(lfd);
}

/* docs/zephyr-behaviour.md §3.9: an expired certificate fails the handshake with REQUIRED */
TEST(test_verify_expired_required_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_EXPIRED, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 19: OPTIONAL connects and reports BADCERT_EXPIRED */
TEST(test_verify_expired_optional_flags_expired)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_EXPIRED, TLS_PEER_VERIFY_OPTIONAL, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, X509_BADCERT_EXPIRED);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.9: wronghost.pem for "localhost" fails with REQUIRED */
TEST(test_verify_wronghost_required_aborts)
{
	struct hs h;
	int lfd;

	verify_case(TAG_WRONGHOST, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 19: wronghost.pem for "localhost" is a CN mismatch only */
TEST(test_verify_wronghost_optional_flags_cn_mismatch)
{
	struct hs h;
	int lfd;
	uint32_t flags;

	verify_case(TAG_WRONGHOST, TLS_PEER_VERIFY_OPTIONAL, HOST_VALUE, "localhost", &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, X509_BADCERT_CN_MISMATCH);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 2: wronghost.pem matches its own name */
TEST(test_verify_wronghost_own_name_succeeds)
{
	struct hs h;
	int lfd;

	verify_case(TAG_WRONGHOST, TLS_PEER_VERIFY_REQUIRED, HOST_VALUE, "wrong.example.com", &h,
		    &lfd);
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* ==== TLS_CIPHERSUITE_LIST (3) / TLS_CIPHERSUITE_USED (4) ==== */

/*
 * Client restricted to @p csuites, server to @p ssuites (n == 0: default);
 * the handshake, its result left in @p h.
 */
static void suites_case(const int *csuites, int nc, const int *ssuites, int ns, struct hs *h,
			int *lfd)
{
	uint16_t port;
	int cli;

	h->cli = h->srv = -1;
	*lfd = -1;
	ASSERT_TRUE(creds() == 0);
	*lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), -1, &port);
	ASSERT_TRUE(*lfd >= 0);
	if (ns > 0) {
		EXPECT_OK(set_suites(*lfd, ssuites, ns));
	}
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	if (nc > 0) {
		EXPECT_OK(set_suites(cli, csuites, nc));
	}
	run_handshake(*lfd, cli, AF_INET, port, h);
}

/* docs/zephyr-behaviour.md §1.3 options 3, 4: one TLS 1.2 suite, negotiated, seen by both ends */
TEST(test_ciphersuite_used_tls12_single_suite)
{
	static const int cs[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 1, NULL, 0, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_EQ(suite_used(h.cli), SUITE_ECDHE_ECDSA_AES128_GCM);
	if (h.srv >= 0) {
		EXPECT_EQ(suite_used(h.srv), SUITE_ECDHE_ECDSA_AES128_GCM);
	}
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 options 3, 4: a TLS 1.3-only list negotiates TLS 1.3 */
TEST(test_ciphersuite_used_tls13_single_suite)
{
	static const int cs[] = {SUITE_TLS13_AES128_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 1, NULL, 0, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_EQ(suite_used(h.cli), SUITE_TLS13_AES128_GCM);
	if (h.srv >= 0) {
		EXPECT_EQ(suite_used(h.srv), SUITE_TLS13_AES128_GCM);
	}
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 3: the server's list picks among the client's suites */
TEST(test_ciphersuite_used_server_list_decides)
{
	static const int cs[] = {SUITE_ECDHE_ECDSA_AES128_GCM, SUITE_ECDHE_ECDSA_AES256_GCM};
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES256_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 2, ss, 1, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_EQ(suite_used(h.cli), SUITE_ECDHE_ECDSA_AES256_GCM);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.9: no common TLS 1.2 suite -> handshake failure on both ends */
TEST(test_ciphersuite_list_disjoint_tls12_aborts)
{
	static const int cs[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES256_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 1, ss, 1, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	/* docs/zephyr-behaviour.md §1.3 option 4: no suite was negotiated */
	if (h.cli >= 0) {
		EXPECT_EQ(suite_used(h.cli), -ENOTCONN);
	}
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.9: no common TLS 1.3 suite -> handshake failure on both ends */
TEST(test_ciphersuite_list_disjoint_tls13_aborts)
{
	static const int cs[] = {SUITE_TLS13_AES128_GCM};
	static const int ss[] = {SUITE_TLS13_AES256_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 1, ss, 1, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.9: a TLS 1.3-only client against a TLS 1.2-only server */
TEST(test_ciphersuite_list_disjoint_versions_aborts)
{
	static const int cs[] = {SUITE_TLS13_AES128_GCM};
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	struct hs h;
	int lfd;

	suites_case(cs, 1, ss, 1, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 4: no suite yet -> ENOTCONN (new socket, listener) */
TEST(test_ciphersuite_used_before_connect_enotconn)
{
	uint16_t port;
	int v = 0, fd, lfd;
	socklen_t len = sizeof(v);

	fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &v, &len), ENOTCONN);
	zsock_close(fd);

	lfd = tu_listen(AF_INET, IPPROTO_TLS_1_2, &port);
	ASSERT_TRUE(lfd >= 0);
	len = sizeof(v);
	EXPECT_ERRNO(zsock_getsockopt(lfd, SOL_TLS, TLS_CIPHERSUITE_USED, &v, &len), ENOTCONN);
	zsock_close(lfd);
}

/* ==== TLS_ALPN_LIST (7) ==== */

static void alpn_case(const char *const *calpn, int nc, const char *const *salpn, int ns,
		      struct hs *h, int *lfd)
{
	uint16_t port;
	int cli;

	h->cli = h->srv = -1;
	*lfd = -1;
	ASSERT_TRUE(creds() == 0);
	*lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), -1, &port);
	ASSERT_TRUE(*lfd >= 0);
	if (ns > 0) {
		EXPECT_OK(zsock_setsockopt(*lfd, SOL_TLS, TLS_ALPN_LIST, salpn,
					   (socklen_t)(sizeof(char *) * (size_t)ns)));
	}
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	if (nc > 0) {
		EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_ALPN_LIST, calpn,
					   (socklen_t)(sizeof(char *) * (size_t)nc)));
	}
	run_handshake(*lfd, cli, AF_INET, port, h);
}

/* The strings must outlive the sockets (docs/zephyr-behaviour.md §1.3 option 7): static storage. */
static const char *const alpn_h2_http11[] = {"h2", "http/1.1"};
static const char *const alpn_http11[] = {"http/1.1"};
static const char *const alpn_h2[] = {"h2"};

/* docs/zephyr-behaviour.md §1.3 option 7: one protocol in common -> the handshake succeeds */
TEST(test_alpn_overlap_handshake_ok)
{
	struct hs h;
	int lfd;

	alpn_case(alpn_h2_http11, 2, alpn_http11, 1, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §1.3 option 7: a server without ALPN ignores the client's list */
TEST(test_alpn_client_only_handshake_ok)
{
	struct hs h;
	int lfd;

	alpn_case(alpn_h2_http11, 2, NULL, 0, &h, &lfd);
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	verify_case_done(&h, lfd);
}

/* docs/zephyr-behaviour.md §3.9: no protocol in common -> no_application_protocol, ECONNABORTED */
TEST(test_alpn_no_overlap_aborts)
{
	struct hs h;
	int lfd;

	alpn_case(alpn_h2, 1, alpn_http11, 1, &h, &lfd);
	EXPECT_HS_ABORTED(h);
	verify_case_done(&h, lfd);
}

/* ==== session cache (docs/zephyr-behaviour.md §3.10) ==== */

static void cache_purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	if (fd >= 0) {
		(void)zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0);
		zsock_close(fd);
	}
}

/*
 * One connection to the listener: handshake, echo (the client's recv also
 * takes TLS 1.3 tickets), close. Returns how often the client's verify
 * callback ran: 2 for a full handshake, 0 for a resumed one; -1 when the
 * connection failed. *suite gets TLS_CIPHERSUITE_USED.
 */
static int cache_round(int lfd, uint16_t port, int client_cache, int *suite)
{
	struct vrfy v = {.ret = 0};
	struct hs h;
	uint32_t flags = 1;
	int cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	bool ok;

	if (cli < 0) {
		return -1;
	}
	if (set_host(cli, "localhost") < 0 || set_verify_cb(cli, &v) < 0 ||
	    set_int(cli, SOL_TLS, TLS_SESSION_CACHE, client_cache) < 0) {
		zsock_close(cli);
		return -1;
	}
	run_handshake(lfd, cli, AF_INET, port, &h);
	ok = h.crc == 0 && h.srv >= 0;
	if (ok) {
		*suite = suite_used(h.cli);
		ok = echo(__LINE__, h.cli, h.srv) && get_verify_result(h.cli, &flags) == 0 &&
		     flags == 0;
	}
	hs_close(&h);
	return ok ? v.calls : -1;
}

/* A listener with the session cache on or off and an optional suite list. */
static int cache_listener(int server_cache, const int *suites, int n, uint16_t *port)
{
	int lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), -1, port);

	if (lfd < 0) {
		return -1;
	}
	if (set_int(lfd, SOL_TLS, TLS_SESSION_CACHE, server_cache) < 0 ||
	    (n > 0 && set_suites(lfd, suites, n) < 0)) {
		zsock_close(lfd);
		return -1;
	}
	return lfd;
}

/* Full, resumed, purge, full, resumed; @p suite is the expected suite (0: any). */
static void cache_resume_common(const int *suites, int n, int suite)
{
	uint16_t port;
	int lfd, used = 0;

	ASSERT_TRUE(creds() == 0);
	cache_purge();
	lfd = cache_listener(TLS_SESSION_CACHE_ENABLED, suites, n, &port);
	ASSERT_TRUE(lfd >= 0);

	EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_ENABLED, &used), 2); /* full */
	if (suite != 0) {
		EXPECT_EQ(used, suite);
	}
	EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_ENABLED, &used), 0); /* resumed */
	if (suite != 0) {
		EXPECT_EQ(used, suite);
	}
	cache_purge();
	EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_ENABLED, &used), 2); /* full again */
	EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_ENABLED, &used), 0); /* resumed */

	zsock_close(lfd);
	cache_purge();
}

/* docs/zephyr-behaviour.md §3.10: TLS 1.2 (server limited to 0xC02B) resumes from the cache */
TEST(test_session_cache_tls12_resumes_until_purge)
{
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES128_GCM};

	cache_resume_common(ss, 1, SUITE_ECDHE_ECDSA_AES128_GCM);
}

/* docs/zephyr-behaviour.md §3.10, PR #113405: TLS 1.3 resumes with a ticket read after connect */
TEST(test_session_cache_tls13_resumes_until_purge)
{
	static const int ss[] = {SUITE_TLS13_AES128_GCM};

	cache_resume_common(ss, 1, SUITE_TLS13_AES128_GCM);
}

/* docs/zephyr-behaviour.md §1.3 option 12: cache off on the client -> always a full handshake */
TEST(test_session_cache_client_disabled_full_handshakes)
{
	static const int tls12[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	static const int tls13[] = {SUITE_TLS13_AES128_GCM};
	const int *lists[] = {tls12, tls13};
	uint16_t port;
	int used = 0;

	ASSERT_TRUE(creds() == 0);
	cache_purge();
	for (int i = 0; i < 2; i++) {
		int lfd = cache_listener(TLS_SESSION_CACHE_ENABLED, lists[i], 1, &port);

		ASSERT_TRUE(lfd >= 0);
		for (int r = 0; r < 3; r++) {
			EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_DISABLED, &used), 2);
		}
		zsock_close(lfd);
	}
	cache_purge();
}

/* docs/zephyr-behaviour.md §1.3 option 12: cache off on the server -> always a full handshake */
TEST(test_session_cache_server_disabled_full_handshakes)
{
	static const int tls12[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	static const int tls13[] = {SUITE_TLS13_AES128_GCM};
	const int *lists[] = {tls12, tls13};
	uint16_t port;
	int used = 0;

	ASSERT_TRUE(creds() == 0);
	cache_purge();
	for (int i = 0; i < 2; i++) {
		int lfd = cache_listener(TLS_SESSION_CACHE_DISABLED, lists[i], 1, &port);

		ASSERT_TRUE(lfd >= 0);
		for (int r = 0; r < 3; r++) {
			EXPECT_EQ(cache_round(lfd, port, TLS_SESSION_CACHE_ENABLED, &used), 2);
		}
		zsock_close(lfd);
	}
	cache_purge();
}

/* docs/zephyr-behaviour.md §3.10: the client cache is keyed by peer address: other port, miss */
TEST(test_session_cache_other_port_full_handshake)
{
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	uint16_t port1, port2;
	int lfd1, lfd2, used = 0;

	ASSERT_TRUE(creds() == 0);
	cache_purge();
	lfd1 = cache_listener(TLS_SESSION_CACHE_ENABLED, ss, 1, &port1);
	ASSERT_TRUE(lfd1 >= 0);
	lfd2 = cache_listener(TLS_SESSION_CACHE_ENABLED, ss, 1, &port2);
	if (lfd2 < 0) {
		zsock_close(lfd1);
		ASSERT_TRUE(lfd2 >= 0);
	}
	EXPECT_EQ(cache_round(lfd1, port1, TLS_SESSION_CACHE_ENABLED, &used), 2);
	EXPECT_EQ(cache_round(lfd2, port2, TLS_SESSION_CACHE_ENABLED, &used), 2);
	zsock_close(lfd1);
	zsock_close(lfd2);
	cache_purge();
}

/* ==== accept() inherits the listener's options (docs/zephyr-behaviour.md §3.12) ==== */

/* A client of the mutual-auth listener, with or without client.pem. */
static void mutual_round(int lfd, uint16_t port, bool with_cert, struct hs *h)
{
	int cli = with_cert ? client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca_client,
					 NTAGS(tags_ca_client), -1)
			    : client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);

	h->cli = h->srv = -1;
	h->crc = -1;
	h->serr = 0;
	if (cli < 0) {
		return;
	}
	(void)set_host(cli, "localhost");
	run_handshake(lfd, cli, AF_INET, port, h);
}

/*
 * The server refused a client without certificate. The client sees it in
 * connect() (TLS 1.2) or, since a TLS 1.3 client finishes first, in its
 * first recv() (certificate_required alert); either way ECONNABORTED.
 */
static void expect_client_refused(int line, struct hs *h)
{
	char b[8];
	ssize_t n;

	if (h->srv != -1 || h->serr != ECONNABORTED) {
		th_fail(__FILE__, line, "accept: fd %d errno %d, expected -1 ECONNABORTED", h->srv,
			h->serr);
	}
	if (h->crc == -1) {
		if (h->cerr != ECONNABORTED) {
			th_fail(__FILE__, line, "connect errno %d, expected ECONNABORTED", h->cerr);
		}
		return;
	}
	/*
	 * TLS 1.3: the client learns of the refusal in its first recv.
	 * docs/zephyr-behaviour.md §3.4/§3.9: an Mbed TLS error in recv is EIO
	 * (not latched); a later call reports the dead connection as ECONNABORTED.
	 */
	errno = 0;
	n = zsock_recv(h->cli, b, sizeof(b), 0);
	if (n != -1 || (errno != EIO && errno != ECONNABORTED)) {
		th_fail(__FILE__, line, "recv after refusal: %zd errno %d, expected EIO", n, errno);
	}
}

/*
 * docs/zephyr-behaviour.md §3.12: TLS_PEER_VERIFY REQUIRED + CA tag of the listener apply to
 * accepted sockets
 */
TEST(test_accept_inherits_peer_verify_required)
{
	uint16_t port;
	struct hs h;
	int lfd;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_ca_server, NTAGS(tags_ca_server),
			    TLS_PEER_VERIFY_REQUIRED, &port);
	ASSERT_TRUE(lfd >= 0);

	mutual_round(lfd, port, true, &h);
	EXPECT_HS_OK(h);
	if (h.srv >= 0) {
		EXPECT_OK(get_verify_result(h.srv, &flags));
		EXPECT_EQ(flags, 0); /* client.pem checked against ca.pem */
	}
	EXPECT_ECHO(h);
	hs_close(&h);

	mutual_round(lfd, port, false, &h);
	expect_client_refused(__LINE__, &h);
	hs_close(&h);
	zsock_close(lfd);
}

/* docs/zephyr-behaviour.md §3.12: a listener option changed between accepts applies to the next */
TEST(test_accept_listener_change_applies_to_next_accept)
{
	uint16_t port;
	struct hs h;
	int lfd;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_ca_server, NTAGS(tags_ca_server), TLS_PEER_VERIFY_NONE,
			    &port);
	ASSERT_TRUE(lfd >= 0);

	mutual_round(lfd, port, false, &h); /* NONE: no certificate needed */
	EXPECT_HS_OK(h);
	EXPECT_ECHO(h);
	hs_close(&h);

	EXPECT_OK(set_int(lfd, SOL_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_REQUIRED));
	mutual_round(lfd, port, false, &h); /* REQUIRED: refused */
	expect_client_refused(__LINE__, &h);
	hs_close(&h);

	EXPECT_OK(set_int(lfd, SOL_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_OPTIONAL));
	mutual_round(lfd, port, false, &h); /* OPTIONAL: accepted, flagged */
	EXPECT_HS_OK(h);
	if (h.srv >= 0) {
		EXPECT_OK(get_verify_result(h.srv, &flags));
		EXPECT_TRUE(flags & X509_BADCERT_MISSING);
	}
	EXPECT_ECHO(h);
	hs_close(&h);

	/* the tag list too: without the CA, REQUIRED cannot verify client.pem */
	EXPECT_OK(set_int(lfd, SOL_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_REQUIRED));
	EXPECT_OK(set_tags(lfd, tags_server, NTAGS(tags_server)));
	mutual_round(lfd, port, true, &h);
	expect_client_refused(__LINE__, &h);
	hs_close(&h);
	zsock_close(lfd);
}

/* docs/zephyr-behaviour.md §3.12: tags, suites and SO_RCVTIMEO are cloned into accepted sockets */
TEST(test_accept_inherits_tags_suites_timeouts)
{
	static const int ss[] = {SUITE_ECDHE_ECDSA_AES128_GCM};
	sec_tag_t tags[4] = {0};
	int suites[4] = {0};
	struct zsock_timeval tv = {0, 0};
	struct timespec t0;
	socklen_t len;
	uint16_t port;
	struct hs h;
	int lfd, cli;
	long ms;
	char b[4];

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_ca_server, NTAGS(tags_ca_server), -1, &port);
	ASSERT_TRUE(lfd >= 0);
	EXPECT_OK(set_suites(lfd, ss, 1));
	EXPECT_OK(set_timeo(lfd, SO_RCVTIMEO, 300));
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));

	run_handshake_ex(lfd, cli, AF_INET, port, &h, false); /* keep the inherited timeout */
	EXPECT_HS_OK(h);
	ASSERT_TRUE(h.crc == 0 && h.srv >= 0);
	len = sizeof(tags);
	EXPECT_OK(zsock_getsockopt(h.srv, SOL_TLS, TLS_SEC_TAG_LIST, tags, &len));
	EXPECT_EQ(len, sizeof(tags_ca_server));
	EXPECT_EQ(tags[0], TAG_CA);
	EXPECT_EQ(tags[1], TAG_SERVER);
	len = sizeof(suites);
	EXPECT_OK(zsock_getsockopt(h.srv, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, &len));
	EXPECT_EQ(len, sizeof(int));
	EXPECT_EQ(suites[0], SUITE_ECDHE_ECDSA_AES128_GCM);
	EXPECT_EQ(suite_used(h.srv), SUITE_ECDHE_ECDSA_AES128_GCM);

	len = sizeof(tv);
	EXPECT_OK(zsock_getsockopt(h.srv, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	EXPECT_EQ(tv.tv_sec, 0);
	EXPECT_EQ(tv.tv_usec, 300000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ERRNO(zsock_recv(h.srv, b, sizeof(b), 0), EAGAIN);
	ms = ms_since(&t0);
	EXPECT_TRUE(ms >= 250 && ms < 3000);

	EXPECT_ECHO(h);
	hs_close(&h);
	zsock_close(lfd);
}

/* ==== options after connect (docs/zephyr-behaviour.md §1.3 "no option is rejected", §3.12) ==== */

/* docs/zephyr-behaviour.md §3.12: TLS_SEC_TAG_LIST / TLS_PEER_VERIFY after connect: 0, no effect */
TEST(test_opts_after_connect_tags_verify_keep_session)
{
	uint16_t port;
	struct hs h;
	int lfd, cli, before_c, before_s;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), -1, &port);
	ASSERT_TRUE(lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_HS_OK(h);
	ASSERT_TRUE(h.crc == 0 && h.srv >= 0);
	before_c = suite_used(h.cli);
	before_s = suite_used(h.srv);
	EXPECT_ECHO(h);

	/* client: another tag list and verification level */
	EXPECT_OK(set_tags(h.cli, tags_ca_client, NTAGS(tags_ca_client)));
	EXPECT_OK(set_int(h.cli, SOL_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_NONE));
	/* server: demand a client certificate now, with the CA */
	EXPECT_OK(set_tags(h.srv, tags_ca_server, NTAGS(tags_ca_server)));
	EXPECT_OK(set_int(h.srv, SOL_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_REQUIRED));

	EXPECT_ECHO(h);
	EXPECT_ECHO(h);
	EXPECT_EQ(suite_used(h.cli), before_c);
	EXPECT_EQ(suite_used(h.srv), before_s);
	hs_close(&h);
	zsock_close(lfd);
}

/* docs/zephyr-behaviour.md §1.3: every other settable option after connect also returns 0 */
TEST(test_opts_after_connect_others_keep_session)
{
	static const int cs[] = {SUITE_ECDHE_ECDSA_AES256_GCM};
	uint16_t port;
	struct hs h;
	int lfd, cli, before;
	uint32_t flags;

	ASSERT_TRUE(creds() == 0);
	lfd = server_listen(AF_INET, tags_server, NTAGS(tags_server), -1, &port);
	ASSERT_TRUE(lfd >= 0);
	cli = client_new(AF_INET, IPPROTO_TLS_1_2, tags_ca, NTAGS(tags_ca), -1);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_host(cli, "localhost"));
	run_handshake(lfd, cli, AF_INET, port, &h);
	EXPECT_HS_OK(h);
	ASSERT_TRUE(h.crc == 0 && h.srv >= 0);
	before = suite_used(h.cli);

	EXPECT_OK(set_host(h.cli, "other.example.org"));
	EXPECT_OK(set_suites(h.cli, cs, 1));
	EXPECT_OK(zsock_setsockopt(h.cli, SOL_TLS, TLS_ALPN_LIST, alpn_h2, sizeof(alpn_h2)));
	EXPECT_OK(set_int(h.cli, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED));
	EXPECT_OK(set_int(h.cli, SOL_TLS, TLS_CERT_NOCOPY, TLS_CERT_NOCOPY_OPTIONAL));
	EXPECT_OK(set_suites(h.srv, cs, 1));
	EXPECT_OK(set_host(h.srv, "localhost"));

	EXPECT_ECHO(h);
	EXPECT_EQ(suite_used(h.cli), before);
	EXPECT_OK(get_verify_result(h.cli, &flags));
	EXPECT_EQ(flags, 0);
	hs_close(&h);
	zsock_close(lfd);
}
