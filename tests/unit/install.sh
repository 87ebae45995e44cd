#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and uses it the way a consumer does:
# pkg-config against the shared library, pkg-config --static against libsecsock.a,
# find_package(secsock) from a CMake project, bin/secsock and the manual pages, the exported
# symbol set (nm -D) against
# the committed tests/unit/exports.txt, and the installed headers on their own
# (C11 strict, GNU C, C++). Prints "N passed, N failed"; exits non-zero on any failure.
#
# Environment (set by CTest): SECSOCK_SOURCE_DIR, SECSOCK_BINARY_DIR,
# SECSOCK_CRYPTO_ACCEL (openssl: libcrypto is a dependency, and the Mbed TLS
# config has the adapter's lines appended; docs/crypto-accel.md).
set -u

# shellcheck source-path=SCRIPTDIR source=../lib/install_tree.sh
. "$(dirname "$0")/../lib/install_tree.sh"

# ---- install ----
it_install || finish

# ---- installed files ----
missing=""
for f in include/zephyr/net/socket.h include/zephyr/net/net_ip.h \
	include/zephyr/net/tls_credentials.h include/zephyr/net/net_compat.h \
	include/zephyr/net/socket_types.h include/zephyr/net/socket_poll.h \
	include/zephyr/net/socket_select.h include/zephyr/net/dns_resolve.h \
	include/zephyr/sys/fdtable.h include/secsock/secsock.h; do
	[ -f "$prefix/$f" ] || missing="$missing $f"
done
for f in libsecsock.a pkgconfig/secsock.pc cmake/secsock/secsockConfig.cmake \
	cmake/secsock/secsockConfigVersion.cmake cmake/secsock/secsockTargets.cmake; do
	[ -f "$libdir/$f" ] || missing="$missing ${libdir#"$prefix"/}/$f"
done
soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ -z "$soname" ] || [ ! -e "$libdir/$soname" ]; then
	missing="$missing SONAME-link(${soname:-none})"
fi
# (no "| grep -q" under pipefail: grep leaving early can SIGPIPE the writer)
if readelf -d "$so" 2>/dev/null | grep -E 'R(UN)?PATH' | grep -F "$bin" >/dev/null; then
	missing="$missing (libsecsock.so keeps an RPATH into the build tree)"
fi
# the command and the manual pages (a .so page for each other name a page documents)
for f in bin/secsock share/man/man1/secsock.1 share/man/man3/secsock.3 \
	share/man/man3/zsock_setsockopt.3 share/man/man3/tls_credential_get.3 \
	share/man/man3/secsock_cred_store_dir.3; do
	[ -f "$prefix/$f" ] || missing="$missing $f"
done
if [ -x "$prefix/bin/secsock" ] && ! "$prefix/bin/secsock" --version >"$log" 2>&1; then
	missing="$missing (bin/secsock --version fails)"
fi
if [ -n "$missing" ]; then
	fail files "not installed:$missing"
else
	pass "files (SONAME $soname)"
fi
# nothing private; Mbed TLS only in secsock's own directory (the opt-in component)
extra=$(cd "$prefix/include" && find . -type f ! -path './zephyr/net/*.h' ! -path './zephyr/sys/*.h' \
	! -path './secsock/*.h' ! -path './secsock/mbedtls/mbedtls/*.h' ! -path './secsock/mbedtls/psa/*.h')
if [ -n "$extra" ] || [ -d "$prefix/include/mbedtls" ] || [ -d "$prefix/include/psa" ]; then
	fail files-private "unexpected files under include/: $extra"
else
	pass files-private
fi

# ---- pkg-config ----
pcprefix=$(pkg-config --variable=prefix secsock 2>"$log")
if [ "$pcprefix" = "$prefix" ] || [ "$(cd "$pcprefix" 2>/dev/null && pwd -P)" = "$(cd "$prefix" && pwd -P)" ]; then
	pass "pkg-config prefix"
else
	fail "pkg-config prefix" "secsock.pc says prefix=${pcprefix:-?} but the package was installed \
with --prefix $prefix: the .pc is not relocatable (use prefix=\${pcfiledir}/<relative path>)" "$log"
fi
# The remaining checks use the real install location even when the .pc is not relocatable
# (pc, mbedpc in tests/lib/install_tree.sh).

