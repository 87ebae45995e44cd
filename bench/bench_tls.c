/*
 * bench_tls: secsock (the zsock_* API) against a raw Mbed TLS loop on the
 * same build, side by side in one run (docs/benchmarks.md). Every metric runs both
 * implementations with the same credentials (tests/lib/certs: ECDSA P-256),
 * the same protocol version and the same cipher suite, alternating the two
 * for several rounds, and prints medians and secsock/raw ratios, for wall
 * time (CLOCK_MONOTONIC) and for process CPU time (CLOCK_PROCESS_CPUTIME_ID,
 * both threads, user + system).
 *
 *   secsock: blocking secure sockets, a server thread and a client thread
 *            in this process over 127.0.0.1 (zsock_socket/accept/connect/
 *            send/recv/close).
 *   raw:     mbedtls_ssl_* directly over blocking kernel TCP sockets, with
 *            our own send()/recv() BIO callbacks (no mbedtls_net_*), one
 *            shared mbedtls_ssl_config per role, the same threads.
 * (bench_impl.c; memory: bench_mem.c; this file: the timed metrics, the
 * driver and the table.)
 *
 * Metrics: (1) bulk: 64 MiB one way in 16 KiB send() calls; (2) echo: 64-byte
 * round trips; (3) full handshakes/s (connect + accept + close); (4) TLS 1.2
 * resumed handshakes/s; (5) heap and RSS per idle established connection,
 * also for OpenSSL 3.0 when bench_openssl_mem was built; (6) non-blocking:
 * N connections (1000) through one poll loop per side, secsock with
 * SECSOCK_TLS_ASYNC_HANDSHAKE and zsock_poll, raw Mbed TLS over poll()
 * (bench_nb.c): handshakes/s with N at once, then echo round trips/s over N.
 *
 * With OpenSSL's development files at build time (BENCH_HAVE_OPENSSL), the
 * timed metrics other than nb also run a third implementation, OpenSSL 3
 * (bench_impl_openssl.c), in the same rotation, and a second table gives
 * secsock/OpenSSL and raw/OpenSSL.
 *
 * usage: bench_tls [--quick] [--rounds N] [--only LIST] [--impl secsock|raw|openssl]
 *                  [--versions 12,13] [--certs DIR] [--mem-n N] [--echo N] [--hs N]
 *                  [--resume N] [--bulk-mib N] [--nb-conns N] [--nb-echo K]
 *                  [--pin none|same|split] [--nagle] [--sockbuf BYTES] [--no-jitter]
 *                  [--verbose] [--hibernate MS]
 *   LIST: comma-separated of bulk,echo,hs,resume,nb,mem
 * Documented in docs/benchmarks.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <secsock/secsock.h>

#include <mbedtls/version.h>
#include <psa/crypto.h>

#include "bench.h"

#define NB_MAX_ROUNDS 3 /* rounds of the non-blocking scenario */

#ifndef BENCH_CERTS_DIR
#define BENCH_CERTS_DIR "tests/lib/certs"
#endif

/*
 * CPU placement of the client (main) and server threads: PIN_NONE lets the
 * scheduler choose, PIN_SAME puts both on the first allowed CPU (wall time is
 * then the CPU cost of both sides, no cross-CPU wake-ups), PIN_SPLIT puts
 * them on two different CPUs.
 */
enum {
	PIN_NONE,
	PIN_SAME,
	PIN_SPLIT
};
static int g_pin = PIN_SAME;
static int g_cpu[2] = {-1, -1};

