/*
 * The DTLS client, black box over loopback (docs/zephyr-behaviour.md §3.3, §3.4, §3.6,
 * §3.8): handshake in connect() or in the first send, sendto() naming the
 * peer, ENOTCONN / EISCONN / EDESTADDRREQ, retransmission under loss with
 * TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX, ETIMEDOUT without a busy loop, a fresh
 * handshake after a failed one, ICMP errors, close() while blocked, and the
 * client session cache. The server side is a secsock server in an echo thread.
 */
#include "test_dtls_util.h"

#include <fcntl.h>
#include <sys/resource.h>

/* An echo server on loopback, a client socket with @p tag; false on error. */
static bool echo_open(struct echo_srv *e, int family, sec_tag_t srv_tag,
		      struct sockaddr_storage *sa, socklen_t *sl)
{
	int fd;

	if (!creds_ready()) {
		return false;
	}
	fd = dtls_server(family, srv_tag, sa, sl);
	if (fd < 0 || !echo_start(e, fd)) {
		th_fail(__FILE__, __LINE__, "cannot start the echo server: %s", strerror(errno));
		if (fd >= 0) {
			zsock_close(fd);
		}
		return false;
	}
	return true;
}

static void echo_close(struct echo_srv *e)
{
	echo_stop(e);
	zsock_close(e->fd);
}

/* Send @p msg and read the echo. */
static void expect_echo(int fd, const char *msg)
{
	char rx[256] = {0};
	ssize_t len = (ssize_t)strlen(msg);

	EXPECT_EQ(zsock_send(fd, msg, (size_t)len, 0), len);
	EXPECT_EQ(zsock_recv(fd, rx, sizeof(rx) - 1, 0), len);
	EXPECT_STREQ(rx, msg);
}

/* CPU time of the calling thread, ms. */
static int64_t thread_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* docs/zephyr-behaviour.md §3.4: "DTLS client recv before handshake -> ENOTCONN" */
TEST(test_dtls_client_recv_before_handshake_enotconn)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	unsigned char b;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, 0), ENOTCONN);
	/* TLS_DTLS_HANDSHAKE_ON_CONNECT 0: connect() only records the peer */
	EXPECT_OK(set_int(cli, SOL_TLS, TLS_DTLS_HANDSHAKE_ON_CONNECT, 0));
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, 0), ENOTCONN);
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, MSG_DONTWAIT), ENOTCONN);
	EXPECT_EQ(zt_dtls_session_count(e.fd), 0);
	EXPECT_EQ(get_int(cli, SOL_TLS, TLS_CIPHERSUITE_USED), -ENOTCONN - 100000);
	zsock_close(cli);
	echo_close(&e);
}

/* docs/zephyr-behaviour.md §3.4: no peer, no address -> EDESTADDRREQ; other address -> EISCONN */
TEST(test_dtls_client_sendto_peer_rules)
{
	struct sockaddr_storage sa, other;
	socklen_t sl, ol;
	struct echo_srv e;
	int cli;

	if (!echo_open(&e, AF_INET6, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET6, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_ERRNO(zsock_send(cli, "x", 1, 0), EDESTADDRREQ);
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	ol = tu_loopback(AF_INET6, (uint16_t)(port_of(&sa) ^ 1), &other);
	EXPECT_ERRNO(zsock_sendto(cli, "x", 1, 0, (struct sockaddr *)&other, ol), EISCONN);
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), EISCONN);
	/* the peer's own address is fine */
	EXPECT_EQ(zsock_sendto(cli, "abc", 3, 0, (struct sockaddr *)&sa, sl), 3);
	EXPECT_EQ(zsock_recv(cli, (char[4]){0}, 4, 0), 3);
	zsock_close(cli);
	echo_close(&e);
}

/* docs/zephyr-behaviour.md §3.4: datagrams from other sources never reach a connected client */
TEST(test_dtls_client_ignores_other_sources)
{
	struct sockaddr_storage sa, ca;
	socklen_t sl, cl = sizeof(ca);
	struct echo_srv e;
	unsigned char b;
	int cli, raw;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET, TAG_PSK);
	raw = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_TRUE(cli >= 0 && raw >= 0);
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_OK(zsock_getsockname(cli, (struct sockaddr *)&ca, &cl));
	for (int i = 0; i < 3; i++) {
		(void)!sendto(raw, "spoofed!", 8, 0, (struct sockaddr *)&ca, cl);
	}
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, MSG_DONTWAIT), EAGAIN);
	expect_echo(cli, "untouched");
	close(raw);
	zsock_close(cli);
	echo_close(&e);
}

/* TLS_DTLS_HANDSHAKE_ON_CONNECT 0: the handshake runs in the first send (option 18) */
TEST(test_dtls_client_handshake_on_first_send)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	int64_t t0;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_int(cli, SOL_TLS, TLS_DTLS_HANDSHAKE_ON_CONNECT, 0));
	EXPECT_EQ(get_int(cli, SOL_TLS, TLS_DTLS_HANDSHAKE_ON_CONNECT), 0);
	t0 = now_ms();
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_TRUE(now_ms() - t0 < 200);
	sleep_ms(100);
	EXPECT_EQ(zt_dtls_session_count(e.fd), 0); /* nothing was sent yet */
	expect_echo(cli, "first send");
	EXPECT_EQ(zt_dtls_session_count(e.fd), 1);
	expect_echo(cli, "second send");
	zsock_close(cli);
	echo_close(&e);
}

