#!/usr/bin/env bash
# Demo: builds secsock (and Mbed TLS 3.6, cached), generates a throw-away CA
# and server certificate, and runs a TLS 1.2-minimum, a TLS 1.3 and a DTLS 1.2 echo
# between a secsock server and client over loopback, printing the library
# version, the negotiated cipher suite and the verification result.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${SECSOCK_BUILD_DIR:-$here/build}
"$here/tools/deps.sh"
cmake -S "$here" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target tls_echo dtls_echo >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/ca.key" -subj "/CN=secsock demo CA" -days 1 \
	-out "$tmp/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/server.key" 2>/dev/null
openssl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
	-CAcreateserial -days 1 -extfile "$tmp/ext" -out "$tmp/server.pem" 2>/dev/null

echo "== TLS (IPPROTO_TLS_1_2: 1.2 minimum, 1.3 may be negotiated)"
"$build/examples/tls_echo" "$tmp/ca.pem" "$tmp/server.pem" "$tmp/server.key" tls1.2
echo "== TLS (IPPROTO_TLS_1_3)"
"$build/examples/tls_echo" "$tmp/ca.pem" "$tmp/server.pem" "$tmp/server.key" tls1.3
echo "== DTLS (IPPROTO_DTLS_1_2, one server socket, handshake in connect())"
"$build/examples/dtls_echo" "$tmp/ca.pem" "$tmp/server.pem" "$tmp/server.key"
