/*
 * Memory per idle established connection (docs/benchmarks.md), for secsock,
 * the raw Mbed TLS loop and OpenSSL (bench_openssl_mem).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/*
 * Two ways, in bytes per connection:
 *  - bench_mem_pairs: one process, a server thread and the client (main)
 *    thread as in the timed metrics; heap (mallinfo2, all arenas) growth while
 *    N pairs are open, split into client and server by what closing each
 *    side's N sockets gives back ("residual": still held after both closed).
 *    No RSS here: after the earlier runs the heap holds free resident pages
 *    that new connections reuse without a page fault.
 *  - bench_mem_fresh: each side in a fresh process, heap and RSS growth.
 * Every measurement follows MEM_WARM connections opened and closed, so
 * lazily built state (listener config, fd-table page, PSA) is not counted.
 * Neither side reads after the handshake; resumption is off.
 */

int bench_mem_idle_ms = MEM_IDLE_MS;

/* The server side of bench_mem_pairs(), in its own thread; barriers A..E. */
struct mem_job {
	const struct impl *im;
	struct run_opts o;
	int listener;
	long n;
	conn_t *held; /* MEM_WARM + n */
	pthread_barrier_t bar;
};

static void *mem_server(void *arg)
{
	struct mem_job *j = arg;
	const struct impl *im = j->im;

	bench_pin_self(1);
	for (int i = 0; i < MEM_WARM; i++) {
		j->held[i] = im->accept(j->listener, &j->o);
	}
	pthread_barrier_wait(&j->bar); /* A: warm-up connections up */
	for (int i = 0; i < MEM_WARM; i++) {
		im->close(j->held[i]);
	}
	pthread_barrier_wait(&j->bar); /* B: warm-up connections gone */
	for (long i = 0; i < j->n; i++) {
		j->held[MEM_WARM + i] = im->accept(j->listener, &j->o);
	}
	pthread_barrier_wait(&j->bar); /* C: all accepted */
	pthread_barrier_wait(&j->bar); /* D: client sides measured and closed */
	for (long i = 0; i < j->n; i++) {
		im->close(j->held[MEM_WARM + i]);
	}
	pthread_barrier_wait(&j->bar); /* E: server sides closed */
	return NULL;
}

struct mem_result bench_mem_pairs(const struct impl *im, int ver, long n)
{
	conn_t *cli = calloc((size_t)(MEM_WARM + n), sizeof(conn_t));
	struct mem_job j = {.im = im, .o = {ver, false}, .n = n};
	struct heap_rss h0, h1, h2, h3;
	struct mem_result r = {0};
	pthread_t t;
	int port;

	j.held = calloc((size_t)(MEM_WARM + n), sizeof(conn_t));
	if (cli == NULL || j.held == NULL) {
		bench_die("out of memory");
	}
	pthread_barrier_init(&j.bar, NULL, 2);
	j.listener = im->listen(&j.o, &port);
	if (pthread_create(&t, NULL, mem_server, &j) != 0) {
		bench_die("pthread_create");
	}
	for (int i = 0; i < MEM_WARM; i++) {
		cli[i] = im->connect(port, &j.o);
	}
	pthread_barrier_wait(&j.bar); /* A */
	for (int i = 0; i < MEM_WARM; i++) {
		im->close(cli[i]);
	}
	pthread_barrier_wait(&j.bar); /* B */
	h0 = bench_heap_rss();
	for (long i = 0; i < n; i++) {
		cli[MEM_WARM + i] = im->connect(port, &j.o);
	}
	pthread_barrier_wait(&j.bar); /* C */
	h1 = bench_heap_rss();
	for (long i = 0; i < n; i++) {
		im->close(cli[MEM_WARM + i]);
	}
	h2 = bench_heap_rss();
	pthread_barrier_wait(&j.bar); /* D */
	pthread_barrier_wait(&j.bar); /* E */
	h3 = bench_heap_rss();
	pthread_join(t, NULL);
	im->close_listener(j.listener);
	pthread_barrier_destroy(&j.bar);
	free(cli);
	free(j.held);
	r.pair_heap = (h1.heap - h0.heap) / (double)n;
	r.client_heap = (h1.heap - h2.heap) / (double)n;
	r.server_heap = (h2.heap - h3.heap) / (double)n;
	r.residual_heap = (h3.heap - h0.heap) / (double)n;
	return r;
}

