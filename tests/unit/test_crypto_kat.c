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
 *
 * ECDSA and ECDH: RFC 6979 A.2.5 (P-256, SHA-256, "sample"), RFC 5903 8.1
 * (P-256 ECDH) and RFC 7748 6.1 (X25519), through the ecdsa/ecdh modules and
 * PSA. Signatures the accelerated build makes are checked independently with
 * Mbed TLS's own point arithmetic (mbedtls_ecp_muladd, not replaced).
 */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/cipher.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
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
	K_CP_STREAM,
	K_SIGN,
	K_VERIFY,
	K_GEN,
	K_SHARED
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

/* ---- ECDSA (P-256) and ECDH (P-256, X25519) ---- */

#define P256_D  "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"
#define P256_QX "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
#define P256_QY "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
#define R6979_R "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define R6979_S "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"

/* Our test RNG: never used for secrets, only where an API wants one. */
static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return psa_generate_random(out, len) == PSA_SUCCESS ? 0 : -1;
}

static void sha256_of(const char *msg, unsigned char h[32])
{
	ASSERT_TRUE(mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
			       (const unsigned char *)msg, strlen(msg), h) == 0);
}

/* The RFC 6979 key pair as an ECDSA context. */
static int p256_key(mbedtls_ecdsa_context *k)
{
	mbedtls_ecdsa_init(k);
	return mbedtls_ecp_group_load(&k->MBEDTLS_PRIVATE(grp), MBEDTLS_ECP_DP_SECP256R1) ||
	       mbedtls_mpi_read_string(&k->MBEDTLS_PRIVATE(d), 16, P256_D) ||
	       mbedtls_mpi_read_string(&k->MBEDTLS_PRIVATE(Q).MBEDTLS_PRIVATE(X), 16, P256_QX) ||
	       mbedtls_mpi_read_string(&k->MBEDTLS_PRIVATE(Q).MBEDTLS_PRIVATE(Y), 16, P256_QY) ||
	       mbedtls_mpi_lset(&k->MBEDTLS_PRIVATE(Q).MBEDTLS_PRIVATE(Z), 1);
}

/* ECDSA verification with Mbed TLS's point arithmetic: x(u1 G + u2 Q) mod n == r. */
static int ecp_verify(mbedtls_ecp_group *g, const unsigned char *h, size_t hlen,
		      const mbedtls_ecp_point *Q, const mbedtls_mpi *r, const mbedtls_mpi *s)
{
	mbedtls_mpi e, w, u1, u2, x;
	mbedtls_ecp_point R;
	const mbedtls_mpi *n = &g->N;
	int ok = 0;

	mbedtls_mpi_init(&e), mbedtls_mpi_init(&w), mbedtls_mpi_init(&u1);
	mbedtls_mpi_init(&u2), mbedtls_mpi_init(&x), mbedtls_ecp_point_init(&R);
	if (mbedtls_mpi_cmp_int(r, 1) >= 0 && mbedtls_mpi_cmp_mpi(r, n) < 0 &&
	    mbedtls_mpi_cmp_int(s, 1) >= 0 && mbedtls_mpi_cmp_mpi(s, n) < 0 &&
	    mbedtls_mpi_read_binary(&e, h, hlen) == 0 && mbedtls_mpi_inv_mod(&w, s, n) == 0 &&
	    mbedtls_mpi_mul_mpi(&u1, &e, &w) == 0 && mbedtls_mpi_mod_mpi(&u1, &u1, n) == 0 &&
	    mbedtls_mpi_mul_mpi(&u2, r, &w) == 0 && mbedtls_mpi_mod_mpi(&u2, &u2, n) == 0 &&
	    mbedtls_ecp_muladd(g, &R, &u1, &g->G, &u2, Q) == 0 &&
	    mbedtls_mpi_mod_mpi(&x, &R.MBEDTLS_PRIVATE(X), n) == 0) {
		ok = mbedtls_mpi_cmp_mpi(&x, r) == 0;
	}
	mbedtls_mpi_free(&e), mbedtls_mpi_free(&w), mbedtls_mpi_free(&u1);
	mbedtls_mpi_free(&u2), mbedtls_mpi_free(&x), mbedtls_ecp_point_free(&R);
	return ok;
}

