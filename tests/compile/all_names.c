/*
 * Uses every Zephyr name that secsock's headers provide (docs/zephyr-names.md,
 * "present" and "differs" rows), with only the secsock headers included.
 * tests/compile/check_headers.sh compiles it as C99, C11, gnu11 and C++17
 * with -Wall -Wextra -Werror: a name that disappears, or a header that stops
 * compiling in one of the modes, fails the test. It is compiled, never run.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/net_compat.h>
#include <zephyr/net/socket_types.h>
#include <zephyr/net/socket_poll.h>
#include <zephyr/net/socket_select.h>
#include <zephyr/net/tls_credentials.h>
#include <zephyr/net/dns_resolve.h>
#include <zephyr/sys/fdtable.h>
#include <secsock/secsock.h>

/* struct net_sockaddr_ll / net_sockaddr_un are the host's: their headers */
#include <netpacket/packet.h>
#include <sys/un.h>

/* integer constants: each must exist and be an integer constant expression */
static const long int_names[] = {
	/* net_ip.h: families, protocols, types */
	NET_PF_UNSPEC,
	NET_PF_INET,
	NET_PF_INET6,
	NET_PF_PACKET,
	NET_PF_CAN,
	NET_PF_LOCAL,
	NET_PF_UNIX,
	NET_AF_UNSPEC,
	NET_AF_INET,
	NET_AF_INET6,
	NET_AF_PACKET,
	NET_AF_CAN,
	NET_AF_LOCAL,
	NET_AF_UNIX,
	NET_IPPROTO_IP,
	NET_IPPROTO_ICMP,
	NET_IPPROTO_IGMP,
	NET_IPPROTO_ETH_P_ALL,
	NET_IPPROTO_IPIP,
	NET_IPPROTO_TCP,
	NET_IPPROTO_UDP,
	NET_IPPROTO_IPV6,
	NET_IPPROTO_ICMPV6,
	NET_IPPROTO_SCTP,
	NET_IPPROTO_RAW,
	NET_IPPROTO_TLS_1_0,
	NET_IPPROTO_TLS_1_1,
	NET_IPPROTO_TLS_1_2,
	NET_IPPROTO_TLS_1_3,
	NET_IPPROTO_DTLS_1_0,
	NET_IPPROTO_DTLS_1_2,
	NET_SOCK_STREAM,
	NET_SOCK_DGRAM,
	NET_SOCK_RAW,
	NET_SOCK_SEQPACKET,
	NET_IPV6_ADDR_SIZE,
	NET_IPV4_ADDR_SIZE,
	NET_INADDR_ANY,
	NET_INADDR_BROADCAST,
	NET_INET_ADDRSTRLEN,
	NET_INET6_ADDRSTRLEN,
	NET_IPV6_MTU,
	NET_IPV4_MTU,
	NET_PRIORITY_BK,
	NET_PRIORITY_BE,
	NET_PRIORITY_EE,
	NET_PRIORITY_CA,
	NET_PRIORITY_VI,
	NET_PRIORITY_VO,
	NET_PRIORITY_IC,
	NET_PRIORITY_NC,
	NET_MAX_PRIORITIES,
	NET_IFNAMSIZ,
	net_htons(1),
	net_ntohs(1),
	net_htonl(1),
	net_ntohl(1),
	(long)net_htonll(1),
	(long)net_ntohll(1),
	/* socket.h: poll, flags, shutdown */
	ZSOCK_POLLIN,
	ZSOCK_POLLPRI,
	ZSOCK_POLLOUT,
	ZSOCK_POLLERR,
	ZSOCK_POLLHUP,
	ZSOCK_POLLNVAL,
	ZSOCK_MSG_PEEK,
	ZSOCK_MSG_CTRUNC,
	ZSOCK_MSG_TRUNC,
	ZSOCK_MSG_DONTWAIT,
	ZSOCK_MSG_WAITALL,
	ZSOCK_SHUT_RD,
	ZSOCK_SHUT_WR,
	ZSOCK_SHUT_RDWR,
	/* socket.h: TLS */
	ZSOCK_SOL_TLS,
	ZSOCK_TLS_SEC_TAG_LIST,
	ZSOCK_TLS_HOSTNAME,
	ZSOCK_TLS_CIPHERSUITE_LIST,
	ZSOCK_TLS_CIPHERSUITE_USED,
	ZSOCK_TLS_PEER_VERIFY,
	ZSOCK_TLS_DTLS_ROLE,
	ZSOCK_TLS_ALPN_LIST,
	ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN,
	ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX,
	ZSOCK_TLS_CERT_NOCOPY,
	ZSOCK_TLS_NATIVE,
	ZSOCK_TLS_SESSION_CACHE,
	ZSOCK_TLS_SESSION_CACHE_PURGE,
	ZSOCK_TLS_DTLS_CID,
	ZSOCK_TLS_DTLS_CID_STATUS,
	ZSOCK_TLS_DTLS_CID_VALUE,
	ZSOCK_TLS_DTLS_PEER_CID_VALUE,
	ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT,
	ZSOCK_TLS_CERT_VERIFY_RESULT,
	ZSOCK_TLS_CERT_VERIFY_CALLBACK,
	ZSOCK_TLS_PEER_VERIFY_NONE,
	ZSOCK_TLS_PEER_VERIFY_OPTIONAL,
	ZSOCK_TLS_PEER_VERIFY_REQUIRED,
	ZSOCK_TLS_DTLS_ROLE_CLIENT,
	ZSOCK_TLS_DTLS_ROLE_SERVER,
	ZSOCK_TLS_CERT_NOCOPY_NONE,
	ZSOCK_TLS_CERT_NOCOPY_OPTIONAL,
	ZSOCK_TLS_SESSION_CACHE_DISABLED,
	ZSOCK_TLS_SESSION_CACHE_ENABLED,
	ZSOCK_TLS_DTLS_CID_DISABLED,
	ZSOCK_TLS_DTLS_CID_SUPPORTED,
	ZSOCK_TLS_DTLS_CID_ENABLED,
	ZSOCK_TLS_DTLS_CID_STATUS_DISABLED,
	ZSOCK_TLS_DTLS_CID_STATUS_DOWNLINK,
	ZSOCK_TLS_DTLS_CID_STATUS_UPLINK,
	ZSOCK_TLS_DTLS_CID_STATUS_BIDIRECTIONAL,
	/* socket.h: SOL_SOCKET, TCP, IP, IPv6 */
	ZSOCK_SOL_SOCKET,
	ZSOCK_SO_DEBUG,
	ZSOCK_SO_REUSEADDR,
	ZSOCK_SO_TYPE,
	ZSOCK_SO_ERROR,
	ZSOCK_SO_DONTROUTE,
	ZSOCK_SO_BROADCAST,
	ZSOCK_SO_SNDBUF,
	ZSOCK_SO_RCVBUF,
	ZSOCK_SO_KEEPALIVE,
	ZSOCK_SO_OOBINLINE,
	ZSOCK_SO_PRIORITY,
	ZSOCK_SO_LINGER,
	ZSOCK_SO_REUSEPORT,
	ZSOCK_SO_RCVLOWAT,
	ZSOCK_SO_SNDLOWAT,
	ZSOCK_SO_RCVTIMEO,
	ZSOCK_SO_SNDTIMEO,
	ZSOCK_SO_BINDTODEVICE,
	ZSOCK_SO_ACCEPTCONN,
	ZSOCK_SO_TIMESTAMPING,
	ZSOCK_SO_PROTOCOL,
	ZSOCK_SO_DOMAIN,
	ZSOCK_SO_TXTIME,
	ZSOCK_SCM_TXTIME,
	ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE,
	ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE,
	ZSOCK_TCP_NODELAY,
	ZSOCK_TCP_KEEPIDLE,
	ZSOCK_TCP_KEEPINTVL,
	ZSOCK_TCP_KEEPCNT,
	ZSOCK_IP_TOS,
	ZSOCK_IP_TTL,
	ZSOCK_IP_PKTINFO,
	ZSOCK_IP_RECVTTL,
	ZSOCK_IP_MTU,
	ZSOCK_IP_MULTICAST_IF,
	ZSOCK_IP_MULTICAST_TTL,
	ZSOCK_IP_MULTICAST_LOOP,
	ZSOCK_IP_ADD_MEMBERSHIP,
	ZSOCK_IP_DROP_MEMBERSHIP,
	ZSOCK_IP_LOCAL_PORT_RANGE,
	ZSOCK_IPV6_UNICAST_HOPS,
	ZSOCK_IPV6_MULTICAST_IF,
	ZSOCK_IPV6_MULTICAST_HOPS,
	ZSOCK_IPV6_MULTICAST_LOOP,
	ZSOCK_IPV6_ADD_MEMBERSHIP,
	ZSOCK_IPV6_DROP_MEMBERSHIP,
	ZSOCK_IPV6_JOIN_GROUP,
	ZSOCK_IPV6_LEAVE_GROUP,
	ZSOCK_IPV6_MTU,
	ZSOCK_IPV6_DONTFRAG,
	ZSOCK_IPV6_V6ONLY,
	ZSOCK_IPV6_RECVPKTINFO,
	ZSOCK_IPV6_PKTINFO,
	ZSOCK_IPV6_RECVHOPLIMIT,
	ZSOCK_IPV6_HOPLIMIT,
	ZSOCK_IPV6_ADDR_PREFERENCES,
	ZSOCK_IPV6_PREFER_SRC_TMP,
	ZSOCK_IPV6_PREFER_SRC_PUBLIC,
	ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT,
	ZSOCK_IPV6_PREFER_SRC_COA,
	ZSOCK_IPV6_PREFER_SRC_HOME,
	ZSOCK_IPV6_PREFER_SRC_CGA,
	ZSOCK_IPV6_PREFER_SRC_NONCGA,
	ZSOCK_IPV6_TCLASS,
	ZSOCK_SOMAXCONN,
	/* socket.h: resolver flags */
	ZSOCK_AI_PASSIVE,
	ZSOCK_AI_CANONNAME,
	ZSOCK_AI_NUMERICHOST,
	ZSOCK_AI_V4MAPPED,
	ZSOCK_AI_ALL,
	ZSOCK_AI_ADDRCONFIG,
	ZSOCK_AI_NUMERICSERV,
	ZSOCK_AI_EXTFLAGS,
	ZSOCK_NI_NUMERICHOST,
	ZSOCK_NI_NUMERICSERV,
	ZSOCK_NI_NOFQDN,
	ZSOCK_NI_NAMEREQD,
	ZSOCK_NI_DGRAM,
	ZSOCK_NI_MAXHOST,
	/* socket_select.h, fdtable.h */
	ZSOCK_FD_SETSIZE,
	ZVFS_FD_SETSIZE,
	ZVFS_O_NONBLOCK,
	ZVFS_F_DUPFD,
	ZVFS_F_GETFL,
	ZVFS_F_SETFL,
	ZVFS_POLLIN,
	ZVFS_POLLPRI,
	ZVFS_POLLOUT,
	ZVFS_POLLERR,
	ZVFS_POLLHUP,
	ZVFS_POLLNVAL,
	ZFD_IOCTL_FIONREAD,
	ZFD_IOCTL_FIONBIO,
	ZFD_IOCTL_FIONWRITE,
	/* dns_resolve.h */
	DNS_MAX_NAME_SIZE,
	DNS_QUERY_TYPE_A,
	DNS_QUERY_TYPE_CNAME,
	DNS_QUERY_TYPE_PTR,
	DNS_QUERY_TYPE_TXT,
	DNS_QUERY_TYPE_AAAA,
	DNS_QUERY_TYPE_SRV,
	DNS_QUERY_TYPE_ANY,
	DNS_QUERY_TYPE_RESERVED,
	DNS_EAI_BADFLAGS,
	DNS_EAI_NONAME,
	DNS_EAI_AGAIN,
	DNS_EAI_FAIL,
	DNS_EAI_NODATA,
	DNS_EAI_FAMILY,
	DNS_EAI_SOCKTYPE,
	DNS_EAI_SERVICE,
	DNS_EAI_ADDRFAMILY,
	DNS_EAI_MEMORY,
	DNS_EAI_SYSTEM,
	DNS_EAI_OVERFLOW,
	DNS_EAI_INPROGRESS,
	DNS_EAI_CANCELED,
	DNS_EAI_NOTCANCELED,
	DNS_EAI_ALLDONE,
	DNS_EAI_IDN_ENCODE,
	/* tls_credentials.h */
	TLS_CREDENTIAL_NONE,
	TLS_CREDENTIAL_CA_CERTIFICATE,
	TLS_CREDENTIAL_PUBLIC_CERTIFICATE,
	TLS_CREDENTIAL_PRIVATE_KEY,
	TLS_CREDENTIAL_PSK,
	TLS_CREDENTIAL_PSK_ID,
	TLS_CREDENTIAL_PRIVATE_KEY_PSA,
	SEC_TAG_TLS_INVALID,
	/* net_compat.h: the pre-4.4 spellings */
	IPPROTO_TLS_1_0,
	IPPROTO_TLS_1_1,
	IPPROTO_TLS_1_2,
	IPPROTO_TLS_1_3,
	IPPROTO_DTLS_1_0,
	IPPROTO_DTLS_1_2,
	SOL_TLS,
	TLS_SEC_TAG_LIST,
	TLS_HOSTNAME,
	TLS_CIPHERSUITE_LIST,
	TLS_CIPHERSUITE_USED,
	TLS_PEER_VERIFY,
	TLS_DTLS_ROLE,
	TLS_ALPN_LIST,
	TLS_DTLS_HANDSHAKE_TIMEOUT_MIN,
	TLS_DTLS_HANDSHAKE_TIMEOUT_MAX,
	TLS_CERT_NOCOPY,
	TLS_NATIVE,
	TLS_SESSION_CACHE,
	TLS_SESSION_CACHE_PURGE,
	TLS_DTLS_CID,
	TLS_DTLS_CID_STATUS,
	TLS_DTLS_CID_VALUE,
	TLS_DTLS_PEER_CID_VALUE,
	TLS_DTLS_HANDSHAKE_ON_CONNECT,
	TLS_CERT_VERIFY_RESULT,
	TLS_CERT_VERIFY_CALLBACK,
	TLS_PEER_VERIFY_NONE,
	TLS_PEER_VERIFY_OPTIONAL,
	TLS_PEER_VERIFY_REQUIRED,
	TLS_DTLS_ROLE_CLIENT,
	TLS_DTLS_ROLE_SERVER,
	TLS_CERT_NOCOPY_NONE,
	TLS_CERT_NOCOPY_OPTIONAL,
	TLS_SESSION_CACHE_DISABLED,
	TLS_SESSION_CACHE_ENABLED,
	TLS_DTLS_CID_DISABLED,
	TLS_DTLS_CID_SUPPORTED,
	TLS_DTLS_CID_ENABLED,
	TLS_DTLS_CID_STATUS_DISABLED,
	TLS_DTLS_CID_STATUS_DOWNLINK,
	TLS_DTLS_CID_STATUS_UPLINK,
	TLS_DTLS_CID_STATUS_BIDIRECTIONAL,
	AF_INET,
	AF_INET6,
	AF_UNSPEC,
	PF_INET,
	SOCK_STREAM,
	SOCK_DGRAM,
	IPPROTO_TCP,
	IPPROTO_UDP,
	IPPROTO_ETH_P_ALL,

	AI_PASSIVE,
	AI_CANONNAME,
	AI_NUMERICHOST,
	AI_V4MAPPED,
	AI_ALL,
	AI_ADDRCONFIG,
	AI_NUMERICSERV,
	AI_EXTFLAGS,
	NI_NUMERICHOST,
	NI_NUMERICSERV,
	NI_NOFQDN,
	NI_NAMEREQD,
	NI_DGRAM,
	NI_MAXHOST,
	SOL_SOCKET,
	SO_REUSEADDR,
	SO_PRIORITY,
	SO_REUSEPORT,
	SO_BINDTODEVICE,
	SO_PROTOCOL,
	SO_DOMAIN,
	SO_TXTIME,
	SCM_TXTIME,
	SO_RCVTIMEO,
	SHUT_RD,
	MSG_PEEK,
	MSG_CTRUNC,
	TCP_NODELAY,
	IP_TOS,
	IPV6_V6ONLY,
	IPV6_PREFER_SRC_TMP,
	IPV6_PREFER_SRC_PUBLIC,
	IPV6_PREFER_SRC_PUBTMP_DEFAULT,
	IPV6_PREFER_SRC_COA,
	IPV6_PREFER_SRC_HOME,
	IPV6_PREFER_SRC_CGA,
	IPV6_PREFER_SRC_NONCGA,
	SOMAXCONN,
	INET6_ADDRSTRLEN,
	/* secsock.h */
	SECSOCK_TLS_ASYNC_HANDSHAKE,
	SECSOCK_TLS_SESSION_RESUMED,
};

