#!/usr/bin/env bash
# The real secsock binary (issue 13): secsock client <-> secsock server,
# secsock client <-> openssl s_server, openssl s_client <-> secsock server,
# over TLS 1.2, TLS 1.3, DTLS 1.2 with Connection IDs, PSK, mutual
# authentication, ALPN, resumption; refusals with their exit status and
# words. Loopback only; ports picked by the kernel and read back.
# shellcheck source-path=SCRIPTDIR source=../lib/cli_lib.sh
. "$(dirname "$0")/../lib/cli_lib.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: openssl not installed (Debian package openssl; tools/deps.sh installs it)"
	exit 77
fi

PSK=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
ca="--ca $certs/ca.pem"
srvcred="--cert $certs/server.pem --key $certs/server.key"

# client NAME INPUT ARGS...: `secsock client ARGS` with INPUT on stdin; sets cli_rc,
# cli_out, cli_err
client() {
	local name=$1 input=$2
	shift 2
	cli_out=$tmp/$name.client.out
	cli_err=$tmp/$name.client.err
	printf '%s' "$input" | timeout 30 "$secsock" client --wait 500 "$@" >"$cli_out" 2>"$cli_err"
	cli_rc=$?
}

# ---- secsock client <-> secsock server ----
for v in 1.2 1.3; do
	name="secsock client <-> secsock server, TLS $v"
	# shellcheck disable=SC2086
	srv_start "ss$v" $srvcred "--tls$v" --max 1
	# shellcheck disable=SC2086
	client "ss$v" "ping $v" $ca "--tls$v" localhost "$srv_port"
	srv_wait
	src_rc=$?
	if [ "$cli_rc" != 0 ] || [ "$(cat "$cli_out")" != "ping $v" ]; then
		fail "$name" "client exit $cli_rc, echo \"$(cat "$cli_out")\"" "$cli_err" "$srv_err"
	elif ! has "$cli_err" "TLS $v," || ! has "$srv_err" "TLS $v," ||
		! has "$cli_err" "server certificate verified"; then
		fail "$name" "the version or the verification is not reported" "$cli_err" "$srv_err"
	elif [ "$src_rc" != 0 ]; then
		fail "$name" "server exit $src_rc after --max 1" "$srv_err"
	else
		pass "$name: $(grep '^connected' "$cli_err")"
	fi
done

name="secsock client <-> secsock server, mutual authentication"
# shellcheck disable=SC2086
srv_start mutual $srvcred $ca --verify required --max 1
# shellcheck disable=SC2086
client mutual "hi" $ca --cert "$certs/client.pem" --key "$certs/client.key" localhost "$srv_port"
srv_wait
if [ "$cli_rc" = 0 ] && has "$srv_err" "client certificate verified" && has "$cli_out" "hi"; then
	pass "$name: $(grep '^\[1\].*TLS' "$srv_err")"
else
	fail "$name" "client exit $cli_rc" "$cli_err" "$srv_err"
fi

name="secsock client without a certificate -> server requiring one"
# shellcheck disable=SC2086
srv_start mutual-none $srvcred $ca --verify required --max 1
# shellcheck disable=SC2086
client mutual-none "hi" $ca localhost "$srv_port"
srv_wait
if [ "$cli_rc" != 0 ] && has "$srv_err" "[1]" && ! has "$srv_err" "client certificate verified"; then
	pass "$name: client exit $cli_rc, server: $(grep '^\[1\]' "$srv_err" | head -n 1)"
else
	fail "$name" "the connection was not refused (client exit $cli_rc)" "$cli_err" "$srv_err"
fi

name="secsock client <-> secsock server, PSK"
srv_start psk --psk "$PSK" --psk-id cli-test --max 1
client psk "psk data" --psk "$PSK" --psk-id cli-test 127.0.0.1 "$srv_port"
srv_wait
if [ "$cli_rc" = 0 ] && has "$cli_out" "psk data" && has "$cli_err" "no certificate (PSK)"; then
	pass "$name: $(grep '^connected' "$cli_err")"
else
	fail "$name" "client exit $cli_rc" "$cli_err" "$srv_err"
fi

name="secsock client <-> secsock server, DTLS 1.2 with Connection IDs, two clients"
# shellcheck disable=SC2086
srv_start dtls $srvcred --psk "$PSK" --psk-id dtls-id --dtls --cid --max 2
# shellcheck disable=SC2086
client dtls-a "datagram A" $ca --dtls --cid localhost "$srv_port"
rc_a=$cli_rc
err_a=$cli_err
client dtls-b "datagram B" --psk "$PSK" --psk-id dtls-id --dtls --cid 127.0.0.1 "$srv_port"
srv_wait
if [ "$rc_a" != 0 ] || [ "$cli_rc" != 0 ] || ! has "$tmp/dtls-a.client.out" "datagram A" ||
	! has "$cli_out" "datagram B"; then
	fail "$name" "client exits $rc_a / $cli_rc" "$err_a" "$cli_err" "$srv_err"
