/*
 * Echo server over TLS (TCP) or DTLS (UDP), written the way Zephyr's
 * samples/net/sockets/echo_server is: credentials registered under
 * security tags, a secure socket, TLS_SEC_TAG_LIST, and every byte received
 * sent back. TLS: one thread per client (up to MAX_CLIENTS at once); DTLS:
 * one socket for every peer (TLS_DTLS_ROLE_SERVER), recvfrom/sendto.
 *
 * usage: echo_server [-u] [-p PORT] [-n COUNT] CERT KEY
 *   -u        DTLS instead of TLS
 *   -p PORT   port to listen on (default 4242; 0: the kernel picks one)
 *   -n COUNT  stop after COUNT clients (TLS) or datagrams (DTLS); default: never
 * It prints "Listening on port N".
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "common.h"

#define MAX_CLIENTS      8
#define RECV_BUFFER_SIZE 1280

static void *handle_client(void *arg)
{
	int client = (int)(intptr_t)arg;
	char buf[RECV_BUFFER_SIZE];
	ssize_t received;
	int total = 0;

	while ((received = zsock_recv(client, buf, sizeof(buf), 0)) > 0) {
		char *p = buf;

		while (received > 0) {
			ssize_t sent = zsock_send(client, p, (size_t)received, 0);

			if (sent < 0) {
				LOG_ERR("TCP (TLS): send failed: %d", errno);
				goto out;
			}
			p += sent;
			received -= sent;
			total += (int)sent;
		}
	}
out:
	LOG_INF("TCP (TLS): connection closed, %d bytes echoed", total);
	zsock_close(client);
	return NULL;
}

static int serve_tcp(int sock, int count)
{
	pthread_t threads[MAX_CLIENTS];
	int n = 0;

	while (count == 0 || n < count) {
		struct sockaddr_in client_addr;
		socklen_t client_addr_len = sizeof(client_addr);
		char addr_str[32];
		int client = zsock_accept(sock, (struct sockaddr *)&client_addr, &client_addr_len);

		if (client < 0) {
			LOG_ERR("TCP (TLS): accept failed: %d (%s)", errno, strerror(errno));
			continue; /* a client whose handshake failed */
		}
		zsock_inet_ntop(AF_INET, &client_addr.sin_addr, addr_str, sizeof(addr_str));
		LOG_INF("TCP (TLS): accepted connection from %s:%d", addr_str,
			ntohs(client_addr.sin_port));
		if (n >= MAX_CLIENTS) {
			pthread_join(threads[n % MAX_CLIENTS], NULL);
		}
		pthread_create(&threads[n % MAX_CLIENTS], NULL, handle_client,
			       (void *)(intptr_t)client);
		n++;
	}
	for (int i = n > MAX_CLIENTS ? n - MAX_CLIENTS : 0; i < n; i++) {
		pthread_join(threads[i % MAX_CLIENTS], NULL);
	}
	return 0;
}

static int serve_udp(int sock, int count)
{
	char buf[RECV_BUFFER_SIZE];

	for (int n = 0; count == 0 || n < count; n++) {
		struct sockaddr_storage client_addr;
		socklen_t client_addr_len = sizeof(client_addr);
		ssize_t received =
			zsock_recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&client_addr,
				       &client_addr_len);

		if (received < 0) {
			LOG_ERR("UDP (DTLS): recvfrom failed: %d (%s)", errno, strerror(errno));
			n--;
			continue;
		}
		if (zsock_sendto(sock, buf, (size_t)received, 0, (struct sockaddr *)&client_addr,
				 client_addr_len) < 0) {
			LOG_ERR("UDP (DTLS): sendto failed: %d", errno);
		}
		LOG_INF("UDP (DTLS): echoed %d bytes", (int)received);
	}
	return 0;
}

int main(int argc, char **argv)
{
	sec_tag_t sec_tag_list[] = {SERVER_CERTIFICATE_TAG};
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t addr_len = sizeof(addr);
	int udp = 0, port = 4242, count = 0, opt, sock, role = TLS_DTLS_ROLE_SERVER;

	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((opt = getopt(argc, argv, "up:n:")) != -1) {
		switch (opt) {
		case 'u':
			udp = 1;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		LOG_ERR("usage: %s [-u] [-p PORT] [-n COUNT] CERT KEY", argv[0]);
		return 2;
	}
	if (add_credential_file(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_SERVER_CERTIFICATE,
				argv[optind]) < 0 ||
	    add_credential_file(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PRIVATE_KEY,
				argv[optind + 1]) < 0) {
		return 1;
	}

	sock = zsock_socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM,
			    udp ? IPPROTO_DTLS_1_2 : IPPROTO_TLS_1_2);
	if (sock < 0) {
		LOG_ERR("Failed to create socket: %d", errno);
		return 1;
	}
	if (zsock_setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list, sizeof(sec_tag_list)) <
	    0) {
		LOG_ERR("Failed to set TLS_SEC_TAG_LIST: %d", errno);
		return 1;
	}
	if (udp && zsock_setsockopt(sock, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)) < 0) {
		LOG_ERR("Failed to set TLS_DTLS_ROLE: %d", errno);
		return 1;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (zsock_bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    (!udp && zsock_listen(sock, 5) < 0)) {
		LOG_ERR("Failed to bind/listen: %d (%s)", errno, strerror(errno));
		return 1;
	}
	zsock_getsockname(sock, (struct sockaddr *)&addr, &addr_len);
	LOG_INF("Listening on port %d (%s)", ntohs(addr.sin_port), udp ? "DTLS" : "TLS");
	fflush(stdout);

	if (udp) {
		serve_udp(sock, count);
	} else {
		serve_tcp(sock, count);
	}
	zsock_close(sock);
	return 0;
}
