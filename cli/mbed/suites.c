/*
 * Cipher suite names for the secsock command: IANA's spelling
 * (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256) to and
 * from the ids TLS_CIPHERSUITE_LIST and TLS_CIPHERSUITE_USED carry, through
 * Mbed TLS's own table (which spells them with '-' and "TLS1-3-").
 */
#include "mbed/mbed_cli.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl.h>

const char *mc_suite_name(int id, char *buf, size_t size)
{
	const char *m = mbedtls_ssl_get_ciphersuite_name(id);
	size_t j = 0;

	if (m == NULL || strcmp(m, "unknown") == 0 || size < 8) {
		return NULL;
	}
	if (strncmp(m, "TLS1-3-", 7) == 0) {
		m += 7;
		j = (size_t)snprintf(buf, size, "TLS_");
	}
	for (; *m != '\0' && j + 1 < size; m++) {
		buf[j++] = *m == '-' ? '_' : *m;
	}
	buf[j] = '\0';
	return buf;
}

int mc_suite_id(const char *name)
{
	char m[128];
	size_t j = 0;
	int id;

	/* TLS 1.3 suites have no key exchange in their name: TLS_AES_..., TLS_CHACHA20_... */
	if (strncmp(name, "TLS_", 4) == 0 && strstr(name, "_WITH_") == NULL) {
		j = (size_t)snprintf(m, sizeof(m), "TLS1-3-");
		name += 4;
	}
	for (; *name != '\0' && j + 1 < sizeof(m); name++) {
		m[j++] = *name == '_' ? '-' : *name;
	}
	m[j] = '\0';
	id = mbedtls_ssl_get_ciphersuite_id(m);
	return id > 0 ? id : 0;
}
