/*
 * DTLS server (docs/zephyr-behaviour.md §3.5, Zephyr's 2026 multi-session model): ONE UDP
 * socket, many peers. Each datagram is read once (one recvfrom: its source
 * and bytes) into the socket's buffer and handed to the session of that address, else of the
 * Connection ID in its record header (NAT rebinding; one hash lookup, then one record check), else
 * - if it is a ClientHello - to a stateless cookie engine that becomes a session once the client
 * proved its address (RFC 6347 4.2.1). Handshakes progress inside recvfrom() and poll(); idle
 * sessions expire, and only records that pass a session's checks keep it alive. Every function here
 * runs under s->lock unless it says otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <secsock/secsock.h>

#include "sock/dtls_priv.h"
#include "util/log.h"

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

/* RFC 9146 record: type tls12_cid(25) version(2) epoch(2) seq(6) cid(L) length(2) */
#define REC_CID        25
#define REC_CID_OFFSET 11

_Static_assert(REC_CID_OFFSET + ZT_CID_MAX + 2 <= HDR_PEEK, "the peeked header holds a CID");

/* d->hib_next when nothing is due: one compare in service(), unlike ZT_FOREVER (-1). */
#define HIB_NEVER INT64_MAX

/* Tries for a random CID no other session of the socket has. */
#define CID_TRIES 16

/* ---- sessions ---- */

/* Address bytes that identify a peer (no padding, no garbage). */
static size_t addr_key(const struct sockaddr *a, socklen_t alen, unsigned char *out)
{
	if (a->sa_family == AF_INET && alen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *v4 = (const void *)a;

		out[0] = AF_INET;
		memcpy(out + 1, &v4->sin_port, 2);
		memcpy(out + 3, &v4->sin_addr, 4);
		return 7;
	}
	if (a->sa_family == AF_INET6 && alen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *v6 = (const void *)a;

		out[0] = AF_INET6;
		memcpy(out + 1, &v6->sin6_port, 2);
		memcpy(out + 3, &v6->sin6_addr, 16);
		memcpy(out + 19, &v6->sin6_scope_id, 4);
		return 23;
	}
	return 0;
}

/* The server's maps and lists, made on first use. @retval 0, -EIO (no randomness). */
static int srv_init(struct zt_dtls *d)
{
	if (!d->srv_init) {
		if (zt_hmap_init(&d->by_addr) < 0 || zt_hmap_init(&d->by_cid) < 0) {
			return -EIO;
		}
		if (d->scratch == NULL) {
			d->scratch = malloc((size_t)2 * ZT_DTLS_DGRAM_MAX);
			if (d->scratch == NULL) {
				return -ENOMEM;
			}
		}
		zt_list_init(&d->idle);
		zt_list_init(&d->asleep);
		zt_list_init(&d->handshaking);
		zt_list_init(&d->opened);
		zt_list_init(&d->ready);
		d->hs_next = ZT_FOREVER;
		d->hib_next = HIB_NEVER;
		d->now = zt_now_ms();
		d->srv_init = true;
	}
	return 0;
}

#define SESS_OF(link, member) ZT_CONTAINER_OF(link, struct zt_dtls_sess, member)

/*
 * Our own CID for a new session: one that no other session of this socket
 * has, so that a record's CID names exactly one session. The configured
 * value (TLS_DTLS_CID_VALUE, or Zephyr's random one) while it is free, else a
 * random one of the same length (docs/security.md, "DTLS Connection IDs").
 */
static int own_cid(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;
	size_t len = s->opts.cid_len;

	if (s->opts.dtls_cid != TLS_DTLS_CID_ENABLED || len == 0) {
		return 0;
	}
	memcpy(ss->cid, s->opts.cid, len);
	for (int i = 0; zt_hmap_find(&d->by_cid, ss->cid, len) != NULL; i++) {
		if (i == CID_TRIES || getrandom(ss->cid, len, 0) != (ssize_t)len) {
			return -EADDRINUSE; /* too short a CID for this many peers */
		}
	}
	ss->cid_len = len;
	return 0;
}

static struct zt_dtls_sess *sess_new(struct zt_sock *s)
{
	struct zt_dtls_sess *ss = calloc(1, sizeof(*ss));
	struct zt_eng_sess_cfg sc;

