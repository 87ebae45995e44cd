/*
 * secsock: Zephyr's <zephyr/net/net_ip.h> for Linux hosts.
 *
 * A Zephyr program on Linux talks to Linux's kernel, so every number the
 * kernel sees (address families, socket types, IP protocol numbers) has the
 * host's value and every address type is the host's own struct: a
 * struct net_sockaddr_in IS a struct sockaddr_in. The secure protocol numbers
 * keep Zephyr's values. Where a value differs from Zephyr's, and which Zephyr
 * names are absent and why: docs/zephyr-names.md.
 *
 * Compiles on its own in C99, C11 and C++ (no feature-test macro needed).
 */
#ifndef SECSOCK_ZEPHYR_NET_NET_IP_H
#define SECSOCK_ZEPHYR_NET_NET_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SECSOCK_API
#define SECSOCK_API __attribute__((visibility("default")))
#endif

/* ---- protocol and address families: the host's ---- */

#define NET_PF_UNSPEC PF_UNSPEC /**< Unspecified protocol family */
#define NET_PF_INET   PF_INET   /**< IPv4 */
#define NET_PF_INET6  PF_INET6  /**< IPv6 */
#define NET_PF_PACKET PF_PACKET /**< Packet sockets */
#define NET_PF_CAN    PF_CAN    /**< Controller Area Network (SocketCAN) */
#define NET_PF_LOCAL  PF_LOCAL  /**< Local (Unix domain) sockets */
#define NET_PF_UNIX   PF_UNIX   /**< Same as NET_PF_LOCAL */

#define NET_AF_UNSPEC AF_UNSPEC /**< Unspecified address family */
#define NET_AF_INET   AF_INET   /**< IPv4 */
#define NET_AF_INET6  AF_INET6  /**< IPv6 */
#define NET_AF_PACKET AF_PACKET /**< Packet sockets */
#define NET_AF_CAN    AF_CAN    /**< Controller Area Network (SocketCAN) */
#define NET_AF_LOCAL  AF_LOCAL  /**< Local (Unix domain) sockets */
#define NET_AF_UNIX   AF_UNIX   /**< Same as NET_AF_LOCAL */

/** IP protocol numbers (IANA; identical on Zephyr and Linux). */
enum net_ip_protocol {
	NET_IPPROTO_IP = 0,        /**< IP (level for setsockopt) */
	NET_IPPROTO_ICMP = 1,      /**< ICMP */
	NET_IPPROTO_IGMP = 2,      /**< IGMP */
	NET_IPPROTO_ETH_P_ALL = 3, /**< Every packet (Linux ETH_P_ALL), for packet sockets */
	NET_IPPROTO_IPIP = 4,      /**< IPIP tunnels */
	NET_IPPROTO_TCP = 6,       /**< TCP */
	NET_IPPROTO_UDP = 17,      /**< UDP */
	NET_IPPROTO_IPV6 = 41,     /**< IPv6 (level for setsockopt) */
	NET_IPPROTO_ICMPV6 = 58,   /**< ICMPv6 */
	NET_IPPROTO_SCTP = 132,    /**< SCTP */
	NET_IPPROTO_RAW = 255,     /**< Raw IP packets */
};

/** Secure protocol numbers: Zephyr's values (docs/zephyr-behaviour.md §1.1). */
enum net_ip_protocol_secure {
	NET_IPPROTO_TLS_1_0 = 256,  /**< TLS, no minimum version (Mbed TLS 3.6 speaks 1.2+) */
	NET_IPPROTO_TLS_1_1 = 257,  /**< TLS, no minimum version (Mbed TLS 3.6 speaks 1.2+) */
	NET_IPPROTO_TLS_1_2 = 258,  /**< TLS 1.2 or newer */
	NET_IPPROTO_TLS_1_3 = 259,  /**< TLS 1.3 only */
	NET_IPPROTO_DTLS_1_0 = 272, /**< DTLS, no minimum version (Mbed TLS 3.6 speaks 1.2) */
	NET_IPPROTO_DTLS_1_2 = 273, /**< DTLS 1.2 */
};

/* Zephyr < 4.4 spelling of the secure protocol numbers */
#define IPPROTO_TLS_1_0  NET_IPPROTO_TLS_1_0  /**< Legacy name of NET_IPPROTO_TLS_1_0 */
#define IPPROTO_TLS_1_1  NET_IPPROTO_TLS_1_1  /**< Legacy name of NET_IPPROTO_TLS_1_1 */
#define IPPROTO_TLS_1_2  NET_IPPROTO_TLS_1_2  /**< Legacy name of NET_IPPROTO_TLS_1_2 */
#define IPPROTO_TLS_1_3  NET_IPPROTO_TLS_1_3  /**< Legacy name of NET_IPPROTO_TLS_1_3 */
#define IPPROTO_DTLS_1_0 NET_IPPROTO_DTLS_1_0 /**< Legacy name of NET_IPPROTO_DTLS_1_0 */
#define IPPROTO_DTLS_1_2 NET_IPPROTO_DTLS_1_2 /**< Legacy name of NET_IPPROTO_DTLS_1_2 */

