/*
 * Options the client and the server share (secsock(1), "TLS OPTIONS"), and
 * what they become: credentials in the store (files under CLI_TAG_FILES..,
 * or the persistent store for --tag) and SOL_TLS options on the socket.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbed/mbed_cli.h"

enum {
	TAG_CA = CLI_TAG_FILES,
	TAG_OWN,
	TAG_PSK,
};

static const char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		cli_err("%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static bool parse_alpn(struct cli_tls *t, const char *list)
{
	char *p;

	snprintf(t->alpn_buf, sizeof(t->alpn_buf), "%s", list);
	t->nalpn = 0;
	for (p = strtok(t->alpn_buf, ","); p != NULL; p = strtok(NULL, ",")) {
		if (t->nalpn == 8 || *p == '\0' || strlen(p) > 255) {
			cli_err("--alpn: at most 8 protocol names, each 1 to 255 characters");
			return false;
		}
		t->alpn[t->nalpn++] = p;
	}
	t->alpn[t->nalpn] = NULL;
	return t->nalpn > 0;
}

static bool parse_suites(struct cli_tls *t, const char *list)
{
	char buf[2048], *p;

	snprintf(buf, sizeof(buf), "%s", list);
	t->nsuites = 0;
	for (p = strtok(buf, ",: "); p != NULL; p = strtok(NULL, ",: ")) {
		char *end;
		long id = strtol(p, &end, 0);

		if (*end != '\0' || id <= 0 || id > 0xFFFF) {
			id = mc_suite_id(p);
		}
		if (id <= 0) {
			cli_err("--ciphers: unknown cipher suite \"%s\" (IANA names such as "
				"TLS_AES_128_GCM_SHA256, or ids such as 0x1301)",
				p);
			return false;
		}
		if (t->nsuites == 64) {
			cli_err("--ciphers: at most 64 suites");
			return false;
		}
		t->suites[t->nsuites++] = (int)id;
	}
	return t->nsuites > 0;
}

int cli_tls_option(struct cli_tls *t, int argc, char **argv, int *i, bool server)
{
	const char *a = argv[*i], *v;
	long n;

	if (strcmp(a, "-v") == 0 || strcmp(a, "-vv") == 0) {
		cli_set_verbose((int)strlen(a) - 1);
		return 1;
	}
	if (strcmp(a, "--dtls") == 0) {
		t->dtls = true;
		return 1;
	}
	if (strcmp(a, "--tls1.2") == 0) {
		t->tls12 = true;
		return 1;
	}
	if (strcmp(a, "--tls1.3") == 0) {
		t->tls13 = true;
		return 1;
	}
	if (strcmp(a, "--cid") == 0) {
		t->cid = true;
		return 1;
	}
	if (strcmp(a, "--resume") == 0 && !server) {
		t->resume = true;
		return 1;
	}
	if (strcmp(a, "--stdio") == 0 && server) {
		t->stdio = true;
		return 1;
	}
	if (strcmp(a, "--ca") != 0 && strcmp(a, "--cert") != 0 && strcmp(a, "--key") != 0 &&
	    strcmp(a, "--psk") != 0 && strcmp(a, "--psk-id") != 0 && strcmp(a, "--tag") != 0 &&
	    strcmp(a, "--host") != 0 && strcmp(a, "--verify") != 0 && strcmp(a, "--alpn") != 0 &&
	    strcmp(a, "--ciphers") != 0 && strcmp(a, "--store") != 0 && strcmp(a, "--bind") != 0 &&
	    strcmp(a, "--max") != 0 && strcmp(a, "--wait") != 0) {
		return 0;
	}
	v = value(argc, argv, i);
	if (v == NULL) {
		return -1;
	}
	if (strcmp(a, "--ca") == 0) {
		t->ca = v;
	} else if (strcmp(a, "--cert") == 0) {
		t->cert = v;
	} else if (strcmp(a, "--key") == 0) {
		t->key = v;
	} else if (strcmp(a, "--psk") == 0) {
		t->psk_hex = v;
	} else if (strcmp(a, "--psk-id") == 0) {
		t->psk_id = v;
	} else if (strcmp(a, "--store") == 0) {
		t->store = v;
	} else if (strcmp(a, "--tag") == 0) {
		if (!cli_parse_int(v, 0, CLI_TAG_FILES - 1, &n) || t->ntags == 8) {
			cli_err("--tag: a security tag 0..%d, at most 8 of them",
				CLI_TAG_FILES - 1);
			return -1;
		}
		t->tags[t->ntags++] = (sec_tag_t)n;
	} else if (strcmp(a, "--host") == 0 && !server) {
		t->host = v;
	} else if (strcmp(a, "--verify") == 0) {
		t->verify = strcmp(v, "none") == 0       ? TLS_PEER_VERIFY_NONE
			    : strcmp(v, "optional") == 0 ? TLS_PEER_VERIFY_OPTIONAL
			    : strcmp(v, "required") == 0 ? TLS_PEER_VERIFY_REQUIRED
							 : -2;
		if (t->verify == -2) {
			cli_err("--verify: none, optional or required, not \"%s\"", v);
			return -1;
		}
	} else if (strcmp(a, "--alpn") == 0) {
		if (!parse_alpn(t, v)) {
			return -1;
		}
	} else if (strcmp(a, "--ciphers") == 0) {
		if (!parse_suites(t, v)) {
			return -1;
		}
	} else if (strcmp(a, "--bind") == 0 && server) {
		t->bind = v;
	} else if (strcmp(a, "--max") == 0 && server) {
		if (!cli_parse_int(v, 0, 1000000000, &t->max_conn)) {
			cli_err("--max: a number of connections");
			return -1;
		}
	} else if (strcmp(a, "--wait") == 0 && !server) {
		if (!cli_parse_int(v, 0, 3600000, &t->wait_ms)) {
			cli_err("--wait: milliseconds");
			return -1;
		}
	} else {
		cli_err("%s is not an option of secsock %s", a, server ? "server" : "client");
		return -1;
	}
	return 1;
}

static int add_file(sec_tag_t tag, enum tls_credential_type type, const char *path,
		    const char *what)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = cli_read_file(path, &buf, &len);

	if (rc < 0) {
		cli_err("%s %s: %s", what, path, strerror(-rc));
		return EXIT_USAGE;
	}
	if (len == 0) {
		cli_err("%s %s: the file is empty", what, path);
		free(buf);
		return EXIT_USAGE;
	}
	if (type != TLS_CREDENTIAL_PRIVATE_KEY) {
		char subject[256];
		time_t exp;
		int count;

		if (mc_cert_info(buf, len, subject, sizeof(subject), &exp, &count) != 0) {
			cli_err("%s %s: not a certificate (PEM or DER)", what, path);
			cli_wipe(buf, len);
			free(buf);
			return EXIT_USAGE;
		}
	} else {
		char why[160];

		if (mc_key_check(buf, len, why, sizeof(why)) != 0) {
			cli_err("%s %s: %s", what, path, why);
			cli_wipe(buf, len);
			free(buf);
			return EXIT_USAGE;
		}
	}
	rc = tls_credential_add(tag, type, buf, len);
	cli_wipe(buf, len);
	free(buf);
	if (rc < 0) {
		cli_err("%s %s: cannot add it: %s", what, path, strerror(-rc));
		return EXIT_FAIL;
	}
	return 0;
}

int cli_tls_load(struct cli_tls *t, bool server)
{
	int rc;

	if (t->tls12 + t->tls13 + t->dtls > 1) {
		cli_err("choose one of --tls1.2, --tls1.3 and --dtls");
		return EXIT_USAGE;
	}
	if (t->cid && !t->dtls) {
		cli_err("--cid needs --dtls (Connection IDs are a DTLS 1.2 extension)");
		return EXIT_USAGE;
	}
	if ((t->cert == NULL) != (t->key == NULL)) {
		cli_err("--cert and --key go together");
		return EXIT_USAGE;
	}
	if ((t->psk_hex == NULL) != (t->psk_id == NULL)) {
		cli_err("--psk and --psk-id go together");
		return EXIT_USAGE;
	}
	if (server && t->cert == NULL && t->psk_hex == NULL && t->ntags == 0) {
		cli_err("a server needs --cert and --key, --psk and --psk-id, or --tag N");
		return EXIT_USAGE;
	}
	/* the persistent store only for --tag, read-only; else memory only (SECSOCK_CRED_DIR
	 * is not read) */
	if (t->ntags > 0) {
		rc = cli_store_open(cli_store_dir(t->store), true);
		if (rc != 0) {
			return rc;
		}
	} else {
		(void)secsock_cred_store_dir(NULL, 0, NULL, NULL);
	}
	if (t->ca != NULL &&
	    (rc = add_file(TAG_CA, TLS_CREDENTIAL_CA_CERTIFICATE, t->ca, "--ca")) != 0) {
		return rc;
	}
	if (t->cert != NULL &&
	    ((rc = add_file(TAG_OWN, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, t->cert, "--cert")) != 0 ||
	     (rc = add_file(TAG_OWN, TLS_CREDENTIAL_PRIVATE_KEY, t->key, "--key")) != 0)) {
		return rc;
	}
	if (t->psk_hex != NULL) {
		unsigned char psk[64];
		size_t len = 0;

		if (!cli_hex_decode(t->psk_hex, psk, sizeof(psk), &len)) {
			cli_err("--psk: an even number of hexadecimal digits, at most 64 bytes");
			return EXIT_USAGE;
		}
		rc = tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, len);
		cli_wipe(psk, sizeof(psk));
		if (rc == 0) {
			rc = tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, t->psk_id,
						strlen(t->psk_id));
		}
		if (rc < 0) {
			cli_err("--psk: cannot add it: %s", strerror(-rc));
			return EXIT_FAIL;
		}
	}
	for (int i = 0; i < t->ntags; i++) {
		size_t len = 0;
		bool any = false;

		for (int ty = TLS_CREDENTIAL_CA_CERTIFICATE; ty <= TLS_CREDENTIAL_PSK_ID; ty++) {
			len = 0;
			any |= tls_credential_get(t->tags[i], (enum tls_credential_type)ty, NULL,
						  &len) == -EFBIG;
		}
		if (!any) {
			cli_err("--tag %d: the credential store %s holds nothing under this tag",
				t->tags[i], cli_store_dir(t->store));
			return EXIT_USAGE;
		}
	}
	if (!server && t->verify != TLS_PEER_VERIFY_NONE && t->ca == NULL && t->psk_hex == NULL &&
	    t->ntags == 0) {
		cli_err("nothing to verify the server with: give --ca FILE (or --tag N, or --psk), "
			"or --verify none");
		return EXIT_USAGE;
	}
	return 0;
}

