/*
 * Helpers for tests: test credentials from tests/lib/certs, loopback
 * listeners, peer processes (openssl, gnutls, Mbed TLS programs) started
 * and reaped with bounded waits.
 */
#ifndef ZT_TESTUTIL_H
#define ZT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <zephyr/net/socket.h>

/** Read a file into a malloc'd buffer (NUL appended, not counted). 0 or -errno. */
int tu_read_file(const char *path, unsigned char **buf, size_t *len);

/** Path of a test credential file (static buffer). */
const char *tu_cert_path(const char *name);

/** tls_credential_add() of file @p name from tests/lib/certs (no NUL added). */
int tu_add_cred(sec_tag_t tag, enum tls_credential_type type, const char *name);

/** Fill @p ss with 127.0.0.1 / ::1 and @p port; returns its length. */
socklen_t tu_loopback(int family, uint16_t port, struct sockaddr_storage *ss);

/** Port of a bound socket, or 0. */
uint16_t tu_local_port(int fd);

/** A free TCP/UDP port on loopback (bound then released). */
uint16_t tu_free_port(int family, int type);

/** Bound + listening secure or plain socket on loopback, port in *port. -1 on error. */
int tu_listen(int family, int proto, uint16_t *port);

/** Plain TCP connect to loopback port (blocking). */
int tu_tcp_connect(int family, uint16_t port);

/**
 * Start a peer program (argv[0] looked up in PATH unless it has a '/'),
 * stdin from /dev/null unless @p in_fd, stdout+stderr to @p out_fd (or a pipe
 * whose read end goes to *out_fd when out_fd != NULL). Returns the pid or -1.
 */
pid_t tu_spawn(char *const argv[], int *out_fd, int *in_fd);

/** Kill (SIGTERM, then SIGKILL after 2 s) and reap. Returns the exit status. */
int tu_kill(pid_t pid);

/** Wait for @p pid to exit within @p ms; returns exit status, or -1 on timeout. */
int tu_wait_exit(pid_t pid, int ms);

/** Read from @p fd until @p needle is seen or @p ms passes; output appended to buf. */
bool tu_expect(int fd, const char *needle, int ms, char *buf, size_t size);

/** Wait until a TCP port accepts connections on loopback (or ms passes). */
bool tu_wait_port(int family, uint16_t port, int ms);

/** True if @p prog is executable from PATH (or an absolute path). */
bool tu_have(const char *prog);

/** Absolute path of an Mbed TLS program from the same build (static buffer). */
const char *tu_mbedtls_prog(const char *name);

#endif /* ZT_TESTUTIL_H */