/* docs/zephyr-behaviour.md §3.3: sendto() without connect() records the peer, then handshakes */
TEST(test_dtls_client_sendto_names_peer)
{
	struct sockaddr_storage sa, peer, other;
	socklen_t sl, pl = sizeof(peer), ol;
	struct echo_srv e;
	char rx[16] = {0};
	int cli;

	if (!echo_open(&e, AF_INET6, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET6, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_EQ(zsock_sendto(cli, "hello", 5, 0, (struct sockaddr *)&sa, sl), 5);
	EXPECT_EQ(zsock_recvfrom(cli, rx, sizeof(rx), 0, (struct sockaddr *)&peer, &pl), 5);
	EXPECT_TRUE(same_addr(&peer, pl, &sa, sl));
	/* the kernel socket is pinned to the peer */
	pl = sizeof(peer);
	EXPECT_OK(zsock_getpeername(cli, (struct sockaddr *)&peer, &pl));
	EXPECT_TRUE(same_addr(&peer, pl, &sa, sl));
	expect_echo(cli, "no address needed now");
	ol = tu_loopback(AF_INET6, (uint16_t)(port_of(&sa) ^ 1), &other);
	EXPECT_ERRNO(zsock_sendto(cli, "x", 1, 0, (struct sockaddr *)&other, ol), EISCONN);
	zsock_close(cli);
	echo_close(&e);
}

/* docs/zephyr-behaviour.md §3.6: retransmission on the MIN/MAX timer beats loss in a handshake */
TEST(test_dtls_client_handshake_retransmits_under_loss)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	struct relay r;
	struct sockaddr_storage ra;
	socklen_t rl;
	int64_t t0;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	ASSERT_TRUE(relay_start(&r, &sa, sl, 0));
	/* ClientHello twice, the HelloVerifyRequest and the server's first flight */
	atomic_store(&r.drop_c2s, 2);
	atomic_store(&r.drop_s2c, 2);
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_hs_timeouts(cli, 100, 6400));
	rl = tu_loopback(AF_INET, r.port, &ra);
	t0 = now_ms();
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&ra, rl));
	EXPECT_TRUE(now_ms() - t0 < 5000);
	EXPECT_EQ(atomic_load(&r.dropped), 4);
	expect_echo(cli, "through the loss");
	zsock_close(cli);
	relay_stop(&r);
	echo_close(&e);
}

/*
 * A peer that never answers: Mbed TLS doubles 100 ms up to MAX 800 ms, then
 * ETIMEDOUT (docs/zephyr-behaviour.md §3.3/§3.9). The caller sleeps between retransmissions.
 */
TEST(test_dtls_client_no_answer_etimedout)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int64_t t0, cpu0, took;
	unsigned char b;
	int hole, cli;

	if (!creds_ready()) {
		return;
	}
	hole = socket(AF_INET, SOCK_DGRAM, 0); /* bound, never answers */
	ASSERT_TRUE(hole >= 0 && bind_any(hole, AF_INET, &sa, &sl) == 0);
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_hs_timeouts(cli, 100, 800));
	t0 = now_ms();
	cpu0 = thread_cpu_ms();
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), ETIMEDOUT);
	took = now_ms() - t0;
	/* 100 + 200 + 400 + 800 ms of waiting */
	EXPECT_TRUE(took >= 1400 && took < 4000);
	EXPECT_TRUE(thread_cpu_ms() - cpu0 < 300); /* no busy loop */
	EXPECT_EQ(get_int(cli, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, 0), ENOTCONN);
	zsock_close(cli);
	close(hole);
}

/* docs/zephyr-behaviour.md §3.4: after a failed handshake a later send() starts a fresh one */
TEST(test_dtls_client_retry_after_failed_handshake)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	int hole, cli, srv;

	if (!creds_ready()) {
		return;
	}
	hole = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_TRUE(hole >= 0 && bind_any(hole, AF_INET, &sa, &sl) == 0);
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_hs_timeouts(cli, 100, 200));
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), ETIMEDOUT);
	/* now a real server takes the very same port */
	close(hole);
	srv = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(srv >= 0);
	EXPECT_OK(set_int(srv, SOL_TLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER));
	ASSERT_TRUE(zsock_bind(srv, (struct sockaddr *)&sa, sl) == 0);
	ASSERT_TRUE(echo_start(&e, srv));
	expect_echo(cli, "second try");
	EXPECT_EQ(get_int(cli, SOL_SOCKET, SO_ERROR), 0); /* cleared by the handshake */
	zsock_close(cli);
	echo_close(&e);
}

