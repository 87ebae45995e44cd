/*
 * poll() and select() over any mix of plain and secure descriptors: one
 * kernel poll() over all of them, with what each secure socket reports
 * without the kernel (src/sock/events.c) before it and after it. This file
 * only multiplexes; it changes no socket state.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zephyr/net/socket.h>

#include "fd/fdtable.h"
#include "poll/poll.h"
#include "sock/ops.h"
#include "sys/host.h"

#define STACK_FDS 32
#define HOLD_FDS  128 /* from this many descriptors, zt_fd_get_many() */

/*
 * What one zsock_poll() call holds: a reference to every secure socket of the
 * set, the kernel's pollfd array (with this thread's eventfd in the last
 * slot, so close() from another thread can wake it), and one waiter per
 * secure socket, registered only before the call sleeps.
 */
struct poll_call {
	int nfds;
	struct zt_sock **socks;
	struct pollfd *kfds; /* nfds + 1 */
	short *pre;
	int *todo; /* the sockets whose timers a sleeping call looks at */
	struct zt_waiter *waiters;
	bool armed;
	bool own_tbuf; /* the arrays are this thread's kept block */
	void *heap;    /* or a block of this call's own */
	struct zt_sock *stack_socks[STACK_FDS];
	struct pollfd stack_kfds[STACK_FDS + 1];
	short stack_pre[STACK_FDS];
	int stack_todo[STACK_FDS];
	struct zt_waiter stack_waiters[STACK_FDS];
};

/*
 * A large set's arrays: one block per thread, kept between calls and grown
 * when a bigger set comes, so a server polling 10,000 sockets allocates (and
 * faults in) nothing per call. A nested call on the same thread (a signal
 * handler's poll) finds the block in use and allocates its own.
 */
struct poll_buf {
	size_t cap; /* descriptors */
	bool busy;
	void *mem;
};

static __thread struct poll_buf tbuf;
static pthread_key_t tbuf_key;
static pthread_once_t tbuf_once = PTHREAD_ONCE_INIT;

static void tbuf_free(void *p)
{
	struct poll_buf *b = p;

	free(b->mem);
	b->mem = NULL;
	b->cap = 0;
}

static void tbuf_key_init(void)
{
	(void)pthread_key_create(&tbuf_key, tbuf_free);
}

static size_t block_size(size_t n)
{
	return n * (sizeof(struct zt_sock *) + sizeof(int) + sizeof(short) +
		    sizeof(struct zt_waiter)) +
	       (n + 1) * sizeof(struct pollfd);
}

static void call_carve(struct poll_call *c, void *mem, size_t n)
{
	char *p = mem;

	c->waiters = (struct zt_waiter *)p;
	p += n * sizeof(struct zt_waiter);
	c->socks = (struct zt_sock **)p;
	p += n * sizeof(struct zt_sock *);
	c->kfds = (struct pollfd *)p;
	p += (n + 1) * sizeof(struct pollfd);
	c->todo = (int *)p;
	p += n * sizeof(int);
	c->pre = (short *)p;
}

static int call_init(struct poll_call *c, int nfds)
{
	size_t n = (size_t)nfds;
	void *mem;

	c->nfds = nfds;
	c->armed = false;
	c->heap = NULL;
	c->own_tbuf = false;
	c->socks = c->stack_socks;
	c->kfds = c->stack_kfds;
	c->pre = c->stack_pre;
	c->todo = c->stack_todo;
	c->waiters = c->stack_waiters;
	if (nfds <= STACK_FDS) {
		return 0;
	}
	if (!tbuf.busy) {
		if (tbuf.cap < n) {
			size_t cap = n < 1024 ? 1024 : n;

			mem = malloc(block_size(cap));
			if (mem == NULL) {
				return -ENOMEM;
			}
			pthread_once(&tbuf_once, tbuf_key_init);
			free(tbuf.mem);
			tbuf.mem = mem;
			tbuf.cap = cap;
			(void)pthread_setspecific(tbuf_key, &tbuf); /* freed at thread exit */
		}
		tbuf.busy = true;
		c->own_tbuf = true;
		call_carve(c, tbuf.mem, n);
		return 0;
	}
	c->heap = malloc(block_size(n));
	if (c->heap == NULL) {
		return -ENOMEM;
	}
	call_carve(c, c->heap, n);
	return 0;
}

