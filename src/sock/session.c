/*
 * One TLS or DTLS session over a secure socket, and the one pump that drives
 * it (sock.h: zt_session_*). Every kind of session uses these: a TLS client
 * and an accepted TLS socket (stream.c), a DTLS client (dtls.c) and each
 * peer of a DTLS server socket (dtls_server.c). The transport-specific files
 * only decide what a result means for their socket (Zephyr's errno rules).
 *
 * The transport is one callback pair. send(): the connected kernel socket,
 * or sendto() a DTLS server's peer. recv(): for a stream, a small request
 * (a record header) reads up to 1 KiB into a per-thread buffer and stashes
 * the rest for the next call, so a small record costs one system call
 * instead of two; a large request (a big record's body) reads straight into
 * the engine's buffer. For a datagram, one datagram, and a DTLS server's
 * peer reads only the datagram the dispatcher handed it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sock/dtls_priv.h"
#include "sock/sock.h"
#include "util/log.h"

/*
 * When the engine asks for less than this (a record header, a small record's
 * body), one kernel read takes up to this much: a small record arrives
 * whole in one read. Larger requests (the body of a big record) go straight
 * into the engine's buffer, as a plain Mbed TLS loop does: no copy.
 */
#define READ_AHEAD 1024

static pthread_key_t ra_key;
static pthread_once_t ra_once = PTHREAD_ONCE_INIT;

static void ra_key_init(void)
{
	(void)pthread_key_create(&ra_key, free);
}

/* This thread's read-ahead buffer (on the heap: static TLS is scarce for a preloaded library). */
static unsigned char *ra_buf(void)
{
	unsigned char *b;

	pthread_once(&ra_once, ra_key_init);
	b = pthread_getspecific(ra_key);
	if (b == NULL) {
		b = malloc(READ_AHEAD);
		if (b != NULL && pthread_setspecific(ra_key, b) != 0) {
			free(b);
			b = NULL;
		}
	}
	return b;
}

static ssize_t sess_send(void *ctx, const void *buf, size_t len)
{
	struct zt_session *ss = ctx;
	ssize_t n;

	if (ss->peer != NULL) {
		n = zt_sys_sendto(ss->s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				  (const struct sockaddr *)ss->peer, *ss->peer_len);
	} else {
		n = zt_sys_send(ss->s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (n >= 0) {
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		return -EAGAIN;
	}
	ss->io_err = errno;
	return -errno;
}

/* Stream: hand out stashed bytes first, else one kernel read of up to a record. */
static ssize_t stream_recv(struct zt_session *ss, unsigned char *buf, size_t len)
{
	unsigned char *rb;
	size_t give;
	ssize_t n;

	if (ss->stash_len > 0) {
		give = len < ss->stash_len ? len : ss->stash_len;
		memcpy(buf, ss->stash + ss->stash_off, give);
		ss->stash_off += give;
		ss->stash_len -= give;
		if (ss->stash_len == 0) {
			free(ss->stash); /* an idle socket holds nothing */
			ss->stash = NULL;
			ss->stash_off = 0;
		}
		return (ssize_t)give;
	}
	rb = len < READ_AHEAD ? ra_buf() : NULL;
	n = zt_sys_recv(ss->s->fd, rb != NULL ? rb : buf, rb != NULL ? READ_AHEAD : len,
			MSG_DONTWAIT);
	/* (without a thread buffer, a small read still works: just without read-ahead) */
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			ss->rx_empty = true;
			return -EAGAIN;
		}
		ss->io_err = errno;
		return -errno;
	}
	/* a short read drained the kernel queue: the next blocking read waits first */
	ss->rx_empty = (size_t)n < (rb != NULL ? READ_AHEAD : len);
	if (rb == NULL || n == 0) {
		return n;
	}
	give = (size_t)n < len ? (size_t)n : len;
	memcpy(buf, rb, give);
	if ((size_t)n > give) {
		ss->stash = malloc((size_t)n - give);
		if (ss->stash == NULL) {
			return -ENOMEM;
		}
		memcpy(ss->stash, rb + give, (size_t)n - give);
		ss->stash_len = (size_t)n - give;
		ss->stash_off = 0;
	}
	return (ssize_t)give;
}

