/*
 * Blocking on a secure socket. The kernel socket is always non-blocking;
 * a blocking call sleeps here in poll() on the kernel fd and on a per-thread
 * eventfd, so close() or shutdown() from another thread can wake it
 * (EINTR, docs/zephyr-behaviour.md §3.8). Idle sockets cost no extra descriptor: the
 * eventfd belongs to the thread, created the first time it blocks.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sock/sock.h"

atomic_bool zt_posix_signals;

/*
 * A signal handler ran while a blocking call slept in poll(): would the C
 * library's own call have been restarted? poll() cannot tell which signal it
 * was, so: restarted only if every signal with a handler has SA_RESTART;
 * otherwise EINTR (POSIX allows it; Python's handlers, for one, need it).
 * Handlers of the fault signals do not count: those signals come from the
 * faulting thread's own instruction, never into a sleeping poll(), and crash
 * reporters and sanitizer runtimes install them without SA_RESTART.
 */
static bool fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGTRAP || sig == SIGSYS;
}

static bool signals_restart(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP || fault_signal(sig) ||
		    sigaction(sig, NULL, &sa) < 0) {
			continue;
		}
		if ((sa.sa_flags & SA_SIGINFO)
			    ? sa.sa_sigaction != NULL
			    : (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)) {
			if (!(sa.sa_flags & SA_RESTART)) {
				return false;
			}
		}
	}
	return true;
}

static pthread_key_t efd_key;
static pthread_once_t efd_once = PTHREAD_ONCE_INIT;

static void efd_release(void *p)
{
	zt_sys_close((int)(intptr_t)p - 1);
}

static void efd_key_init(void)
{
	(void)pthread_key_create(&efd_key, efd_release);
}

int zt_thread_efd(void)
{
	void *p;
	int efd;

	pthread_once(&efd_once, efd_key_init);
	p = pthread_getspecific(efd_key);
	if (p != NULL) {
		return (int)(intptr_t)p - 1;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		return -errno;
	}
	/* stored as fd + 1 so that fd 0 is not NULL */
	if (pthread_setspecific(efd_key, (void *)(intptr_t)(efd + 1)) != 0) {
		zt_sys_close(efd);
		return -ENOMEM;
	}
	return efd;
}

void zt_waiter_add(struct zt_sock *s, struct zt_waiter *w)
{
	/* a free slot, without a lock; the list only when every slot is taken */
	for (int i = 0; i < ZT_WAIT_SLOTS; i++) {
		int free_ = 0;

		if (atomic_compare_exchange_strong(&s->wslot[i], &free_, w->efd + 1)) {
			w->slot = i;
			return;
		}
	}
	w->slot = -1;
	pthread_mutex_lock(&s->lock);
	w->next = s->waiters;
	s->waiters = w;
	pthread_mutex_unlock(&s->lock);
}

