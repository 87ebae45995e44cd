/*
 * The session cache rule (docs/session-cache.md) for DTLS 1.2: the review's
 * demonstration 1 over UDP (a session made with TLS_PEER_VERIFY_NONE against
 * an untrusted server must not let a verifying client in), and the positive
 * control (the same context resumes, both sides say so).
 *
 * Credentials: the tags of test_dtls_util.h, and TAG_UNTRUSTED.
 */
#include <secsock/secsock.h>

#include "harness.h"
#include "test_dtls_util.h"
#include "testutil.h"

#define TAG_UNTRUSTED (TAG_PSK + 10) /* untrusted.pem + key: localhost, another CA */

static pthread_once_t untrusted_once = PTHREAD_ONCE_INIT;
static int untrusted_rc;

static void untrusted_del(void)
{
	(void)tls_credential_delete(TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY);
}

static void untrusted_add(void)
{
	untrusted_rc =
		tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "untrusted.pem") |
		tu_add_cred(TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY, "untrusted.key");
	atexit(untrusted_del);
}

static bool all_creds(void)
{
	pthread_once(&untrusted_once, untrusted_add);
	return creds_ready() && untrusted_rc == 0;
}

/* A DTLS server socket with session cache, answered by an echo thread. */
static bool server_up(struct echo_srv *e, sec_tag_t tag, struct sockaddr_storage *sa, socklen_t *sl)
{
	int fd = dtls_server(AF_INET, tag, sa, sl);

	if (fd < 0 || set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0) {
		close_fd(&fd);
		return false;
	}
	if (!echo_start(e, fd)) {
		close_fd(&fd);
		return false;
	}
	return true;
}

static void server_down(struct echo_srv *e)
{
	echo_stop(e);
	close_fd(&e->fd);
}

static int resumed_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &v, &len) == 0 ? v : -1;
}

/*
 * One client of the given verify mode (-1: default) with the cache on:
 * connect, one echo. The connect errno (0 on success) and, on success,
 * whether the session was resumed.
 */
static int client_run(const struct sockaddr_storage *sa, socklen_t sl, int verify, int *resumed,
		      int srv, int *sresumed)
{
	char buf[16];
	int fd = dtls_sock(AF_INET, TAG_CA), err;

	*resumed = -1;
	if (fd < 0 || set_int(fd, SOL_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) < 0 ||
	    (verify >= 0 && set_int(fd, SOL_TLS, TLS_PEER_VERIFY, verify) < 0)) {
		close_fd(&fd);
		return -1;
	}
	err = zsock_connect(fd, (const struct sockaddr *)sa, sl) == 0 ? 0 : errno;
	if (err == 0) {
		*resumed = resumed_of(fd);
		EXPECT_EQ(zsock_send(fd, "ping", 4, 0), 4);
		EXPECT_EQ(zsock_recv(fd, buf, sizeof(buf), 0), 4);
		if (sresumed != NULL) {
			/* the echo came back: the server's newest session is this one */
			*sresumed = resumed_of(srv);
		}
	}
	close_fd(&fd);
	return err;
}

static void purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0));
	zsock_close(fd);
}

/* review 1, DTLS: NONE against an untrusted server, then REQUIRED must fail */
TEST(test_dtls_verify_none_session_not_resumed_by_verifying_client)
{
	struct sockaddr_storage sa;
	struct echo_srv e;
	socklen_t sl;
	int resumed;

	ASSERT_TRUE(all_creds());
	purge();
	ASSERT_TRUE(server_up(&e, TAG_UNTRUSTED, &sa, &sl));
	EXPECT_EQ(client_run(&sa, sl, TLS_PEER_VERIFY_NONE, &resumed, -1, NULL), 0);
	EXPECT_EQ(resumed, 0);
	EXPECT_EQ(client_run(&sa, sl, -1, &resumed, -1, NULL), ECONNABORTED);
	/* the weak context itself still resumes */
	EXPECT_EQ(client_run(&sa, sl, TLS_PEER_VERIFY_NONE, &resumed, -1, NULL), 0);
	EXPECT_EQ(resumed, 1);
	server_down(&e);
}

/* positive control: the same context resumes; the server's getter agrees */
TEST(test_dtls_same_context_resumes)
{
	struct sockaddr_storage sa;
	struct echo_srv e;
	socklen_t sl;
	int resumed, sresumed = -1;

	ASSERT_TRUE(all_creds());
	purge();
	ASSERT_TRUE(server_up(&e, TAG_SERVER, &sa, &sl));

	EXPECT_EQ(client_run(&sa, sl, -1, &resumed, e.fd, &sresumed), 0);
	EXPECT_EQ(resumed, 0);
	EXPECT_EQ(sresumed, 0);
	EXPECT_EQ(client_run(&sa, sl, -1, &resumed, e.fd, &sresumed), 0);
	EXPECT_EQ(resumed, 1);
	/* the server socket's getters describe its newest session */
	EXPECT_EQ(sresumed, 1);
	server_down(&e);
}
