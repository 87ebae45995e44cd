/*
 * secsock server [options] PORT (secsock(1)). TLS: one listening socket
 * with non-blocking handshakes (SECSOCK_TLS_ASYNC_HANDSHAKE) in one
 * zsock_poll() loop, many clients at once; DTLS: one server socket for every
 * peer (TLS_DTLS_ROLE_SERVER), Connection IDs with --cid. Echo by default;
 * --stdio: the client's data to stdout, stdin to the client. One line on
 * stderr per connection: peer, version, suite, ALPN, resumption,
 * verification, CID.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define MAX_PEERS   256

struct client {
	int fd;
	bool up;
	unsigned long id;
	char peer[64];
	unsigned char *pending; /* echo bytes the socket did not take yet */
	size_t pending_len;
	size_t in, out;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: secsock server [options] PORT      (PORT 0: the kernel picks one)\n"
		"\n"
		"  --tls1.2 | --tls1.3 | --dtls   protocol (default: TLS, 1.2 or 1.3)\n"
		"  --cert FILE --key FILE          certificate and key\n"
		"  --psk HEX --psk-id ID           pre-shared key and its identity\n"
		"  --tag N                         credentials of tag N from the store "
		"(repeatable)\n"
		"  --store DIR                     the store (default: $SECSOCK_CRED_DIR, "
		"$XDG_DATA_HOME/secsock)\n"
		"  --ca FILE                       CA for client certificates (with --verify)\n"
		"  --verify none|optional|required client certificates (default none)\n"
		"  --alpn P1,P2                    ALPN protocols to accept\n"
		"  --ciphers LIST                  IANA names or ids\n"
		"  --cid                           DTLS Connection IDs (with --dtls)\n"
		"  --bind ADDR                     address to listen on (default 127.0.0.1)\n"
		"  --stdio                         one client at a time: its data to stdout, stdin "
		"to it\n"
		"  --max N                         stop after N connections (DTLS: N peers, then 1 "
		"s "
		"quiet)\n"
		"  -v, -vv                         handshake trace on stderr\n");
}

static void addr_text(const struct sockaddr *sa, char *out, size_t size)
{
	char host[64] = "?";
	uint16_t port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		zsock_inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, size, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		zsock_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, size, "[%s]:%u", host, port);
	}
}

static int bind_listen(const struct cli_tls *t, long port, int *fd_out)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	const char *bind_addr = t->bind != NULL ? t->bind : "127.0.0.1";
	char where[96];
	int fd, family = strchr(bind_addr, ':') != NULL ? AF_INET6 : AF_INET, one = 1;

	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		len = sizeof(*in);
		if (zsock_inet_pton(AF_INET, bind_addr, &in->sin_addr) != 1) {
			cli_err("--bind: \"%s\" is not an IPv4 or IPv6 address", bind_addr);
			return EXIT_USAGE;
		}
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
		if (zsock_inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) != 1) {
			cli_err("--bind: \"%s\" is not an IPv4 or IPv6 address", bind_addr);
			return EXIT_USAGE;
		}
	}
	fd = cli_tls_socket(t, family, true);
	if (fd < 0) {
		return EXIT_USAGE;
	}
	(void)zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!t->dtls) {
		(void)zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one));
	}
	if (zsock_bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (!t->dtls && zsock_listen(fd, 64) < 0)) {
		cli_err("cannot listen on %s port %ld: %s", bind_addr, port, strerror(errno));
		zsock_close(fd);
		return EXIT_FAIL;
	}
	len = sizeof(ss);
	(void)zsock_getsockname(fd, (struct sockaddr *)&ss, &len);
	addr_text((struct sockaddr *)&ss, where, sizeof(where));
	cli_note("listening on %s (%s%s)", where,
		 t->dtls    ? "DTLS 1.2"
		 : t->tls13 ? "TLS 1.3"
		 : t->tls12 ? "TLS 1.2"
			    : "TLS 1.2 and 1.3",
		 t->cid ? ", Connection IDs" : "");
	*fd_out = fd;
	return 0;
}

