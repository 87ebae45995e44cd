/*
 * secsock: Zephyr's <zephyr/net/socket.h> for POSIX hosts.
 *
 * The zsock_* calls behave as the host's socket calls for plain sockets, and
 * as Zephyr's secure sockets for the TLS/DTLS protocols of <net_ip.h>.
 * Flags, poll events and addresses use the host's values (they equal
 * Zephyr's for every ZSOCK_ flag). TLS option names and values are Zephyr's,
 * in the 4.4+ spelling (ZSOCK_TLS_*) and the legacy one (TLS_*).
 */
#ifndef SECSOCK_ZEPHYR_NET_SOCKET_H
#define SECSOCK_ZEPHYR_NET_SOCKET_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netdb.h>
#include <poll.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/tls_credentials.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/* ---- poll, flags, shutdown: host values (identical to Zephyr's) ---- */

/** Zephyr's pollfd; same layout as the host's struct pollfd. */
struct zsock_pollfd {
	int fd;
	short events;
	short revents;
};

#define ZSOCK_POLLIN   POLLIN
#define ZSOCK_POLLPRI  POLLPRI
#define ZSOCK_POLLOUT  POLLOUT
#define ZSOCK_POLLERR  POLLERR
#define ZSOCK_POLLHUP  POLLHUP
#define ZSOCK_POLLNVAL POLLNVAL

#define ZSOCK_MSG_PEEK     MSG_PEEK
#define ZSOCK_MSG_TRUNC    MSG_TRUNC
#define ZSOCK_MSG_DONTWAIT MSG_DONTWAIT
#define ZSOCK_MSG_WAITALL  MSG_WAITALL

#define ZSOCK_SHUT_RD   SHUT_RD
#define ZSOCK_SHUT_WR   SHUT_WR
#define ZSOCK_SHUT_RDWR SHUT_RDWR

#define ZSOCK_SOL_SOCKET SOL_SOCKET

/** Zephyr's timeval for SO_RCVTIMEO/SO_SNDTIMEO is the host's struct timeval. */
#define zsock_timeval timeval

/* declared by <netdb.h> only with POSIX feature macros; strict C11 still compiles */
struct addrinfo;
#define zsock_addrinfo   addrinfo
#define zsock_fd_set     fd_set
#define ZSOCK_FD_ZERO    FD_ZERO
#define ZSOCK_FD_SET     FD_SET
#define ZSOCK_FD_CLR     FD_CLR
#define ZSOCK_FD_ISSET   FD_ISSET
#define ZSOCK_FD_SETSIZE FD_SETSIZE

/* ---- TLS level and options (Zephyr's exact numbers) ---- */

/** Socket option level for TLS; Linux kTLS uses the same number. */
#define ZSOCK_SOL_TLS 282
#ifndef SOL_TLS
#define SOL_TLS ZSOCK_SOL_TLS
#endif

#define ZSOCK_TLS_SEC_TAG_LIST               1
#define ZSOCK_TLS_HOSTNAME                   2
#define ZSOCK_TLS_CIPHERSUITE_LIST           3
#define ZSOCK_TLS_CIPHERSUITE_USED           4
#define ZSOCK_TLS_PEER_VERIFY                5
#define ZSOCK_TLS_DTLS_ROLE                  6
#define ZSOCK_TLS_ALPN_LIST                  7
#define ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN 8
#define ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX 9
#define ZSOCK_TLS_CERT_NOCOPY                10
#define ZSOCK_TLS_NATIVE                     11
#define ZSOCK_TLS_SESSION_CACHE              12
#define ZSOCK_TLS_SESSION_CACHE_PURGE        13
#define ZSOCK_TLS_DTLS_CID                   14
#define ZSOCK_TLS_DTLS_CID_STATUS            15
#define ZSOCK_TLS_DTLS_CID_VALUE             16
#define ZSOCK_TLS_DTLS_PEER_CID_VALUE        17
#define ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT  18
#define ZSOCK_TLS_CERT_VERIFY_RESULT         19
#define ZSOCK_TLS_CERT_VERIFY_CALLBACK       20

#define ZSOCK_TLS_PEER_VERIFY_NONE     0
#define ZSOCK_TLS_PEER_VERIFY_OPTIONAL 1
#define ZSOCK_TLS_PEER_VERIFY_REQUIRED 2

