/*
 * Every constant of the docs/zephyr-behaviour.md §1 (and the public struct layouts)
 * checked at compile time, with the host's <sys/socket.h> included BEFORE the
 * Zephyr headers (glibc defines SOL_TLS 282 itself). test_constants_order.c
 * includes them the other way round. A wrong value fails the build.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

/* The public headers must not drag in Mbed TLS: no backend type appears in a public header. */
#if defined(MBEDTLS_VERSION_NUMBER) || defined(MBEDTLS_SSL_H) || defined(MBEDTLS_BUILD_INFO_H) ||  \
	defined(PSA_CRYPTO_H)
#error "a public secsock header includes an Mbed TLS header"
#endif

#include "harness.h"

#include <unistd.h>

/* Both spellings equal the value (Zephyr 4.4+ names and the net_compat.h legacy aliases). */
#define SAME2(a, b, v) _Static_assert((a) == (v) && (b) == (v), #a " and " #b " must be " #v)
#define IS(a, v)       _Static_assert((int)(a) == (int)(v), #a " must be " #v)

/* ---- docs/zephyr-behaviour.md §1.1: protocol numbers (enum net_ip_protocol_secure) ---- */
SAME2(NET_IPPROTO_TLS_1_0, IPPROTO_TLS_1_0, 256);
SAME2(NET_IPPROTO_TLS_1_1, IPPROTO_TLS_1_1, 257);
SAME2(NET_IPPROTO_TLS_1_2, IPPROTO_TLS_1_2, 258);
SAME2(NET_IPPROTO_TLS_1_3, IPPROTO_TLS_1_3, 259);
SAME2(NET_IPPROTO_DTLS_1_0, IPPROTO_DTLS_1_0, 272);
SAME2(NET_IPPROTO_DTLS_1_2, IPPROTO_DTLS_1_2, 273);

/* Address families, socket types and TCP/UDP are the host's own (docs/zephyr-behaviour.md §0). */
IS(NET_AF_UNSPEC, AF_UNSPEC);
IS(NET_AF_INET, AF_INET);
IS(NET_AF_INET6, AF_INET6);
IS(NET_SOCK_STREAM, SOCK_STREAM);
IS(NET_SOCK_DGRAM, SOCK_DGRAM);
IS(NET_IPPROTO_TCP, IPPROTO_TCP);
IS(NET_IPPROTO_UDP, IPPROTO_UDP);

/* ---- docs/zephyr-behaviour.md §1.2: level ---- */
SAME2(ZSOCK_SOL_TLS, SOL_TLS, 282);
IS(ZSOCK_SOL_SOCKET, SOL_SOCKET);

/* ---- docs/zephyr-behaviour.md §1.3: SOL_TLS options 1-20 ---- */
SAME2(ZSOCK_TLS_SEC_TAG_LIST, TLS_SEC_TAG_LIST, 1);
SAME2(ZSOCK_TLS_HOSTNAME, TLS_HOSTNAME, 2);
SAME2(ZSOCK_TLS_CIPHERSUITE_LIST, TLS_CIPHERSUITE_LIST, 3);
SAME2(ZSOCK_TLS_CIPHERSUITE_USED, TLS_CIPHERSUITE_USED, 4);
SAME2(ZSOCK_TLS_PEER_VERIFY, TLS_PEER_VERIFY, 5);
SAME2(ZSOCK_TLS_DTLS_ROLE, TLS_DTLS_ROLE, 6);
SAME2(ZSOCK_TLS_ALPN_LIST, TLS_ALPN_LIST, 7);
SAME2(ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, 8);
SAME2(ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, 9);
SAME2(ZSOCK_TLS_CERT_NOCOPY, TLS_CERT_NOCOPY, 10);
SAME2(ZSOCK_TLS_NATIVE, TLS_NATIVE, 11);
SAME2(ZSOCK_TLS_SESSION_CACHE, TLS_SESSION_CACHE, 12);
SAME2(ZSOCK_TLS_SESSION_CACHE_PURGE, TLS_SESSION_CACHE_PURGE, 13);
SAME2(ZSOCK_TLS_DTLS_CID, TLS_DTLS_CID, 14);
SAME2(ZSOCK_TLS_DTLS_CID_STATUS, TLS_DTLS_CID_STATUS, 15);
SAME2(ZSOCK_TLS_DTLS_CID_VALUE, TLS_DTLS_CID_VALUE, 16);
SAME2(ZSOCK_TLS_DTLS_PEER_CID_VALUE, TLS_DTLS_PEER_CID_VALUE, 17);
SAME2(ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT, TLS_DTLS_HANDSHAKE_ON_CONNECT, 18);
SAME2(ZSOCK_TLS_CERT_VERIFY_RESULT, TLS_CERT_VERIFY_RESULT, 19);
SAME2(ZSOCK_TLS_CERT_VERIFY_CALLBACK, TLS_CERT_VERIFY_CALLBACK, 20);

