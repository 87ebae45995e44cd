/*
 * Shared by the examples (echo_server.c, echo_client.c, https_get.c), as
 * Zephyr's socket samples share common.h: the security tags and reading a
 * credential from a file into the store. On a device the credential would be
 * a C array compiled in; on a host it is a file named on the command line.
 */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/net/tls_credentials.h>

#define CA_CERTIFICATE_TAG     1
#define SERVER_CERTIFICATE_TAG 2
#define PSK_TAG                3

#define LOG_INF(fmt, ...) printf(fmt "\n", ##__VA_ARGS__)
#define LOG_ERR(fmt, ...) fprintf(stderr, fmt "\n", ##__VA_ARGS__)

/* tls_credential_add() of a PEM or DER file; 0 or a negative errno. */
static inline int add_credential_file(sec_tag_t tag, enum tls_credential_type type,
				      const char *path)
{
	static unsigned char buf[16384];
	FILE *f = fopen(path, "rb");
	size_t len;
	int ret;

	if (f == NULL) {
		LOG_ERR("Cannot open %s", path);
		return -1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ret = tls_credential_add(tag, type, buf, len);
	memset(buf, 0, sizeof(buf)); /* a private key must not linger */
	if (ret < 0) {
		LOG_ERR("Failed to register credential %s: %d", path, ret);
	}
	return ret;
}

#endif /* EXAMPLES_COMMON_H */
