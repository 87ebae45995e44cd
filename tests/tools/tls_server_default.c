/*
 * A secsock TLS server with every option at its default, for black-box
 * scanners (tests/interop/testssl.sh): loads a certificate and key, listens
 * on 127.0.0.1, prints "listening PORT", and serves each connection in a
 * thread (echo, 10 s timeouts) until it is killed. Written against the
 * public API only.
 *
 * usage: tls_server_default CERT.pem KEY.pem [tls1.2|tls1.3] [SUITE,...]
 *        SUITE: IANA ids in hex (0x002F,...): a TLS_CIPHERSUITE_LIST instead of
 *        the defaults (the scanner test's negative control)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#define TAG 1

static int add_file(enum tls_credential_type type, const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rc = tls_credential_add(TAG, type, buf, n + 1);
	memset(buf, 0, sizeof(buf));
	return rc;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct zsock_timeval tv = {.tv_sec = 10};
	char buf[4096];
	ssize_t n;

	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while ((n = zsock_recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (zsock_send(fd, buf, (size_t)n, 0) != n) {
			break;
		}
	}
	zsock_close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	int proto = argc > 3 && strcmp(argv[3], "tls1.3") == 0 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	int suites[32], nsuites = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	sec_tag_t tag = TAG;
	int lst, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CERT.pem KEY.pem [tls1.2|tls1.3] [SUITE,...]\n",
			argv[0]);
		return 2;
	}
	for (char *p = argc > 4 ? argv[4] : NULL; p != NULL && *p != '\0' && nsuites < 32;) {
		char *end;

		suites[nsuites++] = (int)strtol(p, &end, 16);
		p = *end == ',' ? end + 1 : NULL;
	}
	if (add_file(TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[1]) != 0 ||
	    add_file(TLS_CREDENTIAL_PRIVATE_KEY, argv[2]) != 0) {
		fprintf(stderr, "cannot load the certificate or key\n");
		return 1;
	}
	lst = zsock_socket(AF_INET, SOCK_STREAM, proto);
	if (lst < 0 || zsock_setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    zsock_setsockopt(lst, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    (nsuites > 0 && zsock_setsockopt(lst, SOL_TLS, TLS_CIPHERSUITE_LIST, suites,
					     (socklen_t)(nsuites * (int)sizeof(int))) < 0) ||
	    zsock_bind(lst, (struct sockaddr *)&sa, sl) < 0 || zsock_listen(lst, 64) < 0 ||
	    zsock_getsockname(lst, (struct sockaddr *)&sa, &sl) < 0) {
		perror("listener");
		return 1;
	}
	printf("listening %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = zsock_accept(lst, NULL, NULL);
		pthread_t th;

		if (fd < 0) {
			continue; /* a scanner's failed handshake costs that accept() only */
		}
		if (pthread_create(&th, NULL, serve, (void *)(intptr_t)fd) != 0) {
			zsock_close(fd);
			continue;
		}
		pthread_detach(th);
	}
}
