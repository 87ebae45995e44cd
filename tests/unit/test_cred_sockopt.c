/*
 * SECSOCK_TLS_CREDENTIAL_ADD / SECSOCK_TLS_CREDENTIAL_DELETE (<secsock/secsock.h>):
 * tls_credential_add() and tls_credential_delete() as SOL_TLS options, for
 * programs that can make only socket calls. Same store, same errno.
 *
 * Credentials: tags 7700..7701.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

enum {
	TAG_A = 7700,
	TAG_B,
};

/* struct secsock_tls_credential followed by @p len bytes of @p data, in *out. */
static socklen_t blob(int tag, int type, const void *data, size_t len, unsigned char *out)
{
	struct secsock_tls_credential c = {.tag = tag, .type = type};

	memcpy(out, &c, sizeof(c));
	memcpy(out + sizeof(c), data, len);
	return (socklen_t)(sizeof(c) + len);
}

TEST(test_cred_sockopt_add_get_delete)
{
	static const unsigned char psk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	unsigned char b[64], out[64];
	size_t olen = sizeof(out);
	struct secsock_tls_credential del = {.tag = TAG_A, .type = TLS_CREDENTIAL_PSK};
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	socklen_t n = blob(TAG_A, TLS_CREDENTIAL_PSK, psk, sizeof(psk), b);

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, b, n));
	EXPECT_EQ(tls_credential_get(TAG_A, TLS_CREDENTIAL_PSK, out, &olen), 0);
	EXPECT_EQ(olen, sizeof(psk));
	EXPECT_TRUE(memcmp(out, psk, sizeof(psk)) == 0);
	/* the store's rules: a second credential of the type in the tag */
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, b, n), EEXIST);
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, &del, sizeof(del)));
	olen = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG_A, TLS_CREDENTIAL_PSK, out, &olen), -ENOENT);
	EXPECT_ERRNO(
		zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, &del, sizeof(del)),
		ENOENT);
	zsock_close(fd);
}

TEST(test_cred_sockopt_pem_usable_by_tag_list)
{
	unsigned char *pem = NULL, *b;
	size_t len = 0;
	sec_tag_t tag = TAG_B;
	struct secsock_tls_credential del = {.tag = TAG_B, .type = TLS_CREDENTIAL_CA_CERTIFICATE};
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(tu_read_file(tu_cert_path("ca.pem"), &pem, &len) == 0);
	b = malloc(len + sizeof(struct secsock_tls_credential));
	ASSERT_TRUE(b != NULL);
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, b,
				   blob(TAG_B, TLS_CREDENTIAL_CA_CERTIFICATE, pem, len, b)));
	/* TLS_SEC_TAG_LIST parses what is stored: the credential arrived whole */
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)));
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, &del, sizeof(del)));
	free(b);
	free(pem);
	zsock_close(fd);
}

TEST(test_cred_sockopt_bad_arguments)
{
	unsigned char b[32];
	struct secsock_tls_credential c = {.tag = TAG_A, .type = TLS_CREDENTIAL_PSK};
	int v = 0;
	socklen_t vl = sizeof(v);
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, NULL, 16), EINVAL);
	/* no credential bytes after the head */
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, &c, sizeof(c)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, &c, 4), EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, b,
				      blob(-3, TLS_CREDENTIAL_PSK, "x", 1, b)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, b,
				      blob(TAG_A, 99, "x", 1, b)),
		     EINVAL);
	EXPECT_ERRNO(zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, b, sizeof(c) + 1),
		     EINVAL);
	/* write-only */
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, &v, &vl),
		     ENOPROTOOPT);
	EXPECT_ERRNO(zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, &v, &vl),
		     ENOPROTOOPT);
	zsock_close(fd);
}