TEST(ecdsa_p256)
{
	mbedtls_ecdsa_context k;
	mbedtls_mpi r, s;
	unsigned char h[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t slen = 0;
	unsigned long sign0 = accel_count(K_SIGN), verify0 = accel_count(K_VERIFY);

	ASSERT_TRUE(psa_crypto_init() == PSA_SUCCESS); /* test_rng */
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ASSERT_TRUE(p256_key(&k) == 0);
	sha256_of("sample", h);
	/* verification: the RFC's signature, and the same with the message or r changed */
	ASSERT_TRUE(mbedtls_mpi_read_string(&r, 16, R6979_R) == 0);
	ASSERT_TRUE(mbedtls_mpi_read_string(&s, 16, R6979_S) == 0);
	EXPECT_EQ(
		mbedtls_ecdsa_verify(&k.MBEDTLS_PRIVATE(grp), h, 32, &k.MBEDTLS_PRIVATE(Q), &r, &s),
		0);
	h[0] ^= 1;
	EXPECT_EQ(
		mbedtls_ecdsa_verify(&k.MBEDTLS_PRIVATE(grp), h, 32, &k.MBEDTLS_PRIVATE(Q), &r, &s),
		MBEDTLS_ERR_ECP_VERIFY_FAILED);
	h[0] ^= 1;
	EXPECT_EQ(mbedtls_mpi_add_int(&r, &r, 1), 0);
	EXPECT_EQ(
		mbedtls_ecdsa_verify(&k.MBEDTLS_PRIVATE(grp), h, 32, &k.MBEDTLS_PRIVATE(Q), &r, &s),
		MBEDTLS_ERR_ECP_VERIFY_FAILED);
	/* signing as the pk layer does (deterministic ECDSA in Mbed TLS's own code) */
	EXPECT_EQ(mbedtls_ecdsa_write_signature(&k, MBEDTLS_MD_SHA256, h, 32, sig, sizeof(sig),
						&slen, test_rng, NULL),
		  0);
	EXPECT_EQ(mbedtls_ecdsa_read_signature(&k, h, 32, sig, slen), 0);
	sig[slen - 1] ^= 1;
	EXPECT_TRUE(mbedtls_ecdsa_read_signature(&k, h, 32, sig, slen) != 0);
	/* the signer's raw (r, s), checked by Mbed TLS's point arithmetic */
	EXPECT_EQ(mbedtls_ecdsa_sign(&k.MBEDTLS_PRIVATE(grp), &r, &s, &k.MBEDTLS_PRIVATE(d), h, 32,
				     test_rng, NULL),
		  0);
	EXPECT_TRUE(ecp_verify(&k.MBEDTLS_PRIVATE(grp), h, 32, &k.MBEDTLS_PRIVATE(Q), &r, &s));
#if !defined(MBEDTLS_ECDSA_SIGN_ALT)
	/* Mbed TLS's own deterministic signer gives RFC 6979's (r, s) */
	EXPECT_EQ(mbedtls_ecdsa_sign_det_ext(&k.MBEDTLS_PRIVATE(grp), &r, &s, &k.MBEDTLS_PRIVATE(d),
					     h, 32, MBEDTLS_MD_SHA256, test_rng, NULL),
		  0);
	{
		mbedtls_mpi want;

		mbedtls_mpi_init(&want);
		EXPECT_EQ(mbedtls_mpi_read_string(&want, 16, R6979_R), 0);
		EXPECT_EQ(mbedtls_mpi_cmp_mpi(&r, &want), 0);
		EXPECT_EQ(mbedtls_mpi_read_string(&want, 16, R6979_S), 0);
		EXPECT_EQ(mbedtls_mpi_cmp_mpi(&s, &want), 0);
		mbedtls_mpi_free(&want);
	}
#else
	/* libcrypto's nonce: valid, checked independently above, not RFC 6979's */
	EXPECT_EQ(mbedtls_ecdsa_sign_det_ext(&k.MBEDTLS_PRIVATE(grp), &r, &s, &k.MBEDTLS_PRIVATE(d),
					     h, 32, MBEDTLS_MD_SHA256, test_rng, NULL),
		  0);
	EXPECT_TRUE(ecp_verify(&k.MBEDTLS_PRIVATE(grp), h, 32, &k.MBEDTLS_PRIVATE(Q), &r, &s));
#endif
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecdsa_free(&k);
	expect_counted("ECDSA P-256 sign", K_SIGN, sign0, 3);
	expect_counted("ECDSA P-256 verify", K_VERIFY, verify0, 2);
}

TEST(psa_ecdsa_p256)
{
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t key = 0;
	unsigned char d[32], h[32], sig[64];
	size_t slen = 0;
	psa_algorithm_t alg = PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256);

	ASSERT_TRUE(psa_crypto_init() == PSA_SUCCESS);
	unhex(P256_D, d, sizeof(d));
	sha256_of("sample", h);
	psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&a, 256);
	psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
	psa_set_key_algorithm(&a, alg);
	ASSERT_TRUE(psa_import_key(&a, d, sizeof(d), &key) == PSA_SUCCESS);
	unhex(R6979_R R6979_S, sig, sizeof(sig));
	EXPECT_EQ(psa_verify_hash(key, alg, h, 32, sig, 64), PSA_SUCCESS);
	sig[10] ^= 1;
	EXPECT_EQ(psa_verify_hash(key, alg, h, 32, sig, 64), PSA_ERROR_INVALID_SIGNATURE);
	EXPECT_EQ(psa_sign_hash(key, alg, h, 32, sig, sizeof(sig), &slen), PSA_SUCCESS);
	EXPECT_EQ(slen, 64);
	EXPECT_EQ(psa_verify_hash(key, alg, h, 32, sig, 64), PSA_SUCCESS);
	psa_destroy_key(key);
}