/* Register a waiter on every secure socket: close() now wakes this call. */
static void call_arm(struct poll_call *c, int efd)
{
	for (int i = 0; i < c->nfds; i++) {
		if (c->socks[i] != NULL) {
			c->waiters[i].efd = efd;
			zt_waiter_add(c->socks[i], &c->waiters[i]);
		}
	}
	c->armed = true;
}

static void call_fini(struct poll_call *c)
{
	int saved = errno;

	for (int i = 0; i < c->nfds; i++) {
		if (c->armed && c->socks[i] != NULL) {
			zt_waiter_del(c->socks[i], &c->waiters[i]);
		}
		zt_fd_put(c->socks[i]);
	}
	if (c->own_tbuf) {
		tbuf.busy = false;
	}
	free(c->heap);
	errno = saved;
}

/* The kernel's wait: poll(), or ppoll() with the caller's signal mask. */
static int kernel_poll(struct pollfd *fds, nfds_t n, int64_t ms, const sigset_t *mask)
{
	struct timespec ts;

	if (mask == NULL) {
		return zt_sys_poll(fds, n, ms < 0 ? -1 : ms > INT32_MAX ? INT32_MAX : (int)ms);
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return zt_sys_ppoll(fds, n, ms < 0 ? NULL : &ts, mask);
}

int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout)
{
	if (nfds < 0) {
		errno = EINVAL;
		return -1;
	}
	/* same layout as struct pollfd (checked in tests) */
	return zt_poll((struct pollfd *)fds, (nfds_t)nfds, timeout < 0 ? -1 : timeout, NULL);
}

