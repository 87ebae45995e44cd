/*
 * DTLS over UDP through zsock_*, black box over loopback: the datagram and
 * poll cases of Zephyr's tests/net/socket/tls (docs/zephyr-behaviour.md §4.1) and the DTLS
 * client rules of docs/zephyr-behaviour.md §3.3/§3.4 (handshake on connect or first send,
 * ENOTCONN/EISCONN/EDESTADDRREQ, retransmission, ETIMEDOUT, retry after a
 * failure, close_notify). The multi-peer server cases are in
 * test_dtls_server.c. Zephyr's suite runs on PSK; so do most cases here.
 */
#include "test_dtls_util.h"

#include <sys/uio.h>

/* A connected pair: server socket + client, handshake done, dummy byte read. */
struct pair {
	int srv;
	int cli;
	struct sockaddr_storage srv_addr;
	socklen_t srv_len;
};

/*
 * Zephyr's test_prepare_dtls_connection(): the client connects and sends a
 * dummy byte in a thread; the server's poll() runs the handshake and
 * reports the byte, which is then read.
 */
static bool pair_open(struct pair *p, int family, sec_tag_t srv_tag, sec_tag_t cli_tag)
{
	struct zsock_pollfd fds[1];
	struct conn_job job;
	struct worker w;
	unsigned char b;

	p->cli = -1;
	p->srv = -1;
	if (!creds_ready()) {
		return false;
	}
	p->srv = dtls_server(family, srv_tag, &p->srv_addr, &p->srv_len);
	p->cli = dtls_sock(family, cli_tag);
	if (p->srv < 0 || p->cli < 0) {
		th_fail(__FILE__, __LINE__, "cannot create the DTLS sockets: %s", strerror(errno));
		return false;
	}
	conn_job_init(&job, p->cli, &p->srv_addr, p->srv_len);
	if (!worker_start(&w, conn_job_main, &job)) {
		return false;
	}
	fds[0] = (struct zsock_pollfd){.fd = p->srv, .events = POLLIN};
	EXPECT_EQ(zsock_poll(fds, 1, 3000), 1);
	EXPECT_EQ(zsock_recv(p->srv, &b, 1, 0), 1);
	worker_must_join(&w, 5000);
	EXPECT_EQ(job.rc, 0);
	return job.rc == 0 && !th_case_failed();
}

static void pair_close(struct pair *p)
{
	close_fd(&p->cli);
	close_fd(&p->srv);
}

/* ---- datagram semantics (docs/zephyr-behaviour.md §3.4) ---- */

/* Zephyr test_v4_msg_trunc / test_v6_msg_trunc */
static void msg_trunc(int family)
{
	unsigned char rx[SMALL_LEN] = {0};
	struct pair p;

	if (pair_open(&p, family, TAG_PSK, TAG_PSK)) {
		EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, 2, MSG_TRUNC), SMALL_LEN);
		EXPECT_TRUE(memcmp(rx, TEST_STR_SMALL, 2) == 0);
		EXPECT_EQ(rx[2], 0);
		/* the rest of the record was discarded */
		EXPECT_ERRNO(zsock_recv(p.srv, rx, sizeof(rx), MSG_DONTWAIT), EAGAIN);
		/*
		 * MSG_PEEK: Zephyr ENOTSUP; secsock peeks (docs/zephyr-behaviour.md,
		 * Deliberate differences 19), with MSG_TRUNC the datagram's length
		 */
		EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, 1, MSG_PEEK | MSG_TRUNC), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), MSG_PEEK), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), 0), SMALL_LEN);
		EXPECT_TRUE(memcmp(rx, TEST_STR_SMALL, SMALL_LEN) == 0);
		/* without MSG_TRUNC: what fits, and the length copied */
		EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, 3, 0), 3);
		EXPECT_ERRNO(zsock_recv(p.srv, rx, sizeof(rx), MSG_DONTWAIT), EAGAIN);
	}
	pair_close(&p);
}

TEST(test_v4_msg_trunc)
{
	msg_trunc(AF_INET);
}

TEST(test_v6_msg_trunc)
{
	msg_trunc(AF_INET6);
}

