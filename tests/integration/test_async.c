/*
 * SECSOCK_TLS_ASYNC_HANDSHAKE (<secsock/secsock.h>): non-blocking handshakes
 * for event loops. The option itself (default, set/get, errno, inheritance),
 * a non-blocking client (EINPROGRESS, POLLOUT, data; POLLERR + SO_ERROR once
 * + TLS_CERT_VERIFY_RESULT on failure), accept() that never waits for a
 * handshake (blocking and non-blocking), a single-threaded zsock_poll()
 * server serving 200 echo clients while 50 others stall, and DTLS.
 *
 * Credentials: tags 7600..7604.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

enum {
	TAG_CA = 7600,
	TAG_SERVER,
	TAG_UNTRUSTED,
	TAG_PSK
};

#define X509_BADCERT_NOT_TRUSTED 0x08u /* Mbed TLS 3.6 x509.h */

static const unsigned char psk[] = {5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

static int creds_add(void)
{
	return tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key") |
	       tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "untrusted.pem") |
	       tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY, "untrusted.key") |
	       tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) |
	       tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, "async", 5);
}

static void creds_del(void)
{
	for (int t = TAG_CA; t <= TAG_PSK; t++) {
		for (int ty = TLS_CREDENTIAL_CA_CERTIFICATE; ty <= TLS_CREDENTIAL_PSK_ID; ty++) {
			(void)tls_credential_delete(t, (enum tls_credential_type)ty);
		}
	}
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_del};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

static int set_async(int fd)
{
	int one = 1;

	return zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one));
}

static int listener(sec_tag_t tag, bool async, bool nonblock, struct sockaddr_storage *sa,
		    socklen_t *sl)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	int fd;

	c.srv_tags[0] = tag;
	fd = tf_listener(&c, sa, sl);
	if (fd >= 0 && async && set_async(fd) < 0) {
		zsock_close(fd);
		return -1;
	}
	if (fd >= 0 && nonblock) {
		(void)zsock_fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	return fd;
}

/* A non-blocking client with the option, certificates of TAG_CA, host localhost. */
static int async_client(int proto)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, proto);
	sec_tag_t tag = TAG_CA;

	if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0 || set_async(fd) < 0) {
		th_fail(__FILE__, __LINE__, "client: %s", strerror(errno));
		if (fd >= 0) {
			zsock_close(fd);
		}
		return -1;
	}
	return fd;
}

/* poll() @p fd for @p events until something is reported (at most @p ms). */
static short poll_for(int fd, short events, int ms)
{
	struct zsock_pollfd p = {.fd = fd, .events = events};
	int64_t end = tf_now_ms() + ms;

	while (tf_now_ms() < end) {
		int n = zsock_poll(&p, 1, (int)(end - tf_now_ms()));

		if (n > 0) {
			return p.revents;
		}
		if (n < 0) {
			return -1;
		}
	}
	return 0;
}

/* ---- the option ---- */

/* default 0; 0/1 read back; bad values EINVAL; inherited by accept() */
TEST(test_option_rules)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int v = -1, two = 2;
	socklen_t len = sizeof(v);

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &v, &len));
	EXPECT_EQ(v, 0);
	EXPECT_OK(set_async(fd));
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &v, &len));
	EXPECT_EQ(v, 1);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &two, sizeof(two)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, NULL, sizeof(int)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &v, 1), EINVAL);
	len = 2;
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &v, &len), EINVAL);
	zsock_close(fd);
}

/* ---- a non-blocking client ---- */

