/*
 * Zephyr behaviours of docs/zephyr-behaviour.md that had no test: one case
 * per row, black box over 127.0.0.1 / ::1, each naming the row it checks
 * (docs/zephyr-behaviour.md §X.Y) and the Zephyr source the row cites.
 *
 * TLS pairs come from tests/lib/tls_fixture.h, DTLS helpers from
 * test_dtls_util.h (credentials: tags 4200..4202 for both). Some cases talk
 * to a secure socket from a plain socket on purpose: a corrupting TLS relay
 * (the technique of test_tls_poll.c), a plain TCP or UDP listener that
 * captures a ClientHello, and hand-made DTLS ClientHellos sent from plain UDP
 * sockets to a DTLS server (cookie exchange, fragments, a full session table).
 * Two cases need openssl (a client in another process that resumes by
 * session ID; a sender of 16 KiB records) and are skipped without it.
 */
#include "test_dtls_util.h"

#include <secsock/secsock.h>

#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "peer_fixture.h"
#include "sock/dtls_priv.h"
#include "tls_fixture.h"

/* SO_RCVTIMEO/SO_SNDTIMEO set only so that a broken library fails a case instead of hanging it */
#define GUARD_MS 5000

/* IANA ids (RFC 5289, RFC 5487) */
#define ECDHE_ECDSA_AES_128_GCM  0xC02B /* TLS 1.2 only: keeps a TLS pair at 1.2 */
#define EMPTY_RENEGOTIATION_SCSV 0x00FF

/* ---- credentials: test_dtls_util.h's, for the TLS fixture too ---- */

static int creds_add(void)
{
	return creds_ready() ? 0 : -1;
}

static void creds_del(void)
{
	/* test_dtls_util.h deletes them at exit */
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_del};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

static int poll1(int fd, short events, int timeout, short *revents)
{
	struct zsock_pollfd p = {.fd = fd, .events = events};
	int n = zsock_poll(&p, 1, timeout);

	*revents = p.revents;
	return n;
}

/* Exactly @p len bytes from a kernel socket within @p ms; false on EOF, error or timeout. */
static bool raw_read_full(int fd, uint8_t *buf, size_t len, int ms)
{
	int64_t end = now_ms() + ms;

	while (len > 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) != 1) {
			return false;
		}
		r = recv(fd, buf, len, MSG_DONTWAIT);
		if (r <= 0) {
			if (r < 0 && errno == EAGAIN) {
				continue;
			}
			return false;
		}
		buf += r;
		len -= (size_t)r;
	}
	return true;
}

/* One datagram from a plain UDP socket within @p ms; its length or -1. */
static ssize_t udp_recv_wait(int fd, uint8_t *buf, size_t len, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1) {
		return -1;
	}
	return recv(fd, buf, len, MSG_DONTWAIT);
}

/* ==== DTLS pairs ==== */

/* A DTLS socket of protocol @p proto with credential @p tag (see dtls_sock()). */
static int dtls_sock_proto(int family, int proto, sec_tag_t tag)
{
	int fd = zsock_socket(family, SOCK_DGRAM, proto);

	if (fd < 0) {
		return -1;
	}
	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    (tag == TAG_CA && zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0) ||
	    set_timeo(fd, SO_RCVTIMEO, 3000) < 0) {
		zsock_close(fd);
		return -1;
	}
	return fd;
}

struct dpair {
	int srv;
	int cli;
	struct sockaddr_storage srv_addr;
	socklen_t srv_len;
};

/*
 * test_dtls.c's pair_open() with protocol numbers: the client connects and
 * sends a dummy byte in a thread; the server's poll() runs the handshake and
 * reports the byte, which is read. Server certificate, client trusts the CA.
 */
static bool dpair_open(struct dpair *p, int family, int srv_proto, int cli_proto)
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
	p->srv = dtls_sock_proto(family, srv_proto, TAG_SERVER);
	p->cli = dtls_sock_proto(family, cli_proto, TAG_CA);
	p->srv_len = tu_loopback(family, 0, &p->srv_addr);
	if (p->srv < 0 || p->cli < 0 ||
	    set_int(p->srv, SOL_TLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER) < 0 ||
	    zsock_bind(p->srv, (struct sockaddr *)&p->srv_addr, p->srv_len) < 0 ||
	    zsock_getsockname(p->srv, (struct sockaddr *)&p->srv_addr, &p->srv_len) < 0) {
		th_fail(__FILE__, __LINE__, "cannot set up the DTLS sockets: %s", strerror(errno));
		return false;
	}
	conn_job_init(&job, p->cli, &p->srv_addr, p->srv_len);
	if (!worker_start(&w, conn_job_main, &job)) {
		return false;
	}
	fds[0] = (struct zsock_pollfd){.fd = p->srv, .events = POLLIN};
	EXPECT_EQ(zsock_poll(fds, 1, 5000), 1);
	EXPECT_EQ(zsock_recv(p->srv, &b, 1, MSG_DONTWAIT), 1);
	worker_must_join(&w, 15000);
	EXPECT_EQ(job.rc, 0);
	return job.rc == 0 && !th_case_failed();
}

static void dpair_close(struct dpair *p)
{
	close_fd(&p->cli);
	close_fd(&p->srv);
}

/* One datagram each way over an established pair. */
static void dpair_echo(struct dpair *p, const char *msg)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char rx[64] = {0};
	size_t len = strlen(msg);

	EXPECT_EQ(zsock_send(p->cli, msg, len, 0), len);
	EXPECT_EQ(zsock_recvfrom(p->srv, rx, sizeof(rx), 0, (struct sockaddr *)&from, &flen), len);
	EXPECT_EQ(memcmp(rx, msg, len), 0);
	memset(rx, 0, sizeof(rx));
	EXPECT_EQ(zsock_sendto(p->srv, msg, len, 0, (struct sockaddr *)&from, flen), len);
	EXPECT_EQ(zsock_recv(p->cli, rx, sizeof(rx), 0), len);
	EXPECT_EQ(memcmp(rx, msg, len), 0);
}

/* ==== §1.1 protocol numbers ==== */

/*
 * docs/zephyr-behaviour.md §1.1 (272 DTLS_1_0: no minimum set, Mbed TLS 3.6
 * speaks DTLS 1.2); Zephyr net_ip.h, sockets_tls.c. A handshake and an echo
 * on IPPROTO_DTLS_1_0 sockets, against a 272 and a 273 server; SO_PROTOCOL
 * keeps saying 272.
 */
TEST(test_dtls_1_0_proto_handshake_echo)
{
	static const int srv_protos[] = {IPPROTO_DTLS_1_0, IPPROTO_DTLS_1_2};

	for (size_t i = 0; i < sizeof(srv_protos) / sizeof(srv_protos[0]); i++) {
		struct dpair p;

		if (dpair_open(&p, AF_INET, srv_protos[i], IPPROTO_DTLS_1_0)) {
			EXPECT_EQ(get_int(p.cli, SOL_SOCKET, SO_PROTOCOL), IPPROTO_DTLS_1_0);
			EXPECT_EQ(get_int(p.srv, SOL_SOCKET, SO_PROTOCOL), srv_protos[i]);
			EXPECT_TRUE(get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED) > 0);
			dpair_echo(&p, "dtls 1.0 socket");
		}
		dpair_close(&p);
	}
}

/* ==== a DTLS client whose handshake runs in another thread against a server that waits ==== */

/* connect() in a worker; when it returns, the time, then (optionally) one byte after a pause. */
struct hs_client {
	struct worker w;
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	int rc; /* 0 or the errno of connect() / send() */
	atomic_llong done_ms;
	int send_after_ms; /* < 0: send nothing */
};

static void *hs_client_main(void *p)
{
	struct hs_client *c = p;

	c->rc = 0;
	if (zsock_connect(c->fd, (struct sockaddr *)&c->addr, c->len) < 0) {
		c->rc = errno;
	}
	atomic_store(&c->done_ms, (long long)now_ms());
	if (c->rc == 0 && c->send_after_ms >= 0) {
		sleep_ms(c->send_after_ms);
		if (zsock_send(c->fd, "x", 1, 0) != 1) {
			c->rc = errno;
		}
	}
	return NULL;
}

/* An echo server that starts serving only after @p delay_ms. */
struct late_echo {
	struct worker w;
	int fd;
	int delay_ms;
	atomic_bool stop;
};

