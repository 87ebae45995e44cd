/*
 * SECSOCK_TLS_HIBERNATE (src/engine/mbedtls/hibernate.c, src/sock/session.c):
 * an idle TLS 1.2 connection is serialised and its TLS context freed while
 * the application waits on it, and wakes transparently. What each case checks
 * is in its name and the comment above it. Proof that a session hibernated
 * is twofold: the library's debug line ("fd N: hibernated", through
 * secsock_debug()) and the socket's session state (no engine context, no
 * record buffer resident), both read by this test only.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <secsock/secsock.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/mbedtls/mbed.h"
#include "harness.h"
#include "sock/sock.h"
#include "testutil.h"
#include "tls_fixture.h"

#define TAG_CA     7500
#define TAG_SERVER 7501
#define HIB_MS     20
#define GAP_MS     60 /* longer than HIB_MS: every gap is a hibernation */
#define WAIT_MS    5000
#define ROUNDS     12
#define MAX_FD     4096

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

/* ---- the debug lines: hibernations and wakes per fd ---- */

static atomic_int hib_count[MAX_FD];
static atomic_int wake_count[MAX_FD];
static atomic_int wake_failed;

static void sink(void *arg, int level, const char *origin, const char *line)
{
	int fd;
	char word[16];

	(void)arg;
	(void)level;
	if (strcmp(origin, "secsock") != 0 || sscanf(line, "fd %d: %15s", &fd, word) != 2 ||
	    fd < 0 || fd >= MAX_FD) {
		return;
	}
	if (strcmp(word, "hibernated") == 0) {
		atomic_fetch_add(&hib_count[fd], 1);
	} else if (strcmp(word, "woke") == 0) {
		atomic_fetch_add(&wake_count[fd], 1);
	} else if (strstr(line, "wake from hibernation failed") != NULL) {
		atomic_fetch_add(&wake_failed, 1);
	}
}

static void counting_on(void)
{
	for (int i = 0; i < MAX_FD; i++) {
		atomic_store(&hib_count[i], 0);
		atomic_store(&wake_count[i], 0);
	}
	atomic_store(&wake_failed, 0);
	(void)secsock_debug(2, sink, NULL);
}

static void counting_off(void)
{
	(void)secsock_debug(0, NULL, NULL);
}

static int hibs(int fd)
{
	return fd >= 0 && fd < MAX_FD ? atomic_load(&hib_count[fd]) : -1;
}

static int wakes(int fd)
{
	return fd >= 0 && fd < MAX_FD ? atomic_load(&wake_count[fd]) : -1;
}

/* Bytes the hibernated session of @p fd keeps (its serialised context), 0 if awake. */
static size_t blob_len(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	size_t n = 0;

	if (s == NULL) {
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if (s->sess.eng != NULL && s->sess.hib) {
		n = s->sess.eng->hib_len;
	}
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}

/* The socket's session is hibernated now: flagged, and nothing of its context resident. */
static bool asleep(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	bool yes = false;

	if (s == NULL) {
		return false;
	}
	pthread_mutex_lock(&s->lock);
	yes = s->sess.eng != NULL && s->sess.hib && zt_mbed_asleep(s->sess.eng) &&
	      zt_eng_resident(s->sess.eng) == 0;
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return yes;
}

static int set_hib(int fd, int ms)
{
	return zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &ms, sizeof(ms));
}

static bool asleep(int fd);

/*
 * zsock_poll() for input on @p fds that must see nothing for @p ms; with
 * @p until_asleep, on in @p ms slices (2 s at most: a loaded machine may
 * wake a poll late) until every one of them is hibernated.
 */
static bool quiet_poll_until(const int *fds, int n, int ms, bool until_asleep)
{
	struct zsock_pollfd p[2];
	bool quiet = true;

	for (int round = 0; quiet && round < 2000 / ms; round++) {
		bool all = true;

		for (int i = 0; i < n; i++) {
			p[i] = (struct zsock_pollfd){.fd = fds[i], .events = ZSOCK_POLLIN};
		}
		quiet = zsock_poll(p, n, ms) == 0;
		for (int i = 0; i < n; i++) {
			all = all && asleep(fds[i]);
		}
		if (!until_asleep || all) {
			break;
		}
	}
	return quiet;
}

static bool quiet_poll(const int *fds, int n, int ms)
{
	return quiet_poll_until(fds, n, ms, true);
}

