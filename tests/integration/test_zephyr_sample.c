/*
 * A TLS echo written the way Zephyr's samples are (samples/net/sockets/
 * echo_server and echo_client, Zephyr 4.4 names): NET_* families and types,
 * struct net_sockaddr_in, net_htons, net_addr_pton, zsock_* calls, the
 * variadic zsock_fcntl with two arguments, zsock_getnameinfo,
 * zsock_getaddrinfo, zsock_poll and zsock_select with ZSOCK_* events, and
 * the TLS options by their ZSOCK_TLS_* names. Server and client are secsock
 * sockets on 127.0.0.1 (issue 10; docs/zephyr-names.md).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/tls_credentials.h>
#include <zephyr/sys/fdtable.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

#define SERVER_CERTIFICATE_TAG 1
#define CA_CERTIFICATE_TAG     2
#define TLS_PEER_HOSTNAME      "localhost"
#define RECV_BUFFER_SIZE       1280
#define ECHO_ROUNDS            8

/* what the server saw, for the checks after the run */
static char peer_host[ZSOCK_NI_MAXHOST];
static char peer_serv[16];
static int server_bytes;
static int server_sock = -1;

static int add_credential(sec_tag_t tag, enum tls_credential_type type, const char *file)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int ret;

	if (tu_read_file(tu_cert_path(file), &buf, &len) < 0) {
		return -1;
	}
	ret = tls_credential_add(tag, type, buf, len);
	free(buf);
	return ret;
}

static int setup_server(uint16_t *port)
{
	static const sec_tag_t sec_tag_list[] = {SERVER_CERTIFICATE_TAG};
	struct net_sockaddr_in bind_addr;
	net_socklen_t len = sizeof(bind_addr);
	int reuse = 1;
	int sock;

	memset(&bind_addr, 0, sizeof(bind_addr));
	bind_addr.sin_family = NET_AF_INET;
	bind_addr.sin_port = net_htons(0);
	if (net_addr_pton(NET_AF_INET, "127.0.0.1", &bind_addr.sin_addr) < 0) {
		return -1;
	}
	sock = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, NET_IPPROTO_TLS_1_2);
	if (sock < 0) {
		return -1;
	}
	if (zsock_setsockopt(sock, ZSOCK_SOL_SOCKET, ZSOCK_SO_REUSEADDR, &reuse, sizeof(reuse)) <
		    0 ||
	    zsock_setsockopt(sock, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, sec_tag_list,
			     sizeof(sec_tag_list)) < 0 ||
	    zsock_bind(sock, (struct net_sockaddr *)&bind_addr, sizeof(bind_addr)) < 0 ||
	    zsock_listen(sock, ZSOCK_SOMAXCONN) < 0 ||
	    zsock_getsockname(sock, (struct net_sockaddr *)&bind_addr, &len) < 0) {
		zsock_close(sock);
		return -1;
	}
	*port = net_ntohs(bind_addr.sin_port);
	return sock;
}

/* one client, echoed until it closes (echo_server's handle_data) */
static void *server_thread(void *arg)
{
	struct net_sockaddr_storage client_addr;
	net_socklen_t client_addr_len = sizeof(client_addr);
	struct zsock_timeval timeo = {.tv_sec = 10};
	char buf[RECV_BUFFER_SIZE];
	int client;

	(void)arg;
	client = zsock_accept(server_sock, (struct net_sockaddr *)&client_addr, &client_addr_len);
	if (client < 0) {
		return NULL;
	}
	(void)zsock_getnameinfo((struct net_sockaddr *)&client_addr, client_addr_len, peer_host,
				sizeof(peer_host), peer_serv, sizeof(peer_serv),
				ZSOCK_NI_NUMERICHOST | ZSOCK_NI_NUMERICSERV);
	(void)zsock_setsockopt(client, ZSOCK_SOL_SOCKET, ZSOCK_SO_RCVTIMEO, &timeo, sizeof(timeo));
	for (;;) {
		ssize_t received = zsock_recv(client, buf, sizeof(buf), 0);
		ssize_t off = 0;

		if (received <= 0) {
			break;
		}
		while (off < received) {
			ssize_t sent = zsock_send(client, buf + off, (size_t)(received - off), 0);

			if (sent < 0) {
				zsock_close(client);
				return NULL;
			}
			off += sent;
		}
		server_bytes += (int)received;
	}
	zsock_close(client);
	return NULL;
}