/** Socket types: the host's values (identical to Zephyr's 1, 2, 3). */
enum net_sock_type {
	NET_SOCK_STREAM = SOCK_STREAM,       /**< Stream socket */
	NET_SOCK_DGRAM = SOCK_DGRAM,         /**< Datagram socket */
	NET_SOCK_RAW = SOCK_RAW,             /**< Raw socket */
	NET_SOCK_SEQPACKET = SOCK_SEQPACKET, /**< Sequenced-packet socket */
};

/* ---- byte order: constant expressions, usable in static initialisers ---- */

/** @cond INTERNAL_HIDDEN */
#define SECSOCK_BSWAP16(x) ((uint16_t)((((uint16_t)(x)&0x00ffU) << 8) | (((uint16_t)(x)) >> 8)))
#define SECSOCK_BSWAP32(x)                                                                         \
	((uint32_t)((((uint32_t)(x)&0x000000ffUL) << 24) | (((uint32_t)(x)&0x0000ff00UL) << 8) |   \
		    (((uint32_t)(x)&0x00ff0000UL) >> 8) | (((uint32_t)(x)&0xff000000UL) >> 24)))
#define SECSOCK_BSWAP64(x)                                                                         \
	((uint64_t)(((uint64_t)SECSOCK_BSWAP32((uint64_t)(x)&0xffffffffULL) << 32) |               \
		    (uint64_t)SECSOCK_BSWAP32((uint64_t)(x) >> 32)))
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SECSOCK_BE16(x) ((uint16_t)(x))
#define SECSOCK_BE32(x) ((uint32_t)(x))
#define SECSOCK_BE64(x) ((uint64_t)(x))
#else
#define SECSOCK_BE16(x) SECSOCK_BSWAP16(x)
#define SECSOCK_BE32(x) SECSOCK_BSWAP32(x)
#define SECSOCK_BE64(x) SECSOCK_BSWAP64(x)
#endif
/** @endcond */

#define net_ntohs(x)  SECSOCK_BE16(x) /**< 16 bits, network to host order */
#define net_ntohl(x)  SECSOCK_BE32(x) /**< 32 bits, network to host order */
#define net_ntohll(x) SECSOCK_BE64(x) /**< 64 bits, network to host order */
#define net_htons(x)  SECSOCK_BE16(x) /**< 16 bits, host to network order */
#define net_htonl(x)  SECSOCK_BE32(x) /**< 32 bits, host to network order */
#define net_htonll(x) SECSOCK_BE64(x) /**< 64 bits, host to network order */

/* ---- address types: the host's own structs ---- */

#define net_in_addr          in_addr          /**< IPv4 address (host struct; field s_addr) */
#define net_in6_addr         in6_addr         /**< IPv6 address (host struct; field s6_addr) */
#define net_sockaddr         sockaddr         /**< Generic socket address */
#define net_sockaddr_in      sockaddr_in      /**< IPv4 socket address */
#define net_sockaddr_in6     sockaddr_in6     /**< IPv6 socket address */
#define net_sockaddr_storage sockaddr_storage /**< Storage for any socket address */
/* these two need the C library's <netpacket/packet.h> and <sys/un.h> (or the kernel's
 * <linux/if_packet.h> and <linux/un.h>: the header includes none of them, so either works) */
#define net_sockaddr_ll      sockaddr_ll /**< Packet socket address */
#define net_sockaddr_un      sockaddr_un /**< Unix domain socket address */
#define net_socklen_t        socklen_t   /**< Length of a socket address */
#define net_sa_family_t      sa_family_t /**< Address family type */
#define net_iovec            iovec       /**< I/O vector element */
#define net_msghdr           msghdr      /**< Message header of sendmsg/recvmsg */
#define net_cmsghdr          cmsghdr     /**< Ancillary data header */
#define net_linger           linger      /**< SO_LINGER argument */

/*
 * glibc names the 16- and 32-bit views of an IPv6 address only with
 * _DEFAULT_SOURCE; Zephyr code uses them, so name them in strict modes too.
 */
#if defined(__GLIBC__) && !defined(s6_addr16)
#define s6_addr16 __in6_u.__u6_addr16
#endif
#if defined(__GLIBC__) && !defined(s6_addr32)
#define s6_addr32 __in6_u.__u6_addr32
#endif

