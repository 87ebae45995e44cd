/*
 * HTTPS GET, written the way Zephyr's samples/net/sockets/http_get is with
 * TLS enabled: the CA certificate under a security tag, zsock_getaddrinfo(),
 * a TLS socket with TLS_SEC_TAG_LIST, TLS_HOSTNAME and an ALPN list, one
 * HTTP/1.0 request, and the response printed as it arrives until the server
 * closes.
 *
 * usage: https_get [-p PORT] CA HOST [PATH]
 *   -p PORT   server port (default 443)
 * Exits 0 when the response starts with an HTTP status line.
 */
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "common.h"

#define CHECK(r)                                                                                   \
	do {                                                                                       \
		if ((r) == -1) {                                                                   \
			LOG_ERR("Error: " #r ": %d (%s)", errno, strerror(errno));                 \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

int main(int argc, char **argv)
{
	static const char *const alpn_list[] = {"http/1.1"};
	sec_tag_t sec_tag_list[] = {CA_CERTIFICATE_TAG};
	struct zsock_addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	const char *port = "443", *host, *path;
	char request[512], response[1024];
	size_t total = 0;
	ssize_t len;
	int opt, sock, st;
	bool http = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p') {
			return 2;
		}
		port = optarg;
	}
	if (argc - optind < 2 || argc - optind > 3) {
		LOG_ERR("usage: %s [-p PORT] CA HOST [PATH]", argv[0]);
		return 2;
	}
	host = argv[optind + 1];
	path = argc - optind == 3 ? argv[optind + 2] : "/";
	if (add_credential_file(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, argv[optind]) <
	    0) {
		return 1;
	}

	st = zsock_getaddrinfo(host, port, &hints, &res);
	if (st != 0 || res == NULL) {
		LOG_ERR("Unable to resolve address: %s", zsock_gai_strerror(st));
		return 1;
	}
	sock = zsock_socket(res->ai_family, res->ai_socktype, IPPROTO_TLS_1_2);
	CHECK(sock);
	CHECK(zsock_setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list,
			       sizeof(sec_tag_list)));
	CHECK(zsock_setsockopt(sock, SOL_TLS, TLS_HOSTNAME, host, strlen(host) + 1));
	CHECK(zsock_setsockopt(sock, SOL_TLS, TLS_ALPN_LIST, alpn_list, sizeof(alpn_list)));
	CHECK(zsock_connect(sock, res->ai_addr, res->ai_addrlen));
	zsock_freeaddrinfo(res);

	snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	CHECK(zsock_send(sock, request, strlen(request), 0));
	LOG_INF("Response:\n");
	while ((len = zsock_recv(sock, response, sizeof(response) - 1, 0)) > 0) {
		response[len] = '\0';
		if (total == 0) {
			http = strncmp(response, "HTTP/1.", 7) == 0;
		}
		total += (size_t)len;
		fputs(response, stdout);
	}
	CHECK(len);
	LOG_INF("\nClose socket (%zu bytes received)", total);
	zsock_close(sock);
	return http ? 0 : 1;
}