static void client_close(struct client *c, const char *why)
{
	if (c->up) {
		cli_note("[%lu] %s: closed (%s), %zu bytes in, %zu out", c->id, c->peer, why, c->in,
			 c->out);
	}
	zsock_close(c->fd);
	free(c->pending);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what we can of @p buf (after anything pending); keep the rest. false: failed. */
static bool echo(struct client *c, const unsigned char *buf, size_t len)
{
	if (c->pending_len == 0) {
		ssize_t n = zsock_send(c->fd, buf, len, ZSOCK_MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN) {
			return false;
		}
		n = n < 0 ? 0 : n;
		c->out += (size_t)n;
		buf += n;
		len -= (size_t)n;
	}
	if (len > 0) {
		unsigned char *p = realloc(c->pending, c->pending_len + len);

		if (p == NULL || c->pending_len + len > 4 * 1024 * 1024) {
			free(p);
			c->pending = NULL;
			return false; /* a client that never reads: drop it */
		}
		memcpy(p + c->pending_len, buf, len);
		c->pending = p;
		c->pending_len += len;
	}
	return true;
}

static bool flush(struct client *c)
{
	ssize_t n = zsock_send(c->fd, c->pending, c->pending_len, ZSOCK_MSG_DONTWAIT);

	if (n < 0) {
		return errno == EAGAIN;
	}
	c->out += (size_t)n;
	memmove(c->pending, c->pending + n, c->pending_len - (size_t)n);
	c->pending_len -= (size_t)n;
	return true;
}

static int serve_tls(const struct cli_tls *t, int lst)
{
	static struct client cl[MAX_CLIENTS];
	struct zsock_pollfd p[MAX_CLIENTS + 2];
	unsigned char buf[16384];
	unsigned long next_id = 1, done = 0;
	bool stdin_open = t->stdio;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		cl[i].fd = -1;
	}
	for (;;) {
		int n = 0, active = 0, idx[MAX_CLIENTS + 2];

		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (cl[i].fd < 0) {
				continue;
			}
			active++;
			p[n] = (struct zsock_pollfd){
				.fd = cl[i].fd,
				.events = (short)(!cl[i].up ? ZSOCK_POLLOUT
						  : cl[i].pending_len > 0
							  ? ZSOCK_POLLIN | ZSOCK_POLLOUT
							  : ZSOCK_POLLIN)};
			idx[n++] = i;
		}
		if (t->max_conn > 0 && done >= (unsigned long)t->max_conn && active == 0) {
			return EXIT_OK;
		}
		if (!(t->stdio && active > 0) &&
		    !(t->max_conn > 0 &&
		      done + (unsigned long)active >= (unsigned long)t->max_conn)) {
			p[n] = (struct zsock_pollfd){.fd = lst, .events = ZSOCK_POLLIN};
			idx[n++] = -1;
		}
		if (t->stdio && active > 0 && stdin_open) {
			p[n] = (struct zsock_pollfd){.fd = STDIN_FILENO, .events = ZSOCK_POLLIN};
			idx[n++] = -2;
		}
		if (zsock_poll(p, n, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			cli_err("poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		for (int k = 0; k < n; k++) {
			short ev = p[k].revents;
			struct client *c;

			if (ev == 0) {
				continue;
			}
			if (idx[k] == -1) {
				struct sockaddr_storage ss;
				socklen_t len = sizeof(ss);
				int fd = zsock_accept(lst, (struct sockaddr *)&ss, &len), slot = -1;

				if (fd < 0) {
					continue; /* EAGAIN, or a client that gave up */
				}
				for (int i = 0; i < MAX_CLIENTS && slot < 0; i++) {
					slot = cl[i].fd < 0 ? i : -1;
				}
				if (slot < 0) {
					zsock_close(
						fd); /* full: the client sees the connection end */
					continue;
				}
				(void)zsock_fcntl(fd, F_SETFL, O_NONBLOCK);
				cl[slot] = (struct client){.fd = fd, .id = next_id++};
				addr_text((struct sockaddr *)&ss, cl[slot].peer,
					  sizeof(cl[slot].peer));
				continue;
			}
			if (idx[k] == -2) {
				ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));

				for (int i = 0; i < MAX_CLIENTS; i++) {
					if (cl[i].fd >= 0 && cl[i].up && r > 0 &&
					    !echo(&cl[i], buf, (size_t)r)) {
						client_close(&cl[i], "send failed");
						done++;
					}
				}
				if (r <= 0) {
					stdin_open = false;
				}
				continue;
			}
			c = &cl[idx[k]];
			if (!c->up) {
				int err = 0;
				socklen_t len = sizeof(err);
				char what[512];
				bool vfail;

				if ((ev & (ZSOCK_POLLERR | ZSOCK_POLLHUP | ZSOCK_POLLNVAL)) != 0) {
					(void)zsock_getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
							       &len);
					cli_tls_failure(c->fd, err != 0 ? err : ECONNABORTED, what,
							sizeof(what), &vfail);
					cli_note("[%lu] %s: %s", c->id, c->peer, what);
					client_close(c, "handshake failed");
					done++;
					continue;
				}
				c->up = true;
				cli_tls_describe(c->fd, false, true, false, what, sizeof(what));
				cli_note("[%lu] %s: %s", c->id, c->peer, what);
				continue;
			}
			if ((ev & ZSOCK_POLLOUT) != 0 && c->pending_len > 0 && !flush(c)) {
				client_close(c, "send failed");
				done++;
				continue;
			}
			if ((ev & (ZSOCK_POLLIN | ZSOCK_POLLERR | ZSOCK_POLLHUP)) != 0) {
				ssize_t r = zsock_recv(c->fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT);

				if (r > 0) {
					c->in += (size_t)r;
					if (t->stdio) {
						fwrite(buf, 1, (size_t)r, stdout);
						fflush(stdout);
					} else if (!echo(c, buf, (size_t)r)) {
						client_close(c, "send failed");
						done++;
					}
				} else if (r == 0 || errno != EAGAIN) {
					client_close(c, r == 0 ? "by the client" : strerror(errno));
					done++;
				}
			}
		}
		if (t->stdio && !stdin_open) {
			for (int i = 0; i < MAX_CLIENTS; i++) {
				if (cl[i].fd >= 0) {
					client_close(&cl[i], "stdin ended");
					done++;
				}
			}
			return EXIT_OK;
		}
	}
}