#define ZSOCK_TLS_DTLS_ROLE_CLIENT 0
#define ZSOCK_TLS_DTLS_ROLE_SERVER 1

#define ZSOCK_TLS_CERT_NOCOPY_NONE     0
#define ZSOCK_TLS_CERT_NOCOPY_OPTIONAL 1

#define ZSOCK_TLS_SESSION_CACHE_DISABLED 0
#define ZSOCK_TLS_SESSION_CACHE_ENABLED  1

#define ZSOCK_TLS_DTLS_CID_DISABLED  0
#define ZSOCK_TLS_DTLS_CID_SUPPORTED 1
#define ZSOCK_TLS_DTLS_CID_ENABLED   2

#define ZSOCK_TLS_DTLS_CID_STATUS_DISABLED      0
#define ZSOCK_TLS_DTLS_CID_STATUS_DOWNLINK      1
#define ZSOCK_TLS_DTLS_CID_STATUS_UPLINK        2
#define ZSOCK_TLS_DTLS_CID_STATUS_BIDIRECTIONAL 3

/**
 * Argument of TLS_CERT_VERIFY_CALLBACK. @p cb has Mbed TLS's verify callback
 * signature: int cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags).
 */
struct zsock_tls_cert_verify_cb {
	void *cb;
	void *ctx;
};

/* Legacy (Zephyr < 4.4) spelling of every TLS name. */
#define TLS_SEC_TAG_LIST                  ZSOCK_TLS_SEC_TAG_LIST
#define TLS_HOSTNAME                      ZSOCK_TLS_HOSTNAME
#define TLS_CIPHERSUITE_LIST              ZSOCK_TLS_CIPHERSUITE_LIST
#define TLS_CIPHERSUITE_USED              ZSOCK_TLS_CIPHERSUITE_USED
#define TLS_PEER_VERIFY                   ZSOCK_TLS_PEER_VERIFY
#define TLS_DTLS_ROLE                     ZSOCK_TLS_DTLS_ROLE
#define TLS_ALPN_LIST                     ZSOCK_TLS_ALPN_LIST
#define TLS_DTLS_HANDSHAKE_TIMEOUT_MIN    ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN
#define TLS_DTLS_HANDSHAKE_TIMEOUT_MAX    ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX
#define TLS_CERT_NOCOPY                   ZSOCK_TLS_CERT_NOCOPY
#define TLS_NATIVE                        ZSOCK_TLS_NATIVE
#define TLS_SESSION_CACHE                 ZSOCK_TLS_SESSION_CACHE
#define TLS_SESSION_CACHE_PURGE           ZSOCK_TLS_SESSION_CACHE_PURGE
#define TLS_DTLS_CID                      ZSOCK_TLS_DTLS_CID
#define TLS_DTLS_CID_STATUS               ZSOCK_TLS_DTLS_CID_STATUS
#define TLS_DTLS_CID_VALUE                ZSOCK_TLS_DTLS_CID_VALUE
#define TLS_DTLS_PEER_CID_VALUE           ZSOCK_TLS_DTLS_PEER_CID_VALUE
#define TLS_DTLS_HANDSHAKE_ON_CONNECT     ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT
#define TLS_CERT_VERIFY_RESULT            ZSOCK_TLS_CERT_VERIFY_RESULT
#define TLS_CERT_VERIFY_CALLBACK          ZSOCK_TLS_CERT_VERIFY_CALLBACK
#define TLS_PEER_VERIFY_NONE              ZSOCK_TLS_PEER_VERIFY_NONE
#define TLS_PEER_VERIFY_OPTIONAL          ZSOCK_TLS_PEER_VERIFY_OPTIONAL
#define TLS_PEER_VERIFY_REQUIRED          ZSOCK_TLS_PEER_VERIFY_REQUIRED
#define TLS_DTLS_ROLE_CLIENT              ZSOCK_TLS_DTLS_ROLE_CLIENT
#define TLS_DTLS_ROLE_SERVER              ZSOCK_TLS_DTLS_ROLE_SERVER
#define TLS_CERT_NOCOPY_NONE              ZSOCK_TLS_CERT_NOCOPY_NONE
#define TLS_CERT_NOCOPY_OPTIONAL          ZSOCK_TLS_CERT_NOCOPY_OPTIONAL
#define TLS_SESSION_CACHE_DISABLED        ZSOCK_TLS_SESSION_CACHE_DISABLED
#define TLS_SESSION_CACHE_ENABLED         ZSOCK_TLS_SESSION_CACHE_ENABLED
#define TLS_DTLS_CID_DISABLED             ZSOCK_TLS_DTLS_CID_DISABLED
#define TLS_DTLS_CID_SUPPORTED            ZSOCK_TLS_DTLS_CID_SUPPORTED
#define TLS_DTLS_CID_ENABLED              ZSOCK_TLS_DTLS_CID_ENABLED
#define TLS_DTLS_CID_STATUS_DISABLED      ZSOCK_TLS_DTLS_CID_STATUS_DISABLED
#define TLS_DTLS_CID_STATUS_DOWNLINK      ZSOCK_TLS_DTLS_CID_STATUS_DOWNLINK
#define TLS_DTLS_CID_STATUS_UPLINK        ZSOCK_TLS_DTLS_CID_STATUS_UPLINK
#define TLS_DTLS_CID_STATUS_BIDIRECTIONAL ZSOCK_TLS_DTLS_CID_STATUS_BIDIRECTIONAL
#define tls_cert_verify_cb                zsock_tls_cert_verify_cb

