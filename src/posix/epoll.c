/*
 * epoll over secure sockets (src/posix/epoll.h; the rules are in
 * docs/posix-epoll.md).
 *
 * A set that holds a secure socket keeps being the kernel's epoll instance
 * for every plain descriptor (registered there with the application's data,
 * untouched). Its secure sockets live in a private kernel set, `inner`,
 * registered in the application's set with the address of the set's object
 * as data, and the kernel sees in `inner` exactly what events.c asks for
 * (zt_sock_poll_prepare's kernel events: the handshake's direction, POLLOUT
 * for a queued record, ...), level-triggered, or edge-triggered for EPOLLET.
 * An eventfd in `inner` (data 0) wakes a sleeping wait when the watch hook
 * (the engine holds something the kernel will not signal) or close() needs it.
 *
 * A wait looks only at candidates: entries the kernel reported through
 * `inner`, entries the hook put on the set's candidate list, and entries
 * that stay candidates by rule (level-triggered entries just reported,
 * sockets with a timer: handshake bound, DTLS retransmission; DTLS sockets,
 * whose engine has no hook). An idle socket costs nothing per wait.
 *
 * Idle trim: a stream whose record buffers may be resident (s->mem_held)
 * stays on the candidate list for its trim alone (ep_ent.look false): the
 * wait runs zt_sock_idle_tick() on it and nothing else (no prepare, no
 * report, the kernel registration untouched, so no edge is made up), and
 * sleeps no longer than the trim is due. Once trimmed it leaves the list
 * until a step holds the buffers again: s->held_again brings the hook, and a
 * round that saw it held keeps it.
 *
 * Locks: reg_lock (every socket's s->watch list) before a set's lock; no
 * socket lock is taken under either (the socket's poll functions run with
 * none held). Entries are counted: the set holds one, and every wait that
 * evaluates one outside the set's lock holds one; an entry holds a reference
 * to its socket, which close() gives back at once through the hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "fd/fdtable.h"
#include "posix/epoll.h"
#include "sock/ops.h"
#include "sock/sock.h"
#include "sys/host.h"
#include "util/hmap.h"
#include "util/list.h"
#include "util/util.h"

/* the kernel's EP_MAX_EVENTS */
#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_event))
/* events of `inner` taken per look */
#define KBATCH        128
#define WORK_STACK    64
#define EXCL_OK                                                                                    \
	(EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLERR |   \
	 EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

struct ep_set {
	struct zt_fd_obj obj; /* obj.fd: the application's epoll descriptor */
	int ofd;              /* a private dup of it: waits sleep here, valid until release */
	int inner;            /* secure sockets (data: entry) and efd (data 0) */
	int efd;              /* wakes a sleeping wait (hook, close) */
	atomic_bool wake_pending;
	pthread_mutex_t lock; /* everything below, and the entries' set fields */
	bool closed;
	struct zt_hmap map;  /* fd -> entry */
	struct zt_link all;  /* every entry */
	struct zt_link cand; /* entries the next wait looks at */
};

struct ep_ent {
	struct zt_hnode node;
	int fd;
	atomic_int refs;       /* the set's + one per wait holding it */
	struct ep_set *set;    /* outlives its entries (the set's close drops them) */
	struct zt_sock *s;     /* a reference */
	struct ep_ent *s_next; /* reg_lock: the socket's s->watch list */
	/* under set->lock */
	struct zt_link all, link;
	uint32_t events; /* the application's, EPOLLET/EPOLLONESHOT included */
	epoll_data_t data;
	bool linked; /* in the set (false once removed) */
	bool armed;  /* EPOLLONESHOT: false after a report until EPOLL_CTL_MOD */
	bool kin;    /* registered in set->inner with kreg */
	bool look;   /* on `cand` for its events, not for its idle trim only */
	uint32_t kreg;
	uint64_t wseq; /* the wait call that holds it in its work list at widx */
	int widx;
	uint64_t rseq; /* the wait call that reported it last */
	uint32_t pend; /* EPOLLET: a report that found no room (its edge is consumed) */
};

/* Every socket's watch list (s->watch, ep_ent.s_next). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static atomic_uint_least64_t call_seq;

static int ret_int(int rc)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

static void ent_put(struct ep_ent *e)
{
	if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1) {
		zt_fd_put(e->s);
		free(e);
	}
}

/* Wake the set's sleeping waits (once until one of them drains the eventfd). */
static void set_signal(struct ep_set *set)
{
	uint64_t one = 1;

	if (!atomic_exchange(&set->wake_pending, true)) {
		(void)!zt_sys_write(set->efd, &one, sizeof(one));
	}
}

/* Under set->lock: look at @p e in the next wait. */
static void cand_add(struct ep_set *set, struct ep_ent *e)
{
	e->look = true;
	if (!zt_list_linked(&e->link)) {
		zt_list_add_tail(&set->cand, &e->link);
	}
}

/* Under set->lock: the next wait runs the idle tick of @p e (a stream holding its buffers). */
static void trim_add(struct ep_set *set, struct ep_ent *e)
{
	if (!zt_list_linked(&e->link)) {
		e->look = false;
		zt_list_add_tail(&set->cand, &e->link);
	}
}

/* Under set->lock: what `inner` watches for @p e (@p want 0 with !in: nothing). */
static int ent_kernel(struct ep_set *set, struct ep_ent *e, uint32_t want, bool in)
{
	struct epoll_event kev = {.events = want, .data.ptr = e};

	if (!in) {
		if (e->kin) {
			(void)zt_sys_epoll_ctl(set->inner, EPOLL_CTL_DEL, e->fd, &kev);
			e->kin = false;
		}
		return 0;
	}
	if (e->kin && e->kreg == want) {
		return 0;
	}
	if (zt_sys_epoll_ctl(set->inner, e->kin ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e->fd, &kev) < 0) {
		return -errno;
	}
	e->kin = true;
	e->kreg = want;
	return 0;
}

/* The poll events of an application's epoll mask. */
static short poll_events(uint32_t ev)
{
	short p = 0;

	p |= (ev & (EPOLLIN | EPOLLRDNORM)) ? POLLIN : 0;
	p |= (ev & (EPOLLOUT | EPOLLWRNORM)) ? POLLOUT : 0;
	p |= (ev & EPOLLPRI) ? POLLPRI : 0;
	p |= (ev & EPOLLRDHUP) ? POLLRDHUP : 0;
	return p;
}

/* What the kernel watches for a mask before the socket said (events.c refines it). */
static short first_kernel_events(uint32_t ev)
{
	short p = poll_events(ev);

	return (short)(p | ((p & POLLIN) ? POLLRDHUP : 0));
}

static uint32_t kernel_want(uint32_t ev, short kev)
{
	uint32_t w = (uint32_t)(unsigned short)kev & (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP);

	return w | (ev & EPOLLET);
}

/* What the application is told: @p rev (poll events) in the bits it asked for. */
static uint32_t report_bits(uint32_t ev, short rev)
{
	uint32_t r = 0;

	r |= (rev & POLLIN) ? ev & (EPOLLIN | EPOLLRDNORM) : 0;
	r |= (rev & POLLOUT) ? ev & (EPOLLOUT | EPOLLWRNORM) : 0;
	r |= (rev & POLLPRI) ? ev & EPOLLPRI : 0;
	r |= (rev & POLLRDHUP) ? ev & EPOLLRDHUP : 0;
	r |= (uint32_t)(rev & (POLLERR | POLLHUP));
	return r;
}

/* Under reg_lock: take @p e off its socket's watch list. */
static void watch_unlink(struct ep_ent *e)
{
	struct zt_sock *s = e->s;
	struct ep_ent *p = atomic_load(&s->watch);

	if (p == e) {
		atomic_store_explicit(&s->watch, e->s_next, memory_order_release);
		return;
	}
	for (; p != NULL; p = p->s_next) {
		if (p->s_next == e) {
			p->s_next = e->s_next;
			return;
		}
	}
}

/* Under set->lock: take @p e out of the set (the set's reference goes to the caller). */
static void ent_unlink(struct ep_set *set, struct ep_ent *e)
{
	zt_hmap_remove(&set->map, &e->node);
	zt_list_del(&e->all);
	zt_list_del(&e->link);
	(void)ent_kernel(set, e, 0, false);
	e->linked = false;
}

static struct ep_ent *ent_find(struct ep_set *set, int fd)
{
	struct zt_hnode *n = zt_hmap_find(&set->map, &fd, sizeof(fd));

	return n != NULL ? ZT_CONTAINER_OF(n, struct ep_ent, node) : NULL;
}

/*
 * zt_watch_hook: the engine of @p s holds what the kernel will not signal
 * (every set looks at it in its next wait), or, @p held_only, its record
 * buffers may be resident again (every set runs its idle tick: a sleeping
 * wait wakes to bound its sleep by the trim, and reports nothing for it), or
 * close() ends it (every set drops it now, as the kernel drops a closed file,
 * and gives back its reference so the number is free at once).
 */
static void watch_hook(struct zt_sock *s, bool held_only)
{
	bool closing = atomic_load(&s->closing);
	struct ep_ent *drop = NULL;

	pthread_mutex_lock(&reg_lock);
	for (struct ep_ent *e = atomic_load(&s->watch); e != NULL; e = e->s_next) {
		struct ep_set *set = e->set;

		pthread_mutex_lock(&set->lock);
		if (closing) {
			ent_unlink(set, e);
		} else if (e->linked && e->armed) {
			if (!held_only) {
				cand_add(set, e);
				set_signal(set);
			} else if (!zt_list_linked(&e->link)) {
				trim_add(set, e); /* (a candidate already is looked at soon) */
				set_signal(set);
			}
		}
		pthread_mutex_unlock(&set->lock);
	}
	if (closing) {
		drop = atomic_exchange(&s->watch, NULL);
	}
	pthread_mutex_unlock(&reg_lock);
	while (drop != NULL) {
		struct ep_ent *next = drop->s_next;

		ent_put(drop);
		drop = next;
	}
}

static void hook_init(void)
{
	zt_watch_hook = watch_hook;
}

static void set_free(struct ep_set *set)
{
	if (set->efd >= 0) {
		zt_sys_close(set->efd);
	}
	if (set->inner >= 0) {
		zt_sys_close(set->inner);
	}
	if (set->ofd >= 0) {
		zt_sys_close(set->ofd);
	}
	zt_hmap_free(&set->map);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/* The fd table's release: the last wait left a closed set. */
static void set_release(struct zt_fd_obj *o)
{
	set_free(ZT_CONTAINER_OF(o, struct ep_set, obj));
}

/* A new object for the kernel set @p epfd, its `inner` registered there. */
static int set_new(int epfd, struct ep_set **out)
{
	struct ep_set *set = calloc(1, sizeof(*set));
	struct epoll_event ev = {.events = EPOLLIN};
	int rc;

	*out = NULL;
	if (set == NULL) {
		return -ENOMEM;
	}
	set->ofd = set->inner = set->efd = -1;
	pthread_mutex_init(&set->lock, NULL);
	zt_list_init(&set->all);
	zt_list_init(&set->cand);
	set->obj.fd = epfd;
	set->obj.release = set_release;
	atomic_init(&set->obj.refs, 0);
	atomic_init(&set->wake_pending, false);
	rc = zt_hmap_init(&set->map);
	if (rc < 0) {
		goto fail;
	}
	set->ofd = zt_sys_fcntl(epfd, F_DUPFD_CLOEXEC, 0);
	if (set->ofd < 0) {
		rc = -errno;
		goto fail;
	}
	set->inner = zt_sys_epoll_create1(EPOLL_CLOEXEC);
	set->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (set->inner < 0 || set->efd < 0) {
		rc = -errno;
		goto fail;
	}
	ev.data.u64 = 0;
	if (zt_sys_epoll_ctl(set->inner, EPOLL_CTL_ADD, set->efd, &ev) < 0) {
		rc = -errno;
		goto fail;
	}
	/* also the check that epfd is an epoll set: EINVAL otherwise, as the kernel */
	ev.data.u64 = (uint64_t)(uintptr_t)set;
	if (zt_sys_epoll_ctl(epfd, EPOLL_CTL_ADD, set->inner, &ev) < 0) {
		rc = -errno;
		goto fail;
	}
	*out = set;
	return 0;
fail:
	set_free(set);
	return rc;
}

/* The object of the kernel set @p epfd with a reference, made (@p create) on the first use. */
static int set_get(int epfd, bool create, struct ep_set **out)
{
	for (;;) {
		struct zt_fd_obj *o = zt_fd_aux_get(epfd);
		struct ep_set *set = NULL;
		int rc;

		if (o != NULL) {
			*out = ZT_CONTAINER_OF(o, struct ep_set, obj);
			return 0;
		}
		if (!create) {
			return -ENOENT;
		}
		pthread_once(&hook_once, hook_init);
		rc = set_new(epfd, &set);
		if (rc < 0) {
			return rc;
		}
		rc = zt_fd_aux_insert(&set->obj);
		if (rc == 0) {
			continue; /* take the caller's reference like any other */
		}
		(void)zt_sys_epoll_ctl(epfd, EPOLL_CTL_DEL, set->inner, NULL);
		set_free(set);
		if (rc != -EEXIST) {
			return rc;
		}
		/* another thread made it first */
	}
}

/* epoll_ctl() of a secure socket @p s (referenced) in @p epfd. */
static int sock_ctl(int epfd, int op, struct zt_sock *s, const struct epoll_event *ev)
{
	struct ep_ent *e, *drop = NULL;
	struct ep_set *set = NULL;
	int rc = 0;

	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) {
		return zt_sys_fcntl(epfd, F_GETFD, 0) < 0 ? -EBADF : -EINVAL;
	}
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || (ev->events & ~(uint32_t)EXCL_OK))) {
		return zt_sys_fcntl(epfd, F_GETFD, 0) < 0 ? -EBADF : -EINVAL;
	}
	rc = set_get(epfd, op == EPOLL_CTL_ADD, &set);
	if (rc == -ENOENT) {
		/* a kernel set never holds a secure socket: its own errno (ENOENT, EBADF, EINVAL)
		 */
		struct epoll_event kev = op == EPOLL_CTL_DEL ? (struct epoll_event){0} : *ev;

		return zt_sys_epoll_ctl(epfd, op, s->fd, &kev) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		return rc;
	}
	pthread_mutex_lock(&reg_lock);
	pthread_mutex_lock(&set->lock);
	e = set->closed ? NULL : ent_find(set, s->fd);
	if (set->closed) {
		rc = -EBADF;
	} else if (op == EPOLL_CTL_ADD) {
		if (e != NULL) {
			rc = -EEXIST;
			goto out;
		}
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		e->fd = s->fd;
		e->set = set;
		e->s = s;
		atomic_init(&e->refs, 1);
		atomic_fetch_add(&s->obj.refs, 1); /* the entry's: the caller holds one */
		e->events = ev->events;
		e->data = ev->data;
		e->armed = true;
		e->linked = true;
		zt_list_init(&e->all);
		zt_list_init(&e->link);
		rc = ent_kernel(set, e, kernel_want(e->events, first_kernel_events(e->events)),
				true);
		if (rc == 0) {
			rc = zt_hmap_insert(&set->map, &e->node, &e->fd, sizeof(e->fd));
		}
		if (rc < 0) {
			(void)ent_kernel(set, e, 0, false);
			drop = e;
			goto out;
		}
		zt_list_add_tail(&set->all, &e->all);
		e->s_next = atomic_load(&s->watch);
		atomic_store_explicit(&s->watch, e, memory_order_release);
		if (atomic_load(&s->closing)) {
			/* close() ran meanwhile and may have seen no watch: as if closed first */
			watch_unlink(e);
			ent_unlink(set, e);
			drop = e;
			rc = -EBADF;
			goto out;
		}
		cand_add(set, e);
		set_signal(set);
	} else if (e == NULL) {
		rc = -ENOENT;
	} else if (op == EPOLL_CTL_MOD) {
		if (e->events & EPOLLEXCLUSIVE) {
			rc = -EINVAL;
			goto out;
		}
		e->events = ev->events;
		e->data = ev->data;
		e->armed = true;
		e->pend = 0;
		rc = ent_kernel(set, e, kernel_want(e->events, first_kernel_events(e->events)),
				true);
		cand_add(set, e);
		set_signal(set);
	} else {
		watch_unlink(e);
		ent_unlink(set, e);
		drop = e;
	}
