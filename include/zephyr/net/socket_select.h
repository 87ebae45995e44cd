/*
 * secsock: Zephyr's <zephyr/net/socket_select.h> for Linux hosts.
 *
 * zsock_fd_set is the host's fd_set, so ZSOCK_FD_SETSIZE is the host's
 * FD_SETSIZE (1024 on Linux; Zephyr: the size of its descriptor table).
 */
#ifndef SECSOCK_ZEPHYR_NET_SOCKET_SELECT_H
#define SECSOCK_ZEPHYR_NET_SOCKET_SELECT_H

#include <sys/select.h>
#include <zephyr/net/socket_types.h>
#include <zephyr/sys/fdtable.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/** Socket descriptor set of zsock_select(): the host's fd_set. */
typedef fd_set zsock_fd_set;

/** Number of descriptors a zsock_fd_set holds; descriptors must be below it. */
#define ZSOCK_FD_SETSIZE FD_SETSIZE

/** @brief Empty @p set. */
static inline void ZSOCK_FD_ZERO(zsock_fd_set *set)
{
	FD_ZERO(set);
}

/** @brief Whether @p fd (0 <= fd < ZSOCK_FD_SETSIZE) is in @p set; 0 or non-zero. */
static inline int ZSOCK_FD_ISSET(int fd, zsock_fd_set *set)
{
	return FD_ISSET(fd, set) ? 1 : 0;
}

/** @brief Remove @p fd (0 <= fd < ZSOCK_FD_SETSIZE) from @p set. */
static inline void ZSOCK_FD_CLR(int fd, zsock_fd_set *set)
{
	FD_CLR(fd, set);
}

/** @brief Add @p fd (0 <= fd < ZSOCK_FD_SETSIZE) to @p set. */
static inline void ZSOCK_FD_SET(int fd, zsock_fd_set *set)
{
	FD_SET(fd, set);
}

/**
 * @brief Wait until descriptors are ready, like POSIX select().
 *
 * Any mix of secure and plain descriptors. A secure socket is readable when
 * decrypted data, the peer's close_notify or an error is waiting, not merely
 * when encrypted bytes arrived (docs/zephyr-behaviour.md §3.6).
 *
 * @param nfds Highest descriptor in any set, plus one.
 * @param readfds Descriptors to check for reading, or NULL; on return the ready ones.
 * @param writefds Descriptors to check for writing, or NULL; on return the ready ones.
 * @param exceptfds Descriptors to check for exceptions, or NULL; on return the ready ones.
 * @param timeout Longest wait; NULL waits without limit, zero does not wait.
 *
 * @return Number of ready descriptors, 0 on timeout; -1 with errno set on error.
 * @retval EBADF A set holds a closed descriptor, or a secure socket was closed
 *               by another thread during the wait.
 * @retval EINVAL @p nfds negative or above ZSOCK_FD_SETSIZE, or an invalid @p timeout.
 * @retval EINTR A signal interrupted the wait.
 * @retval ENOMEM Out of memory.
 */
SECSOCK_API int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds,
			     zsock_fd_set *exceptfds, struct zsock_timeval *timeout);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_SOCKET_SELECT_H */
