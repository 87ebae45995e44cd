/*
 * secsock: Zephyr 4.4's <zephyr/net/net_compat.h> for Linux hosts.
 *
 * Zephyr 4.4 moved its network names to NET_* / net_* / ZSOCK_* and keeps
 * the old spellings here. On a host the POSIX spellings (AF_INET,
 * struct sockaddr, SO_REUSEADDR, htons, ...) are the C library's own, so
 * this header adds only what the C library lacks:
 *
 * - the TLS names of Zephyr's secure sockets (IPPROTO_TLS_1_2, SOL_TLS,
 *   TLS_HOSTNAME, ...), always;
 * - POSIX names that the C library declares only with feature-test macros
 *   (AI_PASSIVE, NI_NUMERICHOST, SO_PROTOCOL, ... under -std=c11), each only
 *   if it is not defined already, with the same value.
 *
 * IFNAMSIZ is the C library's (<net/if.h>), not defined here.
 *
 * Unlike Zephyr's, it may be included directly; <zephyr/net/socket.h>
 * includes it at its end. A name maps to a ZSOCK_* or NET_* name of
 * <zephyr/net/socket.h>. IPPROTO_TLS_1_0 ... IPPROTO_DTLS_1_2 are in
 * <zephyr/net/net_ip.h>. The C library's headers that define the POSIX names
 * are included first, so a name defined here is never redefined later.
 */
#ifndef SECSOCK_ZEPHYR_NET_NET_COMPAT_H
#define SECSOCK_ZEPHYR_NET_NET_COMPAT_H

#include <netdb.h>
#include <sys/socket.h>
#include <zephyr/net/socket.h>

/* ---- secure sockets (always) ---- */

/* glibc defines SOL_TLS 282 itself with _DEFAULT_SOURCE; the same number */
#ifndef SOL_TLS
#define SOL_TLS ZSOCK_SOL_TLS
#endif

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

#define tls_cert_verify_cb zsock_tls_cert_verify_cb

/* ---- POSIX names the C library may leave undefined in strict modes ---- */

#ifndef IPPROTO_ETH_P_ALL
#define IPPROTO_ETH_P_ALL NET_IPPROTO_ETH_P_ALL
#endif
/*
 * TCP_* with exactly the tokens of glibc's <netinet/tcp.h> and the kernel's
 * <linux/tcp.h>, so either may still be included afterwards (neither is included
 * here: the two conflict with each other).
 */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 4
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 5
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 6
#endif

#ifndef AI_PASSIVE
#define AI_PASSIVE ZSOCK_AI_PASSIVE
#endif
#ifndef AI_CANONNAME
#define AI_CANONNAME ZSOCK_AI_CANONNAME
#endif
#ifndef AI_NUMERICHOST
#define AI_NUMERICHOST ZSOCK_AI_NUMERICHOST
#endif
#ifndef AI_V4MAPPED
#define AI_V4MAPPED ZSOCK_AI_V4MAPPED
#endif
#ifndef AI_ALL
#define AI_ALL ZSOCK_AI_ALL
#endif
#ifndef AI_ADDRCONFIG
#define AI_ADDRCONFIG ZSOCK_AI_ADDRCONFIG
#endif
#ifndef AI_NUMERICSERV
#define AI_NUMERICSERV ZSOCK_AI_NUMERICSERV
#endif
#ifndef AI_EXTFLAGS
#define AI_EXTFLAGS ZSOCK_AI_EXTFLAGS
#endif

#ifndef NI_NUMERICHOST
#define NI_NUMERICHOST ZSOCK_NI_NUMERICHOST
#endif
#ifndef NI_NUMERICSERV
#define NI_NUMERICSERV ZSOCK_NI_NUMERICSERV
#endif
#ifndef NI_NOFQDN
#define NI_NOFQDN ZSOCK_NI_NOFQDN
#endif
#ifndef NI_NAMEREQD
#define NI_NAMEREQD ZSOCK_NI_NAMEREQD
#endif
#ifndef NI_DGRAM
#define NI_DGRAM ZSOCK_NI_DGRAM
#endif
#ifndef NI_MAXHOST
#define NI_MAXHOST ZSOCK_NI_MAXHOST
#endif

#ifndef SO_PRIORITY
#define SO_PRIORITY ZSOCK_SO_PRIORITY
#endif
#ifndef SO_REUSEPORT
#define SO_REUSEPORT ZSOCK_SO_REUSEPORT
#endif
#ifndef SO_BINDTODEVICE
#define SO_BINDTODEVICE ZSOCK_SO_BINDTODEVICE
#endif
#ifndef SO_PROTOCOL
#define SO_PROTOCOL ZSOCK_SO_PROTOCOL
#endif
#ifndef SO_DOMAIN
#define SO_DOMAIN ZSOCK_SO_DOMAIN
#endif
#ifndef SO_TXTIME
#define SO_TXTIME ZSOCK_SO_TXTIME
#endif
#ifndef SO_SOCKS5
#define SO_SOCKS5 ZSOCK_SO_SOCKS5
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME ZSOCK_SCM_TXTIME
#endif
/* SOF_TIMESTAMPING_*: enumerators of <linux/net_tstamp.h>; use the ZSOCK_ spelling */

#ifndef IPV6_PREFER_SRC_TMP
#define IPV6_PREFER_SRC_TMP            ZSOCK_IPV6_PREFER_SRC_TMP
#define IPV6_PREFER_SRC_PUBLIC         ZSOCK_IPV6_PREFER_SRC_PUBLIC
#define IPV6_PREFER_SRC_PUBTMP_DEFAULT ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT
#define IPV6_PREFER_SRC_COA            ZSOCK_IPV6_PREFER_SRC_COA
#define IPV6_PREFER_SRC_HOME           ZSOCK_IPV6_PREFER_SRC_HOME
#define IPV6_PREFER_SRC_CGA            ZSOCK_IPV6_PREFER_SRC_CGA
#define IPV6_PREFER_SRC_NONCGA         ZSOCK_IPV6_PREFER_SRC_NONCGA
#endif

#endif /* SECSOCK_ZEPHYR_NET_NET_COMPAT_H */
