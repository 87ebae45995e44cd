/*
 * secsock extensions to the Zephyr secure sockets API. Strictly additive:
 * a Zephyr program that never includes this header never notices them.
 * Extension socket options live at SOL_TLS in their own range, starting at
 * SECSOCK_TLS_OPT_BASE, so they can never collide with a Zephyr option.
 */
#ifndef SECSOCK_SECSOCK_H
#define SECSOCK_SECSOCK_H

#include <stdint.h>

#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

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
 * @brief The protocol version on the wire (getsockopt only).
 *
 * Level SOL_TLS, argument an @c int, @c optlen exactly @c sizeof(int):
 * @c 0x0303 for TLS 1.2, @c 0x0304 for TLS 1.3, @c 0xFEFD for DTLS 1.2. On a
 * DTLS server socket it describes the peer whose handshake completed last,
 * as TLS_CIPHERSUITE_USED does. On a socket that is not a secure socket,
 * SOL_TLS goes to the kernel: Linux answers @c EOPNOTSUPP for every getter below.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL, or @c *optlen is not @c sizeof(int).
 * @retval ENOTCONN No handshake has completed on this socket.
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 * @retval EOPNOTSUPP Not a secure socket (the kernel's answer at SOL_TLS).
 */
#define SECSOCK_TLS_VERSION_USED (SECSOCK_TLS_OPT_BASE + 2)

/**
 * @brief The negotiated ALPN protocol (getsockopt only).
 *
 * Level SOL_TLS, argument a @c char buffer: the protocol the handshake agreed
 * on (TLS_ALPN_LIST), NUL-terminated, or "" when none was negotiated.
 * @c *optlen is set to the length written, NUL included. Never cut short: a
 * buffer too small fails with @c ERANGE and @c *optlen holds the size needed.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL.
 * @retval ERANGE @c *optlen is below the size needed, which is stored in @c *optlen.
 * @retval ENOTCONN No handshake has completed on this socket.
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 * @retval EOPNOTSUPP Not a secure socket (the kernel's answer at SOL_TLS).
 */
#define SECSOCK_TLS_ALPN_USED (SECSOCK_TLS_OPT_BASE + 3)

/**
 * @brief The DER of the peer's end-entity certificate (getsockopt only).
 *
 * Level SOL_TLS, argument a byte buffer; @c *optlen is set to the DER's
 * length. Never cut short: a buffer too small fails with @c ERANGE and
 * @c *optlen holds the size needed, so a caller can ask with 0 first.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL.
 * @retval ERANGE @c *optlen is below the certificate's length, which is stored in @c *optlen.
 * @retval ENOENT The peer sent no certificate (PSK, or a server that asked for none).
 * @retval ENOTCONN No handshake has completed on this socket.
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 * @retval EOPNOTSUPP Not a secure socket (the kernel's answer at SOL_TLS).
 */
#define SECSOCK_TLS_PEER_CERT (SECSOCK_TLS_OPT_BASE + 4)

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
 * @brief Why the last handshake failed, as short text (getsockopt only).
 *
 * Level SOL_TLS, argument a @c char buffer: a NUL-terminated line naming the
 * certificate checks that failed, the fatal alert received or sent with its
 * number, and the engine's error, e.g. "certificate: The certificate validity
 * has expired; sent fatal alert 45 (certificate_expired); X509 - Certificate
 * verification failed, e.g. CRL, CA or signature check failed (-0x2700)".
 * "" once a handshake succeeded after it. A listener tells why its last
 * accept() failed, a DTLS server socket why its last peer's handshake did.
 * Never cut short: a buffer too small fails with @c ERANGE and @c *optlen
 * holds the size needed (at most 512).
 *
 * @retval 0 Success; @c *optlen is the text's length with its NUL.
 * @retval EINVAL @c optval or @c optlen is NULL.
 * @retval ERANGE @c *optlen is below the size needed, which is stored in @c *optlen.
 * @retval ENOTCONN No handshake has ended (completed or failed) on this socket.
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 * @retval EOPNOTSUPP Not a secure socket (the kernel's answer at SOL_TLS).
 */
#define SECSOCK_TLS_FAILURE_REASON (SECSOCK_TLS_OPT_BASE + 6)

/**
 * @brief How the peer ended the stream (getsockopt only).
 *
 * Level SOL_TLS, argument an @c int, @c optlen exactly @c sizeof(int). On a
 * TLS socket, once recv() returned 0 for the peer's end: 1 when the peer sent
 * close_notify, 0 when the stream ended with a bare TCP FIN (the data may
 * have been truncated by an attacker or a crash). On a DTLS client: 1 once
 * the peer's close_notify ended the session.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL, or @c *optlen is not @c sizeof(int).
 * @retval EAGAIN The peer has not ended the stream (session) yet.
 * @retval ENOTCONN No handshake has completed on this socket.
 * @retval EOPNOTSUPP A DTLS server socket (each peer's end is a POLLHUP), or not a secure
 *         socket (the kernel's answer at SOL_TLS).
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 */
#define SECSOCK_TLS_CLOSE_NOTIFY_RECEIVED (SECSOCK_TLS_OPT_BASE + 7)

/** Default of SECSOCK_TLS_DTLS_MAX_PEERS. */
#define SECSOCK_DTLS_MAX_PEERS_DEFAULT 16384
/** Largest value SECSOCK_TLS_DTLS_MAX_PEERS accepts. */
#define SECSOCK_DTLS_MAX_PEERS_LIMIT   1048576

/**
 * @brief The most peers a DTLS server socket serves at once (setsockopt and getsockopt).
 *
 * Level SOL_TLS, argument an @c int from 1 to @c SECSOCK_DTLS_MAX_PEERS_LIMIT
 * (1048576), @c optlen exactly @c sizeof(int); default
 * @c SECSOCK_DTLS_MAX_PEERS_DEFAULT (16384). A peer counts from the moment
 * its ClientHello carries a valid cookie until its session ends (close_notify,
 * fatal alert, idle expiry, close()). Each peer costs about 26 KB of heap with
 * the library's Mbed TLS configuration (16 KiB input and 4 KiB output record
 * buffers; measured by bench_dtls, docs/benchmarks.md "DTLS"), so the default
 * bounds one socket near 430 MB: 60 % above the 10,000 peers secsock is
 * measured with, so a fleet endpoint sized for that does not hit it by
 * surprise, while a flood of verified peers cannot take unbounded memory. Zephyr's fixed pool
 * (CONFIG_NET_SOCKETS_TLS_MAX_SESSION_CONTEXTS) has no run-time setting.
 *
 * When the socket serves this many peers, a ClientHello from a new address
 * (one whose address and Connection ID match no session) is dropped without
 * an answer, exactly as Zephyr drops it when no session is free: the client
 * retransmits and its handshake times out unless a place frees meanwhile.
 * Existing peers are not affected. The application learns of it through
 * SECSOCK_TLS_DTLS_PEERS (the @c refused counter), and the debug output
 * (SECSOCK_DEBUG=1 or higher, secsock_debug()) has one line each time the
 * socket becomes full. Lowering the limit below the current number of peers
 * ends no session: new peers wait until the number falls below it.
 * Valid on DTLS sockets (the value matters once the socket is a server).
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval NULL, @c optlen not @c sizeof(int), or a value below 1
 *         or above @c SECSOCK_DTLS_MAX_PEERS_LIMIT.
 * @retval EOPNOTSUPP A TLS (stream) socket, or not a secure socket (the kernel's
 *         answer at SOL_TLS).
 */
#define SECSOCK_TLS_DTLS_MAX_PEERS (SECSOCK_TLS_OPT_BASE + 8)

/** What SECSOCK_TLS_DTLS_PEERS reports. */
struct secsock_dtls_peers {
	uint32_t peers;     /**< peers served now (handshaking or established) */
	uint32_t max_peers; /**< SECSOCK_TLS_DTLS_MAX_PEERS */
	uint64_t refused;   /**< ClientHellos dropped because the socket was full */
};

/**
 * @brief A DTLS server socket's peers: how many, the limit, and how many
 *        ClientHellos the limit refused (getsockopt only).
 *
 * Level SOL_TLS, argument a struct secsock_dtls_peers, @c optlen exactly its
 * size. @c refused counts every ClientHello dropped because the socket held
 * SECSOCK_TLS_DTLS_MAX_PEERS peers (a client's retransmissions count again),
 * since the socket was made; it never goes down. A DTLS socket that is not
 * (yet) a server reports 0 peers and 0 refused.
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval or @c optlen is NULL, or @c *optlen is not
 *         @c sizeof(struct secsock_dtls_peers).
 * @retval ENOPROTOOPT Passed to @c setsockopt() (read-only).
 * @retval EOPNOTSUPP A TLS (stream) socket, or not a secure socket (the kernel's
 *         answer at SOL_TLS).
 */
#define SECSOCK_TLS_DTLS_PEERS (SECSOCK_TLS_OPT_BASE + 9)

/**
 * @brief Hibernate an idle TLS 1.2 connection after this many milliseconds
 *        without traffic (setsockopt and getsockopt).
 *
 * Level SOL_TLS, argument an @c int, @c optlen exactly @c sizeof(int): 0 off
 * (the default), N > 0 hibernate after N ms. Accepted sockets inherit it
 * from their listener. A hibernated connection keeps only its session,
 * serialised (Mbed TLS context serialisation: about 200 bytes, plus the
 * peer's certificate on a client), instead of its whole TLS context and
 * record buffers; it wakes transparently on the next read, write, poll event,
 * FIONREAD, getsockopt of a session fact, or close() (which still sends
 * close_notify). The quiet time counts while the application waits on the
 * socket - a blocking recv(), zsock_poll(), or an epoll set of
 * libsecsock-posix - as for the 100 ms release of the record buffers; a
 * socket nobody waits on stays awake. A wake that fails (out of memory)
 * latches ECONNABORTED: the connection never carries on without its keys.
 *
 * Only TLS 1.2 and DTLS 1.2 sessions with an AEAD suite (every default
 * suite) hibernate: Mbed TLS 3.6 cannot serialise TLS 1.3, so a TLS 1.3
 * connection with the option set stays awake (its buffers still go back
 * after 100 ms). A DTLS client hibernates while it waits in a blocking
 * recv() or zsock_poll() (not yet in an epoll set of libsecsock-posix).
 * Set on a DTLS server socket, it applies to each of its peers, existing
 * ones too (from the socket's next receive, poll or send): a peer quiet for
 * N ms with nothing in flight hibernates while the socket is served
 * (recvfrom, poll), and wakes on its next datagram (also one with its
 * Connection ID from a new address), on a send to it, or on close; idle
 * expiry still ends it. A peer silent since its handshake first keeps the
 * server's last flight for 2.5 s (RFC 6347 4.2.4).
 *
 * @retval 0 Success.
 * @retval EINVAL @c optval NULL, @c optlen not @c sizeof(int), or a negative value.
 */
#define SECSOCK_TLS_HIBERNATE (SECSOCK_TLS_OPT_BASE + 10)

/** Environment variable naming a session-ticket key file loaded by the first secure socket. */
#define SECSOCK_TICKET_KEY_FILE_ENV "SECSOCK_TICKET_KEY_FILE"

/**
 * @brief Load the session-ticket keys of every secsock TLS server in this
 *        process from a file, so that servers sharing it resume each
 *        other's sessions.
 *
 * The file is text, one key per line: 64 hexadecimal digits (32 random
 * bytes, e.g. from <tt>openssl rand -hex 32</tt>); blank lines and lines
 * starting with '#' are skipped, at most 32 keys, at most 64 KiB. The first
 * key issues tickets; every key decrypts them, so a new key goes first and
 * the old ones stay a while: keys rotate without losing sessions. Keys are
 * derived per security context (README, "Session cache"), so a ticket still
 * never resumes in another context. Servers with TLS_SESSION_CACHE use them
 * from their next ticket on. A new load replaces the whole set at once;
 * a file that fails leaves the current keys. @p path NULL goes back to random
 * keys of this process. Ticket ages are checked on the wall clock, so the
 * clocks of servers sharing keys should agree within a minute.
 *
 * The environment variable SECSOCK_TICKET_KEY_FILE names a file loaded the
 * same way when the process makes its first secure socket (a failure is
 * reported once on stderr and random keys are used). Key material is wiped
 * from memory once it is no longer needed; nothing of it is ever printed.
 *
 * @param path The key file, or NULL.
 * @return 0 on success, -1 with errno set on failure.
 * @retval EINVAL A line is not exactly 64 hexadecimal digits, or the file holds no key.
 * @retval E2BIG More than 32 keys.
 * @retval EFBIG The file is larger than 64 KiB.
 * @retval ENOMEM Out of memory.
 * @retval ENOENT The file does not exist (or any other errno of open(2) and read(2),
 *         e.g. EACCES, EISDIR).
 */
SECSOCK_API int secsock_ticket_keys_load(const char *path);

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

/* ---- Persistent credential store ---- */

/** secsock_cred_store_dir(): load only; later adds and deletes stay in memory. */
#define SECSOCK_CRED_DIR_READONLY (1u << 0)
/** secsock_cred_store_dir(): create the directory (mode 0700, parents too) if missing. */
#define SECSOCK_CRED_DIR_CREATE   (1u << 1)

/**
 * @brief Told about a file of the store that was skipped, or a directory refused.
 * @param arg  The pointer given to secsock_cred_store_dir().
 * @param name The file (or the directory) concerned.
 * @param why  What is wrong with it, in words.
 */
typedef void (*secsock_cred_report_t)(void *arg, const char *name, const char *why);

/**
 * @brief Keep the credential store in a directory (one file per credential), or in memory only.
 *
 * With a @p path, the store's content is replaced by the credentials in that
 * directory, and from then on every tls_credential_add(), secsock_cred_replace()
 * and tls_credential_delete() is written to it before it returns: a temporary
 * file, fsync, rename, fsync of the directory, under an flock() that serialises
 * processes. Files are created 0600. A directory not owned by this user or
 * writable by group or others is refused. Damaged, foreign or unsafe files are
 * skipped and passed to @p report (and to the debug output at level 1). Call it
 * again to reload changes made by other processes.
 *
 * Without this call, the environment variable @c SECSOCK_CRED_DIR, when set,
 * selects a directory (created if missing) the first time the store is used;
 * if that directory cannot be used, adds and deletes fail with its error.
 * Once this function has been called, the environment is never read.
 *
 * @param path   The directory, or NULL for memory only (the credentials loaded stay).
 * @param flags  0, or SECSOCK_CRED_DIR_READONLY and/or SECSOCK_CRED_DIR_CREATE.
 * @param report Called for each file skipped; may be NULL.
 * @param arg    Passed to @p report.
 *
 * @return The number of credentials loaded (>= 0), or a negative errno:
 * @retval -EINVAL Unknown flags, or an empty @p path.
 * @retval -EPERM  The directory is not owned by this user, or is group/world-writable.
 * @retval -ENOENT The directory does not exist (and SECSOCK_CRED_DIR_CREATE was not given).
 * @retval -EACCES The directory cannot be read.
 */
SECSOCK_API int secsock_cred_store_dir(const char *path, unsigned int flags,
				       secsock_cred_report_t report, void *arg);

/**
 * @brief Add a credential, or replace the one (tag, type) holds, in one step.
 *
 * As tls_credential_add(), but an existing credential is overwritten: sockets
 * never see the tag without it, and with a directory store a crash leaves the
 * old file or the new one. The old copy is zeroized.
 *
 * @param tag     Security tag, >= 0.
 * @param type    Credential type.
 * @param cred    Credential bytes.
 * @param credlen Length of @p cred.
 *
 * @retval 0        Added or replaced.
 * @retval -EINVAL  NULL buffer, zero length, negative tag or unknown type.
 * @retval -ENOMEM  The store is full, or out of memory.
 * @retval -ENOTSUP TLS_CREDENTIAL_PRIVATE_KEY_PSA.
 * @retval -EFBIG   Larger than a directory store takes (1 MiB).
 * @retval -EIO     (or another errno) The directory store could not be written.
 */
SECSOCK_API int secsock_cred_replace(sec_tag_t tag, enum tls_credential_type type, const void *cred,
				     size_t credlen);

/**
 * @brief Called once per stored credential by secsock_cred_foreach().
 * @param arg  The pointer given to secsock_cred_foreach().
 * @param tag  Its security tag.
 * @param type Its type.
 * @param len  Its length in bytes.
 * @return 0 to go on, a negative value to stop (secsock_cred_foreach() returns it).
 */
typedef int (*secsock_cred_list_t)(void *arg, sec_tag_t tag, enum tls_credential_type type,
				   size_t len);

/**
 * @brief Visit every credential in the store, by tag then type.
 *
 * @p fn runs under the store's read lock: it may call tls_credential_get() but
 * must not add, replace or delete credentials.
 *
 * @param fn  Called once per credential.
 * @param arg Passed to @p fn.
 *
 * @return The number of credentials visited, or the first negative value @p fn returned.
 * @retval -EINVAL @p fn is NULL.
 */
SECSOCK_API int secsock_cred_foreach(secsock_cred_list_t fn, void *arg);

/* ---- Debug output ---- */

/**
 * @brief Receives one line of debug output (no trailing newline).
 * @param arg    The pointer given to secsock_debug().
 * @param level  1 errors, 2 events, 3 details, 4 verbose.
 * @param origin "secsock" for the library's own lines, "mbedtls" for the engine's.
 * @param line   The text.
 */
typedef void (*secsock_debug_cb_t)(void *arg, int level, const char *origin, const char *line);

/**
 * @brief Set the debug level and where lines go.
 *
 * Level 0 writes nothing (the default); 1 adds failures (handshakes, with the
 * reason; credential store problems); 2 connections established and closed,
 * with version and cipher suite, and Mbed TLS's level 1; 3 and 4 add Mbed
 * TLS's levels 2-3 and 4 (state machine, then record dumps). Key material
 * is never written: Mbed TLS dumps of secrets, keys, IVs and MPIs are
 * replaced by their name and length. Without this call, the environment
 * variable @c SECSOCK_DEBUG (0-4) sets the level and lines go to stderr.
 *
 * @param level 0 to 4.
 * @param cb    Receives each line; NULL for stderr.
 * @param arg   Passed to @p cb.
 *
 * @retval 0       Set.
 * @retval -EINVAL @p level outside 0..4.
 */
SECSOCK_API int secsock_debug(int level, secsock_debug_cb_t cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* SECSOCK_SECSOCK_H */
