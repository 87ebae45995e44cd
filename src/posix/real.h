/*
 * The C library's definitions of the names libsecsock-posix defines itself:
 * the next definition after this library (dlsym(RTLD_NEXT)), resolved once,
 * on first use or in the library's constructor. src/sys/host.h's zt_sys_*
 * (for the core) and the interposer's pass-through both call these, so no
 * call of the library ever comes back into the interposer.
 */
#ifndef ZP_REAL_H
#define ZP_REAL_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

/* One entry per C library function the interposer reaches past itself. */
#define ZP_REAL_FUNCS(X)                                                                           \
	X(socket, int, (int, int, int))                                                            \
	X(socketpair, int, (int, int, int, int *))                                                 \
	X(close, int, (int))                                                                       \
	X(shutdown, int, (int, int))                                                               \
	X(bind, int, (int, const struct sockaddr *, socklen_t))                                    \
	X(connect, int, (int, const struct sockaddr *, socklen_t))                                 \
	X(listen, int, (int, int))                                                                 \
	X(accept, int, (int, struct sockaddr *, socklen_t *))                                      \
	X(accept4, int, (int, struct sockaddr *, socklen_t *, int))                                \
	X(send, ssize_t, (int, const void *, size_t, int))                                         \
	X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
	X(sendmsg, ssize_t, (int, const struct msghdr *, int))                                     \
	X(sendmmsg, int, (int, struct mmsghdr *, unsigned int, int))                               \
	X(recv, ssize_t, (int, void *, size_t, int))                                               \
	X(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
	X(recvmsg, ssize_t, (int, struct msghdr *, int))                                           \
	X(recvmmsg, int, (int, struct mmsghdr *, unsigned int, int, struct timespec *))            \
	X(setsockopt, int, (int, int, int, const void *, socklen_t))                               \
	X(getsockopt, int, (int, int, int, void *, socklen_t *))                                   \
	X(getsockname, int, (int, struct sockaddr *, socklen_t *))                                 \
	X(getpeername, int, (int, struct sockaddr *, socklen_t *))                                 \
	X(fcntl, int, (int, int, ...))                                                             \
	X(ioctl, int, (int, unsigned long, ...))                                                   \
	X(poll, int, (struct pollfd *, nfds_t, int))                                               \
	X(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
	X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
	X(pselect, int,                                                                            \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))          \
	X(read, ssize_t, (int, void *, size_t))                                                    \
	X(write, ssize_t, (int, const void *, size_t))                                             \
	X(readv, ssize_t, (int, const struct iovec *, int))                                        \
	X(writev, ssize_t, (int, const struct iovec *, int))                                       \
	X(preadv2, ssize_t, (int, const struct iovec *, int, off_t, int))                          \
	X(pwritev2, ssize_t, (int, const struct iovec *, int, off_t, int))                         \
	X(dup, int, (int))                                                                         \
	X(dup2, int, (int, int))                                                                   \
	X(dup3, int, (int, int, int))                                                              \
	X(close_range, int, (unsigned int, unsigned int, int))                                     \
	X(closefrom, void, (int))                                                                  \
	X(epoll_create, int, (int))                                                                \
	X(epoll_create1, int, (int))                                                               \
	X(epoll_ctl, int, (int, int, int, struct epoll_event *))                                   \
	X(epoll_wait, int, (int, struct epoll_event *, int, int))                                  \
	X(epoll_pwait, int, (int, struct epoll_event *, int, int, const sigset_t *))               \
	X(epoll_pwait2, int,                                                                       \
	  (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))             \
	X(sendfile, ssize_t, (int, int, off_t *, size_t))                                          \
	X(splice, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned int))                   \
	X(copy_file_range, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned int))          \
	X(fdopen, FILE *, (int, const char *))                                                     \
	X(vdprintf, int, (int, const char *, va_list))

struct zp_real {
#define ZP_REAL_FIELD(name, ret, args) ret(*name) args;
	ZP_REAL_FUNCS(ZP_REAL_FIELD)
#undef ZP_REAL_FIELD
};

/** The C library's functions; filled by zp_real_init() (idempotent, thread-safe). */
extern struct zp_real zp_real;

/** Resolve every entry of zp_real once (pthread_once). */
void zp_real_init(void);

/** The resolved table (initialised on first use). */
static inline const struct zp_real *zp_libc(void)
{
	extern int zp_real_ready;

	if (__builtin_expect(!__atomic_load_n(&zp_real_ready, __ATOMIC_ACQUIRE), 0)) {
		zp_real_init();
	}
	return &zp_real;
}

#endif /* ZP_REAL_H */
