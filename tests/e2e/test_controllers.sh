#!/bin/bash
# svcnet controllers against the real API server, driven with kubectl and
# curl: EndpointSlices and Endpoints of 250 pods, readiness flips, deletions
# (forced and graceful), named ports, headless Services, mirroring of user
# Endpoints, NodePort and LoadBalancer allocation (with an exhausted pool),
# ExternalName, and a restart that rewrites nothing.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v kubectl >/dev/null || skip "kubectl is not installed"
start_apiserver "$TMP/data" || { fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces/default
SLICES=$SERVER/apis/discovery.k8s.io/v1/namespaces/default/endpointslices
POOL=192.168.240.0/30 # two addresses: .1 and .2

# start_controllers [CONNECTION FLAGS]: sets CTLPID and MPORT (the metrics port).
start_controllers() {
	local log=$TMP/controllers.$RANDOM.log
	"$SVCNET" controllers "${@:---server=$SERVER}" --lb-pool "$POOL" --metrics-listen 127.0.0.1:0 \
		>"$log" 2>&1 &
	CTLPID=$!
	PIDS+=("$CTLPID")
	CTLLOG=$log
	for _ in $(seq 1 100); do
		MPORT=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$log" | head -1)
		if [ -n "$MPORT" ] && curl -fsS "http://127.0.0.1:$MPORT/readyz" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$CTLPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "controllers did not become ready:"
	cat "$log"
	return 1
}

slices_of() { curl -s "$SLICES?labelSelector=kubernetes.io%2Fservice-name%3D$1"; }
# ep_field SERVICE IP FIELD: conditions.FIELD of the endpoint with that address.
ep_cond() {
	slices_of "$1" | jq -r --arg ip "$2" --arg f "$3" \
		'[.items[].endpoints[]? | select(.addresses[0] == $ip) | .conditions[$f]][0]'
}
has_addr() { [ "$(slices_of "$1" | jq --arg ip "$2" '[.items[].endpoints[]? | select(.addresses[0] == $ip)] | length')" = "$3" ]; }
endpoints_count() { curl -s "$NS/endpoints/$1" | jq '[.subsets[]? | (.addresses // []) + (.notReadyAddresses // []) | length] | add // 0'; }
wq_depth() { curl -s "http://127.0.0.1:$MPORT/metrics" | sed -n 's/^workqueue_depth{name="services"} //p'; }
syncs_total() { curl -s "http://127.0.0.1:$MPORT/metrics" | sed -n 's/^svcnet_controllers_syncs_total //p'; }
ep_code() { curl -s -o /dev/null -w '%{http_code}' "$NS/endpoints/web"; }
slice_count() { slices_of "$1" | jq '.items | length'; }
slice_total() { slices_of "$1" | jq '[.items[].endpoints | length] | add // 0'; }

# A pod with a named container port; $3 is extra spec JSON (nodeName...).
pod_json() { # NAME LABEL PORT [EXTRA_SPEC]
	echo "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$1\",\"labels\":{\"app\":\"$2\"}},\"spec\":{${4:-}\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":[{\"name\":\"http\",\"containerPort\":$3}]}]}}"
}

# set_status NAME IP READY: the kubelet's part, on the status subresource.
set_status() {
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		--data "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$2\",\"podIPs\":[{\"ip\":\"$2\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"$3\"}]}}" \
		"$NS/pods/$1/status"
}

start_controllers || { fail "start controllers"; finish; }
check "controllers /healthz" curl -fsS "http://127.0.0.1:$MPORT/healthz"
expect_match "controllers /metrics" 'endpoint_slice_controller_changes\{operation="create"\}' \
	"$(curl -s "http://127.0.0.1:$MPORT/metrics")"

# ---- 250 pods behind one Service ----
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, labels: {team: blue}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
EOF
# A stream of 250 Pod objects (kubectl's validation of a kind: List fails here).
jq -nc 'range(250) | {apiVersion: "v1", kind: "Pod",
	metadata: {name: "web-\(.)", labels: {app: "web"}},
	spec: {containers: [{name: "c", image: "x", ports: [{name: "http", containerPort: 8080}]}]}}' \
	>"$TMP/pods.json"
check "kubectl creates 250 pods" k create -f "$TMP/pods.json"
# Their status, as a kubelet would write it: one curl, 250 PATCHes on /status.
for i in $(seq 0 249); do
	[ "$i" = 0 ] || echo next
	cat <<EOF
url = "$NS/pods/web-$i/status"
request = "PATCH"
header = "Content-Type: application/merge-patch+json"
data = "{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.$((i / 200)).$((i % 200 + 10))\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"
output = "/dev/null"
EOF
done >"$TMP/status.cfg"
curl -s -K "$TMP/status.cfg"
if wait_for 45 'test "$(slice_total web)" = 250'; then pass "250 endpoints in slices"; else
	fail "250 endpoints in slices (got $(slice_total web))"; fi
all=$(slices_of web)
expect_eq "at least 3 slices, none over 100" "true" \
	"$(jq '(.items | length) >= 3 and ([.items[].endpoints | length] | max) <= 100' <<<"$all")"
expect_eq "every endpoint ready, serving, not terminating" 250 \
	"$(jq '[.items[].endpoints[] | select(.conditions == {"ready":true,"serving":true,"terminating":false})] | length' <<<"$all")"
expect_eq "slice labels, ownerReference, generateName" "true" \
	"$(jq '[.items[] | .metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
		and .metadata.labels["kubernetes.io/service-name"] == "web" and .metadata.labels.team == "blue"
		and .metadata.ownerReferences[0].kind == "Service" and .metadata.ownerReferences[0].controller
		and .metadata.ownerReferences[0].blockOwnerDeletion and (.metadata.name | startswith("web-"))
		and .addressType == "IPv4"] | all' <<<"$all")"
expect_eq "named targetPort resolved to the container port" '[{"name":"http","port":8080,"protocol":"TCP"}]' \
	"$(jq -c '[.items[].ports[]] | unique' <<<"$all")"
expect_eq "targetRef names the pod" "Pod web-0" \
	"$(jq -r '.items[].endpoints[] | select(.addresses[0] == "10.244.0.10") | "\(.targetRef.kind) \(.targetRef.name)"' <<<"$all")"
if wait_for 5 'test "$(endpoints_count web)" = 250'; then pass "Endpoints has 250 addresses"; else
	fail "Endpoints has 250 addresses (got $(endpoints_count web))"; fi
expect_eq "kubectl get endpoints shows the Service's Endpoints" web \
	"$(k get endpoints web -o jsonpath='{.metadata.name}')"

# ---- readiness flips within a second ----
# flip POD IP READY: sets the pod's Ready condition and prints the ms until a
# watch on the Service's slices shows the endpoint's ready condition follow
# (no polling: the time is the controller's, not this script's), or "timeout".
flip() {
	local want=false rv
	[ "$3" = True ] && want=true
	rv=$(slices_of web | jq -r .metadata.resourceVersion)
	curl -sN --max-time 3 "$SLICES?watch=1&resourceVersion=$rv&labelSelector=kubernetes.io%2Fservice-name%3Dweb" |
		while read -r line; do
			if jq -e --arg ip "$2" --argjson want "$want" '.object.endpoints[]? |
				select(.addresses[0] == $ip and .conditions.ready == $want)' <<<"$line" >/dev/null; then
				date +%s%N
				break
			fi
		done >"$TMP/seen" &
	local watcher=$!
	sleep 0.2 # the watch is open
	local t0
	t0=$(date +%s%N)
	set_status "$1" "$2" "$3"
	wait "$watcher"
	if [ -s "$TMP/seen" ]; then echo $((($(cat "$TMP/seen") - t0) / 1000000)); else echo timeout; fi
}
ms=$(flip web-7 10.244.0.17 False)
if [ "$ms" != timeout ] && [ "$ms" -lt 1000 ]; then pass "a pod going not ready flips its ready condition in $ms ms"
else fail "a pod going not ready flips its ready condition within 1 s (took $ms ms)"; fi
expect_eq "a not-ready pod is not serving" false "$(ep_cond web 10.244.0.17 serving)"
wait_for 2 sh -c "curl -s '$NS/endpoints/web' | jq -e '[.subsets[].notReadyAddresses[]?.ip] == [\"10.244.0.17\"]'" &&
	pass "Endpoints moves it to notReadyAddresses" || fail "Endpoints moves it to notReadyAddresses"
ms=$(flip web-7 10.244.0.17 True)
if [ "$ms" != timeout ] && [ "$ms" -lt 1000 ]; then pass "and back to ready in $ms ms"
else fail "and back to ready within 1 s (took $ms ms)"; fi

# ---- deleted pods leave ----
k delete pod web-8 --grace-period=0 --force >/dev/null 2>&1
if wait_for 2 has_addr web 10.244.0.18 0; then pass "a deleted pod leaves its slice"; else
	fail "a deleted pod leaves its slice"; fi
wait_for 2 'test "$(endpoints_count web)" = 249' && pass "and the Endpoints" ||
	fail "and the Endpoints (got $(endpoints_count web))"
# A pod on a node is deleted gracefully: terminating first, then gone.
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data "$(pod_json web-node web 8080 '"nodeName":"node-a",')" "$NS/pods"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data '{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a","labels":{"topology.kubernetes.io/zone":"zone-1"}}}' \
	"$SERVER/api/v1/nodes"
set_status web-node 10.244.9.9 True
wait_for 3 has_addr web 10.244.9.9 1
node_ep=$(slices_of web | jq -c '.items[].endpoints[] | select(.addresses[0] == "10.244.9.9") | {nodeName, zone}')
expect_eq "nodeName and the Node's zone" '{"nodeName":"node-a","zone":"zone-1"}' "$node_ep"
k delete pod web-node --grace-period=3 --wait=false >/dev/null 2>&1
if wait_for 2 'test "$(ep_cond web 10.244.9.9 terminating)" = true'; then
	pass "a pod being deleted is terminating"
	expect_eq "terminating: not ready, still serving" "false true" \
		"$(ep_cond web 10.244.9.9 ready) $(ep_cond web 10.244.9.9 serving)"
else fail "a pod being deleted is terminating"; fi
wait_for 10 has_addr web 10.244.9.9 0 && pass "and leaves once the API server removes it" ||
	fail "and leaves once the API server removes it"

# ---- named targetPorts that resolve differently; headless ----
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: named}
spec:
  selector: {app: named}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: sql, port: 5432}]