	if (ss == NULL) {
		return NULL;
	}
	ss->s = s;
	zt_list_init(&ss->idle);
	zt_list_init(&ss->state);
	zt_list_init(&ss->ready);
	zt_session_init(&ss->sess, s);
	ss->sess.gated = true; /* reads only the datagram the dispatcher hands it */
	ss->sess.peer = &ss->peer;
	ss->sess.peer_len = &ss->peer_len;
	zt_sock_sess_cfg(s, &sc);
	if (srv_init(s->dtls) < 0 || own_cid(s, ss) < 0) {
		free(ss);
		return NULL;
	}
	sc.own_cid = ss->cid_len > 0 ? ss->cid : NULL;
	sc.own_cid_len = ss->cid_len;
	if (zt_session_start(&ss->sess, s->conf, &sc) < 0) {
		free(ss);
		return NULL;
	}
	return ss;
}

/* s->eng borrows the engine of the newest handshake: Zephyr's option getters read it. */
static void pick_newest(struct zt_sock *s)
{
	struct zt_link *l = zt_list_last(&s->dtls->opened);

	s->eng = l != NULL ? SESS_OF(l, state)->sess.eng : NULL;
}

/* Decrypted bytes of the current record of @p ss, ready to read. */
static size_t pending(const struct zt_dtls_sess *ss)
{
	struct zt_eng_status st;

	zt_session_status(&ss->sess, &st);
	return st.plaintext;
}

/* After any call into @p ss's engine: is it in the ready list exactly when it must be? */
static void ready_update(struct zt_dtls *d, struct zt_dtls_sess *ss)
{
	bool ready = zt_session_readable(&ss->sess);

	if (ready && !zt_list_linked(&ss->ready)) {
		zt_list_add_tail(&d->ready, &ss->ready);
	} else if (!ready && zt_list_linked(&ss->ready)) {
		zt_list_del(&ss->ready);
	}
}

/*
 * The idle timer restarts at d->now (read once per call). The session takes
 * a new place at the tail of d->idle only when its place is
 * ZT_DTLS_IDLE_SLACK_MS old, so the list stays in idle_ms order and most
 * datagrams write nothing but last_ms.
 */
static void activity(struct zt_dtls *d, struct zt_dtls_sess *ss)
{
	ss->last_ms = d->now;
	if (d->now - ss->idle_ms >= ZT_DTLS_IDLE_SLACK_MS) {
		ss->idle_ms = d->now;
		zt_list_move_tail(&d->idle, &ss->idle);
	}
}

/* A new session joins the idle order (at the tail: d->now is the latest time). */
static void idle_join(struct zt_dtls *d, struct zt_dtls_sess *ss)
{
	int h = zt_sock_hibernate_ms(ss->s);

	ss->last_ms = ss->idle_ms = d->now;
	zt_list_add_tail(&d->idle, &ss->idle);
	if (h > 0) {
		d->hib_next = d->now + h < d->hib_next ? d->now + h : d->hib_next; /* HIBERNATE */
	}
}

static void sess_free(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;

	if (zt_list_linked(&ss->idle)) {
		zt_list_del(&ss->idle); /* from d->idle or d->asleep */
		d->count--;
		zt_hmap_remove(&d->by_addr, &ss->addr_node);
		if (ss->cid_len > 0) {
			zt_hmap_remove(&d->by_cid, &ss->cid_node);
		}
	}
	zt_list_del(&ss->state);
	zt_list_del(&ss->ready);
	if (d->rx_owner == &ss->sess) {
		d->rx_owner = NULL;
	}
	if (d->last_rx == ss) {
		d->last_rx = NULL;
	}
	if (d->peeked == ss) {
		d->peeked = NULL;
	}
	if (s->eng == ss->sess.eng) {
		s->eng = NULL;
		zt_session_close(&ss->sess, false);
		pick_newest(s);
	}
	zt_session_close(&ss->sess, false);
	free(ss);
}

/*
 * A peer is gone: free its session only (docs/zephyr-behaviour.md §3.5). The application
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
	} else {
		zt_session_note_failure(&ss->sess, rc); /* silent, but SECSOCK_TLS_FAILURE_REASON */
	}
	sess_free(s, ss);
}

/*
 * SECSOCK_TLS_HIBERNATE: a hibernated peer (in d->asleep) is about to be used
 * - a datagram from its address or with its CID, a send to it. Its session is
 * loaded and goes back to the tail of d->idle with idle_ms = d->now; last_ms
 * moves only when a record of it passes its checks (a spoofed datagram that
 * wakes it cannot keep it alive: it hibernates again, by last_ms, after N ms).
 * Callers test ss->sess.hib first: an awake peer pays that one flag test.
 * @retval 0; -ECONNABORTED the session could not be loaded and is gone.
 */
