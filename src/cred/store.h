/*
 * Internal view of the credential store (src/cred/store.c): iteration over a
 * tag's credentials under the store's read lock, for option validation and
 * for loading credentials into the engine at handshake time.
 */
#ifndef ZT_CRED_STORE_H
#define ZT_CRED_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <zephyr/net/tls_credentials.h>

/** Called once per credential; a negative return stops the walk and is returned. */
typedef int (*zt_cred_fn)(void *arg, sec_tag_t tag, enum tls_credential_type type, const void *buf,
			  size_t len);

/**
 * Call @p fn for every credential of @p tag (in type order), holding the
 * store's read lock, so @p buf stays valid during the call.
 *
 * @return number of credentials visited (0: the tag is empty), or the first
 *         negative value @p fn returned.
 */
int zt_cred_foreach(sec_tag_t tag, zt_cred_fn fn, void *arg);

/** One credential of a tag list (zt_cred_with_tags), valid while the callback runs. */
struct zt_cred_item {
	int tag_index; /* position of its tag in the list */
	enum tls_credential_type type;
	const void *buf;
	size_t len;
};

typedef int (*zt_cred_list_fn)(void *arg, const struct zt_cred_item *items, int n);

/**
 * Call @p fn once with every credential of every tag in @p tags (tag by tag,
 * each in type order), holding the store's read lock.
 * @return what @p fn returned, -ENOENT if a tag holds no credential, -ENOMEM.
 */
int zt_cred_with_tags(const sec_tag_t *tags, int ntags, zt_cred_list_fn fn, void *arg);

/**
 * Call @p fn with the bytes of (@p tag, @p type) under the read lock.
 * @return what @p fn returned, or -ENOENT.
 */
int zt_cred_with(sec_tag_t tag, enum tls_credential_type type,
		 int (*fn)(void *arg, const void *buf, size_t len), void *arg);

/* ---- the in-memory table (store.c); entry points check arguments (api.c) ---- */

/** Copy in (tag, type); -EEXIST unless @p replace, -ENOMEM when full. */
int zt_store_add(sec_tag_t tag, enum tls_credential_type type, const void *cred, size_t credlen,
		 bool replace);

/** 0 if (tag, type) could be added now, -EEXIST or -ENOMEM. */
int zt_store_room(sec_tag_t tag, enum tls_credential_type type);

/** tls_credential_get() semantics; arguments already checked. */
int zt_store_get(sec_tag_t tag, enum tls_credential_type type, void *cred, size_t *credlen);

/** Remove and wipe; -ENOENT if missing. */
int zt_store_delete(sec_tag_t tag, enum tls_credential_type type);

/** Remove and wipe every credential. */
void zt_store_clear(void);

typedef int (*zt_store_list_fn)(void *arg, sec_tag_t tag, enum tls_credential_type type,
				size_t len);

/** @p fn for every credential in (tag, type) order, under the read lock. Count or fn's < 0. */
int zt_store_list(zt_store_list_fn fn, void *arg);

/**
 * Load SECSOCK_CRED_DIR the first time anything asks for credentials
 * (api.c); every path into the store that does not pass through a
 * tls_credential_* entry point calls it first.
 */
void zt_cred_ready(void);

/** Counter bumped by every add and delete; lets parsed credentials be cached. */
uint64_t zt_cred_generation(void);

typedef void (*zt_cred_hook)(void);

/**
 * Call @p fn after every credential that is deleted or replaced, outside
 * the store's lock: whoever caches parsed credentials drops them (one hook).
 */
void zt_cred_on_delete(zt_cred_hook fn);

#endif /* ZT_CRED_STORE_H */
