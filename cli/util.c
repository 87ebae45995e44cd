/*
 * Small helpers of the secsock command: files, numbers, hex and base64
 * (RFC 4648, as Zephyr's cred shell reads BIN data), wiping, the clock.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_INPUT (1024 * 1024)

void cli_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	for (size_t i = 0; i < n; i++) {
		v[i] = 0;
	}
}

static int read_fd(int fd, unsigned char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	unsigned char *b = malloc(cap);

	if (b == NULL) {
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			unsigned char *more;

			if (cap >= MAX_INPUT) {
				cli_wipe(b, n);
				free(b);
				return -EFBIG;
			}
			more = malloc(cap * 2);
			if (more == NULL) {
				cli_wipe(b, n);
				free(b);
				return -ENOMEM;
			}
			memcpy(more, b, n);
			cli_wipe(b, n);
			free(b);
			b = more;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			int e = errno;

			cli_wipe(b, n);
			free(b);
			return -e;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_read_file(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	rc = read_fd(fd, buf, len);
	close(fd);
	return rc;
}

int cli_read_stdin(unsigned char **buf, size_t *len)
{
	return read_fd(STDIN_FILENO, buf, len);
}

bool cli_parse_int(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (s == NULL || *s == '\0' || (s[0] == '0' && s[1] != '\0')) {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return false;
		}
		v = v * 10 + (*s - '0');
		if (v > max) {
			return false;
		}
	}
	if (v < min) {
		return false;
	}
	*out = v;
	return true;
}

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

bool cli_hex_decode(const char *hex, unsigned char *out, size_t size, size_t *len)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 != 0 || n / 2 > size) {
		return false;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			cli_wipe(out, i);
			return false;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return true;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* out may be in (decoding in place works: output never overtakes input) */
bool cli_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0, pad = 0, digits = 0;
	size_t n = 0;

	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			continue;
		}
		if (c == '=') {
			pad++;
			digits++;
			continue;
		}
		v = b64val(c);
		if (v < 0 || pad > 0) {
			return false; /* a bad character, or data after the padding */
		}
		digits++;
		acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (digits == 0 || digits % 4 != 0 || pad > 2 || (acc & ((1u << bits) - 1)) != 0) {
		return false;
	}
	*outlen = n;
	return true;
}

void cli_base64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t j = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		out[j++] = a[v >> 18 & 63];
		out[j++] = a[v >> 12 & 63];
		out[j++] = i + 1 < len ? a[v >> 6 & 63] : '=';
		out[j++] = i + 2 < len ? a[v & 63] : '=';
	}
	out[j] = '\0';
}

int64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
