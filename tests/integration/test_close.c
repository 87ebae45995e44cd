/*
 * close() of a secure socket (docs/security.md, "close()"): after close()
 * returns, every call on the number fails with EBADF until the kernel hands
 * the number out again; nothing written through it can leave unencrypted;
 * the kernel descriptor is closed exactly once; close() wakes every call
 * waiting on the socket - blocked recv/send/accept/recvfrom return EINTR
 * (Zephyr's test_close_while_accept/recv), poll() reports POLLNVAL and
 * select() fails with EBADF, as the host does for a closed descriptor.
 *
 * Regression test of the review's demonstration: poll() in one thread held
 * a reference; close() + send() in another put "PLAINTEXT-SECRET" on the wire
 * in clear after the close_notify.
 *
 * Credentials: tags 7500..7502.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "sock/sock.h"
#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#define SECRET "PLAINTEXT-SECRET"

enum {
	TAG_CA = 7500,
	TAG_SERVER,
	TAG_PSK
};

static const unsigned char psk[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static int creds_add(void)
{
	return tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key") |
	       tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) |
	       tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, "close", 5);
}

static void creds_del(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
	(void)tls_credential_delete(TAG_PSK, TLS_CREDENTIAL_PSK);
	(void)tls_credential_delete(TAG_PSK, TLS_CREDENTIAL_PSK_ID);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_del};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

/* ---- a call blocked in another thread ---- */

#define MANY 200 /* a large poll set: zsock_poll's batched references (HOLD_FDS) */

enum op {
	OP_POLL,
	OP_POLL_MANY,
	OP_SELECT,
	OP_RECV,
	OP_SEND,
	OP_ACCEPT,
	OP_RECVFROM
};

struct blocked {
	struct tf_worker w;
	enum op op;
	int fd;
	int rc;
	int err;
	short revents;
	int nvals; /* OP_POLL_MANY: entries that came back POLLNVAL */
	atomic_bool started;
	int64_t ended_ms;
};

static void *blocked_main(void *p)
{
	struct blocked *b = p;
	static char buf[65536];
	struct zsock_pollfd pfd = {.fd = b->fd, .events = POLLIN};
	zsock_fd_set rd;
	struct zsock_timeval tv = {.tv_sec = 10};
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);

	atomic_store(&b->started, true);
	errno = 0;
	switch (b->op) {
	case OP_POLL:
		b->rc = zsock_poll(&pfd, 1, 10000);
		b->revents = pfd.revents;
		break;
	case OP_POLL_MANY: {
		static struct zsock_pollfd many[MANY];

		for (int i = 0; i < MANY; i++) {
			many[i] = (struct zsock_pollfd){.fd = b->fd, .events = POLLIN};
		}
		b->rc = zsock_poll(many, MANY, 10000);
		for (int i = 0; i < MANY; i++) {
			b->nvals += many[i].revents == POLLNVAL;
		}
		break;
	}
	case OP_SELECT:
		ZSOCK_FD_ZERO(&rd);
		ZSOCK_FD_SET(b->fd, &rd);
		b->rc = zsock_select(b->fd + 1, &rd, NULL, NULL, &tv);
		break;
	case OP_RECV:
		b->rc = (int)zsock_recv(b->fd, buf, sizeof(buf), 0);
		break;
	case OP_SEND:
		b->rc = (int)zsock_send(b->fd, buf, sizeof(buf), 0);
		break;
	case OP_ACCEPT:
		b->rc = zsock_accept(b->fd, NULL, NULL);
		break;
	case OP_RECVFROM:
		b->rc = (int)zsock_recvfrom(b->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					    &flen);
		break;
	}
	b->err = errno;
	b->ended_ms = tf_now_ms();
	return NULL;
}

/* Start @p op on @p fd in a thread and give it time to block. */
static bool block_start(struct blocked *b, enum op op, int fd)
{
	memset(b, 0, sizeof(*b));
	b->op = op;
	b->fd = fd;
	if (!tf_worker_start(&b->w, blocked_main, b)) {
		return false;
	}
	for (int i = 0; i < 200 && !atomic_load(&b->started); i++) {
		tf_sleep_ms(1);
	}
	tf_sleep_ms(150); /* into the kernel's poll() */
	return true;
}

/* close(@p fd) from this thread: the blocked call must end within a second. */
static void close_and_join(struct blocked *b, int fd)
{
	int64_t t0 = tf_now_ms();

	EXPECT_OK(zsock_close(fd));
	tf_worker_must_join(&b->w, 5000);
	EXPECT_TRUE(b->ended_ms - t0 < 1000);
}

