/* Clock, deadlines and secret wiping (see util.h). */
#include "util/util.h"

#include <string.h>
#include <time.h>

int64_t zt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t zt_deadline(int64_t timeout_ms)
{
	if (timeout_ms < 0) {
		return ZT_FOREVER;
	}
	return zt_now_ms() + timeout_ms;
}

int64_t zt_remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0) {
		return ZT_FOREVER;
	}
	left = deadline - zt_now_ms();
	return left > 0 ? left : 0;
}

void zt_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0) {
		return;
	}
	/* explicit_bzero cannot be optimised away (glibc >= 2.25) */
	explicit_bzero(p, n);
}
