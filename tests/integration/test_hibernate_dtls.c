/*
 * SECSOCK_TLS_HIBERNATE on a DTLS 1.2 client (src/engine/mbedtls/hibernate.c,
 * src/sock/session.c): an idle client's context is serialised and freed
 * while it waits (zsock_poll, a blocking recv), and the next datagram either
 * way wakes it. And on a DTLS server socket (src/sock/dtls_server.c): each
 * peer quiet for N ms hibernates (d->asleep), wakes on its next datagram or
 * on a send to it, expires while hibernated, gets close_notify when the
 * server socket closes.
 * Proof of each hibernation: the socket's own state (test-only): the
 * session flagged and its engine holding only the serialised blob.
 */
#include "test_dtls_util.h"

#include <secsock/secsock.h>

#include "engine/mbedtls/mbed.h"
#include "sock/dtls_priv.h"
#include "sock/dtls_test.h"
#include "sock/sock.h"

#define HIB_MS  20
#define GAP_MS  60
#define ROUNDS  8
#define WAIT_MS 3000
#define NPEERS  4
#define IDLE_MS 5000 /* ZT_DTLS_IDLE_TIMEOUT_MS */

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

/* zsock_poll() quiet for GAP_MS, then on in GAP_MS slices (2 s at most) until hibernated. */
static bool idle_until_asleep(int fd)
{
	struct zsock_pollfd p = {.fd = fd, .events = ZSOCK_POLLIN};
	bool quiet = true;

	for (int i = 0; quiet && i < 2000 / GAP_MS; i++) {
		quiet = zsock_poll(&p, 1, GAP_MS) == 0;
		if (asleep(fd)) {
			break;
		}
	}
	return quiet && asleep(fd);
}

struct hib_echo {
	int fd;
	int n;
	atomic_int done;
};

/* The server socket echoes @p n datagrams to whoever sent them. */
static void *hib_echo_main(void *arg)
{
	struct hib_echo *e = arg;
	unsigned char buf[1500];

	for (int i = 0; i < e->n; i++) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t k =
			zsock_recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

		if (k <= 0 ||
		    zsock_sendto(e->fd, buf, (size_t)k, 0, (struct sockaddr *)&from, len) != k) {
			break;
		}
		atomic_fetch_add(&e->done, 1);
	}
	return NULL;
}

/*
 * DTLS 1.2 client with HIBERNATE 20 ms: between datagrams it idles 60 ms in
 * zsock_poll() and hibernates; each datagram it sends wakes it, and each echo
 * comes back intact (a wrong epoch, counter or replay window after the load
 * would drop or refuse it).
 */
TEST(test_hibernate_dtls12_client_echo_many_wake_cycles)
{
	struct sockaddr_storage addr;
	socklen_t alen;
	struct hib_echo e = {.n = ROUNDS + 1};
	struct worker w;
	int srv = -1, cli = -1, v = 0;
	socklen_t vl = sizeof(v);

	ASSERT_TRUE(creds_ready());
	srv = dtls_server(AF_INET, TAG_SERVER, &addr, &alen);
	ASSERT_TRUE(srv >= 0);
	set_timeo(srv, SO_RCVTIMEO, WAIT_MS);
	e.fd = srv;
	cli = dtls_sock(AF_INET, TAG_CA);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_int(cli, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS));
	EXPECT_OK(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &vl));
	EXPECT_EQ(v, HIB_MS);
	ASSERT_TRUE(worker_start(&w, hib_echo_main, &e));
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&addr, alen));
	for (int i = 0; i <= ROUNDS; i++) {
		unsigned char out[600], in[1500];
		size_t n = 1 + (size_t)(i * 73) % sizeof(out);

		if (i > 0) {
			EXPECT_TRUE(idle_until_asleep(cli));
		}
		for (size_t k = 0; k < n; k++) {
			out[k] = (unsigned char)(i * 31 + k);
		}
		EXPECT_EQ(zsock_send(cli, out, n, 0), (ssize_t)n);
		EXPECT_EQ(zsock_recv(cli, in, sizeof(in), 0), (ssize_t)n);
		EXPECT_TRUE(memcmp(in, out, n) == 0);
	}
	worker_must_join(&w, WAIT_MS * 2);
	EXPECT_EQ(atomic_load(&e.done), ROUNDS + 1);
	EXPECT_EQ(get_int(cli, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0xFEFD);
	close_fd(&cli);
	close_fd(&srv);
}