/* types */
static struct net_sockaddr sa;
static struct net_sockaddr_in sin4;
static struct net_sockaddr_in6 sin6;
static struct net_sockaddr_storage ss;
static struct net_sockaddr_ll sll;
static struct net_sockaddr_un sun_;
static struct net_in_addr in4 = NET_INADDR_ANY_INIT;
static struct net_in_addr lo4 = NET_INADDR_LOOPBACK_INIT;
static struct net_in6_addr in6 = NET_IN6ADDR_ANY_INIT;
static struct net_in6_addr lo6 = NET_IN6ADDR_LOOPBACK_INIT;
static net_socklen_t slen;
static net_sa_family_t fam;
static struct net_iovec iov;
static struct net_msghdr msg;
static struct net_cmsghdr cmsg;
static struct net_linger lin;
static struct net_ifreq ifr;
static struct net_in_pktinfo pki;
static struct net_ip_mreqn mreqn;
static struct net_ip_mreq mreq;
static struct net_ipv6_mreq mreq6;
static struct net_in6_pktinfo pki6;
static struct zsock_pollfd pfd;
static struct zvfs_pollfd vpfd;
static struct zsock_timeval tv;
static zsock_fd_set fds;
static struct zsock_addrinfo ai;
static struct zsock_tls_cert_verify_cb vcb;
static struct tls_cert_verify_cb vcb_legacy;
static sec_tag_t tag;
static enum tls_credential_type ctype;
static enum net_ip_protocol ipproto;
static enum net_ip_protocol_secure secproto;
static enum net_sock_type stype;
static enum net_ip_mtu mtu;
static enum net_priority prio;
static enum dns_query_type qtype;
static enum dns_resolve_status dstatus;
static dns_resolve_cb_t dns_cb;

