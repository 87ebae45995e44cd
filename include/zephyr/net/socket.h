/*
 * secsock: Zephyr's <zephyr/net/socket.h> for Linux hosts.
 *
 * The zsock_* calls behave as the host's socket calls for plain sockets, and
 * as Zephyr's secure sockets for the TLS/DTLS protocols of <net_ip.h>.
 * Every number the kernel sees (option levels and names, flags, poll events)
 * is the host's; TLS option names and values are Zephyr's, in the 4.4+
 * spelling (ZSOCK_TLS_*) and the legacy one (TLS_*, <zephyr/net/net_compat.h>).
 * Where a value differs from Zephyr's and which names are absent:
 * docs/zephyr-names.md.
 *
 * Like Zephyr's, this header does not give fcntl()'s F_GETFL and O_NONBLOCK
 * (Zephyr code includes <zephyr/posix/fcntl.h>; on a host include <fcntl.h>);
 * ZVFS_F_GETFL and ZVFS_O_NONBLOCK of <zephyr/sys/fdtable.h> are the same numbers.
 *
 * Link with libsecsock (pkg-config secsock). Code written for Zephyr's POSIX
 * API (socket(), connect(), close() with IPPROTO_TLS_1_2) compiles against
 * this header too, but its calls reach the C library, not secsock, until
 * libsecsock-posix exists (README, "Install").
 *
 * Errors: every call returns -1 (or NULL) and sets errno. For a plain socket
 * the errno is the host call's; the @retval lists name what secsock itself
 * adds for secure sockets and the most common host values.
 */
#ifndef SECSOCK_ZEPHYR_NET_SOCKET_H
#define SECSOCK_ZEPHYR_NET_SOCKET_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/socket_types.h>
#include <zephyr/net/socket_poll.h>
#include <zephyr/net/socket_select.h>
#include <zephyr/sys/fdtable.h>
#include <zephyr/net/dns_resolve.h>
#include <zephyr/net/tls_credentials.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/* ---- poll events, flags, shutdown: host values (equal to Zephyr's) ---- */

#define ZSOCK_POLLIN   POLLIN   /**< zsock_poll: readable */
#define ZSOCK_POLLPRI  POLLPRI  /**< zsock_poll: exceptional condition */
#define ZSOCK_POLLOUT  POLLOUT  /**< zsock_poll: writable */
#define ZSOCK_POLLERR  POLLERR  /**< zsock_poll: error (output only) */
#define ZSOCK_POLLHUP  POLLHUP  /**< zsock_poll: peer closed (output only) */
#define ZSOCK_POLLNVAL POLLNVAL /**< zsock_poll: not an open descriptor (output only) */

#define ZSOCK_MSG_PEEK     MSG_PEEK     /**< Look at data without taking it (plain sockets) */
#define ZSOCK_MSG_CTRUNC   MSG_CTRUNC   /**< recvmsg: control data was cut */
#define ZSOCK_MSG_TRUNC    MSG_TRUNC    /**< Return a datagram's real length */
#define ZSOCK_MSG_DONTWAIT MSG_DONTWAIT /**< Do not block for this call */
#define ZSOCK_MSG_WAITALL  MSG_WAITALL  /**< Wait for the full length */

#define ZSOCK_SHUT_RD   SHUT_RD   /**< zsock_shutdown: no more receiving */
#define ZSOCK_SHUT_WR   SHUT_WR   /**< zsock_shutdown: no more sending */
#define ZSOCK_SHUT_RDWR SHUT_RDWR /**< zsock_shutdown: neither */

/* ---- socket-level options (ZSOCK_SOL_SOCKET): the host's numbers ---- */

/** @cond INTERNAL_HIDDEN */
/*
 * Options the C library names only with _DEFAULT_SOURCE get the numbers of
 * Linux's asm-generic/socket.h; architectures with other numbers stop here.
 */
#if defined(__mips__) || defined(__sparc__) || defined(__hppa__) || defined(__alpha__) ||          \
	defined(__powerpc__)
#if !defined(SO_PROTOCOL) || !defined(SO_TXTIME)
#error "secsock: build with -D_DEFAULT_SOURCE on this architecture (its SO_* numbers differ)"
#endif
#endif
/** @endcond */

#define ZSOCK_SOL_SOCKET SOL_SOCKET /**< Socket-level option level */

