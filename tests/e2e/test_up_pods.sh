#!/bin/bash
# Local processes as pods under `svcnet up`, inside a network namespace this
# test makes to stand for the machine (its pods are namespaces nested behind
# the bridge svcnet0; nothing routes to the host). Checks: three `svcnet run`
# web pods with an HTTP readiness probe get addresses and become ready
# endpoints of a Service; a client pod reaches the Service by DNS name (its
# resolv.conf), by ClusterIP and by the service environment variables; a pod
# whose probe fails leaves the endpoints and comes back when it passes; a pod
# reaches its own Service through the nftables proxy (hairpin included);
# `svcnet logs`; deleting a pod lets its open request finish; SIGTERM to
# `svcnet up` leaves no rule, namespace or process behind.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SVCNET=${SVCNET:-$ROOT/build/svcnet}
ID=${SVCN_TEST_ID:-$$}
MACHINE=svcn-up-$ID
PODNS=e2e-$ID # the pods' Kubernetes namespace: their netns names are unique to this run

if [ "${1:-}" != --inner ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 0; }
	for t in ip iptables-save socat curl jq; do
		command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 0; }
	done
	ip netns add "$MACHINE" || { echo "FAIL: ip netns add"; exit 1; }
	teardown() {
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^(svcnet-$PODNS-|$MACHINE\$)"); do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
			ip netns del "$ns" 2>/dev/null
			rm -rf "/etc/netns/$ns"
		done
	}
	trap teardown EXIT
	ip -n "$MACHINE" link set lo up
	SVCN_TEST_ID=$ID timeout 300 ip netns exec "$MACHINE" bash "$0" --inner
	exit $?
fi

. "$ROOT/tests/e2e/lib.sh"
DATA=$TMP/data
CTL=$TMP/ctl # files the web pods look at: down-POD (probe fails), slow-POD
mkdir -p "$CTL"
chmod 755 "$TMP"

# One HTTP response per connection (socat runs it): the pod's name, or 503
# while $CTL/down-POD exists; 2 s late while $CTL/slow-POD exists.
cat >"$TMP/web.sh" <<'SH'
read -r line
[ -e "$CTL/slow-$HOSTNAME" ] && sleep 2
if [ -e "$CTL/down-$HOSTNAME" ]; then
	printf 'HTTP/1.0 503 Service Unavailable\r\n\r\n'
else
	printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n' "$HOSTNAME"
fi
SH

# svcnet up runs the agent itself (older builds: it runs beside).
"$SVCNET" up --data-dir "$DATA" --node machine >"$TMP/up.log" 2>&1 &
UPPID=$!
PIDS+=("$UPPID")
LOGS+=("$TMP/up.log")
SERVER=http://127.0.0.1:8080
wait_for 10 curl -fsS "$SERVER/healthz"
check "svcnet up serves the API" curl -fsS "$SERVER/healthz"
AGENTPID=
if ! "$SVCNET" up --help 2>&1 | grep -q -- --pod-cidr; then
	"$SVCNET" agent --server "$SERVER" --node machine --data-dir "$DATA" >"$TMP/agent.log" 2>&1 &
	AGENTPID=$!
	PIDS+=("$AGENTPID")
	LOGS+=("$TMP/agent.log")
fi

api() { curl -sS -m 10 "$@"; }
post() { api -XPOST -H 'Content-Type: application/json' "$SERVER$1" -d "$2"; }
ready_ips() {
	api "$SERVER/api/v1/namespaces/$PODNS/endpoints/web" |
		jq -r '[.subsets[]?.addresses[]?.ip] | sort | join(" ")'
}
ready_count_is() { [ "$(ready_ips | wc -w)" = "$1" ]; }
pod_ip() { api "$SERVER/api/v1/namespaces/$PODNS/pods/$1" | jq -r '.status.podIP // empty'; }

check "the node is registered and Ready" wait_for 10 sh -c \
	"curl -s $SERVER/api/v1/nodes/machine | jq -e '.status.conditions[] | select(.type==\"Ready\" and .status==\"True\")'"
post /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$PODNS\"}}" >/dev/null
post "/api/v1/namespaces/$PODNS/services" '{"apiVersion":"v1","kind":"Service",
  "metadata":{"name":"web"},"spec":{"selector":{"app":"web"},
  "ports":[{"name":"http","port":80,"targetPort":"http"}]}}' >/dev/null
