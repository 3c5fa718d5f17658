#!/bin/bash
# The proxy in userspace mode, in network namespaces this test makes: a node
# namespace (API server, proxy, capture rules), three backend namespaces and
# a client namespace, joined to the node by veth pairs, with no route
# anywhere else. Checks: rr spreads 30 connections 10/10/10; a dead or
# silent backend is skipped; ClientIP affinity pins a client; lc picks the
# backend with fewer open connections; UDP; NodePort; a Service without
# endpoints is refused at once; removing endpoints stops traffic; metrics;
# --cleanup leaves no rule.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SVCNET=${SVCNET:-$ROOT/build/svcnet}
ID=${SVCN_TEST_ID:-$$}
NODE=svcn-node-$ID
CLIENT=svcn-cl-$ID
BACKENDS="svcn-b1-$ID svcn-b2-$ID svcn-b3-$ID"

if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 0; }
	for t in ip iptables socat curl kubectl jq; do
		command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 0; }
	done
	ip netns add "$NODE" || { echo "FAIL: ip netns add"; exit 1; }
	teardown() {
		for ns in $NODE $CLIENT $BACKENDS; do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
	}
	trap teardown EXIT
	set -e
	ip -n "$NODE" link set lo up
	# Service addresses need a route in the node for capture to see them; a
	# veth whose peer is down drops whatever is not captured.
	ip -n "$NODE" link add svc0 type veth peer name svc0p
	ip -n "$NODE" link set svc0 up
	ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NODE" route add 10.96.0.0/12 dev svc0
	i=0
	for ns in $BACKENDS $CLIENT; do
		i=$((i + 1))
		[ "$ns" = "$CLIENT" ] && i=9
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip link add "v$i-$ID" netns "$NODE" type veth peer name eth0 netns "$ns"
		ip -n "$NODE" addr add "10.244.$i.1/24" dev "v$i-$ID"
		ip -n "$NODE" link set "v$i-$ID" up
		ip -n "$ns" addr add "10.244.$i.2/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add 10.96.0.0/12 via "10.244.$i.1"
	done
	# An address that is routed but never answers (svc0 drops it).
	ip -n "$NODE" route add 10.244.50.0/24 dev svc0
	set +e
	SVCN_TEST_ID=$ID timeout 300 ip netns exec "$NODE" bash "$0" --inner
	exit $?
fi

. "$ROOT/tests/e2e/lib.sh"
export CLIENT BACKENDS
VIP=10.96.100.10
inb() { ip netns exec "$1" "${@:2}"; }
cl() { ip netns exec "$CLIENT" "$@"; }

# Backends: b1..b3 answer their name on TCP 8080 (and on 8081, keeping the
# connection open until the client closes) and on UDP 5353.
i=0
for ns in $BACKENDS; do
	i=$((i + 1))
	# exec: the pid file names socat itself, so that it can be stopped alone.
	inb "$ns" bash -c "echo \$\$ >$TMP/b$i.pid; exec socat TCP-LISTEN:8080,fork,reuseaddr \
		SYSTEM:'echo b$i'" 2>/dev/null &
	PIDS+=($!)
	inb "$ns" socat TCP-LISTEN:8081,fork,reuseaddr SYSTEM:"echo b$i; cat >/dev/null" 2>/dev/null &
	PIDS+=($!)
	inb "$ns" socat UDP-RECVFROM:5353,fork SYSTEM:"echo u$i" 2>/dev/null &
	PIDS+=($!)
done

start_apiserver "$TMP/data" || { fail "start API server"; finish; }
kubectl() { command kubectl --server "$SERVER" --request-timeout=20s "$@"; }

svc() { # name clusterIP port protocol [extra spec JSON]
	kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"name":"$1","namespace":"default"},
 "spec":{"clusterIP":"$2","ports":[{"name":"p","port":$3,"protocol":"$4"}]${5:-}}}
EOF
}
slice() { # name service port protocol addresses...
	local name=$1 svcname=$2 port=$3 proto=$4 eps="" a
	shift 4
	for a in "$@"; do eps="$eps${eps:+,}{\"addresses\":[\"$a\"],\"conditions\":{\"ready\":true}}"; done
	kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"$name",
 "namespace":"default","labels":{"kubernetes.io/service-name":"$svcname"}},
 "addressType":"IPv4","ports":[{"name":"p","port":$port,"protocol":"$proto"}],
 "endpoints":[$eps]}
