/*
 * secsock cred add|get|del|list (secsock(1)): the persistent credential
 * store with the syntax, type names and data formats of Zephyr's `cred`
 * shell (docs/zephyr-behaviour.md §2.3):
 *
 *   cred add TAG TYPE [default] FORMAT [DATA]   FORMAT BIN|BINT|STR|STRT inline,
 *                                               PEM|DER a file (no DATA or "-": stdin)
 *   cred get TAG TYPE FORMAT
 *   cred del TAG TYPE
 *   cred list [TAG|any [TYPE|any]]
 *
 * Types as the shell spells them, case-insensitive: CA_CERT/CA,
 * SERVER_CERT/CLIENT_CERT/SELF_CERT/SELF/CLIENT/SERV, PRIVATE_KEY/PK,
 * PRE_SHARED_KEY/PSK, PRE_SHARED_KEY_ID/PSK_ID.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mbed/mbed_cli.h"

static const struct {
	const char *name;
	enum tls_credential_type type;
} types[] = {
	{"CA_CERT", TLS_CREDENTIAL_CA_CERTIFICATE},
	{"CA", TLS_CREDENTIAL_CA_CERTIFICATE},
	{"SERVER_CERT", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"CLIENT_CERT", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"SELF_CERT", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"SELF", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"CLIENT", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"SERV", TLS_CREDENTIAL_PUBLIC_CERTIFICATE},
	{"PRIVATE_KEY", TLS_CREDENTIAL_PRIVATE_KEY},
	{"PK", TLS_CREDENTIAL_PRIVATE_KEY},
	{"PRE_SHARED_KEY", TLS_CREDENTIAL_PSK},
	{"PSK", TLS_CREDENTIAL_PSK},
	{"PRE_SHARED_KEY_ID", TLS_CREDENTIAL_PSK_ID},
	{"PSK_ID", TLS_CREDENTIAL_PSK_ID},
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

enum fmt {
	F_BIN,
	F_BINT,
	F_STR,
	F_STRT,
	F_PEM,
	F_DER,
};

static const char *const fmt_names[] = {"BIN", "BINT", "STR", "STRT", "PEM", "DER"};

/* The shell's names: the first of a type's group in full, the last as the compact one. */
static const char *type_name(enum tls_credential_type t)
{
	for (size_t i = 0; i < NTYPES; i++) {
		if (types[i].type == t) {
			return types[i].name;
		}
	}
	return "INVALID";
}

static const char *type_compact(enum tls_credential_type t)
{
	for (size_t i = NTYPES; i-- > 0;) {
		if (types[i].type == t) {
			return types[i].name;
		}
	}
	return "INV";
}

static void help(FILE *f)
{
	fprintf(f,
		"usage: secsock cred [--store DIR] add TAG TYPE [default] FORMAT [DATA] "
		"[--replace]\n"
		"       secsock cred [--store DIR] get TAG TYPE FORMAT\n"
		"       secsock cred [--store DIR] del TAG TYPE\n"
		"       secsock cred [--store DIR] list [TAG|any [TYPE|any]] [--zephyr]\n"
		"\n"
		"TYPE    CA_CERT, SERVER_CERT (also CLIENT_CERT, SELF), PRIVATE_KEY, PSK, PSK_ID\n"
		"FORMAT  BIN / BINT   DATA is base64 (BINT: stored with a NUL appended)\n"
		"        STR / STRT   DATA is the text itself (STRT: stored with a NUL appended)\n"
		"        PEM / DER    DATA is a file (PEM is stored with its NUL, as Zephyr "
		"wants)\n"
		"        Without DATA (or with -), the data is read from stdin.\n"
		"TAG     0 to %d. The store is $SECSOCK_CRED_DIR, else $XDG_DATA_HOME/secsock,\n"
		"        else ~/.local/share/secsock (--store DIR overrides).\n",
		CLI_TAG_FILES - 1);
}

