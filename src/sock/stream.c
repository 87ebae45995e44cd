/*
 * TLS over TCP (docs/zephyr-behaviour.md §3.3 handshakes, §3.4 data, §3.8 close): the
 * handshake in connect() and accept() - or, with SECSOCK_TLS_ASYNC_HANDSHAKE,
 * advanced by poll(), send() and recv() - and what send, recv and close
 * mean for a stream. The engine is driven by the session pump (session.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock/ops.h"
#include "sys/host.h"

/** Zephyr's CONFIG_NET_SOCKETS_CONNECT_TIMEOUT (TCP part of connect). */
#define ZT_TCP_CONNECT_TIMEOUT_MS 3000

/*
 * The client cache key of a peer address: family, port, address (and IPv6
 * scope), nothing else, so the connect() argument and getpeername() agree.
 */
static socklen_t cache_key_of(const struct sockaddr *a, socklen_t len, struct sockaddr_storage *key)
{
	memset(key, 0, sizeof(*key));
	if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)a;
		struct sockaddr_in *k = (void *)key;

		k->sin_family = AF_INET;
		k->sin_port = in->sin_port;
		k->sin_addr = in->sin_addr;
		return sizeof(*k);
	}
	if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in = (const void *)a;
		struct sockaddr_in6 *k = (void *)key;

		k->sin6_family = AF_INET6;
		k->sin6_port = in->sin6_port;
		k->sin6_addr = in->sin6_addr;
		k->sin6_scope_id = in->sin6_scope_id;
		return sizeof(*k);
	}
	return 0;
}

/*
 * Under s->lock: a session on the socket's config (built or shared now:
 * credentials are loaded when the handshake starts), keyed for the client
 * session cache by the peer's address: @p peer (the connect() argument), or
 * NULL to ask the kernel.
 */
static int session_begin(struct zt_sock *s, bool server, const struct sockaddr *peer,
			 socklen_t peerlen)
{
	struct zt_eng_sess_cfg sc;
	struct sockaddr_storage got, key;
	socklen_t glen = sizeof(got);
	int rc = zt_sock_conf(s, server);

	if (rc < 0) {
		return rc;
	}
	zt_sock_sess_cfg(s, &sc);
	if (!server && s->opts.session_cache == TLS_SESSION_CACHE_ENABLED) {
		if (peer == NULL &&
		    zt_sys_getpeername(s->fd, (struct sockaddr *)&got, &glen) == 0) {
			peer = (const struct sockaddr *)&got;
			peerlen = glen;
		}
		/* the client cache is keyed by peer address (Zephyr) */
		sc.cache_key_len = peer != NULL ? cache_key_of(peer, peerlen, &key) : 0;
		sc.cache_key = sc.cache_key_len > 0 ? &key : NULL;
	}
	rc = zt_session_start(&s->sess, s->conf, &sc);
	if (rc == 0) {
		s->eng = s->sess.eng; /* the option getters read it */
	}
	return rc;
}

/* Under s->lock: the handshake is over, with @p rc (0 or -errno). */
static int handshake_end(struct zt_sock *s, int rc)
{
	if (rc == 0) {
		s->eng = s->sess.eng;
		s->hs_done = true;
		if (s->fail_text != NULL) {
			s->fail_text[0] = '\0';
		}
		zt_sock_set_state(s, ZT_ESTABLISHED, 0);
		return 0;
	}
	if (rc != -EINTR) {
		zt_session_note_failure(&s->sess, rc);
	}
	zt_session_fail(&s->sess);
	if (rc == -EINTR) {
		return rc; /* close() from another thread: nothing to latch */
	}
	/* Zephyr: any failure but a timeout or no memory is ECONNABORTED, and it latches */
	if (rc != -ETIMEDOUT && rc != -ENOMEM) {
		rc = -ECONNABORTED;
	}
	zt_sock_set_state(s, ZT_CONNECTED, -rc);
	return rc;
}

