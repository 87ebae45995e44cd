/*
 * The directory backend of the credential store (dir.h).
 *
 * One file per credential, named "<tag>-<TYPE>.cred" (TYPE as in the cred
 * shell: CA_CERT, SERVER_CERT, PRIVATE_KEY, PSK, PSK_ID). A file is a
 * 32-byte header and the credential's bytes:
 *
 *   0  "SECSOCK" and a format version byte (1)
 *   8  tag, uint32 little-endian
 *   12 type, uint32 little-endian
 *   16 length of the credential, uint64 little-endian
 *   24 SipHash-2-4 of the credential, keyed by the SipHash of bytes 0..23
 *
 * The checksum finds damaged and foreign files; it is not a secret. Files
 * are 0600 in a 0700 directory; a writer takes flock(LOCK_EX) on ".lock",
 * writes ".tmp-*", fsyncs it, renames it over the final name and fsyncs the
 * directory, so a crash leaves the old file or the new one and at worst a
 * temporary file, which the next writer removes.
 */
#include "cred/dir.h"
#include "sys/host.h"
#include "util/hmap.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_LEN   32
#define LOCK_NAME ".lock"
#define TMP_PFX   ".tmp-"
#define SUFFIX    ".cred"

static const unsigned char magic[8] = {'S', 'E', 'C', 'S', 'O', 'C', 'K', 1};
static const uint64_t sum_k0 = 0x7365637363726564ULL; /* fixed: a checksum, not a MAC */
static const uint64_t sum_k1 = 0x6469726261636b31ULL;

struct zt_dir {
	int fd;             /* the directory */
	int lock_fd;        /* .lock */
	pthread_mutex_t mu; /* threads of this process: flock() is per open file */
};

static const char *const type_names[] = {
	[TLS_CREDENTIAL_CA_CERTIFICATE] = "CA_CERT",
	[TLS_CREDENTIAL_PUBLIC_CERTIFICATE] = "SERVER_CERT",
	[TLS_CREDENTIAL_PRIVATE_KEY] = "PRIVATE_KEY",
	[TLS_CREDENTIAL_PSK] = "PSK",
	[TLS_CREDENTIAL_PSK_ID] = "PSK_ID",
};

void zt_dir_name(char *buf, size_t size, sec_tag_t tag, enum tls_credential_type type)
{
	const char *t = (int)type > 0 && (size_t)type < ZT_ARRAY_SIZE(type_names) ? type_names[type]
										  : "NONE";

	snprintf(buf, size, "%d-%s%s", (int)tag, t, SUFFIX);
}

/* "<tag>-<TYPE>.cred" back to (tag, type); false for any other name. */
static bool parse_name(const char *name, sec_tag_t *tag, enum tls_credential_type *type)
{
	long long v = 0;
	const char *p = name;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '-')) {
		return false;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX) {
			return false;
		}
	}
	if (*p++ != '-') {
		return false;
	}
	for (size_t t = 1; t < ZT_ARRAY_SIZE(type_names); t++) {
		size_t n = strlen(type_names[t]);

		if (strncmp(p, type_names[t], n) == 0 && strcmp(p + n, SUFFIX) == 0) {
			*tag = (sec_tag_t)v;
			*type = (enum tls_credential_type)t;
			return true;
		}
	}
	return false;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
	}
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
	}
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

/* Chained over bytes 0..23 of the header, then the credential (@p file is whole). */
static uint64_t checksum(const unsigned char *file, size_t len)
{
	return zt_siphash(zt_siphash(sum_k0, sum_k1, file, 24), sum_k1, file + HDR_LEN,
			  len - HDR_LEN);
}

