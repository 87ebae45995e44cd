/*
 * secsock demo (secsock(1)): everything in one process over loopback, with
 * credentials made on the spot (cli/mbed/certgen.c; no openssl, nothing
 * written to disk). Three echoes, each reported in a few lines:
 *   1. TLS 1.3, the server's certificate verified by the client;
 *   2. TLS 1.2 with mutual authentication (the server requires a client
 *      certificate from the same CA);
 *   3. DTLS 1.2 with Connection IDs: two clients on ONE server socket, one
 *      verifying the server's certificate, one with the PSK.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbed/mbed_cli.h"

enum {
	TAG_CA = 1,     /* the demo CA */
	TAG_SERVER = 2, /* server certificate and key */
	TAG_CLIENT = 3, /* client certificate and key */
	TAG_PSK = 4,    /* PSK and its identity */
};

#define MSG     "hello from the secsock demo: the same bytes come back"
#define MSG_LEN (sizeof(MSG) - 1)

struct server {
	int fd;
	int expect; /* DTLS: datagrams to echo */
	pthread_t th;
	int err;
};

static void *tls_serve(void *arg)
{
	struct server *s = arg;
	char buf[256];
	ssize_t n;
	int fd = zsock_accept(s->fd, NULL, NULL);

	if (fd < 0) {
		s->err = errno;
		return NULL;
	}
	while ((n = zsock_recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (zsock_send(fd, buf, (size_t)n, 0) != n) {
			break;
		}
	}
	zsock_close(fd);
	return NULL;
}

static void *dtls_serve(void *arg)
{
	struct server *s = arg;
	char buf[256];

	for (int i = 0; i < s->expect; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n =
			zsock_recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);

		if (n < 0) {
			s->err = errno;
			return NULL;
		}
		(void)zsock_sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
	return NULL;
}

static int tags_opt(int fd, const sec_tag_t *tags, int n)
{
	return zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags,
				(socklen_t)(sizeof(sec_tag_t) * (size_t)n));
}

static int int_opt(int fd, int opt, int v)
{
	return zsock_setsockopt(fd, SOL_TLS, opt, &v, sizeof(v));
}

static void timeouts(int fd)
{
	struct zsock_timeval tv = {.tv_sec = 10};

	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A server socket on 127.0.0.1, port chosen by the kernel, in @p addr. */
static int server_socket(int type, int proto, const sec_tag_t *tags, int ntags,
			 struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = zsock_socket(AF_INET, type, proto);

	*addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001)};
	if (fd < 0 || tags_opt(fd, tags, ntags) < 0 ||
	    zsock_bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    zsock_getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
		if (fd >= 0) {
			zsock_close(fd);
		}
		return -1;
	}
	timeouts(fd);
	return fd;
}

/* Send MSG, read it back; bytes echoed, or -errno. */
static ssize_t echo(int fd, bool dgram)
{
	char buf[256];
	ssize_t n;

	if (zsock_send(fd, MSG, MSG_LEN, 0) != (ssize_t)MSG_LEN) {
		return -errno;
	}
	n = zsock_recv(fd, buf, MSG_LEN, dgram ? 0 : ZSOCK_MSG_WAITALL);
	if (n < 0) {
		return -errno;
	}
	return n == (ssize_t)MSG_LEN && memcmp(buf, MSG, MSG_LEN) == 0 ? n : -EBADMSG;
}

static double ms_since(int64_t t0)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - t0) / 1e6;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void failed(const char *what, int fd, int err)
{
	char why[512];
	bool vfail;

	cli_tls_failure(fd, err, why, sizeof(why), &vfail);
	printf("   FAILED: %s: %s\n", what, why);
}

