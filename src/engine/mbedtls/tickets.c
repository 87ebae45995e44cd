/*
 * Server session tickets (docs/session-cache.md, "Servers"). Each security
 * context (the config fingerprint, c->sec_fp) has its own ticket keys, shared
 * by every config of that context, so a ticket never resumes a session in
 * another context.
 *
 * Where the keys come from:
 * - by default, random keys of this process: one issues, the one before it
 *   still decrypts, and a new one is made every TICKET_LIFETIME_S;
 * - after zt_mbed_ticket_keys_set() (secsock_ticket_keys_load(),
 *   SECSOCK_TICKET_KEY_FILE), keys derived from the file's keys: for each
 *   file key K, HMAC-SHA256(K, "secsock ticket key" || fingerprint) is the
 *   AES-256-GCM key and the first 4 bytes of HMAC-SHA256(K, "secsock ticket
 *   name" || fingerprint) its name. Every process that loads the same file
 *   derives the same keys for the same context, so they resume each other's
 *   sessions; the first file key issues, every one decrypts.
 *
 * Ticket: name(4) | iv(12) | issued(8, wall clock ms, big endian) | length(2) |
 * AES-256-GCM(session) | tag(16); the first 26 bytes are authenticated
 * data. The issue time is the wall clock, not Mbed TLS's boot-time clock,
 * so that another host can check a ticket's age; on parse, the session's
 * creation time is moved to this host's clock for Mbed TLS's TLS 1.3 age
 * check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_time.h>

#include "engine/mbedtls/mbed.h"

#define TICKET_LIFETIME_S 86400
#define NAME_LEN          4
#define IV_LEN            12
#define AAD_LEN           (NAME_LEN + IV_LEN + 8 + 2)
#define TAG_LEN           16
/* clocks of a fleet may disagree this much: a ticket "from the future" still counts */
#define SKEW_MS           (60 * 1000)

struct zt_tkey {
	unsigned char name[NAME_LEN];
	psa_key_id_t id; /* AES-256-GCM */
};

/* Ticket keys of one server security context, shared by every config that has it. */
struct zt_tickets {
	struct zt_tickets *next;
	unsigned char fp[ZT_CTX_FP_LEN];
	int refs;            /* ticket_lock */
	pthread_rwlock_t rw; /* keys: write to change them, read to use them */
	uint64_t gen;        /* file_gen the keys were made for */
	bool random;         /* keys of this process, not of a file */
	int64_t made_s;      /* random keys: when keys[0] was made */
	int n;               /* keys[0] issues */
	struct zt_tkey keys[ZT_TICKET_KEYS_MAX];
};

static struct zt_tickets *ticket_sets;
static pthread_mutex_t ticket_lock = PTHREAD_MUTEX_INITIALIZER;

/* The file's keys (ticket_lock); none: random keys. Wiped when replaced. */
static unsigned char file_keys[ZT_TICKET_KEYS_MAX][ZT_TICKET_KEY_LEN];
static int file_n;
static _Atomic uint64_t file_gen = 1;

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_s(void)
{
	return zt_now_ms() / 1000;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static int key_import(struct zt_tkey *k, const unsigned char raw[32])
{
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;

	psa_set_key_usage_flags(&a, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&a, PSA_ALG_GCM);
	psa_set_key_type(&a, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&a, 256);
	return psa_import_key(&a, raw, 32, &k->id) == PSA_SUCCESS ? 0 : -ENOMEM;
}

static void key_drop(struct zt_tkey *k)
{
	(void)psa_destroy_key(k->id); /* PSA wipes the key material */
	memset(k, 0, sizeof(*k));
}

/* A random key of this process. */
static int key_random(struct zt_tkey *k)
{
	unsigned char raw[32];
	int rc = -EIO;

	if (zt_mbed_rng(NULL, raw, sizeof(raw)) == 0 && zt_mbed_rng(NULL, k->name, NAME_LEN) == 0) {
		rc = key_import(k, raw);
	}
	zt_wipe(raw, sizeof(raw));
	return rc;
}

/* HMAC-SHA256(file key, label || fingerprint) */
static int derive(const unsigned char fk[ZT_TICKET_KEY_LEN], const char *label,
		  const unsigned char fp[ZT_CTX_FP_LEN], unsigned char out[32])
{
	unsigned char in[32 + ZT_CTX_FP_LEN];
	size_t ll = strlen(label);
	int ret;

	memcpy(in, label, ll);
	memcpy(in + ll, fp, ZT_CTX_FP_LEN);
	ret = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), fk, ZT_TICKET_KEY_LEN,
			      in, ll + ZT_CTX_FP_LEN, out);
	return ret == 0 ? 0 : -EIO;
}

