/*
 * secsock's own SOL_TLS options (<secsock/secsock.h>), numbered from
 * SECSOCK_TLS_OPT_BASE so they never meet a Zephyr option. Called by
 * sockopt.c for option numbers in that range; same rules as Zephyr's
 * options: read-only options refuse set with ENOPROTOOPT, and getters of an
 * int want *optlen == sizeof(int) exactly.
 */
#include <errno.h>
#include <string.h>

#include <secsock/secsock.h>
#include <zephyr/net/tls_credentials.h>

#include "engine/engine.h"
#include "sock/dtls_priv.h"
#include "sock/sock.h"

static int resumed_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int v = 0, rc = 0;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	v = s->eng != NULL ? zt_sock_info_int(s, ZT_INFO_RESUMED) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	rc = v < 0 ? v : 0;
	if (rc == 0) {
		memcpy(optval, &v, sizeof(v));
	}
	return rc;
}

/* SECSOCK_TLS_VERSION_USED */
static int version_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int v;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	v = s->eng != NULL ? zt_sock_info_int(s, ZT_INFO_VERSION) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	if (v < 0) {
		return v;
	}
	memcpy(optval, &v, sizeof(v));
	return 0;
}

/*
 * A byte string of the session (ALPN, peer certificate): never cut short -
 * a buffer too small fails with ERANGE and *optlen says how much it needs
 * (as the kernel's SO_PEERSEC).
 */
static int bytes_get(struct zt_sock *s, enum zt_eng_info what, void *optval, socklen_t *optlen)
{
	size_t len = *optlen;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = s->eng != NULL ? zt_sock_info(s, what, optval, &len) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	if (rc == -EINVAL && len > *optlen) {
		*optlen = (socklen_t)len;
		return -ERANGE;
	}
	if (rc == 0) {
		*optlen = (socklen_t)len;
	}
	return rc;
}

/* SECSOCK_TLS_FAILURE_REASON: the text the last failed handshake left (sock.h: fail_text). */
static int failure_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->hs_done) {
		rc = -ENOTCONN; /* no handshake has ended on this socket */
	} else {
		const char *t = s->fail_text != NULL ? s->fail_text : "";

		n = strlen(t) + 1;
		if (n > *optlen) {
			rc = -ERANGE;
		} else {
			memcpy(optval, t, n);
		}
		*optlen = (socklen_t)n;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED */
static int close_notify_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	struct zt_eng_status st;
	int v = -EAGAIN;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->type == SOCK_DGRAM && s->opts.dtls_role == TLS_DTLS_ROLE_SERVER) {
		v = -EOPNOTSUPP; /* many peers: each one's end is a POLLHUP
				    (docs/zephyr-behaviour.md §3.5) */
	} else if (s->type == SOCK_DGRAM) {
		/* a DTLS client: the session the peer's close_notify ended */
		v = s->peer_notified ? 1 : !s->hs_done ? -ENOTCONN : -EAGAIN;
	} else if (s->sess.eng == NULL || !s->hs_done) {
		v = -ENOTCONN; /* no established session */
	} else {
		zt_session_status(&s->sess, &st);
		v = st.close_notify_rcvd ? 1 : st.eof_truncated ? 0 : -EAGAIN;
	}
	pthread_mutex_unlock(&s->lock);
	if (v < 0) {
		return v;
	}
	memcpy(optval, &v, sizeof(v));
	return 0;
}

