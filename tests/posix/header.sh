#!/usr/bin/env bash
# <secsock/posix.h> compiles next to the C library's and the kernel's socket
# headers (<sys/socket.h>, <netinet/in.h>, <linux/tls.h> when present) in C99,
# C11, gnu11 and C++17 with -Wall -Wextra -Werror -pedantic, in either order,
# with the values secsock uses; and after Zephyr's headers it adds only what
# they lack. Prints "N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cc=${CC:-cc}
cxx=${CXX:-c++}
inc=$src/include
ktls=""
if printf '#include <linux/tls.h>\n' | $cc -x c -fsyntax-only - >/dev/null 2>&1; then
	ktls="#include <linux/tls.h>"
fi

body='
int check(void);
int check(void)
{
	struct secsock_tls_credential c = {1, TLS_CREDENTIAL_CA_CERTIFICATE};
	int ok = IPPROTO_TLS_1_2 == 258 && IPPROTO_TLS_1_3 == 259 && IPPROTO_DTLS_1_2 == 273 &&
		 SOL_TLS == 282 && TLS_SEC_TAG_LIST == 1 && TLS_HOSTNAME == 2 &&
		 TLS_PEER_VERIFY == 5 && TLS_PEER_VERIFY_REQUIRED == 2 &&
		 TLS_CERT_VERIFY_RESULT == 19 && TLS_CREDENTIAL_PRIVATE_KEY == 3 &&
		 TLS_CREDENTIAL_PSK_ID == 5 && SECSOCK_TLS_CREDENTIAL_ADD == 0x5EC10 &&
		 SECSOCK_TLS_CREDENTIAL_DELETE == 0x5EC11 && SECSOCK_TLS_ASYNC_HANDSHAKE == 0x5EC01 &&
		 sizeof(c) == 2 * sizeof(int);
	return ok ? c.tag : -1;
}'
for order in before after; do
	if [ "$order" = before ]; then
		printf '#include <secsock/posix.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n%s\n%s\n' "$ktls" "$body" >"$tmp/h-$order.c"
	else
		printf '#include <sys/socket.h>\n#include <netinet/in.h>\n%s\n#include <secsock/posix.h>\n%s\n' "$ktls" "$body" >"$tmp/h-$order.c"
	fi
	for mode in c:c99 c:c11 c:gnu11 c++:c++17; do
		lang=${mode%%:*}
		std=${mode#*:}
		comp=$cc
		[ "$lang" = c++ ] && comp=$cxx
		if ! command -v "$comp" >/dev/null 2>&1; then
			echo "SKIP: $comp not installed"
			continue
		fi
		if $comp -x "$lang" -std="$std" -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pedantic -I"$inc" \
			-c "$tmp/h-$order.c" -o "$tmp/h.o" >"$tmp/log" 2>&1; then
			pass "posix.h $order the system headers${ktls:+ and <linux/tls.h>}, $std"
		else
			fail "posix.h $order, $std" "does not compile" "$tmp/log"
		fi
	done
done
# the values at run time
printf '#include <sys/socket.h>\n#include <netinet/in.h>\n%s\n#include <secsock/posix.h>\n%s\nint main(void) { return check() == 1 ? 0 : 1; }\n' "$ktls" "$body" >"$tmp/run.c"
if $cc -Wall -Werror -I"$inc" "$tmp/run.c" -o "$tmp/run" >"$tmp/log" 2>&1 && "$tmp/run"; then
	pass "posix.h values (IPPROTO_TLS_1_2 258, SOL_TLS 282, SECSOCK_TLS_CREDENTIAL_ADD 0x5EC10, ...)"
else
	fail "posix.h values" "wrong value or no build" "$tmp/log"
fi
# after Zephyr's headers (a Zephyr-style program that also includes it)
printf '#include <zephyr/net/socket.h>\n#include <zephyr/net/tls_credentials.h>\n#include <secsock/secsock.h>\n#include <secsock/posix.h>\n%s\n' "$body" >"$tmp/z.c"
if $cc -std=c11 -Wall -Wextra -Werror -I"$inc" -c "$tmp/z.c" -o "$tmp/z.o" >"$tmp/log" 2>&1; then
	pass "posix.h after <zephyr/net/socket.h>, <tls_credentials.h>, <secsock/secsock.h>"
else
	fail "posix.h after Zephyr's headers" "does not compile" "$tmp/log"
fi
finish
