# Sourced by tests/cli/*.sh: the secsock binary of the build tree, a
# temporary directory removed on exit, "[  OK  ]" / "[ FAIL ]" counting with
# "N passed, N failed" at the end, and servers started on a port the kernel
# picks (secsock server ... 0, openssl s_server -accept 127.0.0.1:0), read
# back from what they print. Every wait is bounded; every process runs under
# timeout(1) and is killed at exit.
#
# Environment (set by CTest): SECSOCK_BINARY_DIR, SECSOCK_SOURCE_DIR.
# shellcheck shell=bash disable=SC2034 # variables are for the sourcing script
set -u
export LC_ALL=C

src=${SECSOCK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SECSOCK_BINARY_DIR:?SECSOCK_BINARY_DIR must name the build tree}
secsock=$bin/cli/secsock
certs=$src/tests/lib/certs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secsock-cli.XXXXXX") || exit 1
passed=0
failed=0
pids=()

if [ ! -x "$secsock" ]; then
	echo "FAIL: $secsock is not built"
	exit 1
fi

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

pass() {
	echo "[  OK  ] $1"
	passed=$((passed + 1))
}

# fail NAME MESSAGE [LOGFILE...]: the message and the tail of each log
fail() {
	local name=$1 msg=$2
	shift 2
	echo "[ FAIL ] $name: $msg"
	for f in "$@"; do
		if [ -s "$f" ]; then
			echo "    --- $(basename "$f")"
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

# has FILE TEXT: the file contains the text (fixed string)
has() {
	grep -F -- "$2" "$1" >/dev/null 2>&1
}

# wait_for FILE REGEX-SED: prints the first capture once FILE has it (10 s at most)
wait_for() {
	local v
	for _ in $(seq 1 100); do
		v=$(sed -n "$2" "$1" 2>/dev/null | head -n 1)
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# srv_start NAME ARGS...: `secsock server ARGS... 0` in the background; sets srv_pid,
# srv_port, srv_err (its stderr) and srv_out (its stdout).
srv_start() {
	local name=$1
	shift
	srv_err=$tmp/$name.server.err
	srv_out=$tmp/$name.server.out
	timeout 60 "$secsock" server "$@" 0 >"$srv_out" 2>"$srv_err" </dev/null &
	srv_pid=$!
	pids+=("$srv_pid")
	srv_port=$(wait_for "$srv_err" 's/^listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p')
}

# srv_wait: the server's exit status (it was started with --max); 124 if it hangs 15 s
srv_wait() {
	local rc
	for _ in $(seq 1 150); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv_pid" 2>/dev/null && rc=124
	wait "$srv_pid"
	local st=$?
	return "${rc:-$st}"
}

# ossl_server NAME ARGS...: openssl s_server on 127.0.0.1:0; sets osrv_pid, osrv_port, osrv_out
ossl_server() {
	local name=$1
	shift
	osrv_out=$tmp/$name.s_server
	# stdin that never ends (s_server without -rev stops at the end of its input): a FIFO
	# this shell holds open for reading and writing
	mkfifo "$tmp/$name.fifo"
	exec {osrv_fd}<>"$tmp/$name.fifo"
	timeout 60 openssl s_server -accept 127.0.0.1:0 "$@" <"$tmp/$name.fifo" >"$osrv_out" 2>&1 &
	osrv_pid=$!
	pids+=("$osrv_pid")
	osrv_port=$(wait_for "$osrv_out" 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p')
}

ossl_stop() {
	kill "$osrv_pid" 2>/dev/null
	wait "$osrv_pid" 2>/dev/null
	exec {osrv_fd}>&-
}
