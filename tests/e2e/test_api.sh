#!/bin/bash
# The REST API with curl: pagination, watch semantics, conflicts, status,
# limits, health and metrics.
. "$(dirname "$0")/lib.sh"
start_apiserver "$TMP/data" || { fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces/default

post() { curl -s -X POST -H 'Content-Type: application/json' --data "$2" "$1"; }
svc() { echo "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\"${2:-}},\"spec\":{\"ports\":[{\"port\":80}]}}"; }

for i in $(seq 1 25); do post "$NS/services" "$(svc "p$i" ',"labels":{"page":"yes"}')" >/dev/null; done

# limit / continue.
page1=$(curl -s "$NS/services?limit=10")
expect_eq "first page has 10 items" 10 "$(jq '.items | length' <<<"$page1")"
cont=$(jq -r '.metadata.continue' <<<"$page1")
[ -n "$cont" ] && [ "$cont" != null ] && pass "first page has a continue token" || fail "no continue token"
page2=$(curl -s "$NS/services?limit=10&continue=$cont")
page3=$(curl -s "$NS/services?limit=10&continue=$(jq -r .metadata.continue <<<"$page2")")
all=$( (jq -r '.items[].metadata.name' <<<"$page1"; jq -r '.items[].metadata.name' <<<"$page2"
	jq -r '.items[].metadata.name' <<<"$page3") | sort | uniq | wc -l)
expect_eq "three pages hold all 25 Services once" 25 "$all"
expect_eq "last page has no continue" "null" "$(jq -r '.metadata.continue' <<<"$page3")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$NS/services?limit=10&continue=garbage")
expect_eq "a malformed continue token is 400" 400 "$code"

# Selectors.
expect_eq "fieldSelector metadata.name" p7 \
	"$(curl -s "$NS/services?fieldSelector=metadata.name%3Dp7" | jq -r '.items[].metadata.name')"
out=$(curl -s "$NS/services?fieldSelector=spec.bogus%3D1")
expect_match "an unsupported field selector is 400 with the field named" \
	'field label not supported: spec.bogus' "$(jq -r .message <<<"$out")"
out=$(curl -s "$NS/services?labelSelector=a%20in%20(b")
expect_eq "a malformed label selector is 400" 400 "$(jq -r .code <<<"$out")"

# Optimistic concurrency: a stale resourceVersion gets 409.
obj=$(curl -s "$NS/services/p1")
rv=$(jq -r .metadata.resourceVersion <<<"$obj")
upd=$(jq '.metadata.labels.v="1"' <<<"$obj")
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data "$upd" "$NS/services/p1")
expect_eq "update with the current resourceVersion" 200 "$code"
out=$(curl -s -X PUT -H 'Content-Type: application/json' --data "$upd" "$NS/services/p1")
expect_eq "update with a stale resourceVersion is 409 Conflict" "409 Conflict" "$(jq -r '"\(.code) \(.reason)"' <<<"$out")"
out=$(curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
	--data "{\"metadata\":{\"resourceVersion\":\"$rv\"}}" "$NS/services/p1")
expect_eq "patch with a stale resourceVersion is 409" 409 "$(jq -r .code <<<"$out")"
gen=$(curl -s "$NS/services/p1" | jq .metadata.generation)
curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
	--data '{"spec":{"sessionAffinity":"ClientIP"}}' "$NS/services/p1" >/dev/null
expect_eq "a spec change bumps generation" $((gen + 1)) "$(curl -s "$NS/services/p1" | jq .metadata.generation)"

