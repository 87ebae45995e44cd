/*
 * secsock extensions to the Zephyr secure sockets API. Strictly additive:
 * a Zephyr program that never includes this header never notices them.
 * Extension socket options live at SOL_TLS in their own range, starting at
 * SECSOCK_TLS_OPT_BASE, so they can never collide with a Zephyr option.
 */
#ifndef SECSOCK_SECSOCK_H
#define SECSOCK_SECSOCK_H

#include <zephyr/net/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SECSOCK_VERSION_MAJOR 0
#define SECSOCK_VERSION_MINOR 1
#define SECSOCK_VERSION_PATCH 0

/** First SOL_TLS option number of secsock's own extensions. */
#define SECSOCK_TLS_OPT_BASE 0x5EC00

/**
 * @brief Library version and the exact engine it runs on, e.g.
 *        "secsock 0.1.0 (Mbed TLS 3.6.7; Debian unstable source package mbedtls 3.6.7-3)".
 *        A build on an Mbed TLS below the minimum (cmake/mbedtls.cmake) ends in a
 *        "WARNING: ..." sentence.
 * @return A static NUL-terminated string.
 */
SECSOCK_API const char *secsock_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_SECSOCK_H */