EOF
for p in "named-a 8080 10.245.0.1" "named-b 9090 10.245.0.2"; do
	set -- $p
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data "$(pod_json "$1" named "$2")" "$NS/pods"
	set_status "$1" "$3" True
done
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data "$(pod_json db-0 db 5432 '"hostname":"db-0","subdomain":"db",')" "$NS/pods"
set_status db-0 10.245.1.1 True
wait_for 3 'test "$(slice_total named)" = 2'
expect_eq "pods resolving a named port differently get slices per port" "8080:10.245.0.1 9090:10.245.0.2" \
	"$(slices_of named | jq -r '[.items[] | "\(.ports[0].port):\(.endpoints[0].addresses[0])"] | sort | join(" ")')"
wait_for 3 'test "$(slice_total db)" = 1'
db=$(slices_of db)
expect_eq "headless Service gets a slice with the headless label and hostname" '"" db-0 5432' \
	"$(jq -r '.items[0] | "\(.metadata.labels["service.kubernetes.io/headless"] | tojson) \(.endpoints[0].hostname) \(.ports[0].port)"' <<<"$db")"

# ---- selector-less Service with user Endpoints: mirrored ----
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext, labels: {origin: user}}
subsets:
- addresses: [{ip: 192.0.2.10}, {ip: 192.0.2.11}]
  notReadyAddresses: [{ip: 192.0.2.12}]
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-custom
  labels: {kubernetes.io/service-name: ext, endpointslice.kubernetes.io/managed-by: my-controller}
