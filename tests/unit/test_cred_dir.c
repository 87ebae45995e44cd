/*
 * The directory credential store (src/cred/dir.c, src/cred/api.c;
 * secsock_cred_store_dir() in <secsock/secsock.h>): files and modes,
 * reloading, another process through SECSOCK_CRED_DIR, unsafe directories,
 * damaged and foreign files, and durability: a writer killed with SIGKILL in
 * the middle of its loop, and several writers at once.
 *
 * Helper processes: tests/tools/cred_dir_tool.c (ZT_CRED_DIR_TOOL).
 */
#include "harness.h"
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <secsock/secsock.h>
#include <zephyr/net/tls_credentials.h>

#define PSK TLS_CREDENTIAL_PSK
#define ID  TLS_CREDENTIAL_PSK_ID

struct reports {
	int n;
	char last[512];
};

static void on_report(void *arg, const char *name, const char *why)
{
	struct reports *r = arg;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%s: %s", name, why);
}

/* A fresh directory under $TMPDIR; removed by cleanup(). */
static void fresh(char *dir, size_t size)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, size, "%s/secsock-creddir.XXXXXX", t != NULL ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		th_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	}
}

/* Back to an empty memory-only store, the directory removed. */
static void cleanup(const char *dir)
{
	char cmd[600];
	char empty[256];

	fresh(empty, sizeof(empty));
	(void)secsock_cred_store_dir(empty, 0, NULL, NULL); /* loads nothing: memory is empty */
	(void)secsock_cred_store_dir(NULL, 0, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, empty);
	if (system(cmd) != 0) {
		th_fail(__FILE__, __LINE__, "%s failed", cmd);
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
}

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* Run the helper to the end (10 s at most); its output in out. Exit status or -1. */
static int tool(char *out, size_t size, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *a5)
{
	char *argv[] = {ZT_CRED_DIR_TOOL, (char *)a1, (char *)a2, (char *)a3,
			(char *)a4,       (char *)a5, NULL};
	int fd = -1, st;
	pid_t pid = tu_spawn(argv, &fd, NULL);

	out[0] = '\0';
	if (pid < 0) {
		return -1;
	}
	(void)tu_expect(fd, "\n", 10000, out, size); /* the one line it prints */
	st = tu_wait_exit(pid, 10000);
	if (st < 0) {
		tu_kill(pid);
	}
	close(fd);
	return st;
}

TEST(test_dir_files_modes_roundtrip)
{
	char dir[256], sub[300], file[400], buf[64];
	struct reports r = {0};
	size_t len = sizeof(buf);

	fresh(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	EXPECT_EQ(secsock_cred_store_dir(sub, 0, on_report, &r), -ENOENT);
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ(secsock_cred_store_dir(sub, SECSOCK_CRED_DIR_CREATE, on_report, &r), 0);
	EXPECT_EQ(mode_of(sub), 0700);
	EXPECT_EQ(tls_credential_add(5, PSK, "secret-psk", 10), 0);
	EXPECT_EQ(tls_credential_add(5, ID, "client-5", 8), 0);
	EXPECT_EQ(tls_credential_add(5, PSK, "other", 5), -EEXIST);
	path_of(file, sizeof(file), sub, "5-PSK.cred");
	EXPECT_EQ(mode_of(file), 0600);
	path_of(file, sizeof(file), sub, "5-PSK_ID.cred");
	EXPECT_EQ(mode_of(file), 0600);

	/* reload: memory is replaced by what the directory holds */
	(void)secsock_cred_store_dir(NULL, 0, NULL, NULL);
	EXPECT_EQ(tls_credential_delete(5, ID), 0); /* memory only now: the file stays */
	EXPECT_EQ(secsock_cred_store_dir(sub, 0, on_report, &r), 2);
	EXPECT_EQ(tls_credential_get(5, PSK, buf, &len), 0);
	EXPECT_EQ(len, 10);
	EXPECT_TRUE(memcmp(buf, "secret-psk", 10) == 0);
	EXPECT_EQ(r.n, 1); /* only the ENOENT above */

	/* delete removes the file */
	EXPECT_EQ(tls_credential_delete(5, ID), 0);
	EXPECT_TRUE(access(file, F_OK) < 0 && errno == ENOENT);
	EXPECT_EQ(tls_credential_delete(5, ID), -ENOENT);
	EXPECT_EQ(secsock_cred_store_dir(sub, 0, NULL, NULL), 1);
	cleanup(dir);
}

TEST(test_dir_replace_and_foreach)
{
	char dir[256], buf[64];
	size_t len = sizeof(buf);

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(secsock_cred_store_dir(dir, 0, NULL, NULL) == 0);
	EXPECT_EQ(secsock_cred_replace(9, PSK, "one", 3), 0); /* replace of nothing adds */
	EXPECT_EQ(secsock_cred_replace(9, PSK, "second", 6), 0);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, NULL, NULL), 1);
	EXPECT_EQ(tls_credential_get(9, PSK, buf, &len), 0);
	EXPECT_EQ(len, 6);
	EXPECT_EQ(secsock_cred_replace(9, PSK, NULL, 3), -EINVAL);
	EXPECT_EQ(secsock_cred_replace(-1, PSK, "x", 1), -EINVAL);
	EXPECT_EQ(secsock_cred_foreach(NULL, NULL), -EINVAL);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0x80, NULL, NULL), -EINVAL);
	EXPECT_EQ(secsock_cred_store_dir("", 0, NULL, NULL), -EINVAL);
	cleanup(dir);
}