static void nonblocking_client(int proto)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct tf_acceptor a = {.fd = -1};
	int cli, lst, used, rc;
	char buf[8];
	short rev;

	ASSERT_TRUE(tf_creds_ready());
	lst = listener(TAG_SERVER, false, false, &sa, &sl);
	cli = async_client(proto);
	ASSERT_TRUE(lst >= 0 && cli >= 0);
	a.lst = lst;
	ASSERT_TRUE(tf_worker_start(&a.w, tf_accept_main, &a));
	if (proto == IPPROTO_TLS_1_2) {
		/* TLS 1.2 on the wire: two round trips, so the first send cannot finish it */
		static const int suites12[] = {0xC02B, 0xC02C};

		EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_CIPHERSUITE_LIST, suites12,
					   sizeof(suites12)));
	}
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), EINPROGRESS);
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), EALREADY);
	if (proto == IPPROTO_TLS_1_2) {
		/* not established yet: data calls say EAGAIN */
		rc = (int)zsock_send(cli, "x", 1, 0);
		EXPECT_TRUE(rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
		rc = (int)zsock_recv(cli, buf, 1, 0);
		EXPECT_TRUE(rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
	rev = poll_for(cli, POLLOUT, 5000);
	EXPECT_EQ(rev, POLLOUT);
	tf_worker_must_join(&a.w, 5000);
	ASSERT_TRUE(a.fd >= 0);
	used = tf_get_int(cli, SOL_TLS, TLS_CIPHERSUITE_USED);
	EXPECT_TRUE(used > 0);
	EXPECT_EQ(zsock_send(cli, "ping", 4, 0), 4);
	EXPECT_EQ(zsock_recv(a.fd, buf, sizeof(buf), 0), 4);
	EXPECT_EQ(zsock_send(a.fd, "pong", 4, 0), 4);
	EXPECT_EQ(poll_for(cli, POLLIN, 5000) & POLLIN, POLLIN);
	EXPECT_EQ(zsock_recv(cli, buf, sizeof(buf), 0), 4);
	EXPECT_EQ(tf_get_int(cli, SOL_SOCKET, SO_ERROR), 0);
	zsock_close(cli);
	zsock_close(a.fd);
	zsock_close(lst);
}

TEST(test_nonblocking_client_tls12)
{
	nonblocking_client(IPPROTO_TLS_1_2);
}

TEST(test_nonblocking_client_tls13)
{
	nonblocking_client(IPPROTO_TLS_1_3);
}

/* An untrusted server: POLLERR, SO_ERROR ECONNABORTED once, TLS_CERT_VERIFY_RESULT set */
TEST(test_nonblocking_client_untrusted_pollerr)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct tf_acceptor a = {.fd = -1};
	uint32_t flags = 0;
	socklen_t fl = sizeof(flags);
	int cli, lst;

	ASSERT_TRUE(tf_creds_ready());
	lst = listener(TAG_UNTRUSTED, false, false, &sa, &sl);
	cli = async_client(IPPROTO_TLS_1_2);
	ASSERT_TRUE(lst >= 0 && cli >= 0);
	a.lst = lst;
	ASSERT_TRUE(tf_worker_start(&a.w, tf_accept_main, &a));
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), EINPROGRESS);
	EXPECT_TRUE(poll_for(cli, POLLOUT, 5000) & POLLERR);
	EXPECT_OK(zsock_getsockopt(cli, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &fl));
	EXPECT_TRUE(flags & X509_BADCERT_NOT_TRUSTED);
	EXPECT_EQ(tf_get_int(cli, SOL_SOCKET, SO_ERROR), ECONNABORTED);
	EXPECT_EQ(tf_get_int(cli, SOL_SOCKET, SO_ERROR), 0); /* once */
	EXPECT_TRUE(zsock_send(cli, "x", 1, 0) < 0);
	tf_worker_must_join(&a.w, 5000);
	EXPECT_TRUE(a.fd < 0);
	zsock_close(cli);
	zsock_close(lst);
}

/* Nothing listens: the TCP connect fails; POLLERR and SO_ERROR ECONNREFUSED */
TEST(test_nonblocking_client_refused)
{
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, tu_free_port(AF_INET, SOCK_STREAM), &sa);
	int cli, rc;

	ASSERT_TRUE(tf_creds_ready());
	cli = async_client(IPPROTO_TLS_1_2);
	ASSERT_TRUE(cli >= 0);
	errno = 0;
	rc = zsock_connect(cli, (struct sockaddr *)&sa, sl);
	EXPECT_TRUE(rc == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED));
	if (errno == EINPROGRESS) {
		EXPECT_TRUE(poll_for(cli, POLLOUT, 5000) & POLLERR);
		EXPECT_EQ(tf_get_int(cli, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	}
	zsock_close(cli);
}

/* ---- accept() never waits for a handshake ---- */

/* A client that connects and says "hi", in a thread. */
struct hi_client {
	struct tf_worker w;
	struct sockaddr_storage sa;
	socklen_t sl;
	int fd;
	int err;
};

static void *hi_main(void *p)
{
	struct hi_client *h = p;
	struct tf_cfg c = tf_cfg_cert(AF_INET);

	h->fd = tf_client(&c, 0);
	h->err = -1;
	if (h->fd >= 0 && zsock_connect(h->fd, (struct sockaddr *)&h->sa, h->sl) == 0 &&
	    zsock_send(h->fd, "hi", 2, 0) == 2) {
		h->err = 0;
	}
	return NULL;
}

/*
 * A blocking accept loop whose listener has the option: a silent client
 * (TCP connect, nothing sent) does not hold up the next one; the blocking
 * accepted socket's first recv completes its handshake.
 */
TEST(test_blocking_accept_not_stalled_by_silent_client)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct hi_client k = {.fd = -1};
	int lst, silent, first, second;
	int64_t t0;
	char buf[8];

	ASSERT_TRUE(tf_creds_ready());
	lst = listener(TAG_SERVER, true, false, &sa, &sl);
	ASSERT_TRUE(lst >= 0);
	silent = tu_tcp_connect(AF_INET, tu_local_port(lst));
	ASSERT_TRUE(silent >= 0);
	t0 = tf_now_ms();
	first = zsock_accept(lst, NULL, NULL);
	EXPECT_TRUE(first >= 0 && tf_now_ms() - t0 < 500);
	EXPECT_EQ(tf_get_int(first, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE), 1); /* inherited */

	k.sa = sa;
	k.sl = sl;
	ASSERT_TRUE(tf_worker_start(&k.w, hi_main, &k));
	t0 = tf_now_ms();
	second = zsock_accept(lst, NULL, NULL);
	EXPECT_TRUE(second >= 0 && tf_now_ms() - t0 < 2000);
	/* the blocking child: recv() runs the handshake, then reads */
	EXPECT_OK(tf_set_timeo(second, SO_RCVTIMEO, 5000));
	EXPECT_EQ(zsock_recv(second, buf, sizeof(buf), 0), 2);
	tf_worker_must_join(&k.w, 10000);
	EXPECT_EQ(k.err, 0);
	/* the silent one: a bounded recv says EAGAIN; its handshake is still pending */
	EXPECT_OK(tf_set_timeo(first, SO_RCVTIMEO, 200));
	EXPECT_ERRNO(zsock_recv(first, buf, sizeof(buf), 0), EAGAIN);
	close(silent);
	zsock_close(k.fd);
	zsock_close(first);
	zsock_close(second);
	zsock_close(lst);
}

