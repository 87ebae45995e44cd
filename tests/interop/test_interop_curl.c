/*
 * curl (libcurl over OpenSSL) against a secsock HTTPS responder: a thread
 * serving HTTP/1.1 GET requests with a fixed body over a secsock server
 * socket, keep-alive included. Checks curl's exit code, the body, the TLS
 * version and suite curl reports against TLS_CIPHERSUITE_USED, and ALPN.
 *
 * curl runs with -q (no ~/.curlrc), --noproxy '*' and --resolve, so it
 * never contacts anything but 127.0.0.1; every wait is bounded and curl is
 * always reaped.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"

#define WAIT_MS  10000
#define IO_SEC   5
#define OUT_SIZE 65536
#define BODY     "hello from the secsock https responder\n"

enum {
	TAG_CA = 11,
	TAG_EC = 12,
	TAG_CLIENT = 13,
};

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			th_fail(__FILE__, __LINE__, "required %s", #c);                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

static pthread_once_t creds_once = PTHREAD_ONCE_INIT;
static int creds_rc;

static void creds_add(void)
{
	creds_rc = tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	creds_rc |= tu_add_cred(TAG_EC, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	creds_rc |= tu_add_cred(TAG_EC, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	creds_rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem");
	creds_rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key");
}

#define NEED_CURL()                                                                                \
	do {                                                                                       \
		if (!tu_have("curl"))                                                              \
			SKIP("curl not installed (tools/deps.sh installs it)");                    \
		pthread_once(&creds_once, creds_add);                                              \
		if (creds_rc != 0)                                                                 \
			SKIP("test credentials could not be loaded");                              \
	} while (0)

/* IANA id of a suite OpenSSL names @p name, from `openssl ciphers -V`; -1 if unknown. */
static int ossl_suite_id(const char *name)
{
	FILE *f = popen("openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' 2>/dev/null", "r");
	char line[512];
	char got[128];
	unsigned int hi;
	unsigned int lo;
	int id = -1;

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " 0x%x,0x%x - %127s", &hi, &lo, got) == 3 &&
		    strcmp(got, name) == 0) {
			id = (int)(hi << 8 | lo);
		}
	}
	(void)pclose(f);
	return id;
}

/* How many times @p needle occurs in @p text. */
static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
		n++;
	}
	return n;
}

/* ---- the HTTPS responder ---- */

struct https {
	int lfd;
	uint16_t port;
	int proto;
	int verify;        /* TLS_PEER_VERIFY, 0 = default */
	const char **alpn; /* TLS_ALPN_LIST or NULL */
	atomic_bool stop;
	pthread_t th;
	bool running;
	int conns;      /* connections accepted */
	int requests;   /* requests answered, over all connections */
	int accept_err; /* errno of the last failed accept(), or 0 */
	int suite;      /* TLS_CIPHERSUITE_USED of the first connection */
	char first_request[1024];
};

static bool wait_conn(struct https *h)
{
	struct zsock_pollfd p = {.fd = h->lfd, .events = ZSOCK_POLLIN};

	for (int waited = 0; waited < WAIT_MS && !atomic_load(&h->stop); waited += 100) {
		p.revents = 0;
		if (zsock_poll(&p, 1, 100) > 0) {
			return true;
		}
	}
	return false;
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = zsock_send(fd, buf, len, 0);

		if (n <= 0) {
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Answer every request of one keep-alive connection until the client closes. */
static void serve_conn(struct https *h, int fd)
{
	char buf[8192];
	char resp[512];
	size_t used = 0;
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 strlen(BODY), BODY);

	for (;;) {
		char *end = NULL;

		buf[used] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL) {
			size_t req_len = (size_t)(end + 4 - buf);

			if (h->requests == 0) {
				(void)snprintf(h->first_request, sizeof(h->first_request), "%.*s",
					       (int)req_len, buf);
			}
			if (!send_all(fd, resp, (size_t)n)) {
				return;
			}
			h->requests++;
			memmove(buf, buf + req_len, used - req_len);
			used -= req_len;
			continue;
		}
		if (used + 1 >= sizeof(buf)) {
			return;
		}
		ssize_t r = zsock_recv(fd, buf + used, sizeof(buf) - used - 1, 0);

		if (r <= 0) {
			return; /* close_notify, EOF, timeout or error: the connection is done */
		}
		used += (size_t)r;
	}
}

