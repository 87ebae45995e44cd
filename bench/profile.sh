#!/usr/bin/env bash
# Deterministic companions to bench_tls's wall/CPU timings (docs/benchmarks.md):
#   - user-space instructions per operation (valgrind --tool=callgrind, only
#     inside the timed loops: --toggle-collect on the noinline loop functions)
#   - system calls per operation (strace -f -c)
# for secsock and the raw Mbed TLS loop. Needs valgrind and strace.
#
# usage: bench/profile.sh [BUILD_DIR]      (default: build)
set -euo pipefail
build=${1:-build}
bin="$build/bench/bench_tls"
[ -x "$bin" ] || { echo "profile.sh: $bin not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo_n=2000   # round trips per run; bench_tls does a warm-up run + 1 round
res_n=200     # resumed handshakes per run
common=(--rounds 1 --no-jitter)

ir() { # ir OUTFILE -> collected instructions
	awk '/^summary:/ {print $2}' "$1"
}

printf '%-8s %-8s %-10s %14s %14s %8s\n' metric version unit secsock raw ratio
for ver in 12 13; do
	for impl in secsock raw; do
		valgrind --tool=callgrind --callgrind-out-file="$tmp/echo-$ver-$impl" \
			--toggle-collect=echo_client_loop --toggle-collect=echo_server_loop \
			"$bin" --impl "$impl" --only echo --versions "$ver" --echo "$echo_n" \
			"${common[@]}" >/dev/null 2>&1
	done
	s=$(ir "$tmp/echo-$ver-secsock"); r=$(ir "$tmp/echo-$ver-raw")
	awk -v s="$s" -v r="$r" -v n=$((2 * echo_n)) -v v="TLS1.${ver#1}" \
		'BEGIN {printf "%-8s %-8s %-10s %14.0f %14.0f %8.3f\n", "echo", v, "instr/rt", s/n, r/n, s/r}'
done
for impl in secsock raw; do
	valgrind --tool=callgrind --callgrind-out-file="$tmp/res-$impl" \
		--toggle-collect=hs_client_loop --toggle-collect=hs_server_loop \
		"$bin" --impl "$impl" --only resume --resume "$res_n" "${common[@]}" >/dev/null 2>&1
done
s=$(ir "$tmp/res-secsock"); r=$(ir "$tmp/res-raw")
awk -v s="$s" -v r="$r" -v n=$((2 * res_n)) \
	'BEGIN {printf "%-8s %-8s %-10s %14.0f %14.0f %8.3f\n", "resumed", "TLS1.2", "instr/hs", s/n, r/n, s/r}'

echo
echo "system calls per operation (strace -f -c; whole process, so handshakes are included)"
printf '%-8s %-8s %s\n' metric impl "calls per operation"
sys_per_op() { # sys_per_op FILE N   (strace -c columns: %time seconds usecs calls [errors] name)
	awk -v n="$2" '
		/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+( +[0-9]+)? +[a-z_0-9]+$/ {
			calls = $4; errs = NF == 6 ? $5 : 0
			if ($NF == "poll") p += calls
			else if ($NF == "recvfrom") {r += calls; e += errs}
			else if ($NF == "sendto") s += calls
			else if ($NF != "total") o += calls
		}
		END {printf "poll %.2f  recvfrom %.2f (%.2f EAGAIN)  sendto %.2f  other %.3f\n", p/n, r/n, e/n, s/n, o/n}' "$1"
}
for impl in secsock raw; do
	strace -f -c -o "$tmp/st-echo-$impl" "$bin" --impl "$impl" --only echo --versions 12 \
		--echo 10000 "${common[@]}" >/dev/null 2>&1
	printf '%-8s %-8s ' echo "$impl"; sys_per_op "$tmp/st-echo-$impl" 20000
	strace -f -c -o "$tmp/st-res-$impl" "$bin" --impl "$impl" --only resume --resume 1000 \
		"${common[@]}" >/dev/null 2>&1
	printf '%-8s %-8s ' resumed "$impl"; sys_per_op "$tmp/st-res-$impl" 2002
	strace -f -c -o "$tmp/st-bulk-$impl" "$bin" --impl "$impl" --only bulk --versions 12 \
		--bulk-mib 16 "${common[@]}" >/dev/null 2>&1
	printf '%-8s %-8s ' "bulk/rec" "$impl"; sys_per_op "$tmp/st-bulk-$impl" $((2 * 16 * 256))
done