CIP=$(api "$SERVER/api/v1/namespaces/$PODNS/services/web" | jq -r .spec.clusterIP)

for i in 1 2 3; do
	out=$("$SVCNET" run "web$i" --server "$SERVER" --namespace "$PODNS" --labels app=web \
		--port http:8080 --readiness http:8080/ --readiness-period 1 --env "CTL=$CTL" -- \
		sh -c 'trap "sleep 4; exit 0" TERM; socat TCP-LISTEN:8080,fork,reuseaddr EXEC:"sh '"$TMP"'/web.sh" & wait' 2>&1)
	expect_match "svcnet run web$i" "pod/web$i created" "$out"
done
out=$("$SVCNET" run bad --server "$SERVER" --namespace "$PODNS" --readiness-period x -- true 2>&1)
expect_eq "svcnet run refuses a bad --readiness-period (exit 2)" 2 "$?"
expect_match "... and says what it expects" 'readiness-period x: expected a number from 1 to 3600' "$out"
check "three web pods become ready endpoints" wait_for 30 ready_count_is 3
status=$(api "$SERVER/api/v1/namespaces/$PODNS/pods/web1")
expect_match "web1 status: Running, podIP in the pod CIDR, Ready" \
	'^Running 10\.244\.0\.[0-9]+ True true 0$' \
	"$(jq -r '[.status.phase, .status.podIP, (.status.conditions[] | select(.type=="Ready") | .status),
	   .status.containerStatuses[0].ready, .status.containerStatuses[0].restartCount] | join(" ")' <<<"$status")"
W1=$(pod_ip web1)
check "the node reaches a pod at its address" sh -c "curl -fsS -m 3 http://$W1:8080/ | grep -qx web1"
expect_match "the pod's resolv.conf" "nameserver 10.96.0.10 search $PODNS.svc.cluster.local svc.cluster.local cluster.local options ndots:5" \
	"$(tr '\n' ' ' </etc/netns/svcnet-$PODNS-web1/resolv.conf)"
expect_eq "svcnet up made kube-system/kube-dns at 10.96.0.10" 10.96.0.10 \
	"$(api "$SERVER/api/v1/namespaces/kube-system/services/kube-dns" | jq -r .spec.clusterIP)"
expect_eq "... and default/kubernetes at 10.96.0.1" 10.96.0.1 \
	"$(api "$SERVER/api/v1/namespaces/default/services/kubernetes" | jq -r .spec.clusterIP)"

# A pod created without a node: the agent binds it with pods/binding (the same pod, not a copy).
post "/api/v1/namespaces/$PODNS/pods" '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"unbound"},
  "spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"svcnet/local","command":["true"]}]}}' >/dev/null
UNBOUND_UID=$(api "$SERVER/api/v1/namespaces/$PODNS/pods/unbound" | jq -r .metadata.uid)
bound_here() {
	[ "$(api "$SERVER/api/v1/namespaces/$PODNS/pods/unbound" | jq -r '"\(.spec.nodeName) \(.metadata.uid)"')" = "machine $UNBOUND_UID" ]
}
check "a pod without a node is bound to the only node through pods/binding" wait_for 20 bound_here

# The proxy is the nftables one; a pod reaching its own Service lands on itself
# a third of the time (hairpin: masqueraded, else its reply never leaves it),
# on a neighbour on the same bridge the rest.
expect_match "svcnet up runs the nftables proxy as root" 'proxy nftables' "$(cat "$TMP/up.log")"
hp=$(for _ in $(seq 1 15); do ip netns exec "svcnet-$PODNS-web1" curl -s -m 3 "http://$CIP/" || echo failed; done)
expect_eq "a pod reaches its own Service 15 times of 15 (hairpin and neighbours)" "" \
	"$(grep -v '^web[123]$' <<<"$hp")"
expect_match "... itself among the answers" web1 "$hp"
expect_eq "the node forwards IPv4 while pods run" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"

