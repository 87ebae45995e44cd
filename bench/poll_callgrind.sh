#!/usr/bin/env bash
# User-space instructions per zsock_poll() call against poll() over the same N
# descriptors (docs/benchmarks.md, "zsock_poll over 10,000 TLS connections"):
# bench_poll under callgrind, one dump per (call, k, timeout). The kernel's
# instructions are not counted and are the same for both calls (zsock_poll
# passes the kernel the same descriptors plus one eventfd slot), so the
# difference is all zsock_poll adds. Deterministic: machine load does not
# change it. Needs valgrind.
#
# usage: bench/poll_callgrind.sh [BUILD_DIR] [N]     (default: build 2000)
set -euo pipefail
build=${1:-build}
n=${2:-2000}
bin="$build/bench/bench_poll"
[ -x "$bin" ] || { echo "poll_callgrind.sh: $bin not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$tmp/cg.%p" \
	"$bin" --n "$n" --reps 3 --rounds 1 >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" >&2; exit 1; }
printf '%6s %4s %7s | %12s %12s | %10s %10s\n' N k timeout "zsock ins" "poll ins" \
	"extra/call" "extra/fd"
for f in "$tmp"/cg.*; do
	awk '/^desc: Trigger: Client Request: / {sub(/^desc: Trigger: Client Request: /, ""); d=$0}
	     /^(summary|totals):/ {print d "|" $2; exit}' "$f"
done | awk -F'|' '
	{ split($1, w, " "); call=w[1]; key=w[2] " " w[3] " " w[4];
	  split(w[5], c, "="); calls=c[2]; ins[call, key]=$2/calls; keys[key]=1 }
	END { for (k in keys) { split(k, p, " "); split(p[1], a, "="); split(p[2], b, "=");
	        split(p[3], t, "="); z=ins["zsock_poll", k]; q=ins["poll", k];
	        printf "%6d %4d %7d | %12.0f %12.0f | %10.0f %10.2f\n", a[2], b[2], t[2], z, q,
	               z-q, (z-q)/a[2] } }' | sort -k3,3n -k2,2n