addressType: IPv4
endpoints: [{addresses: [192.0.2.50]}]
ports: [{name: pg, port: 5432}]
EOF
custom_rv=$(curl -s "$SLICES/ext-custom" | jq -r .metadata.resourceVersion)
expect_match "a user's own slice for the Service" '^[0-9]+$' "$custom_rv"
wait_for 3 'test "$(slice_total ext)" = 4'
mirror=$(slices_of ext | jq -c '[.items[] | select(.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io")]')
expect_eq "user Endpoints are mirrored into one slice" 1 "$(jq length <<<"$mirror")"
expect_eq "mirrored addresses and readiness" "192.0.2.10:true 192.0.2.11:true 192.0.2.12:false" \
	"$(jq -r '[.[0].endpoints[] | "\(.addresses[0]):\(.conditions.ready)"] | sort | join(" ")' <<<"$mirror")"
expect_eq "mirrored slice keeps the Endpoints' labels, owned by the Endpoints" "user Endpoints ext" \
	"$(jq -r '.[0].metadata | "\(.labels.origin) \(.ownerReferences[0].kind) \(.ownerReferences[0].name)"' <<<"$mirror")"
expect_eq "no controller slices for a selector-less Service" 0 \
	"$(slices_of ext | jq '[.items[] | select(.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")] | length')"
curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
	--data '{"subsets":[{"addresses":[{"ip":"192.0.2.10"}],"ports":[{"name":"pg","port":5432}]}]}' "$NS/endpoints/ext"
wait_for 3 has_addr ext 192.0.2.11 0 && pass "an Endpoints change is mirrored" || fail "an Endpoints change is mirrored"

# ---- NodePort, LoadBalancer, ExternalName ----
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: np}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb1}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb2}
spec: {type: LoadBalancer, loadBalancerIP: 192.168.240.2, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: xn}
spec: {type: ExternalName, externalName: db.example.com}
EOF
np=$(k get svc np -o jsonpath='{.spec.ports[0].nodePort}')
[ -n "$np" ] && [ "$np" -ge 30000 ] && [ "$np" -le 32767 ] && pass "NodePort $np in 30000-32767" ||
	fail "NodePort in range (got '$np')"
