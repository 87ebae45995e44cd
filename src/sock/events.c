/*
 * What a secure socket reports to poll() and select() (docs/zephyr-behaviour.md
 * §3.7), called by the multiplexer in src/poll/poll.c in two phases, one
 * lock each: prepare (events the engine can tell without the kernel:
 * buffered plaintext, a whole record, close_notify, a latched error; and
 * what to ask the kernel for) and update (after the kernel answered, and only
 * for a socket it reported something on: a data check turns
 * kernel readability into POLLIN only for application data, never for a
 * partial record or a handshake message). An asynchronous handshake
 * (SECSOCK_TLS_ASYNC_HANDSHAKE) advances here: POLLOUT once it is done,
 * POLLERR if it failed.
 */
#include <errno.h>
#include <poll.h>

#include "sock/ops.h"

/* Under s->lock: what a data check says, as poll events. */
static short data_check_events(struct zt_sock *s)
{
	struct zt_want w;
	ssize_t rc = zt_session_step(&s->sess, ZT_OP_CHECK, NULL, 0, NULL, &w);

	if (rc > 0) {
		return POLLIN;
	}
	if (rc == 0) {
		zt_sock_set_state(s, ZT_CLOSED, 0);
		return POLLIN | POLLRDHUP | POLLHUP;
	}
	if (rc == -EAGAIN) {
		return 0;
	}
	s->error = rc == -ENOMEM ? ENOMEM : ECONNABORTED;
	return POLLERR;
}

static bool has_session(const struct zt_sock *s)
{
	return s->sess.eng != NULL && (s->state == ZT_ESTABLISHED || s->state == ZT_CLOSED);
}

/* Under s->lock: an asynchronous handshake (or TCP connect) the socket is in. */
static bool async_pending(const struct zt_sock *s)
{
	return s->state == ZT_CONNECTING || (s->state == ZT_CONNECTED && s->sess.eng != NULL);
}

/* Under s->lock: advance it; the events it means now. */
static short async_events(struct zt_sock *s, short events)
{
	struct zt_want w;
	int rc = zt_stream_progress(s, &w);

	if (rc == -EAGAIN) {
		return 0;
	}
	if (rc < 0) {
		return POLLERR;
	}
	/* established: writable now; readable if a record came with the Finished */
	short rev = events & POLLOUT;

	if ((events & POLLIN) && zt_session_readable(&s->sess)) {
		rev |= data_check_events(s) & (events | POLLHUP | POLLERR);
	}
	return rev;
}

/*
 * poll() may have moved data into the engine (a data check reads the kernel
 * socket): a thread blocked in recv on the kernel fd would not see it, so
 * wake it to re-check.
 */
static short wake_readers(struct zt_sock *s, short rev)
{
	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		atomic_fetch_add(&s->moved, 1);
		zt_wake_others(s);
	}
	return rev;
}

/* Under s->lock: what a stream socket asks the kernel for. */
static short stream_kernel_events(struct zt_sock *s, short events)
{
	struct zt_eng_status st;

	if (s->state == ZT_CONNECTING) {
		return POLLOUT; /* the TCP connect completes */
	}
	if (async_pending(s)) {
		zt_session_status(&s->sess, &st);
		return st.want; /* the next handshake flight, or room to send ours */
	}
	if (!has_session(s)) {
		return events;
	}
	zt_session_status(&s->sess, &st);
	if (st.write_pending) {
		events |= POLLOUT; /* to push out a queued record */
	}
	if (events & POLLIN) {
		events |= POLLRDHUP; /* the peer's FIN, for send() (zt_sock_poll_update) */
	}
	return events;
}

