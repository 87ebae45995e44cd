/*
 * A TLS server written with the C library's names, linked with
 * -lsecsock-posix (tests/posix/openssl.sh): prints "listening PORT", accepts
 * one client and sends it FILE with sendfile() (through TLS), then closes.
 *
 * usage: posix_server CERTS FILE
 */
#define _GNU_SOURCE
#include <secsock/posix.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG 5

static int add(int fd, int type, const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	struct secsock_tls_credential *c;
	int f, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = open(path, O_RDONLY);
	if (f < 0 || fstat(f, &st) != 0) {
		perror(path);
		return -1;
	}
	c = calloc(1, sizeof(*c) + (size_t)st.st_size + 1);
	if (c == NULL || read(f, c + 1, (size_t)st.st_size) != st.st_size) {
		perror(path);
		return -1;
	}
	close(f);
	c->tag = TAG;
	c->type = type;
	rc = setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, c,
			(socklen_t)(sizeof(*c) + (size_t)st.st_size + 1));
	free(c);
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int tags[] = {TAG};
	struct stat st;
	int lst, c, f;
	ssize_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CERTS FILE\n", argv[0]);
		return 2;
	}
	lst = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	if (lst < 0 || add(lst, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[1], "server.pem") != 0 ||
	    add(lst, TLS_CREDENTIAL_PRIVATE_KEY, argv[1], "server.key") != 0 ||
	    setsockopt(lst, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) != 0 ||
	    bind(lst, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lst, 1) != 0 ||
	    getsockname(lst, (struct sockaddr *)&a, &len) != 0) {
		perror("listener");
		return 1;
	}
	printf("listening %u\n", ntohs(a.sin_port));
	fflush(stdout);
	c = accept(lst, NULL, NULL);
	f = open(argv[2], O_RDONLY);
	if (c < 0 || f < 0 || fstat(f, &st) != 0) {
		perror("accept/open");
		return 1;
	}
	n = sendfile(c, f, NULL, (size_t)st.st_size);
	printf("sendfile: %zd of %lld bytes\n", n, (long long)st.st_size);
	close(f);
	close(c);
	close(lst);
	return n == st.st_size ? 0 : 1;
}
