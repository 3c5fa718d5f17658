#!/bin/bash
# kubectl, unmodified and with default flags, against the API server.
. "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || skip "kubectl is not installed"
start_apiserver "$TMP/data" || { fail "start API server"; finish; }

out=$(k get namespaces 2>&1)
expect_match "built-in namespaces exist" "^default +Active" "$out"
expect_match "kube-system exists" "^kube-system +Active" "$out"

cat >"$TMP/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: my-service
  labels:
    app: MyApp
spec:
  selector:
    app: MyApp
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 9376
    - name: https
      protocol: TCP
      port: 443
      targetPort: 9377
YAML
out=$(k apply -f "$TMP/svc.yaml" 2>&1)
expect_match "apply the seed's multi-port Service" "service/my-service created" "$out"

out=$(k get svc my-service 2>&1)
expect_match "get prints the Service columns" \
	"^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE" "$out"
expect_match "get shows ClusterIP in 10.96.0.0/12 and both ports" \
	"^my-service +ClusterIP +10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+ +<none> +80/TCP,443/TCP" "$out"

ip=$(k get svc my-service -o jsonpath='{.spec.clusterIP}')
json=$(k get svc my-service -o json)
expect_match "-o json has the defaulted targetPort" '"targetPort": 9376' "$json"
expect_match "-o json has sessionAffinity None" '"sessionAffinity": "None"' "$json"
expect_match "-o json has a uid" '"uid": "[0-9a-f-]{36}"' "$json"

out=$(k describe svc my-service 2>&1)
expect_match "describe shows the IP" "IP: +$ip" "$out"
expect_match "describe shows the ports" "Port: +https +443/TCP" "$out"

# Edit via apply: remove a port, change a target port.
sed -e '/- name: http$/,+3d' -e 's/9377/9500/' "$TMP/svc.yaml" >"$TMP/svc2.yaml"
out=$(k apply -f "$TMP/svc2.yaml" 2>&1)
expect_match "apply an edited manifest" "service/my-service configured" "$out"
ports=$(k get svc my-service -o jsonpath='{range .spec.ports[*]}{.port}:{.targetPort} {end}')
expect_eq "apply removed the http port and changed targetPort" "443:9500 " "$ports"
expect_eq "apply kept the clusterIP" "$ip" "$(k get svc my-service -o jsonpath='{.spec.clusterIP}')"

out=$(k patch svc my-service -p '{"metadata":{"labels":{"tier":"web"}}}' 2>&1)
expect_match "strategic merge patch" "patched" "$out"
out=$(k patch svc my-service --type=merge -p '{"spec":{"sessionAffinity":"ClientIP"}}' 2>&1)
expect_match "merge patch" "patched" "$out"
out=$(k patch svc my-service --type=json -p '[{"op":"replace","path":"/spec/ports/0/port","value":8443}]' 2>&1)
expect_match "json patch" "patched" "$out"
expect_eq "patches applied" "web ClientIP 8443" \
	"$(k get svc my-service -o jsonpath='{.metadata.labels.tier} {.spec.sessionAffinity} {.spec.ports[0].port}')"

# Ports merge by port (their patchMergeKey): apply of a protocol change replaces it.
proto_svc() { printf 'apiVersion: v1\nkind: Service\nmetadata: {name: dns-proto}\nspec:\n  ports: [{name: dns, port: 53, protocol: %s}]\n' "$1"; }
proto_svc TCP | k apply -f - >/dev/null 2>&1
out=$(proto_svc UDP | k apply -f - 2>&1)
expect_match "apply of a port's protocol change" "service/dns-proto configured" "$out"
expect_eq "... leaves one port with the new protocol" "53/UDP " \
	"$(k get svc dns-proto -o jsonpath='{range .spec.ports[*]}{.port}/{.protocol} {end}')"

k create service clusterip other --tcp=8080:80 >/dev/null 2>&1
out=$(k get svc -l tier=web -o name 2>&1)
expect_eq "label selector on list" "service/my-service" "$out"
out=$(k get svc -l 'tier notin (web)' -o name 2>&1)
expect_match "set-based selector" "service/other" "$out"