static int peer_wake(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;
	int h = zt_sock_hibernate_ms(s);

	ss->sess.hib = false;
	zt_list_del(&ss->idle);
	ss->idle_ms = d->now;
	zt_list_add_tail(&d->idle, &ss->idle);
	if (h > 0 && d->now + h < d->hib_next) {
		d->hib_next = d->now + h;
	}
	if (zt_eng_wake(ss->sess.eng) < 0) {
		zt_log(ZT_LOG_ERROR, "fd %d: DTLS peer: wake from hibernation failed", s->fd);
		sess_end(s, ss, -ECONNABORTED);
		return -ECONNABORTED;
	}
	zt_log(ZT_LOG_INFO, "fd %d: woke from hibernation (a DTLS peer)", s->fd);
	return 0;
}

/* d->asleep in last_ms order: a peer usually hibernates after those before it (from the tail). */
static void asleep_add(struct zt_dtls *d, struct zt_dtls_sess *ss)
{
	struct zt_link *at = d->asleep.prev;

	while (at != &d->asleep && SESS_OF(at, idle)->last_ms > ss->last_ms) {
		at = at->prev; /* bounded: d->asleep holds at most d->count sessions */
	}
	ss->idle.prev = at;
	ss->idle.next = at->next;
	at->next->prev = &ss->idle;
	at->next = &ss->idle;
}

/* The idle timer restarts only when the session accepted a record (any datagram can be spoofed). */
static uint64_t rx_mark(const struct zt_dtls_sess *ss)
{
	uint64_t m = 0;
	size_t len = sizeof(m);

	(void)zt_eng_info(ss->sess.eng, ZT_INFO_RX_MARK, &m, &len);
	return m;
}

/*
 * A handshaking session's retransmission timer may have moved: d->hs_next
 * stays at or before the earliest one, so that service() walks the
 * handshaking list only when some timer is due (not once per datagram).
 */
static void hs_timer_note(struct zt_dtls *d, const struct zt_dtls_sess *ss)
{
	struct zt_eng_status st;

	if (!ss->open && zt_list_linked(&ss->state)) {
		zt_session_status(&ss->sess, &st);
		d->hs_next = zt_earliest(d->hs_next, st.timer);
	}
}

/*
 * After a pump. @p record: it left decrypted application data, so a record
 * passed the session's checks (it never starts with plaintext unread, see
 * dispatch() and settle()) and the session belongs in d->ready: neither
 * needs asking the engine.
 */
static void touch(struct zt_dtls *d, struct zt_dtls_sess *ss, uint64_t mark, bool record)
{
	if (record || rx_mark(ss) != mark) {
		activity(d, ss);
	}
	if (!record) {
		ready_update(d, ss);
	} else if (!zt_list_linked(&ss->ready)) {
		zt_list_add_tail(&d->ready, &ss->ready);
	}
	hs_timer_note(d, ss);
}

/*
 * Drive @p ss with what it can read now: its datagram (d->rx_owner) or
 * records left from the last one. @retval 1 a record waits for the
 * application; 0 otherwise (the session may be gone).
 */
static int sess_pump(struct zt_sock *s, struct zt_dtls_sess *ss)
{
	struct zt_dtls *d = s->dtls;
	uint64_t mark = rx_mark(ss);
	bool hs = false; /* a handshake step ran (maybe long): read the clock again */
	struct zt_want w;
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		if (!ss->open) {
			hs = true;
			rc = (int)zt_session_step(&ss->sess, ZT_OP_HANDSHAKE, NULL, 0, NULL, &w);
			if (rc == -EAGAIN) {
				d->now = zt_now_ms();
				touch(d, ss, mark, false);
				return 0;
			}
			if (rc < 0) {
				sess_end(s, ss, rc);
				return 0;
			}
			ss->open = true;
			zt_list_move_tail(&d->opened, &ss->state);
			s->eng = ss->sess.eng;
			s->error =
				0; /* docs/zephyr-behaviour.md: the server socket is usable again */
		}
		/* records behind the Finished, or the datagram itself */
		rc = (int)zt_session_step(&ss->sess, ZT_OP_CHECK, NULL, 0, NULL, &w);
		if (rc == 0) {
			rc = -ENOTCONN; /* close_notify: this peer is gone */
		}
		if (rc != -ECONNRESET) {
			break;
		}
		/* RFC 6347 4.2.8: a new connection from the same address replaces the old */
		d->hup_pending = true;
		ss->open = false;
		zt_list_move_tail(&d->handshaking, &ss->state);
		if (d->rx_hello) {
			memcpy(ss->hello_random, d->rx_random, ZT_DTLS_RANDOM_LEN);
		}
		pick_newest(s);
	}
	if (rc != -EAGAIN && rc <= 0) {
		sess_end(s, ss, rc);
		return 0;
	}
	if (hs) {
		d->now = zt_now_ms();
	}
	touch(d, ss, mark, rc > 0);
	return rc > 0 ? 1 : 0;
}