static bool send_pat(int fd, struct tf_pstream *s, size_t n)
{
	static uint8_t buf[8192];
	size_t done = 0;

	if (n > sizeof(buf)) {
		return false;
	}
	tf_pat_fill(s, buf, n);
	while (done < n) {
		ssize_t k = zsock_send(fd, buf + done, n - done, 0);

		if (k <= 0) {
			return false;
		}
		done += (size_t)k;
	}
	s->off += n;
	return true;
}

/* A pair with SECSOCK_TLS_HIBERNATE set on the client and on the listener only. */
static bool hib_pair(int proto, struct tf_pair *p)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_connector k = {0};
	int fd;

	memset(p, 0, sizeof(*p));
	p->cli = p->srv = p->lst = -1;
	if (!tf_creds_ready()) {
		return false;
	}
	c.cli_proto = c.srv_proto = proto;
	if (proto == IPPROTO_TLS_1_2) {
		c.srv_suites[0] = 0xC02B; /* a TLS 1.2 suite only: the pair speaks 1.2 */
		c.n_srv_suites = 1;
	}
	p->addr_len = sizeof(p->addr);
	p->lst = tf_listener(&c, &p->addr, &p->addr_len);
	if (p->lst < 0 || set_hib(p->lst, HIB_MS) < 0) {
		return false;
	}
	k.cfg = c;
	k.addr = p->addr;
	k.len = p->addr_len;
	if (!tf_worker_start(&k.w, tf_connector_main, &k)) {
		return false;
	}
	fd = zsock_accept(p->lst, NULL, NULL);
	tf_worker_must_join(&k.w, WAIT_MS);
	p->srv = fd;
	p->cli = k.fd;
	if (p->srv < 0 || p->cli < 0 || set_hib(p->cli, HIB_MS) < 0) {
		return false;
	}
	return tf_set_timeo(p->cli, SO_RCVTIMEO, WAIT_MS) == 0 &&
	       tf_set_timeo(p->srv, SO_RCVTIMEO, WAIT_MS) == 0;
}

/* ---- option rules ---- */

/* EINVAL for a wrong length, NULL or a negative value; 0 by default; getsockopt returns it. */
TEST(test_hibernate_option_errnos_and_value)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int v = -1, bad = -5;
	socklen_t len = sizeof(v);
	char small = 0;

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &len));
	EXPECT_EQ(v, 0);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &small, 1), EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, NULL, sizeof(int)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &bad, sizeof(bad)),
		     EINVAL);
	EXPECT_OK(set_hib(fd, 1500));
	len = sizeof(v);
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &len));
	EXPECT_EQ(v, 1500);
	len = 1;
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &len), EINVAL);
	EXPECT_OK(set_hib(fd, 0));
	len = sizeof(v);
	EXPECT_OK(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &len));
	EXPECT_EQ(v, 0);
	zsock_close(fd);
}

/* ---- TLS 1.2: hibernate, wake, data exact ---- */

struct echo_job {
	int fd;
	int rounds;
	atomic_int ok;
};

/* The server: blocking recv of one message (it waits GAP_MS: hibernates there), echo it. */
static void *echo_main(void *arg)
{
	struct echo_job *j = arg;
	uint8_t buf[8192];
	int ok = 0;

	for (int i = 0; i < j->rounds; i++) {
		size_t want = 1 + (size_t)(i * 997) % sizeof(buf), got = 0;

		while (got < want) {
			ssize_t n = zsock_recv(j->fd, buf + got, want - got, 0);

			if (n <= 0) {
				atomic_store(&j->ok, ok);
				return NULL;
			}
			got += (size_t)n;
		}
		if (zsock_send(j->fd, buf, want, 0) != (ssize_t)want) {
			break;
		}
		ok++;
	}
	atomic_store(&j->ok, ok);
	return NULL;
}

/*
 * Echo over TLS 1.2, both sides secsock, HIBERNATE 20 ms (the accepted socket
 * inherits it): between messages the client idles 60 ms in zsock_poll() and
 * the server in a blocking recv(); each gap hibernates both, and each message
 * wakes both. Every byte comes back exact (a lost record counter or key
 * would fail the record's authentication).
 */