cat >"$tmp/consumer.c" <<'EOF'
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>
#include <secsock/secsock.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "check failed: %s (errno %d %s)\n", #c, errno,             \
				strerror(errno));                                                  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	static const unsigned char psk[] = {1, 2, 3, 4, 5, 6, 7, 8};
	unsigned char out[64];
	size_t len = sizeof(out);
	int proto = 0;
	socklen_t plen = sizeof(proto);

	CHECK(tls_credential_add(42, TLS_CREDENTIAL_PSK, psk, sizeof(psk)) == 0);
	CHECK(tls_credential_get(42, TLS_CREDENTIAL_PSK, out, &len) == 0);
	CHECK(len == sizeof(psk) && memcmp(out, psk, len) == 0);

	int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);

	CHECK(fd >= 0);
	CHECK(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) == 0);
	CHECK(proto == 258);
	CHECK(zsock_close(fd) == 0);
	CHECK(tls_credential_delete(42, TLS_CREDENTIAL_PSK) == 0);
	printf("%s\n", secsock_version());
	return 0;
}
EOF

# run_app NAME BINARY [env...]: runs it, expects "secsock " on stdout
run_app() {
	local name=$1 app=$2
	shift 2
	if ! env "$@" "$app" >"$log" 2>&1; then
		fail "$name" "$app failed" "$log"
		return 1
	fi
	if ! grep -q '^secsock ' "$log"; then
		fail "$name" "no version line" "$log"
		return 1
	fi
	pass "$name: $(head -n 1 "$log")"
}

# (a) shared library through pkg-config
# shellcheck disable=SC2046 # pkg-config output is meant to be split
if $cc -Wall -Wextra -Werror $(pc --cflags) "$tmp/consumer.c" -o "$tmp/app_shared" \
	$(pc --libs) >"$log" 2>&1; then
	if run_app "pkg-config shared" "$tmp/app_shared" LD_LIBRARY_PATH="$libdir"; then
		if ! LD_LIBRARY_PATH=$libdir ldd "$tmp/app_shared" | grep "libsecsock.so.* => $libdir/" >/dev/null; then
			LD_LIBRARY_PATH=$libdir ldd "$tmp/app_shared" >"$log" 2>&1
			fail "pkg-config shared ldd" "app_shared does not load $libdir/libsecsock.so" "$log"
		fi
	fi
else
	fail "pkg-config shared" "compile/link failed: $cc \$(pkg-config --cflags --libs secsock)" "$log"
fi

# (b) static library through pkg-config --static: libsecsock.a carries Mbed TLS inside
static_libs=$(pc --static --libs | sed "s#-lsecsock\\b#$libdir/libsecsock.a#")
# shellcheck disable=SC2046,SC2086
if $cc -Wall -Wextra -Werror $(pc --cflags) "$tmp/consumer.c" -o "$tmp/app_static" \
	$static_libs -static-libgcc >"$log" 2>&1; then
	if ldd "$tmp/app_static" 2>&1 | grep -Eq 'libsecsock|libmbed'; then
		ldd "$tmp/app_static" >"$log" 2>&1
		fail "pkg-config static" "app_static still needs a shared secsock/Mbed TLS" "$log"
	else
		run_app "pkg-config static" "$tmp/app_static" LD_LIBRARY_PATH=
	fi
else
	fail "pkg-config static" "link failed: $cc ... $static_libs -static-libgcc" "$log"
fi

# (c) CMake package: find_package(secsock <header version> EXACT) + secsock::secsock
hdr=$prefix/include/secsock/secsock.h
want=$(for k in MAJOR MINOR PATCH; do
	sed -n "s/^#define SECSOCK_VERSION_${k}[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" "$hdr"
done | paste -sd. -)
mkdir -p "$tmp/consumer"
cp "$tmp/consumer.c" "$tmp/consumer/main.c"
cat >"$tmp/consumer/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(consumer LANGUAGES C)
find_package(secsock $want EXACT REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE secsock::secsock)
EOF
if cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 &&
	cmake --build "$tmp/consumer/build" >>"$log" 2>&1; then
	run_app "cmake find_package($want)" "$tmp/consumer/build/app"
else
	fail "cmake find_package" "configure/build of a find_package(secsock $want) project failed" \
		"$log"
fi

# (d) exported symbols: only the public prefixes, and exactly the committed list
exports=$src/tests/unit/exports.txt
nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u >"$tmp/exports"
bad=$(grep -Ev '^(zsock_|tls_credential_|secsock_|net_)' "$tmp/exports" | head -n 20 | tr '\n' ' ')
if [ -n "$bad" ]; then
	fail "exports prefixes" "libsecsock.so exports non-public symbols: $bad"
else
	pass "exports prefixes ($(wc -l <"$tmp/exports") symbols)"
fi
if [ ! -f "$exports" ]; then
	fail "exports list" "$exports is missing"
elif ! diff -u "$exports" "$tmp/exports" >"$log"; then
	fail "exports list" "exported set differs from tests/unit/exports.txt (- listed, + exported)" \
		"$log"
