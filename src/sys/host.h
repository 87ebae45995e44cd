/*
 * The host calls secsock's core makes on kernel descriptors. Every socket,
 * descriptor and wait call in src/ goes through these names, never through
 * the C library's names directly: libsecsock-posix defines the C library's
 * names itself (socket, send, recv, poll, close, ...), and for a secure
 * socket the number the application holds is the kernel socket, so a core
 * call of send(s->fd, ...) would come back into the library and recurse
 * (ARCHITECTURE.md, "Host calls").
 *
 * Two implementations, one linked into each library:
 * - src/sys/host_libc.c (libsecsock): the C library's call, directly;
 * - src/posix/real.c (libsecsock-posix): the next definition after the
 *   library (dlsym(RTLD_NEXT)), resolved once.
 * Same arguments, result and errno as the C library's call.
 *
 * Calls no interposer defines (eventfd, open, getrandom, sigaction) stay
 * direct. tests/tools/host_calls.sh checks that the core's objects reference
 * no interposed name.
 */
#ifndef ZT_SYS_HOST_H
#define ZT_SYS_HOST_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

int zt_sys_socket(int family, int type, int proto);
int zt_sys_socketpair(int family, int type, int proto, int sv[2]);
int zt_sys_close(int fd);
int zt_sys_shutdown(int fd, int how);
int zt_sys_bind(int fd, const struct sockaddr *addr, socklen_t len);
int zt_sys_connect(int fd, const struct sockaddr *addr, socklen_t len);
int zt_sys_listen(int fd, int backlog);
int zt_sys_accept(int fd, struct sockaddr *addr, socklen_t *len);
int zt_sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t zt_sys_send(int fd, const void *buf, size_t len, int flags);
ssize_t zt_sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t zt_sys_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t zt_sys_recv(int fd, void *buf, size_t len, int flags);
ssize_t zt_sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen);
ssize_t zt_sys_recvmsg(int fd, struct msghdr *msg, int flags);
int zt_sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int zt_sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int zt_sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int zt_sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
/** fcntl() with its third argument as the C library passes it on (an int or a pointer). */
int zt_sys_fcntl(int fd, int cmd, uintptr_t arg);
int zt_sys_ioctl(int fd, unsigned long request, void *arg);
int zt_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int zt_sys_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		 const sigset_t *mask);
ssize_t zt_sys_read(int fd, void *buf, size_t len);
ssize_t zt_sys_write(int fd, const void *buf, size_t len);
int zt_sys_dup3(int oldfd, int newfd, int flags);
/* epoll (src/posix/epoll.c): the kernel's sets under libsecsock-posix's epoll */
int zt_sys_epoll_create1(int flags);
int zt_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int zt_sys_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int zt_sys_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		       const sigset_t *mask);
int zt_sys_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *mask);

#endif /* ZT_SYS_HOST_H */