void bench_pin_self(int which)
{
	cpu_set_t set;

	if (g_pin == PIN_NONE || g_cpu[which] < 0) {
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(g_cpu[which], &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void pin_init(void)
{
	cpu_set_t set;
	int first = -1, second = -1;

	if (g_pin == PIN_NONE || sched_getaffinity(0, sizeof(set), &set) != 0) {
		return;
	}
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			if (first < 0) {
				first = i;
			} else if (second < 0) {
				second = i;
			}
		}
	}
	g_cpu[0] = first;
	g_cpu[1] = g_pin == PIN_SAME || second < 0 ? first : second;
}

/*
 * Heap layout jitter. Mbed TLS's AES-GCM speed depends on where its buffers
 * and contexts land (measured here: the raw loop alone moves between ~133 and
 * ~145 MB/s when one 16-byte malloc is added before mbedtls_ssl_setup), so a
 * fixed allocation sequence gives each implementation a fixed layout "luck".
 * Before every run both threads allocate a pseudo-random pad (16..4096 bytes,
 * a multiple of 16) that lives for the run, so rounds sample layouts and the
 * medians compare code, not placement. --no-jitter turns it off.
 */
static bool g_jitter = true;
static uint64_t g_rng = 0x9e3779b97f4a7c15u; /* fixed seed: reproducible sequence */
static pthread_mutex_t g_rng_lock = PTHREAD_MUTEX_INITIALIZER;

static void *jitter_pad(void)
{
	uint64_t x;
	void *p;

	if (!g_jitter) {
		return NULL;
	}
	pthread_mutex_lock(&g_rng_lock);
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	x = g_rng;
	pthread_mutex_unlock(&g_rng_lock);
	p = malloc(16 + (size_t)(x % 256) * 16);
	if (p != NULL) {
		memset(p, 0, 16); /* keep the allocation */
	}
	return p;
}

/* ---- timing ---- */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct stamp {
	double wall, cpu;
};

static struct stamp stamp_now(void)
{
	return (struct stamp){clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID)};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[64];

	if (n <= 0) {
		return 0;
	}
	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

enum job_kind {
	JOB_BULK,
	JOB_ECHO,
	JOB_HS
};

struct job {
	enum job_kind kind;
	const struct impl *im;
	struct run_opts o;
	int listener;
	long count;   /* JOB_HS: connections */
	size_t bytes; /* JOB_BULK */
};

static unsigned char bulk_buf[CHUNK];

static void recv_exact(const struct impl *im, conn_t c, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = im->recv(c, p, len);

		if (n <= 0) {
			bench_die("%s recv: %s", im->name, n < 0 ? strerror(errno) : "EOF");
		}
		p += n;
		len -= (size_t)n;
	}
}

/*
 * The timed loops. Not static and noinline: bench/profile.sh names them in
 * valgrind --toggle-collect, so callgrind counts the loops only.
 */
void echo_server_loop(const struct impl *im, conn_t c);
void echo_client_loop(const struct impl *im, conn_t c, long rounds);
void bulk_server_loop(const struct impl *im, conn_t c, size_t bytes);
void bulk_client_loop(const struct impl *im, conn_t c, size_t bytes);
void hs_server_loop(const struct impl *im, const struct job *j);
void hs_client_loop(const struct impl *im, int port, const struct run_opts *o, long count);

__attribute__((noinline)) void echo_server_loop(const struct impl *im, conn_t c)
{
	unsigned char buf[ECHO_LEN];
	ssize_t n;

	while ((n = im->recv(c, buf, sizeof(buf))) > 0) {
		im->send_all(c, buf, (size_t)n);
	}
}

__attribute__((noinline)) void echo_client_loop(const struct impl *im, conn_t c, long rounds)
{
	unsigned char msg[ECHO_LEN], back[ECHO_LEN];

	memset(msg, 'e', sizeof(msg));
	for (long i = 0; i < rounds; i++) {
		im->send_all(c, msg, sizeof(msg));
		recv_exact(im, c, back, sizeof(back));
	}
}

__attribute__((noinline)) void bulk_server_loop(const struct impl *im, conn_t c, size_t bytes)
{
	static unsigned char rbuf[CHUNK];
	size_t got = 0;

	while (got < bytes) {
		ssize_t n = im->recv(c, rbuf, sizeof(rbuf));

		if (n <= 0) {
			bench_die("%s bulk recv: %s", im->name, n < 0 ? strerror(errno) : "EOF");
		}
		got += (size_t)n;
	}
}

__attribute__((noinline)) void bulk_client_loop(const struct impl *im, conn_t c, size_t bytes)
{
	for (size_t sent = 0; sent < bytes; sent += CHUNK) {
		im->send_all(c, bulk_buf, CHUNK);
	}
}

__attribute__((noinline)) void hs_server_loop(const struct impl *im, const struct job *j)
{
	for (long i = 0; i < j->count; i++) {
		im->close(im->accept(j->listener, &j->o));
	}
}