static void *late_echo_main(void *p)
{
	struct late_echo *e = p;
	unsigned char buf[256];

	sleep_ms(e->delay_ms);
	while (!atomic_load(&e->stop)) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n =
			zsock_recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (n > 0) {
			(void)zsock_sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
					   flen);
		}
	}
	return NULL;
}

/*
 * A DTLS server nobody reads yet and a client whose connect() (handshake)
 * runs in a worker: returns once the handshake has started, which
 * TLS_DTLS_CID_STATUS shows (ENOTCONN before the client has a session,
 * EAGAIN while its handshake runs). *cid_rc gets that last errno.
 */
static bool hs_started(struct hs_client *c, int *srv, int *cid_rc)
{
	int64_t end = now_ms() + 3000;
	int v = 0;
	socklen_t len;

	if (!creds_ready()) {
		return false;
	}
	*srv = dtls_server(AF_INET, TAG_SERVER, &c->addr, &c->len);
	c->fd = dtls_sock(AF_INET, TAG_CA);
	if (*srv < 0 || c->fd < 0) {
		th_fail(__FILE__, __LINE__, "DTLS sockets: %s", strerror(errno));
		return false;
	}
	set_timeo(*srv, SO_RCVTIMEO, 50);
	atomic_init(&c->done_ms, 0);
	if (!worker_start(&c->w, hs_client_main, c)) {
		return false;
	}
	do {
		len = sizeof(v);
		errno = 0;
		*cid_rc = zsock_getsockopt(c->fd, SOL_TLS, TLS_DTLS_CID_STATUS, &v, &len) == 0
				  ? 0
				  : errno;
		if (*cid_rc != ENOTCONN) {
			break;
		}
		sleep_ms(1);
	} while (now_ms() < end);
	return true;
}

/*
 * docs/zephyr-behaviour.md §1.3 option 15 (TLS_DTLS_CID_STATUS: handshake not
 * finished → EAGAIN); Zephyr sockets_tls.c. The server answers nothing until
 * the check is made, so the client's handshake (in connect(), in another
 * thread) is certainly unfinished; afterwards the option answers.
 */
TEST(test_dtls_cid_status_eagain_during_handshake)
{
	struct hs_client c = {.fd = -1, .send_after_ms = -1};
	struct late_echo e = {.delay_ms = 0};
	int srv = -1, cid_rc = -1;

	if (hs_started(&c, &srv, &cid_rc)) {
		EXPECT_EQ(cid_rc, EAGAIN);
		e.fd = srv;
		atomic_init(&e.stop, false);
		ASSERT_TRUE(worker_start(&e.w, late_echo_main, &e));
		worker_must_join(&c.w, 15000);
		EXPECT_EQ(c.rc, 0);
		/* established: CID off on this socket → DISABLED */
		EXPECT_EQ(get_int(c.fd, SOL_TLS, TLS_DTLS_CID_STATUS),
			  TLS_DTLS_CID_STATUS_DISABLED);
		atomic_store(&e.stop, true);
		worker_must_join(&e.w, 5000);
	}
	close_fd(&c.fd);
	close_fd(&srv);
}

/*
 * docs/zephyr-behaviour.md §3.7 (a DTLS client polled while another thread
 * runs its handshake waits for the handshake); Zephyr sockets_tls.c. One
 * thread blocks in connect() while the server is silent for 300 ms; this
 * thread polls the client for POLLIN meanwhile. The handshake's datagrams are
 * neither reported nor taken from it: the connect succeeds, and the poll
 * returns POLLIN only for the echo of a byte sent 200 ms after connect()
 * returned.
 */
TEST(test_dtls_client_poll_during_handshake_in_other_thread)
{
	struct hs_client c = {.fd = -1, .send_after_ms = 200};
	struct late_echo e = {.delay_ms = 300};
	int srv = -1, cid_rc = -1;
	short rev = 0;
	int64_t t_ret;
	char b = 0;
	int n;

	if (hs_started(&c, &srv, &cid_rc)) {
		EXPECT_EQ(cid_rc, EAGAIN); /* the handshake is running */
		e.fd = srv;
		atomic_init(&e.stop, false);
		ASSERT_TRUE(worker_start(&e.w, late_echo_main, &e));
		n = poll1(c.fd, POLLIN, 5000, &rev);
		t_ret = now_ms();
		EXPECT_EQ(n, 1);
		EXPECT_EQ(rev, POLLIN);
		worker_must_join(&c.w, 15000);
		EXPECT_EQ(c.rc, 0);
		/* not woken before the handshake ended (the byte goes 200 ms after it) */
		EXPECT_TRUE(atomic_load(&c.done_ms) != 0 && t_ret >= atomic_load(&c.done_ms));
		EXPECT_EQ(zsock_recv(c.fd, &b, 1, MSG_DONTWAIT), 1);
		EXPECT_EQ(b, 'x');
		atomic_store(&e.stop, true);
		worker_must_join(&e.w, 5000);
	}
	close_fd(&c.fd);
	close_fd(&srv);
}

/* ==== §3.4 data path, TLS ==== */

/*
 * docs/zephyr-behaviour.md §3.4 and §3.9 (MSG_PEEK on a secure socket:
 * Zephyr ENOTSUP, no peek buffer), Deliberate differences 19: secsock peeks.
 * Zephyr sockets_tls.c. On TLS the data stays for the next recv(), blocking
 * and with MSG_DONTWAIT; nothing to peek is EAGAIN, as for recv().
 */
TEST(test_tls_msg_peek_data_stays)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	char buf[SMALL_LEN + 1] = {0};
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_PEEK), SMALL_LEN); /* waits for it */
	EXPECT_STREQ(buf, TEST_STR_SMALL);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(zsock_recv(p.srv, buf, 2, MSG_PEEK | MSG_DONTWAIT), 2);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, 2), 0);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), SMALL_LEN);
	EXPECT_STREQ(buf, TEST_STR_SMALL);
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §3.4 (MSG_WAITALL cut short by a timeout: secsock
 * returns the bytes that did arrive; Zephyr drops them and reports EAGAIN),
 * Deliberate differences 11; Zephyr sockets_tls.c. 10 bytes arrive, 100 are
 * asked for, SO_RCVTIMEO 300 ms: the call waits out the timeout, then returns 10.
 */
TEST(test_tls_msg_waitall_timeout_returns_partial)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char buf[100] = {0};
	struct tf_pair p;
	int64_t t0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, 300));
	EXPECT_EQ(zsock_send(p.cli, "0123456789", 10, 0), 10);
	t0 = tf_now_ms();
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_WAITALL), 10);
	EXPECT_TRUE(tf_now_ms() - t0 >= 250);
	EXPECT_EQ(memcmp(buf, "0123456789", 10), 0);
	/* nothing lost, nothing left */
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "still up"));
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §3.4 (MSG_WAITALL cut short by EOF: the bytes that
 * arrived are returned), Deliberate differences 11; Zephyr sockets_tls.c.
 * The peer sends 10 bytes and closes (close_notify); a blocking 100-byte
 * MSG_WAITALL returns the 10, the next recv() 0.
 */
TEST(test_tls_msg_waitall_eof_returns_partial)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	char buf[100] = {0};
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_send(p.cli, "abcdefghij", 10, 0), 10);
	tf_close_fd(&p.cli);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_WAITALL), 10);
	EXPECT_EQ(memcmp(buf, "abcdefghij", 10), 0);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_WAITALL), 0);
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §3.4 (sendmsg() on TLS sends the iovecs one after
 * the other); Zephyr sockets_tls.c. Five iovecs, empty ones and one larger
 * than a record among them: the call returns the sum, the peer receives the
 * concatenation.
 */
