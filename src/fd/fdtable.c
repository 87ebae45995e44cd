/*
 * fd -> struct zt_sock. Two-level table of atomic pointers indexed by the
 * kernel fd: a miss (a plain socket, the common case for the POSIX
 * interposer) is one or two atomic loads and no lock. A hit takes a
 * reference under one of a few striped mutexes, so a concurrent close()
 * cannot free the socket between the load and the reference.
 */
#include "fd/fdtable.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "sock/sock.h"

#define PAGE_BITS 10
#define PAGE_SIZE (1u << PAGE_BITS)
#define NPAGES    1024u /* fds below 2^20 */
#define NSTRIPES  64u

typedef _Atomic(struct zt_sock *) slot_t;

static _Atomic(slot_t *) pages[NPAGES];
static pthread_mutex_t stripes[NSTRIPES] = {[0 ... NSTRIPES - 1] = PTHREAD_MUTEX_INITIALIZER};

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

	return slot != NULL && atomic_load_explicit(slot, memory_order_acquire) != NULL;
}

struct zt_sock *zt_fd_get(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_sock *s;

	if (slot == NULL || atomic_load_explicit(slot, memory_order_acquire) == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&stripes[(unsigned)fd % NSTRIPES]);
	s = atomic_load_explicit(slot, memory_order_acquire);
	if (s != NULL) {
		atomic_fetch_add(&s->refs, 1);
	}
	pthread_mutex_unlock(&stripes[(unsigned)fd % NSTRIPES]);
	return s;
}

void zt_fd_put(struct zt_sock *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
		zt_sock_destroy(s);
	}
}

int zt_fd_insert(int fd, struct zt_sock *s)
{
	slot_t *slot = slot_of(fd, true);
	int rc = 0;

	if (slot == NULL) {
		return fd < 0 || (unsigned)fd >= PAGE_SIZE * NPAGES ? -EBADF : -ENOMEM;
	}
	pthread_mutex_lock(&stripes[(unsigned)fd % NSTRIPES]);
	if (atomic_load(slot) != NULL) {
		rc = -EEXIST;
	} else {
		atomic_store(&s->refs, 1);
		atomic_store_explicit(slot, s, memory_order_release);
	}
	pthread_mutex_unlock(&stripes[(unsigned)fd % NSTRIPES]);
	return rc;
}

struct zt_sock *zt_fd_remove(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct zt_sock *s;

	if (slot == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&stripes[(unsigned)fd % NSTRIPES]);
	s = atomic_exchange(slot, NULL);
	pthread_mutex_unlock(&stripes[(unsigned)fd % NSTRIPES]);
	return s;
}
