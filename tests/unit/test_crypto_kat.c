/*
 * Known-answer tests of the AEADs the TLS record layers use, through every
 * Mbed TLS API that reaches them: the GCM and ChaCha20-Poly1305 modules
 * (one-shot and streaming), the cipher layer (TLS 1.2 records) and PSA (TLS
 * 1.3 records, one-shot and multipart). The same cases run in the default
 * build (Mbed TLS's own code) and in the SECSOCK_CRYPTO_ACCEL=openssl build
 * (src/engine/mbedtls/accel/), where they also check that the adapter did
 * the work (docs/crypto-accel.md).
 *
 * Vectors: AES-GCM test cases 4, 6 and 16 of McGrew and Viega, "The
 * Galois/Counter Mode of Operation" (the NIST submission), and RFC 8439
 * section 2.8.2 for ChaCha20-Poly1305.
 */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/cipher.h>
#include <mbedtls/gcm.h>
#include <psa/crypto.h>

#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
#include <mbedtls/secsock_accel.h>
#endif

struct kat {
	const char *name;
	int chacha; /* 0: AES-GCM */
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

static const char gcm_pt[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char gcm_aad[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

static const struct kat kats[] = {
	{"AES-128-GCM (GCM test case 4)", 0, "feffe9928665731c6d6a8f9467308308",
	 "cafebabefacedbaddecaf888", gcm_aad, gcm_pt,
	 "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	 "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	 "5bc94fbc3221a5db94fae95ae7121a47"},
	{"AES-128-GCM, 60-byte IV (GCM test case 6)", 0, "feffe9928665731c6d6a8f9467308308",
	 "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
	 "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
	 gcm_aad, gcm_pt,
	 "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
	 "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
	 "619cc5aefffe0bfa462af43c1699d050"},
	{"AES-256-GCM (GCM test case 16)", 0,
	 "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	 "cafebabefacedbaddecaf888", gcm_aad, gcm_pt,
	 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	 "76fc6ece0f4e1768cddf8853bb2d551b"},
	{"ChaCha20-Poly1305 (RFC 8439 2.8.2)", 1,
	 "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	 "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	 /* "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for
	    the future, sunscreen would be it." */
	 "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	 "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	 "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	 "637265656e20776f756c642062652069742e",
	 "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	 "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	 "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	 "3ff4def08e4b7a9de576d26586cec64b6116",
	 "1ae10b594f09e26a7e902ecbd0600691"},
};
#define N_KATS (sizeof(kats) / sizeof(kats[0]))

/* A vector's fields, decoded. */
struct vec {
	unsigned char key[32], iv[64], aad[32], pt[128], ct[128], tag[16];
	size_t key_len, iv_len, aad_len, len;
};

static size_t unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	if (n > cap) {
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(s + 2 * i, "%2x", &b);
		out[i] = (unsigned char)b;
	}
	return n;
}

static void decode(const struct kat *k, struct vec *v)
{
	memset(v, 0, sizeof(*v));
	v->key_len = unhex(k->key, v->key, sizeof(v->key));
	v->iv_len = unhex(k->iv, v->iv, sizeof(v->iv));
	v->aad_len = unhex(k->aad, v->aad, sizeof(v->aad));
	v->len = unhex(k->pt, v->pt, sizeof(v->pt));
	if (unhex(k->ct, v->ct, sizeof(v->ct)) != v->len || unhex(k->tag, v->tag, 16) != 16) {
		abort();
	}
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return 0;
		}
	}
	return 1;
}

/* counters of the accelerated build; always 0 otherwise */
static unsigned long accel_count(int kind)
{
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	return zt_accel_count(kind);
#else
	(void)kind;
	return 0;
#endif
}

enum {
	K_GCM_ONE,
	K_GCM_STREAM,
	K_CP_ONE,
	K_CP_STREAM
};

/* In the accelerated build, @p kind must have counted @p n more operations. */
static void expect_counted(const char *what, int kind, unsigned long before, unsigned long n)
{
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	unsigned long now = accel_count(kind);

	if (now - before < n) {
		th_fail(__FILE__, __LINE__, "%s: adapter counted %lu operations, expected %lu",
			what, now - before, n);
	}
#else
	(void)what, (void)kind, (void)before, (void)n;
#endif
}

/* ---- the modules' own APIs ---- */

