#!/usr/bin/env bash
# docs/security.md, "Default cipher suites": testssl.sh (Debian's testssl.sh
# package) against a secsock server with every option at its default and an
# RSA certificate - the case where static RSA key exchange could be offered.
# It must report no CBC suite, no static RSA or finite-field DHE key
# exchange, nothing below TLS 1.2, forward secrecy, and no weak group.
# A negative control runs the same checks against a server told to offer
# static-RSA and CBC suites, and requires them to fail.
#
# Environment (set by CTest): SECSOCK_BINARY_DIR, SECSOCK_SOURCE_DIR.
set -u
export LC_ALL=C

bin=${SECSOCK_BINARY_DIR:?}/tests/tls_server_default
certs=${SECSOCK_SOURCE_DIR:?}/tests/lib/certs
if ! command -v testssl >/dev/null 2>&1; then
	echo "SKIP: testssl (Debian package testssl.sh) not installed; tools/deps.sh installs it"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not installed (parses testssl's JSON)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secsock-testssl.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# scan NAME CHECKS [SUITES]: start a server, run testssl, write NAME.json
scan() {
	local name=$1 checks=$2 suites=${3:-} port
	"$bin" "$certs/server-rsa.pem" "$certs/server-rsa.key" tls1.2 $suites >"$tmp/$name.srv" 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do
		port=$(awk '/^listening/ {print $2}' "$tmp/$name.srv")
		[ -n "$port" ] && break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "[ FAIL ] $name: the server did not start"
		cat "$tmp/$name.srv"
		return 1
	fi
	# shellcheck disable=SC2086 # checks are separate options
	timeout 300 testssl --quiet --color 0 --warnings off --nodns min --ip 127.0.0.1 \
		$checks --jsonfile "$tmp/$name.json" "127.0.0.1:$port" >"$tmp/$name.out" 2>&1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	[ -s "$tmp/$name.json" ] || { echo "[ FAIL ] $name: no testssl output"; cat "$tmp/$name.out"; return 1; }
}

# verdict NAME: prints what violates the defaults; exit status 0 if nothing
verdict() {
	python3 - "$tmp/$1.json" <<'PY'
import json, re, sys
findings = json.load(open(sys.argv[1]))
if isinstance(findings, dict):
    findings = [f for sc in findings.get("scanResult", []) for v in sc.values()
                if isinstance(v, list) for f in v]
bad, ciphers = [], 0
weak_groups = re.compile(r"ffdhe1024|secp1[69]|secp2[0-2]|sect|prime19|prime23")
for f in findings:
    fid, fin = f.get("id", ""), f.get("finding", "")
    if fid.startswith("cipher-") and not fid.startswith("cipher_order"):
        ciphers += 1
        cols = fin.split()
        # "TLS 1.2  xc030  ECDHE-RSA-AES256-GCM-SHA384  ECDH 253  AESGCM  256  IANA"
        kx = cols[4] if len(cols) > 4 else ""
        if "CBC" in fin or "SHA1 " in fin:
            bad.append("CBC suite: " + fin)
        if kx in ("RSA", "DH", "kRSA"):
            bad.append("key exchange without ECDHE: " + fin)
        if not re.search(r"AESGCM|ChaCha20|AESCCM", fin) or "CCM8" in fin:
            bad.append("not a full-tag AEAD: " + fin)
    elif fid in ("SSLv2", "SSLv3", "TLS1", "TLS1_1") and "not offered" not in fin:
        bad.append(fid + " offered")
    elif fid == "PFS" and fin != "offered":
        bad.append("no forward secrecy: " + fin)
    elif fid in ("PFS_ECDHE_curves", "DH_groups") and weak_groups.search(fin):
        bad.append("weak group: " + fin)
    elif f.get("severity") in ("HIGH", "CRITICAL"):
        bad.append("%s %s: %s" % (f.get("severity"), fid, fin))
for b in bad:
    print("    " + b)
print("    (%d suites offered)" % ciphers)
sys.exit(1 if bad or ciphers == 0 else 0)
PY
}

failed=0
if scan defaults "-p -E -f"; then
	if verdict defaults; then
		echo "[  OK  ] defaults: no CBC, no static RSA or DHE, TLS 1.2+ only, forward secrecy, no weak group"
	else
		echo "[ FAIL ] defaults: testssl found the above"
		failed=1
	fi
else
	failed=1
fi
# negative control: static RSA with AES-128-CBC (0x002F) and ECDHE-RSA-AES128-CBC (0xC027)
if scan control "-E" "0x002F,0xC027,0xC02F"; then
	if verdict control >"$tmp/control.verdict"; then
		echo "[ FAIL ] control: the checks did not flag static RSA and CBC suites"
		cat "$tmp/control.verdict"
		failed=1
	elif grep -q "key exchange without ECDHE" "$tmp/control.verdict" &&
		grep -q "CBC suite" "$tmp/control.verdict"; then
		echo "[  OK  ] control: static RSA and CBC flagged when asked for"
	else
		echo "[ FAIL ] control: flagged, but not both"
		cat "$tmp/control.verdict"
		failed=1
	fi
else
	failed=1
fi
exit "$failed"
