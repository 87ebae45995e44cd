/*
 * The zsock_* entry points: the only place errno is written. A descriptor
 * that is not a secure socket goes straight to the host's call (same result,
 * same errno); a secure one is dispatched to stream.c (TLS) or dtls.c (DTLS)
 * with a reference held for the duration of the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <secsock/secsock.h>

#include "cred/store.h"
#include "engine/engine.h"
#include "fd/fdtable.h"
#include "sock/ops.h"
#include "sock/sock.h"
#include "sys/host.h"
#include "secsock_version.h"

/* Turn an internal result into the POSIX convention. */
static int ret_int(int rc)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

static ssize_t ret_ssize(ssize_t rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static bool is_tls_proto(int proto)
{
	return proto >= IPPROTO_TLS_1_0 && proto <= IPPROTO_TLS_1_3;
}

static bool is_dtls_proto(int proto)
{
	return proto == IPPROTO_DTLS_1_0 || proto == IPPROTO_DTLS_1_2;
}

static bool is_dgram(const struct zt_sock *s)
{
	return s->type == SOCK_DGRAM;
}

/* The fd table's release: the last reference is gone. */
static void sock_release(struct zt_fd_obj *o)
{
	zt_sock_destroy(ZT_CONTAINER_OF(o, struct zt_sock, obj));
}

struct zt_sock *zt_sock_new(int fd, int family, int type, int proto)
{
	/* on a cache line of its own: zsock_poll reads the first one or two (sock.h) */
	size_t size = (sizeof(struct zt_sock) + 63) & ~(size_t)63;
	struct zt_sock *s = aligned_alloc(64, size);

	if (s == NULL) {
		return NULL;
	}
	memset(s, 0, size);
	s->fd = fd;
	s->obj.fd = fd;
	s->obj.release = sock_release;
	atomic_init(&s->obj.refs, 0);
	s->family = family;
	s->type = type;
	s->proto = proto;
	s->state = ZT_NEW;
	atomic_init(&s->closing, false);
	atomic_init(&s->shut_rd, false);
	atomic_init(&s->peer_left, false);
	atomic_init(&s->watch, NULL);
	pthread_mutex_init(&s->rx_lock, NULL);
	pthread_mutex_init(&s->tx_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	zt_opts_init(&s->opts);
	zt_session_init(&s->sess, s);
	return s;
}

void zt_sock_set_state(struct zt_sock *s, enum zt_state state, int err)
{
	s->state = state;
	if (state == ZT_ESTABLISHED) {
		s->error = 0;
		s->error_report = false;
	} else if (err != 0) {
		s->error = err;
		/* a non-blocking connect's outcome: POSIX reports it through SO_ERROR once */
		s->error_report = s->opts.async_handshake != 0 && s->nonblock;
	}
}

void zt_sock_destroy(struct zt_sock *s)
{
	zt_dtls_destroy(s);
	zt_session_close(&s->sess, false);
	zt_eng_conf_put(s->conf);
	zt_opts_free(&s->opts);
	free(s->fail_text);
	pthread_mutex_destroy(&s->rx_lock);
	pthread_mutex_destroy(&s->tx_lock);
	pthread_mutex_destroy(&s->lock);
	zt_fd_release(&s->obj); /* the real socket, or the placeholder after close() */
	free(s);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void hooks_init(void)
{
	/* a deleted credential leaves no parsed copy in the shared configs */
	zt_cred_on_delete(zt_sock_confs_flush);
	/* the environment's extensions: SSLKEYLOGFILE, SECSOCK_TICKET_KEY_FILE */
	zt_keylog_init();
	zt_ticket_keys_init();
	zt_cred_ready(); /* SECSOCK_CRED_DIR, before any option names a tag */
	/* a fork() child never touches the parent's sessions (docs/posix.md, "fork") */
	(void)pthread_atfork(NULL, NULL, zt_fd_after_fork);
}

/* docs/zephyr-behaviour.md §3.2: protocol checks, then a real kernel socket underneath */
static int secure_socket(int family, int type, int proto)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct zt_sock *s;
	int fd, rc;

	if (family != AF_INET && family != AF_INET6) {
		return -EAFNOSUPPORT;
	}
	if ((is_tls_proto(proto) && base != SOCK_STREAM) ||
	    (is_dtls_proto(proto) && base != SOCK_DGRAM)) {
		return -EPROTOTYPE;
	}
	rc = zt_eng_global_init();
	if (rc < 0) {
		return rc;
	}
	pthread_once(&hooks_once, hooks_init);
	/* the kernel socket is always non-blocking; blocking is ours (wait.c) */
	fd = zt_sys_socket(family, base | SOCK_NONBLOCK | (type & SOCK_CLOEXEC),
			   base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	if (fd < 0) {
		return -errno;
	}
	s = zt_sock_new(fd, family, base, proto);
	if (s == NULL) {
		zt_sys_close(fd);
		return -ENOMEM;
	}
	s->nonblock = (type & SOCK_NONBLOCK) != 0;
	rc = zt_fd_insert(&s->obj);
	if (rc < 0) {
		zt_sock_destroy(s);
		return rc;
	}
	return fd;
}

int zsock_socket(int family, int type, int proto)
{
	if (!is_tls_proto(proto) && !is_dtls_proto(proto)) {
		return zt_sys_socket(family, type, proto);
	}
	return ret_int(secure_socket(family, type, proto));
}

int zsock_close(int sock)
{
	struct zt_fd_obj *o = zt_fd_close(sock);
	struct zt_sock *s;

	if (o == NULL) {
		return zt_sys_close(sock);
	}
	if (o == ZT_FD_CLOSED) {
		/* closed already; the number stays reserved until the last call ends */
		errno = EBADF;
		return -1;
	}
	s = ZT_CONTAINER_OF(o, struct zt_sock, obj);
	/* wake blocked callers and pollers (they return EINTR / POLLNVAL), then say goodbye */
	atomic_store(&s->closing, true);
	zt_wake_all(s);
	if (atomic_load_explicit(&s->watch, memory_order_acquire) != NULL) {
		zt_watch_hook(s, false); /* epoll sets drop it, as the kernel drops a closed file */
	}
	if (is_dgram(s)) {
		zt_dtls_close(s);
	} else {
		zt_stream_close(s);
	}
	/*
	 * From here on nothing can reach the kernel socket through this number,
	 * not even a host call: it is closed, and the number holds a placeholder
	 * until the last reference goes (docs/security.md, "close()").
	 */
	(void)zt_fd_retire(&s->obj);
	zt_fd_put(s);
	return 0;
}

int zsock_shutdown(int sock, int how)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_shutdown(sock, how);
	}
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
		rc = -EINVAL;
	} else if (how == SHUT_RD) {
		rc = 0;
	} else {
		/*
		 * SHUT_WR, SHUT_RDWR: close_notify, then (TLS) the TCP half-close.
		 * Zephyr answers ENOTSUP (issue #105740); secsock does what POSIX
		 * says (docs/zephyr-behaviour.md, Deliberate differences).
		 */
		rc = is_dgram(s) ? zt_dtls_shutdown_wr(s) : zt_stream_shutdown_wr(s);
	}
	if (rc == 0 && how != SHUT_WR) {
		/* docs/zephyr-behaviour.md §3.8: recv then returns 0, blocked readers wake */
		atomic_store(&s->shut_rd, true);
		(void)zt_sys_shutdown(s->fd, SHUT_RD);
		zt_wake_all(s);
	}
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_bind(int sock, const struct sockaddr *addr, socklen_t addrlen)
{
	return zt_sys_bind(sock, addr, addrlen);
}

int zsock_connect(int sock, const struct sockaddr *addr, socklen_t addrlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_connect(sock, addr, addrlen);
	}
	rc = is_dgram(s) ? zt_dtls_connect(s, addr, addrlen) : zt_stream_connect(s, addr, addrlen);
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_listen(int sock, int backlog)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_listen(sock, backlog);
	}
	rc = is_dgram(s) ? -EOPNOTSUPP : zt_stream_listen(s, backlog);
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_accept(int sock, struct sockaddr *addr, socklen_t *addrlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_accept(sock, addr, addrlen);
	}
	rc = is_dgram(s) ? -EOPNOTSUPP : zt_stream_accept(s, addr, addrlen);
	zt_fd_put(s);
	return ret_int(rc);
}

