/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c) and the seed generator
 * (gen_seeds.c): a reader over the fuzz input, a deterministic RNG and clock
 * for Mbed TLS, the test credentials, engine configurations ("variants") and
 * in-memory transports. See docs/fuzzing.md.
 *
 * Determinism: every engine configuration draws its randomness from its own
 * resettable stream (fz_session_begin), time() is pinned (fuzzlib.c), and
 * the DTLS cookie is a function of the client's transport id. A recorded
 * TLS 1.2 transcript (and a TLS 1.3 PSK-only one) therefore replays into
 * the same keys, and the fuzzer starts with sessions that reach the
 * application-data record path. TLS 1.3 (EC)DHE keys come from PSA's own
 * RNG and stay random: such seeds get as far as the ServerHello.
 */
#ifndef ZT_FUZZLIB_H
#define ZT_FUZZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "sock/sock.h"

/** The libFuzzer entry point each fuzz_<name>.c defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input reader: every getter returns zeros once the input is used up ---- */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
/** Point *out at up to @p want input bytes; returns how many there were. */
size_t fz_take(struct fz_in *in, size_t want, const uint8_t **out);

/* ---- deterministic RNG with Mbed TLS's f_rng signature ---- */

struct fz_rng {
	uint64_t state;
	uint64_t seed;
};

void fz_rng_reset(struct fz_rng *r);
int fz_rng_fill(void *ctx, unsigned char *out, size_t len);

/** The value time() returns in every fuzz binary (2030-01-01T00:00:00Z). */
#define FZ_TIME 1893456000

/* ---- test credentials, added to the store once (tests/lib/certs) ---- */

#define FZ_TAG_ECDSA  901 /* server.pem + server.key (P-256) */
#define FZ_TAG_RSA    902 /* server-rsa.pem + server-rsa.key (RSA-2048) */
#define FZ_TAG_PSK    903 /* FZ_PSK + FZ_PSK_ID */
#define FZ_TAG_CA     904 /* ca.pem */
#define FZ_TAG_CLIENT 905 /* client.pem + client.key */

#define FZ_PSK_ID "fuzz-psk-identity"

/** Add the tags above (idempotent). Aborts if tests/lib/certs cannot be read. */
void fz_creds_init(void);

/** Read a whole file; aborts on failure. Caller frees. */
unsigned char *fz_read_file(const char *path, size_t *len);

/* ---- engine configurations ---- */

enum fz_role {
	FZ_TLS_SERVER,
	FZ_TLS_CLIENT,
	FZ_DTLS_SERVER,
	FZ_DTLS_CLIENT,
	FZ_ROLES
};

/** Configurations per role; the fuzz input picks one with 3 bits. */
#define FZ_VARIANTS 8

struct fz_conf {
	struct zt_eng_conf *conf;
	struct zt_opts opts;
	int suites[5]; /* opts.ciphersuites points here (never zt_opts_free'd) */
	struct fz_rng rng;
	bool server;
	bool dgram;
	const char *name; /* for seed file names and logs */
};

/** Number of distinct variants of @p role (the rest alias them modulo). */
unsigned fz_variant_count(enum fz_role role);

/** The configuration (built on first use, kept for the process). Aborts on failure. */
struct fz_conf *fz_conf_get(enum fz_role role, unsigned variant);

/**
 * A new session on @p fc with its RNG stream reset, so that the same input
 * gives the same run. DTLS servers get a fixed client transport id.
 * @retval 0 or the -errno of zt_eng_new.
 */
int fz_session_begin(struct fz_conf *fc, const struct zt_eng_io *io, struct zt_eng **out);

/** Forget cached sessions (client cache, server cache): inputs stay independent. */
void fz_session_end(struct zt_eng *e);

/* ---- transports ---- */

/**
 * The peer's bytes from the fuzz input. Stream: handed out in chunks of
 * fz_chunk_size(ctrl) bytes. Datagram: the input is a sequence of
 * [u16 big-endian length][datagram]; each recv returns one datagram.
 */
struct fz_feed {
	const uint8_t *data;
	size_t len;
	size_t off;
	bool dgram;
	size_t chunk;    /* stream: most bytes per recv, 0 = as many as asked */
	bool stutter;    /* every other recv and send returns -EAGAIN */
	bool eof_at_end; /* stream: 0 (EOF) instead of -EAGAIN once all is read */
	bool rx_toggle;
	bool tx_toggle;
	bool starved; /* a recv found nothing left */
	size_t sent;  /* bytes the engine sent (discarded) */
};

/*
 * The control byte (first input byte) of the engine targets:
 *   bits 0-2 chunk size (stream), bit 3 stutter, bit 4 EOF at end,
 *   bits 5-7 configuration variant.
 */
#define FZ_CTRL(variant, chunk, stutter, eof)                                                      \
	((uint8_t)(((variant) << 5) | ((eof) ? 0x10 : 0) | ((stutter) ? 0x08 : 0) | (chunk)))

size_t fz_chunk_size(uint8_t ctrl);
void fz_feed_init(struct fz_feed *f, uint8_t ctrl, const uint8_t *data, size_t len, bool dgram);
ssize_t fz_feed_recv(void *ctx, void *buf, size_t len);
ssize_t fz_feed_send(void *ctx, const void *buf, size_t len);
bool fz_feed_done(const struct fz_feed *f);

/* ---- the engine targets (fuzz_tls_server, fuzz_tls_client, fuzz_dtls_server) ---- */

/**
 * One session of @p role fed with @p data: the control byte (FZ_CTRL), then
 * the peer's bytes (stream) or length-prefixed datagrams (DTLS). Pumps the
 * handshake, then reads (with poll's data check in between) until the input
 * is used up or the session fails; answers, sends close_notify, frees.
 * @return how far it got: 0 nothing, 1 handshake done, 2 plaintext read.
 */
int fz_run_session(enum fz_role role, const uint8_t *data, size_t size);

/** Set FUZZ_VERBOSE=1 to have the targets say how far each input got. */
bool fz_verbose(void);

/**
 * FUZZ_STRICT=1 adds checks of the engine contract that the current code is
 * known to fail (docs/fuzzing.md, findings): a write on a session whose last
 * read said -EAGAIN must not fail; a read must not report a transport EOF
 * the transport never gave.
 */
bool fz_strict(void);

#endif /* ZT_FUZZLIB_H */