TEST(test_tls_sendmsg_iovecs_in_order)
{
	static uint8_t big[20000], rx[20000 + 64];
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct iovec iov[5];
	struct msghdr msg = {0};
	struct tf_pstream s = {0, 77};
	struct tf_pair p;
	size_t total;

	tf_pat_fill(&s, big, sizeof(big));
	iov[0] = (struct iovec){.iov_base = "head-", .iov_len = 5};
	iov[1] = (struct iovec){.iov_base = NULL, .iov_len = 0};
	iov[2] = (struct iovec){.iov_base = big, .iov_len = sizeof(big)};
	iov[3] = (struct iovec){.iov_base = "", .iov_len = 0};
	iov[4] = (struct iovec){.iov_base = "-tail", .iov_len = 5};
	msg.msg_iov = iov;
	msg.msg_iovlen = 5;
	total = 5 + sizeof(big) + 5;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_OK(tf_set_timeo(p.cli, SO_SNDTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_sendmsg(p.cli, &msg, 0), total);
	EXPECT_EQ(zsock_recv(p.srv, rx, total, MSG_WAITALL), total);
	EXPECT_EQ(memcmp(rx, "head-", 5), 0);
	EXPECT_EQ(memcmp(rx + 5, big, sizeof(big)), 0);
	EXPECT_EQ(memcmp(rx + 5 + sizeof(big), "-tail", 5), 0);
	EXPECT_ERRNO(zsock_recv(p.srv, rx, sizeof(rx), MSG_DONTWAIT), EAGAIN);
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §3.4 (sendmsg() with a NULL message → EINVAL);
 * Zephyr sockets_tls.c. On a connected TLS socket and on a DTLS socket; the
 * TLS connection is unharmed.
 */
TEST(test_sendmsg_null_msg_einval)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	int d;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_ERRNO(zsock_sendmsg(p.cli, NULL, 0), EINVAL);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "after sendmsg"));
	tf_pair_close(&p);
	d = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(d >= 0);
	EXPECT_ERRNO(zsock_sendmsg(d, NULL, 0), EINVAL);
	zsock_close(d);
}

/*
 * docs/zephyr-behaviour.md §3.4 and §3.9 (recvmsg() on a secure socket:
 * Zephyr EOPNOTSUPP, no recvmsg in its vtable), Deliberate differences 19:
 * secsock scatters the plaintext over the iovecs in order. On a DTLS socket
 * with no peer it fails as recv() does (ENOTCONN).
 */
TEST(test_recvmsg_secure_socket_scatters)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char a[2] = {0}, b[32] = {0};
	struct iovec iov[3] = {{.iov_base = a, .iov_len = sizeof(a)},
			       {.iov_base = NULL, .iov_len = 0},
			       {.iov_base = b, .iov_len = sizeof(b)}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
	struct tf_pair p;
	int d;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_ERRNO(zsock_recvmsg(p.srv, &msg, MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_EQ(zsock_recvmsg(p.srv, &msg, 0), SMALL_LEN);
	EXPECT_EQ(memcmp(a, TEST_STR_SMALL, 2), 0);
	EXPECT_EQ(memcmp(b, TEST_STR_SMALL + 2, SMALL_LEN - 2), 0);
	EXPECT_EQ(msg.msg_flags, 0);
	EXPECT_ERRNO(zsock_recvmsg(p.srv, NULL, 0), EINVAL);
	tf_pair_close(&p);
	d = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(d >= 0);
	EXPECT_ERRNO(zsock_recvmsg(d, &msg, 0), ENOTCONN);
	zsock_close(d);
}

/*
 * docs/zephyr-behaviour.md §3.4 (ioctl(FIONREAD) on a secure socket: Zephyr
 * EOPNOTSUPP, #60849), Deliberate differences 19: secsock counts the
 * decrypted bytes recv() returns without waiting. 0 with nothing waiting
 * and on a DTLS socket with no peer; a listener is EINVAL, as TCP's. (A
 * plain socket answers the host's count: test_plain.c.)
 */
TEST(test_ioctl_fionread_secure_socket_counts)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	int avail = -1;
	char buf[SMALL_LEN];
	int d;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_OK(zsock_ioctl(p.srv, FIONREAD, &avail));
	EXPECT_EQ(avail, 0);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	for (int i = 0; i < 100 && avail == 0; i++) {
		tf_sleep_ms(10);
		EXPECT_OK(zsock_ioctl(p.srv, FIONREAD, &avail));
	}
	EXPECT_EQ(avail, SMALL_LEN);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), SMALL_LEN);
	EXPECT_OK(zsock_ioctl(p.srv, FIONREAD, &avail));
	EXPECT_EQ(avail, 0);
	tf_pair_close(&p);
	d = zsock_socket(AF_INET6, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(d >= 0);
	avail = -1;
	EXPECT_OK(zsock_ioctl(d, FIONREAD, &avail));
	EXPECT_EQ(avail, 0);
	zsock_close(d);
}

/*
 * docs/zephyr-behaviour.md §3.4 and Deliberate differences 14 (read() and
 * write() on a secure descriptor reach the kernel socket unless
 * libsecsock-posix is linked); Zephyr sockets_tls.c. read() returns the TLS
 * record as it came off the wire (an application-data header, no plaintext);
 * write() puts raw bytes on the wire, which the TLS peer cannot take.
 */
TEST(test_read_write_reach_kernel)
{
	static const char secret[] = "plaintext-never-on-the-wire";
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	uint8_t raw[512];
	struct pollfd kp;
	struct tf_pair p;
	ssize_t n;
	char b;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(zsock_send(p.srv, secret, sizeof(secret) - 1, 0), sizeof(secret) - 1);
	kp = (struct pollfd){.fd = p.cli, .events = POLLIN};
	ASSERT_TRUE(poll(&kp, 1, GUARD_MS) == 1);
	n = read(p.cli, raw, sizeof(raw));
	ASSERT_TRUE(n >= 5);
	EXPECT_EQ(raw[0], 23); /* application_data (TLS 1.2 and 1.3 alike) */
	EXPECT_EQ(raw[1], 3);
	EXPECT_EQ(raw[2], 3);
	EXPECT_TRUE(memmem(raw, (size_t)n, secret, sizeof(secret) - 1) == NULL);
	/* write(): bytes that are no TLS record reach the server, which gives up */
	EXPECT_EQ(write(p.cli, "GARBAGE-NOT-A-TLS-RECORD", 24), 24);
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_ERRNO(zsock_recv(p.srv, &b, 1, 0), EIO); /* not a record: §3.4 */
	tf_pair_close(&p);
}

/* ---- a relay that can corrupt a TLS record (test_tls_poll.c's technique) ---- */

struct trelay_dir {
	struct tf_worker w;
	int in;
	int out;
	atomic_bool corrupt; /* flip the last byte of the next application-data record */
	atomic_int corrupted;
};

struct trelay {
	int lst; /* plain TCP listener the TLS client connects to */
	int a;   /* relay end facing the client */
	int b;   /* relay end facing the server */
	struct trelay_dir c2s;
	struct trelay_dir s2c;
};

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, buf, n, 0);

		if (r <= 0) {
			return false;
		}
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

static void *trelay_dir_main(void *p)
{
	struct trelay_dir *d = p;
	uint8_t rec[5 + 18432 + 256];

	for (;;) {
		size_t len;

		if (!read_full(d->in, rec, 5)) {
			break;
		}
		len = (size_t)rec[3] << 8 | rec[4];
		if (len > sizeof(rec) - 5 || !read_full(d->in, rec + 5, len)) {
			break;
		}
		if (rec[0] == 23 && len > 0 && atomic_exchange(&d->corrupt, false)) {
			rec[5 + len - 1] ^= 0x01;
			atomic_fetch_add(&d->corrupted, 1);
		}
		if (send(d->out, rec, 5 + len, MSG_NOSIGNAL) != (ssize_t)(5 + len)) {
			break;
		}
	}
	shutdown(d->out, SHUT_WR);
	return NULL;
}

static void trelay_stop(struct trelay *r)
{
	if (r->a >= 0) {
		shutdown(r->a, SHUT_RDWR);
	}
	if (r->b >= 0) {
		shutdown(r->b, SHUT_RDWR);
	}
	tf_worker_must_join(&r->c2s.w, 10000);
	tf_worker_must_join(&r->s2c.w, 10000);
	close(r->a);
	close(r->b);
	close(r->lst);
}

