/*
 * Session resumption (docs/session-cache.md). Clients: a process-wide cache
 * of serialized sessions keyed by the peer's address (IP and port, as
 * Zephyr) AND the security context the session was verified under (the
 * config fingerprint plus the host name rule), restored before the handshake
 * and stored after it (TLS 1.2, DTLS) or on every NewSessionTicket (TLS 1.3,
 * which sends tickets after the handshake). Servers: session tickets under
 * keys of their own security context (tickets.c), and the session-ID cache
 * of global.c partitioned the same way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "engine/mbedtls/mbed.h"

#ifndef ZT_CLIENT_CACHE_SIZE
#define ZT_CLIENT_CACHE_SIZE 64 /* Zephyr: CONFIG_NET_SOCKETS_TLS_MAX_CLIENT_SESSION_COUNT 1 */
#endif

struct cache_entry {
	unsigned char key[ZT_CACHE_KEY_MAX];
	size_t key_len;
	unsigned char *blob; /* mbedtls_ssl_session_save() output; wiped on drop */
	size_t blob_len;
	uint32_t vflags; /* verification result of the handshake that made it */
	uint64_t stamp;
};

static struct cache_entry client_cache[ZT_CLIENT_CACHE_SIZE];
static uint64_t cache_clock;
static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;

static void entry_drop(struct cache_entry *c)
{
	if (c->blob != NULL) {
		zt_wipe(c->blob, c->blob_len);
		free(c->blob);
	}
	memset(c, 0, sizeof(*c));
}

static struct cache_entry *entry_find(const unsigned char *key, size_t key_len)
{
	for (int i = 0; i < ZT_CLIENT_CACHE_SIZE; i++) {
		struct cache_entry *c = &client_cache[i];

		if (c->blob != NULL && c->key_len == key_len && memcmp(c->key, key, key_len) == 0) {
			return c;
		}
	}
	return NULL;
}

/* same key, else an empty slot, else the oldest (docs/zephyr-behaviour.md §3.10) */
static struct cache_entry *entry_victim(const unsigned char *key, size_t key_len)
{
	struct cache_entry *c = entry_find(key, key_len), *oldest = &client_cache[0];

	if (c != NULL) {
		return c;
	}
	for (int i = 0; i < ZT_CLIENT_CACHE_SIZE; i++) {
		if (client_cache[i].blob == NULL) {
			return &client_cache[i];
		}
		if (client_cache[i].stamp < oldest->stamp) {
			oldest = &client_cache[i];
		}
	}
	return oldest;
}

/* SHA-256 of this client's context: its config fingerprint and host name rule. */
static void client_ctx_fp(const struct zt_eng *e, const struct zt_eng_sess_cfg *sc,
			  unsigned char out[ZT_CTX_FP_LEN])
{
	mbedtls_sha256_context h;
	unsigned char rule = sc->name_rule == ZT_NAME_UNSET  ? 'U'
			     : sc->name_rule == ZT_NAME_NONE ? 'N'
							     : 'H';

	/* unset (the name check must fail), NULL (no name check), or a name */
	mbedtls_sha256_init(&h);
	(void)mbedtls_sha256_starts(&h, 0);
	(void)mbedtls_sha256_update(&h, e->conf->sec_fp, sizeof(e->conf->sec_fp));
	(void)mbedtls_sha256_update(&h, &rule, 1);
	if (rule == 'H') {
		(void)mbedtls_sha256_update(&h, (const unsigned char *)sc->hostname,
					    strlen(sc->hostname));
	}
	(void)mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
}

int zt_mbed_cache_attach(struct zt_eng *e, const struct zt_eng_sess_cfg *sc)
{
	mbedtls_ssl_session sess;
	struct cache_entry *c;
	size_t key_len = sc->cache_key_len;

	/* the peer's identity, then the context: another context never finds it */
	if (key_len == 0 || key_len > ZT_CACHE_KEY_MAX - ZT_CTX_FP_LEN) {
		return -EINVAL;
	}
	memcpy(e->cache_key, sc->cache_key, key_len);
	client_ctx_fp(e, sc, e->cache_key + key_len);
	key_len += ZT_CTX_FP_LEN;
	e->cache_key_len = key_len;

	mbedtls_ssl_session_init(&sess);
	pthread_mutex_lock(&client_lock);
	c = entry_find(e->cache_key, key_len);
	if (c != NULL) {
		if (mbedtls_ssl_session_load(&sess, c->blob, c->blob_len) != 0 ||
		    mbedtls_ssl_set_session(&e->ssl, &sess) != 0) {
			entry_drop(c); /* corrupt or unusable: forget it */
		} else {
			e->resume_offered = true;
			e->cached_vflags = c->vflags;
		}
	}
	pthread_mutex_unlock(&client_lock);
	mbedtls_ssl_session_free(&sess);
	return 0;
}

void zt_mbed_cache_store(struct zt_eng *e)
{
	mbedtls_ssl_session sess;
	unsigned char *blob = NULL;
	uint32_t vflags;
	size_t len = 0;

	if (e->cache_key_len == 0) {
		return;
	}
	mbedtls_ssl_session_init(&sess);
	if (mbedtls_ssl_get_session(&e->ssl, &sess) != 0) {
		goto out;
	}
	(void)mbedtls_ssl_session_save(&sess, NULL, 0, &len);
	blob = len > 0 ? malloc(len) : NULL;
	if (blob == NULL || mbedtls_ssl_session_save(&sess, blob, len, &len) != 0) {
		goto out;
	}
	vflags = e->resumed ? e->cached_vflags : mbedtls_ssl_get_verify_result(&e->ssl);
	pthread_mutex_lock(&client_lock);
	struct cache_entry *c = entry_victim(e->cache_key, e->cache_key_len);

	entry_drop(c);
	memcpy(c->key, e->cache_key, e->cache_key_len);
	c->key_len = e->cache_key_len;
	c->blob = blob;
	c->blob_len = len;
	c->vflags = vflags;
	c->stamp = ++cache_clock;
	blob = NULL; /* owned by the cache now */
	pthread_mutex_unlock(&client_lock);
out:
	if (blob != NULL) {
		zt_wipe(blob, len);
		free(blob);
	}
	mbedtls_ssl_session_free(&sess);
}

void zt_mbed_cache_purge_clients(void)
{
	pthread_mutex_lock(&client_lock);
	for (int i = 0; i < ZT_CLIENT_CACHE_SIZE; i++) {
		entry_drop(&client_cache[i]);
	}
	pthread_mutex_unlock(&client_lock);
}
