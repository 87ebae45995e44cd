/*
 * libsecsock-posix: the C library's socket and descriptor names, routed to
 * secsock for secure sockets (docs/posix.md). Every call makes one lock-free
 * zt_fd_kind() lookup; a descriptor that is not a secure socket goes to the
 * C library's definition (posix/real.h) with its arguments unchanged.
 *
 * This file: creation, connection, options, closing and duplicating,
 * fcntl/ioctl, poll/select, epoll, fdopen. Data transfer: io.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <secsock/secsock.h>

#include "poll/poll.h"
#include "posix/posix.h"
#include "sock/sock.h"
#include "util/util.h"

#ifdef ZP_HAVE_EPOLL
#include "posix/epoll.h"
#endif

extern void __chk_fail(void) __attribute__((noreturn));

__attribute__((constructor)) static void zp_init(void)
{
	zp_real_init();
	/* blocking calls interrupted by a signal return EINTR, as the C library's */
	atomic_store(&zt_posix_signals, true);
}

static bool secure_proto(int proto)
{
	return (proto >= IPPROTO_TLS_1_0 && proto <= IPPROTO_TLS_1_3) ||
	       proto == IPPROTO_DTLS_1_0 || proto == IPPROTO_DTLS_1_2;
}

bool zp_is_dgram(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	bool dgram = s != NULL && s->type == SOCK_DGRAM;

	zt_fd_put(s);
	return dgram;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---- creation and connection ---- */

ZP_EXPORT int socket(int family, int type, int proto)
{
	int fd, one = 1;

	if (!secure_proto(proto)) {
		return zp_libc()->socket(family, type, proto);
	}
	/*
	 * A secure socket is always close-on-exec: an exec'd program could not
	 * continue the session, and could only write plaintext into the peer's
	 * stream (docs/posix.md, "exec").
	 */
	fd = zsock_socket(family, type | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		return -1;
	}
	/* POSIX programs expect EINPROGRESS from a non-blocking connect() */
	if (zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0) {
		int err = errno;

		(void)zsock_close(fd);
		return fail(err);
	}
	return fd;
}

ZP_EXPORT int socketpair(int family, int type, int proto, int sv[2])
{
	/* the C library refuses secure protocols here (no TLS over AF_UNIX) */
	return zp_libc()->socketpair(family, type, proto, sv);
}

ZP_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->connect(fd, addr, len);
	}
	return zsock_connect(fd, addr, len);
}

ZP_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->bind(fd, addr, len);
	}
	return zsock_bind(fd, addr, len);
}

ZP_EXPORT int listen(int fd, int backlog)
{
	if (!zp_ours(fd)) {
		return zp_libc()->listen(fd, backlog);
	}
	return zsock_listen(fd, backlog);
}

ZP_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int nfd;

	if (!zp_ours(fd)) {
		return zp_libc()->accept4(fd, addr, len, flags);
	}
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		return fail(EINVAL);
	}
	/* the accepted secure socket is close-on-exec always (as socket() above) */
	nfd = zsock_accept(fd, addr, len);
	if (nfd >= 0 && (flags & SOCK_NONBLOCK) && zt_fcntl(nfd, F_SETFL, O_NONBLOCK) < 0) {
		int err = errno;

		(void)zsock_close(nfd);
		return fail(err);
	}
	return nfd;
}

ZP_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->accept(fd, addr, len);
	}
	return accept4(fd, addr, len, 0);
}

ZP_EXPORT int shutdown(int fd, int how)
{
	if (!zp_ours(fd)) {
		return zp_libc()->shutdown(fd, how);
	}
	return zsock_shutdown(fd, how);
}

/* ---- options and names ---- */

ZP_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	/* SOL_TLS on a plain TCP socket is the kernel's kTLS: it goes there untouched */
	if (!zp_ours(fd)) {
		return zp_libc()->setsockopt(fd, level, name, val, len);
	}
	return zsock_setsockopt(fd, level, name, val, len);
}

ZP_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->getsockopt(fd, level, name, val, len);
	}
	return zsock_getsockopt(fd, level, name, val, len);
}

ZP_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (zt_fd_kind(fd) == ZT_FDK_CLOSED) {
		return fail(EBADF);
	}
	return zp_libc()->getsockname(fd, addr, len);
}

ZP_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (zt_fd_kind(fd) == ZT_FDK_CLOSED) {
		return fail(EBADF);
	}
	return zp_libc()->getpeername(fd, addr, len);
}