__attribute__((noinline)) void hs_client_loop(const struct impl *im, int port,
					      const struct run_opts *o, long count)
{
	for (long i = 0; i < count; i++) {
		im->close(im->connect(port, o));
	}
}

static void *server_main(void *arg)
{
	struct job *j = arg;
	const struct impl *im = j->im;
	unsigned char ready = 'r';
	void *pad = jitter_pad();
	conn_t c;

	bench_pin_self(1);
	switch (j->kind) {
	case JOB_BULK:
		c = im->accept(j->listener, &j->o);
		im->send_all(c, &ready, 1);
		bulk_server_loop(im, c, j->bytes);
		im->send_all(c, &ready, 1); /* done */
		im->close(c);
		break;
	case JOB_ECHO:
		c = im->accept(j->listener, &j->o);
		im->send_all(c, &ready, 1);
		echo_server_loop(im, c);
		im->close(c);
		break;
	case JOB_HS:
		hs_server_loop(im, j);
		break;
	}
	free(pad);
	return NULL;
}

struct sample {
	double wall_rate; /* units per wall second */
	double cpu_rate;  /* units per process-CPU second (both threads) */
};

static struct sample rate(double units, struct stamp a, struct stamp b)
{
	return (struct sample){units / (b.wall - a.wall), units / (b.cpu - a.cpu)};
}

static int job_begin(pthread_t *t, struct job *j)
{
	int port;

	j->listener = j->im->listen(&j->o, &port);
	if (pthread_create(t, NULL, server_main, j) != 0) {
		bench_die("pthread_create");
	}
	return port;
}

static void job_end(pthread_t t, struct job *j)
{
	pthread_join(t, NULL);
	j->im->close_listener(j->listener);
}

static struct sample run_bulk(const struct impl *im, int ver, size_t bytes)
{
	void *pad = jitter_pad();
	struct job j = {.kind = JOB_BULK, .im = im, .o = {ver, false}, .bytes = bytes};
	unsigned char ack;
	struct stamp a, b;
	pthread_t t;
	int port = job_begin(&t, &j);
	conn_t c = im->connect(port, &j.o);

	recv_exact(im, c, &ack, 1); /* both handshakes done */
	a = stamp_now();
	bulk_client_loop(im, c, bytes);
	recv_exact(im, c, &ack, 1); /* the server has every byte */
	b = stamp_now();
	im->close(c);
	job_end(t, &j);
	free(pad);
	return rate((double)bytes / 1e6, a, b);
}

static struct sample run_echo(const struct impl *im, int ver, long rounds)
{
	void *pad = jitter_pad();
	struct job j = {.kind = JOB_ECHO, .im = im, .o = {ver, false}};
	unsigned char ready;
	struct stamp a, b;
	pthread_t t;
	int port = job_begin(&t, &j);
	conn_t c = im->connect(port, &j.o);

	recv_exact(im, c, &ready, 1);
	a = stamp_now();
	echo_client_loop(im, c, rounds);
	b = stamp_now();
	im->close(c);
	job_end(t, &j);
	free(pad);
	return rate((double)rounds, a, b);
}

static struct sample run_hs(const struct impl *im, int ver, bool resume, long count)
{
	void *pad = jitter_pad();
	struct job j = {.kind = JOB_HS, .im = im, .o = {ver, resume}, .count = count + resume};
	struct stamp a, b;
	pthread_t t;
	int port = job_begin(&t, &j);

	if (resume) {
		im->close(im->connect(port, &j.o)); /* full handshake: fills the caches */
	}
	a = stamp_now();
	hs_client_loop(im, port, &j.o, count);
	pthread_join(t, NULL); /* the server's last accept and close */
	b = stamp_now();
	im->close_listener(j.listener);
	free(pad);
	return rate((double)count, a, b);
}

/* ------------------------------------------------------------------ */
/* driver                                                               */

struct cfg {
	bool quick, verbose;
	int rounds;
	unsigned only; /* bit per metric; 0: all */
	int impl_mask; /* 1 secsock, 2 raw, 4 openssl */
	const char *certs;
	size_t bulk_bytes;
	long echo_rounds, hs_count, resume_count, mem_n;
	long nb_conns, nb_echo;
};

enum {
	M_BULK = 1,
	M_ECHO = 2,
	M_HS = 4,
	M_RESUME = 8,
	M_MEM = 16,
	M_NB = 32
};