/* The default suites without TLS 1.3's: how --tls1.2 keeps a socket to exactly 1.2. */
static int tls12_suites(int fd, int *out, int max)
{
	int all[64], n = 0;
	socklen_t len = sizeof(all);

	if (zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, all, &len) < 0) {
		return -1;
	}
	for (size_t i = 0; i < len / sizeof(int) && n < max; i++) {
		if ((all[i] & 0xFF00) != 0x1300) {
			out[n++] = all[i];
		}
	}
	return n;
}

int cli_tls_socket(const struct cli_tls *t, int family, bool server)
{
	int proto = t->dtls ? IPPROTO_DTLS_1_2 : t->tls13 ? IPPROTO_TLS_1_3 : IPPROTO_TLS_1_2;
	sec_tag_t tags[12];
	int fd, ntags = 0, suites[64], nsuites = t->nsuites, v;

	fd = zsock_socket(family, t->dtls ? SOCK_DGRAM : SOCK_STREAM, proto);
	if (fd < 0) {
		cli_err("socket: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < t->ntags; i++) {
		tags[ntags++] = t->tags[i];
	}
	if (t->ca != NULL) {
		tags[ntags++] = TAG_CA;
	}
	if (t->cert != NULL) {
		tags[ntags++] = TAG_OWN;
	}
	if (t->psk_hex != NULL) {
		tags[ntags++] = TAG_PSK;
	}
	if (ntags > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags,
					  (socklen_t)(sizeof(sec_tag_t) * (size_t)ntags)) < 0) {
		cli_err("the credentials cannot be used together: %s (a certificate needs its key "
			"under the same tag, a PSK its identity)",
			strerror(errno));
		goto fail;
	}
	memcpy(suites, t->suites, sizeof(int) * (size_t)t->nsuites);
	if (t->tls12 && nsuites == 0) {
		nsuites = tls12_suites(fd, suites, 64);
	}
	if (nsuites > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites,
					    (socklen_t)(sizeof(int) * (size_t)nsuites)) < 0) {
		cli_err("--ciphers: %s (a suite this build does not offer?)", strerror(errno));
		goto fail;
	}
	if (t->verify >= 0 &&
	    zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &t->verify, sizeof(t->verify)) < 0) {
		cli_err("--verify: %s", strerror(errno));
		goto fail;
	}
	if (t->nalpn > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_ALPN_LIST, t->alpn,
					     (socklen_t)(sizeof(char *) * (size_t)t->nalpn)) < 0) {
		cli_err("--alpn: %s", strerror(errno));
		goto fail;
	}
	if (!server && t->host != NULL &&
	    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, t->host, strlen(t->host) + 1) < 0) {
		cli_err("--host: %s", strerror(errno));
		goto fail;
	}
	if (t->dtls) {
		v = server ? TLS_DTLS_ROLE_SERVER : TLS_DTLS_ROLE_CLIENT;
		if (zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &v, sizeof(v)) < 0) {
			cli_err("TLS_DTLS_ROLE: %s", strerror(errno));
			goto fail;
		}
		v = t->cid ? TLS_DTLS_CID_ENABLED : TLS_DTLS_CID_DISABLED;
		if (t->cid && zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_CID, &v, sizeof(v)) < 0) {
			cli_err("--cid: %s", strerror(errno));
			goto fail;
		}
	}
	if (t->resume || server) {
		v = TLS_SESSION_CACHE_ENABLED;
		(void)zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &v, sizeof(v));
	}
	return fd;