static bool parse_tag(const char *s, sec_tag_t *out)
{
	long v;

	if (!cli_parse_int(s, 0, CLI_TAG_FILES - 1, &v)) {
		cli_err("%s is not a valid sectag (0 to %d)", s, CLI_TAG_FILES - 1);
		return false;
	}
	*out = (sec_tag_t)v;
	return true;
}

static bool parse_type(const char *s, enum tls_credential_type *out)
{
	for (size_t i = 0; i < NTYPES; i++) {
		if (strcasecmp(s, types[i].name) == 0) {
			*out = types[i].type;
			return true;
		}
	}
	cli_err("%s is not a valid credential type (CA_CERT, SERVER_CERT, CLIENT_CERT, SELF, "
		"PRIVATE_KEY, PSK, PSK_ID)",
		s);
	return false;
}

static bool parse_fmt(const char *s, enum fmt *out)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++) {
		if (strcasecmp(s, fmt_names[i]) == 0) {
			*out = (enum fmt)i;
			return true;
		}
	}
	cli_err("%s is not a valid storage format (BIN, BINT, STR, STRT, PEM, DER)", s);
	return false;
}

/* What makes sense for the type; a clear word instead of a failing handshake later. */
static bool check(enum tls_credential_type type, const unsigned char *buf, size_t len)
{
	char why[160], subject[256];
	time_t exp;
	int count;

	switch (type) {
	case TLS_CREDENTIAL_CA_CERTIFICATE:
	case TLS_CREDENTIAL_PUBLIC_CERTIFICATE:
		if (mc_cert_info(buf, len, subject, sizeof(subject), &exp, &count) != 0) {
			cli_err("the data is not a certificate (PEM or DER)");
			return false;
		}
		return true;
	case TLS_CREDENTIAL_PRIVATE_KEY:
		if (mc_key_check(buf, len, why, sizeof(why)) != 0) {
			cli_err("%s", why);
			return false;
		}
		return true;
	case TLS_CREDENTIAL_PSK_ID:
		for (size_t i = 0; i < len; i++) {
			if (buf[i] == '\0' && i + 1 == len) {
				break; /* STRT's terminator */
			}
			if (!isprint(buf[i])) {
				cli_err("a PSK identity must be printable text");
				return false;
			}
		}
		return true;
	default:
		return true;
	}
}

static int store(const char *dir)
{
	return cli_store_open(dir, false);
}

