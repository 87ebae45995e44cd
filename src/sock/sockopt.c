/*
 * setsockopt/getsockopt of a secure socket: the SOL_TLS options 1-20
 * (docs/zephyr-behaviour.md §1.3), the SOL_SOCKET options the TLS layer
 * keeps for itself (§1.4), and everything else passed through to the
 * kernel socket.
 * Each handler checks its arguments first, then takes s->lock only to read
 * or write s->opts / s->eng / s->error; nothing here sleeps under the lock.
 */
#include "sock/sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <secsock/secsock.h>

#include "cred/store.h"
#include "engine/engine.h"

/* MBEDTLS_SSL_MAX_HOST_NAME_LEN: mbedtls_ssl_set_hostname() refuses longer names. */
#define HOSTNAME_MAX 255

/* Timeouts are capped so that now + timeout never overflows a deadline. */
#define TIMEO_MAX_MS (INT64_MAX / 4)

static void opts_lock(struct zt_sock *s)
{
	pthread_mutex_lock(&s->lock);
}

static void opts_unlock(struct zt_sock *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* The kernel socket, through the host calls (src/sys/host.h: never the interposed names). */
static int kernel_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	if (zt_sys_setsockopt(fd, level, optname, optval, optlen) < 0) {
		return -errno;
	}
	return 0;
}

static int kernel_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	if (zt_sys_getsockopt(fd, level, optname, optval, optlen) < 0) {
		return -errno;
	}
	return 0;
}

/* The shape of most options: non-NULL, exactly one int (Zephyr's checks). */
static int int_arg(const void *optval, socklen_t optlen, int *v)
{
	if (optval == NULL || optlen != sizeof(int)) {
		return -EINVAL;
	}
	memcpy(v, optval, sizeof(int)); /* optval need not be aligned */
	return 0;
}

static int int_arg_range(const void *optval, socklen_t optlen, int lo, int hi, int *v)
{
	int rc = int_arg(optval, optlen, v);

	if (rc < 0) {
		return rc;
	}
	return (*v < lo || *v > hi) ? -EINVAL : 0;
}

/* One int field of s->opts, written or read under the lock. */
static int store_int(struct zt_sock *s, int *field, int v)
{
	opts_lock(s);
	*field = v;
	opts_unlock(s);
	return 0;
}

static int load_int(struct zt_sock *s, const int *field)
{
	int v;

	opts_lock(s);
	v = *field;
	opts_unlock(s);
	return v;
}

/* Getters of an int demand *optlen == sizeof(int) exactly, as Zephyr does. */
static int int_out(void *optval, socklen_t *optlen, int v)
{
	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	memcpy(optval, &v, sizeof(v));
	return 0;
}

/* ---- TLS_SEC_TAG_LIST (1): validated now, as Zephyr's tls_check_credentials() ---- */

static int opt_sec_tag_list_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	sec_tag_t tags[ZT_MAX_SEC_TAGS];
	size_t n = optlen / sizeof(sec_tag_t);
	int rc;

	if (optval == NULL || optlen % sizeof(sec_tag_t) != 0 || n > ZT_MAX_SEC_TAGS) {
		return -EINVAL;
	}
	memcpy(tags, optval, optlen);
	/* Outside s->lock: the store takes its own lock and certificates get parsed. */
	rc = zt_sock_check_tags(tags, (int)n);
	if (rc < 0) {
		return rc;
	}
	opts_lock(s);
	memcpy(s->opts.sec_tags, tags, optlen);
	s->opts.sec_tag_count = (int)n;
	opts_unlock(s);
	return 0;
}

static int opt_sec_tag_list_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t len;

	if (*optlen == 0 || *optlen % sizeof(sec_tag_t) != 0) {
		return -EINVAL;
	}
	opts_lock(s);
	len = (size_t)s->opts.sec_tag_count * sizeof(sec_tag_t);
	if (len > *optlen) {
		len = *optlen;
	}
	memcpy(optval, s->opts.sec_tags, len);
	opts_unlock(s);
	*optlen = (socklen_t)len;
	return 0;
}

/* ---- TLS_HOSTNAME (2): optlen ignored, NULL disables name check and SNI ---- */

