/*
 * The session-ticket key file parser (src/sock/ticket_keys.c,
 * zt_ticket_keys_parse) on fuzz bytes, checked against a second, simpler
 * model of the format (docs of secsock_ticket_keys_load in
 * include/secsock/secsock.h): the same result, the same keys; keys it
 * accepts, written back as a canonical file, parse to the same keys; and
 * the engine takes them (zt_eng_ticket_keys_set) and goes back to random
 * keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"
#include "sock/sock.h"

static unsigned char keys[ZT_TICKET_KEYS_MAX][ZT_TICKET_KEY_LEN];
static unsigned char model_keys[ZT_TICKET_KEYS_MAX][ZT_TICKET_KEY_LEN];

static void fail(const char *what, int a, int b)
{
	fprintf(stderr, "fuzz_ticket_keys: %s (%d, %d)\n", what, a, b);
	abort();
}

/* The model: one line at a time, trimmed with isspace-free rules of its own. */
static int model(const uint8_t *data, size_t size)
{
	int n = 0;
	size_t i = 0;

	while (i < size) {
		size_t j = i;
		char line[4096];
		size_t l = 0;

		while (j < size && data[j] != '\n') {
			j++;
		}
		/* keep everything but blanks at both ends */
		size_t a = i, b = j;

		while (a < b && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r')) {
			a++;
		}
		while (b > a &&
		       (data[b - 1] == ' ' || data[b - 1] == '\t' || data[b - 1] == '\r')) {
			b--;
		}
		i = j + 1;
		if (a == b || data[a] == '#') {
			continue;
		}
		if (b - a != 64) {
			return -EINVAL;
		}
		if (n == ZT_TICKET_KEYS_MAX) {
			return -E2BIG;
		}
		for (size_t k = a; k < b; k++) {
			if (!isxdigit(data[k])) {
				return -EINVAL;
			}
			line[l++] = (char)data[k];
		}
		for (int k = 0; k < ZT_TICKET_KEY_LEN; k++) {
			unsigned int v;
			char two[3] = {line[2 * k], line[2 * k + 1], 0};

			if (sscanf(two, "%x", &v) != 1) {
				return -EINVAL;
			}
			model_keys[n][k] = (unsigned char)v;
		}
		n++;
	}
	return n > 0 ? n : -EINVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[ZT_TICKET_KEYS_MAX * 66 + 1];
	size_t tl = 0;
	int n = zt_ticket_keys_parse((const char *)data, size, keys);
	int m = model(data, size);

	if (n != m) {
		fail("parser and model disagree", n, m);
	}
	if (n <= 0) {
		return 0;
	}
	if (memcmp(keys, model_keys, (size_t)n * ZT_TICKET_KEY_LEN) != 0) {
		fail("keys differ from the model's", n, 0);
	}
	/* canonical file: the same keys back */
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < ZT_TICKET_KEY_LEN; k++) {
			tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%02x", keys[i][k]);
		}
		text[tl++] = '\n';
	}
	if (zt_ticket_keys_parse(text, tl, model_keys) != n ||
	    memcmp(keys, model_keys, (size_t)n * ZT_TICKET_KEY_LEN) != 0) {
		fail("canonical file parses differently", n, 0);
	}
	if (zt_eng_ticket_keys_set((const unsigned char(*)[ZT_TICKET_KEY_LEN])keys, n) != 0 ||
	    zt_eng_ticket_keys_set(NULL, 0) != 0) {
		fail("engine refused the keys", n, 0);
	}
	return 0;
}