/* ---- a single-threaded event loop ---- */

#define GOOD  200
#define BAD   50
#define WORK  8 /* threads running the good clients */
#define SLOTS (GOOD + BAD + 16)

struct loop {
	int lst;
	atomic_bool stop;
	struct tf_worker w;
	int served;
};

static void *loop_main(void *p)
{
	struct loop *l = p;
	struct zsock_pollfd fds[SLOTS];
	int n = 1;

	fds[0] = (struct zsock_pollfd){.fd = l->lst, .events = POLLIN};
	while (!atomic_load(&l->stop)) {
		if (zsock_poll(fds, n, 50) <= 0) {
			continue;
		}
		for (int i = n - 1; i >= 0; i--) {
			char buf[256];
			ssize_t r;

			if (fds[i].revents == 0) {
				continue;
			}
			if (i == 0) {
				int c;

				/* accept everything pending: never waits for a handshake */
				while (n < SLOTS && (c = zsock_accept(l->lst, NULL, NULL)) >= 0) {
					(void)zsock_fcntl(c, F_SETFL, O_NONBLOCK);
					fds[n++] = (struct zsock_pollfd){.fd = c, .events = POLLIN};
				}
				continue;
			}
			r = (fds[i].revents & POLLIN) ? zsock_recv(fds[i].fd, buf, sizeof(buf), 0)
						      : -1;
			if (r > 0) {
				(void)zsock_send(fds[i].fd, buf, (size_t)r, 0);
				l->served++;
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				continue;
			}
			zsock_close(fds[i].fd); /* EOF, an error, or a failed handshake */
			fds[i] = fds[--n];
		}
	}
	for (int i = 1; i < n; i++) {
		zsock_close(fds[i].fd);
	}
	return NULL;
}

struct good {
	struct tf_worker w;
	struct sockaddr_storage sa;
	socklen_t sl;
	int first, count;
	atomic_int ok;
	int64_t worst_ms;
};

static void *good_main(void *p)
{
	struct good *g = p;
	struct tf_cfg c = tf_cfg_cert(AF_INET);

	for (int i = 0; i < g->count; i++) {
		char want[32], got[32] = "";
		int64_t t0 = tf_now_ms();
		int fd = tf_client(&c, 0);
		size_t len;

		if (fd < 0) {
			continue;
		}
		(void)tf_set_timeo(fd, SO_RCVTIMEO, 3000);
		len = (size_t)snprintf(want, sizeof(want), "client %d", g->first + i);
		if (zsock_connect(fd, (struct sockaddr *)&g->sa, g->sl) == 0 &&
		    zsock_send(fd, want, len, 0) == (ssize_t)len &&
		    zsock_recv(fd, got, len, MSG_WAITALL) == (ssize_t)len &&
		    memcmp(got, want, len) == 0) {
			atomic_fetch_add(&g->ok, 1);
		}
		if (tf_now_ms() - t0 > g->worst_ms) {
			g->worst_ms = tf_now_ms() - t0;
		}
		zsock_close(fd);
	}
	return NULL;
}