#define NET_CMSG_FIRSTHDR(msghdr)     CMSG_FIRSTHDR(msghdr)     /**< First ancillary header */
#define NET_CMSG_NXTHDR(msghdr, cmsg) CMSG_NXTHDR(msghdr, cmsg) /**< Next ancillary header */
#define NET_CMSG_DATA(cmsg)           CMSG_DATA(cmsg)           /**< Data of an ancillary header */
#define NET_CMSG_SPACE(length)        CMSG_SPACE(length)        /**< Bytes one element occupies */
#define NET_CMSG_LEN(length)          CMSG_LEN(length)          /**< cmsg_len for a data length */

#define NET_IPV6_ADDR_SIZE 16 /**< Binary size of an IPv6 address */
#define NET_IPV4_ADDR_SIZE 4  /**< Binary size of an IPv4 address */

#define net_in6addr_any      in6addr_any      /**< IPv6 any address (::) */
#define net_in6addr_loopback in6addr_loopback /**< IPv6 loopback address (::1) */

#define NET_IN6ADDR_ANY_INIT      IN6ADDR_ANY_INIT      /**< Initialiser of an IPv6 any address */
#define NET_IN6ADDR_LOOPBACK_INIT IN6ADDR_LOOPBACK_INIT /**< Initialiser of ::1 */
#define NET_INADDR_ANY            0U                    /**< IPv4 any address (host order) */
#define NET_INADDR_BROADCAST      0xffffffffU           /**< IPv4 broadcast (host order) */
/** Initialiser of a struct net_in_addr holding the IPv4 any address. */
#define NET_INADDR_ANY_INIT                                                                        \
	{                                                                                          \
		0                                                                                  \
	}
/** Initialiser of a struct net_in_addr holding 127.0.0.1. */
#define NET_INADDR_LOOPBACK_INIT                                                                   \
	{                                                                                          \
		net_htonl(0x7f000001U)                                                             \
	}
#define NET_INET_ADDRSTRLEN  16 /**< Longest IPv4 address string, with its NUL */
#define NET_INET6_ADDRSTRLEN 46 /**< Longest IPv6 address string, with its NUL */

/** Minimum MTUs every IP host must accept (Zephyr's defaults without an IP stack). */
enum net_ip_mtu {
	NET_IPV6_MTU = 1280, /**< IPv6 minimum MTU */
	NET_IPV4_MTU = 576,  /**< IPv4 minimum datagram size */
};

/** Packet priorities of IEEE 802.1Q Annex I.1 (SO_PRIORITY values). */
enum net_priority {
	NET_PRIORITY_BK = 1, /**< Background (lowest) */
	NET_PRIORITY_BE = 0, /**< Best effort (default) */
	NET_PRIORITY_EE = 2, /**< Excellent effort */
	NET_PRIORITY_CA = 3, /**< Critical applications */
	NET_PRIORITY_VI = 4, /**< Video */
	NET_PRIORITY_VO = 5, /**< Voice */
	NET_PRIORITY_IC = 6, /**< Internetwork control */
	NET_PRIORITY_NC = 7, /**< Network control (highest) */
};
#define NET_MAX_PRIORITIES 8 /**< Number of priority values */

/** Interface name length of the host (Linux IFNAMSIZ). */
#define NET_IFNAMSIZ 16

#ifdef ifr_name
/* <net/if.h> or <linux/if.h> came first: struct ifreq is declared, ifr_name is a macro */
#define net_ifreq ifreq /**< Interface request: the host's struct ifreq */
#else
/** Interface name, as SO_BINDTODEVICE takes it (the first member of Linux's struct ifreq). */
struct net_ifreq {
	char ifr_name[NET_IFNAMSIZ]; /**< Network interface name */
};
#endif

/** IP_PKTINFO ancillary data (the layout of Linux's struct in_pktinfo). */
struct net_in_pktinfo {
	unsigned int ipi_ifindex;    /**< Interface index */
	struct in_addr ipi_spec_dst; /**< Local address */
	struct in_addr ipi_addr;     /**< Header destination address */
};

/** IP_ADD_MEMBERSHIP argument with an interface index (Linux's struct ip_mreqn). */
struct net_ip_mreqn {
	struct in_addr imr_multiaddr; /**< Multicast group */
	struct in_addr imr_address;   /**< Local interface address */
	int imr_ifindex;              /**< Interface index */
};

/** IP_ADD_MEMBERSHIP / IP_MULTICAST_IF argument (Linux's struct ip_mreq). */
struct net_ip_mreq {
	struct in_addr imr_multiaddr; /**< Multicast group */
	struct in_addr imr_interface; /**< Local interface address */
};

