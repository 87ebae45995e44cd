/*
 * src/util/hmap.c: SipHash-2-4 against the reference vector of Aumasson and
 * Bernstein's paper (src/cred/dir.c's checksums depend on it), SipHash-1-3
 * (the map's hash) keyed and distinct from it, and the map itself through
 * growth, removal and equal-hash chains.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/hmap.h"

struct ent {
	struct zt_hnode node;
	unsigned char key[7];
};

TEST(test_siphash24_reference_vector)
{
	unsigned char m[15];

	for (int i = 0; i < 15; i++) {
		m[i] = (unsigned char)i;
	}
	/* key 00..0f, message 00..0e: SipHash paper, appendix A */
	EXPECT_EQ(zt_siphash(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, sizeof(m)),
		  0xa129ca6149be45e5ULL);
}

TEST(test_siphash13_keyed_and_not_24)
{
	static const unsigned char a[7] = {2, 0x12, 0x34, 127, 0, 0, 1};
	uint64_t h = zt_siphash13(1, 2, a, sizeof(a));

	EXPECT_EQ(zt_siphash13(1, 2, a, sizeof(a)), h);
	EXPECT_TRUE(zt_siphash13(1, 3, a, sizeof(a)) != h);
	EXPECT_TRUE(zt_siphash13(1, 2, a, sizeof(a) - 1) != h);
	EXPECT_TRUE(zt_siphash(1, 2, a, sizeof(a)) != h);
}

TEST(test_hmap_insert_find_remove_10000)
{
	enum {
		N = 10000
	};
	struct ent *e = calloc(N, sizeof(*e));
	struct zt_hmap m;
	int found = 0, gone = 0;

	ASSERT_TRUE(e != NULL);
	ASSERT_TRUE(zt_hmap_init(&m) == 0);
	for (int i = 0; i < N; i++) {
		e[i].key[0] = 2;
		e[i].key[1] = (unsigned char)(i >> 8);
		e[i].key[2] = (unsigned char)i;
		EXPECT_EQ(zt_hmap_insert(&m, &e[i].node, e[i].key, sizeof(e[i].key)), 0);
	}
	EXPECT_EQ(m.count, (size_t)N);
	EXPECT_TRUE(m.nbuckets >= (size_t)N);
	for (int i = 0; i < N; i++) {
		found += zt_hmap_find(&m, e[i].key, sizeof(e[i].key)) == &e[i].node;
	}
	EXPECT_EQ(found, N);
	for (int i = 0; i < N; i += 2) {
		zt_hmap_remove(&m, &e[i].node);
	}
	found = 0;
	for (int i = 0; i < N; i++) {
		struct zt_hnode *n = zt_hmap_find(&m, e[i].key, sizeof(e[i].key));

		gone += (i % 2 == 0) && n == NULL;
		found += (i % 2 == 1) && n == &e[i].node;
	}
	EXPECT_EQ(gone, N / 2);
	EXPECT_EQ(found, N / 2);
	EXPECT_EQ(m.count, (size_t)N / 2);
	/* a key of another length with the same prefix is another key */
	EXPECT_TRUE(zt_hmap_find(&m, e[1].key, sizeof(e[1].key) - 1) == NULL);
	zt_hmap_free(&m);
	free(e);
}
