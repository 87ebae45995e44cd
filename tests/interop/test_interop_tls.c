/*
 * TLS over TCP interop matrix (docs/interop.md): secsock as client and as
 * server against three independent TLS stacks on loopback — OpenSSL
 * (s_server/s_client), GnuTLS (gnutls-serv/gnutls-cli) and Mbed TLS's own
 * ssl_server2/ssl_client2 — with ECDSA and RSA certificates, PSK, mutual
 * authentication, ALPN, SNI, resumption, and the rejection cases.
 *
 * Every peer runs on a free loopback port, every wait is bounded (10 s at
 * most), and every peer is killed and reaped, also when a case fails (the
 * cases use REQUIRE, which jumps to the cleanup, never a bare return). A
 * case whose peer tool is missing is skipped, saying which tool.
 */
#include <zephyr/net/socket.h>
#include <secsock/secsock.h>
#include <zephyr/net/tls_credentials.h>

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"

#define WAIT_MS  10000     /* the longest any step waits for a peer */
#define IO_SEC   5         /* SO_RCVTIMEO / SO_SNDTIMEO of our sockets */
#define OUT_SIZE (1 << 21) /* a peer's whole output (ssl_client2 debug_level=3) */
#define MAX_CONN 2

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Test credentials: tags fixed for the whole run, added once. */
enum {
	TAG_CA = 1,         /* ca.pem */
	TAG_EC = 2,         /* server.pem + server.key (ECDSA P-256) */
	TAG_RSA = 3,        /* server-rsa.pem + server-rsa.key (RSA-2048) */
	TAG_CLIENT = 4,     /* client.pem + client.key */
	TAG_PSK = 5,        /* PSK_KEY + PSK_ID */
	TAG_CLIENT_RSA = 6, /* client-rsa.pem + client-rsa.key */
};

#define PSK_HEX "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"
#define PSK_ID  "secsock-psk-id"

/* Fails the case and jumps to its cleanup label `out`. */
#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			th_fail(__FILE__, __LINE__, "required %s", #c);                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* Fails the case (and jumps to `out`) unless errno value @p e is @p want. */
#define REQUIRE_ERRNO(e, want)                                                                     \
	do {                                                                                       \
		if ((e) != (want)) {                                                               \
			th_fail(__FILE__, __LINE__, "%s is %d (%s), expected %d (%s)", #e, (e),    \
				strerror(e), (want), strerror(want));                              \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* ---- credentials ---- */

static pthread_once_t creds_once = PTHREAD_ONCE_INIT;
static int creds_rc;

static int hex_to_bin(const char *hex, unsigned char *out, size_t size)
{
	size_t n = strlen(hex) / 2;

	if (n > size) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
			return -1;
		}
		out[i] = (unsigned char)b;
	}
	return (int)n;
}

static void creds_add(void)
{
	unsigned char psk[64];
	int n = hex_to_bin(PSK_HEX, psk, sizeof(psk));

	creds_rc = n < 0 ? -EINVAL : 0;
	creds_rc |= tu_add_cred(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem");
	creds_rc |= tu_add_cred(TAG_EC, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem");
	creds_rc |= tu_add_cred(TAG_EC, TLS_CREDENTIAL_PRIVATE_KEY, "server.key");
	creds_rc |= tu_add_cred(TAG_RSA, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server-rsa.pem");
	creds_rc |= tu_add_cred(TAG_RSA, TLS_CREDENTIAL_PRIVATE_KEY, "server-rsa.key");
	creds_rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem");
	creds_rc |= tu_add_cred(TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key");
	creds_rc |=
		tu_add_cred(TAG_CLIENT_RSA, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client-rsa.pem");
	creds_rc |= tu_add_cred(TAG_CLIENT_RSA, TLS_CREDENTIAL_PRIVATE_KEY, "client-rsa.key");
	if (n > 0) {
		creds_rc |= tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, (size_t)n);
		creds_rc |=
			tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, PSK_ID, strlen(PSK_ID));
	}
}

static bool creds(void)
{
	pthread_once(&creds_once, creds_add);
	return creds_rc == 0;
}

/* ---- cipher suite names: one table, from `openssl ciphers -V -stdname` ---- */

struct suite {
	int id;
	char std[64];  /* IANA name: TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
	char ossl[64]; /* OpenSSL name: ECDHE-ECDSA-AES256-GCM-SHA384 */
};

static struct suite suites[256];
static int nsuites;
static pthread_once_t suites_once = PTHREAD_ONCE_INIT;

static void suites_load(void)
{
	FILE *f = popen("openssl ciphers -V -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' "
			"2>/dev/null",
			"r");
	char line[512];

	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && nsuites < (int)ARRAY_LEN(suites)) {
		struct suite *s = &suites[nsuites];
		unsigned int hi;
		unsigned int lo;

		if (sscanf(line, " 0x%x,0x%x - %63s - %63s", &hi, &lo, s->std, s->ossl) == 4) {
			s->id = (int)(hi << 8 | lo);
			nsuites++;
		}
	}
	(void)pclose(f);
}

static const struct suite *suite_by_id(int id)
{
	pthread_once(&suites_once, suites_load);
	for (int i = 0; i < nsuites; i++) {
		if (suites[i].id == id) {
			return &suites[i];
		}
	}
	return NULL;
}

/*
 * IANA id of a suite named by OpenSSL ("ECDHE-ECDSA-AES256-GCM-SHA384"), by
 * its standard name, or by Mbed TLS ("TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384",
 * "TLS1-3-AES-256-GCM-SHA384"); -1 if unknown.
 */
static int suite_id(const char *name)
{
	char std[96];
	size_t n = 0;

	pthread_once(&suites_once, suites_load);
	if (strncmp(name, "TLS1-3-", 7) == 0) {
		n = (size_t)snprintf(std, sizeof(std), "TLS_%s", name + 7);
	} else {
		n = (size_t)snprintf(std, sizeof(std), "%s", name);
	}
	if (strncmp(std, "TLS", 3) == 0) {
		for (size_t i = 0; i < n && i < sizeof(std); i++) {
			if (std[i] == '-') {
				std[i] = '_';
			}
		}
	}
	for (int i = 0; i < nsuites; i++) {
		if (strcmp(suites[i].std, std) == 0 || strcmp(suites[i].ossl, name) == 0) {
			return suites[i].id;
		}
	}
	return -1;
}

/* Copy the word that follows @p prefix in @p text into @p word; false if absent. */
static bool word_after(const char *text, const char *prefix, char *word, size_t size)
{
	const char *p = strstr(text, prefix);
	size_t n = 0;

	if (p == NULL || size == 0) {
		return false;
	}
	p += strlen(prefix);
	while (p[n] != 0 && !isspace((unsigned char)p[n]) && p[n] != ']' && p[n] != ')' &&
	       p[n] != '<' && n + 1 < size) {
		word[n] = p[n];
		n++;
	}
	word[n] = 0;
	return n > 0;
}

/*
 * The suite the peer printed after @p prefix must be the one our socket
 * reports in TLS_CIPHERSUITE_USED. Skipped (with a note) when the name table
 * is unavailable (no openssl binary), never silently passed otherwise.
 */
static void expect_same_suite(int line, const char *out, const char *prefix, int ours)
{
	char name[96];
	int theirs;

	if (!word_after(out, prefix, name, sizeof(name))) {
		th_fail(__FILE__, line, "peer printed no \"%s\"", prefix);
		return;
	}
	if (suite_by_id(ours) == NULL && nsuites == 0) {
		printf("    note: no openssl suite table, suite not cross-checked\n");
		return;
	}
	theirs = suite_id(name);
	if (theirs != ours) {
		th_fail(__FILE__, line, "peer suite %s (0x%04x), TLS_CIPHERSUITE_USED 0x%04x", name,
			(unsigned int)theirs, (unsigned int)ours);
	}
}

#define EXPECT_SAME_SUITE(out, prefix, ours) expect_same_suite(__LINE__, out, prefix, ours)

/* GnuTLS prints the cipher alone ("AES-256-GCM"): it must be part of our suite. */
static void expect_gnutls_cipher(int line, const char *out, int ours)
{
	const char *desc = strstr(out, "- Description: ");
	const struct suite *s = suite_by_id(ours);
	const char *last;
	char cipher[64];

	if (desc == NULL) {
		th_fail(__FILE__, line, "gnutls printed no Description");
		return;
	}
	if (s == NULL) {
		th_fail(__FILE__, line, "suite 0x%04x unknown", (unsigned int)ours);
		return;
	}
	last = strchr(desc, '\n');
	while (last != NULL && last > desc && *last != '(') {
		last--;
	}
	if (last == NULL || !word_after(last, "(", cipher, sizeof(cipher))) {
		th_fail(__FILE__, line, "gnutls Description unparsed");
		return;
	}
	for (char *p = cipher; *p != 0; p++) {
		if (*p == '-') {
			*p = '_';
		}
	}
	if (strstr(s->std, cipher) == NULL) {
		th_fail(__FILE__, line, "gnutls cipher %s, TLS_CIPHERSUITE_USED %s", cipher,
			s->std);
	}
}

#define EXPECT_GNUTLS_CIPHER(out, ours) expect_gnutls_cipher(__LINE__, out, ours)

/* ---- peer processes ---- */

struct peer {
	const char *name;
	pid_t pid;
	int out; /* its stdout + stderr */
	int in;  /* its stdin, or -1 (/dev/null) */
	int status;
	char *buf; /* everything it printed so far */
};

/* A peer left running by a crashed case is still killed when the test exits. */
static pid_t live[8];

static void live_set(pid_t old, pid_t pid)
{
	for (size_t i = 0; i < ARRAY_LEN(live); i++) {
		if (live[i] == old) {
			live[i] = pid;
			return;
		}
	}
}

static void live_kill_all(void)
{
	for (size_t i = 0; i < ARRAY_LEN(live); i++) {
		if (live[i] > 0) {
			(void)tu_kill(live[i]);
		}
	}
}

struct args {
	const char *v[48];
	int n;
};

static void args_add(struct args *a, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (a->n + 1 < (int)ARRAY_LEN(a->v)) {
			a->v[a->n++] = s;
			a->v[a->n] = NULL;
		}
	}
	va_end(ap);
}

#define ARGS(a, ...) args_add(a, __VA_ARGS__, (const char *)NULL)

static void args_extra(struct args *a, const char *const *extra)
{
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		ARGS(a, extra[i]);
	}
}

