/*
 * SECSOCK_TLS_HIBERNATE against OpenSSL (docs/interop.md): a secsock client
 * with the option on talks to `openssl s_server -tls1_2`, and a secsock
 * server with it on (set on the listener, inherited by the accepted socket)
 * to `openssl s_client -tls1_2`. Between messages the secsock side idles
 * longer than N ms in zsock_poll() or in a blocking recv(), so it hibernates
 * and wakes many times in one session; the debug output (secsock_debug())
 * proves each hibernation, and the peer seeing every line intact proves the
 * wakes. The peer is killed and reaped also when a case fails; every wait is
 * bounded. Skipped, saying why, when openssl is not installed.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <secsock/secsock.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "peer_fixture.h"
#include "testutil.h"

#define TAG_CA     7600
#define TAG_SERVER 7601
#define HIB_MS     20
#define GAP_MS     80 /* longer than HIB_MS: each gap is a hibernation */
#define WAIT_MS    10000
#define ROUNDS     6
#define LATE_MS    150 /* a blocking recv's wait: well past HIB_MS even on a loaded machine */
#define OUT_CAP    (1 << 20)

static atomic_int hibernations;
static atomic_int wakes;

static void sink(void *arg, int level, const char *origin, const char *line)
{
	(void)arg;
	(void)level;
	if (strcmp(origin, "secsock") != 0) {
		return;
	}
	if (strstr(line, ": hibernated") != NULL) {
		atomic_fetch_add(&hibernations, 1);
	} else if (strstr(line, ": woke from hibernation") != NULL) {
		atomic_fetch_add(&wakes, 1);
	}
}

static bool ready(void)
{
	static int rc = -1;

	if (rc < 0) {
		rc = tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") |
		     tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem") |
		     tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	}
	atomic_store(&hibernations, 0);
	atomic_store(&wakes, 0);
	(void)secsock_debug(2, sink, NULL);
	return rc == 0;
}

static int set_int(int fd, int level, int opt, int v)
{
	return zsock_setsockopt(fd, level, opt, &v, sizeof(v));
}

