/*
 * DTLS server scale (issue 14): SECSOCK_TLS_DTLS_MAX_PEERS and
 * SECSOCK_TLS_DTLS_PEERS (<secsock/secsock.h>), and one server socket
 * serving 2,000 peers over loopback.
 *
 * - The option's rules: default, range, DTLS only, read-only getter.
 * - At the limit a new peer's handshake gets no answer (it times out), the
 *   refused counter and one debug line say why, and the peers already served
 *   go on; lowering the limit below the count ends nobody; raising it lets
 *   the new peer in.
 * - 2,000 non-blocking DTLS clients (PSK, SECSOCK_TLS_ASYNC_HANDSHAKE, driven
 *   by zsock_poll in windows of 64) handshake with one server socket served by
 *   one echo thread and echo 100 bytes each; then all of them echo once more.
 *   Fewer under sanitizers (printed).
 */
#include <secsock/secsock.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>

#include "harness.h"
#include "test_dtls_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MANY 300 /* sanitizer builds handshake 10-30 times slower */
#else
#define MANY 2000
#endif
#define WINDOW   64
#define REQ_LEN  100
#define IDLE_MS  5000 /* ZT_DTLS_IDLE_TIMEOUT_MS */
#define MANY_MAX 2000

static struct secsock_dtls_peers peers_of(int fd)
{
	struct secsock_dtls_peers p;
	socklen_t len = sizeof(p);

	memset(&p, 0xff, sizeof(p));
	if (zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_DTLS_PEERS, &p, &len) < 0) {
		th_fail(__FILE__, __LINE__, "SECSOCK_TLS_DTLS_PEERS: %s", strerror(errno));
	}
	return p;
}

TEST(test_dtls_max_peers_option_rules)
{
	int d = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	int t = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	struct secsock_dtls_peers p;
	socklen_t len = sizeof(p);
	int v = 5;

	ASSERT_TRUE(d >= 0 && t >= 0);
	EXPECT_EQ(get_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS), SECSOCK_DTLS_MAX_PEERS_DEFAULT);
	EXPECT_EQ(SECSOCK_DTLS_MAX_PEERS_DEFAULT, 16384);
	EXPECT_ERRNO(set_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, 0), EINVAL);
	EXPECT_ERRNO(set_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, -1), EINVAL);
	EXPECT_ERRNO(
		set_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, SECSOCK_DTLS_MAX_PEERS_LIMIT + 1),
		EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, &v, 2), EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, NULL, sizeof(v)),
		     EINVAL);
	EXPECT_OK(set_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, SECSOCK_DTLS_MAX_PEERS_LIMIT));
	EXPECT_OK(set_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, 1));
	EXPECT_EQ(get_int(d, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS), 1);
	/* TLS over TCP has no peers of this kind */
	EXPECT_ERRNO(set_int(t, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, 10), EOPNOTSUPP);
	EXPECT_EQ(get_int(t, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS), -EOPNOTSUPP - 100000);
	EXPECT_ERRNO(zsock_getsockopt(t, SOL_TLS, SECSOCK_TLS_DTLS_PEERS, &p, &len), EOPNOTSUPP);
	/* the counters: read-only, exact size */
	p = peers_of(d);
	EXPECT_EQ(p.peers, 0u);
	EXPECT_EQ(p.max_peers, 1u);
	EXPECT_EQ(p.refused, 0u);
	len = sizeof(p) - 1;
	EXPECT_ERRNO(zsock_getsockopt(d, SOL_TLS, SECSOCK_TLS_DTLS_PEERS, &p, &len), EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(d, SOL_TLS, SECSOCK_TLS_DTLS_PEERS, &p, sizeof(p)),
		     ENOPROTOOPT);
	zsock_close(d);
	zsock_close(t);
}

/* ---- the limit ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_full_lines;

static void log_cb(void *arg, int level, const char *origin, const char *line)
{
	(void)arg;
	if (level == 1 && strcmp(origin, "secsock") == 0 &&
	    strstr(line, "SECSOCK_TLS_DTLS_MAX_PEERS") != NULL) {
		pthread_mutex_lock(&log_lock);
		log_full_lines++;
		pthread_mutex_unlock(&log_lock);
	}
}

static int full_lines(void)
{
	int n;

	pthread_mutex_lock(&log_lock);
	n = log_full_lines;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* A blocking PSK client that connects (handshake) to @p sa; -1 if the handshake failed. */
static int client_connect(const struct sockaddr_storage *sa, socklen_t sl, int *err)
{
	int fd = dtls_sock(AF_INET, TAG_PSK);

	*err = 0;
	if (fd < 0 || set_hs_timeouts(fd, 100, 400) < 0) {
		*err = errno;
		close_fd(&fd);
		return -1;
	}
	if (zsock_connect(fd, (const struct sockaddr *)sa, sl) < 0) {
		*err = errno;
		close_fd(&fd);
	}
	return fd;
}

