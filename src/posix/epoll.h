/*
 * epoll over secure sockets for libsecsock-posix (src/posix/epoll.c).
 *
 * An epoll set stays the kernel's epoll descriptor; it becomes an object of
 * the descriptor table (ZT_FDK_AUX, fd/fdtable.h) only once a secure socket
 * is added to it, so that a program that never puts a secure socket in a set
 * reaches the kernel's epoll untouched. The interposer (src/posix/interpose.c)
 * calls these for epoll_ctl() when the set is ZT_FDK_AUX or the target is a
 * secure socket, for epoll_wait()/epoll_pwait()/epoll_pwait2() when the set
 * is ZT_FDK_AUX, and zp_epoll_close() from close() of a ZT_FDK_AUX number.
 *
 * All follow the C library's contract: the result, or -1 with errno set.
 */
#ifndef ZP_EPOLL_H
#define ZP_EPOLL_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>

/** epoll_ctl() (EPOLL_CTL_ADD/MOD/DEL; EPOLLET, EPOLLONESHOT, EPOLLRDHUP, EPOLLEXCLUSIVE). */
int zp_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

/**
 * epoll_wait() on a set that holds secure sockets: @p timeout_ms < 0 waits
 * forever; with @p mask, the wait is under that signal mask (epoll_pwait).
 */
int zp_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int64_t timeout_ms,
		  const sigset_t *mask);

/** close() of a ZT_FDK_AUX number: free the set's object and close the kernel descriptor. */
int zp_epoll_close(int epfd);

#endif /* ZP_EPOLL_H */
