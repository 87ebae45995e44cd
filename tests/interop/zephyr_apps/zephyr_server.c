/*
 * A TLS server written the way Zephyr's samples are (samples/net/sockets/
 * echo_server): the Zephyr 4.4 names (NET_AF_INET, NET_SOCK_STREAM,
 * NET_IPPROTO_TLS_1_2/1_3, struct net_sockaddr_in, net_htons/net_ntohs),
 * net_addr_pton, the zsock_* calls, the TLS options by their ZSOCK_* names
 * (ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, ZSOCK_TLS_CIPHERSUITE_USED),
 * ZSOCK_SO_REUSEADDR, zsock_select on the listener, the variadic zsock_fcntl
 * with <zephyr/sys/fdtable.h>'s ZVFS_F_GETFL/ZVFS_O_NONBLOCK, zsock_poll and
 * zsock_getnameinfo. Public headers only: built by
 * tests/interop/zephyr_apps.sh against the INSTALLED tree (pkg-config and
 * CMake) and run against openssl s_client (issue 10).
 *
 * usage: zephyr_server CERT_DIR 1.2|1.3
 * Listens on 127.0.0.1 on a port the kernel picks and prints "listening PORT";
 * accepts one client within 20 s, reads one line (5 s at most), answers
 * "pong: LINE" and closes. Exit status 0 when the line was answered.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/socket_select.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/tls_credentials.h>
#include <zephyr/sys/fdtable.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_CERTIFICATE_TAG 1
#define ACCEPT_TIMEOUT_S       20
#define RECV_TIMEOUT_MS        5000
#define MAX_POLLS              100
#define RECV_BUFFER_SIZE       1280

#define LOG_INF(...)                                                                               \
	do {                                                                                       \
		printf(__VA_ARGS__);                                                               \
		putchar('\n');                                                                     \
		fflush(stdout);                                                                    \
	} while (0)
#define LOG_ERR(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "zephyr_server: " __VA_ARGS__);                                    \
		fputc('\n', stderr);                                                               \
	} while (0)

static int add_credential(enum tls_credential_type type, const char *dir, const char *name)
{
	static unsigned char bufs[2][8192];
	unsigned char *buf = bufs[type == TLS_CREDENTIAL_PRIVATE_KEY];
	char path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		LOG_ERR("%s: %s", path, strerror(errno));
		return -1;
	}
	len = fread(buf, 1, sizeof(bufs[0]) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return tls_credential_add(SERVER_CERTIFICATE_TAG, type, buf, len + 1);
}

static int setup_server(int proto, uint16_t *port)
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
		LOG_ERR("net_addr_pton failed");
		return -1;
	}
	sock = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, proto);
	if (sock < 0) {
		LOG_ERR("socket: %s", strerror(errno));
		return -1;
	}
	if (zsock_setsockopt(sock, ZSOCK_SOL_SOCKET, ZSOCK_SO_REUSEADDR, &reuse, sizeof(reuse)) <
		    0 ||
	    zsock_setsockopt(sock, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, sec_tag_list,
			     sizeof(sec_tag_list)) < 0 ||
	    zsock_bind(sock, (struct net_sockaddr *)&bind_addr, sizeof(bind_addr)) < 0 ||
	    zsock_listen(sock, ZSOCK_SOMAXCONN) < 0 ||
	    zsock_getsockname(sock, (struct net_sockaddr *)&bind_addr, &len) < 0) {
		LOG_ERR("listener: %s", strerror(errno));
		zsock_close(sock);
		return -1;
	}
	*port = net_ntohs(bind_addr.sin_port);
	return sock;
}

/* one line from a non-blocking socket, each wait bounded by zsock_poll */
static ssize_t recv_line(int client, char *buf, size_t size)
{
	size_t got = 0;

	for (int polls = 0; polls < MAX_POLLS && got < size - 1; polls++) {
		struct zsock_pollfd fds[1] = {{.fd = client, .events = ZSOCK_POLLIN}};
		ssize_t n;

		if (zsock_poll(fds, 1, RECV_TIMEOUT_MS) != 1) {
			LOG_ERR("no data within %d ms", RECV_TIMEOUT_MS);
			return -1;
		}
		n = zsock_recv(client, buf + got, size - 1 - got, 0);
		if (n < 0 && errno == EAGAIN) {
			continue;
		}
		if (n <= 0) {
			LOG_ERR("recv: %s", n == 0 ? "peer closed" : strerror(errno));
			return -1;
		}
		got += (size_t)n;
		buf[got] = '\0';
		if (memchr(buf, '\n', got) != NULL) {
			return (ssize_t)got;
		}
	}
	return -1;
}