#define ZSOCK_SO_DEBUG     SO_DEBUG     /**< Record debugging information */
#define ZSOCK_SO_REUSEADDR SO_REUSEADDR /**< Allow reuse of local addresses */
#define ZSOCK_SO_TYPE      SO_TYPE      /**< Socket type (get) */
#define ZSOCK_SO_ERROR     SO_ERROR     /**< Pending error, cleared when read (get) */
#define ZSOCK_SO_DONTROUTE SO_DONTROUTE /**< Bypass routing */
#define ZSOCK_SO_BROADCAST SO_BROADCAST /**< Allow broadcast datagrams */
#define ZSOCK_SO_SNDBUF    SO_SNDBUF    /**< Send buffer size */
#define ZSOCK_SO_RCVBUF    SO_RCVBUF    /**< Receive buffer size */
#define ZSOCK_SO_KEEPALIVE SO_KEEPALIVE /**< Send keep-alive probes */
#define ZSOCK_SO_OOBINLINE SO_OOBINLINE /**< Out-of-band data inline */
#ifdef SO_PRIORITY
#define ZSOCK_SO_PRIORITY SO_PRIORITY /**< Packet priority */
#else
#define ZSOCK_SO_PRIORITY 12
#endif
#define ZSOCK_SO_LINGER SO_LINGER /**< Linger on close (struct net_linger) */
#ifdef SO_REUSEPORT
#define ZSOCK_SO_REUSEPORT SO_REUSEPORT /**< Several sockets on one port */
#else
#define ZSOCK_SO_REUSEPORT 15
#endif
#define ZSOCK_SO_RCVLOWAT SO_RCVLOWAT /**< Receive low-water mark */
#define ZSOCK_SO_SNDLOWAT SO_SNDLOWAT /**< Send low-water mark */
#define ZSOCK_SO_RCVTIMEO SO_RCVTIMEO /**< Receive timeout (struct zsock_timeval) */
#define ZSOCK_SO_SNDTIMEO SO_SNDTIMEO /**< Send timeout (struct zsock_timeval) */
#ifdef SO_BINDTODEVICE
#define ZSOCK_SO_BINDTODEVICE SO_BINDTODEVICE /**< Bind to an interface (struct net_ifreq) */
#else
#define ZSOCK_SO_BINDTODEVICE 25
#endif
#define ZSOCK_SO_ACCEPTCONN   SO_ACCEPTCONN   /**< Whether the socket listens (get) */
#define ZSOCK_SO_TIMESTAMPING SO_TIMESTAMPING /**< Packet time stamps */
#ifdef SO_PROTOCOL
#define ZSOCK_SO_PROTOCOL SO_PROTOCOL /**< Protocol, 258 for TLS 1.2 (get) */
#else
#define ZSOCK_SO_PROTOCOL 38
#endif
#ifdef SO_DOMAIN
#define ZSOCK_SO_DOMAIN SO_DOMAIN /**< Address family (get) */
#else
#define ZSOCK_SO_DOMAIN 39
#endif
#ifdef SO_TXTIME
#define ZSOCK_SO_TXTIME SO_TXTIME /**< Transmit time of data */
#else
#define ZSOCK_SO_TXTIME 61
#endif
#define ZSOCK_SCM_TXTIME ZSOCK_SO_TXTIME /**< Control message type of SO_TXTIME */
/**
 * SOCKS5 proxying is Zephyr's own; Linux has no such option. The name exists so
 * that Zephyr code compiles (echo_client sets it under if (IS_ENABLED(CONFIG_SOCKS))),
 * with a number no Linux option has: setsockopt() fails with ENOPROTOOPT
 * (Zephyr: 60, which is SO_ZEROCOPY on Linux).
 */
#define ZSOCK_SO_SOCKS5  0x5EC50

/** Hardware receive time stamps (Linux SOF_TIMESTAMPING_RX_HARDWARE; Zephyr BIT(0)). */
#define ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE (1U << 2)
/** Hardware transmit time stamps (Linux SOF_TIMESTAMPING_TX_HARDWARE; Zephyr BIT(1)). */
#define ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE (1U << 0)

/* ---- TCP level (NET_IPPROTO_TCP): the host's numbers ---- */

/* Linux's numbers (include/uapi/linux/tcp.h, the same on every architecture);
 * <netinet/tcp.h> is not included: it conflicts with <linux/tcp.h> */
#define ZSOCK_TCP_NODELAY   1 /**< Send without delay (Nagle off) */
#define ZSOCK_TCP_KEEPIDLE  4 /**< Idle seconds before keep-alives (Zephyr 2) */
#define ZSOCK_TCP_KEEPINTVL 5 /**< Seconds between keep-alives (Zephyr 3) */
#define ZSOCK_TCP_KEEPCNT   6 /**< Keep-alives before dropping (Zephyr 4) */

/* ---- IPv4 level (NET_IPPROTO_IP): the host's numbers ---- */

#define ZSOCK_IP_TOS              IP_TOS             /**< Type of service */
#define ZSOCK_IP_TTL              IP_TTL             /**< Time to live */
#define ZSOCK_IP_PKTINFO          IP_PKTINFO         /**< Receive struct net_in_pktinfo */
#define ZSOCK_IP_RECVTTL          IP_RECVTTL         /**< Receive the TTL */
#define ZSOCK_IP_MTU              IP_MTU             /**< Path MTU (get, connected) */
#define ZSOCK_IP_MULTICAST_IF     IP_MULTICAST_IF    /**< Multicast interface */
#define ZSOCK_IP_MULTICAST_TTL    IP_MULTICAST_TTL   /**< Multicast TTL */
#define ZSOCK_IP_MULTICAST_LOOP   IP_MULTICAST_LOOP  /**< Multicast loopback */
#define ZSOCK_IP_ADD_MEMBERSHIP   IP_ADD_MEMBERSHIP  /**< Join a group (struct net_ip_mreqn) */
#define ZSOCK_IP_DROP_MEMBERSHIP  IP_DROP_MEMBERSHIP /**< Leave a group */
#define ZSOCK_IP_LOCAL_PORT_RANGE 51                 /**< Local port range (Linux 6.3+) */

/* ---- IPv6 level (NET_IPPROTO_IPV6): the host's numbers ---- */

