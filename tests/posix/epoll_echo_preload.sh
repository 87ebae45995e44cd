#!/usr/bin/env bash
# tests/posix/epoll_echo.c built without secsock (only <secsock/posix.h>) and run
# with LD_PRELOAD=libsecsock-posix.so: an epoll echo server over TLS, 200 clients x
# 1 MiB, level- then edge-triggered (the program's own 120 s limit; timeout 140 here).
# Sanitizer builds skip (exit 77) with the reason; posix.epoll_echo runs there.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if ! preload_ok; then
	echo "SKIP: $preload_skip_reason"
	exit 77
fi
out=$tmp/epoll_echo.out
LD_PRELOAD=$so timeout 140 "$pbin/epoll_echo_plain" "$certs" >"$out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	pass "epoll echo under LD_PRELOAD: $(grep -E 'triggered' "$out" | tr '\n' ' ')"
else
	fail "epoll echo under LD_PRELOAD" "exit status $rc" "$out"
fi
finish
