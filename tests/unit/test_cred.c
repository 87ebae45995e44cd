/*
 * Unit tests of the credential store (src/cred/store.c) and of credential
 * parsing (src/engine/mbedtls/cred_parse.c), against the errno values of
 * <zephyr/net/tls_credentials.h> and docs/zephyr-behaviour.md §2 / §1.3 option 1.
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "cred/store.h"
#include "engine/engine.h"
#include "engine/mbedtls/cred_parse.h"
#include "sock/sock.h"
#include "util/util.h"

#ifndef ZT_MAX_CREDENTIALS
#define ZT_MAX_CREDENTIALS 1024 /* the build's default (SECSOCK_MAX_CREDENTIALS) */
#endif

/* Tags used by single tests; the threads use 10000.. and capacity 20000.. */
#define TAG 7

/* Whole file plus one NUL byte past *len (so len + 1 passes the NUL). */
static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	unsigned char *buf = NULL;
	long n;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", ZT_TEST_CERTS, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		th_fail(__FILE__, __LINE__, "cannot open %s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	(void)fclose(f);
	if (buf == NULL) {
		th_fail(__FILE__, __LINE__, "cannot read %s", path);
	}
	return buf;
}

/* Number of certificates zt_mbed_parse_certs appends, or its negative errno. */
static int count_certs(const void *buf, size_t len, bool nocopy)
{
	mbedtls_x509_crt chain;
	int n = 0;
	int rc;

	mbedtls_x509_crt_init(&chain);
	rc = zt_mbed_parse_certs(&chain, buf, len, nocopy);
	for (const mbedtls_x509_crt *c = &chain; rc == 0 && c != NULL && c->raw.len > 0;
	     c = c->next) {
		n++;
	}
	mbedtls_x509_crt_free(&chain);
	return rc < 0 ? rc : n;
}

/* docs/zephyr-behaviour.md §2: add, get, delete round trip */
TEST(test_cred_roundtrip_ok)
{
	static const char psk[] = {1, 2, 3, 4};
	char out[16];
	size_t len = sizeof(out);

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, psk, sizeof(psk)), 0);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, &len), 0);
	EXPECT_EQ(len, sizeof(psk));
	EXPECT_TRUE(memcmp(out, psk, sizeof(psk)) == 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), 0);
	len = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, &len), -ENOENT);
}

/* header: get returns exactly the bytes added (PEM with or without its NUL) */
TEST(test_cred_get_exact_bytes)
{
	size_t len = 0;
	unsigned char *pem = load("server.pem", &len);
	unsigned char out[4096];
	size_t n;

	ASSERT_TRUE(pem != NULL && len + 1 <= sizeof(out));
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, pem, len), 0);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, pem, len + 1), 0);
	n = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, out, &n), 0);
	EXPECT_EQ(n, len);
	EXPECT_TRUE(memcmp(out, pem, len) == 0);
	n = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, out, &n), 0);
	EXPECT_EQ(n, len + 1);
	EXPECT_TRUE(memcmp(out, pem, len + 1) == 0 && out[len] == '\0');
	/* a buffer of exactly the right size is enough */
	n = len;
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, out, &n), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
	free(pem);
}

/* docs/zephyr-behaviour.md §2: -EEXIST for same tag and type; same tag, other type is fine */
TEST(test_cred_add_duplicate_eexist)
{
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k1", 2), 0);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k2", 2), -EEXIST);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK_ID, "id", 2), 0);
	EXPECT_EQ(tls_credential_add(TAG + 1, TLS_CREDENTIAL_PSK, "k3", 2), 0);
	/* the first value stays */
	char out[4];
	size_t len = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, &len), 0);
	EXPECT_TRUE(len == 2 && memcmp(out, "k1", 2) == 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK_ID), 0);
	EXPECT_EQ(tls_credential_delete(TAG + 1, TLS_CREDENTIAL_PSK), 0);
}