static bool peer_start(struct peer *p, const char *name, const struct args *a, bool with_stdin)
{
	static bool registered;

	if (!registered) {
		registered = atexit(live_kill_all) == 0;
	}
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->in = -1;
	p->out = -1;
	p->status = -1;
	p->buf = calloc(1, OUT_SIZE);
	if (p->buf == NULL) {
		return false;
	}
	p->pid = tu_spawn((char *const *)a->v, &p->out, with_stdin ? &p->in : NULL);
	if (p->pid <= 0) {
		p->pid = 0;
		return false;
	}
	live_set(0, p->pid);
	return true;
}

static bool peer_expect(struct peer *p, const char *needle)
{
	return tu_expect(p->out, needle, WAIT_MS, p->buf, OUT_SIZE);
}

static bool peer_write(struct peer *p, const char *s)
{
	return p->in >= 0 && write(p->in, s, strlen(s)) == (ssize_t)strlen(s);
}

/* Read until the peer closes its output, then reap it; its exit status, or -1. */
static int peer_finish(struct peer *p)
{
	(void)tu_expect(p->out, "\001never printed\002", WAIT_MS, p->buf, OUT_SIZE);
	p->status = tu_wait_exit(p->pid, WAIT_MS);
	if (p->status >= 0) {
		live_set(p->pid, 0);
		p->pid = 0;
	}
	return p->status;
}

/* Kill and reap (if still running); print its output if the case failed. */
static void peer_stop(struct peer *p)
{
	if (p->in >= 0) {
		close(p->in);
		p->in = -1;
	}
	if (p->pid > 0) {
		p->status = tu_kill(p->pid);
		live_set(p->pid, 0);
		p->pid = 0;
	}
	if (p->out >= 0) {
		if ((th_case_failed() || getenv("SECSOCK_SHOW_PEERS") != NULL) && p->buf != NULL) {
			(void)tu_expect(p->out, "\001never printed\002", 200, p->buf, OUT_SIZE);
			size_t n = strlen(p->buf);
			const char *tail = n > 6000 ? p->buf + n - 6000 : p->buf;

			printf("    ---- %s (exit status %d) output, last 6000 bytes ----\n%s\n"
			       "    ----\n",
			       p->name, p->status, tail);
		}
		close(p->out);
		p->out = -1;
	}
	free(p->buf);
	p->buf = NULL;
}

static bool peer_has(const struct peer *p, const char *needle)
{
	return p->buf != NULL && strstr(p->buf, needle) != NULL;
}

#define EXPECT_OUT(p, needle)                                                                      \
	do {                                                                                       \
		if (!peer_has(p, needle))                                                          \
			th_fail(__FILE__, __LINE__, "%s did not print \"%s\"", (p)->name, needle); \
	} while (0)

/* A server peer: listening on @p port within WAIT_MS, or the case fails. */
static bool peer_listening(struct peer *p, uint16_t port)
{
	if (tu_wait_port(AF_INET, port, WAIT_MS)) {
		return true;
	}
	th_fail(__FILE__, __LINE__, "%s never listened on port %u", p->name, port);
	return false;
}

/* ---- secsock side: options, client, data ---- */

struct sec {
	int proto;               /* IPPROTO_TLS_1_2 or IPPROTO_TLS_1_3 */
	sec_tag_t tags[3];       /* 0 ends the list */
	const char *host;        /* TLS_HOSTNAME; NULL: not set */
	const char **alpn;       /* TLS_ALPN_LIST, NULL-terminated; NULL: none */
	int verify;              /* TLS_PEER_VERIFY; 0 here means "leave the default" */
	bool cache;              /* TLS_SESSION_CACHE_ENABLED */
	const char *peer_out[4]; /* the peer must print these */
};

static int tag_count(const struct sec *c)
{
	int n = 0;

	while (n < (int)ARRAY_LEN(c->tags) && c->tags[n] != 0) {
		n++;
	}
	return n;
}

static int sec_options(int fd, const struct sec *c)
{
	struct zsock_timeval tv = {.tv_sec = IO_SEC};
	int alpn_n = 0;
	int on = TLS_SESSION_CACHE_ENABLED;

	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, c->tags,
			     (socklen_t)(tag_count(c) * sizeof(sec_tag_t))) < 0) {
		return -1;
	}
	if (c->host != NULL &&
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, c->host, strlen(c->host) + 1) < 0) {
		return -1;
	}
	while (c->alpn != NULL && c->alpn[alpn_n] != NULL) {
		alpn_n++;
	}
	if (alpn_n > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_ALPN_LIST, c->alpn,
					   (socklen_t)(alpn_n * sizeof(char *))) < 0) {
		return -1;
	}
	if (c->verify != 0 &&
	    zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &c->verify, sizeof(c->verify)) < 0) {
		return -1;
	}
	if (c->cache && zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &on, sizeof(on)) < 0) {
		return -1;
	}
	if (zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		return -1;
	}
	return 0;
}

/*
 * A secsock client connected (TCP + handshake) to 127.0.0.1:@p port. Returns
 * the socket, also when connect() failed (*err is then its errno, else 0), or
 * -1 if the socket could not even be made.
 */
static int sec_connect(const struct sec *c, uint16_t port, int *err)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(AF_INET, port, &ss);
	int fd = zsock_socket(AF_INET, SOCK_STREAM, c->proto);

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (sec_options(fd, c) < 0) {
		*err = errno;
		th_fail(__FILE__, __LINE__, "setsockopt: %s", strerror(errno));
		return fd;
	}
	if (zsock_connect(fd, (struct sockaddr *)&ss, len) < 0) {
		*err = errno;
	}
	return fd;
}

static void sec_close(int *fd)
{
	if (*fd >= 0) {
		(void)zsock_close(*fd);
		*fd = -1;
	}
}