ssize_t zsock_sendto(int sock, const void *buf, size_t len, int flags,
		     const struct sockaddr *dest_addr, socklen_t addrlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	ssize_t rc;

	if (s == NULL) {
		return zt_sys_sendto(sock, buf, len, flags, dest_addr, addrlen);
	}
	if (buf == NULL && len > 0) {
		rc = -EFAULT;
	} else if (is_dgram(s)) {
		rc = zt_dtls_sendto(s, buf, len, flags, dest_addr, addrlen);
	} else {
		rc = zt_stream_send(s, buf, len, flags);
	}
	zt_fd_put(s);
	return ret_ssize(rc);
}

ssize_t zsock_send(int sock, const void *buf, size_t len, int flags)
{
	return zsock_sendto(sock, buf, len, flags, NULL, 0);
}

ssize_t zsock_recvfrom(int sock, void *buf, size_t max_len, int flags, struct sockaddr *src_addr,
		       socklen_t *addrlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	ssize_t rc;

	if (s == NULL) {
		return zt_sys_recvfrom(sock, buf, max_len, flags, src_addr, addrlen);
	}
	if (buf == NULL && max_len > 0) {
		rc = -EFAULT;
	} else if (is_dgram(s)) {
		rc = zt_dtls_recvfrom(s, buf, max_len, flags, src_addr, addrlen);
	} else {
		rc = zt_stream_recv(s, buf, max_len, flags);
		if (rc >= 0 && src_addr != NULL && addrlen != NULL &&
		    zt_sys_getpeername(s->fd, src_addr, addrlen) < 0) {
			*addrlen = 0;
		}
	}
	zt_fd_put(s);
	return ret_ssize(rc);
}

