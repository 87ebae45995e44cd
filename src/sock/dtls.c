/*
 * DTLS over UDP (docs/zephyr-behaviour.md §3.3, §3.4): the calls socket.c makes for
 * SOCK_DGRAM secure sockets, and the client - one peer, pinned with a
 * kernel connect() so that the kernel drops datagrams from anyone else. The
 * many-peer server is dtls_server.c. Both drive their sessions with the
 * session pump (session.c); this file decides what results mean for a
 * DTLS client (Zephyr's errno rules).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cred/store.h"
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
		atomic_store(&s->dtls_srv,
			     true); /* a mode is never left: later calls skip s->lock */
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

/* ---- the client: one peer, kernel-connected ---- */

/* Under s->lock: the session is gone; latch why (Zephyr's DTLS client rules). */
static int client_drop(struct zt_sock *s, int rc)
{
	int io_err = s->sess.io_err;
	int err;

	if (rc == -ETIMEDOUT) {
		zt_session_close(&s->sess, true);
	} else {
		zt_session_fail(&s->sess);
	}
	if (rc == -ENOTCONN && s->state == ZT_ESTABLISHED) {
		s->peer_notified = true; /* SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED */
	}
	if (rc == -ENOTCONN || rc == -ETIMEDOUT || rc == -ENOMEM) {
		err = -rc;
	} else {
		err = io_err != 0 ? io_err : ECONNABORTED; /* e.g. ECONNREFUSED: ICMP */
	}
	zt_sock_set_state(s, ZT_CONNECTED, err);
	return -err;
}

/*
 * Under s->lock: a fresh session on the socket's config. A cached session is
 * restored before the handshake, keyed by peer address ('D' keeps a DTLS peer
 * apart from a TLS one on the same address and port number).
 */
static int client_session_new(struct zt_sock *s)
{
	unsigned char key[1 + sizeof(struct sockaddr_in6)];
	struct zt_dtls *d = s->dtls;
	struct zt_eng_sess_cfg sc;
	int rc;

	zt_session_close(&s->sess, false);
	s->state = ZT_CONNECTED;
	rc = zt_sock_conf(s, false);
	if (rc < 0) {
		return rc;
	}
	zt_sock_sess_cfg(s, &sc);
	if (s->opts.session_cache == TLS_SESSION_CACHE_ENABLED && d->peer_len <= sizeof(key) - 1) {
		key[0] = 'D';
		memcpy(key + 1, &d->peer, d->peer_len);
		sc.cache_key = key;
		sc.cache_key_len = 1 + (size_t)d->peer_len;
	}
	rc = zt_session_start(&s->sess, s->conf, &sc);
	if (rc == 0) {
		s->eng = s->sess.eng; /* the option getters read it */
	}
	return rc;
}

/* Under s->lock: the end of a started handshake. */
static int client_handshake_end(struct zt_sock *s, int rc, int expired)
{
	s->dtls->hs_busy = false;
	if (rc == 0) {
		s->eng = s->sess.eng;
		s->hs_done = true;
		if (s->fail_text != NULL) {
			s->fail_text[0] = '\0';
		}
		s->peer_notified = false;
		zt_sock_set_state(s, ZT_ESTABLISHED, 0);
		return 0;
	}
	if (rc != -EINTR) {
		zt_session_note_failure(&s->sess, rc == -EAGAIN ? -ETIMEDOUT : rc);
	}
	if (rc == -EINTR) {
		zt_session_close(&s->sess,
				 false); /* close() from another thread: nothing to latch */
		return rc;
	}
	if (rc == -EAGAIN) {
		(void)client_drop(s, -ETIMEDOUT);
		return expired;
	}
	/* a failed handshake resets the session and latches why; the next send retries */
	return client_drop(s, rc == -ECONNRESET ? -ECONNABORTED : rc);
}

/*
 * Run a fresh client handshake to its end or to @p deadline (@p expired is
 * then the result: ETIMEDOUT or EAGAIN). A blocked call sleeps until a
 * datagram or the retransmission timer (TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX).
 * Blocking even on a non-blocking socket, as Zephyr.
 */
static int client_handshake(struct zt_sock *s, int64_t deadline, int expired)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = client_session_new(s);
	if (rc == 0) {
		s->dtls->hs_busy = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		return rc; /* no session: credentials, memory */
	}
	rc = (int)zt_session_run(&s->sess, ZT_OP_HANDSHAKE, NULL, 0, NULL, deadline, false);
	pthread_mutex_lock(&s->lock);
	rc = client_handshake_end(s, rc, expired);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/*
 * Under s->lock, asynchronous handshake (SECSOCK_TLS_ASYNC_HANDSHAKE): one
 * step. @retval 0 established; -EAGAIN (*w); -errno failed (latched).
 */