static bool sec_send_str(int fd, const char *s)
{
	size_t len = strlen(s);
	size_t done = 0;

	while (done < len) {
		ssize_t n = zsock_send(fd, s + done, len - done, 0);

		if (n <= 0) {
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

/*
 * Receive into @p buf until @p needle arrived (NULL: until EOF). Returns the
 * last recv() result: > 0 data, 0 EOF (close_notify), -1 error (errno kept).
 * Each recv() is bounded by SO_RCVTIMEO, the whole by about WAIT_MS.
 */
static ssize_t sec_recv_until(int fd, char *buf, size_t size, const char *needle)
{
	size_t used = strlen(buf);
	ssize_t n = -1;

	for (int rounds = 0; rounds < WAIT_MS / 1000 / IO_SEC * 4 + 8; rounds++) {
		if (needle != NULL && strstr(buf, needle) != NULL) {
			return 1;
		}
		if (used + 1 >= size) {
			return n;
		}
		n = zsock_recv(fd, buf + used, size - used - 1, 0);
		if (n <= 0) {
			return n;
		}
		used += (size_t)n;
		buf[used] = 0;
	}
	return n;
}

static int sec_suite(int fd)
{
	int id = -1;
	socklen_t len = sizeof(id);

	if (zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &id, &len) < 0) {
		return -1;
	}
	return id;
}

static uint32_t sec_verify_result(int fd)
{
	uint32_t flags = UINT32_MAX;
	socklen_t len = sizeof(flags);

	if (zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len) < 0) {
		return UINT32_MAX;
	}
	return flags;
}

/* ---- secsock server: a listener and a thread that serves MAX_CONN connections ---- */

struct srv {
	struct sec cfg;
	int lfd;
	uint16_t port;
	int conns;         /* connections to serve */
	const char *until; /* a request ends with this */
	const char *reply;
	atomic_bool stop;
	pthread_t th;
	bool running;
	/* results, per connection */
	int accept_err[MAX_CONN]; /* 0: accepted; else errno of accept() */
	int suite[MAX_CONN];
	uint32_t verify[MAX_CONN];
	char req[MAX_CONN][2048];
	bool replied[MAX_CONN];
};

/* Wait for a connection in 100 ms steps, until WAIT_MS or srv_join(). */
static bool srv_wait_conn(struct srv *s)
{
	struct zsock_pollfd p = {.fd = s->lfd, .events = ZSOCK_POLLIN};

	for (int waited = 0; waited < WAIT_MS && !atomic_load(&s->stop); waited += 100) {
		p.revents = 0;
		if (zsock_poll(&p, 1, 100) > 0) {
			return true;
		}
	}
	return false;
}

static void srv_serve(struct srv *s, int i, int fd)
{
	struct zsock_timeval tv = {.tv_sec = IO_SEC};
	ssize_t n;

	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->suite[i] = sec_suite(fd);
	s->verify[i] = sec_verify_result(fd);
	n = sec_recv_until(fd, s->req[i], sizeof(s->req[i]), s->until);
	if (n > 0) {
		s->replied[i] = sec_send_str(fd, s->reply);
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	for (int i = 0; i < s->conns; i++) {
		if (!srv_wait_conn(s)) {
			s->accept_err[i] = ETIMEDOUT;
			break;
		}
		int fd = zsock_accept(s->lfd, NULL, NULL);

		if (fd < 0) {
			s->accept_err[i] = errno;
			continue;
		}
		s->accept_err[i] = 0;
		srv_serve(s, i, fd);
		(void)zsock_close(fd); /* close_notify: the peer sees a clean end */
	}
	return NULL;
}

static bool srv_start(struct srv *s)
{
	s->lfd = tu_listen(AF_INET, s->cfg.proto, &s->port);
	if (s->lfd < 0 || sec_options(s->lfd, &s->cfg) < 0) {
		return false;
	}
	for (int i = 0; i < MAX_CONN; i++) {
		s->accept_err[i] = -1; /* not reached */
		s->suite[i] = -1;
		s->verify[i] = UINT32_MAX;
	}
	atomic_store(&s->stop, false);
	s->running = pthread_create(&s->th, NULL, srv_main, s) == 0;
	return s->running;
}

static void srv_join(struct srv *s)
{
	if (s->running) {
		atomic_store(&s->stop, true);
		pthread_join(s->th, NULL);
		s->running = false;
	}
	if (s->lfd >= 0) {
		(void)zsock_close(s->lfd);
		s->lfd = -1;
	}
}

static void port_str(char *buf, size_t size, uint16_t port)
{
	(void)snprintf(buf, size, "%u", port);
}

/* ---- peer availability ---- */

#define NEED(prog)                                                                                 \
	do {                                                                                       \
		if (!tu_have(prog))                                                                \
			SKIP(prog " not installed (tools/deps.sh installs it)");                   \
		if (!creds())                                                                      \
			SKIP("test credentials could not be loaded");                              \
	} while (0)

#define NEED_MBEDTLS(prog)                                                                         \
	do {                                                                                       \
		if (!tu_have(tu_mbedtls_prog(prog)))                                               \
			SKIP("Mbed TLS " prog " not built");                                       \
		if (!creds())                                                                      \
			SKIP("test credentials could not be loaded");                              \
	} while (0)

/* Path of test credential @p name (a few stay valid at once: argv arrays use them). */
static const char *cert(const char *name)
{
	static char paths[16][512];
	static int next;
	char *p = paths[next++ % 16];

	(void)snprintf(p, sizeof(paths[0]), "%s", tu_cert_path(name));
	return p;
}

/* "key=<path of test credential name>", an Mbed TLS program argument. */
static const char *kv(const char *key, const char *name)
{
	static char args[16][600];
	static int next;
	char *p = args[next++ % 16];

	(void)snprintf(p, sizeof(args[0]), "%s=%s", key, tu_cert_path(name));
	return p;
}

/* ======================================================================
 * OpenSSL s_server <- secsock client
 * ====================================================================== */

/*
 * s_server in its default mode prints what it receives and sends what is
 * written to its stdin: a line goes each way. @p extra: version, credential
 * and feature flags. Checks c->peer_out and the suite s_server printed.
 */
static void openssl_secclient(const char *const *extra, const struct sec *c)
{
	struct peer p = {0};
	struct args a = {0};
	char acc[32];
	char buf[4096] = "";
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	int fd = -1;
	int err;

	(void)snprintf(acc, sizeof(acc), "127.0.0.1:%u", port);
	ARGS(&a, "openssl", "s_server", "-accept", acc);
	args_extra(&a, extra);
	REQUIRE(peer_start(&p, "openssl s_server", &a, true));
	REQUIRE(peer_listening(&p, port));

	fd = sec_connect(c, port, &err);
	REQUIRE(fd >= 0);
	REQUIRE_ERRNO(err, 0);
	REQUIRE(sec_send_str(fd, "hello from secsock\n"));
	EXPECT_TRUE(peer_expect(&p, "hello from secsock"));
	REQUIRE(peer_write(&p, "hello from openssl\n"));
	EXPECT_EQ(sec_recv_until(fd, buf, sizeof(buf), "hello from openssl\n"), 1);
	EXPECT_SAME_SUITE(p.buf, "CIPHER is ", sec_suite(fd));
	if (c->host != NULL) {
		EXPECT_EQ(sec_verify_result(fd), 0); /* TLS_CERT_VERIFY_RESULT: all checks passed */
	}
	for (int i = 0; i < 4 && c->peer_out[i] != NULL; i++) {
		EXPECT_OUT(&p, c->peer_out[i]);
	}
out:
	sec_close(&fd);
	peer_stop(&p);
}

/* The handshake with s_server must fail with @p want (and SO_ERROR says so). */
static void openssl_secclient_reject(const char *const *extra, const struct sec *c, int want)
{
	struct peer p = {0};
	struct args a = {0};
	char acc[32];
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	int fd = -1;
	int err;
	int so_err = 0;
	socklen_t len = sizeof(so_err);

	(void)snprintf(acc, sizeof(acc), "127.0.0.1:%u", port);
	ARGS(&a, "openssl", "s_server", "-accept", acc);
	args_extra(&a, extra);
	REQUIRE(peer_start(&p, "openssl s_server", &a, true));
	REQUIRE(peer_listening(&p, port));

	fd = sec_connect(c, port, &err);
	REQUIRE(fd >= 0);
	EXPECT_EQ(err, want);
	EXPECT_OK(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len));
	EXPECT_EQ(so_err, want);
	/* after a failed handshake, data calls fail too: nothing leaks in clear */
	EXPECT_TRUE(zsock_send(fd, "x", 1, 0) < 0);
out:
	sec_close(&fd);
	peer_stop(&p);
}

/*
 * Session cache (docs/session-cache.md), secsock client -> openssl s_server
 * -www: s_server's page says "New" or "Reused" for each connection. Two
 * connections in the same context: the second is reused, as s_server sees
 * it and as SECSOCK_TLS_SESSION_RESUMED says. Then a client that requires
 * verification after one that did not (OPTIONAL, which connects to an
 * untrusted server): it must fail and never reuse.
 */
static void openssl_secclient_resume(const char *version, bool untrusted)
{
	struct peer p = {0};
	struct args a = {0};
	char acc[32];
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	struct sec c = {
		.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost", .cache = true};
	int fd = -1, err, on = 1;
	const char *cert_name = untrusted ? "untrusted.pem" : "server.pem";
	const char *key_name = untrusted ? "untrusted.key" : "server.key";

	(void)snprintf(acc, sizeof(acc), "127.0.0.1:%u", port);
	ARGS(&a, "openssl", "s_server", "-accept", acc, "-www", version, "-cert", cert(cert_name),
	     "-key", cert(key_name));
	REQUIRE(peer_start(&p, "openssl s_server", &a, true));
	REQUIRE(peer_listening(&p, port));
	fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, &on, sizeof(on)));
	sec_close(&fd);
	if (untrusted) {
		c.verify = TLS_PEER_VERIFY_OPTIONAL; /* connects, with NOT_TRUSTED in the flags */
	}
	for (int i = 0; i < 3; i++) {
		char buf[8192] = "";
		int resumed = -1;
		socklen_t len = sizeof(resumed);

		if (untrusted && i == 1) {
			c.verify = TLS_PEER_VERIFY_REQUIRED; /* the verifying client */
		} else if (untrusted && i == 2) {
			c.verify = TLS_PEER_VERIFY_OPTIONAL; /* the weak context itself still
								resumes */
		}
		fd = sec_connect(&c, port, &err);
		REQUIRE(fd >= 0);
		if (untrusted && i == 1) {
			EXPECT_EQ(err, ECONNABORTED);
			sec_close(&fd);
			continue;
		}
		REQUIRE_ERRNO(err, 0);
		REQUIRE(sec_send_str(fd, "GET / HTTP/1.0\r\n\r\n"));
		(void)sec_recv_until(fd, buf, sizeof(buf), NULL);
		EXPECT_OK(
			zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &resumed, &len));
		if (i == 0) {
			EXPECT_TRUE(strstr(buf, "New, TLSv1.") != NULL);
			EXPECT_EQ(resumed, 0);
		} else {
			EXPECT_TRUE(strstr(buf, "Reused, TLSv1.") != NULL);
			EXPECT_EQ(resumed, 1);
		}
		sec_close(&fd);
	}