/* echo_client's connect: resolve, socket, TLS options, connect */
static int connect_client(uint16_t port)
{
	static const sec_tag_t sec_tag_list[] = {CA_CERTIFICATE_TAG};
	struct zsock_addrinfo hints;
	struct zsock_addrinfo *res = NULL;
	char service[8];
	int sock;
	int ret;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = NET_AF_INET;
	hints.ai_socktype = NET_SOCK_STREAM;
	hints.ai_flags = ZSOCK_AI_NUMERICHOST | ZSOCK_AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", port);
	ret = zsock_getaddrinfo("127.0.0.1", service, &hints, &res);
	if (ret != 0) {
		fprintf(stderr, "getaddrinfo: %s\n", zsock_gai_strerror(ret));
		return -1;
	}
	sock = zsock_socket(res->ai_family, res->ai_socktype, NET_IPPROTO_TLS_1_2);
	if (sock >= 0 && (zsock_setsockopt(sock, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST,
					   sec_tag_list, sizeof(sec_tag_list)) < 0 ||
			  zsock_setsockopt(sock, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME,
					   TLS_PEER_HOSTNAME, sizeof(TLS_PEER_HOSTNAME)) < 0 ||
			  zsock_connect(sock, res->ai_addr, res->ai_addrlen) < 0)) {
		zsock_close(sock);
		sock = -1;
	}
	zsock_freeaddrinfo(res);
	return sock;
}

/* waits for input with zsock_poll, or with zsock_select on odd rounds */
static bool wait_readable(int sock, int round)
{
	if (round % 2 == 0) {
		struct zsock_pollfd fds[1];

		fds[0].fd = sock;
		fds[0].events = ZSOCK_POLLIN;
		fds[0].revents = 0;
		return zsock_poll(fds, 1, 5000) == 1 && (fds[0].revents & ZSOCK_POLLIN) != 0;
	} else {
		zsock_fd_set readfds;
		struct zsock_timeval tv = {.tv_sec = 5};

		ZSOCK_FD_ZERO(&readfds);
		ZSOCK_FD_SET(sock, &readfds);
		return zsock_select(sock + 1, &readfds, NULL, NULL, &tv) == 1 &&
		       ZSOCK_FD_ISSET(sock, &readfds);
	}
}

TEST(test_zephyr_style_tls_echo)
{
	char sent[RECV_BUFFER_SIZE];
	char recv_buf[RECV_BUFFER_SIZE];
	uint32_t verify_result = 1;
	net_socklen_t optlen = sizeof(verify_result);
	uint16_t port = 0;
	pthread_t server;
	int total = 0;
	int sock;
	int flags;

	ASSERT_TRUE(add_credential(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE,
				   "server.pem") == 0);
	ASSERT_TRUE(add_credential(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PRIVATE_KEY,
				   "server.key") == 0);
	ASSERT_TRUE(add_credential(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem") ==
		    0);
	server_sock = setup_server(&port);
	ASSERT_TRUE(server_sock >= 0 && port != 0);
	ASSERT_TRUE(pthread_create(&server, NULL, server_thread, NULL) == 0);

	sock = connect_client(port);
	ASSERT_TRUE(sock >= 0);
	EXPECT_OK(zsock_getsockopt(sock, ZSOCK_SOL_TLS, ZSOCK_TLS_CERT_VERIFY_RESULT,
				   &verify_result, &optlen));
	EXPECT_EQ(verify_result, 0);

	/* non-blocking from here on, the way Zephyr code switches it: two-argument F_GETFL */
	flags = zsock_fcntl(sock, ZVFS_F_GETFL);
	ASSERT_TRUE(flags >= 0);
	EXPECT_OK(zsock_fcntl(sock, ZVFS_F_SETFL, flags | ZVFS_O_NONBLOCK));
	EXPECT_TRUE((zsock_fcntl(sock, ZVFS_F_GETFL) & ZVFS_O_NONBLOCK) != 0);
	EXPECT_ERRNO(zsock_recv(sock, recv_buf, sizeof(recv_buf), 0), EAGAIN);

	for (int round = 0; round < ECHO_ROUNDS; round++) {
		size_t len = 100 + (size_t)round * 150;
		size_t got = 0;

		for (size_t i = 0; i < len; i++) {
			sent[i] = (char)('a' + (i + (size_t)round) % 26);
		}
		ASSERT_TRUE(zsock_send(sock, sent, len, 0) == (ssize_t)len);
		while (got < len) {
			ssize_t n;

			ASSERT_TRUE(wait_readable(sock, round));
			n = zsock_recv(sock, recv_buf + got, sizeof(recv_buf) - got, 0);
			ASSERT_TRUE(n > 0);
			got += (size_t)n;
		}
		EXPECT_EQ(got, len);
		EXPECT_EQ(memcmp(sent, recv_buf, len), 0);
		total += (int)len;
	}
	EXPECT_OK(zsock_close(sock));
	pthread_join(server, NULL);
	EXPECT_OK(zsock_close(server_sock));
	EXPECT_EQ(server_bytes, total);
	EXPECT_STREQ(peer_host, "127.0.0.1");
	EXPECT_TRUE(atoi(peer_serv) > 0 && atoi(peer_serv) != port);
	EXPECT_OK(tls_credential_delete(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE));
	EXPECT_OK(tls_credential_delete(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PRIVATE_KEY));
	EXPECT_OK(tls_credential_delete(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE));
}
