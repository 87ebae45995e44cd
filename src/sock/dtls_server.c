/*
 * DTLS server (reference §3.5, Zephyr's 2026 multi-session model): ONE UDP
 * socket, many peers. Each datagram is peeked to learn its source and handed
 * to the session of that address, else of its Connection ID (NAT rebinding),
 * else - if it is a ClientHello - to a stateless cookie engine that becomes a
 * session once the client proved its address (RFC 6347 4.2.1). Handshakes
 * progress inside recvfrom() and poll(); idle sessions expire. Every function
 * here runs under s->lock unless it says otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dtls_engine.h"
#include "sock/dtls_priv.h"

/*
 * DTLSPlaintext header: type(1) version(2) epoch(2) seq(6) length(2); then a
 * handshake header: msg_type(1) length(3) message_seq(2) fragment offset(3)
 * and length(3); a ClientHello then has client_version(2) and random(32).
 */
#define REC_HDR_LEN     13
#define REC_HANDSHAKE   22
#define HS_CLIENT_HELLO 1
#define HELLO_RANDOM    (REC_HDR_LEN + 12 + 2)
#define HDR_PEEK        (HELLO_RANDOM + ZT_DTLS_RANDOM_LEN)

/* ---- transport of one session: exactly its own datagram in, sendto(peer) out ---- */

static ssize_t sess_io_send(void *ctx, const void *buf, size_t len)
{
	struct zt_dtls_sess *ss = ctx;
	ssize_t n = sendto(ss->s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&ss->peer, ss->peer_len);

	if (n >= 0) {
		return n;
	}
	return (errno == EAGAIN || errno == EWOULDBLOCK) ? -EAGAIN : -errno;
}

static ssize_t sess_io_recv(void *ctx, void *buf, size_t len)
{
	struct zt_dtls_sess *ss = ctx;
	struct zt_dtls *d = ss->s->dtls;
	ssize_t n;

	if (d->rx_owner != ss) {
		return -EAGAIN; /* the head datagram, if any, is another peer's */
	}
	d->rx_owner = NULL;
	n = recv(ss->s->fd, buf, len, MSG_DONTWAIT);
	if (n > 0) {
		return n;
	}
	return (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) ? -EAGAIN : -errno;
}

/* Consume the head datagram unread. */
static void drop_head(struct zt_sock *s)
{
	unsigned char b;

	(void)!recv(s->fd, &b, 1, MSG_DONTWAIT);
}

/* ---- sessions ---- */

static struct zt_dtls_sess *sess_new(struct zt_sock *s)
{
	struct zt_dtls_sess *ss = calloc(1, sizeof(*ss));
	struct zt_eng_io io = {.ctx = ss, .send = sess_io_send, .recv = sess_io_recv};

	if (ss == NULL) {
		return NULL;
	}
	ss->s = s;
	/*
	 * TLS_DTLS_CID_VALUE is every session's own CID, as in Zephyr: records
	 * are told apart by authentication (find_cid), not by the CID alone.
	 */
	if (zt_eng_new(&ss->eng, s->conf, &io, &s->opts) < 0) {
		free(ss);
		return NULL;
	}
	return ss;
}

/* s->eng borrows the engine of the newest handshake: Zephyr's option getters read it. */
static void pick_newest(struct zt_sock *s)
{
	struct zt_dtls_sess *best = NULL;

	for (struct zt_dtls_sess *ss = s->dtls->sessions; ss != NULL; ss = ss->next) {
		if (ss->open && (best == NULL || ss->hs_seq > best->hs_seq)) {
			best = ss;
		}
	}
	s->eng = best != NULL ? best->eng : NULL;
}

static void sess_free(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;

	for (struct zt_dtls_sess **pp = &d->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ss) {
			*pp = ss->next;
			d->count--;
			break;
		}
	}
	if (d->rx_owner == ss) {
		d->rx_owner = NULL;
	}
	if (d->last_rx == ss) {
		d->last_rx = NULL;
	}
	if (s->eng == ss->eng) {
		ss->open = false;
		pick_newest(s);
	}
	zt_eng_free(ss->eng);
	free(ss);
}

/*
 * A peer is gone: free its session only (reference §3.5). The application
 * hears of it once: POLLHUP after close_notify or expiry, POLLERR and
 * SO_ERROR ECONNABORTED after a fatal error. A failed handshake is silent.
 */
