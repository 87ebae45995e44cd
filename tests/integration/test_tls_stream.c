/*
 * TLS over TCP through zsock_*, black box over loopback: the TLS (not DTLS)
 * cases of Zephyr's tests/net/socket/tls (docs/zephyr-behaviour.md §4.1), plus protocol
 * versions, PSK, mutual authentication, large and concurrent transfers and
 * accept() inheritance (issue 3). Poll cases live in test_tls_poll.c.
 * Zephyr's suite runs on PSK; here the default pair is certificate based
 * (server.pem for "localhost", client trusts ca.pem) and PSK has its own cases.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

/* SO_RCVTIMEO/SO_SNDTIMEO set only so that a broken library fails a case instead of hanging it */
#define GUARD_MS 5000

/* IANA ids used below (RFC 5487, RFC 5489, RFC 5289, RFC 8446) */
#define PSK_AES_128_GCM_SHA256       0x00A8
#define PSK_AES_256_CBC_SHA384       0x00AF /* Zephyr's test suite */
#define ECDHE_PSK_AES_128_CBC_SHA256 0xC037
#define ECDHE_ECDSA_AES_128_GCM      0xC02B /* a TLS 1.2-only suite for our ECDSA server */
#define TLS13_AES_128_GCM_SHA256     0x1301

/* Security tags of this file (the store is process-wide; deleted at exit). */
enum {
	TAG_CA = 3100,
	TAG_SERVER,
	TAG_CLIENT,
	TAG_UNTRUSTED,
	TAG_PSK,
	TAG_PSK_BAD,
};

static const unsigned char psk[] = {0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const unsigned char psk_bad[] = {0xf0, 0x0d, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0xff};
static const char psk_id[] = "test_identity";

/* ---- credentials ---- */

static int creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem");
	rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key");
	rc |= tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "untrusted.pem");
	rc |= tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY, "untrusted.key");
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk));
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, psk_id, strlen(psk_id));
	rc |= tls_credential_add(TAG_PSK_BAD, TLS_CREDENTIAL_PSK, psk_bad, sizeof(psk_bad));
	rc |= tls_credential_add(TAG_PSK_BAD, TLS_CREDENTIAL_PSK_ID, psk_id, strlen(psk_id));
	return rc;
}

static void creds_delete(void)
{
	static const sec_tag_t tags[] = {TAG_CA,        TAG_SERVER, TAG_CLIENT,
					 TAG_UNTRUSTED, TAG_PSK,    TAG_PSK_BAD};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		for (int t = TLS_CREDENTIAL_CA_CERTIFICATE; t <= TLS_CREDENTIAL_PSK_ID; t++) {
			(void)tls_credential_delete(tags[i], (enum tls_credential_type)t);
		}
	}
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_delete};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

static struct tf_cfg cfg_psk(int family, int suite)
{
	struct tf_cfg c = {
		.family = family,
		.cli_proto = IPPROTO_TLS_1_2,
		.srv_proto = IPPROTO_TLS_1_2,
		.cli_tags = {TAG_PSK},
		.n_cli_tags = 1,
		.srv_tags = {TAG_PSK},
		.n_srv_tags = 1,
		.cli_suites = {suite},
		.n_cli_suites = suite ? 1 : 0,
		.srv_suites = {suite},
		.n_srv_suites = suite ? 1 : 0,
		.srv_verify = -1,
	};

	return c;
}

/* Delayed one-shot actions from another thread (Zephyr's work items). */
enum act_kind {
	ACT_SEND,
	ACT_DRIP, /* one byte every 10 ms */
	ACT_CLOSE,
	ACT_SHUT_RD,
};

struct action {
	struct tf_worker w;
	enum act_kind kind;
	int fd;
	int delay_ms;
	const char *data;
	size_t len;
	ssize_t rc;
	int err;
};

static void *action_main(void *p)
{
	struct action *a = p;

	tf_sleep_ms(a->delay_ms);
	errno = 0;
	switch (a->kind) {
	case ACT_SEND:
		a->rc = zsock_send(a->fd, a->data, a->len, 0);
		break;
	case ACT_DRIP:
		a->rc = 0;
		for (size_t i = 0; i < a->len; i++) {
			if (zsock_send(a->fd, a->data + i, 1, 0) != 1) {
				a->rc = -1;
				break;
			}
			a->rc++;
			tf_sleep_ms(10);
		}
		break;
	case ACT_CLOSE:
		a->rc = zsock_close(a->fd);
		break;
	case ACT_SHUT_RD:
		a->rc = zsock_shutdown(a->fd, SHUT_RD);
		break;
	}
	a->err = errno;
	return NULL;
}

static bool action_start(struct action *a, enum act_kind kind, int fd, int delay_ms,
			 const char *data, size_t len)
{
	a->kind = kind;
	a->fd = fd;
	a->delay_ms = delay_ms;
	a->data = data;
	a->len = len;
	a->rc = -2;
	return tf_worker_start(&a->w, action_main, a);
}

/* Zephyr's test_eof(): 0, again 0 without waiting, still 0 after TCP teardown. */
static void expect_eof(int fd)
{
	char c;

	EXPECT_EQ(zsock_recv(fd, &c, 1, 0), 0);
	EXPECT_EQ(zsock_recv(fd, &c, 1, MSG_DONTWAIT), 0);
	tf_sleep_ms(200);
	EXPECT_EQ(zsock_recv(fd, &c, 1, MSG_DONTWAIT), 0);
	EXPECT_EQ(zsock_recv(fd, &c, 1, 0), 0);
}

/* ---- basic: type, protocol, echo over v4 and v6 ---- */

