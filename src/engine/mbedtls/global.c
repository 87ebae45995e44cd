/*
 * Process-wide engine state: PSA start-up, the RNG, the version, and the
 * server session cache.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>
#include <mbedtls/x509.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha256.h>

#include "engine/mbedtls/mbed.h"
#include "util/log.h"

#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
#include <mbedtls/secsock_accel.h> /* SECSOCK_CRYPTO_ACCEL=openssl (docs/crypto-accel.md) */
#endif

#if ZT_MBEDTLS_BELOW_MIN
#pragma message("secsock: building on Mbed TLS " MBEDTLS_VERSION_STRING                            \
		", older than the minimum " ZT_MBEDTLS_MIN_VERSION_STRING                          \
		" (SECSOCK_ALLOW_OLD_MBEDTLS): known vulnerabilities, not for deployment")
#endif

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static mbedtls_ssl_cache_context server_cache;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	zt_mbed_mem_init(); /* before anything allocates through Mbed TLS */
	init_rc = psa_crypto_init() == PSA_SUCCESS ? 0 : -EIO;
	zt_mbed_debug_init();
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	zt_log(1, "crypto accelerated: %s", zt_accel_info());
#endif
}

int zt_mbed_global_init(void)
{
	pthread_once(&init_once, global_init);
	return init_rc;
}

int zt_mbed_rng(void *ctx, unsigned char *out, size_t len)
{
	return mbedtls_psa_get_random(ctx, out, len);
}

/*
 * Purge must not free the cache under a handshake that is using it: lookups
 * and stores hold cache_rw for reading, purge holds it for writing.
 */
static pthread_rwlock_t cache_rw = PTHREAD_RWLOCK_INITIALIZER;

static void cache_init(void)
{
	mbedtls_ssl_cache_init(&server_cache);
}

/*
 * The cache is process-wide, but a session is found only by a config of the
 * security context it was made in: entries are stored under
 * SHA-256(context fingerprint || session ID), never under the ID itself.
 */
static void cache_key(const struct zt_eng_conf *c, unsigned char const *id, size_t id_len,
		      unsigned char key[32])
{
	mbedtls_sha256_context h;

	mbedtls_sha256_init(&h);
	(void)mbedtls_sha256_starts(&h, 0);
	(void)mbedtls_sha256_update(&h, c->sec_fp, sizeof(c->sec_fp));
	(void)mbedtls_sha256_update(&h, id, id_len);
	(void)mbedtls_sha256_finish(&h, key);
	mbedtls_sha256_free(&h);
}

static int cache_get(void *ctx, unsigned char const *id, size_t id_len,
		     mbedtls_ssl_session *session)
{
	unsigned char key[32];
	int ret;

	cache_key(ctx, id, id_len, key);
	pthread_rwlock_rdlock(&cache_rw);
	ret = mbedtls_ssl_cache_get(&server_cache, key, sizeof(key), session);
	pthread_rwlock_unlock(&cache_rw);
	if (ret == 0) {
		zt_mbed_note_resume();
	}
	return ret;
}

static int cache_set(void *ctx, unsigned char const *id, size_t id_len,
		     const mbedtls_ssl_session *session)
{
	unsigned char key[32];
	int ret;

	cache_key(ctx, id, id_len, key);
	pthread_rwlock_rdlock(&cache_rw);
	ret = mbedtls_ssl_cache_set(&server_cache, key, sizeof(key), session);
	pthread_rwlock_unlock(&cache_rw);
	return ret;
}

void zt_mbed_conf_server_cache(struct zt_eng_conf *c)
{
	pthread_once(&cache_once, cache_init);
	mbedtls_ssl_conf_session_cache(&c->ssl, c, cache_get, cache_set);
}

void zt_mbed_cache_purge(void)
{
	pthread_once(&cache_once, cache_init);
	pthread_rwlock_wrlock(&cache_rw);
	mbedtls_ssl_cache_free(&server_cache);
	mbedtls_ssl_cache_init(&server_cache);
	pthread_rwlock_unlock(&cache_rw);
	zt_mbed_cache_purge_clients();
}

static char version_str[96];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_init(void)
{
	char v[18]; /* mbedtls_version_get_string() writes at most 9 bytes */

	mbedtls_version_get_string(v);
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	snprintf(version_str, sizeof(version_str), "Mbed TLS %s, %s", v, zt_accel_info());
#else
	snprintf(version_str, sizeof(version_str), "Mbed TLS %s", v);
#endif
}

const char *zt_mbed_version(void)
{
	pthread_once(&version_once, version_init);
	return version_str;
}

uint32_t zt_mbed_version_number(void)
{
	return mbedtls_version_get_number();
}
