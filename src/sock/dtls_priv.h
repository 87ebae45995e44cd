/*
 * Private to dtls.c (client, hook dispatch) and dtls_server.c (one socket,
 * many peers): struct zt_dtls behind s->dtls, and the calls between the two
 * files. Everything here is guarded by s->lock.
 */
#ifndef ZT_SOCK_DTLS_PRIV_H
#define ZT_SOCK_DTLS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sock/ops.h"
#include "util/hmap.h"
#include "util/list.h"

/** Idle server sessions expire (Zephyr: CONFIG_NET_SOCKETS_DTLS_TIMEOUT); 0: never. */
#ifndef ZT_DTLS_IDLE_TIMEOUT_MS
#define ZT_DTLS_IDLE_TIMEOUT_MS 5000
#endif

/**
 * Activity moves a session to the tail of the idle order only when its place
 * there is at least this old: an echo then writes the session's own last_ms,
 * not its list neighbours (cold memory with many peers). A session still
 * expires no earlier than the timeout after its last activity, and at most
 * this much later (dtls_server.c, service()).
 */
#define ZT_DTLS_IDLE_SLACK_MS (ZT_DTLS_IDLE_TIMEOUT_MS / 10)

/** Largest datagram looked at for Connection ID matching (16 KiB record + header room). */
#define ZT_DTLS_DGRAM_MAX (16384 + 1024)

/** ClientHello.random (RFC 5246 7.4.1.2). */
#define ZT_DTLS_RANDOM_LEN 32

/** Address bytes that key a session: family, port, address, scope id. */
#define ZT_DTLS_ADDR_KEY_MAX 24

/** Datagrams one call handles before it lets another caller in. */
#define ZT_DTLS_BATCH 64

enum zt_dtls_mode {
	ZT_DTLS_UNSET,  /* nothing done yet: TLS_DTLS_ROLE decides at first use */
	ZT_DTLS_CLIENT, /* one peer, s->eng is the session */
	ZT_DTLS_SERVER, /* many peers, sessions below; s->eng borrows the newest */
};

/**
 * One peer of a server socket. The fields an established peer's datagram
 * touches (address lookup, idle time, the session, the ready link) come
 * first, so that an echo to a cold peer reads few cache lines of it.
 */
struct zt_dtls_sess {
	/* lookups (dtls_server.c): by address, and by our own Connection ID */
	struct zt_hnode addr_node;
	unsigned char addr_key[ZT_DTLS_ADDR_KEY_MAX];
	bool open;              /* handshake done */
	int64_t last_ms;        /* last datagram from the peer or to it (idle expiry) */
	struct zt_session sess; /* the engine and its transport (gated, sendto peer) */
	struct zt_link ready;   /* d->ready while it holds records to read or decrypt */
	/* d->idle: every awake session, ordered by idle_ms (when it took its place there);
	 * last_ms - idle_ms < ZT_DTLS_IDLE_SLACK_MS. A hibernated one is in d->asleep
	 * instead, by last_ms (SECSOCK_TLS_HIBERNATE) */
	struct zt_link idle;
	int64_t idle_ms;
	socklen_t peer_len;
	struct sockaddr_storage peer;
	size_t addr_key_len;
	struct zt_link state; /* d->handshaking, or d->opened in handshake order */
	struct zt_sock *s;
	struct zt_hnode cid_node;
	unsigned char cid[ZT_CID_MAX]; /* our CID for this peer, unique on the socket */
	size_t cid_len;
	unsigned char hello_random[ZT_DTLS_RANDOM_LEN]; /* of the ClientHello that opened it */
};

struct zt_dtls {
	enum zt_dtls_mode mode;

	/* client: the one peer (pinned with a kernel connect()); the session is s->sess */
	struct sockaddr_storage peer;
	socklen_t peer_len; /* 0: no peer yet */
	bool hs_busy;       /* a thread runs a blocking handshake (poll must not read) */

