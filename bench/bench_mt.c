/*
 * bench_mt: full handshakes/s of a secsock server with 1 server thread vs 2
 * server threads, one SO_REUSEPORT listener (or DTLS server socket) each on
 * one port (issue 14, "Multi-core"; docs/benchmarks.md, "Multi-core server").
 *
 * The server is this process: N threads, each with its own socket:
 *   block: zsock_poll() + blocking zsock_accept() (the handshake runs in
 *          accept, one connection at a time), then zsock_close();
 *   loop:  an event loop: non-blocking sockets, SECSOCK_TLS_ASYNC_HANDSHAKE,
 *          up to 64 handshakes at once advanced by zsock_poll(), each counted
 *          and closed when poll reports it established (POLLOUT);
 *   DTLS:  zsock_recvfrom() on a DTLS server socket (the handshakes of every
 *          peer run in it); a client sends one byte after its handshake and
 *          the server counts those bytes.
 * The clients are another process (this program re-executed with
 * --client-role): C threads, each connecting (full handshake, no session
 * cache, certificate verified, TLS_HOSTNAME) and closing in a loop.
 * Credentials and suites as bench_tls: tests/lib/certs (ECDSA P-256),
 * ECDHE-ECDSA-AES128-GCM-SHA256 / TLS_AES_128_GCM_SHA256.
 *
 * Measured over a window after a warm-up: handshakes the server completed
 * per wall second, the server process's CPU (getrusage), the client
 * process's CPU (/proc/PID/stat), the rest of the machine's (/proc/stat),
 * handshakes per server CPU-second, and the first listener's share. Clients
 * and server share the machine's cores, so the wall ratio is bounded by what
 * the clients leave; the per-CPU-second ratio shows whether the server
 * itself scales (1.0: nothing serialises the threads' handshakes).
 *
 * Run: build/bench/bench_mt [--quick] [--secs S] [--rounds R] [--clients C]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "bench.h"

#ifndef BENCH_CERTS_DIR
#define BENCH_CERTS_DIR "tests/lib/certs"
#endif

#define MAX_SRV 2
#define MAX_CLI 16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

#define VDTLS NVER /* DTLS 1.2, after bench.h's TLS versions */
#define NKIND (NVER + 1)

static const char *const kind_name[NKIND] = {"TLS 1.2", "TLS 1.3", "DTLS 1.2"};

/* A TLS socket (TCP_NODELAY) or a DTLS one, one suite as bench_tls. */
static int tls_socket(int kind, sec_tag_t tag)
{
	bool dtls = kind == VDTLS;
	int proto = kind == V13 ? IPPROTO_TLS_1_3 : dtls ? IPPROTO_DTLS_1_2 : IPPROTO_TLS_1_2;
	int fd = zsock_socket(AF_INET, dtls ? SOCK_DGRAM : SOCK_STREAM, proto);
	int suites[1] = {bench_ver_suite[dtls ? V12 : kind]};
	int one = 1;

	if (fd < 0) {
		bench_die("zsock_socket: %s", strerror(errno));
	}
	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(suites)) < 0 ||
	    (!dtls && zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)) {
		bench_die("zsock_setsockopt: %s", strerror(errno));
	}
	if (dtls && tag == TAG_SERVER) {
		int role = TLS_DTLS_ROLE_SERVER;

		if (zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof(role)) < 0) {
			bench_die("TLS_DTLS_ROLE: %s", strerror(errno));
		}
	}
	return fd;
}

/* ---- the client process ---- */

struct cli {
	pthread_t th;
	int port, ver;
	atomic_bool *stop;
	long done, failed;
};

static void *client_main(void *p)
{
	struct cli *c = p;
	struct sockaddr_in a = bench_loopback(c->port);

	while (!atomic_load(c->stop)) {
		int fd = tls_socket(c->ver, TAG_CA);

		if (zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) <
		    0) {
			bench_die("TLS_HOSTNAME: %s", strerror(errno));
		}
		if (zsock_connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    (c->ver != VDTLS || zsock_send(fd, "x", 1, 0) == 1)) {
			c->done++;
		} else {
			c->failed++;
		}
		zsock_close(fd);
	}
	return NULL;
}