/* 1 and 2: a TLS echo. */
static bool tls_case(int n, const char *title, int proto, bool tls12_only, bool mutual)
{
	static const sec_tag_t srv_tags[] = {TAG_SERVER, TAG_CA};
	sec_tag_t cli_tags[] = {TAG_CA, TAG_CLIENT};
	struct server s = {0};
	struct sockaddr_in addr;
	char desc[512];
	int cfd = -1;
	int64_t t0;
	double hs = 0;
	ssize_t r = -1;
	bool ok = false;

	printf("%d. %s\n", n, title);
	s.fd = server_socket(SOCK_STREAM, proto, srv_tags, mutual ? 2 : 1, &addr);
	if (s.fd < 0 || (mutual && int_opt(s.fd, TLS_PEER_VERIFY, TLS_PEER_VERIFY_REQUIRED) < 0) ||
	    zsock_listen(s.fd, 1) < 0 || pthread_create(&s.th, NULL, tls_serve, &s) != 0) {
		printf("   FAILED: server: %s\n", strerror(errno));
		if (s.fd >= 0) {
			zsock_close(s.fd);
		}
		return false;
	}
	cfd = zsock_socket(AF_INET, SOCK_STREAM, proto);
	if (cfd < 0 || tags_opt(cfd, cli_tags, mutual ? 2 : 1) < 0 ||
	    zsock_setsockopt(cfd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0) {
		printf("   FAILED: client: %s\n", strerror(errno));
		goto out;
	}
	if (tls12_only) {
		static const int suites[] = {0xC02B}; /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */

		(void)zsock_setsockopt(cfd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(suites));
	}
	timeouts(cfd);
	t0 = now_ns();
	cli_clear_failure();
	if (zsock_connect(cfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		failed("handshake", cfd, errno);
		goto out;
	}
	hs = ms_since(t0);
	cli_tls_describe(cfd, false, false, false, desc, sizeof(desc));
	printf("   client: %s\n", desc);
	t0 = now_ns();
	r = echo(cfd, false);
	if (r < 0) {
		failed("echo", cfd, (int)-r);
		goto out;
	}
	printf("   %zd bytes sent and echoed back in %.1f ms (handshake %.1f ms), 127.0.0.1 port "
	       "%u\n",
	       r, ms_since(t0), hs, ntohs(addr.sin_port));
	ok = true;
out:
	if (cfd >= 0) {
		zsock_close(cfd); /* the server's recv() sees the end */
	}
	if (!ok) {
		zsock_shutdown(s.fd, ZSOCK_SHUT_RDWR);
	}
	pthread_join(s.th, NULL);
	zsock_close(s.fd);
	if (ok && mutual) {
		printf("   server: required a client certificate and verified it (CN=secsock demo "
		       "client)\n");
	}
	return ok;
}

/* 3: DTLS with Connection IDs, two clients, one server socket. */
static bool dtls_case(int n)
{
	static const sec_tag_t srv_tags[] = {TAG_SERVER, TAG_PSK};
	static const sec_tag_t cert_tags[] = {TAG_CA}, psk_tags[] = {TAG_PSK};
	struct server s = {.expect = 2};
	struct sockaddr_in addr;
	int c[2] = {-1, -1};
	bool ok = true;

	printf("%d. DTLS 1.2 echo: two clients on one server socket, Connection IDs\n", n);
	s.fd = server_socket(SOCK_DGRAM, IPPROTO_DTLS_1_2, srv_tags, 2, &addr);
	if (s.fd < 0 || int_opt(s.fd, TLS_DTLS_ROLE, TLS_DTLS_ROLE_SERVER) < 0 ||
	    int_opt(s.fd, TLS_DTLS_CID, TLS_DTLS_CID_ENABLED) < 0 ||
	    pthread_create(&s.th, NULL, dtls_serve, &s) != 0) {
		printf("   FAILED: server: %s\n", strerror(errno));
		if (s.fd >= 0) {
			zsock_close(s.fd);
		}
		return false;
	}
	for (int i = 0; i < 2 && ok; i++) {
		char desc[512];
		int64_t t0;
		double hs;
		ssize_t r;

		c[i] = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
		if (c[i] < 0 || tags_opt(c[i], i == 0 ? cert_tags : psk_tags, 1) < 0 ||
		    (i == 0 && zsock_setsockopt(c[i], SOL_TLS, TLS_HOSTNAME, "localhost",
						sizeof("localhost")) < 0) ||
		    int_opt(c[i], TLS_DTLS_CID, TLS_DTLS_CID_ENABLED) < 0) {
			printf("   FAILED: client %c: %s\n", 'A' + i, strerror(errno));
			ok = false;
			break;
		}
		timeouts(c[i]);
		t0 = now_ns();
		cli_clear_failure();
		if (zsock_connect(c[i], (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			failed(i == 0 ? "client A handshake" : "client B handshake", c[i], errno);
			ok = false;
			break;
		}
		hs = ms_since(t0);
		cli_tls_describe(c[i], true, false, i == 1, desc, sizeof(desc));
		printf("   client %c (%s): %s\n", 'A' + i,
		       i == 0 ? "verifies the certificate" : "PSK", desc);
		t0 = now_ns();
		r = echo(c[i], true);
		if (r < 0) {
			failed("echo", c[i], (int)-r);
			ok = false;
			break;
		}
		printf("   client %c: %zd bytes echoed in %.1f ms (handshake %.1f ms)\n", 'A' + i,
		       r, ms_since(t0), hs);
	}
	if (ok) {
		printf("   server: one socket, 127.0.0.1 port %u, served both clients\n",
		       ntohs(addr.sin_port));
	}
	for (int i = 0; i < 2; i++) {
		if (c[i] >= 0) {
			zsock_close(c[i]);
		}
	}
	if (!ok) {
		zsock_shutdown(s.fd, ZSOCK_SHUT_RDWR);
	}
	pthread_join(s.th, NULL);
	zsock_close(s.fd);
	return ok;
}

static int add_all(const struct mc_demo_creds *c)
{
	static const char id[] = "secsock-demo";
	int rc = 0;

	rc |= tls_credential_add(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, c->ca, c->ca_len);
	rc |= tls_credential_add(TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, c->server_cert,
				 c->server_cert_len);
	rc |= tls_credential_add(TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, c->server_key,
				 c->server_key_len);
	rc |= tls_credential_add(TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, c->client_cert,
				 c->client_cert_len);
	rc |= tls_credential_add(TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, c->client_key,
				 c->client_key_len);
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, c->psk, sizeof(c->psk));
	rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, id, sizeof(id) - 1);
	return rc;
}

int cli_demo(int argc, char **argv)
{
	struct mc_demo_creds c;
	char why[160];
	int64_t t0 = now_ns();
	double made;
	int passed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: secsock demo\n\nTLS 1.3, TLS 1.2 with mutual authentication "
			       "and DTLS 1.2 with Connection IDs,\nover loopback, with credentials "
			       "made in the process. Writes nothing to disk.\n");
			return EXIT_OK;
		}
		if (strncmp(argv[i], "-v", 2) == 0) {
			cli_set_verbose((int)strlen(argv[i]) - 1);
			continue;
		}
		cli_err("secsock demo takes no arguments (%s)", argv[i]);
		return EXIT_USAGE;
	}
	/* memory only: the demo never touches a credential store on disk */
	(void)secsock_cred_store_dir(NULL, 0, NULL, NULL);
	printf("%s\n", secsock_version());
	if (mc_demo_make(&c, why, sizeof(why)) != 0) {
		cli_err("cannot make the demo's credentials: %s", why);
		return EXIT_FAIL;
	}
	made = ms_since(t0);
	if (add_all(&c) != 0) {
		cli_err("cannot store the demo's credentials");
		mc_demo_free(&c);
		return EXIT_FAIL;
	}
	mc_demo_free(&c);
	printf("credentials made in %.0f ms: CA \"CN=secsock demo CA\", server \"CN=localhost\" "
	       "(DNS:localhost, IP:127.0.0.1), client \"CN=secsock demo client\" (ECDSA P-256, "
	       "valid 1 day), a 32-byte PSK\n\n",
	       made);
	passed += tls_case(1, "TLS 1.3 echo", IPPROTO_TLS_1_3, false, false);
	passed +=
		tls_case(2, "TLS 1.2 echo with mutual authentication", IPPROTO_TLS_1_2, true, true);
	passed += dtls_case(3);
	printf("\n%d of 3 passed in %.2f s\n", passed, ms_since(t0) / 1000.0);
	for (int tag = TAG_CA; tag <= TAG_PSK; tag++) {
		for (int t = TLS_CREDENTIAL_CA_CERTIFICATE; t <= TLS_CREDENTIAL_PSK_ID; t++) {
			(void)tls_credential_delete(tag, (enum tls_credential_type)t);
		}
	}
	return passed == 3 ? EXIT_OK : EXIT_FAIL;
}
