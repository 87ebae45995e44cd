/*
 * The idle trim of a TLS stream waited on only through an epoll set
 * (src/posix/epoll.c, docs/posix-epoll.md "Idle trim"):
 * - a server socket in a set, no traffic, one zp_epoll_wait() of 300 ms:
 *   the wait reports nothing and lasts its timeout (a trim is not an
 *   event), and afterwards none of the socket's record-buffer pages is
 *   resident (the engine's mincore hook, as test_mem_idle); then data flows
 *   exactly both ways and the next idle wait trims again, level- and
 *   edge-triggered, TLS 1.2 and 1.3, also after a send the set was not told
 *   of (the server writing on its own);
 * - a wait with a long timeout wakes to trim while it sleeps (seen from a
 *   second thread before it sends) and then reports the data;
 * - 1,000 established TLS server sockets, trimmed, in the set do not make a
 *   wait that reports one socket slower: they are no candidates any more.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "posix/epoll.h"
#include "sock/sock.h"
#include "testutil.h"
#include "tls_fixture.h"

enum {
	TAG_CA = 5300,
	TAG_SERVER,
};

#define WAIT_MS  5000
#define QUIET_MS 300
#define BLOCK    16384

#include "epoll_util.h"

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Bytes of @p fd's record buffers resident now (the engine's mincore hook); -1 without one. */
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

/* The server socket of a pair, alone in a set (level- or edge-triggered). */
static void trim_in_set(int proto, uint32_t et)
{
	static const size_t sizes[] = {1, 5000, BLOCK, 40000};
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pstream up = {0, 31}, up_rx = {0, 31}, down = {0, 32}, down_rx = {0, 32};
	long pg = page_size();
	struct tf_pair p;
	int ep;

	c.cli_proto = proto;
	c.srv_proto = proto;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	/* after the handshake the buffers are resident */
	EXPECT_TRUE(resident(p.srv) > 4 * pg);
	ep = epoll_create1(0);
	ASSERT_TRUE(ep >= 0);
	EXPECT_OK(ep_add(ep, p.srv, EPOLLIN | et, 9));
	for (size_t r = 0; r < sizeof(sizes) / sizeof(sizes[0]); r++) {
		/* idle: the wait alone gives the pages back, and reports nothing */
		EXPECT_TRUE(quiet_wait(ep, QUIET_MS));
		EXPECT_EQ(resident(p.srv), 0);
		/* traffic, exact both ways: the server reads as the set reports */
		EXPECT_TRUE(send_pat(p.cli, &up, sizes[r]));
		EXPECT_TRUE(epoll_recv_pat(ep, p.srv, 9, &up_rx, sizes[r]));
		EXPECT_TRUE(send_pat(p.srv, &down, sizes[r]));
		EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, sizes[r], WAIT_MS));
		EXPECT_TRUE(resident(p.srv) > 0);
	}
	/* a send the set hears nothing of (the server's own): trimmed by the next idle wait */
	EXPECT_TRUE(quiet_wait(ep, QUIET_MS));
	EXPECT_EQ(resident(p.srv), 0);
	EXPECT_TRUE(send_pat(p.srv, &down, 3000));
	EXPECT_TRUE(tf_recv_pat(p.cli, &down_rx, 3000, WAIT_MS));
	EXPECT_TRUE(resident(p.srv) > 0);
	EXPECT_TRUE(quiet_wait(ep, QUIET_MS));
	EXPECT_EQ(resident(p.srv), 0);
	/* and the stream goes on */
	EXPECT_TRUE(send_pat(p.cli, &up, 777));
	EXPECT_TRUE(epoll_recv_pat(ep, p.srv, 9, &up_rx, 777));
	EXPECT_EQ(up_rx.off, up.off);
	EXPECT_EQ(zp_epoll_close(ep), 0);
	tf_pair_close(&p);
}

TEST(test_epoll_idle_trim_level_tls12)
{
	trim_in_set(IPPROTO_TLS_1_2, 0);
}

TEST(test_epoll_idle_trim_edge_tls12)
{
	trim_in_set(IPPROTO_TLS_1_2, EPOLLET);
}

TEST(test_epoll_idle_trim_level_tls13)
{
	trim_in_set(IPPROTO_TLS_1_3, 0);
}

TEST(test_epoll_idle_trim_edge_tls13)
{
	trim_in_set(IPPROTO_TLS_1_3, EPOLLET);
}

struct late_sender {
	struct tf_worker w;
	int srv, cli;
	long seen; /* resident(srv) just before the send */
};

static void *late_sender_main(void *arg)
{
	struct late_sender *l = arg;

	tf_sleep_ms(400);
	l->seen = resident(l->srv);
	(void)zsock_send(l->cli, "late", 4, 0);
	return NULL;
}

/* A wait with a long timeout wakes to trim while it sleeps, then reports the data as ever. */
TEST(test_epoll_idle_trim_in_long_wait)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct late_sender l = {.seen = -2};
	struct epoll_event ev[4];
	struct tf_pair p;
	char buf[8];
	int64_t t0, took;
	int ep, n;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "busy"));
	EXPECT_TRUE(resident(p.srv) > 0);
	ep = epoll_create1(0);
	ASSERT_TRUE(ep >= 0);
	EXPECT_OK(ep_add(ep, p.srv, EPOLLIN, 5));
	l.srv = p.srv;
	l.cli = p.cli;
	t0 = tf_now_ms();
	ASSERT_TRUE(tf_worker_start(&l.w, late_sender_main, &l));
	n = zp_epoll_wait(ep, ev, 4, WAIT_MS, NULL);
	took = tf_now_ms() - t0;
	tf_worker_must_join(&l.w, WAIT_MS);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(ev[0].events, EPOLLIN);
	EXPECT_EQ(ev[0].data.u64, 5);
	EXPECT_TRUE(took >= 390 && took < 3000);
	EXPECT_EQ(l.seen, 0);
	EXPECT_EQ(zsock_recv(p.srv, buf, sizeof(buf), MSG_DONTWAIT), 4);
	EXPECT_EQ(memcmp(buf, "late", 4), 0);
	EXPECT_EQ(zp_epoll_close(ep), 0);
	tf_pair_close(&p);
}

