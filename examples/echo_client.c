/*
 * Echo client over TLS (TCP) or DTLS (UDP), written the way Zephyr's
 * samples/net/sockets/echo_client is: the CA certificate registered under a
 * security tag, zsock_getaddrinfo(), a secure socket with TLS_SEC_TAG_LIST
 * and TLS_HOSTNAME (SNI and the certificate's name), then lines of text
 * sent and compared with what comes back.
 *
 * usage: echo_client [-u] [-p PORT] [-n ROUNDS] CA HOST
 *   -u         DTLS instead of TLS
 *   -p PORT    server port (default 4242)
 *   -n ROUNDS  lines to send (default 8)
 * Exits 0 when every line came back intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "common.h"

#define RECV_BUFFER_SIZE 1280

static const char lorem_ipsum[] =
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
	"incididunt ut labore et dolore magna aliqua.\n";

static int connect_to(const char *host, const char *port, int udp)
{
	sec_tag_t sec_tag_list[] = {CA_CERTIFICATE_TAG};
	struct zsock_addrinfo hints = {.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM};
	struct zsock_addrinfo *res = NULL, *ai;
	int sock = -1, ret;

	ret = zsock_getaddrinfo(host, port, &hints, &res);
	if (ret != 0) {
		LOG_ERR("Unable to resolve %s: %s", host, zsock_gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		sock = zsock_socket(ai->ai_family, ai->ai_socktype,
				    udp ? IPPROTO_DTLS_1_2 : IPPROTO_TLS_1_2);
		if (sock < 0) {
			continue;
		}
		if (zsock_setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list,
				     sizeof(sec_tag_list)) < 0 ||
		    zsock_setsockopt(sock, SOL_TLS, TLS_HOSTNAME, host, strlen(host) + 1) < 0) {
			LOG_ERR("Failed to set TLS options: %d", errno);
			zsock_close(sock);
			sock = -1;
			break;
		}
		/* TCP: the TLS handshake runs in connect(); DTLS too (handshake on connect) */
		if (zsock_connect(sock, ai->ai_addr, ai->ai_addrlen) == 0) {
			break;
		}
		LOG_ERR("Cannot connect to %s: %d (%s)", host, errno, strerror(errno));
		zsock_close(sock);
		sock = -1;
	}
	zsock_freeaddrinfo(res);
	return sock;
}

int main(int argc, char **argv)
{
	const char *port = "4242";
	char buf[RECV_BUFFER_SIZE];
	int udp = 0, rounds = 8, opt, sock, cipher = 0;
	socklen_t optlen = sizeof(cipher);
	size_t len = strlen(lorem_ipsum), total = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "up:n:")) != -1) {
		switch (opt) {
		case 'u':
			udp = 1;
			break;
		case 'p':
			port = optarg;
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		LOG_ERR("usage: %s [-u] [-p PORT] [-n ROUNDS] CA HOST", argv[0]);
		return 2;
	}
	if (add_credential_file(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, argv[optind]) <
	    0) {
		return 1;
	}
	sock = connect_to(argv[optind + 1], port, udp);
	if (sock < 0) {
		return 1;
	}
	zsock_getsockopt(sock, SOL_TLS, TLS_CIPHERSUITE_USED, &cipher, &optlen);
	LOG_INF("Connected to %s port %s (%s), cipher suite 0x%04x", argv[optind + 1], port,
		udp ? "DTLS" : "TLS", cipher);

	for (int i = 0; i < rounds; i++) {
		size_t got = 0;

		if (zsock_send(sock, lorem_ipsum, len, 0) != (ssize_t)len) {
			LOG_ERR("send failed: %d", errno);
			return 1;
		}
		/* TCP may return the echo in pieces; a datagram comes back whole */
		while (got < len) {
			ssize_t n = zsock_recv(sock, buf + got, sizeof(buf) - got, 0);

			if (n <= 0) {
				LOG_ERR("recv failed: %d (%s)", errno,
					n == 0 ? "closed" : strerror(errno));
				return 1;
			}
			got += (size_t)n;
		}
		if (got != len || memcmp(buf, lorem_ipsum, len) != 0) {
			LOG_ERR("Invalid data received (round %d)", i);
			return 1;
		}
		total += got;
	}
	LOG_INF("Echoed %zu bytes in %d rounds: OK", total, rounds);
	zsock_close(sock);
	return 0;
}
