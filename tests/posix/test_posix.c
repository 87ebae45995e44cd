#define _GNU_SOURCE
/*
 * libsecsock-posix linked into a program that uses the C library's names
 * only (docs/posix.md): select() echo server over TLS with several clients,
 * non-blocking connect() (EINPROGRESS) and a poll()-driven handshake,
 * readv/writev and sendmsg/recvmsg through TLS, sendfile() onto a TLS
 * socket, fdopen() through TLS, dup/dup2/dup3/F_DUPFD rules, close-on-exec,
 * EINTR, SOL_TLS on a plain TCP socket reaching the kernel (kTLS),
 * close_range(). Loopback only; every loop is bounded in count and time.
 */
#include <zephyr/net/tls_credentials.h>
#include <secsock/posix.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CERTS
#error "CERTS: the test certificate directory"
#endif

#define TAG_CA     9100
#define TAG_SERVER 9101

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d %s)\n", __FILE__,       \
				__LINE__, #cond, errno, strerror(errno));                          \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void add_file(int tag, int type, const char *name)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", CERTS, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		exit(1);
	}
	fclose(f);
	if (tls_credential_add(tag, (enum tls_credential_type)type, buf, (size_t)n + 1) != 0) {
		fprintf(stderr, "tls_credential_add %s failed\n", name);
		exit(1);
	}
	free(buf);
}

/* A secure listener on 127.0.0.1 and a port the kernel picks. */
static int tls_listener(unsigned short *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int tags[] = {TAG_SERVER};
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) == 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(fd, 16) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int tls_client_socket(int type_flags)
{
	int tags[] = {TAG_CA};
	int fd = socket(AF_INET, SOCK_STREAM | type_flags, IPPROTO_TLS_1_2);

	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) == 0);
	CHECK(setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) == 0);
	return fd;
}

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return a;
}

/*
 * A connected TLS pair in one thread: non-blocking connect() -> EINPROGRESS,
 * accept() returns at once (asynchronous handshake), poll() drives both
 * handshakes until the client reports POLLOUT. Both end blocking.
 */
static int tls_pair(int lst, unsigned short port, int *cli, int *srv)
{
	struct sockaddr_in a = loopback(port);
	int c = tls_client_socket(SOCK_NONBLOCK), s, err = -1;
	socklen_t elen = sizeof(err);
	int64_t end = now_ms() + 10000;
	bool up = false;

	errno = 0;
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EINPROGRESS);
	s = accept(lst, NULL, NULL);
	CHECK(s >= 0);
	for (int i = 0; i < 1000 && now_ms() < end && !up; i++) {
		struct pollfd p[2] = {{.fd = c, .events = POLLOUT}, {.fd = s, .events = POLLIN}};

		CHECK(poll(p, 2, 100) >= 0);
		CHECK(!(p[0].revents & (POLLERR | POLLHUP | POLLNVAL)));
		up = (p[0].revents & POLLOUT) != 0;
	}
	CHECK(up);
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0);
	CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK) == 0);
	CHECK((fcntl(c, F_GETFL) & O_NONBLOCK) == 0);
	*cli = c;
	*srv = s;
	return up ? 0 : -1;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	for (int i = 0; i < 1000 && got < len; i++) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- select() echo server, several TLS clients ---- */

#define NCLIENTS 4
#define NMSG     20

struct echo_client {
	unsigned short port;
	int id;
	int ok;
};

static void *echo_client_main(void *arg)
{
	struct echo_client *ec = arg;
	struct sockaddr_in a = loopback(ec->port);
	struct timeval tv = {.tv_sec = 10};
	int fd = tls_client_socket(0);
	char msg[64], back[64];

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("echo client connect");
		close(fd);
		return NULL;
	}
	ec->ok = 1;
	for (int i = 0; i < NMSG; i++) {
		int len = snprintf(msg, sizeof(msg), "client %d message %d", ec->id, i);

		if (write(fd, msg, (size_t)len) != len || read_full(fd, back, (size_t)len) != len ||
		    memcmp(msg, back, (size_t)len) != 0) {
			ec->ok = 0;
			break;
		}
	}
	close(fd);
	return NULL;
}