/* the implementations, in the order of struct row's v[] */
enum {
	I_SS,
	I_RAW,
	I_OSSL,
	NIMPL
};

static const struct impl *const impls[NIMPL] = {
	&bench_secsock,
	&bench_raw,
#ifdef BENCH_HAVE_OPENSSL
	&bench_openssl,
#else
	NULL,
#endif
};

struct row {
	const char *metric, *unit;
	int ver;
	double v[NIMPL][64][2]; /* per implementation and round: [wall, cpu] */
	int n;
	int mask; /* the implementations measured (bit 1 << I_*) */
};

#define MAX_ROWS 16
static struct row rows[MAX_ROWS];
static int nrows;

/* A runner measures one or two metrics in the same run (out[0], out[1]). */
typedef void (*runner_fn)(const struct impl *im, int ver, const struct cfg *c,
			  struct sample out[2]);

static void r_bulk(const struct impl *im, int ver, const struct cfg *c, struct sample out[2])
{
	out[0] = run_bulk(im, ver, c->bulk_bytes);
}

static void r_echo(const struct impl *im, int ver, const struct cfg *c, struct sample out[2])
{
	out[0] = run_echo(im, ver, c->echo_rounds);
}

static void r_hs(const struct impl *im, int ver, const struct cfg *c, struct sample out[2])
{
	out[0] = run_hs(im, ver, false, c->hs_count);
}

static void r_resume(const struct impl *im, int ver, const struct cfg *c, struct sample out[2])
{
	out[0] = run_hs(im, ver, true, c->resume_count);
}

static void r_nb(const struct impl *im, int ver, const struct cfg *c, struct sample out[2])
{
	struct nb_result r = bench_nb_run(im, ver, c->nb_conns, c->nb_echo);

	out[0] = (struct sample){r.hs_wall, r.hs_cpu};
	out[1] = (struct sample){r.echo_wall, r.echo_cpu};
}

/*
 * Run fn for both implementations, alternating, and record it as one row per
 * metric (metric2 != NULL: fn measures two at once). rounds: this metric's.
 */
static void measure_n(const struct cfg *c, int rounds, const char *metric, const char *unit,
		      const char *metric2, const char *unit2, int ver, runner_fn fn)
{
	struct row *row = &rows[nrows++];
	struct row *row2 = metric2 != NULL ? &rows[nrows++] : NULL;
	/* nb: secsock and raw only (bench_nb.c drives their internals) */
	int mask = c->impl_mask & (fn == r_nb ? 3 : 7);
	int ids[NIMPL], nids = 0;
	struct sample out[2];

	row->metric = metric;
	row->unit = unit;
	row->ver = ver;
	if (row2 != NULL) {
		row2->metric = metric2;
		row2->unit = unit2;
		row2->ver = ver;
	}
	for (int k = 0; k < NIMPL; k++) {
		if ((mask & (1 << k)) && impls[k] != NULL) {
			ids[nids++] = k;
		}
	}
	/* one unrecorded warm-up run each (page faults, AES-NI probe, caches) */
	for (int k = 0; k < nids; k++) {
		fn(impls[ids[k]], ver, c, out);
	}
	for (int i = 0; i < rounds; i++) {
		/*
		 * rotate who goes first, so drift hits all alike (two: they
		 * alternate, secsock first in the first round)
		 */
		for (int k = 0; k < nids; k++) {
			int id = ids[(i + k) % nids];
			struct sample s;
			double *dst;

			fn(impls[id], ver, c, out);
			s = out[0];
			dst = row->v[id][i];
			dst[0] = s.wall_rate;
			dst[1] = s.cpu_rate;
			if (row2 != NULL) {
				dst = row2->v[id][i];
				dst[0] = out[1].wall_rate;
				dst[1] = out[1].cpu_rate;
			}
			if (c->verbose) {
				fprintf(stderr,
					"  %-7s %-8s %-7s round %d: %12.1f %s wall, %12.1f "
					"%s/cpu-s\n",
					metric, bench_ver_name[ver], impls[id]->name, i + 1,
					s.wall_rate, unit, s.cpu_rate, unit);
			}
		}
	}
	row->n = rounds;
	row->mask = mask;
	if (row2 != NULL) {
		row2->n = rounds;
		row2->mask = mask;
	}
	fprintf(stderr, "done: %s %s\n", metric, bench_ver_name[ver]);
}