static void sess_end(struct zt_sock *s, struct zt_dtls_sess *ss, int rc)
{
	struct zt_dtls *d = s->dtls;

	if (ss->open && (rc == -ENOTCONN || rc == -ETIMEDOUT)) {
		d->hup_pending = true;
	} else if (ss->open) {
		s->error = rc == -ENOMEM ? ENOMEM : ECONNABORTED;
		d->err_pending = true;
	}
	sess_free(s, ss);
}

/*
 * Drive @p ss with what it can read now: its datagram (d->rx_owner) or
 * records left from the last one. @retval 1 a record waits for the
 * application; 0 otherwise (the session may be gone).
 */
static int sess_pump(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		if (!ss->open) {
			rc = zt_dtls_eng_handshake(ss->eng);
			if (rc == -EAGAIN || rc == 1) {
				return 0;
			}
			if (rc < 0) {
				sess_end(s, ss, rc);
				return 0;
			}
			ss->open = true;
			ss->hs_seq = ++d->hs_seq;
			s->eng = ss->eng;
			s->error = 0; /* reference §3.5: the server socket is usable again */
		}
		/* records behind the Finished, or the datagram itself */
		rc = zt_dtls_eng_poll(ss->eng);
		if (rc != -ECONNRESET) {
			break;
		}
		/* RFC 6347 4.2.8: a new connection from the same address replaces the old */
		d->hup_pending = true;
		ss->open = false;
		if (d->rx_hello) {
			memcpy(ss->hello_random, d->rx_random, ZT_DTLS_RANDOM_LEN);
		}
		pick_newest(s);
	}
	if (rc > 0) {
		return 1;
	}
	if (rc != -EAGAIN) {
		sess_end(s, ss, rc);
	}
	return 0;
}

static struct zt_dtls_sess *find_addr(struct zt_dtls *d, const struct sockaddr *a, socklen_t alen)
{
	for (struct zt_dtls_sess *ss = d->sessions; ss != NULL; ss = ss->next) {
		if (zt_dtls_addr_eq(a, alen, (struct sockaddr *)&ss->peer, ss->peer_len)) {
			return ss;
		}
	}
	return NULL;
}

static void peer_update(struct zt_dtls_sess *ss, const struct sockaddr_storage *from,
			socklen_t fromlen)
{
	memcpy(&ss->peer, from, fromlen);
	ss->peer_len = fromlen;
	(void)zt_dtls_eng_set_peer_id(ss->eng, from, fromlen);
}

/*
 * A datagram from an unknown address may come from a known peer whose
 * address changed (NAT rebinding): with Connection IDs, a session that can
 * authenticate its first record owns it and learns the new address.
 */
static struct zt_dtls_sess *find_cid(struct zt_sock *s, const unsigned char *hdr, ssize_t n,
				     const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct zt_dtls *d = s->dtls;
	struct zt_dtls_sess *ss;
	ssize_t len;

	if (n < REC_HDR_LEN || (hdr[3] == 0 && hdr[4] == 0)) {
		return NULL; /* epoch 0 is never protected */
	}
	for (ss = d->sessions; ss != NULL; ss = ss->next) {
		if (ss->open && zt_dtls_eng_cid_in_use(ss->eng)) {
			break;
		}
	}
	if (ss == NULL) {
		return NULL;
	}
	if (d->scratch == NULL) {
		d->scratch = malloc((size_t)2 * ZT_DTLS_DGRAM_MAX);
		if (d->scratch == NULL) {
			return NULL;
		}
	}
	len = recv(s->fd, d->scratch, ZT_DTLS_DGRAM_MAX, MSG_PEEK | MSG_DONTWAIT);
	if (len <= 0) {
		return NULL;
	}
	for (; ss != NULL; ss = ss->next) {
		if (ss->open && zt_dtls_eng_cid_in_use(ss->eng) &&
		    zt_dtls_eng_record_matches(ss->eng, d->scratch, (size_t)len,
					       d->scratch + ZT_DTLS_DGRAM_MAX)) {
			peer_update(ss, from, fromlen);
			return ss;
		}
	}
	return NULL;
}

/* An epoch-0 ClientHello. */
static bool is_client_hello(const unsigned char *hdr, ssize_t n)
{
	return n >= REC_HDR_LEN + 1 && hdr[0] == REC_HANDSHAKE && hdr[3] == 0 && hdr[4] == 0 &&
	       hdr[REC_HDR_LEN] == HS_CLIENT_HELLO;
}

