/*
 * Zephyr's names on a host (issue 10, docs/zephyr-names.md): numbers the
 * kernel sees are the host's, in strict and GNU modes alike; the address
 * types are the host's; the calls added for Zephyr code (variadic
 * zsock_fcntl, zsock_socketpair, zsock_getnameinfo, Zephyr's struct
 * zsock_addrinfo, net_addr_pton/ntop, net_ipaddr_parse, net_port_*) and the
 * inline address helpers behave as Zephyr's.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/dns_resolve.h>
#include <zephyr/sys/fdtable.h>

#include <fcntl.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/un.h>

#include "harness.h"
#include "names_strict.h"

/* Every number the kernel sees equals the host's (compile time, GNU mode). */
#define HOST(z, h) _Static_assert((long)(z) == (long)(h), #z " must be the host's " #h)
HOST(NET_AF_INET, AF_INET);
HOST(NET_AF_INET6, AF_INET6);
HOST(NET_AF_UNSPEC, AF_UNSPEC);
HOST(NET_AF_PACKET, AF_PACKET);
HOST(NET_AF_CAN, AF_CAN);
HOST(NET_AF_UNIX, AF_UNIX);
HOST(NET_PF_INET, PF_INET);
HOST(NET_PF_INET6, PF_INET6);
HOST(NET_SOCK_STREAM, SOCK_STREAM);
HOST(NET_SOCK_DGRAM, SOCK_DGRAM);
HOST(NET_SOCK_RAW, SOCK_RAW);
HOST(NET_IPPROTO_IP, IPPROTO_IP);
HOST(NET_IPPROTO_ICMP, IPPROTO_ICMP);
HOST(NET_IPPROTO_IGMP, IPPROTO_IGMP);
HOST(NET_IPPROTO_IPIP, IPPROTO_IPIP);
HOST(NET_IPPROTO_TCP, IPPROTO_TCP);
HOST(NET_IPPROTO_UDP, IPPROTO_UDP);
HOST(NET_IPPROTO_IPV6, IPPROTO_IPV6);
HOST(NET_IPPROTO_ICMPV6, IPPROTO_ICMPV6);
HOST(NET_IPPROTO_SCTP, IPPROTO_SCTP);
HOST(NET_IPPROTO_RAW, IPPROTO_RAW);
HOST(NET_INADDR_ANY, INADDR_ANY);
HOST(NET_INADDR_BROADCAST, INADDR_BROADCAST);
HOST(NET_INET_ADDRSTRLEN, INET_ADDRSTRLEN);
HOST(NET_INET6_ADDRSTRLEN, INET6_ADDRSTRLEN);
HOST(ZSOCK_SOL_SOCKET, SOL_SOCKET);
HOST(ZSOCK_SO_DEBUG, SO_DEBUG);
HOST(ZSOCK_SO_REUSEADDR, SO_REUSEADDR);
HOST(ZSOCK_SO_TYPE, SO_TYPE);
HOST(ZSOCK_SO_ERROR, SO_ERROR);
HOST(ZSOCK_SO_KEEPALIVE, SO_KEEPALIVE);
HOST(ZSOCK_SO_LINGER, SO_LINGER);
HOST(ZSOCK_SO_PRIORITY, SO_PRIORITY);
HOST(ZSOCK_SO_REUSEPORT, SO_REUSEPORT);
HOST(ZSOCK_SO_RCVTIMEO, SO_RCVTIMEO);
HOST(ZSOCK_SO_SNDTIMEO, SO_SNDTIMEO);
HOST(ZSOCK_SO_BINDTODEVICE, SO_BINDTODEVICE);
HOST(ZSOCK_SO_ACCEPTCONN, SO_ACCEPTCONN);
HOST(ZSOCK_SO_TIMESTAMPING, SO_TIMESTAMPING);
HOST(ZSOCK_SO_PROTOCOL, SO_PROTOCOL);
HOST(ZSOCK_SO_DOMAIN, SO_DOMAIN);
HOST(ZSOCK_SO_TXTIME, SO_TXTIME);
HOST(ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE, SOF_TIMESTAMPING_RX_HARDWARE);
HOST(ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE, SOF_TIMESTAMPING_TX_HARDWARE);
HOST(ZSOCK_TCP_NODELAY, TCP_NODELAY);
HOST(ZSOCK_TCP_KEEPIDLE, TCP_KEEPIDLE);
HOST(ZSOCK_TCP_KEEPINTVL, TCP_KEEPINTVL);
HOST(ZSOCK_TCP_KEEPCNT, TCP_KEEPCNT);
HOST(ZSOCK_IP_TOS, IP_TOS);
HOST(ZSOCK_IP_PKTINFO, IP_PKTINFO);
HOST(ZSOCK_IP_MTU, IP_MTU);
HOST(ZSOCK_IP_ADD_MEMBERSHIP, IP_ADD_MEMBERSHIP);
HOST(ZSOCK_IPV6_V6ONLY, IPV6_V6ONLY);
HOST(ZSOCK_IPV6_ADD_MEMBERSHIP, IPV6_ADD_MEMBERSHIP);
HOST(ZSOCK_IPV6_RECVPKTINFO, IPV6_RECVPKTINFO);
HOST(ZSOCK_IPV6_TCLASS, IPV6_TCLASS);
HOST(ZSOCK_IPV6_DONTFRAG, IPV6_DONTFRAG);
HOST(ZSOCK_IPV6_ADDR_PREFERENCES, IPV6_ADDR_PREFERENCES);
HOST(ZSOCK_MSG_CTRUNC, MSG_CTRUNC);
HOST(ZSOCK_SOMAXCONN, SOMAXCONN);
HOST(ZSOCK_AI_NUMERICSERV, AI_NUMERICSERV);
HOST(ZSOCK_NI_MAXHOST, NI_MAXHOST);
HOST(ZVFS_O_NONBLOCK, O_NONBLOCK);
HOST(ZVFS_F_GETFL, F_GETFL);
HOST(ZVFS_F_SETFL, F_SETFL);
HOST(ZVFS_F_DUPFD, F_DUPFD);
HOST(ZFD_IOCTL_FIONREAD, FIONREAD);
HOST(ZFD_IOCTL_FIONBIO, FIONBIO);
HOST(ZFD_IOCTL_FIONWRITE, TIOCOUTQ);
HOST(ZSOCK_FD_SETSIZE, FD_SETSIZE);
HOST(DNS_EAI_NONAME, EAI_NONAME);
HOST(DNS_EAI_MEMORY, EAI_MEMORY);

