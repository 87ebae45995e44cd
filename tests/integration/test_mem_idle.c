/*
 * An idle established connection gives its record buffers' pages back
 * (src/engine/mbedtls/mem.c, docs/benchmarks.md "Memory"), and nothing is
 * lost by it:
 * - both buffers start on a page, and after ZT_IDLE_TRIM_MS of quiet in
 *   zsock_poll() or in a blocking recv() none of their pages is resident
 *   (the record counter waits in the engine), client and server, TLS 1.2
 *   and 1.3;
 * - data after many releases is exact in both directions (a wrong record
 *   counter would fail the record's authentication);
 * - a full 16 KiB record from a standard peer (OpenSSL, through Python's
 *   ssl module: Mbed TLS here writes 4 KiB records) is still accepted after
 *   each release, secsock as client and as server.
 * Mbed TLS 3.6 does not implement TLS 1.3 KeyUpdate, so there is no KeyUpdate
 * case.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/mbedtls/mbed.h"
#include "harness.h"
#include "peer_fixture.h"
#include "sock/sock.h"
#include "testutil.h"
#include "tls_fixture.h"

#define TAG_CA     7400
#define TAG_SERVER 7401
#define BLOCK      16384
#define WAIT_MS    5000
#define PEER_PY    ZT_TEST_CERTS "/../../tools/full_record_peer.py"

static int creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	return rc;
}

static void creds_delete(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_delete};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes of @p fd's record buffers resident now; -1 if it has no session. */
static long resident(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	long n = -1;

	if (s == NULL) {
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (s->sess.eng != NULL) {
		n = (long)zt_eng_resident(s->sess.eng);
	}
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}

static bool on_pages(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	bool ok = false;

	if (s == NULL) {
		return false;
	}
	pthread_mutex_lock(&s->lock);
	ok = s->sess.eng != NULL && zt_mbed_bufs_on_pages(s->sess.eng);
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return ok;
}

/* One zsock_poll() for input over @p fds that must see nothing for @p ms. */
static bool quiet_poll(const int *fds, int n, int ms)
{
	struct zsock_pollfd p[4];

	for (int i = 0; i < n; i++) {
		p[i] = (struct zsock_pollfd){.fd = fds[i], .events = ZSOCK_POLLIN};
	}
	return zsock_poll(p, n, ms) == 0;
}

/* Send @p n bytes of stream @p s (all of them, blocking). */
static bool send_pat(int fd, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[BLOCK];
	size_t done = 0;

	tf_pat_fill(s, buf, n);
	while (done < n) {
		ssize_t k = zsock_send(fd, buf + done, n - done, 0);

		if (k <= 0) {
			return false;
		}
		done += (size_t)k;
	}
	s->off += n;
	return true;
}

/* The protocol version the handshake agreed on (SECSOCK_TLS_VERSION_USED). */
static int version_used(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_VERSION_USED, &v, &len) == 0 ? v : -1;
}

/* secsock on both sides: released by poll and by a blocking recv, data exact after. */
static void idle_pair(int proto)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	struct tf_pstream up = {0, 11}, up_rx = {0, 11}, down = {0, 22}, down_rx = {0, 22};
	long pg = (long)page_size();
	int fds[2];
	char byte;

	c.cli_proto = proto;
	c.srv_proto = proto;
	if (proto == IPPROTO_TLS_1_2) {
		/* IPPROTO_TLS_1_2 is a minimum: a TLS 1.2 suite only keeps the pair on 1.2 */
		c.srv_suites[0] = 0xC02B;
		c.n_srv_suites = 1;
	}
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(version_used(p.cli), proto == IPPROTO_TLS_1_2 ? 0x0303 : 0x0304);
	fds[0] = p.cli;
	fds[1] = p.srv;
	EXPECT_TRUE(on_pages(p.cli));
	EXPECT_TRUE(on_pages(p.srv));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, WAIT_MS));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, WAIT_MS));

	/* after the handshake every page is resident (Mbed TLS zeroes the buffers) */
	EXPECT_TRUE(resident(p.cli) > 4 * pg);
	EXPECT_TRUE(resident(p.srv) > 4 * pg);
	for (int round = 0; round < 8; round++) {
		/* busy: no release while records flow */
		EXPECT_TRUE(send_pat(p.cli, &up, BLOCK));
		EXPECT_TRUE(tf_recv_pat(p.srv, &up_rx, BLOCK, WAIT_MS));
		EXPECT_TRUE(send_pat(p.srv, &down, BLOCK));
		EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, BLOCK, WAIT_MS));
		EXPECT_TRUE(resident(p.cli) > pg);
		EXPECT_TRUE(resident(p.srv) > pg);
		/* quiet in zsock_poll: no page of either buffer stays */
		EXPECT_TRUE(quiet_poll(fds, 2, ZT_IDLE_TRIM_MS * 2));
		EXPECT_EQ(resident(p.cli), 0);
		EXPECT_EQ(resident(p.srv), 0);
	}
	/* quiet in a blocking recv (SO_RCVTIMEO): the same from zt_wait() */
	EXPECT_TRUE(send_pat(p.cli, &up, 100));
	EXPECT_TRUE(tf_recv_pat(p.srv, &up_rx, 100, WAIT_MS));
	EXPECT_TRUE(send_pat(p.srv, &down, BLOCK));
	EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, BLOCK, WAIT_MS));
	EXPECT_TRUE(resident(p.cli) > pg);
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, ZT_IDLE_TRIM_MS * 3));
	EXPECT_ERRNO(zsock_recv(p.cli, &byte, 1, 0), EAGAIN);
	EXPECT_EQ(resident(p.cli), 0);
	/* and the stream goes on, exact, both ways */
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, WAIT_MS));
	for (int i = 0; i < 50; i++) {
		EXPECT_TRUE(send_pat(p.srv, &down, 1 + (size_t)(i * 331) % BLOCK));
		EXPECT_TRUE(send_pat(p.cli, &up, 1 + (size_t)(i * 577) % BLOCK));
	}
	EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, down.off - down_rx.off, WAIT_MS));
	EXPECT_TRUE(tf_recv_pat(p.srv, &up_rx, up.off - up_rx.off, WAIT_MS));
	tf_pair_close(&p);
}