out:
	pthread_mutex_unlock(&set->lock);
	pthread_mutex_unlock(&reg_lock);
	ent_put(drop);
	zt_fd_put_obj(&set->obj);
	return rc;
}

int zp_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct zt_sock *s;
	int rc;

	if (op != EPOLL_CTL_DEL && ev == NULL) {
		errno = EFAULT;
		return -1;
	}
	s = zt_fd_get(fd);
	if (s == NULL) {
		/* a plain descriptor: the kernel's set holds it, with the application's data */
		return zt_sys_epoll_ctl(epfd, op, fd, ev);
	}
	rc = sock_ctl(epfd, op, s, ev);
	zt_fd_put(s);
	return ret_int(rc);
}

/* ---- epoll_wait ---- */

struct work {
	struct ep_ent *e;
	uint32_t events; /* e->events when taken */
	short pre;       /* zt_sock_poll_prepare() */
	short kev;       /* what to ask the kernel for */
	short kernel;    /* what `inner` reported */
	bool look;       /* its events (else only its idle tick) */
	bool prepared;
	bool timer;
	short rev;
	int64_t tmo;  /* zt_sock_poll_timeout() when timer */
	int64_t idle; /* zt_sock_idle_tick(): ms until the trim is due, -1 none */
};

struct wait_call {
	uint64_t seq;
	struct work *w;
	int n, cap;
	struct work stack[WORK_STACK];
};