static void test_select_echo(void)
{
	struct echo_client ec[NCLIENTS];
	pthread_t th[NCLIENTS];
	unsigned short port;
	int lst = tls_listener(&port), conns[NCLIENTS], nconn = 0, ended = 0;
	int64_t end = now_ms() + 30000;

	for (int i = 0; i < NCLIENTS; i++) {
		ec[i] = (struct echo_client){.port = port, .id = i};
		pthread_create(&th[i], NULL, echo_client_main, &ec[i]);
	}
	for (int loop = 0; loop < 100000 && ended < NCLIENTS && now_ms() < end; loop++) {
		struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
		fd_set r;
		int max = lst;

		FD_ZERO(&r);
		FD_SET(lst, &r);
		for (int i = 0; i < nconn; i++) {
			if (conns[i] >= 0) {
				FD_SET(conns[i], &r);
				max = conns[i] > max ? conns[i] : max;
			}
		}
		int n = select(max + 1, &r, NULL, NULL, &tv);

		CHECK(n >= 0);
		if (n <= 0) {
			continue;
		}
		if (FD_ISSET(lst, &r) && nconn < NCLIENTS) {
			int c = accept4(lst, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			CHECK(c >= 0);
			if (c >= 0) {
				conns[nconn++] = c;
			}
		}
		for (int i = 0; i < nconn; i++) {
			char buf[256];
			ssize_t got;

			if (conns[i] < 0 || !FD_ISSET(conns[i], &r)) {
				continue;
			}
			got = read(conns[i], buf, sizeof(buf));
			if (got > 0) {
				CHECK(write(conns[i], buf, (size_t)got) == got);
			} else if (got == 0 || errno != EAGAIN) {
				close(conns[i]);
				conns[i] = -1;
				ended++;
			}
		}
	}
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		CHECK(ec[i].ok == 1);
	}
	for (int i = 0; i < nconn; i++) {
		if (conns[i] >= 0) {
			close(conns[i]);
		}
	}
	CHECK(ended == NCLIENTS);
	close(lst);
	printf("select echo: %d TLS clients x %d messages\n", NCLIENTS, NMSG);
}

/* ---- vectors, messages, sendfile, stdio ---- */

static void test_vectors(int c, int s)
{
	char a[] = "alpha-", b[] = "beta-", d[] = "gamma";
	struct iovec out[3] = {{a, 6}, {b, 5}, {d, 5}};
	char x[7], y[9], big[10000], big2[10000];
	struct iovec in[2] = {{x, 7}, {y, 9}};
	ssize_t n;

	CHECK(writev(c, out, 3) == 16);
	n = read_full(s, x, 7);
	CHECK(n == 7);
	n = readv(s, in + 1, 1);
	CHECK(n == 9);
	CHECK(memcmp(x, "alpha-b", 7) == 0 && memcmp(y, "eta-gamma", 9) == 0);

	/* a large vector goes element by element */
	memset(big, 'q', sizeof(big));
	struct iovec bv[2] = {{big, 6000}, {big + 6000, 4000}};
	struct msghdr m = {.msg_iov = bv, .msg_iovlen = 2};

	CHECK(sendmsg(c, &m, 0) == 10000);
	CHECK(read_full(s, big2, sizeof(big2)) == 10000);
	CHECK(memcmp(big, big2, sizeof(big)) == 0);

	/* recvmsg scatters, and names the peer */
	struct sockaddr_storage peer;
	struct iovec rv[2] = {{x, 3}, {y, 3}};
	struct msghdr rm = {
		.msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = rv, .msg_iovlen = 2};

	CHECK(write(c, "123456", 6) == 6);
	n = 0;
	for (int i = 0; i < 10 && n < 6; i++) {
		ssize_t k = recvmsg(s, &rm, 0);

		if (k <= 0) {
			break;
		}
		n += k;
		rv[0].iov_base = x + k;
		rv[0].iov_len = k < 3 ? (size_t)(3 - k) : 0;
		if (k >= 3) {
			rv[1].iov_base = y + (k - 3);
			rv[1].iov_len = (size_t)(6 - k);
		}
	}
	CHECK(n == 6 && memcmp(x, "123", 3) == 0 && memcmp(y, "456", 3) == 0);
	CHECK(rm.msg_namelen == sizeof(struct sockaddr_in));

	/* ancillary data cannot travel inside TLS: refused, not dropped */
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct msghdr cm = {
		.msg_iov = out, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};

	errno = 0;
	CHECK(sendmsg(c, &cm, 0) == -1 && errno == EOPNOTSUPP);

	/* dprintf through TLS */
	CHECK(dprintf(c, "n=%d;", 42) == 5);
	CHECK(read_full(s, x, 5) == 5 && memcmp(x, "n=42;", 5) == 0);
	printf("readv/writev/sendmsg/recvmsg/dprintf through TLS\n");
}

