/*
 * Debug output (log.c): SECSOCK_DEBUG=0..4 or secsock_debug() in
 * <secsock/secsock.h>. Lines go to stderr or to the application's callback.
 * Nothing that calls zt_log() may pass key material: callers log names,
 * numbers and outcomes, never buffers (the engine filters Mbed TLS's own
 * dumps, src/engine/mbedtls/debug.c).
 */
#ifndef ZT_LOG_H
#define ZT_LOG_H

#include <stdatomic.h>

enum {
	ZT_LOG_ERROR = 1, /* failures: handshakes, credential store problems */
	ZT_LOG_INFO = 2,  /* events: connections established and closed, store loaded */
	ZT_LOG_DEBUG = 3, /* details of the library's own decisions */
	ZT_LOG_VERBOSE = 4,
};

/** The current level, 0 (nothing) to 4; reads SECSOCK_DEBUG the first time. */
int zt_log_level(void);

/** Whether a line at @p level would be written (cheap). */
static inline int zt_log_on(int level)
{
	return level <= zt_log_level();
}

/** One line "secsock: ..." at @p level. */
void zt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** One line already formatted, with its origin ("secsock", "mbedtls"). */
void zt_log_line(int level, const char *origin, const char *text);

/** Called (once per change) with the new level: the engine sets its threshold. */
void zt_log_on_level(void (*fn)(int level));

#endif /* ZT_LOG_H */
