/*
 * The credential store (tls_credential_add/get/delete/expiry) and the
 * credential parsers behind it (zt_eng_cred_check, zt_eng_cert_expiry,
 * zt_mbed_parse_certs with and without nocopy, zt_mbed_parse_key) on every
 * credential type, with fuzz bytes. A model of the store checks what comes
 * back: a get returns exactly what was added, an add or delete succeeds
 * only when the model says so.
 *
 * Input: up to MAX_OPS operations, each an op byte (bits 0-2 kind, bits 3-4
 * tag, bits 5-7 how the payload is wrapped: raw, NUL-terminated, base64 in
 * PEM armour of several kinds, two concatenated copies) and its arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mbedtls/cred_parse.h"
#include "fuzzlib.h"

#define TAG0     2000
#define TAGS     4
#define TYPES    8
#define MAX_OPS  32
#define MAX_KEEP 16

struct model {
	bool present;
	uint8_t *buf;
	size_t len;
};

static struct model store[TAGS][TYPES];

static void fail(const char *what, int tag, int type, int rc)
{
	fprintf(stderr, "fuzz_cred: %s (tag %d, type %d, rc %d)\n", what, tag, type, rc);
	abort();
}

static enum tls_credential_type pick_type(uint8_t t)
{
	/* mostly 0..7 (0, 6 and 7 are invalid or unsupported), sometimes negative */
	return (enum tls_credential_type)(t < 0xF0 ? t % TYPES : (int)(int8_t)t);
}

static struct model *model_of(int tagi, enum tls_credential_type type)
{
	return (int)type >= 0 && (int)type < TYPES ? &store[tagi][type] : NULL;
}

static const char *const armour[] = {"CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY",
				     "RSA PRIVATE KEY"};

static size_t base64(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len) {
			v |= (uint32_t)in[i + 1] << 8;
		}
		if (i + 2 < len) {
			v |= in[i + 2];
		}
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
		if (i % 48 == 45) {
			out[o++] = '\n'; /* 64 characters a line */
		}
	}
	return o;
}

/*
 * The payload as the op's wrap says: 0 raw, 1 raw + NUL, 2-5 base64 in PEM
 * armour (certificate, PKCS#8, SEC1, PKCS#1) + NUL, 6 armour around the raw
 * bytes (no NUL), 7 two copies joined by a NUL ("PEM1\0PEM2\0").
 * Returns an exact-size heap buffer.
 */
static uint8_t *wrap(const uint8_t *p, size_t len, unsigned how, size_t *out_len)
{
	size_t cap = 2 * len + len / 48 + 128;
	uint8_t *out = malloc(cap);
	size_t o = 0;

	if (out == NULL) {
		return NULL;
	}
	switch (how) {
	case 0:
	case 1:
		memcpy(out, p, len);
		o = len;
		if (how == 1) {
			out[o++] = '\0';
		}
		break;
	case 7:
		memcpy(out, p, len);
		out[len] = '\0';
		memcpy(out + len + 1, p, len);
		o = 2 * len + 1;
		out[o++] = '\0';
		break;
	default: {
		const char *name = armour[how == 6 ? len % 4 : how - 2];

		o = (size_t)sprintf((char *)out, "-----BEGIN %s-----\n", name);
		if (how == 6) {
			memcpy(out + o, p, len);
			o += len;
		} else {
			o += base64(p, len, (char *)out + o);
		}
		o += (size_t)sprintf((char *)out + o, "\n-----END %s-----\n", name);
		if (how != 6) {
			out[o++] = '\0';
		}
		break;
	}
	}
	*out_len = o;
	/* shrink to the exact size so that ASan catches a read past the end */
	uint8_t *exact = malloc(o ? o : 1);

	if (exact != NULL) {
		memcpy(exact, out, o);
	}
	free(out);
	return exact;
}

static uint8_t *payload(struct fz_in *in, unsigned how, size_t *len)
{
	const uint8_t *p;
	size_t n = fz_take(in, fz_u16(in) % 12000, &p);

	return wrap(p, n, how, len);
}

/* Certificates parsed with nocopy point into their buffers: keep those alive. */
struct chain {
	mbedtls_x509_crt crt;
	uint8_t *keep[MAX_KEEP];
	int nkeep;
};

static void chain_reset(struct chain *c)
{
	mbedtls_x509_crt_free(&c->crt);
	mbedtls_x509_crt_init(&c->crt);
	while (c->nkeep > 0) {
		free(c->keep[--c->nkeep]);
	}
}

static void op_add(struct fz_in *in, int tagi, unsigned how)
{
	enum tls_credential_type type = pick_type(fz_u8(in));
	struct model *m = model_of(tagi, type);
	size_t len;
	uint8_t *buf = payload(in, how, &len);
	int rc;

	if (buf == NULL) {
		return;
	}
	rc = tls_credential_add(TAG0 + tagi, type, buf, len);
	if (rc == 0) {
		if (m == NULL || m->present) {
			fail("add succeeded twice or for a bad type", tagi, (int)type, rc);
		}
		m->present = true;
		m->buf = buf; /* the store must have copied it: we keep ours */
		m->len = len;
		return;
	}
	if (rc == -EEXIST && (m == NULL || !m->present)) {
		fail("add said EEXIST for a missing credential", tagi, (int)type, rc);
	}
	free(buf);
}