static ssize_t dgram_recv(struct zt_session *ss, void *buf, size_t len)
{
	ssize_t n;

	if (ss->gated) {
		/* a DTLS server's peer: only the datagram the dispatcher read for it */
		struct zt_dtls *d = ss->s->dtls;

		if (d->rx_owner != ss) {
			return -EAGAIN;
		}
		d->rx_owner = NULL;
		n = d->rx_len < len ? (ssize_t)d->rx_len : (ssize_t)len;
		memcpy(buf, d->scratch, (size_t)n);
		return n > 0 ? n : -EAGAIN; /* an empty datagram is no DTLS record */
	}
	do {
		/* an empty datagram is no DTLS record: skip it */
		n = zt_sys_recv(ss->s->fd, buf, len, MSG_DONTWAIT);
	} while (n == 0 && !ss->gated);
	if (n > 0) {
		return n;
	}
	if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
		return -EAGAIN;
	}
	ss->io_err = errno; /* e.g. ECONNREFUSED: ICMP port unreachable */
	return -errno;
}

static ssize_t sess_recv(void *ctx, void *buf, size_t len)
{
	struct zt_session *ss = ctx;

	return ss->dgram ? dgram_recv(ss, buf, len) : stream_recv(ss, buf, len);
}

void zt_session_init(struct zt_session *ss, struct zt_sock *s)
{
	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	ss->dgram = s->type == SOCK_DGRAM;
}

int zt_session_start(struct zt_session *ss, struct zt_eng_conf *conf,
		     const struct zt_eng_sess_cfg *sc)
{
	struct zt_eng_io io = {.ctx = ss, .send = sess_send, .recv = sess_recv};

	zt_session_close(ss, false);
	ss->io_err = 0;
	ss->rx_empty = false;
	ss->established = false;
	ss->hib = false;
	ss->hib_never = false;
	ss->hs_deadline = zt_deadline(ZT_CONNECT_TIMEOUT_MS);
	return zt_eng_new(&ss->eng, conf, &io, sc);
}

void zt_session_close(struct zt_session *ss, bool notify)
{
	if (ss->eng != NULL) {
		if (notify) {
			zt_eng_close_notify(ss->eng);
		}
		if (ss->s->eng == ss->eng) {
			ss->s->eng = NULL;
		}
		zt_eng_free(ss->eng); /* a hibernated one: its blob wiped */
		ss->eng = NULL;
		ss->hib = false;
	}
	free(ss->stash);
	ss->stash = NULL;
	ss->stash_len = ss->stash_off = 0;
}

void zt_session_note_failure(struct zt_session *ss, int rc)
{
	struct zt_sock *s = ss->s;
	size_t len = ZT_FAIL_TEXT_MAX;

	s->hs_done = true;
	if (s->fail_text == NULL) {
		/* only a socket whose handshake failed pays for the text */
		s->fail_text = malloc(ZT_FAIL_TEXT_MAX);
		if (s->fail_text == NULL) {
			return; /* the reason reads as "" */
		}
	}
	if (ss->eng == NULL || zt_eng_info(ss->eng, ZT_INFO_FAILURE, s->fail_text, &len) < 0 ||
	    s->fail_text[0] == '\0') {
		/* nothing from the engine: the transport or the clock ended it */
		snprintf(s->fail_text, ZT_FAIL_TEXT_MAX, "%s",
			 rc == -ETIMEDOUT ? "handshake timed out"
			 : rc == 0        ? "handshake failed"
					  : strerror(-rc));
	}
}

void zt_session_fail(struct zt_session *ss)
{
	struct zt_sock *s = ss->s;
	size_t len = sizeof(s->vflags);

	if (ss->eng != NULL && &s->sess == ss) {
		s->vflags_kept = zt_eng_info(ss->eng, ZT_INFO_VERIFY_RESULT, &s->vflags, &len) == 0;
	}
	zt_session_close(ss, false);
}

void zt_session_status(const struct zt_session *ss, struct zt_eng_status *st)
{
	if (ss->eng == NULL) {
		memset(st, 0, sizeof(*st));
		st->want = POLLIN;
		st->timer = ZT_FOREVER;
		return;
	}
	zt_eng_status(ss->eng, st);
}

bool zt_session_readable(const struct zt_session *ss)
{
	return ss->stash_len > 0 || (ss->eng != NULL && zt_eng_readable(ss->eng));
}

static ssize_t want(const struct zt_session *ss, struct zt_want *w)
{
	struct zt_eng_status st;

	zt_session_status(ss, &st);
	w->events = st.want;
	w->deadline = st.timer;
	return -EAGAIN;
}

