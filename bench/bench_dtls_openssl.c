/*
 * bench_dtls's third server: OpenSSL 3 (libssl) DTLS 1.2, in the model OpenSSL
 * gives a DTLS server application (its DTLSv1_listen documentation, and what
 * servers built on it such as the classic dtls_udp_echo example do):
 *
 *   - one listening UDP socket (SO_REUSEADDR) and one SSL object on it in
 *     DTLSv1_listen(), which answers ClientHellos without a valid cookie with a
 *     HelloVerifyRequest and keeps no state for them (SSL_OP_COOKIE_EXCHANGE,
 *     the cookie an HMAC-SHA256 of the peer's address under a random key,
 *     SSL_CTX_set_cookie_generate_cb / verify_cb);
 *   - once a ClientHello carries a valid cookie, a new UDP socket bound to the
 *     server's port (SO_REUSEADDR; the wildcard address, see peer_accept) and
 *     connect()ed to the peer, so the kernel delivers that peer's datagrams to
 *     it (a connected socket outranks the unconnected listener); the listening
 *     SSL object moves to it (BIO_new_dgram, BIO_CTRL_DGRAM_SET_CONNECTED) and
 *     finishes the handshake there; a fresh SSL object takes the listener;
 *   - all of it non-blocking in one thread, one epoll set over the listener and
 *     every peer socket (level-triggered): SSL_accept while handshaking, then
 *     SSL_read / SSL_write per datagram; close_notify or an error frees the peer.
 *
 * The same terms as the other two servers of bench_dtls: DTLS 1.2 only, PSK
 * (the same key and identity), PSK-AES128-GCM-SHA256 (0x00A8) only, cookies on,
 * anti-replay (always on in OpenSSL), no session cache, no tickets, listener
 * SO_RCVBUF as given.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "bench_dtls_openssl.h"

#define COOKIE_KEY_LEN 32
#define MAX_EVENTS     64
#define MAX_LISTEN     64 /* DTLSv1_listen calls per wake-up of the listener */
#define MAX_READS      64 /* records served per wake-up of one peer */

struct opeer {
	SSL *ssl;
	int fd;
	bool open;
	struct opeer *prev, *next;
};

struct bdo_server {
	SSL_CTX *ctx;
	int lfd, ep;
	struct sockaddr_in local;
	SSL *lssl; /* in DTLSv1_listen on lfd */
	BIO_ADDR *client;
	struct opeer *head; /* every peer socket */
	long npeers;
};

/* Cookie key and digest: one server at a time, set up in bdo_server_new. */
static unsigned char g_cookie_key[COOKIE_KEY_LEN];
static EVP_MD *g_sha256;
static const unsigned char *g_psk;
static size_t g_psk_len;
static const char *g_psk_id;

static void bdo_die(const char *what) __attribute__((noreturn));
static void bdo_die(const char *what)
{
	fprintf(stderr, "bench_dtls: openssl: %s (%s)\n", what, strerror(errno));
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* HMAC-SHA256(key, family | port | address) of the peer the SSL object reads from. */
static int cookie_of(SSL *ssl, unsigned char *out, unsigned int *out_len)
{
	BIO_ADDR *peer = BIO_ADDR_new();
	unsigned char data[2 + 2 + 16];
	size_t alen = 16;
	unsigned short port;
	int fam, ok = 0;

	if (peer == NULL || BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) <= 0) {
		goto out;
	}
	fam = BIO_ADDR_family(peer);
	port = BIO_ADDR_rawport(peer);
	data[0] = (unsigned char)(fam >> 8);
	data[1] = (unsigned char)fam;
	memcpy(&data[2], &port, sizeof(port));
	if (!BIO_ADDR_rawaddress(peer, &data[4], &alen) || alen > 16) {
		goto out;
	}
	ok = HMAC(g_sha256, g_cookie_key, sizeof(g_cookie_key), data, 4 + alen, out, out_len) !=
	     NULL;
out:
	BIO_ADDR_free(peer);
	return ok;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	return cookie_of(ssl, cookie, len);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int wl = 0;

	return cookie_of(ssl, want, &wl) && wl == len && CRYPTO_memcmp(want, cookie, len) == 0;
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *out, unsigned int max)
{
	(void)ssl;
	if (identity == NULL || strcmp(identity, g_psk_id) != 0 || g_psk_len > max) {
		return 0;
	}
	memcpy(out, g_psk, g_psk_len);
	return (unsigned int)g_psk_len;
}

static SSL *listener_new(struct bdo_server *s)
{
	SSL *ssl = SSL_new(s->ctx);
	BIO *bio = BIO_new_dgram(s->lfd, BIO_NOCLOSE);

	if (ssl == NULL || bio == NULL) {
		bdo_die("SSL_new / BIO_new_dgram");
	}
	SSL_set_bio(ssl, bio, bio);
	SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
	return ssl;
}

