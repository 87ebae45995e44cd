/*
 * bench_poll (docs/benchmarks.md, "zsock_poll over 10,000 TLS connections"):
 * one server process holds N concurrent TLS connections and serves all of
 * them through one zsock_poll() over the whole set.
 *
 *   - RLIMIT_NOFILE: the soft limit is raised to the hard one; if that is
 *     too low for N, N is scaled down and the program says so.
 *   - Clients: a forked child process (secsock client sockets, one
 *     zsock_poll loop), forked before either side touches secsock.
 *   - Handshakes: TLS 1.2, TLS_PSK_WITH_AES_128_GCM_SHA256 (0x00A8), a PSK
 *     full handshake (no certificate, no ECDHE), asynchronous on both sides.
 *   - (a) cost of one zsock_poll(N, timeout 0 or 1000 ms) with k descriptors
 *     ready against the kernel's poll() over the same array (a secure
 *     socket's number is its kernel socket), calls interleaved, median of
 *     many; k ready = k descriptors asked for POLLOUT (writable, a state that
 *     neither call changes), the others for POLLIN (idle).
 *   - (b) echo round trips per second over all N: every connection sends a
 *     64-byte request per round, the server echoes it, the client checks
 *     every byte.
 *   - resident memory per connection of the server process at N.
 *
 * usage: bench_poll [--quick] [--n N] [--reps R] [--rounds R]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#define TAG_PSK     7
#define SUITE       0x00A8 /* TLS_PSK_WITH_AES_128_GCM_SHA256 */
#define MSG_LEN     64
#define WINDOW      256   /* client handshakes in flight */
#define STALL_MS    20000 /* no progress for this long: stuck */
#define FD_RESERVE  64    /* descriptors besides the connections */
#define IDLE_TRIM_S 0.3
#define CG_CALLS                                                                                   \
	10 /* calls per callgrind dump */ /* quiet time before measuring (secsock trims after 100  \
					     ms) */

enum {
	CMD_PORT = 1,
	CMD_READY,
	CMD_ECHO,
	CMD_ECHO_DONE,
	CMD_QUIT
};

struct ctl_msg {
	int cmd;
	int arg;
	double val;
};

static const unsigned char psk[32] = {
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba,
	0xcb, 0xdc, 0xed, 0xfe, 0x0f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01,
};

static const char *role = "server";

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_poll %s: ", role);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * This thread's CPU time: a call's cost without the time the thread sat
 * preempted, which on a loaded machine is most of the wall time.
 */
static double thread_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void ctl_send(int fd, int cmd, int arg, double val)
{
	struct ctl_msg m = {cmd, arg, val};

	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		die("control write: %s", strerror(errno));
	}
}

static struct ctl_msg ctl_recv(int fd)
{
	struct ctl_msg m;
	ssize_t n = read(fd, &m, sizeof(m));

	if (n != (ssize_t)sizeof(m)) {
		die("control read: %zd (%s)", n, n < 0 ? strerror(errno) : "peer gone");
	}
	return m;
}

static void add_psk(void)
{
	static const char id[] = "bench-poll";

	if (tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) != 0 ||
	    tls_credential_add(TAG_PSK, TLS_CREDENTIAL_PSK_ID, id, sizeof(id) - 1) != 0) {
		die("tls_credential_add");
	}
}

static void tls_opts(int fd)
{
	static const int suites[] = {SUITE};
	sec_tag_t tag = TAG_PSK;
	int one = 1;

	if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof(tag)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, sizeof(suites)) < 0 ||
	    zsock_setsockopt(fd, SOL_TLS, SECSOCK_TLS_ASYNC_HANDSHAKE, &one, sizeof(one)) < 0 ||
	    zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		die("zsock_setsockopt: %s", strerror(errno));
	}
}

/* Resident and heap bytes of this process. */
static void mem_now(double *rss, double *heap)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	struct mallinfo2 mi = mallinfo2();

	if (f == NULL || fscanf(f, "%ld %ld", &pages, &res) != 2) {
		die("/proc/self/statm");
	}
	fclose(f);
	*rss = (double)res * (double)sysconf(_SC_PAGESIZE);
	*heap = (double)(mi.uordblks + mi.hblkhd);
}

/* ---- the client process ---- */

struct cconn {
	int fd;
	size_t got;
	unsigned char msg[MSG_LEN];
};

static void fill_msg(unsigned char *m, long i, int round)
{
	for (int j = 0; j < MSG_LEN; j++) {
		m[j] = (unsigned char)(i * 131 + round * 17 + j * 7 + 1);
	}
}