out:
	sec_close(&fd);
	peer_stop(&p);
}

/* Issue 8: resumption still works when nothing changed (s_server says Reused), TLS 1.2. */
TEST(test_openssl_secclient_tls12_resumed)
{
	NEED("openssl");
	openssl_secclient_resume("-tls1_2", false);
}

/* Issue 8: the same with a TLS 1.3 ticket. */
TEST(test_openssl_secclient_tls13_resumed)
{
	NEED("openssl");
	openssl_secclient_resume("-tls1_3", false);
}

/* Issue 8, review 1: an unverified session (OPTIONAL, untrusted s_server) is not offered to
 * a REQUIRED client. */
TEST(test_openssl_secclient_tls12_unverified_session_kept_apart)
{
	NEED("openssl");
	openssl_secclient_resume("-tls1_2", true);
}

TEST(test_openssl_secclient_tls13_unverified_session_kept_apart)
{
	NEED("openssl");
	openssl_secclient_resume("-tls1_3", true);
}

#define SRV_EC(v)  v, "-cert", cert("server.pem"), "-key", cert("server.key")
#define SRV_RSA(v) v, "-cert", cert("server-rsa.pem"), "-key", cert("server-rsa.key")

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.2, ECDSA P-256 certificate. */
TEST(test_openssl_secclient_tls12_ecdsa)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_2"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.3, ECDSA P-256 certificate. */
TEST(test_openssl_secclient_tls13_ecdsa)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_3"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.2, RSA-2048 certificate. */
TEST(test_openssl_secclient_tls12_rsa)
{
	NEED("openssl");
	const char *x[] = {SRV_RSA("-tls1_2"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.3, RSA-2048 certificate. */
TEST(test_openssl_secclient_tls13_rsa)
{
	NEED("openssl");
	const char *x[] = {SRV_RSA("-tls1_3"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient(x, &c);
}

/*
 * Issue: TLS 1.3 negotiated from a 1.2-minimum socket (docs/zephyr-behaviour.md §1.1): an
 * IPPROTO_TLS_1_2 socket against a server that speaks both gets TLS 1.3.
 */
TEST(test_openssl_secclient_tls12sock_gets_tls13)
{
	NEED("openssl");
	const char *x[] = {"-cert", cert("server.pem"), "-key", cert("server.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"CIPHER is TLS_"}};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.2, PSK (no certificate). */
TEST(test_openssl_secclient_tls12_psk)
{
	NEED("openssl");
	const char *x[] = {"-tls1_2", "-nocert", "-psk", PSK_HEX, "-psk_identity", PSK_ID, NULL};
	/* plain PSK or ECDHE-PSK: both are PSK suites; the exact one is cross-checked */
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_PSK}, .peer_out = {"PSK-"}};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> openssl s_server, TLS 1.3, external PSK. */
TEST(test_openssl_secclient_tls13_psk)
{
	NEED("openssl");
	const char *x[] = {"-tls1_3", "-nocert", "-psk", PSK_HEX, "-psk_identity", PSK_ID, NULL};
	struct sec c = {
		.proto = IPPROTO_TLS_1_3, .tags = {TAG_PSK}, .peer_out = {"CIPHER is TLS_"}};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, mutual auth: s_server -Verify 1 gets and verifies our client cert. */
TEST(test_openssl_secclient_tls12_mutual)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_2"),      "-Verify", "1", "-CAfile", cert("ca.pem"),
			   "-verify_return_error", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"depth=0 CN = secsock-client", "verify return:1"}};

	openssl_secclient(x, &c);
}

/* Issue: interop matrix, mutual auth over TLS 1.3 with s_server -Verify 1. */
TEST(test_openssl_secclient_tls13_mutual)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_3"),      "-Verify", "1", "-CAfile", cert("ca.pem"),
			   "-verify_return_error", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"depth=0 CN = secsock-client", "verify return:1"}};

	openssl_secclient(x, &c);
}

/* Issue: mutual auth with an RSA client key: PKCS#1 v1.5 in TLS 1.2 CertificateVerify. */
TEST(test_openssl_secclient_tls12_mutual_rsa)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_2"),      "-Verify", "1", "-CAfile", cert("ca.pem"),
			   "-verify_return_error", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA, TAG_CLIENT_RSA},
			.host = "localhost",
			.peer_out = {"depth=0 CN = secsock-client", "verify return:1"}};

	openssl_secclient(x, &c);
}

/* Issue: mutual auth with an RSA client key: RSA-PSS in TLS 1.3 CertificateVerify. */
TEST(test_openssl_secclient_tls13_mutual_rsa)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_3"),      "-Verify", "1", "-CAfile", cert("ca.pem"),
			   "-verify_return_error", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA, TAG_CLIENT_RSA},
			.host = "localhost",
			.peer_out = {"depth=0 CN = secsock-client", "verify return:1"}};

	openssl_secclient(x, &c);
}

static const char *alpn_h2_http11[] = {"h2", "http/1.1", NULL};

/* Issue: ALPN (README.md, "What works today"): s_server picks the one protocol both speak. */
TEST(test_openssl_secclient_tls12_alpn)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_2"), "-alpn", "secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.alpn = alpn_h2_http11,
			.peer_out = {"ALPN protocols advertised by the client: h2, http/1.1",
				     "ALPN protocols selected: http/1.1"}};

	openssl_secclient(x, &c);
}

/* Issue: ALPN over TLS 1.3 (in EncryptedExtensions). */
TEST(test_openssl_secclient_tls13_alpn)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_3"), "-alpn", "secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.alpn = alpn_h2_http11,
			.peer_out = {"ALPN protocols advertised by the client: h2, http/1.1",
				     "ALPN protocols selected: http/1.1"}};

	openssl_secclient(x, &c);
}

/*
 * Issue: SNI (docs/zephyr-behaviour.md §1.3 option 2, §3.11): TLS_HOSTNAME is sent as SNI.
 * s_server's default certificate is for the wrong host; only the SNI
 * "localhost" makes it switch to server.pem, which we then verify.
 */
TEST(test_openssl_secclient_tls12_sni)
{
	NEED("openssl");
	const char *x[] = {"-tls1_2",
			   "-cert",
			   cert("wronghost.pem"),
			   "-key",
			   cert("wronghost.key"),
			   "-servername",
			   "localhost",
			   "-cert2",
			   cert("server.pem"),
			   "-key2",
			   cert("server.key"),
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"Hostname in TLS extension: \"localhost\"",
				     "Switching server context."}};

	openssl_secclient(x, &c);
}

/* Issue: SNI over TLS 1.3. */
TEST(test_openssl_secclient_tls13_sni)
{
	NEED("openssl");
	const char *x[] = {"-tls1_3",
			   "-cert",
			   cert("wronghost.pem"),
			   "-key",
			   cert("wronghost.key"),
			   "-servername",
			   "localhost",
			   "-cert2",
			   cert("server.pem"),
			   "-key2",
			   cert("server.key"),
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"Hostname in TLS extension: \"localhost\"",
				     "Switching server context."}};

	openssl_secclient(x, &c);
}