static void *https_main(void *arg)
{
	struct https *h = arg;
	struct zsock_timeval tv = {.tv_sec = IO_SEC};

	while (!atomic_load(&h->stop) && wait_conn(h)) {
		int fd = zsock_accept(h->lfd, NULL, NULL);
		int id = -1;
		socklen_t len = sizeof(id);

		if (fd < 0) {
			h->accept_err = errno;
			continue;
		}
		(void)zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (h->conns++ == 0 &&
		    zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &id, &len) == 0) {
			h->suite = id;
		}
		serve_conn(h, fd);
		(void)zsock_close(fd);
	}
	return NULL;
}

static bool https_start(struct https *h)
{
	sec_tag_t tags[] = {TAG_EC, TAG_CA};
	int n = 0;

	h->lfd = tu_listen(AF_INET, h->proto, &h->port);
	h->suite = -1;
	if (h->lfd < 0 ||
	    zsock_setsockopt(h->lfd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)) < 0) {
		return false;
	}
	while (h->alpn != NULL && h->alpn[n] != NULL) {
		n++;
	}
	if (n > 0 && zsock_setsockopt(h->lfd, SOL_TLS, TLS_ALPN_LIST, h->alpn,
				      (socklen_t)(n * sizeof(char *))) < 0) {
		return false;
	}
	if (h->verify != 0 &&
	    zsock_setsockopt(h->lfd, SOL_TLS, TLS_PEER_VERIFY, &h->verify, sizeof(h->verify)) < 0) {
		return false;
	}
	atomic_store(&h->stop, false);
	h->running = pthread_create(&h->th, NULL, https_main, h) == 0;
	return h->running;
}

static void https_stop(struct https *h)
{
	if (h->running) {
		atomic_store(&h->stop, true);
		pthread_join(h->th, NULL);
		h->running = false;
	}
	if (h->lfd >= 0) {
		(void)zsock_close(h->lfd);
		h->lfd = -1;
	}
}

/* ---- curl ---- */

struct curl_run {
	pid_t pid;
	int out;
	int status;
	char buf[OUT_SIZE];
};

/*
 * Run curl on https://localhost:PORT/ (@p urls times, one connection if
 * curl can reuse it) with @p extra flags; collect its output and status.
 */
static bool curl_run(struct curl_run *c, uint16_t port, int urls, const char *const *extra)
{
	char resolve[64];
	char url[64];
	char cacert[512];
	const char *argv[48];
	int n = 0;

	(void)snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", port);
	(void)snprintf(url, sizeof(url), "https://localhost:%u/", port);
	(void)snprintf(cacert, sizeof(cacert), "%s", tu_cert_path("ca.pem"));
	const char *base[] = {
		"curl",      "-q",       "-sS",        "-v", "--stderr",
		"-", /* one stream: verbose lines stay in order */
		"--noproxy", "*",        "--max-time", "10", "--resolve",
		resolve,     "--cacert", cacert,       "-w", "\nHTTPCODE=%{http_code}\n"};

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		argv[n++] = base[i];
	}
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 40; i++) {
		argv[n++] = extra[i];
	}
	for (int i = 0; i < urls && n < 46; i++) {
		argv[n++] = url;
	}
	argv[n] = NULL;
	c->buf[0] = 0;
	c->status = -1;
	c->out = -1;
	c->pid = tu_spawn((char *const *)argv, &c->out, NULL);
	if (c->pid <= 0) {
		c->pid = 0;
		return false;
	}
	(void)tu_expect(c->out, "\001never printed\002", WAIT_MS, c->buf, sizeof(c->buf));
	c->status = tu_wait_exit(c->pid, WAIT_MS);
	if (c->status >= 0) {
		c->pid = 0;
	}
	return true;
}

