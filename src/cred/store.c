/*
 * The process-wide TLS credential store in memory (store.h): an array of
 * (tag, type) → heap copy kept sorted by tag then type, under one rwlock.
 * Lookups are binary searches; a tag's credentials sit side by side. The
 * entry points and the directory backend are in api.c.
 */
#include "cred/store.h"
#include "util/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifndef ZT_MAX_CREDENTIALS
#define ZT_MAX_CREDENTIALS 1024
#endif

struct cred {
	sec_tag_t tag;
	enum tls_credential_type type;
	void *buf;
	size_t len;
};

static struct cred creds[ZT_MAX_CREDENTIALS]; /* sorted by (tag, type) */
static size_t ncreds;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static _Atomic uint64_t generation;
static _Atomic(zt_cred_hook) delete_hook;

static int key_cmp(const struct cred *c, sec_tag_t tag, enum tls_credential_type type)
{
	if (c->tag != tag) {
		return c->tag < tag ? -1 : 1;
	}
	if (c->type != type) {
		return (int)c->type < (int)type ? -1 : 1;
	}
	return 0;
}

/* Index of the first entry not below (tag, type). Caller holds the lock. */
static size_t lower_bound(sec_tag_t tag, enum tls_credential_type type)
{
	size_t lo = 0;
	size_t hi = ncreds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(&creds[mid], tag, type) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* The entry of (tag, type), or NULL. Caller holds the lock. */
static struct cred *find(sec_tag_t tag, enum tls_credential_type type)
{
	size_t i = lower_bound(tag, type);

	return i < ncreds && key_cmp(&creds[i], tag, type) == 0 ? &creds[i] : NULL;
}

static void free_copy(void *buf, size_t len)
{
	zt_wipe(buf, len);
	free(buf);
}

static void changed(void)
{
	zt_cred_hook hook = atomic_load(&delete_hook);

	if (hook != NULL) {
		hook(); /* parsed copies in caches go too */
	}
}

/*
 * Arguments are checked by the entry points (api.c). With @p replace an
 * existing (tag, type) is overwritten in place and its old copy wiped.
 */
int zt_store_add(sec_tag_t tag, enum tls_credential_type type, const void *cred, size_t credlen,
		 bool replace)
{
	struct cred old = {0};
	void *copy;
	size_t i;
	int rc = -EIO;

	copy = malloc(credlen);
	if (copy == NULL) {
		return -ENOMEM;
	}
	memcpy(copy, cred, credlen);

	pthread_rwlock_wrlock(&lock);
	i = lower_bound(tag, type);
	/* docs/zephyr-behaviour.md §2: -EEXIST before -ENOMEM, as the volatile backend checks */
	if (i < ncreds && key_cmp(&creds[i], tag, type) == 0) {
		if (!replace) {
			rc = -EEXIST;
			goto out;
		}
		old = creds[i];
		creds[i].buf = copy;
		creds[i].len = credlen;
	} else {
		if (ncreds == ZT_MAX_CREDENTIALS) {
			rc = -ENOMEM;
			goto out;
		}
		memmove(&creds[i + 1], &creds[i], (ncreds - i) * sizeof(creds[0]));
		creds[i] = (struct cred){.tag = tag, .type = type, .buf = copy, .len = credlen};
		ncreds++;
	}
	atomic_fetch_add(&generation, 1);
	copy = NULL;
	rc = 0;
out:
	pthread_rwlock_unlock(&lock);
	if (copy != NULL) {
		free_copy(copy, credlen);
	}
	if (old.buf != NULL) {
		free_copy(old.buf, old.len);
		changed();
	}
	return rc;
}

int zt_store_room(sec_tag_t tag, enum tls_credential_type type)
{
	int rc;

	pthread_rwlock_rdlock(&lock);
	rc = find(tag, type) != NULL ? -EEXIST : ncreds == ZT_MAX_CREDENTIALS ? -ENOMEM : 0;
	pthread_rwlock_unlock(&lock);
	return rc;
}

/*
 * cred == NULL is allowed only with *credlen == 0, to ask for the size: the
 * answer is then -EFBIG with *credlen set (stored credentials are never
 * empty), or -ENOENT.
 */
int zt_store_get(sec_tag_t tag, enum tls_credential_type type, void *cred, size_t *credlen)
{
	const struct cred *c;
	int rc = 0;

	pthread_rwlock_rdlock(&lock);
	c = find(tag, type);
	if (c == NULL) {
		*credlen = 0; /* docs/zephyr-behaviour.md §2.1: volatile backend zeroes credlen */
		rc = -ENOENT;
	} else if (c->len > *credlen || cred == NULL) { /* cred == NULL: *credlen is 0 */
		*credlen = c->len;
		rc = -EFBIG;
	} else {
		memcpy(cred, c->buf, c->len);
		*credlen = c->len;
	}
	pthread_rwlock_unlock(&lock);
	return rc;
}

int zt_store_delete(sec_tag_t tag, enum tls_credential_type type)
{
	struct cred gone = {0};
	size_t i;

	pthread_rwlock_wrlock(&lock);
	i = lower_bound(tag, type);
	if (i < ncreds && key_cmp(&creds[i], tag, type) == 0) {
		gone = creds[i];
		memmove(&creds[i], &creds[i + 1], (ncreds - i - 1) * sizeof(creds[0]));
		ncreds--;
		creds[ncreds] = (struct cred){0};
		atomic_fetch_add(&generation, 1);
	}
	pthread_rwlock_unlock(&lock);
	if (gone.buf == NULL) {
		return -ENOENT;
	}
	/* unreachable from the table now: wipe outside the lock */
	free_copy(gone.buf, gone.len);
	changed();
	return 0;
}

void zt_store_clear(void)
{
	struct cred *gone;
	size_t n;

	gone = malloc(sizeof(*gone) * ZT_MAX_CREDENTIALS);
	pthread_rwlock_wrlock(&lock);
	n = ncreds;
	for (size_t i = 0; i < n; i++) {
		if (gone != NULL) {
			gone[i] = creds[i];
		} else {
			free_copy(creds[i].buf,
				  creds[i].len); /* under the lock: no memory to defer */
		}
		creds[i] = (struct cred){0};
	}
	ncreds = 0;
	atomic_fetch_add(&generation, 1);
	pthread_rwlock_unlock(&lock);
	for (size_t i = 0; gone != NULL && i < n; i++) {
		free_copy(gone[i].buf, gone[i].len);
	}
	free(gone);
	if (n > 0) {
		changed();
	}
}

int zt_store_list(zt_store_list_fn fn, void *arg)
{
	int rc = 0;

	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < ncreds; i++) {
		int r = fn(arg, creds[i].tag, creds[i].type, creds[i].len);

		if (r < 0) {
			rc = r;
			break;
		}
		rc++;
	}
	pthread_rwlock_unlock(&lock);
	return rc;
}

