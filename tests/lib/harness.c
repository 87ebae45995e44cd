/* Test runner for harness.h. */
#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>

#define TH_MAX 512

static struct {
	const char *name;
	th_fn fn;
} cases[TH_MAX];
static int ncases;
static int cur_failed, cur_skipped;

void th_register(const char *name, th_fn fn)
{
	if (ncases < TH_MAX) {
		cases[ncases].name = name;
		cases[ncases].fn = fn;
		ncases++;
	}
}

void th_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "    FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	cur_failed = 1;
}

void th_skip(const char *why)
{
	printf("    SKIP: %s\n", why);
	cur_skipped = 1;
}

int th_case_failed(void)
{
	return cur_failed;
}

static int selected(int argc, char **argv, const char *name)
{
	if (argc < 2) {
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ncases; i++) {
		if (!selected(argc, argv, cases[i].name)) {
			continue;
		}
		cur_failed = cur_skipped = 0;
		printf("[ RUN  ] %s\n", cases[i].name);
		cases[i].fn();
		if (cur_failed) {
			failed++;
			printf("[ FAIL ] %s\n", cases[i].name);
		} else if (cur_skipped) {
			skipped++;
			printf("[ SKIP ] %s\n", cases[i].name);
		} else {
			passed++;
			printf("[  OK  ] %s\n", cases[i].name);
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
