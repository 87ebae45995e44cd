/*
 * Multi-core servers (issue 14): two TLS listeners in one process on one
 * port with SO_REUSEPORT (set through zsock_setsockopt, passed to the kernel
 * socket), each served by a thread of its own. A client's full handshake is
 * served by one listener; the session resumes on a connection the other
 * listener serves, and SECSOCK_TLS_SESSION_RESUMED says 1 on both ends:
 * the server session-ID cache is process-wide and the ticket keys belong to
 * the security context, not to the listener.
 *
 * The kernel picks the listener by a hash of the connection's addresses, so
 * the client reconnects (a new source port each time) until the other
 * listener serves it, at most MAX_TRIES times: each try misses with
 * probability 1/2.
 *
 * Cases: TLS 1.2 by ticket (secsock client), TLS 1.2 by session ID
 * (openssl s_client -no_ticket: secsock's client always offers tickets),
 * TLS 1.3 by ticket.
 *
 * Credentials: tags 7400, 7401.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "peer_fixture.h"
#include "testutil.h"
#include "tls_fixture.h"

#define WAIT_MS   5000
#define MAX_TRIES 40

enum {
	TAG_CA = 7400,
	TAG_SERVER,
};

static int creds_add(void)
{
	if (tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") != 0 ||
	    tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem") != 0 ||
	    tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key") != 0) {
		return -1;
	}
	return 0;
}

static void creds_del(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_del};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

/* ---- two listeners, one port, a thread each ---- */

struct served {
	int listener; /* index of the listener that accepted */
	int resumed;  /* SECSOCK_TLS_SESSION_RESUMED of the accepted socket */
	bool echoed;  /* a line read and "pong\n" sent */
};

struct farm;

struct srv_arg {
	struct farm *f;
	int idx;
};

struct farm {
	int lst[2];
	uint16_t port;
	atomic_bool stop;
	struct tf_worker w[2];
	struct srv_arg arg[2];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n; /* connections served */
	struct served last;
};

static int get_resumed(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &v, &len) < 0) {
		return -1;
	}
	return v;
}

/* Serve one connection: read a line, answer "pong\n". */
static bool serve_line(int fd)
{
	char buf[128];
	size_t got = 0;

	tf_set_timeo(fd, SO_RCVTIMEO, WAIT_MS);
	while (got < sizeof(buf) && memchr(buf, '\n', got) == NULL) {
		ssize_t n = zsock_recv(fd, buf + got, sizeof(buf) - got, 0);

		if (n <= 0) {
			return false;
		}
		got += (size_t)n;
	}
	return zsock_send(fd, "pong\n", 5, 0) == 5;
}

static void *server_main(void *p)
{
	const struct srv_arg *a = p;
	struct farm *f = a->f;
	int idx = a->idx;

	while (!atomic_load(&f->stop)) {
		struct zsock_pollfd pfd = {.fd = f->lst[idx], .events = ZSOCK_POLLIN};
		struct served s = {.listener = idx};
		int fd;

		if (zsock_poll(&pfd, 1, 50) <= 0 || (pfd.revents & ZSOCK_POLLIN) == 0) {
			continue;
		}
		fd = zsock_accept(f->lst[idx], NULL, NULL);
		if (fd < 0) {
			continue; /* a client that gave up; the next try counts */
		}
		s.resumed = get_resumed(fd);
		s.echoed = serve_line(fd);
		zsock_close(fd);
		pthread_mutex_lock(&f->mu);
		f->last = s;
		f->n++;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	return NULL;
}

static int reuseport_listener(int proto, uint16_t port)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, proto);
	sec_tag_t tag = TAG_SERVER;
	int one = 1, cache = TLS_SESSION_CACHE_ENABLED;
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, port, &sa);

	if (fd < 0) {
		return -1;
	}
	if (zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &cache, sizeof(cache)) < 0 ||
	    zsock_bind(fd, (struct sockaddr *)&sa, sl) < 0 || zsock_listen(fd, 16) < 0) {
		th_fail(__FILE__, __LINE__, "listener on port %u: %s", port, strerror(errno));
		zsock_close(fd);
		return -1;
	}
	return fd;
}

