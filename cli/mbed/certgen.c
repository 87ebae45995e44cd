/*
 * Throw-away credentials for `secsock demo` (mbed_cli.h), made in the
 * process, so the demo needs no openssl: an ECDSA P-256 CA, a server and a
 * client certificate it signs, valid from an hour ago for one day, and a
 * 32-byte PSK. Everything secret is wiped by mc_demo_free().
 */
#include "mbed/mbed_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#define PEM_MAX 4096

static int rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return psa_generate_random(out, len) == PSA_SUCCESS ? 0 : -1;
}

static int new_key(mbedtls_pk_context *pk)
{
	mbedtls_pk_init(pk);
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) {
		return -1;
	}
	return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), rng, NULL) == 0
		       ? 0
		       : -1;
}

/* PEM in a heap copy, its NUL counted (as Zephyr wants PEM credentials) */
static int dup_pem(const unsigned char *pem, char **out, size_t *len)
{
	size_t n = strlen((const char *)pem) + 1;

	*out = malloc(n);
	if (*out == NULL) {
		return -1;
	}
	memcpy(*out, pem, n);
	*len = n;
	return 0;
}

static void validity(char from[16], char to[16])
{
	time_t now = time(NULL), a = now - 3600, b = now + 86400;
	struct tm tm;

	strftime(from, 16, "%Y%m%d%H%M%S", gmtime_r(&a, &tm));
	strftime(to, 16, "%Y%m%d%H%M%S", gmtime_r(&b, &tm));
}

/* A certificate for @p subject_key, signed by @p issuer_key; PEM into @p out. */
static int make_cert(mbedtls_pk_context *subject_key, const char *subject,
		     mbedtls_pk_context *issuer_key, const char *issuer, bool ca, bool server,
		     char **out, size_t *len)
{
	static const unsigned char ip[4] = {127, 0, 0, 1};
	mbedtls_x509_san_list dns = {0}, addr = {0};
	mbedtls_x509write_cert crt;
	unsigned char serial[16], *pem;
	char from[16], to[16];
	int rc = -1;

	pem = calloc(1, PEM_MAX);
	if (pem == NULL) {
		return -1;
	}
	mbedtls_x509write_crt_init(&crt);
	validity(from, to);
	if (rng(NULL, serial, sizeof(serial)) != 0) {
		goto out;
	}
	serial[0] &= 0x7F; /* a positive serial number */
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&crt, issuer_key);
	if (mbedtls_x509write_crt_set_subject_name(&crt, subject) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&crt, issuer) != 0 ||
	    mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial)) != 0 ||
	    mbedtls_x509write_crt_set_validity(&crt, from, to) != 0 ||
	    mbedtls_x509write_crt_set_basic_constraints(&crt, ca ? 1 : 0, ca ? 0 : -1) != 0 ||
	    mbedtls_x509write_crt_set_subject_key_identifier(&crt) != 0 ||
	    mbedtls_x509write_crt_set_authority_key_identifier(&crt) != 0) {
		goto out;
	}
	if (mbedtls_x509write_crt_set_key_usage(
		    &crt, ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_DIGITAL_SIGNATURE
			     : MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0) {
		goto out;
	}
	if (server) {
		dns.node.type = MBEDTLS_X509_SAN_DNS_NAME;
		dns.node.san.unstructured_name.p = (unsigned char *)"localhost";
		dns.node.san.unstructured_name.len = 9;
		dns.next = &addr;
		addr.node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
		addr.node.san.unstructured_name.p = (unsigned char *)ip;
		addr.node.san.unstructured_name.len = sizeof(ip);
		if (mbedtls_x509write_crt_set_subject_alternative_name(&crt, &dns) != 0) {
			goto out;
		}
	}
	if (mbedtls_x509write_crt_pem(&crt, pem, PEM_MAX, rng, NULL) != 0) {
		goto out;
	}
	rc = dup_pem(pem, out, len);
out:
	mbedtls_x509write_crt_free(&crt);
	free(pem);
	return rc;
}

static int key_pem(mbedtls_pk_context *pk, char **out, size_t *len)
{
	unsigned char *pem = calloc(1, PEM_MAX);
	int rc = -1;

	if (pem != NULL && mbedtls_pk_write_key_pem(pk, pem, PEM_MAX) == 0) {
		rc = dup_pem(pem, out, len);
	}
	if (pem != NULL) {
		memset(pem, 0, PEM_MAX);
		free(pem);
	}
	return rc;
}

int mc_demo_make(struct mc_demo_creds *c, char *why, size_t size)
{
	static const char ca_dn[] = "CN=secsock demo CA";
	mbedtls_pk_context ca, srv, cli;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(why, size, "PSA crypto did not start");
		return -1;
	}
	if (new_key(&ca) != 0 || new_key(&srv) != 0 || new_key(&cli) != 0) {
		snprintf(why, size, "cannot generate P-256 keys");
		goto out;
	}
	if (make_cert(&ca, ca_dn, &ca, ca_dn, true, false, &c->ca, &c->ca_len) != 0 ||
	    make_cert(&srv, "CN=localhost", &ca, ca_dn, false, true, &c->server_cert,
		      &c->server_cert_len) != 0 ||
	    make_cert(&cli, "CN=secsock demo client", &ca, ca_dn, false, false, &c->client_cert,
		      &c->client_cert_len) != 0) {
		snprintf(why, size, "cannot write the certificates");
		goto out;
	}
	if (key_pem(&srv, &c->server_key, &c->server_key_len) != 0 ||
	    key_pem(&cli, &c->client_key, &c->client_key_len) != 0) {
		snprintf(why, size, "cannot write the keys");
		goto out;
	}
	if (rng(NULL, c->psk, sizeof(c->psk)) != 0) {
		snprintf(why, size, "no random bytes for the PSK");
		goto out;
	}
	rc = 0;
out:
	mbedtls_pk_free(&ca);
	mbedtls_pk_free(&srv);
	mbedtls_pk_free(&cli);
	if (rc != 0) {
		mc_demo_free(c);
	}
	return rc;
}

static void wipe_free(char *p, size_t n)
{
	if (p != NULL) {
		volatile char *v = p;

		for (size_t i = 0; i < n; i++) {
			v[i] = 0;
		}
		free(p);
	}
}

void mc_demo_free(struct mc_demo_creds *c)
{
	wipe_free(c->ca, c->ca_len);
	wipe_free(c->server_cert, c->server_cert_len);
	wipe_free(c->server_key, c->server_key_len);
	wipe_free(c->client_cert, c->client_cert_len);
	wipe_free(c->client_key, c->client_key_len);
	memset(c, 0, sizeof(*c));
	__asm__ __volatile__("" ::"r"(c) : "memory");
}