EOF
}
BE="10.244.1.2 10.244.2.2 10.244.3.2"
svc web $VIP 80 TCP
slice web-1 web 8080 TCP $BE
svc udp 10.96.100.11 53 UDP
slice udp-1 udp 5353 UDP $BE
svc empty 10.96.100.12 80 TCP
kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"name":"np","namespace":"default"},
 "spec":{"type":"NodePort","clusterIP":"10.96.100.13",
 "ports":[{"name":"p","port":80,"protocol":"TCP","nodePort":30080}]}}
EOF
slice np-1 np 8080 TCP 10.244.1.2

PLOG=$TMP/proxy.log
start_proxy() { # extra flags
	"$SVCNET" proxy --server "$SERVER" --node node-a --mode userspace --min-sync-period 100ms --sync-period 2s \
		--metrics-listen 127.0.0.1:10249 "$@" >>"$PLOG" 2>&1 &
	PROXY=$!
	PIDS+=($PROXY)
	for _ in $(seq 1 100); do
		curl -fs http://127.0.0.1:10249/readyz >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# wait_rules REGEX: until the nat chain matches (5 s at most).
wait_rules() {
	for _ in $(seq 1 50); do
		iptables -t nat -S SVCNET-USERSPACE 2>/dev/null | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {
	for _ in $(seq 1 50); do
		iptables -t nat -S SVCNET-USERSPACE 2>/dev/null | grep -Eq -- "$1" || return 0
		sleep 0.1
	done
	return 1
}
get() { cl socat -T3 - "TCP:$1" </dev/null 2>&1; }

if start_proxy; then pass "proxy starts and syncs"; else
	fail "proxy starts and syncs"
	tail -20 "$PLOG"
	finish
fi
wait_rules "$VIP/32 .*--dport 80 .*REDIRECT" && pass "clusterIP:port redirected to a proxy port" ||
	fail "no REDIRECT rule for $VIP:80"
expect_match "a Service without endpoints is rejected in the filter table" \
	"10.96.100.12/32 .*has no endpoints.* -j REJECT" "$(iptables -S SVCNET-USERSPACE-REJECT 2>&1)"

# rr: 30 connections over 3 backends land 10/10/10.
out=$(for _ in $(seq 1 30); do get $VIP:80; done | sort | uniq -c | awk '{print $2"="$1}' | xargs)
expect_eq "rr spreads 30 connections 10/10/10" "b1=10 b2=10 b3=10" "$out"
expect_eq "the node itself reaches the clusterIP (OUTPUT capture)" b1 \
	"$(socat -T3 - TCP:$VIP:80 </dev/null 2>&1 | sed 's/b[23]/b1/')"
expect_match "HTTP-level client through the proxy (curl gets the backend's bytes)" \
	'^b[123]$' "$(cl curl -s --http0.9 --max-time 3 http://$VIP/ 2>&1)"

sleep 2.1 # one more full resync at least
expect_eq "full resyncs keep one jump per built-in chain" "2 3" \
	"$(iptables-save -t nat | grep -c -- '-j SVCNET-USERSPACE$') $(iptables-save -t filter | grep -c -- '-j SVCNET-USERSPACE-REJECT$')"

# A dead backend (refuses) and a silent one (never answers): every request succeeds.
kill "$(cat "$TMP/b2.pid")" # b2's server on 8080
sleep 0.2
expect_match "b2's server is down" 'refused' "$(socat -T2 - TCP:10.244.2.2:8080 </dev/null 2>&1)"
slice web-1 web 8080 TCP $BE 10.244.50.2
wait_rules "$VIP/32" >/dev/null
sleep 0.5
ok=0
start=$(date +%s%N)
for _ in $(seq 1 12); do
	case $(get $VIP:80) in b1 | b3) ok=$((ok + 1)) ;; esac
done
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "with one backend refusing and one silent, 12 of 12 requests succeed" 12 "$ok"
[ "$ms" -lt 8000 ] && pass "retries are quick (12 requests in $ms ms)" ||
	fail "12 requests took $ms ms"
expect_match "the proxy logged the retries" 'trying another' "$(cat "$PLOG")"
inb svcn-b2-$ID socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:"echo b2" 2>/dev/null &
PIDS+=($!)
sleep 0.2
slice web-1 web 8080 TCP $BE

# ClientIP affinity: every request of this client lands on one backend.
kubectl patch svc web -p '{"spec":{"sessionAffinity":"ClientIP"}}' >/dev/null
sleep 0.6
out=$(for _ in $(seq 1 12); do get $VIP:80; done | sort -u | xargs)
expect_match "ClientIP affinity pins the client to one backend" '^b[123]$' "$out"
kubectl patch svc web -p '{"spec":{"sessionAffinity":"None"}}' >/dev/null
sleep 0.6
out=$(for _ in $(seq 1 6); do get $VIP:80; done | sort -u | wc -l)
expect_eq "without affinity the client is spread again" 3 "$out"

# UDP.
out=$(for _ in $(seq 1 3); do echo hi | cl socat -T1 - UDP:10.96.100.11:53 2>&1; sleep 0.3; done | sort | xargs)
expect_eq "UDP reaches each backend in turn" "u1 u2 u3" "$out"

# NodePort on the node's address, from the client.
expect_eq "a NodePort reaches the backend" b1 "$(get 10.244.9.1:30080)"

# No endpoints: refused at once.
start=$(date +%s%N)
out=$(get 10.96.100.12:80)
ms=$((($(date +%s%N) - start) / 1000000))
expect_match "a Service without endpoints refuses" 'refused|reset' "$out"
[ "$ms" -lt 1000 ] && pass "... at once ($ms ms)" || fail "refusal took $ms ms"

# Removing the endpoints stops traffic.
kubectl delete endpointslice web-1 >/dev/null
wait_gone "$VIP/32 .*REDIRECT" && pass "the redirect goes with the endpoints" ||
	fail "redirect still there"
expect_match "with no endpoints left, the clusterIP refuses" 'refused|reset' "$(get $VIP:80)"

metrics=$(curl -s http://127.0.0.1:10249/metrics)
expect_match "metrics: sync duration histogram" 'kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]' "$metrics"
expect_match "metrics: network programming latency" 'kubeproxy_network_programming_duration_seconds_count [1-9]' "$metrics"
expect_match "metrics: services programmed" 'svcnet_proxy_services_programmed 4' "$metrics"
expect_match "metrics: connect retries counted" 'svcnet_proxy_userspace_connect_retries_total [1-9]' "$metrics"
expect_eq "healthz" ok "$(curl -s http://127.0.0.1:10249/healthz)"

# lc, in a proxy restarted with --scheduler lc: with b1 and b2 busy, b3 twice.
kill -TERM $PROXY
wait $PROXY 2>/dev/null
expect_eq "SIGTERM: the proxy removes its redirects" 0 \
	"$(iptables -t nat -S 2>/dev/null | grep -c 'SVCNET-USERSPACE')"
svc hold 10.96.100.14 80 TCP
slice hold-1 hold 8081 TCP $BE
start_proxy --scheduler lc || fail "proxy restarts with lc"
wait_rules "10.96.100.14/32" >/dev/null
(sleep 2.5 | cl socat -T5 - TCP:10.96.100.14:80 >"$TMP/lcA" 2>&1) &
A=$!
sleep 0.3
(sleep 2.5 | cl socat -T5 - TCP:10.96.100.14:80 >"$TMP/lcB" 2>&1) &
B=$!
sleep 0.3
c=$(get 10.96.100.14:80 | head -c2)
sleep 0.2
d=$(get 10.96.100.14:80 | head -c2)
wait $A $B
expect_eq "lc: the first two long connections go to b1 and b2" "b1 b2" "$(cat "$TMP/lcA" "$TMP/lcB" | xargs)"
expect_eq "lc: new connections go to the idle backend, twice" "b3 b3" "$c $d"

# --cleanup after a crash removes every rule.
kill -9 $PROXY
wait $PROXY 2>/dev/null
expect_match "after kill -9 the rules are still there" 'SVCNET-USERSPACE' "$(iptables -t nat -S)"
"$SVCNET" proxy --cleanup >>"$PLOG" 2>&1
expect_eq "--cleanup leaves no rule (nat)" 0 "$(iptables -t nat -S | grep -c SVCNET)"
expect_eq "--cleanup leaves no rule (filter)" 0 "$(iptables -S | grep -c SVCNET)"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$PLOG"; then
	fail "the sanitizers found a fault in the proxy"
	grep -E -A12 'AddressSanitizer|LeakSanitizer|runtime error' "$PLOG" | head -40
fi
if [ "$FAILED" != 0 ]; then
	echo "--- proxy log"
	tail -40 "$PLOG"
fi
finish
