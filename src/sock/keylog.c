/*
 * SSLKEYLOGFILE (README, "Beyond Zephyr"): when the variable names a file at
 * the first secure socket, every handshake appends its secrets there in the
 * NSS key log format (the engine formats the lines: src/engine/mbedtls/
 * keylog.c). The file is opened once, created 0600, never truncated, and
 * each line goes out in one write() on an O_APPEND descriptor, so lines of
 * several processes or threads never interleave. The first line written
 * prints one warning on stderr: these secrets decrypt the traffic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock/sock.h"
#include "sys/host.h"

static int keylog_fd = -1;
static atomic_bool warned;

static void keylog_line(const char *line, size_t len)
{
	if (!atomic_exchange(&warned, true)) {
		fprintf(stderr,
			"secsock: SSLKEYLOGFILE is set: TLS secrets are being written to "
			"%s; anyone who can read it can decrypt the traffic\n",
			getenv("SSLKEYLOGFILE") != NULL ? getenv("SSLKEYLOGFILE") : "it");
	}
	/* one write() per line on O_APPEND: appended whole, at the end */
	(void)!zt_sys_write(keylog_fd, line, len);
}

void zt_keylog_init(void)
{
	const char *path = getenv("SSLKEYLOGFILE");

	if (path == NULL || path[0] == '\0') {
		return; /* unset: nothing is ever written */
	}
	keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (keylog_fd < 0) {
		fprintf(stderr, "secsock: SSLKEYLOGFILE %s: %s; no keys logged\n", path,
			strerror(errno));
		return;
	}
	zt_eng_keylog_set(keylog_line);
}
