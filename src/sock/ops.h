/*
 * Transport-specific behaviour of secure sockets, called by the entry points
 * in socket.c with a referenced struct zt_sock: stream.c implements TLS over
 * TCP, dtls.c and dtls_server.c DTLS over UDP, events.c what poll() sees. All
 * return 0 / a count, or a negative errno.
 */
#ifndef ZT_SOCK_OPS_H
#define ZT_SOCK_OPS_H

#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sock/sock.h"

int zt_stream_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen);
int zt_stream_listen(struct zt_sock *s, int backlog);
/** @return the new socket's fd, or -errno. */
int zt_stream_accept(struct zt_sock *s, struct sockaddr *addr, socklen_t *addrlen);
ssize_t zt_stream_send(struct zt_sock *s, const void *buf, size_t len, int flags);
ssize_t zt_stream_recv(struct zt_sock *s, void *buf, size_t len, int flags);
/** close(): close_notify (best effort) before the kernel socket goes. */
void zt_stream_close(struct zt_sock *s);
/** shutdown(SHUT_WR): close_notify, then the TCP half-close; recv() goes on. */
int zt_stream_shutdown_wr(struct zt_sock *s);
/** ioctl(FIONREAD): plaintext recv() can return now without waiting (one record at most). */
int zt_stream_fionread(struct zt_sock *s, int *avail);
/**
 * Under s->lock: advance a handshake that is not done (asynchronous
 * connect or accept). @retval 0 established; -EAGAIN (*w: what to wait
 * for); -errno failed (latched).
 */
int zt_stream_progress(struct zt_sock *s, struct zt_want *w);

int zt_dtls_connect(struct zt_sock *s, const struct sockaddr *addr, socklen_t addrlen);
ssize_t zt_dtls_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
		       const struct sockaddr *dest, socklen_t destlen);
ssize_t zt_dtls_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen);
void zt_dtls_close(struct zt_sock *s);
/** shutdown(SHUT_WR) of a DTLS client: close_notify; sendto() then fails with EPIPE. */
int zt_dtls_shutdown_wr(struct zt_sock *s);
/** ioctl(FIONREAD): the length of the next datagram recvfrom() returns, 0 if none. */
int zt_dtls_fionread(struct zt_sock *s, int *avail);
/** Free s->dtls when the last reference goes (after zt_dtls_close). */
void zt_dtls_destroy(struct zt_sock *s);
/* poll() for DTLS sockets: same contract as zt_sock_poll_* below */
short zt_dtls_poll_ready(struct zt_sock *s, short events);
short zt_dtls_poll_kernel_events(struct zt_sock *s, short events);
short zt_dtls_poll_update(struct zt_sock *s, short events, short kev);
int64_t zt_dtls_poll_timeout(struct zt_sock *s);

/**
 * poll() support (events.c): the events a secure socket reports without
 * asking the kernel (buffered plaintext, close_notify, latched error); sets
 * @p kev to the events to ask the kernel for.
 */
short zt_sock_poll_prepare(struct zt_sock *s, short events, short *kev);
/** After the kernel reported @p kev: the events to report to the application. */
short zt_sock_poll_update(struct zt_sock *s, short events, short kev);
/** A stream the kernel reported nothing on (zt_now_ms() @p now): no lock, no event. */
static inline void zt_sock_poll_quiet(struct zt_sock *s, short events, int64_t now)
{
	/*
	 * Asked with POLLRDHUP (zt_sock_poll_prepare), so the peer had not left
	 * just now: a hint for send() (peer_gone), written only when the
	 * millisecond changed and with a plain store, so a poll over many idle
	 * sockets does not dirty each one's cache line every call.
	 */
	if ((events & POLLIN) && s->state == ZT_ESTABLISHED &&
	    atomic_load_explicit(&s->peer_check_ms, memory_order_relaxed) != now) {
		atomic_store_explicit(&s->peer_check_ms, now, memory_order_relaxed);
	}
}

/**
 * zt_sock_poll_prepare() without a call and without a lock, for the common
 * case of a poll over many sockets: an established stream with nothing
 * buffered in its engine and nothing queued to send (s->poll_busy, kept by
 * every step), no error, not shut down for reading, not closing: only the
 * kernel can report something. Sets @p kev and returns true then; false:
 * call zt_sock_poll_prepare() (the same answer either way when true).
 */
static inline bool zt_sock_poll_idle(struct zt_sock *s, short events, short *kev)
{
	if (s->type != SOCK_STREAM || s->state != ZT_ESTABLISHED || atomic_load(&s->poll_busy) ||
	    s->error != 0 || s->broken || atomic_load(&s->shut_rd) || atomic_load(&s->closing)) {
		return false;
	}
	*kev = (short)(events | ((events & POLLIN) ? POLLRDHUP : 0));
	return true;
}
/** Milliseconds poll() may sleep before a timer of @p s needs service; ZT_FOREVER if none. */
int64_t zt_sock_poll_timeout(struct zt_sock *s);

/** The application's view of O_NONBLOCK and MSG_DONTWAIT: no waiting at all. */
static inline bool zt_nowait(const struct zt_sock *s, int flags)
{
	return s->nonblock || (flags & MSG_DONTWAIT);
}

/** SO_RCVTIMEO (@p rcv) or SO_SNDTIMEO in ms, read without s->lock (setsockopt stores it
 * atomically). */
static inline int64_t zt_timeo(const struct zt_sock *s, bool rcv)
{
	return __atomic_load_n(rcv ? &s->opts.rcvtimeo_ms : &s->opts.sndtimeo_ms, __ATOMIC_RELAXED);
}

#endif /* ZT_SOCK_OPS_H */
