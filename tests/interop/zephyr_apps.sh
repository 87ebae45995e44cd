#!/usr/bin/env bash
# Issue 10: programs written the way Zephyr's samples and tests are, built
# against the INSTALLED tree as an application would build them, talk to
# OpenSSL (docs/zephyr-names.md, "Zephyr-style programs against OpenSSL").
#
#   tests/interop/zephyr_apps/zephyr_client.c  4.4 NET_* names, zsock_getaddrinfo,
#       zsock_*, SOL_TLS/TLS_SEC_TAG_LIST/TLS_HOSTNAME, variadic zsock_fcntl with
#       F_GETFL/O_NONBLOCK, zsock_poll
#   tests/interop/zephyr_apps/zephyr_server.c  NET_* names, net_addr_pton, ZSOCK_*
#       options, zsock_select, zsock_fcntl with ZVFS_F_GETFL, zsock_getnameinfo
#   tests/unit/verify_cb.c                     TLS_CERT_VERIFY_CALLBACK reading the
#       certificates with mbedtls_x509_dn_gets (component secsock-mbedtls)
#
# Each is built twice from a temporary install: with pkg-config (secsock, or
# secsock-mbedtls; the client and server in -std=c11 with _POSIX_C_SOURCE) and
# with CMake (tests/interop/zephyr_apps/CMakeLists.txt: find_package(secsock
# COMPONENTS mbedtls), secsock::secsock and secsock::mbedtls), -Wall -Wextra
# -Werror. Each build then runs:
#   client  TLS 1.2 and 1.3 echo (s_server -rev) and request (s_server -www); the
#           server sees the SNI "localhost" and the version; a TLS_HOSTNAME the
#           certificate does not name must fail with ECONNABORTED
#   server  TLS 1.2 and 1.3: s_client verifies it (CA, host name) and gets the answer
#   verify  TLS 1.2 and 1.3 against s_server: the callback's subject is the one
#           openssl reads from server.pem; an untrusted server must fail
#
# The peers listen on ports the kernel picks (s_server -accept 127.0.0.1:0
# prints the port); every wait is bounded in count and time, and every process
# runs under timeout(1) and is killed on exit. Prints "N passed, N failed".
#
# Environment (set by CTest): SECSOCK_SOURCE_DIR, SECSOCK_BINARY_DIR.
set -u

if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: openssl not installed (Debian package openssl; tools/deps.sh installs it)"
	exit 77
fi

# shellcheck source-path=SCRIPTDIR source=../lib/install_tree.sh
. "$(dirname "$0")/../lib/install_tree.sh"

apps=$src/tests/interop/zephyr_apps
certs=$src/tests/lib/certs
warn="-Wall -Wextra -Werror"

srv_pid=
# shellcheck disable=SC2317 # called by the EXIT trap of install_tree.sh
it_cleanup_extra() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
}

it_install || finish

# ---- build: pkg-config and CMake ----
builds=""
mkdir -p "$tmp/pc"
ok=1
for app in zephyr_client zephyr_server; do
	# shellcheck disable=SC2046,SC2086 # pkg-config output and flags are meant to be split
	if ! $cc -std=c11 -D_POSIX_C_SOURCE=200809L $warn $(pc --cflags) "$apps/$app.c" \
		-o "$tmp/pc/$app" $(pc --libs) >"$log" 2>&1; then
		fail "build pkg-config $app" "$cc -std=c11 \$(pkg-config --cflags --libs secsock) failed" "$log"
		ok=0
	fi
done
# shellcheck disable=SC2046,SC2086
if ! $cc $warn $(mbedpc --cflags) "$src/tests/unit/verify_cb.c" -o "$tmp/pc/verify_cb" \
	$(mbedpc --libs) >"$log" 2>&1; then
	fail "build pkg-config verify_cb" "\$(pkg-config --cflags --libs secsock-mbedtls) failed" "$log"
	ok=0
fi
if [ "$ok" = 1 ]; then
	pass "build with pkg-config secsock (C11 + _POSIX_C_SOURCE) and secsock-mbedtls"
	builds="$builds pc"
