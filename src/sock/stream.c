/*
 * TLS over TCP (reference §3.3, §3.4, §3.8): handshake in connect() and
 * accept(), the send and recv loops, close_notify. The engine is pumped
 * under s->lock; waiting happens in zt_wait() with no lock but the caller's
 * rx_lock or tx_lock held.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cred/store.h"
#include "engine/engine.h"
#include "fd/fdtable.h"
#include "sock/ops.h"

/** Zephyr's CONFIG_NET_SOCKETS_CONNECT_TIMEOUT (TCP part of connect). */
#define ZT_TCP_CONNECT_TIMEOUT_MS 3000

static ssize_t io_send(void *ctx, const void *buf, size_t len)
{
	struct zt_sock *s = ctx;
	ssize_t n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	return n;
}

static ssize_t io_recv(void *ctx, void *buf, size_t len)
{
	struct zt_sock *s = ctx;
	ssize_t n = recv(s->fd, buf, len, MSG_DONTWAIT);

	if (n < 0) {
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	return n;
}

/*
 * Run the handshake to its end or to @p deadline. Blocking even on a
 * non-blocking socket, as Zephyr (reference §3.3); on timeout ETIMEDOUT,
 * or EAGAIN for a non-blocking socket.
 */
static int handshake(struct zt_sock *s, int64_t deadline)
{
	int rc;
	short want;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		rc = zt_eng_handshake(s->eng);
		want = zt_eng_want(s->eng);
		pthread_mutex_unlock(&s->lock);
		if (rc != -EAGAIN) {
			break;
		}
		rc = zt_wait(s, want, deadline);
		if (rc == -EAGAIN) {
			rc = s->nonblock ? -EAGAIN : -ETIMEDOUT;
			break;
		}
		if (rc < 0) {
			break;
		}
	}
	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		s->state = ZT_ESTABLISHED;
		s->error = 0;
	} else {
		/* reference §3.3: reset the session, latch the error */
		zt_eng_free(s->eng);
		s->eng = NULL;
		if (rc != -EINTR) {
			s->error = rc == -ETIMEDOUT || rc == -EAGAIN ? ETIMEDOUT : ECONNABORTED;
			if (rc != -ETIMEDOUT && rc != -EAGAIN && rc != -ENOMEM) {
				rc = -ECONNABORTED;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* A session on the socket's config (built or shared before the call). */
static int session_start(struct zt_sock *s)
{
	struct zt_eng_io io = {.ctx = s, .send = io_send, .recv = io_recv};
	int rc;

	pthread_mutex_lock(&s->lock);
	zt_eng_free(s->eng);
	s->eng = NULL;
	rc = zt_eng_new(&s->eng, s->conf, &io, &s->opts);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int tcp_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	int rc;

	if (connect(s->fd, addr, addrlen) == 0) {
		return 0;
	}
	if (errno != EINPROGRESS) {
		return -errno;
	}
	int64_t deadline = zt_deadline(ZT_TCP_CONNECT_TIMEOUT_MS);
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};

	do {
		rc = zt_wait(s, POLLOUT, deadline);
		if (rc == -EAGAIN) {
			return -ETIMEDOUT;
		}
		if (rc < 0) {
			return rc;
		}
	} while (poll(&p, 1, 0) == 0); /* a wake-up that was not the connect */
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		return -errno;
	}
	return -err;
}

int zt_stream_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen)
{
	struct zt_eng_conf *conf = NULL;
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->rx_lock);
	if (s->state == ZT_ESTABLISHED) {
		rc = -EISCONN;
		goto out;
	}
	if (s->state == ZT_LISTENING) {
		rc = -EINVAL;
		goto out;
	}
	if (s->state == ZT_NEW) {
		rc = tcp_connect(s, addr, addrlen);
		if (rc < 0) {
			goto out;
		}
		s->state = ZT_CONNECTED;
	}
	/* credentials are loaded now (reference §3.3), from the current options */
	pthread_mutex_lock(&s->lock);
	rc = zt_eng_conf_shared(&conf, &s->opts, s->proto, false);
	if (rc == 0) {
		zt_eng_conf_put(s->conf);
		s->conf = conf;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		goto out;
	}
	rc = session_start(s);
	if (rc == 0 && s->opts.session_cache == TLS_SESSION_CACHE_ENABLED) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		/* reference §3.10: the client cache is keyed by peer address */
		if (getpeername(s->fd, (struct sockaddr *)&peer, &plen) == 0) {
			pthread_mutex_lock(&s->lock);
			rc = zt_eng_cache_attach(s->eng, &peer, plen);
			pthread_mutex_unlock(&s->lock);
		}
	}
	if (rc == 0) {
		rc = handshake(s, zt_deadline(ZT_CONNECT_TIMEOUT_MS));
	}