/* ---- docs/zephyr-behaviour.md §1.3: value constants ---- */
SAME2(ZSOCK_TLS_PEER_VERIFY_NONE, TLS_PEER_VERIFY_NONE, 0);
SAME2(ZSOCK_TLS_PEER_VERIFY_OPTIONAL, TLS_PEER_VERIFY_OPTIONAL, 1);
SAME2(ZSOCK_TLS_PEER_VERIFY_REQUIRED, TLS_PEER_VERIFY_REQUIRED, 2);
SAME2(ZSOCK_TLS_DTLS_ROLE_CLIENT, TLS_DTLS_ROLE_CLIENT, 0);
SAME2(ZSOCK_TLS_DTLS_ROLE_SERVER, TLS_DTLS_ROLE_SERVER, 1);
SAME2(ZSOCK_TLS_CERT_NOCOPY_NONE, TLS_CERT_NOCOPY_NONE, 0);
SAME2(ZSOCK_TLS_CERT_NOCOPY_OPTIONAL, TLS_CERT_NOCOPY_OPTIONAL, 1);
SAME2(ZSOCK_TLS_SESSION_CACHE_DISABLED, TLS_SESSION_CACHE_DISABLED, 0);
SAME2(ZSOCK_TLS_SESSION_CACHE_ENABLED, TLS_SESSION_CACHE_ENABLED, 1);
SAME2(ZSOCK_TLS_DTLS_CID_DISABLED, TLS_DTLS_CID_DISABLED, 0);
SAME2(ZSOCK_TLS_DTLS_CID_SUPPORTED, TLS_DTLS_CID_SUPPORTED, 1);
SAME2(ZSOCK_TLS_DTLS_CID_ENABLED, TLS_DTLS_CID_ENABLED, 2);
SAME2(ZSOCK_TLS_DTLS_CID_STATUS_DISABLED, TLS_DTLS_CID_STATUS_DISABLED, 0);
SAME2(ZSOCK_TLS_DTLS_CID_STATUS_DOWNLINK, TLS_DTLS_CID_STATUS_DOWNLINK, 1);
SAME2(ZSOCK_TLS_DTLS_CID_STATUS_UPLINK, TLS_DTLS_CID_STATUS_UPLINK, 2);
SAME2(ZSOCK_TLS_DTLS_CID_STATUS_BIDIRECTIONAL, TLS_DTLS_CID_STATUS_BIDIRECTIONAL, 3);