/* Shared secret of private @p d (hex) and peer point @p q (hex, SEC1 or RFC 7748 bytes). */
static void ecdh_kat(mbedtls_ecp_group_id id, const char *d_hex, const char *q_hex,
		     const char *z_hex)
{
	mbedtls_ecp_keypair mine;
	mbedtls_ecp_point Q;
	mbedtls_mpi z;
	unsigned char d[32], q[65], zb[32], want[32];
	size_t dlen = unhex(d_hex, d, sizeof(d)), qlen = unhex(q_hex, q, sizeof(q));
	int mont = id == MBEDTLS_ECP_DP_CURVE25519;

	mbedtls_ecp_keypair_init(&mine);
	mbedtls_ecp_point_init(&Q);
	mbedtls_mpi_init(&z);
	unhex(z_hex, want, sizeof(want));
	ASSERT_TRUE(mbedtls_ecp_read_key(id, &mine, d, dlen) == 0);
	ASSERT_TRUE(mbedtls_ecp_point_read_binary(&mine.MBEDTLS_PRIVATE(grp), &Q, q, qlen) == 0);
	EXPECT_EQ(mbedtls_ecdh_compute_shared(&mine.MBEDTLS_PRIVATE(grp), &z, &Q,
					      &mine.MBEDTLS_PRIVATE(d), test_rng, NULL),
		  0);
	EXPECT_EQ(mont ? mbedtls_mpi_write_binary_le(&z, zb, 32)
		       : mbedtls_mpi_write_binary(&z, zb, 32),
		  0);
	EXPECT_TRUE(memcmp(zb, want, 32) == 0);
	mbedtls_ecp_keypair_free(&mine);
	mbedtls_ecp_point_free(&Q);
	mbedtls_mpi_free(&z);
}

