/*
 * The seed example of docs/posix.md: a TLS (or DTLS) client written with the
 * C library's names only. Built twice (tests/posix/CMakeLists.txt): linked
 * with -lsecsock-posix, and without secsock at all, run under
 * LD_PRELOAD=libsecsock-posix.so. The credential goes in through the
 * SECSOCK_TLS_CREDENTIAL_ADD socket option (or tls_credential_add() when
 * built with SEED_USE_API, which needs the library at link time).
 *
 * usage: seed_client CA_PEM PORT tls|dtls
 * Sends a line to 127.0.0.1:PORT, host name "localhost", and prints what
 * comes back ("reply: ..."); openssl s_server -rev sends it reversed.
 * Exit status 0 when the reply is the line reversed.
 */
#ifdef SEED_USE_API
#include <zephyr/net/tls_credentials.h>
#endif
#include <secsock/posix.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TAG  42
#define LINE "hello from a libc-only client"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(2);
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n + 1; /* PEM with its NUL */
	return buf;
}

static int add_ca(int fd, const char *pem, size_t len)
{
#ifdef SEED_USE_API
	(void)fd;
	int rc = tls_credential_add(TAG, TLS_CREDENTIAL_CA_CERTIFICATE, pem, len);

	return rc == 0 || rc == -EEXIST ? 0 : -1;
#else
	struct secsock_tls_credential *c = malloc(sizeof(*c) + len);
	int rc;

	if (c == NULL) {
		return -1;
	}
	c->tag = TAG;
	c->type = TLS_CREDENTIAL_CA_CERTIFICATE;
	memcpy(c + 1, pem, len);
	rc = setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, c, (socklen_t)(sizeof(*c) + len));
	free(c);
	return rc == 0 || errno == EEXIST ? 0 : -1;
#endif
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = 10};
	int tags[] = {TAG};
	char reply[256], want[sizeof(LINE)];
	size_t pem_len, got = 0;
	char *pem;
	int dtls, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CA_PEM PORT tls|dtls\n", argv[0]);
		return 2;
	}
	pem = slurp(argv[1], &pem_len);
	dtls = strcmp(argv[3], "dtls") == 0;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	fd = socket(AF_INET, dtls ? SOCK_DGRAM : SOCK_STREAM,
		    dtls ? IPPROTO_DTLS_1_2 : IPPROTO_TLS_1_2);
	if (fd < 0) {
		perror("socket(IPPROTO_TLS_1_2)");
		return 1;
	}
	if (add_ca(fd, pem, pem_len) < 0) {
		perror("credential");
		return 1;
	}
	if (setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) < 0 ||
	    setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("setsockopt");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("connect");
		return 1;
	}
	if (send(fd, LINE "\n", strlen(LINE) + 1, 0) != (ssize_t)strlen(LINE) + 1) {
		perror("send");
		return 1;
	}
	/* the reversed line and its newline; bounded by SO_RCVTIMEO and 20 reads */
	for (int i = 0; i < 20 && got < strlen(LINE) + 1; i++) {
		ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);

		if (n <= 0) {
			perror(n == 0 ? "recv: end of stream" : "recv");
			break;
		}
		got += (size_t)n;
	}
	reply[got] = '\0';
	if (close(fd) != 0) {
		perror("close");
		return 1;
	}
	for (size_t i = 0; i < strlen(LINE); i++) {
		want[i] = LINE[strlen(LINE) - 1 - i];
	}
	want[strlen(LINE)] = '\0';
	printf("reply: %s", reply);
	if (strncmp(reply, want, strlen(LINE)) != 0) {
		fprintf(stderr, "expected \"%s\"\n", want);
		return 1;
	}
	free(pem);
	return 0;
}
