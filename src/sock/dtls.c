/*
 * DTLS over UDP (reference §3.3-§3.7): the hooks socket.c and poll.c call
 * for SOCK_DGRAM secure sockets, and the client - one peer, pinned with a
 * kernel connect() so that the kernel drops datagrams from anyone else. The
 * many-peer server is dtls_server.c. As in stream.c, the engine is pumped
 * under s->lock and waiting happens in zt_wait() without it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cred/store.h"
#include "engine/dtls_engine.h"
#include "fd/fdtable.h"
#include "sock/dtls_priv.h"
#include "sock/dtls_test.h"

/* poll() looks again this often while another thread runs a client handshake */
#define HS_POLL_TICK_MS 20

/* ---- shared with dtls_server.c ---- */

bool zt_dtls_addr_eq(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
		     socklen_t blen)
{
	if (a->sa_family != b->sa_family) {
		return false;
	}
	if (a->sa_family == AF_INET && alen >= sizeof(struct sockaddr_in) &&
	    blen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && alen >= sizeof(struct sockaddr_in6) &&
	    blen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

void zt_dtls_addr_out(const struct sockaddr_storage *peer, socklen_t peer_len, struct sockaddr *out,
		      socklen_t *outlen)
{
	if (out == NULL || outlen == NULL) {
		return;
	}
	memcpy(out, peer, *outlen < peer_len ? *outlen : peer_len);
	*outlen = peer_len;
}

int zt_dtls_conf(struct zt_sock *s, bool server)
{
	uint64_t gen = zt_cred_generation();
	struct zt_eng_conf *c = NULL;
	int rc;

	/* credentials are loaded when the first handshake needs them (reference §3.11) */
	if (s->conf != NULL && s->conf_opts_gen == s->opts_gen && s->conf_cred_gen == gen) {
		return 0;
	}
	rc = zt_eng_conf_new(&c, &s->opts, s->proto, server);
	if (rc < 0) {
		return rc;
	}
	zt_eng_conf_put(s->conf);
	s->conf = c;
	s->conf_opts_gen = s->opts_gen;
	s->conf_cred_gen = gen;
	return 0;
}

/* Under s->lock: the DTLS state, allocated on first use (NULL: no memory). */
static struct zt_dtls *dtls_of(struct zt_sock *s)
{
	if (s->dtls == NULL) {
		s->dtls = calloc(1, sizeof(*s->dtls));
	}
	return s->dtls;
}

/* Under s->lock: TLS_DTLS_ROLE decides at the first call that needs to know. */
static bool is_server(struct zt_sock *s)
{
	struct zt_dtls *d = dtls_of(s);

	if (d == NULL) {
		return false;
	}
	if (d->mode == ZT_DTLS_UNSET && s->opts.dtls_role == TLS_DTLS_ROLE_SERVER) {
		d->mode = ZT_DTLS_SERVER;
	}
	return d->mode == ZT_DTLS_SERVER;
}

/* Under s->lock: make this socket a client. @retval 0, -EOPNOTSUPP (server), -ENOMEM. */
static int client_claim(struct zt_sock *s)
{
	if (is_server(s)) {
		return -EOPNOTSUPP; /* a DTLS server has no peer of its own */
	}
	if (s->dtls == NULL) {
		return -ENOMEM;
	}
	s->dtls->mode = ZT_DTLS_CLIENT;
	return 0;
}

/* ---- client transport: the kernel socket is connected to the peer ---- */

static ssize_t cli_io_send(void *ctx, const void *buf, size_t len)
{
	struct zt_sock *s = ctx;
	ssize_t n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0) {
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		return -EAGAIN;
	}
	s->dtls->io_err = errno;
	return -errno;
}

static ssize_t cli_io_recv(void *ctx, void *buf, size_t len)
{
	struct zt_sock *s = ctx;
	ssize_t n;

	do {
		/* an empty datagram is no DTLS record: skip it */
		n = recv(s->fd, buf, len, MSG_DONTWAIT);
	} while (n == 0);
	if (n > 0) {
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		return -EAGAIN;
	}
	s->dtls->io_err = errno; /* e.g. ECONNREFUSED: ICMP port unreachable */
	return -errno;
}

/* Under s->lock: the session is gone; latch why (reference §3.4, DTLS client). */
static int client_drop(struct zt_sock *s, int rc)
{
	if (rc == -ETIMEDOUT && s->eng != NULL) {
		zt_eng_close_notify(s->eng);
	}
	zt_eng_free(s->eng);
	s->eng = NULL;
	s->state = ZT_CONNECTED;
	if (rc == -ENOTCONN || rc == -ETIMEDOUT || rc == -ENOMEM) {
		s->error = -rc;
	} else {
		s->error = s->dtls->io_err != 0 ? s->dtls->io_err : ECONNABORTED;
	}
	return -s->error;
}

/*
 * Reference §3.10: a cached session is restored before the handshake, keyed
 * by peer address; 'D' keeps a DTLS peer apart from a TLS one on the same
 * address and port number.
 */
static int client_cache_attach(struct zt_sock *s)
{
	unsigned char key[1 + sizeof(struct sockaddr_in6)];
	struct zt_dtls *d = s->dtls;

	if (d->peer_len > sizeof(key) - 1) {
		return 0; /* not an IP address: no caching */
	}
	key[0] = 'D';
	memcpy(key + 1, &d->peer, d->peer_len);
	return zt_eng_cache_attach(s->eng, key, 1 + (size_t)d->peer_len);
}

/* A fresh session on the socket's (cached) config, keyed for the session cache. */
static int client_session_new(struct zt_sock *s)
{
	struct zt_eng_io io = {.ctx = s, .send = cli_io_send, .recv = cli_io_recv};
	struct zt_dtls *d = s->dtls;
	int rc;

	pthread_mutex_lock(&s->lock);
	zt_eng_free(s->eng);
	s->eng = NULL;
	s->state = ZT_CONNECTED;
	rc = zt_dtls_conf(s, false);
	if (rc == 0) {
		rc = zt_eng_new(&s->eng, s->conf, &io, &s->opts);
	}
	if (rc == 0 && s->opts.session_cache == TLS_SESSION_CACHE_ENABLED) {
		rc = client_cache_attach(s);
	}
	if (rc < 0) {
		zt_eng_free(s->eng);
		s->eng = NULL;
	}
	d->io_err = 0;
	d->hs_busy = rc == 0;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Under s->lock: the end of a started handshake. */
static int client_handshake_end(struct zt_sock *s, int rc, int expired)
{
	s->dtls->hs_busy = false;
	if (rc == 0) {
		s->state = ZT_ESTABLISHED;
		s->error = 0;
		return 0;
	}
	if (rc == -EINTR) {
		zt_eng_free(s->eng); /* close() from another thread: nothing to latch */
		s->eng = NULL;
		return rc;
	}
	if (rc == expired) {
		(void)client_drop(s, -ETIMEDOUT);
		return rc;
	}
	/* reference §3.3: reset the session, latch the error; the next send retries */
	return client_drop(s, rc);
}

/*
 * Run a fresh client handshake to its end or to @p deadline (@p expired is
 * then the result: ETIMEDOUT or EAGAIN). A blocked call sleeps until a
 * datagram or the retransmission timer (TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX).
 * Blocking even on a non-blocking socket, as Zephyr (reference §3.3).
 */
static int client_handshake(struct zt_sock *s, int64_t deadline, int expired)
{
	int64_t timer;
	short want;
	int wait_err = 0;
	int rc = client_session_new(s);

	if (rc < 0) {
		return rc; /* no session: credentials, memory */
	}
	for (;;) {
		pthread_mutex_lock(&s->lock);
		rc = zt_dtls_eng_handshake(s->eng);
		want = zt_eng_want(s->eng);
		timer = zt_dtls_eng_timer_deadline(s->eng);
		pthread_mutex_unlock(&s->lock);
		if (rc != -EAGAIN) {
			break;
		}
		rc = zt_wait(s, want,
			     want == POLLIN ? zt_dtls_earliest(deadline, timer) : deadline);
		if (rc == -EAGAIN && zt_remaining(deadline) == 0) {
			rc = expired;
			break;
		}
		if (rc < 0 && rc != -EAGAIN) {
			wait_err = -rc; /* POLLERR on the kernel socket: e.g. ECONNREFUSED */
			break;
		}
		/* a datagram, or the timer fired: Mbed TLS retransmits */
	}
	pthread_mutex_lock(&s->lock);
	if (wait_err != 0 && wait_err != EINTR) {
		s->dtls->io_err = wait_err;
	}
	rc = client_handshake_end(s, rc, expired);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Pin the peer: kernel connect() (the kernel filters other sources), then remember it. */
static int peer_set(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	if (addr == NULL || addrlen > sizeof(struct sockaddr_storage)) {
		return -EINVAL;
	}
	if (connect(s->fd, addr, addrlen) < 0) {
		return -errno;
	}
	pthread_mutex_lock(&s->lock);
	memcpy(&s->dtls->peer, addr, addrlen);
	s->dtls->peer_len = addrlen;
	if (s->state == ZT_NEW) {
		s->state = ZT_CONNECTED;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int zt_dtls_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	bool hs;
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	rc = client_claim(s);
	if (rc == 0 && s->state == ZT_ESTABLISHED) {
		rc = -EISCONN;
	}
	hs = s->opts.dtls_hs_on_connect != 0;
	pthread_mutex_unlock(&s->lock);
	if (rc == 0) {
		rc = peer_set(s, addr, addrlen);
	}
	if (rc == 0 && hs) {
		/* reference §3.3: bounded by the connect timeout */
		rc = client_handshake(s, zt_deadline(ZT_CONNECT_TIMEOUT_MS),
				      s->nonblock ? -EAGAIN : -ETIMEDOUT);
	}
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

/* Encrypt and send one datagram on the established session. */
static ssize_t client_write(struct zt_sock *s, const void *buf, size_t len, int flags)
{
	int64_t deadline;
	ssize_t n;
	int max, rc;

	pthread_mutex_lock(&s->lock);
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.sndtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (s->state != ZT_ESTABLISHED) {
			n = -ENOTCONN; /* a reader saw the peer go meanwhile */
		} else if ((max = zt_dtls_eng_max_payload(s->eng)) >= 0 && len > (size_t)max) {
			n = -EMSGSIZE; /* one datagram, one record (reference §3.4) */
		} else {
			n = zt_eng_write(s->eng, buf, len);
			if (n < 0 && n != -EAGAIN) {
				n = client_drop(s, (int)n);
			}
		}
		pthread_mutex_unlock(&s->lock);
		if (n != -EAGAIN || zt_nowait(s, flags)) {
			return n;
		}
		rc = zt_wait(s, POLLOUT, deadline);
		if (rc < 0) {
			return rc;
		}
	}
}

static ssize_t client_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
			     const struct sockaddr *dest, socklen_t destlen)
{
	bool need_peer = false, established;
	int64_t deadline;
	ssize_t rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	rc = client_claim(s);
	if (rc == 0 && dest == NULL && s->dtls->peer_len == 0) {
		rc = -EDESTADDRREQ;
	} else if (rc == 0 && dest != NULL && s->dtls->peer_len == 0) {
		need_peer = true; /* sendto() without connect() names the peer */
	} else if (rc == 0 && dest != NULL &&
		   !zt_dtls_addr_eq(dest, destlen, (struct sockaddr *)&s->dtls->peer,
				    s->dtls->peer_len)) {
		rc = -EISCONN;
	}
	established = s->state == ZT_ESTABLISHED;
	/* Zephyr blocks a non-blocking socket here too; we bound it as connect() */
	deadline = zt_nowait(s, flags) ? zt_deadline(ZT_CONNECT_TIMEOUT_MS)
				       : zt_deadline(s->opts.sndtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	if (rc == 0 && need_peer) {
		rc = peer_set(s, dest, destlen);
	}
	if (rc == 0 && !established) {
		/* TLS_DTLS_HANDSHAKE_ON_CONNECT 0, or a retry after a failed handshake */
		rc = client_handshake(s, deadline, -EAGAIN);
	}
	if (rc == 0) {
		rc = client_write(s, buf, len, flags);
	}
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

/* Under s->lock: one record for the application, or why not. */
static ssize_t client_read(struct zt_sock *s, void *buf, size_t len, int flags,
			   struct sockaddr *src, socklen_t *srclen)
{
	size_t full = 0;
	ssize_t n;

	if (s->state != ZT_ESTABLISHED) {
		return -ENOTCONN; /* reference §3.4: recv before the handshake */
	}
	if (s->error != 0) {
		return -s->error;
	}
	n = zt_dtls_eng_recv(s->eng, buf, len, &full);
	if (n >= 0) {
		zt_dtls_addr_out(&s->dtls->peer, s->dtls->peer_len, src, srclen);
		return (flags & MSG_TRUNC) ? (ssize_t)full : n;
	}
	if (n == -EAGAIN) {
		return n;
	}
	/* close_notify: ENOTCONN; anything else: the session is reset (reference §3.4) */
	return client_drop(s, (int)n);
}

static ssize_t client_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags,
			       struct sockaddr *src, socklen_t *srclen)
{
	int64_t deadline, timer;
	ssize_t n;
	short want;
	int rc;

	pthread_mutex_lock(&s->lock);
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.rcvtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = s->shut_rd ? 0 : client_read(s, buf, len, flags, src, srclen);
		want = s->eng != NULL ? zt_eng_want(s->eng) : POLLIN;
		timer = s->eng != NULL ? zt_dtls_eng_timer_deadline(s->eng) : ZT_FOREVER;
		pthread_mutex_unlock(&s->lock);
		if (n != -EAGAIN || zt_nowait(s, flags)) {
			return n;
		}
		rc = zt_dtls_recv_wait(s, want, deadline, timer);
		if (rc <= 0) {
			return rc;
		}
	}
}

int zt_dtls_recv_wait(struct zt_sock *s, short want, int64_t deadline, int64_t timer)
{
	int rc = zt_wait(s, want, zt_dtls_earliest(deadline, timer));

	if (s->shut_rd) {
		return 0;
	}
	if (rc == -EAGAIN && zt_remaining(deadline) == 0) {
		return -EAGAIN;
	}
	if (rc < 0 && rc != -EAGAIN) {
		return rc;
	}
	return 1; /* a datagram, a timer that fired, or a wake-up: pump again */
}

/* ---- hooks called by socket.c ---- */

ssize_t zt_dtls_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
		       const struct sockaddr *dest, socklen_t destlen)
{
	bool server;

	pthread_mutex_lock(&s->lock);
	server = is_server(s);
	pthread_mutex_unlock(&s->lock);
	if (server) {
		return zt_dtls_srv_sendto(s, buf, len, flags, dest, destlen);
	}
	return client_sendto(s, buf, len, flags, dest, destlen);
}

ssize_t zt_dtls_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen)
{
	ssize_t n;
	bool server;

	if (flags & MSG_PEEK) {
		return -ENOTSUP; /* reference §3.4: no peek buffer */
	}
	pthread_mutex_lock(&s->rx_lock);
	pthread_mutex_lock(&s->lock);
	server = is_server(s);
	n = s->dtls == NULL ? -ENOMEM : 0;
	pthread_mutex_unlock(&s->lock);
	if (n == 0) {
		n = server ? zt_dtls_srv_recvfrom(s, buf, len, flags, src, srclen)
			   : client_recvfrom(s, buf, len, flags, src, srclen);
	}
	pthread_mutex_unlock(&s->rx_lock);
	return n;
}

void zt_dtls_close(struct zt_sock *s)
{
	/* senders blocked in zt_wait() have been woken and leave tx_lock */
	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	if (s->dtls != NULL && s->dtls->mode == ZT_DTLS_SERVER) {
		zt_dtls_srv_close(s);
	} else if (s->eng != NULL && s->state == ZT_ESTABLISHED) {
		zt_eng_close_notify(s->eng);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
}

void zt_dtls_destroy(struct zt_sock *s)
{
	if (s->dtls == NULL) {
		return;
	}
	if (s->dtls->mode == ZT_DTLS_SERVER) {
		zt_dtls_srv_free(s); /* s->eng only borrowed a session's engine */
		s->eng = NULL;
	}
	free(s->dtls);
	s->dtls = NULL;
}

/* ---- poll (poll.c), same contract as zt_sock_poll_* ---- */

/* Under s->lock, established client: what a data check says, as poll events. */
static short client_check(struct zt_sock *s, short events)
{
	int rc = zt_dtls_eng_poll(s->eng);

	if (rc > 0) {
		return events & POLLIN;
	}
	if (rc == -EAGAIN) {
		return 0;
	}
	/* reference §3.7: DTLS close_notify is POLLHUP only, an error POLLERR */
	return client_drop(s, rc) == -ENOTCONN ? POLLHUP : POLLERR;
}

short zt_dtls_poll_ready(struct zt_sock *s, short events)
{
	/* reference §3.4: a DTLS socket is always writable */
	short rev = events & POLLOUT;

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		rev = zt_dtls_srv_poll_ready(s, events);
	} else if (s->state == ZT_ESTABLISHED) {
		if (zt_eng_write_pending(s->eng)) {
			(void)zt_eng_flush(s->eng);
		}
		if ((events & POLLIN) && zt_dtls_eng_readable(s->eng)) {
			rev |= client_check(s, events);
		}
	} else if (s->dtls != NULL && !s->dtls->hs_busy && s->error != 0) {
		rev |= s->error == ENOTCONN ? POLLHUP : POLLERR;
	}
	pthread_mutex_unlock(&s->lock);
	return rev;
}

short zt_dtls_poll_kernel_events(struct zt_sock *s, short events)
{
	short kev = events & ~POLLOUT; /* POLLOUT is always reported */

	pthread_mutex_lock(&s->lock);
	if (s->dtls != NULL && s->dtls->hs_busy) {
		kev &= ~POLLIN; /* handshake datagrams belong to the handshaking thread */
	}
	pthread_mutex_unlock(&s->lock);
	return kev;
}

/* Under s->lock: datagrams for a client without a session are stale; drop them. */
static void client_drain(struct zt_sock *s)
{
	unsigned char b;

	for (int i = 0; i < ZT_DTLS_BATCH && recv(s->fd, &b, 1, MSG_DONTWAIT) >= 0; i++) {
	}
}

short zt_dtls_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = (kev & (events | POLLERR | POLLHUP | POLLNVAL) & ~POLLIN) | (events & POLLOUT);

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		rev = zt_dtls_srv_poll_update(s, events, kev);
	} else if ((kev & POLLIN) && s->state == ZT_ESTABLISHED) {
		rev |= client_check(s, events);
	} else if ((kev & POLLIN) && s->dtls != NULL && !s->dtls->hs_busy) {
		client_drain(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rev;
}

int64_t zt_dtls_poll_timeout(struct zt_sock *s)
{
	int64_t t = ZT_FOREVER;

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		t = zt_dtls_srv_deadline(s);
		t = t == ZT_FOREVER ? t : zt_remaining(t);
	} else if (s->dtls != NULL && s->dtls->hs_busy) {
		t = HS_POLL_TICK_MS; /* to see the handshake end in another thread */
	}
	pthread_mutex_unlock(&s->lock);
	return t;
}

/* ---- test introspection (dtls_test.h) ---- */

int zt_dtls_session_count(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	int n;

	if (s == NULL) {
		return -EBADF;
	}
	pthread_mutex_lock(&s->lock);
	n = (s->dtls != NULL && s->dtls->mode == ZT_DTLS_SERVER) ? s->dtls->count : 0;
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}

int zt_dtls_test_send_fatal_alert(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	int rc = -ENOTCONN;

	if (s == NULL) {
		return -EBADF;
	}
	pthread_mutex_lock(&s->lock);
	if (s->eng != NULL && s->state == ZT_ESTABLISHED) {
		rc = zt_dtls_eng_send_fatal_alert(s->eng);
	}
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return rc;
}

long long zt_dtls_record_checks(int fd)
{
	struct zt_sock *s = zt_fd_get(fd);
	long long n;

	if (s == NULL) {
		return -EBADF;
	}
	pthread_mutex_lock(&s->lock);
	n = s->dtls != NULL ? (long long)s->dtls->record_checks : 0;
	pthread_mutex_unlock(&s->lock);
	zt_fd_put(s);
	return n;
}