static bool echoes(int fd, const char *msg)
{
	char rx[64] = {0};
	size_t n = strlen(msg);

	return zsock_send(fd, msg, n, 0) == (ssize_t)n &&
	       zsock_recv(fd, rx, sizeof(rx), 0) == (ssize_t)n && memcmp(rx, msg, n) == 0;
}

TEST(test_dtls_max_peers_refuses_new_peer_and_signals)
{
	enum {
		LIMIT = 3
	};
	struct sockaddr_storage sa;
	struct secsock_dtls_peers p;
	struct echo_srv e;
	int c[LIMIT], extra, srv, err;

	ASSERT_TRUE(creds_ready());
	ASSERT_TRUE(secsock_debug(1, log_cb, NULL) == 0);
	socklen_t sl;

	srv = dtls_server(AF_INET, TAG_PSK, &sa, &sl);
	ASSERT_TRUE(srv >= 0);
	EXPECT_OK(set_int(srv, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, LIMIT));
	ASSERT_TRUE(echo_start(&e, srv));
	for (int i = 0; i < LIMIT; i++) {
		c[i] = client_connect(&sa, sl, &err);
		EXPECT_EQ(err, 0);
		EXPECT_TRUE(c[i] >= 0 && echoes(c[i], "before"));
	}
	p = peers_of(srv);
	EXPECT_EQ(p.peers, (uint32_t)LIMIT);
	EXPECT_EQ(p.refused, 0u);
	EXPECT_EQ(full_lines(), 0);

	/* full: the next peer's ClientHellos get no answer, its handshake times out */
	extra = client_connect(&sa, sl, &err);
	EXPECT_EQ(extra, -1);
	EXPECT_TRUE(err != 0);
	p = peers_of(srv);
	EXPECT_EQ(p.peers, (uint32_t)LIMIT);
	EXPECT_EQ(p.max_peers, (uint32_t)LIMIT);
	EXPECT_TRUE(p.refused >= 1); /* the first ClientHello and its retransmissions */
	EXPECT_EQ(full_lines(), 1);  /* one line, however many were refused */
	for (int i = 0; i < LIMIT; i++) {
		EXPECT_TRUE(c[i] >= 0 && echoes(c[i], "unaffected"));
	}

	/* lower than the count: nobody is dropped, still nobody new */
	EXPECT_OK(set_int(srv, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, 1));
	for (int i = 0; i < LIMIT; i++) {
		EXPECT_TRUE(c[i] >= 0 && echoes(c[i], "lowered"));
	}
	EXPECT_EQ(peers_of(srv).peers, (uint32_t)LIMIT);
	extra = client_connect(&sa, sl, &err);
	EXPECT_EQ(extra, -1);

	/* raised: room again; the debug line is written again the next time it fills */
	EXPECT_OK(set_int(srv, SOL_TLS, SECSOCK_TLS_DTLS_MAX_PEERS, LIMIT + 1));
	extra = client_connect(&sa, sl, &err);
	EXPECT_EQ(err, 0);
	EXPECT_TRUE(extra >= 0 && echoes(extra, "welcome"));
	EXPECT_EQ(peers_of(srv).peers, (uint32_t)(LIMIT + 1));
	{
		int late = client_connect(&sa, sl, &err);

		EXPECT_EQ(late, -1);
		EXPECT_EQ(full_lines(), 2);
	}
	echo_stop(&e);
	(void)secsock_debug(0, NULL, NULL);
	for (int i = 0; i < LIMIT; i++) {
		close_fd(&c[i]);
	}
	close_fd(&extra);
	zsock_close(srv);
}

/* ---- many peers ---- */

enum cstate {
	C_CONNECTING,
	C_ECHO,
	C_DONE,
};

struct client {
	int fd;
	enum cstate st;
	unsigned char req[REQ_LEN];
};

static struct client cl[MANY_MAX];

static void request_fill(struct client *c, int i, int round)
{
	for (int k = 0; k < REQ_LEN; k++) {
		c->req[k] = (unsigned char)(i * 7 + k + round);
	}
}

