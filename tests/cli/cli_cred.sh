#!/usr/bin/env bash
# secsock cred add|get|del|list (issue 13) on the persistent store: Zephyr's
# cred shell syntax, type names and formats; every subcommand with bad input
# (unknown type, bad base64, missing file, duplicate tag and type, unusable
# directory); another program finds what the CLI added through
# SECSOCK_CRED_DIR; writers in parallel lose nothing.
# shellcheck source-path=SCRIPTDIR source=../lib/cli_lib.sh
. "$(dirname "$0")/../lib/cli_lib.sh"

store=$tmp/store/secsock # parents too are created
tool=$bin/tests/cred_dir_tool
out=$tmp/out
err=$tmp/err

# cred ARGS...: secsock cred --store $store ARGS, stdin from $cred_in (default empty); sets rc
cred_in=/dev/null
cred() {
	timeout 30 "$secsock" cred --store "$store" "$@" <"$cred_in" >"$out" 2>"$err"
	rc=$?
}

# expect NAME RC TEXT: the last cred call exited RC and printed TEXT (stdout or stderr)
expect() {
	if [ "$rc" = "$2" ] && { has "$out" "$3" || has "$err" "$3"; }; then
		pass "$1: exit $rc, $(cat "$out" "$err" | head -n 1)"
	else
		fail "$1" "exit $rc (want $2) without \"$3\"" "$out" "$err"
	fi
}

# ---- add in every format ----
ca_len=$(($(stat -c %s "$certs/ca.pem") + 1)) # PEM is stored with its NUL
cred add 1 CA_CERT default PEM "$certs/ca.pem"
expect "add CA_CERT PEM (with Zephyr's backend word)" 0 \
	"Added TLS credential of type CA_CERT, sectag 1, and length $ca_len bytes."
cred add 1 SERVER_CERT DER "$certs/server.der"
expect "add SERVER_CERT DER" 0 "type SERVER_CERT, sectag 1"
cred add 1 pk PEM "$certs/server.key"
expect "add PRIVATE_KEY as pk (case-insensitive synonym)" 0 "type PRIVATE_KEY, sectag 1"
psk_b64=$(printf '0123456789abcdef' | base64)
cred add 2 PSK BIN "$psk_b64"
expect "add PSK BIN" 0 "type PRE_SHARED_KEY, sectag 2, and length 16 bytes"
cred add 2 PSK_ID STR dev-1
expect "add PSK_ID STR" 0 "type PRE_SHARED_KEY_ID, sectag 2, and length 5 bytes"
printf 'dev-3\n' >"$tmp/stdin"
cred_in=$tmp/stdin
cred add 3 PSK_ID STRT
cred_in=/dev/null
expect "add PSK_ID STRT from stdin" 0 "sectag 3, and length 6 bytes"
cred add 4 CLIENT_CERT BINT "$(base64 -w0 "$certs/client.pem")"
expect "add CLIENT_CERT BINT" 0 "type SERVER_CERT, sectag 4"

if [ "$(stat -c %a "$store")" = 700 ] && [ "$(stat -c %a "$store/1-CA_CERT.cred")" = 600 ]; then
	pass "modes: directory 0700, files 0600"
else
	fail "modes" "directory $(stat -c %a "$store"), file $(stat -c %a "$store/1-CA_CERT.cred")"
fi

