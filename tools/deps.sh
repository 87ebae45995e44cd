#!/usr/bin/env bash
# Installs the Debian packages secsock's build and tests need, if missing.
# As root it uses apt-get; otherwise it only reports what is missing.
set -euo pipefail

pkgs=(build-essential dpkg-dev bzip2 xz-utils cmake pkg-config ca-certificates debian-archive-keyring
	openssl gnutls-bin curl valgrind python3 testssl.sh tshark groff-base libssl-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]} (run as root, or install them)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
# noninteractive: wireshark-common's question (may non-root users capture?) keeps its default
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
