/*
 * Session resumption (reference §3.10). Clients: a process-wide cache of
 * serialized sessions keyed by the peer's address (IP and port, as Zephyr),
 * restored before the handshake and stored after it (TLS 1.2, DTLS) or on
 * every NewSessionTicket (TLS 1.3, which sends tickets after the handshake).
 * Servers: session tickets with a process-wide key, next to the session-ID
 * cache of global.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ssl_ticket.h>

#include "engine/mbedtls/mbed.h"

#ifndef ZT_CLIENT_CACHE_SIZE
#define ZT_CLIENT_CACHE_SIZE 64 /* Zephyr: CONFIG_NET_SOCKETS_TLS_MAX_CLIENT_SESSION_COUNT 1 */
#endif
#define TICKET_LIFETIME_S 86400

struct cache_entry {
	unsigned char key[ZT_CACHE_KEY_MAX];
	size_t key_len;
	unsigned char *blob; /* mbedtls_ssl_session_save() output; wiped on drop */
	size_t blob_len;
	uint64_t stamp;
};

static struct cache_entry client_cache[ZT_CLIENT_CACHE_SIZE];
static uint64_t cache_clock;
static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;

static mbedtls_ssl_ticket_context tickets;
static pthread_once_t tickets_once = PTHREAD_ONCE_INIT;
static int tickets_rc;

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

/* same key, else an empty slot, else the oldest (reference §3.10) */
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

int zt_eng_cache_attach(struct zt_eng *e, const void *key, size_t key_len)
{
	mbedtls_ssl_session sess;
	struct cache_entry *c;
	int rc = 0;

	if (key_len == 0 || key_len > ZT_CACHE_KEY_MAX) {
		return -EINVAL;
	}
	memcpy(e->cache_key, key, key_len);
	e->cache_key_len = key_len;

	mbedtls_ssl_session_init(&sess);
	pthread_mutex_lock(&client_lock);
	c = entry_find(key, key_len);
	if (c != NULL) {
		if (mbedtls_ssl_session_load(&sess, c->blob, c->blob_len) != 0 ||
		    mbedtls_ssl_set_session(&e->ssl, &sess) != 0) {
			entry_drop(c); /* corrupt or unusable: forget it */
		}
	}
	pthread_mutex_unlock(&client_lock);
	mbedtls_ssl_session_free(&sess);
	return rc;
}

void zt_mbed_cache_store(struct zt_eng *e)
{
	mbedtls_ssl_session sess;
	unsigned char *blob = NULL;
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
	pthread_mutex_lock(&client_lock);
	struct cache_entry *c = entry_victim(e->cache_key, e->cache_key_len);

	entry_drop(c);
	memcpy(c->key, e->cache_key, e->cache_key_len);
	c->key_len = e->cache_key_len;
	c->blob = blob;
	c->blob_len = len;
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

static void tickets_init(void)
{
	mbedtls_ssl_ticket_init(&tickets);
	tickets_rc = mbedtls_ssl_ticket_setup(&tickets, zt_mbed_rng, NULL,
					      MBEDTLS_CIPHER_AES_256_GCM, TICKET_LIFETIME_S) == 0
			     ? 0
			     : -ENOMEM;
}

int zt_mbed_conf_tickets(mbedtls_ssl_config *conf)
{
	pthread_once(&tickets_once, tickets_init);
	if (tickets_rc == 0) {
		mbedtls_ssl_conf_session_tickets_cb(conf, mbedtls_ssl_ticket_write,
						    mbedtls_ssl_ticket_parse, &tickets);
	}
	return tickets_rc;
}