# The client pod: by DNS name, by ClusterIP, by the environment variables.
"$SVCNET" run client --server "$SERVER" --namespace "$PODNS" --restart Never -- sh -c '
	echo "dns $(curl -s -m 5 http://web/)"
	echo "fqdn $(curl -s -m 5 http://web.'"$PODNS"'.svc.cluster.local/)"
	echo "ip $(curl -s -m 5 http://'"$CIP"'/)"
	echo "env $WEB_SERVICE_HOST:$WEB_SERVICE_PORT $(curl -s -m 5 http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/)"
	echo done' >/dev/null
client_done() { "$SVCNET" logs client --namespace "$PODNS" --data-dir "$DATA" | grep -q '^done'; }
wait_for 30 client_done
logs=$("$SVCNET" logs client --namespace "$PODNS" --data-dir "$DATA" 2>&1)
expect_match "a client pod reaches the Service by DNS name" '^dns web[123]$' "$(grep ^dns <<<"$logs")"
expect_match "... by its full name" '^fqdn web[123]$' "$(grep ^fqdn <<<"$logs")"
expect_match "... by ClusterIP" '^ip web[123]$' "$(grep ^ip <<<"$logs")"
expect_match "... by the environment variables" "^env $CIP:80 web[123]\$" "$(grep ^env <<<"$logs")"
phase_is() { [ "$(api "$SERVER/api/v1/namespaces/$PODNS/pods/$1" | jq -r .status.phase)" = "$2" ]; }
check "the client pod (restartPolicy Never) ends Succeeded" wait_for 10 phase_is client Succeeded

# Readiness: a failing probe takes web2 out of the endpoints, a passing one brings it back.
W2=$(pod_ip web2)
touch "$CTL/down-web2"
not_ready() { ! ready_ips | grep -qw "$1"; }
check "web2 leaves the endpoints when its probe fails" wait_for 20 not_ready "$W2"
expect_match "web2's Ready condition is False" False \
	"$(api "$SERVER/api/v1/namespaces/$PODNS/pods/web2" | jq -r '.status.conditions[] | select(.type=="Ready") | .status')"
rm -f "$CTL/down-web2"
check "web2 comes back when its probe passes" wait_for 20 ready_count_is 3

# Graceful deletion: an open request to web3 finishes after the delete.
W3=$(pod_ip web3)
touch "$CTL/slow-web3"
curl -s -m 10 "http://$W3:8080/" >"$TMP/inflight.out" 2>&1 &
CURLPID=$!
sleep 0.5
api -XDELETE "$SERVER/api/v1/namespaces/$PODNS/pods/web3" >/dev/null
wait $CURLPID
expect_eq "a request open when web3 is deleted finishes" web3 "$(cat "$TMP/inflight.out")"
pod_gone() { [ "$(api -o /dev/null -w '%{http_code}' "$SERVER/api/v1/namespaces/$PODNS/pods/web3")" = 404 ]; }
check "web3 is removed once its process ends" wait_for 20 pod_gone
check "web3's namespace is removed" sh -c "! ip netns list | grep -q 'svcnet-$PODNS-web3 '"
check "web3 left the endpoints" wait_for 10 ready_count_is 2
agent_log=$TMP/up.log
[ -n "$AGENTPID" ] && agent_log=$TMP/agent.log
expect_match "the agent logged the termination" "pod $PODNS/web3: terminating, grace period 30 s" "$(cat "$agent_log")"

# SIGTERM: nothing left behind.
[ -n "$AGENTPID" ] && kill -TERM "$AGENTPID" && wait "$AGENTPID"
kill -TERM "$UPPID"
wait "$UPPID"
expect_eq "svcnet up exits 0 on SIGTERM" 0 "$?"
expect_eq "no pod namespace is left" "" "$(ip netns list 2>/dev/null | grep "svcnet-$PODNS-")"
expect_eq "no pod process is left" "" "$(pgrep -f "$TMP/web.sh")"
expect_eq "no svcnet rule is left" "" "$(iptables-save 2>/dev/null | grep -i svcnet)"
expect_eq "no svcnet nftables table is left" "" "$(nft list tables 2>/dev/null | grep svcnet)"
expect_eq "net.ipv4.ip_forward is put back" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
expect_eq "no bridge or veth is left" "" "$(ip -o link show | grep -E 'svcnet0|svh')"
expect_eq "no resolv.conf is left" "" "$(ls -d /etc/netns/svcnet-$PODNS-* 2>/dev/null)"
PIDS=()
finish