/* docs/zephyr-behaviour.md §2.1: -ENOENT on get (credlen set to 0) and delete of a missing one */
TEST(test_cred_missing_enoent)
{
	char out[8];
	size_t len = sizeof(out);

	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, &len), -ENOENT);
	EXPECT_EQ(len, 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), -ENOENT);
	/* a negative tag can hold nothing */
	len = sizeof(out);
	EXPECT_EQ(tls_credential_get(-1, TLS_CREDENTIAL_PSK, out, &len), -ENOENT);
	EXPECT_EQ(len, 0);
	EXPECT_EQ(tls_credential_delete(-1, TLS_CREDENTIAL_PSK), -ENOENT);
	/* PSA keys can never be stored here */
	len = sizeof(out);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PRIVATE_KEY_PSA, out, &len), -ENOENT);
	/* delete really removes */
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK_ID, "id", 2), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK_ID), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK_ID), -ENOENT);
}

/* docs/zephyr-behaviour.md §2: -EFBIG when the buffer is too small, *credlen = size needed */
TEST(test_cred_get_small_efbig)
{
	static const char id[] = "identity-0123456789";
	char out[32];
	size_t len = 4;

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK_ID, id, sizeof(id)), 0);
	memset(out, 0xAA, sizeof(out));
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK_ID, out, &len), -EFBIG);
	EXPECT_EQ(len, sizeof(id));
	EXPECT_EQ((unsigned char)out[0], 0xAA); /* nothing written */
	/* size query: NULL buffer with *credlen == 0 */
	len = 0;
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK_ID, NULL, &len), -EFBIG);
	EXPECT_EQ(len, sizeof(id));
	len = 0;
	EXPECT_EQ(tls_credential_get(TAG + 1, TLS_CREDENTIAL_PSK_ID, NULL, &len), -ENOENT);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK_ID), 0);
}

/* header: -EINVAL for NULL buffer, zero length, negative tag, unknown type */
TEST(test_cred_bad_args_einval)
{
	char out[8];
	size_t len = sizeof(out);

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, NULL, 4), -EINVAL);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k", 0), -EINVAL);
	EXPECT_EQ(tls_credential_add(-1, TLS_CREDENTIAL_PSK, "k", 1), -EINVAL);
	EXPECT_EQ(tls_credential_add(INT_MIN, TLS_CREDENTIAL_PSK, "k", 1), -EINVAL);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_NONE, "k", 1), -EINVAL);
	EXPECT_EQ(tls_credential_add(TAG, (enum tls_credential_type)7, "k", 1), -EINVAL);
	EXPECT_EQ(tls_credential_add(TAG, (enum tls_credential_type) - 1, "k", 1), -EINVAL);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_NONE, out, &len), -EINVAL);
	EXPECT_EQ(tls_credential_get(TAG, (enum tls_credential_type)7, out, &len), -EINVAL);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, NULL), -EINVAL);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, NULL, &len), -EINVAL);
	EXPECT_EQ(len, sizeof(out)); /* untouched on -EINVAL */
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_NONE), -EINVAL);
	EXPECT_EQ(tls_credential_delete(TAG, (enum tls_credential_type)7), -EINVAL);
	/* nothing was stored by the failed adds */
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), -ENOENT);
}

/* docs/zephyr-behaviour.md §2.2: PRIVATE_KEY_PSA needs a PSA key store, which hosts lack */
TEST(test_cred_psa_enotsup)
{
	uint32_t key_id = 1;

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PRIVATE_KEY_PSA, &key_id, sizeof(key_id)),
		  -ENOTSUP);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY_PSA, &key_id, sizeof(key_id)),
		  -ENOTSUP);
}

