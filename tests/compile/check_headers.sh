#!/usr/bin/env bash
# Compile matrix of the public headers (issue 10): every public header on its
# own, and tests/compile/all_names.c (every Zephyr name secsock provides), in
# C99, C11, gnu11 and C++17 with -Wall -Wextra -Werror (plus -pedantic where
# the language allows it). Then the headers that name a Zephyr facility a host
# does not have must stop the build with a "secsock:" message.
#
# usage: check_headers.sh [INCLUDE_DIR]   (default: the source tree's include/)
# Prints "N passed, N failed"; exits non-zero on any failure.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
inc=${1:-$here/../../include}
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secsock-headers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# headers that must compile on their own
headers="zephyr/net/socket.h zephyr/net/net_ip.h zephyr/net/net_compat.h
	zephyr/net/socket_types.h zephyr/net/socket_poll.h zephyr/net/socket_select.h
	zephyr/net/tls_credentials.h zephyr/net/dns_resolve.h zephyr/sys/fdtable.h
	secsock/secsock.h secsock/posix.h"
# headers that must refuse with a reason
refused="zephyr/net/net_if.h zephyr/net/net_mgmt.h zephyr/net/socket_offload.h
	zephyr/net/socket_net_mgmt.h"

for h in $headers $refused; do
	if [ ! -f "$inc/$h" ]; then
		echo "[ FAIL ] $h: missing under $inc"
		failed=$((failed + 1))
	fi
done

# compile LANG STD EXTRA-FLAGS FILE: -fsyntax-only, output in $tmp/log
compile() {
	local lang=$1 std=$2 extra=$3 file=$4 comp=$cc
	[ "$lang" = c++ ] && comp=$cxx
	# shellcheck disable=SC2086
	$comp -x "$lang" -std="$std" -Wall -Wextra -Werror $extra -I"$inc" -fsyntax-only "$file" \
		>"$tmp/log" 2>&1
}

modes="c:c99:-pedantic c:c11:-pedantic c:gnu11:-pedantic c++:c++17:-pedantic"
for mode in $modes; do
	lang=${mode%%:*}
	rest=${mode#*:}
	std=${rest%%:*}
	extra=${rest#*:}
	[ "$lang" = c ] && extra="$extra -Wstrict-prototypes -Wmissing-prototypes"
	bad=""
	for h in $headers; do
		printf '#include <%s>\nint secsock_header_check(void);\n' "$h" >"$tmp/one.c"
		if ! compile "$lang" "$std" "$extra" "$tmp/one.c"; then
			bad="$bad $h"
			cp "$tmp/log" "$tmp/bad.log"
		fi
	done
	if [ -n "$bad" ]; then
		echo "[ FAIL ] headers alone, $std:$bad"
		sed -e 's/^/    | /' "$tmp/bad.log" | head -n 30
		failed=$((failed + 1))
	else
		echo "[  OK  ] headers alone, $std ($(echo $headers | wc -w) headers)"
		passed=$((passed + 1))
	fi
	if compile "$lang" "$std" "$extra" "$here/all_names.c"; then
		echo "[  OK  ] all_names.c, $std"
		passed=$((passed + 1))
	else
		echo "[ FAIL ] all_names.c, $std"
		sed -e 's/^/    | /' "$tmp/log" | head -n 40
		failed=$((failed + 1))
	fi
done

# code written for Zephyr's POSIX API (POSIX names, IPPROTO_TLS_1_2): no warning.
# The C library declares getaddrinfo() only with a POSIX feature-test macro.
bad=""
for mode in "c:gnu11:" "c:c11:-D_POSIX_C_SOURCE=200809L -pedantic" "c++:c++17:-pedantic"; do
	lang=${mode%%:*}
	rest=${mode#*:}
	std=${rest%%:*}
	extra=${rest#*:}
	if ! compile "$lang" "$std" "$extra -Wshadow" "$here/posix_style.c"; then
		bad="$bad $std"
		cp "$tmp/log" "$tmp/bad.log"
	fi
done
if [ -n "$bad" ]; then
	echo "[ FAIL ] posix_style.c:$bad"
	sed -e 's/^/    | /' "$tmp/bad.log" | head -n 30
	failed=$((failed + 1))
else
	echo "[  OK  ] posix_style.c (gnu11, c11 + _POSIX_C_SOURCE, c++17)"
	passed=$((passed + 1))
fi

# Kernel headers an application may include next to ours, before or after: the
# public headers must not include a C library header that conflicts with them
# (<netinet/tcp.h>, <net/if.h>, <netpacket/packet.h>, <fcntl.h>).
bad=""
for k in linux/tcp.h linux/if.h linux/if_packet.h linux/un.h linux/net_tstamp.h; do
	printf '#include <%s>\n#include <zephyr/net/socket.h>\nint secsock_kernel_first;\n' "$k" \
		>"$tmp/k1.c"
	printf '#include <zephyr/net/socket.h>\n#include <%s>\nint secsock_kernel_after;\n' "$k" \
		>"$tmp/k2.c"
	for f in k1 k2; do
		if ! compile c gnu11 "" "$tmp/$f.c"; then
			bad="$bad $k($f)"
			cp "$tmp/log" "$tmp/bad.log"
		fi
	done
done
if [ -n "$bad" ]; then
	echo "[ FAIL ] next to kernel headers:$bad"
	sed -e 's/^/    | /' "$tmp/bad.log" | head -n 20
	failed=$((failed + 1))
else
	echo "[  OK  ] next to <linux/tcp.h>, <linux/if.h>, <linux/if_packet.h>, <linux/un.h>, <linux/net_tstamp.h>"
	passed=$((passed + 1))
fi

# facilities a host does not have: a clear error, not a missing file
for h in $refused; do
	printf '#include <%s>\n' "$h" >"$tmp/refused.c"
	if compile c c11 "" "$tmp/refused.c"; then
		echo "[ FAIL ] $h compiled; it must stop with a reason"
		failed=$((failed + 1))
	elif ! grep -q 'error: #error "secsock: ' "$tmp/log"; then
		echo "[ FAIL ] $h: no secsock #error message"
		sed -e 's/^/    | /' "$tmp/log" | head -n 10
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
# Zephyr's own resolver: calling it names zsock_getaddrinfo()
cat >"$tmp/resolver.c" <<'EOF'
#include <zephyr/net/dns_resolve.h>
int use(void);
int use(void) { return dns_get_addr_info("example.com", DNS_QUERY_TYPE_A, 0, 0, 0, 1000); }
EOF
if $cc -std=c11 -I"$inc" -c "$tmp/resolver.c" -o "$tmp/resolver.o" >"$tmp/log" 2>&1; then
	echo "[ FAIL ] dns_get_addr_info() compiled; it must name zsock_getaddrinfo()"
	failed=$((failed + 1))
elif ! grep -q 'zsock_getaddrinfo' "$tmp/log"; then
	echo "[ FAIL ] dns_get_addr_info(): the error does not name zsock_getaddrinfo()"
	sed -e 's/^/    | /' "$tmp/log" | head -n 10
	failed=$((failed + 1))
else
	echo "[  OK  ] refused facilities stop with a reason ($(echo $refused | wc -w) headers, the resolver)"
	passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