static void op_get(struct fz_in *in, int tagi)
{
	enum tls_credential_type type = pick_type(fz_u8(in));
	struct model *m = model_of(tagi, type);
	uint16_t arg = fz_u16(in);
	size_t size = arg & 0x3FFF, got = size;
	uint8_t *buf = malloc(size ? size : 1);
	int rc;

	if (buf == NULL) {
		return;
	}
	rc = tls_credential_get(TAG0 + tagi, type, (arg & 0x8000) ? NULL : buf, &got);
	if (rc == 0 && (m == NULL || !m->present || got != m->len || got > size ||
			memcmp(buf, m->buf, got) != 0)) {
		fail("get returned other bytes than were added", tagi, (int)type, rc);
	}
	if (rc == -ENOENT && m != NULL && m->present) {
		fail("get lost a credential", tagi, (int)type, rc);
	}
	if (rc == -EFBIG && (m == NULL || !m->present || got != m->len || size >= m->len)) {
		fail("get said EFBIG wrongly", tagi, (int)type, rc);
	}
	free(buf);
}

static void op_delete(struct fz_in *in, int tagi)
{
	enum tls_credential_type type = pick_type(fz_u8(in));
	struct model *m = model_of(tagi, type);
	int rc = tls_credential_delete(TAG0 + tagi, type);

	if (rc == 0) {
		if (m == NULL || !m->present) {
			fail("delete of a missing credential succeeded", tagi, (int)type, rc);
		}
		free(m->buf);
		*m = (struct model){0};
	} else if (m != NULL && m->present) {
		fail("delete of a present credential failed", tagi, (int)type, rc);
	}
}

static void op_expiry(struct fz_in *in, int tagi)
{
	uint8_t t = fz_u8(in);
	enum tls_credential_type type = pick_type(t & 0x7F);
	struct model *m = model_of(tagi, type);
	time_t expiry = 0;
	int64_t want = 0;
	int rc = tls_credential_expiry(TAG0 + tagi, type, (t & 0x80) ? NULL : &expiry);

	if (rc == 0) {
		if (m == NULL || !m->present || zt_eng_cert_expiry(m->buf, m->len, &want) != 0 ||
		    want != (int64_t)expiry) {
			fail("expiry disagrees with the parser", tagi, (int)type, rc);
		}
	}
}

static void op_check(struct fz_in *in, unsigned how)
{
	enum tls_credential_type type = pick_type(fz_u8(in));
	size_t len;
	uint8_t *buf = payload(in, how, &len);
	int rc;

	if (buf == NULL) {
		return;
	}
	rc = zt_eng_cred_check(type, buf, len);
	if (rc != 0 && rc != -EINVAL && rc != -ENOTSUP && rc != -ENOMEM) {
		fail("zt_eng_cred_check: unexpected errno", -1, (int)type, rc);
	}
	free(buf);
}

static void op_cert_expiry(struct fz_in *in, unsigned how)
{
	size_t len;
	uint8_t *buf = payload(in, how, &len);
	int64_t na;

	if (buf != NULL) {
		(void)zt_eng_cert_expiry(buf, len, &na);
		free(buf);
	}
}

static void op_parse_certs(struct fz_in *in, unsigned how, struct chain *c)
{
	uint8_t flags = fz_u8(in);
	bool nocopy = flags & 1;
	size_t len;
	int rc;
	uint8_t *buf = payload(in, how, &len);

	if (buf == NULL) {
		return;
	}
	if (c->nkeep == MAX_KEEP || (flags & 2)) {
		chain_reset(c);
	}
	rc = zt_mbed_parse_certs(&c->crt, buf, len, nocopy);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM) {
		fail("zt_mbed_parse_certs: unexpected errno", -1, -1, rc);
	}
	/* walk what was parsed, as verification and expiry do */
	for (const mbedtls_x509_crt *p = &c->crt; p != NULL; p = p->next) {
		(void)p->valid_to.year;
	}
	c->keep[c->nkeep++] = buf; /* freed after the chain */
}

static void op_parse_key(struct fz_in *in, unsigned how)
{
	mbedtls_pk_context pk;
	size_t len;
	int rc;
	uint8_t *buf = payload(in, how, &len);

	if (buf == NULL) {
		return;
	}
	mbedtls_pk_init(&pk);
	rc = zt_mbed_parse_key(&pk, buf, len);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM && rc != -EIO) {
		fail("zt_mbed_parse_key: unexpected errno", -1, -1, rc);
	}
	mbedtls_pk_free(&pk);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct chain c = {.nkeep = 0};

	(void)zt_eng_global_init();
	mbedtls_x509_crt_init(&c.crt);
	for (int i = 0; i < MAX_OPS && in.n > 0; i++) {
		uint8_t op = fz_u8(&in);
		int tagi = (op >> 3) & 3;
		unsigned how = op >> 5;

		switch (op & 7) {
		case 0:
			op_add(&in, tagi, how);
			break;
		case 1:
			op_get(&in, tagi);
			break;
		case 2:
			op_delete(&in, tagi);
			break;
		case 3:
			op_expiry(&in, tagi);
			break;
		case 4:
			op_check(&in, how);
			break;
		case 5:
			op_cert_expiry(&in, how);
			break;
		case 6:
			op_parse_certs(&in, how, &c);
			break;
		default:
			op_parse_key(&in, how);
			break;
		}
	}
	chain_reset(&c);
	mbedtls_x509_crt_free(&c.crt);
	for (int t = 0; t < TAGS; t++) {
		for (int ty = 0; ty < TYPES; ty++) {
			(void)tls_credential_delete(TAG0 + t, (enum tls_credential_type)ty);
			free(store[t][ty].buf);
			store[t][ty] = (struct model){0};
		}
	}
	return 0;
}
