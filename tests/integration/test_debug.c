/*
 * Debug output (secsock_debug() in <secsock/secsock.h>, src/util/log.c,
 * src/engine/mbedtls/debug.c): levels, the callback, the library's own
 * events, and that a level-4 log of a TLS 1.2 handshake shows record dumps
 * but never the dumps Mbed TLS makes of secrets. (The full check against the
 * session's real secrets, from an OpenSSL key log, is tests/cli/debug_secrets.sh.)
 */
#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#include <pthread.h>
#include <stdlib.h>

#define ZT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

enum {
	TAG_CA = 61,
	TAG_SERVER = 62,
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

struct capture {
	pthread_mutex_t mu;
	char *buf;
	size_t len, cap;
	int lines[5];
	int bad_origin;
};

static struct capture cap = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void sink(void *arg, int level, const char *origin, const char *line)
{
	struct capture *c = arg;
	size_t n = strlen(line);

	pthread_mutex_lock(&c->mu);
	if (level >= 1 && level <= 4) {
		c->lines[level]++;
	}
	if (strcmp(origin, "secsock") != 0 && strcmp(origin, "mbedtls") != 0) {
		c->bad_origin++;
	}
	if (c->len + n + 2 > c->cap) {
		size_t cap2 = (c->cap + n + 2) * 2;
		char *b = realloc(c->buf, cap2);

		if (b != NULL) {
			c->buf = b;
			c->cap = cap2;
		}
	}
	if (c->len + n + 2 <= c->cap) {
		memcpy(c->buf + c->len, line, n);
		c->len += n;
		c->buf[c->len++] = '\n';
		c->buf[c->len] = '\0';
	}
	pthread_mutex_unlock(&c->mu);
}

static void reset(void)
{
	pthread_mutex_lock(&cap.mu);
	free(cap.buf);
	cap.buf = NULL;
	cap.len = cap.cap = 0;
	memset(cap.lines, 0, sizeof(cap.lines));
	cap.bad_origin = 0;
	pthread_mutex_unlock(&cap.mu);
}

static bool has(const char *needle)
{
	return cap.buf != NULL && strstr(cap.buf, needle) != NULL;
}

TEST(test_debug_bad_level_einval)
{
	EXPECT_EQ(secsock_debug(-1, NULL, NULL), -EINVAL);
	EXPECT_EQ(secsock_debug(5, NULL, NULL), -EINVAL);
	EXPECT_EQ(secsock_debug(0, NULL, NULL), 0);
}

static void handshake(int proto)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;

	c.cli_proto = c.srv_proto = proto;
	if (tf_pair_up(&c, &p)) {
		EXPECT_TRUE(tf_echo_ok(p.cli, p.srv, "debug"));
	}
	tf_pair_close(&p);
}

TEST(test_debug_level0_silent)
{
	ASSERT_TRUE(tf_creds_ready());
	reset();
	EXPECT_EQ(secsock_debug(0, sink, &cap), 0);
	handshake(IPPROTO_TLS_1_2);
	EXPECT_EQ(cap.len, 0);
}

TEST(test_debug_level2_events)
{
	ASSERT_TRUE(tf_creds_ready());
	reset();
	EXPECT_EQ(secsock_debug(2, sink, &cap), 0);
	handshake(IPPROTO_TLS_1_3);
	(void)secsock_debug(0, NULL, NULL);
	EXPECT_TRUE(has("handshake done: TLS 1.3, suite 0x13"));
	EXPECT_EQ(cap.lines[3] + cap.lines[4], 0);
	EXPECT_EQ(cap.bad_origin, 0);
}

TEST(test_debug_level1_failure_reason)
{
	struct tf_cfg c = tf_cfg_cert(AF_INET);
	struct tf_pair p;

	ASSERT_TRUE(tf_creds_ready());
	reset();
	EXPECT_EQ(secsock_debug(1, sink, &cap), 0);
	c.hostname = "wrong.example.com";
	ASSERT_TRUE(tf_pair_open(&c, &p));
	tf_pair_close(&p);
	(void)secsock_debug(0, NULL, NULL);
	EXPECT_TRUE(has("handshake failed"));
	EXPECT_TRUE(has("CN")); /* the verification text names the name mismatch */
	EXPECT_EQ(cap.lines[2] + cap.lines[3] + cap.lines[4], 0);
	if (th_case_failed() && cap.buf != NULL) {
		fprintf(stderr, "%s", cap.buf);
	}
}

TEST(test_debug_level4_no_secret_dumps)
{
	static const char *const secret_words[] = {"secret", "key", "IV", "binder", "context"};

	ASSERT_TRUE(tf_creds_ready());
	for (int v = 0; v < 2; v++) {
		int named = 0;

		reset();
		EXPECT_EQ(secsock_debug(4, sink, &cap), 0);
		handshake(v == 0 ? IPPROTO_TLS_1_2 : IPPROTO_TLS_1_3);
		(void)secsock_debug(0, NULL, NULL);
		ASSERT_TRUE(cap.buf != NULL);
		EXPECT_TRUE(has("dumping 'input record from network'"));
		EXPECT_TRUE(cap.lines[4] > 100);
		/* every dump of something named like a secret is named, its bytes not shown */
		for (char *line = cap.buf; line != NULL && *line != '\0';) {
			char *eol = strchr(line, '\n'), *d = strstr(line, "dumping '");

			if (eol != NULL) {
				*eol = '\0';
			}
			for (size_t i = 0; d != NULL && i < ZT_ARRAY_LEN(secret_words); i++) {
				if (strcasestr(d, secret_words[i]) == NULL) {
					continue;
				}
				named++;
				if (strstr(d, "[not shown: may be key material]") == NULL) {
					th_fail(__FILE__, __LINE__, "shown: %s", line);
				}
				break;
			}
			line = eol != NULL ? eol + 1 : NULL;
		}
		EXPECT_TRUE(named >= 3); /* master secret / traffic secrets / keys were there */
	}
	reset();
}