static struct zt_dtls_sess *find_addr(struct zt_dtls *d, const struct sockaddr *a, socklen_t alen)
{
	unsigned char key[ZT_DTLS_ADDR_KEY_MAX];
	size_t len = addr_key(a, alen, key);
	struct zt_hnode *n = len > 0 ? zt_hmap_find(&d->by_addr, key, len) : NULL;

	return n != NULL ? (struct zt_dtls_sess *)((char *)n -
						   offsetof(struct zt_dtls_sess, addr_node))
			 : NULL;
}

/* The session's peer address (and cookie transport id), before it is in the maps. */
static void peer_set(struct zt_dtls_sess *ss, const struct sockaddr_storage *from,
		     socklen_t fromlen)
{
	memcpy(&ss->peer, from, fromlen);
	ss->peer_len = fromlen;
	ss->addr_key_len = addr_key((const struct sockaddr *)from, fromlen, ss->addr_key);
	(void)zt_eng_set_peer_id(ss->sess.eng, from, fromlen);
}

/* A session in the maps moves to a new address (NAT rebinding). */
static void peer_move(struct zt_dtls *d, struct zt_dtls_sess *ss,
		      const struct sockaddr_storage *from, socklen_t fromlen)
{
	zt_hmap_remove(&d->by_addr, &ss->addr_node);
	peer_set(ss, from, fromlen);
	(void)zt_hmap_insert(&d->by_addr, &ss->addr_node, ss->addr_key, ss->addr_key_len);
}

/*
 * A datagram from an unknown address may come from a known peer whose
 * address changed (NAT rebinding). RFC 9146: its record names our CID for
 * that peer, and our CIDs are unique on the socket, so one lookup finds the
 * only candidate, and the record must pass that session's checks before the
 * session learns the new address. Anything else costs a header parse.
 */
static struct zt_dtls_sess *find_cid(struct zt_sock *s, const unsigned char *hdr, ssize_t n,
				     const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct zt_dtls *d = s->dtls;
	size_t cl = s->opts.dtls_cid == TLS_DTLS_CID_ENABLED ? s->opts.cid_len : 0;
	struct zt_dtls_sess *ss;
	struct zt_hnode *node;

	if (cl == 0 || n < (ssize_t)(REC_CID_OFFSET + cl + 2) || hdr[0] != REC_CID) {
		return NULL;
	}
	node = zt_hmap_find(&d->by_cid, hdr + REC_CID_OFFSET, cl);
	if (node == NULL) {
		return NULL;
	}
	ss = SESS_OF(node, cid_node);
	if (!ss->open || (ss->sess.hib && peer_wake(s, ss) < 0)) {
		return NULL; /* (a hibernated peer's keys come back for the check) */
	}
	d->record_checks++;
	if (!zt_eng_record_matches(ss->sess.eng, hdr, (size_t)n, d->scratch + ZT_DTLS_DGRAM_MAX)) {
		return NULL;
	}
	peer_move(d, ss, from, fromlen);
	return ss;
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
		zt_session_close(&d->hello->sess, false);
		free(d->hello);
		d->hello = NULL;
	}
}

/*
 * SECSOCK_TLS_DTLS_MAX_PEERS: is the socket full? A refusal counts, and the
 * first one since the socket was last below its limit writes a debug line.
 */