/** IPV6_ADD_MEMBERSHIP argument (the layout of Linux's struct ipv6_mreq). */
struct net_ipv6_mreq {
	struct in6_addr ipv6mr_multiaddr; /**< Multicast group */
	int ipv6mr_ifindex;               /**< Interface index (Linux: ipv6mr_interface) */
};

/** IPV6_PKTINFO ancillary data (Linux's struct in6_pktinfo). */
struct net_in6_pktinfo {
	struct in6_addr ipi6_addr; /**< Destination address */
	unsigned int ipi6_ifindex; /**< Receiving interface index */
};

/* ---- address helpers (pure functions of their arguments) ---- */

/** @cond INTERNAL_HIDDEN */
static inline uint32_t secsock_ip4_word(const struct in_addr *a)
{
	const uint8_t *b = (const uint8_t *)&a->s_addr;

	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static inline bool secsock_bytes_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0) {
			return false;
		}
	}
	return true;
}
/** @endcond */

/** @brief Whether @p addr is ::1. */
static inline bool net_ipv6_is_addr_loopback(const struct in6_addr *addr)
{
	return secsock_bytes_zero(addr->s6_addr, 15) && addr->s6_addr[15] == 1;
}

/** @brief Whether @p addr is :: (all zeros). */
static inline bool net_ipv6_is_addr_unspecified(const struct in6_addr *addr)
{
	return secsock_bytes_zero(addr->s6_addr, 16);
}

/** @brief Whether @p addr is a multicast address (ff00::/8). */
static inline bool net_ipv6_is_addr_mcast(const struct in6_addr *addr)
{
	return addr->s6_addr[0] == 0xff;
}

/**
 * @brief Whether the first @p length bits of two IPv6 addresses are equal.
 * @param addr1 First address (16 bytes).
 * @param addr2 Second address (16 bytes).
 * @param length Prefix length in bits, at most 128.
 * @return false also when @p length is above 128.
 */
static inline bool net_ipv6_is_prefix(const uint8_t *addr1, const uint8_t *addr2, uint8_t length)
{
	unsigned int whole = length / 8U;
	unsigned int rest = length % 8U;
	uint8_t mask;

	if (length > 128) {
		return false;
	}
	if (memcmp(addr1, addr2, whole) != 0) {
		return false;
	}
	if (rest == 0) {
		return true;
	}
	mask = (uint8_t)(0xffU << (8U - rest));
	return (addr1[whole] & mask) == (addr2[whole] & mask);
}

/**
 * @brief Network part of an IPv6 address.
 * @param inaddr Address (16 bytes).
 * @param outaddr Receives @p inaddr with every bit after the prefix cleared.
 * @param prefix_len Prefix length in bits, at most 128.
 */
static inline void net_ipv6_addr_prefix_mask(const uint8_t *inaddr, uint8_t *outaddr,
					     uint8_t prefix_len)
{
	unsigned int len = prefix_len > 128 ? 128U : prefix_len;
	unsigned int whole = len / 8U;
	unsigned int rest = len % 8U;

	memset(outaddr, 0, 16);
	memcpy(outaddr, inaddr, whole);
	if (rest != 0) {
		outaddr[whole] = (uint8_t)(inaddr[whole] & (0xffU << (8U - rest)));
	}
}

/** @brief Whether @p addr is in 127.0.0.0/8. */
static inline bool net_ipv4_is_addr_loopback(const struct in_addr *addr)
{
	return (secsock_ip4_word(addr) >> 24) == 127U;
}

/** @brief Whether @p addr is 0.0.0.0. */
static inline bool net_ipv4_is_addr_unspecified(const struct in_addr *addr)
{
	return addr->s_addr == 0;
}

/** @brief Whether @p addr is a multicast address (224.0.0.0/4). */
static inline bool net_ipv4_is_addr_mcast(const struct in_addr *addr)
{
	return (secsock_ip4_word(addr) & 0xf0000000UL) == 0xe0000000UL;
}

/** @brief Whether @p addr is link-local (169.254.0.0/16). */
static inline bool net_ipv4_is_ll_addr(const struct in_addr *addr)
{
	return (secsock_ip4_word(addr) & 0xffff0000UL) == 0xa9fe0000UL;
}

/**
 * @brief Whether @p addr is in a private or documentation range: 10/8,
 *        100.64/10, 172.16/12, 192.168/16, 192.0.2/24, 198.51.100/24, 203.0.113/24.
 */