#define ZSOCK_IPV6_UNICAST_HOPS     IPV6_UNICAST_HOPS          /**< Unicast hop limit */
#define ZSOCK_IPV6_MULTICAST_IF     IPV6_MULTICAST_IF          /**< Multicast interface index */
#define ZSOCK_IPV6_MULTICAST_HOPS   IPV6_MULTICAST_HOPS        /**< Multicast hop limit */
#define ZSOCK_IPV6_MULTICAST_LOOP   IPV6_MULTICAST_LOOP        /**< Multicast loopback */
#define ZSOCK_IPV6_ADD_MEMBERSHIP   IPV6_ADD_MEMBERSHIP        /**< Join (struct net_ipv6_mreq) */
#define ZSOCK_IPV6_DROP_MEMBERSHIP  IPV6_DROP_MEMBERSHIP       /**< Leave a group */
#define ZSOCK_IPV6_JOIN_GROUP       ZSOCK_IPV6_ADD_MEMBERSHIP  /**< Same as ADD_MEMBERSHIP */
#define ZSOCK_IPV6_LEAVE_GROUP      ZSOCK_IPV6_DROP_MEMBERSHIP /**< Same as DROP_MEMBERSHIP */
#define ZSOCK_IPV6_MTU              IPV6_MTU                   /**< Path MTU */
#define ZSOCK_IPV6_DONTFRAG         IPV6_DONTFRAG              /**< Do not fragment */
#define ZSOCK_IPV6_V6ONLY           IPV6_V6ONLY                /**< IPv6 only, no mapped IPv4 */
#define ZSOCK_IPV6_RECVPKTINFO      IPV6_RECVPKTINFO      /**< Receive struct net_in6_pktinfo */
#define ZSOCK_IPV6_PKTINFO          IPV6_PKTINFO          /**< Packet information */
#define ZSOCK_IPV6_RECVHOPLIMIT     IPV6_RECVHOPLIMIT     /**< Receive the hop limit */
#define ZSOCK_IPV6_HOPLIMIT         IPV6_HOPLIMIT         /**< Hop limit of one packet */
#define ZSOCK_IPV6_ADDR_PREFERENCES IPV6_ADDR_PREFERENCES /**< Source address selection */
#define ZSOCK_IPV6_TCLASS           IPV6_TCLASS           /**< Traffic class */

#define ZSOCK_IPV6_PREFER_SRC_TMP            0x0001 /**< Prefer a temporary source */
#define ZSOCK_IPV6_PREFER_SRC_PUBLIC         0x0002 /**< Prefer a public source */
#define ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT 0x0100 /**< System default */
#define ZSOCK_IPV6_PREFER_SRC_COA            0x0004 /**< Prefer a care-of address */
#define ZSOCK_IPV6_PREFER_SRC_HOME           0x0400 /**< Prefer a home address */
#define ZSOCK_IPV6_PREFER_SRC_CGA            0x0008 /**< Prefer a CGA */
#define ZSOCK_IPV6_PREFER_SRC_NONCGA         0x0800 /**< Prefer a non-CGA */

/** Largest listen() backlog: the host's SOMAXCONN (Linux 4096; Zephyr 128). */
#define ZSOCK_SOMAXCONN SOMAXCONN

/* ---- special IPv6 addresses ---- */

#define ZSOCK_IN6_IS_ADDR_UNSPECIFIED(addr)  net_ipv6_is_addr_unspecified(addr) /**< :: */
#define ZSOCK_IN6_IS_ADDR_LOOPBACK(addr)     net_ipv6_is_addr_loopback(addr)    /**< ::1 */
#define ZSOCK_IN6_IS_ADDR_MULTICAST(addr)    net_ipv6_is_addr_mcast(addr)       /**< ff00::/8 */
#define ZSOCK_IN6_IS_ADDR_LINKLOCAL(addr)    net_ipv6_is_ll_addr(addr)          /**< fe80::/16 */
#define ZSOCK_IN6_IS_ADDR_SITELOCAL(addr)    net_ipv6_is_sl_addr(addr)          /**< fec0::/16 */
#define ZSOCK_IN6_IS_ADDR_V4MAPPED(addr)     net_ipv6_addr_is_v4_mapped(addr) /**< ::ffff:0:0/96 */
#define ZSOCK_IN6_IS_ADDR_MC_GLOBAL(addr)    net_ipv6_is_addr_mcast_global(addr) /**< ffXe:: */
#define ZSOCK_IN6_IS_ADDR_MC_NODELOCAL(addr) net_ipv6_is_addr_mcast_iface(addr)  /**< ffX1:: */
#define ZSOCK_IN6_IS_ADDR_MC_LINKLOCAL(addr) net_ipv6_is_addr_mcast_link(addr)   /**< ffX2:: */
#define ZSOCK_IN6_IS_ADDR_MC_SITELOCAL(addr) net_ipv6_is_addr_mcast_site(addr)   /**< ffX5:: */
#define ZSOCK_IN6_IS_ADDR_MC_ORGLOCAL(addr)  net_ipv6_is_addr_mcast_org(addr)    /**< ffX8:: */

/* ---- name resolution ---- */

#define ZSOCK_AI_PASSIVE     0x1   /**< Address for bind() */
#define ZSOCK_AI_CANONNAME   0x2   /**< Fill in ai_canonname */
#define ZSOCK_AI_NUMERICHOST 0x4   /**< Host is a numeric address, no lookup */
#define ZSOCK_AI_V4MAPPED    0x8   /**< IPv4-mapped addresses for AF_INET6 */
#define ZSOCK_AI_ALL         0x10  /**< With AI_V4MAPPED: IPv6 and mapped IPv4 */
#define ZSOCK_AI_ADDRCONFIG  0x20  /**< Only families the host has addresses of */
#define ZSOCK_AI_NUMERICSERV 0x400 /**< Service is a port number */
#define ZSOCK_AI_EXTFLAGS    0x800 /**< ai_eflags present (RFC 5014); ignored on a host */