/* --client-role PORT VER N: run until stdin closes, then print "done failed". */
static int client_role(int port, int ver, int n, const char *certs)
{
	static struct cli cl[MAX_CLI];
	static atomic_bool stop;
	long done = 0, failed = 0;
	char b;

	bench_add_credentials(certs);
	for (int i = 0; i < n; i++) {
		cl[i] = (struct cli){.port = port, .ver = ver, .stop = &stop};
		if (pthread_create(&cl[i].th, NULL, client_main, &cl[i]) != 0) {
			bench_die("pthread_create");
		}
	}
	while (read(0, &b, 1) > 0) {
	}
	atomic_store(&stop, true);
	for (int i = 0; i < n; i++) {
		pthread_join(cl[i].th, NULL);
		done += cl[i].done;
		failed += cl[i].failed;
	}
	printf("%ld %ld\n", done, failed);
	return 0;
}

/* ---- the server: one thread and one SO_REUSEPORT listener each ---- */

struct srv {
	pthread_t th;
	int lst; /* a TLS listener or a DTLS server socket */
	bool dtls;
	bool loop; /* TLS: one event loop, handshakes of many connections at once */
	atomic_bool *stop;
	atomic_long done, failed;
};

#define LOOP_MAX 64 /* connections one event loop handshakes at once */

/*
 * An event loop (--loop): non-blocking listener and accepted sockets with
 * SECSOCK_TLS_ASYNC_HANDSHAKE; zsock_poll() advances every handshake and
 * reports POLLOUT when one is established (counted, closed) or POLLERR.
 */
static void server_loop(struct srv *s)
{
	struct zsock_pollfd pfd[1 + LOOP_MAX];
	int conn[LOOP_MAX], n = 0;

	while (!atomic_load(s->stop)) {
		int m = 0;

		pfd[0] = (struct zsock_pollfd){.fd = s->lst,
					       .events = n < LOOP_MAX ? ZSOCK_POLLIN : 0};
		for (int i = 0; i < n; i++) {
			pfd[1 + i] = (struct zsock_pollfd){.fd = conn[i], .events = ZSOCK_POLLOUT};
		}
		if (zsock_poll(pfd, 1 + n, 50) <= 0) {
			continue;
		}
		for (int i = 0; i < n; i++) {
			short re = pfd[1 + i].revents;

			if (re == 0) {
				conn[m++] = conn[i];
				continue;
			}
			atomic_fetch_add((re & ZSOCK_POLLERR) == 0 && (re & ZSOCK_POLLOUT) != 0
						 ? &s->done
						 : &s->failed,
					 1);
			zsock_close(conn[i]);
		}
		n = m;
		while ((pfd[0].revents & ZSOCK_POLLIN) != 0 && n < LOOP_MAX) {
			int fd = zsock_accept(s->lst, NULL, NULL);

			if (fd < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK) {
					atomic_fetch_add(&s->failed, 1);
				}
				break;
			}
			/* accept() does not pass O_NONBLOCK on */
			if (zsock_fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
				bench_die("zsock_fcntl: %s", strerror(errno));
			}
			conn[n++] = fd;
		}
	}
	for (int i = 0; i < n; i++) {
		zsock_close(conn[i]);
	}
}

static void *server_main(void *p)
{
	struct srv *s = p;

	while (s->dtls && !atomic_load(s->stop)) {
		/* the handshakes run in recvfrom(); each client sends one byte after its own */
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		char b[64];

		if (zsock_recvfrom(s->lst, b, sizeof(b), 0, (struct sockaddr *)&from, &fl) > 0) {
			atomic_fetch_add(&s->done, 1);
		}
	}
	if (!s->dtls && s->loop) {
		server_loop(s);
	}
	while (!s->dtls && !s->loop && !atomic_load(s->stop)) {
		struct zsock_pollfd pfd = {.fd = s->lst, .events = ZSOCK_POLLIN};
		int fd;

		if (zsock_poll(&pfd, 1, 50) <= 0) {
			continue;
		}
		fd = zsock_accept(s->lst, NULL, NULL);
		if (fd < 0) {
			atomic_fetch_add(&s->failed, 1);
			continue;
		}
		atomic_fetch_add(&s->done, 1);
		zsock_close(fd);
	}
	return NULL;
}

static int reuseport_listener(int ver, bool loop, int *port)
{
	int fd = tls_socket(ver, TAG_SERVER);
	struct sockaddr_in a = bench_loopback(*port);
	socklen_t len = sizeof(a);
	int one = 1;

	struct zsock_timeval tv = {0, 50000}; /* DTLS: recvfrom() returns to look at stop */

	if (zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    zsock_bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (ver != VDTLS && zsock_listen(fd, 1024) < 0) ||
	    (ver == VDTLS && zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) ||
	    zsock_getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		bench_die("listener: %s", strerror(errno));
	}
	if (loop &&
	    (zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0 ||
	     zsock_fcntl(fd, F_SETFL, O_NONBLOCK) < 0)) {
		bench_die("event-loop listener: %s", strerror(errno));
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static double rusage_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of process @p pid, seconds (clock ticks) */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return 0;
	}
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* after the command name: state is field 3, utime 14, stime 15 */
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
		return 0;
	}
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds the whole machine spent busy (not idle, not iowait), /proc/stat */
static double machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL) {
		return 0;
	}
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8) {
		return 0;
	}
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