elif [ "$(grep -c 'DTLS 1.2,.*Connection ID bidirectional' "$srv_err")" != 2 ] ||
	! has "$err_a" "Connection ID bidirectional"; then
	fail "$name" "not two peers with bidirectional CIDs on the server socket" "$err_a" "$srv_err"
else
	pass "$name: $(grep -c '^\[' "$srv_err") peers, $(grep -o 'Connection ID [a-z]*' "$err_a")"
fi

for v in 1.2 1.3; do
	name="secsock client --resume <-> secsock server, TLS $v (session ID / ticket)"
	# shellcheck disable=SC2086
	srv_start "resume$v" $srvcred "--tls$v" --max 2
	# shellcheck disable=SC2086
	client "resume$v" "again" $ca "--tls$v" --resume localhost "$srv_port"
	srv_wait
	if [ "$cli_rc" = 0 ] && has "$cli_err" "session resumed: yes" && has "$srv_err" "resumed session"; then
		pass "$name: second connection resumed (both ends say so)"
	else
		fail "$name" "client exit $cli_rc" "$cli_err" "$srv_err"
	fi
done

name="secsock client <-> secsock server, ALPN"
# shellcheck disable=SC2086
srv_start alpn $srvcred --alpn h2,http/1.1 --max 1
# shellcheck disable=SC2086
client alpn "x" $ca --alpn http/1.1 localhost "$srv_port"
srv_wait
if [ "$cli_rc" = 0 ] && has "$cli_err" "ALPN http/1.1" && has "$srv_err" "ALPN http/1.1"; then
	pass "$name: http/1.1 on both ends"
else
	fail "$name" "client exit $cli_rc" "$cli_err" "$srv_err"
fi

name="secsock server: a second client served while the first stays connected"
# shellcheck disable=SC2086
srv_start many $srvcred --max 2
# shellcheck disable=SC2086
(sleep 2; printf 'slow') | timeout 30 "$secsock" client $ca --wait 300 localhost "$srv_port" \
	>"$tmp/slow.out" 2>"$tmp/slow.err" &
slow=$!
sleep 0.5
# shellcheck disable=SC2086
client fast "fast" $ca localhost "$srv_port"
fast_done=$(grep -c 'closed' "$srv_err")
wait "$slow"
slow_rc=$?
srv_wait
if [ "$cli_rc" = 0 ] && [ "$slow_rc" = 0 ] && [ "$fast_done" = 1 ] && has "$tmp/slow.out" slow; then
	pass "$name: the fast client finished while the slow one was still connected"
else
	fail "$name" "exits $cli_rc / $slow_rc, $fast_done closed while the slow one was open" \
		"$srv_err" "$tmp/slow.err"
fi

# ---- refusals ----
name="secsock client: untrusted server"
# shellcheck disable=SC2086
srv_start untrusted $srvcred --max 1
client untrusted "x" --ca "$certs/untrusted-ca.pem" localhost "$srv_port"
srv_wait
if [ "$cli_rc" = 3 ] && has "$cli_err" "certificate verify failed: not trusted (unknown CA)"; then
	pass "$name: exit 3, $(cat "$cli_err")"
else
	fail "$name" "exit $cli_rc (want 3)" "$cli_err"
fi

name="secsock client: name mismatch"
# shellcheck disable=SC2086
srv_start mismatch $srvcred --max 1
# shellcheck disable=SC2086
client mismatch "x" $ca --host wrong.example.com 127.0.0.1 "$srv_port"
srv_wait
if [ "$cli_rc" = 3 ] && has "$cli_err" "certificate verify failed: name mismatch"; then
	pass "$name: exit 3, $(cat "$cli_err")"
else
	fail "$name" "exit $cli_rc (want 3)" "$cli_err"
fi

name="secsock client: nothing listening"
# a port the kernel just gave to a socket we close: nothing listens there now
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
client refused "x" $ca localhost "$port"
if [ "$cli_rc" = 1 ] && has "$cli_err" "connection refused"; then
	pass "$name: exit 1, $(cat "$cli_err")"
else
	fail "$name" "exit $cli_rc (want 1)" "$cli_err"
fi

name="secsock client: bad usage"
ok=1
for args in "localhost" "--verify maybe localhost 1" "--tls1.2 --tls1.3 --ca x localhost 1" \
	"--cid localhost 1" "--ciphers TLS_NOPE localhost 1" "--ca /nonexistent localhost 1" \
	"--psk zz --psk-id a localhost 1" "--cert $certs/server.pem localhost 1" \
	"--ca $certs/server.key localhost 1"; do
	# shellcheck disable=SC2086
	timeout 10 "$secsock" client $args </dev/null >"$tmp/usage.out" 2>"$tmp/usage.err"
	rc=$?
	if [ "$rc" != 2 ] || ! [ -s "$tmp/usage.err" ]; then
		fail "$name" "\"secsock client $args\" exit $rc (want 2 and a message)" "$tmp/usage.err"
		ok=0
	fi
done
[ "$ok" = 1 ] && pass "$name: 9 wrong command lines, exit 2 with a message each"

