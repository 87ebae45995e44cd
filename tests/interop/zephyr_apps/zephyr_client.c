/*
 * A TLS client written the way Zephyr's samples are (samples/net/sockets/
 * echo_client, http_get): the Zephyr 4.4 names (NET_AF_INET, NET_SOCK_STREAM,
 * NET_IPPROTO_TLS_1_2/1_3), zsock_getaddrinfo on a host name, the zsock_*
 * calls, the TLS options by their POSIX-style names (SOL_TLS,
 * TLS_SEC_TAG_LIST, TLS_HOSTNAME, TLS_PEER_VERIFY, TLS_CERT_VERIFY_RESULT,
 * TLS_CIPHERSUITE_USED), the variadic zsock_fcntl with <fcntl.h>'s F_GETFL,
 * F_SETFL and O_NONBLOCK, and zsock_poll. Public headers only: built by
 * tests/interop/zephyr_apps.sh against the INSTALLED tree (pkg-config in
 * -std=c11 with _POSIX_C_SOURCE, CMake in gnu11) and run against openssl
 * s_server (issue 10).
 *
 * usage: zephyr_client CERT_DIR HOST PORT 1.2|1.3 echo|http|reject [TLS_HOSTNAME]
 *   echo    against s_server -rev: lines of 1 to 12000 bytes come back reversed
 *   http    against s_server -www: "GET /" is answered "HTTP/1.0 200 ok" with a
 *           page that says the session's protocol is the one asked for
 *   reject  the handshake must fail with ECONNABORTED (a TLS_HOSTNAME that
 *           the server's certificate does not name)
 * TLS_HOSTNAME defaults to "localhost". Exit status 0 when the mode's checks
 * passed; every wait is bounded (5 s per poll, a bounded number of polls).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h> /* Zephyr code: <zephyr/posix/fcntl.h> */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_CERTIFICATE_TAG 1
#define POLL_TIMEOUT_MS    5000
#define MAX_POLLS          200
#define LINE_MAX_LEN       12000
#define PAGE_SIZE          65536

#define LOG_ERR(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "zephyr_client: " __VA_ARGS__);                                    \
		fputc('\n', stderr);                                                               \
	} while (0)

static unsigned char ca_certificate[8192];

static int load_ca(const char *dir)
{
	char path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	f = fopen(path, "rb");
	if (f == NULL) {
		LOG_ERR("%s: %s", path, strerror(errno));
		return -1;
	}
	len = fread(ca_certificate, 1, sizeof(ca_certificate) - 1, f);
	fclose(f);
	ca_certificate[len] = '\0';
	/* PEM with its NUL, as Zephyr's samples embed it */
	return tls_credential_add(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, ca_certificate,
				  len + 1);
}

/* echo_client's connect: resolve the name, socket, TLS options, connect */
static int connect_to(const char *host, const char *port, int proto, const char *tls_hostname)
{
	static const sec_tag_t sec_tag_list[] = {CA_CERTIFICATE_TAG};
	int verify = TLS_PEER_VERIFY_REQUIRED;
	struct zsock_addrinfo hints;
	struct zsock_addrinfo *res = NULL;
	int sock;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = NET_AF_INET;
	hints.ai_socktype = NET_SOCK_STREAM;
	err = zsock_getaddrinfo(host, port, &hints, &res);
	if (err != 0) {
		LOG_ERR("getaddrinfo(%s, %s): %s", host, port, zsock_gai_strerror(err));
		errno = EHOSTUNREACH;
		return -1;
	}
	sock = zsock_socket(res->ai_family, res->ai_socktype, proto);
	if (sock < 0) {
		LOG_ERR("socket: %s", strerror(errno));
		zsock_freeaddrinfo(res);
		return -1;
	}
	if (zsock_setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list, sizeof(sec_tag_list)) <
		    0 ||
	    zsock_setsockopt(sock, SOL_TLS, TLS_HOSTNAME, tls_hostname, strlen(tls_hostname) + 1) <
		    0 ||
	    zsock_setsockopt(sock, SOL_TLS, TLS_PEER_VERIFY, &verify, sizeof(verify)) < 0) {
		err = errno;
		LOG_ERR("setsockopt: %s", strerror(err));
		goto fail;
	}
	if (zsock_connect(sock, res->ai_addr, res->ai_addrlen) < 0) {
		err = errno;
		LOG_ERR("connect: %s", strerror(err));
		goto fail;
	}
	zsock_freeaddrinfo(res);
	return sock;