static int set_rcvtimeo(int fd, int ms)
{
	struct zsock_timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Receive until @p needle is in @p buf (NUL-terminated); bounded by SO_RCVTIMEO per call. */
static bool recv_until(int fd, char *buf, size_t size, const char *needle)
{
	size_t used = strlen(buf);

	for (int i = 0; i < 64 && strstr(buf, needle) == NULL; i++) {
		ssize_t n;

		if (used + 1 >= size) {
			return false;
		}
		n = zsock_recv(fd, buf + used, size - used - 1, 0);
		if (n <= 0) {
			return false;
		}
		used += (size_t)n;
		buf[used] = 0;
	}
	return strstr(buf, needle) != NULL;
}

static int get_int(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return zsock_getsockopt(fd, level, opt, &v, &len) < 0 ? -1 : v;
}

/* Write a line to a peer's stdin after a delay (from a thread: the test waits in recv meanwhile).
 */
struct late_write {
	int fd;
	int ms;
	const char *line;
	atomic_bool ok;
};

static void *late_main(void *arg)
{
	struct late_write *w = arg;

	usleep((useconds_t)w->ms * 1000);
	atomic_store(&w->ok, write(w->fd, w->line, strlen(w->line)) == (ssize_t)strlen(w->line));
	return NULL;
}

static bool send_str(int fd, const char *s)
{
	size_t len = strlen(s);

	return zsock_send(fd, s, len, 0) == (ssize_t)len;
}

/*
 * Idle in zsock_poll() (nothing may arrive) for @p ms, and on (in @p ms
 * slices, 2 s at most: a loaded machine may wake a poll late) until the
 * debug output counted a hibernation since @p h0, if @p h0 >= 0.
 */
static bool quiet_poll_h(int fd, int ms, int h0)
{
	struct zsock_pollfd p = {.fd = fd, .events = ZSOCK_POLLIN};
	bool quiet = zsock_poll(&p, 1, ms) == 0;

	for (int i = 0; h0 >= 0 && quiet && i < 2000 / ms && atomic_load(&hibernations) <= h0;
	     i++) {
		quiet = zsock_poll(&p, 1, ms) == 0;
	}
	return quiet;
}

static bool quiet_poll(int fd, int ms)
{
	return quiet_poll_h(fd, ms, -1);
}

/*
 * secsock client, HIBERNATE 20 ms -> openssl s_server -tls1_2: lines both
 * ways with 80 ms gaps (zsock_poll, and a blocking recv that times out),
 * s_server's lines arriving while the client is hibernated; then close(),
 * which sends close_notify from a hibernated session.
 */
TEST(test_interop_hibernate_secclient_vs_openssl_s_server_tls12)
{
	struct pf_peer p = {0};
	struct pf_argv a = {0};
	struct sockaddr_storage ss;
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	socklen_t len = tu_loopback(AF_INET, port, &ss);
	sec_tag_t tag = TAG_CA;
	int fd = -1, h0;
	char buf[4096] = "", line[64], byte;

	if (!tu_have("openssl")) {
		SKIP("openssl not installed (tools/deps.sh installs it)");
	}
	ASSERT_TRUE(ready());
	pf_arg(&a, "openssl");
	pf_arg(&a, "s_server");
	pf_arg(&a, "-tls1_2");
	pf_arg(&a, "-accept");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-cert");
	pf_arg(&a, "%s", tu_cert_path("server.pem"));
	pf_arg(&a, "-key");
	pf_arg(&a, "%s", tu_cert_path("server.key"));
	ASSERT_TRUE(pf_peer_start(&p, "openssl s_server", &a, OUT_CAP, PF_STDIN));
	if (!tu_wait_port(AF_INET, port, WAIT_MS)) {
		th_fail(__FILE__, __LINE__, "s_server never listened");
		goto out;
	}
	fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    set_int(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS) < 0 ||
	    set_rcvtimeo(fd, WAIT_MS / 2) < 0 ||
	    zsock_connect(fd, (struct sockaddr *)&ss, len) < 0) {
		th_fail(__FILE__, __LINE__, "secsock client: %s", strerror(errno));
		goto out;
	}
	EXPECT_EQ(get_int(fd, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0x0303);
	for (int i = 0; i < ROUNDS; i++) {
		/* idle, hibernated (from round 1 on, since the recv below); our line wakes it */
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(fd, GAP_MS, i == 0 ? h0 : -1));
		EXPECT_TRUE(i > 0 || atomic_load(&hibernations) > h0);
		(void)snprintf(line, sizeof(line), "ping %d from secsock\n", i);
		EXPECT_TRUE(send_str(fd, line));
		line[strlen(line) - 1] = 0;
		EXPECT_TRUE(pf_peer_wait(&p, line, WAIT_MS));
		/* idle again, then s_server's line arrives for a hibernated client */
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(fd, GAP_MS, h0));
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		(void)snprintf(line, sizeof(line), "pong %d from openssl\n", i);
		pf_peer_write(&p, line);
		EXPECT_TRUE(recv_until(fd, buf, sizeof(buf), line));
		/* a blocking recv that waits past N ms hibernates inside the wait */
		h0 = atomic_load(&hibernations);
		EXPECT_EQ(set_rcvtimeo(fd, LATE_MS), 0);
		EXPECT_TRUE(zsock_recv(fd, &byte, 1, 0) == -1 && errno == EAGAIN);
		EXPECT_EQ(set_rcvtimeo(fd, WAIT_MS / 2), 0);
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
	}
	EXPECT_TRUE(atomic_load(&hibernations) >= 2 * ROUNDS + 1);
	EXPECT_TRUE(atomic_load(&wakes) >= 2 * ROUNDS);
	/* close_notify from the hibernated session: s_server reports a clean close */
	EXPECT_TRUE(quiet_poll(fd, GAP_MS));
	EXPECT_OK(zsock_close(fd));
	fd = -1;
	/* two connections end: the port probe's (tu_wait_port: no TLS), then ours */
	for (int i = 0; i < WAIT_MS / 50 && pf_peer_count(&p, "CONNECTION CLOSED") < 2; i++) {
		usleep(50 * 1000);
	}
	EXPECT_EQ(pf_peer_count(&p, "CONNECTION CLOSED"), 2);
	/* ours with close_notify: the only "unexpected eof" s_server reports is the probe's */
	EXPECT_EQ(pf_peer_count(&p, "unexpected eof"), 1);
out:
	if (fd >= 0) {
		zsock_close(fd);
	}
	(void)secsock_debug(0, NULL, NULL);
	pf_peer_stop(&p);
}

/*
 * secsock server (HIBERNATE 20 ms on the listener, inherited) <- openssl
 * s_client -tls1_2: s_client's lines arrive for a hibernated server socket
 * (waiting in zsock_poll, or in a blocking recv), each reply goes back after
 * a wake; then close() of the hibernated socket: s_client sees close_notify
 * and ends by itself.
 */
