#!/usr/bin/env bash
# libsecsock-posix as an installed package: cmake --install into a temporary
# prefix, then the seed example (tests/posix/seed_client.c)
#   - built with `pkg-config secsock-posix` (shared), and `--static` against
#     libsecsock-posix.a, and with CMake find_package(secsock COMPONENTS posix)
#   - built without secsock and run with LD_PRELOAD of the installed .so
# each against openssl s_server TLS 1.3. Prints "N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=../lib/install_tree.sh
. "$(dirname "$0")/../lib/install_tree.sh"
if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: openssl not installed (Debian package openssl; tools/deps.sh installs it)"
	exit 77
fi
certs=$src/tests/lib/certs
seed=$src/tests/posix/seed_client.c
srv_pid=
# shellcheck disable=SC2317 # called by the EXIT trap of install_tree.sh
it_cleanup_extra() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	exec 3>&- 2>/dev/null
}
it_install || finish
ppc() {
	pkg-config --define-variable=prefix="$prefix" "$@" secsock-posix
}

for f in "$libdir/libsecsock-posix.so" "$libdir/libsecsock-posix.a" \
	"$libdir/pkgconfig/secsock-posix.pc" "$prefix/include/secsock/posix.h"; do
	if [ -e "$f" ]; then
		pass "installed ${f#"$prefix"/}"
	else
		fail "installed ${f#"$prefix"/}" "missing"
	fi
done

mkdir -p "$tmp/b"
# shellcheck disable=SC2046
if $cc -DSEED_USE_API -Wall -Wextra -Werror $(ppc --cflags) "$seed" -o "$tmp/b/pc" $(ppc --libs) \
	>"$log" 2>&1; then
	pass "build with pkg-config secsock-posix"
else
	fail "build with pkg-config secsock-posix" "failed" "$log"
fi
# shellcheck disable=SC2046
if $cc -DSEED_USE_API -Wall -Wextra -Werror $(ppc --cflags) "$seed" -o "$tmp/b/static" \
	-Wl,-Bstatic -lsecsock-posix -Wl,-Bdynamic -L"$libdir" $(ppc --static --libs-only-l | sed 's/-lsecsock-posix//') \
	>"$log" 2>&1 && ! ldd "$tmp/b/static" | grep -q secsock; then
	pass "build with libsecsock-posix.a (pkg-config --static secsock-posix)"
else
	fail "build with libsecsock-posix.a" "failed" "$log"
fi
if cmake -S "$src/tests/posix/consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" \
	-DSEED_SOURCE="$seed" >"$log" 2>&1 && cmake --build "$tmp/cm" >>"$log" 2>&1; then
	cp "$tmp/cm/seed_client" "$tmp/b/cmake"
	pass "build with CMake find_package(secsock COMPONENTS posix)"
else
	fail "build with CMake" "failed" "$log"
fi
if $cc -Wall -Wextra -Werror -I"$prefix/include" "$seed" -o "$tmp/b/plain" >"$log" 2>&1; then
	pass "build without secsock (only <secsock/posix.h>)"
else
	fail "build without secsock" "failed" "$log"
fi

for b in pc static cmake plain; do
	[ -x "$tmp/b/$b" ] || continue
	name="installed: seed ($b) -> openssl s_server TLS 1.3"
	out=$tmp/$b.out
	srv_out=$tmp/$b.s_server
	timeout 60 openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_3 -rev \
		-cert "$certs/server.pem" -key "$certs/server.key" </dev/null >"$srv_out" 2>&1 &
	srv_pid=$!
	port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$srv_out")
		[ -n "$port" ] && break
		sleep 0.1
	done
	if [ "$b" = plain ]; then
		LD_PRELOAD=$libdir/libsecsock-posix.so timeout 30 "$tmp/b/$b" "$certs/ca.pem" "$port" tls >"$out" 2>&1
	else
		LD_LIBRARY_PATH=$libdir timeout 30 "$tmp/b/$b" "$certs/ca.pem" "$port" tls >"$out" 2>&1
	fi
	rc=$?
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
	if [ "$rc" = 0 ]; then
		how=""
		[ "$b" = plain ] && how=" under LD_PRELOAD"
		pass "$name$how: $(cat "$out")"
	else
		fail "$name" "exit status $rc" "$out"
	fi
done
finish
