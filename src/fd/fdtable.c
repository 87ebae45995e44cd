/*
 * fd -> struct zt_fd_obj (the head of a struct zt_sock). Two-level table of atomic pointers indexed
 * by the kernel fd: a miss (a plain socket, the common case for the POSIX interposer) is one or two
 * atomic loads and no lock. A hit takes a reference under one of a few striped mutexes, so a
 * concurrent close() cannot free the socket between the load and the reference.
 */
#include "fd/fdtable.h"
#include "sys/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAGE_BITS 10
#define PAGE_SIZE (1u << PAGE_BITS)
#define NPAGES    1024u /* fds below 2^20 */
#define NSTRIPES  64u

/*
 * A slot: 0, a live socket (its address), a tombstone (the socket's address
 * | TOMB), an object of libsecsock-posix (its address | AUX), or FORKED (a
 * socket inherited across fork(): its number holds the placeholder).
 */
typedef _Atomic(uintptr_t) slot_t;

#define TOMB   ((uintptr_t)1)
#define AUX    ((uintptr_t)2)
#define TAGS   (TOMB | AUX)
#define FORKED (TOMB | AUX)

static struct zt_fd_obj *live(uintptr_t v)
{
	return (v & TAGS) ? NULL : (struct zt_fd_obj *)v;
}

static struct zt_fd_obj *aux(uintptr_t v)
{
	return (v & TAGS) == AUX ? (struct zt_fd_obj *)(v & ~TAGS) : NULL;
}

static _Atomic(slot_t *) pages[NPAGES];
/*
 * Read-locked to take a reference (and by zt_fd_hold, all of them), write-locked
 * to change a slot.
 */
static pthread_rwlock_t stripes[NSTRIPES] = {[0 ... NSTRIPES - 1] = PTHREAD_RWLOCK_INITIALIZER};

static slot_t *slot_of(int fd, bool create)
{
	if (fd < 0 || (unsigned)fd >= PAGE_SIZE * NPAGES) {
		return NULL;
	}
	unsigned p = (unsigned)fd >> PAGE_BITS;
	slot_t *page = atomic_load_explicit(&pages[p], memory_order_acquire);

	if (page == NULL && create) {
		slot_t *fresh = calloc(PAGE_SIZE, sizeof(*fresh));
		slot_t *expected = NULL;

		if (fresh == NULL) {
			return NULL;
		}
		if (atomic_compare_exchange_strong(&pages[p], &expected, fresh)) {
			page = fresh;
		} else {
			free(fresh);
			page = expected;
		}
	}
	return page ? &page[(unsigned)fd & (PAGE_SIZE - 1)] : NULL;
}

bool zt_fd_is_ours(int fd)
{
	slot_t *slot = slot_of(fd, false);

	return slot != NULL && live(atomic_load_explicit(slot, memory_order_acquire)) != NULL;
}

enum zt_fd_kind zt_fd_kind(int fd)
{
	slot_t *slot = slot_of(fd, false);
	uintptr_t v = slot != NULL ? atomic_load_explicit(slot, memory_order_acquire) : 0;

	if (v == 0) {
		return ZT_FDK_NONE;
	}
	if ((v & TAGS) == AUX) {
		return ZT_FDK_AUX;
	}
	return (v & TOMB) ? ZT_FDK_CLOSED : ZT_FDK_SOCK;
}

static pthread_rwlock_t *stripe(int fd)
{
	return &stripes[(unsigned)fd % NSTRIPES];
}

bool zt_fd_closed(int fd)
{
	slot_t *slot = slot_of(fd, false);
	bool tomb;

	if (slot == NULL || (atomic_load_explicit(slot, memory_order_acquire) & TOMB) == 0) {
		return false;
	}
	pthread_rwlock_rdlock(stripe(fd));
	tomb = (atomic_load(slot) & TOMB) != 0;
	pthread_rwlock_unlock(stripe(fd));
	return tomb;
}

struct zt_fd_obj *zt_fd_get_obj(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_fd_obj *s;

	/*
	 * A tombstone is "not ours": the caller makes the host call, which the
	 * placeholder file under the number fails with EBADF.
	 */
	if (slot == NULL || live(atomic_load_explicit(slot, memory_order_acquire)) == NULL) {
		return NULL;
	}
	pthread_rwlock_rdlock(stripe(fd));
	s = live(atomic_load_explicit(slot, memory_order_acquire));
	if (s != NULL) {
		atomic_fetch_add(&s->refs, 1);
	}
	pthread_rwlock_unlock(stripe(fd));
	return s;
}