/* Zephyr test_so_type, test_so_protocol, on connected and accepted sockets */
TEST(test_so_type_protocol_on_connected_sockets)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_pair p;

	c.cli_proto = IPPROTO_TLS_1_1;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(tf_get_int(p.cli, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	EXPECT_EQ(tf_get_int(p.srv, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	EXPECT_EQ(tf_get_int(p.cli, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TLS_1_1);
	/* the accepted socket is of the listener's protocol */
	EXPECT_EQ(tf_get_int(p.srv, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TLS_1_2);
	EXPECT_EQ(p.accept_len, sizeof(struct sockaddr_in6));
	tf_pair_close(&p);
}

static void echo_family(int family)
{
	struct tf_cfg c = tf_cfg_cert(family);
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(p.accept_len,
		  family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	EXPECT_OK(zsock_getpeername(p.cli, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(peer.ss_family, family);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "forty-two"));
	EXPECT_TRUE(tf_echo_ok(p.srv, p.cli, "forty-three"));
	tf_pair_close(&p);
}

/* docs/zephyr-behaviour.md §4.1 (loopback 127.0.0.1): a TLS echo both ways */
TEST(test_echo_v4)
{
	echo_family(AF_INET);
}

/* docs/zephyr-behaviour.md §4.1 (loopback ::1): a TLS echo both ways */
TEST(test_echo_v6)
{
	echo_family(AF_INET6);
}

/* ---- MSG_WAITALL ---- */

static void msg_waitall(int family)
{
	static const char data[] = "waitall!";
	struct tf_cfg c = tf_cfg_cert(family);
	char buf[sizeof(data)] = {0};
	struct tf_pair p;
	struct action a;
	int64_t t0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));

	/* MSG_WAITALL returns only after all bytes (sent one by one every 10 ms) */
	ASSERT_TRUE(action_start(&a, ACT_DRIP, p.cli, 10, data, sizeof(data) - 1));
	t0 = tf_now_ms();
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(data) - 1, MSG_WAITALL), sizeof(data) - 1);
	EXPECT_TRUE(tf_now_ms() - t0 >= 60);
	EXPECT_EQ(memcmp(buf, data, sizeof(data) - 1), 0);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_EQ(a.rc, sizeof(data) - 1);

	/* with SO_RCVTIMEO 500 ms the call still collects the full amount */
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, 500));
	memset(buf, 0, sizeof(buf));
	ASSERT_TRUE(action_start(&a, ACT_DRIP, p.cli, 10, data, sizeof(data) - 2));
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(data) - 2, MSG_WAITALL), sizeof(data) - 2);
	EXPECT_EQ(memcmp(buf, data, sizeof(data) - 2), 0);
	tf_worker_must_join(&a.w, 5000);
	tf_pair_close(&p);
}

/* Zephyr test_v4_msg_waitall */
TEST(test_msg_waitall_v4)
{
	msg_waitall(AF_INET);
}

/* Zephyr test_v6_msg_waitall */
TEST(test_msg_waitall_v6)
{
	msg_waitall(AF_INET6);
}

/* ---- close from another thread ---- */

/* Zephyr test_close_while_accept: close() from another thread → accept() EINTR */
TEST(test_close_while_accept_eintr)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct sockaddr_storage addr;
	socklen_t len;
	struct action a;
	int64_t t0;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	lst = tf_listener(&c, &addr, &len);
	ASSERT_TRUE(lst >= 0);
	ASSERT_TRUE(action_start(&a, ACT_CLOSE, lst, 100, NULL, 0));
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_accept(lst, NULL, NULL), EINTR);
	EXPECT_TRUE(tf_now_ms() - t0 >= 50);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_EQ(a.rc, 0);
}

/* Zephyr test_close_while_recv: close() from another thread → recv() EINTR */
TEST(test_close_while_recv_eintr)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_pair p;
	struct action a;
	char buf[4];

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	ASSERT_TRUE(action_start(&a, ACT_CLOSE, p.srv, 100, NULL, 0));
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), 0), EINTR);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_EQ(a.rc, 0);
	p.srv = -1; /* closed by the action */
	tf_pair_close(&p);
}

/* ---- connect() failures ---- */

struct conn_try {
	struct tf_worker w;
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	int rc;
	int err;
	int64_t ms;
};

static void *conn_try_main(void *p)
{
	struct conn_try *t = p;
	int64_t t0 = tf_now_ms();

	errno = 0;
	t->rc = zsock_connect(t->fd, (struct sockaddr *)&t->addr, t->len);
	t->err = errno;
	t->ms = tf_now_ms() - t0;
	return NULL;
}

static void conn_try_start(struct conn_try *t, int family, uint16_t port)
{
	t->len = tu_loopback(family, port, &t->addr);
	if (!tf_worker_start(&t->w, conn_try_main, t)) {
		abort();
	}
}

/*
 * Zephyr test_connect_timeout, docs/zephyr-behaviour.md §3.3/§3.9. Three clients at once (one
 * 10 s wait in all): (a) a plain TCP server that accepts and never answers →
 * the handshake gives up after the 10 s connect timeout with ETIMEDOUT; (b) the
 * same on a non-blocking socket → EAGAIN; (c) a server whose accept queue is
 * full drops our SYNs (Zephyr drops every packet) → the 3 s TCP connect
 * timeout → ETIMEDOUT.
 */
TEST(test_connect_timeout_etimedout)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct conn_try blk = {.fd = -1}, nb = {.fd = -1}, syn = {.fd = -1};
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(AF_INET6, 0, &ss);
	uint16_t port, full_port;
	int silent, full, filler;

	ASSERT_TRUE(tf_creds_ready());
	silent = tu_listen(AF_INET6, 0, &port); /* plain TCP, never accepts */
	ASSERT_TRUE(silent >= 0);
	full = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_TRUE(full >= 0);
	ASSERT_TRUE(bind(full, (struct sockaddr *)&ss, len) == 0 && listen(full, 0) == 0);
	full_port = tu_local_port(full);
	filler = tu_tcp_connect(AF_INET6, full_port); /* takes the only queue slot */
	ASSERT_TRUE(filler >= 0);
	tf_sleep_ms(50);

	blk.fd = tf_client(&c, 0);
	nb.fd = tf_client(&c, SOCK_NONBLOCK);
	syn.fd = tf_client(&c, 0);
	ASSERT_TRUE(blk.fd >= 0 && nb.fd >= 0 && syn.fd >= 0);
	conn_try_start(&blk, AF_INET6, port);
	conn_try_start(&nb, AF_INET6, port);
	conn_try_start(&syn, AF_INET6, full_port);
	tf_worker_must_join(&syn.w, 20000);
	tf_worker_must_join(&blk.w, 20000);
	tf_worker_must_join(&nb.w, 20000);

	EXPECT_EQ(blk.rc, -1);
	EXPECT_EQ(blk.err, ETIMEDOUT);
	EXPECT_TRUE(blk.ms >= 9500 && blk.ms <= 14000);
	EXPECT_EQ(nb.rc, -1);
	EXPECT_EQ(nb.err, EAGAIN); /* non-blocking: docs/zephyr-behaviour.md §3.3 */
	EXPECT_TRUE(nb.ms >= 9500 && nb.ms <= 14000);
	EXPECT_EQ(syn.rc, -1);
	EXPECT_EQ(syn.err, ETIMEDOUT);
	EXPECT_TRUE(syn.ms >= 2500 && syn.ms <= 6000);
	if (blk.ms < 9500 || syn.ms < 2500 || syn.ms > 6000) {
		printf("    connect took %lld ms (handshake), %lld ms (nonblock), %lld ms (SYN)\n",
		       (long long)blk.ms, (long long)nb.ms, (long long)syn.ms);
	}
	tf_close_fd(&blk.fd);
	tf_close_fd(&nb.fd);
	tf_close_fd(&syn.fd);
	close(filler);
	close(full);
	close(silent);
}