short zt_sock_poll_prepare(struct zt_sock *s, short events, short *kev)
{
	short rev = 0;

	if (s->type == SOCK_DGRAM) {
		rev = wake_readers(s, zt_dtls_poll_ready(s, events));
		*kev = zt_dtls_poll_kernel_events(s, events);
		return rev;
	}
	if (s->state == ZT_ESTABLISHED && !atomic_load(&s->poll_busy) && s->error == 0 &&
	    !s->broken && !atomic_load(&s->shut_rd)) {
		/*
		 * Nothing buffered in the engine, nothing queued to send (every step
		 * says so in s->poll_busy): only the kernel can report something,
		 * so this needs no lock; the locked path would find the same.
		 */
		*kev = events | ((events & POLLIN) ? POLLRDHUP : 0);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if (s->error != 0 || s->broken) {
		rev = POLLERR;
	} else if (s->state == ZT_CLOSED || atomic_load(&s->shut_rd)) {
		rev = (events & (POLLIN | POLLRDHUP)) | POLLHUP;
	} else if (async_pending(s)) {
		rev = async_events(s, events);
	} else if (s->state == ZT_CONNECTED && s->opts.async_handshake != 0) {
		rev = POLLHUP; /* a failed asynchronous connect whose SO_ERROR was read */
	} else if (has_session(s)) {
		if (zt_eng_write_queued(s->sess.eng)) {
			(void)zt_eng_flush(s->sess.eng);
		}
		/* Zephyr PR #115310: a whole record may be buffered already */
		if ((events & POLLIN) && zt_session_readable(&s->sess)) {
			rev = data_check_events(s) & (events | POLLHUP | POLLERR);
		}
	}
	*kev = stream_kernel_events(s, events);
	pthread_mutex_unlock(&s->lock);
	return wake_readers(s, rev);
}

short zt_sock_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = kev & (events | POLLERR | POLLHUP | POLLNVAL);

	if (s->type == SOCK_DGRAM) {
		return wake_readers(s, zt_dtls_poll_update(s, events, kev));
	}
	if (kev == 0) {
		zt_sock_poll_quiet(s, events, zt_now_ms());
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if (async_pending(s)) {
		rev = kev != 0 ? async_events(s, events) : 0;
		pthread_mutex_unlock(&s->lock);
		return wake_readers(s, rev);
	}
	if (!has_session(s)) {
		pthread_mutex_unlock(&s->lock);
		return rev;
	}
	struct zt_eng_status st;

	if (kev & (POLLRDHUP | POLLHUP)) {
		atomic_store(&s->peer_left, true);
	} else if (events & POLLIN) {
		/* asked with POLLRDHUP (kernel_events): the peer had not left just now */
		atomic_store(&s->peer_check_ms, zt_now_ms());
	}
	zt_session_status(&s->sess, &st);
	if ((kev & POLLOUT) && st.write_pending) {
		(void)zt_eng_flush(s->sess.eng);
		zt_session_status(&s->sess, &st);
		if (st.write_pending) {
			rev &= ~POLLOUT;
		}
	}
	if (kev & (POLLIN | POLLHUP | POLLERR)) {
		rev &= ~(POLLIN | POLLHUP | POLLERR);
		if (s->state == ZT_CLOSED) {
			rev |= (events & (POLLIN | POLLRDHUP)) | POLLHUP;
		} else {
			short dc = data_check_events(s);

			rev |= dc & (events | POLLHUP | POLLERR);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return wake_readers(s, rev);
}

int64_t zt_sock_poll_timeout(struct zt_sock *s)
{
	int64_t t = ZT_FOREVER;

	if (s->type == SOCK_DGRAM) {
		return zt_dtls_poll_timeout(s);
	}
	if (s->state != ZT_CONNECTED) {
		return t; /* only a handshake in progress has a deadline */
	}
	pthread_mutex_lock(&s->lock);
	if (async_pending(s) && s->state == ZT_CONNECTED) {
		t = zt_remaining(s->sess.hs_deadline); /* the handshake's bound: POLLERR then */
	}
	pthread_mutex_unlock(&s->lock);
	return t;
}
