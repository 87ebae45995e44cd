/*
 * secsock for programs written with the C library's socket names
 * (libsecsock-posix, docs/posix.md): the protocol numbers, the SOL_TLS
 * option numbers and values, the credential types and the credential
 * socket options, with nothing of the zsock_* world. Include it next to
 * <sys/socket.h>, <netinet/in.h> and <linux/tls.h>:
 *
 *   int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
 *   setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof(tags));
 *
 * Use either this header or Zephyr's (<zephyr/net/socket.h>,
 * <zephyr/net/tls_credentials.h>) in one file: when Zephyr's come first,
 * this one adds only what they lack.
 */
#ifndef SECSOCK_POSIX_H
#define SECSOCK_POSIX_H

#if !defined(SECSOCK_ZEPHYR_NET_SOCKET_H)

/* Secure protocols: the third argument of socket() (Zephyr's numbers). */
#define IPPROTO_TLS_1_0  256
#define IPPROTO_TLS_1_1  257
#define IPPROTO_TLS_1_2  258 /**< TLS 1.2 or newer (1.3 when both sides have it) */
#define IPPROTO_TLS_1_3  259 /**< TLS 1.3 only */
#define IPPROTO_DTLS_1_0 272
#define IPPROTO_DTLS_1_2 273 /**< DTLS 1.2 (SOCK_DGRAM) */

/* Socket option level; Linux's kTLS has the same number, on plain TCP sockets. */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/* SOL_TLS options (Zephyr's numbers; kTLS's names in <linux/tls.h> differ). */
#define TLS_SEC_TAG_LIST               1  /**< int tags[]: credentials to use */
#define TLS_HOSTNAME                   2  /**< char[]: SNI and the name checked */
#define TLS_CIPHERSUITE_LIST           3  /**< int[]: IANA suite ids offered */
#define TLS_CIPHERSUITE_USED           4  /**< int (get): the negotiated suite */
#define TLS_PEER_VERIFY                5  /**< int: TLS_PEER_VERIFY_* */
#define TLS_DTLS_ROLE                  6  /**< int: TLS_DTLS_ROLE_* */
#define TLS_ALPN_LIST                  7  /**< const char *[], NULL-terminated */
#define TLS_DTLS_HANDSHAKE_TIMEOUT_MIN 8  /**< uint32_t ms */
#define TLS_DTLS_HANDSHAKE_TIMEOUT_MAX 9  /**< uint32_t ms */
#define TLS_CERT_NOCOPY                10 /**< int: TLS_CERT_NOCOPY_* */
#define TLS_NATIVE                     11 /**< int (Zephyr offload; refused on hosts) */
#define TLS_SESSION_CACHE              12 /**< int: TLS_SESSION_CACHE_* */
#define TLS_SESSION_CACHE_PURGE        13 /**< any: empty the session cache */
#define TLS_DTLS_CID                   14 /**< int: TLS_DTLS_CID_* */
#define TLS_DTLS_CID_STATUS            15 /**< int (get): TLS_DTLS_CID_STATUS_* */
#define TLS_DTLS_CID_VALUE             16 /**< bytes: own Connection ID */
#define TLS_DTLS_PEER_CID_VALUE        17 /**< bytes (get): the peer's Connection ID */
#define TLS_DTLS_HANDSHAKE_ON_CONNECT  18 /**< int 0/1 */
#define TLS_CERT_VERIFY_RESULT         19 /**< uint32_t (get): Mbed TLS verify flags */
#define TLS_CERT_VERIFY_CALLBACK       20 /**< needs <zephyr/net/socket.h> and Mbed TLS */

#define TLS_PEER_VERIFY_NONE     0
#define TLS_PEER_VERIFY_OPTIONAL 1
#define TLS_PEER_VERIFY_REQUIRED 2

#define TLS_DTLS_ROLE_CLIENT 0
#define TLS_DTLS_ROLE_SERVER 1

#define TLS_CERT_NOCOPY_NONE     0
#define TLS_CERT_NOCOPY_OPTIONAL 1

#define TLS_SESSION_CACHE_DISABLED 0
#define TLS_SESSION_CACHE_ENABLED  1

#define TLS_DTLS_CID_DISABLED  0
#define TLS_DTLS_CID_SUPPORTED 1
#define TLS_DTLS_CID_ENABLED   2

#define TLS_DTLS_CID_STATUS_DISABLED      0
#define TLS_DTLS_CID_STATUS_DOWNLINK      1
#define TLS_DTLS_CID_STATUS_UPLINK        2
#define TLS_DTLS_CID_STATUS_BIDIRECTIONAL 3

#endif /* !SECSOCK_ZEPHYR_NET_SOCKET_H */

#if !defined(SECSOCK_ZEPHYR_NET_TLS_CREDENTIALS_H)
/* Credential types: the type field of struct secsock_tls_credential. */
#define TLS_CREDENTIAL_NONE               0
#define TLS_CREDENTIAL_CA_CERTIFICATE     1 /**< trusted CA certificate(s), PEM or DER */
#define TLS_CREDENTIAL_PUBLIC_CERTIFICATE 2 /**< own certificate (chain), PEM or DER */
#define TLS_CREDENTIAL_SERVER_CERTIFICATE TLS_CREDENTIAL_PUBLIC_CERTIFICATE
#define TLS_CREDENTIAL_PRIVATE_KEY        3 /**< own private key, PEM or DER */
#define TLS_CREDENTIAL_PSK                4 /**< pre-shared key (raw bytes) */
#define TLS_CREDENTIAL_PSK_ID             5 /**< pre-shared key identity */
#endif

/* secsock's extension options (their documentation: <secsock/secsock.h>). */
#define SECSOCK_TLS_OPT_BASE          0x5EC00
#define SECSOCK_TLS_ASYNC_HANDSHAKE   (SECSOCK_TLS_OPT_BASE + 1)
#define SECSOCK_TLS_SESSION_RESUMED   (SECSOCK_TLS_OPT_BASE + 5)
/**
 * setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, cred, sizeof(*cred) + len) on any
 * secure socket adds the bytes that follow the struct to the process's store, as
 * tls_credential_add(cred->tag, cred->type, bytes, len).
 */
#define SECSOCK_TLS_CREDENTIAL_ADD    (SECSOCK_TLS_OPT_BASE + 16)
/** setsockopt(fd, SOL_TLS, SECSOCK_TLS_CREDENTIAL_DELETE, &cred, sizeof(cred)). */
#define SECSOCK_TLS_CREDENTIAL_DELETE (SECSOCK_TLS_OPT_BASE + 17)

#ifndef SECSOCK_TLS_CREDENTIAL_DEFINED
#define SECSOCK_TLS_CREDENTIAL_DEFINED
/** The head of SECSOCK_TLS_CREDENTIAL_ADD's and _DELETE's argument: two native ints. */
struct secsock_tls_credential {
	int tag;  /**< security tag, >= 0 */
	int type; /**< TLS_CREDENTIAL_* */
};
#endif

#endif /* SECSOCK_POSIX_H */