/* The structs Zephyr names differently have the host's layout. */
#define LAYOUT(z, h, zf, hf)                                                                       \
	_Static_assert(sizeof(struct z) == sizeof(struct h) &&                                     \
			       offsetof(struct z, zf) == offsetof(struct h, hf),                   \
		       #z "." #zf " must lie where " #h "." #hf " does")
LAYOUT(net_ip_mreqn, ip_mreqn, imr_ifindex, imr_ifindex);
LAYOUT(net_ip_mreq, ip_mreq, imr_interface, imr_interface);
LAYOUT(net_ipv6_mreq, ipv6_mreq, ipv6mr_ifindex, ipv6mr_interface);
LAYOUT(net_in_pktinfo, in_pktinfo, ipi_addr, ipi_addr);
LAYOUT(net_in6_pktinfo, in6_pktinfo, ipi6_ifindex, ipi6_ifindex);
LAYOUT(zvfs_pollfd, pollfd, revents, revents);
_Static_assert(sizeof(struct net_sockaddr_in6) == sizeof(struct sockaddr_in6), "host type");
_Static_assert(sizeof(zsock_fd_set) == sizeof(fd_set), "host type");

/* A strict C11 unit (names_strict.c) sees the same numbers as this GNU one. */
TEST(test_strict_mode_numbers_are_the_hosts)
{
	static const long host[] = {ZT_NAMES_STRICT(ZT_NAME_HOST)};

	ASSERT_TRUE(zt_strict_count == sizeof(host) / sizeof(host[0]));
	for (unsigned i = 0; i < zt_strict_count; i++) {
		if (zt_strict_values[i] != host[i]) {
			fprintf(stderr, "%s: strict %ld, host %ld\n", zt_strict_names[i],
				zt_strict_values[i], host[i]);
		}
		EXPECT_EQ(zt_strict_values[i], host[i]);
	}
}

/* net_htons & co. are constant expressions with the host's results. */
TEST(test_byte_order)
{
	static const uint16_t port = net_htons(4242);
	static const uint32_t lo = net_htonl(0x7f000001);
	static const struct in_addr lo4 = NET_INADDR_LOOPBACK_INIT;

	EXPECT_EQ(port, htons(4242));
	EXPECT_EQ(lo, htonl(INADDR_LOOPBACK));
	EXPECT_EQ(lo4.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_EQ(net_ntohs(htons(0x1234)), 0x1234);
	EXPECT_EQ(net_ntohl(htonl(0x12345678)), 0x12345678);
	EXPECT_EQ(net_ntohll(net_htonll(0x0102030405060708ULL)), 0x0102030405060708ULL);
	EXPECT_EQ(((const uint8_t *)&(uint64_t){net_htonll(0x0102030405060708ULL)})[0], 1);
}

TEST(test_addr_pton_ntop)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[NET_INET6_ADDRSTRLEN];

	errno = 0;
	EXPECT_EQ(net_addr_pton(NET_AF_INET, "192.0.2.7", &a4), 0);
	EXPECT_EQ(a4.s_addr, htonl(0xc0000207));
	EXPECT_EQ(net_addr_pton(NET_AF_INET6, "2001:db8::1", &a6), 0);
	EXPECT_EQ(a6.s6_addr[0], 0x20);
	EXPECT_EQ(a6.s6_addr[15], 1);
	EXPECT_EQ(net_addr_pton(NET_AF_INET, "300.1.1.1", &a4), -EINVAL);
	EXPECT_EQ(net_addr_pton(NET_AF_INET6, "1.2.3.4", &a6), -EINVAL);
	EXPECT_EQ(net_addr_pton(NET_AF_UNIX, "1.2.3.4", &a4), -EINVAL);
	EXPECT_EQ(net_addr_pton(NET_AF_INET, NULL, &a4), -EINVAL);
	EXPECT_TRUE(net_addr_ntop(NET_AF_INET6, &a6, buf, sizeof(buf)) == buf);
	EXPECT_STREQ(buf, "2001:db8::1");
	EXPECT_TRUE(net_addr_ntop(NET_AF_INET, &a4, buf, 4) == NULL);
	EXPECT_TRUE(net_addr_ntop(NET_AF_CAN, &a4, buf, sizeof(buf)) == NULL);
	EXPECT_EQ(errno, 0); /* only zsock_* calls set errno */
}

TEST(test_ipaddr_parse_and_ports)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = net_sad(&ss);
	uint16_t port = 0;
	char buf[NET_INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof(ss));
	EXPECT_TRUE(net_ipaddr_parse("192.0.2.1:80", 12, sa));
	EXPECT_EQ(sa->sa_family, AF_INET);
	EXPECT_EQ(net_port_get(sa, &port), 0);
	EXPECT_EQ(port, 80);
	EXPECT_TRUE(net_ipaddr_parse("192.0.2.42xxxx", 10, sa)); /* str_len limits the parse */
	EXPECT_EQ(net_sin(sa)->sin_addr.s_addr, htonl(0xc000022a));
	EXPECT_EQ(net_port_get(sa, &port), 0);
	EXPECT_EQ(port, 80); /* no port in the text: kept */
	EXPECT_TRUE(net_ipaddr_parse("[2001:db8::1]:8080", 18, sa));
	EXPECT_EQ(sa->sa_family, AF_INET6);
	EXPECT_EQ(net_ntohs(net_sin6(sa)->sin6_port), 8080);
	EXPECT_TRUE(net_addr_ntop(AF_INET6, &net_sin6(sa)->sin6_addr, buf, sizeof(buf)) != NULL);
	EXPECT_STREQ(buf, "2001:db8::1");
	EXPECT_TRUE(net_ipaddr_parse("2001:db::42", 11, sa));
	EXPECT_TRUE(net_ipaddr_parse("[::1]", 5, sa));
	EXPECT_TRUE(!net_ipaddr_parse("192.0.2.1:99999", 15, sa));
	EXPECT_TRUE(!net_ipaddr_parse("[::1]x", 6, sa));
	EXPECT_TRUE(!net_ipaddr_parse("host.example", 12, sa));
	EXPECT_TRUE(!net_ipaddr_parse("", 0, sa));

	EXPECT_EQ(net_port_set(sa, 0), 0);
	EXPECT_EQ(net_port_set_default(sa, 4433), 0);
	EXPECT_EQ(net_port_get(sa, &port), 0);
	EXPECT_EQ(port, 4433);
	EXPECT_EQ(net_port_set_default(sa, 1), 0);
	EXPECT_EQ(net_port_get(sa, &port), 0);
	EXPECT_EQ(port, 4433);
	sa->sa_family = AF_UNIX;
	EXPECT_EQ(net_port_set(sa, 1), -EINVAL);
	EXPECT_EQ(net_port_get(sa, &port), -EINVAL);
	EXPECT_STREQ(net_family2str(AF_INET6), "AF_INET6");
	EXPECT_TRUE(net_family2str(12345) == NULL);
	EXPECT_EQ(net_family2size(AF_INET), sizeof(struct sockaddr_in));
	EXPECT_EQ(net_family2size(AF_INET6), sizeof(struct sockaddr_in6));
	EXPECT_EQ(net_family2size(AF_PACKET), sizeof(struct sockaddr_ll));
	EXPECT_EQ(net_family2size(AF_UNIX), sizeof(struct sockaddr_un));
	EXPECT_EQ(net_family2size(AF_CAN), 0);
}