static int opt_hostname_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	char *name = NULL;
	int rc = 0;

	(void)optlen;
	if (optval != NULL) {
		if (strnlen(optval, HOSTNAME_MAX + 1) > HOSTNAME_MAX) {
			return -EINVAL;
		}
		name = strdup(optval);
		if (name == NULL) {
			return -EINVAL; /* Zephyr maps every Mbed TLS failure here to EINVAL */
		}
	}
	opts_lock(s);
	/* A live session takes the new name at once (docs/zephyr-behaviour.md §3.12). */
	if (s->eng != NULL) {
		rc = zt_eng_set_hostname(s->eng, name);
	}
	if (rc == 0) {
		char *old = s->opts.hostname;

		s->opts.hostname = name;
		s->opts.hostname_set = true;
		name = old;
	}
	opts_unlock(s);
	free(name);
	return rc;
}

/* ---- TLS_CIPHERSUITE_LIST (3) / TLS_CIPHERSUITE_USED (4) ---- */

static bool suite_offered(int id)
{
	for (const int *p = zt_eng_ciphersuites_all(); *p != 0; p++) {
		if (*p == id) {
			return true;
		}
	}
	return false;
}

/*
 * Stricter than Zephyr, which takes any id and lets the handshake fail: an id
 * the engine does not offer is EINVAL now. An empty list means the default.
 */
static int opt_ciphersuite_list_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int list[ZT_MAX_CIPHERSUITES + 1];
	int *copy, *old;
	size_t n = optlen / sizeof(int);

	if (optval == NULL || optlen % sizeof(int) != 0 || n > ZT_MAX_CIPHERSUITES) {
		return -EINVAL;
	}
	memcpy(list, optval, optlen);
	list[n] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!suite_offered(list[i])) {
			return -EINVAL;
		}
	}
	/* the list costs memory only when set: most sockets keep the defaults */
	copy = n > 0 ? malloc((n + 1) * sizeof(int)) : NULL;
	if (n > 0 && copy == NULL) {
		return -ENOMEM;
	}
	if (copy != NULL) {
		memcpy(copy, list, (n + 1) * sizeof(int));
	}
	opts_lock(s);
	old = s->opts.ciphersuites;
	s->opts.ciphersuites = copy;
	s->opts.ciphersuite_count = (int)n;
	opts_unlock(s);
	free(old);
	return 0;
}

static int opt_ciphersuite_list_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t max = *optlen / sizeof(int);
	size_t n = 0;
	const int *list;

	if (*optlen == 0 || *optlen % sizeof(int) != 0) {
		return -EINVAL;
	}
	opts_lock(s);
	list = s->opts.ciphersuite_count > 0 ? s->opts.ciphersuites : zt_eng_ciphersuites_default();
	while (n < max && list[n] != 0) {
		n++;
	}
	memcpy(optval, list, n * sizeof(int));
	opts_unlock(s);
	*optlen = (socklen_t)(n * sizeof(int));
	return 0;
}

static int opt_ciphersuite_used_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int rc;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	opts_lock(s);
	rc = s->eng != NULL ? zt_sock_info_int(s, ZT_INFO_SUITE) : -ENOTCONN;
	opts_unlock(s);
	return rc < 0 ? rc : int_out(optval, optlen, rc);
}

/* ---- TLS_PEER_VERIFY (5), TLS_DTLS_ROLE (6), TLS_CERT_NOCOPY (10): enums ---- */

static int opt_peer_verify_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;
	int rc = int_arg_range(optval, optlen, TLS_PEER_VERIFY_NONE, TLS_PEER_VERIFY_REQUIRED, &v);

	return rc < 0 ? rc : store_int(s, &s->opts.peer_verify, v);
}

static int opt_dtls_role_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;
	int rc = int_arg_range(optval, optlen, TLS_DTLS_ROLE_CLIENT, TLS_DTLS_ROLE_SERVER, &v);

	return rc < 0 ? rc : store_int(s, &s->opts.dtls_role, v);
}

static int opt_cert_nocopy_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;
	int rc = int_arg_range(optval, optlen, TLS_CERT_NOCOPY_NONE, TLS_CERT_NOCOPY_OPTIONAL, &v);

	return rc < 0 ? rc : store_int(s, &s->opts.cert_nocopy, v);
}

/* ---- TLS_ALPN_LIST (7): only the pointers are copied, as Zephyr ---- */

