/*
 * secsock client [options] HOST PORT (secsock(1)): like openssl s_client or
 * ncat --ssl. One line on stderr says what the handshake agreed; then stdin
 * goes to the peer and the peer's data to stdout, until the peer closes, or
 * stdin ends and the peer stays quiet for --wait milliseconds.
 */
#include "cli.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f,
		"usage: secsock client [options] HOST PORT\n"
		"\n"
		"  --tls1.2 | --tls1.3 | --dtls   protocol (default: TLS, 1.2 or 1.3)\n"
		"  --ca FILE                       trusted CA certificate(s), PEM or DER\n"
		"  --cert FILE --key FILE          own certificate and key (mutual "
		"authentication)\n"
		"  --psk HEX --psk-id ID           pre-shared key and its identity\n"
		"  --tag N                         credentials of tag N from the store "
		"(repeatable)\n"
		"  --store DIR                     the store (default: $SECSOCK_CRED_DIR, "
		"$XDG_DATA_HOME/secsock)\n"
		"  --host NAME                     SNI and the name the certificate must carry "
		"(default HOST)\n"
		"  --verify none|optional|required (default required)\n"
		"  --alpn P1,P2                    ALPN protocols to offer\n"
		"  --ciphers LIST                  IANA names or ids, e.g. "
		"TLS_AES_128_GCM_SHA256,0xC02B\n"
		"  --resume                        connect twice; say whether the second resumed\n"
		"  --cid                           DTLS Connection ID (with --dtls)\n"
		"  --wait MS                       after stdin ends, wait this long for data "
		"(default 1000)\n"
		"  -v, -vv                         handshake trace on stderr\n");
}

/* Copy between stdin/stdout and the socket. 0, or an exit code. */
static int pump(int fd, const struct cli_tls *t, size_t *sent, size_t *rcvd)
{
	unsigned char buf[16384];
	bool in_open = true;
	int64_t quiet_since = 0;

	for (;;) {
		struct zsock_pollfd p[2] = {{.fd = fd, .events = ZSOCK_POLLIN},
					    {.fd = STDIN_FILENO, .events = ZSOCK_POLLIN}};
		int64_t wait = in_open ? -1 : t->wait_ms - (cli_now_ms() - quiet_since);
		int n;

		if (!in_open && wait <= 0) {
			return 0; /* stdin ended and the peer stayed quiet */
		}
		n = zsock_poll(p, in_open ? 2 : 1, (int)wait);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			cli_err("poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (p[0].revents != 0) {
			ssize_t r = zsock_recv(fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT);

			if (r > 0) {
				if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r) {
					return EXIT_FAIL;
				}
				fflush(stdout);
				*rcvd += (size_t)r;
				quiet_since = cli_now_ms();
			} else if (r == 0 && !t->dtls) {
				return 0; /* the peer closed */
			} else if (r < 0 && errno != EAGAIN) {
				if (t->dtls && !in_open) {
					return 0; /* all sent; the peer went away (ICMP) meanwhile
						   */
				}
				cli_err("receive: %s", strerror(errno));
				return EXIT_FAIL;
			}
		}
		if (in_open && p[1].revents != 0) {
			ssize_t r = read(STDIN_FILENO, buf, t->dtls ? 1024 : sizeof(buf));

			if (r <= 0) {
				in_open = false;
				quiet_since = cli_now_ms();
				continue;
			}
			if (zsock_send(fd, buf, (size_t)r, 0) != r) {
				cli_err("send: %s", strerror(errno));
				return EXIT_FAIL;
			}
			*sent += (size_t)r;
		}
	}
}

/* Errors that say "not at this address": the next address of the name is tried. */
static bool try_next(int err)
{
	return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH ||
	       err == EADDRNOTAVAIL || err == EAFNOSUPPORT;
}

/*
 * One connection, to the first address of the name that answers (a DTLS
 * socket handshakes in connect() too); *fd_out the socket. 0 or an exit code.
 */
