/*
 * What LD_PRELOAD=libsecsock-posix.so costs a program that never makes a
 * secure socket (docs/posix.md, "Cost"): plain TCP echo round trips over
 * loopback, the same program run without and with the preload, alternately,
 * side by side in one run, with the ratio. Target: within 2 %.
 *
 * Built without secsock (plain C library calls). Not a timed test; ctest
 * runs `bench_preload --quick` only as a smoke (it fails only when a run
 * fails outright).
 *
 * usage: bench_preload [--quick] [--lib PATH] [--rounds N] [--trips N] [--size BYTES] [--cpu N]
 *   --cpu N  pin the measured processes (client and echo server) to CPU N: a
 *            shared machine's other load then disturbs both variants alike
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_PRELOAD_SO
#define BENCH_PRELOAD_SO "libsecsock-posix.so"
#endif

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int io_full(int fd, char *buf, size_t len, int writing)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = writing ? write(fd, buf + done, len - done)
				    : read(fd, buf + done, len - done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* The measured program: an echo server process and a client; prints round trips per second. */
static int child(long trips, size_t size)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int lst = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd, status;
	char *buf = malloc(size);
	pid_t pid;
	double t0, t1;

	if (lst < 0 || buf == NULL || bind(lst, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lst, 1) != 0 || getsockname(lst, (struct sockaddr *)&a, &len) != 0) {
		perror("listener");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		int c = accept(lst, NULL, NULL);

		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (io_full(c, buf, size, 0) == 0 && io_full(c, buf, size, 1) == 0) {
		}
		_exit(0);
	}
	close(lst);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		return 1;
	}
	memset(buf, 'e', size);
	/* warm up */
	for (long i = 0; i < trips / 10; i++) {
		if (io_full(fd, buf, size, 1) != 0 || io_full(fd, buf, size, 0) != 0) {
			return 1;
		}
	}
	t0 = now_s();
	for (long i = 0; i < trips; i++) {
		if (io_full(fd, buf, size, 1) != 0 || io_full(fd, buf, size, 0) != 0) {
			perror("echo");
			return 1;
		}
	}
	t1 = now_s();
	close(fd);
	waitpid(pid, &status, 0);
	free(buf);
	printf("%.1f\n", (double)trips / (t1 - t0));
	return 0;
}

/* One run of this program as the measured child, with or without the preload. */
static double run(const char *self, const char *lib, long trips, size_t size)
{
	char t[32], s[32], out[64] = {0};
	int p[2], status;
	pid_t pid;
	ssize_t n;

	snprintf(t, sizeof(t), "%ld", trips);
	snprintf(s, sizeof(s), "%zu", size);
	if (pipe(p) != 0) {
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (lib != NULL) {
			setenv("LD_PRELOAD", lib, 1);
		} else {
			unsetenv("LD_PRELOAD");
		}
		execl(self, self, "--child", t, s, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n <= 0) {
		return -1;
	}
	return atof(out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *lib = BENCH_PRELOAD_SO;
	int cpu = -1;
	long trips = 50000;
	size_t size = 64;
	int rounds = 7;
	double plain[64], pre[64];
	char self[4096];
	ssize_t n;

	if (argc == 4 && strcmp(argv[1], "--child") == 0) {
		return child(atol(argv[2]), (size_t)atol(argv[3]));
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			trips = 2000;
			rounds = 1;
		} else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) {
			lib = argv[++i];
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--trips") == 0 && i + 1 < argc) {
			trips = atol(argv[++i]);
		} else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
			cpu = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			size = (size_t)atol(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: %s [--quick] [--lib PATH] [--rounds N] [--trips N] "
				"[--size BYTES] [--cpu N]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64 || trips < 1 || size < 1) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("/proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	signal(SIGPIPE, SIG_IGN);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			perror("sched_setaffinity");
			return 1;
		}
		printf("pinned to CPU %d\n", cpu);
	}
	printf("plain TCP echo over loopback, %zu-byte messages, %ld round trips per run, "
	       "%d runs each, alternating\n",
	       size, trips, rounds);
	printf("preload: %s\n", lib);
	for (int r = 0; r < rounds; r++) {
		/* alternate which goes first, so drift hits both alike */
		if (r % 2 == 0) {
			plain[r] = run(self, NULL, trips, size);
			pre[r] = run(self, lib, trips, size);
		} else {
			pre[r] = run(self, lib, trips, size);
			plain[r] = run(self, NULL, trips, size);
		}
		if (plain[r] <= 0 || pre[r] <= 0) {
			fprintf(stderr, "run %d failed (plain %.0f, preload %.0f)\n", r, plain[r],
				pre[r]);
			return 1;
		}
		printf("run %d: without %10.0f rt/s   with %10.0f rt/s\n", r, plain[r], pre[r]);
	}
	qsort(plain, (size_t)rounds, sizeof(double), cmp_double);
	qsort(pre, (size_t)rounds, sizeof(double), cmp_double);
	double mp = plain[rounds / 2], mq = pre[rounds / 2];

	printf("%-28s %12s %12s\n", "median", "without", "with preload");
	printf("%-28s %12.0f %12.0f\n", "round trips/s", mp, mq);
	printf("%-28s %12.2f %12.2f\n", "us per round trip", 1e6 / mp, 1e6 / mq);
	printf("ratio with/without: %.3f (%+.1f %%; target within 2 %%)\n", mq / mp,
	       (mq / mp - 1) * 100);
	return 0;
}
