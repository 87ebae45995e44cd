/*
 * Multi-core DTLS servers (issue 14): two DTLS server sockets in one process
 * on one UDP port with SO_REUSEPORT, each answered by a thread of its own.
 * A client's full handshake is served by one socket; the session resumes
 * with the other socket (the kernel picks the socket by a hash of the
 * addresses, so the client reconnects from a new port until the other one
 * serves it, at most MAX_TRIES times) and SECSOCK_TLS_SESSION_RESUMED says 1
 * on both ends.
 *
 * Credentials: the tags of test_dtls_util.h.
 */
#include <secsock/secsock.h>

#include "harness.h"
#include "test_dtls_util.h"
#include "testutil.h"

#define MAX_TRIES 40

static int resumed_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &v, &len) == 0 ? v : -1;
}

/* A DTLS server socket with SO_REUSEPORT and the session cache on loopback @p port. */
static int reuseport_server(uint16_t port, struct sockaddr_storage *sa, socklen_t *sl)
{
	int fd = dtls_sock(AF_INET, TAG_SERVER);

	*sl = tu_loopback(AF_INET, port, sa);
	if (fd < 0) {
		return -1;
	}
	if (set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0 ||
	    set_int(fd, SOL_TLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER) < 0 ||
	    set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0 ||
	    zsock_bind(fd, (struct sockaddr *)sa, *sl) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)sa, sl) < 0) {
		th_fail(__FILE__, __LINE__, "DTLS server on port %u: %s", port, strerror(errno));
		zsock_close(fd);
		return -1;
	}
	return fd;
}

/*
 * One client with the cache on: connect, one echo. Which server socket
 * echoed (-1: none), and the resumed flag of the client and of that socket.
 */
static int client_run(const struct sockaddr_storage *sa, socklen_t sl, struct echo_srv e[2],
		      int *resumed, int *sresumed)
{
	char buf[16];
	int fd = dtls_sock(AF_INET, TAG_CA), before[2], which = -1;

	*resumed = *sresumed = -1;
	if (fd < 0 || set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0) {
		close_fd(&fd);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		before[i] = atomic_load(&e[i].msgs);
	}
	if (zsock_connect(fd, (const struct sockaddr *)sa, sl) != 0) {
		th_fail(__FILE__, __LINE__, "connect: %s", strerror(errno));
		close_fd(&fd);
		return -1;
	}
	*resumed = resumed_of(fd);
	EXPECT_EQ(zsock_send(fd, "ping", 4, 0), 4);
	EXPECT_EQ(zsock_recv(fd, buf, sizeof(buf), 0), 4);
	for (int i = 0; i < 2; i++) {
		if (atomic_load(&e[i].msgs) != before[i]) {
			which = i;
			/* the echo came back: that socket's newest session is this one */
			*sresumed = resumed_of(e[i].fd);
		}
	}
	close_fd(&fd);
	return which;
}

static void purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0));
	zsock_close(fd);
}

TEST(test_dtls_resumes_on_other_reuseport_socket)
{
	struct sockaddr_storage sa, sb;
	struct echo_srv e[2];
	socklen_t sl, sbl;
	int first, which = -1, resumed, sresumed, tries = 0;

	ASSERT_TRUE(creds_ready());
	purge();
	e[0].fd = reuseport_server(0, &sa, &sl);
	ASSERT_TRUE(e[0].fd >= 0);
	e[1].fd = reuseport_server(port_of(&sa), &sb, &sbl);
	if (e[1].fd < 0) {
		close_fd(&e[0].fd);
		ASSERT_TRUE(false);
	}
	ASSERT_TRUE(echo_start(&e[0], e[0].fd));
	if (!echo_start(&e[1], e[1].fd)) {
		echo_stop(&e[0]);
		close_fd(&e[0].fd);
		close_fd(&e[1].fd);
		ASSERT_TRUE(false);
	}
	first = client_run(&sa, sl, e, &resumed, &sresumed);
	EXPECT_TRUE(first >= 0);
	EXPECT_EQ(resumed, 0);
	EXPECT_EQ(sresumed, 0);
	while (first >= 0 && !th_case_failed() && tries < MAX_TRIES) {
		tries++;
		which = client_run(&sa, sl, e, &resumed, &sresumed);
		EXPECT_EQ(resumed, 1);
		EXPECT_EQ(sresumed, 1);
		if (which >= 0 && which != first) {
			break;
		}
	}
	printf("full handshake on socket %d, resumed on socket %d after %d tries\n", first, which,
	       tries);
	EXPECT_TRUE(which >= 0 && which != first);
	for (int i = 0; i < 2; i++) {
		echo_stop(&e[i]);
		EXPECT_EQ(atomic_load(&e[i].errs), 0);
		close_fd(&e[i].fd);
	}
	purge();
}
