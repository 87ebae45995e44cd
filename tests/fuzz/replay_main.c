/*
 * Corpus replay without libFuzzer: runs LLVMFuzzerTestOneInput over every
 * file of the directories (or the files) named on the command line, in name
 * order, and prints "N passed, 0 failed". A crash, a sanitizer report or an
 * abort() in the target ends the process, which fails the CTest test; an
 * input slower than FUZZ_REPLAY_SLOW_MS (default 20000) counts as failed.
 * Usage: replay_<name> [-v] DIR|FILE...   (-v: name each input; also
 * FUZZ_VERBOSE=1 for the targets' own progress lines)
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;
static int verbose;
static long slow_ms = 20000;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	long t0, ms;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p = realloc(buf, cap ? cap * 2 : 4096);

			if (p == NULL) {
				abort();
			}
			buf = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0) {
			break;
		}
		len += n;
	}
	fclose(f);
	if (verbose) {
		fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	}
	/* an exact-size copy, so that ASan sees a read past the input's end */
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL) {
		abort();
	}
	memcpy(copy, buf, len);
	free(buf);
	t0 = now_ms();
	(void)LLVMFuzzerTestOneInput(copy, len);
	ms = now_ms() - t0;
	free(copy);
	if (ms > slow_ms) {
		fprintf(stderr, "%s: took %ld ms (limit %ld)\n", path, ms, slow_ms);
		failed++;
		return;
	}
	passed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name);

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		failed++;
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (list[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				run_file(path);
			}
		}
		free(list[i]);
	}
	free(list);
}

int main(int argc, char **argv)
{
	const char *s = getenv("FUZZ_REPLAY_SLOW_MS");
	int inputs = 0;

	if (s != NULL && atol(s) > 0) {
		slow_ms = atol(s);
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		inputs++;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			run_dir(argv[i]);
		} else {
			run_file(argv[i]);
		}
	}
	if (inputs == 0) {
		fprintf(stderr, "usage: %s [-v] DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (passed + failed == 0) {
		fprintf(stderr, "no corpus files found\n");
		failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