TEST(test_interop_hibernate_secserver_vs_openssl_s_client_tls12)
{
	struct pf_peer p = {0};
	struct pf_argv a = {0};
	struct sockaddr_storage ss;
	uint16_t port = 0;
	socklen_t len;
	sec_tag_t tag = TAG_SERVER;
	int lst = -1, fd = -1, v = 0, h0;
	socklen_t vl = sizeof(v);
	char buf[4096] = "", line[64];

	if (!tu_have("openssl")) {
		SKIP("openssl not installed (tools/deps.sh installs it)");
	}
	ASSERT_TRUE(ready());
	lst = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	len = tu_loopback(AF_INET, 0, &ss);
	if (lst < 0 || zsock_setsockopt(lst, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    set_int(lst, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS) < 0 ||
	    zsock_bind(lst, (struct sockaddr *)&ss, len) < 0 || zsock_listen(lst, 4) < 0) {
		th_fail(__FILE__, __LINE__, "secsock listener: %s", strerror(errno));
		goto out;
	}
	port = tu_local_port(lst);
	pf_arg(&a, "openssl");
	pf_arg(&a, "s_client");
	pf_arg(&a, "-tls1_2");
	pf_arg(&a, "-connect");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-servername");
	pf_arg(&a, "localhost");
	pf_arg(&a, "-CAfile");
	pf_arg(&a, "%s", tu_cert_path("ca.pem"));
	pf_arg(&a, "-verify_return_error");
	ASSERT_TRUE(pf_peer_start(&p, "openssl s_client", &a, OUT_CAP, PF_STDIN));
	fd = zsock_accept(lst, NULL, NULL);
	if (fd < 0 || set_rcvtimeo(fd, WAIT_MS / 2) < 0) {
		th_fail(__FILE__, __LINE__, "accept: %s", strerror(errno));
		goto out;
	}
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &vl));
	EXPECT_EQ(v, HIB_MS); /* inherited from the listener */
	EXPECT_EQ(get_int(fd, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0x0303);
	EXPECT_TRUE(pf_peer_wait(&p, "Verify return code: 0", WAIT_MS));
	for (int i = 0; i < ROUNDS; i++) {
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(fd, GAP_MS, h0));
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		(void)snprintf(line, sizeof(line), "ping %d from openssl\n", i);
		pf_peer_write(&p, line);
		EXPECT_TRUE(recv_until(fd, buf, sizeof(buf), line));
		(void)snprintf(line, sizeof(line), "pong %d from secsock\n", i);
		EXPECT_TRUE(send_str(fd, line));
		line[strlen(line) - 1] = 0;
		EXPECT_TRUE(pf_peer_wait(&p, line, WAIT_MS));
		/* s_client's next line arrives while a blocking recv hibernated in its wait */
		h0 = atomic_load(&hibernations);
		(void)snprintf(line, sizeof(line), "late %d from openssl\n", i);
		{
			struct late_write w = {.fd = p.in, .ms = LATE_MS, .line = line};
			char got[256] = "";
			pthread_t th;
			bool started = pthread_create(&th, NULL, late_main, &w) == 0;

			EXPECT_TRUE(started);
			EXPECT_TRUE(recv_until(fd, got, sizeof(got), line));
			if (started) {
				pthread_join(th,
					     NULL); /* bounded: it sleeps GAP_MS, then one write */
			}
			EXPECT_TRUE(atomic_load(&w.ok));
		}
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
	}
	EXPECT_TRUE(atomic_load(&hibernations) >= 2 * ROUNDS);
	EXPECT_TRUE(atomic_load(&wakes) >= 2 * ROUNDS);
	/* close of the hibernated socket: close_notify, and s_client ends by itself */
	EXPECT_TRUE(quiet_poll(fd, GAP_MS));
	EXPECT_OK(zsock_close(fd));
	fd = -1;
	EXPECT_TRUE(pf_peer_reaped(&p, WAIT_MS));
	EXPECT_TRUE(!pf_peer_has(&p, "errno=") && !pf_peer_has(&p, "error:"));
out:
	if (fd >= 0) {
		zsock_close(fd);
	}
	if (lst >= 0) {
		zsock_close(lst);
	}
	(void)secsock_debug(0, NULL, NULL);
	pf_peer_stop(&p);
}