/*
 * Under s->lock: advance a handshake that is not done by what is possible
 * now - the TCP connect of an asynchronous connect(), then handshake steps.
 * @retval 0 established (or closed since); -EAGAIN (*w: what to wait for);
 *         -errno the handshake failed (latched) or there is none.
 */
static int progress(struct zt_sock *s, struct zt_want *w)
{
	int rc;

	if (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED) {
		return 0;
	}
	if (s->state == ZT_CONNECTING) {
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};
		int err = 0;
		socklen_t len = sizeof(err);

		if (zt_sys_poll(&p, 1, 0) == 0) {
			*w = (struct zt_want){POLLOUT, ZT_FOREVER, false};
			return -EAGAIN;
		}
		/* writable without an error or hang-up: connected, nothing to ask */
		if ((p.revents & (POLLERR | POLLHUP)) != 0 &&
		    zt_sys_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
			err = errno;
		}
		if (err != 0) {
			zt_sock_set_state(s, ZT_CONNECTED, err); /* ECONNREFUSED, ETIMEDOUT... */
			return -err;
		}
		s->state = ZT_CONNECTED;
		rc = session_begin(s, false, NULL, 0);
		if (rc < 0) {
			zt_sock_set_state(s, ZT_CONNECTED, -rc); /* reported by POLLERR, SO_ERROR */
			return rc;
		}
	}
	if (s->state != ZT_CONNECTED || s->sess.eng == NULL) {
		return s->error != 0 ? -s->error : -ENOTCONN;
	}
	if (zt_remaining(s->sess.hs_deadline) == 0) {
		return handshake_end(s, -ETIMEDOUT);
	}
	rc = (int)zt_session_step(&s->sess, ZT_OP_HANDSHAKE, NULL, 0, NULL, w);
	if (rc == -EAGAIN) {
		w->deadline = zt_earliest(w->deadline, s->sess.hs_deadline);
		return rc;
	}
	return handshake_end(s, rc);
}

/*
 * Run a pending handshake to its end, or one step with @p nowait. Bounded by
 * @p deadline (then -EAGAIN) and by the handshake's own bound (ETIMEDOUT).
 * Called with rx_lock or tx_lock (or both), without s->lock.
 */
static int handshake_wait(struct zt_sock *s, int64_t deadline, bool nowait)
{
	struct zt_want w;
	int rc;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		rc = progress(s, &w);
		pthread_mutex_unlock(&s->lock);
		if (rc != -EAGAIN || nowait) {
			return rc;
		}
		rc = zt_wait(s, w.events, zt_earliest(deadline, w.deadline));
		if (rc == -EAGAIN && zt_remaining(deadline) == 0) {
			return -EAGAIN;
		}
		if (rc == -EINTR && !atomic_load(&s->closing)) {
			return rc; /* a signal (zt_posix_signals): the handshake goes on, as
				      connect()'s */
		}
		if (rc < 0 && rc != -EAGAIN) {
			pthread_mutex_lock(&s->lock);
			rc = rc == -EINTR ? handshake_end(s, -EINTR) : handshake_end(s, rc);
			pthread_mutex_unlock(&s->lock);
			return rc;
		}
	}
}

/* The asynchronous handshake applies: the option, on a non-blocking socket. */
static bool async_on(const struct zt_sock *s)
{
	return s->opts.async_handshake != 0 && s->nonblock;
}

static int tcp_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	int64_t deadline;
	int rc;

	if (zt_sys_connect(s->fd, addr, addrlen) == 0) {
		return 0;
	}
	if (errno != EINPROGRESS) {
		return -errno;
	}
	if (async_on(s)) {
		return -EINPROGRESS;
	}
	deadline = zt_deadline(ZT_TCP_CONNECT_TIMEOUT_MS);
	for (;;) {
		int err = 0;
		socklen_t len = sizeof(err);

		rc = zt_wait(s, POLLOUT, deadline);
		if (rc == -EAGAIN) {
			return -ETIMEDOUT;
		}
		if (rc < 0) {
			return rc; /* SO_ERROR of the failed connect (ECONNREFUSED...), or EINTR */
		}
		if (rc == 0) {
			continue; /* a wake-up that was not the connect */
		}
		if (!(rc & POLLHUP)) {
			return 0; /* writable, no error: connected */
		}
		if (zt_sys_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
			return -errno;
		}
		return err != 0 ? -err : -ECONNREFUSED;
	}
}