/* ---- calls ---- */

SECSOCK_API int zsock_socket(int family, int type, int proto);
SECSOCK_API int zsock_close(int sock);
SECSOCK_API int zsock_shutdown(int sock, int how);
SECSOCK_API int zsock_bind(int sock, const struct sockaddr *addr, socklen_t addrlen);
SECSOCK_API int zsock_connect(int sock, const struct sockaddr *addr, socklen_t addrlen);
SECSOCK_API int zsock_listen(int sock, int backlog);
SECSOCK_API int zsock_accept(int sock, struct sockaddr *addr, socklen_t *addrlen);
SECSOCK_API ssize_t zsock_send(int sock, const void *buf, size_t len, int flags);
SECSOCK_API ssize_t zsock_recv(int sock, void *buf, size_t max_len, int flags);
SECSOCK_API ssize_t zsock_sendto(int sock, const void *buf, size_t len, int flags,
				 const struct sockaddr *dest_addr, socklen_t addrlen);
SECSOCK_API ssize_t zsock_recvfrom(int sock, void *buf, size_t max_len, int flags,
				   struct sockaddr *src_addr, socklen_t *addrlen);
SECSOCK_API ssize_t zsock_sendmsg(int sock, const struct msghdr *msg, int flags);
SECSOCK_API ssize_t zsock_recvmsg(int sock, struct msghdr *msg, int flags);
SECSOCK_API int zsock_setsockopt(int sock, int level, int optname, const void *optval,
				 socklen_t optlen);
SECSOCK_API int zsock_getsockopt(int sock, int level, int optname, void *optval, socklen_t *optlen);
SECSOCK_API int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout);
SECSOCK_API int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds,
			     zsock_fd_set *exceptfds, struct zsock_timeval *timeout);
SECSOCK_API int zsock_fcntl(int sock, int cmd, int flags);
SECSOCK_API int zsock_ioctl(int sock, unsigned long request, ...);
SECSOCK_API int zsock_getsockname(int sock, struct sockaddr *addr, socklen_t *addrlen);
SECSOCK_API int zsock_getpeername(int sock, struct sockaddr *addr, socklen_t *addrlen);
SECSOCK_API int zsock_inet_pton(sa_family_t family, const char *src, void *dst);
SECSOCK_API char *zsock_inet_ntop(sa_family_t family, const void *src, char *dst, size_t size);
SECSOCK_API int zsock_getaddrinfo(const char *host, const char *service,
				  const struct zsock_addrinfo *hints, struct zsock_addrinfo **res);
SECSOCK_API void zsock_freeaddrinfo(struct zsock_addrinfo *ai);
SECSOCK_API const char *zsock_gai_strerror(int errcode);
SECSOCK_API int zsock_gethostname(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_SOCKET_H */
