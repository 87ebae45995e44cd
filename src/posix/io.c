/*
 * libsecsock-posix: data transfer names (docs/posix.md). A secure socket's
 * bytes always go through its TLS/DTLS session: read/write, the vector and
 * multi-message calls, sendfile (the file is read and sent through TLS) and
 * the printf-to-descriptor calls. splice() and copy_file_range() would move
 * bytes inside the kernel, past the session: they fail with EINVAL, the
 * errno their callers already fall back to read/write on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <zephyr/net/socket.h>

#include "posix/posix.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* Gather at most this much on the stack into one record. */
#define ZP_GATHER_STACK 4096
/* Largest datagram a DTLS socket sends. */
#define ZP_DGRAM_MAX    65535

static ssize_t fail(int err)
{
	errno = err;
	return -1;
}

ssize_t zp_iov_total(const struct iovec *iov, int cnt)
{
	size_t total = 0;

	if (cnt < 0 || cnt > IOV_MAX || (cnt > 0 && iov == NULL)) {
		return fail(EINVAL);
	}
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total) {
			return fail(EINVAL);
		}
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

static void gather(char *dst, const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > 0) {
			memcpy(dst, iov[i].iov_base, iov[i].iov_len);
			dst += iov[i].iov_len;
		}
	}
}

static void scatter(const struct iovec *iov, int cnt, const char *src, size_t len)
{
	for (int i = 0; i < cnt && len > 0; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		if (n > 0) {
			memcpy(iov[i].iov_base, src, n);
		}
		src += n;
		len -= n;
	}
}

ssize_t zp_sec_writev(int fd, const struct iovec *iov, int cnt, int flags,
		      const struct sockaddr *to, socklen_t tolen)
{
	char stack[ZP_GATHER_STACK];
	ssize_t total = zp_iov_total(iov, cnt);
	bool dgram;
	char *buf;
	ssize_t n;

	if (total < 0) {
		return -1;
	}
	dgram = zp_is_dgram(fd);
	if (!dgram && total > ZP_GATHER_STACK) {
		/* a stream: each element goes as it is (records of up to 4 KiB anyway) */
		struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};

		return zsock_sendmsg(fd, &m, flags);
	}
	if (dgram && total > ZP_DGRAM_MAX) {
		return fail(EMSGSIZE);
	}
	/* small writes and datagrams: one record or datagram, not one per element */
	buf = total <= ZP_GATHER_STACK ? stack : malloc((size_t)total);
	if (buf == NULL) {
		return fail(ENOMEM);
	}
	gather(buf, iov, cnt);
	n = zsock_sendto(fd, buf, (size_t)total, flags, to, tolen);
	if (buf != stack) {
		int err = errno;

		free(buf);
		errno = err;
	}
	return n;
}

ssize_t zp_sec_readv(int fd, const struct iovec *iov, int cnt, int flags)
{
	ssize_t total = zp_iov_total(iov, cnt), got = 0, n;
	char *buf;

	if (total < 0) {
		return -1;
	}
	if (zp_is_dgram(fd) && cnt > 1) {
		/* one datagram, scattered */
		buf = malloc(total > 0 ? (size_t)total : 1);
		if (buf == NULL) {
			return fail(ENOMEM);
		}
		n = zsock_recv(fd, buf, (size_t)total, flags);
		if (n > 0) {
			scatter(iov, cnt, buf,
				(size_t)n < (size_t)total ? (size_t)n : (size_t)total);
		}
		int err = errno;

		free(buf);
		errno = err;
		return n;
	}
	/* a stream: fill the elements in order with what is there after the first byte */
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len == 0) {
			continue;
		}
		n = zsock_recv(fd, iov[i].iov_base, iov[i].iov_len,
			       got > 0 ? (flags | MSG_DONTWAIT) & ~MSG_WAITALL : flags);
		if (n < 0) {
			return got > 0 ? got : -1;
		}
		got += n;
		if ((size_t)n < iov[i].iov_len) {
			break;
		}
	}
	return got;
}

/* ---- read and write ---- */

ZP_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->read(fd, buf, len);
	}
	return zsock_recv(fd, buf, len, 0);
}

ZP_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen) {
		__chk_fail();
	}
	return read(fd, buf, len);
}

ZP_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	if (!zp_ours(fd)) {
		return zp_libc()->write(fd, buf, len);
	}
	return zsock_send(fd, buf, len, 0);
}