static int opt_alpn_list_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	const char *list[ZT_MAX_ALPN + 1] = {NULL};
	size_t n = optlen / sizeof(const char *);
	int count = 0;

	if (optval == NULL || optlen % sizeof(const char *) != 0 || n > ZT_MAX_ALPN) {
		return -EINVAL;
	}
	memcpy(list, optval, optlen);
	/* Zephyr NULL-terminates the copy: a NULL entry ends the list there. */
	while (list[count] != NULL) {
		count++;
	}
	opts_lock(s);
	memcpy(s->opts.alpn, list, sizeof(list));
	s->opts.alpn_count = count;
	opts_unlock(s);
	return 0;
}

static int opt_alpn_list_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t max = *optlen / sizeof(const char *);
	size_t n;

	if (*optlen == 0 || *optlen % sizeof(const char *) != 0) {
		return -EINVAL;
	}
	opts_lock(s);
	n = (size_t)s->opts.alpn_count < max ? (size_t)s->opts.alpn_count : max;
	memcpy(optval, s->opts.alpn, n * sizeof(const char *));
	opts_unlock(s);
	*optlen = (socklen_t)(n * sizeof(const char *));
	return 0;
}

/* ---- TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX (8, 9): uint32_t ms ---- */

static int opt_dtls_timeout_set(struct zt_sock *s, const void *optval, socklen_t optlen, bool max)
{
	uint32_t v;

	if (optval == NULL || optlen != sizeof(uint32_t)) {
		return -EINVAL;
	}
	memcpy(&v, optval, sizeof(v));
	opts_lock(s);
	*(max ? &s->opts.dtls_timeout_max_ms : &s->opts.dtls_timeout_min_ms) = v;
	opts_unlock(s);
	return 0;
}

static int opt_dtls_timeout_get(struct zt_sock *s, void *optval, socklen_t *optlen, bool max)
{
	uint32_t v;

	if (*optlen != sizeof(uint32_t)) {
		return -EINVAL;
	}
	opts_lock(s);
	v = max ? s->opts.dtls_timeout_max_ms : s->opts.dtls_timeout_min_ms;
	opts_unlock(s);
	memcpy(optval, &v, sizeof(v));
	return 0;
}

/* ---- TLS_NATIVE (11): a dispatcher option; the TLS layer accepts and ignores it ---- */

static int opt_native_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;

	(void)s;
	return int_arg(optval, optlen, &v);
}

/* ---- TLS_SESSION_CACHE (12), TLS_SESSION_CACHE_PURGE (13) ---- */

static int opt_session_cache_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;
	int rc = int_arg(optval, optlen, &v);

	/* any value is accepted: enabled iff exactly 1 (Zephyr) */
	return rc < 0 ? rc : store_int(s, &s->opts.session_cache, v == TLS_SESSION_CACHE_ENABLED);
}

static int opt_session_cache_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	/* stored as 0/1 */
	return int_out(optval, optlen, load_int(s, &s->opts.session_cache));
}

static int opt_session_cache_purge_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	(void)s;
	(void)optval;
	(void)optlen;
	zt_eng_cache_purge(); /* process-wide; never fails */
	return 0;
}

/* ---- DTLS Connection ID (14-17), RFC 9146 ---- */

static int random_bytes(void *buf, size_t len)
{
	ssize_t n;

	do {
		n = getrandom(buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return -errno;
	}
	return (size_t)n == len ? 0 : -EIO;
}

static int opt_dtls_cid_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	uint8_t rnd[ZT_CID_MAX];
	int v;
	int rc = int_arg_range(optval, optlen, TLS_DTLS_CID_DISABLED, TLS_DTLS_CID_ENABLED, &v);

	/* drawn before taking the lock: getrandom() may block early at boot */
	if (rc == 0 && v == TLS_DTLS_CID_ENABLED) {
		rc = random_bytes(rnd, sizeof(rnd));
	}
	if (rc < 0) {
		return rc;
	}
	opts_lock(s);
	s->opts.dtls_cid = v;
	if (v != TLS_DTLS_CID_ENABLED) {
		/* DISABLED and SUPPORTED both forget the value (Zephyr) */
		s->opts.cid_len = 0;
		s->opts.cid_set = false;
	} else if (s->opts.cid_len == 0) {
		memcpy(s->opts.cid, rnd, sizeof(rnd));
		s->opts.cid_len = sizeof(rnd);
		s->opts.cid_set = true;
	}
	opts_unlock(s);
	return 0;
}