else
	pass "exports list"
fi
# every function the installed headers declare is exported
sed -n 's/^SECSOCK_API.*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$prefix"/include/zephyr/net/*.h \
	"$prefix"/include/zephyr/sys/*.h "$prefix"/include/secsock/*.h | sort -u >"$tmp/declared"
notexp=$(comm -23 "$tmp/declared" "$tmp/exports" | tr '\n' ' ')
if [ ! -s "$tmp/declared" ]; then
	fail "exports declared" "found no SECSOCK_API declarations in the installed headers"
elif [ -n "$notexp" ]; then
	fail "exports declared" "declared in a public header but not exported: $notexp"
else
	pass "exports declared ($(wc -l <"$tmp/declared") functions)"
fi
# the static archive defines the same API, and the shared one needs nothing but libc
nm --defined-only "$libdir/libsecsock.a" 2>/dev/null | awk '$2 ~ /^[TWDBR]$/ { print $3 }' |
	sort -u >"$tmp/static_syms"
notstatic=$(comm -23 "$tmp/exports" "$tmp/static_syms" | tr '\n' ' ')
deps=$(ldd "$so" 2>&1 | grep -Ev 'linux-vdso|ld-linux|libc\.so|libpthread\.so|libm\.so|libdl\.so')
if [ "${SECSOCK_CRYPTO_ACCEL:-}" = openssl ]; then
	deps=$(grep -v 'libcrypto\.so' <<<"$deps" || true)
fi
if [ -n "$notstatic" ]; then
	fail "static archive" "libsecsock.a lacks: $notstatic"
elif [ -n "$deps" ]; then
	fail "shared deps" "libsecsock.so needs more than libc: $deps"
else
	pass "static archive and shared deps"
fi

# (e) the installed headers on their own: strict C11, GNU C, C++; no Mbed TLS reachable
hdrs="zephyr/net/socket.h zephyr/net/net_ip.h zephyr/net/tls_credentials.h secsock/secsock.h
	zephyr/net/net_compat.h zephyr/net/socket_types.h zephyr/net/socket_poll.h
	zephyr/net/socket_select.h zephyr/net/dns_resolve.h zephyr/sys/fdtable.h"