static bool farm_start(struct farm *f, int proto)
{
	memset(f, 0, sizeof(*f));
	f->lst[0] = f->lst[1] = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->lst[0] = reuseport_listener(proto, 0);
	if (f->lst[0] < 0) {
		return false;
	}
	f->port = tu_local_port(f->lst[0]);
	f->lst[1] = reuseport_listener(proto, f->port);
	if (f->lst[1] < 0) {
		return false;
	}
	for (int i = 0; i < 2; i++) {
		f->arg[i].f = f;
		f->arg[i].idx = i;
		if (!tf_worker_start(&f->w[i], server_main, &f->arg[i])) {
			return false;
		}
	}
	return true;
}

static void farm_stop(struct farm *f)
{
	atomic_store(&f->stop, true);
	for (int i = 0; i < 2; i++) {
		if (f->w[i].fn != NULL) {
			tf_worker_must_join(&f->w[i], WAIT_MS + 5000);
		}
		tf_close_fd(&f->lst[i]);
	}
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

/* The served record of connection number @p n (1-based), or listener -1 after WAIT_MS. */
static struct served farm_wait(struct farm *f, int n)
{
	struct served s = {.listener = -1, .resumed = -1};
	int64_t end = tf_now_ms() + WAIT_MS;

	pthread_mutex_lock(&f->mu);
	while (f->n < n && tf_now_ms() < end) {
		pthread_mutex_unlock(&f->mu);
		tf_sleep_ms(2);
		pthread_mutex_lock(&f->mu);
	}
	if (f->n >= n) {
		s = f->last;
	}
	pthread_mutex_unlock(&f->mu);
	return s;
}

static void purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0));
	zsock_close(fd);
}

/* ---- the secsock client: connect, one line each way, resumed? ---- */

/* SECSOCK_TLS_SESSION_RESUMED of the client, -1 if the connection failed. */
static int ss_client_once(int proto, uint16_t port)
{
	static const int suites12[] = {0xC02B, 0xC02C}; /* keeps IPPROTO_TLS_1_2 at 1.2 */
	int fd = zsock_socket(AF_INET, SOCK_STREAM, proto);
	sec_tag_t tag = TAG_CA;
	int cache = TLS_SESSION_CACHE_ENABLED, r = -1;
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, port, &sa);
	char buf[8] = {0};

	if (fd < 0) {
		return -1;
	}
	if ((proto == IPPROTO_TLS_1_2 &&
	     zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites12, sizeof(suites12)) < 0) ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &cache, sizeof(cache)) < 0) {
		th_fail(__FILE__, __LINE__, "client options: %s", strerror(errno));
		zsock_close(fd);
		return -1;
	}
	tf_set_timeo(fd, SO_RCVTIMEO, WAIT_MS);
	if (zsock_connect(fd, (struct sockaddr *)&sa, sl) < 0) {
		th_fail(__FILE__, __LINE__, "connect: %s", strerror(errno));
	} else if (zsock_send(fd, "ping\n", 5, 0) == 5 &&
		   zsock_recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL) == 5 &&
		   strcmp(buf, "pong\n") == 0) {
		/* the reply came after the TLS 1.3 tickets: the client has them */
		r = get_resumed(fd);
	} else {
		th_fail(__FILE__, __LINE__, "echo failed: %s", strerror(errno));
	}
	zsock_close(fd);
	return r;
}

/*
 * Full handshake on one listener, then reconnect until the other listener
 * serves a connection; every reconnection must resume on both ends.
 */
static void resumes_across_listeners(int proto)
{
	struct farm f;
	struct served first, s = {.listener = -1};
	int n = 1, tries = 0;

	ASSERT_TRUE(tf_creds_ready());
	purge();
	if (!farm_start(&f, IPPROTO_TLS_1_2)) {
		farm_stop(&f);
		ASSERT_TRUE(false);
	}
	EXPECT_EQ(ss_client_once(proto, f.port), 0);
	first = farm_wait(&f, n);
	EXPECT_TRUE(first.listener >= 0);
	EXPECT_EQ(first.resumed, 0);
	EXPECT_TRUE(first.echoed);
	while (!th_case_failed() && tries < MAX_TRIES) {
		int cr = ss_client_once(proto, f.port);

		tries++;
		s = farm_wait(&f, ++n);
		EXPECT_EQ(cr, 1);
		EXPECT_EQ(s.resumed, 1);
		EXPECT_TRUE(s.echoed);
		if (s.listener >= 0 && s.listener != first.listener) {
			break;
		}
	}
	printf("full handshake on listener %d, resumed on listener %d after %d tries\n",
	       first.listener, s.listener, tries);
	EXPECT_TRUE(s.listener >= 0 && s.listener != first.listener);
	farm_stop(&f);
	purge();
}

