/*
 * Built against the INSTALLED tree, through pkg-config secsock-mbedtls and
 * CMake secsock::mbedtls: application code whose TLS_CERT_VERIFY_CALLBACK
 * reads the certificates it receives with Mbed TLS's X.509 helpers
 * (mbedtls_x509_dn_gets), as Zephyr applications do. The client sends
 * "ping\n" and wants "gnip\n" back (openssl s_server -rev answers so). Exits
 * 0 when the callback saw the server's subject "CN=localhost" and the CA's
 * subject, and the line came back.
 *
 * usage: verify_cb CERT_DIR                  a secsock server on 127.0.0.1
 *                                             (tests/unit/install.sh)
 *        verify_cb CERT_DIR PORT [1.2|1.3]   the server on 127.0.0.1:PORT:
 *                                             openssl s_server -rev
 *                                             (tests/interop/zephyr_apps.sh)
 * CERT_DIR is tests/lib/certs.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>
#include <mbedtls/build_info.h>
#include <mbedtls/x509_crt.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MBEDTLS_VERSION_NUMBER < 0x03060000 || MBEDTLS_VERSION_NUMBER >= 0x03070000
#error "secsock-mbedtls must give the Mbed TLS 3.6 headers secsock was built with"
#endif

static char subject[2][256];
static int calls;
static int lst = -1;

/* Mbed TLS's verify callback signature; depth 0 is the server's certificate */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	calls++;
	if (depth >= 0 && depth < 2 &&
	    mbedtls_x509_dn_gets(subject[depth], sizeof(subject[depth]), &crt->subject) < 0) {
		return -1;
	}
	return (*flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) ? -1 : 0;
}

static int add(sec_tag_t tag, enum tls_credential_type type, const char *dir, const char *name)
{
	static unsigned char buf[8192];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return tls_credential_add(tag, type, buf, n);
}

/* one line, sent back reversed (what openssl s_server -rev does) */
static void *serve(void *arg)
{
	char b[16];
	int c = zsock_accept(lst, NULL, NULL);

	(void)arg;
	if (c >= 0) {
		ssize_t n = zsock_recv(c, b, sizeof(b), 0);

		if (n > 1 && b[n - 1] == '\n') {
			for (ssize_t i = 0; i < (n - 1) / 2; i++) {
				char x = b[i];

				b[i] = b[n - 2 - i];
				b[n - 2 - i] = x;
			}
			(void)zsock_send(c, b, (size_t)n, 0);
		}
		zsock_close(c);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const sec_tag_t srv_tags[] = {1};
	static const sec_tag_t cli_tags[] = {2};
	struct zsock_tls_cert_verify_cb vcb = {(void *)verify_cb, NULL};
	struct zsock_timeval tv = {10, 0};
	struct net_sockaddr_in a;
	net_socklen_t alen = sizeof(a);
	int port = argc >= 3 ? atoi(argv[2]) : 0;
	int proto = argc == 4 && strcmp(argv[3], "1.3") == 0 ? NET_IPPROTO_TLS_1_3
							     : NET_IPPROTO_TLS_1_2;
	pthread_t t;
	char b[16];
	ssize_t got = 0;
	int c;

	if (argc < 2 || argc > 4 || (argc >= 3 && (port <= 0 || port > 65535)) ||
	    add(1, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[1], "server.pem") ||
	    add(1, TLS_CREDENTIAL_PRIVATE_KEY, argv[1], "server.key") ||
	    add(2, TLS_CREDENTIAL_CA_CERTIFICATE, argv[1], "ca.pem")) {
		fprintf(stderr,
			"usage: verify_cb CERT_DIR [PORT [1.2|1.3]] (credentials from %s)\n",
			argc >= 2 ? argv[1] : "?");
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = NET_AF_INET;
	a.sin_addr.s_addr = net_htonl(0x7f000001);
	a.sin_port = net_htons((uint16_t)port);
	if (port == 0) {
		lst = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, proto);
		if (lst < 0 ||
		    zsock_setsockopt(lst, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, srv_tags,
				     sizeof(srv_tags)) ||
		    zsock_bind(lst, (struct net_sockaddr *)&a, sizeof(a)) || zsock_listen(lst, 1) ||
		    zsock_getsockname(lst, (struct net_sockaddr *)&a, &alen) ||
		    pthread_create(&t, NULL, serve, NULL)) {
			fprintf(stderr, "server: %s\n", strerror(errno));
			return 1;
		}
	}
	c = zsock_socket(NET_AF_INET, NET_SOCK_STREAM, proto);
	if (c < 0 || zsock_setsockopt(c, ZSOCK_SOL_SOCKET, ZSOCK_SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    zsock_setsockopt(c, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, cli_tags,
			     sizeof(cli_tags)) ||
	    zsock_setsockopt(c, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, "localhost",
			     sizeof("localhost")) ||
	    zsock_setsockopt(c, ZSOCK_SOL_TLS, ZSOCK_TLS_CERT_VERIFY_CALLBACK, &vcb, sizeof(vcb)) ||
	    zsock_connect(c, (struct net_sockaddr *)&a, sizeof(a)) ||
	    zsock_send(c, "ping\n", 5, 0) != 5) {
		fprintf(stderr, "client: %s (callback calls: %d, depth 0 subject: \"%s\")\n",
			strerror(errno), calls, subject[0]);
		return 1;
	}
	/* at most 5 reads, each bounded by SO_RCVTIMEO */
	for (int i = 0; i < 5 && got < 5; i++) {
		ssize_t n = zsock_recv(c, b + got, sizeof(b) - (size_t)got, 0);

		if (n <= 0) {
			break;
		}
		got += n;
	}
	zsock_close(c);
	if (port == 0) {
		pthread_join(t, NULL);
		zsock_close(lst);
	}
	printf("%s\nsubject: %s\nissuer: %s\ncalls: %d\nreply: %.*s", secsock_version(), subject[0],
	       subject[1], calls, (int)got, b);
	if (got != 5 || memcmp(b, "gnip\n", 5) != 0) {
		fprintf(stderr, "client: the reply is not \"gnip\\n\"\n");
		return 1;
	}
	return strcmp(subject[0], "CN=localhost") != 0 ||
	       strstr(subject[1], "secsock test CA") == NULL;
}