/* Zephyr test_connect_closed_port: nothing listens → ECONNREFUSED (v6 and v4) */
TEST(test_connect_closed_port_econnrefused)
{
	static const int fams[] = {AF_INET6, AF_INET};

	ASSERT_TRUE(tf_creds_ready());
	for (int i = 0; i < 2; i++) {
		struct tf_cfg c = tf_cfg_cert(fams[i]);
		struct sockaddr_storage ss;
		socklen_t len = tu_loopback(fams[i], tu_free_port(fams[i], SOCK_STREAM), &ss);
		int fd = tf_client(&c, 0);

		ASSERT_TRUE(fd >= 0);
		EXPECT_ERRNO(zsock_connect(fd, (struct sockaddr *)&ss, len), ECONNREFUSED);
		EXPECT_EQ(zsock_close(fd), 0);
	}
}

/* A plain TCP server (kernel socket) playing a broken TLS peer. */
enum fake_mode {
	FAKE_GARBAGE, /* answer every read with "test\0" (Zephyr's fake server) */
	FAKE_CLOSE,   /* close 10 ms after accept, unread data → RST (Zephyr's) */
	FAKE_FIN,     /* read the ClientHello, then close → FIN */
};

struct fake_server {
	struct tf_worker w;
	int lst;
	enum fake_mode mode;
};

static void *fake_server_main(void *p)
{
	struct fake_server *f = p;
	char buf[512];
	int fd = accept(f->lst, NULL, NULL);
	struct timeval tv = {5, 0};

	if (fd < 0) {
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (f->mode == FAKE_CLOSE) {
		tf_sleep_ms(10);
	} else if (f->mode == FAKE_FIN) {
		(void)!recv(fd, buf, sizeof(buf), 0);
	} else {
		while (recv(fd, buf, 32, 0) > 0) {
			(void)!send(fd, TEST_STR_SMALL, sizeof(TEST_STR_SMALL), MSG_NOSIGNAL);
		}
	}
	close(fd);
	return NULL;
}

static void connect_to_fake(enum fake_mode mode)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct fake_server f = {.mode = mode};
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t port;
	int64_t t0;
	int fd;

	ASSERT_TRUE(tf_creds_ready());
	f.lst = tu_listen(AF_INET6, 0, &port);
	ASSERT_TRUE(f.lst >= 0);
	fd = tf_client(&c, 0);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(tf_worker_start(&f.w, fake_server_main, &f));
	len = tu_loopback(AF_INET6, port, &ss);
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_connect(fd, (struct sockaddr *)&ss, len), ECONNABORTED);
	EXPECT_TRUE(tf_now_ms() - t0 < 5000); /* a failure, not the 10 s timeout */
	/* docs/zephyr-behaviour.md §3.3: the handshake error is latched */
	EXPECT_EQ(tf_get_int(fd, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	EXPECT_EQ(zsock_close(fd), 0);
	tf_worker_must_join(&f.w, 10000);
	close(f.lst);
}

/* Zephyr test_connect_invalid_handshake_data: garbage from a plain server → ECONNABORTED */
TEST(test_connect_invalid_handshake_data_econnaborted)
{
	connect_to_fake(FAKE_GARBAGE);
}

/* Zephyr test_connect_no_handshake_data: server closes without data → ECONNABORTED */
TEST(test_connect_no_handshake_data_econnaborted)
{
	connect_to_fake(FAKE_CLOSE);
	connect_to_fake(FAKE_FIN);
}

/* ---- accept() ---- */

/* Zephyr test_accept_non_block: non-blocking listener, no client → EAGAIN within 100 ms */
TEST(test_accept_non_block_eagain)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct sockaddr_storage addr;
	socklen_t len;
	int64_t t0;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	lst = tf_listener(&c, &addr, &len);
	ASSERT_TRUE(lst >= 0);
	EXPECT_OK(zsock_fcntl(lst, F_SETFL, O_NONBLOCK));
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_accept(lst, NULL, NULL), EAGAIN);
	EXPECT_TRUE(tf_now_ms() - t0 <= 100);
	EXPECT_EQ(zsock_close(lst), 0);
}

/*
 * Zephyr test_accept_invalid_handshake_data: a plain TCP client sends garbage →
 * accept() ECONNABORTED; docs/zephyr-behaviour.md §3.3: the failure costs that accept() only,
 * the listener then accepts a good client.
 */
TEST(test_accept_invalid_handshake_data_econnaborted)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_connector k = {.cfg = tf_cfg_cert(AF_INET6), .fd = -1};
	uint16_t port;
	int64_t t0;
	int lst, plain, srv;

	ASSERT_TRUE(tf_creds_ready());
	lst = tf_listener(&c, &k.addr, &k.len);
	ASSERT_TRUE(lst >= 0);
	port = tu_local_port(lst);
	plain = tu_tcp_connect(AF_INET6, port);
	ASSERT_TRUE(plain >= 0);
	EXPECT_EQ(send(plain, TEST_STR_SMALL, sizeof(TEST_STR_SMALL), 0), sizeof(TEST_STR_SMALL));
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_accept(lst, NULL, NULL), ECONNABORTED);
	EXPECT_TRUE(tf_now_ms() - t0 < 5000);
	close(plain);

	ASSERT_TRUE(tf_worker_start(&k.w, tf_connector_main, &k));
	srv = zsock_accept(lst, NULL, NULL);
	tf_worker_must_join(&k.w, 15000);
	EXPECT_TRUE(srv >= 0);
	EXPECT_EQ(k.err, 0);
	if (srv >= 0 && k.fd >= 0 && k.err == 0) {
		EXPECT_TRUE(tf_echo_ok(k.fd, srv, TEST_STR_SMALL));
	}
	tf_close_fd(&srv);
	tf_close_fd(&k.fd);
	EXPECT_EQ(zsock_close(lst), 0);
}

