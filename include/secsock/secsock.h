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
 * @brief Add a credential to the process-wide store through a socket option
 *        (setsockopt only): tls_credential_add() for programs that can make
 *        only socket calls (Python's socket module, a program started with
 *        LD_PRELOAD=libsecsock-posix.so that is not linked with secsock).
 *
 * Level SOL_TLS, on any secure socket (the store is the process's, as for
 * tls_credential_add(); the socket only carries the call). @c optval is a
 * struct secsock_tls_credential followed directly by the credential's bytes
 * (PEM with or without its NUL, or DER; a PSK or PSK identity as raw bytes);
 * @c optlen is sizeof(struct secsock_tls_credential) plus their length. In
 * Python: <tt>s.setsockopt(SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD,
 * struct.pack("ii", tag, type) + pem)</tt>.
 *
 * @retval 0 Added.
 * @retval EINVAL @c optval NULL, no credential bytes, a negative tag or an unknown type.
 * @retval EEXIST The tag already holds a credential of this type.
 * @retval ENOMEM The store is full, or out of memory.
 * @retval ENOTSUP TLS_CREDENTIAL_PRIVATE_KEY_PSA.
 * @retval ENOPROTOOPT Passed to @c getsockopt() (write-only).
 */
#define SECSOCK_TLS_CREDENTIAL_ADD (SECSOCK_TLS_OPT_BASE + 16)

/**
 * @brief Delete a credential from the process-wide store (setsockopt only):
 *        tls_credential_delete() as a socket option.
 *
 * Level SOL_TLS, on any secure socket; @c optval a struct
 * secsock_tls_credential, @c optlen exactly its size.
 *
 * @retval 0 Deleted.
 * @retval EINVAL @c optval NULL or @c optlen not sizeof(struct secsock_tls_credential).
 * @retval ENOENT No credential of that tag and type.
 * @retval ENOPROTOOPT Passed to @c getsockopt() (write-only).
 */
#define SECSOCK_TLS_CREDENTIAL_DELETE (SECSOCK_TLS_OPT_BASE + 17)

#ifndef SECSOCK_TLS_CREDENTIAL_DEFINED
#define SECSOCK_TLS_CREDENTIAL_DEFINED
/**
 * The head of SECSOCK_TLS_CREDENTIAL_ADD's and SECSOCK_TLS_CREDENTIAL_DELETE's
 * argument: two native ints (<tt>struct.pack("ii", tag, type)</tt>). For
 * ADD the credential's bytes follow it.
 */
struct secsock_tls_credential {
	int tag;  /**< Security tag (sec_tag_t), >= 0 */
	int type; /**< enum tls_credential_type, e.g. TLS_CREDENTIAL_CA_CERTIFICATE (1) */
};
#endif

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
