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
 * Each Mbed TLS context holds two EVP_CIPHER_CTX, keyed once by setkey: one
 * encrypting, one decrypting. A one-shot decryption hands the expected tag
 * to libcrypto, which compares it. Mbed TLS's streaming API instead returns
 * the computed tag after a decryption too (its callers compare), which
 * libcrypto gives only when encrypting: a streaming decryption therefore
 * decrypts with the decrypting context and runs the plaintext through the
 * encrypting one (same key, IV and AD), whose tag is the tag of the
 * ciphertext. That costs a second pass, on a path neither record layer uses.
 */
/* the contexts' fields are this file's, as Mbed TLS's own modules do */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "mbedtls/build_info.h"

#if defined(SECSOCK_MBEDTLS_ACCEL_OPENSSL)

#include "mbedtls/chachapoly.h"
#include "mbedtls/cipher.h"
#include "mbedtls/error.h"
#include "mbedtls/gcm.h"
#include "mbedtls/platform_util.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

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

	snprintf(line, sizeof(line), "AES-GCM, ChaCha20-Poly1305 by OpenSSL %s",
		 OpenSSL_version(OPENSSL_VERSION_STRING));
	return line;
}

/* libcrypto failed for a reason that is not the caller's: drop its error queue. */
static int ossl_failed(void)
{
	ERR_clear_error();
	return MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED;
}

/* Key both contexts (allocated on first use) with cipher @p c. */
static int pair_setkey(void **enc, void **dec, const EVP_CIPHER *c, const unsigned char *key)
{
	if (*enc == NULL)
		*enc = EVP_CIPHER_CTX_new();
	if (*dec == NULL)
		*dec = EVP_CIPHER_CTX_new();
	if (*enc == NULL || *dec == NULL)
		return MBEDTLS_ERR_CIPHER_ALLOC_FAILED;
	if (EVP_EncryptInit_ex(*enc, c, NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(*dec, c, NULL, key, NULL) != 1)
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
	const EVP_CIPHER *c;
	int ret;

	if (cipher != MBEDTLS_CIPHER_ID_AES)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	switch (keybits) {
	case 128:
		c = EVP_aes_128_gcm();
		break;
	case 192:
		c = EVP_aes_192_gcm();
		break;
	case 256:
		c = EVP_aes_256_gcm();
		break;
	default:
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	}
	ctx->state = ST_NOKEY;
	ret = pair_setkey(&ctx->enc, &ctx->dec, c, key);
	if (ret != 0)
		return ret;
	ctx->iv_len[0] = 12; /* libcrypto's default after keying */
	ctx->iv_len[1] = 12;
	ctx->state = ST_KEYED;
	return 0;
}

/* Start the encrypting (@p enc 1) or decrypting context of @p ctx on @p iv. */
static int gcm_iv(mbedtls_gcm_context *ctx, int enc, const unsigned char *iv, size_t iv_len)
{
	void *x = enc ? ctx->enc : ctx->dec;

	if (ctx->iv_len[enc] != iv_len) {
		if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)iv_len, NULL) != 1)
			return ossl_failed();
		ctx->iv_len[enc] = iv_len;
	}
	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) != 1)
		return ossl_failed();
	return 0;
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
	int ret;

	ctx->state = ST_NOKEY;
	ret = pair_setkey(&ctx->enc, &ctx->dec, EVP_chacha20_poly1305(), key);
	if (ret == 0)
		ctx->state = ST_KEYED;
	return ret;
}

static int cp_iv(void *x, int enc, const unsigned char nonce[12])
{
	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, enc) != 1)
		return ossl_failed();
	return 0;
}

int mbedtls_chachapoly_starts(mbedtls_chachapoly_context *ctx, const unsigned char nonce[12],
			      mbedtls_chachapoly_mode_t mode)
{
	int ret;

	if (ctx->state == ST_NOKEY)
		return MBEDTLS_ERR_CHACHAPOLY_BAD_STATE;
	ctx->state = ST_KEYED;
	ret = cp_iv(ctx->enc, 1, nonce);
	if (ret == 0 && mode == MBEDTLS_CHACHAPOLY_DECRYPT)
		ret = cp_iv(ctx->dec, 0, nonce);
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
	ret = cp_iv(ctx->enc, 1, nonce);
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
	ret = cp_iv(ctx->dec, 0, nonce);
	if (ret == 0)
		ret = dec_check(ctx->dec, aad, aad_len, input, output, length, tag, AEAD_TAG_LEN,
				MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED);
	if (ret == 0)
		count(ZT_ACCEL_CHACHAPOLY_ONESHOT);
	return ret;
}

#endif /* SECSOCK_MBEDTLS_ACCEL_OPENSSL */