/* ---- recv ---- */

/* Zephyr test_recv_non_block: MSG_DONTWAIT and O_NONBLOCK → EAGAIN; data; EAGAIN again */
TEST(test_recv_non_block_eagain)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char buf[SMALL_LEN] = {0};
	struct tf_pair p;
	ssize_t n = -1;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_OK(zsock_fcntl(p.srv, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), 0), EAGAIN);
	EXPECT_EQ(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), SMALL_LEN);
	/* let the data get through (bounded), then it must be there */
	for (int64_t end = tf_now_ms() + 2000; tf_now_ms() < end; tf_sleep_ms(10)) {
		n = zsock_recv(p.srv, buf, sizeof(buf), 0);
		if (n != -1 || errno != EAGAIN) {
			break;
		}
	}
	EXPECT_EQ(n, SMALL_LEN);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), 0), EAGAIN);
	tf_pair_close(&p);
}

/* Zephyr test_recv_block: a blocking recv() waits for data sent later */
TEST(test_recv_block_waits_for_data)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char buf[SMALL_LEN] = {0};
	struct tf_pair p;
	struct action a;
	int64_t t0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	ASSERT_TRUE(action_start(&a, ACT_SEND, p.cli, 100, TEST_STR_SMALL, SMALL_LEN));
	t0 = tf_now_ms();
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), SMALL_LEN);
	EXPECT_TRUE(tf_now_ms() - t0 >= 80);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_EQ(a.rc, SMALL_LEN);
	tf_pair_close(&p);
}

/* Zephyr test_recv_eof_on_close: peer close() → 0, again 0, still 0 after TCP teardown */
TEST(test_recv_eof_on_close_returns_0)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_close(p.cli), 0);
	p.cli = -1;
	expect_eof(p.srv);
	tf_pair_close(&p);
}

/* ---- send with a full window ---- */

/*
 * Zephyr test_send_non_block: with the window full, send() → EAGAIN with
 * MSG_DONTWAIT and with O_NONBLOCK; after the peer reads, it succeeds; every
 * byte accepted arrives exactly once.
 */
TEST(test_send_non_block_eagain_when_window_full)
{
	struct tf_cfg c = tf_cfg_small_window();
	struct tf_pstream tx = {0, 7}, rx = {0, 7};
	uint8_t buf[SMALL_LEN];
	struct tf_pair p;
	ssize_t n = -1;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_TRUE(tf_fill_window(p.cli, &tx) > 0);
	tf_pat_fill(&tx, buf, sizeof(buf));
	EXPECT_ERRNO(zsock_send(p.cli, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_OK(zsock_fcntl(p.cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(zsock_send(p.cli, buf, sizeof(buf), 0), EAGAIN);

	/* the peer reads: the window opens, a non-blocking send goes through */
	EXPECT_TRUE(tf_drain_pat(p.srv, &rx, 200));
	for (int64_t end = tf_now_ms() + 2000; tf_now_ms() < end; tf_sleep_ms(10)) {
		n = zsock_send(p.cli, buf, sizeof(buf), 0);
		if (n != -1 || errno != EAGAIN) {
			break;
		}
	}
	EXPECT_EQ(n, sizeof(buf));
	if (n > 0) {
		tx.off += (uint64_t)n;
	}
	/* the rest (a record the library kept queued included) arrives intact */
	EXPECT_OK(zsock_fcntl(p.cli, F_SETFL, 0));
	EXPECT_TRUE(tf_recv_pat(p.srv, &rx, (size_t)(tx.off - rx.off), 5000));
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	tf_pair_close(&p);
}

struct reader {
	struct tf_worker w;
	int fd;
	int delay_ms;
	struct tf_pstream *s;
	size_t n;
	bool ok;
};

static void *reader_main(void *p)
{
	struct reader *r = p;

	tf_sleep_ms(r->delay_ms);
	r->ok = tf_recv_pat(r->fd, r->s, r->n, 10000);
	return NULL;
}

/* Zephyr test_send_block: with the window full, a blocking send() waits until the peer reads */
TEST(test_send_block_waits_for_window)
{
	struct tf_cfg c = tf_cfg_small_window();
	struct tf_pstream tx = {0, 8}, rx = {0, 8};
	uint8_t buf[SMALL_LEN];
	struct reader r = {.delay_ms = 300, .s = &rx};
	struct tf_pair p;
	int64_t t0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_SNDTIMEO, 2 * GUARD_MS));
	EXPECT_TRUE(tf_fill_window(p.cli, &tx) > 0);
	r.fd = p.srv;
	r.n = (size_t)tx.off + sizeof(buf);
	ASSERT_TRUE(tf_worker_start(&r.w, reader_main, &r));
	tf_pat_fill(&tx, buf, sizeof(buf));
	t0 = tf_now_ms();
	EXPECT_EQ(zsock_send(p.cli, buf, sizeof(buf), 0), sizeof(buf));
	EXPECT_TRUE(tf_now_ms() - t0 >= 200); /* it waited for the reader */
	tf_worker_must_join(&r.w, 15000);
	EXPECT_TRUE(r.ok);
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	tf_pair_close(&p);
}

/*
 * Zephyr test_send_on_close, docs/zephyr-behaviour.md §4.1 and §3.9 ("send after peer
 * close_notify → ECONNABORTED (latched)"): after the peer closed, send() →
 * ECONNABORTED, then recv() → ECONNABORTED; in the other order recv() → 0,
 * then send() → ECONNABORTED.
 */
TEST(test_send_on_close_econnaborted)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char buf[SMALL_LEN];
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_close(p.srv), 0);
	p.srv = -1;
	tf_sleep_ms(100); /* Zephyr: "small delay for packets to propagate" */
	EXPECT_ERRNO(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), ECONNABORTED);
	EXPECT_ERRNO(zsock_recv(p.cli, buf, sizeof(buf), 0), ECONNABORTED);
	tf_pair_close(&p);

	/* and in reverse order */
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_close(p.srv), 0);
	p.srv = -1;
	tf_sleep_ms(100);
	EXPECT_EQ(zsock_recv(p.cli, buf, sizeof(buf), 0), 0);
	EXPECT_ERRNO(zsock_send(p.cli, TEST_STR_SMALL, SMALL_LEN, 0), ECONNABORTED);
	tf_pair_close(&p);
}

