#!/bin/bash
# Controllers benchmark: PODS pods behind SERVICES Services (10,000 behind
# 1,000 by default), all created before `svcnet controllers` starts. Measures
# the time from its start to every EndpointSlice and Endpoints written; the
# time from flipping the readiness of one pod per Service to every slice
# showing it; a restart (which must write nothing); and the API writes each
# phase issued, from the API server's apiserver_request_total. Prints a table.
#
# usage: bench/controllers.sh [-s SERVICES] [-p PODS_PER_SERVICE] [-w WORKERS]
#
# Everything runs on 127.0.0.1 against a fresh API server with a throwaway
# data directory, deleted at the end. Each wait is bounded (TIMEOUT seconds).
set -eu

services=1000
per=10
workers=4
TIMEOUT=300
while getopts s:p:w:h opt; do
	case $opt in
	s) services=$OPTARG ;;
	p) per=$OPTARG ;;
	w) workers=$OPTARG ;;
	*) echo "usage: $0 [-s SERVICES] [-p PODS_PER_SERVICE] [-w WORKERS]" >&2; exit 2 ;;
	esac
done
pods=$((services * per))
command -v jq >/dev/null || { echo "controllers.sh: needs jq" >&2; exit 1; }

cd "$(dirname "$0")/.."
mkdir -p build
if ! make -j2 build/svcnet >build/bench-make.log 2>&1; then
	if [ -x build/svcnet ]; then
		echo "controllers.sh: make failed (see build/bench-make.log); using the existing build/svcnet" >&2
	else
		echo "controllers.sh: make failed and there is no build/svcnet" >&2
		exit 1
	fi
fi