ZP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	if (!zp_ours(fd)) {
		return zp_libc()->readv(fd, iov, cnt);
	}
	return zp_sec_readv(fd, iov, cnt, 0);
}

ZP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	if (!zp_ours(fd)) {
		return zp_libc()->writev(fd, iov, cnt);
	}
	return zp_sec_writev(fd, iov, cnt, 0, NULL, 0);
}

ZP_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->preadv2(fd, iov, cnt, off, flags);
	}
	if (off != -1) {
		return fail(ESPIPE);
	}
	return flags != 0 ? fail(EOPNOTSUPP) : zp_sec_readv(fd, iov, cnt, 0);
}

ZP_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	return preadv2(fd, iov, cnt, off, flags);
}

ZP_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->pwritev2(fd, iov, cnt, off, flags);
	}
	if (off != -1) {
		return fail(ESPIPE);
	}
	return flags != 0 ? fail(EOPNOTSUPP) : zp_sec_writev(fd, iov, cnt, 0, NULL, 0);
}

ZP_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	return pwritev2(fd, iov, cnt, off, flags);
}

/* ---- send and receive ---- */

ZP_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->send(fd, buf, len, flags);
	}
	return zsock_send(fd, buf, len, flags);
}

ZP_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
			 socklen_t tolen)
{
	if (!zp_ours(fd)) {
		return zp_libc()->sendto(fd, buf, len, flags, to, tolen);
	}
	return zsock_sendto(fd, buf, len, flags, to, tolen);
}

ZP_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->recv(fd, buf, len, flags);
	}
	return zsock_recv(fd, buf, len, flags);
}

ZP_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen) {
		__chk_fail();
	}
	return recv(fd, buf, len, flags);
}

ZP_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			   socklen_t *fromlen)
{
	if (!zp_ours(fd)) {
		return zp_libc()->recvfrom(fd, buf, len, flags, from, fromlen);
	}
	return zsock_recvfrom(fd, buf, len, flags, from, fromlen);
}

ZP_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				 struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen) {
		__chk_fail();
	}
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ssize_t sec_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (msg == NULL) {
		return fail(EFAULT);
	}
	if (msg->msg_iovlen > INT_MAX) {
		return fail(EMSGSIZE);
	}
	/* ancillary data has no meaning inside a TLS session: refused, not dropped */
	if (msg->msg_controllen > 0) {
		return fail(EOPNOTSUPP);
	}
	return zp_sec_writev(fd, msg->msg_iov, (int)msg->msg_iovlen, flags, msg->msg_name,
			     msg->msg_namelen);
}

static ssize_t sec_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n;

	if (msg == NULL) {
		return fail(EFAULT);
	}
	if (msg->msg_iovlen > INT_MAX) {
		return fail(EMSGSIZE);
	}
	if (msg->msg_name != NULL && msg->msg_namelen > 0 && zp_is_dgram(fd) &&
	    msg->msg_iovlen <= 1) {
		/* a DTLS server: the sender's address matters */
		void *base = msg->msg_iovlen ? msg->msg_iov[0].iov_base : NULL;
		size_t len = msg->msg_iovlen ? msg->msg_iov[0].iov_len : 0;

		n = zsock_recvfrom(fd, base, len, flags, msg->msg_name, &msg->msg_namelen);
	} else {
		n = zp_sec_readv(fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
		if (n >= 0 && msg->msg_name != NULL &&
		    getpeername(fd, msg->msg_name, &msg->msg_namelen) < 0) {
			msg->msg_namelen = 0;
		}
	}
	if (n >= 0) {
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return n;
}

ZP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->sendmsg(fd, msg, flags);
	}
	return sec_sendmsg(fd, msg, flags);
}

ZP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!zp_ours(fd)) {
		return zp_libc()->recvmsg(fd, msg, flags);
	}
	return sec_recvmsg(fd, msg, flags);
}

ZP_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	unsigned int i;

	if (!zp_ours(fd)) {
		return zp_libc()->sendmmsg(fd, vec, vlen, flags);
	}
	for (i = 0; i < vlen && i < 1024; i++) {
		ssize_t n = sec_sendmsg(fd, &vec[i].msg_hdr, flags);

		if (n < 0) {
			return i > 0 ? (int)i : -1;
		}
		vec[i].msg_len = (unsigned int)n;
	}
	return (int)i;
}