static inline bool net_ipv4_is_private_addr(const struct in_addr *addr)
{
	uint32_t a = secsock_ip4_word(addr);

	return (a & 0xff000000UL) == 0x0a000000UL || (a & 0xffc00000UL) == 0x64400000UL ||
	       (a & 0xfff00000UL) == 0xac100000UL || (a & 0xffff0000UL) == 0xc0a80000UL ||
	       (a & 0xffffff00UL) == 0xc0000200UL || (a & 0xffffff00UL) == 0xc6336400UL ||
	       (a & 0xffffff00UL) == 0xcb007100UL;
}

/** @brief Copy an address object (struct in_addr or in6_addr) of the same type. */
#define net_ipaddr_copy(dest, src) memcpy((dest), (src), sizeof(*(dest)))

/** @brief Copy 4 address bytes. */
static inline void net_ipv4_addr_copy_raw(uint8_t *dest, const uint8_t *src)
{
	memcpy(dest, src, 4);
}

/** @brief Copy 16 address bytes. */
static inline void net_ipv6_addr_copy_raw(uint8_t *dest, const uint8_t *src)
{
	memcpy(dest, src, 16);
}

/** @brief Whether two 4-byte addresses are equal. */
static inline bool net_ipv4_addr_cmp_raw(const uint8_t *addr1, const uint8_t *addr2)
{
	return memcmp(addr1, addr2, 4) == 0;
}

/** @brief Whether two IPv4 addresses are equal. */
static inline bool net_ipv4_addr_cmp(const struct in_addr *addr1, const struct in_addr *addr2)
{
	return addr1->s_addr == addr2->s_addr;
}

/** @brief Whether two IPv6 addresses are equal. */
static inline bool net_ipv6_addr_cmp(const struct in6_addr *addr1, const struct in6_addr *addr2)
{
	return memcmp(addr1->s6_addr, addr2->s6_addr, 16) == 0;
}

/** @brief Whether two 16-byte addresses are equal. */
static inline bool net_ipv6_addr_cmp_raw(const uint8_t *addr1, const uint8_t *addr2)
{
	return memcmp(addr1, addr2, 16) == 0;
}

/** @brief Whether @p addr is link-local (fe80::/16, as Zephyr checks it). */
static inline bool net_ipv6_is_ll_addr(const struct in6_addr *addr)
{
	return addr->s6_addr[0] == 0xfe && addr->s6_addr[1] == 0x80;
}

/** @brief Whether @p addr is site-local (fec0::/16, as Zephyr checks it). */
static inline bool net_ipv6_is_sl_addr(const struct in6_addr *addr)
{
	return addr->s6_addr[0] == 0xfe && addr->s6_addr[1] == 0xc0;
}

/** @brief Whether @p addr is a unique local address (fd00::/8). */
static inline bool net_ipv6_is_ula_addr(const struct in6_addr *addr)
{
	return addr->s6_addr[0] == 0xfd;
}

/** @brief Whether @p addr is a global unicast address (2000::/3). */
static inline bool net_ipv6_is_global_addr(const struct in6_addr *addr)
{
	return (addr->s6_addr[0] & 0xe0) == 0x20;
}

/** @brief Whether @p addr is in 2001:db8::/32 or fc00::/7. */
static inline bool net_ipv6_is_private_addr(const struct in6_addr *addr)
{
	const uint8_t *b = addr->s6_addr;

	return (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||
	       (b[0] & 0xfe) == 0xfc;
}

/** @brief The IPv6 address :: (the host's in6addr_any). */
static inline const struct in6_addr *net_ipv6_unspecified_address(void)
{
	return &in6addr_any;
}

/** @brief The IPv4 address 0.0.0.0. */
static inline const struct in_addr *net_ipv4_unspecified_address(void)
{
	static const struct in_addr any = NET_INADDR_ANY_INIT;

	return &any;
}

/** @brief The IPv4 address 255.255.255.255. */
static inline const struct in_addr *net_ipv4_broadcast_address(void)
{
	static const struct in_addr bcast = {0xffffffffU};

	return &bcast;
}

/** @brief Whether @p addr is a solicited-node multicast address (ff02::1:ffXX:XXXX). */
static inline bool net_ipv6_is_addr_solicited_node(const struct in6_addr *addr)
{
	static const uint8_t head[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	return memcmp(addr->s6_addr, head, sizeof(head)) == 0;
}

/** @brief Whether @p addr is multicast with the given scope (ffXs::). */
static inline bool net_ipv6_is_addr_mcast_scope(const struct in6_addr *addr, int scope)
{
	return addr->s6_addr[0] == 0xff && (addr->s6_addr[1] & 0x0f) == scope;
}

/** @brief Whether both addresses are multicast with the same flags and scope. */
static inline bool net_ipv6_is_same_mcast_scope(const struct in6_addr *addr_1,
						const struct in6_addr *addr_2)
{
	return addr_1->s6_addr[0] == 0xff && addr_2->s6_addr[0] == 0xff &&
	       addr_1->s6_addr[1] == addr_2->s6_addr[1];
}

/** @brief Multicast scope of @p addr, or -1 when it is not multicast. */
static inline int net_ipv6_get_addr_mcast_scope(const struct in6_addr *addr)
{
	return addr->s6_addr[0] == 0xff ? (addr->s6_addr[1] & 0x0f) : -1;
}

/** @brief Whether @p addr is global-scope multicast (ffXe::). */
static inline bool net_ipv6_is_addr_mcast_global(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x0e);
}

/** @brief Whether @p addr is interface-local multicast (ffX1::). */
static inline bool net_ipv6_is_addr_mcast_iface(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x01);
}