TEST(test_masks_and_bytes)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = net_sad(&ss);
	char buf[NET_INET6_ADDRSTRLEN];
	uint8_t len = 0;
	uint8_t mac[6];
	const char *next;

	EXPECT_EQ(net_mask_len_to_netmask(AF_INET, 20, sa), 0);
	EXPECT_EQ(sa->sa_family, AF_INET);
	EXPECT_EQ(net_sin(sa)->sin_addr.s_addr, htonl(0xfffff000));
	EXPECT_EQ(net_netmask_to_mask_len(AF_INET, sa, &len), 0);
	EXPECT_EQ(len, 20);
	EXPECT_EQ(net_mask_len_to_netmask(AF_INET6, 68, sa), 0);
	EXPECT_TRUE(net_addr_ntop(AF_INET6, &net_sin6(sa)->sin6_addr, buf, sizeof(buf)) != NULL);
	EXPECT_STREQ(buf, "ffff:ffff:ffff:ffff:f000::");
	EXPECT_EQ(net_netmask_to_mask_len(AF_INET6, sa, &len), 0);
	EXPECT_EQ(len, 68);
	EXPECT_EQ(net_mask_len_to_netmask(AF_INET, 0, sa), 0);
	EXPECT_EQ(net_sin(sa)->sin_addr.s_addr, 0);
	EXPECT_EQ(net_mask_len_to_netmask(AF_INET, 33, sa), -EINVAL);
	EXPECT_EQ(net_mask_len_to_netmask(AF_INET6, 129, sa), -EINVAL);
	net_sin(sa)->sin_addr.s_addr = htonl(0xff00ff00);
	EXPECT_EQ(net_netmask_to_mask_len(AF_INET, sa, &len), -EINVAL);

	next = net_ipaddr_parse_mask("2001:db8::1/64,192.0.2.1 10.0.0.1/8", 35, sa, &len);
	ASSERT_TRUE(next != NULL);
	EXPECT_EQ(sa->sa_family, AF_INET6);
	EXPECT_EQ(len, 64);
	EXPECT_STREQ(next, "192.0.2.1 10.0.0.1/8");
	next = net_ipaddr_parse_mask(next, strlen(next), sa, &len);
	ASSERT_TRUE(next != NULL);
	EXPECT_EQ(sa->sa_family, AF_INET);
	EXPECT_EQ(len, 32);
	next = net_ipaddr_parse_mask(next, strlen(next), sa, &len);
	ASSERT_TRUE(next != NULL);
	EXPECT_EQ(len, 8);
	EXPECT_STREQ(next, "");
	EXPECT_TRUE(net_ipaddr_parse_mask("192.0.2.1/33", 12, sa, &len) == NULL);
	EXPECT_TRUE(net_ipaddr_parse_mask("192.0.2.1:80/24", 15, sa, &len) == NULL);
	EXPECT_TRUE(net_ipaddr_parse_mask("nonsense", 8, sa, &len) == NULL);

	EXPECT_EQ(net_bytes_from_str(mac, sizeof(mac), "ab:02:98:fa:42:01"), 0);
	EXPECT_EQ(mac[0], 0xab);
	EXPECT_EQ(mac[5], 0x01);
	EXPECT_EQ(net_bytes_from_str(mac, sizeof(mac), "ab:02:98:fa:42"), -EINVAL);
	EXPECT_EQ(net_bytes_from_str(mac, sizeof(mac), "ab:02:98:fa:42:01:07"), -EINVAL);
	EXPECT_EQ(net_bytes_from_str(mac, sizeof(mac), "ab-02-98-fa-42-01"), -EINVAL);
	EXPECT_EQ(net_bytes_from_str(mac, 2, "zz:00"), -EINVAL);
}

