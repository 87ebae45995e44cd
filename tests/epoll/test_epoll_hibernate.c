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

#include "epoll_util.h"

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