static int client_progress(struct zt_sock *s, struct zt_want *w)
{
	int rc;

	if (s->state == ZT_ESTABLISHED) {
		return 0;
	}
	if (s->sess.eng == NULL || s->dtls->hs_busy) {
		return s->error != 0 ? -s->error : -ENOTCONN;
	}
	if (zt_remaining(s->sess.hs_deadline) == 0) {
		return client_handshake_end(s, -ETIMEDOUT, -ETIMEDOUT);
	}
	rc = (int)zt_session_step(&s->sess, ZT_OP_HANDSHAKE, NULL, 0, NULL, w);
	if (rc == -EAGAIN) {
		w->deadline = zt_earliest(w->deadline, s->sess.hs_deadline);
		return rc;
	}
	return client_handshake_end(s, rc, -ETIMEDOUT);
}

/* A pending asynchronous handshake: run it (blocking) or step it (@p nowait). */
static int client_progress_wait(struct zt_sock *s, int64_t deadline, bool nowait)
{
	struct zt_want w;
	int rc;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		rc = client_progress(s, &w);
		pthread_mutex_unlock(&s->lock);
		if (rc != -EAGAIN || nowait) {
			return rc;
		}
		rc = zt_wait(s, w.events, zt_earliest(deadline, w.deadline));
		if (rc == -EAGAIN && zt_remaining(deadline) == 0) {
			return -EAGAIN;
		}
		if (rc < 0 && rc != -EAGAIN) {
			pthread_mutex_lock(&s->lock);
			if (rc != -EINTR) {
				s->sess.io_err = -rc;
			}
			rc = client_handshake_end(s, rc == -EINTR ? rc : -ECONNABORTED, rc);
			pthread_mutex_unlock(&s->lock);
			return rc;
		}
	}
}

