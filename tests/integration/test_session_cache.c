/*
 * The session cache never lets a session outlive the checks it passed
 * (docs/session-cache.md): a client resumes a cached session only in the
 * security context it was made in (host name rule, peer-verify mode, trust
 * anchors, own credentials, versions and suites, verify callback), and a
 * server finds cached sessions and tickets only of its own context.
 *
 * Regression tests of the review's demonstrations (TLS 1.2, TLS 1.3, DTLS):
 * a session made with TLS_PEER_VERIFY_NONE against an untrusted server, or
 * verified for another host name, let a later verifying client connect.
 * Plus the positive control (resumed when nothing changed, on both sides)
 * and a randomised property test of the rule.
 *
 * Credentials: tags 7300..7307.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

#define WAIT_MS 5000

/* Mbed TLS 3.6 values (x509.h) */

enum tag {
	TAG_CA = 7300,    /* ca.pem */
	TAG_SERVER,       /* server.pem + key: localhost, 127.0.0.1 */
	TAG_UNTRUSTED,    /* untrusted.pem + key: localhost, signed by another CA */
	TAG_WRONGHOST,    /* wronghost.pem + key: wrong.example.com */
	TAG_UNTRUSTED_CA, /* untrusted-ca.pem */
	TAG_CLIENT,       /* client.pem + key */
	TAG_PSK,          /* PSK + identity */
};

static const unsigned char psk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static int creds_add(void)
{
	static const struct {
		sec_tag_t tag;
		enum tls_credential_type type;
		const char *file;
	} f[] = {
		{TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "ca.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "server.pem"},
		{TAG_SERVER, TLS_CREDENTIAL_PRIVATE_KEY, "server.key"},
		{TAG_UNTRUSTED, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "untrusted.pem"},
		{TAG_UNTRUSTED, TLS_CREDENTIAL_PRIVATE_KEY, "untrusted.key"},
		{TAG_WRONGHOST, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "wronghost.pem"},
		{TAG_WRONGHOST, TLS_CREDENTIAL_PRIVATE_KEY, "wronghost.key"},
		{TAG_UNTRUSTED_CA, TLS_CREDENTIAL_CA_CERTIFICATE, "untrusted-ca.pem"},
		{TAG_CLIENT, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, "client.pem"},
		{TAG_CLIENT, TLS_CREDENTIAL_PRIVATE_KEY, "client.key"},
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (tu_add_cred(f[i].tag, f[i].type, f[i].file) != 0) {
			return -1;
		}
	}
	if (tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) != 0 ||
	    tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, "cache-id", 8) != 0) {
		return -1;
	}
	return 0;
}

static void creds_del(void)
{
	for (int t = TAG_CA; t <= TAG_PSK; t++) {
		for (int ty = TLS_CREDENTIAL_CA_CERTIFICATE; ty <= TLS_CREDENTIAL_PSK_ID; ty++) {
			(void)tls_credential_delete(t, (enum tls_credential_type)ty);
		}
	}
}

static const struct tf_creds creds = {TAG_CA, TAG_SERVER, creds_add, creds_del};

__attribute__((constructor)) static void creds_register(void)
{
	tf_use_creds(&creds);
}

/* ---- one client context, and what a connection with it did ---- */

#define NAME_UNSET ((const char *)0)
#define NAME_NULL  ((const char *)1) /* TLS_HOSTNAME set to NULL: no name check */

struct cli {
	int proto;  /* IPPROTO_TLS_1_2: TLS 1.2 on the wire (1.2 suites only); _1_3 */
	int verify; /* TLS_PEER_VERIFY, -1: default (required) */
	const char *name;
	sec_tag_t tags[3];
	int ntags;
	bool cache;
};

struct outcome {
	int err;      /* connect() errno, 0 on success */
	int resumed;  /* SECSOCK_TLS_SESSION_RESUMED of the client, -1 if unknown */
	int sresumed; /* ... of the accepted socket */
	uint32_t flags;
};

static int cli_socket(const struct cli *c, int family)
{
	int fd = zsock_socket(family, SOCK_STREAM, c->proto);
	int one = TLS_SESSION_CACHE_ENABLED;

	/* an IPPROTO_TLS_1_2 socket would negotiate 1.3 with us: 1.2 suites keep it at 1.2 */
	static const int suites12[] = {0xC02B, 0xC02C, 0xC02F, 0xC030};

	if (fd < 0) {
		return -1;
	}
	if ((c->proto == IPPROTO_TLS_1_2 &&
	     zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites12, sizeof(suites12)) < 0) ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, c->tags,
			     (socklen_t)(c->ntags * (int)sizeof(sec_tag_t))) < 0 ||
	    (c->verify >= 0 &&
	     zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &c->verify, sizeof(int)) < 0) ||
	    (c->cache && zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &one, sizeof(one)) < 0) ||
	    (c->name == NAME_NULL && zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, NULL, 0) < 0) ||
	    (c->name != NAME_UNSET && c->name != NAME_NULL &&
	     zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, c->name, strlen(c->name) + 1) < 0)) {
		th_fail(__FILE__, __LINE__, "client options: %s", strerror(errno));
		zsock_close(fd);
		return -1;
	}
	tf_set_timeo(fd, SO_RCVTIMEO, WAIT_MS);
	return fd;
}