#define ZSOCK_NI_NUMERICHOST 1  /**< zsock_getnameinfo: numeric address */
#define ZSOCK_NI_NUMERICSERV 2  /**< zsock_getnameinfo: numeric port */
#define ZSOCK_NI_NOFQDN      4  /**< zsock_getnameinfo: host part of the name only */
#define ZSOCK_NI_NAMEREQD    8  /**< zsock_getnameinfo: fail without a name */
#define ZSOCK_NI_DGRAM       16 /**< zsock_getnameinfo: datagram service */
#ifndef ZSOCK_NI_MAXHOST
/** Buffer size enough for any host name (the host's NI_MAXHOST; Zephyr 64). */
#define ZSOCK_NI_MAXHOST 1025
#endif

/**
 * @brief One result of zsock_getaddrinfo(), also its hints: Zephyr's layout.
 *
 * The address and the canonical name live inside the entry, as in Zephyr;
 * free the whole list with zsock_freeaddrinfo().
 */
struct zsock_addrinfo {
	struct zsock_addrinfo *ai_next; /**< Next entry, or NULL */
	int ai_flags;                   /**< ZSOCK_AI_* */
	int ai_family;                  /**< NET_AF_INET, NET_AF_INET6 or NET_AF_UNSPEC */
	int ai_socktype;                /**< NET_SOCK_STREAM, NET_SOCK_DGRAM or 0 */
	int ai_protocol;                /**< Protocol, 0 for any */
	int ai_eflags;                  /**< Extended flags (RFC 5014); ignored on a host */
	net_socklen_t ai_addrlen;       /**< Length of *ai_addr */
	struct net_sockaddr *ai_addr;   /**< The address (points into this entry) */
	char *ai_canonname;             /**< Canonical name (AI_CANONNAME), or NULL */

	/** @cond INTERNAL_HIDDEN */
	struct net_sockaddr_storage _ai_addr;
	char _ai_canonname[DNS_MAX_NAME_SIZE + 1];
	/** @endcond */
};

/* ---- TLS level and options (Zephyr's exact numbers) ---- */

/** Socket option level for TLS; Linux kTLS uses the same number. */
#define ZSOCK_SOL_TLS 282

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

/* ---- calls ---- */

/**
 * @brief Create a socket: a plain one is the host's, a TLS or DTLS one is secsock's.
 *
 * @param family NET_AF_INET or NET_AF_INET6 for a secure socket; any host family otherwise.
 * @param type NET_SOCK_STREAM for TLS, NET_SOCK_DGRAM for DTLS; SOCK_NONBLOCK and
 *             SOCK_CLOEXEC may be or-ed in.
 * @param proto NET_IPPROTO_TLS_1_0 ... NET_IPPROTO_DTLS_1_2 for a secure socket, or
 *              any host protocol (0, NET_IPPROTO_TCP, ...).
 *
 * @return A descriptor, or -1 with errno set.
 * @retval EAFNOSUPPORT A secure protocol with a family other than IPv4/IPv6.
 * @retval EPROTOTYPE A TLS protocol with a datagram type, or DTLS with a stream type.
 * @retval EPROTONOSUPPORT The host knows no such protocol (plain sockets).
 * @retval EINVAL Unknown type or flags (host).
 * @retval EMFILE The process has no free descriptor (host).
 * @retval ENFILE The system has no free descriptor (host).
 * @retval ENOMEM Out of memory.
 */
SECSOCK_API int zsock_socket(int family, int type, int proto);

/**
 * @brief Create a connected pair of plain sockets, as the host's socketpair().
 *
 * @param family NET_AF_UNIX (the only family Linux supports).
 * @param type NET_SOCK_STREAM, NET_SOCK_DGRAM or NET_SOCK_SEQPACKET.
 * @param proto 0.
 * @param sv Receives the two descriptors.
 *
 * @retval 0 Created.
 * @retval -1 Failed, errno set:
 * @retval EPROTONOSUPPORT A secure protocol (TLS needs a network peer), or another
 *                         protocol the host does not support.
 * @retval EAFNOSUPPORT A family other than NET_AF_UNIX (host).
 * @retval EOPNOTSUPP The family has no socket pairs (host).
 * @retval EFAULT @p sv is not valid memory (host).
 * @retval EMFILE No free descriptor (host).
 */
SECSOCK_API int zsock_socketpair(int family, int type, int proto, int *sv);

/**
 * @brief Close a socket. A secure socket sends close_notify; its number is
 *        dead at once (docs/zephyr-behaviour.md §3.8).
 *
 * @param sock Descriptor.
 *
 * @retval 0 Closed.
 * @retval -1 Failed, errno set:
 * @retval EBADF Not an open descriptor, or a secure socket closed already.
 * @retval EINTR A signal interrupted the host's close() (plain descriptors).
 * @retval EIO An I/O error of the host's close() (plain descriptors).
 */
SECSOCK_API int zsock_close(int sock);

/**
 * @brief Shut down part of a connection.
 *
 * On a secure socket only ZSOCK_SHUT_RD is supported, as in Zephyr: later
 * receives return 0 and blocked ones wake.
 *
 * @param sock Socket.
 * @param how ZSOCK_SHUT_RD, ZSOCK_SHUT_WR or ZSOCK_SHUT_RDWR.
 *
 * @retval 0 Done.
 * @retval -1 Failed, errno set:
 * @retval ENOTSUP ZSOCK_SHUT_WR or ZSOCK_SHUT_RDWR on a secure socket.
 * @retval EINVAL @p how is not one of the three values.
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 * @retval ENOTCONN A plain socket that is not connected (host).
 */
SECSOCK_API int zsock_shutdown(int sock, int how);