static int connect_once(const struct cli_tls *t, const struct zsock_addrinfo *ai, const char *host,
			const char *port, int *fd_out)
{
	char what[512];
	bool vfail;
	int fd, err;

	for (;; ai = ai->ai_next) {
		cli_clear_failure();
		fd = cli_tls_socket(t, ai->ai_family, false);
		if (fd < 0) {
			return EXIT_USAGE;
		}
		if (zsock_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			*fd_out = fd;
			return 0;
		}
		err = errno;
		if (!try_next(err) || ai->ai_next == NULL) {
			break;
		}
		zsock_close(fd);
	}
	cli_tls_failure(fd, err, what, sizeof(what), &vfail);
	cli_err("%s port %s: %s", host, port, what);
	zsock_close(fd);
	return vfail ? EXIT_VERIFY : EXIT_FAIL;
}

/*
 * A TLS 1.3 server sends its session tickets after the handshake; they are
 * read (and cached) by a receive call. Give them 300 ms before closing.
 */
static void take_tickets(int fd)
{
	int64_t end = cli_now_ms() + 300;
	char buf[256];

	while (cli_now_ms() < end) {
		struct zsock_pollfd p = {.fd = fd, .events = ZSOCK_POLLIN};

		if (zsock_poll(&p, 1, (int)(end - cli_now_ms())) <= 0 ||
		    zsock_recv(fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT) == 0) {
			return;
		}
	}
}

int cli_client(int argc, char **argv)
{
	struct cli_tls t = {.verify = -1, .wait_ms = 1000};
	struct zsock_addrinfo hints = {0}, *ai = NULL;
	const char *pos[2];
	char desc[512];
	size_t sent = 0, rcvd = 0;
	int npos = 0, fd = -1, rc, gai;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help(stdout);
			return EXIT_OK;
		}
		rc = cli_tls_option(&t, argc, argv, &i, false);
		if (rc < 0) {
			return EXIT_USAGE;
		}
		if (rc == 0) {
			if (argv[i][0] == '-' && argv[i][1] != '\0') {
				cli_err("unknown option %s (see secsock client --help)", argv[i]);
				return EXIT_USAGE;
			}
			if (npos == 2) {
				cli_err("too many arguments: secsock client [options] HOST PORT");
				return EXIT_USAGE;
			}
			pos[npos++] = argv[i];
		}
	}
	if (npos != 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (t.host == NULL) {
		t.host = pos[0];
	}
	rc = cli_tls_load(&t, false);
	if (rc != 0) {
		return rc;
	}
	hints.ai_socktype = t.dtls ? SOCK_DGRAM : SOCK_STREAM;
	gai = zsock_getaddrinfo(pos[0], pos[1], &hints, &ai);
	if (gai != 0 || ai == NULL) {
		cli_err("%s port %s: %s", pos[0], pos[1], zsock_gai_strerror(gai));
		return EXIT_FAIL;
	}
	if (t.resume) {
		rc = connect_once(&t, ai, pos[0], pos[1], &fd);
		if (rc != 0) {
			goto out;
		}
		cli_tls_describe(fd, t.dtls, false,
				 t.psk_hex != NULL && t.ca == NULL && t.ntags == 0, desc,
				 sizeof(desc));
		cli_note("connected to %s port %s: %s", pos[0], pos[1], desc);
		take_tickets(fd);
		zsock_close(fd);
		fd = -1;
	}
	rc = connect_once(&t, ai, pos[0], pos[1], &fd);
	if (rc != 0) {
		goto out;
	}
	cli_tls_describe(fd, t.dtls, false, t.psk_hex != NULL && t.ca == NULL && t.ntags == 0, desc,
			 sizeof(desc));
	cli_note("connected to %s port %s: %s", pos[0], pos[1], desc);
	if (t.resume) {
		int v = 0;
		socklen_t len = sizeof(v);

		(void)zsock_getsockopt(fd, SOL_TLS, SECSOCK_TLS_SESSION_RESUMED, &v, &len);
		cli_note("session resumed: %s", v == 1 ? "yes" : "no");
	}
	rc = pump(fd, &t, &sent, &rcvd);
	cli_note("closed: %zu bytes sent, %zu received", sent, rcvd);
out:
	if (fd >= 0) {
		zsock_close(fd);
	}
	zsock_freeaddrinfo(ai);
	return rc;
}
