/*
 * Code written for Zephyr's POSIX API (CONFIG_POSIX_API): POSIX call names
 * with Zephyr's TLS numbers. It must compile without warnings against
 * secsock's headers (tests/compile/check_headers.sh). At run time these
 * calls are the C library's until libsecsock-posix exists (README).
 */
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include <fcntl.h> /* Zephyr code: <zephyr/posix/fcntl.h> */

int posix_style_client(const char *host);
int posix_style_client(const char *host)
{
	static const sec_tag_t tags[] = {1};
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct pollfd pfd;
	char buf[64];
	int fd;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, "4242", &hints, &res) != 0) {
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
	if (fd < 0) {
		freeaddrinfo(res);
		return -1;
	}
	(void)setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags));
	(void)setsockopt(fd, SOL_TLS, TLS_HOSTNAME, host, (socklen_t)strlen(host) + 1);
	rc = connect(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (rc == 0 && send(fd, "ping", 4, 0) == 4 && poll(&pfd, 1, 1000) == 1) {
		rc = (int)recv(fd, buf, sizeof(buf), 0);
	}
	(void)shutdown(fd, SHUT_RD);
	close(fd);
	return rc;
}