/**
 * @brief Bind a socket to a local address (the host's bind(), secure sockets included).
 *
 * @param sock Socket.
 * @param addr Local address (struct net_sockaddr_in or net_sockaddr_in6, cast).
 * @param addrlen Size of *@p addr.
 *
 * @retval 0 Bound.
 * @retval -1 Failed, errno set:
 * @retval EADDRINUSE The address is in use.
 * @retval EADDRNOTAVAIL The address is not local.
 * @retval EACCES A privileged port.
 * @retval EINVAL Bound already, or a bad @p addrlen.
 * @retval EAFNOSUPPORT A family the socket does not have.
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket.
 */
SECSOCK_API int zsock_bind(int sock, const struct net_sockaddr *addr, net_socklen_t addrlen);

/**
 * @brief Connect to a peer; a TLS socket also runs the handshake, a DTLS one
 *        too unless TLS_DTLS_HANDSHAKE_ON_CONNECT is 0.
 *
 * The handshake blocks up to 10 s even on a non-blocking socket, as in
 * Zephyr, unless SECSOCK_TLS_ASYNC_HANDSHAKE is set (<secsock/secsock.h>).
 *
 * @param sock Socket.
 * @param addr Peer address.
 * @param addrlen Size of *@p addr.
 *
 * @retval 0 Connected (and the handshake done).
 * @retval -1 Failed, errno set:
 * @retval ECONNABORTED The handshake failed: an alert, a certificate that did not
 *                      verify, no common suite or ALPN protocol, garbage, or the peer left.
 * @retval ETIMEDOUT The TCP connection or the handshake took too long, or DTLS
 *                   retransmissions gave up.
 * @retval ECONNREFUSED Nothing listens at @p addr.
 * @retval EAGAIN The handshake of a non-blocking socket timed out.
 * @retval EINPROGRESS A non-blocking plain socket, or an asynchronous handshake, started.
 * @retval EALREADY An asynchronous handshake is still running.
 * @retval EISCONN Connected already.
 * @retval EINTR Closed by another thread during the handshake, or a signal (host).
 * @retval ENOENT A tag of TLS_SEC_TAG_LIST holds no credential any more.
 * @retval EINVAL A credential cannot be used, or bad arguments.
 * @retval ENOMEM Out of memory.
 * @retval ENETUNREACH No route to @p addr (host).
 * @retval EAFNOSUPPORT @p addr has another family (host).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API int zsock_connect(int sock, const struct net_sockaddr *addr, net_socklen_t addrlen);

/**
 * @brief Listen for connections.
 *
 * @param sock Stream socket.
 * @param backlog Queue length, at most ZSOCK_SOMAXCONN.
 *
 * @retval 0 Listening.
 * @retval -1 Failed, errno set:
 * @retval EOPNOTSUPP A DTLS socket (a DTLS server uses TLS_DTLS_ROLE instead), or a
 *                    datagram socket (host).
 * @retval EADDRINUSE Another socket listens on the port (host).
 * @retval ENOMEM Out of memory.
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API int zsock_listen(int sock, int backlog);

/**
 * @brief Accept a connection; on a TLS socket also run the server handshake.
 *
 * @param sock Listening socket.
 * @param addr Receives the peer's address, or NULL.
 * @param addrlen In: size of *@p addr. Out: size of the address. NULL with @p addr.
 *
 * @return The new socket, or -1 with errno set.
 * @retval ECONNABORTED The handshake failed (see zsock_connect()).
 * @retval ETIMEDOUT The handshake took longer than 10 s.
 * @retval EAGAIN Non-blocking and no connection waiting, or SO_RCVTIMEO expired.
 * @retval EINTR The socket was closed by another thread, or a signal (host).
 * @retval EOPNOTSUPP A DTLS socket, or a datagram socket (host).
 * @retval EINVAL Not listening.
 * @retval ENOMEM Out of memory.
 * @retval EMFILE No free descriptor (host).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API int zsock_accept(int sock, struct net_sockaddr *addr, net_socklen_t *addrlen);

/**
 * @brief Send to a connected peer; see zsock_sendto().
 *
 * @param sock Socket.
 * @param buf Data.
 * @param len Bytes in @p buf.
 * @param flags ZSOCK_MSG_DONTWAIT or 0.
 *
 * @return Bytes sent, or -1 with errno set; the errno values of zsock_sendto().
 * @retval EAGAIN Would block, or SO_SNDTIMEO expired.
 * @retval ECONNABORTED The connection ended (peer's close_notify, an engine error).
 * @retval ENOTCONN Not connected, or the handshake has not completed.
 * @retval EPIPE The peer closed a plain socket (host).
 */
SECSOCK_API ssize_t zsock_send(int sock, const void *buf, size_t len, int flags);

