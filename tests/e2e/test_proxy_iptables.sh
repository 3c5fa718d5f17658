#!/bin/bash
# The proxy's kernel modes (iptables here; test_proxy_nftables.sh and
# test_proxy_ipvs.sh run this script with SVCN_PROXY_MODE set), in network
# namespaces this test makes: a node (API server, proxy, rules), three
# backends and a client, joined to the node by veth pairs, with no route
# anywhere else. Checks: 60 requests from the client reach all three
# backends with no failure, and the node itself reaches the clusterIP; UDP;
# an IPv6 clusterIP over IPv6 backends (ip6 rules);
# a not-ready backend stops receiving within 2 s; ClientIP affinity sticks;
# a NodePort answers on the node's address and not on 127.0.0.1; a Service
# without endpoints is refused in under a second; so are an unallocated
# address of the service range and a clusterIP's unserved port (TCP and
# UDP; the node's route to the range goes nowhere, so a miss would time
# out); a UDP client moves when
# its backend goes (conntrack); a failing restore is reported and recovered
# from (iptables); --cleanup leaves no rule.
. "$(dirname "$0")/proxy_lib.sh"
MODE=${SVCN_PROXY_MODE:-iptables}
proxy_names k 3

if [ "${1:-}" != --inner ]; then
	proxy_need iptables socat curl kubectl conntrack
	[ "$MODE" != nftables ] || proxy_need nft
	proxy_netns default
	proxy_netns_v6 fd00:96::/108
	# The node's own address on svc0 lies outside the cluster CIDR, so its
	# own connections are masqueraded.
	ip -n "$NODE" addr add 192.168.77.1/32 dev svc0
	proxy_inner 120
fi

. "$ROOT/tests/e2e/lib.sh"
start_backends
i=0
for ns in $BACKENDS; do # the same answers over IPv6
	i=$((i + 1))
	inb "$ns" socat TCP6-LISTEN:8080,ipv6only=1,fork,reuseaddr SYSTEM:"echo b$i" 2>/dev/null &
	PIDS+=($!)
done
start_apiserver "$TMP/data" --service-cidr 10.96.0.0/12,fd00:96::/108 ||
	{ fail "start API server"; finish; }
basic_services
# An IPv6 Service over the same three backends.
kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"name":"web6","namespace":"default"},
 "spec":{"clusterIP":"fd00:96::10","ipFamilies":["IPv6"],"ports":[{"name":"p","port":80,"protocol":"TCP"}]}}
EOF
kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web6-1",
 "namespace":"default","labels":{"kubernetes.io/service-name":"web6"}},
 "addressType":"IPv6","ports":[{"name":"p","port":8080,"protocol":"TCP"}],
 "endpoints":[{"addresses":["fd00:244:1::2"]},{"addresses":["fd00:244:2::2"]},{"addresses":["fd00:244:3::2"]}]}
EOF

# A wrapper earlier in PATH fails every restore while $TMP/fail exists.
mkdir -p "$TMP/bin"
for t in iptables-legacy-restore iptables-restore; do
	cat >"$TMP/bin/$t" <<EOF
#!/bin/sh
[ -e "$TMP/fail" ] && { cat >/dev/null; echo "injected failure" >&2; exit 1; }
exec $(command -v $t) "\$@"
EOF
	chmod +x "$TMP/bin/$t"
done

PROXY_WRAP=(env "PATH=$TMP/bin:$PATH")
proxy_started "$MODE proxy starts and syncs" start_proxy \
	--cluster-cidr 10.244.0.0/16 --service-cidr 10.96.0.0/12,fd00:96::/108 --sync-period 3s
# For the rule checks (rules).
IPT=iptables
grep -q "legacy back end" "$PLOG" && IPT=iptables-legacy
if [ "$MODE" = ipvs ]; then
	expect_match "ipvs mode logs its fallback" \
		'IPVS is not available in this kernel; falling back to iptables mode|IPVS is available' "$(cat "$PLOG")"
fi
get() { $1 socat -T2 - "TCP:$2" </dev/null 2>&1; }

out=$(for _ in $(seq 1 60); do get cl $VIP:80; done | sort | uniq -c | awk '{print $2}' | xargs)
expect_eq "60 requests from the client reach b1, b2 and b3 with no failure" "b1 b2 b3" "$out"
bad=$(for _ in $(seq 1 60); do get cl $VIP:80; done | grep -vc '^b[123]$')
expect_eq "... and none of 60 more fails" 0 "$bad"
out=$(for _ in $(seq 1 30); do get "" $VIP:80; done | sort -u | xargs)
expect_eq "the node itself reaches all three backends" "b1 b2 b3" "$out"
# Random choice: ask until all three answered (30 tries miss one with odds of 1 in 10^5).
udp_seen=""
for _ in $(seq 1 30); do
	udp_seen=$(printf '%s\n' $udp_seen "$(echo hi | cl socat -T1 - UDP:10.96.100.11:53 2>&1)" | grep '^u[123]$' | sort -u | xargs)
	[ "$udp_seen" = "u1 u2 u3" ] && break
done
expect_eq "UDP reaches the backends" "u1 u2 u3" "$udp_seen"
out=$(for _ in $(seq 1 30); do get cl "[fd00:96::10]:80"; done | sort -u | xargs)
expect_eq "an IPv6 clusterIP reaches all three backends over IPv6" "b1 b2 b3" "$out"
case $MODE in
nftables) rules6=$(nft list table ip6 svcnet 2>&1) ;;
*) rules6=$("${IPT/iptables/ip6tables}-save" 2>&1) ;;
esac
expect_match "... through the IPv6 rules" 'fd00:96::10' "$rules6"

