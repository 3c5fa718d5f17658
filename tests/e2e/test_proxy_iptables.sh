#!/bin/bash
# The proxy's kernel modes (iptables here; test_proxy_nftables.sh and
# test_proxy_ipvs.sh run this script with SVCN_PROXY_MODE set), in network
# namespaces this test makes: a node (API server, proxy, rules), three
# backends and a client, joined to the node by veth pairs, with no route
# anywhere else. Checks: 60 requests from the client reach all three
# backends with no failure, and the node itself reaches the clusterIP; UDP;
# a not-ready backend stops receiving within 2 s; ClientIP affinity sticks;
# a NodePort answers on the node's address and not on 127.0.0.1; a Service
# without endpoints is refused in under a second; so are an unallocated
# address of the service range and a clusterIP's unserved port (TCP and
# UDP; the node's route to the range goes nowhere, so a miss would time
# out); a UDP client moves when
# its backend goes (conntrack); a failing restore is reported and recovered
# from (iptables); --cleanup leaves no rule.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SVCNET=${SVCNET:-$ROOT/build/svcnet}
MODE=${SVCN_PROXY_MODE:-iptables}
ID=${SVCN_TEST_ID:-$$}
NODE=svcn-kn-$ID
CLIENT=svcn-kc-$ID
BACKENDS="svcn-k1-$ID svcn-k2-$ID svcn-k3-$ID"

if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 0; }
	for t in ip iptables socat curl kubectl conntrack; do
		command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 0; }
	done
	[ "$MODE" != nftables ] || command -v nft >/dev/null || { echo "SKIP: nft is not installed"; exit 0; }
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
	# Service addresses need a route in the node; a veth whose peer is down
	# drops whatever the rules do not translate. The node's own address on
	# it lies outside the cluster CIDR, so its own connections are masqueraded.
	ip -n "$NODE" link add svc0 type veth peer name svc0p
	ip -n "$NODE" link set svc0 up
	ip -n "$NODE" addr add 192.168.77.1/32 dev svc0
	ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NODE" route add 10.96.0.0/12 dev svc0
	i=0
	for ns in $BACKENDS $CLIENT; do
		i=$((i + 1))
		[ "$ns" = "$CLIENT" ] && i=9
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip link add "k$i-$ID" netns "$NODE" type veth peer name eth0 netns "$ns"
		ip -n "$NODE" addr add "10.244.$i.1/24" dev "k$i-$ID"
		ip -n "$NODE" link set "k$i-$ID" up
		ip -n "$ns" addr add "10.244.$i.2/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via "10.244.$i.1"
	done
	set +e
	SVCN_TEST_ID=$ID timeout 120 ip netns exec "$NODE" bash "$0" --inner
	exit $?
fi

. "$ROOT/tests/e2e/lib.sh"
VIP=10.96.100.10
inb() { ip netns exec "$1" "${@:2}"; }
cl() { ip netns exec "$CLIENT" "$@"; }

i=0
for ns in $BACKENDS; do
	i=$((i + 1))
	inb "$ns" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:"echo b$i" 2>/dev/null &
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
slice() { # name service port protocol address[:notready]...
	local name=$1 svcname=$2 port=$3 proto=$4 eps="" a r
	shift 4
	for a in "$@"; do
		r=true
		case $a in *:notready) r=false a=${a%:notready} ;; esac
		eps="$eps${eps:+,}{\"addresses\":[\"$a\"],\"conditions\":{\"ready\":$r}}"
	done
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

PLOG=$TMP/proxy.log
LOGS+=("$PLOG")
PATH=$TMP/bin:$PATH "$SVCNET" proxy --server "$SERVER" --node node-a --mode "$MODE" \
	--cluster-cidr 10.244.0.0/16 --service-cidr 10.96.0.0/12 --min-sync-period 100ms --sync-period 3s \
	--metrics-listen 127.0.0.1:10249 >>"$PLOG" 2>&1 &
PROXY=$!
PIDS+=($PROXY)
ready=0
for _ in $(seq 1 100); do
	curl -fs http://127.0.0.1:10249/readyz >/dev/null 2>&1 && { ready=1; break; }
	sleep 0.1
done
if [ $ready = 1 ]; then pass "$MODE proxy starts and syncs"; else
	fail "$MODE proxy starts and syncs"
	tail -20 "$PLOG"
	finish
fi

# What the kernel holds, for the rule checks.
IPT=iptables
grep -q "legacy back end" "$PLOG" && IPT=iptables-legacy
rules() {
	case $MODE in
	nftables) nft list table ip svcnet 2>&1 ;;
	*) $IPT-save 2>&1 ;;
	esac
}
if [ "$MODE" = ipvs ]; then
	expect_match "ipvs mode logs its fallback" \
		'IPVS is not available in this kernel; falling back to iptables mode|IPVS is available' "$(cat "$PLOG")"
fi
wait_for() { # REGEX [absent]
	for _ in $(seq 1 40); do
		if rules | grep -Eq -- "$1"; then [ -z "${2:-}" ] && return 0; else [ -n "${2:-}" ] && return 0; fi
		sleep 0.1
	done
	return 1
}
get() { $1 socat -T2 - "TCP:$2" </dev/null 2>&1; }

out=$(for _ in $(seq 1 60); do get cl $VIP:80; done | sort | uniq -c | awk '{print $2}' | xargs)
expect_eq "60 requests from the client reach b1, b2 and b3 with no failure" "b1 b2 b3" "$out"
bad=$(for _ in $(seq 1 60); do get cl $VIP:80; done | grep -vc '^b[123]$')
expect_eq "... and none of 60 more fails" 0 "$bad"
out=$(for _ in $(seq 1 30); do get "" $VIP:80; done | sort -u | xargs)
expect_eq "the node itself reaches all three backends" "b1 b2 b3" "$out"
out=$(for _ in $(seq 1 12); do echo hi | cl socat -T1 - UDP:10.96.100.11:53 2>&1; done | sort -u | xargs)
expect_eq "UDP reaches the backends" "u1 u2 u3" "$out"

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
wait_for "$range_rule" && pass "the service range is rejected in the rules" ||
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
	wait_for '10.96.100.20/32' && pass "... and recovered from" || fail "no recovery after the failure"
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
if [ "$FAILED" != 0 ]; then
	echo "--- proxy log"
	tail -30 "$PLOG"
fi
finish
