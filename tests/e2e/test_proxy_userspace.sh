#!/bin/bash
# The proxy in userspace mode, in network namespaces this test makes: a node
# namespace (API server, proxy, capture rules), three backend namespaces and
# a client namespace, joined to the node by veth pairs, with no route
# anywhere else. Checks: rr spreads 30 connections 10/10/10; a dead or
# silent backend is skipped; ClientIP affinity pins a client; lc picks the
# backend with fewer open connections; UDP; NodePort; a Service without
# endpoints is refused at once; removing endpoints stops traffic; metrics;
# --cleanup leaves no rule.
. "$(dirname "$0")/proxy_lib.sh"
MODE=userspace
proxy_names u 3

if [ "${1:-}" != --inner ]; then
	proxy_need iptables socat curl kubectl jq
	proxy_netns 10.96.0.0/12
	# An address that is routed but never answers (svc0 drops it).
	ip -n "$NODE" route add 10.244.50.0/24 dev svc0
	proxy_inner 300
fi

. "$ROOT/tests/e2e/lib.sh"

# Backends: b1..b3 answer their name on TCP 8080 and UDP 5353, and on 8081,
# keeping the connection open until the client closes.
start_backends
i=0
for ns in $BACKENDS; do
	i=$((i + 1))
	inb "$ns" socat TCP-LISTEN:8081,fork,reuseaddr SYSTEM:"echo b$i; cat >/dev/null" 2>/dev/null &
	PIDS+=($!)
done

start_apiserver "$TMP/data" || { fail "start API server"; finish; }
basic_services
get() { cl socat -T3 - "TCP:$1" </dev/null 2>&1; }

proxy_started "proxy starts and syncs" start_proxy --sync-period 2s
wait_rule "$VIP/32 .*--dport 80 .*REDIRECT" && pass "clusterIP:port redirected to a proxy port" ||
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
wait_rule "$VIP/32"
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
inb "$(backend_ns 2)" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:"echo b2" 2>/dev/null &
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
wait_no_rule "$VIP/32 .*REDIRECT" && pass "the redirect goes with the endpoints" ||
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
start_proxy --sync-period 2s --scheduler lc || fail "proxy restarts with lc"
wait_rule "10.96.100.14/32"
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
proxy_finish