int zt_poll(struct pollfd *fds, nfds_t nfds_, int64_t timeout, const sigset_t *mask)
{
	struct poll_call c;
	bool ours = false;
	int64_t deadline, now;
	int n, efd = -1, count = 0;
	int nfds = (int)nfds_;

	if (nfds_ > INT32_MAX - 1) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < nfds && !ours; i++) {
		ours = zt_fd_is_ours(fds[i].fd);
	}
	if (!ours) {
		return kernel_poll(fds, nfds_, timeout, mask);
	}
	if (call_init(&c, nfds) < 0) {
		errno = ENOMEM;
		return -1;
	}
	if (nfds >= HOLD_FDS) {
		/*
		 * A large set: the table's stripe locks once, not once per socket.
		 * The waiters' memory (allocated, unused until call_arm) holds the
		 * objects meanwhile.
		 */
		struct zt_fd_obj **objs = (struct zt_fd_obj **)(void *)c.waiters;

		_Static_assert(sizeof(struct zt_waiter) >= sizeof(struct zt_fd_obj *),
			       "a waiter's room holds a pointer");
		zt_fd_get_many(fds, (size_t)nfds, objs);
		for (int i = 0; i < nfds; i++) {
			struct zt_fd_obj *o = objs[i];

			c.socks[i] = o != NULL ? ZT_CONTAINER_OF(o, struct zt_sock, obj) : NULL;
		}
	} else {
		for (int i = 0; i < nfds; i++) {
			c.socks[i] = zt_fd_get(fds[i].fd);
		}
	}
	/*
	 * A call that may sleep registers its waiters (so close() from another
	 * thread wakes it) only once a first pass found nothing ready, kernel
	 * included: a busy server's calls return from that pass and never pay
	 * for the registration. After registering, the sockets are checked again
	 * before the sleep, so no close() or new engine data slips between.
	 */
	if (timeout != 0) {
		efd = zt_thread_efd();
	}
	deadline = zt_deadline(timeout < 0 ? ZT_FOREVER : timeout);
	for (;;) {
		int ready = 0, ntodo = 0;
		int64_t left;
		bool probe;

		for (int i = 0; i < nfds; i++) {
			struct zt_sock *s = c.socks[i];

			c.kfds[i] = (struct pollfd){.fd = fds[i].fd, .events = fds[i].events};
			c.pre[i] = 0;
			if (s == NULL) {
				continue;
			}
			if (zt_sock_poll_idle(s, fds[i].events, &c.kfds[i].events)) {
				/* the common case: nothing to report, no lock, no timer */
				if (atomic_load_explicit(&s->mem_held, memory_order_relaxed)) {
					c.todo[ntodo++] = i; /* but an idle trim to time */
				}
				continue;
			}
			if (atomic_load(&s->closing)) {
				/* closed by another thread: as the host reports a closed descriptor
				 */
				c.pre[i] = POLLNVAL;
				c.kfds[i].fd = -1;
			} else {
				c.pre[i] =
					zt_sock_poll_prepare(s, fds[i].events, &c.kfds[i].events);
				c.todo[ntodo++] = i;
			}
			ready += c.pre[i] != 0;
		}
		left = ready ? 0 : zt_remaining(deadline);
		probe = left != 0 && efd >= 0 && !c.armed;
		if (probe) {
			left = 0; /* the first pass: ask the kernel without sleeping */
		}
		now = 0;
		/* timers: only of the sockets that may have one (not the idle ones) */
		for (int j = 0; j < ntodo && left != 0; j++) {
			struct zt_sock *s = c.socks[c.todo[j]];
			int64_t t = zt_sock_poll_timeout(s);

			if (t >= 0 && (left < 0 || t < left)) {
				left = t;
			}
			/* a quiet stream gives its buffer pages back (ZT_IDLE_TRIM_MS) */
			if (atomic_load_explicit(&s->mem_held, memory_order_relaxed)) {
				now = now != 0 ? now : zt_now_ms();
				t = zt_sock_idle_tick(s, now);
				if (t >= 0 && (left < 0 || t < left)) {
					left = t;
				}
			}
		}
		c.kfds[nfds] = (struct pollfd){.fd = c.armed ? efd : -1, .events = POLLIN};
		n = kernel_poll(c.kfds, (nfds_t)nfds + 1, left, mask);
		if (n < 0) {
			count = -1;
			break;
		}
		if (c.kfds[nfds].revents & POLLIN) {
			uint64_t drain;

			(void)!zt_sys_read(efd, &drain, sizeof(drain));
		}
		count = 0;
		now = 0;
		for (int i = 0; i < nfds; i++) {
			short rev = c.kfds[i].revents;

			if (c.socks[i] != NULL) {
				short kev = rev;

				rev = c.pre[i];
				if (c.kfds[i].fd < 0) {
					/* closed by another thread: not asked */
				} else if (atomic_load(&c.socks[i]->closing)) {
					rev = POLLNVAL; /* closed while the call ran: as if before
							 */
				} else if (kev != 0 || c.socks[i]->type != SOCK_STREAM) {
					rev |= zt_sock_poll_update(c.socks[i], fds[i].events, kev);
				} else {
					/* nothing from the kernel: no lock, one clock read per call
					 */
					now = now != 0 ? now : zt_now_ms();
					zt_sock_poll_quiet(c.socks[i], fds[i].events, now);
				}
			}
			fds[i].revents = rev;
			count += rev != 0;
		}
		if (count > 0 || (!probe && zt_remaining(deadline) == 0)) {
			break;
		}
		if (probe) {
			call_arm(&c, efd); /* nothing ready: register, check again, then sleep */
			continue;
		}
		/* only partial records, handshake messages or a wake-up: wait on */
	}
	call_fini(&c);
	return count;
}

int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds, zsock_fd_set *exceptfds,
		 struct zsock_timeval *timeout)
{
	int64_t timeout_ms = -1;

	if (timeout != NULL) {
		if (timeout->tv_sec < 0 || timeout->tv_usec < 0) {
			errno = EINVAL;
			return -1;
		}
		timeout_ms = (int64_t)timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000;
	}
	return zt_select(nfds, readfds, writefds, exceptfds, timeout_ms, NULL);
}

int zt_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, int64_t timeout_ms,
	      const sigset_t *mask)
{
	struct pollfd *pfds;
	int n = 0, rc;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
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
			pfds[n++] = (struct pollfd){.fd = fd, .events = ev};
		}
	}
	rc = zt_poll(pfds, (nfds_t)n, timeout_ms, mask);
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