static void curl_done(struct curl_run *c)
{
	if (c->pid > 0) {
		c->status = tu_kill(c->pid);
		c->pid = 0;
	}
	if (c->out >= 0) {
		close(c->out);
		c->out = -1;
	}
	if (th_case_failed() || getenv("SECSOCK_SHOW_PEERS") != NULL) {
		printf("    ---- curl (exit status %d) output ----\n%s\n    ----\n", c->status,
		       c->buf);
	}
}

static bool has(const struct curl_run *c, const char *needle)
{
	return strstr(c->buf, needle) != NULL;
}

#define EXPECT_CURL(c, needle)                                                                     \
	do {                                                                                       \
		if (!has(c, needle))                                                               \
			th_fail(__FILE__, __LINE__, "curl did not print \"%s\"", needle);          \
	} while (0)

/* curl's "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384" names our suite. */
static void expect_curl_suite(int line, const struct curl_run *c, const char *version, int ours)
{
	char prefix[64];
	char name[96];
	const char *p;
	size_t n = 0;

	(void)snprintf(prefix, sizeof(prefix), "SSL connection using %s / ", version);
	p = strstr(c->buf, prefix);
	if (p == NULL) {
		th_fail(__FILE__, line, "curl did not print \"%s\"", prefix);
		return;
	}
	p += strlen(prefix);
	while (p[n] != 0 && !isspace((unsigned char)p[n]) && n + 1 < sizeof(name)) {
		name[n] = p[n];
		n++;
	}
	name[n] = 0;
	if (ossl_suite_id(name) != ours) {
		th_fail(__FILE__, line, "curl suite %s (0x%04x), TLS_CIPHERSUITE_USED 0x%04x", name,
			(unsigned int)ossl_suite_id(name), (unsigned int)ours);
	}
}

/* One GET over @p version: exit 0, status 200, the body, the same suite on both ends. */
static void curl_get(int proto, const char *version, const char *const *extra)
{
	struct https h = {.proto = proto, .lfd = -1};
	struct curl_run *c = calloc(1, sizeof(*c));

	REQUIRE(c != NULL);
	c->out = -1;
	REQUIRE(https_start(&h));
	REQUIRE(curl_run(c, h.port, 1, extra));
	EXPECT_EQ(c->status, 0);
	EXPECT_EQ(count_of(c->buf, BODY), 1);
	EXPECT_CURL(c, "HTTPCODE=200");
	https_stop(&h);
	EXPECT_EQ(h.conns, 1);
	EXPECT_EQ(h.requests, 1);
	EXPECT_TRUE(strncmp(h.first_request, "GET / HTTP/1.1\r\n", 16) == 0);
	expect_curl_suite(__LINE__, c, version, h.suite);
out:
	https_stop(&h);
	if (c != NULL) {
		curl_done(c);
		free(c);
	}
}

/* Issue: interop matrix, curl -> secsock HTTPS responder, TLS 1.2. */
TEST(test_curl_secserver_tls12)
{
	NEED_CURL();
	const char *x[] = {"--tlsv1.2", "--tls-max", "1.2", NULL};

	curl_get(IPPROTO_TLS_1_2, "TLSv1.2", x);
}

/* Issue: interop matrix, curl -> secsock HTTPS responder, TLS 1.3. */
TEST(test_curl_secserver_tls13)
{
	NEED_CURL();
	const char *x[] = {"--tlsv1.3", NULL};

	curl_get(IPPROTO_TLS_1_3, "TLSv1.3", x);
}

/* Issue: a 1.2-minimum secsock server negotiates TLS 1.3 with a default curl. */
TEST(test_curl_secserver_default_gets_tls13)
{
	NEED_CURL();
	curl_get(IPPROTO_TLS_1_2, "TLSv1.3", NULL);
}

static const char *alpn_http11[] = {"http/1.1", NULL};

/*
 * Issue: ALPN with a real HTTP client: the server lists http/1.1; curl
 * offers @p offers and must report that the server accepted http/1.1.
 */