/*
 * Fresh processes: RSS growth only means something in a process whose heap has
 * no free resident pages left over from earlier work (they would be reused
 * without a page fault). So each side runs in a new process (this program,
 * or bench_openssl_mem, re-executed with --mem-role), talking line by line
 * on stdin/stdout:
 *   server: "port P" -> accepts MEM_WARM, closes them -> "ready" -> accepts
 *           N -> "result HEAP RSS" -> waits for "done"
 *   client: MEM_WARM connects + closes -> "warm" -> waits for "go" -> N
 *           connects -> "result HEAP RSS" -> waits for "done"
 * HEAP and RSS are bytes per connection of that side.
 */
static void role_wait(const char *word)
{
	char line[64];

	if (fgets(line, sizeof(line), stdin) == NULL || strncmp(line, word, strlen(word)) != 0) {
		exit(3);
	}
}

void bench_mem_role(const char *role, const struct impl *im, int ver, long n, int port)
{
	struct run_opts o = {ver, false};
	conn_t *h = calloc((size_t)(MEM_WARM + n), sizeof(conn_t));
	bool server = strcmp(role, "server") == 0;
	struct heap_rss a, b;
	int l = -1;

	if (h == NULL) {
		bench_die("out of memory");
	}
	if (server) {
		l = im->listen(&o, &port);
		printf("port %d\n", port);
		fflush(stdout);
	}
	for (int i = 0; i < MEM_WARM; i++) {
		h[i] = server ? im->accept(l, &o) : im->connect(port, &o);
	}
	for (int i = 0; i < MEM_WARM; i++) {
		im->close(h[i]);
	}
	if (bench_hibernate_ms > 0) {
		/*
		 * Hibernation trims the heap (malloc_trim): start from a trimmed
		 * heap, so that pages freed before the baseline are not counted as
		 * given back by the connections measured.
		 */
		(void)malloc_trim(0);
	}
	if (server) {
		a = bench_heap_rss();
		printf("ready\n");
		fflush(stdout);
	} else {
		printf("warm\n");
		fflush(stdout);
		role_wait("go");
		a = bench_heap_rss();
	}
	for (long i = 0; i < n; i++) {
		h[MEM_WARM + i] = server ? im->accept(l, &o) : im->connect(port, &o);
	}
	if (bench_mem_idle_ms > 0) {
		im->idle(h + MEM_WARM, n, bench_mem_idle_ms);
	}
	b = bench_heap_rss();
	printf("result %.1f %.1f\n", (b.heap - a.heap) / (double)n, (b.rss - a.rss) / (double)n);
	fflush(stdout);
	role_wait("done");
	exit(0); /* the kernel closes the sockets */
}

struct child {
	pid_t pid;
	FILE *in;  /* its stdin */
	FILE *out; /* its stdout */
};

