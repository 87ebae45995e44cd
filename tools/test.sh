#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing (as root, with apt-get), builds Mbed TLS 3.6 (cached), builds
# secsock with -Werror, runs every CTest test, then again in an
# ASan+UBSan build, and in the opt-in accelerated-crypto build
# (-DSECSOCK_CRYPTO_ACCEL=openssl, docs/crypto-accel.md; also with --quick).
#
# usage: tools/test.sh [--quick]   (--quick: skip the sanitizer build)
# env:   SECSOCK_BUILD_DIR (default build), SECSOCK_JOBS
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${SECSOCK_BUILD_DIR:-build}
jobs=${SECSOCK_JOBS:-$(nproc 2>/dev/null || echo 2)}
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$here/tools/deps.sh"

# run_suite DIR "CTEST ARGS" CMAKE-ARGS...
run_suite() {
	local dir=$1 ctest_args=$2
	shift 2
	echo "== configure $dir ($*)"
	cmake -S "$here" -B "$dir" -DSECSOCK_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
		{ cat "$dir.configure.log"; return 1; }
	echo "== build $dir"
	cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1 ||
		{ tail -n 60 "$dir.build.log"; return 1; }
	echo "== test $dir"
	# shellcheck disable=SC2086
	(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 $ctest_args)
}

mkdir -p "$(dirname "$build")"
status=0
if [ "$quick" = 0 ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_suite "$build-asan" "" -DCMAKE_BUILD_TYPE=Debug \
		-DSECSOCK_SANITIZE=address,undefined || status=1
	# threads: the socket-level tests under ThreadSanitizer
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		run_suite "$build-tsan" "-L integration" -DCMAKE_BUILD_TYPE=Debug \
		-DSECSOCK_SANITIZE=thread || status=1
fi
run_suite "$build" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
# the opt-in build whose AES-GCM and ChaCha20-Poly1305 are OpenSSL libcrypto's:
# every test again (interop, DTLS loss) on the Mbed TLS variant with the adapter
run_suite "$build-accel" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSECSOCK_CRYPTO_ACCEL=openssl ||
	status=1
if [ "$status" != 0 ]; then
	echo "tools/test.sh: FAILED (see above)"
fi
exit "$status"