void zt_fd_get_many(const struct pollfd *fds, size_t n, struct zt_fd_obj **out)
{
	slot_t *page = NULL;
	unsigned cur = NPAGES;

	/*
	 * Every stripe read-locked once: no slot can change during the loop, so
	 * each reference is one atomic increment, as zt_fd_get_obj() takes it
	 * under one stripe. Writers (insert, close, release) wait for the loop.
	 */
	for (unsigned i = 0; i < NSTRIPES; i++) {
		pthread_rwlock_rdlock(&stripes[i]);
	}
	for (size_t i = 0; i < n; i++) {
		int fd = fds[i].fd;
		struct zt_fd_obj *o = NULL;

		if (fd >= 0 && (unsigned)fd < PAGE_SIZE * NPAGES) {
			unsigned p = (unsigned)fd >> PAGE_BITS;

			if (p != cur) {
				page = atomic_load_explicit(&pages[p], memory_order_acquire);
				cur = p;
			}
			if (page != NULL) {
				o = live(atomic_load_explicit(&page[(unsigned)fd & (PAGE_SIZE - 1)],
							      memory_order_acquire));
			}
			if (o != NULL) {
				atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
			}
		}
		out[i] = o;
	}
	for (unsigned i = NSTRIPES; i-- > 0;) {
		pthread_rwlock_unlock(&stripes[i]);
	}
}

void zt_fd_put_obj(struct zt_fd_obj *o)
{
	if (o != NULL && atomic_fetch_sub(&o->refs, 1) == 1) {
		o->release(o);
	}
}

void zt_fd_release(struct zt_fd_obj *s)
{
	int fd = s->fd;
	slot_t *slot = slot_of(fd, false);
	uintptr_t tomb = (uintptr_t)s | TOMB, mine = (uintptr_t)s;

	if (!s->in_table || slot == NULL) {
		zt_sys_close(fd); /* never registered (a failed accept): the number is ours alone */
		return;
	}
	pthread_rwlock_wrlock(stripe(fd));
	/*
	 * Only while the slot still names this socket does the number belong to
	 * it: after a close() that bypassed the library the kernel may have
	 * handed it to someone else, whose descriptor must not be closed.
	 */
	if (atomic_compare_exchange_strong(slot, &tomb, 0) ||
	    atomic_compare_exchange_strong(slot, &mine, 0)) {
		zt_sys_close(fd);
	}
	pthread_rwlock_unlock(stripe(fd));
}

struct zt_fd_obj *zt_fd_close(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_fd_obj *s = NULL;
	uintptr_t v;

	if (slot == NULL || atomic_load_explicit(slot, memory_order_acquire) == 0) {
		return NULL;
	}
	pthread_rwlock_wrlock(stripe(fd));
	v = atomic_load(slot);
	if (v == FORKED) {
		atomic_store(slot, 0); /* the child's copy: the caller closes the placeholder */
	} else if (v & AUX) {
		s = NULL; /* not a socket: libsecsock-posix closes its objects itself */
	} else if (v & TOMB) {
		s = ZT_FD_CLOSED;
	} else if (v != 0) {
		s = (struct zt_fd_obj *)v;
		atomic_store_explicit(slot, v | TOMB, memory_order_release);
	}
	pthread_rwlock_unlock(stripe(fd));
	return s;
}

static int placeholder = -1;
static pthread_once_t placeholder_once = PTHREAD_ONCE_INIT;

static void placeholder_open(void)
{
	/* O_PATH: read, write, send, recv, ioctl... fail with EBADF; poll says POLLNVAL */
	placeholder = open("/", O_PATH | O_CLOEXEC);
}

int zt_fd_retire(struct zt_fd_obj *s)
{
	/*
	 * The slot is a tombstone, so no new reference can be taken: if the
	 * table's is the only one, no call is in flight and the last put closes
	 * the number at once; no placeholder is needed.
	 */
	if (atomic_load(&s->refs) == 1) {
		return 0;
	}
	pthread_once(&placeholder_once, placeholder_open);
	if (placeholder >= 0 && zt_sys_dup3(placeholder, s->fd, O_CLOEXEC) >= 0) {
		return 0;
	}
	/* no placeholder: at least no byte may leave through the socket any more */
	int rc = -errno;

	(void)zt_sys_shutdown(s->fd, SHUT_RDWR);
	return rc;
}

void zt_fd_disown(int fd)
{
	slot_t *slot = slot_of(fd, false);
	uintptr_t v;

	if (slot == NULL || atomic_load_explicit(slot, memory_order_acquire) == 0) {
		return;
	}
	pthread_rwlock_wrlock(stripe(fd));
	v = atomic_load(slot);
	if ((v & TAGS) == TOMB || v == FORKED) {
		atomic_store(slot, 0);
	}
	pthread_rwlock_unlock(stripe(fd));
}