ssize_t zsock_recv(int sock, void *buf, size_t max_len, int flags)
{
	return zsock_recvfrom(sock, buf, max_len, flags, NULL, NULL);
}

static ssize_t stream_sendmsg(struct zt_sock *s, const struct msghdr *msg, int flags)
{
	ssize_t total = 0, n;

	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		const struct iovec *v = &msg->msg_iov[i];

		if (v->iov_len == 0) {
			continue;
		}
		n = zt_stream_send(s, v->iov_base, v->iov_len, flags);
		if (n < 0) {
			return total > 0 ? total : n;
		}
		total += n;
		if ((size_t)n < v->iov_len) {
			break; /* short write: report what went */
		}
	}
	return total;
}

ssize_t zsock_sendmsg(int sock, const struct msghdr *msg, int flags)
{
	struct zt_sock *s = zt_fd_get(sock);
	ssize_t rc;

	if (s == NULL) {
		return zt_sys_sendmsg(sock, msg, flags);
	}
	if (msg == NULL || (msg->msg_iovlen > 0 && msg->msg_iov == NULL)) {
		rc = -EINVAL;
	} else if (is_dgram(s)) {
		/* docs/zephyr-behaviour.md §3.4: without a merge buffer only one non-empty iov */
		const struct iovec *one = NULL;
		int nonempty = 0;

		for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
			if (msg->msg_iov[i].iov_len > 0) {
				one = &msg->msg_iov[i];
				nonempty++;
			}
		}
		if (nonempty > 1) {
			rc = -EMSGSIZE;
		} else {
			rc = zt_dtls_sendto(s, one ? one->iov_base : "", one ? one->iov_len : 0,
					    flags, msg->msg_name, msg->msg_namelen);
		}
	} else {
		rc = stream_sendmsg(s, msg, flags);
	}
	zt_fd_put(s);
	return ret_ssize(rc);
}

/* Largest plaintext one record carries (MBEDTLS_SSL_IN_CONTENT_LEN of config/mbedtls_config.h). */
#define RECORD_MAX 16384

/* Copy @p n bytes of @p src into the iovecs of @p msg, in order. */
static void scatter(const struct msghdr *msg, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < (size_t)msg->msg_iovlen && n > 0; i++) {
		size_t k = msg->msg_iov[i].iov_len < n ? msg->msg_iov[i].iov_len : n;

		memcpy(msg->msg_iov[i].iov_base, src, k);
		src += k;
		n -= k;
	}
}

/*
 * recvmsg() on TLS: the iovecs are filled in order, as a stream; the first
 * non-empty one waits as recv() does, the next ones take only what is
 * there (all of it with MSG_WAITALL). MSG_PEEK reads one record's worth
 * into a buffer and scatters it, as the data must stay.
 */
static ssize_t stream_recvmsg(struct zt_sock *s, struct msghdr *msg, size_t total, int flags)
{
	ssize_t got = 0, n = 0;

	if ((flags & MSG_PEEK) && msg->msg_iovlen > 1) {
		size_t cap = total < RECORD_MAX ? total : RECORD_MAX;
		unsigned char *tmp = malloc(cap > 0 ? cap : 1);

		if (tmp == NULL) {
			return -ENOMEM;
		}
		n = zt_stream_recv(s, tmp, cap, flags);
		if (n > 0) {
			scatter(msg, tmp, (size_t)n);
		}
		zt_wipe(tmp, cap);
		free(tmp);
		return n;
	}
	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		const struct iovec *v = &msg->msg_iov[i];

		if (v->iov_len == 0) {
			continue;
		}
		n = zt_stream_recv(s, v->iov_base, v->iov_len,
				   got > 0 && !(flags & MSG_WAITALL) ? flags | MSG_DONTWAIT
								     : flags);
		if (n <= 0) {
			break;
		}
		got += n;
		if ((size_t)n < v->iov_len) {
			break;
		}
	}
	return got > 0 ? got : n;
}

