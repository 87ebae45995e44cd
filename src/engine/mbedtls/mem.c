/*
 * Memory of an idle session (docs/benchmarks.md, "Memory"): Mbed TLS's
 * record buffers on whole pages of their own, and those pages given back to
 * the kernel while the session holds nothing in them.
 *
 * mbedtls_ssl_setup() allocates the 16.7 KiB input buffer and the output
 * buffer with its first two mbedtls_calloc() calls (library/ssl_tls.c), and
 * zeroes both (so every page is resident from the start). Our allocator hook
 * (installed once, global.c) puts exactly those two allocations on page
 * boundaries, rounded up to whole pages: while the session is idle, the
 * only state in them is the incoming record counter, which the engine keeps
 * aside (e->in_ctr_saved), and MADV_DONTNEED gives every page back. Before
 * the next Mbed TLS call that may touch records (zt_mbed_unpark() at the top
 * of every session entry point of session.c) the counter goes back; the next
 * record faults zero pages in, which is what the buffer held after setup.
 * Every other allocation goes to calloc().
 *
 * What must survive, for a stream (TLS 1.2 and 1.3):
 *  - in_buf[0..7]: the incoming record counter (in_ctr points there), read
 *    for every record and by the renegotiation-period check of
 *    mbedtls_ssl_read() and mbedtls_ssl_write(): saved, and put back first;
 *  - nothing else between records: in_left == 0 (no partial record),
 *    mbedtls_ssl_check_pending() == 0 (no record held back, no handshake
 *    message left in a record, no plaintext), in_hsfraglen == 0 (no
 *    handshake message being reassembled), state HANDSHAKE_OVER (no parked
 *    NewSessionTicket, no renegotiation);
 *  - out_buf: nothing once out_left == 0 (each record copies the counter in
 *    from cur_out_ctr, ssl_msg.c).
 * DTLS sessions are left alone (their buffers are not even put on pages): a
 * datagram may hold several records and in_ctr points into the current one.
 *
 * Secrets: Mbed TLS zeroizes both buffers before it frees them
 * (mbedtls_ssl_free: mbedtls_zeroize_and_free), and pages given back read
 * as zeros.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mbedtls/platform.h>

#include "engine/mbedtls/mbed.h"

/* mbedtls_calloc() calls left to put on pages in this thread's mbedtls_ssl_setup() */
static _Thread_local int setup_bufs;
static size_t page = 4096;

static void *mem_calloc(size_t n, size_t size)
{
	if (setup_bufs > 0 && n == 1 && size > 0 && size <= SIZE_MAX - page) {
		size_t len = (size + page - 1) & ~(page - 1);
		void *p;

		setup_bufs--;
		if (posix_memalign(&p, page, len) != 0) {
			return NULL;
		}
		memset(p, 0, size);
		return p;
	}
	return calloc(n, size);
}

void zt_mbed_mem_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (pg > 0 && (pg & (pg - 1)) == 0) {
		page = (size_t)pg;
	}
	(void)mbedtls_platform_set_calloc_free(mem_calloc, free);
}

int zt_mbed_setup(struct zt_eng *e, const mbedtls_ssl_config *conf)
{
	int ret;

	/*
	 * in_buf, then out_buf. DTLS sessions are never trimmed (above), so theirs
	 * stay ordinary allocations: on page boundaries, the record bytes of every
	 * peer of a server socket would share the same few cache sets.
	 */
	setup_bufs = e->conf->dgram ? 0 : 2;
	ret = mbedtls_ssl_setup(&e->ssl, conf);
	setup_bufs = 0;
	return ret;
}

/* The whole pages of @p buf from byte @p keep on, within its allocation. */
static bool page_span(const void *buf, size_t keep, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t b = (uintptr_t)buf;

	if (buf == NULL) {
		return false;
	}
	/* the allocator's own bound: never a page another allocation shares */
	*lo = (b + keep + page - 1) & ~(uintptr_t)(page - 1);
	*hi = (b + malloc_usable_size((void *)buf)) & ~(uintptr_t)(page - 1);
	return *hi > *lo;
}

static size_t give_back(const void *buf, size_t keep)
{
	uintptr_t lo, hi;

	if (!page_span(buf, keep, &lo, &hi) || madvise((void *)lo, hi - lo, MADV_DONTNEED) != 0) {
		return 0;
	}
	return hi - lo;
}

