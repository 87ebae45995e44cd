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

#include "engine/engine.h"
#include "sock/sock.h"

static int resumed_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int v = 0, rc = 0;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->eng == NULL || !zt_eng_handshake_done(s->eng)) {
		rc = -ENOTCONN;
	} else {
		v = zt_eng_resumed(s->eng) ? 1 : 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == 0) {
		memcpy(optval, &v, sizeof(v));
	}
	return rc;
}

int zt_sockopt_ext_set(struct zt_sock *s, int optname, const void *optval, socklen_t optlen)
{
	(void)s;
	(void)optval;
	(void)optlen;
	switch (optname) {
	default: /* unknown, or read-only: SECSOCK_TLS_SESSION_RESUMED */
		return -ENOPROTOOPT;
	}
}

int zt_sockopt_ext_get(struct zt_sock *s, int optname, void *optval, socklen_t *optlen)
{
	switch (optname) {
	case SECSOCK_TLS_SESSION_RESUMED:
		return resumed_get(s, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}