/* Drive clients [from, to) until each has handshaken (first round) and echoed once. */
static bool drive(int from, int to, int round, int ms)
{
	struct zsock_pollfd fds[WINDOW];
	int64_t end = now_ms() + ms;
	int left = to - from;

	for (int i = from; i < to; i++) {
		request_fill(&cl[i], i, round);
		if (cl[i].st == C_ECHO && zsock_send(cl[i].fd, cl[i].req, REQ_LEN, 0) != REQ_LEN) {
			th_fail(__FILE__, __LINE__, "client %d: send: %s", i, strerror(errno));
			return false;
		}
	}
	while (left > 0 && now_ms() < end) {
		int n = 0, idx[WINDOW];

		for (int i = from; i < to; i++) {
			if (cl[i].st == C_DONE) {
				continue;
			}
			fds[n].fd = cl[i].fd;
			fds[n].events = cl[i].st == C_CONNECTING ? POLLOUT : POLLIN;
			fds[n].revents = 0;
			idx[n++] = i;
		}
		if (zsock_poll(fds, n, 100) < 0) {
			th_fail(__FILE__, __LINE__, "poll: %s", strerror(errno));
			return false;
		}
		for (int k = 0; k < n; k++) {
			struct client *c = &cl[idx[k]];
			unsigned char rx[REQ_LEN + 16];

			if (fds[k].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				th_fail(__FILE__, __LINE__, "client %d: revents %#x", idx[k],
					(unsigned)fds[k].revents);
				return false;
			}
			if (c->st == C_CONNECTING && (fds[k].revents & POLLOUT)) {
				if (zsock_send(c->fd, c->req, REQ_LEN, 0) != REQ_LEN) {
					th_fail(__FILE__, __LINE__, "client %d: send: %s", idx[k],
						strerror(errno));
					return false;
				}
				c->st = C_ECHO;
			} else if (c->st == C_ECHO && (fds[k].revents & POLLIN)) {
				ssize_t r = zsock_recv(c->fd, rx, sizeof(rx), 0);

				if (r < 0 && errno == EAGAIN) {
					continue;
				}
				if (r != REQ_LEN || memcmp(rx, c->req, REQ_LEN) != 0) {
					th_fail(__FILE__, __LINE__, "client %d: echo %zd", idx[k],
						r);
					return false;
				}
				c->st = C_DONE;
				left--;
			}
		}
	}
	if (left > 0) {
		th_fail(__FILE__, __LINE__, "%d of clients %d..%d not done in %d ms", left, from,
			to - 1, ms);
	}
	return left == 0;
}

static int nb_client(void)
{
	int fd = zsock_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_DTLS_1_2);
	sec_tag_t tag = TAG_PSK;

	if (fd >= 0 && (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
			set_int(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, 1) < 0)) {
		close_fd(&fd);
	}
	return fd;
}

TEST(test_dtls_server_many_peers_handshake_and_echo)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct rlimit rl;
	struct echo_srv e;
	int64_t t0, t_hs;
	int srv, ok = 0;
	bool fine = true;

	ASSERT_TRUE(creds_ready());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MANY + 100) {
		rl.rlim_cur = rl.rlim_max < MANY + 256 ? rl.rlim_max : MANY + 256;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("  %d peers%s\n", MANY, MANY < MANY_MAX ? " (sanitizer build: fewer)" : "");
	srv = dtls_server(AF_INET, TAG_PSK, &sa, &sl);
	ASSERT_TRUE(srv >= 0);
	ASSERT_TRUE(echo_start(&e, srv));
	t0 = now_ms();
	for (int from = 0; fine && from < MANY; from += WINDOW) {
		int to = from + WINDOW < MANY ? from + WINDOW : MANY;

		for (int i = from; i < to; i++) {
			cl[i].fd = nb_client();
			cl[i].st = C_CONNECTING;
			if (cl[i].fd < 0 ||
			    (zsock_connect(cl[i].fd, (struct sockaddr *)&sa, sl) < 0 &&
			     errno != EINPROGRESS)) {
				th_fail(__FILE__, __LINE__, "client %d: %s", i, strerror(errno));
				fine = false;
				break;
			}
		}
		fine = fine && drive(from, to, 0, 10000);
		ok = fine ? to : ok;
	}
	t_hs = now_ms() - t0;
	printf("  %d handshakes + echoes in %lld ms\n", ok, (long long)t_hs);
	EXPECT_EQ(ok, MANY);
	/* every peer is still served: one more echo each (within the 5 s idle timeout) */
	if (fine && t_hs < IDLE_MS - 1000) {
		EXPECT_EQ(zt_dtls_session_count(srv), MANY);
		EXPECT_EQ(peers_of(srv).peers, (uint32_t)MANY);
		for (int i = 0; i < MANY; i++) {
			cl[i].st = C_ECHO;
		}
		t0 = now_ms();
		for (int from = 0; fine && from < MANY; from += WINDOW) {
			fine = drive(from, from + WINDOW < MANY ? from + WINDOW : MANY, 1, 10000);
		}
		printf("  second echo of all %d peers in %lld ms\n", MANY,
		       (long long)(now_ms() - t0));
	} else if (fine) {
		printf("  handshakes took over %d ms: peers may have expired, second round "
		       "skipped\n",
		       IDLE_MS - 1000);
	}
	EXPECT_EQ(peers_of(srv).refused, 0u);
	EXPECT_EQ(atomic_load(&e.errs), 0);
	echo_stop(&e);
	for (int i = 0; i < ok; i++) {
		close_fd(&cl[i].fd);
	}
	zsock_close(srv);
}