static void test_sendfile(int c, int s)
{
	char path[] = "/tmp/secsock-sendfile-XXXXXX", buf[70000], back[70000];
	int f = mkstemp(path);
	off_t off = 1000;

	CHECK(f >= 0);
	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (char)('a' + (i * 7) % 26);
	}
	CHECK(write(f, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	CHECK(lseek(f, 0, SEEK_SET) == 0);
	/* from the file position */
	CHECK(sendfile(s, f, NULL, 50000) == 50000);
	CHECK(lseek(f, 0, SEEK_CUR) == 50000);
	CHECK(read_full(c, back, 50000) == 50000 && memcmp(back, buf, 50000) == 0);
	/* from an offset, the file position untouched */
	CHECK(sendfile(s, f, &off, 20000) == 20000 && off == 21000);
	CHECK(lseek(f, 0, SEEK_CUR) == 50000);
	CHECK(read_full(c, back, 20000) == 20000 && memcmp(back, buf + 1000, 20000) == 0);
	/* kernel-side copies that would pass the session by */
	int p[2];

	CHECK(pipe(p) == 0);
	errno = 0;
	CHECK(splice(p[0], NULL, s, NULL, 10, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(splice(c, NULL, p[1], NULL, 10, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(copy_file_range(f, NULL, s, NULL, 10, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(sendfile(f, c, NULL, 10) == -1 && errno == EINVAL);
	close(p[0]);
	close(p[1]);
	close(f);
	unlink(path);
	printf("sendfile through TLS; splice/copy_file_range refused (EINVAL)\n");
}

static void test_stdio(int c, int s)
{
	FILE *w = fdopen(c, "w");
	char line[64];

	CHECK(w != NULL);
	if (w == NULL) {
		return;
	}
	CHECK(fprintf(w, "stdio line %d\n", 7) > 0);
	CHECK(fflush(w) == 0);
	CHECK(read_full(s, line, 13) == 13 && memcmp(line, "stdio line 7\n", 13) == 0);
	CHECK(fclose(w) == 0); /* closes c through secsock */
	errno = 0;
	CHECK(fcntl(c, F_GETFD) == -1 || errno == 0); /* number free or reused: no crash */
	printf("fdopen: stdio through TLS\n");
}

/* ---- descriptors ---- */

static void test_descriptors(int c, int s)
{
	int p[2], sv[2];

	CHECK(pipe(p) == 0);
	errno = 0;
	CHECK(dup(c) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK(dup2(c, p[0]) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK(dup3(c, p[0], O_CLOEXEC) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK(fcntl(c, F_DUPFD, 100) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK(fcntl(c, F_DUPFD_CLOEXEC, 100) == -1 && errno == EOPNOTSUPP);
	CHECK(dup2(c, c) == c);
	/* always close-on-exec, and it stays so */
	CHECK(fcntl(c, F_GETFD) == FD_CLOEXEC);
	errno = 0;
	CHECK(fcntl(c, F_SETFD, 0) == -1 && errno == EOPNOTSUPP);
	CHECK(fcntl(c, F_SETFD, FD_CLOEXEC) == 0);
	/* ioctl FIONBIO is the application's mode */
	int on = 1;

	CHECK(ioctl(c, FIONBIO, &on) == 0);
	CHECK((fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
	char b;

	errno = 0;
	CHECK(read(c, &b, 1) == -1 && errno == EAGAIN);
	on = 0;
	CHECK(ioctl(c, FIONBIO, &on) == 0);

	/* dup2 of a pipe ONTO a secure socket closes the socket first (close_notify) */
	int num = s;

	CHECK(dup2(p[0], num) == num);
	CHECK(write(p[1], "P", 1) == 1);
	CHECK(read(num, &b, 1) == 1 && b == 'P');
	CHECK(read(c, &b, 1) == 0); /* the peer saw close_notify */
	CHECK(close(num) == 0);
	/* socketpair passes through */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[0], "x", 1) == 1 && read(sv[1], &b, 1) == 1 && b == 'x');
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	/* close(): the number is dead at once */
	CHECK(close(c) == 0);
	errno = 0;
	CHECK(close(c) == -1 && errno == EBADF);
	printf("dup/dup2/dup3/F_DUPFD refused (EOPNOTSUPP); dup2 onto a secure socket; "
	       "close-on-exec; socketpair\n");
}

static void test_close_range(int lst, unsigned short port)
{
	int c, s, p[2];

	if (tls_pair(lst, port, &c, &s) != 0) {
		return;
	}
	CHECK(pipe(p) == 0);
	int lo = c < s ? c : s, hi = c < s ? s : c;

	lo = p[0] < lo ? p[0] : lo;
	hi = p[1] > hi ? p[1] : hi;
	CHECK(close_range((unsigned)lo, (unsigned)hi, 0) == 0);
	errno = 0;
	CHECK(fcntl(c, F_GETFD) == -1 && errno == EBADF);
	errno = 0;
	CHECK(fcntl(s, F_GETFD) == -1 && errno == EBADF);
	errno = 0;
	CHECK(fcntl(p[0], F_GETFD) == -1 && errno == EBADF);
	/* the numbers are free again for anyone */
	int q[2];

	CHECK(pipe(q) == 0);
	CHECK(write(q[1], "z", 1) == 1);
	close(q[0]);
	close(q[1]);
	printf("close_range over secure sockets and plain descriptors\n");
}

/* ---- epoll through the libc names (src/posix/epoll.c) ---- */

static void test_epoll(int c, int s)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 77}, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	char buf[64];

	CHECK(ep >= 0);
	CHECK(pipe(p) == 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 88};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
	CHECK(epoll_wait(ep, out, 4, 0) == 0);
	CHECK(write(c, "epoll!", 6) == 6);
	int n = 0;

	for (int i = 0; i < 50 && n == 0; i++) {
		n = epoll_wait(ep, out, 4, 100);
	}
	CHECK(n == 1 && out[0].data.u32 == 77 && (out[0].events & EPOLLIN));
	/* edge-triggered: reported once until more arrives */
	CHECK(epoll_wait(ep, out, 4, 0) == 0);
	CHECK(read(s, buf, sizeof(buf)) == 6 && memcmp(buf, "epoll!", 6) == 0);
	/* a plain descriptor in the same set keeps its data */
	CHECK(write(p[1], "x", 1) == 1);
	n = epoll_wait(ep, out, 4, 1000);
	CHECK(n == 1 && out[0].data.u32 == 88);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) == 0);
	CHECK(close(ep) == 0);
	close(p[0]);
	close(p[1]);
	printf("epoll_ctl/epoll_wait over a TLS socket and a pipe (EPOLLET)\n");
}

/* ---- EINTR ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_eintr(int c)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	struct itimerspec its = {.it_value.tv_nsec = 200000000};
	timer_t t;
	char b;

	sigaction(SIGALRM, &sa, NULL);
	CHECK(timer_create(CLOCK_MONOTONIC, NULL, &t) == 0);
	CHECK(timer_settime(t, 0, &its, NULL) == 0);
	errno = 0;
	int64_t start = now_ms();

	CHECK(recv(c, &b, 1, 0) == -1 && errno == EINTR);
	CHECK(now_ms() - start < 5000);

	/* with SA_RESTART the call goes on waiting, here until SO_RCVTIMEO */
	struct timeval tv = {.tv_usec = 600000}, none = {0};

	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	CHECK(timer_settime(t, 0, &its, NULL) == 0);
	start = now_ms();
	errno = 0;
	CHECK(recv(c, &b, 1, 0) == -1 && errno == EAGAIN);
	CHECK(now_ms() - start >= 500);
	CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none)) == 0);
	timer_delete(t);
	signal(SIGALRM, SIG_DFL);
	printf("blocking recv and a signal: EINTR, or (SA_RESTART) waits on until SO_RCVTIMEO\n");
}

/* ---- fork and exec ---- */

static void test_fork_exec(int c, int s)
{
	char cmd[64], b;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* the child's copy is dead: nothing it does reaches the parent's session */
		errno = 0;
		int bad = write(c, "child", 5) != -1 || errno != EBADF;

		errno = 0;
		bad |= (read(c, &b, 1) != -1 || errno != EBADF) << 1;
		bad |= (close(c) != 0) << 2;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the parent's session goes on */
	CHECK(write(c, "after", 5) == 5 && read_full(s, cmd, 5) == 5 &&
	      memcmp(cmd, "after", 5) == 0);
	/* an exec'd program does not have the secure socket (always close-on-exec) */
	snprintf(cmd, sizeof(cmd), "[ ! -e /proc/self/fd/%d ]", c);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("fork: the child's copy is EBADF, the parent's session goes on; exec: not "
	       "inherited\n");
}

/* ---- SOL_TLS on a plain TCP socket is the kernel's (kTLS) ---- */

static void test_ktls_passthrough(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int direct_rc, direct_err, rc, err;
	unsigned char v[64] = {0};

	CHECK(fd >= 0);
	for (int opt = 1; opt <= 4; opt++) {
		errno = 0;
		direct_rc = (int)syscall(SYS_setsockopt, fd, SOL_TLS, opt, v, sizeof(v));
		direct_err = errno;
		errno = 0;
		rc = setsockopt(fd, SOL_TLS, opt, v, sizeof(v));
		err = errno;
		CHECK(rc == direct_rc && err == direct_err);
	}
	/* secsock's own option is not secsock's on a plain socket either */
	errno = 0;
	int one = 1;

	CHECK(setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) == -1);
	CHECK(errno != 0);
	close(fd);
	printf("SOL_TLS 1-4 on a plain TCP socket reach the kernel (errno %d, as a raw syscall)\n",
	       direct_err);
}

int main(void)
{
	unsigned short port;
	int lst, c, s;

	signal(SIGPIPE, SIG_IGN);
	add_file(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	add_file(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	add_file(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");

	test_ktls_passthrough();
	test_select_echo();

	lst = tls_listener(&port);
	if (tls_pair(lst, port, &c, &s) == 0) {
		printf("non-blocking connect: EINPROGRESS, handshake driven by poll()\n");
		test_vectors(c, s);
		test_sendfile(c, s);
		test_epoll(c, s);
		test_eintr(c);
		test_fork_exec(c, s);
		test_descriptors(c, s);
	}
	if (tls_pair(lst, port, &c, &s) == 0) {
		test_stdio(c, s);
		close(s);
	}
	test_close_range(lst, port);
	close(lst);
	printf("%s (%d failed checks)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