/*
 * Zephyr's order: no session -> ENOTCONN, handshake incomplete -> EAGAIN, and
 * only then DISABLED when option 14 is 0.
 */
static int opt_dtls_cid_status_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int rc;

	if (*optlen != sizeof(int)) {
		return -EINVAL;
	}
	opts_lock(s);
	rc = s->eng != NULL ? zt_sock_info_int(s, ZT_INFO_CID_STATUS) : -ENOTCONN;
	if (rc >= 0 && s->opts.dtls_cid == TLS_DTLS_CID_DISABLED) {
		rc = TLS_DTLS_CID_STATUS_DISABLED;
	}
	opts_unlock(s);
	return rc < 0 ? rc : int_out(optval, optlen, rc);
}

static int opt_dtls_cid_value_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	if ((optlen > 0 && optval == NULL) || optlen > ZT_CID_MAX) {
		return -EINVAL;
	}
	opts_lock(s);
	if (optlen > 0) {
		memcpy(s->opts.cid, optval, optlen);
	}
	s->opts.cid_len = optlen;
	s->opts.cid_set = optlen > 0;
	opts_unlock(s);
	return 0;
}

static int opt_dtls_cid_value_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t len = *optlen;
	int rc = 0;

	opts_lock(s);
	if (s->eng != NULL) {
		/* the CID the session really uses */
		rc = zt_sock_info(s, ZT_INFO_OWN_CID, optval, &len);
	} else if (len < s->opts.cid_len) {
		rc = -EINVAL;
	} else {
		len = s->opts.cid_len;
		memcpy(optval, s->opts.cid, len);
	}
	opts_unlock(s);
	if (rc == 0) {
		*optlen = (socklen_t)len;
	}
	return rc;
}

static int opt_dtls_peer_cid_value_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	size_t len = *optlen;
	int rc;

	opts_lock(s);
	if (s->eng == NULL) {
		rc = -ENOTCONN;
	} else if (len < ZT_CID_MAX) {
		rc = -EINVAL;
	} else {
		rc = zt_sock_info(s, ZT_INFO_PEER_CID, optval, &len);
	}
	opts_unlock(s);
	if (rc == 0) {
		*optlen = (socklen_t)len;
	}
	return rc;
}

/* ---- TLS_DTLS_HANDSHAKE_ON_CONNECT (18): a bool kept as 0/1 ---- */

static int opt_dtls_hs_on_connect_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	int v;
	int rc = int_arg(optval, optlen, &v);

	return rc < 0 ? rc : store_int(s, &s->opts.dtls_hs_on_connect, v != 0);
}

static int opt_dtls_hs_on_connect_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	return int_out(optval, optlen, load_int(s, &s->opts.dtls_hs_on_connect));
}

/* ---- TLS_CERT_VERIFY_RESULT (19), TLS_CERT_VERIFY_CALLBACK (20) ---- */

static int opt_cert_verify_result_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	uint32_t flags = 0;
	int rc = 0;

	if (*optlen != sizeof(uint32_t)) {
		return -EINVAL;
	}
	opts_lock(s);
	if (s->eng != NULL) {
		size_t len = sizeof(flags);

		rc = zt_sock_info(s, ZT_INFO_VERIFY_RESULT, &flags, &len);
	} else if (s->vflags_kept) {
		flags = s->vflags; /* of the handshake that failed */
	} else {
		rc = -ENOTCONN;
	}
	opts_unlock(s);
	if (rc == 0) {
		memcpy(optval, &flags, sizeof(flags));
	}
	return rc;
}

static int opt_cert_verify_callback_set(struct zt_sock *s, const void *optval, socklen_t optlen)
{
	struct zsock_tls_cert_verify_cb cb;

	if (optval == NULL || optlen != sizeof(cb)) {
		return -EINVAL;
	}
	memcpy(&cb, optval, sizeof(cb));
	if (cb.cb == NULL) {
		return -EINVAL;
	}
	opts_lock(s);
	s->opts.verify_cb = cb;
	opts_unlock(s);
	return 0;
}

