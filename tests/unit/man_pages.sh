#!/usr/bin/env bash
# The manual pages (man/, issue 13) cover the public API and the command:
#   - every function libsecsock.so exports (tests/unit/exports.txt) is a .Nm of a section-3 page;
#   - every SOL_TLS option (Zephyr's 1-20 and secsock's SECSOCK_TLS_*) is in zsock_setsockopt(3);
#   - every option the secsock command's --help texts list is in secsock(1);
#   - every page renders with groff -mandoc -ww without a warning;
#   - the install puts the pages and a .so page for every other name (tests/unit/install.sh
#     checks bin/secsock and the pages in the installed tree).
# Prints "N passed, N failed".
set -u
src=${SECSOCK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SECSOCK_BINARY_DIR:-}
man=$src/man
passed=0
failed=0
ok() {
	echo "[  OK  ] $1"
	passed=$((passed + 1))
}
bad() {
	echo "[ FAIL ] $1"
	failed=$((failed + 1))
}

missing=""
while read -r fn; do
	[ -n "$fn" ] || continue
	grep -l -x -E "\.Nm $fn( ,)?" "$man"/*.3 >/dev/null 2>&1 || missing="$missing $fn"
done <"$src/tests/unit/exports.txt"
if [ -z "$missing" ]; then
	ok "every exported function has a manual page ($(wc -l <"$src/tests/unit/exports.txt") names)"
else
	bad "exported functions without a manual page:$missing"
fi

opts=$(sed -n '/^#define ZSOCK_SOL_TLS/,/^#define ZSOCK_TLS_PEER_VERIFY_NONE/p' \
	"$src/include/zephyr/net/socket.h" | sed -n 's/^#define ZSOCK_\(TLS_[A-Z_]*\) .*/\1/p' |
	grep -v PEER_VERIFY_NONE)
opts="$opts $(sed -n 's/^#define \(SECSOCK_TLS_[A-Z_]*\) .*/\1/p' "$src/include/secsock/secsock.h" |
	grep -v OPT_BASE)"
missing=""
n=0
for o in $opts; do
	n=$((n + 1))
	# TLS_DTLS_HANDSHAKE_TIMEOUT_MIN and _MAX share an entry
	short=${o%_MAX}
	grep -F -e "$o" -e "$short" "$man/zsock_setsockopt.3" >/dev/null || missing="$missing $o"
done
if [ "$n" -lt 24 ]; then
	bad "found only $n options in the headers (the extraction broke?)"
elif [ -z "$missing" ]; then
	ok "every SOL_TLS option is in zsock_setsockopt(3) ($n options)"
else
	bad "options missing from zsock_setsockopt(3):$missing"
fi

if [ -n "$bin" ] && [ -x "$bin/cli/secsock" ]; then
	missing=""
	for c in client server cred; do
		for o in $("$bin/cli/secsock" "$c" --help | grep -o -E -- '--[a-z0-9.-]+' | sort -u); do
			[ "$o" = --help ] && continue
			grep -F -e "Fl -${o#--}" "$man/secsock.1" >/dev/null || missing="$missing $c:$o"
		done
	done
	if [ -z "$missing" ]; then
		ok "every option of secsock client/server/cred --help is in secsock(1)"
	else
		bad "options of the command missing from secsock(1):$missing"
	fi
else
	bad "the secsock command is not built ($bin/cli/secsock)"
fi

if command -v groff >/dev/null 2>&1; then
	for p in "$man"/*.[1-9]; do
		w=$(groff -mandoc -ww -z -Tutf8 "$p" 2>&1)
		if [ -n "$w" ]; then
			bad "$(basename "$p") renders with warnings: $w"
		else
			ok "$(basename "$p") renders without warnings"
		fi
	done
else
	echo "SKIP: groff not installed (Debian package groff-base; tools/deps.sh installs it)"
	exit 77
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
