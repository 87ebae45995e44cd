/*
 * Descriptor table: which kernel fds are secure sockets, and their state.
 * "Is this fd ours?" is one atomic load, without locks, so plain sockets pay
 * nothing; a hit takes a reference under a striped lock.
 */
#ifndef ZT_FDTABLE_H
#define ZT_FDTABLE_H

#include <stdbool.h>

struct zt_sock;

/** True if @p fd is a secure socket (lock-free). */
bool zt_fd_is_ours(int fd);

/** The socket of @p fd with a reference taken, or NULL if not ours. */
struct zt_sock *zt_fd_get(int fd);

/** Drop a reference taken by zt_fd_get() (or the table's own, via zt_fd_remove()). */
void zt_fd_put(struct zt_sock *s);

/**
 * Register @p s under @p fd; the table holds one reference.
 * @retval 0, -EBADF (fd out of range), -EEXIST, -ENOMEM.
 */
int zt_fd_insert(int fd, struct zt_sock *s);

/** Unregister @p fd; returns its socket with the table's reference, or NULL. */
struct zt_sock *zt_fd_remove(int fd);

#endif /* ZT_FDTABLE_H */