/* debug output (src/util/log.h): what was negotiated, never a key */
static void log_established(const struct zt_session *ss)
{
	char alpn[64] = "";
	size_t len = sizeof(alpn);
	int v;

	if (!zt_log_on(ZT_LOG_INFO)) {
		return;
	}
	v = zt_eng_info_int(ss->eng, ZT_INFO_VERSION);
	if (zt_eng_info(ss->eng, ZT_INFO_ALPN, alpn, &len) < 0) {
		alpn[0] = '\0';
	}
	zt_log(ZT_LOG_INFO, "fd %d: handshake done: %s, suite 0x%04X%s%s%s", ss->s->fd,
	       v == ZT_VERSION_TLS_1_3   ? "TLS 1.3"
	       : v == ZT_VERSION_TLS_1_2 ? "TLS 1.2"
					 : "DTLS 1.2",
	       (unsigned)zt_eng_info_int(ss->eng, ZT_INFO_SUITE),
	       zt_eng_info_int(ss->eng, ZT_INFO_RESUMED) == 1 ? ", resumed" : "",
	       alpn[0] != '\0' ? ", ALPN " : "", alpn);
}

static void log_failure(const struct zt_session *ss, ssize_t err)
{
	char why[256] = "";
	size_t len = sizeof(why);

	if (!zt_log_on(ZT_LOG_ERROR)) {
		return;
	}
	if (zt_eng_info(ss->eng, ZT_INFO_FAILURE, why, &len) < 0) {
		why[0] = '\0';
	}
	zt_log(ZT_LOG_ERROR, "fd %d: handshake failed: %s%s%s", ss->s->fd, strerror((int)-err),
	       why[0] != '\0' ? ": " : "", why);
}

static ssize_t step_once(struct zt_session *ss, enum zt_op op, void *buf, size_t len, size_t *full,
			 struct zt_want *w)
{
	size_t ignored;
	ssize_t n;

	if (!ss->established) {
		n = zt_eng_handshake(ss->eng);
		if (n == -EAGAIN || n == 1) {
			return want(ss, w); /* 1: a cookie exchange, still nothing established */
		}
		if (n < 0) {
			log_failure(ss, n);
			return n;
		}
		ss->established = true;
		log_established(ss);
		if (op == ZT_OP_HANDSHAKE) {
			return 0;
		}
	} else if (op == ZT_OP_HANDSHAKE) {
		return 0;
	}
	switch (op) {
	case ZT_OP_READ:
		n = zt_eng_read(ss->eng, buf, len, full != NULL ? full : &ignored);
		break;
	case ZT_OP_WRITE:
		n = zt_eng_write(ss->eng, buf, len);
		w->queued = n > 0 && zt_eng_write_queued(ss->eng);
		break;
	case ZT_OP_FLUSH:
		n = zt_eng_flush(ss->eng);
		break;
	case ZT_OP_CHECK:
		n = zt_eng_data_check(ss->eng);
		break;
	case ZT_OP_PEEK:
		n = zt_eng_peek(ss->eng, buf, len, full != NULL ? full : &ignored);
		break;
	default:
		n = -EINVAL;
		break;
	}
	if (n == -ECONNRESET && ss->gated) {
		/* DTLS: the client started over from the same address; the engine reset this
		 * server peer, whose next step is a handshake again */
		ss->established = false;
	}
	return n == -EAGAIN ? want(ss, w) : n;
}

/*
 * After every step, under s->lock: whether a poll() must look inside the
 * engine (zt_sock_poll_prepare's lock-free path trusts this). A socket that
 * just became busy wakes the polls sleeping on it, once s->lock is released
 * (zt_session_wake_pollers).
 */
/* Under s->lock: a step ran - the buffers may hold pages again, and the socket is not quiet. */
static void note_active(struct zt_sock *s)
{
	if (!atomic_load_explicit(&s->mem_held, memory_order_relaxed)) {
		atomic_store(&s->mem_held, true);
		/* an epoll set that dropped it once trimmed looks at it again */
		atomic_store(&s->held_again, true);
	}
	if (atomic_load_explicit(&s->quiet_since, memory_order_relaxed) != 0) {
		atomic_store_explicit(&s->quiet_since, 0, memory_order_relaxed);
	}
}

static void note_busy(struct zt_session *ss)
{
	bool busy;

	if (ss->dgram) {
		/* DTLS: poll() always asks the engine (dtls.c, dtls_server.c) */
		if (!ss->gated && zt_sock_hibernate_ms(ss->s) > 0) {
			note_active(
				ss->s); /* a client that may hibernate (SECSOCK_TLS_HIBERNATE) */
		}
		return;
	}
	busy = !ss->established || zt_session_readable(ss) || zt_eng_write_queued(ss->eng);
	if (!atomic_exchange(&ss->s->poll_busy, busy) && busy) {
		atomic_store(&ss->s->wake_pollers, true);
	}
	note_active(ss->s);
}

