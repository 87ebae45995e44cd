/*
 * Descriptor table: which kernel fds are secure sockets, and their state.
 * "Is this fd ours?" is one atomic load, without locks, so plain sockets pay
 * nothing; a hit takes a reference under a striped lock.
 *
 * close() does not free a number at once: the slot keeps a tombstone and the
 * number keeps a placeholder file (zt_fd_retire) until the last call in
 * flight drops its reference, so the number cannot be reused meanwhile and
 * every call on it fails with EBADF (docs/security.md, "close()").
 */
#ifndef ZT_FDTABLE_H
#define ZT_FDTABLE_H

#include <stdatomic.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * What the table holds: the head of a secure socket (struct zt_sock embeds
 * it). The table counts references and calls @c release when the last one
 * goes; it knows nothing else of the socket.
 */
struct zt_fd_obj {
	atomic_int refs; /* the table's + one per call in flight */
	bool in_table;   /* registered (zt_fd_insert) */
	int fd;          /* the kernel socket, or its placeholder after close */
	void (*release)(struct zt_fd_obj *o);
};

/** What zt_fd_close() returns for a number whose secure socket is closed already. */
#define ZT_FD_CLOSED ((struct zt_fd_obj *)1)

/**
 * zt_fd_get_obj() for every entry of @p fds at once (zsock_poll over a large
 * set): the table's stripes are read-locked once for the whole loop, not
 * once per entry. @p out[i]: the live object of fds[i].fd with a reference
 * taken, or NULL.
 */
void zt_fd_get_many(const struct pollfd *fds, size_t n, struct zt_fd_obj **out);

/** True if @p fd is a live secure socket (lock-free). */
bool zt_fd_is_ours(int fd);

/** What the table holds for a number (zt_fd_kind). */
enum zt_fd_kind {
	ZT_FDK_NONE,   /* nothing: the host's descriptor */
	ZT_FDK_SOCK,   /* a live secure socket */
	ZT_FDK_CLOSED, /* a closed secure socket's reserved number, or one inherited across fork()
			*/
	ZT_FDK_AUX,    /* another object of libsecsock-posix (an epoll set with secure sockets) */
};

/** What @p fd is, with one lock-free load (the object may change right after). */
enum zt_fd_kind zt_fd_kind(int fd);

/**
 * True if @p fd is a secure socket that close() ended while a call still
 * holds it: the number is reserved by a placeholder (calls that the
 * placeholder would not refuse check this).
 */
bool zt_fd_closed(int fd);

/** The live object of @p fd with a reference taken, or NULL (not ours, or closed). */
struct zt_fd_obj *zt_fd_get_obj(int fd);

/** Drop a reference; the last one calls o->release(). NULL is ignored. */
void zt_fd_put_obj(struct zt_fd_obj *o);

/**
 * Register @p o under o->fd; the table holds one reference.
 * @retval 0, -EBADF (fd out of range), -EEXIST, -ENOMEM.
 */
int zt_fd_insert(struct zt_fd_obj *o);

/**
 * close(): turn the slot of @p fd into a tombstone.
 * @return the object (with the table's reference, for the caller to put),
 *         NULL if @p fd is not a secure socket, ZT_FD_CLOSED if it was
 *         closed already and its number is still reserved.
 */
struct zt_fd_obj *zt_fd_close(int fd);

/**
 * After close() said goodbye. With calls still in flight on o: replace the
 * kernel socket under o->fd by a placeholder that fails every socket call
 * with EBADF; the kernel socket is closed now (once), and the placeholder
 * keeps the number until the last reference goes. With none (the table's
 * reference is the only one): nothing to do, the caller's put closes the
 * number at once. @retval 0, or -errno (the socket is then shut down instead).
 */
int zt_fd_retire(struct zt_fd_obj *o);

/**
 * Close o->fd exactly once, and clear its slot if it still holds @p o (its
 * tombstone) - under the slot's lock, so no other thread sees a reused
 * number with a stale slot. For o->release() implementations.
 */
void zt_fd_release(struct zt_fd_obj *o);

/**
 * dup2() or dup3() onto a closed secure socket's reserved number: forget the
 * reservation, so that the socket's last reference leaves the number (now
 * the application's) alone. A number inherited across fork() is forgotten
 * the same way. No effect on any other slot.
 */
void zt_fd_disown(int fd);

/**
 * Register an object that is not a socket (libsecsock-posix's epoll sets)
 * under o->fd; the table holds one reference. @retval 0, -EEXIST (a live
 * socket or object has the number), -EBADF, -ENOMEM.
 */
int zt_fd_aux_insert(struct zt_fd_obj *o);

/** The object zt_fd_aux_insert() put under @p fd, with a reference taken, or NULL. */
struct zt_fd_obj *zt_fd_aux_get(int fd);

/** Remove the object of @p fd (the table's reference goes to the caller), or NULL. */
struct zt_fd_obj *zt_fd_aux_take(int fd);

/**
 * Call @p fn for every number in [@p first, @p last] that holds a live
 * secure socket or an object, with its kind; lock-free, like zt_fd_kind()
 * (for close_range()).
 */
void zt_fd_foreach(unsigned first, unsigned last,
		   void (*fn)(int fd, enum zt_fd_kind kind, void *arg), void *arg);

/**
 * In the child of fork(), before anything else runs there: every secure
 * socket inherited from the parent is closed in the child without a word to
 * the peer. Its number gets the placeholder, so that every call on it - the
 * kernel's own, io_uring and raw system calls included - fails with EBADF
 * and nothing the child does can touch the parent's session; close() frees
 * the number (docs/posix.md, "fork").
 */
void zt_fd_after_fork(void);

#endif /* ZT_FDTABLE_H */
