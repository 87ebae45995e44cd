/*
 * SECSOCK_TLS_HIBERNATE on a DTLS 1.2 client (src/engine/mbedtls/hibernate.c,
 * src/sock/session.c): an idle client's context is serialised and freed
 * while it waits (zsock_poll, a blocking recv), and the next datagram either
 * way wakes it. Against a secsock DTLS server socket (its peers stay awake).
 * Proof of each hibernation: the socket's own state (test-only).
 */
#include "test_dtls_util.h"

#include <secsock/secsock.h>

#include "engine/mbedtls/mbed.h"
#include "sock/sock.h"

#define HIB_MS  20
#define GAP_MS  60
#define ROUNDS  8
#define WAIT_MS 3000

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