static int cmd_add(int argc, char **argv, const char *dir, bool replace)
{
	enum tls_credential_type type;
	enum fmt fmt;
	sec_tag_t tag;
	unsigned char *buf = NULL;
	size_t len = 0;
	int a = 3, rc;
	const char *data;

	if (argc < 4) {
		cli_err("usage: secsock cred add TAG TYPE [default] FORMAT [DATA]");
		return EXIT_USAGE;
	}
	if (!parse_tag(argv[1], &tag) || !parse_type(argv[2], &type)) {
		return EXIT_USAGE;
	}
	if (strcasecmp(argv[3], "default") == 0) {
		a = 4; /* Zephyr's backend argument: only "default" exists */
	}
	if (a >= argc || !parse_fmt(argv[a], &fmt)) {
		if (a >= argc) {
			cli_err("a storage format is missing (BIN, BINT, STR, STRT, PEM, DER)");
		}
		return EXIT_USAGE;
	}
	if (a + 2 < argc) {
		cli_err("too many arguments: secsock cred add TAG TYPE [default] FORMAT [DATA]");
		return EXIT_USAGE;
	}
	data = a + 1 < argc ? argv[a + 1] : NULL;
	if (data != NULL && strcmp(data, "-") == 0) {
		data = NULL;
	}
	if (fmt == F_PEM || fmt == F_DER) {
		rc = data != NULL ? cli_read_file(data, &buf, &len) : cli_read_stdin(&buf, &len);
		if (rc < 0) {
			cli_err("%s: %s", data != NULL ? data : "stdin", strerror(-rc));
			return EXIT_USAGE;
		}
	} else if (data != NULL) {
		len = strlen(data);
		buf = malloc(len + 1);
		if (buf == NULL) {
			return EXIT_FAIL;
		}
		memcpy(buf, data, len + 1);
	} else {
		rc = cli_read_stdin(&buf, &len);
		if (rc < 0) {
			cli_err("stdin: %s", strerror(-rc));
			return EXIT_USAGE;
		}
		/* a line typed or piped in: its newline is not part of the data */
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
			len--;
		}
	}
	rc = EXIT_USAGE;
	if (fmt == F_BIN || fmt == F_BINT) {
		if (!cli_base64_decode((const char *)buf, len, buf, &len)) {
			cli_err("could not decode the data from base64");
			goto out;
		}
	}
	if (fmt == F_PEM && memmem(buf, len, "-----BEGIN ", 11) == NULL) {
		cli_err("%s is not PEM (no -----BEGIN line); use DER for binary files",
			data != NULL ? data : "stdin");
		goto out;
	}
	if (fmt == F_DER && (len < 2 || buf[0] != 0x30)) {
		cli_err("%s is not DER (it does not start with an ASN.1 SEQUENCE)",
			data != NULL ? data : "stdin");
		goto out;
	}
	if (fmt == F_BINT || fmt == F_STRT || (fmt == F_PEM && buf[len - 1] != '\0')) {
		unsigned char *more = realloc(buf, len + 1);

		if (more == NULL) {
			goto out;
		}
		buf = more;
		buf[len++] = '\0';
	}
	if (len == 0) {
		cli_err("please provide a credential to add (the data is empty)");
		goto out;
	}
	if (!check(type, buf, len)) {
		goto out;
	}
	rc = store(dir);
	if (rc != 0) {
		goto out;
	}
	rc = replace ? secsock_cred_replace(tag, type, buf, len)
		     : tls_credential_add(tag, type, buf, len);
	if (rc == -EEXIST) {
		cli_err("TLS credential with sectag %d and type %s already exists (delete it, or "
			"add --replace)",
			tag, type_name(type));
		rc = EXIT_FAIL;
	} else if (rc < 0) {
		cli_err("failed to add TLS credential with sectag %d and type %s: %s", tag,
			type_name(type), strerror(-rc));
		rc = rc == -EPERM || rc == -EACCES || rc == -EROFS || rc == -EIO ? EXIT_STORE
										 : EXIT_FAIL;
	} else {
		printf("%s TLS credential of type %s, sectag %d, and length %zu bytes.\n",
		       replace ? "Stored" : "Added", type_name(type), tag, len);
		rc = EXIT_OK;
	}
out:
	cli_wipe(buf, len);
	free(buf);
	return rc;
}

/* The credential of (tag, type) in a heap buffer; EXIT_* on failure. */
static int fetch(sec_tag_t tag, enum tls_credential_type type, unsigned char **out, size_t *len)
{
	size_t n = 0;
	int rc = tls_credential_get(tag, type, NULL, &n);

	if (rc == -ENOENT) {
		cli_err("there is no TLS credential with sectag %d and type %s", tag,
			type_name(type));
		return EXIT_FAIL;
	}
	*out = malloc(n > 0 ? n : 1);
	if (*out == NULL) {
		return EXIT_FAIL;
	}
	rc = tls_credential_get(tag, type, *out, &n);
	if (rc < 0) {
		cli_err("could not retrieve TLS credential with sectag %d and type %s: %s", tag,
			type_name(type), strerror(-rc));
		free(*out);
		return EXIT_FAIL;
	}
	*len = n;
	return 0;
}

