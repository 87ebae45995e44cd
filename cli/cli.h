/*
 * The secsock command (secsock(1), man/secsock.1): shared declarations.
 * Everything under cli/ uses secsock's public API only, except cli/mbed/,
 * which links Mbed TLS privately for what the library does not offer
 * (certificate generation for the demo, describing certificates, SHA-256,
 * cipher suite names); cli/mbed/mbed_cli.h exposes no Mbed TLS type.
 */
#ifndef SECSOCK_CLI_H
#define SECSOCK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <secsock/secsock.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

/* Exit codes (secsock(1), EXIT STATUS) */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* the connection, the handshake or the operation failed */
	EXIT_USAGE = 2,  /* bad command line or bad input data */
	EXIT_VERIFY = 3, /* the peer's certificate failed verification */
	EXIT_STORE = 4,  /* the credential store cannot be used */
};

/* Tags the client and server use for credentials given as files (--ca, --cert, --psk). */
#define CLI_TAG_FILES 2147483000

/* ---- main.c ---- */
extern const char *cli_prog;
extern int cli_verbose; /* -v count */

/** -v count: the debug level shown (SECSOCK_DEBUG too, whichever is higher). */
void cli_set_verbose(int count);

/** "secsock: " + message on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** A message on stderr as it is (status lines). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The credential store directory: --store, SECSOCK_CRED_DIR, XDG_DATA_HOME/secsock,
 * ~/.local/share/secsock. */
const char *cli_store_dir(const char *opt);

/** Open the store at @p dir (read-only or writable); prints problems. 0 or an exit code. */
int cli_store_open(const char *dir, bool readonly);

/** The last "handshake failed" reason the library reported (debug level 1), or "". */
const char *cli_last_failure(void);
void cli_clear_failure(void);

/* ---- util.c ---- */
/** Read a whole file (at most 1 MiB); caller wipes and frees. 0 or -errno. */
int cli_read_file(const char *path, unsigned char **buf, size_t *len);
/** Read stdin to EOF (at most 1 MiB). */
int cli_read_stdin(unsigned char **buf, size_t *len);
void cli_wipe(void *p, size_t n);
/** Strict decimal in [min, max]. */
bool cli_parse_int(const char *s, long min, long max, long *out);
/** Hex string to bytes; false on a bad digit or odd length. */
bool cli_hex_decode(const char *hex, unsigned char *out, size_t size, size_t *len);
/** Base64 (RFC 4648, padding required, whitespace ignored) to bytes. */
bool cli_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t *outlen);
/** Base64 of @p len bytes into @p out (size >= 4 * ceil(len / 3) + 1). */
void cli_base64_encode(const unsigned char *in, size_t len, char *out);
int64_t cli_now_ms(void);

/* ---- tlsopt.c: options shared by client and server ---- */
struct cli_tls {
	bool dtls, tls12, tls13;
	const char *ca, *cert, *key;
	const char *psk_hex, *psk_id;
	sec_tag_t tags[8];
	int ntags;
	const char *host; /* client: SNI and name check */
	int verify;       /* -1: default of the role */
	char alpn_buf[256];
	const char *alpn[9];
	int nalpn;
	int suites[64];
	int nsuites;
	bool resume, cid, stdio;
	const char *store;
	const char *bind;
	long max_conn; /* server: stop after this many connections (0: never) */
	long wait_ms;  /* client: after stdin's end, how long to wait for the peer's data */
};

/**
 * Parse one option at argv[*i] (advancing *i past its value). 1 parsed, 0 not
 * an option of ours, -1 bad (message printed).
 */
int cli_tls_option(struct cli_tls *t, int argc, char **argv, int *i, bool server);

/** Load file credentials and the store as the options say. 0 or an exit code. */
int cli_tls_load(struct cli_tls *t, bool server);

/** A socket for these options: family, secure protocol, every SOL_TLS option. -1 (message printed).
 */
int cli_tls_socket(const struct cli_tls *t, int family, bool server);

/** The version, suite, ALPN, verification and CID of an established socket, in words. */
void cli_tls_describe(int fd, bool dtls, bool server, bool psk_only, char *out, size_t size);

/** Why a handshake failed, in words (errno, verification flags, the library's reason). */
void cli_tls_failure(int fd, int err, char *out, size_t size, bool *verify_failed);

/* ---- subcommands ---- */
int cli_client(int argc, char **argv);
int cli_server(int argc, char **argv);
int cli_cred(int argc, char **argv);
int cli_demo(int argc, char **argv);

#endif /* SECSOCK_CLI_H */