struct peer {
	struct sockaddr_storage addr;
	socklen_t len;
	size_t in, out;
};

static int serve_dtls(const struct cli_tls *t, int fd)
{
	static struct peer peers[MAX_PEERS];
	unsigned char buf[2048];
	int npeers = 0, last = -1;
	bool stdin_open = t->stdio;
	int64_t quiet_since = cli_now_ms();

	for (;;) {
		struct zsock_pollfd p[2] = {{.fd = fd, .events = ZSOCK_POLLIN},
					    {.fd = STDIN_FILENO, .events = ZSOCK_POLLIN}};
		bool enough = t->max_conn > 0 && npeers >= t->max_conn;
		int rc = zsock_poll(p, stdin_open && last >= 0 ? 2 : 1, enough ? 200 : -1);

		if (rc < 0 && errno != EINTR) {
			cli_err("poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (enough && cli_now_ms() - quiet_since >= 1000) {
			return EXIT_OK;
		}
		if (rc <= 0) {
			continue;
		}
		if (p[0].revents != 0) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t r = zsock_recvfrom(fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT,
						   (struct sockaddr *)&from, &flen);
			int k;

			if (r < 0) {
				if (errno != EAGAIN) {
					char what[512];
					bool vfail;

					cli_tls_failure(fd, errno, what, sizeof(what), &vfail);
					cli_note("DTLS peer: %s", what);
				}
				continue;
			}
			quiet_since = cli_now_ms();
			for (k = 0; k < npeers; k++) {
				if (peers[k].len == flen &&
				    memcmp(&peers[k].addr, &from, flen) == 0) {
					break;
				}
			}
			if (k == npeers && npeers < MAX_PEERS) {
				char who[96], what[512];

				peers[npeers++] = (struct peer){.addr = from, .len = flen};
				addr_text((struct sockaddr *)&from, who, sizeof(who));
				cli_tls_describe(fd, true, true, false, what, sizeof(what));
				cli_note("[%d] %s: %s", k + 1, who, what);
			}
			if (k < MAX_PEERS) {
				peers[k].in += (size_t)r;
				last = k;
			}
			if (t->stdio) {
				fwrite(buf, 1, (size_t)r, stdout);
				fflush(stdout);
			} else if (zsock_sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from,
						flen) == r &&
				   k < MAX_PEERS) {
				peers[k].out += (size_t)r;
			}
		}
		if (stdin_open && last >= 0 && p[1].revents != 0) {
			ssize_t r = read(STDIN_FILENO, buf, 1024);

			if (r <= 0) {
				return EXIT_OK;
			}
			(void)zsock_sendto(fd, buf, (size_t)r, 0,
					   (struct sockaddr *)&peers[last].addr, peers[last].len);
		}
	}
}

int cli_server(int argc, char **argv)
{
	struct cli_tls t = {.verify = -1};
	const char *port_arg = NULL;
	long port;
	int fd = -1, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help(stdout);
			return EXIT_OK;
		}
		rc = cli_tls_option(&t, argc, argv, &i, true);
		if (rc < 0) {
			return EXIT_USAGE;
		}
		if (rc == 0) {
			if ((argv[i][0] == '-' && argv[i][1] != '\0') || port_arg != NULL) {
				cli_err("%s: unexpected (see secsock server --help)", argv[i]);
				return EXIT_USAGE;
			}
			port_arg = argv[i];
		}
	}
	if (port_arg == NULL) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!cli_parse_int(port_arg, 0, 65535, &port)) {
		cli_err("\"%s\" is not a port number (0 to 65535)", port_arg);
		return EXIT_USAGE;
	}
	rc = cli_tls_load(&t, true);
	if (rc == 0) {
		rc = bind_listen(&t, port, &fd);
	}
	if (rc != 0) {
		return rc;
	}
	rc = t.dtls ? serve_dtls(&t, fd) : serve_tls(&t, fd);
	zsock_close(fd);
	return rc;
}