static int client_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2);

	if (fd < 0) {
		die("zsock_socket: %s", strerror(errno));
	}
	tls_opts(fd);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (zsock_connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		die("zsock_connect: %s", strerror(errno));
	}
	return fd;
}

static int cpoll(struct pollfd *p, int n)
{
	int r = zsock_poll((struct zsock_pollfd *)p, n, STALL_MS);

	if (r < 0) {
		die("zsock_poll: %s", strerror(errno));
	}
	if (r == 0) {
		die("no progress for %d ms", STALL_MS);
	}
	return r;
}

/* Open n connections, WINDOW handshakes at a time. */
static void client_open(struct cconn *c, long n, int port)
{
	struct pollfd *p = calloc(WINDOW, sizeof(*p));
	long *idx = calloc(WINDOW, sizeof(*idx));
	long next = 0, done = 0;
	int inflight = 0;

	if (p == NULL || idx == NULL) {
		die("calloc");
	}
	while (done < n) {
		while (inflight < WINDOW && next < n) {
			c[next].fd = client_connect(port);
			p[inflight] = (struct pollfd){.fd = c[next].fd, .events = POLLOUT};
			idx[inflight++] = next++;
		}
		cpoll(p, inflight);
		for (int i = 0; i < inflight; i++) {
			if (p[i].revents == 0) {
				continue;
			}
			if (p[i].revents != POLLOUT) {
				int err = 0;
				socklen_t len = sizeof(err);

				(void)zsock_getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				die("handshake: revents 0x%x, %s", p[i].revents, strerror(err));
			}
			done++;
			p[i--] = p[--inflight];
			idx[i + 1] = idx[inflight];
		}
	}
	free(p);
	free(idx);
}

/* rounds echo rounds over all n: send every request, then collect every echo. */
static void client_echo(struct cconn *c, long n, int rounds, struct pollfd *p)
{
	for (int r = 0; r < rounds; r++) {
		long left = n;

		for (long i = 0; i < n; i++) {
			fill_msg(c[i].msg, i, r);
			c[i].got = 0;
			for (int tries = 0;; tries++) {
				ssize_t w = zsock_send(c[i].fd, c[i].msg, MSG_LEN, 0);

				if (w == MSG_LEN) {
					break;
				}
				if (w >= 0 || errno != EAGAIN || tries > 1000) {
					die("zsock_send: %zd %s", w, strerror(errno));
				}
				struct pollfd one = {.fd = c[i].fd, .events = POLLOUT};

				cpoll(&one, 1);
			}
			p[i] = (struct pollfd){.fd = c[i].fd, .events = POLLIN};
		}
		while (left > 0) {
			cpoll(p, (int)n);
			for (long i = 0; i < n; i++) {
				unsigned char buf[MSG_LEN];
				ssize_t got;

				if (p[i].revents == 0) {
					continue;
				}
				if (p[i].revents != POLLIN) {
					die("echo: revents 0x%x on connection %ld", p[i].revents,
					    i);
				}
				got = zsock_recv(c[i].fd, buf, MSG_LEN - c[i].got, 0);
				if (got < 0 && errno == EAGAIN) {
					continue;
				}
				if (got <= 0) {
					die("zsock_recv: %zd %s", got, strerror(errno));
				}
				if (memcmp(buf, c[i].msg + c[i].got, (size_t)got) != 0) {
					die("echo: wrong bytes on connection %ld, round %d", i, r);
				}
				c[i].got += (size_t)got;
				if (c[i].got == MSG_LEN) {
					p[i].fd = -1; /* this round's echo is complete */
					left--;
				}
			}
		}
	}
}

static int client_main(int ctl, long n)
{
	struct cconn *c = calloc((size_t)n, sizeof(*c));
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	struct ctl_msg m;

	role = "client";
	if (c == NULL || p == NULL) {
		die("calloc");
	}
	add_psk();
	m = ctl_recv(ctl);
	if (m.cmd != CMD_PORT) {
		die("expected the port");
	}
	client_open(c, n, m.arg);
	ctl_send(ctl, CMD_READY, 0, 0);
	for (;;) {
		m = ctl_recv(ctl);
		if (m.cmd == CMD_QUIT) {
			break;
		}
		if (m.cmd != CMD_ECHO) {
			die("unexpected command %d", m.cmd);
		}
		double t0 = now_s();

		client_echo(c, n, m.arg, p);
		ctl_send(ctl, CMD_ECHO_DONE, 0, now_s() - t0);
	}
	for (long i = 0; i < n; i++) {
		zsock_close(c[i].fd);
	}
	free(c);
	free(p);
	return 0;
}

/* ---- the server process ---- */