static int get_resumed(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &v, &len) < 0) {
		return -1;
	}
	return v;
}

/*
 * Connect a client of context @p c to listener @p lst, echo once (so a TLS
 * 1.3 client takes in its tickets), close both ends.
 */
static struct outcome tls_connect_keep(int lst, const struct sockaddr_storage *sa, socklen_t sl,
				       const struct cli *c, int *keep)
{
	struct outcome o = {.err = -1, .resumed = -1, .sresumed = -1};
	struct tf_acceptor a = {.lst = lst, .fd = -1};
	socklen_t fl = sizeof(o.flags);
	int fd = cli_socket(c, sa->ss_family);

	if (fd < 0 || !tf_worker_start(&a.w, tf_accept_main, &a)) {
		tf_close_fd(&fd);
		return o;
	}
	errno = 0;
	o.err = zsock_connect(fd, (const struct sockaddr *)sa, sl) == 0 ? 0 : errno;
	(void)zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &o.flags, &fl);
	if (o.err != 0) {
		tf_close_fd(&fd); /* the server's accept() fails or sees EOF */
	}
	tf_worker_must_join(&a.w, WAIT_MS + 5000);
	if (o.err == 0 && a.fd >= 0) {
		o.resumed = get_resumed(fd);
		o.sresumed = get_resumed(a.fd);
		EXPECT_TRUE(tf_echo_ok(fd, a.fd, "cache"));
		EXPECT_TRUE(tf_echo_ok(a.fd, fd, "ticket"));
	}
	tf_close_fd(&fd);
	if (keep != NULL) {
		*keep = a.fd; /* the accepted socket keeps the listener's config alive */
	} else {
		tf_close_fd(&a.fd);
	}
	return o;
}

static struct outcome tls_connect(int lst, const struct sockaddr_storage *sa, socklen_t sl,
				  const struct cli *c)
{
	return tls_connect_keep(lst, sa, sl, c, NULL);
}

static int listener(int proto, sec_tag_t tag, int verify)
{
	struct tf_cfg cfg = tf_cfg_cert(AF_INET);
	struct sockaddr_storage sa;
	socklen_t sl;

	cfg.srv_proto = proto;
	cfg.srv_tags[0] = tag;
	cfg.srv_verify = verify;
	cfg.srv_cache = true;
	return tf_listener(&cfg, &sa, &sl);
}

static socklen_t addr_of(int fd, struct sockaddr_storage *sa)
{
	socklen_t sl = sizeof(*sa);

	return zsock_getsockname(fd, (struct sockaddr *)sa, &sl) == 0 ? sl : 0;
}

static void purge(void)
{
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE_PURGE, NULL, 0));
	zsock_close(fd);
}

/*
 * Demonstration 1: client A (TLS_PEER_VERIFY_NONE, cache on) connects to a
 * server whose certificate an untrusted CA signed; client B (default
 * REQUIRED, localhost, the trusted CA, cache on) then must fail.
 */
static void verify_none_then_required(int proto)
{
	struct cli a = {proto, TLS_PEER_VERIFY_NONE, "localhost", {TAG_CA}, 1, true};
	struct cli b = {proto, -1, "localhost", {TAG_CA}, 1, true};
	struct sockaddr_storage sa;
	struct outcome oa, ob;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	purge();
	lst = listener(IPPROTO_TLS_1_2, TAG_UNTRUSTED, -1);
	ASSERT_TRUE(lst >= 0);
	socklen_t sl = addr_of(lst, &sa);

	oa = tls_connect(lst, &sa, sl, &a);
	EXPECT_EQ(oa.err, 0);
	ob = tls_connect(lst, &sa, sl, &b);
	EXPECT_EQ(ob.err, ECONNABORTED);
	/* the same weak context still resumes: the cache works, it only keeps contexts apart */
	oa = tls_connect(lst, &sa, sl, &a);
	EXPECT_EQ(oa.err, 0);
	EXPECT_EQ(oa.resumed, 1);
	zsock_close(lst);
}