/*
 * recvmsg() on DTLS: one datagram over the iovecs; MSG_TRUNC in msg_flags
 * when it did not fit, msg_name the peer (on a server socket: which peer).
 */
static ssize_t dgram_recvmsg(struct zt_sock *s, struct msghdr *msg, size_t total, int flags)
{
	struct sockaddr *name = msg->msg_name;
	socklen_t namelen = name != NULL ? msg->msg_namelen : 0;
	unsigned char *tmp = NULL;
	size_t cap = total < RECORD_MAX ? total : RECORD_MAX;
	ssize_t full;

	if (msg->msg_iovlen > 1) {
		tmp = malloc(cap > 0 ? cap : 1);
		if (tmp == NULL) {
			return -ENOMEM;
		}
	}
	/* MSG_TRUNC inside: the datagram's whole length, to tell whether it was cut */
	full = zt_dtls_recvfrom(
		s, tmp != NULL ? tmp : (msg->msg_iovlen > 0 ? msg->msg_iov[0].iov_base : NULL),
		tmp != NULL ? cap : total, flags | MSG_TRUNC, name, name != NULL ? &namelen : NULL);
	if (full >= 0) {
		size_t copied = (size_t)full < cap ? (size_t)full : cap;

		if (tmp != NULL) {
			scatter(msg, tmp, copied);
		}
		if ((size_t)full > total) {
			msg->msg_flags |= MSG_TRUNC;
		}
		msg->msg_namelen = name != NULL ? namelen : 0;
		full = (flags & MSG_TRUNC) ? full : (ssize_t)copied;
	}
	if (tmp != NULL) {
		zt_wipe(tmp, cap);
		free(tmp);
	}
	return full;
}

ssize_t zsock_recvmsg(int sock, struct msghdr *msg, int flags)
{
	struct zt_sock *s = zt_fd_get(sock);
	size_t total = 0;
	ssize_t rc = 0;

	if (s == NULL) {
		return zt_sys_recvmsg(sock, msg, flags);
	}
	/* Zephyr has no recvmsg on secure sockets: a secsock extension (docs/zephyr-behaviour.md)
	 */
	if (msg == NULL || (msg->msg_iovlen > 0 && msg->msg_iov == NULL)) {
		rc = -EINVAL;
	} else if (msg->msg_iovlen > IOV_MAX) {
		rc = -EMSGSIZE;
	}
	for (size_t i = 0; rc == 0 && i < (size_t)msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_base == NULL && msg->msg_iov[i].iov_len > 0) {
			rc = -EFAULT;
		} else if (msg->msg_iov[i].iov_len > SSIZE_MAX - total) {
			rc = -EINVAL;
		} else {
			total += msg->msg_iov[i].iov_len;
		}
	}
	if (rc == 0) {
		msg->msg_flags = 0;
		msg->msg_controllen = 0; /* no ancillary data */
		if (is_dgram(s)) {
			rc = dgram_recvmsg(s, msg, total, flags);
		} else {
			rc = stream_recvmsg(s, msg, total, flags);
			if (msg->msg_name != NULL) {
				/* as recvfrom() on a TLS socket: the peer */
				socklen_t nl = msg->msg_namelen;

				msg->msg_namelen =
					rc >= 0 && zt_sys_getpeername(s->fd, msg->msg_name, &nl) ==
								0
						? nl
						: 0;
			}
		}
	}
	zt_fd_put(s);
	return ret_ssize(rc);
}

int zsock_setsockopt(int sock, int level, int optname, const void *optval, socklen_t optlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_setsockopt(sock, level, optname, optval, optlen);
	}
	rc = zt_sockopt_set(s, level, optname, optval, optlen);
	if (rc == 0) {
		pthread_mutex_lock(&s->lock);
		s->opts_gen++;
		pthread_mutex_unlock(&s->lock);
	}
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_getsockopt(int sock, int level, int optname, void *optval, socklen_t *optlen)
{
	struct zt_sock *s = zt_fd_get(sock);
	int rc;

	if (s == NULL) {
		return zt_sys_getsockopt(sock, level, optname, optval, optlen);
	}
	rc = zt_sockopt_get(s, level, optname, optval, optlen);
	zt_fd_put(s);
	return ret_int(rc);
}

