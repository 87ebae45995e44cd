/*
 * bench_dtls's third server: OpenSSL 3 DTLS 1.2 (bench_dtls_openssl.c). Built
 * only when CMake finds OpenSSL's development files (BENCH_HAVE_OPENSSL).
 * No OpenSSL type crosses this interface, no Mbed TLS type either.
 */
#ifndef BENCH_DTLS_OPENSSL_H
#define BENCH_DTLS_OPENSSL_H

#include <stdatomic.h>
#include <stddef.h>

struct bdo_server;

/* A server on 127.0.0.1, an ephemeral port (*port); PSK @p psk / @p psk_id,
 * PSK-AES128-GCM-SHA256 only, cookie exchange on, listener SO_RCVBUF @p rcvbuf. */
struct bdo_server *bdo_server_new(const unsigned char *psk, size_t psk_len, const char *psk_id,
				  int rcvbuf, int *port);
/* Serves every peer in the calling thread until @p stop is set (checked every 50 ms). */
void bdo_server_run(struct bdo_server *s, atomic_bool *stop);
/* Frees the server and every peer it still holds. */
void bdo_server_free(struct bdo_server *s);
/* "OpenSSL 3.0.19 27 Jan 2026" */
const char *bdo_version(void);

#endif
