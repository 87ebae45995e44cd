#!/usr/bin/env bash
# Debug output never carries key material (issue 13): full handshakes at
# SECSOCK_DEBUG=4, secsock client -> openssl s_server and openssl s_client ->
# secsock server, TLS 1.2 and 1.3, and a TLS 1.2 PSK handshake. OpenSSL's
# -keylogfile gives each session's real secrets (TLS 1.2 master secret,
# TLS 1.3 handshake/traffic/exporter secrets); the log must hold none of
# them, nor the server's private key nor the PSK, in the hex dumps or
# anywhere in the text. The checker first proves it finds a planted secret.
# shellcheck source-path=SCRIPTDIR source=../lib/cli_lib.sh
. "$(dirname "$0")/../lib/cli_lib.sh"

if ! command -v openssl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: openssl or python3 not installed (tools/deps.sh installs them)"
	exit 77
fi

PSK=a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
# the server key's private scalar, as hex
scalar=$(openssl pkey -in "$certs/server.key" -noout -text 2>/dev/null |
	sed -n '/^priv:/,/^pub:/p' | grep -v -e '^priv:' -e '^pub:' | tr -d ' :\n')

# check LOG SECRETS...: exit 0 if none of the secrets (hex, 16 bytes of each at least)
# is in the log; prints what it found. Secrets from KEYLOG files are taken when an
# argument is "keylog:FILE".
check() {
	python3 - "$@" <<'PY'
import re, sys
log = open(sys.argv[1], errors="replace").read()
secrets = []
for a in sys.argv[2:]:
    if a.startswith("keylog:"):
        for line in open(a[7:]):
            f = line.split()
            if len(f) == 3:
                secrets.append((f[0], f[2].lower()))
    elif a:
        secrets.append(("given", a.lower()))
# every hex byte of every dump line, in order, and the text without separators
dump = "".join(m.group(1).replace(" ", "") for m in
               re.finditer(r": [0-9a-f]{4}: ((?: [0-9a-f]{2})+)", log))
flat = re.sub(r"[^0-9a-f]", "", log.lower())
found = 0
for name, s in secrets:
    for i in range(0, len(s) - 31, 2):  # any 16-byte window of the secret
        w = s[i:i + 32]
        if w in dump or w in flat:
            print(f"FOUND {name} bytes {i // 2}..{i // 2 + 15} in the log")
            found += 1
            break
print(f"checked {len(secrets)} secrets against {log.count(chr(10))} lines, "
      f"{len(dump) // 2} dumped bytes")
sys.exit(1 if found or not secrets else 0)
PY
}

# the checker itself: a planted secret in a dump line is found
printf 'mbedtls: ssl_tls.c:1: dumping %s (32 bytes)\nmbedtls: ssl_tls.c:1: 0000:  %s\n' \
	"'x'" "$(echo "$scalar" | cut -c1-32 | sed 's/../& /g')" >"$tmp/planted.log"
if [ -n "$scalar" ] && ! check "$tmp/planted.log" "$scalar" >"$tmp/planted.out"; then
	pass "the checker finds a planted secret: $(head -n 1 "$tmp/planted.out")"
else
	fail "checker self-test" "a planted secret was not found (scalar \"$scalar\")" "$tmp/planted.out"
fi

# verify LOG NAME KEYLOG EXTRA...: the log is a real level-4 log and holds no secret
verify() {
	local log=$1 name=$2
	shift 2
	if [ "$(grep -c "dumping '" "$log")" -lt 20 ] || ! has "$log" "input record from network"; then
		fail "$name" "not a level-4 log (too few dumps)" "$log"
	elif [ ! -s "${1#keylog:}" ]; then
		fail "$name" "openssl wrote no key log"
	elif check "$log" "$@" >"$tmp/check.out"; then
		pass "$name: $(tail -n 1 "$tmp/check.out"), none found"
	else
		fail "$name" "key material in the debug log" "$tmp/check.out"
	fi
}

for v in 1.2 1.3; do
	name="SECSOCK_DEBUG=4 secsock client -> openssl s_server, TLS $v"
	kl=$tmp/client$v.keylog
	ossl_server "dbgc$v" -cert "$certs/server.pem" -key "$certs/server.key" "-tls${v/./_}" -rev \
		-naccept 1 -keylogfile "$kl"
	printf 'secret-free?\n' | SECSOCK_DEBUG=4 timeout 30 "$secsock" client --ca "$certs/ca.pem" \
		--wait 300 localhost "$osrv_port" >"$tmp/dbgc$v.out" 2>"$tmp/dbgc$v.log"
	rc=$?
	ossl_stop
	if [ "$rc" != 0 ]; then
		fail "$name" "client exit $rc" "$tmp/dbgc$v.log"
	else
		verify "$tmp/dbgc$v.log" "$name" "keylog:$kl" "$PSK"
	fi

	name="openssl s_client -> SECSOCK_DEBUG=4 secsock server, TLS $v"
	kl=$tmp/server$v.keylog
	export SECSOCK_DEBUG=4
	srv_start "dbgs$v" --cert "$certs/server.pem" --key "$certs/server.key" --max 1
	unset SECSOCK_DEBUG
	(printf 'hello\n'; sleep 1) | timeout 30 openssl s_client -connect "127.0.0.1:$srv_port" \
		-CAfile "$certs/ca.pem" "-tls${v/./_}" -keylogfile "$kl" >"$tmp/dbgs$v.s_client" 2>&1
	srv_wait
	if ! has "$tmp/dbgs$v.s_client" "hello"; then
		fail "$name" "no echo" "$tmp/dbgs$v.s_client" "$srv_err"
	else
		verify "$srv_err" "$name" "keylog:$kl" "$scalar"
	fi
done

name="SECSOCK_DEBUG=4 secsock client -> openssl s_server, TLS 1.2 PSK"
kl=$tmp/psk.keylog
ossl_server dbgpsk -psk "$PSK" -psk_identity dbg -nocert -tls1_2 -rev -naccept 1 -keylogfile "$kl"
printf 'psk\n' | SECSOCK_DEBUG=4 timeout 30 "$secsock" client --psk "$PSK" --psk-id dbg --wait 300 \
	127.0.0.1 "$osrv_port" >"$tmp/dbgpsk.out" 2>"$tmp/dbgpsk.log"
rc=$?
ossl_stop
if [ "$rc" != 0 ]; then
	fail "$name" "client exit $rc" "$tmp/dbgpsk.log"
else
	verify "$tmp/dbgpsk.log" "$name" "keylog:$kl" "$PSK"
fi
finish