TEST(gcm_module_one_shot)
{
	for (size_t i = 0; i < N_KATS; i++) {
		struct vec v;
		mbedtls_gcm_context g;
		unsigned char out[128], tag[16];
		unsigned long c0 = accel_count(K_GCM_ONE);

		if (kats[i].chacha) {
			continue;
		}
		decode(&kats[i], &v);
		printf("%s\n", kats[i].name);
		mbedtls_gcm_init(&g);
		EXPECT_EQ(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, v.key,
					     (unsigned)v.key_len * 8),
			  0);
		EXPECT_EQ(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, v.len, v.iv, v.iv_len,
						    v.aad, v.aad_len, v.pt, out, 16, tag),
			  0);
		EXPECT_TRUE(memcmp(out, v.ct, v.len) == 0);
		EXPECT_TRUE(memcmp(tag, v.tag, 16) == 0);
		/* decryption in place, full and truncated tag */
		memcpy(out, v.ct, v.len);
		EXPECT_EQ(mbedtls_gcm_auth_decrypt(&g, v.len, v.iv, v.iv_len, v.aad, v.aad_len,
						   v.tag, 16, out, out),
			  0);
		EXPECT_TRUE(memcmp(out, v.pt, v.len) == 0);
		EXPECT_EQ(mbedtls_gcm_auth_decrypt(&g, v.len, v.iv, v.iv_len, v.aad, v.aad_len,
						   v.tag, 8, v.ct, out),
			  0);
		EXPECT_TRUE(memcmp(out, v.pt, v.len) == 0);
		/* a short tag is the tag's prefix */
		EXPECT_EQ(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, v.len, v.iv, v.iv_len,
						    v.aad, v.aad_len, v.pt, out, 12, tag),
			  0);
		EXPECT_TRUE(memcmp(tag, v.tag, 12) == 0);
		/* a decryption that returns the tag */
		EXPECT_EQ(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_DECRYPT, v.len, v.iv, v.iv_len,
						    v.aad, v.aad_len, v.ct, out, 16, tag),
			  0);
		EXPECT_TRUE(memcmp(out, v.pt, v.len) == 0);
		EXPECT_TRUE(memcmp(tag, v.tag, 16) == 0);
		/* tampered tag, ciphertext, AD: refused, output wiped */
		for (int what = 0; what < 3; what++) {
			unsigned char t[16], c[128], a[32];

			memcpy(t, v.tag, 16);
			memcpy(c, v.ct, v.len);
			memcpy(a, v.aad, v.aad_len);
			(what == 0 ? t : what == 1 ? c : a)[3] ^= 0x40;
			memset(out, 0xa5, sizeof(out));
			EXPECT_EQ(mbedtls_gcm_auth_decrypt(&g, v.len, v.iv, v.iv_len, a, v.aad_len,
							   t, 16, c, out),
				  MBEDTLS_ERR_GCM_AUTH_FAILED);
			EXPECT_TRUE(all_zero(out, v.len));
		}
		/* the record layer's misuse cases */
		EXPECT_EQ(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, v.len, v.iv, 0, v.aad,
						    v.aad_len, v.pt, out, 16, tag),
			  MBEDTLS_ERR_GCM_BAD_INPUT);
		EXPECT_EQ(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, v.len, v.iv, v.iv_len,
						    v.aad, v.aad_len, v.pt, out, 3, tag),
			  MBEDTLS_ERR_GCM_BAD_INPUT);
		mbedtls_gcm_free(&g);
		/* 2 encryptions, 2 decryptions, 1 decryption with tag (streaming) */
		expect_counted(kats[i].name, K_GCM_ONE, c0, 4);
	}
}

/* Feed @p len bytes in the uneven pieces a streaming caller may use. */
static const size_t pieces[] = {1, 7, 16, 5, 32};

