#!/bin/bash
# DNS benchmark: 10,000 Services (A + SRV each) served by svcnet dns, fed
# through a real API server, and by Knot DNS from a zone file holding the same
# records, both on loopback, loaded the same way by dnsperf one after the
# other. Prints queries/s, average and p99 latency, server memory (VmRSS once
# the records are loaded and after the load, and the peak VmHWM), and the
# ratios svcnet / Knot.
#
# usage: bench/dns.sh [-n SERVICES] [-l SECONDS] [-c CLIENTS] [-q OUTSTANDING]
#
# SVCNET=PATH runs that binary instead of building build/svcnet (to compare
# two builds; copy a binary aside first, as a build replaces it).
#
# Needs the Debian packages dnsperf and knot (installed when missing and run
# as root). Everything runs on 127.0.0.1 in a throwaway folder.
set -eu

n=10000
secs=20
clients=4
outstanding=200
while getopts n:l:c:q:h opt; do
	case $opt in
	n) n=$OPTARG ;;
	l) secs=$OPTARG ;;
	c) clients=$OPTARG ;;
	q) outstanding=$OPTARG ;;
	*) echo "usage: $0 [-n SERVICES] [-l SECONDS] [-c CLIENTS] [-q OUTSTANDING]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
for tool in dnsperf:dnsperf knotd:knot curl:curl jq:jq; do
	if ! command -v "${tool%%:*}" >/dev/null; then
		if [ "$(id -u)" = 0 ]; then
			echo "dns.sh: installing ${tool#*:}" >&2
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tool#*:}" >/dev/null
		else
			echo "dns.sh: ${tool%%:*} is missing (apt-get install ${tool#*:})" >&2
			exit 1
		fi
	fi
done
if [ -n "${SVCNET:-}" ]; then
	SVCNET=$(realpath "$SVCNET")
elif ! make -j2 build/svcnet >/dev/null 2>&1 && [ ! -x build/svcnet ]; then
	echo "dns.sh: make failed and there is no build/svcnet" >&2
	exit 1
fi
SVCNET=${SVCNET:-$PWD/build/svcnet}
TMP=$(mktemp -d /tmp/svcnet-bench-dns.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_log FILE SED-EXPR: prints the first match of the expression, waiting up to 60 s.
wait_log() {
	for _ in $(seq 1 600); do
		local v
		v=$(sed -n "$2" "$1" | head -1)
		[ -n "$v" ] && { echo "$v"; return 0; }
		sleep 0.1
	done
	echo "dns.sh: timed out waiting in $1:" >&2
	tail -5 "$1" >&2
	return 1
}

# The API server and the Services.
"$SVCNET" apiserver --data-dir "$TMP/data" --listen 127.0.0.1:0 >"$TMP/api.log" 2>&1 &
PIDS+=($!)
port=$(wait_log "$TMP/api.log" 's/.*serving on .* (port \([0-9]*\)).*/\1/p')
API=http://127.0.0.1:$port
curl -sf -X POST -H 'Content-Type: application/json' \
	--data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}' "$API/api/v1/namespaces" >/dev/null
echo "creating $n Services..." >&2
for i in $(seq 1 "$n"); do
	[ "$i" = 1 ] || echo next
	printf 'silent\nurl = "%s/api/v1/namespaces/bench/services"\nrequest = POST\nheader = "Content-Type: application/json"\noutput = /dev/null\ndata = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Service\\",\\"metadata\\":{\\"name\\":\\"s%d\\"},\\"spec\\":{\\"ports\\":[{\\"name\\":\\"http\\",\\"port\\":80,\\"protocol\\":\\"TCP\\"}]}}"\n' "$API" "$i"
done >"$TMP/create.curl"
t0=$(date +%s.%N)
curl -s --parallel --parallel-max 16 -K "$TMP/create.curl" >/dev/null 2>&1 || true
echo "created in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
curl -s "$API/api/v1/namespaces/bench/services" |
	jq -r '.items[] | "\(.metadata.name) \(.spec.clusterIP)"' >"$TMP/ips"
have=$(wc -l <"$TMP/ips")
[ "$have" = "$n" ] || { echo "dns.sh: only $have of $n Services were created" >&2; exit 1; }

# The same records for Knot, and the queries.
{
	printf '$ORIGIN cluster.local.\n$TTL 5\n@ SOA ns.dns hostmaster 1 7200 1800 86400 5\n@ NS ns.dns\n'
	printf 'ns.dns A 127.0.0.1\ndns-version TXT "1.1.0"\n'
	awk '{ printf "%s.bench.svc A %s\n_http._tcp.%s.bench.svc SRV 0 100 80 %s.bench.svc\n", $1, $2, $1, $1 }' "$TMP/ips"
} >"$TMP/cluster.local.zone"
awk '{ printf "%s.bench.svc.cluster.local A\n_http._tcp.%s.bench.svc.cluster.local SRV\n", $1, $1 }' "$TMP/ips" |
	shuf --random-source=<(yes) >"$TMP/queries"