/*
 * Under set->lock: hold @p e for this call (or, held already, look again if
 * @p fresh); @p look: for its events (a kernel report always is), else for
 * its idle tick only.
 */
static int work_push(struct wait_call *c, struct ep_ent *e, short kernel, bool fresh, bool look)
{
	struct work *w;

	look = look || kernel != 0;
	if (e->wseq == c->seq && e->widx < c->n && c->w[e->widx].e == e) {
		w = &c->w[e->widx];
		w->kernel |= kernel;
		w->prepared = w->prepared && !(fresh && look) && (w->look || !look);
		w->look = w->look || look;
		return 0;
	}
	if (c->n == c->cap) {
		int cap = c->cap * 2;
		struct work *nw = malloc((size_t)cap * sizeof(*nw));

		if (nw == NULL) {
			return -ENOMEM;
		}
		memcpy(nw, c->w, (size_t)c->n * sizeof(*nw));
		if (c->w != c->stack) {
			free(c->w);
		}
		c->w = nw;
		c->cap = cap;
	}
	atomic_fetch_add(&e->refs, 1);
	e->wseq = c->seq;
	e->widx = c->n;
	c->w[c->n++] = (struct work){.e = e, .events = e->events, .kernel = kernel, .look = look};
	return 0;
}

/* Under set->lock: hold every candidate (they leave the list; apply() puts back who stays). */
static void take_cand(struct ep_set *set, struct wait_call *c)
{
	struct zt_link *l;

	while ((l = zt_list_first(&set->cand)) != NULL) {
		struct ep_ent *e = ZT_CONTAINER_OF(l, struct ep_ent, link);

		if (work_push(c, e, 0, true, e->look) < 0) {
			break; /* no memory: the rest stay candidates */
		}
		zt_list_del(l);
		e->look = false;
	}
}

