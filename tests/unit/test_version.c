/*
 * The Mbed TLS version secsock runs on (issue: never silently on a 3.6 with
 * known vulnerabilities). The minimum is configured in one place,
 * cmake/mbedtls.cmake (SECSOCK_MBEDTLS_MIN_VERSION), and reaches the code as
 * ZT_MBEDTLS_MIN_VERSION_NUMBER. These cases fail when the library runs on an
 * older engine - also in a build configured with SECSOCK_ALLOW_OLD_MBEDTLS,
 * which is for testing only and must not pass as a good build.
 */
#include "harness.h"

#include <stdint.h>
#include <stdio.h>

#include <secsock/secsock.h>

#include "engine/engine.h"
#include "secsock_version.h"

static void version_string(uint32_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", (unsigned)(n >> 24), (unsigned)((n >> 16) & 0xff),
		 (unsigned)((n >> 8) & 0xff));
}

TEST(runtime_engine_at_least_minimum)
{
	uint32_t have = zt_eng_version_number();
	char have_s[32], min_s[32];

	version_string(have, have_s, sizeof(have_s));
	version_string(ZT_MBEDTLS_MIN_VERSION_NUMBER, min_s, sizeof(min_s));
	printf("run-time engine: %s (%s); minimum %s\n", zt_eng_version(), ZT_MBEDTLS_ORIGIN,
	       min_s);
	EXPECT_STREQ(min_s, ZT_MBEDTLS_MIN_VERSION_STRING);
	if (have < ZT_MBEDTLS_MIN_VERSION_NUMBER) {
		th_fail(__FILE__, __LINE__, "Mbed TLS %s is older than the minimum %s", have_s,
			min_s);
	}
	/* 3.6 LTS: the engine adapter is written for it */
	EXPECT_EQ(have >> 16, 0x0306);
}

TEST(build_not_marked_below_minimum)
{
	if (ZT_MBEDTLS_BELOW_MIN) {
		th_fail(__FILE__, __LINE__,
			"configured with SECSOCK_ALLOW_OLD_MBEDTLS on an engine below %s",
			ZT_MBEDTLS_MIN_VERSION_STRING);
	}
}

TEST(version_names_engine_and_origin)
{
	const char *v = secsock_version();
	char want[64];

	printf("secsock_version(): %s\n", v);
	EXPECT_TRUE(strncmp(v, "secsock ", 8) == 0);
	/* the run-time version, e.g. "Mbed TLS 3.6.7" */
	snprintf(want, sizeof(want), "%s", zt_eng_version());
	EXPECT_TRUE(strstr(v, want) != NULL);
	/* where it came from: a Debian source package (with revision) or a system library */
	EXPECT_TRUE(strstr(v, ZT_MBEDTLS_ORIGIN) != NULL);
	EXPECT_TRUE(strstr(v, "source package mbedtls 3.6.") != NULL ||
		    strstr(v, "system Mbed TLS 3.6.") != NULL);
	if (strstr(v, "Debian") != NULL) {
		/* "mbedtls 3.6.7-3": the Debian revision follows the upstream version */
		const char *p = strstr(v, "mbedtls 3.6.");

		ASSERT_TRUE(p != NULL);
		EXPECT_TRUE(strchr(p, '-') != NULL);
	}
	/* the warning appears exactly when the engine is below the minimum */
	EXPECT_EQ(strstr(v, "WARNING") != NULL,
		  ZT_MBEDTLS_BELOW_MIN || zt_eng_version_number() < ZT_MBEDTLS_MIN_VERSION_NUMBER);
}
