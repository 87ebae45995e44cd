/*
 * AES-GCM and ChaCha20-Poly1305 for Mbed TLS by OpenSSL libcrypto
 * (SECSOCK_CRYPTO_ACCEL=openssl, docs/crypto-accel.md).
 *
 * Built by tools/mbedtls.sh into the libmbedcrypto of an Mbed TLS variant
 * whose config defines MBEDTLS_GCM_ALT and MBEDTLS_CHACHAPOLY_ALT, so every
 * user of those modules gets it: the cipher layer (the TLS 1.2 record layer),
 * PSA's built-in AEAD driver (the TLS 1.3 record layer), and Mbed TLS's own
 * programs. The only file that includes OpenSSL.
 *
 * Each Mbed TLS context holds the key and two EVP_CIPHER_CTX, one encrypting,
 * one decrypting, each made and keyed on its first use after setkey. A one-shot decryption hands
 * the expected tag to libcrypto, which compares it. Mbed TLS's streaming API instead returns the
 * computed tag after a decryption too (its callers compare), which libcrypto gives only when
 * encrypting: a streaming decryption therefore decrypts with the decrypting context and runs the
 * plaintext through the encrypting one (same key, IV and AD), whose tag is the tag of the
 * ciphertext. That costs a second pass, on a path neither record layer uses.
 */
/* the contexts' fields are this file's, as Mbed TLS's own modules do */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "mbedtls/build_info.h"

#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)

#include "mbedtls/chachapoly.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ecdh.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/error.h"
#include "mbedtls/gcm.h"
#include "mbedtls/platform_util.h"

/* ECDSA_do_sign/verify and ECDH_compute_key on EC_KEY: deprecated in 3.0 but
 * the shortest path to libcrypto's P-256 assembly without provider lookups */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if !defined(MBEDTLS_GCM_ALT) || !defined(MBEDTLS_CHACHAPOLY_ALT)
#error "accel_openssl.c needs MBEDTLS_GCM_ALT and MBEDTLS_CHACHAPOLY_ALT"
#endif

/* adapter states of both context types */
enum {
	ST_NOKEY = 0,
	ST_KEYED,
	ST_AD,
	ST_DATA
};

#define AEAD_TAG_LEN 16
#define GCM_IV_MAX   128 /* libcrypto's GCM limit (1024 bits) */
#define CHUNK        (1 << 30)

static unsigned long counts[ZT_ACCEL_KINDS];

static void count(int kind)
{
	__atomic_fetch_add(&counts[kind], 1, __ATOMIC_RELAXED);
}

unsigned long zt_accel_count(int kind)
{
	if (kind < 0 || kind >= ZT_ACCEL_KINDS)
		return 0;
	return __atomic_load_n(&counts[kind], __ATOMIC_RELAXED);
}

const char *zt_accel_info(void)
{
	static __thread char line[96];

	snprintf(line, sizeof(line), "AES-GCM, ChaCha20-Poly1305, ECDH, ECDSA by OpenSSL %s",
		 OpenSSL_version(OPENSSL_VERSION_STRING));
	return line;
}

/* libcrypto failed for a reason that is not the caller's: drop its error queue. */
static int ossl_failed(void)
{
	ERR_clear_error();
	return MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
}

/*
 * The ciphers, fetched from the default provider once: an EVP_CIPHER_CTX
 * keyed with a fetched cipher skips libcrypto's implicit fetch, which PSA's
 * one-shot AEAD (a fresh context keyed for every TLS 1.3 record) would pay
 * per record.
 */
enum {
	C_AES128,
	C_AES192,
	C_AES256,
	C_CHACHA,
	C_N
};

static EVP_CIPHER *fetched[C_N];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	static const char *const names[C_N] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
					       "ChaCha20-Poly1305"};

	for (int i = 0; i < C_N; i++)
		fetched[i] = EVP_CIPHER_fetch(NULL, names[i], NULL);
	ERR_clear_error();
}

static const EVP_CIPHER *cipher_of(int c)
{
	pthread_once(&fetch_once, fetch_all);
	if (fetched[c] != NULL)
		return fetched[c];
	switch (c) {
	case C_AES128:
		return EVP_aes_128_gcm();
	case C_AES192:
		return EVP_aes_192_gcm();
	case C_AES256:
		return EVP_aes_256_gcm();
	default:
		return EVP_chacha20_poly1305();
	}
}

