/*
 * TLS echo over loopback with nothing but socket calls: a server thread
 * accepts one client and echoes what it reads; the client verifies the
 * server against a CA, sends a line and prints what the handshake chose.
 *
 * usage: tls_echo CA.pem SERVER.pem SERVER.key [tls1.2|tls1.3]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#define CA_TAG     1
#define SERVER_TAG 2

static int add_file(sec_tag_t tag, enum tls_credential_type type, const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;
	int rc;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	rc = tls_credential_add(tag, type, buf, n);
	memset(buf, 0, sizeof(buf));
	return rc;
}

static void *serve(void *arg)
{
	int listener = *(int *)arg;
	char buf[256];
	ssize_t n;
	int fd = zsock_accept(listener, NULL, NULL);

	if (fd < 0) {
		perror("accept");
		return NULL;
	}
	while ((n = zsock_recv(fd, buf, sizeof(buf), 0)) > 0) {
		zsock_send(fd, buf, (size_t)n, 0);
	}
	zsock_close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	sec_tag_t server_tags[] = {SERVER_TAG}, client_tags[] = {CA_TAG};
	int proto = argc > 4 && strcmp(argv[4], "tls1.3") == 0 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	const char *msg = "hello over TLS";
	char buf[256];
	pthread_t t;
	int listener, fd, suite = 0;
	uint32_t verify = 1;
	socklen_t optlen;
	ssize_t n;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CA.pem SERVER.pem SERVER.key [tls1.2|tls1.3]\n",
			argv[0]);
		return 2;
	}
	if (add_file(CA_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, argv[1]) < 0 ||
	    add_file(SERVER_TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[2]) < 0 ||
	    add_file(SERVER_TAG, TLS_CREDENTIAL_PRIVATE_KEY, argv[3]) < 0) {
		fprintf(stderr, "cannot load credentials\n");
		return 1;
	}
	printf("%s\n", secsock_version());

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = zsock_socket(AF_INET, SOCK_STREAM, proto);
	if (listener < 0 ||
	    zsock_setsockopt(listener, SOL_TLS, TLS_SEC_TAG_LIST, server_tags,
			     sizeof(server_tags)) < 0 ||
	    zsock_bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    zsock_listen(listener, 1) < 0 ||
	    zsock_getsockname(listener, (struct sockaddr *)&addr, &len) < 0) {
		perror("server");
		return 1;
	}
	pthread_create(&t, NULL, serve, &listener);

	fd = zsock_socket(AF_INET, SOCK_STREAM, proto);
	if (fd < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, client_tags, sizeof(client_tags)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    zsock_connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("client");
		return 1;
	}
	optlen = sizeof(suite);
	zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &optlen);
	optlen = sizeof(verify);
	zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &verify, &optlen);
	/* TLS 1.3 suites are 0x1301..0x1305; every other suite is TLS 1.2 */
	printf("TLS client: connected to 127.0.0.1:%u, %s, cipher suite 0x%04X, "
	       "certificate verification %s (flags 0x%x)\n",
	       ntohs(addr.sin_port), (suite & 0xFF00) == 0x1300 ? "TLS 1.3" : "TLS 1.2",
	       (unsigned)suite, verify == 0 ? "ok" : "FAILED", verify);

	zsock_send(fd, msg, strlen(msg), 0);
	n = zsock_recv(fd, buf, strlen(msg), MSG_WAITALL);
	buf[n > 0 ? n : 0] = 0;
	printf("TLS client: sent \"%s\", echoed \"%s\"\n", msg, buf);
	zsock_close(fd);
	pthread_join(t, NULL);
	zsock_close(listener);
	return n == (ssize_t)strlen(msg) && strcmp(buf, msg) == 0 ? 0 : 1;
}
