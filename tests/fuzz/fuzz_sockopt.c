/*
 * zsock_setsockopt / zsock_getsockopt on a TLS and a DTLS socket, with
 * option names, lengths and values from the fuzz input; credentials with
 * fuzz bytes behind the tags TLS_SEC_TAG_LIST names; and engine sessions
 * built from whatever options the sockets then hold (what connect() and
 * accept() do), attached to the socket so that the getters and setters of
 * a live session run too. No packet leaves the process: the sockets are
 * never bound or connected, the sessions talk to an in-memory sink.
 *
 * Pointer-valued options never get fuzz bytes as pointers: TLS_ALPN_LIST
 * gets an array of pointers to fuzz strings that outlive the sockets,
 * TLS_CERT_VERIFY_CALLBACK gets NULL or a real function.
 *
 * Input: [count][credential ops][socket choice] then up to MAX_OPS operations:
 *   op byte: bit 0 socket (TLS/DTLS), bits 1-2 kind (0,1 option, 2 session,
 *   3 credential), bit 3 get (else set), bits 4-5 optlen mode, bit 6
 *   SOL_SOCKET (else SOL_TLS), bit 7 NULL optval (set) or NULL optlen (get);
 *   then the option name byte and the value (see build_value).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>

#include "fd/fdtable.h"
#include "fuzzlib.h"

#define CRED_TAG0  1000 /* tags 1000..1003 hold fuzz credentials */
#define CRED_TAGS  4
#define MAX_CREDS  4
#define MAX_OPS    48
#define MAX_VALUE  4096
#define ARENA_MAX  64
#define TLS_OPT_HI 25 /* SOL_TLS names 0..25 (Zephyr's are 1..20) */

/* Strings that TLS_ALPN_LIST points at: freed after the sockets. */
struct arena {
	void *p[ARENA_MAX];
	int n;
};

static char *arena_strdup(struct arena *a, const uint8_t *s, size_t len)
{
	char *p;

	if (a->n == ARENA_MAX || (p = malloc(len + 1)) == NULL) {
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	a->p[a->n++] = p;
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->n > 0) {
		free(a->p[--a->n]);
	}
}

/* TLS_CERT_VERIFY_CALLBACK: a real function with Mbed TLS's verify signature. */
static int verify_calls;

static int verify_cb(void *ctx, void *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	(void)crt;
	(void)depth;
	(void)flags;
	verify_calls++;
	return 0;
}

struct sock {
	int fd;
	bool dgram;
	struct zt_eng *eng; /* session attached by session_step */
	struct fz_feed feed;
};

/* Credentials with fuzz bytes under the fuzz tags. */
static void cred_op(struct fz_in *in)
{
	sec_tag_t tag = CRED_TAG0 + fz_u8(in) % CRED_TAGS;
	uint8_t t = fz_u8(in);
	enum tls_credential_type type = (enum tls_credential_type)(t % 7);
	const uint8_t *bytes;
	size_t len;
	uint8_t *copy;

	if (t & 0x80) {
		(void)tls_credential_delete(tag, type);
		return;
	}
	len = fz_take(in, fz_u16(in) % MAX_VALUE, &bytes);
	copy = malloc(len ? len : 1); /* exact size: the store must copy, not overread */
	if (copy == NULL) {
		return;
	}
	memcpy(copy, bytes, len);
	(void)tls_credential_add(tag, type, copy, len);
	free(copy);
}

static void cred_cleanup(void)
{
	for (int tag = CRED_TAG0; tag < CRED_TAG0 + CRED_TAGS; tag++) {
		for (int type = TLS_CREDENTIAL_CA_CERTIFICATE;
		     type <= TLS_CREDENTIAL_PRIVATE_KEY_PSA; type++) {
			(void)tls_credential_delete(tag, (enum tls_credential_type)type);
		}
	}
}

static const int sol_socket_names[] = {SO_RCVTIMEO, SO_SNDTIMEO, SO_PROTOCOL, SO_ERROR, SO_TYPE};

static int pick_name(struct fz_in *in, int level)
{
	uint8_t b = fz_u8(in);

	if (level == SOL_SOCKET) {
		return sol_socket_names[b % ZT_ARRAY_SIZE(sol_socket_names)];
	}
	if (b >= 0xF8) {
		return SECSOCK_TLS_OPT_BASE + (b & 7); /* secsock's extension range */
	}
	return b % (TLS_OPT_HI + 1);
}

/*
 * The value of a set, as the option expects it, into @p val (at most
 * MAX_VALUE bytes); returns its natural length. Pointers only ever point at
 * arena strings or at verify_cb.
 */