static int cmd_get(int argc, char **argv, const char *dir)
{
	enum tls_credential_type type;
	enum fmt fmt;
	sec_tag_t tag;
	unsigned char *buf = NULL;
	size_t len = 0, alloc = 0;
	int rc;

	if (argc != 4) {
		cli_err("usage: secsock cred get TAG TYPE FORMAT");
		return EXIT_USAGE;
	}
	if (!parse_tag(argv[1], &tag) || !parse_type(argv[2], &type) || !parse_fmt(argv[3], &fmt)) {
		return EXIT_USAGE;
	}
	rc = cli_store_open(dir, true);
	if (rc != 0 || (rc = fetch(tag, type, &buf, &len)) != 0) {
		return rc;
	}
	alloc = len;
	if (fmt == F_BINT || fmt == F_STRT) {
		if (buf[len - 1] != '\0') {
			cli_err("the stored credential isn't NUL-terminated, but a NUL-terminated "
				"format was given");
			rc = EXIT_FAIL;
			goto out;
		}
		len--;
	}
	if (fmt == F_BIN || fmt == F_BINT) {
		char line[65];

		for (size_t i = 0; i < len; i += 48) { /* 64 base64 characters a line */
			cli_base64_encode(buf + i, len - i < 48 ? len - i : 48, line);
			printf("%s\n", line);
		}
		cli_wipe(line, sizeof(line));
	} else if (fmt == F_STR || fmt == F_STRT) {
		bool filtered = false;

		for (size_t i = 0; i < len; i++) {
			bool ok = isprint(buf[i]) || buf[i] == '\n' || buf[i] == '\r' ||
				  buf[i] == '\t';

			filtered |= !ok;
			putchar(ok ? buf[i] : '?');
		}
		if (len > 0 && buf[len - 1] != '\n') {
			putchar('\n');
		}
		if (filtered) {
			cli_err("non-printable characters were filtered out: is the format right "
				"(BIN)?");
			rc = EXIT_FAIL;
		}
	} else {
		if (fmt == F_PEM && len > 0 && buf[len - 1] == '\0') {
			len--; /* the file gets the text, not Zephyr's terminator */
		}
		if (fwrite(buf, 1, len, stdout) != len) {
			rc = EXIT_FAIL;
		}
	}
out:
	cli_wipe(buf, alloc);
	free(buf);
	return rc;
}

static int cmd_del(int argc, char **argv, const char *dir)
{
	enum tls_credential_type type;
	sec_tag_t tag;
	int rc;

	if (argc != 3) {
		cli_err("usage: secsock cred del TAG TYPE");
		return EXIT_USAGE;
	}
	if (!parse_tag(argv[1], &tag) || !parse_type(argv[2], &type)) {
		return EXIT_USAGE;
	}
	rc = store(dir);
	if (rc != 0) {
		return rc;
	}
	rc = tls_credential_delete(tag, type);
	if (rc == -ENOENT) {
		cli_err("there is no TLS credential with sectag %d and type %s", tag,
			type_name(type));
		return EXIT_FAIL;
	}
	if (rc < 0) {
		cli_err("deleting TLS credential with sectag %d and type %s failed: %s", tag,
			type_name(type), strerror(-rc));
		return EXIT_STORE;
	}
	printf("Deleted TLS credential with sectag %d and type %s.\n", tag, type_name(type));
	return EXIT_OK;
}

struct entry {
	sec_tag_t tag;
	enum tls_credential_type type;
	size_t len;
};

struct listing {
	struct entry *e;
	size_t n, cap;
	sec_tag_t tag; /* -1: any */
	int type;      /* 0: any */
};

static int collect(void *arg, sec_tag_t tag, enum tls_credential_type type, size_t len)
{
	struct listing *l = arg;

	if ((l->tag >= 0 && tag != l->tag) || (l->type != 0 && (int)type != l->type)) {
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct entry *e = realloc(l->e, cap * sizeof(*e));

		if (e == NULL) {
			return -ENOMEM;
		}
		l->e = e;
		l->cap = cap;
	}
	l->e[l->n++] = (struct entry){tag, type, len};
	return 0;
}

