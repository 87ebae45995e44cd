/*
 * Seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/):
 *  - tls_server, tls_client, dtls_server: a real client and a real server
 *    engine (the fuzz targets' own configurations, fuzzlib.c) talk over an
 *    in-memory link: handshake, a request, a two-record answer, close_notify.
 *    What the client sent seeds the server target and what the server sent
 *    seeds the client target, so the fuzzer starts past the first message.
 *    Each seed is replayed at once and the generator says how far it gets.
 *  - malformed variants of those (truncated, reordered, bit flips, bad
 *    lengths), and hand-built inputs for cred and sockopt.
 * usage: fuzz_gen_seeds OUTDIR   (normally tests/fuzz/corpus)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>

#include "fuzzlib.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			abort();
		}
	}
	if (n > 0) {
		memcpy(b->p + b->len, d, n);
	}
	b->len += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v) /* big-endian, as fz_u16 reads */
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xFFFF);
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){0};
}

static const char *outdir;
static int written;

static void write_seed(const char *target, const char *name, const void *d, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	(void)mkdir(outdir, 0755);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	written++;
}

/* ---- an in-memory link between two engines ---- */

struct end {
	struct buf *out; /* what this side sent: the recording, and the peer's input */
	struct buf *in;
	size_t in_off;
	bool dgram;
};

static ssize_t end_send(void *ctx, const void *d, size_t n)
{
	struct end *e = ctx;

	if (e->dgram) {
		put16(e->out, (unsigned)n);
	}
	put(e->out, d, n);
	return (ssize_t)n;
}

static ssize_t end_recv(void *ctx, void *d, size_t n)
{
	struct end *e = ctx;
	size_t avail = e->in->len - e->in_off;

	if (avail == 0) {
		return -EAGAIN;
	}
	if (e->dgram) {
		size_t dlen = (size_t)e->in->p[e->in_off] << 8 | e->in->p[e->in_off + 1];
		size_t c = dlen < n ? dlen : n;

		memcpy(d, e->in->p + e->in_off + 2, c);
		e->in_off += 2 + dlen;
		return (ssize_t)c;
	}
	if (n > avail) {
		n = avail;
	}
	memcpy(d, e->in->p + e->in_off, n);
	e->in_off += n;
	return (ssize_t)n;
}

static int handshake(struct zt_eng *e, bool dgram)
{
	(void)dgram; /* one handshake call for TLS and DTLS */
	return zt_eng_handshake(e);
}