/* Every call on a closed number fails with EBADF, ours and the host's. */
static void expect_number_dead(int fd)
{
	char c;
	int v;
	socklen_t len = sizeof(v);

	EXPECT_ERRNO(zsock_send(fd, SECRET, strlen(SECRET), 0), EBADF);
	EXPECT_ERRNO(zsock_recv(fd, &c, 1, MSG_DONTWAIT), EBADF);
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len), EBADF);
	EXPECT_ERRNO(zsock_fcntl(fd, F_GETFL, 0), EBADF);
	EXPECT_ERRNO(send(fd, SECRET, strlen(SECRET), MSG_NOSIGNAL), EBADF);
	EXPECT_ERRNO(write(fd, SECRET, strlen(SECRET)), EBADF);
	EXPECT_ERRNO(sendto(fd, SECRET, strlen(SECRET), MSG_NOSIGNAL, NULL, 0), EBADF);
	EXPECT_ERRNO(zsock_close(fd), EBADF); /* double close */
}

/* Every raw byte the server's kernel socket received, until EOF or 2 s of quiet. */
static size_t raw_drain(int fd, unsigned char *buf, size_t cap)
{
	size_t n = 0;

	for (int i = 0; i < 200 && n < cap; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 2000) <= 0) {
			break;
		}
		r = recv(fd, buf + n, cap - n, MSG_DONTWAIT);
		if (r <= 0) {
			break;
		}
		n += (size_t)r;
	}
	return n;
}

static bool contains(const unsigned char *buf, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(buf + i, needle, k) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * review 2: poll() in one thread, close() + send() in another. The peer's
 * kernel socket (read raw, under its TLS layer) gets the close_notify record
 * and nothing in clear; the poller wakes with POLLNVAL.
 */
TEST(test_close_while_poll_then_send_no_plaintext)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	static unsigned char raw[65536];
	struct blocked b;
	struct tf_pair p;
	size_t n;

	for (int round = 0; round < 5 && !th_case_failed(); round++) {
		ASSERT_TRUE(tf_pair_up(&c, &p));
		ASSERT_TRUE(block_start(&b, OP_POLL, p.cli));
		close_and_join(&b, p.cli);
		EXPECT_EQ(b.rc, 1);
		EXPECT_EQ(b.revents, POLLNVAL);
		expect_number_dead(p.cli);
		/* what reached the server, below TLS */
		n = raw_drain(p.srv, raw, sizeof(raw));
		/* the close_notify: a protected record (TLS 1.3: type 23, TLS 1.2: alert, 21) */
		EXPECT_TRUE(n >= 5 && (raw[0] == 0x17 || raw[0] == 0x15));
		EXPECT_TRUE(!contains(raw, n, SECRET));
		p.cli = -1;
		tf_pair_close(&p);
	}
}

/*
 * A second close() while another call still holds the socket: EBADF, and
 * the kernel descriptor is closed exactly once - the number stays reserved
 * until the last call ends, then it is free again; a descriptor opened
 * meanwhile is never closed by the library.
 */
TEST(test_double_close_closes_kernel_descriptor_once)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	struct zt_sock *inflight;
	int other, again;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	/* what a call in flight holds: a reference (as every zsock_* call takes one) */
	inflight = zt_fd_get(p.cli);
	ASSERT_TRUE(inflight != NULL);
	EXPECT_OK(zsock_close(p.cli));
	EXPECT_ERRNO(zsock_close(p.cli), EBADF);
	expect_number_dead(p.cli); /* also while the number is reserved */
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(other >= 0);
	EXPECT_TRUE(other != p.cli); /* the number is still reserved */
	zt_fd_put(inflight);
	/* the last reference went: the number is free, the other descriptor untouched */
	EXPECT_ERRNO(fcntl(p.cli, F_GETFD), EBADF);
	EXPECT_OK(fcntl(other, F_GETFD));
	again = open("/dev/null", O_RDONLY | O_CLOEXEC);
	EXPECT_TRUE(again >= 0 && (again == p.cli || again < p.cli));
	close(again);
	close(other);
	p.cli = -1;
	tf_pair_close(&p);
}

/* close() wakes poll(): POLLNVAL for the closed socket */
TEST(test_close_while_poll_pollnval)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET6);
	struct blocked b;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	ASSERT_TRUE(block_start(&b, OP_POLL, p.srv));
	close_and_join(&b, p.srv);
	EXPECT_EQ(b.rc, 1);
	EXPECT_EQ(b.revents, POLLNVAL);
	p.srv = -1;
	tf_pair_close(&p);
}

/*
 * The same with the socket 200 times in one set (references taken for the
 * whole set at once; more waiters than the socket's lock-free slots): the
 * poller wakes and every entry is POLLNVAL.
 */