/* A TLS pair whose records pass through the relay (both handshakes included). */
static bool trelay_pair_up(const struct tf_cfg *c, struct tf_pair *p, struct trelay *r)
{
	struct tf_acceptor acc = {.fd = -1};
	struct tf_connector k = {.cfg = *c, .fd = -1};
	struct timeval tv = {20, 0};
	uint16_t port;

	p->cli = p->srv = -1;
	r->a = r->b = -1;
	if (!tf_creds_ready()) {
		return false;
	}
	p->lst = tf_listener(c, &p->addr, &p->addr_len);
	r->lst = tu_listen(c->family, 0, &port);
	if (p->lst < 0 || r->lst < 0) {
		th_fail(__FILE__, __LINE__, "listeners");
		tf_close_fd(&p->lst);
		if (r->lst >= 0) {
			close(r->lst);
		}
		return false;
	}
	acc.lst = p->lst;
	k.len = tu_loopback(c->family, port, &k.addr);
	if (!tf_worker_start(&acc.w, tf_accept_main, &acc) ||
	    !tf_worker_start(&k.w, tf_connector_main, &k)) {
		abort();
	}
	r->a = accept(r->lst, NULL, NULL);
	r->b = tu_tcp_connect(c->family, tu_local_port(p->lst));
	if (r->a < 0 || r->b < 0) {
		th_fail(__FILE__, __LINE__, "relay connections");
		abort(); /* the handshake threads would wait forever */
	}
	setsockopt(r->a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(r->b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->c2s = (struct trelay_dir){.in = r->a, .out = r->b};
	r->s2c = (struct trelay_dir){.in = r->b, .out = r->a};
	atomic_init(&r->c2s.corrupt, false);
	atomic_init(&r->s2c.corrupt, false);
	atomic_init(&r->c2s.corrupted, 0);
	atomic_init(&r->s2c.corrupted, 0);
	if (!tf_worker_start(&r->c2s.w, trelay_dir_main, &r->c2s) ||
	    !tf_worker_start(&r->s2c.w, trelay_dir_main, &r->s2c)) {
		abort();
	}
	tf_worker_must_join(&k.w, 15000);
	tf_worker_must_join(&acc.w, 15000);
	p->cli = k.fd;
	p->srv = acc.fd;
	if (k.err != 0 || acc.fd < 0) {
		th_fail(__FILE__, __LINE__, "handshake through the relay: connect %s, accept %s",
			strerror(k.err), strerror(acc.err));
		tf_pair_close(p);
		trelay_stop(r);
		return false;
	}
	return true;
}

/* After recv() said EIO: every later call ECONNABORTED, poll POLLERR, nothing latched. */
static void expect_dead_after_eio(int fd)
{
	short rev = 0;
	char b;

	EXPECT_ERRNO(zsock_recv(fd, &b, 1, 0), ECONNABORTED);
	EXPECT_ERRNO(zsock_recv(fd, &b, 1, MSG_DONTWAIT), ECONNABORTED);
	EXPECT_ERRNO(zsock_send(fd, "x", 1, 0), ECONNABORTED);
	EXPECT_EQ(poll1(fd, POLLIN | POLLOUT, 0, &rev), 1);
	EXPECT_TRUE(rev & POLLERR);
	EXPECT_EQ(tf_get_int(fd, SOL_SOCKET, SO_ERROR), 0); /* EIO is not latched */
}

/*
 * docs/zephyr-behaviour.md §3.4 (an engine error in TLS recv() → EIO, not
 * latched; secsock then treats the connection as dead: later calls fail with
 * ECONNABORTED and poll reports POLLERR), Deliberate differences 13; Zephyr
 * sockets_tls.c. A relay flips a bit of the client's next record: the
 * server's recv() fails the MAC (EIO), the client's recv() meets the fatal
 * alert the server sent (EIO); on both sockets everything after is
 * ECONNABORTED.
 */
TEST(test_recv_eio_then_calls_econnaborted_pollerr)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	struct trelay r;
	char b;

	ASSERT_TRUE(trelay_pair_up(&c, &p, &r));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, 2000));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, 2000));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "before"));
	atomic_store(&r.c2s.corrupt, true);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	EXPECT_ERRNO(zsock_recv(p.srv, &b, 1, 0), EIO);
	EXPECT_EQ(atomic_load(&r.c2s.corrupted), 1);
	expect_dead_after_eio(p.srv);
	EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, 0), EIO);
	expect_dead_after_eio(p.cli);
	tf_pair_close(&p);
	trelay_stop(&r);
}

/* A blocking send() in a worker. */
struct blocked_send {
	struct tf_worker w;
	int fd;
	const uint8_t *buf;
	size_t len;
	ssize_t rc;
	int err;
};

static void *blocked_send_main(void *p)
{
	struct blocked_send *s = p;

	errno = 0;
	s->rc = zsock_send(s->fd, s->buf, s->len, 0);
	s->err = errno;
	return NULL;
}

/*
 * docs/zephyr-behaviour.md §3.4 (an engine error while sending latches
 * ECONNABORTED) and §3.9 (send after a send-side engine error →
 * ECONNABORTED, latched); Zephyr sockets_tls.c. The client fills the window
 * and blocks in send(); the server's socket is then reset (SO_LINGER 0 and
 * unread data: RST). The record the engine was writing cannot leave: the
 * blocked send() fails with ECONNABORTED, SO_ERROR holds it, and the later
 * send() and recv() fail with it. (test_tls_stream.c:
 * test_send_on_close_econnaborted covers a peer that closed before send().)
 */
TEST(test_send_engine_error_latches_econnaborted)
{
	struct tf_cfg c = tf_cfg_small_window();
	struct tf_pstream tx = {0, 91};
	static uint8_t buf[4096];
	struct blocked_send s = {0};
	struct linger lg = {1, 0};
	struct tf_pair p;
	char b;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_SNDTIMEO, GUARD_MS));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	EXPECT_TRUE(tf_fill_window(p.cli, &tx) > 0);
	tf_pat_fill(&tx, buf, sizeof(buf));
	s.fd = p.cli;
	s.buf = buf;
	s.len = sizeof(buf);
	ASSERT_TRUE(tf_worker_start(&s.w, blocked_send_main, &s));
	tf_sleep_ms(200); /* the sender waits for the window */
	EXPECT_TRUE(!atomic_load(&s.w.done));
	EXPECT_OK(zsock_setsockopt(p.srv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	tf_close_fd(&p.srv);
	tf_worker_must_join(&s.w, GUARD_MS + 5000);
	EXPECT_EQ(s.rc, -1);
	EXPECT_EQ(s.err, ECONNABORTED);
	EXPECT_EQ(tf_get_int(p.cli, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	EXPECT_EQ(tf_get_int(p.cli, SOL_SOCKET, SO_ERROR), ECONNABORTED); /* not cleared */
	EXPECT_ERRNO(zsock_send(p.cli, "x", 1, 0), ECONNABORTED);
	EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, 0), ECONNABORTED);
	tf_pair_close(&p);
}

/* ==== §3.4 data path, DTLS client ==== */

/*
 * docs/zephyr-behaviour.md §3.9 (SO_RCVTIMEO expired → EAGAIN), on a DTLS
 * client; Zephyr sockets_tls.c. The server stays silent: recv() waits 300 ms
 * and says EAGAIN; nothing is latched and the session goes on (SO_RCVTIMEO is
 * not an Mbed TLS read timeout, which secsock never sets: §3.4).
 */
TEST(test_dtls_client_rcvtimeo_eagain_keeps_session)
{
	struct dpair p;
	int64_t t0;
	char b;

	if (dpair_open(&p, AF_INET6, IPPROTO_DTLS_1_2, IPPROTO_DTLS_1_2)) {
		EXPECT_EQ(set_timeo(p.cli, SO_RCVTIMEO, 300), 0);
		t0 = now_ms();
		EXPECT_ERRNO(zsock_recv(p.cli, &b, 1, 0), EAGAIN);
		EXPECT_TRUE(now_ms() - t0 >= 250);
		EXPECT_EQ(get_int(p.cli, SOL_SOCKET, SO_ERROR), 0);
		dpair_echo(&p, "after the timeout");
	}
	dpair_close(&p);
}

/* ==== §3.5 DTLS server: hand-made ClientHellos from plain UDP sockets ==== */

/* A suite both ends have without ECDHE, so a ClientHello needs no extension. */
#define RAW_SUITE PSK_AES_256_CBC_SHA384

/* A DTLS server socket on PSK with only RAW_SUITE (address in *addr). */
static int raw_dtls_server(struct sockaddr_storage *addr, socklen_t *len)
{
	int suite = RAW_SUITE;
	int fd = dtls_server(AF_INET, TAG_PSK, addr, len);

	if (fd >= 0 &&
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof(suite)) < 0) {
		zsock_close(fd);
		fd = -1;
	}
	return fd;
}

/* Let the server take what is queued (its handshakes run in recvfrom()). */
static void server_pump(int srv)
{
	unsigned char b[64];

	for (int i = 0; i < 4 && zsock_recv(srv, b, sizeof(b), MSG_DONTWAIT) >= 0; i++) {
	}
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	put16(p + 1, v);
}

/*
 * The body of a DTLS 1.2 ClientHello: version, @p random_byte x 32, no
 * session ID, @p cookie, RAW_SUITE and the renegotiation SCSV, null
 * compression, no extensions. Returns its length.
 */