TEST(gcm_module_streaming)
{
	for (size_t i = 0; i < N_KATS; i++) {
		struct vec v;
		mbedtls_gcm_context g;
		unsigned char out[128], tag[16];
		unsigned long c0 = accel_count(K_GCM_STREAM);

		if (kats[i].chacha) {
			continue;
		}
		decode(&kats[i], &v);
		mbedtls_gcm_init(&g);
		EXPECT_EQ(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, v.key,
					     (unsigned)v.key_len * 8),
			  0);
		for (int mode = 0; mode < 2; mode++) {
			int m = mode == 0 ? MBEDTLS_GCM_ENCRYPT : MBEDTLS_GCM_DECRYPT;
			const unsigned char *in = mode == 0 ? v.pt : v.ct;
			const unsigned char *want = mode == 0 ? v.ct : v.pt;
			size_t off = 0, olen = 99;

			memset(out, 0, sizeof(out));
			EXPECT_EQ(mbedtls_gcm_starts(&g, m, v.iv, v.iv_len), 0);
			EXPECT_EQ(mbedtls_gcm_update_ad(&g, v.aad, 5), 0);
			EXPECT_EQ(mbedtls_gcm_update_ad(&g, v.aad + 5, v.aad_len - 5), 0);
			for (size_t p = 0; off < v.len; p++) {
				size_t n = pieces[p % 5];

				n = n > v.len - off ? v.len - off : n;
				EXPECT_EQ(mbedtls_gcm_update(&g, in + off, n, out + off, n, &olen),
					  0);
				EXPECT_EQ(olen, n);
				off += n;
			}
			EXPECT_EQ(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16), 0);
			EXPECT_EQ(olen, 0);
			EXPECT_TRUE(memcmp(out, want, v.len) == 0);
			EXPECT_TRUE(memcmp(tag, v.tag, 16) == 0);
		}
		/* output smaller than input */
		EXPECT_EQ(mbedtls_gcm_starts(&g, MBEDTLS_GCM_ENCRYPT, v.iv, v.iv_len), 0);
		{
			size_t olen;

			EXPECT_EQ(mbedtls_gcm_update(&g, v.pt, 16, out, 15, &olen),
				  MBEDTLS_ERR_GCM_BUFFER_TOO_SMALL);
		}
		mbedtls_gcm_free(&g);
		expect_counted(kats[i].name, K_GCM_STREAM, c0, 2);
	}
}

TEST(chachapoly_module)
{
	for (size_t i = 0; i < N_KATS; i++) {
		struct vec v;
		mbedtls_chachapoly_context c;
		unsigned char out[128], tag[16];
		unsigned long one0 = accel_count(K_CP_ONE), st0 = accel_count(K_CP_STREAM);

		if (!kats[i].chacha) {
			continue;
		}
		decode(&kats[i], &v);
		mbedtls_chachapoly_init(&c);
		EXPECT_EQ(mbedtls_chachapoly_setkey(&c, v.key), 0);
		EXPECT_EQ(mbedtls_chachapoly_encrypt_and_tag(&c, v.len, v.iv, v.aad, v.aad_len,
							     v.pt, out, tag),
			  0);
		EXPECT_TRUE(memcmp(out, v.ct, v.len) == 0);
		EXPECT_TRUE(memcmp(tag, v.tag, 16) == 0);
		memcpy(out, v.ct, v.len);
		EXPECT_EQ(mbedtls_chachapoly_auth_decrypt(&c, v.len, v.iv, v.aad, v.aad_len, v.tag,
							  out, out),
			  0);
		EXPECT_TRUE(memcmp(out, v.pt, v.len) == 0);
		for (int what = 0; what < 3; what++) {
			unsigned char t[16], ct[128], a[32];

			memcpy(t, v.tag, 16);
			memcpy(ct, v.ct, v.len);
			memcpy(a, v.aad, v.aad_len);
			(what == 0 ? t : what == 1 ? ct : a)[0] ^= 1;
			memset(out, 0xa5, sizeof(out));
			EXPECT_EQ(mbedtls_chachapoly_auth_decrypt(&c, v.len, v.iv, a, v.aad_len, t,
								  ct, out),
				  MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED);
			EXPECT_TRUE(all_zero(out, v.len));
		}
		/* streaming, both ways, uneven pieces */
		for (int mode = 0; mode < 2; mode++) {
			const unsigned char *in = mode == 0 ? v.pt : v.ct;
			const unsigned char *want = mode == 0 ? v.ct : v.pt;
			size_t off = 0;

			memset(out, 0, sizeof(out));
			EXPECT_EQ(mbedtls_chachapoly_starts(&c, v.iv,
							    mode == 0 ? MBEDTLS_CHACHAPOLY_ENCRYPT
								      : MBEDTLS_CHACHAPOLY_DECRYPT),
				  0);
			EXPECT_EQ(mbedtls_chachapoly_update_aad(&c, v.aad, 3), 0);
			EXPECT_EQ(mbedtls_chachapoly_update_aad(&c, v.aad + 3, v.aad_len - 3), 0);
			for (size_t p = 0; off < v.len; p++) {
				size_t n = pieces[p % 5];

				n = n > v.len - off ? v.len - off : n;
				EXPECT_EQ(mbedtls_chachapoly_update(&c, n, in + off, out + off), 0);
				off += n;
			}
			/* no AD once data went through */
			EXPECT_EQ(mbedtls_chachapoly_update_aad(&c, v.aad, 1),
				  MBEDTLS_ERR_CHACHAPOLY_BAD_STATE);
			EXPECT_EQ(mbedtls_chachapoly_finish(&c, tag), 0);
			EXPECT_TRUE(memcmp(out, want, v.len) == 0);
			EXPECT_TRUE(memcmp(tag, v.tag, 16) == 0);
		}
		mbedtls_chachapoly_free(&c);
		expect_counted(kats[i].name, K_CP_ONE, one0, 2);
		expect_counted(kats[i].name, K_CP_STREAM, st0, 2);
	}
}

