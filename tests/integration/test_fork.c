/*
 * fork() (docs/posix.md, "fork"): in the child, every secure socket inherited
 * from the parent is closed without a word to the peer - every call on its
 * number fails with EBADF, the C library's and raw ones included (the number
 * holds the placeholder), poll() says POLLNVAL, close() frees the number -
 * so nothing the child does can reach the parent's session, which goes on
 * undisturbed. New secure sockets work in the child.
 *
 * Credentials: tags 7800..7801.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#define SECRET "PLAINTEXT-SECRET-FROM-THE-CHILD"

enum {
	TAG_CA = 7800,
	TAG_SERVER,
};

static int creds_add(void)
{
	return tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem") |
	       tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
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

/* The child's checks; its exit status has one bit per failed check. */
static int child_checks(int fd, int lst)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	char buf[16];
	int bad = 0;

	errno = 0;
	if (zsock_send(fd, SECRET, strlen(SECRET), 0) != -1 || errno != EBADF) {
		bad |= 1;
	}
	errno = 0;
	if (zsock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EBADF) {
		bad |= 2;
	}
	/* the kernel's own calls: the number holds the placeholder, not the socket */
	errno = 0;
	if (write(fd, SECRET, strlen(SECRET)) != -1 || errno != EBADF) {
		bad |= 4;
	}
	errno = 0;
	if (syscall(SYS_sendto, fd, SECRET, strlen(SECRET), 0, NULL, 0) != -1 || errno != EBADF) {
		bad |= 8;
	}
	if (zsock_poll((struct zsock_pollfd *)&p, 1, 0) != 1 || p.revents != POLLNVAL) {
		bad |= 16;
	}
	errno = 0;
	if (zsock_accept(lst, NULL, NULL) != -1 || errno != EBADF) {
		bad |= 32;
	}
	/* close() frees the number, once */
	if (zsock_close(fd) != 0 || fcntl(fd, F_GETFD) != -1) {
		bad |= 64;
	}
	errno = 0;
	if (zsock_close(fd) != -1 || errno != EBADF) {
		bad |= 128;
	}
	return bad;
}

/* The child's exit status, or -1 after killing it when it did not end within 20 s. */
static int child_status(pid_t pid)
{
	int st = tu_wait_exit(pid, 20000);

	if (st < 0) {
		(void)tu_kill(pid);
	}
	return st;
}

TEST(test_fork_child_copy_ebadf_parent_session_intact)
{
	struct tf_cfg cfg = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	pid_t pid;

	ASSERT_TRUE(tf_pair_up(&cfg, &p));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "before fork"));
	pid = fork();
	if (pid == 0) {
		_exit(child_checks(p.cli, p.lst));
	}
	ASSERT_TRUE(pid > 0);
	EXPECT_EQ(child_status(pid), 0);
	/* the parent's session: intact, and nothing of the child's reached the peer */
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "after fork, client to server"));
	EXPECT_TRUE(tf_echo_ok(p.srv, p.cli, "after fork, server to client"));
	tf_pair_close(&p);
}

TEST(test_fork_child_new_sessions_work)
{
	struct tf_cfg cfg = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	pid_t pid;

	ASSERT_TRUE(tf_creds_ready());
	pid = fork();
	if (pid == 0) {
		struct tf_pair q;
		int ok = tf_pair_up(&cfg, &q) && tf_echo_ok(q.cli, q.srv, "in the child");

		tf_pair_close(&q);
		_exit(ok ? 0 : 1);
	}
	ASSERT_TRUE(pid > 0);
	EXPECT_EQ(child_status(pid), 0);
	ASSERT_TRUE(tf_pair_up(&cfg, &p));
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "in the parent"));
	tf_pair_close(&p);
}
