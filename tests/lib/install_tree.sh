# Sourced by the tests that use secsock as an installed package
# (tests/unit/install.sh, tests/interop/zephyr_apps.sh): a temporary
# directory removed on exit, "[  OK  ]" / "[ FAIL ]" counting, and the build
# tree installed into a temporary prefix.
#
# Environment (set by CTest): SECSOCK_BINARY_DIR, SECSOCK_SOURCE_DIR,
# SECSOCK_SANITIZE (a sanitizer build is skipped: an application linking
# libsecsock would need the sanitizer runtime; the plain build runs these tests).
#
# Sets: src, bin, cc, cxx, tmp, log; after it_install: prefix, libdir, so and
# PKG_CONFIG_PATH/PKG_CONFIG_LIBDIR restricted to the installed tree.
# Defines: pass, fail, finish, it_install, pc (pkg-config secsock), mbedpc
# (pkg-config secsock-mbedtls), it_cleanup_extra (redefine to add to the exit
# cleanup).
# shellcheck shell=bash disable=SC2034 # src, cc, cxx are for the sourcing script

if [ -n "${SECSOCK_SANITIZE:-}" ]; then
	echo "SKIP: sanitizer build (libsecsock needs the sanitizer runtime); the plain build runs this test"
	exit 77
fi
set -o pipefail
export LC_ALL=C

src=${SECSOCK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SECSOCK_BINARY_DIR:?SECSOCK_BINARY_DIR must name the build tree}
cc=${CC:-cc}
cxx=${CXX:-c++}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/secsock-install.XXXXXX") || exit 1
log=$tmp/log
prefix=$tmp/prefix
libdir=
so=

it_cleanup_extra() {
	:
}
it_cleanup() {
	it_cleanup_extra
	rm -rf "$tmp"
}
trap it_cleanup EXIT

passed=0
failed=0

pass() {
	echo "[  OK  ] $1"
	passed=$((passed + 1))
}

# fail NAME MESSAGE [LOGFILE]: prints the message and the tail of the log
fail() {
	echo "[ FAIL ] $1: $2"
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		sed -e 's/^/    | /' "$3" | tail -n 40
	fi
	failed=$((failed + 1))
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# it_install: cmake --install into $prefix; sets libdir and so, points pkg-config at the
# installed tree only. Returns non-zero (after fail) when nothing usable was installed.
it_install() {
	if ! cmake --install "$bin" --prefix "$prefix" >"$log" 2>&1; then
		fail install "cmake --install $bin --prefix $prefix failed (is the tree built?)" "$log"
		return 1
	fi
	so=$(find "$prefix" -name 'libsecsock.so' \( -type f -o -type l \) | head -n 1)
	if [ -z "$so" ]; then
		fail install "no libsecsock.so under $prefix"
		return 1
	fi
	libdir=$(dirname "$so")
	export PKG_CONFIG_PATH=$libdir/pkgconfig
	export PKG_CONFIG_LIBDIR=$libdir/pkgconfig
	pass "install (libdir ${libdir#"$prefix"/})"
}

# pkg-config on the installed tree, with the real install location even when the .pc is
# not relocatable (tests/unit/install.sh checks that separately)
pc() {
	pkg-config --define-variable=prefix="$prefix" "$@" secsock
}
mbedpc() {
	pkg-config --define-variable=prefix="$prefix" "$@" secsock-mbedtls
}
