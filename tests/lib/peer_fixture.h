/*
 * Peer processes for tests/interop/test_*dtls*.c (openssl, gnutls, Mbed TLS
 * programs): a command line built with printf-style arguments, the program
 * started (under stdbuf when present) with its output captured by a thread
 * so that pipes never fill, bounded waits for a line, kill and reap with the
 * output dumped when the case failed; and a bound non-blocking UDP socket on
 * loopback for the relays in those tests.
 */
#ifndef ZT_PEER_FIXTURE_H
#define ZT_PEER_FIXTURE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PF_MAX_ARGS 40

/* A command line: pf_arg() appends, v is NULL-terminated. */
struct pf_argv {
	char s[PF_MAX_ARGS][256];
	char *v[PF_MAX_ARGS + 1];
	int n;
};

/** Append one argument formatted like printf (ignored beyond PF_MAX_ARGS). */
__attribute__((format(printf, 2, 3))) void pf_arg(struct pf_argv *a, const char *fmt, ...);

struct pf_peer {
	const char *name;
	pid_t pid; /* 0 once reaped */
	int out, in;
	pthread_t th;
	bool th_on;
	atomic_bool stop;
	atomic_bool eof; /* the drain thread read the end of the output */
	pthread_mutex_t mu;
	char *buf;
	size_t len, cap;
	int status; /* exit status once reaped, else -1 */
};

/* pf_peer_start() flags */
enum {
	PF_STDIN = 1 << 0,        /* a pipe to the program's stdin in p->in */
	PF_STDERR_UNBUF = 1 << 1, /* stdbuf -e0 as well as -o0 */
};

/**
 * Start @p a (stdbuf -o0 in front when present, so output is seen as it is
 * written), keeping up to @p cap bytes of its output (stdout and stderr).
 */
bool pf_peer_start(struct pf_peer *p, const char *name, const struct pf_argv *a, size_t cap,
		   unsigned flags);

/** True if @p needle is in the output so far. */
bool pf_peer_has(struct pf_peer *p, const char *needle);

/** Count occurrences of @p needle in the output. */
int pf_peer_count(struct pf_peer *p, const char *needle);

/** Reap if it exits within @p ms (status in p->status); true once reaped. */
bool pf_peer_reaped(struct pf_peer *p, int ms);

/** Wait up to @p ms for @p needle in the output; gives up early once the program exited. */
bool pf_peer_wait(struct pf_peer *p, const char *needle, int ms);

/*
 * gnutls-serv's first "...done": it prints "Echo Server listening on IPv4
 * 0.0.0.0 port N..." before bind() and "done" after it, so waiting for the
 * first half raced with the bind (a DTLS ClientHello then met ECONNREFUSED).
 */
#define GNUTLS_SERV_BOUND "...done"

/** Write @p s to the program's stdin (PF_STDIN); th_fail() on error. */
void pf_peer_write(struct pf_peer *p, const char *s);

/** Close the program's stdin (EOF for it). */
void pf_peer_close_stdin(struct pf_peer *p);

/** Print the last 3000 bytes of the output. */
void pf_peer_dump(struct pf_peer *p);

/** Kill (if still running), reap, stop the drain thread; dump the output when the case failed. */
void pf_peer_stop(struct pf_peer *p);

/** A non-blocking UDP socket bound to 127.0.0.1 (address in *bound if not NULL), or -1. */
int pf_udp_socket(struct sockaddr_in *bound);

#endif /* ZT_PEER_FIXTURE_H */