static size_t hello_body(uint8_t *b, uint8_t random_byte, const uint8_t *cookie, size_t cookie_len)
{
	size_t n = 0;

	b[n++] = 0xFE;
	b[n++] = 0xFD;
	memset(b + n, random_byte, 32);
	n += 32;
	b[n++] = 0; /* session_id */
	b[n++] = (uint8_t)cookie_len;
	if (cookie_len > 0) {
		memcpy(b + n, cookie, cookie_len);
		n += cookie_len;
	}
	put16(b + n, 4);
	put16(b + n + 2, RAW_SUITE);
	put16(b + n + 4, EMPTY_RENEGOTIATION_SCSV);
	n += 6;
	b[n++] = 1;
	b[n++] = 0;
	return n;
}

/*
 * One record: DTLS 1.2, epoch 0, sequence @p seq, carrying bytes
 * [off, off + len) of a ClientHello body of @p total bytes (message_seq @p
 * msg_seq). Returns the datagram's length.
 */
static size_t hello_record(uint8_t *d, uint64_t seq, uint16_t msg_seq, const uint8_t *body,
			   size_t total, size_t off, size_t len)
{
	d[0] = 22;
	d[1] = 0xFE;
	d[2] = 0xFD;
	d[3] = d[4] = 0; /* epoch */
	for (int i = 0; i < 6; i++) {
		d[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	}
	put16(d + 11, 12 + len);
	d[13] = 1; /* client_hello */
	put24(d + 14, total);
	put16(d + 17, msg_seq);
	put24(d + 19, off);
	put24(d + 22, len);
	memcpy(d + 25, body + off, len);
	return 25 + len;
}

/* A plain UDP socket on 127.0.0.1 that talks to the server at @p srv. */
struct raw_peer {
	int fd;
	uint8_t random_byte;
	uint8_t cookie[255];
	size_t cookie_len;
};

static bool raw_open(struct raw_peer *r, const struct sockaddr_storage *srv, socklen_t len,
		     uint8_t random_byte)
{
	r->fd = pf_udp_socket(NULL);
	r->random_byte = random_byte;
	r->cookie_len = 0;
	return r->fd >= 0 && connect(r->fd, (const struct sockaddr *)srv, len) == 0;
}

static void raw_close(struct raw_peer *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

/* The first ClientHello (no cookie, sequence 0). */
static bool raw_hello1(struct raw_peer *r)
{
	uint8_t body[128], d[256];
	size_t n = hello_body(body, r->random_byte, NULL, 0);

	n = hello_record(d, 0, 0, body, n, 0, n);
	return send(r->fd, d, n, 0) == (ssize_t)n;
}

/* The HelloVerifyRequest within @p ms: its cookie kept. */
static bool raw_take_hvr(struct raw_peer *r, int ms)
{
	uint8_t d[512];
	ssize_t n = udp_recv_wait(r->fd, d, sizeof(d), ms);

	/* record(13) handshake(12): type 3; then server_version(2) cookie_len(1) cookie */
	if (n < 13 + 12 + 3 || d[0] != 22 || d[13] != 3 || 13 + 12 + 3 + d[27] > n) {
		return false;
	}
	r->cookie_len = d[27];
	memcpy(r->cookie, d + 28, r->cookie_len);
	return true;
}

/*
 * The second ClientHello (with the cookie; record sequence 1, message_seq 1),
 * in @p pieces datagrams of about equal size (1: whole).
 */
static bool raw_hello2(struct raw_peer *r, int pieces)
{
	uint8_t body[512], d[600];
	size_t total = hello_body(body, r->random_byte, r->cookie, r->cookie_len);
	size_t off = 0;

	for (int i = 0; i < pieces; i++) {
		size_t len = i == pieces - 1 ? total - off : total / (size_t)pieces;
		size_t n = hello_record(d, 1 + (uint64_t)i, 1, body, total, off, len);

		if (send(r->fd, d, n, 0) != (ssize_t)n) {
			return false;
		}
		off += len;
	}
	return true;
}

/* A server flight (ServerHello first) within @p ms. */
static bool raw_got_server_hello(struct raw_peer *r, int ms)
{
	uint8_t d[2048];
	ssize_t n = udp_recv_wait(r->fd, d, sizeof(d), ms);

	return n > 13 && d[0] == 22 && d[13] == 2;
}

/* Nothing at all arrives within @p ms. */
static bool raw_silent(struct raw_peer *r, int ms)
{
	uint8_t d[2048];

	return udp_recv_wait(r->fd, d, sizeof(d), ms) < 0;
}

/* A plaintext fatal handshake_failure alert (epoch 0, sequence @p seq). */
static bool raw_fatal_alert(struct raw_peer *r, uint64_t seq)
{
	uint8_t d[15] = {21, 0xFE, 0xFD, 0, 0};

	for (int i = 0; i < 6; i++) {
		d[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	}
	put16(d + 11, 2);
	d[13] = 2;  /* fatal */
	d[14] = 40; /* handshake_failure */
	return send(r->fd, d, sizeof(d), 0) == (ssize_t)sizeof(d);
}

/* Cookie exchange, then the ClientHello with the cookie in @p pieces datagrams. */
static bool raw_handshake_start(int srv, struct raw_peer *r, int pieces)
{
	if (!raw_hello1(r)) {
		return false;
	}
	server_pump(srv);
	if (!raw_take_hvr(r, 2000) || !raw_hello2(r, pieces)) {
		return false;
	}
	server_pump(srv);
	return true;
}

/* A real client connects and echoes through @p srv (a server on RAW_SUITE). */
static void expect_real_client_served(int srv, const struct sockaddr_storage *addr, socklen_t len)
{
	struct echo_srv e;
	int cli = dtls_sock(AF_INET, TAG_PSK);
	int suite = RAW_SUITE;
	char rx[16] = {0};

	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_CIPHERSUITE_LIST, &suite, sizeof(suite)));
	ASSERT_TRUE(echo_start(&e, srv));
	EXPECT_OK(zsock_connect(cli, (const struct sockaddr *)addr, len));
	EXPECT_EQ(zsock_send(cli, "served", 6, 0), 6);
	EXPECT_EQ(zsock_recv(cli, rx, sizeof(rx), 0), 6);
	EXPECT_STREQ(rx, "served");
	echo_stop(&e);
	zsock_close(cli);
}

/*
 * docs/zephyr-behaviour.md §3.5 (a ClientHello split over several datagrams
 * is not reassembled: it is dropped) and Deliberate differences 12; no
 * Zephyr source (the row's is "—": a rule of secsock's cookie exchange).
 * Hand-made ClientHellos from plain UDP sockets: whole, the cookie exchange
 * and the ServerHello follow and a session is made (the control); the same
 * ClientHello in fragments gets no answer - neither before the cookie
 * exchange nor after it - and makes no session. A real client is served
 * afterwards.
 */
TEST(test_dtls_server_fragmented_client_hello_dropped)
{
	struct sockaddr_storage addr;
	struct raw_peer ok = {.fd = -1}, frag = {.fd = -1}, frag1 = {.fd = -1};
	uint8_t body[128], d[256];
	socklen_t len;
	size_t total, n;
	int srv;

	ASSERT_TRUE(creds_ready());
	srv = raw_dtls_server(&addr, &len);
	ASSERT_TRUE(srv >= 0);
	/* control: the same bytes in one datagram make a session */
	ASSERT_TRUE(raw_open(&ok, &addr, len, 0x11));
	EXPECT_TRUE(raw_handshake_start(srv, &ok, 1));
	EXPECT_TRUE(raw_got_server_hello(&ok, 2000));
	EXPECT_EQ(zt_dtls_session_count(srv), 1);

	/* the first ClientHello in two fragments: no HelloVerifyRequest */
	ASSERT_TRUE(raw_open(&frag1, &addr, len, 0x22));
	total = hello_body(body, 0x22, NULL, 0);
	n = hello_record(d, 0, 0, body, total, 0, 20);
	EXPECT_EQ(send(frag1.fd, d, n, 0), (ssize_t)n);
	n = hello_record(d, 1, 0, body, total, 20, total - 20);
	EXPECT_EQ(send(frag1.fd, d, n, 0), (ssize_t)n);
	server_pump(srv);
	EXPECT_TRUE(raw_silent(&frag1, 300));

	/* cookie exchange done whole, then the ClientHello with the cookie in 2 and 3 pieces */
	ASSERT_TRUE(raw_open(&frag, &addr, len, 0x33));
	EXPECT_TRUE(raw_handshake_start(srv, &frag, 2));
	EXPECT_TRUE(raw_silent(&frag, 300));
	EXPECT_TRUE(raw_hello2(&frag, 3));
	server_pump(srv);
	EXPECT_TRUE(raw_silent(&frag, 300));
	EXPECT_EQ(zt_dtls_session_count(srv), 1); /* the control's only */

	expect_real_client_served(srv, &addr, len);
	raw_close(&ok);
	raw_close(&frag);
	raw_close(&frag1);
	zsock_close(srv);
}

/*
 * docs/zephyr-behaviour.md §3.5 (no free session → the datagram is dropped)
 * and §3.15 (SECSOCK_TLS_DTLS_MAX_PEERS sessions per DTLS server socket, set
 * to 1024 here); Zephyr sockets_tls.c,
 * CONFIG_NET_SOCKETS_TLS_MAX_SESSION_CONTEXTS. 1024 plain UDP peers each pass
 * the cookie exchange (a session each); a 1025th peer's ClientHello then gets
 * no answer at all. One peer aborts its handshake (fatal alert), which frees
 * a session: the 1025th is answered now.
 */
TEST(test_dtls_server_full_table_drops_new_peers)
{
	enum {
		N = 1024
	};
	static struct raw_peer peers[N];
	struct raw_peer extra = {.fd = -1};
	struct sockaddr_storage addr;
	int64_t t0 = now_ms();
	socklen_t len;
	int srv, made = 0;

	ASSERT_TRUE(creds_ready());
	srv = raw_dtls_server(&addr, &len);
	ASSERT_TRUE(srv >= 0);
	/* SECSOCK_TLS_DTLS_MAX_PEERS (default 16384) as Zephyr's pool of 1024 */
	ASSERT_TRUE(set_int(srv, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, N) == 0);
	for (int i = 0; i < N; i++) {
		peers[i].fd = -1;
	}
	for (int i = 0; i < N; i++) {
		if (!raw_open(&peers[i], &addr, len, (uint8_t)i) ||
		    !raw_handshake_start(srv, &peers[i], 1)) {
			th_fail(__FILE__, __LINE__, "peer %d: no session", i);
			break;
		}
		made++;
	}
	EXPECT_EQ(made, N);
	EXPECT_EQ(zt_dtls_session_count(srv), N);
	/* idle sessions expire after 5 s: everything above must have been quick */
	EXPECT_TRUE(now_ms() - t0 < ZT_DTLS_IDLE_TIMEOUT_MS - 1000);
	if (made == N) {
		ASSERT_TRUE(raw_open(&extra, &addr, len, 0xEE));
		EXPECT_TRUE(raw_hello1(&extra));
		server_pump(srv);
		EXPECT_TRUE(raw_silent(&extra, 300));
		EXPECT_EQ(zt_dtls_session_count(srv), N);
		/* a session goes: room for the newcomer */
		EXPECT_TRUE(raw_fatal_alert(&peers[0], 5));
		server_pump(srv);
		EXPECT_EQ(zt_dtls_session_count(srv), N - 1);
		EXPECT_TRUE(raw_hello1(&extra));
		server_pump(srv);
		EXPECT_TRUE(raw_take_hvr(&extra, 2000));
	}
	raw_close(&extra);
	for (int i = 0; i < N; i++) {
		raw_close(&peers[i]);
	}
	zsock_close(srv);
}

/* ==== §3.8 shutdown ==== */

/*
 * docs/zephyr-behaviour.md §3.8 (shutdown(SHUT_WR) and SHUT_RDWR: Zephyr
 * ENOTSUP, #105740), Deliberate differences 19: secsock sends close_notify
 * and half-closes TCP; the peer reads 0 and can still answer, which the
 * half-closed side still receives; its own send() is EPIPE. Any other how
 * → EINVAL (as Zephyr). A DTLS socket with no peer: ENOTCONN (POSIX).
 */
TEST(test_shutdown_wr_half_close_other_einval)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	char buf[32] = {0};
	struct tf_pair p;
	int v = -1;
	socklen_t vl = sizeof(v);
	int d;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	EXPECT_ERRNO(zsock_shutdown(p.cli, 42), EINVAL);
	EXPECT_ERRNO(zsock_shutdown(p.cli, -1), EINVAL);
	EXPECT_EQ(zsock_send(p.cli, "request", 7, 0), 7);
	EXPECT_OK(zsock_shutdown(p.cli, SHUT_WR));
	EXPECT_OK(zsock_shutdown(p.cli, SHUT_WR)); /* twice: nothing more */
	EXPECT_ERRNO(zsock_send(p.cli, "late", 4, 0), EPIPE);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_WAITALL), 7);
	EXPECT_EQ(memcmp(buf, "request", 7), 0);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), 0);
	EXPECT_OK(zsock_getsockopt(p.srv, SOL_TLS, SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED, &v, &vl));
	EXPECT_EQ(v, 1);
	/* the server answers after the client's close_notify: Zephyr's rule refuses that (§3.4) */
	EXPECT_ERRNO(zsock_send(p.srv, "answer", 6, 0), ECONNABORTED);
	tf_pair_close(&p);

	/* SHUT_RDWR: nothing more either way, and the peer sees the end */
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_OK(zsock_shutdown(p.cli, SHUT_RDWR));
	EXPECT_EQ(zsock_recv(p.cli, buf, sizeof(buf), 0), 0);
	EXPECT_ERRNO(zsock_send(p.cli, "late", 4, 0), EPIPE);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), 0);
	tf_pair_close(&p);

	d = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(d >= 0);
	EXPECT_ERRNO(zsock_shutdown(d, SHUT_WR), ENOTCONN);
	EXPECT_ERRNO(zsock_shutdown(d, SHUT_RDWR), ENOTCONN);
	EXPECT_ERRNO(zsock_shutdown(d, 42), EINVAL);
	zsock_close(d);
}