TEST(test_idle_pages_given_back_tls12)
{
	idle_pair(IPPROTO_TLS_1_2);
}

TEST(test_idle_pages_given_back_tls13)
{
	idle_pair(IPPROTO_TLS_1_3);
}

/* ---- a peer that sends 16 KiB records ---- */

static bool have_python_ssl(void)
{
	return system("python3 -c 'import ssl' >/dev/null 2>&1") == 0;
}

/* Echo rounds with the Python peer: our 16 KiB out, its one 16 KiB record back. */
static void full_record_rounds(int fd, int rounds)
{
	struct tf_pstream tx = {0, 33}, rx = {0, 33};
	long pg = (long)page_size();

	EXPECT_OK(tf_set_timeo(fd, SO_RCVTIMEO, WAIT_MS));
	for (int i = 0; i < rounds; i++) {
		EXPECT_TRUE(send_pat(fd, &tx, BLOCK));
		EXPECT_TRUE(tf_recv_pat(fd, &rx, BLOCK, WAIT_MS));
		/* the full record went through the input buffer: more than a page */
		EXPECT_TRUE(resident(fd) > pg);
		EXPECT_TRUE(quiet_poll(&fd, 1, ZT_IDLE_TRIM_MS * 2));
		EXPECT_EQ(resident(fd), 0);
	}
}

static void full_records(bool secsock_server, const char *ver)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct pf_argv a = {0};
	struct pf_peer peer;
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	int fd = -1, lst = -1;

	if (!have_python_ssl()) {
		SKIP("python3 with ssl not found");
	}
	c.cli_proto = c.srv_proto = strcmp(ver, "13") == 0 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	pf_arg(&a, "python3");
	pf_arg(&a, "%s", PEER_PY);
	pf_arg(&a, "%s", secsock_server ? "client" : "server");
	pf_arg(&a, "%s", ver);
	pf_arg(&a, "%s", ZT_TEST_CERTS);
	if (secsock_server) {
		lst = tf_listener(&c, &addr, &len);
		ASSERT_TRUE(lst >= 0);
		pf_arg(&a, "%d", ntohs(((struct sockaddr_in *)&addr)->sin_port));
		ASSERT_TRUE(pf_peer_start(&peer, "full_record_peer", &a, 1 << 16, 0));
		fd = zsock_accept(lst, NULL, NULL);
	} else {
		int port = 0;
		const char *at;
		struct sockaddr_in sa = {.sin_family = AF_INET};

		ASSERT_TRUE(pf_peer_start(&peer, "full_record_peer", &a, 1 << 16, 0));
		EXPECT_TRUE(pf_peer_wait(&peer, "port ", WAIT_MS));
		pthread_mutex_lock(&peer.mu);
		at = peer.buf != NULL ? strstr(peer.buf, "port ") : NULL;
		if (at != NULL) {
			port = atoi(at + 5);
		}
		pthread_mutex_unlock(&peer.mu);
		EXPECT_TRUE(port > 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		fd = tf_client(&c, 0);
		if (fd >= 0 && zsock_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			zsock_close(fd);
			fd = -1;
		}
	}
	EXPECT_TRUE(fd >= 0);
	if (fd >= 0) {
		full_record_rounds(fd, 6);
		zsock_close(fd);
	}
	EXPECT_TRUE(pf_peer_wait(&peer, "records 6", WAIT_MS));
	pf_peer_stop(&peer);
	if (lst >= 0) {
		zsock_close(lst);
	}
}

TEST(test_full_records_after_release_client_tls12)
{
	full_records(false, "12");
}

TEST(test_full_records_after_release_client_tls13)
{
	full_records(false, "13");
}

TEST(test_full_records_after_release_server_tls12)
{
	full_records(true, "12");
}

TEST(test_full_records_after_release_server_tls13)
{
	full_records(true, "13");
}
