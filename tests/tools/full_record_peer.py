#!/usr/bin/env python3
"""A TLS peer that sends full-size 16 KiB records (OpenSSL through Python's ssl).

tests/integration/test_mem_idle.c runs it against secsock, whose Mbed TLS
build writes records of at most 4 KiB: this peer is how a full record
reaches a secsock socket whose idle input buffer gave its pages back.

usage: full_record_peer.py server|client 12|13 CERTDIR [PORT]
  server: listens on 127.0.0.1, prints "port N", serves one connection
  client: connects to 127.0.0.1:PORT (verifying "localhost" against ca.pem)
Then echoes: every 16384 bytes received go back in one write, which OpenSSL
sends as one 16384-byte record; stops at EOF. Prints "records N" at the end.
"""
import os
import socket
import ssl
import sys

BLOCK = 16384


def main():
    role, ver, certs = sys.argv[1], sys.argv[2], sys.argv[3]
    if role == "server":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    v = ssl.TLSVersion.TLSv1_2 if ver == "12" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = v
    ctx.maximum_version = v
    if role == "server":
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        lst.settimeout(20)
        print("port %d" % lst.getsockname()[1], flush=True)
        raw, _ = lst.accept()
        raw.settimeout(20)
        tls = ctx.wrap_socket(raw, server_side=True)
    else:
        raw = socket.create_connection(("127.0.0.1", int(sys.argv[4])), timeout=20)
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    print("handshake done", flush=True)
    records = 0
    while True:
        buf = bytearray()
        while len(buf) < BLOCK:
            part = tls.recv(BLOCK - len(buf))
            if not part:
                print("records %d" % records, flush=True)
                return 0
            buf += part
        tls.sendall(bytes(buf))
        records += 1


if __name__ == "__main__":
    sys.exit(main())
