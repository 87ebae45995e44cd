/*
 * struct zt_eng_conf: one mbedtls_ssl_config with the parsed credentials of
 * a socket's security tags. Built when a handshake is about to start
 * (reference §3.11), immutable afterwards, shared by reference between a
 * listener and the sockets it accepts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/dhm.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "cred/store.h"
#include "engine/mbedtls/cred_parse.h"
#include "engine/mbedtls/mbed.h"

/* What one tag held; everything is parsed or copied during the walk. */
struct tag_load {
	struct zt_eng_conf *c;
	bool cert, key, psk, psk_id;
};

static int dup_secret(unsigned char **dst, size_t *dst_len, const void *src, size_t len)
{
	*dst = malloc(len);
	if (*dst == NULL) {
		return -ENOMEM;
	}
	memcpy(*dst, src, len);
	*dst_len = len;
	return 0;
}

/* Runs under the credential store's read lock (zt_cred_foreach). */
static int collect(void *arg, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		   size_t len)
{
	struct tag_load *t = arg;
	struct zt_eng_conf *c = t->c;

	(void)tag;
	switch (type) {
	case TLS_CREDENTIAL_CA_CERTIFICATE:
		c->has_ca = true;
		return zt_mbed_parse_certs(&c->ca, buf, len, false);
	case TLS_CREDENTIAL_PUBLIC_CERTIFICATE:
		/* types come in ascending order: the certificate before its key */
		if (c->own_count >= c->own_cap) {
			return -EINVAL;
		}
		mbedtls_x509_crt_init(&c->own[c->own_count].crt);
		mbedtls_pk_init(&c->own[c->own_count].key);
		c->own_count++;
		t->cert = true;
		return zt_mbed_parse_certs(&c->own[c->own_count - 1].crt, buf, len, false);
	case TLS_CREDENTIAL_PRIVATE_KEY:
		if (!t->cert) {
			return -EINVAL; /* a key needs its certificate in the same tag */
		}
		t->key = true;
		return zt_mbed_parse_key(&c->own[c->own_count - 1].key, buf, len);
	case TLS_CREDENTIAL_PSK:
		t->psk = true;
		/* Mbed TLS takes one PSK per config: the first tag's wins */
		return c->psk ? 0 : dup_secret(&c->psk, &c->psk_len, buf, len);
	case TLS_CREDENTIAL_PSK_ID:
		t->psk_id = true;
		return c->psk_id ? 0 : dup_secret(&c->psk_id, &c->psk_id_len, buf, len);
	default:
		return -ENOTSUP;
	}
}

static int load_tag(struct zt_eng_conf *c, sec_tag_t tag)
{
	struct tag_load t = {.c = c};
	int n = zt_cred_foreach(tag, collect, &t);

	if (n < 0) {
		return n;
	}
	if (n == 0) {
		return -ENOENT;
	}
	if (t.cert != t.key || t.psk != t.psk_id) {
		return -EINVAL; /* reference §1.3: pairs must share a tag */
	}
	return 0;
}

static void apply_versions(struct zt_eng_conf *c, int proto)
{
	mbedtls_ssl_protocol_version min = MBEDTLS_SSL_VERSION_TLS1_2;
	mbedtls_ssl_protocol_version max = MBEDTLS_SSL_VERSION_TLS1_3;

	if (c->dgram) {
		max = MBEDTLS_SSL_VERSION_TLS1_2; /* Mbed TLS 3.6 has no DTLS 1.3 */
	} else if (proto == IPPROTO_TLS_1_3) {
		min = MBEDTLS_SSL_VERSION_TLS1_3; /* reference §1.1: no downgrade */
	}
	mbedtls_ssl_conf_min_tls_version(&c->ssl, min);
	mbedtls_ssl_conf_max_tls_version(&c->ssl, max);
}

