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
 * @brief Non-blocking handshakes for event loops (setsockopt and getsockopt).
 *
 * Level SOL_TLS, argument an @c int 0 or 1 (@c optlen exactly @c sizeof(int)),
 * default 0 (Zephyr's behaviour: handshakes block, up to 10 s, even on a
 * non-blocking socket). Inherited by the sockets accept() returns. With 1:
 *
 * - connect() on a non-blocking TLS or DTLS socket returns -1 with errno
 *   @c EINPROGRESS. The handshake advances in zsock_poll(), send() and recv();
 *   zsock_poll() reports @c POLLOUT once it is established, and @c POLLERR if
 *   it failed, after which @c SO_ERROR gives its errno once (@c ECONNABORTED,
 *   @c ETIMEDOUT, @c ECONNREFUSED, ...) and TLS_CERT_VERIFY_RESULT the
 *   verification flags. send() and recv() before it finishes return @c EAGAIN.
 * - accept() returns as soon as the TCP connection is accepted. The new
 *   socket's handshake advances the same way; on a blocking accepted socket
 *   the first send() or recv() completes it, bounded by the call's timeout
 *   (then @c EAGAIN) and by 10 s (then @c ETIMEDOUT).
 * - A handshake not done within 10 s fails with @c ETIMEDOUT.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval NULL, @c optlen not @c sizeof(int), or a value other than 0 or 1.
 */
#define SECSOCK_TLS_ASYNC_HANDSHAKE (SECSOCK_TLS_OPT_BASE + 1)

/**
 * @brief Whether this connection resumed a cached session (getsockopt only).
 *
 * Level SOL_TLS, argument an @c int, @c optlen exactly @c sizeof(int): 1 when
 * the completed handshake resumed a session (TLS 1.2 session ID or ticket,
 * TLS 1.3 ticket, DTLS 1.2), 0 after a full handshake. On a DTLS server
 * socket it describes the peer whose handshake completed last, as
 * TLS_CIPHERSUITE_USED does. A session is resumed only in the security
 * context it was made in (README, "Session cache").
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL, or @c *optlen is not @c sizeof(int).
 * @retval ENOTCONN No handshake has completed on this socket.
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 */
#define SECSOCK_TLS_SESSION_RESUMED (SECSOCK_TLS_OPT_BASE + 5)

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