/* Median of @p rounds batches: microseconds per zp_epoll_wait() that reports one event. */
static double wait_cost_us(int ep, int rounds)
{
	double best[9];
	struct epoll_event out[4];

	for (int r = 0; r < rounds; r++) {
		struct timespec a, b;
		int64_t got = 0;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 2000; i++) {
			got += zp_epoll_wait(ep, out, 4, 0, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (got != 2000) {
			th_fail(__FILE__, __LINE__, "%lld events in 2000 waits", (long long)got);
		}
		best[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
			  2000.0 / 1000.0;
	}
	for (int i = 1; i < rounds; i++) {
		for (int j = i; j > 0 && best[j] < best[j - 1]; j--) {
			double x = best[j];

			best[j] = best[j - 1];
			best[j - 1] = x;
		}
	}
	return best[rounds / 2];
}

enum {
	IDLE = 1000,
	BUILDERS = 10 /* pairs made at once: a handshake mostly waits (delayed ACKs) */
};

struct builder {
	struct tf_worker w;
	struct tf_pair *pairs;
	int n, ok;
};

/* Up to b->n established pairs in b->pairs, each with its listener closed; b->ok made. */
static void *builder_main(void *arg)
{
	struct builder *b = arg;
	struct tf_cfg c = tf_cfg_cert(AF_INET);

	for (b->ok = 0; b->ok < b->n; b->ok++) {
		struct tf_pair *p = &b->pairs[b->ok];

		if (!tf_pair_open(&c, p)) {
			break;
		}
		zsock_close(p->lst);
		p->lst = -1;
		if (p->cli_err != 0 || p->srv_err != 0 || p->srv < 0) {
			tf_pair_close(p);
			break;
		}
	}
	return NULL;
}

/*
 * 1,000 established TLS server sockets that held their buffers enter the set,
 * are trimmed by an idle wait, and then cost nothing: a wait reporting one
 * TLS socket (unread data, level-triggered) is as fast as with it alone.
 */
TEST(test_epoll_idle_trimmed_cost)
{
	static struct tf_pair idle[IDLE];
	static struct builder b[BUILDERS];
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	double base, many;
	struct tf_pair p;
	int ep, n = 0, made = 0, held = 0, trimmed = 0;
	int64_t t0;

	ASSERT_TRUE(tf_pair_up(&c, &p));
	ep = epoll_create1(0);
	ASSERT_TRUE(ep >= 0);
	EXPECT_OK(ep_add(ep, p.srv, EPOLLIN, 1));
	EXPECT_EQ(zsock_send(p.cli, "ready", 5, 0), 5);
	tf_sleep_ms(50);
	base = wait_cost_us(ep, 9);
	t0 = tf_now_ms();
	for (int i = 0; i < BUILDERS; i++) {
		b[i].pairs = &idle[i * (IDLE / BUILDERS)];
		b[i].n = IDLE / BUILDERS;
		ASSERT_TRUE(tf_worker_start(&b[i].w, builder_main, &b[i]));
	}
	for (int i = 0; i < BUILDERS; i++) {
		tf_worker_must_join(&b[i].w, 240000);
		made += b[i].ok;
	}
	EXPECT_EQ(made, IDLE);
	printf("%d TLS pairs up in %lld ms\n", made, (long long)(tf_now_ms() - t0));
	for (int i = 0; i < BUILDERS; i++) {
		for (int j = 0; j < b[i].ok; j++) {
			struct tf_pair *q = &b[i].pairs[j];

			held += resident(q->srv) > 0;
			if (ep_add(ep, q->srv, EPOLLIN, 100 + (uint64_t)n) == 0) {
				n++;
			}
		}
	}
	EXPECT_EQ(n, made);
	EXPECT_EQ(held, made);
	/* idle in the set: one wait that only reports the ready socket trims them all */
	{
		struct epoll_event out[4];
		int64_t end = tf_now_ms() + QUIET_MS;

		while (tf_now_ms() < end) {
			EXPECT_EQ(zp_epoll_wait(ep, out, 4, 10, NULL), 1);
			tf_sleep_ms(20);
		}
	}
	for (int i = 0; i < BUILDERS; i++) {
		for (int j = 0; j < b[i].ok; j++) {
			trimmed += resident(b[i].pairs[j].srv) == 0;
		}
	}
	EXPECT_EQ(trimmed, n);
	many = wait_cost_us(ep, 9);
	printf("epoll_wait reporting 1 TLS socket: %.2f us with it alone, %.2f us with %d idle "
	       "trimmed TLS connections in the set (%d of them trimmed)\n",
	       base, many, n, trimmed);
	if (SECSOCK_SANITIZE[0] == '\0') {
		EXPECT_TRUE(many < base * 3 + 2);
	}
	EXPECT_EQ(zp_epoll_close(ep), 0);
	for (int i = 0; i < BUILDERS; i++) {
		for (int j = 0; j < b[i].ok; j++) {
			tf_pair_close(&b[i].pairs[j]);
		}
	}
	tf_pair_close(&p);
}