/*
 * 200 echo clients (8 at a time) are served correctly and each within 1 s,
 * while 50 other clients connect and send nothing, or one byte of a
 * ClientHello per second.
 */
TEST(test_event_loop_serves_good_clients_past_stalled_ones)
{
	static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01};
	struct sockaddr_storage sa;
	socklen_t sl;
	struct loop l = {0};
	struct good g[WORK];
	int bad[BAD], ok = 0;
	int64_t worst = 0;

	ASSERT_TRUE(tf_creds_ready());
	l.lst = listener(TAG_SERVER, true, true, &sa, &sl);
	ASSERT_TRUE(l.lst >= 0);
	(void)zsock_listen(l.lst, 512);
	ASSERT_TRUE(tf_worker_start(&l.w, loop_main, &l));
	for (int i = 0; i < BAD; i++) {
		bad[i] = tu_tcp_connect(AF_INET, tu_local_port(l.lst));
	}
	for (int i = 0; i < WORK; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].sa = sa;
		g[i].sl = sl;
		g[i].first = i * (GOOD / WORK);
		g[i].count = GOOD / WORK;
		ASSERT_TRUE(tf_worker_start(&g[i].w, good_main, &g[i]));
	}
	/* half of the stalled clients trickle a ClientHello, one byte a second */
	for (int sec = 0; sec < 60; sec++) {
		bool done = true;

		for (int i = 0; i < WORK; i++) {
			done = done && atomic_load(&g[i].w.done);
		}
		if (done) {
			break;
		}
		for (int i = 0; i < BAD; i += 2) {
			if (bad[i] >= 0 && sec < (int)sizeof(hello)) {
				(void)!write(bad[i], &hello[sec], 1);
			}
		}
		tf_sleep_ms(1000);
	}
	for (int i = 0; i < WORK; i++) {
		tf_worker_must_join(&g[i].w, 60000);
		ok += atomic_load(&g[i].ok);
		worst = g[i].worst_ms > worst ? g[i].worst_ms : worst;
	}
	atomic_store(&l.stop, true);
	tf_worker_must_join(&l.w, 5000);
	printf("%d of %d good clients answered, slowest %lld ms, %d stalled clients\n", ok, GOOD,
	       (long long)worst, BAD);
	EXPECT_EQ(ok, GOOD);
	EXPECT_TRUE(worst < 1000);
	for (int i = 0; i < BAD; i++) {
		if (bad[i] >= 0) {
			close(bad[i]);
		}
	}
	zsock_close(l.lst);
}

/* ---- DTLS ---- */

/* A non-blocking DTLS client: EINPROGRESS, POLLOUT, data, against a secsock DTLS server. */
TEST(test_nonblocking_dtls_client)
{
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, 0, &sa);
	int srv = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	int cli = zsock_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_DTLS_1_2);
	sec_tag_t tag = TAG_PSK;
	int role = TLS_DTLS_ROLE_SERVER;
	struct zsock_pollfd fds[2];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	bool out = false;
	char buf[16];
	int64_t end;

	ASSERT_TRUE(tf_creds_ready());
	ASSERT_TRUE(srv >= 0 && cli >= 0);
	EXPECT_OK(zsock_setsockopt(srv, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	EXPECT_OK(zsock_setsockopt(srv, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)));
	EXPECT_OK(zsock_bind(srv, (struct sockaddr *)&sa, sl));
	EXPECT_OK(zsock_getsockname(srv, (struct sockaddr *)&sa, &sl));
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	EXPECT_OK(set_async(cli));
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), EINPROGRESS);
	EXPECT_ERRNO(zsock_send(cli, "x", 1, 0), EAGAIN);
	/* one thread, one poll set: both handshake ends advance inside poll() */
	end = tf_now_ms() + 5000;
	while (!out && tf_now_ms() < end) {
		fds[0] = (struct zsock_pollfd){.fd = srv, .events = POLLIN};
		fds[1] = (struct zsock_pollfd){.fd = cli, .events = POLLOUT};
		if (zsock_poll(fds, 2, 100) > 0) {
			EXPECT_TRUE((fds[1].revents & POLLERR) == 0);
			out = (fds[1].revents & POLLOUT) != 0;
		}
	}
	ASSERT_TRUE(out);
	EXPECT_EQ(zsock_send(cli, "ping", 4, 0), 4);
	EXPECT_OK(tf_set_timeo(srv, SO_RCVTIMEO, 3000));
	EXPECT_EQ(zsock_recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 4);
	zsock_close(cli);
	zsock_close(srv);
}