/* functions and function-like macros */
int secsock_use_every_call(void);
int secsock_use_every_call(void)
{
	uint8_t raw[16] = {0};
	uint8_t out[16];
	char buf[NET_INET6_ADDRSTRLEN];
	char host[ZSOCK_NI_MAXHOST];
	char serv[32];
	struct zsock_addrinfo *res = NULL;
	uint16_t port = 0;
	int sv[2];
	int n = 0;
	int fd = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, NET_IPPROTO_TLS_1_2);

	n += (int)sizeof(int_names) + (int)sizeof(sa) + (int)sizeof(sin4) + (int)sizeof(sin6);
	n += (int)sizeof(ss) + (int)sizeof(sll) + (int)sizeof(sun_) + (int)sizeof(in4);
	n += (int)sizeof(lo4) + (int)sizeof(in6) + (int)sizeof(lo6) + (int)sizeof(slen);
	n += (int)sizeof(fam) + (int)sizeof(iov) + (int)sizeof(msg) + (int)sizeof(cmsg);
	n += (int)sizeof(lin) + (int)sizeof(ifr) + (int)sizeof(pki) + (int)sizeof(mreqn);
	n += (int)sizeof(mreq) + (int)sizeof(mreq6) + (int)sizeof(pki6) + (int)sizeof(pfd);
	n += (int)sizeof(vpfd) + (int)sizeof(tv) + (int)sizeof(fds) + (int)sizeof(ai);
	n += (int)sizeof(vcb) + (int)sizeof(vcb_legacy) + (int)sizeof(tag) + (int)sizeof(ctype);
	n += (int)sizeof(ipproto) + (int)sizeof(secproto) + (int)sizeof(stype) + (int)sizeof(mtu);
	n += (int)sizeof(prio) + (int)sizeof(qtype) + (int)sizeof(dstatus) + (int)sizeof(dns_cb);
	n += (int)sizeof(net_in6addr_any) + (int)sizeof(net_in6addr_loopback);
	n += (int)sizeof(in6.s6_addr16) + (int)sizeof(in6.s6_addr32);
	n += (int)NET_CMSG_SPACE(4) + (int)NET_CMSG_LEN(4);
	n += NET_CMSG_FIRSTHDR(&msg) == NULL;
	n += NET_CMSG_FIRSTHDR(&msg) != NULL && NET_CMSG_NXTHDR(&msg, &cmsg) == NULL;
	n += NET_CMSG_FIRSTHDR(&msg) != NULL && NET_CMSG_DATA(&cmsg)[0] == 0;

	/* net_ip.h helpers */
	n += net_ipv6_is_addr_loopback(&lo6) + net_ipv6_is_addr_unspecified(&in6);
	n += net_ipv6_is_addr_mcast(&in6) + net_ipv6_is_prefix(raw, raw, 64);
	net_ipv6_addr_prefix_mask(raw, out, 64);
	n += net_ipv4_is_addr_loopback(&lo4) + net_ipv4_is_addr_unspecified(&in4);
	n += net_ipv4_is_addr_mcast(&in4) + net_ipv4_is_ll_addr(&in4);
	n += net_ipv4_is_private_addr(&in4);
	net_ipaddr_copy(&in4, &lo4);
	net_ipv4_addr_copy_raw(out, raw);
	net_ipv6_addr_copy_raw(out, raw);
	n += net_ipv4_addr_cmp_raw(out, raw) + net_ipv4_addr_cmp(&in4, &lo4);
	n += net_ipv6_addr_cmp(&in6, &lo6) + net_ipv6_addr_cmp_raw(out, raw);
	n += net_ipv6_is_ll_addr(&in6) + net_ipv6_is_sl_addr(&in6) + net_ipv6_is_ula_addr(&in6);
	n += net_ipv6_is_global_addr(&in6) + net_ipv6_is_private_addr(&in6);
	n += net_ipv6_unspecified_address() != NULL;
	n += net_ipv4_unspecified_address() != NULL;
	n += net_ipv4_broadcast_address() != NULL;
	n += net_ipv6_is_addr_solicited_node(&in6) + net_ipv6_is_addr_mcast_scope(&in6, 2);
	n += net_ipv6_is_same_mcast_scope(&in6, &lo6) + net_ipv6_get_addr_mcast_scope(&in6);
	n += net_ipv6_is_addr_mcast_global(&in6) + net_ipv6_is_addr_mcast_iface(&in6);
	n += net_ipv6_is_addr_mcast_link(&in6) + net_ipv6_is_addr_mcast_mesh(&in6);
	n += net_ipv6_is_addr_mcast_site(&in6) + net_ipv6_is_addr_mcast_org(&in6);
	n += net_ipv6_is_addr_mcast_group(&in6, &lo6);
	n += net_ipv6_is_addr_mcast_all_nodes_group(&in6);
	n += net_ipv6_is_addr_mcast_iface_all_nodes(&in6);
	n += net_ipv6_is_addr_mcast_link_all_nodes(&in6);
	net_ipv6_addr_create_solicited_node(&lo6, &in6);
	net_ipv6_addr_create(&in6, 0xfe80, 0, 0, 0, 0, 0, 0, 1);
	net_ipv6_addr_create_ll_allnodes_mcast(&in6);
	net_ipv6_addr_create_ll_allrouters_mcast(&in6);
	net_ipv6_addr_create_v4_mapped(&lo4, &in6);
	n += net_ipv6_addr_is_v4_mapped(&in6);
	net_ipv6_addr_get_v4_mapped(&in6, &in4);
	n += net_sad(&ss)->sa_family + net_sas(&sa)->ss_family + net_sin(&sa)->sin_port;
	n += net_sin6(&sa)->sin6_port;
	n += net_sockaddr_cmp(&sa, &sa) + net_tcp_seq_cmp(1, 2) + net_tcp_seq_greater(1, 2);
	n += (int)net_vlan2priority(3) + net_priority2vlan(NET_PRIORITY_VO);
	n += (int)net_family2size(NET_AF_INET6);
	n += net_addr_pton(NET_AF_INET, "127.0.0.1", &in4);
	n += net_addr_ntop(NET_AF_INET6, &in6, buf, sizeof(buf)) != NULL;
	n += net_ipaddr_parse("[::1]:4242", 10, &sa);
	n += net_port_set(&sa, 1) + net_port_set_default(&sa, 2) + net_port_get(&sa, &port);
	n += net_family2str(NET_AF_INET) != NULL;
	n += net_ipaddr_parse_mask("192.0.2.1/24", 12, &sa, out) != NULL;
	n += net_mask_len_to_netmask(NET_AF_INET, 24, &sa);
	n += net_netmask_to_mask_len(NET_AF_INET, &sa, out);
	n += net_bytes_from_str(out, 6, "ab:02:98:fa:42:01");
	n += ZSOCK_IN6_IS_ADDR_UNSPECIFIED(&in6) + ZSOCK_IN6_IS_ADDR_LOOPBACK(&in6);
	n += ZSOCK_IN6_IS_ADDR_MULTICAST(&in6) + ZSOCK_IN6_IS_ADDR_LINKLOCAL(&in6);
	n += ZSOCK_IN6_IS_ADDR_SITELOCAL(&in6) + ZSOCK_IN6_IS_ADDR_V4MAPPED(&in6);
	n += ZSOCK_IN6_IS_ADDR_MC_GLOBAL(&in6) + ZSOCK_IN6_IS_ADDR_MC_NODELOCAL(&in6);
	n += ZSOCK_IN6_IS_ADDR_MC_LINKLOCAL(&in6) + ZSOCK_IN6_IS_ADDR_MC_SITELOCAL(&in6);
	n += ZSOCK_IN6_IS_ADDR_MC_ORGLOCAL(&in6);

	/* socket calls */
	n += zsock_socketpair(NET_AF_UNIX, NET_SOCK_STREAM, 0, sv);
	n += zsock_shutdown(fd, ZSOCK_SHUT_RD);
	n += zsock_bind(fd, &sa, sizeof(sin4));
	n += zsock_connect(fd, (struct net_sockaddr *)&sin4, sizeof(sin4));
	n += zsock_listen(fd, ZSOCK_SOMAXCONN);
	n += zsock_accept(fd, NULL, NULL);
	n += (int)zsock_send(fd, "x", 1, 0) + (int)zsock_recv(fd, buf, 1, ZSOCK_MSG_DONTWAIT);
	n += (int)zsock_sendto(fd, "x", 1, 0, &sa, slen);
	n += (int)zsock_recvfrom(fd, buf, 1, 0, &sa, &slen);
	n += (int)zsock_sendmsg(fd, &msg, 0) + (int)zsock_recvmsg(fd, &msg, 0);
	n += zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, &tag, sizeof(tag));
	n += zsock_getsockopt(fd, ZSOCK_SOL_SOCKET, ZSOCK_SO_ERROR, &n, &slen);
	n += zsock_poll(&pfd, 1, 0) + zvfs_poll(&vpfd, 1, 0);
	ZSOCK_FD_ZERO(&fds);
	ZSOCK_FD_SET(fd, &fds);
	ZSOCK_FD_CLR(fd, &fds);
	n += ZSOCK_FD_ISSET(fd, &fds) + zsock_select(fd + 1, &fds, NULL, NULL, &tv);
	n += zsock_fcntl(fd, ZVFS_F_GETFL);
	n += zsock_fcntl(fd, ZVFS_F_SETFL, ZVFS_O_NONBLOCK);
	n += zsock_fcntl_impl(fd, ZVFS_F_SETFL, 0);
	n += zsock_ioctl(fd, ZFD_IOCTL_FIONBIO, &n);
	n += zsock_getsockname(fd, &sa, &slen) + zsock_getpeername(fd, &sa, &slen);
	n += zsock_gethostname(host, sizeof(host));
	n += zsock_inet_pton(NET_AF_INET6, "::1", &in6);
	n += zsock_inet_ntop(NET_AF_INET, &in4, buf, sizeof(buf)) != NULL;
	n += zsock_getaddrinfo("localhost", NULL, &ai, &res);
	zsock_freeaddrinfo(res);
	n += zsock_gai_strerror(DNS_EAI_NONAME) != NULL;
	n += zsock_getnameinfo(&sa, slen, host, sizeof(host), serv, sizeof(serv),
			       ZSOCK_NI_NUMERICHOST | ZSOCK_NI_NUMERICSERV);
	n += zsock_close(fd);

	/* tls_credentials.h, secsock.h */
	n += tls_credential_add(1, TLS_CREDENTIAL_PSK, "k", 1);
	n += tls_credential_get(1, TLS_CREDENTIAL_PSK, buf, NULL);
	n += tls_credential_delete(1, TLS_CREDENTIAL_PSK);
	n += tls_credential_expiry(1, TLS_CREDENTIAL_CA_CERTIFICATE, NULL);
	n += secsock_version() != NULL;
	return n;
}