/*
 * Without locks: what the socket says before the kernel is asked (events.c,
 * poll's prepare), and the idle tick of a stream that holds its buffers
 * (zt_session_idle takes s->lock: trim, then hibernation). @p now: zt_now_ms() of this pass, 0
 * until read.
 */
static void eval_prepare(struct work *w, int64_t *now)
{
	struct zt_sock *s = w->e->s;

	w->prepared = true;
	w->pre = 0;
	w->kev = 0;
	w->timer = false;
	w->idle = -1;
	if (atomic_load(&s->closing)) {
		return; /* the hook drops it */
	}
	if (w->look) {
		w->pre = zt_sock_poll_prepare(s, poll_events(w->events), &w->kev);
		w->tmo = zt_sock_poll_timeout(s);
		w->timer = w->tmo != ZT_FOREVER;
	}
	if (s->type == SOCK_STREAM && atomic_load_explicit(&s->mem_held, memory_order_relaxed)) {
		*now = *now != 0 ? *now : zt_now_ms();
		w->idle = zt_sock_idle_tick(s, *now);
	}
}

/* The kernel's wait: a timeout in ms (< 0 forever), under @p mask if given. */
static int kernel_wait(int fd, struct epoll_event *ev, int n, int64_t ms, const sigset_t *mask)
{
	int t = ms < 0 ? -1 : ms > INT_MAX ? INT_MAX : (int)ms;

	return mask != NULL ? zt_sys_epoll_pwait(fd, ev, n, t, mask)
			    : zt_sys_epoll_wait(fd, ev, n, t);
}

