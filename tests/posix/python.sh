#!/usr/bin/env bash
# Python's socket module (no ssl module) under LD_PRELOAD=libsecsock-posix.so
# (tests/posix/py_tls.py, docs/posix.md): protocol 258, SOL_TLS options,
# credentials through the SECSOCK_TLS_CREDENTIAL_ADD socket option.
#   client  TLS 1.2 and 1.3 against openssl s_server -rev (settimeout(10): a
#           non-blocking connect and Python's own poll() drive the handshake)
#   server  openssl s_client TLS 1.2 and 1.3 verifies it (CA, host name) and
#           gets its line back reversed
# Prints "N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need openssl "Debian package openssl; tools/deps.sh installs it"
need python3 "Debian package python3-minimal; tools/deps.sh installs it"
if ! preload_ok; then
	echo "SKIP: $preload_skip_reason"
	exit 77
fi
py=$src/tests/posix/py_tls.py
cert="-cert $certs/server.pem -key $certs/server.key"

for v in 1.2 1.3; do
	name="python client TLS $v -> openssl s_server"
	# shellcheck disable=SC2086
	s_server_start "py-client-$v" $cert "-tls${v/./_}" -rev || continue
	out=$tmp/py-client-$v.out
	LD_PRELOAD=$so timeout 30 python3 "$py" client "$certs" "$srv_port" >"$out" 2>&1
	rc=$?
	s_server_stop
	if [ "$rc" != 0 ]; then
		fail "$name" "the client failed (exit status $rc)" "$out" "$srv_out"
	elif ! grep -qF "Protocol version: TLSv$v" "$srv_out"; then
		fail "$name" "s_server did not report TLSv$v" "$out" "$srv_out"
	else
		pass "$name: $(cat "$out")"
	fi
done

for v in 1.2 1.3; do
	name="openssl s_client TLS $v -> python server"
	out=$tmp/py-server-$v.out
	LD_PRELOAD=$so timeout 60 python3 "$py" server "$certs" >"$out" 2>&1 &
	spid=$!
	pids="$pids $spid"
	if ! port=$(listen_port "$out"); then
		fail "$name" "the python server did not listen" "$out"
		continue
	fi
	echo "hello from s_client" | timeout 30 openssl s_client -connect "127.0.0.1:$port" \
		-CAfile "$certs/ca.pem" -verify_return_error -verify_hostname localhost \
		-servername localhost -quiet "-tls${v/./_}" >"$tmp/s_client.out" 2>"$tmp/s_client.err"
	crc=$?
	wait "$spid"
	rc=$?
	if [ "$rc" != 0 ] || [ "$crc" != 0 ]; then
		fail "$name" "server exit status $rc, s_client $crc" "$out" "$tmp/s_client.err"
	elif [ "$(cat "$tmp/s_client.out")" != "tneilc_s morf olleh" ]; then
		fail "$name" "s_client got \"$(cat "$tmp/s_client.out")\"" "$out"
	else
		pass "$name: s_client verified the server and got \"$(cat "$tmp/s_client.out")\""
	fi
done
finish