/*
 * No TLS_CIPHERSUITE_LIST: forward-secret AEAD suites for what the tags hold
 * (suites.c). A client with a PSK and no certificate offers only PSK suites,
 * whatever TLS_PEER_VERIFY says: it could verify no certificate anyway.
 */
static void apply_default_suites(struct zt_eng_conf *c)
{
	bool psk = c->psk != NULL;
	bool cert = c->server ? c->own_count > 0 || !psk : c->has_ca || c->own_count > 0 || !psk;

	mbedtls_ssl_conf_ciphersuites(&c->ssl, zt_mbed_suites_default(cert, psk));
	if (!cert) {
		mbedtls_ssl_conf_tls13_key_exchange_modes(
			&c->ssl, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ALL);
	}
}

static int apply_suites(struct zt_eng_conf *c, const struct zt_opts *o)
{
	bool has12 = false, has13 = false;

	if (o->ciphersuite_count == 0) {
		apply_default_suites(c);
		return 0;
	}
	for (int i = 0; i < o->ciphersuite_count; i++) {
		const mbedtls_ssl_ciphersuite_t *cs =
			mbedtls_ssl_ciphersuite_from_id(o->ciphersuites[i]);

		if (cs == NULL) {
			return -EINVAL;
		}
		c->suites[i] = o->ciphersuites[i];
		if (cs->MBEDTLS_PRIVATE(min_tls_version) == MBEDTLS_SSL_VERSION_TLS1_3) {
			has13 = true;
		} else {
			has12 = true;
		}
	}
	c->suites[o->ciphersuite_count] = 0;
	mbedtls_ssl_conf_ciphersuites(&c->ssl, c->suites);
	/* Offer only the versions the list can serve. */
	if (!has13) {
		mbedtls_ssl_conf_max_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_2);
	} else if (!has12 && !c->dgram) {
		mbedtls_ssl_conf_min_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_3);
	}
	return 0;
}

static int apply_credentials(struct zt_eng_conf *c, const struct zt_opts *o)
{
	int rc;

	/* sized to the tag list, not the maximum: an idle client keeps this */
	if (o->sec_tag_count > 0) {
		c->own = calloc((size_t)o->sec_tag_count, sizeof(*c->own));
		if (c->own == NULL) {
			return -ENOMEM;
		}
		c->own_cap = o->sec_tag_count;
	}

	for (int i = 0; i < o->sec_tag_count; i++) {
		rc = load_tag(c, o->sec_tags[i]);
		if (rc < 0) {
			return rc;
		}
	}
	if (c->has_ca) {
		mbedtls_ssl_conf_ca_chain(&c->ssl, &c->ca, NULL);
	}
	for (int i = 0; i < c->own_count; i++) {
		if (mbedtls_ssl_conf_own_cert(&c->ssl, &c->own[i].crt, &c->own[i].key) != 0) {
			return -ENOMEM;
		}
	}
	if (c->psk != NULL &&
	    mbedtls_ssl_conf_psk(&c->ssl, c->psk, c->psk_len, c->psk_id, c->psk_id_len) != 0) {
		return -EINVAL;
	}
	return 0;
}

static void fp_blob(mbedtls_sha256_context *h, const void *p, size_t n)
{
	uint32_t len = (uint32_t)n;

	/* length-prefixed, so that no two different inputs hash alike */
	(void)mbedtls_sha256_update(h, (const unsigned char *)&len, sizeof(len));
	(void)mbedtls_sha256_update(h, p, n);
}

static void fp_int(mbedtls_sha256_context *h, int64_t v)
{
	fp_blob(h, &v, sizeof(v));
}

static void fp_chain(mbedtls_sha256_context *h, const mbedtls_x509_crt *crt)
{
	int n = 0;

	for (; crt != NULL && crt->raw.len > 0; crt = crt->next, n++) {
		fp_blob(h, crt->raw.p, crt->raw.len);
	}
	fp_int(h, n);
}

