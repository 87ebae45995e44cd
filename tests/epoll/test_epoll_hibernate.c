/*
 * SECSOCK_TLS_HIBERNATE through an epoll set of libsecsock-posix
 * (src/posix/epoll.c calls zt_sock_idle_tick, which hibernates): a TLS 1.2
 * server socket waited on only through a set hibernates in an idle
 * zp_epoll_wait() (which reports nothing and lasts its timeout), the set
 * reports the data that arrives for it, the stream stays exact both ways,
 * and it hibernates again in the next idle wait; level- and edge-triggered.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <secsock/secsock.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "engine/mbedtls/mbed.h"
#include "harness.h"
#include "posix/epoll.h"
#include "sock/sock.h"
#include "testutil.h"
#include "tls_fixture.h"

enum {
	TAG_CA = 5400,
	TAG_SERVER,
};

#define WAIT_MS  5000
#define QUIET_MS 150 /* well past HIB_MS, even for a wait woken late on a loaded machine */
#define HIB_MS   20
#define BLOCK    16384

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

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return zp_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* One wait of @p ms that must report nothing and last its timeout. */
static bool quiet_wait(int ep, int ms)
{
	struct epoll_event ev[4];
	int64_t t0 = tf_now_ms(), took;
	int n = zp_epoll_wait(ep, ev, 4, ms, NULL);

	took = tf_now_ms() - t0;
	if (n != 0 || took < ms - 2 || took > ms + 2000) {
		printf("quiet wait: %d events after %lld ms (timeout %d)\n", n, (long long)took,
		       ms);
		return false;
	}
	return true;
}

/* Send @p n bytes of stream @p s (all of them, blocking). */
static bool send_pat(int fd, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[BLOCK];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < BLOCK ? n - done : BLOCK;
		ssize_t m;

		tf_pat_fill(s, buf, k);
		m = zsock_send(fd, buf, k, 0);
		if (m <= 0) {
			return false;
		}
		s->off += (uint64_t)m;
		done += (size_t)m;
	}
	return true;
}

/* Receive @p n bytes on @p fd (data @p tag in @p ep) as epoll says: each report, read to EAGAIN. */
static bool epoll_recv_pat(int ep, int fd, uint64_t tag, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[BLOCK];
	size_t got = 0;

	while (got < n) {
		struct epoll_event ev[4];
		int k = zp_epoll_wait(ep, ev, 4, WAIT_MS, NULL);

		if (k != 1 || !(ev[0].events & EPOLLIN) || ev[0].data.u64 != tag) {
			printf("wait for data: %d events (0x%x), %zu of %zu bytes\n", k,
			       k > 0 ? ev[0].events : 0, got, n);
			return false;
		}
		for (;;) {
			ssize_t m = zsock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (m < 0 && errno == EAGAIN) {
				break;
			}
			if (m <= 0 || got + (size_t)m > n || !tf_pat_take(s, buf, (size_t)m)) {
				printf("recv: %zd after %zu of %zu bytes\n", m, got, n);
				return false;
			}
			got += (size_t)m;
		}
	}
	return true;
}

/* The server socket's session is hibernated now (test-only view of the socket). */
static bool asleep(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	bool yes = false;

	if (s == NULL) {
		return false;
	}
	pthread_mutex_lock(&s->lock);
	yes = s->sess.eng != NULL && s->sess.hib && zt_mbed_asleep(s->sess.eng);
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return yes;
}

/* Idle waits (one, then up to 10 more if a loaded machine woke one late) until hibernated. */
static bool idle_until_asleep(int ep, int fd)
{
	bool quiet = quiet_wait(ep, QUIET_MS);

	for (int i = 0; quiet && i < 10 && !asleep(fd); i++) {
		quiet = quiet_wait(ep, QUIET_MS);
	}
	return quiet && asleep(fd);
}

static void hibernate_in_set(uint32_t et)
{
	static const size_t sizes[] = {1, 5000, BLOCK, 40000};
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pstream up = {0, 41}, up_rx = {0, 41}, down = {0, 42}, down_rx = {0, 42};
	struct tf_pair p;
	int ep, hib = HIB_MS;

	c.srv_suites[0] = 0xC02B; /* a TLS 1.2 suite only: the pair speaks 1.2 */
	c.n_srv_suites = 1;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(zsock_setsockopt(p.srv, SOL_TLS, SECSOCK_TLS_HIBERNATE, &hib, sizeof(hib)));
	ep = epoll_create1(0);
	ASSERT_TRUE(ep >= 0);
	EXPECT_OK(ep_add(ep, p.srv, EPOLLIN | et, 9));
	for (size_t r = 0; r < sizeof(sizes) / sizeof(sizes[0]); r++) {
		/* idle: the wait alone hibernates it, and reports nothing */
		EXPECT_TRUE(idle_until_asleep(ep, p.srv));
		/* data for the hibernated socket: the set reports it; exact both ways */
		EXPECT_TRUE(send_pat(p.cli, &up, sizes[r]));
		EXPECT_TRUE(epoll_recv_pat(ep, p.srv, 9, &up_rx, sizes[r]));
		EXPECT_TRUE(!asleep(p.srv));
		EXPECT_TRUE(send_pat(p.srv, &down, sizes[r]));
		EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, sizes[r], WAIT_MS));
	}
	EXPECT_TRUE(idle_until_asleep(ep, p.srv));
	EXPECT_EQ(up_rx.off, up.off);
	EXPECT_EQ(zp_epoll_close(ep), 0);
	tf_pair_close(&p);
}

TEST(test_epoll_hibernate_level_tls12)
{
	hibernate_in_set(0);
}

TEST(test_epoll_hibernate_edge_tls12)
{
	hibernate_in_set(EPOLLET);
}
