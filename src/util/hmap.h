/*
 * An intrusive hash map keyed by byte strings (peer addresses, DTLS
 * Connection IDs), for tables whose keys an attacker chooses: the hash is
 * SipHash-1-3 under a random per-map key, so colliding keys cannot be
 * precomputed. The map owns no memory but its bucket array; entries embed a
 * struct zt_hnode and must keep their key bytes alive while inserted.
 */
#ifndef ZT_HMAP_H
#define ZT_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct zt_hnode {
	struct zt_hnode *next;
	uint64_t hash;
	const void *key; /* points into the entry */
	size_t key_len;
};

struct zt_hmap {
	struct zt_hnode **buckets;
	size_t nbuckets; /* a power of two, or 0 before the first insert */
	size_t count;
	uint64_t k0, k1; /* SipHash key */
};

/** An empty map with a fresh random key. @retval 0, -errno (no randomness). */
int zt_hmap_init(struct zt_hmap *m);

/** Free the bucket array (entries are the caller's). */
void zt_hmap_free(struct zt_hmap *m);

/**
 * Insert @p n under key (@p key, @p len), which must stay valid while @p n is
 * in the map. Keys need not be unique (lookups return one of the equals).
 * @retval 0, -ENOMEM.
 */
int zt_hmap_insert(struct zt_hmap *m, struct zt_hnode *n, const void *key, size_t len);

/** Remove @p n if it is in the map. */
void zt_hmap_remove(struct zt_hmap *m, struct zt_hnode *n);

/** An entry with an equal key, or NULL. */
struct zt_hnode *zt_hmap_find(const struct zt_hmap *m, const void *key, size_t len);

/** SipHash-2-4 of @p len bytes under key (@p k0, @p k1). */
uint64_t zt_siphash(uint64_t k0, uint64_t k1, const void *data, size_t len);

/** SipHash-1-3 of @p len bytes under key (@p k0, @p k1): the map's hash. */
uint64_t zt_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len);

#endif /* ZT_HMAP_H */