/* ---- SOL_TLS dispatch: read-only on set, write-only on get, unknown -> ENOPROTOOPT ---- */

static int tls_set(struct zt_sock *s, int optname, const void *optval, socklen_t optlen)
{
	switch (optname) {
	case TLS_SEC_TAG_LIST:
		return opt_sec_tag_list_set(s, optval, optlen);
	case TLS_HOSTNAME:
		return opt_hostname_set(s, optval, optlen);
	case TLS_CIPHERSUITE_LIST:
		return opt_ciphersuite_list_set(s, optval, optlen);
	case TLS_PEER_VERIFY:
		return opt_peer_verify_set(s, optval, optlen);
	case TLS_DTLS_ROLE:
		return opt_dtls_role_set(s, optval, optlen);
	case TLS_ALPN_LIST:
		return opt_alpn_list_set(s, optval, optlen);
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MIN:
		return opt_dtls_timeout_set(s, optval, optlen, false);
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MAX:
		return opt_dtls_timeout_set(s, optval, optlen, true);
	case TLS_CERT_NOCOPY:
		return opt_cert_nocopy_set(s, optval, optlen);
	case TLS_NATIVE:
		return opt_native_set(s, optval, optlen);
	case TLS_SESSION_CACHE:
		return opt_session_cache_set(s, optval, optlen);
	case TLS_SESSION_CACHE_PURGE:
		return opt_session_cache_purge_set(s, optval, optlen);
	case TLS_DTLS_CID:
		return opt_dtls_cid_set(s, optval, optlen);
	case TLS_DTLS_CID_VALUE:
		return opt_dtls_cid_value_set(s, optval, optlen);
	case TLS_DTLS_HANDSHAKE_ON_CONNECT:
		return opt_dtls_hs_on_connect_set(s, optval, optlen);
	case TLS_CERT_VERIFY_CALLBACK:
		return opt_cert_verify_callback_set(s, optval, optlen);
	default: /* secsock's range, else unknown or read-only: 4, 15, 17, 19 */
		return optname >= SECSOCK_TLS_OPT_BASE
			       ? zt_sockopt_ext_set(s, optname, optval, optlen)
			       : -ENOPROTOOPT;
	}
}

static int tls_get(struct zt_sock *s, int optname, void *optval, socklen_t *optlen)
{
	switch (optname) {
	case TLS_SEC_TAG_LIST:
		return opt_sec_tag_list_get(s, optval, optlen);
	case TLS_CIPHERSUITE_LIST:
		return opt_ciphersuite_list_get(s, optval, optlen);
	case TLS_CIPHERSUITE_USED:
		return opt_ciphersuite_used_get(s, optval, optlen);
	case TLS_ALPN_LIST:
		return opt_alpn_list_get(s, optval, optlen);
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MIN:
		return opt_dtls_timeout_get(s, optval, optlen, false);
	case TLS_DTLS_HANDSHAKE_TIMEOUT_MAX:
		return opt_dtls_timeout_get(s, optval, optlen, true);
	case TLS_SESSION_CACHE:
		return opt_session_cache_get(s, optval, optlen);
	case TLS_DTLS_CID_STATUS:
		return opt_dtls_cid_status_get(s, optval, optlen);
	case TLS_DTLS_CID_VALUE:
		return opt_dtls_cid_value_get(s, optval, optlen);
	case TLS_DTLS_PEER_CID_VALUE:
		return opt_dtls_peer_cid_value_get(s, optval, optlen);
	case TLS_DTLS_HANDSHAKE_ON_CONNECT:
		return opt_dtls_hs_on_connect_get(s, optval, optlen);
	case TLS_CERT_VERIFY_RESULT:
		return opt_cert_verify_result_get(s, optval, optlen);
	default: /* secsock's range, else unknown or write-only: 2, 5, 6, 10, 11, 13, 14, 20 */
		return optname >= SECSOCK_TLS_OPT_BASE
			       ? zt_sockopt_ext_get(s, optname, optval, optlen)
			       : -ENOPROTOOPT;
	}
}

/* ---- SOL_SOCKET (docs/zephyr-behaviour.md §1.4) ---- */