/* Issue: rejection, a server certificate from an untrusted CA -> ECONNABORTED. */
TEST(test_openssl_secclient_reject_untrusted_ca)
{
	NEED("openssl");
	const char *x[] = {"-cert", cert("untrusted.pem"), "-key", cert("untrusted.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient_reject(x, &c, ECONNABORTED);
}

/* Issue: rejection, a certificate for another host name -> ECONNABORTED. */
TEST(test_openssl_secclient_reject_wrong_host)
{
	NEED("openssl");
	const char *x[] = {"-cert", cert("wronghost.pem"), "-key", cert("wronghost.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient_reject(x, &c, ECONNABORTED);
}

/* Issue: rejection, an expired certificate (2020-2021) -> ECONNABORTED. */
TEST(test_openssl_secclient_reject_expired)
{
	NEED("openssl");
	const char *x[] = {"-cert", cert("expired.pem"), "-key", cert("expired.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient_reject(x, &c, ECONNABORTED);
}

/*
 * Issue: IPPROTO_TLS_1_3 never downgrades (docs/zephyr-behaviour.md §1.1): a 1.2-only server
 * -> ECONNABORTED.
 */
TEST(test_openssl_secclient_reject_tls13sock_vs_tls12_server)
{
	NEED("openssl");
	const char *x[] = {SRV_EC("-tls1_2"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3, .tags = {TAG_CA}, .host = "localhost"};

	openssl_secclient_reject(x, &c, ECONNABORTED);
}

/* ======================================================================
 * OpenSSL s_client -> secsock server
 * ====================================================================== */

struct sclient_run {
	const char *const *extra; /* s_client flags */
	const char *sess_out;     /* -sess_out file, or NULL */
	const char *sess_in;      /* -sess_in file, or NULL */
};

/* One s_client run: send a line, read the reply, wait for it to end. */
static bool openssl_sclient(uint16_t port, const struct sclient_run *r, struct peer *p)
{
	struct args a = {0};
	char conn[32];

	(void)snprintf(conn, sizeof(conn), "127.0.0.1:%u", port);
	ARGS(&a, "openssl", "s_client", "-connect", conn, "-servername", "localhost");
	args_extra(&a, r->extra);
	if (r->sess_out != NULL) {
		ARGS(&a, "-sess_out", r->sess_out);
	}
	if (r->sess_in != NULL) {
		ARGS(&a, "-sess_in", r->sess_in);
	}
	if (!peer_start(p, "openssl s_client", &a, true)) {
		return false;
	}
	/* the server replies and closes (close_notify): s_client ends by itself */
	if (!peer_write(p, "ping from openssl\n")) {
		return false;
	}
	(void)peer_finish(p);
	return true;
}

#define CLI_VERIFY(v)                                                                              \
	v, "-CAfile", cert("ca.pem"), "-verify_return_error", "-verify_hostname", "localhost"

/*
 * s_client against a secsock server thread: the line goes in, the reply
 * comes back, the suite s_client printed is the one the server reports.
 */
static void openssl_secserver(const char *const *extra, const struct sec *cfg)
{
	struct srv s = {.cfg = *cfg, .conns = 1, .until = "\n", .reply = "pong from secsock\n"};
	struct sclient_run r = {.extra = extra};
	struct peer p = {0};

	REQUIRE(srv_start(&s));
	REQUIRE(openssl_sclient(s.port, &r, &p));
	EXPECT_OUT(&p, "pong from secsock");
	for (int i = 0; i < 4 && cfg->peer_out[i] != NULL; i++) {
		EXPECT_OUT(&p, cfg->peer_out[i]);
	}
	srv_join(&s);
	EXPECT_EQ(s.accept_err[0], 0);
	EXPECT_TRUE(strstr(s.req[0], "ping from openssl\n") != NULL);
	EXPECT_TRUE(s.replied[0]);
	EXPECT_SAME_SUITE(p.buf, "Cipher is ", s.suite[0]);
	if (cfg->verify == TLS_PEER_VERIFY_REQUIRED) {
		EXPECT_EQ(s.verify[0], 0); /* the client certificate verified */
	}
out:
	peer_stop(&p);
	srv_join(&s);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.2, ECDSA. */
TEST(test_openssl_secserver_tls12_ecdsa)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_2"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.peer_out = {"Verification: OK", "Verify return code: 0 (ok)",
				     "New, TLSv1.2, Cipher is"}};

	openssl_secserver(x, &c);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.3, ECDSA. */
TEST(test_openssl_secserver_tls13_ecdsa)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_3"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.peer_out = {"Verification: OK", "Verify return code: 0 (ok)",
				     "New, TLSv1.3, Cipher is"}};

	openssl_secserver(x, &c);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.2, RSA-2048. */
TEST(test_openssl_secserver_tls12_rsa)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_2"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_RSA},
			.peer_out = {"Verification: OK", "Server public key is 2048 bit"}};

	openssl_secserver(x, &c);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.3, RSA-2048 (RSA-PSS). */
TEST(test_openssl_secserver_tls13_rsa)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_3"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_RSA},
			.peer_out = {"Verification: OK", "Server public key is 2048 bit"}};

	openssl_secserver(x, &c);
}

/* Issue: mutual auth, secsock server TLS_PEER_VERIFY_REQUIRED accepts s_client -cert. */
TEST(test_openssl_secserver_tls12_mutual)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_2"), "-cert", cert("client.pem"), "-key",
			   cert("client.key"),    NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"Verification: OK"}};

	openssl_secserver(x, &c);
}

/* Issue: mutual auth over TLS 1.3. */
TEST(test_openssl_secserver_tls13_mutual)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_3"), "-cert", cert("client.pem"), "-key",
			   cert("client.key"),    NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"Verification: OK"}};

	openssl_secserver(x, &c);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.2 PSK. */
TEST(test_openssl_secserver_tls12_psk)
{
	NEED("openssl");
	const char *x[] = {"-tls1_2", "-psk", PSK_HEX, "-psk_identity", PSK_ID, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_PSK}, .peer_out = {"PSK"}};

	openssl_secserver(x, &c);
}

/* Issue: interop matrix, openssl s_client -> secsock server, TLS 1.3 external PSK. */
TEST(test_openssl_secserver_tls13_psk)
{
	NEED("openssl");
	const char *x[] = {"-tls1_3", "-psk", PSK_HEX, "-psk_identity", PSK_ID, NULL};
	struct sec c = {
		.proto = IPPROTO_TLS_1_3, .tags = {TAG_PSK}, .peer_out = {", TLSv1.3, Cipher is"}};

	openssl_secserver(x, &c);
}

/* Issue: ALPN, s_client -alpn: the secsock server selects from its TLS_ALPN_LIST. */
TEST(test_openssl_secserver_tls13_alpn)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_3"), "-alpn", "secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.alpn = alpn_h2_http11,
			.peer_out = {"ALPN protocol: http/1.1"}};

	openssl_secserver(x, &c);
}

/* Issue: ALPN over TLS 1.2 (ServerHello extension), s_client -alpn. */
TEST(test_openssl_secserver_tls12_alpn)
{
	NEED("openssl");
	const char *x[] = {CLI_VERIFY("-tls1_2"), "-alpn", "secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.alpn = alpn_h2_http11,
			.peer_out = {"ALPN protocol: http/1.1"}};

	openssl_secserver(x, &c);
}

/*
 * Resumption seen by the peer (TLS_SESSION_CACHE on the server): the second
 * s_client run presents the first one's session and prints "Reused".
 */
static void openssl_secserver_resume(const char *version, const char *reused)
{
	struct sec cfg = {.proto = strcmp(version, "-tls1_3") == 0 ? IPPROTO_TLS_1_3
								   : IPPROTO_TLS_1_2,
			  .tags = {TAG_EC},
			  .cache = true};
	struct srv s = {.cfg = cfg, .conns = 2, .until = "\n", .reply = "pong from secsock\n"};
	char sess[] = "/tmp/secsock-sess-XXXXXX";
	const char *x[] = {CLI_VERIFY(version), NULL};
	struct sclient_run r1 = {.extra = x, .sess_out = sess};
	struct sclient_run r2 = {.extra = x, .sess_in = sess};
	struct peer p1 = {0};
	struct peer p2 = {0};
	int tmp = mkstemp(sess);

	REQUIRE(tmp >= 0);
	close(tmp);
	REQUIRE(srv_start(&s));
	REQUIRE(openssl_sclient(s.port, &r1, &p1));
	EXPECT_OUT(&p1, "pong from secsock");
	EXPECT_OUT(&p1, "New, TLSv1.");
	REQUIRE(openssl_sclient(s.port, &r2, &p2));
	EXPECT_OUT(&p2, "pong from secsock");
	EXPECT_OUT(&p2, reused);
	srv_join(&s);
	EXPECT_EQ(s.accept_err[0], 0);
	EXPECT_EQ(s.accept_err[1], 0);
out:
	peer_stop(&p1);
	peer_stop(&p2);
	srv_join(&s);
	if (tmp >= 0) {
		unlink(sess);
	}
}

/* Issue: server session cache (docs/zephyr-behaviour.md §3.10), TLS 1.2 session IDs, s_client. */
TEST(test_openssl_secserver_tls12_resume)
{
	NEED("openssl");
	openssl_secserver_resume("-tls1_2", "Reused, TLSv1.2");
}

/* Issue: TLS 1.3 resumption (docs/session-cache.md), s_client -sess_out/-sess_in. */
TEST(test_openssl_secserver_tls13_resume)
{
	NEED("openssl");
	openssl_secserver_resume("-tls1_3", "Reused, TLSv1.3");
}