/* ---- timeouts ---- */

/* Zephyr test_so_rcvtimeo: EAGAIN after >= 500 ms; data arriving earlier returns at once */
TEST(test_so_rcvtimeo_eagain_after_500ms)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	char buf[SMALL_LEN] = {0};
	struct tf_pair p;
	struct action a;
	int64_t t0, dt;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, 500));
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_recv(p.cli, buf, sizeof(buf), 0), EAGAIN);
	dt = tf_now_ms() - t0;
	EXPECT_TRUE(dt >= 500 && dt < 1500);

	EXPECT_OK(tf_set_timeo(p.srv, SO_RCVTIMEO, 500));
	ASSERT_TRUE(action_start(&a, ACT_SEND, p.cli, 50, TEST_STR_SMALL, SMALL_LEN));
	t0 = tf_now_ms();
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), SMALL_LEN);
	EXPECT_TRUE(tf_now_ms() - t0 < 400);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	tf_worker_must_join(&a.w, 5000);
	tf_pair_close(&p);
}

/*
 * Zephyr test_so_sndtimeo: window full, SO_SNDTIMEO 500 ms → EAGAIN after >= 500 ms;
 * once the peer reads, a blocking send succeeds.
 */
TEST(test_so_sndtimeo_eagain_after_500ms)
{
	struct tf_cfg c = tf_cfg_small_window();
	struct tf_pstream tx = {0, 9}, rx = {0, 9};
	uint8_t buf[SMALL_LEN];
	struct reader r = {.delay_ms = 10, .s = &rx};
	struct tf_pair p;
	int64_t t0, dt;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_SNDTIMEO, 500));
	EXPECT_TRUE(tf_fill_window(p.cli, &tx) > 0);
	tf_pat_fill(&tx, buf, sizeof(buf));
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_send(p.cli, buf, sizeof(buf), 0), EAGAIN);
	dt = tf_now_ms() - t0;
	EXPECT_TRUE(dt >= 500 && dt < 1500);

	r.fd = p.srv;
	r.n = (size_t)tx.off + sizeof(buf);
	ASSERT_TRUE(tf_worker_start(&r.w, reader_main, &r));
	EXPECT_EQ(zsock_send(p.cli, buf, sizeof(buf), 0), sizeof(buf));
	tf_worker_must_join(&r.w, 15000);
	EXPECT_TRUE(r.ok);
	tf_pair_close(&p);
}

/* ---- shutdown(SHUT_RD) ---- */

/* Zephyr test_shutdown_rd_synchronous: shutdown(SHUT_RD) → recv() reports EOF */
TEST(test_shutdown_rd_synchronous_eof)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	EXPECT_EQ(zsock_shutdown(p.cli, SHUT_RD), 0);
	expect_eof(p.cli);
	tf_pair_close(&p);
}

/* Zephyr test_shutdown_rd_while_recv: shutdown(SHUT_RD) from another thread wakes recv() with 0 */
TEST(test_shutdown_rd_while_recv_eof)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct tf_pair p;
	struct action a;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	ASSERT_TRUE(action_start(&a, ACT_SHUT_RD, p.cli, 100, NULL, 0));
	expect_eof(p.cli);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_EQ(a.rc, 0);
	tf_pair_close(&p);
}

/* ---- threads on one socket ---- */

struct two_sends {
	struct tf_worker w;
	int cli;
	int srv;
	ssize_t cli_rc;
	int64_t cli_ms;
	ssize_t srv_rc;
};

static void *two_sends_main(void *p)
{
	struct two_sends *t = p;
	int64_t t0;

	tf_sleep_ms(50);
	t0 = tf_now_ms();
	t->cli_rc = zsock_send(t->cli, TEST_STR_SMALL, SMALL_LEN, 0);
	t->cli_ms = tf_now_ms() - t0;
	tf_sleep_ms(50);
	t->srv_rc = zsock_send(t->srv, TEST_STR_SMALL, SMALL_LEN, 0);
	return NULL;
}

/*
 * Zephyr test_send_while_recv (PR #56324, docs/zephyr-behaviour.md §3.13): while a thread is
 * blocked in recv() on a socket, send() on the same socket from another thread
 * completes; the recv() then gets the peer's answer.
 */
TEST(test_send_while_recv_not_blocked)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct two_sends t = {.cli_rc = -2, .srv_rc = -2};
	char buf[SMALL_LEN] = {0};
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(tf_set_timeo(p.cli, SO_RCVTIMEO, GUARD_MS));
	t.cli = p.cli;
	t.srv = p.srv;
	ASSERT_TRUE(tf_worker_start(&t.w, two_sends_main, &t));
	EXPECT_EQ(zsock_recv(p.cli, buf, sizeof(buf), 0), SMALL_LEN);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	tf_worker_must_join(&t.w, 10000);
	EXPECT_EQ(t.cli_rc, SMALL_LEN);
	EXPECT_TRUE(t.cli_ms < 1000);
	EXPECT_EQ(t.srv_rc, SMALL_LEN);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), 0), SMALL_LEN);
	EXPECT_EQ(memcmp(buf, TEST_STR_SMALL, SMALL_LEN), 0);
	tf_pair_close(&p);
}

/* ---- protocol versions (docs/zephyr-behaviour.md §1.1, PR #102570) ---- */

static bool is_tls13_suite(int id)
{
	return id >= 0x1301 && id <= 0x1305;
}

/*
 * docs/zephyr-behaviour.md §1.1: IPPROTO_TLS_1_2 is a minimum only; against a TLS_1_3 server 1.3
 * is negotiated
 */
