/*
 * What the secsock command needs from Mbed TLS directly (the .c files of cli/mbed, the
 * only files of the command that include Mbed TLS headers; they link the
 * same static Mbed TLS the library was built with). No Mbed TLS type here.
 */
#ifndef SECSOCK_MBED_CLI_H
#define SECSOCK_MBED_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** SHA-256 of @p len bytes. 0 or -1. */
int mc_sha256(const void *buf, size_t len, unsigned char out[32]);

/** Subject and notAfter (UTC) of the first certificate in @p buf (PEM or DER). 0 or -1. */
int mc_cert_info(const void *buf, size_t len, char *subject, size_t size, time_t *not_after,
		 int *count);

/** Whether @p buf parses as a private key (PEM/DER, unencrypted). 0 or -1 with why. */
int mc_key_check(const void *buf, size_t len, char *why, size_t size);

/** Verification flags (TLS_CERT_VERIFY_RESULT) in words: "not trusted (unknown CA), name mismatch".
 */
void mc_verify_text(uint32_t flags, char *out, size_t size);

/** Whether the flags say only that verification was skipped (TLS_PEER_VERIFY_NONE). */
bool mc_verify_skipped(uint32_t flags);

/** IANA name of a cipher suite id ("TLS_AES_128_GCM_SHA256"), or NULL. */
const char *mc_suite_name(int id, char *buf, size_t size);

/** Id of a cipher suite named the IANA way (or as Mbed TLS names it), or 0. */
int mc_suite_id(const char *name);

/** Credentials for the demo, PEM with their NUL counted in the lengths. */
struct mc_demo_creds {
	char *ca, *server_cert, *server_key, *client_cert, *client_key;
	size_t ca_len, server_cert_len, server_key_len, client_cert_len, client_key_len;
	unsigned char psk[32];
};

/**
 * A P-256 CA (CN=secsock demo CA), a server certificate it signs (CN=localhost,
 * DNS:localhost, IP:127.0.0.1, valid one day), a client certificate (CN=secsock
 * demo client) and a random PSK. 0 or -1 with why.
 */
int mc_demo_make(struct mc_demo_creds *c, char *why, size_t size);

/** Wipe and free. */
void mc_demo_free(struct mc_demo_creds *c);

#endif /* SECSOCK_MBED_CLI_H */