/** @brief Whether @p addr is link-local multicast (ffX2::). */
static inline bool net_ipv6_is_addr_mcast_link(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x02);
}

/** @brief Whether @p addr is mesh-local multicast (ffX3::). */
static inline bool net_ipv6_is_addr_mcast_mesh(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x03);
}

/** @brief Whether @p addr is site-local multicast (ffX5::). */
static inline bool net_ipv6_is_addr_mcast_site(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x05);
}

/** @brief Whether @p addr is organisation-local multicast (ffX8::). */
static inline bool net_ipv6_is_addr_mcast_org(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_scope(addr, 0x08);
}

/** @brief Whether multicast @p addr has the group id of @p group (all but the first 2 bytes). */
static inline bool net_ipv6_is_addr_mcast_group(const struct in6_addr *addr,
						const struct in6_addr *group)
{
	return memcmp(addr->s6_addr + 2, group->s6_addr + 2, 14) == 0;
}

/** @brief Whether @p addr has the all-nodes group id (ffXX::1). */
static inline bool net_ipv6_is_addr_mcast_all_nodes_group(const struct in6_addr *addr)
{
	return secsock_bytes_zero(addr->s6_addr + 2, 13) && addr->s6_addr[15] == 1;
}

/** @brief Whether @p addr is ff01::1 (interface-local all nodes). */
static inline bool net_ipv6_is_addr_mcast_iface_all_nodes(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_iface(addr) && net_ipv6_is_addr_mcast_all_nodes_group(addr);
}

/** @brief Whether @p addr is ff02::1 (link-local all nodes). */
static inline bool net_ipv6_is_addr_mcast_link_all_nodes(const struct in6_addr *addr)
{
	return net_ipv6_is_addr_mcast_link(addr) && net_ipv6_is_addr_mcast_all_nodes_group(addr);
}

/** @brief Build an IPv6 address from eight 16-bit words given in host order. */
static inline void net_ipv6_addr_create(struct in6_addr *addr, uint16_t addr0, uint16_t addr1,
					uint16_t addr2, uint16_t addr3, uint16_t addr4,
					uint16_t addr5, uint16_t addr6, uint16_t addr7)
{
	const uint16_t w[8] = {addr0, addr1, addr2, addr3, addr4, addr5, addr6, addr7};

	for (int i = 0; i < 8; i++) {
		addr->s6_addr[2 * i] = (uint8_t)(w[i] >> 8);
		addr->s6_addr[2 * i + 1] = (uint8_t)(w[i] & 0xff);
	}
}

/** @brief The solicited-node multicast address of @p src (ff02::1:ffXX:XXXX) into @p dst. */
static inline void net_ipv6_addr_create_solicited_node(const struct in6_addr *src,
						       struct in6_addr *dst)
{
	uint8_t tail[3];

	memcpy(tail, src->s6_addr + 13, 3);
	net_ipv6_addr_create(dst, 0xff02, 0, 0, 0, 0, 0x0001, 0xff00, 0);
	memcpy(dst->s6_addr + 13, tail, 3);
}

/** @brief ff02::1 into @p addr. */
static inline void net_ipv6_addr_create_ll_allnodes_mcast(struct in6_addr *addr)
{
	net_ipv6_addr_create(addr, 0xff02, 0, 0, 0, 0, 0, 0, 0x0001);
}

/** @brief ff02::2 into @p addr. */
static inline void net_ipv6_addr_create_ll_allrouters_mcast(struct in6_addr *addr)
{
	net_ipv6_addr_create(addr, 0xff02, 0, 0, 0, 0, 0, 0, 0x0002);
}

/** @brief ::ffff:a.b.c.d from the IPv4 address @p addr4. */
static inline void net_ipv6_addr_create_v4_mapped(const struct in_addr *addr4,
						  struct in6_addr *addr6)
{
	memset(addr6->s6_addr, 0, 10);
	addr6->s6_addr[10] = 0xff;
	addr6->s6_addr[11] = 0xff;
	memcpy(addr6->s6_addr + 12, &addr4->s_addr, 4);
}