TEST(test_version_tls12_client_tls13_server_negotiates_13)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;

	c.srv_proto = IPPROTO_TLS_1_3;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_TRUE(is_tls13_suite(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED)));
	EXPECT_TRUE(is_tls13_suite(tf_get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED)));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §1.1 (PR #102570 "Enforce minimum TLS version"): a TLS_1_3 client
 * against a server that can only do TLS 1.2 (TLS 1.2 suites only) does not
 * downgrade: connect() and accept() fail with ECONNABORTED. Also the mirror
 * case: a TLS_1_3 server against a client with TLS 1.2 suites only.
 */
TEST(test_version_tls13_client_tls12_server_econnaborted)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;

	c.cli_proto = IPPROTO_TLS_1_3;
	c.srv_suites[0] = ECDHE_ECDSA_AES_128_GCM;
	c.n_srv_suites = 1;
	ASSERT_TRUE(tf_pair_open(&c, &p));
	EXPECT_EQ(p.cli_err, ECONNABORTED);
	EXPECT_EQ(p.srv_err, ECONNABORTED);
	tf_pair_close(&p);

	c = tf_cfg_cert(AF_INET);
	c.srv_proto = IPPROTO_TLS_1_3;
	c.cli_suites[0] = ECDHE_ECDSA_AES_128_GCM;
	c.n_cli_suites = 1;
	ASSERT_TRUE(tf_pair_open(&c, &p));
	EXPECT_EQ(p.cli_err, ECONNABORTED);
	EXPECT_EQ(p.srv_err, ECONNABORTED);
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §1.1: IPPROTO_TLS_1_0 and _1_1 set no minimum (Mbed TLS speaks >= 1.2):
 * accepted, and they negotiate 1.3 with a default server, 1.2 with a 1.2-only one.
 */
TEST(test_version_tls10_tls11_negotiate_12_or_13)
{
	static const int protos[] = {IPPROTO_TLS_1_0, IPPROTO_TLS_1_1};

	for (int i = 0; i < 2; i++) {
		struct tf_cfg c = tf_cfg_cert(AF_INET);
		struct tf_pair p;

		c.cli_proto = protos[i];
		ASSERT_TRUE(tf_pair_up(&c, &p));
		EXPECT_EQ(tf_get_int(p.cli, SOL_SOCKET, SO_PROTOCOL), protos[i]);
		EXPECT_TRUE(is_tls13_suite(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED)));
		EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
		tf_pair_close(&p);

		c.srv_suites[0] = ECDHE_ECDSA_AES_128_GCM;
		c.n_srv_suites = 1;
		ASSERT_TRUE(tf_pair_up(&c, &p));
		EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED),
			  ECDHE_ECDSA_AES_128_GCM);
		EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED),
			  ECDHE_ECDSA_AES_128_GCM);
		EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
		tf_pair_close(&p);
	}
}

/* ---- PSK ---- */

static void expect_suite_list(int fd, const int *want, int n)
{
	int got[8] = {0};
	socklen_t len = sizeof(got);

	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, got, &len));
	EXPECT_EQ(len, n * sizeof(int));
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(got[i], want[i]);
	}
}

/*
 * Zephyr's PSK setup (PSK_TAG with PSK + PSK_ID, TLS_PSK_WITH_AES_256_CBC_SHA384)
 * and test_set_ciphersuites: server list {0x00AF, 0x00A8}, client {0x00AF};
 * both read back their list; TLS_CIPHERSUITE_USED is 0x00AF on both sides.
 */
TEST(test_psk_aes_256_cbc_sha384)
{
	static const int srv_list[] = {PSK_AES_256_CBC_SHA384, PSK_AES_128_GCM_SHA256};
	struct tf_cfg c = cfg_psk(AF_INET, PSK_AES_256_CBC_SHA384);
	struct tf_pair p;

	c.srv_suites[1] = PSK_AES_128_GCM_SHA256;
	c.n_srv_suites = 2;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	expect_suite_list(p.lst, srv_list, 2);
	expect_suite_list(p.cli, srv_list, 1);
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED), PSK_AES_256_CBC_SHA384);
	EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED), PSK_AES_256_CBC_SHA384);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

/* issue 3: an ECDHE-PSK suite (RFC 5489) with the same PSK tags */
TEST(test_psk_ecdhe_psk_suite)
{
	struct tf_cfg c = cfg_psk(AF_INET6, ECDHE_PSK_AES_128_CBC_SHA256);
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED), ECDHE_PSK_AES_128_CBC_SHA256);
	EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED), ECDHE_PSK_AES_128_CBC_SHA256);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

/* issue 3: PSK tags and no suite list on TLS_1_3 sockets: a TLS 1.3 PSK handshake */
TEST(test_psk_tls13_without_suite_list)
{
	struct tf_cfg c = cfg_psk(AF_INET, 0);
	struct tf_pair p;

	c.cli_proto = IPPROTO_TLS_1_3;
	c.srv_proto = IPPROTO_TLS_1_3;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_TRUE(is_tls13_suite(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED)));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

/*
 * docs/security.md, defaults: a client whose tags hold only a PSK offers only
 * PSK suites, whatever TLS_PEER_VERIFY says (here the default, REQUIRED), so
 * a server holding a certificate and the PSK picks a PSK suite and the
 * client, which could verify no certificate, connects. TLS 1.2 and 1.3.
 */
static void psk_only_client_vs_cert_and_psk_server(int proto)
{
	struct tf_cfg c = cfg_psk(AF_INET, 0);
	struct tf_pair p;
	int used;

	c.cli_proto = proto;
	c.srv_tags[0] = TAG_SERVER;
	c.srv_tags[1] = TAG_PSK;
	c.n_srv_tags = 2;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	used = tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED);
	/* both ends speak 1.3 (a PSK key exchange mode), or a PSK suite of the default list */
	EXPECT_TRUE(is_tls13_suite(used) || used == 0xCCAB || used == 0xCCAC || used == 0x00A8 ||
		    used == 0x00A9 || used == 0xC0A4 || used == 0xC0A5);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

TEST(test_psk_only_client_offers_psk_suites_tls12)
{
	static const int suites12[] = {0xC02B, 0xCCAB, 0xCCAC, 0x00A8};
	struct tf_cfg c = cfg_psk(AF_INET, 0);
	struct tf_pair p;

	/* the server lists a certificate suite first and both kinds; 1.2 only */
	memcpy(c.srv_suites, suites12, sizeof(suites12));
	c.n_srv_suites = 4;
	c.srv_tags[0] = TAG_SERVER;
	c.srv_tags[1] = TAG_PSK;
	c.n_srv_tags = 2;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_TRUE(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED) != 0xC02B);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}

TEST(test_psk_only_client_vs_cert_and_psk_server_default_suites)
{
	psk_only_client_vs_cert_and_psk_server(IPPROTO_TLS_1_2);
	psk_only_client_vs_cert_and_psk_server(IPPROTO_TLS_1_3);
}