static void measure(const struct cfg *c, const char *metric, const char *unit, int ver,
		    runner_fn fn)
{
	measure_n(c, c->rounds, metric, unit, NULL, NULL, ver, fn);
}

static double col_median(const struct row *row, int id, int k)
{
	double v[64];

	for (int i = 0; i < row->n; i++) {
		v[i] = row->v[id][i][k];
	}
	return median(v, row->n);
}

/* the median of the per-round ratios of implementation a to b */
static double paired_median(const struct row *row, int a, int b, int k)
{
	double v[64];

	for (int i = 0; i < row->n; i++) {
		v[i] = row->v[b][i][k] > 0 ? row->v[a][i][k] / row->v[b][i][k] : 0;
	}
	return median(v, row->n);
}

static double spread(const struct row *row, int id, int k)
{
	double lo = 1e300, hi = 0, med = col_median(row, id, k);

	for (int i = 0; i < row->n; i++) {
		double x = row->v[id][i][k];

		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	return med > 0 ? 100.0 * (hi - lo) / med : 0;
}

static void print_machine(const struct cfg *c)
{
	char model[256] = "?", line[512];
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0) {
				char *p = strchr(line, ':');

				if (p != NULL) {
					snprintf(model, sizeof(model), "%.*s",
						 (int)strcspn(p + 2, "\n"), p + 2);
				}
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	printf("secsock %s vs raw Mbed TLS %s (same static build, config/mbedtls_config.h)\n",
	       secsock_version(), MBEDTLS_VERSION_STRING);
#ifdef BENCH_HAVE_OPENSSL
	if (c->impl_mask & 4) {
		printf("and %s (libssl, same credentials, suites and groups; timed metrics but "
		       "nb)\n",
		       bench_openssl_version());
	}
#else
	printf("no OpenSSL column: built without OpenSSL's development files "
	       "(apt-get install libssl-dev, then re-run cmake)\n");
#endif
	printf("machine: %s, %ld online CPUs, %s %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.sysname, u.release);
	printf("mode: %s, %d rounds (rotating order), medians; wall = CLOCK_MONOTONIC, "
	       "cpu = CLOCK_PROCESS_CPUTIME_ID (client + server threads); %s; %s; threads %s\n",
	       c->quick ? "quick" : "full", c->rounds,
	       bench_nodelay ? "TCP_NODELAY on" : "Nagle on (--nagle)",
	       g_jitter ? "heap layout jitter on" : "no layout jitter",
	       g_pin == PIN_SAME    ? "pinned to one CPU (--pin same)"
	       : g_pin == PIN_SPLIT ? "pinned to two CPUs (--pin split)"
				    : "not pinned");
	printf("sizes: bulk %zu MiB in %d-byte sends, echo %ld x %d B, %ld full handshakes, "
	       "%ld resumed, memory N=%ld, non-blocking %ld connections x %ld echoes "
	       "(at most %d rounds); socket buffers %s\n\n",
	       c->bulk_bytes >> 20, CHUNK, c->echo_rounds, ECHO_LEN, c->hs_count, c->resume_count,
	       c->mem_n, c->nb_conns, c->nb_echo, NB_MAX_ROUNDS,
	       bench_sockbuf > 0 ? "set by --sockbuf" : "kernel default");
}

static void print_rows(void)
{
	printf("%-20s %-8s | %11s %11s %6s %6s | %11s %11s %6s | %s\n", "metric", "version",
	       "secsock", "raw", "ratio", "paired", "secsock/cpu", "raw/cpu", "ratio",
	       "target >= 0.97 (wall, cpu)");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double sw = col_median(r, I_SS, 0), rw = col_median(r, I_RAW, 0);
		double sc = col_median(r, I_SS, 1), rc = col_median(r, I_RAW, 1);
		double ratio_w = rw > 0 ? sw / rw : 0, ratio_c = rc > 0 ? sc / rc : 0;
		char name[64];

		snprintf(name, sizeof(name), "%s %s", r->metric, r->unit);
		printf("%-20s %-8s | %11.1f %11.1f %6.3f %6.3f | %11.1f %11.1f %6.3f | %s, %s\n",
		       name, bench_ver_name[r->ver], sw, rw, ratio_w,
		       paired_median(r, I_SS, I_RAW, 0), sc, rc, ratio_c,
		       ratio_w >= 0.97 ? "ok" : "BELOW", ratio_c >= 0.97 ? "ok" : "BELOW");
	}
	printf("\nspread (max-min)/median, %%: ");
	for (int i = 0; i < nrows; i++) {
		printf("%s%s %s %.0f/%.0f", i ? "; " : "", rows[i].metric,
		       bench_ver_name[rows[i].ver], spread(&rows[i], I_SS, 0),
		       spread(&rows[i], I_RAW, 0));
	}
	printf(" (secsock/raw, wall)\n");
}

/*
 * The rows OpenSSL ran in: its medians and every implementation's ratio to
 * it (median ratio; paired: median of the per-round ratios), wall and CPU.
 */
static void print_rows_openssl(void)
{
	bool any = false;

	for (int i = 0; i < nrows; i++) {
		any = any || (rows[i].mask & (1 << I_OSSL));
	}
	if (!any) {
		return;
	}
	printf("\nagainst OpenSSL (ratio = median / OpenSSL's median; paired = median of per-round "
	       "ratios)\n");
	printf("%-20s %-8s | %11s %7s %6s %7s %6s | %11s %7s %7s\n", "metric", "version", "openssl",
	       "ss/ossl", "paired", "raw/oss", "paired", "openssl/cpu", "ss/ossl", "raw/oss");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double ow = col_median(r, I_OSSL, 0), oc = col_median(r, I_OSSL, 1);
		char name[64];

		if (!(r->mask & (1 << I_OSSL)) || (r->mask & 3) != 3) {
			continue;
		}
		snprintf(name, sizeof(name), "%s %s", r->metric, r->unit);
		printf("%-20s %-8s | %11.1f %7.3f %6.3f %7.3f %6.3f | %11.1f %7.3f %7.3f\n", name,
		       bench_ver_name[r->ver], ow, ow > 0 ? col_median(r, I_SS, 0) / ow : 0,
		       paired_median(r, I_SS, I_OSSL, 0), ow > 0 ? col_median(r, I_RAW, 0) / ow : 0,
		       paired_median(r, I_RAW, I_OSSL, 0), oc,
		       oc > 0 ? col_median(r, I_SS, 1) / oc : 0,
		       oc > 0 ? col_median(r, I_RAW, 1) / oc : 0);
	}
	printf("spread (max-min)/median, %%, openssl wall: ");
	for (int i = 0, first = 1; i < nrows; i++) {
		if (rows[i].mask & (1 << I_OSSL)) {
			printf("%s%s %s %.0f", first ? "" : "; ", rows[i].metric,
			       bench_ver_name[rows[i].ver], spread(&rows[i], I_OSSL, 0));
			first = 0;
		}
	}
	printf("\n");
}