static void report_fmt(zt_dir_report_fn report, void *arg, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report_fmt(zt_dir_report_fn report, void *arg, const char *name, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (report == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	report(arg, name, why);
}

/* mkdir -p with 0700 for what it creates */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		return -ENAMETOOLONG;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

int zt_dir_open(struct zt_dir **out, const char *path, bool create, zt_dir_report_fn report,
		void *arg)
{
	struct zt_dir *d;
	struct stat st;
	int fd, rc;

	if (path == NULL || *path == '\0') {
		return -EINVAL;
	}
	if (create && (rc = make_dirs(path)) < 0) {
		report_fmt(report, arg, path, "cannot create the directory: %s", strerror(-rc));
		return rc;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		report_fmt(report, arg, path, "cannot open the directory: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		zt_sys_close(fd);
		return rc;
	}
	if (st.st_uid != geteuid()) {
		report_fmt(report, arg, path, "refused: owned by uid %u, not by this user (uid %u)",
			   (unsigned)st.st_uid, (unsigned)geteuid());
		zt_sys_close(fd);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		report_fmt(report, arg, path,
			   "refused: the directory is writable by group or others (mode %04o; "
			   "chmod 700 it)",
			   (unsigned)(st.st_mode & 07777));
		zt_sys_close(fd);
		return -EPERM;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		zt_sys_close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	d->lock_fd = -1;
	pthread_mutex_init(&d->mu, NULL);
	*out = d;
	return 0;
}

void zt_dir_close(struct zt_dir *d)
{
	if (d == NULL) {
		return;
	}
	if (d->lock_fd >= 0) {
		zt_sys_close(d->lock_fd);
	}
	zt_sys_close(d->fd);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int zt_dir_lock(struct zt_dir *d, bool exclusive)
{
	int rc;

	pthread_mutex_lock(&d->mu);
	if (d->lock_fd < 0) {
		/* a read-only user (another uid's directory is refused) still creates it */
		d->lock_fd =
			openat(d->fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d->lock_fd < 0 && errno == EACCES && !exclusive) {
			d->lock_fd = openat(d->fd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (d->lock_fd < 0) {
			rc = -errno;
			pthread_mutex_unlock(&d->mu);
			return rc;
		}
	}
	while (flock(d->lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			pthread_mutex_unlock(&d->mu);
			return rc;
		}
	}
	return 0;
}

void zt_dir_unlock(struct zt_dir *d)
{
	(void)flock(d->lock_fd, LOCK_UN);
	pthread_mutex_unlock(&d->mu);
}

/* Read a whole file of at most @p max bytes; -EFBIG beyond. */
static int read_all(int fd, unsigned char **out, size_t *len, size_t max)
{
	struct stat st;
	unsigned char *buf;
	size_t n = 0, size;

	if (fstat(fd, &st) < 0) {
		return -errno;
	}
	if ((uint64_t)st.st_size > max) {
		return -EFBIG;
	}
	size = (size_t)st.st_size;
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		return -ENOMEM;
	}
	while (n < size) {
		ssize_t r = zt_sys_read(fd, buf + n, size - n);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			int rc = r < 0 ? -errno : -EIO;

			zt_wipe(buf, n);
			free(buf);
			return rc;
		}
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * One file: checks, then fn. Returns 1 when passed to fn, 0 when skipped,
 * or fn's negative value.
 */
static int load_one(struct zt_dir *d, const char *name, zt_dir_load_fn fn, void *arg,
		    zt_dir_report_fn report, void *rarg)
{
	enum tls_credential_type type;
	unsigned char *file = NULL;
	struct stat st;
	sec_tag_t tag;
	size_t len = 0;
	uint64_t clen;
	int fd, rc;

	if (!parse_name(name, &tag, &type)) {
		report_fmt(report, rarg, name,
			   "skipped: not a credential file (names are <tag>-<TYPE>.cred)");
		return 0;
	}
	fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		report_fmt(report, rarg, name, "skipped: cannot open: %s",
			   errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		report_fmt(report, rarg, name, "skipped: not a regular file");
		zt_sys_close(fd);
		return 0;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		report_fmt(report, rarg, name,
			   "skipped: unsafe (owner uid %u, mode %04o; must be yours and 0600)",
			   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		zt_sys_close(fd);
		return 0;
	}
	rc = read_all(fd, &file, &len, ZT_DIR_MAX_CRED + HDR_LEN);
	zt_sys_close(fd);
	if (rc < 0) {
		report_fmt(report, rarg, name, "skipped: cannot read: %s",
			   rc == -EFBIG ? "larger than any credential" : strerror(-rc));
		return 0;
	}
	rc = 0;
	if (len < HDR_LEN || memcmp(file, magic, 7) != 0) {
		report_fmt(report, rarg, name, "skipped: not a secsock credential file");
		goto out;
	}
	if (file[7] != magic[7]) {
		report_fmt(report, rarg, name, "skipped: format version %u (this build reads %u)",
			   file[7], magic[7]);
		goto out;
	}
	clen = get64(file + 16);
	if (clen != len - HDR_LEN || clen == 0 || get64(file + 24) != checksum(file, len)) {
		report_fmt(report, rarg, name, "skipped: damaged (length or checksum wrong)");
		goto out;
	}
	if ((sec_tag_t)get32(file + 8) != tag || get32(file + 12) != (uint32_t)type) {
		report_fmt(report, rarg, name,
			   "skipped: its content is tag %u type %u, not its name", get32(file + 8),
			   get32(file + 12));
		goto out;
	}
	rc = fn(arg, tag, type, file + HDR_LEN, (size_t)clen);
	if (rc >= 0) {
		rc = 1;
	}
out:
	zt_wipe(file, len);
	free(file);
	return rc;
}

static int dir_entries(struct zt_dir *d, DIR **out)
{
	int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		return -errno;
	}
	*out = fdopendir(fd);
	if (*out == NULL) {
		int rc = -errno;

		zt_sys_close(fd);
		return rc;
	}
	return 0;
}

int zt_dir_load(struct zt_dir *d, zt_dir_load_fn fn, void *arg, zt_dir_report_fn report, void *rarg)
{
	struct dirent *de;
	DIR *dir;
	int rc, count = 0;

	rc = dir_entries(d, &dir);
	if (rc < 0) {
		return rc;
	}
	/* bounded: a directory has finitely many entries and readdir() sees each once */
	while ((de = readdir(dir)) != NULL) {
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, LOCK_NAME) == 0 ||
		    strncmp(n, TMP_PFX, strlen(TMP_PFX)) == 0) {
			continue;
		}
		rc = load_one(d, n, fn, arg, report, rarg);
		if (rc < 0) {
			break;
		}
		count += rc;
	}
	closedir(dir);
	return rc < 0 ? rc : count;
}

int zt_dir_exists(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type)
{
	char name[64];
	struct stat st;

	zt_dir_name(name, sizeof(name), tag, type);
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		return 1;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Temporary files of writers that died (only writers holding the lock make them). */
static void remove_stale(struct zt_dir *d)
{
	struct dirent *de;
	DIR *dir;

	if (dir_entries(d, &dir) < 0) {
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, TMP_PFX, strlen(TMP_PFX)) == 0) {
			(void)unlinkat(d->fd, de->d_name, 0);
		}
	}
	closedir(dir);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = zt_sys_write(fd, p, n);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return w < 0 ? -errno : -EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int zt_dir_write(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		 size_t len)
{
	static _Atomic unsigned seq;
	char name[64], tmp[128];
	unsigned char *file;
	size_t flen = HDR_LEN + len;
	int fd, rc;

	if (len == 0 || len > ZT_DIR_MAX_CRED) {
		return -EFBIG;
	}
	remove_stale(d);
	file = malloc(flen);
	if (file == NULL) {
		return -ENOMEM;
	}
	memcpy(file, magic, sizeof(magic));
	put32(file + 8, (uint32_t)tag);
	put32(file + 12, (uint32_t)type);
	put64(file + 16, len);
	memcpy(file + HDR_LEN, buf, len);
	put64(file + 24, checksum(file, flen));

	zt_dir_name(name, sizeof(name), tag, type);
	snprintf(tmp, sizeof(tmp), TMP_PFX "%s-%ld-%u", name, (long)getpid(),
		 atomic_fetch_add(&seq, 1));
	fd = openat(d->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, file, flen);
	if (rc == 0 && fsync(fd) < 0) {
		rc = -errno;
	}
	if (zt_sys_close(fd) < 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && renameat(d->fd, tmp, d->fd, name) < 0) {
		rc = -errno;
	}
	if (rc < 0) {
		(void)unlinkat(d->fd, tmp, 0);
		goto out;
	}
	if (fsync(d->fd) < 0) {
		rc = -errno;
	}
out:
	zt_wipe(file, flen);
	free(file);
	return rc;
}

int zt_dir_remove(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type)
{
	char name[64];

	remove_stale(d);
	zt_dir_name(name, sizeof(name), tag, type);
	if (unlinkat(d->fd, name, 0) < 0) {
		return -errno;
	}
	return fsync(d->fd) < 0 ? -errno : 0;
}
