/*
 * Test-only introspection of DTLS sockets (dtls.c), for the black-box tests
 * in tests/integration/test_dtls*.c: what Zephyr's tests reach through
 * ztls_get_session_count() and ztls_get_mbedtls_ssl_context(). Not exported
 * from the shared library.
 */
#ifndef ZT_SOCK_DTLS_TEST_H
#define ZT_SOCK_DTLS_TEST_H

/** Peer sessions a DTLS server socket holds now (0 for a client); -EBADF if not ours. */
int zt_dtls_session_count(int fd);

/**
 * Make the established DTLS client @p fd send a fatal internal_error alert
 * (Zephyr's test_poll_dtls_pollerr injects one through Mbed TLS directly).
 * @retval 0, -EBADF, -ENOTCONN (no session), -errno.
 */
int zt_dtls_test_send_fatal_alert(int fd);

/**
 * Records from unknown addresses that a DTLS server socket checked against a
 * session because their Connection ID named it (at most one check each);
 * -EBADF if not ours.
 */
long long zt_dtls_record_checks(int fd);

#endif /* ZT_SOCK_DTLS_TEST_H */