/* docs/zephyr-behaviour.md §2: -ENOMEM when no slot is free; a delete frees one */
TEST(test_cred_capacity_enomem)
{
	int n = 0;
	int rc;

	while ((rc = tls_credential_add(20000 + n, TLS_CREDENTIAL_PSK, &n, sizeof(n))) == 0 &&
	       n < 10 * ZT_MAX_CREDENTIALS) {
		n++;
	}
	EXPECT_EQ(rc, -ENOMEM);
	EXPECT_EQ(n, ZT_MAX_CREDENTIALS); /* assumes the store was empty */
	/* a duplicate still reports -EEXIST when full */
	EXPECT_EQ(tls_credential_add(20000, TLS_CREDENTIAL_PSK, "x", 1), -EEXIST);
	EXPECT_EQ(tls_credential_delete(20000 + n / 2, TLS_CREDENTIAL_PSK), 0);
	EXPECT_EQ(tls_credential_add(19999, TLS_CREDENTIAL_PSK_ID, "x", 1), 0);
	EXPECT_EQ(tls_credential_add(19998, TLS_CREDENTIAL_PSK_ID, "x", 1), -ENOMEM);
	EXPECT_EQ(tls_credential_delete(19999, TLS_CREDENTIAL_PSK_ID), 0);
	for (int i = 0; i < n; i++) {
		rc = tls_credential_delete(20000 + i, TLS_CREDENTIAL_PSK);
		EXPECT_EQ(rc, i == n / 2 ? -ENOENT : 0);
	}
}

/* docs/zephyr-behaviour.md §2.1: secsock copies on add, unlike Zephyr's volatile backend */
TEST(test_cred_caller_buffer_reuse_ok)
{
	char *buf = malloc(64);
	char out[64];
	size_t len = sizeof(out);

	ASSERT_TRUE(buf != NULL);
	memset(buf, 'a', 64);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, buf, 64), 0);
	memset(buf, 'b', 64);
	free(buf);
	EXPECT_EQ(tls_credential_get(TAG, TLS_CREDENTIAL_PSK, out, &len), 0);
	EXPECT_EQ(len, 64);
	for (size_t i = 0; i < sizeof(out); i++) {
		EXPECT_EQ(out[i], 'a');
	}
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), 0);
}

#define THREADS     4
#define THREAD_TAGS 16
#define THREAD_OPS  2000

struct worker {
	int base;
	int errors;
	bool present[THREAD_TAGS];
	int value[THREAD_TAGS];
};

static int count_fn(void *arg, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		    size_t len)
{
	return 0;
}

static void worker_step(struct worker *w, int i)
{
	int k = (int)(((unsigned)i * 2654435761u) >> 8) % THREAD_TAGS;
	int tag = w->base + k;
	int val = i;
	int out = -1;
	size_t len = sizeof(out);

	switch (i % 4) {
	case 0:
	case 1:
		if (tls_credential_add(tag, TLS_CREDENTIAL_PSK, &val, sizeof(val)) !=
		    (w->present[k] ? -EEXIST : 0)) {
			w->errors++;
		}
		if (!w->present[k]) {
			w->present[k] = true;
			w->value[k] = val;
		}
		break;
	case 2:
		if (tls_credential_get(tag, TLS_CREDENTIAL_PSK, &out, &len) !=
			    (w->present[k] ? 0 : -ENOENT) ||
		    (w->present[k] && out != w->value[k])) {
			w->errors++;
		}
		if (zt_cred_foreach(tag, count_fn, NULL) != (w->present[k] ? 1 : 0)) {
			w->errors++;
		}
		break;
	default:
		if (tls_credential_delete(tag, TLS_CREDENTIAL_PSK) !=
		    (w->present[k] ? 0 : -ENOENT)) {
			w->errors++;
		}
		w->present[k] = false;
		break;
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < THREAD_OPS; i++) {
		worker_step(w, i);
	}
	return NULL;
}