int zt_sock_info(struct zt_sock *s, enum zt_eng_info what, void *buf, size_t *len)
{
	int rc = zt_eng_info(s->eng, what, buf, len);

	if (s->sess.hib && s->eng == s->sess.eng && what != ZT_INFO_FAILURE) {
		/* the engine woke for it: the next quiet N ms hibernate it again */
		s->sess.hib = false;
		atomic_store_explicit(&s->quiet_since, 0, memory_order_relaxed);
		atomic_store(&s->mem_held, true);
		atomic_store(&s->held_again, true);
		zt_log(ZT_LOG_INFO, "fd %d: woke from hibernation", s->fd);
	}
	return rc;
}

int64_t zt_sock_idle_first(const struct zt_sock *s)
{
	int h = zt_sock_hibernate_ms(s);

	return h > 0 && h < ZT_IDLE_TRIM_MS ? h : ZT_IDLE_TRIM_MS;
}

/* Under s->lock: hibernate an established session. 0 done, -EAGAIN later, else never. */
int zt_session_hibernate(struct zt_session *ss)
{
	int rc = zt_eng_hibernate(ss->eng);

	if (rc == 0) {
		ss->hib = true;
		zt_log(ZT_LOG_INFO, "fd %d: hibernated", ss->s->fd);
	} else if (rc != -EAGAIN) {
		ss->hib_never = true; /* TLS 1.3, a non-AEAD suite: it stays awake */
	}
	return rc;
}

int64_t zt_session_idle(struct zt_sock *s, int64_t quiet)
{
	struct zt_session *ss = &s->sess;
	int h = zt_sock_hibernate_ms(s);
	int64_t next = -1;
	bool trimmed = false;

	pthread_mutex_lock(&s->lock);
	if (ss->eng == NULL) {
		atomic_store(&s->mem_held, false);
	} else if (ss->hib) {
		/* hibernated a moment ago: the heap gives what it freed back (rate-limited) */
		int64_t wait = zt_eng_release(zt_now_ms());

		if (wait > 0) {
			next = quiet + wait;
		} else {
			atomic_store(&s->mem_held, false);
		}
	} else if (!ss->established || ss->gated) {
		next = quiet + ZT_IDLE_TRIM_MS; /* not idle inside: look again later */
	} else if (ss->dgram) {
		/* a DTLS client: its buffers are never trimmed; only hibernation is due */
		int rc = h > 0 && !ss->hib_never && quiet >= h ? zt_session_hibernate(ss) : -EAGAIN;

		if (rc == 0) {
			next = quiet + ZT_HIB_RELEASE_MS;
		} else if (h > 0 && !ss->hib_never) {
			next = quiet < h ? h : quiet + h; /* a timer or a record in flight */
		} else {
			atomic_store(&s->mem_held, false);
		}
	} else {
		bool hib_on = h > 0 && !ss->hib_never;

		if (hib_on && quiet >= h) {
			int rc = zt_session_hibernate(ss);

			if (rc == 0) {
				pthread_mutex_unlock(&s->lock);
				return quiet +
				       ZT_HIB_RELEASE_MS; /* then the heap's pages go back */
			}
			hib_on = rc == -EAGAIN;
			if (hib_on) {
				next = quiet + zt_sock_idle_first(s); /* a record in flight */
			}
		}
		if (quiet >= ZT_IDLE_TRIM_MS) {
			trimmed = zt_eng_trim(ss->eng) == 1;
		}
		if (next >= 0) {
			/* hibernation due again at next */
		} else if (hib_on) {
			next = quiet < ZT_IDLE_TRIM_MS && ZT_IDLE_TRIM_MS < h ? ZT_IDLE_TRIM_MS : h;
		} else if (quiet < ZT_IDLE_TRIM_MS) {
			next = ZT_IDLE_TRIM_MS;
		} else if (trimmed) {
			atomic_store(&s->mem_held, false);
		} else {
			next = quiet + ZT_IDLE_TRIM_MS; /* a record half sent, say */
		}
	}
	pthread_mutex_unlock(&s->lock);
	return next;
}

