/*
 * SECSOCK_TLS_ASYNC_HANDSHAKE against independent servers: a non-blocking
 * secsock client connects to openssl s_server and gnutls-serv (TLS 1.2, TLS
 * 1.3, DTLS 1.2): connect() says EINPROGRESS, zsock_poll() drives the
 * handshake and reports POLLOUT, then data flows both ways. Against a
 * server whose certificate an untrusted CA signed: POLLERR, SO_ERROR
 * ECONNABORTED (once), TLS_CERT_VERIFY_RESULT with NOT_TRUSTED.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "peer_fixture.h"
#include "testutil.h"

#define TAG_CA  4301 /* ca.pem */
#define WAIT_MS 10000

#define X509_BADCERT_NOT_TRUSTED 0x08u /* Mbed TLS 3.6 x509.h */

enum kind {
	TLS12,
	TLS13,
	DTLS12
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool creds(void)
{
	static int rc = 1;

	if (rc == 1) {
		rc = tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	}
	return rc == 0;
}

#define NEED(prog)                                                                                 \
	do {                                                                                       \
		if (!tu_have(prog))                                                                \
			SKIP(prog " not installed (tools/deps.sh installs it)");                   \
		if (!creds())                                                                      \
			SKIP("test credentials could not be loaded");                              \
	} while (0)

/* The server starts (and, for TCP, listens) within WAIT_MS. */
static bool server_up(struct pf_peer *p, const char *needle, enum kind k, uint16_t port)
{
	if (!pf_peer_wait(p, needle, WAIT_MS)) {
		th_fail(__FILE__, __LINE__, "%s did not start", p->name);
		return false;
	}
	return k == DTLS12 || tu_wait_port(AF_INET, port, WAIT_MS);
}

/*
 * connect() a non-blocking client with the option, then poll it until
 * POLLOUT or POLLERR. Returns the socket (also after a failure) or -1.
 */
static int async_connect(enum kind k, uint16_t port, short *revents, int *connect_err)
{
	int proto = k == TLS13 ? IPPROTO_TLS_1_3 : k == DTLS12 ? IPPROTO_DTLS_1_2 : IPPROTO_TLS_1_2;
	int type = (k == DTLS12 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK;
	int fd = zsock_socket(AF_INET, type, proto);
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, port, &sa);
	sec_tag_t tag = TAG_CA;
	int one = 1;
	int64_t end = now_ms() + WAIT_MS;

	*revents = 0;
	*connect_err = 0;
	if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0) {
		th_fail(__FILE__, __LINE__, "client set-up: %s", strerror(errno));
		return fd;
	}
	errno = 0;
	if (zsock_connect(fd, (struct sockaddr *)&sa, sl) == 0) {
		/* the peer answered every flight while connect ran (a loaded machine): done */
		*revents = POLLOUT;
	} else if (errno == ECONNABORTED) {
		/* ... or the handshake failed already: what poll would have said, with SO_ERROR
		 * read */
		*revents = POLLERR;
		*connect_err = errno;
	} else {
		EXPECT_EQ(errno, EINPROGRESS);
	}
	while (*revents == 0 && now_ms() < end) {
		struct zsock_pollfd p = {.fd = fd, .events = POLLOUT};

		if (zsock_poll(&p, 1, 100) > 0) {
			*revents = p.revents;
		}
	}
	return fd;
}

/* Data both ways once POLLOUT said the handshake is done. */
static void exchange(int fd, struct pf_peer *p, bool echo)
{
	char buf[256];
	int64_t end = now_ms() + WAIT_MS;
	ssize_t n = -1;

	EXPECT_EQ(zsock_send(fd, "from-secsock\n", 13, 0), 13);
	if (!echo) {
		EXPECT_TRUE(pf_peer_wait(p, "from-secsock", WAIT_MS));
		pf_peer_write(p, "from-peer\n");
	}
	while (n < 0 && now_ms() < end) {
		struct zsock_pollfd q = {.fd = fd, .events = POLLIN};

		if (zsock_poll(&q, 1, 100) > 0 && (q.revents & POLLIN)) {
			n = zsock_recv(fd, buf, sizeof(buf) - 1, 0);
		}
	}
	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	EXPECT_TRUE(strstr(buf, echo ? "from-secsock" : "from-peer") != NULL);
}