static int count_fn(void *arg, sec_tag_t tag, enum tls_credential_type type, size_t len)
{
	int *n = arg;

	(*n)++;
	return tag == 10 && type == ID && len == 1 ? 0 : -1;
}

TEST(test_dir_foreach_visits)
{
	char dir[256];
	int n = 0;

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(secsock_cred_store_dir(dir, 0, NULL, NULL) == 0);
	EXPECT_EQ(tls_credential_add(10, ID, "x", 1), 0);
	EXPECT_EQ(secsock_cred_foreach(count_fn, &n), 1);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(tls_credential_add(11, ID, "y", 1), 0);
	EXPECT_EQ(secsock_cred_foreach(count_fn, &n), -1);
	cleanup(dir);
}

TEST(test_dir_readonly_keeps_disk)
{
	char dir[256], file[400];

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(secsock_cred_store_dir(dir, 0, NULL, NULL) == 0);
	EXPECT_EQ(tls_credential_add(3, ID, "kept", 4), 0);
	EXPECT_EQ(secsock_cred_store_dir(dir, SECSOCK_CRED_DIR_READONLY, NULL, NULL), 1);
	EXPECT_EQ(tls_credential_add(4, ID, "memory", 6), 0);
	EXPECT_EQ(tls_credential_delete(3, ID), 0);
	path_of(file, sizeof(file), dir, "4-PSK_ID.cred");
	EXPECT_TRUE(access(file, F_OK) < 0);
	path_of(file, sizeof(file), dir, "3-PSK_ID.cred");
	EXPECT_TRUE(access(file, F_OK) == 0);
	cleanup(dir);
}

TEST(test_dir_unsafe_refused)
{
	char dir[256];
	struct reports r = {0};

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(chmod(dir, 0777) == 0);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, on_report, &r), -EPERM);
	EXPECT_EQ(r.n, 1);
	EXPECT_TRUE(strstr(r.last, "writable by group or others") != NULL);
	ASSERT_TRUE(chmod(dir, 0720) == 0);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, on_report, &r), -EPERM);
	ASSERT_TRUE(chmod(dir, 0755) == 0); /* readable by others is allowed: files are 0600 */
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, on_report, &r), 0);
	cleanup(dir);
}

static void write_file(const char *dir, const char *name, const void *buf, size_t len, mode_t mode)
{
	char path[400];
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		th_fail(__FILE__, __LINE__, "cannot write %s", path);
	}
	if (fd >= 0) {
		fchmod(fd, mode);
		close(fd);
	}
}

static unsigned char *read_back(const char *dir, const char *name, size_t *len)
{
	char path[400];
	unsigned char *buf = NULL;

	path_of(path, sizeof(path), dir, name);
	if (tu_read_file(path, &buf, len) < 0) {
		th_fail(__FILE__, __LINE__, "cannot read %s", path);
	}
	return buf;
}