/* SO_RCVTIMEO/SO_SNDTIMEO live here, not in the kernel: the kernel socket never blocks. */
static int opt_timeo_set(struct zt_sock *s, const void *optval, socklen_t optlen, bool rcv)
{
	struct zsock_timeval tv;
	int64_t ms;

	if (optval == NULL || optlen != sizeof(tv)) {
		return -EINVAL;
	}
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_sec < 0 || tv.tv_usec < 0) {
		return -EINVAL;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		ms = ZT_FOREVER; /* {0,0} = forever, as POSIX and Zephyr */
	} else if (tv.tv_sec > TIMEO_MAX_MS / 1000 - 1) {
		ms = TIMEO_MAX_MS;
	} else {
		/* rounded up, so that a 1 us timeout still waits */
		ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec / 1000) + (tv.tv_usec % 1000 != 0);
		if (ms > TIMEO_MAX_MS) {
			ms = TIMEO_MAX_MS;
		}
	}
	opts_lock(s);
	/* atomic: send and recv read it without s->lock (zt_timeo) */
	__atomic_store_n(rcv ? &s->opts.rcvtimeo_ms : &s->opts.sndtimeo_ms, ms, __ATOMIC_RELAXED);
	opts_unlock(s);
	return 0;
}

static int opt_timeo_get(struct zt_sock *s, void *optval, socklen_t *optlen, bool rcv)
{
	struct zsock_timeval tv = {0, 0};
	int64_t ms;

	if (*optlen < sizeof(tv)) {
		return -EINVAL;
	}
	opts_lock(s);
	ms = rcv ? s->opts.rcvtimeo_ms : s->opts.sndtimeo_ms;
	opts_unlock(s);
	if (ms != ZT_FOREVER) {
		tv.tv_sec = (long)(ms / 1000);
		tv.tv_usec = (long)(ms % 1000) * 1000;
	}
	memcpy(optval, &tv, sizeof(tv));
	*optlen = sizeof(tv);
	return 0;
}

/*
 * A latched TLS-level error is reported without being cleared (Zephyr); else
 * the kernel's. The outcome of an asynchronous connect is reported once, as
 * POSIX does for a non-blocking connect (SECSOCK_TLS_ASYNC_HANDSHAKE).
 */
static int opt_error_get(struct zt_sock *s, void *optval, socklen_t *optlen)
{
	int err;

	opts_lock(s);
	err = s->error;
	if (s->error_report) {
		s->error_report = false;
		s->error = 0;
	}
	opts_unlock(s);
	if (err == 0) {
		return kernel_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, optval, optlen);
	}
	return int_out(optval, optlen, err);
}

static int socket_get(struct zt_sock *s, int optname, void *optval, socklen_t *optlen)
{
	switch (optname) {
	case SO_RCVTIMEO:
		return opt_timeo_get(s, optval, optlen, true);
	case SO_SNDTIMEO:
		return opt_timeo_get(s, optval, optlen, false);
	case SO_PROTOCOL:
		/* the TLS protocol number, not the kernel's IPPROTO_TCP/UDP */
		return int_out(optval, optlen, s->proto);
	case SO_ERROR:
		return opt_error_get(s, optval, optlen);
	default:
		return kernel_getsockopt(s->fd, SOL_SOCKET, optname, optval, optlen);
	}
}

int zt_sockopt_set(struct zt_sock *s, int level, int optname, const void *optval, socklen_t optlen)
{
	if (level == SOL_TLS) {
		return tls_set(s, optname, optval, optlen);
	}
	if (level == SOL_SOCKET && optname == SO_RCVTIMEO) {
		return opt_timeo_set(s, optval, optlen, true);
	}
	if (level == SOL_SOCKET && optname == SO_SNDTIMEO) {
		return opt_timeo_set(s, optval, optlen, false);
	}
	return kernel_setsockopt(s->fd, level, optname, optval, optlen);
}

int zt_sockopt_get(struct zt_sock *s, int level, int optname, void *optval, socklen_t *optlen)
{
	/* Zephyr checks this before looking at the level, so at every level. */
	if (optval == NULL || optlen == NULL) {
		return -EINVAL;
	}
	if (level == SOL_TLS) {
		return tls_get(s, optname, optval, optlen);
	}
	if (level == SOL_SOCKET) {
		return socket_get(s, optname, optval, optlen);
	}
	return kernel_getsockopt(s->fd, level, optname, optval, optlen);
}