static unsigned parse_only(const char *s)
{
	unsigned m = 0;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "bulk") == 0) {
			m |= M_BULK;
		} else if (strcmp(t, "echo") == 0) {
			m |= M_ECHO;
		} else if (strcmp(t, "hs") == 0) {
			m |= M_HS;
		} else if (strcmp(t, "resume") == 0) {
			m |= M_RESUME;
		} else if (strcmp(t, "mem") == 0) {
			m |= M_MEM;
		} else if (strcmp(t, "nb") == 0) {
			m |= M_NB;
		} else {
			bench_die("--only: unknown metric %s (bulk,echo,hs,resume,nb,mem)", t);
		}
	}
	return m;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_tls [--quick] [--rounds N] [--only bulk,echo,hs,resume,nb,mem]\n"
		"                 [--impl secsock|raw|openssl] [--versions 12|13|12,13] "
		"[--certs DIR]\n"
		"                 [--mem-n N] [--mem-idle-ms MS] [--hibernate MS] [--echo N] [--hs "
		"N] [--resume N] "
		"[--bulk-mib N]\n"
		"                 [--nb-conns N] [--nb-echo K]\n"
		"                 [--pin none|same|split] [--nagle] [--sockbuf BYTES] "
		"[--no-jitter]\n"
		"                 [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct cfg c = {.rounds = 7,
