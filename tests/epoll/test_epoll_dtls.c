/*
 * DTLS sockets in an epoll set (src/posix/epoll.c, docs/posix-epoll.md,
 * "DTLS"): a DTLS server socket whose handshake with a client is driven by
 * the set's waits and recvfrom(), then data both ways reported by one set
 * holding the server and the client, EPOLLOUT once established, nothing
 * when nothing waits, and the client closed while registered.
 */
#include "../integration/test_dtls_util.h"

#include <sys/epoll.h>

#include "posix/epoll.h"

static int ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return zp_epoll_ctl(ep, op, fd, &ev);
}

/* Wait up to @p ms for an event with @p data; its events, or 0. */
static uint32_t wait_for(int ep, uint64_t data, int ms)
{
	struct epoll_event out[4];
	int64_t end = now_ms() + ms;

	do {
		int n = zp_epoll_wait(ep, out, 4, 100, NULL);

		for (int i = 0; i < n; i++) {
			if (out[i].data.u64 == data) {
				return out[i].events;
			}
		}
	} while (now_ms() < end);
	return 0;
}

TEST(test_epoll_dtls_pair_in_one_set)
{
	struct sockaddr_storage addr, from;
	socklen_t len, flen;
	struct conn_job j;
	struct worker w;
	struct epoll_event out[4];
	unsigned char buf[64];
	int srv, cli, ep;
	bool first = false;
	ssize_t n;

	ASSERT_TRUE(creds_ready());
	srv = dtls_server(AF_INET, TAG_SERVER, &addr, &len);
	cli = dtls_sock(AF_INET, TAG_CA);
	ASSERT_TRUE(srv >= 0 && cli >= 0);
	ep = epoll_create1(0);
	ASSERT_TRUE(ep >= 0);
	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_ADD, srv, EPOLLIN, 1));
	conn_job_init(&j, cli, &addr, len);
	ASSERT_TRUE(worker_start(&w, conn_job_main, &j));
	/* the server's side of the handshake, then the client's first byte */
	for (int64_t end = now_ms() + 10000; !first && now_ms() < end;) {
		if (wait_for(ep, 1, 200) & EPOLLIN) {
			flen = sizeof(from);
			n = zsock_recvfrom(srv, buf, sizeof(buf), MSG_DONTWAIT,
					   (struct sockaddr *)&from, &flen);
			first = n == 1;
		}
	}
	worker_must_join(&w, 15000);
	ASSERT_TRUE(first);
	EXPECT_EQ(j.rc, 0);

	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_ADD, cli, EPOLLIN, 2));
	EXPECT_EQ(zp_epoll_wait(ep, out, 4, 0, NULL), 0);
	EXPECT_EQ(zsock_send(cli, "hello", 5, 0), 5);
	EXPECT_EQ(wait_for(ep, 1, 3000), EPOLLIN);
	flen = sizeof(from);
	n = zsock_recvfrom(srv, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	EXPECT_EQ(n, 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	EXPECT_EQ(zsock_sendto(srv, "world", 5, 0, (struct sockaddr *)&from, flen), 5);
	EXPECT_EQ(wait_for(ep, 2, 3000), EPOLLIN);
	EXPECT_EQ(zsock_recv(cli, buf, sizeof(buf), MSG_DONTWAIT), 5);
	EXPECT_EQ(memcmp(buf, "world", 5), 0);
	EXPECT_EQ(zp_epoll_wait(ep, out, 4, 0, NULL), 0);
	/* established: writable */
	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_MOD, cli, EPOLLIN | EPOLLOUT, 3));
	EXPECT_EQ(wait_for(ep, 3, 1000), EPOLLOUT);
	/* the client closed while registered: never reported again */
	EXPECT_OK(ep_ctl(ep, EPOLL_CTL_MOD, cli, EPOLLIN, 2));
	close_fd(&cli);
	/* (the server may report the client's close_notify) */
	n = zp_epoll_wait(ep, out, 4, 200, NULL);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(out[i].data.u64, 1);
	}
	EXPECT_EQ(zp_epoll_close(ep), 0);
	close_fd(&srv);
}