/*
 * DTLS 1.2: a secsock client with HIBERNATE 20 ms -> openssl s_server
 * -dtls1_2 (cookie exchange on): datagrams both ways with 80 ms gaps in
 * zsock_poll(), each gap a hibernation; s_server's lines arrive for a
 * hibernated client; close() sends close_notify from a hibernated session.
 */
TEST(test_interop_hibernate_dtls_secclient_vs_openssl_s_server_dtls12)
{
	struct pf_peer p = {0};
	struct pf_argv a = {0};
	struct sockaddr_storage ss;
	uint16_t port = tu_free_port(AF_INET, SOCK_DGRAM);
	socklen_t len = tu_loopback(AF_INET, port, &ss);
	sec_tag_t tag = TAG_CA;
	int fd = -1, h0;
	char buf[512], line[64];

	if (!tu_have("openssl")) {
		SKIP("openssl not installed (tools/deps.sh installs it)");
	}
	ASSERT_TRUE(ready());
	pf_arg(&a, "openssl");
	pf_arg(&a, "s_server");
	pf_arg(&a, "-dtls1_2");
	pf_arg(&a, "-listen");
	pf_arg(&a, "-accept");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-cert");
	pf_arg(&a, "%s", tu_cert_path("server.pem"));
	pf_arg(&a, "-key");
	pf_arg(&a, "%s", tu_cert_path("server.key"));
	ASSERT_TRUE(pf_peer_start(&p, "openssl s_server", &a, OUT_CAP, PF_STDIN));
	if (!pf_peer_wait(&p, "ACCEPT", WAIT_MS)) {
		th_fail(__FILE__, __LINE__, "s_server did not start");
		goto out;
	}
	fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    set_int(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS) < 0 ||
	    set_rcvtimeo(fd, WAIT_MS / 2) < 0 ||
	    zsock_connect(fd, (struct sockaddr *)&ss, len) < 0) {
		th_fail(__FILE__, __LINE__, "secsock DTLS client: %s", strerror(errno));
		goto out;
	}
	EXPECT_EQ(get_int(fd, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0xFEFD);
	for (int i = 0; i < ROUNDS; i++) {
		ssize_t n;

		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(fd, GAP_MS, h0));
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		(void)snprintf(line, sizeof(line), "dgram %d from secsock\n", i);
		EXPECT_EQ(zsock_send(fd, line, strlen(line), 0), (ssize_t)strlen(line));
		line[strlen(line) - 1] = 0;
		EXPECT_TRUE(pf_peer_wait(&p, line, WAIT_MS));
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(fd, GAP_MS, h0));
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		(void)snprintf(line, sizeof(line), "dgram %d from openssl\n", i);
		pf_peer_write(&p, line);
		n = zsock_recv(fd, buf, sizeof(buf) - 1, 0);
		EXPECT_EQ(n, (ssize_t)strlen(line));
		if (n > 0) {
			buf[n] = 0;
			EXPECT_STREQ(buf, line);
		}
	}
	EXPECT_TRUE(atomic_load(&hibernations) >= 2 * ROUNDS);
	EXPECT_TRUE(atomic_load(&wakes) >= 2 * ROUNDS);
	EXPECT_TRUE(quiet_poll(fd, GAP_MS));
	EXPECT_OK(zsock_close(fd));
	fd = -1;
	/* s_server ends the DTLS session on our close_notify */
	EXPECT_TRUE(pf_peer_wait(&p, "CONNECTION CLOSED", WAIT_MS));
out:
	if (fd >= 0) {
		zsock_close(fd);
	}
	(void)secsock_debug(0, NULL, NULL);
	pf_peer_stop(&p);
}

/*
 * DTLS 1.2: a secsock DTLS server socket with HIBERNATE 20 ms <- openssl
 * s_client -dtls1_2: the server's peer hibernates in every 80 ms gap
 * (zsock_poll on the server socket); s_client's datagram wakes it and is read
 * intact, and the server's reply, sent to the hibernated peer, wakes it
 * again and reaches s_client intact (the first hibernation, before any
 * record from s_client, drops the server's kept last flight: 2.5 s after
 * the handshake); close() of the server socket sends
 * close_notify from the hibernated peer, and s_client ends by itself.
 */