/*
 * Issue: rejection, a TLS_PEER_VERIFY_REQUIRED server refuses a client
 * without certificate: accept() fails with ECONNABORTED and the client
 * fails too, never seeing application data. (Mbed TLS sends no alert here
 * in TLS 1.2, and in TLS 1.3 its alert arrives under a key the client does
 * not expect, so s_client reports EOF/reset or "bad record mac": any error.)
 */
static void openssl_secserver_reject_nocert(const char *version, int proto)
{
	struct sec cfg = {
		.proto = proto, .tags = {TAG_EC, TAG_CA}, .verify = TLS_PEER_VERIFY_REQUIRED};
	struct srv s = {.cfg = cfg, .conns = 1, .until = "\n", .reply = "must not be sent\n"};
	const char *x[] = {CLI_VERIFY(version), NULL};
	struct sclient_run r = {.extra = x};
	struct peer p = {0};

	REQUIRE(srv_start(&s));
	REQUIRE(openssl_sclient(s.port, &r, &p));
	srv_join(&s);
	EXPECT_EQ(s.accept_err[0], ECONNABORTED);
	EXPECT_TRUE(!s.replied[0]);
	EXPECT_TRUE(!peer_has(&p, "must not be sent"));
	EXPECT_TRUE(peer_has(&p, ":error:") || peer_has(&p, "errno="));
out:
	peer_stop(&p);
	srv_join(&s);
}

TEST(test_openssl_secserver_reject_no_client_cert_tls12)
{
	NEED("openssl");
	openssl_secserver_reject_nocert("-tls1_2", IPPROTO_TLS_1_2);
}

TEST(test_openssl_secserver_reject_no_client_cert_tls13)
{
	NEED("openssl");
	openssl_secserver_reject_nocert("-tls1_3", IPPROTO_TLS_1_3);
}

/* ======================================================================
 * GnuTLS gnutls-serv <- secsock client
 * ====================================================================== */

#define PRIO12         "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define PRIO13         "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define PRIO12_PSK     "NORMAL:-VERS-ALL:+VERS-TLS1.2:+PSK:+ECDHE-PSK:+DHE-PSK"
/* gnutls-cli 3.7.9 crashes printing an ECDHE-PSK session (NULL deref in
 * gnutls_psk_server_get_username), so as a client it offers plain PSK only. */
#define PRIO12_PSK_CLI "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK"
#define PRIO13_PSK     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+ECDHE-PSK:+DHE-PSK"

/* A "user:hexkey" file for --pskpasswd; @p path gets its name. */
static bool psk_file(char *path)
{
	int fd = mkstemp(path);
	char line[256];
	int n = snprintf(line, sizeof(line), "%s:%s\n", PSK_ID, PSK_HEX);
	bool ok = fd >= 0 && write(fd, line, (size_t)n) == n;

	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

/* gnutls-serv --echo: the line we send comes back. */
static void gnutls_secclient(const char *const *extra, const struct sec *c)
{
	struct peer p = {0};
	struct args a = {0};
	char port_s[8];
	char buf[4096] = "";
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	int fd = -1;
	int err;

	port_str(port_s, sizeof(port_s), port);
	ARGS(&a, "gnutls-serv", "--port", port_s, "--echo");
	args_extra(&a, extra);
	REQUIRE(peer_start(&p, "gnutls-serv", &a, false));
	REQUIRE(peer_listening(&p, port));

	fd = sec_connect(c, port, &err);
	REQUIRE(fd >= 0);
	REQUIRE_ERRNO(err, 0);
	REQUIRE(sec_send_str(fd, "hello from secsock\n"));
	EXPECT_EQ(sec_recv_until(fd, buf, sizeof(buf), "hello from secsock\n"), 1);
	EXPECT_TRUE(peer_expect(&p, "hello from secsock"));
	EXPECT_GNUTLS_CIPHER(p.buf, sec_suite(fd));
	for (int i = 0; i < 4 && c->peer_out[i] != NULL; i++) {
		EXPECT_OUT(&p, c->peer_out[i]);
	}
out:
	sec_close(&fd);
	peer_stop(&p);
}

#define GSRV_EC "--x509certfile", cert("server.pem"), "--x509keyfile", cert("server.key")

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.2, ECDSA (and SNI seen). */
TEST(test_gnutls_secclient_tls12_ecdsa)
{
	NEED("gnutls-serv");
	const char *x[] = {GSRV_EC, "--priority", PRIO12, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"- Version: TLS1.2", "- Given server name[1]: localhost"}};

	gnutls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.3, ECDSA. */
TEST(test_gnutls_secclient_tls13_ecdsa)
{
	NEED("gnutls-serv");
	const char *x[] = {GSRV_EC, "--priority", PRIO13, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"- Version: TLS1.3", "- Given server name[1]: localhost"}};

	gnutls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.2, RSA-2048. */
TEST(test_gnutls_secclient_tls12_rsa)
{
	NEED("gnutls-serv");
	const char *x[] = {"--x509certfile",
			   cert("server-rsa.pem"),
			   "--x509keyfile",
			   cert("server-rsa.key"),
			   "--priority",
			   PRIO12,
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"- Version: TLS1.2"}};

	gnutls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.3, RSA-2048. */
TEST(test_gnutls_secclient_tls13_rsa)
{
	NEED("gnutls-serv");
	const char *x[] = {"--x509certfile",
			   cert("server-rsa.pem"),
			   "--x509keyfile",
			   cert("server-rsa.key"),
			   "--priority",
			   PRIO13,
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"- Version: TLS1.3"}};

	gnutls_secclient(x, &c);
}

static void gnutls_secclient_psk(const char *prio, int proto, const char *version)
{
	char path[] = "/tmp/secsock-psk-XXXXXX";
	const char *x[] = {"--pskpasswd", path, "--priority", prio, NULL};
	struct sec c = {.proto = proto,
			.tags = {TAG_PSK},
			.peer_out = {"- PSK authentication. Connected as '" PSK_ID "'", version}};

	REQUIRE(psk_file(path));
	gnutls_secclient(x, &c);
out:
	unlink(path);
}

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.2 PSK (--pskpasswd). */
TEST(test_gnutls_secclient_tls12_psk)
{
	NEED("gnutls-serv");
	gnutls_secclient_psk(PRIO12_PSK, IPPROTO_TLS_1_2, "(TLS1.2");
}

/* Issue: interop matrix, secsock client -> gnutls-serv, TLS 1.3 external PSK. */
TEST(test_gnutls_secclient_tls13_psk)
{
	NEED("gnutls-serv");
	gnutls_secclient_psk(PRIO13_PSK, IPPROTO_TLS_1_3, "(TLS1.3");
}

/* Issue: mutual auth, gnutls-serv --require-client-cert verifies our client certificate. */
TEST(test_gnutls_secclient_tls13_mutual)
{
	NEED("gnutls-serv");
	const char *x[] = {GSRV_EC,
			   "--require-client-cert",
			   "--verify-client-cert",
			   "--x509cafile",
			   cert("ca.pem"),
			   "--priority",
			   PRIO13,
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"Subject: CN=secsock-client",
				     "- Status: The certificate is trusted."}};

	gnutls_secclient(x, &c);
}

/* Issue: mutual auth over TLS 1.2 with gnutls-serv. */
TEST(test_gnutls_secclient_tls12_mutual)
{
	NEED("gnutls-serv");
	const char *x[] = {GSRV_EC,
			   "--require-client-cert",
			   "--verify-client-cert",
			   "--x509cafile",
			   cert("ca.pem"),
			   "--priority",
			   PRIO12,
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"Subject: CN=secsock-client",
				     "- Status: The certificate is trusted."}};

	gnutls_secclient(x, &c);
}

/* Issue: ALPN, gnutls-serv --alpn selects the protocol both sides list. */
TEST(test_gnutls_secclient_tls13_alpn)
{
	NEED("gnutls-serv");
	const char *x[] = {GSRV_EC, "--alpn=secsock/1", "--alpn=http/1.1", "--priority", PRIO13,
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.alpn = alpn_h2_http11,
			.peer_out = {"- Application protocol: http/1.1"}};

	gnutls_secclient(x, &c);
}

/* ======================================================================
 * gnutls-cli -> secsock server
 * ====================================================================== */

/* gnutls-cli sends a stdin line; the server replies and closes. */
static bool gnutls_cli_run(uint16_t port, const char *const *extra, struct peer *p)
{
	struct args a = {0};
	static char port_s[8];

	port_str(port_s, sizeof(port_s), port);
	ARGS(&a, "gnutls-cli", "-p", port_s);
	args_extra(&a, extra);
	ARGS(&a, "127.0.0.1");
	if (!peer_start(p, "gnutls-cli", &a, true) || !peer_write(p, "ping from gnutls\n")) {
		return false;
	}
	(void)peer_finish(p);
	return true;
}

