/*
 * poll() and select() over any mix of plain and secure descriptors
 * (poll.c), with the signal mask of ppoll()/pselect(): what zsock_poll(),
 * zsock_select() and libsecsock-posix's poll family run. They set errno.
 */
#ifndef ZT_POLL_H
#define ZT_POLL_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>

/**
 * poll(): @p timeout_ms < 0 waits forever. With @p mask, the kernel waits
 * are ppoll() under that signal mask (so a signal it unblocks interrupts
 * the call with EINTR, as ppoll()'s). Without a secure socket in the set,
 * exactly the host's poll()/ppoll().
 */
int zt_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ms, const sigset_t *mask);

/** select() through zt_poll(); the sets are rewritten as select()'s. */
int zt_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, int64_t timeout_ms,
	      const sigset_t *mask);

#endif /* ZT_POLL_H */