/* review 1: TLS 1.2 (the session ID and the 1.2 ticket skip certificate checks) */
TEST(test_tls12_verify_none_session_not_resumed_by_verifying_client)
{
	verify_none_then_required(IPPROTO_TLS_1_2);
}

/* review 1: TLS 1.3 tickets */
TEST(test_tls13_verify_none_session_not_resumed_by_verifying_client)
{
	verify_none_then_required(IPPROTO_TLS_1_3);
}

/*
 * Demonstration 2: an attacker with a valid certificate for its own name
 * (wrong.example.com) at the same address; A verified that name, B wants
 * localhost and must not get A's session.
 */
static void other_name_then_localhost(int proto)
{
	struct cli a = {proto, TLS_PEER_VERIFY_REQUIRED, "wrong.example.com", {TAG_CA}, 1, true};
	struct cli b = {proto, TLS_PEER_VERIFY_REQUIRED, "localhost", {TAG_CA}, 1, true};
	struct sockaddr_storage sa;
	struct outcome oa, ob;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	purge();
	lst = listener(IPPROTO_TLS_1_2, TAG_WRONGHOST, -1);
	ASSERT_TRUE(lst >= 0);
	socklen_t sl = addr_of(lst, &sa);

	oa = tls_connect(lst, &sa, sl, &a);
	EXPECT_EQ(oa.err, 0);
	EXPECT_EQ(oa.flags, 0);
	ob = tls_connect(lst, &sa, sl, &b);
	EXPECT_EQ(ob.err, ECONNABORTED);
	zsock_close(lst);
}

TEST(test_tls12_session_for_other_name_not_resumed)
{
	other_name_then_localhost(IPPROTO_TLS_1_2);
}

TEST(test_tls13_session_for_other_name_not_resumed)
{
	other_name_then_localhost(IPPROTO_TLS_1_3);
}

/* Positive control: nothing changed, the session is resumed, and both sides say so. */
static void same_context_resumes(int proto)
{
	struct cli a = {proto, -1, "localhost", {TAG_CA}, 1, true};
	struct sockaddr_storage sa;
	struct outcome o1, o2;
	int lst;

	ASSERT_TRUE(tf_creds_ready());
	purge();
	lst = listener(IPPROTO_TLS_1_2, TAG_SERVER, -1);
	ASSERT_TRUE(lst >= 0);
	socklen_t sl = addr_of(lst, &sa);

	o1 = tls_connect(lst, &sa, sl, &a);
	EXPECT_EQ(o1.err, 0);
	EXPECT_EQ(o1.resumed, 0);
	EXPECT_EQ(o1.sresumed, 0);
	o2 = tls_connect(lst, &sa, sl, &a);
	EXPECT_EQ(o2.err, 0);
	EXPECT_EQ(o2.resumed, 1);
	EXPECT_EQ(o2.sresumed, 1);
	EXPECT_EQ(o2.flags, 0); /* the verification result travels with the session */
	zsock_close(lst);
}

TEST(test_tls12_same_context_resumes)
{
	same_context_resumes(IPPROTO_TLS_1_2);
}

TEST(test_tls13_same_context_resumes)
{
	same_context_resumes(IPPROTO_TLS_1_3);
}

/*
 * Server side: two listeners in one process share the session cache and
 * (before the fix) the ticket key. A session made with a listener that asks
 * for no client certificate must not let a client without one into a
 * listener that requires one. The client offers its session to the second
 * server because both use one port number in turn; the first server's
 * accepted socket stays open, so its configuration (and ticket keys) live.
 */
static void server_contexts_kept_apart(int proto)
{
	struct cli a = {proto, -1, "localhost", {TAG_CA}, 1, true};
	struct sockaddr_storage sa;
	struct outcome o;
	uint16_t port;
	int lst, kept = -1;

	ASSERT_TRUE(tf_creds_ready());
	purge();
	lst = listener(IPPROTO_TLS_1_2, TAG_SERVER, TLS_PEER_VERIFY_NONE);
	ASSERT_TRUE(lst >= 0);
	socklen_t sl = addr_of(lst, &sa);

	port = tu_local_port(lst);
	o = tls_connect_keep(lst, &sa, sl, &a, &kept);
	EXPECT_EQ(o.err, 0);
	zsock_close(lst);

	/* the same port, now a listener that requires a client certificate */
	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	sec_tag_t tags[] = {TAG_SERVER, TAG_CA};
	int req = TLS_PEER_VERIFY_REQUIRED, one = 1;

	ASSERT_TRUE(fd >= 0);
	EXPECT_OK(zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags)));
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &req, sizeof(req)));
	EXPECT_OK(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &one, sizeof(one)));
	sl = tu_loopback(AF_INET, port, &sa);
	if (zsock_bind(fd, (struct sockaddr *)&sa, sl) < 0 || zsock_listen(fd, 4) < 0) {
		zsock_close(fd);
		tf_close_fd(&kept);
		SKIP("the port was taken meanwhile");
	}
	o = tls_connect(fd, &sa, sl, &a);
	/* without a client certificate the full handshake fails (1.3: after connect) */
	EXPECT_TRUE(o.err != 0 || o.sresumed == -1);
	EXPECT_TRUE(o.resumed != 1);
	zsock_close(fd);
	tf_close_fd(&kept);
}

