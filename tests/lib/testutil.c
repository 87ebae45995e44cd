/* Test helpers (see testutil.h). */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zephyr/net/tls_credentials.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tu_read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL) {
		return -errno;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc((size_t)n + 1);
	if (*buf == NULL || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*buf);
		return -EIO;
	}
	(*buf)[n] = 0;
	*len = (size_t)n;
	fclose(f);
	return 0;
}

const char *tu_cert_path(const char *name)
{
	static __thread char path[512];

	snprintf(path, sizeof(path), "%s/%s", ZT_TEST_CERTS, name);
	return path;
}

int tu_add_cred(sec_tag_t tag, enum tls_credential_type type, const char *name)
{
	unsigned char *buf;
	size_t len;
	int rc = tu_read_file(tu_cert_path(name), &buf, &len);

	if (rc < 0) {
		fprintf(stderr, "cannot read %s\n", tu_cert_path(name));
		return rc;
	}
	rc = tls_credential_add(tag, type, buf, len);
	free(buf);
	return rc;
}

socklen_t tu_loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*a);
}

uint16_t tu_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

uint16_t tu_free_port(int family, int type)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, 0, &ss);
	int fd = socket(family, type, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0) {
		port = tu_local_port(fd);
	}
	if (fd >= 0) {
		close(fd);
	}
	return port;
}

int tu_listen(int family, int proto, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, 0, &ss);
	int one = 1;
	int fd = zsock_socket(family, SOCK_STREAM, proto);

	if (fd < 0) {
		return -1;
	}
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (zsock_bind(fd, (struct sockaddr *)&ss, len) < 0 || zsock_listen(fd, 16) < 0) {
		zsock_close(fd);
		return -1;
	}
	*port = tu_local_port(fd);
	return fd;
}

int tu_tcp_connect(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tu_loopback(family, port, &ss);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0) {
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

pid_t tu_spawn(char *const argv[], int *out_fd, int *in_fd)
{
	int out[2] = {-1, -1}, in[2] = {-1, -1};
	pid_t pid;

	if (out_fd != NULL && pipe2(out, O_CLOEXEC) < 0) {
		return -1;
	}
	if (in_fd != NULL && pipe2(in, O_CLOEXEC) < 0) {
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(in_fd ? in[0] : devnull, 0);
		dup2(out_fd ? out[1] : devnull, 1);
		dup2(out_fd ? out[1] : devnull, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out_fd != NULL) {
		close(out[1]);
		*out_fd = out[0];
		fcntl(out[0], F_SETFL, O_NONBLOCK);
	}
	if (in_fd != NULL) {
		close(in[0]);
		*in_fd = in[1];
	}
	return pid;
}

int tu_wait_exit(pid_t pid, int ms)
{
	int64_t end = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		if (r < 0 || now_ms() >= end) {
			return -1;
		}
		usleep(10000);
	}
}

int tu_kill(pid_t pid)
{
	int st;

	if (pid <= 0) {
		return -1;
	}
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	st = tu_wait_exit(pid, 2000);
	if (st < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		st = tu_wait_exit(pid, 2000);
	}
	return st;
}

bool tu_expect(int fd, const char *needle, int ms, char *buf, size_t size)
{
	int64_t end = now_ms() + ms;
	size_t used = strlen(buf);

	for (;;) {
		if (strstr(buf, needle) != NULL) {
			return true;
		}
		int64_t left = end - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (left <= 0 || used + 1 >= size) {
			return false;
		}
		if (poll(&p, 1, (int)left) <= 0) {
			continue;
		}
		ssize_t n = read(fd, buf + used, size - used - 1);

		if (n <= 0) {
			if (n < 0 && errno == EAGAIN) {
				continue;
			}
			return strstr(buf, needle) != NULL;
		}
		used += (size_t)n;
		buf[used] = 0;
	}
}

bool tu_wait_port(int family, uint16_t port, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		int fd = tu_tcp_connect(family, port);

		if (fd >= 0) {
			close(fd);
			return true;
		}
		usleep(20000);
	}
	return false;
}

bool tu_have(const char *prog)
{
	char cmd[512];

	if (strchr(prog, '/') != NULL) {
		return access(prog, X_OK) == 0;
	}
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

const char *tu_mbedtls_prog(const char *name)
{
	static __thread char path[512];

	snprintf(path, sizeof(path), "%s/%s", ZT_MBEDTLS_BIN, name);
	return path;
}