TEST(test_close_while_poll_large_set_pollnval)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct blocked b;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	ASSERT_TRUE(block_start(&b, OP_POLL_MANY, p.srv));
	close_and_join(&b, p.srv);
	EXPECT_EQ(b.rc, MANY);
	EXPECT_EQ(b.nvals, MANY);
	expect_number_dead(p.srv);
	p.srv = -1;
	tf_pair_close(&p);
}

/* close() wakes select(): EBADF, as the host's select() for a closed descriptor */
TEST(test_close_while_select_ebadf)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct blocked b;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	ASSERT_TRUE(block_start(&b, OP_SELECT, p.cli));
	close_and_join(&b, p.cli);
	EXPECT_EQ(b.rc, -1);
	EXPECT_EQ(b.err, EBADF);
	p.cli = -1;
	tf_pair_close(&p);
}

/* A send() blocked on a full window ends with EINTR (or the bytes it had already sent). */
TEST(test_close_while_send_eintr)
{
	struct tf_cfg c = tf_cfg_small_window();
	struct tf_pstream ps = {0};
	struct blocked b;
	struct tf_pair p;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	(void)tf_fill_window(p.cli, &ps);
	ASSERT_TRUE(block_start(&b, OP_SEND, p.cli));
	close_and_join(&b, p.cli);
	EXPECT_TRUE((b.rc == -1 && b.err == EINTR) || b.rc > 0);
	p.cli = -1;
	tf_pair_close(&p);
}

/* Zephyr test_close_while_accept */
TEST(test_close_while_accept_eintr)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct sockaddr_storage sa;
	socklen_t sl;
	struct blocked b;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	lst = tf_listener(&c, &sa, &sl);
	ASSERT_TRUE(lst >= 0);
	ASSERT_TRUE(block_start(&b, OP_ACCEPT, lst));
	close_and_join(&b, lst);
	EXPECT_EQ(b.rc, -1);
	EXPECT_EQ(b.err, EINTR);
	expect_number_dead(lst);
}

/* A DTLS server socket blocked in recvfrom(): EINTR */
TEST(test_close_while_dtls_recvfrom_eintr)
{
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, 0, &sa);
	int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	sec_tag_t tag = TAG_PSK;
	int role = TLS_DTLS_ROLE_SERVER;
	struct blocked b;

	ASSERT_TRUE(tf_creds_ready());
	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)));
	EXPECT_OK(zsock_bind(fd, (struct sockaddr *)&sa, sl));
	ASSERT_TRUE(block_start(&b, OP_RECVFROM, fd));
	close_and_join(&b, fd);
	EXPECT_EQ(b.rc, -1);
	EXPECT_EQ(b.err, EINTR);
	expect_number_dead(fd);
}

/* The DTLS client variant of the demonstration: nothing in clear after close() */
TEST(test_dtls_close_while_poll_then_send_no_plaintext)
{
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, 0, &sa);
	static unsigned char raw[65536];
	int srv = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	int cli = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	sec_tag_t tag = TAG_PSK;
	int role = TLS_DTLS_ROLE_SERVER;
	struct blocked b, hs;
	size_t n = 0;

	ASSERT_TRUE(tf_creds_ready());
	ASSERT_TRUE(srv >= 0 && cli >= 0);
	EXPECT_OK(zsock_setsockopt(srv, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	EXPECT_OK(zsock_setsockopt(srv, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)));
	EXPECT_OK(zsock_bind(srv, (struct sockaddr *)&sa, sl));
	EXPECT_OK(zsock_getsockname(srv, (struct sockaddr *)&sa, &sl));
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	/* the server handshakes inside recvfrom() while the client connects */
	ASSERT_TRUE(block_start(&hs, OP_RECVFROM, srv));
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_EQ(zsock_send(cli, "x", 1, 0), 1);
	tf_worker_must_join(&hs.w, 5000);
	EXPECT_EQ(hs.rc, 1);

	ASSERT_TRUE(block_start(&b, OP_POLL, cli));
	close_and_join(&b, cli);
	EXPECT_EQ(b.revents, POLLNVAL);
	expect_number_dead(cli);
	/* the server socket's raw datagrams: close_notify, never the secret */
	for (int i = 0; i < 20; i++) {
		struct pollfd p = {.fd = srv, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 500) <= 0) {
			break;
		}
		r = recv(srv, raw + n, sizeof(raw) - n, MSG_DONTWAIT);
		if (r <= 0) {
			break;
		}
		EXPECT_EQ(raw[n], 0x15); /* a DTLS alert record (epoch 1, encrypted) */
		n += (size_t)r;
	}
	EXPECT_TRUE(n > 0);
	EXPECT_TRUE(!contains(raw, n, SECRET));
	zsock_close(srv);
}
