/*
 * Minimal test harness: TEST(name) registers a case, EXPECT_* record
 * failures without stopping the case, ASSERT_* stop it, SKIP() says why a
 * case cannot run. main() (harness.c) runs every case, or those named on
 * the command line, and prints "N passed, N failed, N skipped".
 */
#ifndef ZT_TEST_HARNESS_H
#define ZT_TEST_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef void (*th_fn)(void);
void th_register(const char *name, th_fn fn);
void th_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void th_skip(const char *why);
int th_case_failed(void);

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void th_reg_##name(void)                               \
	{                                                                                          \
		th_register(#name, name);                                                          \
	}                                                                                          \
	static void name(void)

#define EXPECT_TRUE(c)                                                                             \
	do {                                                                                       \
		if (!(c))                                                                          \
			th_fail(__FILE__, __LINE__, "expected %s", #c);                            \
	} while (0)

#define EXPECT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long th_a = (long long)(a), th_b = (long long)(b);                            \
		if (th_a != th_b)                                                                  \
			th_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, th_a,   \
				#b, th_b);                                                         \
	} while (0)

#define EXPECT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *th_a = (a), *th_b = (b);                                               \
		if (th_a == NULL || th_b == NULL || strcmp(th_a, th_b) != 0)                       \
			th_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,           \
				th_a ? th_a : "(null)", th_b ? th_b : "(null)");                   \
	} while (0)

/* A call that must fail with -1 and errno == e. */
#define EXPECT_ERRNO(call, e)                                                                      \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long th_r = (long long)(call);                                                \
		int th_e = errno;                                                                  \
		if (th_r != -1 || th_e != (e))                                                     \
			th_fail(__FILE__, __LINE__,                                                \
				"%s returned %lld errno %d (%s), expected -1 "                     \
				"errno %d (%s)",                                                   \
				#call, th_r, th_e, strerror(th_e), (int)(e), strerror(e));         \
	} while (0)

/* A call that must succeed (>= 0). */
#define EXPECT_OK(call)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long th_r = (long long)(call);                                                \
		if (th_r < 0)                                                                      \
			th_fail(__FILE__, __LINE__, "%s returned %lld errno %d (%s)", #call, th_r, \
				errno, strerror(errno));                                           \
	} while (0)

#define ASSERT_TRUE(c)                                                                             \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			th_fail(__FILE__, __LINE__, "assertion %s", #c);                           \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define SKIP(why)                                                                                  \
	do {                                                                                       \
		th_skip(why);                                                                      \
		return;                                                                            \
	} while (0)

#endif /* ZT_TEST_HARNESS_H */