/* Zephyr test_v4_dtls_sendmsg_no_buf / test_v6_dtls_sendmsg_no_buf (SENDMSG_BUF_SIZE 0) */
static void sendmsg_no_buf(int family)
{
	unsigned char rx[SMALL_LEN];
	struct iovec iov[3] = {{0}, {.iov_base = TEST_STR_SMALL, .iov_len = SMALL_LEN}, {0}};
	struct msghdr msg = {0};
	struct pair p;

	if (pair_open(&p, family, TAG_PSK, TAG_PSK)) {
		/* one fragment */
		msg.msg_iov = &iov[1];
		msg.msg_iovlen = 1;
		EXPECT_EQ(zsock_sendmsg(p.cli, &msg, 0), SMALL_LEN);
		memset(rx, 0, sizeof(rx));
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), 0), SMALL_LEN);
		EXPECT_TRUE(memcmp(rx, TEST_STR_SMALL, SMALL_LEN) == 0);
		/* one non-empty fragment among empty ones */
		msg.msg_iov = iov;
		msg.msg_iovlen = 3;
		EXPECT_EQ(zsock_sendmsg(p.cli, &msg, 0), SMALL_LEN);
		memset(rx, 0, sizeof(rx));
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), 0), SMALL_LEN);
		EXPECT_TRUE(memcmp(rx, TEST_STR_SMALL, SMALL_LEN) == 0);
		/* two non-empty fragments: no merge buffer */
		iov[0] = iov[1];
		EXPECT_ERRNO(zsock_sendmsg(p.cli, &msg, 0), EMSGSIZE);
	}
	pair_close(&p);
}

TEST(test_v4_dtls_sendmsg_no_buf)
{
	sendmsg_no_buf(AF_INET);
}

TEST(test_v6_dtls_sendmsg_no_buf)
{
	sendmsg_no_buf(AF_INET6);
}

/*
 * docs/zephyr-behaviour.md §3.4/§3.6: one datagram carries one record; the client asks for
 * a 1024-byte max fragment length (CONFIG_NET_SOCKETS_DTLS_MAX_FRAGMENT_LENGTH),
 * so 1024 bytes go and 1025 are EMSGSIZE, both ways.
 */
TEST(test_dtls_send_over_max_fragment_emsgsize)
{
	static unsigned char big[1025], rx[2048];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct pair p;

	memset(big, 'a', sizeof(big));
	if (pair_open(&p, AF_INET, TAG_PSK, TAG_PSK)) {
		EXPECT_EQ(zsock_send(p.cli, big, 1024, 0), 1024);
		EXPECT_EQ(zsock_recvfrom(p.srv, rx, sizeof(rx), 0, (struct sockaddr *)&from, &flen),
			  1024);
		EXPECT_ERRNO(zsock_send(p.cli, big, sizeof(big), 0), EMSGSIZE);
		EXPECT_EQ(zsock_sendto(p.srv, big, 1024, 0, (struct sockaddr *)&from, flen), 1024);
		EXPECT_EQ(zsock_recv(p.cli, rx, sizeof(rx), 0), 1024);
		EXPECT_ERRNO(
			zsock_sendto(p.srv, big, sizeof(big), 0, (struct sockaddr *)&from, flen),
			EMSGSIZE);
		/* the session survives */
		EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), 0), SMALL_LEN);
	}
	pair_close(&p);
}

/* ---- poll (docs/zephyr-behaviour.md §3.7) ---- */

/* Zephyr test_poll_dtls_pollin */
TEST(test_poll_dtls_pollin)
{
	unsigned char rx[SMALL_LEN];
	struct zsock_pollfd fds[1];
	struct pair p;

	if (pair_open(&p, AF_INET6, TAG_PSK, TAG_PSK)) {
		fds[0] = (struct zsock_pollfd){.fd = p.srv, .events = POLLIN};
		EXPECT_EQ(zsock_poll(fds, 1, 0), 0);
		EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
		EXPECT_EQ(zsock_poll(fds, 1, 100), 1);
		EXPECT_EQ(fds[0].revents, POLLIN);
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), MSG_DONTWAIT), SMALL_LEN);
		EXPECT_TRUE(memcmp(rx, TEST_STR_SMALL, SMALL_LEN) == 0);
		/* and the same on the client side */
		fds[0] = (struct zsock_pollfd){.fd = p.cli, .events = POLLIN};
		EXPECT_EQ(zsock_poll(fds, 1, 0), 0);
	}
	pair_close(&p);
}