static int cmd_list(int argc, char **argv, const char *dir, bool zephyr)
{
	struct listing l = {.tag = -1};
	int rc;

	if (argc > 3) {
		cli_err("usage: secsock cred list [TAG|any [TYPE|any]]");
		return EXIT_USAGE;
	}
	if (argc >= 2 && strcasecmp(argv[1], "any") != 0 && !parse_tag(argv[1], &l.tag)) {
		return EXIT_USAGE;
	}
	if (argc >= 3 && strcasecmp(argv[2], "any") != 0) {
		enum tls_credential_type t;

		if (!parse_type(argv[2], &t)) {
			return EXIT_USAGE;
		}
		l.type = (int)t;
	}
	rc = cli_store_open(dir, true);
	if (rc != 0) {
		return rc;
	}
	if (secsock_cred_foreach(collect, &l) < 0) {
		cli_err("out of memory");
		free(l.e);
		return EXIT_FAIL;
	}
	if (!zephyr && l.n > 0) {
		printf("%-10s %-17s %6s  %-44s  %s\n", "TAG", "TYPE", "BYTES", "SHA-256 (base64)",
		       "CERTIFICATE");
	}
	for (size_t i = 0; i < l.n; i++) {
		unsigned char *buf = NULL, d[32];
		char b64[48] = "ERROR", subject[256], details[400] = "";
		size_t len = 0;
		int err = fetch(l.e[i].tag, l.e[i].type, &buf, &len) != 0 ? -EIO : 0;

		if (err == 0 && mc_sha256(buf, len, d) == 0) {
			cli_base64_encode(d, sizeof(d), b64);
		}
		if (err == 0 && (l.e[i].type == TLS_CREDENTIAL_CA_CERTIFICATE ||
				 l.e[i].type == TLS_CREDENTIAL_PUBLIC_CERTIFICATE)) {
			time_t exp;
			int count;
			struct tm tm;
			char when[32];

			if (mc_cert_info(buf, len, subject, sizeof(subject), &exp, &count) == 0) {
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
					 gmtime_r(&exp, &tm));
				snprintf(details, sizeof(details), "%s, expires %s%s%s", subject,
					 when, exp < time(NULL) ? " (EXPIRED)" : "",
					 count > 1 ? " (+ more in the chain)" : "");
			} else {
				snprintf(details, sizeof(details), "(does not parse)");
			}
		}
		if (zephyr) {
			printf("%d,%s,%s,%d\n", l.e[i].tag, type_compact(l.e[i].type), b64, err);
		} else {
			printf("%-10d %-17s %6zu  %-44s  %s\n", l.e[i].tag, type_name(l.e[i].type),
			       l.e[i].len, b64, details);
		}
		if (buf != NULL) {
			cli_wipe(buf, len);
			free(buf);
		}
	}
	printf("%zu credentials found.\n", l.n);
	free(l.e);
	return EXIT_OK;
}

int cli_cred(int argc, char **argv)
{
	const char *store_opt = NULL;
	bool replace = false, zephyr = false;
	char *args[16];
	int n = 0;

	/* options anywhere; the rest in order */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--store") == 0) {
			if (++i >= argc) {
				cli_err("--store needs a directory");
				return EXIT_USAGE;
			}
			store_opt = argv[i];
		} else if (strcmp(argv[i], "--replace") == 0) {
			replace = true;
		} else if (strcmp(argv[i], "--zephyr") == 0) {
			zephyr = true;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			cli_err("unknown option %s (see secsock cred --help)", argv[i]);
			return EXIT_USAGE;
		} else if (n < (int)(sizeof(args) / sizeof(args[0]))) {
			args[n++] = argv[i];
		}
	}
	if (n == 0) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(args[0], "add") == 0) {
		return cmd_add(n, args, cli_store_dir(store_opt), replace);
	}
	if (strcmp(args[0], "get") == 0) {
		return cmd_get(n, args, cli_store_dir(store_opt));
	}
	if (strcmp(args[0], "del") == 0) {
		return cmd_del(n, args, cli_store_dir(store_opt));
	}
	if (strcmp(args[0], "list") == 0) {
		return cmd_list(n, args, cli_store_dir(store_opt), zephyr);
	}
	if (strcmp(args[0], "buf") == 0) {
		cli_err("cred buf is not needed here: give the data as the last argument of cred "
			"add, or on stdin");
		return EXIT_USAGE;
	}
	cli_err("unknown cred command \"%s\" (add, get, del, list)", args[0]);
	return EXIT_USAGE;
}