/* What the third argument of an fcntl command is (fcntl(2)). */
static bool fcntl_no_arg(int cmd)
{
	switch (cmd) {
	case F_GETFD:
	case F_GETFL:
	case F_GETOWN:
	case F_GETSIG:
	case F_GETLEASE:
	case F_GETPIPE_SZ:
	case F_GET_SEALS:
		return true;
	default:
		return false;
	}
}

static bool fcntl_ptr_arg(int cmd)
{
	switch (cmd) {
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
	case F_GET_RW_HINT:
	case F_SET_RW_HINT:
	case F_GET_FILE_RW_HINT:
	case F_SET_FILE_RW_HINT:
		return true;
	default:
		return false;
	}
}

static int fcntl_impl(int fd, int cmd, uintptr_t arg)
{
	enum zt_fd_kind k = zt_fd_kind(fd);

	if (k == ZT_FDK_NONE) {
		return zp_libc()->fcntl(fd, cmd, arg);
	}
	if (k == ZT_FDK_CLOSED) {
		return fail(EBADF);
	}
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* one number per secure socket (docs/posix.md, "dup") */
		return fail(EOPNOTSUPP);
	case F_SETFD:
		/* a secure socket stays close-on-exec (docs/posix.md, "exec") */
		if (k == ZT_FDK_SOCK && !((int)arg & FD_CLOEXEC)) {
			return fail(EOPNOTSUPP);
		}
		break;
	default:
		break;
	}
	if (k == ZT_FDK_AUX) {
		return zp_libc()->fcntl(fd, cmd, arg);
	}
	return zt_fcntl(fd, cmd, arg);
}

static uintptr_t fcntl_arg(int cmd, va_list ap)
{
	if (fcntl_no_arg(cmd)) {
		return 0;
	}
	if (fcntl_ptr_arg(cmd)) {
		return (uintptr_t)va_arg(ap, void *);
	}
	return (uintptr_t)(unsigned int)va_arg(ap, int);
}

ZP_EXPORT int fcntl(int fd, int cmd, ...)
{
	uintptr_t arg;
	va_list ap;

	va_start(ap, cmd);
	arg = fcntl_arg(cmd, ap);
	va_end(ap);
	return fcntl_impl(fd, cmd, arg);
}

ZP_EXPORT int fcntl64(int fd, int cmd, ...)
{
	uintptr_t arg;
	va_list ap;

	va_start(ap, cmd);
	arg = fcntl_arg(cmd, ap);
	va_end(ap);
	return fcntl_impl(fd, cmd, arg);
}

ZP_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	void *arg;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!zp_ours(fd)) {
		return zp_libc()->ioctl(fd, request, arg);
	}
	return zsock_ioctl(fd, request, arg);
}

/* ---- closing and duplicating ---- */

int zp_close(int fd)
{
	switch (zt_fd_kind(fd)) {
	case ZT_FDK_NONE:
		return zp_libc()->close(fd);
	case ZT_FDK_AUX:
#ifdef ZP_HAVE_EPOLL
		return zp_epoll_close(fd);
#else
		return zp_libc()->close(fd);
#endif
	default:
		/* close_notify, then the number is dead (EBADF) or free */
		return zsock_close(fd);
	}
}

ZP_EXPORT int close(int fd)
{
	return zp_close(fd);
}

/*
 * dup2()/dup3() onto @p fd: what a secure socket or an epoll set of ours held
 * there is closed first, as the kernel would close the file; a closed
 * socket's reserved number is disowned so that its last reference leaves the
 * new file alone (fd/fdtable.h).
 */
static void free_target(int fd)
{
	enum zt_fd_kind k = zt_fd_kind(fd);

	if (k == ZT_FDK_NONE) {
		return;
	}
	if (k != ZT_FDK_CLOSED) {
		(void)zp_close(fd);
	}
	zt_fd_disown(fd);
}

static int dup_refused(int oldfd)
{
	enum zt_fd_kind k = zt_fd_kind(oldfd);

	if (k == ZT_FDK_CLOSED) {
		return EBADF;
	}
	/* one number per secure socket or epoll set of ours (docs/posix.md, "dup") */
	return k == ZT_FDK_NONE ? 0 : EOPNOTSUPP;
}

ZP_EXPORT int dup(int oldfd)
{
	int err = dup_refused(oldfd);

	return err ? fail(err) : zp_libc()->dup(oldfd);
}