/**
 * @brief Send data; on a secure socket encrypted as one or more records.
 *
 * @param sock Socket.
 * @param buf Data.
 * @param len Bytes in @p buf.
 * @param flags ZSOCK_MSG_DONTWAIT or 0.
 * @param dest_addr Destination of a datagram, or NULL for the connected peer.
 * @param addrlen Size of *@p dest_addr.
 *
 * @return Bytes sent, or -1 with errno set.
 * @retval EAGAIN Would block, or SO_SNDTIMEO expired.
 * @retval ECONNABORTED The connection ended: the peer's close_notify, an engine error.
 * @retval ENOTCONN Not connected; a DTLS server to a peer without a session.
 * @retval EISCONN A DTLS client sending to another address than its peer.
 * @retval EDESTADDRREQ A DTLS client without a peer and without @p dest_addr.
 * @retval EMSGSIZE A datagram or DTLS record too large.
 * @retval ETIMEDOUT A DTLS handshake started by this call timed out.
 * @retval EINTR The socket was closed by another thread, or a signal (host).
 * @retval EFAULT @p buf is NULL with @p len above 0.
 * @retval ENOMEM Out of memory.
 * @retval EPIPE The peer closed a plain socket (host).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API ssize_t zsock_sendto(int sock, const void *buf, size_t len, int flags,
				 const struct net_sockaddr *dest_addr, net_socklen_t addrlen);

/**
 * @brief Send a message; on a secure stream each non-empty element in turn, on a
 *        DTLS socket at most one non-empty element.
 *
 * @param sock Socket.
 * @param msg Message: destination, data elements, control data.
 * @param flags ZSOCK_MSG_DONTWAIT or 0.
 *
 * @return Bytes sent, or -1 with errno set; besides those of zsock_sendto():
 * @retval EINVAL @p msg NULL, or elements without a vector.
 * @retval EMSGSIZE DTLS: more than one non-empty element.
 * @retval EAGAIN Would block.
 * @retval ECONNABORTED The connection ended.
 */
SECSOCK_API ssize_t zsock_sendmsg(int sock, const struct net_msghdr *msg, int flags);

/**
 * @brief Receive from a connected peer; see zsock_recvfrom().
 *
 * @param sock Socket.
 * @param buf Buffer.
 * @param max_len Size of @p buf.
 * @param flags ZSOCK_MSG_DONTWAIT, ZSOCK_MSG_WAITALL, ZSOCK_MSG_PEEK (plain only), or 0.
 *
 * @return Bytes received, 0 at the end of the stream, or -1 with errno set; the
 *         errno values of zsock_recvfrom().
 * @retval EAGAIN Nothing to read and non-blocking, or SO_RCVTIMEO expired.
 * @retval EIO An engine error (the connection is then dead).
 * @retval ECONNABORTED The connection failed earlier.
 */
SECSOCK_API ssize_t zsock_recv(int sock, void *buf, size_t max_len, int flags);

/**
 * @brief Receive data; on a secure socket decrypted application data only.
 *
 * @param sock Socket.
 * @param buf Buffer.
 * @param max_len Size of @p buf.
 * @param flags ZSOCK_MSG_DONTWAIT, ZSOCK_MSG_WAITALL, ZSOCK_MSG_TRUNC (DTLS),
 *              ZSOCK_MSG_PEEK (plain sockets only), or 0.
 * @param src_addr Receives the sender's address, or NULL.
 * @param addrlen In: size of *@p src_addr. Out: size of the address.
 *
 * @return Bytes received, 0 at the end of the stream (or after ZSOCK_SHUT_RD),
 *         or -1 with errno set.
 * @retval EAGAIN Nothing to read and non-blocking, or SO_RCVTIMEO expired.
 * @retval EIO An engine error on a TLS socket (later calls: ECONNABORTED).
 * @retval ECONNABORTED The connection failed earlier (a latched error).
 * @retval ENOTCONN A DTLS client before its handshake.
 * @retval ENOTSUP ZSOCK_MSG_PEEK on a secure socket.
 * @retval ETIMEDOUT A DTLS handshake started by this call timed out.
 * @retval EINTR The socket was closed by another thread, or a signal (host).
 * @retval EFAULT @p buf is NULL with @p max_len above 0.
 * @retval ENOMEM Out of memory.
 * @retval ECONNREFUSED An ICMP error for a plain UDP socket (host).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API ssize_t zsock_recvfrom(int sock, void *buf, size_t max_len, int flags,
				   struct net_sockaddr *src_addr, net_socklen_t *addrlen);

/**
 * @brief Receive a message (plain sockets; Zephyr has none for secure sockets).
 *
 * @param sock Socket.
 * @param msg Message: address, data elements, control data; filled in.
 * @param flags ZSOCK_MSG_* flags.
 *
 * @return Bytes received, or -1 with errno set.
 * @retval EOPNOTSUPP A secure socket.
 * @retval EAGAIN Nothing to read and non-blocking (host).
 * @retval EINVAL Bad arguments (host).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API ssize_t zsock_recvmsg(int sock, struct net_msghdr *msg, int flags);

/**
 * @brief Set a socket option: ZSOCK_SOL_TLS options on secure sockets
 *        (docs/zephyr-behaviour.md §1.3), every other level the host's.
 *
 * @param sock Socket.
 * @param level ZSOCK_SOL_TLS, ZSOCK_SOL_SOCKET, NET_IPPROTO_TCP, ...
 * @param optname Option.
 * @param optval Value.
 * @param optlen Size of *@p optval.
 *
 * @retval 0 Set.
 * @retval -1 Failed, errno set:
 * @retval EINVAL A bad value or length.
 * @retval ENOPROTOOPT Unknown option, or a read-only one.
 * @retval ENOENT TLS_SEC_TAG_LIST names a tag that holds no credential.
 * @retval ENOMEM Out of memory.
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API int zsock_setsockopt(int sock, int level, int optname, const void *optval,
				 net_socklen_t optlen);

/**
 * @brief Get a socket option (see zsock_setsockopt()).
 *
 * @param sock Socket.
 * @param level Option level.
 * @param optname Option.
 * @param optval Receives the value.
 * @param optlen In: size of *@p optval. Out: size of the value.
 *
 * @retval 0 Done.
 * @retval -1 Failed, errno set:
 * @retval EINVAL NULL arguments or a bad length.
 * @retval ENOPROTOOPT Unknown option, or a write-only one.
 * @retval ENOTCONN A value that only a completed handshake has (TLS_CIPHERSUITE_USED, ...).
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket (host).
 */