# A backend made not-ready stops receiving within 2 s.
slice web-1 web 8080 TCP 10.244.1.2 10.244.2.2:notready 10.244.3.2
sleep 2
out=$(for _ in $(seq 1 30); do get cl $VIP:80; done | sort -u | xargs)
expect_eq "a not-ready backend gets no traffic 2 s later" "b1 b3" "$out"
slice web-1 web 8080 TCP $BE

# ClientIP affinity.
kubectl patch svc web -p '{"spec":{"sessionAffinity":"ClientIP"}}' >/dev/null
sleep 1
out=$(for _ in $(seq 1 15); do get cl $VIP:80; done | sort -u | xargs)
expect_match "ClientIP affinity pins the client to one backend" '^b[123]$' "$out"
kubectl patch svc web -p '{"spec":{"sessionAffinity":"None"}}' >/dev/null
sleep 1
out=$(for _ in $(seq 1 20); do get cl $VIP:80; done | sort -u | wc -l)
expect_eq "without affinity the client is spread again" 3 "$out"

# NodePort: on the node's address, not on loopback.
expect_eq "a NodePort answers on the node's address" b1 "$(get cl 10.244.9.1:30080)"
expect_match "a NodePort does not answer on 127.0.0.1" 'refused|Connection|timed' "$(get "" 127.0.0.1:30080)"

# No endpoints: refused at once.
start=$(date +%s%N)
out=$(get cl 10.96.100.12:80)
ms=$((($(date +%s%N) - start) / 1000000))
expect_match "a Service without endpoints is refused" 'refused|reset' "$out"
[ "$ms" -lt 1000 ] && pass "... in under a second ($ms ms)" || fail "refusal took $ms ms"

# The rest of the service range: refused at once, from the client namespace
# only (the node's route to the range is a veth whose peer is down).
case $MODE in
nftables) range_rule='service_range .*elements = \{ 10\.96\.0\.0/12 \}|daddr @service_range reject' ;;
*) range_rule='-d 10\.96\.0\.0/12 .*unallocated service address or port.* -j REJECT' ;;
esac
wait_rule "$range_rule" && pass "the service range is rejected in the rules" ||
	fail "no reject of the service range in the rules"
for dst in 10.96.255.254:80 $VIP:81; do
	start=$(date +%s%N)
	out=$(get cl $dst)
	ms=$((($(date +%s%N) - start) / 1000000))
	expect_match "TCP to $dst (no such Service port) is refused" 'refused' "$out"
	[ "$ms" -lt 1000 ] && pass "... in under a second ($ms ms)" || fail "refusal took $ms ms"
done
start=$(date +%s%N)
out=$(echo hi | cl socat -T2 - UDP:10.96.255.254:53 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
expect_match "UDP to an unallocated service address is refused" 'refused' "$out"
[ "$ms" -lt 1500 ] && pass "... at once ($ms ms)" || fail "UDP refusal took $ms ms"
expect_match "... while its served port still answers" '^b[123]$' "$(get cl $VIP:80)"

# UDP: a client pinned by conntrack moves when its backend goes.
udp1() { echo hi | cl socat -T1 - UDP:10.96.100.11:53,sourceport=40000,reuseaddr 2>&1; }
first=$(udp1)
again=$(udp1)
expect_eq "a UDP flow sticks to its backend" "$first" "$again"
left=""
for a in $BE; do [ "u${a:7:1}" = "$first" ] || left="$left $a"; done
slice udp-1 udp 5353 UDP $left
sleep 1
after=$(udp1)
if [ -n "$after" ] && [ "$after" != "$first" ]; then pass "the UDP flow moves off the removed backend ($first -> $after)"; else
	fail "the UDP flow stayed on $first (got '$after')"
fi

if [ "$MODE" != nftables ]; then
	# A failing restore is reported, counted and recovered from.
	touch "$TMP/fail"
	svc late 10.96.100.20 80 TCP
	slice late-1 late 8080 TCP 10.244.3.2
	sleep 1.5
	expect_match "a failing restore is logged" 'injected failure' "$(cat "$PLOG")"
	expect_match "... and counted" 'svcnet_proxy_iptables_restore_failures_total [1-9]' \
		"$(curl -s http://127.0.0.1:10249/metrics)"
	rm -f "$TMP/fail"
	wait_rule '10.96.100.20/32' && pass "... and recovered from" || fail "no recovery after the failure"
	expect_eq "the new Service works after recovery" b3 "$(get cl 10.96.100.20:80)"
fi

metrics=$(curl -s http://127.0.0.1:10249/metrics)
expect_match "metrics: partial syncs happen" 'syncs_total\{kind="partial"\} [1-9]|kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]' "$metrics"

kill -9 $PROXY
wait $PROXY 2>/dev/null
"$SVCNET" proxy --cleanup >>"$PLOG" 2>&1
left=$( (iptables-legacy-save 2>/dev/null; iptables-save 2>/dev/null) | grep -c SVCNET)
expect_eq "--cleanup leaves no SVCNET chain or rule" 0 "$left"
expect_eq "--cleanup leaves no svcnet table" "" "$(nft list tables 2>/dev/null | grep svcnet)"
proxy_finish