data=$(mktemp -d)
api=
ctl=
cleanup() {
	for p in $ctl $api; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until WHAT COMMAND...: polls every 0.1 s, at most TIMEOUT seconds.
wait_until() {
	local what=$1 deadline=$(($(date +%s) + TIMEOUT))
	shift
	until "$@"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "controllers.sh: timed out waiting for $what" >&2
			tail -5 "$data/ctl.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

build/svcnet apiserver --data-dir "$data/store" --listen 127.0.0.1:0 --watch-cache-size 200000 \
	2>"$data/api.log" &
api=$!
port=
wait_until "the API server" sh -c "grep -q 'serving on' '$data/api.log'"
port=$(sed -n 's/.*serving on .* (port \([0-9]*\)).*/\1/p' "$data/api.log" | head -1)
S=http://127.0.0.1:$port
NS=$S/api/v1/namespaces/default

# curl_many FILE: the requests of a curl config file, 16 at a time over keep-alive.
curl_many() { curl -s --no-progress-meter --parallel --parallel-max 16 -K "$1" >/dev/null 2>&1 || true; }

# Writes the API server has answered, by resource (sum over verbs and codes).
writes() { # RESOURCE
	curl -s "$S/metrics" | awk -v r="resource=\"$1\"" '/^apiserver_request_total/ && index($0, r) &&
		/verb="(create|update|patch|delete)"/ { s += $NF } END { print s + 0 }'
}

echo "setting up: $services Services, $pods pods ..." >&2
t0=$(now_ms)
for i in $(seq 0 $((services - 1))); do
	[ "$i" = 0 ] || echo next
	printf 'url = "%s/services"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$NS"
	printf 'data = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Service\\",\\"metadata\\":{\\"name\\":\\"s%d\\"},\\"spec\\":{\\"selector\\":{\\"app\\":\\"a%d\\"},\\"ports\\":[{\\"name\\":\\"http\\",\\"port\\":80,\\"targetPort\\":\\"http\\"}]}}"\n' "$i" "$i"
done >"$data/svc.cfg"
curl_many "$data/svc.cfg"
ip() { echo "10.$((128 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; } # outside 10.96.0.0/12
for j in $(seq 0 $((pods - 1))); do
	[ "$j" = 0 ] || echo next
	printf 'url = "%s/pods"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$NS"
	printf 'data = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Pod\\",\\"metadata\\":{\\"name\\":\\"p%d\\",\\"labels\\":{\\"app\\":\\"a%d\\"}},\\"spec\\":{\\"containers\\":[{\\"name\\":\\"c\\",\\"image\\":\\"x\\",\\"ports\\":[{\\"name\\":\\"http\\",\\"containerPort\\":8080}]}]}}"\n' "$j" "$((j % services))"
done >"$data/pods.cfg"
curl_many "$data/pods.cfg"
# status_cfg READY FIRST COUNT: Ready patches of pods FIRST.. FIRST+COUNT-1.
status_cfg() {
	for j in $(seq "$2" $(($2 + $3 - 1))); do
		[ "$j" = "$2" ] || echo next
		printf 'url = "%s/pods/p%d/status"\nrequest = "PATCH"\nheader = "Content-Type: application/merge-patch+json"\n' "$NS" "$j"
		printf 'data = "{\\"status\\":{\\"phase\\":\\"Running\\",\\"podIP\\":\\"%s\\",\\"conditions\\":[{\\"type\\":\\"Ready\\",\\"status\\":\\"%s\\"}]}}"\n' "$(ip "$j")" "$1"
	done
}
status_cfg True 0 "$pods" >"$data/ready.cfg"
curl_many "$data/ready.cfg"
# One pod per Service goes not ready in the flip phase.
status_cfg False 0 "$services" >"$data/flip.cfg"
have=$(curl -s "$NS/pods?limit=1" >/dev/null; curl -s "$NS/services" | jq '.items | length')
echo "set up in $((($(now_ms) - t0) / 1000)) s ($have Services)" >&2

# Counts over the slices: "SLICES ENDPOINTS NOT_READY".
slice_stats() {
	curl -s "$S/apis/discovery.k8s.io/v1/endpointslices" | jq -r '[.items[] |
		select(.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")] |
		"\(length) \([.[].endpoints | length] | add // 0) \([.[].endpoints[] | select(.conditions.ready == false)] | length)"'
}
endpoints_total() {
	curl -s "$NS/endpoints" | jq '[.items[].subsets[]? | (.addresses // []) + (.notReadyAddresses // []) | length] | add // 0'
}
mport=
# The controllers' own counters, cheap to poll (a list of every slice is not).
metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
changes() { # KIND OPERATION
	metric "$1_controller_changes{operation=\"$2\"}"
}
# written OP N [BASE_SLICES BASE_ENDPOINTS]: N more slice and Endpoints writes of OP.
written() {
	[ "$(changes endpoint_slice "$1")" -ge $((${3:-0} + $2)) ] &&
		[ "$(changes endpoints "$1")" -ge $((${4:-0} + $2)) ]
}
verify() { # WHAT EXPECTED_SLICE_STATS
	local got
	got=$(slice_stats)
	if [ "$got" != "$2" ] || [ "$(endpoints_total)" != "$pods" ]; then
		echo "controllers.sh: $1: slices say '$got' (slices endpoints not-ready), want '$2'" >&2
		exit 1
	fi
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$ctl/status"; }

start_ctl() {
	: >"$data/ctl.log"
	build/svcnet controllers --server "$S" --workers "$workers" --metrics-listen 127.0.0.1:0 \
		2>"$data/ctl.log" &
	ctl=$!
	wait_until "the controllers' metrics port" sh -c "grep -q 'metrics on' '$data/ctl.log'"
	mport=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$data/ctl.log" | head -1)
}

# ---- phase 1: start to everything written ----
s0=$(writes endpointslices)
e0=$(writes endpoints)
t0=$(now_ms)
start_ctl
wait_until "every slice and Endpoints" written create "$services"
t_start=$(($(now_ms) - t0))
verify "after the start" "$services $pods 0"
s1=$(writes endpointslices)
e1=$(writes endpoints)
rss1=$(rss_kb)

# ---- phase 2: readiness of one pod per Service flips ----
u0=$(changes endpoint_slice update)
ue0=$(changes endpoints update)
t0=$(now_ms)
curl_many "$data/flip.cfg"
t_patched=$(($(now_ms) - t0))
wait_until "the flipped pods in every slice" written update "$services" "$u0" "$ue0"
t_flip=$(($(now_ms) - t0))
wait_until "the controllers' queue to drain" sh -c "[ \"\$(curl -s http://127.0.0.1:$mport/metrics | sed -n 's/^workqueue_depth{name=\"services\"} //p')\" = 0 ]"
sleep 1
verify "after the flip" "$services $pods $services"
s2=$(writes endpointslices)
e2=$(writes endpoints)

# ---- phase 3: restart, which must write nothing ----
kill "$ctl"
wait "$ctl" || true
t0=$(now_ms)
start_ctl
wait_until "the restarted controllers to sync" sh -c "grep -q 'caches synced' '$data/ctl.log'"
wait_until "every Service synced again" sh -c "[ \"\$(curl -s http://127.0.0.1:$mport/metrics | sed -n 's/^svcnet_controllers_syncs_total //p')\" -ge $services ]"
t_restart=$(($(now_ms) - t0))
sleep 1
s3=$(writes endpointslices)
e3=$(writes endpoints)
rss3=$(rss_kb)

per_change() { awk -v w="$1" -v n="$2" 'BEGIN { printf "%.2f", w / n }'; }
echo
echo "svcnet controllers: $services Services x $per pods = $pods pods, $workers workers, $(nproc) cores"
echo
printf '| %-42s | %10s | %12s | %10s | %14s |\n' phase "time (ms)" "slice writes" "Endpoints writes" "writes/change"
printf '| %-42s | %10s | %12s | %10s | %14s |\n' --- --- --- --- ---
printf '| %-42s | %10d | %12d | %16d | %14s |\n' "start to all $services Services written" "$t_start" \
	$((s1 - s0)) $((e1 - e0)) "$(per_change $((s1 - s0 + e1 - e0)) "$services") per Service"
printf '| %-42s | %10d | %12d | %16d | %14s |\n' "$services pods not ready to all slices showing it" "$t_flip" \
	$((s2 - s1)) $((e2 - e1)) "$(per_change $((s2 - s1 + e2 - e1)) "$services") per pod"
printf '| %-42s | %10d | %12d | %16d | %14s |\n' "restart to every Service synced again" "$t_restart" \
	$((s3 - s2)) $((e3 - e2)) "-"
echo
echo "(the $services status PATCHes of the flip themselves took $t_patched ms; controllers RSS ${rss1} kB after the first sync, ${rss3} kB after the restart)"