static bool at_limit(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;

	if (d->count < s->opts.dtls_max_peers) {
		d->full_logged = false;
		return false;
	}
	d->refused++;
	if (!d->full_logged) {
		d->full_logged = true;
		zt_log(ZT_LOG_ERROR,
		       "DTLS server socket %d holds %d peers (SECSOCK_TLS_DTLS_MAX_PEERS %d): "
		       "ClientHellos of new peers are dropped",
		       s->fd, d->count, s->opts.dtls_max_peers);
	}
	return true;
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

	if (!is_client_hello(hdr, n) || at_limit(s) || srv_init(d) < 0) {
		return; /* stray or late datagram, or no room (dropped): the client retries */
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
		return;
	}
	peer_set(h, from, fromlen);
	d->rx_owner = &h->sess;
	rc = zt_eng_handshake(h->sess.eng);
	d->rx_owner = NULL;
	if (rc == 1) {
		return; /* HelloVerifyRequest sent; nothing kept for this peer */
	}
	if (rc != -EAGAIN || !zt_eng_hello_verified(h->sess.eng) || n < HDR_PEEK) {
		hello_free(d); /* garbage, or a fragment we do not reassemble */
		return;
	}
	/* the client answered the cookie: it owns this address now */
	if (zt_hmap_insert(&d->by_addr, &h->addr_node, h->addr_key, h->addr_key_len) < 0) {
		hello_free(d);
		return;
	}
	if (h->cid_len > 0 && zt_hmap_insert(&d->by_cid, &h->cid_node, h->cid, h->cid_len) < 0) {
		zt_hmap_remove(&d->by_addr, &h->addr_node);
		hello_free(d);
		return;
	}
	d->hello = NULL;
	memcpy(h->hello_random, hdr + HELLO_RANDOM, ZT_DTLS_RANDOM_LEN);
	zt_list_add_tail(&d->handshaking, &h->state);
	d->now = zt_now_ms(); /* after the cookie check and the first handshake step */
	idle_join(d, h);
	hs_timer_note(d, h);
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
 * The next datagram into d->scratch (d->rx_len bytes from d->rx_from): one
 * recvfrom, no peek. @retval 0, -EAGAIN none queued.
 */
static int rx_take(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	ssize_t n;

	for (;;) {
		d->rx_fromlen = sizeof(d->rx_from);
		/* MSG_TRUNC: the real length, so a datagram too large for any record is seen */
		n = zt_sys_recvfrom(s->fd, d->scratch, ZT_DTLS_DGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC,
				    (struct sockaddr *)&d->rx_from, &d->rx_fromlen);
		if (n < 0) {
			return -EAGAIN;
		}
		if (n <= ZT_DTLS_DGRAM_MAX) {
			d->rx_len = (size_t)n;
			return 0;
		}
	}
}

/*
 * Hand the next datagram to its session: the one held back (-EBUSY before),
 * else the next in the kernel queue.
 * @retval 1 a record of *@p got waits for the application; 0 handled or
 *         dropped; -EAGAIN the queue is empty; -EBUSY the datagram's session
 *         still holds a record the application has not read (the datagram is held).
 */
static int dispatch(struct zt_sock *s, struct zt_dtls_sess **got)
{
	struct zt_dtls *d = s->dtls;
	const unsigned char *hdr = d->scratch;
	struct zt_dtls_sess *ss;
	ssize_t n;
	int rc;

	if (!d->rx_held && rx_take(s) < 0) {
		return -EAGAIN;
	}
	d->rx_held = false;
	n = (ssize_t)d->rx_len;
	ss = find_addr(d, (struct sockaddr *)&d->rx_from, d->rx_fromlen);
	if (ss == NULL) {
		ss = find_cid(s, hdr, n, &d->rx_from, d->rx_fromlen);
	}
	if (ss == NULL) {
		hello(s, hdr, n, &d->rx_from, d->rx_fromlen);
		return 0;
	}
	/* only a session in d->ready holds a record (ready_update after every engine call) */
	if (zt_list_linked(&ss->ready) && pending(ss) > 0) {
		d->rx_held = true; /* datagrams of one peer stay in order */
		return -EBUSY;
	}
	if (stale_hello(ss, hdr, n)) {
		return 0;
	}
	if (ss->sess.hib && peer_wake(s, ss) < 0) {
		return 0; /* hibernated (SECSOCK_TLS_HIBERNATE), and its session is lost */
	}
	d->rx_owner = &ss->sess;
	d->rx_hello = is_client_hello(hdr, n) && n >= HDR_PEEK;
	if (d->rx_hello) {
		memcpy(d->rx_random, hdr + HELLO_RANDOM, ZT_DTLS_RANDOM_LEN);
	}
	rc = sess_pump(s, ss);
	d->rx_hello = false;
	d->rx_owner = NULL; /* never loop on a datagram nobody reads */
	*got = ss;
	return rc;
}

static int dispatch_one(struct zt_sock *s)
{
	struct zt_dtls_sess *ss;

	return dispatch(s, &ss);
}

/*
 * Decrypt records left from earlier datagrams; the first session with a
 * record ready. Only sessions in the ready list are looked at.
 */
static struct zt_dtls_sess *settle(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	struct zt_link *l, *next;

	if (d->peeked != NULL && pending(d->peeked) > 0) {
		return d->peeked; /* MSG_PEEK or FIONREAD showed this one: it comes next */
	}
	for (l = d->ready.next; l != &d->ready; l = next) {
		struct zt_dtls_sess *ss = SESS_OF(l, ready);

		next = l->next; /* pumping touches this session's links only */
		if (pending(ss) > 0 || sess_pump(s, ss) > 0) {
			return ss;
		}
	}
	return NULL;
}

/*
 * SECSOCK_TLS_HIBERNATE on a server socket: its peers hibernate, each once it
 * has been quiet (last_ms) for the option's N ms with nothing in flight (no
 * retransmission timer, no record queued or unread: zt_session_hibernate()
 * says -EAGAIN then, and it is looked at again). N is read here, so a change
 * applies to existing peers too. A hibernated peer leaves d->idle for
 * d->asleep (last_ms order), where it expires as an awake one would. The walk
 * looks at the head of d->idle up to the first session whose place there is
 * younger than N (no session behind it can be due), and runs when d->hib_next
 * says something is due, at most every N/4: a busy peer near the head costs a
 * look per walk, not per datagram.
 */
static void hib_walk(struct zt_sock *s, int64_t now)
{
	struct zt_dtls *d = s->dtls;
	int h = zt_sock_hibernate_ms(s);
	int64_t next = ZT_FOREVER, floor;
	struct zt_link *l, *nx;
	bool any = false;

	/* hibernated peers expire too (close_notify first: it loads the session once more) */
	while (ZT_DTLS_IDLE_TIMEOUT_MS > 0 && (l = zt_list_first(&d->asleep)) != NULL) {
		struct zt_dtls_sess *ss = SESS_OF(l, idle);

		if (now - ss->last_ms < ZT_DTLS_IDLE_TIMEOUT_MS) {
			next = ss->last_ms + ZT_DTLS_IDLE_TIMEOUT_MS;
			break;
		}
		zt_eng_close_notify(ss->sess.eng);
		sess_end(s, ss, -ETIMEDOUT); /* the blob is wiped and freed with the engine */
	}
	for (l = d->idle.next; h > 0 && l != &d->idle; l = nx) {
		struct zt_dtls_sess *ss = SESS_OF(l, idle);

		nx = l->next; /* bounded: each session of d->idle once */
		if (now - ss->idle_ms < h) {
			next = zt_earliest(next, ss->idle_ms + h); /* none behind it is due */
			break;
		}
		if (!ss->open) {
			next = zt_earliest(next, now + h); /* a handshake: look again */
		} else if (ss->sess.hib_never) {
			continue; /* a suite the engine cannot serialise: stays awake */
		} else if (now - ss->last_ms < h) {
			next = zt_earliest(next, ss->last_ms + h);
		} else if (zt_session_hibernate(&ss->sess) == 0) {
			zt_list_del(&ss->idle);
			asleep_add(d, ss);
			d->hibernations++;
			any = true;
			if (ZT_DTLS_IDLE_TIMEOUT_MS > 0) {
				next = zt_earliest(next, ss->last_ms + ZT_DTLS_IDLE_TIMEOUT_MS);
			}
		} else if (!ss->sess.hib_never) {
			next = zt_earliest(next, now + h); /* a timer or a record in flight */
		}
	}
	/* the heap pages the contexts were on go back once for a burst of hibernations */
	if (any && d->release_at == 0) {
		d->release_at = now + ZT_HIB_RELEASE_MS;
	}
	if (d->release_at != 0 && now >= d->release_at) {
		int64_t wait = zt_eng_release(now);

		d->release_at = wait > 0 ? now + wait : 0;
	}
	if (d->release_at != 0) {
		next = zt_earliest(next, d->release_at);
	}
	floor = now + (h >= 4 ? h / 4 : 1);
	d->hib_next = next == ZT_FOREVER ? HIB_NEVER : next >= floor ? next : floor;
}

void zt_dtls_srv_hib_changed(struct zt_sock *s)
{
	if (s->dtls->srv_init) {
		s->dtls->hib_next = zt_now_ms(); /* the next call walks the peers */
	}
}

/*
 * Idle expiry (close_notify first, docs/zephyr-behaviour.md §3.5), handshake
 * retransmissions, records the kernel refused earlier. Costs O(expired), not
 * O(sessions): the idle list is in idle_ms order, and the handshaking list is
 * walked only when d->hs_next says a retransmission timer is due. Every
 * session has last_ms in [idle_ms, idle_ms + ZT_DTLS_IDLE_SLACK_MS), so once
 * the head is not due, none behind it was due more than the slack ago.
 */
static void service(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	int64_t now = zt_now_ms();
	struct zt_link *l, *next;

	d->now = now;
	while (ZT_DTLS_IDLE_TIMEOUT_MS > 0 && (l = zt_list_first(&d->idle)) != NULL &&
	       now - SESS_OF(l, idle)->last_ms >= ZT_DTLS_IDLE_TIMEOUT_MS) {
		struct zt_dtls_sess *ss = SESS_OF(l, idle);

		if (ss->open) {
			zt_eng_close_notify(ss->sess.eng);
		}
		sess_end(s, ss, -ETIMEDOUT);
	}
	if (d->hib_next <= now) {
		hib_walk(s, now); /* HIB_NEVER unless SECSOCK_TLS_HIBERNATE is or was on */
	}
	if (d->hs_next != ZT_FOREVER && d->hs_next <= now) {
		d->hs_next = ZT_FOREVER; /* recomputed: the walk and sess_pump() note every timer */
		for (l = d->handshaking.next; l != &d->handshaking; l = next) {
			struct zt_dtls_sess *ss = SESS_OF(l, state);
			struct zt_eng_status st;

			zt_session_status(&ss->sess, &st);
			next = l->next;
			if (st.timer != ZT_FOREVER && st.timer <= now) {
				(void)sess_pump(s, ss);
			} else {
				d->hs_next = zt_earliest(d->hs_next, st.timer);
			}
		}
	}
	if (d->tx_pending) {
		d->tx_pending = false;
		for (l = d->opened.next; l != &d->opened; l = l->next) {
			struct zt_dtls_sess *ss = SESS_OF(l, state);

			struct zt_eng_status st;

			zt_session_status(&ss->sess, &st);
			if (st.write_pending && zt_eng_flush(ss->sess.eng) == -EAGAIN) {
				d->tx_pending = true;
			}
		}
	}
}

int64_t zt_dtls_srv_deadline(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	int64_t t = ZT_FOREVER;
	struct zt_link *l;

	if (!d->srv_init) {
		return ZT_FOREVER;
	}
	if (d->rx_held) {
		return zt_now_ms(); /* a datagram waits in d->scratch */
	}
	for (l = d->ready.next; l != &d->ready; l = l->next) {
		if (pending(SESS_OF(l, ready)) == 0) {
			return zt_now_ms(); /* records wait to be decrypted: no sleeping */
		}
	}
	if (ZT_DTLS_IDLE_TIMEOUT_MS > 0 && (l = zt_list_first(&d->idle)) != NULL) {
		t = SESS_OF(l, idle)->last_ms + ZT_DTLS_IDLE_TIMEOUT_MS;
	}
	return zt_earliest(zt_earliest(t, d->hs_next),
			   d->hib_next == HIB_NEVER ? ZT_FOREVER : d->hib_next);
}

/* One record to the application: datagram semantics, MSG_TRUNC (docs/zephyr-behaviour.md). */
static ssize_t sess_read(struct zt_sock *s, struct zt_dtls_sess *ss, void *buf, size_t len,
			 int flags, struct sockaddr *src, socklen_t *srclen)
{
	struct zt_want w;
	size_t full = 0;
	bool peek = (flags & MSG_PEEK) != 0;
	ssize_t n = zt_session_step(&ss->sess, peek ? ZT_OP_PEEK : ZT_OP_READ, buf, len, &full, &w);

	if (n == 0 && full == 0) {
		n = -ENOTCONN; /* close_notify: the peer is gone */
	}
	if (n < 0) {
		if (n != -EAGAIN) {
			sess_end(s, ss, (int)n);
		}
		return -EAGAIN; /* the server goes on (docs/zephyr-behaviour.md) */
	}
	zt_dtls_addr_out(&ss->peer, ss->peer_len, src, srclen);
	s->dtls->last_rx = ss;
	s->dtls->peeked = peek ? ss : NULL;
	activity(s->dtls, ss);
	ready_update(s->dtls, ss);
	return (flags & MSG_TRUNC) ? (ssize_t)full : n;
}

/* What recvfrom() can do without waiting. */
static ssize_t recv_step(struct zt_sock *s, void *buf, size_t len, int flags, struct sockaddr *src,
			 socklen_t *srclen)
{
	struct zt_dtls_sess *ss;
	ssize_t n;
	int rc = zt_sock_conf(s, true);

	if (rc == 0) {
		rc = srv_init(s->dtls);
	}
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
		if (i == ZT_DTLS_BATCH || (rc = dispatch(s, &ss)) == -EAGAIN) {
			break;
		}
		/* settle() found no record before, so this session's is the next: no walk */
		if (rc == 1) {
			n = sess_read(s, ss, buf, len, flags, src, srclen);
			if (n != -EAGAIN) {
				return n;
			}
		}
	}
	return -EAGAIN;
}