#ifdef BENCH_HAVE_OPENSSL
			.impl_mask = 7,
#else
			.impl_mask = 3,
#endif
			.certs = BENCH_CERTS_DIR,
			.bulk_bytes = (size_t)64 << 20,
			.echo_rounds = 20000,
			.hs_count = 200,
			.resume_count = 2000,
			.mem_n = 200,
			.nb_conns = 1000,
			.nb_echo = 20};
	long echo = -1, hs = -1, resume = -1, mem_n = -1, bulk_mib = -1, rounds = -1;
	long nb_conns = -1, nb_echo = -1;
	const char *role = NULL, *role_impl = "secsock";
	int role_ver = 0, role_port = 0;
	int versions = 3;
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			c.quick = true;
		} else if (strcmp(a, "--nagle") == 0) {
			bench_nodelay = false;
		} else if (strcmp(a, "--no-jitter") == 0) {
			g_jitter = false;
		} else if (strcmp(a, "--verbose") == 0) {
			c.verbose = true;
		} else if (v == NULL) {
			usage();
		} else if (strcmp(a, "--pin") == 0) {
			g_pin = strcmp(v, "same") == 0    ? PIN_SAME
				: strcmp(v, "split") == 0 ? PIN_SPLIT
				: strcmp(v, "none") == 0  ? PIN_NONE
							  : -1;
			if (g_pin < 0) {
				usage();
			}
			i++;
		} else if (strcmp(a, "--mem-role") == 0) {
			role = v, i++;
		} else if (strcmp(a, "--mem-impl") == 0) {
			role_impl = v, i++;
		} else if (strcmp(a, "--mem-ver") == 0) {
			role_ver = atoi(v) == 1 ? V13 : V12, i++;
		} else if (strcmp(a, "--mem-port") == 0) {
			role_port = atoi(v), i++;
		} else if (strcmp(a, "--rounds") == 0) {
			rounds = atol(v), i++;
		} else if (strcmp(a, "--only") == 0) {
			c.only = parse_only(v), i++;
		} else if (strcmp(a, "--impl") == 0) {
			c.impl_mask = strcmp(v, "secsock") == 0   ? 1
				      : strcmp(v, "raw") == 0     ? 2
				      : strcmp(v, "openssl") == 0 ? 4
								  : 0;
			if (c.impl_mask == 0) {
				usage();
			}
#ifndef BENCH_HAVE_OPENSSL
			if (c.impl_mask == 4) {
				bench_die("--impl openssl: built without OpenSSL's development "
					  "files (apt-get install libssl-dev, then re-run cmake)");
			}
#endif
			i++;
		} else if (strcmp(a, "--versions") == 0) {
			versions = (strstr(v, "12") ? 1 : 0) | (strstr(v, "13") ? 2 : 0), i++;
		} else if (strcmp(a, "--certs") == 0) {
			c.certs = v, i++;
		} else if (strcmp(a, "--mem-n") == 0) {
			mem_n = atol(v), i++;
		} else if (strcmp(a, "--mem-idle-ms") == 0) {
			bench_mem_idle_ms = atoi(v), i++;
		} else if (strcmp(a, "--hibernate") == 0) {
			bench_hibernate_ms = atoi(v), i++;
		} else if (strcmp(a, "--echo") == 0) {
			echo = atol(v), i++;
		} else if (strcmp(a, "--hs") == 0) {
			hs = atol(v), i++;
		} else if (strcmp(a, "--resume") == 0) {
			resume = atol(v), i++;
		} else if (strcmp(a, "--bulk-mib") == 0) {
			bulk_mib = atol(v), i++;
		} else if (strcmp(a, "--nb-conns") == 0) {
			nb_conns = atol(v), i++;
		} else if (strcmp(a, "--nb-echo") == 0) {
			nb_echo = atol(v), i++;
		} else if (strcmp(a, "--sockbuf") == 0) {
			bench_sockbuf = atoi(v), i++;
		} else {
			usage();
		}
	}
	if (c.quick) {
		c.rounds = 1;
		c.bulk_bytes = (size_t)4 << 20;
		c.echo_rounds = 1000;
		c.hs_count = 10;
		c.resume_count = 50;
		c.mem_n = 20;
		c.nb_conns = 50;
		c.nb_echo = 5;
	}
	if (rounds > 0) {
		c.rounds = rounds > 64 ? 64 : (int)rounds;
	}
	if (echo > 0) {
		c.echo_rounds = echo;
	}
	if (hs > 0) {
		c.hs_count = hs;
	}
	if (resume > 0) {
		c.resume_count = resume;
	}
	if (mem_n > 0) {
		c.mem_n = mem_n;
	}
	if (bulk_mib > 0) {
		c.bulk_bytes = (size_t)bulk_mib << 20;
	}
	if (nb_conns > 0) {
		c.nb_conns = nb_conns;
	}
	if (nb_echo > 0) {
		c.nb_echo = nb_echo;
	}
	if (c.only == 0) {
		c.only = M_BULK | M_ECHO | M_HS | M_RESUME | M_NB | M_MEM;
	}

	signal(SIGPIPE, SIG_IGN);
	pin_init();
	bench_pin_self(0);
	/* N pairs need 2N descriptors */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (psa_crypto_init() != PSA_SUCCESS) {
		bench_die("psa_crypto_init");
	}
	memset(bulk_buf, 'b', sizeof(bulk_buf));
	bench_add_credentials(c.certs);
	bench_raw_init(c.certs);
	if (role != NULL) {
		bench_mem_role(role, strcmp(role_impl, "raw") == 0 ? &bench_raw : &bench_secsock,
			       role_ver, c.mem_n, role_port);
	}