static void write_all(struct zt_eng *e, const void *d, size_t n, const char *who)
{
	const uint8_t *p = d;

	while (n > 0) {
		ssize_t w = zt_eng_write(e, p, n);

		if (w <= 0) {
			fprintf(stderr, "gen_seeds: %s write: %zd\n", who, w);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
	(void)zt_eng_flush(e);
}

static size_t drain(struct zt_eng *e, bool dgram)
{
	static unsigned char sink[17000];
	size_t total = 0;

	for (int i = 0; i < 100; i++) {
		size_t full = 0;
		ssize_t n = zt_eng_read(e, sink, sizeof(sink), &full);

		(void)dgram;

		if (n <= 0) {
			break;
		}
		total += (size_t)n;
	}
	return total;
}

/* One conversation; c2s / s2c get what each side sent. Returns true if the handshake finished. */
/* Two zero-length application data records (RFC 5246 6.2.1, RFC 8446 5.1 allow them). */
static void write_empty(struct zt_eng *e)
{
	for (int i = 0; i < 2; i++) {
		ssize_t w = zt_eng_write(e, "", 0);

		if (w < 0) {
			fprintf(stderr, "gen_seeds: empty record: %zd\n", w);
		}
	}
	(void)zt_eng_flush(e);
}

static bool converse(struct fz_conf *cc, struct fz_conf *sc, struct buf *c2s, struct buf *s2c,
		     size_t *s2c_handshake, bool empty_records)
{
	bool dgram = sc->dgram;
	struct end ce = {c2s, s2c, 0, dgram}, se = {s2c, c2s, 0, dgram};
	struct zt_eng_io cio = {&ce, end_send, end_recv}, sio = {&se, end_send, end_recv};
	struct zt_eng *cli, *srv;
	bool cdone = false, sdone = false;
	unsigned char body[5000];
	static const char req[] = "GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n";

	if (fz_session_begin(cc, &cio, &cli) < 0 || fz_session_begin(sc, &sio, &srv) < 0) {
		abort();
	}
	for (int i = 0; i < 200 && !(cdone && sdone); i++) {
		int rc;

		if (!cdone) {
			rc = handshake(cli, dgram);
			if (rc == 0) {
				cdone = true;
			} else if (rc != -EAGAIN) {
				break;
			}
		}
		if (!sdone) {
			rc = handshake(srv, dgram);
			if (rc == 0) {
				sdone = true;
			} else if (rc != -EAGAIN && rc != 1) {
				break;
			}
		}
	}
	*s2c_handshake = s2c->len; /* the server's handshake (and TLS 1.3 tickets) */
	if (cdone && sdone) {
		for (size_t i = 0; i < sizeof(body); i++) {
			body[i] = (unsigned char)('a' + i % 26);
		}
		write_all(cli, req, sizeof(req) - 1, "client request");
		drain(srv, dgram);
		if (empty_records) {
			write_empty(srv);
		}
		write_all(srv, body, sizeof(body), "server answer"); /* more than one record */
		drain(cli, dgram);
		if (empty_records) {
			write_empty(cli);
		}
		write_all(cli, "bye", 3, "client bye");
		drain(srv, dgram);
		zt_eng_close_notify(cli);
		drain(srv, dgram);
		zt_eng_close_notify(srv);
		drain(cli, dgram);
	} else {
		/* let the failing side's alert reach the other one */
		drain(cli, dgram);
		drain(srv, dgram);
	}
	fz_session_end(cli);
	fz_session_end(srv);
	return cdone && sdone;
}

static const char *const how_far[] = {"handshake not done", "handshake done",
				      "application data read"};

/* Write ctrl + body as a seed of @p role's target and say how far a replay gets. */
static int seed(enum fz_role role, const char *name, uint8_t ctrl, const struct buf *body)
{
	static const char *const dirs[] = {"tls_server", "tls_client", "dtls_server", NULL};
	struct buf b = {0};
	int r;

	put8(&b, ctrl);
	put(&b, body->p, body->len);
	write_seed(dirs[role], name, b.p, b.len);
	r = fz_run_session(role, b.p, b.len);
	printf("  %-12s %-40s %5zu bytes: %s\n", dirs[role], name, b.len, how_far[r]);
	buf_free(&b);
	return r;
}

struct pair {
	const char *name;
	unsigned server, client; /* variants (fuzzlib.c) */
	bool chunked;            /* also write 1-byte / stutter / EOF versions */
	bool empty_records;      /* each side sends two empty records before its data */
};

#define PAIR(n, s, c, ...)                                                                         \
	{                                                                                          \
		.name = (n), .server = (s), .client = (c), __VA_ARGS__                             \
	}

static const struct pair tls_pairs[] = {
	PAIR("tls13-ecdhe-default", 0, 0),
	PAIR("tls12-ecdhe-ecdsa-gcm", 0, 1, .chunked = true),
	PAIR("tls12-rsa-cbc", 0, 2),
	PAIR("tls12-psk-gcm-alpn", 0, 3, .chunked = true),
	PAIR("tls12-clientcert", 1, 5),
	PAIR("tls12-ecdhe-psk-ticket", 2, 6),
	PAIR("tls13-psk-ticket", 2, 4, .chunked = true),
	PAIR("tls13only-psk-chacha", 3, 7),
	PAIR("tls13only-ecdhe-default", 3, 0),
	PAIR("tls12-clientauth-nocert", 1, 1),
	PAIR("tls12-psk-gcm-empty-records", 0, 3, .empty_records = true),
	PAIR("tls13only-psk-chacha-empty-records", 3, 7, .empty_records = true),
};

static const struct pair dtls_pairs[] = {
	PAIR("dtls-ecdhe-ecdsa-ccm8", 0, 0, .chunked = true),
	PAIR("dtls-psk-ccm-cid", 1, 1),
	PAIR("dtls-clientcert-cbc", 2, 2),
	PAIR("dtls-ecdhe-psk-chacha", 0, 3),
	PAIR("dtls-psk-ccm-empty-records", 1, 1, .empty_records = true),
};

/* Transcripts kept for the malformed seeds. */
static struct buf keep_c2s, keep_s2c, keep_dtls, keep_dtls_cid;

static void gen_engine_seeds(void)
{
	char name[128];

	printf("engine transcripts:\n");
	for (size_t i = 0; i < ZT_ARRAY_SIZE(tls_pairs); i++) {
		const struct pair *p = &tls_pairs[i];
		struct buf c2s = {0}, s2c = {0};
		size_t hs_len;
		bool ok = converse(fz_conf_get(FZ_TLS_CLIENT, p->client),
				   fz_conf_get(FZ_TLS_SERVER, p->server), &c2s, &s2c, &hs_len,
				   p->empty_records);

		if (!ok) {
			printf("  (%s: the handshake fails)\n", p->name);
		}
		snprintf(name, sizeof(name), "gen-%s", p->name);
		seed(FZ_TLS_SERVER, name, FZ_CTRL(p->server, 0, 0, 0), &c2s);
		seed(FZ_TLS_CLIENT, name, FZ_CTRL(p->client, 0, 0, 0), &s2c);
		if (p->chunked) {
			snprintf(name, sizeof(name), "gen-%s-chunk1-stutter", p->name);
			seed(FZ_TLS_SERVER, name, FZ_CTRL(p->server, 1, 1, 0), &c2s);
			seed(FZ_TLS_CLIENT, name, FZ_CTRL(p->client, 1, 1, 0), &s2c);
			snprintf(name, sizeof(name), "gen-%s-chunk13-eof", p->name);
			seed(FZ_TLS_SERVER, name, FZ_CTRL(p->server, 4, 0, 1), &c2s);
			seed(FZ_TLS_CLIENT, name, FZ_CTRL(p->client, 4, 0, 1), &s2c);
			/* the session stays open with nothing more to read */
			struct buf hs = {0};

			put(&hs, s2c.p, hs_len);
			snprintf(name, sizeof(name), "gen-%s-handshake-only", p->name);
			seed(FZ_TLS_CLIENT, name, FZ_CTRL(p->client, 0, 0, 0), &hs);
			buf_free(&hs);
		}
		if (i == 1) {
			keep_c2s = c2s;
			keep_s2c = s2c;
		} else {
			buf_free(&c2s);
			buf_free(&s2c);
		}
	}
	for (size_t i = 0; i < ZT_ARRAY_SIZE(dtls_pairs); i++) {
		const struct pair *p = &dtls_pairs[i];
		struct buf c2s = {0}, s2c = {0};
		size_t hs_len;

		if (!converse(fz_conf_get(FZ_DTLS_CLIENT, p->client),
			      fz_conf_get(FZ_DTLS_SERVER, p->server), &c2s, &s2c, &hs_len,
			      p->empty_records)) {
			printf("  (%s: handshake fails)\n", p->name);
		}
		snprintf(name, sizeof(name), "gen-%s", p->name);
		seed(FZ_DTLS_SERVER, name, FZ_CTRL(p->server, 0, 0, 0), &c2s);
		if (p->chunked) {
			snprintf(name, sizeof(name), "gen-%s-stutter", p->name);
			seed(FZ_DTLS_SERVER, name, FZ_CTRL(p->server, 0, 1, 0), &c2s);
		}
		if (i == 0) {
			keep_dtls = c2s;
		} else if (i == 1) {
			keep_dtls_cid = c2s;
		} else {
			buf_free(&c2s);
		}
		buf_free(&s2c);
	}
}

/* ---- malformed engine inputs ---- */

static void raw_seed(enum fz_role role, const char *name, uint8_t ctrl, const void *d, size_t n)
{
	struct buf b = {0};

	put(&b, d, n);
	seed(role, name, ctrl, &b);
	buf_free(&b);
}

/* Byte @p at of @p src flipped (wrapped into range). */
static void flipped(enum fz_role role, const char *name, uint8_t ctrl, const struct buf *src,
		    size_t at, uint8_t mask)
{
	struct buf b = {0};

	put(&b, src->p, src->len);
	if (b.len > 0) {
		b.p[at % b.len] ^= mask;
	}
	seed(role, name, ctrl, &b);
	buf_free(&b);
}

/* Offset of the first TLS record after the first ChangeCipherSpec (the Finished). */
static size_t after_ccs(const struct buf *t)
{
	bool ccs = false;

	for (size_t off = 0; off + 5 <= t->len;) {
		size_t len = (size_t)t->p[off + 3] << 8 | t->p[off + 4];

		if (ccs) {
			return off;
		}
		ccs = t->p[off] == 0x14;
		off += 5 + len;
	}
	return t->len / 2;
}

static void gen_malformed_tls(void)
{
	static const uint8_t huge_len[] = {0x16, 0x03, 0x03, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x10};
	static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00,
					0x00, 0x10, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x00,
					0x00, 0x0a, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t hs_len[] = {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0xFF,
					 0xFF, 0xFF, 0x03, 0x03, 0x00, 0x00};
	static const uint8_t empty_hs[] = {0x16, 0x03, 0x03, 0x00, 0x00};
	struct buf b = {0};
	const struct buf *c2s = &keep_c2s, *s2c = &keep_s2c;

	printf("malformed:\n");
	raw_seed(FZ_TLS_SERVER, "mal-record-len-ffff", 0, huge_len, sizeof(huge_len));
	raw_seed(FZ_TLS_SERVER, "mal-sslv2-hello", 0, sslv2, sizeof(sslv2));
	raw_seed(FZ_TLS_SERVER, "mal-alert-first", 0, alert, sizeof(alert));
	raw_seed(FZ_TLS_SERVER, "mal-appdata-first", 0, appdata, sizeof(appdata));
	raw_seed(FZ_TLS_SERVER, "mal-hs-len-ffffff", 0, hs_len, sizeof(hs_len));
	raw_seed(FZ_TLS_SERVER, "mal-empty-handshake-record", 0, empty_hs, sizeof(empty_hs));
	raw_seed(FZ_TLS_SERVER, "mal-truncated-client-hello", 0, c2s->p,
		 c2s->len < 60 ? c2s->len : 60);
	/* ChangeCipherSpec before the ClientHello */
	put(&b, "\x14\x03\x03\x00\x01\x01", 6);
	put(&b, c2s->p, c2s->len);
	raw_seed(FZ_TLS_SERVER, "mal-ccs-first", 0, b.p, b.len);
	buf_free(&b);
	/* the ClientHello twice */
	put(&b, c2s->p, c2s->len);
	put(&b, c2s->p, c2s->len);
	raw_seed(FZ_TLS_SERVER, "mal-transcript-twice", FZ_CTRL(0, 0, 0, 0), b.p, b.len);
	buf_free(&b);
	flipped(FZ_TLS_SERVER, "mal-flip-client-hello", FZ_CTRL(0, 0, 0, 0), c2s, 50, 0x40);
	flipped(FZ_TLS_SERVER, "mal-flip-finished", FZ_CTRL(0, 0, 0, 0), c2s, after_ccs(c2s) + 10,
		0x01);
	flipped(FZ_TLS_SERVER, "mal-flip-last-record", FZ_CTRL(0, 0, 0, 0), c2s, c2s->len - 20,
		0x01);

	raw_seed(FZ_TLS_CLIENT, "mal-alert-first", FZ_CTRL(1, 0, 0, 0), alert, sizeof(alert));
	raw_seed(FZ_TLS_CLIENT, "mal-record-len-ffff", FZ_CTRL(1, 0, 0, 0), huge_len,
		 sizeof(huge_len));
	raw_seed(FZ_TLS_CLIENT, "mal-truncated-server-flight", FZ_CTRL(1, 0, 0, 0), s2c->p,
		 s2c->len < 300 ? s2c->len : 300);
	flipped(FZ_TLS_CLIENT, "mal-flip-server-hello", FZ_CTRL(1, 0, 0, 0), s2c, 45, 0x80);
	flipped(FZ_TLS_CLIENT, "mal-flip-certificate", FZ_CTRL(1, 0, 0, 0), s2c, 200, 0x10);
	flipped(FZ_TLS_CLIENT, "mal-flip-finished", FZ_CTRL(1, 0, 0, 0), s2c, after_ccs(s2c) + 10,
		0x01);
	flipped(FZ_TLS_CLIENT, "mal-flip-app-data", FZ_CTRL(1, 0, 0, 0), s2c, s2c->len - 100, 0x02);
}

static void gen_malformed_dtls(void)
{
	const struct buf *d = &keep_dtls;
	size_t first = d->len >= 2 ? 2 + ((size_t)d->p[0] << 8 | d->p[1]) : 0;
	struct buf b = {0};
	static const uint8_t epoch1[] = {0x00, 0x15, 0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 1,
					 2,    3,    4,    5,    6,    7,    8};
	static const uint8_t cid_rec[] = {0x00, 0x15, 0x19, 0xfe, 0xfd, 0x00, 0x01, 0x00,
					  0x00, 0x00, 0x00, 0x00, 0x05, 'f',  'z',  's',
					  'C',  0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};

	raw_seed(FZ_DTLS_SERVER, "mal-epoch1-first", 0, epoch1, sizeof(epoch1));
	/* the handshake, then a CID record that does not authenticate, then the rest */
	size_t last = 0;

	for (size_t off = 0; off + 2 <= keep_dtls_cid.len;
	     off += 2 + ((size_t)keep_dtls_cid.p[off] << 8 | keep_dtls_cid.p[off + 1])) {
		last = off; /* the client's close_notify */
	}
	put(&b, keep_dtls_cid.p, last);
	put(&b, cid_rec, sizeof(cid_rec));
	put(&b, keep_dtls_cid.p + last, keep_dtls_cid.len - last);
	raw_seed(FZ_DTLS_SERVER, "mal-cid-garbage-after-handshake", FZ_CTRL(1, 0, 0, 0), b.p,
		 b.len);
	buf_free(&b);
	if (first == 0 || first > d->len) {
		return;
	}
	/* the first ClientHello twice in one datagram */
	put16(&b, (unsigned)(2 * (first - 2)));
	put(&b, d->p + 2, first - 2);
	put(&b, d->p + 2, first - 2);
	put(&b, d->p + first, d->len - first);
	raw_seed(FZ_DTLS_SERVER, "mal-two-hellos-one-datagram", 0, b.p, b.len);
	buf_free(&b);
	/* the ClientHello cut short, and with its length field over the datagram */
	put16(&b, (unsigned)(first - 2) / 2);
	put(&b, d->p + 2, (first - 2) / 2);
	raw_seed(FZ_DTLS_SERVER, "mal-truncated-client-hello", 0, b.p, b.len);
	buf_free(&b);
	put16(&b, 0xFFFF);
	put(&b, d->p + 2, first - 2);
	raw_seed(FZ_DTLS_SERVER, "mal-datagram-len-ffff", 0, b.p, b.len);
	buf_free(&b);
	/* ClientHello split into two handshake fragments (record 13 + handshake 12 bytes) */
	if (first - 2 > 13 + 12 + 20) {
		const uint8_t *r = d->p + 2;
		size_t body = first - 2 - 25, half = body / 2;

		for (int part = 0; part < 2; part++) {
			size_t off = part ? half : 0, len = part ? body - half : half;
			struct buf rec = {0};

			put(&rec, r, 11); /* type, version, epoch, sequence */
			put16(&rec, (unsigned)(12 + len));
			put(&rec, r + 13, 6); /* msg type, length, message_seq */
			put8(&rec, (unsigned)(off >> 16));
			put16(&rec, (unsigned)(off & 0xFFFF));
			put8(&rec, (unsigned)(len >> 16));
			put16(&rec, (unsigned)(len & 0xFFFF));
			put(&rec, r + 25 + off, len);
			put16(&b, (unsigned)rec.len);
			put(&b, rec.p, rec.len);
			buf_free(&rec);
		}
		put(&b, d->p + first, d->len - first);
		raw_seed(FZ_DTLS_SERVER, "mal-fragmented-client-hello", 0, b.p, b.len);
		buf_free(&b);
	}
	flipped(FZ_DTLS_SERVER, "mal-flip-late", 0, d, d->len - 30, 0x04);
}

/* ---- cred (fuzz_cred.c's op format) ---- */

static unsigned char *cert_file(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", ZT_TEST_CERTS, name);
	return fz_read_file(path, len);
}

enum {
	C_ADD,
	C_GET,
	C_DEL,
	C_EXPIRY,
	C_CHECK,
	C_CERT_EXPIRY,
	C_PARSE_CERTS,
	C_PARSE_KEY
};

static void c_op(struct buf *b, int kind, int tagi, int how)
{
	put8(b, (unsigned)(kind | tagi << 3 | how << 5));
}

static void c_payload(struct buf *b, const void *d, size_t n)
{
	put16(b, (unsigned)n);
	put(b, d, n);
}

static void gen_cred(void)
{
	static const struct {
		const char *file;
		int type; /* for add / check */
		int how;  /* payload wrapping (fuzz_cred.c) */
	} files[] = {
		{"server.pem", TLS_CREDENTIAL_PUBLIC_CERTIFICATE, 0},
		{"ca.pem", TLS_CREDENTIAL_CA_CERTIFICATE, 1},
		{"server-chain.pem", TLS_CREDENTIAL_CA_CERTIFICATE, 0},
		{"server.der", TLS_CREDENTIAL_PUBLIC_CERTIFICATE, 0},
		{"server.der", TLS_CREDENTIAL_PUBLIC_CERTIFICATE, 2}, /* DER as base64 PEM */
		{"ca.der", TLS_CREDENTIAL_CA_CERTIFICATE, 0},
		{"server-rsa.pem", TLS_CREDENTIAL_PUBLIC_CERTIFICATE, 7},
		{"server.key", TLS_CREDENTIAL_PRIVATE_KEY, 0},
		{"server.key.sec1.pem", TLS_CREDENTIAL_PRIVATE_KEY, 1},
		{"server.key.der", TLS_CREDENTIAL_PRIVATE_KEY, 0},
		{"server.key.der", TLS_CREDENTIAL_PRIVATE_KEY, 4}, /* SEC1 DER in EC armour */
		{"server-rsa.key.der", TLS_CREDENTIAL_PRIVATE_KEY, 3},
		{"server-rsa.key.pkcs1.pem", TLS_CREDENTIAL_PRIVATE_KEY, 0},
		{"server.key.encrypted.pem", TLS_CREDENTIAL_PRIVATE_KEY, 0},
		{"server.key.pkcs8.pem", TLS_CREDENTIAL_PRIVATE_KEY, 0},
	};
	char name[128];

	printf("cred:\n");
	for (size_t i = 0; i < ZT_ARRAY_SIZE(files); i++) {
		size_t len;
		unsigned char *d = cert_file(files[i].file, &len);
		bool key = files[i].type == TLS_CREDENTIAL_PRIVATE_KEY;
		struct buf b = {0};

		/* store round trip: add, get (exact, short, NULL), expiry, delete */
		c_op(&b, C_ADD, 1, files[i].how);
		put8(&b, (unsigned)files[i].type);
		c_payload(&b, d, len);
		c_op(&b, C_GET, 1, 0);
		put8(&b, (unsigned)files[i].type);
		put16(&b, 0x3FFF);
		c_op(&b, C_GET, 1, 0);
		put8(&b, (unsigned)files[i].type);
		put16(&b, 10);
		c_op(&b, C_EXPIRY, 1, 0);
		put8(&b, (unsigned)files[i].type);
		/* the parsers directly */
		c_op(&b, C_CHECK, 0, files[i].how);
		put8(&b, (unsigned)files[i].type);
		c_payload(&b, d, len);
		if (key) {
			c_op(&b, C_PARSE_KEY, 0, files[i].how);
			c_payload(&b, d, len);
		} else {
			c_op(&b, C_CERT_EXPIRY, 0, files[i].how);
			c_payload(&b, d, len);
			c_op(&b, C_PARSE_CERTS, 0, files[i].how);
			put8(&b, 1); /* nocopy */
			c_payload(&b, d, len);
			c_op(&b, C_PARSE_CERTS, 0, files[i].how);
			put8(&b, 0);
			c_payload(&b, d, len);
		}
		c_op(&b, C_DEL, 1, 0);
		put8(&b, (unsigned)files[i].type);
		snprintf(name, sizeof(name), "seed-%s-%d", files[i].file, files[i].how);
		write_seed("cred", name, b.p, b.len);
		buf_free(&b);
		free(d);
	}
	/* PSK pair, twice-added, zero-length, PSA key type, unknown type */
	{
		struct buf b = {0};

		c_op(&b, C_ADD, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_payload(&b, "0123456789abcdef", 16);
		c_op(&b, C_ADD, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK_ID);
		c_payload(&b, "identity", 8);
		c_op(&b, C_ADD, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_payload(&b, "again", 5);
		c_op(&b, C_ADD, 3, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_payload(&b, "", 0);
		c_op(&b, C_ADD, 3, 0);
		put8(&b, TLS_CREDENTIAL_PRIVATE_KEY_PSA);
		c_payload(&b, "\x00\x00\x00\x01", 4);
		c_op(&b, C_ADD, 3, 0);
		put8(&b, 7);
		c_payload(&b, "x", 1);
		c_op(&b, C_GET, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		put16(&b, 16);
		c_op(&b, C_GET, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK_ID);
		put16(&b, 0x8000 | 8);
		c_op(&b, C_EXPIRY, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_op(&b, C_DEL, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_op(&b, C_DEL, 2, 0);
		put8(&b, TLS_CREDENTIAL_PSK);
		c_op(&b, C_CHECK, 0, 0);
		put8(&b, TLS_CREDENTIAL_PSK_ID);
		c_payload(&b, "", 0);
		write_seed("cred", "seed-psk-and-errors", b.p, b.len);
		buf_free(&b);
	}
	/* PEM-looking prefixes with garbage bodies */
	{
		static const char *const pem[] = {
			"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			"-----BEGIN PRIVATE KEY-----\n====\n-----END PRIVATE KEY-----\n",
			"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: "
			"AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END EC PRIVATE "
			"KEY-----\n",
			"-----BEGIN RSA PRIVATE KEY-----\n",
			"-----BEGIN CERTIFICATE-----",
		};

		for (size_t i = 0; i < ZT_ARRAY_SIZE(pem); i++) {
			struct buf b = {0};

			c_op(&b, C_CHECK, 0, 0);
			put8(&b, TLS_CREDENTIAL_CA_CERTIFICATE);
			c_payload(&b, pem[i], strlen(pem[i]));
			c_op(&b, C_PARSE_KEY, 0, 1);
			c_payload(&b, pem[i], strlen(pem[i]));
			c_op(&b, C_PARSE_CERTS, 0, 1);
			put8(&b, 1);
			c_payload(&b, pem[i], strlen(pem[i]));
			snprintf(name, sizeof(name), "seed-pem-garbage-%zu", i);
			write_seed("cred", name, b.p, b.len);
			buf_free(&b);
		}
	}
}

/* ---- sockopt (fuzz_sockopt.c's op format) ---- */

/* op byte: bit 0 socket, bits 1-2 kind, bit 3 get, bits 4-5 optlen mode, 6 SOL_SOCKET, 7 NULL */
#define S_TLS     0x00
#define S_DTLS    0x01
#define K_SESSION 0x04
#define K_CRED    0x06
#define O_GET     0x08
#define O_SOCKET  0x40
#define O_NULL    0x80
#define L_MODE(m) ((m) << 4)

static void s_int(struct buf *b, int sock, int name, int32_t v)
{
	put8(b, (unsigned)sock);
	put8(b, (unsigned)name);
	put(b, &v, sizeof(v)); /* default values are raw bytes: host order */
}

static void s_get(struct buf *b, int sock, int flags, int name, unsigned len)
{
	put8(b, (unsigned)(sock | O_GET | flags | L_MODE(3)));
	put8(b, (unsigned)name);
	put16(b, len);
}

static void s_cred(struct buf *b, int tag, int type, const void *d, size_t n)
{
	put8(b, (unsigned)tag);
	put8(b, (unsigned)type);
	put16(b, (unsigned)n);
	put(b, d, n);
}

static void gen_sockopt(void)
{
	struct buf b = {0};
	size_t cert_len, key_len;
	unsigned char *cert = cert_file("server.pem", &cert_len);
	unsigned char *key = cert_file("server.key", &key_len);

	printf("sockopt:\n");
	/* 1: a TLS client and a DTLS server set up completely, then sessions and getters */
	put8(&b, 4);
	s_cred(&b, 0, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, cert, cert_len);
	s_cred(&b, 0, TLS_CREDENTIAL_PRIVATE_KEY, key, key_len);
	s_cred(&b, 1, TLS_CREDENTIAL_PSK, "0123456789abcdef", 16);
	s_cred(&b, 1, TLS_CREDENTIAL_PSK_ID, "id", 2);
	put8(&b, 0); /* IPv4, TLS 1.2 */
	/* TLS_SEC_TAG_LIST {1000, 1001, 904 (CA)} */
	put8(&b, S_TLS);
	put8(&b, TLS_SEC_TAG_LIST);
	put8(&b, 3);
	put8(&b, 0x00);
	put8(&b, 0x01);
	put8(&b, 0x80 + (FZ_TAG_CA - FZ_TAG_ECDSA + 2) % 5); /* sel % 5 == 3 */
	put8(&b, S_TLS);
	put8(&b, TLS_HOSTNAME);
	put16(&b, 9);
	put(&b, "localhost", 9);
	put8(&b, S_TLS);
	put8(&b, TLS_CIPHERSUITE_LIST);
	put8(&b, 3);
	put16(&b, 0);
	put16(&b, 1);
	put16(&b, 5);
	s_int(&b, S_TLS, TLS_PEER_VERIFY, TLS_PEER_VERIFY_OPTIONAL);
	put8(&b, S_TLS);
	put8(&b, TLS_ALPN_LIST);
	put8(&b, 2);
	put8(&b, 0x12); /* "h2" */
	put(&b, "h2", 2);
	put8(&b, 0x18); /* "http/1.1" */
	put(&b, "http/1.1", 8);
	s_int(&b, S_TLS, TLS_CERT_NOCOPY, TLS_CERT_NOCOPY_OPTIONAL);
	s_int(&b, S_TLS, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED);
	put8(&b, S_TLS);
	put8(&b, TLS_CERT_VERIFY_CALLBACK);
	put8(&b, 3);
	put8(&b, S_TLS | K_SESSION);
	put8(&b, 0); /* client */
	s_get(&b, S_TLS, 0, TLS_CIPHERSUITE_USED, 4);
	s_get(&b, S_TLS, 0, TLS_CERT_VERIFY_RESULT, 4);
	s_get(&b, S_TLS, 0, TLS_ALPN_LIST, 64);
	s_get(&b, S_TLS, 0, TLS_SEC_TAG_LIST, 64);
	s_get(&b, S_TLS, 0, TLS_CIPHERSUITE_LIST, 4096);
	put8(&b, S_TLS);
	put8(&b, TLS_HOSTNAME); /* on the live session */
	put16(&b, 11);
	put(&b, "example.org", 11);
	/* DTLS server with a CID */
	put8(&b, S_DTLS);
	put8(&b, TLS_SEC_TAG_LIST);
	put8(&b, 2);
	put8(&b, 0x00);
	put8(&b, 0x01);
	s_int(&b, S_DTLS, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER);
	s_int(&b, S_DTLS, TLS_DTLS_CID, TLS_DTLS_CID_ENABLED);
	put8(&b, S_DTLS);
	put8(&b, TLS_DTLS_CID_VALUE);
	put8(&b, 4);
	put(&b, "cid!", 4);
	put8(&b, S_DTLS);
	put8(&b, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN);
	put32(&b, 10);
	put8(&b, S_DTLS);
	put8(&b, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX);
	put32(&b, 5);
	s_int(&b, S_DTLS, TLS_DTLS_HANDSHAKE_ON_CONNECT, 0);
	put8(&b, S_DTLS | K_SESSION);
	put8(&b, 1); /* server */
	s_get(&b, S_DTLS, 0, TLS_DTLS_CID_STATUS, 4);
	s_get(&b, S_DTLS, 0, TLS_DTLS_CID_VALUE, 32);
	s_get(&b, S_DTLS, 0, TLS_DTLS_PEER_CID_VALUE, 32);
	s_get(&b, S_DTLS, 0, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, 4);
	write_seed("sockopt", "seed-full-setup-and-sessions", b.p, b.len);
	buf_free(&b);

	/* 2: every getter on both sockets, natural and odd lengths */
	put8(&b, 0);
	put8(&b, 7); /* IPv6 TLS 1.3, IPv6 DTLS */
	for (int name = 0; name <= 25; name += 1) {
		s_get(&b, name % 2, 0, name, name % 3 == 0 ? 4 : name % 3 == 1 ? 64 : 1);
	}
	write_seed("sockopt", "seed-every-getter", b.p, b.len);
	buf_free(&b);

	/* 3: SOL_SOCKET options the TLS layer keeps */
	put8(&b, 0);
	put8(&b, 0);
	put8(&b, S_TLS | O_SOCKET);
	put8(&b, 0); /* SO_RCVTIMEO */
	put32(&b, 1);
	put32(&b, 500000);
	put8(&b, S_DTLS | O_SOCKET);
	put8(&b, 1); /* SO_SNDTIMEO */
	put32(&b, 0);
	put32(&b, 0);
	put8(&b, S_TLS | O_SOCKET);
	put8(&b, 0);
	put32(&b, 0x7fffffff);
	put32(&b, 999999);
	for (int i = 0; i < 5; i++) {
		s_get(&b, i % 2, O_SOCKET, i, i < 2 ? 16 : 4);
	}
	write_seed("sockopt", "seed-sol-socket", b.p, b.len);
	buf_free(&b);

	/* 4: wrong lengths and NULL values for every setter */
	put8(&b, 1);
	s_cred(&b, 2, TLS_CREDENTIAL_CA_CERTIFICATE, "-----BEGIN CERTIFICATE-----\nAAAA\n", 33);
	put8(&b, 0);
	for (int name = 1; name <= 20; name++) {
		put8(&b, (unsigned)(L_MODE(1) | (name % 2)));
		put8(&b, (unsigned)name);
		put32(&b, 0x01010101); /* value bytes (each builder takes what it needs) */
		put8(&b, (unsigned)(name % 17));
		put8(&b, (unsigned)(O_NULL | (name % 2)));
		put8(&b, (unsigned)name);
		put32(&b, 0);
	}
	write_seed("sockopt", "seed-bad-lengths", b.p, b.len);
	buf_free(&b);
	free(cert);
	free(key);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	fz_creds_init();
	gen_engine_seeds();
	gen_malformed_tls();
	gen_malformed_dtls();
	gen_cred();
	gen_sockopt();
	buf_free(&keep_c2s);
	buf_free(&keep_s2c);
	buf_free(&keep_dtls);
	buf_free(&keep_dtls_cid);
	printf("%d seed files written to %s\n", written, outdir);
	return 0;
}