/*
 * The security context of this config (docs/session-cache.md): role,
 * transport, versions, suites, the peer-verify mode, the trust anchors, our
 * own certificates, PSK and identity, and the verify callback. A session is
 * resumed only on a config whose fingerprint equals the one it was made on,
 * so a session never outlives the checks it passed. Computed once per config.
 */
static void conf_fingerprint(struct zt_eng_conf *c, const struct zt_opts *o, int proto)
{
	mbedtls_sha256_context h;
	const int *suites = c->ssl.MBEDTLS_PRIVATE(ciphersuite_list);
	int mode = o->peer_verify >= 0 ? o->peer_verify
		   : c->server         ? MBEDTLS_SSL_VERIFY_NONE
				       : MBEDTLS_SSL_VERIFY_REQUIRED;
	unsigned char psk_hash[32];

	mbedtls_sha256_init(&h);
	(void)mbedtls_sha256_starts(&h, 0);
	fp_blob(&h, "secsock session context 1", 25);
	fp_int(&h, c->server);
	fp_int(&h, c->dgram);
	fp_int(&h, proto);
	fp_int(&h, c->ssl.MBEDTLS_PRIVATE(min_tls_version));
	fp_int(&h, c->ssl.MBEDTLS_PRIVATE(max_tls_version));
	fp_int(&h, mode);
	for (; suites != NULL && *suites != 0; suites++) {
		fp_int(&h, *suites);
	}
	fp_int(&h, 0);
	fp_chain(&h, c->has_ca ? &c->ca : NULL);
	for (int i = 0; i < c->own_count; i++) {
		fp_chain(&h, &c->own[i].crt);
	}
	fp_int(&h, c->own_count);
	if (c->psk != NULL) {
		/* a digest, so the PSK itself is never mixed into a long-lived value */
		(void)mbedtls_sha256(c->psk, c->psk_len, psk_hash, 0);
		fp_blob(&h, psk_hash, sizeof(psk_hash));
		fp_blob(&h, c->psk_id, c->psk_id_len);
		zt_wipe(psk_hash, sizeof(psk_hash));
	} else {
		fp_int(&h, 0);
	}
	fp_blob(&h, &o->verify_cb.cb, sizeof(o->verify_cb.cb));
	fp_blob(&h, &o->verify_cb.ctx, sizeof(o->verify_cb.ctx));
	(void)mbedtls_sha256_finish(&h, c->sec_fp);
	mbedtls_sha256_free(&h);
}

static int apply_dtls(struct zt_eng_conf *c, const struct zt_opts *o)
{
	mbedtls_ssl_conf_handshake_timeout(&c->ssl, o->dtls_timeout_min_ms, o->dtls_timeout_max_ms);
	/*
	 * Zephyr's CONFIG_NET_SOCKETS_DTLS_MAX_FRAGMENT_LENGTH (1024): a client
	 * asks for it (RFC 6066), both roles emit no larger records, so that a
	 * datagram stays under a 1280-byte path MTU.
	 */
	if (mbedtls_ssl_conf_max_frag_len(&c->ssl, MBEDTLS_SSL_MAX_FRAG_LEN_1024) != 0) {
		return -EINVAL;
	}
	if (o->dtls_cid != TLS_DTLS_CID_DISABLED) {
		size_t len = o->dtls_cid == TLS_DTLS_CID_ENABLED ? o->cid_len : 0;

		if (mbedtls_ssl_conf_cid(&c->ssl, len, MBEDTLS_SSL_UNEXPECTED_CID_IGNORE) != 0) {
			return -EINVAL;
		}
	}
	if (c->server) {
		if (mbedtls_ssl_cookie_setup(&c->cookie, zt_mbed_rng, NULL) != 0) {
			return -ENOMEM;
		}
		c->has_cookie = true;
		mbedtls_ssl_conf_dtls_cookies(&c->ssl, mbedtls_ssl_cookie_write,
					      mbedtls_ssl_cookie_check, &c->cookie);
	}
	return 0;
}