ZP_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
		       struct timespec *timeout)
{
	unsigned int i;

	if (!zp_ours(fd)) {
		return zp_libc()->recvmmsg(fd, vec, vlen, flags, timeout);
	}
	/* the first message as the flags say, then only what is there already */
	flags &= ~MSG_WAITFORONE;
	for (i = 0; i < vlen && i < 1024; i++) {
		ssize_t n = sec_recvmsg(fd, &vec[i].msg_hdr, i > 0 ? flags | MSG_DONTWAIT : flags);

		if (n < 0) {
			return i > 0 ? (int)i : -1;
		}
		vec[i].msg_len = (unsigned int)n;
		if (n == 0 && !zp_is_dgram(fd)) {
			i++;
			break; /* end of stream */
		}
	}
	return (int)i;
}

/* ---- kernel-side copies ---- */

/*
 * sendfile() onto a secure socket: the file is read here and sent through
 * the session. Returns what the session took; a partial send leaves the
 * file offset just after it (as sendfile).
 */
static ssize_t sec_sendfile(int out, int in, off_t *offset, size_t count)
{
	char buf[16384];
	size_t sent = 0;
	off_t pos = offset != NULL ? *offset : 0;

	if (zp_ours(in)) {
		return fail(EINVAL); /* in_fd must be a file */
	}
	while (sent < count) {
		size_t want = count - sent < sizeof(buf) ? count - sent : sizeof(buf);
		ssize_t rd = offset != NULL ? pread(in, buf, want, pos) : read(in, buf, want);
		ssize_t done = 0;

		if (rd < 0) {
			if (sent > 0) {
				break;
			}
			return -1;
		}
		if (rd == 0) {
			break;
		}
		while (done < rd) {
			ssize_t n = zsock_send(out, buf + done, (size_t)(rd - done), 0);

			if (n < 0) {
				int err = errno;

				if (offset == NULL && rd - done > 0) {
					/* put back what did not go */
					(void)lseek(in, -(off_t)(rd - done), SEEK_CUR);
				}
				if (offset != NULL) {
					*offset = pos + done;
				}
				if (sent + (size_t)done > 0) {
					return (ssize_t)(sent + (size_t)done);
				}
				errno = err;
				return -1;
			}
			done += n;
		}
		sent += (size_t)rd;
		pos += rd;
	}
	if (offset != NULL) {
		*offset = pos;
	}
	return (ssize_t)sent;
}

ZP_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
	if (!zp_ours(out)) {
		if (zp_ours(in)) {
			return fail(EINVAL);
		}
		return zp_libc()->sendfile(out, in, offset, count);
	}
	return sec_sendfile(out, in, offset, count);
}

ZP_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
	return sendfile(out, in, offset, count);
}

ZP_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
			 unsigned int flags)
{
	if (zp_ours(in) || zp_ours(out)) {
		return fail(EINVAL); /* would move bytes past the session */
	}
	return zp_libc()->splice(in, off_in, out, off_out, len, flags);
}

ZP_EXPORT ssize_t copy_file_range(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
				  unsigned int flags)
{
	if (zp_ours(in) || zp_ours(out)) {
		return fail(EINVAL);
	}
	return zp_libc()->copy_file_range(in, off_in, out, off_out, len, flags);
}

/* ---- printf to a descriptor ---- */

static int sec_vdprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static int sec_vdprintf(int fd, const char *fmt, va_list ap)
{
	char *text = NULL;
	int len = vasprintf(&text, fmt, ap), done = 0;

	if (len < 0) {
		return -1;
	}
	while (done < len) {
		ssize_t n = zsock_send(fd, text + done, (size_t)(len - done), 0);

		if (n < 0) {
			int err = errno;

			free(text);
			errno = err;
			return -1;
		}
		done += (int)n;
	}
	free(text);
	return len;
}

ZP_EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
	if (!zp_ours(fd)) {
		return zp_libc()->vdprintf(fd, fmt, ap);
	}
	return sec_vdprintf(fd, fmt, ap);
}

ZP_EXPORT int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

ZP_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

ZP_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	(void)flag; /* the C library's checks of %n apply to the formatting below */
	return vdprintf(fd, fmt, ap);
}

ZP_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

ZP_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)flag;
	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}
