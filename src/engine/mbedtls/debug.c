/*
 * Mbed TLS's debug lines into secsock's debug output (src/util/log.h), with
 * key material kept out. Mbed TLS writes a buffer or a big number as a
 * header line ("dumping 'NAME' (N bytes)", "value of 'NAME' (N bits) is:")
 * followed by continuation lines from the same source line. Only dumps
 * whose NAME is on the list below (bytes that cross the wire anyway, or the
 * application's own data) are passed on; any other dump becomes one line
 * with its name and size, and its continuation lines are dropped. Big
 * numbers (DHM and ECDH values, private ones among them) are never shown.
 * A new Mbed TLS dump is hidden until it is added here: the list allows,
 * it does not forbid.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/debug.h>

#include "engine/mbedtls/mbed.h"
#include "util/log.h"

static const char *const shown[] = {
	"input record from network",
	"input record header",
	"output record sent to network",
	"input payload after decrypt",
	"before encrypt: output payload",
	"client hello, random bytes",
	"server hello, random bytes",
	"random bytes",
	"client hello, version",
	"server hello, version",
	"server version",
	"client hello, session id",
	"server hello, session id",
	"session id",
	"Session ID",
	"client hello, ciphersuitelist",
	"client hello, list of cipher suites",
	"client hello, compression",
	"client hello extensions",
	"server hello extensions",
	"server hello",
	"handshake header",
	"CID",
	"Own CID",
	"Client CID",
	"Server CID",
	"Incoming CID",
	"Outgoing CID",
	"cookie",
	"cookie sent",
	"client hello, cookie",
	"Supported groups extension",
	"supported_groups extension",
	"message appended to flight",
};

/* the header of the dump being dropped, per thread (a dump is written in one go) */
static _Thread_local const char *hide_file;
static _Thread_local int hide_line;

static bool name_shown(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (strlen(shown[i]) == len && memcmp(shown[i], name, len) == 0) {
			return true;
		}
	}
	return false;
}

static void dbg(void *ctx, int level, const char *file, int line, const char *str)
{
	const char *q, *base = strrchr(file, '/');
	char text[1024];
	size_t n;

	(void)ctx;
	if (str[0] == '0' && str[1] == 'x' && (q = strstr(str, ": ")) != NULL) {
		str = q + 2; /* with threads, Mbed TLS puts the context's address first */
	}
	if (file == hide_file && line == hide_line) {
		return; /* a continuation line of a dump that is not shown */
	}
	hide_file = NULL;
	if (strncmp(str, "dumping '", 9) == 0 || strncmp(str, "value of '", 10) == 0) {
		const char *name = strchr(str, '\'') + 1;
		bool mpi = str[0] == 'v';

		q = strchr(name, '\'');
		if (q == NULL || mpi || !name_shown(name, (size_t)(q - name))) {
			hide_file = file;
			hide_line = line;
			snprintf(text, sizeof(text), "%s:%d: %.*s [not shown: may be key material]",
				 base != NULL ? base + 1 : file, line, (int)strcspn(str, "\n"),
				 str);
			zt_log_line(level + 1 > 4 ? 4 : level + 1, "mbedtls", text);
			return;
		}
	}
	n = strcspn(str, "\n");
	snprintf(text, sizeof(text), "%s:%d: %.*s", base != NULL ? base + 1 : file, line, (int)n,
		 str);
	/* secsock level = Mbed TLS level + 1, at most 4 */
	zt_log_line(level + 1 > 4 ? 4 : level + 1, "mbedtls", text);
}

/* secsock 0-1 → none, 2 → Mbed TLS 1, 3 → 3, 4 → 4 */
static void threshold(int level)
{
	static const int map[] = {0, 0, 1, 3, 4};

	mbedtls_debug_set_threshold(map[level < 0 ? 0 : level > 4 ? 4 : level]);
}

void zt_mbed_debug_init(void)
{
	zt_log_on_level(threshold);
}

void zt_mbed_debug_conf(mbedtls_ssl_config *conf)
{
	mbedtls_ssl_conf_dbg(conf, dbg, NULL);
}
