#!/usr/bin/env bash
# Demo: builds secsock (and Mbed TLS 3.6, cached) and runs `secsock demo`:
# TLS 1.3, TLS 1.2 with mutual authentication and DTLS 1.2 with Connection IDs
# (two clients on one server socket) over loopback, with a CA, certificates
# and a PSK made in the process (no openssl needed), printing the version,
# cipher suite, verification, bytes and time of each.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${SECSOCK_BUILD_DIR:-$here/build}
"$here/tools/deps.sh"
cmake -S "$here" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target secsock_cli >/dev/null
exec "$build/cli/secsock" demo