fail:
	zsock_close(fd);
	return -1;
}

static int get_int(int fd, int opt, int dflt)
{
	int v = dflt;
	socklen_t len = sizeof(v);

	return zsock_getsockopt(fd, SOL_TLS, opt, &v, &len) == 0 ? v : dflt;
}

void cli_tls_describe(int fd, bool dtls, bool server, bool psk_only, char *out, size_t size)
{
	char name[320], alpn[256] = "", vtext[256];
	int suite = get_int(fd, TLS_CIPHERSUITE_USED, 0);
	int version = get_int(fd, SECSOCK_TLS_VERSION_USED, 0);
	int resumed = get_int(fd, SECSOCK_TLS_SESSION_RESUMED, -1);
	uint32_t flags = UINT32_MAX;
	socklen_t len = sizeof(alpn);
	const char *verify;

	if (zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_ALPN_USED, alpn, &len) < 0) {
		alpn[0] = '\0';
	}
	len = sizeof(flags);
	(void)zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len);
	if (psk_only || flags == UINT32_MAX ||
	    strstr(mc_suite_name(suite, name, sizeof(name)) ? name : "", "PSK") != NULL) {
		verify = server ? "no client certificate (PSK)" : "no certificate (PSK)";
	} else if (flags == 0) {
		verify = server ? "client certificate verified" : "server certificate verified";
	} else if (mc_verify_skipped(flags)) {
		verify = server ? "no client certificate asked for"
				: "server certificate not checked";
	} else {
		mc_verify_text(flags, vtext, sizeof(vtext));
		snprintf(name, sizeof(name), "%s NOT verified: %s",
			 server ? "client certificate" : "server certificate", vtext);
		verify = name;
	}
	/* name[] may hold the verify text: print the suite from a second buffer */
	{
		char sname[128];
		char cid[64] = "";

		if (dtls) {
			static const char *const st[] = {"none", "downlink", "uplink",
							 "bidirectional"};
			int c = get_int(fd, TLS_DTLS_CID_STATUS, 0);

			snprintf(cid, sizeof(cid), ", Connection ID %s", st[c & 3]);
		}
		snprintf(out, size, "%s, %s, ALPN %s, %s, %s%s",
			 version == 0x0304   ? "TLS 1.3"
			 : version == 0x0303 ? "TLS 1.2"
			 : version == 0xFEFD ? "DTLS 1.2"
					     : "?",
			 mc_suite_name(suite, sname, sizeof(sname)) ? sname : "unknown suite",
			 alpn[0] != '\0' ? alpn : "none",
			 resumed == 1 ? "resumed session" : "new session", verify, cid);
	}
}

void cli_tls_failure(int fd, int err, char *out, size_t size, bool *verify_failed)
{
	uint32_t flags = 0;
	socklen_t len = sizeof(flags);
	const char *why = cli_last_failure();
	char vtext[256];

	*verify_failed = false;
	if (fd >= 0 && zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len) == 0 &&
	    flags != 0 && flags != UINT32_MAX && !mc_verify_skipped(flags)) {
		mc_verify_text(flags, vtext, sizeof(vtext));
		snprintf(out, size, "certificate verify failed: %s", vtext);
		*verify_failed = true;
		return;
	}
	switch (err) {
	case ECONNREFUSED:
		snprintf(out, size, "connection refused (nothing listens there)");
		return;
	case ETIMEDOUT:
		snprintf(out, size, "timed out (no answer)");
		return;
	case EHOSTUNREACH:
	case ENETUNREACH:
		snprintf(out, size, "%s", strerror(err));
		return;
	default:
		break;
	}
	if (why[0] != '\0') {
		snprintf(out, size, "handshake failed: %s", why);
	} else {
		snprintf(out, size, "%s", strerror(err));
	}
}
