/*
 * Plain (non-TLS) sockets made with zsock_socket() behave exactly like the
 * host's (docs/zephyr-behaviour.md §0): every call is compared with the host's own
 * call on an equivalent socket, results and errno alike. Also the secure
 * socket creation rules of docs/zephyr-behaviour.md §3.2 (family, type, SO_TYPE, SO_PROTOCOL).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/net_ip.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ---- helpers ---- */

struct outcome {
	long long r;
	int e;
};

static struct outcome outcome_of(long long r)
{
	struct outcome o = {r, r < 0 ? errno : 0};

	return o;
}

#define OUTCOME(call) (errno = 0, outcome_of((long long)(call)))

static void same_outcome(int line, const char *what, struct outcome z, struct outcome h, int exact)
{
	int ok = exact ? (z.r == h.r && z.e == h.e) : ((z.r < 0) == (h.r < 0) && z.e == h.e);

	if (!ok) {
		th_fail(__FILE__, line, "%s: zsock %lld errno %d (%s), host %lld errno %d (%s)",
			what, z.r, z.e, strerror(z.e), h.r, h.e, strerror(h.e));
	}
}

/* zsock call and host call must give the same return value and errno (evaluated in order). */
#define EXPECT_SAME(zcall, hcall)                                                                  \
	do {                                                                                       \
		struct outcome th_z = OUTCOME(zcall);                                              \
		struct outcome th_h = OUTCOME(hcall);                                              \
		same_outcome(__LINE__, #zcall, th_z, th_h, 1);                                     \
	} while (0)

static socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	a6->sin6_addr = in6addr_loopback;
	return sizeof(*a6);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	}
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || port_of(a) != port_of(b)) {
		return 0;
	}
	if (a->ss_family == AF_INET) {
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	}
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* Bound (loopback, ephemeral port) socket, made with zsock_* or the host's calls. */
static int bound(int use_z, int family, int type, struct sockaddr_storage *addr, socklen_t *len)
{
	int fd = use_z ? zsock_socket(family, type, 0) : socket(family, type, 0);

	if (fd < 0) {
		return -1;
	}
	*len = loopback(family, addr, 0);
	if ((use_z ? zsock_bind(fd, (struct sockaddr *)addr, *len)
		   : bind(fd, (struct sockaddr *)addr, *len)) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connected TCP pair over loopback; the listener is closed again. */
static int tcp_pair(int use_z, int family, int *cli, int *srv)
{
	struct sockaddr_storage a;
	socklen_t len;
	int lst = bound(use_z, family, SOCK_STREAM, &a, &len);

	*cli = *srv = -1;
	if (lst < 0 || listen(lst, 4) < 0) {
		return -1;
	}
	*cli = use_z ? zsock_socket(family, SOCK_STREAM, 0) : socket(family, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, len) < 0) {
		close(lst);
		return -1;
	}
	*srv = accept(lst, NULL, NULL);
	close(lst);
	return *srv < 0 ? -1 : 0;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static long long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---- TCP and UDP data paths (docs/zephyr-behaviour.md §0: plain sockets are the host's) ---- */

static void tcp_roundtrip(int family)
{
	struct sockaddr_storage la;
	struct sockaddr_storage ca;
	struct sockaddr_storage pa;
	struct sockaddr_storage sa;
	socklen_t len;
	socklen_t llen;
	char buf[16] = {0};
	char b1[3] = {0};
	char b2[2] = {0};
	int one = 1;
	int lst = zsock_socket(family, SOCK_STREAM, IPPROTO_TCP);

	ASSERT_TRUE(lst >= 0);
	EXPECT_OK(zsock_setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	llen = loopback(family, &la, 0);
	EXPECT_OK(zsock_bind(lst, (struct sockaddr *)&la, llen));
	EXPECT_OK(zsock_listen(lst, 4));
	EXPECT_OK(zsock_getsockname(lst, (struct sockaddr *)&la, &llen));
	EXPECT_EQ(la.ss_family, family);
	EXPECT_TRUE(port_of(&la) != 0);

	int cli = zsock_socket(family, SOCK_STREAM, 0);

	ASSERT_TRUE(cli >= 0);
	EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&la, llen));
	len = sizeof(pa);
	int srv = zsock_accept(lst, (struct sockaddr *)&pa, &len);

	ASSERT_TRUE(srv >= 0);
	/* accept()'s peer address is the client's local address; getpeername the listener's */
	len = sizeof(ca);
	EXPECT_OK(zsock_getsockname(cli, (struct sockaddr *)&ca, &len));
	EXPECT_TRUE(same_addr(&pa, &ca));
	len = sizeof(sa);
	EXPECT_OK(zsock_getpeername(cli, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(len, llen);
	EXPECT_TRUE(same_addr(&sa, &la));
	len = sizeof(sa);
	EXPECT_OK(zsock_getpeername(srv, (struct sockaddr *)&sa, &len));
	EXPECT_TRUE(same_addr(&sa, &ca));

	EXPECT_EQ(zsock_send(cli, "hello", 5, 0), 5);
	EXPECT_EQ(zsock_recv(srv, buf, 5, ZSOCK_MSG_WAITALL), 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);

	/* scatter/gather both ways */
	struct iovec out[2] = {{.iov_base = "ab", .iov_len = 2}, {.iov_base = "cde", .iov_len = 3}};
	struct iovec in[2] = {{.iov_base = b1, .iov_len = 3}, {.iov_base = b2, .iov_len = 2}};
	struct msghdr mo = {.msg_iov = out, .msg_iovlen = 2};
	struct msghdr mi = {.msg_iov = in, .msg_iovlen = 2};

	EXPECT_EQ(zsock_sendmsg(srv, &mo, 0), 5);
	EXPECT_EQ(zsock_recvmsg(cli, &mi, ZSOCK_MSG_WAITALL), 5);
	EXPECT_EQ(memcmp(b1, "abc", 3), 0);
	EXPECT_EQ(memcmp(b2, "de", 2), 0);

	/* MSG_PEEK leaves the byte in place */
	EXPECT_EQ(zsock_send(cli, "x", 1, 0), 1);
	EXPECT_TRUE(readable(srv, 1000));
	EXPECT_EQ(zsock_recv(srv, buf, sizeof(buf), ZSOCK_MSG_PEEK), 1);
	EXPECT_EQ(zsock_recv(srv, buf, sizeof(buf), 0), 1);
	EXPECT_EQ(buf[0], 'x');

	/* half close: the peer sees EOF, the other direction still works */
	EXPECT_OK(zsock_shutdown(cli, ZSOCK_SHUT_WR));
	EXPECT_EQ(zsock_recv(srv, buf, sizeof(buf), 0), 0);
	EXPECT_EQ(zsock_send(srv, "bye", 3, 0), 3);
	EXPECT_EQ(zsock_recv(cli, buf, 3, ZSOCK_MSG_WAITALL), 3);
	EXPECT_EQ(memcmp(buf, "bye", 3), 0);

	EXPECT_EQ(zsock_close(srv), 0);
	EXPECT_EQ(zsock_recv(cli, buf, sizeof(buf), 0), 0);
	EXPECT_EQ(zsock_close(cli), 0);
	EXPECT_EQ(zsock_close(lst), 0);
}

/* docs/zephyr-behaviour.md §0: TCP over 127.0.0.1 through zsock_* */
TEST(test_tcp_roundtrip_v4)
{
	tcp_roundtrip(AF_INET);
}

/* docs/zephyr-behaviour.md §0: TCP over ::1 through zsock_* */
TEST(test_tcp_roundtrip_v6)
{
	tcp_roundtrip(AF_INET6);
}

static void udp_roundtrip(int family)
{
	struct sockaddr_storage aa;
	struct sockaddr_storage ba;
	struct sockaddr_storage from;
	socklen_t alen;
	socklen_t blen;
	socklen_t flen;
	char buf[16] = {0};
	int a = bound(1, family, SOCK_DGRAM, &aa, &alen);
	int b = bound(1, family, SOCK_DGRAM, &ba, &blen);
	int h = socket(family, SOCK_DGRAM, 0);

	ASSERT_TRUE(a >= 0 && b >= 0 && h >= 0);
	EXPECT_EQ(zsock_sendto(b, "ping", 4, 0, (struct sockaddr *)&aa, alen), 4);
	flen = sizeof(from);
	EXPECT_EQ(zsock_recvfrom(a, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 4);
	EXPECT_EQ(memcmp(buf, "ping", 4), 0);
	EXPECT_EQ(flen, blen);
	EXPECT_TRUE(same_addr(&from, &ba));

	/* connected UDP: send/recv, getpeername; unconnected: ENOTCONN as the host */
	EXPECT_OK(zsock_connect(a, (struct sockaddr *)&ba, blen));
	EXPECT_EQ(zsock_send(a, "pong", 4, 0), 4);
	EXPECT_EQ(zsock_recv(b, buf, sizeof(buf), 0), 4);
	EXPECT_EQ(memcmp(buf, "pong", 4), 0);
	flen = sizeof(from);
	EXPECT_OK(zsock_getpeername(a, (struct sockaddr *)&from, &flen));
	EXPECT_TRUE(same_addr(&from, &ba));
	flen = sizeof(from);
	EXPECT_SAME(zsock_getpeername(b, (struct sockaddr *)&from, &flen),
		    getpeername(h, (struct sockaddr *)&from, &flen));

	/* sendmsg with a destination and two iovecs is one datagram; recvmsg reports the source */
	struct iovec out[2] = {{.iov_base = "ab", .iov_len = 2}, {.iov_base = "cd", .iov_len = 2}};
	struct msghdr mo = {.msg_name = &aa, .msg_namelen = alen, .msg_iov = out, .msg_iovlen = 2};
	struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mi = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1};

	EXPECT_EQ(zsock_sendmsg(b, &mo, 0), 4);
	EXPECT_EQ(zsock_recvmsg(a, &mi, 0), 4);
	EXPECT_EQ(memcmp(buf, "abcd", 4), 0);
	EXPECT_EQ(mi.msg_namelen, blen);
	EXPECT_TRUE(same_addr(&from, &ba));
	EXPECT_EQ(mi.msg_flags, 0);

	/* Linux: recv(MSG_TRUNC) on UDP returns the datagram's real length; the rest is dropped */
	EXPECT_EQ(zsock_sendto(b, "123456", 6, 0, (struct sockaddr *)&aa, alen), 6);
	EXPECT_TRUE(readable(a, 1000));
	EXPECT_EQ(zsock_recv(a, buf, 2, ZSOCK_MSG_TRUNC), 6);
	EXPECT_EQ(memcmp(buf, "12", 2), 0);
	EXPECT_ERRNO(zsock_recv(a, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT), EAGAIN);
	/* recvmsg into a short buffer flags MSG_TRUNC */
	EXPECT_EQ(zsock_sendto(b, "abcdef", 6, 0, (struct sockaddr *)&aa, alen), 6);
	in.iov_len = 3;
	mi.msg_namelen = sizeof(from);
	EXPECT_EQ(zsock_recvmsg(a, &mi, 0), 3);
	EXPECT_TRUE(mi.msg_flags & MSG_TRUNC);

	EXPECT_SAME(zsock_shutdown(b, ZSOCK_SHUT_RDWR), shutdown(h, SHUT_RDWR));
	EXPECT_EQ(zsock_close(a), 0);
	EXPECT_EQ(zsock_close(b), 0);
	close(h);
}

/* docs/zephyr-behaviour.md §0: UDP over 127.0.0.1 through zsock_* */
TEST(test_udp_roundtrip_v4)
{
	udp_roundtrip(AF_INET);
}

/* docs/zephyr-behaviour.md §0: UDP over ::1 through zsock_* */
TEST(test_udp_roundtrip_v6)
{
	udp_roundtrip(AF_INET6);
}

/* ---- errno for bad input equals the host's ---- */

/* docs/zephyr-behaviour.md §0: a descriptor that is not a socket → ENOTSOCK, as the host */
TEST(test_calls_not_socket_enotsock)
{
	char buf[4];
	int v = 1;
	socklen_t len = sizeof(v);
	struct sockaddr_storage a;
	socklen_t alen = loopback(AF_INET, &a, 0);
	int fd = open("/dev/null", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(zsock_recv(fd, buf, sizeof(buf), 0), ENOTSOCK);
	EXPECT_SAME(zsock_recv(fd, buf, sizeof(buf), 0), recv(fd, buf, sizeof(buf), 0));
	EXPECT_SAME(zsock_send(fd, "x", 1, 0), send(fd, "x", 1, 0));
	EXPECT_SAME(zsock_bind(fd, (struct sockaddr *)&a, alen),
		    bind(fd, (struct sockaddr *)&a, alen));
	EXPECT_SAME(zsock_listen(fd, 1), listen(fd, 1));
	EXPECT_SAME(zsock_shutdown(fd, SHUT_RD), shutdown(fd, SHUT_RD));
	EXPECT_SAME(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len),
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_SAME(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "a", 2),
		    setsockopt(fd, 282, 2, "a", 2));
	/* close() of any descriptor works, as the host's */
	EXPECT_EQ(zsock_close(fd), 0);
	EXPECT_ERRNO(fcntl(fd, F_GETFD), EBADF);
}

/* docs/zephyr-behaviour.md §0: a closed or negative descriptor → EBADF, as the host */
TEST(test_calls_closed_fd_ebadf)
{
	char buf[4];
	int v = 1;
	socklen_t len = sizeof(v);
	int fd = dup(1);

	ASSERT_TRUE(fd >= 0);
	close(fd);
	EXPECT_ERRNO(zsock_recv(fd, buf, sizeof(buf), 0), EBADF);
	EXPECT_SAME(zsock_recv(fd, buf, sizeof(buf), 0), recv(fd, buf, sizeof(buf), 0));
	EXPECT_SAME(zsock_send(fd, "x", 1, 0), send(fd, "x", 1, 0));
	EXPECT_SAME(zsock_close(fd), close(fd));
	EXPECT_SAME(zsock_fcntl(fd, F_GETFL, 0), fcntl(fd, F_GETFL, 0));
	EXPECT_SAME(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len),
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_SAME(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "a", 2),
		    setsockopt(fd, 282, 2, "a", 2));
	EXPECT_SAME(zsock_recv(-1, buf, sizeof(buf), 0), recv(-1, buf, sizeof(buf), 0));
	EXPECT_SAME(zsock_close(-1), close(-1));
}

static void connect_refused(int family)
{
	struct sockaddr_storage a;
	socklen_t len;
	/* a bound socket that never listens holds the port: connecting to it is refused */
	int holder = bound(0, family, SOCK_STREAM, &a, &len);
	int z = zsock_socket(family, SOCK_STREAM, 0);
	int h = socket(family, SOCK_STREAM, 0);

	ASSERT_TRUE(holder >= 0 && z >= 0 && h >= 0);
	EXPECT_ERRNO(zsock_connect(z, (struct sockaddr *)&a, len), ECONNREFUSED);
	close(z);
	z = zsock_socket(family, SOCK_STREAM, 0);
	EXPECT_SAME(zsock_connect(z, (struct sockaddr *)&a, len),
		    connect(h, (struct sockaddr *)&a, len));
	close(z);
	close(h);
	close(holder);
}

/* Zephyr test_connect_closed_port, on plain TCP: ECONNREFUSED as the host */
TEST(test_connect_closed_port_v4_econnrefused)
{
	connect_refused(AF_INET);
}

TEST(test_connect_closed_port_v6_econnrefused)
{
	connect_refused(AF_INET6);
}

static void bind_twice(int family, int type)
{
	struct sockaddr_storage za;
	struct sockaddr_storage ha;
	struct sockaddr_storage any;
	socklen_t zl;
	socklen_t hl;
	int z = bound(1, family, type, &za, &zl);
	int h = bound(0, family, type, &ha, &hl);
	socklen_t al = loopback(family, &any, 0);

	ASSERT_TRUE(z >= 0 && h >= 0);
	EXPECT_ERRNO(zsock_bind(z, (struct sockaddr *)&any, al), EINVAL);
	EXPECT_SAME(zsock_bind(z, (struct sockaddr *)&any, al),
		    bind(h, (struct sockaddr *)&any, al));
	close(z);
	close(h);
}

/* docs/zephyr-behaviour.md §0: binding twice → EINVAL, as the host (TCP and UDP, v4 and v6) */
TEST(test_bind_twice_einval)
{
	bind_twice(AF_INET, SOCK_STREAM);
	bind_twice(AF_INET, SOCK_DGRAM);
	bind_twice(AF_INET6, SOCK_STREAM);
	bind_twice(AF_INET6, SOCK_DGRAM);
}

/* docs/zephyr-behaviour.md §0: a port in use → EADDRINUSE, as the host */
TEST(test_bind_port_in_use_eaddrinuse)
{
	struct sockaddr_storage a;
	socklen_t len;
	int holder = bound(0, AF_INET, SOCK_STREAM, &a, &len);
	int z = zsock_socket(AF_INET, SOCK_STREAM, 0);
	int h = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_TRUE(holder >= 0 && z >= 0 && h >= 0);
	EXPECT_OK(listen(holder, 1));
	EXPECT_SAME(zsock_bind(z, (struct sockaddr *)&a, len), bind(h, (struct sockaddr *)&a, len));
	close(z);
	close(h);
	close(holder);
}

/* socket() on the zsock side and the host side: same success or errno; closes what it made */
static void socket_same(int line, int family, int type, int proto)
{
	struct outcome z = OUTCOME(zsock_socket(family, type, proto));
	struct outcome h = OUTCOME(socket(family, type, proto));
	char what[64];

	(void)snprintf(what, sizeof(what), "socket(%d, %d, %d)", family, type, proto);
	same_outcome(line, what, z, h, 0);
	if (z.r >= 0) {
		zsock_close((int)z.r);
	}
	if (h.r >= 0) {
		close((int)h.r);
	}
}

/* docs/zephyr-behaviour.md §0: socket() with non-secure protocol numbers is the host's socket() */
TEST(test_socket_non_secure_proto_as_host)
{
	EXPECT_ERRNO(zsock_socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	socket_same(__LINE__, 12345, SOCK_STREAM, 0);
	socket_same(__LINE__, AF_INET, 1234, 0);
	socket_same(__LINE__, AF_INET, SOCK_STREAM, IPPROTO_UDP);
	socket_same(__LINE__, AF_INET, SOCK_DGRAM, IPPROTO_TCP);
	socket_same(__LINE__, AF_INET, SOCK_STREAM, -1);
	socket_same(__LINE__, AF_UNIX, SOCK_STREAM, 0);
	socket_same(__LINE__, AF_UNIX, SOCK_DGRAM, 0);
	socket_same(__LINE__, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	/* numbers next to, but not, secure protocols are the kernel's business (262: MPTCP) */
	socket_same(__LINE__, AF_INET, SOCK_STREAM, 255);
	socket_same(__LINE__, AF_INET, SOCK_STREAM, 260);
	socket_same(__LINE__, AF_INET, SOCK_STREAM, 262);
	socket_same(__LINE__, AF_INET, SOCK_STREAM, 271);
	socket_same(__LINE__, AF_INET, SOCK_DGRAM, 274);
}

/* docs/zephyr-behaviour.md §0: misuse of plain sockets fails as the host */
TEST(test_plain_misuse_as_host)
{
	struct sockaddr_storage a = {0}; /* contents irrelevant: addrlen 3 is too short */
	struct sockaddr_storage pa;
	socklen_t plen = sizeof(pa);
	socklen_t olen = sizeof(int);
	char buf[4];
	int ov = 0;
	int zu = zsock_socket(AF_INET, SOCK_DGRAM, 0);
	int hu = socket(AF_INET, SOCK_DGRAM, 0);
	int zt = zsock_socket(AF_INET, SOCK_STREAM, 0);
	int ht = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_TRUE(zu >= 0 && hu >= 0 && zt >= 0 && ht >= 0);
	EXPECT_SAME(zsock_listen(zu, 1), listen(hu, 1));
	EXPECT_SAME(zsock_accept(zt, NULL, NULL), accept(ht, NULL, NULL));
	EXPECT_SAME(zsock_send(zt, "x", 1, MSG_NOSIGNAL), send(ht, "x", 1, MSG_NOSIGNAL));
	EXPECT_SAME(zsock_recv(zt, buf, sizeof(buf), 0), recv(ht, buf, sizeof(buf), 0));
	EXPECT_SAME(zsock_connect(zt, (struct sockaddr *)&a, 3),
		    connect(ht, (struct sockaddr *)&a, 3));
	EXPECT_SAME(zsock_shutdown(zt, SHUT_RDWR), shutdown(ht, SHUT_RDWR));
	EXPECT_SAME(zsock_shutdown(zt, 42), shutdown(ht, 42));
	EXPECT_SAME(zsock_getpeername(zt, (struct sockaddr *)&pa, &plen),
		    getpeername(ht, (struct sockaddr *)&pa, &plen));
	EXPECT_SAME(zsock_sendto(zu, "x", 1, 0, NULL, 0), sendto(hu, "x", 1, 0, NULL, 0));
	EXPECT_SAME(zsock_getsockopt(zt, 9999, 1, &ov, &olen), getsockopt(ht, 9999, 1, &ov, &olen));
	close(zu);
	close(hu);
	close(zt);
	close(ht);
}

/* ---- fcntl, poll, select, ioctl ---- */

static void nonblock_recv(int fd)
{
	char buf[4];
	int fl = zsock_fcntl(fd, F_GETFL, 0);

	ASSERT_TRUE(fl >= 0);
	EXPECT_EQ(fl & O_NONBLOCK, 0);
	EXPECT_EQ(fl, fcntl(fd, F_GETFL));
	EXPECT_ERRNO(zsock_recv(fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT), EAGAIN);
	EXPECT_OK(zsock_fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_TRUE(zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_ERRNO(zsock_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	EXPECT_OK(zsock_fcntl(fd, F_SETFL, fl));
	EXPECT_EQ(zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK, 0);
}

/* docs/zephyr-behaviour.md §0: F_GETFL/F_SETFL O_NONBLOCK, then recv → EAGAIN (TCP, UDP, accept) */
TEST(test_fcntl_nonblock_recv_eagain)
{
	struct sockaddr_storage a;
	socklen_t len;
	int cli;
	int srv;
	int u = bound(1, AF_INET, SOCK_DGRAM, &a, &len);
	int lst = bound(1, AF_INET6, SOCK_STREAM, &a, &len);

	ASSERT_TRUE(tcp_pair(1, AF_INET, &cli, &srv) == 0 && u >= 0 && lst >= 0);
	nonblock_recv(cli);
	nonblock_recv(u);
	EXPECT_OK(zsock_listen(lst, 1));
	EXPECT_OK(zsock_fcntl(lst, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(zsock_accept(lst, NULL, NULL), EAGAIN);
	EXPECT_SAME(zsock_fcntl(u, 9999, 0), fcntl(u, 9999, 0));
	close(cli);
	close(srv);
	close(u);
	close(lst);
}

/* docs/zephyr-behaviour.md §0: zsock_poll on a TCP pair and a UDP socket, as the host's poll */
TEST(test_poll_mixed_tcp_udp)
{
	struct sockaddr_storage ua;
	socklen_t ulen;
	int cli;
	int srv;
	int dead = dup(1);
	int u = bound(1, AF_INET, SOCK_DGRAM, &ua, &ulen);

	ASSERT_TRUE(tcp_pair(1, AF_INET, &cli, &srv) == 0 && u >= 0 && dead >= 0);
	close(dead);

	struct zsock_pollfd z[4] = {{.fd = cli, .events = ZSOCK_POLLIN},
				    {.fd = u, .events = ZSOCK_POLLIN},
				    {.fd = -1, .events = ZSOCK_POLLIN},
				    {.fd = srv, .events = ZSOCK_POLLIN}};

	/* nothing readable: timeout 0 returns 0 at once */
	EXPECT_EQ(zsock_poll(z, 4, 0), 0);
	EXPECT_EQ(zsock_poll(NULL, 0, 10), 0);

	EXPECT_EQ(sendto(u, "d", 1, 0, (struct sockaddr *)&ua, ulen), 1);
	EXPECT_EQ(zsock_poll(z, 4, 1000), 1);
	EXPECT_EQ(z[0].revents, 0);
	EXPECT_EQ(z[1].revents, ZSOCK_POLLIN);
	EXPECT_EQ(z[2].revents, 0); /* negative fd ignored */
	EXPECT_EQ(z[3].revents, 0);

	/* POLLOUT on the connected TCP socket; POLLNVAL on a closed fd, as the host */
	z[0].events = ZSOCK_POLLIN | ZSOCK_POLLOUT;
	z[2].fd = dead;
	struct pollfd h[4];

	memcpy(h, z, sizeof(h));
	EXPECT_EQ(zsock_poll(z, 4, 1000), poll(h, 4, 1000));
	EXPECT_EQ(z[0].revents, ZSOCK_POLLOUT);
	EXPECT_EQ(z[2].revents, ZSOCK_POLLNVAL);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(z[i].revents, h[i].revents);
	}

	/* peer closed: same events as the host reports (POLLIN, and POLLHUP after RST/FIN) */
	close(srv);
	z[2].fd = -1;
	EXPECT_TRUE(readable(cli, 1000));
	memcpy(h, z, sizeof(h));
	EXPECT_EQ(zsock_poll(z, 3, 0), poll(h, 3, 0));
	EXPECT_TRUE(z[0].revents & ZSOCK_POLLIN);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(z[i].revents, h[i].revents);
	}
	close(cli);
	close(u);
}

/* docs/zephyr-behaviour.md §0: zsock_select over a TCP pair and a UDP socket */
TEST(test_select_mixed_tcp_udp)
{
	struct sockaddr_storage ua;
	socklen_t ulen;
	int cli;
	int srv;
	int u = bound(1, AF_INET6, SOCK_DGRAM, &ua, &ulen);
	zsock_fd_set r;
	zsock_fd_set w;
	struct zsock_timeval tv = {0, 0};
	struct timespec t0;

	ASSERT_TRUE(tcp_pair(1, AF_INET6, &cli, &srv) == 0 && u >= 0);
	int maxfd = (cli > u ? cli : u) + 1;

	ZSOCK_FD_ZERO(&r);
	ZSOCK_FD_SET(cli, &r);
	ZSOCK_FD_SET(u, &r);
	EXPECT_EQ(zsock_select(maxfd, &r, NULL, NULL, &tv), 0);
	EXPECT_TRUE(!ZSOCK_FD_ISSET(cli, &r) && !ZSOCK_FD_ISSET(u, &r));

	EXPECT_EQ(sendto(u, "d", 1, 0, (struct sockaddr *)&ua, ulen), 1);
	ZSOCK_FD_ZERO(&r);
	ZSOCK_FD_SET(cli, &r);
	ZSOCK_FD_SET(u, &r);
	ZSOCK_FD_ZERO(&w);
	ZSOCK_FD_SET(cli, &w);
	tv.tv_sec = 1;
	EXPECT_EQ(zsock_select(maxfd, &r, &w, NULL, &tv), 2);
	EXPECT_TRUE(ZSOCK_FD_ISSET(u, &r));
	EXPECT_TRUE(!ZSOCK_FD_ISSET(cli, &r));
	EXPECT_TRUE(ZSOCK_FD_ISSET(cli, &w));

	/* a plain timeout sleeps about as long as asked */
	tv.tv_sec = 0;
	tv.tv_usec = 50000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(zsock_select(0, NULL, NULL, NULL, &tv), 0);
	EXPECT_TRUE(elapsed_ms(&t0) >= 40);
	close(cli);
	close(srv);
	close(u);
}

/* docs/zephyr-behaviour.md §0: zsock_ioctl(FIONREAD) on plain TCP and UDP gives the host's count */
TEST(test_ioctl_fionread_plain)
{
	struct sockaddr_storage ua;
	socklen_t ulen;
	int cli;
	int srv;
	int zn = -1;
	int hn = -2;
	int u = bound(1, AF_INET, SOCK_DGRAM, &ua, &ulen);

	ASSERT_TRUE(tcp_pair(1, AF_INET, &cli, &srv) == 0 && u >= 0);
	EXPECT_EQ(zsock_ioctl(srv, FIONREAD, &zn), 0);
	EXPECT_EQ(zn, 0);
	EXPECT_EQ(zsock_send(cli, "12345", 5, 0), 5);
	EXPECT_TRUE(readable(srv, 1000));
	EXPECT_EQ(zsock_ioctl(srv, FIONREAD, &zn), 0);
	EXPECT_EQ(ioctl(srv, FIONREAD, &hn), 0);
	EXPECT_EQ(zn, 5);
	EXPECT_EQ(zn, hn);
	EXPECT_EQ(sendto(u, "abc", 3, 0, (struct sockaddr *)&ua, ulen), 3);
	EXPECT_TRUE(readable(u, 1000));
	EXPECT_EQ(zsock_ioctl(u, FIONREAD, &zn), 0);
	EXPECT_EQ(zn, 3);
	close(cli);
	close(srv);
	close(u);
}

/* ---- name resolution and address conversion ---- */

/* docs/zephyr-behaviour.md §0: zsock_getaddrinfo/freeaddrinfo/gai_strerror are the host's */
TEST(test_getaddrinfo_localhost)
{
	struct zsock_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo hhints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct zsock_addrinfo *res = NULL;
	struct addrinfo *hres = NULL;
	int n = 0;
	int hn = 0;

	ASSERT_TRUE(zsock_getaddrinfo("localhost", "443", &hints, &res) == 0);
	ASSERT_TRUE(getaddrinfo("localhost", "443", &hhints, &hres) == 0);
	for (struct zsock_addrinfo *ai = res; ai != NULL; ai = ai->ai_next, n++) {
		struct sockaddr_storage ss;

		EXPECT_TRUE(ai->ai_family == AF_INET || ai->ai_family == AF_INET6);
		EXPECT_EQ(ai->ai_socktype, SOCK_STREAM);
		ASSERT_TRUE(ai->ai_addr != NULL && ai->ai_addrlen <= sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		EXPECT_EQ(port_of(&ss), 443);
	}
	for (struct addrinfo *ai = hres; ai != NULL; ai = ai->ai_next) {
		hn++;
	}
	EXPECT_TRUE(n > 0);
	EXPECT_EQ(n, hn);
	zsock_freeaddrinfo(res);
	freeaddrinfo(hres);

	/* failures: same EAI_* code and message as the host (no network needed) */
	hints.ai_flags = AI_NUMERICHOST;
	hhints.ai_flags = AI_NUMERICHOST;
	res = NULL;
	int zr = zsock_getaddrinfo("not-an-address", "443", &hints, &res);

	EXPECT_EQ(zr, getaddrinfo("not-an-address", "443", &hhints, &hres));
	EXPECT_TRUE(zr != 0);
	EXPECT_TRUE(res == NULL);
	EXPECT_STREQ(zsock_gai_strerror(zr), gai_strerror(zr));
	EXPECT_STREQ(zsock_gai_strerror(EAI_NONAME), gai_strerror(EAI_NONAME));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hhints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	EXPECT_EQ(zsock_getaddrinfo("::1", "https", &hints, &res),
		  getaddrinfo("::1", "https", &hhints, &hres));
	EXPECT_EQ(zsock_getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
	ASSERT_TRUE(res != NULL);
	EXPECT_EQ(res->ai_family, AF_INET);
	zsock_freeaddrinfo(res);
}

/* docs/zephyr-behaviour.md §0: zsock_gethostname is the host's */
TEST(test_gethostname_as_host)
{
	char z[256] = {0};
	char h[256] = {0};

	EXPECT_EQ(zsock_gethostname(z, sizeof(z)), 0);
	EXPECT_EQ(gethostname(h, sizeof(h)), 0);
	EXPECT_STREQ(z, h);
}

/* docs/zephyr-behaviour.md §0: zsock_inet_pton/ntop: v4, v6, bad input (0), as the host */
TEST(test_inet_pton_ntop_v4_v6_bad)
{
	struct in_addr a4;
	struct in_addr h4;
	struct in6_addr a6;
	struct in6_addr h6;
	char s[INET6_ADDRSTRLEN];
	char hs[INET6_ADDRSTRLEN];

	EXPECT_EQ(zsock_inet_pton(AF_INET, "192.0.2.1", &a4), 1);
	EXPECT_EQ(a4.s_addr, htonl(0xc0000201));
	EXPECT_STREQ(zsock_inet_ntop(AF_INET, &a4, s, sizeof(s)), "192.0.2.1");
	EXPECT_EQ(zsock_inet_pton(AF_INET6, "2001:db8::1", &a6), 1);
	EXPECT_EQ(inet_pton(AF_INET6, "2001:db8::1", &h6), 1);
	EXPECT_EQ(memcmp(&a6, &h6, sizeof(a6)), 0);
	EXPECT_STREQ(zsock_inet_ntop(AF_INET6, &a6, s, sizeof(s)), "2001:db8::1");
	EXPECT_EQ(zsock_inet_pton(AF_INET6, "::ffff:10.0.0.1", &a6), 1);
	EXPECT_STREQ(zsock_inet_ntop(AF_INET6, &a6, s, sizeof(s)),
		     inet_ntop(AF_INET6, &a6, hs, sizeof(hs)));

	/* bad input: 0, as the host */
	static const char *const bad4[] = {"300.1.1.1", "1.2.3", "1.2.3.4.5", "", "a.b.c.d", "::1"};
	static const char *const bad6[] = {"::g", "1:2:3:4:5:6:7:8:9", "1::2::3", "", "1.2.3.4"};

	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		EXPECT_EQ(zsock_inet_pton(AF_INET, bad4[i], &a4), 0);
		EXPECT_EQ(inet_pton(AF_INET, bad4[i], &h4), 0);
	}
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		EXPECT_EQ(zsock_inet_pton(AF_INET6, bad6[i], &a6), 0);
	}
	/* unknown family: POSIX says -1/EAFNOSUPPORT, Zephyr's zsock_inet_pton says 0 */
	errno = 0;
	int r = zsock_inet_pton(AF_UNIX, "1.2.3.4", &a4);

	EXPECT_TRUE(r == 0 || (r == -1 && errno == EAFNOSUPPORT));
	/* a too-small buffer or an unknown family: NULL with the host's errno */
	errno = 0;
	EXPECT_TRUE(zsock_inet_ntop(AF_INET, &a4, s, 4) == NULL);
	EXPECT_EQ(errno, ENOSPC);
	errno = 0;
	EXPECT_TRUE(zsock_inet_ntop(AF_UNIX, &a4, s, sizeof(s)) == NULL);
	EXPECT_EQ(errno, EAFNOSUPPORT);
}

/* ---- socket options on plain sockets pass through ---- */

static void sockopt_int_same(int z, int h, int level, int name, int val)
{
	int zv = -1;
	int hv = -2;
	socklen_t zl = sizeof(zv);
	socklen_t hl = sizeof(hv);

	EXPECT_SAME(zsock_setsockopt(z, level, name, &val, sizeof(val)),
		    setsockopt(h, level, name, &val, sizeof(val)));
	EXPECT_SAME(zsock_getsockopt(z, level, name, &zv, &zl),
		    getsockopt(h, level, name, &hv, &hl));
	EXPECT_EQ(zv, hv);
	EXPECT_EQ(zl, hl);
}

/* docs/zephyr-behaviour.md §0: SOL_SOCKET/IPPROTO_TCP options on plain sockets are the host's */
TEST(test_sockopt_plain_passthrough)
{
	int z = zsock_socket(AF_INET, SOCK_STREAM, 0);
	int h = socket(AF_INET, SOCK_STREAM, 0);
	long long big[2] = {0, 0};
	socklen_t len = sizeof(big);
	socklen_t hlen = sizeof(big);

	ASSERT_TRUE(z >= 0 && h >= 0);
	sockopt_int_same(z, h, SOL_SOCKET, SO_REUSEADDR, 1);
	sockopt_int_same(z, h, SOL_SOCKET, SO_RCVBUF, 4096); /* the kernel doubles it */
	sockopt_int_same(z, h, SOL_SOCKET, SO_SNDBUF, 8192);
	sockopt_int_same(z, h, SOL_SOCKET, SO_KEEPALIVE, 1);
	sockopt_int_same(z, h, IPPROTO_TCP, TCP_NODELAY, 1);
	/* SO_PROTOCOL: a plain socket reports TCP; an 8-byte buffer is fine for the kernel */
	EXPECT_SAME(zsock_getsockopt(z, SOL_SOCKET, SO_PROTOCOL, big, &len),
		    getsockopt(h, SOL_SOCKET, SO_PROTOCOL, big, &hlen));
	EXPECT_EQ(len, hlen);
	EXPECT_EQ((int)big[0], IPPROTO_TCP);
	EXPECT_SAME(zsock_setsockopt(z, SOL_SOCKET, SO_RCVBUF, NULL, 4),
		    setsockopt(h, SOL_SOCKET, SO_RCVBUF, NULL, 4));
	EXPECT_SAME(zsock_setsockopt(z, SOL_SOCKET, SO_RCVBUF, big, 2),
		    setsockopt(h, SOL_SOCKET, SO_RCVBUF, big, 2));
	close(z);
	close(h);
}

/* docs/zephyr-behaviour.md §0: SO_RCVTIMEO on a plain socket is the kernel's (EAGAIN at expiry) */
TEST(test_sockopt_plain_rcvtimeo)
{
	int cli;
	int srv;
	char buf[4];
	struct zsock_timeval tv = {0, 150000};
	struct zsock_timeval got = {0, 0};
	socklen_t len = sizeof(got);
	struct timespec t0;

	ASSERT_TRUE(tcp_pair(1, AF_INET, &cli, &srv) == 0);
	EXPECT_OK(zsock_setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_OK(zsock_getsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	EXPECT_EQ(got.tv_sec, 0);
	EXPECT_TRUE(got.tv_usec >= 140000 && got.tv_usec <= 160000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ERRNO(zsock_recv(cli, buf, sizeof(buf), 0), EAGAIN);
	EXPECT_TRUE(elapsed_ms(&t0) >= 120);
	close(cli);
	close(srv);
}

struct opt_case {
	const void *val;
	int name;
	socklen_t len;
};

/* All SOL_TLS set/get calls give the same result on the zsock socket as on the host socket. */
static void sol_tls_same(int z, int h)
{
	static const int one = 1;
	static const int two = 2;
	static const int tags[2] = {1, 2};
	static const char host[] = "example.com";
	const struct opt_case sets[] = {
		{.name = TLS_SEC_TAG_LIST, .val = tags, .len = sizeof(tags)},
		{.name = TLS_HOSTNAME, .val = host, .len = sizeof(host)},
		{.name = TLS_HOSTNAME, .val = NULL, .len = 0},
		{.name = TLS_CIPHERSUITE_LIST, .val = tags, .len = sizeof(tags)},
		{.name = TLS_PEER_VERIFY, .val = &two, .len = sizeof(two)},
		{.name = TLS_DTLS_ROLE, .val = &one, .len = sizeof(one)},
		{.name = TLS_PEER_VERIFY, .val = &one, .len = 1},
	};
	unsigned char zb[64];
	unsigned char hb[64];

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		EXPECT_SAME(zsock_setsockopt(z, SOL_TLS, sets[i].name, sets[i].val, sets[i].len),
			    setsockopt(h, 282, sets[i].name, sets[i].val, sets[i].len));
	}
	for (int opt = 1; opt <= 20; opt++) {
		socklen_t zl = sizeof(zb);
		socklen_t hl = sizeof(hb);

		EXPECT_SAME(zsock_setsockopt(z, SOL_TLS, opt, &one, sizeof(one)),
			    setsockopt(h, 282, opt, &one, sizeof(one)));
		EXPECT_SAME(zsock_getsockopt(z, SOL_TLS, opt, zb, &zl),
			    getsockopt(h, 282, opt, hb, &hl));
		EXPECT_EQ(zl, hl);
	}
	/* NULL pointers: the kernel says EFAULT, not the TLS layer's EINVAL */
	EXPECT_SAME(zsock_getsockopt(z, SOL_TLS, TLS_CIPHERSUITE_USED, NULL, NULL),
		    getsockopt(h, 282, TLS_CIPHERSUITE_USED, NULL, NULL));
	EXPECT_SAME(zsock_setsockopt(z, SOL_TLS, TLS_PEER_VERIFY, NULL, sizeof(int)),
		    setsockopt(h, 282, TLS_PEER_VERIFY, NULL, sizeof(int)));
}

/*
 * docs/zephyr-behaviour.md §0: SOL_TLS (282) on a socket that is not a secure socket goes to the
 * kernel untouched (Linux kTLS shares the level and options 1-4). Compared, not hard-coded:
 * TCP (fresh and connected), UDP, and AF_UNIX, where the kernel's errno differs from any a
 * TLS layer would invent.
 */
TEST(test_sol_tls_on_plain_goes_to_kernel)
{
	int zc;
	int zs;
	int hc;
	int hs;
	int z = zsock_socket(AF_INET, SOCK_STREAM, 0);
	int h = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_TRUE(z >= 0 && h >= 0);
	sol_tls_same(z, h);
	close(z);
	close(h);

	ASSERT_TRUE(tcp_pair(1, AF_INET, &zc, &zs) == 0 && tcp_pair(0, AF_INET, &hc, &hs) == 0);
	sol_tls_same(zc, hc);
	/* where the kernel has the tls ULP, SOL_TLS then reaches kTLS itself: still identical */
	EXPECT_SAME(zsock_setsockopt(zc, IPPROTO_TCP, TCP_ULP, "tls", 3),
		    setsockopt(hc, IPPROTO_TCP, TCP_ULP, "tls", 3));
	sol_tls_same(zc, hc);
	close(zc);
	close(zs);
	close(hc);
	close(hs);

	z = zsock_socket(AF_INET6, SOCK_DGRAM, 0);
	h = socket(AF_INET6, SOCK_DGRAM, 0);
	ASSERT_TRUE(z >= 0 && h >= 0);
	sol_tls_same(z, h);
	close(z);
	close(h);

	z = zsock_socket(AF_UNIX, SOCK_STREAM, 0);
	h = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_TRUE(z >= 0 && h >= 0);
	sol_tls_same(z, h);
	close(z);
	close(h);
}

/* ---- secure socket creation (docs/zephyr-behaviour.md §3.2) ---- */

/* docs/zephyr-behaviour.md §3.2: a secure protocol needs AF_INET/AF_INET6 → EAFNOSUPPORT */
TEST(test_tls_socket_bad_family_eafnosupport)
{
	static const int fams[] = {AF_UNIX, AF_PACKET, AF_UNSPEC, AF_NETLINK};

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		EXPECT_ERRNO(zsock_socket(fams[i], SOCK_STREAM, IPPROTO_TLS_1_2), EAFNOSUPPORT);
		EXPECT_ERRNO(zsock_socket(fams[i], SOCK_DGRAM, IPPROTO_DTLS_1_2), EAFNOSUPPORT);
	}
	/* family is checked before type (protocol_check order) */
	EXPECT_ERRNO(zsock_socket(AF_UNIX, SOCK_DGRAM, IPPROTO_TLS_1_2), EAFNOSUPPORT);
}

/* docs/zephyr-behaviour.md §3.2: TLS 256-259 need SOCK_STREAM, DTLS 272-273 SOCK_DGRAM */
TEST(test_secure_socket_wrong_type_eprototype)
{
	static const int fams[] = {AF_INET, AF_INET6};

	for (int i = 0; i < 2; i++) {
		for (int p = IPPROTO_TLS_1_0; p <= IPPROTO_TLS_1_3; p++) {
			EXPECT_ERRNO(zsock_socket(fams[i], SOCK_DGRAM, p), EPROTOTYPE);
			EXPECT_ERRNO(zsock_socket(fams[i], SOCK_SEQPACKET, p), EPROTOTYPE);
		}
		EXPECT_ERRNO(zsock_socket(fams[i], SOCK_STREAM, IPPROTO_DTLS_1_0), EPROTOTYPE);
		EXPECT_ERRNO(zsock_socket(fams[i], SOCK_STREAM, IPPROTO_DTLS_1_2), EPROTOTYPE);
		EXPECT_ERRNO(zsock_socket(fams[i], SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_DTLS_1_2),
			     EPROTOTYPE);
	}
}

static void check_secure_socket(int family, int type, int proto)
{
	struct stat st;
	int v = -1;
	socklen_t len = sizeof(v);
	int fd = zsock_socket(family, type, proto);

	if (fd < 0) {
		th_fail(__FILE__, __LINE__, "zsock_socket(%d, %d, %d): errno %d (%s)", family, type,
			proto, errno, strerror(errno));
		return;
	}
	EXPECT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	/* Zephyr test_so_type: SO_TYPE is the transport's, optlen sizeof(int) */
	EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(v, type);
	EXPECT_EQ(len, sizeof(int));
	/* Zephyr test_so_protocol: SO_PROTOCOL is the secure protocol number */
	v = -1;
	len = sizeof(v);
	EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(v, proto);
	EXPECT_EQ(len, sizeof(int));
	EXPECT_EQ(zsock_close(fd), 0);
}

/* docs/zephyr-behaviour.md §3.2 / Zephyr test_so_type, test_so_protocol: TLS 256-259, v4, v6 */
TEST(test_tls_socket_create_all_versions)
{
	for (int p = IPPROTO_TLS_1_0; p <= IPPROTO_TLS_1_3; p++) {
		check_secure_socket(AF_INET, SOCK_STREAM, p);
		check_secure_socket(AF_INET6, SOCK_STREAM, p);
	}
}

/* docs/zephyr-behaviour.md §3.2: DTLS 272/273 on SOCK_DGRAM, v4 and v6 */
TEST(test_dtls_socket_create_all_versions)
{
	check_secure_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_0);
	check_secure_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	check_secure_socket(AF_INET6, SOCK_DGRAM, IPPROTO_DTLS_1_0);
	check_secure_socket(AF_INET6, SOCK_DGRAM, IPPROTO_DTLS_1_2);
}

/* Zephyr test_so_protocol with the exact values it uses: IPPROTO_TLS_1_2 and IPPROTO_TLS_1_1 */
TEST(test_so_protocol_tls_1_2_and_1_1)
{
	int v = 0;
	socklen_t len = sizeof(v);
	int a = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int b = zsock_socket(AF_INET6, SOCK_STREAM, IPPROTO_TLS_1_1);

	ASSERT_TRUE(a >= 0 && b >= 0);
	EXPECT_OK(zsock_getsockopt(a, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(v, IPPROTO_TLS_1_2);
	len = sizeof(v);
	EXPECT_OK(zsock_getsockopt(b, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(v, IPPROTO_TLS_1_1);
	EXPECT_EQ(zsock_close(a), 0);
	EXPECT_EQ(zsock_close(b), 0);
}

/* docs/zephyr-behaviour.md §1.4: SO_PROTOCOL, secure socket, optlen != sizeof(int) → EINVAL */
TEST(test_so_protocol_bad_optlen_einval)
{
	long long v = 0;
	socklen_t len;
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	int d = zsock_socket(AF_INET6, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	ASSERT_TRUE(fd >= 0 && d >= 0);
	len = 2;
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len), EINVAL);
	len = sizeof(v);
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len), EINVAL);
	len = 0;
	EXPECT_ERRNO(zsock_getsockopt(d, SOL_SOCKET, SO_PROTOCOL, &v, &len), EINVAL);
	EXPECT_EQ(zsock_close(fd), 0);
	EXPECT_EQ(zsock_close(d), 0);
}

/* docs/zephyr-behaviour.md §3.2: SOCK_NONBLOCK|SOCK_CLOEXEC accepted; F_GETFL shows O_NONBLOCK */
TEST(test_tls_socket_type_flags_nonblock_cloexec)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TLS_1_2);
	int d = zsock_socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_DTLS_1_2);
	int v = 0;
	socklen_t len = sizeof(v);

	ASSERT_TRUE(fd >= 0 && d >= 0);
	EXPECT_TRUE(zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(v, SOCK_STREAM);
	EXPECT_TRUE(zsock_fcntl(d, F_GETFL, 0) & O_NONBLOCK);
	EXPECT_EQ(fcntl(d, F_GETFD) & FD_CLOEXEC, 0);
	/* and it can be switched back to blocking */
	EXPECT_OK(zsock_fcntl(fd, F_SETFL, zsock_fcntl(fd, F_GETFL, 0) & ~O_NONBLOCK));
	EXPECT_EQ(zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK, 0);
	EXPECT_EQ(zsock_close(fd), 0);
	EXPECT_EQ(zsock_close(d), 0);
}

/* docs/zephyr-behaviour.md §3.8: close() returns 0, then the descriptor is gone (EBADF) */
TEST(test_secure_socket_close_then_ebadf)
{
	struct stat st;
	int v = 0;
	socklen_t len = sizeof(v);
	char buf[4];
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_3);
	int d = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);

	ASSERT_TRUE(fd >= 0 && d >= 0);
	EXPECT_EQ(zsock_close(fd), 0);
	EXPECT_EQ(zsock_close(d), 0);
	EXPECT_ERRNO(zsock_close(fd), EBADF);
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len), EBADF);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "a", 2), EBADF);
	EXPECT_ERRNO(zsock_recv(d, buf, sizeof(buf), 0), EBADF);
	EXPECT_ERRNO(fstat(fd, &st), EBADF);
	EXPECT_ERRNO(fstat(d, &st), EBADF);

	/* the number is reused by the next socket, which is then plain again */
	fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(zsock_close(fd), 0);
	int p = zsock_socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_TRUE(p >= 0);
	v = 0;
	len = sizeof(v);
	EXPECT_OK(zsock_getsockopt(p, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(v, IPPROTO_TCP);
	EXPECT_EQ(zsock_close(p), 0);
}

/* A number freed by a secure socket and reused by a host socket() is a plain socket again. */
TEST(test_plain_reuses_number_after_secure_close)
{
	int v = 0;
	socklen_t len = sizeof(v);
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(zsock_close(fd), 0);
	int p = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_TRUE(p >= 0);
	EXPECT_EQ(p, fd);
	EXPECT_OK(zsock_getsockopt(p, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(v, IPPROTO_UDP);
	EXPECT_SAME(zsock_setsockopt(p, SOL_TLS, TLS_HOSTNAME, "a", 2),
		    setsockopt(p, 282, TLS_HOSTNAME, "a", 2));
	close(p);
}
