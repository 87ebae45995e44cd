#!/usr/bin/env bash
# The examples (examples/*.c, written like Zephyr's socket samples), built by
# CMake, run against each other and against OpenSSL (issue 13):
#   echo_client <-> echo_server, TLS and DTLS
#   echo_client -> an OpenSSL echo server (Python's ssl module, which is OpenSSL)
#   openssl s_client -> echo_server, TLS and DTLS
#   https_get -> openssl s_server -www
# shellcheck source-path=SCRIPTDIR source=../lib/cli_lib.sh
. "$(dirname "$0")/../lib/cli_lib.sh"

if ! command -v openssl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: openssl or python3 not installed (tools/deps.sh installs them)"
	exit 77
fi
ex=$bin/examples
for p in echo_server echo_client https_get; do
	if [ ! -x "$ex/$p" ]; then
		echo "FAIL: $ex/$p is not built"
		exit 1
	fi
done
# the examples link libsecsock.so from the build tree (RPATH)

# ex_server NAME ARGS...: echo_server ARGS on port 0; sets es_pid, es_port, es_out
ex_server() {
	local name=$1
	shift
	es_out=$tmp/$name.echo_server
	timeout 60 "$ex/echo_server" -p 0 "$@" "$certs/server.pem" "$certs/server.key" \
		>"$es_out" 2>&1 </dev/null &
	es_pid=$!
	pids+=("$es_pid")
	es_port=$(wait_for "$es_out" 's/^Listening on port \([0-9][0-9]*\) .*/\1/p')
}

# es_wait: the server's exit status (it was given -n); 124 if it still runs after 15 s
es_wait() {
	local rc
	for _ in $(seq 1 150); do
		kill -0 "$es_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$es_pid" 2>/dev/null && rc=124
	wait "$es_pid"
	local st=$?
	return "${rc:-$st}"
}

for mode in TLS DTLS; do
	u=
	n=1
	if [ "$mode" = DTLS ]; then
		u=-u
		n=8 # datagrams
	fi
	name="echo_client <-> echo_server, $mode"
	# shellcheck disable=SC2086
	ex_server "ex$mode" $u -n $n
	# shellcheck disable=SC2086
	timeout 30 "$ex/echo_client" $u -p "$es_port" -n 8 "$certs/ca.pem" localhost >"$tmp/ec$mode" 2>&1
	rc=$?
	es_wait
	src=$?
	if [ "$rc" = 0 ] && [ "$src" = 0 ] && has "$tmp/ec$mode" "Echoed 992 bytes in 8 rounds: OK"; then
		pass "$name: $(grep '^Connected' "$tmp/ec$mode")"
	else
		fail "$name" "client exit $rc, server exit $src" "$tmp/ec$mode" "$es_out"
	fi
done

name="echo_client -> OpenSSL echo server (Python ssl), TLS"
cat >"$tmp/echo.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
print(f"port {srv.getsockname()[1]} {ssl.OPENSSL_VERSION}", flush=True)
conn, _ = srv.accept()
conn.settimeout(20)
with ctx.wrap_socket(conn, server_side=True) as s:
    print(f"version {s.version()}", flush=True)
    while True:
        d = s.recv(4096)
        if not d:
            break
        s.sendall(d)
PY
timeout 60 python3 "$tmp/echo.py" "$certs/server.pem" "$certs/server.key" >"$tmp/py.out" 2>&1 &
py=$!
pids+=("$py")
port=$(wait_for "$tmp/py.out" 's/^port \([0-9][0-9]*\) .*/\1/p')
timeout 30 "$ex/echo_client" -p "$port" -n 8 "$certs/ca.pem" localhost >"$tmp/ecpy" 2>&1
rc=$?
wait "$py"
if [ "$rc" = 0 ] && has "$tmp/ecpy" "Echoed 992 bytes in 8 rounds: OK"; then
	pass "$name: $(grep -o 'OpenSSL [0-9.a-z]*' "$tmp/py.out"), $(grep '^version' "$tmp/py.out")"
else
	fail "$name" "client exit $rc" "$tmp/ecpy" "$tmp/py.out"
fi

for mode in TLS DTLS; do
	name="openssl s_client -> echo_server, $mode"
	u=
	d=
	if [ "$mode" = DTLS ]; then
		u="-u -n 1"
		d=-dtls1_2
	else
		u="-n 1"
	fi
	# shellcheck disable=SC2086
	ex_server "sc$mode" $u
	# shellcheck disable=SC2086
	(printf 'echo me, %s\n' "$mode"; sleep 1) | timeout 30 openssl s_client \
		-connect "127.0.0.1:$es_port" $d -CAfile "$certs/ca.pem" -verify_return_error \
		-servername localhost >"$tmp/sc$mode" 2>&1
	es_wait
	src=$?
	if [ "$src" = 0 ] && has "$tmp/sc$mode" "echo me, $mode" &&
		has "$tmp/sc$mode" "Verify return code: 0 (ok)"; then
		pass "$name: echoed, verified"
	else
		fail "$name" "server exit $src" "$tmp/sc$mode" "$es_out"
	fi
done

name="https_get -> openssl s_server -www"
ossl_server www -cert "$certs/server.pem" -key "$certs/server.key" -www -naccept 1
timeout 30 "$ex/https_get" -p "$osrv_port" "$certs/ca.pem" localhost /index >"$tmp/get" 2>&1
rc=$?
ossl_stop
if [ "$rc" = 0 ] && has "$tmp/get" "HTTP/1.0 200 ok" && has "$tmp/get" "s_server -accept" &&
	has "$tmp/get" "Close socket"; then
	pass "$name: $(grep -m1 '^HTTP/' "$tmp/get" | tr -d '\r')"
else
	fail "$name" "exit $rc" "$tmp/get" "$osrv_out"
fi

name="https_get -> openssl s_server with an untrusted certificate"
ossl_server www2 -cert "$certs/untrusted.pem" -key "$certs/untrusted.key" -www -naccept 1
timeout 30 "$ex/https_get" -p "$osrv_port" "$certs/ca.pem" localhost >"$tmp/get2" 2>&1
rc=$?
ossl_stop
if [ "$rc" = 1 ] && has "$tmp/get2" "zsock_connect"; then
	pass "$name: refused ($(grep -m1 Error "$tmp/get2"))"
else
	fail "$name" "exit $rc (want 1)" "$tmp/get2"
fi
finish
