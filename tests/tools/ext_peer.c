/*
 * A secsock program for tests/interop/test_interop_ext.c, in its own process
 * because what it tests is read from the environment when the first secure
 * socket is made (SSLKEYLOGFILE, SECSOCK_TICKET_KEY_FILE). Public API only.
 *
 *   ext_peer client KIND PORT CA COUNT MSG
 *       COUNT connections to 127.0.0.1:PORT (KIND tls12, tls13 or dtls),
 *       each sends MSG and a newline and prints "GOT <reply line>".
 *   ext_peer ticket-server KIND CERT KEY
 *       a TLS server with TLS_SESSION_CACHE on 127.0.0.1, port picked by
 *       the kernel and printed as "PORT <n>"; each connection reads a
 *       line, answers "pong from secsock", prints "RESUMED <0|1>" and
 *       closes. SIGHUP reloads $SECSOCK_TICKET_KEY_FILE with
 *       secsock_ticket_keys_load() ("RELOADED" or "RELOAD-FAILED <errno>").
 *
 * Every wait is bounded (5 s per call); exit status 0 when all went well.
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG 7100

static volatile sig_atomic_t reload, stop;

static void on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int add_file(int type, const char *path)
{
	static unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return tls_credential_add(TAG, type, buf, n);
}

static int kind_proto(const char *k)
{
	return strcmp(k, "tls13") == 0  ? IPPROTO_TLS_1_3
	       : strcmp(k, "dtls") == 0 ? IPPROTO_DTLS_1_2
					: IPPROTO_TLS_1_2;
}

static void timeouts(int fd)
{
	struct zsock_timeval tv = {.tv_sec = 5};

	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One line (or what came before EOF) into @p buf; its length or -1. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = zsock_recv(fd, buf + n, size - 1 - n, 0);

		if (r <= 0) {
			break;
		}
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL) {
			break;
		}
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return n > 0 ? (int)n : -1;
}

static int client(const char *kind, int port, const char *ca, int count, const char *msg)
{
	int proto = kind_proto(kind);
	sec_tag_t tag = TAG;
	char line[512];

	if (add_file(TLS_CREDENTIAL_CA_CERTIFICATE, ca) < 0) {
		return 1;
	}
	for (int i = 0; i < count; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		int fd = zsock_socket(AF_INET, proto == IPPROTO_DTLS_1_2 ? SOCK_DGRAM : SOCK_STREAM,
				      proto);

		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		if (fd < 0 ||
		    zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
		    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) < 0) {
			perror("client set-up");
			return 1;
		}
		timeouts(fd);
		snprintf(line, sizeof(line), "%s\n", msg);
		if (zsock_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    zsock_send(fd, line, strlen(line), 0) != (ssize_t)strlen(line) ||
		    read_line(fd, line, sizeof(line)) < 0) {
			perror("client");
			zsock_close(fd);
			return 1;
		}
		printf("GOT %s\n", line);
		fflush(stdout);
		zsock_close(fd);
	}
	return 0;
}

static int ticket_server(const char *kind, const char *cert, const char *key)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	sec_tag_t tag = TAG;
	int on = TLS_SESSION_CACHE_ENABLED;
	int l;

	signal(SIGHUP, on_hup);
	signal(SIGTERM, on_term);
	if (add_file(TLS_CREDENTIAL_PUBLIC_CERTIFICATE, cert) < 0 ||
	    add_file(TLS_CREDENTIAL_PRIVATE_KEY, key) < 0) {
		return 1;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	l = zsock_socket(AF_INET, SOCK_STREAM, kind_proto(kind));
	if (l < 0 || zsock_setsockopt(l, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(l, SOL_TLS, TLS_SESSION_CACHE, &on, sizeof(on)) < 0 ||
	    zsock_bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || zsock_listen(l, 8) < 0 ||
	    zsock_getsockname(l, (struct sockaddr *)&sa, &sl) < 0) {
		perror("server set-up");
		return 1;
	}
	printf("PORT %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (!stop) {
		struct zsock_pollfd p = {.fd = l, .events = POLLIN};
		char line[256];
		int resumed = -1;
		socklen_t rl = sizeof(resumed);
		int c;

		if (reload) {
			reload = 0;
			if (secsock_ticket_keys_load(getenv("SECSOCK_TICKET_KEY_FILE")) == 0) {
				printf("RELOADED\n");
			} else {
				printf("RELOAD-FAILED %s\n", strerror(errno));
			}
			fflush(stdout);
		}
		if (zsock_poll(&p, 1, 100) <= 0) {
			continue;
		}
		c = zsock_accept(l, NULL, NULL);
		if (c < 0) {
			printf("ACCEPT-FAILED %s\n", strerror(errno));
			fflush(stdout);
			continue;
		}
		timeouts(c);
		(void)zsock_getsockopt(c, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &resumed, &rl);
		if (read_line(c, line, sizeof(line)) >= 0) {
			(void)zsock_send(c, "pong from secsock\n", 18, 0);
		}
		printf("RESUMED %d\n", resumed);
		fflush(stdout);
		zsock_close(c);
	}
	zsock_close(l);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "client") == 0) {
		return client(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), argv[6]);
	}
	if (argc == 5 && strcmp(argv[1], "ticket-server") == 0) {
		return ticket_server(argv[2], argv[3], argv[4]);
	}
	fprintf(stderr,
		"usage: ext_peer client KIND PORT CA COUNT MSG | ticket-server KIND CERT KEY\n");
	return 2;
}