int zt_eng_conf_new(struct zt_eng_conf **out, const struct zt_opts *o, int proto, bool server)
{
	struct zt_eng_conf *c;
	int rc;

	rc = zt_eng_global_init();
	if (rc < 0) {
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	atomic_init(&c->refs, 1);
	c->server = server;
	c->dgram = proto == IPPROTO_DTLS_1_0 || proto == IPPROTO_DTLS_1_2;
	mbedtls_ssl_config_init(&c->ssl);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_ssl_cookie_init(&c->cookie);

	if (mbedtls_ssl_config_defaults(
		    &c->ssl, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
		    c->dgram ? MBEDTLS_SSL_TRANSPORT_DATAGRAM : MBEDTLS_SSL_TRANSPORT_STREAM,
		    MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	mbedtls_ssl_conf_rng(&c->ssl, zt_mbed_rng, NULL);
	apply_versions(c, proto);
	if (o->peer_verify >= 0) {
		mbedtls_ssl_conf_authmode(&c->ssl, o->peer_verify);
	}
	ZT_TRY(apply_credentials(c, o));
	ZT_TRY(apply_suites(c, o));
	if (o->alpn_count > 0) {
		memcpy(c->alpn, o->alpn, sizeof(c->alpn[0]) * (size_t)o->alpn_count);
		c->alpn[o->alpn_count] = NULL;
		if (mbedtls_ssl_conf_alpn_protocols(&c->ssl, c->alpn) != 0) {
			rc = -EINVAL;
			goto out;
		}
	}
	/* finite-field DHE, where an explicit suite list asks for it: 2048 bits or more */
	if (server) {
		static const unsigned char ffdhe2048_p[] = MBEDTLS_DHM_RFC7919_FFDHE2048_P_BIN;
		static const unsigned char ffdhe2048_g[] = MBEDTLS_DHM_RFC7919_FFDHE2048_G_BIN;

		if (mbedtls_ssl_conf_dh_param_bin(&c->ssl, ffdhe2048_p, sizeof(ffdhe2048_p),
						  ffdhe2048_g, sizeof(ffdhe2048_g)) != 0) {
			rc = -ENOMEM;
			goto out;
		}
	} else {
		mbedtls_ssl_conf_dhm_min_bitlen(&c->ssl, 2048);
	}
	conf_fingerprint(c, o, proto);
	if (o->session_cache == TLS_SESSION_CACHE_ENABLED) {
		if (server) {
			zt_mbed_conf_server_cache(c);
			ZT_TRY(zt_mbed_conf_tickets(c));
		} else {
			/* TLS 1.3 tickets come after the handshake: have read() say so */
			mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
				&c->ssl, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
		}
	}
	if (c->dgram) {
		ZT_TRY(apply_dtls(c, o));
	}
	c->user_vrfy = (int (*)(void *, mbedtls_x509_crt *, int, uint32_t *))o->verify_cb.cb;
	c->user_vrfy_ctx = o->verify_cb.ctx;
	*out = c;
	return 0;
out:
	zt_eng_conf_put(c);
	return rc;
}

void zt_eng_conf_get(struct zt_eng_conf *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void zt_eng_conf_put(struct zt_eng_conf *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1) {
		return;
	}
	mbedtls_ssl_config_free(&c->ssl);
	mbedtls_x509_crt_free(&c->ca);
	for (int i = 0; i < c->own_count; i++) {
		mbedtls_x509_crt_free(&c->own[i].crt);
		mbedtls_pk_free(&c->own[i].key);
	}
	free(c->own);
	if (c->psk != NULL) {
		zt_wipe(c->psk, c->psk_len);
		free(c->psk);
	}
	if (c->psk_id != NULL) {
		zt_wipe(c->psk_id, c->psk_id_len);
		free(c->psk_id);
	}
	mbedtls_ssl_cookie_free(&c->cookie);
	zt_mbed_tickets_put(c->tickets);
	zt_wipe(c->sec_fp, sizeof(c->sec_fp));
	free(c);
}
