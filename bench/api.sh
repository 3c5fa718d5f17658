#!/bin/sh
# API server benchmark: create N Services (10,000 by default) over C
# keep-alive connections, time LISTs of them (plain and as a kubectl Table),
# replay them over watch from resourceVersion 0 and from the first create's
# revision, fan a burst of creates out to W watchers, and read the server's
# memory. Runs against each store in turn (SQLite, then a single-member etcd
# that the script starts) and prints a table per store and one beside the
# other.
#
# usage: bench/api.sh [--store sqlite|etcd|both] [-n SERVICES] [-c CONNECTIONS]
#                     [-r LIST_RUNS] [-w WATCHERS] [-b BURST]
#
# Everything runs on 127.0.0.1 against fresh servers with throwaway data
# directories (etcd's included), which are deleted at the end.
set -eu

usage() {
	echo "usage: $0 [--store sqlite|etcd|both] [-n SERVICES] [-c CONNECTIONS] [-r LIST_RUNS]" \
		"[-w WATCHERS] [-b BURST]" >&2
	exit 2
}

n=10000
conns=16
runs=10
watchers=100
burst=1000
store=both
# --store VALUE / --store=VALUE, taken out before getopts sees the rest.
want_store=
for a do
	shift
	if [ -n "$want_store" ]; then
		store=$a
		want_store=
		continue
	fi
	case $a in
	--store) want_store=1 ;;
	--store=*) store=${a#--store=} ;;
	*) set -- "$@" "$a" ;;
	esac
done
[ -z "$want_store" ] || usage
while getopts n:c:r:w:b:s:h opt; do
	case $opt in
	n) n=$OPTARG ;;
	c) conns=$OPTARG ;;
	r) runs=$OPTARG ;;
	w) watchers=$OPTARG ;;
	b) burst=$OPTARG ;;
	s) store=$OPTARG ;;
	*) usage ;;
	esac
done
case $store in
both) stores="sqlite etcd" ;;
sqlite | etcd) stores=$store ;;
*) usage ;;
esac

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

if [ "$store" != sqlite ] && ! command -v etcd >/dev/null; then
	if [ "$store" = etcd ]; then
		echo "api.sh: etcd is not installed (apt-get install etcd-server)" >&2
		exit 1
	fi
	echo "api.sh: etcd is not installed (apt-get install etcd-server); SQLite only" >&2
	stores=sqlite
fi