/* ==== §3.10 session cache ==== */

static void cache_purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0));
	zsock_close(fd);
}

/* TLS 1.2 (the server's one suite), session cache on at both ends. */
static struct tf_cfg cache_cfg(void)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);

	c.srv_suites[0] = ECDHE_ECDSA_AES_128_GCM;
	c.n_srv_suites = 1;
	c.srv_cache = true;
	c.cli_cache = true;
	return c;
}

/* One connection to listener @p lst: SECSOCK_TLS_SESSION_RESUMED of the client, or -1. */
static int cache_round(int lst, const struct tf_cfg *c)
{
	struct tf_acceptor a = {.lst = lst, .fd = -1};
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	int fd = tf_client(c, 0);
	int resumed = -1;
	socklen_t rl = sizeof(resumed);

	if (fd < 0 || set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0 ||
	    zsock_getsockname(lst, (struct sockaddr *)&addr, &len) < 0 ||
	    !tf_worker_start(&a.w, tf_accept_main, &a)) {
		tf_close_fd(&fd);
		return -1;
	}
	if (zsock_connect(fd, (struct sockaddr *)&addr, len) < 0 ||
	    zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &resumed, &rl) < 0) {
		resumed = -1;
		tf_close_fd(&fd); /* the server's accept() fails or sees EOF */
	}
	tf_worker_must_join(&a.w, 15000);
	tf_close_fd(&fd);
	tf_close_fd(&a.fd);
	return resumed;
}

/*
 * docs/zephyr-behaviour.md §3.10 (a full client cache replaces the entry for
 * the same address, else an empty slot, else the oldest) and §3.15
 * (CONFIG_NET_SOCKETS_TLS_MAX_CLIENT_SESSION_COUNT: 64 in secsock); Zephyr
 * sockets_tls.c. 65 servers on 65 ports (the cache key is the peer address);
 * SECSOCK_TLS_SESSION_RESUMED tells whether the client's session was cached:
 *  - sessions with servers 0..63 fill the 64 slots;
 *  - server 5 again: resumed, and its entry replaced in place;
 *  - server 64: a 65th address, which takes the oldest slot (server 0's);
 *  - servers 1..64 all resume: 64 entries at once, nothing else was lost;
 *  - server 0: full handshake (it was the one replaced); its new entry
 *    takes the slot of the now oldest, server 1 (renewed first above);
 *  - server 2 resumes, server 1 does not.
 */