SECSOCK_API int zsock_getsockopt(int sock, int level, int optname, void *optval,
				 net_socklen_t *optlen);

/**
 * @brief Wait for events on descriptors, like POSIX poll(); any mix of secure
 *        and plain descriptors.
 *
 * A secure socket reports ZSOCK_POLLIN for decrypted data, a close_notify or
 * an error, never for handshake or ticket records alone
 * (docs/zephyr-behaviour.md §3.6).
 *
 * @param fds Descriptors and requested events; revents filled in.
 * @param nfds Number of entries in @p fds.
 * @param timeout Milliseconds; -1 waits without limit, 0 does not wait.
 *
 * @return Number of entries with events, 0 on timeout, -1 with errno set.
 * @retval EINVAL @p nfds negative or above the host's limit.
 * @retval EINTR A signal interrupted the wait.
 * @retval ENOMEM Out of memory.
 * @retval EFAULT @p fds is not valid memory (host).
 */
SECSOCK_API int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout);

/**
 * @brief fcntl() on a socket, variadic as Zephyr's: ZSOCK F_GETFL needs no third
 *        argument, F_SETFL takes the flags.
 *
 * On a secure socket F_GETFL reports the application's O_NONBLOCK and F_SETFL
 * sets it (the kernel socket underneath always stays non-blocking); other
 * commands reach the kernel socket. Plain descriptors get the host's fcntl().
 *
 * @param sock Descriptor.
 * @param cmd F_GETFL, F_SETFL or another host fcntl command.
 *
 * @return F_GETFL: the flags; F_SETFL: 0; other commands: the host's result;
 *         -1 with errno set on failure.
 * @retval EBADF Not an open descriptor, or a closed secure socket.
 * @retval EINVAL A command the host does not know.
 */
SECSOCK_API int zsock_fcntl(int sock, int cmd, ...);

/**
 * @brief Zephyr's fixed-argument form of zsock_fcntl().
 *
 * @param sock Descriptor.
 * @param cmd F_GETFL or F_SETFL (or another command taking an int).
 * @param flags F_SETFL: the new flags; ignored by F_GETFL.
 *
 * @return As zsock_fcntl().
 * @retval EBADF Not an open descriptor.
 * @retval EINVAL A command the host does not know.
 */
static inline int zsock_fcntl_impl(int sock, int cmd, int flags)
{
	return zsock_fcntl(sock, cmd, flags);
}

/**
 * @brief ioctl() on a socket.
 *
 * On a secure socket ZFD_IOCTL_FIONBIO sets the application's non-blocking
 * mode; nothing else is supported (no byte count of decrypted data). Plain
 * descriptors get the host's ioctl().
 *
 * @param sock Descriptor.
 * @param request ZFD_IOCTL_FIONBIO, ZFD_IOCTL_FIONREAD, ... (the host's numbers).
 *
 * @return 0 or the host's result; -1 with errno set on failure.
 * @retval EOPNOTSUPP Any request but ZFD_IOCTL_FIONBIO on a secure socket.
 * @retval ENOTTY The host does not know @p request.
 * @retval EFAULT The argument is not valid memory (host).
 * @retval EBADF Not an open descriptor.
 */
SECSOCK_API int zsock_ioctl(int sock, unsigned long request, ...);

/**
 * @brief zsock_ioctl() with its argument in a va_list, as Zephyr's zsock_ioctl_impl.
 *
 * @param sock Descriptor.
 * @param request Request.
 * @param ap The request's argument (one pointer).
 *
 * @return As zsock_ioctl().
 * @retval EOPNOTSUPP Any request but ZFD_IOCTL_FIONBIO on a secure socket.
 * @retval ENOTTY The host does not know @p request.
 * @retval EBADF Not an open descriptor.
 */
SECSOCK_API int zsock_ioctl_impl(int sock, unsigned long request, va_list ap);

/**
 * @brief Local address of a socket (the host's getsockname()).
 *
 * @param sock Socket.
 * @param addr Receives the address.
 * @param addrlen In: size of *@p addr. Out: size of the address.
 *
 * @retval 0 Done.
 * @retval -1 Failed, errno set:
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket.
 * @retval EINVAL Bad @p addrlen.
 * @retval EFAULT Bad pointers.
 */
SECSOCK_API int zsock_getsockname(int sock, struct net_sockaddr *addr, net_socklen_t *addrlen);

/**
 * @brief Peer address of a connected socket (the host's getpeername()).
 *
 * @param sock Socket.
 * @param addr Receives the address.
 * @param addrlen In: size of *@p addr. Out: size of the address.
 *
 * @retval 0 Done.
 * @retval -1 Failed, errno set:
 * @retval ENOTCONN Not connected.
 * @retval EBADF Not an open descriptor.
 * @retval ENOTSOCK Not a socket.
 * @retval EINVAL Bad @p addrlen.
 * @retval EFAULT Bad pointers.
 */
SECSOCK_API int zsock_getpeername(int sock, struct net_sockaddr *addr, net_socklen_t *addrlen);

/**
 * @brief Host name (the host's gethostname()).
 *
 * @param buf Buffer.
 * @param len Size of @p buf.
 *
 * @retval 0 Done.
 * @retval -1 Failed, errno set:
 * @retval ENAMETOOLONG @p buf is too small.
 * @retval EFAULT @p buf is not valid memory.
 */
SECSOCK_API int zsock_gethostname(char *buf, size_t len);