# svcnet dns.
"$SVCNET" dns --server "$API" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$TMP/dns.log" 2>&1 &
SVCPID=$!
PIDS+=($SVCPID)
svcport=$(wait_log "$TMP/dns.log" 's/.*dns: serving on .* (port \([0-9]*\)).*/\1/p')
wait_log "$TMP/dns.log" 's/.*dns: \(synced: .*\)/\1/p' >&2

# Knot DNS.
knotport=$(comm -23 <(seq 20000 20999) <(ss -Htaun | awk '{print $5}' | sed 's/.*://' | sort -u) | shuf -n 1)
mkdir -p "$TMP/knot"
cat >"$TMP/knot.conf" <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$knotport
log:
  - target: stderr
    any: warning
database:
    storage: "$TMP/knot"
template:
  - id: default
    storage: "$TMP"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: cluster.local
    file: cluster.local.zone
EOF
knotd -c "$TMP/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOTPID=$!
PIDS+=($KNOTPID)
for _ in $(seq 1 100); do
	[ "$(dig @127.0.0.1 -p "$knotport" +short +time=1 +tries=1 s1.bench.svc.cluster.local 2>/dev/null)" ] && break
	sleep 0.1
done
a=$(dig @127.0.0.1 -p "$svcport" +short s1.bench.svc.cluster.local)
b=$(dig @127.0.0.1 -p "$knotport" +short s1.bench.svc.cluster.local)
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "dns.sh: the servers disagree on s1: '$a' vs '$b'" >&2; exit 1; }

# mem PID: "VmRSS VmHWM" of the process, in kB.
mem() {
	awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r, h }' "/proc/$1/status"
}
read -r svc_loaded _ < <(mem "$SVCPID")
read -r knot_loaded _ < <(mem "$KNOTPID")

# run NAME PORT PID LOADED: qps and average latency from a full run, p99 from
# a short verbose run (dnsperf prints every answer's latency there), RSS
# after and peak RSS.
run() {
	local out qps avg p99 rss hwm
	out=$(dnsperf -s 127.0.0.1 -p "$2" -d "$TMP/queries" -c "$clients" -q "$outstanding" -l "$secs" 2>&1)
	qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
	avg=$(sed -n 's/.*Average Latency (s): *\([0-9.]*\).*/\1/p' <<<"$out")
	lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
	p99=$(dnsperf -s 127.0.0.1 -p "$2" -d "$TMP/queries" -c "$clients" -q "$outstanding" -l 5 -v 2>/dev/null |
		awk '$1 == ">" && NF >= 5 { print $NF }' | sort -g |
		awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] }')
	read -r rss hwm < <(mem "$3")
	echo "$1 $qps $avg $p99 $4 $rss $hwm $lost"
}
echo "dnsperf -c $clients -q $outstanding -l $secs against each server..." >&2
r1=$(run svcnet "$svcport" "$SVCPID" "$svc_loaded")
r2=$(run knot "$knotport" "$KNOTPID" "$knot_loaded")

printf '\n%-8s %12s %14s %14s %12s %10s %10s %8s\n' server "queries/s" "avg latency" \
	"p99 latency" "RSS loaded" "RSS after" "peak RSS" lost
for r in "$r1" "$r2"; do
	read -r name qps avg p99 loaded rss hwm lost <<<"$r"
	printf '%-8s %12.0f %11.3f ms %11.3f ms %9.1f MB %7.1f MB %7.1f MB %8s\n' "$name" "$qps" \
		"$(echo "$avg * 1000" | bc -l)" "$(echo "${p99:-0} * 1000" | bc -l)" \
		"$(echo "$loaded / 1024" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
		"$(echo "$hwm / 1024" | bc -l)" "$lost"
done
read -r _ q1 a1 p1 _ m1 _ <<<"$r1"
read -r _ q2 a2 p2 _ m2 _ <<<"$r2"
printf '\nsvcnet / knot: queries/s %.2fx, avg latency %.2fx, p99 latency %.2fx, RSS %.2fx\n' \
	"$(echo "$q1 / $q2" | bc -l)" "$(echo "$a1 / $a2" | bc -l)" \
	"$(echo "${p1:-0} / ${p2:-1}" | bc -l)" "$(echo "$m1 / $m2" | bc -l)"
echo "($n Services as A + SRV, $((2 * n)) names queried in a shuffled mix; one machine, $(nproc) cores)"