lbip() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'; }
wait_for 3 'test -n "$(lbip lb1)"'
expect_eq "LoadBalancer gets the lowest free pool address" 192.168.240.1 "$(lbip lb1)"
expect_eq "spec.loadBalancerIP is honoured" 192.168.240.2 "$(lbip lb2)"
lbnp=$(k get svc lb1 -o jsonpath='{.spec.ports[0].nodePort}')
[ -n "$lbnp" ] && [ "$lbnp" -ge 30000 ] && [ "$lbnp" -le 32767 ] && pass "LoadBalancer has a nodePort ($lbnp)" ||
	fail "LoadBalancer has a nodePort (got '$lbnp')"
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: lb3}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
EOF
ev_reason() { curl -s "$NS/events?fieldSelector=involvedObject.name%3Dlb3" | jq -r '[.items[].reason] | join(",")'; }
wait_for 20 'test "$(ev_reason)" = AllocationFailed' && pass "an exhausted pool leaves lb3 pending, with an Event" ||
	fail "an exhausted pool leaves lb3 pending, with an Event (events: '$(ev_reason)')"
expect_eq "lb3 has no ingress" "" "$(lbip lb3)"
k patch svc lb1 --type=merge -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
wait_for 3 'test "$(lbip lb3)" = 192.168.240.1' && pass "a type change releases the address to the pending Service" ||
	fail "a type change releases the address to the pending Service (lb3: '$(lbip lb3)')"
expect_eq "lb1 (now ClusterIP) has no ingress" "" "$(lbip lb1)"
expect_eq "ExternalName gets no clusterIP" "" "$(k get svc xn -o jsonpath='{.spec.clusterIP}')"
sleep 0.5
expect_eq "ExternalName gets no slices" 0 "$(slices_of xn | jq '.items | length')"

# ---- restart: nothing rewritten ----
wait_for 3 'test "$(wq_depth)" = 0'
sleep 1
rvs() {
	(curl -s "$SLICES" | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion)"'
		curl -s "$NS/endpoints" | jq -r '.items[] | "ep/\(.metadata.name) \(.metadata.resourceVersion)"'
		curl -s "$NS/services" | jq -r '.items[] | "svc/\(.metadata.name) \(.metadata.resourceVersion)"') | sort
}
before=$(rvs)
writes() { curl -s "$SERVER/metrics" | awk '/^apiserver_request_total/ && /verb="(create|update|patch|delete)"/ && !/resource="(events|leases)"/ { s += $NF } END { print s + 0 }'; }
w0=$(writes)
t0=$(date +%s%N)
kill -TERM "$CTLPID"
wait "$CTLPID"
rc=$?
expect_eq "SIGTERM: the controllers exit 0" 0 "$rc"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 3000 ] && pass "and within 3 s ($ms ms)" || fail "SIGTERM exit took $ms ms"
cat >"$TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$SERVER"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
EOF
start_controllers --kubeconfig "$TMP/kubeconfig" || fail "restart controllers with --kubeconfig"
wait_for 5 grep -q "caches synced" "$CTLLOG"
wait_for 5 'test "$(syncs_total)" -ge 8'
sleep 1
after=$(rvs)
expect_eq "after a restart no slice, Endpoints or Service is rewritten" "$before" "$after"
expect_eq "and the API server saw no writes" "$w0" "$(writes)"
expect_match "the restarted controllers synced every Service" '^svcnet_controllers_syncs_total ([89]|[1-9][0-9])' \
	"$(curl -s "http://127.0.0.1:$MPORT/metrics")"

# ---- a deleted Service takes its slices and Endpoints along ----
k delete svc web >/dev/null
wait_for 5 'test "$(slice_count web)" = 0' && pass "slices of a deleted Service go" ||
	fail "slices of a deleted Service go"
wait_for 3 'test "$(ep_code)" = 404' &&
	pass "and its Endpoints" || fail "and its Endpoints"
k delete svc ext >/dev/null
wait_for 3 'test "$(slice_total ext)" = 1' && pass "mirrored slices go with the Service; the user's slice stays" ||
	fail "mirrored slices go with the Service; the user's slice stays"
expect_eq "the user's slice was never rewritten" "$custom_rv" "$(curl -s "$SLICES/ext-custom" | jq -r .metadata.resourceVersion)"
if grep -E ' (ERROR|WARN) ' "$CTLLOG" | grep -v 'AllocationFailed\|Failed to allocate' >"$TMP/warn.txt"; then
	fail "controller log has warnings"
	head -5 "$TMP/warn.txt"
else pass "no unexpected warnings in the controller log"; fi
finish
