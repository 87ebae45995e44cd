#!/usr/bin/env bash
# Builds Mbed TLS 3.6 LTS with secsock's config/mbedtls_config.h and installs it
# (static libraries, headers, CMake package, and the ssl_client2, ssl_server2,
# dtls_client, dtls_server and udp_proxy programs) under a private prefix.
#
# The source is Debian's source package `mbedtls`: the newest 3.6.x that any
# of the suites below carries (today unstable's 3.6.7-3; trixie's 3.6.6 only
# as a fallback). It is fetched with `apt-get source` under a private apt
# configuration (own sources list, state and cache directories), so the
# machine's apt sources are never changed. apt checks the suites' Release
# signatures against debian-archive-keyring and every file's SHA-256 against
# the signed index, as it does for any `apt-get source`; `dpkg-source -x`
# then checks the .dsc checksums again and applies Debian's own patches.
#
# The package index is refreshed at most once a day; without a network the
# newest cached source package is used. The build is cached too, keyed by
# the Debian version and the hash of our config and this script.
#
# usage: tools/mbedtls.sh [DEPS_DIR]    prints the install prefix on stdout;
#        the prefix holds VERSION (Debian version, e.g. 3.6.7-3) and SOURCE
#        (one line: where the source came from).
# env:   SECSOCK_MBEDTLS_SUITES   suites to search, newest first
#                                 (default "unstable testing trixie")
#        SECSOCK_MBEDTLS_VERSION  a Debian version to use instead of the newest
#        SECSOCK_MBEDTLS_REFRESH  1: refresh the package index now
#        SECSOCK_MBEDTLS_OUT_CONTENT_LEN  MBEDTLS_SSL_OUT_CONTENT_LEN, 512..16384
#                                 (default: config/mbedtls_config.h's 4096); another
#                                 value builds its own cached variant
#        SECSOCK_DEBIAN_MIRROR, SECSOCK_DEPS_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-${SECSOCK_DEPS_DIR:-$HOME/.cache/secsock}}
suites=${SECSOCK_MBEDTLS_SUITES:-unstable testing trixie}
want=${SECSOCK_MBEDTLS_VERSION:-}
mirror=${SECSOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
config="$here/config/mbedtls_config.h"
jobs=$(nproc 2>/dev/null || echo 2)
out_len=${SECSOCK_MBEDTLS_OUT_CONTENT_LEN:-4096}

log() { echo "mbedtls.sh: $*" >&2; }

case $out_len in
'' | *[!0-9]*) out_len=0 ;;
esac
if [ "$out_len" -lt 512 ] || [ "$out_len" -gt 16384 ]; then
	log "SECSOCK_MBEDTLS_OUT_CONTENT_LEN must be 512..16384"
	exit 1
fi

mkdir -p "$deps/src"
deps=$(cd "$deps" && pwd)
# one builder at a time (parallel configures share the cache)
exec 9>"$deps/.lock"
flock 9

apt="$deps/apt"
apt_opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list"
	-o "Dir::Etc::sourceparts=$apt/etc/sources.list.d"
	-o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
	-o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
	-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")

