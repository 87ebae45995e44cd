#!/usr/bin/env bash
# Builds Mbed TLS 3.6 LTS with secsock's config/mbedtls_config.h and installs it
# (static libraries, headers, CMake package, and the ssl_client2, ssl_server2,
# dtls_client, dtls_server and udp_proxy programs) under a private prefix.
#
# The source is Debian's source package `mbedtls` 3.6.x, fetched once with
# `apt-get source` under a private apt configuration (own sources list, state
# and cache directories): the machine's apt sources are never changed. The
# tarball is cached, and so is the build (keyed by version and config hash).
#
# usage: tools/mbedtls.sh [DEPS_DIR]    prints the install prefix on stdout
# env:   SECSOCK_MBEDTLS_SUITE (default trixie), SECSOCK_DEPS_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-${SECSOCK_DEPS_DIR:-$HOME/.cache/secsock}}
suite=${SECSOCK_MBEDTLS_SUITE:-trixie}
mirror=${SECSOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
config="$here/config/mbedtls_config.h"
jobs=$(nproc 2>/dev/null || echo 2)

log() { echo "mbedtls.sh: $*" >&2; }

mkdir -p "$deps/src"
deps=$(cd "$deps" && pwd)
# one builder at a time (parallel configures share the cache)
exec 9>"$deps/.lock"
flock 9

find_tarball() {
	# newest cached 3.6.x upstream tarball
	local f
	for f in "$deps"/src/mbedtls_3.6.*.orig.tar.*; do
		if [ -f "$f" ]; then echo "$f"; fi
	done | sort -V | tail -n 1
}

fetch_source() {
	local apt="$deps/apt"
	mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
		"$apt/state/lists/partial" "$apt/cache/archives/partial"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "deb-src [signed-by=$keyring] $mirror $suite main" >"$apt/etc/sources.list"
	local opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list"
		-o "Dir::Etc::sourceparts=$apt/etc/sources.list.d"
		-o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
		-o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
		-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
	log "fetching Debian source package mbedtls from $suite (private apt config in $apt)"
	apt-get "${opts[@]}" -qq update >&2
	local ver
	ver=$(apt-cache "${opts[@]}" showsrc mbedtls 2>/dev/null |
		awk '/^Version:/ {print $2}' | grep -E '^3\.6\.' | sort -V | tail -n 1)
	if [ -z "$ver" ]; then
		log "no mbedtls 3.6.x source package in $suite"
		exit 1
	fi
	(cd "$deps/src" && apt-get "${opts[@]}" -qq source --download-only "mbedtls=$ver" >&2)
}

tarball=$(find_tarball)
if [ -z "$tarball" ]; then
	fetch_source
	tarball=$(find_tarball)
fi
[ -n "$tarball" ] || { log "no Mbed TLS 3.6 source tarball"; exit 1; }

version=$(basename "$tarball" | sed -E 's/^mbedtls_([0-9.]+)\.orig.*/\1/')
hash=$(cat "$config" "$0" | sha256sum | cut -c1-12)
prefix="$deps/mbedtls-$version-$hash"

if [ -f "$prefix/.complete" ]; then
	echo "$prefix"
	exit 0
fi

log "building Mbed TLS $version with config/mbedtls_config.h into $prefix"
work="$deps/build-$version-$hash"
rm -rf "$work" "$prefix"
mkdir -p "$work"
tar -xf "$tarball" -C "$work"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cp "$config" "$srcdir/include/mbedtls/mbedtls_config.h"

cmake -S "$srcdir" -B "$work/build" -G "Unix Makefiles" \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCMAKE_POSITION_INDEPENDENT_CODE=ON \
	-DUSE_STATIC_MBEDTLS_LIBRARY=ON \
	-DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
	-DENABLE_TESTING=OFF \
	-DENABLE_PROGRAMS=ON \
	-DMBEDTLS_FATAL_WARNINGS=OFF \
	-DGEN_FILES=OFF >"$work/configure.log" 2>&1 ||
	{ tail -n 40 "$work/configure.log" >&2; exit 1; }

targets=(mbedtls mbedx509 mbedcrypto ssl_client2 ssl_server2 dtls_client dtls_server udp_proxy)
cmake --build "$work/build" -j "$jobs" --target "${targets[@]}" >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log" >&2; exit 1; }

# install headers, libraries and the CMake package without building the
# programs we do not need
mkdir -p "$prefix/bin"
cmake --install "$work/build/include" >/dev/null
cmake --install "$work/build/library" >/dev/null
cmake --install "$work/build/cmake" >/dev/null 2>&1 || true
if [ ! -f "$prefix/lib/cmake/MbedTLS/MbedTLSConfig.cmake" ]; then
	# the top-level install rules hold the CMake package files
	cmake -DCMAKE_INSTALL_COMPONENT=Unspecified -P "$work/build/cmake_install.cmake" \
		>/dev/null 2>&1 || true
fi
for p in ssl/ssl_client2 ssl/ssl_server2 ssl/dtls_client ssl/dtls_server test/udp_proxy; do
	install -m 0755 "$work/build/programs/$p" "$prefix/bin/"
done
echo "$version" >"$prefix/VERSION"
touch "$prefix/.complete"
rm -rf "$work"
echo "$prefix"