static void gnutls_secserver(const char *const *extra, const struct sec *cfg)
{
	struct srv s = {.cfg = *cfg, .conns = 1, .until = "\n", .reply = "pong from secsock\n"};
	struct peer p = {0};

	REQUIRE(srv_start(&s));
	REQUIRE(gnutls_cli_run(s.port, extra, &p));
	EXPECT_OUT(&p, "- Handshake was completed");
	EXPECT_OUT(&p, "pong from secsock");
	for (int i = 0; i < 4 && cfg->peer_out[i] != NULL; i++) {
		EXPECT_OUT(&p, cfg->peer_out[i]);
	}
	srv_join(&s);
	EXPECT_EQ(s.accept_err[0], 0);
	EXPECT_TRUE(strstr(s.req[0], "ping from gnutls\n") != NULL);
	EXPECT_GNUTLS_CIPHER(p.buf, s.suite[0]);
	if (cfg->verify == TLS_PEER_VERIFY_REQUIRED) {
		EXPECT_EQ(s.verify[0], 0);
	}
out:
	peer_stop(&p);
	srv_join(&s);
}

#define GCLI_VERIFY(prio)                                                                          \
	"--x509cafile", cert("ca.pem"), "--verify-hostname", "localhost", "--sni-hostname",        \
		"localhost", "--priority", prio

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.2, ECDSA. */
TEST(test_gnutls_secserver_tls12_ecdsa)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO12), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.peer_out = {"- Status: The certificate is trusted.", "(TLS1.2"}};

	gnutls_secserver(x, &c);
}

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.3, ECDSA. */
TEST(test_gnutls_secserver_tls13_ecdsa)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO13), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.peer_out = {"- Status: The certificate is trusted.", "(TLS1.3"}};

	gnutls_secserver(x, &c);
}

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.2, RSA-2048. */
TEST(test_gnutls_secserver_tls12_rsa)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO12), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_RSA},
			.peer_out = {"- Status: The certificate is trusted.", "RSA key 2048 bits"}};

	gnutls_secserver(x, &c);
}

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.3, RSA-2048 (RSA-PSS). */
TEST(test_gnutls_secserver_tls13_rsa)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO13), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_RSA},
			.peer_out = {"- Status: The certificate is trusted.", "RSA key 2048 bits"}};

	gnutls_secserver(x, &c);
}

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.2 PSK. */
TEST(test_gnutls_secserver_tls12_psk)
{
	NEED("gnutls-cli");
	const char *x[] = {"--pskusername", PSK_ID,         "--pskkey", PSK_HEX,
			   "--priority",    PRIO12_PSK_CLI, NULL};
	struct sec c = {
		.proto = IPPROTO_TLS_1_2, .tags = {TAG_PSK}, .peer_out = {"- PSK authentication."}};

	gnutls_secserver(x, &c);
}

/* Issue: interop matrix, gnutls-cli -> secsock server, TLS 1.3 external PSK. */
TEST(test_gnutls_secserver_tls13_psk)
{
	NEED("gnutls-cli");
	const char *x[] = {"--pskusername", PSK_ID,     "--pskkey", PSK_HEX,
			   "--priority",    PRIO13_PSK, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_PSK},
			.peer_out = {"- PSK authentication.", "(TLS1.3"}};

	gnutls_secserver(x, &c);
}

/* Issue: mutual auth, gnutls-cli --x509certfile against TLS_PEER_VERIFY_REQUIRED. */
TEST(test_gnutls_secserver_tls13_mutual)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO13), "--x509certfile",   cert("client.pem"),
			   "--x509keyfile",     cert("client.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"- Successfully sent 1 certificate(s) to server."}};

	gnutls_secserver(x, &c);
}

/* Issue: mutual auth over TLS 1.2, gnutls-cli --x509certfile. */
TEST(test_gnutls_secserver_tls12_mutual)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO12), "--x509certfile",   cert("client.pem"),
			   "--x509keyfile",     cert("client.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"- Successfully sent 1 certificate(s) to server."}};

	gnutls_secserver(x, &c);
}

/* Issue: ALPN, gnutls-cli --alpn gets the protocol from the server's TLS_ALPN_LIST. */
TEST(test_gnutls_secserver_tls12_alpn)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO12), "--alpn=secsock/1", "--alpn=http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.alpn = alpn_h2_http11,
			.peer_out = {"- Application protocol: http/1.1"}};

	gnutls_secserver(x, &c);
}

/* Issue: server session cache, TLS 1.2 resumption seen by gnutls-cli --resume. */
TEST(test_gnutls_secserver_tls12_resume)
{
	NEED("gnutls-cli");
	const char *x[] = {GCLI_VERIFY(PRIO12), "--resume", NULL};
	struct sec cfg = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_EC}, .cache = true};
	struct srv s = {.cfg = cfg, .conns = 2, .until = "\n", .reply = "pong from secsock\n"};
	struct peer p = {0};

	REQUIRE(srv_start(&s));
	REQUIRE(gnutls_cli_run(s.port, x, &p));
	EXPECT_OUT(&p, "*** This is a resumed session");
	EXPECT_OUT(&p, "pong from secsock");
	srv_join(&s);
	EXPECT_EQ(s.accept_err[0], 0);
	EXPECT_EQ(s.accept_err[1], 0);
out:
	peer_stop(&p);
	srv_join(&s);
}

/* ======================================================================
 * Mbed TLS ssl_server2 <- secsock client
 * ====================================================================== */

/*
 * ssl_server2 answers one HTTP request with a page naming the suite, then
 * sends close_notify: recv() must return that page and then 0.
 */
static void mbedtls_secclient(const char *const *extra, const struct sec *c)
{
	struct peer p = {0};
	struct args a = {0};
	char port_a[32];
	char buf[8192] = "";
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	int fd = -1;
	int err;

	(void)snprintf(port_a, sizeof(port_a), "server_port=%u", port);
	ARGS(&a, tu_mbedtls_prog("ssl_server2"), "server_addr=127.0.0.1", port_a);
	args_extra(&a, extra);
	REQUIRE(peer_start(&p, "ssl_server2", &a, false));
	REQUIRE(peer_listening(&p, port));

	fd = sec_connect(c, port, &err);
	REQUIRE(fd >= 0);
	REQUIRE_ERRNO(err, 0);
	REQUIRE(sec_send_str(fd, "GET / HTTP/1.0\r\n\r\n"));
	EXPECT_EQ(sec_recv_until(fd, buf, sizeof(buf), NULL), 0); /* close_notify ends it */
	EXPECT_TRUE(strstr(buf, "HTTP/1.0 200 OK") != NULL);
	EXPECT_SAME_SUITE(buf, "Successful connection using: ", sec_suite(fd));
	EXPECT_TRUE(peer_expect(&p, "GET / HTTP/1.0"));
	for (int i = 0; i < 4 && c->peer_out[i] != NULL; i++) {
		EXPECT_TRUE(peer_expect(&p, c->peer_out[i]));
	}
out:
	sec_close(&fd);
	peer_stop(&p);
}

#define MSRV_EC                                                                                    \
	kv("crt_file", "server.pem"), kv("key_file", "server.key"), "crt_file2=none",              \
		"key_file2=none"
#define MSRV_NOCERT "crt_file=none", "key_file=none", "crt_file2=none", "key_file2=none"

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.2, ECDSA. */
TEST(test_mbedtls_secclient_tls12_ecdsa)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls12", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.3, ECDSA. */
TEST(test_mbedtls_secclient_tls13_ecdsa)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls13", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.2, RSA-2048. */
TEST(test_mbedtls_secclient_tls12_rsa)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {kv("crt_file", "server-rsa.pem"),
			   kv("key_file", "server-rsa.key"),
			   "crt_file2=none",
			   "key_file2=none",
			   "force_version=tls12",
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.3, RSA-2048 (RSA-PSS). */
TEST(test_mbedtls_secclient_tls13_rsa)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {kv("crt_file", "server-rsa.pem"),
			   kv("key_file", "server-rsa.key"),
			   "crt_file2=none",
			   "key_file2=none",
			   "force_version=tls13",
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.2 PSK. */
TEST(test_mbedtls_secclient_tls12_psk)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_NOCERT,    "ca_file=none",         "force_version=tls12",
			   "psk=" PSK_HEX, "psk_identity=" PSK_ID, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_PSK},
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: interop matrix, secsock client -> ssl_server2, TLS 1.3 external PSK. */
TEST(test_mbedtls_secclient_tls13_psk)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_NOCERT,    "ca_file=none",         "force_version=tls13",
			   "psk=" PSK_HEX, "psk_identity=" PSK_ID, NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_PSK},
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: mutual auth, ssl_server2 auth_mode=required verifies our client certificate. */
TEST(test_mbedtls_secclient_tls12_mutual)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls12", "auth_mode=required",
			   kv("ca_file", "ca.pem"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: mutual auth over TLS 1.3 with ssl_server2. */
TEST(test_mbedtls_secclient_tls13_mutual)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls13", "auth_mode=required",
			   kv("ca_file", "ca.pem"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA, TAG_CLIENT},
			.host = "localhost",
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: a client without certificate is refused by ssl_server2 auth_mode=required. */
TEST(test_mbedtls_secclient_reject_no_client_cert)
{
	NEED_MBEDTLS("ssl_server2");
	struct peer p = {0};
	struct args a = {0};
	char port_a[32];
	uint16_t port = tu_free_port(AF_INET, SOCK_STREAM);
	struct sec c = {.proto = IPPROTO_TLS_1_2, .tags = {TAG_CA}, .host = "localhost"};
	int fd = -1;
	int err;

	(void)snprintf(port_a, sizeof(port_a), "server_port=%u", port);
	ARGS(&a, tu_mbedtls_prog("ssl_server2"), "server_addr=127.0.0.1", port_a, MSRV_EC,
	     "force_version=tls12", "auth_mode=required", kv("ca_file", "ca.pem"));
	REQUIRE(peer_start(&p, "ssl_server2", &a, false));
	REQUIRE(peer_listening(&p, port));
	fd = sec_connect(&c, port, &err);
	REQUIRE(fd >= 0);
	EXPECT_EQ(err, ECONNABORTED);
out:
	sec_close(&fd);
	peer_stop(&p);
}

/* Issue: ALPN, ssl_server2 alpn= picks the protocol both sides list. */
TEST(test_mbedtls_secclient_tls13_alpn)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls13", "alpn=secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_CA},
			.host = "localhost",
			.alpn = alpn_h2_http11,
			.peer_out = {"[ Application Layer Protocol is http/1.1 ]"}};

	mbedtls_secclient(x, &c);
}