int zt_stream_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	bool connected = false; /* by this call: addr is the peer */
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->rx_lock);
	if (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED) {
		rc = -EISCONN;
		goto out;
	}
	if (s->state == ZT_LISTENING) {
		rc = -EINVAL;
		goto out;
	}
	if (s->state == ZT_CONNECTING || (s->state == ZT_CONNECTED && s->sess.eng != NULL)) {
		rc = -EALREADY; /* POSIX: a non-blocking connect() (and handshake) is in progress */
		goto out;
	}
	if (s->state == ZT_NEW) {
		rc = tcp_connect(s, addr, addrlen);
		if (rc == -EINTR && !atomic_load(&s->closing)) {
			/* a signal: the connection goes on asynchronously (POSIX connect()) */
			pthread_mutex_lock(&s->lock);
			s->state = ZT_CONNECTING;
			pthread_mutex_unlock(&s->lock);
			goto out;
		}
		if (rc == -EINPROGRESS) {
			pthread_mutex_lock(&s->lock);
			s->state = ZT_CONNECTING;
			pthread_mutex_unlock(&s->lock);
			goto out;
		}
		if (rc < 0) {
			goto out;
		}
		s->state = ZT_CONNECTED;
		connected = true;
	}
	pthread_mutex_lock(&s->lock);
	/* -ENOENT, -EINVAL, -ENOMEM: as they are */
	rc = session_begin(s, false, connected ? addr : NULL, addrlen);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		goto out;
	}
	if (async_on(s)) {
		/* the ClientHello goes out now; poll(), send() and recv() do the rest */
		rc = handshake_wait(s, 0, true);
		rc = rc == -EAGAIN ? -EINPROGRESS : rc;
	} else {
		/* blocking even on a non-blocking socket, as Zephyr; EAGAIN if that times out */
		rc = handshake_wait(s, s->sess.hs_deadline, false);
		if (rc == -EAGAIN) {
			pthread_mutex_lock(&s->lock);
			(void)handshake_end(s, -ETIMEDOUT);
			pthread_mutex_unlock(&s->lock);
			rc = s->nonblock ? -EAGAIN : -ETIMEDOUT;
		}
	}
out:
	pthread_mutex_unlock(&s->rx_lock);
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