/* Zephyr test_poll_dtls_pollout: a DTLS socket is always writable */
TEST(test_poll_dtls_pollout)
{
	struct zsock_pollfd fds[1];
	struct pair p;

	if (pair_open(&p, AF_INET6, TAG_PSK, TAG_PSK)) {
		fds[0] = (struct zsock_pollfd){.fd = p.cli, .events = POLLOUT};
		EXPECT_EQ(zsock_poll(fds, 1, 0), 1);
		EXPECT_EQ(fds[0].revents, POLLOUT);
		fds[0] = (struct zsock_pollfd){.fd = p.srv, .events = POLLOUT};
		EXPECT_EQ(zsock_poll(fds, 1, 0), 1);
		EXPECT_EQ(fds[0].revents, POLLOUT);
	}
	pair_close(&p);
}

/* Zephyr test_poll_dtls_pollhup: client close -> server POLLHUP only, recv EAGAIN */
TEST(test_poll_dtls_pollhup)
{
	struct zsock_pollfd fds[1];
	unsigned char b;
	struct pair p;

	if (pair_open(&p, AF_INET6, TAG_PSK, TAG_PSK)) {
		fds[0] = (struct zsock_pollfd){.fd = p.srv, .events = POLLIN};
		close_fd(&p.cli);
		EXPECT_EQ(zsock_poll(fds, 1, 100), 1);
		EXPECT_EQ(fds[0].revents, POLLHUP);
		EXPECT_ERRNO(zsock_recv(p.srv, &b, 1, MSG_DONTWAIT), EAGAIN);
		EXPECT_EQ(zt_dtls_session_count(p.srv), 0);
		/* reported once: the socket serves on */
		EXPECT_EQ(zsock_poll(fds, 1, 0), 0);
	}
	pair_close(&p);
}

/*
 * Zephyr test_poll_dtls_pollerr: a fatal alert from the client -> server
 * POLLERR, SO_ERROR ECONNABORTED, and recv EAGAIN (the server recovers).
 */
TEST(test_poll_dtls_pollerr)
{
	struct zsock_pollfd fds[1];
	unsigned char b;
	struct pair p;

	if (pair_open(&p, AF_INET6, TAG_PSK, TAG_PSK)) {
		fds[0] = (struct zsock_pollfd){.fd = p.srv, .events = POLLIN};
		EXPECT_EQ(zt_dtls_test_send_fatal_alert(p.cli), 0);
		EXPECT_EQ(zsock_poll(fds, 1, 100), 1);
		EXPECT_TRUE(fds[0].revents & POLLERR);
		EXPECT_EQ(get_int(p.srv, SOL_SOCKET, SO_ERROR), ECONNABORTED);
		EXPECT_ERRNO(zsock_recv(p.srv, &b, 1, MSG_DONTWAIT), EAGAIN);
		EXPECT_EQ(zt_dtls_session_count(p.srv), 0);
	}
	pair_close(&p);
}

/* docs/zephyr-behaviour.md §3.7: the client side hears the server's close_notify as POLLHUP */
TEST(test_poll_dtls_client_pollhup_on_server_close)
{
	struct zsock_pollfd fds[1];
	unsigned char b;
	struct pair p;

	if (pair_open(&p, AF_INET, TAG_PSK, TAG_PSK)) {
		fds[0] = (struct zsock_pollfd){.fd = p.cli, .events = POLLIN};
		close_fd(&p.srv); /* close_notify to every peer (docs/zephyr-behaviour.md §3.8) */
		EXPECT_EQ(zsock_poll(fds, 1, 1000), 1);
		EXPECT_EQ(fds[0].revents, POLLHUP);
		/* docs/zephyr-behaviour.md §3.4: peer close_notify -> latched ENOTCONN */
		EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, 0), ENOTCONN);
		EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, MSG_DONTWAIT), ENOTCONN);
		EXPECT_EQ(get_int(p.cli, SOL_SOCKET, SO_ERROR), ENOTCONN);
	}
	pair_close(&p);
}

/* ---- credentials ---- */

