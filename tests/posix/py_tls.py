#!/usr/bin/env python3
"""A TLS client and server written with Python's socket module only, for
LD_PRELOAD=libsecsock-posix.so (tests/posix/python.sh, docs/posix.md).

Nothing here imports ssl: the protocol number 258 (IPPROTO_TLS_1_2), the
SOL_TLS options and the credentials (SECSOCK_TLS_CREDENTIAL_ADD) make the
socket a TLS socket.

  py_tls.py client CERTS PORT      sends a line, prints the reply
  py_tls.py server CERTS           prints "listening PORT", answers one
                                   client with its line reversed
"""
import socket
import struct
import sys

IPPROTO_TLS_1_2 = 258
SOL_TLS = 282
TLS_SEC_TAG_LIST = 1
TLS_HOSTNAME = 2
TLS_CIPHERSUITE_USED = 4
SECSOCK_TLS_CREDENTIAL_ADD = 0x5EC00 + 16
CA, CERT, KEY = 1, 2, 3
TAG = 7

LINE = b"python over secsock\n"


def add_cred(s, kind, path):
    with open(path, "rb") as f:
        pem = f.read() + b"\0"
    s.setsockopt(SOL_TLS, SECSOCK_TLS_CREDENTIAL_ADD, struct.pack("ii", TAG, kind) + pem)


def client(certs, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_TLS_1_2)
    s.settimeout(10)
    add_cred(s, CA, certs + "/ca.pem")
    s.setsockopt(SOL_TLS, TLS_SEC_TAG_LIST, struct.pack("i", TAG))
    s.setsockopt(SOL_TLS, TLS_HOSTNAME, b"localhost\0")
    s.connect(("127.0.0.1", int(port)))
    suite = s.getsockopt(SOL_TLS, TLS_CIPHERSUITE_USED)
    s.sendall(LINE)
    data = b""
    for _ in range(20):
        if data.endswith(b"\n"):
            break
        chunk = s.recv(256)
        if not chunk:
            break
        data += chunk
    s.close()
    print("suite 0x%04x reply: %s" % (suite, data.decode(errors="replace")), end="")
    want = LINE[:-1][::-1] + b"\n"
    if data != want:
        print("expected %r, got %r" % (want, data))
        return 1
    return 0


def server(certs):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_TLS_1_2)
    add_cred(s, CERT, certs + "/server.pem")
    add_cred(s, KEY, certs + "/server.key")
    s.setsockopt(SOL_TLS, TLS_SEC_TAG_LIST, struct.pack("i", TAG))
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(30)
    print("listening %d" % s.getsockname()[1], flush=True)
    c, _ = s.accept()
    c.settimeout(10)
    data = b""
    for _ in range(20):
        if data.endswith(b"\n"):
            break
        chunk = c.recv(256)
        if not chunk:
            break
        data += chunk
    print("got: %s" % data.decode(errors="replace"), end="", flush=True)
    c.sendall(data[:-1][::-1] + b"\n")
    c.close()
    s.close()
    return 0 if data == b"hello from s_client\n" else 1


if __name__ == "__main__":
    if sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], sys.argv[3]))
    sys.exit(server(sys.argv[2]))
