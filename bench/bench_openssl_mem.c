/*
 * bench_openssl_mem: heap per idle established TLS connection with OpenSSL
 * (libssl 3.0), measured the way bench_tls measures secsock and raw Mbed TLS,
 * so that bench_tls can print the three side by side (docs/benchmarks.md:
 * secsock's resident memory per idle connection must be below OpenSSL 3.0's).
 *
 * N connection pairs over 127.0.0.1 in one process (server thread + client
 * thread), the test credentials of tests/lib/certs (ECDSA P-256),
 * TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 and TLS 1.3 TLS_AES_128_GCM_SHA256,
 * client verifying the server (CA + host name, SNI), OpenSSL's default modes
 * (SSL_MODE_RELEASE_BUFFERS off). Resumption is off on the server (no
 * session cache, no tickets), as on the secsock and raw sockets measured.
 *
 * usage: bench_openssl_mem N CERTS_DIR
 *          one process, both versions; prints (bytes per connection, as
 *          bench_tls.c run_mem):
 *            openssl-version ...
 *            openssl-mem v=0|1 pair=B rss=B client=B server=B residual=B
 *        bench_openssl_mem --role server|client 0|1 N CERTS_DIR [PORT]
 *          one side in this (fresh) process, driven by bench_tls over
 *          stdin/stdout (bench_tls.c mem_role); 0 = TLS 1.2, 1 = TLS 1.3
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define WARM 4

struct conn {
	int fd;
	SSL *ssl;
};

struct job {
	SSL_CTX *ctx;
	int listener;
	long n;
	struct conn *held;
	pthread_barrier_t bar;
};

static void die(const char *what)
{
	fprintf(stderr, "bench_openssl_mem: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd);
}

static double rss_now(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2) {
			res = 0;
		}
		fclose(f);
	}
	return (double)res * (double)sysconf(_SC_PAGESIZE);
}

static struct conn srv_accept(struct job *j)
{
	struct conn c;

	c.fd = accept4(j->listener, NULL, NULL, SOCK_CLOEXEC);
	if (c.fd < 0) {
		die("accept");
	}
	c.ssl = SSL_new(j->ctx);
	if (c.ssl == NULL || SSL_set_fd(c.ssl, c.fd) != 1 || SSL_accept(c.ssl) != 1) {
		die("SSL_accept");
	}
	return c;
}

static struct conn cli_connect(SSL_CTX *ctx, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct conn c;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		die("connect");
	}
	c.ssl = SSL_new(ctx);
	if (c.ssl == NULL || SSL_set_fd(c.ssl, c.fd) != 1 ||
	    SSL_set_tlsext_host_name(c.ssl, "localhost") != 1 ||
	    SSL_set1_host(c.ssl, "localhost") != 1 || SSL_connect(c.ssl) != 1) {
		die("SSL_connect");
	}
	return c;
}

static void conn_close(struct conn *c)
{
	(void)SSL_shutdown(c->ssl); /* sends close_notify */
	SSL_free(c->ssl);
	close(c->fd);
}

static void *server_main(void *arg)
{
	struct job *j = arg;

	for (int i = 0; i < WARM; i++) {
		j->held[i] = srv_accept(j);
	}
	pthread_barrier_wait(&j->bar); /* A */
	for (int i = 0; i < WARM; i++) {
		conn_close(&j->held[i]);
	}
	pthread_barrier_wait(&j->bar); /* B */
	for (long i = 0; i < j->n; i++) {
		j->held[WARM + i] = srv_accept(j);
	}
	pthread_barrier_wait(&j->bar); /* C */
	pthread_barrier_wait(&j->bar); /* D */
	for (long i = 0; i < j->n; i++) {
		conn_close(&j->held[WARM + i]);
	}
	pthread_barrier_wait(&j->bar); /* E */
	return NULL;
}