/* Final state equals the worker's model; errors found, with the tags emptied. */
static int worker_check_and_clear(const struct worker *w)
{
	int errors = 0;

	for (int k = 0; k < THREAD_TAGS; k++) {
		int out = -1;
		size_t len = sizeof(out);
		int rc = tls_credential_get(w->base + k, TLS_CREDENTIAL_PSK, &out, &len);

		if (rc != (w->present[k] ? 0 : -ENOENT) || (rc == 0 && out != w->value[k])) {
			errors++;
		}
		if (rc == 0 && tls_credential_delete(w->base + k, TLS_CREDENTIAL_PSK) != 0) {
			errors++;
		}
	}
	return errors;
}

/* docs/zephyr-behaviour.md §3.13: the store is shared by every thread (Zephyr: one mutex) */
TEST(test_cred_concurrent_consistent)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];

	memset(w, 0, sizeof(w));
	for (int t = 0; t < THREADS; t++) {
		w[t].base = 10000 + t * THREAD_TAGS;
		ASSERT_TRUE(pthread_create(&th[t], NULL, worker_run, &w[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		EXPECT_EQ(w[t].errors, 0);
	}
	for (int t = 0; t < THREADS; t++) {
		EXPECT_EQ(worker_check_and_clear(&w[t]), 0);
	}
}

struct visit {
	int types[8];
	int n;
	int stop_at;
};

static int visit_fn(void *arg, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		    size_t len)
{
	struct visit *v = arg;

	if (v->n == v->stop_at) {
		return -42;
	}
	if (tag != TAG || len != 1 || *(const char *)buf != '0' + (int)type) {
		return -1;
	}
	v->types[v->n++] = (int)type;
	return 0;
}

/* docs/zephyr-behaviour.md §1.3 option 1: every credential of a listed tag is used, type order */
TEST(test_cred_foreach_order_and_stop)
{
	static const enum tls_credential_type order[] = {
		TLS_CREDENTIAL_PSK_ID, TLS_CREDENTIAL_CA_CERTIFICATE, TLS_CREDENTIAL_PRIVATE_KEY};
	struct visit v = {.stop_at = -1};

	EXPECT_EQ(tls_credential_add(TAG - 1, TLS_CREDENTIAL_PSK_ID, "x", 1), 0);
	EXPECT_EQ(tls_credential_add(TAG + 1, TLS_CREDENTIAL_CA_CERTIFICATE, "x", 1), 0);
	for (size_t i = 0; i < ZT_ARRAY_SIZE(order); i++) {
		char c = (char)('0' + (int)order[i]);

		EXPECT_EQ(tls_credential_add(TAG, order[i], &c, 1), 0);
	}
	EXPECT_EQ(zt_cred_foreach(TAG, visit_fn, &v), 3);
	EXPECT_EQ(v.n, 3);
	EXPECT_EQ(v.types[0], TLS_CREDENTIAL_CA_CERTIFICATE);
	EXPECT_EQ(v.types[1], TLS_CREDENTIAL_PRIVATE_KEY);
	EXPECT_EQ(v.types[2], TLS_CREDENTIAL_PSK_ID);
	v = (struct visit){.stop_at = 1};
	EXPECT_EQ(zt_cred_foreach(TAG, visit_fn, &v), -42);
	EXPECT_EQ(v.n, 1);
	EXPECT_EQ(zt_cred_foreach(TAG + 100, visit_fn, &v), 0);
	for (size_t i = 0; i < ZT_ARRAY_SIZE(order); i++) {
		EXPECT_EQ(tls_credential_delete(TAG, order[i]), 0);
	}
	EXPECT_EQ(zt_cred_foreach(TAG, visit_fn, &v), 0);
	EXPECT_EQ(tls_credential_delete(TAG - 1, TLS_CREDENTIAL_PSK_ID), 0);
	EXPECT_EQ(tls_credential_delete(TAG + 1, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
}

/* store.h: the generation moves on every successful add and delete only */
TEST(test_cred_generation_bumps)
{
	uint64_t g = zt_cred_generation();

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k", 1), 0);
	EXPECT_EQ(zt_cred_generation(), g + 1);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k", 1), -EEXIST);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_NONE, "k", 1), -EINVAL);
	EXPECT_EQ(zt_cred_generation(), g + 1);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), 0);
	EXPECT_EQ(zt_cred_generation(), g + 2);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), -ENOENT);
	EXPECT_EQ(zt_cred_generation(), g + 2);
}