/* A datagram arriving for a hibernated DTLS client wakes zsock_poll() and is read intact. */
TEST(test_hibernate_dtls12_client_poll_wakes_on_datagram)
{
	struct sockaddr_storage addr, from;
	socklen_t alen, flen = sizeof(from);
	int srv = -1, cli = -1;
	unsigned char b[64];
	struct conn_job j;
	struct worker w;

	ASSERT_TRUE(creds_ready());
	srv = dtls_server(AF_INET, TAG_SERVER, &addr, &alen);
	ASSERT_TRUE(srv >= 0);
	set_timeo(srv, SO_RCVTIMEO, WAIT_MS);
	cli = dtls_sock(AF_INET, TAG_CA);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_int(cli, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS));
	conn_job_init(&j, cli, &addr, alen); /* connect + one byte, so the server knows the peer */
	ASSERT_TRUE(worker_start(&w, conn_job_main, &j));
	EXPECT_EQ(zsock_recvfrom(srv, b, sizeof(b), 0, (struct sockaddr *)&from, &flen), 1);
	worker_must_join(&w, WAIT_MS);
	EXPECT_EQ(j.rc, 0);
	for (int i = 0; i < 4; i++) {
		struct zsock_pollfd p = {.fd = cli, .events = ZSOCK_POLLIN};

		EXPECT_TRUE(idle_until_asleep(cli));
		EXPECT_EQ(zsock_sendto(srv, "wake", 4, 0, (struct sockaddr *)&from, flen), 4);
		EXPECT_EQ(zsock_poll(&p, 1, WAIT_MS), 1);
		EXPECT_TRUE(p.revents & ZSOCK_POLLIN);
		memset(b, 0, sizeof(b));
		EXPECT_EQ(zsock_recv(cli, b, sizeof(b), 0), 4);
		EXPECT_TRUE(memcmp(b, "wake", 4) == 0);
	}
	close_fd(&cli);
	close_fd(&srv);
}

/* ---- a DTLS server socket's peers ---- */

/* Peers of server socket @p fd hibernated now: in d->asleep, flagged, the engine's context freed.
 */