/* Zephyr test_dtls_bad_cred: bad CA / own cert / key / PSK without ID -> EINVAL; none -> ENOENT */
TEST(test_dtls_bad_cred)
{
	static const char bad_ca[] = "bad ca cert", bad_own[] = "bad own cert";
	static const char bad_key[] = "bad priv key", bad_psk[] = "bad psk";
	static const sec_tag_t tags[] = {4211, 4212, 4213, 4214, 4215};
	int fd;

	EXPECT_OK(tls_credential_add(4211, TLS_CREDENTIAL_CA_CERTIFICATE, bad_ca, sizeof(bad_ca)));
	EXPECT_OK(tls_credential_add(4212, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, bad_own,
				     sizeof(bad_own)));
	EXPECT_OK(tls_credential_add(4213, TLS_CREDENTIAL_PRIVATE_KEY, bad_key, sizeof(bad_key)));
	EXPECT_OK(tls_credential_add(4214, TLS_CREDENTIAL_PSK, bad_psk, sizeof(bad_psk)));
	fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(fd >= 0);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		EXPECT_ERRNO(
			zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tags[i], sizeof(tags[i])),
			tags[i] == 4215 ? ENOENT : EINVAL);
	}
	zsock_close(fd);
	(void)tls_credential_delete(4211, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(4212, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(4213, TLS_CREDENTIAL_PRIVATE_KEY);
	(void)tls_credential_delete(4214, TLS_CREDENTIAL_PSK);
}

/* Certificates: the client verifies "localhost"; getters read the newest server session */
TEST(test_dtls_certificates_handshake)
{
	unsigned char rx[64];
	uint32_t flags = 1;
	socklen_t fl = sizeof(flags);
	struct pair p;

	if (pair_open(&p, AF_INET, TAG_SERVER, TAG_CA)) {
		EXPECT_TRUE(get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED) > 0);
		EXPECT_EQ(get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED),
			  get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED));
		EXPECT_OK(zsock_getsockopt(p.cli, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &fl));
		EXPECT_EQ(flags, 0);
		EXPECT_EQ(zsock_send(p.cli, "forty-two", 9, 0), 9);
		EXPECT_EQ(zsock_recv(p.srv, rx, sizeof(rx), 0), 9);
	}
	pair_close(&p);
}

/*
 * A wrong name fails the client's handshake: ECONNABORTED (docs/zephyr-behaviour.md §3.3); the
 * server goes on
 */
TEST(test_dtls_certificates_wrong_hostname_econnaborted)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	int srv, cli;

	if (!creds_ready()) {
		return;
	}
	srv = dtls_server(AF_INET, TAG_SERVER, &sa, &sl);
	cli = dtls_sock(AF_INET, TAG_CA);
	ASSERT_TRUE(srv >= 0 && cli >= 0);
	ASSERT_TRUE(echo_start(&e, srv));
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_HOSTNAME, "wrong.example.com", 18));
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), ECONNABORTED);
	EXPECT_EQ(get_int(cli, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	/* a retry with the right name works on the same socket */
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_HOSTNAME, "localhost", 10));
	EXPECT_EQ(zsock_send(cli, "again", 5, 0), 5);
	EXPECT_EQ(zsock_recv(cli, (char[8]){0}, 8, 0), 5);
	echo_stop(&e);
	zsock_close(cli);
	zsock_close(srv);
}

/*
 * PSK with Zephyr's suite: TLS_CIPHERSUITE_LIST is honoured, USED reports it.
 * A CBC suite is offered only when asked for (docs/security.md, defaults), so
 * both sides name it, as Zephyr's test_set_ciphersuites does.
 */
TEST(test_dtls_psk_ciphersuite_used)
{
	int suite = PSK_AES_256_CBC_SHA384;
	struct conn_job job;
	struct worker w;
	struct sockaddr_storage sa;
	socklen_t sl;
	unsigned char b;
	int srv, cli;

	if (!creds_ready()) {
		return;
	}
	srv = dtls_server(AF_INET, TAG_PSK, &sa, &sl);
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(srv >= 0 && cli >= 0);
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof(suite)));
	EXPECT_OK(zsock_setsockopt(srv, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof(suite)));
	/* no session yet (docs/zephyr-behaviour.md §1.3 option 4) */
	EXPECT_EQ(get_int(srv, SOL_TLS, TLS_CIPHERSUITE_USED), -ENOTCONN - 100000);
	conn_job_init(&job, cli, &sa, sl);
	ASSERT_TRUE(worker_start(&w, conn_job_main, &job));
	EXPECT_EQ(zsock_recv(srv, &b, 1, 0), 1); /* the handshake runs inside recvfrom() */
	worker_must_join(&w, 5000);
	EXPECT_EQ(job.rc, 0);
	EXPECT_EQ(get_int(cli, SOL_TLS, TLS_CIPHERSUITE_USED), PSK_AES_256_CBC_SHA384);
	EXPECT_EQ(get_int(srv, SOL_TLS, TLS_CIPHERSUITE_USED), PSK_AES_256_CBC_SHA384);
	zsock_close(cli);
	zsock_close(srv);
}