static void hello_free(struct zt_dtls *d)
{
	if (d->hello != NULL) {
		zt_eng_free(d->hello->eng);
		free(d->hello);
		d->hello = NULL;
	}
}

/*
 * An unknown peer may only start with a ClientHello. The cookie engine
 * answers one without a valid cookie statelessly; with a valid cookie it
 * becomes that peer's session (if the pool has room).
 */
static void hello(struct zt_sock *s, const unsigned char *hdr, ssize_t n,
		  const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct zt_dtls *d = s->dtls;
	struct zt_dtls_sess *h;
	int rc;

	if (!is_client_hello(hdr, n) || d->count >= ZT_DTLS_MAX_SESSIONS) {
		drop_head(s); /* stray or late datagram, or no room: the client retries */
		return;
	}
	if (d->hello != NULL && d->hello_conf != s->conf) {
		hello_free(d); /* options changed: new peers get the new config */
	}
	if (d->hello == NULL) {
		d->hello = sess_new(s);
		d->hello_conf = s->conf;
	}
	h = d->hello;
	if (h == NULL || fromlen > sizeof(h->peer)) {
		drop_head(s);
		return;
	}
	peer_update(h, from, fromlen);
	d->rx_owner = h;
	rc = zt_dtls_eng_handshake(h->eng);
	if (d->rx_owner != NULL) {
		d->rx_owner = NULL;
		drop_head(s);
	}
	if (rc == 1) {
		return; /* HelloVerifyRequest sent; nothing kept for this peer */
	}
	if (rc != -EAGAIN || !zt_dtls_eng_hello_verified(h->eng) || n < HDR_PEEK) {
		hello_free(d); /* garbage, or a fragment we do not reassemble */
		return;
	}
	d->hello = NULL;
	memcpy(h->hello_random, hdr + HELLO_RANDOM, ZT_DTLS_RANDOM_LEN);
	/* the client answered the cookie: it owns this address now */
	h->last_ms = zt_now_ms();
	h->next = d->sessions;
	d->sessions = h;
	d->count++;
}

/*
 * A copy of the ClientHello that opened this session, duplicated or delayed
 * by the network. Mbed TLS would take its still valid cookie for a client
 * reconnecting from the same port (RFC 6347 4.2.8) and reset the session; a
 * real reconnect has a new random.
 */
static bool stale_hello(const struct zt_dtls_sess *ss, const unsigned char *hdr, ssize_t n)
{
	return ss->open && is_client_hello(hdr, n) && n >= HDR_PEEK &&
	       memcmp(hdr + HELLO_RANDOM, ss->hello_random, ZT_DTLS_RANDOM_LEN) == 0;
}

/*
 * Hand the datagram at the head of the kernel queue to its session.
 * @retval 1 a record waits for the application; 0 handled or dropped;
 *         -EAGAIN the queue is empty; -EBUSY the head datagram's session
 *         still holds a record the application has not read.
 */
static int dispatch_one(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	unsigned char hdr[HDR_PEEK];
	struct zt_dtls_sess *ss;
	ssize_t n;
	int rc;

	/* MSG_TRUNC: the datagram's real length, though only the header is copied */
	n = recvfrom(s->fd, hdr, sizeof(hdr), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0) {
		return -EAGAIN;
	}
	ss = find_addr(d, (struct sockaddr *)&from, fromlen);
	if (ss == NULL) {
		ss = find_cid(s, hdr, n, &from, fromlen);
	}
	if (ss == NULL) {
		hello(s, hdr, n, &from, fromlen);
		return 0;
	}
	if (zt_dtls_eng_pending(ss->eng) > 0) {
		return -EBUSY; /* datagrams of one peer stay in order */
	}
	if (stale_hello(ss, hdr, n)) {
		drop_head(s);
		return 0;
	}
	ss->last_ms = zt_now_ms();
	d->rx_owner = ss;
	d->rx_hello = is_client_hello(hdr, n) && n >= HDR_PEEK;
	if (d->rx_hello) {
		memcpy(d->rx_random, hdr + HELLO_RANDOM, ZT_DTLS_RANDOM_LEN);
	}
	rc = sess_pump(s, ss);
	d->rx_hello = false;
	if (d->rx_owner != NULL) {
		d->rx_owner = NULL;
		drop_head(s); /* never loop on a datagram nobody reads */
	}
	return rc;
}