data=$(mktemp -d)
pid=
epid=
stop_server() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
stop_etcd() {
	if [ -n "$epid" ]; then
		kill "$epid" 2>/dev/null || true
		wait "$epid" 2>/dev/null || true
	fi
	epid=
	rm -rf "$data/etcd"
}
cleanup() {
	stop_server
	stop_etcd
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints field $2 (key=value) of the key=value line $1.
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Prints "VmRSS VmHWM" in MB of process $1.
mem() {
	awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {printf "%.1f %.1f\n", r / 1024, h / 1024}' \
		"/proc/$1/status" 2>/dev/null || echo "? ?"
}

# Results: one file per store and step, holding apiload's key=value line.
put() { printf '%s\n' "$3" >"$data/res.$1.$2"; }
get() { cat "$data/res.$1.$2" 2>/dev/null || true; }
# f STORE STEP KEY: one field of a stored result.
f() { field "$(get "$1" "$2")" "$3"; }

# A loopback port that nothing listens on, other than $1.
free_port() {
	i=0
	while [ $i -lt 100 ]; do
		p=$(shuf -i 20000-59999 -n 1)
		if [ "$p" != "${1:-}" ] && [ -z "$(ss -Htan "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

# Starts a single-member etcd on two free loopback ports with its data in
# $data/etcd and waits (30 s at most) until it reports a leader; sets epid
# and eurl. Tries three times, since a port can be taken in between.
start_etcd() {
	try=0
	while [ $try -lt 3 ]; do
		try=$((try + 1))
		cport=$(free_port) || return 1
		pport=$(free_port "$cport") || return 1
		eurl=http://127.0.0.1:$cport
		purl=http://127.0.0.1:$pport
		rm -rf "$data/etcd"
		etcd --name bench --data-dir "$data/etcd" \
			--listen-client-urls "$eurl" --advertise-client-urls "$eurl" \
			--listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl" \
			--initial-cluster "bench=$purl" --initial-cluster-state new \
			--initial-cluster-token "svcnet-bench-$$" >"$data/etcd.log" 2>&1 &
		epid=$!
		i=0
		while [ $i -lt 150 ]; do
			if curl -s -m 1 -X POST -d '{}' "$eurl/v3/maintenance/status" 2>/dev/null |
				grep -q '"leader":"[1-9]'; then
				return 0
			fi
			kill -0 "$epid" 2>/dev/null || break
			sleep 0.2
			i=$((i + 1))
		done
		echo "api.sh: etcd on $eurl did not get a leader (try $try); its log ends:" >&2
		tail -5 "$data/etcd.log" >&2
		stop_etcd
	done
	return 1
}

# Runs every step against store $1; returns non-zero when the server (or
# etcd) does not start or no create succeeds.
run_store() {
	s=$1
	dir=$data/$s
	mkdir -p "$dir"
	set --
	what="SQLite, synchronous=FULL"
	if [ "$s" = etcd ]; then
		if ! start_etcd; then
			echo "api.sh: etcd did not start" >&2
			return 1
		fi
		set -- --store etcd --etcd-servers "$eurl" --etcd-prefix /svcnet-bench
		what="etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p') on $eurl (pid $epid), one member"
	fi
	build/svcnet apiserver --data-dir "$dir" --listen 127.0.0.1:0 "$@" 2>"$data/server.$s.log" &
	pid=$!

	port=
	i=0
	while [ $i -lt 300 ]; do
		port=$(sed -n 's/.*serving on .*(port \([0-9][0-9]*\)).*/\1/p' "$data/server.$s.log" | head -1)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$port" ]; then
		echo "api.sh: the server ($s) did not start:" >&2
		cat "$data/server.$s.log" >&2
		return 1
	fi

	al=build/apiload
	echo
	echo "== $s: svcnet apiserver on 127.0.0.1:$port (pid $pid), $what"
	echo "   $n Services over $conns connections"

	# Services that exist before the run (the bootstrap "kubernetes" Service).
	pre=$(field "$($al list -p "$port" -r 1 -C '"uid":"' || true)" count)
	put "$s" mem_idle "$(mem "$pid")"

	create=$(timeout 900 $al create -p "$port" -n "$n" -c "$conns" || true)
	echo "$create"
	put "$s" create "$create"
	created=$(field "$create" created)
	if [ -z "$created" ] || [ "$created" -eq 0 ]; then
		echo "api.sh: no create succeeded ($s); the server log ends:" >&2
		tail -5 "$data/server.$s.log" >&2
		return 1
	fi
	[ "$created" -eq "$n" ] || echo "api.sh: only $created of $n creates succeeded; going on with those" >&2
	put "$s" mem_created "$(mem "$pid")"

	list=$(timeout 600 $al list -p "$port" -r "$runs" -C '"app":"bench"' || true)
	echo "$list"
	put "$s" list "$list"
	table=$(timeout 600 $al list -p "$port" -r "$runs" -t -C '"cells":[' || true)
	echo "$table"
	put "$s" table "$table"

	total=$((created + ${pre:-0}))
	put "$s" total "$total"
	w0=$(timeout 200 $al watch -p "$port" -n "$total" -v 0 -T 120 || true)
	echo "$w0"
	put "$s" w0 "$w0"
	rv1=$(field "$create" first_rv)
	w1=$(timeout 200 $al watch -p "$port" -n $((created - 1)) -v "$rv1" -T 120 || true)
	echo "$w1"
	put "$s" w1 "$w1"

	# Fan-out: W watches open from the current revision, then a burst of
	# creates (bench-N onwards, after the names above).
	fan=$(timeout 300 $al fanout -p "$port" -w "$watchers" -n "$burst" -c "$conns" -s "$n" -T 120 ||
		true)
	echo "$fan"
	put "$s" fan "$fan"

	put "$s" mem_end "$(mem "$pid")"
	if [ "$s" = etcd ]; then
		put "$s" etcd_mem "$(mem "$epid")"
		put "$s" db "$(du -sm "$data/etcd" | cut -f1)"
	else
		put "$s" db "$(du -sm "$dir" | cut -f1)"
	fi
	stop_server
	stop_etcd
	rm -rf "$dir"
	return 0
}

kb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1048576}'; }

# The full table of store $1.
report() {
	s=$1
	create=$(get "$s" create)
	list=$(get "$s" list)
	table=$(get "$s" table)
	w0=$(get "$s" w0)
	w1=$(get "$s" w1)
	fan=$(get "$s" fan)
	total=$(get "$s" total)
	created=$(field "$create" created)
	mem_idle=$(get "$s" mem_idle)
	mem_created=$(get "$s" mem_created)
	mem_end=$(get "$s" mem_end)
	echo
	printf '%-44s %s\n' "measure ($s)" "result"
	printf '%-44s %s\n' "--------------------------------------------" "------------------------------"
	printf '%-44s %s/s (%s created, %s other, %s failed, %s s)\n' \
		"creates, $conns connections" "$(field "$create" rate)" "$created" \
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
	printf '%-44s %s of %s events in %s s (first after %s ms)\n' \
		"watch from first create (rv $(field "$create" first_rv))" \
		"$(field "$w1" events)" "$((${created:-1} - 1))" "$(field "$w1" seconds)" \
		"$(field "$w1" first_event_ms)"
	printf '%-44s %s s (%s of %s watchers got all %s; creates took %s s; last event %s ms after the last create)\n' \
		"fan-out: $burst creates to $watchers watchers" "$(field "$fan" seconds)" \
		"$(field "$fan" complete)" "$watchers" "$(field "$fan" burst)" \
		"$(field "$fan" create_seconds)" "$(field "$fan" lag_ms)"
	printf '%-44s RSS %s MB\n' "server memory, idle" "${mem_idle% *}"
	printf '%-44s RSS %s MB\n' "server memory, after creates" "${mem_created% *}"
	printf '%-44s RSS %s MB, peak (VmHWM) %s MB\n' "server memory, after LIST + watch" \
		"${mem_end% *}" "${mem_end#* }"
	if [ "$s" = etcd ]; then
		em=$(get "$s" etcd_mem)
		printf '%-44s RSS %s MB, peak (VmHWM) %s MB\n' "etcd memory, at the end" "${em% *}" "${em#* }"
		printf '%-44s %s MB\n' "etcd data directory" "$(get "$s" db)"
	else
		printf '%-44s %s MB\n' "data directory" "$(get "$s" db)"
	fi
}

done_stores=
for s in $stores; do
	if run_store "$s"; then
		done_stores="$done_stores $s"
		report "$s"
	else
		echo "api.sh: the $s run failed" >&2
		stop_server
		stop_etcd
	fi
done
[ -n "$done_stores" ] || exit 1

# One beside the other.
echo
printf '%-40s' "store"
for s in $done_stores; do printf ' %-18s' "$s"; done
echo
printf '%-40s' "----------------------------------------"
for s in $done_stores; do printf ' %-18s' "------------------"; done
echo
row() { # LABEL FORMAT-OF-ONE-STORE (evaluated with $s set)
	printf '%-40s' "$1"
	for s in $done_stores; do printf ' %-18s' "$(eval "$2")"; done
	echo
}
row "creates/s ($conns connections)" 'f $s create rate'
row "create p50 / p99 ms" 'echo "$(f $s create p50_ms) / $(f $s create p99_ms)"'
row "LIST of $(get "$(echo $done_stores | cut -d' ' -f1)" total), median ms" 'f $s list median_ms'
row "LIST as Table, median ms" 'f $s table median_ms'
row "watch from rv 0, s" 'f $s w0 seconds'
row "watch from first create, s" 'f $s w1 seconds'
row "fan-out $burst creates to $watchers watchers, s" 'f $s fan seconds'
row "server peak RSS MB" 'm=$(get $s mem_end); echo "${m#* }"'
# Non-zero when a store's run failed.
[ "$done_stores" = " $(echo $stores)" ]