/* ---- the cipher layer (TLS 1.2 records without MBEDTLS_USE_PSA_CRYPTO) ---- */

static mbedtls_cipher_type_t cipher_type(const struct kat *k, size_t key_len)
{
	if (k->chacha) {
		return MBEDTLS_CIPHER_CHACHA20_POLY1305;
	}
	return key_len == 16 ? MBEDTLS_CIPHER_AES_128_GCM : MBEDTLS_CIPHER_AES_256_GCM;
}

TEST(cipher_layer)
{
	for (size_t i = 0; i < N_KATS; i++) {
		struct vec v;
		mbedtls_cipher_context_t enc, dec;
		unsigned char out[144], back[128];
		size_t olen = 0;
		int kind = kats[i].chacha ? K_CP_ONE : K_GCM_ONE;
		unsigned long c0;

		decode(&kats[i], &v);
		if (v.iv_len != 12) {
			continue; /* TLS uses 12-byte IVs; the module test has the long one */
		}
		c0 = accel_count(kind);
		mbedtls_cipher_init(&enc);
		mbedtls_cipher_init(&dec);
		ASSERT_TRUE(mbedtls_cipher_setup(&enc, mbedtls_cipher_info_from_type(cipher_type(
							       &kats[i], v.key_len))) == 0);
		ASSERT_TRUE(mbedtls_cipher_setup(&dec, mbedtls_cipher_info_from_type(cipher_type(
							       &kats[i], v.key_len))) == 0);
		EXPECT_EQ(mbedtls_cipher_setkey(&enc, v.key, (int)v.key_len * 8, MBEDTLS_ENCRYPT),
			  0);
		EXPECT_EQ(mbedtls_cipher_setkey(&dec, v.key, (int)v.key_len * 8, MBEDTLS_DECRYPT),
			  0);
		EXPECT_EQ(mbedtls_cipher_auth_encrypt_ext(&enc, v.iv, v.iv_len, v.aad, v.aad_len,
							  v.pt, v.len, out, sizeof(out), &olen, 16),
			  0);
		EXPECT_EQ(olen, v.len + 16);
		EXPECT_TRUE(memcmp(out, v.ct, v.len) == 0);
		EXPECT_TRUE(memcmp(out + v.len, v.tag, 16) == 0);
		EXPECT_EQ(mbedtls_cipher_auth_decrypt_ext(&dec, v.iv, v.iv_len, v.aad, v.aad_len,
							  out, v.len + 16, back, sizeof(back),
							  &olen, 16),
			  0);
		EXPECT_EQ(olen, v.len);
		EXPECT_TRUE(memcmp(back, v.pt, v.len) == 0);
		out[v.len] ^= 0x80;
		EXPECT_EQ(mbedtls_cipher_auth_decrypt_ext(&dec, v.iv, v.iv_len, v.aad, v.aad_len,
							  out, v.len + 16, back, sizeof(back),
							  &olen, 16),
			  MBEDTLS_ERR_CIPHER_AUTH_FAILED);
		mbedtls_cipher_free(&enc);
		mbedtls_cipher_free(&dec);
		expect_counted(kats[i].name, kind, c0, 2);
	}
}

/* ---- PSA (TLS 1.3 records), one-shot and multipart ---- */