/* docs/zephyr-behaviour.md §3.3: a wrong PSK (same identity, other key) → ECONNABORTED, both */
TEST(test_psk_wrong_key_econnaborted)
{
	struct tf_cfg c = cfg_psk(AF_INET, PSK_AES_256_CBC_SHA384);
	struct tf_pair p;

	c.cli_tags[0] = TAG_PSK_BAD;
	ASSERT_TRUE(tf_pair_open(&c, &p));
	EXPECT_EQ(p.cli_err, ECONNABORTED);
	EXPECT_EQ(p.srv_err, ECONNABORTED);
	EXPECT_TRUE(p.srv < 0);
	tf_pair_close(&p);
}

/* Zephyr test_set_ciphersuites_err: no common suite → connect and accept fail */
TEST(test_psk_ciphersuite_mismatch_econnaborted)
{
	struct tf_cfg c = cfg_psk(AF_INET, PSK_AES_256_CBC_SHA384);
	struct tf_pair p;

	c.srv_suites[0] = PSK_AES_128_GCM_SHA256;
	ASSERT_TRUE(tf_pair_open(&c, &p));
	EXPECT_EQ(p.cli_err, ECONNABORTED);
	EXPECT_EQ(p.srv_err, ECONNABORTED);
	tf_pair_close(&p);
}

/* ---- mutual authentication ---- */

static struct tf_cfg cfg_mutual(int cli_cert_tag, bool tls12)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);

	c.srv_tags[1] = TAG_CA;
	c.n_srv_tags = 2;
	c.srv_verify = TLS_PEER_VERIFY_REQUIRED;
	if (cli_cert_tag != 0) {
		c.cli_tags[1] = cli_cert_tag;
		c.n_cli_tags = 2;
	}
	if (tls12) {
		c.cli_suites[0] = ECDHE_ECDSA_AES_128_GCM;
		c.n_cli_suites = 1;
	}
	return c;
}

/* tls_ext test_tls_peer_verify_required: client certificate checked by the server */
TEST(test_mutual_auth_required_ok)
{
	for (int v12 = 0; v12 < 2; v12++) {
		struct tf_cfg c = cfg_mutual(TAG_CLIENT, v12);
		struct tf_pair p;

		ASSERT_TRUE(tf_pair_up(&c, &p));
		EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, TLS_CERT_VERIFY_RESULT), 0);
		EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "forty-two"));
		tf_pair_close(&p);
	}
}

/*
 * The client's side of a refused client certificate: TLS 1.2 fails in
 * connect(); in TLS 1.3 the client's handshake is over before the server
 * judges its certificate, so the alert shows in the first recv().
 */
static void expect_client_refused(struct tf_pair *p)
{
	char c;

	EXPECT_EQ(p->srv_err, ECONNABORTED);
	EXPECT_TRUE(p->srv < 0);
	if (p->cli_err == 0) {
		ssize_t n;

		EXPECT_OK(tf_set_timeo(p->cli, SO_RCVTIMEO, GUARD_MS));
		errno = 0;
		n = zsock_recv(p->cli, &c, 1, 0);
		EXPECT_EQ(n, -1);
		/* ECONNABORTED, or EIO for a recv()-level alert (docs/zephyr-behaviour.md §3.4) */
		EXPECT_TRUE(errno == ECONNABORTED || errno == EIO);
	} else {
		EXPECT_EQ(p->cli_err, ECONNABORTED);
	}
}

/* issue 3: server TLS_PEER_VERIFY_REQUIRED, client without certificate → refused */
TEST(test_mutual_auth_missing_client_cert_fails)
{
	for (int v12 = 0; v12 < 2; v12++) {
		struct tf_cfg c = cfg_mutual(0, v12);
		struct tf_pair p;

		ASSERT_TRUE(tf_pair_open(&c, &p));
		expect_client_refused(&p);
		if (v12) {
			EXPECT_EQ(p.cli_err, ECONNABORTED);
		}
		tf_pair_close(&p);
	}
}

/* issue 3: a client certificate from an untrusted CA → refused */
TEST(test_mutual_auth_untrusted_client_cert_fails)
{
	for (int v12 = 0; v12 < 2; v12++) {
		struct tf_cfg c = cfg_mutual(TAG_UNTRUSTED, v12);
		struct tf_pair p;

		ASSERT_TRUE(tf_pair_open(&c, &p));
		expect_client_refused(&p);
		tf_pair_close(&p);
	}
}

/* ---- bulk transfers ---- */

/* One direction of a transfer: a sender and a receiver thread. */
struct xfer {
	struct tf_worker tx_w;
	struct tf_worker rx_w;
	int txfd;
	int rxfd;
	uint32_t seed;
	size_t limit;     /* bytes to send, or 0 */
	int duration_ms;  /* send for this long, or 0 */
	bool random_size; /* random chunk sizes */
	atomic_ullong tx_total;
	atomic_bool tx_done;
	int tx_err;
	size_t rx_total;
	bool rx_bad;
	int rx_err;
	int64_t deadline;
};

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void *xfer_tx(void *p)
{
	struct xfer *x = p;
	struct tf_pstream s = {0, x->seed};
	uint32_t rng = x->seed;
	int64_t stop = x->duration_ms ? tf_now_ms() + x->duration_ms : x->deadline;
	uint8_t buf[16384];

	while (tf_now_ms() < stop && (x->limit == 0 || s.off < x->limit)) {
		size_t n = x->random_size ? 1 + lcg(&rng) % sizeof(buf) : 8192;
		ssize_t r;

		if (x->limit > 0 && n > x->limit - s.off) {
			n = (size_t)(x->limit - s.off);
		}
		tf_pat_fill(&s, buf, n);
		r = zsock_send(x->txfd, buf, n, 0);
		if (r > 0) {
			s.off += (uint64_t)r;
			atomic_store(&x->tx_total, s.off);
		} else if (!(r < 0 && errno == EAGAIN)) {
			x->tx_err = r < 0 ? errno : -1;
			break;
		}
	}
	atomic_store(&x->tx_done, true);
	return NULL;
}

