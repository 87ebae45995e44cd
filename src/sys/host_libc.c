/*
 * libsecsock's host calls (src/sys/host.h): the C library's own. Not part of
 * libsecsock-posix, which reaches the C library past its own definitions of
 * these names (src/posix/real.c).
 */
#include "sys/host.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

int zt_sys_socket(int family, int type, int proto)
{
	return socket(family, type, proto);
}

int zt_sys_socketpair(int family, int type, int proto, int sv[2])
{
	return socketpair(family, type, proto, sv);
}

int zt_sys_close(int fd)
{
	return close(fd);
}

int zt_sys_shutdown(int fd, int how)
{
	return shutdown(fd, how);
}

int zt_sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return bind(fd, addr, len);
}

int zt_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return connect(fd, addr, len);
}

int zt_sys_listen(int fd, int backlog)
{
	return listen(fd, backlog);
}

int zt_sys_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept(fd, addr, len);
}

int zt_sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accept4(fd, addr, len, flags);
}

ssize_t zt_sys_send(int fd, const void *buf, size_t len, int flags)
{
	return send(fd, buf, len, flags);
}

ssize_t zt_sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	return sendto(fd, buf, len, flags, to, tolen);
}

ssize_t zt_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return sendmsg(fd, msg, flags);
}

ssize_t zt_sys_recv(int fd, void *buf, size_t len, int flags)
{
	return recv(fd, buf, len, flags);
}

ssize_t zt_sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

ssize_t zt_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return recvmsg(fd, msg, flags);
}

int zt_sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return setsockopt(fd, level, name, val, len);
}

int zt_sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return getsockopt(fd, level, name, val, len);
}

int zt_sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getsockname(fd, addr, len);
}

int zt_sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getpeername(fd, addr, len);
}

int zt_sys_fcntl(int fd, int cmd, uintptr_t arg)
{
	return fcntl(fd, cmd, arg);
}

int zt_sys_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

int zt_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return poll(fds, nfds, timeout);
}

int zt_sys_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		 const sigset_t *mask)
{
	return ppoll(fds, nfds, timeout, mask);
}

ssize_t zt_sys_read(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

ssize_t zt_sys_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

int zt_sys_dup3(int oldfd, int newfd, int flags)
{
	return dup3(oldfd, newfd, flags);
}

int zt_sys_epoll_create1(int flags)
{
	return epoll_create1(flags);
}

int zt_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return epoll_ctl(epfd, op, fd, ev);
}

int zt_sys_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	return epoll_wait(epfd, events, maxevents, timeout);
}

int zt_sys_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		       const sigset_t *mask)
{
	return epoll_pwait(epfd, events, maxevents, timeout, mask);
}

int zt_sys_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *mask)
{
	return epoll_pwait2(epfd, events, maxevents, timeout, mask);
}
