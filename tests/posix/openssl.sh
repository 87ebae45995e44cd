#!/usr/bin/env bash
# libsecsock-posix against OpenSSL (docs/posix.md):
#   seed   the seed example (tests/posix/seed_client.c, libc names only) against
#          openssl s_server TLS 1.2, TLS 1.3 and DTLS 1.2, built two ways:
#          (a) linked with -lsecsock-posix (credential by tls_credential_add)
#          (b) built without secsock, run with LD_PRELOAD=libsecsock-posix.so
#              (credential by the SECSOCK_TLS_CREDENTIAL_ADD socket option)
#   sendfile  tests/posix/posix_server.c sends a 1 MiB file with sendfile() onto a
#          TLS socket; openssl s_client must receive it intact (cmp)
# s_server verifies nothing of the client; the client verifies the server's
# certificate and host name ("localhost"). Prints "N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need openssl "Debian package openssl; tools/deps.sh installs it"

cert="-cert $certs/server.pem -key $certs/server.key"
line="hello from a libc-only client"
rev=$(echo "$line" | rev)

# seed_case NAME PROGRAM [PRELOAD]
seed_case() {
	local name=$1 prog=$2 pre=${3:-} v ver mode out
	for v in tls1_2 tls1_3 dtls1_2; do
		mode=tls
		ver=${v#tls}
		if [ "$v" = dtls1_2 ]; then
			mode=dtls
			# shellcheck disable=SC2086
			s_server_start "$name-$v" $cert -dtls1_2 -listen || continue
		else
			# shellcheck disable=SC2086
			s_server_start "$name-$v" $cert "-$v" -rev || continue
		fi
		out=$tmp/$name-$v.out
		if [ -n "$pre" ]; then
			LD_PRELOAD=$pre timeout 30 "$prog" "$certs/ca.pem" "$srv_port" "$mode" >"$out" 2>&1 &
		else
			timeout 30 "$prog" "$certs/ca.pem" "$srv_port" "$mode" >"$out" 2>&1 &
		fi
		local cpid=$!
		if [ "$mode" = dtls ]; then
			# s_server -dtls1_2 has no -rev: it prints what came, and sends its stdin line
			if wait_for "$srv_out" "$line" 150; then
				echo "$rev" >&3
			fi
		fi
		wait "$cpid"
		local rc=$?
		s_server_stop
		if [ "$rc" != 0 ]; then
			fail "$name $v" "the client failed (exit status $rc)" "$out" "$srv_out"
		elif [ "$mode" = tls ] && ! grep -qF "Protocol version: TLSv${ver/_/.}" "$srv_out"; then
			fail "$name $v" "s_server did not report the version" "$out" "$srv_out"
		else
			pass "$name $v: $(cat "$out")"
		fi
	done
}

seed_case "seed linked -lsecsock-posix" "$pbin/seed_client_linked"
if preload_ok; then
	if ldd "$pbin/seed_client_plain" | grep -q secsock; then
		fail "seed preload" "seed_client_plain is linked with secsock"
	else
		seed_case "seed LD_PRELOAD (no secsock at link time)" "$pbin/seed_client_plain" "$so"
	fi
else
	echo "SKIP: seed LD_PRELOAD: $preload_skip_reason"
fi

# sendfile() onto a TLS socket, received by openssl s_client
name="sendfile 1 MiB onto TLS -> openssl s_client"
head -c 1048576 /dev/urandom >"$tmp/file"
timeout 60 "$pbin/posix_server" "$certs" "$tmp/file" >"$tmp/server.out" 2>&1 &
spid=$!
pids="$pids $spid"
if port=$(listen_port "$tmp/server.out"); then
	timeout 30 openssl s_client -connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" \
		-verify_return_error -verify_hostname localhost -servername localhost -quiet \
		</dev/null >"$tmp/received" 2>"$tmp/s_client.err"
	wait "$spid"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "posix_server failed (exit status $rc)" "$tmp/server.out" "$tmp/s_client.err"
	elif ! cmp "$tmp/file" "$tmp/received" >"$tmp/cmp" 2>&1; then
		fail "$name" "s_client received $(stat -c %s "$tmp/received") bytes, not the file" "$tmp/cmp" "$tmp/server.out"
	else
		pass "$name: $(grep sendfile "$tmp/server.out"), identical at s_client"
	fi
else
	fail "$name" "posix_server did not listen" "$tmp/server.out"
fi
finish