/* docs/zephyr-behaviour.md §2.2: PEM needs its NUL in Zephyr; secsock takes it with or without */
TEST(test_cred_check_cert_formats)
{
	size_t pem_len = 0;
	size_t der_len = 0;
	unsigned char *pem = load("server.pem", &pem_len);
	unsigned char *der = load("server.der", &der_len);
	const enum tls_credential_type ca = TLS_CREDENTIAL_CA_CERTIFICATE;

	ASSERT_TRUE(pem != NULL && der != NULL);
	EXPECT_EQ(zt_eng_cred_check(ca, pem, pem_len + 1), 0);
	EXPECT_EQ(zt_eng_cred_check(ca, pem, pem_len), 0);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PUBLIC_CERTIFICATE, pem, pem_len), 0);
	EXPECT_EQ(zt_eng_cred_check(ca, der, der_len), 0);
	EXPECT_EQ(count_certs(der, der_len, false), 1);
	EXPECT_EQ(count_certs(der, der_len, true), 1);
	EXPECT_EQ(count_certs(pem, pem_len, false), 1);
	free(pem);
	free(der);
}

/* docs/zephyr-behaviour.md §2: several CA certificates may be concatenated in one buffer */
TEST(test_cred_check_cert_bundles)
{
	/* "MIIB" decodes to the start of a DER SEQUENCE and nothing more */
	static const char bad[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	size_t ca_len = 0;
	size_t srv_len = 0;
	size_t chain_len = 0;
	size_t cad_len = 0;
	size_t srvd_len = 0;
	unsigned char *ca = load("ca.pem", &ca_len);
	unsigned char *srv = load("server.pem", &srv_len);
	unsigned char *chain = load("server-chain.pem", &chain_len);
	unsigned char *cad = load("ca.der", &cad_len);
	unsigned char *srvd = load("server.der", &srvd_len);
	static unsigned char buf[8192];

	ASSERT_TRUE(ca && srv && chain && cad && srvd && ca_len + srv_len + 2 <= sizeof(buf));
	/* ca.pem + server.pem, with and without the final NUL */
	memcpy(buf, ca, ca_len);
	memcpy(buf + ca_len, srv, srv_len + 1);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, buf, ca_len + srv_len), 0);
	EXPECT_EQ(count_certs(buf, ca_len + srv_len, false), 2);
	EXPECT_EQ(count_certs(buf, ca_len + srv_len + 1, false), 2);
	/* two C strings back to back: "ca\0server\0" */
	memcpy(buf, ca, ca_len + 1);
	memcpy(buf + ca_len + 1, srv, srv_len + 1);
	EXPECT_EQ(count_certs(buf, ca_len + srv_len + 2, false), 2);
	EXPECT_EQ(count_certs(chain, chain_len, false), 2);
	/* two DER certificates back to back */
	memcpy(buf, cad, cad_len);
	memcpy(buf + cad_len, srvd, srvd_len);
	EXPECT_EQ(count_certs(buf, cad_len + srvd_len, true), 2);
	EXPECT_EQ(count_certs(buf, cad_len + srvd_len, false), 2);
	/* one good block and one truncated block: a partial parse is an error */
	memcpy(buf, ca, ca_len);
	memcpy(buf + ca_len, bad, sizeof(bad));
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, buf, ca_len + sizeof(bad) - 1),
		  -EINVAL);
	EXPECT_EQ(count_certs(buf, ca_len + sizeof(bad), false), -EINVAL);
	free(ca);
	free(srv);
	free(chain);
	free(cad);
	free(srvd);
}