/* What the third argument of an fcntl command is (fcntl(2)); most take an int. */
enum fcntl_arg {
	FCNTL_NONE,
	FCNTL_INT,
	FCNTL_PTR
};

static enum fcntl_arg fcntl_arg_kind(int cmd)
{
	switch (cmd) {
	case F_GETFD:
	case F_GETFL:
	case F_GETOWN:
	case F_GETSIG:
	case F_GETLEASE:
	case F_GETPIPE_SZ:
	case F_GET_SEALS:
		return FCNTL_NONE;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
	case F_GET_RW_HINT:
	case F_SET_RW_HINT:
	case F_GET_FILE_RW_HINT:
	case F_SET_FILE_RW_HINT:
		return FCNTL_PTR;
	default:
		return FCNTL_INT;
	}
}

/* docs/zephyr-behaviour.md §0: variadic as Zephyr's zsock_fcntl (F_GETFL takes no third argument)
 */
int zsock_fcntl(int sock, int cmd, ...)
{
	enum fcntl_arg kind = fcntl_arg_kind(cmd);
	uintptr_t arg = 0;
	va_list ap;

	va_start(ap, cmd);
	if (kind == FCNTL_INT) {
		arg = (uintptr_t)(unsigned int)va_arg(ap, int);
	} else if (kind == FCNTL_PTR) {
		arg = (uintptr_t)va_arg(ap, void *);
	}
	va_end(ap);
	return zt_fcntl(sock, cmd, arg);
}