void zt_cred_on_delete(zt_cred_hook fn)
{
	atomic_store(&delete_hook, fn);
}

int zt_cred_with(sec_tag_t tag, enum tls_credential_type type,
		 int (*fn)(void *arg, const void *buf, size_t len), void *arg)
{
	const struct cred *c;
	int rc;

	pthread_rwlock_rdlock(&lock);
	c = find(tag, type);
	rc = c == NULL ? -ENOENT : fn(arg, c->buf, c->len);
	pthread_rwlock_unlock(&lock);
	return rc;
}

int zt_cred_with_tags(const sec_tag_t *tags, int ntags, zt_cred_list_fn fn, void *arg)
{
	struct zt_cred_item stack_items[32], *items = stack_items;
	int n = 0, cap = (int)ZT_ARRAY_SIZE(stack_items), rc = 0;

	pthread_rwlock_rdlock(&lock);
	for (int t = 0; t < ntags && rc == 0; t++) {
		size_t i = lower_bound(tags[t], TLS_CREDENTIAL_NONE);

		if (i >= ncreds || creds[i].tag != tags[t]) {
			rc = -ENOENT; /* a tag with no credential */
		}
		for (; rc == 0 && i < ncreds && creds[i].tag == tags[t]; i++) {
			if (n == cap) {
				struct zt_cred_item *more = malloc(sizeof(*more) * (size_t)cap * 2);

				if (more == NULL) {
					rc = -ENOMEM;
					break;
				}
				memcpy(more, items, sizeof(*items) * (size_t)n);
				if (items != stack_items) {
					free(items);
				}
				items = more;
				cap *= 2;
			}
			items[n++] = (struct zt_cred_item){
				.tag_index = t,
				.type = creds[i].type,
				.buf = creds[i].buf,
				.len = creds[i].len,
			};
		}
	}
	if (rc == 0) {
		rc = fn(arg, items, n);
	}
	pthread_rwlock_unlock(&lock);
	if (items != stack_items) {
		free(items);
	}
	return rc;
}

/*
 * @p fn runs under the read lock: it must not add or delete credentials.
 * A tag's entries are contiguous and in type order, starting at the lower
 * bound of (tag, TLS_CREDENTIAL_NONE).
 */
int zt_cred_foreach(sec_tag_t tag, zt_cred_fn fn, void *arg)
{
	int rc = 0;

	if (fn == NULL) {
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&lock);
	for (size_t i = lower_bound(tag, TLS_CREDENTIAL_NONE); i < ncreds && creds[i].tag == tag;
	     i++) {
		int r = fn(arg, tag, creds[i].type, creds[i].buf, creds[i].len);

		if (r < 0) {
			rc = r;
			break;
		}
		rc++;
	}
	pthread_rwlock_unlock(&lock);
	return rc;
}

/*
 * Bumped under the write lock. A cache should read it before walking the
 * store: a change racing with the walk then only costs one extra re-parse.
 */
uint64_t zt_cred_generation(void)
{
	return atomic_load(&generation);
}