# A chosen clusterIP, then a conflicting one.
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: chosen}
spec:
  clusterIP: 10.96.100.100
  ports: [{port: 80}]
YAML
)
expect_match "a chosen clusterIP is kept" "created" "$out"
expect_eq "chosen IP" "10.96.100.100" "$(k get svc chosen -o jsonpath='{.spec.clusterIP}')"
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: conflict}
spec:
  clusterIP: 10.96.100.100
  ports: [{port: 80}]
YAML
)
expect_match "a taken clusterIP is refused" "provided IP is already allocated" "$out"
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: outside}
spec:
  clusterIP: 192.168.0.10
  ports: [{port: 80}]
YAML
)
expect_match "an out-of-range clusterIP is refused" "not in the valid range" "$out"

# Invalid Services, rejected with the field named.
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: Bad_Name}
spec:
  ports: [{port: 80}]
YAML
)
expect_match "invalid name rejected with the field" "metadata.name: Invalid value: \"Bad_Name\"" "$out"
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: badport}
spec:
  ports: [{port: 70000}]
YAML
)
expect_match "port out of range rejected" "spec.ports\[0\].port: Invalid value: 70000" "$out"
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: twoports}
spec:
  ports: [{port: 80}, {port: 81}]
YAML
)
expect_match "unnamed ports rejected" "spec.ports\[0\].name: Required value" "$out"
out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: unknownfield}
spec:
  bogus: 1
  ports: [{port: 80}]
YAML
)
expect_match "unknown field rejected (strict validation)" 'unknown field "spec.bogus"' "$out"

# Watch: a change made while watching shows up.
k get svc -w --output-watch-events >"$TMP/watch.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
sleep 1
k label svc other watched=yes >/dev/null 2>&1
k delete svc other >/dev/null 2>&1
sleep 1
kill "$wpid" 2>/dev/null
out=$(cat "$TMP/watch.out")
expect_match "watch shows the modification" "^MODIFIED +other +ClusterIP" "$out"
expect_match "watch shows the deletion" "^DELETED +other +ClusterIP" "$out"

# The columns of kubectl get for the other kinds, and kubectl explain from OpenAPI v3.
k run web --image=nginx --restart=Never --labels=app=web >/dev/null 2>&1
out=$(k get pods 2>&1)
expect_match "get pods prints READY and STATUS" "^web +0/1 +Pending +0 +[0-9]+s" "$out"
out=$(k create --raw /api/v1/namespaces/default/pods/web/binding -f - 2>&1 <<'JSON'
{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"node-1"}}
JSON
)
expect_match "kubectl create --raw of a pods/binding succeeds" '"status": ?"Success"' "$out"
expect_eq "... and binds the pod" node-1 "$(k get pod web -o jsonpath='{.spec.nodeName}')"
k apply -f - >/dev/null 2>&1 <<'YAML'
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {topology.kubernetes.io/zone: z1}}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.32.0}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets: [{addresses: [{ip: 10.244.0.5}, {ip: 10.244.0.6}], ports: [{port: 8080}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.5], conditions: {ready: true}}]
ports: [{name: "", port: 8080, protocol: TCP}]
YAML
expect_match "get nodes prints STATUS ROLES VERSION" "^node-1 +Ready +<none> +[0-9]+s +v1.32.0" "$(k get nodes 2>&1)"
expect_match "get endpoints prints the addresses" "^web +10.244.0.5:8080,10.244.0.6:8080 " "$(k get endpoints web 2>&1)"
expect_match "get endpointslices prints type, ports, endpoints" \
	"^web-abc +IPv4 +8080 +10.244.0.5 " "$(k get endpointslices 2>&1)"
expect_match "kubectl explain reads the OpenAPI schema" "FIELD: ports" "$(k explain service.spec.ports 2>&1)"