static int key_derived(struct zt_tkey *k, const unsigned char fk[ZT_TICKET_KEY_LEN],
		       const unsigned char fp[ZT_CTX_FP_LEN])
{
	unsigned char raw[32], name[32];
	int rc = derive(fk, "secsock ticket key", fp, raw);

	if (rc == 0) {
		rc = derive(fk, "secsock ticket name", fp, name);
	}
	if (rc == 0) {
		memcpy(k->name, name, NAME_LEN);
		rc = key_import(k, raw);
	}
	zt_wipe(raw, sizeof(raw));
	zt_wipe(name, sizeof(name));
	return rc;
}

/* Under t->rw for writing: keys for the current file generation. */
static void keys_rebuild(struct zt_tickets *t)
{
	while (t->n > 0) {
		key_drop(&t->keys[--t->n]);
	}
	t->random = false;
	pthread_mutex_lock(&ticket_lock);
	t->gen = atomic_load(&file_gen);
	for (int i = 0; i < file_n; i++) {
		if (key_derived(&t->keys[t->n], file_keys[i], t->fp) == 0) {
			t->n++;
		}
	}
	pthread_mutex_unlock(&ticket_lock);
	if (t->gen == atomic_load(&file_gen) && t->n == 0 && key_random(&t->keys[0]) == 0) {
		t->n = 1; /* no file: a random key, rotated by keys_use() */
		t->random = true;
		t->made_s = mono_s();
	}
}

/* Under t->rw for writing, random keys: a new one issues, the last one still decrypts. */
static void keys_rotate(struct zt_tickets *t)
{
	struct zt_tkey k;

	if (key_random(&k) < 0) {
		return;
	}
	if (t->n == 2) {
		key_drop(&t->keys[1]);
	}
	t->keys[1] = t->keys[0];
	t->keys[0] = k;
	t->n = 2;
	t->made_s = mono_s();
}

static bool expired(const struct zt_tickets *t)
{
	return t->random && mono_s() - t->made_s >= TICKET_LIFETIME_S;
}

/* Take t->rw for reading, with keys that are current. */
static void keys_use(struct zt_tickets *t)
{
	pthread_rwlock_rdlock(&t->rw);
	if (t->gen == atomic_load(&file_gen) && t->n > 0 && !expired(t)) {
		return;
	}
	pthread_rwlock_unlock(&t->rw);
	pthread_rwlock_wrlock(&t->rw);
	if (t->gen != atomic_load(&file_gen) || t->n == 0) {
		keys_rebuild(t);
	} else if (expired(t)) {
		keys_rotate(t);
	}
	pthread_rwlock_unlock(&t->rw);
	pthread_rwlock_rdlock(&t->rw);
}

static int ticket_write(void *p_ticket, const mbedtls_ssl_session *session, unsigned char *start,
			const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	struct zt_tickets *t = p_ticket;
	unsigned char *state = start + AAD_LEN;
	size_t cap, clear_len = 0, out_len = 0;
	int ret = MBEDTLS_ERR_SSL_INTERNAL_ERROR;

	*tlen = 0;
	if (end - start < AAD_LEN + TAG_LEN + 1) {
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	}
	cap = (size_t)(end - state);
	keys_use(t);
	if (t->n == 0) {
		goto out;
	}
	memcpy(start, t->keys[0].name, NAME_LEN);
	put_be(start + NAME_LEN + IV_LEN, (uint64_t)wall_ms(), 8);
	if (zt_mbed_rng(NULL, start + NAME_LEN, IV_LEN) != 0) {
		goto out;
	}
	ret = mbedtls_ssl_session_save(session, state, cap - TAG_LEN, &clear_len);
	if (ret != 0 || clear_len > 0xFFFF) {
		ret = ret != 0 ? ret : MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
		goto out;
	}
	put_be(start + AAD_LEN - 2, clear_len, 2);
	if (psa_aead_encrypt(t->keys[0].id, PSA_ALG_GCM, start + NAME_LEN, IV_LEN, start, AAD_LEN,
			     state, clear_len, state, cap, &out_len) != PSA_SUCCESS ||
	    out_len != clear_len + TAG_LEN) {
		ret = MBEDTLS_ERR_SSL_INTERNAL_ERROR;
		zt_wipe(state, clear_len);
		goto out;
	}
	*tlen = AAD_LEN + out_len;
	*lifetime = TICKET_LIFETIME_S;
	ret = 0;
out:
	pthread_rwlock_unlock(&t->rw);
	return ret;
}