# ---- list ----
cred list
digest=$( (cat "$certs/ca.pem"; printf '\0') | openssl dgst -sha256 -binary | base64)
subject=$(openssl x509 -in "$certs/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
if [ "$rc" = 0 ] && has "$out" "7 credentials found." && grep -E "^1 +CA_CERT +$ca_len +$digest +$subject, expires [0-9]{4}-[0-9]{2}-[0-9]{2} " "$out" >/dev/null; then
	pass "list: tag, type, length, SHA-256 (as openssl computes it), subject and expiry"
else
	fail "list" "exit $rc; want a CA_CERT row with $digest and $subject" "$out" "$err"
fi
cred list --zephyr any PSK
if [ "$rc" = 0 ] && [ "$(head -n 1 "$out")" = "2,PSK,$(printf '0123456789abcdef' | openssl dgst -sha256 -binary | base64),0" ] &&
	has "$out" "1 credentials found."; then
	pass "list --zephyr any PSK: Zephyr's line format, filtered by type"
else
	fail "list --zephyr any PSK" "exit $rc" "$out" "$err"
fi
cred list 1
expect "list 1 (filter by tag)" 0 "3 credentials found."

# ---- get ----
cred get 1 CA_CERT PEM
if [ "$rc" = 0 ] && cmp -s "$out" "$certs/ca.pem"; then
	pass "get CA_CERT PEM: the file's bytes"
else
	fail "get CA_CERT PEM" "exit $rc, output differs from ca.pem" "$err"
fi
cred get 2 PSK BIN
expect "get PSK BIN" 0 "$psk_b64"
cred get 3 PSK_ID STRT
expect "get PSK_ID STRT" 0 "dev-3"
cred get 2 PSK_ID BINT
expect "get BINT of a credential without NUL" 1 "isn't NUL-terminated"
cred add 6 PSK BIN "$(printf '\001\002\377\376' | base64)"
cred get 6 PSK STR
expect "get a binary PSK as STR" 1 "non-printable characters were filtered"
cred get 9 PSK BIN
expect "get a missing credential" 1 "there is no TLS credential with sectag 9 and type PRE_SHARED_KEY"

# ---- another program, through SECSOCK_CRED_DIR ----
if [ -x "$tool" ]; then
	SECSOCK_CRED_DIR=$store timeout 10 "$tool" env-get 2 4 >"$out" 2>"$err"
	rc=$?
	expect "a program with SECSOCK_CRED_DIR finds what the CLI added" 0 "len 16 first 0"
else
	fail "SECSOCK_CRED_DIR" "$tool is not built"
fi
name="secsock server --tag 1 (stored certificate and key) <-> secsock client"
srv_start tag --store "$store" --tag 1 --max 1
printf 'via tag' | timeout 30 "$secsock" client --ca "$certs/ca.pem" --wait 300 localhost "$srv_port" \
	>"$out" 2>"$err"
rc=$?
srv_wait
if [ "$rc" = 0 ] && has "$out" "via tag"; then
	pass "$name"
else
	fail "$name" "client exit $rc" "$err" "$srv_err"
fi

# ---- bad input ----
cred add 5 FOO STR x
expect "add: unknown type" 2 "FOO is not a valid credential type"
cred add 5 PSK BIN '@@not base64@@'
expect "add: bad base64" 2 "could not decode the data from base64"
cred add 5 PSK BIN 'QUJD='
expect "add: base64 with a bad length" 2 "could not decode"
cred add 5 CA_CERT PEM "$tmp/missing.pem"
expect "add: missing file" 2 "missing.pem: No such file or directory"
cred add 1 CA_CERT PEM "$certs/ca.pem"
expect "add: duplicate tag and type" 1 "TLS credential with sectag 1 and type CA_CERT already exists"
cred add 1 CA_CERT PEM "$certs/untrusted-ca.pem" --replace
expect "add --replace" 0 "Stored TLS credential of type CA_CERT, sectag 1"
cred add -1 PSK STR x
expect "add: negative tag" 2 "is not a valid sectag"
cred add 12x PSK STR x
expect "add: tag that is not a number" 2 "12x is not a valid sectag"
cred add 5 PSK HEX 00
expect "add: unknown format" 2 "HEX is not a valid storage format"
cred add 5 PSK
expect "add: no format" 2 "usage"
cred add 5 CA_CERT PEM "$certs/server.key"
expect "add: a key as a certificate" 2 "not a certificate"
cred add 5 PRIVATE_KEY PEM "$certs/server.key.encrypted.pem"
expect "add: an encrypted key" 2 "encrypted"
cred add 5 CA_CERT PEM "$certs/ca.der"
expect "add: DER given as PEM" 2 "is not PEM"
cred add 5 CA_CERT DER "$certs/ca.pem"
expect "add: PEM given as DER" 2 "is not DER"
cred add 5 PSK_ID BIN "$(printf 'a\001b' | base64)"
expect "add: unprintable PSK identity" 2 "printable"
cred add 5 PSK STR ""
expect "add: empty data" 2 "empty"
cred del 5 PSK
expect "del: missing credential" 1 "there is no TLS credential with sectag 5"
cred del 2 NOPE
expect "del: unknown type" 2 "NOPE is not a valid credential type"
cred del 2
expect "del: no type" 2 "usage"
cred get 2 PSK
expect "get: no format" 2 "usage"
cred list 1 NOPE
expect "list: unknown type" 2 "NOPE is not a valid credential type"
cred list -5
expect "list: bad tag" 2 "not a valid sectag"
cred frob
expect "unknown cred command" 2 "unknown cred command"

# ---- del ----
cred del 2 PSK
if [ "$rc" = 0 ] && has "$out" "Deleted TLS credential with sectag 2 and type PRE_SHARED_KEY." &&
	[ ! -e "$store/2-PSK.cred" ]; then
	pass "del: gone from the directory"
else
	fail "del" "exit $rc" "$out" "$err"
fi

# ---- unusable stores ----
mkdir -m 700 "$tmp/open" && chmod 777 "$tmp/open"
timeout 10 "$secsock" cred --store "$tmp/open" list >"$out" 2>"$err"
rc=$?
expect "a world-writable directory is refused" 4 "writable by group or others"
printf 'x' >"$tmp/afile"
timeout 10 "$secsock" cred --store "$tmp/afile" add 1 PSK_ID STR a >"$out" 2>"$err"
rc=$?
expect "a store path that is a file" 4 "cannot be used"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 700 "$tmp/theirs" && chown nobody "$tmp/theirs"
	timeout 10 "$secsock" cred --store "$tmp/theirs" list >"$out" 2>"$err"
	rc=$?
	expect "another user's directory is refused" 4 "not by this user"
else
	mkdir -m 000 "$tmp/closed"
	timeout 10 "$secsock" cred --store "$tmp/closed" list >"$out" 2>"$err"
	rc=$?
	expect "an unreadable directory" 4 "cannot be used"
fi
head -c 40 /dev/urandom >"$store/7-PSK.cred" && chmod 600 "$store/7-PSK.cred"
printf 'notes\n' >"$store/README"
cred list
if [ "$rc" = 0 ] && has "$err" "7-PSK.cred: skipped: " && has "$err" "README: skipped: not a credential file" &&
	has "$out" "7 credentials found."; then
	pass "damaged and foreign files: reported, skipped, the rest listed"
else
	fail "damaged and foreign files" "exit $rc" "$out" "$err"
fi
rm -f "$store/7-PSK.cred" "$store/README"

# ---- writers in parallel (4 processes x 20 adds) ----
writers=()
for w in 0 1 2 3; do
	(
		for i in $(seq 1 20); do
			t=$((1000 + w * 20 + i))
			timeout 30 "$secsock" cred --store "$store" add "$t" PSK_ID STR "id-$t" >/dev/null 2>&1 ||
				echo "writer $w: add $t failed"
		done
	) >"$tmp/writer$w" 2>&1 &
	writers+=("$!")
done
for p in "${writers[@]}"; do wait "$p"; done
cred list any PSK_ID
n=$(grep -c -E '^1[0-9]{3} +PRE_SHARED_KEY_ID' "$out")
if [ "$n" = 80 ] && ! grep -q failed "$tmp"/writer*; then
	pass "4 CLI writers in parallel: all 80 credentials there"
else
	fail "parallel writers" "$n of 80 listed" "$tmp/writer0" "$tmp/writer1" "$err"
fi
finish