/* Issue: ALPN over TLS 1.2 with ssl_server2. */
TEST(test_mbedtls_secclient_tls12_alpn)
{
	NEED_MBEDTLS("ssl_server2");
	const char *x[] = {MSRV_EC, "force_version=tls12", "alpn=secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_CA},
			.host = "localhost",
			.alpn = alpn_h2_http11,
			.peer_out = {"[ Application Layer Protocol is http/1.1 ]"}};

	mbedtls_secclient(x, &c);
}

/* ======================================================================
 * ssl_client2 -> secsock server
 * ====================================================================== */

#define HTTP_REPLY "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npong from secsock\n"

/* Run ssl_client2 against a secsock server serving @p conns connections. */
static void mbedtls_secserver(const char *const *extra, const struct sec *cfg, int conns)
{
	struct srv s = {.cfg = *cfg, .conns = conns, .until = "\r\n\r\n", .reply = HTTP_REPLY};
	struct peer p = {0};
	struct args a = {0};
	char port_a[32];

	REQUIRE(srv_start(&s));
	(void)snprintf(port_a, sizeof(port_a), "server_port=%u", s.port);
	ARGS(&a, tu_mbedtls_prog("ssl_client2"), "server_addr=127.0.0.1", port_a,
	     "server_name=localhost");
	args_extra(&a, extra);
	REQUIRE(peer_start(&p, "ssl_client2", &a, false));
	EXPECT_EQ(peer_finish(&p), 0);
	EXPECT_OUT(&p, "pong from secsock");
	for (int i = 0; i < 4 && cfg->peer_out[i] != NULL; i++) {
		EXPECT_OUT(&p, cfg->peer_out[i]);
	}
	srv_join(&s);
	for (int i = 0; i < conns; i++) {
		EXPECT_EQ(s.accept_err[i], 0);
		EXPECT_TRUE(s.replied[i]);
	}
	EXPECT_SAME_SUITE(p.buf, "[ Ciphersuite is ", s.suite[0]);
	if (cfg->verify == TLS_PEER_VERIFY_REQUIRED) {
		EXPECT_EQ(s.verify[0], 0);
	}
out:
	peer_stop(&p);
	srv_join(&s);
}

#define MCLI_CA kv("ca_file", "ca.pem")

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.2, ECDSA. */
TEST(test_mbedtls_secserver_tls12_ecdsa)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls12", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.3, ECDSA. */
TEST(test_mbedtls_secserver_tls13_ecdsa)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls13", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.3, RSA-2048. */
TEST(test_mbedtls_secserver_tls13_rsa)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls13", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_RSA},
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.2, RSA-2048. */
TEST(test_mbedtls_secserver_tls12_rsa)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls12", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_RSA},
			.peer_out = {"[ Protocol is TLSv1.2 ]", "-RSA-"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.2 PSK. */
TEST(test_mbedtls_secserver_tls12_psk)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {"force_version=tls12",
			   "psk=" PSK_HEX,
			   "psk_identity=" PSK_ID,
			   "ca_file=none",
			   "crt_file=none",
			   "key_file=none",
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_PSK},
			.peer_out = {"[ Protocol is TLSv1.2 ]", "PSK-WITH"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: interop matrix, ssl_client2 -> secsock server, TLS 1.3 external PSK. */
TEST(test_mbedtls_secserver_tls13_psk)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {"force_version=tls13",
			   "psk=" PSK_HEX,
			   "psk_identity=" PSK_ID,
			   "ca_file=none",
			   "crt_file=none",
			   "key_file=none",
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_PSK},
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: mutual auth, ssl_client2 crt_file/key_file against TLS_PEER_VERIFY_REQUIRED. */
TEST(test_mbedtls_secserver_tls12_mutual)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls12", kv("crt_file", "client.pem"),
			   kv("key_file", "client.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"[ Protocol is TLSv1.2 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: mutual auth over TLS 1.3 with ssl_client2. */
TEST(test_mbedtls_secserver_tls13_mutual)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls13", kv("crt_file", "client.pem"),
			   kv("key_file", "client.key"), NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC, TAG_CA},
			.verify = TLS_PEER_VERIFY_REQUIRED,
			.peer_out = {"[ Protocol is TLSv1.3 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: ALPN, ssl_client2 alpn= gets the protocol from the server's TLS_ALPN_LIST. */
TEST(test_mbedtls_secserver_tls12_alpn)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls12", "alpn=secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_2,
			.tags = {TAG_EC},
			.alpn = alpn_h2_http11,
			.peer_out = {"[ Application Layer Protocol is http/1.1 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/* Issue: ALPN over TLS 1.3 with ssl_client2. */
TEST(test_mbedtls_secserver_tls13_alpn)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA, "force_version=tls13", "alpn=secsock/1,http/1.1", NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.alpn = alpn_h2_http11,
			.peer_out = {"[ Application Layer Protocol is http/1.1 ]"}};

	mbedtls_secserver(x, &c, 1);
}

/*
 * Issue: server session cache (docs/zephyr-behaviour.md §3.10), TLS 1.2: ssl_client2
 * reconnect=1 tickets=0 resumes by session ID (its debug output says "a
 * session has been resumed").
 */
TEST(test_mbedtls_secserver_tls12_resume_id)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA,     "force_version=tls12", "reconnect=1",
			   "tickets=0", "debug_level=3",       NULL};
	struct sec c = {
		.proto = IPPROTO_TLS_1_2,
		.tags = {TAG_EC},
		.cache = true,
		.peer_out = {"Reconnecting with saved session", "a session has been resumed"}};

	mbedtls_secserver(x, &c, 2);
}

/*
 * Issue: session tickets (docs/session-cache.md), TLS 1.2: ssl_client2 reconnect=1
 * tickets=1 offers the ticket it got and the session is resumed.
 */
TEST(test_mbedtls_secserver_tls12_resume_ticket)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA,     "force_version=tls12", "reconnect=1",
			   "tickets=1", "debug_level=3",       NULL};
	struct sec c = {
		.proto = IPPROTO_TLS_1_2,
		.tags = {TAG_EC},
		.cache = true,
		.peer_out = {"Reconnecting with saved session", "a session has been resumed"}};

	mbedtls_secserver(x, &c, 2);
}

/*
 * Issue: TLS 1.3 resumption with tickets (docs/session-cache.md): ssl_client2
 * reconnect=1 new_session_tickets=1 stores the server's NewSessionTicket,
 * comes back with it and the server accepts it (psk_ephemeral key exchange
 * on the second connection). Mbed TLS 3.6 clients discard TLS 1.3 tickets
 * unless new_session_tickets=1.
 */
TEST(test_mbedtls_secserver_tls13_resume)
{
	NEED_MBEDTLS("ssl_client2");
	const char *x[] = {MCLI_CA,     "force_version=tls13",   "reconnect=1",
			   "tickets=1", "new_session_tickets=1", "debug_level=3",
			   NULL};
	struct sec c = {.proto = IPPROTO_TLS_1_3,
			.tags = {TAG_EC},
			.cache = true,
			.peer_out = {"got new session ticket", "Reconnecting with saved session",
				     "Selected key exchange mode: psk_ephemeral"}};

	mbedtls_secserver(x, &c, 2);
}