static int handle_client(int client, const struct net_sockaddr_storage *client_addr,
			 net_socklen_t client_addr_len)
{
	char host[ZSOCK_NI_MAXHOST] = "?";
	char serv[16] = "?";
	char buf[RECV_BUFFER_SIZE];
	char reply[RECV_BUFFER_SIZE + 16];
	net_socklen_t optlen;
	int suite = 0;
	int flags;
	ssize_t len;
	int n;

	(void)zsock_getnameinfo((const struct net_sockaddr *)client_addr, client_addr_len, host,
				sizeof(host), serv, sizeof(serv),
				ZSOCK_NI_NUMERICHOST | ZSOCK_NI_NUMERICSERV);
	optlen = sizeof(suite);
	(void)zsock_getsockopt(client, ZSOCK_SOL_TLS, ZSOCK_TLS_CIPHERSUITE_USED, &suite, &optlen);
	LOG_INF("accepted: %s:%s, suite 0x%04x", host, serv, (unsigned)suite);

	flags = zsock_fcntl(client, ZVFS_F_GETFL);
	if (flags < 0 || zsock_fcntl(client, ZVFS_F_SETFL, flags | ZVFS_O_NONBLOCK) < 0) {
		LOG_ERR("fcntl: %s", strerror(errno));
		return -1;
	}
	len = recv_line(client, buf, sizeof(buf));
	if (len < 0) {
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	LOG_INF("received: %s", buf);
	n = snprintf(reply, sizeof(reply), "pong: %s\n", buf);
	for (int off = 0, polls = 0; off < n; polls++) {
		struct zsock_pollfd fds[1] = {{.fd = client, .events = ZSOCK_POLLOUT}};
		ssize_t sent;

		if (polls >= MAX_POLLS || zsock_poll(fds, 1, RECV_TIMEOUT_MS) != 1) {
			LOG_ERR("cannot send");
			return -1;
		}
		sent = zsock_send(client, reply + off, (size_t)(n - off), 0);
		if (sent < 0 && errno != EAGAIN) {
			LOG_ERR("send: %s", strerror(errno));
			return -1;
		}
		off += sent > 0 ? (int)sent : 0;
	}
	LOG_INF("answered: %d bytes", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct net_sockaddr_storage client_addr;
	net_socklen_t client_addr_len = sizeof(client_addr);
	struct zsock_timeval timeout = {.tv_sec = ACCEPT_TIMEOUT_S};
	zsock_fd_set readfds;
	uint16_t port = 0;
	int server;
	int client;
	int ret;

	if (argc != 3 || (strcmp(argv[2], "1.2") != 0 && strcmp(argv[2], "1.3") != 0)) {
		fprintf(stderr, "usage: zephyr_server CERT_DIR 1.2|1.3\n");
		return 2;
	}
	if (add_credential(TLS_CREDENTIAL_SERVER_CERTIFICATE, argv[1], "server.pem") < 0 ||
	    add_credential(TLS_CREDENTIAL_PRIVATE_KEY, argv[1], "server.key") < 0) {
		LOG_ERR("credentials not added");
		return 1;
	}
	server = setup_server(
		strcmp(argv[2], "1.3") == 0 ? NET_IPPROTO_TLS_1_3 : NET_IPPROTO_TLS_1_2, &port);
	if (server < 0) {
		return 1;
	}
	LOG_INF("listening %u", port);

	ZSOCK_FD_ZERO(&readfds);
	ZSOCK_FD_SET(server, &readfds);
	ret = zsock_select(server + 1, &readfds, NULL, NULL, &timeout);
	if (ret != 1 || !ZSOCK_FD_ISSET(server, &readfds)) {
		LOG_ERR("no client within %d s", ACCEPT_TIMEOUT_S);
		zsock_close(server);
		return 1;
	}
	client = zsock_accept(server, (struct net_sockaddr *)&client_addr, &client_addr_len);
	if (client < 0) {
		LOG_ERR("accept: %s", strerror(errno));
		zsock_close(server);
		return 1;
	}
	ret = handle_client(client, &client_addr, client_addr_len);
	if (zsock_close(client) < 0 || zsock_close(server) < 0) {
		LOG_ERR("close: %s", strerror(errno));
		ret = -1;
	}
	return ret == 0 ? 0 : 1;
}