struct result {
	double hs_wall;    /* handshakes per wall second */
	double srv_cpu;    /* server CPU seconds per wall second (cores used) */
	double cli_cpu;    /* client CPU seconds per wall second */
	double hs_per_cpu; /* handshakes per server CPU-second */
	double other_cpu;  /* cores busy with anything else (machine minus both) */
	double share0;     /* the first listener's part of the handshakes */
};

struct cfg {
	double secs, warm;
	int rounds, clients;
	const char *certs;
	const char *self;
};

static struct result run(const struct cfg *g, int ver, bool loop, int nsrv)
{
	static struct srv sv[MAX_SRV];
	atomic_bool stop = false;
	int port = 0, to_child[2], from_child[2];
	char ports[16], vers[4], ns[8], out[64] = {0};
	long c0 = 0, c1 = 0, cdone = 0, cfailed = 0, first0 = 0, first1 = 0;
	double t0, t1, s0, s1, k0, k1, m0, m1;
	struct result r;
	pid_t pid;

	for (int i = 0; i < nsrv; i++) {
		sv[i].lst = reuseport_listener(ver, loop, &port);
		sv[i].dtls = ver == VDTLS;
		sv[i].loop = loop;
		sv[i].stop = &stop;
		atomic_store(&sv[i].done, 0);
		atomic_store(&sv[i].failed, 0);
	}
	for (int i = 0; i < nsrv; i++) {
		if (pthread_create(&sv[i].th, NULL, server_main, &sv[i]) != 0) {
			bench_die("pthread_create");
		}
	}
	if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
		bench_die("pipe: %s", strerror(errno));
	}
	snprintf(ports, sizeof(ports), "%d", port);
	snprintf(vers, sizeof(vers), "%d", ver);
	snprintf(ns, sizeof(ns), "%d", g->clients);
	pid = fork();
	if (pid < 0) {
		bench_die("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		execl(g->self, g->self, "--certs", g->certs, "--client-role", ports, vers, ns,
		      (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	sleep_s(g->warm);
	t0 = now_s();
	s0 = rusage_s();
	k0 = proc_cpu_s(pid);
	m0 = machine_busy_s();
	for (int i = 0; i < nsrv; i++) {
		c0 += atomic_load(&sv[i].done);
	}
	first0 = atomic_load(&sv[0].done);
	sleep_s(g->secs);
	t1 = now_s();
	s1 = rusage_s();
	k1 = proc_cpu_s(pid);
	m1 = machine_busy_s();
	for (int i = 0; i < nsrv; i++) {
		c1 += atomic_load(&sv[i].done);
	}
	first1 = atomic_load(&sv[0].done);
	close(to_child[1]); /* the clients stop; the servers answer their last connects */
	if (read(from_child[0], out, sizeof(out) - 1) <= 0 ||
	    sscanf(out, "%ld %ld", &cdone, &cfailed) != 2) {
		bench_die("the client process reported nothing");
	}
	close(from_child[0]);
	waitpid(pid, NULL, 0);
	atomic_store(&stop, true);
	for (int i = 0; i < nsrv; i++) {
		pthread_join(sv[i].th, NULL);
		zsock_close(sv[i].lst);
		if (atomic_load(&sv[i].failed) > 0) {
			bench_die("server %d: %ld failed accepts", i, atomic_load(&sv[i].failed));
		}
	}
	if (cfailed > 0) {
		bench_die("%ld failed connects", cfailed);
	}
	r.hs_wall = (double)(c1 - c0) / (t1 - t0);
	r.srv_cpu = (s1 - s0) / (t1 - t0);
	r.cli_cpu = (k1 - k0) / (t1 - t0);
	r.hs_per_cpu = (double)(c1 - c0) / (s1 - s0);
	r.share0 = c1 > c0 ? (double)(first1 - first0) / (double)(c1 - c0) : 0;
	r.other_cpu = (m1 - m0) / (t1 - t0) - r.srv_cpu - r.cli_cpu;
	if (r.other_cpu < 0) {
		r.other_cpu = 0; /* clock-tick rounding */
	}
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 15

int main(int argc, char **argv)
{
	struct cfg g = {.secs = 3,
			.warm = 0.5,
			.rounds = 3,
			.clients = 4,
			.certs = BENCH_CERTS_DIR,
			.self = "/proc/self/exe"};
	static char self[4096];
	ssize_t sl;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			g.secs = 0.5;
			g.warm = 0.2;
			g.rounds = 1;
		} else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc) {
			g.secs = atof(argv[++i]);
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			g.rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
			g.clients = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--certs") == 0 && i + 1 < argc) {
			g.certs = argv[++i];
		} else if (strcmp(argv[i], "--client-role") == 0 && i + 3 < argc) {
			int port = atoi(argv[i + 1]), ver = atoi(argv[i + 2]),
			    n = atoi(argv[i + 3]);

			if (ver < 0 || ver >= NKIND || n < 1 || n > MAX_CLI) {
				bench_die("bad --client-role");
			}
			return client_role(port, ver, n, g.certs);
		} else {
			fprintf(stderr,
				"usage: bench_mt [--quick] [--secs S] [--rounds R] [--clients C] "
				"[--certs DIR]\n");
			return 2;
		}
	}
	if (g.rounds < 1 || g.rounds > MAX_ROUNDS || g.clients < 1 || g.clients > MAX_CLI ||
	    g.secs <= 0) {
		bench_die("bad arguments");
	}
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		bench_die("readlink /proc/self/exe: %s", strerror(errno));
	}
	self[sl] = '\0';
	g.self = self;
	bench_add_credentials(g.certs);
	printf("bench_mt: full handshakes (ECDSA P-256, no resumption; DTLS: + 1 byte), %d client "
	       "threads in "
	       "another process, %ld CPUs online, %.1f s x %d rounds (median)\n",
	       g.clients, sysconf(_SC_NPROCESSORS_ONLN), g.secs, g.rounds);
	printf("%-13s %7s %10s %10s %10s %12s %12s %8s\n", "server", "servers", "hs/s wall",
	       "srv cores", "cli cores", "other cores", "hs/srv CPU-s", "1st lst");
	for (int k = 0; k < NKIND + NVER; k++) {
		/* TLS 1.2, TLS 1.3 blocking; TLS 1.2, TLS 1.3 event loop; DTLS 1.2 */
		int ver = k < NVER ? k : k < 2 * NVER ? k - NVER : VDTLS;
		bool loop = k >= NVER && k < 2 * NVER;
		char name[32];
		double w[MAX_SRV + 1][MAX_ROUNDS], sc[MAX_SRV + 1][MAX_ROUNDS];
		double cc[MAX_SRV + 1][MAX_ROUNDS], pc[MAX_SRV + 1][MAX_ROUNDS];
		double oc[MAX_SRV + 1][MAX_ROUNDS], sh[MAX_SRV + 1][MAX_ROUNDS];
		double mw[MAX_SRV + 1], mpc[MAX_SRV + 1];

		for (int r = 0; r < g.rounds; r++) {
			for (int n = 1; n <= MAX_SRV; n++) { /* alternate: drift hits both */
				struct result x = run(&g, ver, loop, n);

				w[n][r] = x.hs_wall;
				sc[n][r] = x.srv_cpu;
				cc[n][r] = x.cli_cpu;
				pc[n][r] = x.hs_per_cpu;
				oc[n][r] = x.other_cpu;
				sh[n][r] = x.share0;
			}
		}
		snprintf(name, sizeof(name), "%s%s", kind_name[ver],
			 ver == VDTLS ? ""
			 : loop       ? " loop"
				      : " block");
		for (int n = 1; n <= MAX_SRV; n++) {
			double msc = median(sc[n], g.rounds), mcc = median(cc[n], g.rounds);
			double moc = median(oc[n], g.rounds), msh = median(sh[n], g.rounds);

			mw[n] = median(w[n], g.rounds);
			mpc[n] = median(pc[n], g.rounds);
			printf("%-13s %7d %10.0f %10.2f %10.2f %12.2f %12.0f %7.0f%%\n", name, n,
			       mw[n], msc, mcc, moc, mpc[n], 100 * msh);
		}
		printf("%-13s ratio 2/1: wall %.2fx (target 1.8x: %s), per server CPU-second "
		       "%.2fx\n",
		       name, mw[2] / mw[1], mw[2] / mw[1] >= 1.8 ? "met" : "not met",
		       mpc[2] / mpc[1]);
		fflush(stdout);
	}
	return 0;
}