TEST(test_hibernate_tls12_echo_both_sides_many_wake_cycles)
{
	struct tf_pair p;
	struct echo_job j = {.rounds = ROUNDS};
	struct tf_worker w;
	struct tf_pstream tx = {0, 5}, rx = {0, 5};
	int v = 0;
	socklen_t len = sizeof(v);

	counting_on();
	ASSERT_TRUE(hib_pair(IPPROTO_TLS_1_2, &p));
	EXPECT_OK(zsock_getsockopt(p.srv, SOL_TLS, SECSOCK_TLS_HIBERNATE, &v, &len));
	EXPECT_EQ(v, HIB_MS); /* inherited by accept */
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0x0303);
	j.fd = p.srv;
	ASSERT_TRUE(tf_worker_start(&w, echo_main, &j));
	for (int i = 0; i < ROUNDS; i++) {
		size_t n = 1 + (size_t)(i * 997) % 8192;

		EXPECT_TRUE(quiet_poll(&p.cli, 1, GAP_MS));
		EXPECT_TRUE(asleep(p.cli));
		EXPECT_TRUE(send_pat(p.cli, &tx, n));
		EXPECT_TRUE(tf_recv_pat(p.cli, &rx, n, WAIT_MS));
	}
	tf_worker_must_join(&w, WAIT_MS);
	EXPECT_EQ(atomic_load(&j.ok), ROUNDS);
	/* every gap hibernated the client; the server's waits did too */
	EXPECT_TRUE(hibs(p.cli) >= ROUNDS);
	EXPECT_TRUE(wakes(p.cli) >= ROUNDS);
	/* (its recv waits GAP_MS per round; a loaded machine may wake it late once or twice) */
	EXPECT_TRUE(hibs(p.srv) >= ROUNDS / 2);
	EXPECT_TRUE(wakes(p.srv) >= ROUNDS / 2);
	EXPECT_EQ(atomic_load(&wake_failed), 0);
	counting_off();
	tf_pair_close(&p);
}

/*
 * Data arriving for a hibernated socket wakes zsock_poll() (POLLIN), and the
 * whole message is read after the wake; then the other direction. Session
 * facts (version, peer certificate) are answered while hibernated.
 */
TEST(test_hibernate_tls12_poll_wakes_on_data_for_hibernated_socket)
{
	struct tf_pair p;
	struct tf_pstream a = {0, 7}, a_rx = {0, 7}, b = {0, 8}, b_rx = {0, 8};
	int fds[2];

	counting_on();
	ASSERT_TRUE(hib_pair(IPPROTO_TLS_1_2, &p));
	fds[0] = p.cli;
	fds[1] = p.srv;
	for (int i = 0; i < 4; i++) {
		struct zsock_pollfd pf = {.fd = p.cli, .events = ZSOCK_POLLIN};
		uint8_t cert[4096];
		socklen_t len = sizeof(int);
		int v = 0;

		EXPECT_TRUE(quiet_poll(fds, 2, GAP_MS));
		EXPECT_TRUE(asleep(p.cli));
		EXPECT_TRUE(asleep(p.srv));
		if (i == 0) {
			/* what a hibernated connection keeps of its session (docs/benchmarks.md) */
			printf("    hibernated: client keeps %zu bytes, server %zu bytes; struct "
			       "zt_eng %zu, struct zt_sock %zu\n",
			       blob_len(p.cli), blob_len(p.srv), sizeof(struct zt_eng),
			       sizeof(struct zt_sock));
			EXPECT_TRUE(blob_len(p.cli) > 0 && blob_len(p.cli) < 4096);
			EXPECT_TRUE(blob_len(p.srv) > 0 && blob_len(p.srv) < 4096);
		}
		/* server -> hibernated client: poll says POLLIN */
		EXPECT_TRUE(send_pat(p.srv, &b, 3000));
		EXPECT_EQ(zsock_poll(&pf, 1, WAIT_MS), 1);
		EXPECT_TRUE(pf.revents & ZSOCK_POLLIN);
		EXPECT_TRUE(tf_recv_pat(p.cli, &b_rx, 3000, WAIT_MS));
		/* a session fact of a hibernated socket */
		EXPECT_TRUE(quiet_poll(fds, 2, GAP_MS));
		EXPECT_TRUE(asleep(p.srv));
		EXPECT_OK(zsock_getsockopt(p.srv, SOL_TLS, SECSOCK_TLS_VERSION_USED, &v, &len));
		EXPECT_EQ(v, 0x0303);
		len = sizeof(cert);
		EXPECT_TRUE(asleep(p.cli));
		EXPECT_OK(zsock_getsockopt(p.cli, SOL_TLS, SECSOCK_TLS_PEER_CERT, cert, &len));
		EXPECT_TRUE(len > 100 && cert[0] == 0x30);
		/* woken by the getters, both hibernate again after N quiet ms */
		EXPECT_TRUE(!asleep(p.cli) && !asleep(p.srv));
		EXPECT_TRUE(quiet_poll(fds, 2, GAP_MS));
		EXPECT_TRUE(asleep(p.cli));
		EXPECT_TRUE(asleep(p.srv));
		/* client -> server */
		EXPECT_TRUE(send_pat(p.cli, &a, 5000));
		EXPECT_TRUE(tf_recv_pat(p.srv, &a_rx, 5000, WAIT_MS));
	}
	EXPECT_TRUE(hibs(p.cli) >= 8);
	EXPECT_TRUE(hibs(p.srv) >= 4);
	counting_off();
	tf_pair_close(&p);
}

