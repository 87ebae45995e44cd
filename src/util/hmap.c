/*
 * Intrusive chained hash map (hmap.h). The bucket array doubles when the
 * load factor passes 1, so lookups stay O(1) on average whatever the
 * number of entries; SipHash (Aumasson and Bernstein, 2012) under a random
 * key keeps the average for keys an attacker picks. The map hashes with
 * SipHash-1-3 (one round per block, three to finish: the variant Rust's and
 * Python's hash tables use against flooding), which costs a DTLS server's
 * per-datagram address lookup two thirds of SipHash-2-4's rounds;
 * zt_siphash() stays SipHash-2-4 (src/cred/dir.c's checksums use it).
 */
#include "util/hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MIN_BUCKETS 16

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* one load; the bytes are read as little-endian */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void sip_block(struct sip *s, uint64_t m, int c)
{
	s->v3 ^= m;
	for (int i = 0; i < c; i++) {
		sip_round(s);
	}
	s->v0 ^= m;
}

/* SipHash-c-d: c rounds per 8-byte block, d to finish. */
static inline uint64_t siphash_cd(uint64_t k0, uint64_t k1, const void *data, size_t len, int c,
				  int d)
{
	const unsigned char *p = data;
	struct sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ULL,
		.v1 = k1 ^ 0x646f72616e646f6dULL,
		.v2 = k0 ^ 0x6c7967656e657261ULL,
		.v3 = k1 ^ 0x7465646279746573ULL,
	};
	unsigned char tail[8] = {0};
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8) {
		sip_block(&s, load_le64(p + i), c);
	}
	memcpy(tail, p + whole, len - whole);
	tail[7] = (unsigned char)len;
	sip_block(&s, load_le64(tail), c);
	s.v2 ^= 0xff;
	for (int i = 0; i < d; i++) {
		sip_round(&s);
	}
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t zt_siphash(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	return siphash_cd(k0, k1, data, len, 2, 4);
}

uint64_t zt_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	return siphash_cd(k0, k1, data, len, 1, 3);
}

int zt_hmap_init(struct zt_hmap *m)
{
	uint64_t k[2];

	memset(m, 0, sizeof(*m));
	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
		return errno ? -errno : -EIO;
	}
	m->k0 = k[0];
	m->k1 = k[1];
	return 0;
}

void zt_hmap_free(struct zt_hmap *m)
{
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
}

static int grow(struct zt_hmap *m)
{
	size_t nb = m->nbuckets ? m->nbuckets * 2 : MIN_BUCKETS;
	struct zt_hnode **b = calloc(nb, sizeof(*b));

	if (b == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct zt_hnode *n = m->buckets[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
	return 0;
}

int zt_hmap_insert(struct zt_hmap *m, struct zt_hnode *n, const void *key, size_t len)
{
	size_t i;

	if ((m->count >= m->nbuckets) && grow(m) < 0 && m->nbuckets == 0) {
		return -ENOMEM; /* a full table still takes entries, in longer chains */
	}
	n->key = key;
	n->key_len = len;
	n->hash = zt_siphash13(m->k0, m->k1, key, len);
	i = n->hash & (m->nbuckets - 1);
	n->next = m->buckets[i];
	m->buckets[i] = n;
	m->count++;
	return 0;
}

void zt_hmap_remove(struct zt_hmap *m, struct zt_hnode *n)
{
	if (m->nbuckets == 0) {
		return;
	}
	for (struct zt_hnode **pp = &m->buckets[n->hash & (m->nbuckets - 1)]; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			m->count--;
			return;
		}
	}
}

struct zt_hnode *zt_hmap_find(const struct zt_hmap *m, const void *key, size_t len)
{
	uint64_t h;

	if (m->count == 0) {
		return NULL;
	}
	h = zt_siphash13(m->k0, m->k1, key, len);
	for (struct zt_hnode *n = m->buckets[h & (m->nbuckets - 1)]; n != NULL; n = n->next) {
		if (n->hash == h && n->key_len == len && memcmp(n->key, key, len) == 0) {
			return n;
		}
	}
	return NULL;
}