/* Called with rx_lock held, without s->lock. */
ssize_t zt_dtls_srv_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags,
			     struct sockaddr *src, socklen_t *srclen)
{
	int64_t deadline = ZT_FOREVER, wake = ZT_FOREVER;
	bool first = true;
	ssize_t n;
	int rc;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (first) {
			deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.rcvtimeo_ms);
			first = false;
		}
		n = s->shut_rd ? 0 : recv_step(s, buf, len, flags, src, srclen);
		if (n == -EAGAIN && !zt_nowait(s, flags)) {
			/* a record left behind by a full batch: no sleeping */
			wake = settle(s) != NULL ? zt_now_ms() : zt_dtls_srv_deadline(s);
		}
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
	int rc;

	pthread_mutex_lock(&s->tx_lock);
	pthread_mutex_lock(&s->lock);
	deadline = zt_nowait(s, flags) ? 0 : zt_deadline(s->opts.sndtimeo_ms);
	for (;;) {
		/* the peer named, else the one recvfrom() last returned (Zephyr's active session);
		 * an echo names that one: no hashing then */
		ss = s->dtls->srv_init ? s->dtls->last_rx : NULL;
		if (dest != NULL && s->dtls->srv_init &&
		    (ss == NULL ||
		     !zt_dtls_addr_eq(dest, destlen, (const struct sockaddr *)&ss->peer,
				      ss->peer_len))) {
			ss = find_addr(s->dtls, dest, destlen);
		}
		if (ss != NULL && ss->open && ss->sess.hib) {
			s->dtls->now = zt_now_ms();
			if (peer_wake(s, ss) < 0) {
				ss = NULL; /* its session could not be loaded: gone */
			}
		}
		if (ss == NULL || !ss->open) {
			n = -ENOTCONN; /* docs/zephyr-behaviour.md: unknown peer or handshake not
					  done */
		} else {
			struct zt_want w;

			n = zt_session_step(&ss->sess, ZT_OP_WRITE, (void *)buf, len, NULL, &w);
			if (n >= 0) {
				s->dtls->now = zt_now_ms();
				activity(s->dtls, ss);
				/* the kernel refused the record: service() flushes it */
				s->dtls->tx_pending |= zt_eng_write_queued(ss->sess.eng);
			} else if (n != -EAGAIN && n != -EMSGSIZE) {
				sess_end(s, ss, -ENOTCONN); /* docs/zephyr-behaviour.md: send
							       failure frees it */
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
	int rc = zt_sock_conf(s, true);

	if (rc == 0) {
		rc = srv_init(s->dtls);
	}
	if (rc < 0) {
		s->error = -rc; /* no config (credentials): say why in SO_ERROR */
		return rev | POLLERR;
	}
	service(s);
	if ((events & POLLIN) && settle(s) == NULL && s->dtls->rx_held) {
		(void)dispatch_one(s); /* the held datagram's session went away meanwhile */
	}
	if ((events & POLLIN) && settle(s) != NULL) {
		rev |= POLLIN;
	}
	return rev | take_pending(s->dtls);
}

short zt_dtls_srv_poll_update(struct zt_sock *s, short events, short kev)
{
	short rev = (kev & (events | POLLERR | POLLHUP | POLLNVAL) & ~POLLIN) | (events & POLLOUT);

	if ((kev & POLLIN) && (events & POLLIN) && s->conf != NULL && s->dtls->srv_init) {
		s->dtls->now = zt_now_ms(); /* sessions touched below restart their idle timers */
		/* docs/zephyr-behaviour.md §3.7: handshakes advance here; POLLIN only
		 * for application data */
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

int zt_dtls_srv_fionread(struct zt_sock *s)
{
	struct zt_dtls_sess *ss = NULL;
	int rc = zt_sock_conf(s, true);

	if (rc == 0) {
		rc = srv_init(s->dtls);
	}
	if (rc < 0) {
		return rc;
	}
	service(s);
	/* what recvfrom() would find without waiting: a record ready, or datagrams queued */
	for (int i = 0; i < ZT_DTLS_BATCH && (ss = settle(s)) == NULL; i++) {
		if (dispatch_one(s) == -EAGAIN) {
			break;
		}
	}
	if (ss == NULL) {
		ss = settle(s);
	}
	if (ss == NULL) {
		return 0;
	}
	s->dtls->peeked = ss; /* the next recvfrom() returns this record */
	return pending(ss) > INT32_MAX ? INT32_MAX : (int)pending(ss);
}

void zt_dtls_srv_close(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;

	if (!d->srv_init) {
		return;
	}
	/* docs/zephyr-behaviour.md §3.8: close_notify to every peer, best effort (a hibernated
	 * one is loaded for it: the engine wakes itself) */
	for (struct zt_link *l = d->opened.next; l != &d->opened; l = l->next) {
		zt_eng_close_notify(SESS_OF(l, state)->sess.eng);
	}
}

void zt_dtls_srv_free(struct zt_sock *s)
{
	struct zt_dtls *d = s->dtls;
	struct zt_link *l;

	while (d->srv_init && (l = zt_list_first(&d->idle)) != NULL) {
		sess_free(s, SESS_OF(l, idle));
	}
	while (d->srv_init && (l = zt_list_first(&d->asleep)) != NULL) {
		sess_free(s, SESS_OF(l, idle)); /* hibernated: the blob wiped */
	}
	hello_free(d);
	free(d->scratch);
	d->scratch = NULL;
	zt_hmap_free(&d->by_addr);
	zt_hmap_free(&d->by_cid);
}