/* Under set->lock: what `inner` reports, and candidates the hook added. */
static void look_inner(struct ep_set *set, struct wait_call *c)
{
	struct epoll_event kb[KBATCH];
	bool woke = false;
	int m = zt_sys_epoll_wait(set->inner, kb, KBATCH, 0);

	for (int i = 0; i < m; i++) {
		struct ep_ent *e = kb[i].data.ptr;

		if (e == NULL) {
			woke = true;
		} else if (e->linked) {
			/* valid: entries leave `inner` under this lock before they are freed */
			(void)work_push(c, e, (short)(kb[i].events & 0xffff), false, true);
		}
	}
	if (woke) {
		uint64_t drain;

		atomic_store(&set->wake_pending, false);
		(void)!zt_sys_read(set->efd, &drain, sizeof(drain));
	}
	take_cand(set, c);
}

/* Under set->lock: report what the entries of this round say, and who stays a candidate. */
static int apply(struct ep_set *set, struct wait_call *c, struct epoll_event *out, int n, int max)
{
	for (int i = 0; i < c->n; i++) {
		struct work *w = &c->w[i];
		struct ep_ent *e = w->e;
		bool again = w->timer, et = (e->events & EPOLLET) != 0;
		uint32_t rep;

		if (!e->linked || !e->armed) {
			continue;
		}
		if (!w->look) {
			/* its idle tick only: nothing to report, the kernel's registration as is */
			if (w->idle >= 0) {
				trim_add(set, e);
			}
			continue;
		}
		rep = report_bits(e->events, w->rev) | (et ? e->pend : 0);
		if (rep != 0 && e->rseq != c->seq) {
			if (n < max) {
				out[n].events = rep;
				out[n].data = e->data;
				n++;
				e->rseq = c->seq;
				e->pend = 0;
				if (e->events & EPOLLONESHOT) {
					e->armed = false;
					(void)ent_kernel(set, e, 0, false);
					continue;
				}
				again |= !et; /* level-triggered: look again next time */
			} else {
				/* no room: the next call reports it (an edge is not seen twice) */
				again = true;
				e->pend = et ? rep : 0;
			}
		}
		if (e->s->type == SOCK_DGRAM && !(et && rep != 0)) {
			again = true; /* a DTLS engine has no hook: a second record in a datagram */
		}
		if (w->prepared) {
			(void)ent_kernel(set, e, kernel_want(e->events, w->kev), true);
		}
		if (again) {
			cand_add(set, e);
		} else if (e->s->type == SOCK_STREAM &&
			   atomic_load_explicit(&e->s->mem_held, memory_order_relaxed)) {
			/* not trimmed yet (a step of this round may have held it) */
			trim_add(set, e);
		}
	}
	return n;
}