TEST(test_session_cache_client_64_entries_oldest_replaced)
{
	enum {
		N = 65
	};
	struct tf_cfg c = cache_cfg();
	int lst[N];
	struct sockaddr_storage addr;
	socklen_t len;

	ASSERT_TRUE(tf_creds_ready());
	for (int i = 0; i < N; i++) {
		lst[i] = tf_listener(&c, &addr, &len);
		ASSERT_TRUE(lst[i] >= 0);
		/* no Nagle delay in the handshakes (accepted sockets inherit it) */
		EXPECT_OK(set_int(lst[i], IPPROTO_TCP, TCP_NODELAY, 1));
	}
	cache_purge();
	for (int i = 0; i < 64; i++) {
		EXPECT_EQ(cache_round(lst[i], &c), 0);
	}
	EXPECT_EQ(cache_round(lst[5], &c), 1);
	EXPECT_EQ(cache_round(lst[64], &c), 0);
	for (int i = 1; i <= 64; i++) {
		EXPECT_EQ(cache_round(lst[i], &c), 1);
	}
	EXPECT_EQ(cache_round(lst[0], &c), 0);
	EXPECT_EQ(cache_round(lst[2], &c), 1);
	EXPECT_EQ(cache_round(lst[1], &c), 0);
	for (int i = 0; i < N; i++) {
		zsock_close(lst[i]);
	}
	cache_purge();
}

/* A server thread that answers each of @p conns connections: a line in, "pong" out, close. */
struct line_srv {
	struct tf_worker w;
	int lst;
	int conns;
	int served;
};

static void *line_srv_main(void *p)
{
	struct line_srv *s = p;

	for (int i = 0; i < s->conns; i++) {
		int fd = zsock_accept(s->lst, NULL, NULL);
		char buf[128];
		size_t got = 0;

		if (fd < 0) {
			break;
		}
		tf_set_timeo(fd, SO_RCVTIMEO, GUARD_MS);
		while (got < sizeof(buf) && memchr(buf, '\n', got) == NULL) {
			ssize_t n = zsock_recv(fd, buf + got, sizeof(buf) - got, 0);

			if (n <= 0) {
				break;
			}
			got += (size_t)n;
		}
		if (memchr(buf, '\n', got) != NULL && zsock_send(fd, "pong\n", 5, 0) == 5) {
			s->served++;
		}
		zsock_close(fd);
	}
	return NULL;
}

/* openssl s_client, TLS 1.2 without tickets (session IDs only); true if it printed @p want. */
static bool sclient_says(uint16_t port, const char *sess_opt, const char *sess_file,
			 const char *want)
{
	struct pf_argv a = {0};
	struct pf_peer p = {0};
	bool ok;

	pf_arg(&a, "openssl");
	pf_arg(&a, "s_client");
	pf_arg(&a, "-connect");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-tls1_2");
	pf_arg(&a, "-no_ticket");
	pf_arg(&a, "%s", sess_opt);
	pf_arg(&a, "%s", sess_file);
	if (!pf_peer_start(&p, "openssl s_client", &a, 1 << 16, PF_STDIN)) {
		th_fail(__FILE__, __LINE__, "cannot start openssl");
		return false;
	}
	pf_peer_write(&p, "ping\n");
	ok = pf_peer_wait(&p, "pong", GUARD_MS);
	pf_peer_close_stdin(&p);
	(void)pf_peer_reaped(&p, GUARD_MS);
	ok = ok && pf_peer_has(&p, want);
	if (!ok) {
		th_fail(__FILE__, __LINE__, "s_client %s: \"%s\" expected", sess_opt, want);
	}
	pf_peer_stop(&p);
	return ok;
}

/*
 * docs/zephyr-behaviour.md §3.10 and §1.3 option 13 (TLS_SESSION_CACHE_PURGE
 * empties both caches), Zephyr sockets_tls.c: the server's part on its
 * own. The client must be another process that keeps its session across the
 * purge, and must resume by session ID (no ticket): openssl s_client
 * -no_ticket. New, then Reused (the server cache works), purge in this
 * process, then New again.
 */
TEST(test_session_cache_purge_empties_server_cache)
{
	struct tf_cfg c = cache_cfg();
	struct line_srv s = {.conns = 3};
	struct sockaddr_storage addr;
	char sess[] = "/tmp/secsock-purge-XXXXXX";
	socklen_t len;
	int tmp;

	if (!tu_have("openssl")) {
		SKIP("openssl not found");
	}
	ASSERT_TRUE(tf_creds_ready());
	tmp = mkstemp(sess);
	ASSERT_TRUE(tmp >= 0);
	close(tmp);
	cache_purge();
	s.lst = tf_listener(&c, &addr, &len);
	ASSERT_TRUE(s.lst >= 0);
	ASSERT_TRUE(tf_worker_start(&s.w, line_srv_main, &s));
	if (sclient_says(port_of(&addr), "-sess_out", sess, "New, TLSv1.2") &&
	    sclient_says(port_of(&addr), "-sess_in", sess, "Reused, TLSv1.2")) {
		cache_purge();
		EXPECT_TRUE(sclient_says(port_of(&addr), "-sess_in", sess, "New, TLSv1.2"));
	}
	zsock_close(s.lst); /* a server still in accept() wakes with EINTR */
	tf_worker_must_join(&s.w, 15000);
	EXPECT_EQ(s.served, 3);
	unlink(sess);
	cache_purge();
}

/* ==== §3.13 thread safety ==== */

#define TURN_MSGS  200
#define TURN_BLOCK 1000

struct turn_sender {
	struct tf_worker w;
	int fd;
	char base; /* 'A' or 'a': message i is TURN_BLOCK x (base + i % 26) */
	int sent;
	int err;
};

static void *turn_sender_main(void *p)
{
	struct turn_sender *t = p;
	char buf[TURN_BLOCK];

	for (int i = 0; i < TURN_MSGS; i++) {
		memset(buf, t->base + i % 26, sizeof(buf));
		if (zsock_send(t->fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
			t->err = errno;
			break;
		}
		t->sent++;
	}
	return NULL;
}

/*
 * docs/zephyr-behaviour.md §3.13 (two threads sending on one socket take
 * turns); Zephyr sockets_tls.c. Two threads send 200 messages of 1000
 * identical bytes each on one TLS socket ('A'.., 'a'..); the peer reads
 * 1000-byte blocks: every block is uniform (no message was interleaved with
 * another), and each thread's messages arrive whole and in its order.
 */
TEST(test_two_threads_send_take_turns)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct turn_sender t[2] = {{.base = 'A'}, {.base = 'a'}};
	int next[2] = {0, 0};
	char buf[TURN_BLOCK];
	struct tf_pair p;
	int blocks = 0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_SNDTIMEO, GUARD_MS));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	for (int i = 0; i < 2; i++) {
		t[i].fd = p.cli;
		ASSERT_TRUE(tf_worker_start(&t[i].w, turn_sender_main, &t[i]));
	}
	for (; blocks < 2 * TURN_MSGS; blocks++) {
		int who;

		if (zsock_recv(p.srv, buf, sizeof(buf), MSG_WAITALL) != (ssize_t)sizeof(buf)) {
			th_fail(__FILE__, __LINE__, "block %d: %s", blocks, strerror(errno));
			break;
		}
		who = buf[0] >= 'a' ? 1 : 0;
		if (buf[0] != t[who].base + next[who] % 26) {
			th_fail(__FILE__, __LINE__, "block %d starts with '%c'", blocks, buf[0]);
			break;
		}
		for (size_t k = 1; k < sizeof(buf); k++) {
			if (buf[k] != buf[0]) {
				th_fail(__FILE__, __LINE__, "block %d mixes '%c' and '%c' at %zu",
					blocks, buf[0], buf[k], k);
				break;
			}
		}
		if (th_case_failed()) {
			break;
		}
		next[who]++;
	}
	for (int i = 0; i < 2; i++) {
		tf_worker_must_join(&t[i].w, 15000);
		EXPECT_EQ(t[i].sent, TURN_MSGS);
		EXPECT_EQ(next[i], TURN_MSGS);
	}
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	tf_pair_close(&p);
}

/* ==== §3.15 limits: the maximum fragment length ==== */

/*
 * The extensions of a ClientHello body (after the handshake header): their
 * types in @p types (at most @p max), the max_fragment_length value in *mfl
 * (0 if absent). Returns the count, or -1 if the body does not parse exactly.
 */