/*
 * Start the encrypting (@p enc 1) or decrypting (0) context @p *x of a pair on
 * @p iv. setkey only keeps the key: each context is made and keyed on its first
 * use, so an operation that needs one direction (every one-shot call) never
 * pays for the other. @p cur_len: the IV length @p *x is set to (GCM), or NULL.
 */
static int pair_start(void **x, unsigned char *keyed, int enc, int cipher, const unsigned char *key,
		      const unsigned char *iv, size_t iv_len, size_t *cur_len)
{
	unsigned char bit = enc ? 1 : 2;

	if (*x == NULL && (*x = EVP_CIPHER_CTX_new()) == NULL)
		return MBEDTLS_ERR_CIPHER_ALLOC_FAILED;
	if (!(*keyed & bit)) {
		int with_iv = cur_len == NULL || iv_len == 12; /* libcrypto's default length */

		if (EVP_CipherInit_ex(*x, cipher_of(cipher), NULL, key, with_iv ? iv : NULL, enc) !=
		    1)
			return ossl_failed();
		*keyed |= bit;
		if (cur_len != NULL)
			*cur_len = 12;
		if (with_iv)
			return 0;
	}
	if (cur_len != NULL && *cur_len != iv_len) {
		if (EVP_CIPHER_CTX_ctrl(*x, EVP_CTRL_AEAD_SET_IVLEN, (int)iv_len, NULL) != 1)
			return ossl_failed();
		*cur_len = iv_len;
	}
	if (EVP_CipherInit_ex(*x, NULL, NULL, NULL, iv, enc) != 1)
		return ossl_failed();
	return 0;
}

static void pair_free(void **enc, void **dec)
{
	/* EVP_CIPHER_CTX_free cleanses the key schedule before freeing it */
	EVP_CIPHER_CTX_free(*enc);
	EVP_CIPHER_CTX_free(*dec);
	*enc = NULL;
	*dec = NULL;
}

/* AD (@p out NULL) or data through @p x, in pieces libcrypto's int lengths take. */
static int run(void *x, unsigned char *out, const unsigned char *in, size_t len)
{
	while (len > 0) {
		int n = len > CHUNK ? CHUNK : (int)len;
		int outl = 0;

		if (EVP_CipherUpdate(x, out, &outl, in, n) != 1 || (out != NULL && outl != n))
			return ossl_failed();
		in += n;
		if (out != NULL)
			out += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Encrypt @p in through @p enc only for its tag (streaming decryption). */
static int run_for_tag(void *enc, const unsigned char *in, size_t len)
{
	unsigned char scratch[512];
	int ret = 0;

	while (len > 0 && ret == 0) {
		size_t n = len > sizeof(scratch) ? sizeof(scratch) : len;

		ret = run(enc, scratch, in, n);
		in += n;
		len -= n;
	}
	mbedtls_platform_zeroize(scratch, sizeof(scratch));
	return ret;
}

/* The full tag of what @p enc encrypted. */
static int enc_tag(void *enc, unsigned char tag[AEAD_TAG_LEN])
{
	unsigned char none[AEAD_TAG_LEN];
	int outl = 0;

	if (EVP_EncryptFinal_ex(enc, none, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag) != 1)
		return ossl_failed();
	return 0;
}

/* Decrypt @p in to @p out and check @p tag; on failure @p out is wiped. */
static int dec_check(void *dec, const unsigned char *add, size_t add_len, const unsigned char *in,
		     unsigned char *out, size_t len, const unsigned char *tag, size_t tag_len,
		     int auth_failed)
{
	unsigned char none[AEAD_TAG_LEN];
	int outl = 0;
	int ret = run(dec, NULL, add, add_len);

	if (ret == 0)
		ret = run(dec, out, in, len);
	if (ret != 0)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, (void *)tag) != 1) {
		ret = ossl_failed();
		goto fail;
	}
	if (EVP_DecryptFinal_ex(dec, none, &outl) == 1)
		return 0;
	ERR_clear_error();
	ret = auth_failed;
fail:
	if (len > 0)
		mbedtls_platform_zeroize(out, len);
	return ret;
}

