/*
 * secsock: the socket parts of Zephyr's <zephyr/sys/fdtable.h> for Linux hosts.
 *
 * Descriptors are the host kernel's, so the poll structure, fcntl numbers
 * and ioctl requests are the host's (equal to Zephyr's except
 * ZVFS_O_NONBLOCK). Zephyr's descriptor-table internals (fd_op_vtable,
 * zvfs_reserve_fd, zvfs_finalize_fd, ...) and its file calls (zvfs_open,
 * zvfs_read, ...) are absent: on a host the kernel owns the table
 * (docs/zephyr-names.md).
 */
#ifndef SECSOCK_ZEPHYR_SYS_FDTABLE_H
#define SECSOCK_ZEPHYR_SYS_FDTABLE_H

#include <poll.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/*
 * Linux's fcntl numbers, without <fcntl.h> (it conflicts with <linux/fcntl.h>);
 * include <fcntl.h> for F_GETFL and O_NONBLOCK themselves, as Zephyr code
 * includes <zephyr/posix/fcntl.h>.
 */
#if defined(O_NONBLOCK)
#define ZVFS_O_NONBLOCK O_NONBLOCK /**< Non-blocking mode (host value; Zephyr 0x4000) */
#elif defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) ||      \
	defined(__riscv) || defined(__s390__) || defined(__powerpc__) || defined(__loongarch__)
#define ZVFS_O_NONBLOCK 04000
#else
#error "secsock: include <fcntl.h> before <zephyr/sys/fdtable.h> on this architecture"
#endif
#define ZVFS_F_DUPFD 0 /**< fcntl: duplicate a descriptor */
#define ZVFS_F_GETFL 3 /**< fcntl: get the status flags */
#define ZVFS_F_SETFL 4 /**< fcntl: set the status flags */

#define ZVFS_POLLIN   POLLIN   /**< Readable */
#define ZVFS_POLLPRI  POLLPRI  /**< Exceptional condition */
#define ZVFS_POLLOUT  POLLOUT  /**< Writable */
#define ZVFS_POLLERR  POLLERR  /**< Error (output only) */
#define ZVFS_POLLHUP  POLLHUP  /**< Hang-up (output only) */
#define ZVFS_POLLNVAL POLLNVAL /**< Not an open descriptor (output only) */

/** One descriptor for zsock_poll(): the layout of the host's struct pollfd. */
struct zvfs_pollfd {
	int fd;        /**< Descriptor; a negative one is ignored */
	short events;  /**< Requested events (ZSOCK_POLLIN, ...) */
	short revents; /**< Returned events */
};

/** Number of descriptors a zsock_fd_set holds (the host's FD_SETSIZE). */
#define ZVFS_FD_SETSIZE FD_SETSIZE

/** ioctl requests on sockets: the host's numbers (equal to Zephyr's). */
enum {
	ZFD_IOCTL_FIONREAD = 0x541B,  /**< Bytes available to read (Linux FIONREAD) */
	ZFD_IOCTL_FIONBIO = 0x5421,   /**< Set non-blocking mode (Linux FIONBIO) */
	ZFD_IOCTL_FIONWRITE = 0x5411, /**< Bytes not yet acknowledged (Linux TIOCOUTQ) */
};

/**
 * @brief Wait for events on descriptors (documented in <zephyr/net/socket.h>).
 *
 * @param fds Descriptors and requested events; revents filled in.
 * @param nfds Number of entries in @p fds.
 * @param timeout Milliseconds; -1 waits without limit, 0 does not wait.
 *
 * @return Number of entries with events, 0 on timeout, -1 with errno set.
 * @retval EINVAL @p nfds negative or above the host's limit.
 * @retval EINTR A signal interrupted the wait.
 * @retval ENOMEM Out of memory.
 */
SECSOCK_API int zsock_poll(struct zvfs_pollfd *fds, int nfds, int timeout);

/** @brief Zephyr's descriptor-layer poll: zsock_poll(). */
static inline int zvfs_poll(struct zvfs_pollfd *fds, int nfds, int poll_timeout)
{
	return zsock_poll(fds, nfds, poll_timeout);
}

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_SYS_FDTABLE_H */