# Status subresource: status writes change status only, spec writes ignore status.
st='{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}},"spec":{"type":"LoadBalancer"}}'
post "$NS/services" "$(svc lb)" >/dev/null
curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{"spec":{"type":"LoadBalancer"}}' "$NS/services/lb" >/dev/null
out=$(curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$st" "$NS/services/lb/status")
expect_eq "status patch sets the ingress" 192.0.2.10 "$(jq -r '.status.loadBalancer.ingress[0].ip' <<<"$out")"
out=$(curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' \
	--data '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.99"}]}}}' "$NS/services/lb")
expect_eq "a main-resource patch leaves status alone" 192.0.2.10 "$(jq -r '.status.loadBalancer.ingress[0].ip' <<<"$out")"
expect_match "NodePort allocated for LoadBalancer" '^3[0-9]{4}$' "$(jq -r '.spec.ports[0].nodePort' <<<"$out")"

# generateName, AlreadyExists, Strict/Warn field validation.
out=$(post "$NS/services" '{"apiVersion":"v1","kind":"Service","metadata":{"generateName":"gen-"},"spec":{"ports":[{"port":80}]}}')
expect_match "generateName makes a name" '^gen-[a-z0-9]{5}$' "$(jq -r .metadata.name <<<"$out")"
out=$(post "$NS/services" "$(svc p1)")
expect_eq "create of an existing name is 409 AlreadyExists" "409 AlreadyExists" "$(jq -r '"\(.code) \(.reason)"' <<<"$out")"
hdr=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data '{"apiVersion":"v1","kind":"Service","metadata":{"name":"warned"},"spec":{"foo":1,"ports":[{"port":80}]}}' "$NS/services")
expect_match "fieldValidation Warn (default) warns about unknown fields" 'Warning: 299 - "unknown field \\"spec.foo\\""' "$hdr"
out=$(curl -s -X POST -H 'Content-Type: application/json' \
	--data '{"apiVersion":"v1","kind":"Service","metadata":{"name":"strict"},"spec":{"foo":1,"ports":[{"port":80}]}}' "$NS/services?fieldValidation=Strict")
expect_eq "fieldValidation Strict refuses unknown fields" 400 "$(jq -r .code <<<"$out")"
out=$(post "$NS/services" '{"apiVersion":"v1","kind":"Service","metadata":{"name":"t"},"spec":{"ports":[{"port":"eighty"}]}}')
expect_eq "a wrong JSON type is 400" 400 "$(jq -r .code <<<"$out")"

# Bad input: malformed JSON, deep nesting, oversize body, invalid UTF-8.
out=$(post "$NS/services" '{"apiVersion":')
expect_eq "malformed JSON is 400" "400 BadRequest" "$(jq -r '"\(.code) \(.reason)"' <<<"$out")"
deep=$(printf '{"a":%.0s' $(seq 1 3000))
out=$(post "$NS/services" "$deep")
expect_eq "deep nesting is 400" 400 "$(jq -r .code <<<"$out")"
head -c 3200000 /dev/zero | tr '\0' ' ' >"$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/big" "$NS/services")
expect_eq "a body over 3 MiB is 413" 413 "$code"
printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"u\xff"},"spec":{"ports":[{"port":80}]}}' >"$TMP/utf"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/utf" "$NS/services")
expect_eq "invalid UTF-8 is 400" 400 "$code"
expect_eq "the server still serves after bad input" ok "$(curl -s "$SERVER/healthz")"

# Watch: events after a resourceVersion, selector transitions, bookmarks, 410.
rv=$(curl -s "$NS/services?limit=1" | jq -r .metadata.resourceVersion)
curl -sN "$NS/services?watch=1&resourceVersion=$rv&labelSelector=page%3Dyes&allowWatchBookmarks=true&timeoutSeconds=12" >"$TMP/w" &
PIDS+=($!)
sleep 0.5
curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{"metadata":{"labels":{"page":"no"}}}' "$NS/services/p2" >/dev/null
curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{"metadata":{"labels":{"page":"yes"}}}' "$NS/services/p2" >/dev/null
curl -s -X DELETE "$NS/services/p3" >/dev/null
post "$NS/services" "$(svc unlabeled)" >/dev/null
sleep 11.5
events=$(jq -r '"\(.type) \(.object.metadata.name // "")"' <"$TMP/w")
expect_eq "a selector watch turns leaving and joining into DELETED/ADDED" \
	"DELETED p2|ADDED p2|DELETED p3" "$(grep -v BOOKMARK <<<"$events" | paste -sd'|')"
expect_match "bookmarks are sent when asked" "^BOOKMARK" "$events"

code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVER/healthz")
expect_eq "/healthz" 200 "$code"
expect_eq "/readyz" ok "$(curl -s "$SERVER/readyz")"
m=$(curl -s "$SERVER/metrics")
expect_match "metrics count requests by verb, resource and code" \
	'apiserver_request_total\{verb="create",resource="services",code="201"\} [0-9]+' "$m"
expect_match "metrics have a latency histogram" 'apiserver_request_duration_seconds_bucket\{verb="list"' "$m"

# deletecollection by label; namespace-scoped 404 for a missing namespace.
curl -s -X DELETE "$NS/services?labelSelector=page%3Dyes" >/dev/null
expect_eq "deletecollection removed the labelled Services" 0 \
	"$(curl -s "$NS/services?labelSelector=page%3Dyes" | jq '.items | length')"
out=$(post "$SERVER/api/v1/namespaces/nosuch/services" "$(svc x)")
expect_eq "create in a missing namespace is 404" "404" "$(jq -r .code <<<"$out")"

# EndpointSlices and Endpoints are served.
es='{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s1","labels":{"kubernetes.io/service-name":"p1"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.5"],"conditions":{"ready":true}}],"ports":[{"name":"","port":8080,"protocol":"TCP"}]}'
out=$(post "$SERVER/apis/discovery.k8s.io/v1/namespaces/default/endpointslices" "$es")
expect_eq "create an EndpointSlice" s1 "$(jq -r .metadata.name <<<"$out")"
out=$(post "$SERVER/api/v1/namespaces/default/endpoints" '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"p1"},"subsets":[{"addresses":[{"ip":"999.1.1.1"}],"ports":[{"port":80}]}]}')
expect_eq "an Endpoints address that is not an IP is 422" 422 "$(jq -r .code <<<"$out")"

