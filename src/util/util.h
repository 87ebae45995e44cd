/*
 * Small helpers shared by every part: error-propagation macros, the
 * monotonic clock, secret wiping. Internal functions return 0 (or a count)
 * on success and a negative errno on failure; only src/sock/ writes errno.
 */
#ifndef ZT_UTIL_H
#define ZT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ZT_TRY(x)                                                                                  \
	do {                                                                                       \
		if ((rc = (x)) < 0)                                                                \
			goto out;                                                                  \
	} while (0)

#define ZT_CHECK(cond, err)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return (err);                                                              \
	} while (0)

#define ZT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ZT_MUST_CHECK __attribute__((warn_unused_result))

/** Forever, as a deadline or a timeout in milliseconds. */
#define ZT_FOREVER (-1)

/** Monotonic clock in milliseconds. */
int64_t zt_now_ms(void);

/** Deadline (absolute ms) for a timeout in ms; ZT_FOREVER stays ZT_FOREVER. */
int64_t zt_deadline(int64_t timeout_ms);

/** Milliseconds left until @p deadline (0 if past; ZT_FOREVER if forever). */
int64_t zt_remaining(int64_t deadline);

/** The earlier of two deadlines (ZT_FOREVER is the latest). */
static inline int64_t zt_earliest(int64_t a, int64_t b)
{
	if (a == ZT_FOREVER) {
		return b;
	}
	return (b == ZT_FOREVER || a < b) ? a : b;
}

/** Overwrite a secret; the compiler may not drop it. */
void zt_wipe(void *p, size_t n);

#endif /* ZT_UTIL_H */