/* Under set->lock: the call ends early; whatever it held is looked at by the next one. */
static void put_back(struct ep_set *set, struct wait_call *c)
{
	for (int i = 0; i < c->n; i++) {
		if (!c->w[i].e->linked || !c->w[i].e->armed) {
			continue;
		}
		if (c->w[i].look) {
			cand_add(set, c->w[i].e);
		} else {
			trim_add(set, c->w[i].e);
		}
	}
}

static void work_release(struct wait_call *c)
{
	for (int i = 0; i < c->n; i++) {
		ent_put(c->w[i].e);
	}
	c->n = 0;
}

static int set_wait(struct ep_set *set, struct epoll_event *events, int maxevents,
		    int64_t timeout_ms, const sigset_t *mask)
{
	struct wait_call c = {.seq = atomic_fetch_add(&call_seq, 1) + 1, .cap = WORK_STACK};
	int64_t deadline = zt_deadline(timeout_ms < 0 ? ZT_FOREVER : timeout_ms);
	int rc = 0;

	c.w = c.stack;
	for (;;) {
		int n = 0, k, nsec = 0, kslots;
		int64_t left, t = ZT_FOREVER, now = 0;
		bool more, inner_ready = false;

		pthread_mutex_lock(&set->lock);
		if (set->closed) {
			pthread_mutex_unlock(&set->lock);
			rc = -EBADF;
			break;
		}
		take_cand(set, &c);
		more = !zt_list_empty(&set->cand);
		pthread_mutex_unlock(&set->lock);

		for (int i = 0; i < c.n; i++) {
			eval_prepare(&c.w[i], &now);
			nsec += report_bits(c.w[i].events, c.w[i].pre) != 0;
			if (c.w[i].timer) {
				t = zt_earliest(t, zt_deadline(c.w[i].tmo));
			}
			if (c.w[i].idle >= 0) {
				t = zt_earliest(t, zt_deadline(c.w[i].idle)); /* wake to trim */
			}
		}
		left = (nsec > 0 || more) ? 0 : zt_remaining(zt_earliest(deadline, t));
		kslots = maxevents - nsec;
		if (kslots < (maxevents + 1) / 2) {
			kslots = (maxevents + 1) / 2; /* plain descriptors are never starved */
		}
		k = kernel_wait(set->ofd, events, kslots, left, mask);
		now = 0; /* it may have slept */
		if (k < 0) {
			rc = -errno; /* EINTR: the candidates stay candidates */
			pthread_mutex_lock(&set->lock);
			put_back(set, &c);
			pthread_mutex_unlock(&set->lock);
			break;
		}
		for (int i = 0; i < k; i++) {
			if (events[i].data.u64 == (uint64_t)(uintptr_t)set) {
				inner_ready = true;
			} else {
				events[n++] = events[i];
			}
		}
		pthread_mutex_lock(&set->lock);
		if (inner_ready) {
			look_inner(set, &c);
		}
		pthread_mutex_unlock(&set->lock);

		for (int i = 0; i < c.n; i++) {
			struct work *w = &c.w[i];

			if (!w->prepared) {
				eval_prepare(w, &now);
			}
			w->rev = w->pre;
			if (w->kernel != 0 && !atomic_load(&w->e->s->closing)) {
				w->rev |= zt_sock_poll_update(w->e->s, poll_events(w->events),
							      w->kernel);
			}
		}
		pthread_mutex_lock(&set->lock);
		n = apply(set, &c, events, n, maxevents);
		pthread_mutex_unlock(&set->lock);
		work_release(&c);
		if (n > 0 || zt_remaining(deadline) == 0) {
			rc = n;
			break;
		}
	}
	work_release(&c);
	if (c.w != c.stack) {
		free(c.w);
	}
	return rc;
}