/* docs/zephyr-behaviour.md §1.3 option 1: an unparseable certificate is -EINVAL */
TEST(test_cred_check_cert_garbage_einval)
{
	static const char garbage[] = "this is not a certificate";
	static const char bad_pem[] =
		"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
	static const unsigned char bad_der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	size_t der_len = 0;
	unsigned char *der = load("server.der", &der_len);

	ASSERT_TRUE(der != NULL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, garbage, sizeof(garbage)),
		  -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, bad_pem, sizeof(bad_pem)),
		  -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, bad_der, sizeof(bad_der)),
		  -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, der, der_len - 10), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, der, der_len + 1), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_CA_CERTIFICATE, der, 0), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PUBLIC_CERTIFICATE, NULL, 10), -EINVAL);
	free(der);
}

/* docs/zephyr-behaviour.md §2.2: keys go through mbedtls_pk_parse_key, in every usual encoding */
TEST(test_cred_check_key_formats)
{
	static const char *const files[] = {
		"server.key",         "server.key.pkcs8.pem", "server.key.sec1.pem",
		"server.key.der",     "server-rsa.key",       "server-rsa.key.pkcs1.pem",
		"server-rsa.key.der", "client.key",           "client-rsa.key",
	};

	for (size_t i = 0; i < ZT_ARRAY_SIZE(files); i++) {
		size_t len = 0;
		unsigned char *key = load(files[i], &len);
		bool pem = key != NULL && key[0] == '-';

		if (key == NULL) {
			continue;
		}
		if (zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, key, len) != 0) {
			th_fail(__FILE__, __LINE__, "%s does not parse", files[i]);
		}
		if (pem && zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, key, len + 1) != 0) {
			th_fail(__FILE__, __LINE__, "%s with NUL does not parse", files[i]);
		}
		free(key);
	}
}

/* docs/zephyr-behaviour.md §1.3 option 1: an unparseable key is -EINVAL */
TEST(test_cred_check_key_garbage_einval)
{
	static const char garbage[] =
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	size_t der_len = 0;
	size_t enc_len = 0;
	size_t crt_len = 0;
	unsigned char *der = load("server-rsa.key.der", &der_len);
	unsigned char *enc = load("server.key.encrypted.pem", &enc_len);
	unsigned char *crt = load("server.pem", &crt_len);

	ASSERT_TRUE(der != NULL && enc != NULL && crt != NULL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, garbage, sizeof(garbage)), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, "xyz", 3), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, der, der_len / 2), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, der, 0), -EINVAL);
	/* no password can be given, so an encrypted key is unusable */
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, enc, enc_len), -EINVAL);
	/* a certificate is not a key */
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PRIVATE_KEY, crt, crt_len), -EINVAL);
	free(der);
	free(enc);
	free(crt);
}

/* docs/zephyr-behaviour.md §1.3 option 1: an empty PSK is -EINVAL; other types are unknown */
TEST(test_cred_check_psk_and_types)
{
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PSK, "k", 1), 0);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PSK_ID, "id", 2), 0);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PSK, "k", 0), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_PSK_ID, "", 0), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check(TLS_CREDENTIAL_NONE, "k", 1), -EINVAL);
	EXPECT_EQ(zt_eng_cred_check((enum tls_credential_type)7, "k", 1), -EINVAL);
}