int zt_stream_listen(struct zt_sock *s, int backlog)
{
	if (zt_sys_listen(s->fd, backlog) < 0) {
		return -errno;
	}
	pthread_mutex_lock(&s->lock);
	s->state = ZT_LISTENING;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int accept_tcp(struct zt_sock *l, struct sockaddr *addr, socklen_t *addrlen)
{
	int fd, rc;

	for (;;) {
		fd = zt_sys_accept4(l->fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			return fd;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return atomic_load(&l->closing) ? -EINTR : -errno;
		}
		if (l->nonblock) {
			return -EAGAIN;
		}
		rc = zt_wait(l, POLLIN, ZT_FOREVER);
		if (rc < 0) {
			return rc;
		}
	}
}

/*
 * The child inherits every option of the listener and shares its config
 * (rebuilt only when the listener's options or the credential store
 * changed: parsed credentials are shared, not parsed per connection).
 */
static struct zt_sock *child_new(struct zt_sock *l, int fd, int *err)
{
	struct zt_sock *c = zt_sock_new(fd, l->family, l->type, l->proto);
	int rc;

	if (c == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	zt_opts_free(&c->opts);
	rc = zt_opts_copy(&c->opts, &l->opts);
	if (rc == 0) {
		rc = zt_sock_conf(l, true);
	}
	if (rc == 0) {
		zt_eng_conf_get(l->conf);
		c->conf = l->conf;
		c->conf_opts_gen = c->opts_gen;
		c->conf_cred_gen = l->conf_cred_gen;
	}
	pthread_mutex_unlock(&l->lock);
	if (rc < 0) {
		zt_sock_destroy(c);
		*err = rc;
		return NULL;
	}
	c->nonblock = false;
	c->state = ZT_CONNECTED;
	return c;
}

int zt_stream_accept(struct zt_sock *l, struct sockaddr *addr, socklen_t *addrlen)
{
	struct zt_eng_sess_cfg sc;
	struct zt_sock *c;
	int fd, rc;

	if (l->state != ZT_LISTENING) {
		return -EINVAL;
	}
	fd = accept_tcp(l, addr, addrlen);
	if (fd < 0) {
		return fd;
	}
	c = child_new(l, fd, &rc);
	if (c == NULL) {
		zt_sys_close(fd);
		return rc;
	}
	zt_sock_sess_cfg(c, &sc);
	rc = zt_session_start(&c->sess, c->conf, &sc);
	c->eng = c->sess.eng;
	if (rc == 0 && c->opts.async_handshake == 0) {
		/* bounded even on a non-blocking listener, as Zephyr's accept() */
		rc = handshake_wait(c, c->sess.hs_deadline, false);
		if (rc == -EAGAIN) {
			rc = -ETIMEDOUT;
		}
	}
	if (rc < 0) {
		/* a failed handshake costs this accept() only (Zephyr) */
		if (c->hs_done) {
			/* the listener tells why (SECSOCK_TLS_FAILURE_REASON) */
			pthread_mutex_lock(&l->lock);
			char *t = l->fail_text; /* c is destroyed below, with the old text */

			l->fail_text = c->fail_text;
			c->fail_text = t;
			l->hs_done = true;
			pthread_mutex_unlock(&l->lock);
		}
		zt_sock_destroy(c);
		return rc == -EINTR || rc == -ENOMEM ? rc : -ECONNABORTED;
	}
	rc = zt_fd_insert(&c->obj);
	if (rc < 0) {
		zt_sock_destroy(c);
		return rc;
	}
	return fd;
}

/* An error a send or recv must report before touching the engine, or 0 (no lock needed). */
static int data_precheck(struct zt_sock *s)
{
	if (s->error != 0) {
		return -s->error;
	}
	if (s->broken) {
		return -ECONNABORTED;
	}
	return 0;
}

/* How stale "the peer has not left" may be when send() relies on it (ms). */
#define PEER_CHECK_MS 10

/* The peer shut its side of the TCP connection (FIN or RST). */
static bool peer_gone(struct zt_sock *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLRDHUP};

	if (atomic_load(&s->peer_left)) {
		return true;
	}
	/*
	 * The syscall at most once per PEER_CHECK_MS (also skipped when a
	 * zsock_poll() asked the kernel as recently), so small sends do not pay
	 * it each time. A FIN arrives asynchronously anyway: a send right after
	 * it may go out either way, on Zephyr as here.
	 */
	int64_t now = zt_now_ms();

	if (now - atomic_load(&s->peer_check_ms) < PEER_CHECK_MS) {
		return false;
	}
	atomic_store(&s->peer_check_ms, now);
	return zt_sys_poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* A handshake still to run (asynchronous): finish it, or say EAGAIN. With rx/tx lock. */
static int established_or_wait(struct zt_sock *s, int64_t deadline, bool nowait)
{
	int rc;

	if (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED) {
		return 0;
	}
	if (s->state != ZT_CONNECTED && s->state != ZT_CONNECTING) {
		return -ENOTCONN;
	}
	/* a blocking call waits for the handshake, bounded by its timeout and the handshake's */
	rc = handshake_wait(s, nowait ? 0 : deadline, nowait);
	return rc == -EAGAIN && !nowait ? -EAGAIN : rc;
}

ssize_t zt_stream_send(struct zt_sock *s, const void *buf, size_t len, int flags)
{
	const unsigned char *p = buf;
	bool nowait = zt_nowait(s, flags);
	int64_t deadline;
	size_t sent = 0;
	ssize_t n = 0;
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	deadline = nowait ? 0 : zt_deadline(zt_timeo(s, false));
	rc = data_precheck(s);
	if (rc == 0 && atomic_load(&s->shut_wr)) {
		rc = -EPIPE; /* shutdown(SHUT_WR) (POSIX; no SIGPIPE) */
	} else if (rc == 0 && s->state == ZT_CLOSED) {
		rc = -ECONNABORTED; /* the peer sent close_notify (Zephyr) */
	} else if (rc == 0 && s->state == ZT_ESTABLISHED && peer_gone(s)) {
		/*
		 * Zephyr's TCP refuses data once the peer closed, so its send fails
		 * and latches ECONNABORTED (test_send_on_close); Linux would take
		 * the bytes and lose them.
		 */
		pthread_mutex_lock(&s->lock);
		s->error = ECONNABORTED;
		pthread_mutex_unlock(&s->lock);
		rc = -ECONNABORTED;
	}
	if (rc == 0) {
		rc = established_or_wait(s, deadline, nowait);
	}
	if (rc < 0) {
		pthread_mutex_unlock(&s->tx_lock);
		return rc;
	}
	for (;;) {
		if (sent < len) {
			n = zt_session_run(&s->sess, ZT_OP_WRITE, (void *)(p + sent), len - sent,
					   NULL, deadline, nowait);
		} else if (s->sess.tx_queued) {
			/* all accepted: push a queued record out before returning */
			n = zt_session_run(&s->sess, ZT_OP_FLUSH, NULL, 0, NULL, deadline, nowait);
		} else {
			break; /* every record is in the kernel */
		}
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == 0 || n == -EAGAIN || n == -EINTR) {
			/* flushed; or non-blocking / timed out: a queued record counts as sent */
			break;
		}
		pthread_mutex_lock(&s->lock);
		s->error = n == -ENOMEM ? ENOMEM : ECONNABORTED; /* Zephyr: latched */
		n = -s->error;
		pthread_mutex_unlock(&s->lock);
		break;
	}
	pthread_mutex_unlock(&s->tx_lock);
	return sent > 0 ? (ssize_t)sent : n;
}

ssize_t zt_stream_recv(struct zt_sock *s, void *buf, size_t len, int flags)
{
	unsigned char *p = buf;
	bool nowait = zt_nowait(s, flags);
	int64_t deadline;
	size_t got = 0;
	ssize_t n;
	int rc;

	pthread_mutex_lock(&s->rx_lock);
	deadline = nowait ? 0 : zt_deadline(zt_timeo(s, true));
	rc = data_precheck(s);
	if (rc == 0) {
		rc = established_or_wait(s, deadline, nowait);
	}
	if (rc < 0 || s->state == ZT_CLOSED || atomic_load(&s->shut_rd) || len == 0) {
		pthread_mutex_unlock(&s->rx_lock);
		return rc;
	}
	if (flags & MSG_PEEK) {
		/*
		 * secsock extension (docs/zephyr-behaviour.md, Deliberate
		 * differences): the rest of the record at the head, left in the
		 * engine for the next recv; MSG_WAITALL does not make it wait for
		 * more than that record holds.
		 */
		flags &= ~MSG_WAITALL;
	}
	for (;;) {
		n = zt_session_run(&s->sess, (flags & MSG_PEEK) ? ZT_OP_PEEK : ZT_OP_READ, p + got,
				   len - got, NULL, deadline,
				   nowait || (got > 0 && !(flags & MSG_WAITALL)));
		if (n > 0) {
			got += (size_t)n;
			if (got == len || !(flags & MSG_WAITALL)) {
				break;
			}
			continue;
		}
		if (n == -ESHUTDOWN) {
			n = 0; /* shutdown(SHUT_RD) (Zephyr): EOF, but the connection lives on */
			break;
		}
		pthread_mutex_lock(&s->lock);
		if (n == 0) {
			zt_sock_set_state(s, ZT_CLOSED, 0); /* close_notify or EOF: 0 from now on */
		} else if (n == -ENOMEM) {
			s->error = ENOMEM;
		} else if (n != -EAGAIN && n != -EINTR) {
			/* other engine errors are EIO and not latched (Zephyr); later calls fail */
			s->broken = true;
			n = -EIO;
		}
		pthread_mutex_unlock(&s->lock);
		break;
	}
	pthread_mutex_unlock(&s->rx_lock);
	/*
	 * MSG_WAITALL cut short by a timeout or EOF: return what arrived (Zephyr
	 * drops it and reports EAGAIN; docs/zephyr-behaviour.md §3.4).
	 */
	return got > 0 ? (ssize_t)got : n;
}

void zt_stream_close(struct zt_sock *s)
{
	/* a sender blocked in zt_wait() has been woken and leaves tx_lock */
	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	if (s->sess.eng != NULL && s->state == ZT_ESTABLISHED && !atomic_load(&s->shut_wr)) {
		zt_eng_close_notify(s->sess.eng);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
}

int zt_stream_shutdown_wr(struct zt_sock *s)
{
	int rc = 0;

	/* after every send in progress: close_notify follows the last record */
	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	if (s->state != ZT_ESTABLISHED && s->state != ZT_CLOSED) {
		rc = -ENOTCONN; /* no handshake done (or it failed): as TCP says */
	} else if (!atomic_load(&s->shut_wr)) {
		/* flushes a queued record first, then the alert (engine) */
		if (s->sess.eng != NULL) {
			zt_eng_close_notify(s->sess.eng);
		}
		atomic_store(&s->shut_wr, true);
		/* the TCP half-close after it: the peer's reads end, ours go on */
		if (zt_sys_shutdown(s->fd, SHUT_WR) < 0 && errno != ENOTCONN) {
			rc = -errno;
		}
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

/* Under s->lock, established: a non-blocking data check; the plaintext it made ready. */
static int stream_ready_bytes(struct zt_sock *s)
{
	struct zt_eng_status st;
	struct zt_want w;
	ssize_t rc = zt_session_step(&s->sess, ZT_OP_CHECK, NULL, 0, NULL, &w);

	if (rc == 0) {
		zt_sock_set_state(s, ZT_CLOSED, 0); /* recv() returns 0 now */
	} else if (rc < 0 && rc != -EAGAIN) {
		s->error = rc == -ENOMEM ? ENOMEM : ECONNABORTED; /* as poll() latches it */
	}
	if (rc <= 0) {
		return 0;
	}
	zt_session_status(&s->sess, &st);
	return st.plaintext > INT32_MAX ? INT32_MAX : (int)st.plaintext;
}

int zt_stream_fionread(struct zt_sock *s, int *avail)
{
	bool moved = false;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	if (s->state == ZT_LISTENING) {
		pthread_mutex_unlock(&s->lock);
		return -EINVAL; /* as a TCP listener */
	}
	if (s->state == ZT_ESTABLISHED && s->sess.eng != NULL && s->error == 0 && !s->broken &&
	    !atomic_load(&s->shut_rd)) {
		n = stream_ready_bytes(s);
		moved = n > 0 || s->state == ZT_CLOSED || s->error != 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (moved) {
		/* as poll(): a reader blocked on the kernel socket must look at the engine again */
		atomic_fetch_add(&s->moved, 1);
		zt_wake_others(s);
	}
	*avail = n;
	return 0;
}

/* ---- poll (events.c) ---- */

int zt_stream_progress(struct zt_sock *s, struct zt_want *w)
{
	return progress(s, w);
}