int zp_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int64_t timeout_ms,
		  const sigset_t *mask)
{
	struct zt_fd_obj *o;
	int rc;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) {
		errno = EINVAL;
		return -1;
	}
	if (events == NULL) {
		errno = EFAULT;
		return -1;
	}
	o = zt_fd_aux_get(epfd);
	if (o == NULL) {
		/* no secure socket was ever added: the kernel's set alone */
		return kernel_wait(epfd, events, maxevents, timeout_ms, mask);
	}
	rc = set_wait(ZT_CONTAINER_OF(o, struct ep_set, obj), events, maxevents, timeout_ms, mask);
	zt_fd_put_obj(o);
	return ret_int(rc);
}

int zp_epoll_close(int epfd)
{
	struct zt_fd_obj *o = zt_fd_aux_take(epfd);
	struct ep_set *set;
	struct ep_ent *drop = NULL;
	struct zt_link *l;
	int rc;

	if (o == NULL) {
		return zt_sys_close(epfd);
	}
	set = ZT_CONTAINER_OF(o, struct ep_set, obj);
	pthread_mutex_lock(&reg_lock);
	pthread_mutex_lock(&set->lock);
	set->closed = true;
	while ((l = zt_list_first(&set->all)) != NULL) {
		struct ep_ent *e = ZT_CONTAINER_OF(l, struct ep_ent, all);

		watch_unlink(e);
		ent_unlink(set, e);
		e->s_next = drop; /* off every watch list: the link is free */
		drop = e;
	}
	pthread_mutex_unlock(&set->lock);
	pthread_mutex_unlock(&reg_lock);
	set_signal(set); /* waits in progress return EBADF */
	rc = zt_sys_close(epfd);
	while (drop != NULL) {
		struct ep_ent *next = drop->s_next;

		ent_put(drop);
		drop = next;
	}
	zt_fd_put_obj(o);
	return rc;
}