/** @brief Whether @p addr is an IPv4-mapped address (::ffff:a.b.c.d). */
static inline bool net_ipv6_addr_is_v4_mapped(const struct in6_addr *addr)
{
	return secsock_bytes_zero(addr->s6_addr, 10) && addr->s6_addr[10] == 0xff &&
	       addr->s6_addr[11] == 0xff;
}

/** @brief The IPv4 address inside the IPv4-mapped @p addr6. */
static inline void net_ipv6_addr_get_v4_mapped(const struct in6_addr *addr6, struct in_addr *addr4)
{
	memcpy(&addr4->s_addr, addr6->s6_addr + 12, 4);
}

/*
 * Casts between the socket address types. Zephyr has always-inline functions
 * taking const pointers; as such, GCC warns (-Wmaybe-uninitialized) when a
 * storage not yet written is passed, the usual case before accept() or
 * recvfrom(). Macros cast without that warning, from const and non-const.
 */
#define net_sad(addr)  ((struct sockaddr *)(addr))         /**< as struct net_sockaddr * */
#define net_sas(addr)  ((struct sockaddr_storage *)(addr)) /**< as net_sockaddr_storage * */
#define net_sin6(addr) ((struct sockaddr_in6 *)(addr))     /**< as net_sockaddr_in6 * */
#define net_sin(addr)  ((struct sockaddr_in *)(addr))      /**< as net_sockaddr_in * */

/**
 * @brief Whether two socket addresses have the same family, address and port.
 * @return false for families other than NET_AF_INET and NET_AF_INET6.
 */
static inline bool net_sockaddr_cmp(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family) {
		return false;
	}
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
		const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;

		return a4->sin_port == b4->sin_port &&
		       net_ipv4_addr_cmp(&a4->sin_addr, &b4->sin_addr);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

		return a6->sin6_port == b6->sin6_port &&
		       net_ipv6_addr_cmp(&a6->sin6_addr, &b6->sin6_addr);
	}
	return false;
}

/** @brief Compare TCP sequence numbers modulo 2^32: <0, 0 or >0. */
static inline int32_t net_tcp_seq_cmp(uint32_t seq1, uint32_t seq2)
{
	return (int32_t)(seq1 - seq2);
}

/** @brief Whether TCP sequence number @p seq1 is after @p seq2 (modulo 2^32). */
static inline bool net_tcp_seq_greater(uint32_t seq1, uint32_t seq2)
{
	return net_tcp_seq_cmp(seq1, seq2) > 0;
}

/** @brief Packet priority of a VLAN PCP value (IEEE 802.1Q); best effort above 7. */
static inline enum net_priority net_vlan2priority(uint8_t priority)
{
	static const uint8_t map[8] = {NET_PRIORITY_BE, NET_PRIORITY_BK, NET_PRIORITY_EE,
				       NET_PRIORITY_CA, NET_PRIORITY_VI, NET_PRIORITY_VO,
				       NET_PRIORITY_IC, NET_PRIORITY_NC};

	return priority < 8 ? (enum net_priority)map[priority] : NET_PRIORITY_BE;
}

/** @brief VLAN PCP value of a packet priority (the same table, both ways). */
static inline uint8_t net_priority2vlan(enum net_priority priority)
{
	return (uint8_t)net_vlan2priority((uint8_t)priority);
}

/** @brief Size of the socket address struct of @p family, 0 for an unknown family. */
static inline size_t net_family2size(sa_family_t family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_PACKET:
		return 20; /* sizeof(struct sockaddr_ll) on Linux (tests/unit/test_names.c) */
	case AF_UNIX:
		return 110; /* sizeof(struct sockaddr_un) on Linux (tests/unit/test_names.c) */
	default:
		return 0;
	}
}

/* ---- address conversion and parsing (libsecsock) ---- */

/**
 * @brief Convert an address string to binary (Zephyr's net_addr_pton).
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param src NUL-terminated address string ("192.0.2.1", "2001:db8::1").
 * @param dst struct net_in_addr (IPv4) or struct net_in6_addr (IPv6) to fill.
 *
 * @retval 0 Converted.
 * @retval -EINVAL @p src is not an address of @p family, @p family is neither
 *                 NET_AF_INET nor NET_AF_INET6, or @p src or @p dst is NULL.
 */
SECSOCK_API int net_addr_pton(sa_family_t family, const char *src, void *dst);

/**
 * @brief Convert a binary address to a string (Zephyr's net_addr_ntop).
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param src struct net_in_addr or struct net_in6_addr.
 * @param dst Buffer for the NUL-terminated string.
 * @param size Size of @p dst (NET_INET_ADDRSTRLEN / NET_INET6_ADDRSTRLEN is enough).
 *
 * @return @p dst, or NULL for an unknown family, a NULL argument or a buffer
 *         too small. errno is left unchanged.
 */