ZP_EXPORT int dup2(int oldfd, int newfd)
{
	int err;

	if (oldfd == newfd) {
		/* a no-op that checks oldfd */
		return zt_fd_kind(oldfd) == ZT_FDK_CLOSED ? fail(EBADF)
							  : zp_libc()->dup2(oldfd, newfd);
	}
	err = dup_refused(oldfd);
	if (err) {
		return fail(err);
	}
	free_target(newfd);
	return zp_libc()->dup2(oldfd, newfd);
}

ZP_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int err;

	if (oldfd == newfd) {
		return zp_libc()->dup3(oldfd, newfd, flags); /* EINVAL */
	}
	err = dup_refused(oldfd);
	if (err) {
		return fail(err);
	}
	free_target(newfd);
	return zp_libc()->dup3(oldfd, newfd, flags);
}

/* Highest number the descriptor table can hold (fd/fdtable.c: fds below 2^20). */
#define ZP_FD_TABLE_END (1u << 20)

ZP_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int from = first, end;

	if (first > last || (flags & CLOSE_RANGE_CLOEXEC)) {
		/* no number is closed (secure sockets are close-on-exec already) */
		return zp_libc()->close_range(first, last, flags);
	}
	/*
	 * Ours are closed as close() would (close_notify); a number that must
	 * stay reserved (a call still in flight on a closed socket) is left out
	 * of the C library's ranges.
	 */
	end = last < ZP_FD_TABLE_END ? last : ZP_FD_TABLE_END - 1;
	for (unsigned int fd = first; fd <= end && first < ZP_FD_TABLE_END; fd++) {
		if (zt_fd_kind((int)fd) == ZT_FDK_NONE) {
			continue;
		}
		(void)zp_close((int)fd);
		if (zt_fd_kind((int)fd) != ZT_FDK_CLOSED) {
			continue;
		}
		if (fd > from && zp_libc()->close_range(from, fd - 1, flags) < 0) {
			return -1;
		}
		from = fd + 1;
	}
	if (from > last) {
		return 0;
	}
	return zp_libc()->close_range(from, last, flags);
}

ZP_EXPORT void closefrom(int lowfd)
{
	if (lowfd < 0) {
		lowfd = 0;
	}
	if (close_range((unsigned int)lowfd, ~0u, 0) < 0 && zp_libc()->closefrom != NULL) {
		zp_libc()->closefrom(lowfd);
	}
}

/* ---- poll and select ---- */

static bool any_ours(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++) {
		if (zt_fd_kind(fds[i].fd) != ZT_FDK_NONE) {
			return true;
		}
	}
	return false;
}

static int64_t ts_to_ms(const struct timespec *ts)
{
	if (ts == NULL) {
		return -1;
	}
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
		return -2;
	}
	/* rounded up: never return before the time asked for */
	return (int64_t)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
}

/*
 * glibc declares poll()'s and ppoll()'s fds __write_only__ (for fortify):
 * GCC then takes every read of them here for a read of uninitialised
 * memory. They are the caller's initialised array.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

ZP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!any_ours(fds, n)) {
		return zp_libc()->poll(fds, n, timeout);
	}
	return zt_poll(fds, n, timeout < 0 ? -1 : timeout, NULL);
}

ZP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	int64_t ms;

	if (!any_ours(fds, n)) {
		return zp_libc()->ppoll(fds, n, ts, mask);
	}
	ms = ts_to_ms(ts);
	if (ms == -2) {
		return fail(EINVAL);
	}
	return zt_poll(fds, n, ms, mask);
}

#pragma GCC diagnostic pop

ZP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n) {
		__chk_fail();
	}
	return poll(fds, n, timeout);
}

ZP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			  const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n) {
		__chk_fail();
	}
	return ppoll(fds, n, ts, mask);
}

static bool set_has(const fd_set *set, int fd)
{
	const unsigned long *w = (const unsigned long *)(const void *)set;
	const unsigned bits = 8 * sizeof(unsigned long);

	return set != NULL && (w[(unsigned)fd / bits] >> ((unsigned)fd % bits)) & 1;
}

static bool sets_ours(int nfds, const fd_set *r, const fd_set *w, const fd_set *e)
{
	for (int fd = 0; fd < nfds; fd++) {
		if ((set_has(r, fd) || set_has(w, fd) || set_has(e, fd)) &&
		    zt_fd_kind(fd) != ZT_FDK_NONE) {
			return true;
		}
	}
	return false;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

ZP_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	int64_t ms, start;
	int n;

	if (nfds < 0 || !sets_ours(nfds, r, w, e)) {
		return zp_libc()->select(nfds, r, w, e, tv);
	}
	if (tv != NULL && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)) {
		return fail(EINVAL);
	}
	ms = tv == NULL ? -1 : (int64_t)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
	start = now_ms();
	n = zt_select(nfds, r, w, e, ms, NULL);
	if (tv != NULL) {
		/* Linux writes the time left back */
		int64_t left = ms - (now_ms() - start);

		if (left < 0 || n == 0) {
			left = 0;
		}
		tv->tv_sec = (time_t)(left / 1000);
		tv->tv_usec = (suseconds_t)(left % 1000) * 1000;
	}
	return n;
}