# pods/binding: sets spec.nodeName once; 409 when bound, 404 for no pod, 422 without a target.
post "$NS/pods" '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b1"},"spec":{"containers":[{"name":"c","image":"x"}]}}' >/dev/null
uid=$(curl -s "$NS/pods/b1" | jq -r .metadata.uid)
bind() {
	curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' "$NS/pods/$1/binding" --data \
		"{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"$1\"${3:-}},\"target\":$2}"
}
out=$(bind b1 '{"kind":"Node","name":"node-a"}' ',"annotations":{"bound-by":"test"}')
expect_eq "a binding is 201 with a Status Success" "201 Success 201" \
	"$(tail -1 <<<"$out") $(head -1 <<<"$out" | jq -r '"\(.status) \(.code)"')"
expect_eq "... sets nodeName, the annotations and PodScheduled, same pod" "node-a test True $uid" \
	"$(curl -s "$NS/pods/b1" | jq -r '[.spec.nodeName, .metadata.annotations["bound-by"],
	   (.status.conditions[] | select(.type=="PodScheduled") | .status), .metadata.uid] | join(" ")')"
out=$(bind b1 '{"kind":"Node","name":"node-b"}' | head -1)
expect_eq "binding a bound pod is 409 Conflict" \
	'409 Operation cannot be fulfilled on pods/binding "b1": pod b1 is already assigned to node "node-a"' \
	"$(jq -r '"\(.code) \(.message)"' <<<"$out")"
expect_eq "binding a missing pod is 404" '404 pods "nosuch" not found' \
	"$(bind nosuch '{"name":"node-a"}' | head -1 | jq -r '"\(.code) \(.message)"')"
out=$(bind b1 '{"kind":"Pod"}' | head -1)
expect_eq "a binding without a node is 422 Invalid with the fields" \
	"422 Invalid target.kind,target.name" \
	"$(jq -r '"\(.code) \(.reason) \([.details.causes[].field] | join(","))"' <<<"$out")"
expect_eq "a binding of another pod's name is 400" 400 \
	"$(curl -s -X POST -H 'Content-Type: application/json' "$NS/pods/b1/binding" \
		--data '{"kind":"Binding","metadata":{"name":"b2"},"target":{"name":"n"}}' | jq -r .code)"
expect_eq "GET of pods/binding is 405" 405 \
	"$(curl -s -o /dev/null -w '%{http_code}' "$NS/pods/b1/binding")"
expect_eq "discovery lists pods/binding with verb create" "Binding create" \
	"$(curl -s "$SERVER/api/v1" | jq -r '.resources[] | select(.name=="pods/binding") | "\(.kind) \(.verbs | join(","))"')"

# Server-side apply with curl: PatchOptions checks, a YAML body, the managedFields entry.
apply() { curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "$2" "$NS/services/$1"; }
ssa='apiVersion: v1
kind: Service
metadata: {name: ssa}
spec:
  ports: [{port: 53, protocol: UDP}]'
expect_eq "apply without fieldManager is 422 on PatchOptions" \
	'422 PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' \
	"$(apply ssa "$ssa" | jq -r '"\(.code) \(.message)"')"
out=$(curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{}' "$NS/services/p1?force=true")
expect_eq "force on a non-apply patch is 422" "422 force" "$(jq -r '"\(.code) \(.details.causes[0].field)"' <<<"$out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	--data-binary "$ssa" "$NS/services/ssa?fieldManager=curl")
expect_eq "apply of a YAML body creates (201)" 201 "$code"
out=$(apply "ssa?fieldManager=curl" "$ssa")
expect_eq "applying it again is 200 with one Apply entry for the manager" "53/UDP curl Apply 1" \
	"$(jq -r '"\(.spec.ports[0].port)/\(.spec.ports[0].protocol) \(.metadata.managedFields[0].manager) \(.metadata.managedFields[0].operation) \(.metadata.managedFields | length)"' <<<"$out")"
expect_eq "an apply body with managedFields is 400" 400 \
	"$(apply "ssa?fieldManager=curl" '{"apiVersion":"v1","kind":"Service","metadata":{"name":"ssa","managedFields":[]}}' | jq -r .code)"
expect_eq "an apply body of another version is 400" 400 \
	"$(apply "ssa?fieldManager=curl" '{"apiVersion":"v2","kind":"Service","metadata":{"name":"ssa"}}' | jq -r .code)"

# A resourceVersion older than the watch cache gets an ERROR event with 410 Gone.
start_apiserver "$TMP/data2" --watch-cache-size 100 || fail "start a second API server"
NS=$SERVER/api/v1/namespaces/default
for i in $(seq 1 120); do post "$NS/services" "$(svc "c$i")" >/dev/null; done
out=$(curl -s -m 5 "$NS/services?watch=1&resourceVersion=2")
expect_eq "watch from a revision older than the cache is 410 Expired" "ERROR 410 Expired" \
	"$(jq -r '"\(.type) \(.object.code) \(.object.reason)"' <<<"$out")"
finish
