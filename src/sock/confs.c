/*
 * Engine configurations of sockets: the backend-neutral struct zt_eng_cfg a
 * socket's options make, the credentials of its tags handed to the engine
 * under the store's read lock, and the sharing that keeps parsing off the
 * connection path:
 *
 * - a listener's config is rebuilt only when its options or the credential
 *   store changed, and shared with every socket it accepts;
 * - clients with equal options share one config (a small LRU keyed by the
 *   options and the store's generation), so a connect parses nothing;
 * - TLS_SEC_TAG_LIST validation remembers the tags that parsed at the
 *   current generation, so setting the same tags again parses nothing.
 *
 * A deleted credential leaves no parsed copy here (zt_sock_confs_flush).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cred/store.h"
#include "sock/sock.h"

#define SLOTS        16 /* shared client configs */
#define CHECKED_TAGS 64 /* validated tags remembered */

static void cfg_of(const struct zt_opts *o, int proto, bool server, struct zt_eng_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server = server;
	cfg->dgram = proto == IPPROTO_DTLS_1_0 || proto == IPPROTO_DTLS_1_2;
	cfg->tls13_only = proto == IPPROTO_TLS_1_3;
	cfg->suites = o->ciphersuites;
	cfg->nsuites = o->ciphersuite_count;
	cfg->verify = o->peer_verify >= 0 ? o->peer_verify : ZT_ENG_NO_VERIFY;
	cfg->alpn = o->alpn_count > 0 ? o->alpn : NULL;
	cfg->dtls_timeout_min_ms = o->dtls_timeout_min_ms;
	cfg->dtls_timeout_max_ms = o->dtls_timeout_max_ms;
	cfg->cid = o->dtls_cid;
	cfg->cid_len = o->dtls_cid == TLS_DTLS_CID_ENABLED ? o->cid_len : 0;
	cfg->session_cache = o->session_cache == TLS_SESSION_CACHE_ENABLED;
	cfg->verify_cb = o->verify_cb.cb;
	cfg->verify_ctx = o->verify_cb.ctx;
}

struct build {
	const struct zt_eng_cfg *cfg;
	struct zt_eng_conf *conf;
};

/* Under the store's read lock: the credentials, as the engine takes them. */
static int build_locked(void *arg, const struct zt_cred_item *items, int n)
{
	struct build *b = arg;
	struct zt_eng_cred stack[32] = {0}, *creds = stack;
	int rc;

	if (n > (int)ZT_ARRAY_SIZE(stack)) {
		creds = calloc((size_t)n, sizeof(*creds));
		if (creds == NULL) {
			return -ENOMEM;
		}
	}
	for (int i = 0; i < n; i++) {
		creds[i] = (struct zt_eng_cred){.tag_index = items[i].tag_index,
						.type = items[i].type,
						.buf = items[i].buf,
						.len = items[i].len};
	}
	rc = zt_eng_conf_new(&b->conf, b->cfg, creds, n);
	if (creds != stack) {
		free(creds);
	}
	return rc;
}

/* A new config for @p o (credentials loaded now, docs/zephyr-behaviour.md §3.3). */
int zt_sock_conf_build(const struct zt_opts *o, int proto, bool server, struct zt_eng_conf **out)
{
	struct zt_eng_cfg cfg;
	struct build b = {.cfg = &cfg};
	int rc;

	cfg_of(o, proto, server, &cfg);
	if (o->sec_tag_count == 0) {
		rc = zt_eng_conf_new(&b.conf, &cfg, NULL, 0);
	} else {
		rc = zt_cred_with_tags(o->sec_tags, o->sec_tag_count, build_locked, &b);
	}
	if (rc == 0) {
		*out = b.conf;
	}
	return rc;
}

/* ---- clients with equal options share a config ---- */

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
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* Zero-filled, so that memcmp() compares no padding or unused entries. */
static void key_of(struct conf_key *k, const struct zt_opts *o, int proto, bool server,
		   uint64_t gen)
{
	memset(k, 0, sizeof(*k));
	k->proto = proto;
	k->server = server;
	k->peer_verify = o->peer_verify;
	k->session_cache = o->session_cache;
	k->sec_tag_count = o->sec_tag_count;
	memcpy(k->sec_tags, o->sec_tags, sizeof(o->sec_tags[0]) * (size_t)o->sec_tag_count);
	k->ciphersuite_count = o->ciphersuite_count;
	if (o->ciphersuite_count > 0) {
		memcpy(k->ciphersuites, o->ciphersuites,
		       sizeof(o->ciphersuites[0]) * (size_t)o->ciphersuite_count);
	}
	k->alpn_count = o->alpn_count;
	memcpy(k->alpn, o->alpn, sizeof(o->alpn[0]) * (size_t)o->alpn_count);
	k->dtls_timeout_min_ms = o->dtls_timeout_min_ms;
	k->dtls_timeout_max_ms = o->dtls_timeout_max_ms;
	k->dtls_cid = o->dtls_cid;
	k->cid_len = o->cid_len;
	k->verify_cb = o->verify_cb.cb;
	k->verify_ctx = o->verify_cb.ctx;
	k->cred_gen = gen;
}

static int conf_shared(const struct zt_opts *o, int proto, bool server, uint64_t gen,
		       struct zt_eng_conf **out)
{
	struct zt_eng_conf *c = NULL;
	struct conf_key k;
	int rc, victim = 0;

