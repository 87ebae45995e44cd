#!/usr/bin/env bash
# The preload disturbs nothing that is not a secure socket (docs/posix.md):
#   http  python3 -m http.server under LD_PRELOAD=libsecsock-posix.so, fetched
#         by curl also under the preload: the content arrives exactly
#   echo  a plain TCP echo server and client (Python socket module, select
#         and makefile) both under the preload: 200 lines come back exactly
#   tools ls, cat through a pipe, sh -c, openssl version under the preload
# Prints "N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need python3 "Debian package python3-minimal; tools/deps.sh installs it"
if ! preload_ok; then
	echo "SKIP: $preload_skip_reason"
	exit 77
fi

# ---- http.server + curl ----
name="python3 -m http.server + curl, both preloaded"
if command -v curl >/dev/null 2>&1; then
	mkdir -p "$tmp/www"
	head -c 300000 /dev/urandom >"$tmp/www/blob.bin"
	printf 'secsock preload page\n' >"$tmp/www/index.html"
	(cd "$tmp/www" && LD_PRELOAD=$so exec timeout 60 python3 -u -m http.server 0 \
		--bind 127.0.0.1 >"$tmp/http.out" 2>&1) &
	hpid=$!
	pids="$pids $hpid"
	if wait_for "$tmp/http.out" 'port [0-9]+' 100; then
		port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$tmp/http.out" | head -n 1)
		ok=1
		for f in index.html blob.bin; do
			if ! LD_PRELOAD=$so timeout 20 curl -sS --max-time 15 -o "$tmp/got.$f" \
				"http://127.0.0.1:$port/$f" 2>"$tmp/curl.err"; then
				fail "$name" "curl $f failed" "$tmp/curl.err" "$tmp/http.out"
				ok=0
			elif ! cmp -s "$tmp/www/$f" "$tmp/got.$f"; then
				fail "$name" "$f differs" "$tmp/http.out"
				ok=0
			fi
		done
		[ "$ok" = 1 ] && pass "$name: index.html and a 300000-byte file identical"
	else
		fail "$name" "http.server did not start" "$tmp/http.out"
	fi
	kill "$hpid" 2>/dev/null
else
	echo "SKIP: $name: curl not installed"
fi

# ---- plain TCP echo ----
name="plain TCP echo, server and client preloaded"
cat >"$tmp/echo.py" <<'PY'
import select, socket, sys
if sys.argv[1] == "server":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    print("listening %d" % s.getsockname()[1], flush=True)
    c, _ = s.accept()
    for _ in range(10000):
        r, _, _ = select.select([c], [], [], 10)
        if not r:
            break
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)
    c.close()
else:
    c = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10)
    f = c.makefile("rwb")
    bad = 0
    for i in range(200):
        line = b"line %d %s\n" % (i, b"x" * (i % 50))
        f.write(line)
        f.flush()
        if f.readline() != line:
            bad += 1
    c.close()
    print("%d of 200 lines came back" % (200 - bad))
    sys.exit(1 if bad else 0)
PY
LD_PRELOAD=$so timeout 60 python3 "$tmp/echo.py" server >"$tmp/echo.out" 2>&1 &
epid=$!
pids="$pids $epid"
if port=$(listen_port "$tmp/echo.out"); then
	if LD_PRELOAD=$so timeout 30 python3 "$tmp/echo.py" client "$port" >"$tmp/echoc.out" 2>&1; then
		pass "$name: $(cat "$tmp/echoc.out")"
	else
		fail "$name" "the client failed" "$tmp/echoc.out" "$tmp/echo.out"
	fi
else
	fail "$name" "the echo server did not listen" "$tmp/echo.out"
fi

# ---- everyday tools ----
name="ls, cat | sh, openssl version under the preload"
if LD_PRELOAD=$so ls "$src" >"$tmp/ls.out" 2>&1 &&
	grep -qx README.md "$tmp/ls.out" &&
	[ "$(printf 'a\nb\n' | LD_PRELOAD=$so cat | LD_PRELOAD=$so sh -c 'wc -l')" = 2 ] &&
	{ ! command -v openssl >/dev/null || LD_PRELOAD=$so openssl version >/dev/null; }; then
	pass "$name"
else
	fail "$name" "a tool failed under the preload" "$tmp/ls.out"
fi
finish