warn="-Wall -Wextra -Wpedantic -Wshadow -Wundef -Werror"
hdr_fail=""
for h in $hdrs all; do
	if [ "$h" = all ]; then
		body=$(for x in $hdrs; do echo "#include <$x>"; done)
	else
		body="#include <$h>"
	fi
	printf '%s\nint secsock_header_check;\n' "$body" >"$tmp/h.c"
	for mode in "c -std=c11" "c -std=gnu11" "c -std=c99 -D_POSIX_C_SOURCE=200809L" \
		"c++ -std=c++11" "c++ -std=gnu++17"; do
		lang=${mode%% *}
		std=${mode#* }
		comp=$cc
		extra_warn=-Wstrict-prototypes
		if [ "$lang" = c++ ]; then
			comp=$cxx
			extra_warn=
		fi
		# shellcheck disable=SC2086
		if ! $comp -x "$lang" $std $warn $extra_warn -I"$prefix/include" -fsyntax-only \
			"$tmp/h.c" >"$log" 2>&1; then
			hdr_fail="$hdr_fail [$h $std]"
			cp "$log" "$tmp/hdr_log"
		elif $comp -x "$lang" $std -I"$prefix/include" -H -fsyntax-only "$tmp/h.c" 2>&1 |
			grep -Eq '/(mbedtls|psa)/'; then
			hdr_fail="$hdr_fail [$h $std: includes Mbed TLS]"
		fi
	done
done
if [ -n "$hdr_fail" ]; then
	fail headers "public headers do not compile on their own in:$hdr_fail" "$tmp/hdr_log"
else
	pass "headers (C11, GNU C, C99+POSIX, C++11, GNU C++17; standalone and together)"
fi

# (f) the compile matrix of tests/compile against the installed headers
if bash "$src/tests/compile/check_headers.sh" "$prefix/include" >"$log" 2>&1; then
	pass "compile matrix on the installed headers ($(tail -n 1 "$log"))"
else
	fail "compile matrix" "tests/compile/check_headers.sh $prefix/include failed" "$log"
fi


# (g) the opt-in Mbed TLS component: tests/unit/verify_cb.c, whose
# TLS_CERT_VERIFY_CALLBACK reads the certificate subjects with
# mbedtls_x509_dn_gets, built through pkg-config (secsock-mbedtls) and CMake
# (secsock::mbedtls); the headers are the engine's exact configuration and
# never shadow another Mbed TLS.
certs=$src/tests/lib/certs
if [ ! -f "$libdir/pkgconfig/secsock-mbedtls.pc" ]; then
	fail "mbedtls component" "no secsock-mbedtls.pc (secsock built on a system Mbed TLS?)"
	finish
fi
# shellcheck disable=SC2046 # pkg-config output is meant to be split
if $cc -Wall -Wextra -Werror $(mbedpc --cflags) "$src/tests/unit/verify_cb.c" \
	-o "$tmp/verify_pc" $(mbedpc --libs) >"$log" 2>&1; then
	if LD_LIBRARY_PATH=$libdir "$tmp/verify_pc" "$certs" >"$log" 2>&1; then
		pass "mbedtls component, pkg-config: $(grep '^subject' "$log"); $(grep '^issuer' "$log")"
	else
		fail "mbedtls component, pkg-config" "the verify callback did not read the subjects" "$log"
	fi
else
	fail "mbedtls component, pkg-config" "compile/link with secsock-mbedtls failed" "$log"
fi
mkdir -p "$tmp/verify"
cp "$src/tests/unit/verify_cb.c" "$tmp/verify/main.c"
printf '%s\n' 'cmake_minimum_required(VERSION 3.20)' 'project(verify LANGUAGES C)' \
	'find_package(secsock REQUIRED COMPONENTS mbedtls)' 'add_executable(verify main.c)' \
	'target_link_libraries(verify PRIVATE secsock::mbedtls)' >"$tmp/verify/CMakeLists.txt"
if cmake -S "$tmp/verify" -B "$tmp/verify/build" -DCMAKE_PREFIX_PATH="$prefix" >"$log" 2>&1 &&
	cmake --build "$tmp/verify/build" >>"$log" 2>&1 &&
	LD_LIBRARY_PATH=$libdir "$tmp/verify/build/verify" "$certs" >>"$log" 2>&1; then
	pass "mbedtls component, find_package(secsock COMPONENTS mbedtls)"
else
	fail "mbedtls component, cmake" "configure/build/run of a secsock::mbedtls project failed" "$log"
fi
installed_cfg="$prefix/include/secsock/mbedtls/mbedtls/mbedtls_config.h"
cfg="$src/config/mbedtls_config.h"
cfg_ok=0
if [ "${SECSOCK_CRYPTO_ACCEL:-}" = openssl ]; then
	# config/mbedtls_config.h, then the adapter's lines (tools/mbedtls.sh)
	n=$(stat -c %s "$cfg")
	cmp -s -n "$n" "$installed_cfg" "$cfg" &&
		tail -c +"$((n + 1))" "$installed_cfg" | grep -q '^#define MBEDTLS_GCM_ALT' && cfg_ok=1
else
	cmp -s "$installed_cfg" "$cfg" && cfg_ok=1
fi
if [ "$cfg_ok" = 1 ]; then
	pass "mbedtls component: its mbedtls_config.h is config/mbedtls_config.h"
else
	fail "mbedtls component" "installed mbedtls_config.h differs from config/mbedtls_config.h"
fi
# Never shadowing: an Mbed TLS 2.28 searched after the compiler's own directories (as
# /usr/include is) stays the one found with secsock's flags alone, and secsock-mbedtls
# gives the 3.6 headers of the engine.
mkdir -p "$tmp/sys/mbedtls"
printf '#define MBEDTLS_VERSION_NUMBER 0x021C0300\n' >"$tmp/sys/mbedtls/build_info.h"
printf '#include <mbedtls/build_info.h>\n#if MBEDTLS_VERSION_NUMBER != 0x021C0300\n#error not 2.28\n#endif\n' \
	>"$tmp/v228.c"
printf '#include <mbedtls/build_info.h>\n#if MBEDTLS_VERSION_NUMBER >> 16 != 0x0306\n#error not 3.6\n#endif\n' \
	>"$tmp/v36.c"
# shellcheck disable=SC2046
if ! $cc $(pc --cflags) -idirafter "$tmp/sys" -fsyntax-only "$tmp/v228.c" >"$log" 2>&1; then
	fail "mbedtls component shadowing" "secsock's own flags reach another Mbed TLS than the system's" "$log"
elif ! $cc $(mbedpc --cflags) -idirafter "$tmp/sys" -fsyntax-only "$tmp/v36.c" >"$log" 2>&1; then
	fail "mbedtls component shadowing" "secsock-mbedtls does not give the engine's 3.6 headers" "$log"
else
	pass "mbedtls component: never shadows another Mbed TLS, gives 3.6 when asked"
fi
finish
