/*
 * SECSOCK_CRYPTO_ACCEL=openssl (docs/crypto-accel.md): the records of real
 * TLS connections through zsock_* are sealed and opened by the OpenSSL
 * adapter (src/engine/mbedtls/accel/), not by Mbed TLS's own AES-GCM and
 * ChaCha20-Poly1305: TLS 1.2 (cipher layer) and TLS 1.3 (PSA) with each AEAD
 * suite, over 127.0.0.1. The adapter counts what it does; each connection
 * must move the counter of its AEAD by at least its records. In the default
 * build every case is skipped (there is no adapter).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <netinet/in.h>
#include <stdio.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#include <mbedtls/build_info.h> /* the Mbed TLS config: SECSOCK_MBEDTLS_ACCEL_OPENSSL */

#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
#include <mbedtls/secsock_accel.h>
#endif

enum {
	TAG_CA = 3900,
	TAG_SERVER,
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
	tls_credential_delete(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE);
	tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
	tls_credential_delete(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY);
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_delete};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

/*
 * One connection with @p suite only; its AEAD's one-shot counter must grow,
 * and the handshake's public-key operations must be the adapter's: the
 * server's ECDSA signature, the client's verifications (certificate and
 * handshake signature), both ECDH shared secrets, and in TLS 1.2 both ECDH
 * key pairs (TLS 1.3 makes its key share through PSA, which is not routed:
 * docs/crypto-accel.md).
 */
static void suite_uses_adapter(int suite, int chacha)
{
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	int kind = chacha ? ZT_ACCEL_CHACHAPOLY_ONESHOT : ZT_ACCEL_GCM_ONESHOT;
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;
	unsigned long before = zt_accel_count(kind), done;
	unsigned long pk0[4], pk[4];

	for (int i = 0; i < 4; i++) {
		pk0[i] = zt_accel_count(ZT_ACCEL_ECDSA_SIGN + i);
	}

	c.cli_suites[0] = suite;
	c.n_cli_suites = 1;
	ASSERT_TRUE(tf_pair_up(&c, &p));
	EXPECT_EQ(tf_get_int(p.cli, SOL_TLS, TLS_CIPHERSUITE_USED), suite);
	EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "sealed by libcrypto"));
	EXPECT_TRUE(tf_echo_ok(p.srv, p.cli, "opened by libcrypto"));
	tf_pair_close(&p);
	done = zt_accel_count(kind) - before;
	printf("suite 0x%04x: %lu %s operations in the adapter\n", suite, done,
	       chacha ? "ChaCha20-Poly1305" : "AES-GCM");
	/* both Finished messages and both echoes, each sealed once and opened once */
	EXPECT_TRUE(done >= 8);
	for (int i = 0; i < 4; i++) {
		pk[i] = zt_accel_count(ZT_ACCEL_ECDSA_SIGN + i) - pk0[i];
	}
	printf("  ECDSA sign %lu, verify %lu; ECDH key pairs %lu, shared secrets %lu\n", pk[0],
	       pk[1], pk[2], pk[3]);
	EXPECT_TRUE(pk[0] >= 1);
	EXPECT_TRUE(pk[1] >= 2);
	EXPECT_TRUE(pk[2] >= ((suite >> 8) == 0x13 ? 0u : 2u));
	EXPECT_TRUE(pk[3] >= 2);
#else
	(void)suite, (void)chacha;
	if (ZT_CRYPTO_ACCEL[0] != '\0') {
		th_fail(__FILE__, __LINE__,
			"configured with SECSOCK_CRYPTO_ACCEL=%s, but the "
			"Mbed TLS config has no adapter",
			ZT_CRYPTO_ACCEL);
		return;
	}
	SKIP("default build: no crypto adapter (configure with -DSECSOCK_CRYPTO_ACCEL=openssl)");
#endif
}

TEST(tls12_aes128_gcm)
{
	suite_uses_adapter(0xC02B, 0); /* ECDHE-ECDSA-AES128-GCM-SHA256 */
}

TEST(tls12_aes256_gcm)
{
	suite_uses_adapter(0xC02C, 0); /* ECDHE-ECDSA-AES256-GCM-SHA384 */
}

TEST(tls12_chacha20_poly1305)
{
	suite_uses_adapter(0xCCA9, 1); /* ECDHE-ECDSA-CHACHA20-POLY1305 */
}

TEST(tls13_aes128_gcm)
{
	suite_uses_adapter(0x1301, 0);
}

TEST(tls13_aes256_gcm)
{
	suite_uses_adapter(0x1302, 0);
}

TEST(tls13_chacha20_poly1305)
{
	suite_uses_adapter(0x1303, 1);
}
