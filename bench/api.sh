#!/bin/sh
# API server benchmark: create N Services (10,000 by default) over C
# keep-alive connections, time LISTs of them (plain and as a kubectl Table),
# replay them over watch from resourceVersion 0 and from the first create's
# revision, and read the server's memory. Prints a results table.
#
# usage: bench/api.sh [-n SERVICES] [-c CONNECTIONS] [-r LIST_RUNS]
#
# Everything runs on 127.0.0.1 against a fresh server with a throwaway data
# directory, which is deleted at the end.
set -eu

n=10000
conns=16
runs=10
while getopts n:c:r:h opt; do
	case $opt in
	n) n=$OPTARG ;;
	c) conns=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-n SERVICES] [-c CONNECTIONS] [-r LIST_RUNS]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
mkdir -p build

# The server: rebuild when needed; if the tree is mid-edit and does not
# build, fall back to the binary already there.
if ! make -j2 build/svcnet >build/bench-make.log 2>&1; then
	if [ -x build/svcnet ]; then
		echo "api.sh: make failed (see build/bench-make.log); using the existing build/svcnet" >&2
	else
		echo "api.sh: make failed and there is no build/svcnet:" >&2
		tail -20 build/bench-make.log >&2
		exit 1
	fi
fi
# The load generator does not depend on the Makefile.
if [ ! -x build/apiload ] || [ bench/apiload.c -nt build/apiload ]; then
	cc -O2 bench/apiload.c -o build/apiload -lpthread
fi

data=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build/svcnet apiserver --data-dir "$data" --listen 127.0.0.1:0 2>"$data/server.log" &
pid=$!

port=
i=0
while [ $i -lt 200 ]; do
	port=$(sed -n 's/.*serving on .*(port \([0-9][0-9]*\)).*/\1/p' "$data/server.log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "api.sh: the server did not start:" >&2
	cat "$data/server.log" >&2
	exit 1
fi

# Prints field $2 (key=value) of the key=value line $1.
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Prints "VmRSS VmHWM" in MB.
mem() {
	awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {printf "%.1f %.1f\n", r / 1024, h / 1024}' \
		"/proc/$pid/status"
}

al=build/apiload
echo "svcnet apiserver on 127.0.0.1:$port (pid $pid), $n Services over $conns connections"

# Services that exist before the run (the bootstrap "kubernetes" Service).
pre=$(field "$($al list -p "$port" -r 1 -C '"uid":"')" count)
mem_idle=$(mem)

create=$(timeout 900 $al create -p "$port" -n "$n" -c "$conns") || true
created=$(field "$create" created)
if [ -z "$created" ] || [ "$created" -eq 0 ]; then
	echo "$create"
	echo "api.sh: no create succeeded; the server log ends:" >&2
	tail -5 "$data/server.log" >&2
	exit 1
fi
[ "$created" -eq "$n" ] || echo "api.sh: only $created of $n creates succeeded; going on with those" >&2
echo "$create"
mem_created=$(mem)

list=$(timeout 600 $al list -p "$port" -r "$runs" -C '"app":"bench"')
echo "$list"
table=$(timeout 600 $al list -p "$port" -r "$runs" -t -C '"cells":[')
echo "$table"

total=$((created + pre))
w0=$(timeout 200 $al watch -p "$port" -n "$total" -v 0 -T 120) || true
echo "$w0"
rv1=$(field "$create" first_rv)
w1=$(timeout 200 $al watch -p "$port" -n $((created - 1)) -v "$rv1" -T 120) || true
echo "$w1"
mem_end=$(mem)
db=$(du -sm "$data" | cut -f1)

kb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1048576}'; }

echo
printf '%-44s %s\n' "measure" "result"
printf '%-44s %s\n' "--------------------------------------------" "------------------------------"
printf '%-44s %s/s (%s created, %s other, %s failed, %s s)\n' \
	"creates, $conns connections" "$(field "$create" rate)" "$(field "$create" created)" \
	"$(field "$create" other)" "$(field "$create" failed)" "$(field "$create" seconds)"
printf '%-44s p50 %s ms, p99 %s ms, max %s ms\n' "create latency" \
	"$(field "$create" p50_ms)" "$(field "$create" p99_ms)" "$(field "$create" max_ms)"
printf '%-44s min %s / median %s / max %s ms, %s, %s items\n' "LIST $total Services (JSON), $runs runs" \
	"$(field "$list" min_ms)" "$(field "$list" median_ms)" "$(field "$list" max_ms)" \
	"$(kb "$(field "$list" bytes)")" "$(field "$list" count)"
printf '%-44s min %s / median %s / max %s ms, %s, %s rows\n' "LIST as Table (kubectl get svc)" \
	"$(field "$table" min_ms)" "$(field "$table" median_ms)" "$(field "$table" max_ms)" \
	"$(kb "$(field "$table" bytes)")" "$(field "$table" count)"
printf '%-44s %s of %s events in %s s (first after %s ms)\n' "watch from resourceVersion 0" \
	"$(field "$w0" events)" "$total" "$(field "$w0" seconds)" "$(field "$w0" first_event_ms)"
printf '%-44s %s of %s events in %s s (first after %s ms)\n' "watch from first create (rv $rv1)" \
	"$(field "$w1" events)" "$((created - 1))" "$(field "$w1" seconds)" "$(field "$w1" first_event_ms)"
printf '%-44s RSS %s MB\n' "server memory, idle" "${mem_idle% *}"
printf '%-44s RSS %s MB\n' "server memory, after creates" "${mem_created% *}"
printf '%-44s RSS %s MB, peak (VmHWM) %s MB\n' "server memory, after LIST + watch" \
	"${mem_end% *}" "${mem_end#* }"
printf '%-44s %s MB\n' "data directory" "$db"