# Newest of the Debian versions on stdin (dpkg's ordering).
newest() {
	local best="" v
	while read -r v; do
		[ -n "$v" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	echo "$best"
}

# Debian versions of the cached source packages (one directory each).
cached_versions() {
	local d
	for d in "$deps"/src/*/; do
		[ -f "$d/.complete" ] && basename "$d"
	done
	return 0
}

# Refresh the private package index (at most daily) and print the newest
# 3.6.x version, or nothing.
index_newest() {
	local stamp="$apt/state/.updated" k=/usr/share/keyrings/debian-archive-keyring.gpg s
	mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
		"$apt/state/lists/partial" "$apt/cache/archives/partial"
	for s in $suites; do
		echo "deb-src [signed-by=$k] $mirror $s main"
	done >"$apt/etc/sources.list.new"
	if ! cmp -s "$apt/etc/sources.list.new" "$apt/etc/sources.list" 2>/dev/null; then
		mv "$apt/etc/sources.list.new" "$apt/etc/sources.list"
		rm -f "$stamp"
	else
		rm -f "$apt/etc/sources.list.new"
	fi
	if [ "${SECSOCK_MBEDTLS_REFRESH:-0}" = 1 ] || [ ! -f "$stamp" ] ||
		[ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
		log "refreshing Debian source index ($suites) in $apt"
		if apt-get "${apt_opts[@]}" -qq update >&2; then
			touch "$stamp"
		else
			log "could not refresh the package index; using what is cached"
		fi
	fi
	apt-cache "${apt_opts[@]}" showsrc mbedtls 2>/dev/null |
		awk '/^Package:/ {p = $2} /^Version:/ && p == "mbedtls" {print $2}' |
		grep -E '^3\.6\.' | newest
}

# The first configured suite whose index lists mbedtls version $1.
suite_of() {
	local s f
	for s in $suites; do
		for f in "$apt"/state/lists/*_dists_"${s}"_main_source_Sources*; do
			[ -f "$f" ] || continue
			# apt-helper reads the index whatever apt compressed it with
			if /usr/lib/apt/apt-helper cat-file "$f" 2>/dev/null |
				awk -v RS= -v v="$1" '$0 ~ /^Package: mbedtls\n/ &&
				index($0, "\nVersion: " v "\n") { found = 1 } END { exit !found }'; then
				echo "$s"
				return 0
			fi
		done
	done
	echo "(unknown suite)"
}

# Fetch and unpack source package version $1 into $deps/src/$1 (patches applied).
fetch_source() {
	local ver=$1 dir="$deps/src/$1" tmp
	tmp=$(mktemp -d "$deps/src/.fetch.XXXXXX")
	log "fetching Debian source package mbedtls $ver (apt-get source, private apt config)"
	if ! (cd "$tmp" && apt-get "${apt_opts[@]}" -qq source --download-only \
		"mbedtls=$ver" >&2); then
		rm -rf "$tmp"
		return 1
	fi
	# dpkg-source verifies the files against the .dsc and applies debian/patches
	(cd "$tmp" && dpkg-source -q -x ./*.dsc pkg >&2 2>"$tmp/dpkg-source.log") ||
		{ cat "$tmp/dpkg-source.log" >&2; rm -rf "$tmp"; return 1; }
	grep -v -e 'cannot verify' -e 'gpgv' "$tmp/dpkg-source.log" >&2 || true
	local suite
	suite=$(suite_of "$ver")
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/pkg" "$dir/tree"
	echo "Debian $suite source package mbedtls $ver" >"$dir/SOURCE"
	log "unpacked mbedtls $ver from $suite; Debian patches applied:" \
		"$(grep -v '^#' "$dir/tree/debian/patches/series" 2>/dev/null | tr '\n' ' ')"
	rm -rf "$tmp"
	touch "$dir/.complete"
}

if [ -n "$want" ]; then
	ver=$want
else
	ver=$(index_newest || true)
	cached=$(cached_versions | newest)
	if [ -z "$ver" ]; then
		ver=$cached
	elif [ -n "$cached" ] && dpkg --compare-versions "$cached" gt "$ver"; then
		ver=$cached
	fi
fi
if [ -z "$ver" ]; then
	log "no Mbed TLS 3.6.x source package in Debian suites: $suites"
	exit 1
fi
if [ ! -f "$deps/src/$ver/.complete" ]; then
	fetch_source "$ver" || {
		log "fetching mbedtls $ver failed"
		exit 1
	}
fi

srcdir="$deps/src/$ver/tree"
upstream=${ver%%-*}
# the default (4096, the config's own) keeps the hash of the unmodified config
hash=$({
	cat "$config" "$0"
	[ "$out_len" = 4096 ] || echo "MBEDTLS_SSL_OUT_CONTENT_LEN $out_len"
} | sha256sum | cut -c1-12)
prefix="$deps/mbedtls-$ver-$hash"

if [ -f "$prefix/.complete" ]; then
	echo "$prefix"
	exit 0
fi

log "building Mbed TLS $ver with config/mbedtls_config.h" \
	"(MBEDTLS_SSL_OUT_CONTENT_LEN $out_len) into $prefix"
work="$deps/build-$ver-$hash"
rm -rf "$work" "$prefix"
mkdir -p "$work"
cp -a "$srcdir" "$work/src"
sed "s/^#define MBEDTLS_SSL_OUT_CONTENT_LEN .*/#define MBEDTLS_SSL_OUT_CONTENT_LEN $out_len/" \
	"$config" >"$work/src/include/mbedtls/mbedtls_config.h"
grep -qx "#define MBEDTLS_SSL_OUT_CONTENT_LEN $out_len" \
	"$work/src/include/mbedtls/mbedtls_config.h" ||
	{ log "could not set MBEDTLS_SSL_OUT_CONTENT_LEN in the config"; exit 1; }

cmake -S "$work/src" -B "$work/build" -G "Unix Makefiles" \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCMAKE_INSTALL_LIBDIR=lib \
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
if [ -d "$work/build/3rdparty" ]; then
	cmake --install "$work/build/3rdparty" >/dev/null 2>&1 || true
fi
cmake --install "$work/build/cmake" >/dev/null 2>&1 || true
if [ ! -f "$prefix/lib/cmake/MbedTLS/MbedTLSConfig.cmake" ]; then
	# the top-level install rules hold the CMake package files
	cmake -DCMAKE_INSTALL_COMPONENT=Unspecified -P "$work/build/cmake_install.cmake" \
		>/dev/null 2>&1 || true
fi
for p in ssl/ssl_client2 ssl/ssl_server2 ssl/dtls_client ssl/dtls_server test/udp_proxy; do
	install -m 0755 "$work/build/programs/$p" "$prefix/bin/"
done
# the headers must say the version the package claims
hdr=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$prefix/include/mbedtls/build_info.h")
if [ "$hdr" != "$upstream" ]; then
	log "source package $ver has Mbed TLS headers of version '$hdr'"
	exit 1
fi
echo "$ver" >"$prefix/VERSION"
cp "$deps/src/$ver/SOURCE" "$prefix/SOURCE"
touch "$prefix/.complete"
rm -rf "$work"
echo "$prefix"