	/* server (dtls_server.c): every list and map holds each session at most once */
	bool srv_init;
	struct zt_link idle;        /* awake sessions, by idle_ms (expiry candidates: the head) */
	struct zt_link asleep;      /* hibernated sessions, by last_ms (SECSOCK_TLS_HIBERNATE) */
	int64_t hib_next;           /* no hibernation or asleep expiry is due before this */
	int64_t release_at;         /* give freed heap back then (0: nothing to give back) */
	uint64_t hibernations;      /* peers hibernated, ever (tests) */
	int64_t now;                /* the clock, read once per receive call (service()) */
	struct zt_link handshaking; /* sessions whose handshake runs (retransmission timers) */
	struct zt_link opened;      /* established sessions, newest handshake last */
	struct zt_link ready;       /* sessions with a record to deliver or to decrypt */
	bool tx_pending;            /* some session queued a record the kernel refused */
	int count;                  /* sessions (peers), at most s->opts.dtls_max_peers new ones */
	uint64_t refused;           /* ClientHellos dropped at the peer limit */
	bool full_logged;           /* the limit's debug line is written; again once below it */
	int64_t hs_next;            /* no handshake timer of d->handshaking fires before this */
	struct zt_hmap by_addr;     /* sessions by peer address */
	struct zt_hmap by_cid;      /* sessions by our CID (ENABLED servers) */
	uint64_t record_checks;     /* CID records checked against a session (tests) */
	struct zt_dtls_sess *hello; /* stateless ClientHello / cookie engine */
	const struct zt_eng_conf *hello_conf; /* the config hello was made on */
	struct zt_session *rx_owner;          /* session allowed to read the head datagram */
	bool rx_hello;                        /* ... which is a ClientHello with this random */
	unsigned char rx_random[ZT_DTLS_RANDOM_LEN];
	struct zt_dtls_sess *last_rx; /* peer of the last recvfrom (sendto without address) */
	struct zt_dtls_sess *peeked;  /* its record was peeked (MSG_PEEK, FIONREAD): read it next */
	bool hup_pending;             /* a peer closed or expired: next poll says POLLHUP */
	bool err_pending;             /* a peer failed: next poll says POLLERR */
	unsigned char *scratch;       /* 2 x ZT_DTLS_DGRAM_MAX: the datagram read + work copy */
	size_t rx_len;                /* bytes of the datagram in scratch */
	struct sockaddr_storage rx_from; /* ... and its source */
	socklen_t rx_fromlen;
	bool rx_held; /* its session had a record unread: dispatched again next */
};

/* dtls.c */
/**
 * A blocking receive's sleep: until a datagram, @p timer (a DTLS timer) or
 * @p deadline. @retval 1 call the engine again; 0 shut down for reading;
 * -EAGAIN @p deadline passed; other -errno from the kernel socket.
 */
int zt_dtls_recv_wait(struct zt_sock *s, short want, int64_t deadline, int64_t timer);
bool zt_dtls_addr_eq(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
		     socklen_t blen);
void zt_dtls_addr_out(const struct sockaddr_storage *peer, socklen_t peer_len, struct sockaddr *out,
		      socklen_t *outlen);

/* dtls_server.c: called with the socket's rx_lock (recv) or tx_lock (send) */
ssize_t zt_dtls_srv_recvfrom(struct zt_sock *s, void *buf, size_t len, int flags,
			     struct sockaddr *src, socklen_t *srclen);
ssize_t zt_dtls_srv_sendto(struct zt_sock *s, const void *buf, size_t len, int flags,
			   const struct sockaddr *dest, socklen_t destlen);
/* under s->lock */
void zt_dtls_srv_close(struct zt_sock *s);
/** FIONREAD: the length of the datagram the next recvfrom() returns, 0 if none (no waiting). */
int zt_dtls_srv_fionread(struct zt_sock *s);
void zt_dtls_srv_free(struct zt_sock *s);
short zt_dtls_srv_poll_ready(struct zt_sock *s, short events);
short zt_dtls_srv_poll_update(struct zt_sock *s, short events, short kev);
int64_t zt_dtls_srv_deadline(struct zt_sock *s);
/** SECSOCK_TLS_HIBERNATE changed: the next call looks at every peer again. */
void zt_dtls_srv_hib_changed(struct zt_sock *s);

#endif /* ZT_SOCK_DTLS_PRIV_H */