TEST(test_address_helpers)
{
	struct in6_addr a6;
	struct in6_addr b6;
	struct in_addr a4;
	struct in_addr b4;
	uint8_t net[16];

	EXPECT_TRUE(net_ipv6_is_addr_loopback(&in6addr_loopback));
	EXPECT_TRUE(!net_ipv6_is_addr_loopback(&in6addr_any));
	EXPECT_TRUE(net_ipv6_is_addr_unspecified(net_ipv6_unspecified_address()));
	ASSERT_TRUE(inet_pton(AF_INET6, "ff02::1", &a6) == 1);
	EXPECT_TRUE(net_ipv6_is_addr_mcast(&a6) && net_ipv6_is_addr_mcast_link(&a6));
	EXPECT_TRUE(net_ipv6_is_addr_mcast_link_all_nodes(&a6));
	EXPECT_EQ(net_ipv6_get_addr_mcast_scope(&a6), 2);
	EXPECT_TRUE(ZSOCK_IN6_IS_ADDR_MC_LINKLOCAL(&a6) && !ZSOCK_IN6_IS_ADDR_MC_GLOBAL(&a6));
	net_ipv6_addr_create_ll_allnodes_mcast(&b6);
	EXPECT_TRUE(net_ipv6_addr_cmp(&a6, &b6));
	ASSERT_TRUE(inet_pton(AF_INET6, "2001:db8::12:3456", &a6) == 1);
	net_ipv6_addr_create_solicited_node(&a6, &b6);
	ASSERT_TRUE(inet_pton(AF_INET6, "ff02::1:ff12:3456", &a6) == 1);
	EXPECT_TRUE(net_ipv6_addr_cmp(&a6, &b6));
	EXPECT_TRUE(net_ipv6_is_addr_solicited_node(&b6));
	ASSERT_TRUE(inet_pton(AF_INET6, "fe80::1", &a6) == 1);
	EXPECT_TRUE(net_ipv6_is_ll_addr(&a6) && ZSOCK_IN6_IS_ADDR_LINKLOCAL(&a6));
	net_ipv6_addr_create(&b6, 0xfe80, 0, 0, 0, 0, 0, 0, 1);
	EXPECT_TRUE(net_ipv6_addr_cmp(&a6, &b6));
	ASSERT_TRUE(inet_pton(AF_INET6, "2001:db8:abcd:12ff::1", &a6) == 1);
	EXPECT_TRUE(net_ipv6_is_private_addr(&a6) && net_ipv6_is_global_addr(&a6));
	net_ipv6_addr_prefix_mask(a6.s6_addr, net, 52);
	ASSERT_TRUE(inet_pton(AF_INET6, "2001:db8:abcd:1000::", &b6) == 1);
	EXPECT_EQ(memcmp(net, b6.s6_addr, 16), 0);
	EXPECT_TRUE(net_ipv6_is_prefix(a6.s6_addr, b6.s6_addr, 52));
	EXPECT_TRUE(!net_ipv6_is_prefix(a6.s6_addr, b6.s6_addr, 56));
	EXPECT_TRUE(!net_ipv6_is_prefix(a6.s6_addr, b6.s6_addr, 129));

	ASSERT_TRUE(inet_pton(AF_INET, "192.0.2.9", &a4) == 1);
	net_ipv6_addr_create_v4_mapped(&a4, &a6);
	ASSERT_TRUE(inet_pton(AF_INET6, "::ffff:192.0.2.9", &b6) == 1);
	EXPECT_TRUE(net_ipv6_addr_cmp(&a6, &b6) && net_ipv6_addr_is_v4_mapped(&a6));
	EXPECT_TRUE(ZSOCK_IN6_IS_ADDR_V4MAPPED(&a6) == IN6_IS_ADDR_V4MAPPED(&a6));
	net_ipv6_addr_get_v4_mapped(&a6, &b4);
	EXPECT_TRUE(net_ipv4_addr_cmp(&a4, &b4));
	EXPECT_TRUE(net_ipv4_is_private_addr(&a4) && !net_ipv4_is_addr_loopback(&a4));
	ASSERT_TRUE(inet_pton(AF_INET, "127.8.9.10", &a4) == 1);
	EXPECT_TRUE(net_ipv4_is_addr_loopback(&a4));
	ASSERT_TRUE(inet_pton(AF_INET, "169.254.1.1", &a4) == 1);
	EXPECT_TRUE(net_ipv4_is_ll_addr(&a4) && !net_ipv4_is_addr_mcast(&a4));
	ASSERT_TRUE(inet_pton(AF_INET, "239.1.2.3", &a4) == 1);
	EXPECT_TRUE(net_ipv4_is_addr_mcast(&a4));
	EXPECT_TRUE(net_ipv4_is_addr_unspecified(net_ipv4_unspecified_address()));
	EXPECT_EQ(net_ipv4_broadcast_address()->s_addr, 0xffffffffU);
	EXPECT_TRUE(net_tcp_seq_greater(1, 0xfffffff0U));
	EXPECT_EQ(net_vlan2priority(1), NET_PRIORITY_BK);
	EXPECT_EQ(net_priority2vlan(NET_PRIORITY_BK), 1);
}

