# Sourced by the tests/posix/*.sh tests: a temporary directory removed on
# exit, "[  OK  ]" / "[ FAIL ]" counting, openssl peers on ports the kernel
# picks, and the preload. Every wait is bounded in count and time; every
# process runs under timeout(1) and is killed on exit.
#
# Environment (set by CTest): SECSOCK_SOURCE_DIR, SECSOCK_BINARY_DIR,
# SECSOCK_SANITIZE, SECSOCK_POSIX_SO (libsecsock-posix.so),
# SECSOCK_POSIX_BIN (the test programs' directory).
# shellcheck shell=bash disable=SC2034
set -u
export LC_ALL=C

src=${SECSOCK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SECSOCK_BINARY_DIR:?SECSOCK_BINARY_DIR must name the build tree}
so=${SECSOCK_POSIX_SO:-$bin/libsecsock-posix.so}
pbin=${SECSOCK_POSIX_BIN:-$bin/tests/posix}
certs=$src/tests/lib/certs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secsock-posix.XXXXXX") || exit 1
pids=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0

pass() {
	echo "[  OK  ] $1"
	passed=$((passed + 1))
}

# fail NAME MESSAGE [LOGFILE...]: prints the message and the tail of the logs
fail() {
	local name=$1 msg=$2
	shift 2
	echo "[ FAIL ] $name: $msg"
	for f in "$@"; do
		if [ -s "$f" ]; then
			echo "    -- $(basename "$f")"
			sed -e 's/^/    | /' "$f" | tail -n 30
		fi
	done
	failed=$((failed + 1))
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# A sanitizer runtime must be the first library loaded: a program that is
# not built with it cannot take an instrumented libsecsock-posix.so.
preload_ok() {
	[ -z "${SECSOCK_SANITIZE:-}" ]
}
preload_skip_reason="sanitizer build: LD_PRELOAD of an instrumented libsecsock-posix.so into an uninstrumented program needs the sanitizer runtime first; the plain build runs this"

need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "SKIP: $1 not installed ($2)"
		exit 77
	fi
}

# wait_for FILE PATTERN [TENTHS]: the file shows the (extended) pattern within TENTHS/10 s
wait_for() {
	local n=${3:-100}
	for _ in $(seq 1 "$n"); do
		grep -E -- "$2" "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# bg CMD...: start in the background under timeout 60; sets bg_pid
bg() {
	timeout 60 "$@" &
	bg_pid=$!
	pids="$pids $bg_pid"
}

# s_server_start NAME ARGS...: openssl s_server for one connection on 127.0.0.1 and a port
# the kernel picks, stdin from a FIFO kept open on fd 3 (srv_in); sets srv_pid, srv_port,
# srv_out. Waits at most 10 s.
s_server_start() {
	local name=$1
	shift
	srv_out=$tmp/$name.s_server
	srv_in=$tmp/$name.in
	srv_port=
	rm -f "$srv_in"
	mkfifo "$srv_in"
	exec 3<>"$srv_in"
	# (the redirection on the command itself: an asynchronous command's stdin is
	# /dev/null otherwise)
	timeout 60 openssl s_server -accept 127.0.0.1:0 -naccept 1 "$@" <&3 >"$srv_out" 2>&1 &
	srv_pid=$!
	pids="$pids $srv_pid"
	for _ in $(seq 1 100); do
		srv_port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$srv_out")
		[ -n "$srv_port" ] && return 0
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name" "openssl s_server did not start" "$srv_out"
	s_server_stop
	return 1
}

# s_server_stop: 5 s to end by itself (-naccept 1), then killed
s_server_stop() {
	exec 3>&-
	for _ in $(seq 1 50); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
}

# listen_port FILE: waits (10 s) for a "listening PORT" line and prints the port
listen_port() {
	local p
	for _ in $(seq 1 100); do
		p=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$1")
		if [ -n "$p" ]; then
			echo "$p"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