/* Two fresh key pairs agree, and each public key is d·G by Mbed TLS's own arithmetic. */
static void ecdh_pair(mbedtls_ecp_group_id id)
{
	mbedtls_ecp_group g;
	mbedtls_mpi da, db, za, zb;
	mbedtls_ecp_point qa, qb, check;

	mbedtls_ecp_group_init(&g);
	mbedtls_mpi_init(&da), mbedtls_mpi_init(&db), mbedtls_mpi_init(&za), mbedtls_mpi_init(&zb);
	mbedtls_ecp_point_init(&qa), mbedtls_ecp_point_init(&qb), mbedtls_ecp_point_init(&check);
	ASSERT_TRUE(mbedtls_ecp_group_load(&g, id) == 0);
	EXPECT_EQ(mbedtls_ecdh_gen_public(&g, &da, &qa, test_rng, NULL), 0);
	EXPECT_EQ(mbedtls_ecdh_gen_public(&g, &db, &qb, test_rng, NULL), 0);
	EXPECT_EQ(mbedtls_ecp_check_privkey(&g, &da), 0);
	EXPECT_EQ(mbedtls_ecp_check_pubkey(&g, &qa), 0);
	EXPECT_EQ(mbedtls_ecp_mul(&g, &check, &da, &g.G, test_rng, NULL), 0);
	EXPECT_EQ(mbedtls_ecp_point_cmp(&check, &qa), 0);
	EXPECT_EQ(mbedtls_ecdh_compute_shared(&g, &za, &qb, &da, test_rng, NULL), 0);
	EXPECT_EQ(mbedtls_ecdh_compute_shared(&g, &zb, &qa, &db, test_rng, NULL), 0);
	EXPECT_EQ(mbedtls_mpi_cmp_mpi(&za, &zb), 0);
	EXPECT_TRUE(mbedtls_mpi_cmp_int(&za, 0) != 0);
	mbedtls_ecp_group_free(&g);
	mbedtls_mpi_free(&da), mbedtls_mpi_free(&db), mbedtls_mpi_free(&za), mbedtls_mpi_free(&zb);
	mbedtls_ecp_point_free(&qa), mbedtls_ecp_point_free(&qb), mbedtls_ecp_point_free(&check);
}

TEST(ecdh_p256_x25519)
{
	unsigned long gen0 = accel_count(K_GEN), shared0 = accel_count(K_SHARED);

	ASSERT_TRUE(psa_crypto_init() == PSA_SUCCESS); /* test_rng */

	/* RFC 5903 8.1: i with g^r */
	ecdh_kat(MBEDTLS_ECP_DP_SECP256R1,
		 "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
		 "04D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
		 "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
		 "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
	/* RFC 7748 6.1: Alice's private key with Bob's public key */
	ecdh_kat(MBEDTLS_ECP_DP_CURVE25519,
		 "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		 "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		 "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ecdh_pair(MBEDTLS_ECP_DP_SECP256R1);
	ecdh_pair(MBEDTLS_ECP_DP_CURVE25519);
	ecdh_pair(MBEDTLS_ECP_DP_SECP384R1);
	expect_counted("ECDH key generation", K_GEN, gen0, 6);
	expect_counted("ECDH shared secret", K_SHARED, shared0, 8);
}

/* PSA key agreement (TLS 1.3): RFC 7748 6.1 through psa_raw_key_agreement */
TEST(psa_x25519)
{
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t key = 0;
	unsigned char d[32], peer[32], z[32], want[32];
	size_t zlen = 0;

	ASSERT_TRUE(psa_crypto_init() == PSA_SUCCESS);
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", d, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", peer, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", want, 32);
	psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY));
	psa_set_key_bits(&a, 255);
	psa_set_key_usage_flags(&a, PSA_KEY_USAGE_DERIVE);
	psa_set_key_algorithm(&a, PSA_ALG_ECDH);
	ASSERT_TRUE(psa_import_key(&a, d, 32, &key) == PSA_SUCCESS);
	EXPECT_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, key, peer, 32, z, sizeof(z), &zlen),
		  PSA_SUCCESS);
	EXPECT_TRUE(zlen == 32 && memcmp(z, want, 32) == 0);
	psa_destroy_key(key);
}

/* ---- the build says which implementation ran ---- */

TEST(accelerated_build_routes_to_adapter)
{
#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)
	printf("adapter: %s; counts: gcm %lu/%lu chachapoly %lu/%lu ecdsa %lu/%lu ecdh %lu/%lu\n",
	       zt_accel_info(), zt_accel_count(ZT_ACCEL_GCM_ONESHOT),
	       zt_accel_count(ZT_ACCEL_GCM_STREAM), zt_accel_count(ZT_ACCEL_CHACHAPOLY_ONESHOT),
	       zt_accel_count(ZT_ACCEL_CHACHAPOLY_STREAM), zt_accel_count(ZT_ACCEL_ECDSA_SIGN),
	       zt_accel_count(ZT_ACCEL_ECDSA_VERIFY), zt_accel_count(ZT_ACCEL_ECDH_GEN),
	       zt_accel_count(ZT_ACCEL_ECDH_SHARED));
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
	SKIP("default build: Mbed TLS's own crypto (no adapter)");
#endif
}