int64_t zt_sock_idle_tick(struct zt_sock *s, int64_t now)
{
	int64_t since, next;

	if ((s->type != SOCK_STREAM && zt_sock_hibernate_ms(s) == 0) ||
	    !atomic_load_explicit(&s->mem_held, memory_order_relaxed)) {
		return -1;
	}
	since = atomic_load_explicit(&s->quiet_since, memory_order_relaxed);
	if (since == 0 || now < since) {
		next = zt_sock_idle_first(s);
		atomic_store_explicit(&s->idle_next, next, memory_order_relaxed);
		atomic_store_explicit(&s->quiet_since, now, memory_order_relaxed);
		return next;
	}
	next = atomic_load_explicit(&s->idle_next, memory_order_relaxed);
	if (next <= 0) {
		next = zt_sock_idle_first(s);
	}
	if (now - since < next) {
		return since + next - now;
	}
	next = zt_session_idle(s, now - since);
	if (next < 0) {
		return -1;
	}
	atomic_store_explicit(&s->idle_next, next, memory_order_relaxed);
	return since + next > now ? since + next - now : 1;
}

ssize_t zt_session_step(struct zt_session *ss, enum zt_op op, void *buf, size_t len, size_t *full,
			struct zt_want *w)
{
	ssize_t n;

	if (ss->eng == NULL) {
		return -ENOTCONN;
	}
	if (ss->hib) {
		/* hibernated (SECSOCK_TLS_HIBERNATE): the session's context comes back first */
		ss->hib = false;
		if (zt_eng_wake(ss->eng) < 0) {
			zt_log(ZT_LOG_ERROR, "fd %d: wake from hibernation failed", ss->s->fd);
			if (ss == &ss->s->sess) {
				ss->s->error = ECONNABORTED; /* never on without the keys */
			}
			return -ECONNABORTED;
		}
		zt_log(ZT_LOG_INFO, "fd %d: woke from hibernation", ss->s->fd);
	}
	n = step_once(ss, op, buf, len, full, w);
	note_busy(ss);
	return n;
}

void (*zt_watch_hook)(struct zt_sock *s, bool held_only);

void zt_session_wake_pollers(struct zt_sock *s)
{
	bool look = false, held = false;

	if (atomic_load(&s->wake_pollers) && atomic_exchange(&s->wake_pollers, false)) {
		zt_wake_others(s);
		look = true; /* epoll sets: the kernel will not say it */
	}
	if (atomic_load_explicit(&s->held_again, memory_order_relaxed) &&
	    atomic_exchange(&s->held_again, false)) {
		held = true; /* epoll sets: an idle trim to run again (zt_sock_idle_tick) */
	}
	if ((look || held) && atomic_load_explicit(&s->watch, memory_order_acquire) != NULL) {
		zt_watch_hook(s, !look);
	}
}

ssize_t zt_session_run(struct zt_session *ss, enum zt_op op, void *buf, size_t len, size_t *full,
		       int64_t deadline, bool nowait)
{
	struct zt_sock *s = ss->s;
	struct zt_want w = {POLLIN, ZT_FOREVER, false};
	unsigned seen = 0;
	ssize_t n;
	int rc;

	for (;;) {
		bool reader = op == ZT_OP_READ || op == ZT_OP_PEEK;

		if (reader && atomic_load(&s->shut_rd)) {
			return -ESHUTDOWN; /* shutdown(SHUT_RD): the reader stops here */
		}
		pthread_mutex_lock(&s->lock);
		if (!nowait && reader && ss->rx_empty && ss->eng != NULL &&
		    !zt_session_readable(ss)) {
			/* the kernel had nothing a moment ago: wait, rather than read EAGAIN */
			ss->rx_empty = false;
			n = -EAGAIN;
			w = (struct zt_want){POLLIN, ZT_FOREVER, false};
		} else {
			n = zt_session_step(ss, op, buf, len, full, &w);
		}
		seen = atomic_load(&s->moved); /* what this step saw of the engine */
		pthread_mutex_unlock(&s->lock);
		zt_session_wake_pollers(s);
		if (op == ZT_OP_WRITE) {
			ss->tx_queued = w.queued;
		}
		if (n != -EAGAIN || nowait) {
			return n;
		}
		rc = zt_wait_since(s, w.events, zt_earliest(deadline, w.deadline), seen);
		if (rc == -EAGAIN && zt_remaining(deadline) == 0) {
			return -EAGAIN; /* the caller's deadline, not a DTLS timer */
		}
		if (rc < 0 && rc != -EAGAIN) {
			return rc;
		}
	}
}