TEST(test_dir_damaged_and_foreign_skipped)
{
	char dir[256], path[400];
	struct reports r = {0};
	unsigned char *good, *bad;
	size_t len = 0, glen = 0;

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(secsock_cred_store_dir(dir, 0, NULL, NULL) == 0);
	EXPECT_EQ(tls_credential_add(1, ID, "good-one", 8), 0);
	EXPECT_EQ(tls_credential_add(2, ID, "to-damage", 9), 0);
	good = read_back(dir, "1-PSK_ID.cred", &glen);
	bad = read_back(dir, "2-PSK_ID.cred", &len);
	ASSERT_TRUE(good != NULL && bad != NULL && len > 33);

	bad[len - 1] ^= 1; /* a flipped bit in the credential */
	write_file(dir, "2-PSK_ID.cred", bad, len, 0600);
	write_file(dir, "3-PSK_ID.cred", bad, 20, 0600);    /* truncated header */
	write_file(dir, "4-PSK_ID.cred", good, glen, 0600); /* another name's content */
	write_file(dir, "5-PSK_ID.cred", good, glen, 0666); /* world-writable */
	write_file(dir, "README", "notes\n", 6, 0600);      /* foreign */
	write_file(dir, "6-NOPE.cred", "x", 1, 0600);       /* unknown type */
	write_file(dir, "7-PSK_ID.cred", "", 0, 0600);      /* empty */
	bad[7] = 9;
	write_file(dir, "8-PSK_ID.cred", bad, len, 0600); /* another format version */
	path_of(path, sizeof(path), dir, "9-PSK_ID.cred");
	EXPECT_TRUE(symlink("1-PSK_ID.cred", path) == 0); /* a link is never followed */
	path_of(path, sizeof(path), dir, "10-PSK_ID.cred");
	EXPECT_TRUE(mkdir(path, 0700) == 0);
	write_file(dir, ".tmp-1-PSK_ID.cred-1-1", good, 10, 0600); /* a dead writer's */

	EXPECT_EQ(secsock_cred_store_dir(dir, 0, on_report, &r), 1);
	EXPECT_EQ(r.n, 10);
	{
		char out[64];
		size_t olen = sizeof(out);

		EXPECT_EQ(tls_credential_get(1, ID, out, &olen), 0);
		EXPECT_EQ(olen, 8);
		olen = sizeof(out);
		EXPECT_EQ(tls_credential_get(2, ID, out, &olen), -ENOENT);
	}
	/* a write removes the dead writer's temporary file */
	EXPECT_EQ(tls_credential_add(20, ID, "new", 3), 0);
	path_of(path, sizeof(path), dir, ".tmp-1-PSK_ID.cred-1-1");
	EXPECT_TRUE(access(path, F_OK) < 0);
	free(good);
	free(bad);
	cleanup(dir);
}

TEST(test_dir_env_other_process)
{
	char dir[256], out[256];
	int st;

	fresh(dir, sizeof(dir));
	ASSERT_TRUE(secsock_cred_store_dir(dir, 0, NULL, NULL) == 0);
	EXPECT_EQ(tls_credential_add(42, PSK, "0123456789abcdef", 16), 0);
	setenv("SECSOCK_CRED_DIR", dir, 1);
	st = tool(out, sizeof(out), "env-get", "42", "4", NULL, NULL);
	EXPECT_EQ(st, 0);
	EXPECT_TRUE(strstr(out, "len 16 first 0") != NULL);
	/* the other process adds: our add of the same (tag, type) sees the file */
	st = tool(out, sizeof(out), "env-add", "43", "5", "from-child", NULL);
	EXPECT_EQ(st, 0);
	EXPECT_TRUE(strstr(out, "add 0") != NULL);
	EXPECT_EQ(tls_credential_add(43, ID, "mine", 4), -EEXIST);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, NULL, NULL), 2);
	/* an unusable SECSOCK_CRED_DIR: adds fail, nothing is kept only in memory */
	ASSERT_TRUE(chmod(dir, 0777) == 0);
	st = tool(out, sizeof(out), "env-add", "44", "5", "lost?", NULL);
	EXPECT_EQ(st, 0);
	EXPECT_TRUE(strstr(out, "add -1") != NULL); /* -EPERM */
	ASSERT_TRUE(chmod(dir, 0700) == 0);
	unsetenv("SECSOCK_CRED_DIR");
	if (th_case_failed()) {
		fprintf(stderr, "helper said: %s\n", out);
	}
	cleanup(dir);
}

static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		n += strncmp(e->d_name, ".tmp-", 5) == 0;
	}
	if (d != NULL) {
		closedir(d);
	}
	return n;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SIGKILL lands anywhere in a loop of replace(): after each kill the store
 * loads, and holds exactly the old or the new credential, never a mix, never
 * nothing. Bounded: 150 kills or 40 s.
 */