TEST(test_tls12_server_contexts_kept_apart)
{
	server_contexts_kept_apart(IPPROTO_TLS_1_2);
}

TEST(test_tls13_server_contexts_kept_apart)
{
	server_contexts_kept_apart(IPPROTO_TLS_1_3);
}

/*
 * Property: for random pairs of client contexts A then B against one
 * server, B's outcome with the cache equals B's outcome without it (same
 * success, same verification flags), and B resumes only when its context
 * equals A's. Deterministic for a seed (SECSOCK_TEST_SEED), printed.
 */
static struct cli random_cli(unsigned *seed, int proto)
{
	static const char *const names[] = {"localhost", "wrong.example.com", NAME_UNSET,
					    NAME_NULL};
	static const sec_tag_t cas[] = {TAG_CA, TAG_UNTRUSTED_CA};
	struct cli c = {.proto = proto, .cache = true};

	c.verify = (int)(rand_r(seed) % 4) - 1;
	c.name = names[rand_r(seed) % 4];
	c.tags[c.ntags++] = cas[rand_r(seed) % 2];
	if (rand_r(seed) % 3 == 0) {
		c.tags[c.ntags++] = TAG_CLIENT;
	}
	return c;
}

static bool same_cli(const struct cli *a, const struct cli *b)
{
	int va = a->verify < 0 ? TLS_PEER_VERIFY_REQUIRED : a->verify;
	int vb = b->verify < 0 ? TLS_PEER_VERIFY_REQUIRED : b->verify;

	return a->proto == b->proto && va == vb && a->name == b->name && a->ntags == b->ntags &&
	       memcmp(a->tags, b->tags, sizeof(a->tags[0]) * (size_t)a->ntags) == 0;
}

TEST(test_property_resume_only_in_same_context)
{
	const char *env = getenv("SECSOCK_TEST_SEED");
	unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 0) : (unsigned)tf_now_ms();
	struct sockaddr_storage sa;
	int lst, resumed = 0, rounds = 24;

	printf("seed %u (SECSOCK_TEST_SEED)\n", seed);
	ASSERT_TRUE(tf_creds_ready());
	lst = listener(IPPROTO_TLS_1_2, TAG_SERVER, TLS_PEER_VERIFY_OPTIONAL);
	ASSERT_TRUE(lst >= 0);
	socklen_t sl = addr_of(lst, &sa);

	for (int i = 0; i < rounds && !th_case_failed(); i++) {
		int proto = rand_r(&seed) % 2 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
		struct cli a = random_cli(&seed, proto);
		struct cli b = rand_r(&seed) % 3 == 0 ? a : random_cli(&seed, proto);
		struct cli fresh = b;
		struct outcome oa, ob, of;

		fresh.cache = false;
		purge();
		oa = tls_connect(lst, &sa, sl, &a);
		ob = tls_connect(lst, &sa, sl, &b);
		of = tls_connect(lst, &sa, sl, &fresh);
		if (ob.err != of.err || (ob.err == 0 && ob.flags != of.flags) ||
		    (ob.resumed == 1 && (oa.err != 0 || !same_cli(&a, &b)))) {
			th_fail(__FILE__, __LINE__,
				"round %d, TLS %s: A(v%d,%s,%d tags)=%d B(v%d,%s,%d tags)=%d/%#x "
				"resumed %d, "
				"fresh B=%d/%#x",
				i, proto == IPPROTO_TLS_1_3 ? "1.3" : "1.2", a.verify,
				a.name == NAME_UNSET  ? "unset"
				: a.name == NAME_NULL ? "NULL"
						      : a.name,
				a.ntags, oa.err, b.verify,
				b.name == NAME_UNSET  ? "unset"
				: b.name == NAME_NULL ? "NULL"
						      : b.name,
				b.ntags, ob.err, ob.flags, ob.resumed, of.err, of.flags);
		}
		resumed += ob.resumed == 1;
	}
	printf("%d of %d rounds resumed\n", resumed, rounds);
	zsock_close(lst);
}