fail:
	zsock_freeaddrinfo(res);
	zsock_close(sock);
	errno = err;
	return -1;
}

static int wait_for(int sock, short events)
{
	struct zsock_pollfd fds[1];

	fds[0].fd = sock;
	fds[0].events = events;
	fds[0].revents = 0;
	errno = 0;
	if (zsock_poll(fds, 1, POLL_TIMEOUT_MS) != 1) {
		LOG_ERR("poll: %s", errno != 0 ? strerror(errno) : "timeout");
		return -1;
	}
	return 0;
}

/* a non-blocking send: waits for ZSOCK_POLLOUT when the socket is full */
static int send_all(int sock, const char *buf, size_t len)
{
	size_t off = 0;

	for (int polls = 0; off < len && polls < MAX_POLLS; polls++) {
		ssize_t n = zsock_send(sock, buf + off, len - off, 0);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_for(sock, ZSOCK_POLLOUT) < 0) {
				return -1;
			}
		} else {
			LOG_ERR("send: %s", n == 0 ? "0 bytes" : strerror(errno));
			return -1;
		}
	}
	return off == len ? 0 : -1;
}

/*
 * A non-blocking receive of @p want bytes, or until the peer closes when
 * @p want is 0; returns the byte count or -1.
 */
static ssize_t recv_bytes(int sock, char *buf, size_t size, size_t want)
{
	size_t got = 0;

	for (int polls = 0; polls < MAX_POLLS && got < size && (want == 0 || got < want); polls++) {
		ssize_t n;

		if (wait_for(sock, ZSOCK_POLLIN) < 0) {
			return -1;
		}
		n = zsock_recv(sock, buf + got, size - got, 0);
		if (n == 0) {
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN) {
				continue;
			}
			LOG_ERR("recv: %s", strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* s_server -rev sends each line back reversed */
static int run_echo(int sock)
{
	static const size_t lengths[] = {1, 5, 100, 1000, 5000, LINE_MAX_LEN};
	static char line[LINE_MAX_LEN + 1];
	static char reply[LINE_MAX_LEN + 1];
	size_t total = 0;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t len = lengths[i];
		ssize_t n;

		for (size_t j = 0; j < len; j++) {
			line[j] = (char)('a' + (j * 7 + i) % 26);
		}
		line[len] = '\n';
		if (send_all(sock, line, len + 1) < 0) {
			return -1;
		}
		n = recv_bytes(sock, reply, sizeof(reply), len + 1);
		if (n != (ssize_t)(len + 1) || reply[len] != '\n') {
			LOG_ERR("line %zu: %zd bytes back, want %zu", i, n, len + 1);
			return -1;
		}
		for (size_t j = 0; j < len; j++) {
			if (reply[j] != line[len - 1 - j]) {
				LOG_ERR("line %zu: byte %zu is not the reversed line", i, j);
				return -1;
			}
		}
		total += len + 1;
	}
	printf("echo: %zu lines, %zu bytes each way, reversed by the server\n",
	       sizeof(lengths) / sizeof(lengths[0]), total);
	return 0;
}

/* s_server -www answers a GET with a page about the session, then closes */
static int run_http(int sock, const char *version)
{
	static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
	static char page[PAGE_SIZE];
	char protocol[64];
	ssize_t n;

	if (send_all(sock, request, sizeof(request) - 1) < 0) {
		return -1;
	}
	n = recv_bytes(sock, page, sizeof(page) - 1, 0);
	if (n < 0) {
		return -1;
	}
	page[n] = '\0';
	snprintf(protocol, sizeof(protocol), "Protocol  : TLSv%s\n", version);
	if (strncmp(page, "HTTP/1.0 200 ok", 15) != 0 || strstr(page, protocol) == NULL) {
		LOG_ERR("the page (%zd bytes) lacks \"HTTP/1.0 200 ok\" or \"%.*s\"", n,
			(int)strlen(protocol) - 1, protocol);
		fprintf(stderr, "%.2000s\n", page);
		return -1;
	}
	printf("http: HTTP/1.0 200 ok, %zd bytes, %.*s\n", n, (int)strlen(protocol) - 1, protocol);
	return 0;
}

int main(int argc, char **argv)
{
	const char *tls_hostname = argc > 6 ? argv[6] : "localhost";
	uint32_t verify_result = 1;
	net_socklen_t optlen = sizeof(verify_result);
	int suite = 0;
	int proto;
	int flags;
	int sock;
	int ret;

	if (argc < 6 || argc > 7 || (strcmp(argv[4], "1.2") != 0 && strcmp(argv[4], "1.3") != 0)) {
		fprintf(stderr, "usage: zephyr_client CERT_DIR HOST PORT 1.2|1.3 "
				"echo|http|reject [TLS_HOSTNAME]\n");
		return 2;
	}
	proto = strcmp(argv[4], "1.3") == 0 ? NET_IPPROTO_TLS_1_3 : NET_IPPROTO_TLS_1_2;
	if (load_ca(argv[1]) < 0) {
		LOG_ERR("CA certificate not added");
		return 1;
	}

	sock = connect_to(argv[2], argv[3], proto, tls_hostname);
	if (strcmp(argv[5], "reject") == 0) {
		if (sock >= 0) {
			LOG_ERR("connected although TLS_HOSTNAME is %s", tls_hostname);
			zsock_close(sock);
			return 1;
		}
		if (errno != ECONNABORTED) {
			LOG_ERR("connect failed with %s, want ECONNABORTED", strerror(errno));
			return 1;
		}
		printf("rejected: TLS_HOSTNAME %s, connect: ECONNABORTED\n", tls_hostname);
		return 0;
	}
	if (sock < 0) {
		return 1;
	}
	optlen = sizeof(verify_result);
	if (zsock_getsockopt(sock, SOL_TLS, TLS_CERT_VERIFY_RESULT, &verify_result, &optlen) < 0 ||
	    verify_result != 0) {
		LOG_ERR("TLS_CERT_VERIFY_RESULT %u (%s)", (unsigned)verify_result, strerror(errno));
		zsock_close(sock);
		return 1;
	}
	optlen = sizeof(suite);
	(void)zsock_getsockopt(sock, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &optlen);
	printf("connected: %s:%s TLS %s, suite 0x%04x, TLS_CERT_VERIFY_RESULT 0\n", argv[2],
	       argv[3], argv[4], (unsigned)suite);

	/* non-blocking from here on, the way Zephyr code switches it: two-argument F_GETFL */
	flags = zsock_fcntl(sock, F_GETFL);
	if (flags < 0 || zsock_fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    (zsock_fcntl(sock, F_GETFL) & O_NONBLOCK) == 0) {
		LOG_ERR("fcntl: %s", strerror(errno));
		zsock_close(sock);
		return 1;
	}

	if (strcmp(argv[5], "echo") == 0) {
		ret = run_echo(sock);
	} else if (strcmp(argv[5], "http") == 0) {
		ret = run_http(sock, argv[4]);
	} else {
		LOG_ERR("unknown mode %s", argv[5]);
		ret = -1;
	}
	if (zsock_close(sock) < 0) {
		LOG_ERR("close: %s", strerror(errno));
		ret = -1;
	}
	(void)tls_credential_delete(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE);
	return ret == 0 ? 0 : 1;
}