static size_t build_value(struct fz_in *in, struct arena *a, int level, int name, uint8_t *val)
{
	const uint8_t *bytes;
	size_t n, len;

	if (level == SOL_SOCKET) {
		struct zsock_timeval tv;

		if (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
			uint32_t sec = fz_u32(in);
			uint32_t usec = fz_u32(in);

			/* signed values, huge ones, usec >= 1e6: all allowed */
			tv.tv_sec = (time_t)(int32_t)sec;
			tv.tv_usec = (suseconds_t)(int32_t)usec;
			memcpy(val, &tv, sizeof(tv));
			return sizeof(tv);
		}
		len = fz_take(in, sizeof(int), &bytes);
		memcpy(val, bytes, len);
		return len;
	}
	switch (name) {
	case TLS_SEC_TAG_LIST:
		n = fz_u8(in) % (ZT_MAX_SEC_TAGS + 4);
		for (size_t i = 0; i < n; i++) {
			uint8_t sel = fz_u8(in);
			sec_tag_t tag;

			if (sel < 0x80) {
				tag = CRED_TAG0 + sel % CRED_TAGS;
			} else if (sel < 0xC0) {
				tag = FZ_TAG_ECDSA + sel % 5; /* the valid test credentials */
			} else {
				tag = (sec_tag_t)fz_u32(in);
			}
			memcpy(val + i * sizeof(tag), &tag, sizeof(tag));
		}
		return n * sizeof(sec_tag_t);
	case TLS_HOSTNAME:
		/* a C string (optlen is ignored by the option): always terminated */
		len = fz_take(in, fz_u16(in) % 300, &bytes);
		memcpy(val, bytes, len);
		val[len] = '\0';
		return len + 1;
	case TLS_CIPHERSUITE_LIST: {
		const int *all = zt_eng_ciphersuites_all();
		size_t count = 0;

		while (all[count] != 0) {
			count++;
		}
		n = fz_u8(in) % (ZT_MAX_CIPHERSUITES + 4);
		for (size_t i = 0; i < n; i++) {
			uint16_t sel = fz_u16(in);
			int id = sel < 0xC000 && count > 0 ? all[sel % count] : (int)(sel & 0x3FFF);

			memcpy(val + i * sizeof(int), &id, sizeof(int));
		}
		return n * sizeof(int);
	}
	case TLS_ALPN_LIST:
		n = fz_u8(in) % (ZT_MAX_ALPN + 3);
		for (size_t i = 0; i < n; i++) {
			uint8_t sel = fz_u8(in);
			const char *p = NULL;

			if (sel >= 0x10) {
				len = fz_take(in, sel < 0xF0 ? sel % 16 : fz_u16(in) % 300, &bytes);
				p = arena_strdup(a, bytes, len);
			}
			memcpy(val + i * sizeof(p), &p, sizeof(p));
		}
		return n * sizeof(const char *);
	case TLS_CERT_VERIFY_CALLBACK: {
		uint8_t sel = fz_u8(in);
		struct zsock_tls_cert_verify_cb cb = {
			.cb = (sel & 1) ? (void *)verify_cb : NULL,
			.ctx = (sel & 2) ? (void *)&verify_calls : NULL,
		};

		/* other lengths get copies of the same valid bytes (optval_fill) */
		memcpy(val, &cb, sizeof(cb));
		return sizeof(cb);
	}
	case TLS_DTLS_CID_VALUE:
		len = fz_take(in, fz_u8(in) % (ZT_CID_MAX + 4), &bytes);
		memcpy(val, bytes, len);
		return len;
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MIN:
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MAX: {
		uint32_t ms = fz_u32(in);

		memcpy(val, &ms, sizeof(ms));
		return sizeof(ms);
	}
	default:
		len = fz_take(in, sizeof(int), &bytes);
		memcpy(val, bytes, len);
		return len;
	}
}

/* optlen: the natural one, off by a little, or anything. */
static socklen_t pick_len(struct fz_in *in, unsigned mode, size_t natural)
{
	switch (mode) {
	case 0:
		return (socklen_t)natural;
	case 1: {
		long len = (long)natural + (long)(fz_u8(in) % 17) - 8;

		return (socklen_t)(len < 0 ? 0 : len);
	}
	case 2:
		return fz_u8(in);
	default:
		return fz_u16(in) % (MAX_VALUE + 64);
	}
}

/* A buffer of exactly @p optlen bytes holding the value, repeated if longer. */
static uint8_t *optval_fill(const uint8_t *val, size_t natural, socklen_t optlen)
{
	uint8_t *buf = malloc(optlen ? optlen : 1);

	if (buf == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < optlen; i++) {
		buf[i] = natural ? val[i % natural] : 0;
	}
	return buf;
}

