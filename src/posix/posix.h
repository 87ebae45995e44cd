/*
 * What the parts of libsecsock-posix share (interpose.c, io.c): the export
 * attribute, the one table lookup that decides where a call goes, and the
 * semantics helpers. docs/posix.md describes the behaviour.
 */
#ifndef ZP_POSIX_H
#define ZP_POSIX_H

#include <stdbool.h>
#include <sys/uio.h>

#include "fd/fdtable.h"
#include "posix/real.h"

/** The interposed C library names: the only symbols libsecsock-posix adds. */
#define ZP_EXPORT __attribute__((visibility("default")))

/**
 * A number whose calls secsock answers: a live secure socket, or a closed
 * one whose number is still reserved (secsock answers EBADF). NONE (the
 * host's descriptor) and AUX (an epoll set) go to the C library.
 */
static inline bool zp_ours(int fd)
{
	enum zt_fd_kind k = zt_fd_kind(fd);

	return k == ZT_FDK_SOCK || k == ZT_FDK_CLOSED;
}

/** True if @p fd is a live secure socket over UDP (DTLS). */
bool zp_is_dgram(int fd);

/** Total length of an iovec array, or -1 (EINVAL) if it overflows or @p cnt is bad. */
ssize_t zp_iov_total(const struct iovec *iov, int cnt);

/** read()/recvmsg() of a secure socket into a vector (io.c); sets errno. */
ssize_t zp_sec_readv(int fd, const struct iovec *iov, int cnt, int flags);

/** write()/sendmsg() of a vector to a secure socket (io.c); sets errno. */
ssize_t zp_sec_writev(int fd, const struct iovec *iov, int cnt, int flags,
		      const struct sockaddr *to, socklen_t tolen);

/* The C library's fortified entry points (-D_FORTIFY_SOURCE): checked, then as the plain name. */
struct pollfd;
struct timespec;
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *from, socklen_t *fromlen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
		size_t fdslen);

/** close() (interpose.c): the one place that decides how a number is closed. */
int zp_close(int fd);

#endif /* ZP_POSIX_H */