int zt_fd_aux_insert(struct zt_fd_obj *o)
{
	slot_t *slot = slot_of(o->fd, true);
	uintptr_t v;
	int rc = 0;

	if (slot == NULL) {
		return o->fd < 0 || (unsigned)o->fd >= PAGE_SIZE * NPAGES ? -EBADF : -ENOMEM;
	}
	pthread_rwlock_wrlock(stripe(o->fd));
	v = atomic_load(slot);
	if (live(v) != NULL || aux(v) != NULL) {
		rc = -EEXIST;
	} else {
		atomic_store(&o->refs, 1);
		o->in_table = true;
		atomic_store_explicit(slot, (uintptr_t)o | AUX, memory_order_release);
	}
	pthread_rwlock_unlock(stripe(o->fd));
	return rc;
}

struct zt_fd_obj *zt_fd_aux_get(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_fd_obj *o;

	if (slot == NULL || aux(atomic_load_explicit(slot, memory_order_acquire)) == NULL) {
		return NULL;
	}
	pthread_rwlock_rdlock(stripe(fd));
	o = aux(atomic_load(slot));
	if (o != NULL) {
		atomic_fetch_add(&o->refs, 1);
	}
	pthread_rwlock_unlock(stripe(fd));
	return o;
}

struct zt_fd_obj *zt_fd_aux_take(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_fd_obj *o;

	if (slot == NULL || aux(atomic_load_explicit(slot, memory_order_acquire)) == NULL) {
		return NULL;
	}
	pthread_rwlock_wrlock(stripe(fd));
	o = aux(atomic_load(slot));
	if (o != NULL) {
		atomic_store(slot, 0);
		o->in_table = false;
	}
	pthread_rwlock_unlock(stripe(fd));
	return o;
}

void zt_fd_foreach(unsigned first, unsigned last,
		   void (*fn)(int fd, enum zt_fd_kind kind, void *arg), void *arg)
{
	if (last >= PAGE_SIZE * NPAGES) {
		last = PAGE_SIZE * NPAGES - 1;
	}
	for (unsigned p = first >> PAGE_BITS; p <= (last >> PAGE_BITS) && first <= last; p++) {
		if (atomic_load_explicit(&pages[p], memory_order_acquire) == NULL) {
			continue;
		}
		unsigned lo = p << PAGE_BITS, hi = lo + PAGE_SIZE - 1;

		for (unsigned fd = lo < first ? first : lo; fd <= (hi < last ? hi : last); fd++) {
			enum zt_fd_kind k = zt_fd_kind((int)fd);

			if (k == ZT_FDK_SOCK || k == ZT_FDK_AUX) {
				fn((int)fd, k, arg);
			}
		}
	}
}

void zt_fd_after_fork(void)
{
	/*
	 * Only this thread exists: no lock is needed. A stripe another thread
	 * held at fork() (a reference, or a zsock_poll's zt_fd_hold) stays
	 * locked in this copy with no one to unlock it: start them afresh.
	 */
	for (unsigned i = 0; i < NSTRIPES; i++) {
		(void)pthread_rwlock_init(&stripes[i], NULL);
	}
	pthread_once(&placeholder_once, placeholder_open);
	for (unsigned p = 0; p < NPAGES; p++) {
		slot_t *page = atomic_load(&pages[p]);

		if (page == NULL) {
			continue;
		}
		for (unsigned i = 0; i < PAGE_SIZE; i++) {
			uintptr_t v = atomic_load(&page[i]);
			int fd = (int)((p << PAGE_BITS) | i);

			if (v == 0 || (v & TAGS) == AUX || v == FORKED) {
				continue;
			}
			/*
			 * A live socket: the number keeps its kernel socket no longer
			 * (without a placeholder it is closed: never shut down, which
			 * would end the parent's connection too). A tombstone already
			 * has the placeholder (or a stale number that is someone else's
			 * now): only its slot changes.
			 */
			if (live(v) != NULL &&
			    (placeholder < 0 || zt_sys_dup3(placeholder, fd, O_CLOEXEC) < 0)) {
				(void)zt_sys_close(fd);
				atomic_store(&page[i], 0);
				continue;
			}
			atomic_store(&page[i], FORKED);
		}
	}
}

int zt_fd_insert(struct zt_fd_obj *s)
{
	int fd = s->fd;
	slot_t *slot = slot_of(fd, true);
	int rc = 0;

	if (slot == NULL) {
		return fd < 0 || (unsigned)fd >= PAGE_SIZE * NPAGES ? -EBADF : -ENOMEM;
	}
	pthread_rwlock_wrlock(stripe(fd));
	if (live(atomic_load(slot)) != NULL) {
		rc = -EEXIST;
	} else {
		/*
		 * A tombstone here is stale: the kernel handed the number out
		 * again, so its placeholder was closed behind the library's back
		 * (a raw close()); the old socket then leaves the number alone.
		 */
		atomic_store(&s->refs, 1);
		s->in_table = true;
		atomic_store_explicit(slot, (uintptr_t)s, memory_order_release);
	}
	pthread_rwlock_unlock(stripe(fd));
	return rc;
}
