/*
 * secsock: Zephyr's <zephyr/net/net_ip.h> for POSIX hosts.
 *
 * Address families, socket types and struct sockaddr are the host's own
 * (a Zephyr program on Linux talks to Linux's kernel), so the NET_AF_*,
 * NET_SOCK_* and NET_IPPROTO_{TCP,UDP} names map to host values. The secure
 * protocol numbers keep Zephyr's values exactly.
 */
#ifndef SECSOCK_ZEPHYR_NET_NET_IP_H
#define SECSOCK_ZEPHYR_NET_NET_IP_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Secure protocol numbers, as Zephyr's enum net_ip_protocol_secure. */
enum net_ip_protocol_secure {
	NET_IPPROTO_TLS_1_0 = 256,  /**< TLS 1.0 (Mbed TLS 3.6 speaks 1.2+) */
	NET_IPPROTO_TLS_1_1 = 257,  /**< TLS 1.1 (Mbed TLS 3.6 speaks 1.2+) */
	NET_IPPROTO_TLS_1_2 = 258,  /**< TLS 1.2 or newer */
	NET_IPPROTO_TLS_1_3 = 259,  /**< TLS 1.3 only */
	NET_IPPROTO_DTLS_1_0 = 272, /**< DTLS 1.0 (Mbed TLS 3.6 speaks 1.2) */
	NET_IPPROTO_DTLS_1_2 = 273, /**< DTLS 1.2 */
};

/* Zephyr < 4.4 spelling */
#define IPPROTO_TLS_1_0  NET_IPPROTO_TLS_1_0
#define IPPROTO_TLS_1_1  NET_IPPROTO_TLS_1_1
#define IPPROTO_TLS_1_2  NET_IPPROTO_TLS_1_2
#define IPPROTO_TLS_1_3  NET_IPPROTO_TLS_1_3
#define IPPROTO_DTLS_1_0 NET_IPPROTO_DTLS_1_0
#define IPPROTO_DTLS_1_2 NET_IPPROTO_DTLS_1_2

/* Host values for the Zephyr 4.4+ namespaced names. */
#ifndef NET_AF_UNSPEC
#define NET_AF_UNSPEC AF_UNSPEC
#endif
#ifndef NET_AF_INET
#define NET_AF_INET AF_INET
#endif
#ifndef NET_AF_INET6
#define NET_AF_INET6 AF_INET6
#endif
#ifndef NET_SOCK_STREAM
#define NET_SOCK_STREAM SOCK_STREAM
#endif
#ifndef NET_SOCK_DGRAM
#define NET_SOCK_DGRAM SOCK_DGRAM
#endif
#ifndef NET_IPPROTO_TCP
#define NET_IPPROTO_TCP IPPROTO_TCP
#endif
#ifndef NET_IPPROTO_UDP
#define NET_IPPROTO_UDP IPPROTO_UDP
#endif

/* Zephyr's address type names, as the host's. */
#define net_sockaddr         sockaddr
#define net_sockaddr_in      sockaddr_in
#define net_sockaddr_in6     sockaddr_in6
#define net_sockaddr_storage sockaddr_storage
#define net_socklen_t        socklen_t
#define net_in_addr          in_addr
#define net_in6_addr         in6_addr
#define net_sa_family_t      sa_family_t

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_NET_IP_H */