static bool spawn(struct child *c, char *const argv[])
{
	int to[2], from[2];

	if (pipe(to) < 0 || pipe(from) < 0) {
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0) {
		return false;
	}
	if (c->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->in = fdopen(to[1], "w");
	c->out = fdopen(from[0], "r");
	return c->in != NULL && c->out != NULL;
}

static bool child_line(struct child *c, const char *word, char *line, size_t size)
{
	return fgets(line, (int)size, c->out) != NULL && strncmp(line, word, strlen(word)) == 0;
}

static void child_say(struct child *c, const char *word)
{
	fprintf(c->in, "%s\n", word);
	fflush(c->in);
}

static bool child_end(struct child *c)
{
	int status = 0;

	child_say(c, "done");
	fclose(c->in);
	fclose(c->out);
	return waitpid(c->pid, &status, 0) == c->pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/*
 * One side per fresh process. srv_argv/cli_argv: the role command lines
 * without the port; "%PORT%" in cli_argv is replaced. Returns false if a
 * child failed.
 */
static bool run_mem_fresh(char **srv_argv, char **cli_argv, struct mem_result *r)
{
	struct child srv, cli;
	char line[256], portbuf[16];
	char *argv[32];
	int port = 0, i;
	bool ok;

	if (!spawn(&srv, srv_argv) || !child_line(&srv, "port ", line, sizeof(line)) ||
	    sscanf(line, "port %d", &port) != 1) {
		return false;
	}
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	for (i = 0; cli_argv[i] != NULL && i < 31; i++) {
		argv[i] = strcmp(cli_argv[i], "%PORT%") == 0 ? portbuf : cli_argv[i];
	}
	argv[i] = NULL;
	ok = spawn(&cli, argv) && child_line(&cli, "warm", line, sizeof(line)) &&
	     child_line(&srv, "ready", line, sizeof(line));
	if (ok) {
		child_say(&cli, "go");
		ok = child_line(&cli, "result ", line, sizeof(line)) &&
		     sscanf(line, "result %lf %lf", &r->c_heap, &r->c_rss) == 2 &&
		     child_line(&srv, "result ", line, sizeof(line)) &&
		     sscanf(line, "result %lf %lf", &r->s_heap, &r->s_rss) == 2;
	}
	ok = child_end(&cli) && ok;
	ok = child_end(&srv) && ok;
	return ok;
}

static void self_exe(char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);

	path[n > 0 ? n : 0] = 0;
}

void bench_mem_fresh(const char *impl, int ver, long n, const char *certs, struct mem_result *r)
{
	char exe[4096], v[8], nb[24];
	char idle[16], hib[16];
	char *srv[] = {exe,
		       "--certs",
		       (char *)certs,
		       "--mem-role",
		       "server",
		       "--mem-impl",
		       (char *)impl,
		       "--mem-ver",
		       v,
		       "--mem-n",
		       nb,
		       "--mem-idle-ms",
		       idle,
		       "--hibernate",
		       hib,
		       NULL};
	char *cli[] = {exe,           "--certs",    (char *)certs,
		       "--mem-role",  "client",     "--mem-impl",
		       (char *)impl,  "--mem-ver",  v,
		       "--mem-n",     nb,           "--mem-idle-ms",
		       idle,          "--mem-port", "%PORT%",
		       "--hibernate", hib,          NULL};

	snprintf(idle, sizeof(idle), "%d", bench_mem_idle_ms);
	snprintf(hib, sizeof(hib), "%d", bench_hibernate_ms);
	self_exe(exe, sizeof(exe));
	snprintf(v, sizeof(v), "%d", ver);
	snprintf(nb, sizeof(nb), "%ld", n);
	if (!run_mem_fresh(srv, cli, r)) {
		bench_die("memory measurement in fresh processes failed (%s)", impl);
	}
}

/* ------------------------------------------------------------------ */
/* OpenSSL memory numbers from bench_openssl_mem (a separate program)   */

static void exe_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n < 0) {
		n = 0;
	}
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = 0;
	} else {
		snprintf(dir, size, ".");
	}
}

struct ossl_mem bench_mem_openssl(const char *certs, long n)
{
	struct ossl_mem m = {0};
	char dir[4096], prog[4200], cmd[9000], line[512];
	FILE *p;

	exe_dir(dir, sizeof(dir));
	snprintf(prog, sizeof(prog), "%s/bench_openssl_mem", dir);
	if (access(prog, X_OK) != 0) {
		return m;
	}
	snprintf(cmd, sizeof(cmd), "'%s' %ld '%s' 2>&1", prog, n, certs);
	p = popen(cmd, "r");
	if (p == NULL) {
		return m;
	}
	int seen = 0;

