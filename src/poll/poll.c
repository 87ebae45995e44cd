/*
 * poll() and select() over any mix of plain and secure descriptors
 * (reference §3.7). The kernel cannot see inside Mbed TLS, so for a secure
 * socket: plaintext already decrypted, a complete record buffered, a
 * received close_notify or a latched error are events of their own; kernel
 * readability is confirmed by a "data check" that decrypts without
 * returning data, so partial records and handshake messages never wake the
 * application.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/net/socket.h>

#include "engine/engine.h"
#include "fd/fdtable.h"
#include "sock/ops.h"

#define STACK_FDS 32

/* Under s->lock: what a data check says, as poll events. */
static short data_check_events(struct zt_sock *s)
{
	int rc = zt_eng_data_check(s->eng);

	if (rc > 0) {
		return POLLIN;
	}
	if (rc == 0) {
		s->state = ZT_CLOSED;
		return POLLIN | POLLHUP;
	}
	if (rc == -EAGAIN) {
		return 0;
	}
	s->error = rc == -ENOMEM ? ENOMEM : ECONNABORTED;
	return POLLERR;
}

static bool has_session(const struct zt_sock *s)
{
	return s->eng != NULL && (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED);
}

/*
 * poll() may have moved data into the engine (a data check reads the kernel
 * socket): a thread blocked in recv on the kernel fd would not see it, so
 * wake it to re-check.
 */
static short wake_readers(struct zt_sock *s, short rev)
{
	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		zt_wake_all(s);
	}
	return rev;
}

