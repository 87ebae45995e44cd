#!/usr/bin/env bash
# The core reaches the kernel only through src/sys/host.h: none of the objects
# shared by libsecsock and libsecsock-posix (CMake's secsock_obj) may reference
# a C library name that libsecsock-posix defines, or under the interposer the
# call would come back into the library (ARCHITECTURE.md, "Host calls").
#
# usage: host_calls.sh NAMES_FILE OBJECT...
#   NAMES_FILE: one interposed name a line (src/posix/interposed.txt)
set -u
names=$1
shift
if [ ! -s "$names" ]; then
	echo "FAIL: no interposed names in $names"
	exit 1
fi
bad=0
checked=0
# CMake may pass $<TARGET_OBJECTS:...> as one ';'-separated argument
objs=()
for a in "$@"; do
	IFS=';' read -r -a part <<<"$a"
	objs+=("${part[@]}")
done
for o in "${objs[@]}"; do
	[ -f "$o" ] || continue
	checked=$((checked + 1))
	hits=$(nm -u "$o" | awk '{ print $NF }' | sed 's/@.*//' | grep -Fxf "$names" | tr '\n' ' ')
	if [ -n "$hits" ]; then
		echo "FAIL: $(basename "$o") calls interposed names directly: $hits(use zt_sys_* from src/sys/host.h)"
		bad=1
	fi
done
if [ "$checked" = 0 ]; then
	echo "FAIL: no objects given"
	exit 1
fi
[ "$bad" = 0 ] && echo "ok: $checked core objects reference none of $(wc -l <"$names") interposed names"
exit $bad
