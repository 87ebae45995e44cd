/* Peer processes and a loopback UDP socket for the interop tests (see peer_fixture.h). */
#include "peer_fixture.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "testutil.h"
#include "tls_fixture.h"

void pf_arg(struct pf_argv *a, const char *fmt, ...)
{
	va_list ap;

	if (a->n >= PF_MAX_ARGS) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(a->s[a->n], sizeof(a->s[a->n]), fmt, ap);
	va_end(ap);
	a->v[a->n] = a->s[a->n];
	a->n++;
	a->v[a->n] = NULL;
}

static void *peer_drain(void *arg_)
{
	struct pf_peer *p = arg_;
	char tmp[4096];

	for (;;) {
		struct pollfd pfd = {.fd = p->out, .events = POLLIN};
		int r = poll(&pfd, 1, 100);

		if (r <= 0) {
			if (atomic_load(&p->stop)) {
				break;
			}
			continue;
		}
		ssize_t n = read(p->out, tmp, sizeof(tmp));

		if (n == 0) {
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			break;
		}
		pthread_mutex_lock(&p->mu);
		size_t take = (size_t)n;

		if (p->len + take + 1 > p->cap) {
			take = p->cap - p->len - 1; /* output beyond the cap is dropped */
		}
		memcpy(p->buf + p->len, tmp, take);
		p->len += take;
		p->buf[p->len] = 0;
		pthread_mutex_unlock(&p->mu);
	}
	atomic_store(&p->eof, true);
	return NULL;
}

bool pf_peer_start(struct pf_peer *p, const char *name, const struct pf_argv *a, size_t cap,
		   unsigned flags)
{
	char *v[48];
	int n = 0;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->out = p->in = -1;
	p->status = -1;
	pthread_mutex_init(&p->mu, NULL);
	p->cap = cap;
	p->buf = calloc(1, p->cap);
	if (p->buf == NULL) {
		return false;
	}
	if (tu_have("stdbuf")) {
		v[n++] = "stdbuf";
		v[n++] = "-o0";
		if (flags & PF_STDERR_UNBUF) {
			v[n++] = "-e0";
		}
	}
	for (int i = 0; i < a->n; i++) {
		v[n++] = a->v[i];
	}
	v[n] = NULL;
	p->pid = tu_spawn(v, &p->out, (flags & PF_STDIN) ? &p->in : NULL);
	if (p->pid <= 0) {
		p->pid = 0;
		return false;
	}
	p->th_on = pthread_create(&p->th, NULL, peer_drain, p) == 0;
	return p->th_on;
}

bool pf_peer_has(struct pf_peer *p, const char *needle)
{
	bool r;

	pthread_mutex_lock(&p->mu);
	r = p->buf != NULL && strstr(p->buf, needle) != NULL;
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* Count occurrences of needle in the output. */
int pf_peer_count(struct pf_peer *p, const char *needle)
{
	int c = 0;

	pthread_mutex_lock(&p->mu);
	for (const char *q = p->buf; q != NULL && (q = strstr(q, needle)) != NULL;
	     q += strlen(needle)) {
		c++;
	}
	pthread_mutex_unlock(&p->mu);
	return c;
}

/* Reap if it exited; true once reaped. */
bool pf_peer_reaped(struct pf_peer *p, int ms)
{
	if (p->pid > 0) {
		int st = tu_wait_exit(p->pid, ms);

		if (st >= 0) {
			p->status = st;
			p->pid = 0;
			/*
			 * Its output may still sit in the pipe: a check right after the
			 * exit must see all of it (bounded: a grandchild may hold the pipe).
			 */
			for (int i = 0; i < 200 && p->th_on && !atomic_load(&p->eof); i++) {
				usleep(5000);
			}
		}
	}
	return p->pid == 0;
}

bool pf_peer_wait(struct pf_peer *p, const char *needle, int ms)
{
	int64_t end = tf_now_ms() + ms;

	while (!pf_peer_has(p, needle)) {
		if (tf_now_ms() >= end || pf_peer_reaped(p, 0)) {
			usleep(50000); /* let the drain thread catch the last words */
			return pf_peer_has(p, needle);
		}
		usleep(10000);
	}
	return true;
}

void pf_peer_write(struct pf_peer *p, const char *s)
{
	if (p->in >= 0 && write(p->in, s, strlen(s)) < 0) {
		th_fail(__FILE__, __LINE__, "%s: write to stdin: %s", p->name, strerror(errno));
	}
}

void pf_peer_close_stdin(struct pf_peer *p)
{
	if (p->in >= 0) {
		close(p->in);
		p->in = -1;
	}
}

void pf_peer_dump(struct pf_peer *p)
{
	pthread_mutex_lock(&p->mu);
	size_t from = p->len > 3000 ? p->len - 3000 : 0;

	printf("    ---- %s output (last %zu bytes) ----\n%s\n    ---- end %s ----\n", p->name,
	       p->len - from, p->buf ? p->buf + from : "", p->name);
	pthread_mutex_unlock(&p->mu);
}

/* Kill (if still running), reap, stop the drain thread; dump the output when the case failed. */
void pf_peer_stop(struct pf_peer *p)
{
	if (p->pid > 0) {
		p->status = tu_kill(p->pid);
		p->pid = 0;
	}
	atomic_store(&p->stop, true);
	if (p->th_on) {
		pthread_join(p->th, NULL);
		p->th_on = false;
	}
	if (th_case_failed() && p->buf != NULL) {
		pf_peer_dump(p);
	}
	pf_peer_close_stdin(p);
	if (p->out >= 0) {
		close(p->out);
		p->out = -1;
	}
	free(p->buf);
	p->buf = NULL;
	pthread_mutex_destroy(&p->mu);
}

int pf_udp_socket(struct sockaddr_in *bound)
{
	struct sockaddr_storage ss;
	socklen_t sl = tu_loopback(AF_INET, 0, &ss);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		return -1;
	}
	if (bound != NULL) {
		sl = sizeof(*bound);
		getsockname(fd, (struct sockaddr *)bound, &sl);
	}
	return fd;
}