/* SO_REUSEPORT reaches the kernel socket of a secure socket, and reads back. */
TEST(test_reuseport_set_on_kernel_socket)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int one = 1;

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	EXPECT_EQ(tf_get_int(fd, SOL_SOCKET, SO_REUSEPORT), 1);
	zsock_close(fd);
}

/* Without SO_REUSEPORT the second bind fails: the listeners above really share the port. */
TEST(test_second_listener_needs_reuseport)
{
	int a = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int b = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	struct sockaddr_storage sa;
	socklen_t sl = tu_loopback(AF_INET, 0, &sa);

	ASSERT_TRUE(a >= 0 && b >= 0);
	EXPECT_OK(zsock_bind(a, (struct sockaddr *)&sa, sl));
	EXPECT_OK(zsock_listen(a, 4));
	sl = tu_loopback(AF_INET, tu_local_port(a), &sa);
	EXPECT_EQ(zsock_bind(b, (struct sockaddr *)&sa, sl), -1);
	EXPECT_EQ(errno, EADDRINUSE);
	zsock_close(a);
	zsock_close(b);
}

/* TLS 1.2: secsock's client offers the ticket; the server issued no session ID with it. */
TEST(test_tls12_ticket_resumes_on_other_listener)
{
	resumes_across_listeners(IPPROTO_TLS_1_2);
}

TEST(test_tls13_ticket_resumes_on_other_listener)
{
	resumes_across_listeners(IPPROTO_TLS_1_3);
}

/* openssl s_client, TLS 1.2 without tickets; true if it printed @p want. */
static bool sclient(uint16_t port, const char *sess_opt, const char *sess_file, const char *want)
{
	struct pf_argv a = {0};
	struct pf_peer p = {0};
	bool ok;

	pf_arg(&a, "openssl");
	pf_arg(&a, "s_client");
	pf_arg(&a, "-connect");
	pf_arg(&a, "127.0.0.1:%u", port);
	pf_arg(&a, "-tls1_2");
	pf_arg(&a, "-no_ticket");
	pf_arg(&a, "%s", sess_opt);
	pf_arg(&a, "%s", sess_file);
	if (!pf_peer_start(&p, "openssl s_client", &a, 1 << 16, PF_STDIN)) {
		th_fail(__FILE__, __LINE__, "cannot start openssl");
		return false;
	}
	pf_peer_write(&p, "ping\n");
	ok = pf_peer_wait(&p, "pong", WAIT_MS);
	pf_peer_close_stdin(&p);
	(void)pf_peer_reaped(&p, WAIT_MS);
	ok = ok && pf_peer_has(&p, want);
	if (!ok) {
		th_fail(__FILE__, __LINE__, "s_client %s: \"%s\" expected", sess_opt, want);
		pf_peer_dump(&p);
	}
	pf_peer_stop(&p);
	return ok;
}

/* TLS 1.2 by session ID: the process-wide server cache serves either listener. */
TEST(test_tls12_session_id_resumes_on_other_listener)
{
	char sess[] = "/tmp/secsock-mt-XXXXXX";
	struct farm f;
	struct served first, s = {.listener = -1};
	int n = 1, tries = 0, tmp;

	if (!tu_have("openssl")) {
		SKIP("openssl not found");
	}
	ASSERT_TRUE(tf_creds_ready());
	tmp = mkstemp(sess);
	ASSERT_TRUE(tmp >= 0);
	close(tmp);
	purge();
	if (!farm_start(&f, IPPROTO_TLS_1_2)) {
		farm_stop(&f);
		unlink(sess);
		ASSERT_TRUE(false);
	}
	EXPECT_TRUE(sclient(f.port, "-sess_out", sess, "New, TLSv1.2"));
	first = farm_wait(&f, n);
	EXPECT_TRUE(first.listener >= 0);
	EXPECT_EQ(first.resumed, 0);
	while (!th_case_failed() && tries < MAX_TRIES) {
		tries++;
		EXPECT_TRUE(sclient(f.port, "-sess_in", sess, "Reused, TLSv1.2"));
		s = farm_wait(&f, ++n);
		EXPECT_EQ(s.resumed, 1);
		EXPECT_TRUE(s.echoed);
		if (s.listener >= 0 && s.listener != first.listener) {
			break;
		}
	}
	printf("full handshake on listener %d, resumed on listener %d after %d tries\n",
	       first.listener, s.listener, tries);
	EXPECT_TRUE(s.listener >= 0 && s.listener != first.listener);
	farm_stop(&f);
	unlink(sess);
	purge();
}