static void set_op(struct fz_in *in, struct arena *a, struct sock *s, uint8_t op)
{
	static uint8_t val[MAX_VALUE + 8];
	int level = (op & 0x40) ? SOL_SOCKET : SOL_TLS;
	int name = pick_name(in, level);
	size_t natural = build_value(in, a, level, name, val);
	socklen_t optlen = pick_len(in, (op >> 4) & 3, natural);
	uint8_t *buf;

	if (name == TLS_HOSTNAME && level == SOL_TLS) {
		/* optlen is ignored: the buffer is the terminated string itself */
		buf = optval_fill(val, natural, (socklen_t)natural);
	} else {
		buf = optval_fill(val, natural, optlen);
	}
	if (buf == NULL) {
		return;
	}
	(void)zsock_setsockopt(s->fd, level, name, (op & 0x80) ? NULL : buf, optlen);
	free(buf);
}

static void get_op(struct fz_in *in, struct sock *s, uint8_t op)
{
	int level = (op & 0x40) ? SOL_SOCKET : SOL_TLS;
	int name = pick_name(in, level);
	socklen_t optlen = pick_len(in, (op >> 4) & 3, sizeof(int));
	socklen_t io = optlen;
	uint8_t *buf = malloc(optlen ? optlen : 1); /* exact: ASan sees any overrun */
	int rc;

	if (buf == NULL) {
		return;
	}
	rc = zsock_getsockopt(s->fd, level, name, buf, (op & 0x80) ? NULL : &io);
	if (rc == 0 && io > optlen) {
		fprintf(stderr, "getsockopt(%d, %d): optlen %u grew to %u\n", level, name,
			(unsigned)optlen, (unsigned)io);
		abort();
	}
	free(buf);
}

/*
 * Build a config and a session from the socket's options, as connect() or
 * accept() would, run the first handshake step against an empty transport,
 * and leave the session on the socket so later options see a live one.
 */
static void session_step(struct fz_in *in, struct sock *s)
{
	bool server = fz_u8(in) & 1;
	struct zt_eng_io io = {&s->feed, fz_feed_send, fz_feed_recv};
	struct zt_sock *zs;
	struct zt_eng_conf *c = NULL;
	struct zt_eng *e = NULL;
	int rc;

	if (s->eng != NULL || (zs = zt_fd_get(s->fd)) == NULL) {
		return;
	}
	fz_feed_init(&s->feed, 0, NULL, 0, s->dgram);
	pthread_mutex_lock(&zs->lock);
	rc = zt_sock_conf_build(&zs->opts, zs->proto, server, &c);
	if (rc == 0) {
		struct zt_eng_sess_cfg sc;

		zt_sock_sess_cfg(zs, &sc);
		if (s->dgram && server) {
			sc.peer_id = "peer";
			sc.peer_id_len = 4;
		}
		rc = zt_eng_new(&e, c, &io, &sc);
		zt_eng_conf_put(c); /* the session holds its own reference */
	}
	if (rc == 0) {
		(void)zt_eng_handshake(e);
		zs->eng = e;
		s->eng = e;
	}
	pthread_mutex_unlock(&zs->lock);
	zt_fd_put(zs);
}

static void session_detach(struct sock *s)
{
	struct zt_sock *zs;

	if (s->eng == NULL) {
		return;
	}
	zs = zt_fd_get(s->fd);
	if (zs != NULL) {
		pthread_mutex_lock(&zs->lock);
		zs->eng = NULL;
		pthread_mutex_unlock(&zs->lock);
		zt_fd_put(zs);
	}
	zt_eng_free(s->eng);
	s->eng = NULL;
}

static int open_sock(int family, int type, int proto)
{
	int fd = zsock_socket(family, type, proto);

	if (fd < 0 && family == AF_INET6 && errno == EAFNOSUPPORT) {
		fd = zsock_socket(AF_INET, type, proto); /* a host without IPv6 */
	}
	if (fd < 0) {
		perror("zsock_socket");
		abort(); /* not an input problem */
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	struct arena a = {.n = 0};
	struct sock socks[2];
	uint8_t ncred, which;

	fz_creds_init();
	ncred = fz_u8(&in) % (MAX_CREDS + 1);
	for (uint8_t i = 0; i < ncred; i++) {
		cred_op(&in);
	}
	which = fz_u8(&in);
	socks[0] = (struct sock){.fd = open_sock((which & 2) ? AF_INET6 : AF_INET, SOCK_STREAM,
						 (which & 1) ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2)};
	socks[1] = (struct sock){
		.fd = open_sock((which & 4) ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2),
		.dgram = true};

	for (int i = 0; i < MAX_OPS && in.n > 0; i++) {
		uint8_t op = fz_u8(&in);
		struct sock *s = &socks[op & 1];

		switch ((op >> 1) & 3) {
		case 0:
		case 1:
			if (op & 0x08) {
				get_op(&in, s, op);
			} else {
				set_op(&in, &a, s, op);
			}
			break;
		case 2:
			session_step(&in, s);
			break;
		default:
			cred_op(&in);
			break;
		}
	}

	for (int i = 0; i < 2; i++) {
		session_detach(&socks[i]);
		(void)zsock_close(socks[i].fd);
	}
	cred_cleanup();
	zt_eng_cache_purge();
	arena_free(&a);
	return 0;
}