TEST(psa_aead)
{
	ASSERT_TRUE(psa_crypto_init() == PSA_SUCCESS);
	for (size_t i = 0; i < N_KATS; i++) {
		struct vec v;
		psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
		psa_key_id_t key = 0;
		psa_algorithm_t alg = kats[i].chacha ? PSA_ALG_CHACHA20_POLY1305 : PSA_ALG_GCM;
		unsigned char out[144], back[128];
		size_t olen = 0, n = 0;
		int one = kats[i].chacha ? K_CP_ONE : K_GCM_ONE;
		int stream = kats[i].chacha ? K_CP_STREAM : K_GCM_STREAM;
		unsigned long one0 = accel_count(one), st0 = accel_count(stream);

		decode(&kats[i], &v);
		if (v.iv_len != 12) {
			continue;
		}
		psa_set_key_type(&a, kats[i].chacha ? PSA_KEY_TYPE_CHACHA20 : PSA_KEY_TYPE_AES);
		psa_set_key_usage_flags(&a, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
		psa_set_key_algorithm(&a, alg);
		ASSERT_TRUE(psa_import_key(&a, v.key, v.key_len, &key) == PSA_SUCCESS);
		EXPECT_EQ(psa_aead_encrypt(key, alg, v.iv, v.iv_len, v.aad, v.aad_len, v.pt, v.len,
					   out, sizeof(out), &olen),
			  PSA_SUCCESS);
		EXPECT_EQ(olen, v.len + 16);
		EXPECT_TRUE(memcmp(out, v.ct, v.len) == 0);
		EXPECT_TRUE(memcmp(out + v.len, v.tag, 16) == 0);
		EXPECT_EQ(psa_aead_decrypt(key, alg, v.iv, v.iv_len, v.aad, v.aad_len, out,
					   v.len + 16, back, sizeof(back), &olen),
			  PSA_SUCCESS);
		EXPECT_TRUE(olen == v.len && memcmp(back, v.pt, v.len) == 0);
		out[1] ^= 1;
		EXPECT_EQ(psa_aead_decrypt(key, alg, v.iv, v.iv_len, v.aad, v.aad_len, out,
					   v.len + 16, back, sizeof(back), &olen),
			  PSA_ERROR_INVALID_SIGNATURE);
		out[1] ^= 1;
		/* multipart decryption and verification */
		{
			psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
			size_t done = 0;

			EXPECT_EQ(psa_aead_decrypt_setup(&op, key, alg), PSA_SUCCESS);
			EXPECT_EQ(psa_aead_set_nonce(&op, v.iv, v.iv_len), PSA_SUCCESS);
			EXPECT_EQ(psa_aead_update_ad(&op, v.aad, v.aad_len), PSA_SUCCESS);
			EXPECT_EQ(psa_aead_update(&op, v.ct, 20, back, sizeof(back), &n),
				  PSA_SUCCESS);
			done += n;
			EXPECT_EQ(psa_aead_update(&op, v.ct + 20, v.len - 20, back + done,
						  sizeof(back) - done, &n),
				  PSA_SUCCESS);
			done += n;
			EXPECT_EQ(psa_aead_verify(&op, back + done, sizeof(back) - done, &n, v.tag,
						  16),
				  PSA_SUCCESS);
			done += n;
			EXPECT_TRUE(done == v.len && memcmp(back, v.pt, v.len) == 0);
			psa_aead_abort(&op);
		}
		psa_destroy_key(key);
		expect_counted(kats[i].name, one, one0, 2);
		expect_counted(kats[i].name, stream, st0, 1);
	}
}

/* ---- the build says which implementation ran ---- */

TEST(accelerated_build_routes_to_adapter)
{
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	printf("adapter: %s; counts: gcm %lu/%lu chachapoly %lu/%lu\n", zt_accel_info(),
	       zt_accel_count(ZT_ACCEL_GCM_ONESHOT), zt_accel_count(ZT_ACCEL_GCM_STREAM),
	       zt_accel_count(ZT_ACCEL_CHACHAPOLY_ONESHOT),
	       zt_accel_count(ZT_ACCEL_CHACHAPOLY_STREAM));
	EXPECT_TRUE(strstr(zt_accel_info(), "OpenSSL") != NULL);
	EXPECT_EQ(zt_accel_count(-1), 0);
#else
	if (ZT_CRYPTO_ACCEL[0] != '\0') {
		th_fail(__FILE__, __LINE__,
			"configured with SECSOCK_CRYPTO_ACCEL=%s, but the Mbed TLS config has no "
			"adapter",
			ZT_CRYPTO_ACCEL);
		return;
	}
	SKIP("default build: AES-GCM and ChaCha20-Poly1305 are Mbed TLS's own (no adapter)");
#endif
}
