/*
 * SECSOCK_TLS_VERSION_USED and SECSOCK_TLS_ALPN_USED (<secsock/secsock.h>,
 * src/sock/sockopt_ext.c): values after a handshake on both ends, errno
 * before it, on a bad length and on setsockopt. The secsock CLI prints them
 * (tests/cli/cli_tls.sh checks the ALPN openssl s_client chose).
 */
#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

enum {
	TAG_CA = 71,
	TAG_SERVER = 72,
};

static int creds_add(void)
{
	int rc = 0;

	rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	rc |= tu_add_cred(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	return rc;
}

static void creds_delete(void)
{
	(void)tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	(void)tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_delete};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

TEST(test_version_used_values)
{
	static const int protos[] = {IPPROTO_TLS_1_2, IPPROTO_TLS_1_3};
	static const int want[] = {0x0304, 0x0304}; /* a TLS_1_2 socket still negotiates 1.3 */

	ASSERT_TRUE(tf_creds_ready());
	for (int i = 0; i < 2; i++) {
		struct tf_cfg c = tf_cfg_cert(AF_INET);
		struct tf_pair p;

		c.cli_proto = c.srv_proto = protos[i];
		ASSERT_TRUE(tf_pair_up(&c, &p));
		EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, SECSOCK_TLS_VERSION_USED), want[i]);
		EXPECT_EQ(tf_get_int(p.srv, SOL_TLS, SECSOCK_TLS_VERSION_USED), want[i]);
		tf_pair_close(&p);
	}
}

TEST(test_version_used_tls12_only)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;

	ASSERT_TRUE(tf_creds_ready());
	c.srv_suites[0] = 0xC02B; /* a TLS 1.2 suite only: the server speaks 1.2 */
	c.n_srv_suites = 1;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, SECSOCK_TLS_VERSION_USED), 0x0303);
	tf_pair_close(&p);
}

TEST(test_alpn_used_values_and_errors)
{
	static const char *const cli_alpn[] = {"h2", "http/1.1"};
	static const char *const srv_alpn[] = {"http/1.1"};
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct sockaddr_storage addr;
	socklen_t alen = sizeof(addr), len;
	char buf[32], tiny[4];
	int lst, cli, srv, v = 0;

	ASSERT_TRUE(tf_creds_ready());
	lst = tf_listener(&c, &addr, &alen);
	cli = tf_client(&c, 0);
	ASSERT_TRUE(lst >= 0 && cli >= 0);
	EXPECT_OK(zsock_setsockopt(lst, SOL_TLS, TLS_ALPN_LIST, srv_alpn, sizeof(srv_alpn)));
	EXPECT_OK(zsock_setsockopt(cli, SOL_TLS, TLS_ALPN_LIST, cli_alpn, sizeof(cli_alpn)));
	len = sizeof(buf);
	EXPECT_ERRNO(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_ALPN_USED, buf, &len), ENOTCONN);
	len = sizeof(v);
	EXPECT_ERRNO(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_VERSION_USED, &v, &len), ENOTCONN);
	EXPECT_ERRNO(zsock_setsockopt(cli, SOL_TLS, SECSOCK_TLS_VERSION_USED, &v, sizeof(v)),
		     ENOPROTOOPT);
	EXPECT_ERRNO(zsock_setsockopt(cli, SOL_TLS, SECSOCK_TLS_ALPN_USED, "h2", 3), ENOPROTOOPT);
	{
		struct tf_acceptor a = {.lst = lst};

		ASSERT_TRUE(tf_worker_start(&a.w, tf_accept_main, &a));
		EXPECT_OK(zsock_connect(cli, (struct sockaddr *)&addr, alen));
		tf_worker_must_join(&a.w, 20000);
		srv = a.fd;
	}
	ASSERT_TRUE(srv >= 0);
	len = sizeof(buf);
	EXPECT_OK(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_ALPN_USED, buf, &len));
	EXPECT_STREQ(buf, "http/1.1");
	EXPECT_EQ(len, 9);
	len = sizeof(buf);
	EXPECT_OK(zsock_getsockopt(srv, SOL_TLS, SECSOCK_TLS_ALPN_USED, buf, &len));
	EXPECT_STREQ(buf, "http/1.1");
	len = sizeof(tiny);
	EXPECT_ERRNO(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_ALPN_USED, tiny, &len), ERANGE);
	EXPECT_EQ(len, 9);
	len = 2;
	EXPECT_ERRNO(zsock_getsockopt(cli, SOL_TLS, SECSOCK_TLS_VERSION_USED, &v, &len), EINVAL);
	tf_close_fd(&cli);
	tf_close_fd(&srv);
	tf_close_fd(&lst);
}

TEST(test_alpn_used_none_is_empty)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	char buf[8] = "x";
	socklen_t len = sizeof(buf);

	ASSERT_TRUE(tf_creds_ready());
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_OK(zsock_getsockopt(p.cli, SOL_TLS, SECSOCK_TLS_ALPN_USED, buf, &len));
	EXPECT_STREQ(buf, "");
	EXPECT_EQ(len, 1);
	tf_pair_close(&p);
}