static SSL_CTX *make_ctx(int server, int v13, const char *certs)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	int ver = v13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	char path[4096];

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, ver) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, ver) != 1) {
		die("SSL_CTX_new");
	}
	if (v13 ? SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1
		: SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1) {
		die("cipher suites");
	}
	if (server) {
		snprintf(path, sizeof(path), "%s/server.pem", certs);
		if (SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
			die(path);
		}
		snprintf(path, sizeof(path), "%s/server.key", certs);
		if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
			die(path);
		}
		/* no resumption state, as the secsock/raw sockets measured */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
	} else {
		snprintf(path, sizeof(path), "%s/ca.pem", certs);
		if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
			die(path);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

static void measure(int v13, long n, const char *certs)
{
	SSL_CTX *sctx = make_ctx(1, v13, certs), *cctx = make_ctx(0, v13, certs);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	struct conn *cli = calloc((size_t)(WARM + n), sizeof(*cli));
	struct job j = {.ctx = sctx, .n = n};
	double h0, h1, h2, h3, r0, r1;
	pthread_t t;

	j.held = calloc((size_t)(WARM + n), sizeof(*j.held));
	if (cli == NULL || j.held == NULL) {
		die("out of memory");
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	j.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (j.listener < 0 || bind(j.listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(j.listener, 1024) < 0 ||
	    getsockname(j.listener, (struct sockaddr *)&a, &len) < 0) {
		die("listen");
	}
	pthread_barrier_init(&j.bar, NULL, 2);
	pthread_create(&t, NULL, server_main, &j);
	for (int i = 0; i < WARM; i++) {
		cli[i] = cli_connect(cctx, ntohs(a.sin_port));
	}
	pthread_barrier_wait(&j.bar); /* A */
	for (int i = 0; i < WARM; i++) {
		conn_close(&cli[i]);
	}
	pthread_barrier_wait(&j.bar); /* B */
	h0 = heap_now();
	r0 = rss_now();
	for (long i = 0; i < n; i++) {
		cli[WARM + i] = cli_connect(cctx, ntohs(a.sin_port));
	}
	pthread_barrier_wait(&j.bar); /* C */
	h1 = heap_now();
	r1 = rss_now();
	for (long i = 0; i < n; i++) {
		conn_close(&cli[WARM + i]);
	}
	h2 = heap_now();
	pthread_barrier_wait(&j.bar); /* D */
	pthread_barrier_wait(&j.bar); /* E */
	h3 = heap_now();
	pthread_join(t, NULL);
	close(j.listener);
	pthread_barrier_destroy(&j.bar);
	free(cli);
	free(j.held);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	printf("openssl-mem v=%d pair=%.1f rss=%.1f client=%.1f server=%.1f residual=%.1f\n", v13,
	       (h1 - h0) / (double)n, (r1 - r0) / (double)n, (h1 - h2) / (double)n,
	       (h2 - h3) / (double)n, (h3 - h0) / (double)n);
}

static void role_wait(const char *word)
{
	char line[64];

	if (fgets(line, sizeof(line), stdin) == NULL || strncmp(line, word, strlen(word)) != 0) {
		exit(3);
	}
}

/* One side in a fresh process; the line protocol of bench_tls.c mem_role(). */
static void mem_role(int server, int v13, long n, const char *certs, int port)
{
	SSL_CTX *ctx = make_ctx(server, v13, certs);
	struct conn *h = calloc((size_t)(WARM + n), sizeof(*h));
	struct job j = {.ctx = ctx, .n = n};
	double h0, r0;

	if (h == NULL) {
		die("out of memory");
	}
	if (server) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t len = sizeof(a);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		j.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (j.listener < 0 || bind(j.listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(j.listener, 1024) < 0 ||
		    getsockname(j.listener, (struct sockaddr *)&a, &len) < 0) {
			die("listen");
		}
		printf("port %d\n", ntohs(a.sin_port));
		fflush(stdout);
	}
	for (int i = 0; i < WARM; i++) {
		h[i] = server ? srv_accept(&j) : cli_connect(ctx, port);
	}
	for (int i = 0; i < WARM; i++) {
		conn_close(&h[i]);
	}
	if (server) {
		h0 = heap_now();
		r0 = rss_now();
		printf("ready\n");
		fflush(stdout);
	} else {
		printf("warm\n");
		fflush(stdout);
		role_wait("go");
		h0 = heap_now();
		r0 = rss_now();
	}
	for (long i = 0; i < n; i++) {
		h[WARM + i] = server ? srv_accept(&j) : cli_connect(ctx, port);
	}
	printf("result %.1f %.1f\n", (heap_now() - h0) / (double)n, (rss_now() - r0) / (double)n);
	fflush(stdout);
	role_wait("done");
	exit(0);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int role = argc >= 2 && strcmp(argv[1], "--role") == 0;
	long n = 0;

	if (role ? !(argc == 6 || argc == 7) || (n = atol(argv[4])) <= 0
		 : argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr,
			"usage: %s N CERTS_DIR\n"
			"       %s --role server|client 0|1 N CERTS_DIR [PORT]\n",
			argv[0], argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	OPENSSL_init_ssl(0, NULL);
	if (role) {
		mem_role(strcmp(argv[2], "server") == 0, atoi(argv[3]) == 1, n, argv[5],
			 argc == 7 ? atoi(argv[6]) : 0);
	}
	printf("openssl-version %s\n", OpenSSL_version(OPENSSL_VERSION));
	if ((rlim_t)(2 * n + 64) > rl.rlim_cur) {
		/* N pairs in one process need 2N descriptors: fresh processes only */
		for (int v = 0; v < 2; v++) {
			printf("openssl-mem v=%d pair=nan rss=nan client=nan server=nan "
			       "residual=nan\n",
			       v);
		}
		return 0;
	}
	measure(0, n, argv[2]);
	measure(1, n, argv[2]);
	return 0;
}