/* Pin the peer: kernel connect() (the kernel filters other sources), then remember it. */
static int peer_set(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	if (addr == NULL || addrlen > sizeof(struct sockaddr_storage)) {
		return -EINVAL;
	}
	if (zt_sys_connect(s->fd, addr, addrlen) < 0) {
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

static bool async_on(const struct zt_sock *s)
{
	return s->opts.async_handshake != 0 && s->nonblock;
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
	if (rc == 0 && hs && async_on(s)) {
		/* the ClientHello goes out now; poll(), send() and recv() do the rest */
		pthread_mutex_lock(&s->lock);
		rc = client_session_new(s);
		pthread_mutex_unlock(&s->lock);
		if (rc == 0) {
			rc = client_progress_wait(s, 0, true);
			rc = rc == -EAGAIN ? -EINPROGRESS : rc;
		}
	} else if (rc == 0 && hs) {
		/* bounded by the connect timeout (Zephyr) */
		rc = client_handshake(s, zt_deadline(ZT_CONNECT_TIMEOUT_MS),
				      s->nonblock ? -EAGAIN : -ETIMEDOUT);
	}
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

/* Encrypt and send one datagram on the established session. */
static ssize_t client_write(struct zt_sock *s, const void *buf, size_t len, int flags)
{
	bool nowait = zt_nowait(s, flags);
	int64_t deadline;
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	deadline = nowait ? 0 : zt_deadline(s->opts.sndtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	n = zt_session_run(&s->sess, ZT_OP_WRITE, (void *)buf, len, NULL, deadline, nowait);
	if (n >= 0 || n == -EAGAIN || n == -EMSGSIZE || n == -EINTR) {
		return n; /* EMSGSIZE: one datagram, one record (Zephyr) */
	}
	pthread_mutex_lock(&s->lock);
	n = s->state == ZT_ESTABLISHED ? client_drop(s, (int)n) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static ssize_t client_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
			     const struct sockaddr *dest, socklen_t destlen)
{
	bool need_peer = false, established, pending;
	int64_t deadline;
	ssize_t rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	rc = client_claim(s);
	if (rc == 0 && atomic_load(&s->shut_wr)) {
		rc = -EPIPE; /* shutdown(SHUT_WR) (POSIX; no SIGPIPE) */
	} else if (rc == 0 && dest == NULL && s->dtls->peer_len == 0) {
		rc = -EDESTADDRREQ;
	} else if (rc == 0 && dest != NULL && s->dtls->peer_len == 0) {
		need_peer = true; /* sendto() without connect() names the peer */
	} else if (rc == 0 && dest != NULL &&
		   !zt_dtls_addr_eq(dest, destlen, (struct sockaddr *)&s->dtls->peer,
				    s->dtls->peer_len)) {
		rc = -EISCONN;
	}
	established = s->state == ZT_ESTABLISHED;
	pending = s->sess.eng != NULL && !established && s->error == 0;
	/* Zephyr blocks a non-blocking socket here too; we bound it as connect() */
	deadline = zt_nowait(s, flags) ? zt_deadline(ZT_CONNECT_TIMEOUT_MS)
				       : zt_deadline(s->opts.sndtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	if (rc == 0 && need_peer) {
		rc = peer_set(s, dest, destlen);
	}
	if (rc == 0 && !established && pending && s->opts.async_handshake != 0) {
		/* an asynchronous handshake in progress */
		rc = client_progress_wait(s, deadline, zt_nowait(s, flags));
	} else if (rc == 0 && !established && async_on(s)) {
		/* start one, without waiting for it */
		pthread_mutex_lock(&s->lock);
		rc = client_session_new(s);
		pthread_mutex_unlock(&s->lock);
		if (rc == 0) {
			rc = client_progress_wait(s, 0, true);
		}
	} else if (rc == 0 && !established) {
		/* TLS_DTLS_HANDSHAKE_ON_CONNECT 0, or a retry after a failed handshake */
		rc = client_handshake(s, deadline, -EAGAIN);
	}
	if (rc == 0) {
		rc = client_write(s, buf, len, flags);
	}
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

static ssize_t client_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags,
			       struct sockaddr *src, socklen_t *srclen)
{
	bool nowait = zt_nowait(s, flags);
	int64_t deadline;
	size_t full = 0;
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	deadline = nowait ? 0 : zt_deadline(s->opts.rcvtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	if (s->state != ZT_ESTABLISHED && s->sess.eng != NULL && s->error == 0 &&
	    s->opts.async_handshake != 0) {
		n = client_progress_wait(s, deadline, nowait);
		if (n < 0) {
			return n;
		}
	}
	if (s->state != ZT_ESTABLISHED) {
		return -ENOTCONN; /* recv before the handshake (Zephyr) */
	}
	if (s->error != 0) {
		return -s->error;
	}
	/* MSG_PEEK (secsock extension): the datagram stays for the next recvfrom() */
	n = zt_session_run(&s->sess, (flags & MSG_PEEK) ? ZT_OP_PEEK : ZT_OP_READ, buf, len, &full,
			   deadline, nowait);
	if (n > 0 || (n == 0 && full > 0)) {
		zt_dtls_addr_out(&s->dtls->peer, s->dtls->peer_len, src, srclen);
		return (flags & MSG_TRUNC) ? (ssize_t)full : n;
	}
	if (n == -EAGAIN || n == -EINTR) {
		return n;
	}
	if (n == -ESHUTDOWN) {
		return 0;
	}
	/* close_notify (0): ENOTCONN; anything else: the session is reset (Zephyr) */
	pthread_mutex_lock(&s->lock);
	n = s->state == ZT_ESTABLISHED ? client_drop(s, n == 0 ? -ENOTCONN : (int)n) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int zt_dtls_recv_wait(struct zt_sock *s, short want, int64_t deadline, int64_t timer)
{
	int rc = zt_wait(s, want, zt_earliest(deadline, timer));

	if (atomic_load(&s->shut_rd)) {
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
	bool server = atomic_load(&s->dtls_srv);

	if (!server) {
		pthread_mutex_lock(&s->lock);
		server = is_server(s);
		pthread_mutex_unlock(&s->lock);
	}
	if (server) {
		return zt_dtls_srv_sendto(s, buf, len, flags, dest, destlen);
	}
	return client_sendto(s, buf, len, flags, dest, destlen);
}

ssize_t zt_dtls_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen)
{
	ssize_t n = 0;
	bool server = atomic_load(&s->dtls_srv);

	pthread_mutex_lock(&s->rx_lock);
	if (!server) {
		pthread_mutex_lock(&s->lock);
		server = is_server(s);
		n = s->dtls == NULL ? -ENOMEM : 0;
		pthread_mutex_unlock(&s->lock);
	}
	if (n == 0 && atomic_load(&s->shut_rd)) {
		n = 0;
	} else if (n == 0) {
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
	} else if (s->sess.eng != NULL && s->state == ZT_ESTABLISHED && !atomic_load(&s->shut_wr)) {
		zt_eng_close_notify(s->sess.eng);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
}

int zt_dtls_shutdown_wr(struct zt_sock *s)
{
	int rc = 0;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	if (s->dtls == NULL || s->dtls->mode != ZT_DTLS_CLIENT || s->dtls->peer_len == 0) {
		rc = -ENOTCONN; /* a server socket or no peer: no connection to shut (POSIX) */
	} else if (!atomic_load(&s->shut_wr)) {
		if (s->sess.eng != NULL && s->state == ZT_ESTABLISHED) {
			zt_eng_close_notify(s->sess.eng);
		}
		atomic_store(&s->shut_wr, true);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

static short client_check(struct zt_sock *s, short events);

int zt_dtls_fionread(struct zt_sock *s, int *avail)
{
	struct zt_eng_status st;
	bool moved = false;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		n = zt_dtls_srv_fionread(s);
		moved = n > 0;
	} else if (s->state == ZT_ESTABLISHED && s->sess.eng != NULL && s->error == 0 &&
		   !s->dtls->hs_busy) {
		short rev = client_check(s, POLLIN);

		zt_session_status(&s->sess, &st);
		n = (rev & POLLIN) && st.plaintext < INT32_MAX ? (int)st.plaintext : 0;
		moved = rev != 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (moved) {
		/* as poll(): a reader blocked on the kernel socket must look at the engine again */
		atomic_fetch_add(&s->moved, 1);
		zt_wake_others(s);
	}
	*avail = n < 0 ? 0 : n;
	return n < 0 ? n : 0;
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

/* ---- poll (events.c), same contract as the stream's ---- */

/* Under s->lock, established client: what a data check says, as poll events. */
static short client_check(struct zt_sock *s, short events)
{
	struct zt_want w;
	int rc = (int)zt_session_step(&s->sess, ZT_OP_CHECK, NULL, 0, NULL, &w);

	if (rc > 0) {
		return events & POLLIN;
	}
	if (rc == -EAGAIN) {
		return 0;
	}
	/* DTLS close_notify is POLLHUP only, an error POLLERR (Zephyr) */
	return client_drop(s, rc == 0 ? -ENOTCONN : rc) == -ENOTCONN ? POLLHUP : POLLERR;
}

/* Under s->lock: an asynchronous handshake in progress, not run by a blocked thread. */
static bool client_async_pending(const struct zt_sock *s)
{
	return s->dtls != NULL && s->dtls->mode == ZT_DTLS_CLIENT && !s->dtls->hs_busy &&
	       s->sess.eng != NULL && s->state == ZT_CONNECTED;
}

short zt_dtls_poll_ready(struct zt_sock *s, short events)
{
	/* a DTLS socket is always writable (Zephyr) - once its handshake is done */
	short rev = events & POLLOUT;

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		rev = zt_dtls_srv_poll_ready(s, events);
	} else if (client_async_pending(s)) {
		struct zt_want w;
		int rc = client_progress(s, &w);

		rev = rc == -EAGAIN ? 0 : rc < 0 ? POLLERR : (events & POLLOUT);
	} else if (s->state == ZT_ESTABLISHED) {
		struct zt_eng_status st;

		zt_session_status(&s->sess, &st);
		if (st.write_pending) {
			(void)zt_eng_flush(s->sess.eng);
		}
		if ((events & POLLIN) && zt_session_readable(&s->sess)) {
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
	} else if (client_async_pending(s)) {
		kev = POLLIN; /* the next handshake flight */
	}
	pthread_mutex_unlock(&s->lock);
	return kev;
}

/* Under s->lock: datagrams for a client without a session are stale; drop them. */
static void client_drain(struct zt_sock *s)
{
	unsigned char b;

	for (int i = 0; i < ZT_DTLS_BATCH && zt_sys_recv(s->fd, &b, 1, MSG_DONTWAIT) >= 0; i++) {
	}
}

short zt_dtls_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = (kev & (events | POLLERR | POLLHUP | POLLNVAL) & ~POLLIN) | (events & POLLOUT);

	pthread_mutex_lock(&s->lock);
	if (is_server(s)) {
		rev = zt_dtls_srv_poll_update(s, events, kev);
	} else if (client_async_pending(s)) {
		struct zt_want w;
		int rc = (kev & (POLLIN | POLLERR)) ? client_progress(s, &w) : -EAGAIN;

		rev = rc == -EAGAIN ? 0 : rc < 0 ? POLLERR : (events & POLLOUT);
		if (rc == 0 && (events & POLLIN) && zt_session_readable(&s->sess)) {
			rev |= client_check(s, events);
		}
	} else if ((kev & POLLIN) && s->state == ZT_ESTABLISHED) {
		rev |= client_check(s, events);
	} else if ((kev & POLLIN) && s->dtls != NULL && !s->dtls->hs_busy) {
		client_drain(s);
	}
	if (s->state != ZT_ESTABLISHED && s->dtls != NULL && s->dtls->mode == ZT_DTLS_CLIENT &&
	    s->opts.async_handshake != 0 && s->error == 0) {
		rev &= ~POLLOUT; /* writable only once the handshake is done */
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
	} else if (client_async_pending(s)) {
		struct zt_eng_status st;

		zt_session_status(&s->sess, &st);
		t = zt_remaining(zt_earliest(st.timer, s->sess.hs_deadline));
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
		rc = zt_eng_send_fatal_alert(s->eng);
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