static void curl_alpn(const char *const *extra, const char *offers)
{
	struct https h = {.proto = IPPROTO_TLS_1_2, .alpn = alpn_http11, .lfd = -1};
	struct curl_run *c = calloc(1, sizeof(*c));

	REQUIRE(c != NULL);
	c->out = -1;
	REQUIRE(https_start(&h));
	REQUIRE(curl_run(c, h.port, 1, extra));
	EXPECT_EQ(c->status, 0);
	EXPECT_CURL(c, offers);
	EXPECT_CURL(c, "ALPN: server accepted http/1.1");
	EXPECT_EQ(count_of(c->buf, BODY), 1);
	EXPECT_CURL(c, "HTTPCODE=200");
out:
	https_stop(&h);
	if (c != NULL) {
		curl_done(c);
		free(c);
	}
}

/* Issue: ALPN, curl --http1.1 offers only http/1.1 and the server accepts it. */
TEST(test_curl_secserver_alpn_http11)
{
	NEED_CURL();
	const char *x[] = {"--http1.1", NULL};

	curl_alpn(x, "ALPN: offers http/1.1");
}

/* Issue: ALPN, curl's default offer (h2,http/1.1): the server picks http/1.1. */
TEST(test_curl_secserver_alpn_default)
{
	NEED_CURL();
	curl_alpn(NULL, "ALPN: offers h2,http/1.1");
}

/* Issue: several requests on one TLS connection (HTTP/1.1 keep-alive). */
TEST(test_curl_secserver_keepalive)
{
	NEED_CURL();
	struct https h = {.proto = IPPROTO_TLS_1_2, .lfd = -1};
	struct curl_run *c = calloc(1, sizeof(*c));

	REQUIRE(c != NULL);
	c->out = -1;
	REQUIRE(https_start(&h));
	REQUIRE(curl_run(c, h.port, 3, NULL));
	EXPECT_EQ(c->status, 0);
	EXPECT_EQ(count_of(c->buf, BODY), 3);
	EXPECT_EQ(count_of(c->buf, "HTTPCODE=200"), 3);
	EXPECT_CURL(c, "Re-using existing connection");
	https_stop(&h);
	EXPECT_EQ(h.conns, 1);
	EXPECT_EQ(h.requests, 3);
out:
	https_stop(&h);
	if (c != NULL) {
		curl_done(c);
		free(c);
	}
}

/* Issue: mutual auth, curl --cert/--key against TLS_PEER_VERIFY_REQUIRED. */
TEST(test_curl_secserver_mutual)
{
	NEED_CURL();
	struct https h = {.proto = IPPROTO_TLS_1_3, .verify = TLS_PEER_VERIFY_REQUIRED, .lfd = -1};
	struct curl_run *c = calloc(1, sizeof(*c));
	char crt[512];
	char key[512];

	(void)snprintf(crt, sizeof(crt), "%s", tu_cert_path("client.pem"));
	(void)snprintf(key, sizeof(key), "%s", tu_cert_path("client.key"));
	const char *x[] = {"--cert", crt, "--key", key, NULL};

	REQUIRE(c != NULL);
	c->out = -1;
	REQUIRE(https_start(&h));
	REQUIRE(curl_run(c, h.port, 1, x));
	EXPECT_EQ(c->status, 0);
	EXPECT_EQ(count_of(c->buf, BODY), 1);
	EXPECT_CURL(c, "HTTPCODE=200");
	https_stop(&h);
	EXPECT_EQ(h.requests, 1);
out:
	https_stop(&h);
	if (c != NULL) {
		curl_done(c);
		free(c);
	}
}

/* Issue: rejection, curl without a client certificate: accept() -> ECONNABORTED, curl fails. */
TEST(test_curl_secserver_reject_no_client_cert)
{
	NEED_CURL();
	struct https h = {.proto = IPPROTO_TLS_1_2, .verify = TLS_PEER_VERIFY_REQUIRED, .lfd = -1};
	struct curl_run *c = calloc(1, sizeof(*c));

	REQUIRE(c != NULL);
	c->out = -1;
	REQUIRE(https_start(&h));
	REQUIRE(curl_run(c, h.port, 1, NULL));
	EXPECT_TRUE(c->status > 0);
	EXPECT_TRUE(!has(c, BODY));
	https_stop(&h);
	EXPECT_EQ(h.accept_err, ECONNABORTED);
	EXPECT_EQ(h.requests, 0);
out:
	https_stop(&h);
	if (c != NULL) {
		curl_done(c);
		free(c);
	}
}