/* ---- GCM ---- */

void mbedtls_gcm_init(mbedtls_gcm_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void mbedtls_gcm_free(mbedtls_gcm_context *ctx)
{
	if (ctx == NULL)
		return;
	pair_free(&ctx->enc, &ctx->dec);
	mbedtls_platform_zeroize(ctx, sizeof(*ctx));
}

int mbedtls_gcm_setkey(mbedtls_gcm_context *ctx, mbedtls_cipher_id_t cipher,
		       const unsigned char *key, unsigned int keybits)
{
	if (cipher != MBEDTLS_CIPHER_ID_AES)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	switch (keybits) {
	case 128:
		ctx->cipher = C_AES128;
		break;
	case 192:
		ctx->cipher = C_AES192;
		break;
	case 256:
		ctx->cipher = C_AES256;
		break;
	default:
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	}
	mbedtls_platform_zeroize(ctx->key, sizeof(ctx->key));
	memcpy(ctx->key, key, keybits / 8);
	ctx->keyed = 0; /* both contexts are keyed again on their next use */
	ctx->state = ST_KEYED;
	return 0;
}

/* Start the encrypting (@p enc 1) or decrypting context of @p ctx on @p iv. */
static int gcm_iv(mbedtls_gcm_context *ctx, int enc, const unsigned char *iv, size_t iv_len)
{
	return pair_start(enc ? &ctx->enc : &ctx->dec, &ctx->keyed, enc, ctx->cipher, ctx->key, iv,
			  iv_len, &ctx->iv_len[enc]);
}

static int gcm_check_iv(const mbedtls_gcm_context *ctx, size_t iv_len)
{
	if (ctx->state == ST_NOKEY || iv_len == 0)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	if (iv_len > GCM_IV_MAX)
		return MBEDTLS_ERR_PLATFORM_FEATURE_UNSUPPORTED;
	return 0;
}

int mbedtls_gcm_starts(mbedtls_gcm_context *ctx, int mode, const unsigned char *iv, size_t iv_len)
{
	int ret = gcm_check_iv(ctx, iv_len);

	if (ret != 0)
		return ret;
	if (mode != MBEDTLS_GCM_ENCRYPT && mode != MBEDTLS_GCM_DECRYPT)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ctx->state = ST_KEYED;
	ret = gcm_iv(ctx, 1, iv, iv_len);
	if (ret == 0 && mode == MBEDTLS_GCM_DECRYPT)
		ret = gcm_iv(ctx, 0, iv, iv_len);
	if (ret != 0)
		return ret;
	ctx->mode = (unsigned char)mode;
	ctx->state = ST_AD;
	return 0;
}

int mbedtls_gcm_update_ad(mbedtls_gcm_context *ctx, const unsigned char *add, size_t add_len)
{
	if (ctx->state != ST_AD)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	/* only the encrypting context computes the tag */
	return run(ctx->enc, NULL, add, add_len);
}

int mbedtls_gcm_update(mbedtls_gcm_context *ctx, const unsigned char *input, size_t input_length,
		       unsigned char *output, size_t output_size, size_t *output_length)
{
	int ret;

	if (output_size < input_length)
		return MBEDTLS_ERR_GCM_BUFFER_TOO_SMALL;
	if (ctx->state != ST_AD && ctx->state != ST_DATA)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	*output_length = input_length;
	if (input_length == 0)
		return 0;
	if (output > input && (size_t)(output - input) < input_length)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ctx->state = ST_DATA;
	if (ctx->mode == MBEDTLS_GCM_ENCRYPT)
		return run(ctx->enc, output, input, input_length);
	ret = run(ctx->dec, output, input, input_length);
	if (ret == 0)
		ret = run_for_tag(ctx->enc, output, input_length);
	return ret;
}

int mbedtls_gcm_finish(mbedtls_gcm_context *ctx, unsigned char *output, size_t output_size,
		       size_t *output_length, unsigned char *tag, size_t tag_len)
{
	unsigned char full[AEAD_TAG_LEN];
	int ret;

	(void)output;
	(void)output_size;
	*output_length = 0;
	if (ctx->state != ST_AD && ctx->state != ST_DATA)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	if (tag_len > AEAD_TAG_LEN || tag_len < 4)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ctx->state = ST_KEYED;
	ret = enc_tag(ctx->enc, full);
	if (ret == 0) {
		memcpy(tag, full, tag_len);
		count(ZT_ACCEL_GCM_STREAM);
	}
	mbedtls_platform_zeroize(full, sizeof(full));
	return ret;
}

int mbedtls_gcm_crypt_and_tag(mbedtls_gcm_context *ctx, int mode, size_t length,
			      const unsigned char *iv, size_t iv_len, const unsigned char *add,
			      size_t add_len, const unsigned char *input, unsigned char *output,
			      size_t tag_len, unsigned char *tag)
{
	unsigned char full[AEAD_TAG_LEN];
	int ret;

	if (mode == MBEDTLS_GCM_DECRYPT) {
		/* a decryption that returns the tag: the streaming path */
		size_t olen;

		ret = mbedtls_gcm_starts(ctx, mode, iv, iv_len);
		if (ret == 0)
			ret = mbedtls_gcm_update_ad(ctx, add, add_len);
		if (ret == 0)
			ret = mbedtls_gcm_update(ctx, input, length, output, length, &olen);
		if (ret == 0)
			ret = mbedtls_gcm_finish(ctx, NULL, 0, &olen, tag, tag_len);
		return ret;
	}
	if (mode != MBEDTLS_GCM_ENCRYPT || tag_len > AEAD_TAG_LEN || tag_len < 4)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ret = gcm_check_iv(ctx, iv_len);
	if (ret != 0)
		return ret;
	if (output > input && (size_t)(output - input) < length)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ctx->state = ST_KEYED;
	ret = gcm_iv(ctx, 1, iv, iv_len);
	if (ret == 0)
		ret = run(ctx->enc, NULL, add, add_len);
	if (ret == 0)
		ret = run(ctx->enc, output, input, length);
	if (ret == 0)
		ret = enc_tag(ctx->enc, full);
	if (ret == 0) {
		memcpy(tag, full, tag_len);
		count(ZT_ACCEL_GCM_ONESHOT);
	}
	mbedtls_platform_zeroize(full, sizeof(full));
	return ret;
}

int mbedtls_gcm_auth_decrypt(mbedtls_gcm_context *ctx, size_t length, const unsigned char *iv,
			     size_t iv_len, const unsigned char *add, size_t add_len,
			     const unsigned char *tag, size_t tag_len, const unsigned char *input,
			     unsigned char *output)
{
	int ret;

	if (tag_len > AEAD_TAG_LEN || tag_len < 4)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ret = gcm_check_iv(ctx, iv_len);
	if (ret != 0)
		return ret;
	if (output > input && (size_t)(output - input) < length)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	ctx->state = ST_KEYED;
	ret = gcm_iv(ctx, 0, iv, iv_len);
	if (ret == 0)
		ret = dec_check(ctx->dec, add, add_len, input, output, length, tag, tag_len,
				MBEDTLS_ERR_GCM_AUTH_FAILED);
	if (ret == 0)
		count(ZT_ACCEL_GCM_ONESHOT);
	return ret;
}

/* ---- ChaCha20-Poly1305 ---- */

void mbedtls_chachapoly_init(mbedtls_chachapoly_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void mbedtls_chachapoly_free(mbedtls_chachapoly_context *ctx)
{
	if (ctx == NULL)
		return;
	pair_free(&ctx->enc, &ctx->dec);
	mbedtls_platform_zeroize(ctx, sizeof(*ctx));
}

int mbedtls_chachapoly_setkey(mbedtls_chachapoly_context *ctx, const unsigned char key[32])
{
	memcpy(ctx->key, key, sizeof(ctx->key));
	ctx->keyed = 0; /* both contexts are keyed again on their next use */
	ctx->state = ST_KEYED;
	return 0;
}

static int cp_iv(mbedtls_chachapoly_context *ctx, int enc, const unsigned char nonce[12])
{
	return pair_start(enc ? &ctx->enc : &ctx->dec, &ctx->keyed, enc, C_CHACHA, ctx->key, nonce,
			  12, NULL);
}

int mbedtls_chachapoly_starts(mbedtls_chachapoly_context *ctx, const unsigned char nonce[12],
			      mbedtls_chachapoly_mode_t mode)
{
	int ret;

	if (ctx->state == ST_NOKEY)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_KEYED;
	ret = cp_iv(ctx, 1, nonce);
	if (ret == 0 && mode == MBEDTLS_CHACHAPOLY_DECRYPT)
		ret = cp_iv(ctx, 0, nonce);
	if (ret != 0)
		return ret;
	ctx->mode = mode;
	ctx->state = ST_AD;
	return 0;
}

int mbedtls_chachapoly_update_aad(mbedtls_chachapoly_context *ctx, const unsigned char *aad,
				  size_t aad_len)
{
	if (ctx->state != ST_AD)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	return run(ctx->enc, NULL, aad, aad_len);
}

int mbedtls_chachapoly_update(mbedtls_chachapoly_context *ctx, size_t len,
			      const unsigned char *input, unsigned char *output)
{
	int ret;

	if (ctx->state != ST_AD && ctx->state != ST_DATA)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_DATA;
	if (len == 0)
		return 0;
	if (ctx->mode == MBEDTLS_CHACHAPOLY_ENCRYPT)
		return run(ctx->enc, output, input, len);
	ret = run(ctx->dec, output, input, len);
	if (ret == 0)
		ret = run_for_tag(ctx->enc, output, len);
	return ret;
}

int mbedtls_chachapoly_finish(mbedtls_chachapoly_context *ctx, unsigned char mac[16])
{
	int ret;

	if (ctx->state != ST_AD && ctx->state != ST_DATA)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_KEYED;
	ret = enc_tag(ctx->enc, mac);
	if (ret == 0)
		count(ZT_ACCEL_CHACHAPOLY_STREAM);
	return ret;
}

int mbedtls_chachapoly_encrypt_and_tag(mbedtls_chachapoly_context *ctx, size_t length,
				       const unsigned char nonce[12], const unsigned char *aad,
				       size_t aad_len, const unsigned char *input,
				       unsigned char *output, unsigned char tag[16])
{
	int ret;

	if (ctx->state == ST_NOKEY)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_KEYED;
	ret = cp_iv(ctx, 1, nonce);
	if (ret == 0)
		ret = run(ctx->enc, NULL, aad, aad_len);
	if (ret == 0)
		ret = run(ctx->enc, output, input, length);
	if (ret == 0)
		ret = enc_tag(ctx->enc, tag);
	if (ret == 0)
		count(ZT_ACCEL_CHACHAPOLY_ONESHOT);
	return ret;
}

int mbedtls_chachapoly_auth_decrypt(mbedtls_chachapoly_context *ctx, size_t length,
				    const unsigned char nonce[12], const unsigned char *aad,
				    size_t aad_len, const unsigned char tag[16],
				    const unsigned char *input, unsigned char *output)
{
	int ret;

	if (ctx->state == ST_NOKEY)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_KEYED;
	ret = cp_iv(ctx, 0, nonce);
	if (ret == 0)
		ret = dec_check(ctx->dec, aad, aad_len, input, output, length, tag, AEAD_TAG_LEN,
				MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED);
	if (ret == 0)
		count(ZT_ACCEL_CHACHAPOLY_ONESHOT);
	return ret;
}

/* ---- ECDSA and ECDH (MBEDTLS_ECDSA_{SIGN,VERIFY}_ALT,
 * MBEDTLS_ECDH_{GEN_PUBLIC,COMPUTE_SHARED}_ALT) ---- */

#if defined(MBEDTLS_ECDSA_SIGN_ALT) || defined(MBEDTLS_ECDSA_VERIFY_ALT) ||                        \
	defined(MBEDTLS_ECDH_GEN_PUBLIC_ALT) || defined(MBEDTLS_ECDH_COMPUTE_SHARED_ALT)

/* Which libcrypto curve serves an Mbed TLS group: a NID (Weierstrass) or an EVP_PKEY type
 * (Montgomery, raw little-endian keys of @c len bytes). */
struct curve {
	int nid;  /* NID of a short Weierstrass curve, or 0 */
	int pkey; /* EVP_PKEY_X25519 / EVP_PKEY_X448, or 0 */
	size_t len;
};

static int curve_of(const mbedtls_ecp_group *grp, struct curve *c)
{
	memset(c, 0, sizeof(*c));
	switch (grp->id) {
	case MBEDTLS_ECP_DP_SECP256R1:
		c->nid = NID_X9_62_prime256v1;
		c->len = 32;
		return 0;
	case MBEDTLS_ECP_DP_SECP384R1:
		c->nid = NID_secp384r1;
		c->len = 48;
		return 0;
	case MBEDTLS_ECP_DP_SECP521R1:
		c->nid = NID_secp521r1;
		c->len = 66;
		return 0;
	case MBEDTLS_ECP_DP_CURVE25519:
		c->pkey = EVP_PKEY_X25519;
		c->len = 32;
		return 0;
	case MBEDTLS_ECP_DP_CURVE448:
		c->pkey = EVP_PKEY_X448;
		c->len = 56;
		return 0;
	default:
		return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
	}
}

/* A libcrypto BIGNUM of @p x (wiped afterwards when @p secret). */
static BIGNUM *bn_of(const mbedtls_mpi *x, size_t len, int secret)
{
	unsigned char buf[MBEDTLS_ECP_MAX_BYTES];
	BIGNUM *b = NULL;

	if (len <= sizeof(buf) && mbedtls_mpi_write_binary(x, buf, len) == 0)
		b = secret ? BN_secure_new() : BN_new();
	if (b != NULL && BN_bin2bn(buf, (int)len, b) == NULL) {
		BN_clear_free(b);
		b = NULL;
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return b;
}

static int mpi_of(mbedtls_mpi *x, const BIGNUM *b, size_t len)
{
	unsigned char buf[MBEDTLS_ECP_MAX_BYTES];
	int ret = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;

	if (len <= sizeof(buf) && BN_bn2binpad(b, buf, (int)len) == (int)len)
		ret = mbedtls_mpi_read_binary(x, buf, len);
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return ret;
}

/* An EC_KEY on curve @p nid with private key @p d and/or public key @p Q (NULL: none). */
static EC_KEY *ec_key(const mbedtls_ecp_group *grp, int nid, size_t len, const mbedtls_mpi *d,
		      const mbedtls_ecp_point *Q)
{
	EC_KEY *k = EC_KEY_new_by_curve_name(nid);
	BIGNUM *bd = NULL;
	EC_POINT *pt = NULL;
	int ok = k != NULL;

	if (ok && d != NULL) {
		bd = bn_of(d, len, 1);
		ok = bd != NULL && EC_KEY_set_private_key(k, bd) == 1;
	}
	if (ok && Q != NULL) {
		unsigned char buf[2 * MBEDTLS_ECP_MAX_BYTES + 1];
		size_t olen = 0;

		pt = EC_POINT_new(EC_KEY_get0_group(k));
		ok = pt != NULL &&
		     mbedtls_ecp_point_write_binary(grp, Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, buf,
						    sizeof(buf)) == 0 &&
		     EC_POINT_oct2point(EC_KEY_get0_group(k), pt, buf, olen, NULL) == 1 &&
		     EC_KEY_set_public_key(k, pt) == 1;
	}
	BN_clear_free(bd);
	EC_POINT_free(pt);
	if (!ok) {
		EC_KEY_free(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

#if defined(MBEDTLS_ECDSA_SIGN_ALT)
/*
 * With MBEDTLS_ECDSA_DETERMINISTIC Mbed TLS's sign_det calls this with an
 * HMAC-DRBG of key and message as @p f_rng; libcrypto picks its own nonce
 * (random, mixed with the key and the message), so signatures stay valid but
 * are not reproducible.
 */
int mbedtls_ecdsa_sign(mbedtls_ecp_group *grp, mbedtls_mpi *r, mbedtls_mpi *s, const mbedtls_mpi *d,
		       const unsigned char *buf, size_t blen, mbedtls_f_rng_t *f_rng, void *p_rng)
{
	struct curve c;
	EC_KEY *k;
	ECDSA_SIG *sig;
	const BIGNUM *br, *bs;
	int ret = curve_of(grp, &c);

	(void)f_rng;
	(void)p_rng;
	if (ret != 0 || c.nid == 0)
		return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
	if (blen > INT_MAX)
		return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
	k = ec_key(grp, c.nid, c.len, d, NULL);
	if (k == NULL)
		return MBEDTLS_ERR_ECP_INVALID_KEY;
	sig = ECDSA_do_sign(buf, (int)blen, k);
	EC_KEY_free(k);
	if (sig == NULL) {
		ERR_clear_error();
		return MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
	}
	ECDSA_SIG_get0(sig, &br, &bs);
	ret = mpi_of(r, br, c.len);
	if (ret == 0)
		ret = mpi_of(s, bs, c.len);
	ECDSA_SIG_free(sig);
	if (ret == 0)
		count(ZT_ACCEL_ECDSA_SIGN);
	return ret;
}
#endif

#if defined(MBEDTLS_ECDSA_VERIFY_ALT)
int mbedtls_ecdsa_verify(mbedtls_ecp_group *grp, const unsigned char *buf, size_t blen,
			 const mbedtls_ecp_point *Q, const mbedtls_mpi *r, const mbedtls_mpi *s)
{
	struct curve c;
	EC_KEY *k;
	ECDSA_SIG *sig;
	BIGNUM *br, *bs;
	int ok;

	if (curve_of(grp, &c) != 0 || c.nid == 0)
		return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
	if (blen > INT_MAX || mbedtls_mpi_size(r) > c.len || mbedtls_mpi_size(s) > c.len)
		return MBEDTLS_ERR_ECP_VERIFY_FAILED;
	k = ec_key(grp, c.nid, c.len, NULL, Q);
	if (k == NULL)
		return MBEDTLS_ERR_ECP_INVALID_KEY;
	sig = ECDSA_SIG_new();
	br = bn_of(r, c.len, 0);
	bs = bn_of(s, c.len, 0);
	ok = sig != NULL && br != NULL && bs != NULL && ECDSA_SIG_set0(sig, br, bs) == 1;
	if (!ok) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(sig);
		EC_KEY_free(k);
		ERR_clear_error();
		return MBEDTLS_ERR_ECP_ALLOC_FAILED;
	}
	ok = ECDSA_do_verify(buf, (int)blen, sig, k);
	ECDSA_SIG_free(sig);
	EC_KEY_free(k);
	if (ok != 1) {
		ERR_clear_error();
		return MBEDTLS_ERR_ECP_VERIFY_FAILED;
	}
	count(ZT_ACCEL_ECDSA_VERIFY);
	return 0;
}
#endif

/* RFC 7748 clamping of a Montgomery private key (little-endian). */
static void clamp(unsigned char *k, size_t len)
{
	if (len == 32) {
		k[0] &= 248;
		k[31] &= 127;
		k[31] |= 64;
	} else {
		k[0] &= 252;
		k[55] |= 128;
	}
}

#if defined(MBEDTLS_ECDH_GEN_PUBLIC_ALT)
int mbedtls_ecdh_gen_public(mbedtls_ecp_group *grp, mbedtls_mpi *d, mbedtls_ecp_point *Q,
			    mbedtls_f_rng_t *f_rng, void *p_rng)
{
	unsigned char buf[2 * MBEDTLS_ECP_MAX_BYTES + 1];
	struct curve c;
	int ret = curve_of(grp, &c);

	(void)f_rng; /* libcrypto's DRBG makes the key */
	(void)p_rng;
	if (ret != 0)
		return ret;
	if (c.pkey != 0) {
		EVP_PKEY *pk = NULL;
		size_t plen = c.len;

		ret = MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
		if (RAND_priv_bytes(buf, (int)c.len) == 1) {
			clamp(buf, c.len);
			pk = EVP_PKEY_new_raw_private_key(c.pkey, NULL, buf, c.len);
		}
		if (pk != NULL) {
			ret = mbedtls_mpi_read_binary_le(d, buf, c.len);
			if (ret == 0 &&
			    (EVP_PKEY_get_raw_public_key(pk, buf, &plen) != 1 || plen != c.len))
				ret = MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
			if (ret == 0)
				ret = mbedtls_ecp_point_read_binary(grp, Q, buf, plen);
			EVP_PKEY_free(pk);
		}
	} else {
		EC_KEY *k = EC_KEY_new_by_curve_name(c.nid);
		size_t olen;

		ret = MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
		if (k != NULL && EC_KEY_generate_key(k) == 1) {
			ret = mpi_of(d, EC_KEY_get0_private_key(k), c.len);
			olen = EC_POINT_point2oct(EC_KEY_get0_group(k), EC_KEY_get0_public_key(k),
						  POINT_CONVERSION_UNCOMPRESSED, buf, sizeof(buf),
						  NULL);
			if (ret == 0 && olen == 0)
				ret = MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
			if (ret == 0)
				ret = mbedtls_ecp_point_read_binary(grp, Q, buf, olen);
		}
		EC_KEY_free(k); /* clears the private key */
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
	if (ret != 0) {
		ERR_clear_error();
		return ret;
	}
	count(ZT_ACCEL_ECDH_GEN);
	return 0;
}
#endif

#if defined(MBEDTLS_ECDH_COMPUTE_SHARED_ALT)
int mbedtls_ecdh_compute_shared(mbedtls_ecp_group *grp, mbedtls_mpi *z, const mbedtls_ecp_point *Q,
				const mbedtls_mpi *d, mbedtls_f_rng_t *f_rng, void *p_rng)
{
	unsigned char out[MBEDTLS_ECP_MAX_BYTES];
	struct curve c;
	int ret = curve_of(grp, &c);

	(void)f_rng;
	(void)p_rng;
	if (ret != 0)
		return ret;
	if (c.pkey != 0) {
		unsigned char priv[MBEDTLS_ECP_MAX_BYTES], pub[MBEDTLS_ECP_MAX_BYTES];
		size_t publen = 0, zlen = c.len;
		EVP_PKEY *mine = NULL, *peer = NULL;
		EVP_PKEY_CTX *x = NULL;

		ret = MBEDTLS_ERR_ECP_INVALID_KEY;
		if (mbedtls_mpi_write_binary_le(d, priv, c.len) == 0 &&
		    mbedtls_ecp_point_write_binary(grp, Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &publen,
						   pub, sizeof(pub)) == 0 &&
		    publen == c.len) {
			mine = EVP_PKEY_new_raw_private_key(c.pkey, NULL, priv, c.len);
			peer = EVP_PKEY_new_raw_public_key(c.pkey, NULL, pub, c.len);
		}
		if (mine != NULL && peer != NULL) {
			x = EVP_PKEY_CTX_new(mine, NULL);
			/* libcrypto refuses an all-zero result (a small-order peer point) */
			if (x != NULL && EVP_PKEY_derive_init(x) == 1 &&
			    EVP_PKEY_derive_set_peer(x, peer) == 1 &&
			    EVP_PKEY_derive(x, out, &zlen) == 1 && zlen == c.len)
				ret = mbedtls_mpi_read_binary_le(z, out, c.len);
		}
		EVP_PKEY_CTX_free(x);
		EVP_PKEY_free(mine);
		EVP_PKEY_free(peer);
		mbedtls_platform_zeroize(priv, sizeof(priv));
	} else {
		EC_KEY *k = ec_key(grp, c.nid, c.len, d, NULL);
		EC_KEY *p = ec_key(grp, c.nid, c.len, NULL, Q); /* checks Q is on the curve */

		ret = MBEDTLS_ERR_ECP_INVALID_KEY;
		if (k != NULL && p != NULL &&
		    ECDH_compute_key(out, c.len, EC_KEY_get0_public_key(p), k, NULL) == (int)c.len)
			ret = mbedtls_mpi_read_binary(z, out, c.len);
		EC_KEY_free(k);
		EC_KEY_free(p);
	}
	mbedtls_platform_zeroize(out, sizeof(out));
	if (ret != 0) {
		ERR_clear_error();
		return ret;
	}
	count(ZT_ACCEL_ECDH_SHARED);
	return 0;
}
#endif

#endif /* any ECC _ALT */

#endif /* SECSOCK_MBEDTLS_ACCEL_OPENSSL */