/* docs/zephyr-behaviour.md §2.1: expiry is the first certificate's notAfter, as UTC time_t */
TEST(test_cred_expiry_values)
{
	size_t len = 0;
	size_t old_len = 0;
	size_t chain_len = 0;
	size_t der_len = 0;
	unsigned char *pem = load("server.pem", &len);
	unsigned char *old = load("expired.pem", &old_len);
	unsigned char *chain = load("server-chain.pem", &chain_len);
	unsigned char *der = load("ca.der", &der_len);
	time_t t = 0;
	time_t t2 = 0;
	struct tm tm;

	ASSERT_TRUE(pem != NULL && old != NULL && chain != NULL && der != NULL);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, pem, len), 0);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, old, old_len + 1), 0);
	EXPECT_EQ(tls_credential_add(TAG + 1, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, chain, chain_len),
		  0);
	EXPECT_EQ(tls_credential_add(TAG + 1, TLS_CREDENTIAL_CA_CERTIFICATE, der, der_len), 0);

	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, &t), 0);
	ASSERT_TRUE(gmtime_r(&t, &tm) != NULL);
	EXPECT_TRUE(tm.tm_year + 1900 >= 2120 && tm.tm_year + 1900 <= 2130); /* 100 years */
	EXPECT_EQ(tls_credential_expiry(TAG + 1, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, &t2), 0);
	EXPECT_EQ(t2, t); /* server.pem comes first in the chain */
	EXPECT_EQ(tls_credential_expiry(TAG + 1, TLS_CREDENTIAL_CA_CERTIFICATE, &t2), 0);
	EXPECT_TRUE(t2 > time(NULL));
	/* expired.pem: notAfter 2021-01-01T00:00:00Z */
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, &t), 0);
	EXPECT_EQ(t, 1609459200);
	EXPECT_TRUE(t < time(NULL));

	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
	EXPECT_EQ(tls_credential_delete(TAG + 1, TLS_CREDENTIAL_PUBLIC_CERTIFICATE), 0);
	EXPECT_EQ(tls_credential_delete(TAG + 1, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
	free(pem);
	free(old);
	free(chain);
	free(der);
}

/* docs/zephyr-behaviour.md §2.1: expiry errors: -EINVAL (NULL, type, parse), -ENOENT */
TEST(test_cred_expiry_errors)
{
	time_t t = 0;

	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_PSK, "k", 1), 0);
	EXPECT_EQ(tls_credential_add(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, "garbage", 7), 0);
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_PSK, &t), -EINVAL);
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_PRIVATE_KEY, &t), -EINVAL);
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, NULL), -EINVAL);
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, &t), -EINVAL);
	EXPECT_EQ(tls_credential_expiry(TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, &t), -ENOENT);
	EXPECT_EQ(t, 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_PSK), 0);
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
}

/*
 * Issue 8: deleting a credential drops every parsed copy of it from the
 * shared configuration cache at once (conf_cache.c), not when it ages out,
 * so the parsed key is freed and zeroized as soon as no socket uses it, and
 * no later connection can use it.
 */
TEST(test_delete_drops_shared_configs)
{
	struct zt_eng_conf *c = NULL;
	struct zt_opts o;
	size_t len = 0;
	unsigned char *ca = load("ca.pem", &len);
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2); /* sets up the hooks */

	ASSERT_TRUE(ca != NULL && fd >= 0);
	zsock_close(fd);
	ASSERT_TRUE(tls_credential_add(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, ca, len + 1) == 0);
	zt_opts_init(&o);
	o.sec_tags[0] = TAG;
	o.sec_tag_count = 1;
	/* a client's connect: the shared config of its options */
	struct zt_sock *s = zt_sock_new(-1, AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	ASSERT_TRUE(s != NULL);
	zt_opts_free(&s->opts);
	s->opts = o;
	EXPECT_EQ(zt_sock_conf(s, false), 0);
	c = s->conf;
	EXPECT_TRUE(c != NULL && zt_sock_confs_count() >= 1);
	zt_eng_conf_put(s->conf); /* only the cache holds it now */
	s->conf = NULL;
	EXPECT_EQ(tls_credential_delete(TAG, TLS_CREDENTIAL_CA_CERTIFICATE), 0);
	EXPECT_EQ(zt_sock_confs_count(), 0);
	/* and the tag is gone for a new config */
	EXPECT_EQ(zt_sock_conf(s, false), -ENOENT);
	free(s); /* never registered, no kernel fd: not zt_sock_destroy() */
	free(ca);
}