SECSOCK_API char *net_addr_ntop(sa_family_t family, const void *src, char *dst, size_t size);

/**
 * @brief Parse "192.0.2.1", "192.0.2.1:80", "2001:db8::1" or "[2001:db8::1]:8080".
 *
 * @param str Address text; need not be NUL-terminated.
 * @param str_len Number of characters of @p str to look at.
 * @param addr Receives the family and address (a struct net_sockaddr_storage
 *             or a struct net_sockaddr_in6 is large enough); the port only when
 *             @p str names one, else the port field keeps its value.
 *
 * @return true when parsed, false otherwise (then @p addr may be changed).
 */
SECSOCK_API bool net_ipaddr_parse(const char *str, size_t str_len, struct sockaddr *addr);

/**
 * @brief Parse the first of a list of addresses with optional prefix lengths:
 *        "192.0.2.1/24", "2001:db8::1/64", separated by ',' or ' '.
 *
 * @param str Text; need not be NUL-terminated.
 * @param str_len Number of characters of @p str to look at.
 * @param addr Receives the family and address (large enough for IPv6).
 * @param mask_len Receives the prefix length; 32 or 128 when the text has none.
 *
 * @return The text after the separator, "" at the end of the text, or NULL
 *         when the first item is not an address (with a port, it is not).
 */
SECSOCK_API const char *net_ipaddr_parse_mask(const char *str, size_t str_len,
					      struct sockaddr *addr, uint8_t *mask_len);

/**
 * @brief Netmask of a prefix length.
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param mask_len Prefix length, at most 32 or 128.
 * @param mask Receives a struct net_sockaddr_in or net_sockaddr_in6 holding the mask.
 *
 * @retval 0 Done.
 * @retval -EINVAL Another family, a length too long, or @p mask NULL.
 */
SECSOCK_API int net_mask_len_to_netmask(sa_family_t family, uint8_t mask_len,
					struct sockaddr *mask);

/**
 * @brief Prefix length of a netmask.
 *
 * @param family NET_AF_INET or NET_AF_INET6.
 * @param mask A struct net_sockaddr_in or net_sockaddr_in6 holding the mask.
 * @param mask_len Receives the number of leading one bits.
 *
 * @retval 0 Done.
 * @retval -EINVAL Another family, a NULL argument, or a mask whose ones are not contiguous.
 */
SECSOCK_API int net_netmask_to_mask_len(sa_family_t family, struct sockaddr *mask,
					uint8_t *mask_len);

/**
 * @brief Bytes from colon-separated hex text, as "ab:02:98:fa:42:01".
 *
 * @param buf Receives the bytes.
 * @param buf_len Number of bytes the text must hold exactly.
 * @param src NUL-terminated text, two hex digits per byte.
 *
 * @retval 0 Done.
 * @retval -EINVAL Not exactly @p buf_len bytes of two hex digits separated by ':'.
 */
SECSOCK_API int net_bytes_from_str(uint8_t *buf, int buf_len, const char *src);

/**
 * @brief Set the port of an IPv4 or IPv6 socket address.
 * @param addr Socket address.
 * @param port Port in host byte order.
 * @retval 0 Set.
 * @retval -EINVAL @p addr is NULL or neither NET_AF_INET nor NET_AF_INET6.
 */
SECSOCK_API int net_port_set(struct sockaddr *addr, uint16_t port);

/**
 * @brief Set the port of an IPv4 or IPv6 socket address when it is still 0.
 * @param addr Socket address.
 * @param default_port Port in host byte order.
 * @retval 0 Set, or a port was already set.
 * @retval -EINVAL @p addr is NULL or neither NET_AF_INET nor NET_AF_INET6.
 */
SECSOCK_API int net_port_set_default(struct sockaddr *addr, uint16_t default_port);

/**
 * @brief Port of an IPv4 or IPv6 socket address, in host byte order.
 * @param addr Socket address.
 * @param port Receives the port.
 * @retval 0 @p port set.
 * @retval -EINVAL A NULL argument, or a family other than NET_AF_INET and NET_AF_INET6.
 */
SECSOCK_API int net_port_get(struct sockaddr *addr, uint16_t *port);

/**
 * @brief Name of an address family, for messages ("AF_INET", "AF_INET6",
 *        "AF_PACKET", "AF_CAN", "AF_UNIX", "AF_UNSPEC").
 * @param family Address family.
 * @return The name, or NULL for another family.
 */
SECSOCK_API const char *net_family2str(sa_family_t family);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_ZEPHYR_NET_NET_IP_H */