fi
if cmake -S "$apps" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
	-DVERIFY_CB_SOURCE="$src/tests/unit/verify_cb.c" >"$log" 2>&1 &&
	cmake --build "$tmp/cmake" >>"$log" 2>&1; then
	pass "build with CMake find_package(secsock COMPONENTS mbedtls)"
	builds="$builds cmake"
else
	fail "build cmake" "configure/build of tests/interop/zephyr_apps against the install failed" "$log"
fi

# ---- peers ----
# s_server_start NAME ARGS...: openssl s_server for one connection on 127.0.0.1, on a
# port the kernel picks; sets srv_pid, srv_port and srv_out. Waits at most 10 s.
s_server_start() {
	local name=$1
	shift
	srv_out=$tmp/$name.s_server
	srv_port=
	timeout 60 openssl s_server -accept 127.0.0.1:0 -naccept 1 "$@" </dev/null >"$srv_out" 2>&1 &
	srv_pid=$!
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

# s_server_stop: gives it 5 s to end by itself (-naccept 1), then kills it
s_server_stop() {
	for _ in $(seq 1 50); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}

# has FILE TEXT: the file contains the text (fixed string)
has() {
	grep -F -- "$2" "$1" >/dev/null
}

# the certificate's subject as mbedtls_x509_dn_gets writes it ("CN=localhost")
want_subject=$(openssl x509 -in "$certs/server.pem" -noout -subject -nameopt RFC2253 |
	sed 's/^subject=//')
ca_subject=$(openssl x509 -in "$certs/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')

# SNI: s_server switches to its second context when the name is "localhost" and
# aborts the handshake otherwise (-servername_fatal); the same certificate in both
sni="-servername localhost -cert2 $certs/server.pem -key2 $certs/server.key -servername_fatal"
cert="-cert $certs/server.pem -key $certs/server.key"

for b in $builds; do
	d=$tmp/$b
	# the pkg-config builds find the installed libsecsock.so through LD_LIBRARY_PATH, the
	# CMake ones through the RPATH CMake gives them
	if [ "$b" = pc ]; then
		export LD_LIBRARY_PATH=$libdir
	else
		unset LD_LIBRARY_PATH
	fi

	# (a) the Zephyr-style client against s_server
	for v in 1.2 1.3; do
		for mode in echo http; do
			name="$b: zephyr_client TLS $v $mode -> openssl s_server"
			opt=-rev
			[ "$mode" = http ] && opt=-www
			# shellcheck disable=SC2086
			s_server_start "$b-client-$v-$mode" $cert $sni "-tls${v/./_}" "$opt" || continue
			out=$tmp/$b-client-$v-$mode.out
			timeout 30 "$d/zephyr_client" "$certs" localhost "$srv_port" "$v" "$mode" >"$out" 2>&1
			rc=$?
			s_server_stop
			cat "$srv_out" >>"$out"
			if [ "$rc" != 0 ]; then
				fail "$name" "the client failed (exit status $rc)" "$out"
			elif ! has "$srv_out" 'Hostname in TLS extension: "localhost"'; then
				fail "$name" "s_server saw no SNI \"localhost\" (TLS_HOSTNAME)" "$out"
			elif [ "$mode" = echo ] && ! has "$srv_out" "Protocol version: TLSv$v"; then
				fail "$name" "s_server did not report TLSv$v" "$out"
			else
				pass "$name: $(grep -E '^(echo|http):' "$out")"
			fi
		done
	done
	name="$b: zephyr_client TLS_HOSTNAME wrong.example.com -> openssl s_server"
	# shellcheck disable=SC2086
	if s_server_start "$b-client-reject" $cert -rev -tls1_2; then
		out=$tmp/$b-client-reject.out
		timeout 30 "$d/zephyr_client" "$certs" localhost "$srv_port" 1.2 reject \
			wrong.example.com >"$out" 2>&1
		rc=$?
		s_server_stop
		if [ "$rc" = 0 ] && has "$out" "ECONNABORTED"; then
			pass "$name: rejected (ECONNABORTED)"
		else
			fail "$name" "the handshake did not fail with ECONNABORTED (exit status $rc)" "$out"
		fi
	fi

	# (b) openssl s_client against the Zephyr-style server
	for v in 1.2 1.3; do
		name="$b: openssl s_client TLS $v -> zephyr_server"
		out=$tmp/$b-server-$v.out
		cli=$tmp/$b-server-$v.s_client
		timeout 60 "$d/zephyr_server" "$certs" "$v" >"$out" 2>&1 &
		srv_pid=$!
		port=
		for _ in $(seq 1 100); do
			port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$out")
			[ -n "$port" ] && break
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.1
		done
		if [ -z "$port" ]; then
			fail "$name" "zephyr_server did not listen" "$out"
			s_server_stop
			continue
		fi
		# -ign_eof: after the line, read until the server closes
		printf 'ping from openssl\n' | timeout 30 openssl s_client -connect "127.0.0.1:$port" \
			-servername localhost -CAfile "$certs/ca.pem" -verify_return_error \
			-verify_hostname localhost "-tls${v/./_}" -ign_eof >"$cli" 2>&1
		crc=$?
		for _ in $(seq 1 100); do
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$srv_pid" 2>/dev/null # still running after 10 s: fails below
		wait "$srv_pid"
		rc=$?
		srv_pid=
		cat "$cli" >>"$out"
		if [ "$rc" != 0 ]; then
			fail "$name" "zephyr_server failed (exit status $rc; s_client $crc)" "$out"
		elif ! has "$cli" "pong: ping from openssl" || ! has "$out" "received: ping from openssl"; then
			fail "$name" "the line or the answer did not arrive" "$out"
		elif ! has "$cli" "Verify return code: 0 (ok)" || ! has "$cli" "New, TLSv$v, Cipher is"; then
			fail "$name" "s_client did not verify the server or did not use TLSv$v" "$out"
		else
			pass "$name: $(grep '^accepted:' "$out")"
		fi
	done

	# (c) TLS_CERT_VERIFY_CALLBACK reading the certificate subjects, against s_server
	for v in 1.2 1.3; do
		name="$b: verify_cb (mbedtls_x509_dn_gets) TLS $v -> openssl s_server"
		# shellcheck disable=SC2086
		s_server_start "$b-verify-$v" $cert -rev "-tls${v/./_}" || continue
		out=$tmp/$b-verify-$v.out
		timeout 30 "$d/verify_cb" "$certs" "$srv_port" "$v" >"$out" 2>&1
		rc=$?
		s_server_stop
		cat "$srv_out" >>"$out"
		if [ "$rc" != 0 ]; then
			fail "$name" "the program failed (exit status $rc)" "$out"
		elif [ -z "$want_subject" ] || ! grep -Fx "subject: $want_subject" "$out" >/dev/null; then
			fail "$name" "the callback's subject is not \"$want_subject\" (openssl x509 -subject)" "$out"
		elif ! grep -Fx "issuer: $ca_subject" "$out" >/dev/null; then
			fail "$name" "the callback did not see the CA \"$ca_subject\" at depth 1" "$out"
		elif ! has "$srv_out" "Protocol version: TLSv$v"; then
			fail "$name" "s_server did not report TLSv$v" "$out"
		else
			pass "$name: $(grep '^subject:' "$out"), $(grep '^calls:' "$out")"
		fi
	done
	name="$b: verify_cb -> openssl s_server with an untrusted certificate"
	# shellcheck disable=SC2086
	if s_server_start "$b-verify-untrusted" -cert "$certs/untrusted.pem" \
		-key "$certs/untrusted.key" -rev -tls1_2; then
		out=$tmp/$b-verify-untrusted.out
		timeout 30 "$d/verify_cb" "$certs" "$srv_port" 1.2 >"$out" 2>&1
		rc=$?
		s_server_stop
		if [ "$rc" != 0 ] && has "$out" "client: " && has "$out" "subject: \"CN=localhost\""; then
			pass "$name: refused after the callback read \"CN=localhost\""
		else
			fail "$name" "the handshake was not refused (exit status $rc)" "$out"
		fi
	fi
done
finish