static void *xfer_rx(void *p)
{
	struct xfer *x = p;
	struct tf_pstream s = {0, x->seed};
	uint32_t rng = x->seed ^ 0x5555u;
	uint8_t buf[16384];

	while (tf_now_ms() < x->deadline) {
		size_t n = x->random_size ? 1 + lcg(&rng) % sizeof(buf) : sizeof(buf);
		ssize_t r = zsock_recv(x->rxfd, buf, n, 0);

		if (r > 0) {
			for (ssize_t i = 0; i < r; i++) {
				if (buf[i] != tf_pat_byte(x->seed, s.off + (uint64_t)i)) {
					x->rx_bad = true;
					return NULL;
				}
			}
			s.off += (uint64_t)r;
			x->rx_total = s.off;
		} else if (r < 0 && errno == EAGAIN) {
			/* SO_RCVTIMEO guard: the sender may be done */
		} else {
			x->rx_err = r < 0 ? errno : -1;
			return NULL;
		}
		if (atomic_load(&x->tx_done) && x->rx_total == atomic_load(&x->tx_total)) {
			return NULL;
		}
	}
	return NULL;
}

static bool xfer_start(struct xfer *x, int txfd, int rxfd, uint32_t seed, int64_t deadline)
{
	x->txfd = txfd;
	x->rxfd = rxfd;
	x->seed = seed;
	x->deadline = deadline;
	atomic_init(&x->tx_total, 0);
	atomic_init(&x->tx_done, false);
	return tf_worker_start(&x->rx_w, xfer_rx, x) && tf_worker_start(&x->tx_w, xfer_tx, x);
}

static void xfer_finish(struct xfer *x, size_t expect_total)
{
	tf_worker_must_join(&x->tx_w, 60000);
	tf_worker_must_join(&x->rx_w, 60000);
	EXPECT_EQ(x->tx_err, 0);
	EXPECT_EQ(x->rx_err, 0);
	EXPECT_TRUE(!x->rx_bad);
	EXPECT_EQ(x->rx_total, atomic_load(&x->tx_total));
	if (expect_total > 0) {
		EXPECT_EQ(x->rx_total, expect_total);
	} else {
		EXPECT_TRUE(x->rx_total > 0);
	}
}

static void guard_timeouts(int fd)
{
	EXPECT_OK(tf_set_timeo(fd, SO_RCVTIMEO, 500));
	EXPECT_OK(tf_set_timeo(fd, SO_SNDTIMEO, 500));
}

/* issue 3: 1 MiB each way at once, blocking sockets, byte-exact */
TEST(test_large_transfer_blocking_1mib_each_way)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct xfer up = {.limit = 1 << 20}, down = {.limit = 1 << 20};
	int64_t deadline = tf_now_ms() + 30000;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	guard_timeouts(p.cli);
	guard_timeouts(p.srv);
	ASSERT_TRUE(xfer_start(&up, p.cli, p.srv, 11, deadline));
	ASSERT_TRUE(xfer_start(&down, p.srv, p.cli, 12, deadline));
	xfer_finish(&up, 1 << 20);
	xfer_finish(&down, 1 << 20);
	tf_pair_close(&p);
}

/*
 * docs/zephyr-behaviour.md §3.13 (PR #56324): on each socket one thread sends while another
 * receives, both directions, for 2 s, random sizes; every byte arrives once and
 * in order. Run under TSan for the data races.
 */
TEST(test_concurrent_send_recv_two_threads_2s)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct xfer up = {.duration_ms = 2000, .random_size = true};
	struct xfer down = {.duration_ms = 2000, .random_size = true};
	int64_t deadline = tf_now_ms() + 20000;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	guard_timeouts(p.cli);
	guard_timeouts(p.srv);
	ASSERT_TRUE(xfer_start(&up, p.cli, p.srv, 21, deadline));
	ASSERT_TRUE(xfer_start(&down, p.srv, p.cli, 22, deadline));
	xfer_finish(&up, 0);
	xfer_finish(&down, 0);
	tf_pair_close(&p);
}

/* ---- accept() inheritance ---- */

static int64_t get_timeo_ms(int fd, int opt)
{
	struct zsock_timeval tv = {-1, -1};
	socklen_t len = sizeof(tv);

	if (zsock_getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0) {
		return -1;
	}
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * docs/zephyr-behaviour.md §3.12: accept() clones the listener's options, SO_RCVTIMEO and
 * SO_SNDTIMEO included: the accepted socket reports them and a recv() on it
 * times out after the listener's SO_RCVTIMEO.
 */
TEST(test_accept_inherits_listener_options)
{
	static const int suites[] = {TLS13_AES_128_GCM_SHA256, ECDHE_ECDSA_AES_128_GCM};
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	sec_tag_t tags[4] = {0};
	socklen_t len = sizeof(tags);
	struct tf_pair p;
	char buf[4];
	int64_t t0, dt;

	c.srv_suites[0] = suites[0];
	c.srv_suites[1] = suites[1];
	c.n_srv_suites = 2;
	ASSERT_TRUE(tf_creds_ready());
	p.cli = p.srv = -1;
	p.lst = tf_listener(&c, &p.addr, &p.addr_len);
	ASSERT_TRUE(p.lst >= 0);
	EXPECT_OK(tf_set_timeo(p.lst, SO_RCVTIMEO, 300));
	EXPECT_OK(tf_set_timeo(p.lst, SO_SNDTIMEO, 700));
	{
		struct tf_connector k = {.cfg = c, .fd = -1, .addr = p.addr, .len = p.addr_len};

		ASSERT_TRUE(tf_worker_start(&k.w, tf_connector_main, &k));
		p.srv = zsock_accept(p.lst, NULL, NULL);
		tf_worker_must_join(&k.w, 15000);
		p.cli = k.fd;
		EXPECT_EQ(k.err, 0);
	}
	ASSERT_TRUE(p.srv >= 0);
	EXPECT_EQ(get_timeo_ms(p.srv, SO_RCVTIMEO), 300);
	EXPECT_EQ(get_timeo_ms(p.srv, SO_SNDTIMEO), 700);
	EXPECT_OK(zsock_getsockopt(p.srv, SOL_TLS, TLS_SEC_TAG_LIST, tags, &len));
	EXPECT_EQ(len, sizeof(sec_tag_t));
	EXPECT_EQ(tags[0], TAG_SERVER);
	expect_suite_list(p.srv, suites, 2);
	EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, TLS_CIPHERSUITE_USED), TLS13_AES_128_GCM_SHA256);
	t0 = tf_now_ms();
	EXPECT_ERRNO(zsock_recv(p.srv, buf, sizeof(buf), 0), EAGAIN);
	dt = tf_now_ms() - t0;
	EXPECT_TRUE(dt >= 300 && dt < 1500);
	EXPECT_TRUE(p.cli >= 0 && tf_echo_ok(p.cli, p.srv, TEST_STR_SMALL));
	tf_pair_close(&p);
}