static int srv_asleep(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	int n = 0;

	if (s == NULL) {
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (s->dtls != NULL && s->dtls->mode == ZT_DTLS_SERVER && s->dtls->srv_init) {
		for (struct zt_link *l = s->dtls->asleep.next; l != &s->dtls->asleep && n < 1000;
		     l = l->next) {
			struct zt_dtls_sess *ss = ZT_CONTAINER_OF(l, struct zt_dtls_sess, idle);

			n += ss->sess.hib && zt_mbed_asleep(ss->sess.eng) &&
			     ss->sess.eng->hib != NULL && ss->sess.eng->hib_len > 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}

/* Peer hibernations of server socket @p fd so far. */
static long long srv_hibernations(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	long long n = -1;

	if (s == NULL) {
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (s->dtls != NULL && s->dtls->srv_init) {
		n = (long long)s->dtls->hibernations;
	}
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}

/*
 * Until @p want peers of @p srv are hibernated (2 s at most). @p poll: this
 * thread drives the server socket with zsock_poll() (else another thread sits
 * in its blocking recvfrom, whose wait ends for the hibernation walk).
 */
static bool srv_wait_asleep(int srv, int want, bool poll)
{
	for (int i = 0; i < 2000 / 10; i++) {
		if (srv_asleep(srv) == want) {
			return true;
		}
		if (poll) {
			struct zsock_pollfd p = {.fd = srv, .events = ZSOCK_POLLIN};

			(void)zsock_poll(&p, 1, 10);
		} else {
			sleep_ms(10);
		}
	}
	return srv_asleep(srv) == want;
}

/* A server socket with HIBERNATE 20 ms, its echo thread (@p n datagrams), @p np connected clients.
 */
static bool hib_server_up(int *srv, int *cli, int np, struct hib_echo *e, struct worker *w,
			  struct sockaddr_storage *addr, socklen_t *alen)
{
	*srv = dtls_server(AF_INET, TAG_SERVER, addr, alen);
	if (*srv < 0 || set_int(*srv, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS) < 0 ||
	    set_timeo(*srv, SO_RCVTIMEO, WAIT_MS) < 0) {
		return false;
	}
	e->fd = *srv;
	if (!worker_start(w, hib_echo_main, e)) {
		return false;
	}
	for (int k = 0; k < np; k++) {
		cli[k] = dtls_sock(AF_INET, TAG_CA);
		if (cli[k] < 0 || zsock_connect(cli[k], (struct sockaddr *)addr, *alen) < 0) {
			return false;
		}
	}
	return true;
}

/* One datagram from client @p fd, its exact echo back (a stale counter or key would lose it). */
static bool echo_once(int fd, int round, int k)
{
	unsigned char out[700], in[1500];
	size_t n = 1 + (size_t)(round * 97 + k * 131) % sizeof(out);

	for (size_t j = 0; j < n; j++) {
		out[j] = (unsigned char)(round * 31 + k * 7 + j);
	}
	return zsock_send(fd, out, n, 0) == (ssize_t)n &&
	       zsock_recv(fd, in, sizeof(in), 0) == (ssize_t)n && memcmp(in, out, n) == 0;
}

/*
 * A secsock DTLS server socket with HIBERNATE 20 ms and 4 secsock DTLS
 * clients: 9 echo rounds, 60 ms apart. Before every round after the first,
 * all 4 of the server's peers are hibernated (its echo thread sits in a
 * blocking recvfrom); each round's datagrams wake them and every echo is
 * exact (a wrong replay window, epoch or CID after a load would drop or
 * misroute one). Then a send from the server to a hibernated peer wakes
 * that one only.
 */
TEST(test_hibernate_dtls12_server_peers_echo_many_wake_cycles)
{
	struct sockaddr_storage addr, ca;
	socklen_t alen, cal = sizeof(ca);
	struct hib_echo e = {.n = NPEERS * (ROUNDS + 1)};
	int srv = -1, cli[NPEERS] = {-1, -1, -1, -1};
	struct worker w;
	unsigned char b[16];

	ASSERT_TRUE(creds_ready());
	ASSERT_TRUE(hib_server_up(&srv, cli, NPEERS, &e, &w, &addr, &alen));
	EXPECT_EQ(get_int(srv, SOL_TLS, SECSOCK_TLS_HIBERNATE), HIB_MS);
	for (int i = 0; i <= ROUNDS; i++) {
		if (i > 0) {
			sleep_ms(GAP_MS);
			EXPECT_TRUE(srv_wait_asleep(srv, NPEERS, false));
		}
		for (int k = 0; k < NPEERS; k++) {
			EXPECT_TRUE(echo_once(cli[k], i, k));
		}
	}
	worker_must_join(&w, WAIT_MS * 2);
	EXPECT_EQ(atomic_load(&e.done), NPEERS * (ROUNDS + 1));
	EXPECT_TRUE(srv_hibernations(srv) >= (long long)NPEERS * ROUNDS);
	EXPECT_EQ(zt_dtls_session_count(srv), NPEERS);

	/* the application's send wakes the one peer it names */
	EXPECT_TRUE(srv_wait_asleep(srv, NPEERS, true));
	EXPECT_OK(zsock_getsockname(cli[2], (struct sockaddr *)&ca, &cal));
	EXPECT_EQ(zsock_sendto(srv, "wake", 4, 0, (struct sockaddr *)&ca, cal), 4);
	EXPECT_EQ(srv_asleep(srv), NPEERS - 1);
	EXPECT_EQ(zsock_recv(cli[2], b, sizeof(b), 0), 4);
	EXPECT_TRUE(memcmp(b, "wake", 4) == 0);
	for (int k = 0; k < NPEERS; k++) {
		close_fd(&cli[k]);
	}
	close_fd(&srv);
}

/*
 * A hibernated peer still expires (ZT_DTLS_IDLE_TIMEOUT_MS after its last
 * record): it stays hibernated until then, the server's poll says POLLHUP
 * once, the peer is gone (its blob wiped and freed: ASan sees any leak) and
 * the client gets close_notify.
 */
TEST(test_hibernate_dtls12_server_peer_expires_while_hibernated)
{
	struct sockaddr_storage addr;
	socklen_t alen;
	struct hib_echo e = {.n = 1};
	int srv = -1, cli = -1;
	struct worker w;
	int64_t t0, hup = -1;
	bool stayed = true;
	unsigned char b;

	ASSERT_TRUE(creds_ready());
	ASSERT_TRUE(hib_server_up(&srv, &cli, 1, &e, &w, &addr, &alen));
	t0 = now_ms();
	EXPECT_TRUE(echo_once(cli, 0, 0));
	worker_must_join(&w, WAIT_MS);
	EXPECT_TRUE(srv_wait_asleep(srv, 1, true));
	for (int i = 0; i < (IDLE_MS + 2000) / 50 && hup < 0; i++) {
		struct zsock_pollfd p = {.fd = srv, .events = ZSOCK_POLLIN};
		int n = zsock_poll(&p, 1, 50);

		if (n == 1 && (p.revents & ZSOCK_POLLHUP)) {
			hup = now_ms() - t0;
		} else if (srv_asleep(srv) != 1) {
			stayed = false;
		}
	}
	EXPECT_TRUE(stayed);
	EXPECT_TRUE(hup >= IDLE_MS - 100);
	EXPECT_TRUE(hup > 0 && hup < IDLE_MS + 1500);
	EXPECT_EQ(zt_dtls_session_count(srv), 0);
	EXPECT_EQ(srv_asleep(srv), 0);
	b = 0;
	for (int i = 0; i < 40 && zsock_recv(cli, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
	     i++) {
		sleep_ms(5);
	}
	EXPECT_ERRNO(zsock_recv(cli, &b, 1, MSG_DONTWAIT), ENOTCONN); /* close_notify came */
	close_fd(&cli);
	close_fd(&srv);
}

/* Closing a server socket whose peers are all hibernated: close_notify reaches every client. */
TEST(test_hibernate_dtls12_server_close_with_hibernated_peers)
{
	struct sockaddr_storage addr;
	socklen_t alen;
	struct hib_echo e = {.n = NPEERS};
	int srv = -1, cli[NPEERS] = {-1, -1, -1, -1};
	struct worker w;

	ASSERT_TRUE(creds_ready());
	ASSERT_TRUE(hib_server_up(&srv, cli, NPEERS, &e, &w, &addr, &alen));
	for (int k = 0; k < NPEERS; k++) {
		EXPECT_TRUE(echo_once(cli[k], 0, k));
	}
	worker_must_join(&w, WAIT_MS);
	EXPECT_TRUE(srv_wait_asleep(srv, NPEERS, true));
	close_fd(&srv);
	for (int k = 0; k < NPEERS; k++) {
		unsigned char b;

		for (int i = 0;
		     i < 40 && zsock_recv(cli[k], &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
		     i++) {
			sleep_ms(5);
		}
		EXPECT_ERRNO(zsock_recv(cli[k], &b, 1, MSG_DONTWAIT), ENOTCONN);
		close_fd(&cli[k]);
	}
}

/*
 * RFC 9146: a hibernated peer whose client moved (a relay rebinds: new
 * address and port) is found by the CID of its record, woken for the record
 * check, learns the new address, and the datagram and the reply are exact.
 */
TEST(test_hibernate_dtls12_server_peer_wakes_on_cid_from_new_address)
{
	struct sockaddr_storage addr, seen, from, moved;
	socklen_t alen, sl, fl, ml;
	int srv = -1, cli = -1;
	unsigned char b[64];
	long long checks;
	struct conn_job j;
	struct worker w;
	struct relay r;

	ASSERT_TRUE(creds_ready());
	srv = dtls_server(AF_INET, TAG_SERVER, &addr, &alen);
	ASSERT_TRUE(srv >= 0);
	cli = dtls_sock(AF_INET, TAG_CA);
	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(set_int(srv, SOL_TLS, TLS_DTLS_CID, TLS_DTLS_CID_ENABLED));
	EXPECT_OK(set_int(cli, SOL_TLS, TLS_DTLS_CID, TLS_DTLS_CID_ENABLED));
	EXPECT_OK(set_int(srv, SOL_TLS, SECSOCK_TLS_HIBERNATE, HIB_MS));
	set_timeo(srv, SO_RCVTIMEO, WAIT_MS);
	ASSERT_TRUE(relay_start(&r, &addr, alen, 0));
	conn_job_init(&j, cli, &addr, alen); /* through the relay: connect + one byte */
	j.len = tu_loopback(AF_INET, r.port, &j.addr);
	ASSERT_TRUE(worker_start(&w, conn_job_main, &j));
	sl = relay_back_addr(&r, &seen);
	fl = sizeof(from);
	EXPECT_EQ(zsock_recvfrom(srv, b, sizeof(b), 0, (struct sockaddr *)&from, &fl), 1);
	worker_must_join(&w, WAIT_MS);
	EXPECT_EQ(j.rc, 0);
	EXPECT_TRUE(same_addr(&from, fl, &seen, sl));
	for (int i = 0; i < 3; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "moved %d", i);

		EXPECT_TRUE(srv_wait_asleep(srv, 1, true));
		checks = zt_dtls_record_checks(srv);
		ASSERT_TRUE(relay_rebind(&r, 0));
		ml = relay_back_addr(&r, &moved);
		EXPECT_EQ(zsock_send(cli, msg, (size_t)n, 0), n);
		fl = sizeof(from);
		memset(b, 0, sizeof(b));
		EXPECT_EQ(zsock_recvfrom(srv, b, sizeof(b), 0, (struct sockaddr *)&from, &fl), n);
		EXPECT_TRUE(memcmp(b, msg, (size_t)n) == 0);
		EXPECT_TRUE(same_addr(&from, fl, &moved, ml)); /* the peer learnt its new address */
		EXPECT_EQ(zt_dtls_record_checks(srv), checks + 1);
		EXPECT_EQ(srv_asleep(srv), 0);
		EXPECT_EQ(zsock_sendto(srv, msg, (size_t)n, 0, (struct sockaddr *)&from, fl), n);
		memset(b, 0, sizeof(b));
		EXPECT_EQ(zsock_recv(cli, b, sizeof(b), 0), n);
		EXPECT_TRUE(memcmp(b, msg, (size_t)n) == 0);
	}
	EXPECT_EQ(zt_dtls_session_count(srv), 1);
	relay_stop(&r);
	close_fd(&cli);
	close_fd(&srv);
}