TEST(test_dir_kill9_in_write_loop)
{
	char dir[256], buf[8192], out[256];
	int kills = 0, with_tmp = 0, a = 0, b = 0;
	int64_t end = ms_now() + 40000;
	unsigned seed = (unsigned)time(NULL);

	fresh(dir, sizeof(dir));
	srand(seed);
	while (kills < 150 && ms_now() < end) {
		char *argv[] = {ZT_CRED_DIR_TOOL, "replace-loop", dir, "77", "1000", NULL};
		int fd = -1;
		pid_t pid = tu_spawn(argv, &fd, NULL);
		struct reports r = {0};
		size_t len = sizeof(buf);
		int n;

		ASSERT_TRUE(pid > 0);
		out[0] = '\0';
		if (!tu_expect(fd, "looping", 10000, out, sizeof(out))) {
			th_fail(__FILE__, __LINE__, "the writer did not start: %s", out);
			kill(pid, SIGKILL);
			tu_wait_exit(pid, 5000);
			close(fd);
			break;
		}
		usleep((useconds_t)(rand() % 20000)); /* 0-20 ms of writes */
		kill(pid, SIGKILL);
		ASSERT_TRUE(tu_wait_exit(pid, 5000) == 128 + SIGKILL);
		close(fd);
		kills++;
		with_tmp += count_tmp(dir) > 0;

		n = secsock_cred_store_dir(dir, 0, on_report, &r);
		if (n == 0 && kills == 1) {
			continue; /* killed before its first write finished: nothing yet, fine */
		}
		EXPECT_EQ(n, 1);
		EXPECT_EQ(r.n, 0);
		EXPECT_EQ(tls_credential_get(77, PSK, buf, &len), 0);
		if (len == 1000 && buf[0] == 'A' && buf[999] == 'A') {
			a++;
		} else if (len == 3000 && buf[0] == 'B' && buf[2999] == 'B') {
			b++;
		} else {
			th_fail(__FILE__, __LINE__, "kill %d: torn credential, %zu bytes", kills,
				len);
		}
		if (th_case_failed()) {
			fprintf(stderr, "seed %u, report: %s\n", seed, r.last);
			break;
		}
	}
	printf("kill -9 in a write loop: %d kills, %d left a temporary file, %d old/new A, %d "
	       "B\n",
	       kills, with_tmp, a, b);
	EXPECT_TRUE(kills >= 20);
	EXPECT_TRUE(a > 0 && b > 0); /* both sides of a replace were seen */
	cleanup(dir);
}

/*
 * 4 processes add 150 distinct tags each and all race for one shared
 * (tag, type): every credential is there afterwards, intact, and exactly one
 * process won the shared one.
 */
TEST(test_dir_concurrent_writers)
{
	enum {
		NPROC = 4,
		PER = 150,
		SHARED = 99999
	};
	char dir[256], first[NPROC][16], out[NPROC][256];
	int fds[NPROC], won = 0, added = 0, st;
	pid_t pids[NPROC];

	fresh(dir, sizeof(dir));
	for (int i = 0; i < NPROC; i++) {
		char *argv[] = {ZT_CRED_DIR_TOOL, "add-range", dir, first[i], "150", "99999", NULL};

		snprintf(first[i], sizeof(first[i]), "%d", 1000 + i * PER);
		pids[i] = tu_spawn(argv, &fds[i], NULL);
		ASSERT_TRUE(pids[i] > 0);
	}
	for (int i = 0; i < NPROC; i++) {
		int a = 0, rc = 1;

		out[i][0] = '\0';
		(void)tu_expect(fds[i], "\n", 60000, out[i], sizeof(out[i]));
		st = tu_wait_exit(pids[i], 60000);
		if (st < 0) {
			tu_kill(pids[i]);
		}
		close(fds[i]);
		EXPECT_EQ(st, 0);
		if (sscanf(out[i], "added %d shared %d", &a, &rc) == 2) {
			added += a;
			won += rc == 0;
		} else {
			th_fail(__FILE__, __LINE__, "writer %d said \"%s\"", i, out[i]);
		}
	}
	EXPECT_EQ(added, NPROC * PER);
	EXPECT_EQ(won, 1);
	EXPECT_EQ(secsock_cred_store_dir(dir, 0, NULL, NULL), NPROC * PER + 1);
	for (int t = 1000; t < 1000 + NPROC * PER; t++) {
		char want[32], got[32];
		size_t len = sizeof(got);

		snprintf(want, sizeof(want), "id-%d", t);
		if (tls_credential_get(t, ID, got, &len) != 0 || len != strlen(want) ||
		    memcmp(got, want, len) != 0) {
			th_fail(__FILE__, __LINE__, "tag %d lost or torn", t);
			break;
		}
	}
	EXPECT_EQ(count_tmp(dir), 0);
	cleanup(dir);
}
