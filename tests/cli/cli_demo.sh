#!/usr/bin/env bash
# `secsock demo` on a clean HOME (issue 13): no openssl on PATH, an empty
# HOME and no XDG directories; it must pass its three echoes, print what
# each negotiated, finish within a few seconds and leave HOME empty.
# Also --version and --help of every command.
# shellcheck source-path=SCRIPTDIR source=../lib/cli_lib.sh
. "$(dirname "$0")/../lib/cli_lib.sh"

home=$tmp/home
mkdir -p "$home" "$tmp/emptypath"
to=$(command -v timeout)
start=$(date +%s%N)
env -i HOME="$home" PATH="$tmp/emptypath" ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
	${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	"$to" 60 "$secsock" demo >"$tmp/demo.out" 2>"$tmp/demo.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" != 0 ] || ! has "$tmp/demo.out" "3 of 3 passed"; then
	fail "secsock demo" "exit $rc" "$tmp/demo.out" "$tmp/demo.err"
elif ! has "$tmp/demo.out" "TLS 1.3, TLS_" || ! has "$tmp/demo.out" "TLS 1.2, TLS_" ||
	! has "$tmp/demo.out" "server certificate verified" ||
	! has "$tmp/demo.out" "required a client certificate and verified it" ||
	[ "$(grep -c 'DTLS 1.2, .*Connection ID bidirectional' "$tmp/demo.out")" != 2 ] ||
	! has "$tmp/demo.out" "no certificate (PSK)"; then
	fail "secsock demo" "the report lacks a version, suite, verification or CID line" "$tmp/demo.out"
elif [ -n "$(find "$home" -mindepth 1 | head -n 1)" ]; then
	fail "secsock demo" "it wrote into HOME: $(find "$home" -mindepth 1)"
elif [ "$ms" -gt 10000 ]; then
	fail "secsock demo" "took $ms ms (a few seconds expected)" "$tmp/demo.out"
else
	pass "secsock demo on a clean HOME without openssl: 3 of 3 in $ms ms, HOME left empty"
fi
echo "--- demo output"
cat "$tmp/demo.out"

timeout 10 "$secsock" --version >"$tmp/v.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -E '^secsock [0-9]+\.[0-9]+\.[0-9]+ \(Mbed TLS 3\.6\.[0-9]+' "$tmp/v.out" >/dev/null &&
	has "$tmp/v.out" "TLS 1.3: yes" && has "$tmp/v.out" "DTLS Connection ID (RFC 9146): yes"; then
	pass "--version: $(head -n 1 "$tmp/v.out")"
else
	fail "--version" "exit $rc" "$tmp/v.out"
fi

ok=1
for c in "" client server cred demo; do
	# shellcheck disable=SC2086
	timeout 10 "$secsock" $c --help >"$tmp/h.out" 2>&1
	rc=$?
	if [ "$rc" != 0 ] || ! grep -q '^usage: secsock' "$tmp/h.out"; then
		fail "secsock $c --help" "exit $rc" "$tmp/h.out"
		ok=0
	fi
done
[ "$ok" = 1 ] && pass "--help of secsock, client, server, cred, demo"
timeout 10 "$secsock" frobnicate >"$tmp/h.out" 2>&1
rc=$?
if [ "$rc" = 2 ] && has "$tmp/h.out" 'unknown command "frobnicate"'; then
	pass "unknown command: exit 2"
else
	fail "unknown command" "exit $rc" "$tmp/h.out"
fi
finish
