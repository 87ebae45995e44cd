/*
 * secsock(1): the command's entry point. Subcommands: client, server, cred,
 * demo; --version and --help. The debug output of the library goes through
 * cli_debug(): shown at the -v level asked for, and the last handshake
 * failure is kept to explain errors.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbed/mbed_cli.h"

const char *cli_prog = "secsock";
int cli_verbose;

static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_failure[512];

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void cli_debug(void *arg, int level, const char *origin, const char *line)
{
	const char *p = strstr(line, "handshake failed: ");

	(void)arg;
	if (p != NULL) {
		pthread_mutex_lock(&fail_mu);
		snprintf(last_failure, sizeof(last_failure), "%s", p + 18);
		pthread_mutex_unlock(&fail_mu);
	}
	if (level <= cli_verbose) {
		fprintf(stderr, "%s: %s\n", origin, line);
	}
}

static int env_level(void)
{
	const char *v = getenv("SECSOCK_DEBUG");

	return v != NULL && v[0] >= '0' && v[0] <= '4' && v[1] == '\0' ? v[0] - '0' : 0;
}

void cli_set_verbose(int count)
{
	/* -v: the library's events and Mbed TLS's state machine (level 3); -vv: level 4 */
	int level = count == 0 ? 0 : count + 2 > 4 ? 4 : count + 2;

	cli_verbose = level > env_level() ? level : env_level();
	/* at least 1: the reason of a failed handshake explains errors */
	(void)secsock_debug(cli_verbose > 1 ? cli_verbose : 1, cli_debug, NULL);
}

const char *cli_last_failure(void)
{
	static char copy[512];

	pthread_mutex_lock(&fail_mu);
	memcpy(copy, last_failure, sizeof(copy));
	pthread_mutex_unlock(&fail_mu);
	return copy;
}

void cli_clear_failure(void)
{
	pthread_mutex_lock(&fail_mu);
	last_failure[0] = '\0';
	pthread_mutex_unlock(&fail_mu);
}

const char *cli_store_dir(const char *opt)
{
	static char buf[4096];
	const char *v;

	if (opt != NULL) {
		return opt;
	}
	v = getenv("SECSOCK_CRED_DIR");
	if (v != NULL && *v != '\0') {
		return v;
	}
	v = getenv("XDG_DATA_HOME");
	if (v != NULL && v[0] == '/') {
		snprintf(buf, sizeof(buf), "%s/secsock", v);
		return buf;
	}
	v = getenv("HOME");
	if (v == NULL || *v == '\0') {
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s/.local/share/secsock", v);
	return buf;
}

static void store_report(void *arg, const char *name, const char *why)
{
	(void)arg;
	cli_err("credential store: %s: %s", name, why);
}

int cli_store_open(const char *dir, bool readonly)
{
	int rc;

	if (dir == NULL) {
		cli_err("no credential store: set HOME, XDG_DATA_HOME or SECSOCK_CRED_DIR, or "
			"give --store DIR");
		return EXIT_STORE;
	}
	rc = secsock_cred_store_dir(dir,
				    readonly ? SECSOCK_CRED_DIR_READONLY : SECSOCK_CRED_DIR_CREATE,
				    store_report, NULL);
	if (rc < 0) {
		cli_err("credential store %s cannot be used: %s", dir, strerror(-rc));
		return EXIT_STORE;
	}
	return 0;
}

/* Whether this build can do something: asked of the library, not assumed. */
static bool probe_opt(int proto, int type, int opt, int val)
{
	int fd = zsock_socket(AF_INET, type, proto);
	bool ok;

	if (fd < 0) {
		return false;
	}
	ok = opt == 0 || zsock_setsockopt(fd, SOL_TLS, opt, &val, sizeof(val)) == 0;
	zsock_close(fd);
	return ok;
}

static bool probe_tls13(void)
{
	int suites[64], fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_3);
	socklen_t len = sizeof(suites);
	bool ok = false;

	if (fd >= 0 && zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_LIST, suites, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(int); i++) {
			ok |= (suites[i] & 0xFF00) == 0x1300;
		}
	}
	if (fd >= 0) {
		zsock_close(fd);
	}
	return ok;
}

static void version(void)
{
	char name[128];

	printf("%s\n", secsock_version());
	printf("TLS 1.2: %s\n", probe_opt(IPPROTO_TLS_1_2, SOCK_STREAM, 0, 0) ? "yes" : "no");
	printf("TLS 1.3: %s\n", probe_tls13() ? "yes" : "no");
	printf("DTLS 1.2: %s\n", probe_opt(IPPROTO_DTLS_1_2, SOCK_DGRAM, 0, 0) ? "yes" : "no");
	printf("DTLS Connection ID (RFC 9146): %s\n",
	       probe_opt(IPPROTO_DTLS_1_2, SOCK_DGRAM, TLS_DTLS_CID, TLS_DTLS_CID_ENABLED) ? "yes"
											   : "no");
	printf("PSK and ECDHE-PSK: %s\n",
	       mc_suite_name(0x00A8, name, sizeof(name)) != NULL &&
			       mc_suite_name(0xC037, name, sizeof(name)) != NULL
		       ? "yes"
		       : "no");
	printf("non-blocking handshakes: %s\n",
	       probe_opt(IPPROTO_TLS_1_2, SOCK_STREAM, SECSOCK_TLS_ASYNC_HANDSHAKE, 1) ? "yes"
										       : "no");
	printf("session resumption: %s\n",
	       probe_opt(IPPROTO_TLS_1_2, SOCK_STREAM, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED)
		       ? "yes"
		       : "no");
	printf("persistent credential store, debug output (SECSOCK_DEBUG): yes\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: secsock [-v|-vv] COMMAND [options]\n"
		   "\n"
		   "commands:\n"
		   "  client [options] HOST PORT   connect; stdin to the peer, the peer to stdout\n"
		   "  server [options] PORT        serve many clients (echo), or one with --stdio\n"
		   "  cred add|get|del|list ...    the persistent credential store (Zephyr's cred "
		   "shell)\n"
		   "  demo                         TLS 1.3, TLS 1.2 mutual-auth and DTLS 1.2 + CID "
		   "echoes over loopback\n"
		   "  --version                    library, Mbed TLS and what this build has\n"
		   "  --help                       this text; COMMAND --help for each command\n"
		   "\n"
		   "exit status: 0 ok, 1 failed, 2 bad usage or input, 3 certificate verification "
		   "failed,\n"
		   "             4 credential store unusable. See secsock(1).\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (i < argc && strncmp(argv[i], "-v", 2) == 0 &&
	       strspn(argv[i] + 1, "v") == strlen(argv[i] + 1)) {
		cli_verbose += (int)strlen(argv[i]) - 1;
		i++;
	}
	cli_set_verbose(cli_verbose);
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "version") == 0) {
		version();
		return EXIT_OK;
	}
	if (strcmp(argv[i], "client") == 0) {
		return cli_client(argc - i, argv + i);
	}
	if (strcmp(argv[i], "server") == 0) {
		return cli_server(argc - i, argv + i);
	}
	if (strcmp(argv[i], "cred") == 0) {
		return cli_cred(argc - i, argv + i);
	}
	if (strcmp(argv[i], "demo") == 0) {
		return cli_demo(argc - i, argv + i);
	}
	cli_err("unknown command \"%s\" (try secsock --help)", argv[i]);
	return EXIT_USAGE;
}
