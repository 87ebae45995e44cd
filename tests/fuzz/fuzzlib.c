/*
 * Helpers of the fuzz targets and the seed generator (fuzzlib.h).
 */
#include "fuzzlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "engine/mbedtls/mbed.h"

#ifndef ZT_TEST_CERTS
#error "ZT_TEST_CERTS (path of tests/lib/certs) must be defined"
#endif

/*
 * Mbed TLS reads the clock with time() (MBEDTLS_HAVE_TIME without
 * MBEDTLS_PLATFORM_TIME_ALT): the first 4 bytes of a TLS 1.2 random, ticket
 * ages, certificate validity. A fuzz binary defines time() itself, so that
 * a recorded transcript replays into the same keys on any day. secsock's
 * own deadlines use clock_gettime() and are not affected.
 */
time_t time(time_t *tloc)
{
	if (tloc != NULL) {
		*tloc = FZ_TIME;
	}
	return FZ_TIME;
}

/* ---- input reader ---- */

uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

uint16_t fz_u16(struct fz_in *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

size_t fz_take(struct fz_in *in, size_t want, const uint8_t **out)
{
	size_t n = want < in->n ? want : in->n;

	*out = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

/* ---- deterministic RNG (splitmix64; fuzzing only, not cryptographic) ---- */

void fz_rng_reset(struct fz_rng *r)
{
	r->state = r->seed;
}

int fz_rng_fill(void *ctx, unsigned char *out, size_t len)
{
	struct fz_rng *r = ctx;

	while (len > 0) {
		uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
		size_t n = len < sizeof(z) ? len : sizeof(z);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		z ^= z >> 31;
		memcpy(out, &z, n);
		out += n;
		len -= n;
	}
	return 0;
}

/* ---- credentials ---- */

static const unsigned char fz_psk[16] = {0x5e, 0xc5, 0x0c, 0x4b, 0xf0, 0x22, 0x2f, 0x11,
					 0x7a, 0x33, 0x10, 0x9d, 0xc4, 0x51, 0xe8, 0x06};

unsigned char *fz_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		fprintf(stderr, "fuzz: cannot open %s\n", path);
		abort();
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (buf == NULL) {
				abort();
			}
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		if (got == 0) {
			break;
		}
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void add_file(sec_tag_t tag, enum tls_credential_type type, const char *name)
{
	char path[512];
	size_t len;
	unsigned char *buf;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", ZT_TEST_CERTS, name);
	buf = fz_read_file(path, &len);
	rc = tls_credential_add(tag, type, buf, len);
	free(buf);
	if (rc != 0 && rc != -EEXIST) {
		fprintf(stderr, "fuzz: tls_credential_add(%d, %s): %d\n", (int)tag, name, rc);
		abort();
	}
}

void fz_creds_init(void)
{
	static bool done;

	if (done) {
		return;
	}
	done = true;
	add_file(FZ_TAG_ECDSA, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	add_file(FZ_TAG_ECDSA, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	add_file(FZ_TAG_RSA, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server-rsa.pem");
	add_file(FZ_TAG_RSA, TLS_CREDENTIAL_PRIVATE_KEY, "server-rsa.key");
	add_file(FZ_TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	add_file(FZ_TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem");
	add_file(FZ_TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key");
	if (tls_credential_add(FZ_TAG_PSK, TLS_CREDENTIAL_PSK, fz_psk, sizeof(fz_psk)) < 0 ||
	    tls_credential_add(FZ_TAG_PSK, TLS_CREDENTIAL_PSK_ID, FZ_PSK_ID, strlen(FZ_PSK_ID)) <
		    0) {
		abort();
	}
}

/* ---- configuration variants ---- */

struct variant {
	const char *name;
	int proto;
	sec_tag_t tags[4];
	int suites[4]; /* 0-terminated; none: the engine's default list */
	int verify;    /* TLS_PEER_VERIFY_*, or -1: the engine's default */
	const char *alpn[3];
	bool cache;       /* TLS_SESSION_CACHE_ENABLED */
	bool psk_ke_only; /* TLS 1.3 without (EC)DHE: deterministic */
	const char *cid;  /* DTLS Connection ID (TLS_DTLS_CID_ENABLED) */
};

#define TLS12 .proto = IPPROTO_TLS_1_2
#define TLS13 .proto = IPPROTO_TLS_1_3
#define DTLS  .proto = IPPROTO_DTLS_1_2

/* Server credentials: an ECDSA and an RSA certificate, and a PSK. */
#define SERVER_TAGS .tags = {FZ_TAG_ECDSA, FZ_TAG_RSA, FZ_TAG_PSK}
#define VERIFY(v)   .verify = TLS_PEER_VERIFY_##v
#define SUITE(s)    .suites = {MBEDTLS_##s}

#define VERIFY_DEFAULT .verify = -1 /* the engine's (zt_opts_init) */

/*
 * Servers take whatever a client offers; each client variant is one fixed
 * ClientHello, so that the server's recorded answer matches it on replay.
 */

static const struct variant tls_server_variants[] = {
	{.name = "default", TLS12, SERVER_TAGS, VERIFY_DEFAULT, .alpn = {"h2", "http/1.1"}},
	{.name = "clientauth",
	 TLS12,
	 .tags = {FZ_TAG_ECDSA, FZ_TAG_RSA, FZ_TAG_PSK, FZ_TAG_CA},
	 VERIFY(REQUIRED)},
	{.name = "cache", TLS12, SERVER_TAGS, VERIFY_DEFAULT, .cache = true},
	{.name = "tls13only", TLS13, SERVER_TAGS, VERIFY_DEFAULT},
};

static const struct variant tls_client_variants[] = {
	{.name = "default", TLS12, .tags = {FZ_TAG_CA, FZ_TAG_PSK}, VERIFY(NONE)},
	{.name = "ecdhe-ecdsa-gcm",
	 TLS12,
	 .tags = {FZ_TAG_CA},
	 SUITE(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
	 VERIFY(NONE)},
	{.name = "rsa-cbc",
	 TLS12,
	 .tags = {FZ_TAG_CA},
	 SUITE(TLS_RSA_WITH_AES_128_CBC_SHA256),
	 VERIFY(NONE)},
	{.name = "psk-gcm-alpn",
	 TLS12,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS_PSK_WITH_AES_128_GCM_SHA256),
	 VERIFY(NONE),
	 .alpn = {"http/1.1"}},
	{.name = "tls13-psk-ticket",
	 TLS13,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS1_3_AES_128_GCM_SHA256),
	 VERIFY(NONE),
	 .alpn = {"http/1.1"},
	 .cache = true,
	 .psk_ke_only = true},
	{.name = "ecdhe-chacha-clientcert",
	 TLS12,
	 .tags = {FZ_TAG_CLIENT, FZ_TAG_CA},
	 SUITE(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
	 VERIFY(OPTIONAL)},
	{.name = "ecdhe-psk-cbc-ticket",
	 TLS12,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256),
	 VERIFY(NONE),
	 .cache = true},
	{.name = "tls13-psk-chacha",
	 TLS13,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS1_3_CHACHA20_POLY1305_SHA256),
	 VERIFY(NONE),
	 .psk_ke_only = true},
};

static const struct variant dtls_server_variants[] = {
	{.name = "default", DTLS, SERVER_TAGS, VERIFY_DEFAULT},
	{.name = "cid", DTLS, SERVER_TAGS, VERIFY_DEFAULT, .cid = "fzsC"},
	{.name = "clientauth",
	 DTLS,
	 .tags = {FZ_TAG_ECDSA, FZ_TAG_RSA, FZ_TAG_PSK, FZ_TAG_CA},
	 VERIFY(REQUIRED)},
};

static const struct variant dtls_client_variants[] = {
	{.name = "ecdhe-ecdsa-ccm8",
	 DTLS,
	 .tags = {FZ_TAG_CA},
	 SUITE(TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8),
	 VERIFY(NONE)},
	{.name = "psk-ccm-cid",
	 DTLS,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS_PSK_WITH_AES_128_CCM),
	 VERIFY(NONE),
	 .cid = "fzcC"},
	{.name = "ecdhe-rsa-cbc-clientcert",
	 DTLS,
	 .tags = {FZ_TAG_CLIENT, FZ_TAG_CA},
	 SUITE(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256),
	 VERIFY(OPTIONAL)},
	{.name = "ecdhe-psk-chacha",
	 DTLS,
	 .tags = {FZ_TAG_PSK},
	 SUITE(TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256),
	 VERIFY(NONE)},
};

static const struct {
	const struct variant *v;
	unsigned count;
	bool server;
} roles[FZ_ROLES] = {
	[FZ_TLS_SERVER] = {tls_server_variants, ZT_ARRAY_SIZE(tls_server_variants), true},
	[FZ_TLS_CLIENT] = {tls_client_variants, ZT_ARRAY_SIZE(tls_client_variants), false},
	[FZ_DTLS_SERVER] = {dtls_server_variants, ZT_ARRAY_SIZE(dtls_server_variants), true},
	[FZ_DTLS_CLIENT] = {dtls_client_variants, ZT_ARRAY_SIZE(dtls_client_variants), false},
};

unsigned fz_variant_count(enum fz_role role)
{
	return roles[role].count;
}

/* DTLS cookies: a function of the client's transport id, no secret, no clock. */
#define FZ_COOKIE_LEN 16

static void cookie_of(unsigned char out[FZ_COOKIE_LEN], const unsigned char *id, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h = (h ^ id[i]) * 0x100000001b3ull;
	}
	memcpy(out, "fzck", 4);
	memcpy(out + 4, &h, sizeof(h));
	memcpy(out + 12, "ckzf", 4);
}

static int cookie_write(void *ctx, unsigned char **p, unsigned char *end, const unsigned char *id,
			size_t len)
{
	(void)ctx;
	if (end - *p < FZ_COOKIE_LEN) {
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	}
	cookie_of(*p, id, len);
	*p += FZ_COOKIE_LEN;
	return 0;
}

static int cookie_check(void *ctx, const unsigned char *cookie, size_t clen,
			const unsigned char *id, size_t len)
{
	unsigned char want[FZ_COOKIE_LEN];

	(void)ctx;
	cookie_of(want, id, len);
	return clen == FZ_COOKIE_LEN && memcmp(cookie, want, FZ_COOKIE_LEN) == 0 ? 0 : -1;
}

static struct fz_conf *confs[FZ_ROLES][FZ_VARIANTS];

struct fz_conf *fz_conf_get(enum fz_role role, unsigned variant)
{
	const struct variant *v;
	struct fz_conf *fc;
	int rc, n;

	variant %= roles[role].count;
	if (confs[role][variant] != NULL) {
		return confs[role][variant];
	}
	v = &roles[role].v[variant];
	fz_creds_init();
	fc = calloc(1, sizeof(*fc));
	if (fc == NULL) {
		abort();
	}
	fc->server = roles[role].server;
	fc->dgram = v->proto == IPPROTO_DTLS_1_2;
	fc->name = v->name;
	fc->rng.seed = 0x5ec50c0000000000ull | (uint64_t)role << 8 | variant;
	fz_rng_reset(&fc->rng);

	zt_opts_init(&fc->opts);
	for (n = 0; n < 4 && v->tags[n] != 0; n++) {
		fc->opts.sec_tags[n] = v->tags[n];
	}
	fc->opts.sec_tag_count = n;
	for (n = 0; n < 4 && v->suites[n] != 0; n++) {
		fc->suites[n] = v->suites[n];
	}
	fc->suites[n] = 0;
	fc->opts.ciphersuites = n > 0 ? fc->suites : NULL;
	fc->opts.ciphersuite_count = n;
	fc->opts.peer_verify = v->verify;
	for (n = 0; n < 2 && v->alpn[n] != NULL; n++) {
		fc->opts.alpn[n] = v->alpn[n];
	}
	fc->opts.alpn[n] = NULL;
	fc->opts.alpn_count = n;
	fc->opts.session_cache = v->cache ? TLS_SESSION_CACHE_ENABLED : TLS_SESSION_CACHE_DISABLED;
	if (fc->dgram) {
		fc->opts.dtls_role = fc->server ? TLS_DTLS_ROLE_SERVER : TLS_DTLS_ROLE_CLIENT;
	}
	if (v->cid != NULL) {
		fc->opts.dtls_cid = TLS_DTLS_CID_ENABLED;
		fc->opts.cid_len = strlen(v->cid);
		memcpy(fc->opts.cid, v->cid, fc->opts.cid_len);
		fc->opts.cid_set = true;
	}
	if (!fc->server) {
		/* TLS_HOSTNAME set to NULL: no name check, no SNI */
		fc->opts.hostname = NULL;
		fc->opts.hostname_set = true;
	}

	rc = zt_sock_conf_build(&fc->opts, v->proto, fc->server, &fc->conf);
	if (rc < 0) {
		fprintf(stderr, "fuzz: zt_sock_conf_build(%s): %d\n", v->name, rc);
		abort();
	}
	/* determinism (fuzzlib.h); the config is private to the fuzz binary */
	mbedtls_ssl_conf_rng(&fc->conf->ssl, fz_rng_fill, &fc->rng);
	if (v->psk_ke_only) {
		mbedtls_ssl_conf_tls13_key_exchange_modes(&fc->conf->ssl,
							  MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK);
	}
	if (fc->dgram && fc->server) {
		mbedtls_ssl_conf_dtls_cookies(&fc->conf->ssl, cookie_write, cookie_check, NULL);
	}
	confs[role][variant] = fc;
	return fc;
}

#define FZ_PEER_ID "fuzz-peer"

int fz_session_begin(struct fz_conf *fc, const struct zt_eng_io *io, struct zt_eng **out)
{
	struct zt_eng_sess_cfg sc = {.name_rule = ZT_NAME_NONE}; /* TLS_HOSTNAME NULL */

	fz_rng_reset(&fc->rng);
	if (fc->opts.dtls_cid == TLS_DTLS_CID_ENABLED) {
		sc.own_cid = fc->opts.cid;
		sc.own_cid_len = fc->opts.cid_len;
	}
	if (fc->dgram && fc->server) {
		sc.peer_id = FZ_PEER_ID;
		sc.peer_id_len = strlen(FZ_PEER_ID);
	} else if (!fc->server && fc->opts.session_cache == TLS_SESSION_CACHE_ENABLED) {
		sc.cache_key = FZ_PEER_ID;
		sc.cache_key_len = strlen(FZ_PEER_ID);
	}
	return zt_eng_new(out, fc->conf, io, &sc);
}

void fz_session_end(struct zt_eng *e)
{
	zt_eng_free(e);
	zt_eng_cache_purge();
}

/* ---- transports ---- */

size_t fz_chunk_size(uint8_t ctrl)
{
	static const size_t sizes[8] = {0, 1, 2, 5, 13, 64, 301, 1400};

	return sizes[ctrl & 7];
}

void fz_feed_init(struct fz_feed *f, uint8_t ctrl, const uint8_t *data, size_t len, bool dgram)
{
	memset(f, 0, sizeof(*f));
	f->data = data;
	f->len = len;
	f->dgram = dgram;
	f->chunk = fz_chunk_size(ctrl);
	f->stutter = (ctrl & 0x08) != 0;
	f->eof_at_end = !dgram && (ctrl & 0x10) != 0;
}

bool fz_feed_done(const struct fz_feed *f)
{
	return f->off >= f->len;
}

ssize_t fz_feed_recv(void *ctx, void *buf, size_t len)
{
	struct fz_feed *f = ctx;
	size_t n;

	if (f->stutter && (f->rx_toggle = !f->rx_toggle)) {
		return -EAGAIN;
	}
	if (fz_feed_done(f)) {
		f->starved = true;
		return f->eof_at_end ? 0 : -EAGAIN;
	}
	if (f->dgram) {
		size_t left = f->len - f->off;
		size_t dlen;

		if (left < 2) {
			f->off = f->len;
			f->starved = true;
			return -EAGAIN;
		}
		dlen = (size_t)f->data[f->off] << 8 | f->data[f->off + 1];
		if (dlen > left - 2) {
			dlen = left - 2;
		}
		n = dlen < len ? dlen : len; /* a datagram too big for the buffer is cut */
		memcpy(buf, f->data + f->off + 2, n);
		f->off += 2 + dlen;
		return (ssize_t)n;
	}
	n = f->len - f->off;
	if (n > len) {
		n = len;
	}
	if (f->chunk != 0 && n > f->chunk) {
		n = f->chunk;
	}
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

ssize_t fz_feed_send(void *ctx, const void *buf, size_t len)
{
	struct fz_feed *f = ctx;

	(void)buf;
	if (f->stutter && (f->tx_toggle = !f->tx_toggle)) {
		return -EAGAIN;
	}
	f->sent += len;
	return (ssize_t)len;
}

bool fz_strict(void)
{
	static int v = -1;

	if (v < 0) {
		const char *s = getenv("FUZZ_STRICT");

		/* on unless FUZZ_STRICT=0: the engine's own invariants hold */
		v = s == NULL || (s[0] != '\0' && s[0] != '0');
	}
	return v != 0;
}

bool fz_verbose(void)
{
	static int v = -1;

	if (v < 0) {
		const char *s = getenv("FUZZ_VERBOSE");

		v = s != NULL && s[0] != '\0' && s[0] != '0';
	}
	return v != 0;
}

/* ---- the engine targets ---- */

static const char *role_name(enum fz_role role)
{
	static const char *const names[FZ_ROLES] = {"tls_server", "tls_client", "dtls_server",
						    "dtls_client"};

	return names[role];
}

/* After the handshake: every getter a socket option or poll() may call. */
static void query(struct zt_eng *e)
{
	unsigned char buf[2048];
	struct zt_eng_status st;

	for (int what = ZT_INFO_SUITE; what <= ZT_INFO_FAILURE; what++) {
		size_t len = sizeof(buf);

		(void)zt_eng_info(e, (enum zt_eng_info)what, buf, &len);
	}
	zt_eng_status(e, &st);
}

/* Read sizes cycle through these: one byte, a short read, a whole record. */
static size_t read_size(unsigned step)
{
	static const size_t sizes[] = {1, 100, 17000};

	return sizes[step % ZT_ARRAY_SIZE(sizes)];
}

/*
 * Write as an echo server or a client with a request would, whenever a read
 * would block (at most 4 times a session). The sink takes everything, so a
 * live session must take the write (checked with FUZZ_STRICT).
 */
static void answer(struct zt_eng *e, unsigned *writes)
{
	ssize_t w;

	if (*writes >= 4) {
		return;
	}
	(*writes)++;
	w = zt_eng_write(e, "pong", 4);
	if (w > 0) {
		(void)zt_eng_flush(e);
	} else if (w != -EAGAIN && fz_strict()) {
		fprintf(stderr, "zt_eng_write on a live session: %zd\n", w);
		abort();
	}
}

static int run_stream(struct zt_eng *e, struct fz_feed *f, size_t limit, unsigned char *buf,
		      size_t *got, ssize_t *end)
{
	int rc = -EAGAIN;
	ssize_t n = -EAGAIN;
	unsigned writes = 0;
	size_t steps;

	for (steps = 0; steps < limit; steps++) {
		rc = zt_eng_handshake(e);
		if (rc != -EAGAIN || f->starved) {
			break;
		}
	}
	*end = rc;
	if (rc != 0) {
		return 0;
	}
	query(e);
	for (steps = 0; steps < limit; steps++) {
		/* poll()'s data check, then recv(), as the socket layer does */
		int chk = zt_eng_data_check(e);

		if (chk == 0 || (chk < 0 && chk != -EAGAIN)) {
			n = chk;
			break;
		}
		if (chk == -EAGAIN) {
			answer(e, &writes);
		}
		n = zt_eng_read(e, buf, read_size((unsigned)steps), NULL);
		if (n > 0) {
			*got += (size_t)n;
			continue;
		}
		if (n != -EAGAIN || f->starved) {
			break;
		}
		answer(e, &writes);
	}
	*end = n;
	if (n == -EAGAIN) {
		answer(e, &writes);
	}
	struct zt_eng_status st;

	zt_eng_status(e, &st);
	if (n == 0 && st.eof_truncated && !(f->eof_at_end && f->starved) && fz_strict()) {
		/* "EOF without close_notify", but the transport never said EOF */
		fprintf(stderr, "zt_eng_read: EOF reported, the transport is open\n");
		abort();
	}
	query(e);
	zt_eng_close_notify(e);
	return *got > 0 ? 2 : 1;
}

static int run_dgram(struct zt_eng *e, struct fz_feed *f, size_t limit, unsigned char *buf,
		     size_t *got, ssize_t *end)
{
	bool open = false;
	int resets = 0, result = 0;
	ssize_t n = -EAGAIN;

	for (size_t steps = 0; steps < limit; steps++) {
		if (!open) {
			n = zt_eng_handshake(e);
			if (n == 1 || (n == -EAGAIN && !f->starved)) {
				continue; /* HelloVerifyRequest sent, or more to read */
			}
			if (n != 0) {
				break;
			}
			open = true;
			result = result > 1 ? result : 1;
			query(e);
			continue;
		}
		if (!fz_feed_done(f) && f->len - f->off >= 2) {
			/* the server's CID matching of a datagram from a new address */
			const uint8_t *d = f->data + f->off + 2;
			size_t len = (size_t)d[-2] << 8 | d[-1];
			unsigned char *work;

			if (len > f->len - f->off - 2) {
				len = f->len - f->off - 2;
			}
			work = malloc(len ? len : 1);
			if (work != NULL) {
				(void)zt_eng_record_matches(e, d, len, work);
				free(work);
			}
		}
		if (steps % 2 == 0) {
			struct zt_eng_status st;

			n = zt_eng_data_check(e);
			zt_eng_status(e, &st);
			if (n == 0) {
				break; /* close_notify */
			}
		} else {
			size_t full = 0;

			n = zt_eng_read(e, buf, read_size((unsigned)steps / 2), &full);
			if (n > 0) {
				*got += (size_t)n;
				result = 2;
			}
			if (n == 0 && full == 0) {
				break; /* close_notify */
			}
		}
		if (n >= 0) {
			continue;
		}
		if (n == -EAGAIN && !f->starved) {
			continue;
		}
		if (n == -ECONNRESET && resets++ < 4) {
			open = false; /* the client started over from the same address */
			continue;
		}
		break;
	}
	*end = n;
	if (open && n == -EAGAIN) {
		unsigned writes = 0;

		answer(e, &writes);
		zt_eng_close_notify(e);
	}
	return result;
}

int fz_run_session(enum fz_role role, const uint8_t *data, size_t size)
{
	static unsigned char buf[17000];
	struct fz_feed f;
	struct zt_eng_io io = {&f, fz_feed_send, fz_feed_recv};
	struct fz_conf *fc;
	struct zt_eng *e = NULL;
	size_t got = 0;
	ssize_t end = 0;
	int result, rc;

	if (size < 1) {
		return 0;
	}
	fc = fz_conf_get(role, data[0] >> 5);
	fz_feed_init(&f, data[0], data + 1, size - 1, fc->dgram);
	rc = fz_session_begin(fc, &io, &e);
	if (rc < 0) {
		fprintf(stderr, "fuzz: zt_eng_new: %d\n", rc);
		abort(); /* no input can cause this */
	}
	/* every step consumes input or toggles the stutter: bounded by the input */
	if (fc->dgram) {
		result = run_dgram(e, &f, 4 * size + 64, buf, &got, &end);
	} else {
		result = run_stream(e, &f, 4 * size + 64, buf, &got, &end);
	}
	if (fz_verbose()) {
		fprintf(stderr,
			"%s/%s: %s, %zu plaintext bytes, last %zd, %zu of %zu input bytes used\n",
			role_name(role), fc->name,
			result == 0   ? "handshake not done"
			: result == 1 ? "handshake done"
				      : "application data read",
			got, end, f.off, f.len);
	}
	fz_session_end(e);
	return result;
}