ZP_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
		      const sigset_t *mask)
{
	int64_t ms;

	if (nfds < 0 || !sets_ours(nfds, r, w, e)) {
		return zp_libc()->pselect(nfds, r, w, e, ts, mask);
	}
	ms = ts_to_ms(ts);
	if (ms == -2) {
		return fail(EINVAL);
	}
	return zt_select(nfds, r, w, e, ms, mask);
}

/* ---- epoll (docs/posix.md, "epoll"; the sets: posix/epoll.c) ---- */

ZP_EXPORT int epoll_create(int size)
{
	return zp_libc()->epoll_create(size);
}

ZP_EXPORT int epoll_create1(int flags)
{
	return zp_libc()->epoll_create1(flags);
}

ZP_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
#ifdef ZP_HAVE_EPOLL
	if (zt_fd_kind(epfd) == ZT_FDK_AUX || zt_fd_kind(fd) == ZT_FDK_SOCK) {
		return zp_epoll_ctl(epfd, op, fd, ev);
	}
#endif
	return zp_libc()->epoll_ctl(epfd, op, fd, ev);
}

ZP_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
#ifdef ZP_HAVE_EPOLL
	if (zt_fd_kind(epfd) == ZT_FDK_AUX) {
		return zp_epoll_wait(epfd, events, maxevents, timeout < 0 ? -1 : timeout, NULL);
	}
#endif
	return zp_libc()->epoll_wait(epfd, events, maxevents, timeout);
}

ZP_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
			  const sigset_t *mask)
{
#ifdef ZP_HAVE_EPOLL
	if (zt_fd_kind(epfd) == ZT_FDK_AUX) {
		return zp_epoll_wait(epfd, events, maxevents, timeout < 0 ? -1 : timeout, mask);
	}
#endif
	return zp_libc()->epoll_pwait(epfd, events, maxevents, timeout, mask);
}

ZP_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			   const struct timespec *ts, const sigset_t *mask)
{
#ifdef ZP_HAVE_EPOLL
	if (zt_fd_kind(epfd) == ZT_FDK_AUX) {
		int64_t ms = ts_to_ms(ts);

		if (ms == -2) {
			return fail(EINVAL);
		}
		return zp_epoll_wait(epfd, events, maxevents, ms, mask);
	}
#endif
	if (zp_libc()->epoll_pwait2 == NULL) {
		return fail(ENOSYS);
	}
	return zp_libc()->epoll_pwait2(epfd, events, maxevents, ts, mask);
}

/* ---- stdio on a secure socket: a cookie stream that reads and writes through TLS ---- */

static ssize_t cookie_read(void *c, char *buf, size_t len)
{
	ssize_t n = zsock_recv((int)(intptr_t)c, buf, len, 0);

	return n < 0 ? -1 : n;
}

static ssize_t cookie_write(void *c, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = zsock_send((int)(intptr_t)c, buf + done, len - done, 0);

		if (n <= 0) {
			break; /* stdio sets the error indicator */
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int cookie_close(void *c)
{
	return zp_close((int)(intptr_t)c);
}

ZP_EXPORT FILE *fdopen(int fd, const char *mode)
{
	cookie_io_functions_t io = {
		.read = cookie_read, .write = cookie_write, .seek = NULL, .close = cookie_close};
	enum zt_fd_kind k = zt_fd_kind(fd);

	if (k == ZT_FDK_NONE || k == ZT_FDK_AUX) {
		return zp_libc()->fdopen(fd, mode);
	}
	if (k == ZT_FDK_CLOSED) {
		errno = EBADF;
		return NULL;
	}
	/*
	 * The C library's stream would call its internal read/write, which are
	 * not interposed: the bytes would pass the TLS session by. This stream
	 * goes through secsock; fileno() on it returns -1 (docs/posix.md).
	 */
	return fopencookie((void *)(intptr_t)fd, mode, io);
}
