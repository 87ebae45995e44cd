/*
 * Session-ticket keys from a file (secsock_ticket_keys_load(),
 * SECSOCK_TICKET_KEY_FILE): text, one key per line, 64 hexadecimal digits
 * each; the engine derives each security context's ticket keys from them
 * (src/engine/mbedtls/tickets.c). The whole file is read and checked before
 * anything changes, so a bad file leaves the keys in use; every buffer that
 * held key material is wiped before it is freed. The parser is fuzzed
 * (tests/fuzz/fuzz_ticket_keys.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sock/sock.h"
#include "sys/host.h"

/** Largest key file read (a key line is 65 bytes: room for comments). */
#define KEY_FILE_MAX (64 * 1024)

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int zt_ticket_keys_parse(const char *text, size_t len, unsigned char (*keys)[ZT_TICKET_KEY_LEN])
{
	size_t pos = 0;
	int n = 0;

	while (pos < len) {
		size_t end = pos, a, b;

		while (end < len && text[end] != '\n') {
			end++;
		}
		/* [a, b): the line without blanks around it */
		for (a = pos; a < end && is_blank(text[a]); a++) {
		}
		for (b = end; b > a && is_blank(text[b - 1]); b--) {
		}
		pos = end + 1;
		if (a == b || text[a] == '#') {
			continue; /* blank line or comment */
		}
		if (b - a != 2 * ZT_TICKET_KEY_LEN) {
			return -EINVAL;
		}
		if (n == ZT_TICKET_KEYS_MAX) {
			return -E2BIG;
		}
		for (size_t i = 0; i < ZT_TICKET_KEY_LEN; i++) {
			int hi = hexval(text[a + 2 * i]), lo = hexval(text[a + 2 * i + 1]);

			if (hi < 0 || lo < 0) {
				return -EINVAL;
			}
			keys[n][i] = (unsigned char)(hi << 4 | lo);
		}
		n++;
	}
	return n > 0 ? n : -EINVAL;
}

/* The whole file (at most KEY_FILE_MAX bytes) into a heap buffer. */
static int read_all(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc = 0;

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
	} else if (S_ISREG(st.st_mode) && st.st_size > KEY_FILE_MAX) {
		rc = -EFBIG;
	} else if ((buf = malloc(KEY_FILE_MAX + 1)) == NULL) {
		rc = -ENOMEM;
	}
	while (rc == 0) {
		ssize_t n = zt_sys_read(fd, buf + got, KEY_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = -errno;
		} else if (n == 0) {
			break;
		} else if ((got += (size_t)n) > KEY_FILE_MAX) {
			rc = -EFBIG; /* grew, or not a regular file */
		}
	}
	zt_sys_close(fd);
	if (rc < 0) {
		if (buf != NULL) {
			zt_wipe(buf, got);
			free(buf);
		}
		return rc;
	}
	*out = buf;
	*len = got;
	return 0;
}

int zt_ticket_keys_load(const char *path)
{
	unsigned char keys[ZT_TICKET_KEYS_MAX][ZT_TICKET_KEY_LEN];
	char *text = NULL;
	size_t len = 0;
	int n, rc;

	if (path == NULL) {
		return zt_eng_ticket_keys_set(NULL, 0);
	}
	rc = zt_eng_global_init();
	if (rc == 0) {
		rc = read_all(path, &text, &len);
	}
	if (rc < 0) {
		return rc;
	}
	n = zt_ticket_keys_parse(text, len, keys);
	zt_wipe(text, len);
	free(text);
	rc = n < 0 ? n : zt_eng_ticket_keys_set((const unsigned char(*)[ZT_TICKET_KEY_LEN])keys, n);
	zt_wipe(keys, sizeof(keys));
	return rc;
}

void zt_ticket_keys_init(void)
{
	const char *path = getenv("SECSOCK_TICKET_KEY_FILE");
	int rc;

	if (path == NULL || path[0] == '\0') {
		return;
	}
	rc = zt_ticket_keys_load(path);
	if (rc < 0) {
		fprintf(stderr,
			"secsock: SECSOCK_TICKET_KEY_FILE %s: %s; session tickets use random "
			"keys\n",
			path, strerror(-rc));
	}
}
