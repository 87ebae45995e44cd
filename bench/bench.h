/*
 * bench_tls internals (docs/benchmarks.md): the two implementations behind
 * one interface (bench_impl.c), the memory measurements (bench_mem.c), and
 * small helpers. bench_tls.c has the driver, the timed metrics and the table.
 */
#ifndef SECSOCK_BENCH_H
#define SECSOCK_BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define TAG_CA      1
#define TAG_SERVER  2
#define CHUNK       16384 /* bytes per send() call in the bulk test */
#define ECHO_LEN    64
#define TICKET_LIFE 86400 /* as secsock's server (src/engine/mbedtls/cache.c) */
#define MEM_WARM    4     /* connections opened and closed before a memory baseline */
#define MEM_IDLE_MS 300   /* the idle phase before memory is measured (--mem-idle-ms) */

enum {
	V12,
	V13,
	NVER
};
extern const char *const bench_ver_name[NVER];
extern const int bench_ver_suite[NVER]; /* the one cipher suite of each version */

/*
 * TCP_NODELAY on every socket of both implementations (listener: inherited by
 * accepted sockets), as TLS servers usually run. Without it a TLS 1.2 full
 * handshake on loopback stalls ~40 ms on Nagle + delayed ACK, for both
 * implementations alike; --nagle measures that default.
 */
extern bool bench_nodelay;
/* --sockbuf: SO_SNDBUF and SO_RCVBUF of every socket of both (0: kernel default). */
extern int bench_sockbuf;

struct run_opts {
	int ver;     /* V12, V13 */
	bool resume; /* session cache + tickets on both sides */
};

typedef void *conn_t;

/* One TLS implementation: blocking calls, die() on any failure. */
struct impl {
	const char *name;
	int (*listen)(const struct run_opts *o, int *port);
	conn_t (*accept)(int listener, const struct run_opts *o);
	conn_t (*connect)(int port, const struct run_opts *o);
	void (*send_all)(conn_t c, const void *buf, size_t len);
	ssize_t (*recv)(conn_t c, void *buf, size_t len);
	void (*close)(conn_t c);
	void (*close_listener)(int listener);
	/*
	 * Wait @p ms for input on @p n idle connections, as an event loop
	 * does (one poll over all of them): the memory benchmark's idle phase.
	 */
	void (*idle)(const conn_t *c, long n, int ms);
};

extern const struct impl bench_secsock; /* zsock_* on blocking secure sockets */
extern const struct impl bench_raw;     /* mbedtls_ssl_* over blocking kernel sockets */

#ifdef BENCH_HAVE_OPENSSL
/* SSL_* of OpenSSL 3 over blocking kernel sockets (bench_impl_openssl.c): timed metrics only */
extern const struct impl bench_openssl;
void bench_openssl_init(const char *certs);
void bench_openssl_free(void);
const char *bench_openssl_version(void);
#endif

/* The raw loop's configuration of one role and version (bench_impl.c). */
struct mbedtls_ssl_config;
const struct mbedtls_ssl_config *bench_raw_conf(bool server, int ver);

/* ---- the non-blocking scenario (bench_nb.c) ---- */

struct nb_result {
	double hs_wall, hs_cpu;     /* handshakes per wall / CPU second, N at once */
	double echo_wall, echo_cpu; /* echo round trips per wall / CPU second, over N */
};

/* N connections through one poll loop per side, K echo round trips each. */
struct nb_result bench_nb_run(const struct impl *im, int ver, long n, long echoes);

/* Load the test credentials: secsock's store (tags TAG_CA, TAG_SERVER), raw configs. */
void bench_add_credentials(const char *certs);
void bench_raw_init(const char *certs);
void bench_raw_free(void);

void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Whole file, NUL-terminated and counted (Mbed TLS wants the NUL for PEM). */
unsigned char *bench_load_file(const char *dir, const char *name, size_t *len);
struct sockaddr_in bench_loopback(int port);
/* Pin the calling thread: 0 = client (main) thread, 1 = server thread. */
void bench_pin_self(int which);

struct heap_rss {
	double heap; /* bytes in use (mallinfo2 uordblks + hblkhd, all arenas) */
	double rss;  /* bytes resident (/proc/self/statm) */
};
struct heap_rss bench_heap_rss(void);

/* ---- memory per idle connection (bench_mem.c), bytes per connection ---- */

struct mem_result {
	double pair_heap, client_heap, server_heap, residual_heap; /* one process */
	double c_heap, c_rss, s_heap, s_rss;                       /* fresh processes */
};

struct ossl_mem {
	bool ok;
	struct mem_result r[NVER];
	char version[64];
};

/* --hibernate MS: SECSOCK_TLS_HIBERNATE on every secsock socket (0: off) */
extern int bench_hibernate_ms;
/* --mem-idle-ms: the idle phase of the memory benchmark (0: none) */
extern int bench_mem_idle_ms;

struct mem_result bench_mem_pairs(const struct impl *im, int ver, long n);
void bench_mem_fresh(const char *impl, int ver, long n, const char *certs, struct mem_result *r);
struct ossl_mem bench_mem_openssl(const char *certs, long n);
void bench_mem_print(const struct mem_result m[2][NVER], const struct ossl_mem *o, long n);
/* The --mem-role side of bench_mem_fresh (this program re-executed). */
void bench_mem_role(const char *role, const struct impl *im, int ver, long n, int port)
	__attribute__((noreturn));

#endif /* SECSOCK_BENCH_H */
