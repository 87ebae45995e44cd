/*
 * DTLS echo over loopback with nothing but socket calls: ONE server socket
 * (TLS_DTLS_ROLE_SERVER, no listen/accept) echoes datagrams with
 * recvfrom/sendto; the client's connect() runs the handshake.
 *
 * usage: dtls_echo CA.pem SERVER.pem SERVER.key
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
	int fd = *(int *)arg;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256];
	ssize_t n = zsock_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);

	if (n > 0) {
		zsock_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	} else {
		perror("server recvfrom");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	sec_tag_t server_tags[] = {SERVER_TAG}, client_tags[] = {CA_TAG};
	int role = TLS_DTLS_ROLE_SERVER, suite = 0;
	struct zsock_timeval tv = {.tv_sec = 10};
	const char *msg = "hello over DTLS";
	uint32_t verify = 1;
	socklen_t optlen;
	char buf[256];
	pthread_t t;
	int server, fd;
	ssize_t n;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CA.pem SERVER.pem SERVER.key\n", argv[0]);
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
	server = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	if (server < 0 ||
	    zsock_setsockopt(server, SOL_TLS, TLS_SEC_TAG_LIST, server_tags, sizeof(server_tags)) <
		    0 ||
	    zsock_setsockopt(server, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)) < 0 ||
	    zsock_setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    zsock_bind(server, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    zsock_getsockname(server, (struct sockaddr *)&addr, &len) < 0) {
		perror("server");
		return 1;
	}
	pthread_create(&t, NULL, serve, &server);

	fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
	if (fd < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, client_tags, sizeof(client_tags)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    zsock_connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("client");
		return 1;
	}
	optlen = sizeof(suite);
	zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &optlen);
	optlen = sizeof(verify);
	zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &verify, &optlen);
	printf("DTLS client: connected to 127.0.0.1:%u, DTLS 1.2, cipher suite 0x%04X, "
	       "certificate verification %s (flags 0x%x)\n",
	       ntohs(addr.sin_port), (unsigned)suite, verify == 0 ? "ok" : "FAILED", verify);

	zsock_send(fd, msg, strlen(msg), 0);
	n = zsock_recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	printf("DTLS client: sent \"%s\", echoed \"%s\"\n", msg, buf);
	zsock_close(fd);
	pthread_join(t, NULL);
	zsock_close(server);
	return n == (ssize_t)strlen(msg) && strcmp(buf, msg) == 0 ? 0 : 1;
}