struct server {
	long n;       /* connections wanted */
	long have;    /* accepted */
	int listener; /* secure listener */
	int ctl;
	struct pollfd *p; /* [0] ctl, [1] listener, [2 ..] connections */
};

static void srv_accept(struct server *s)
{
	while (s->have < s->n) {
		int fd = zsock_accept(s->listener, NULL, NULL);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				return;
			}
			die("zsock_accept: %s", strerror(errno));
		}
		if (zsock_fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
			die("zsock_fcntl: %s", strerror(errno));
		}
		s->p[2 + s->have++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
}

/* Echo what a connection sent. */
static long srv_echo(int fd)
{
	unsigned char buf[4 * MSG_LEN];
	ssize_t n = zsock_recv(fd, buf, sizeof(buf), 0);

	if (n < 0 && errno == EAGAIN) {
		return 0;
	}
	if (n <= 0) {
		die("zsock_recv: %zd %s", n, strerror(errno));
	}
	for (ssize_t off = 0, tries = 0; off < n; tries++) {
		ssize_t w = zsock_send(fd, buf + off, (size_t)(n - off), 0);

		if (w > 0) {
			off += w;
			continue;
		}
		if (w == 0 || errno != EAGAIN || tries > 1000) {
			die("zsock_send: %zd %s", w, strerror(errno));
		}
		struct pollfd one = {.fd = fd, .events = POLLOUT};

		(void)zsock_poll((struct zsock_pollfd *)&one, 1, 1000);
	}
	return (long)n;
}

/*
 * One zsock_poll over ctl, listener and every connection until the client
 * says @p until; echoes requests on the way.
 */
static struct ctl_msg srv_loop(struct server *s, int until, long *polls)
{
	for (;;) {
		int total = (int)(2 + s->have);
		int r = zsock_poll((struct zsock_pollfd *)s->p, total, STALL_MS);

		if (r < 0) {
			die("zsock_poll: %s", strerror(errno));
		}
		if (r == 0) {
			die("no progress for %d ms (%ld of %ld accepted)", STALL_MS, s->have, s->n);
		}
		(*polls)++;
		for (int i = 2; i < total; i++) {
			short rev = s->p[i].revents;

			if (rev == 0) {
				continue;
			}
			if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
				die("connection %d: revents 0x%x", i - 2, rev);
			}
			(void)srv_echo(s->p[i].fd);
		}
		if (s->p[1].revents & POLLIN) {
			srv_accept(s);
		}
		if (s->p[0].revents & POLLIN) {
			struct ctl_msg m = ctl_recv(s->ctl);

			if (m.cmd != until) {
				die("unexpected control message %d", m.cmd);
			}
			return m;
		}
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Instructions of this thread (user + kernel, or user only), -1 if perf events are refused. */
static int perf_fd = -1;
static bool perf_user_only;

static void perf_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
	};

	perf_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (perf_fd < 0) {
		a.exclude_kernel = 1; /* perf_event_paranoid 2: this process's user space only */
		a.exclude_hv = 1;
		perf_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
		perf_user_only = perf_fd >= 0;
	}
}