struct bdo_server *bdo_server_new(const unsigned char *psk, size_t psk_len, const char *psk_id,
				  int rcvbuf, int *port)
{
	struct bdo_server *s = calloc(1, sizeof(*s));
	socklen_t al = sizeof(s->local);
	int one = 1;

	if (s == NULL) {
		bdo_die("out of memory");
	}
	g_psk = psk;
	g_psk_len = psk_len;
	g_psk_id = psk_id;
	if (g_sha256 == NULL) {
		g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	}
	if (g_sha256 == NULL || RAND_bytes(g_cookie_key, sizeof(g_cookie_key)) != 1) {
		bdo_die("SHA256 / RAND_bytes");
	}
	s->ctx = SSL_CTX_new(DTLS_server_method());
	if (s->ctx == NULL || !SSL_CTX_set_min_proto_version(s->ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(s->ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(s->ctx, "PSK-AES128-GCM-SHA256")) {
		bdo_die("server SSL_CTX");
	}
	SSL_CTX_set_psk_server_callback(s->ctx, psk_server);
	SSL_CTX_set_cookie_generate_cb(s->ctx, cookie_generate);
	SSL_CTX_set_cookie_verify_cb(s->ctx, cookie_verify);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);

	s->local.sin_family = AF_INET;
	s->local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&s->local, sizeof(s->local)) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&s->local, &al) < 0) {
		bdo_die("listening socket");
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0) {
		bdo_die("epoll_create1");
	}
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) < 0) {
			bdo_die("epoll_ctl listener");
		}
	}
	s->client = BIO_ADDR_new();
	if (s->client == NULL) {
		bdo_die("BIO_ADDR_new");
	}
	s->lssl = listener_new(s);
	*port = ntohs(s->local.sin_port);
	return s;
}

static void peer_free(struct bdo_server *s, struct opeer *p)
{
	if (p->prev != NULL) {
		p->prev->next = p->next;
	} else {
		s->head = p->next;
	}
	if (p->next != NULL) {
		p->next->prev = p->prev;
	}
	SSL_free(p->ssl); /* closes p->fd (BIO_CLOSE), which leaves the epoll set */
	free(p);
	s->npeers--;
}

/* Handshake step, then echo every record that is there; frees the peer when it is gone. */
static void peer_serve(struct bdo_server *s, struct opeer *p)
{
	unsigned char buf[2048];
	int rc;

	if (!p->open) {
		rc = SSL_accept(p->ssl);
		if (rc != 1) {
			int err = SSL_get_error(p->ssl, rc);

			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				return;
			}
			ERR_clear_error();
			peer_free(s, p);
			return;
		}
		p->open = true;
	}
	for (int i = 0; i < MAX_READS; i++) {
		rc = SSL_read(p->ssl, buf, sizeof(buf));
		if (rc <= 0) {
			if (SSL_get_error(p->ssl, rc) == SSL_ERROR_WANT_READ) {
				return;
			}
			goto gone; /* close_notify (SSL_ERROR_ZERO_RETURN) or an error */
		}
		if (SSL_write(p->ssl, buf, rc) != rc) {
			goto gone;
		}
	}
	return; /* MAX_READS echoed: the rest on the next (level-triggered) wake-up */
gone:
	ERR_clear_error();
	peer_free(s, p);
}

/* DTLSv1_listen said @p s->client sent a ClientHello with a valid cookie: give it a socket. */
static void peer_accept(struct bdo_server *s)
{
	struct opeer *p = calloc(1, sizeof(*p));
	struct sockaddr_in to = {.sin_family = AF_INET}, any = s->local;
	size_t alen = sizeof(to.sin_addr);
	struct epoll_event ev = {.events = EPOLLIN};
	int one = 1;
	BIO *bio;

	if (p == NULL) {
		bdo_die("out of memory");
	}
	if (BIO_ADDR_family(s->client) != AF_INET ||
	    !BIO_ADDR_rawaddress(s->client, &to.sin_addr, &alen)) {
		bdo_die("client address");
	}
	to.sin_port = BIO_ADDR_rawport(s->client);
	/* Bound to the listener's address, the new socket would take other peers'
	 * ClientHellos between bind() and connect() (an equal match, and connect()
	 * does not drop what is queued): those clients then wait for their 2 s
	 * retransmission. Bound to the wildcard address with the listener's port it
	 * matches worse than the listener until connect() sets its local address
	 * (127.0.0.1, rehashed) and peer, after which it matches that peer better. */
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(p->fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    connect(p->fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		bdo_die("peer socket (RLIMIT_NOFILE?)");
	}
	bio = BIO_new_dgram(p->fd, BIO_CLOSE);
	if (bio == NULL) {
		bdo_die("BIO_new_dgram");
	}
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, s->client);
	SSL_set_bio(s->lssl, bio, bio); /* frees the listener's BIO (BIO_NOCLOSE: lfd stays) */
	p->ssl = s->lssl;
	s->lssl = listener_new(s);
	ev.data.ptr = p;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
		bdo_die("epoll_ctl peer");
	}
	p->next = s->head;
	if (s->head != NULL) {
		s->head->prev = p;
	}
	s->head = p;
	s->npeers++;
	peer_serve(s, p); /* the ServerHello flight */
}

void bdo_server_run(struct bdo_server *s, atomic_bool *stop)
{
	struct epoll_event ev[MAX_EVENTS];

	while (!atomic_load(stop)) {
		int n = epoll_wait(s->ep, ev, MAX_EVENTS, 50);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr != NULL) {
				peer_serve(s, ev[i].data.ptr);
				continue;
			}
			/* the listener: each call reads datagrams until one has a valid
			 * cookie (1) or none is left (0); level-triggered, so any left
			 * over wake the next epoll_wait */
			for (int k = 0; k < MAX_LISTEN; k++) {
				int rc = DTLSv1_listen(s->lssl, s->client);

				if (rc <= 0) {
					ERR_clear_error();
					break;
				}
				peer_accept(s);
			}
		}
	}
}

void bdo_server_free(struct bdo_server *s)
{
	while (s->head != NULL) {
		peer_free(s, s->head);
	}
	SSL_free(s->lssl);
	BIO_ADDR_free(s->client);
	close(s->ep);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	free(s);
}

const char *bdo_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
