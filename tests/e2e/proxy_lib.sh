# Shared by the proxy end-to-end tests (test_proxy_userspace.sh,
# test_proxy_iptables.sh with the modes it runs, test_proxy_faults.sh): the
# network namespaces they run in, the proxy, and the Services and
# EndpointSlices they make.
#
# Such a test runs twice. Started as root (the outer half), it makes a node
# namespace, backend namespaces and a client namespace, joined to the node
# by veth pairs, with no route anywhere else, and runs itself again inside
# the node namespace with --inner (the inner half: API server, proxy,
# checks). When the outer half exits, whatever runs in the namespaces is
# killed and they are deleted:
#
#	. "$(dirname "$0")/proxy_lib.sh"
#	proxy_names x 3
#	if [ "${1:-}" != --inner ]; then
#		proxy_need iptables socat curl kubectl
#		proxy_netns 10.96.0.0/12
#		proxy_inner 300
#	fi
#	. "$ROOT/tests/e2e/lib.sh"
#
# Backend I is 10.244.I.2 and the client 10.244.9.2, each behind 10.244.I.1
# on the node. The node routes the service range 10.96.0.0/12 to svc0, a
# veth whose peer is down: what the proxy does not capture or translate is
# dropped there.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SVCNET=${SVCNET:-$ROOT/build/svcnet}
ID=${SVCN_TEST_ID:-$$}

# proxy_names TAG N: the namespaces of this test, with N backends; TAG (a
# letter) keeps them apart from another test's. Sets NODE, CLIENT, BACKENDS.
proxy_names() {
	local i
	PROXY_TAG=$1
	NODE=svcn-${1}n-$ID
	CLIENT=svcn-${1}c-$ID
	BACKENDS=""
	for ((i = 1; i <= $2; i++)); do BACKENDS+="${BACKENDS:+ }$(backend_ns "$i")"; done
}

# backend_ns I: the namespace of backend I.
backend_ns() { echo "svcn-$PROXY_TAG$1-$ID"; }

# ---- the outer half ----

# proxy_need TOOL...: skips the test unless it runs as root, with ip and each TOOL.
proxy_need() {
	local t
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 0; }
	for t in ip "$@"; do
		type -P "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 0; }
	done
}

# proxy_netns ROUTE: makes the namespaces (deleted at exit); the backends and
# the client route ROUTE (a prefix, or default) via the node. The script
# stops at the first command that fails from here (set -e) until proxy_inner.
proxy_netns() {
	local i=0 ns veth
	ip netns add "$NODE" || { echo "FAIL: ip netns add"; exit 1; }
	trap proxy_netns_del EXIT
	set -e
	ip -n "$NODE" link set lo up
	ip -n "$NODE" link add svc0 type veth peer name svc0p
	ip -n "$NODE" link set svc0 up
	ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NODE" route add 10.96.0.0/12 dev svc0
	for ns in $BACKENDS $CLIENT; do
		i=$((i + 1))
		[ "$ns" = "$CLIENT" ] && i=9
		veth=$PROXY_TAG$i-$ID
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip link add "$veth" netns "$NODE" type veth peer name eth0 netns "$ns"
		ip -n "$NODE" addr add "10.244.$i.1/24" dev "$veth"
		ip -n "$NODE" link set "$veth" up
		ip -n "$ns" addr add "10.244.$i.2/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add "$1" via "10.244.$i.1"
	done
}

# proxy_netns_v6 ROUTE6: IPv6 beside proxy_netns's IPv4: backend I is
# fd00:244:I::2 and the client fd00:244:9::2, behind fd00:244:I::1 on the
# node; the node forwards IPv6 and routes ROUTE6 (the IPv6 service range) to
# svc0 as well.
proxy_netns_v6() {
	local i=0 ns veth
	ip netns exec "$NODE" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$NODE" -6 route add "$1" dev svc0
	for ns in $BACKENDS $CLIENT; do
		i=$((i + 1))
		[ "$ns" = "$CLIENT" ] && i=9
		veth=$PROXY_TAG$i-$ID
		ip -n "$NODE" addr add "fd00:244:$i::1/64" dev "$veth" nodad
		ip -n "$ns" addr add "fd00:244:$i::2/64" dev eth0 nodad
		ip -n "$ns" -6 route add default via "fd00:244:$i::1"
	done
}

