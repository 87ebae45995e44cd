/*
 * The Zephyr headers included FIRST, then the host's socket headers a
 * program typically adds (glibc's <bits/socket.h> defines SOL_TLS 282 too;
 * the two definitions must agree and not clash). <linux/tls.h> is
 * deliberately not included: its TLS_TX/TLS_RX use SOL_TLS 1-2.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <zephyr/net/net_ip.h>
#include <secsock/secsock.h>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>

#if defined(MBEDTLS_VERSION_NUMBER) || defined(PSA_CRYPTO_H)
#error "a public secsock header includes an Mbed TLS header"
#endif

#include "harness.h"

_Static_assert(SOL_TLS == 282, "SOL_TLS after the host headers");
_Static_assert(ZSOCK_SOL_TLS == SOL_TLS, "ZSOCK_SOL_TLS == SOL_TLS");
_Static_assert(TLS_SEC_TAG_LIST == 1 && TLS_CERT_VERIFY_CALLBACK == 20, "options survive");
_Static_assert(IPPROTO_TLS_1_2 == 258 && IPPROTO_DTLS_1_2 == 273, "protocols survive");
_Static_assert(ZSOCK_POLLIN == POLLIN && ZSOCK_MSG_DONTWAIT == MSG_DONTWAIT, "host values");

/* docs/zephyr-behaviour.md §1.2: SOL_TLS is 282 whichever header came first. */
TEST(test_sol_tls_zephyr_first_is_282)
{
	EXPECT_EQ(SOL_TLS, 282);
	EXPECT_EQ(ZSOCK_SOL_TLS, 282);
}

/* docs/zephyr-behaviour.md §1.1: the legacy protocol names are the 4.4+ enumerators. */
TEST(test_protocols_zephyr_first)
{
	EXPECT_EQ(IPPROTO_TLS_1_0, NET_IPPROTO_TLS_1_0);
	EXPECT_EQ(IPPROTO_TLS_1_3, 259);
	EXPECT_EQ(IPPROTO_DTLS_1_0, 272);
}

/* Host names stay usable next to ours: the headers do not redefine them. */
TEST(test_host_names_untouched)
{
	EXPECT_EQ(IPPROTO_TCP, 6);
	EXPECT_EQ(IPPROTO_UDP, 17);
	EXPECT_EQ(TCP_NODELAY, 1);
	EXPECT_EQ(sizeof(struct sockaddr_un) > sizeof(struct sockaddr), 1);
}

/* A TLS socket made after the host headers answers SO_PROTOCOL with Zephyr's number. */
TEST(test_tls_socket_zephyr_first)
{
	int proto = 0;
	socklen_t len = sizeof(proto);
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len));
	EXPECT_EQ(proto, 258);
	EXPECT_EQ(zsock_close(fd), 0);
}

TEST(test_version_zephyr_first)
{
	const char *v = secsock_version();

	ASSERT_TRUE(v != NULL);
	EXPECT_EQ(strncmp(v, "secsock ", 8), 0);
}
