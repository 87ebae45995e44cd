/*
 * struct zt_opts: the option values of one secure socket. Defaults of a new
 * socket (docs/zephyr-behaviour.md §3.2), the deep copy accept() gives a
 * child (§3.12), and release. Option parsing lives in sockopt.c.
 */
#include "sock/sock.h"

#include <secsock/secsock.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void zt_opts_init(struct zt_opts *o)
{
	memset(o, 0, sizeof(*o));

	/* -1: not set, the engine keeps Mbed TLS's default (client required, server none) */
	o->peer_verify = -1;
	o->dtls_role = TLS_DTLS_ROLE_CLIENT;
	o->dtls_timeout_min_ms = ZT_DTLS_TIMEOUT_MIN_MS;
	o->dtls_timeout_max_ms = ZT_DTLS_TIMEOUT_MAX_MS;
	o->cert_nocopy = TLS_CERT_NOCOPY_NONE;
	o->session_cache = TLS_SESSION_CACHE_DISABLED;
	o->dtls_cid = TLS_DTLS_CID_DISABLED;
	o->dtls_hs_on_connect = 1;
	o->rcvtimeo_ms = ZT_FOREVER;
	o->sndtimeo_ms = ZT_FOREVER;
	o->dtls_max_peers = SECSOCK_DTLS_MAX_PEERS_DEFAULT;
	/* no hostname set: a client then verifies against "" (docs/zephyr-behaviour.md §3.11) */
	o->hostname = NULL;
	o->hostname_set = false;
}

int zt_opts_copy(struct zt_opts *dst, const struct zt_opts *src)
{
	/* Everything is by value; ALPN copies only the pointers, as Zephyr's tls_clone(). */
	*dst = *src;
	dst->hostname = NULL;
	dst->ciphersuites = NULL;
	if (src->ciphersuites != NULL) {
		size_t len = ((size_t)src->ciphersuite_count + 1) * sizeof(int);

		dst->ciphersuites = malloc(len);
		if (dst->ciphersuites == NULL) {
			dst->ciphersuite_count = 0;
			return -ENOMEM;
		}
		memcpy(dst->ciphersuites, src->ciphersuites, len);
	}
	if (src->hostname != NULL) {
		dst->hostname = strdup(src->hostname);
		if (dst->hostname == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

void zt_opts_free(struct zt_opts *o)
{
	free(o->hostname);
	o->hostname = NULL;
	free(o->ciphersuites);
	o->ciphersuites = NULL;
	o->ciphersuite_count = 0;
	o->hostname_set = false;
}