bool zt_mbed_idle(const struct zt_eng *e)
{
	const mbedtls_ssl_context *ssl = &e->ssl;

	return !e->conf->dgram && ssl->MBEDTLS_PRIVATE(state) == MBEDTLS_SSL_HANDSHAKE_OVER &&
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	       ssl->MBEDTLS_PRIVATE(renego_status) == 0 && /* MBEDTLS_SSL_INITIAL_HANDSHAKE */
#endif
	       ssl->MBEDTLS_PRIVATE(in_left) == 0 && mbedtls_ssl_check_pending(ssl) == 0 &&
	       ssl->MBEDTLS_PRIVATE(in_offt) == NULL &&
	       ssl->MBEDTLS_PRIVATE(badmac_seen_or_in_hsfraglen) == 0 &&
	       ssl->MBEDTLS_PRIVATE(out_left) == 0 && !e->write_pending &&
	       /* the stream layout this file knows: the counter heads the buffer */
	       ssl->MBEDTLS_PRIVATE(in_ctr) == ssl->MBEDTLS_PRIVATE(in_buf);
}

int zt_mbed_trim(struct zt_eng *e)
{
	mbedtls_ssl_context *ssl = &e->ssl;

	if (zt_mbed_asleep(e)) {
		return 1; /* hibernated: no buffers at all */
	}
	if (!zt_mbed_idle(e)) {
		return 0;
	}
	if (!e->in_parked) {
		/* the counter is the input buffer's only state: it waits here */
		memcpy(e->in_ctr_saved, ssl->MBEDTLS_PRIVATE(in_ctr), sizeof(e->in_ctr_saved));
		e->in_parked = true;
	}
	(void)give_back(ssl->MBEDTLS_PRIVATE(in_buf), 0);
	(void)give_back(ssl->MBEDTLS_PRIVATE(out_buf), 0);
	return 1;
}

int zt_mbed_unpark_slow(struct zt_eng *e)
{
	if (zt_mbed_asleep(e)) {
		return zt_mbed_wake(e);
	}
	/* faults the counter's page in again: the next record lands there anyway */
	memcpy(e->ssl.MBEDTLS_PRIVATE(in_ctr), e->in_ctr_saved, sizeof(e->in_ctr_saved));
	zt_wipe(e->in_ctr_saved, sizeof(e->in_ctr_saved));
	e->in_parked = false;
	return 0;
}

/* Resident pages from the one @p buf starts in to the last it fills (approximate if unaligned). */
static size_t resident(const void *buf)
{
	uintptr_t lo = (uintptr_t)buf & ~(uintptr_t)(page - 1);
	uintptr_t hi = ((uintptr_t)buf + malloc_usable_size((void *)buf)) & ~(uintptr_t)(page - 1);
	unsigned char vec[64];
	size_t n = 0, pages;

	if (buf == NULL) {
		return 0;
	}
	hi = hi > lo ? hi : lo + page;
	pages = (hi - lo) / page;
	if (pages > sizeof(vec) || mincore((void *)lo, hi - lo, vec) != 0) {
		return 0;
	}
	for (size_t i = 0; i < pages; i++) {
		n += vec[i] & 1;
	}
	return n * page;
}

size_t zt_mbed_resident(const struct zt_eng *e)
{
	return resident(e->ssl.MBEDTLS_PRIVATE(in_buf)) + resident(e->ssl.MBEDTLS_PRIVATE(out_buf));
}

/*
 * Hibernation (hibernate.c) frees a whole context into the C library's heap,
 * where it stays resident until reused: glibc gives free pages inside its
 * heap back only in malloc_trim(). So every hibernation counts what it freed,
 * and zt_mbed_release() - called by the socket layer shortly after - trims
 * the heap once for all of them, at most once per RELEASE_EVERY_MS (a trim
 * walks every free chunk of the heap).
 */
#define RELEASE_EVERY_MS 1000

static atomic_size_t freed_pending;
static _Atomic int64_t last_release;

void zt_mbed_note_freed(size_t bytes)
{
	atomic_fetch_add_explicit(&freed_pending, bytes, memory_order_relaxed);
}

int64_t zt_mbed_release(int64_t now)
{
	int64_t last = atomic_load_explicit(&last_release, memory_order_relaxed);

	if (atomic_load_explicit(&freed_pending, memory_order_relaxed) == 0) {
		return 0;
	}
	if (last != 0 && now - last < RELEASE_EVERY_MS && now >= last) {
		return last + RELEASE_EVERY_MS - now;
	}
	if (!atomic_compare_exchange_strong(&last_release, &last, now)) {
		return 0; /* another thread trims now */
	}
	atomic_store_explicit(&freed_pending, 0, memory_order_relaxed);
	(void)malloc_trim(0);
	return 0;
}

bool zt_mbed_bufs_on_pages(const struct zt_eng *e)
{
	uintptr_t in = (uintptr_t)e->ssl.MBEDTLS_PRIVATE(in_buf);
	uintptr_t out = (uintptr_t)e->ssl.MBEDTLS_PRIVATE(out_buf);

	return in != 0 && out != 0 && in % page == 0 && out % page == 0;
}