static int hello_exts(const uint8_t *b, size_t n, bool dtls, int *types, int max, int *mfl)
{
	size_t i = 2 + 32, end;
	int count = 0;

	*mfl = 0;
	if (n < i + 1) {
		return -1;
	}
	i += 1 + b[i]; /* session_id */
	if (dtls) {
		if (n < i + 1) {
			return -1;
		}
		i += 1 + b[i]; /* cookie */
	}
	if (n < i + 2) {
		return -1;
	}
	i += 2 + ((size_t)b[i] << 8 | b[i + 1]); /* cipher_suites */
	if (n < i + 1) {
		return -1;
	}
	i += 1 + b[i]; /* compression_methods */
	if (n < i + 2) {
		return -1;
	}
	end = i + 2 + ((size_t)b[i] << 8 | b[i + 1]);
	if (end != n) {
		return -1;
	}
	for (i += 2; i + 4 <= end; count++) {
		int type = b[i] << 8 | b[i + 1];
		size_t len = (size_t)b[i + 2] << 8 | b[i + 3];

		if (i + 4 + len > end) {
			return -1;
		}
		if (count < max) {
			types[count] = type;
		}
		if (type == 1 && len == 1) {
			*mfl = b[i + 4];
		}
		i += 4 + len;
	}
	return i == end ? count : -1;
}

static bool has_type(const int *types, int n, int type)
{
	for (int i = 0; i < n; i++) {
		if (types[i] == type) {
			return true;
		}
	}
	return false;
}

/*
 * docs/zephyr-behaviour.md §3.15 (CONFIG_NET_SOCKETS_TLS_SET_MAX_FRAGMENT_LENGTH:
 * TLS over TCP asks for no maximum fragment length); Zephyr sockets_tls.c,
 * Kconfig. A plain TCP listener takes the ClientHello of a TLS client and
 * reads its extension list: server_name (0) is there (the parse works),
 * max_fragment_length (1) is not. The control: a DTLS client's ClientHello,
 * taken by a plain UDP socket, asks for 1024 bytes (RFC 6066 code 2, §3.6).
 */
TEST(test_tls_client_hello_no_max_fragment_length)
{
	struct tf_connector k = {.cfg = tf_cfg_cert(AF_INET), .fd = -1};
	struct conn_job job;
	struct worker w;
	uint8_t rec[16384 + 5];
	int types[64], mfl = -1, n;
	uint16_t port;
	size_t len;
	int lst, fd, u, cli;

	ASSERT_TRUE(tf_creds_ready());
	/* TLS: record(5) handshake(4) body */
	lst = tu_listen(AF_INET, 0, &port);
	ASSERT_TRUE(lst >= 0);
	k.len = tu_loopback(AF_INET, port, &k.addr);
	ASSERT_TRUE(tf_worker_start(&k.w, tf_connector_main, &k));
	fd = accept(lst, NULL, NULL);
	ASSERT_TRUE(fd >= 0);
	EXPECT_TRUE(raw_read_full(fd, rec, 5, GUARD_MS));
	len = (size_t)rec[3] << 8 | rec[4];
	EXPECT_EQ(rec[0], 22);
	if (len >= 4 && len < sizeof(rec) - 5 && raw_read_full(fd, rec + 5, len, GUARD_MS)) {
		EXPECT_EQ(rec[5], 1); /* client_hello */
		EXPECT_EQ((size_t)(rec[6] << 16 | rec[7] << 8 | rec[8]), len - 4);
		n = hello_exts(rec + 9, len - 4, false, types, 64, &mfl);
		EXPECT_TRUE(n > 0);
		EXPECT_TRUE(has_type(types, n, 0));  /* server_name: "localhost" */
		EXPECT_TRUE(!has_type(types, n, 1)); /* no max_fragment_length */
		EXPECT_EQ(mfl, 0);
	} else {
		th_fail(__FILE__, __LINE__, "no whole ClientHello record (%zu bytes)", len);
	}
	close(fd); /* the client's handshake fails at once */
	tf_worker_must_join(&k.w, 15000);
	EXPECT_TRUE(k.err != 0);
	tf_close_fd(&k.fd);
	close(lst);

	/* DTLS: record(13) handshake(12) body */
	{
		struct sockaddr_storage ss = {0};
		struct sockaddr_in at;

		u = pf_udp_socket(&at);
		ASSERT_TRUE(u >= 0);
		cli = dtls_sock(AF_INET, TAG_CA);
		ASSERT_TRUE(cli >= 0);
		EXPECT_EQ(set_hs_timeouts(cli, 100, 400), 0);
		memcpy(&ss, &at, sizeof(at));
		conn_job_init(&job, cli, &ss, sizeof(at));
		job.no_byte = true;
		ASSERT_TRUE(worker_start(&w, conn_job_main, &job));
		n = (int)udp_recv_wait(u, rec, sizeof(rec), GUARD_MS);
		EXPECT_TRUE(n > 25 && rec[0] == 22 && rec[13] == 1);
		if (n > 25) {
			size_t body = (size_t)rec[22] << 16 | rec[23] << 8 | rec[24];

			EXPECT_EQ(body, (size_t)n - 25); /* one whole fragment */
			n = hello_exts(rec + 25, body, true, types, 64, &mfl);
			EXPECT_TRUE(n > 0);
			EXPECT_TRUE(has_type(types, n, 1));
			EXPECT_EQ(mfl, 2); /* 2^10 */
		}
		close(u); /* the retransmission meets a closed port */
		worker_must_join(&w, 15000);
		EXPECT_TRUE(job.rc != 0);
		zsock_close(cli);
	}
}

/*
 * docs/zephyr-behaviour.md §3.15 (TLS over TCP takes 16 KiB records); Zephyr
 * Kconfig CONFIG_NET_SOCKETS_TLS_SET_MAX_FRAGMENT_LENGTH. secsock's own
 * records are at most 4 KiB (config/mbedtls_config.h), so the sender is
 * openssl s_server: 16384 bytes on its stdin go out as one record (its
 * header, peeked on the client's kernel socket, says 16 KiB plus the
 * cipher's overhead), and the secsock client reads them whole.
 */
TEST(test_tls_takes_16k_records)
{
	static char tx[16384 + 1];
	static uint8_t rx[16384];
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct sockaddr_storage addr;
	struct pf_argv a = {0};
	struct pf_peer srv = {0};
	uint8_t hdr[5] = {0};
	struct pollfd kp;
	int64_t end;
	socklen_t len;
	uint16_t port;
	size_t rlen;
	int fd = -1;

	if (!tu_have("openssl")) {
		SKIP("openssl not found");
	}
	ASSERT_TRUE(tf_creds_ready());
	for (size_t i = 0; i < sizeof(tx) - 1; i++) {
		tx[i] = (char)('0' + i % 64);
	}
	port = tu_free_port(AF_INET, SOCK_STREAM);
	len = tu_loopback(AF_INET, port, &addr);
	pf_arg(&a, "openssl");
	pf_arg(&a, "s_server");
	pf_arg(&a, "-accept");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-cert");
	pf_arg(&a, "%s", tu_cert_path("server.pem"));
	pf_arg(&a, "-key");
	pf_arg(&a, "%s", tu_cert_path("server.key"));
	pf_arg(&a, "-tls1_2"); /* no TLS 1.3 tickets in front of the data */
	pf_arg(&a, "-quiet");
	ASSERT_TRUE(pf_peer_start(&srv, "openssl s_server", &a, 1 << 16, PF_STDIN));
	/*
	 * connect once it listens (no probe connection: it serves one at a time);
	 * openssl can take seconds to start on a loaded machine
	 */
	for (end = tf_now_ms() + 4 * GUARD_MS; tf_now_ms() < end; tf_sleep_ms(50)) {
		fd = tf_client(&c, 0);
		if (fd < 0 || zsock_connect(fd, (struct sockaddr *)&addr, len) == 0) {
			break;
		}
		tf_close_fd(&fd);
	}
	if (fd < 0) {
		th_fail(__FILE__, __LINE__, "no TLS connection to openssl s_server");
		pf_peer_stop(&srv);
		return;
	}
	EXPECT_OK(tf_set_timeo(fd, SO_RCVTIMEO, GUARD_MS));
	pf_peer_write(&srv, tx);
	kp = (struct pollfd){.fd = fd, .events = POLLIN};
	EXPECT_EQ(poll(&kp, 1, GUARD_MS), 1);
	EXPECT_EQ(recv(fd, hdr, sizeof(hdr), MSG_PEEK | MSG_WAITALL), 5);
	rlen = (size_t)hdr[3] << 8 | hdr[4];
	EXPECT_EQ(hdr[0], 23);
	EXPECT_TRUE(rlen > 16384 && rlen <= 16384 + 256);
	EXPECT_EQ(zsock_recv(fd, rx, sizeof(rx), MSG_WAITALL), sizeof(rx));
	EXPECT_EQ(memcmp(rx, tx, sizeof(rx)), 0);
	tf_close_fd(&fd);
	pf_peer_stop(&srv);
}
