/*
 * Client configs shared between sockets (SPEC §5: parsed credentials are
 * shared, not re-parsed per connection). A config depends only on the
 * options below and on the credential store's generation, so sockets with
 * the same options reuse one parsed config: no certificate parsing per
 * connect. A small LRU table; an entry whose generation is stale is simply
 * never matched again and ages out.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "cred/store.h"
#include "engine/mbedtls/mbed.h"

#define SLOTS 16

struct conf_key {
	int proto;
	int server;
	int peer_verify;
	int session_cache;
	int sec_tag_count;
	sec_tag_t sec_tags[ZT_MAX_SEC_TAGS];
	int ciphersuite_count;
	int ciphersuites[ZT_MAX_CIPHERSUITES + 1];
	int alpn_count;
	const char *alpn[ZT_MAX_ALPN + 1];
	uint32_t dtls_timeout_min_ms;
	uint32_t dtls_timeout_max_ms;
	int dtls_cid;
	size_t cid_len;
	void *verify_cb;
	void *verify_ctx;
	uint64_t cred_gen;
};

static struct {
	struct conf_key key;
	struct zt_eng_conf *conf;
	uint64_t stamp;
} slots[SLOTS];
static uint64_t clock_;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Zero-filled, so that memcmp() compares no padding or unused entries. */
static void key_of(struct conf_key *k, const struct zt_opts *o, int proto, bool server)
{
	memset(k, 0, sizeof(*k));
	k->proto = proto;
	k->server = server;
	k->peer_verify = o->peer_verify;
	k->session_cache = o->session_cache;
	k->sec_tag_count = o->sec_tag_count;
	memcpy(k->sec_tags, o->sec_tags, sizeof(o->sec_tags[0]) * (size_t)o->sec_tag_count);
	k->ciphersuite_count = o->ciphersuite_count;
	memcpy(k->ciphersuites, o->ciphersuites,
	       sizeof(o->ciphersuites[0]) * (size_t)o->ciphersuite_count);
	k->alpn_count = o->alpn_count;
	memcpy(k->alpn, o->alpn, sizeof(o->alpn[0]) * (size_t)o->alpn_count);
	k->dtls_timeout_min_ms = o->dtls_timeout_min_ms;
	k->dtls_timeout_max_ms = o->dtls_timeout_max_ms;
	k->dtls_cid = o->dtls_cid;
	k->cid_len = o->cid_len;
	k->verify_cb = o->verify_cb.cb;
	k->verify_ctx = o->verify_cb.ctx;
	k->cred_gen = zt_cred_generation(); /* read before any parsing */
}

int zt_eng_conf_shared(struct zt_eng_conf **out, const struct zt_opts *o, int proto, bool server)
{
	struct zt_eng_conf *c = NULL;
	struct conf_key k;
	int rc, victim = 0;

	key_of(&k, o, proto, server);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].conf != NULL && memcmp(&slots[i].key, &k, sizeof(k)) == 0) {
			zt_eng_conf_get(slots[i].conf);
			slots[i].stamp = ++clock_;
			*out = slots[i].conf;
			pthread_mutex_unlock(&lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&lock);

	rc = zt_eng_conf_new(&c, o, proto, server); /* parses: outside the lock */
	if (rc < 0) {
		return rc;
	}
	pthread_mutex_lock(&lock);
	for (int i = 1; i < SLOTS; i++) {
		if (slots[i].stamp < slots[victim].stamp) {
			victim = i;
		}
	}
	zt_eng_conf_put(slots[victim].conf);
	slots[victim].key = k;
	slots[victim].conf = c;
	slots[victim].stamp = ++clock_;
	zt_eng_conf_get(c); /* the table's reference */
	pthread_mutex_unlock(&lock);
	*out = c;
	return 0;
}

void zt_eng_conf_cache_flush(void)
{
	struct zt_eng_conf *gone[SLOTS];
	int n = 0;
	uint64_t gen = zt_cred_generation();

	/*
	 * Entries of an older credential generation can never match again;
	 * drop them now rather than when they age out, so that a deleted key's
	 * parsed copy is freed (and zeroized) as soon as no socket uses it.
	 */
	pthread_mutex_lock(&lock);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].conf != NULL && slots[i].key.cred_gen != gen) {
			gone[n++] = slots[i].conf;
			memset(&slots[i], 0, sizeof(slots[i]));
		}
	}
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < n; i++) {
		zt_eng_conf_put(gone[i]);
	}
}

int zt_eng_conf_cache_count(void)
{
	int n = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < SLOTS; i++) {
		n += slots[i].conf != NULL;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