#ifdef BENCH_HAVE_OPENSSL
	if (c.impl_mask & 4) {
		bench_openssl_init(c.certs);
	}
#endif
	print_machine(&c);
	fflush(stdout);

	for (int v = 0; v < NVER; v++) {
		if (!(versions & (1 << v))) {
			continue;
		}
		if (c.only & M_BULK) {
			measure(&c, "bulk", "MB/s", v, r_bulk);
		}
		if (c.only & M_ECHO) {
			measure(&c, "echo", "rt/s", v, r_echo);
		}
		if (c.only & M_HS) {
			measure(&c, "full hs", "/s", v, r_hs);
		}
	}
	if ((c.only & M_RESUME) && (versions & 1)) {
		measure(&c, "resumed hs", "/s", V12, r_resume);
	}
	for (int v = 0; v < NVER; v++) {
		/* N full handshakes per run: fewer rounds keep the run short */
		if ((c.only & M_NB) && (versions & (1 << v))) {
			measure_n(&c, c.rounds < NB_MAX_ROUNDS ? c.rounds : NB_MAX_ROUNDS, "nb hs",
				  "/s", "nb echo", "rt/s", v, r_nb);
		}
	}
	if (nrows > 0 && (c.impl_mask & 3) == 3) {
		print_rows();
		print_rows_openssl();
	} else if (nrows > 0) {
		printf("(secsock or raw alone: no table)\n");
	}
	if ((c.only & M_MEM) && (c.impl_mask & 3) == 3) {
		struct mem_result m[2][NVER] = {0};
		struct ossl_mem o;

		/* N pairs in one process need 2N descriptors: else fresh processes only */
		bool pairs = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
			     (rlim_t)(2 * c.mem_n + 64) <= rl.rlim_cur;

		for (int v = 0; v < NVER; v++) {
			if (pairs) {
				m[0][v] = bench_mem_pairs(&bench_secsock, v, c.mem_n);
				m[1][v] = bench_mem_pairs(&bench_raw, v, c.mem_n);
			} else {
				m[0][v].pair_heap = m[1][v].pair_heap = NAN;
				m[0][v].client_heap = m[1][v].client_heap = NAN;
				m[0][v].server_heap = m[1][v].server_heap = NAN;
				m[0][v].residual_heap = m[1][v].residual_heap = NAN;
			}
			bench_mem_fresh("secsock", v, c.mem_n, c.certs, &m[0][v]);
			bench_mem_fresh("raw", v, c.mem_n, c.certs, &m[1][v]);
		}
		o = bench_mem_openssl(c.certs, c.mem_n);
		bench_mem_print(m, &o, c.mem_n);
	}
#ifdef BENCH_HAVE_OPENSSL
	if (c.impl_mask & 4) {
		bench_openssl_free();
	}
#endif
	bench_raw_free();
	return 0;
}