out=$(k create -f - 2>&1 <<'YAML'
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: l1}, spec: {ports: [{port: 80}]}}
- {apiVersion: v1, kind: Service, metadata: {name: l2}, spec: {ports: [{port: 81}]}}
YAML
)
expect_match "create -f of a kind: List with default validation" "service/l2 created" "$out"

# Server-side apply: creates, updates, records managedFields, leaves others' fields alone.
cat >"$TMP/ssa.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: ssa
  labels: {app: ssa, tier: web}
spec:
  selector: {app: ssa}
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML
out=$(k apply --server-side -f "$TMP/ssa.yaml" 2>&1)
expect_match "apply --server-side creates" "service/ssa serverside-applied" "$out"
expect_match "... with an allocated clusterIP" '^10\.' "$(k get svc ssa -o jsonpath='{.spec.clusterIP}')"
k label svc ssa owner=ops >/dev/null 2>&1
sed -e 's/, tier: web//' -e 's/8080/9090/' "$TMP/ssa.yaml" >"$TMP/ssa2.yaml"
out=$(k apply --server-side -f "$TMP/ssa2.yaml" 2>&1)
expect_match "apply --server-side of a change" "service/ssa serverside-applied" "$out"
expect_eq "... changes targetPort, drops the label it no longer applies, keeps kubectl label's" \
	'9090 {"app":"ssa","owner":"ops"}' \
	"$(k get svc ssa -o jsonpath='{.spec.ports[0].targetPort} {.metadata.labels}')"
yaml=$(k get svc ssa -o yaml --show-managed-fields)
expect_match "get -o yaml shows managedFields with manager kubectl" 'manager: kubectl$' "$yaml"
expect_eq "... whose operation is Apply" Apply \
	"$(k get svc ssa -o jsonpath='{.metadata.managedFields[?(@.manager=="kubectl")].operation}')"
expect_match "... the applied fields in fieldsV1" 'k:\{"port":80,"protocol":"TCP"\}:' "$yaml"
expect_match "... and kubectl label's Update entry" 'manager: kubectl-label' "$yaml"
out=$(sed 's/9090/7070/' "$TMP/ssa2.yaml" | k apply --server-side --field-manager=deployer -f - 2>&1)
expect_match "another manager changing an owned field gets a conflict" \
	'conflict with "kubectl": \.spec\.ports\[port=80,protocol="TCP"\]\.targetPort' "$out"
out=$(sed 's/9090/7070/' "$TMP/ssa2.yaml" | k apply --server-side --field-manager=deployer --force-conflicts -f - 2>&1)
expect_match "--force-conflicts takes it" "serverside-applied" "$out"
expect_eq "... and the value changes" 7070 "$(k get svc ssa -o jsonpath='{.spec.ports[0].targetPort}')"
out=$(sed -e 's/name: ssa$/name: ssa-bad/' -e 's/port: 80,/port: 70000,/' "$TMP/ssa.yaml" | k apply --server-side -f - 2>&1)
expect_match "an invalid applied object is 422 with the field" \
	'spec.ports\[0\].port: Invalid value: 70000' "$out"
check "a plain update of an applied object works" k patch svc ssa -p '{"spec":{"sessionAffinity":"ClientIP"}}'

out=$(k delete svc my-service 2>&1)
expect_match "delete" "deleted" "$out"
out=$(k get svc my-service 2>&1)
expect_match "deleted Service is gone" "NotFound|not found" "$out"

# Namespaces: objects in a missing namespace 404; deleting one deletes its contents.
out=$(k -n nosuch create service clusterip x --tcp=80 2>&1)
expect_match "create in a missing namespace is 404" 'namespaces "nosuch" not found' "$out"
k create namespace scratch >/dev/null 2>&1
k -n scratch create service clusterip inner --tcp=80 >/dev/null 2>&1
check "namespace delete" k delete namespace scratch
out=$(k -n scratch get svc inner 2>&1)
expect_match "namespace contents deleted" "not found" "$out"
finish