void zt_waiter_del(struct zt_sock *s, struct zt_waiter *w)
{
	if (w->slot >= 0) {
		atomic_store(&s->wslot[w->slot], 0);
		/* a zt_wake_all() that read the slot may still write to our eventfd: let it */
		while (atomic_load(&s->waking) != 0) {
			sched_yield();
		}
		return;
	}
	pthread_mutex_lock(&s->lock);
	for (struct zt_waiter **pp = &s->waiters; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static void wake(struct zt_sock *s, int except)
{
	uint64_t one = 1;

	atomic_fetch_add(&s->waking, 1);
	for (int i = 0; i < ZT_WAIT_SLOTS; i++) {
		int v = atomic_load(&s->wslot[i]);

		if (v != 0 && v - 1 != except) {
			(void)!zt_sys_write(v - 1, &one, sizeof(one));
		}
	}
	atomic_fetch_sub(&s->waking, 1);
	pthread_mutex_lock(&s->lock);
	for (struct zt_waiter *w = s->waiters; w != NULL; w = w->next) {
		if (w->efd != except) {
			(void)!zt_sys_write(w->efd, &one, sizeof(one));
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void zt_wake_all(struct zt_sock *s)
{
	wake(s, -1);
}

void zt_wake_others(struct zt_sock *s)
{
	int self = zt_thread_efd();

	wake(s, self >= 0 ? self : -1);
}

static int so_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (zt_sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0) {
		return -EIO;
	}
	return -err;
}

int zt_wait(struct zt_sock *s, short events, int64_t deadline)
{
	return zt_wait_since(s, events, deadline, atomic_load(&s->moved));
}

int zt_wait_since(struct zt_sock *s, short events, int64_t deadline, unsigned seen)
{
	struct zt_waiter w;
	struct pollfd pfd[2];
	uint64_t drain;
	int64_t left;
	int n;

	/*
	 * A stream waiting for input may be idle: after ZT_IDLE_TRIM_MS without
	 * anything, its record buffers give their pages back, after
	 * SECSOCK_TLS_HIBERNATE ms its session hibernates; the wait goes on.
	 */
	bool idle = (events & POLLIN) && (s->type == SOCK_STREAM || zt_sock_hibernate_ms(s) > 0) &&
		    atomic_load(&s->mem_held);
	int64_t next = idle ? zt_sock_idle_first(s) : -1;
	int64_t quiet = 0; /* ms this wait has seen nothing: the idle polls that timed out */
	bool due = false;

	w.efd = zt_thread_efd();
	if (w.efd < 0) {
		return w.efd;
	}
	zt_waiter_add(s, &w);
	for (;;) {
		int timeout;

		/* checked after registering, so a close() cannot slip between */
		if (atomic_load(&s->closing)) {
			n = -EINTR;
			break;
		}
		if (atomic_load(&s->moved) != seen) {
			n = 0; /* poll() put data in the engine: the caller re-checks */
			break;
		}
		left = zt_remaining(deadline);
		if (left == 0 && deadline != ZT_FOREVER) {
			n = -EAGAIN;
			break;
		}
		/* a stream also watches for the peer's FIN: send() must not write into it */
		pfd[0] = (struct pollfd){
			.fd = s->fd, .events = events | (s->type == SOCK_STREAM ? POLLRDHUP : 0)};
		pfd[1] = (struct pollfd){.fd = w.efd, .events = POLLIN};
		timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		due = false;
		if (idle) {
			/* no clock read: a busy connection's waits must not pay for this */
			int64_t at = next > quiet ? next - quiet : 0;

			if (timeout < 0 || timeout > at) {
				timeout = (int)at;
				due = true; /* else the caller's deadline comes first */
			}
		}
		n = zt_sys_poll(pfd, 2, timeout);
		if (n == 0 && due) {
			quiet += timeout;
			next = zt_session_idle(s, quiet);
			idle = next >= 0;
			continue;
		}
		if (n < 0) {
			/* kept: signals_restart()'s sigaction() probes set errno */
			int err = errno;

			if (err == EINTR &&
			    atomic_load_explicit(&zt_posix_signals, memory_order_relaxed) &&
			    !signals_restart()) {
				n = -EINTR; /* as the C library's call (libsecsock-posix) */
				break;
			}
			if (err == EINTR) {
				continue; /* a signal: keep waiting until the deadline */
			}
			n = -err;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			(void)!zt_sys_read(w.efd, &drain, sizeof(drain));
			if (atomic_load(&s->closing)) {
				n = -EINTR;
				break;
			}
			/*
			 * shutdown, or another thread (poll's data check) moved data
			 * into the engine: the caller re-checks. A stale wake-up from
			 * an earlier wait costs the caller one more loop.
			 */
			n = 0;
			break;
		}
		if (pfd[0].revents & (POLLRDHUP | POLLHUP)) {
			atomic_store(&s->peer_left, true);
		}
		if (pfd[0].revents & POLLERR) {
			n = so_error(s->fd);
			break;
		}
		if (pfd[0].revents & (events | POLLHUP | POLLRDHUP)) {
			n = pfd[0].revents & (events | POLLHUP | POLLRDHUP);
			break;
		}
	}
	zt_waiter_del(s, &w);
	return n;
}