proxy_netns_del() {
	local ns
	set +e # all of them, even after a failed set-up
	for ns in $NODE $CLIENT $BACKENDS; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

# proxy_inner SECONDS: runs this script again, with --inner, inside the node
# namespace, for SECONDS at most; exits with its status.
proxy_inner() {
	set +e
	SVCN_TEST_ID=$ID timeout "$1" ip netns exec "$NODE" bash "$0" --inner
	exit $?
}

# ---- the inner half (after lib.sh) ----

inb() { ip netns exec "$1" "${@:2}"; } # inb NAMESPACE COMMAND...
cl() { ip netns exec "$CLIENT" "$@"; }  # in the client's namespace
kubectl() { command kubectl --server "$SERVER" --request-timeout=20s "$@"; }

# start_backends: in backend I's namespace, socat answering "bI" on TCP 8080
# (its pid in $TMP/bI.pid, to stop that server alone) and "uI" on UDP 5353.
start_backends() {
	local i=0 ns
	for ns in $BACKENDS; do
		i=$((i + 1))
		inb "$ns" bash -c "echo \$\$ >$TMP/b$i.pid; exec socat TCP-LISTEN:8080,fork,reuseaddr \
			SYSTEM:'echo b$i'" 2>/dev/null &
		PIDS+=($!)
		inb "$ns" socat UDP-RECVFROM:5353,fork SYSTEM:"echo u$i" 2>/dev/null &
		PIDS+=($!)
	done
}

svc() { # NAME CLUSTERIP PORT PROTOCOL [EXTRA SPEC JSON]: a Service in default
	kubectl apply -f - >/dev/null <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"name":"$1","namespace":"default"},
 "spec":{"clusterIP":"$2","ports":[{"name":"p","port":$3,"protocol":"$4"}]${5:-}}}
EOF
}

slice() { # NAME SERVICE PORT PROTOCOL ADDRESS[:notready]...: an EndpointSlice of the Service
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

# basic_services: web ($VIP:80) and udp (10.96.100.11:53) over the three
# backends of start_backends, empty (10.96.100.12:80, no endpoints), and np
# (NodePort 30080, 10.96.100.13:80) on backend 1.
VIP=10.96.100.10
BE="10.244.1.2 10.244.2.2 10.244.3.2"
basic_services() {
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
}

# start_proxy FLAGS...: svcnet proxy in MODE for node-a, metrics on
# 127.0.0.1:10249, its output in $PLOG, run through PROXY_WRAP (a command
# that execs the rest: prlimit, env). Sets PROXY; fails unless /readyz
# answers within 10 s.
PROXY_WRAP=()
start_proxy() {
	if [ -z "${PLOG:-}" ]; then
		PLOG=$TMP/proxy.log
		LOGS+=("$PLOG")
	fi
	"${PROXY_WRAP[@]}" "$SVCNET" proxy --server "$SERVER" --node node-a --mode "$MODE" \
		--min-sync-period 100ms --metrics-listen 127.0.0.1:10249 "$@" >>"$PLOG" 2>&1 &
	PROXY=$!
	PIDS+=("$PROXY")
	wait_for 10 curl -fs http://127.0.0.1:10249/readyz
}

# proxy_started DESCRIPTION COMMAND...: passes when the command (start_proxy,
# a wait for its rules) succeeds; otherwise the test ends there, with the
# end of the proxy log.
proxy_started() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else
		fail "$desc"
		tail -20 "$PLOG"
		finish
	fi
}

# rules: what the kernel holds for MODE (in userspace mode, the nat chain);
# IPT is iptables-legacy when the proxy uses that back end.
rules() {
	case $MODE in
	userspace) iptables -t nat -S SVCNET-USERSPACE 2>/dev/null ;;
	nftables) nft list table ip svcnet 2>&1 ;;
	*) "${IPT:-iptables}-save" 2>&1 ;;
	esac
}
has_rule() { rules | grep -Eq -- "$1"; }
no_rule() { ! has_rule "$1"; }
# wait_rule REGEX, wait_no_rule REGEX: until the rules match it, or no
# longer do (5 s at most).
wait_rule() { wait_for 5 has_rule "$1"; }
wait_no_rule() { wait_for 5 no_rule "$1"; }

# proxy_finish: fails on a sanitizer report in the proxy log, shows its end
# if a check failed, and ends the test.
proxy_finish() {
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$PLOG"; then
		fail "the sanitizers found a fault in the proxy"
		grep -E -A12 'AddressSanitizer|LeakSanitizer|runtime error' "$PLOG" | head -40
	fi
	if [ "$FAILED" != 0 ]; then
		echo "--- proxy log"
		tail -40 "$PLOG"
	fi
	finish
}