short zt_sock_poll_ready(struct zt_sock *s, short events)
{
	short rev = 0;

	if (s->type == SOCK_DGRAM) {
		return wake_readers(s, zt_dtls_poll_ready(s, events));
	}

	pthread_mutex_lock(&s->lock);
	if (s->error != 0 || s->broken) {
		rev = POLLERR;
	} else if (s->state == ZT_CLOSED || s->shut_rd) {
		rev = (events & POLLIN) | POLLHUP;
	} else if (has_session(s)) {
		if (zt_eng_write_pending(s->eng)) {
			(void)zt_eng_flush(s->eng);
		}
		if ((events & POLLIN) &&
		    (zt_eng_pending(s->eng) > 0 || zt_eng_has_buffered_input(s->eng))) {
			/* reference §3.7, Zephyr PR #115310: a whole record may be buffered */
			rev = data_check_events(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return wake_readers(s, rev);
}

short zt_sock_poll_kernel_events(struct zt_sock *s, short events)
{
	short kev = events;

	if (s->type == SOCK_DGRAM) {
		return zt_dtls_poll_kernel_events(s, events);
	}

	pthread_mutex_lock(&s->lock);
	if (has_session(s) && zt_eng_write_pending(s->eng)) {
		kev |= POLLOUT; /* to push out a queued record */
	}
	pthread_mutex_unlock(&s->lock);
	return kev;
}

short zt_sock_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = kev & (events | POLLERR | POLLHUP | POLLNVAL);

	if (s->type == SOCK_DGRAM) {
		return wake_readers(s, zt_dtls_poll_update(s, events, kev));
	}
	pthread_mutex_lock(&s->lock);
	if (!has_session(s)) {
		pthread_mutex_unlock(&s->lock);
		return rev;
	}
	if ((kev & POLLOUT) && zt_eng_write_pending(s->eng)) {
		(void)zt_eng_flush(s->eng);
		if (zt_eng_write_pending(s->eng)) {
			rev &= ~POLLOUT;
		}
	}
	if (kev & (POLLIN | POLLHUP | POLLERR)) {
		rev &= ~(POLLIN | POLLHUP | POLLERR);
		if (s->state == ZT_CLOSED) {
			rev |= (events & POLLIN) | POLLHUP;
		} else {
			short dc = data_check_events(s);

			rev |= dc & (events | POLLHUP | POLLERR);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return wake_readers(s, rev);
}

int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout)
{
	struct zt_sock *stack_socks[STACK_FDS];
	struct pollfd stack_kfds[STACK_FDS];
	short stack_pre[STACK_FDS];
	struct zt_sock **socks = stack_socks;
	struct pollfd *kfds = stack_kfds;
	short *pre = stack_pre;
	bool ours = false;
	int64_t deadline;
	int n, count = 0;

	if (nfds < 0) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < nfds && !ours; i++) {
		ours = zt_fd_is_ours(fds[i].fd);
	}
	if (!ours) {
		/* same layout as struct pollfd (checked in tests) */
		return poll((struct pollfd *)fds, (nfds_t)nfds, timeout);
	}
	if (nfds > STACK_FDS) {
		socks = calloc((size_t)nfds, sizeof(*socks));
		kfds = calloc((size_t)nfds, sizeof(*kfds));
		pre = calloc((size_t)nfds, sizeof(*pre));
		if (socks == NULL || kfds == NULL || pre == NULL) {
			free(socks);
			free(kfds);
			free(pre);
			errno = ENOMEM;
			return -1;
		}
	}
	for (int i = 0; i < nfds; i++) {
		socks[i] = zt_fd_get(fds[i].fd);
	}
	deadline = zt_deadline(timeout < 0 ? ZT_FOREVER : timeout);
	for (;;) {
		int ready = 0;
		int64_t left;

		for (int i = 0; i < nfds; i++) {
			kfds[i] = (struct pollfd){.fd = fds[i].fd, .events = fds[i].events};
			pre[i] = 0;
			if (socks[i] != NULL) {
				pre[i] = zt_sock_poll_ready(socks[i], fds[i].events);
				ready += pre[i] != 0;
				kfds[i].events =
					zt_sock_poll_kernel_events(socks[i], fds[i].events);
			}
		}
		left = ready ? 0 : zt_remaining(deadline);
		for (int i = 0; i < nfds && left != 0; i++) {
			if (socks[i] != NULL && socks[i]->type == SOCK_DGRAM) {
				int64_t t = zt_dtls_poll_timeout(socks[i]);

				if (t >= 0 && (left < 0 || t < left)) {
					left = t;
				}
			}
		}
		n = poll(kfds, (nfds_t)nfds, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0) {
			count = -1;
			break;
		}
		count = 0;
		for (int i = 0; i < nfds; i++) {
			short rev = kfds[i].revents;

			if (socks[i] != NULL) {
				rev = pre[i] |
				      zt_sock_poll_update(socks[i], fds[i].events, kfds[i].revents);
			}
			fds[i].revents = rev;
			count += rev != 0;
		}
		if (count > 0 || zt_remaining(deadline) == 0) {
			break;
		}
		/* only partial records or handshake messages arrived: wait on */
	}
	for (int i = 0; i < nfds; i++) {
		zt_fd_put(socks[i]);
	}
	if (socks != stack_socks) {
		int saved = errno;

		free(socks);
		free(kfds);
		free(pre);
		errno = saved;
	}
	return count;
}

int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds, zsock_fd_set *exceptfds,
		 struct zsock_timeval *timeout)
{
	struct zsock_pollfd *pfds;
	int n = 0, rc, timeout_ms = -1;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	if (timeout != NULL) {
		if (timeout->tv_sec < 0 || timeout->tv_usec < 0) {
			errno = EINVAL;
			return -1;
		}
		timeout_ms = (int)(timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000);
	}
	pfds = calloc((size_t)(nfds > 0 ? nfds : 1), sizeof(*pfds));
	if (pfds == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		ev |= (readfds && FD_ISSET(fd, readfds)) ? POLLIN : 0;
		ev |= (writefds && FD_ISSET(fd, writefds)) ? POLLOUT : 0;
		ev |= (exceptfds && FD_ISSET(fd, exceptfds)) ? POLLPRI : 0;
		if (ev) {
			pfds[n++] = (struct zsock_pollfd){.fd = fd, .events = ev};
		}
	}
	rc = zsock_poll(pfds, n, timeout_ms);
	if (rc < 0) {
		free(pfds);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (pfds[i].revents & POLLNVAL) {
			free(pfds);
			errno = EBADF;
			return -1;
		}
	}
	if (readfds) {
		FD_ZERO(readfds);
	}
	if (writefds) {
		FD_ZERO(writefds);
	}
	if (exceptfds) {
		FD_ZERO(exceptfds);
	}
	rc = 0;
	for (int i = 0; i < n; i++) {
		short r = pfds[i].revents;

		if (readfds && (r & (POLLIN | POLLHUP | POLLERR)) && (pfds[i].events & POLLIN)) {
			FD_SET(pfds[i].fd, readfds);
			rc++;
		}
		if (writefds && (r & (POLLOUT | POLLERR)) && (pfds[i].events & POLLOUT)) {
			FD_SET(pfds[i].fd, writefds);
			rc++;
		}
		if (exceptfds && (r & POLLPRI) && (pfds[i].events & POLLPRI)) {
			FD_SET(pfds[i].fd, exceptfds);
			rc++;
		}
	}
	free(pfds);
	return rc;
}