/* ---- docs/zephyr-behaviour.md §2: credential types, tags ---- */
IS(TLS_CREDENTIAL_NONE, 0);
IS(TLS_CREDENTIAL_CA_CERTIFICATE, 1);
IS(TLS_CREDENTIAL_PUBLIC_CERTIFICATE, 2);
IS(TLS_CREDENTIAL_PRIVATE_KEY, 3);
IS(TLS_CREDENTIAL_PSK, 4);
IS(TLS_CREDENTIAL_PSK_ID, 5);
IS(TLS_CREDENTIAL_PRIVATE_KEY_PSA, 6);
IS(TLS_CREDENTIAL_SERVER_CERTIFICATE, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
IS(SEC_TAG_TLS_INVALID, -1);
_Static_assert(sizeof(sec_tag_t) == sizeof(int), "sec_tag_t is int (TLS_SEC_TAG_LIST optlen)");
_Static_assert((sec_tag_t)-1 < 0, "sec_tag_t is signed (negative tags reserved)");

/* ---- flags, poll events, shutdown: Zephyr's documented values AND the host's ---- */
#define ZH(z, h, v) _Static_assert((z) == (v) && (h) == (v), #z " and host " #h " must be " #v)
ZH(ZSOCK_MSG_PEEK, MSG_PEEK, 0x02);
ZH(ZSOCK_MSG_TRUNC, MSG_TRUNC, 0x20);
ZH(ZSOCK_MSG_DONTWAIT, MSG_DONTWAIT, 0x40);
ZH(ZSOCK_MSG_WAITALL, MSG_WAITALL, 0x100);
ZH(ZSOCK_POLLIN, POLLIN, 0x01);
ZH(ZSOCK_POLLPRI, POLLPRI, 0x02);
ZH(ZSOCK_POLLOUT, POLLOUT, 0x04);
ZH(ZSOCK_POLLERR, POLLERR, 0x08);
ZH(ZSOCK_POLLHUP, POLLHUP, 0x10);
ZH(ZSOCK_POLLNVAL, POLLNVAL, 0x20);
ZH(ZSOCK_SHUT_RD, SHUT_RD, 0);
ZH(ZSOCK_SHUT_WR, SHUT_WR, 1);
ZH(ZSOCK_SHUT_RDWR, SHUT_RDWR, 2);

/* ---- struct layouts ---- */
#define SAME_FIELD(za, ha, f)                                                                      \
	_Static_assert(offsetof(struct za, f) == offsetof(struct ha, f) &&                         \
			       sizeof(((struct za *)0)->f) == sizeof(((struct ha *)0)->f),         \
		       "struct " #za "." #f " must match struct " #ha "." #f)
_Static_assert(sizeof(struct zsock_pollfd) == sizeof(struct pollfd), "zsock_pollfd size");
SAME_FIELD(zsock_pollfd, pollfd, fd);
SAME_FIELD(zsock_pollfd, pollfd, events);
SAME_FIELD(zsock_pollfd, pollfd, revents);
_Static_assert(sizeof(struct zsock_timeval) == sizeof(struct timeval), "zsock_timeval size");
SAME_FIELD(zsock_timeval, timeval, tv_sec);
SAME_FIELD(zsock_timeval, timeval, tv_usec);
_Static_assert(sizeof(struct zsock_tls_cert_verify_cb) == 2 * sizeof(void *),
	       "zsock_tls_cert_verify_cb is { void *cb; void *ctx; }");
_Static_assert(offsetof(struct zsock_tls_cert_verify_cb, cb) == 0, "cb first");
_Static_assert(offsetof(struct zsock_tls_cert_verify_cb, ctx) == sizeof(void *), "ctx second");
_Static_assert(sizeof(((struct zsock_tls_cert_verify_cb *)0)->cb) == sizeof(void *), "cb ptr");
_Static_assert(sizeof(((struct zsock_tls_cert_verify_cb *)0)->ctx) == sizeof(void *), "ctx ptr");
_Static_assert(sizeof(struct tls_cert_verify_cb) == sizeof(struct zsock_tls_cert_verify_cb),
	       "legacy name tls_cert_verify_cb");
/* Zephyr's field order; the address and the name live inside each entry */
_Static_assert(offsetof(struct zsock_addrinfo, ai_next) == 0, "zsock_addrinfo: ai_next first");
_Static_assert(offsetof(struct zsock_addrinfo, ai_flags) <
			       offsetof(struct zsock_addrinfo, ai_eflags) &&
		       offsetof(struct zsock_addrinfo, ai_eflags) <
			       offsetof(struct zsock_addrinfo, ai_addrlen) &&
		       offsetof(struct zsock_addrinfo, ai_addr) <
			       offsetof(struct zsock_addrinfo, ai_canonname),
	       "zsock_addrinfo: Zephyr's field order");
_Static_assert(sizeof(((struct zsock_addrinfo *)0)->_ai_addr) == sizeof(struct sockaddr_storage),
	       "zsock_addrinfo: room for any address");

/* ---- Zephyr's signatures (a type change breaks Zephyr code that takes their address) ---- */
/* NOLINTNEXTLINE(bugprone-macro-parentheses): a type name cannot be parenthesised */
#define SIG(fn, type) _Static_assert(_Generic(&(fn), type : 1, default : 0), #fn " signature")
SIG(zsock_socket, int (*)(int, int, int));
SIG(zsock_close, int (*)(int));
SIG(zsock_shutdown, int (*)(int, int));
SIG(zsock_bind, int (*)(int, const struct sockaddr *, socklen_t));
SIG(zsock_connect, int (*)(int, const struct sockaddr *, socklen_t));
SIG(zsock_listen, int (*)(int, int));
SIG(zsock_accept, int (*)(int, struct sockaddr *, socklen_t *));
SIG(zsock_send, ssize_t (*)(int, const void *, size_t, int));
SIG(zsock_recv, ssize_t (*)(int, void *, size_t, int));
SIG(zsock_sendto, ssize_t (*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t));
SIG(zsock_recvfrom, ssize_t (*)(int, void *, size_t, int, struct sockaddr *, socklen_t *));
SIG(zsock_sendmsg, ssize_t (*)(int, const struct msghdr *, int));
SIG(zsock_recvmsg, ssize_t (*)(int, struct msghdr *, int));
SIG(zsock_setsockopt, int (*)(int, int, int, const void *, socklen_t));
SIG(zsock_getsockopt, int (*)(int, int, int, void *, socklen_t *));
SIG(zsock_poll, int (*)(struct zsock_pollfd *, int, int));
SIG(zsock_select,
    int (*)(int, zsock_fd_set *, zsock_fd_set *, zsock_fd_set *, struct zsock_timeval *));
SIG(zsock_fcntl, int (*)(int, int, ...));
SIG(zsock_socketpair, int (*)(int, int, int, int *));
SIG(zsock_getnameinfo,
    int (*)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int));
SIG(net_addr_pton, int (*)(sa_family_t, const char *, void *));
SIG(net_addr_ntop, char *(*)(sa_family_t, const void *, char *, size_t));
SIG(zsock_ioctl, int (*)(int, unsigned long, ...));
SIG(zsock_getsockname, int (*)(int, struct sockaddr *, socklen_t *));
SIG(zsock_getpeername, int (*)(int, struct sockaddr *, socklen_t *));
SIG(zsock_inet_pton, int (*)(sa_family_t, const char *, void *));
SIG(zsock_inet_ntop, char *(*)(sa_family_t, const void *, char *, size_t));
SIG(zsock_getaddrinfo,
    int (*)(const char *, const char *, const struct zsock_addrinfo *, struct zsock_addrinfo **));
SIG(zsock_freeaddrinfo, void (*)(struct zsock_addrinfo *));
SIG(tls_credential_add, int (*)(sec_tag_t, enum tls_credential_type, const void *, size_t));
SIG(tls_credential_get, int (*)(sec_tag_t, enum tls_credential_type, void *, size_t *));
SIG(tls_credential_delete, int (*)(sec_tag_t, enum tls_credential_type));
SIG(tls_credential_expiry, int (*)(sec_tag_t, enum tls_credential_type, time_t *));
SIG(secsock_version, const char *(*)(void));

/* glibc's own SOL_TLS (included first) is the value the header relies on. */
TEST(test_sol_tls_glibc_first_is_282)
{
	EXPECT_EQ(SOL_TLS, 282);
	EXPECT_EQ(ZSOCK_SOL_TLS, 282);
}

/* docs/zephyr-behaviour.md §1.3: options are numbered 1..20 without gaps, both spellings. */
TEST(test_tls_options_dense_both_spellings)
{
	static const int zs[] = {
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
	};
	static const int legacy[] = {
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
	};
	_Static_assert(sizeof(zs) == sizeof(legacy), "same count");
	EXPECT_EQ(sizeof(zs) / sizeof(zs[0]), 20);
	for (size_t i = 0; i < sizeof(zs) / sizeof(zs[0]); i++) {
		EXPECT_EQ(zs[i], (int)i + 1);
		EXPECT_EQ(legacy[i], zs[i]);
	}
}

/* secsock's extension options can never collide with Zephyr's (include/secsock/secsock.h). */
TEST(test_extension_range_above_zephyr)
{
	EXPECT_TRUE(SECSOCK_TLS_OPT_BASE > 255);
}

/* docs/zephyr-behaviour.md §2: the enumerators are usable as values of the enum type. */
TEST(test_credential_types_values)
{
	enum tls_credential_type t = TLS_CREDENTIAL_SERVER_CERTIFICATE;

	EXPECT_EQ(t, 2);
	t = TLS_CREDENTIAL_PRIVATE_KEY_PSA;
	EXPECT_EQ(t, 6);
}

/* struct zsock_pollfd is usable where the host wants struct pollfd (same layout). */
TEST(test_pollfd_layout_runtime)
{
	int p[2];
	struct zsock_pollfd fds[2];

	ASSERT_TRUE(pipe(p) == 0);
	fds[0].fd = p[0];
	fds[0].events = ZSOCK_POLLIN;
	fds[0].revents = 0x7fff;
	fds[1].fd = p[1];
	fds[1].events = ZSOCK_POLLOUT;
	fds[1].revents = 0x7fff;
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(poll((struct pollfd *)fds, 2, 1000), 2);
	EXPECT_EQ(fds[0].revents, ZSOCK_POLLIN);
	EXPECT_EQ(fds[1].revents, ZSOCK_POLLOUT);
	close(p[0]);
	close(p[1]);
}

/* The version string names the library and equals the header's version numbers. */
TEST(test_version_string_prefix)
{
	char want[64];
	const char *v = secsock_version();

	ASSERT_TRUE(v != NULL);
	EXPECT_EQ(strncmp(v, "secsock ", 8), 0);
	int n = snprintf(want, sizeof(want), "secsock %d.%d.%d", SECSOCK_VERSION_MAJOR,
			 SECSOCK_VERSION_MINOR, SECSOCK_VERSION_PATCH);

	ASSERT_TRUE(n > 0 && (size_t)n < sizeof(want));
	EXPECT_EQ(strncmp(v, want, strlen(want)), 0);
	/* next char ends the number: "0.1.0" must not match "0.1.01" */
	EXPECT_TRUE(v[strlen(want)] == '\0' || v[strlen(want)] == ' ');
	EXPECT_TRUE(secsock_version() == v);
}