/* Linux reports ICMP port unreachable on a connected UDP socket: ECONNREFUSED, fast */
TEST(test_dtls_client_closed_port_econnrefused)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int64_t t0;
	int cli;

	if (!creds_ready()) {
		return;
	}
	sl = tu_loopback(AF_INET6, tu_free_port(AF_INET6, SOCK_DGRAM), &sa);
	cli = dtls_sock(AF_INET6, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	t0 = now_ms();
	EXPECT_ERRNO(zsock_connect(cli, (struct sockaddr *)&sa, sl), ECONNREFUSED);
	EXPECT_TRUE(now_ms() - t0 < 900);
	zsock_close(cli);
}

/* Zephyr blocks the handshake of a non-blocking socket too (docs/zephyr-behaviour.md §3.3) */
TEST(test_dtls_client_nonblocking_connect_handshakes)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	unsigned char b;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = zsock_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_DTLS_1_2);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_SEC_TAG_LIST, &(sec_tag_t){TAG_PSK},
				   sizeof(sec_tag_t)));
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, 0), EAGAIN);
	EXPECT_EQ(zsock_send(cli, "nb", 2, 0), 2);
	for (int i = 0; i < 300 && zsock_recv(cli, &b, 1, 0) < 0 && errno == EAGAIN; i++) {
		sleep_ms(10);
	}
	EXPECT_EQ(b, 'n'); /* MSG_TRUNC-less read of one byte of "nb" */
	zsock_close(cli);
	echo_close(&e);
}

/* SO_RCVTIMEO and MSG_DONTWAIT on an established client */
TEST(test_dtls_client_so_rcvtimeo)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	unsigned char b;
	int64_t t0;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_OK(set_timeo(cli, SO_RCVTIMEO, 200));
	t0 = now_ms();
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, MSG_DONTWAIT), EAGAIN);
	EXPECT_TRUE(now_ms() - t0 < 100);
	t0 = now_ms();
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, 0), EAGAIN);
	EXPECT_TRUE(now_ms() - t0 >= 190);
	expect_echo(cli, "still fine");
	zsock_close(cli);
	echo_close(&e);
}

struct blocked_recv {
	int fd;
	int rc;
	int err;
};

static void *blocked_recv_main(void *p)
{
	struct blocked_recv *b = p;
	unsigned char c;

	b->rc = (int)zsock_recv(b->fd, &c, 1, 0);
	b->err = errno;
	return NULL;
}

/* docs/zephyr-behaviour.md §3.8 (Zephyr test_close_while_recv): close() wakes recv with EINTR */
TEST(test_dtls_client_close_while_recv_eintr)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct echo_srv e;
	struct blocked_recv b = {0};
	struct worker w;
	int cli;

	if (!echo_open(&e, AF_INET, TAG_PSK, &sa, &sl)) {
		return;
	}
	cli = dtls_sock(AF_INET, TAG_PSK);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&sa, sl));
	EXPECT_OK(set_timeo(cli, SO_RCVTIMEO, 0)); /* forever */
	b.fd = cli;
	ASSERT_TRUE(worker_start(&w, blocked_recv_main, &b));
	sleep_ms(100);
	EXPECT_OK(zsock_close(cli));
	worker_must_join(&w, 2000);
	EXPECT_EQ(b.rc, -1);
	EXPECT_EQ(b.err, EINTR);
	echo_close(&e);
}

/*
 * docs/zephyr-behaviour.md §3.10: TLS_SESSION_CACHE on a DTLS client resumes with the
 * server's cached session; a resumed handshake carries no certificate, which
 * the relay sees as far fewer bytes from the server.
 */
TEST(test_dtls_client_session_cache_resumes)
{
	struct sockaddr_storage sa, ra;
	socklen_t sl, rl;
	struct echo_srv e;
	struct relay r;
	long full = 0, resumed = 0;
	int cli;

	if (!creds_ready()) {
		return;
	}
	e.fd = dtls_server(AF_INET, TAG_SERVER, &sa, &sl);
	ASSERT_TRUE(e.fd >= 0);
	EXPECT_OK(set_int(e.fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED));
	ASSERT_TRUE(echo_start(&e, e.fd));
	ASSERT_TRUE(relay_start(&r, &sa, sl, 0));
	rl = tu_loopback(AF_INET, r.port, &ra);
	for (int i = 0; i < 2; i++) {
		long before = atomic_load(&r.bytes_s2c);

		cli = dtls_sock(AF_INET, TAG_CA);
		ASSERT_TRUE(cli >= 0);
		EXPECT_OK(set_int(cli, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED));
		EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&ra, rl));
		if (i == 0) {
			full = atomic_load(&r.bytes_s2c) - before;
		} else {
			resumed = atomic_load(&r.bytes_s2c) - before;
		}
		expect_echo(cli, "cached");
		zsock_close(cli);
	}
	printf("    server bytes: full handshake %ld, resumed %ld\n", full, resumed);
	EXPECT_TRUE(resumed * 2 < full);
	EXPECT_OK(set_int(e.fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, 0));
	relay_stop(&r);
	echo_close(&e);
}
