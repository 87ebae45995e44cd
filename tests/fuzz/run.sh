#!/usr/bin/env bash
# Run one libFuzzer target of a -DSECSOCK_FUZZ=ON build (docs/fuzzing.md).
#
# usage: tests/fuzz/run.sh BUILD_DIR NAME [SECONDS] [libFuzzer options...]
#   e.g. tests/fuzz/run.sh build-fuzz tls_server 300 -jobs=2
# New inputs go to $FUZZ_WORK/NAME/corpus (default /tmp/secsock-fuzz), crash,
# leak and timeout reproducers to $FUZZ_WORK/NAME/artifacts/. The committed
# seeds in tests/fuzz/corpus/NAME are read, never written.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
	sed -n '2,9p' "$0" >&2
	exit 2
fi
build=$1
name=$2
secs=${3:-300}
shift $(($# < 3 ? $# : 3))

bin=$build/tests/fuzz/fuzz_$name
[ -x "$bin" ] || { echo "run.sh: no $bin (configure with CC=clang -DSECSOCK_FUZZ=ON)" >&2; exit 1; }
work=${FUZZ_WORK:-/tmp/secsock-fuzz}/$name
mkdir -p "$work/corpus" "$work/artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}
# Mbed TLS's UB checks are recoverable (CMakeLists.txt): halt on any report not in ubsan.supp
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp}
dict=()
if [ -f "$here/$name.dict" ]; then
	dict=(-dict="$here/$name.dict")
fi
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "${dict[@]}" "$@" "$work/corpus" "$here/corpus/$name"
