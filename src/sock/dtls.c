/*
 * DTLS over UDP (reference §3.3-§3.7). The datagram data path is the DTLS
 * issue's work and does not exist yet: DTLS sockets can be created, bound
 * and configured, and every data call answers EOPNOTSUPP, never a silent
 * success.
 */
#include <errno.h>
#include <poll.h>

#include "sock/ops.h"

int zt_dtls_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)s;
	(void)addr;
	(void)addrlen;
	return -EOPNOTSUPP;
}

ssize_t zt_dtls_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
		       const struct sockaddr *dest, socklen_t destlen)
{
	(void)s;
	(void)buf;
	(void)len;
	(void)flags;
	(void)dest;
	(void)destlen;
	return -EOPNOTSUPP;
}

ssize_t zt_dtls_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen)
{
	(void)s;
	(void)buf;
	(void)len;
	(void)flags;
	(void)src;
	(void)srclen;
	return -EOPNOTSUPP;
}

void zt_dtls_close(struct zt_sock *s)
{
	(void)s;
}

void zt_dtls_destroy(struct zt_sock *s)
{
	(void)s;
}

short zt_dtls_poll_ready(struct zt_sock *s, short events)
{
	(void)s;
	(void)events;
	return 0;
}

short zt_dtls_poll_kernel_events(struct zt_sock *s, short events)
{
	(void)s;
	return events;
}

short zt_dtls_poll_update(struct zt_sock *s, short events, short kev)
{
	(void)s;
	return kev & (events | POLLERR | POLLHUP | POLLNVAL);
}

int64_t zt_dtls_poll_timeout(struct zt_sock *s)
{
	(void)s;
	return ZT_FOREVER;
}
