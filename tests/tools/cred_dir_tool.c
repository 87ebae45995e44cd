/*
 * Helper processes for tests/unit/test_cred_dir.c (public API only):
 *
 *   cred_dir_tool env-get TAG TYPE          SECSOCK_CRED_DIR is the store: print
 *                                           the credential's length and first byte
 *   cred_dir_tool env-add TAG TYPE TEXT     tls_credential_add through SECSOCK_CRED_DIR;
 *                                           prints the return value
 *   cred_dir_tool replace-loop DIR TAG N    secsock_cred_replace() of (TAG, PSK)
 *                                           alternating N bytes of 'A' and 3N of 'B',
 *                                           forever (the test kills it with SIGKILL)
 *   cred_dir_tool add-range DIR FIRST COUNT SHARED
 *                                           tls_credential_add of tags FIRST..FIRST+COUNT-1
 *                                           (PSK_ID "id-<tag>"), then of (SHARED, PSK_ID);
 *                                           prints "added N shared RC"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secsock/secsock.h>
#include <zephyr/net/tls_credentials.h>

static int usage(void)
{
	fprintf(stderr, "cred_dir_tool: bad arguments (see the source)\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "env-get") == 0) {
		unsigned char buf[8192];
		size_t len = sizeof(buf);
		int rc = tls_credential_get(atoi(argv[2]), atoi(argv[3]), buf, &len);

		if (rc < 0) {
			printf("get %d\n", rc);
			return 1;
		}
		printf("len %zu first %c\n", len, buf[0]);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "env-add") == 0) {
		printf("add %d\n",
		       tls_credential_add(atoi(argv[2]), atoi(argv[3]), argv[4], strlen(argv[4])));
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "replace-loop") == 0) {
		size_t n = (size_t)atoi(argv[4]);
		unsigned char *a = malloc(n), *b = malloc(3 * n);
		int tag = atoi(argv[3]);

		if (a == NULL || b == NULL ||
		    secsock_cred_store_dir(argv[2], SECSOCK_CRED_DIR_CREATE, NULL, NULL) < 0) {
			return 1;
		}
		memset(a, 'A', n);
		memset(b, 'B', 3 * n);
		printf("looping\n");
		fflush(stdout);
		for (unsigned long i = 0;; i++) { /* ends by SIGKILL (the test's bound) */
			if (secsock_cred_replace(tag, TLS_CREDENTIAL_PSK, i % 2 ? b : a,
						 i % 2 ? 3 * n : n) < 0) {
				return 1;
			}
		}
	}
	if (argc == 6 && strcmp(argv[1], "add-range") == 0) {
		int first = atoi(argv[3]), count = atoi(argv[4]), added = 0, rc;
		char id[32];

		if (secsock_cred_store_dir(argv[2], SECSOCK_CRED_DIR_CREATE, NULL, NULL) < 0) {
			return 1;
		}
		for (int t = first; t < first + count; t++) {
			snprintf(id, sizeof(id), "id-%d", t);
			if (tls_credential_add(t, TLS_CREDENTIAL_PSK_ID, id, strlen(id)) == 0) {
				added++;
			}
		}
		rc = tls_credential_add(atoi(argv[5]), TLS_CREDENTIAL_PSK_ID, argv[3],
					strlen(argv[3]));
		printf("added %d shared %d\n", added, rc);
		return 0;
	}
	return usage();
}