/* close() of a hibernated socket still sends close_notify: the peer sees a clean end. */
static void close_hibernated(bool close_client)
{
	struct tf_pair p;
	int fds[2], v = -1;
	socklen_t len = sizeof(v);
	char byte;

	counting_on();
	ASSERT_TRUE(hib_pair(IPPROTO_TLS_1_2, &p));
	fds[0] = p.cli;
	fds[1] = p.srv;
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "before"));
	EXPECT_TRUE(quiet_poll(fds, 2, GAP_MS));
	EXPECT_TRUE(asleep(p.cli));
	EXPECT_TRUE(asleep(p.srv));
	int closer = close_client ? p.cli : p.srv;
	int other = close_client ? p.srv : p.cli;

	EXPECT_OK(zsock_close(closer));
	if (close_client) {
		p.cli = -1;
	} else {
		p.srv = -1;
	}
	EXPECT_EQ(zsock_recv(other, &byte, 1, 0), 0);
	EXPECT_OK(zsock_getsockopt(other, SOL_TLS, SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED, &v, &len));
	EXPECT_EQ(v, 1);
	counting_off();
	tf_pair_close(&p);
}

TEST(test_hibernate_tls12_close_of_hibernated_client_sends_close_notify)
{
	close_hibernated(true);
}

TEST(test_hibernate_tls12_close_of_hibernated_server_sends_close_notify)
{
	close_hibernated(false);
}

/*
 * TLS 1.3 cannot be serialised by Mbed TLS 3.6: with the option set the
 * connection stays awake (no hibernation line, context kept), its record
 * buffers still go back after 100 ms, and data flows as before.
 */
TEST(test_hibernate_tls13_stays_awake_and_works)
{
	struct tf_pair p;
	struct tf_pstream a = {0, 9}, a_rx = {0, 9};
	int fds[2];

	counting_on();
	ASSERT_TRUE(hib_pair(IPPROTO_TLS_1_3, &p));
	fds[0] = p.cli;
	fds[1] = p.srv;
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0x0304);
	for (int i = 0; i < 3; i++) {
		EXPECT_TRUE(quiet_poll_until(fds, 2, ZT_IDLE_TRIM_MS * 2, false));
		EXPECT_TRUE(!asleep(p.cli));
		EXPECT_TRUE(!asleep(p.srv));
		EXPECT_TRUE(send_pat(p.cli, &a, 2000));
		EXPECT_TRUE(tf_recv_pat(p.srv, &a_rx, 2000, WAIT_MS));
		EXPECT_TRUE(tf_echo_ok(p.srv, p.cli, "back"));
	}
	EXPECT_EQ(hibs(p.cli), 0);
	EXPECT_EQ(hibs(p.srv), 0);
	counting_off();
	tf_pair_close(&p);
}

/* Without the option nothing hibernates (the default is off). */
TEST(test_hibernate_off_by_default)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	int fds[2];

	counting_on();
	c.cli_proto = c.srv_proto = IPPROTO_TLS_1_2;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	fds[0] = p.cli;
	fds[1] = p.srv;
	EXPECT_TRUE(quiet_poll_until(fds, 2, GAP_MS * 2, false));
	EXPECT_TRUE(!asleep(p.cli));
	EXPECT_TRUE(!asleep(p.srv));
	EXPECT_EQ(hibs(p.cli), 0);
	EXPECT_EQ(hibs(p.srv), 0);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "still"));
	counting_off();
	tf_pair_close(&p);
}