	key_of(&k, o, proto, server, gen);
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].conf != NULL && memcmp(&slots[i].key, &k, sizeof(k)) == 0) {
			zt_eng_conf_get(slots[i].conf);
			slots[i].stamp = ++clock_;
			*out = slots[i].conf;
			pthread_mutex_unlock(&slots_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&slots_lock);

	rc = zt_sock_conf_build(o, proto, server, &c); /* parses: outside the lock */
	if (rc < 0) {
		return rc;
	}
	pthread_mutex_lock(&slots_lock);
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
	pthread_mutex_unlock(&slots_lock);
	*out = c;
	return 0;
}

void zt_sock_confs_flush(void)
{
	struct zt_eng_conf *gone[SLOTS];
	int n = 0;
	uint64_t gen = zt_cred_generation();

	/*
	 * Entries of an older credential generation can never match again;
	 * drop them now rather than when they age out, so that a deleted key's
	 * parsed copy is freed (and zeroized) as soon as no socket uses it.
	 */
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].conf != NULL && slots[i].key.cred_gen != gen) {
			gone[n++] = slots[i].conf;
			memset(&slots[i], 0, sizeof(slots[i]));
		}
	}
	pthread_mutex_unlock(&slots_lock);
	for (int i = 0; i < n; i++) {
		zt_eng_conf_put(gone[i]);
	}
}

int zt_sock_confs_count(void)
{
	int n = 0;

	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < SLOTS; i++) {
		n += slots[i].conf != NULL;
	}
	pthread_mutex_unlock(&slots_lock);
	return n;
}

int zt_sock_conf(struct zt_sock *s, bool server)
{
	uint64_t gen = zt_cred_generation(); /* before parsing: a racing change costs a rebuild */
	struct zt_eng_conf *c = NULL;
	int rc;

	if (s->conf != NULL && s->conf_opts_gen == s->opts_gen && s->conf_cred_gen == gen) {
		return 0;
	}
	/* clients share; a server's config is its own (its listener shares it with children) */
	rc = server ? zt_sock_conf_build(&s->opts, s->proto, true, &c)
		    : conf_shared(&s->opts, s->proto, false, gen, &c);
	if (rc < 0) {
		return rc;
	}
	zt_eng_conf_put(s->conf);
	s->conf = c;
	s->conf_opts_gen = s->opts_gen;
	s->conf_cred_gen = gen;
	return 0;
}

void zt_sock_sess_cfg(const struct zt_sock *s, struct zt_eng_sess_cfg *sc)
{
	const struct zt_opts *o = &s->opts;

	memset(sc, 0, sizeof(*sc));
	/* NULL disables the name check and SNI; "" is as unset (docs/zephyr-behaviour.md §3.11) */
	if (!o->hostname_set || (o->hostname != NULL && o->hostname[0] == '\0')) {
		sc->name_rule = ZT_NAME_UNSET;
	} else if (o->hostname == NULL) {
		sc->name_rule = ZT_NAME_NONE;
	} else {
		sc->name_rule = ZT_NAME_SET;
		sc->hostname = o->hostname;
	}
	if (o->dtls_cid == TLS_DTLS_CID_ENABLED && o->cid_len > 0) {
		sc->own_cid = o->cid;
		sc->own_cid_len = o->cid_len;
	}
}

/* ---- TLS_SEC_TAG_LIST validation, remembered per credential generation ---- */

static struct {
	sec_tag_t tag;
	uint64_t gen;
	bool valid;
} checked[CHECKED_TAGS];
static unsigned checked_next;
static pthread_mutex_t checked_lock = PTHREAD_MUTEX_INITIALIZER;

static bool check_known(sec_tag_t tag, uint64_t gen)
{
	bool ok = false;

	pthread_mutex_lock(&checked_lock);
	for (int i = 0; i < CHECKED_TAGS && !ok; i++) {
		ok = checked[i].valid && checked[i].tag == tag && checked[i].gen == gen;
	}
	pthread_mutex_unlock(&checked_lock);
	return ok;
}

static void check_remember(sec_tag_t tag, uint64_t gen)
{
	pthread_mutex_lock(&checked_lock);
	checked[checked_next % CHECKED_TAGS].tag = tag;
	checked[checked_next % CHECKED_TAGS].gen = gen;
	checked[checked_next % CHECKED_TAGS].valid = true;
	checked_next++;
	pthread_mutex_unlock(&checked_lock);
}

static int check_locked(void *arg, const struct zt_cred_item *items, int n)
{
	bool psk = false, psk_id = false;

	(void)arg;
	for (int i = 0; i < n; i++) {
		int rc = zt_eng_cred_check(items[i].type, items[i].buf, items[i].len);

		if (rc < 0) {
			return rc;
		}
		psk |= items[i].type == TLS_CREDENTIAL_PSK;
		psk_id |= items[i].type == TLS_CREDENTIAL_PSK_ID;
	}
	/* PSK and PSK_ID are a pair in one tag (Zephyr's tls_check_psk()) */
	return psk != psk_id ? -EINVAL : 0;
}

int zt_sock_check_tags(const sec_tag_t *tags, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t gen = zt_cred_generation();
		int rc;

		if (check_known(tags[i], gen)) {
			continue;
		}
		rc = zt_cred_with_tags(&tags[i], 1, check_locked, NULL);
		if (rc < 0) {
			return rc;
		}
		check_remember(tags[i], gen);
	}
	return 0;
}