/* Decrypt records left from earlier datagrams; the first session with a record ready. */
static struct zt_dtls_sess *settle(struct zt_sock *s)
{
	struct zt_dtls_sess *ss, *next;

	for (ss = s->dtls->sessions; ss != NULL; ss = next) {
		next = ss->next;
		if (zt_dtls_eng_pending(ss->eng) == 0 && zt_dtls_eng_readable(ss->eng)) {
			(void)sess_pump(s, ss);
		}
	}
	for (ss = s->dtls->sessions; ss != NULL; ss = ss->next) {
		if (zt_dtls_eng_pending(ss->eng) > 0) {
			return ss;
		}
	}
	return NULL;
}

/* Idle expiry (close_notify first, reference §3.5) and handshake retransmissions. */
static void service(struct zt_sock *s)
{
	int64_t now = zt_now_ms();
	struct zt_dtls_sess *ss, *next;

	for (ss = s->dtls->sessions; ss != NULL; ss = next) {
		int64_t t = zt_dtls_eng_timer_deadline(ss->eng);

		next = ss->next;
		if (ZT_DTLS_IDLE_TIMEOUT_MS > 0 && now - ss->last_ms >= ZT_DTLS_IDLE_TIMEOUT_MS) {
			if (ss->open) {
				zt_eng_close_notify(ss->eng);
			}
			sess_end(s, ss, -ETIMEDOUT);
		} else if (!ss->open && t != ZT_FOREVER && t <= now) {
			(void)sess_pump(s, ss);
		} else if (ss->open && zt_eng_write_pending(ss->eng)) {
			(void)zt_eng_flush(ss->eng);
		}
	}
}

int64_t zt_dtls_srv_deadline(struct zt_sock *s)
{
	int64_t t = ZT_FOREVER;

	for (struct zt_dtls_sess *ss = s->dtls->sessions; ss != NULL; ss = ss->next) {
		if (zt_dtls_eng_pending(ss->eng) == 0 && zt_dtls_eng_readable(ss->eng)) {
			return zt_now_ms(); /* records wait to be decrypted: no sleeping */
		}
		int64_t e = ZT_DTLS_IDLE_TIMEOUT_MS > 0 ? ss->last_ms + ZT_DTLS_IDLE_TIMEOUT_MS
							: ZT_FOREVER;
		int64_t r = ss->open ? ZT_FOREVER : zt_dtls_eng_timer_deadline(ss->eng);

		if (r != ZT_FOREVER && (e == ZT_FOREVER || r < e)) {
			e = r;
		}
		if (e != ZT_FOREVER && (t == ZT_FOREVER || e < t)) {
			t = e;
		}
	}
	return t;
}

/* One record to the application: datagram semantics, MSG_TRUNC (reference §3.4). */
static ssize_t sess_read(struct zt_sock *s, struct zt_dtls_sess *ss, void *buf, size_t len,
			 int flags, struct sockaddr *src, socklen_t *srclen)
{
	size_t full = 0;
	ssize_t n = zt_dtls_eng_recv(ss->eng, buf, len, &full);

	if (n < 0) {
		if (n != -EAGAIN) {
			sess_end(s, ss, (int)n);
		}
		return -EAGAIN; /* the server goes on (reference §3.5) */
	}
	zt_dtls_addr_out(&ss->peer, ss->peer_len, src, srclen);
	s->dtls->last_rx = ss;
	ss->last_ms = zt_now_ms();
	return (flags & MSG_TRUNC) ? (ssize_t)full : n;
}

/* What recvfrom() can do without waiting. */
static ssize_t recv_step(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen)
{
	struct zt_dtls_sess *ss;
	ssize_t n;
	int rc = zt_dtls_conf(s, true);

	if (rc < 0) {
		return rc;
	}
	service(s);
	for (int i = 0; i <= ZT_DTLS_BATCH; i++) {
		ss = settle(s);
		if (ss != NULL) {
			n = sess_read(s, ss, buf, len, flags, src, srclen);
			if (n != -EAGAIN) {
				return n;
			}
			continue;
		}
		if (i == ZT_DTLS_BATCH || dispatch_one(s) == -EAGAIN) {
			break;
		}
	}
	return -EAGAIN;
}

