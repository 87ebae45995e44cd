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
#include "sock/sock.h"

static int resumed_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int v = 0, rc = 0;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	v = s->eng != NULL ? zt_eng_info_int(s->eng, ZT_INFO_RESUMED) : -ENOTCONN;
	pthread_mutex_unlock(&s->lock);
	rc = v < 0 ? v : 0;
	if (rc == 0) {
		memcpy(optval, &v, sizeof(v));
	}
	return rc;
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

int zt_sockopt_ext_set(struct zt_sock *s, int optname, const void *optval, socklen_t optlen)
{
	switch (optname) {
	case SECSOCK_TLS_ASYNC_HANDSHAKE:
		return bool_set(s, &s->opts.async_handshake, optval, optlen);
	case SECSOCK_TLS_CREDENTIAL_ADD:
	case SECSOCK_TLS_CREDENTIAL_DELETE:
		return cred_set(optname == SECSOCK_TLS_CREDENTIAL_ADD, optval, optlen);
	default: /* unknown, or read-only: SECSOCK_TLS_SESSION_RESUMED */
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
	default:
		return -ENOPROTOOPT;
	}
}