/**
 * @brief Binary address to text (the host's inet_ntop()).
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param src struct net_in_addr or struct net_in6_addr.
 * @param dst Buffer.
 * @param size Size of @p dst.
 *
 * @return @p dst, or NULL with errno set.
 * @retval EAFNOSUPPORT Another family.
 * @retval ENOSPC @p dst is too small.
 */
SECSOCK_API char *zsock_inet_ntop(net_sa_family_t family, const void *src, char *dst, size_t size);

/**
 * @brief Text address to binary (the host's inet_pton()).
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param src NUL-terminated address.
 * @param dst struct net_in_addr or struct net_in6_addr to fill.
 *
 * @retval 1 Converted.
 * @retval 0 @p src is not an address of @p family.
 * @retval -1 Another family; errno EAFNOSUPPORT.
 * @retval EAFNOSUPPORT (errno) @p family is neither NET_AF_INET nor NET_AF_INET6.
 */
SECSOCK_API int zsock_inet_pton(net_sa_family_t family, const char *src, void *dst);

/**
 * @brief Resolve a host and service with the host's resolver.
 *
 * @param host Name or numeric address, or NULL.
 * @param service Service name or port number, or NULL.
 * @param hints Family, type, protocol and ZSOCK_AI_* flags wanted, or NULL
 *              (ai_eflags and ZSOCK_AI_EXTFLAGS are ignored on a host).
 * @param res Receives the list; free it with zsock_freeaddrinfo().
 *
 * @retval 0 Resolved.
 * @retval DNS_EAI_NONAME Unknown name or service.
 * @retval DNS_EAI_AGAIN Temporary failure.
 * @retval DNS_EAI_FAIL Non-recoverable failure.
 * @retval DNS_EAI_NODATA No address for the name.
 * @retval DNS_EAI_FAMILY ai_family not supported.
 * @retval DNS_EAI_SOCKTYPE ai_socktype not supported.
 * @retval DNS_EAI_SERVICE Service not available for the socket type.
 * @retval DNS_EAI_BADFLAGS Bad ai_flags.
 * @retval DNS_EAI_ADDRFAMILY No address of the family for the name.
 * @retval DNS_EAI_MEMORY Out of memory.
 * @retval DNS_EAI_SYSTEM A system error, in errno.
 */
SECSOCK_API int zsock_getaddrinfo(const char *host, const char *service,
				  const struct zsock_addrinfo *hints, struct zsock_addrinfo **res);

/**
 * @brief Free a list from zsock_getaddrinfo().
 *
 * @param ai The list (NULL is allowed).
 */
SECSOCK_API void zsock_freeaddrinfo(struct zsock_addrinfo *ai);

/**
 * @brief Text for a zsock_getaddrinfo() / zsock_getnameinfo() result.
 *
 * @param errcode 0 or a DNS_EAI_* value.
 *
 * @return A static string (the host's gai_strerror()).
 */
SECSOCK_API const char *zsock_gai_strerror(int errcode);

/**
 * @brief Address to host and service names (the host's getnameinfo()).
 *
 * @param addr Socket address.
 * @param addrlen Size of *@p addr.
 * @param host Receives the host name or numeric address, or NULL.
 * @param hostlen Size of @p host (ZSOCK_NI_MAXHOST is enough).
 * @param serv Receives the service name or port, or NULL.
 * @param servlen Size of @p serv.
 * @param flags ZSOCK_NI_* flags.
 *
 * @retval 0 Done.
 * @retval DNS_EAI_NONAME No name for the address (with ZSOCK_NI_NAMEREQD), or
 *                        neither @p host nor @p serv asked for.
 * @retval DNS_EAI_AGAIN Temporary failure.
 * @retval DNS_EAI_FAIL Non-recoverable failure.
 * @retval DNS_EAI_FAMILY Unknown address family, or @p addrlen wrong for it.
 * @retval DNS_EAI_BADFLAGS Bad @p flags.
 * @retval DNS_EAI_OVERFLOW @p host or @p serv is too small.
 * @retval DNS_EAI_MEMORY Out of memory.
 * @retval DNS_EAI_SYSTEM A system error, in errno.
 */
SECSOCK_API int zsock_getnameinfo(const struct net_sockaddr *addr, net_socklen_t addrlen,
				  char *host, net_socklen_t hostlen, char *serv,
				  net_socklen_t servlen, int flags);

/** @cond INTERNAL_HIDDEN */
/*
 * Zephyr's socket registration (NET_SOCKET_REGISTER, NET_SOCKET_OFFLOAD_REGISTER)
 * plugs socket families into Zephyr's own IP stack; a host has none.
 */
#ifdef __cplusplus
#define SECSOCK_NO_REGISTRATION                                                                    \
	static_assert(false, "secsock: socket registration and offloading do not exist on a host")
#else
#define SECSOCK_NO_REGISTRATION                                                                    \
	_Static_assert(0, "secsock: socket registration and offloading do not exist on a host")
#endif
#define NET_SOCKET_REGISTER(socket_name, prio, _family, _is_supported, _handler)                   \
	SECSOCK_NO_REGISTRATION
#define NET_SOCKET_OFFLOAD_REGISTER(socket_name, prio, _family, _is_supported, _handler)           \
	SECSOCK_NO_REGISTRATION
/** @endcond */

#ifdef __cplusplus
}
#endif

/* The pre-4.4 spellings: TLS_*, SOL_TLS, and POSIX names strict modes lack. */
#include <zephyr/net/net_compat.h>

#endif /* SECSOCK_ZEPHYR_NET_SOCKET_H */