/* Called with rx_lock held, without s->lock. */
ssize_t zt_dtls_srv_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags,
			     struct sockaddr *src, socklen_t *srclen)
{
	int64_t deadline, wake;
	ssize_t n;
	int rc;

	pthread_mutex_lock(&s->lock);
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.rcvtimeo_ms);
	pthread_mutex_unlock(&s->lock);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = s->shut_rd ? 0 : recv_step(s, buf, len, flags, src, srclen);
		/* a record left behind by a full batch: no sleeping */
		wake = (n == -EAGAIN && settle(s) != NULL) ? zt_now_ms() : zt_dtls_srv_deadline(s);
		pthread_mutex_unlock(&s->lock);
		if (n != -EAGAIN || zt_nowait(s, flags)) {
			return n;
		}
		/* sleep until a datagram, a session timer or the caller's deadline */
		rc = zt_dtls_recv_wait(s, POLLIN, deadline, wake);
		if (rc <= 0) {
			return rc;
		}
	}
}

/* Called without locks. */
ssize_t zt_dtls_srv_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
			   const struct sockaddr *dest, socklen_t destlen)
{
	int64_t deadline;
	struct zt_dtls_sess *ss;
	ssize_t n;
	int max, rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.sndtimeo_ms);
	for (;;) {
		/* the peer named, else the one recvfrom() last returned (Zephyr's active session)
		 */
		ss = dest != NULL ? find_addr(s->dtls, dest, destlen) : s->dtls->last_rx;
		if (ss == NULL || !ss->open) {
			n = -ENOTCONN; /* reference §3.4: unknown peer or handshake not done */
		} else if ((max = zt_dtls_eng_max_payload(ss->eng)) >= 0 && len > (size_t)max) {
			n = -EMSGSIZE;
		} else {
			n = zt_eng_write(ss->eng, buf, len);
			if (n >= 0) {
				ss->last_ms = zt_now_ms();
			} else if (n != -EAGAIN) {
				sess_end(s, ss,
					 -ENOTCONN); /* reference §3.4: send failure frees it */
				n = -EIO;
			}
		}
		if (n != -EAGAIN || zt_nowait(s, flags)) {
			break;
		}
		pthread_mutex_unlock(&s->lock);
		rc = zt_wait(s, POLLOUT, deadline);
		pthread_mutex_lock(&s->lock);
		if (rc < 0) {
			n = rc;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->tx_lock);
	return n;
}

/* POLLHUP / POLLERR the application has not been told about yet. */
static short take_pending(struct zt_dtls *d)
{
	short rev = (d->hup_pending ? POLLHUP : 0) | (d->err_pending ? POLLERR : 0);

	d->hup_pending = false;
	d->err_pending = false;
	return rev;
}

short zt_dtls_srv_poll_ready(struct zt_sock *s, short events)
{
	short rev = events & POLLOUT;
	int rc = zt_dtls_conf(s, true);

	if (rc < 0) {
		s->error = -rc; /* no config (credentials): say why in SO_ERROR */
		return rev | POLLERR;
	}
	service(s);
	if ((events & POLLIN) && settle(s) != NULL) {
		rev |= POLLIN;
	}
	return rev | take_pending(s->dtls);
}

short zt_dtls_srv_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = (kev & (events | POLLERR | POLLHUP | POLLNVAL) & ~POLLIN) | (events & POLLOUT);

	if ((kev & POLLIN) && (events & POLLIN) && s->conf != NULL) {
		/* reference §3.7: handshakes advance here; POLLIN only for application data */
		for (int i = 0; i < ZT_DTLS_BATCH; i++) {
			if (settle(s) != NULL) {
				rev |= POLLIN;
				break;
			}
			if (dispatch_one(s) == -EAGAIN) {
				break;
			}
		}
		if (settle(s) != NULL) {
			rev |= POLLIN;
		}
	}
	return rev | take_pending(s->dtls);
}

void zt_dtls_srv_close(struct zt_sock *s)
{
	/* reference §3.8: close_notify to every peer, best effort */
	for (struct zt_dtls_sess *ss = s->dtls->sessions; ss != NULL; ss = ss->next) {
		if (ss->open) {
			zt_eng_close_notify(ss->eng);
		}
	}
}

void zt_dtls_srv_free(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;

	while (d->sessions != NULL) {
		sess_free(s, d->sessions);
	}
	hello_free(d);
	free(d->scratch);
	d->scratch = NULL;
}