static double insns(void)
{
	uint64_t v;

	if (perf_fd < 0 || read(perf_fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		return -1;
	}
	return (double)v;
}

struct stats {
	double med, p10, p90; /* thread CPU ns per call */
	double ins;           /* median instructions per call, -1: n/a */
};

static struct stats summarize(double *t, double *ins, int reps)
{
	struct stats st;

	qsort(t, (size_t)reps, sizeof(*t), cmp_dbl);
	qsort(ins, (size_t)reps, sizeof(*ins), cmp_dbl);
	st.med = t[reps / 2];
	st.p10 = t[reps / 10];
	st.p90 = t[reps - 1 - reps / 10];
	st.ins = ins[reps / 2];
	return st;
}

/*
 * (a): zsock_poll and poll over the same N descriptors, k of them asked for
 * POLLOUT (ready), the others for POLLIN (idle); calls interleaved.
 */
static void measure_cost(struct server *s, int k, int timeout, int reps)
{
	long n = s->have;
	struct pollfd *fds = calloc((size_t)n, sizeof(*fds));
	double *tz = calloc((size_t)reps, sizeof(double)),
	       *tk = calloc((size_t)reps, sizeof(double));
	double *iz = calloc((size_t)reps, sizeof(double)),
	       *ik = calloc((size_t)reps, sizeof(double));
	struct stats z, kp;

	if (fds == NULL || tz == NULL || tk == NULL || iz == NULL || ik == NULL) {
		die("calloc");
	}
	for (long i = 0; i < n; i++) {
		fds[i] = (struct pollfd){.fd = s->p[2 + i].fd, .events = POLLIN};
	}
	for (int j = 0; j < k; j++) {
		fds[(long)j * (n / k)].events = POLLOUT;
	}
	for (int r = -2; r < reps; r++) { /* two warm-up calls */
		for (int which = 0; which < 2; which++) {
			double i0 = insns(), t0 = thread_cpu_s();
			int got = which == 0
					  ? zsock_poll((struct zsock_pollfd *)fds, (int)n, timeout)
					  : poll(fds, (nfds_t)n, timeout);
			double t1 = thread_cpu_s(), i1 = insns();

			if (got != k) {
				die("%s(k=%d): %d ready (%s)", which == 0 ? "zsock_poll" : "poll",
				    k, got, got < 0 ? strerror(errno) : "wrong count");
			}
			if (r >= 0) {
				(which == 0 ? tz : tk)[r] = (t1 - t0) * 1e9;
				(which == 0 ? iz : ik)[r] = i0 < 0 ? -1 : i1 - i0;
			}
		}
	}
#ifdef HAVE_CALLGRIND
	/*
	 * Under valgrind --tool=callgrind --collect-atstart=no (docs/benchmarks.md):
	 * one dump per call kind of CG_CALLS calls each, user-space instructions
	 * only (the kernel's are the same for both: zsock_poll hands the kernel
	 * the same N descriptors, plus its eventfd slot).
	 */
	if (RUNNING_ON_VALGRIND) {
		for (int which = 0; which < 2; which++) {
			char name[96];

			CALLGRIND_ZERO_STATS;
			CALLGRIND_TOGGLE_COLLECT;
			for (int r = 0; r < CG_CALLS; r++) {
				(void)(which == 0 ? zsock_poll((struct zsock_pollfd *)fds, (int)n,
							       timeout)
						  : poll(fds, (nfds_t)n, timeout));
			}
			CALLGRIND_TOGGLE_COLLECT;
			snprintf(name, sizeof(name), "%s n=%ld k=%d timeout=%d calls=%d",
				 which == 0 ? "zsock_poll" : "poll", n, k, timeout, CG_CALLS);
			CALLGRIND_DUMP_STATS_AT(name);
		}
	}
#endif
	z = summarize(tz, iz, reps);
	kp = summarize(tk, ik, reps);
	printf("%6ld %4d %7d | %9.0f %9.0f %9.0f | %9.0f %9.0f %9.0f | %6.3f %8.2f | ", n, k,
	       timeout, z.med, z.p10, z.p90, kp.med, kp.p10, kp.p90, z.med / kp.med,
	       (z.med - kp.med) / (double)n);
	if (z.ins >= 0 && kp.ins >= 0) {
		printf("%10.0f %10.0f %6.3f %7.2f\n", z.ins, kp.ins, z.ins / kp.ins,
		       (z.ins - kp.ins) / (double)n);
	} else {
		printf("(no perf events)\n");
	}
	free(fds);
	free(tz);
	free(tk);
	free(iz);
	free(ik);
}

/* Let every connection go quiet long enough for the idle trim, polling as a server does. */
static void srv_idle(struct server *s, double secs)
{
	double end = now_s() + secs;

	while (now_s() < end) {
		int r = zsock_poll((struct zsock_pollfd *)s->p, (int)(2 + s->have), 50);

		if (r != 0) {
			die("idle phase: %d events", r);
		}
	}
}

static int server_main(int ctl, long n, int reps, int rounds, pid_t child)
{
	struct server s = {.n = n, .ctl = ctl};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	double rss0, heap0, rss1, heap1, rss2, heap2, rss3, heap3, t0, c0;
	long polls = 0;
	int status;
	struct ctl_msg m;

	s.p = calloc((size_t)n + 2, sizeof(*s.p));
	if (s.p == NULL) {
		die("calloc");
	}
	add_psk();
	s.listener = zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2);
	if (s.listener < 0) {
		die("zsock_socket: %s", strerror(errno));
	}
	tls_opts(s.listener);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (zsock_bind(s.listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    zsock_listen(s.listener, 4096) < 0 ||
	    zsock_getsockname(s.listener, (struct sockaddr *)&a, &alen) < 0) {
		die("listen: %s", strerror(errno));
	}
	s.p[0] = (struct pollfd){.fd = ctl, .events = POLLIN};
	s.p[1] = (struct pollfd){.fd = s.listener, .events = POLLIN};
	mem_now(&rss0, &heap0);

	/* handshakes */
	t0 = now_s();
	c0 = cpu_s();
	ctl_send(ctl, CMD_PORT, ntohs(a.sin_port), 0);
	(void)srv_loop(&s, CMD_READY, &polls);
	if (s.have != n) {
		die("client ready with %ld of %ld accepted", s.have, n);
	}
	printf("handshakes: %ld TLS 1.2 PSK (0x%04X) full handshakes, WINDOW %d in flight: "
	       "%.2f s wall, %.2f s server CPU, %ld server zsock_poll calls\n",
	       n, SUITE, WINDOW, now_s() - t0, cpu_s() - c0, polls);
	mem_now(&rss1, &heap1);

	/* (b) echo */
	polls = 0;
	c0 = cpu_s();
	t0 = now_s();
	ctl_send(ctl, CMD_ECHO, rounds, 0);
	m = srv_loop(&s, CMD_ECHO_DONE, &polls);
	t0 = now_s() - t0;
	printf("echo: %d rounds x %ld connections, %d-byte requests, every byte checked: "
	       "%.0f round trips/s (server wall %.3f s, client %.3f s; server CPU %.3f s, "
	       "%ld server zsock_poll calls over all %ld)\n",
	       rounds, n, MSG_LEN, (double)rounds * (double)n / t0, t0, m.val, cpu_s() - c0, polls,
	       n);
	mem_now(&rss2, &heap2);
	srv_idle(&s, IDLE_TRIM_S);
	mem_now(&rss3, &heap3);
	printf("memory (server process): per connection at N=%ld: RSS %.0f B, heap %.0f B after "
	       "the echo; RSS %.0f B, heap %.0f B after %.1f s idle (record buffers trimmed); "
	       "RSS %.0f B after handshakes\n",
	       n, (rss2 - rss0) / (double)n, (heap2 - heap0) / (double)n, (rss3 - rss0) / (double)n,
	       (heap3 - heap0) / (double)n, IDLE_TRIM_S, (rss1 - rss0) / (double)n);

	/* (a) poll cost */
	perf_open();
	printf("\npoll cost, %d interleaved calls each, thread CPU ns per call (median, p10, p90); "
	       "instructions "
	       "per call (median, %s)\n",
	       reps,
	       perf_fd < 0      ? "n/a, perf_event_open refused"
	       : perf_user_only ? "user space only: the kernel's are not counted here"
				: "user + kernel");
	printf("%6s %4s %7s | %9s %9s %9s | %9s %9s %9s | %6s %8s | %10s %10s %6s %7s\n", "N", "k",
	       "timeout", "zsock", "p10", "p90", "kernel", "p10", "p90", "ratio", "ns/fd+",
	       "ins zsock", "ins kern", "ratio", "ins/fd+");
	static const int ks[] = {0, 1, 10, 100};

	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (ks[i] <= s.have) {
			measure_cost(&s, ks[i], 0, reps);
		}
	}
	for (size_t i = 1; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (ks[i] <= s.have) {
			measure_cost(&s, ks[i], 1000, reps);
		}
	}
	printf("ns/fd+ = (zsock - kernel) / N; ins/fd+ likewise in instructions\n");

	ctl_send(ctl, CMD_QUIT, 0, 0);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		die("the client process failed");
	}
	for (long i = 0; i < s.have; i++) {
		zsock_close(s.p[2 + i].fd);
	}
	zsock_close(s.listener);
	free(s.p);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 10000;
	int reps = 201, rounds = 5, sv[2];
	struct rlimit rl;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			n = 200;
			reps = 21;
			rounds = 2;
		} else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
			n = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: bench_poll [--quick] [--n N] [--reps R] [--rounds R]\n");
			return 2;
		}
	}
	if (n < 1 || reps < 1 || rounds < 1) {
		die("bad arguments");
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		die("getrlimit: %s", strerror(errno));
	}
	printf("RLIMIT_NOFILE: soft %llu raised to the hard limit %llu\n",
	       (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		die("setrlimit: %s", strerror(errno));
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)n + FD_RESERVE > rl.rlim_cur) {
		long was = n;

		n = (long)rl.rlim_cur - FD_RESERVE;
		if (n < 1) {
			die("RLIMIT_NOFILE hard limit %llu is too low",
			    (unsigned long long)rl.rlim_cur);
		}
		printf("N scaled down from %ld to %ld: the hard RLIMIT_NOFILE is %llu\n", was, n,
		       (unsigned long long)rl.rlim_cur);
	}
	printf("N = %ld connections, client in a forked process\n", n);
	fflush(stdout);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		die("socketpair: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		die("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		_exit(client_main(sv[1], n));
	}
	close(sv[1]);
	return server_main(sv[0], n, reps, rounds, pid);
}