/* Zephyr's zsock_fcntl is variadic: F_GETFL takes no third argument. */
TEST(test_fcntl_variadic_two_args)
{
	int plain = zsock_socket(NET_AF_INET, NET_SOCK_DGRAM, NET_IPPROTO_UDP);
	int tls = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, NET_IPPROTO_TLS_1_2);

	ASSERT_TRUE(plain >= 0 && tls >= 0);
	EXPECT_EQ(zsock_fcntl(plain, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_EQ(zsock_fcntl(tls, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_OK(zsock_fcntl(plain, F_SETFL, O_NONBLOCK));
	EXPECT_OK(zsock_fcntl(tls, F_SETFL, O_NONBLOCK));
	EXPECT_TRUE(zsock_fcntl(plain, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(zsock_fcntl(tls, F_GETFL) & O_NONBLOCK);
	EXPECT_OK(zsock_fcntl_impl(tls, F_SETFL, 0));
	EXPECT_EQ(zsock_fcntl(tls, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_EQ(zsock_fcntl(tls, F_GETFD) & FD_CLOEXEC, 0);
	EXPECT_OK(zsock_fcntl(tls, F_SETFD, FD_CLOEXEC));
	EXPECT_EQ(zsock_fcntl(tls, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_OK(zsock_close(plain));
	EXPECT_OK(zsock_close(tls));
	EXPECT_ERRNO(zsock_fcntl(tls, F_GETFL), EBADF);
}

/* Zephyr's SOCKS5 option has a name, so Zephyr code compiles, and a number Linux refuses. */
TEST(test_so_socks5_refused)
{
	struct sockaddr_in proxy = {.sin_family = AF_INET, .sin_port = net_htons(1080)};
	int plain = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, NET_IPPROTO_TCP);
	int tls = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, NET_IPPROTO_TLS_1_2);

	ASSERT_TRUE(plain >= 0 && tls >= 0);
	EXPECT_EQ(SO_SOCKS5, ZSOCK_SO_SOCKS5);
	EXPECT_ERRNO(
		zsock_setsockopt(plain, ZSOCK_SOL_SOCKET, ZSOCK_SO_SOCKS5, &proxy, sizeof(proxy)),
		ENOPROTOOPT);
	EXPECT_ERRNO(
		zsock_setsockopt(tls, ZSOCK_SOL_SOCKET, ZSOCK_SO_SOCKS5, &proxy, sizeof(proxy)),
		ENOPROTOOPT);
	EXPECT_OK(zsock_close(plain));
	EXPECT_OK(zsock_close(tls));
}

TEST(test_socketpair_plain_and_secure)
{
	int sv[2] = {-1, -1};
	char c = 0;

	ASSERT_TRUE(zsock_socketpair(NET_AF_UNIX, NET_SOCK_STREAM, 0, sv) == 0);
	EXPECT_EQ(zsock_send(sv[0], "z", 1, 0), 1);
	EXPECT_EQ(zsock_recv(sv[1], &c, 1, 0), 1);
	EXPECT_EQ(c, 'z');
	EXPECT_OK(zsock_close(sv[0]));
	EXPECT_OK(zsock_close(sv[1]));
	EXPECT_ERRNO(zsock_socketpair(NET_AF_UNIX, NET_SOCK_STREAM, NET_IPPROTO_TLS_1_2, sv),
		     EPROTONOSUPPORT);
	EXPECT_ERRNO(zsock_socketpair(NET_AF_INET, NET_SOCK_DGRAM, NET_IPPROTO_DTLS_1_2, sv),
		     EPROTONOSUPPORT);
	EXPECT_ERRNO(zsock_socketpair(NET_AF_INET, NET_SOCK_STREAM, 0, sv), EOPNOTSUPP);
}

TEST(test_getnameinfo_numeric)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = net_htons(4242)};
	char host[ZSOCK_NI_MAXHOST];
	char serv[16];

	a6.sin6_addr = in6addr_loopback;
	EXPECT_EQ(zsock_getnameinfo((struct sockaddr *)&a6, sizeof(a6), host, sizeof(host), serv,
				    sizeof(serv), ZSOCK_NI_NUMERICHOST | ZSOCK_NI_NUMERICSERV),
		  0);
	EXPECT_STREQ(host, "::1");
	EXPECT_STREQ(serv, "4242");
	EXPECT_EQ(zsock_getnameinfo((struct sockaddr *)&a6, sizeof(a6), host, 2, NULL, 0,
				    ZSOCK_NI_NUMERICHOST),
		  DNS_EAI_OVERFLOW);
	EXPECT_EQ(zsock_getnameinfo((struct sockaddr *)&a6, 3, host, sizeof(host), NULL, 0,
				    ZSOCK_NI_NUMERICHOST),
		  DNS_EAI_FAMILY);
}

/* Zephyr's struct zsock_addrinfo: address and name inside the entry; AI_EXTFLAGS ignored. */
TEST(test_getaddrinfo_zephyr_layout)
{
	struct zsock_addrinfo hints;
	struct zsock_addrinfo *res = NULL;
	int n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = NET_AF_INET;
	hints.ai_socktype = NET_SOCK_DGRAM;
	hints.ai_flags = ZSOCK_AI_NUMERICHOST | ZSOCK_AI_CANONNAME | ZSOCK_AI_EXTFLAGS;
	hints.ai_eflags = 1;
	ASSERT_TRUE(zsock_getaddrinfo("127.0.0.1", "5684", &hints, &res) == 0);
	for (struct zsock_addrinfo *ai = res; ai != NULL; ai = ai->ai_next, n++) {
		EXPECT_TRUE(ai->ai_addr == (struct sockaddr *)&ai->_ai_addr);
		EXPECT_EQ(ai->ai_addrlen, sizeof(struct sockaddr_in));
		EXPECT_EQ(ai->ai_family, NET_AF_INET);
		EXPECT_EQ(ai->ai_socktype, NET_SOCK_DGRAM);
		EXPECT_EQ(net_sin(ai->ai_addr)->sin_port, net_htons(5684));
		EXPECT_TRUE(ai->ai_canonname == NULL || ai->ai_canonname == ai->_ai_canonname);
	}
	EXPECT_EQ(n, 1);
	zsock_freeaddrinfo(res);
	zsock_freeaddrinfo(NULL);
	EXPECT_EQ(zsock_getaddrinfo("not an address", NULL, &hints, &res), DNS_EAI_NONAME);
	EXPECT_EQ(zsock_getaddrinfo("127.0.0.1", NULL, NULL, NULL), DNS_EAI_SYSTEM);
}