	while (fgets(line, sizeof(line), p) != NULL) {
		struct mem_result r;
		double pair_rss; /* one-process RSS: not shown (see above) */
		int v;

		if (sscanf(line,
			   "openssl-mem v=%d pair=%lf rss=%lf client=%lf server=%lf residual=%lf",
			   &v, &r.pair_heap, &pair_rss, &r.client_heap, &r.server_heap,
			   &r.residual_heap) == 6 &&
		    v >= 0 && v < NVER) {
			m.r[v].pair_heap = r.pair_heap;
			m.r[v].client_heap = r.client_heap;
			m.r[v].server_heap = r.server_heap;
			m.r[v].residual_heap = r.residual_heap;
			seen |= 1 << v;
		} else if (strncmp(line, "openssl-version ", 16) == 0) {
			snprintf(m.version, sizeof(m.version), "%.*s",
				 (int)strcspn(line + 16, "\n"), line + 16);
		} else {
			fputs(line, stderr);
		}
	}
	m.ok = pclose(p) == 0 && seen == 3;
	for (int v = 0; v < NVER && m.ok; v++) {
		char vb[8], nb[24];
		char *srv[] = {prog, "--role", "server", vb, nb, (char *)certs, NULL};
		char *cli[] = {prog, "--role", "client", vb, nb, (char *)certs, "%PORT%", NULL};

		snprintf(vb, sizeof(vb), "%d", v);
		snprintf(nb, sizeof(nb), "%ld", n);
		m.ok = run_mem_fresh(srv, cli, &m.r[v]);
	}
	return m;
}

void bench_mem_print(const struct mem_result m[2][NVER], const struct ossl_mem *o, long n)
{
	static const char *const who[3] = {"secsock", "raw Mbed TLS", "OpenSSL"};

	printf("\nmemory per idle established connection, N=%ld, KiB (1 KiB = 1024 B)\n", n);
	printf("%-13s %-8s | %-31s | %-31s\n", "", "", "each side in a fresh process",
	       "one process, N client+server pairs");
	printf("%-13s %-8s | %7s %7s %7s %7s | %7s %7s %7s %7s\n", "", "version", "cli.RSS",
	       "srv.RSS", "cli.hp", "srv.hp", "pair hp", "cli.hp", "srv.hp", "resid.");
	for (int w = 0; w < 3; w++) {
		for (int v = 0; v < NVER; v++) {
			const struct mem_result *r = w < 2 ? &m[w][v] : &o->r[v];

			if (w == 2 && !o->ok) {
				printf("%-13s %-8s | not measured (bench_openssl_mem not built)\n",
				       who[w], bench_ver_name[v]);
				continue;
			}
			printf("%-13s %-8s | %7.1f %7.1f %7.1f %7.1f | %7.1f %7.1f %7.1f %7.1f\n",
			       who[w], bench_ver_name[v], r->c_rss / 1024, r->s_rss / 1024,
			       r->c_heap / 1024, r->s_heap / 1024, r->pair_heap / 1024,
			       r->client_heap / 1024, r->server_heap / 1024,
			       r->residual_heap / 1024);
		}
	}
	if (o->ok) {
		printf("(%s)\n", o->version);
	}
#if defined(__SANITIZE_ADDRESS__)
	printf("NOTE: AddressSanitizer build: its allocator makes these numbers meaningless\n");
#endif
	printf("RSS = resident pages (/proc/self/statm), hp = heap in use (mallinfo2), growth per "
	       "connection; one process: cli.hp/srv.hp = heap given back when that side's N "
	       "sockets close, resid. = still held after both closed\n");
	if (!o->ok) {
		return;
	}
	for (int v = 0; v < NVER; v++) {
		const struct mem_result *s = &m[0][v], *x = &o->r[v];

		printf("target %s, resident below OpenSSL: client %.1f vs %.1f KiB: %s; server "
		       "%.1f "
		       "vs %.1f KiB: %s\n",
		       bench_ver_name[v], s->c_rss / 1024, x->c_rss / 1024,
		       s->c_rss < x->c_rss ? "ok" : "NOT below", s->s_rss / 1024, x->s_rss / 1024,
		       s->s_rss < x->s_rss ? "ok" : "NOT below");
	}
}