TEST(test_interop_hibernate_dtls_secserver_vs_openssl_s_client_dtls12)
{
	struct pf_peer p = {0};
	struct pf_argv a = {0};
	struct sockaddr_storage ss, from;
	socklen_t len, flen;
	sec_tag_t tag = TAG_SERVER;
	int srv = -1, h0, w0;
	char buf[512], line[64];

	if (!tu_have("openssl")) {
		SKIP("openssl not installed (tools/deps.sh installs it)");
	}
	ASSERT_TRUE(ready());
	srv = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	len = tu_loopback(AF_INET, 0, &ss);
	if (srv < 0 || zsock_setsockopt(srv, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    set_int(srv, SOL_TLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER) < 0 ||
	    set_int(srv, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS) < 0 ||
	    set_rcvtimeo(srv, WAIT_MS / 2) < 0 ||
	    zsock_bind(srv, (struct sockaddr *)&ss, len) < 0) {
		th_fail(__FILE__, __LINE__, "secsock DTLS server: %s", strerror(errno));
		goto out;
	}
	pf_arg(&a, "openssl");
	pf_arg(&a, "s_client");
	pf_arg(&a, "-dtls1_2");
	pf_arg(&a, "-connect");
	pf_arg(&a, "127.0.0.1:%u", tu_local_port(srv));
	pf_arg(&a, "-servername");
	pf_arg(&a, "localhost");
	pf_arg(&a, "-CAfile");
	pf_arg(&a, "%s", tu_cert_path("ca.pem"));
	pf_arg(&a, "-verify_return_error");
	ASSERT_TRUE(pf_peer_start(&p, "openssl s_client", &a, OUT_CAP, PF_STDIN));
	/* the handshake runs inside the server socket's poll */
	for (int i = 0; i < WAIT_MS / 20 && !pf_peer_has(&p, "Verify return code: 0"); i++) {
		struct zsock_pollfd pl = {.fd = srv, .events = ZSOCK_POLLIN};

		(void)zsock_poll(&pl, 1, 20);
	}
	EXPECT_TRUE(pf_peer_has(&p, "Verify return code: 0"));
	EXPECT_EQ(get_int(srv, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0xFEFD);
	for (int i = 0; i < ROUNDS; i++) {
		ssize_t n;

		/* quiet: the peer hibernates; s_client's datagram wakes it. Before s_client's
		 * first record the server keeps its last flight, 2.5 s (hibernate.c) */
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(srv, GAP_MS, h0));
		if (i == 0 && atomic_load(&hibernations) == h0) {
			EXPECT_TRUE(quiet_poll_h(srv, GAP_MS, h0));
		}
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		w0 = atomic_load(&wakes);
		(void)snprintf(line, sizeof(line), "dgram %d from openssl\n", i);
		pf_peer_write(&p, line);
		flen = sizeof(from);
		n = zsock_recvfrom(srv, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &flen);
		EXPECT_EQ(n, (ssize_t)strlen(line));
		if (n <= 0) {
			break;
		}
		buf[n] = 0;
		EXPECT_STREQ(buf, line);
		EXPECT_TRUE(atomic_load(&wakes) > w0);
		/* quiet again: the server's reply wakes the hibernated peer */
		h0 = atomic_load(&hibernations);
		EXPECT_TRUE(quiet_poll_h(srv, GAP_MS, h0));
		EXPECT_TRUE(atomic_load(&hibernations) > h0);
		w0 = atomic_load(&wakes);
		(void)snprintf(line, sizeof(line), "dgram %d from secsock\n", i);
		EXPECT_EQ(zsock_sendto(srv, line, strlen(line), 0, (struct sockaddr *)&from, flen),
			  (ssize_t)strlen(line));
		EXPECT_TRUE(atomic_load(&wakes) > w0);
		line[strlen(line) - 1] = 0;
		EXPECT_TRUE(pf_peer_wait(&p, line, WAIT_MS));
	}
	EXPECT_TRUE(atomic_load(&hibernations) >= 2 * ROUNDS);
	EXPECT_TRUE(atomic_load(&wakes) >= 2 * ROUNDS);
	/* close of the server socket with its peer hibernated: close_notify, s_client ends */
	h0 = atomic_load(&hibernations);
	EXPECT_TRUE(quiet_poll_h(srv, GAP_MS, h0));
	EXPECT_OK(zsock_close(srv));
	srv = -1;
	EXPECT_TRUE(pf_peer_reaped(&p, WAIT_MS));
	EXPECT_TRUE(!pf_peer_has(&p, "errno=") && !pf_peer_has(&p, "error:"));
out:
	if (srv >= 0) {
		zsock_close(srv);
	}
	(void)secsock_debug(0, NULL, NULL);
	pf_peer_stop(&p);
}
