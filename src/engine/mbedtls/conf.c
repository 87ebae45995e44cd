/*
 * struct zt_eng_conf: one mbedtls_ssl_config with the parsed credentials of
 * a socket's security tags, built from the socket layer's backend-neutral
 * struct zt_eng_cfg and the credentials it hands over. Built when a handshake
 * is about to start (docs/zephyr-behaviour.md §3.3), immutable afterwards, shared
 * by reference (a listener and its accepted sockets; clients with equal
 * options).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/dhm.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "engine/mbedtls/cred_parse.h"
#include "engine/mbedtls/mbed.h"

/* What one tag held. */
struct tag_load {
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

/* Parse or copy one credential; credentials of a tag come in type order. */
static int load_one(struct zt_eng_conf *c, struct tag_load *t, const struct zt_eng_cred *cr)
{
	switch (cr->type) {
	case TLS_CREDENTIAL_CA_CERTIFICATE:
		c->has_ca = true;
		return zt_mbed_parse_certs(&c->ca, cr->buf, cr->len, false);
	case TLS_CREDENTIAL_PUBLIC_CERTIFICATE:
		/* the certificate before its key */
		if (c->own_count >= c->own_cap) {
			return -EINVAL;
		}
		mbedtls_x509_crt_init(&c->own[c->own_count].crt);
		mbedtls_pk_init(&c->own[c->own_count].key);
		c->own_count++;
		t->cert = true;
		return zt_mbed_parse_certs(&c->own[c->own_count - 1].crt, cr->buf, cr->len, false);
	case TLS_CREDENTIAL_PRIVATE_KEY:
		if (!t->cert) {
			return -EINVAL; /* a key needs its certificate in the same tag */
		}
		t->key = true;
		return zt_mbed_parse_key(&c->own[c->own_count - 1].key, cr->buf, cr->len);
	case TLS_CREDENTIAL_PSK:
		t->psk = true;
		/* Mbed TLS takes one PSK per config: the first tag's wins */
		return c->psk ? 0 : dup_secret(&c->psk, &c->psk_len, cr->buf, cr->len);
	case TLS_CREDENTIAL_PSK_ID:
		t->psk_id = true;
		return c->psk_id ? 0 : dup_secret(&c->psk_id, &c->psk_id_len, cr->buf, cr->len);
	default:
		return -ENOTSUP;
	}
}

/* Every credential, tag by tag; pairs (certificate + key, PSK + identity) share a tag. */
static int load_creds(struct zt_eng_conf *c, const struct zt_eng_cred *creds, int n)
{
	int tags = 0;

	for (int i = 0; i < n; i++) {
		tags = creds[i].tag_index + 1 > tags ? creds[i].tag_index + 1 : tags;
	}
	/* sized to the tags used, not a maximum: a shared config keeps this */
	if (tags > 0) {
		c->own = calloc((size_t)tags, sizeof(*c->own));
		if (c->own == NULL) {
			return -ENOMEM;
		}
		c->own_cap = tags;
	}
	for (int i = 0; i < n;) {
		struct tag_load t = {false, false, false, false};
		int tag = creds[i].tag_index;

		for (; i < n && creds[i].tag_index == tag; i++) {
			int rc = load_one(c, &t, &creds[i]);

			if (rc < 0) {
				return rc;
			}
		}
		if (t.cert != t.key || t.psk != t.psk_id) {
			return -EINVAL; /* Zephyr's tls_check_credentials(): pairs share a tag */
		}
	}
	return 0;
}

static void apply_versions(struct zt_eng_conf *c, const struct zt_eng_cfg *cfg)
{
	mbedtls_ssl_protocol_version min = MBEDTLS_SSL_VERSION_TLS1_2;
	mbedtls_ssl_protocol_version max = MBEDTLS_SSL_VERSION_TLS1_3;

	if (c->dgram) {
		max = MBEDTLS_SSL_VERSION_TLS1_2; /* Mbed TLS 3.6 has no DTLS 1.3 */
	} else if (cfg->tls13_only) {
		min = MBEDTLS_SSL_VERSION_TLS1_3; /* IPPROTO_TLS_1_3: no downgrade */
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

static int apply_suites(struct zt_eng_conf *c, const struct zt_eng_cfg *cfg)
{
	bool has12 = false, has13 = false;

	if (cfg->nsuites == 0) {
		apply_default_suites(c);
		return 0;
	}
	c->suites = calloc((size_t)cfg->nsuites + 1, sizeof(int));
	if (c->suites == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i < cfg->nsuites; i++) {
		const mbedtls_ssl_ciphersuite_t *cs =
			mbedtls_ssl_ciphersuite_from_id(cfg->suites[i]);

		if (cs == NULL) {
			return -EINVAL;
		}
		c->suites[i] = cfg->suites[i];
		if (cs->MBEDTLS_PRIVATE(min_tls_version) == MBEDTLS_SSL_VERSION_TLS1_3) {
			has13 = true;
		} else {
			has12 = true;
		}
	}
	mbedtls_ssl_conf_ciphersuites(&c->ssl, c->suites);
	/* Offer only the versions the list can serve. */
	if (!has13) {
		mbedtls_ssl_conf_max_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_2);
	} else if (!has12 && !c->dgram) {
		mbedtls_ssl_conf_min_tls_version(&c->ssl, MBEDTLS_SSL_VERSION_TLS1_3);
	}
	return 0;
}

static int apply_credentials(struct zt_eng_conf *c, const struct zt_eng_cred *creds, int n)
{
	int rc = load_creds(c, creds, n);

	if (rc < 0) {
		return rc;
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
static void conf_fingerprint(struct zt_eng_conf *c, const struct zt_eng_cfg *cfg)
{
	mbedtls_sha256_context h;
	const int *suites = c->ssl.MBEDTLS_PRIVATE(ciphersuite_list);
	int mode = cfg->verify >= 0 ? cfg->verify
		   : c->server      ? MBEDTLS_SSL_VERIFY_NONE
				    : MBEDTLS_SSL_VERIFY_REQUIRED;
	unsigned char psk_hash[32];

	mbedtls_sha256_init(&h);
	(void)mbedtls_sha256_starts(&h, 0);
	fp_blob(&h, "secsock session context 1", 25);
	fp_int(&h, c->server);
	fp_int(&h, c->dgram);
	fp_int(&h, cfg->tls13_only);
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
	fp_blob(&h, &cfg->verify_cb, sizeof(cfg->verify_cb));
	fp_blob(&h, &cfg->verify_ctx, sizeof(cfg->verify_ctx));
	(void)mbedtls_sha256_finish(&h, c->sec_fp);
	mbedtls_sha256_free(&h);
}

static int apply_dtls(struct zt_eng_conf *c, const struct zt_eng_cfg *cfg)
{
	mbedtls_ssl_conf_handshake_timeout(&c->ssl, cfg->dtls_timeout_min_ms,
					   cfg->dtls_timeout_max_ms);
	/*
	 * Zephyr's CONFIG_NET_SOCKETS_DTLS_MAX_FRAGMENT_LENGTH (1024): a client
	 * asks for it (RFC 6066), both roles emit no larger records, so that a
	 * datagram stays under a 1280-byte path MTU.
	 */
	if (mbedtls_ssl_conf_max_frag_len(&c->ssl, MBEDTLS_SSL_MAX_FRAG_LEN_1024) != 0) {
		return -EINVAL;
	}
	if (cfg->cid != TLS_DTLS_CID_DISABLED) {
		size_t len = cfg->cid == TLS_DTLS_CID_ENABLED ? cfg->cid_len : 0;

		if (mbedtls_ssl_conf_cid(&c->ssl, len, MBEDTLS_SSL_UNEXPECTED_CID_IGNORE) != 0) {
			return -EINVAL;
		}
		c->cid_on = true;
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

int zt_mbed_conf_new(struct zt_eng_conf **out, const struct zt_eng_cfg *cfg,
		     const struct zt_eng_cred *creds, int ncreds)
{
	bool server = cfg->server;
	struct zt_eng_conf *c;
	int alpn_n = 0;
	int rc;

	rc = zt_mbed_global_init();
	if (rc < 0) {
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	atomic_init(&c->refs, 1);
	c->server = server;
	c->dgram = cfg->dgram;
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
	zt_mbed_debug_conf(&c->ssl);
	apply_versions(c, cfg);
	if (cfg->verify >= 0) {
		mbedtls_ssl_conf_authmode(&c->ssl, cfg->verify);
	}
	ZT_TRY(apply_credentials(c, creds, ncreds));
	ZT_TRY(apply_suites(c, cfg));
	while (cfg->alpn != NULL && cfg->alpn[alpn_n] != NULL && alpn_n < ZT_ENG_MAX_ALPN) {
		c->alpn[alpn_n] = cfg->alpn[alpn_n];
		alpn_n++;
	}
	if (alpn_n > 0) {
		c->alpn[alpn_n] = NULL;
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
	conf_fingerprint(c, cfg);
	if (cfg->session_cache) {
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
		ZT_TRY(apply_dtls(c, cfg));
	}
	c->user_vrfy = (int (*)(void *, mbedtls_x509_crt *, int, uint32_t *))cfg->verify_cb;
	c->user_vrfy_ctx = cfg->verify_ctx;
	/* the datagram twin a hibernating stream is saved and loaded under (hibernate.c) */
	c->ser = c->ssl;
	mbedtls_ssl_conf_transport(&c->ser, MBEDTLS_SSL_TRANSPORT_DATAGRAM);
	*out = c;
	return 0;
out:
	zt_mbed_conf_put(c);
	return rc;
}

void zt_mbed_conf_get(struct zt_eng_conf *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void zt_mbed_conf_put(struct zt_eng_conf *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1) {
		return;
	}
	mbedtls_ssl_config_free(&c->ssl);
	zt_wipe(&c->ser, sizeof(c->ser)); /* a shallow copy: its pointers went with c->ssl */
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
	free(c->suites);
	zt_mbed_tickets_put(c->tickets);
	zt_wipe(c->sec_fp, sizeof(c->sec_fp));
	free(c);
}