/* An int option: exactly sizeof(int), 0 or 1. */
static int bool_set(struct zt_sock *s, int *field, const void *optval, socklen_t optlen)
{
	int v;

	if (optval == NULL || optlen != sizeof(int)) {
		return -EINVAL;
	}
	memcpy(&v, optval, sizeof(v));
	if (v != 0 && v != 1) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	*field = v;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int int_get(struct zt_sock *s, const int *field, void *optval, socklen_t *optlen)
{
	int v;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	v = *field;
	pthread_mutex_unlock(&s->lock);
	memcpy(optval, &v, sizeof(v));
	return 0;
}

/* SECSOCK_TLS_CREDENTIAL_ADD / _DELETE: the store's calls, behind a socket option. */
static int cred_set(bool add, const void *optval, socklen_t optlen)
{
	struct secsock_tls_credential c;

	if (optval == NULL || optlen < (socklen_t)sizeof(c) ||
	    (!add && optlen != (socklen_t)sizeof(c))) {
		return -EINVAL;
	}
	memcpy(&c, optval, sizeof(c));
	if (!add) {
		return tls_credential_delete(c.tag, (enum tls_credential_type)c.type);
	}
	if (optlen == (socklen_t)sizeof(c)) {
		return -EINVAL; /* no credential bytes */
	}
	return tls_credential_add(c.tag, (enum tls_credential_type)c.type,
				  (const unsigned char *)optval + sizeof(c), optlen - sizeof(c));
}

/* SECSOCK_TLS_DTLS_MAX_PEERS: DTLS sockets only; a server checks it at each new peer. */
static int max_peers_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;

	if (s->type != SOCK_DGRAM) {
		return -EOPNOTSUPP;
	}
	if (optval == NULL || optlen != sizeof(int)) {
		return -EINVAL;
	}
	memcpy(&v, optval, sizeof(v));
	if (v < 1 || v > SECSOCK_DTLS_MAX_PEERS_LIMIT) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	s->opts.dtls_max_peers = v;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* SECSOCK_TLS_HIBERNATE: ms of quiet before an idle session hibernates, 0 off. */
static int hibernate_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;

	if (optval == NULL || optlen != sizeof(int)) {
		return -EINVAL;
	}
	memcpy(&v, optval, sizeof(v));
	if (v < 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->opts.hibernate_ms, v, __ATOMIC_RELAXED);
	if (v > 0 && s->sess.eng != NULL) {
		/* an idle socket already trimmed: its waits and polls look at it again */
		s->sess.hib_never = false;
		atomic_store(&s->mem_held, true);
		atomic_store(&s->held_again, true);
	}
	if (s->dtls != NULL && s->dtls->mode == ZT_DTLS_SERVER) {
		zt_dtls_srv_hib_changed(s); /* its peers, existing ones too */
	}
	pthread_mutex_unlock(&s->lock);
	zt_session_wake_pollers(s);
	return 0;
}

/* SECSOCK_TLS_DTLS_PEERS */
static int peers_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	struct secsock_dtls_peers p = {0};

	if (s->type != SOCK_DGRAM) {
		return -EOPNOTSUPP;
	}
	if (*optlen != sizeof(p)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	p.max_peers = (uint32_t)s->opts.dtls_max_peers;
	if (s->dtls != NULL && s->dtls->mode == ZT_DTLS_SERVER) {
		p.peers = (uint32_t)s->dtls->count;
		p.refused = s->dtls->refused;
	}
	pthread_mutex_unlock(&s->lock);
	memcpy(optval, &p, sizeof(p));
	return 0;
}

int zt_sockopt_ext_set(struct zt_sock *s, int optname, const void *optval, socklen_t optlen)
{
	switch (optname) {
	case SECSOCK_TLS_ASYNC_HANDSHAKE:
		return bool_set(s, &s->opts.async_handshake, optval, optlen);
	case SECSOCK_TLS_CREDENTIAL_ADD:
	case SECSOCK_TLS_CREDENTIAL_DELETE:
		return cred_set(optname == SECSOCK_TLS_CREDENTIAL_ADD, optval, optlen);
	case SECSOCK_TLS_DTLS_MAX_PEERS:
		return max_peers_set(s, optval, optlen);
	case SECSOCK_TLS_HIBERNATE:
		return hibernate_set(s, optval, optlen);
	default: /* unknown, or read-only: every getter below */
		return -ENOPROTOOPT;
	}
}

int zt_sockopt_ext_get(struct zt_sock *s, int optname, void *optval, socklen_t *optlen)
{
	switch (optname) {
	case SECSOCK_TLS_ASYNC_HANDSHAKE:
		return int_get(s, &s->opts.async_handshake, optval, optlen);
	case SECSOCK_TLS_SESSION_RESUMED:
		return resumed_get(s, optval, optlen);
	case SECSOCK_TLS_VERSION_USED:
		return version_get(s, optval, optlen);
	case SECSOCK_TLS_ALPN_USED:
		return bytes_get(s, ZT_INFO_ALPN, optval, optlen);
	case SECSOCK_TLS_PEER_CERT:
		return bytes_get(s, ZT_INFO_PEER_CERT, optval, optlen);
	case SECSOCK_TLS_FAILURE_REASON:
		return failure_get(s, optval, optlen);
	case SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED:
		return close_notify_get(s, optval, optlen);
	case SECSOCK_TLS_DTLS_MAX_PEERS:
		return s->type != SOCK_DGRAM ? -EOPNOTSUPP
					     : int_get(s, &s->opts.dtls_max_peers, optval, optlen);
	case SECSOCK_TLS_DTLS_PEERS:
		return peers_get(s, optval, optlen);
	case SECSOCK_TLS_HIBERNATE:
		return int_get(s, &s->opts.hibernate_ms, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}
