#!/bin/sh
# Regenerates the test credentials committed in tests/lib/certs/ (see the
# README.txt written there) with the openssl CLI. Idempotent: every run
# rewrites the same file names with fresh keys.
#
# Usage: tools/gen-certs.sh [output-dir]   (default: tests/lib/certs)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../tests/lib/certs}
days=36500 # 100 years
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One config with every extension profile; `openssl req` reads no system
# defaults from it, so the certificates carry exactly these extensions.
cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused

[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

# ECDSA certificates sign only; RSA ones may also take the TLS 1.2 RSA key
# exchange, for which Mbed TLS requires keyEncipherment.
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[v3_server_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[v3_wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example.com

[v3_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# `openssl ca` is the only openssl 3.0 command that takes explicit
# start/end dates (for expired.pem); it needs a throw-away database.
[ca]
default_ca = ca_tmp
[ca_tmp]
dir = TMPDIR
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
EOF
sed -i "s|TMPDIR|$tmp|" "$tmp/openssl.cnf"
cnf=$tmp/openssl.cnf

ec_key() { # file: P-256 key, PKCS#8 PEM
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}
rsa_key() { # file: RSA-2048 key, PKCS#8 PEM
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
}
self_signed_ca() { # name cn
	ec_key "$out/$1.key"
	openssl req -new -x509 -config "$cnf" -key "$out/$1.key" -subj "/CN=$2" \
		-days $days -sha256 -extensions v3_ca -set_serial "0x$(openssl rand -hex 8)" \
		-out "$out/$1.pem"
}
csr() { # key cn
	openssl req -new -config "$cnf" -key "$1" -subj "/CN=$2" -out "$tmp/req.csr"
}
sign() { # name ca-name extensions cn keygen
	$5 "$out/$1.key"
	csr "$out/$1.key" "$4"
	openssl x509 -req -in "$tmp/req.csr" -CA "$out/$2.pem" -CAkey "$out/$2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days $days -sha256 \
		-extfile "$cnf" -extensions "$3" -out "$out/$1.pem" 2>/dev/null
}

self_signed_ca ca "secsock test CA"
sign server ca v3_server localhost ec_key
sign server-rsa ca v3_server_rsa localhost rsa_key
sign client ca v3_client secsock-client ec_key
sign client-rsa ca v3_client secsock-client rsa_key
sign wronghost ca v3_wronghost wrong.example.com ec_key
self_signed_ca untrusted-ca "secsock untrusted CA"
sign untrusted untrusted-ca v3_server localhost ec_key

# expired.pem: valid 2020-01-01 .. 2021-01-01 only.
mkdir -p "$tmp/newcerts"
: >"$tmp/index.txt"
openssl rand -hex 8 >"$tmp/serial"
ec_key "$out/expired.key"
csr "$out/expired.key" localhost
openssl ca -batch -config "$cnf" -cert "$out/ca.pem" -keyfile "$out/ca.key" \
	-in "$tmp/req.csr" -out "$out/expired.pem" -notext -extfile "$cnf" -extensions v3_server \
	-startdate 20200101000000Z -enddate 20210101000000Z 2>/dev/null

cat "$out/server.pem" "$out/ca.pem" >"$out/server-chain.pem"

# DER copies and private key format variants.
openssl x509 -in "$out/ca.pem" -outform DER -out "$out/ca.der"
openssl x509 -in "$out/server.pem" -outform DER -out "$out/server.der"
openssl pkcs8 -topk8 -nocrypt -in "$out/server.key" -out "$out/server.key.pkcs8.pem"
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:secsock -in "$out/server.key" \
	-out "$out/server.key.encrypted.pem"
openssl ec -in "$out/server.key" -out "$out/server.key.sec1.pem" 2>/dev/null
openssl ec -in "$out/server.key" -outform DER -out "$out/server.key.der" 2>/dev/null
openssl rsa -in "$out/server-rsa.key" -traditional -out "$out/server-rsa.key.pkcs1.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$out/server-rsa.key" -outform DER \
	-out "$out/server-rsa.key.der"

# Sanity: the chain verifies, the variants hold the expected formats.
openssl verify -CAfile "$out/ca.pem" "$out/server.pem" "$out/server-rsa.pem" \
	"$out/client.pem" "$out/client-rsa.pem" "$out/wronghost.pem" >/dev/null
openssl verify -CAfile "$out/untrusted-ca.pem" "$out/untrusted.pem" >/dev/null
grep -q 'BEGIN EC PRIVATE KEY' "$out/server.key.sec1.pem"
grep -q 'BEGIN RSA PRIVATE KEY' "$out/server-rsa.key.pkcs1.pem"
grep -q 'BEGIN PRIVATE KEY' "$out/server.key.pkcs8.pem"
grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$out/server.key.encrypted.pem"
chmod 0644 "$out"/*

cat >"$out/README.txt" <<'EOF'
Test credentials for secsock. NOT SECRET: never use them outside tests.
Regenerate all of them with tools/gen-certs.sh (keys change on every run).
Certificates are valid for 100 years unless noted. PEM unless .der.

ca.pem ca.der ca.key          root CA "secsock test CA" (ECDSA P-256, self-signed)
server.pem server.der         CN=localhost, SAN DNS:localhost IP:127.0.0.1 IP:::1,
server.key                    serverAuth, P-256, signed by ca; key in PKCS#8 PEM
server.key.pkcs8.pem          server key, PKCS#8 PEM ("BEGIN PRIVATE KEY")
server.key.sec1.pem           server key, SEC1 PEM ("BEGIN EC PRIVATE KEY")
server.key.der                server key, SEC1 DER
server.key.encrypted.pem      server key, encrypted PKCS#8 PEM (password "secsock";
                              secsock takes no passwords, so it must be rejected)
server-rsa.pem server-rsa.key same names, RSA-2048, signed by ca; key in PKCS#8 PEM
server-rsa.key.pkcs1.pem      server-rsa key, PKCS#1 PEM ("BEGIN RSA PRIVATE KEY")
server-rsa.key.der            server-rsa key, PKCS#8 DER
server-chain.pem              server.pem followed by ca.pem
client.pem client.key         CN=secsock-client, clientAuth, P-256, signed by ca
client-rsa.pem client-rsa.key same, RSA-2048
expired.pem expired.key       localhost server cert signed by ca, valid 2020-01-01..2021-01-01
wronghost.pem wronghost.key   CN and SAN wrong.example.com, signed by ca
untrusted-ca.pem .key         a second root CA, "secsock untrusted CA" (P-256)
untrusted.pem untrusted.key   localhost server cert signed by untrusted-ca
EOF
echo "test credentials written to $out"