static int ticket_parse(void *p_ticket, mbedtls_ssl_session *session, unsigned char *buf,
			size_t len)
{
	struct zt_tickets *t = p_ticket;
	unsigned char *state = buf + AAD_LEN;
	size_t enc_len, clear_len = 0;
	const struct zt_tkey *k = NULL;
	int64_t issued, now;
	psa_status_t st;
	int ret;

	if (len < AAD_LEN + TAG_LEN) {
		return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
	}
	enc_len = (size_t)get_be(buf + AAD_LEN - 2, 2);
	if (len != AAD_LEN + enc_len + TAG_LEN) {
		return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
	}
	keys_use(t);
	for (int i = 0; i < t->n && k == NULL; i++) {
		if (memcmp(t->keys[i].name, buf, NAME_LEN) == 0) {
			k = &t->keys[i];
		}
	}
	st = k == NULL ? PSA_ERROR_INVALID_HANDLE
		       : psa_aead_decrypt(k->id, PSA_ALG_GCM, buf + NAME_LEN, IV_LEN, buf, AAD_LEN,
					  state, enc_len + TAG_LEN, state, enc_len, &clear_len);
	pthread_rwlock_unlock(&t->rw);
	if (k == NULL) {
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED; /* a key we no longer have */
	}
	if (st != PSA_SUCCESS || clear_len != enc_len) {
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	}
	issued = (int64_t)get_be(buf + NAME_LEN + IV_LEN, 8);
	now = wall_ms();
	if (issued > now + SKEW_MS || now - issued > (int64_t)TICKET_LIFETIME_S * 1000) {
		zt_wipe(state, clear_len);
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
	}
	ret = mbedtls_ssl_session_load(session, state, clear_len);
	zt_wipe(state, clear_len);
	if (ret != 0) {
		return ret;
	}
	/* the ticket's age on this host's clock (Mbed TLS checks TLS 1.3 ticket ages with it) */
	session->MBEDTLS_PRIVATE(ticket_creation_time) =
		mbedtls_ms_time() - (now > issued ? now - issued : 0);
	zt_mbed_note_resume();
	return 0;
}

int zt_mbed_ticket_keys_set(const unsigned char (*keys)[ZT_TICKET_KEY_LEN], int n)
{
	if (n < 0 || n > ZT_TICKET_KEYS_MAX || (n > 0 && keys == NULL)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&ticket_lock);
	zt_wipe(file_keys, sizeof(file_keys));
	if (n > 0) {
		memcpy(file_keys, keys, (size_t)n * ZT_TICKET_KEY_LEN);
	}
	file_n = n;
	atomic_fetch_add(&file_gen, 1); /* every context takes the new keys at its next ticket */
	pthread_mutex_unlock(&ticket_lock);
	return 0;
}

/* Ticket keys for a security context: the existing set, or a new one. */
int zt_mbed_conf_tickets(struct zt_eng_conf *c)
{
	struct zt_tickets *t;

	pthread_mutex_lock(&ticket_lock);
	for (t = ticket_sets; t != NULL; t = t->next) {
		if (memcmp(t->fp, c->sec_fp, ZT_CTX_FP_LEN) == 0) {
			break;
		}
	}
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL || pthread_rwlock_init(&t->rw, NULL) != 0) {
			free(t);
			pthread_mutex_unlock(&ticket_lock);
			return -ENOMEM;
		}
		memcpy(t->fp, c->sec_fp, ZT_CTX_FP_LEN);
		t->next = ticket_sets;
		ticket_sets = t; /* keys are made at the first ticket (keys_use) */
	}
	t->refs++;
	pthread_mutex_unlock(&ticket_lock);
	c->tickets = t;
	mbedtls_ssl_conf_session_tickets_cb(&c->ssl, ticket_write, ticket_parse, t);
	return 0;
}

void zt_mbed_tickets_put(struct zt_tickets *t)
{
	if (t == NULL) {
		return;
	}
	pthread_mutex_lock(&ticket_lock);
	if (--t->refs > 0) {
		pthread_mutex_unlock(&ticket_lock);
		return;
	}
	for (struct zt_tickets **pp = &ticket_sets; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&ticket_lock);
	while (t->n > 0) {
		key_drop(&t->keys[--t->n]);
	}
	pthread_rwlock_destroy(&t->rw);
	free(t);
}