out:
	pthread_mutex_unlock(&s->rx_lock);
	pthread_mutex_unlock(&s->tx_lock);
	return rc;
}

int zt_stream_listen(struct zt_sock *s, int backlog)
{
	if (listen(s->fd, backlog) < 0) {
		return -errno;
	}
	pthread_mutex_lock(&s->lock);
	s->state = ZT_LISTENING;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/*
 * The listener's config, rebuilt only when its options or the credential
 * store changed: accepted sockets share parsed credentials (SPEC §5).
 */
static int listener_conf(struct zt_sock *l, struct zt_eng_conf **out)
{
	uint64_t gen = zt_cred_generation();
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	if (l->conf == NULL || l->conf_opts_gen != l->opts_gen || l->conf_cred_gen != gen) {
		struct zt_eng_conf *c = NULL;

		rc = zt_eng_conf_new(&c, &l->opts, l->proto, true);
		if (rc == 0) {
			zt_eng_conf_put(l->conf);
			l->conf = c;
			l->conf_opts_gen = l->opts_gen;
			l->conf_cred_gen = gen;
		}
	}
	if (rc == 0) {
		zt_eng_conf_get(l->conf);
		*out = l->conf;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

static int accept_tcp(struct zt_sock *l, struct sockaddr *addr, socklen_t *addrlen)
{
	int fd, rc;

	for (;;) {
		fd = accept4(l->fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
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

/* reference §3.12: the child inherits every option of the listener */
static struct zt_sock *child_new(struct zt_sock *l, int fd)
{
	struct zt_sock *c = zt_sock_new(fd, l->family, l->type, l->proto);

	if (c == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	zt_opts_free(&c->opts);
	if (zt_opts_copy(&c->opts, &l->opts) < 0) {
		pthread_mutex_unlock(&l->lock);
		zt_opts_init(&c->opts);
		zt_sock_destroy(c);
		return NULL;
	}
	c->nonblock = false;
	pthread_mutex_unlock(&l->lock);
	c->state = ZT_CONNECTED;
	return c;
}

int zt_stream_accept(struct zt_sock *l, struct sockaddr *addr, socklen_t *addrlen)
{
	struct zt_sock *c;
	int fd, rc;

	if (l->state != ZT_LISTENING) {
		return -EINVAL;
	}
	fd = accept_tcp(l, addr, addrlen);
	if (fd < 0) {
		return fd;
	}
	c = child_new(l, fd);
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rc = listener_conf(l, &c->conf);
	if (rc == 0) {
		rc = session_start(c);
	}
	if (rc == 0) {
		/* bounded even on a non-blocking listener, as Zephyr's accept() */
		rc = handshake(c, zt_deadline(ZT_CONNECT_TIMEOUT_MS));
	}
	if (rc < 0) {
		/* reference §3.3: a failed handshake costs this accept() only */
		zt_sock_destroy(c);
		return rc == -EINTR || rc == -ENOMEM ? rc : -ECONNABORTED;
	}
	rc = zt_fd_insert(fd, c);
	if (rc < 0) {
		zt_sock_destroy(c);
		return rc;
	}
	return fd;
}

/* Error a send or recv must report before touching the engine, or 0. */
static int data_precheck(struct zt_sock *s)
{
	if (s->error != 0) {
		return -s->error;
	}
	if (s->broken) {
		return -ECONNABORTED;
	}
	if (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED) {
		return 0;
	}
	return -ENOTCONN;
}

/* The peer shut its side of the TCP connection (FIN or RST). */
static bool peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/*
 * The check costs a system call: at most once per millisecond per socket,
 * so a stream of small sends does not pay it each time. Under s->lock.
 */
static bool peer_check_due(struct zt_sock *s)
{
	int64_t now = zt_now_ms();

	if (now == s->peer_check_ms) {
		return false;
	}
	s->peer_check_ms = now;
	return true;
}

ssize_t zt_stream_send(struct zt_sock *s, const void *buf, size_t len, int flags)
{
	const unsigned char *p = buf;
	int64_t deadline;
	size_t sent = 0;
	ssize_t n;
	short want;
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	rc = data_precheck(s);
	if (rc == 0 && s->state == ZT_CLOSED) {
		rc = -ECONNABORTED; /* reference §3.4: peer sent close_notify */
	} else if (rc == 0 && peer_check_due(s) && peer_gone(s->fd)) {
		/*
		 * Zephyr's TCP refuses data once the peer closed, so its send fails
		 * and latches ECONNABORTED (test_send_on_close); Linux would take
		 * the bytes and lose them.
		 */
		s->error = ECONNABORTED;
		rc = -ECONNABORTED;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		pthread_mutex_unlock(&s->tx_lock);
		return rc;
	}
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.sndtimeo_ms);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (sent < len) {
			n = zt_eng_write(s->eng, p + sent, len - sent);
		} else {
			/* all accepted: push the queued record out before returning */
			n = zt_eng_flush(s->eng);
		}
		want = zt_eng_want(s->eng);
		if (n < 0 && n != -EAGAIN) {
			s->error = n == -ENOMEM ? ENOMEM : ECONNABORTED;
			n = -s->error;
		}
		pthread_mutex_unlock(&s->lock);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == 0) {
			break; /* flushed */
		}
		if (n != -EAGAIN || zt_nowait(s, flags)) {
			/* non-blocking: a queued record is already counted as sent */
			break;
		}
		rc = zt_wait(s, want, deadline);
		if (rc < 0) {
			n = rc;
			break;
		}
	}
	pthread_mutex_unlock(&s->tx_lock);
	if (sent > 0) {
		return (ssize_t)sent;
	}
	return n;
}

ssize_t zt_stream_recv(struct zt_sock *s, void *buf, size_t len, int flags)
{
	unsigned char *p = buf;
	int64_t deadline;
	size_t got = 0;
	ssize_t n;
	short want;
	int rc;

	if (flags & MSG_PEEK) {
		return -ENOTSUP; /* reference §3.4: Zephyr has no peek buffer */
	}
	pthread_mutex_lock(&s->rx_lock);
	pthread_mutex_lock(&s->lock);
	rc = data_precheck(s);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0 || s->state == ZT_CLOSED || s->shut_rd || len == 0) {
		pthread_mutex_unlock(&s->rx_lock);
		return rc;
	}
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.rcvtimeo_ms);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = zt_eng_read(s->eng, p + got, len - got);
		want = zt_eng_want(s->eng);
		if (n == 0) {
			s->state = ZT_CLOSED; /* close_notify (or EOF): recv returns 0 from now */
		} else if (n == -ENOMEM) {
			s->error = ENOMEM;
		} else if (n < 0 && n != -EAGAIN) {
			/* reference §3.4/§3.9: other engine errors are EIO, not latched */
			s->broken = true;
			n = -EIO;
		}
		pthread_mutex_unlock(&s->lock);
		if (n > 0) {
			got += (size_t)n;
			if (got == len || !(flags & MSG_WAITALL)) {
				break;
			}
			continue;
		}
		if (n == 0 || n != -EAGAIN || zt_nowait(s, flags)) {
			break;
		}
		if (got > 0 && !(flags & MSG_WAITALL)) {
			break;
		}
		rc = zt_wait(s, want, deadline);
		if (s->shut_rd) {
			n = 0;
			break;
		}
		if (rc < 0) {
			n = rc;
			break;
		}
	}
	pthread_mutex_unlock(&s->rx_lock);
	/*
	 * MSG_WAITALL cut short by a timeout or EOF: return what arrived.
	 * (Zephyr drops it and reports EAGAIN; reference §3.4 quirk.)
	 */
	if (got > 0) {
		return (ssize_t)got;
	}
	return n;
}

void zt_stream_close(struct zt_sock *s)
{
	/* a sender blocked in zt_wait() has been woken and leaves tx_lock */
	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	if (s->eng != NULL && s->state == ZT_ESTABLISHED) {
		zt_eng_close_notify(s->eng);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
}