# ---- secsock client <-> openssl s_server ----
for v in 1.2 1.3; do
	name="secsock client -> openssl s_server, TLS $v"
	ossl_server "os$v" -cert "$certs/server.pem" -key "$certs/server.key" "-tls${v/./_}" -rev -naccept 1
	# shellcheck disable=SC2086
	client "os$v" "hello openssl
" $ca "--tls$v" localhost "$osrv_port"
	ossl_stop
	if [ "$cli_rc" = 0 ] && has "$cli_out" "lssnepo olleh" && has "$cli_err" "TLS $v,"; then
		pass "$name: reversed line came back, $(grep -o 'TLS 1.[23], [A-Z0-9_]*' "$cli_err")"
	else
		fail "$name" "client exit $cli_rc" "$cli_err" "$cli_out" "$osrv_out"
	fi
done

name="secsock client -> openssl s_server, TLS 1.2 PSK"
ossl_server opsk -psk "$PSK" -psk_identity ossl-id -nocert -tls1_2 -rev -naccept 1
client opsk "psk line
" --psk "$PSK" --psk-id ossl-id 127.0.0.1 "$osrv_port"
ossl_stop
if [ "$cli_rc" = 0 ] && has "$cli_out" "enil ksp" && has "$cli_err" "PSK"; then
	pass "$name: $(grep -o 'TLS 1.2, [A-Z0-9_]*' "$cli_err")"
else
	fail "$name" "client exit $cli_rc" "$cli_err" "$osrv_out"
fi

name="secsock client -> openssl s_server, DTLS 1.2"
ossl_server odtls -cert "$certs/server.pem" -key "$certs/server.key" -dtls1_2 -naccept 1
# shellcheck disable=SC2086
client odtls "dtls to openssl
" $ca --dtls localhost "$osrv_port"
for _ in $(seq 1 50); do has "$osrv_out" "dtls to openssl" && break; sleep 0.1; done
ossl_stop
if [ "$cli_rc" = 0 ] && has "$osrv_out" "dtls to openssl" && has "$cli_err" "DTLS 1.2," &&
	has "$cli_err" "Connection ID none"; then
	pass "$name: s_server printed the datagram; $(grep -o 'DTLS 1.2, [A-Z0-9_]*' "$cli_err")"
else
	fail "$name" "client exit $cli_rc" "$cli_err" "$osrv_out"
fi

# ---- openssl s_client <-> secsock server ----
# s_client sends its stdin, then keeps reading for 1 s before stdin ends
s_client() {
	local name=$1
	shift
	sc_out=$tmp/$name.s_client
	(printf '%s\n' "$sc_in"; sleep 1) | timeout 30 openssl s_client -connect "127.0.0.1:$srv_port" \
		"$@" >"$sc_out" 2>&1
	sc_rc=$?
}

for v in 1.2 1.3; do
	name="openssl s_client -> secsock server, TLS $v"
	# shellcheck disable=SC2086
	srv_start "sc$v" $srvcred --alpn h2,http/1.1 --max 1
	sc_in="from s_client $v"
	s_client "sc$v" -CAfile "$certs/ca.pem" -verify_return_error -verify_hostname localhost \
		-servername localhost "-tls${v/./_}" -alpn h2
	srv_wait
	if has "$sc_out" "from s_client $v" && has "$sc_out" "Verify return code: 0 (ok)" &&
		has "$sc_out" "ALPN protocol: h2" && has "$srv_err" "TLS $v," && has "$srv_err" "ALPN h2"; then
		pass "$name: echoed, verified, ALPN h2; server: $(grep '^\[1\].*TLS' "$srv_err")"
	else
		fail "$name" "s_client exit $sc_rc" "$sc_out" "$srv_err"
	fi
done

name="openssl s_client -> secsock server, TLS 1.2 PSK"
srv_start scpsk --psk "$PSK" --psk-id sc-id --max 1
sc_in="psk from s_client"
s_client scpsk -psk "$PSK" -psk_identity sc-id -tls1_2
srv_wait
if has "$sc_out" "psk from s_client" && has "$srv_err" "PSK"; then
	pass "$name: $(grep '^\[1\].*TLS' "$srv_err")"
else
	fail "$name" "s_client exit $sc_rc" "$sc_out" "$srv_err"
fi

name="openssl s_client -> secsock server, DTLS 1.2"
# shellcheck disable=SC2086
srv_start scdtls $srvcred --dtls --cid --max 1
sc_in="dtls from s_client"
s_client scdtls -dtls1_2 -CAfile "$certs/ca.pem" -verify_return_error -servername localhost
srv_wait
if has "$sc_out" "dtls from s_client" && has "$sc_out" "Verify return code: 0 (ok)" &&
	has "$srv_err" "DTLS 1.2," && has "$srv_err" "Connection ID none"; then
	pass "$name: echoed; server: $(grep '^\[1\]' "$srv_err")"
else
	fail "$name" "s_client exit $sc_rc" "$sc_out" "$srv_err"
fi
finish
