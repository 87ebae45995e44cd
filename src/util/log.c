/*
 * Debug output (log.h): one level for the process, read from SECSOCK_DEBUG
 * the first time it is asked for, or set with secsock_debug(); lines to
 * stderr (one write() each, so lines of threads do not interleave) or to
 * the application's callback.
 */
#include "util/log.h"
#include "sys/host.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secsock/secsock.h>

static atomic_int level = -1; /* -1: SECSOCK_DEBUG not read yet */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static secsock_debug_cb_t sink;
static void *sink_arg;
static void (*_Atomic level_hook)(int level);

static void notify(int l)
{
	void (*fn)(int) = atomic_load(&level_hook);

	if (fn != NULL) {
		fn(l);
	}
}

static void env_read(void)
{
	const char *v = getenv("SECSOCK_DEBUG");
	int l = 0;

	if (v != NULL && v[0] >= '0' && v[0] <= '9' && v[1] == '\0') {
		l = v[0] - '0' > 4 ? 4 : v[0] - '0';
	}
	int expected = -1;

	/* secsock_debug() called first wins */
	if (atomic_compare_exchange_strong(&level, &expected, l)) {
		notify(l);
	}
}

int zt_log_level(void)
{
	int l = atomic_load_explicit(&level, memory_order_relaxed);

	if (l < 0) {
		pthread_once(&env_once, env_read);
		l = atomic_load(&level);
	}
	return l;
}

void zt_log_on_level(void (*fn)(int level))
{
	atomic_store(&level_hook, fn);
	fn(zt_log_level());
}

void zt_log_line(int l, const char *origin, const char *text)
{
	char line[1100];
	int n;

	if (l > zt_log_level() || l <= 0) {
		return;
	}
	pthread_rwlock_rdlock(&sink_lock);
	if (sink != NULL) {
		sink(sink_arg, l, origin, text);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s\n", origin, text);
		if (n > (int)sizeof(line) - 1) {
			n = (int)sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		if (n > 0) {
			ssize_t w = zt_sys_write(STDERR_FILENO, line, (size_t)n);

			(void)w;
		}
	}
	pthread_rwlock_unlock(&sink_lock);
}

void zt_log(int l, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (l > zt_log_level()) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	zt_log_line(l, "secsock", text);
}

int secsock_debug(int new_level, secsock_debug_cb_t cb, void *arg)
{
	if (new_level < 0 || new_level > 4) {
		return -EINVAL;
	}
	pthread_once(&env_once, env_read); /* SECSOCK_DEBUG is read once, then overridden */
	pthread_rwlock_wrlock(&sink_lock);
	sink = cb;
	sink_arg = arg;
	pthread_rwlock_unlock(&sink_lock);
	atomic_store(&level, new_level);
	notify(new_level);
	return 0;
}
