/*
 * The engine's one error table (src/engine/mbedtls/errors.c): every
 * MBEDTLS_ERR_SSL_* code that the Mbed TLS headers of this build define has
 * its own row. The codes are read from the installed <mbedtls/ssl.h>, so a
 * new Mbed TLS version with a new code fails this test until the table says
 * what the code means. Plus the meanings every path relies on.
 */
#include "harness.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>

#include "engine/mbedtls/mbed.h"

TEST(every_ssl_error_code_has_a_row)
{
	char path[1024], line[512];
	regex_t re;
	regmatch_t m[3];
	FILE *f;
	int codes = 0;

	if (ZT_MBEDTLS_INCLUDE[0] == '\0') {
		SKIP("Mbed TLS headers of a system installation: path unknown to the test");
	}
	snprintf(path, sizeof(path), "%s/mbedtls/ssl.h", ZT_MBEDTLS_INCLUDE);
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_TRUE(regcomp(&re, "^#define (MBEDTLS_ERR_SSL_[A-Z0-9_]+) +-(0x[0-9A-Fa-f]+)",
			    REG_EXTENDED) == 0);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (regexec(&re, line, 3, m, 0) != 0) {
			continue;
		}
		line[m[1].rm_eo] = '\0';
		int code = -(int)strtol(line + m[2].rm_so, NULL, 16);

		codes++;
		if (!zt_mbed_errno_mapped(code)) {
			th_fail(__FILE__, __LINE__, "%s (-0x%04X) has no row in errors.c",
				line + m[1].rm_so, (unsigned)-code);
		}
	}
	regfree(&re);
	fclose(f);
	printf("%d MBEDTLS_ERR_SSL_* codes in %s\n", codes, path);
	EXPECT_TRUE(codes > 40);
}

TEST(meanings_every_path_relies_on)
{
	struct zt_eng e = {0};

	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_WANT_READ), -EAGAIN);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_WANT_WRITE), -EAGAIN);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_TIMEOUT), -ETIMEDOUT);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_ALLOC_FAILED), -ENOMEM);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_X509_ALLOC_FAILED), -ENOMEM);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE), -ECONNABORTED);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED), -ECONNABORTED);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_CLIENT_RECONNECT), -ECONNRESET);
	EXPECT_EQ(zt_mbed_errno(NULL, MBEDTLS_ERR_SSL_INTERNAL_ERROR), -EPROTO);
	/* the transport's own errno stands for a failed send or receive */
	e.io_errno = ECONNREFUSED;
	EXPECT_EQ(zt_mbed_errno(&e, MBEDTLS_ERR_NET_RECV_FAILED), -ECONNREFUSED);
	e.io_errno = EPIPE;
	EXPECT_EQ(zt_mbed_errno(&e, MBEDTLS_ERR_NET_SEND_FAILED), -EPIPE);
	EXPECT_EQ(zt_mbed_errno(NULL, 0), 0);
}