int zt_fcntl(int sock, int cmd, uintptr_t arg)
{
	struct zt_sock *s;
	int rc;

	s = zt_fd_get(sock);
	if (s == NULL) {
		if (zt_fd_closed(sock)) {
			errno = EBADF; /* fcntl() would see the placeholder */
			return -1;
		}
		return zt_sys_fcntl(sock, cmd, arg);
	}
	switch (cmd) {
	case F_GETFL:
		/* the kernel socket is always O_NONBLOCK; report the app's view */
		rc = zt_sys_fcntl(s->fd, F_GETFL, 0);
		if (rc >= 0) {
			rc = (rc & ~O_NONBLOCK) | (s->nonblock ? O_NONBLOCK : 0);
		} else {
			rc = -errno;
		}
		break;
	case F_SETFL:
		rc = zt_sys_fcntl(s->fd, F_SETFL, (unsigned int)arg | O_NONBLOCK) < 0 ? -errno : 0;
		if (rc == 0) {
			s->nonblock = ((int)arg & O_NONBLOCK) != 0;
		}
		break;
	default:
		rc = zt_sys_fcntl(s->fd, cmd, arg);
		rc = rc < 0 ? -errno : rc;
		break;
	}
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_ioctl_impl(int sock, unsigned long request, va_list ap)
{
	struct zt_sock *s;
	void *arg = va_arg(ap, void *);
	int rc;

	s = zt_fd_get(sock);
	if (s == NULL) {
		return zt_sys_ioctl(sock, request, arg);
	}
	if (request == FIONBIO && arg != NULL) {
		s->nonblock = *(int *)arg != 0;
		rc = 0;
	} else if (request == FIONREAD && arg != NULL) {
		/* Zephyr: EOPNOTSUPP; a secsock extension (docs/zephyr-behaviour.md) */
		rc = is_dgram(s) ? zt_dtls_fionread(s, arg) : zt_stream_fionread(s, arg);
	} else if (request == FIONREAD) {
		rc = -EFAULT;
	} else {
		rc = -EOPNOTSUPP; /* docs/zephyr-behaviour.md §3.4 */
	}
	zt_fd_put(s);
	return ret_int(rc);
}

int zsock_ioctl(int sock, unsigned long request, ...)
{
	va_list ap;
	int rc;

	va_start(ap, request);
	rc = zsock_ioctl_impl(sock, request, ap);
	va_end(ap);
	return rc;
}

int zsock_getsockname(int sock, struct sockaddr *addr, socklen_t *addrlen)
{
	return zt_sys_getsockname(sock, addr, addrlen);
}

int zsock_getpeername(int sock, struct sockaddr *addr, socklen_t *addrlen)
{
	return zt_sys_getpeername(sock, addr, addrlen);
}

int zsock_inet_pton(sa_family_t family, const char *src, void *dst)
{
	return inet_pton(family, src, dst);
}

char *zsock_inet_ntop(sa_family_t family, const void *src, char *dst, size_t size)
{
	return (char *)inet_ntop(family, src, dst, (socklen_t)size);
}

/*
 * Zephyr's struct zsock_addrinfo keeps the address and the name inside each
 * entry (include/zephyr/net/socket.h); the host's list is copied into one
 * array of them, so zsock_freeaddrinfo() is one free().
 */
static int addrinfo_copy(const struct addrinfo *host, struct zsock_addrinfo **res)
{
	struct zsock_addrinfo *out;
	size_t n = 0, i = 0;

	for (const struct addrinfo *h = host; h != NULL; h = h->ai_next) {
		n++;
	}
	out = calloc(n > 0 ? n : 1, sizeof(*out));
	if (out == NULL) {
		return EAI_MEMORY;
	}
	for (const struct addrinfo *h = host; h != NULL; h = h->ai_next, i++) {
		struct zsock_addrinfo *z = &out[i];

		z->ai_next = i + 1 < n ? &out[i + 1] : NULL;
		z->ai_flags = h->ai_flags;
		z->ai_family = h->ai_family;
		z->ai_socktype = h->ai_socktype;
		z->ai_protocol = h->ai_protocol;
		z->ai_addrlen =
			h->ai_addrlen <= sizeof(z->_ai_addr) ? h->ai_addrlen : sizeof(z->_ai_addr);
		if (h->ai_addr != NULL) {
			memcpy(&z->_ai_addr, h->ai_addr, z->ai_addrlen);
			z->ai_addr = (struct sockaddr *)&z->_ai_addr;
		}
		if (h->ai_canonname != NULL) {
			snprintf(z->_ai_canonname, sizeof(z->_ai_canonname), "%s", h->ai_canonname);
			z->ai_canonname = z->_ai_canonname;
		}
	}
	*res = n > 0 ? out : NULL;
	if (n == 0) {
		free(out);
	}
	return 0;
}

int zsock_getaddrinfo(const char *host, const char *service, const struct zsock_addrinfo *hints,
		      struct zsock_addrinfo **res)
{
	struct addrinfo h = {0};
	struct addrinfo *list = NULL;
	int rc;

	if (res == NULL) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	*res = NULL;
	if (hints != NULL) {
		/* AI_EXTFLAGS and ai_eflags (RFC 5014) mean nothing to the host resolver */
		h.ai_flags = hints->ai_flags & ~ZSOCK_AI_EXTFLAGS;
		h.ai_family = hints->ai_family;
		h.ai_socktype = hints->ai_socktype;
		h.ai_protocol = hints->ai_protocol;
	}
	rc = getaddrinfo(host, service, hints != NULL ? &h : NULL, &list);
	if (rc != 0) {
		return rc;
	}
	rc = addrinfo_copy(list, res);
	freeaddrinfo(list);
	return rc;
}

void zsock_freeaddrinfo(struct zsock_addrinfo *ai)
{
	free(ai); /* one array: addrinfo_copy() */
}

int zsock_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
		      char *serv, socklen_t servlen, int flags)
{
	return getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
}

/* A socket pair is the host's; TLS and DTLS need a network peer. */
int zsock_socketpair(int family, int type, int proto, int *sv)
{
	if (is_tls_proto(proto) || is_dtls_proto(proto)) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	return zt_sys_socketpair(family, type, proto, sv);
}

const char *zsock_gai_strerror(int errcode)
{
	return gai_strerror(errcode);
}

int zsock_gethostname(char *buf, size_t len)
{
	return gethostname(buf, len);
}

int secsock_ticket_keys_load(const char *path)
{
	return ret_int(zt_ticket_keys_load(path));
}

static char version_buf[256];

static void version_fill(void)
{
	bool old = ZT_MBEDTLS_BELOW_MIN || zt_eng_version_number() < ZT_MBEDTLS_MIN_VERSION_NUMBER;

	snprintf(version_buf, sizeof(version_buf), "secsock %s (%s; %s)%s", ZT_VERSION_STRING,
		 zt_eng_version(), ZT_MBEDTLS_ORIGIN,
		 old ? " WARNING: Mbed TLS older than the minimum " ZT_MBEDTLS_MIN_VERSION_STRING
		       ", with known vulnerabilities: not for deployment"
		     : "");
}

const char *secsock_version(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, version_fill);
	return version_buf;
}
