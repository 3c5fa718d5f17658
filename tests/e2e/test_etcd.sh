#!/bin/bash
# Several API servers on one etcd cluster: a real three-member etcd on
# loopback ports with its data in the test's temporary folder, two API
# servers with --store etcd. Reads and watches across servers, unique
# allocations under concurrent creates, a member killed, all of etcd
# stopped and started again, and a client watch resumed after a cut.
. "$(dirname "$0")/lib.sh"
command -v etcd >/dev/null || skip "etcd is not installed (apt-get install etcd-server)"

# Six free loopback ports: random ones that nothing uses (ss), all different.
PORTS=()
for _ in $(seq 1 200); do
	p=$((20000 + RANDOM % 30000))
	[[ " ${PORTS[*]} " == *" $p "* ]] && continue
	[ -z "$(ss -Htan "sport = :$p")" ] && PORTS+=("$p")
	[ ${#PORTS[@]} = 6 ] && break
done
[ ${#PORTS[@]} = 6 ] || { fail "find free loopback ports"; finish; }
CLUSTER=""
EPS=""
for i in 0 1 2; do
	CLUSTER+="${CLUSTER:+,}m$i=http://127.0.0.1:${PORTS[$((i + 3))]}"
	EPS+="${EPS:+,}http://127.0.0.1:${PORTS[$i]}"
done
declare -A EPID

# start_member I: starts member I (a new cluster the first time, the same data after).
start_member() {
	local i=$1 c=http://127.0.0.1:${PORTS[$1]} p=http://127.0.0.1:${PORTS[$(($1 + 3))]}
	etcd --name "m$i" --data-dir "$TMP/etcd$i" --listen-client-urls "$c" \
		--advertise-client-urls "$c" --listen-peer-urls "$p" --initial-advertise-peer-urls "$p" \
		--initial-cluster "$CLUSTER" --initial-cluster-state new \
		--initial-cluster-token "svcnet-e2e-$$" >>"$TMP/etcd$i.log" 2>&1 &
	EPID[$i]=$!
	PIDS+=("$!")
}

# etcd_healthy: true when some member reports a leader.
etcd_healthy() {
	local i
	for i in 0 1 2; do
		curl -s -m 1 -X POST -d '{}' "http://127.0.0.1:${PORTS[$i]}/v3/maintenance/status" |
			jq -e '.leader and .leader != "0"' >/dev/null 2>&1 && return 0
	done
	return 1
}

for i in 0 1 2; do start_member "$i"; done
wait_for 30 etcd_healthy || { fail "a three-member etcd cluster starts"; finish; }
pass "a three-member etcd cluster starts on loopback ports"

FLAGS=(--store etcd --etcd-servers "$EPS" --etcd-prefix /svcnet-e2e)
start_apiserver "$TMP/a1" "${FLAGS[@]}" || { fail "API server 1 starts on etcd"; finish; }
S1=$SERVER
start_apiserver "$TMP/a2" "${FLAGS[@]}" || { fail "API server 2 starts on etcd"; finish; }
S2=$SERVER
NS=api/v1/namespaces/default

post() { curl -s -m 20 -X POST -H 'Content-Type: application/json' --data "$2" "$1"; }
svc() { echo "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"type\":\"${2:-ClusterIP}\",\"ports\":[{\"port\":80}]}}"; }

# Read and watch through the other server.
rv=$(curl -s "$S2/$NS/services" | jq -r .metadata.resourceVersion)
curl -s -N -m 300 "$S2/$NS/services?watch=1&resourceVersion=$rv" >"$TMP/watch2" &
WPID=$!
PIDS+=("$WPID")
ip=$(post "$S1/$NS/services" "$(svc web)" | jq -r .spec.clusterIP)
expect_eq "a Service created through one server is read through the other" "$ip" \
	"$(curl -s "$S2/$NS/services/web" | jq -r .spec.clusterIP)"
seen_in_watch() { grep -q "\"name\":\"$1\"" "$TMP/watch2"; }
wait_for 10 seen_in_watch web && pass "and watched through the other" ||
	fail "the other server's watch shows the Service"

# 100 concurrent NodePort creates, split over both servers.
seq 1 100 | xargs -P 20 -I{} bash -c '
	s=$([ $(({} % 2)) = 0 ] && echo "$0" || echo "$1")
	curl -s -m 30 -o /dev/null -w "%{http_code}\n" -X POST -H "Content-Type: application/json" \
		--data "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"np{}\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}" \
		"$s/api/v1/namespaces/default/services"' "$S1" "$S2" >"$TMP/codes"
expect_eq "100 concurrent creates over two servers succeed" 100 "$(grep -c '^201$' "$TMP/codes")"
list=$(curl -s "$S1/$NS/services")
names='.items[] | select(.metadata.name | startswith("np"))'
expect_eq "100 distinct clusterIPs" 100 "$(jq -r "$names | .spec.clusterIP" <<<"$list" | sort -u | wc -l)"
expect_eq "100 distinct NodePorts" 100 "$(jq -r "$names | .spec.ports[0].nodePort" <<<"$list" | sort -u | wc -l)"
ranges=/svcnet-e2e/ranges/servicenodeports
recorded=$(curl -s -m 10 -X POST "http://127.0.0.1:${PORTS[1]}/v3/kv/range" \
	-d "{\"key\":\"$(printf %s/ $ranges | base64 -w0)\",\"range_end\":\"$(printf %s0 $ranges | base64 -w0)\",\"count_only\":true}")
recorded=$(jq -r '.count // 0' <<<"$recorded")
expect_eq "each NodePort is recorded in etcd once" 100 "$recorded"

# Kill one member: nothing is lost, writes go on, watches go on.
kill -9 "${EPID[0]}"
wait "${EPID[0]}" 2>/dev/null
count() { curl -s -m 20 "$1/$NS/services" | jq '[.items[] | select(.metadata.name | startswith("np"))] | length'; }
expect_eq "with a member killed, server 1 lists all 100" 100 "$(count "$S1")"
expect_eq "and server 2 too" 100 "$(count "$S2")"
code=$(post "$S1/$NS/services" "$(svc after-kill NodePort)" | jq -r .kind)
expect_eq "writes go on through server 1" Service "$code"
code=$(post "$S2/$NS/services" "$(svc after-kill-2)" | jq -r .kind)
expect_eq "writes go on through server 2" Service "$code"
wait_for 15 seen_in_watch after-kill && pass "server 2's watch goes on after the member died" ||
	fail "server 2's watch sees writes after the member died"

# Stop all of etcd: 503 with a message; start it again: healthy.
for i in 1 2; do kill "${EPID[$i]}"; done
for i in 1 2; do wait "${EPID[$i]}" 2>/dev/null; done
out=$(curl -s -m 30 -w '\n%{http_code}' "$S1/$NS/services")
expect_eq "with etcd stopped, a list is 503" 503 "$(tail -1 <<<"$out")"
expect_match "with a message naming etcd" 'unavailable.*etcd|etcd.*unavailable' "$(head -1 <<<"$out" | jq -r .message)"
out=$(post "$S2/api/v1/namespaces" '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"down"}}')
expect_eq "a create is 503" 503 "$(jq -r .code <<<"$out")"
out=$(post "$S2/$NS/services" "$(svc down-svc)")
expect_eq "a Service create is 503" 503 "$(jq -r .code <<<"$out")"
expect_match "/readyz says why" 'etcd' "$(curl -s -m 20 "$S1/readyz")"
for i in 0 1 2; do start_member "$i"; done
wait_for 30 etcd_healthy || fail "etcd starts again"
ok_again() { [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$S1/$NS/services")" = 200 ]; }
wait_for 30 ok_again && pass "after etcd starts again, requests succeed" || fail "requests succeed after etcd is back"
ready() { [ "$(curl -s -m 5 "$1/readyz")" = ok ]; }
wait_for 30 ready "$S2" && pass "and /readyz is ok" || fail "/readyz is ok after etcd is back"
expect_eq "nothing was lost" 100 "$(count "$S2")"
code=$(post "$S2/$NS/services" "$(svc healed NodePort)" | jq -r .kind)
expect_eq "writes work again" Service "$code"
wait_for 15 seen_in_watch healed && pass "server 2's watch resumed after the outage" ||
	fail "server 2's watch sees writes after the outage"

# A client watch cut and resumed from its last resourceVersion sees every event once.
rv=$(curl -s "$S1/$NS/services" | jq -r .metadata.resourceVersion)
curl -s -N -m 3 "$S1/$NS/services?watch=1&resourceVersion=$rv" >"$TMP/w1" &
CPID=$!
sleep 0.5
for i in 0 1 2 3 4; do post "$S1/$NS/services" "$(svc "cut$i")" >/dev/null; done
wait "$CPID"
last=$(tail -1 "$TMP/w1" | jq -r .object.metadata.resourceVersion)
for i in 5 6 7 8 9; do post "$S2/$NS/services" "$(svc "cut$i")" >/dev/null; done
curl -s -N -m 3 "$S2/$NS/services?watch=1&resourceVersion=$last" >"$TMP/w2"
seen=$(cat "$TMP/w1" "$TMP/w2" | jq -r 'select(.type == "ADDED") | .object.metadata.name' | grep '^cut' | sort | uniq -c)
expect_eq "a watch resumed on the other server after a cut sees 10 events" 10 "$(wc -l <<<"$seen")"
expect_eq "each once" 10 "$(grep -c '^ *1 ' <<<"$seen")"
finish