static void openssl_case(enum kind k, bool untrusted)
{
	struct pf_argv a = {0};
	struct pf_peer p;
	uint16_t port = tu_free_port(AF_INET, k == DTLS12 ? SOCK_DGRAM : SOCK_STREAM);
	short rev;
	int cerr;
	int fd;

	pf_arg(&a, "openssl");
	pf_arg(&a, "s_server");
	pf_arg(&a, "%s", k == TLS12 ? "-tls1_2" : k == TLS13 ? "-tls1_3" : "-dtls1_2");
	if (k == DTLS12) {
		pf_arg(&a, "-listen");
	}
	pf_arg(&a, "-accept");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-cert");
	pf_arg(&a, "%s", tu_cert_path(untrusted ? "untrusted.pem" : "server.pem"));
	pf_arg(&a, "-key");
	pf_arg(&a, "%s", tu_cert_path(untrusted ? "untrusted.key" : "server.key"));
	ASSERT_TRUE(pf_peer_start(&p, "openssl s_server", &a, 1 << 20, PF_STDIN));
	if (!server_up(&p, "ACCEPT", k, port)) {
		pf_peer_stop(&p);
		return;
	}
	fd = async_connect(k, port, &rev, &cerr);
	if (untrusted) {
		uint32_t flags = 0;
		socklen_t fl = sizeof(flags);
		int err = -1;
		socklen_t el = sizeof(err);

		EXPECT_TRUE(rev & POLLERR);
		EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &fl));
		EXPECT_TRUE(flags & X509_BADCERT_NOT_TRUSTED);
		EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el));
		if (cerr == 0) {
			EXPECT_EQ(err, ECONNABORTED);
		} else {
			/* connect() itself reported it; SO_ERROR may still hold it once */
			EXPECT_TRUE(err == ECONNABORTED || err == 0);
		}
		EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el));
		EXPECT_EQ(err, 0);
	} else {
		EXPECT_EQ(rev, POLLOUT);
		if (rev == POLLOUT) {
			exchange(fd, &p, false);
		}
	}
	if (fd >= 0) {
		zsock_close(fd);
	}
	pf_peer_stop(&p);
}

static void gnutls_case(enum kind k)
{
	struct pf_argv a = {0};
	struct pf_peer p;
	uint16_t port = tu_free_port(AF_INET, k == DTLS12 ? SOCK_DGRAM : SOCK_STREAM);
	short rev;
	int cerr;
	int fd;

	pf_arg(&a, "gnutls-serv");
	pf_arg(&a, "--echo");
	if (k == DTLS12) {
		pf_arg(&a, "--udp");
	}
	pf_arg(&a, "--port=%u", port);
	pf_arg(&a, "--priority=%s",
	       k == TLS12   ? "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-DTLS1.2"
	       : k == TLS13 ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
			    : "NORMAL");
	pf_arg(&a, "--x509certfile=%s", tu_cert_path("server.pem"));
	pf_arg(&a, "--x509keyfile=%s", tu_cert_path("server.key"));
	ASSERT_TRUE(pf_peer_start(&p, "gnutls-serv", &a, 1 << 20, 0));
	if (!server_up(&p, GNUTLS_SERV_BOUND, k, port)) {
		pf_peer_stop(&p);
		return;
	}
	fd = async_connect(k, port, &rev, &cerr);
	EXPECT_EQ(cerr, 0);
	EXPECT_EQ(rev, POLLOUT);
	if (rev == POLLOUT) {
		exchange(fd, &p, true);
	}
	if (fd >= 0) {
		zsock_close(fd);
	}
	pf_peer_stop(&p);
}

/* issue 9: non-blocking client -> openssl s_server, TLS 1.2 */
TEST(test_async_openssl_tls12)
{
	NEED("openssl");
	openssl_case(TLS12, false);
}

/* issue 9: non-blocking client -> openssl s_server, TLS 1.3 */
TEST(test_async_openssl_tls13)
{
	NEED("openssl");
	openssl_case(TLS13, false);
}

/* issue 9: non-blocking client -> openssl s_server -dtls1_2 -listen */
TEST(test_async_openssl_dtls12)
{
	NEED("openssl");
	openssl_case(DTLS12, false);
}

/* issue 9: an untrusted certificate: POLLERR, SO_ERROR ECONNABORTED, the verify flags */
TEST(test_async_openssl_untrusted_tls12)
{
	NEED("openssl");
	openssl_case(TLS12, true);
}

TEST(test_async_openssl_untrusted_tls13)
{
	NEED("openssl");
	openssl_case(TLS13, true);
}

TEST(test_async_openssl_untrusted_dtls12)
{
	NEED("openssl");
	openssl_case(DTLS12, true);
}

/* issue 9: non-blocking client -> gnutls-serv --echo */
TEST(test_async_gnutls_tls12)
{
	NEED("gnutls-serv");
	gnutls_case(TLS12);
}

TEST(test_async_gnutls_tls13)
{
	NEED("gnutls-serv");
	gnutls_case(TLS13);
}

TEST(test_async_gnutls_dtls12)
{
	NEED("gnutls-serv");
	gnutls_case(DTLS12);
}
