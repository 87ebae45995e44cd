/*
 * libsecsock-posix's host calls (src/sys/host.h): the next definition of
 * each C library name after this library, looked up once with
 * dlsym(RTLD_NEXT). libsecsock links src/sys/host_libc.c instead.
 */
#include "posix/real.h"
#include "sys/host.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct zp_real zp_real;
int zp_real_ready;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void real_resolve(void)
{
#define ZP_REAL_LOOKUP(name, ret, args) *(void **)&zp_real.name = dlsym(RTLD_NEXT, #name);
	ZP_REAL_FUNCS(ZP_REAL_LOOKUP)
#undef ZP_REAL_LOOKUP
	/*
	 * Without these the library cannot work at all (a static binary, or
	 * the library loaded in an odd order): say so once and stop, rather
	 * than recurse into ourselves.
	 */
	if (zp_real.read == NULL || zp_real.write == NULL || zp_real.close == NULL ||
	    zp_real.socket == NULL || zp_real.poll == NULL || zp_real.fcntl == NULL) {
		static const char msg[] = "libsecsock-posix: cannot find the C library's socket "
					  "calls (dlsym(RTLD_NEXT)); static binary?\n";
		(void)!syscall(1 /* SYS_write */, 2, msg, sizeof(msg) - 1);
		abort();
	}
	__atomic_store_n(&zp_real_ready, 1, __ATOMIC_RELEASE);
}

void zp_real_init(void)
{
	pthread_once(&real_once, real_resolve);
}

int zt_sys_socket(int family, int type, int proto)
{
	return zp_libc()->socket(family, type, proto);
}

int zt_sys_socketpair(int family, int type, int proto, int sv[2])
{
	return zp_libc()->socketpair(family, type, proto, sv);
}

int zt_sys_close(int fd)
{
	return zp_libc()->close(fd);
}

int zt_sys_shutdown(int fd, int how)
{
	return zp_libc()->shutdown(fd, how);
}

int zt_sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return zp_libc()->bind(fd, addr, len);
}

int zt_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return zp_libc()->connect(fd, addr, len);
}

int zt_sys_listen(int fd, int backlog)
{
	return zp_libc()->listen(fd, backlog);
}

int zt_sys_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return zp_libc()->accept(fd, addr, len);
}

int zt_sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return zp_libc()->accept4(fd, addr, len, flags);
}

ssize_t zt_sys_send(int fd, const void *buf, size_t len, int flags)
{
	return zp_libc()->send(fd, buf, len, flags);
}

ssize_t zt_sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	return zp_libc()->sendto(fd, buf, len, flags, to, tolen);
}

ssize_t zt_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return zp_libc()->sendmsg(fd, msg, flags);
}

ssize_t zt_sys_recv(int fd, void *buf, size_t len, int flags)
{
	return zp_libc()->recv(fd, buf, len, flags);
}

ssize_t zt_sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	return zp_libc()->recvfrom(fd, buf, len, flags, from, fromlen);
}

ssize_t zt_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return zp_libc()->recvmsg(fd, msg, flags);
}

int zt_sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return zp_libc()->setsockopt(fd, level, name, val, len);
}

int zt_sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return zp_libc()->getsockopt(fd, level, name, val, len);
}

int zt_sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return zp_libc()->getsockname(fd, addr, len);
}

int zt_sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return zp_libc()->getpeername(fd, addr, len);
}

int zt_sys_fcntl(int fd, int cmd, uintptr_t arg)
{
	return zp_libc()->fcntl(fd, cmd, arg);
}

int zt_sys_ioctl(int fd, unsigned long request, void *arg)
{
	return zp_libc()->ioctl(fd, request, arg);
}

int zt_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return zp_libc()->poll(fds, nfds, timeout);
}

int zt_sys_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		 const sigset_t *mask)
{
	return zp_libc()->ppoll(fds, nfds, timeout, mask);
}

ssize_t zt_sys_read(int fd, void *buf, size_t len)
{
	return zp_libc()->read(fd, buf, len);
}

ssize_t zt_sys_write(int fd, const void *buf, size_t len)
{
	return zp_libc()->write(fd, buf, len);
}

int zt_sys_dup3(int oldfd, int newfd, int flags)
{
	return zp_libc()->dup3(oldfd, newfd, flags);
}

int zt_sys_epoll_create1(int flags)
{
	return zp_libc()->epoll_create1(flags);
}

int zt_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return zp_libc()->epoll_ctl(epfd, op, fd, ev);
}

int zt_sys_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	return zp_libc()->epoll_wait(epfd, events, maxevents, timeout);
}

int zt_sys_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		       const sigset_t *mask)
{
	return zp_libc()->epoll_pwait(epfd, events, maxevents, timeout, mask);
}

int zt_sys_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *mask)
{
	if (zp_libc()->epoll_pwait2 == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return zp_libc()->epoll_pwait2(epfd, events, maxevents, timeout, mask);
}
